//! The generation pipeline: villages in windows, generated in parallel, identifiers assigned
//! in village order, rows formatted in parallel, and one writer thread appending to the files.

use crate::config::Config;
use crate::population;
use crate::sources::{self, push_id, Chunk, ErrorKind, Source};
use crate::world::{self, Context, Serials};
use dtsen_core::{Level, RegionCode, RegionTable};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The region is not in the official table.
    #[error("region {0} is not in the official region table (Kepmendagri 300.2.2-2138/2025)")]
    UnknownRegion(String),
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The selection holds no people.
    #[error("the selection holds no people; give a region with villages or a larger --persons")]
    Empty,
}

/// Progress of a running generation.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Persons written so far.
    pub persons: u64,
    /// Persons planned in all.
    pub planned: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// What a generation wrote.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Persons generated (the true population).
    pub persons: u64,
    /// Families generated.
    pub families: u64,
    /// Villages generated.
    pub villages: u64,
    /// Data rows per file (headers not counted).
    pub rows: Vec<(String, u64)>,
    /// Bytes written in all.
    pub bytes: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Persons per window: bounds memory whatever the size of the selection.
const WINDOW_PERSONS: u64 = 120_000;

/// The truth-records file name.
pub const TRUTH_RECORDS: &str = "truth_records.csv";

/// Generates every source file and the truth for `region` (`None` = the whole country) into
/// `out`, calling `progress` after each window.
pub fn generate(
    cfg: &Config,
    region: Option<RegionCode>,
    out: &Path,
    mut progress: impl FnMut(&Progress),
) -> Result<Report, SynthError> {
    let started = Instant::now();
    let regions = RegionTable::official();
    if let Some(r) = region {
        if !regions.contains(r) {
            return Err(SynthError::UnknownRegion(r.to_string()));
        }
    }
    let plan = population::plan(regions, region, cfg.persons);
    let planned: u64 = plan.iter().map(|p| p.1).sum();
    if planned == 0 {
        return Err(SynthError::Empty);
    }
    let families_est = planned as f64 / 3.1;
    let susenas_p = cfg
        .susenas_rate
        .max(cfg.susenas_min as f64 / families_est)
        .min(1.0);
    let ctx = Context {
        cfg,
        regions,
        cutoffs: world::cutoffs(regions),
        susenas_p,
    };
    std::fs::create_dir_all(out).map_err(|e| SynthError::Io {
        path: out.to_owned(),
        source: e,
    })?;

    let (tx, rx) = mpsc::sync_channel::<Vec<Chunk>>(1);
    let out_dir = out.to_owned();
    let writer = std::thread::spawn(move || write_all(&out_dir, rx));

    let mut serials: Option<Serials> = None;
    let mut report = Report::default();
    let mut start = 0;
    while start < plan.len() {
        let mut end = start;
        let mut persons = 0;
        while end < plan.len() && (end == start || persons + plan[end].1 <= WINDOW_PERSONS) {
            persons += plan[end].1;
            end += 1;
        }
        let window = &plan[start..end];
        let mut families: Vec<Vec<world::Family>> = window
            .par_iter()
            .map(|&(v, n)| world::village(&ctx, v, n))
            .collect();
        for ((v, _), fams) in window.iter().zip(families.iter_mut()) {
            let district = v.ancestor(Level::District).unwrap_or(*v);
            if serials.as_ref().map(Serials::district) != Some(district) {
                serials = Some(Serials::new(regions, district));
            }
            if let Some(s) = serials.as_mut() {
                world::assign_ids(s, fams);
            }
        }
        let chunks: Vec<Chunk> = window
            .par_iter()
            .zip(families.par_iter())
            .map(|(&(v, _), fams)| sources::write_village(cfg, v, fams))
            .collect();
        drop(families);
        for c in &chunks {
            report.persons += c.persons;
            report.families += c.families;
        }
        report.villages += window.len() as u64;
        if tx.send(chunks).is_err() {
            break; // The writer stopped on an error; join below reports it.
        }
        progress(&Progress {
            persons: report.persons,
            planned,
            elapsed: started.elapsed(),
        });
        start = end;
    }
    drop(tx);
    let (rows, bytes) = writer.join().map_err(|_| SynthError::Io {
        path: out.to_owned(),
        source: std::io::Error::other("the writer thread panicked"),
    })??;
    report.rows = rows;
    report.bytes = bytes;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Writes the chunks as they come, in order; returns rows per file and bytes written.
fn write_all(
    out: &Path,
    rx: mpsc::Receiver<Vec<Chunk>>,
) -> Result<(Vec<(String, u64)>, u64), SynthError> {
    let open = |name: &str| -> Result<(PathBuf, BufWriter<File>), SynthError> {
        let path = out.join(name);
        let f = File::create(&path).map_err(|e| SynthError::Io {
            path: path.clone(),
            source: e,
        })?;
        Ok((path, BufWriter::with_capacity(1 << 20, f)))
    };
    let mut files = Vec::with_capacity(Source::ALL.len());
    for s in Source::ALL {
        let (path, mut w) = open(s.file())?;
        let mut header = s.header().into_bytes();
        if s == Source::Dtks {
            header = sources::to_windows_1252(&header);
        }
        header.push(b'\n');
        w.write_all(&header).map_err(|e| SynthError::Io {
            path: path.clone(),
            source: e,
        })?;
        files.push((path, w));
    }
    let (truth_path, mut truth) = open(TRUTH_RECORDS)?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e| SynthError::Io { path, source: e }
    };
    truth
        .write_all(b"source,record_key,person_id,family_id,well_formed,nik_valid,errors\n")
        .map_err(io(&truth_path))?;
    let mut rows = vec![0u64; Source::ALL.len()];
    let mut bytes = 0u64;
    let mut line = Vec::with_capacity(1 << 20);
    for chunks in rx {
        for c in chunks {
            for (i, buf) in c.bufs.iter().enumerate() {
                files[i].1.write_all(buf).map_err(io(&files[i].0))?;
                bytes += buf.len() as u64;
            }
            line.clear();
            for t in &c.truth {
                let s = t.source as usize;
                line.extend_from_slice(t.source.key().as_bytes());
                line.push(b',');
                // Record key: the row's line number in its file (the header is line 1).
                dtsen_core::date::push_num(&mut line, rows[s] + u64::from(t.local) + 2, 1);
                line.push(b',');
                if t.person != 0 {
                    push_id(&mut line, b'P', t.person);
                }
                line.push(b',');
                push_id(&mut line, b'F', t.family);
                line.push(b',');
                line.push(if t.well_formed() { b'1' } else { b'0' });
                line.push(b',');
                line.push(if t.nik_valid { b'1' } else { b'0' });
                line.push(b',');
                let mut first = true;
                for k in ErrorKind::ALL {
                    if t.errors & k as u32 != 0 {
                        if !first {
                            line.push(b';');
                        }
                        line.extend_from_slice(k.token().as_bytes());
                        first = false;
                    }
                }
                line.push(b'\n');
            }
            truth.write_all(&line).map_err(io(&truth_path))?;
            bytes += line.len() as u64;
            for (i, n) in c.rows.iter().enumerate() {
                rows[i] += u64::from(*n);
            }
        }
    }
    for (path, w) in &mut files {
        w.flush().map_err(io(path))?;
    }
    truth.flush().map_err(io(&truth_path))?;
    let mut named: Vec<(String, u64)> = Source::ALL
        .iter()
        .map(|s| s.file().to_owned())
        .zip(rows.iter().copied())
        .collect();
    let truth_rows = named
        .iter()
        .filter(|(n, _)| !n.starts_with("truth_"))
        .map(|r| r.1)
        .sum();
    named.push((TRUTH_RECORDS.to_owned(), truth_rows));
    Ok((named, bytes))
}
