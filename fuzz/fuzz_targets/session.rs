//! Live sessions with arbitrary push sequences: up to four interleaved conversations, each
//! pushed turns (with `push`, or `try_push` under small limits) and finished at any point.
//! `finish()` must equal `score()` on the turns the session accepted, and every finding pushed
//! live must be in the final report.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use qa_core::{Engine, Finding, Session, SessionMeta, Turn};

struct Live {
    session: Session,
    turns: Vec<Turn>,
    pushed: Vec<Finding>,
}

fn start(engine: &Engine, n: usize) -> Live {
    Live {
        session: engine.session(SessionMeta::with_id(format!("c{n}"))),
        turns: Vec::new(),
        pushed: Vec::new(),
    }
}

fn finish(engine: &Engine, live: Live, n: usize) {
    let Live {
        session,
        turns,
        pushed,
    } = live;
    assert_eq!(session.turn_count(), turns.len());
    let report = session.finish();
    let mut t = qa_fuzz::transcript(turns);
    t.id = Some(format!("c{n}"));
    let batch = engine.score(&t);
    assert_eq!(
        report, batch,
        "finish() differs from score() on the same turns"
    );
    qa_fuzz::check_report(engine, &t.turns, &report);
    for f in &pushed {
        assert!(
            report.findings.iter().any(|g| g.rule == f.rule
                && g.turn == f.turn
                && g.start == f.start
                && g.end == f.end
                && g.text == f.text),
            "pushed finding {} at turn {:?} is not in the report",
            f.rule,
            f.turn
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(which) = u.int_in_range(0..=2usize) else {
        return;
    };
    let engine = &qa_fuzz::engines()[which];
    let checked = which == 2;
    let mut lives: Vec<Live> = (0..4).map(|n| start(engine, n)).collect();
    let mut ops = 0;
    while !u.is_empty() && ops < 24 {
        ops += 1;
        let Ok(op) = u.int_in_range(0..=15u8) else {
            break;
        };
        let slot = usize::from(op % 4);
        if op >= 14 {
            // finish one conversation and start it afresh
            let live = std::mem::replace(&mut lives[slot], start(engine, slot));
            finish(engine, live, slot);
            continue;
        }
        let Ok(turn) = qa_fuzz::turn(&mut u) else {
            break;
        };
        let live = &mut lives[slot];
        let found = if checked {
            match live.session.try_push(turn.clone()) {
                Ok(found) => found,
                Err(e) => {
                    assert_eq!(e.turn().unwrap_or(live.turns.len()), live.turns.len());
                    continue;
                }
            }
        } else {
            live.session.push(turn.clone())
        };
        live.turns.push(turn);
        for f in &found {
            qa_fuzz::check_finding(&live.turns, f);
        }
        live.pushed.extend(found);
    }
    for (n, live) in lives.into_iter().enumerate() {
        finish(engine, live, n);
    }
});
