//! String and value similarity used by the comparisons: Jaro–Winkler, optimal-string-alignment
//! (restricted Damerau–Levenshtein) distance, a phonetic key for Indonesian names, and the
//! structural NIK comparison. All work on bytes: names are standardised upper-case text before
//! they get here, and a non-ASCII byte is simply a character that must match exactly.

/// Jaro similarity in 0..=1 (1 for equal strings; 0 when either is empty).
#[allow(clippy::needless_range_loop)] // the index is the bit position
pub fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() > 64 {
        return jaro_long(a, b);
    }
    // Matched flags as bit sets: names are short, so no allocation per comparison.
    let window = (b.len() / 2).saturating_sub(1);
    let (mut a_used, mut b_used) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if b_used & (1 << j) == 0 && b[j] == ca {
                b_used |= 1 << j;
                a_used |= 1 << i;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut rest = b_used;
    for (i, &ca) in a.iter().enumerate() {
        if a_used & (1 << i) == 0 {
            continue;
        }
        let k = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        if ca != b[k] {
            transpositions += 1;
        }
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0
}

fn jaro_long(a: &[u8], b: &[u8]) -> f64 {
    let window = (b.len() / 2).saturating_sub(1);
    let mut b_used = vec![false; b.len()];
    let mut a_match = vec![false; a.len()];
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == ca {
                b_used[j] = true;
                a_match[i] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if !a_match[i] {
            continue;
        }
        while !b_used[k] {
            k += 1;
        }
        if ca != b[k] {
            transpositions += 1;
        }
        k += 1;
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0
}

/// Whether two strings are at most one edit apart (insertion, deletion, substitution, or a
/// swap of neighbours), without allocating.
pub fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if p == a.len() {
        return true;
    }
    if a.len() == b.len() {
        // Substitution at p, or a swap of p and p + 1.
        a[p + 1..] == b[p + 1..]
            || (p + 1 < a.len() && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..])
    } else {
        // Insertion into the shorter at p.
        a[p..] == b[p + 1..]
    }
}

/// An upper bound of Jaro–Winkler from the characters the two strings share (as multisets,
/// ignoring order and the matching window) and their common prefix: cheap, so pairs that
/// cannot reach a threshold skip the full computation.
pub fn jaro_winkler_bound(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut hist = [0i16; 64];
    for &c in a {
        hist[(c & 63) as usize] += 1;
    }
    let mut common = 0usize;
    for &c in b {
        let h = &mut hist[(c & 63) as usize];
        if *h > 0 {
            *h -= 1;
            common += 1;
        }
    }
    let m = common as f64;
    let j = ((m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0).min(1.0);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    j + prefix * 0.1 * (1.0 - j)
}

/// Jaro–Winkler similarity (prefix scale 0.1, prefix up to 4 bytes).
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    j + prefix * 0.1 * (1.0 - j)
}

/// Optimal-string-alignment distance (Damerau–Levenshtein restricted to non-overlapping
/// adjacent transpositions): insertions, deletions, substitutions and swaps of neighbours each
/// cost one. Returns `limit + 1` as soon as the distance is known to exceed `limit`.
pub fn osa_distance(a: &[u8], b: &[u8], limit: usize) -> usize {
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let n = b.len();
    let mut prev2 = vec![0usize; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur = vec![0usize; n + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n].min(limit + 1)
}

/// A phonetic key for a name token, tuned to Indonesian spelling: the first letter kept, then
/// consonants in Soundex-like classes, vowels, `H`, `W` and `Y` dropped (so FATIMAH / FATIMA,
/// SYAHRONI / SAHRONI, NURHAYATI / NURAYATI share a key), repeats collapsed, at most 6 bytes.
pub fn phonetic(token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(6);
    phonetic_into(token, &mut out);
    out
}

/// The phonetic class of each byte (0: a vowel, H, W, Y or anything else).
const PHONETIC_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let classes: [(&[u8], u8); 6] = [
        (b"BPFV", b'1'),
        (b"CGJKQSXZ", b'2'),
        (b"DT", b'3'),
        (b"L", b'4'),
        (b"MN", b'5'),
        (b"R", b'6'),
    ];
    let mut k = 0;
    while k < classes.len() {
        let (letters, class) = classes[k];
        let mut i = 0;
        while i < letters.len() {
            t[letters[i] as usize] = class;
            i += 1;
        }
        k += 1;
    }
    t
};

/// [`phonetic`], appended to `out`.
pub fn phonetic_into(token: &[u8], out: &mut Vec<u8>) {
    let (code, len) = phonetic_code(token);
    out.extend_from_slice(&code[..len]);
}

/// [`phonetic`] on the stack: the key in the first `len` bytes, and `len` (at most 6).
pub fn phonetic_code(token: &[u8]) -> ([u8; 6], usize) {
    let mut code = [0u8; 8];
    let Some(&first) = token.first() else {
        return ([0; 6], 0);
    };
    // Initial vowels and their old-spelling twins share one key letter.
    code[0] = match first {
        b'E' | b'I' | b'O' | b'U' | b'Y' => b'A',
        b'V' => b'F',
        b'Q' | b'C' => b'K',
        b'Z' => b'S',
        c => c,
    };
    let mut len = 1;
    let mut last = PHONETIC_CLASS[first as usize];
    // Without branches on the letters (vowels and consonants alternate unpredictably): a
    // class is written at `len` and kept when it differs from the last; vowels separate
    // repeats (as in Soundex), H, W and Y do not; at most 6 bytes.
    for &c in &token[1..] {
        let k = PHONETIC_CLASS[c as usize];
        code[len] = k;
        len += usize::from(k != 0 && k != last && len < 6);
        last = k | (PHONETIC_KEEP[c as usize] & last);
    }
    let mut out = [0u8; 6];
    out.copy_from_slice(&code[..6]);
    (out, len)
}

/// 0xFF for H, W and Y (they keep the class before them), 0 for any other byte.
const PHONETIC_KEEP: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'H' as usize] = 0xFF;
    t[b'W' as usize] = 0xFF;
    t[b'Y' as usize] = 0xFF;
    t
};

/// How two NIKs (16 digits each) relate, by their structure: region of issue (6 digits), birth
/// date with sex (6: the day plus 40 for women), serial (4).
///
/// Only a difference that no two real people could show counts as a typo. Two people born on
/// the same day differ only in the serial when registered in the same district, and often only
/// in one digit of the district when registered in neighbouring ones (serial 0001 is the most
/// common serial of all); a brother and sister born on one day differ only in the day's tens
/// digit (by 4). Those are disagreements, whatever their edit distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NikRelation {
    /// The same number.
    Exact,
    /// One substitution in the birth-date part, or a swap of neighbouring digits outside the
    /// region part: a typo.
    Typo,
    /// Same region and birth date, different serial: two people registered in one district on
    /// the same birth date (twins, or strangers).
    OtherSerial,
    /// One edit in the region part only: a typo, or a person of a neighbouring district with
    /// the same birth date and serial. Counted as disagreement.
    OtherRegion,
    /// Only the sex flag differs (day and day + 40): a brother and sister born the same day.
    OtherSex,
    /// Anything else.
    Different,
}

impl NikRelation {
    /// Whether the relation counts as agreement (exact or typo).
    pub fn agrees(self) -> bool {
        matches!(self, NikRelation::Exact | NikRelation::Typo)
    }
}

/// Compares two 16-digit NIKs held as numbers.
pub fn nik_relation(a: u64, b: u64) -> NikRelation {
    if a == b {
        return NikRelation::Exact;
    }
    if a / 10_000 == b / 10_000 {
        return NikRelation::OtherSerial;
    }
    let (da, db) = (digits16(a), digits16(b));
    let mut diffs = [0usize; 3];
    let mut n = 0;
    for k in 0..16 {
        if da[k] != db[k] {
            if n == 3 {
                return NikRelation::Different;
            }
            diffs[n] = k;
            n += 1;
        }
    }
    match &diffs[..n] {
        [p] if *p < 6 => NikRelation::OtherRegion,
        [6] if da[6].abs_diff(db[6]) == 4 => NikRelation::OtherSex,
        [p] if *p < 12 => NikRelation::Typo,
        [p, q] if *q == p + 1 && da[*p] == db[*q] && da[*q] == db[*p] => {
            if *q < 6 {
                NikRelation::OtherRegion
            } else {
                NikRelation::Typo
            }
        }
        _ => NikRelation::Different,
    }
}

fn digits16(mut v: u64) -> [u8; 16] {
    let mut d = [0u8; 16];
    for k in (0..16).rev() {
        d[k] = (v % 10) as u8;
        v /= 10;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_winkler_matches_published_values() {
        // Winkler's classic examples.
        let close = |a: &str, b: &str, want: f64| {
            let got = jaro_winkler(a.as_bytes(), b.as_bytes());
            assert!((got - want).abs() < 0.001, "{a} {b}: {got} want {want}");
        };
        close("MARTHA", "MARHTA", 0.961);
        close("DWAYNE", "DUANE", 0.840);
        close("DIXON", "DICKSONX", 0.813);
        assert_eq!(jaro_winkler(b"", b"ABC"), 0.0);
        assert_eq!(jaro_winkler(b"SITI", b"SITI"), 1.0);
    }

    #[test]
    fn osa_counts_swaps_as_one_and_stops_at_the_limit() {
        assert_eq!(osa_distance(b"SUPARMAN", b"SUPRAMAN", 3), 1);
        assert_eq!(osa_distance(b"SUPARMAN", b"SUPARMAN", 3), 0);
        assert_eq!(osa_distance(b"SUPARMAN", b"SUPARMIN", 3), 1);
        assert_eq!(osa_distance(b"CA", b"ABC", 5), 3);
        assert_eq!(osa_distance(b"AGUS", b"BAMBANG SETIAWAN", 2), 3);
        assert_eq!(osa_distance(b"", b"AB", 5), 2);
    }

    #[test]
    fn jaro_long_and_short_paths_agree() {
        let long_a = "A".repeat(40) + &"B".repeat(40);
        let long_b = "A".repeat(39) + &"B".repeat(42);
        let j = jaro(long_a.as_bytes(), long_b.as_bytes());
        assert!((j - jaro_long(long_a.as_bytes(), long_b.as_bytes())).abs() < 1e-12);
        for (x, y) in [
            ("MARTHA", "MARHTA"),
            ("SITI AMINAH", "SITI AMINA"),
            ("AB", "BA"),
        ] {
            assert!(
                (jaro(x.as_bytes(), y.as_bytes()) - jaro_long(x.as_bytes(), y.as_bytes())).abs()
                    < 1e-12
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn the_bound_is_an_upper_bound(a in "[A-Z ]{0,20}", b in "[A-Z ]{0,20}") {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            proptest::prop_assert!(jaro_winkler(a, b) <= jaro_winkler_bound(a, b) + 1e-12);
        }

        #[test]
        fn branch_free_phonetic_keys_are_the_soundex_rule(t in "[A-Z'.-]{0,14}") {
            // The rule written letter by letter, as documented on `phonetic`.
            let t = t.as_bytes();
            let mut want = Vec::new();
            if let Some(&first) = t.first() {
                want.push(match first {
                    b'E' | b'I' | b'O' | b'U' | b'Y' => b'A',
                    b'V' => b'F',
                    b'Q' | b'C' => b'K',
                    b'Z' => b'S',
                    c => c,
                });
                let mut last = PHONETIC_CLASS[first as usize];
                for &c in &t[1..] {
                    let k = PHONETIC_CLASS[c as usize];
                    if k == 0 {
                        if !matches!(c, b'H' | b'W' | b'Y') {
                            last = 0;
                        }
                        continue;
                    }
                    if k != last {
                        want.push(k);
                        if want.len() == 6 {
                            break;
                        }
                    }
                    last = k;
                }
            }
            proptest::prop_assert_eq!(phonetic(t), want);
        }

        #[test]
        fn one_edit_agrees_with_osa(a in "[ABC]{0,6}", b in "[ABC]{0,6}") {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            proptest::prop_assert_eq!(within_one_edit(a, b), osa_distance(a, b, 1) <= 1);
            proptest::prop_assert!((jaro(a, b) - jaro(b, a)).abs() < 1e-12);
        }
    }

    #[test]
    fn phonetic_keys_join_indonesian_variants() {
        let key = |s: &str| String::from_utf8(phonetic(s.as_bytes())).unwrap_or_default();
        assert_eq!(key("FATIMAH"), key("FATIMA"));
        assert_eq!(key("SYAHRONI"), key("SAHRONI"));
        assert_eq!(key("NURHAYATI"), key("NURAYATI"));
        assert_eq!(key("ZAINAL"), key("SAINAL"));
        assert_ne!(key("BUDI"), key("SITI"));
    }

    #[test]
    fn nik_structure_tells_typos_from_other_people() {
        let a = 3571011502490001u64;
        assert_eq!(nik_relation(a, a), NikRelation::Exact);
        assert_eq!(nik_relation(a, 3571011502490002), NikRelation::OtherSerial);
        assert_eq!(nik_relation(a, 3571011502480001), NikRelation::Typo);
        assert_eq!(nik_relation(a, 3571011502940001), NikRelation::Typo);
        assert_eq!(nik_relation(a, 3571011052490001), NikRelation::Typo);
        // A swap across the date/serial boundary is still one typo.
        assert_eq!(
            nik_relation(3571011502490101, 3571011502409101),
            NikRelation::Typo
        );
        // Same birth date and serial in a neighbouring district: another person.
        assert_eq!(nik_relation(a, 3571031502490001), NikRelation::OtherRegion);
        assert_eq!(nik_relation(a, 3571101502490001), NikRelation::OtherRegion);
        // Brother and sister born the same day.
        assert_eq!(nik_relation(a, 3571015502490001), NikRelation::OtherSex);
        assert_eq!(nik_relation(a, 3578011502481001), NikRelation::Different);
        assert!(NikRelation::Typo.agrees() && !NikRelation::OtherSerial.agrees());
    }
}
