//! A run in partitions (*per wilayah*): the input split by a column's prefix (a region code's
//! first four digits: one regency), each partition linked on its own, the largest first, so
//! that memory holds one partition, not the input.
//!
//! 1. **Split**, one pass over each file: a record goes to the partition of its key (the
//!    column's first `n` characters, trimmed), unless one of its identifiers (the values of the
//!    `kind = "nik"` comparisons that are valid as the loader judges them) was seen before: then
//!    it goes where that identifier's first record went. So the records of one NIK always meet,
//!    whatever their regions. The identifier index holds 16 bytes or so per distinct valid
//!    identifier; the rows are written to temporary files, as they were parsed.
//! 2. **Link** each partition in turn, largest first: the first trains the model (unless one is
//!    given) and the others reuse it. Each appends its pairs, clusters and review cases to the
//!    run's outputs; cluster ids are record ids, so they stay unique, and review cases are
//!    numbered on from the partitions before.
//! 3. **Report**: the partitions' reports added up, with the split's figures.
//!
//! What the split costs: two records of one person in different partitions, without a valid
//! identifier in common, are never compared (a mover between regencies whose NIK is missing or
//! wrong in one source). BENCHMARKS.md measures it.

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
pub fn link_partitioned(
    config: &Config,
    inputs: &[PathBuf],
    by: &PartitionBy,
    model: Option<Model>,
    out: &Path,
    work: &Path,
) -> Result<Report, LinkError> {
    let started = Instant::now();
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

/// Splits the inputs into partitions under `work`.
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
    let mut index: HashMap<Vec<u8>, usize> = HashMap::default();
    let mut parts: Vec<Part> = Vec::new();
    // One writer per partition for the input being read (the earlier inputs' are closed).
    let mut writers: Vec<Option<csv::Writer<std::fs::File>>> = Vec::new();
    // Per identifier comparison: its valid values → the partition of their first record.
    let idents = config
        .comparisons
        .iter()
        .filter(|c| c.kind == ComparisonKind::Nik)
        .count();
    let mut seen: Vec<HashMap<u64, u32>> = vec![HashMap::default(); idents];
    let mut following = 0u64;
    let mut headers: Vec<csv::ByteRecord> = Vec::new();
    // The sample: a reservoir (each record kept with the same chance, in one pass).
    let capacity = sample_size(config);
    let mut reservoir: Vec<(usize, csv::ByteRecord)> = Vec::new();
    let mut rng = SplitMix(config.model.seed ^ 0x5041_5254_u64);
    let mut records = 0u64;
    for (k, path) in inputs.iter().enumerate() {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(io(path))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .quoting(quoting)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(file);
        let mut header = csv::ByteRecord::new();
        let read = reader
            .read_byte_record(&mut header)
            .map_err(|e| LinkError::Input(format!("{name}: cannot read the header: {e}")))?;
        if !read {
            return Err(LinkError::Input(format!("{name}: empty file, no header")));
        }
        let names: Vec<String> = header
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_lowercase()
            })
            .collect();
        let column = |c: &str| -> Result<usize, LinkError> {
            let want = c.trim().to_lowercase();
            names.iter().position(|n| *n == want).ok_or_else(|| {
                LinkError::Input(format!(
                    "{name}: column {c:?} (to partition by, or named in the configuration) is \
                     not in the header (found: {})",
                    names.join(", ")
                ))
            })
        };
        let key_col = column(&by.column)?;
        let mut identifiers = Vec::new();
        for c in config
            .comparisons
            .iter()
            .filter(|c| c.kind == ComparisonKind::Nik)
        {
            let valid = match &c.valid_column {
                None => None,
                Some(v) => {
                    let values = if c.valid_values.is_empty() {
                        vec![b"valid".to_vec()]
                    } else {
                        c.valid_values
                            .iter()
                            .map(|x| x.as_bytes().to_vec())
                            .collect()
                    };
                    Some((column(v)?, values))
                }
            };
            identifiers.push(Identifier {
                column: column(&c.column)?,
                valid,
            });
        }
        for w in writers.iter_mut() {
            *w = None;
        }
        let mut record = csv::ByteRecord::new();
        let mut ids: Vec<u64> = vec![0; identifiers.len()];
        loop {
            let more = reader.read_byte_record(&mut record).map_err(|e| {
                LinkError::Input(format!(
                    "{name}: line {}: {e}",
                    record.position().map_or(0, |p| p.line())
                ))
            })?;
            if !more {
                break;
            }
            let field = |c: usize| record.get(c).map_or(&[][..], <[u8]>::trim_ascii);
            let value = field(key_col);
            let key = match by.prefix {
                Some(n) => prefix(value, n),
                None => value,
            };
            let own = match index.get(key) {
                Some(&p) => p,
                None => {
                    if parts.len() == MAX_PARTITIONS {
                        return Err(LinkError::Input(format!(
                            "{name}: partitioning by {by} makes more than {MAX_PARTITIONS} \
                             partitions; use fewer leading characters or another column"
                        )));
                    }
                    let p = parts.len();
                    let dir = work.join(format!("part-{p}"));
                    parts.push(Part {
                        key: key.to_vec(),
                        files: inputs
                            .iter()
                            .enumerate()
                            .map(|(k, input)| part_file(&dir, k, input))
                            .collect(),
                        created: vec![false; inputs.len()],
                        dir,
                        records: 0,
                    });
                    index.insert(key.to_vec(), p);
                    p
                }
            };
            for (id, v) in identifiers.iter().zip(ids.iter_mut()) {
                *v = identifier(id, &field, reference);
            }
            let dest = identifiers_seen(&seen, &ids).unwrap_or(own as u32) as usize;
            for (s, &v) in seen.iter_mut().zip(&ids) {
                if v != 0 {
                    s.entry(v).or_insert(dest as u32);
                }
            }
            if dest != own {
                following += 1;
            }
            if writers.len() < parts.len() {
                writers.resize_with(parts.len(), || None);
            }
            let w = match &mut writers[dest] {
                Some(w) => w,
                slot => {
                    let part = &mut parts[dest];
                    part.created[k] = true;
                    slot.insert(part_writer(&part.files[k], &header, delimiter, quoting)?)
                }
            };
            w.write_byte_record(&record)
                .map_err(|e| csv_io(&parts[dest].files[k], e))?;
            parts[dest].records += 1;
            if reservoir.len() < capacity {
                reservoir.push((k, record.clone()));
            } else {
                let j = rng.below(records as usize + 1);
                if let Some(slot) = reservoir.get_mut(j) {
                    *slot = (k, record.clone());
                }
            }
            records += 1;
        }
        for (p, w) in writers.iter_mut().enumerate() {
            if let Some(mut w) = w.take() {
                w.flush().map_err(io(&parts[p].files[k]))?;
            }
        }
        headers.push(header);
    }
    // Every partition has a file for every input (a header alone where the input had no
    // record there), so that files are the same sources in each.
    for part in &mut parts {
        for (k, header) in headers.iter().enumerate() {
            if !part.created[k] {
                part.created[k] = true;
                let file = &part.files[k];
                part_writer(file, header, delimiter, quoting)?
                    .flush()
                    .map_err(io(file))?;
            }
        }
    }
    parts.sort_by(|a, b| b.records.cmp(&a.records).then_with(|| a.key.cmp(&b.key)));
    // The sample, in the order of the inputs (each input's records in one file).
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
    reservoir.sort_by_key(|(k, _)| *k);
    for (k, header) in headers.iter().enumerate() {
        let file = &sample.files[k];
        let mut w = part_writer(file, header, delimiter, quoting)?;
        for (_, r) in reservoir.iter().filter(|(i, _)| *i == k) {
            w.write_byte_record(r).map_err(|e| csv_io(file, e))?;
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

/// The partition of the first record with one of these identifiers (0: none), if any.
fn identifiers_seen(seen: &[HashMap<u64, u32>], ids: &[u64]) -> Option<u32> {
    seen.iter()
        .zip(ids)
        .find_map(|(s, v)| if *v == 0 { None } else { s.get(v).copied() })
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
fn part_writer(
    path: &Path,
    header: &csv::ByteRecord,
    delimiter: u8,
    quoting: bool,
) -> Result<csv::Writer<std::fs::File>, LinkError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(if quoting {
            csv::QuoteStyle::Necessary
        } else {
            csv::QuoteStyle::Never
        })
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_writer(file);
    w.write_byte_record(header).map_err(|e| csv_io(path, e))?;
    Ok(w)
}

fn csv_io(path: &Path, e: csv::Error) -> LinkError {
    LinkError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
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
    fn prefixes_are_whole_characters() {
        assert_eq!(prefix(b"3571011001", 4), b"3571");
        assert_eq!(prefix(b"35", 4), b"35");
        assert_eq!(prefix("ÉCOLE".as_bytes(), 1), "É".as_bytes());
        assert_eq!(prefix(&[0xff, 0xfe, 0x41], 2), &[0xff, 0xfe]);
    }
}
