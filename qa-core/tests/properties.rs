//! Property tests: no panic on arbitrary rubrics and transcripts; every span slices the
//! original text to the finding's `text`; streaming ≡ batch; rubrics round-trip through JSON;
//! every real dialogue of the sample scores.

use std::path::Path;

use proptest::prelude::*;
use qa_core::{
    Engine, Format, Limits, Negation, Report, Role, Rubric, RubricBuilder, RuleBuilder, RuleKind,
    Scope, SessionMeta, Severity, Transcript, Turn, Window, Within,
};

fn testdata() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata"))
}

/// A rubric that uses every kind and option (shared with the fuzz targets).
const RICH: &str = include_str!("../../testdata/rubrics/rich.yaml");

fn rich() -> Engine {
    Engine::new(Rubric::from_yaml(RICH).expect("rich rubric")).expect("compiles")
}

/// Text built from pieces that exercise normalization, negation and spans.
fn text_strategy() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "您好",
        "你好",
        "Hello",
        "ＨＥＬＬＯ",
        "這是規定",
        "这是规定",
        "爱@买*不-买",
        "不",
        "没有",
        "不能",
        "保本",
        "保本基金说明书",
        "稳赚",
        "NOT",
        "no",
        "know",
        "大麻",
        "大麻烦",
        "13800138000",
        "１３８００１３８０００",
        "卡号",
        "1234",
        "退款",
        "抱歉",
        "谢谢",
        "投诉",
        "报警",
        "代码",
        "再见",
        "理解您的心情",
        "好的",
        "，",
        "。",
        "!",
        " ",
        "\n",
        "😀",
        "👨‍👩‍👧",
        "é",
        "\u{301}",
        "İ",
        "ß",
        "ǅ",
        "\u{200d}",
        "\u{feff}",
        "a",
        "1",
        "",
        "我想退货",
        "Don't Care",
        "guaranteed return",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

fn turn_strategy() -> impl Strategy<Value = Turn> {
    (
        prop::sample::select(vec![
            "agent", "customer", "客服", "User", "bot", "AGENT", "",
        ]),
        prop_oneof![text_strategy(), any::<String>()],
        prop::option::of(0.0f64..200.0),
        prop::option::of(0.0f64..30.0),
    )
        .prop_map(|(speaker, text, start, len)| Turn {
            speaker: speaker.to_string(),
            text,
            start,
            end: start.zip(len).map(|(s, l)| s + l),
        })
}

fn transcript_strategy() -> impl Strategy<Value = Transcript> {
    prop::collection::vec(turn_strategy(), 0..16).prop_map(|turns| Transcript {
        id: Some("p".into()),
        turns,
        ..Default::default()
    })
}

fn check_report(t: &Transcript, report: &Report) {
    assert!(
        report.score >= 0.0 && report.score <= 105.0,
        "{}",
        report.score
    );
    assert_eq!(report.passed, !report.fatal && report.score >= 80.0);
    let mut prev: Option<(Option<usize>, Option<usize>)> = None;
    for f in &report.findings {
        if let (Some(turn), Some(s), Some(e)) = (f.turn, f.start, f.end) {
            let text = &t.turns[turn].text;
            let slice: String = text.chars().skip(s).take(e - s).collect();
            assert_eq!(Some(&slice), f.text.as_ref(), "rule {} turn {turn}", f.rule);
            let span = f.span.clone().expect("a span");
            assert_eq!(span.chars, s..e);
            assert_eq!(&text[span.bytes], slice);
            let u = span.utf16;
            let units: Vec<u16> = text.encode_utf16().collect();
            assert_eq!(String::from_utf16(&units[u]).unwrap(), slice);
        }
        let key = (f.turn, f.start);
        if let Some(p) = prev {
            assert!(p <= key, "findings out of order: {p:?} then {key:?}");
        }
        prev = Some(key);
        assert!(f.deduct >= 0.0);
    }
}

/// The rich rubric with every `normalize.strip` item on.
fn rich_stripped() -> Engine {
    let yaml = RICH.replace(
        "normalize: {skip: \" *@#-_.·~|\"}",
        "normalize: {skip: \" *@#-_.·~|\", strip: [mentions, hashtags, urls, emoji_tags, retweets]}",
    );
    assert_ne!(yaml, RICH, "rich.yaml's normalize line changed");
    Engine::new(Rubric::from_yaml(&yaml).expect("rich rubric with strip")).expect("compiles")
}

/// Text with social-media noise (mentions, hashtags, URLs, emoji tags, retweets, zero-width
/// characters) between and inside the pieces the rich rubric matches.
fn social_text_strategy() -> impl Strategy<Value = String> {
    let noise = prop::sample::select(vec![
        "@客服小王",
        "@",
        "a@b",
        "#话题#",
        "#tag_1",
        "#",
        "https://t.cn/A6x?a=1",
        "http://",
        "[发怒]",
        "[OK]",
        "[",
        "]",
        "//@张三:",
        "/",
        "：",
        "\u{200b}",
        "\u{fe0f}",
        "\u{2060}",
    ]);
    prop::collection::vec(
        prop_oneof![text_strategy(), noise.prop_map(str::to_string)],
        0..10,
    )
    .prop_map(|v| v.concat())
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}'
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn spans_slice_the_original_text_with_strip_on(
        texts in prop::collection::vec(social_text_strategy(), 0..8),
    ) {
        let t = Transcript {
            id: Some("s".into()),
            turns: texts
                .into_iter()
                .enumerate()
                .map(|(i, text)| Turn::new(if i % 2 == 0 { "agent" } else { "customer" }, text))
                .collect(),
            ..Default::default()
        };
        let engine = rich_stripped();
        let report = engine.score(&t);
        check_report(&t, &report);
        for f in &report.findings {
            if let (Some(turn), Some(s), Some(e)) = (f.turn, f.start, f.end) {
                let chars: Vec<char> = t.turns[turn].text.chars().collect();
                if s < e && e - s < chars.len() {
                    // a match never starts or ends on an invisible character (a `repeat` or
                    // whole-turn span is the whole text)
                    prop_assert!(!is_invisible(chars[s]) && !is_invisible(chars[e - 1]),
                        "rule {} span {s}..{e} of {:?}", f.rule, t.turns[turn].text);
                }
            }
        }
        let mut session = engine.session(SessionMeta::of(&t));
        for turn in &t.turns {
            session.push(turn.clone());
        }
        prop_assert_eq!(&session.finish(), &report);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn scoring_never_panics_and_spans_slice(t in transcript_strategy()) {
        let engine = rich();
        let report = engine.score(&t);
        check_report(&t, &report);
        // streaming ≡ batch, and pushed findings are in the final report
        let mut s = engine.session(SessionMeta::of(&t));
        let mut pushed = Vec::new();
        for turn in &t.turns {
            pushed.extend(s.push(turn.clone()));
        }
        let streamed = s.finish();
        prop_assert_eq!(&streamed, &report);
        for f in pushed {
            prop_assert!(
                report.findings.iter().any(|g| g.rule == f.rule && g.turn == f.turn && g.start == f.start),
                "pushed finding {} at {:?} missing from the report", f.rule, f.turn
            );
        }
    }

    #[test]
    fn arbitrary_rubric_text_never_panics(text in "\\PC{0,200}") {
        for format in [Format::Yaml, Format::Json, Format::Toml] {
            let _ = Rubric::parse(&text, format, None, &Limits::default()).map(Engine::new);
        }
    }

    #[test]
    fn mutated_rubrics_never_panic(cut in 0usize..2000, insert in "[\\[\\]{}:,\"'@ a-z0-9\\n-]{0,6}") {
        let mut text: String = RICH.to_string();
        let at = text.char_indices().map(|(i, _)| i).nth(cut % RICH.chars().count()).unwrap_or(0);
        text.insert_str(at, &insert);
        if let Ok(r) = Rubric::from_yaml(&text) {
            if let Ok(engine) = Engine::new(r) {
                let t = Transcript {
                    turns: vec![Turn::new("agent", "您好，这是规定 13800138000"), Turn::new("customer", "投诉")],
                    ..Default::default()
                };
                check_report(&t, &engine.score(&t));
            }
        }
    }
}

#[test]
fn rubrics_round_trip_through_json() {
    let mut rubrics = vec![Rubric::from_yaml(RICH).unwrap()];
    rubrics.push(Rubric::from_path(testdata().join("rubrics/spec-example.yaml")).unwrap());
    for entry in std::fs::read_dir(testdata().join("cases")).unwrap() {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        if case.get("expected").is_some() {
            if let Some(r) = case.get("rubric") {
                rubrics.push(Rubric::from_json(&r.to_string()).unwrap());
            }
        }
    }
    for r in rubrics {
        let back = Rubric::from_json(&r.to_json())
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", r.name(), r.to_json()));
        assert_eq!(back, r);
    }
}

#[test]
fn real_dialogues_all_score() {
    let sample = std::fs::read_to_string(testdata().join("corpus/stc3-sample.jsonl")).unwrap();
    let transcripts: Vec<Transcript> = sample
        .lines()
        .map(|l| Transcript::from_json(l).expect("sample line is a valid transcript"))
        .collect();
    assert_eq!(transcripts.len(), 50);
    let mut engines = vec![rich()];
    engines.push(
        Engine::new(Rubric::from_path(testdata().join("rubrics/spec-example.yaml")).unwrap())
            .unwrap(),
    );
    for engine in engines {
        let reports = engine.score_many(&transcripts);
        assert_eq!(reports.len(), transcripts.len());
        for (t, r) in transcripts.iter().zip(&reports) {
            assert_eq!(r.id, t.id, "order kept");
            check_report_loose(t, r);
            assert_eq!(r, &engine.score(t), "score_many equals score");
        }
    }
}

/// Like `check_report`, linear in the text size: spans are checked through their byte ranges,
/// and code-point offsets on the first findings of each turn.
fn check_report_loose(t: &Transcript, r: &Report) {
    let mut per_turn = std::collections::HashMap::new();
    for f in &r.findings {
        if let (Some(turn), Some(s), Some(e)) = (f.turn, f.start, f.end) {
            let text = &t.turns[turn].text;
            let bytes = f.span.clone().expect("a span").bytes;
            assert_eq!(Some(&text[bytes.clone()]), f.text.as_deref());
            let seen = per_turn.entry(turn).or_insert(0);
            *seen += 1;
            if *seen <= 3 {
                assert_eq!(text[..bytes.start].chars().count(), s);
                assert_eq!(s + text[bytes].chars().count(), e);
            }
        }
    }
}

#[test]
fn hostile_inputs_are_bounded() {
    let engine = rich();
    // a megabyte of one repeated phrase, of near items, and of emoji
    for piece in ["爱买不买", "卡号1234", "😀", "不保本", "a"] {
        let big = piece.repeat((1 << 20) / piece.len());
        let t = Transcript {
            turns: vec![Turn::new("agent", big.clone()), Turn::new("customer", big)],
            ..Default::default()
        };
        let r = engine.score(&t);
        check_report_loose(&t, &r);
    }
    // limits are enforced by try_score
    let small = Engine::builder()
        .limits(Limits {
            max_turn_bytes: 10,
            ..Limits::default()
        })
        .build(Rubric::from_yaml(RICH).unwrap())
        .unwrap();
    let t = Transcript {
        turns: vec![Turn::new("agent", "x".repeat(11))],
        ..Default::default()
    };
    let err = small.try_score(&t).unwrap_err();
    assert_eq!(err.kind(), qa_core::TranscriptErrorKind::TurnTooLong);
    assert_eq!(err.turn(), Some(0));
}

#[test]
fn engine_is_shared_across_threads() {
    let engine = rich();
    let t = Transcript {
        turns: vec![
            Turn::new("agent", "这是规定"),
            Turn::new("customer", "投诉"),
        ],
        ..Default::default()
    };
    let want = engine.score(&t);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (engine, t, want) = (&engine, &t, &want);
            s.spawn(move || assert_eq!(&engine.score(t), want));
        }
    });
}

/// One setter of the public rule builder with an arbitrary value, valid or not for the kind.
#[derive(Debug, Clone)]
enum Setter {
    Matching(Vec<String>),
    Except(Vec<String>),
    When(Role, Vec<String>),
    Expect(Role, Vec<String>),
    Role(Role),
    Window(Window),
    Severity(Severity),
    Deduct(f64),
    MaxDeduct(f64),
    Bonus(f64),
    Fatal(bool),
    Alert(bool),
    Negation(Negation),
    Word(bool),
    Within(Within),
    Scope(Scope),
    MaxSeconds(f64),
    MinSeconds(f64),
    MaxCount(usize),
    Similarity(f64),
    Field(String, serde_json::Value),
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0..50.0f64,
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(1e308),
    ]
}

fn phrase_list() -> impl Strategy<Value = Vec<String>> {
    let phrase = prop::sample::select(vec![
        "您好",
        "这是规定",
        "保本",
        "not",
        "@l",
        "@nosuch",
        "",
        "  ",
        "😀",
        "ＡＢ",
        "a",
        "12315",
    ]);
    prop::collection::vec(phrase.prop_map(str::to_string), 0..4)
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![Role::Agent, Role::Customer, Role::Other, Role::Any])
}

fn setter() -> impl Strategy<Value = Setter> {
    let window = prop_oneof![
        (0usize..4).prop_map(Window::First),
        (0usize..4).prop_map(Window::Last),
        (0usize..5, 0usize..5).prop_map(|(a, b)| Window::Turns(a, b)),
        (number(), number()).prop_map(|(a, b)| Window::Seconds(a, b)),
    ];
    let within = prop_oneof![
        (0usize..4).prop_map(Within::Turns),
        number().prop_map(Within::Seconds)
    ];
    let json = prop_oneof![
        Just(serde_json::json!([{"regex": "\\d{3}"}])),
        Just(serde_json::json!([{"regex": "("}])),
        Just(serde_json::json!([{"regex": ".*"}])),
        Just(serde_json::json!({"near": ["a", "b"], "within": 2})),
        Just(serde_json::json!({"near": ["a"], "within": 2})),
        Just(serde_json::json!({"all": ["a", {"not": "b"}]})),
        Just(serde_json::json!({"not": "b"})),
        Just(serde_json::json!({"any": []})),
        Just(serde_json::json!(null)),
        Just(serde_json::json!(7)),
        Just(serde_json::json!({"bogus": 1})),
    ];
    let key = prop::sample::select(vec![
        "match", "except", "when", "expect", "window", "within", "id", "kind", "bogus", "bonus",
    ]);
    prop_oneof![
        phrase_list().prop_map(Setter::Matching),
        phrase_list().prop_map(Setter::Except),
        (role(), phrase_list()).prop_map(|(r, p)| Setter::When(r, p)),
        (role(), phrase_list()).prop_map(|(r, p)| Setter::Expect(r, p)),
        role().prop_map(Setter::Role),
        window.prop_map(Setter::Window),
        prop::sample::select(vec![Severity::Info, Severity::Minor, Severity::Critical])
            .prop_map(Setter::Severity),
        number().prop_map(Setter::Deduct),
        number().prop_map(Setter::MaxDeduct),
        number().prop_map(Setter::Bonus),
        any::<bool>().prop_map(Setter::Fatal),
        any::<bool>().prop_map(Setter::Alert),
        prop::sample::select(vec![Negation::Keep, Negation::Skip]).prop_map(Setter::Negation),
        any::<bool>().prop_map(Setter::Word),
        within.prop_map(Setter::Within),
        prop::sample::select(vec![Scope::First, Scope::Each]).prop_map(Setter::Scope),
        number().prop_map(Setter::MaxSeconds),
        number().prop_map(Setter::MinSeconds),
        (0usize..4).prop_map(Setter::MaxCount),
        number().prop_map(Setter::Similarity),
        (key, json).prop_map(|(k, v)| Setter::Field(k.to_string(), v)),
    ]
}

fn apply(b: RuleBuilder, s: Setter) -> RuleBuilder {
    match s {
        Setter::Matching(p) => b.matching(p),
        Setter::Except(p) => b.except(p),
        Setter::When(r, p) => b.when(r, p),
        Setter::Expect(r, p) => b.expect(r, p),
        Setter::Role(r) => b.role(r),
        Setter::Window(w) => b.window(w),
        Setter::Severity(s) => b.severity(s),
        Setter::Deduct(x) => b.deduct(x),
        Setter::MaxDeduct(x) => b.max_deduct(x),
        Setter::Bonus(x) => b.bonus(x),
        Setter::Fatal(x) => b.fatal(x),
        Setter::Alert(x) => b.alert(x),
        Setter::Negation(n) => b.negation(n),
        Setter::Word(x) => b.word(x),
        Setter::Within(w) => b.within(w),
        Setter::Scope(s) => b.scope(s),
        Setter::MaxSeconds(x) => b.max_seconds(x),
        Setter::MinSeconds(x) => b.min_seconds(x),
        Setter::MaxCount(n) => b.max_count(n),
        Setter::Similarity(x) => b.similarity(x),
        Setter::Field(k, v) => b.field(&k, v),
    }
}

fn built_rubric() -> impl Strategy<Value = RubricBuilder> {
    let rule = (
        prop::sample::select(RuleKind::ALL.to_vec()),
        prop::collection::vec(setter(), 0..8),
    );
    (prop::collection::vec(rule, 0..5), phrase_list()).prop_map(|(rules, list)| {
        let mut b = RubricBuilder::new("built").list("l", list);
        for (i, (kind, setters)) in rules.into_iter().enumerate() {
            let r = setters
                .into_iter()
                .fold(RuleBuilder::new(format!("r{i}"), kind), apply);
            b = b.rule(r);
        }
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Rubrics built through the public Rust API with arbitrary field combinations: the
    /// checker answers with a rubric or errors, never a panic; a rubric that exists compiles and
    /// scores, and its JSON reads back into an equal rubric.
    #[test]
    fn built_rubrics_are_checked_never_panic(b in built_rubric(), t in transcript_strategy()) {
        let value = b.to_value();
        match b.build() {
            Err(e) => {
                prop_assert!(!e.diagnostics().is_empty());
                for d in e.diagnostics() {
                    prop_assert!(!d.message.is_empty());
                }
            }
            Ok(rubric) => {
                let back = Rubric::from_json(&rubric.to_json());
                prop_assert_eq!(back.as_ref().ok(), Some(&rubric), "{}", value);
                let engine = Engine::new(rubric).expect("a checked rubric compiles");
                let report = engine.score(&t);
                check_report_loose(&t, &report);
                prop_assert_eq!(engine.score(&t), report);
            }
        }
    }
}

/// The built-rubric generator reaches valid rubrics often enough to test scoring with them.
#[test]
fn built_rubrics_are_often_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let valid = (0..400)
        .filter(|_| {
            let b = built_rubric().new_tree(&mut runner).unwrap().current();
            b.build().is_ok()
        })
        .count();
    assert!(valid >= 40, "only {valid} of 400 built rubrics are valid");
}
