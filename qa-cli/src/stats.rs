//! The statistics of `qa eval` and `qa mine` (v1.1 additions §4), as pure functions over plain
//! numbers so that each can be checked by hand: the AUC of a risk order (Mann-Whitney, ties
//! count one half), a rule's precision, recall and lift against a label, mean absolute error,
//! Pearson correlation, Cohen's κ of two yes/no judgements, and the log-odds ratio with an
//! informative Dirichlet prior of "Fightin' Words" (Monroe, Colaresi & Quinn 2008).
//!
//! They live in the command line rather than in qa-core: they compare a rubric with people
//! after the fact, which a program embedding the engine does with its own tools (numpy,
//! scikit-learn); keeping them here keeps the core's API to scoring.

use std::cmp::Ordering;

/// The area under the ROC curve of `risks` against `labels` (same length): the chance that a
/// positive drawn at random is riskier than a negative drawn at random, a tie counting one
/// half. `None` when there is no positive or no negative.
///
/// `risk` is any totally ordered key, so ties can be broken by a second criterion first.
pub fn auc<K, F>(items: &[(K, bool)], cmp: F) -> Option<f64>
where
    F: Fn(&K, &K) -> Ordering,
{
    let positives = items.iter().filter(|(_, l)| *l).count();
    let negatives = items.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| cmp(&items[a].0, &items[b].0));
    // Mann-Whitney U from mid-ranks: a group of tied keys shares the mean of its ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && cmp(&items[order[i]].0, &items[order[j]].0) == Ordering::Equal {
            j += 1;
        }
        let mid_rank = (i + 1 + j) as f64 / 2.0; // ranks i+1 ..= j
        let group_positives = order[i..j].iter().filter(|&&k| items[k].1).count();
        rank_sum += mid_rank * group_positives as f64;
        i = j;
    }
    let p = positives as f64;
    let u = rank_sum - p * (p + 1.0) / 2.0;
    Some(u / (p * negatives as f64))
}

/// How one rule's firing agrees with a label.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RuleAgreement {
    /// Labeled conversations where the rule has a finding.
    pub support: u64,
    /// Of those, positives.
    pub hits: u64,
}

impl RuleAgreement {
    /// Share of the conversations it fires on that are positive; `None` when it never fires.
    pub fn precision(&self) -> Option<f64> {
        (self.support > 0).then(|| self.hits as f64 / self.support as f64)
    }

    /// Share of all `positives` it fires on; `None` when there is no positive.
    pub fn recall(&self, positives: u64) -> Option<f64> {
        (positives > 0).then(|| self.hits as f64 / positives as f64)
    }

    /// Precision over the share of positives among all `labeled` conversations: 1 means the
    /// rule tells nothing, 2 that where it fires positives are twice as common.
    pub fn lift(&self, positives: u64, labeled: u64) -> Option<f64> {
        let base = (labeled > 0 && positives > 0).then(|| positives as f64 / labeled as f64)?;
        self.precision().map(|p| p / base)
    }
}

/// Mean absolute difference of pairs; `None` for no pairs.
pub fn mae(pairs: &[(f64, f64)]) -> Option<f64> {
    (!pairs.is_empty())
        .then(|| pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / pairs.len() as f64)
}

/// Pearson's correlation of pairs; `None` for fewer than two pairs or when either side does
/// not vary.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let ma = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mb = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (a, b) in pairs {
        cov += (a - ma) * (b - mb);
        va += (a - ma) * (a - ma);
        vb += (b - mb) * (b - mb);
    }
    (va > 0.0 && vb > 0.0).then(|| (cov / (va * vb).sqrt()).clamp(-1.0, 1.0))
}

/// Cohen's κ of two yes/no judgements of the same items: agreement beyond what their rates
/// alone would give. `None` for no items, or when chance agreement is already total (both
/// judges always say the same one thing).
pub fn cohen_kappa(pairs: &[(bool, bool)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let agree = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let a_yes = pairs.iter().filter(|(a, _)| *a).count() as f64 / n;
    let b_yes = pairs.iter().filter(|(_, b)| *b).count() as f64 / n;
    let chance = a_yes * b_yes + (1.0 - a_yes) * (1.0 - b_yes);
    (chance < 1.0).then(|| (agree - chance) / (1.0 - chance))
}

/// A phrase's "Fightin' Words" statistic: the log-odds ratio of the phrase between the
/// positive and the negative class with an informative Dirichlet prior, and its z-score.
///
/// `pos`/`neg` count the phrase in each class, `pos_total`/`neg_total` all phrases in each
/// class, and `prior` is the phrase's pseudo-count (α_w; the prior's total is `prior_total`,
/// α_0). With y = count and n = total, δ = log((y₁+α_w)/(n₁+α_0−y₁−α_w)) −
/// log((y₀+α_w)/(n₀+α_0−y₀−α_w)), its variance ≈ 1/(y₁+α_w) + 1/(y₀+α_w), and z = δ/√var
/// (Monroe, Colaresi & Quinn 2008, eq. 16–22).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogOdds {
    /// δ: log-odds of the phrase in the positive class minus in the negative class.
    pub delta: f64,
    /// δ over its standard deviation.
    pub z: f64,
}

/// Counts of one phrase for [`log_odds`].
#[derive(Debug, Clone, Copy)]
pub struct PhraseCounts {
    /// Occurrences in the positive class.
    pub pos: f64,
    /// Occurrences in the negative class.
    pub neg: f64,
    /// The phrase's prior pseudo-count α_w.
    pub prior: f64,
}

/// See [`LogOdds`]; `totals` is (n₁, n₀, α_0).
pub fn log_odds(c: PhraseCounts, totals: (f64, f64, f64)) -> LogOdds {
    let (pos_total, neg_total, prior_total) = totals;
    let odds = |y: f64, n: f64| ((y + c.prior) / (n + prior_total - y - c.prior)).ln();
    let delta = odds(c.pos, pos_total) - odds(c.neg, neg_total);
    let variance = 1.0 / (c.pos + c.prior) + 1.0 / (c.neg + c.prior);
    LogOdds {
        delta,
        z: delta / variance.sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    fn by_risk(items: &[(f64, bool)]) -> Option<f64> {
        auc(items, |a, b| a.total_cmp(b))
    }

    #[test]
    fn auc_of_a_perfect_a_reversed_and_a_useless_order() {
        let perfect = [(0.0, false), (1.0, false), (2.0, true), (3.0, true)];
        assert!(close(by_risk(&perfect), 1.0));
        let reversed = [(3.0, false), (2.0, false), (1.0, true), (0.0, true)];
        assert!(close(by_risk(&reversed), 0.0));
        // all tied: every positive-negative pair counts one half
        let tied = [(5.0, false), (5.0, true), (5.0, true)];
        assert!(close(by_risk(&tied), 0.5));
    }

    #[test]
    fn auc_counts_ties_one_half() {
        // positives at risk 1 and 3, negatives at 1 and 2.
        // pairs (pos, neg): (1,1) tie ½, (1,2) lost 0, (3,1) won 1, (3,2) won 1 → 2.5 / 4
        let items = [(1.0, true), (3.0, true), (1.0, false), (2.0, false)];
        assert!(close(by_risk(&items), 0.625));
    }

    #[test]
    fn auc_breaks_ties_with_a_second_key() {
        // same risk 0; the second key (findings) separates the positive from the negative
        let items = [((0.0, 2), true), ((0.0, 1), false), ((0.0, 0), false)];
        let cmp = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        assert!(close(auc(&items, cmp), 1.0));
    }

    #[test]
    fn auc_is_undefined_with_one_class() {
        assert_eq!(by_risk(&[(1.0, true), (2.0, true)]), None);
        assert_eq!(by_risk(&[(1.0, false)]), None);
        assert_eq!(by_risk(&[]), None);
    }

    #[test]
    fn rule_agreement_by_hand() {
        // 10 labeled, 4 positive; the rule fires on 3, 2 of them positive
        let r = RuleAgreement {
            support: 3,
            hits: 2,
        };
        assert!(close(r.precision(), 2.0 / 3.0));
        assert!(close(r.recall(4), 0.5));
        assert!(close(r.lift(4, 10), (2.0 / 3.0) / 0.4));
        let never = RuleAgreement::default();
        assert_eq!(never.precision(), None);
        assert!(close(never.recall(4), 0.0));
        assert_eq!(never.lift(4, 10), None);
        assert_eq!(r.recall(0), None);
        assert_eq!(r.lift(0, 10), None);
    }

    #[test]
    fn mae_and_pearson_by_hand() {
        let pairs = [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)];
        assert!(close(mae(&pairs), (1.0 + 2.0 + 3.0) / 3.0));
        assert!(close(pearson(&pairs), 1.0));
        let anti = [(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)];
        assert!(close(pearson(&anti), -1.0));
        // a = 1,2,3,4 and b = 1,3,2,4: cov 4, var 5 and 5 → r = 0.8
        let some = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (4.0, 4.0)];
        assert!(close(pearson(&some), 0.8));
        assert_eq!(pearson(&[(1.0, 1.0), (1.0, 2.0)]), None);
        assert_eq!(pearson(&[(1.0, 1.0)]), None);
        assert_eq!(mae(&[]), None);
    }

    #[test]
    fn kappa_by_hand() {
        // 10 items: both yes 4, both no 3, a yes b no 2, a no b yes 1
        // agreement 0.7; a yes 0.6, b yes 0.5; chance 0.3+0.2 = 0.5; κ = 0.2/0.5 = 0.4
        let mut pairs = vec![(true, true); 4];
        pairs.extend([(false, false); 3]);
        pairs.extend([(true, false); 2]);
        pairs.push((false, true));
        assert!(close(cohen_kappa(&pairs), 0.4));
        assert!(close(cohen_kappa(&[(true, true), (false, false)]), 1.0));
        assert_eq!(cohen_kappa(&[(true, true), (true, true)]), None);
        assert_eq!(cohen_kappa(&[]), None);
    }

    #[test]
    fn log_odds_by_hand() {
        // no prior: δ = ln(2/8) − ln(1/9); var = 1/2 + 1/1
        let c = PhraseCounts {
            pos: 2.0,
            neg: 1.0,
            prior: 0.0,
        };
        let lo = log_odds(c, (10.0, 10.0, 0.0));
        let delta = (2.0f64 / 8.0).ln() - (1.0f64 / 9.0).ln();
        assert!((lo.delta - delta).abs() < 1e-12);
        assert!((lo.z - delta / 1.5f64.sqrt()).abs() < 1e-12);
        // a prior pulls a rare phrase towards zero
        let shrunk = log_odds(PhraseCounts { prior: 1.0, ..c }, (10.0, 10.0, 5.0));
        assert!(shrunk.delta > 0.0 && shrunk.delta < lo.delta);
        // the same counts in both classes of equal size: no difference
        let even = PhraseCounts {
            pos: 3.0,
            neg: 3.0,
            prior: 0.5,
        };
        assert!(log_odds(even, (20.0, 20.0, 4.0)).delta.abs() < 1e-12);
    }
}
