#!/bin/bash
# The media relay: VoIPShield against rtpengine 10.5 (Debian, user space:
# --table=-1, no kernel module), same machine, same run, same load.
#
# For each bridging MODE and each number of CALLS, REPEAT times, each relay
# is started on CPU 0, CALLS calls are set up through it (VoIPShield: SIP
# INVITE/200 through its proxy to an upstream route; rtpengine: ng offer
# and answer, both by bench/media_setup.py), and bench/rtp_load on CPU 1
# plays both phones of every call for SECONDS: a 172-byte packet (160
# bytes of G.711 payload) every 20 ms each way, so 100 packets a second per
# call.  Measured: the relay's CPU time (utime + stime of all its threads,
# /proc/PID/stat) per relayed packet, loss, and the added latency (phone
# to phone through the relay, p50 and p99, both loopback hops included).
# Printed: medians, packets per second per core (1 / CPU per packet), and
# the ratio rtpengine / VoIPShield of CPU per packet.
#
# Modes (phone A's leg to phone B's leg, both directions flow):
#   rtp-rtp    plain RTP on both legs;
#   rtp-srtp   plain RTP on A's leg, SRTP (SDES, AES_CM_128_HMAC_SHA1_80)
#              on B's: the relay protects one way and opens the other;
#   srtp-srtp  SRTP on both legs.  VoIPShield opens and protects again with
#              its own key for each leg; rtpengine by default shares the
#              phones' keys between the legs and forwards the packets as
#              they are (rtp_load counts them "unchanged"), so this mode is
#              not equal work: its ratio is shown for information only.
# The first CHECK packets of every stream are checked at the receiving
# phone: they must open with the key that phone was given (valid).
#
#   bench/media_vs_rtpengine.sh BUILD_DIR
# Environment: MODES="rtp-rtp rtp-srtp srtp-srtp" CALLS="100 300 600 1200" BATCH_US=200
#   (VoIPShield's media.batch_us)
#   STEP_SECONDS=10 REPEAT=3
set -eu
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
build=${1:-build}
modes=${MODES:-rtp-rtp rtp-srtp srtp-srtp}
calls_list=${CALLS:-100 300 600 1200}
secs=${STEP_SECONDS:-10}
repeat=${REPEAT:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "$build" && pwd)/voipshield
load=$(cd "$build" && pwd)/bench/rtp_load
hz=$(getconf CLK_TCK)
SIP_PORT=5380
TRUNK_PORT=5379
UAS_PORT=5382
NG_PORT=5390
PHONES=50000

for tool in rtpengine taskset python3; do
  command -v $tool >/dev/null || { echo "needs $tool (scripts/deps.sh bench)" >&2; exit 1; }
done
[ -x "$bin" ] && [ -x "$load" ] || { echo "build first: $bin and $load" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true

TMP=$(mktemp -d /tmp/vs-media-bench.XXXXXX)
chmod 755 "$TMP"
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

user_conf() {
  if [ "$(id -u)" -ne 0 ]; then echo 'user = "";'
  elif id voipshield >/dev/null 2>&1; then echo 'user = "voipshield";'
  else echo 'user = ""; allow_root = true;'; fi
}

# VoIPShield: phones call in on SIP_PORT (zone "phones"); the upstream route
# (phone B, this script's UAS) is reached through the first listener,
# TRUNK_PORT (zone "trunk"), whose SRTP policy makes B's leg SRTP or not.
start_vs() {
  local mode=$1 trunk_srtp=optional
  [ "$mode" = rtp-rtp ] && trunk_srtp=plain
  [ "$mode" = rtp-srtp ] && trunk_srtp=required
  rm -rf "$TMP/state"
  cat >"$TMP/vs.conf" <<EOF
server = { $(user_conf) state_dir = "$TMP/state"; workers = 1; domains = [ "bench.test" ]; };
log = { level = "warning"; target = "stderr"; };
zones = ( { name = "trunk"; auth = false; srtp = "$trunk_srtp"; },
          { name = "phones"; auth = false; } );
listen = ( { address = "127.0.0.1"; port = $TRUNK_PORT; transports = [ "udp" ]; zone = "trunk"; },
           { address = "127.0.0.1"; port = $SIP_PORT; transports = [ "udp" ]; zone = "phones"; } );
upstream = { routes = ( { address = "127.0.0.1"; port = $UAS_PORT; } ); };
shield = { enabled = false; };
media = { enabled = true; port_min = 30000; port_max = 39999; max_sessions = 5000;
          sdes_over_plain = true; timeout = 300; batch_us = ${BATCH_US:-200}; };
EOF
  taskset -c 0 "$bin" -c "$TMP/vs.conf" 2>"$TMP/vs.err" &
  PID=$!
  local i=0
  until timeout 5 "$bin" -c "$TMP/vs.conf" stats >/dev/null 2>&1; do
    [ $i -lt 100 ] || { echo "voipshield did not start:" >&2; cat "$TMP/vs.err" >&2; exit 1; }
    sleep 0.1; i=$((i + 1))
  done
}

start_rtpe() {
  taskset -c 0 rtpengine --config-file=none --foreground --log-stderr --log-level=3 \
    --table=-1 --interface=127.0.0.1 --listen-ng=127.0.0.1:$NG_PORT \
    --port-min=40000 --port-max=49999 --timeout=300 2>"$TMP/rtpe.err" &
  PID=$!
  local i=0
  until python3 - "$NG_PORT" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(b"c1 d7:command4:pinge", ("127.0.0.1", int(sys.argv[1])))
sys.exit(0 if b"pong" in s.recv(1000) else 1)
EOF
  do
    [ $i -lt 100 ] || { echo "rtpengine did not start:" >&2; cat "$TMP/rtpe.err" >&2; exit 1; }
    sleep 0.1; i=$((i + 1))
  done
}

stop_server() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
}

# One measurement: prints "cpu_us_per_pkt loss_pct p50_us p99_us valid invalid unchanged".
measure() {
  local who=$1 mode=$2 calls=$3
  if [ "$who" = vs ]; then
    start_vs "$mode"
    python3 "$here/media_setup.py" vs "$mode" "$calls" $PHONES "$TMP/spec" $SIP_PORT $UAS_PORT
  else
    start_rtpe
    python3 "$here/media_setup.py" rtpe "$mode" "$calls" $PHONES "$TMP/spec" $NG_PORT
  fi
  local c0 c1 out
  c0=$(cpu_ticks "$PID")
  out=$(taskset -c 1 "$load" "$TMP/spec" "$secs")
  c1=$(cpu_ticks "$PID")
  stop_server
  echo "$out" >>"$TMP/raw.log"
  echo "$out" | awk -v ticks=$((c1 - c0)) -v hz="$hz" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.3f %s %s %s %s %s %s\n", (v["received"] > 0 ? ticks / hz * 1e6 / v["received"] : 0),
      v["loss_pct"], v["p50_us"], v["p99_us"], v["valid"], v["invalid"], v["unchanged"] }'
}

col() { awk -v c="$1" '{print $c}' "$2" | median; }

echo "nproc $(nproc); $(rtpengine --version 2>&1 | head -1); relays on CPU 0, rtp_load on CPU 1;" \
  "${secs}s per step, median of $repeat"
printf "%-10s %6s %8s | %-42s | %-42s | %s\n" mode calls pkt/s \
  "VoIPShield: us CPU/pkt  pkt/s/core  loss%  p50/p99 us" \
  "rtpengine:  us CPU/pkt  pkt/s/core  loss%  p50/p99 us" "rtpengine/VS CPU"
for mode in $modes; do
  for calls in $calls_list; do
    : >"$TMP/vs.m"; : >"$TMP/rtpe.m"
    for _ in $(seq "$repeat"); do
      measure vs "$mode" "$calls" >>"$TMP/vs.m"
      measure rtpe "$mode" "$calls" >>"$TMP/rtpe.m"
    done
    row() {
      local f=$1 cpu
      cpu=$(col 1 "$f")
      printf "%8s %11s %7s %7s/%-7s" "$cpu" \
        "$(awk -v c="$cpu" 'BEGIN{ if (c > 0) printf "%.0f", 1e6 / c; else print "-" }')" \
        "$(col 2 "$f")" "$(col 3 "$f")" "$(col 4 "$f")"
    }
    vs_cpu=$(col 1 "$TMP/vs.m"); rt_cpu=$(col 1 "$TMP/rtpe.m")
    printf "%-10s %6s %8s | %s | %s | %s\n" "$mode" "$calls" $((calls * 100)) \
      "$(row "$TMP/vs.m")" "$(row "$TMP/rtpe.m")" \
      "$(awk -v a="$rt_cpu" -v b="$vs_cpu" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else print "-" }')"
    invalid=$(awk '{s += $6} END {print s + 0}' "$TMP/vs.m" "$TMP/rtpe.m")
    [ "$invalid" -eq 0 ] || echo "  WARNING: $invalid checked packets did not open at the receiving phone"
    if [ "$mode" = srtp-srtp ]; then
      echo "  packets that crossed unchanged (keys shared by both legs): VoIPShield" \
        "$(awk '{s += $7} END {print s + 0}' "$TMP/vs.m"), rtpengine $(awk '{s += $7} END {print s + 0}' "$TMP/rtpe.m")" \
        "of $(awk '{s += $5} END {print s + 0}' "$TMP/rtpe.m") checked"
    fi
  done
done
