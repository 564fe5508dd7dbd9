//! Targeting errors: at a cut-off (40% of persons), the inclusion error (share of those the
//! model calls poor who are not) and the exclusion error (share of the truly poor the model
//! misses), weighted by persons; Spearman's rank correlation; the decile confusion matrix.

use serde::{Deserialize, Serialize};

/// How well a score targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Targeting {
    /// Households evaluated.
    pub households: usize,
    /// Cut-off (share of persons).
    pub cutoff: f64,
    /// Share (persons) of those predicted below the cut-off who are truly above it.
    pub inclusion_error: f64,
    /// Share (persons) of those truly below the cut-off predicted above it.
    pub exclusion_error: f64,
    /// Spearman's rank correlation between score and truth (households, unweighted).
    pub spearman: f64,
    /// Persons by (true decile, predicted decile), row-major 10 × 10.
    pub decile_confusion: Vec<f64>,
}

/// Person-weighted decile (1–10) of each value.
fn weighted_deciles(v: &[f64], w: &[f64]) -> Vec<u8> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
    let total: f64 = w.iter().sum::<f64>().max(1e-12);
    let mut out = vec![0u8; v.len()];
    let mut before = 0.0;
    for &i in &order {
        let mid = before + w[i] / 2.0;
        out[i] = ((10.0 * mid / total).floor() as i64).clamp(0, 9) as u8 + 1;
        before += w[i];
    }
    out
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Whether each value is below the cut-off: the lowest `cutoff` share of the weight.
pub fn below(v: &[f64], w: &[f64], cutoff: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
    let total: f64 = w.iter().sum::<f64>();
    let mut out = vec![false; v.len()];
    let mut before = 0.0;
    for &i in &order {
        out[i] = before + w[i] / 2.0 <= cutoff * total;
        before += w[i];
    }
    out
}

/// Inclusion and exclusion error of flags `p` (predicted poor) against `t` (truly poor).
pub fn errors(p: &[bool], t: &[bool], w: &[f64]) -> (f64, f64) {
    let (mut pp, mut pp_not, mut tp, mut tp_missed) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..p.len() {
        if p[i] {
            pp += w[i];
            if !t[i] {
                pp_not += w[i];
            }
        }
        if t[i] {
            tp += w[i];
            if !p[i] {
                tp_missed += w[i];
            }
        }
    }
    (
        if pp > 0.0 { pp_not / pp } else { 0.0 },
        if tp > 0.0 { tp_missed / tp } else { 0.0 },
    )
}

/// Targeting of `pred` against `truth` with person weights `w` at cut-off `cutoff`.
pub fn targeting(pred: &[f64], truth: &[f64], w: &[f64], cutoff: f64) -> Targeting {
    let (p, t) = (below(pred, w, cutoff), below(truth, w, cutoff));
    let (inclusion_error, exclusion_error) = errors(&p, &t, w);
    let (rp, rt) = (ranks(pred), ranks(truth));
    let n = pred.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for i in 0..pred.len() {
        num += (rp[i] - mean) * (rt[i] - mean);
        da += (rp[i] - mean).powi(2);
        db += (rt[i] - mean).powi(2);
    }
    let (dp, dt) = (weighted_deciles(pred, w), weighted_deciles(truth, w));
    let mut confusion = vec![0.0; 100];
    for i in 0..pred.len() {
        confusion[(dt[i] as usize - 1) * 10 + dp[i] as usize - 1] += w[i];
    }
    Targeting {
        households: pred.len(),
        cutoff,
        inclusion_error,
        exclusion_error,
        spearman: if da > 0.0 && db > 0.0 {
            num / (da * db).sqrt()
        } else {
            0.0
        },
        decile_confusion: confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_score_makes_no_errors_and_a_reversed_one_all() {
        let truth: Vec<f64> = (0..100).map(f64::from).collect();
        let w = vec![1.0; 100];
        let t = targeting(&truth, &truth, &w, 0.4);
        assert_eq!((t.inclusion_error, t.exclusion_error), (0.0, 0.0));
        assert!((t.spearman - 1.0).abs() < 1e-12);
        let rev: Vec<f64> = truth.iter().map(|x| -x).collect();
        let t = targeting(&rev, &truth, &w, 0.4);
        assert_eq!((t.inclusion_error, t.exclusion_error), (1.0, 1.0));
    }
}
