#!/usr/bin/env bash
# Builds dist/ (scripts/dist.sh), then installs both packages where Rust cannot be found and
# scores the e-commerce example with each: cargo and rustc off the PATH, CARGO_HOME and
# RUSTUP_HOME empty, no package index (pip --no-index, npm --offline). Each report must equal
# the one `qa score` writes. DIST_TEST_NO_BUILD=1 reuses what is in dist/; QA_BIN names a built
# `qa` (else `cargo build -p qa-cli`). Run by scripts/test.sh after the binding tests, whose
# release builds dist.sh reuses (see docs/dist.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rubric="$root/examples/rubrics/ecommerce.yaml"
data="$root/examples/data/ecommerce.jsonl"

if [ "${DIST_TEST_NO_BUILD:-}" != 1 ]; then
  scripts/dist.sh
fi
shopt -s nullglob
wheels=(dist/qa_engine-*-abi3-*.whl)
tgzs=(dist/qa-engine-*.tgz)
shopt -u nullglob
if [ "${#wheels[@]}" != 1 ] || [ "${#tgzs[@]}" != 1 ]; then
  echo "dist-test: expected one abi3 wheel and one tgz in dist/, found: ${wheels[*]:-none} ${tgzs[*]:-none}" >&2
  exit 1
fi
wheel="$root/${wheels[0]}"
tgz="$root/${tgzs[0]}"

echo "== dist-test: the expected reports (qa score)"
if [ -n "${QA_BIN:-}" ]; then
  qa="$QA_BIN"
else
  cargo build --quiet --locked -p qa-cli
  qa="${CARGO_TARGET_DIR:-$root/target}/debug/qa"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$qa" score "$rubric" "$data" --no-progress >"$work/expected.jsonl"

# The interpreters themselves, not shims that may need a toolchain manager on the PATH.
py_exe="$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
node_exe="$(command -v node)"
npm_exe="$(command -v npm)"

# The PATH without any directory that holds cargo or rustc; a bin dir with only what is needed
# when such a directory also held python, node or npm.
mkdir -p "$work/bin" "$work/cargo-home" "$work/rustup-home"
clean=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] || continue
  if [ -e "$d/cargo" ] || [ -e "$d/rustc" ]; then continue; fi
  clean="${clean:+$clean:}$d"
done
for exe in "$node_exe" "$npm_exe"; do
  if ! PATH="$clean" command -v "$(basename "$exe")" >/dev/null; then
    ln -s "$exe" "$work/bin/$(basename "$exe")"
  fi
done
clean="$work/bin:$clean"

# Runs "$@" with no Rust toolchain reachable.
no_rust() {
  env -u CARGO -u RUSTC -u RUSTUP_TOOLCHAIN -u CARGO_TARGET_DIR -u PYTHONPATH -u NODE_PATH \
    PATH="$clean" CARGO_HOME="$work/cargo-home" RUSTUP_HOME="$work/rustup-home" "$@"
}
if no_rust sh -c 'command -v cargo || command -v rustc'; then
  echo "dist-test: cargo or rustc is still reachable (above); cannot test an install without Rust" >&2
  exit 1
fi

echo "== dist-test: pip install $(basename "$wheel") (no Rust, no index)"
no_rust "$py_exe" -m venv "$work/venv"
no_rust "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
cat >"$work/score.py" <<'PY'
import json, sys
import qa_engine

rubric, data, expected = sys.argv[1:4]
assert "/venv/" in qa_engine.__file__, qa_engine.__file__
engine = qa_engine.Engine.from_file(rubric)
with open(data, encoding="utf-8") as f:
    transcripts = [json.loads(line) for line in f if line.strip()]
with open(expected, encoding="utf-8") as f:
    want = [json.loads(line) for line in f if line.strip()]
got = [engine.score(t) for t in transcripts]
assert len(got) == len(want) == len(transcripts), (len(got), len(want))
for g, w in zip(got, want):
    assert g == w, (g.get("id"), g, w)
assert engine.score_many(transcripts) == want
print(f"python: {len(got)} reports equal to qa score's; scores {[r['score'] for r in got]}")
PY
(cd "$work" && no_rust "$work/venv/bin/python" score.py "$rubric" "$data" "$work/expected.jsonl")

echo "== dist-test: npm install --ignore-scripts $(basename "$tgz") (no Rust, offline)"
mkdir -p "$work/proj"
cd "$work/proj"
printf '{"name": "dist-test", "version": "1.0.0", "private": true}\n' >package.json
no_rust npm install --ignore-scripts --offline --no-audit --no-fund --cache "$work/npm-cache" "$tgz"
pkg="$work/proj/node_modules/qa-engine"
if [ -e "$pkg/Cargo.toml" ] || [ -e "$pkg/qa-engine.node" ]; then
  echo "dist-test: the npm package holds Rust sources or a checkout build" >&2
  exit 1
fi
ls "$pkg"/qa-engine.*.node >/dev/null
# the install script, were it run, uses the prebuilt
no_rust node "$pkg/install.js"
cat >"$work/proj/score.js" <<'JS'
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Engine } = require('qa-engine')

const [rubric, data, expected] = process.argv.slice(2)
assert.ok(require.resolve('qa-engine').startsWith(path.join(__dirname, 'node_modules')))
const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
const transcripts = lines(data)
const want = lines(expected)
const engine = Engine.fromFile(rubric)
const got = transcripts.map((t) => engine.score(t))
assert.equal(got.length, want.length)
got.forEach((g, i) => assert.deepStrictEqual(g, want[i], g.id))
engine.scoreMany(transcripts).then((many) => {
  assert.deepStrictEqual(many, want)
  console.log(`node: ${got.length} reports equal to qa score's; scores ${JSON.stringify(got.map((r) => r.score))}`)
})
JS
no_rust node score.js "$rubric" "$data" "$work/expected.jsonl"

echo "== dist-test: passed ($(basename "$wheel") $(du -k "$wheel" | cut -f1) KiB, $(basename "$tgz") $(du -k "$tgz" | cut -f1) KiB)"
