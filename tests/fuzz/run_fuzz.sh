#!/usr/bin/env bash
# Runs every libFuzzer target of a JADEDB_FUZZ=ON build for a fixed time each (`make fuzz`,
# `make fuzz-smoke`), on a scratch copy of the seed corpus so tests/fuzz/corpus/ is never
# modified, and prints the executions per target. Exits non-zero when a target finds a crash,
# a sanitizer report, a timeout or an out-of-memory; the reproducer is kept in the work
# directory (rerun it with: <build>/tests/fuzz/<target>_fuzz <file>).
#
# Usage: run_fuzz.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
set -uo pipefail

build=${1:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(wal_reader block table manifest vlog_record bplustree_page resp_parser)
fi

work="$build/fuzz-work"
rm -rf "$work"
mkdir -p "$work"
failed=()
summary=""
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/${t}_fuzz"
  if [ ! -x "$exe" ]; then
    echo "run_fuzz.sh: $exe not built" >&2
    failed+=("$t")
    continue
  fi
  corpus="$work/$t/corpus"
  mkdir -p "$corpus" "$work/$t/artifacts"
  cp "$src/corpus/$t/"* "$corpus/"
  log="$work/$t/fuzz.log"
  echo "== $t: ${seconds}s"
  # -timeout: one input running longer than 10 s is a hang. -rss_limit_mb also caps single
  # allocations (malloc_limit_mb defaults to it), so a damaged length that turns into a huge
  # allocation is reported as a failure.
  "$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/$t/artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  units=$(ls "$corpus" | wc -l)
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    tail -n 40 "$log"
    echo "== $t FAILED (exit $rc); log and reproducer under $work/$t/"
  fi
  summary+=$(printf '%-16s %12s executions  %6s edges  %5s corpus files  %s' "$t" \
    "${execs:-?}" "${cov:-?}" "$units" "$([ $rc -eq 0 ] && echo ok || echo FAILED)")$'\n'
done
echo
echo "fuzzing summary (${seconds}s per target):"
printf '%s' "$summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
