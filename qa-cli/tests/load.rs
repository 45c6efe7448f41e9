//! Live load through the binary: `qa watch` on many interleaved conversations.
//!
//! Every conversation gets exactly one report, each report equals `qa score` on the same
//! turns, every finding written live is in its conversation's report, and the process's peak
//! memory stays bounded. The default size runs in CI; the full size (10,000 conversations,
//! 1,000,000 turns) is `#[ignore]`d, run it with the release binary:
//!
//! ```sh
//! cargo test --release -p qa-cli --test load -- --ignored --nocapture
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn rubric() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/rubrics/spec-example.yaml")
        .display()
        .to_string()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qa-load-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// xorshift64*: the same turns on every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

const AGENT: &[&str] = &[
    "您好，很高兴为您服务",
    "这是规定，你自己看",
    "这款产品不保本，投资有风险",
    "您的手机号是13800138000吗",
    "理解您的心情，给您带来不便非常抱歉",
    "请提供报警代码",
    "已为您升级处理，主管会联系您",
    "还有什么可以帮您？祝您生活愉快",
    "好的，稍等",
    "稳赚不赔，保证收益",
];

const CUSTOMER: &[&str] = &[
    "我的订单三天了还没发货",
    "设备一直报警，亮红灯",
    "我要投诉你们，找你们领导",
    "气死了，到底还要多久",
    "谢谢",
    "什么破服务，垃圾",
    "好的",
    "😀 ＡＢＣ１２３",
];

/// The turns of conversation `n` as JSON objects.
fn turns_of(n: usize, count: usize) -> Vec<Value> {
    let mut rng = Rng::new(n as u64 + 1);
    let mut clock = 0.0f64;
    (0..count)
        .map(|i| {
            let agent = i % 2 == 1 || rng.below(5) == 0;
            let (speaker, pool) = if agent {
                ("agent", AGENT)
            } else {
                ("customer", CUSTOMER)
            };
            let mut text = pool[rng.below(pool.len())].to_string();
            if rng.below(4) == 0 {
                text.push_str(pool[rng.below(pool.len())]);
            }
            clock += rng.below(80) as f64 / 2.0;
            let end = clock + rng.below(20) as f64 / 2.0;
            json!({"speaker": speaker, "text": text, "start": clock, "end": end})
        })
        .collect()
}

/// Writes the interleaved watch input and the same conversations as transcripts (JSON Lines).
/// At most `open_at_once` conversations are open at a time; the last few are never closed
/// explicitly (the end of the input closes them).
fn write_inputs(dir: &Path, conversations: usize, turns_each: usize, open_at_once: usize) {
    let mut live = BufWriter::new(File::create(dir.join("live.jsonl")).unwrap());
    let mut batch = BufWriter::new(File::create(dir.join("batch.jsonl")).unwrap());
    let mut rng = Rng::new(42);
    let mut open: Vec<(usize, std::vec::IntoIter<Value>)> = Vec::new();
    let mut next = 0;
    let leave_open = conversations / 100;
    loop {
        while open.len() < open_at_once && next < conversations {
            let turns = turns_of(next, turns_each);
            let t = json!({"id": format!("c{next}"), "agent": format!("A{}", next % 97), "turns": turns});
            writeln!(batch, "{t}").unwrap();
            open.push((next, turns.into_iter()));
            next += 1;
        }
        if open.is_empty() {
            break;
        }
        let i = rng.below(open.len());
        let n = open[i].0;
        match open[i].1.next() {
            Some(mut turn) => {
                turn["conversation"] = json!(format!("c{n}"));
                if open[i].1.len() + 1 == turns_each {
                    // a conversation's first line may carry its agent
                    turn["agent"] = json!(format!("A{}", n % 97));
                }
                writeln!(live, "{turn}").unwrap();
            }
            None => {
                open.swap_remove(i);
                if n + leave_open < conversations {
                    writeln!(live, "{{\"conversation\":\"c{n}\",\"end\":true}}").unwrap();
                }
            }
        }
    }
}

/// Runs `qa ARGS < input > output`, sampling the child's peak memory (`VmHWM`, KiB) while it
/// runs. Returns the exit code and the last sample.
fn run_sampled(args: &[&str], input: &Path, output: &Path) -> (i32, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qa"))
        .args(args)
        .stdin(File::open(input).unwrap())
        .stdout(File::create(output).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("qa runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().expect("exited"), peak);
        }
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            {
                peak = kib;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What identifies a finding: its rule, turn, span and text, as JSON text.
fn key(f: &Value) -> String {
    json!([f["rule"], f["turn"], f["start"], f["end"], f["text"]]).to_string()
}

fn run(conversations: usize, turns_each: usize, open_at_once: usize) {
    let dir = temp_dir(&format!("{conversations}"));
    write_inputs(&dir, conversations, turns_each, open_at_once);
    let started = Instant::now();
    let (code, peak) = run_sampled(
        &["watch", &rubric()],
        &dir.join("live.jsonl"),
        &dir.join("live.out"),
    );
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "qa watch exit status");
    let (code, _) = run_sampled(
        &["score", &rubric(), "-"],
        &dir.join("batch.jsonl"),
        &dir.join("batch.out"),
    );
    assert_eq!(code, 0, "qa score exit status");

    // batch reports, by id
    let mut batch: HashMap<String, Value> = HashMap::new();
    for line in BufReader::new(File::open(dir.join("batch.out")).unwrap()).lines() {
        let r: Value = serde_json::from_str(&line.unwrap()).unwrap();
        batch.insert(r["id"].as_str().unwrap().to_string(), r);
    }
    assert_eq!(batch.len(), conversations);
    // live output: findings as they come, then one report per conversation
    let mut pushed: HashMap<String, Vec<String>> = HashMap::new();
    let mut reports = 0;
    let mut live_findings = 0;
    for line in BufReader::new(File::open(dir.join("live.out")).unwrap()).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = v["conversation"].as_str().unwrap().to_string();
        if let Some(f) = v.get("finding") {
            live_findings += 1;
            pushed.entry(id).or_default().push(key(f));
        } else {
            let report = &v["report"];
            let want = batch
                .remove(&id)
                .unwrap_or_else(|| panic!("a second report, or an unknown conversation: {id}"));
            assert_eq!(report, &want, "{id}: watch and score differ");
            let in_report: std::collections::HashSet<String> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(key)
                .collect();
            for k in pushed.remove(&id).unwrap_or_default() {
                assert!(
                    in_report.contains(&k),
                    "{id}: live finding {k} not in the report"
                );
            }
            reports += 1;
        }
    }
    assert!(
        batch.is_empty(),
        "conversations without a report: {}",
        batch.len()
    );
    assert!(pushed.is_empty(), "findings after a conversation's report");
    assert_eq!(reports, conversations);
    eprintln!(
        "qa watch: {conversations} conversations, {} turns, at most {open_at_once} open at \
         once, {live_findings} findings written live; peak memory {:.1} MiB; {:.1} s",
        conversations * turns_each,
        peak as f64 / 1024.0,
        elapsed.as_secs_f64()
    );
    assert!(live_findings > 0);
    assert!(peak < 1024 * 1024, "peak {peak} KiB over 1 GiB");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn watch_interleaved_conversations() {
    run(300, 20, 100);
}

#[test]
#[ignore = "full size: 10,000 conversations, 1,000,000 turns; run with the release binary"]
fn watch_interleaved_conversations_full() {
    run(10_000, 100, 10_000);
}
