//! Record linkage (*pemadanan*): finds the records that describe the same person, across
//! sources and within them, on any delimited file described by a configuration.
//!
//! The pipeline: [`data::load`] prepares compact columns; [`block::candidate_pairs`] makes the
//! union of the blocking rules' pairs and compares each once; [`model::train`] estimates a
//! Fellegi–Sunter model (u from random pairs, m by EM, the prior from the candidates); pairs
//! are scored, a deterministic pass accepts the pairs its rules name, the probabilistic pass the
//! rest above the threshold; [`cluster::cluster`] joins them into entities and sends conflicts
//! to review; [`explain`] gives any pair's waterfall; [`eval`] measures against a truth.

pub mod block;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod data;
pub mod eval;
pub mod levels;
pub mod model;
pub mod partition;
pub mod registry;
mod sort;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

pub use block::{Pair, RuleReport};
pub use cluster::{Clusters, ReviewCase, ReviewReason};
pub use config::Config;
pub use data::Dataset;
pub use model::Model;

use crate::cluster::Edge;
use crate::levels::{level_index, level_names, null_level};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// The input cannot be read as configured.
    #[error("input: {0}")]
    Input(String),
    /// A saved model cannot be used.
    #[error("model: {0}")]
    Model(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// How a pair was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Below the threshold: not linked.
    None,
    /// Linked by its match probability.
    Probabilistic,
    /// Linked by the deterministic rule with this index.
    Deterministic(u8),
}

/// Timings of one run, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Blocking and comparing.
    pub blocking_ms: u64,
    /// Training (u sampling and EM).
    pub training_ms: u64,
    /// Scoring the pairs.
    pub scoring_ms: u64,
    /// Clustering (with `pairs.csv` written alongside by [`link_and_write`]).
    pub clustering_ms: u64,
}

/// The run's report (`link-report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Records read.
    pub records: usize,
    /// Records per source.
    pub sources: Vec<(String, usize)>,
    /// Rows shorter than the header.
    pub short_rows: usize,
    /// Pair mode.
    pub mode: config::Mode,
    /// Per blocking rule.
    pub blocking: Vec<RuleReport>,
    /// Candidate pairs (the union).
    pub candidate_pairs: u64,
    /// Links accepted per deterministic rule.
    pub deterministic_links: Vec<(String, u64)>,
    /// Links accepted by probability.
    pub probabilistic_links: u64,
    /// The clustering threshold.
    pub threshold: f64,
    /// Clusters (entities), including single records.
    pub clusters: usize,
    /// Clusters of two or more records.
    pub multi_record_clusters: usize,
    /// Review cases by reason.
    pub review_distinct_identifiers: usize,
    /// Review cases where a weak bridge was cut.
    pub review_weak_bridges: usize,
    /// Whether the model was trained in this run (false: loaded).
    pub trained: bool,
    /// Timings (added up over the partitions of a partitioned run).
    pub timings: Timings,
    /// The split of a partitioned run ([`partition::link_partitioned`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<partition::PartitionReport>,
}

impl Report {
    /// Adds another partition's report: counts add up, the largest blocks are the larger of
    /// the two, per-source and per-rule figures are matched by name and position.
    pub fn add(&mut self, o: &Report) {
        self.records += o.records;
        for (name, n) in &o.sources {
            match self.sources.iter_mut().find(|(s, _)| s == name) {
                Some((_, m)) => *m += n,
                None => self.sources.push((name.clone(), *n)),
            }
        }
        self.short_rows += o.short_rows;
        for (r, x) in self.blocking.iter_mut().zip(&o.blocking) {
            r.records_keyed += x.records_keyed;
            r.blocks += x.blocks;
            r.largest_block = r.largest_block.max(x.largest_block);
            r.oversized_blocks += x.oversized_blocks;
            r.oversized_records += x.oversized_records;
            r.pairs_proposed += x.pairs_proposed;
            r.pairs_new += x.pairs_new;
        }
        self.candidate_pairs += o.candidate_pairs;
        for ((_, n), (_, m)) in self
            .deterministic_links
            .iter_mut()
            .zip(&o.deterministic_links)
        {
            *n += m;
        }
        self.probabilistic_links += o.probabilistic_links;
        self.clusters += o.clusters;
        self.multi_record_clusters += o.multi_record_clusters;
        self.review_distinct_identifiers += o.review_distinct_identifiers;
        self.review_weak_bridges += o.review_weak_bridges;
        let (t, x) = (&mut self.timings, &o.timings);
        t.blocking_ms += x.blocking_ms;
        t.training_ms += x.training_ms;
        t.scoring_ms += x.scoring_ms;
        t.clustering_ms += x.clustering_ms;
    }
}

/// The result of a run.
pub struct Linkage {
    /// Candidate pairs.
    pub pairs: Vec<Pair>,
    /// Match weight per pair, in bits.
    pub weights: Vec<f32>,
    /// How each pair was decided.
    pub methods: Vec<Method>,
    /// The clusters.
    pub clusters: Clusters,
    /// The model used.
    pub model: Model,
    /// The report.
    pub report: Report,
}

struct DeterministicCheck {
    require: Vec<(usize, u8)>,
    valid: Vec<usize>,
}

fn deterministic_checks(config: &Config) -> Vec<DeterministicCheck> {
    let index = |name: &str| {
        config
            .comparisons
            .iter()
            .position(|c| c.name == name)
            .unwrap_or(0)
    };
    config
        .deterministic
        .iter()
        .map(|d| DeterministicCheck {
            require: d
                .require
                .iter()
                .map(|(name, level)| {
                    let c = index(name);
                    (
                        c,
                        level_index(config.comparisons[c].kind, level).unwrap_or(0),
                    )
                })
                .collect(),
            valid: d.valid.iter().map(|n| index(n)).collect(),
        })
        .collect()
}

fn deterministic_rule(checks: &[DeterministicCheck], data: &Dataset, pair: &Pair) -> Option<u8> {
    let (a, b) = (pair.left as usize, pair.right as usize);
    checks
        .iter()
        .position(|d| {
            d.require.iter().all(|&(c, max)| pair.level(c) <= max)
                && d.valid
                    .iter()
                    .all(|&c| data.features[c].is_valid(a) && data.features[c].is_valid(b))
        })
        .map(|p| p as u8)
}

/// Runs blocking, training (unless a model is given), scoring and clustering.
pub fn link(config: &Config, data: &Dataset, model: Option<Model>) -> Linkage {
    run(config, Data::Shared(data), model, None, None).0
}

/// [`link`], releasing the dataset's columns as soon as the run is done with them: the
/// blocking keys after blocking, the compared values after scoring (except the identifier
/// clustering checks). What is left — ids and sources — is what [`write_outputs`] needs;
/// [`explain`] and a second run need the dataset loaded again. The memory freed early is
/// reused by the later steps instead of fresh pages (≈ 2.4 ms a megabyte on a host that
/// takes back its guests' free memory; see BENCHMARKS.md).
pub fn link_releasing(config: &Config, data: &mut Dataset, model: Option<Model>) -> Linkage {
    run(config, Data::Releasing(data), model, None, None).0
}

/// [`link_releasing`], then the outputs [`write_outputs`] writes, into `out`; `pairs.csv` is
/// written while the clustering runs (it needs only the scored pairs), on the core the
/// union–find leaves idle.
pub fn link_and_write(
    config: &Config,
    data: &mut Dataset,
    model: Option<Model>,
    out: &Path,
) -> Result<Linkage, LinkError> {
    let mut outputs = Outputs::create(config, out)?;
    let linkage = link_into(config, data, model, None, &mut outputs)?;
    outputs.finish(&linkage.model, &linkage.report)?;
    Ok(linkage)
}

/// [`link_releasing`], appending its pairs, clusters and review cases to `outputs` (review
/// cases numbered after those already there).
fn link_into(
    config: &Config,
    data: &mut Dataset,
    model: Option<Model>,
    population: Option<&model::Population>,
    outputs: &mut Outputs,
) -> Result<Linkage, LinkError> {
    let ids = IdFormat::of(data);
    let (linkage, pairs_written) = run(
        config,
        Data::Releasing(data),
        model,
        population,
        Some((&mut outputs.pairs, ids)),
    );
    pairs_written?;
    outputs.append_others(data, &linkage.clusters, ids)?;
    Ok(linkage)
}

/// The dataset of a run: borrowed, or borrowed to be released as the run goes.
enum Data<'a> {
    Shared(&'a Dataset),
    Releasing(&'a mut Dataset),
}

impl Data<'_> {
    fn get(&self) -> &Dataset {
        match self {
            Data::Shared(d) => d,
            Data::Releasing(d) => d,
        }
    }
    fn release_keys(&mut self) {
        if let Data::Releasing(d) = self {
            d.release_keys();
        }
    }
    fn release_features(&mut self, keep: Option<usize>) {
        if let Data::Releasing(d) = self {
            d.release_features(keep);
        }
    }
}

/// The run; with `pairs_out`, `pairs.csv` is written there during the clustering, and the
/// second value says whether that worked.
fn run(
    config: &Config,
    mut held: Data,
    model: Option<Model>,
    population: Option<&model::Population>,
    pairs_out: Option<(&mut Sink, IdFormat)>,
) -> (Linkage, Result<(), LinkError>) {
    let mut timings = Timings::default();
    let t = Instant::now();
    let (pairs, rules) = block::candidate_pairs(config, held.get());
    held.release_keys();
    let data = held.get();
    timings.blocking_ms = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    let trained = model.is_none();
    let model = model.unwrap_or_else(|| model::train_in(config, data, &pairs, population));
    timings.training_ms = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    let checks = deterministic_checks(config);
    let threshold = config.clustering.threshold;
    // Term-frequency adjustments per record, once (the exact level means equal values).
    let tf: Vec<(usize, Vec<f32>)> = model
        .comparisons
        .iter()
        .enumerate()
        .filter(|(_, cm)| cm.term_frequency)
        .map(|(c, _)| {
            let bits = (0..data.len())
                .into_par_iter()
                .with_min_len(4096)
                .map(|i| model.tf_adjustment(data, c, i, i) as f32)
                .collect();
            (c, bits)
        })
        .collect();
    // Straight into the two columns (no list of tuples to copy from).
    let (mut weights, mut methods) = (Vec::new(), Vec::new());
    pairs
        .par_iter()
        .map(|p| {
            let mut w = model.base_weight(p.pattern);
            for (c, bits) in &tf {
                if p.level(*c) == 0 {
                    w += f64::from(bits[p.left as usize]);
                }
            }
            let method = match deterministic_rule(&checks, data, p) {
                Some(k) => Method::Deterministic(k),
                None if model::probability(w) >= threshold => Method::Probabilistic,
                None => Method::None,
            };
            (w as f32, method)
        })
        .unzip_into_vecs(&mut weights, &mut methods);
    timings.scoring_ms = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    let accepted = methods.par_iter().filter(|m| **m != Method::None).count();
    let mut edges: Vec<Edge> = Vec::with_capacity(accepted);
    edges.extend(pairs.iter().zip(weights.iter().zip(&methods)).filter_map(
        |(p, (w, m))| match m {
            Method::None => None,
            Method::Deterministic(_) => Some(Edge {
                a: p.left,
                b: p.right,
                p: 1.0,
                w: f64::from(*w),
            }),
            Method::Probabilistic => Some(Edge {
                a: p.left,
                b: p.right,
                p: model::probability(f64::from(*w)),
                w: f64::from(*w),
            }),
        },
    ));
    let distinct = config
        .clustering
        .distinct
        .as_ref()
        .and_then(|d| config.comparisons.iter().position(|c| &c.name == d));
    let confirmed = confirmed_identifiers(config, data, distinct.map(|c| &data.features[c]));
    held.release_features(distinct);
    let data = held.get();
    let distinct = distinct.map(|c| cluster::Identifiers {
        feature: &data.features[c],
        confirmed: confirmed.as_deref(),
    });
    let (clusters, pairs_written) = rayon::join(
        || {
            cluster::cluster(
                data.len(),
                &edges,
                distinct,
                config.clustering.bridge_min_probability,
            )
        },
        || match pairs_out {
            Some((sink, ids)) => write_pairs(config, data, &pairs, &weights, &methods, ids, sink),
            None => Ok(()),
        },
    );
    timings.clustering_ms = t.elapsed().as_millis() as u64;

    let mut per_source = vec![0usize; data.source_names.len()];
    for &s in &data.sources {
        per_source[s as usize] += 1;
    }
    // Records per cluster (a cluster's number is one of its records).
    let mut sizes = vec![0u32; data.len()];
    for &c in &clusters.cluster {
        sizes[c as usize] += 1;
    }
    let report = Report {
        records: data.len(),
        sources: data.source_names.iter().cloned().zip(per_source).collect(),
        short_rows: data.short_rows,
        mode: data.mode,
        candidate_pairs: pairs.len() as u64,
        blocking: rules,
        deterministic_links: config
            .deterministic
            .iter()
            .enumerate()
            .map(|(k, d)| {
                (
                    d.name.clone(),
                    methods
                        .iter()
                        .filter(|m| **m == Method::Deterministic(k as u8))
                        .count() as u64,
                )
            })
            .collect(),
        probabilistic_links: methods
            .iter()
            .filter(|m| **m == Method::Probabilistic)
            .count() as u64,
        threshold,
        clusters: sizes.iter().filter(|&&s| s > 0).count(),
        multi_record_clusters: sizes.iter().filter(|&&s| s > 1).count(),
        review_distinct_identifiers: clusters
            .cases
            .iter()
            .filter(|c| c.reason == ReviewReason::DistinctIdentifiers)
            .count(),
        review_weak_bridges: clusters
            .cases
            .iter()
            .filter(|c| c.reason == ReviewReason::WeakBridge)
            .count(),
        trained,
        timings,
        partitions: None,
    };
    (
        Linkage {
            pairs,
            weights,
            methods,
            clusters,
            model,
            report,
        },
        pairs_written,
    )
}

/// The identifier values held by the authoritative source's records (sorted), if configured.
fn confirmed_identifiers(
    config: &Config,
    data: &Dataset,
    feature: Option<&data::Feature>,
) -> Option<Vec<u64>> {
    let source = config.clustering.authority_source.as_ref()?;
    let s = data.source_names.iter().position(|n| n == source)? as u16;
    let values = match feature? {
        data::Feature::Nik { values, .. } => values,
        data::Feature::Exact { hashes, .. } => hashes,
        _ => return None,
    };
    let mut values: Vec<u64> = (0..data.len())
        .into_par_iter()
        .with_min_len(4096)
        .filter(|&i| data.sources[i] == s && values[i] != 0)
        .map(|i| values[i])
        .collect();
    values.par_sort_unstable();
    values.dedup();
    Some(values)
}

/// One comparison's part of an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    /// Comparison name.
    pub comparison: String,
    /// Left value.
    pub left: String,
    /// Right value.
    pub right: String,
    /// The level reached.
    pub level: String,
    /// P(level | match).
    pub m: Option<f64>,
    /// P(level | non-match).
    pub u: Option<f64>,
    /// Bits this comparison adds (0 for null).
    pub weight: f64,
    /// Of which term-frequency adjustment.
    pub term_frequency_adjustment: f64,
    /// A note for the reader (e.g. NIKs of two people born the same day).
    pub note: Option<String>,
}

/// The waterfall of one pair.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// Left record id.
    pub left: String,
    /// Right record id.
    pub right: String,
    /// Starting point: the prior odds in bits.
    pub prior_weight: f64,
    /// Each comparison's contribution.
    pub contributions: Vec<Contribution>,
    /// Total match weight in bits.
    pub match_weight: f64,
    /// Match probability.
    pub match_probability: f64,
    /// The deterministic rule that links it, if any.
    pub deterministic_rule: Option<String>,
    /// Whether it is linked at the configured threshold.
    pub linked: bool,
}

/// Explains the pair of records `a` and `b` (indices), whether or not they were candidates.
pub fn explain(config: &Config, model: &Model, data: &Dataset, a: usize, b: usize) -> Explanation {
    let pattern = block::pattern_of(data, a, b);
    let pair = Pair {
        left: a.min(b) as u32,
        right: a.max(b) as u32,
        pattern,
    };
    let mut contributions = Vec::new();
    for (c, cm) in model.comparisons.iter().enumerate() {
        let f = &data.features[c];
        let l = pair.level(c) as usize;
        let kind = config.comparisons[c].kind;
        let null = l == null_level(kind) as usize;
        let tf = if l == 0 && !null {
            model.tf_adjustment(data, c, a, b)
        } else {
            0.0
        };
        let note = match (f, kind) {
            (data::Feature::Nik { values, .. }, config::ComparisonKind::Nik) if !null => {
                match compare::nik_relation(values[a], values[b]) {
                    compare::NikRelation::OtherSerial => Some(
                        "same district and birth date, different serial: two different people (e.g. twins), not a typo",
                    ),
                    compare::NikRelation::OtherRegion => Some(
                        "one digit apart in the district code only: as likely a person of a neighbouring district born the same day, so counted as disagreement",
                    ),
                    compare::NikRelation::OtherSex => Some(
                        "only the sex flag of the day differs: a brother and sister born the same day, not a typo",
                    ),
                    _ => None,
                }
                .map(str::to_string)
            }
            _ => None,
        };
        contributions.push(Contribution {
            comparison: cm.name.clone(),
            left: data.display(c, a),
            right: data.display(c, b),
            level: level_names(kind)[l].to_string(),
            m: (!null).then(|| cm.levels[l].m),
            u: (!null).then(|| cm.levels[l].u),
            weight: if null { 0.0 } else { cm.levels[l].weight + tf },
            term_frequency_adjustment: tf,
            note,
        });
    }
    let match_weight = model.weight(data, a, b, pattern);
    let checks = deterministic_checks(config);
    let det = deterministic_rule(&checks, data, &pair)
        .map(|k| config.deterministic[k as usize].name.clone());
    let p = model::probability(match_weight);
    Explanation {
        left: data.id_str(a),
        right: data.id_str(b),
        prior_weight: model.prior_weight(),
        contributions,
        match_weight,
        match_probability: p,
        linked: det.is_some() || p >= config.clustering.threshold,
        deterministic_rule: det,
    }
}

fn create(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, LinkError> {
    std::fs::File::create(path)
        .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
        .map_err(|source| LinkError::Io {
            path: path.display().to_string(),
            source,
        })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> LinkError + '_ {
    move |source| LinkError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Appends to `pairs.csv` the probabilistic decisions and near misses at or above the output
/// probability (deterministic links too when configured).
fn write_pairs(
    config: &Config,
    data: &Dataset,
    pairs: &[Pair],
    weights: &[f32],
    methods: &[Method],
    ids: IdFormat,
    sink: &mut Sink,
) -> Result<(), LinkError> {
    let Sink { writer: w, path } = sink;
    let path = path.as_path();
    let min = config.model.output_min_probability;
    // Most candidate pairs are skipped without computing a probability.
    let below = weight_certainly_below(min);
    let all_deterministic = config.model.output_deterministic_pairs;
    write_parallel(w, pairs.len(), 1 << 15, path, |chunk, line| {
        for k in chunk {
            let (p, wt, m) = (&pairs[k], weights[k], &methods[k]);
            if matches!(m, Method::Deterministic(_)) && !all_deterministic {
                continue;
            }
            if *m == Method::None && f64::from(wt) < below {
                continue;
            }
            let prob = model::probability(f64::from(wt));
            if *m == Method::None && prob < min {
                continue;
            }
            ids.push(line, data.id(p.left as usize));
            line.push(b',');
            ids.push(line, data.id(p.right as usize));
            let method = match m {
                Method::None => "none",
                Method::Probabilistic => "probabilistic",
                Method::Deterministic(k) => config.deterministic[*k as usize].name.as_str(),
            };
            line.push(b',');
            line.extend_from_slice(method.as_bytes());
            line.push(b',');
            push_fixed(line, f64::from(wt), 3);
            line.push(b',');
            push_fixed(line, prob, 6);
            for (c, cc) in config.comparisons.iter().enumerate() {
                line.push(b',');
                line.extend_from_slice(level_names(cc.kind)[p.level(c) as usize].as_bytes());
            }
            line.push(b',');
            // The rule that proposed the pair (the first whose keys it shares).
            let first = p.rules().trailing_zeros() as usize;
            if let Some(rule) = config.blocking.get(first) {
                line.extend_from_slice(rule.name.as_bytes());
            }
            line.push(b'\n');
        }
    })
}

/// Writes `pairs.csv`, `clusters.csv`, `review.csv`, `model.json` and `link-report.json` into
/// `out`.
pub fn write_outputs(
    config: &Config,
    data: &Dataset,
    linkage: &Linkage,
    out: &Path,
) -> Result<(), LinkError> {
    let ids = IdFormat::of(data);
    let mut outputs = Outputs::create(config, out)?;
    write_pairs(
        config,
        data,
        &linkage.pairs,
        &linkage.weights,
        &linkage.methods,
        ids,
        &mut outputs.pairs,
    )?;
    outputs.append_others(data, &linkage.clusters, ids)?;
    outputs.finish(&linkage.model, &linkage.report)
}

/// How ids are written: as they are, unless one of them needs CSV quoting (checked once a
/// dataset, not once an id).
#[derive(Clone, Copy)]
struct IdFormat {
    plain: bool,
}

impl IdFormat {
    fn of(data: &Dataset) -> IdFormat {
        IdFormat {
            plain: !data.ids_need_quoting(),
        }
    }

    fn push(self, line: &mut Vec<u8>, id: &[u8]) {
        if self.plain {
            line.extend_from_slice(id);
        } else {
            push_csv(line, id);
        }
    }
}

/// One output file being written.
struct Sink {
    writer: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
}

impl Sink {
    fn create(path: PathBuf, header: &[u8]) -> Result<Sink, LinkError> {
        let mut writer = create(&path)?;
        writer.write_all(header).map_err(io(&path))?;
        Ok(Sink { writer, path })
    }

    fn finish(mut self) -> Result<(), LinkError> {
        self.writer.flush().map_err(io(&self.path))
    }
}

/// The output files of a run, created with their headers: one linkage is appended to them, or
/// the linkages of a run's partitions one after another; [`Outputs::finish`] adds the model
/// and the report.
pub(crate) struct Outputs {
    dir: PathBuf,
    pairs: Sink,
    clusters: Sink,
    review: Sink,
    /// Review cases written so far: the next linkage's cases are numbered after them.
    cases: usize,
}

impl Outputs {
    pub(crate) fn create(config: &Config, out: &Path) -> Result<Outputs, LinkError> {
        std::fs::create_dir_all(out).map_err(io(out))?;
        let mut head = String::from("left,right,method,match_weight,match_probability");
        for c in &config.comparisons {
            head.push(',');
            head.push_str(&c.name);
        }
        head.push_str(",rule\n");
        Ok(Outputs {
            dir: out.to_path_buf(),
            pairs: Sink::create(out.join("pairs.csv"), head.as_bytes())?,
            clusters: Sink::create(out.join("clusters.csv"), b"id,cluster,review\n")?,
            review: Sink::create(
                out.join("review.csv"),
                b"review,reason,records,left,right,match_probability\n",
            )?,
            cases: 0,
        })
    }

    /// Appends every record's cluster to `clusters.csv` and the review cases to `review.csv`
    /// (one row per link involved in a case).
    fn append_others(
        &mut self,
        data: &Dataset,
        clusters: &Clusters,
        ids: IdFormat,
    ) -> Result<(), LinkError> {
        let first = self.cases;
        let Sink { writer: w, path } = &mut self.clusters;
        write_parallel(w, data.len(), 1 << 16, path, |chunk, line| {
            for i in chunk {
                ids.push(line, data.id(i));
                line.push(b',');
                ids.push(line, data.id(clusters.cluster[i] as usize));
                line.push(b',');
                let r = clusters.review[i];
                if r != 0 {
                    push_u64(line, first as u64 + u64::from(r));
                }
                line.push(b'\n');
            }
        })?;
        let Sink { writer: w, path } = &mut self.review;
        let mut line = Vec::with_capacity(256);
        for case in &clusters.cases {
            let reason = match case.reason {
                ReviewReason::DistinctIdentifiers => "distinct_identifiers",
                ReviewReason::WeakBridge => "weak_bridge",
            };
            for &(a, b, p) in &case.edges {
                line.clear();
                let _ = write!(line, "{},{reason},{},", first + case.id, case.records.len());
                push_csv(&mut line, data.id(a as usize));
                line.push(b',');
                push_csv(&mut line, data.id(b as usize));
                let _ = writeln!(line, ",{p:.6}");
                w.write_all(&line).map_err(io(path))?;
            }
        }
        self.cases += clusters.cases.len();
        Ok(())
    }

    /// Flushes the files and writes `model.json` and `link-report.json`.
    pub(crate) fn finish(self, model: &Model, report: &Report) -> Result<(), LinkError> {
        self.pairs.finish()?;
        self.clusters.finish()?;
        self.review.finish()?;
        for (name, text) in [
            ("model.json", serde_json::to_string_pretty(model)),
            ("link-report.json", serde_json::to_string_pretty(report)),
        ] {
            let text = text.map_err(|e| LinkError::Model(e.to_string()))?;
            let path = self.dir.join(name);
            std::fs::write(&path, text).map_err(io(&path))?;
        }
        Ok(())
    }
}

/// A weight below which a match probability is certainly under `p` (the weight of `p`, less a
/// margin far above rounding); minus infinity when `p` is not strictly between 0 and 1.
fn weight_certainly_below(p: f64) -> f64 {
    if p > 0.0 && p < 1.0 {
        (p / (1.0 - p)).log2() - 1e-6
    } else {
        f64::NEG_INFINITY
    }
}

/// Appends `v` with exactly `decimals` decimals (as `format!("{v:.N}")` does for the values
/// written here, without the formatting machinery: a million lines are written per run).
fn push_fixed(out: &mut Vec<u8>, v: f64, decimals: u32) {
    // Exact in integers while the scaled value fits a double's 53 bits.
    if !v.is_finite() || decimals > 9 || v.abs() * 10f64.powi(decimals as i32) >= 4e15 {
        let _ = write!(out, "{v:.*}", decimals as usize);
        return;
    }
    let scale = 10u64.pow(decimals);
    let scaled = (v.abs() * scale as f64).round() as u64;
    if v < 0.0 && scaled != 0 {
        out.push(b'-');
    }
    let (whole, frac) = (scaled / scale, scaled % scale);
    push_u64(out, whole);
    if decimals == 0 {
        return;
    }
    out.push(b'.');
    // The fraction's digits, leading zeros included.
    let mut digits = [b'0'; 20];
    let mut f = frac;
    for d in digits[..decimals as usize].iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    out.extend_from_slice(&digits[..decimals as usize]);
}

/// Appends `v` in decimal.
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[k..]);
}

/// Writes items `0..n` formatted by `format` (a range of items into a buffer), chunk by chunk:
/// a window of chunks is formatted in parallel while the window before it is written, with two
/// sets of buffers reused throughout, so memory stays a few megabytes whatever the output size.
fn write_parallel(
    w: &mut std::io::BufWriter<std::fs::File>,
    n: usize,
    chunk: usize,
    path: &Path,
    format: impl Fn(std::ops::Range<usize>, &mut Vec<u8>) + Sync,
) -> Result<(), LinkError> {
    w.flush().map_err(io(path))?;
    let file = w.get_mut();
    let window = 2 * rayon::current_num_threads().max(1);
    let fill = |bufs: &mut [Vec<u8>], first: usize| {
        bufs.par_iter_mut().enumerate().for_each(|(k, buf)| {
            buf.clear();
            let start = first + k * chunk;
            if start < n {
                format(start..(start + chunk).min(n), buf);
            }
        });
    };
    let mut ready: Vec<Vec<u8>> = vec![Vec::new(); window];
    let mut next: Vec<Vec<u8>> = vec![Vec::new(); window];
    fill(&mut ready, 0);
    let mut first = window * chunk;
    loop {
        let more = first < n;
        let (written, ()) = rayon::join(
            || ready.iter().try_for_each(|b| file.write_all(b)),
            || {
                if more {
                    fill(&mut next, first)
                }
            },
        );
        written.map_err(io(path))?;
        if !more {
            return Ok(());
        }
        std::mem::swap(&mut ready, &mut next);
        first += window * chunk;
    }
}

fn push_csv(out: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &c in field {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// The registry's matching configuration (`configs/link/dtsen-persons.toml`), built in.
pub const DTSEN_PERSONS_CONFIG: &str = include_str!("../../../configs/link/dtsen-persons.toml");

#[cfg(test)]
mod write_tests {
    use super::{push_fixed, weight_certainly_below};

    proptest::proptest! {
        #[test]
        fn fixed_decimals_are_the_formatters_up_to_the_last_digit(
            v in -1e9f64..1e9,
            d in 0u32..=9,
        ) {
            let mut out = Vec::new();
            push_fixed(&mut out, v, d);
            let got = String::from_utf8(out).unwrap_or_default();
            let want = format!("{v:.*}", d as usize);
            let (g, w): (f64, f64) = (
                got.parse().unwrap_or(f64::NAN),
                want.parse().unwrap_or(f64::NAN),
            );
            proptest::prop_assert!((g - w).abs() <= 1.5 * 10f64.powi(-(d as i32)), "{} vs {}", got, want);
            proptest::prop_assert_eq!(got.split('.').nth(1).map(str::len), (d > 0).then_some(d as usize));
        }

        #[test]
        fn weights_skipped_are_below_the_minimum_probability(
            p in 1e-12f64..1.0,
            w in -60f64..60.0,
        ) {
            if w < weight_certainly_below(p) {
                proptest::prop_assert!(crate::model::probability(w) < p);
            }
            // Just above the skipped range, the probability is computed and decides.
            let edge = weight_certainly_below(p) + 2e-6;
            proptest::prop_assert!(crate::model::probability(edge) >= p || p > 0.999_999_999);
        }
    }

    #[test]
    fn fixed_decimals_match_the_formatter() {
        for v in [
            0.0,
            1.0,
            -1.5,
            56.025,
            0.083587,
            0.9999996,
            -0.0004,
            123.4567891,
            1e-9,
        ] {
            for d in [3u32, 6] {
                let mut out = Vec::new();
                push_fixed(&mut out, v, d);
                let want = format!("{v:.*}", d as usize);
                // The formatter rounds half to even on the binary value; ours rounds half away
                // from zero on the scaled value: allow a difference in the last digit only.
                let got = String::from_utf8(out).unwrap_or_default();
                let (g, w): (f64, f64) = (
                    got.parse().unwrap_or(f64::NAN),
                    want.parse().unwrap_or(f64::NAN),
                );
                assert!(
                    (g - w).abs() <= 1.5 * 10f64.powi(-(d as i32)),
                    "{v}: {got} vs {want}"
                );
                assert_eq!(
                    got.split('.').nth(1).map(str::len),
                    Some(d as usize),
                    "{got}"
                );
            }
        }
    }
}
