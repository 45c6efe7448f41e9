"""Merges the JSON objects the parts of benches/compare printed (one per line on stdin), computes
the ratios and checks every target of issue 4; prints a table, writes results.json and, with
--plot FILE, a PNG (matplotlib).

    python summary.py OUT_DIR [--plot FILE] < parts.jsonl
"""

from __future__ import annotations

import json
import sys

MIB = 1024 * 1024


def targets(r: dict) -> list[tuple[str, float | None, str, float, str]]:
    """(what, value, unit, target, 'min' | 'max')."""
    get = r.get

    def ratio(a: str, b: str) -> float | None:
        return get(a) / get(b) if get(a) and get(b) else None

    def overhead(a: str, b: str) -> float | None:
        return (get(b) / get(a) - 1) * 100 if get(a) and get(b) else None

    return [
        ("score, 100 rules", get("score_100_rules_per_s"), "/s", 60_000, "min"),
        ("  ÷ bare Aho-Corasick scan", ratio("score_100_rules_per_s", "bare_scan_100_rules_per_s"), "×", 0.45, "min"),
        ("score, 10,000 phrases", get("score_10k_phrases_per_s"), "/s", 35_000, "min"),
        ("score, 100 rules, word: true", get("score_100_rules_word_per_s"), "/s", 7_000, "min"),
        ("regex rule cost ÷ keyword rule cost", ratio("score_10_keyword_rules_per_s", "score_10_regex_rules_per_s"), "×", 2.0, "max"),
        ("compile, 100 rules", get("compile_100_rules_ms"), "ms", 5.0, "max"),
        ("compile, 10,000 phrases", get("compile_10k_phrases_ms"), "ms", 50.0, "max"),
        ("engine memory, 10,000 phrases", get("engine_10k_phrases_bytes") and get("engine_10k_phrases_bytes") / MIB, "MiB", 5.0, "max"),
        ("Session::push p99", get("push_p99_ns") and get("push_p99_ns") / 1000, "µs", 5.0, "max"),
        ("Python binding overhead", overhead("python_binding_per_s", "score_100_rules_per_s"), "%", 10.0, "max"),
        ("Node binding overhead", overhead("node_binding_per_s", "score_100_rules_per_s"), "%", 10.0, "max"),
        ("CLI overhead (vs Rust JSON in/out)", overhead("cli_per_s", "json_in_out_100_rules_per_s"), "%", 10.0, "max"),
        ("÷ Python implementation", ratio("score_100_rules_per_s", "python_reference_per_s"), "×", 100.0, "min"),
        ("÷ matcher_rs (phrase-only rubric)", ratio("peer_qa_core_phrases_only_per_s", "peer_matcher_rs_phrases_only_per_s"), "×", 1.0, "min"),
    ]


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    if unit == "/s":
        return f"{v:,.0f}/s"
    if unit == "%":
        return f"{v:+.1f} %"
    return f"{v:,.2f} {unit}"


def main() -> None:
    out_dir = sys.argv[1]
    plot = sys.argv[sys.argv.index("--plot") + 1] if "--plot" in sys.argv else None
    r: dict = {}
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("{"):
            r.update(json.loads(line))
    rows = targets(r)
    print(f"\n{'target':<40} {'measured':>16} {'target':>12}  verdict")
    verdicts = {}
    for name, v, unit, t, kind in rows:
        if v is None:
            verdict = "not measured"
        elif (v >= t) if kind == "min" else (v <= t):
            verdict = "met"
        else:
            verdict = "MISSED"
        verdicts[name.strip()] = verdict
        bound = "≥" if kind == "min" else "≤"
        print(f"{name:<40} {fmt(v, unit):>16} {bound + ' ' + fmt(t, unit):>12}  {verdict}")
    print("\nscore_many, 2 threads ÷ 1 thread: "
          + (f"{r['score_many_2_threads_per_s'] / r['score_many_1_threads_per_s']:.2f}×"
             if r.get("score_many_1_threads_per_s") else "n/a"))
    r["verdicts"] = verdicts
    with open(f"{out_dir}/results.json", "w", encoding="utf-8") as f:
        json.dump(r, f, indent=1, ensure_ascii=False)
    if plot:
        draw(r, rows, plot)
        print(f"plot: {plot}")


def draw(r: dict, rows: list, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [
        ("bare Aho-Corasick scan (ceiling)", "bare_scan_100_rules_per_s"),
        ("qa-core, 100 rules", "score_100_rules_per_s"),
        ("qa-core, 100 rules + 5 regex", "score_100_rules_regex_per_s"),
        ("qa-core, 10,000 phrases", "score_10k_phrases_per_s"),
        ("qa-core, word: true", "score_100_rules_word_per_s"),
        ("qa-core, phrase-only (mimalloc)", "peer_qa_core_phrases_only_per_s"),
        ("matcher_rs, phrase-only (mimalloc)", "peer_matcher_rs_phrases_only_per_s"),
        ("Node binding, 100 rules", "node_binding_per_s"),
        ("Python binding, 100 rules", "python_binding_per_s"),
        ("CLI qa score, 100 rules", "cli_per_s"),
        ("Python implementation, 100 rules", "python_reference_per_s"),
    ]
    bars = [(n, r[k]) for n, k in bars if r.get(k)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [3, 2]})
    names = [n for n, _ in bars][::-1]
    vals = [v for _, v in bars][::-1]
    colors = ["#d62728" if n.startswith(("qa-core", "Node", "Python binding", "CLI")) else "#7f7f7f" for n in names]
    a1.barh(names, vals, color=colors)
    a1.set_xscale("log")
    a1.set_xlabel("transcripts per second, one core (log scale)")
    a1.axvline(60_000, color="k", ls="--", lw=1)
    a1.text(60_000, len(names) - 0.4, " 60k/s target", fontsize=8)
    for i, v in enumerate(vals):
        a1.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    a1.set_title("Throughput on the seeded corpus (~3.4 KB, 20–60 turns)")
    names2, vals2, cols2 = [], [], []
    for name, v, unit, t, kind in rows:
        if v is None:
            continue
        if unit == "%":
            # overhead: ≤ t % → margin as (100 + t) / (100 + v)
            score = (100 + t) / (100 + max(v, -99))
        else:
            score = v / t if kind == "min" else t / v
        names2.append(name.strip())
        vals2.append(score)
        cols2.append("#2ca02c" if score >= 1 else "#d62728")
    a2.barh(names2[::-1], vals2[::-1], color=cols2[::-1])
    a2.axvline(1.0, color="k", lw=1)
    a2.set_xscale("log")
    a2.set_xlabel("measured ÷ target (≥ 1 is met; log scale)")
    a2.set_title("Targets of issue 4")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
