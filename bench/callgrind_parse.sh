#!/bin/sh
# Exact, load-independent cost of parsing: callgrind instruction counts per
# message, as (count at N iterations - count at 0) / N, for each message of
# the benchmark mix at the "proxy" level (see bench_parse.c).
#   bench/callgrind_parse.sh BUILD_DIR [N]
set -eu
build=${1:-build}
n=${2:-2000}
bin="$build/bench/bench_parse"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" --iterations "$1" --only "$2" 2>&1 |
    awk '/Collected :/ {print $NF}'
}
printf "%-10s %12s\n" message "instr/msg"
for m in invite register 200ok ack bye; do
  base=$(ir 0 "$m")
  full=$(ir "$n" "$m")
  printf "%-10s %12d\n" "$m" $(( (full - base) / n ))
done
