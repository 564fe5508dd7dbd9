//! Generation settings: the seed, the reference date, and every error rate.

use dtsen_core::Date;

/// Rates of the errors and coverage gaps real sources carry. Every rate is a probability per
/// record (or per family where it says so) and every applied error is written to the truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Rates {
    /// Not registered in SIAK (no NIK): half this rate for whole families, three times it for
    /// children under five (eight times for babies), whose births are not yet registered.
    pub unregistered: f64,
    /// Families covered by Regsosek 2022.
    pub regsosek_coverage: f64,
    /// NIK with one digit wrong, per non-SIAK record.
    pub nik_typo: f64,
    /// NIK with two adjacent digits swapped, per non-SIAK record.
    pub nik_transposition: f64,
    /// NIK left empty, per non-SIAK adult record (children: three times as often).
    pub nik_missing: f64,
    /// A child's record carrying a parent's NIK, per child record in DTKS and P3KE.
    pub nik_parent: f64,
    /// MUHAMMAD written another way, per record of a name that has it.
    pub name_muhammad: f64,
    /// SITI / SITTI, per record of a name that has it.
    pub name_siti: f64,
    /// Old against new spelling (DJ, TJ, OE), per record of a name where it applies.
    pub name_spelling: f64,
    /// Honorific or degree in the name, per adult record.
    pub name_title: f64,
    /// BIN/BINTI and the father's name, per record.
    pub name_bin: f64,
    /// A name part dropped or cut to its initial, per record.
    pub name_abbreviated: f64,
    /// One typing error in the name, per record.
    pub name_typo: f64,
    /// Day and month swapped, per record whose day is 12 or less.
    pub dob_swap: f64,
    /// Birth year off by one, per record.
    pub dob_year: f64,
    /// Day or month unknown, per record (older people more often).
    pub dob_unknown: f64,
    /// Families split after Regsosek (*pecah KK*), per eligible family.
    pub family_split: f64,
    /// Families that moved to another village since the older sources, per family.
    pub family_moved: f64,
    /// Rows duplicated inside DTKS.
    pub dtks_duplicate: f64,
    /// Region code in a form other than the source's usual one.
    pub region_form: f64,
    /// Malformed rows (wrong column count, broken quotes), per row of SIAK, DTKS and P3KE.
    pub malformed: f64,
    /// Typing errors in SIAK itself (names), per record.
    pub siak_name_typo: f64,
}

impl Default for Rates {
    fn default() -> Rates {
        Rates {
            unregistered: 0.012,
            regsosek_coverage: 0.95,
            nik_typo: 0.012,
            nik_transposition: 0.004,
            nik_missing: 0.02,
            nik_parent: 0.005,
            name_muhammad: 0.5,
            name_siti: 0.15,
            name_spelling: 0.5,
            name_title: 0.03,
            name_bin: 0.02,
            name_abbreviated: 0.05,
            name_typo: 0.03,
            dob_swap: 0.02,
            dob_year: 0.015,
            dob_unknown: 0.01,
            family_split: 0.08,
            family_moved: 0.02,
            dtks_duplicate: 0.01,
            region_form: 0.05,
            malformed: 0.0005,
            siak_name_typo: 0.002,
        }
    }
}

impl Rates {
    /// Sets one rate by name (`nik_typo=0.02`), as the command line gives it.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), String> {
        if !(0.0..=1.0).contains(&value) {
            return Err(format!("rate {name}={value} is outside 0..1"));
        }
        let slot = match name {
            "unregistered" => &mut self.unregistered,
            "regsosek_coverage" => &mut self.regsosek_coverage,
            "nik_typo" => &mut self.nik_typo,
            "nik_transposition" => &mut self.nik_transposition,
            "nik_missing" => &mut self.nik_missing,
            "nik_parent" => &mut self.nik_parent,
            "name_muhammad" => &mut self.name_muhammad,
            "name_siti" => &mut self.name_siti,
            "name_spelling" => &mut self.name_spelling,
            "name_title" => &mut self.name_title,
            "name_bin" => &mut self.name_bin,
            "name_abbreviated" => &mut self.name_abbreviated,
            "name_typo" => &mut self.name_typo,
            "dob_swap" => &mut self.dob_swap,
            "dob_year" => &mut self.dob_year,
            "dob_unknown" => &mut self.dob_unknown,
            "family_split" => &mut self.family_split,
            "family_moved" => &mut self.family_moved,
            "dtks_duplicate" => &mut self.dtks_duplicate,
            "region_form" => &mut self.region_form,
            "malformed" => &mut self.malformed,
            "siak_name_typo" => &mut self.siak_name_typo,
            other => {
                return Err(format!(
                    "unknown rate '{other}'; known: {}",
                    Rates::NAMES.join(", ")
                ))
            }
        };
        *slot = value;
        Ok(())
    }

    /// Every rate name, for help texts.
    pub const NAMES: [&'static str; 22] = [
        "unregistered",
        "regsosek_coverage",
        "nik_typo",
        "nik_transposition",
        "nik_missing",
        "nik_parent",
        "name_muhammad",
        "name_siti",
        "name_spelling",
        "name_title",
        "name_bin",
        "name_abbreviated",
        "name_typo",
        "dob_swap",
        "dob_year",
        "dob_unknown",
        "family_split",
        "family_moved",
        "dtks_duplicate",
        "region_form",
        "malformed",
        "siak_name_typo",
    ];

    /// Every rate set to zero except coverage: clean sources, for tests that need them.
    pub fn clean() -> Rates {
        let mut r = Rates::default();
        for name in Rates::NAMES {
            if name != "regsosek_coverage" && name != "unregistered" {
                let _ = r.set(name, 0.0);
            }
        }
        r
    }
}

/// Everything that decides the generated files.
#[derive(Clone, Debug)]
pub struct Config {
    /// The seed: the same seed and settings give byte-identical files.
    pub seed: u64,
    /// The date the civil registry extract speaks of.
    pub as_of: Date,
    /// Total persons to generate (rescales the real population), if given.
    pub persons: Option<u64>,
    /// Share of families sampled into `susenas.csv` (at least `susenas_min` where possible).
    pub susenas_rate: f64,
    /// Minimum Susenas sample size for small selections.
    pub susenas_min: u64,
    /// Error and coverage rates.
    pub rates: Rates,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: 7,
            as_of: Date::new(2026, 9, 30).unwrap_or(Date::from_days(20_726)),
            persons: None,
            susenas_rate: 0.004,
            susenas_min: 4_000,
            rates: Rates::default(),
        }
    }
}

/// Date of the Regsosek 2022 enumeration (mid-point, 15 Oct – 14 Nov 2022).
pub fn regsosek_date() -> Date {
    Date::from_days(19_280) // 2022-10-15
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_set_by_name_and_checked() {
        let mut r = Rates::default();
        assert!(r.set("nik_typo", 0.1).is_ok());
        assert_eq!(r.nik_typo, 0.1);
        assert!(r.set("nik_typo", 1.5).is_err());
        assert!(r.set("nope", 0.1).is_err());
        for name in Rates::NAMES {
            assert!(r.set(name, 0.0).is_ok(), "{name}");
        }
    }

    #[test]
    fn dates_are_the_documented_ones() {
        assert_eq!(regsosek_date().to_string(), "2022-10-15");
        assert_eq!(Config::default().as_of.to_string(), "2026-09-30");
    }
}
