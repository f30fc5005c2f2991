#!/bin/sh
# test_sipvicious.sh - SIPVicious 0.3.3 (Debian package sipvicious) against
# the shield (threats T3, T4): svmap, svwar and svcrack find nothing and
# are banned.
#
# Phase 1, default settings: the tools send their own User-Agent
# (friendly-scanner), so each is recognised on its first request, gets no
# answer and its address is banned as a scanner: svmap finds no device,
# svwar (REGISTER and INVITE) no extension although its dictionary holds
# real users first, svcrack no password although its dictionary holds
# alice's (40th).
# Phase 2, the User-Agent list emptied (a scanner in disguise):
#  - svwar gives up: an unknown extension gets the same challenge as a
#    real one; forced (--force, REGISTER and INVITE), it probes a real user
#    (alice; 100) and gets the same status line as for its random unknown
#    name, so it reports nothing (the enumeration ban needs 12 names and
#    svwar stops at the first identical answer: test_shield.py covers it);
#  - svcrack with bob's password first in its list finds it (control: the
#    attack works against this daemon when it is not stopped), then svcrack
#    on alice, whose password is 40th after 39 wrong ones, is banned for
#    failed logins after about ten guesses and never reaches it.
#
# Every attack comes from its own source address.  svmap honours -b;
# svwar and svcrack 0.3.3 never pass -b on to their socket (they bind the
# wildcard address), so the namespace's route to 127.0.0.1 gets that
# address as preferred source before each of them instead.
#
# Every tool also has its own source port (-P, 5241-5249; the default
# 5060 would be shared): svwar's ACK to a 407 carries a new branch, so the
# daemon rightly keeps retransmitting the 407 until Timer H, and a later
# tool on the same port (any 127.x is local) would take those for its own.
#
# The daemon (port 5240) and every tool run in a network namespace of
# their own with only loopback up; every tool is bounded by timeout.
# Needs root and sipvicious; exits 77 without them.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5240

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to create a network namespace (ip netns)"
	exit 77
fi
for t in ip timeout svmap svwar svcrack; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "SKIP: $t is not installed (Debian packages iproute2, coreutils, sipvicious)"
		exit 77
	fi
done

NS="vs-svv-$$"
TMP=$(mktemp -d /tmp/vs-svv.XXXXXX)
chmod 755 "$TMP"
DPID=
NS_MADE=
cleanup() {
	rc=$?
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
IN="ip netns exec $NS"

# Send what follows to the daemon (127.0.0.1) from $1: the preferred
# source of the local route, for the tools that cannot bind an address.
from() {
	$IN ip route replace local 127.0.0.1 dev lo table local proto kernel \
		scope host src "$1"
}


# Dictionaries.  Extensions: the real users first (a forced svwar stops at
# the first answer like an unknown user's), then unknown ones.  Passwords:
# 39 wrong ones, alice's 40th, a few more.
{
	printf '%s\n' alice bob 100 101
	seq 102 130
	printf '%s\n' carol dave admin 200 201
} >"$TMP/users.txt"
{
	printf '%s\n' 123456 password 1234 12345 alice 1111 0000 secret \
		qwerty letmein 123123 admin changeme voip sip 1000 100 abc123 \
		passw0rd welcome
	for i in $(seq 1 19); do echo "alice-$i"; done
	echo alice-secret-1
	printf '%s\n' alice-secret-2 111111 654321
} >"$TMP/passwords.txt"
printf '%s\n' bob-secret-1 123456 password >"$TMP/bob-passwords.txt"

DERR="$TMP/daemon.err"
CONF="$TMP/voipshield.conf"
write_conf() { # $1: extra shield settings
	cat >"$CONF" <<CONFEND
$(vs_server_conf tests/integration/test_sipvicious.sh)
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp", "tcp" ]; } );
auth = { realm = "example.test"; algorithms = [ "MD5", "SHA-256" ]; };
shield = { ban = { time = 300; }; $1 };
CONFEND
}
vs() { timeout 10 "$VS_BIN" -c "$CONF" "$@"; }
start() {
	$IN "$VS_BIN" -c "$CONF" 2>>"$DERR" &
	DPID=$!
	vs_wait_started "$CONF"
}
stat_of() { vs stats | awk -v k="$1" '$1 == k { print $2 }'; }
# ban list lines: "ADDRESS REASON N s left, ..."
banned() { vs ban list | grep -q "^$1 ${2:+$2 }"; }
# svwar and svcrack print what they found as a table, else "found nothing".
rows() { grep -E "^\| *($2) *\|" "$1" >/dev/null 2>&1; }
nothing() { grep -q "WARNING:root:found nothing" "$1" && ! rows "$1" '[^ |]+ *\| *[^ |]+'; }
events() { grep -c "$1" "$TMP/state/voipshield-events.log" 2>/dev/null || true; }

write_conf ""
for u in alice bob 100 101; do
	printf '%s-secret-1\n' "$u" | "$VS_BIN" -c "$CONF" user add "$u" >/dev/null ||
		{ echo "FAIL: user add $u"; exit 1; }
done

# --- phase 1: the scanners as they come ---------------------------------------
start
$IN timeout 30 svmap -b 127.0.0.21 -P 5241 -p $PORT 127.0.0.1 >"$TMP/svmap.out" 2>&1 || true
check "svmap finds no SIP device" \
	"grep -q 'found nothing' '$TMP/svmap.out' && ! grep -q '127.0.0.1:$PORT' '$TMP/svmap.out'"
check "svmap's address (127.0.0.21) is banned as a scanner" "banned 127.0.0.21 scanner"

from 127.0.0.22
$IN timeout 30 svwar -P 5242 -p $PORT -d "$TMP/users.txt" --domain example.test 127.0.0.1 \
	>"$TMP/svwar-register.out" 2>&1 || true
check "svwar (REGISTER) finds no extension" "nothing '$TMP/svwar-register.out'"
check "svwar's address (127.0.0.22) is banned as a scanner" "banned 127.0.0.22 scanner"

from 127.0.0.23
$IN timeout 30 svwar -m INVITE -P 5243 -p $PORT -e 100-130 --domain example.test 127.0.0.1 \
	>"$TMP/svwar-invite.out" 2>&1 || true
check "svwar (INVITE) finds no extension" "nothing '$TMP/svwar-invite.out'"
check "svwar's address (127.0.0.23) is banned as a scanner" "banned 127.0.0.23 scanner"

from 127.0.0.24
$IN timeout 45 svcrack -P 5244 -p $PORT -u alice -d "$TMP/passwords.txt" --domain example.test 127.0.0.1 \
	>"$TMP/svcrack.out" 2>&1 || true
check "svcrack does not find alice's password" \
	"! grep -q 'alice-secret-1' '$TMP/svcrack.out' && nothing '$TMP/svcrack.out'"
check "svcrack's address (127.0.0.24) is banned as a scanner" "banned 127.0.0.24 scanner"

sc=$(stat_of shield.bans.scanner)
check "stats: shield.bans.scanner = ${sc:-none} (>= 4)" '[ "${sc:-0}" -ge 4 ]'
fs=$(events '"event":"scanner".*friendly-scanner')
check "scanner events name the User-Agent friendly-scanner ($fs)" '[ "${fs:-0}" -ge 4 ]'
vs_stop_daemon
check "the daemon stops cleanly (phase 1)" '[ "$DRC" -eq 0 ]'

# --- phase 2: scanners in disguise (no User-Agent list) -------------------------
write_conf "scanners = [ ];"
start

from 127.0.0.31
$IN timeout 30 svwar -P 5245 -p $PORT -d "$TMP/users.txt" --domain example.test 127.0.0.1 \
	>"$TMP/svwar2.out" 2>&1 || true
check "disguised svwar finds no extension" "nothing '$TMP/svwar2.out'"
check "disguised svwar gives up: an unknown extension is challenged like a real one" \
	"grep -q 'authentication request for an unknown extension' '$TMP/svwar2.out'"

# Forced, svwar learns the answer to a random (unknown) name and reports
# every user answered otherwise; it stops at the first answer alike.
from 127.0.0.32
$IN timeout 30 svwar --force -P 5246 -p $PORT -d "$TMP/users.txt" --domain example.test 127.0.0.1 \
	>"$TMP/svwar2-force-register.out" 2>&1 || true
check "svwar --force (REGISTER) finds nothing" "nothing '$TMP/svwar2-force-register.out'"
check "svwar --force got for alice the 401 an unknown name gets" \
	"grep -q \"unknown response\" '$TMP/svwar2-force-register.out' &&
	 grep -q \"Response: 'SIP/2.0 401 .*<sip:alice@example.test>\" '$TMP/svwar2-force-register.out'"

from 127.0.0.33
$IN timeout 30 svwar --force -m INVITE -P 5247 -p $PORT -e 100-130 --domain example.test 127.0.0.1 \
	>"$TMP/svwar2-force-invite.out" 2>&1 || true
check "svwar --force (INVITE) finds nothing" "nothing '$TMP/svwar2-force-invite.out'"
check "svwar --force got for 100 the 407 an unknown name gets" \
	"grep -q \"Response: 'SIP/2.0 407 .*<sip:100@example.test>\" '$TMP/svwar2-force-invite.out'"

from 127.0.0.34
$IN timeout 45 svcrack -P 5248 -p $PORT -u bob -d "$TMP/bob-passwords.txt" --domain example.test 127.0.0.1 \
	>"$TMP/svcrack2-control.out" 2>&1 || true
check "control: svcrack finds bob's password when it is the first it tries" \
	"rows '$TMP/svcrack2-control.out' 'bob *\\| *bob-secret-1'"

failed0=$(stat_of auth.failed)
from 127.0.0.35
$IN timeout 45 svcrack -P 5249 -p $PORT -u alice -d "$TMP/passwords.txt" --domain example.test 127.0.0.1 \
	>"$TMP/svcrack2.out" 2>&1 || true
failed=$(( $(stat_of auth.failed) - ${failed0:-0} ))
check "disguised svcrack does not find alice's password (40th in its list)" \
	"! grep -q 'alice-secret-1' '$TMP/svcrack2.out' && nothing '$TMP/svcrack2.out'"
check "disguised svcrack's address (127.0.0.35) is banned for failed logins" \
	"banned 127.0.0.35 auth_failures"
check "it was stopped after $failed failed logins (>= 1, < 39)" \
	'[ "$failed" -ge 1 ] && [ "$failed" -lt 39 ]'
af=$(stat_of shield.bans.auth_failures)
dr=$(stat_of shield.banned_dropped)
check "stats: shield.bans.auth_failures = ${af:-none} (>= 1), shield.banned_dropped = ${dr:-none} (>= 1)" \
	'[ "${af:-0}" -ge 1 ] && [ "${dr:-0}" -ge 1 ]'
check "the failed logins are security events" \
	"[ \"\$(events '\"event\":\"auth_failed\",\"source\":\"127.0.0.35\"')\" -ge 1 ]"
check "the disguised svwar runs were not banned (nothing to ban them for)" \
	"! banned 127.0.0.31 && ! banned 127.0.0.32 && ! banned 127.0.0.33"
vs_stop_daemon
check "the daemon stops cleanly (phase 2)" '[ "$DRC" -eq 0 ]'
check "no sanitizer reports" 'vs_check_sanitizers >/dev/null'

if [ "$FAIL" -ne 0 ]; then
	for f in svmap svwar-register svwar-invite svcrack svwar2 svwar2-force-register \
		svwar2-force-invite svcrack2-control svcrack2; do
		echo "--- $f"
		tail -n 15 "$TMP/$f.out"
	done
	echo "--- events"
	tail -n 20 "$TMP/state/voipshield-events.log" 2>/dev/null || true
	echo "--- daemon"
	tail -n 20 "$DERR"
fi
echo "sipvicious: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
