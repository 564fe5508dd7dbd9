//! The true population of one district: families, their members, their welfare, and the
//! events (splits, moves, deaths) that the older sources did not see.
//!
//! Villages are generated independently (in parallel) from their own random stream; the
//! identifiers are assigned afterwards by [`assign_ids`], one pass per district in village
//! order, because NIK and KK serials are unique per issuing district. Natives of a district
//! take serials from 0001 upward; people whose NIK or old KK was issued in another district of
//! the same regency take serials from a reserved lane (5000 + 95 × their current district's
//! place in the regency + a counter), so every NIK stays unique without a global table.

use crate::config::{regsosek_date, Config};
use crate::names::{self, NameContext, Tradition};
use crate::population::{province, province_centre, village_welfare_shift};
use crate::rng::Rng;
use dtsen_core::{
    Date, KkNumber, Level, MaritalStatus, Nik, RegionCode, RegionKind, RegionTable, Relationship,
    Sex,
};
use std::collections::HashMap;

/// A person as they really are.
#[derive(Clone, Debug)]
pub struct Person {
    /// Truth id number (`P` + this, zero-padded, in the files).
    pub pid: u64,
    /// Registered name.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// True date of birth.
    pub birth: Date,
    /// Place of birth.
    pub birth_place: &'static str,
    /// Relationship to the head of the current family.
    pub rel: Relationship,
    /// Marital status.
    pub marital: MaritalStatus,
    /// Religion (Dukcapil 1–7).
    pub religion: u8,
    /// Last education (Dukcapil 1–10).
    pub educ: u8,
    /// Highest certificate (Regsosek r415; 0 not applicable).
    pub cert: u8,
    /// School participation (r412; 0 under 5).
    pub school: u8,
    /// Worked last week.
    pub works: bool,
    /// Occupation (Dukcapil code).
    pub occupation: u8,
    /// Industry of main job (r417; 0 if not working).
    pub industry: u8,
    /// Status in main job (r418; 0 if not working).
    pub job_status: u8,
    /// Owns a business.
    pub business: bool,
    /// Functional difficulty r428a–j (0 not applicable by age; 4 no difficulty).
    pub difficulty: [u8; 10],
    /// Chronic illness (r430, 1 none).
    pub chronic: u8,
    /// Pregnant (women 10–54 ever married).
    pub pregnant: bool,
    /// Health insurance (r431a sum of codes).
    pub insurance: u8,
    /// District that issued (or will issue) the NIK; `None` when not registered in SIAK.
    pub nik_origin: Option<RegionCode>,
    /// NIK, assigned by [`assign_ids`]; `None` when not registered in SIAK.
    pub nik: Option<Nik>,
    /// Date of death, if the person died.
    pub death: Option<Date>,
    /// Civil-service kind (0 ASN, 1 TNI, 2 POLRI, 3 BUMN, 4 BUMD), if any.
    pub asn: Option<u8>,
    /// Health-contribution recipient: (paid by the central budget, active).
    pub pbi: Option<(bool, bool)>,
}

impl Person {
    /// Age in completed years on a date.
    pub fn age_on(&self, d: Date) -> i32 {
        self.birth.age_on(d)
    }
    /// Alive on a date.
    pub fn alive_on(&self, d: Date) -> bool {
        self.death.is_none_or(|x| x > d)
    }
}

/// Housing, amenities and assets: the Regsosek family variables.
#[derive(Clone, Debug, Default)]
pub struct Housing {
    /// r301a ownership.
    pub r301a: u8,
    /// r301b proof of ownership (0 if r301a ≠ 1).
    pub r301b: u8,
    /// r302 floor area m².
    pub r302: u16,
    /// r303 floor.
    pub r303: u8,
    /// r304 wall.
    pub r304: u8,
    /// r305 roof.
    pub r305: u8,
    /// r306a drinking water.
    pub r306a: u8,
    /// r307a lighting.
    pub r307a: u8,
    /// r307b installed power (0 if r307a ≠ 1).
    pub r307b: u8,
    /// r308 cooking fuel.
    pub r308: u8,
    /// r309a toilet facility.
    pub r309a: u8,
    /// r309b toilet type (0 if r309a not 1–3).
    pub r309b: u8,
    /// r310 final disposal.
    pub r310: u8,
    /// r502a–n movable assets (true = owns).
    pub assets: [bool; 14],
    /// r503a other land, r503b other house.
    pub land: [bool; 2],
    /// r504a–e cattle, buffalo, horses, pigs, goats/sheep.
    pub livestock: [u8; 5],
    /// r505 internet access.
    pub r505: u8,
    /// r506 bank account.
    pub r506: u8,
}

/// Where the older sources saw a family that has since moved.
#[derive(Clone, Debug)]
pub struct Past {
    /// Village before the move.
    pub village: RegionCode,
    /// District that issued the KK before the move.
    pub kk_district: RegionCode,
    /// Issue date of the KK before the move.
    pub kk_issued: Date,
    /// KK number before the move, assigned by [`assign_ids`].
    pub kk: Option<KkNumber>,
    /// Address before the move.
    pub address: String,
    /// RT before the move.
    pub rt: u8,
    /// RW before the move.
    pub rw: u8,
}

/// A family as it really is now (its KK in SIAK).
#[derive(Clone, Debug)]
pub struct Family {
    /// Truth id number (`F` + this in the files).
    pub fid: u64,
    /// Current village.
    pub village: RegionCode,
    /// Issue date of the current KK.
    pub kk_issued: Date,
    /// Current KK number, assigned by [`assign_ids`]; `None` for a family not in the civil
    /// registry.
    pub kk: Option<KkNumber>,
    /// Whether the family is in the civil registry (SIAK).
    pub registered: bool,
    /// Street address.
    pub address: String,
    /// RT.
    pub rt: u8,
    /// RW.
    pub rw: u8,
    /// Members, head first.
    pub members: Vec<Person>,
    /// Latent welfare (standard deviations).
    pub welfare: f64,
    /// True monthly consumption per person, rupiah.
    pub pcc: f64,
    /// Housing and assets.
    pub housing: Housing,
    /// Naming tradition.
    pub tradition: Tradition,
    /// Where the older sources saw it, if it moved since.
    pub past: Option<Past>,
    /// Index (within the village) of the family the older sources list these members in,
    /// for a family split off after Regsosek (*pecah KK*).
    pub split_from: Option<usize>,
    /// For a split family, the member who is the child of the family it split from.
    pub split_child: usize,
    /// Covered by Regsosek 2022.
    pub regsosek: bool,
    /// In DTKS: (PKH, BPNT, PBI flags, last update).
    pub dtks: Option<(bool, bool, bool, Date)>,
    /// In P3KE, with its decile.
    pub p3ke: Option<u8>,
    /// Susenas weight, if sampled.
    pub susenas: Option<f64>,
    /// Geotag.
    pub lat: f64,
    /// Geotag.
    pub lon: f64,
}

/// National welfare cut-offs used to decide who the targeting sources hold.
#[derive(Clone, Debug)]
pub struct Cutoffs {
    /// DTKS: older, noisy welfare below its 40th percentile.
    pub dtks: f64,
    /// P3KE: deciles 1–10 of its own noisy welfare (nine cut points); it holds deciles 1–3.
    pub p3ke: [f64; 9],
    /// PBI-JK recipients: welfare below this (about the poorest 35%).
    pub pbi: f64,
}

/// Noise of the older welfare assessments behind DTKS and P3KE.
pub const DTKS_NOISE: f64 = 0.6;
/// See [`DTKS_NOISE`].
pub const P3KE_NOISE: f64 = 0.5;

/// Shared, read-only inputs for generating districts.
pub struct Context<'a> {
    /// Settings.
    pub cfg: &'a Config,
    /// Official region table.
    pub regions: &'a RegionTable,
    /// National cut-offs.
    pub cutoffs: Cutoffs,
    /// Susenas sampling probability per family.
    pub susenas_p: f64,
}

/// Serial allocation for NIK and KK numbers within one district.
pub struct Serials {
    district: RegionCode,
    native: HashMap<(i64, u8), u32>,
    lanes: HashMap<(u64, i64, u8), u32>,
    lane_base: u32,
}

impl Serials {
    /// Fresh counters for a district, given its place among the districts of its regency.
    pub fn new(regions: &RegionTable, district: RegionCode) -> Serials {
        let regency = district.ancestor(Level::Regency).unwrap_or(district);
        let ordinal = regions
            .within(regency, Level::District)
            .iter()
            .position(|d| d.code == district)
            .unwrap_or(0) as u32;
        Serials {
            district,
            native: HashMap::new(),
            lanes: HashMap::new(),
            lane_base: 5000 + 95 * ordinal.min(51),
        }
    }

    /// The district these counters belong to.
    pub fn district(&self) -> RegionCode {
        self.district
    }

    /// Next serial for a number issued by `origin` on `day` (`kind` separates NIK sexes and
    /// KK numbers); `None` when the lane is full.
    fn next(&mut self, origin: RegionCode, day: i64, kind: u8) -> Option<u32> {
        if origin == self.district {
            let c = self.native.entry((day, kind)).or_insert(0);
            *c += 1;
            (*c < 5000).then_some(*c)
        } else {
            let c = self.lanes.entry((origin.value(), day, kind)).or_insert(0);
            *c += 1;
            (*c < 95).then(|| self.lane_base + *c)
        }
    }

    /// A KK number issued by `origin` on or shortly before `issued`.
    fn kk(&mut self, origin: RegionCode, issued: Date) -> Option<KkNumber> {
        for back in 0..366 {
            let d = issued.add_days(-back);
            if let Some(s) = self.next(origin, d.to_days(), 9) {
                return KkNumber::from_parts(origin, d, s);
            }
        }
        None
    }
}

/// Assigns NIKs and KK numbers to the families of one village, in order. Call it for the
/// villages of a district in code order with that district's [`Serials`].
pub fn assign_ids(serials: &mut Serials, families: &mut [Family]) {
    for f in families.iter_mut() {
        let district = f
            .village
            .ancestor(Level::District)
            .unwrap_or(serials.district);
        if f.registered {
            f.kk = serials.kk(district, f.kk_issued);
        }
        if let Some(past) = &mut f.past {
            past.kk = serials.kk(past.kk_district, past.kk_issued);
        }
        for p in &mut f.members {
            p.nik = p.nik_origin.and_then(|origin| {
                let s = serials.next(origin, p.birth.to_days(), p.sex.code())?;
                Nik::from_parts(origin, p.birth, p.sex, s)
            });
        }
    }
}

/// Generates the families of one village from its own random stream (identifiers are
/// assigned later by [`assign_ids`]).
pub fn village(ctx: &Context, village: RegionCode, target: u64) -> Vec<Family> {
    let cfg = ctx.cfg;
    let mut rng = Rng::new(cfg.seed, village.value());
    let district = village.ancestor(Level::District).unwrap_or(village);
    let regency = village.ancestor(Level::Regency).unwrap_or(village);
    let place = crate::population::place_name(regency);
    let prov = province(village.parts()[0]);
    let urban = village.kind() == RegionKind::Kelurahan;
    let mean = prov.welfare + village_welfare_shift(village) + 0.3 * rng.normal();
    let (clat, clon) = province_centre(village.parts()[0]);
    let rj = Rng::new(cfg.seed ^ 0x0067_656f, regency.value()).normal();
    let rk = Rng::new(cfg.seed ^ 0x006c_6f6e, regency.value()).normal();
    let at = (
        clat + 0.35 * rj + 0.04 * rng.normal(),
        clon + 0.35 * rk + 0.04 * rng.normal(),
    );
    let mut g = Gen {
        ctx,
        rng: &mut rng,
        district,
        siblings: ctx
            .regions
            .within(regency, Level::District)
            .iter()
            .map(|d| d.code)
            .collect(),
        regency_villages: ctx.regions.within(regency, Level::Village),
        place,
        families: Vec::with_capacity((target / 3 + 1) as usize),
        next_pid: village.value() * 1_000_000,
        next_fid: village.value() * 1_000_000,
    };
    let mut people = 0u64;
    while people < target {
        people += g.family(village, urban, mean, at) as u64;
    }
    g.families
}

struct Gen<'a, 'r> {
    ctx: &'a Context<'a>,
    rng: &'r mut Rng,
    district: RegionCode,
    siblings: Vec<RegionCode>,
    regency_villages: &'a [dtsen_core::Region],
    place: &'static str,
    families: Vec<Family>,
    next_pid: u64,
    next_fid: u64,
}

/// A planned member before identifiers and attributes are drawn.
struct Plan {
    sex: Sex,
    age: i32,
    rel: Relationship,
    marital: MaritalStatus,
    clan: Option<&'static str>,
    order: u32,
}

impl Gen<'_, '_> {
    /// Generates one family (and the family split from it, if any); returns persons made.
    fn family(&mut self, village: RegionCode, urban: bool, mean: f64, at: (f64, f64)) -> usize {
        let welfare = mean + self.rng.normal();
        let prov = province(self.district.parts()[0]);
        let tradition = *self.rng.pick_weighted(prov.traditions);
        let religion = religion_for(self.rng, tradition, prov.religions);
        let clan = names::draw_clan(self.rng, tradition);
        let plans = self.compose(welfare, urban, clan);
        let idx = self.families.len();
        let made = plans.len();
        let fam = self.build(
            village, urban, welfare, tradition, religion, plans, at, None,
        );
        self.families.push(fam);
        // A married child who left after Regsosek and now has a KK of their own (*pecah KK*).
        let head_age = self.families[idx].members[0].age_on(self.ctx.cfg.as_of);
        let split_p = self.ctx.cfg.rates.family_split;
        if (45..=72).contains(&head_age)
            && self.families[idx].members.len() >= 2
            && self.rng.chance(split_p * 2.5)
        {
            let r = &mut *self.rng;
            let age = r.range(23, i64::from((head_age - 20).clamp(23, 36))) as i32;
            // A son brings his wife; a daughter's husband heads the new KK.
            let son = r.chance(0.6);
            let other_clan = names::draw_clan(r, tradition);
            let (husband_clan, wife_clan) = if son {
                (clan, other_clan)
            } else {
                (other_clan, clan)
            };
            let husband_age = if son { age } else { age + r.range(0, 5) as i32 };
            let wife_age = if son {
                (age - r.range(0, 5) as i32).max(19)
            } else {
                age
            };
            let mut p = vec![
                Plan {
                    sex: Sex::Male,
                    age: husband_age,
                    rel: Relationship::Head,
                    marital: MaritalStatus::Married,
                    clan: husband_clan,
                    order: 1,
                },
                Plan {
                    sex: Sex::Female,
                    age: wife_age,
                    rel: Relationship::Wife,
                    marital: MaritalStatus::Married,
                    clan: wife_clan,
                    order: 0,
                },
            ];
            for k in 0..r.below(3) as u32 {
                let sex = if r.chance(0.5) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                p.push(Plan {
                    sex,
                    age: r.range(0, 4) as i32,
                    rel: Relationship::Child,
                    marital: MaritalStatus::NeverMarried,
                    clan: husband_clan,
                    order: k,
                });
            }
            let made_split = p.len();
            let w = welfare + 0.3 * self.rng.normal();
            let mut fam = self.build(village, urban, w, tradition, religion, p, at, Some(idx));
            fam.split_child = usize::from(!son);
            self.families.push(fam);
            return made + made_split;
        }
        made
    }

    /// Household composition (ages, sexes, relationships).
    fn compose(&mut self, welfare: f64, urban: bool, clan: Option<&'static str>) -> Vec<Plan> {
        let r = &mut *self.rng;
        let kind = r.weighted(&[0.11, 0.12, 0.52, 0.09, 0.16]);
        let mut out = Vec::with_capacity(6);
        let (head_age, head_female) = match kind {
            0 => (r.range(19, 88) as i32, r.chance(0.45)),
            1 => (
                if r.chance(0.4) {
                    r.range(21, 34)
                } else {
                    r.range(50, 88)
                } as i32,
                false,
            ),
            2 => (r.range(24, 62) as i32, false),
            3 => (r.range(28, 72) as i32, r.chance(0.85)),
            _ => (r.range(38, 78) as i32, r.chance(0.1)),
        };
        let head_marital = match kind {
            0 if head_age < 30 || (head_age < 45 && r.chance(0.6)) => MaritalStatus::NeverMarried,
            0 if head_age < 45 => {
                if r.chance(0.6) {
                    MaritalStatus::Divorced
                } else {
                    MaritalStatus::Widowed
                }
            }
            0 | 3 => {
                if r.chance(0.7) {
                    MaritalStatus::Widowed
                } else {
                    MaritalStatus::Divorced
                }
            }
            4 if head_female => MaritalStatus::Widowed,
            _ => MaritalStatus::Married,
        };
        let head_sex = if head_female { Sex::Female } else { Sex::Male };
        out.push(Plan {
            sex: head_sex,
            age: head_age,
            rel: Relationship::Head,
            marital: head_marital,
            clan,
            order: 0,
        });
        let mut mother_age = if head_female {
            head_age
        } else {
            head_age - r.range(0, 6) as i32
        };
        if head_marital == MaritalStatus::Married {
            let spouse_age = (head_age - r.range(-2, 7) as i32).max(17);
            mother_age = spouse_age;
            out.push(Plan {
                sex: Sex::Female,
                age: spouse_age,
                rel: Relationship::Wife,
                marital: MaritalStatus::Married,
                clan: None,
                order: 0,
            });
        }
        if matches!(kind, 2..=4) {
            let mean = (2.0 - 0.35 * welfare + if urban { -0.2 } else { 0.2 }).clamp(0.6, 4.0);
            // Couples without children are their own kind, so these families have at least one.
            let n = (1 + r.poisson((mean - 1.0).max(0.2))).min(8);
            let mut age_at_birth = r.range(19, 30) as i32;
            for k in 0..n {
                let age = mother_age - age_at_birth;
                if age < 0 || age_at_birth > 44 {
                    break;
                }
                if age <= 32 {
                    let sex = if r.chance(0.51) {
                        Sex::Male
                    } else {
                        Sex::Female
                    };
                    out.push(Plan {
                        sex,
                        age,
                        rel: Relationship::Child,
                        marital: MaritalStatus::NeverMarried,
                        clan,
                        order: k,
                    });
                }
                age_at_birth += r.range(1, 5) as i32;
            }
        }
        if kind == 4 {
            if r.chance(0.5) && head_age + 22 <= 95 {
                let sex = if r.chance(0.7) {
                    Sex::Female
                } else {
                    Sex::Male
                };
                let rel = if r.chance(0.6) {
                    Relationship::Parent
                } else {
                    Relationship::ParentInLaw
                };
                out.push(Plan {
                    sex,
                    age: (head_age + r.range(20, 32) as i32).min(95),
                    rel,
                    marital: MaritalStatus::Widowed,
                    clan: None,
                    order: 0,
                });
            } else if head_age >= 42 {
                let age = r.range(20, i64::from((head_age - 20).clamp(20, 40))) as i32;
                let son = r.chance(0.5);
                let (child_sex, inlaw_sex) = if son {
                    (Sex::Male, Sex::Female)
                } else {
                    (Sex::Female, Sex::Male)
                };
                out.push(Plan {
                    sex: child_sex,
                    age,
                    rel: Relationship::Child,
                    marital: MaritalStatus::Married,
                    clan,
                    order: 0,
                });
                out.push(Plan {
                    sex: inlaw_sex,
                    age: age + r.range(-2, 4) as i32,
                    rel: Relationship::ChildInLaw,
                    marital: MaritalStatus::Married,
                    clan: None,
                    order: 0,
                });
                for k in 0..r.below(3) as u32 {
                    let sex = if r.chance(0.5) {
                        Sex::Male
                    } else {
                        Sex::Female
                    };
                    out.push(Plan {
                        sex,
                        age: r.range(0, i64::from((age - 19).clamp(0, 12))) as i32,
                        rel: Relationship::Grandchild,
                        marital: MaritalStatus::NeverMarried,
                        clan: if son { clan } else { None },
                        order: k,
                    });
                }
            }
            if r.chance(0.08) {
                let sex = if r.chance(0.5) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                out.push(Plan {
                    sex,
                    age: r.range(10, 60) as i32,
                    rel: Relationship::OtherRelative,
                    marital: MaritalStatus::NeverMarried,
                    clan: None,
                    order: 0,
                });
            }
        }
        if welfare > 1.3 && r.chance(0.15) {
            out.push(Plan {
                sex: Sex::Female,
                age: r.range(18, 55) as i32,
                rel: Relationship::DomesticHelper,
                marital: MaritalStatus::NeverMarried,
                clan: None,
                order: 0,
            });
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        &mut self,
        village: RegionCode,
        urban: bool,
        welfare: f64,
        tradition: Tradition,
        religion: u8,
        plans: Vec<Plan>,
        at: (f64, f64),
        split_from: Option<usize>,
    ) -> Family {
        let cfg = self.ctx.cfg;
        let as_of = cfg.as_of;
        let mut members = Vec::with_capacity(plans.len());
        for (i, p) in plans.iter().enumerate() {
            members.push(self.person(p, i == 0, urban, welfare, tradition, religion));
        }
        // A small share of families are not in the civil registry at all (no KK, no NIK).
        let registered = split_from.is_some() || !self.rng.chance(cfg.rates.unregistered * 0.5);
        if !registered {
            for m in &mut members {
                m.nik_origin = None;
            }
        }
        let size = members.len() as f64;
        let price = province(self.district.parts()[0]).price;
        let u = self.rng.normal();
        let pcc =
            (13.86 + price.ln() + 0.45 * welfare + 0.45 * u - 0.15 * (size.ln() - 3f64.ln())).exp();
        let housing = housing(self.rng, welfare, urban, size);
        // KK issue date: after the split for split families, otherwise any time since 2000.
        let issued = if split_from.is_some() {
            Date::from_days(
                self.rng
                    .range(regsosek_date().to_days() + 30, as_of.to_days() - 1),
            )
        } else {
            Date::from_days(
                self.rng
                    .range(Date::from_days(10_957).to_days(), as_of.to_days() - 1),
            )
        };
        let (street, rt, rw) = address(self.rng, urban);
        let fid = self.next_fid;
        self.next_fid += 1;
        // Moved since the older sources: they saw the family in another village of the regency.
        let past = if split_from.is_none()
            && self.regency_villages.len() > 1
            && self.rng.chance(cfg.rates.family_moved)
        {
            let old = self.rng.pick(self.regency_villages).code;
            (old != village).then(|| {
                let kk_district = old.ancestor(Level::District).unwrap_or(self.district);
                let kk_issued =
                    Date::from_days(self.rng.range(10_957, regsosek_date().to_days() - 1));
                let (address, rt, rw) = address(self.rng, old.kind() == RegionKind::Kelurahan);
                Past {
                    village: old,
                    kk_district,
                    kk_issued,
                    kk: None,
                    address,
                    rt,
                    rw,
                }
            })
        } else {
            None
        };
        let cut = &self.ctx.cutoffs;
        let dtks_w = welfare + DTKS_NOISE * self.rng.normal();
        let dtks = (dtks_w < cut.dtks).then(|| {
            let update = Date::from_days(self.rng.range(18_628, 20_088)); // 2021-01-01 .. 2024-12-31
            (
                dtks_w < cut.dtks - 0.6 && self.rng.chance(0.6),
                self.rng.chance(0.7),
                self.rng.chance(0.9),
                update,
            )
        });
        let p3ke_w = welfare + P3KE_NOISE * self.rng.normal();
        let decile = 1 + cut.p3ke.iter().filter(|c| p3ke_w >= **c).count() as u8;
        let p3ke = (decile <= 3).then_some(decile);
        let pbi_family = welfare < cut.pbi || dtks.is_some_and(|d| d.2);
        for m in &mut members {
            if pbi_family && m.nik_origin.is_some() && self.rng.chance(0.85) {
                m.pbi = Some((self.rng.chance(0.8), self.rng.chance(0.93)));
                m.insurance = 1;
            }
        }
        let susenas = (self.rng.chance(self.ctx.susenas_p)).then(|| 1.0 / self.ctx.susenas_p);
        let (lat, lon) = (
            at.0 + 0.01 * self.rng.normal(),
            at.1 + 0.01 * self.rng.normal(),
        );
        Family {
            fid,
            village,
            kk_issued: issued,
            kk: None,
            registered,
            address: street,
            rt,
            rw,
            members,
            welfare,
            pcc,
            housing,
            tradition,
            past,
            split_from,
            split_child: 0,
            regsosek: self.rng.chance(cfg.rates.regsosek_coverage),
            dtks,
            p3ke,
            susenas,
            lat,
            lon,
        }
    }

    fn person(
        &mut self,
        p: &Plan,
        is_head: bool,
        urban: bool,
        welfare: f64,
        tradition: Tradition,
        religion: u8,
    ) -> Person {
        let cfg = self.ctx.cfg;
        let as_of = cfg.as_of;
        let r = &mut *self.rng;
        let age = p.age.clamp(0, 97);
        // Birth date: `age` completed years before the reference date.
        let latest = Date::new(as_of.year() - age, as_of.month(), as_of.day())
            .unwrap_or(as_of.add_days(-(age as i64) * 365));
        let birth = latest.add_days(-(r.below(365) as i64));
        let female = p.sex == Sex::Female;
        let ctx = NameContext {
            tradition,
            female,
            birth_year: birth.year(),
            clan: p.clan,
            birth_order: p.order,
        };
        let mut name = names::full_name(r, &ctx);
        if age >= 23 && r.chance(0.01) {
            name = format!("{name}, S.PD.");
        }
        let birth_place = if r.chance(0.85) {
            self.place
        } else {
            names_place(r)
        };
        let (educ, cert, school) = education(r, age, welfare, urban);
        let (works, industry, job_status, occupation) =
            work(r, age, female, welfare, urban, school, educ);
        let asn = (job_status == 5).then(|| match r.below(10) {
            0 => 1,
            1 => 2,
            2 | 3 => 3,
            4 => 4,
            _ => 0,
        });
        let business = works && matches!(job_status, 1..=3) && r.chance(0.6);
        let difficulty = difficulty(r, age);
        let chronic = chronic(r, age);
        let pregnant = female
            && (15..=45).contains(&age)
            && p.marital == MaritalStatus::Married
            && r.chance(0.06);
        let insurance = if job_status == 5 || (job_status == 4 && r.chance(0.6)) {
            4
        } else if welfare > 0.3 && r.chance(0.5) {
            2
        } else if r.chance(0.3) {
            0
        } else {
            2
        };
        // Deaths in the last three and a half years (not the head of a family with others).
        let q = match age {
            0 => 0.02,
            1..=39 => 0.0012,
            40..=59 => 0.006,
            60..=69 => 0.02,
            70..=79 => 0.045,
            _ => 0.11,
        };
        let death = (!is_head && r.chance(q * 3.5)).then(|| {
            let lo = as_of.add_days(-1278).max(birth.add_days(1));
            Date::from_days(r.range(lo.to_days(), as_of.to_days()))
        });
        // Young children whose birth is not yet registered; whole unregistered families are
        // decided per family in `build`.
        let registered =
            age >= 5 || !r.chance(cfg.rates.unregistered * if age == 0 { 8.0 } else { 3.0 });
        let nik_origin = registered.then(|| self.nik_origin(age));
        let pid = self.next_pid;
        self.next_pid += 1;
        Person {
            pid,
            name,
            sex: p.sex,
            birth,
            birth_place,
            rel: p.rel,
            marital: p.marital,
            religion,
            educ,
            cert,
            school,
            works,
            occupation,
            industry,
            job_status,
            business,
            difficulty,
            chronic,
            pregnant,
            insurance,
            nik_origin,
            nik: None,
            death,
            asn,
            pbi: None,
        }
    }

    /// The district that issued a person's NIK: usually this one, for some adults another
    /// district of the same regency (where they were first registered).
    fn nik_origin(&mut self, age: i32) -> RegionCode {
        if age >= 20 && self.siblings.len() > 1 && self.rng.chance(0.15) {
            *self.rng.pick(&self.siblings)
        } else {
            self.district
        }
    }
}

fn names_place(r: &mut Rng) -> &'static str {
    const PLACES: [&str; 12] = [
        "SURABAYA",
        "JAKARTA",
        "BANDUNG",
        "SEMARANG",
        "MALANG",
        "YOGYAKARTA",
        "MEDAN",
        "MAKASSAR",
        "DENPASAR",
        "PALEMBANG",
        "SOLO",
        "KEDIRI",
    ];
    PLACES[r.below(PLACES.len() as u64) as usize]
}

fn religion_for(r: &mut Rng, t: Tradition, shares: &[(u8, f64)]) -> u8 {
    match t {
        Tradition::Balinese => 4,
        Tradition::Arabic => 1,
        Tradition::Chinese => *r.pick(&[5, 5, 2, 3, 6]),
        Tradition::Batak => {
            if r.chance(0.75) {
                2
            } else {
                1
            }
        }
        Tradition::Eastern => {
            if r.chance(0.55) {
                2
            } else {
                3
            }
        }
        _ => *r.pick_weighted(shares),
    }
}

fn address(r: &mut Rng, urban: bool) -> (String, u8, u8) {
    const STREETS: [&str; 24] = [
        "MAWAR",
        "MELATI",
        "KENANGA",
        "ANGGREK",
        "DAHLIA",
        "FLAMBOYAN",
        "MERDEKA",
        "DIPONEGORO",
        "SUDIRMAN",
        "AHMAD YANI",
        "PAHLAWAN",
        "GAJAH MADA",
        "HAYAM WURUK",
        "KARTINI",
        "SEMERU",
        "BRAWIJAYA",
        "SUKUN",
        "NANAS",
        "MANGGA",
        "JAMBU",
        "RAYA",
        "KAUMAN",
        "PESANTREN",
        "MASJID",
    ];
    let street = STREETS[r.below(STREETS.len() as u64) as usize];
    let no = r.range(1, 150);
    let rw = r.range(1, if urban { 12 } else { 8 }) as u8;
    let rt = r.range(1, 8) as u8;
    let s = if urban {
        if r.chance(0.5) {
            format!("JL. {street} NO. {no}")
        } else {
            format!("GG. {street} {no}")
        }
    } else {
        format!("DUSUN {street}")
    };
    (s, rt, rw)
}

/// (Dukcapil education, r415 certificate, r412 school participation).
fn education(r: &mut Rng, age: i32, welfare: f64, urban: bool) -> (u8, u8, u8) {
    if age < 5 {
        return (1, 0, 0);
    }
    let cohort = (2026 - age - 1950) as f64 / 25.0; // younger cohorts are better educated
    let e = 0.9 * welfare + 0.9 * cohort + if urban { 0.4 } else { 0.0 } + r.normal();
    // Adult attainment on Dukcapil's scale.
    let attained: u8 = if e < -1.6 {
        1
    } else if e < -0.9 {
        2
    } else if e < 0.2 {
        3
    } else if e < 0.9 {
        4
    } else if e < 2.1 {
        5
    } else if e < 2.4 {
        7
    } else if e < 3.2 {
        8
    } else if e < 3.8 {
        9
    } else {
        10
    };
    let by_age: u8 = match age {
        5..=6 => 1,
        7..=12 => 2,
        13..=15 => 3,
        16..=18 => 4,
        19..=21 => 5,
        22..=23 => 7,
        _ => 10,
    };
    let educ = attained.min(by_age.max(if age >= 24 { 10 } else { by_age }));
    let still = match age {
        5..=6 => r.chance(0.6),
        7..=12 => r.chance(0.98),
        13..=15 => r.chance(0.92 + 0.03 * welfare),
        16..=18 => r.chance(0.75 + 0.1 * welfare),
        19..=24 => educ >= 5 && r.chance(0.2 + 0.15 * welfare),
        _ => false,
    };
    let school = if still {
        2
    } else if educ == 1 {
        1
    } else {
        3
    };
    let cert = match educ {
        1 | 2 => {
            if age >= 7 {
                23
            } else {
                0
            }
        }
        3 => {
            if r.chance(0.8) {
                3
            } else {
                4
            }
        }
        4 => {
            if r.chance(0.75) {
                8
            } else {
                9
            }
        }
        5 => *r.pick(&[13, 13, 15, 15, 14]),
        6 | 7 => 18,
        8 => 19,
        9 => 21,
        _ => 22,
    };
    (educ, cert, school)
}

/// (works, r417 industry, r418 status, Dukcapil occupation).
fn work(
    r: &mut Rng,
    age: i32,
    female: bool,
    welfare: f64,
    urban: bool,
    school: u8,
    educ: u8,
) -> (bool, u8, u8, u8) {
    if age < 15 {
        return (false, 0, 0, if age >= 5 { 3 } else { 1 });
    }
    if school == 2 {
        return (false, 0, 0, 3);
    }
    let p = match age {
        15..=19 => 0.35,
        20..=59 => {
            if female {
                0.55
            } else {
                0.88
            }
        }
        60..=69 => 0.5,
        _ => 0.2,
    };
    if !r.chance(p) {
        let occ = if age >= 58 && r.chance(0.3) {
            4
        } else if female {
            2
        } else {
            1
        };
        return (false, 0, 0, occ);
    }
    let agri_p = if urban {
        0.06
    } else {
        (0.45 - 0.15 * welfare).clamp(0.05, 0.8)
    };
    let formal = educ >= 7 && r.chance(0.35);
    let industry = if formal {
        *r.pick(&[19, 20, 21, 16, 15, 8])
    } else if r.chance(agri_p) {
        *r.pick(&[1, 1, 1, 2, 3, 3, 4, 5])
    } else {
        *r.pick(&[12, 12, 12, 8, 8, 11, 13, 14, 18, 23, 24])
    };
    let status = if formal && matches!(industry, 19..=21) {
        5
    } else if industry <= 6 {
        *r.pick(&[1, 2, 6, 6, 8])
    } else if r.chance((0.35 + 0.15 * welfare).clamp(0.1, 0.8)) {
        4
    } else {
        *r.pick(&[1, 1, 7, 7, 3, 8])
    };
    let occ = match (industry, status) {
        (_, 5) => 5,
        (4, _) => 11,
        (5, _) => 10,
        (1..=6, 6) => 20,
        (1..=6, _) => 9,
        (11, _) => 13,
        (13, _) => 14,
        (12, 1..=3) => 8,
        (_, 4) => {
            if industry == 8 {
                12
            } else {
                15
            }
        }
        (_, 7) => 19,
        (_, 1..=3) => 88,
        _ => 89,
    };
    (true, industry, status, occ)
}

fn difficulty(r: &mut Rng, age: i32) -> [u8; 10] {
    let mut d = [0u8; 10];
    if age < 2 {
        return d;
    }
    let upto = if age >= 5 { 10 } else { 6 };
    for x in d.iter_mut().take(upto) {
        *x = 4;
    }
    let p = match age {
        0..=39 => 0.015,
        40..=59 => 0.04,
        60..=74 => 0.12,
        _ => 0.3,
    };
    if r.chance(p) {
        for _ in 0..1 + r.below(2) {
            let k = r.below(upto as u64) as usize;
            d[k] = 1 + r.below(3) as u8;
        }
    }
    d
}

fn chronic(r: &mut Rng, age: i32) -> u8 {
    let p = match age {
        0..=39 => 0.03,
        40..=59 => 0.15,
        _ => 0.35,
    };
    if !r.chance(p) {
        return 1;
    }
    let w = [
        0.0, 0.0, 0.4, 0.1, 0.07, 0.07, 0.12, 0.03, 0.04, 0.02, 0.02, 0.0, 0.0, 0.06, 0.005, 0.0,
        0.0, 0.005, 0.03,
    ];
    r.weighted(&w) as u8
}

/// Housing and assets from latent welfare: each item is a noisy threshold of it, so a model
/// fitted on them recovers part, never all, of the welfare behind consumption.
fn housing(r: &mut Rng, w: f64, urban: bool, size: f64) -> Housing {
    let u = if urban { 0.4 } else { 0.0 };
    let mut s = |sd: f64, shift: f64| w + shift + sd * r.normal();
    let floor_s = s(0.8, u);
    let wall_s = s(0.8, u);
    let roof_s = s(0.9, u);
    let water_s = s(0.9, u);
    let power_s = s(0.7, 0.0);
    let fuel_s = s(0.8, u);
    let toilet_s = s(0.8, u);
    let area_s = s(0.8, -u);
    let mut h = Housing {
        r303: if floor_s < -1.8 {
            8
        } else if floor_s < -1.3 {
            *r.pick(&[7, 5])
        } else if floor_s < -0.3 {
            6
        } else if floor_s < 0.3 {
            4
        } else if floor_s < 2.4 {
            2
        } else {
            1
        },
        r304: if wall_s < -1.6 {
            *r.pick(&[4, 6])
        } else if wall_s < -0.9 {
            3
        } else if wall_s < -0.6 {
            2
        } else {
            1
        },
        r305: if roof_s < -2.0 {
            7
        } else if roof_s < -1.0 {
            *r.pick(&[3, 4])
        } else if roof_s < 1.6 {
            2
        } else {
            *r.pick(&[1, 2])
        },
        r306a: if water_s < -1.4 {
            *r.pick(&[6, 8, 9])
        } else if water_s < -0.4 {
            *r.pick(&[4, 5, 7])
        } else if water_s < 1.0 {
            if urban {
                *r.pick(&[2, 2, 3])
            } else {
                *r.pick(&[4, 2, 5])
            }
        } else if water_s < 2.0 {
            *r.pick(&[2, 3])
        } else {
            1
        },
        r307a: if power_s < -2.6 {
            4
        } else if power_s < -2.2 {
            3
        } else if power_s < -1.9 {
            2
        } else {
            1
        },
        r308: if fuel_s < -1.2 {
            10
        } else if fuel_s < 1.5 {
            4
        } else if fuel_s < 2.3 {
            *r.pick(&[3, 2])
        } else {
            *r.pick(&[1, 3])
        },
        r309a: if toilet_s < -1.9 {
            6
        } else if toilet_s < -1.3 {
            *r.pick(&[3, 4])
        } else if toilet_s < -0.9 {
            2
        } else {
            1
        },
        r302: ((area_s * 0.35 + 3.9 + 0.15 * size.ln()).exp()).clamp(9.0, 900.0) as u16,
        ..Housing::default()
    };
    h.r307b = if h.r307a == 1 {
        if power_s < -0.6 {
            1
        } else if power_s < 0.6 {
            2
        } else if power_s < 1.6 {
            3
        } else if power_s < 2.3 {
            4
        } else {
            5
        }
    } else {
        0
    };
    h.r309b = if h.r309a <= 3 {
        if toilet_s < -1.0 {
            *r.pick(&[2, 3, 4])
        } else {
            1
        }
    } else {
        0
    };
    h.r310 = if h.r309a == 6 {
        *r.pick(&[3, 5])
    } else if toilet_s < -0.8 {
        *r.pick(&[3, 4])
    } else if toilet_s > 2.2 && urban {
        2
    } else {
        1
    };
    let own_p = (0.82 - if urban { 0.15 } else { 0.0 } + 0.02 * w).clamp(0.3, 0.95);
    h.r301a = if r.chance(own_p) {
        1
    } else {
        *r.pick(&[2, 2, 3, 4, 5])
    };
    h.r301b = if h.r301a == 1 {
        if w + r.normal() > -0.2 {
            1
        } else {
            *r.pick(&[4, 5, 5, 6])
        }
    } else {
        0
    };
    // Asset ownership: logistic in welfare; electric appliances need electricity.
    const A: [(f64, f64); 14] = [
        (-0.8, 1.2),
        (-0.2, 1.6),
        (-2.8, 1.5),
        (-3.0, 1.4),
        (-4.0, 1.2),
        (-0.9, 1.3),
        (-1.8, 1.3),
        (-1.2, 1.5),
        (1.3, 1.1),
        (-0.2, 0.3),
        (-2.4, 1.4),
        (-3.2, 0.5),
        (-3.8, 0.6),
        (1.4, 1.4),
    ];
    let electric = h.r307a != 4;
    for (k, (a, b)) in A.iter().enumerate() {
        let needs_power = matches!(k, 1 | 2 | 3 | 5 | 7);
        let z = a + b * w + if urban && k != 9 { 0.3 } else { 0.0 } + 0.6 * r.normal();
        h.assets[k] = (!needs_power || electric) && r.chance(1.0 / (1.0 + (-z).exp()));
    }
    if matches!(h.r308, 2 | 3) {
        h.assets[0] = true;
    }
    h.land = [
        r.chance(if urban { 0.08 } else { 0.3 }),
        r.chance((0.05 + 0.08 * w).clamp(0.01, 0.4)),
    ];
    if !urban {
        let farm = w < 0.5 && r.chance(0.3);
        if farm {
            h.livestock = [
                r.poisson(0.8) as u8,
                r.poisson(0.1) as u8,
                0,
                r.poisson(0.05) as u8,
                r.poisson(1.5) as u8,
            ];
        }
    }
    h.r505 = if h.assets[13] {
        if w > 1.0 && r.chance(0.5) {
            2
        } else {
            3
        }
    } else {
        0
    };
    h.r506 = if w + r.normal() > 0.0 {
        *r.pick(&[2, 2, 3, 1])
    } else {
        4
    };
    h
}

/// National welfare cut-offs, computed from the mixture of village distributions of the
/// whole country (so they do not depend on which region is generated).
pub fn cutoffs(regions: &RegionTable) -> Cutoffs {
    let plan = crate::population::plan(regions, None, None);
    // Mixture components: one per province × (ward, village) × (city, regency).
    let mut comps: HashMap<(u32, bool, bool), (f64, f64)> = HashMap::new();
    for (v, pop) in &plan {
        let p = v.parts()[0];
        let city = v.ancestor(Level::Regency).map(|r| r.kind()) == Some(RegionKind::Kota);
        let ward = v.kind() == RegionKind::Kelurahan;
        let e = comps
            .entry((p, city, ward))
            .or_insert((province(p).welfare + village_welfare_shift(*v), 0.0));
        e.1 += *pop as f64;
    }
    let mut comps: Vec<(f64, f64)> = comps.into_values().collect();
    comps.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let quantile = |q: f64, extra: f64| {
        let sd = (1.0 + 0.09 + extra * extra).sqrt();
        let total: f64 = comps.iter().map(|c| c.1).sum();
        let cdf = |x: f64| {
            comps
                .iter()
                .map(|(m, w)| w * phi((x - m) / sd))
                .sum::<f64>()
                / total
        };
        let (mut lo, mut hi) = (-10.0, 10.0);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if cdf(mid) < q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let mut p3ke = [0.0; 9];
    for (k, c) in p3ke.iter_mut().enumerate() {
        *c = quantile((k + 1) as f64 / 10.0, P3KE_NOISE);
    }
    Cutoffs {
        dtks: quantile(0.4, DTKS_NOISE),
        p3ke,
        pbi: quantile(0.35, 0.0),
    }
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 for erf; error below 1.5e-7).
pub fn phi(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-z * z).exp();
    let erf = if z >= 0.0 { y } else { -y };
    0.5 * (1.0 + erf)
}
