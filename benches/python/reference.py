"""A straightforward Python scorer of the same rubric, as helpdesk teams write it today.

str.find for phrases, `re` for regexes, OpenCC for 繁→简, jieba for `word: true` and `repeat`,
a loop over rules for every turn. It reads the rubric as qa-core's JSON (`Rubric::to_json`),
covers what the benchmark rubrics use (forbid, require with windows, respond within turns,
response_time, silence, overlap, duration, negation, except, word, lists, any) and is the
baseline of the "≥ 100× the Python implementation" target in benches/compare.

    python reference.py RUBRIC.json CORPUS.jsonl [--rounds R] [--limit N] [--check REPORTS.jsonl]

--limit N scores only the first N conversations (it is slow).

Prints one JSON object: transcripts per second (best of R rounds) and, with --check, how many
scores agree with qa-core's reports.
"""

from __future__ import annotations

import json
import re
import sys
import time

import jieba
import opencc

jieba.setLogLevel(60)
_T2S = opencc.OpenCC("t2s")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
ZH_NEG = ["不是", "不能", "不会", "绝不", "不要", "没有", "从不", "并非", "不", "没", "未", "无", "别", "非", "莫", "勿"]
ZH_NOT_NEG = ["非常", "无论", "不错", "不过", "不久", "不少", "不断", "不仅", "不但", "无比", "别人", "别的", "不管", "未来", "无限", "非凡", "不然", "不如"]
EN_NEG = ["not", "no", "never", "don't", "dont", "can't", "cant", "cannot", "won't", "isn't", "aren't", "doesn't", "didn't", "without", "nor", "neither"]
BREAKS = set("，。！？；,.!?;\n\r")
DEFAULT_AGENT = ["agent", "helpdesk", "staff", "客服", "坐席", "b2c"]
DEFAULT_CUSTOMER = ["customer", "user", "client", "客户", "用户", "c2b"]


def normalize(text: str) -> str:
    return _T2S.convert(text).translate(_FULLWIDTH).lower()


def is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


class Rubric:
    def __init__(self, data: dict):
        self.data = data
        self.lists = {k: [normalize(p) for p in v] for k, v in data.get("lists", {}).items()}
        sp = data.get("speakers", {})
        self.agent = {s.lower() for s in sp.get("agent", DEFAULT_AGENT)}
        self.customer = {s.lower() for s in sp.get("customer", DEFAULT_CUSTOMER)}
        scoring = data.get("scoring", {})
        self.base = scoring.get("base", 100.0)
        self.pass_mark = scoring.get("pass", 60.0)
        self.rules = data["rules"]

    def role(self, speaker: str) -> str:
        s = speaker.strip().lower()
        return "agent" if s in self.agent else "customer" if s in self.customer else "other"


def negated(text: str, start: int) -> bool:
    for gap in range(0, 5):
        end = start - gap
        if end < 0:
            return False
        head = text[:end]
        for neg in ZH_NEG:
            if head.endswith(neg):
                at = end - len(neg)
                window = text[max(0, at - 3):at + 4]
                if not any(w in window for w in ZH_NOT_NEG):
                    return True
        for neg in EN_NEG:
            if head.endswith(neg) and (end - len(neg) == 0 or not head[end - len(neg) - 1].isalnum()):
                if end >= len(text) or not text[end].isalnum():
                    return True
        if end == 0 or text[end - 1] in BREAKS:
            return False
    return False


def on_boundaries(text: str, s: int, e: int, cuts: list) -> bool:
    for pos in (s, e):
        if pos == 0 or pos >= len(text):
            continue
        a, b = text[pos - 1], text[pos]
        if is_cjk(a) and is_cjk(b):
            if not cuts:
                acc, bounds = 0, {0}
                for w in jieba.cut(text):
                    acc += len(w)
                    bounds.add(acc)
                cuts.append(bounds)
            if pos not in cuts[0]:
                return False
        elif a.isalnum() and b.isalnum():
            return False
    return True


def find_all(rubric: Rubric, expr, text: str, rule: dict, cuts: list) -> list:
    """Spans of `expr` in normalized `text`."""
    if isinstance(expr, list):
        return [s for item in expr for s in find_all(rubric, item, text, rule, cuts)]
    if isinstance(expr, dict):
        if "any" in expr:
            return find_all(rubric, expr["any"], text, rule, cuts)
        if "regex" in expr:
            spans = [(m.start(), m.end()) for m in re.finditer(expr["regex"], text, re.I) if m.end() > m.start()]
        elif "all" in expr:
            parts = [find_all(rubric, i, text, rule, cuts) for i in expr["all"]]
            if all(parts):
                return [(min(p[0][0] for p in parts), max(p[-1][1] for p in parts))]
            return []
        else:
            raise ValueError(f"unsupported expression {expr}")
    else:
        phrases = rubric.lists[expr[1:]] if expr.startswith("@") else [normalize(expr)]
        spans = []
        for p in phrases:
            i = text.find(p)
            while i >= 0:
                spans.append((i, i + len(p)))
                i = text.find(p, i + 1)
    if rule.get("negation") == "skip":
        spans = [s for s in spans if not negated(text, s[0])]
    if rule.get("word"):
        spans = [s for s in spans if on_boundaries(text, s[0], s[1], cuts)]
    return spans


def merged(spans: list) -> list:
    out = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def covers(rule_role: str, role: str) -> bool:
    return rule_role == "any" or rule_role == role


def score(rubric: Rubric, transcript: dict) -> dict:
    turns = transcript["turns"]
    texts = [normalize(t["text"]) for t in turns]
    roles = [rubric.role(t["speaker"]) for t in turns]
    cuts = [[] for _ in turns]
    timed = any("start" in t or "end" in t for t in turns)
    findings = []  # (rule index, turn)
    met = [False] * len(rubric.rules)
    for r, rule in enumerate(rubric.rules):
        kind = rule["kind"]
        role = rule.get("role", "agent")
        idx = [i for i in range(len(turns)) if covers(role, roles[i])]
        window = rule.get("window")
        if window:
            if "first" in window:
                idx = idx[: window["first"]]
            elif "last" in window:
                idx = idx[-window["last"]:]
        if kind in ("forbid", "require"):
            hit = False
            for i in idx:
                spans = find_all(rubric, rule["match"], texts[i], rule, cuts[i])
                if spans and rule.get("except"):
                    ex = find_all(rubric, rule["except"], texts[i], {}, cuts[i])
                    spans = [s for s in spans if not any(a < s[1] and s[0] < b for a, b in ex)]
                spans = merged(spans)
                if kind == "forbid":
                    findings += [(r, i)] * len(spans)
                hit |= bool(spans)
            if kind == "require":
                met[r] = hit
                if not hit and (rule.get("deduct", 0) > 0 or rule.get("bonus", 0) == 0):
                    findings.append((r, None))
        elif kind == "respond":
            n = rule.get("within", {}).get("turns", 1)
            when, expect = rule["when"], rule["expect"]
            for i in range(len(turns)):
                if not covers(when["role"], roles[i]) or not find_all(rubric, when["match"], texts[i], rule, cuts[i]):
                    continue
                answers = [j for j in range(i + 1, len(turns)) if covers(expect["role"], roles[j])][:n]
                if not any(find_all(rubric, expect["match"], texts[j], rule, cuts[j]) for j in answers):
                    findings.append((r, i))
        elif not timed:
            continue
        elif kind == "response_time":
            since = None
            for i, t in enumerate(turns):
                if roles[i] == "customer":
                    since = t.get("start") if since is None else since
                elif roles[i] == "agent" and since is not None:
                    if t.get("start", since) - since > rule["max_seconds"]:
                        findings.append((r, i))
                    since = None
                    if rule.get("scope") == "first":
                        break
        elif kind == "silence":
            for i in range(1, len(turns)):
                prev = turns[i - 1].get("end", turns[i - 1].get("start"))
                if prev is not None and turns[i].get("start", prev) - prev > rule["max_seconds"]:
                    findings.append((r, i))
        elif kind == "overlap":
            count = 0
            for i in range(1, len(turns)):
                prev = turns[i - 1]
                if covers(role, roles[i]) and prev["speaker"] != turns[i]["speaker"] and "end" in prev and turns[i].get("start", prev["end"]) < prev["end"]:
                    count += 1
                    if count > rule.get("max_count", 0):
                        findings.append((r, i))
        elif kind == "duration":
            first, last = turns[0].get("start"), turns[-1].get("end", turns[-1].get("start"))
            if first is not None and last is not None:
                d = last - first
                if d > rule.get("max_seconds", float("inf")) or d < rule.get("min_seconds", float("-inf")):
                    findings.append((r, None))
    taken = [0.0] * len(rubric.rules)
    deducted, fatal = 0.0, False
    for r, _ in sorted(findings, key=lambda f: (-1 if f[1] is None else f[1], f[0])):
        rule = rubric.rules[r]
        d = min(rule.get("deduct", 0.0), max(0.0, rule.get("max_deduct", rule.get("deduct", 0.0)) - taken[r]))
        taken[r] += d
        deducted += d
        fatal |= rule.get("fatal", False)
    bonus = sum(rule.get("bonus", 0.0) for rule, m in zip(rubric.rules, met) if m)
    value = 0.0 if fatal else max(0.0, min(rubric.base, rubric.base - deducted + bonus))
    return {"id": transcript.get("id"), "score": round(value, 6), "findings": len(findings)}


def main() -> None:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 1
    check = args[args.index("--check") + 1] if "--check" in args else None
    limit = int(args[args.index("--limit") + 1]) if "--limit" in args else None
    with open(args[0], encoding="utf-8") as f:
        rubric = Rubric(json.load(f))
    with open(args[1], encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()][:limit]
    list(jieba.cut("预热词典"))  # load the dictionary before timing
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        reports = [score(rubric, d) for d in docs]
        best = min(best, time.perf_counter() - t0)
    out = {"python_reference_per_s": len(docs) / best}
    if check:
        with open(check, encoding="utf-8") as f:
            theirs = [json.loads(line) for line in f if line.strip()]
        same = sum(1 for a, b in zip(reports, theirs) if abs(a["score"] - b["score"]) < 1e-6)
        out["python_reference_same_score"] = same / max(1, min(len(reports), len(theirs)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
