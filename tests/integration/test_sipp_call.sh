#!/bin/sh
# test_sipp_call.sh - calls between two SIPp phones through VoIPShield.
#
# bob registers (digest auth) from 127.0.0.1:5141, where a SIPp callee
# then answers (sipp/uas_rr.xml: 180, 200 echoing Record-Route, ACK,
# BYE).  A SIPp caller (sipp/uac_auth.xml) makes $CALLS calls to bob at
# $RATE calls/s: INVITE, 407, ACK, INVITE with MD5 credentials, 100, 180,
# 200, ACK and BYE routed through the proxy by Record-Route.  Both SIPp
# runs must end with exit status 0 and every call successful; the daemon
# must have forwarded the requests.  Then the same again with 3% of the
# packets lost on each side (sipp -lost): retransmissions (SIPp's and the
# daemon's transactions) must still complete every call.  The media relay
# is on (media.enabled): every call's SDP is anchored on it.  Then 1,000
# calls at 100 calls/s through a relay with room for only 50 sessions: all
# must succeed, each must have had its relay session, and afterwards no
# session and no port may be left (no leak).  Then SIPp pairs for the rest
# of a call's endings: CANCEL before the answer (sipp/uac_cancel.xml,
# uas_cancel.xml: 180, CANCEL, 200, 487, ACK), a busy callee (486 and its
# ACK) and a call to an upstream route (a SIPp trunk on 127.0.0.3:5143 for
# numbers starting with 9).  At the end the daemon must be free of
# sanitizer reports and stop on SIGTERM with 0.
#
# Loopback only: daemon on port 5140, callee 5141, caller 5142, trunk
# 127.0.0.3:5143, relay ports 44000-44199.
# Needs sipp (Debian package sip-tester) and python3; exits 77 without.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5140
CALLS=20
RATE=10

if ! command -v sipp >/dev/null 2>&1; then
	echo "SKIP: sipp is not installed (Debian package sip-tester)"
	exit 77
fi

TMP=$(mktemp -d /tmp/vs-call.XXXXXX)
chmod 755 "$TMP"
DPID=
UAS=

cleanup() {
	rc=$?
	if [ -n "$UAS" ]; then kill "$UAS" 2>/dev/null || true; fi
	vs_kill_daemon
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

CONF="$TMP/voipshield.conf"
cat >"$CONF" <<CONFEND
$(vs_server_conf tests/integration/test_sipp_call.sh)
# The shield (rate limits, bans) is tested in test_shield*; this test sends
# bursts from one address on purpose.
shield = { enabled = false; };
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp", "tcp" ]; } );
# SIPp 3.6 computes MD5 digests only: offer MD5 first.
auth = { algorithms = [ "MD5", "SHA-256" ]; };
media = { enabled = true; port_min = 44000; port_max = 44199; max_sessions = 50; };
# A trunk (a SIPp callee) for numbers starting with 9.
upstream = { routes = ( { prefix = "9"; address = "127.0.0.3"; port = 5143; } ); };
CONFEND

printf 'alice-secret-1\n' | "$VS_BIN" -c "$CONF" user add alice >/dev/null ||
	{ echo "FAIL: user add alice"; exit 1; }
printf 'bob-secret-22\n' | "$VS_BIN" -c "$CONF" user add bob >/dev/null ||
	{ echo "FAIL: user add bob"; exit 1; }

DERR="$TMP/daemon.err"
"$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!
vs_wait_started "$CONF"

# bob registers from the port the SIPp callee will use.
python3 -c "
import sys
sys.path.insert(0, '$HERE')
from sipua import UA, status
ua = UA('127.0.0.1', $PORT, local_port=5141)
r, _ = ua.register('bob', 'bob-secret-22', 'example.test',
                   contact='<sip:bob@127.0.0.1:5141>', expires=300)
ua.close()
sys.exit(0 if status(r) == 200 else 1)
" || vs_fail "bob could not register"

stat_col() {
	awk -F';' -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		END { if (c) print $c; else print "?" }' "$1"
}

STATUS=0
# NAME UAS_SCENARIO UAC_SCENARIO SERVICE UAS_ADDRESS UAS_PORT N RATE LOSS
# [SIPP_ARGS...]: N calls at RATE calls/s, each SIPp losing LOSS% of its
# packets (-lost: with loss the calls must still succeed through
# retransmissions); every call must end as the two scenarios say.
run_pair() {
	name=$1 uas=$2 uac=$3 service=$4 uas_ip=$5 uas_port=$6 n=$7 rate=$8 loss=$9
	shift 9
	(cd "$TMP" && exec timeout 90 sipp -sf "$HERE/sipp/$uas" -m "$n" -lost "$loss" \
		-i "$uas_ip" -p "$uas_port" -nostdin \
		-trace_err -error_file "$TMP/uas-$name.err" \
		</dev/null >"$TMP/uas-$name.log" 2>&1) &
	UAS=$!
	sleep 0.5
	rc=0
	(cd "$TMP" && timeout 90 sipp "127.0.0.1:$PORT" -sf "$HERE/sipp/$uac" \
		-s "$service" "$@" -m "$n" -r "$rate" -l 40 -lost "$loss" -timeout 60s \
		-timeout_error -nostdin -i 127.0.0.1 -p 5142 \
		-trace_stat -stf "$TMP/uac-$name.csv" -fd 1 \
		-trace_err -error_file "$TMP/uac-$name.err" \
		</dev/null >"$TMP/uac-$name.log" 2>&1) || rc=$?
	urc=0
	wait "$UAS" || urc=$?
	UAS=
	ok=$(stat_col "$TMP/uac-$name.csv" 'SuccessfulCall(C)' 2>/dev/null || echo '?')
	failed=$(stat_col "$TMP/uac-$name.csv" 'FailedCall(C)' 2>/dev/null || echo '?')
	retr=$(stat_col "$TMP/uac-$name.csv" 'Retransmissions(C)' 2>/dev/null || echo '?')
	echo "$name: caller exit $rc, successful $ok, failed $failed," \
	     "retransmissions $retr; callee exit $urc"
	if [ "$rc" -ne 0 ] || [ "$ok" != "$n" ] || [ "$failed" != 0 ] || [ "$urc" -ne 0 ]; then
		echo "FAIL: $name: expected $n successful calls and exit 0 on both sides"
		tail -n 20 "$TMP/uac-$name.log"
		if [ -s "$TMP/uac-$name.err" ]; then head -n 60 "$TMP/uac-$name.err"; fi
		if [ -s "$TMP/uas-$name.err" ]; then head -n 60 "$TMP/uas-$name.err"; fi
		STATUS=1
	fi
}

# LOSS [N [RATE]]: calls from alice to bob (uac_auth.xml, uas_rr.xml).
run_calls() {
	run_pair "loss$1" uas_rr.xml uac_auth.xml bob 127.0.0.1 5141 "${2:-$CALLS}" "${3:-$RATE}" "$1" \
		-key target "127.0.0.1:$PORT"
}

run_calls 0
timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" || vs_fail "voipshield stats failed"
fwd=$(awk '$1 == "proxy.requests_forwarded" { print $2 }' "$TMP/stats")
ch=$(awk '$1 == "auth.challenges" { print $2 }' "$TMP/stats")
echo "daemon: proxy.requests_forwarded $fwd, auth.challenges $ch"
# Per call: INVITE and BYE by transaction, the ACK for the 2xx statelessly.
if [ "${fwd:-0}" -lt $((CALLS * 3)) ] || [ "${ch:-0}" -lt "$CALLS" ]; then
	echo "FAIL: expected at least $((CALLS * 3)) forwarded requests and $CALLS challenges"
	STATUS=1
fi
# The same with 3% of the packets lost on each side (sipp -lost).
run_calls 3
timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" || vs_fail "voipshield stats failed"
awk '$1 ~ /^tsx\.(responses_resent|retransmissions_absorbed)$/ { print "daemon: " $0 }' "$TMP/stats"

# 1,000 calls through 50 relay sessions: ports are released after each.
created0=$(awk '$1 == "media.sessions_created" { print $2 }' "$TMP/stats")
run_calls 0 1000 100
sleep 0.5
timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" || vs_fail "voipshield stats failed"
media() { awk -v k="media.$1" '$1 == k { print $2 }' "$TMP/stats"; }
created=$(($(media sessions_created) - ${created0:-0}))
echo "media: $created sessions for 1000 calls; active $(media active_sessions)," \
     "ports in use $(media ports_in_use), full $(media full)"
if [ "$created" -ne 1000 ] || [ "$(media active_sessions)" != 0 ] ||
   [ "$(media ports_in_use)" != 0 ] || [ "$(media full)" != 0 ]; then
	echo "FAIL: expected a relay session per call and none, and no port, left after"
	STATUS=1
fi

# CANCEL before the answer, a busy callee, and a call to the trunk.
run_pair cancel uas_cancel.xml uac_cancel.xml bob 127.0.0.1 5141 "$CALLS" "$RATE" 0
run_pair busy uas_busy.xml uac_busy.xml bob 127.0.0.1 5141 "$CALLS" "$RATE" 0
run_pair route uas_rr.xml uac_auth.xml 9001 127.0.0.3 5143 "$CALLS" "$RATE" 0 -key target trunk.example

vs_stop_daemon
echo "daemon exit status $DRC"
if [ "$DRC" -ne 0 ]; then echo "FAIL: daemon exit status $DRC"; STATUS=1; fi
vs_check_sanitizers || STATUS=1
if [ $STATUS -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $STATUS
