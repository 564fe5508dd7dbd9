//! A run in partitions (*per wilayah*): the input split by a column's prefix (a region code's
//! first four digits: one regency), each partition linked on its own, the largest first, so
//! that memory holds one partition, not the input.
//!
//! 1. **Split**, one pass over each file: a record goes to the partition of its key (the
//!    column's first `n` characters, trimmed), unless one of its identifiers (the values of the
//!    `kind = "nik"` comparisons that are valid as the loader judges them) was seen before: then
//!    it goes where that identifier's first record went. So the records of one NIK always meet,
//!    whatever their regions. The identifier index holds 20 bytes or so per distinct valid
//!    identifier; each record's text goes to its partition's temporary file as it was read.
//!    Blocks of the file are parsed in parallel while the blocks before them are routed, in
//!    file order.
//! 2. **Link** each partition in turn, largest first: the first trains the model (unless one is
//!    given) and the others reuse it. Each appends its pairs, clusters and review cases to the
//!    run's outputs; cluster ids are record ids, so they stay unique, and review cases are
//!    numbered on from the partitions before.
//! 3. **Report**: the partitions' reports added up, with the split's figures.
//!
//! What the split costs: two records of one person in different partitions, without a valid
//! identifier in common, are never compared (a mover between regencies whose NIK is missing or
//! wrong in one source). BENCHMARKS.md measures it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use foldhash::HashMap;
use serde::Serialize;

use crate::config::{ComparisonKind, Config};
use crate::data::{self, Input, Keep};
use crate::model::{Population, SplitMix};
use crate::{io, link_into, LinkError, Model, Outputs, Report};

/// The most partitions a run makes (each holds an open file per input while splitting).
pub const MAX_PARTITIONS: usize = 1000;

/// How records are partitioned: a column and how many of its leading characters make the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionBy {
    /// The column (as in the header; case and spaces ignored).
    pub column: String,
    /// Leading characters of the trimmed value that make the key; `None`: the whole value.
    pub prefix: Option<usize>,
}

impl std::str::FromStr for PartitionBy {
    type Err = LinkError;

    /// `region:4` (the first four characters of `region`) or `region` (its whole value).
    fn from_str(s: &str) -> Result<PartitionBy, LinkError> {
        let bad = || {
            LinkError::Config(format!(
                "partition by {s:?}: write COLUMN or COLUMN:N (N leading characters, N ≥ 1), \
                 e.g. region:4 for the regency of a 10-digit region code"
            ))
        };
        let (column, prefix) = match s.rsplit_once(':') {
            Some((c, n)) => (c, Some(n.trim().parse::<usize>().map_err(|_| bad())?)),
            None => (s, None),
        };
        if column.trim().is_empty() || prefix == Some(0) {
            return Err(bad());
        }
        Ok(PartitionBy {
            column: column.trim().to_string(),
            prefix,
        })
    }
}

impl std::fmt::Display for PartitionBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.prefix {
            Some(n) => write!(f, "{}:{n}", self.column),
            None => f.write_str(&self.column),
        }
    }
}

/// One partition's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionFigures {
    /// Its key (the prefix of the partition column).
    pub key: String,
    /// Records.
    pub records: usize,
    /// Candidate pairs.
    pub candidate_pairs: u64,
    /// Milliseconds to load it.
    pub load_ms: u64,
    /// Milliseconds to link it and append its outputs.
    pub link_ms: u64,
}

/// The split's figures, in the report of a partitioned run.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionReport {
    /// The partition key (`region:4`).
    pub by: String,
    /// Records that went to another partition than their key's, following an identifier
    /// seen there first.
    pub records_following_identifier: u64,
    /// Milliseconds to split the input.
    pub split_ms: u64,
    /// Each partition, in the order linked (largest first).
    pub partitions: Vec<PartitionFigures>,
}

/// Links `inputs` partition by partition (see the module's description) into `out`, with
/// temporary files under `work` (created, and removed when done). Returns the run's report,
/// the partitions' reports added up; `model.json` is the model every partition used.
/// `release_memory` is called before the split and after it and each partition: the caller's
/// allocator may give what was freed back to the system there (the CLI's does, so that the
/// footprint follows the partition; see BENCHMARKS.md).
pub fn link_partitioned(
    config: &Config,
    inputs: &[PathBuf],
    by: &PartitionBy,
    model: Option<Model>,
    out: &Path,
    work: &Path,
    release_memory: &dyn Fn(),
) -> Result<Report, LinkError> {
    let started = Instant::now();
    release_memory();
    let split = split(config, inputs, by, work)?;
    // The model is trained on the largest partition, as the whole input's model: u from a
    // sample of the whole input, the prior scaled to it.
    let population = match &model {
        Some(_) => None,
        None => Some(Population {
            sample: load(config, &split.sample)?,
            records: split.records as usize,
        }),
    };
    std::fs::remove_dir_all(&split.sample.dir).map_err(io(&split.sample.dir))?;
    let split_ms = started.elapsed().as_millis() as u64;
    release_memory();
    let mut outputs = Outputs::create(config, out)?;
    let mut model = model;
    let mut total: Option<Report> = None;
    let mut figures = Vec::new();
    for part in &split.parts {
        let t = Instant::now();
        let mut data = load(config, part)?;
        let load_ms = t.elapsed().as_millis() as u64;
        let t = Instant::now();
        let linkage = link_into(
            config,
            &mut data,
            model.take(),
            population.as_ref(),
            &mut outputs,
        )?;
        drop(data);
        std::fs::remove_dir_all(&part.dir).map_err(io(&part.dir))?;
        figures.push(PartitionFigures {
            key: String::from_utf8_lossy(&part.key).into_owned(),
            records: linkage.report.records,
            candidate_pairs: linkage.report.candidate_pairs,
            load_ms,
            link_ms: t.elapsed().as_millis() as u64,
        });
        release_memory();
        model = Some(linkage.model);
        match &mut total {
            None => total = Some(linkage.report),
            Some(r) => r.add(&linkage.report),
        }
    }
    // Best effort: the directory is empty now, unless someone else wrote into it.
    let _ = std::fs::remove_dir(work);
    let (Some(model), Some(mut report)) = (model, total) else {
        return Err(LinkError::Input(
            "no partition to link: the input holds no records".into(),
        ));
    };
    report.partitions = Some(PartitionReport {
        by: by.to_string(),
        records_following_identifier: split.following,
        split_ms,
        partitions: figures,
    });
    outputs.finish(&model, &report)?;
    Ok(report)
}

/// Loads a partition's files.
fn load(config: &Config, part: &Part) -> Result<data::Dataset, LinkError> {
    let files = part
        .files
        .iter()
        .map(|f| Input::file(f).map_err(io(f)))
        .collect::<Result<Vec<_>, _>>()?;
    data::load_files_keeping(config, files, Keep::LINKING)
}

/// One partition's temporary files.
struct Part {
    key: Vec<u8>,
    dir: PathBuf,
    /// One file per input, in the inputs' order.
    files: Vec<PathBuf>,
    /// Whether each file was created (with the header) yet.
    created: Vec<bool>,
    records: u64,
}

struct Split {
    /// Largest first.
    parts: Vec<Part>,
    /// A uniform random sample of the records, in the same layout.
    sample: Part,
    /// Records in all.
    records: u64,
    following: u64,
}

/// Records in the sample u is estimated from: eight times what the configured number of random
/// pairs needs in dedupe mode (pairs across sources are fewer), so that the sample is not the
/// limit in link mode either, unless one source is far larger than the others.
fn sample_size(config: &Config) -> usize {
    let wanted = config.model.u_sample_pairs.max(1) as f64;
    8 * ((2.0 * wanted).sqrt().ceil() as usize + 1)
}

/// An identifier column: its values count when they are a NIK, valid by the validity column
/// when there is one, else by the NIK's structure (as the loader judges them).
struct Identifier {
    column: usize,
    valid: Option<(usize, Vec<Vec<u8>>)>,
}

/// What a block's parsing needs to know of its file.
struct Columns {
    delimiter: u8,
    quoting: bool,
    key: usize,
    prefix: Option<usize>,
    identifiers: Vec<Identifier>,
    reference: dtsen_core::date::Date,
}

/// A block of whole records, and the line it starts on.
struct Block {
    bytes: Vec<u8>,
    line: u64,
}

/// A block's records, parsed: each one's raw text (its range in the block), its partition key
/// and its identifiers (0: none).
#[derive(Default)]
struct Parsed {
    extents: Vec<(u32, u32)>,
    /// The keys one after another; `key_ends[r]` is where record r's ends.
    keys: Vec<u8>,
    key_ends: Vec<u32>,
    /// `identifiers.len()` per record.
    ids: Vec<u64>,
}

fn parse_block(block: &Block, cols: &Columns, name: &str) -> Result<Parsed, LinkError> {
    let mut p = Parsed::default();
    data::for_each_record(
        &block.bytes,
        cols.delimiter,
        cols.quoting,
        |range, record| {
            let field = |c: usize| record.field(c).map_or(&[][..], <[u8]>::trim_ascii);
            let value = field(cols.key);
            p.keys.extend_from_slice(match cols.prefix {
                Some(n) => prefix(value, n),
                None => value,
            });
            p.key_ends.push(p.keys.len() as u32);
            p.extents.push((range.start as u32, range.end as u32));
            for id in &cols.identifiers {
                p.ids.push(identifier(id, &field, cols.reference));
            }
        },
    )
    .map_err(|e| {
        let line = block.line + e.position().map_or(0, |q| q.line().saturating_sub(1));
        LinkError::Input(format!("{name}: near line {line}: {e}"))
    })?;
    Ok(p)
}

/// Bytes read at a time (a block ends at the last record boundary in it).
const BLOCK: usize = 1 << 20;

/// Reads up to `count` blocks of whole records (fewer at the end of the file).
fn read_blocks(
    input: &mut impl std::io::Read,
    carry: &mut Vec<u8>,
    line: &mut u64,
    count: usize,
    quoting: bool,
    name: &str,
) -> Result<Vec<Block>, LinkError> {
    use std::io::Read;
    let mut blocks = Vec::with_capacity(count);
    while blocks.len() < count {
        let mut bytes = std::mem::take(carry);
        let mut eof = false;
        loop {
            let want = bytes.len() + BLOCK;
            let read = input
                .take((want - bytes.len()) as u64)
                .read_to_end(&mut bytes)
                .map_err(|e| LinkError::Input(format!("{name}: {e}")))?;
            eof = eof || read == 0;
            if eof || data::record_boundary(&bytes, quoting).is_some() {
                break;
            }
            // One record longer than a block: read on.
        }
        let cut = if eof {
            bytes.len()
        } else {
            data::record_boundary(&bytes, quoting).unwrap_or(bytes.len())
        };
        carry.extend_from_slice(&bytes[cut..]);
        bytes.truncate(cut);
        let lines = memchr::memchr_iter(b'\n', &bytes).count() as u64;
        if !bytes.is_empty() {
            blocks.push(Block { bytes, line: *line });
        }
        *line += lines;
        if eof {
            break;
        }
    }
    Ok(blocks)
}

/// The header of a file, raw (with its line end), read on its own as the loader reads it: a
/// quoted name may span lines.
fn read_header(
    input: &mut impl std::io::BufRead,
    quoting: bool,
    name: &str,
) -> Result<Vec<u8>, LinkError> {
    let mut header = Vec::new();
    loop {
        let read = input
            .read_until(b'\n', &mut header)
            .map_err(|e| LinkError::Input(format!("{name}: cannot read the header: {e}")))?;
        let quotes = header.iter().filter(|&&c| c == b'"').count();
        if read == 0 || !quoting || quotes % 2 == 0 {
            break;
        }
    }
    if header.iter().all(u8::is_ascii_whitespace) {
        return Err(LinkError::Input(format!("{name}: empty file, no header")));
    }
    if !header.ends_with(b"\n") {
        header.push(b'\n');
    }
    Ok(header)
}

/// The split so far: the partitions, where each identifier went, the sample.
struct Splitter<'a> {
    work: &'a Path,
    inputs: &'a [PathBuf],
    index: HashMap<Vec<u8>, usize>,
    parts: Vec<Part>,
    /// The partitions' files of the input being read (those of the inputs before are closed).
    writers: Vec<Option<std::io::BufWriter<std::fs::File>>>,
    /// Per identifier comparison: where its valid values went.
    seen: Vec<Seen>,
    /// The last key looked up and its partition (files listed by region repeat it).
    last: Option<(Vec<u8>, usize)>,
    following: u64,
    /// A reservoir sample: each record kept with the same chance, in one pass.
    reservoir: Vec<(usize, Vec<u8>)>,
    capacity: usize,
    rng: SplitMix,
    records: u64,
}

impl Splitter<'_> {
    /// The partition of `key`, made if new.
    fn partition(&mut self, key: &[u8], by: &PartitionBy, name: &str) -> Result<usize, LinkError> {
        if let Some((last, p)) = &self.last {
            if last.as_slice() == key {
                return Ok(*p);
            }
        }
        if let Some(&p) = self.index.get(key) {
            self.last = Some((key.to_vec(), p));
            return Ok(p);
        }
        if self.parts.len() == MAX_PARTITIONS {
            return Err(LinkError::Input(format!(
                "{name}: partitioning by {by} makes more than {MAX_PARTITIONS} partitions; use \
                 fewer leading characters or another column"
            )));
        }
        let p = self.parts.len();
        let dir = self.work.join(format!("part-{p}"));
        self.parts.push(Part {
            key: key.to_vec(),
            files: self
                .inputs
                .iter()
                .enumerate()
                .map(|(k, input)| part_file(&dir, k, input))
                .collect(),
            created: vec![false; self.inputs.len()],
            dir,
            records: 0,
        });
        self.writers.push(None);
        self.index.insert(key.to_vec(), p);
        Ok(p)
    }

    /// Sends the parsed blocks' records of input `k` to their partitions, in file order.
    fn route(
        &mut self,
        k: usize,
        header: &[u8],
        blocks: &[Block],
        parsed: &[Parsed],
        by: &PartitionBy,
        name: &str,
    ) -> Result<(), LinkError> {
        let width = self.seen.len();
        for (block, p) in blocks.iter().zip(parsed) {
            let mut key_start = 0;
            for (r, (&(start, end), &key_end)) in p.extents.iter().zip(&p.key_ends).enumerate() {
                let key = &p.keys[key_start..key_end as usize];
                key_start = key_end as usize;
                let own = self.partition(key, by, name)?;
                let ids = &p.ids[r * width..(r + 1) * width];
                let dest = match ids {
                    // One identifier (the usual case): one look-up.
                    [v] if *v != 0 => self.seen[0].first(*v, own as u32) as usize,
                    _ => {
                        let dest = self
                            .seen
                            .iter()
                            .zip(ids)
                            .find_map(|(s, &v)| if v == 0 { None } else { s.get(v) })
                            .unwrap_or(own as u32);
                        for (s, &v) in self.seen.iter_mut().zip(ids) {
                            if v != 0 {
                                s.first(v, dest);
                            }
                        }
                        dest as usize
                    }
                };
                if dest != own {
                    self.following += 1;
                }
                let part = &mut self.parts[dest];
                let w = match &mut self.writers[dest] {
                    Some(w) => w,
                    slot => {
                        part.created[k] = true;
                        slot.insert(part_writer(&part.files[k], header)?)
                    }
                };
                let text = &block.bytes[start as usize..end as usize];
                let path = &part.files[k];
                w.write_all(text).map_err(io(path))?;
                if !text.ends_with(b"\n") {
                    w.write_all(b"\n").map_err(io(path))?;
                }
                part.records += 1;
                let slot = if self.reservoir.len() < self.capacity {
                    self.reservoir.push((k, Vec::new()));
                    self.reservoir.len() - 1
                } else {
                    self.rng.below(self.records as usize + 1)
                };
                if let Some((input, kept)) = self.reservoir.get_mut(slot) {
                    *input = k;
                    kept.clear();
                    kept.extend_from_slice(text);
                    if !text.ends_with(b"\n") {
                        kept.push(b'\n');
                    }
                }
                self.records += 1;
            }
        }
        Ok(())
    }

    /// Closes the files of input `k`.
    fn close(&mut self, k: usize) -> Result<(), LinkError> {
        for (part, w) in self.parts.iter().zip(&mut self.writers) {
            if let Some(mut w) = w.take() {
                w.flush().map_err(io(&part.files[k]))?;
            }
        }
        Ok(())
    }
}

/// Splits the inputs into partitions under `work`: each file is read in blocks, a window of
/// blocks parsed in parallel while the window before it is routed and written, in file order
/// (where an identifier first went depends on the order).
fn split(
    config: &Config,
    inputs: &[PathBuf],
    by: &PartitionBy,
    work: &Path,
) -> Result<Split, LinkError> {
    let delimiter = config.delimiter()?;
    let quoting = config.input.quoting.unwrap_or(delimiter != b'\t');
    let reference = data::nik_reference()?;
    std::fs::create_dir_all(work).map_err(io(work))?;
    let idents = config
        .comparisons
        .iter()
        .filter(|c| c.kind == ComparisonKind::Nik)
        .count();
    let mut s = Splitter {
        work,
        inputs,
        index: HashMap::default(),
        parts: Vec::new(),
        writers: Vec::new(),
        seen: vec![Seen::default(); idents],
        last: None,
        following: 0,
        reservoir: Vec::new(),
        capacity: sample_size(config),
        rng: SplitMix(config.model.seed ^ 0x5041_5254_u64),
        records: 0,
    };
    let window = 2 * rayon::current_num_threads().max(2);
    let mut headers: Vec<Vec<u8>> = Vec::new();
    for (k, path) in inputs.iter().enumerate() {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(io(path))?;
        let mut input = std::io::BufReader::with_capacity(1 << 16, file);
        let header = read_header(&mut input, quoting, &name)?;
        let header_lines = memchr::memchr_iter(b'\n', &header).count() as u64;
        let names = data::header_names(
            &csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .quoting(quoting)
                .has_headers(false)
                .from_reader(header.as_slice())
                .byte_records()
                .next()
                .transpose()
                .map_err(|e| LinkError::Input(format!("{name}: cannot read the header: {e}")))?
                .unwrap_or_default(),
        );
        let column = |c: &str| {
            data::find_column(
                &names,
                c,
                &name,
                "(to partition by, or named in the configuration)",
            )
        };
        let mut identifiers = Vec::new();
        for c in config
            .comparisons
            .iter()
            .filter(|c| c.kind == ComparisonKind::Nik)
        {
            let valid = match &c.valid_column {
                None => None,
                Some(v) => Some((column(v)?, data::valid_values(c))),
            };
            identifiers.push(Identifier {
                column: column(&c.column)?,
                valid,
            });
        }
        let cols = Columns {
            delimiter,
            quoting,
            key: column(&by.column)?,
            prefix: by.prefix,
            identifiers,
            reference,
        };
        let (mut carry, mut line) = (Vec::new(), header_lines + 1);
        let mut current: (Vec<Block>, Vec<Parsed>) = (Vec::new(), Vec::new());
        loop {
            let blocks = read_blocks(&mut input, &mut carry, &mut line, window, quoting, &name)?;
            // Routing on this thread: the index is allocated, and freed, where the run is.
            let (routed, parsed) = rayon::join(
                || s.route(k, &header, &current.0, &current.1, by, &name),
                || {
                    use rayon::prelude::*;
                    blocks
                        .par_iter()
                        .map(|b| parse_block(b, &cols, &name))
                        .collect::<Result<Vec<_>, _>>()
                },
            );
            routed?;
            if blocks.is_empty() {
                break;
            }
            current = (blocks, parsed?);
        }
        s.close(k)?;
        headers.push(header);
    }
    let Splitter {
        mut parts,
        reservoir,
        records,
        following,
        ..
    } = s;
    // Every partition has a file for every input (a header alone where the input had no
    // record there), so that files are the same sources in each.
    for part in &mut parts {
        for (k, header) in headers.iter().enumerate() {
            if !part.created[k] {
                part.created[k] = true;
                let file = &part.files[k];
                part_writer(file, header)?.flush().map_err(io(file))?;
            }
        }
    }
    parts.sort_by(|a, b| b.records.cmp(&a.records).then_with(|| a.key.cmp(&b.key)));
    // The sample, each input's records in its own file.
    let dir = work.join("sample");
    let sample = Part {
        key: Vec::new(),
        files: inputs
            .iter()
            .enumerate()
            .map(|(k, input)| part_file(&dir, k, input))
            .collect(),
        created: vec![true; inputs.len()],
        dir,
        records: reservoir.len() as u64,
    };
    for (k, header) in headers.iter().enumerate() {
        let file = &sample.files[k];
        let mut w = part_writer(file, header)?;
        for (_, text) in reservoir.iter().filter(|(i, _)| *i == k) {
            w.write_all(text).map_err(io(file))?;
        }
        w.flush().map_err(io(file))?;
    }
    Ok(Split {
        parts,
        sample,
        records,
        following,
    })
}

/// Valid identifiers (NIKs) → the partition of their first record, in two levels: the first
/// six digits (the district of registration), then the other ten. A file listed by region
/// looks up one district's small map for a while, in cache, rather than one large map at
/// random.
#[derive(Default, Clone)]
struct Seen(HashMap<u64, HashMap<u64, u32>>);

const DISTRICT: u64 = 10_000_000_000;

impl Seen {
    fn get(&self, v: u64) -> Option<u32> {
        self.0.get(&(v / DISTRICT))?.get(&(v % DISTRICT)).copied()
    }

    /// The partition of `v`'s first record; `p` if this is its first.
    fn first(&mut self, v: u64, p: u32) -> u32 {
        *self
            .0
            .entry(v / DISTRICT)
            .or_default()
            .entry(v % DISTRICT)
            .or_insert(p)
    }
}

/// The record's identifier as a number, 0 when it is missing or not valid.
fn identifier<'r>(
    id: &Identifier,
    field: &impl Fn(usize) -> &'r [u8],
    reference: dtsen_core::date::Date,
) -> u64 {
    let v = field(id.column);
    if data::is_missing(v) {
        return 0;
    }
    let nik = data::pack_nik(v);
    let valid = nik != 0
        && match &id.valid {
            Some((c, values)) => {
                let f = field(*c);
                values.iter().any(|x| x.as_slice() == f)
            }
            None => data::nik_structure_ok(v, reference),
        };
    if valid {
        nik
    } else {
        0
    }
}

/// The first `n` characters of `value` (whole UTF-8 characters; bytes if it is not UTF-8).
fn prefix(value: &[u8], n: usize) -> &[u8] {
    match std::str::from_utf8(value) {
        Ok(s) => match s.char_indices().nth(n) {
            Some((end, _)) => &value[..end],
            None => value,
        },
        Err(_) => &value[..n.min(value.len())],
    }
}

/// Input `k`'s file in a partition's directory, with the input's file name (which names its
/// source when files are sources).
fn part_file(dir: &Path, k: usize, input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map_or_else(|| format!("input-{k}.csv").into(), |n| n.to_os_string());
    dir.join(format!("input-{k}")).join(name)
}

/// Creates a partition's file, with the header.
fn part_writer(path: &Path, header: &[u8]) -> Result<std::io::BufWriter<std::fs::File>, LinkError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    w.write_all(header).map_err(io(path))?;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys_parse() {
        let by: PartitionBy = "region:4".parse().expect("parse");
        assert_eq!(by.column, "region");
        assert_eq!(by.prefix, Some(4));
        assert_eq!(by.to_string(), "region:4");
        let whole: PartitionBy = " province ".parse().expect("parse");
        assert_eq!(whole.prefix, None);
        for bad in ["", ":4", "region:0", "region:x", "region:"] {
            assert!(bad.parse::<PartitionBy>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn blocks_and_records_give_back_every_byte_of_the_file() {
        // Quoted line breaks, a record longer than a block, no line end at the very end.
        let mut text = Vec::new();
        for i in 0..30_000 {
            text.extend_from_slice(format!("{i},\"NAME\n{i}\",3571\n").as_bytes());
        }
        text.extend_from_slice(b"long,");
        text.extend(std::iter::repeat_n(b'x', 3 * BLOCK));
        text.extend_from_slice(b",3572\nlast,\"A, B\",3573");
        let (mut carry, mut line) = (Vec::new(), 2);
        let mut input = text.as_slice();
        let mut back = Vec::new();
        let mut records = 0;
        loop {
            let blocks =
                read_blocks(&mut input, &mut carry, &mut line, 3, true, "test").expect("blocks");
            if blocks.is_empty() {
                break;
            }
            for b in &blocks {
                data::for_each_record(&b.bytes, b',', true, |range, record| {
                    back.extend_from_slice(&b.bytes[range]);
                    records += 1;
                    assert_eq!(record.count(), 3);
                })
                .expect("parse");
            }
        }
        assert_eq!(records, 30_002);
        assert_eq!(back, text);
    }

    #[test]
    fn prefixes_are_whole_characters() {
        assert_eq!(prefix(b"3571011001", 4), b"3571");
        assert_eq!(prefix(b"35", 4), b"35");
        assert_eq!(prefix("ÉCOLE".as_bytes(), 1), "É".as_bytes());
        assert_eq!(prefix(&[0xff, 0xfe, 0x41], 2), &[0xff, 0xfe]);
    }
}
