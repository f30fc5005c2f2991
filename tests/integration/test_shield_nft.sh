#!/bin/sh
# test_shield_nft.sh - bans pushed into nftables sets (shield.nftables).
#
# In a network namespace of its own (only loopback up), with the table of
# examples/nftables/voipshield.nft loaded there (ports changed to $PORT): the daemon
# drops root but keeps CAP_NET_ADMIN; a manual ban and an automatic one (a
# scanner) appear in the banned4 set with a timeout, packets from a banned
# address no longer reach the daemon at all (its rx.udp counter stands
# still), `ban del` takes the address out again, and bans loaded at start
# go back into the set.  Then without the table: the daemon says kernel
# dropping is off and bans still work in user space.
#
# Needs root, ip (iproute2) and nft (nftables); exits 77 without them.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$HERE/daemon_lib.sh"
PORT=5260

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (network namespace, nftables)"; exit 77; fi
for t in ip nft python3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t is not installed"; exit 77; }
done

NS=vs-nft-$$
TMP=$(mktemp -d /tmp/vs-nft.XXXXXX)
chmod 755 "$TMP"
DPID=
cleanup() {
	rc=$?
	vs_kill_daemon
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
IN="ip netns exec $NS"

PASS=0
FAIL=0
ok() { echo "ok   - $1"; PASS=$((PASS + 1)); }
bad() { echo "FAIL - $1"; FAIL=$((FAIL + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

sed "s/{ 5060, 5061 }/$PORT/" "$SRC/examples/nftables/voipshield.nft" >"$TMP/nft.conf"
$IN nft -f "$TMP/nft.conf" || { echo "FAIL: cannot load the example table"; exit 1; }

cat >"$TMP/send.py" <<'PY'
import socket, sys
src, port, ua = sys.argv[1], int(sys.argv[2]), sys.argv[3]
msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:5999;branch=z9hG4bK%d\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:p@%s>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
       "Call-ID: nft-%d@x\r\nCSeq: 1 OPTIONS\r\nUser-Agent: %s\r\nContent-Length: 0\r\n\r\n"
       % (port, src, id(src), src, id(ua), ua)).encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1.0)
s.sendto(msg, ("127.0.0.1", port))
try:
    r = s.recv(65535)
    print(r.split(b"\r\n", 1)[0].decode())
except socket.timeout:
    print("timeout")
PY
options() { $IN python3 "$TMP/send.py" "$1" $PORT "${2:-test-phone}"; }

write_conf() {
	cat >"$TMP/vs.conf" <<CONFEND
server = { $(vs_user_conf) state_dir = "$TMP/state"; workers = 1; };
log = { level = "info"; target = "stderr"; };
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp" ]; } );
shield = { nftables = { enabled = true; }; ban = { time = 120; }; };
CONFEND
}
start() {
	$IN "$VS_BIN" -c "$TMP/vs.conf" 2>>"$DERR" &
	DPID=$!
	vs_wait_started "$TMP/vs.conf"
}
stat_of() { "$VS_BIN" -c "$TMP/vs.conf" stats | awk -v k="$1" '$1 == k { print $2 }'; }
in_set() { $IN nft list set inet voipshield banned4 | grep -q "$1"; }

DERR="$TMP/daemon.err"
write_conf
start
check "the daemon says bans go to nftables" "grep -q 'bans also go to nftables sets' '$DERR'"
check "an allowed source is answered" "[ \"\$(options 127.0.0.5)\" = 'SIP/2.0 200 OK' ]"
"$VS_BIN" -c "$TMP/vs.conf" ban add 127.0.0.9 300 >/dev/null
sleep 0.5
check "a manual ban is in the kernel set with a timeout" "$IN nft list set inet voipshield banned4 | grep -q '127.0.0.9 timeout'"
rx0=$(stat_of rx.udp)
options 127.0.0.9 >/dev/null
options 127.0.0.9 >/dev/null
rx1=$(stat_of rx.udp)
check "packets from the banned address never reach the daemon (rx.udp $rx0 -> $rx1)" "[ '$rx0' = '$rx1' ]"
options 127.0.0.8 friendly-scanner >/dev/null
sleep 0.5
check "an automatic ban (a scanner) is in the kernel set too" "in_set 127.0.0.8"
"$VS_BIN" -c "$TMP/vs.conf" ban del 127.0.0.9 >/dev/null
sleep 0.5
check "ban del takes it out of the set" "! in_set 127.0.0.9"
check "and the address is answered again" "[ \"\$(options 127.0.0.9)\" = 'SIP/2.0 200 OK' ]"
check "stats count the elements added" "[ \"\$(stat_of shield.nft_added)\" -ge 2 ]"

# Bans loaded at start go back into the set.
vs_stop_daemon
$IN nft flush set inet voipshield banned4
start
sleep 0.5
check "after a restart the stored ban is back in the set" "in_set 127.0.0.8"
vs_stop_daemon
check "the daemon stops cleanly" "[ '$DRC' -eq 0 ]"

# Without the table: said once, bans still work in the daemon.
$IN nft delete table inet voipshield
: >"$DERR"
start
check "without the table the daemon says kernel dropping is off" "grep -q 'kernel dropping is off' '$DERR'"
options 127.0.0.7 friendly-scanner >/dev/null
sleep 0.3
check "and a scanner is still banned in user space" "[ \"\$(options 127.0.0.7)\" = timeout ] && \"$VS_BIN\" -c '$TMP/vs.conf' ban list | grep -q '^127.0.0.7 '"
vs_stop_daemon
check "the daemon stops cleanly (no table)" "[ '$DRC' -eq 0 ]"
vs_check_sanitizers || FAIL=$((FAIL + 1))
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
