//! Comparing two reports of one conversation, scored with two versions of a rubric
//! (`qa diff`, v1.1 additions §7): the findings one has and the other has not, and how the
//! score and the verdict moved.
//!
//! A finding is identified by its rule id, turn, start and end (the conversation is the same on
//! both sides); its `deduct`, name, message or severity changing alone is not an addition or a
//! removal. Findings are compared as multisets: two findings of one rule at one place in the
//! old report and one in the new make one removal.

use std::collections::HashMap;

use crate::report::{Finding, Report};

/// How a conversation's report changed from an old rubric to a new one.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDiff {
    /// The old report's score.
    pub old_score: f64,
    /// The new report's score.
    pub new_score: f64,
    /// Whether the old report passed.
    pub old_passed: bool,
    /// Whether the new report passed.
    pub new_passed: bool,
    /// Findings of the new report with no counterpart in the old one, in the new report's order.
    pub added: Vec<Finding>,
    /// Findings of the old report with no counterpart in the new one, in the old report's order.
    pub removed: Vec<Finding>,
}

/// A pass/fail verdict that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// Passed with the old rubric, fails with the new one.
    PassToFail,
    /// Failed with the old rubric, passes with the new one.
    FailToPass,
}

/// What identifies a finding within one conversation.
type FindingKey<'a> = (&'a str, Option<usize>, Option<usize>, Option<usize>);

fn key(f: &Finding) -> FindingKey<'_> {
    (&f.rule, f.turn, f.start, f.end)
}

impl Report {
    /// How this report (scored with the old rubric) changed in `new` (the same conversation
    /// scored with the new rubric).
    ///
    /// ```
    /// use qa_core::{Engine, Flip, Rubric, Transcript, Turn};
    ///
    /// let old = Engine::new(Rubric::from_yaml(
    ///     "rubric: r\nscoring: {pass: 95}\nrules: [{id: rude, kind: forbid, match: [爱买不买], deduct: 10}]",
    /// ).unwrap()).unwrap();
    /// let new = Engine::new(Rubric::from_yaml(
    ///     "rubric: r\nscoring: {pass: 95}\nrules: [{id: rude, kind: forbid, match: [爱买不买], deduct: 3}]",
    /// ).unwrap()).unwrap();
    /// let t = Transcript { turns: vec![Turn::new("agent", "爱买不买")], ..Default::default() };
    /// let diff = old.score(&t).diff(&new.score(&t));
    /// assert!(diff.added.is_empty() && diff.removed.is_empty()); // only the deduct changed
    /// assert_eq!((diff.old_score, diff.new_score), (90.0, 97.0));
    /// assert_eq!(diff.flip(), Some(Flip::FailToPass));
    /// ```
    pub fn diff(&self, new: &Report) -> ReportDiff {
        // the unmatched old findings of each key, in order
        let mut old_by_key: HashMap<FindingKey<'_>, Vec<usize>> = HashMap::new();
        for (i, f) in self.findings.iter().enumerate().rev() {
            old_by_key.entry(key(f)).or_default().push(i);
        }
        let mut matched = vec![false; self.findings.len()];
        let mut added = Vec::new();
        for f in &new.findings {
            match old_by_key.get_mut(&key(f)).and_then(Vec::pop) {
                Some(i) => matched[i] = true,
                None => added.push(f.clone()),
            }
        }
        let removed = self
            .findings
            .iter()
            .zip(&matched)
            .filter(|(_, &m)| !m)
            .map(|(f, _)| f.clone())
            .collect();
        ReportDiff {
            old_score: self.score,
            new_score: new.score,
            old_passed: self.passed,
            new_passed: new.passed,
            added,
            removed,
        }
    }
}

impl ReportDiff {
    /// Whether anything changed: the score, the verdict, or a finding added or removed.
    pub fn is_changed(&self) -> bool {
        self.score_changed()
            || self.flip().is_some()
            || !self.added.is_empty()
            || !self.removed.is_empty()
    }

    /// Whether the score changed (scores are rounded to 6 decimals, so they compare exactly).
    pub fn score_changed(&self) -> bool {
        self.old_score != self.new_score
    }

    /// The verdict's change, if it changed.
    pub fn flip(&self) -> Option<Flip> {
        match (self.old_passed, self.new_passed) {
            (true, false) => Some(Flip::PassToFail),
            (false, true) => Some(Flip::FailToPass),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Rubric, Transcript, Turn};

    fn engine(yaml: &str) -> Engine {
        Engine::new(Rubric::from_yaml(yaml).unwrap()).unwrap()
    }

    fn transcript(turns: &[(&str, &str)]) -> Transcript {
        Transcript {
            id: Some("c1".into()),
            turns: turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect(),
            ..Default::default()
        }
    }

    fn ids(findings: &[Finding]) -> Vec<(String, Option<usize>, Option<usize>)> {
        findings
            .iter()
            .map(|f| (f.rule.clone(), f.turn, f.start))
            .collect()
    }

    const OLD: &str = "rubric: r\nscoring: {pass: 90}\nrules:\n\
        - {id: rude, kind: forbid, match: [爱买不买, 這是規定], deduct: 10}\n\
        - {id: greet, kind: require, role: agent, window: {first: 1}, match: [您好], deduct: 5}\n";

    #[test]
    fn identical_rubrics_change_nothing() {
        let e = engine(OLD);
        let t = transcript(&[("customer", "在吗"), ("agent", "爱买不买 😀 这是规定")]);
        let d = e.score(&t).diff(&e.score(&t));
        assert!(!d.is_changed(), "{d:?}");
        assert_eq!(d.flip(), None);
        assert_eq!((d.old_score, d.new_score), (85.0, 85.0));
    }

    #[test]
    fn a_new_phrase_adds_and_a_dropped_rule_removes() {
        let new = "rubric: r\nscoring: {pass: 90}\nrules:\n\
            - {id: rude, kind: forbid, match: [爱买不买, 這是規定, 不知道], deduct: 10}\n";
        let t = transcript(&[("agent", "不知道，这是规定")]);
        let (old, new) = (engine(OLD).score(&t), engine(new).score(&t));
        let d = old.diff(&new);
        assert_eq!(ids(&d.added), [("rude".to_string(), Some(0), Some(0))]);
        // greet (whole conversation, missing) is gone with its rule
        assert_eq!(ids(&d.removed), [("greet".to_string(), None, None)]);
        // rude takes its deduct once (no max_deduct), so only greet's 5 points come back
        assert_eq!((d.old_score, d.new_score), (85.0, 90.0));
        assert_eq!(d.flip(), Some(Flip::FailToPass));
        assert!(d.is_changed() && d.score_changed());
    }

    #[test]
    fn a_changed_deduct_alone_is_neither_added_nor_removed() {
        let new = OLD.replace("deduct: 10", "deduct: 4");
        let t = transcript(&[("agent", "您好，爱买不买")]);
        let d = engine(OLD).score(&t).diff(&engine(&new).score(&t));
        assert!(d.added.is_empty() && d.removed.is_empty(), "{d:?}");
        assert_eq!((d.old_score, d.new_score), (90.0, 96.0));
        assert_eq!(d.flip(), None);
        assert!(d.is_changed());
    }

    #[test]
    fn findings_are_compared_as_multisets() {
        let mut old = engine(OLD).score(&transcript(&[("agent", "您好，爱买不买")]));
        let mut new = old.clone();
        let twice = old.findings[0].clone();
        old.findings.push(twice.clone());
        old.findings.push(twice);
        // three identical findings old, one new: two removals
        let d = old.diff(&new);
        assert_eq!(d.removed.len(), 2);
        assert!(d.added.is_empty());
        // and the other way round
        new.findings.push(new.findings[0].clone());
        let d = new.diff(&engine(OLD).score(&transcript(&[("agent", "您好，爱买不买")])));
        assert_eq!((d.added.len(), d.removed.len()), (0, 1));
    }

    #[test]
    fn a_moved_finding_is_one_removal_and_one_addition() {
        let new = OLD.replace("[爱买不买, 這是規定]", "[爱买不买, 这是规定的]");
        let t = transcript(&[("agent", "您好 This is 这是规定的 rule")]);
        let d = engine(OLD).score(&t).diff(&engine(&new).score(&t));
        assert_eq!(ids(&d.removed), [("rude".to_string(), Some(0), Some(11))]);
        assert_eq!(ids(&d.added), [("rude".to_string(), Some(0), Some(11))]);
        assert_eq!(d.added[0].end, Some(16));
        assert_eq!(d.removed[0].end, Some(15));
        assert!(!d.score_changed());
        assert!(d.is_changed());
    }

    #[test]
    fn a_flip_to_fail_and_empty_turns() {
        let strict = OLD.replace("pass: 90", "pass: 99");
        let t = transcript(&[("agent", ""), ("customer", "")]);
        let d = engine(OLD).score(&t).diff(&engine(&strict).score(&t));
        assert_eq!((d.old_score, d.new_score), (95.0, 95.0));
        assert_eq!(d.flip(), Some(Flip::PassToFail));
        assert!(d.added.is_empty() && d.removed.is_empty());
        assert!(d.is_changed() && !d.score_changed());
    }
}
