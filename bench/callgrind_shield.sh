#!/bin/sh
# Exact cost of the shield's checks per message, in instructions
# (valgrind --tool=callgrind), as (count at N iterations - count at 0) / N,
# beside the cost of parsing the same INVITE at the proxy level.
#   bench/callgrind_shield.sh BUILD_DIR [N]
set -eu
build=${1:-build}
n=${2:-20000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ir() { # binary args...
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$@" 2>&1 | awk '/Collected :/ {print $NF}'
}
per() { # mode
  base=$(ir "$build/bench/bench_shield" --iterations 0 --mode "$1")
  total=$(ir "$build/bench/bench_shield" --iterations "$n" --mode "$1")
  echo $(( (total - base) / n ))
}
pass=$(per pass); banned=$(per banned); request=$(per request)
pbase=$(ir "$build/bench/bench_parse" --iterations 0 --level 1 --only invite)
ptotal=$(ir "$build/bench/bench_parse" --iterations 2000 --level 1 --only invite)
parse=$(( (ptotal - pbase) / 2000 ))
printf "%-44s %8s\n" "check" "instructions"
printf "%-44s %8d\n" "before parsing, allowed source (zone, ban, bucket)" "$pass"
printf "%-44s %8d\n" "before parsing, banned source (dropped)" "$banned"
printf "%-44s %8d\n" "after parsing (scanner User-Agent list)" "$request"
printf "%-44s %8d\n" "for scale: parsing the INVITE (proxy level)" "$parse"
