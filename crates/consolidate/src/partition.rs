//! The ingest output split into partitions, one per regency (kabupaten/kota), so that a
//! province's consolidation holds one regency in memory at a time.
//!
//! The split follows the design of the batch engine (`../shared/design.md`): a global NIK pass
//! first, then every record goes where its person lives.
//!
//! 1. **Global pass** over SIAK's rows: each KK number belongs to the regency of its first
//!    SIAK row; each NIK to the regency of its KK (else of its own row). Sixteen bytes or so
//!    per SIAK person.
//! 2. **Person records**: a SIAK row goes with its KK (a family is never split); any other
//!    record goes with its NIK's owner, else with its KK's family, else (a Regsosek member,
//!    whose record carries no region) with its Regsosek family's KK or region, else to the
//!    regency of its own region (then of its KK's or NIK's digits). So a person who moved to another
//!    regency is matched where SIAK has them, and two SIAK rows with one NIK meet in one
//!    partition.
//! 3. **Regsosek families** go where most of their members' records went (ties: the lower
//!    regency code), else with their KK, else to their own region's regency.
//! 4. **Supporting lists** go with their NIK's owner.
//!
//! A row that cannot follow anything (no region, no KK, no NIK that SIAK knows) goes to its
//! own region's regency if a partition has it, else to the first partition: it matches
//! nothing anywhere, so it is returned or counted as unattached wherever it goes, and every
//! count still reconciles. What the split costs in matching: a record without a valid NIK is
//! matched only within the regency of its own region or KK.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use foldhash::HashMap;

use crate::{ConsolidateError, Result};

/// One regency's share of the ingest output, in its own directory with the ingest layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// The regency's four digits (`3571`); `0000` when no region could be told.
    pub key: String,
    /// `persons.tsv`, `families.tsv`, `lists.tsv` and `rejects.csv` (a link to the whole run's).
    pub dir: PathBuf,
    /// Rows of `persons.tsv`.
    pub person_records: u64,
    /// Rows of `families.tsv`.
    pub family_records: u64,
    /// Rows of `lists.tsv`.
    pub list_rows: u64,
}

/// The ingest output's record files a partition holds its share of.
pub const RECORD_FILES: [&str; 3] = ["persons.tsv", "families.tsv", "lists.tsv"];

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> ConsolidateError + '_ {
    move |source| ConsolidateError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A tab-separated file read line by line, with its columns found by name.
struct Lines {
    path: PathBuf,
    reader: std::io::BufReader<std::fs::File>,
    header: Vec<u8>,
    columns: Vec<String>,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines> {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut header = Vec::new();
        reader.read_until(b'\n', &mut header).map_err(io(path))?;
        if header.is_empty() {
            return Err(ConsolidateError::Input(format!(
                "{}: empty file; run dtsen ingest first",
                path.display()
            )));
        }
        let columns = String::from_utf8_lossy(&header)
            .trim_end_matches(['\n', '\r'])
            .split('\t')
            .map(str::to_owned)
            .collect();
        Ok(Lines {
            path: path.to_path_buf(),
            reader,
            header,
            columns,
        })
    }

    fn col(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            ConsolidateError::Input(format!(
                "{}: no column {name:?}; is it the output of this version of dtsen ingest?",
                self.path.display()
            ))
        })
    }

    /// The next line (without its end) into `buf`; false at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        loop {
            buf.clear();
            let n = self.reader.read_until(b'\n', buf).map_err(io(&self.path))?;
            if n == 0 {
                return Ok(false);
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if !buf.is_empty() {
                return Ok(true);
            }
        }
    }
}

/// Field `k` of a tab-separated line.
fn field(line: &[u8], k: usize) -> &[u8] {
    line.split(|&b| b == b'\t').nth(k).unwrap_or(&[])
}

/// The fields at `cols` (ascending or not) of a line, in one pass.
fn fields<const N: usize>(line: &[u8], cols: [usize; N]) -> [&[u8]; N] {
    let mut out: [&[u8]; N] = [&[]; N];
    let last = cols.iter().copied().max().unwrap_or(0);
    for (k, f) in line.split(|&b| b == b'\t').enumerate().take(last + 1) {
        for (i, &c) in cols.iter().enumerate() {
            if c == k {
                out[i] = f;
            }
        }
    }
    out
}

/// A 16-digit number (NIK or KK) as a number.
fn number(s: &[u8]) -> Option<u64> {
    (s.len() == 16 && s.iter().all(u8::is_ascii_digit))
        .then(|| s.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// The regency (first four digits) of a region code or a NIK/KK.
fn regency(s: &[u8]) -> Option<u16> {
    let d = s.get(..4)?;
    d.iter()
        .all(u8::is_ascii_digit)
        .then(|| d.iter().fold(0u16, |n, c| n * 10 + u16::from(c - b'0')))
        .filter(|&r| r >= 1100)
}

fn hash(s: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x7061_7274).hash_one(s)
}

/// Columns of `persons.tsv` the split reads.
#[derive(Clone, Copy)]
struct PersonCols {
    source: usize,
    family_key: usize,
    nik: usize,
    nik_status: usize,
    kk: usize,
    kk_status: usize,
    region: usize,
}

impl PersonCols {
    fn of(l: &Lines) -> Result<PersonCols> {
        Ok(PersonCols {
            source: l.col("source")?,
            family_key: l.col("family_key")?,
            nik: l.col("nik")?,
            nik_status: l.col("nik_status")?,
            kk: l.col("kk")?,
            kk_status: l.col("kk_status")?,
            region: l.col("region")?,
        })
    }
}

/// What one person row says about where it belongs.
struct PersonRow<'l> {
    siak: bool,
    regsosek: bool,
    family_key: &'l [u8],
    nik: Option<u64>,
    kk: Option<u64>,
    /// Its own region's regency, else its KK's digits, else its NIK's.
    own: Option<u16>,
}

impl<'l> PersonRow<'l> {
    fn read(line: &'l [u8], c: PersonCols) -> PersonRow<'l> {
        let [source, family_key, nik, nik_status, kk, kk_status, region] = fields(
            line,
            [
                c.source,
                c.family_key,
                c.nik,
                c.nik_status,
                c.kk,
                c.kk_status,
                c.region,
            ],
        );
        let nik = (nik_status == b"valid").then(|| number(nik)).flatten();
        let kk = (kk_status == b"valid").then(|| number(kk)).flatten();
        let own = regency(region)
            .or_else(|| kk.and_then(|_| regency(field(line, c.kk))))
            .or_else(|| nik.and_then(|_| regency(field(line, c.nik))));
        PersonRow {
            siak: source == b"siak",
            regsosek: source == b"regsosek_anggota",
            family_key,
            nik,
            kk,
            own,
        }
    }
}

/// Whether SIAK's rows live in more than one regency, which makes splitting pay (records of
/// other sources in other regencies alone do not make partitions worth a copy of the input).
/// Reads until it sees a second regency.
pub fn several_regencies(ingested: &Path) -> Result<bool> {
    let mut lines = Lines::open(&ingested.join("persons.tsv"))?;
    let c = PersonCols::of(&lines)?;
    let mut first = None;
    let mut buf = Vec::new();
    while lines.next(&mut buf)? {
        let r = PersonRow::read(&buf, c);
        if r.siak {
            let here = r.own.unwrap_or(0);
            match first {
                None => first = Some(here),
                Some(f) if f != here => return Ok(true),
                Some(_) => {}
            }
        }
    }
    Ok(false)
}

/// Splits the ingest output in `ingested` into one directory per regency under `out` (which is
/// emptied first). Returns the partitions in regency order.
pub fn split(ingested: &Path, out: &Path) -> Result<Vec<Partition>> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let persons_path = ingested.join("persons.tsv");

    // 1. The global pass: where each KK and each NIK lives, by SIAK.
    let mut lines = Lines::open(&persons_path)?;
    let c = PersonCols::of(&lines)?;
    let mut kk_home: HashMap<u64, u16> = HashMap::default();
    let mut nik_home: HashMap<u64, u16> = HashMap::default();
    let mut buf = Vec::new();
    while lines.next(&mut buf)? {
        let r = PersonRow::read(&buf, c);
        if !r.siak {
            continue;
        }
        let own = r.own.unwrap_or(0);
        let home = match r.kk {
            Some(kk) => *kk_home.entry(kk).or_insert(own),
            None => own,
        };
        if let Some(nik) = r.nik {
            nik_home.entry(nik).or_insert(home);
        }
    }

    // Where each Regsosek family record says it is: its KK's home, else its region. Regsosek's
    // member records carry neither region nor KK: without a NIK SIAK knows, they go with it.
    let families_path = ingested.join("families.tsv");
    let mut lines = Lines::open(&families_path)?;
    let (fk, kk, kks, region) = (
        lines.col("family_key")?,
        lines.col("kk")?,
        lines.col("kk_status")?,
        lines.col("region")?,
    );
    let family_home = |line: &[u8]| {
        let [kk_text, kk_status, reg] = fields(line, [kk, kks, region]);
        (kk_status == b"valid")
            .then(|| number(kk_text).and_then(|k| kk_home.get(&k).copied()))
            .flatten()
            .or(regency(reg))
    };
    let mut family_said: HashMap<u64, u16> = HashMap::default();
    while lines.next(&mut buf)? {
        let key = field(&buf, fk);
        if let (false, Some(home)) = (key.is_empty(), family_home(&buf)) {
            family_said.entry(hash(key)).or_insert(home);
        }
    }

    // 2. Person records, where their person lives; the Regsosek members' votes for their family.
    let mut writers = Writers::new(out, ingested);
    let mut lines = Lines::open(&persons_path)?;
    let mut votes: Vec<(u64, u16)> = Vec::new();
    while lines.next(&mut buf)? {
        let r = PersonRow::read(&buf, c);
        let at_kk = r.kk.and_then(|k| kk_home.get(&k).copied());
        let at_nik = r.nik.and_then(|n| nik_home.get(&n).copied());
        let family = (r.regsosek && !r.family_key.is_empty()).then(|| hash(r.family_key));
        let with_family = family.and_then(|f| family_said.get(&f).copied());
        let home = if r.siak {
            at_kk.or(at_nik)
        } else {
            at_nik.or(at_kk).or(with_family)
        }
        .or(r.own)
        .unwrap_or(0);
        if let Some(f) = family {
            votes.push((f, home));
        }
        writers.write(home, 0, &lines.header, &buf)?;
    }
    let homes = writers.homes();

    // 3. Regsosek families: where most of their members went.
    votes.sort_unstable();
    let mut family_votes: HashMap<u64, u16> = HashMap::default();
    for run in votes.chunk_by(|a, b| a.0 == b.0) {
        let mut best = (0usize, 0u16);
        for same in run.chunk_by(|a, b| a.1 == b.1) {
            // Runs are in regency order: a tie keeps the lower code.
            if same.len() > best.0 {
                best = (same.len(), same[0].1);
            }
        }
        family_votes.insert(run[0].0, best.1);
    }
    drop(votes);
    let fallback = homes.first().copied().unwrap_or(0);
    let settle = |r: Option<u16>| match r {
        Some(r) if homes.binary_search(&r).is_ok() => r,
        _ => fallback,
    };
    drop(family_said);
    let mut lines = Lines::open(&families_path)?;
    while lines.next(&mut buf)? {
        let key = field(&buf, fk);
        let by_members = (!key.is_empty())
            .then(|| family_votes.get(&hash(key)).copied())
            .flatten();
        let home = settle(by_members.or_else(|| family_home(&buf)));
        writers.write(home, 1, &lines.header, &buf)?;
    }
    drop(family_votes);

    // 4. Supporting lists, with their NIK's owner.
    let path = ingested.join("lists.tsv");
    let mut lines = Lines::open(&path)?;
    let (nik, status) = (lines.col("nik")?, lines.col("nik_status")?);
    while lines.next(&mut buf)? {
        let [n, s] = fields(&buf, [nik, status]);
        let home = (s == b"valid")
            .then(|| number(n).and_then(|n| nik_home.get(&n).copied()))
            .flatten();
        writers.write(settle(home), 2, &lines.header, &buf)?;
    }
    writers.finish()
}

/// One writer per partition and file, created on first use.
struct Writers {
    out: PathBuf,
    ingested: PathBuf,
    open: std::collections::BTreeMap<u16, PartWriter>,
}

struct PartWriter {
    dir: PathBuf,
    files: [Option<BufWriter<std::fs::File>>; 3],
    rows: [u64; 3],
}

impl Writers {
    fn new(out: &Path, ingested: &Path) -> Writers {
        Writers {
            out: out.to_path_buf(),
            ingested: ingested.to_path_buf(),
            open: Default::default(),
        }
    }

    /// The partitions that have person records, in order.
    fn homes(&self) -> Vec<u16> {
        self.open.keys().copied().collect()
    }

    fn write(&mut self, home: u16, file: usize, header: &[u8], line: &[u8]) -> Result<()> {
        if !self.open.contains_key(&home) {
            let dir = self.out.join(format!("{home:04}"));
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            self.open.insert(
                home,
                PartWriter {
                    dir,
                    files: [None, None, None],
                    rows: [0; 3],
                },
            );
        }
        let Some(p) = self.open.get_mut(&home) else {
            return Ok(());
        };
        let path = p.dir.join(RECORD_FILES[file]);
        if p.files[file].is_none() {
            let f = std::fs::File::create(&path).map_err(io(&path))?;
            let mut w = BufWriter::with_capacity(256 << 10, f);
            w.write_all(header).map_err(io(&path))?;
            p.files[file] = Some(w);
        }
        if let Some(w) = p.files[file].as_mut() {
            w.write_all(line).map_err(io(&path))?;
            w.write_all(b"\n").map_err(io(&path))?;
        }
        p.rows[file] += 1;
        Ok(())
    }

    fn finish(self) -> Result<Vec<Partition>> {
        let mut out = Vec::new();
        let rejects = self.ingested.join("rejects.csv");
        for (home, p) in self.open {
            for (k, f) in p.files.into_iter().enumerate() {
                let path = p.dir.join(RECORD_FILES[k]);
                match f {
                    Some(mut w) => w.flush().map_err(io(&path))?,
                    // Every partition has the three files, with their headers.
                    None => {
                        let header = header_of(&self.ingested.join(RECORD_FILES[k]))?;
                        std::fs::write(&path, header).map_err(io(&path))?;
                    }
                }
            }
            if rejects.exists() {
                let to = p.dir.join("rejects.csv");
                if std::fs::hard_link(&rejects, &to).is_err() {
                    std::fs::copy(&rejects, &to).map_err(io(&to))?;
                }
            }
            out.push(Partition {
                key: format!("{home:04}"),
                dir: p.dir,
                person_records: p.rows[0],
                family_records: p.rows[1],
                list_rows: p.rows[2],
            });
        }
        Ok(out)
    }
}

/// The header line of a file of the ingest output.
fn header_of(path: &Path) -> Result<Vec<u8>> {
    Ok(Lines::open(path)?.header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_regencies() {
        assert_eq!(number(b"3571011502490001"), Some(3571011502490001));
        assert_eq!(number(b"357101150249000"), None);
        assert_eq!(number(b"35710115024900x1"), None);
        assert_eq!(regency(b"3571011001"), Some(3571));
        assert_eq!(regency(b"0071011001"), None);
        assert_eq!(regency(b"35"), None);
        assert_eq!(fields(b"a\tb\tc", [2, 0]), [&b"c"[..], &b"a"[..]]);
        assert_eq!(field(b"a\tb\tc", 5), b"");
    }
}
