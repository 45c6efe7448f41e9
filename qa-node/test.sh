#!/usr/bin/env bash
# Builds the Node addon (release, once) and runs the Node tests; fails when the committed
# index.d.ts differs from the one `napi build` generates. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")"

committed=$(mktemp)
trap 'rm -f "$committed"' EXIT
cp index.d.ts "$committed"

echo "== qa-node: npm install (builds the addon)"
npm install --no-audit --no-fund

echo "== qa-node: index.d.ts is up to date"
if ! diff -u "$committed" index.d.ts; then
  echo "index.d.ts differs from what napi build generates (diff above):" >&2
  echo "run 'npm run build' in qa-node and commit index.d.ts" >&2
  exit 1
fi

echo "== qa-node: npm test"
npm test
