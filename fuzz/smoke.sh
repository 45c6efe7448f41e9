#!/usr/bin/env bash
# A short fuzz run of every target (default 30 s each, one at a time), seeded from testdata/ and
# examples/. Fails on the first crash, hang (10 s per input) or out-of-memory; the input that
# caused it is left in fuzz/artifacts/<target>/ (reproduce: cargo +nightly fuzz run <target> FILE).
#
#   fuzz/smoke.sh                 # 30 s per target
#   SECONDS_PER_TARGET=600 fuzz/smoke.sh rubric_parse
#   RUNS=1000000 fuzz/smoke.sh score   # a fixed number of executions instead of a time
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz/smoke.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/smoke.sh: needs cargo-fuzz (cargo install cargo-fuzz)" >&2
  exit 2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(rubric_parse score session builder)
fi
seconds="${SECONDS_PER_TARGET:-30}"

python3 seed.py
# release with debug assertions (overflow checks), no sanitizer: the code is safe Rust, and
# without ASan a run does several times more executions
flags=(-a -s none)
cargo +nightly fuzz build "${flags[@]}"

for target in "${targets[@]}"; do
  limit=(-max_total_time="$seconds")
  if [ -n "${RUNS:-}" ]; then
    limit=(-runs="$RUNS")
  fi
  max_len=1024
  if [ "$target" = rubric_parse ]; then
    max_len=16384
  fi
  echo "== fuzz $target (${RUNS:-$seconds s})"
  # libFuzzer's progress lines are left out; the exit status is the fuzzer's
  set +e
  cargo +nightly fuzz run "${flags[@]}" "$target" -- \
    "${limit[@]}" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 |
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done |SUMMARY|==[0-9]+==)|panicked|Test unit written|Error'
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "fuzz $target: failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "== fuzz smoke passed"
