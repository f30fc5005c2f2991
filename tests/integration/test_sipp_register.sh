#!/bin/sh
# test_sipp_register.sh - many users register with SIPp (digest auth).
#
# $USERS users are imported from CSV; SIPp registers every one of them
# (sipp/register_auth.xml with an injection file: REGISTER, 401, REGISTER
# with MD5 credentials, 200).  All must succeed, and the store must hold
# one binding per user.  Then the daemon is killed with SIGKILL and
# started again: it must load every binding.  SIPp then replays
# credentials (sipp/register_replay.xml: Authorization lines that a SIPp
# run sent, captured with -trace_msg, sent again word for word in new
# REGISTERs, each must get 401) and waits out a nonce
# (sipp/register_stale.xml: 401 with stale=true, then 200 with the new
# one).  The same users with wrong passwords must get a fresh 401 every
# time (sipp/register_wrong.xml), and nothing is stored for them.  Then
# every user unregisters (Expires: 0) and the store is empty again.
# Finally the daemon must stop on SIGTERM with status 0 and no sanitizer
# report.
#
# Loopback only: daemon on port 5175, SIPp on 5176.  Needs sipp (Debian
# package sip-tester) and sqlite3; exits 77 without them.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5175
USERS=200
RATE=100

for tool in sipp sqlite3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

TMP=$(mktemp -d /tmp/vs-sippreg.XXXXXX)
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

CONF="$TMP/voipshield.conf"
cat >"$CONF" <<CONFEND
$(vs_server_conf tests/integration/test_sipp_register.sh)
# The shield (rate limits, bans) is tested in test_shield*; this test sends
# bursts from one address on purpose.
shield = { enabled = false; };
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp" ]; } );
# SIPp 3.6 computes MD5 digests only; nonces expire after 10 s (the
# stale-nonce step waits 11 s).
auth = { algorithms = [ "MD5" ]; nonce_lifetime = 10; };
CONFEND

# Users u0000..: CSV for the import, injection files for SIPp.
i=0
echo "user,password" >"$TMP/users.csv"
echo "SEQUENTIAL" >"$TMP/good.inf"
echo "SEQUENTIAL" >"$TMP/wrong.inf"
echo "SEQUENTIAL" >"$TMP/gone.inf"
while [ $i -lt $USERS ]; do
	u=$(printf 'u%04d' $i)
	echo "$u,pw-$u-secret" >>"$TMP/users.csv"
	echo "$u;[authentication username=$u password=pw-$u-secret];300" >>"$TMP/good.inf"
	echo "$u;[authentication username=$u password=not-the-password];300" >>"$TMP/wrong.inf"
	echo "$u;[authentication username=$u password=pw-$u-secret];0" >>"$TMP/gone.inf"
	i=$((i + 1))
done
"$VS_BIN" -c "$CONF" user import "$TMP/users.csv" >/dev/null ||
	{ echo "FAIL: user import"; exit 1; }

DERR="$TMP/daemon.err"
"$VS_BIN" -c "$CONF" 2>"$DERR" &
DPID=$!
vs_wait_started "$CONF"

stat_col() {
	awk -F';' -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		END { if (c) print $c; else print "?" }' "$1"
}


# name, scenario, injection file[, count]: count (default $USERS)
# registrations, all must succeed.
run_sipp() {
	name=$1
	n=${4:-$USERS}
	rc=0
	(cd "$TMP" && timeout 90 sipp "127.0.0.1:$PORT" -sf "$HERE/sipp/$2" \
		-inf "$TMP/$3" -m "$n" -r $RATE -l 50 -timeout 60s \
		-timeout_error -nostdin -i 127.0.0.1 -p 5176 \
		-trace_stat -stf "$TMP/$name.csv" -fd 1 \
		-trace_err -error_file "$TMP/$name.err" ${SIPP_EXTRA:-} \
		</dev/null >"$TMP/$name.log" 2>&1) || rc=$?
	ok=$(stat_col "$TMP/$name.csv" 'SuccessfulCall(C)' 2>/dev/null || echo '?')
	failed=$(stat_col "$TMP/$name.csv" 'FailedCall(C)' 2>/dev/null || echo '?')
	echo "sipp $name: exit $rc, successful $ok, failed $failed"
	if [ "$rc" -ne 0 ] && [ -s "$TMP/$name.err" ]; then
		head -n 30 "$TMP/$name.err"
	fi
	[ "$rc" -eq 0 ] && [ "$ok" = "$n" ] && [ "$failed" = 0 ]
}

bindings() {
	sqlite3 "$TMP/state/voipshield.db" "SELECT count(*) FROM bindings" 2>/dev/null || echo '?'
}

check "$USERS users register with their passwords (SIPp, injection file)" \
	'run_sipp good register_auth.xml good.inf'
check "the store holds one binding per user" '[ "$(bindings)" = "$USERS" ]'

# kill -9, then a new daemon on the same state: every binding is back.
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
"$VS_BIN" -c "$CONF" 2>>"$DERR" &
DPID=$!
vs_wait_started "$CONF"
check "after kill -9 and a restart every binding is loaded" \
	'grep -q "store: $USERS registrations loaded" "$DERR"'
# Replayed credentials: 20 users register once more with SIPp, whose
# messages are kept; then each of their Authorization lines is sent again,
# word for word, in a new REGISTER (sipp/register_replay.xml).
check "20 users register again, their messages kept" \
	'SIPP_EXTRA="-trace_msg -message_file $TMP/sent.log" run_sipp again register_auth.xml good.inf 20'
echo "SEQUENTIAL" >"$TMP/replay.inf"
grep -o '^ *Authorization: Digest username="[^"]*".*' "$TMP/sent.log" | sed 's/^ *//' | tr -d '\r' |
	sed 's/^\(Authorization: Digest username="\([^"]*\)".*\)$/\2;\1/' >>"$TMP/replay.inf"
replays0=$(timeout 10 "$VS_BIN" -c "$CONF" stats | awk '$1 == "auth.replayed" { print $2 }')
check "the 20 Authorization lines sent again word for word each get 401" \
	'[ "$(grep -c ";" "$TMP/replay.inf")" = 20 ] && run_sipp replay register_replay.xml replay.inf 20'
replays=$(timeout 10 "$VS_BIN" -c "$CONF" stats | awk '$1 == "auth.replayed" { print $2 }')
check "... counted as replays (auth.replayed $replays0 -> $replays)" \
	'[ "$((replays - replays0))" -eq 20 ]'
check "an expired nonce gets 401 with stale=true, the new one 200" \
	'run_sipp stale register_stale.xml good.inf 10'
check "with wrong passwords every user gets a fresh 401" \
	'run_sipp wrong register_wrong.xml wrong.inf'
check "wrong passwords changed nothing in the store" '[ "$(bindings)" = "$USERS" ]'
check "every user unregisters (Expires: 0)" \
	'run_sipp gone register_auth.xml gone.inf'
check "the store is empty again" '[ "$(bindings)" = 0 ]'

timeout 10 "$VS_BIN" -c "$CONF" stats >"$TMP/stats" || vs_fail "voipshield stats failed"
awk '$1 ~ /^(auth|registrar)\./ && $2 != 0 { print "daemon: " $0 }' "$TMP/stats"
failed_auth=$(awk '$1 == "auth.failed" { print $2 }' "$TMP/stats")
check "the wrong passwords are counted ($failed_auth)" '[ "${failed_auth:-0}" -ge "$USERS" ]'

vs_stop_daemon
check "SIGTERM: exit status 0" '[ "$DRC" -eq 0 ]'
check "no sanitizer reports" 'vs_check_sanitizers >/dev/null'
echo "sipp_register: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
