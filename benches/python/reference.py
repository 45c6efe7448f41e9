"""The competent Python baseline: a rubric scored the way a good engineer writes it in Python.

What it does, per conversation: `json.loads` of the line; each turn's text normalized once —
繁→简 by C++ OpenCC (the PyPI `opencc` package, its C++ extension; ASCII text skips it),
full-width → half-width and zero-width removal by one `str.translate`, `str.lower`; then each
rule over the turns of its role only: phrases by `in` + `str.find` (C) — or, with
`--phrases regex`, one compiled alternation regex per phrase list as a gate before the `find`s —
regexes compiled once (`re`), the negation check only on a hit, jieba only for `word: true`
rules and only when a hit's edge falls between two CJK characters (segmentation cached per
turn), `except` checked only on a hit; then the score (caps, bonuses, `scoring.max`) and a small
JSON result per line (`json.dumps`). Everything that does not depend on the text (lists,
normalized phrases, regexes, rule closures) is compiled once, before timing.

It reads a rubric as YAML or as qa-core's JSON (`Rubric::to_json`) and covers what the benchmark
rubrics use: forbid, require (window, bonus), respond (within turns), response_time, silence,
overlap, duration, negation, except, word, lists, any/all, regex. It is the baseline of issue
11's "≥ 100× a competent Python script" target in benches/compare, run on the real dialogues of
../shared/corpus with benches/rubrics/helpdesk.yaml (and on the generated corpus with the
100-rule rubric, for continuity).

    python reference.py RUBRIC CORPUS.jsonl [--rounds R] [--limit N] [--phrases find|regex]
                        [--check REPORTS.jsonl] [--key NAME] [--scores FILE]

Prints one JSON object: `{NAME}_per_s` (conversations per second, best of R rounds; NAME is
`python_reference` unless --key), and with --check how many scores equal qa's reports on the
same lines (`{NAME}_same_score`, a fraction, and `{NAME}_compared`). --scores FILE writes this
script's scores, one JSON line each (for looking at disagreements).
"""

from __future__ import annotations

import json
import re
import sys
import time

import jieba
import opencc
import opencc.clib  # noqa: F401  (the C++ extension: fails on a pure-Python OpenCC)

jieba.setLogLevel(60)
_T2S = opencc.OpenCC("t2s")
# full-width ASCII → ASCII, ideographic space → space, zero-width and variation selectors removed:
# one regex finds them, a dict gives each its replacement (faster than str.translate over every
# character of the turn)
_REPLACE = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_REPLACE["\u3000"] = " "
for _c in [*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF, *range(0xFE00, 0xFE10)]:
    _REPLACE[chr(_c)] = ""
_TO_REPLACE = re.compile("[\uff01-\uff5e\u3000\u200b-\u200f\u2060-\u2064\ufeff\ufe00-\ufe0f]")
_replacement = lambda m: _REPLACE[m.group()]  # noqa: E731
ZH_NEG = ("不是", "不能", "不会", "绝不", "不要", "没有", "从不", "并非", "不", "没", "未", "无", "别", "非", "莫", "勿")
ZH_NOT_NEG = ("非常", "无论", "不错", "不过", "不久", "不少", "不断", "不仅", "不但", "无比", "别人", "别的",
              "不管", "未来", "无限", "非凡", "不然", "不如", "毫无疑问")
EN_NEG = ("not", "no", "never", "don't", "dont", "don’t", "can't", "cant", "can’t", "cannot", "won't", "won’t",
          "isn't", "isn’t", "aren't", "aren’t", "doesn't", "doesn’t", "didn't", "didn’t", "wasn't", "weren't",
          "shouldn't", "wouldn't", "couldn't", "without", "nor", "neither")
BREAKS = frozenset("，。！？；,.!?;\n\r")
DEFAULT_AGENT = ["agent", "helpdesk", "staff", "客服", "坐席", "b2c"]
DEFAULT_CUSTOMER = ["customer", "user", "client", "客户", "用户", "c2b"]


def normalize(text: str) -> str:
    if not text.isascii():
        text = _TO_REPLACE.sub(_replacement, _T2S.convert(text))
    return text.lower()


def is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


class Turn:
    """One turn: its normalized text and, when a word rule needs it, its jieba boundaries."""

    __slots__ = ("text", "role", "_cuts")

    def __init__(self, text: str, role: str):
        self.text = text
        self.role = role
        self._cuts: set[int] | None = None

    def cuts(self) -> set[int]:
        if self._cuts is None:
            acc, bounds = 0, {0}
            for w in jieba.cut(self.text):
                acc += len(w)
                bounds.add(acc)
            self._cuts = bounds
        return self._cuts


def negated(text: str, start: int, zh: bool, en: bool) -> bool:
    end = start
    for gap in range(5):
        head = text[:end]
        if zh:
            for neg in ZH_NEG:
                if head.endswith(neg):
                    at = end - len(neg)
                    if not any(w in text[max(0, at - len(w) + 1):at + len(w)] and covers(text, at, w) for w in ZH_NOT_NEG):
                        return True
        if en:
            for neg in EN_NEG:
                if head.endswith(neg):
                    at = end - len(neg)
                    if (at == 0 or not text[at - 1].isalnum()) and (end >= len(text) or not text[end].isalnum()):
                        return True
        if gap == 4 or end == 0 or text[end - 1] in BREAKS:
            return False
        end -= 1
    return False


def covers(text: str, at: int, w: str) -> bool:
    """Whether an occurrence of `w` covers character `at` (then it is not a negation)."""
    lo = max(0, at - len(w) + 1)
    i = text.find(w, lo)
    while 0 <= i <= at:
        if i + len(w) > at:
            return True
        i = text.find(w, i + 1)
    return False


def on_boundaries(turn: Turn, s: int, e: int) -> bool:
    text = turn.text
    for pos in (s, e):
        if pos == 0 or pos >= len(text):
            continue
        a, b = text[pos - 1], text[pos]
        if is_cjk(a) and is_cjk(b):
            if pos not in turn.cuts():
                return False
        elif a.isalnum() and b.isalnum():
            return False
    return True


def merged(spans: list) -> list:
    out: list = []
    for s, e in sorted(spans):
        if out and (s < out[-1][1] or (s, e) == out[-1]):
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


class Rubric:
    def __init__(self, data: dict, phrases: str = "find"):
        self.strategy = phrases
        locale = data.get("locale", "auto")
        self.zh, self.en = locale != "en", locale != "zh"
        self.lists = {k: [normalize(str(p)) for p in v] for k, v in data.get("lists", {}).items()}
        sp = data.get("speakers", {})
        self.agent = {s.lower() for s in sp.get("agent", DEFAULT_AGENT)}
        self.customer = {s.lower() for s in sp.get("customer", DEFAULT_CUSTOMER)}
        scoring = data.get("scoring", {})
        self.base = float(scoring.get("base", 100.0))
        self.pass_mark = float(scoring.get("pass", 60.0))
        self.max = float(scoring.get("max", self.base))
        self.rules = data["rules"]
        self.match = [self.compile(r.get("match"), r) for r in self.rules]
        self.excepts = [self.compile(r["except"], {}) if r.get("except") else None for r in self.rules]
        self.when = [self.compile(r["when"]["match"], r) if "when" in r else None for r in self.rules]
        self.expect = [self.compile(r["expect"]["match"], r) if "expect" in r else None for r in self.rules]
        self.caps = [float(r.get("max_deduct", r.get("deduct", 0.0))) for r in self.rules]
        self.roles: dict[str, str] = {}

    def role(self, speaker: str) -> str:
        r = self.roles.get(speaker)
        if r is None:
            s = speaker.strip().lower()
            r = "agent" if s in self.agent else "customer" if s in self.customer else "other"
            self.roles[speaker] = r
        return r

    def compile(self, expr, rule: dict):
        """A function turn -> spans of `expr` in the turn's normalized text (None: no expression)."""
        if expr is None:
            return None
        if not isinstance(expr, list):
            expr = [expr]
        phrases: list[str] = []
        parts = []
        for item in expr:
            if isinstance(item, dict):
                parts.append(self.compile_dict(item, rule))
            else:
                item = str(item)
                phrases += self.lists[item[1:]] if item.startswith("@") else [normalize(item)]
        if phrases:  # every phrase of the expression, one finder
            parts.insert(0, self.filtered(self.phrase_finder(phrases), rule, word=True))
        if len(parts) == 1:
            return parts[0]
        return lambda turn: [s for f in parts for s in f(turn)]

    def compile_dict(self, expr: dict, rule: dict):
        if "any" in expr:
            return self.compile(expr["any"], rule)
        if "regex" in expr:
            rx = re.compile(expr["regex"], re.I)
            find = lambda turn: [(m.start(), m.end()) for m in rx.finditer(turn.text) if m.end() > m.start()]  # noqa: E731
            return self.filtered(find, rule, word=False)  # `word` does not apply to regexes
        if "all" in expr:
            items = [self.compile(i, rule) for i in expr["all"]]

            def all_of(turn: Turn) -> list:
                lo, hi = None, None
                for f in items:
                    spans = f(turn)
                    if not spans:
                        return []
                    a, b = min(s for s, _ in spans), max(e for _, e in spans)
                    lo, hi = (a, b) if lo is None else (min(lo, a), max(hi, b))
                return [(lo, hi)]

            return all_of
        raise ValueError(f"unsupported expression {expr}")

    def filtered(self, find, rule: dict, word: bool):
        """`find` with the rule's negation and word-boundary checks, run only on hits."""
        neg = rule.get("negation") == "skip"
        word = word and bool(rule.get("word"))
        if not neg and not word:
            return find
        zh, en = self.zh, self.en

        def run(turn: Turn) -> list:
            spans = find(turn)
            if spans and neg:
                spans = [s for s in spans if not negated(turn.text, s[0], zh, en)]
            if spans and word:
                spans = [s for s in spans if on_boundaries(turn, s[0], s[1])]
            return spans

        return run

    def phrase_finder(self, phrases: list):
        phrases = tuple(dict.fromkeys(phrases))
        if self.strategy == "regex":
            gate = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
            search = gate.search
        else:
            search = None

        def find(turn: Turn) -> list:
            text = turn.text
            if search is not None and search(text) is None:
                return []
            spans = []
            for p in phrases:
                if p in text:
                    n = len(p)
                    i = text.find(p)
                    while i >= 0:
                        spans.append((i, i + n))
                        i = text.find(p, i + 1)
            return spans

        return find


def covers_role(rule_role: str, role: str) -> bool:
    return rule_role == "any" or rule_role == role


def score(rubric: Rubric, transcript: dict) -> dict:
    raw = transcript["turns"]
    turns = [Turn(normalize(t["text"]), rubric.role(t["speaker"])) for t in raw]
    timed = any("start" in t or "end" in t for t in raw)
    by_role: dict[str, list[int]] = {"agent": [], "customer": [], "other": [], "any": list(range(len(turns)))}
    for i, t in enumerate(turns):
        by_role[t.role].append(i)
    findings = []  # (turn or -1, rule index)
    met = [False] * len(rubric.rules)
    for r, rule in enumerate(rubric.rules):
        kind = rule["kind"]
        role = rule.get("role", "agent")
        if kind in ("forbid", "require"):
            idx = by_role[role]
            window = rule.get("window")
            if window:
                if "first" in window:
                    idx = idx[: window["first"]]
                elif "last" in window:
                    idx = idx[-window["last"]:]
            match, exc = rubric.match[r], rubric.excepts[r]
            hit = False
            for i in idx:
                spans = match(turns[i])
                if not spans:
                    continue
                if exc is not None:
                    ex = exc(turns[i])
                    if ex:
                        spans = [s for s in spans if not any(a < s[1] and s[0] < b for a, b in ex)]
                if kind == "forbid":
                    findings += [(i, r)] * len(merged(spans))
                elif spans:
                    hit = True
                    break
            if kind == "require":
                met[r] = hit
                if not hit and (rule.get("deduct", 0) > 0 or rule.get("bonus", 0) == 0):
                    findings.append((-1, r))
        elif kind == "respond":
            n = rule.get("within", {}).get("turns", 1)
            when, expect = rubric.when[r], rubric.expect[r]
            wrole, erole = rule["when"]["role"], rule["expect"]["role"]
            for i, t in enumerate(turns):
                if not covers_role(wrole, t.role) or not when(t):
                    continue
                answers = [u for u in turns[i + 1:] if covers_role(erole, u.role)][:n]
                if not any(expect(u) for u in answers):
                    findings.append((i, r))
        elif not timed:
            continue
        elif kind == "response_time":
            since = None
            for i, t in enumerate(raw):
                if turns[i].role == "customer":
                    since = t.get("start") if since is None else since
                elif turns[i].role == "agent" and since is not None:
                    if t.get("start", since) - since > rule["max_seconds"]:
                        findings.append((i, r))
                    since = None
                    if rule.get("scope") == "first":
                        break
        elif kind == "silence":
            for i in range(1, len(raw)):
                prev = raw[i - 1].get("end", raw[i - 1].get("start"))
                if prev is not None and raw[i].get("start", prev) - prev > rule["max_seconds"]:
                    findings.append((i, r))
        elif kind == "overlap":
            count = 0
            for i in range(1, len(raw)):
                prev = raw[i - 1]
                if (covers_role(role, turns[i].role) and prev["speaker"] != raw[i]["speaker"] and "end" in prev
                        and raw[i].get("start", prev["end"]) < prev["end"]):
                    count += 1
                    if count > rule.get("max_count", 0):
                        findings.append((i, r))
        elif kind == "duration":
            first, last = raw[0].get("start"), raw[-1].get("end", raw[-1].get("start"))
            if first is not None and last is not None:
                d = last - first
                if d > rule.get("max_seconds", float("inf")) or d < rule.get("min_seconds", float("-inf")):
                    findings.append((-1, r))
        else:
            raise ValueError(f"unsupported rule kind {kind}")
    taken = [0.0] * len(rubric.rules)
    deducted, fatal = 0.0, False
    for _, r in sorted(findings):
        rule = rubric.rules[r]
        d = min(float(rule.get("deduct", 0.0)), max(0.0, rubric.caps[r] - taken[r]))
        taken[r] += d
        deducted += d
        fatal |= bool(rule.get("fatal", False))
    bonus = sum(float(rule.get("bonus", 0.0)) for rule, m in zip(rubric.rules, met) if m)
    value = 0.0 if fatal else max(0.0, min(rubric.max, rubric.base - deducted + bonus))
    value = round(value, 6)
    return {"id": transcript.get("id"), "score": value, "passed": not fatal and value >= rubric.pass_mark,
            "findings": len(findings)}


def load_rubric(path: str, phrases: str) -> Rubric:
    with open(path, encoding="utf-8") as f:
        if path.endswith((".yaml", ".yml")):
            import yaml

            return Rubric(yaml.safe_load(f), phrases)
        return Rubric(json.load(f), phrases)


def main() -> None:
    args = sys.argv[1:]

    def opt(name: str, default=None):
        return args[args.index(name) + 1] if name in args else default

    rounds = int(opt("--rounds", 1))
    limit = int(opt("--limit")) if "--limit" in args else None
    check, key, scores_out = opt("--check"), opt("--key", "python_reference"), opt("--scores")
    rubric = load_rubric(args[0], opt("--phrases", "find"))
    with open(args[1], encoding="utf-8") as f:
        lines = [line for line in f if line.strip()][:limit]
    list(jieba.cut("预热词典"))  # load the dictionary before timing
    score(rubric, json.loads(lines[0]))
    best = float("inf")
    out_lines: list[str] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        out_lines = [json.dumps(score(rubric, json.loads(line)), ensure_ascii=False) for line in lines]
        best = min(best, time.perf_counter() - t0)
    out = {f"{key}_per_s": len(lines) / best}
    if scores_out:
        with open(scores_out, "w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in out_lines)
    if check:
        ours = [json.loads(line) for line in out_lines]
        with open(check, encoding="utf-8") as f:
            theirs = [json.loads(line) for _, line in zip(range(len(ours)), f)]
        n = min(len(ours), len(theirs))
        same = sum(1 for a, b in zip(ours, theirs) if abs(a["score"] - b["score"]) < 1e-6)
        out[f"{key}_same_score"] = same / max(1, n)
        out[f"{key}_compared"] = n
    print(json.dumps(out))


if __name__ == "__main__":
    main()
