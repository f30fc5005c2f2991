#!/bin/bash
# Stateless OPTIONS: VoIPShield against Kamailio (sl_send_reply), same load,
# same machine, same run.  For each offered rate, SIPp (pinned to one core)
# sends a bounded number of OPTIONS to each server (pinned to the other
# core, one worker / one child process); we read the server's CPU time
# (utime+stime of every thread or process, from /proc) before and after and
# divide by the requests answered.  Response-time percentiles (in
# microseconds; SIPp's own have millisecond steps) come from bench/sip_rtt
# offering the same rate for half as long.  Each step runs REPEAT times;
# medians are printed.
#
#   bench/options_vs_kamailio.sh BUILD_DIR [RATES] [SECONDS] [REPEAT]
#   e.g. bench/options_vs_kamailio.sh build "1000 2000 4000 8000" 10 3
set -eu
build=${1:-build}
rates=${2:-"1000 2000 4000 8000"}
secs=${3:-10}
repeat=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$build" && pwd)/voipshield
rttbin=$(cd "$build" && pwd)/bench/sip_rtt
work=$(mktemp -d /tmp/vs-bench-XXXXXX)
chmod 755 "$work"
VS_PORT=5160
KAM_PORT=5170
SERVER_CPU=0
LOAD_CPU=1
hz=$(getconf CLK_TCK)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  pkill -f "kamailio -f $work/kamailio.cfg" 2>/dev/null || true
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

user_line='user = "";'
if [ "$(id -u)" -eq 0 ]; then
  if id voipshield >/dev/null 2>&1; then user_line='user = "voipshield";'; else user_line='user = ""; allow_root = true;'; fi
fi
cat >"$work/vs.conf" <<CONF
server = { $user_line state_dir = "$work/vs-state"; workers = 1; };
log = { level = "warning"; };
listen = ( { address = "127.0.0.1"; port = $VS_PORT; transports = [ "udp" ]; } );
# The shield on (zones, bans, token buckets: the checks every request pays),
# with budgets far above the benchmark's single source.
shield = { rate = { register = { rate = 1000000; burst = 1000000; };
                    invite = { rate = 1000000; burst = 1000000; };
                    other = { rate = 1000000; burst = 1000000; }; }; };
CONF
cat >"$work/kamailio.cfg" <<CONF
#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:$KAM_PORT
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "maxfwd.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (method == "OPTIONS") { sl_send_reply("200", "OK"); exit; }
  sl_send_reply("405", "Method Not Allowed");
}
CONF

# CPU ticks of a process and all its threads; for Kamailio, of every
# process whose parent is the main one, too.
cpu_ticks() {
  local total=0 p
  for p in "$@"; do
    if [ -r /proc/$p/stat ]; then
      total=$((total + $(awk '{print $14 + $15}' /proc/$p/stat)))
    fi
  done
  echo $total
}
kam_pids() { pgrep -f "kamailio -f $work/kamailio.cfg" | tr '\n' ' '; }

start_vs() {
  taskset -c $SERVER_CPU "$bin" --config "$work/vs.conf" 2>"$work/vs.log" &
  pids+=($!)
  vs_pid=$!
  sleep 1
  kill -0 $vs_pid || { cat "$work/vs.log"; exit 1; }
}
start_kam() {
  taskset -c $SERVER_CPU kamailio -f "$work/kamailio.cfg" -P "$work/kam.pid" -Y "$work" -w "$work" -DD -E >"$work/kam.log" 2>&1 &
  pids+=($!)
  sleep 2
  [ -n "$(kam_pids)" ] || { cat "$work/kam.log"; exit 1; }
}

# Datagrams the kernel dropped at the server's sockets (receive queue full),
# from the drops column of /proc/net/udp.
udp_drops() {
  awk -v port="$(printf ':%04X' "$1")" '$2 ~ port"$" {d += $NF} END {print d + 0}' /proc/net/udp
}

# run_step PORT RATE PIDS... -> prints "answered cpu_us_per_req p50_us p99_us max_us drops"
run_step() {
  local port=$1 rate=$2; shift 2
  local n=$((rate * secs)) before after dir
  dir=$(mktemp -d "$work/sipp-XXXX")
  before=$(cpu_ticks "$@")
  local drops0
  drops0=$(udp_drops "$port")
  # -recv_timeout ends a call whose answer was lost (it counts as failed);
  # timeout(1) bounds the whole step whatever SIPp does.
  (cd "$dir" && timeout $((secs * 3)) taskset -c $LOAD_CPU sipp -sf "$here/sipp/options.xml" \
      -nostdin -m $n -r $rate -l $((rate * 2)) -recv_timeout 2000 -i 127.0.0.1 -p 0 \
      -trace_stat -fd 1 127.0.0.1:$port >/dev/null 2>&1) || true
  after=$(cpu_ticks "$@")
  local ok
  ok=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i=="SuccessfulCall(C)") c=i} END{print $c+0}' "$dir"/options_*_.csv 2>/dev/null || echo 0)
  # Latency at the same offered rate, from our microsecond prober.
  local rtt
  rtt=$(taskset -c $LOAD_CPU "$rttbin" 127.0.0.1 "$port" "$rate" $((rate * secs / 2)) | awk '{print $3, $4, $5}')
  local us="-"
  if [ "${ok:-0}" -gt 0 ]; then
    us=$(awk -v t=$((after - before)) -v hz=$hz -v n=$ok 'BEGIN{printf "%.2f", t * 1e6 / hz / n}')
  fi
  echo "$ok $us $rtt $(( $(udp_drops "$port") - drops0 ))"
  rm -rf "$dir"
}

median() { sort -g | awk '{a[NR]=$1} END{if(NR==0)print "-"; else print a[int((NR+1)/2)]}'; }

echo "# OPTIONS answered statelessly: VoIPShield $("$bin" --version | awk '{print $2}') vs $(kamailio -v | head -1 | awk "{print \$2, \$3}")"
echo "# nproc=$(nproc); server on CPU $SERVER_CPU (1 worker / 1 child), SIPp on CPU $LOAD_CPU; ${secs}s per step, median of $repeat"
echo "# CPU time per request from /proc/PID/stat (utime+stime, all threads/processes), clock tick $((1000000 / hz)) us"
start_vs
start_kam
printf "%-7s | %-9s %9s %8s %8s %8s %6s | %-9s %9s %8s %8s %8s %6s | %s\n" rate vs_ok vs_cpu_us p50_us p99_us max_us drops kam_ok kam_cpu_us p50_us p99_us max_us drops "cpu ratio kam/vs"
for rate in $rates; do
  : >"$work/vs.res"; : >"$work/kam.res"
  for i in $(seq "$repeat"); do
    run_step $VS_PORT "$rate" "$vs_pid" >>"$work/vs.res"
    run_step $KAM_PORT "$rate" $(kam_pids) >>"$work/kam.res"
  done
  col() { awk -v c=$2 '{print $c}' "$1" | median; }
  vs_us=$(col "$work/vs.res" 2); kam_us=$(col "$work/kam.res" 2)
  ratio=$(awk -v a="$kam_us" -v b="$vs_us" 'BEGIN{ if (b+0 > 0) printf "%.2f", a / b; else print "-"}')
  printf "%-7s | %-9s %9s %8s %8s %8s %6s | %-9s %9s %8s %8s %8s %6s | %s\n" "$rate" \
    "$(col "$work/vs.res" 1)" "$vs_us" "$(col "$work/vs.res" 3)" "$(col "$work/vs.res" 4)" "$(col "$work/vs.res" 5)" "$(col "$work/vs.res" 6)" \
    "$(col "$work/kam.res" 1)" "$kam_us" "$(col "$work/kam.res" 3)" "$(col "$work/kam.res" 4)" "$(col "$work/kam.res" 5)" "$(col "$work/kam.res" 6)" \
    "$ratio"
done
