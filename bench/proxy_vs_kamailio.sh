#!/bin/bash
# Authenticated REGISTERs and calls: VoIPShield against Kamailio doing the
# same work (tm, sl, rr, registrar, usrloc in memory, auth_db with the
# same users and HA1s, pike on), same machine, same run, same offered
# rates.  Each server runs on CPU 0 with one worker (Kamailio: children=1);
# SIPp runs on CPU 1.
#
#   REGISTER: REGISTER, 401, REGISTER with MD5 credentials, 200, for
#             USERS users in turn (SIPp injection file).
#   call:     INVITE, 407, ACK, INVITE with credentials, 100, 180, 200,
#             ACK, BYE, 200 through the proxy to a registered SIPp callee.
#
# For each workload and offered rate: successful operations (of those
# offered), the server's CPU time per successful operation (utime+stime of
# all its threads / processes from /proc, before and after), and SIPp's
# response-time percentiles (first request to the 200, from -trace_rtt).
# Each step runs REPEAT times; medians are printed, then ratios.  At the
# end: resident memory of each server with USERS registered users.
#
# Then the rates at which 99.9% of authenticated REGISTERs and calls
# succeed.  SIPp, computing an MD5 digest per request on its core,
# saturates before either server, so these steps use generators in C:
#   REGISTER: bench/tls_load in its UDP mode (regudp, 200 sockets, one
#     transaction at a time on each; each user keeps its nonce and counts
#     nc up, as a phone refreshing its registration does, so most
#     REGISTERs are answered 200 at once) at RATE99 per second (default
#     "2000 4000 8000 16000"); a REGISTER unanswered in 4 s fails;
#   calls: bench/call_load (200 caller sockets and one registered callee
#     in one process, the call above) at CALL99 per second (default "1000
#     2000 4000 8000"); a call not ended 8 s after its INVITE fails.
# Why a generator failed calls (the status code, or no answer) goes to
# standard error.  RATE99="" or CALL99="" skips a table.
#
#   bench/proxy_vs_kamailio.sh BUILD_DIR [REG_RATES] [CALL_RATES] [SECONDS] [REPEAT] [USERS]
#   e.g. bench/proxy_vs_kamailio.sh build "200 500 1000" "50 100 200" 10 3 10000
#   memory only, 100,000 users: bench/proxy_vs_kamailio.sh build "" "" 10 1 100000
#
# VoIPShield offers MD5 only here: SIPp 3.6 cannot compute SHA-256.
# Kamailio keeps registrations in memory only (usrloc db_mode 0), as the
# issue asks; VoIPShield also writes each one to SQLite before its 200.
set -eu
build=${1:-build}
reg_rates=${2-"200 500 1000"}
call_rates=${3-"50 100 200"}
secs=${4:-10}
repeat=${5:-3}
users=${6:-10000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "$build" && pwd)/voipshield
load=$(cd "$build" && pwd)/bench/tls_load
call_load=$(cd "$build" && pwd)/bench/call_load
rate99=${RATE99-"2000 4000 8000 16000"}
call99=${CALL99-"1000 2000 4000 8000"}
work=$(mktemp -d /tmp/vs-bench-proxy-XXXXXX)
chmod 755 "$work"
VS_PORT=5200
KAM_PORT=5210
SERVER_CPU=0
LOAD_CPU=1
hz=$(getconf CLK_TCK)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  pkill -f "kamailio -f $work/kamailio.cfg" 2>/dev/null || true
  pkill -f "sipp.*$work" 2>/dev/null || true
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

for tool in sipp kamailio taskset; do
  command -v $tool >/dev/null || { echo "needs $tool (scripts/deps.sh bench)"; exit 1; }
done

user_line='user = "";'
if [ "$(id -u)" -eq 0 ]; then
  if id voipshield >/dev/null 2>&1; then user_line='user = "voipshield";'; else user_line='user = ""; allow_root = true;'; fi
fi

# Users: u00000..; the callee "uas".  CSV for VoIPShield, db_text for
# Kamailio (HA1 precomputed, calculate_ha1 off), SIPp injection files.
echo "# preparing $users users"
mkdir -p "$work/dbtext"
printf 'table_name(str) table_version(int)\nsubscriber:7\n' >"$work/dbtext/version"
python3 - "$work" "$users" <<'PY'
import hashlib, sys
work, n = sys.argv[1], int(sys.argv[2])
users = ["u%05d" % i for i in range(n)] + ["uas"]
with open(work + "/users.csv", "w") as c, open(work + "/dbtext/subscriber", "w") as s, \
     open(work + "/reg.inf", "w") as r, open(work + "/call.inf", "w") as k:
    c.write("user,password\n")
    s.write("id(int,auto) username(str) domain(str) password(str) ha1(str) ha1b(str)\n")
    r.write("SEQUENTIAL\n")
    k.write("SEQUENTIAL\n")
    for i, u in enumerate(users):
        pw = "pw-%s-x" % u
        ha1 = hashlib.md5(("%s:bench.test:%s" % (u, pw)).encode()).hexdigest()
        c.write("%s,%s\n" % (u, pw))
        s.write("%d:%s:bench.test:%s:%s:%s\n" % (i + 1, u, pw, ha1, ha1))
        if u != "uas":
            auth = "[authentication username=%s password=%s]" % (u, pw)
            r.write("%s;%s\n" % (u, auth))
            k.write("%s;%s\n" % (u, auth))
    open(work + "/uas.inf", "w").write(
        "SEQUENTIAL\nuas;[authentication username=uas password=pw-uas-x]\n")
PY

cat >"$work/vs.conf" <<CONF
server = { $user_line state_dir = "$work/vs-state"; workers = 1; domains = [ "bench.test" ]; };
log = { level = "warning"; };
listen = ( { address = "127.0.0.1"; port = $VS_PORT; transports = [ "udp" ]; } );
auth = { algorithms = [ "MD5" ]; nonce_count_table = 262144; };
registrar = { max_bindings = 1000000; max_expires = 7200; };
# Room for every transaction of the highest rates: a UDP transaction stays
# 64 x T1 (32 s) after its answer (RFC 3261 timer J, RFC 6026 Accepted),
# so 16,000 REGISTERs/s keep about 512,000 open and 8,000 calls/s (four
# transactions of 32 s each) about 1,000,000.  Kamailio frees its own
# after 5 s (tm wt_timer).
transactions = { max = 4194304; };
# The shield on (as pike is on for Kamailio), with budgets far above the
# benchmark's single source, which is also never banned: thousands of
# users challenged in a second from one address is what an enumerator
# looks like.
shield = { rate = { register = { rate = 1000000; burst = 1000000; };
                    invite = { rate = 1000000; burst = 1000000; };
                    other = { rate = 1000000; burst = 1000000; }; };
           never_ban = [ "127.0.0.1" ]; };
CONF
"$bin" --config "$work/vs.conf" user import "$work/users.csv" >/dev/null

cat >"$work/kamailio.cfg" <<CONF
#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:$KAM_PORT
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "db_text.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "pike.so"
modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "text://$work/dbtext")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth", "secret", "benchmark-secret")
# pike on, with a density high enough for the benchmark's single source.
modparam("pike", "sampling_time_unit", 2)
modparam("pike", "reqs_density_per_unit", 1000000)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (!pike_check_req()) { exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  t_check_trans();
  if (is_method("REGISTER")) {
    if (!www_authorize("bench.test", "subscriber")) { www_challenge("bench.test", "1"); exit; }
    save("location");
    exit;
  }
  if (!proxy_authorize("bench.test", "subscriber")) { proxy_challenge("bench.test", "1"); exit; }
  consume_credentials();
  record_route();
  if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
  t_relay();
}
CONF

kam_pids() { pgrep -f "kamailio -f $work/kamailio.cfg" | tr '\n' ' '; }

start_vs() {
  taskset -c $SERVER_CPU "$bin" --config "$work/vs.conf" 2>"$work/vs.log" &
  pids+=($!)
  vs_pid=$!
  sleep 1
  kill -0 $vs_pid || { cat "$work/vs.log"; exit 1; }
}
start_kam() {
  taskset -c $SERVER_CPU kamailio -f "$work/kamailio.cfg" -P "$work/kam.pid" -Y "$work" -w "$work" -DD -E -m 512 -M 64 >"$work/kam.log" 2>&1 &
  pids+=($!)
  sleep 2
  [ -n "$(kam_pids)" ] || { cat "$work/kam.log"; exit 1; }
}

# sipp_run DIR ARGS...: SIPp on the load CPU, bounded in time.
sipp_run() {
  local dir=$1; shift
  (cd "$dir" && timeout $((secs * 4 + 30)) taskset -c $LOAD_CPU sipp -nostdin \
     -i 127.0.0.1 -trace_stat -fd 1 -trace_rtt -rtt_freq 1 "$@" >/dev/null 2>&1) || true
}

# One REGISTER step: prints "ok/offered cpu_us p50_ms p99_ms".
reg_step() {
  local port=$1 rate=$2; shift 2
  local n=$((rate * secs)) dir before after ok
  [ $n -gt "$users" ] && n=$users
  dir=$(mktemp -d "$work/reg-XXXX")
  before=$(cpu_ticks "$@")
  sipp_run "$dir" -sf "$here/sipp/reg_auth.xml" -inf "$work/reg.inf" -m $n -r "$rate" \
    -l $((rate * 2)) -recv_timeout 4000 -p 0 127.0.0.1:$port
  after=$(cpu_ticks "$@")
  ok=$(csv_col "$(ls "$dir"/*_.csv | head -1)" 'SuccessfulCall(C)')
  local us="-"
  [ "$ok" -gt 0 ] && us=$(awk -v t=$((after - before)) -v hz=$hz -v n=$ok 'BEGIN{printf "%.1f", t * 1e6 / hz / n}')
  echo "$ok/$n $us $(rtt_pcts "$dir")"
  rm -rf "$dir"
}

# Register the callee from its own port, then keep a SIPp callee there.
start_uas() {
  local port=$1 uport=$2 n=$3 dir
  dir=$(mktemp -d "$work/uasreg-XXXX")
  (cd "$dir" && timeout 20 sipp -nostdin -i 127.0.0.1 -p "$uport" -sf "$here/sipp/reg_auth.xml" \
     -inf "$work/uas.inf" -m 1 127.0.0.1:$port >/dev/null 2>&1) || true
  (cd "$dir" && exec timeout $((secs * 4 + 30)) taskset -c $LOAD_CPU sipp -nostdin -i 127.0.0.1 \
     -p "$uport" -sf "$here/sipp/call_uas.xml" -m "$n" >/dev/null 2>&1) &
  uas_pid=$!
  sleep 0.3
}

# One call step: prints "ok/offered cpu_us p50_ms p99_ms".
call_step() {
  local port=$1 uport=$2 rate=$3; shift 3
  local n=$((rate * secs)) dir before after ok
  start_uas "$port" "$uport" $n
  dir=$(mktemp -d "$work/call-XXXX")
  before=$(cpu_ticks "$@")
  sipp_run "$dir" -sf "$here/sipp/call_uac.xml" -inf "$work/call.inf" -s uas -m $n -r "$rate" \
    -l $((rate * 4)) -recv_timeout 8000 -p 0 127.0.0.1:$port
  after=$(cpu_ticks "$@")
  wait "$uas_pid" 2>/dev/null || true
  ok=$(csv_col "$(ls "$dir"/*_.csv | head -1)" 'SuccessfulCall(C)')
  local us="-"
  [ "$ok" -gt 0 ] && us=$(awk -v t=$((after - before)) -v hz=$hz -v n=$ok 'BEGIN{printf "%.1f", t * 1e6 / hz / n}')
  echo "$ok/$n $us $(rtt_pcts "$dir")"
  rm -rf "$dir"
}

# One step of a C generator (reg: tls_load regudp; call: call_load):
# prints "ok/offered cpu_us p50_ms p99_ms"; "rate ok offered" also goes to
# $work/r99.$kind.$name for the 99.9% summary.
gen99_step() {
  local kind=$1 name=$2 port=$3 rate=$4; shift 4
  local n out okn before after us="-" cmd
  n=$((rate * secs))
  wait_idle "$vs_pid" $(kam_pids) # the other server may still drain a backlog
  if [ "$kind" = reg ]; then
    cmd=(env TLS_LOAD_USER=u TLS_LOAD_PASS_SUFFIX=-x "$load" regudp "$port" 200 "$rate" "$secs" "$users")
  else
    cmd=("$call_load" "$port" 200 "$rate" "$secs" "$users" $((port + 1)))
  fi
  before=$(cpu_ticks "$@")
  out=$(timeout $((secs + 60)) taskset -c $LOAD_CPU "${cmd[@]}" 2>"$work/gen.err" | grep '^RESULT' || true)
  after=$(cpu_ticks "$@")
  grep 'failed' "$work/gen.err" | sed "s/^/# $name $rate\/s: /" >&2 || true
  okn=$(echo "$out" | sed -n 's/.*ok=\([0-9]*\).*/\1/p'); okn=${okn:-0}
  [ "$okn" -gt 0 ] && us=$(awk -v t=$((after - before)) -v hz=$hz -v n=$okn 'BEGIN{printf "%.1f", t * 1e6 / hz / n}')
  echo "$rate $okn $n" >>"$work/r99.$kind.$name"
  echo "$okn/$n $us $(echo "$out" | awk '{for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.2f %.2f", v["p50_us"] / 1000, v["p99_us"] / 1000 }')"
}

col() { awk -v c=$2 '{print $c}' "$1" | median; }
ok_of() { awk '{split($1, a, "/"); print a[1]}' "$1" | median; }
offered_of() { awk '{split($1, a, "/"); print a[2]}' "$1" | head -1; }

echo "# VoIPShield $("$bin" --version | awk '{print $2}') vs $(kamailio -v | head -1 | awk '{print $2, $3}'); nproc=$(nproc)"
echo "# server on CPU $SERVER_CPU (1 worker / children=1), SIPp on CPU $LOAD_CPU; ${secs}s per step, median of $repeat"
echo "# cpu_us: server CPU time per successful operation; p50/p99: SIPp response time in ms (first request to 200)"
start_vs
start_kam

table() {
  local name=$1 rates=$2 fn=$3
  echo
  echo "== $name =="
  printf "%-6s | %-12s %8s %8s %8s | %-12s %8s %8s %8s | %s\n" rate vs_ok vs_cpu_us p50_ms p99_ms kam_ok kam_cpu_us p50_ms p99_ms "cpu kam/vs"
  for rate in $rates; do
    : >"$work/vs.res"; : >"$work/kam.res"
    for i in $(seq "$repeat"); do
      $fn vs "$rate" >>"$work/vs.res"
      $fn kam "$rate" >>"$work/kam.res"
    done
    local vs_us kam_us
    vs_us=$(col "$work/vs.res" 2); kam_us=$(col "$work/kam.res" 2)
    printf "%-6s | %-12s %8s %8s %8s | %-12s %8s %8s %8s | %s\n" "$rate" \
      "$(ok_of "$work/vs.res")/$(offered_of "$work/vs.res")" "$vs_us" "$(col "$work/vs.res" 3)" "$(col "$work/vs.res" 4)" \
      "$(ok_of "$work/kam.res")/$(offered_of "$work/kam.res")" "$kam_us" "$(col "$work/kam.res" 3)" "$(col "$work/kam.res" 4)" \
      "$(awk -v a="$kam_us" -v b="$vs_us" 'BEGIN{ if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')"
  done
}
reg() { if [ "$1" = vs ]; then reg_step $VS_PORT "$2" "$vs_pid"; else reg_step $KAM_PORT "$2" $(kam_pids); fi; }
call() { if [ "$1" = vs ]; then call_step $VS_PORT 5201 "$2" "$vs_pid"; else call_step $KAM_PORT 5211 "$2" $(kam_pids); fi; }

table "authenticated REGISTER (401, then 200)" "$reg_rates" reg
table "authenticated calls (407, INVITE..BYE)" "$call_rates" call
gen99() {
  local kind=$1; shift
  if [ "$1" = vs ]; then gen99_step "$kind" vs $VS_PORT "$2" "$vs_pid"; else gen99_step "$kind" kam $KAM_PORT "$2" $(kam_pids); fi
}
reg99() { gen99 reg "$@"; }
call99() { gen99 call "$@"; }
# The highest offered rate of $2 with a median of 99.9% successful, per server.
best99() {
  local kind=$1 rates=$2 what=$3 name best med rate
  echo
  for name in vs kam; do
    best=
    for rate in $rates; do
      med=$(awk -v r="$rate" '$1 == r {print $2}' "$work/r99.$kind.$name" | median)
      awk -v m="$med" -v n=$((rate * secs)) 'BEGIN { exit !(m >= 0.999 * n) }' && best=$rate
    done
    echo "highest offered $what rate with 99.9% success, $name: ${best:-none of those offered}/s"
  done
}
if [ -n "$rate99" ]; then
  table "authenticated REGISTER, C generator (tls_load regudp, nonce kept per user)" "$rate99" reg99
  best99 reg "$rate99" REGISTER
fi
if [ -n "$call99" ]; then
  table "authenticated calls, C generator (call_load: 407, INVITE..BYE)" "$call99" call99
  best99 call "$call99" call
fi

# Memory: fresh servers (no bindings), every user registered once, then
# resident memory; the difference per binding.
echo
echo "== memory with $users registered users =="
kill "$vs_pid" 2>/dev/null || true
pkill -f "kamailio -f $work/kamailio.cfg" 2>/dev/null || true
sleep 2
command -v sqlite3 >/dev/null && sqlite3 "$work/vs-state/voipshield.db" "DELETE FROM bindings" 2>/dev/null || true
start_vs
start_kam
sleep 1
vs_rss0=$(rss_kb "$vs_pid"); kam_rss0=$(rss_kb $(kam_pids))
vs_heap() { "$bin" --config "$work/vs.conf" stats | awk '$1 == "memory.heap_bytes" {print $2}'; }
vs_heap0=$(vs_heap)
mrate=1000
d=$(mktemp -d "$work/mem-XXXX")
secs=$((users / mrate + 10)) sipp_run "$d" -sf "$here/sipp/reg_auth.xml" -inf "$work/reg.inf" -m "$users" -r $mrate -l $((mrate * 2)) -recv_timeout 4000 -p 0 127.0.0.1:$VS_PORT
vs_ok=$(csv_col "$(ls "$d"/*_.csv | head -1)" 'SuccessfulCall(C)'); rm -rf "$d"/*
secs=$((users / mrate + 10)) sipp_run "$d" -sf "$here/sipp/reg_auth.xml" -inf "$work/reg.inf" -m "$users" -r $mrate -l $((mrate * 2)) -recv_timeout 4000 -p 0 127.0.0.1:$KAM_PORT
kam_ok=$(csv_col "$(ls "$d"/*_.csv | head -1)" 'SuccessfulCall(C)')
sleep 2
vs_rss=$(rss_kb "$vs_pid"); kam_rss=$(rss_kb $(kam_pids))
# The registrations' transactions stay 64 x T1 (32 s) after their answer:
# wait for them to go, then read the heap.
sleep 35
vs_heap1=$(vs_heap)
echo "VoIPShield: $vs_ok registered; RSS ${vs_rss0} KB -> ${vs_rss} KB right after (transactions still open): $(awk -v a=$vs_rss0 -v b=$vs_rss -v n=$vs_ok 'BEGIN{printf "%.0f", (b - a) * 1024 / (n ? n : 1)}') bytes per binding"
echo "VoIPShield: heap in use 35 s later (transactions gone): ${vs_heap0} -> ${vs_heap1} bytes: $(awk -v a=$vs_heap0 -v b=$vs_heap1 -v n=$vs_ok 'BEGIN{printf "%.0f", (b - a) / (n ? n : 1)}') bytes per binding"
echo "Kamailio:   $kam_ok registered; RSS ${kam_rss0} KB -> ${kam_rss} KB (summed over its processes, so shared memory counts once per process that touched it): $(awk -v a=$kam_rss0 -v b=$kam_rss -v n=$kam_ok 'BEGIN{printf "%.0f", (b - a) * 1024 / (n ? n : 1)}') bytes per binding"
