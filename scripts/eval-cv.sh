#!/usr/bin/env bash
# 5-fold cross-validation of rubric building on the labeled dev split (docs/eval.md).
#
#   scripts/eval-cv.sh [CORPUS.jsonl] [RUBRIC.yaml]
#
# For each fold k (conversation i is in fold i mod 5): `qa mine` on the other four folds, then
# `qa eval` on fold k of
#   - the mined draft alone,
#   - RUBRIC with the mined draft's rules added (the preset's procedure: hand-written signal
#     lists, phrases mined from the training folds merged in),
#   - RUBRIC alone (not cross-validated when RUBRIC was tuned on CORPUS: shows the spread).
# Prints each fold's AUC and the means. Skips (exit 0) when the corpus is absent: the data
# is not part of the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/stc3-dev-cn.jsonl}
[ -f "$corpus" ] || corpus=/work/shared/corpus/stc3-dev-cn.jsonl
rubric=${2:-examples/rubrics/customer-risk.yaml}
label=${LABEL:-meta.quality.S<0}
if [ ! -f "$corpus" ]; then
  echo "eval-cv: skipped, no corpus at $corpus"
  exit 0
fi
qa=${QA:-}
if [ -z "$qa" ]; then
  cargo build -q -p qa-cli
  qa=target/debug/qa
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$qa" "$corpus" "$rubric" "$label" "$tmp" <<'EOF'
import json, subprocess, sys, os, statistics
qa, corpus, rubric, label, tmp = sys.argv[1:]
mine_args = os.environ.get("MINE_ARGS", "").split()
lines = [l for l in open(corpus, encoding="utf-8") if l.strip()]
def run(*args):
    return subprocess.run([qa, *args], check=True, capture_output=True, text=True).stdout
def auc(rubric_path, data_path):
    out = run("eval", rubric_path, data_path, "--label", label, "--format", "json")
    return json.loads(out)["auc"]
def merged(base, mined, path):
    # the mined draft's rules appended to the hand-written rubric's (both are YAML whose
    # `rules:` block comes last; the draft's rule ids are risk-NNN / good-NNN)
    base_text = open(base, encoding="utf-8").read()
    mined_text = open(mined, encoding="utf-8").read()
    rules = mined_text.split("\nrules:\n", 1)[1] if "\nrules:\n" in mined_text else ""
    with open(path, "w", encoding="utf-8") as f:
        f.write(base_text.rstrip("\n") + "\n\n  # --- mined on the training folds ---\n" + rules)
rows = []
for k in range(5):
    train = os.path.join(tmp, f"train{k}.jsonl")
    test = os.path.join(tmp, f"test{k}.jsonl")
    with open(train, "w", encoding="utf-8") as tr, open(test, "w", encoding="utf-8") as te:
        for i, l in enumerate(lines):
            (te if i % 5 == k else tr).write(l)
    mined = os.path.join(tmp, f"mined{k}.yaml")
    with open(mined, "w", encoding="utf-8") as f:
        f.write(run("mine", train, "--label", label, *mine_args))
    both = os.path.join(tmp, f"both{k}.yaml")
    merged(rubric, mined, both)
    rows.append((auc(mined, test), auc(both, test), auc(rubric, test)))
    print(f"fold {k}: mined {rows[-1][0]:.3f}  rubric+mined {rows[-1][1]:.3f}  rubric {rows[-1][2]:.3f}")
for name, i in (("mined draft", 0), ("rubric + mined", 1), ("rubric alone", 2)):
    xs = [r[i] for r in rows]
    print(f"{name:15} mean AUC {statistics.mean(xs):.3f} (min {min(xs):.3f}, max {max(xs):.3f})")
print(f"rubric on all of {os.path.basename(corpus)}: AUC {auc(rubric, corpus):.3f}")
EOF
