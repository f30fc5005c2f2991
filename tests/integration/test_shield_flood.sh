#!/bin/sh
# test_shield_flood.sh - legitimate calls keep working while one source
# floods INVITEs and another floods REGISTERs (threat T2).
#
# bob registers from 127.0.0.3, where a SIPp callee answers; a SIPp caller
# on 127.0.0.2 places $CALLS authenticated calls to bob at $RATE calls/s.
# Meanwhile SIPp on 127.0.0.4 sends INVITEs and SIPp on 127.0.0.5
# REGISTERs at $FLOOD a second each, without waiting for answers.  At
# least 99% of the legitimate calls must succeed, both flooders must end
# up banned (voipshield ban list, shield.bans.rate_limit) and their later
# packets dropped before parsing (shield.banned_dropped); the daemon must
# stop cleanly with no sanitizer report.
#
# Loopback only: daemon on port 5250, callee 5251, caller 5252, flooders
# 5253 and 5254; every SIPp run is bounded by -m and timeout.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5250
CALLS=100
RATE=10
FLOOD=400
FLOOD_SECONDS=10

if ! command -v sipp >/dev/null 2>&1; then
	echo "SKIP: sipp is not installed (Debian package sip-tester)"
	exit 77
fi

TMP=$(mktemp -d /tmp/vs-flood.XXXXXX)
chmod 755 "$TMP"
DPID=
PIDS=

cleanup() {
	rc=$?
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	vs_kill_daemon
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

CONF="$TMP/voipshield.conf"
cat >"$CONF" <<CONFEND
$(vs_server_conf tests/integration/test_shield_flood.sh)
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp" ]; } );
# SIPp 3.6 computes MD5 digests only: offer MD5 first.
auth = { algorithms = [ "MD5", "SHA-256" ]; };
# A caller at $RATE calls/s sends 2 INVITEs a call (one challenged).
shield = {
  rate = { invite = { rate = 30; burst = 60; }; register = { rate = 10; burst = 40; }; };
  ban = { rate_excess = 100; };
};
CONFEND

printf 'alice-secret-1\n' | "$VS_BIN" -c "$CONF" user add alice >/dev/null ||
	{ echo "FAIL: user add alice"; exit 1; }
printf 'bob-secret-22\n' | "$VS_BIN" -c "$CONF" user add bob >/dev/null ||
	{ echo "FAIL: user add bob"; exit 1; }

DERR="$TMP/daemon.err"
"$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!
vs_wait_started "$CONF"

python3 -c "
import sys
sys.path.insert(0, '$HERE')
from sipua import UA, status
ua = UA('127.0.0.1', $PORT, local_port=5251, host='127.0.0.3')
r, _ = ua.register('bob', 'bob-secret-22', 'example.test',
                   contact='<sip:bob@127.0.0.3:5251>', expires=300)
ua.close()
sys.exit(0 if status(r) == 200 else 1)
" || vs_fail "bob could not register"

stat_col() {
	awk -F';' -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		END { if (c) print $c; else print "?" }' "$1"
}
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/stats"; }

(cd "$TMP" && exec timeout 120 sipp -sf "$HERE/sipp/uas_rr.xml" -m $CALLS \
	-i 127.0.0.3 -p 5251 -nostdin -trace_err -error_file "$TMP/uas.err" \
	</dev/null >"$TMP/uas.log" 2>&1) &
UAS=$!
PIDS="$UAS"
sleep 0.5
# The floods start first and run while the calls are placed.
FN=$((FLOOD * FLOOD_SECONDS))
(cd "$TMP" && exec timeout 60 sipp "127.0.0.1:$PORT" -sf "$HERE/sipp/flood_invite.xml" \
	-m $FN -r $FLOOD -i 127.0.0.4 -p 5253 -nostdin \
	</dev/null >"$TMP/flood_inv.log" 2>&1) &
F1=$!
(cd "$TMP" && exec timeout 60 sipp "127.0.0.1:$PORT" -sf "$HERE/sipp/flood_register.xml" \
	-m $FN -r $FLOOD -i 127.0.0.5 -p 5254 -nostdin \
	</dev/null >"$TMP/flood_reg.log" 2>&1) &
F2=$!
PIDS="$PIDS $F1 $F2"
sleep 1
rc=0
(cd "$TMP" && timeout 120 sipp "127.0.0.1:$PORT" -sf "$HERE/sipp/uac_auth.xml" \
	-s bob -key target "127.0.0.1:$PORT" -m $CALLS -r $RATE -l 20 -timeout 100s -timeout_error -nostdin \
	-i 127.0.0.2 -p 5252 -trace_stat -stf "$TMP/uac.csv" -fd 1 \
	-trace_err -error_file "$TMP/uac.err" \
	</dev/null >"$TMP/uac.log" 2>&1) || rc=$?
wait "$F1" 2>/dev/null || true
wait "$F2" 2>/dev/null || true
wait "$UAS" 2>/dev/null || true
PIDS=

STATUS=0
ok=$(stat_col "$TMP/uac.csv" 'SuccessfulCall(C)' 2>/dev/null || echo 0)
failed=$(stat_col "$TMP/uac.csv" 'FailedCall(C)' 2>/dev/null || echo '?')
echo "legitimate calls: $ok of $CALLS successful, $failed failed (caller exit $rc)"
if [ "${ok:-0}" -lt $((CALLS * 99 / 100)) ]; then
	echo "FAIL: fewer than 99% of the legitimate calls succeeded during the floods"
	tail -n 20 "$TMP/uac.log"
	[ -s "$TMP/uac.err" ] && head -n 40 "$TMP/uac.err"
	STATUS=1
fi

timeout 10 "$VS_BIN" -c "$CONF" ban list >"$TMP/bans" 2>&1 || true
timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" || vs_fail "voipshield stats failed"
echo "bans:"; sed 's/^/  /' "$TMP/bans"
for k in shield.rate_limited shield.bans.rate_limit shield.banned_dropped rx.udp; do
	echo "daemon: $k $(stat_of $k)"
done
for src in 127.0.0.4 127.0.0.5; do
	if ! grep -q "^$src rate_limit" "$TMP/bans"; then
		echo "FAIL: the flooder $src is not banned for rate_limit"
		STATUS=1
	fi
done
if grep -q "^127.0.0.2 \|^127.0.0.3 " "$TMP/bans"; then
	echo "FAIL: a legitimate phone was banned"
	STATUS=1
fi
dropped=$(stat_of shield.banned_dropped)
# Nearly all of the 2 x $FN flood packets arrive after the bans.
if [ "${dropped:-0}" -lt "$FN" ]; then
	echo "FAIL: expected at least $FN packets dropped as banned, got ${dropped:-0}"
	STATUS=1
fi

vs_stop_daemon
echo "daemon exit status $DRC"
if [ "$DRC" -ne 0 ]; then echo "FAIL: daemon exit status $DRC"; STATUS=1; fi
vs_check_sanitizers || STATUS=1
if [ $STATUS -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $STATUS
