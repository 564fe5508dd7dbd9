//! `dtsen rank fit | eval | score | explain`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use dtsen_rank::{encode, gbm, ModelFile, ModelKind};

#[derive(clap::Subcommand)]
pub(crate) enum RankCommand {
    /// Fit the proxy-means test on a survey sample (OLS and gradient-boosted trees; 1 in 5
    /// households held out) and write the versioned model file.
    Fit(FitArgs),
    /// Targeting errors of the model's two variants on a survey file (e.g. another year's).
    Eval(EvalArgs),
    /// Score and rank the families of a snapshot; deciles national, provincial, regency/city.
    Score(ScoreArgs),
    /// Explain one family's score in words (Bahasa Indonesia or English) and as JSON.
    Explain(ExplainArgs),
}

#[derive(clap::Args)]
pub(crate) struct FitArgs {
    /// The survey sample (susenas.csv layout).
    #[arg(long, env = "DTSEN_SURVEY")]
    pub survey: PathBuf,
    /// The model file to write.
    #[arg(long, default_value = "pmt-model.json")]
    pub out: PathBuf,
    /// Variable list (CSV); default: the built-in configs/rank/variables.csv.
    #[arg(long)]
    pub variables: Option<PathBuf>,
    /// Trees in the boosted model.
    #[arg(long, default_value_t = 200)]
    pub trees: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub(crate) struct EvalArgs {
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// A survey file to evaluate on.
    #[arg(long)]
    pub survey: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ScoreArgs {
    /// The snapshot to rank (a draft).
    #[arg(long, env = "DTSEN_SNAPSHOT")]
    pub snapshot: String,
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Database URL.
    #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
    pub db: String,
    /// The generator's truth_families.csv, to measure the ranking against true consumption.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ExplainArgs {
    /// The snapshot.
    #[arg(long, env = "DTSEN_SNAPSHOT")]
    pub snapshot: String,
    /// The family (id_keluarga_dtsen).
    #[arg(long)]
    pub family: i64,
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Database URL.
    #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
    pub db: String,
    /// Language of the words: id or en.
    #[arg(long, default_value = "id")]
    pub lang: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(cmd: RankCommand) -> Result<()> {
    match cmd {
        RankCommand::Fit(a) => fit(a).map(|_| ()),
        RankCommand::Eval(a) => eval(a),
        RankCommand::Score(a) => score(a).map(|_| ()),
        RankCommand::Explain(a) => explain(a),
    }
}

pub(crate) fn load_model(path: &Path) -> Result<ModelFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the model {}", path.display()))?;
    ModelFile::load(&text).with_context(|| format!("in {}", path.display()))
}

pub(crate) fn fit(a: FitArgs) -> Result<ModelFile> {
    let started = Instant::now();
    let text = match &a.variables {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => encode::DEFAULT_VARIABLES.to_owned(),
    };
    let variables = encode::parse_variables(&text)?;
    let (sample, skipped) = dtsen_rank::read_survey(&a.survey, &variables)?;
    if sample.y.len() < 200 {
        bail!(
            "{}: {} usable households; a model needs a few hundred at least",
            a.survey.display(),
            sample.y.len()
        );
    }
    let settings = gbm::Settings {
        trees: a.trees,
        ..Default::default()
    };
    let m = dtsen_rank::fit(&sample, variables, settings);
    let text = serde_json::to_string_pretty(&m)?;
    std::fs::write(&a.out, text + "\n").with_context(|| format!("writing {}", a.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": a.out, "version": m.version, "default": m.default, "reason": m.default_reason,
                "training": m.training, "skipped": skipped, "ols": m.summary_ols, "gbm": m.summary_gbm,
                "seconds": secs,
            }))?
        );
    } else {
        println!(
            "Model {} written to {} ({secs:.1} s)",
            m.version,
            a.out.display()
        );
        println!(
            "Survey: {} households ({} skipped: no consumption, weight or size)",
            sample.y.len(),
            skipped
        );
        println!("                       R² train  R² held out  inclusion  exclusion  Spearman   (held out, 40% cut-off)");
        for (name, s) in [
            ("OLS", &m.summary_ols),
            ("gradient-boosted trees", &m.summary_gbm),
        ] {
            println!(
                "{name:<22} {:>8.3} {:>12.3} {:>10.3} {:>10.3} {:>9.3}",
                s.r2_train,
                s.r2_held_out,
                s.held_out.inclusion_error,
                s.held_out.exclusion_error,
                s.held_out.spearman
            );
        }
        println!(
            "Default: {} — {}",
            match m.default {
                ModelKind::Ols => "OLS",
                ModelKind::Gbm => "OLS + boosted trees",
            },
            m.default_reason
        );
    }
    Ok(m)
}

fn eval(a: EvalArgs) -> Result<()> {
    let m = load_model(&a.model)?;
    let (s, skipped) = dtsen_rank::read_survey(&a.survey, &m.encoder.variables)?;
    let x: Vec<Vec<f64>> = s.raw.iter().map(|r| m.encoder.encode(r).0).collect();
    let mut out = serde_json::Map::new();
    for kind in [ModelKind::Ols, ModelKind::Gbm] {
        let pred: Vec<f64> = x.iter().map(|r| m.predict_with(kind, r)).collect();
        let t = dtsen_rank::eval::targeting(&pred, &s.y, &s.weights, 0.4);
        out.insert(
            format!("{kind:?}").to_lowercase(),
            serde_json::to_value(&t)?,
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} households of {} ({} skipped), model {}",
            s.y.len(),
            a.survey.display(),
            skipped,
            m.version
        );
        for (k, v) in &out {
            println!(
                "{k:<4} inclusion {:.3}  exclusion {:.3}  Spearman {:.3}",
                v["inclusion_error"].as_f64().unwrap_or(0.0),
                v["exclusion_error"].as_f64().unwrap_or(0.0),
                v["spearman"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}

pub(crate) fn score(a: ScoreArgs) -> Result<serde_json::Value> {
    let m = load_model(&a.model)?;
    let rt = crate::runtime()?;
    let r = rt.block_on(async {
        let store = dtsen_store::open(&a.db)
            .await
            .with_context(|| format!("opening {}", a.db))?;
        store.migrate().await?;
        anyhow::Ok(
            dtsen_consolidate::ranking::rank_snapshot(store.as_ref(), &a.snapshot, &m)
                .await
                .with_context(|| format!("ranking snapshot {}", a.snapshot))?,
        )
    })?;
    let mut report = serde_json::to_value(&r.summary)?;
    if let Some(truth) = &a.truth {
        let t = dtsen_consolidate::ranking::against_truth(&r, truth)?;
        report["against_truth"] = serde_json::to_value(&t)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "Snapshot {}: {} families ranked with {} ({} without a decile: {}), {:.1} s",
            a.snapshot,
            r.summary.ranked,
            m.version,
            r.summary.unranked,
            serde_json::to_string(&r.summary.unranked_reasons)?,
            r.summary.seconds
        );
        let shares: Vec<String> = r
            .summary
            .decile_person_shares
            .iter()
            .map(|s| format!("{:.1}", 100.0 * s))
            .collect();
        println!("Persons per national decile (%): {}", shares.join(" "));
        if let Some(all) = report.get("against_truth").and_then(|t| t.as_object()) {
            println!("Against the generator's true consumption (40% cut-off, persons):");
            for (name, t) in all {
                println!(
                    "  {name:<18} inclusion {:.3}  exclusion {:.3}  Spearman {:.3}  ({} families)",
                    t["inclusion_error"].as_f64().unwrap_or(0.0),
                    t["exclusion_error"].as_f64().unwrap_or(0.0),
                    t["spearman"].as_f64().unwrap_or(0.0),
                    t["households"].as_u64().unwrap_or(0)
                );
            }
        }
    }
    Ok(report)
}

fn explain(a: ExplainArgs) -> Result<()> {
    let m = load_model(&a.model)?;
    let rt = crate::runtime()?;
    let x = rt.block_on(async {
        let store = dtsen_store::open(&a.db)
            .await
            .with_context(|| format!("opening {}", a.db))?;
        anyhow::Ok(
            dtsen_consolidate::ranking::explain_family(store.as_ref(), &a.snapshot, a.family, &m)
                .await?,
        )
    })?;
    let Some((x, decile)) = x else {
        bail!("family {} is not in snapshot {}", a.family, a.snapshot);
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"decile": decile, "explanation": x}))?
        );
    } else {
        match a.lang.as_str() {
            "en" => println!(
                "Family {} — national decile {} (model {}). Compared with the average family:",
                a.family,
                decile.map_or("-".to_string(), |d| d.to_string()),
                x.model_version
            ),
            _ => println!(
                "Keluarga {} — desil nasional {} (model {}). Dibanding keluarga rata-rata:",
                a.family,
                decile.map_or("-".to_string(), |d| d.to_string()),
                x.model_version
            ),
        }
        for line in x.words(&a.lang, 8) {
            println!("- {line}");
        }
    }
    Ok(())
}
