//! The input, read once into compact columns: record ids, sources, one prepared feature per
//! comparison and one blocking key per rule. Memory is a few dozen bytes per record plus the
//! text of the compared names; nothing per pair.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;

use dtsen_core::date::Date;
use dtsen_core::nik::Nik;
use foldhash::HashMap;

use crate::block::{part_missing, KeyExpr, KeyFunc};
use crate::config::{ComparisonKind, Config, Mode};
use crate::levels::name_thresholds;
use crate::LinkError;

/// Many strings in one buffer. Offsets are 32-bit (4 bytes a string instead of 8): a column
/// holding more than 4 GiB of text is marked overflowed, and loading fails on it.
#[derive(Debug, Default, Clone)]
pub struct Texts {
    bytes: Vec<u8>,
    ends: Vec<u32>,
    overflow: bool,
}

impl Texts {
    /// Appends one string.
    pub fn push(&mut self, s: &[u8]) {
        self.bytes.extend_from_slice(s);
        let end = self.end();
        self.ends.push(end);
    }
    /// Appends every string of `other`.
    pub fn extend(&mut self, other: &Texts) {
        let base = self.end();
        self.bytes.extend_from_slice(&other.bytes);
        let end = self.end();
        self.overflow |= other.overflow;
        self.ends
            .extend(other.ends.iter().map(|e| base.saturating_add(*e).min(end)));
    }
    /// Empties it, keeping its capacity.
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.overflow = false;
    }
    /// The offset after the last byte, marking an overflow past 4 GiB.
    fn end(&mut self) -> u32 {
        u32::try_from(self.bytes.len()).unwrap_or_else(|_| {
            self.overflow = true;
            u32::MAX
        })
    }
    /// Whether more than 4 GiB of text was pushed (the offsets past it are wrong).
    pub fn overflowed(&self) -> bool {
        self.overflow
    }
    /// Reserves room for `factor` times what `like` holds.
    fn reserve_like(&mut self, like: &Texts, factor: f64) {
        self.bytes
            .reserve((like.bytes.len() as f64 * factor) as usize + like.bytes.len());
        self.ends
            .reserve((like.ends.len() as f64 * factor) as usize + like.ends.len());
    }
    /// The `i`-th string.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }
    /// Where the `i`-th string is in the buffer: (start, end).
    pub fn span(&self, i: usize) -> (u32, u32) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        (start, self.ends[i])
    }
    /// The string at `span` (see [`Texts::span`]).
    pub fn slice(&self, (start, end): (u32, u32)) -> &[u8] {
        &self.bytes[start as usize..end as usize]
    }
    /// The `i`-th string as text (lossy).
    pub fn str(&self, i: usize) -> String {
        String::from_utf8_lossy(self.get(i)).into_owned()
    }
    /// How many strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// One comparison's prepared values for every record.
#[derive(Debug)]
pub enum Feature {
    /// Values by 64-bit hash (0 = missing), how many records share each record's value, and
    /// the text. Equality is equality of hashes: two different values collide with
    /// probability 2^-64 per pair, far below any error the data has.
    Exact {
        /// Hash of the value per record (0 = missing).
        hashes: Vec<u64>,
        /// Records sharing the value, per record (empty without term-frequency adjustment).
        counts: Vec<u32>,
        /// The value of each record.
        text: Texts,
    },
    /// Standardised names.
    Name {
        /// Hash of the name per record (0 = missing).
        hashes: Vec<u64>,
        /// Records sharing the name, per record (empty without term-frequency adjustment).
        counts: Vec<u32>,
        /// Hash of the sorted token list per record, to recognise reordered names.
        sorted: Vec<u64>,
        /// The name of each record.
        text: Texts,
        /// Jaro–Winkler threshold of `close`.
        close: f64,
        /// Jaro–Winkler threshold of `far`.
        far: f64,
    },
    /// Dates packed `year << 9 | month << 5 | day`, unknown parts 0, missing 0.
    Date {
        /// Value per record.
        values: Vec<u32>,
    },
    /// NIKs as numbers (0 = missing or not 16 digits).
    Nik {
        /// Value per record.
        values: Vec<u64>,
        /// Whether the NIK is well formed (region, date, serial).
        valid: Vec<bool>,
    },
    /// Region codes as 10-digit numbers (0 = missing).
    Region {
        /// Value per record.
        values: Vec<u64>,
    },
    /// Numbers (NaN = missing).
    Numeric {
        /// Value per record.
        values: Vec<f64>,
        /// Threshold of `close`.
        close: f64,
        /// Threshold of `far`.
        far: f64,
    },
}

impl Feature {
    /// For term-frequency adjustment: the relative frequency of record `i`'s value.
    pub fn term_frequency(&self, i: usize, records: usize) -> Option<f64> {
        match self {
            Feature::Exact { hashes, counts, .. } | Feature::Name { hashes, counts, .. } => {
                let count = counts.get(i).copied().unwrap_or(1);
                (hashes[i] != 0).then(|| f64::from(count) / records.max(1) as f64)
            }
            _ => None,
        }
    }

    /// Record `i`'s value as text, for explanations.
    pub fn display(&self, i: usize) -> String {
        match self {
            // Loaded without the values' text ([`Keep`]): only the linking needs them not.
            Feature::Exact { text, .. } if i >= text.len() => "(not kept)".to_string(),
            Feature::Exact { text, .. } | Feature::Name { text, .. } => text.str(i),
            Feature::Date { values } => {
                let v = values[i];
                if v == 0 {
                    String::new()
                } else {
                    format!("{:04}-{:02}-{:02}", v >> 9, (v >> 5) & 15, v & 31)
                }
            }
            Feature::Nik { values, .. } | Feature::Region { values } => {
                if values[i] == 0 {
                    String::new()
                } else {
                    values[i].to_string()
                }
            }
            Feature::Numeric { values, .. } => {
                if values[i].is_nan() {
                    String::new()
                } else {
                    values[i].to_string()
                }
            }
        }
    }

    /// Whether record `i` holds a valid identifier (NIK: well formed; exact: present).
    pub fn is_valid(&self, i: usize) -> bool {
        match self {
            Feature::Nik { valid, .. } => valid[i],
            Feature::Exact { hashes, .. } | Feature::Name { hashes, .. } => hashes[i] != 0,
            Feature::Date { values } => values[i] != 0,
            Feature::Region { values } => values[i] != 0,
            Feature::Numeric { values, .. } => !values[i].is_nan(),
        }
    }
}

/// The whole input, prepared.
#[derive(Debug)]
pub struct Dataset {
    /// Record ids (the `input.id` columns joined with `:`).
    pub ids: Texts,
    /// Source index per record (0 when there is no source column).
    pub sources: Vec<u16>,
    /// Source names by index.
    pub source_names: Vec<String>,
    /// One feature per comparison, in configuration order.
    pub features: Vec<Feature>,
    /// One key per blocking rule per record, row-major (`keys[i * rules + r]`; 0 = no key: a
    /// part is missing): the checks between rules touch one cache line per record.
    pub keys: Vec<u64>,
    /// Number of blocking rules.
    pub rules: usize,
    /// Rows with fewer fields than the header (read with the missing fields empty).
    pub short_rows: usize,
    /// Per comparison, whether value frequencies are needed (term-frequency adjustment).
    pub needs_counts: Vec<bool>,
    /// The pair mode.
    pub mode: Mode,
}

impl Dataset {
    /// Value frequencies, for the comparisons with term-frequency adjustment (none elsewhere:
    /// [`Feature::term_frequency`] then assumes 1).
    fn count_values(&mut self) {
        for (f, &needed) in self.features.iter_mut().zip(&self.needs_counts) {
            if let Feature::Exact { hashes, counts, .. } | Feature::Name { hashes, counts, .. } = f
            {
                *counts = if needed {
                    value_counts(hashes)
                } else {
                    Vec::new()
                };
            }
        }
    }

    /// The id of record `i`.
    pub fn id(&self, i: usize) -> &[u8] {
        self.ids.get(i)
    }
    /// Whether an id holds a character that CSV output must quote (`,` `"` CR LF).
    pub fn ids_need_quoting(&self) -> bool {
        let bytes = &self.ids.bytes;
        memchr::memchr3(b',', b'"', b'\n', bytes).is_some()
            || memchr::memchr(b'\r', bytes).is_some()
    }

    /// The id of record `i` as text.
    pub fn id_str(&self, i: usize) -> String {
        String::from_utf8_lossy(self.id(i)).into_owned()
    }
    /// Record `i`'s value of comparison `c`, as text (for explanations).
    pub fn display(&self, c: usize, i: usize) -> String {
        self.features[c].display(i)
    }
    /// Drops the blocking keys (after blocking): [`Dataset::key`] must not be called after.
    pub fn release_keys(&mut self) {
        self.keys = Vec::new();
    }
    /// Drops the compared values of every comparison but `keep` (after scoring): only the
    /// ids, sources and that comparison stay usable.
    pub fn release_features(&mut self, keep: Option<usize>) {
        for (c, f) in self.features.iter_mut().enumerate() {
            if Some(c) != keep {
                *f = Feature::Date { values: Vec::new() };
            }
        }
    }
    /// The key of record `i` under blocking rule `r`.
    pub fn key(&self, i: usize, r: usize) -> u64 {
        self.keys[i * self.rules + r]
    }
    /// Number of records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Index of a record by id.
    pub fn find(&self, id: &str) -> Option<usize> {
        (0..self.len()).find(|&i| self.id(i) == id.as_bytes())
    }
    /// Number of pairs in scope (every pair, or pairs across sources).
    pub fn total_pairs(&self) -> f64 {
        let n = self.len() as f64;
        match self.mode {
            Mode::Dedupe => n * (n - 1.0) / 2.0,
            Mode::Link => {
                let mut per = vec![0f64; self.source_names.len().max(1)];
                for &s in &self.sources {
                    per[s as usize] += 1.0;
                }
                let sum: f64 = per.iter().sum();
                let sq: f64 = per.iter().map(|c| c * c).sum();
                (sum * sum - sq) / 2.0
            }
        }
    }
}

/// Whether a field means "missing" (formats.md: empty, `-`, `NULL`).
pub(crate) fn is_missing(s: &[u8]) -> bool {
    s.is_empty() || s == b"-" || s.eq_ignore_ascii_case(b"null")
}

enum Builder {
    Exact(Vec<u64>, Texts),
    Name {
        hashes: Vec<u64>,
        sorted: Vec<u64>,
        text: Texts,
        close: f64,
        far: f64,
    },
    Date(Vec<u32>),
    Nik(Vec<u64>, Vec<bool>),
    Region(Vec<u64>),
    Numeric(Vec<f64>, f64, f64),
}

impl Builder {
    /// Reserves room for `factor` times the records of `like`, a batch of the same kind.
    fn reserve_like(&mut self, like: &Column, factor: f64) {
        fn more<T>(v: &mut Vec<T>, n: usize, factor: f64) {
            v.reserve((n as f64 * factor) as usize + n);
        }
        match (self, like) {
            (Builder::Exact(all, text), Column::Text(texts, hashes)) => {
                more(all, hashes.len(), factor);
                text.reserve_like(texts, factor);
            }
            (
                Builder::Name {
                    hashes: all,
                    sorted,
                    text,
                    ..
                },
                Column::Name {
                    texts,
                    hashes,
                    sorted_hashes,
                },
            ) => {
                more(all, hashes.len(), factor);
                more(sorted, sorted_hashes.len(), factor);
                text.reserve_like(texts, factor);
            }
            (Builder::Date(values), Column::Date(v)) => more(values, v.len(), factor),
            (Builder::Nik(values, ok), Column::Nik(v, w)) => {
                more(values, v.len(), factor);
                more(ok, w.len(), factor);
            }
            (Builder::Region(values), Column::Region(v)) => more(values, v.len(), factor),
            (Builder::Numeric(values, ..), Column::Number(v)) => more(values, v.len(), factor),
            _ => {}
        }
    }

    /// Appends a prepared batch of the same kind.
    fn append(&mut self, col: &Column) {
        match (self, col) {
            (Builder::Exact(all, text), Column::Text(texts, hashes)) => {
                all.extend_from_slice(hashes);
                text.extend(texts);
            }
            (
                Builder::Name {
                    hashes: all,
                    sorted,
                    text,
                    ..
                },
                Column::Name {
                    texts,
                    hashes,
                    sorted_hashes,
                },
            ) => {
                all.extend_from_slice(hashes);
                sorted.extend_from_slice(sorted_hashes);
                text.extend(texts);
            }
            (Builder::Date(values), Column::Date(v)) => values.extend_from_slice(v),
            (Builder::Nik(values, ok), Column::Nik(v, w)) => {
                values.extend_from_slice(v);
                ok.extend_from_slice(w);
            }
            (Builder::Region(values), Column::Region(v)) => values.extend_from_slice(v),
            (Builder::Numeric(values, ..), Column::Number(v)) => values.extend_from_slice(v),
            // Builders and columns are made from the same kinds in the same order.
            _ => unreachable!("a prepared column of another kind than its comparison"),
        }
    }
}

/// How many records share each record's value (by hash; 0 = missing gets 0), in parallel.
fn value_counts(hashes: &[u64]) -> Vec<u32> {
    let mut order = Vec::new();
    crate::sort::sort_by_key(hashes.len(), |i| hashes[i], &mut order, &mut Vec::new());
    let mut counts = Vec::new();
    crate::sort::filled(&mut counts, hashes.len(), 0u32);
    let mut start = order.partition_point(|x| x.0 == 0);
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        let n = (end - start) as u32;
        for &(_, i) in &order[start..end] {
            counts[i as usize] = n;
        }
        start = end;
    }
    counts
}

/// Parses a date in `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY` (also `YYYY/MM/DD`) or
/// `YYYYMMDD`, with `00`, `98` or `99` for an unknown day or month; packs it, 0 when unreadable.
pub fn pack_date(s: &[u8]) -> u32 {
    let mut parts: [&[u8]; 3] = [&[]; 3];
    if s.len() == 8 && s.iter().all(u8::is_ascii_digit) {
        parts = [&s[..4], &s[4..6], &s[6..]];
    } else {
        let mut n = 0;
        for p in s.split(|&c| c == b'-' || c == b'/' || c == b'.') {
            if n == 3 {
                return 0;
            }
            parts[n] = p;
            n += 1;
        }
        if n != 3 {
            return 0;
        }
    }
    let num = |p: &[u8]| -> Option<u32> {
        if p.is_empty() || p.len() > 4 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(p.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = match &parts {
        [a, b, c] if a.len() == 4 => (num(a), num(b), num(c)),
        [a, b, c] if c.len() == 4 => (num(c), num(b), num(a)),
        _ => return 0,
    };
    let (Some(y), Some(m), Some(d)) = (y, m, d) else {
        return 0;
    };
    if !(1800..=2200).contains(&y) {
        return 0;
    }
    let m = if (1..=12).contains(&m) { m } else { 0 };
    let d = if (1..=31).contains(&d) { d } else { 0 };
    y << 9 | m << 5 | d
}

/// A region code's digits as a 10-digit number (`35.71` → 3571000000), 0 when unreadable.
pub fn pack_region(s: &[u8]) -> u64 {
    let mut v = 0u64;
    let mut n = 0;
    for &c in s {
        match c {
            b'0'..=b'9' => {
                if n == 10 {
                    return 0;
                }
                v = v * 10 + u64::from(c - b'0');
                n += 1;
            }
            b'.' | b' ' => {}
            _ => return 0,
        }
    }
    if n == 0 || v == 0 {
        return 0;
    }
    v * 10u64.pow(10 - n)
}

/// Whether a NIK's digits have its structure (region, birth date, serial), as of `reference`;
/// the loader's test when no validity column is configured.
pub(crate) fn nik_structure_ok(v: &[u8], reference: Date) -> bool {
    std::str::from_utf8(v).is_ok_and(|s| Nik::parse_structure(s, reference).is_ok())
}

/// The date NIK structures are checked against (far enough ahead that no birth date is in
/// its future: the loader checks the structure, ingest the dates).
pub(crate) fn nik_reference() -> Result<Date, LinkError> {
    Date::new(2100, 1, 1).map_err(|e| LinkError::Input(e.to_string()))
}

/// A NIK's 16 digits as a number (spaces, dots and dashes ignored), 0 when not 16 digits.
pub fn pack_nik(s: &[u8]) -> u64 {
    let mut v = 0u64;
    let mut n = 0;
    for &c in s {
        match c {
            b'0'..=b'9' => {
                v = v * 10 + u64::from(c - b'0');
                n += 1;
                if n > 16 {
                    return 0;
                }
            }
            b' ' | b'.' | b'-' | b'\'' => {}
            _ => return 0,
        }
    }
    if n == 16 {
        v
    } else {
        0
    }
}

/// Reads a delimited file into a prepared [`Dataset`].
pub fn load(config: &Config, name: &str, input: impl Read + Send) -> Result<Dataset, LinkError> {
    let mut acc = Accum::new(config);
    load_one(config, name, input, None, &mut acc, None, Keep::ALL)?;
    Ok(acc.finish(config))
}

/// One input of [`load_files`]: a name for messages and sources, the bytes, and their size
/// when known (a file's), which lets the columns be allocated once.
pub struct Input {
    /// Named in messages; the source's name when files are sources.
    pub name: String,
    /// The delimited text.
    pub reader: Box<dyn Read + Send>,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
}

impl Input {
    /// Opens a file; its name is the file's stem.
    pub fn file(path: &std::path::Path) -> std::io::Result<Input> {
        let file = std::fs::File::open(path)?;
        let size = file.metadata().ok().map(|m| m.len());
        let name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        Ok(Input {
            name,
            reader: Box::new(file),
            size,
        })
    }

    /// Bytes in memory, named.
    pub fn bytes(name: &str, bytes: &'static [u8]) -> Input {
        Input {
            name: name.to_string(),
            reader: Box::new(bytes),
            size: Some(bytes.len() as u64),
        }
    }
}

/// What a load keeps beyond what linking needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// The text of the exact comparisons' values (a family card number, a sex code), which
    /// only explanations show: linking compares their hashes. Names are always kept (they
    /// are compared as text).
    pub exact_text: bool,
}

impl Keep {
    /// Everything: for explanations.
    pub const ALL: Keep = Keep { exact_text: true };
    /// What linking needs (about 25 bytes a record less on the registry's persons).
    pub const LINKING: Keep = Keep { exact_text: false };
}

/// Reads several files into one [`Dataset`] (each with its own header, in any column order).
/// Without a configured source column, each file is a source named after it, so
/// `mode = "link"` links two files.
pub fn load_files(config: &Config, inputs: Vec<Input>) -> Result<Dataset, LinkError> {
    load_files_keeping(config, inputs, Keep::ALL)
}

/// [`load_files`], keeping only what `keep` says beyond what linking needs.
pub fn load_files_keeping(
    config: &Config,
    inputs: Vec<Input>,
    keep: Keep,
) -> Result<Dataset, LinkError> {
    let mut acc = Accum::new(config);
    let by_file = config.input.source.is_none() && inputs.len() > 1;
    for (k, Input { name, reader, size }) in inputs.into_iter().enumerate() {
        let file_source = if by_file {
            if k >= usize::from(u16::MAX) {
                return Err(LinkError::Input("more than 65,534 input files".into()));
            }
            acc.source_names.push(name.clone());
            Some(k as u16)
        } else {
            None
        };
        load_one(config, &name, reader, size, &mut acc, file_source, keep)?;
    }
    let mut texts = std::iter::once(&acc.ids).chain(acc.builders.iter().filter_map(|b| match b {
        Builder::Exact(_, text) | Builder::Name { text, .. } => Some(text),
        _ => None,
    }));
    if texts.any(Texts::overflowed) {
        return Err(LinkError::Input(
            "a text column (ids or a compared column) holds more than 4 GiB: link the input in \
             parts (by region, as consolidation does)"
                .into(),
        ));
    }
    Ok(acc.finish(config))
}

/// What the files read so far add up to.
struct Accum {
    ids: Texts,
    sources: Vec<u16>,
    source_names: Vec<String>,
    source_index: HashMap<Vec<u8>, u16>,
    last_source: Option<(Vec<u8>, u16)>,
    keys: Vec<u64>,
    short_rows: usize,
    builders: Vec<Builder>,
    validity: Vec<Option<Vec<bool>>>,
}

impl Accum {
    fn new(config: &Config) -> Accum {
        let builders = config
            .comparisons
            .iter()
            .map(|c| match c.kind {
                ComparisonKind::Exact => Builder::Exact(Vec::new(), Texts::default()),
                ComparisonKind::Name => {
                    let (close, far) = name_thresholds(&c.thresholds);
                    Builder::Name {
                        hashes: Vec::new(),
                        sorted: Vec::new(),
                        text: Texts::default(),
                        close,
                        far,
                    }
                }
                ComparisonKind::Date => Builder::Date(Vec::new()),
                ComparisonKind::Nik => Builder::Nik(Vec::new(), Vec::new()),
                ComparisonKind::Region => Builder::Region(Vec::new()),
                // Thresholds are checked when the configuration is parsed.
                ComparisonKind::Numeric => Builder::Numeric(
                    Vec::new(),
                    c.thresholds.first().copied().unwrap_or(0.0),
                    c.thresholds.get(1).copied().unwrap_or(0.0),
                ),
            })
            .collect();
        let validity = config
            .comparisons
            .iter()
            .map(|c| c.valid_column.as_ref().map(|_| Vec::new()))
            .collect();
        Accum {
            ids: Texts::default(),
            sources: Vec::new(),
            source_names: Vec::new(),
            source_index: HashMap::default(),
            last_source: None,
            keys: Vec::new(),
            short_rows: 0,
            builders,
            validity,
        }
    }

    fn finish(self, config: &Config) -> Dataset {
        let Accum {
            ids,
            sources,
            mut source_names,
            keys,
            short_rows,
            builders,
            validity,
            ..
        } = self;
        let features = builders
            .into_iter()
            .zip(validity)
            .map(|(b, validity)| match b {
                Builder::Exact(hashes, text) => Feature::Exact {
                    counts: Vec::new(),
                    hashes,
                    text,
                },
                Builder::Name {
                    hashes,
                    sorted,
                    text,
                    close,
                    far,
                } => Feature::Name {
                    counts: Vec::new(),
                    hashes,
                    sorted,
                    text,
                    close,
                    far,
                },
                Builder::Date(values) => Feature::Date { values },
                Builder::Nik(values, valid) => {
                    // A validity column, when configured, has the last word.
                    let valid = match validity {
                        Some(v) => v
                            .iter()
                            .zip(&values)
                            .map(|(&ok, &n)| ok && n != 0)
                            .collect(),
                        None => valid,
                    };
                    Feature::Nik { values, valid }
                }
                Builder::Region(values) => Feature::Region { values },
                Builder::Numeric(values, close, far) => Feature::Numeric { values, close, far },
            })
            .collect();
        if source_names.is_empty() {
            source_names.push(String::new());
        }
        let mut data = Dataset {
            ids,
            sources,
            source_names,
            features,
            keys,
            rules: config.blocking.len(),
            short_rows,
            needs_counts: config
                .comparisons
                .iter()
                .map(|c| c.term_frequency)
                .collect(),
            mode: config.input.mode,
        };
        data.count_values();
        data
    }
}

/// Reads one file into the accumulated columns; `file_source` is its source when files are sources.
fn load_one(
    config: &Config,
    name: &str,
    input: impl Read + Send,
    size_hint: Option<u64>,
    acc: &mut Accum,
    file_source: Option<u16>,
    keep: Keep,
) -> Result<(), LinkError> {
    let delimiter = config.delimiter()?;
    let quoting = config.input.quoting.unwrap_or(delimiter != b'\t');
    // The header is read on its own (a quoted name may span lines); the rest is read in
    // blocks that end at a record boundary and are parsed in parallel.
    let mut input = std::io::BufReader::with_capacity(1 << 20, input);
    let mut header_bytes = Vec::new();
    loop {
        let read = std::io::BufRead::read_until(&mut input, b'\n', &mut header_bytes)
            .map_err(|e| LinkError::Input(format!("{name}: cannot read the header: {e}")))?;
        let quotes = header_bytes.iter().filter(|&&c| c == b'"').count();
        if read == 0 || !quoting || quotes % 2 == 0 {
            break;
        }
    }
    let header_lines = memchr::memchr_iter(b'\n', &header_bytes).count() as u64;
    let header = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(true)
        .from_reader(header_bytes.as_slice())
        .byte_headers()
        .map_err(|e| LinkError::Input(format!("{name}: cannot read the header: {e}")))?
        .clone();
    let names = header_names(&header);
    let column = |c: &str| find_column(&names, c, name, "named in the configuration");
    let id_cols = config
        .input
        .id
        .iter()
        .map(|c| column(c))
        .collect::<Result<Vec<_>, _>>()?;
    let source_col = config.input.source.as_deref().map(column).transpose()?;
    let mut comp_cols = Vec::new();
    let mut valid_cols: Vec<ValidColumn> = Vec::new();
    for c in &config.comparisons {
        valid_cols.push(match &c.valid_column {
            None => None,
            Some(v) => Some((column(v)?, valid_values(c))),
        });
    }
    for c in &config.comparisons {
        comp_cols.push(column(&c.column)?);
    }
    // Key parts shared by several rules (a phonetic name, a birth date) are computed once a
    // record.
    let mut key_parts: Vec<(KeyExpr, usize)> = Vec::new();
    let mut rules = Vec::new();
    for r in &config.blocking {
        let mut parts = Vec::new();
        for k in &r.keys {
            let e = KeyExpr::parse(k)?;
            let col = column(&e.column)?;
            let part = match key_parts.iter().position(|p| p.0 == e && p.1 == col) {
                Some(p) => p,
                None => {
                    key_parts.push((e, col));
                    key_parts.len() - 1
                }
            };
            parts.push(part);
        }
        rules.push(parts);
    }
    // A part a comparison's preparation already holds: a value compared exactly (its hash),
    // the sorted tokens of a name compared as one, the year of a date compared as one.
    let shared_parts: Vec<Option<usize>> = key_parts
        .iter()
        .map(|(e, col)| {
            config
                .comparisons
                .iter()
                .zip(&comp_cols)
                .position(|(c, cc)| {
                    cc == col
                        && matches!(
                            (e.func, c.kind),
                            (KeyFunc::Value, ComparisonKind::Exact)
                                | (KeyFunc::SortedTokens, ComparisonKind::Name)
                                | (KeyFunc::Year, ComparisonKind::Date)
                        )
                })
        })
        .collect();
    let hasher = foldhash::fast::FixedState::with_seed(0x6474_7365_6e21);
    let reference = nik_reference()?;

    let Accum {
        ids,
        sources,
        source_names,
        source_index,
        last_source,
        keys,
        short_rows,
        builders,
        validity,
    } = acc;
    let kinds: Vec<(ComparisonKind, bool)> = config
        .comparisons
        .iter()
        .zip(&valid_cols)
        .map(|(c, v)| (c.kind, v.is_some()))
        .collect();
    let prep = Prep {
        id_cols: &id_cols,
        comp_cols: &comp_cols,
        kinds: &kinds,
        valid_cols: &valid_cols,
        key_parts: &key_parts,
        shared_parts: &shared_parts,
        rules: &rules,
        keep,
        hasher,
        reference,
        width: names.len(),
        source_col,
        delimiter,
        quoting,
    };
    // A reader thread cuts the input into blocks of whole records (a cut is a line end with an
    // even number of quotes before it); each block is parsed and prepared (values, phonetic
    // keys, hashes) into columns by whichever thread of the pool is free, a few blocks in
    // flight at a time; an appender thread adds the prepared blocks to the columns in file
    // order (holding back those that finish early), so the result does not depend on the
    // number of threads or on which block finishes first. Block buffers and prepared batches go
    // back to be refilled, and the columns are reserved once from the first block's size and
    // the file's, so memory is neither zeroed nor copied again and again as they grow.
    const BLOCK: usize = 1 << 20;
    let window = 2 * rayon::current_num_threads().max(2);
    type Block = (Vec<u8>, u64);
    type Prepared = (usize, Result<BatchOut, LinkError>, usize);
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Result<Block, LinkError>>(window);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    // A block is prepared only with a slot: the appender gives one back for each block it has
    // added, so blocks waiting to be added (one slow block holds back those after it) stay few.
    let (slot_tx, slot_rx) = std::sync::mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        let _ = slot_tx.send(());
    }
    let (prepared_tx, prepared_rx) = std::sync::mpsc::sync_channel::<Prepared>(window);
    let (recycle_tx, recycle_rx) = std::sync::mpsc::channel::<BatchOut>();
    let nrules = rules.len();
    std::thread::scope(|scope| -> Result<(), LinkError> {
        scope.spawn(move || {
            let mut carry: Vec<u8> = Vec::new();
            let mut line = header_lines + 1;
            loop {
                let mut block = empty_rx.try_recv().unwrap_or_default();
                block.clear();
                block.extend_from_slice(&carry);
                let want = block.len() + BLOCK;
                block.reserve(BLOCK);
                let mut eof = false;
                while block.len() < want {
                    // Into the block's spare room, without zeroing it first.
                    let room = (want - block.len()) as u64;
                    match (&mut input).take(room).read_to_end(&mut block) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let _ = full_tx.send(Err(LinkError::Input(format!("{name}: {e}"))));
                            return;
                        }
                    }
                }
                let cut = if eof {
                    Some(block.len())
                } else {
                    record_boundary(&block, quoting)
                };
                let Some(cut) = cut else {
                    carry = block; // one record longer than a block: read on
                    continue;
                };
                carry.clear();
                carry.extend_from_slice(&block[cut..]);
                block.truncate(cut);
                let lines = memchr::memchr_iter(b'\n', &block).count() as u64;
                if !block.is_empty() && full_tx.send(Ok((block, line))).is_err() {
                    return;
                }
                line += lines;
                if eof {
                    return;
                }
            }
        });
        let appender = scope.spawn(move || -> Result<(), LinkError> {
            let mut reserved = false;
            type Waiting = (Result<BatchOut, LinkError>, usize);
            let mut waiting: std::collections::BTreeMap<usize, Waiting> = Default::default();
            let mut next = 0;
            for (seq, prepared, bytes) in prepared_rx {
                waiting.insert(seq, (prepared, bytes));
                while let Some((prepared, bytes)) = waiting.remove(&next) {
                    next += 1;
                    // In file order, so the error reported is the first in the file.
                    let mut out = prepared?;
                    if !reserved {
                        reserved = true;
                        let rows = out.ids.len();
                        if let Some(size) = size_hint {
                            // The rest of the file at the first block's bytes per record, and a
                            // little more: an estimate, the columns still grow if it is short.
                            let left = size.saturating_sub(bytes as u64) as f64;
                            let per_row = bytes as f64 / rows.max(1) as f64;
                            let factor = left / per_row * 1.03 / rows.max(1) as f64;
                            ids.reserve_like(&out.ids, factor);
                            sources.reserve((factor * rows as f64) as usize + rows);
                            keys.reserve(
                                (factor * out.keys.len() as f64) as usize + rows * nrules,
                            );
                            for (b, col) in builders.iter_mut().zip(&out.columns) {
                                b.reserve_like(col, factor);
                            }
                            for (v, out_valid) in validity.iter_mut().zip(&out.validity) {
                                if let Some(v) = v {
                                    v.reserve((factor * out_valid.len() as f64) as usize + rows);
                                }
                            }
                        }
                    }
                    *short_rows += out.short_rows;
                    ids.extend(&out.ids);
                    for k in 0..out.ids.len() {
                        let source = match source_col {
                            None => file_source.unwrap_or(0),
                            Some(_) => {
                                let s = out.sources.get(k);
                                // Files usually hold one source after another.
                                match last_source
                                    .as_ref()
                                    .filter(|(name, _)| name.as_slice() == s)
                                {
                                    Some(&(_, k)) => k,
                                    None => match source_index.get(s) {
                                        Some(&k) => {
                                            *last_source = Some((s.to_vec(), k));
                                            k
                                        }
                                        None => {
                                            let k = source_names.len() as u16;
                                            if k == u16::MAX {
                                                return Err(LinkError::Input(format!(
                                            "{name}: more than 65,534 distinct sources; is input.source the right column?"
                                        )));
                                            }
                                            source_names
                                                .push(String::from_utf8_lossy(s).into_owned());
                                            source_index.insert(s.to_vec(), k);
                                            *last_source = Some((s.to_vec(), k));
                                            k
                                        }
                                    },
                                }
                            }
                        };
                        sources.push(source);
                    }
                    for (b, col) in builders.iter_mut().zip(&out.columns) {
                        b.append(col);
                    }
                    for (v, out_valid) in validity.iter_mut().zip(&out.validity) {
                        if let Some(v) = v {
                            v.extend_from_slice(out_valid);
                        }
                    }
                    keys.extend_from_slice(&out.keys);
                    out.clear();
                    // The preparation may have finished: then the batch is dropped.
                    let _ = recycle_tx.send(out);
                    let _ = slot_tx.send(());
                }
            }
            Ok(())
        });
        let mut failed = None;
        // Spawned from this thread (not one of the pool's), which waits on the channels.
        rayon::in_place_scope(|pool| {
            let prep = &prep;
            for (seq, block) in full_rx.iter().enumerate() {
                let (bytes, line) = match block {
                    Ok(block) => block,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                };
                // No slot: the appender stopped on an error, which its join reports.
                if slot_rx.recv().is_err() {
                    break;
                }
                let reuse = recycle_rx.try_recv().ok();
                let (prepared_tx, empty_tx) = (prepared_tx.clone(), empty_tx.clone());
                pool.spawn(move |_| {
                    let prepared = prep.block(&bytes, line, name, reuse);
                    let size = bytes.len();
                    let _ = empty_tx.send(bytes);
                    let _ = prepared_tx.send((seq, prepared, size));
                });
            }
        });
        drop(prepared_tx);
        drop(full_rx);
        let appended = appender
            .join()
            .unwrap_or_else(|_| Err(LinkError::Input(format!("{name}: the appender failed"))));
        match failed {
            Some(e) => Err(e),
            None => appended,
        }
    })?;
    Ok(())
}

/// A header's column names as matched: trimmed, without a byte-order mark, in lower case.
pub(crate) fn header_names(header: &csv::ByteRecord) -> Vec<String> {
    header
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_lowercase()
        })
        .collect()
}

/// The position of column `c` among `names` (case and spaces ignored), or an error naming
/// the file, the column, why it was wanted and the columns there are.
pub(crate) fn find_column(
    names: &[String],
    c: &str,
    file: &str,
    wanted: &str,
) -> Result<usize, LinkError> {
    let want = c.trim().to_lowercase();
    names.iter().position(|n| *n == want).ok_or_else(|| {
        LinkError::Input(format!(
            "{file}: column {c:?} {wanted} is not in the header (found: {})",
            names.join(", ")
        ))
    })
}

/// The values of a comparison's validity column that mean valid (`valid` by default).
pub(crate) fn valid_values(c: &crate::config::ComparisonConfig) -> Vec<Vec<u8>> {
    if c.valid_values.is_empty() {
        vec![b"valid".to_vec()]
    } else {
        c.valid_values
            .iter()
            .map(|x| x.as_bytes().to_vec())
            .collect()
    }
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// The end of the last whole record in `block`: just after its last line end that has an even
/// number of quotes before it (no quoted field open), or `None` when there is none.
pub(crate) fn record_boundary(block: &[u8], quoting: bool) -> Option<usize> {
    if !quoting {
        return memchr::memrchr(b'\n', block).map(|p| p + 1);
    }
    let mut even = true;
    let mut last = None;
    for p in memchr::memchr2_iter(b'"', b'\n', block) {
        if block[p] == b'"' {
            even = !even;
        } else if even {
            last = Some(p + 1);
        }
    }
    last
}

/// Records of a block with no quote (when quoting) and no carriage return: fields are what
/// lies between delimiters, and the CSV reader's state machine is not needed. It reads them
/// exactly as the reader does (empty lines skipped, short rows kept short); a block with a
/// quote or a carriage return goes to the reader.
struct PlainRecords<'a> {
    /// What is left of the block.
    rest: &'a [u8],
    delimiter: u8,
}

impl<'a> PlainRecords<'a> {
    /// Whether `block` can be read this way.
    fn fits(block: &[u8], quoting: bool) -> bool {
        if quoting {
            memchr::memchr2(b'"', b'\r', block).is_none()
        } else {
            memchr::memchr(b'\r', block).is_none()
        }
    }

    fn new(block: &'a [u8], delimiter: u8) -> PlainRecords<'a> {
        PlainRecords {
            rest: block,
            delimiter,
        }
    }

    /// Reads the next record into `record`; false at the end.
    fn next_into(&mut self, record: &mut PlainRecord<'a>) -> bool {
        while !self.rest.is_empty() {
            let end = memchr::memchr(b'\n', self.rest).unwrap_or(self.rest.len());
            let line = &self.rest[..end];
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if line.is_empty() {
                continue;
            }
            record.line = line;
            record.delimiters.clear();
            record
                .delimiters
                .extend(memchr::memchr_iter(self.delimiter, line));
            return true;
        }
        false
    }
}

/// Calls `each` with every record of `block` (whole records, as [`record_boundary`] cuts
/// them): its raw text's range in the block, line end included (and any empty lines before
/// it), and its fields, read as the loader reads them.
pub(crate) fn for_each_record(
    block: &[u8],
    delimiter: u8,
    quoting: bool,
    mut each: impl FnMut(std::ops::Range<usize>, &dyn Fields),
) -> Result<(), csv::Error> {
    if PlainRecords::fits(block, quoting) {
        let mut records = PlainRecords::new(block, delimiter);
        let mut record = PlainRecord::default();
        loop {
            let start = block.len() - records.rest.len();
            if !records.next_into(&mut record) {
                return Ok(());
            }
            each(start..block.len() - records.rest.len(), &record);
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(false)
        .flexible(true)
        .from_reader(block);
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        if !reader.read_byte_record(&mut record)? {
            return Ok(());
        }
        each(start..reader.position().byte() as usize, &record);
    }
}

/// The fields of a record, as the preparation reads them.
pub(crate) trait Fields {
    /// How many fields.
    fn count(&self) -> usize;
    /// Field `k`, if the record has it.
    fn field(&self, k: usize) -> Option<&[u8]>;
}

impl Fields for csv::ByteRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn field(&self, k: usize) -> Option<&[u8]> {
        self.get(k)
    }
}

/// A line of a plain block (see [`PlainRecords`]) and where its delimiters are: its fields
/// are read in place, not copied.
#[derive(Default)]
struct PlainRecord<'a> {
    line: &'a [u8],
    delimiters: Vec<usize>,
}

impl Fields for PlainRecord<'_> {
    fn count(&self) -> usize {
        self.delimiters.len() + 1
    }
    fn field(&self, k: usize) -> Option<&[u8]> {
        let start = match k {
            0 => 0,
            _ => self.delimiters.get(k - 1)? + 1,
        };
        let end = self.delimiters.get(k).copied().unwrap_or(self.line.len());
        self.line.get(start..end)
    }
}

/// A batch of records prepared in columns. Batches go back to the preparation once appended
/// (cleared, their capacity kept): the memory of a few batches is reused for the whole file
/// instead of being faulted in anew for every block.
struct BatchOut {
    ids: Texts,
    sources: Texts,
    columns: Vec<Column>,
    validity: Vec<Vec<bool>>,
    /// Blocking keys, row-major like [`Dataset::keys`].
    keys: Vec<u64>,
    short_rows: usize,
}

impl BatchOut {
    /// Empties every column, keeping the capacity.
    fn clear(&mut self) {
        self.ids.clear();
        self.sources.clear();
        for c in &mut self.columns {
            match c {
                Column::Text(t, h) => {
                    t.clear();
                    h.clear();
                }
                Column::Name {
                    texts,
                    hashes,
                    sorted_hashes,
                } => {
                    texts.clear();
                    hashes.clear();
                    sorted_hashes.clear();
                }
                Column::Date(v) => v.clear(),
                Column::Nik(v, w) => {
                    v.clear();
                    w.clear();
                }
                Column::Region(v) => v.clear(),
                Column::Number(v) => v.clear(),
            }
        }
        for v in &mut self.validity {
            v.clear();
        }
        self.keys.clear();
        self.short_rows = 0;
    }
}

/// One comparison's values for a batch.
enum Column {
    Text(Texts, Vec<u64>),
    Name {
        texts: Texts,
        hashes: Vec<u64>,
        sorted_hashes: Vec<u64>,
    },
    Date(Vec<u32>),
    Nik(Vec<u64>, Vec<bool>),
    Region(Vec<u64>),
    Number(Vec<f64>),
}

/// A validity column: its position and the values that mean valid.
type ValidColumn = Option<(usize, Vec<Vec<u8>>)>;

/// What the parallel preparation needs.
struct Prep<'a> {
    id_cols: &'a [usize],
    comp_cols: &'a [usize],
    kinds: &'a [(ComparisonKind, bool)],
    valid_cols: &'a [ValidColumn],
    /// The distinct key parts of the blocking rules: expression and column.
    key_parts: &'a [(KeyExpr, usize)],
    /// For each key part, the comparison whose prepared value gives it, if any.
    shared_parts: &'a [Option<usize>],
    /// Each rule's parts, by index into `key_parts`.
    rules: &'a [Vec<usize>],
    keep: Keep,
    hasher: foldhash::fast::FixedState,
    reference: Date,
    width: usize,
    source_col: Option<usize>,
    delimiter: u8,
    quoting: bool,
}

impl Prep<'_> {
    /// Parses and prepares one block of whole records; `line` is its first line's number.
    /// `reuse` is an appended batch to fill again.
    fn block(
        &self,
        bytes: &[u8],
        line: u64,
        name: &str,
        reuse: Option<BatchOut>,
    ) -> Result<BatchOut, LinkError> {
        let out = reuse.unwrap_or_else(|| self.empty_batch(bytes.len() / 64));
        if PlainRecords::fits(bytes, self.quoting) {
            let mut plain = PlainRecords::new(bytes, self.delimiter);
            return self.batch(out, PlainRecord::default(), |record| {
                Ok(plain.next_into(record))
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quoting(self.quoting)
            .flexible(true)
            .has_headers(false)
            .from_reader(bytes);
        self.batch(out, csv::ByteRecord::new(), |record| {
            reader.read_byte_record(record).map_err(|e| {
                let at = line + e.position().map_or(1, |p| p.line()) - 1;
                LinkError::Input(format!("{name}, line {at}: {e}"))
            })
        })
    }

    /// An empty batch with room for about `n` records.
    fn empty_batch(&self, n: usize) -> BatchOut {
        let texts = |bytes: usize| {
            let mut t = Texts::default();
            t.bytes.reserve(n * bytes);
            t.ends.reserve(n);
            t
        };
        let columns = self
            .kinds
            .iter()
            .map(|(kind, _)| match kind {
                ComparisonKind::Exact => Column::Text(
                    if self.keep.exact_text {
                        texts(8)
                    } else {
                        Texts::default()
                    },
                    Vec::with_capacity(n),
                ),
                ComparisonKind::Name => Column::Name {
                    texts: texts(16),
                    hashes: Vec::with_capacity(n),
                    sorted_hashes: Vec::with_capacity(n),
                },
                ComparisonKind::Date => Column::Date(Vec::with_capacity(n)),
                ComparisonKind::Nik => Column::Nik(Vec::with_capacity(n), Vec::with_capacity(n)),
                ComparisonKind::Region => Column::Region(Vec::with_capacity(n)),
                ComparisonKind::Numeric => Column::Number(Vec::with_capacity(n)),
            })
            .collect();
        let validity = self
            .valid_cols
            .iter()
            .map(|v| {
                if v.is_some() {
                    Vec::with_capacity(n)
                } else {
                    Vec::new()
                }
            })
            .collect();
        BatchOut {
            ids: texts(12),
            sources: texts(if self.source_col.is_some() { 6 } else { 0 }),
            columns,
            validity,
            keys: Vec::with_capacity(n * self.rules.len()),
            short_rows: 0,
        }
    }

    /// Prepares the records `next` reads into `out` (empty; one reused record, no allocation
    /// per record).
    fn batch<R: Fields>(
        &self,
        mut out: BatchOut,
        mut slot: R,
        mut next: impl FnMut(&mut R) -> Result<bool, LinkError>,
    ) -> Result<BatchOut, LinkError> {
        let BatchOut {
            ids,
            sources,
            columns,
            validity,
            keys,
            short_rows,
        } = &mut out;
        let mut buf = Vec::with_capacity(64);
        let mut tokens: Vec<(usize, usize)> = Vec::with_capacity(8);
        // The key parts of one record, hashed (0: missing), and a computed part's bytes.
        let mut part_hashes: Vec<u64> = vec![0; self.key_parts.len()];
        let mut part_bytes: Vec<u8> = Vec::with_capacity(64);
        while next(&mut slot)? {
            let record = &slot;
            if record.count() < self.width {
                *short_rows += 1;
            }
            let field = |k: usize| -> &[u8] { record.field(k).map_or(&[][..], trim) };
            buf.clear();
            for (i, &c) in self.id_cols.iter().enumerate() {
                if i > 0 {
                    buf.push(b':');
                }
                buf.extend_from_slice(field(c));
            }
            ids.push(&buf);
            if let Some(c) = self.source_col {
                sources.push(field(c));
            }
            for ((col, &c), (_, has_valid)) in
                columns.iter_mut().zip(self.comp_cols).zip(self.kinds)
            {
                let v = field(c);
                let v = if is_missing(v) { &[][..] } else { v };
                match col {
                    Column::Text(texts, hashes) => {
                        if self.keep.exact_text {
                            texts.push(v);
                        }
                        hashes.push(if v.is_empty() {
                            0
                        } else {
                            self.hasher.hash_one(v).max(1)
                        });
                    }
                    Column::Name {
                        texts,
                        hashes,
                        sorted_hashes,
                    } => {
                        texts.push(v);
                        if v.is_empty() {
                            hashes.push(0);
                            sorted_hashes.push(0);
                            continue;
                        }
                        hashes.push(self.hasher.hash_one(v).max(1));
                        tokens.clear();
                        let mut start = 0;
                        for (i, &ch) in v.iter().chain(std::iter::once(&b' ')).enumerate() {
                            if ch == b' ' {
                                if i > start {
                                    tokens.push((start, i));
                                }
                                start = i + 1;
                            }
                        }
                        tokens.sort_unstable_by(|x, y| v[x.0..x.1].cmp(&v[y.0..y.1]));
                        buf.clear();
                        for &(s0, e0) in &tokens {
                            buf.extend_from_slice(&v[s0..e0]);
                            buf.push(b' ');
                        }
                        sorted_hashes.push(self.hasher.hash_one(&buf[..]).max(1));
                    }
                    Column::Date(values) => values.push(pack_date(v)),
                    Column::Nik(values, valid) => {
                        let nik = pack_nik(v);
                        values.push(nik);
                        // With a validity column, that column decides.
                        valid.push(nik != 0 && (*has_valid || nik_structure_ok(v, self.reference)));
                    }
                    Column::Region(values) => values.push(pack_region(v)),
                    Column::Number(values) => values.push(
                        std::str::from_utf8(v)
                            .ok()
                            .and_then(|s| s.parse::<f64>().ok())
                            .unwrap_or(f64::NAN),
                    ),
                }
            }
            for (v, out) in self.valid_cols.iter().zip(validity.iter_mut()) {
                if let Some((c, values)) = v {
                    let f = field(*c);
                    out.push(values.iter().any(|x| x.as_slice() == f));
                }
            }
            for (((e, c), shared), h) in self
                .key_parts
                .iter()
                .zip(self.shared_parts)
                .zip(&mut part_hashes)
            {
                *h = match shared.map(|k| &columns[k]) {
                    // The same bytes `KeyExpr::append` gives, hashed the same way.
                    Some(Column::Text(_, hashes)) if !part_missing(field(*c)) => {
                        hashes.last().copied().unwrap_or(0)
                    }
                    Some(Column::Name { sorted_hashes, .. }) if !part_missing(field(*c)) => {
                        sorted_hashes.last().copied().unwrap_or(0)
                    }
                    Some(Column::Date(dates)) => match dates.last() {
                        Some(&d) if d != 0 => {
                            self.hasher.hash_one(&(d >> 9).to_le_bytes()[..]).max(1)
                        }
                        _ => 0,
                    },
                    _ => e.hash(field(*c), &self.hasher, &mut part_bytes),
                };
            }
            // A rule's key: the hash of its parts' hashes, 0 when one is missing.
            for rule in self.rules {
                let mut state = self.hasher.build_hasher();
                let mut ok = true;
                for &p in rule {
                    let h = part_hashes[p];
                    ok &= h != 0;
                    state.write_u64(h);
                }
                keys.push(if ok { state.finish().max(1) } else { 0 });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_at_record_boundaries() {
        assert_eq!(record_boundary(b"a,b\nc,d\ne", true), Some(8));
        // The last line end lies inside a quoted field: cut before that record.
        assert_eq!(record_boundary(b"a,b\n\"c\nd\",e", true), Some(4));
        assert_eq!(record_boundary(b"\"x\ny", true), None);
        assert_eq!(record_boundary(b"\"x\ny", false), Some(3));
        // Escaped quotes keep the parity.
        assert_eq!(record_boundary(b"\"a\"\"b\",c\nd", true), Some(9));
    }

    #[test]
    fn large_files_with_quoted_line_breaks_load_every_record_in_order() {
        let config = Config::parse(
            r#"
[input]
id = ["id"]
[[comparison]]
name = "name"
kind = "name"
column = "name"
[[blocking]]
name = "name"
keys = ["name"]
"#,
        )
        .expect("config");
        // About 9 MB: several blocks, with quoted line breaks and CRLF endings here and there.
        let mut text = String::from("id,name,note\r\n");
        let rows = 150_000;
        for i in 0..rows {
            if i % 997 == 0 {
                text.push_str(&format!(
                    "{i},\"NAME {i}\",\"line one\nline, two \"\"quoted\"\"\"\r\n"
                ));
            } else {
                text.push_str(&format!("{i},NAME {i},{}\n", "x".repeat(40)));
            }
        }
        let data = load(&config, "test", text.as_bytes()).expect("load");
        assert_eq!(data.len(), rows);
        for i in [0usize, 1, 996, 997, 998, rows / 2, rows - 1] {
            assert_eq!(data.id_str(i), i.to_string());
            assert_eq!(data.display(0, i), format!("NAME {i}"));
        }
        // A quote left open at the end takes the rest of the file as one field: one more
        // record, nothing lost before it, no panic.
        let bad = format!("{text}{rows},\"open\n");
        let data = load(&config, "bad", bad.as_bytes()).expect("load");
        assert_eq!(data.len(), rows + 1);
        assert_eq!(data.id_str(rows), rows.to_string());
        // A read that fails after several blocks stops the load with the file's name, whatever
        // blocks were being prepared at the time.
        struct Failing<'a>(&'a [u8]);
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("disk gone"));
                }
                let n = buf.len().min(self.0.len()).min(4096);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let Err(err) = load(&config, "failing.csv", Failing(text.as_bytes())) else {
            panic!("a failed read is an error");
        };
        assert!(err.to_string().contains("failing.csv: disk gone"), "{err}");
    }

    #[test]
    fn linking_loads_compare_the_same_without_the_exact_values_text() {
        let config = Config::parse(
            r#"
[input]
id = ["id"]
[[comparison]]
name = "kk"
kind = "exact"
column = "kk"
[[comparison]]
name = "name"
kind = "name"
column = "name"
[[blocking]]
name = "kk"
keys = ["kk"]
"#,
        )
        .expect("config");
        let text =
            "id,kk,name\n1,3571011502490001,SITI AMINAH\n2,3571011502490001,SITI AMINA\n3,,BUDI\n";
        let all = load_files_keeping(&config, vec![Input::bytes("t", text.as_bytes())], Keep::ALL)
            .expect("load");
        let lean = load_files_keeping(
            &config,
            vec![Input::bytes("t", text.as_bytes())],
            Keep::LINKING,
        )
        .expect("load");
        assert_eq!(all.display(0, 0), "3571011502490001");
        assert_eq!(lean.display(0, 0), "(not kept)");
        assert_eq!(lean.display(1, 1), "SITI AMINA", "names are always kept");
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(
                    crate::block::pattern_of(&all, i, j),
                    crate::block::pattern_of(&lean, i, j)
                );
            }
            assert_eq!(all.key(i, 0), lean.key(i, 0));
        }
    }

    proptest::proptest! {
        #[test]
        fn key_parts_taken_from_prepared_comparisons_are_the_parts_themselves(
            rows in proptest::collection::vec(
                (
                    "(0|-|NULL| |[AB]{0,3}( {1,2}[AB]{0,3}){0,9})",
                    "(0|-|1990-0[1-9]-1[0-9]|98-98-19[0-9]{2}|2001/13/40|19x0-01-01|)",
                    "(0|-|1|2|L|)",
                ),
                1..40,
            ),
        ) {
            // Each part twice: on a compared column (taken from its prepared value) and on an
            // uncompared copy (computed from the text): the keys must be the same.
            let config = Config::parse(
                r#"
[input]
id = ["id"]
[[comparison]]
name = "name"
kind = "name"
column = "name"
[[comparison]]
name = "date"
kind = "date"
column = "date"
[[comparison]]
name = "sex"
kind = "exact"
column = "sex"
[[blocking]]
name = "a"
keys = ["sorted_tokens(name)", "year(date)", "sex"]
[[blocking]]
name = "b"
keys = ["sorted_tokens(name2)", "year(date2)", "sex2"]
[[blocking]]
name = "c"
keys = ["sorted_tokens(name)"]
[[blocking]]
name = "d"
keys = ["sorted_tokens(name2)"]
"#,
            )
            .expect("config");
            let mut text = String::from("id,name,date,sex,name2,date2,sex2\n");
            for (i, (name, date, sex)) in rows.iter().enumerate() {
                text.push_str(&format!("{i},{name},{date},{sex},{name},{date},{sex}\n"));
            }
            let data = load(&config, "t", text.as_bytes()).expect("load");
            proptest::prop_assert_eq!(data.len(), rows.len());
            for (i, row) in rows.iter().enumerate() {
                proptest::prop_assert_eq!(data.key(i, 0), data.key(i, 1), "row {:?}", row);
                proptest::prop_assert_eq!(data.key(i, 2), data.key(i, 3), "row {:?}", row);
            }
        }

        #[test]
        fn plain_blocks_read_as_the_csv_reader_reads_them(
            text in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'7', b',', b';', b'\n', b' ', b'\r', b'"']),
                0..300,
            ),
            semicolon in proptest::bool::ANY,
            quoting in proptest::bool::ANY,
            plain in proptest::bool::ANY,
        ) {
            // Half the cases without the bytes that send a block to the reader.
            let mut text = text;
            if plain {
                text.retain(|&c| c != b'\r' && c != b'"');
            }
            let delimiter = if semicolon { b';' } else { b',' };
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .quoting(quoting)
                .flexible(true)
                .has_headers(false)
                .from_reader(text.as_slice());
            let mut expected = Vec::new();
            let mut record = csv::ByteRecord::new();
            while reader.read_byte_record(&mut record).unwrap_or(false) {
                expected.push(record.clone());
            }
            proptest::prop_assert!(!plain || PlainRecords::fits(&text, quoting));
            if PlainRecords::fits(&text, quoting) {
                let mut plain = PlainRecords::new(&text, delimiter);
                let mut line = PlainRecord::default();
                let mut got = Vec::new();
                while plain.next_into(&mut line) {
                    let fields: Vec<&[u8]> = (0..line.count()).filter_map(|k| line.field(k)).collect();
                    proptest::prop_assert_eq!(fields.len(), line.count());
                    got.push(csv::ByteRecord::from(fields));
                }
                proptest::prop_assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn dates_regions_and_niks_pack() {
        assert_eq!(pack_date(b"1980-03-12"), 1980 << 9 | 3 << 5 | 12);
        assert_eq!(pack_date(b"12-03-1980"), 1980 << 9 | 3 << 5 | 12);
        assert_eq!(pack_date(b"98/03/1980"), 1980 << 9 | 3 << 5);
        assert_eq!(pack_date(b"1980-00-00"), 1980 << 9);
        assert_eq!(pack_date(b"19800312"), 1980 << 9 | 3 << 5 | 12);
        assert_eq!(pack_date(b"kemarin"), 0);
        assert_eq!(pack_region(b"35.71.01.1001"), 3571011001);
        assert_eq!(pack_region(b"3571"), 3571000000);
        assert_eq!(pack_region(b"35.71.x"), 0);
        assert_eq!(pack_nik(b"3571 0115 0249 0001"), 3571011502490001);
        assert_eq!(pack_nik(b"357101150249000"), 0);
    }
}
