//! Comparison levels: for each kind, an ordered list from the strongest agreement to `else`,
//! then `null` (a value missing on either side, which contributes nothing). A pair's level
//! per comparison is computed here from the prepared features of its two records.

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
        Feature::Exact { hashes, .. } => {
            let (x, y) = (hashes[a], hashes[b]);
            if x == 0 || y == 0 {
                2
            } else if x == y {
                0
            } else {
                1
            }
        }
        Feature::Name {
            hashes,
            sorted,
            text,
            close,
            far,
            ..
        } => {
            let (x, y) = (hashes[a], hashes[b]);
            if x == 0 || y == 0 {
                return 6;
            }
            if x == y {
                return 0;
            }
            if sorted[a] == sorted[b] {
                return 1;
            }
            let (s, t) = (text.get(a), text.get(b));
            // Most pairs of different names cannot reach `far`: skip the full computation.
            let jw = if jaro_winkler_bound(s, t) < *far {
                0.0
            } else {
                jaro_winkler(s, t)
            };
            if jw >= *close || within_one_edit(s, t) {
                return 2;
            }
            if tokens_contained(s, t) {
                return 3;
            }
            if jw >= *far {
                return 4;
            }
            5
        }
        Feature::Date { values } => date_level(values[a], values[b]),
        Feature::Nik { values, .. } => {
            let (x, y) = (values[a], values[b]);
            if x == 0 || y == 0 {
                return 3;
            }
            match nik_relation(x, y) {
                NikRelation::Exact => 0,
                NikRelation::Typo => 1,
                _ => 2,
            }
        }
        Feature::Region { values } => {
            let (x, y) = (values[a], values[b]);
            if x == 0 || y == 0 {
                return 5;
            }
            // Codes are normalised to 10 digits: village, then district (6), regency (4),
            // province (2).
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
        Feature::Numeric { values, close, far } => {
            let (x, y) = (values[a], values[b]);
            if x.is_nan() || y.is_nan() {
                return 4;
            }
            let d = (x - y).abs();
            if d == 0.0 {
                0
            } else if d <= *close {
                1
            } else if d <= *far {
                2
            } else {
                3
            }
        }
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
    fn level_names_end_with_null() {
        use ComparisonKind::*;
        for k in [Exact, Name, Date, Nik, Region, Numeric] {
            assert_eq!(level_names(k).last(), Some(&"null"));
            assert_eq!(level_index(k, "null"), Some(null_level(k)));
        }
    }
}
