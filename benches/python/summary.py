"""Merges the JSON objects the parts of benches/compare printed (one per line on stdin), computes
the ratios and checks every target of issue 11; prints a table (each target: measured ratio,
target, met or missed), the load average at the start and end of the run, writes results.json
and, with --plot FILE, a PNG (matplotlib).

Over a load average of 1.5 (1 minute, at the start or the end of the run; 2 shared cores) the
run is UNDER LOAD: no target is called met (a met figure reads "met? (under load)").

    python summary.py OUT_DIR [--plot FILE] < parts.jsonl
"""

from __future__ import annotations

import json
import sys

LOAD_LIMIT = 1.5


def baseline(r: dict) -> None:
    """The competent Python baseline is the faster of its two honest phrase strategies."""
    found = [(r[f"python_baseline_real_{s}_per_s"], s) for s in ("find", "regex") if r.get(f"python_baseline_real_{s}_per_s")]
    if found:
        per_s, strategy = max(found)
        r["python_baseline_real_per_s"] = per_s
        r["python_baseline_real_strategy"] = strategy
        r["python_baseline_real_same_score"] = r.get(f"python_baseline_real_{strategy}_same_score")


def targets(r: dict) -> list[tuple[str, float | None, str, float, str]]:
    """Issue 11's targets: (what, value, unit, target, 'min' | 'max')."""
    get = r.get

    def ratio(a: str, b: str) -> float | None:
        return get(a) / get(b) if get(a) and get(b) else None

    def cli(key: str) -> str:
        """The CLI's per-line rate once started when measured (see `marginal` in
        benches/compare), else its rate including start-up."""
        marginal = key.replace("_per_s", "_marginal_per_s")
        return marginal if get(marginal) else key

    def overhead(a: str, b: str) -> float | None:
        return (get(b) / get(a) - 1) * 100 if get(a) and get(b) else None

    return [
        ("core ÷ bare scan, 100 rules", ratio("score_100_rules_per_s", "bare_scan_100_rules_per_s"), "×", 0.6, "min"),
        ("core ÷ bare scan, 10k phrases", ratio("score_10k_phrases_per_s", "bare_scan_10k_phrases_per_s"), "×", 0.5, "min"),
        ("Rust JSON in+out ÷ scoring alone", ratio("json_in_out_100_rules_per_s", "score_100_rules_per_s"), "×", 0.8, "min"),
        ("CLI -j1 ÷ Python JSON round trip", ratio(cli("cli_trivial_real_per_s"), "python_json_roundtrip_real_per_s"), "×", 2.0, "min"),
        ("CLI overhead over Rust JSON in+out", overhead(cli("cli_per_s"), "json_in_out_100_rules_per_s"), "%", 10.0, "max"),
        ("Python score_json(str) time ÷ CLI", ratio(cli("cli_real_per_s"), "python_score_json_str_per_s"), "×", 1.25, "max"),
        ("Python score_json(bytes) time ÷ CLI", ratio(cli("cli_real_per_s"), "python_score_json_bytes_per_s"), "×", 1.25, "max"),
        ("Python score_many(str, 1) time ÷ CLI", ratio(cli("cli_real_per_s"), "python_score_many_str_1_per_s"), "×", 1.25, "max"),
        ("Python score(dict) time ÷ CLI", ratio(cli("cli_real_per_s"), "python_score_dict_per_s"), "×", 2.0, "max"),
        ("Node scoreJson(string) time ÷ CLI", ratio(cli("cli_real_per_s"), "node_score_json_str_per_s"), "×", 1.25, "max"),
        ("Node scoreJson(Buffer) time ÷ CLI", ratio(cli("cli_real_per_s"), "node_score_json_buffer_per_s"), "×", 1.25, "max"),
        ("Node score(object) time ÷ CLI", ratio(cli("cli_real_per_s"), "node_score_object_per_s"), "×", 2.0, "max"),
        ("qa-core ÷ matcher_rs, phrase-only", ratio("peer_qa_core_phrases_only_per_s", "peer_matcher_rs_phrases_only_per_s"), "×", 1.0, "min"),
        ("CLI ÷ Python baseline, real dialogues", ratio(cli("cli_real_per_s"), "python_baseline_real_per_s"), "×", 100.0, "min"),
        ("score_many 2 threads ÷ 1 thread", ratio("score_many_2_threads_per_s", "score_many_1_threads_per_s"), "×", 1.8, "min"),
        ("CLI -j2 ÷ -j1, real dialogues", ratio(cli("cli_real_jobs2_per_s"), cli("cli_real_per_s")), "×", 1.8, "min"),
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
    baseline(r)
    loads = [r[k] for k in ("load_1min_start", "load_1min_end") if r.get(k) is not None]
    under_load = bool(loads) and max(loads) > LOAD_LIMIT
    r["under_load"] = under_load
    rows = targets(r)
    print(f"\n{'target (issue 11)':<40} {'measured':>12} {'target':>10}  verdict")
    verdicts = {}
    for name, v, unit, t, kind in rows:
        if v is None:
            verdict = "not measured"
        elif (v >= t) if kind == "min" else (v <= t):
            verdict = "met? (under load)" if under_load else "met"
        else:
            verdict = "MISSED (under load)" if under_load else "MISSED"
        verdicts[name] = verdict
        bound = "≥" if kind == "min" else "≤"
        print(f"{name:<40} {fmt(v, unit):>12} {bound + ' ' + fmt(t, unit):>10}  {verdict}")
    print()
    def show(label: str, key: str, unit: str = "/s") -> None:
        if r.get(key) is not None:
            print(f"{label:<52} {fmt(r[key], unit)}")

    same, n = r.get("python_baseline_real_same_score"), r.get("python_baseline_real_find_compared")
    if r.get("python_baseline_real_per_s") and same is not None and n:
        print(f"Python baseline ({r['python_baseline_real_strategy']}, the faster strategy): "
              f"{r['python_baseline_real_per_s']:,.0f}/s; same score as qa on {same * 100:.1f} % of {n} real dialogues")
    show("  baseline, str find per phrase", "python_baseline_real_find_per_s")
    show("  baseline, a regex gate per phrase list", "python_baseline_real_regex_per_s")
    show("CLI qa score -j1, real dialogues, helpdesk rubric", "cli_real_per_s")
    show("CLI qa score -j2, real dialogues, helpdesk rubric", "cli_real_jobs2_per_s")
    show("CLI qa score -j1, real dialogues, one-phrase rubric", "cli_trivial_real_per_s")
    show("  … once started (start-up left out)", "cli_trivial_real_marginal_per_s")
    show("CLI -j1 real dialogues once started (start-up left out)", "cli_real_marginal_per_s")
    show("CLI -j2 real dialogues once started", "cli_real_jobs2_marginal_per_s")
    show("CLI -j1 100 rules, generated, with start-up", "cli_per_s")
    show("CLI -j1 100 rules, generated, once started", "cli_marginal_per_s")
    show("CLI start-up, 100-rule rubric (one line)", "cli_startup_s", " s")
    show("CLI start-up, helpdesk rubric (one line)", "cli_real_startup_s", " s")
    show("Python json.loads + json.dumps per line", "python_json_roundtrip_real_per_s")
    if r.get("python_score_many_str_1_per_s") and r.get("python_score_many_str_2_per_s"):
        print(f"{'Python score_many(str), jobs=2 ÷ jobs=1':<52} "
              f"{r['python_score_many_str_2_per_s'] / r['python_score_many_str_1_per_s']:.2f} ×")
    if r.get("python_reference_per_s"):
        print(f"{'Python baseline, generated corpus, 100 rules':<52} {fmt(r['python_reference_per_s'], '/s')}"
              f" (same score: {r.get('python_reference_same_score', 0) * 100:.1f} %)")
    for k in ("start", "end"):
        if r.get(f"uptime_{k}"):
            print(f"uptime at the {k}: {r[f'uptime_{k}']}")
    if under_load:
        print(f"UNDER LOAD — no target is called met (load average {max(loads):.2f} > {LOAD_LIMIT})")
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
        ("CLI qa score, 100 rules", "cli_per_s"),
        ("CLI qa score, real dialogues, 14 rules", "cli_real_per_s"),
        ("Python score_json, real dialogues", "python_score_json_str_per_s"),
        ("Node scoreJson, real dialogues", "node_score_json_str_per_s"),
        ("Python baseline, real dialogues, 14 rules", "python_baseline_real_per_s"),
    ]
    bars = [(n, r[k]) for n, k in bars if r.get(k)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [3, 2]})
    names = [n for n, _ in bars][::-1]
    vals = [v for _, v in bars][::-1]
    colors = ["#d62728" if n.startswith(("qa-core", "Node", "Python score", "CLI")) else "#7f7f7f" for n in names]
    a1.barh(names, vals, color=colors)
    a1.set_xscale("log")
    a1.set_xlabel("transcripts per second, one core (log scale)")
    for i, v in enumerate(vals):
        a1.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    a1.set_title("Throughput (generated corpus; real STC-3 dialogues where named)")
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
    a2.set_title("Targets of issue 11" + (" (UNDER LOAD)" if r.get("under_load") else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
