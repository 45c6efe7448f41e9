#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from testdata/ and examples/:
corpus/rubric_parse gets every rubric (YAML, JSON and TOML text), corpus/score and
corpus/session every transcript as JSON. Existing corpus files are kept."""

import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"


def put(target: str, data: str) -> None:
    raw = data.encode("utf-8")
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(raw).hexdigest()).write_bytes(raw)


rubrics, transcripts = [], []
for path in sorted((root / "testdata" / "cases").glob("*.json")):
    case = json.loads(path.read_text(encoding="utf-8"))
    if "rubric_text" in case:
        rubrics.append(case["rubric_text"])
    if "rubric" in case:
        rubrics.append(json.dumps(case["rubric"], ensure_ascii=False))
    if "transcript" in case:
        transcripts.append(json.dumps(case["transcript"], ensure_ascii=False))
for folder in [root / "testdata" / "rubrics", root / "examples" / "rubrics"]:
    for path in sorted(folder.glob("*")):
        if path.suffix in {".yaml", ".yml", ".json", ".toml"}:
            rubrics.append(path.read_text(encoding="utf-8"))
for path in [root / "testdata" / "corpus" / "stc3-sample.jsonl"] + sorted(
    (root / "examples" / "data").glob("*.jsonl")
):
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            transcripts.append(line)

for r in rubrics:
    put("rubric_parse", r)
for t in transcripts:
    put("score", t)
    put("session", t)
print(f"seeds: {len(rubrics)} rubrics, {len(transcripts)} transcripts")
