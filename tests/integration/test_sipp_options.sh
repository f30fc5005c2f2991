#!/bin/sh
# test_sipp_options.sh - a real SIP peer (SIPp) pings the daemon with OPTIONS.
#
# Proves that an independent SIP implementation gets 200 OK to OPTIONS
# addressed to the daemon: 200 calls each over UDP and TCP on 127.0.0.1
# and over UDP and TCP on ::1, all successful (SIPp exit status 0 and
# its statistics: 200 successful calls, none failed); that none of this
# valid traffic is counted as malformed (parse_error.* stay 0); and that
# the daemon then stops on SIGTERM with exit status 0 and no
# AddressSanitizer, UndefinedBehaviorSanitizer or LeakSanitizer report.
#
# Traffic stays on loopback: daemon on port 5080, SIPp on 5081..5084.
# Needs sipp (Debian package sip-tester); exits 77 without it.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
SCENARIO="$HERE/sipp/options.xml"
PORT=5080
CALLS=200
RATE=100

if ! command -v sipp >/dev/null 2>&1; then
	echo "SKIP: sipp is not installed (Debian package sip-tester)"
	exit 77
fi

TMP=$(mktemp -d /tmp/vs-sipp.XXXXXX)
# The daemon may drop to the voipshield user: it must reach state/.
chmod 755 "$TMP"
DPID=

cleanup() {
	rc=$?
	vs_kill_daemon
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

USER_CONF=$(vs_user_conf)
CONF="$TMP/voipshield.conf"
cat >"$CONF" <<EOF
# written by tests/integration/test_sipp_options.sh
server = {
  $USER_CONF
  state_dir = "$TMP/state";
  workers = 2;
};
log = { level = "info"; target = "stderr"; };
# The shield (rate limits, bans) is tested in test_shield*; this test sends
# bursts from one address on purpose.
shield = { enabled = false; };
listen = (
  { address = "127.0.0.1"; port = $PORT; transports = [ "udp", "tcp" ]; },
  { address = "::1";       port = $PORT; transports = [ "udp", "tcp" ]; }
);
EOF

# The listeners use SO_REUSEPORT: a daemon already on this port would
# silently take part of the traffic.  Refuse to run beside one.
if command -v ss >/dev/null 2>&1 &&
   ss -Hlntu "( sport = :$PORT )" 2>/dev/null | grep -q .; then
	echo "FAIL: something already listens on port $PORT:"
	ss -lntup "( sport = :$PORT )" || true
	exit 1
fi

DERR="$TMP/daemon.err"
"$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!


# Ready once the control socket answers (it opens after the listeners).
i=0
# (timeout: the stats command waits for the daemon's answer forever)
until timeout 5 "$VS_BIN" -c "$CONF" stats >/dev/null 2>&1; do
	vs_alive || vs_fail "daemon exited during start-up"
	[ $i -lt 100 ] || vs_fail "daemon did not open its control socket in 10 s"
	sleep 0.1
	i=$((i + 1))
done

# A column of SIPp's statistics file (-trace_stat), from its last line.
stat_col() {
	awk -F';' -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		END { if (c) print $c; else print "?" }' "$1"
}

STATUS=0
# name, transport mode, local address, local port, remote
run_sipp() {
	name=$1 mode=$2 lip=$3 lport=$4 remote=$5
	out="$TMP/sipp-$name"
	rc=0
	# -m ends the run after $CALLS calls; -timeout bounds it in time.
	(cd "$TMP" && timeout 60 sipp -sf "$SCENARIO" -t "$mode" \
		-m $CALLS -r $RATE -l 50 -timeout 30s -timeout_error -nostdin \
		-i "$lip" -p "$lport" "$remote" \
		-trace_stat -stf "$out.csv" -fd 1 \
		-trace_err -error_file "$out.err" \
		</dev/null >"$out.log" 2>&1) || rc=$?
	ok=$(stat_col "$out.csv" 'SuccessfulCall(C)' 2>/dev/null || echo '?')
	failed=$(stat_col "$out.csv" 'FailedCall(C)' 2>/dev/null || echo '?')
	retr=$(stat_col "$out.csv" 'Retransmissions(C)' 2>/dev/null || echo '?')
	echo "sipp $name ($mode, $lip -> $remote): exit $rc," \
	     "successful $ok, failed $failed, retransmissions $retr"
	if [ "$rc" -ne 0 ] || [ "$ok" != "$CALLS" ] || [ "$failed" != 0 ]; then
		echo "FAIL: sipp $name: expected exit 0 and $CALLS successful calls"
		tail -n 25 "$out.log"
		[ -s "$out.err" ] && head -n 40 "$out.err"
		STATUS=1
	fi
	vs_alive || vs_fail "daemon is gone after sipp $name"
}

START=$(date +%s)
run_sipp udp4 u1 127.0.0.1 5081 "127.0.0.1:$PORT"
run_sipp tcp4 t1 127.0.0.1 5082 "127.0.0.1:$PORT"
run_sipp udp6 u1 ::1 5083 "[::1]:$PORT"
run_sipp tcp6 t1 ::1 5084 "[::1]:$PORT"

timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" || vs_fail "voipshield stats failed"
echo "daemon counters:"
grep -E '^(rx|tx|reply|tcp|drop)[.a-z_0-9]* ' "$TMP/stats" |
	awk '$2 != 0 { print "  " $0 }'
PARSE_DROPS=$(awk '/^parse_error\./ { s += $2 } END { print s + 0 }' "$TMP/stats")
if [ "$PARSE_DROPS" -ne 0 ]; then
	echo "FAIL: SIPp's valid OPTIONS were counted as malformed ($PARSE_DROPS)"
	STATUS=1
fi

# Stop: SIGTERM, at most 30 s to drain, exit status 0.
vs_stop_daemon
echo "daemon exit status $DRC; $(($(date +%s) - START)) s"
if [ "$DRC" -ne 0 ]; then
	echo "FAIL: daemon exited with status $DRC after SIGTERM"
	tail -n 20 "$DERR"
	STATUS=1
fi
vs_check_sanitizers || STATUS=1
[ $STATUS -eq 0 ] && echo "PASS: SIPp got 200 to all OPTIONS over UDP and TCP, IPv4 and IPv6"
exit $STATUS
