# bench/lib.sh - helpers shared by the benchmark scripts (sourced by bash
# scripts: mem_kb uses process substitution).

# CPU time (utime + stime, in clock ticks) of the given processes.
cpu_ticks() {
  local total=0 p
  for p in "$@"; do
    if [ -r /proc/$p/stat ]; then
      total=$((total + $(awk '{print $14 + $15}' /proc/$p/stat)))
    fi
  done
  echo $total
}
# Resident memory (kB) of the given processes, summed.
rss_kb() {
  local total=0 p
  for p in "$@"; do
    if [ -r /proc/$p/status ]; then
      total=$((total + $(awk '/^VmRSS/ {print $2}' /proc/$p/status)))
    fi
  done
  echo $total
}
# A column of SIPp's statistics file (last line), by name.
csv_col() {
  awk -F';' -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i} END{print (c ? $c : 0) + 0}' "$1"
}
# Response times (ms) from SIPp's rtt files in a directory: "p50 p99".
rtt_pcts() {
  cat "$1"/*_rtt.csv 2>/dev/null | awk -F';' 'NR > 1 && $0 !~ /^Date/ && $3 ~ /^[0-9.]+$/ {print $3}' |
    sort -g | awk '{a[NR]=$1} END{ if (NR == 0) { print "- -"; exit }
      printf "%.2f %.2f\n", a[int(NR*0.5 > 0 ? NR*0.5 : 1)], a[int(NR*0.99 > 0 ? NR*0.99 : 1)] }'
}
# The median of the numbers on standard input ("-" when none).
median() { sort -g | awk '{a[NR]=$1} END{if(NR==0)print "-"; else print a[int((NR+1)/2)]}'; }
# "rss_kb pss_kb" summed over the given processes (smaps_rollup).
mem_kb() {
  local p rss=0 pss=0 r s
  for p in "$@"; do
    [ -r /proc/$p/smaps_rollup ] || continue
    read -r r s < <(awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} END {print r + 0, p + 0}' /proc/$p/smaps_rollup)
    rss=$((rss + r)); pss=$((pss + s))
  done
  echo "$rss $pss"
}
# Wait (at most 30 s) until the given processes use no more CPU: a server
# still draining the backlog of an overloaded step must not take the CPU
# of the next one.
wait_idle() {
  local i a b
  for i in $(seq 60); do
    a=$(cpu_ticks "$@"); sleep 0.5; b=$(cpu_ticks "$@")
    [ "$a" -eq "$b" ] && return 0
  done
}
