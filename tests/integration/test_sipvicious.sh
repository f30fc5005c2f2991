#!/bin/sh
# test_sipvicious.sh - SIPVicious (Debian package sipvicious) against the
# shield (threats T3, T4).
#
# Phase 1, default settings: svmap, svwar and svcrack send their own
# User-Agent (friendly-scanner): each is recognised on its first request,
# gets no answer and its address is banned; svwar finds no extension and
# svcrack no password although both dictionaries hold real ones.
# Phase 2, the User-Agent list emptied (a scanner in disguise): svwar still
# finds no extension (existing and unknown users get the same challenge),
# svcrack does not find alice's password (40th in its dictionary) and its
# address is banned for failed logins; svwar --force finds nothing either
# (the enumeration ban itself is tested in test_shield.py).
#
# Every tool and the daemon run in a network namespace of their own with
# only loopback up, each tool bounded by timeout.  svmap binds its own
# source address (127.0.0.21); svwar and svcrack send from 127.0.0.1
# whatever -b says, so that address is unbanned (`ban del`) between them.
# Needs root and sipvicious; exits 77 without them.
set -eu

: "${VS_BIN:?VS_BIN must name the voipshield binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/daemon_lib.sh"
PORT=5240

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (network namespace)"; exit 77; fi
for t in ip svmap svwar svcrack; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t is not installed (Debian packages iproute2, sipvicious)"; exit 77; }
done

NS=vs-svv-$$
TMP=$(mktemp -d /tmp/vs-svv.XXXXXX)
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
check() { if eval "$2"; then echo "ok   - $1"; PASS=$((PASS + 1)); else echo "FAIL - $1"; FAIL=$((FAIL + 1)); fi; }

# Dictionaries: extensions with real users among them; passwords with
# alice's at position 40.
{ for i in $(seq 100 130); do echo $i; done; echo alice; echo bob; echo 200; echo 201; } >"$TMP/users.txt"
{ for i in $(seq 1 39); do echo "guess-$i"; done; echo alice-secret-1; } >"$TMP/passwords.txt"

DERR="$TMP/daemon.err"
write_conf() { # extra shield settings
	cat >"$TMP/vs.conf" <<CONFEND
server = { $(vs_user_conf) state_dir = "$TMP/state"; workers = 2; domains = [ "example.test" ]; };
log = { level = "info"; target = "stderr"; };
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp", "tcp" ]; } );
auth = { realm = "example.test"; algorithms = [ "MD5", "SHA-256" ]; };
shield = { ban = { time = 300; }; $1 };
CONFEND
}
start() {
	$IN "$VS_BIN" -c "$TMP/vs.conf" 2>>"$DERR" &
	DPID=$!
	i=0
	until timeout 5 "$VS_BIN" -c "$TMP/vs.conf" stats >/dev/null 2>&1; do
		vs_alive || vs_fail "daemon exited during start-up"
		[ $i -lt 100 ] || vs_fail "no control socket after 10 s"
		sleep 0.1
		i=$((i + 1))
	done
}
stat_of() { "$VS_BIN" -c "$TMP/vs.conf" stats | awk -v k="$1" '$1 == k { print $2 }'; }
banned() { "$VS_BIN" -c "$TMP/vs.conf" ban list | grep -q "^$1 $2"; }
# svwar/svcrack print a table of what they found; "found" rows hold the
# extension or password.
found() { grep -E "^\| *($2) *\|" "$1" >/dev/null 2>&1; }

write_conf ""
for u in alice bob 200 201; do
	printf '%s-secret-1\n' "$u" | "$VS_BIN" -c "$TMP/vs.conf" user add "$u" >/dev/null ||
		{ echo "FAIL: user add $u"; exit 1; }
done
start

# --- phase 1: the scanners as they come ---------------------------------------
$IN timeout 60 svmap -b 127.0.0.21 -p $PORT 127.0.0.1 >"$TMP/svmap.out" 2>&1 || true
check "svmap finds no SIP device" "! grep -q '127.0.0.1:$PORT' '$TMP/svmap.out'"
check "svmap's address is banned as a scanner" "banned 127.0.0.21 scanner"
unban() { "$VS_BIN" -c "$TMP/vs.conf" ban del 127.0.0.1 >/dev/null 2>&1 || true; }
$IN timeout 90 svwar -p $PORT -d "$TMP/users.txt" --domain example.test 127.0.0.1 >"$TMP/svwar1.out" 2>&1 || true
check "svwar finds no extension" "! found '$TMP/svwar1.out' 'alice|bob|200|201|1[0-3][0-9]'"
check "svwar's address is banned as a scanner" "banned 127.0.0.1 scanner"
unban
$IN timeout 90 svcrack -p $PORT -u alice -d "$TMP/passwords.txt" --domain example.test 127.0.0.1 >"$TMP/svcrack1.out" 2>&1 || true
check "svcrack does not find alice's password" "! grep -q 'alice-secret-1' '$TMP/svcrack1.out'"
check "svcrack's address is banned as a scanner" "banned 127.0.0.1 scanner"
unban
check "stats count the scanners" "[ \"\$(stat_of shield.bans.scanner)\" -ge 3 ]"
vs_stop_daemon
check "the daemon stops cleanly (phase 1)" "[ '$DRC' -eq 0 ]"

# --- phase 2: scanners in disguise (no User-Agent list) -------------------------
write_conf "scanners = [ ];"
start
$IN timeout 90 svwar -p $PORT -d "$TMP/users.txt" --domain example.test 127.0.0.1 >"$TMP/svwar2.out" 2>&1 || true
check "disguised svwar finds no extension (same answer for every user)" "! found '$TMP/svwar2.out' 'alice|bob|200|201|1[0-3][0-9]'"
check "disguised svwar gives up: every user gets the same challenge" "grep -q 'authentication request for an unknown extension' '$TMP/svwar2.out'"
unban
$IN timeout 120 svcrack -p $PORT -u alice -d "$TMP/passwords.txt" --domain example.test 127.0.0.1 >"$TMP/svcrack2.out" 2>&1 || true
check "disguised svcrack does not find alice's password (40th in its list)" "! grep -q 'alice-secret-1' '$TMP/svcrack2.out'"
check "disguised svcrack's address is banned for failed logins" "banned 127.0.0.1 auth_failures"
check "the failed logins are security events" "grep -q '\"event\":\"auth_failed\"' '$TMP/state/voipshield-events.log'"
unban
$IN timeout 90 svwar --force -p $PORT -d "$TMP/users.txt" --domain example.test 127.0.0.1 >"$TMP/svwar3.out" 2>&1 || true
check "svwar --force (asking anyway) finds nothing either" "! found '$TMP/svwar3.out' 'alice|bob|200|201|1[0-3][0-9]' && grep -q 'found nothing' '$TMP/svwar3.out'"
vs_stop_daemon
check "the daemon stops cleanly (phase 2)" "[ '$DRC' -eq 0 ]"
vs_check_sanitizers || FAIL=$((FAIL + 1))
if [ "$FAIL" -ne 0 ]; then
	for f in svmap svwar1 svcrack1 svwar2 svcrack2 svwar3; do echo "--- $f"; tail -n 15 "$TMP/$f.out"; done
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
