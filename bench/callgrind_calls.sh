#!/bin/bash
# The cost of the shield per call, exactly: the daemon runs under
# valgrind --tool=callgrind while SIPp places CALLS authenticated calls
# (INVITE, 407, ACK, INVITE, 100, 180, 200, ACK, BYE, 200) at RATE/s,
# once with the shield on (every check made; budgets above the load) and
# once off (shield.enabled = false).  A run without calls for the same
# time gives the idle cost (timers), which is subtracted.  Prints
# instructions per call for each and the shield's share.
#   bench/callgrind_calls.sh BUILD_DIR [CALLS] [RATE]
set -eu
build=${1:-build}
calls=${2:-200}
rate=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "$build" && pwd)/voipshield
work=$(mktemp -d /tmp/vs-bench-cg-XXXXXX)
chmod 755 "$work"
PORT=5320
vg=
cleanup() {
  [ -n "$vg" ] && kill "$vg" 2>/dev/null || true
  pkill -f "sipp.*$work" 2>/dev/null || true
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT
for tool in sipp valgrind python3; do
  command -v $tool >/dev/null || { echo "needs $tool (scripts/deps.sh bench)"; exit 1; }
done
# No privilege drop here: callgrind writes its output as the process's
# final user, into this root-owned directory.
user_line='user = "";'
[ "$(id -u)" -eq 0 ] && user_line='user = ""; allow_root = true;'

printf 'user,password\nu00000,pw-u00000-x\nuas,pw-uas-x\n' >"$work/users.csv"
printf 'SEQUENTIAL\nu00000;[authentication username=u00000 password=pw-u00000-x]\n' >"$work/call.inf"
printf 'SEQUENTIAL\nuas;[authentication username=uas password=pw-uas-x]\n' >"$work/uas.inf"

secs=$((calls / rate + 4))
# run MODE CALLS: prints the daemon's instruction count.
run() {
  local mode=$1 n=$2 shield state="$work/state-$1-$2"
  if [ "$mode" = on ]; then
    shield='shield = { rate = { invite = { rate = 1000000; burst = 1000000; };
      register = { rate = 1000000; burst = 1000000; }; other = { rate = 1000000; burst = 1000000; }; }; };'
  else
    shield='shield = { enabled = false; };'
  fi
  cat >"$work/vs.conf" <<CONF
server = { $user_line state_dir = "$state"; workers = 1; domains = [ "bench.test" ]; };
log = { level = "warning"; };
listen = ( { address = "127.0.0.1"; port = $PORT; transports = [ "udp" ]; } );
auth = { algorithms = [ "MD5" ]; };
$shield
CONF
  "$bin" --config "$work/vs.conf" user import "$work/users.csv" >/dev/null 2>&1
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" --config "$work/vs.conf" \
    2>"$work/vg.log" &
  vg=$!
  for i in $(seq 100); do
    "$bin" --config "$work/vs.conf" stats >/dev/null 2>&1 && break
    sleep 0.2
  done
  (cd "$work" && timeout 30 sipp -nostdin -i 127.0.0.3 -p 5329 -sf "$here/sipp/reg_auth.xml" \
     -inf "$work/uas.inf" -m 1 127.0.0.1:$PORT >/dev/null 2>&1) || true
  if [ "$n" -gt 0 ]; then
    (cd "$work" && exec timeout $((secs + 60)) sipp -nostdin -i 127.0.0.3 -p 5329 \
       -sf "$here/sipp/call_uas.xml" -m "$n" >/dev/null 2>&1) &
    local uas=$!
    (cd "$work" && timeout $((secs + 60)) sipp -nostdin -i 127.0.0.2 -p 0 -sf "$here/sipp/call_uac.xml" \
       -inf "$work/call.inf" -s uas -m "$n" -r "$rate" -recv_timeout 20000 \
       -trace_stat -fd 1 127.0.0.1:$PORT >/dev/null 2>&1) || true
    wait "$uas" 2>/dev/null || true
    ok=$(csv_col "$(ls "$work"/*_.csv | head -1)" 'SuccessfulCall(C)')
    rm -f "$work"/*_.csv
    [ "$ok" -eq "$n" ] || echo "warning: $mode: only $ok of $n calls succeeded" >&2
  else
    sleep "$secs"
  fi
  kill -TERM "$vg"; wait "$vg" 2>/dev/null || true; vg=
  awk '/^summary:|^totals:/ {print $2; exit}' "$work/cg.out"
}
idle=$(run off 0)
on=$(run on "$calls")
off=$(run off "$calls")
echo "# $calls calls at $rate/s, one worker, under callgrind; idle run of the same length subtracted"
awk -v on="$on" -v off="$off" -v idle="$idle" -v n="$calls" 'BEGIN {
  printf "shield on:  %d instructions per call\n", (on - idle) / n
  printf "shield off: %d instructions per call\n", (off - idle) / n
  printf "the shield: %+d instructions per call (%+.1f%%)\n", (on - off) / n, ((on - idle) / (off - idle) - 1) * 100 }'
