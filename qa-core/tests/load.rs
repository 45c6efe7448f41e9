//! Live load: many interleaved conversations pushed turn by turn through `Session`s.
//!
//! Every conversation gets exactly one report, each report equals batch scoring of the same
//! turns, every finding pushed live is in its report, and memory stays bounded while
//! conversations open and close. The default size runs in CI; the full size (10,000
//! conversations, 1,000,000 turns) is `#[ignore]`d, run it in release:
//!
//! ```sh
//! cargo test --release -p qa-core --test load -- --ignored --nocapture
//! ```

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::Instant;

use qa_core::{Engine, Finding, Rubric, Session, SessionMeta, Transcript, Turn};

/// A small deterministic generator (xorshift64*), so a conversation's turns can be made again
/// for the batch comparison instead of being kept in memory.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const AGENT: &[&str] = &[
    "您好，很高兴为您服务",
    "这是规定，你自己看",
    "这款产品不保本，投资有风险",
    "您的手机号是13800138000吗",
    "卡号6222021234567890123已登记",
    "理解您的心情，给您带来不便非常抱歉",
    "请提供报警代码",
    "已为您升级处理，主管会联系您",
    "还有什么可以帮您？祝您生活愉快",
    "好的，稍等",
    "Hello, how can I help you today?",
    "稳赚不赔，保证收益",
];

const CUSTOMER: &[&str] = &[
    "我的订单三天了还没发货",
    "设备一直报警，亮红灯",
    "我要投诉你们，找你们领导",
    "气死了，到底还要多久",
    "谢谢",
    "我的订单三天了还没发货啊",
    "什么破服务，垃圾",
    "好的",
    "I want a refund now",
    "😀👨‍👩‍👧 ＡＢＣ１２３",
];

/// The turns of conversation `n`, made again identically on every call.
fn turns_of(n: usize, count: usize) -> impl Iterator<Item = Turn> {
    let mut rng = Rng::new(n as u64 + 1);
    let mut clock = 0.0f64;
    (0..count).map(move |i| {
        let agent = i % 2 == 1 || rng.below(5) == 0;
        let (speaker, pool) = if agent {
            (if rng.below(3) == 0 { "客服" } else { "agent" }, AGENT)
        } else {
            ("customer", CUSTOMER)
        };
        let mut text = pool[rng.below(pool.len())].to_string();
        if rng.below(4) == 0 {
            text.push_str(pool[rng.below(pool.len())]);
        }
        clock += rng.below(80) as f64 / 2.0;
        let start = clock;
        let end = start + rng.below(20) as f64 / 2.0;
        Turn::new(speaker, text).at(start).until(end)
    })
}

fn meta(n: usize) -> SessionMeta {
    SessionMeta {
        id: Some(format!("c{n}")),
        agent: Some(format!("A{:03}", n % 97)),
        channel: Some("chat".into()),
        meta: None,
    }
}

fn transcript_of(n: usize, count: usize) -> Transcript {
    let m = meta(n);
    Transcript {
        id: m.id,
        agent: m.agent,
        channel: m.channel,
        meta: None,
        turns: turns_of(n, count).collect(),
    }
}

/// Peak resident memory of this process so far (`VmHWM`), in KiB; 0 where /proc is missing.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// What identifies a finding, hashed: the test keeps only this of each pushed finding, so that
/// the peak memory measured is the sessions', not the test's.
fn key(f: &Finding) -> u64 {
    let mut h = DefaultHasher::new();
    (&f.rule, f.turn, f.start, f.end, &f.text).hash(&mut h);
    h.finish()
}

struct Open {
    n: usize,
    session: Session,
    turns: Box<dyn Iterator<Item = Turn>>,
    pushed: Vec<u64>,
}

/// Runs `conversations` conversations of `turns_each` turns, at most `open_at_once` open at a
/// time, interleaving their turns at random.
fn run(conversations: usize, turns_each: usize, open_at_once: usize) {
    let engine = Engine::new(
        Rubric::from_path(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/rubrics/spec-example.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    let mut rng = Rng::new(42);
    let mut reports = vec![0u8; conversations];
    let mut open: Vec<Open> = Vec::new();
    let mut next = 0;
    let (mut turns, mut pushed_findings, mut report_findings) = (0usize, 0usize, 0usize);
    let mut warm_peak = 0;
    let mut closed = 0;
    loop {
        while open.len() < open_at_once && next < conversations {
            open.push(Open {
                n: next,
                session: engine.session(meta(next)),
                turns: Box::new(turns_of(next, turns_each)),
                pushed: Vec::new(),
            });
            next += 1;
        }
        if open.is_empty() {
            break;
        }
        let i = rng.below(open.len());
        match open[i].turns.next() {
            Some(turn) => {
                let found = open[i].session.try_push(turn).expect("within the limits");
                turns += 1;
                pushed_findings += found.len();
                open[i].pushed.extend(found.iter().map(key));
            }
            None => {
                let Open {
                    n, session, pushed, ..
                } = open.swap_remove(i);
                let report = session.finish();
                reports[n] += 1;
                report_findings += report.findings.len();
                let batch = engine.score(&transcript_of(n, turns_each));
                assert_eq!(report, batch, "conversation {n}: live and batch differ");
                let in_report: std::collections::HashSet<u64> =
                    report.findings.iter().map(key).collect();
                assert!(
                    pushed.iter().all(|k| in_report.contains(k)),
                    "conversation {n}: a pushed finding is not in the report"
                );
                closed += 1;
                if closed == conversations / 5 {
                    warm_peak = peak_kib();
                }
            }
        }
    }
    let elapsed = started.elapsed();
    assert!(
        reports.iter().all(|&r| r == 1),
        "every conversation gets exactly one report"
    );
    assert_eq!(turns, conversations * turns_each);
    let peak = peak_kib();
    eprintln!(
        "load: {conversations} conversations, {turns} turns, at most {open_at_once} open at once, \
         {pushed_findings} findings pushed live, {report_findings} in reports; \
         peak memory {:.1} MiB (after 20% of the conversations {:.1} MiB); {:.1} s",
        peak as f64 / 1024.0,
        warm_peak as f64 / 1024.0,
        elapsed.as_secs_f64()
    );
    assert!(pushed_findings > 0 && report_findings > 0);
    if peak > 0 {
        // bounded: once the pool of open conversations is full, closing conversations gives
        // their memory back, so the peak hardly grows with the number of conversations
        assert!(
            peak <= warm_peak + warm_peak / 2 + 32 * 1024,
            "memory grew from {warm_peak} KiB to {peak} KiB"
        );
        // all open at once, each session holds its findings and its `repeat` word sets until
        // it finishes: about 55 KiB per open conversation of 100 turns
        assert!(peak < 1536 * 1024, "peak {peak} KiB over 1.5 GiB");
    }
}

#[test]
fn interleaved_sessions() {
    run(500, 20, 200);
}

#[test]
#[ignore = "full size: 10,000 conversations, 1,000,000 turns; run in release"]
fn interleaved_sessions_full() {
    run(10_000, 100, 10_000);
}
