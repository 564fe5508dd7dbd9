//! A whole consolidation run: the input split by regency when it spans several (see
//! [`crate::partition`]), each partition consolidated, its outputs appended and its rows
//! written into one draft snapshot, and the report made once from the added figures. Memory is
//! that of the largest partition; the model is trained once, on the largest, and reused.

use std::path::{Path, PathBuf};
use std::time::Instant;

use dtsen_core::RegionTable;
use dtsen_store::Store;
use serde_json::Value as Json;

use crate::persist::{self, Saved};
use crate::{output, partition, ConsolidateError, KnownIds, Options, Result};

/// How a run splits its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// By regency when SIAK's rows span more than one.
    Auto,
    /// Always by regency.
    Regency,
    /// Never: the whole input in memory.
    None,
}

/// What a run did.
#[derive(Debug)]
pub struct Run {
    /// The report (also written to `work/consolidation-report.json`).
    pub report: Json,
    /// What was written into the store.
    pub saved: Saved,
    /// Partitions consolidated (1 when not split).
    pub partitions: usize,
    /// Milliseconds spent writing into the store.
    pub store_ms: u64,
    /// Milliseconds spent splitting the input by regency.
    pub split_ms: u64,
}

/// Consolidates `ingested` into draft snapshot `opts.snapshot` of `store`, writing the return
/// files, lists and report into `work`; without a store (a dry run), only the files are
/// written. With `discard_ingested`, a split run removes the ingest output's record files once
/// they are split (for a run short of disk: the partitions hold the same records, and
/// `dtsen ingest` makes them again from the sources). `progress` hears what is going on.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    store: Option<&dyn Store>,
    ingested: &Path,
    work: &Path,
    mut opts: Options,
    mut known: KnownIds,
    split: Split,
    ingest_report: Option<&Json>,
    regions: &RegionTable,
    discard_ingested: bool,
    mut progress: impl FnMut(&str),
) -> Result<Run> {
    let split = match split {
        Split::None => false,
        Split::Regency => true,
        Split::Auto => partition::several_regencies(ingested)?,
    };
    let t = Instant::now();
    // (key, input, work, person records)
    let mut parts: Vec<(String, PathBuf, PathBuf, u64)> = if split {
        let t = Instant::now();
        let dir = work.join("partitions");
        let parts = partition::split(ingested, &dir.join("input"))?;
        progress(&format!(
            "Split into {} regencies in {:.1} s (largest: {} person records)",
            parts.len(),
            t.elapsed().as_secs_f64(),
            parts.iter().map(|p| p.person_records).max().unwrap_or(0)
        ));
        if discard_ingested {
            for name in partition::RECORD_FILES {
                let path = ingested.join(name);
                std::fs::remove_file(&path)
                    .or_else(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => Ok(()),
                        _ => Err(e),
                    })
                    .map_err(partition::io(&path))?;
            }
            progress(&format!(
                "Removed {} from {} (--discard-ingested)",
                partition::RECORD_FILES.join(", "),
                ingested.display()
            ));
        }
        parts
            .into_iter()
            .map(|p| {
                let w = dir.join(&p.key);
                (p.key, p.dir, w, p.person_records)
            })
            .collect()
    } else {
        vec![(String::new(), ingested.to_path_buf(), work.to_path_buf(), 0)]
    };
    let split_ms = t.elapsed().as_millis() as u64;
    // Without a model, the largest regency trains it and the others reuse it.
    if opts.model.is_none() {
        if let Some(k) = (0..parts.len()).max_by_key(|&k| (parts[k].3, std::cmp::Reverse(k))) {
            let largest = parts.remove(k);
            parts.insert(0, largest);
        }
    }
    let mut writer = output::Writer::create(work)?;
    // The draft snapshot is created once the first partition has consolidated, so a run that
    // fails on its input leaves none behind.
    let mut writing = None;
    let mut consolidated = false;
    let mut store_ms = 0u64;
    let count = parts.len();
    for (n, (key, input, part_work, _)) in parts.into_iter().enumerate() {
        if split {
            progress(&format!("[{}/{count}] regency {key}", n + 1));
        }
        let c = crate::consolidate(&input, &part_work, &opts, &known)?;
        writer.add(&c)?;
        let t = Instant::now();
        if let Some(store) = store {
            let w = match &mut writing {
                Some(w) => w,
                None => writing.insert(persist::begin(store, &opts.snapshot).await?),
            };
            persist::add(store, w, &c, &known).await?;
        }
        consolidated = true;
        store_ms += t.elapsed().as_millis() as u64;
        // The next partition's new persons and families take the next ids.
        known.next_person = known
            .next_person
            .max(c.persons.iter().map(|p| p.id + 1).max().unwrap_or(0));
        known.next_family = known
            .next_family
            .max(c.families.iter().map(|f| f.id + 1).max().unwrap_or(0));
        if opts.model.is_none() {
            opts.model = Some(c.model.clone());
        }
        drop(c);
        if split {
            // The model for the next run, where a whole-input run leaves it.
            if n == 0 {
                let from = part_work.join("link").join("model.json");
                let to = work.join("link");
                std::fs::create_dir_all(&to).map_err(partition::io(&to))?;
                std::fs::copy(&from, to.join("model.json")).map_err(partition::io(&from))?;
            }
            // The partition's copy of the ingest output has served; its matching files stay.
            std::fs::remove_dir_all(&input).map_err(partition::io(&input))?;
            let _ = std::fs::remove_file(part_work.join("link").join("persons-link.csv"));
        }
    }
    let report = writer.finish(
        &opts.snapshot,
        opts.as_of,
        &opts.rules,
        ingest_report,
        regions,
    )?;
    if !consolidated {
        return Err(ConsolidateError::Input(
            "the input has no records to consolidate".into(),
        ));
    }
    let t = Instant::now();
    let saved = match (store, writing) {
        (Some(store), Some(w)) => persist::finish(store, w, opts.as_of, &report).await?,
        _ => Saved::default(),
    };
    store_ms += t.elapsed().as_millis() as u64;
    Ok(Run {
        report,
        saved,
        partitions: count,
        store_ms,
        split_ms,
    })
}
