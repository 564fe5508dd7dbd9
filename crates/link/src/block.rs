//! Blocking: candidate pairs are the records that share every key of at least one rule. The
//! union of the rules holds each pair once (a rule skips pairs an earlier rule already made),
//! and blocks larger than the guard are skipped and reported instead of exploding.

use rayon::prelude::*;
use serde::Serialize;

use crate::compare::{phonetic_code, phonetic_into};
use crate::config::{Config, Mode};
use crate::data::{is_missing, pack_date, Dataset};
use crate::levels::{level, Rows};
use crate::LinkError;

/// Bits per comparison level in a packed pattern.
pub const LEVEL_BITS: u32 = 4;
/// Where the rule mask starts in a packed pattern.
pub const MASK_SHIFT: u32 = 48;

/// A key expression of a blocking rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExpr {
    /// The function applied to the column.
    pub func: KeyFunc,
    /// The column.
    pub column: String,
}

/// Functions available in blocking keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFunc {
    /// The value itself.
    Value,
    /// The year of a date.
    Year,
    /// The first whitespace-separated token.
    FirstToken,
    /// The last token.
    LastToken,
    /// The phonetic key of the first token.
    Phonetic,
    /// The phonetic key of the last token.
    PhoneticLast,
    /// The tokens sorted.
    SortedTokens,
    /// The first `n` characters.
    Prefix(usize),
}

/// Whether a key's source value counts as missing: empty, `-`, `NULL`, or `0` (an identifier
/// written as zero).
pub(crate) fn part_missing(value: &[u8]) -> bool {
    is_missing(value) || value == b"0"
}

impl KeyExpr {
    /// Parses `column`, `func(column)` or `prefix(column, n)`.
    pub fn parse(s: &str) -> Result<KeyExpr, LinkError> {
        let s = s.trim();
        let bad = || {
            LinkError::Config(format!(
                "blocking key {s:?}: expected column, year(c), first_token(c), last_token(c), \
                 phonetic(c), phonetic_last(c), sorted_tokens(c) or prefix(c, n)"
            ))
        };
        let Some(open) = s.find('(') else {
            if s.is_empty() || s.contains(')') {
                return Err(bad());
            }
            return Ok(KeyExpr {
                func: KeyFunc::Value,
                column: s.to_string(),
            });
        };
        let inner = s[open + 1..].strip_suffix(')').ok_or_else(bad)?;
        let func = &s[..open].trim();
        let mut args = inner.split(',').map(str::trim);
        let column = args
            .next()
            .filter(|c| !c.is_empty())
            .ok_or_else(bad)?
            .to_string();
        let func = match *func {
            "year" => KeyFunc::Year,
            "first_token" => KeyFunc::FirstToken,
            "last_token" => KeyFunc::LastToken,
            "phonetic" => KeyFunc::Phonetic,
            "phonetic_last" => KeyFunc::PhoneticLast,
            "sorted_tokens" => KeyFunc::SortedTokens,
            "prefix" => {
                let n = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(bad)?;
                KeyFunc::Prefix(n)
            }
            _ => return Err(bad()),
        };
        if args.next().is_some() {
            return Err(bad());
        }
        Ok(KeyExpr { func, column })
    }

    /// The hash of the key part of `value` (never 0), or 0 when the part is missing: the
    /// hash of what [`KeyExpr::append`] appends, without copying a value used as it is.
    /// `scratch` holds any other part (a phonetic key, sorted tokens) while it is hashed.
    pub fn hash(
        &self,
        value: &[u8],
        hasher: &impl std::hash::BuildHasher,
        scratch: &mut Vec<u8>,
    ) -> u64 {
        if part_missing(value) {
            return 0;
        }
        let mut tokens = value.split(|&c| c == b' ').filter(|t| !t.is_empty());
        // The commonest parts without a copy: the same bytes as `append` gives, hashed.
        let part = match self.func {
            KeyFunc::Value => value,
            KeyFunc::Phonetic | KeyFunc::PhoneticLast => {
                let t = if self.func == KeyFunc::Phonetic {
                    tokens.next()
                } else {
                    tokens.next_back()
                };
                return match t.map(phonetic_code) {
                    Some((code, n)) => hasher.hash_one(&code[..n]).max(1),
                    None => 0,
                };
            }
            _ => {
                scratch.clear();
                if !self.append(value, scratch) {
                    return 0;
                }
                scratch
            }
        };
        hasher.hash_one(part).max(1)
    }

    /// Appends the key part of `value` to `out`; false when the part is missing.
    pub fn append(&self, value: &[u8], out: &mut Vec<u8>) -> bool {
        if part_missing(value) {
            return false;
        }
        let mut tokens = value.split(|&c| c == b' ').filter(|t| !t.is_empty());
        match self.func {
            KeyFunc::Value => out.extend_from_slice(value),
            KeyFunc::Year => {
                let d = pack_date(value);
                if d == 0 {
                    return false;
                }
                out.extend_from_slice(&(d >> 9).to_le_bytes());
            }
            KeyFunc::FirstToken => match tokens.next() {
                Some(t) => out.extend_from_slice(t),
                None => return false,
            },
            KeyFunc::LastToken => match tokens.next_back() {
                Some(t) => out.extend_from_slice(t),
                None => return false,
            },
            KeyFunc::Phonetic => match tokens.next() {
                Some(t) => phonetic_into(t, out),
                None => return false,
            },
            KeyFunc::PhoneticLast => match tokens.next_back() {
                Some(t) => phonetic_into(t, out),
                None => return false,
            },
            KeyFunc::SortedTokens => {
                // Names have few tokens: sort them in place on the stack when they fit.
                let mut few: [&[u8]; 8] = [&[]; 8];
                let mut n = 0;
                let mut more: Vec<&[u8]> = Vec::new();
                for t in tokens {
                    if n < 8 {
                        few[n] = t;
                        n += 1;
                    } else {
                        more.push(t);
                    }
                }
                if more.is_empty() {
                    few[..n].sort_unstable();
                    for t in &few[..n] {
                        out.extend_from_slice(t);
                        out.push(b' ');
                    }
                } else {
                    more.extend_from_slice(&few[..n]);
                    more.sort_unstable();
                    for t in more {
                        out.extend_from_slice(t);
                        out.push(b' ');
                    }
                }
            }
            KeyFunc::Prefix(n) => {
                if value.len() < n {
                    return false;
                }
                out.extend_from_slice(&value[..n]);
            }
        }
        true
    }
}

/// A candidate pair: two record indices (`left < right`) and its packed pattern (the level of
/// every comparison, 4 bits each, and above bit 48 the rules whose keys it shares).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Left record.
    pub left: u32,
    /// Right record.
    pub right: u32,
    /// Levels and rule mask.
    pub pattern: u64,
}

impl Pair {
    /// The level of comparison `c`.
    pub fn level(&self, c: usize) -> u8 {
        ((self.pattern >> (c as u32 * LEVEL_BITS)) & 15) as u8
    }
    /// The rules whose keys the pair shares.
    pub fn rules(&self) -> u16 {
        (self.pattern >> MASK_SHIFT) as u16
    }
}

/// What one blocking rule did.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    /// The rule's name.
    pub name: String,
    /// Its keys.
    pub keys: Vec<String>,
    /// Records with every key part present.
    pub records_keyed: usize,
    /// Blocks of two or more records.
    pub blocks: usize,
    /// Records in the largest block compared.
    pub largest_block: usize,
    /// Blocks skipped by the guard.
    pub oversized_blocks: usize,
    /// Records in skipped blocks.
    pub oversized_records: usize,
    /// Pairs this rule proposed, before removing those of earlier rules.
    pub pairs_proposed: u64,
    /// Pairs this rule added to the union.
    pub pairs_new: u64,
}

/// Levels of every comparison for a pair, packed.
pub fn pattern_of(data: &Dataset, a: usize, b: usize) -> u64 {
    let mut p = 0u64;
    for (c, f) in data.features.iter().enumerate() {
        p |= u64::from(level(f, a, b)) << (c as u32 * LEVEL_BITS);
    }
    p
}

/// Makes the candidate pairs of every rule, compares them, and reports per rule.
pub fn candidate_pairs(config: &Config, data: &Dataset) -> (Vec<Pair>, Vec<RuleReport>) {
    let max_block = config.model.max_block.max(2);
    let rules = data.rules;
    let mut oversized: Vec<foldhash::HashSet<u64>> = vec![Default::default(); rules];
    let mut parts: Vec<Vec<Pair>> = Vec::new();
    let mut reports = Vec::new();
    // One pair of buffers for every rule's sorted (key, record) list: allocated once, not
    // faulted in anew.
    let mut order: Vec<(u64, u32)> = Vec::new();
    let mut scratch: Vec<(u64, u32)> = Vec::new();
    let rows = Rows::new(&data.features, data.len());
    // A rule's blocks (runs of equal keys in `order`), reused from rule to rule.
    let mut groups = Vec::new();
    for r in 0..rules {
        crate::sort::sort_by_key(data.len(), |i| data.key(i, r), &mut order, &mut scratch);
        // Records without a key sort first.
        let keyed = data.len() - order.partition_point(|x| x.0 == 0);
        let mut report = RuleReport {
            name: config.blocking[r].name.clone(),
            keys: config.blocking[r].keys.clone(),
            records_keyed: keyed,
            blocks: 0,
            largest_block: 0,
            oversized_blocks: 0,
            oversized_records: 0,
            pairs_proposed: 0,
            pairs_new: 0,
        };
        crate::sort::runs(&order, &mut groups);
        groups.retain(|&(start, end)| {
            let size = end - start;
            if size > max_block {
                report.oversized_blocks += 1;
                report.oversized_records += size;
                oversized[r].insert(order[start].0);
                false
            } else {
                report.blocks += 1;
                report.largest_block = report.largest_block.max(size);
                true
            }
        });
        let oversized = &oversized;
        let order = &order;
        let rows = &rows;
        // Whether two records share a usable key of rule `q` (`ki`, `kj`: their keys).
        let shared = |q: usize, ki: u64, kj: u64| {
            ki != 0 && ki == kj && (oversized[q].is_empty() || !oversized[q].contains(&ki))
        };
        let width = rows.width();
        let results: Vec<(Vec<Pair>, u64)> = groups
            .par_chunks(256)
            .map_init(
                || (Vec::new(), Vec::new()),
                |(keys, copies): &mut (Vec<u64>, Vec<u64>), chunk| {
                    // Records are read at random places in memory; read one after another,
                    // each waits for the one before (a fifth of a microsecond on this kind of
                    // host). So the keys of the chunk's records are first copied in block
                    // order, then the rows of the pairs kept, each in a loop of copies
                    // independent of one another, whose reads overlap.
                    keys.clear();
                    for &(s, e) in chunk {
                        for x in &order[s..e] {
                            let i = x.1 as usize;
                            keys.extend(data.keys[i * rules..(i + 1) * rules].iter().copied());
                        }
                    }
                    let mut out = Vec::new();
                    let mut proposed = 0u64;
                    let mut base = 0;
                    for &(s, e) in chunk {
                        for x in s..e {
                            let kx = &keys[(base + x - s) * rules..][..rules];
                            for y in x + 1..e {
                                let ky = &keys[(base + y - s) * rules..][..rules];
                                let (a, b) = (order[x].1, order[y].1);
                                let (i, j) = if a < b { (a, b) } else { (b, a) };
                                if data.mode == Mode::Link
                                    && data.sources[i as usize] == data.sources[j as usize]
                                {
                                    continue;
                                }
                                proposed += 1;
                                if (0..r).any(|q| shared(q, kx[q], ky[q])) {
                                    continue;
                                }
                                let mut mask = 1u64 << r;
                                for q in r + 1..rules {
                                    if shared(q, kx[q], ky[q]) {
                                        mask |= 1 << q;
                                    }
                                }
                                out.push(Pair {
                                    left: i,
                                    right: j,
                                    pattern: mask << MASK_SHIFT,
                                });
                            }
                        }
                        base += e - s;
                    }
                    copies.clear();
                    for p in &out {
                        copies.extend(rows.row(p.left as usize).iter().copied());
                        copies.extend(rows.row(p.right as usize).iter().copied());
                    }
                    for (p, two) in out.iter_mut().zip(copies.chunks_exact(2 * width)) {
                        let (ra, rb) = two.split_at(width);
                        p.pattern |= rows.pattern_of_rows(&data.features, ra, rb);
                    }
                    (out, proposed)
                },
            )
            .collect();
        for (pairs, proposed) in results {
            report.pairs_proposed += proposed;
            report.pairs_new += pairs.len() as u64;
            parts.push(pairs);
        }
        reports.push(report);
    }
    // The sort buffers go first: the union can take their memory instead of new pages.
    drop(order);
    drop(scratch);
    drop(rows);
    // One allocation of the exact size for the union (growing it rule by rule would copy it),
    // first touched and filled by every thread.
    let mut all = Vec::new();
    let empty = Pair {
        left: 0,
        right: 0,
        pattern: 0,
    };
    crate::sort::filled(&mut all, parts.iter().map(Vec::len).sum(), empty);
    let mut places = Vec::with_capacity(parts.len());
    let mut rest = all.as_mut_slice();
    for part in &parts {
        let (place, tail) = rest.split_at_mut(part.len());
        places.push(place);
        rest = tail;
    }
    places
        .into_par_iter()
        .zip(parts.par_iter())
        .for_each(|(place, part)| place.copy_from_slice(part));
    (all, reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn key_expressions_parse_and_apply() {
        let e = KeyExpr::parse("phonetic(name_std)").expect("parses");
        assert_eq!(e.func, KeyFunc::Phonetic);
        assert_eq!(e.column, "name_std");
        assert_eq!(
            KeyExpr::parse("prefix(nik, 6)").expect("parses").func,
            KeyFunc::Prefix(6)
        );
        assert!(KeyExpr::parse("prefix(nik)").is_err());
        assert!(KeyExpr::parse("soundex(name)").is_err());
        assert!(KeyExpr::parse("year(a, b)").is_err());
        let mut out = Vec::new();
        assert!(KeyExpr::parse("year(d)")
            .expect("parses")
            .append(b"12-03-1980", &mut out));
        assert!(!KeyExpr::parse("year(d)")
            .expect("parses")
            .append(b"", &mut out));
        out.clear();
        assert!(KeyExpr::parse("sorted_tokens(n)")
            .expect("parses")
            .append(b"SITI AMINAH", &mut out));
        assert_eq!(out, b"AMINAH SITI ");
    }

    #[test]
    fn key_part_hashes_are_the_hashes_of_the_appended_parts() {
        let hasher = foldhash::fast::FixedState::with_seed(7);
        let mut scratch = Vec::new();
        for (expr, value) in [
            ("nik", &b"3571011502490001"[..]),
            ("prefix(nik, 6)", b"3571011502490001"),
            ("year(d)", b"12-03-1980"),
            ("phonetic(n)", b"SITI AMINAH"),
            ("phonetic_last(n)", b"SITI AMINAH"),
            ("sorted_tokens(n)", b"SITI  AMINAH"),
            ("first_token(n)", b"SITI AMINAH"),
            ("last_token(n)", b"SITI AMINAH"),
        ] {
            let e = KeyExpr::parse(expr).expect("parses");
            let mut out = Vec::new();
            assert!(e.append(value, &mut out), "{expr}");
            assert_eq!(
                e.hash(value, &hasher, &mut scratch),
                hasher.hash_one(&out[..]).max(1),
                "{expr}"
            );
        }
        // Missing parts hash to 0, whatever the function.
        for (expr, value) in [
            ("nik", &b""[..]),
            ("nik", b"NULL"),
            ("nik", b"0"),
            ("prefix(nik, 6)", b"3571"),
            ("year(d)", b"kemarin"),
        ] {
            let e = KeyExpr::parse(expr).expect("parses");
            assert_eq!(e.hash(value, &hasher, &mut scratch), 0, "{expr} {value:?}");
        }
    }
}
