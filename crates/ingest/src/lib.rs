//! Ingest: every source layout of `shared/formats.md` read into validated, standardised
//! canonical records, and every row that cannot be read written to `rejects.csv` with a reason.
//! Nothing is dropped silently: per source, rows read = accepted + rejected.
//!
//! The pipeline per file: detect the encoding, match the header (by name, any order, any of
//! the usual separators), then read records in batches on one thread and convert batches in
//! parallel, writing the results in file order. Memory is bounded by the batch size.

pub mod convert;
pub mod decode;
pub mod reader;
pub mod schema;
pub mod values;

use convert::{Ctx, Row, Target, Warnings};
use decode::Encoding;
use rayon::prelude::*;
use reader::{Block, BufferPool, Fields, Records, SplitError};
use schema::{HeaderMap, SourceKind, Spec};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use values::Vocab;

/// Why ingest could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The sources directory cannot be listed.
    #[error("cannot read the sources directory {path}: {source}")]
    SourcesDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An output file cannot be written.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// The date the data is read against: NIK centuries, future dates, ages.
    pub as_of: dtsen_core::Date,
    /// Bytes read per block (the unit of parallel work).
    pub block_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            as_of: dtsen_core::Date::from_days(20_726),
            block_bytes: 1 << 20,
        }
    }
}

/// How one source went.
#[derive(Clone, Debug, Default)]
pub struct SourceReport {
    /// Source key (`siak`, `dtks`, ...).
    pub key: String,
    /// The file read, if found.
    pub file: Option<PathBuf>,
    /// `ok`, `missing` (no file) or `unreadable` (see `message`).
    pub status: String,
    /// Why the file could not be read, or other file-level notes.
    pub message: Vec<String>,
    /// Detected encoding.
    pub encoding: String,
    /// Separator used.
    pub separator: String,
    /// Records read (not counting the header and blank lines).
    pub read: u64,
    /// Records accepted.
    pub accepted: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Rejects by reason code.
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Warnings by reason code (a record may carry several).
    pub warnings_by_reason: BTreeMap<String, u64>,
    /// Columns not in the layout, kept as raw attributes.
    pub extra_columns: Vec<String>,
    /// Bytes read (after decompression).
    pub bytes: u64,
}

/// What an ingest run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Per source, in processing order.
    pub sources: Vec<SourceReport>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl Report {
    /// Total bytes read.
    pub fn bytes(&self) -> u64 {
        self.sources.iter().map(|s| s.bytes).sum()
    }
    /// Total records read.
    pub fn read(&self) -> u64 {
        self.sources.iter().map(|s| s.read).sum()
    }
    /// Sources that could not be read.
    pub fn unreadable(&self) -> Vec<&SourceReport> {
        self.sources
            .iter()
            .filter(|s| s.status == "unreadable")
            .collect()
    }
    /// The report as JSON (`ingest-report.json`).
    pub fn to_json(&self, as_of: dtsen_core::Date) -> serde_json::Value {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let sources: serde_json::Map<String, serde_json::Value> = self
            .sources
            .iter()
            .map(|s| {
                (
                    s.key.clone(),
                    serde_json::json!({
                        "file": s.file.as_ref().map(|f| f.display().to_string()),
                        "status": s.status, "message": s.message, "encoding": s.encoding,
                        "separator": s.separator, "read": s.read, "accepted": s.accepted,
                        "rejected": s.rejected, "reconciles": s.read == s.accepted + s.rejected,
                        "rejects_by_reason": s.rejects_by_reason, "warnings_by_reason": s.warnings_by_reason,
                        "extra_columns": s.extra_columns, "bytes": s.bytes,
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "as_of": as_of.to_string(),
            "sources": sources,
            "read": self.read(),
            "bytes": self.bytes(),
            "seconds": secs,
            "records_per_second": self.read() as f64 / secs,
            "mb_per_second": self.bytes() as f64 / 1e6 / secs,
        })
    }
}

/// Progress of a running ingest.
#[derive(Clone, Debug)]
pub struct Progress {
    /// The source being read.
    pub source: &'static str,
    /// Records read from it so far.
    pub records: u64,
    /// Bytes read from it so far.
    pub bytes: u64,
    /// Its size on disk (compressed size for `.gz`), if known.
    pub size: Option<u64>,
    /// Time since the start.
    pub elapsed: Duration,
}

/// Output file names.
pub const PERSONS: &str = "persons.tsv";
/// See [`PERSONS`].
pub const FAMILIES: &str = "families.tsv";
/// See [`PERSONS`].
pub const LISTS: &str = "lists.tsv";
/// See [`PERSONS`].
pub const SURVEY: &str = "survey.tsv";
/// See [`PERSONS`].
pub const REJECTS: &str = "rejects.csv";
/// See [`PERSONS`].
pub const REPORT: &str = "ingest-report.json";

/// The output files, written by a thread of their own so that converting the next block
/// overlaps writing this one. Buffers come back through a pool to be filled again.
/// Buffers for the writer: (output index, bytes), in file order.
type WriteBatch = Vec<(usize, Vec<u8>)>;

struct Outputs {
    tx: Option<std::sync::mpsc::SyncSender<WriteBatch>>,
    writer: Option<std::thread::JoinHandle<Result<(), IngestError>>>,
    /// Converted chunks' buffers, given back by the writer.
    pool: BufferPool,
    /// The input side's buffers: every source's reader reads into these.
    blocks: BufferPool,
}

impl Outputs {
    fn create(dir: &Path) -> Result<Outputs, IngestError> {
        std::fs::create_dir_all(dir).map_err(|e| IngestError::Output {
            path: dir.to_owned(),
            source: e,
        })?;
        let mut files = Vec::new();
        for (name, header) in [
            (PERSONS, convert::PERSONS_HEADER),
            (FAMILIES, convert::FAMILIES_HEADER),
            (LISTS, convert::LISTS_HEADER),
            (SURVEY, ""),
            (REJECTS, "source,file,line,reason,message,raw"),
        ] {
            let path = dir.join(name);
            let f = File::create(&path).map_err(|e| IngestError::Output {
                path: path.clone(),
                source: e,
            })?;
            // Small: a converted chunk (hundreds of kilobytes) is larger and goes straight to
            // the file instead of being copied into the buffer first.
            let mut w = BufWriter::with_capacity(1 << 16, f);
            if !header.is_empty() {
                writeln!(w, "{header}").map_err(|e| IngestError::Output {
                    path: path.clone(),
                    source: e,
                })?;
            }
            files.push((path, w));
        }
        let pool = output_pool();
        let back = pool.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel::<WriteBatch>(4);
        let writer = std::thread::spawn(move || -> Result<(), IngestError> {
            for batch in rx {
                for (i, buf) in batch {
                    let (path, w) = &mut files[i];
                    w.write_all(&buf).map_err(|e| IngestError::Output {
                        path: path.clone(),
                        source: e,
                    })?;
                    back.put(buf);
                }
            }
            for (path, w) in &mut files {
                w.flush().map_err(|e| IngestError::Output {
                    path: path.clone(),
                    source: e,
                })?;
            }
            Ok(())
        });
        Ok(Outputs {
            tx: Some(tx),
            writer: Some(writer),
            pool,
            blocks: BufferPool::default(),
        })
    }

    /// Hands buffers to the writer, in order.
    fn send(&mut self, batch: WriteBatch) -> Result<(), IngestError> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(batch).is_ok());
        if sent {
            Ok(())
        } else {
            // The writer stopped: its error says why.
            self.finish_inner().and(Err(IngestError::Output {
                path: PathBuf::from("(output)"),
                source: std::io::Error::other("the output writer stopped"),
            }))
        }
    }

    fn write(&mut self, i: usize, bytes: &[u8]) -> Result<(), IngestError> {
        self.send(vec![(i, bytes.to_vec())])
    }

    fn finish_inner(&mut self) -> Result<(), IngestError> {
        self.tx = None;
        match self.writer.take() {
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(IngestError::Output {
                    path: PathBuf::from("(output)"),
                    source: std::io::Error::other("the output writer panicked"),
                })
            }),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> Result<(), IngestError> {
        self.finish_inner()
    }
}

const OUT_PERSONS: usize = 0;
const OUT_FAMILIES: usize = 1;
const OUT_LISTS: usize = 2;
const OUT_SURVEY: usize = 3;
const OUT_REJECTS: usize = 4;

/// Reads every source found in `sources` and writes the canonical files, the rejects and
/// the report into `out`.
pub fn ingest(
    sources: &Path,
    out: &Path,
    opts: &Options,
    mut progress: impl FnMut(&Progress),
) -> Result<Report, IngestError> {
    let started = Instant::now();
    let listing: Vec<PathBuf> = std::fs::read_dir(sources)
        .map_err(|e| IngestError::SourcesDir {
            path: sources.to_owned(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let mut outputs = Outputs::create(out)?;
    let ctx = Ctx {
        regions: dtsen_core::RegionTable::official(),
        names: dtsen_core::NameRules::official(),
        as_of: opts.as_of,
    };
    let mut report = Report::default();
    for kind in SourceKind::ALL {
        let spec = kind.spec();
        let mut sr = SourceReport {
            key: spec.key.to_owned(),
            ..SourceReport::default()
        };
        match find(&listing, spec.stem) {
            None => {
                sr.status = "missing".into();
                sr.message.push(format!(
                    "no {0}.csv or {0}.csv.gz in {1}",
                    spec.stem,
                    sources.display()
                ));
            }
            Some(path) => {
                sr.file = Some(path.clone());
                if let Err(why) = read_source(
                    spec,
                    &path,
                    &ctx,
                    opts,
                    &mut outputs,
                    &mut sr,
                    started,
                    &mut progress,
                )? {
                    sr.status = "unreadable".into();
                    sr.message.push(why);
                } else {
                    sr.status = "ok".into();
                }
            }
        }
        report.sources.push(sr);
    }
    report.elapsed = started.elapsed();
    if report
        .sources
        .iter()
        .all(|s| s.key != "susenas" || s.status != "ok")
    {
        outputs.write(OUT_SURVEY, b"source\tline\twarnings\n")?;
    }
    outputs.finish()?;
    let json = report.to_json(opts.as_of);
    let path = out.join(REPORT);
    let text = serde_json::to_string_pretty(&json).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(|e| IngestError::Output { path, source: e })?;
    Ok(report)
}

/// The file for a source stem: `stem.csv` or `stem.csv.gz`, case-insensitively.
fn find(listing: &[PathBuf], stem: &str) -> Option<PathBuf> {
    let want = [format!("{stem}.csv"), format!("{stem}.csv.gz")];
    let mut found: Vec<&PathBuf> = listing
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| want.iter().any(|w| w.eq_ignore_ascii_case(n)))
        })
        .collect();
    found.sort();
    found.first().map(|p| (*p).clone())
}

/// The usual separators, tried on the header.
const SEPARATORS: [char; 4] = [',', ';', '|', '\t'];

fn sep_name(c: char) -> String {
    match c {
        '\t' => "tab".into(),
        c => c.to_string(),
    }
}

/// The separator that finds the most of the layout's columns in a header (the usual one on
/// a tie), with the columns' map and the header's names.
fn layout(spec: &'static Spec, header: &str) -> Option<(char, HeaderMap, Vec<String>)> {
    let mut best: Option<(char, HeaderMap, Vec<String>)> = None;
    for sep in std::iter::once(spec.separator).chain(SEPARATORS) {
        let mut f = Fields::default();
        if f.split(header, sep).is_err() {
            continue;
        }
        let names: Vec<String> = (0..f.len()).map(|i| f.get(i).to_owned()).collect();
        let map = HeaderMap::new(spec, &names);
        if best.as_ref().is_none_or(|b| map.found() > b.1.found()) {
            best = Some((sep, map, names));
        }
    }
    best
}

/// What [`convert_alone`] measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct StageFigures {
    /// Bytes of the records (the header excluded).
    pub bytes: u64,
    /// Records read (accepted + rejected).
    pub records: u64,
    /// Time spent splitting, decoding, validating, standardising and formatting them.
    pub seconds: f64,
}

/// Parse + validate + standardise alone, for measuring: every record of one source file,
/// already in memory (`data`, the whole file, header first), split into records and fields,
/// decoded, validated, standardised and formatted on this thread by the very code `ingest`
/// runs on its converter threads, into buffers that are then dropped. No reading from disk,
/// no writing, no other thread. `None` when `file_name` is no source's or the header does
/// not fit its layout.
pub fn convert_alone(
    file_name: &str,
    data: &[u8],
    as_of: dtsen_core::Date,
) -> Option<StageFigures> {
    let name = file_name.to_ascii_lowercase();
    let spec = SourceKind::ALL
        .iter()
        .map(|k| k.spec())
        .find(|s| name.strip_suffix(".csv") == Some(s.stem))?;
    let ctx = Ctx {
        regions: dtsen_core::RegionTable::official(),
        names: dtsen_core::NameRules::official(),
        as_of,
    };
    let enc = decode::detect(&data[..data.len().min(1 << 16)]);
    // Block buffers reused, as `ingest`'s reader does.
    let mut records = Records::with_pool(data, BufferPool::default());
    let header = records.header().ok()??;
    let (text, _) = decode::decode(&header, enc);
    let (sep, map, _) = layout(spec, &text)?;
    if !map.missing.is_empty() {
        return None;
    }
    let job = Job {
        spec,
        out: output_of(spec.kind),
        map: &map,
        sep,
        enc,
        ctx: &ctx,
        file: file_name,
    };
    let pool = output_pool();
    let mut figures = StageFigures::default();
    let started = Instant::now();
    while let Ok(Some(block)) = records.next_block(Options::default().block_bytes) {
        figures.bytes += block.data.len() as u64;
        for chunk in block.recs.chunks(CHUNK_RECORDS) {
            let part = convert_chunk(&job, &block, chunk, &pool);
            figures.records += part.read;
            // Back to the pool, as the writer gives them back.
            for buf in part.outs {
                pool.put(buf);
            }
        }
    }
    figures.seconds = started.elapsed().as_secs_f64();
    Some(figures)
}

/// The pool of converted chunks' buffers: only those worth keeping (rejects' and headers'
/// are small), enough for the batches in flight.
fn output_pool() -> BufferPool {
    BufferPool::new(64, 1 << 16)
}

/// The output file a source's rows go to.
fn output_of(kind: SourceKind) -> usize {
    match convert::target(kind) {
        Target::Persons => OUT_PERSONS,
        Target::Families => OUT_FAMILIES,
        Target::Lists => OUT_LISTS,
        Target::Survey => OUT_SURVEY,
    }
}

/// Records converted as one piece of parallel work.
const CHUNK_RECORDS: usize = 2048;

/// Reads one source file. The outer error is an output failure; the inner one says why the
/// file could not be read at all.
#[allow(clippy::too_many_arguments)]
fn read_source(
    spec: &'static Spec,
    path: &Path,
    ctx: &Ctx,
    opts: &Options,
    outputs: &mut Outputs,
    sr: &mut SourceReport,
    started: Instant,
    progress: &mut impl FnMut(&Progress),
) -> Result<Result<(), String>, IngestError> {
    let sample = match reader::sample(path, 1 << 16) {
        Ok(s) => s,
        Err(e) => return Ok(Err(format!("cannot read {}: {e}", path.display()))),
    };
    if sample.is_empty() {
        return Ok(Err(format!(
            "{} is empty: not even a header row",
            path.display()
        )));
    }
    if sample.contains(&0) {
        return Ok(Err(format!(
            "{} holds binary data (NUL bytes): it is not a CSV text file",
            path.display()
        )));
    }
    let enc = decode::detect(&sample);
    sr.encoding = enc.name().into();
    let size = std::fs::metadata(path).ok().map(|m| m.len());
    let input = match reader::open(path) {
        Ok(r) => r,
        Err(e) => return Ok(Err(format!("cannot open {}: {e}", path.display()))),
    };
    let mut records = Records::with_pool(input, outputs.blocks.clone());
    let header = match records.header() {
        Ok(Some(h)) => h,
        Ok(None) => {
            return Ok(Err(format!(
                "{} is empty: not even a header row",
                path.display()
            )))
        }
        Err(e) => return Ok(Err(format!("cannot read {}: {e}", path.display()))),
    };
    sr.bytes += header.len() as u64 + 1;
    let (text, _) = decode::decode(&header, enc);
    let Some((sep, map, names)) = layout(spec, &text) else {
        return Ok(Err(format!(
            "{}: the header row cannot be read",
            path.display()
        )));
    };
    sr.separator = sep_name(sep);
    if !map.missing.is_empty() {
        let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
        return Ok(Err(format!(
            "{}: the header lacks required columns {:?} (found {} columns: {:?}{}); check the separator (expected '{}') and the column names",
            path.display(),
            map.missing,
            names.len(),
            shown,
            if names.len() > 8 { ", ..." } else { "" },
            sep_name(spec.separator)
        )));
    }
    if sep != spec.separator {
        sr.message.push(format!(
            "separator '{}' used instead of the usual '{}'",
            sep_name(sep),
            sep_name(spec.separator)
        ));
    }
    for d in &map.duplicates {
        sr.message.push(format!(
            "duplicate column '{d}': the first one is used, this one is kept as a raw attribute"
        ));
    }
    sr.extra_columns = map.extra.iter().map(|(_, n)| n.clone()).collect();
    if spec.kind == SourceKind::Susenas {
        let mut h = b"source\tline".to_vec();
        for n in &names {
            h.push(b'\t');
            convert::tsv(&mut h, n.trim());
        }
        h.extend_from_slice(b"\twarnings\n");
        outputs.write(OUT_SURVEY, &h)?;
    }
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let job = Job {
        spec,
        out: output_of(spec.kind),
        map: &map,
        sep,
        enc,
        ctx,
        file: &file_name,
    };
    // One thread reads (and un-gzips) blocks ahead while the pool converts the current one.
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Block>>(2);
    let block_size = opts.block_bytes;
    let outcome = std::thread::scope(|scope| -> Result<Result<(), String>, IngestError> {
        scope.spawn(move || loop {
            match records.next_block(block_size) {
                Ok(Some(b)) => {
                    if tx.send(Ok(b)).is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        });
        for block in rx {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    return Ok(Err(format!(
                        "{}: read error after line {}: {e}",
                        path.display(),
                        sr.read + 1
                    )))
                }
            };
            sr.bytes += block.data.len() as u64;
            flush(&job, &block, outputs, sr)?;
            progress(&Progress {
                source: spec.key,
                records: sr.read,
                bytes: sr.bytes,
                size,
                elapsed: started.elapsed(),
            });
        }
        Ok(Ok(()))
    })?;
    Ok(outcome)
}

/// Everything a worker needs to convert records of one file.
struct Job<'a> {
    spec: &'static Spec,
    /// The output file its rows go to.
    out: usize,
    map: &'a HeaderMap,
    sep: char,
    enc: Encoding,
    ctx: &'a Ctx<'a>,
    file: &'a str,
}

/// Converted output of a slice of records.
#[derive(Default)]
struct Part {
    outs: [Vec<u8>; 5],
    read: u64,
    accepted: u64,
    rejects: foldhash::HashMap<&'static str, u64>,
    warnings: foldhash::HashMap<&'static str, u64>,
}

fn flush(
    job: &Job,
    block: &Block,
    outputs: &mut Outputs,
    sr: &mut SourceReport,
) -> Result<(), IngestError> {
    let pool = outputs.pool.clone();
    let parts: Vec<Part> = block
        .recs
        .par_chunks(CHUNK_RECORDS)
        .map(|chunk| convert_chunk(job, block, chunk, &pool))
        .collect();
    let mut batch = Vec::with_capacity(parts.len() * 2);
    for p in parts {
        sr.read += p.read;
        sr.accepted += p.accepted;
        for (k, v) in p.rejects {
            sr.rejected += v;
            *sr.rejects_by_reason.entry(k.to_owned()).or_default() += v;
        }
        for (k, v) in p.warnings {
            *sr.warnings_by_reason.entry(k.to_owned()).or_default() += v;
        }
        for (i, buf) in p.outs.into_iter().enumerate() {
            if !buf.is_empty() {
                batch.push((i, buf));
            }
        }
    }
    outputs.send(batch)
}

fn convert_chunk(job: &Job, block: &Block, chunk: &[reader::Rec], pool: &BufferPool) -> Part {
    let mut part = Part::default();
    let out = &mut part.outs[job.out];
    // Room for the usual output (a canonical row runs to about twice its source row), so
    // that the buffer is not grown (copied into fresh memory) while the chunk is converted.
    let size: usize = chunk.iter().map(|r| r.end - r.start).sum();
    *out = pool.take_empty(size * 2 + chunk.len() * 64);
    let mut fields = Fields::default();
    // The chunk's records lie one after another in the block: checked as UTF-8 in one go
    // (lines start after a line break, so each is then valid on its own); a chunk that is
    // not is decoded line by line.
    let span = match (chunk.first(), chunk.last()) {
        (Some(first), Some(last)) => first.start..last.end,
        _ => 0..0,
    };
    // Likewise for NUL bytes and quotes: most chunks have neither.
    let bytes = &block.data[span.clone()];
    let text = if memchr::memchr(0, bytes).is_none() {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    };
    let quotes = memchr::memchr(b'"', bytes).is_some();
    for rec in chunk {
        let line = Line {
            bytes: block.bytes(rec),
            text: text.and_then(|t| t.get(rec.start - span.start..rec.end - span.start)),
            quotes,
        };
        one(
            job,
            rec.line,
            rec.lines,
            line,
            rec.too_long,
            &mut fields,
            &mut part,
        );
    }
    part
}

/// A record's bytes, with what its chunk already knows about them.
#[derive(Clone, Copy)]
struct Line<'a> {
    bytes: &'a [u8],
    /// The text, when it is known to be valid UTF-8 without NUL bytes.
    text: Option<&'a str>,
    /// Whether it may hold a quote (false: it holds none).
    quotes: bool,
}

impl<'a> Line<'a> {
    /// Bytes nothing is known about yet.
    fn raw(bytes: &'a [u8]) -> Line<'a> {
        Line {
            bytes,
            text: None,
            quotes: true,
        }
    }
}

/// Converts one record; a joined record that does not parse is taken apart line by line.
fn one(
    job: &Job,
    line: u64,
    lines: u32,
    raw: Line,
    too_long: bool,
    fields: &mut Fields,
    part: &mut Part,
) {
    let bytes = raw.bytes;
    if too_long {
        reject(
            job,
            part,
            line,
            bytes,
            "line_too_long",
            format!("the line is longer than {} bytes", reader::MAX_LINE),
        );
        return;
    }
    let (text, fell_back) = match raw.text {
        Some(t) => (std::borrow::Cow::Borrowed(t), false),
        None => decode::decode(bytes, job.enc),
    };
    if text.trim().is_empty() {
        return; // blank lines are not records
    }
    if raw.text.is_none() && memchr::memchr(0, text.as_bytes()).is_some() {
        reject(
            job,
            part,
            line,
            bytes,
            "binary_data",
            "the line holds NUL bytes".into(),
        );
        return;
    }
    let split = fields.split_known(
        &text,
        job.sep,
        raw.quotes && memchr::memchr(b'"', text.as_bytes()).is_some(),
    );
    let width_ok = split.is_ok()
        && (fields.len() == job.map.width
            || (fields.len() > job.map.width
                && (job.map.width..fields.len()).all(|i| fields.get(i).is_empty())));
    if !width_ok && lines > 1 {
        // Joined because a quote was open: the first line is broken; read the rest alone.
        let mut pieces = bytes.split(|&c| c == b'\n');
        let first = pieces.next().unwrap_or_default();
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        reject(
            job,
            part,
            line,
            first,
            "unclosed_quote",
            "a quoted field is never closed on this line".into(),
        );
        for (k, piece) in pieces.enumerate() {
            let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
            one(
                job,
                line + 1 + k as u64,
                1,
                Line::raw(piece),
                false,
                fields,
                part,
            );
        }
        return;
    }
    match split {
        Err(SplitError::UnclosedQuote) => {
            reject(
                job,
                part,
                line,
                bytes,
                "unclosed_quote",
                "a quoted field is never closed".into(),
            );
            return;
        }
        Err(SplitError::TextAfterQuote) => {
            reject(
                job,
                part,
                line,
                bytes,
                "bad_quote",
                "text follows a closing quote before the separator".into(),
            );
            return;
        }
        Ok(()) => {}
    }
    if !width_ok {
        let msg = format!(
            "{} fields where the header has {}",
            fields.len(),
            job.map.width
        );
        reject(job, part, line, bytes, "column_count", msg);
        return;
    }
    part.read += 1;
    let mut w = Warnings::default();
    if fell_back {
        w.0.push("encoding_fallback");
    }
    if fields.len() > job.map.width {
        w.0.push("trailing_empty_columns");
    }
    let row = Row {
        fields,
        map: job.map,
        spec: job.spec,
    };
    let out = &mut part.outs[job.out];
    let before = out.len();
    match convert::convert(job.spec.kind, &row, line, job.ctx, &mut w, out) {
        Ok(()) => {
            part.accepted += 1;
            for x in &w.0 {
                *part.warnings.entry(x).or_default() += 1;
            }
        }
        Err((code, msg)) => {
            out.truncate(before);
            part.read -= 1;
            reject(job, part, line, bytes, code, msg);
        }
    }
}

/// Longest raw line copied into `rejects.csv`.
const MAX_RAW: usize = 64 * 1024;

fn reject(job: &Job, part: &mut Part, line: u64, raw: &[u8], code: &'static str, message: String) {
    part.read += 1;
    *part.rejects.entry(code).or_default() += 1;
    let (text, _) = decode::decode(&raw[..raw.len().min(MAX_RAW)], job.enc);
    let out = &mut part.outs[OUT_REJECTS];
    for (i, f) in [
        job.spec.key,
        job.file,
        &line.to_string(),
        code,
        &message,
        &text,
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, f);
    }
    if raw.len() > MAX_RAW {
        out.extend_from_slice(b" (cut)");
    }
    out.push(b'\n');
}

/// A CSV field, quoted when needed; NUL bytes are shown as `\0`.
fn csv_field(out: &mut Vec<u8>, s: &str) {
    let needs = s
        .bytes()
        .any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r' | 0));
    if !needs {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for c in s.bytes() {
        match c {
            b'"' => out.extend_from_slice(b"\"\""),
            0 => out.extend_from_slice(b"\\0"),
            c => out.push(c),
        }
    }
    out.push(b'"');
}
