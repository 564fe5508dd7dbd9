//! How many people live where, how well off they are, and how they name themselves.
//!
//! Province populations: Dukcapil population data for 2024 as widely reported, rounded to
//! thousands; they are approximate (they sum to 1% under the published national total), so
//! they are scaled to Dukcapil's national total for December 2024, 284,973,643. Regency and village totals are
//! not published with a compatible licence, so a province's population is spread over its
//! villages with a weight per village: urban wards (*kelurahan*) hold 1.3 times as many people
//! as rural villages (*desa*), and cities more again. Kota Kediri has a measured figure (294,463
//! people in DTSEN, seed article 002) which overrides the model.
//!
//! Welfare index: the mean of the latent welfare of families, in standard deviations, with
//! Jakarta highest and the Papua provinces, NTT and Maluku lowest, following the ordering of
//! BPS provincial poverty rates (March 2024). Price level: relative cost of living (BPS
//! regional price differences, rounded); it scales consumption in rupiah, not welfare.

use crate::names::Tradition;
use dtsen_core::{Level, RegionCode, RegionKind, RegionTable};
use std::collections::HashMap;

/// Facts about one province used by the generator.
pub struct ProvinceProfile {
    /// Province code.
    pub code: u32,
    /// Population (Dukcapil, Dec 2024), persons.
    pub population: u64,
    /// Mean latent welfare of its families (standard deviations).
    pub welfare: f64,
    /// Relative price level (national = 1.0).
    pub price: f64,
    /// Naming traditions and their shares.
    pub traditions: &'static [(Tradition, f64)],
    /// Religion codes (Dukcapil 1–7) and their shares.
    pub religions: &'static [(u8, f64)],
}

use Tradition::*;

const MUSLIM: &[(u8, f64)] = &[(1, 0.96), (2, 0.02), (3, 0.01), (5, 0.01)];
const MIXED: &[(u8, f64)] = &[(1, 0.80), (2, 0.12), (3, 0.05), (5, 0.02), (4, 0.01)];

macro_rules! prov {
    ($code:expr, $pop:expr, $w:expr, $price:expr, $trad:expr, $rel:expr) => {
        ProvinceProfile {
            code: $code,
            population: $pop * 1000,
            welfare: $w,
            price: $price,
            traditions: $trad,
            religions: $rel,
        }
    };
}

/// The 38 provinces.
pub static PROVINCES: [ProvinceProfile; 38] = [
    prov!(
        11,
        5_623,
        -0.30,
        1.00,
        &[(Arabic, 0.45), (Malay, 0.50), (Javanese, 0.05)],
        &[(1, 0.98), (2, 0.02)]
    ),
    prov!(
        12,
        15_589,
        -0.05,
        1.00,
        &[
            (Batak, 0.45),
            (Malay, 0.25),
            (Javanese, 0.25),
            (Chinese, 0.05)
        ],
        &[(1, 0.66), (2, 0.27), (3, 0.05), (5, 0.02)]
    ),
    prov!(
        13,
        5_837,
        0.05,
        1.00,
        &[(Minang, 0.88), (Malay, 0.07), (Batak, 0.05)],
        &[(1, 0.97), (2, 0.03)]
    ),
    prov!(
        14,
        6_729,
        0.15,
        1.05,
        &[(Malay, 0.55), (Minang, 0.15), (Javanese, 0.2), (Batak, 0.1)],
        &[(1, 0.87), (2, 0.09), (5, 0.04)]
    ),
    prov!(
        15,
        3_744,
        0.00,
        1.00,
        &[(Malay, 0.6), (Javanese, 0.3), (Minang, 0.1)],
        MUSLIM
    ),
    prov!(
        16,
        8_838,
        -0.15,
        0.98,
        &[(Malay, 0.7), (Javanese, 0.3)],
        MUSLIM
    ),
    prov!(
        17,
        2_113,
        -0.25,
        0.98,
        &[(Malay, 0.6), (Javanese, 0.3), (Minang, 0.1)],
        MUSLIM
    ),
    prov!(
        18,
        9_419,
        -0.20,
        0.97,
        &[(Javanese, 0.6), (Malay, 0.25), (Sundanese, 0.15)],
        MUSLIM
    ),
    prov!(
        19,
        1_531,
        0.25,
        1.05,
        &[(Malay, 0.7), (Chinese, 0.3)],
        &[(1, 0.89), (5, 0.07), (2, 0.04)]
    ),
    prov!(
        21,
        2_183,
        0.35,
        1.10,
        &[
            (Malay, 0.5),
            (Javanese, 0.2),
            (Batak, 0.15),
            (Chinese, 0.15)
        ],
        &[(1, 0.78), (2, 0.12), (5, 0.10)]
    ),
    prov!(
        31,
        11_010,
        0.90,
        1.25,
        &[
            (Javanese, 0.35),
            (Sundanese, 0.15),
            (Malay, 0.15),
            (Chinese, 0.1),
            (Batak, 0.1),
            (Arabic, 0.15)
        ],
        MIXED
    ),
    prov!(
        32,
        50_345,
        0.10,
        1.00,
        &[(Sundanese, 0.75), (Javanese, 0.15), (Arabic, 0.1)],
        MUSLIM
    ),
    prov!(
        33,
        37_892,
        -0.10,
        0.92,
        &[(Javanese, 0.92), (Arabic, 0.05), (Chinese, 0.03)],
        MUSLIM
    ),
    prov!(
        34,
        3_759,
        0.05,
        0.95,
        &[(Javanese, 0.95), (Chinese, 0.05)],
        &[(1, 0.92), (3, 0.05), (2, 0.03)]
    ),
    prov!(
        35,
        41_815,
        0.00,
        0.92,
        &[(Javanese, 0.85), (Arabic, 0.12), (Chinese, 0.03)],
        MUSLIM
    ),
    prov!(
        36,
        12_432,
        0.20,
        1.02,
        &[
            (Sundanese, 0.55),
            (Javanese, 0.25),
            (Arabic, 0.15),
            (Chinese, 0.05)
        ],
        MUSLIM
    ),
    prov!(
        51,
        4_403,
        0.45,
        1.05,
        &[(Balinese, 0.87), (Javanese, 0.1), (Chinese, 0.03)],
        &[(4, 0.86), (1, 0.10), (2, 0.02), (3, 0.01), (5, 0.01)]
    ),
    prov!(
        52,
        5_646,
        -0.40,
        0.97,
        &[(Malay, 0.55), (Arabic, 0.35), (Balinese, 0.1)],
        &[(1, 0.96), (4, 0.03), (2, 0.01)]
    ),
    prov!(
        53,
        5_657,
        -0.90,
        0.98,
        &[(Eastern, 0.95), (Malay, 0.05)],
        &[(3, 0.53), (2, 0.36), (1, 0.10), (4, 0.01)]
    ),
    prov!(
        61,
        5_696,
        -0.05,
        1.02,
        &[
            (Malay, 0.55),
            (Chinese, 0.1),
            (Eastern, 0.25),
            (Javanese, 0.1)
        ],
        &[(1, 0.60), (3, 0.22), (2, 0.12), (5, 0.06)]
    ),
    prov!(
        62,
        2_774,
        0.20,
        1.05,
        &[(Malay, 0.6), (Javanese, 0.25), (Eastern, 0.15)],
        &[(1, 0.74), (2, 0.17), (4, 0.05), (3, 0.04)]
    ),
    prov!(
        63,
        4_273,
        0.30,
        1.02,
        &[(Malay, 0.85), (Javanese, 0.15)],
        MUSLIM
    ),
    prov!(
        64,
        4_046,
        0.45,
        1.12,
        &[
            (Javanese, 0.35),
            (Bugis, 0.25),
            (Malay, 0.3),
            (Eastern, 0.1)
        ],
        &[(1, 0.86), (2, 0.09), (3, 0.05)]
    ),
    prov!(
        65,
        743,
        0.25,
        1.12,
        &[(Malay, 0.4), (Bugis, 0.3), (Eastern, 0.3)],
        &[(1, 0.70), (2, 0.20), (3, 0.10)]
    ),
    prov!(
        71,
        2_701,
        0.20,
        1.05,
        &[(Eastern, 0.8), (Malay, 0.2)],
        &[(2, 0.63), (1, 0.31), (3, 0.05), (4, 0.01)]
    ),
    prov!(
        72,
        3_151,
        -0.25,
        1.00,
        &[(Bugis, 0.45), (Malay, 0.35), (Eastern, 0.2)],
        &[(1, 0.78), (2, 0.17), (4, 0.04), (3, 0.01)]
    ),
    prov!(
        73,
        9_463,
        -0.05,
        0.98,
        &[(Bugis, 0.9), (Eastern, 0.05), (Chinese, 0.05)],
        &[(1, 0.90), (2, 0.08), (3, 0.02)]
    ),
    prov!(
        74,
        2_793,
        -0.25,
        1.00,
        &[(Bugis, 0.6), (Malay, 0.3), (Javanese, 0.1)],
        MUSLIM
    ),
    prov!(
        75,
        1_229,
        -0.40,
        0.98,
        &[(Malay, 0.9), (Arabic, 0.1)],
        MUSLIM
    ),
    prov!(
        76,
        1_492,
        -0.35,
        0.98,
        &[(Bugis, 0.9), (Malay, 0.1)],
        &[(1, 0.83), (2, 0.15), (3, 0.02)]
    ),
    prov!(
        81,
        1_945,
        -0.60,
        1.05,
        &[(Eastern, 0.55), (Malay, 0.45)],
        &[(2, 0.42), (1, 0.51), (3, 0.07)]
    ),
    prov!(
        82,
        1_355,
        -0.15,
        1.05,
        &[(Malay, 0.75), (Eastern, 0.25)],
        &[(1, 0.75), (2, 0.23), (3, 0.02)]
    ),
    prov!(
        91,
        1_060,
        -1.10,
        1.25,
        &[(Eastern, 0.75), (Bugis, 0.1), (Javanese, 0.15)],
        &[(2, 0.65), (3, 0.15), (1, 0.20)]
    ),
    prov!(
        92,
        568,
        -0.85,
        1.22,
        &[(Eastern, 0.7), (Bugis, 0.1), (Javanese, 0.2)],
        &[(2, 0.55), (3, 0.10), (1, 0.35)]
    ),
    prov!(
        93,
        530,
        -1.10,
        1.25,
        &[(Eastern, 0.75), (Javanese, 0.15), (Bugis, 0.1)],
        &[(3, 0.40), (2, 0.35), (1, 0.25)]
    ),
    prov!(
        94,
        1_460,
        -1.50,
        1.35,
        &[(Eastern, 0.95), (Bugis, 0.05)],
        &[(2, 0.70), (3, 0.22), (1, 0.08)]
    ),
    prov!(
        95,
        1_450,
        -1.80,
        1.45,
        &[(Eastern, 0.98), (Javanese, 0.02)],
        &[(2, 0.85), (3, 0.12), (1, 0.03)]
    ),
    prov!(
        96,
        620,
        -0.70,
        1.20,
        &[(Eastern, 0.6), (Bugis, 0.15), (Javanese, 0.25)],
        &[(2, 0.55), (3, 0.08), (1, 0.37)]
    ),
];

/// The profile of a province.
pub fn province(code: u32) -> &'static ProvinceProfile {
    PROVINCES
        .iter()
        .find(|p| p.code == code)
        .unwrap_or(&PROVINCES[14])
}

/// Dukcapil's national population, December 2024 (brief §3.1).
pub const NATIONAL_POPULATION: u64 = 284_973_643;

/// A province's population, scaled so that the provinces sum to [`NATIONAL_POPULATION`].
pub fn province_population(code: u32) -> f64 {
    let sum: u64 = PROVINCES.iter().map(|p| p.population).sum();
    province(code).population as f64 * NATIONAL_POPULATION as f64 / sum as f64
}

/// Measured populations that override the village-weight model: (regency code, persons, source).
pub const MEASURED: &[(&str, u64, &str)] =
    &[("35.71", 294_463, "seed 002: 294,463 people in DTSEN")];

/// Relative weight of a village in its province's population.
pub fn village_weight(code: RegionCode) -> f64 {
    let city = code.ancestor(Level::Regency).map(|r| r.kind()) == Some(RegionKind::Kota);
    match (code.kind(), city) {
        (RegionKind::Kelurahan, true) => 1.45,
        (RegionKind::Kelurahan, false) => 1.3,
        (_, true) => 1.2,
        _ => 1.0,
    }
}

/// Welfare shift of a village on top of its province's mean.
pub fn village_welfare_shift(code: RegionCode) -> f64 {
    let city = code.ancestor(Level::Regency).map(|r| r.kind()) == Some(RegionKind::Kota);
    let ward = code.kind() == RegionKind::Kelurahan;
    0.25 * f64::from(u8::from(city)) + 0.2 * f64::from(u8::from(ward)) - 0.1
}

/// The planned population of every village of `region`, in code order.
///
/// `persons` (if given) rescales the whole selection to that total.
pub fn plan(
    regions: &RegionTable,
    region: Option<RegionCode>,
    persons: Option<u64>,
) -> Vec<(RegionCode, u64)> {
    let villages: &[dtsen_core::Region] = match region {
        Some(r) if r.level() == Level::Village => {
            regions.get(r).map(std::slice::from_ref).unwrap_or(&[])
        }
        Some(r) => regions.within(r, Level::Village),
        None => regions.level(Level::Village),
    };
    let model = Model::new(regions, villages);
    let mut planned: Vec<(RegionCode, f64)> = villages
        .iter()
        .map(|v| (v.code, model.population(v.code)))
        .collect();
    if let Some(total) = persons {
        let sum: f64 = planned.iter().map(|p| p.1).sum();
        let k = if sum > 0.0 { total as f64 / sum } else { 0.0 };
        for p in &mut planned {
            p.1 *= k;
        }
    }
    // Carry the rounding remainder forward so that the total is kept.
    let mut carry = 0.0;
    planned
        .into_iter()
        .map(|(c, x)| {
            let want = x + carry;
            let n = want.round().max(0.0);
            carry = want - n;
            (c, n as u64)
        })
        .collect()
}

/// Persons per unit of village weight, per province and per measured regency.
struct Model {
    per_weight: HashMap<u64, f64>,
}

impl Model {
    /// Computes the rates for the provinces and measured regencies that `villages` touch.
    fn new(regions: &RegionTable, villages: &[dtsen_core::Region]) -> Model {
        let weight_of = |r: RegionCode| {
            regions
                .within(r, Level::Village)
                .iter()
                .map(|v| village_weight(v.code))
                .sum::<f64>()
        };
        let measured: Vec<(RegionCode, u64)> = MEASURED
            .iter()
            .filter_map(|(c, n, _)| RegionCode::parse(c).ok().map(|r| (r, *n)))
            .collect();
        let mut per_weight = HashMap::new();
        for v in villages {
            let prov = v.code.province();
            if per_weight.contains_key(&prov.value()) {
                continue;
            }
            let mut people = province_population(prov.parts()[0]);
            let mut total = weight_of(prov);
            for (r, n) in &measured {
                if prov.contains(r) {
                    let w = weight_of(*r);
                    per_weight.insert(r.value(), *n as f64 / w);
                    people -= *n as f64;
                    total -= w;
                }
            }
            per_weight.insert(prov.value(), people / total);
        }
        Model { per_weight }
    }

    /// The model population of one village.
    fn population(&self, village: RegionCode) -> f64 {
        let rate = village
            .ancestor(Level::Regency)
            .and_then(|r| self.per_weight.get(&r.value()))
            .or_else(|| self.per_weight.get(&village.province().value()))
            .copied()
            .unwrap_or(0.0);
        rate * village_weight(village)
    }
}

/// Approximate centre (latitude, longitude) of each province, for plausible geotags.
pub fn province_centre(code: u32) -> (f64, f64) {
    match code {
        11 => (4.36, 96.9),
        12 => (2.1, 99.3),
        13 => (-0.74, 100.8),
        14 => (0.3, 101.7),
        15 => (-1.6, 103.6),
        16 => (-3.3, 104.0),
        17 => (-3.6, 102.3),
        18 => (-4.9, 105.2),
        19 => (-2.7, 106.4),
        21 => (1.0, 104.5),
        31 => (-6.2, 106.85),
        32 => (-6.9, 107.6),
        33 => (-7.15, 110.1),
        34 => (-7.8, 110.4),
        35 => (-7.6, 112.2),
        36 => (-6.4, 106.1),
        51 => (-8.4, 115.2),
        52 => (-8.6, 117.4),
        53 => (-8.9, 121.0),
        61 => (-0.1, 110.9),
        62 => (-1.7, 113.4),
        63 => (-3.0, 115.3),
        64 => (0.5, 116.4),
        65 => (3.0, 116.0),
        71 => (1.0, 124.5),
        72 => (-1.4, 121.4),
        73 => (-4.3, 120.0),
        74 => (-4.1, 122.2),
        75 => (0.6, 122.4),
        76 => (-2.5, 119.2),
        81 => (-3.2, 129.0),
        82 => (1.5, 127.8),
        91 => (-2.5, 140.0),
        92 => (-1.3, 133.5),
        93 => (-7.0, 139.5),
        94 => (-3.9, 136.5),
        95 => (-4.0, 138.9),
        96 => (-1.0, 131.5),
        _ => (-2.5, 118.0),
    }
}

/// The upper-case place name of a regency or city as written in birth places (`KEDIRI`).
pub fn place_name(regency: RegionCode) -> &'static str {
    static NAMES: std::sync::OnceLock<HashMap<u64, String>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        RegionTable::official()
            .level(Level::Regency)
            .iter()
            .map(|r| {
                let n = r
                    .name
                    .trim_start_matches("Kabupaten ")
                    .trim_start_matches("Kota ");
                (r.code.value(), n.to_uppercase())
            })
            .collect()
    });
    names
        .get(&regency.value())
        .map(String::as_str)
        .unwrap_or("INDONESIA")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_cover_the_official_table_and_the_country() {
        let t = RegionTable::official();
        for p in t.level(Level::Province) {
            assert!(
                PROVINCES.iter().any(|x| x.code == p.code.parts()[0]),
                "no profile for {}",
                p.code
            );
        }
        let total: u64 = PROVINCES.iter().map(|p| p.population).sum();
        assert!((278_000_000..292_000_000).contains(&total), "total {total}");
        let scaled: f64 = PROVINCES.iter().map(|p| province_population(p.code)).sum();
        assert!((scaled - NATIONAL_POPULATION as f64).abs() < 1.0);
        for p in &PROVINCES {
            let t: f64 = p.traditions.iter().map(|x| x.1).sum();
            let r: f64 = p.religions.iter().map(|x| x.1).sum();
            assert!(
                (t - 1.0).abs() < 1e-9 && (r - 1.0).abs() < 1e-9,
                "shares of {} do not sum to 1",
                p.code
            );
        }
    }

    #[test]
    fn kota_kediri_plans_its_measured_population() {
        let t = RegionTable::official();
        let kediri = RegionCode::parse("35.71").ok();
        let plan = plan(t, kediri, None);
        assert_eq!(plan.len(), 46);
        let total: u64 = plan.iter().map(|p| p.1).sum();
        assert!((294_000..295_000).contains(&total), "total {total}");
    }

    #[test]
    fn east_java_plans_its_published_population() {
        let t = RegionTable::official();
        let total: u64 = plan(t, RegionCode::parse("35").ok(), None)
            .iter()
            .map(|p| p.1)
            .sum();
        let want = province_population(35).round() as u64;
        assert!(total.abs_diff(want) < 100, "total {total}, want {want}");
    }
}
