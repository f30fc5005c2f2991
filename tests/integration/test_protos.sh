#!/bin/sh
# test_protos.sh - the PROTOS c07-sip test suite against the daemon.
#
# Proves that the daemon survives all 4527 PROTOS c07-sip cases (4526
# malformed INVITEs and the valid case 0, each followed by CANCEL and ACK),
# sent over UDP and, for every case up to 65535 bytes, over TCP (once on a
# connection of its own, once pipelined on one connection per group,
# reconnecting when the daemon closes it): after each
# of the 54 groups, per transport, the process still exists and answers a
# valid OPTIONS with 200 (over UDP and TCP); at the end it still answers on
# ::1 too, stops on SIGTERM with exit status 0, and its stderr holds no
# AddressSanitizer, UndefinedBehaviorSanitizer or LeakSanitizer report.
# It also checks that malformed input was counted (parse_error.*) and that
# the valid case 0 was answered.
#
# Daemon and sender run inside a fresh network namespace with only
# loopback up, so nothing the daemon sends can leave the machine.
# Needs root (ip netns); exits 77 otherwise.  Test data:
# $VS_SRC/../shared/testdata/protos-c07-sip (see its README.txt).
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"
: "${VS_SRC:?VS_SRC must name the source tree}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
DATA="$VS_SRC/../shared/testdata/protos-c07-sip"
PORT=5070
NS="vs-protos-$$"

if [ ! -f "$DATA/groups.tsv" ] || [ ! -f "$DATA/cases/0004526" ]; then
	echo "FAIL: PROTOS c07-sip test data not found at $DATA" \
	     "(needs groups.tsv and cases/0000000..0004526; CI checks out" \
	     "shared/ next to the repository)"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to create a network namespace (ip netns)"
	exit 77
fi
if ! command -v ip >/dev/null 2>&1; then
	echo "SKIP: ip (iproute2) is not installed"
	exit 77
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if ! command -v "$PY" >/dev/null 2>&1; then
	echo "SKIP: python3 is not installed"
	exit 77
fi

TMP=$(mktemp -d /tmp/vs-protos.XXXXXX)
# The daemon may drop to the voipshield user: it must reach state/.
chmod 755 "$TMP"
DPID=
NS_MADE=

cleanup() {
	rc=$?
	vs_kill_daemon
	if [ -n "$NS_MADE" ]; then
		ip netns del "$NS" 2>/dev/null || true
	fi
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

USER_CONF=$(vs_user_conf)
CONF="$TMP/voipshield.conf"
cat >"$CONF" <<EOF
# written by tests/integration/test_protos.sh
server = {
  $USER_CONF
  state_dir = "$TMP/state";
  workers = 2;
  domains = [ "localhost" ];
};
log = { level = "info"; target = "stderr"; rate = 10; };
# The shield (rate limits, bans) is tested in test_shield*; this test sends
# bursts from one address on purpose.
shield = { enabled = false; };
listen = (
  { address = "127.0.0.1"; port = $PORT; transports = [ "udp", "tcp" ]; },
  { address = "::1";       port = $PORT; transports = [ "udp", "tcp" ]; }
);
limits = { message_size = 65535; };
EOF

DERR="$TMP/daemon.err"
START=$(date +%s)
# ip netns exec execs the command: $! is the daemon itself.
ip netns exec "$NS" "$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!


# The sender, run inside the namespace (protos_send.py --help).
ip netns exec "$NS" "$PY" "$HERE/protos_send.py" --data "$DATA" \
	--port $PORT --pid "$DPID" --summary "$TMP/ready" --wait-ready 20 ||
	vs_fail "daemon did not come up (OPTIONS on 127.0.0.1:$PORT)"
[ "$(cat "/proc/$DPID/comm" 2>/dev/null)" = voipshield ] ||
	vs_fail "pid $DPID is not the daemon"

echo "sending PROTOS c07-sip cases 0..4526 to 127.0.0.1:$PORT in netns $NS"
SUMMARY="$TMP/summary"
SEND_RC=0
# PROTOS_LOG=FILE in the environment keeps one line per reply received.
ip netns exec "$NS" timeout 400 "$PY" "$HERE/protos_send.py" --data "$DATA" \
	--port $PORT --pid "$DPID" --summary "$SUMMARY" \
	${PROTOS_LOG:+--log "$PROTOS_LOG"} || SEND_RC=$?

# A counter from the sender's summary, 0 when it never counted.
get() {
	v=$(sed -n "s/^$1=//p" "$SUMMARY" 2>/dev/null | head -n 1)
	echo "${v:-0}"
}

# (timeout: the stats command waits for the daemon's answer forever)
if ! ip netns exec "$NS" timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" 2>"$TMP/stats.err"; then
	cat "$TMP/stats.err"
	[ "$SEND_RC" -eq 0 ] && vs_fail "voipshield stats failed"
fi
[ "$SEND_RC" -eq 0 ] || vs_fail "PROTOS sender failed (status $SEND_RC), see above"
vs_alive || vs_fail "daemon is gone after the PROTOS run"

# Stop: SIGTERM, at most 30 s to drain, exit status 0.
vs_stop_daemon
END=$(date +%s)

echo "=== summary ($((END - START)) s) ==="
echo "udp: cases $(get udp_cases), datagrams $(get udp_datagrams)" \
     "(truncated to 65507: $(get udp_truncated)), replies $(get udp_replies)," \
     "$(get udp_seconds) s"
echo "tcp: cases $(get tcp_cases) (over 65535 bytes, not sent:" \
     "$(get tcp_skipped_oversize)), connections closed by the daemon" \
     "before all was sent: $(get tcp_closed_early), replies" \
     "$(get tcp_replies), $(get tcp_seconds) s"
echo "tcp-stream: cases $(get tcps_cases) on $(get tcps_connections)" \
     "connections ($(get tcps_reconnects) reconnects after the daemon" \
     "closed one), replies $(get tcps_replies), $(get tcps_seconds) s"
echo "reply status codes: $(grep '_status_' "$SUMMARY" | tr '\n' ' ')"
echo "replies to case 0: udp $(get udp_case0_replies), tcp $(get tcp_case0_replies)"
echo "daemon counters:"
grep -E '^(rx|tx|reply|tcp|keepalive|drop|parse_error)[.a-z_0-9]* ' "$TMP/stats" |
	grep -v '^parse_error\.' | awk '$2 != 0 { print "  " $0 }'
echo "non-zero parse_error.* counters:"
awk '/^parse_error\./ && $2 != 0 { print "  " $0 }' "$TMP/stats"
PARSE_DROPS=$(awk '/^parse_error\./ { s += $2 } END { print s + 0 }' "$TMP/stats")
echo "sum parse_error.*: $PARSE_DROPS; daemon exit status: $DRC"

STATUS=0
vs_check_sanitizers || STATUS=1
if [ "$DRC" -ne 0 ]; then
	echo "FAIL: daemon exited with status $DRC after SIGTERM"
	tail -n 20 "$DERR"
	STATUS=1
fi
if [ "$PARSE_DROPS" -le 0 ]; then
	echo "FAIL: no parse_error.* counted after 4526 malformed cases"
	STATUS=1
fi
if [ "$(get udp_case0_replies)" -lt 1 ] || [ "$(get tcp_case0_replies)" -lt 1 ]; then
	echo "FAIL: the valid case 0 got no reply"
	STATUS=1
fi
# Every UDP datagram sent must have reached the daemon (the sender keeps
# the daemon's receive queue from overflowing).
RX_UDP=$(awk '$1 == "rx.udp" { print $2 }' "$TMP/stats")
if [ "${RX_UDP:-0}" -lt "$(get udp_datagrams)" ]; then
	echo "FAIL: daemon received $RX_UDP UDP datagrams, fewer than the" \
	     "$(get udp_datagrams) cases sent"
	STATUS=1
fi
[ $STATUS -eq 0 ] && echo "PASS: daemon survived PROTOS c07-sip over UDP and TCP"
exit $STATUS
