#!/usr/bin/env bash
# Runs every test: Rust (fmt, clippy, unit, golden, property, doc), the HTML report in headless
# Chromium (scripts/browser-test.sh, installs Debian's chromium when missing), Python (with Spark
# and Ray in local mode: qa-py/test-scale.sh, installs Java 17 when missing), Node, and
# the packages that install without Rust (scripts/dist-test.sh).
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== rust: fmt, clippy, tests"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

echo "== browser: the HTML report in headless Chromium"
scripts/browser-test.sh

for part in qa-py qa-node; do
  if [ -x "$part/test.sh" ]; then
    echo "== $part"
    "$part/test.sh"
  fi
done
# after qa-py: its venv and wheel; installs Java 17, pyspark and ray[data] when missing
echo "== qa-py: qa_engine.spark and qa_engine.ray in local mode (docs/scale.md)"
qa-py/test-scale.sh
# after qa-py and qa-node: dist.sh reuses their release builds (about 30 s more, docs/dist.md)
echo "== dist: the wheel and the npm package, installed with no Rust reachable"
QA_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/qa" scripts/dist-test.sh
echo "== all tests passed"
