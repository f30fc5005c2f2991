#!/bin/bash
# The shield under an INVITE flood: VoIPShield against Kamailio with pike
# and an htable ban list (the usual Kamailio anti-flood set-up), same
# machine, same run, same loads.  Then the cost of the shield: calls with
# the shield on and off.
#
#   legitimate load: a SIPp caller on 127.0.0.2 places authenticated calls
#     (INVITE, 407, ACK, INVITE with MD5 credentials, 100, 180, 200, ACK,
#     BYE) at CALL_RATE calls/s to a SIPp callee registered from 127.0.0.3;
#   flood: bench/flood on 127.0.0.4 sends INVITEs at FLOOD_RATE/s
#     (sendmmsg, paced; new Call-ID each) for the whole step, without
#     waiting for answers: rates one SIPp process cannot reach.
#   Both servers get per-source budgets well above the legitimate caller's
#     (40 INVITEs and 60 other requests a second at 20 calls/s):
#     VoIPShield shield.rate invite 100/s (burst 200), others 200/s, a ban
#     after 100 requests over budget, over_limit "drop"; Kamailio pike
#     density 400 per 2 s unit (200 requests/s), then the source goes into
#     an htable (autoexpire 600 s) checked first for every request.  Bans
#     are lifted between steps.
#
# For each flood rate, REPEAT times, each server in turn: legitimate calls
# successful of offered, SIPp response-time percentiles (first INVITE to
# the 200, ms), and the server's CPU time over the step minus the CPU the
# legitimate calls alone cost (measured at flood 0), divided by the flood
# packets sent: CPU per flood packet.  Medians are printed.
#
# Then the cost of the shield: VoIPShield with the shield on (every check
# made, budgets above the load) and off (shield.enabled = false), calls at
# COST_RATE/s from one caller: CPU per call and the ratio.
#
#   bench/shield_vs_kamailio.sh BUILD_DIR [FLOOD_RATES] [SECONDS] [REPEAT] [CALL_RATE] [COST_RATE]
#   e.g. bench/shield_vs_kamailio.sh build "0 10000 50000 100000 200000" 10 3 20 200
set -eu
build=${1:-build}
flood_rates=${2-"0 10000 50000 100000 200000"}
secs=${3:-10}
repeat=${4:-3}
call_rate=${5:-20}
cost_rate=${6:-200}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
flood_bin=$(cd "$build" && pwd)/bench/flood
bin=$(cd "$build" && pwd)/voipshield
work=$(mktemp -d /tmp/vs-bench-shield-XXXXXX)
chmod 755 "$work"
VS_PORT=5300
VS_OFF_PORT=5302
VS_ON_PORT=5304
KAM_PORT=5310
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

for tool in sipp kamailio taskset python3; do
  command -v $tool >/dev/null || { echo "needs $tool (scripts/deps.sh bench)"; exit 1; }
done
user_line='user = "";'
if [ "$(id -u)" -eq 0 ]; then
  if id voipshield >/dev/null 2>&1; then user_line='user = "voipshield";'; else user_line='user = ""; allow_root = true;'; fi
fi

# Two users: the caller u00000 and the callee uas.
mkdir -p "$work/dbtext"
printf 'table_name(str) table_version(int)\nsubscriber:7\n' >"$work/dbtext/version"
python3 - "$work" <<'PY'
import hashlib, sys
work = sys.argv[1]
with open(work + "/users.csv", "w") as c, open(work + "/dbtext/subscriber", "w") as s:
    c.write("user,password\n")
    s.write("id(int,auto) username(str) domain(str) password(str) ha1(str) ha1b(str)\n")
    for i, u in enumerate(["u00000", "uas"]):
        pw = "pw-%s-x" % u
        ha1 = hashlib.md5(("%s:bench.test:%s" % (u, pw)).encode()).hexdigest()
        c.write("%s,%s\n" % (u, pw))
        s.write("%d:%s:bench.test:%s:%s:%s\n" % (i + 1, u, pw, ha1, ha1))
open(work + "/call.inf", "w").write(
    "SEQUENTIAL\nu00000;[authentication username=u00000 password=pw-u00000-x]\n")
open(work + "/uas.inf", "w").write(
    "SEQUENTIAL\nuas;[authentication username=uas password=pw-uas-x]\n")
PY

vs_conf() { # PORT DIR SHIELD_TEXT
  cat <<CONF
server = { $user_line state_dir = "$2"; workers = 1; domains = [ "bench.test" ]; };
log = { level = "warning"; };
listen = ( { address = "127.0.0.1"; port = $1; transports = [ "udp" ]; } );
auth = { algorithms = [ "MD5" ]; };
$3
CONF
}
vs_conf $VS_PORT "$work/vs-state" 'shield = { over_limit = "drop";
  rate = { invite = { rate = 100; burst = 200; }; register = { rate = 200; burst = 400; };
           other = { rate = 200; burst = 400; }; };
  ban = { rate_excess = 100; }; };' >"$work/vs.conf"
vs_conf $VS_OFF_PORT "$work/vs-off-state" 'shield = { enabled = false; };' >"$work/vs-off.conf"
vs_conf $VS_ON_PORT "$work/vs-on-state" 'shield = {
  rate = { invite = { rate = 1000000; burst = 1000000; }; register = { rate = 1000000; burst = 1000000; };
           other = { rate = 1000000; burst = 1000000; }; }; };' >"$work/vs-on.conf"
for c in vs vs-off vs-on; do
  "$bin" --config "$work/$c.conf" user import "$work/users.csv" >/dev/null
done

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
loadmodule "htable.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:$work/kam.ctl")
modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "text://$work/dbtext")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth", "secret", "benchmark-secret")
modparam("pike", "sampling_time_unit", 2)
modparam("pike", "reqs_density_per_unit", 400)
modparam("htable", "htable", "ipban=>size=8;autoexpire=600;")
request_route {
  if (\$sht(ipban=>\$si) != \$null) { exit; }
  if (!pike_check_req()) { \$sht(ipban=>\$si) = 1; exit; }
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
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
start_vs() { # CONF -> pid in vs_pid
  taskset -c $SERVER_CPU "$bin" --config "$1" 2>>"$work/vs.log" &
  pids+=($!)
  vs_started=$!
  sleep 1
  kill -0 $vs_started || { cat "$work/vs.log"; exit 1; }
}
start_kam() {
  taskset -c $SERVER_CPU kamailio -f "$work/kamailio.cfg" -P "$work/kam.pid" -Y "$work" -w "$work" -DD -E -m 256 -M 64 >"$work/kam.log" 2>&1 &
  pids+=($!)
  sleep 2
  [ -n "$(kam_pids)" ] || { cat "$work/kam.log"; exit 1; }
}
unban() { # which
  if [ "$1" = vs ]; then
    "$bin" --config "$work/vs.conf" ban del 127.0.0.4 >/dev/null 2>&1 || true
  else
    kamcmd -s "unix:$work/kam.ctl" htable.delete ipban 127.0.0.4 >/dev/null 2>&1 ||
      kamcmd -s "unix:$work/kam.ctl" htable.flush ipban >/dev/null 2>&1 || true
  fi
}

# The callee registers from 127.0.0.3 and answers N calls there.
start_uas() { # PORT N
  local dir
  dir=$(mktemp -d "$work/uas-XXXX")
  (cd "$dir" && timeout 20 sipp -nostdin -i 127.0.0.3 -p 5399 -sf "$here/sipp/reg_auth.xml" \
     -inf "$work/uas.inf" -m 1 127.0.0.1:$1 >/dev/null 2>&1) || true
  (cd "$dir" && exec timeout $((secs * 3 + 30)) taskset -c $LOAD_CPU sipp -nostdin -i 127.0.0.3 \
     -p 5399 -sf "$here/sipp/call_uas.xml" -m "$2" >/dev/null 2>&1) &
  uas_pid=$!
  sleep 0.3
}

# One step: legitimate calls at RATE with a flood at FLOOD; prints
# "ok/offered p50_ms p99_ms cpu_ticks flood_sent".
step() { # PORT RATE FLOOD PIDS...
  local port=$1 rate=$2 flood=$3; shift 3
  local n=$((rate * secs)) dir before after ok fpid="" fsent=0
  start_uas "$port" $n
  dir=$(mktemp -d "$work/step-XXXX")
  before=$(cpu_ticks "$@")
  if [ "$flood" -gt 0 ]; then
    # bench/flood (sendmmsg, paced) reaches rates one SIPp process cannot.
    (exec timeout $((secs + 20)) taskset -c $LOAD_CPU "$flood_bin" --src 127.0.0.4 --dst 127.0.0.1 \
       --port "$port" --rate "$flood" --seconds "$secs" >"$dir/flood.sent" 2>/dev/null) &
    fpid=$!
  fi
  (cd "$dir" && timeout $((secs * 3 + 30)) taskset -c $LOAD_CPU sipp -nostdin -i 127.0.0.2 -p 0 \
     -sf "$here/sipp/call_uac.xml" -inf "$work/call.inf" -s uas -m $n -r "$rate" -l $((rate * 4)) \
     -recv_timeout 8000 -trace_stat -fd 1 -trace_rtt -rtt_freq 1 127.0.0.1:$port >/dev/null 2>&1) || true
  [ -n "$fpid" ] && { wait "$fpid" 2>/dev/null || true; fsent=$(cat "$dir/flood.sent" 2>/dev/null || echo 0); }
  after=$(cpu_ticks "$@")
  wait "$uas_pid" 2>/dev/null || true
  ok=$(csv_col "$(ls "$dir"/*_.csv | grep -v rtt | head -1)" 'SuccessfulCall(C)')
  echo "$ok/$n $(rtt_pcts "$dir") $((after - before)) $fsent"
  rm -rf "$dir"
}

col() { awk -v c=$2 '{print $c}' "$1" | median; }
ok_of() { awk '{split($1, a, "/"); print a[1]}' "$1" | median; }
offered_of() { awk '{split($1, a, "/"); print a[2]}' "$1" | head -1; }

echo "# VoIPShield $("$bin" --version | awk '{print $2}') vs $(kamailio -v | head -1 | awk '{print $2, $3}'); nproc=$(nproc)"
echo "# servers on CPU $SERVER_CPU (1 worker / children=1), all SIPp on CPU $LOAD_CPU; ${secs}s per step, median of $repeat"
echo "# legitimate calls at $call_rate/s from 127.0.0.2; INVITE flood from 127.0.0.4"
echo "# us/pkt: server CPU over the step minus CPU at flood 0, per flood packet sent"
start_vs "$work/vs.conf"; vs_pid=$vs_started
start_vs "$work/vs-off.conf"; vs_off_pid=$vs_started
start_vs "$work/vs-on.conf"; vs_on_pid=$vs_started
start_kam

echo
echo "== legitimate calls during an INVITE flood =="
printf "%-6s | %-10s %7s %7s %9s | %-10s %7s %7s %9s\n" flood vs_ok p50_ms p99_ms us/pkt kam_ok p50_ms p99_ms us/pkt
vs_base=""; kam_base=""
for flood in $flood_rates; do
  : >"$work/vs.res"; : >"$work/kam.res"
  for i in $(seq "$repeat"); do
    unban vs; step $VS_PORT "$call_rate" "$flood" "$vs_pid" >>"$work/vs.res"
    unban kam; step $KAM_PORT "$call_rate" "$flood" $(kam_pids) >>"$work/kam.res"
  done
  vs_cpu=$(col "$work/vs.res" 4); kam_cpu=$(col "$work/kam.res" 4)
  if [ "$flood" -eq 0 ]; then vs_base=$vs_cpu; kam_base=$kam_cpu; fi
  per() { # cpu base sent
    awk -v c="$1" -v b="${2:-0}" -v n="$3" -v hz=$hz 'BEGIN{ if (n > 0) printf "%.2f", (c - b) * 1e6 / hz / n; else print "-" }'
  }
  printf "%-6s | %-10s %7s %7s %9s | %-10s %7s %7s %9s\n" "$flood" \
    "$(ok_of "$work/vs.res")/$(offered_of "$work/vs.res")" "$(col "$work/vs.res" 2)" "$(col "$work/vs.res" 3)" \
    "$(per "$vs_cpu" "$vs_base" "$(col "$work/vs.res" 5)")" \
    "$(ok_of "$work/kam.res")/$(offered_of "$work/kam.res")" "$(col "$work/kam.res" 2)" "$(col "$work/kam.res" 3)" \
    "$(per "$kam_cpu" "$kam_base" "$(col "$work/kam.res" 5)")"
done
vs_stats=$("$bin" --config "$work/vs.conf" stats)
echo "# VoIPShield: $(echo "$vs_stats" | awk '$1 ~ /^shield\.(bans\.rate_limit|banned_dropped|rate_limited)$/ {printf "%s %s  ", $1, $2}')"

echo
echo "== the cost of the shield: calls at $cost_rate/s, VoIPShield with the shield on and off =="
: >"$work/on.res"; : >"$work/off.res"
for i in $(seq "$repeat"); do
  step $VS_ON_PORT "$cost_rate" 0 "$vs_on_pid" >>"$work/on.res"
  step $VS_OFF_PORT "$cost_rate" 0 "$vs_off_pid" >>"$work/off.res"
done
cpu_per_call() { # res
  paste <(awk '{split($1, a, "/"); print a[1]}' "$1") <(awk '{print $4}' "$1") |
    awk -v hz=$hz '{ if ($1 > 0) printf "%.1f\n", $2 * 1e6 / hz / $1 }' | median
}
on=$(cpu_per_call "$work/on.res"); off=$(cpu_per_call "$work/off.res")
printf "shield on:  %s calls ok, %s us CPU per call, p50 %s ms, p99 %s ms\n" \
  "$(ok_of "$work/on.res")/$(offered_of "$work/on.res")" "$on" "$(col "$work/on.res" 2)" "$(col "$work/on.res" 3)"
printf "shield off: %s calls ok, %s us CPU per call, p50 %s ms, p99 %s ms\n" \
  "$(ok_of "$work/off.res")/$(offered_of "$work/off.res")" "$off" "$(col "$work/off.res" 2)" "$(col "$work/off.res" 3)"
awk -v a="$on" -v b="$off" 'BEGIN{ if (b > 0) printf "overhead of the shield: %+.1f%% CPU per call\n", (a / b - 1) * 100 }'
