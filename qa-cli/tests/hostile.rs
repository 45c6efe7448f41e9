//! Hostile load and odd inputs through the built `qa` binary (issue 16): closing many `watch`
//! conversations, bounding open ones, FIFOs and unreadable inputs, exact floats, SIGINT, a
//! UTF-8 BOM, rubrics read once with a cap, `report --by` groups, the pipeline's memory and
//! `--jobs`. Sizes run in CI in seconds; the full sizes are `#[ignore]`d, run them by hand:
//!
//! ```sh
//! cargo test -p qa-cli --test hostile -- --ignored --nocapture
//! ```

mod common;
use common::*;

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn small_rubric() -> String {
    temp_file("small.yaml", SMALL_RUBRIC.as_bytes())
}

/// Waits for `child` at most `limit`; kills it (it is ours) and returns `None` on timeout.
fn wait_for(mut child: Child, limit: Duration) -> Option<Output> {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `qa ARGS` with `input` on stdin, killed after `limit`.
fn run_stdin_timeout(args: &[&str], input: Vec<u8>, limit: Duration) -> Option<Output> {
    let mut child = qa()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qa runs");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    // read the pipes while waiting, or a full pipe would stall the child
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let output = wait_for(child, limit);
    let stdout = out_reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    let _ = writer.join();
    output.map(|o| Output {
        status: o.status,
        stdout,
        stderr,
    })
}

fn transcript_line(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "agent": "A1", "turns": [{{"speaker": "agent", "text": "您好，这是规定"}}, {{"speaker": "customer", "text": "好的"}}]}}"#
    )
}

/// Peak memory (`VmHWM`, KiB) and peak thread count of a running child, sampled every 10 ms
/// until it exits.
fn sample(child: &mut Child) -> (u64, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let (mut peak, mut threads) = (0, 0);
    while child.try_wait().unwrap().is_none() {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            let field = |name: &str| -> Option<u64> {
                s.lines()
                    .find(|l| l.starts_with(name))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            };
            peak = peak.max(field("VmHWM:").unwrap_or(0));
            threads = threads.max(field("Threads:").unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (peak, threads)
}

// ── 1. qa watch closes conversations in O(log n) ─────────────────────────────────────

/// `n` conversations opened (one turn each), then closed in order of first appearance.
fn open_then_close(n: usize) -> Vec<u8> {
    let mut input = Vec::new();
    for i in 0..n {
        writeln!(
            input,
            r#"{{"conversation": "c{i}", "speaker": "customer", "text": "在吗"}}"#
        )
        .unwrap();
    }
    for i in 0..n {
        writeln!(input, r#"{{"conversation": "c{i}", "end": true}}"#).unwrap();
    }
    input
}

fn watch_open_close(n: usize) -> Duration {
    let rubric = small_rubric();
    let started = Instant::now();
    let out = run_stdin_timeout(
        &["watch", &rubric, "--max-open", &n.to_string()],
        open_then_close(n),
        Duration::from_secs(120),
    )
    .expect("qa watch finishes");
    let elapsed = started.elapsed();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reports = json_lines(&out);
    assert_eq!(reports.len(), n);
    assert_eq!(reports[0]["conversation"], "c0");
    assert_eq!(reports[n - 1]["conversation"], format!("c{}", n - 1));
    eprintln!(
        "qa watch: {n} conversations opened, then closed: {:.2} s",
        elapsed.as_secs_f64()
    );
    elapsed
}

#[test]
fn watch_closes_many_open_conversations_quickly() {
    // Closing used to shift every later conversation: 4 x the conversations took 16 x the
    // time (10k 1.3 s, 40k 33.5 s). A ratio, not a wall-clock bound, so a loaded machine or a
    // debug build does not fail it; the best of two runs each damps the noise.
    let best = |n| (0..2).map(|_| watch_open_close(n)).min().unwrap();
    let small = best(5_000).as_secs_f64().max(0.05);
    let large = best(20_000).as_secs_f64();
    assert!(
        large / small < 9.0,
        "5,000 in {small:.2} s, 20,000 in {large:.2} s: not linear"
    );
}

#[test]
#[ignore = "full size: 80,000 open conversations"]
fn watch_closes_many_open_conversations_quickly_full() {
    watch_open_close(80_000);
}

// ── 2. qa watch bounds open conversations ────────────────────────────────────────────

fn turn(id: &str, text: &str) -> String {
    format!(r#"{{"conversation": "{id}", "speaker": "agent", "text": "{text}"}}"#)
}

#[test]
fn watch_evicts_the_least_recently_active_conversation_past_max_open() {
    let rubric = small_rubric();
    let input = [
        turn("a", "您好"),
        turn("b", "您好"),
        turn("a", "好的"), // b is now the least recently active
        turn("c", "您好"), // over --max-open 2: b is evicted
        turn("a", "再见"),
        r#"{"conversation": "a", "end": true}"#.to_string(),
    ]
    .join("\n");
    let out = run_stdin_timeout(
        &["watch", &rubric, "--max-open", "2"],
        input.into_bytes(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&out);
    let order: Vec<&str> = lines
        .iter()
        .filter(|l| l.get("report").is_some())
        .map(|l| l["conversation"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["b", "a", "c"]);
    let b = &lines.iter().find(|l| l["conversation"] == "b").unwrap()["report"];
    assert_eq!(b["id"], "b");
    let err = stderr(&out);
    assert!(
        err.contains("`b`") && err.contains("--max-open"),
        "stderr: {err}"
    );
}

#[test]
fn watch_closes_idle_conversations() {
    let rubric = small_rubric();
    let mut lines = vec![turn("quiet", "您好")];
    for _ in 0..5 {
        lines.push(turn("busy", "好的"));
    }
    let out = run_stdin_timeout(
        &["watch", &rubric, "--idle-lines", "3"],
        lines.join("\n").into_bytes(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let order: Vec<String> = json_lines(&out)
        .iter()
        .filter(|l| l.get("report").is_some())
        .map(|l| l["conversation"].as_str().unwrap().to_string())
        .collect();
    // `quiet` is closed while `busy` goes on, not at the end of the input
    assert_eq!(order, ["quiet", "busy"]);
    let err = stderr(&out);
    assert!(
        err.contains("`quiet`") && err.contains("--idle-lines"),
        "stderr: {err}"
    );
}

/// Memory stays bounded under a stream of new ids (the default `--max-open` evicts).
fn watch_flood(n: usize) -> (u64, Duration) {
    let rubric = small_rubric();
    let dir = temp_dir();
    let input = dir.join("flood.jsonl");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..n {
            writeln!(w, "{}", turn(&format!("c{i}"), "您好")).unwrap();
        }
    }
    let started = Instant::now();
    let mut child = qa()
        .args(["watch", &rubric])
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (peak, _) = sample(&mut child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    (peak, started.elapsed())
}

#[test]
#[ignore = "full size: 1,000,000 new conversation ids"]
fn watch_flood_of_new_ids_full() {
    for n in [100_000, 1_000_000] {
        let (peak, t) = watch_flood(n);
        eprintln!(
            "qa watch: {n} new ids: peak {:.1} MiB, {:.1} s",
            peak as f64 / 1024.0,
            t.as_secs_f64()
        );
    }
}

// ── 3. qa watch: no phantom conversation, stop when stdout closes ───────────────────

#[test]
fn watch_bad_first_line_opens_no_conversation() {
    let rubric = small_rubric();
    let input = [
        r#"{"conversation": "ghost", "speaker": "agent", "text": 42}"#.to_string(),
        turn("real", "您好"),
    ]
    .join("\n");
    let out = run_stdin_timeout(
        &["watch", &rubric],
        input.into_bytes(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("<stdin>:1:"));
    let ids: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["conversation"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["real"], "a phantom report");
}

#[test]
fn watch_stops_reading_when_stdout_is_closed() {
    let rubric = small_rubric();
    let mut child = qa()
        .args(["watch", &rubric])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    drop(child.stdout.take()); // nobody reads our output any more
    let writer = std::thread::spawn(move || {
        // keep the input open and flowing, each line a closed conversation and its report
        for i in 0..200_000 {
            let line = format!(
                "{}\n{{\"conversation\": \"c{i}\", \"end\": true}}\n",
                turn(&format!("c{i}"), "您好")
            );
            if stdin.write_all(line.as_bytes()).is_err() {
                return true; // qa closed its stdin: it stopped reading
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        false
    });
    let out = wait_for(child, Duration::from_secs(20)).expect("qa watch exits");
    assert!(writer.join().unwrap(), "qa watch read all of its input");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "quiet on a closed stdout");
}

// ── 4. a FIFO as input is opened once ───────────────────────────────────────────────

#[test]
fn score_reads_a_fifo_input_completely() {
    let rubric = small_rubric();
    for run in 0..5 {
        let fifo = temp_dir().join("in.jsonl");
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let path = fifo.clone();
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            for i in 0..20 {
                // a broken pipe here is what the bug looks like: let the reader tell
                if writeln!(f, "{}", transcript_line(&format!("t{i}"))).is_err() {
                    return;
                }
            }
        });
        let child = qa()
            .args(["score", &rubric, fifo.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_for(child, Duration::from_secs(10));
        if out.is_none() {
            // unblock the writer, if it waits for a reader (O_NONBLOCK: never wait for a writer)
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(0o4000)
                .open(&fifo);
        }
        writer.join().unwrap();
        let out = out.unwrap_or_else(|| panic!("run {run}: qa score hangs on a FIFO"));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(json_lines(&out).len(), 20, "run {run}");
    }
}

// ── 5. a later unreadable input keeps earlier records ────────────────────────────────

#[test]
fn score_unreadable_later_input_keeps_every_earlier_record() {
    let rubric = small_rubric();
    let good: String = (0..300)
        .map(|i| transcript_line(&format!("t{i}")) + "\n")
        .collect();
    let good = temp_file("good.jsonl", good.as_bytes());
    let dir = temp_dir();
    let dir = dir.to_str().unwrap();
    let tail = temp_file("tail.jsonl", (transcript_line("last") + "\n").as_bytes());
    for format in ["jsonl", "json"] {
        let out = run(&["score", &rubric, &good, dir, &tail, "--format", format]);
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        let reports: Vec<Value> = if format == "json" {
            serde_json::from_str::<Vec<Value>>(&stdout(&out)).expect("a whole JSON array")
        } else {
            json_lines(&out)
        };
        assert_eq!(reports.len(), 301, "every record of the readable inputs");
        assert_eq!(reports[299]["id"], "t299");
        assert_eq!(reports[300]["id"], "last");
        assert!(stderr(&out).contains(dir), "stderr: {}", stderr(&out));
    }
}

// ── 6. floats are echoed exactly ────────────────────────────────────────────────────

#[test]
fn score_echoes_meta_floats_exactly() {
    let rubric = small_rubric();
    let floats = [
        "0.30000000000000004",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "5e-324",
        "0.1",
        "123456.78901234567",
        "0.7999999999999999",
        "1.0000000000000002",
        "0.6931471805599453",
        "2.718281828459045",
        "4.35e-7",
        "8.98846567431158e307",
        "1.2345678901234567e-100",
        "3.0000000000000004",
        "0.7853981633974483",
        "1.2100000000000002",
        "6.666666666666667e21",
        "37.410000000000004",
    ];
    let meta: Vec<String> = floats
        .iter()
        .enumerate()
        .map(|(i, f)| format!("\"f{i}\": {f}"))
        .collect();
    let line = format!(
        r#"{{"id": "x", "meta": {{{}}}, "turns": [{{"speaker": "agent", "text": "您好"}}]}}"#,
        meta.join(", ")
    );
    let out = run_stdin_timeout(
        &["score", &rubric],
        line.into_bytes(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let wrong: Vec<&str> = floats
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            // serde_json writes a positive exponent with its sign: 1e+23
            let f = match f.split_once('e') {
                Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
                _ => f.to_string(),
            };
            !text.contains(&format!("\"f{i}\":{f}"))
        })
        .map(|(_, f)| *f)
        .collect();
    assert!(wrong.is_empty(), "changed: {wrong:?} in {text}");
}

// ── 7. SIGINT leaves whole lines ────────────────────────────────────────────────────

fn sigint_run(lines: usize) -> (usize, Vec<String>) {
    let rubric = rubric("ecommerce");
    let one: Vec<String> = std::fs::read_to_string(data("ecommerce"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut child = qa()
        .args(["score", &rubric, "-", "--jobs", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for i in 0..lines {
            if writeln!(stdin, "{}", one[i % one.len()]).is_err() {
                return;
            }
        }
    });
    // wait for the first whole line (a loaded machine may take seconds to start), then let
    // the output pipe fill (nobody reads), then interrupt
    let mut stdout = child.stdout.take().unwrap();
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while out.last() != Some(&b'\n') {
        if stdout.read(&mut byte).unwrap() == 0 {
            break;
        }
        out.push(byte[0]);
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    stdout.read_to_end(&mut out).unwrap();
    let _status = child.wait().unwrap();
    feeder.join().unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let bad: Vec<String> = text
        .split_inclusive('\n')
        .filter(|l| !l.ends_with('\n') || serde_json::from_str::<Value>(l).is_err())
        .map(|l| l.chars().rev().take(80).collect::<String>())
        .collect();
    (text.lines().count(), bad)
}

#[test]
fn score_interrupted_writes_only_whole_lines() {
    for run in 0..3 {
        let (count, bad) = sigint_run(200_000);
        assert!(count > 0, "run {run}: no output before SIGINT");
        assert!(bad.is_empty(), "run {run}: {count} lines, cut: {bad:?}");
    }
}

// ── 8. a UTF-8 BOM does not cost the first record ───────────────────────────────────

#[test]
fn score_reads_the_first_record_after_a_bom() {
    let rubric = small_rubric();
    let text = format!(
        "\u{feff}{}\n{}\n",
        transcript_line("first"),
        transcript_line("second")
    );
    let file = temp_file("bom.jsonl", text.as_bytes());
    let out = run(&["score", &rubric, &file]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["id"], "first");
    let out = run_stdin_timeout(
        &["score", &rubric],
        text.into_bytes(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 2);
    let live = format!("\u{feff}{}\n", turn("c1", "您好"));
    let out = run_stdin_timeout(
        &["watch", &rubric],
        live.into_bytes(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["conversation"], "c1");
}

// ── 9. qa check reads its rubric once, with a cap ──────────────────────────────────

#[test]
fn check_reads_a_fifo_rubric_once() {
    let fifo = temp_dir().join("rubric.yaml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let _ = f.write_all(SMALL_RUBRIC.as_bytes());
    });
    let child = qa()
        .args(["check", fifo.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_for(child, Duration::from_secs(10));
    writer.join().unwrap();
    let out = out.expect("qa check hangs on a FIFO");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("ok: small"));
}

#[test]
fn check_rubric_symlink_to_dev_zero_is_too_large_quickly() {
    let link = temp_dir().join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let started = Instant::now();
    let child = qa()
        .args(["check", link.to_str().unwrap(), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_for(child, Duration::from_secs(10)).expect("qa check reads /dev/zero forever");
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains("rubric_too_large"),
        "{}",
        stdout(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ── 10. qa report --by: groups bounded ──────────────────────────────────────────────

fn many_agents(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"agent": "agent-{i}", "turns": [{{"speaker": "agent", "text": "这是规定"}}]}}"#
            ) + "\n"
        })
        .collect()
}

#[test]
fn report_by_agent_counts_groups_past_the_cap_together() {
    let rubric = small_rubric();
    let input = temp_file("agents.jsonl", many_agents(50).as_bytes());
    let out = run(&[
        "report",
        &rubric,
        &input,
        "--by",
        "agent",
        "--format",
        "json",
        "--max-groups",
        "20",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["groups"].as_array().unwrap().len(), 20);
    assert_eq!(v["other_groups"]["conversations"], 30);
    assert_eq!(v["other_groups"]["top_rule"], "rude");
    assert!(stderr(&out).contains("--max-groups"));
    let out = run(&[
        "report",
        &rubric,
        &input,
        "--by",
        "agent",
        "--max-groups",
        "20",
    ]);
    let table = stdout(&out);
    let row = table
        .lines()
        .find(|l| l.contains("(other agents)"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains(" 30 "), "{row}");
}

#[test]
#[ignore = "full size: 1,000,000 distinct agents"]
fn report_by_agent_memory_full() {
    let rubric = small_rubric();
    let input = temp_file("agents.jsonl", many_agents(1_000_000).as_bytes());
    let mut child = qa()
        .args([
            "report", &rubric, &input, "--by", "agent", "--format", "json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (peak, _) = sample(&mut child);
    eprintln!(
        "qa report --by agent, 1,000,000 agents: peak {:.1} MiB",
        peak as f64 / 1024.0
    );
}

// ── 11. the pipeline's memory is bounded in bytes ───────────────────────────────────

/// `lines` records of `bytes` each (not JSON: refused at once, so reading dominates).
fn pipeline_peak(lines: usize, bytes: usize) -> u64 {
    let rubric = small_rubric();
    let dir = temp_dir();
    let input = dir.join("big.jsonl");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        let line = format!("!{}\n", "x".repeat(bytes - 2));
        for _ in 0..lines {
            w.write_all(line.as_bytes()).unwrap();
        }
    }
    let mut child = qa()
        .args(["score", &rubric, input.to_str().unwrap(), "--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (peak, _) = sample(&mut child);
    assert_eq!(child.wait().unwrap().code(), Some(3));
    std::fs::remove_dir_all(&dir).unwrap();
    peak
}

#[test]
fn score_pipeline_memory_is_bounded_by_bytes_in_flight() {
    // 512 lines of 256 KiB: one batch of 256 of them alone held 64 MiB (more with spare capacity)
    let peak = pipeline_peak(512, 256 << 10);
    eprintln!(
        "qa score, 512 lines of 256 KiB: peak {:.1} MiB",
        peak as f64 / 1024.0
    );
    assert!(peak < 48 << 10, "peak {peak} KiB");
}

#[test]
#[ignore = "full size: 48 lines of 32 MiB"]
fn score_pipeline_memory_full() {
    let peak = pipeline_peak(48, 32 << 20);
    eprintln!(
        "qa score, 48 lines of 32 MiB: peak {:.1} MiB",
        peak as f64 / 1024.0
    );
}

// ── 12. --jobs is capped ────────────────────────────────────────────────────────────

#[test]
fn jobs_is_capped_at_four_times_the_cores() {
    let rubric = small_rubric();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let input = temp_file("few.jsonl", many_agents(2000).as_bytes());
    for command in ["score", "report"] {
        let mut child = qa()
            .args([command, &rubric, &input, "--jobs", "3000"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (_, threads) = sample(&mut child);
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        // the workers, the main thread, the reader (and a signal thread)
        assert!(threads <= 4 * cores + 4, "{command}: {threads} threads");
    }
}
