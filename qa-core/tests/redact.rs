//! `redact`: what each builtin masks and what it leaves (true and false positives), `match`,
//! the mask, offsets, rules still matching the original, the off switch, live sessions.

use qa_core::{Engine, Rubric, RubricErrorKind, SessionMeta, Transcript, Turn};

fn engine(redact: &str) -> Engine {
    let text = format!(
        "rubric: r\nlists:\n  vip: [张三丰]\nredact: {redact}\nrules:\n  - {{id: any, kind: forbid, role: any, match: [{{regex: '.+'}}]}}\n"
    );
    Engine::new(Rubric::from_yaml(&text).unwrap()).unwrap()
}

/// `text` masked by one builtin, with `*`.
fn with(builtin: &str, text: &str) -> String {
    engine(&format!("{{builtin: [{builtin}]}}"))
        .redact_text(text)
        .into_owned()
}

/// `text` with the characters of `part` (its first occurrence) masked.
fn masked(text: &str, part: &str) -> String {
    let at = text.find(part).expect("part of the text");
    format!(
        "{}{}{}",
        &text[..at],
        "*".repeat(part.chars().count()),
        &text[at + part.len()..]
    )
}

#[test]
fn phone_cn_true_positives() {
    for (text, phone) in [
        ("13800138000", "13800138000"),
        ("我的手机号是13912345678，谢谢", "13912345678"),
        ("电话+8613800138000", "+8613800138000"),
        ("电话 +86 138 0013 8000 找我", "+86 138 0013 8000"),
        ("call 138-0013-8000 now", "138-0013-8000"),
        ("号码8613800138000", "8613800138000"),
        ("全角１３８００１３８０００。", "１３８００１３８０００"),
        ("ideographic 138　0013　8000", "138　0013　8000"),
        ("tel13800138000", "13800138000"),
        ("電話：19912345678", "19912345678"),
        ("😀15012345678😀", "15012345678"),
    ] {
        assert_eq!(with("phone_cn", text), masked(text, phone), "{text}");
    }
    // two phones side by side, separated by a space or a comma
    assert_eq!(
        with("phone_cn", "13800138000 13900139000"),
        "*********** ***********"
    );
    assert_eq!(
        with("phone_cn", "13800138000,13900139000"),
        "***********,***********"
    );
}

#[test]
fn phone_cn_false_positives() {
    for text in [
        "订单号123456789012", // 12 digits: not a phone
        "1380013800",         // 10 digits
        "12345678901",        // 1 then 2: not a mobile prefix
        "流水号213800138000", // a phone's digits inside a longer number
        "138001380001",       // 12 digits starting like a phone
        "138 00138 000",      // groups not 3-4-4
        "价格100元，数量13件",
        "",
    ] {
        assert_eq!(with("phone_cn", text), text, "{text}");
    }
}

#[test]
fn id_cn_true_and_false_positives() {
    for (text, id) in [
        ("身份证11010519491231002X", "11010519491231002X"),
        ("身份证号：110105194912310021。", "110105194912310021"),
        ("id 11010519491231002x", "11010519491231002x"),
        ("分开写 110105 19491231 002X", "110105 19491231 002X"),
        (
            "全角１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２Ｘ",
        ),
        // a wrong check digit is still masked: the checksum is not verified
        ("身份证110105194912310022", "110105194912310022"),
    ] {
        assert_eq!(with("id_cn", text), masked(text, id), "{text}");
    }
    for text in [
        "01010519491231002X",   // region code starting with 0
        "11010519491331002X",   // month 13
        "11010519491232002X",   // day 32
        "11010516491231002X",   // year 1649
        "1101051949123100212",  // 19 digits
        "11010519491231002",    // 17 characters
        "XX11010519491231002Y", // 18th character not a digit or X
    ] {
        assert_eq!(with("id_cn", text), text, "{text}");
    }
}

#[test]
fn bank_card_true_and_false_positives() {
    for (text, card) in [
        ("卡号6222021234567890", "6222021234567890"),
        ("卡号6222021234567890123。", "6222021234567890123"),
        ("卡号 6222 0212 3456 7890 谢谢", "6222 0212 3456 7890"),
        ("card 6222-0212-3456-7890-123", "6222-0212-3456-7890-123"),
        (
            "全角６２２２　０２１２　３４５６　７８９０",
            "６２２２　０２１２　３４５６　７８９０",
        ),
        // a 16-digit order number is card-shaped: masked (documented)
        ("订单号1234567890123456", "1234567890123456"),
    ] {
        assert_eq!(with("bank_card", text), masked(text, card), "{text}");
    }
    for text in [
        "623456789012345",          // 15 digits
        "62345678901234567890",     // 20 digits
        "1234 5678 9012 3456 7890", // five groups of four: 20 digits
        "1234 5678 9012",           // three groups
        "6222 0212 3456 789",       // the fourth group short
        "13800138000",              // a phone
    ] {
        assert_eq!(with("bank_card", text), text, "{text}");
    }
}

#[test]
fn email_true_and_false_positives() {
    for (text, mail) in [
        ("邮箱zhang.san+qa@example.com。", "zhang.san+qa@example.com"),
        (
            "写信到a_b@mail.example.com.cn谢谢",
            "a_b@mail.example.com.cn",
        ),
        ("Mail: X@Y.ORG.", "X@Y.ORG"),
    ] {
        assert_eq!(with("email", text), masked(text, mail), "{text}");
    }
    for text in ["@张三 你好", "a@b", "user@localhost", "邮件地址是什么？"] {
        assert_eq!(with("email", text), text, "{text}");
    }
}

#[test]
fn match_items_and_the_mask() {
    let text = "rubric: r\nlists:\n  vip: [张三丰]\npatterns:\n  name: {near: [李, 先生], within: 1}\nredact: {match: [\"@vip\", {regex: 'VIP\\d{4}'}, \"$name\"], mask: \"■\"}\nrules: []\n";
    let e = Engine::new(Rubric::from_yaml(text).unwrap()).unwrap();
    assert_eq!(
        e.redact_text("張三豐先生（vip0042）和李四先生"),
        "■■■先生（■■■■■■■）和■■■■"
    );
    // normalize.strip does not hide text from redaction
    let text = "rubric: r\nnormalize: {strip: [urls]}\nredact: {builtin: [phone_cn], match: [秘密]}\nrules: []\n";
    let e = Engine::new(Rubric::from_yaml(text).unwrap()).unwrap();
    assert_eq!(
        e.redact_text("见 https://x.cn/?tel=13800138000&q=秘密 "),
        "见 https://x.cn/?tel=***********&q=** "
    );
}

#[test]
fn masking_keeps_code_points_and_offsets() {
    let e = engine("{builtin: [phone_cn, email]}");
    let text = "😀👨‍👩‍👧 电话13800138000 ✉ a@b.cn";
    let out = e.redact_text(text);
    assert_eq!(out.chars().count(), text.chars().count());
    let report = e.score(&Transcript {
        turns: vec![Turn::new("agent", text)],
        ..Default::default()
    });
    let f = &report.findings[0];
    assert_eq!((f.start, f.end), (Some(0), Some(text.chars().count())));
    assert_eq!(f.text.as_deref(), Some(out.as_ref()));
    // the span still slices the original text
    let span = f.span.clone().unwrap();
    assert_eq!(&text[span.bytes], text);
    assert!(report.redacted);
    assert_eq!(report.to_json_value()["redacted"], true);
}

#[test]
fn rules_match_the_original_and_only_the_output_is_masked() {
    let text = "rubric: r\nredact: {builtin: [phone_cn]}\nrules:\n  - {id: leak, kind: forbid, match: [{regex: '1[3-9]\\d{9}'}], deduct: 20}\n  - {id: mask-char, kind: forbid, match: ['*']}\n";
    let e = Engine::new(Rubric::from_yaml(text).unwrap()).unwrap();
    let t = Transcript {
        turns: vec![Turn::new("agent", "您的号码13800138000已登记")],
        ..Default::default()
    };
    let r = e.score(&t);
    // the phone rule fired on the digits; no rule saw the mask
    assert_eq!(r.score, 80.0);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].text.as_deref(), Some("***********"));
    assert_eq!(
        (r.findings[0].start, r.findings[0].end),
        (Some(4), Some(15))
    );
    // off: the original
    let plain = e.with_redact(false).score(&t);
    assert_eq!(plain.findings[0].text.as_deref(), Some("13800138000"));
    assert!(!plain.redacted);
    assert!(plain.to_json_value().get("redacted").is_none());
    let built = Engine::builder()
        .redact(false)
        .build(Rubric::from_yaml(text).unwrap())
        .unwrap();
    assert!(!built.redacts());
    assert_eq!(built.score(&t), plain);
    assert!(e.redacts());
    // live: a pushed finding is masked too
    let mut s = e.session(SessionMeta::with_id("c1"));
    let pushed = s.push(Turn::new("agent", "请拨打 138 0013 8000"));
    assert!(pushed.is_empty(), "the rule's regex takes no spaces");
    let pushed = s.push(Turn::new("agent", "或者13912345678"));
    assert_eq!(pushed[0].text.as_deref(), Some("***********"));
    let report = s.finish();
    assert!(report.redacted);
    assert_eq!(report.findings[0].text.as_deref(), Some("***********"));
}

#[test]
fn a_rubric_without_redact_masks_nothing() {
    let e = Engine::new(Rubric::from_yaml("rubric: r\nrules: []").unwrap()).unwrap();
    assert!(!e.redacts());
    assert_eq!(e.redact_text("13800138000"), "13800138000");
    let r = e.score(&Transcript::default());
    assert!(!r.redacted);
}

#[test]
fn bad_redact_sections_are_errors_at_their_place() {
    // (redact, kind, where the error points in `redact`, message)
    for (redact, kind, at, needle) in [
        (
            "{mask: '*'}",
            RubricErrorKind::InvalidValue,
            "{",
            "masks nothing",
        ),
        (
            "{builtin: [phone_cn], mask: ''}",
            RubricErrorKind::InvalidValue,
            "''",
            "exactly one character, found 0",
        ),
        (
            "{builtin: [phone_cn], mask: '星星'}",
            RubricErrorKind::InvalidValue,
            "'星",
            "found 2",
        ),
        (
            "{builtin: [phone_cn], mask: \"\\t\"}",
            RubricErrorKind::InvalidValue,
            "\"",
            "visible",
        ),
        (
            "{builtin: [phone_cn], mask: \"\\u200B\"}",
            RubricErrorKind::InvalidValue,
            "\"",
            "visible",
        ),
        (
            "{builtin: phone_cn}",
            RubricErrorKind::WrongType,
            "phone",
            "a list of builtin names",
        ),
        (
            "{builtin: [phone]}",
            RubricErrorKind::InvalidValue,
            "phone",
            "expected one of: phone_cn, id_cn, bank_card, email",
        ),
        (
            "{builtin: [emial]}",
            RubricErrorKind::InvalidValue,
            "emial",
            "did you mean `email`",
        ),
        (
            "{builtins: [phone_cn]}",
            RubricErrorKind::UnknownField,
            "builtins",
            "did you mean `builtin`",
        ),
        (
            "{match: []}",
            RubricErrorKind::InvalidValue,
            "[",
            "empty list",
        ),
        (
            "{match: [{regex: '('}]}",
            RubricErrorKind::BadRegex,
            "'('",
            "bad regex",
        ),
        ("[phone_cn]", RubricErrorKind::WrongType, "[", "mapping"),
    ] {
        let text = format!("rubric: r\nredact: {redact}\nrules: []\n");
        let err = Rubric::from_yaml(&text).unwrap_err();
        let d = &err.diagnostics()[0];
        let col = 9 + redact[..redact.find(at).unwrap()].chars().count();
        assert_eq!(d.kind, kind, "{redact}: {err}");
        assert_eq!((d.line, d.column), (Some(2), Some(col)), "{redact}: {err}");
        assert!(err.to_string().contains(needle), "{redact}: {err}");
    }
}

#[test]
fn a_repeated_builtin_counts_once_and_the_rubric_round_trips() {
    let r = Rubric::from_yaml(
        "rubric: r\nlists: {v: [甲]}\nredact: {builtin: [email, phone_cn, email], match: ['@v'], mask: '#'}\nrules: []\n",
    )
    .unwrap();
    let redact = r.redact().unwrap();
    assert_eq!(redact.builtin().len(), 2);
    assert_eq!(redact.mask(), '#');
    let back = Rubric::from_json(&r.to_json()).unwrap();
    assert_eq!(back, r);
}
