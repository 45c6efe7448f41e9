#!/usr/bin/env bash
# The README's first command: builds `qa` and scores the e-commerce example.
# Needs only the Rust toolchain (crates come from crates.io on the first build).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p qa-cli
qa=target/release/qa
echo "== qa check examples/rubrics/ecommerce.yaml"
"$qa" check examples/rubrics/ecommerce.yaml
echo
echo "== qa score examples/rubrics/ecommerce.yaml examples/data/ecommerce.jsonl --format table"
"$qa" score examples/rubrics/ecommerce.yaml examples/data/ecommerce.jsonl --format table
echo
echo "== qa report examples/rubrics/ecommerce.yaml examples/data/ecommerce.jsonl --by agent"
"$qa" report examples/rubrics/ecommerce.yaml examples/data/ecommerce.jsonl --by agent
