#!/bin/sh
# Install the Debian packages a VoIPShield task needs, only those missing.
#   scripts/deps.sh build   compilers, CMake, libraries
#   scripts/deps.sh test    build + test peers (SIPp, iproute2, python3...)
#   scripts/deps.sh bench   test + Kamailio (with its SQLite and TLS modules), rtpengine and valgrind for benchmarks
#   scripts/deps.sh fuzz    build + clang's libFuzzer runtime
# Runs apt-get (through sudo when not root) non-interactively.
set -eu

build="gcc clang make cmake pkg-config openssl libconfig-dev libsqlite3-dev libcmocka-dev libssl-dev libnftables-dev libclang-rt-14-dev"
test="$build libsrtp2-dev sip-tester baresip-core sipvicious iproute2 nftables python3 procps sqlite3 tshark dnsmasq-base"
bench="$test kamailio kamailio-sqlite-modules kamailio-tls-modules valgrind rtpengine-daemon"
fuzz="$build"

case "${1:-build}" in
  build) want=$build ;;
  test) want=$test ;;
  bench) want=$bench ;;
  fuzz) want=$fuzz ;;
  *) echo "usage: $0 build|test|bench|fuzz" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: run as root, or install them: apt-get install$missing" >&2
  exit 1
fi

echo "deps: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends $missing
fi
# Debian starts Kamailio as a service when it is installed; the benchmark
# starts its own instance, so keep the packaged one from holding port 5060.
case "$missing" in
  *kamailio*) ($SUDO systemctl disable --now kamailio 2>/dev/null || $SUDO service kamailio stop 2>/dev/null || true) ;;
esac
# The same for rtpengine: the media benchmark starts its own.
case "$missing" in
  *rtpengine*) ($SUDO systemctl disable --now rtpengine-daemon 2>/dev/null || $SUDO service rtpengine-daemon stop 2>/dev/null || true) ;;
esac
