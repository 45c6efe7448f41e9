//! Every limit of `Limits` is enforced with its own error kind, for rubrics read from text in
//! each format, for rubrics built in Rust, and for transcripts scored or pushed live; going
//! over a limit is a quick error, never an OOM, a stack overflow or a hang.

use std::time::{Duration, Instant};

use qa_core::{
    Engine, Format, Limits, Rubric, RubricBuilder, RubricError, RubricErrorKind, RuleBuilder,
    RuleKind, SessionMeta, Transcript, TranscriptError, TranscriptErrorKind, Turn,
};

fn small(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l);
    l
}

fn parse(text: &str, format: Format, limits: &Limits) -> Result<Rubric, RubricError> {
    Rubric::parse(text, format, None, limits)
}

/// Reads `text` with `limits`, then (when it is valid) builds it with them.
fn build(text: &str, limits: &Limits) -> Result<Engine, RubricError> {
    let rubric = parse(text, Format::Yaml, limits)?;
    Engine::builder().limits(limits.clone()).build(rubric)
}

fn rubric_kind(r: Result<impl std::fmt::Debug, RubricError>) -> RubricErrorKind {
    r.expect_err("over the limit, so an error").kind()
}

fn transcript_kind(r: Result<impl std::fmt::Debug, TranscriptError>) -> TranscriptErrorKind {
    r.expect_err("over the limit, so an error").kind()
}

fn engine_with(limits: Limits) -> Engine {
    let rubric = Rubric::from_yaml(
        "rubric: r\nrules:\n  - {id: rude, kind: forbid, match: [这是规定, {regex: '1[3-9]\\d{9}'}], deduct: 10}\n",
    )
    .unwrap();
    Engine::builder().limits(limits).build(rubric).unwrap()
}

fn transcript(turns: Vec<Turn>) -> Transcript {
    Transcript {
        turns,
        ..Transcript::default()
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let l = Limits::default();
    assert_eq!(l.max_rubric_bytes, 4 << 20);
    assert_eq!(l.max_rules, 10_000);
    assert_eq!(l.max_phrases, 200_000);
    assert_eq!(l.max_phrase_chars, 1_000);
    assert_eq!(l.max_regex_bytes, 2 << 20);
    assert_eq!(l.max_nesting, 32);
    assert_eq!(l.max_transcript_bytes, 16 << 20);
    assert_eq!(l.max_turns, 100_000);
    assert_eq!(l.max_turn_bytes, 1 << 20);
}

#[test]
fn limits_deserialize_with_defaults_and_round_trip() {
    let l: Limits = serde_json::from_str("{}").unwrap();
    assert_eq!(l, Limits::default());
    let l: Limits = serde_json::from_str(r#"{"max_rules": 7, "max_turn_bytes": 9}"#).unwrap();
    assert_eq!((l.max_rules, l.max_turn_bytes), (7, 9));
    assert_eq!(l.max_turns, Limits::default().max_turns);
    let json = serde_json::to_string(&l).unwrap();
    assert_eq!(serde_json::from_str::<Limits>(&json).unwrap(), l);
    // a misspelled limit is an error, not a silent default
    assert!(serde_json::from_str::<Limits>(r#"{"max_rule": 7}"#).is_err());
    assert!(serde_json::from_str::<Limits>(r#"{"max_rules": -1}"#).is_err());
}

// ── rubrics ──────────────────────────────────────────────────────────────────────────

#[test]
fn rubric_bytes() {
    let limits = small(|l| l.max_rubric_bytes = 64);
    let yaml = format!("rubric: r\nrules: []\n#{}\n", "x".repeat(64));
    let json = format!(r#"{{"rubric": "{}", "rules": []}}"#, "x".repeat(64));
    let toml = format!("rubric = \"{}\"\nrules = []\n", "x".repeat(64));
    for (text, format) in [
        (yaml, Format::Yaml),
        (json, Format::Json),
        (toml, Format::Toml),
    ] {
        let err = parse(&text, format, &limits).unwrap_err();
        assert_eq!(err.kind(), RubricErrorKind::RubricTooLarge, "{format:?}");
        assert!(
            err.to_string().contains("over the limit of 64 bytes"),
            "{err}"
        );
    }
    // the default, 4 MiB, is checked before any parsing
    let huge = format!("rubric: r\nrules: []\n#{}", "x".repeat(4 << 20));
    let t = Instant::now();
    assert_eq!(
        rubric_kind(Rubric::from_yaml(&huge)),
        RubricErrorKind::RubricTooLarge
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    // a file is refused by its size, before it is read
    let path = std::env::temp_dir().join(format!("qa-limits-{}.yaml", std::process::id()));
    std::fs::write(&path, &huge).unwrap();
    let err = Rubric::from_path(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(err.kind(), RubricErrorKind::RubricTooLarge);
    assert!(err.file().is_some());
}

#[test]
fn rules() {
    let limits = small(|l| l.max_rules = 3);
    let rule = |i: usize| format!("  - {{id: r{i}, kind: forbid, match: [x{i}]}}\n");
    let three: String = (0..3).map(rule).collect();
    let four: String = (0..4).map(rule).collect();
    assert!(build(&format!("rubric: r\nrules:\n{three}"), &limits).is_ok());
    assert_eq!(
        rubric_kind(build(&format!("rubric: r\nrules:\n{four}"), &limits)),
        RubricErrorKind::TooManyRules
    );
    // a rubric read with the default limits is held to the engine's own
    let rubric = Rubric::from_yaml(&format!("rubric: r\nrules:\n{four}")).unwrap();
    assert_eq!(
        rubric_kind(Engine::builder().limits(limits).build(rubric)),
        RubricErrorKind::TooManyRules
    );
}

#[test]
fn phrases() {
    let limits = small(|l| l.max_phrases = 5);
    let ok = "rubric: r\nlists: {l: [a, b, c]}\nrules:\n  - {id: a, kind: forbid, match: ['@l', d, e]}\n";
    assert!(build(ok, &limits).is_ok());
    // list phrases count once per use
    let over = "rubric: r\nlists: {l: [a, b, c]}\nrules:\n  - {id: a, kind: forbid, match: ['@l', d]}\n  - {id: b, kind: forbid, match: ['@l']}\n";
    assert_eq!(
        rubric_kind(build(over, &limits)),
        RubricErrorKind::TooManyPhrases
    );
    // read with larger limits: the engine holds it to its own (distinct phrases over the limit)
    let rubric = Rubric::from_yaml(
        "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [p0, p1, p2, p3, p4, p5]}\n",
    )
    .unwrap();
    assert_eq!(
        rubric_kind(Engine::builder().limits(limits).build(rubric)),
        RubricErrorKind::TooManyPhrases
    );
}

#[test]
fn phrase_length() {
    let limits = small(|l| l.max_phrase_chars = 4);
    let ok = "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [这是规定]}\n";
    assert!(build(ok, &limits).is_ok());
    for text in [
        "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [这是规定吧]}\n",
        "rubric: r\nlists: {l: [abcde]}\nrules:\n  - {id: a, kind: forbid, match: ['@l']}\n",
        "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [x], except: [abcde]}\n",
        "rubric: r\nrules:\n  - {id: a, kind: respond, when: [abcde], expect: [x]}\n",
    ] {
        assert_eq!(
            rubric_kind(build(text, &limits)),
            RubricErrorKind::PhraseTooLong,
            "{text}"
        );
    }
    // read with larger limits, in a rule and in a list: the engine's error names the place
    let rubric =
        Rubric::from_yaml("rubric: r\nrules:\n  - {id: a, kind: forbid, match: [abcde]}\n")
            .unwrap();
    let err = Engine::builder()
        .limits(limits.clone())
        .build(rubric)
        .unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::PhraseTooLong);
    let d = &err.diagnostics()[0];
    assert_eq!(d.rule.as_deref(), Some("a"));
    assert_eq!((d.line, d.column), (Some(3), Some(35)));
    let rubric = Rubric::from_yaml(
        "rubric: r\nlists: {l: [abcdef]}\nrules:\n  - {id: a, kind: forbid, match: [x]}\n",
    )
    .unwrap();
    assert_eq!(
        rubric_kind(Engine::builder().limits(limits).build(rubric)),
        RubricErrorKind::PhraseTooLong
    );
    // the default, 1,000 characters
    let long = format!(
        "rubric: r\nrules:\n  - {{id: a, kind: forbid, match: [{}]}}\n",
        "长".repeat(1001)
    );
    assert_eq!(
        rubric_kind(Rubric::from_yaml(&long)),
        RubricErrorKind::PhraseTooLong
    );
}

#[test]
fn regex_compiled_size() {
    let regex = |re: &str| {
        format!("rubric: r\nrules:\n  - {{id: a, kind: forbid, match: [{{regex: '{re}'}}]}}\n")
    };
    let t = Instant::now();
    // the default, 2 MiB: a counted repetition that would compile to gigabytes
    let err = Rubric::from_yaml(&regex(r"\w{1000}{1000}")).unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::RegexTooLarge);
    assert_eq!(err.diagnostics()[0].rule.as_deref(), Some("a"));
    let err = Rubric::from_json(
        r#"{"rubric": "r", "rules": [{"id": "a", "kind": "forbid", "match": [{"regex": "(\\w{100}){100}"}]}]}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::RegexTooLarge);
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    // a smaller limit
    let limits = small(|l| l.max_regex_bytes = 10_000);
    assert!(build(&regex("abc"), &limits).is_ok());
    assert_eq!(
        rubric_kind(build(&regex(r"\w{200}"), &limits)),
        RubricErrorKind::RegexTooLarge
    );
    // read with the default limits, held to the engine's smaller one
    let rubric = Rubric::from_yaml(&regex(r"\w{20}")).unwrap();
    assert_eq!(
        rubric_kind(Engine::builder().limits(limits).build(rubric)),
        RubricErrorKind::RegexTooLarge
    );
}

#[test]
fn nesting_of_regexes() {
    let regex = |re: &str| {
        format!("rubric: r\nrules:\n  - {{id: a, kind: forbid, match: [{{regex: '{re}'}}]}}\n")
    };
    let deep = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert!(Rubric::from_yaml(&regex(&deep(20))).is_ok());
    assert_eq!(
        rubric_kind(Rubric::from_yaml(&regex(&deep(40)))),
        RubricErrorKind::TooDeep
    );
    // far over: refused by the parser's nest limit, not by a stack overflow
    assert_eq!(
        rubric_kind(Rubric::from_yaml(&regex(&deep(100_000)))),
        RubricErrorKind::TooDeep
    );
    let limits = small(|l| l.max_nesting = 4);
    assert_eq!(
        rubric_kind(build(&regex(&deep(8)), &limits)),
        RubricErrorKind::TooDeep
    );
}

#[test]
fn nesting_of_match_expressions() {
    let nested = |n: usize| {
        format!(
            "rubric: r\nrules:\n  - id: a\n    kind: forbid\n    match: {}x{}\n",
            "{any: [".repeat(n),
            "]}".repeat(n)
        )
    };
    assert!(Rubric::from_yaml(&nested(10)).is_ok());
    // two levels of YAML per `any`: the source's own nesting cap (64) comes first
    assert_eq!(
        rubric_kind(Rubric::from_yaml(&nested(40))),
        RubricErrorKind::TooDeep
    );
    // one level per `not`: over `max_nesting` (32), named by its rule
    let nots = |n: usize| {
        format!(
            "rubric: r\nrules:\n  - id: a\n    kind: forbid\n    match: {{all: [y, {}x{}]}}\n",
            "{not: ".repeat(n),
            "}".repeat(n)
        )
    };
    assert!(Rubric::from_yaml(&nots(20)).is_ok());
    let err = Rubric::from_yaml(&nots(40)).unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::TooDeep);
    assert_eq!(err.diagnostics()[0].rule.as_deref(), Some("a"));
    let limits = small(|l| l.max_nesting = 3);
    assert_eq!(
        rubric_kind(build(&nested(5), &limits)),
        RubricErrorKind::TooDeep
    );
    // read with larger limits (built in Rust): the engine checks before compiling, whose
    // recursion could overflow the stack
    fn not_chain(depth: usize) -> serde_json::Value {
        let mut e = serde_json::json!("x");
        for _ in 0..depth {
            e = serde_json::json!({ "not": e });
        }
        serde_json::json!({"all": ["y", e]})
    }
    let lax = Limits {
        max_nesting: 2_000,
        max_source_depth: 5_000,
        ..Limits::default()
    };
    for depth in [40, 100] {
        let rubric = RubricBuilder::new("r")
            .rule(RuleBuilder::new("a", RuleKind::Forbid).field("match", not_chain(depth)))
            .limits(lax.clone())
            .build()
            .unwrap();
        let err = Engine::new(rubric).unwrap_err();
        assert_eq!(err.kind(), RubricErrorKind::TooDeep, "depth {depth}");
        assert_eq!(err.diagnostics()[0].rule.as_deref(), Some("a"));
    }
    let rubric = RubricBuilder::new("r")
        .rule(
            RuleBuilder::new("a", RuleKind::Forbid)
                .matching(["x"])
                .field("except", [not_chain(40)]),
        )
        .limits(lax)
        .build()
        .unwrap();
    assert_eq!(rubric_kind(Engine::new(rubric)), RubricErrorKind::TooDeep);
}

#[test]
fn nesting_of_rubric_text_in_every_format() {
    // on a thread with a small stack: deep text is refused before anything recurses deeply
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let n = 100_000;
            let texts = [
                (
                    format!("rubric: r\nrules: {}{}", "[".repeat(n), "]".repeat(n)),
                    Format::Yaml,
                ),
                (
                    format!("rubric: r\nrules: {}1{}", "{a: ".repeat(n), "}".repeat(n)),
                    Format::Yaml,
                ),
                (
                    format!(
                        r#"{{"rubric": "r", "rules": {}{}}}"#,
                        "[".repeat(n),
                        "]".repeat(n)
                    ),
                    Format::Json,
                ),
                (
                    format!("rubric = \"r\"\nrules = {}{}", "[".repeat(n), "]".repeat(n)),
                    Format::Toml,
                ),
                (
                    format!("rubric: r\nrules: {}{}", "[".repeat(100), "]".repeat(100)),
                    Format::Yaml,
                ),
            ];
            for (text, format) in texts {
                let err = parse(&text, format, &Limits::default()).unwrap_err();
                assert!(
                    matches!(
                        err.kind(),
                        RubricErrorKind::TooDeep | RubricErrorKind::Syntax
                    ),
                    "{format:?}: {err}"
                );
            }
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}

#[test]
fn yaml_aliases_are_refused() {
    // a billion laughs: each level refers to the one before ten times
    let mut text = String::from("rubric: r\nlists:\n  l0: &a0 [lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("  l{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("rules: []\n");
    let t = Instant::now();
    let err = Rubric::from_yaml(&text).unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::Syntax);
    assert!(err.to_string().contains("aliases"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
    // even one harmless alias is refused, at its place
    let err =
        Rubric::from_yaml("rubric: r\nlists:\n  a: &x [p]\n  b: *x\nrules: []\n").unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::Syntax);
    assert_eq!(
        err.to_string(),
        "<rubric>:4:6: YAML aliases (*name) are not supported in rubrics; use `lists` and \"@name\""
    );
}

// ── transcripts ──────────────────────────────────────────────────────────────────────

#[test]
fn transcript_bytes() {
    let engine = engine_with(small(|l| l.max_transcript_bytes = 100));
    let turns = vec![Turn::new("agent", "x".repeat(45)); 2];
    assert!(engine.try_score(&transcript(turns.clone())).is_ok());
    let mut over = turns.clone();
    over.push(Turn::new("agent", "x".repeat(5)));
    assert_eq!(
        transcript_kind(engine.try_score(&transcript(over))),
        TranscriptErrorKind::TranscriptTooLarge
    );
    // live: the turn that goes over is refused and the session goes on
    let mut s = engine.session(SessionMeta::default());
    for t in turns {
        s.try_push(t).unwrap();
    }
    let err = s.try_push(Turn::new("agent", "x".repeat(5))).unwrap_err();
    assert_eq!(err.kind(), TranscriptErrorKind::TranscriptTooLarge);
    assert_eq!(s.turn_count(), 2);
    assert_eq!(s.finish().findings.len(), 0);
    // JSON text far over the limit is refused before it is parsed
    let json = format!(
        r#"{{"turns": [{{"speaker": "agent", "text": "{}"}}]}}"#,
        "x".repeat(1000)
    );
    assert_eq!(
        transcript_kind(engine.score_json(&json)),
        TranscriptErrorKind::TranscriptTooLarge
    );
    // the default, 16 MiB, in turns each under the turn limit
    let engine = engine_with(Limits::default());
    let big = transcript(vec![Turn::new("agent", "这是规定".repeat(80_000)); 18]);
    assert_eq!(
        transcript_kind(engine.try_score(&big)),
        TranscriptErrorKind::TranscriptTooLarge
    );
}

#[test]
fn turns() {
    let engine = engine_with(small(|l| l.max_turns = 3));
    let three = vec![Turn::new("agent", "a"); 3];
    assert!(engine.try_score(&transcript(three.clone())).is_ok());
    let err = engine
        .try_score(&transcript(vec![Turn::new("agent", "a"); 4]))
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.field()),
        (TranscriptErrorKind::TooManyTurns, Some("turns"))
    );
    let mut s = engine.session(SessionMeta::default());
    for t in three {
        s.try_push(t).unwrap();
    }
    let err = s.try_push(Turn::new("agent", "a")).unwrap_err();
    assert_eq!(
        (err.kind(), err.turn()),
        (TranscriptErrorKind::TooManyTurns, Some(3))
    );
    // the default, 100,000
    let engine = engine_with(Limits::default());
    let many = transcript(vec![Turn::new("agent", ""); 100_001]);
    assert_eq!(
        transcript_kind(engine.try_score(&many)),
        TranscriptErrorKind::TooManyTurns
    );
}

#[test]
fn turn_length() {
    let engine = engine_with(small(|l| l.max_turn_bytes = 12));
    assert!(engine
        .try_score(&transcript(vec![Turn::new("agent", "这是规定")]))
        .is_ok());
    let t = transcript(vec![
        Turn::new("agent", "a"),
        Turn::new("agent", "这是规定吧"),
    ]);
    let err = engine.try_score(&t).unwrap_err();
    assert_eq!(
        (err.kind(), err.turn(), err.field()),
        (TranscriptErrorKind::TurnTooLong, Some(1), Some("text"))
    );
    let err = engine
        .session(SessionMeta::default())
        .try_push(Turn::new("x".repeat(13), ""))
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.turn(), err.field()),
        (TranscriptErrorKind::TurnTooLong, Some(0), Some("speaker"))
    );
    // the default, 1 MiB
    let engine = engine_with(Limits::default());
    let huge = transcript(vec![Turn::new("agent", "这是规定".repeat(100_000))]);
    assert_eq!(
        transcript_kind(engine.try_score(&huge)),
        TranscriptErrorKind::TurnTooLong
    );
}

#[test]
fn transcript_json_nested_too_deep() {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for depth in [200, 1_000_000] {
                let json = format!(
                    r#"{{"turns": [], "meta": {{"a": {}{}}}}}"#,
                    "[".repeat(depth),
                    "]".repeat(depth)
                );
                let err = Transcript::from_json(&json).unwrap_err();
                assert_eq!(err.kind(), TranscriptErrorKind::TooDeep, "{err}");
                assert!(err.position().is_some());
            }
            // 100 levels are fine
            let json = format!(
                r#"{{"turns": [], "meta": {{"a": {}{}}}}}"#,
                "[".repeat(100),
                "]".repeat(100)
            );
            assert!(Transcript::from_json(&json).is_ok());
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}

#[test]
fn regexes_run_in_linear_time() {
    let engine = Engine::new(
        Rubric::from_yaml(
            "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [{regex: '(a+)+$'}, {regex: '(x|x)*y'}, {regex: '(\\w+\\s?)*z'}]}\n",
        )
        .unwrap(),
    )
    .unwrap();
    // inputs that take exponential time with a backtracking engine
    let text = format!("{}!{}", "a".repeat(200_000), "x".repeat(200_000));
    let t = Instant::now();
    let report = engine.score(&transcript(vec![Turn::new("agent", text)]));
    assert!(report.findings.is_empty());
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[test]
fn transcript_errors_can_be_made_outside_the_core() {
    let e = TranscriptError::new(TranscriptErrorKind::TooDeep, "nested too deep")
        .at_turn(4)
        .with_field(String::from("meta"));
    assert_eq!(e.kind().as_str(), "too_deep");
    assert_eq!((e.turn(), e.field()), (Some(4), Some("meta")));
    assert_eq!(e.message(), "nested too deep");
    assert_eq!(e.to_string(), "turn 4: nested too deep");
}

/// Scoring time grows linearly with the turns, also when every turn is a trigger that nothing
/// answers: `respond` kept its pending triggers in a list it scanned on every turn, so 100,000
/// such turns (within the default limits) took 16 s in release.
#[test]
fn pending_triggers_cost_linear_time() {
    let engine = Engine::new(
        Rubric::from_yaml(
            r#"
rubric: r
rules:
  - {id: s, kind: respond, when: [投诉], expect: [抱歉], within: {seconds: 30}, deduct: 1}
  - {id: t, kind: respond, when: [投诉], expect: [抱歉], within: {turns: 100000}, deduct: 1}
"#,
        )
        .unwrap(),
    )
    .unwrap();
    let time = |n: usize| {
        // every turn at 0 s, so no deadline ever passes; an agent turn now and then
        let t = transcript(
            (0..n)
                .map(|i| {
                    let who = if i % 50 == 49 { "agent" } else { "customer" };
                    Turn::new(who, "我要投诉").at(0.0)
                })
                .collect(),
        );
        let best = (0..3)
            .map(|_| {
                let start = Instant::now();
                let report = engine.try_score(&t).unwrap();
                assert_eq!(report.findings.len(), 2 * (n - n / 50));
                start.elapsed()
            })
            .min()
            .unwrap();
        best.as_secs_f64()
    };
    let (small, large) = (time(5_000), time(40_000));
    // linear: about 8 times as long; quadratic: 64 times
    assert!(
        large < small * 24.0 + 0.05,
        "5,000 turns {small:.3} s, 40,000 turns {large:.3} s"
    );
}

/// A trigger whose deadline passes is closed by the first turn that starts after it, in
/// trigger order, whatever order the deadlines come in; an answer closes every pending one.
#[test]
fn triggers_expire_by_deadline_in_any_order() {
    let engine = Engine::new(
        Rubric::from_yaml(
            "rubric: r\nrules:\n  - {id: s, kind: respond, when: [投诉], expect: [抱歉], within: {seconds: 10}, deduct: 1}\n",
        )
        .unwrap(),
    )
    .unwrap();
    let mut s = engine.session(SessionMeta::default());
    assert!(s.push(Turn::new("customer", "投诉").at(50.0)).is_empty()); // deadline 60
    assert!(s.push(Turn::new("customer", "投诉").at(5.0)).is_empty()); // deadline 15
    assert!(s.push(Turn::new("customer", "投诉")).is_empty()); // no time: waits for the end
    let closed = s.push(Turn::new("agent", "好的").at(16.0));
    assert_eq!(closed.iter().map(|f| f.turn).collect::<Vec<_>>(), [Some(1)]);
    let closed = s.push(Turn::new("agent", "好的").at(61.0));
    assert_eq!(closed.iter().map(|f| f.turn).collect::<Vec<_>>(), [Some(0)]);
    assert!(s.push(Turn::new("customer", "投诉").at(62.0)).is_empty());
    assert!(s.push(Turn::new("agent", "抱歉").at(63.0)).is_empty()); // answers 2 and 5
    let report = s.finish();
    assert_eq!(
        report.findings.iter().map(|f| f.turn).collect::<Vec<_>>(),
        [Some(0), Some(1)]
    );
}

/// Issue 16.5: thousands of regexes, each within `max_regex_bytes`, cannot add up to gigabytes:
/// compiling stops at the one that goes over `max_regex_total_bytes`.
#[test]
fn regexes_have_a_total_budget() {
    let mut text = String::from("rubric: r\nrules:\n");
    for i in 0..2_000 {
        text.push_str(&format!(
            "  - {{id: r{i}, kind: forbid, match: [{{regex: '\\w{{40}}|z{i}'}}]}}\n"
        ));
    }
    let t = Instant::now();
    let err = Rubric::from_yaml(&text).unwrap_err();
    let took = t.elapsed();
    assert_eq!(err.kind(), RubricErrorKind::RegexBudgetExceeded, "{err}");
    let d = &err.diagnostics()[0];
    assert!(d.line.is_some() && d.rule.is_some(), "{d:?}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    // one regex alone is fine; a smaller budget refuses the second
    let two = "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [{regex: '\\w{40}'}]}\n  - {id: b, kind: forbid, match: [{regex: '\\w{40}x'}]}\n";
    assert!(Rubric::from_yaml(two).is_ok());
    let one_regex = Rubric::from_yaml(
        "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [{regex: '\\w{40}'}]}\n",
    )
    .unwrap();
    let cost = match one_regex.rules()[0].spec() {
        qa_core::RuleSpec::Forbid(f) => match f.matcher() {
            qa_core::MatchExpr::Any(items) => match &items[0] {
                qa_core::MatchExpr::Regex(r) => r.pattern().memory_usage(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let limits = small(|l| l.max_regex_total_bytes = cost + (256 << 10) + 1);
    let err = build(two, &limits).unwrap_err();
    assert_eq!(err.kind(), RubricErrorKind::RegexBudgetExceeded);
    assert_eq!(err.diagnostics()[0].rule.as_deref(), Some("b"));
    // read with the default budget, held to the engine's smaller one
    let rubric = Rubric::from_yaml(two).unwrap();
    assert_eq!(
        rubric_kind(Engine::builder().limits(limits).build(rubric)),
        RubricErrorKind::RegexBudgetExceeded
    );
}

/// Issue 16.6: a rubric file is read with a cap, never trusting its size: `/dev/zero` (endless,
/// size 0) and a FIFO are refused quickly.
#[test]
fn rubric_files_are_read_with_a_cap() {
    let dir = std::env::temp_dir().join(format!("qa-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("zero.yaml");
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let t = Instant::now();
        let limits = small(|l| l.max_rubric_bytes = 1 << 20);
        let err = Rubric::from_path_with_limits(&link, &limits).unwrap_err();
        assert_eq!(err.kind(), RubricErrorKind::RubricTooLarge, "{err}");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
    // a file at the limit is read, one byte over is not
    let file = dir.join("r.yaml");
    let text = "rubric: r\nrules: []\n";
    std::fs::write(&file, text).unwrap();
    assert!(
        Rubric::from_path_with_limits(&file, &small(|l| l.max_rubric_bytes = text.len())).is_ok()
    );
    assert_eq!(
        rubric_kind(Rubric::from_path_with_limits(
            &file,
            &small(|l| l.max_rubric_bytes = text.len() - 1)
        )),
        RubricErrorKind::RubricTooLarge
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A UTF-8 byte order mark is accepted in every format (issue 16).
#[test]
fn a_byte_order_mark_is_ignored_in_every_format() {
    for (text, format) in [
        ("\u{FEFF}rubric: r\nrules: []\n", Format::Yaml),
        ("\u{FEFF}{\"rubric\": \"r\", \"rules\": []}", Format::Json),
        ("\u{FEFF}rubric = \"r\"\nrules = []\n", Format::Toml),
    ] {
        let r = Rubric::parse(text, format, None, &Limits::default());
        assert!(r.is_ok(), "{format:?}: {r:?}");
    }
}

/// `id`, `agent`, `channel` and `meta` are bounded by `max_meta_bytes`.
#[test]
fn meta_and_ids_are_bounded() {
    let engine = Engine::builder()
        .limits(small(|l| l.max_meta_bytes = 100))
        .build(Rubric::from_yaml("rubric: r\nrules: []\n").unwrap())
        .unwrap();
    let ok = r#"{"id": "c1", "meta": {"a": "short"}, "turns": []}"#;
    assert!(engine.score_json(ok).is_ok());
    let long_id = format!(r#"{{"id": "{}", "turns": []}}"#, "x".repeat(101));
    let err = engine.score_json(&long_id).unwrap_err();
    assert_eq!(err.kind(), TranscriptErrorKind::MetaTooLarge);
    assert_eq!(err.field(), Some("id"));
    let big_meta = format!(
        r#"{{"meta": {{"k": ["{}"]}}, "turns": []}}"#,
        "y".repeat(200)
    );
    let err = engine.score_json(&big_meta).unwrap_err();
    assert_eq!(
        (err.kind(), err.field()),
        (TranscriptErrorKind::MetaTooLarge, Some("meta"))
    );
}

/// A `near` search that would take more than `max_near_steps` does not silently stop: the rule
/// is skipped with the reason, in `score` and in a session alike.
#[test]
fn near_searches_have_a_step_budget() {
    let rubric = Rubric::from_yaml(
        "rubric: r\nrules:\n  - {id: n, kind: forbid, match: [{near: [a, b, c, d], within: 50}], deduct: 5}\n  - {id: x, kind: forbid, match: [z], deduct: 1}\n",
    )
    .unwrap();
    let engine = Engine::builder()
        .limits(small(|l| l.max_near_steps = 10_000))
        .build(rubric)
        .unwrap();
    let t = Transcript {
        turns: vec![
            Turn::new("agent", "abcd z"),
            Turn::new("agent", "abcd".repeat(200)),
        ],
        ..Default::default()
    };
    let t0 = Instant::now();
    let report = engine.score(&t);
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].rule, "n");
    assert!(
        report.skipped[0].reason.contains("turn 1"),
        "{}",
        report.skipped[0].reason
    );
    assert!(report.findings.iter().all(|f| f.rule == "x"));
    assert_eq!(report.score, 99.0);
    // a turn within the budget is judged
    let short = Transcript {
        turns: vec![Turn::new("agent", "abcd")],
        ..Default::default()
    };
    assert_eq!(engine.score(&short).findings.len(), 1);
}

/// Issue 16: limits are checked while JSON text is read, not after: a body of 500,000 turns
/// stops at the limit (the rest is never converted), with the error `try_score` gives.
#[test]
fn json_text_is_checked_while_it_is_read() {
    let engine = Engine::builder()
        .limits(small(|l| {
            l.max_turns = 1_000;
            l.max_transcript_bytes = 1 << 30;
        }))
        .build(Rubric::from_yaml("rubric: r\nrules: []\n").unwrap())
        .unwrap();
    let turn = r#"{"speaker": "agent", "text": "您好"}"#;
    let many = format!(
        r#"{{"id": "c1", "turns": [{}]}}"#,
        vec![turn; 2_000_000].join(",")
    );
    // reading all 2,000,000 turns takes seconds even in release; stopping at the limit, ms
    let t = Instant::now();
    let err = engine.score_json(&many).unwrap_err();
    assert_eq!(err.kind(), TranscriptErrorKind::TooManyTurns);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // at the limit it scores; errors are those of the plain reader otherwise
    let ok = format!(r#"{{"turns": [{}]}}"#, vec![turn; 1_000].join(","));
    assert!(engine.score_json(&ok).is_ok());
    for (text, kind) in [
        ("[1]", TranscriptErrorKind::WrongType),
        ("{\"turns\": 3}", TranscriptErrorKind::WrongType),
        ("{}", TranscriptErrorKind::MissingField),
        ("{\"turns\": [", TranscriptErrorKind::Syntax),
        (
            r#"{"turns": [{"speaker": 1, "text": ""}]}"#,
            TranscriptErrorKind::WrongType,
        ),
    ] {
        let streamed = engine.score_json(text).unwrap_err();
        let plain = Transcript::from_json(text).unwrap_err();
        assert_eq!(streamed, plain, "{text}");
        assert_eq!(streamed.kind(), kind, "{text}");
    }
    let long = format!(
        r#"{{"turns": [{}, {{"speaker": "a", "text": "{}"}}]}}"#,
        turn,
        "x".repeat(2 << 20)
    );
    let err = engine.score_json(&long).unwrap_err();
    assert_eq!(
        (err.kind(), err.turn()),
        (TranscriptErrorKind::TurnTooLong, Some(1))
    );
}

/// Nesting limits set far above what recursion can take are held to a ceiling: deep input is
/// still a quick `too_deep`, never a stack overflow (on a thread with a small stack).
#[test]
fn nesting_limits_have_a_ceiling() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let lax = small(|l| {
                l.max_nesting = usize::MAX;
                l.max_source_depth = usize::MAX;
            });
            let n = 50_000;
            let deep_yaml = format!("rubric: r\nrules: {}{}", "[".repeat(n), "]".repeat(n));
            let err = parse(&deep_yaml, Format::Yaml, &lax).unwrap_err();
            assert!(
                matches!(err.kind(), RubricErrorKind::TooDeep | RubricErrorKind::Syntax),
                "{err}"
            );
            let mut v = serde_json::json!("x");
            for _ in 0..1_000 {
                v = serde_json::json!({ "not": v });
            }
            let rubric = serde_json::json!({"rubric": "r", "rules": [{"id": "a", "kind": "forbid", "match": {"all": ["y", v]}}]});
            let err = Rubric::from_value(&rubric, &lax).unwrap_err();
            assert_eq!(err.kind(), RubricErrorKind::TooDeep, "{err}");
            // as deep as the ceiling allows: checked, compiled and scored without trouble
            let mut v = serde_json::json!("x");
            for _ in 0..Limits::NESTING_CEILING - 3 {
                v = serde_json::json!({ "not": v });
            }
            let rubric = serde_json::json!({"rubric": "r", "rules": [{"id": "a", "kind": "forbid", "match": {"all": ["y", v]}}]});
            let rubric = Rubric::from_value(&rubric, &lax).unwrap();
            let engine = Engine::builder().limits(lax).build(rubric).unwrap();
            let t = Transcript {
                turns: vec![Turn::new("agent", "y")],
                ..Default::default()
            };
            assert_eq!(engine.score(&t).findings.len(), 1);
        })
        .unwrap()
        .join()
        .unwrap();
}
