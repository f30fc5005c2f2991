#!/bin/bash
# Authenticated REGISTER: VoIPShield against Kamailio 5.6 as a registrar
# with a persistent location table, same machine, same run, same offered
# rates.
#
#   VoIPShield: one worker (plus its store writer thread), domain
#     bench.test, registrar defaults, MD5 digest only (SIPp 3.6 computes no
#     other algorithm), users imported with `voipshield user import`; every
#     binding is committed to its SQLite store before the 200 OK.
#   Kamailio:   children=1, UDP only, auth_db with HA1 stored
#     (calculate_ha1 0) in a db_sqlite subscriber table, the same users,
#     usrloc with db_mode 1 (write-through: every save() writes the
#     location table in SQLite before the 200) in the same kind of
#     database file on the same file system; qop=auth and nonce-count
#     checking on, as VoIPShield does.
#
# Both servers on CPU 0, the load (SIPp, bench/sipp/register_auth.xml) on
# CPU 1, all on loopback.  One "call" is REGISTER, 401, REGISTER with
# credentials, 200.  Before the timed steps every user the steps use is
# registered once, so the timed steps measure steady-state refreshes of
# existing bindings (SIPp's fixed port makes the Contact the same).
#
# For each offered rate, REPEAT times, each server in turn:
#   - SIPp offers RATE registrations/s for SECONDS (-m bounded); the
#     server's CPU time (utime+stime of all its threads, or of all Kamailio
#     processes, from /proc) over the step divided by SIPp's
#     SuccessfulCall count gives CPU µs per successful registration;
#     failed calls and retransmissions are counted;
#   - a microsecond prober (python, open loop, same rate, SECONDS/2) gives
#     latency percentiles from the first REGISTER to the 200 (SIPp's own
#     response times come in whole milliseconds).
# Medians over the repeats are printed, with the ratio Kamailio/VoIPShield.
#
# Then memory: for each N in MEM_USERS, both servers restarted with no
# bindings, N users registered once at MEM_RATE/s, and the growth of
# resident memory per binding (RSS, PSS summed over Kamailio's processes,
# and the allocator's own count: VoIPShield's memory.heap_bytes, Kamailio's
# shared memory real_used), read 35 s later, when VoIPShield's transactions
# (kept 64 x T1 = 32 s after their answer) are gone.
#
#   bench/register_vs_kamailio.sh BUILD_DIR [RATES] [SECONDS] [REPEAT] [MEM_USERS]
#   e.g. bench/register_vs_kamailio.sh build "200 500 1000" 10 3 "10000 100000"
#   memory only: bench/register_vs_kamailio.sh build "" 10 1 "10000 100000"
#
# Environment:
#   MEM_RATE=1000     registrations/s for the memory runs
#   KAM_DB_MODE=1     usrloc db_mode; 0 = Kamailio keeps bindings in memory
#                     only (favours Kamailio; printed in the header)
#   KAM_TM=0          1 = Kamailio handles REGISTER statefully (t_newtran),
#                     as VoIPShield does; 0 = statelessly, as its default
#                     configuration does (favours Kamailio)
#   STORE_PARENT=     directory for both servers' SQLite files (default: the
#                     temporary directory under /tmp); e.g. /dev/shm makes
#                     fsync free for both (see docs/benchmarks.md)
set -eu
build=${1:-build}
rates=${2-"200 500 1000"}
secs=${3:-10}
repeat=${4:-3}
mem_users=${5-"10000"}
mem_rate=${MEM_RATE:-1000}
kam_db_mode=${KAM_DB_MODE:-1}
kam_tm=${KAM_TM:-0}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "$build" && pwd)/voipshield
VS_PORT=5180
KAM_PORT=5190
VS_LOAD_PORT=5181    # SIPp's and the prober's local port towards each server
KAM_LOAD_PORT=5191
SERVER_CPU=0
LOAD_CPU=1
REALM=bench.test
hz=$(getconf CLK_TCK)

for tool in sipp kamailio kamcmd taskset timeout python3 sqlite3; do
  command -v $tool >/dev/null || { echo "needs $tool (scripts/deps.sh bench)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "no $bin: build first (make -C $build voipshield)" >&2; exit 1; }
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so ] ||
  { echo "needs kamailio-sqlite-modules (scripts/deps.sh bench)" >&2; exit 1; }
case "$kam_db_mode" in 0|1) ;; *) echo "KAM_DB_MODE must be 0 or 1" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/vs-bench-reg-XXXXXX)
chmod 755 "$work"
if [ -n "${STORE_PARENT:-}" ]; then
  store=$(mktemp -d "$STORE_PARENT/vs-bench-reg-store-XXXXXX")
else
  store="$work/store"; mkdir "$store"
fi
chmod 755 "$store"
vs_pid=""
kam_main=""
cleanup() {
  [ -n "$vs_pid" ] && kill "$vs_pid" 2>/dev/null || true
  [ -n "$kam_main" ] && kill "$kam_main" 2>/dev/null || true
  # SIPp and the prober run under timeout(1) in the foreground; a leftover
  # Kamailio child (its main process gone) is found by its config path.
  pkill -f "kamailio -f $work/kamailio.cfg" 2>/dev/null || true
  sleep 0.5
  rm -rf "$work"
  [ "$store" != "$work/store" ] && rm -rf "$store"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Users: user00000...; the number the steps and the memory runs need.
users=0
for r in $rates; do [ $((r * secs)) -gt $users ] && users=$((r * secs)); done
for n in $mem_users; do [ "$n" -gt $users ] && users=$n; done
step_users=0
for r in $rates; do [ $((r * secs)) -gt $step_users ] && step_users=$((r * secs)); done

echo "# preparing $users users (VoIPShield CSV import, Kamailio db_sqlite subscriber table with HA1)"
sqlite3 "$store/kamailio.db" "PRAGMA journal_mode=WAL;" >/dev/null
cat /usr/share/kamailio/db_sqlite/standard-create.sql /usr/share/kamailio/db_sqlite/auth_db-create.sql \
    /usr/share/kamailio/db_sqlite/usrloc-create.sql | sqlite3 "$store/kamailio.db"
python3 - "$work" "$store/kamailio.db" "$users" "$REALM" <<'PY'
import hashlib, sqlite3, sys
work, db, n, realm = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = []
with open(work + "/users.csv", "w") as c, open(work + "/users.inf", "w") as inf:
    c.write("user,password\n")
    inf.write("SEQUENTIAL\n")
    for i in range(n):
        u = "user%05d" % i
        pw = "pw-" + hashlib.sha256(b"bench" + u.encode()).hexdigest()[:12]
        c.write("%s,%s\n" % (u, pw))
        # SIPp 3.6 ends a keyword at its first "]": the field holds it whole.
        inf.write("%s;[authentication username=%s password=%s]\n" % (u, u, pw))
        ha1 = hashlib.md5(("%s:%s:%s" % (u, realm, pw)).encode()).hexdigest()
        ha1b = hashlib.md5(("%s@%s:%s:%s" % (u, realm, realm, pw)).encode()).hexdigest()
        rows.append((u, realm, "", ha1, ha1b))
con = sqlite3.connect(db)
con.executemany("INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?,?,?,?,?)", rows)
con.commit()
con.close()
PY

# The latency prober: open loop at a fixed rate, REGISTER, 401, REGISTER
# with MD5 credentials (qop=auth), 200; prints
# "ok offered p50_us p90_us p99_us max_us" (time from the first REGISTER
# sent to the 200 received).
cat >"$work/reg_rtt.py" <<'PY'
import hashlib, os, select, socket, sys, time
host, port, lport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate, count, csv = float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
users = []
with open(csv) as f:
    next(f)
    for line in f:
        u, pw = line.rstrip("\n").split(",", 1)
        users.append((u, pw))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("127.0.0.1", lport))
s.setblocking(False)
dst = (host, port)
tag = "%x" % os.getpid()
md5 = lambda t: hashlib.md5(t.encode()).hexdigest()

def register(u, cid, cseq, auth=""):
    return ("REGISTER sip:bench.test SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s.%d;rport\r\n"
            "From: <sip:%s@bench.test>;tag=%s\r\n"
            "To: <sip:%s@bench.test>\r\n"
            "Call-ID: %s\r\nCSeq: %d REGISTER\r\n"
            "Contact: <sip:%s@127.0.0.1:%d>\r\nExpires: 3600\r\n%s"
            "Max-Forwards: 70\r\nUser-Agent: bench prober\r\nContent-Length: 0\r\n\r\n"
            % (lport, cid, cseq, u, tag, u, cid, cseq, u, lport, auth)).encode()

def param(h, name):
    i = h.find(name + "=")
    if i < 0:
        return None
    v = h[i + len(name) + 1:]
    if v.startswith('"'):
        return v[1:v.index('"', 1)]
    return v.split(",")[0].strip()

pending, lat = {}, []
fails = 0
interval = 1e9 / rate
t0 = time.monotonic_ns() + 10_000_000
i = 0
last_send = t0
while True:
    now = time.monotonic_ns()
    while i < count and now >= t0 + i * interval:
        u, pw = users[i % len(users)]
        cid = "%s-%d" % (tag, i)
        pending[cid] = [time.monotonic_ns(), u, pw]
        s.sendto(register(u, cid, 1), dst)
        last_send = now
        i += 1
    if i >= count and (not pending or now > last_send + 2_000_000_000):
        break
    wait = (t0 + i * interval - now) / 1e9 if i < count else 0.05
    r, _, _ = select.select([s], [], [], max(wait, 0))
    while r:
        try:
            data = s.recv(65535)
        except BlockingIOError:
            break
        t = time.monotonic_ns()
        text = data.decode("latin-1")
        head, _, _ = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        try:
            code = int(lines[0].split()[1])
        except (IndexError, ValueError):
            continue
        hdr = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            hdr.setdefault(k.strip().lower(), v.strip())
        cid = hdr.get("call-id") or hdr.get("i")
        p = pending.get(cid)
        if p is None or code < 200:
            continue
        cseq = int(hdr.get("cseq", "0").split()[0])
        if code == 401 and cseq == 1:
            ch = hdr.get("www-authenticate", "")
            realm, nonce, opaque = param(ch, "realm"), param(ch, "nonce"), param(ch, "opaque")
            cnonce = "%08x" % (hash(cid) & 0xffffffff)
            ha1 = md5("%s:%s:%s" % (p[1], realm, p[2]))
            ha2 = md5("REGISTER:sip:bench.test")
            resp = md5("%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, ha2))
            auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="sip:bench.test", '
                    'response="%s", algorithm=MD5, cnonce="%s", qop=auth, nc=00000001%s\r\n'
                    % (p[1], realm, nonce, resp, cnonce, ', opaque="%s"' % opaque if opaque else ""))
            s.sendto(register(p[1], cid, 2, auth), dst)
        elif code == 200 and cseq == 2:
            lat.append((t - p[0]) / 1000.0)
            del pending[cid]
        else:
            fails += 1
            del pending[cid]
lat.sort()
def pct(q):
    return "%.0f" % lat[max(0, min(len(lat) - 1, int(q * len(lat) + 0.999999) - 1))] if lat else "-"
print(len(lat), count, pct(0.5), pct(0.9), pct(0.99), "%.0f" % lat[-1] if lat else "-")
PY

user_line='user = "";'
if [ "$(id -u)" -eq 0 ]; then
  if id voipshield >/dev/null 2>&1; then user_line='user = "voipshield";'; else user_line='user = ""; allow_root = true;'; fi
fi
# registrar defaults (max_bindings 100000 unless more users are asked for);
# transactions.max raised so that registering at MEM_RATE for minutes
# (two transactions a registration, each kept 32 s) never fills the table.
reg_line=""
[ "$users" -gt 100000 ] && reg_line="registrar = { max_bindings = $users; };"
cat >"$work/vs.conf" <<CONF
server = { $user_line state_dir = "$store/vs-state"; workers = 1; domains = [ "$REALM" ]; };
log = { level = "warning"; };
listen = ( { address = "127.0.0.1"; port = $VS_PORT; transports = [ "udp" ]; } );
auth = { algorithms = [ "MD5" ]; };
transactions = { max = 262144; };
$reg_line
# The shield on (as pike is on for Kamailio), with budgets far above the
# benchmark's single source.
shield = { rate = { register = { rate = 1000000; burst = 1000000; };
                    invite = { rate = 1000000; burst = 1000000; };
                    other = { rate = 1000000; burst = 1000000; }; }; };
CONF
vs_import() { "$bin" --config "$work/vs.conf" user import "$work/users.csv" >/dev/null; }
vs_import

kam_stateful=""
[ "$kam_tm" = 1 ] && kam_stateful='t_newtran();'
cat >"$work/kamailio.cfg" <<CONF
#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:$KAM_PORT
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "db_sqlite.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:$work/kam.ctl")
modparam("usrloc", "db_url", "sqlite:///$store/kamailio.db")
modparam("usrloc", "db_mode", $kam_db_mode)
# 2^16 slots, like VoIPShield's table sized for 100,000 bindings.
modparam("usrloc", "hash_size", 16)
modparam("auth_db", "db_url", "sqlite:///$store/kamailio.db")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth", "secret", "benchmark-secret-0123456789")
modparam("auth", "nonce_count", 1)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (method != "REGISTER") { sl_send_reply("404", "Not Found"); exit; }
  $kam_stateful
  # flag 1: the authenticated user must be the To user, as VoIPShield checks.
  if (!auth_check("$REALM", "subscriber", "1")) { auth_challenge("$REALM", "1"); exit; }
  if (!save("location")) { sl_reply_error(); }
  exit;
}
CONF
kamailio -c -f "$work/kamailio.cfg" >"$work/kam-check.log" 2>&1 || { cat "$work/kam-check.log"; exit 1; }

kam_pids() { pgrep -f "kamailio -f $work/kamailio.cfg" | tr '\n' ' '; }
vs_stat() { "$bin" --config "$work/vs.conf" stats 2>/dev/null | awk -v k="$1" '$1 == k {print $2}'; }
kam_shm_used() { kamcmd -s "unix:$work/kam.ctl" core.shmmem 2>/dev/null | awk '$1 == "real_used:" {print $2}'; }
udp_drops() {
  awk -v port="$(printf ':%04X' "$1")" '$2 ~ port"$" {d += $NF} END {print d + 0}' /proc/net/udp
}

start_vs() {
  taskset -c $SERVER_CPU "$bin" --config "$work/vs.conf" 2>>"$work/vs.log" &
  vs_pid=$!
  sleep 1
  kill -0 $vs_pid 2>/dev/null || { cat "$work/vs.log"; exit 1; }
}
stop_vs() {
  kill "$vs_pid" 2>/dev/null || true
  wait "$vs_pid" 2>/dev/null || true
  vs_pid=""
}
start_kam() {
  taskset -c $SERVER_CPU kamailio -f "$work/kamailio.cfg" -P "$work/kam.pid" -Y "$work" -w "$work" \
    -DD -E -m 512 -M 64 >>"$work/kam.log" 2>&1 &
  kam_main=$!
  sleep 2
  [ -n "$(kam_pids)" ] || { cat "$work/kam.log"; exit 1; }
}
stop_kam() {
  kill "$kam_main" 2>/dev/null || true
  wait "$kam_main" 2>/dev/null || true
  for _ in $(seq 50); do [ -z "$(kam_pids)" ] && break; sleep 0.2; done
  kam_main=""
}

csv_col() {
  awk -F';' -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i} END{print (c ? $c : 0) + 0}' "$1"
}
# sipp_reg PORT LOCAL_PORT RATE N DIR: SIPp on the load CPU, bounded in
# calls (-m) and in time (timeout); stats in DIR.
sipp_reg() {
  local port=$1 lport=$2 rate=$3 n=$4 dir=$5
  (cd "$dir" && timeout $((n / rate * 3 + 30)) taskset -c $LOAD_CPU sipp -nostdin -i 127.0.0.1 -p "$lport" \
     -sf "$here/sipp/register_auth.xml" -inf "$work/users.inf" -m "$n" -r "$rate" -l $((rate * 2)) \
     -recv_timeout 4000 -trace_stat -fd 1 -trace_rtt -rtt_freq 1 127.0.0.1:"$port" >/dev/null 2>&1) || true
}
# "ok failed retrans sipp_p99_ms" from SIPp's files in DIR.
sipp_result() {
  local f
  f=$(ls "$1"/*_.csv 2>/dev/null | head -1)
  if [ -z "$f" ]; then echo "0 0 0 -"; return; fi
  echo "$(csv_col "$f" 'SuccessfulCall(C)') $(csv_col "$f" 'FailedCall(C)') $(csv_col "$f" 'Retransmissions(C)')" \
    "$(cat "$1"/*_rtt.csv 2>/dev/null | awk -F';' '$2 ~ /^[0-9.]+$/ {print $2}' | sort -g |
       awk '{a[NR]=$1} END{ if (NR == 0) print "-"; else { i = int(NR * 0.99 + 0.999999); print a[i] } }')"
}

# One step: prints "ok offered failed retrans cpu_us p50 p90 p99 max drops sipp_p99_ms".
reg_step() {
  local port=$1 lport=$2 rate=$3; shift 3
  local n=$((rate * secs)) dir before after ok failed retr sp99 us drops0 rtt
  dir=$(mktemp -d "$work/step-XXXX")
  drops0=$(udp_drops "$port")
  before=$(cpu_ticks "$@")
  sipp_reg "$port" "$lport" "$rate" "$n" "$dir"
  after=$(cpu_ticks "$@")
  read -r ok failed retr sp99 < <(sipp_result "$dir")
  us="-"
  [ "$ok" -gt 0 ] && us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$ok" 'BEGIN{printf "%.1f", t * 1e6 / hz / n}')
  rtt=$(timeout $((secs * 2 + 20)) taskset -c $LOAD_CPU python3 "$work/reg_rtt.py" 127.0.0.1 "$port" "$lport" \
        "$rate" $((rate * secs / 2)) "$work/users.csv" | awk '{print $3, $4, $5, $6}') || true
  [ -n "$rtt" ] || rtt="- - - -"
  echo "$ok $n $failed $retr $us $rtt $(( $(udp_drops "$port") - drops0 )) $sp99"
  rm -rf "$dir"
}

median() { sort -g | awk '{a[NR]=$1} END{if(NR==0)print "-"; else print a[int((NR+1)/2)]}'; }
col() { awk -v c="$2" '{print $c}' "$1" | median; }
colmax() { awk -v c="$2" '{print $c}' "$1" | sort -g | tail -1; }

durability="usrloc db_mode 1 (write-through to SQLite)"
[ "$kam_db_mode" = 0 ] && durability="usrloc db_mode 0: Kamailio keeps bindings in MEMORY ONLY (favours Kamailio)"
statefulness="REGISTER handled statelessly (Kamailio's default configuration; VoIPShield keeps a transaction 32 s)"
[ "$kam_tm" = 1 ] && statefulness="REGISTER handled statefully (t_newtran), like VoIPShield"
echo "# authenticated REGISTER: VoIPShield $("$bin" --version | awk '{print $2}') vs $(kamailio -v | head -1 | awk '{print $2, $3}'); nproc=$(nproc); $(sipp -v 2>&1 | awk '/SIPp v/ {print $1, $2}')"
echo "# servers on CPU $SERVER_CPU (VoIPShield: 1 worker + store writer; Kamailio: children=1), load on CPU $LOAD_CPU; loopback"
echo "# MD5 digest only (auth.algorithms = [\"MD5\"]): SIPp 3.6 computes no other"
echo "# VoIPShield: binding committed to SQLite (WAL, synchronous=NORMAL) before the 200"
echo "# Kamailio: auth_db on db_sqlite (HA1 stored), $durability, SQLite WAL with its default synchronous=FULL; $statefulness"
echo "# stores in $(df --output=fstype "$store" | tail -1) ($store)"
echo "# ${secs}s per step, median of $repeat; cpu_us = server CPU per successful registration; latency (us) from the prober at the same rate for $((secs / 2))s"

start_vs
start_kam

if [ -n "$rates" ]; then
  # Register every user the steps use once, so that the steps refresh.
  echo "# registering users 0..$((step_users - 1)) once on each server (untimed)"
  d=$(mktemp -d "$work/warm-XXXX")
  sipp_reg $VS_PORT $VS_LOAD_PORT "$mem_rate" "$step_users" "$d"; read -r w_vs _ < <(sipp_result "$d"); rm -f "$d"/*
  sipp_reg $KAM_PORT $KAM_LOAD_PORT "$mem_rate" "$step_users" "$d"; read -r w_kam _ < <(sipp_result "$d"); rm -rf "$d"
  echo "# registered: VoIPShield $w_vs, Kamailio $w_kam of $step_users"
  vs_stats0=$("$bin" --config "$work/vs.conf" stats 2>/dev/null || true)

  echo
  printf "%-6s | %-12s %6s %6s %8s %7s %7s %7s %7s | %-12s %6s %6s %8s %7s %7s %7s %7s | %s\n" \
    rate vs_ok/offer failed retr cpu_us p50_us p90_us p99_us max_us \
    kam_ok/offer failed retr cpu_us p50_us p90_us p99_us max_us "cpu kam/vs"
  for rate in $rates; do
    : >"$work/vs.res"; : >"$work/kam.res"
    for _ in $(seq "$repeat"); do
      reg_step $VS_PORT $VS_LOAD_PORT "$rate" "$vs_pid" >>"$work/vs.res"
      reg_step $KAM_PORT $KAM_LOAD_PORT "$rate" $(kam_pids) >>"$work/kam.res"
    done
    cat "$work/vs.res" >>"$work/vs.all"; cat "$work/kam.res" >>"$work/kam.all"
    vs_us=$(col "$work/vs.res" 5); kam_us=$(col "$work/kam.res" 5)
    printf "%-6s | %-12s %6s %6s %8s %7s %7s %7s %7s | %-12s %6s %6s %8s %7s %7s %7s %7s | %s\n" "$rate" \
      "$(col "$work/vs.res" 1)/$(col "$work/vs.res" 2)" "$(col "$work/vs.res" 3)" "$(col "$work/vs.res" 4)" "$vs_us" \
      "$(col "$work/vs.res" 6)" "$(col "$work/vs.res" 7)" "$(col "$work/vs.res" 8)" "$(col "$work/vs.res" 9)" \
      "$(col "$work/kam.res" 1)/$(col "$work/kam.res" 2)" "$(col "$work/kam.res" 3)" "$(col "$work/kam.res" 4)" "$kam_us" \
      "$(col "$work/kam.res" 6)" "$(col "$work/kam.res" 7)" "$(col "$work/kam.res" 8)" "$(col "$work/kam.res" 9)" \
      "$(awk -v a="$kam_us" -v b="$vs_us" 'BEGIN{ if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')"
  done
  echo "# every run: ok offered failed retrans cpu_us p50 p90 p99 max drops sipp_p99_ms"
  awk '{print "#   VoIPShield:", $0}' "$work/vs.all"
  awk '{print "#   Kamailio:  ", $0}' "$work/kam.all"
  # What VoIPShield counted over the steps, where it is not what a clean
  # run gives.
  vs_stats1=$("$bin" --config "$work/vs.conf" stats 2>/dev/null || true)
  echo "# VoIPShield counters over the steps (non-zero problems only):"
  join <(echo "$vs_stats0" | sort) <(echo "$vs_stats1" | sort) |
    awk '$1 ~ /^(auth\.(failed|stale_nonce|replayed|identity_mismatch)|registrar\.(refused|store_errors)|tsx\.(table_full|unanswered|retransmissions_absorbed|other_worker)|tx\.errors|drop\.|parse_error\.)/ && $3 - $2 > 0 {printf "#   %s +%d\n", $1, $3 - $2; n++} END {if (!n) print "#   none"}'
fi

if [ -n "$mem_users" ]; then
  echo
  echo "# memory: fresh servers without bindings, N users registered once at ${mem_rate}/s, read 35 s later"
  echo "# per binding = growth / registered; RSS and PSS (PSS summed over Kamailio's processes counts its shared memory once);"
  echo "# heap = VoIPShield memory.heap_bytes (malloc in use), Kamailio shared memory real_used (usrloc keeps bindings there)"
  echo "# cpu_us = CPU per successful first registration (a new binding) during that run"
  printf "%-8s %-10s | %-14s %8s %8s %8s %8s | %s\n" server N registered cpu_us rss_B pss_B heap_B "RSS MB before -> after"
  for n in $mem_users; do
    stop_vs; stop_kam
    rm -rf "$store/vs-state"; vs_import
    sqlite3 "$store/kamailio.db" "DELETE FROM location;"
    start_vs; start_kam
    sleep 2
    read -r vs_rss0 vs_pss0 < <(mem_kb "$vs_pid"); vs_heap0=$(vs_stat memory.heap_bytes)
    read -r kam_rss0 kam_pss0 < <(mem_kb $(kam_pids)); kam_heap0=$(kam_shm_used)
    d=$(mktemp -d "$work/mem-XXXX")
    c0=$(cpu_ticks "$vs_pid")
    sipp_reg $VS_PORT $VS_LOAD_PORT "$mem_rate" "$n" "$d"
    c1=$(cpu_ticks "$vs_pid")
    read -r vs_ok vs_fail _ < <(sipp_result "$d"); rm -f "$d"/*
    vs_cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$vs_ok" 'BEGIN{ if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }')
    c0=$(cpu_ticks $(kam_pids))
    sipp_reg $KAM_PORT $KAM_LOAD_PORT "$mem_rate" "$n" "$d"
    c1=$(cpu_ticks $(kam_pids))
    read -r kam_ok kam_fail _ < <(sipp_result "$d"); rm -rf "$d"
    kam_cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$kam_ok" 'BEGIN{ if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }')
    sleep 35
    read -r vs_rss1 vs_pss1 < <(mem_kb "$vs_pid"); vs_heap1=$(vs_stat memory.heap_bytes)
    read -r kam_rss1 kam_pss1 < <(mem_kb $(kam_pids)); kam_heap1=$(kam_shm_used)
    vs_db=$(sqlite3 "$store/vs-state/voipshield.db" "SELECT count(*) FROM bindings" 2>/dev/null || echo "?")
    kam_db=$(sqlite3 "$store/kamailio.db" "SELECT count(*) FROM location" 2>/dev/null || echo "?")
    per() { awk -v a="$1" -v b="$2" -v k="$3" -v n="$4" 'BEGIN{ if (n > 0 && a != "" && b != "") printf "%.0f", (b - a) * k / n; else print "-" }'; }
    printf "%-8s %-10s | %-14s %8s %8s %8s %8s | %.1f -> %.1f  (failed %s, rows in SQLite %s)\n" VoIPShield "$n" "$vs_ok/$n" "$vs_cpu" \
      "$(per "$vs_rss0" "$vs_rss1" 1024 "$vs_ok")" "$(per "$vs_pss0" "$vs_pss1" 1024 "$vs_ok")" "$(per "$vs_heap0" "$vs_heap1" 1 "$vs_ok")" \
      "$(awk -v k="$vs_rss0" 'BEGIN{print k / 1024}')" "$(awk -v k="$vs_rss1" 'BEGIN{print k / 1024}')" "$vs_fail" "$vs_db"
    printf "%-8s %-10s | %-14s %8s %8s %8s %8s | %.1f -> %.1f  (failed %s, rows in SQLite %s, %d processes)\n" Kamailio "$n" "$kam_ok/$n" "$kam_cpu" \
      "$(per "$kam_rss0" "$kam_rss1" 1024 "$kam_ok")" "$(per "$kam_pss0" "$kam_pss1" 1024 "$kam_ok")" "$(per "$kam_heap0" "$kam_heap1" 1 "$kam_ok")" \
      "$(awk -v k="$kam_rss0" 'BEGIN{print k / 1024}')" "$(awk -v k="$kam_rss1" 'BEGIN{print k / 1024}')" "$kam_fail" "$kam_db" "$(kam_pids | wc -w)"
  done
fi

echo
echo "# VoIPShield log, warnings and errors (running-as-root notice left out), by count:"
if grep -v 'running as root' "$work/vs.log" >"$work/vs.problems"; then
  sed -E 's/^[^ ]+ [^ ]+ //' "$work/vs.problems" | sort | uniq -c | sort -rn | head -10 | sed 's/^/#   /'
else
  echo "#   none"
fi
echo "# Kamailio log, errors and warnings, by count:"
if grep -E 'ERROR|WARNING' "$work/kam.log" >"$work/kam.problems"; then
  sed -E 's/^ *[0-9]+\([0-9]+\) //' "$work/kam.problems" | sort | uniq -c | sort -rn | head -10 | sed 's/^/#   /'
else
  echo "#   none"
fi
