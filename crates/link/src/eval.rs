//! Evaluation against ground truth: pairwise precision, recall and F1 of the clustering (every
//! pair of records put in one cluster), overall and per source pair; exact-cluster precision
//! and recall; and the false and missed matches listed for inspection.

use serde::Serialize;

use foldhash::HashMap;

/// Precision, recall and F1 from pair counts.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Metrics {
    /// Pairs in one predicted cluster and one true cluster.
    pub true_positives: u64,
    /// Pairs predicted together that are different entities.
    pub false_positives: u64,
    /// Pairs of one entity that were not put together.
    pub false_negatives: u64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
}

impl Metrics {
    fn from_counts(tp: u64, predicted: u64, truth: u64) -> Metrics {
        let precision = if predicted == 0 {
            1.0
        } else {
            tp as f64 / predicted as f64
        };
        let recall = if truth == 0 {
            1.0
        } else {
            tp as f64 / truth as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Metrics {
            true_positives: tp,
            false_positives: predicted - tp,
            false_negatives: truth - tp,
            precision,
            recall,
            f1,
        }
    }
}

/// Metrics for one pair of sources.
#[derive(Debug, Clone, Serialize)]
pub struct SourcePair {
    /// First source.
    pub left: String,
    /// Second source (the same as the first for duplicates within a source).
    pub right: String,
    /// Its metrics.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// The evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Records both predicted and in the truth with an entity.
    pub records: usize,
    /// Predicted records absent from the truth or without an entity there (not evaluated).
    pub records_without_truth: usize,
    /// Truth records with an entity that the prediction does not hold (not evaluated).
    pub truth_not_predicted: usize,
    /// Pairwise metrics.
    pub pairwise: Metrics,
    /// Predicted clusters (of evaluated records).
    pub predicted_clusters: usize,
    /// True entities.
    pub true_clusters: usize,
    /// Predicted clusters that are exactly a true entity.
    pub exact_clusters: usize,
    /// exact / predicted.
    pub cluster_precision: f64,
    /// exact / true.
    pub cluster_recall: f64,
    /// Per source pair.
    pub per_source_pair: Vec<SourcePair>,
    /// Some pairs wrongly put together (left id, right id).
    #[serde(skip)]
    pub false_matches: Vec<(String, String)>,
    /// Some pairs wrongly kept apart.
    #[serde(skip)]
    pub missed_matches: Vec<(String, String)>,
}

/// A record as evaluated: its id, predicted cluster, true entity and source.
pub struct EvalRecord<'a> {
    /// Record id.
    pub id: &'a str,
    /// Predicted cluster label.
    pub predicted: &'a str,
    /// True entity label.
    pub truth: &'a str,
    /// Source label.
    pub source: &'a str,
}

fn pairs_of(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn cross(counts: &[u64], a: usize, b: usize) -> u64 {
    if a == b {
        pairs_of(counts[a])
    } else {
        counts[a] * counts[b]
    }
}

/// Evaluates; lists at most `list_limit` false and missed matches each.
pub fn evaluate(
    records: &[EvalRecord<'_>],
    without_truth: usize,
    truth_not_predicted: usize,
    list_limit: usize,
) -> Evaluation {
    let intern = |map: &mut HashMap<String, usize>, s: &str| -> usize {
        let next = map.len();
        *map.entry(s.to_string()).or_insert(next)
    };
    let (mut pmap, mut tmap, mut smap) =
        (HashMap::default(), HashMap::default(), HashMap::default());
    let rows: Vec<(usize, usize, usize)> = records
        .iter()
        .map(|r| {
            (
                intern(&mut pmap, r.predicted),
                intern(&mut tmap, r.truth),
                intern(&mut smap, r.source),
            )
        })
        .collect();
    let s = smap.len().max(1);
    let mut pred = vec![vec![0u64; s]; pmap.len()];
    let mut truth = vec![vec![0u64; s]; tmap.len()];
    let mut cells: HashMap<(usize, usize), Vec<u64>> = HashMap::default();
    for &(p, t, src) in &rows {
        pred[p][src] += 1;
        truth[t][src] += 1;
        cells.entry((p, t)).or_insert_with(|| vec![0; s])[src] += 1;
    }
    let mut sources: Vec<(String, usize)> = smap.into_iter().collect();
    sources.sort();
    let mut per_source_pair = Vec::new();
    let (mut tp, mut pp, mut tt) = (0u64, 0u64, 0u64);
    for x in 0..sources.len() {
        for y in x..sources.len() {
            let (a, b) = (sources[x].1, sources[y].1);
            let ctp: u64 = cells.values().map(|c| cross(c, a, b)).sum();
            let cpp: u64 = pred.iter().map(|c| cross(c, a, b)).sum();
            let ctt: u64 = truth.iter().map(|c| cross(c, a, b)).sum();
            tp += ctp;
            pp += cpp;
            tt += ctt;
            per_source_pair.push(SourcePair {
                left: sources[x].0.clone(),
                right: sources[y].0.clone(),
                metrics: Metrics::from_counts(ctp, cpp, ctt),
            });
        }
    }
    let psize: Vec<u64> = pred.iter().map(|c| c.iter().sum()).collect();
    let tsize: Vec<u64> = truth.iter().map(|c| c.iter().sum()).collect();
    let exact = cells
        .iter()
        .filter(|((p, t), c)| {
            let n: u64 = c.iter().sum();
            n == psize[*p] && n == tsize[*t]
        })
        .count();
    // Lists: group record indices by predicted cluster and by truth.
    let mut by_pred: HashMap<usize, Vec<usize>> = HashMap::default();
    let mut by_truth: HashMap<usize, Vec<usize>> = HashMap::default();
    for (i, &(p, t, _)) in rows.iter().enumerate() {
        by_pred.entry(p).or_default().push(i);
        by_truth.entry(t).or_default().push(i);
    }
    let mut false_matches = Vec::new();
    let mut keys: Vec<&usize> = by_pred.keys().collect();
    keys.sort();
    'fm: for k in keys {
        let members = &by_pred[k];
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if rows[i].1 != rows[j].1 {
                    if false_matches.len() >= list_limit {
                        break 'fm;
                    }
                    false_matches.push((records[i].id.to_string(), records[j].id.to_string()));
                }
            }
        }
    }
    let mut missed_matches = Vec::new();
    let mut keys: Vec<&usize> = by_truth.keys().collect();
    keys.sort();
    'mm: for k in keys {
        let members = &by_truth[k];
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if rows[i].0 != rows[j].0 {
                    if missed_matches.len() >= list_limit {
                        break 'mm;
                    }
                    missed_matches.push((records[i].id.to_string(), records[j].id.to_string()));
                }
            }
        }
    }
    Evaluation {
        records: records.len(),
        records_without_truth: without_truth,
        truth_not_predicted,
        pairwise: Metrics::from_counts(tp, pp, tt),
        predicted_clusters: pred.len(),
        true_clusters: truth.len(),
        exact_clusters: exact,
        cluster_precision: exact as f64 / pred.len().max(1) as f64,
        cluster_recall: exact as f64 / truth.len().max(1) as f64,
        per_source_pair,
        false_matches,
        missed_matches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_counts_by_hand() {
        // Truth: {a,b,c} {d}; predicted: {a,b} {c,d}.
        let r = |id, predicted, truth, source| EvalRecord {
            id,
            predicted,
            truth,
            source,
        };
        let recs = [
            r("a", "1", "X", "s"),
            r("b", "1", "X", "t"),
            r("c", "2", "X", "s"),
            r("d", "2", "Y", "t"),
        ];
        let e = evaluate(&recs, 0, 0, 10);
        assert_eq!(e.pairwise.true_positives, 1);
        assert_eq!(e.pairwise.false_positives, 1);
        assert_eq!(e.pairwise.false_negatives, 2);
        assert!((e.pairwise.precision - 0.5).abs() < 1e-12);
        assert!((e.pairwise.recall - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(e.exact_clusters, 0);
        assert_eq!(e.false_matches, vec![("c".to_string(), "d".to_string())]);
        assert_eq!(e.missed_matches.len(), 2);
        let st = e
            .per_source_pair
            .iter()
            .find(|p| p.left == "s" && p.right == "t")
            .expect("s-t");
        assert_eq!(st.metrics.true_positives, 1);
        assert_eq!(st.metrics.false_positives, 1);
        assert_eq!(st.metrics.false_negatives, 1);
    }
}
