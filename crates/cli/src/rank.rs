//! `dtsen rank fit | eval | score | explain`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use dtsen_rank::{encode, gbm, ModelFile, ModelKind};

#[derive(clap::Subcommand)]
pub(crate) enum RankCommand {
    /// Fit the proxy-means test on a survey sample (OLS, and OLS + boosted trees; 1 in 5
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
    /// An earlier snapshot: say what changed the family's decile since then (both scored with
    /// this model).
    #[arg(long)]
    pub compare: Option<String>,
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
                "regional": m.regional.iter().map(|r| serde_json::json!({"regency": r.regency, "households": r.households, "held_out": r.held_out, "held_out_default": r.held_out_default})).collect::<Vec<_>>(),
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
            ("OLS + boosted trees", &m.summary_gbm),
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
        if m.regional.is_empty() {
            println!("Per-regency models: none (a regency needs {} training households and its own model must do no worse on its held-out ones)", dtsen_rank::MIN_REGIONAL_HOUSEHOLDS);
        } else {
            println!("Per-regency models (no worse than the default on the regency's held-out households):");
            for r in &m.regional {
                println!(
                    "  {}  {} households  inclusion {:.3} vs {:.3}  exclusion {:.3} vs {:.3}",
                    r.regency,
                    r.households,
                    r.held_out.inclusion_error,
                    r.held_out_default.inclusion_error,
                    r.held_out.exclusion_error,
                    r.held_out_default.exclusion_error
                );
            }
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
        if let Some(all) = report
            .get("against_truth")
            .and_then(|t| t["overall"].as_object())
        {
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
            if let Some(regions) = report["against_truth"]["per_regency"].as_object() {
                println!("Per regency/city at the national cut-off (inclusion, exclusion):");
                for (code, v) in regions {
                    println!(
                        "  {code}  OLS {:.3} {:.3}   OLS + trees {:.3} {:.3}   ({} families)",
                        v["ols"][0].as_f64().unwrap_or(0.0),
                        v["ols"][1].as_f64().unwrap_or(0.0),
                        v["ols_boosted_trees"][0].as_f64().unwrap_or(0.0),
                        v["ols_boosted_trees"][1].as_f64().unwrap_or(0.0),
                        v["families"].as_u64().unwrap_or(0)
                    );
                }
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
    if let Some(before) = &a.compare {
        let old = rt.block_on(async {
            let store = dtsen_store::open(&a.db)
                .await
                .with_context(|| format!("opening {}", a.db))?;
            anyhow::Ok(
                dtsen_consolidate::ranking::explain_family(store.as_ref(), before, a.family, &m)
                    .await?,
            )
        })?;
        let Some((old, old_decile)) = old else {
            bail!("family {} is not in snapshot {before}", a.family);
        };
        let mut changes: Vec<(String, Option<String>, Option<String>, f64)> = x
            .contributions
            .iter()
            .filter_map(|c| {
                let o = old
                    .contributions
                    .iter()
                    .find(|o| o.variable == c.variable)?;
                let label = if a.lang == "en" {
                    c.label_en.clone()
                } else {
                    c.label_id.clone()
                };
                (o.value != c.value || (o.effect - c.effect).abs() > 1e-9)
                    .then(|| (label, o.value.clone(), c.value.clone(), c.effect - o.effect))
            })
            .collect();
        changes.sort_by(|p, q| q.3.abs().total_cmp(&p.3.abs()));
        let d = |d: Option<i16>| d.map_or("-".to_string(), |d| d.to_string());
        if a.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "before": {"snapshot": before, "decile": old_decile, "score": old.score},
                    "after": {"snapshot": a.snapshot, "decile": decile, "score": x.score},
                    "changes": changes.iter().map(|c| serde_json::json!({"variable": c.0, "before": c.1, "after": c.2, "effect_change": c.3})).collect::<Vec<_>>(),
                }))?
            );
        } else {
            if a.lang == "en" {
                println!(
                    "Family {}: national decile {} in {before}, {} in {}. What changed:",
                    a.family,
                    d(old_decile),
                    d(decile),
                    a.snapshot
                );
            } else {
                println!(
                    "Keluarga {}: desil nasional {} pada {before}, {} pada {}. Yang berubah:",
                    a.family,
                    d(old_decile),
                    d(decile),
                    a.snapshot
                );
            }
            if changes.is_empty() {
                let line = match (a.lang.as_str(), old_decile == decile) {
                    ("en", true) => "nothing in the family's data, and the decile is the same",
                    ("en", false) => "nothing in the family's data; the decile moved because other families' positions changed",
                    (_, true) => "tidak ada perubahan pada data keluarga, dan desilnya sama",
                    (_, false) => "tidak ada perubahan pada data keluarga; desil bergeser karena posisi keluarga lain berubah",
                };
                println!("- {line}");
            }
            for (label, o, n, e) in changes.iter().take(8) {
                println!(
                    "- {label}: {} → {} ({:+.0}%)",
                    o.as_deref().unwrap_or("-"),
                    n.as_deref().unwrap_or("-"),
                    (e.exp() - 1.0) * 100.0
                );
            }
        }
        return Ok(());
    }
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
