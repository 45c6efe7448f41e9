#!/usr/bin/env bash
# The HTML report in a real browser: builds `qa report --html` pages for every example and for
# scripts/browser/fixtures (hostile text, emoji, overlapping evidence), loads each in headless
# Chromium and checks the DOM against `qa score`'s JSON reports (scripts/browser/check.mjs).
#   scripts/browser-test.sh               run the checks (scripts/test.sh does)
#   scripts/browser-test.sh --screenshot  also write docs/report.png
#   scripts/browser-test.sh --measure N [FILE]
#                                         page size and load times for N conversations, FILE's
#                                         (default testdata/corpus) repeated, customer-risk rubric
# Installs Debian's chromium (and CJK fonts, for the screenshot) when /usr/bin/chromium is
# missing and we are root; set CHROMIUM to use another binary.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing chromium (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-noto-cjk >/dev/null
  else
    echo "browser test: $chromium is missing; install Debian's chromium or set CHROMIUM" >&2
    exit 1
  fi
fi
export CHROMIUM="$chromium"

if [ ! -d scripts/browser/node_modules/playwright-core ]; then
  (cd scripts/browser && npm install --no-audit --no-fund --loglevel=error)
fi

cargo build --locked -q -p qa-cli
qa=target/debug/qa
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${1:-}" = "--measure" ]; then
  n="${2:-10000}"
  # repeat real dialogues until there are N conversations, with 37 agents and 3 channels
  corpus="${3:-testdata/corpus/stc3-sample.jsonl}"
  python3 - "$corpus" "$n" >"$work/in.jsonl" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
for i in range(int(sys.argv[2])):
    t = dict(lines[i % len(lines)])
    t["id"] = f"{t.get('id', 'c')}-{i}"
    t["agent"] = f"agent-{i % 37:02d}"
    t["channel"] = ["weibo", "chat", "phone"][i % 3]
    print(json.dumps(t, ensure_ascii=False))
EOF
  rubric=examples/rubrics/customer-risk.yaml
  /usr/bin/time -f "qa report --html: %e s, %M KiB max resident" \
    "$qa" report "$rubric" "$work/in.jsonl" --html "$work/page.html" --no-progress >/dev/null
  uptime
  node scripts/browser/check.mjs "$work/page.html" --measure
  exit 0
fi

pairs=()
page() { # rubric input name: writes the page and qa score's reports for it
  "$qa" score "$1" "$2" >"$work/$3.jsonl"
  "$qa" report "$1" "$2" --html "$work/$3.html" --no-progress >/dev/null
  pairs+=("$work/$3.html" "$work/$3.jsonl")
}

echo "== browser: qa report --html in headless Chromium"
for rubric in examples/rubrics/*.yaml; do
  name=$(basename "$rubric" .yaml)
  page "$rubric" "examples/data/$name.jsonl" "$name"
done
page scripts/browser/fixtures/tricky.yaml scripts/browser/fixtures/tricky.jsonl tricky
# every example conversation against one rubric: 52 conversations, three pages of 25
cat examples/data/*.jsonl >"$work/all-in.jsonl"
page examples/rubrics/ecommerce.yaml "$work/all-in.jsonl" all
shot=()
[ "${1:-}" = "--screenshot" ] && shot=(--screenshot docs/report.png)
node scripts/browser/check.mjs "${shot[@]}" "${pairs[@]}"
