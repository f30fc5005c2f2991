#!/bin/sh
# test_baresip_media.sh - a real call's media through the relay (issue 6):
# two baresip softphones (Debian baresip-core, srtp module) call each
# other through VoIPShield with media.enabled.  alice is on the "wan" zone
# (SRTP required) and calls with mediaenc=srtp-mand; bob is on the "lan"
# zone (plain RTP).  The relay bridges alice's SRTP to bob's RTP and back,
# each leg on its own zone's address.
#
# tshark captures loopback during the call; media_capture.py then checks
# that audio flowed both ways on both legs, that every packet on alice's
# leg is SRTP (or SRTCP) that libsrtp2 (tests/tools/srtp_open, not our own
# transform) opens with the keys the SDP exchanged, that none of it is
# plaintext, and that each phone's audio reached the other byte for byte.
# To let the capture see the keys, SDES goes over UDP here
# (media.sdes_over_plain); a deployment would use TLS.
#
# Two network namespaces, joined by a veth pair and connected to nothing
# else: the phones' (198.51.100.1, TEST-NET-2) and the daemon's
# (198.51.100.2 for wan, 198.51.100.3 for lan).  So the phones really send
# from the address their SDP names, as on a network, and nothing can leave
# the machine; tshark captures the daemon's end of the pair.  Daemon SIP
# port 5160, relay ports 43000-43099; alice SIP 5163 and RTP 10000-10099,
# bob SIP 5166 and RTP 20000-20099.
# Needs root, baresip and tshark; exits 77 without them.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"
: "${VS_BUILD:?VS_BUILD must name the build directory}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5160
NS="vs-bsm-d-$$"
PNS="vs-bsm-p-$$"
WAN=198.51.100.2
LAN=198.51.100.3
SRTP_OPEN="$VS_BUILD/tests/integration/srtp_open"
MODDIR=/usr/lib/baresip/modules

for tool in baresip tshark python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian packages baresip-core, tshark)"
		exit 77
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to create a network namespace (ip netns)"
	exit 77
fi
for m in g711 ausine aufile account menu srtp; do
	if [ ! -f "$MODDIR/$m.so" ]; then
		echo "SKIP: baresip module $m.so not found in $MODDIR"
		exit 77
	fi
done
[ -x "$SRTP_OPEN" ] || { echo "FAIL: $SRTP_OPEN is not built"; exit 1; }

TMP=$(mktemp -d /tmp/vs-bsmedia.XXXXXX)
chmod 755 "$TMP"
DPID=
BOB=
CAP=
NS_MADE=

cleanup() {
	rc=$?
	if [ -n "$BOB" ]; then kill "$BOB" 2>/dev/null || true; fi
	if [ -n "$CAP" ]; then kill "$CAP" 2>/dev/null || true; fi
	vs_kill_daemon
	if [ -n "$NS_MADE" ]; then
		ip netns del "$NS" 2>/dev/null || true
		ip netns del "$PNS" 2>/dev/null || true
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! ip netns add "$NS" 2>"$TMP/ns.err" || ! ip netns add "$PNS" 2>>"$TMP/ns.err"; then
	ip netns del "$NS" 2>/dev/null || true
	echo "SKIP: cannot create network namespaces: $(cat "$TMP/ns.err")"
	exit 77
fi
NS_MADE=1
# Background processes are started with ip netns exec itself (which execs),
# never through these functions, so that $! is their pid.
in_ns() { ip netns exec "$NS" "$@"; }
in_pns() { ip netns exec "$PNS" "$@"; }
in_ns ip link set lo up
in_pns ip link set lo up
if ! in_ns ip link add vsd type veth peer name vsp netns "$PNS" 2>"$TMP/ns.err" ||
   ! in_ns ip addr add $WAN/24 dev vsd || ! in_ns ip addr add $LAN/24 dev vsd ||
   ! in_pns ip addr add 198.51.100.1/24 dev vsp ||
   ! in_ns ip link set vsd up || ! in_pns ip link set vsp up; then
	echo "SKIP: cannot join the namespaces with a veth pair: $(cat "$TMP/ns.err")"
	exit 77
fi

CONF="$TMP/voipshield.conf"
cat >"$CONF" <<CONFEND
$(vs_server_conf tests/integration/test_baresip_media.sh)
zones = ( { name = "wan"; srtp = "required"; },
          { name = "lan"; srtp = "plain"; } );
listen = ( { address = "$WAN"; port = $PORT; transports = [ "udp" ]; zone = "wan"; },
           { address = "$LAN"; port = $PORT; transports = [ "udp" ]; zone = "lan"; } );
auth = { algorithms = [ "MD5" ]; };
media = { enabled = true; port_min = 43000; port_max = 43099; sdes_over_plain = true; };
CONFEND

printf 'alice-secret-1\n' | "$VS_BIN" -c "$CONF" user add alice >/dev/null ||
	{ echo "FAIL: user add alice"; exit 1; }
printf 'bob-secret-22\n' | "$VS_BIN" -c "$CONF" user add bob >/dev/null ||
	{ echo "FAIL: user add bob"; exit 1; }

# phone NAME SIP_PORT RTP_RANGE PROXY_ADDR PASSWORD ACCOUNT_PARAMS
phone() {
	dir="$TMP/$1"
	mkdir -p "$dir"
	vs_baresip_config "$dir" "198.51.100.1:$2" "rtp_ports $3" "module srtp.so"
	echo "<sip:$1@$4>;auth_pass=$5;outbound=\"sip:$4:$PORT\";regint=300$6" >"$dir/accounts"
}
phone alice 5163 10000-10099 $WAN alice-secret-1 ";mediaenc=srtp-mand"
phone bob 5166 20000-20099 $LAN bob-secret-22 ";answermode=auto"

DERR="$TMP/daemon.err"
ip netns exec "$NS" "$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!
stat() {
	timeout 5 "$VS_BIN" -c "$CONF" stats 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'
}
vs_wait_started "$CONF" # the control socket is a path: any namespace reaches it


# The capture: all UDP at the daemon's end of the pair, for at most 40 s.
ip netns exec "$NS" tshark -i vsd -f udp -a duration:40 -w "$TMP/call.pcap" -q >"$TMP/tshark.log" 2>&1 &
CAP=$!
i=0
until grep -q "Capturing on" "$TMP/tshark.log" 2>/dev/null; do
	[ $i -lt 100 ] || vs_fail "tshark did not start capturing in 10 s: $(cat "$TMP/tshark.log")"
	sleep 0.1
	i=$((i + 1))
done

ip netns exec "$PNS" timeout 30 baresip -f "$TMP/bob" -t 20 </dev/null >"$TMP/bob.log" 2>&1 &
BOB=$!
i=0
until [ "$(stat registrar.bindings_saved)" -ge 1 ] 2>/dev/null; do
	[ $i -lt 100 ] || vs_fail "bob did not register within 10 s"
	sleep 0.1
	i=$((i + 1))
done
# alice registers, dials bob, talks for about 6 s and hangs up.
in_pns timeout 30 baresip -f "$TMP/alice" -t 8 \
	-e "/dial sip:bob@$LAN" </dev/null >"$TMP/alice.log" 2>&1 || true
i=0
until grep -aq "terminated" "$TMP/bob.log" || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill "$BOB" 2>/dev/null || true
wait "$BOB" 2>/dev/null || true
BOB=
sleep 0.5
kill -INT "$CAP" 2>/dev/null || true
wait "$CAP" 2>/dev/null || true
CAP=

check "alice's baresip established the call" \
	'grep -aq "Call established: sip:bob@$LAN" "$TMP/alice.log"'
check "bob's baresip answered and established the call" \
	'grep -aq "Call established: sip:alice@$WAN" "$TMP/bob.log"'
check "the call was torn down on both sides" \
	'grep -aq "Call with sip:bob@$LAN terminated" "$TMP/alice.log" &&
	 grep -aq "Call with sip:alice@$WAN terminated" "$TMP/bob.log"'

python3 "$HERE/media_capture.py" "$TMP/call.pcap" "$SRTP_OPEN" "$PORT" 5163 5166 \
	10000-10099 20000-20099 $WAN $LAN >"$TMP/capture.out" 2>&1 || true
cat "$TMP/capture.out"
PASS=$((PASS + $(grep -c '^ok' "$TMP/capture.out" || true)))
FAIL=$((FAIL + $(grep -c '^FAIL' "$TMP/capture.out" || true)))
check "the capture was checked" 'grep -q "^capture: " "$TMP/capture.out"'

timeout 5 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" 2>&1 || true
fwd=$(stat media.forwarded)
check "the relay counted the forwarded media (${fwd:-0} packets)" '[ "${fwd:-0}" -ge 400 ]'
active=$(stat media.active_sessions)
ports=$(stat media.ports_in_use)
check "the BYE ended the relay session and freed its ports" \
	'[ "${active:-1}" -eq 0 ] && [ "${ports:-1}" -eq 0 ]'

vs_stop_daemon
check "SIGTERM: exit status 0" '[ "$DRC" -eq 0 ]'
check "no sanitizer reports" 'vs_check_sanitizers >/dev/null'
if [ $FAIL -ne 0 ]; then
	for f in alice bob; do
		echo "--- $f ---"; grep -a -v "audio=" "$TMP/$f.log" | tail -n 30
	done
	echo "--- daemon ---"; tail -n 20 "$DERR"
	echo "--- media counters ---"; grep '^media' "$TMP/stats" || true
fi
echo "baresip_media: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
