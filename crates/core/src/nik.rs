//! The national identity number (*Nomor Induk Kependudukan*, NIK) and the family-card number
//! (*Nomor Kartu Keluarga*, KK).
//!
//! A NIK is `PP KK CC DD MM YY SSSS`: the district of first registration, the birth date with
//! 40 added to the day for women, and a serial. It has no check digit, so a typo that keeps the
//! structure valid cannot be detected here; matching must catch it.

use crate::date::{digits, Date};
use crate::region::{PrefixStatus, RegionCode, RegionTable};
use std::fmt;

/// Sex (*jenis kelamin*), coded 1 male, 2 female as in SIAK and Regsosek.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// Male (*laki-laki*), code 1.
    Male,
    /// Female (*perempuan*), code 2.
    Female,
}

impl Sex {
    /// The SIAK/Regsosek code: 1 male, 2 female.
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }
    /// Parses the numeric code.
    pub fn from_code(c: u32) -> Option<Sex> {
        match c {
            1 => Some(Sex::Male),
            2 => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Why a text is not a structurally valid NIK.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Missing (empty, `-`, `0`, `NULL`).
    #[error("NIK is missing")]
    Missing,
    /// Not 16 digits after stripping spaces, dots and dashes.
    #[error("NIK has {0} digits; a NIK has 16")]
    Length(usize),
    /// Contains something other than digits, spaces, dots or dashes.
    #[error("NIK contains '{0}', which is not a digit")]
    NonDigit(char),
    /// Digits 1–2 are not a known province.
    #[error("NIK starts with province {0:02}, which does not exist")]
    UnknownProvince(u32),
    /// Digits 3–4 are not a known regency/city of that province.
    #[error("NIK region {0:02}.{1:02} is not a known regency or city")]
    UnknownRegency(u32, u32),
    /// Digits 5–6 are not a known district of that regency (current or historical).
    #[error("NIK region {0:02}.{1:02}.{2:02} is not a known district")]
    UnknownDistrict(u32, u32, u32),
    /// Digits 7–8 are outside 01–31 and 41–71.
    #[error("NIK birth day {0:02} is outside 01-31 (men) and 41-71 (women)")]
    Day(u32),
    /// Digits 9–10 are outside 01–12.
    #[error("NIK birth month {0:02} is outside 01-12")]
    Month(u32),
    /// Day, month and year do not form a real date in either century.
    #[error("NIK birth date {0:02}-{1:02}-{2:02} does not exist")]
    ImpossibleDate(u32, u32, u32),
    /// Serial 0000 (serials start at 0001).
    #[error("NIK serial is 0000; serials start at 0001")]
    ZeroSerial,
}

/// A disagreement between a NIK and the record that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NikWarning {
    /// The birth date encoded in the NIK is not the record's.
    BirthDate {
        /// Encoded in the NIK.
        nik: Date,
        /// On the record.
        record: Date,
    },
    /// The sex encoded in the NIK is not the record's.
    Sex {
        /// Encoded in the NIK.
        nik: Sex,
        /// On the record.
        record: Sex,
    },
}

/// A structurally valid NIK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nik(u64);

/// True for the texts the sources use for "no value" in an identifier column.
pub fn is_missing_id(s: &str) -> bool {
    let t = s.trim_ascii();
    t.is_empty() || t == "-" || t.eq_ignore_ascii_case("NULL") || t.bytes().all(|c| c == b'0')
}

fn strip16(s: &str) -> Result<[u8; 16], NikError> {
    // The common case: sixteen digits as they are (all zeros is a missing value).
    if let Ok(digits) = <[u8; 16]>::try_from(s.as_bytes()) {
        if digits.iter().all(u8::is_ascii_digit) && digits.iter().any(|&c| c != b'0') {
            return Ok(digits);
        }
    }
    if is_missing_id(s) {
        return Err(NikError::Missing);
    }
    let mut out = [0u8; 16];
    let mut n = 0usize;
    for c in s.trim_ascii().chars() {
        match c {
            '0'..='9' => {
                if n < 16 {
                    out[n] = c as u8;
                }
                n += 1;
            }
            ' ' | '.' | '-' | '\'' => {}
            other => return Err(NikError::NonDigit(other)),
        }
    }
    if n != 16 {
        return Err(NikError::Length(n));
    }
    Ok(out)
}

impl Nik {
    /// Parses and validates a NIK against the official region table, inferring the century
    /// of the birth year against `reference` (the date the record speaks of).
    pub fn parse(s: &str, regions: &RegionTable, reference: Date) -> Result<Nik, NikError> {
        let nik = Nik::parse_structure(s, reference)?;
        let [p, r, d] = nik.region_parts();
        match regions.nik_prefix_status(p, r, d) {
            PrefixStatus::Current | PrefixStatus::Historical => Ok(nik),
            PrefixStatus::UnknownProvince => Err(NikError::UnknownProvince(p)),
            PrefixStatus::UnknownRegency => Err(NikError::UnknownRegency(p, r)),
            PrefixStatus::UnknownDistrict => Err(NikError::UnknownDistrict(p, r, d)),
        }
    }

    /// Checks everything but the region prefix: digits, length, day, month, a real date in
    /// one of the two centuries, a non-zero serial.
    pub fn parse_structure(s: &str, reference: Date) -> Result<Nik, NikError> {
        let b = strip16(s)?;
        let day = digits(&b[6..8]).unwrap_or(0);
        let month = digits(&b[8..10]).unwrap_or(0);
        let yy = digits(&b[10..12]).unwrap_or(0);
        let serial = digits(&b[12..16]).unwrap_or(0);
        if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
            return Err(NikError::Day(day));
        }
        if !(1..=12).contains(&month) {
            return Err(NikError::Month(month));
        }
        let nik = Nik(digits_u64(&b));
        if encoded_date(day % 40, month, yy as i32, reference).is_none() {
            return Err(NikError::ImpossibleDate(day % 40, month, yy));
        }
        if serial == 0 {
            return Err(NikError::ZeroSerial);
        }
        Ok(nik)
    }

    /// Builds a NIK from its parts; `None` if the parts cannot form one.
    pub fn from_parts(district: RegionCode, birth: Date, sex: Sex, serial: u32) -> Option<Nik> {
        let [p, r, d, _] = district.parts();
        if r == 0 || d == 0 || !(1..=9999).contains(&serial) {
            return None;
        }
        let day = birth.day() + if sex == Sex::Female { 40 } else { 0 };
        let yy = (birth.year().rem_euclid(100)) as u64;
        let v = ((u64::from(p) * 100 + u64::from(r)) * 100 + u64::from(d)) * 10_000_000_000
            + u64::from(day) * 100_000_000
            + u64::from(birth.month()) * 1_000_000
            + yy * 10_000
            + u64::from(serial);
        Some(Nik(v))
    }

    /// The 16-digit value.
    pub fn value(self) -> u64 {
        self.0
    }

    /// Builds from a 16-digit value without checks (for values this program wrote itself).
    pub fn from_value_unchecked(v: u64) -> Nik {
        Nik(v)
    }

    /// Province, regency and district of first registration.
    pub fn region_parts(self) -> [u32; 3] {
        let pre = (self.0 / 10_000_000_000) as u32;
        [pre / 10_000, pre / 100 % 100, pre % 100]
    }

    /// District of first registration (not necessarily where the person lives now).
    pub fn district(self) -> Option<RegionCode> {
        let [p, r, d] = self.region_parts();
        RegionCode::from_numbers(p, r, d, 0)
    }

    /// Sex encoded in the day field.
    pub fn sex(self) -> Sex {
        if self.raw_day() > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    fn raw_day(self) -> u32 {
        (self.0 / 100_000_000 % 100) as u32
    }

    /// The serial (digits 13–16).
    pub fn serial(self) -> u32 {
        (self.0 % 10_000) as u32
    }

    /// The birth date encoded in the NIK, with the century inferred against `reference`: the
    /// 20YY reading unless it lies after `reference`, then 19YY.
    pub fn birth_date_on(self, reference: Date) -> Option<Date> {
        let ddmmyy = self.0 / 10_000 % 1_000_000;
        let day = (ddmmyy / 10_000) as u32 % 40;
        let month = (ddmmyy / 100 % 100) as u32;
        let yy = (ddmmyy % 100) as i32;
        encoded_date(day, month, yy, reference)
    }

    /// Compares what the NIK encodes with what a record says. A NIK is for life and is not
    /// reissued when a birth date is corrected, so disagreement is a warning, never a reason
    /// to reject the NIK (brief §2.1).
    pub fn check_record(
        self,
        birth: Option<Date>,
        sex: Option<Sex>,
        reference: Date,
    ) -> Vec<NikWarning> {
        let mut out = Vec::new();
        if let (Some(b), Some(encoded)) = (birth, self.birth_date_on(reference)) {
            if b != encoded {
                out.push(NikWarning::BirthDate {
                    nik: encoded,
                    record: b,
                });
            }
        }
        if let Some(s) = sex {
            if s != self.sex() {
                out.push(NikWarning::Sex {
                    nik: self.sex(),
                    record: s,
                });
            }
        }
        out
    }

    /// Writes the 16 digits into `out` without allocating.
    pub fn write(self, out: &mut Vec<u8>) {
        let hi = (self.0 / 100_000_000) as u32;
        let lo = (self.0 % 100_000_000) as u32;
        crate::date::push_num(out, hi, 8);
        crate::date::push_num(out, lo, 8);
    }

    /// The masked form for public and low-privilege views: the region prefix and twelve
    /// asterisks (`3571************`).
    pub fn masked(self) -> String {
        let s = self.to_string();
        format!("{}************", &s[..4])
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016}", self.0)
    }
}

/// The date a NIK's day (without the 40 added for women), month and two-digit year
/// stand for: the 20YY reading unless it lies after `reference`, then 19YY.
#[inline]
fn encoded_date(day: u32, month: u32, yy: i32, reference: Date) -> Option<Date> {
    let century = reference.year() / 100 * 100;
    match Date::new(century + yy, month, day) {
        Ok(d) if d <= reference => Some(d),
        _ => Date::new(century - 100 + yy, month, day).ok(),
    }
}

/// Sixteen ASCII digits as a number, eight at a time (digits paired, then pairs of
/// pairs, then those: three multiplications instead of sixteen).
#[inline]
fn digits_u64(b: &[u8; 16]) -> u64 {
    let eight = |w: [u8; 8]| -> u64 {
        // Little-endian: the first (most significant) digit is the lowest byte.
        let mut v = u64::from_le_bytes(w).wrapping_sub(0x3030_3030_3030_3030);
        v = v.wrapping_mul(10).wrapping_add(v >> 8) & 0x00FF_00FF_00FF_00FF;
        v = v.wrapping_mul(100).wrapping_add(v >> 16) & 0x0000_FFFF_0000_FFFF;
        v.wrapping_mul(10_000).wrapping_add(v >> 32) & 0xFFFF_FFFF
    };
    let (hi, lo) = b.split_at(8);
    let word = |s: &[u8]| <[u8; 8]>::try_from(s).unwrap_or([b'0'; 8]);
    eight(word(hi)) * 100_000_000 + eight(word(lo))
}

/// Why a text is not a valid KK number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KkError {
    /// Missing (empty, `-`, `0`, `NULL`).
    #[error("KK number is missing")]
    Missing,
    /// Not 16 digits.
    #[error("KK number has {0} digits; a KK number has 16")]
    Length(usize),
    /// Contains something other than digits, spaces, dots or dashes.
    #[error("KK number contains '{0}', which is not a digit")]
    NonDigit(char),
    /// The issuing-region prefix is unknown.
    #[error("KK number region {0:02}.{1:02}.{2:02} is not a known district")]
    UnknownRegion(u32, u32, u32),
    /// Serial 0000.
    #[error("KK number serial is 0000")]
    ZeroSerial,
}

/// A family-card number (*Nomor Kartu Keluarga*): issuing district (6 digits), issue date
/// `DDMMYY` (⚠ likely, not confirmed, brief §2.2) and a serial. Not stable: a new KK is issued
/// on moves, splits, divorce and the death of the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KkNumber(u64);

impl KkNumber {
    /// Parses and checks the issuing-district prefix. The middle digits are not checked as a
    /// date because their meaning is not confirmed.
    pub fn parse(s: &str, regions: &RegionTable) -> Result<KkNumber, KkError> {
        let b = strip16(s).map_err(|e| match e {
            NikError::Missing => KkError::Missing,
            NikError::Length(n) => KkError::Length(n),
            NikError::NonDigit(c) => KkError::NonDigit(c),
            _ => KkError::Length(0),
        })?;
        let kk = KkNumber(digits_u64(&b));
        let [p, r, d] = kk.region_parts();
        match regions.nik_prefix_status(p, r, d) {
            PrefixStatus::Current | PrefixStatus::Historical => {}
            _ => return Err(KkError::UnknownRegion(p, r, d)),
        }
        if kk.0.is_multiple_of(10_000) {
            return Err(KkError::ZeroSerial);
        }
        Ok(kk)
    }

    /// Builds from parts: issuing district, issue date and serial.
    pub fn from_parts(district: RegionCode, issued: Date, serial: u32) -> Option<KkNumber> {
        let [p, r, d, _] = district.parts();
        if r == 0 || d == 0 || !(1..=9999).contains(&serial) {
            return None;
        }
        let pre = u64::from((p * 100 + r) * 100 + d);
        let date = u64::from(issued.day()) * 10_000
            + u64::from(issued.month()) * 100
            + (issued.year().rem_euclid(100)) as u64;
        Some(KkNumber(
            pre * 10_000_000_000 + date * 10_000 + u64::from(serial),
        ))
    }

    /// Province, regency and district of issue.
    pub fn region_parts(self) -> [u32; 3] {
        let pre = (self.0 / 10_000_000_000) as u32;
        [pre / 10_000, pre / 100 % 100, pre % 100]
    }

    /// The 16-digit value.
    pub fn value(self) -> u64 {
        self.0
    }

    /// Writes the 16 digits into `out`.
    pub fn write(self, out: &mut Vec<u8>) {
        Nik(self.0).write(out);
    }

    /// The masked form (`3571************`).
    pub fn masked(self) -> String {
        Nik(self.0).masked()
    }
}

impl fmt::Display for KkNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sixteen_digits_read_eight_at_a_time_are_the_number(v in 0u64..10_000_000_000_000_000) {
            let text = format!("{v:016}");
            let b = <[u8; 16]>::try_from(text.as_bytes()).expect("sixteen bytes");
            prop_assert_eq!(digits_u64(&b), v);
        }
    }

    fn reference() -> Date {
        Date::new(2026, 9, 30).expect("valid")
    }
    fn parse(s: &str) -> Result<Nik, NikError> {
        Nik::parse(s, RegionTable::official(), reference())
    }

    #[test]
    fn a_woman_from_kota_kediri() {
        let nik = parse("3571 0145 0387 0002").expect("valid NIK");
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_date_on(reference()), Date::new(1987, 3, 5).ok());
        assert_eq!(
            nik.district().map(|d| d.to_string()),
            Some("35.71.01".into())
        );
        assert_eq!(nik.serial(), 2);
        assert_eq!(nik.masked(), "3571************");
        assert_eq!(parse("3571.0145.0387.0002"), Ok(nik));
        assert_eq!(parse("3571-014503870002"), Ok(nik));
    }

    #[test]
    fn century_is_inferred_against_the_reference_date() {
        let child = parse("3571011505200001").expect("valid");
        assert_eq!(
            child.birth_date_on(reference()).map(|d| d.year()),
            Some(2020)
        );
        let elder = parse("3571011505400001").expect("valid");
        assert_eq!(
            elder.birth_date_on(reference()).map(|d| d.year()),
            Some(1940)
        );
        // Born later this year than the reference date: last century.
        let late = parse("3571011512260001").expect("valid");
        assert_eq!(
            late.birth_date_on(reference()).map(|d| d.year()),
            Some(1926)
        );
    }

    #[test]
    fn each_defect_has_its_own_error() {
        assert_eq!(parse(""), Err(NikError::Missing));
        assert_eq!(parse("-"), Err(NikError::Missing));
        assert_eq!(parse("0"), Err(NikError::Missing));
        assert_eq!(parse("NULL"), Err(NikError::Missing));
        assert_eq!(parse("357101150520001"), Err(NikError::Length(15)));
        assert_eq!(parse("35710115052000011"), Err(NikError::Length(17)));
        assert_eq!(parse("357101150520000O"), Err(NikError::NonDigit('O')));
        assert_eq!(
            parse("1071011505200001"),
            Err(NikError::UnknownProvince(10))
        );
        assert_eq!(
            parse("3570011505200001"),
            Err(NikError::UnknownRegency(35, 70))
        );
        assert_eq!(
            parse("3571091505200001"),
            Err(NikError::UnknownDistrict(35, 71, 9))
        );
        assert_eq!(parse("3571013505200001"), Err(NikError::Day(35)));
        assert_eq!(parse("3571010005200001"), Err(NikError::Day(0)));
        assert_eq!(parse("3571011513200001"), Err(NikError::Month(13)));
        assert_eq!(
            parse("3571013102200001"),
            Err(NikError::ImpossibleDate(31, 2, 20))
        );
        assert_eq!(
            parse("3571017102200001"),
            Err(NikError::ImpossibleDate(31, 2, 20))
        );
        assert_eq!(parse("3571011505200000"), Err(NikError::ZeroSerial));
    }

    #[test]
    fn disagreement_with_the_record_is_a_warning() {
        let nik = parse("3571014503870002").expect("valid");
        let born = Date::new(1987, 3, 5).ok();
        assert!(nik
            .check_record(born, Some(Sex::Female), reference())
            .is_empty());
        let w = nik.check_record(Date::new(1987, 5, 3).ok(), Some(Sex::Male), reference());
        assert_eq!(w.len(), 2);
        assert!(matches!(w[0], NikWarning::BirthDate { .. }));
        assert_eq!(
            w[1],
            NikWarning::Sex {
                nik: Sex::Female,
                record: Sex::Male
            }
        );
    }

    #[test]
    fn feb_29_needs_a_leap_year_in_the_inferred_century() {
        assert!(parse("3571012902000001").is_ok()); // 2000 is leap
        assert!(parse("3571012902010001").is_err());
    }

    #[test]
    fn kk_numbers_check_their_issuing_region() {
        let regions = RegionTable::official();
        let kk = KkNumber::parse("3571012003150007", regions).expect("valid KK");
        assert_eq!(kk.region_parts(), [35, 71, 1]);
        assert_eq!(KkNumber::parse("", regions), Err(KkError::Missing));
        assert_eq!(
            KkNumber::parse("35710120031500", regions),
            Err(KkError::Length(14))
        );
        assert_eq!(
            KkNumber::parse("3571992003150007", regions),
            Err(KkError::UnknownRegion(35, 71, 99))
        );
        assert_eq!(
            KkNumber::parse("3571012003150000", regions),
            Err(KkError::ZeroSerial)
        );
        let built = KkNumber::from_parts(
            RegionCode::parse("35.71.01").expect("valid"),
            Date::new(2015, 3, 20).expect("valid"),
            7,
        );
        assert_eq!(built, Some(kk));
    }

    proptest! {
        #[test]
        fn sixteen_digits_read_the_same_with_or_without_padding(s in "[0-9]{16}") {
            // The padded text takes the general path, the bare one the fast path.
            prop_assert_eq!(strip16(&s), strip16(&format!(" {s} ")));
        }

        #[test]
        fn a_nik_built_from_parts_parses_back_to_them(
            days in -15_700i64..20_700, female in any::<bool>(), serial in 1u32..9999,
            d_idx in 0usize..7285,
        ) {
            let regions = RegionTable::official();
            let district = regions.level(crate::region::Level::District)[d_idx].code;
            let birth = Date::from_days(days);
            let sex = if female { Sex::Female } else { Sex::Male };
            let nik = Nik::from_parts(district, birth, sex, serial).expect("valid parts");
            let mut text = Vec::new();
            nik.write(&mut text);
            let text = String::from_utf8(text).expect("ascii");
            prop_assert_eq!(&text, &nik.to_string());
            let back = Nik::parse(&text, regions, reference()).expect("parses");
            prop_assert_eq!(back.sex(), sex);
            prop_assert_eq!(back.birth_date_on(reference()), Some(birth));
            prop_assert_eq!(back.district(), Some(district));
            prop_assert_eq!(back.serial(), serial);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = parse(&s);
        }

        #[test]
        fn any_16_digits_either_parse_or_say_why(s in "[0-9]{16}") {
            match parse(&s) {
                Ok(n) => prop_assert_eq!(n.to_string(), s),
                Err(e) => prop_assert!(!matches!(e, NikError::Length(_) | NikError::NonDigit(_))),
            }
        }
    }
}
