//! `dtsen link`: run the matching engine on a delimited file, evaluate against a truth, explain
//! a pair.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use dtsen_link::eval::{evaluate, EvalRecord};
use dtsen_link::{Config, Dataset, Model};

/// `dtsen link …`
#[derive(clap::Subcommand)]
pub enum LinkCommand {
    /// Find the records of one entity: blocking, training (or a saved model), scoring, clustering.
    Run(RunArgs),
    /// Measure a clustering against ground truth (pairwise and cluster precision, recall, F1).
    Eval(EvalArgs),
    /// Show each comparison's contribution to the match weight of one pair, as JSON.
    Explain(ExplainArgs),
    /// Write the registry's person records (ingest output) as one linking file: Regsosek
    /// members get their family's village and KK number.
    Prepare(PrepareArgs),
}

#[derive(clap::Args)]
pub struct PrepareArgs {
    /// Directory written by `dtsen ingest` (persons.tsv, families.tsv).
    #[arg(long, default_value = "ingested")]
    ingested: PathBuf,
    /// The linking file to write (CSV).
    #[arg(long, default_value = "persons-link.csv")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The configuration (TOML); default: the registry's own (configs/link/dtsen-persons.toml, built in).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The input file (delimited, with a header); give it twice to link two files (each file
    /// is then a source, unless the configuration names a source column).
    #[arg(long, required = true)]
    input: Vec<PathBuf>,
    /// Output directory: pairs.csv, clusters.csv, review.csv, model.json, link-report.json.
    #[arg(long, default_value = "linked")]
    out: PathBuf,
    /// Use this trained model instead of training.
    #[arg(long)]
    model: Option<PathBuf>,
    /// List the deterministic links in pairs.csv too (by default they are only counted).
    #[arg(long)]
    all_pairs: bool,
    /// Override the configuration's pair mode: `dedupe` (every pair) or `link` (across sources).
    #[arg(long, value_parser = ["dedupe", "link"])]
    mode: Option<String>,
    /// Link in partitions, one at a time, so that memory holds the largest partition, not
    /// the input: COLUMN:N partitions by the column's first N characters (`region:4`: by
    /// regency), COLUMN by its whole value. Records with a valid identifier (the `nik`
    /// comparisons) seen before go where its first record went.
    #[arg(long, value_name = "COLUMN[:N]")]
    partition_by: Option<String>,
    /// Where a partitioned run keeps its temporary files (default: OUT/partitions; each
    /// partition's are removed once it is linked; after an error they stay, to be looked at).
    #[arg(long, requires = "partition_by")]
    work: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// clusters.csv written by `dtsen link run`.
    #[arg(long)]
    clusters: PathBuf,
    /// The truth file (CSV with a header).
    #[arg(long)]
    truth: PathBuf,
    /// Truth columns that make the record id, joined with `:` (as in the configuration's input.id).
    #[arg(long, value_delimiter = ',', default_value = "source,record_key")]
    truth_id: Vec<String>,
    /// Truth column holding the true entity.
    #[arg(long, default_value = "person_id")]
    truth_entity: String,
    /// Truth column holding the source (for per-source-pair figures).
    #[arg(long, default_value = "source")]
    truth_source: String,
    /// Where to write evaluation.json, false_matches.csv and missed_matches.csv (default: beside clusters.csv).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The configuration used for the run (default: the built-in registry configuration).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The model (model.json of a run).
    #[arg(long)]
    model: PathBuf,
    /// The input file(s) of the run.
    #[arg(long, required = true)]
    input: Vec<PathBuf>,
    /// Left record id (as in pairs.csv).
    left: String,
    /// Right record id.
    right: String,
}

/// Runs a `dtsen link` subcommand.
pub fn run(cmd: LinkCommand) -> Result<()> {
    match cmd {
        LinkCommand::Run(a) => link_run(a),
        LinkCommand::Eval(a) => link_eval(a),
        LinkCommand::Explain(a) => link_explain(a),
        LinkCommand::Prepare(a) => {
            let n = dtsen_link::registry::prepare(&a.ingested, &a.out)?;
            println!("{n} person records written to {}", a.out.display());
            Ok(())
        }
    }
}

pub(crate) fn read_config(path: Option<&Path>) -> Result<Config> {
    let Some(path) = path else {
        return Config::parse(dtsen_link::DTSEN_PERSONS_CONFIG)
            .context("in the built-in dtsen-persons.toml");
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration {}", path.display()))?;
    Config::parse(&text).with_context(|| format!("in {}", path.display()))
}

pub(crate) fn load_input(
    config: &Config,
    paths: &[PathBuf],
    keep: dtsen_link::data::Keep,
) -> Result<Dataset> {
    let mut inputs = Vec::new();
    for path in paths {
        inputs.push(
            dtsen_link::data::Input::file(path)
                .with_context(|| format!("cannot open the input {}", path.display()))?,
        );
    }
    Ok(dtsen_link::data::load_files_keeping(config, inputs, keep)?)
}

fn link_run(a: RunArgs) -> Result<()> {
    let mut config = read_config(a.config.as_deref())?;
    if a.all_pairs {
        config.model.output_deterministic_pairs = true;
    }
    match a.mode.as_deref() {
        Some("dedupe") => config.input.mode = dtsen_link::config::Mode::Dedupe,
        Some("link") => config.input.mode = dtsen_link::config::Mode::Link,
        _ => {}
    }
    let model = match &a.model {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the model {}", p.display()))?;
            Some(Model::load(&text, &config).with_context(|| format!("in {}", p.display()))?)
        }
        None => None,
    };
    let started = Instant::now();
    let (report, load_ms, write_ms) = match &a.partition_by {
        Some(by) => {
            let by: dtsen_link::partition::PartitionBy = by.parse()?;
            let work = a.work.clone().unwrap_or_else(|| a.out.join("partitions"));
            let report = dtsen_link::partition::link_partitioned(
                &config,
                &a.input,
                &by,
                model,
                &a.out,
                &work,
                &crate::release_free_memory,
            )?;
            let load_ms = report.partitions.as_ref().map_or(0, |p| {
                p.split_ms + p.partitions.iter().map(|f| f.load_ms).sum::<u64>()
            });
            (report, u128::from(load_ms), None)
        }
        None => {
            let mut data = load_input(&config, &a.input, dtsen_link::data::Keep::LINKING)?;
            let load_ms = started.elapsed().as_millis();
            let linked = Instant::now();
            let linkage = dtsen_link::link_and_write(&config, &mut data, model, &a.out)?;
            // Writing: pairs.csv is written during the clustering, the rest after it.
            let t = &linkage.report.timings;
            let write_ms = linked.elapsed().as_millis().saturating_sub(u128::from(
                t.blocking_ms + t.training_ms + t.scoring_ms + t.clustering_ms,
            ));
            (linkage.report, load_ms, Some(write_ms))
        }
    };
    let r = &report;
    if a.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!("records          {:>10}", r.records);
    for (s, n) in &r.sources {
        println!("  {s:<18} {n:>8}");
    }
    if let Some(p) = &r.partitions {
        let largest = p.partitions.first();
        println!(
            "partitions     {} by {} (largest {} with {} records); {} records followed their identifier to another partition",
            p.partitions.len(),
            p.by,
            largest.map_or("-", |f| f.key.as_str()),
            largest.map_or(0, |f| f.records),
            p.records_following_identifier
        );
    }
    println!("candidate pairs  {:>10}", r.candidate_pairs);
    for b in &r.blocking {
        println!(
            "  {:<20} new {:>10}  proposed {:>10}  blocks {:>8}  largest {:>5}  oversized {}",
            b.name, b.pairs_new, b.pairs_proposed, b.blocks, b.largest_block, b.oversized_blocks
        );
    }
    for (name, n) in &r.deterministic_links {
        println!("deterministic  {name}: {n}");
    }
    println!(
        "probabilistic  {} (p ≥ {})",
        r.probabilistic_links, r.threshold
    );
    println!(
        "clusters       {} ({} with two or more records)",
        r.clusters, r.multi_record_clusters
    );
    println!(
        "review         {} distinct identifiers, {} weak bridges",
        r.review_distinct_identifiers, r.review_weak_bridges
    );
    let t = &r.timings;
    let load = match &r.partitions {
        Some(p) => format!(
            "split {} ms, load {} ms",
            p.split_ms,
            load_ms - u128::from(p.split_ms)
        ),
        None => format!("load {load_ms} ms"),
    };
    let write = write_ms.map_or(String::new(), |w| format!(", writing {w} ms"));
    println!(
        "time           {load}, blocking {} ms, training {} ms, scoring {} ms, clustering {} ms{write}; total {:.2} s",
        t.blocking_ms,
        t.training_ms,
        t.scoring_ms,
        t.clustering_ms,
        started.elapsed().as_secs_f64()
    );
    println!("output         {}", a.out.display());
    Ok(())
}

/// Evaluates a clusters.csv against a truth file.
pub(crate) fn evaluate_files(
    clusters: &Path,
    truth: &Path,
    truth_id: &[String],
    truth_entity: &str,
    truth_source: &str,
) -> Result<dtsen_link::eval::Evaluation> {
    // Record id → (true entity, source).
    let mut truth_map: std::collections::HashMap<String, (String, String)> = Default::default();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(truth)
        .with_context(|| format!("cannot open the truth {}", truth.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| -> Result<usize> {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .with_context(|| format!("{}: no column {name:?}", truth.display()))
    };
    let ids: Vec<usize> = truth_id.iter().map(|c| col(c)).collect::<Result<_>>()?;
    let (ent, src) = (col(truth_entity)?, col(truth_source)?);
    for row in rdr.records() {
        let row = row.with_context(|| format!("reading {}", truth.display()))?;
        let entity = row.get(ent).unwrap_or("").trim();
        if entity.is_empty() {
            continue;
        }
        let id: Vec<&str> = ids
            .iter()
            .map(|&c| row.get(c).unwrap_or("").trim())
            .collect();
        truth_map.insert(
            id.join(":"),
            (
                entity.to_string(),
                row.get(src).unwrap_or("").trim().to_string(),
            ),
        );
    }
    let mut rdr = csv::Reader::from_path(clusters)
        .with_context(|| format!("cannot open {}", clusters.display()))?;
    let mut predicted: Vec<(String, String)> = Vec::new();
    for row in rdr.records() {
        let row = row.with_context(|| format!("reading {}", clusters.display()))?;
        let (Some(id), Some(c)) = (row.get(0), row.get(1)) else {
            bail!("{}: rows need id and cluster", clusters.display());
        };
        predicted.push((id.to_string(), c.to_string()));
    }
    let mut records = Vec::new();
    let mut without = 0;
    let mut seen = 0;
    for (id, c) in &predicted {
        match truth_map.get(id) {
            Some((e, s)) => {
                seen += 1;
                records.push(EvalRecord {
                    id,
                    predicted: c,
                    truth: e,
                    source: s,
                })
            }
            None => without += 1,
        }
    }
    Ok(evaluate(&records, without, truth_map.len() - seen, 10_000))
}

fn link_eval(a: EvalArgs) -> Result<()> {
    let e = evaluate_files(
        &a.clusters,
        &a.truth,
        &a.truth_id,
        &a.truth_entity,
        &a.truth_source,
    )?;
    let out = a.out.unwrap_or_else(|| {
        a.clusters
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join("evaluation.json"),
        serde_json::to_string_pretty(&e)?,
    )?;
    for (name, list) in [
        ("false_matches.csv", &e.false_matches),
        ("missed_matches.csv", &e.missed_matches),
    ] {
        let mut w = csv::Writer::from_path(out.join(name))?;
        w.write_record(["left", "right"])?;
        for (l, r) in list {
            w.write_record([l, r])?;
        }
        w.flush()?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let p = &e.pairwise;
    println!(
        "records {} (without truth {}, truth not predicted {})",
        e.records, e.records_without_truth, e.truth_not_predicted
    );
    println!(
        "pairwise  precision {:.5}  recall {:.5}  F1 {:.5}  (TP {}, FP {}, FN {})",
        p.precision, p.recall, p.f1, p.true_positives, p.false_positives, p.false_negatives
    );
    println!(
        "clusters  predicted {}  true {}  exact {}  precision {:.5}  recall {:.5}",
        e.predicted_clusters,
        e.true_clusters,
        e.exact_clusters,
        e.cluster_precision,
        e.cluster_recall
    );
    for s in &e.per_source_pair {
        let m = &s.metrics;
        if m.true_positives + m.false_positives + m.false_negatives == 0 {
            continue;
        }
        println!(
            "  {:<18} {:<18} P {:.4} R {:.4} F1 {:.4} (TP {}, FP {}, FN {})",
            s.left,
            s.right,
            m.precision,
            m.recall,
            m.f1,
            m.true_positives,
            m.false_positives,
            m.false_negatives
        );
    }
    println!("written   {}", out.display());
    Ok(())
}

fn link_explain(a: ExplainArgs) -> Result<()> {
    let config = read_config(a.config.as_deref())?;
    let text = std::fs::read_to_string(&a.model)
        .with_context(|| format!("cannot read the model {}", a.model.display()))?;
    let model = Model::load(&text, &config)?;
    let data = load_input(&config, &a.input, dtsen_link::data::Keep::ALL)?;
    let left = data
        .find(&a.left)
        .with_context(|| format!("record {:?} is not in the input", a.left))?;
    let right = data
        .find(&a.right)
        .with_context(|| format!("record {:?} is not in the input", a.right))?;
    let e = dtsen_link::explain(&config, &model, &data, left, right);
    println!("{}", serde_json::to_string_pretty(&e)?);
    Ok(())
}
