//! Reading values: sexes, dates, region codes, identifiers and text labels, each into the
//! canonical vocabulary with a typed outcome. The label tables are data (`data/codes/`).

use dtsen_core::codes::{label_key, CodeBook};
use dtsen_core::{Date, KkError, KkNumber, Nik, NikError, RegionCode, RegionTable};
use std::sync::OnceLock;

const ALIASES_CSV: &str = include_str!("../../../data/codes/aliases.csv");

/// Text → code for every code list: the labels of `codes.csv` plus the aliases of
/// `aliases.csv`, keyed by the letters and digits of the text in upper case.
pub struct Vocab {
    lists: foldhash::HashMap<String, List>,
}

/// One code list of the vocabulary.
#[derive(Default)]
pub struct List {
    by_key: foldhash::HashMap<Box<str>, u16>,
    /// The labels and aliases exactly as the tables write them (and in upper case), each
    /// with the code its key has: files mostly carry these very texts, found without
    /// building a key.
    by_text: foldhash::HashMap<Box<str>, u16>,
    /// The list's own codes as a bit set (empty: a list of aliases only, which accepts any).
    bits: Vec<u64>,
    /// What `code` gives for each one-byte text (`L`, `P`, `1`, `Y`, ...: the texts read
    /// most often), found without hashing.
    single: Vec<Option<u16>>,
}

impl List {
    /// The code of `text`, if known.
    pub fn code(&self, text: &str) -> Option<u16> {
        if let &[c] = text.as_bytes() {
            if let Some(&code) = self.single.get(usize::from(c)) {
                return code;
            }
        }
        self.code_of_text(text)
    }

    fn code_of_text(&self, text: &str) -> Option<u16> {
        if let Some(&code) = self.by_text.get(text) {
            return Some(code);
        }
        self.code_by_key(text)
    }

    /// The code of `text` found by its key alone.
    fn code_by_key(&self, text: &str) -> Option<u16> {
        // The key (upper-case letters and digits) is built on the stack for ASCII text.
        let mut buf = [0u8; 96];
        let mut n = 0;
        for &c in text.as_bytes() {
            if c >= 0x80 || n == buf.len() {
                return self.by_key.get(label_key(text).as_str()).copied();
            }
            if c.is_ascii_alphanumeric() {
                buf[n] = c.to_ascii_uppercase();
                n += 1;
            }
        }
        let key = std::str::from_utf8(&buf[..n]).ok()?;
        self.by_key.get(key).copied()
    }

    /// Whether `code` is in the list (true for a list without codes of its own).
    pub fn contains(&self, code: u32) -> bool {
        if self.bits.is_empty() {
            return true;
        }
        let bit = code as usize;
        self.bits
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }
}

impl Vocab {
    /// The embedded vocabulary.
    pub fn official() -> &'static Vocab {
        static V: OnceLock<Vocab> = OnceLock::new();
        V.get_or_init(|| {
            let book = CodeBook::official();
            let mut lists: foldhash::HashMap<String, List> = foldhash::HashMap::default();
            // Every text each list was given, for `by_text`.
            let mut texts: Vec<(String, String)> = Vec::new();
            for name in book.names() {
                let list = lists.entry(name.to_owned()).or_default();
                if let Some(l) = book.list(name) {
                    for e in l.entries() {
                        list.by_key.insert(label_key(&e.label_id).into(), e.code);
                        list.by_key.insert(label_key(&e.label_en).into(), e.code);
                        texts.push((name.to_owned(), e.label_id.clone()));
                        texts.push((name.to_owned(), e.label_en.clone()));
                        let c = usize::from(e.code);
                        if list.bits.len() <= c / 64 {
                            list.bits.resize(c / 64 + 1, 0);
                        }
                        list.bits[c / 64] |= 1 << (c % 64);
                    }
                }
            }
            for line in ALIASES_CSV.lines().skip(1) {
                let parts: Vec<&str> = line.split(',').collect();
                if parts.len() < 3 {
                    continue;
                }
                let Ok(code) = parts[2].trim().parse::<u16>() else {
                    continue;
                };
                let list = lists.entry(parts[0].trim().to_owned()).or_default();
                list.by_key.insert(label_key(parts[1]).into(), code);
                texts.push((parts[0].trim().to_owned(), parts[1].to_owned()));
            }
            // After every key is in: a text finds what its key finds, whatever the order
            // the tables gave.
            for (name, text) in texts {
                let Some(list) = lists.get_mut(&name) else {
                    continue;
                };
                let text = text.trim();
                for t in [text.to_owned(), text.to_uppercase()] {
                    if let Some(&code) = list.by_key.get(label_key(&t).as_str()) {
                        list.by_text.insert(t.into(), code);
                    }
                }
            }
            for list in lists.values_mut() {
                list.single = (0..128u8)
                    .map(|c| list.code_of_text(char::from(c).encode_utf8(&mut [0; 4])))
                    .collect();
            }
            Vocab { lists }
        })
    }

    /// A list by name: look it up once, then use it for every row.
    pub fn list(&self, name: &str) -> Option<&List> {
        self.lists.get(name)
    }

    /// The code of `text` in `list`, if known.
    pub fn code(&self, list: &str, text: &str) -> Option<u16> {
        self.lists.get(list)?.code(text)
    }

    /// Whether `code` is in `list` (true for lists the vocabulary does not know).
    pub fn contains(&self, list: &str, code: u32) -> bool {
        self.lists.get(list).is_none_or(|l| l.contains(code))
    }
}

/// The outcome of reading a NIK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NikStatus {
    /// Valid.
    Valid(Nik),
    /// Empty, `-`, `0`, `NULL`.
    Missing,
    /// Present but invalid, with the reason.
    Invalid(&'static str),
}

impl NikStatus {
    /// The status column text.
    pub fn label(&self) -> &'static str {
        match self {
            NikStatus::Valid(_) => "valid",
            NikStatus::Missing => "missing",
            NikStatus::Invalid(r) => r,
        }
    }
}

/// Reads a NIK.
pub fn nik(text: &str, regions: &RegionTable, as_of: Date) -> NikStatus {
    match Nik::parse(text, regions, as_of) {
        Ok(n) => NikStatus::Valid(n),
        Err(NikError::Missing) => NikStatus::Missing,
        Err(e) => NikStatus::Invalid(match e {
            NikError::Length(_) => "invalid:length",
            NikError::NonDigit(_) => "invalid:non_digit",
            NikError::UnknownProvince(_) => "invalid:unknown_province",
            NikError::UnknownRegency(..) => "invalid:unknown_regency",
            NikError::UnknownDistrict(..) => "invalid:unknown_district",
            NikError::Day(_) => "invalid:day",
            NikError::Month(_) => "invalid:month",
            NikError::ImpossibleDate(..) => "invalid:impossible_date",
            NikError::ZeroSerial => "invalid:zero_serial",
            NikError::Missing => "missing",
        }),
    }
}

/// The outcome of reading a KK number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KkStatus {
    /// Valid.
    Valid(KkNumber),
    /// Missing.
    Missing,
    /// Invalid, with the reason.
    Invalid(&'static str),
}

impl KkStatus {
    /// The status column text.
    pub fn label(&self) -> &'static str {
        match self {
            KkStatus::Valid(_) => "valid",
            KkStatus::Missing => "missing",
            KkStatus::Invalid(r) => r,
        }
    }
}

/// Reads a KK number.
pub fn kk(text: &str, regions: &RegionTable) -> KkStatus {
    match KkNumber::parse(text, regions) {
        Ok(k) => KkStatus::Valid(k),
        Err(KkError::Missing) => KkStatus::Missing,
        Err(KkError::Length(_)) => KkStatus::Invalid("invalid:length"),
        Err(KkError::NonDigit(_)) => KkStatus::Invalid("invalid:non_digit"),
        Err(KkError::UnknownRegion(..)) => KkStatus::Invalid("invalid:unknown_region"),
        Err(KkError::ZeroSerial) => KkStatus::Invalid("invalid:zero_serial"),
    }
}

/// The outcome of reading a region code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionStatus {
    /// In the official table.
    Known(RegionCode),
    /// Well-formed but not in the table.
    Unknown(RegionCode),
    /// Missing.
    Missing,
    /// Not a region code.
    Invalid,
}

impl RegionStatus {
    /// The status column text.
    pub fn label(&self) -> &'static str {
        match self {
            RegionStatus::Known(_) => "known",
            RegionStatus::Unknown(_) => "unknown",
            RegionStatus::Missing => "missing",
            RegionStatus::Invalid => "invalid",
        }
    }
    /// The code, known or not.
    pub fn code(&self) -> Option<RegionCode> {
        match self {
            RegionStatus::Known(c) | RegionStatus::Unknown(c) => Some(*c),
            _ => None,
        }
    }
}

fn classify(
    code: Result<RegionCode, dtsen_core::RegionCodeError>,
    regions: &RegionTable,
) -> RegionStatus {
    match code {
        Ok(c) if regions.contains(c) => RegionStatus::Known(c),
        Ok(c) => RegionStatus::Unknown(c),
        Err(dtsen_core::RegionCodeError::Empty) => RegionStatus::Missing,
        Err(_) => RegionStatus::Invalid,
    }
}

/// Reads a dotted or plain region code.
pub fn region(text: &str, regions: &RegionTable) -> RegionStatus {
    LAST_CODE.with(|last| {
        last.borrow_mut()
            .get(regions, &[text], |[t]| RegionCode::parse(t))
    })
}

/// Reads a region code given as separate parts.
pub fn region_parts(p: &str, r: &str, d: &str, v: &str, regions: &RegionTable) -> RegionStatus {
    LAST_PARTS.with(|last| {
        last.borrow_mut()
            .get(regions, &[p, r, d, v], |[p, r, d, v]| {
                RegionCode::from_parts(p, r, d, v)
            })
    })
}

/// The last region text a thread read, and what it was: files come sorted by region, so most
/// records repeat their predecessor's village and skip the parsing and the table look-up.
#[derive(Default)]
struct LastRegion {
    /// The table it was read against ([`RegionTable::id`]).
    table: u64,
    /// The texts, one after another, and their lengths.
    text: String,
    lengths: Vec<usize>,
    status: Option<RegionStatus>,
}

impl LastRegion {
    fn get<const N: usize>(
        &mut self,
        regions: &RegionTable,
        parts: &[&str; N],
        read: impl FnOnce(&[&str; N]) -> Result<RegionCode, dtsen_core::RegionCodeError>,
    ) -> RegionStatus {
        let table = regions.id();
        if let Some(status) = self.status {
            if self.table == table && self.holds(parts) {
                return status;
            }
        }
        let status = classify(read(parts), regions);
        self.table = table;
        self.text.clear();
        self.lengths.clear();
        for p in parts {
            self.text.push_str(p);
            self.lengths.push(p.len());
        }
        self.status = Some(status);
        status
    }

    fn holds(&self, parts: &[&str]) -> bool {
        if self.lengths.len() != parts.len() {
            return false;
        }
        let mut at = 0;
        for (p, &n) in parts.iter().zip(&self.lengths) {
            if p.len() != n || self.text.as_bytes().get(at..at + n) != Some(p.as_bytes()) {
                return false;
            }
            at += n;
        }
        true
    }
}

thread_local! {
    static LAST_CODE: std::cell::RefCell<LastRegion> = std::cell::RefCell::default();
    static LAST_PARTS: std::cell::RefCell<LastRegion> = std::cell::RefCell::default();
}

/// A date whose day or month may be unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDate {
    /// Year.
    pub year: i32,
    /// Month, if known.
    pub month: Option<u32>,
    /// Day, if known.
    pub day: Option<u32>,
}

impl PartialDate {
    /// The full date when every part is known and real.
    pub fn date(&self) -> Option<Date> {
        Date::new(self.year, self.month?, self.day?).ok()
    }
    /// `YYYY-MM-DD` with `00` for unknown parts.
    pub fn write(&self, out: &mut Vec<u8>) {
        let (y, m, d) = (
            self.year.max(0) as u32,
            self.month.unwrap_or(0),
            self.day.unwrap_or(0),
        );
        if y < 10_000 && m < 100 && d < 100 {
            // One copy of ten bytes (the common case) instead of three numbers.
            let digit = |v: u32| b'0' + v as u8;
            out.extend_from_slice(&[
                digit(y / 1000),
                digit(y / 100 % 10),
                digit(y / 10 % 10),
                digit(y % 10),
                b'-',
                digit(m / 10),
                digit(m % 10),
                b'-',
                digit(d / 10),
                digit(d % 10),
            ]);
            return;
        }
        dtsen_core::date::push_num(out, self.year.max(0) as u32, 4);
        out.push(b'-');
        dtsen_core::date::push_num(out, self.month.unwrap_or(0), 2);
        out.push(b'-');
        dtsen_core::date::push_num(out, self.day.unwrap_or(0), 2);
    }
}

/// Why a date could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateIssue {
    /// Not in any known layout.
    Layout,
    /// The parts do not form a real date (31 February).
    Impossible,
}

/// Layouts of dates in the sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateLayout {
    /// `YYYY-MM-DD`.
    Iso,
    /// `DD-MM-YYYY` (98 for an unknown day or month, as Regsosek writes it).
    DmyDash,
    /// `DD/MM/YYYY`.
    DmySlash,
}

/// Reads a date in the given layout, falling back to the other layouts (files written by
/// other programs are not always consistent). `Ok(None)` when empty.
pub fn date(text: &str, layout: DateLayout) -> Result<Option<PartialDate>, DateIssue> {
    let t = text.trim_ascii();
    if t.is_empty() || t == "-" || t.eq_ignore_ascii_case("NULL") {
        return Ok(None);
    }
    let b = t.as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        if s.is_empty() || s.len() > 4 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        (num(&b[0..4]), num(&b[5..7]), num(&b[8..10]))
    } else if b.len() == 10 && (b[2] == b'-' || b[2] == b'/') && b[5] == b[2] {
        (num(&b[6..10]), num(&b[3..5]), num(&b[0..2]))
    } else {
        let _ = layout;
        return Err(DateIssue::Layout);
    };
    let (Some(y), Some(m), Some(d)) = (y, m, d) else {
        return Err(DateIssue::Layout);
    };
    let unknown = |v: u32| v == 98 || v == 99 || v == 0;
    let pd = PartialDate {
        year: y as i32,
        month: (!unknown(m)).then_some(m),
        day: (!unknown(d)).then_some(d),
    };
    if let Some(m) = pd.month {
        if !(1..=12).contains(&m) {
            return Err(DateIssue::Impossible);
        }
        if let Some(d) = pd.day {
            if Date::new(pd.year, m, d).is_err() {
                return Err(DateIssue::Impossible);
            }
        }
    } else if pd.day.is_some_and(|d| d > 31) {
        return Err(DateIssue::Impossible);
    }
    if y < 1800 {
        return Err(DateIssue::Impossible);
    }
    Ok(Some(pd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_label_found_as_written_has_the_code_its_key_has() {
        let v = Vocab::official();
        let mut texts = 0;
        for list in v.lists.values() {
            for (text, &code) in &list.by_text {
                assert_eq!(list.code_by_key(text), Some(code), "{text}");
                // In lower case or padded it is found by its key, to the same code.
                assert_eq!(list.code(&text.to_lowercase()), Some(code), "{text}");
                assert_eq!(list.code(&format!(" {text}.")), Some(code), "{text}");
                texts += 1;
            }
        }
        assert!(texts > 100, "{texts} texts");
    }

    proptest! {
        #[test]
        fn a_region_read_after_another_is_read_as_on_its_own(
            picks in proptest::collection::vec((0usize..8, 0usize..8), 1..40)
        ) {
            let regions = RegionTable::official();
            // Known, unknown, padded, short, empty and broken parts, and one text that is the
            // concatenation of another's parts.
            let parts = [
                ["35", "71", "1", "1001"], ["35", "71", "01", "1001"], ["35", "71", "1", "1002"],
                ["35", "7", "11", "001"], ["", "", "", ""], ["35", "71", "", ""],
                ["3x", "71", "1", "1001"], ["99", "71", "1", "1001"],
            ];
            let codes = [
                "35.71.01.1001", "3571011001", "35.71", "3571011002", "", "35.7101.1001",
                "99.71.01.1001", "357101100",
            ];
            for (i, j) in picks {
                let [p, r, d, v] = parts[i];
                prop_assert_eq!(
                    region_parts(p, r, d, v, regions),
                    classify(RegionCode::from_parts(p, r, d, v), regions)
                );
                prop_assert_eq!(region(codes[j], regions), classify(RegionCode::parse(codes[j]), regions));
            }
        }

        #[test]
        fn any_text_finds_what_its_key_finds(i in 0usize..10_000, case in 0u8..3, junk in "[ .,/-]{0,2}") {
            let v = Vocab::official();
            let all: Vec<(&List, &str)> = v
                .lists
                .values()
                .flat_map(|l| l.by_text.keys().map(move |t| (l, &**t)))
                .collect();
            let (list, text) = all[i % all.len()];
            let text = match case {
                0 => text.to_owned(),
                1 => text.to_lowercase(),
                _ => format!("{junk}{text}{junk}"),
            };
            prop_assert_eq!(list.code(&text), list.code_by_key(&text));
        }
    }

    #[test]
    fn one_byte_texts_read_as_their_key_reads() {
        let v = Vocab::official();
        let mut found = 0;
        for list in v.lists.values() {
            for c in 0..=255u8 {
                let Ok(text) = std::str::from_utf8(std::slice::from_ref(&c)) else {
                    continue;
                };
                assert_eq!(list.code(text), list.code_by_key(text), "{text:?}");
                found += usize::from(list.code(text).is_some());
            }
        }
        assert!(found >= 4, "only {found} one-byte texts have a code");
    }

    #[test]
    fn sexes_read_from_every_convention() {
        let v = Vocab::official();
        for (t, c) in [
            ("L", 1),
            ("P", 2),
            ("1", 1),
            ("2", 2),
            ("Laki-laki", 1),
            ("Perempuan", 2),
            ("laki laki", 1),
        ] {
            assert_eq!(v.code("jenis_kelamin", t), Some(c), "{t}");
        }
        assert_eq!(v.code("jenis_kelamin", "X"), None);
    }

    #[test]
    fn text_labels_read_to_codes() {
        let v = Vocab::official();
        assert_eq!(v.code("r303", "SEMEN/BATA MERAH"), Some(6));
        assert_eq!(v.code("r305", "Genteng"), Some(2));
        assert_eq!(v.code("hub_kel_dtks", "KEPALA KELUARGA"), Some(1));
        assert_eq!(v.code("hub_kel_dtks", "Kepala Keluarga"), Some(1));
        assert_eq!(v.code("pendidikan_dukcapil", "Tamat SD/sederajat"), Some(3));
        assert_eq!(v.code("ya_tidak", "Y"), Some(1));
    }

    #[test]
    fn dates_in_all_layouts() {
        let want = PartialDate {
            year: 1987,
            month: Some(3),
            day: Some(5),
        };
        assert_eq!(date("1987-03-05", DateLayout::Iso), Ok(Some(want)));
        assert_eq!(date("05-03-1987", DateLayout::DmyDash), Ok(Some(want)));
        assert_eq!(date("05/03/1987", DateLayout::DmySlash), Ok(Some(want)));
        assert_eq!(
            date("98-03-1987", DateLayout::DmyDash),
            Ok(Some(PartialDate { day: None, ..want }))
        );
        assert_eq!(
            date("98-98-1987", DateLayout::DmyDash),
            Ok(Some(PartialDate {
                day: None,
                month: None,
                ..want
            }))
        );
        assert_eq!(
            date("31-02-1987", DateLayout::DmyDash),
            Err(DateIssue::Impossible)
        );
        assert_eq!(date("1987/3/5", DateLayout::Iso), Err(DateIssue::Layout));
        assert_eq!(date("", DateLayout::Iso), Ok(None));
    }

    #[test]
    fn identifiers_have_typed_outcomes() {
        let regions = RegionTable::official();
        let as_of = Date::new(2026, 9, 30).expect("valid");
        assert!(matches!(
            nik("3571014503870002", regions, as_of),
            NikStatus::Valid(_)
        ));
        assert_eq!(nik("", regions, as_of), NikStatus::Missing);
        assert_eq!(
            nik("357101450387000", regions, as_of).label(),
            "invalid:length"
        );
        assert_eq!(kk("3571012003150007", regions).label(), "valid");
        assert_eq!(region("35.71.01.1001", regions).label(), "known");
        assert_eq!(region("3571019999", regions).label(), "unknown");
        assert_eq!(region("35x", regions).label(), "invalid");
        assert_eq!(
            region_parts("35", "71", "1", "1001", regions).label(),
            "known"
        );
    }

    proptest! {
        #[test]
        fn partial_dates_are_written_zero_padded(
            year in -5i32..12_000,
            month in proptest::option::of(0u32..150),
            day in proptest::option::of(0u32..150),
        ) {
            let mut out = b"x".to_vec();
            PartialDate { year, month, day }.write(&mut out);
            let want = format!(
                "x{:04}-{:02}-{:02}",
                year.max(0),
                month.unwrap_or(0),
                day.unwrap_or(0)
            );
            prop_assert_eq!(String::from_utf8(out).expect("ascii"), want);
        }

        #[test]
        fn date_reading_never_panics(s in "\\PC{0,14}") {
            let _ = date(&s, DateLayout::DmyDash);
        }

        #[test]
        fn region_reading_never_panics(a in "\\PC{0,4}", b in "\\PC{0,4}", c in "[0-9]{0,3}", d in "[0-9 ]{0,5}") {
            let regions = RegionTable::official();
            let _ = region_parts(&a, &b, &c, &d, regions);
            let _ = region(&format!("{a}{b}{c}{d}"), regions);
        }
    }
}
