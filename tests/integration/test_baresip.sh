#!/bin/sh
# test_baresip.sh - two real softphones (baresip, Debian baresip-core)
# register with passwords and one calls the other through VoIPShield:
# first over UDP, then over TLS (issue 5: both phones register and call
# over their TLS connections).  baresip 1.0 (libre) does not verify the
# server's certificate even with sip_cafile (it connected with a wrong CA
# file when tried), so this proves SIP over TLS with a real phone, not
# the phone's checks; test_tls_out.py covers verification by the daemon.
#
# alice and bob each run a baresip with VoIPShield as outbound proxy;
# bob answers automatically.  alice dials bob, the call must be
# established on both sides (INVITE with 407 digest auth, 200, ACK) and,
# when alice's baresip quits, torn down (BYE through the proxy's signed
# Record-Route).  Everything runs in a network namespace with only
# loopback up: baresip picks its media address from the interfaces it
# sees, and nothing may leave the machine.
#
# baresip 1.0 (libre) gives up on a 401 that offers an algorithm it does
# not know, even next to MD5, so this daemon offers MD5 only.
#
# baresip needs a non-loopback address: the namespace gets a veth pair
# with 198.51.100.1 (TEST-NET-2), which carries the RTP.
# Ports (inside the namespace): daemon 5160 (UDP, TCP) and 5161 (TLS);
# over UDP alice 5163 and bob 5166, over TLS alice 5168 and bob 5170
# (baresip also binds the port above each for TLS).  Needs root (ip netns) and baresip;
# exits 77 without them.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5160
NS="vs-baresip-$$"

if ! command -v baresip >/dev/null 2>&1; then
	echo "SKIP: baresip is not installed (Debian package baresip-core)"
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to create a network namespace (ip netns)"
	exit 77
fi
MODDIR=/usr/lib/baresip/modules
for m in g711 ausine aufile account menu; do
	if [ ! -f "$MODDIR/$m.so" ]; then
		echo "SKIP: baresip module $m.so not found in $MODDIR"
		exit 77
	fi
done

TMP=$(mktemp -d /tmp/vs-baresip.XXXXXX)
chmod 755 "$TMP"
DPID=
BOB=
NS_MADE=

cleanup() {
	rc=$?
	if [ -n "$BOB" ]; then kill "$BOB" 2>/dev/null || true; fi
	vs_kill_daemon
	if [ -n "$NS_MADE" ]; then ip netns del "$NS" 2>/dev/null || true; fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! ip netns add "$NS" 2>"$TMP/ns.err"; then
	echo "SKIP: cannot create network namespace $NS: $(cat "$TMP/ns.err")"
	exit 77
fi
NS_MADE=1
ip netns exec "$NS" ip link set lo up
# baresip takes its local address from a non-loopback interface: give it
# one, a veth pair whose both ends stay in the namespace (a documentation
# address; traffic to it is delivered locally, nothing can leave).
if ! ip netns exec "$NS" ip link add vsa type veth peer name vsb 2>"$TMP/ns.err" ||
   ! ip netns exec "$NS" ip addr add 198.51.100.1/32 dev vsa ||
   ! ip netns exec "$NS" ip link set vsa up ||
   ! ip netns exec "$NS" ip link set vsb up; then
	echo "SKIP: cannot add a veth pair in $NS: $(cat "$TMP/ns.err")"
	exit 77
fi

TLS_PORT=$((PORT + 1))
# The daemon's certificate, for 127.0.0.1 by IP.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 ||
	{ echo "FAIL: openssl could not make a certificate"; exit 1; }
chmod 644 "$TMP/key.pem"
CONF="$TMP/voipshield.conf"
cat >"$CONF" <<CONFEND
$(vs_server_conf tests/integration/test_baresip.sh)
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp", "tcp" ]; },
           { address = "127.0.0.1"; port = $TLS_PORT; transports = [ "tls" ];
             tls_cert = "$TMP/cert.pem"; tls_key = "$TMP/key.pem"; } );
auth = { algorithms = [ "MD5" ]; };
CONFEND

printf 'alice-secret-1\n' | "$VS_BIN" -c "$CONF" user add alice >/dev/null ||
	{ echo "FAIL: user add alice"; exit 1; }
printf 'bob-secret-22\n' | "$VS_BIN" -c "$CONF" user add bob >/dev/null ||
	{ echo "FAIL: user add bob"; exit 1; }

# One baresip configuration per phone: G.711, a sine tone as microphone,
# a file as loudspeaker, VoIPShield as outbound proxy over transport $5
# (udp or tls).
phone() {
	name=$1 port=$2 extra=$3 tp=$5
	dir="$TMP/$tp-$name"
	mkdir -p "$dir"
	vs_baresip_config "$dir" "127.0.0.1:$port"
	if [ "$tp" = tls ]; then
		echo "<sip:$name@127.0.0.1;transport=tls>;auth_pass=$4;outbound=\"sip:127.0.0.1:$TLS_PORT;transport=tls\";regint=300$extra"
	else
		echo "<sip:$name@127.0.0.1>;auth_pass=$4;outbound=\"sip:127.0.0.1:$PORT\";regint=300$extra"
	fi >"$dir/accounts"
}
phone alice 5163 "" alice-secret-1 udp
phone bob 5166 ";answermode=auto" bob-secret-22 udp
phone alice 5168 "" alice-secret-1 tls
phone bob 5170 ";answermode=auto" bob-secret-22 tls

DERR="$TMP/daemon.err"
ip netns exec "$NS" "$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!
i=0
until ip netns exec "$NS" timeout 5 "$VS_BIN" -c "$CONF" stats >/dev/null 2>&1; do
	vs_alive || vs_fail "daemon exited during start-up"
	[ $i -lt 100 ] || vs_fail "daemon did not open its control socket in 10 s"
	sleep 0.1
	i=$((i + 1))
done

FWD=0 OK=0
# One call over transport $1, bob registered first.
run_call() {
	TP=$1
	base=$(ip netns exec "$NS" timeout 5 "$VS_BIN" -c "$CONF" stats 2>/dev/null |
		awk '$1 == "registrar.bindings_saved" { print $2 }')
	# bob: registers and waits (quits by itself after 20 s at most).
	ip netns exec "$NS" timeout 30 baresip -f "$TMP/$TP-bob" -t 20 \
		</dev/null >"$TMP/$TP-bob.log" 2>&1 &
	BOB=$!
	# Wait for bob's registration (at most 10 s).
	i=0
	until [ "$(ip netns exec "$NS" timeout 5 "$VS_BIN" -c "$CONF" stats 2>/dev/null |
		   awk '$1 == "registrar.bindings_saved" { print $2 }')" -gt "${base:-0}" ]; do
		[ $i -lt 100 ] || vs_fail "bob did not register within 10 s"
		sleep 0.1
		i=$((i + 1))
	done

	# alice: registers, dials bob, quits after 6 s (hanging up).
	ip netns exec "$NS" timeout 30 baresip -f "$TMP/$TP-alice" -t 6 \
		-e "/dial sip:bob@127.0.0.1" </dev/null >"$TMP/$TP-alice.log" 2>&1 || true
	# bob sees the BYE, then quits by itself.
	i=0
	until grep -aq "terminated" "$TMP/$TP-bob.log" || [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$BOB" 2>/dev/null || true
	wait "$BOB" 2>/dev/null || true
	BOB=

	check "$TP: alice's baresip established the call" \
		'grep -aq "Call established: sip:bob@127.0.0.1" "$TMP/$TP-alice.log"'
	check "$TP: bob's baresip answered and established the call" \
		'grep -aq "Call established: sip:alice@127.0.0.1" "$TMP/$TP-bob.log"'
	check "$TP: the call was torn down on both sides" \
		'grep -aqE "Call with sip:bob@127.0.0.1(;transport=tls)? terminated" "$TMP/$TP-alice.log" &&
		 grep -aq "Call with sip:alice@127.0.0.1 terminated" "$TMP/$TP-bob.log"'
	if [ "$TP" = tls ]; then
		check "tls: both phones registered over TLS" \
			'grep -aq "{0/TLS/v4} 200 OK" "$TMP/tls-alice.log" &&
			 grep -aq "{0/TLS/v4} 200 OK" "$TMP/tls-bob.log"'
	fi
	ip netns exec "$NS" timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" ||
		vs_fail "voipshield stats failed"
	fwd=$(awk '$1 == "proxy.requests_forwarded" { print $2 }' "$TMP/stats")
	ok=$(awk '$1 == "auth.ok" { print $2 }' "$TMP/stats")
	# INVITE, ACK and BYE through the proxy; two REGISTERs and the INVITE
	# authenticated.
	check "$TP: the proxy forwarded INVITE, ACK and BYE ($fwd requests in all)" '[ "${fwd:-0}" -ge $((FWD + 3)) ]'
	check "$TP: registrations and the call were authenticated ($ok in all)" '[ "${ok:-0}" -ge $((OK + 3)) ]'
	FWD=${fwd:-0} OK=${ok:-0}
}
run_call udp
run_call tls
tls=$(awk '$1 == "tls.handshakes" { print $2 }' "$TMP/stats")
check "tls: both phones' TLS handshakes with the daemon ($tls)" '[ "${tls:-0}" -ge 2 ]'

vs_stop_daemon
check "SIGTERM: exit status 0" '[ "$DRC" -eq 0 ]'
check "no sanitizer reports" 'vs_check_sanitizers >/dev/null'
if [ $FAIL -ne 0 ]; then
	for f in udp-alice udp-bob tls-alice tls-bob; do
		echo "--- $f ---"; grep -a -v "audio=" "$TMP/$f.log" | tail -n 30
	done
	echo "--- daemon ---"; tail -n 20 "$DERR"
fi
echo "baresip: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
