//! `dtsen consolidate` and `dtsen export`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use dtsen_consolidate::{batch, output, persist, Options, Rules};
use dtsen_core::RegionTable;

#[derive(clap::Args)]
pub(crate) struct ConsolidateArgs {
    /// Directory of the source files (ingested into WORK/ingested first).
    #[arg(long, env = "DTSEN_SOURCES", default_value = "sources")]
    pub sources: PathBuf,
    /// Use an existing ingest output instead of ingesting --sources.
    #[arg(long)]
    pub ingested: Option<PathBuf>,
    /// Snapshot id: YYYYQn (reference date: the quarter's last day) or any id with --as-of.
    #[arg(long, env = "DTSEN_SNAPSHOT")]
    pub snapshot: String,
    /// Reference date (YYYY-MM-DD); default: the last day of the snapshot's quarter.
    #[arg(long, env = "DTSEN_AS_OF")]
    pub as_of: Option<String>,
    /// Working directory: the matching engine's files, the return files, the report.
    #[arg(long, env = "DTSEN_WORK", default_value = "consolidation")]
    pub work: PathBuf,
    /// Database URL: sqlite://PATH or postgres://...
    #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
    pub db: String,
    /// Survivorship and completeness rules (CSV); default: the built-in configs/consolidate/fields.csv.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// A matching model to reuse (model.json); default: WORK/link/model.json when a previous
    /// run left one, else train.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Train the matching model again even if a previous one exists.
    #[arg(long)]
    pub retrain: bool,
    /// If the snapshot exists as a draft (an interrupted or abandoned run), remove it first.
    /// A published snapshot is never replaced.
    #[arg(long)]
    pub replace_draft: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Consolidate one regency at a time, so memory is that of the largest regency, not of the
    /// input: `auto` splits when the input spans more than one regency, `regency` always,
    /// `none` holds the whole input in memory.
    #[arg(long, value_enum, default_value = "auto")]
    pub partition: PartitionMode,
    /// Consolidate and write the return files, lists and report, but write nothing into the
    /// registry (a preview of the quarter; the registry is only read, for the ids it gave out).
    #[arg(long)]
    pub dry_run: bool,
    /// Once the input is split by regency, remove the ingest output's record files
    /// (persons.tsv, families.tsv, lists.tsv): for a large run short of disk, since the split
    /// holds the same records and `dtsen ingest` makes them again from the sources.
    #[arg(long)]
    pub discard_ingested: bool,
}

/// How `dtsen consolidate` splits its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PartitionMode {
    /// By regency when the input spans more than one.
    Auto,
    /// Always by regency.
    Regency,
    /// Never.
    None,
}

#[derive(clap::Args)]
pub(crate) struct ExportArgs {
    /// The snapshot to export.
    #[arg(long, env = "DTSEN_SNAPSHOT")]
    pub snapshot: String,
    /// Output directory.
    #[arg(long, default_value = "export")]
    pub out: PathBuf,
    /// Database URL: sqlite://PATH or postgres://...
    #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
    pub db: String,
}

/// Runs a consolidation; returns the report.
pub(crate) fn consolidate(a: ConsolidateArgs) -> Result<serde_json::Value> {
    let started = Instant::now();
    let as_of = match &a.as_of {
        Some(d) => crate::parse_date(d, "--as-of")?,
        None => dtsen_consolidate::snapshot_date(&a.snapshot).with_context(|| {
            format!(
                "snapshot id {:?} is not YYYYQn (e.g. 2026Q1): give its reference date with --as-of",
                a.snapshot
            )
        })?,
    };
    let ingested = match &a.ingested {
        Some(d) => d.clone(),
        None => {
            let out = a.work.join("ingested");
            crate::ingest(crate::IngestArgs {
                sources: a.sources.clone(),
                out: out.clone(),
                as_of: Some(as_of.to_string()),
                json: false,
            })?;
            out
        }
    };
    let rules = match &a.rules {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Rules::parse(&text).with_context(|| format!("in {}", p.display()))?
        }
        None => Rules::builtin(),
    };
    let previous = a.work.join("link").join("model.json");
    let model_path = a
        .model
        .clone()
        .or_else(|| (!a.retrain && previous.exists()).then_some(previous));
    let model = match &model_path {
        Some(p) => {
            let config = dtsen_link::Config::parse(dtsen_link::DTSEN_PERSONS_CONFIG)?;
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let m = dtsen_link::Model::load(&text, &config)
                .with_context(|| format!("in {}", p.display()))?;
            eprintln!(
                "Reusing the matching model {} (--retrain to train again)",
                p.display()
            );
            Some(m)
        }
        None => None,
    };
    let rt = crate::runtime()?;
    let store = rt.block_on(async {
        let store = dtsen_store::open(&a.db)
            .await
            .with_context(|| format!("opening {}", a.db))?;
        store
            .migrate()
            .await
            .with_context(|| format!("migrating {}", a.db))?;
        store
            .load_regions(RegionTable::official())
            .await
            .context("loading the region table")?;
        anyhow::Ok(store)
    })?;
    let status = if a.dry_run {
        None
    } else {
        rt.block_on(store.snapshot_status(&a.snapshot))?
    };
    match status.as_deref() {
        Some("draft") if a.replace_draft => {
            rt.block_on(store.delete_draft(&a.snapshot))
                .with_context(|| format!("removing the draft snapshot {}", a.snapshot))?;
            eprintln!("Removed the draft snapshot {} (--replace-draft)", a.snapshot);
        }
        Some("draft") => anyhow::bail!(
            "snapshot {} exists as a draft (an earlier run that did not finish, or was not published); \
             run again with --replace-draft to replace it, or choose another id",
            a.snapshot
        ),
        Some(_) => anyhow::bail!(
            "snapshot {} is published and is never rewritten: choose a new id (e.g. the next quarter)",
            a.snapshot
        ),
        None => {}
    }
    let known = rt
        .block_on(persist::known_ids(store.as_ref()))
        .context("reading the ids the registry has given out")?;
    let opts = Options {
        snapshot: a.snapshot.clone(),
        as_of,
        rules,
        model,
    };
    eprintln!(
        "Consolidating {} into snapshot {} (as of {as_of}) ...",
        ingested.display(),
        a.snapshot
    );
    let ingest_report: Option<serde_json::Value> =
        std::fs::read_to_string(ingested.join("ingest-report.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let split = match a.partition {
        PartitionMode::Auto => batch::Split::Auto,
        PartitionMode::Regency => batch::Split::Regency,
        PartitionMode::None => batch::Split::None,
    };
    let run = rt
        .block_on(batch::run(
            (!a.dry_run).then_some(store.as_ref()),
            &ingested,
            &a.work,
            opts,
            known,
            split,
            ingest_report.as_ref(),
            RegionTable::official(),
            a.discard_ingested,
            |m| eprintln!("{m}"),
        ))
        .with_context(|| {
            format!(
                "consolidating {} into snapshot {} of {}",
                ingested.display(),
                a.snapshot,
                a.db
            )
        })?;
    let batch::Run {
        mut report,
        saved,
        store_ms,
        split_ms,
        ..
    } = run;
    report["timings_ms"]["store"] = store_ms.into();
    report["timings_ms"]["split"] = split_ms.into();
    report["timings_ms"]["total"] = (started.elapsed().as_millis() as u64).into();
    report["peak_rss_bytes"] = crate::bench::peak_rss_bytes().into();
    report["store"] = serde_json::json!({
        "db": a.db,
        "dry_run": a.dry_run,
        "persons": saved.persons,
        "families": saved.families,
        "memberships_opened": saved.memberships_opened,
        "memberships_ended": saved.memberships_ended,
        "field_values": saved.field_values,
        "snapshot_families": saved.snapshot_families,
        "snapshot_members": saved.snapshot_members,
        "timings_ms": saved.timings.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
    });
    let path = a.work.join("consolidation-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", output::summary(&report));
        if a.dry_run {
            println!("\nDry run: nothing was written into {}.", a.db);
        } else {
            println!(
                "\nSnapshot {} (draft) in {}: {} families, {} members; {} memberships opened, {} ended.",
                a.snapshot, a.db, saved.snapshot_families, saved.snapshot_members, saved.memberships_opened, saved.memberships_ended
            );
        }
        println!(
            "Return files, field-check list, conflicts and coverage: {} ({:.1} s)",
            a.work.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(report)
}

/// Writes the DTSEN export of a snapshot.
pub(crate) fn export(a: ExportArgs) -> Result<()> {
    let rt = crate::runtime()?;
    let e = rt.block_on(async {
        let store = dtsen_store::open(&a.db)
            .await
            .with_context(|| format!("opening {}", a.db))?;
        store
            .migrate()
            .await
            .with_context(|| format!("migrating {}", a.db))?;
        anyhow::Ok(
            dtsen_consolidate::export::export(store.as_ref(), &a.snapshot, None, &a.out)
                .await
                .with_context(|| format!("exporting snapshot {}", a.snapshot))?,
        )
    })?;
    println!("{}: {} families", e.families_file.display(), e.families);
    println!("{}: {} members", e.members_file.display(), e.members);
    Ok(())
}

/// The demo's consolidation: Kota Kediri into snapshot 2026Q3 of a fresh SQLite database,
/// measured against the generator's truth, then exported.
pub(crate) fn demo(dir: &Path) -> Result<()> {
    let db_path = dir.join("dtsen.db");
    let audit = dtsen_store::sqlite_audit_path(&db_path.to_string_lossy());
    for (base, suffix) in [
        (db_path.display().to_string(), ""),
        (db_path.display().to_string(), "-wal"),
        (db_path.display().to_string(), "-shm"),
        (audit.clone(), ""),
        (audit.clone(), "-wal"),
        (audit.clone(), "-shm"),
    ] {
        let p = PathBuf::from(format!("{base}{suffix}"));
        if p.exists() {
            std::fs::remove_file(&p)
                .with_context(|| format!("removing the old demo database {}", p.display()))?;
        }
    }
    let db = format!("sqlite://{}", db_path.display());
    let work = dir.join("consolidation");
    consolidate(ConsolidateArgs {
        sources: dir.join("sources"),
        ingested: Some(dir.join("ingested")),
        snapshot: "2026Q3".into(),
        as_of: None,
        work: work.clone(),
        db: db.clone(),
        rules: None,
        model: None,
        retrain: true,
        replace_draft: false,
        json: false,
        partition: PartitionMode::Auto,
        dry_run: false,
        discard_ingested: false,
    })?;
    let e = crate::link::evaluate_files(
        &work.join("persons-clusters.csv"),
        &dir.join("sources").join("truth_records.csv"),
        &["source".to_string(), "record_key".to_string()],
        "person_id",
        "source",
    )?;
    println!(
        "Persons against the generator's truth: pairwise precision {:.4}, recall {:.4}, F1 {:.4}",
        e.pairwise.precision, e.pairwise.recall, e.pairwise.f1
    );
    println!("\nFitting the proxy-means test on the survey sample (susenas.csv) ...");
    let model = dir.join("pmt-model.json");
    crate::rank::fit(crate::rank::FitArgs {
        survey: dir.join("sources").join("susenas.csv"),
        out: model.clone(),
        variables: None,
        trees: 200,
        json: false,
    })?;
    println!();
    crate::rank::score(crate::rank::ScoreArgs {
        snapshot: "2026Q3".into(),
        model,
        db: db.clone(),
        truth: Some(dir.join("sources").join("truth_families.csv")),
        json: false,
    })?;
    println!();
    export(ExportArgs {
        snapshot: "2026Q3".into(),
        out: dir.join("export"),
        db,
    })
}
