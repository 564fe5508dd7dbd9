//! A plain civil date (proleptic Gregorian), enough for birth dates, death dates and snapshots.
//!
//! The registry needs only calendar dates, never times or zones, so a small value type is
//! cheaper than a date-time library and gives the generator fast day arithmetic.

use std::fmt;

/// A calendar date. Ordering is chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date could not be built or parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not in the expected layout.
    #[error("'{0}' is not a date in the expected layout")]
    Layout(String),
    /// Month outside 1–12.
    #[error("month {0} is outside 01-12")]
    Month(u32),
    /// Day outside the month's length.
    #[error("day {day} does not exist in {year}-{month:02}")]
    Day {
        /// Year.
        year: i32,
        /// Month.
        month: u32,
        /// Day.
        day: u32,
    },
}

/// Whether `year` is a leap year.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in a month of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Builds a date, checking the month and the day against the calendar.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        Ok(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }
    /// Month, 1–12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }
    /// Day of month, 1–31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's `days_from_civil`.
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01. Inverse of [`Date::to_days`].
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date `n` days later (earlier if negative).
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n)
    }

    /// Age in completed years on `on`.
    pub fn age_on(self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Result<Date, DateError> {
        let b = s.trim().as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Layout(s.to_owned()));
        }
        let y = digits(&b[0..4]).ok_or_else(|| DateError::Layout(s.to_owned()))?;
        let m = digits(&b[5..7]).ok_or_else(|| DateError::Layout(s.to_owned()))?;
        let d = digits(&b[8..10]).ok_or_else(|| DateError::Layout(s.to_owned()))?;
        Date::new(y as i32, m, d)
    }

    /// Parses `DD-MM-YYYY` or `DD/MM/YYYY` (the separator is given).
    pub fn parse_dmy(s: &str, sep: u8) -> Result<Date, DateError> {
        let b = s.trim().as_bytes();
        if b.len() != 10 || b[2] != sep || b[5] != sep {
            return Err(DateError::Layout(s.to_owned()));
        }
        let d = digits(&b[0..2]).ok_or_else(|| DateError::Layout(s.to_owned()))?;
        let m = digits(&b[3..5]).ok_or_else(|| DateError::Layout(s.to_owned()))?;
        let y = digits(&b[6..10]).ok_or_else(|| DateError::Layout(s.to_owned()))?;
        Date::new(y as i32, m, d)
    }

    /// Writes `YYYY-MM-DD` into `out` without allocating.
    pub fn write_iso(self, out: &mut Vec<u8>) {
        push_num(out, self.year as u32, 4);
        out.push(b'-');
        push_num(out, self.month(), 2);
        out.push(b'-');
        push_num(out, self.day(), 2);
    }

    /// Writes `DD<sep>MM<sep>YYYY` into `out` without allocating.
    pub fn write_dmy(self, out: &mut Vec<u8>, sep: u8) {
        push_num(out, self.day(), 2);
        out.push(sep);
        push_num(out, self.month(), 2);
        out.push(sep);
        push_num(out, self.year as u32, 4);
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Parses an all-digit ASCII slice; `None` if any byte is not a digit or it is empty.
pub(crate) fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Appends `v` zero-padded to `width` digits (more digits if `v` needs them), without
/// allocating. Hot in the generator, ingest and the exporters: a single digit (most codes
/// written) is inlined at the caller; longer numbers go two digits at a time.
#[inline]
pub fn push_num(out: &mut Vec<u8>, v: impl Into<u64>, width: usize) {
    let x: u64 = v.into();
    if x < 10 && width <= 1 {
        out.push(b'0' + x as u8);
    } else {
        push_digits(out, x, width);
    }
}

fn push_digits(out: &mut Vec<u8>, v: u64, width: usize) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";
    // u64::MAX has 20 digits; the buffer is pre-filled with the padding.
    let mut buf = [b'0'; 24];
    let mut i = buf.len();
    let mut x = v;
    while x >= 100 {
        let pair = (x % 100) as usize * 2;
        x /= 100;
        i -= 2;
        buf[i] = PAIRS[pair];
        buf[i + 1] = PAIRS[pair + 1];
    }
    if x >= 10 {
        let pair = x as usize * 2;
        i -= 2;
        buf[i] = PAIRS[pair];
        buf[i + 1] = PAIRS[pair + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + x as u8;
    }
    for _ in buf.len()..width {
        out.push(b'0');
    }
    let start = i.min(buf.len().saturating_sub(width));
    out.extend_from_slice(&buf[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_impossible_dates() {
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert_eq!(Date::new(2024, 13, 1), Err(DateError::Month(13)));
    }

    #[test]
    fn parses_the_three_layouts_of_the_sources() {
        let d = Date::new(1987, 3, 9).expect("valid");
        assert_eq!(Date::parse_iso("1987-03-09"), Ok(d));
        assert_eq!(Date::parse_dmy("09-03-1987", b'-'), Ok(d));
        assert_eq!(Date::parse_dmy("09/03/1987", b'/'), Ok(d));
        assert!(Date::parse_iso("1987-3-9").is_err());
    }

    #[test]
    fn age_counts_completed_years() {
        let b = Date::new(2000, 6, 15).expect("valid");
        assert_eq!(b.age_on(Date::new(2020, 6, 14).expect("valid")), 19);
        assert_eq!(b.age_on(Date::new(2020, 6, 15).expect("valid")), 20);
    }

    proptest! {
        #[test]
        fn numbers_are_written_like_format(v in any::<u64>(), width in 0usize..40) {
            let mut out = b"x".to_vec();
            push_num(&mut out, v, width);
            prop_assert_eq!(String::from_utf8(out).expect("ascii"), format!("x{v:0width$}"));
        }

        #[test]
        fn small_numbers_are_written_like_format(v in 0u32..1000, width in 0usize..6) {
            let mut out = Vec::new();
            push_num(&mut out, v, width);
            prop_assert_eq!(String::from_utf8(out).expect("ascii"), format!("{v:0width$}"));
        }

        #[test]
        fn days_round_trip(n in -80_000i64..80_000) {
            let d = Date::from_days(n);
            prop_assert_eq!(d.to_days(), n);
            prop_assert!(Date::new(d.year(), d.month(), d.day()).is_ok());
        }

        #[test]
        fn iso_text_round_trips(n in -40_000i64..40_000) {
            let d = Date::from_days(n);
            let mut out = Vec::new();
            d.write_iso(&mut out);
            let text = String::from_utf8(out).expect("ascii");
            prop_assert_eq!(&text, &d.to_string());
            prop_assert_eq!(Date::parse_iso(&text), Ok(d));
        }
    }
}
