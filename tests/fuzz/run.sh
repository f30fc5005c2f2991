#!/bin/sh
# Run every libFuzzer harness for a bounded time:  run.sh BUILD_DIR SECONDS
# New coverage goes to a scratch corpus, merged into tests/fuzz/corpus/<name>/
# (only inputs that add coverage, libFuzzer's -merge=1) when FUZZ_MERGE=1;
# crashes are copied into tests/fuzz/crashes/<name>/ so that `make test`
# replays them forever.
set -eu
build=${1:-build-fuzz}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for bin in "$build"/tests/fuzz/fuzz_*; do
  case "$bin" in *_replay) continue ;; esac
  [ -x "$bin" ] || continue
  name=$(basename "$bin" | sed 's/^fuzz_//')
  work=$(mktemp -d)
  artifacts=$(mktemp -d)
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 \
      "$work" "$here/corpus/$name" >"$work.log" 2>&1; then
    fail=1
    echo "fuzz: $name FAILED; last lines of the log:"
    tail -n 30 "$work.log"
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work.log" | sed "s/^/fuzz: $name /"
  fi
  if [ -n "$(ls -A "$artifacts")" ]; then
    mkdir -p "$here/crashes/$name"
    cp "$artifacts"/* "$here/crashes/$name/"
    echo "fuzz: $name saved inputs to tests/fuzz/crashes/$name/: $(ls "$artifacts" | tr '\n' ' ')"
  fi
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    before=$(ls "$here/corpus/$name" | wc -l)
    "$bin" -merge=1 "$here/corpus/$name" "$work" >/dev/null 2>&1 || true
    echo "fuzz: $name corpus $before -> $(ls "$here/corpus/$name" | wc -l) inputs"
  else
    echo "fuzz: $name found $(ls "$work" | wc -l) inputs with new coverage (FUZZ_MERGE=1 keeps them)"
  fi
  rm -rf "$artifacts" "$work" "$work.log"
done
exit $fail
