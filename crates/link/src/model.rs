//! Fellegi–Sunter: u probabilities from random pairs, m probabilities by expectation–
//! maximisation without labels (one session per blocking rule, with the comparisons that rule
//! fixes switched off, as Splink does), the prior from the candidate pairs, term-frequency
//! adjustment, and the saved model.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::block::{pattern_of, KeyExpr, Pair, LEVEL_BITS, MASK_SHIFT};
use crate::config::{ComparisonKind, Config, Mode};
use crate::data::Dataset;
use crate::levels::{level_names, null_level};
use crate::LinkError;

/// Format tag of saved models.
pub const MODEL_FORMAT: &str = "dtsen-link-model/1";

/// A trained model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// Format tag.
    pub format: String,
    /// Per comparison, in configuration order.
    pub comparisons: Vec<ComparisonModel>,
    /// Probability that two random in-scope records are the same entity.
    pub prior: f64,
    /// How it was trained.
    pub training: Training,
}

/// One comparison's parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComparisonModel {
    /// Name from the configuration.
    pub name: String,
    /// Kind.
    pub kind: ComparisonKind,
    /// Whether the exact level is adjusted by term frequency.
    pub term_frequency: bool,
    /// Levels, strongest first, without `null` (which weighs nothing).
    pub levels: Vec<LevelModel>,
    /// Whether EM estimated m (false: every session had it switched off; defaults used).
    pub m_trained: bool,
}

/// One level's parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelModel {
    /// Level name.
    pub name: String,
    /// P(level | same entity).
    pub m: f64,
    /// P(level | different entities).
    pub u: f64,
    /// log2(m / u): the level's contribution to the match weight (0 when unobserved).
    pub weight: f64,
    /// Whether the level was seen in training (among likely matches or random pairs).
    #[serde(default = "yes")]
    pub observed: bool,
}

fn yes() -> bool {
    true
}

/// Training summary.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Training {
    /// Records in the training data.
    pub records: usize,
    /// Candidate pairs.
    pub candidate_pairs: u64,
    /// Random pairs sampled for u.
    pub u_sample_pairs: usize,
    /// EM sessions.
    pub sessions: Vec<Session>,
    /// Estimated share of matches among candidate pairs.
    pub candidate_match_share: f64,
    /// Estimated number of matching pairs.
    pub expected_matches: f64,
}

/// One EM session (per blocking rule).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The rule.
    pub rule: String,
    /// Pairs that share the rule's keys.
    pub pairs: u64,
    /// Comparisons estimated in it.
    pub active: Vec<String>,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the parameters stopped moving (change < 1e-6).
    pub converged: bool,
    /// Estimated share of matches among its pairs.
    pub match_share: f64,
}

impl Model {
    /// Reads a saved model and checks it fits the configuration.
    pub fn load(text: &str, config: &Config) -> Result<Model, LinkError> {
        let model: Model =
            serde_json::from_str(text).map_err(|e| LinkError::Model(format!("unreadable: {e}")))?;
        if model.format != MODEL_FORMAT {
            return Err(LinkError::Model(format!(
                "format {:?}, expected {MODEL_FORMAT:?}",
                model.format
            )));
        }
        let same = model.comparisons.len() == config.comparisons.len()
            && model
                .comparisons
                .iter()
                .zip(&config.comparisons)
                .all(|(m, c)| {
                    m.name == c.name
                        && m.kind == c.kind
                        && m.levels.len() + 1 == level_names(c.kind).len()
                });
        if !same {
            return Err(LinkError::Model(
                "its comparisons (names, kinds, order) differ from the configuration's: retrain"
                    .into(),
            ));
        }
        Ok(model)
    }

    /// Prior weight: log2 of the prior odds.
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// Weight of a pattern without term-frequency adjustment: the prior plus each level's weight.
    pub fn base_weight(&self, pattern: u64) -> f64 {
        let mut w = self.prior_weight();
        for (c, cm) in self.comparisons.iter().enumerate() {
            let l = ((pattern >> (c as u32 * LEVEL_BITS)) & 15) as usize;
            if l < cm.levels.len() {
                w += cm.levels[l].weight;
            }
        }
        w
    }

    /// Weight of a pair at the given levels, with term-frequency adjustment.
    pub fn weight(&self, data: &Dataset, a: usize, b: usize, pattern: u64) -> f64 {
        let exact = |c: usize| (pattern >> (c as u32 * LEVEL_BITS)) & 15 == 0;
        self.base_weight(pattern)
            + (0..self.comparisons.len())
                .filter(|&c| exact(c))
                .map(|c| self.tf_adjustment(data, c, a, b))
                .sum::<f64>()
    }

    /// The term-frequency adjustment of comparison `c` at its exact level, in bits.
    pub fn tf_adjustment(&self, data: &Dataset, c: usize, a: usize, b: usize) -> f64 {
        let cm = &self.comparisons[c];
        if !cm.term_frequency {
            return 0.0;
        }
        let n = data.len();
        let f = &data.features[c];
        let tf = match (f.term_frequency(a, n), f.term_frequency(b, n)) {
            (Some(x), Some(y)) => x.max(y),
            _ => return 0.0,
        };
        let floor = 1.0 / n.max(1) as f64;
        (cm.levels[0].u / tf.max(floor)).log2()
    }
}

/// Probability from a match weight.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

pub(crate) struct SplitMix(pub(crate) u64);
impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// u probabilities from random in-scope pairs: per comparison, per non-null level.
///
/// The pairs are every pair within a random sample of about sqrt(2 × wanted) records (as
/// Splink does): unbiased for u, and the sample's values stay in cache, which made this five
/// times faster than drawing both records of each pair at random.
fn estimate_u(config: &Config, data: &Dataset) -> (Vec<Vec<f64>>, Vec<Vec<u64>>, usize) {
    let n = data.len();
    if n < 2 {
        let zeros: Vec<Vec<u64>> = config
            .comparisons
            .iter()
            .map(|c| vec![0; level_names(c.kind).len()])
            .collect();
        let u = config
            .comparisons
            .iter()
            .map(|c| {
                let nn = null_level(c.kind) as usize;
                vec![1.0 / nn as f64; nn]
            })
            .collect();
        return (u, zeros, 0);
    }
    let wanted = config.model.u_sample_pairs.max(1) as f64;
    let scope = match data.mode {
        Mode::Dedupe => 1.0,
        Mode::Link => (data.total_pairs() / (n as f64 * (n as f64 - 1.0) / 2.0)).max(1e-6),
    };
    let k = (((2.0 * wanted / scope).sqrt()).ceil() as usize + 1).min(n);
    // A random sample of k distinct records (partial Fisher–Yates over a virtual identity
    // permutation kept in a map).
    let mut rng = SplitMix(config.model.seed ^ 0x005E_ED0F_0055_u64);
    let mut swapped: foldhash::HashMap<usize, usize> = Default::default();
    let mut sample = Vec::with_capacity(k);
    for i in 0..k {
        let j = i + rng.below(n - i);
        let vj = *swapped.get(&j).unwrap_or(&j);
        let vi = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, vi);
        sample.push(vj);
    }
    let levels: Vec<usize> = config
        .comparisons
        .iter()
        .map(|c| level_names(c.kind).len())
        .collect();
    let total: Vec<Vec<u64>> = (0..k)
        .into_par_iter()
        .with_min_len(16)
        .fold(
            || {
                levels
                    .iter()
                    .map(|&l| vec![0u64; l])
                    .collect::<Vec<Vec<u64>>>()
            },
            |mut acc, x| {
                let a = sample[x];
                for &b in &sample[x + 1..] {
                    if data.mode == Mode::Link && data.sources[a] == data.sources[b] {
                        continue;
                    }
                    let p = pattern_of(data, a, b);
                    for (c, row) in acc.iter_mut().enumerate() {
                        row[((p >> (c as u32 * LEVEL_BITS)) & 15) as usize] += 1;
                    }
                }
                acc
            },
        )
        .reduce(
            || levels.iter().map(|&l| vec![0u64; l]).collect(),
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p += q;
                    }
                }
                a
            },
        );
    let sampled = total.first().map_or(0, |t| t.iter().sum::<u64>() as usize);
    let u = config
        .comparisons
        .iter()
        .zip(&total)
        .map(|(c, t)| {
            let nn = null_level(c.kind) as usize;
            let nonnull: u64 = t[..nn].iter().sum();
            let denom = nonnull.max(1) as f64;
            // A level never seen among random pairs gets half an observation.
            t[..nn]
                .iter()
                .map(|&x| (x as f64).max(0.5) / denom)
                .collect()
        })
        .collect();
    (u, total, sampled)
}

/// P(match | pattern) for the active comparisons (null levels weigh nothing).
fn posterior(
    levels: &[u8],
    active: &[bool],
    nulls: &[usize],
    u: &[Vec<f64>],
    m: &[Vec<f64>],
    share: f64,
) -> f64 {
    let mut lm = share.max(1e-300).ln();
    let mut lu = (1.0 - share).max(1e-300).ln();
    for (c, &l) in levels.iter().enumerate() {
        let l = l as usize;
        if active[c] && l < nulls[c] {
            lm += m[c][l].max(1e-300).ln();
            lu += u[c][l].ln();
        }
    }
    1.0 / (1.0 + (lu - lm).exp())
}

/// The E step: the expected number of matching pairs at each level of each active comparison,
/// and in all, given the parameters.
fn e_step(
    pats: &[(&[u8], f64)],
    active: &[bool],
    nulls: &[usize],
    u: &[Vec<f64>],
    m: &[Vec<f64>],
    share: f64,
) -> (Vec<Vec<f64>>, f64) {
    let mut mass: Vec<Vec<f64>> = m.iter().map(|r| vec![0.0; r.len()]).collect();
    let mut matched = 0.0;
    for (lv, n) in pats {
        let w = posterior(lv, active, nulls, u, m, share);
        matched += n * w;
        for (c, &l) in lv.iter().enumerate() {
            let l = l as usize;
            if active[c] && l < nulls[c] {
                mass[c][l] += n * w;
            }
        }
    }
    (mass, matched)
}

fn initial_m(levels: usize) -> Vec<f64> {
    // Strongest level most likely among matches, each weaker one a quarter as likely.
    let raw: Vec<f64> = (0..levels).map(|k| 0.25f64.powi(k as i32)).collect();
    let s: f64 = raw.iter().sum();
    raw.into_iter().map(|x| x / s).collect()
}

/// Distinct patterns (levels only) with their counts, and per rule session.
struct PatternCounts {
    levels: Vec<Vec<u8>>,
    /// count per pattern, and per pattern the rule mask.
    counts: Vec<(f64, u16)>,
}

fn count_patterns(pairs: &[Pair], comps: usize) -> PatternCounts {
    let map = pairs
        .par_chunks(1 << 16)
        .map(|chunk| {
            let mut m: foldhash::HashMap<u64, u64> = Default::default();
            for p in chunk {
                *m.entry(p.pattern).or_default() += 1;
            }
            m
        })
        .reduce(foldhash::HashMap::default, |mut a, b| {
            for (k, v) in b {
                *a.entry(k).or_default() += v;
            }
            a
        });
    let mut entries: Vec<(u64, u64)> = map.into_iter().collect();
    entries.sort_unstable();
    let mut levels = Vec::with_capacity(entries.len());
    let mut counts = Vec::with_capacity(entries.len());
    for (pattern, count) in entries {
        levels.push(
            (0..comps)
                .map(|c| ((pattern >> (c as u32 * LEVEL_BITS)) & 15) as u8)
                .collect(),
        );
        counts.push((count as f64, (pattern >> MASK_SHIFT) as u16));
    }
    PatternCounts { levels, counts }
}

/// One EM run over patterns; `active[c]` says which comparisons take part; u fixed.
/// Returns (m, share, iterations, converged).
fn em(
    pats: &[(&[u8], f64)],
    active: &[bool],
    nulls: &[usize],
    u: &[Vec<f64>],
    m0: &[Vec<f64>],
    estimate_m: bool,
    iterations: usize,
) -> (Vec<Vec<f64>>, f64, usize, bool) {
    let mut m = m0.to_vec();
    let mut share = 0.1f64;
    let total: f64 = pats.iter().map(|p| p.1).sum();
    if total == 0.0 {
        return (m, 0.0, 0, true);
    }
    for it in 1..=iterations {
        let (acc_m, matched) = e_step(pats, active, nulls, u, &m, share);
        let new_share = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        let mut change = (new_share - share).abs();
        share = new_share;
        if estimate_m {
            for (c, row) in acc_m.iter().enumerate() {
                if !active[c] {
                    continue;
                }
                let s: f64 = row.iter().sum();
                if s <= 0.0 {
                    continue;
                }
                for (l, v) in row.iter().enumerate() {
                    let nv = (v / s).max(1e-9);
                    change = change.max((nv - m[c][l]).abs());
                    m[c][l] = nv;
                }
            }
        }
        if change < 1e-6 {
            return (m, share, it, true);
        }
    }
    (m, share, iterations, false)
}

/// Trains a model on the candidate pairs of `data`.
pub fn train(config: &Config, data: &Dataset, pairs: &[Pair]) -> Model {
    train_in(config, data, pairs, None)
}

/// The whole input that a partition is part of, for a model trained on one partition and used
/// on all (see [`crate::partition`]).
pub struct Population {
    /// A uniform random sample of the whole input's records.
    pub sample: Dataset,
    /// Records in the whole input.
    pub records: usize,
}

/// [`train`]; with a `population`, the model is the whole input's, not the partition's: u
/// comes from random pairs of the population's sample (pairs of one partition agree on region
/// far more often than pairs of the input), and the prior is the partition's expected matches,
/// scaled to the input's records, over the input's pairs. m is learnt from the partition's
/// candidates, which hold matches much like any other partition's.
pub fn train_in(
    config: &Config,
    data: &Dataset,
    pairs: &[Pair],
    population: Option<&Population>,
) -> Model {
    let comps = config.comparisons.len();
    let (u, u_counts, sampled) = estimate_u(config, population.map_or(data, |p| &p.sample));
    let nulls: Vec<usize> = config
        .comparisons
        .iter()
        .map(|c| null_level(c.kind) as usize)
        .collect();
    let m0: Vec<Vec<f64>> = nulls.iter().map(|&n| initial_m(n)).collect();
    let pc = count_patterns(pairs, comps);
    let mut sums: Vec<Vec<f64>> = m0.iter().map(|r| vec![0.0; r.len()]).collect();
    let mut times = vec![0usize; comps];
    let mut mass: Vec<Vec<f64>> = m0.iter().map(|r| vec![0.0; r.len()]).collect();
    let mut sessions = Vec::new();
    for (r, rule) in config.blocking.iter().enumerate() {
        let columns: Vec<String> = rule
            .keys
            .iter()
            .filter_map(|k| KeyExpr::parse(k).ok())
            .map(|e| e.column.to_lowercase())
            .collect();
        let active: Vec<bool> = config
            .comparisons
            .iter()
            .map(|c| !columns.contains(&c.column.to_lowercase()))
            .collect();
        let pats: Vec<(&[u8], f64)> = pc
            .levels
            .iter()
            .zip(&pc.counts)
            .filter(|(_, (_, mask))| mask & (1 << r) != 0)
            .map(|(l, (n, _))| (l.as_slice(), *n))
            .collect();
        let pairs_in: f64 = pats.iter().map(|p| p.1).sum();
        if !active.iter().any(|&a| a) || pairs_in == 0.0 {
            continue;
        }
        let (m, share, iterations, converged) = em(
            &pats,
            &active,
            &nulls,
            &u,
            &m0,
            true,
            config.model.em_iterations,
        );
        let (session_mass, _) = e_step(&pats, &active, &nulls, &u, &m, share);
        for (acc, sm) in mass.iter_mut().zip(&session_mass) {
            for (a, b) in acc.iter_mut().zip(sm) {
                *a += b;
            }
        }
        for c in 0..comps {
            if active[c] {
                times[c] += 1;
                for (s, v) in sums[c].iter_mut().zip(&m[c]) {
                    *s += v;
                }
            }
        }
        sessions.push(Session {
            rule: rule.name.clone(),
            pairs: pairs_in as u64,
            active: config
                .comparisons
                .iter()
                .zip(&active)
                .filter(|(_, &a)| a)
                .map(|(c, _)| c.name.clone())
                .collect(),
            iterations,
            converged,
            match_share: share,
        });
    }
    let m: Vec<Vec<f64>> = (0..comps)
        .map(|c| {
            if times[c] == 0 {
                m0[c].clone()
            } else {
                sums[c].iter().map(|s| s / times[c] as f64).collect()
            }
        })
        .collect();
    // The prior: the share of matches among all candidate pairs (m and u fixed), scaled to
    // every in-scope pair.
    let all: Vec<(&[u8], f64)> = pc
        .levels
        .iter()
        .zip(&pc.counts)
        .map(|(l, (n, _))| (l.as_slice(), *n))
        .collect();
    let (_, share, _, _) = em(&all, &vec![true; comps], &nulls, &u, &m, false, 200);
    let candidates = pairs.len() as f64;
    let expected = share * candidates;
    let prior = match population {
        None => expected / data.total_pairs().max(1.0),
        Some(p) => {
            // The input's in-scope pairs, from the sample's share of in-scope pairs (exact in
            // dedupe mode, where every pair is in scope).
            let (r, n) = (p.sample.len() as f64, p.records as f64);
            let share = p.sample.total_pairs() / (r * (r - 1.0) / 2.0).max(1.0);
            let total = share * n * (n - 1.0) / 2.0;
            expected * (n / (data.len() as f64).max(1.0)) / total.max(1.0)
        }
    }
    .clamp(1e-15, 0.5);
    let comparisons = config
        .comparisons
        .iter()
        .enumerate()
        .map(|(c, cc)| ComparisonModel {
            name: cc.name.clone(),
            kind: cc.kind,
            term_frequency: cc.term_frequency,
            m_trained: times[c] > 0,
            levels: level_names(cc.kind)[..nulls[c]]
                .iter()
                .enumerate()
                .map(|(l, name)| {
                    // A level seen neither among the likely matches nor among random pairs
                    // carries no evidence: it weighs nothing (rather than the floor's guess).
                    let observed = times[c] == 0 || mass[c][l] >= 0.5 || u_counts[c][l] > 0;
                    LevelModel {
                        name: (*name).to_string(),
                        m: m[c][l],
                        u: u[c][l],
                        weight: if observed {
                            (m[c][l] / u[c][l]).log2()
                        } else {
                            0.0
                        },
                        observed,
                    }
                })
                .collect(),
        })
        .collect();
    Model {
        format: MODEL_FORMAT.to_string(),
        comparisons,
        prior,
        training: Training {
            records: data.len(),
            candidate_pairs: pairs.len() as u64,
            u_sample_pairs: sampled,
            sessions,
            candidate_match_share: share,
            expected_matches: expected,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_recovers_the_parameters_that_made_the_counts() {
        // Two comparisons, agree (0) / disagree (1); 10,000 pairs, 10% matches with m(agree)
        // = 0.9, non-matches with u(agree) = 0.01, independent within each class.
        let (aa, ad, dd): (&[u8], &[u8], &[u8]) = (&[0, 0], &[0, 1], &[1, 1]);
        let da: &[u8] = &[1, 0];
        let pats = vec![(aa, 810.9), (ad, 179.1), (da, 179.1), (dd, 8830.9)];
        let u = vec![vec![0.01, 0.99]; 2];
        let m0 = vec![vec![0.6, 0.4]; 2];
        let (m, share, _, converged) = em(&pats, &[true, true], &[2, 2], &u, &m0, true, 500);
        assert!(converged);
        assert!((m[0][0] - 0.9).abs() < 0.01, "m = {m:?}");
        assert!((m[1][0] - 0.9).abs() < 0.01, "m = {m:?}");
        assert!((share - 0.1).abs() < 0.005, "share = {share}");
    }

    #[test]
    fn probability_is_logistic_in_bits() {
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
        assert!((probability(1.0) - 2.0 / 3.0).abs() < 1e-12);
        assert!(probability(-40.0) < 1e-11);
    }
}
