//! Name standardisation for matching (`data/names/rules.csv`). The original name is always
//! kept beside the standard form; the standard form is only a key for comparison.
//!
//! Steps: upper case; punctuation to spaces (dots and commas separate tokens); titles and
//! honorifics dropped wherever they stand (`H.`, `HJ.`, `DRS.`, `S.PD.`, ...); `BIN`/`BINTI`
//! and what follows split off as the father's name; token variants normalised (`MOCH.` →
//! `MUHAMMAD`, `SITTI` → `SITI`); old spelling normalised inside tokens (`DJ` → `J`, `TJ` → `C`,
//! `OE` → `U`, ...).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::borrow::Cow;
use std::sync::OnceLock;

/// A standardised name.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StdName {
    /// The standard form: tokens joined by single spaces.
    pub name: String,
    /// The father's name after BIN/BINTI, standardised, if any.
    pub father: Option<String>,
    /// Whether titles or honorifics were removed.
    pub had_title: bool,
}

/// The rule book.
pub struct NameRules {
    titles: HashSet<String>,
    tokens: HashMap<String, String>,
    first: HashMap<String, String>,
    spelling: Vec<(String, String)>,
    particles: HashSet<String>,
    /// Every word any rule looks at (titles, particles, variants, first-word rules).
    special: HashSet<String>,
    /// The lengths (bit `len`, 63 for longer) of the special words, by first byte: a word
    /// whose first byte and length no special word has is not looked up.
    special_lengths: Vec<u64>,
    /// The first two bytes of every spelling pattern, as a set of byte pairs (bit
    /// `first * 256 + second`), for a quick scan.
    spelling_heads: Vec<u64>,
}

/// The longest name (bytes) the ASCII path of the slow standardisation takes.
const ASCII_MAX_LEN: usize = 160;
/// The most tokens a name may have for the ASCII path.
const ASCII_MAX_TOKENS: usize = 24;

const RULES_CSV: &str = include_str!("../../../data/names/rules.csv");

impl NameRules {
    /// The embedded rules, parsed once per process.
    pub fn official() -> &'static NameRules {
        static RULES: OnceLock<NameRules> = OnceLock::new();
        RULES.get_or_init(|| {
            NameRules::from_csv(RULES_CSV).expect("embedded name rules are well-formed (tested)")
        })
    }

    /// Parses `kind,from,to,note` rows (kinds: title, token, first, spelling, particle).
    pub fn from_csv(text: &str) -> Result<NameRules, String> {
        let mut r = NameRules {
            titles: HashSet::new(),
            tokens: HashMap::new(),
            first: HashMap::new(),
            spelling: Vec::new(),
            particles: HashSet::new(),
            special: HashSet::new(),
            special_lengths: vec![0; 256],
            spelling_heads: vec![0; 1024],
        };
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("names rules line {}: {e}", i + 2))?;
            let kind = rec.get(0).unwrap_or_default();
            let from = rec.get(1).unwrap_or_default().trim().to_uppercase();
            let to = rec.get(2).unwrap_or_default().trim().to_uppercase();
            match kind {
                // Titles are matched without their dots: "S.PD." and "SPD" are the same key.
                "title" => {
                    r.titles
                        .insert(from.chars().filter(|c| c.is_alphanumeric()).collect());
                }
                "token" => {
                    r.tokens.insert(from, to);
                }
                "first" => {
                    r.first.insert(from, to);
                }
                "spelling" => r.spelling.push((from, to)),
                "particle" => {
                    r.particles.insert(from);
                }
                other => {
                    return Err(format!(
                        "names rules line {}: unknown kind '{other}'",
                        i + 2
                    ))
                }
            }
        }
        r.special = r
            .titles
            .iter()
            .chain(&r.particles)
            .chain(r.tokens.keys())
            .chain(r.first.keys())
            .cloned()
            .collect();
        for w in &r.special {
            if let Some(&first) = w.as_bytes().first() {
                r.special_lengths[usize::from(first)] |= 1 << w.len().min(63);
            }
        }
        for (from, _) in &r.spelling {
            if let Some(&[a, b]) = from.as_bytes().get(..2) {
                let bit = usize::from(a) << 8 | usize::from(b);
                r.spelling_heads[bit / 64] |= 1 << (bit % 64);
            }
        }
        Ok(r)
    }

    /// Whether a spelling rule may apply to `token` (a quick scan of byte pairs).
    fn may_respell(&self, token: &[u8]) -> bool {
        token.windows(2).any(|w| {
            let bit = usize::from(w[0]) << 8 | usize::from(w[1]);
            self.spelling_heads[bit / 64] & (1 << (bit % 64)) != 0
        })
    }

    /// Standardises a name.
    pub fn standardise(&self, raw: &str) -> StdName {
        self.changed(raw).unwrap_or_else(|| StdName {
            name: raw.to_owned(),
            father: None,
            had_title: false,
        })
    }

    /// What standardising makes of `raw`, or `None` when `raw` is already standard (the
    /// common case: then its standard form is `raw` itself, no father, no title), so that
    /// callers keep the text they have instead of a copy.
    pub fn changed(&self, raw: &str) -> Option<StdName> {
        if self.already_standard_check(raw) {
            None
        } else {
            Some(self.standardise_slow(raw))
        }
    }

    /// Whether `raw` is already in standard form (the common case); then `standardise`
    /// would return it unchanged, and callers may use it as it is without allocating.
    pub fn is_standard(&self, raw: &str) -> bool {
        self.already_standard_check(raw)
    }

    /// The common case, without allocating per token: upper-case ASCII letters in words
    /// separated by single spaces, none of them a title, particle, variant or old spelling.
    fn already_standard_check(&self, raw: &str) -> bool {
        let b = raw.as_bytes();
        if b.is_empty() || b[0] == b' ' || b[b.len() - 1] == b' ' {
            return false;
        }
        // One pass: letters, single spaces between words, each word checked as it ends.
        let mut start = 0;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'A'..=b'Z' => {}
                b' ' if i > start => {
                    if !self.plain_word(&raw[start..i]) {
                        return false;
                    }
                    start = i + 1;
                }
                _ => return false,
            }
        }
        self.plain_word(&raw[start..])
    }

    /// A word (upper-case ASCII letters) that no rule looks at.
    fn plain_word(&self, word: &str) -> bool {
        let b = word.as_bytes();
        let maybe_special = b
            .first()
            .is_some_and(|&c| self.special_lengths[usize::from(c)] >> b.len().min(63) & 1 != 0);
        !(self.may_respell(b) || maybe_special && self.special.contains(word))
    }

    fn standardise_slow(&self, raw: &str) -> StdName {
        match self.standardise_ascii(raw) {
            Some(s) => s,
            None => self.standardise_general(raw),
        }
    }

    /// [`Self::standardise_general`] for the names nearly all are (ASCII, at most
    /// [`ASCII_MAX_LEN`] bytes and [`ASCII_MAX_TOKENS`] tokens), with the tokens as ranges of
    /// one stack buffer instead of a string each; `None` for any other name. The two give the
    /// same result (a property test holds them together).
    fn standardise_ascii(&self, raw: &str) -> Option<StdName> {
        let b = raw.as_bytes();
        if b.len() > ASCII_MAX_LEN || !b.is_ascii() {
            return None;
        }
        let mut upper = [0u8; ASCII_MAX_LEN];
        let upper = &mut upper[..b.len()];
        upper.copy_from_slice(b);
        upper.make_ascii_uppercase();
        let upper: &[u8] = upper;
        let text = |r: (usize, usize)| std::str::from_utf8(&upper[r.0..r.1]).unwrap_or("");
        // Pieces: tokens split on anything but letters, digits, dots and apostrophes; a
        // dotted token whose dot-less form is not a title split at its dots.
        let mut pieces = [(0usize, 0usize); ASCII_MAX_TOKENS];
        let mut n = 0;
        let in_token = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'\'';
        let mut scratch = [0u8; ASCII_MAX_LEN];
        let mut i = 0;
        while i < upper.len() {
            if !in_token(upper[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < upper.len() && in_token(upper[i]) {
                i += 1;
            }
            let token = &upper[start..i];
            let whole = !token.contains(&b'.') || {
                let mut len = 0;
                for &c in token.iter().filter(|&&c| c != b'.') {
                    scratch[len] = c;
                    len += 1;
                }
                self.titles
                    .contains(std::str::from_utf8(&scratch[..len]).unwrap_or(""))
            };
            if whole {
                if n == ASCII_MAX_TOKENS {
                    return None;
                }
                pieces[n] = (start, i);
                n += 1;
            } else {
                let mut s = start;
                for part in token.split(|&c| c == b'.') {
                    let e = s + part.len();
                    if e > s {
                        if n == ASCII_MAX_TOKENS {
                            return None;
                        }
                        pieces[n] = (s, e);
                        n += 1;
                    }
                    s = e + 1;
                }
            }
        }
        let pieces = &pieces[..n];
        // Bare forms (letters and digits only), one after another in one buffer.
        let mut bare_buf = [0u8; ASCII_MAX_LEN];
        let mut bares = [(0usize, 0usize); ASCII_MAX_TOKENS];
        let mut len = 0;
        for (k, &(s, e)) in pieces.iter().enumerate() {
            let from = len;
            for &c in upper[s..e].iter().filter(|c| c.is_ascii_alphanumeric()) {
                bare_buf[len] = c;
                len += 1;
            }
            bares[k] = (from, len);
        }
        let bare = |k: usize| std::str::from_utf8(&bare_buf[bares[k].0..bares[k].1]).unwrap_or("");
        let mut normal: [Cow<str>; ASCII_MAX_TOKENS] = std::array::from_fn(|_| Cow::Borrowed(""));
        let mut is_title = [false; ASCII_MAX_TOKENS];
        for k in 0..n {
            let (b, t) = (bare(k), text(pieces[k]));
            normal[k] = self.normalise_ref(b);
            is_title[k] = (self.titles.contains(b) && (b.len() > 1 || t.contains('.')))
                || (normal[k].len() > 1 && self.titles.contains(normal[k].as_ref()));
        }
        let any_name = (0..n).any(|k| !bare(k).is_empty() && !is_title[k]);
        let mut out = StdName {
            name: String::with_capacity(b.len()),
            ..StdName::default()
        };
        let mut father = String::new();
        let (mut names, mut fathers) = (0usize, 0usize);
        let mut in_father = false;
        for k in 0..n {
            let b = bare(k);
            if b.is_empty() {
                continue;
            }
            if is_title[k] && any_name {
                out.had_title = true;
                continue;
            }
            if names > 0 && self.particles.contains(b) {
                in_father = true;
                continue;
            }
            let (target, count) = if in_father {
                (&mut father, &mut fathers)
            } else {
                (&mut out.name, &mut names)
            };
            let token: &str = match self.first.get(b) {
                Some(v) if *count == 0 => v,
                _ => &normal[k],
            };
            if *count > 0 {
                target.push(' ');
            }
            target.push_str(token);
            *count += 1;
        }
        if fathers > 0 {
            out.father = Some(father);
        }
        Some(out)
    }

    /// The general form of the slow path, for any text.
    fn standardise_general(&self, raw: &str) -> StdName {
        // Tokens: split on anything but letters, digits, dots and apostrophes; a dotted
        // abbreviation ("S.PD.") stays one token so that it can be recognised as a title.
        let upper = raw.to_uppercase();
        let mut tokens: Vec<&str> = upper
            .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '\'' || c == '\u{2019}'))
            .filter(|t| !t.is_empty())
            .collect();
        // "H.SUPARMAN" → "H." "SUPARMAN": split a dotted token whose head is a title.
        let mut split: Vec<String> = Vec::with_capacity(tokens.len() + 2);
        for t in tokens.drain(..) {
            let bare = t.replace('.', "");
            if self.titles.contains(&bare) || !t.contains('.') {
                split.push(t.to_owned());
                continue;
            }
            for part in t.split('.').filter(|p| !p.is_empty()) {
                split.push(part.to_owned());
            }
        }
        let mut out = StdName::default();
        let bares: Vec<String> = split
            .iter()
            .map(|t| t.chars().filter(|c| c.is_alphanumeric()).collect())
            .collect();
        let normal: Vec<String> = bares.iter().map(|b| self.normalise_token(b)).collect();
        // A title is a known title written as one ("S.PD.", "HJ"), also after normalising
        // ("CH" → "KH"); a lone letter is an initial, not a title.
        let is_title: Vec<bool> = split
            .iter()
            .zip(bares.iter().zip(&normal))
            .map(|(t, (b, n))| {
                (self.titles.contains(b) && (b.len() > 1 || t.contains('.')))
                    || (n.len() > 1 && self.titles.contains(n))
            })
            .collect();
        // A name made only of title-like words is kept as it is (someone may be called so).
        let any_name = bares
            .iter()
            .zip(&is_title)
            .any(|(b, t)| !b.is_empty() && !t);
        let mut names: Vec<String> = Vec::with_capacity(split.len());
        let mut father: Vec<String> = Vec::new();
        let mut in_father = false;
        for ((bare, norm), title) in bares.iter().zip(normal).zip(is_title) {
            if bare.is_empty() {
                continue;
            }
            if title && any_name {
                out.had_title = true;
                continue;
            }
            if self.particles.contains(bare) && !names.is_empty() {
                in_father = true;
                continue;
            }
            let target = if in_father { &mut father } else { &mut names };
            let token = match self.first.get(bare) {
                Some(v) if target.is_empty() => v.clone(),
                _ => norm,
            };
            target.push(token);
        }
        out.name = names.join(" ");
        if !father.is_empty() {
            out.father = Some(father.join(" "));
        }
        out
    }

    fn normalise_token(&self, token: &str) -> String {
        self.normalise_ref(token).into_owned()
    }

    /// A token's normal form, borrowed when no spelling rule changes it.
    fn normalise_ref<'a>(&'a self, token: &'a str) -> Cow<'a, str> {
        if let Some(v) = self.tokens.get(token) {
            return Cow::Borrowed(v);
        }
        if !self.may_respell(token.as_bytes()) {
            return Cow::Borrowed(token);
        }
        let mut t = token.to_owned();
        // Until nothing changes: replacing one pair can form another ("DDJJ").
        for _ in 0..8 {
            let before = t.len();
            for (from, to) in &self.spelling {
                if t.contains(from.as_str()) {
                    t = t.replace(from.as_str(), to);
                }
            }
            if t.len() == before {
                break;
            }
        }
        // A variant may only show after the spelling is normalised (MOEHAMMAD).
        Cow::Owned(self.tokens.get(&t).cloned().unwrap_or(t))
    }
}

/// Standardises with the embedded rules.
pub fn standardise(raw: &str) -> StdName {
    NameRules::official().standardise(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn std(s: &str) -> String {
        standardise(s).name
    }

    #[test]
    fn titles_and_degrees_are_dropped_wherever_they_stand() {
        assert_eq!(std("H. SUPARMAN"), "SUPARMAN");
        assert_eq!(std("HJ. SITI AMINAH"), "SITI AMINAH");
        assert_eq!(std("DRS. H. BAMBANG WIDODO, M.PD."), "BAMBANG WIDODO");
        assert_eq!(std("SUPARMAN, S.PD."), "SUPARMAN");
        assert_eq!(std("IR. JOKO WIDODO"), "JOKO WIDODO");
        assert_eq!(std("SUPARMAN SPD"), "SUPARMAN");
        assert!(standardise("DRS. SUPARMAN").had_title);
    }

    #[test]
    fn muhammad_and_siti_variants_agree() {
        for v in [
            "MUHAMAD RIZKY",
            "MOHAMAD RIZKY",
            "MOHAMMAD RIZKY",
            "MOCH. RIZKY",
            "MOCH RIZKY",
            "M. RIZKY",
            "MUH. RIZKY",
            "MOH. RIZKY",
            "muhammad  rizky",
        ] {
            assert_eq!(std(v), "MUHAMMAD RIZKY", "{v}");
        }
        assert_eq!(std("SITTI AMINAH"), "SITI AMINAH");
    }

    #[test]
    fn old_spelling_is_normalised() {
        assert_eq!(std("SOEPARMAN"), "SUPARMAN");
        assert_eq!(std("DJOKO TJAHJONO"), "JOKO CAHJONO");
        assert_eq!(std("SOEKARNO"), std("SUKARNO"));
    }

    #[test]
    fn bin_and_binti_split_off_the_fathers_name() {
        let s = standardise("AHMAD BIN SALEH");
        assert_eq!(s.name, "AHMAD");
        assert_eq!(s.father.as_deref(), Some("SALEH"));
        let s = standardise("SITI AISYAH BINTI ABDULLAH");
        assert_eq!(s.name, "SITI AISYAH");
        assert_eq!(s.father.as_deref(), Some("ABDULLAH"));
        // BIN as the only name is kept (someone may be called so).
        assert_eq!(std("BIN"), "BIN");
    }

    #[test]
    fn punctuation_and_spacing_do_not_matter() {
        assert_eq!(std("  siti-aminah  "), "SITI AMINAH");
        assert_eq!(std("I WAYAN SUDARSANA"), "I WAYAN SUDARSANA");
        assert_eq!(std(""), "");
    }

    proptest! {
        #[test]
        fn standardising_is_idempotent_and_never_panics(s in "\\PC{0,40}") {
            let once = standardise(&s).name;
            prop_assert_eq!(standardise(&once).name, once.clone());
        }

        #[test]
        fn the_ascii_path_gives_what_the_general_path_gives(
            s in "(( |  |,|\\.|'|-|DJ|TJ|OE|SJ|CH|NJ|KH|SITI|SITTI|MUH|moch|M\\.|MOEHAMAD|H\\.|HJ|hj\\.|BIN|BINTI|BT|DRS|S\\.PD\\.|SPD|S\\.E|IR|[A-Za-z0-9]{1,7}|[a-z.']{1,4})){0,12}"
        ) {
            let rules = NameRules::official();
            let general = rules.standardise_general(&s);
            prop_assert_eq!(rules.standardise_ascii(&s), Some(general));
        }

        #[test]
        fn a_name_the_quick_check_passes_is_what_the_rules_make_of_it(
            s in "((DJ|TJ|OE|SJ|CH|KH|SITI|SITTI|MUH|MOEHAMAD|H|HJ|BIN|BINTI|DRS|IR|[A-Z]{1,7}) ?){1,5}"
        ) {
            let rules = NameRules::official();
            if rules.is_standard(&s) {
                let slow = rules.standardise_slow(&s);
                prop_assert_eq!(slow, StdName { name: s.clone(), father: None, had_title: false });
            }
        }
    }
}
