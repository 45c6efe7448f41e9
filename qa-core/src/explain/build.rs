//! From what an explained run noted to an [`Explanation`]: the notes are sorted by rule and
//! part, and each match the scan kept is set against what its expression matched on that turn.

use std::collections::HashMap;

use super::trace::{At, OutOf, Raw, Trace};
use super::{DropReason, Event, Explanation, Match, Part, RuleExplanation, TriggerOutcome};
use crate::compiled::CompiledRubric;
use crate::matcher::{ExprId, LeafContext, LeafSource};
use crate::report::Report;
use crate::rules::RuleKind;

/// Where a leaf sits in one rule.
struct LeafInfo {
    part: Part,
    root: ExprId,
    context: LeafContext,
}

/// Sorts a trace into the explanation of the rules `only` (all when `None`).
pub(crate) fn assemble(
    compiled: &CompiledRubric,
    report: &Report,
    trace: &Trace,
    turns: usize,
    only: Option<usize>,
) -> Explanation {
    let rules = compiled
        .rubric
        .rules
        .iter()
        .enumerate()
        .filter(|(r, _)| only.is_none_or(|o| o == *r))
        .map(|(r, _)| explain_rule(compiled, report, trace, r))
        .collect();
    Explanation {
        id: report.id.clone(),
        rubric: report.rubric.clone(),
        score: report.score,
        passed: report.passed,
        turns,
        rules,
    }
}

fn covers(outer: &At, inner: &At) -> bool {
    outer.turn == inner.turn && outer.start <= inner.start && inner.end <= outer.end
}

fn explain_rule(
    compiled: &CompiledRubric,
    report: &Report,
    trace: &Trace,
    r: usize,
) -> RuleExplanation {
    let rule = &compiled.rubric.rules[r];
    let id = rule.id();
    let matcher = &compiled.matcher;
    let mut roots = compiled.rules.roots(r);
    if let Some((_, expr)) = compiled.conditions[r] {
        roots.push((Part::OnlyIf, expr));
    }
    let mut leaves: HashMap<u32, LeafInfo> = HashMap::new();
    for &(part, root) in &roots {
        for (leaf, context) in matcher.leaf_contexts(root) {
            leaves.insert(
                leaf,
                LeafInfo {
                    part,
                    root,
                    context,
                },
            );
        }
    }
    let is_root = |e: ExprId| roots.iter().any(|&(_, x)| x == e);
    // what each of the rule's expressions kept, per (root, turn), and what `except` removed
    let mut evals: HashMap<(ExprId, usize), Vec<&At>> = HashMap::new();
    let mut excepts: Vec<(ExprId, &At, &At)> = Vec::new();
    let mut out_of_scope: HashMap<(Part, usize), (OutOf, &str)> = HashMap::new();
    // per turn: the leaves that have a kept match (for `near`)
    let mut kept_leaves: HashMap<usize, Vec<u32>> = HashMap::new();
    for e in &trace.events {
        match e {
            Raw::Eval { expr, turn, kept } if is_root(*expr) => {
                evals.entry((*expr, *turn)).or_default().extend(kept.iter());
            }
            Raw::Except { expr, at, by } if is_root(*expr) => excepts.push((*expr, at, by)),
            Raw::OutOfScope {
                rule,
                part,
                turn,
                why,
                speaker,
            } if *rule == r => {
                out_of_scope.insert((*part, *turn), (*why, speaker.as_str()));
            }
            Raw::Leaf {
                leaf,
                at,
                dropped: None,
                ..
            } if leaves.contains_key(leaf) => kept_leaves.entry(at.turn).or_default().push(*leaf),
            _ => {}
        }
    }
    let not_applicable = report.not_applicable.iter().any(|n| n.rule == id);
    let skipped = report
        .skipped
        .iter()
        .find(|s| s.rule == id)
        .map(|s| s.reason.clone());
    let is_respond = rule.kind() == RuleKind::Respond;
    let mut trigger_turns = Vec::new();
    let mut answer_turns = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    // respond: triggers and their outcome
    for e in &trace.events {
        let Raw::Trigger { rule, at, deadline } = e else {
            continue;
        };
        if *rule != r {
            continue;
        }
        let outcome = trace
            .events
            .iter()
            .find_map(|o| match o {
                Raw::Answered {
                    rule,
                    triggers,
                    at: answer,
                } if *rule == r && triggers.contains(&at.turn) => {
                    answer_turns.push(answer.turn);
                    Some(TriggerOutcome::Answered {
                        answer: to_match(compiled, Part::Expect, answer, None),
                    })
                }
                Raw::Expired {
                    rule,
                    trigger,
                    closed_at,
                } if *rule == r && *trigger == at.turn => Some(TriggerOutcome::Missed {
                    closed_at: *closed_at,
                }),
                Raw::AtEnd {
                    rule,
                    trigger,
                    judged,
                } if *rule == r && *trigger == at.turn => Some(if *judged {
                    TriggerOutcome::UnansweredAtEnd
                } else {
                    TriggerOutcome::SkippedAtEnd
                }),
                _ => None,
            })
            .unwrap_or(TriggerOutcome::NotJudged);
        trigger_turns.push(at.turn);
        events.push(Event::Trigger {
            hit: to_match(compiled, Part::When, at, None),
            deadline: *deadline,
            outcome,
        });
    }
    // every match of the rule's phrases and regexes
    for e in &trace.events {
        let Raw::Leaf {
            leaf,
            at,
            norm,
            dropped,
        } = e
        else {
            continue;
        };
        let Some(info) = leaves.get(leaf) else {
            continue;
        };
        let source = Some((matcher.leaf_source(*leaf), norm.as_str()));
        let hit = to_match(compiled, info.part, at, source);
        let reason = match dropped {
            Some(reason) => Some(reason.clone()),
            None => judge(info, at, &evals, &excepts, &out_of_scope, &kept_leaves),
        };
        let reason = match reason {
            None if not_applicable && info.part != Part::OnlyIf && info.part != Part::Except => {
                Some(DropReason::OnlyIfUnmet)
            }
            other => other,
        };
        match reason {
            Some(reason) => events.push(Event::Dropped { hit, reason }),
            None => {
                // a trigger or an answer is already told by its trigger event
                let told = is_respond
                    && ((info.part == Part::When && trigger_turns.contains(&at.turn))
                        || (info.part == Part::Expect && answer_turns.contains(&at.turn)));
                if !told {
                    events.push(Event::Hit { hit });
                }
            }
        }
    }
    // a match of an expression that no phrase or regex match is part of: a `not` (the whole
    // turn, or the span of an `all`'s other items)
    for &(part, root) in &roots {
        if !matches!(part, Part::Match | Part::When) {
            continue;
        }
        for e in &trace.events {
            let Raw::Eval { expr, turn, kept } = e else {
                continue;
            };
            if *expr != root {
                continue;
            }
            for at in kept {
                let shown = events.iter().any(|ev| match ev {
                    Event::Hit { hit }
                    | Event::Trigger { hit, .. }
                    | Event::Dropped {
                        hit,
                        reason: DropReason::OnlyIfUnmet,
                    } => hit.turn == *turn && at.start <= hit.start && hit.end <= at.end,
                    _ => false,
                });
                if !shown {
                    let hit = to_match(compiled, part, at, None);
                    events.push(if not_applicable {
                        Event::Dropped {
                            hit,
                            reason: DropReason::OnlyIfUnmet,
                        }
                    } else {
                        Event::Hit { hit }
                    });
                }
            }
        }
    }
    for e in &trace.events {
        if let Raw::Measured { rule, m } = e {
            if *rule == r {
                events.push(Event::Measured(m.clone()));
            }
        }
    }
    events.sort_by_key(|e| match e {
        Event::Hit { hit } | Event::Dropped { hit, .. } | Event::Trigger { hit, .. } => {
            (hit.turn, hit.start, 0)
        }
        Event::Measured(m) => (m.turn.unwrap_or(usize::MAX), 0, 1),
    });
    let findings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == id)
        .cloned()
        .collect();
    RuleExplanation {
        rule: id.to_string(),
        name: rule.display_name().to_string(),
        kind: rule.kind(),
        fired: !findings.is_empty(),
        findings,
        not_applicable,
        skipped,
        met: (rule.kind() == RuleKind::Require).then(|| trace.met.get(r).copied().unwrap_or(false)),
        events,
    }
}

/// Why a match the scan kept did not count, or `None` when it did.
fn judge(
    info: &LeafInfo,
    at: &At,
    evals: &HashMap<(ExprId, usize), Vec<&At>>,
    excepts: &[(ExprId, &At, &At)],
    out_of_scope: &HashMap<(Part, usize), (OutOf, &str)>,
    kept_leaves: &HashMap<usize, Vec<u32>>,
) -> Option<DropReason> {
    if info.part == Part::Except {
        return None;
    }
    let composite = || match &info.context {
        LeafContext::Plain => None,
        LeafContext::All => Some(DropReason::Incomplete),
        LeafContext::Not => Some(DropReason::InsideNot),
        LeafContext::Near { items, within } => {
            let kept = kept_leaves.get(&at.turn);
            let all_items = items
                .iter()
                .all(|set| set.iter().any(|l| kept.is_some_and(|k| k.contains(l))));
            Some(if all_items {
                DropReason::NearTooFar { within: *within }
            } else {
                DropReason::Incomplete
            })
        }
    };
    if let Some(kept) = evals.get(&(info.root, at.turn)) {
        if kept.iter().any(|k| covers(k, at)) {
            return None;
        }
        if let Some((_, _, by)) = excepts
            .iter()
            .find(|(e, dropped, _)| *e == info.root && covers(dropped, at))
        {
            return Some(DropReason::Except {
                text: by.text.clone(),
                start: by.start,
                end: by.end,
            });
        }
        return composite();
    }
    let scope_part = match info.part {
        Part::When | Part::Expect | Part::OnlyIf => info.part,
        _ => Part::Match,
    };
    if let Some((why, speaker)) = out_of_scope.get(&(scope_part, at.turn)) {
        return Some(match why {
            OutOf::Role => DropReason::Role {
                speaker: speaker.to_string(),
            },
            OutOf::Window => DropReason::Window,
        });
    }
    match (&info.context, info.part) {
        (LeafContext::Near { .. } | LeafContext::All, _) => composite(),
        (_, Part::Expect) => Some(DropReason::NoTriggerPending),
        _ => None,
    }
}

/// A match as the explanation shows it: with the phrase or regex of the rubric it comes from.
fn to_match(
    compiled: &CompiledRubric,
    part: Part,
    at: &At,
    source: Option<(&LeafSource, &str)>,
) -> Match {
    let (mut phrase, mut regex, mut list) = (None, None, None);
    match source {
        Some((LeafSource::Phrase(p), _)) => phrase = Some(p.clone()),
        Some((LeafSource::List(name), norm)) => {
            list = Some(name.clone());
            phrase = compiled.rubric.lists.get(name).and_then(|l| {
                l.phrases()
                    .iter()
                    .find(|p| compiled.matcher.normalize_phrase(p.as_str()) == norm)
                    .map(|p| p.as_str().to_string())
            });
        }
        Some((LeafSource::Regex(re, from), _)) => {
            regex = Some(re.clone());
            list = from.clone();
        }
        None => {}
    }
    Match {
        part,
        turn: at.turn,
        start: at.start,
        end: at.end,
        text: at.text.clone(),
        phrase,
        regex,
        list,
    }
}
