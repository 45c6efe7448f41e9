//! `Engine::score_arrow` (feature `arrow`): JSON-text and struct columns in, report rows out,
//! equal to `Engine::score` row by row; bad and null rows give their error, never the batch's.
#![cfg(feature = "arrow")]

use std::path::Path;
use std::sync::Arc;

use qa_core::arrow::arrow_array::cast::AsArray;
use qa_core::arrow::arrow_array::types::{Float64Type, Int64Type};
use qa_core::arrow::arrow_array::{
    Array, ArrayRef, BinaryArray, Float64Array, Int32Array, Int64Array, LargeListArray,
    LargeStringArray, ListArray, RecordBatch, StringArray, StringViewArray, StructArray,
};
use qa_core::arrow::arrow_buffer::{NullBuffer, OffsetBuffer};
use qa_core::arrow::arrow_schema::{DataType, Field, Fields};
use qa_core::arrow::report_schema;
use qa_core::{Engine, Limits, Report, Rubric, Transcript, Turn};

const RUBRIC: &str = r#"
rubric: 售后质检
scoring: {base: 100, pass: 80}
redact: {builtin: [phone_cn]}
rules:
  - {id: greeting, kind: require, role: agent, window: {first: 1}, match: [您好, hello], deduct: 5}
  - {id: rude, kind: forbid, match: [这是规定, "don't care", ＡＢＣ], deduct: 10}
  - {id: phone, kind: forbid, match: [{regex: '1[3-9]\d{9}'}], deduct: 1}
  - {id: promise, kind: forbid, match: [保本], negation: skip, fatal: true}
"#;

fn engine() -> Engine {
    Engine::new(Rubric::from_yaml(RUBRIC).unwrap()).unwrap()
}

/// One finding as read back from the rows.
#[derive(Debug, PartialEq)]
struct F {
    rule: String,
    kind: String,
    severity: String,
    deduct: f64,
    turn: Option<i64>,
    start: Option<i64>,
    end: Option<i64>,
    text: Option<String>,
}

/// One report row as read back.
#[derive(Debug, PartialEq)]
struct Row {
    id: Option<String>,
    agent: Option<String>,
    channel: Option<String>,
    score: Option<f64>,
    passed: Option<bool>,
    fatal: Option<bool>,
    findings: Option<Vec<F>>,
    error: Option<String>,
}

fn text_at(a: &ArrayRef, i: usize) -> Option<String> {
    let s = a.as_string::<i32>();
    (!s.is_null(i)).then(|| s.value(i).to_string())
}

fn int_at(a: &ArrayRef, i: usize) -> Option<i64> {
    let s = a.as_primitive::<Int64Type>();
    (!s.is_null(i)).then(|| s.value(i))
}

fn rows(batch: &RecordBatch) -> Vec<Row> {
    assert_eq!(batch.schema(), report_schema());
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    let (score, passed, fatal) = (col("score"), col("passed"), col("fatal"));
    let findings = col("findings");
    let findings = findings.as_list::<i32>();
    (0..batch.num_rows())
        .map(|i| Row {
            id: text_at(&col("id"), i),
            agent: text_at(&col("agent"), i),
            channel: text_at(&col("channel"), i),
            score: (!score.is_null(i)).then(|| score.as_primitive::<Float64Type>().value(i)),
            passed: (!passed.is_null(i)).then(|| passed.as_boolean().value(i)),
            fatal: (!fatal.is_null(i)).then(|| fatal.as_boolean().value(i)),
            findings: (!findings.is_null(i)).then(|| {
                let v = findings.value(i);
                let s = v.as_struct();
                let c = |n: &str| s.column_by_name(n).unwrap().clone();
                (0..s.len())
                    .map(|k| F {
                        rule: text_at(&c("rule"), k).unwrap(),
                        kind: text_at(&c("kind"), k).unwrap(),
                        severity: text_at(&c("severity"), k).unwrap(),
                        deduct: c("deduct").as_primitive::<Float64Type>().value(k),
                        turn: int_at(&c("turn"), k),
                        start: int_at(&c("start"), k),
                        end: int_at(&c("end"), k),
                        text: text_at(&c("text"), k),
                    })
                    .collect()
            }),
            error: text_at(&col("error"), i),
        })
        .collect()
}

/// The row `Engine::score` says a transcript gets.
fn expected(r: &Report) -> Row {
    let int = |n: Option<usize>| n.map(|n| n as i64);
    Row {
        id: r.id.clone(),
        agent: r.agent.clone(),
        channel: r.channel.clone(),
        score: Some(r.score),
        passed: Some(r.passed),
        fatal: Some(r.fatal),
        findings: Some(
            r.findings
                .iter()
                .map(|f| F {
                    rule: f.rule.clone(),
                    kind: f.kind.as_str().to_string(),
                    severity: f.severity.as_str().to_string(),
                    deduct: f.deduct,
                    turn: int(f.turn),
                    start: int(f.start),
                    end: int(f.end),
                    text: f.text.clone(),
                })
                .collect(),
        ),
        error: None,
    }
}

fn error(message: &str) -> Row {
    Row {
        id: None,
        agent: None,
        channel: None,
        score: None,
        passed: None,
        fatal: None,
        findings: None,
        error: Some(message.to_string()),
    }
}

/// Conversations in every script the engine reads, with timestamps on some turns.
fn conversations() -> Vec<Transcript> {
    let t = |id: &str, turns: Vec<Turn>| Transcript {
        id: Some(id.to_string()),
        agent: Some("A1".to_string()),
        channel: Some("chat".to_string()),
        turns,
        ..Default::default()
    };
    vec![
        t(
            "zh",
            vec![
                Turn::new("customer", "在吗").at(0.0),
                Turn::new("agent", "您好，这是规定").at(2.5),
            ],
        ),
        t("繁", vec![Turn::new("agent", "這是規定，不保本 😀")]),
        t(
            "full",
            vec![Turn::new("agent", "ＡＢＣ，ｈｅｌｌｏ 电话13800138000")],
        ),
        t(
            "en",
            vec![Turn::new("agent", "Hello! I DON'T CARE 😀😀 保本")],
        ),
        t(
            "emoji",
            vec![
                Turn::new("customer", "😀👍🏽"),
                Turn::new("agent", "😀这是规定😀"),
            ],
        ),
        t("empty", vec![Turn::new("agent", "")]),
        Transcript::default(),
    ]
}

fn json_texts(ts: &[Transcript]) -> Vec<String> {
    ts.iter()
        .map(|t| serde_json::to_string(t).unwrap())
        .collect()
}

/// A struct column of `rows` (`None`: a null row): every field, utf8 and float64.
fn struct_column(rows: &[Option<Transcript>]) -> StructArray {
    let (mut speaker, mut text, mut start, mut end) = (vec![], vec![], vec![], vec![]);
    // a null row takes no turns
    let mut all = vec![0i32];
    for t in rows {
        for turn in t.iter().flat_map(|t| &t.turns) {
            speaker.push(turn.speaker.clone());
            text.push(turn.text.clone());
            start.push(turn.start);
            end.push(turn.end);
        }
        all.push(speaker.len() as i32);
    }
    let turn_fields = Fields::from(vec![
        Field::new("speaker", DataType::Utf8, true),
        Field::new("text", DataType::Utf8, true),
        Field::new("start", DataType::Float64, true),
        Field::new("end", DataType::Float64, true),
    ]);
    let turns = StructArray::new(
        turn_fields.clone(),
        vec![
            Arc::new(StringArray::from(speaker)),
            Arc::new(StringArray::from(text)),
            Arc::new(Float64Array::from(start)),
            Arc::new(Float64Array::from(end)),
        ],
        None,
    );
    let list = ListArray::new(
        Arc::new(Field::new("item", DataType::Struct(turn_fields), true)),
        OffsetBuffer::new(all.into()),
        Arc::new(turns),
        None,
    );
    let label = |f: fn(&Transcript) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| r.as_ref().and_then(f))
                .collect::<Vec<_>>(),
        ))
    };
    let fields = Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("agent", DataType::Utf8, true),
        Field::new("channel", DataType::Utf8, true),
        Field::new("turns", list.data_type().clone(), true),
    ]);
    StructArray::new(
        fields,
        vec![
            label(|t| t.id.clone()),
            label(|t| t.agent.clone()),
            label(|t| t.channel.clone()),
            Arc::new(list),
        ],
        Some(NullBuffer::from(
            rows.iter().map(Option::is_some).collect::<Vec<_>>(),
        )),
    )
}

#[test]
fn json_text_rows_equal_score_in_every_script() {
    let engine = engine();
    let ts = conversations();
    let column = StringArray::from(json_texts(&ts));
    let got = rows(&engine.score_arrow(&column).unwrap());
    let want: Vec<Row> = ts.iter().map(|t| expected(&engine.score(t))).collect();
    assert_eq!(got, want);
    // offsets are code points: the emoji before 这是规定 counts one
    let emoji = &got[4].findings.as_ref().unwrap();
    let rude = emoji.iter().find(|f| f.rule == "rude").unwrap();
    assert_eq!(
        (rude.turn, rude.start, rude.end),
        (Some(1), Some(1), Some(5))
    );
    // whole-conversation findings have null turn, start and end
    let greeting = got[6]
        .findings
        .as_ref()
        .unwrap()
        .iter()
        .find(|f| f.rule == "greeting")
        .unwrap();
    assert_eq!(
        (greeting.turn, greeting.start, greeting.end),
        (None, None, None)
    );
    // 繁體 and full-width evidence is the original text
    assert!(got[1]
        .findings
        .as_ref()
        .unwrap()
        .iter()
        .any(|f| f.text.as_deref() == Some("這是規定")));
    assert!(got[2]
        .findings
        .as_ref()
        .unwrap()
        .iter()
        .any(|f| f.text.as_deref() == Some("ＡＢＣ")));
    assert_eq!(got[5].score, Some(95.0), "an empty turn text is scored");
}

#[test]
fn every_text_type_gives_the_same_rows() {
    let engine = engine();
    let texts = json_texts(&conversations());
    let want = rows(
        &engine
            .score_arrow(&StringArray::from(texts.clone()))
            .unwrap(),
    );
    let strs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bytes: Vec<&[u8]> = texts.iter().map(|s| s.as_bytes()).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(LargeStringArray::from(strs.clone())),
        Arc::new(StringViewArray::from(strs.clone())),
        Arc::new(BinaryArray::from(bytes.clone())),
        Arc::new(qa_core::arrow::arrow_array::LargeBinaryArray::from(
            bytes.clone(),
        )),
        Arc::new(qa_core::arrow::arrow_array::BinaryViewArray::from(bytes)),
    ];
    for c in columns {
        assert_eq!(
            rows(&engine.score_arrow(&c).unwrap()),
            want,
            "{}",
            c.data_type()
        );
    }
}

#[test]
fn bad_and_null_rows_give_their_error_and_the_others_are_scored() {
    let engine = engine();
    let good = json_texts(&conversations()[..1]).remove(0);
    let bad = [
        r#"{"turns": [{"speaker": "agent", "text": "您好"}, {"speaker": 3, "text": ""}]}"#,
        r#"{"turns": [{"speaker": "agent"}]}"#,
        r#"{"turns": "#,
        r#"[1, 2]"#,
        r#"{"turns": [{"speaker": "agent", "text": "", "start": -1}]}"#,
    ];
    let mut items: Vec<Option<&str>> = vec![Some(&good)];
    items.extend(bad.iter().map(|b| Some(*b)));
    items.push(None);
    items.push(Some(&good));
    let got = rows(&engine.score_arrow(&StringArray::from(items)).unwrap());
    assert_eq!(got.len(), 8);
    assert_eq!(got[0], expected(&engine.score(&conversations()[0])));
    assert_eq!(got[7], got[0]);
    for (row, b) in got[1..6].iter().zip(bad) {
        assert_eq!(*row, error(&engine.score_json(b).unwrap_err().to_string()));
    }
    assert_eq!(
        got[1].error.as_deref(),
        Some("turn 1: `speaker` must be a string, found a number")
    );
    assert_eq!(
        got[2].error.as_deref(),
        Some("turn 0: missing field `text`")
    );
    assert_eq!(got[6], error("transcript is null"));

    // binary that is not UTF-8
    let bin = BinaryArray::from(vec![&b"\xff\xfe"[..]]);
    let e = rows(&engine.score_arrow(&bin).unwrap())
        .remove(0)
        .error
        .unwrap();
    assert!(e.starts_with("the transcript is not UTF-8 text"), "{e}");
}

#[test]
fn limits_apply_to_json_and_struct_rows_alike() {
    let limits = Limits {
        max_turns: 2,
        max_turn_bytes: 10,
        ..Default::default()
    };
    let engine = Engine::builder()
        .limits(limits)
        .build(Rubric::from_yaml(RUBRIC).unwrap())
        .unwrap();
    let many = Transcript {
        turns: vec![Turn::new("agent", "a"); 3],
        ..Default::default()
    };
    let long = Transcript {
        turns: vec![
            Turn::new("agent", "a"),
            Turn::new("agent", "这是规定这是规定"),
        ],
        ..Default::default()
    };
    let ts = [many, long];
    let from_json = rows(
        &engine
            .score_arrow(&StringArray::from(json_texts(&ts)))
            .unwrap(),
    );
    let from_struct = rows(
        &engine
            .score_arrow(&struct_column(&[Some(ts[0].clone()), Some(ts[1].clone())]))
            .unwrap(),
    );
    // the JSON reader stops at the turn over the limit; a struct row knows the count
    assert_eq!(
        from_json[0].error.as_deref(),
        Some("the transcript has more than 2 turns")
    );
    assert_eq!(
        from_struct[0].error.as_deref(),
        Some("the transcript has 3 turns, over the limit of 2")
    );
    assert_eq!(from_json[1], from_struct[1]);
    assert_eq!(
        from_json[1].error.as_deref(),
        Some("turn 1: the text is 24 bytes, over the limit of 10")
    );
}

#[test]
fn struct_rows_equal_json_rows() {
    let engine = engine();
    let ts = conversations();
    let mut items: Vec<Option<Transcript>> = ts.iter().cloned().map(Some).collect();
    items.insert(2, None);
    let got = rows(&engine.score_arrow(&struct_column(&items)).unwrap());
    let want: Vec<Row> = items
        .iter()
        .map(|t| match t {
            Some(t) => expected(&engine.score(t)),
            None => error("transcript is null"),
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn sliced_columns_read_their_own_rows() {
    let engine = engine();
    let ts = conversations();
    let want: Vec<Row> = ts[2..5]
        .iter()
        .map(|t| expected(&engine.score(t)))
        .collect();
    let text = StringArray::from(json_texts(&ts)).slice(2, 3);
    assert!(text.value_offsets()[0] > 0);
    assert_eq!(rows(&engine.score_arrow(&text).unwrap()), want);
    let large = LargeStringArray::from(json_texts(&ts)).slice(2, 3);
    assert_eq!(rows(&engine.score_arrow(&large).unwrap()), want);
    let items: Vec<Option<Transcript>> = ts.iter().cloned().map(Some).collect();
    let s = struct_column(&items).slice(2, 3);
    assert_eq!(rows(&engine.score_arrow(&s).unwrap()), want);
}

#[test]
fn struct_fields_of_other_types_and_missing_optional_fields() {
    let engine = engine();
    // only turns, each with only speaker and text (utf8_view), in a large list
    let turn_fields = Fields::from(vec![
        Field::new("speaker", DataType::Utf8View, true),
        Field::new("text", DataType::Utf8View, true),
        Field::new("start", DataType::Int32, true),
    ]);
    let turns = StructArray::new(
        turn_fields.clone(),
        vec![
            Arc::new(StringViewArray::from(vec![
                Some("agent"),
                None,
                Some("agent"),
                Some("agent"),
            ])),
            Arc::new(StringViewArray::from(vec![
                "您好，这是规定",
                "x",
                "保本",
                "y",
            ])),
            Arc::new(Int32Array::from(vec![Some(3), None, Some(-1), None])),
        ],
        Some(NullBuffer::from(vec![true, true, true, false])),
    );
    let list = LargeListArray::new(
        Arc::new(Field::new("item", DataType::Struct(turn_fields), true)),
        OffsetBuffer::new(vec![0i64, 1, 2, 3, 4, 4].into()),
        Arc::new(turns),
        Some(NullBuffer::from(vec![true, true, true, true, false])),
    );
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![7, 8, 9, 10, 11]));
    let column = StructArray::new(
        Fields::from(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("turns", list.data_type().clone(), true),
        ]),
        vec![ids, Arc::new(list)],
        None,
    );
    let got = rows(&engine.score_arrow(&column).unwrap());
    let first = Transcript {
        id: Some("7".into()),
        turns: vec![Turn::new("agent", "您好，这是规定").at(3.0)],
        ..Default::default()
    };
    assert_eq!(got[0], expected(&engine.score(&first)));
    assert_eq!(
        got[1],
        error("turn 0: `speaker` must be a string, found null")
    );
    assert_eq!(
        got[2],
        error("turn 0: `start` must be a non-negative number of seconds, found -1")
    );
    // as the JSON reader says it
    let null_turn = engine.score_json(r#"{"turns": [null]}"#).unwrap_err();
    assert_eq!(got[3], error(&null_turn.to_string()));
    assert_eq!(got[4], error("`turns` must be an array, found null"));
}

#[test]
fn meta_as_json_text_or_a_struct() {
    let engine = engine();
    let turns = struct_column(&vec![Some(conversations()[0].clone()); 3]);
    let list = turns.column_by_name("turns").unwrap().clone();
    let meta_text: ArrayRef = Arc::new(StringArray::from(vec![
        Some(r#"{"vip": true}"#),
        None,
        Some("[1]"),
    ]));
    let column = StructArray::new(
        Fields::from(vec![
            Field::new("meta", DataType::Utf8, true),
            Field::new("turns", list.data_type().clone(), true),
        ]),
        vec![meta_text, list.clone()],
        None,
    );
    let got = rows(&engine.score_arrow(&column).unwrap());
    assert_eq!(got[0].score, got[1].score);
    assert_eq!(got[2], error("`meta` must be an object, found an array"));

    let meta = StructArray::new(
        Fields::from(vec![
            Field::new("tier", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]),
        vec![
            Arc::new(StringArray::from(vec!["金", "银", "铜"])),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
        ],
        None,
    );
    let column = StructArray::new(
        Fields::from(vec![
            Field::new("meta", meta.data_type().clone(), true),
            Field::new("turns", list.data_type().clone(), true),
        ]),
        vec![Arc::new(meta), list],
        None,
    );
    let got = rows(&engine.score_arrow(&column).unwrap());
    assert!(
        got.iter().all(|r| r.error.is_none() && r.score.is_some()),
        "{got:?}"
    );
}

#[test]
fn columns_that_hold_no_transcripts_are_refused() {
    let engine = engine();
    let e = engine.score_arrow(&Int64Array::from(vec![1])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("a column of int64 holds no transcripts"),
        "{e}"
    );
    let no_turns = StructArray::new(
        Fields::from(vec![Field::new("id", DataType::Utf8, true)]),
        vec![Arc::new(StringArray::from(vec!["c1"]))],
        None,
    );
    let e = engine.score_arrow(&no_turns).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a struct column of transcripts needs a field `turns`; its fields are [id]"
    );
    let chunks: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["{}"])),
        Arc::new(LargeStringArray::from(vec!["{}"])),
    ];
    assert!(engine
        .score_arrow_chunks(&chunks)
        .unwrap_err()
        .to_string()
        .contains("different types"));
}

#[test]
fn empty_columns_and_chunks_keep_the_schema() {
    let engine = engine();
    let batch = engine
        .score_arrow(&StringArray::from(Vec::<String>::new()))
        .unwrap();
    assert_eq!((batch.num_rows(), batch.schema()), (0, report_schema()));
    let texts = json_texts(&conversations());
    let chunks: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(texts[..3].to_vec())),
        Arc::new(StringArray::from(Vec::<String>::new())),
        Arc::new(StringArray::from(texts[3..].to_vec())),
    ];
    let batches = engine.score_arrow_chunks(&chunks).unwrap();
    assert_eq!(
        batches
            .iter()
            .map(RecordBatch::num_rows)
            .collect::<Vec<_>>(),
        [3, 0, 4]
    );
    let got: Vec<Row> = batches.iter().flat_map(rows).collect();
    let whole = rows(&engine.score_arrow(&StringArray::from(texts)).unwrap());
    assert_eq!(got, whole);
}

#[test]
fn findings_text_is_masked_as_the_json_report_is() {
    let engine = engine();
    let t = &conversations()[2];
    let column = StringArray::from(json_texts(std::slice::from_ref(t)));
    let masked = rows(&engine.score_arrow(&column).unwrap()).remove(0);
    let phone = |r: &Row| {
        r.findings
            .as_ref()
            .unwrap()
            .iter()
            .find(|f| f.rule == "phone")
            .unwrap()
            .text
            .clone()
    };
    assert_eq!(phone(&masked).as_deref(), Some("***********"));
    assert_eq!(masked, expected(&engine.score(t)));
    let plain = engine.with_redact(false);
    let shown = rows(&plain.score_arrow(&column).unwrap()).remove(0);
    assert_eq!(phone(&shown).as_deref(), Some("13800138000"));
    assert_eq!(shown, expected(&plain.score(t)));
}

#[test]
fn golden_cases_and_the_corpus_sample_score_as_score_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    let mut cases = 0;
    for entry in std::fs::read_dir(root.join("cases")).unwrap() {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let Some(transcript) = case.get("transcript") else {
            continue;
        };
        let rubric = match case.get("rubric") {
            Some(r) => Rubric::from_json(&r.to_string()).unwrap(),
            None => Rubric::parse(
                case["rubric_text"].as_str().unwrap(),
                qa_core::Format::from_name(case["rubric_format"].as_str().unwrap_or("yaml"))
                    .unwrap(),
                None,
                &Limits::default(),
            )
            .unwrap(),
        };
        let engine = Engine::new(rubric).unwrap();
        let t = Transcript::from_value(transcript.clone()).unwrap();
        let got = rows(
            &engine
                .score_arrow(&StringArray::from(vec![transcript.to_string()]))
                .unwrap(),
        );
        assert_eq!(got, [expected(&engine.score(&t))], "{}", case["name"]);
        let got = rows(
            &engine
                .score_arrow(&struct_column(&[Some(t.clone())]))
                .unwrap(),
        );
        assert_eq!(
            got[0].findings,
            expected(&engine.score(&t)).findings,
            "{}",
            case["name"]
        );
        cases += 1;
    }
    assert!(cases > 50, "{cases}");

    let lines: Vec<String> = std::fs::read_to_string(root.join("corpus/stc3-sample.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 50);
    let ts: Vec<Transcript> = lines
        .iter()
        .map(|l| Transcript::from_json(l).unwrap())
        .collect();
    for rubric in ["rich.yaml", "spec-example.yaml"] {
        let engine =
            Engine::new(Rubric::from_path(root.join("rubrics").join(rubric)).unwrap()).unwrap();
        let want: Vec<Row> = engine.score_many(&ts).iter().map(expected).collect();
        let got = rows(
            &engine
                .score_arrow(&StringArray::from(lines.clone()))
                .unwrap(),
        );
        assert_eq!(got, want, "{rubric}");
        let items: Vec<Option<Transcript>> = ts.iter().cloned().map(Some).collect();
        assert_eq!(
            rows(&engine.score_arrow(&struct_column(&items)).unwrap()),
            want,
            "{rubric}"
        );
    }
}
