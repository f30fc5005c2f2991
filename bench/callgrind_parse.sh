#!/bin/sh
# Exact, load-independent cost of parsing: callgrind instruction counts per
# message, as (count at N iterations - count at 0) / N, for each message of
# the benchmark mix at the three levels of bench_parse.c (core, proxy, full).
#   bench/callgrind_parse.sh BUILD_DIR [N]
set -eu
build=${1:-build}
n=${2:-2000}
bin="$build/bench/bench_parse"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" --iterations "$1" --level "$3" --only "$2" 2>&1 |
    awk '/Collected :/ {print $NF}'
}
printf "%-10s %12s %12s %12s   (instructions per message)\n" message core proxy full
for m in invite register 200ok ack bye; do
  base=$(ir 0 "$m" 0)
  line="$m"
  for level in 0 1 2; do
    total=$(ir "$n" "$m" $level)
    line="$line $(( (total - base) / n ))"
  done
  printf "%-10s %12s %12s %12s\n" $line
done
