//! Comparison levels: for each kind, an ordered list from the strongest agreement to `else`,
//! then `null` (a value missing on either side, which contributes nothing). A pair's level
//! per comparison is computed here from the prepared features of its two records.

use rayon::prelude::*;

use crate::compare::{
    jaro_winkler, jaro_winkler_bound, nik_relation, within_one_edit, NikRelation,
};
use crate::config::ComparisonKind;
use crate::data::Feature;

/// The level names of a kind, strongest first; the last is always `null`.
pub fn level_names(kind: ComparisonKind) -> &'static [&'static str] {
    match kind {
        ComparisonKind::Exact => &["exact", "else", "null"],
        ComparisonKind::Name => &[
            "exact",
            "reordered",
            "close",
            "partial",
            "far",
            "else",
            "null",
        ],
        ComparisonKind::Date => &[
            "exact",
            "partial",
            "swapped",
            "year_off",
            "month_off",
            "near",
            "else",
            "null",
        ],
        ComparisonKind::Nik => &["exact", "typo", "else", "null"],
        ComparisonKind::Region => &["village", "district", "regency", "province", "else", "null"],
        ComparisonKind::Numeric => &["exact", "close", "far", "else", "null"],
    }
}

/// The index of a level name of a kind.
pub fn level_index(kind: ComparisonKind, name: &str) -> Option<u8> {
    level_names(kind)
        .iter()
        .position(|l| *l == name)
        .map(|p| p as u8)
}

/// The `null` level of a kind.
pub fn null_level(kind: ComparisonKind) -> u8 {
    (level_names(kind).len() - 1) as u8
}

/// Thresholds of a name comparison: (close, far) Jaro–Winkler.
pub(crate) fn name_thresholds(t: &[f64]) -> (f64, f64) {
    (
        t.first().copied().unwrap_or(0.92),
        t.get(1).copied().unwrap_or(0.80),
    )
}

/// The level of the pair (`a`, `b`) for one prepared comparison.
pub fn level(f: &Feature, a: usize, b: usize) -> u8 {
    match f {
        Feature::Exact { hashes, .. } => exact_level(hashes[a], hashes[b]),
        Feature::Name {
            hashes,
            sorted,
            text,
            close,
            far,
            ..
        } => name_level(
            (hashes[a], hashes[b]),
            (sorted[a], sorted[b]),
            || (text.get(a), text.get(b)),
            *close,
            *far,
        ),
        Feature::Date { values } => date_level(values[a], values[b]),
        Feature::Nik { values, .. } => nik_level(values[a], values[b]),
        Feature::Region { values } => region_level(values[a], values[b]),
        Feature::Numeric { values, close, far } => {
            numeric_level(values[a], values[b], *close, *far)
        }
    }
}

fn exact_level(x: u64, y: u64) -> u8 {
    if x == 0 || y == 0 {
        2
    } else if x == y {
        0
    } else {
        1
    }
}

/// Names by hash, by hash of their sorted tokens, and (only when neither is equal) by text.
fn name_level<'t>(
    (x, y): (u64, u64),
    (sx, sy): (u64, u64),
    text: impl FnOnce() -> (&'t [u8], &'t [u8]),
    close: f64,
    far: f64,
) -> u8 {
    if x == 0 || y == 0 {
        return 6;
    }
    if x == y {
        return 0;
    }
    if sx == sy {
        return 1;
    }
    let (s, t) = text();
    // Most pairs of different names cannot reach `far`: skip the full computation.
    let jw = if jaro_winkler_bound(s, t) < far {
        0.0
    } else {
        jaro_winkler(s, t)
    };
    if jw >= close || within_one_edit(s, t) {
        return 2;
    }
    if tokens_contained(s, t) {
        return 3;
    }
    if jw >= far {
        return 4;
    }
    5
}

fn nik_level(x: u64, y: u64) -> u8 {
    if x == 0 || y == 0 {
        return 3;
    }
    match nik_relation(x, y) {
        NikRelation::Exact => 0,
        NikRelation::Typo => 1,
        _ => 2,
    }
}

fn region_level(x: u64, y: u64) -> u8 {
    if x == 0 || y == 0 {
        return 5;
    }
    // Codes are normalised to 10 digits: village, then district (6), regency (4), province
    // (2).
    if x == y {
        0
    } else if x / 10_000 == y / 10_000 {
        1
    } else if x / 1_000_000 == y / 1_000_000 {
        2
    } else if x / 100_000_000 == y / 100_000_000 {
        3
    } else {
        4
    }
}

fn numeric_level(x: f64, y: f64, close: f64, far: f64) -> u8 {
    if x.is_nan() || y.is_nan() {
        return 4;
    }
    let d = (x - y).abs();
    if d == 0.0 {
        0
    } else if d <= close {
        1
    } else if d <= far {
        2
    } else {
        3
    }
}

/// The compared values of every record laid out record by record, for blocking: the levels
/// of a candidate pair read one or two cache lines per record instead of one line per column
/// (ten or so at random places in memory: most of the time of comparing millions of pairs went
/// to waiting for them). Values are 64-bit slots: one per comparison, three for a name (its
/// hash, its sorted tokens' hash, where its text is); a row is padded to a power of two up
/// to 8 slots, or a multiple of 8, and the first row starts on a 64-byte boundary, so a row
/// never spans more cache lines than it must. The name's text is still read from its column,
/// only for pairs whose names differ.
pub struct Rows {
    slots: Vec<u64>,
    /// Where the first row starts in `slots` (for the alignment).
    first: usize,
    width: usize,
    /// Each comparison's first slot.
    at: Vec<usize>,
}

impl Rows {
    /// Lays out `features` (of `n` records) in rows, in parallel.
    pub fn new(features: &[Feature], n: usize) -> Rows {
        let mut at = Vec::with_capacity(features.len());
        let mut used = 0usize;
        for f in features {
            at.push(used);
            used += match f {
                Feature::Name { .. } => 3,
                _ => 1,
            };
        }
        let width = if used <= 8 {
            used.max(1).next_power_of_two()
        } else {
            used.div_ceil(8) * 8
        };
        let mut slots = Vec::new();
        crate::sort::filled(&mut slots, n * width + 8, 0u64);
        // Slots to skip so the first row starts on a cache line (the allocation is only
        // guaranteed to be 8-byte aligned).
        let first = (64 - slots.as_ptr() as usize % 64) % 64 / 8;
        slots[first..first + n * width]
            .par_chunks_mut(width * 4096)
            .enumerate()
            .for_each(|(chunk, rows)| {
                for (k, row) in rows.chunks_mut(width).enumerate() {
                    let i = chunk * 4096 + k;
                    for (f, &a) in features.iter().zip(&at) {
                        match f {
                            Feature::Exact { hashes, .. } => row[a] = hashes[i],
                            Feature::Name {
                                hashes,
                                sorted,
                                text,
                                ..
                            } => {
                                let (start, end) = text.span(i);
                                row[a] = hashes[i];
                                row[a + 1] = sorted[i];
                                row[a + 2] = u64::from(start) << 32 | u64::from(end);
                            }
                            Feature::Date { values } => row[a] = u64::from(values[i]),
                            Feature::Nik { values, .. } | Feature::Region { values } => {
                                row[a] = values[i]
                            }
                            Feature::Numeric { values, .. } => row[a] = values[i].to_bits(),
                        }
                    }
                }
            });
        Rows {
            slots,
            first,
            width,
            at,
        }
    }

    /// Slots a row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Record `i`'s row.
    pub fn row(&self, i: usize) -> &[u64] {
        let start = self.first + i * self.width;
        &self.slots[start..start + self.width]
    }

    /// The levels of every comparison for two records, from their rows (or copies of them),
    /// packed as [`crate::block::pattern_of`] packs them (the same values).
    pub fn pattern_of_rows(&self, features: &[Feature], ra: &[u64], rb: &[u64]) -> u64 {
        let mut p = 0u64;
        for (c, (f, &s)) in features.iter().zip(&self.at).enumerate() {
            let l = match f {
                Feature::Exact { .. } => exact_level(ra[s], rb[s]),
                Feature::Name {
                    text, close, far, ..
                } => name_level(
                    (ra[s], rb[s]),
                    (ra[s + 1], rb[s + 1]),
                    || {
                        let span = |v: u64| ((v >> 32) as u32, v as u32);
                        (text.slice(span(ra[s + 2])), text.slice(span(rb[s + 2])))
                    },
                    *close,
                    *far,
                ),
                Feature::Date { .. } => date_level(ra[s] as u32, rb[s] as u32),
                Feature::Nik { .. } => nik_level(ra[s], rb[s]),
                Feature::Region { .. } => region_level(ra[s], rb[s]),
                Feature::Numeric { close, far, .. } => {
                    numeric_level(f64::from_bits(ra[s]), f64::from_bits(rb[s]), *close, *far)
                }
            };
            p |= u64::from(l) << (c as u32 * crate::block::LEVEL_BITS);
        }
        p
    }
}

/// Dates packed as `year << 9 | month << 5 | day`, 0 for missing, with 0 for an unknown month
/// or day.
pub(crate) fn date_level(x: u32, y: u32) -> u8 {
    if x == 0 || y == 0 {
        return 7;
    }
    if x == y {
        return 0;
    }
    let (ya, ma, da) = (x >> 9, (x >> 5) & 15, x & 31);
    let (yb, mb, db) = (y >> 9, (y >> 5) & 15, y & 31);
    let part = |p: u32, q: u32| p == 0 || q == 0 || p == q;
    if ya == yb && part(ma, mb) && part(da, db) {
        // Equal where both are known (at least one part unknown, or it would be exact).
        return 1;
    }
    if ya == yb && ma == db && da == mb && ma != 0 && da != 0 {
        return 2;
    }
    if ya.abs_diff(yb) == 1 && ma == mb && da == db {
        return 3;
    }
    if ya == yb && (ma == mb || da == db) {
        return 4;
    }
    if ya.abs_diff(yb) <= 10 {
        return 5;
    }
    6
}

/// Whether every token of the name with fewer tokens appears in the other (a one-letter token
/// and a word with that initial match each other, either way: "HABIB F" / "HABIB FIRMANSYAH"),
/// and the names differ by a missing part or an abbreviation: a partial name.
pub(crate) fn tokens_contained(a: &[u8], b: &[u8]) -> bool {
    let count = |s: &[u8]| s.split(|&c| c == b' ').filter(|t| !t.is_empty()).count();
    let (na, nb) = (count(a), count(b));
    if na == 0 || nb == 0 {
        return false;
    }
    let (short, long) = if na <= nb { (a, b) } else { (b, a) };
    let mut used = 0u64;
    let mut initials = 0;
    for t in short.split(|&c| c == b' ').filter(|t| !t.is_empty()) {
        let mut found = false;
        for (k, u) in long
            .split(|&c| c == b' ')
            .filter(|t| !t.is_empty())
            .enumerate()
        {
            if k >= 64 || used & (1 << k) != 0 {
                continue;
            }
            let initial = (t.len() == 1 && u.len() > 1 || u.len() == 1 && t.len() > 1)
                && u.first() == t.first();
            if t == u || initial {
                used |= 1 << k;
                initials += usize::from(initial);
                found = true;
                break;
            }
        }
        if !found {
            return false;
        }
    }
    // Same number of tokens: only an abbreviation makes it partial (else it is reordered).
    na != nb || initials > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(y: u32, m: u32, d: u32) -> u32 {
        y << 9 | m << 5 | d
    }

    #[test]
    fn date_levels() {
        let a = pack(1980, 3, 12);
        assert_eq!(date_level(a, a), 0);
        assert_eq!(date_level(a, pack(1980, 0, 12)), 1);
        assert_eq!(date_level(a, pack(1980, 12, 3)), 2);
        assert_eq!(date_level(a, pack(1981, 3, 12)), 3);
        assert_eq!(date_level(a, pack(1980, 3, 21)), 4);
        assert_eq!(date_level(a, pack(1975, 7, 1)), 5);
        assert_eq!(date_level(a, pack(1999, 4, 4)), 6);
        assert_eq!(date_level(a, 0), 7);
        assert_eq!(date_level(a, 0), null_level(ComparisonKind::Date));
        assert_eq!(level_names(ComparisonKind::Date)[5], "near");
    }

    #[test]
    fn token_containment_is_about_missing_parts() {
        assert!(tokens_contained(b"SITI AMINAH", b"SITI NUR AMINAH"));
        assert!(tokens_contained(b"M RIZKI", b"MUHAMMAD RIZKI PRATAMA"));
        assert!(!tokens_contained(b"SITI AMINAH", b"AMINAH SITI"));
        assert!(!tokens_contained(b"BUDI", b"SITI AMINAH"));
        assert!(tokens_contained(b"HABIB F", b"HABIB FIRMANSYAH"));
        assert!(tokens_contained(b"HABIB FIRMANSYAH", b"H FIRMANSYAH"));
        assert!(!tokens_contained(b"HABIB FIRMANSYAH", b"HABIB FIRMAN"));
    }

    #[test]
    fn rows_give_the_levels_the_columns_give() {
        use crate::config::Config;
        // Every kind of comparison, with missing values, names that differ in every way and
        // widths past one cache line (3 × 3 name slots + 5 = 14 slots: rows of 16).
        let mut toml = String::from("[input]\nid = [\"id\"]\n");
        let kinds = [
            ("nik", "nik"),
            ("n1", "name"),
            ("n2", "name"),
            ("n3", "name"),
            ("d", "date"),
            ("s", "exact"),
            ("r", "region"),
            ("x", "numeric"),
        ];
        for (col, kind) in kinds {
            toml.push_str(&format!(
                "[[comparison]]\nname = \"{col}\"\nkind = \"{kind}\"\ncolumn = \"{col}\"\n"
            ));
        }
        toml.push_str("thresholds = [1.0, 10.0]\n[[blocking]]\nname = \"s\"\nkeys = [\"s\"]\n");
        let config = Config::parse(&toml).expect("config");
        let names = [
            "SITI AMINAH",
            "AMINAH SITI",
            "SITI AMINA",
            "SITI NUR AMINAH",
            "BUDI",
            "",
            "S AMINAH",
        ];
        let niks = [
            "3571011502490001",
            "3571011502490002",
            "3571015102490001",
            "",
        ];
        let dates = ["1980-03-12", "1980-12-03", "1981-03-12", "1980-00-00", ""];
        let regions = ["3571011001", "3571011002", "3571021001", "3501011001", ""];
        let numbers = ["1", "1.5", "40", "", "x"];
        let mut text = String::from("id,nik,n1,n2,n3,d,s,r,x\n");
        let n = 60;
        for i in 0..n {
            text.push_str(&format!(
                "{i},{},{},{},{},{},{},{},{}\n",
                niks[i % niks.len()],
                names[i % names.len()],
                names[(i / 2) % names.len()],
                names[(i / 3) % names.len()],
                dates[i % dates.len()],
                ["L", "P", ""][i % 3],
                regions[(i / 5) % regions.len()],
                numbers[(i / 7) % numbers.len()],
            ));
        }
        let data = crate::data::load(&config, "t", text.as_bytes()).expect("load");
        let rows = Rows::new(&data.features, data.len());
        assert_eq!(rows.width(), 16);
        for a in 0..n {
            for b in 0..n {
                assert_eq!(
                    rows.pattern_of_rows(&data.features, rows.row(a), rows.row(b)),
                    crate::block::pattern_of(&data, a, b),
                    "records {a} and {b}"
                );
            }
        }
    }

    #[test]
    fn level_names_end_with_null() {
        use ComparisonKind::*;
        for k in [Exact, Name, Date, Nik, Region, Numeric] {
            assert_eq!(level_names(k).last(), Some(&"null"));
            assert_eq!(level_index(k, "null"), Some(null_level(k)));
        }
    }
}
