//! The scoped query layer: every read of registry data the pages and the API make goes
//! through here, with the viewer's scope passed down into the store's SQL and identifiers
//! masked here for roles that may not see them in full. Pages and API render the same views.

use crate::auth::{mask, Scope};
use crate::{Viewer, WebError};
use dtsen_consolidate::persist::{decode, Field, Schema};
use dtsen_consolidate::ranking;
use dtsen_core::{CodeBook, Lang, Level, RegionCode, RegionTable};
use dtsen_rank::ModelFile;
use dtsen_store::{SnapshotMemberRow, Store};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A snapshot the platform shows, with what its report says.
pub struct SnapshotMeta {
    /// Id (`2026Q3`).
    pub id: String,
    /// `draft` or `published`.
    pub status: String,
    /// Golden-record layout.
    pub schema: Schema,
    /// Reference date.
    pub as_of: dtsen_core::date::Date,
    /// The consolidation report.
    pub report: Json,
}

/// The registry as the web sees it.
pub struct Registry {
    store: Arc<dyn Store>,
    model: Option<Arc<ModelFile>>,
    /// export field name → code list name.
    lists: HashMap<String, String>,
    current: Mutex<Option<(Instant, Option<Arc<SnapshotMeta>>)>>,
}

/// A region as pages show it.
#[derive(Clone, Debug, Serialize)]
pub struct RegionRef {
    /// Dotted code (`35.71.01`), empty for the whole country.
    pub code: String,
    /// Digits (`357101`), empty for the whole country.
    pub digits: String,
    /// Official name.
    pub name: String,
    /// `provinsi`, `kabupaten_kota`, `kecamatan`, `desa_kelurahan`, `nasional`.
    pub level: &'static str,
}

impl RegionRef {
    fn of(code: Option<RegionCode>, lang: Lang) -> RegionRef {
        match code {
            None => RegionRef {
                code: String::new(),
                digits: String::new(),
                name: crate::i18n::t(lang, "whole_country").to_string(),
                level: "nasional",
            },
            Some(c) => RegionRef {
                code: c.to_string(),
                digits: c.digits(),
                name: RegionTable::official()
                    .get(c)
                    .map(|r| r.name.clone())
                    .unwrap_or_else(|| c.to_string()),
                level: match c.level() {
                    Level::Province => "provinsi",
                    Level::Regency => "kabupaten_kota",
                    Level::District => "kecamatan",
                    Level::Village => "desa_kelurahan",
                },
            },
        }
    }
}

/// One bar of the decile chart.
#[derive(Clone, Debug, Serialize)]
pub struct DecileBar {
    /// 1–10.
    pub decile: u8,
    /// Persons.
    pub persons: i64,
    /// Share of ranked persons, percent.
    pub share: f64,
    /// Bar height in the SVG (0–100).
    pub height: f64,
}

/// A region inside the one shown, with its figures.
#[derive(Clone, Debug, Serialize)]
pub struct ChildRow {
    /// The region.
    pub region: RegionRef,
    /// Families.
    pub families: i64,
    /// Persons.
    pub persons: i64,
    /// Families not complete.
    pub incomplete: i64,
}

/// A region's dashboard.
#[derive(Clone, Debug, Serialize)]
pub struct DashboardView {
    /// Snapshot shown.
    pub snapshot: String,
    /// Its status.
    pub snapshot_status: String,
    /// The region.
    pub region: RegionRef,
    /// Its ancestors the viewer may open, highest first.
    pub breadcrumbs: Vec<RegionRef>,
    /// Families in the snapshot.
    pub families: i64,
    /// Persons (members) in the snapshot.
    pub persons: i64,
    /// Living residents per SIAK (the consolidation report's `penduduk_siak_hidup`) where the
    /// report covers the region, else the registry's residents.
    pub siak_population: i64,
    /// Living residents in DTSEN (`dalam_dtsen`) where the report covers the region.
    pub in_dtsen: Option<i64>,
    /// Coverage, percent.
    pub coverage_percent: Option<f64>,
    /// Families whose completeness is not `lengkap`.
    pub incomplete: i64,
    /// Families on the field-check list (`keluarga_perlu_verifikasi`) where the report covers
    /// the region.
    pub needs_check: Option<i64>,
    /// National deciles, persons.
    pub deciles: Vec<DecileBar>,
    /// Matching conflicts awaiting review (the whole snapshot's; shown where the region holds
    /// every regency the snapshot covers).
    pub conflicts: Option<i64>,
    /// The regions one level down that have families in the snapshot.
    pub children: Vec<ChildRow>,
}

/// A search result.
#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    /// `/keluarga/35/123`.
    pub url: String,
    /// Province.
    pub kode_provinsi: String,
    /// Family id.
    pub family_id: i64,
    /// KK (masked for some roles).
    pub kk: Option<String>,
    /// Name of the person that matched.
    pub name: Option<String>,
    /// NIK of the person that matched (masked for some roles).
    pub nik: Option<String>,
    /// Village.
    pub village: String,
    /// Members.
    pub members: i32,
    /// National decile.
    pub desil_nasional: Option<i16>,
}

/// Search results.
#[derive(Clone, Debug, Serialize)]
pub struct SearchView {
    /// What was asked.
    pub query: String,
    /// `nik_kk`, `name` or `too_short`.
    pub kind: &'static str,
    /// Results (at most [`SEARCH_LIMIT`]).
    pub hits: Vec<Hit>,
    /// More matched than shown: the query should be narrowed.
    pub more: bool,
}

/// Results a name search shows; more ask for a narrower query (a longer name).
pub const SEARCH_LIMIT: i64 = 20;

/// A field of a golden record.
#[derive(Clone, Debug, Serialize)]
pub struct FieldView {
    /// Export name.
    pub field: String,
    /// Readable label.
    pub label: String,
    /// Value as stored.
    pub value: Option<String>,
    /// Its meaning (code list), if coded.
    pub meaning: Option<String>,
    /// Source (`SIAK baris 43180`).
    pub source: Option<String>,
}

/// A member on the family page.
#[derive(Clone, Debug, Serialize)]
pub struct MemberView {
    /// Person id.
    pub person_id: i64,
    /// Name.
    pub name: Option<String>,
    /// NIK (masked for some roles).
    pub nik: Option<String>,
    /// Relationship (label).
    pub relationship: Option<String>,
    /// Sex (label).
    pub sex: Option<String>,
    /// Date of birth.
    pub birth_date: Option<String>,
    /// Alive at the snapshot.
    pub alive: bool,
    /// Date of death, if known.
    pub death_date: Option<String>,
    /// Pregnant (Regsosek r410).
    pub pregnant: bool,
    /// Any difficulty at the level "a lot" or "cannot" (Washington Group, r428).
    pub disability: bool,
    /// `padan` / `tidak_padan`.
    pub status_padan: Option<String>,
    /// Sources the person was found in.
    pub sources: Vec<String>,
    /// Every field of the golden record with its source (left out where the view did not ask
    /// for them: the family page loads them member by member).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldView>,
}

/// One contribution to the decile explanation.
#[derive(Clone, Debug, Serialize)]
pub struct ContributionView {
    /// Variable label.
    pub label: String,
    /// Value (meaning if coded).
    pub value: String,
    /// Effect on estimated consumption, percent.
    pub percent: f64,
    /// The value was missing.
    pub imputed: bool,
}

/// How much of a family to build. The HTML page shows members in a table and loads each
/// member's field-by-field record on demand; the member fragment needs only that member's; the
/// API answers everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parts {
    /// The family page: members without their field lists, the decile's explanation.
    Page,
    /// One member's field list (no explanation).
    Member(i64),
    /// Everything (the JSON API).
    All,
}

/// The family page.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyView {
    /// Snapshot.
    pub snapshot: String,
    /// Province.
    pub kode_provinsi: String,
    /// Family id.
    pub family_id: i64,
    /// KK (masked for some roles).
    pub kk: Option<String>,
    /// Whether NIK and KK are masked on this page.
    pub masked: bool,
    /// Village, district, regency.
    pub village: RegionRef,
    /// Ancestors.
    pub breadcrumbs: Vec<RegionRef>,
    /// Head of family's name.
    pub head: Option<String>,
    /// Address, RT, RW.
    pub address: Vec<FieldView>,
    /// Housing and assets.
    pub housing: Vec<FieldView>,
    /// Members.
    pub members: Vec<MemberView>,
    /// National, provincial, regency deciles.
    pub desil_nasional: Option<i16>,
    /// Provincial decile.
    pub desil_provinsi: Option<i16>,
    /// Regency/city decile.
    pub desil_kabupaten_kota: Option<i16>,
    /// Relative position 0–100.
    pub score: Option<f64>,
    /// `lengkap` / `tidak_lengkap` / `belum_didata` / ...
    pub status_kelengkapan: Option<String>,
    /// What is missing.
    pub missing: Vec<String>,
    /// Notes from consolidation.
    pub notes: Vec<String>,
    /// The decile explanation, most important first.
    pub explanation: Vec<ContributionView>,
    /// In words.
    pub explanation_words: Vec<String>,
    /// Whether a model was loaded to explain.
    pub model_loaded: bool,
    /// Values other sources gave that the golden record did not keep.
    pub other_values: Vec<FieldView>,
    /// The family in each snapshot.
    pub history: Vec<HistoryRow>,
    /// KK numbers (masked for some roles).
    pub kk_history: Vec<KkView>,
    /// Membership periods.
    pub memberships: Vec<MembershipView>,
}

/// The family in one snapshot.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryRow {
    /// Snapshot.
    pub snapshot: String,
    /// Members.
    pub members: i32,
    /// National decile.
    pub desil_nasional: Option<i16>,
    /// Completeness.
    pub status_kelengkapan: Option<String>,
}

/// A KK number period.
#[derive(Clone, Debug, Serialize)]
pub struct KkView {
    /// KK (masked for some roles).
    pub kk: String,
    /// From.
    pub valid_from: String,
    /// To.
    pub valid_to: Option<String>,
    /// Why.
    pub reason: String,
}

/// A membership period.
#[derive(Clone, Debug, Serialize)]
pub struct MembershipView {
    /// Person.
    pub person_id: i64,
    /// Name (from the snapshot, if still a member).
    pub name: Option<String>,
    /// From.
    pub valid_from: String,
    /// To.
    pub valid_to: Option<String>,
}

impl Registry {
    /// The registry over a store, with the ranking model if one is given (for explanations).
    pub fn new(store: Arc<dyn Store>, model: Option<ModelFile>) -> Registry {
        let rules = dtsen_consolidate::Rules::builtin();
        let book = CodeBook::official();
        fn alias(f: &str) -> &str {
            match f {
                "relationship" => "shdk",
                "sex" => "jenis_kelamin",
                "marital" => "status_kawin",
                "religion" => "agama",
                "education" => "pendidikan_dukcapil",
                "occupation" => "pekerjaan_dukcapil",
                other if other.starts_with("r428") && other != "r428j" => "r428",
                other if other.starts_with("r502") || other.starts_with("r503") => "ya_tidak",
                other => other,
            }
        }
        let mut lists = HashMap::new();
        for r in rules.person.iter().chain(rules.family.iter()) {
            let list = alias(&r.field);
            if book.list(list).is_some() {
                lists.insert(r.export.clone(), list.to_string());
            }
        }
        Registry {
            store,
            model: model.map(Arc::new),
            lists,
            current: Mutex::new(None),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The newest snapshot that has a consolidation report (re-read every few seconds).
    pub async fn current(&self) -> Result<Option<Arc<SnapshotMeta>>, WebError> {
        if let Ok(g) = self.current.lock() {
            if let Some((at, meta)) = g.as_ref() {
                if at.elapsed() < Duration::from_secs(10) {
                    return Ok(meta.clone());
                }
            }
        }
        let mut found = None;
        for s in self.store.snapshots().await? {
            let Some(text) = self.store.snapshot_report(&s.id).await? else {
                continue;
            };
            let Ok(report) = serde_json::from_str::<Json>(&text) else {
                continue;
            };
            let (Some(schema), Some(as_of)) = (
                Schema::from_report(&report),
                report["as_of"]
                    .as_str()
                    .and_then(|d| dtsen_core::date::Date::parse_iso(d).ok()),
            ) else {
                continue;
            };
            found = Some(Arc::new(SnapshotMeta {
                id: s.id,
                status: s.status,
                schema,
                as_of,
                report,
            }));
            break;
        }
        if let Ok(mut g) = self.current.lock() {
            *g = Some((Instant::now(), found.clone()));
        }
        Ok(found)
    }

    async fn snapshot(&self) -> Result<Arc<SnapshotMeta>, WebError> {
        self.current().await?.ok_or(WebError::NoSnapshot)
    }

    /// The dashboard of a region (`None`: the whole country).
    pub async fn dashboard(
        &self,
        v: &Viewer,
        region: Option<RegionCode>,
        lang: Lang,
    ) -> Result<DashboardView, WebError> {
        if let Some(r) = region {
            if !v.scope.covers(r) || RegionTable::official().get(r).is_none() {
                return Err(WebError::NotFound);
            }
        } else if v.scope.0.is_some() {
            return Err(WebError::NotFound);
        }
        let snap = self.snapshot().await?;
        let children_codes: Vec<RegionCode> = match region {
            None => RegionTable::official()
                .level(Level::Province)
                .iter()
                .map(|r| r.code)
                .collect(),
            Some(r) => match child_level(r.level()) {
                Some(l) => RegionTable::official()
                    .within(r, l)
                    .iter()
                    .map(|x| x.code)
                    .collect(),
                None => Vec::new(),
            },
        };
        let mut children = Vec::new();
        let mut total = dtsen_store::RegionAggregate::default();
        for c in children_codes {
            let a = self.store.region_aggregate(&snap.id, c).await?;
            if region.is_none() {
                add(&mut total, &a);
            }
            if a.families > 0 {
                children.push(ChildRow {
                    region: RegionRef::of(Some(c), lang),
                    families: a.families,
                    persons: a.persons,
                    incomplete: a.incomplete,
                });
            }
        }
        let agg = match region {
            Some(r) => self.store.region_aggregate(&snap.id, r).await?,
            None => total,
        };
        let coverage = region.and_then(|r| report_coverage(&snap.report, r));
        let ranked: i64 = agg.persons_by_decile.iter().sum();
        let top = agg
            .persons_by_decile
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        let deciles = agg
            .persons_by_decile
            .iter()
            .enumerate()
            .map(|(k, &n)| DecileBar {
                decile: k as u8 + 1,
                persons: n,
                share: if ranked > 0 {
                    round1(100.0 * n as f64 / ranked as f64)
                } else {
                    0.0
                },
                height: round1(100.0 * n as f64 / top as f64),
            })
            .collect();
        let siak = coverage
            .and_then(|c| c["penduduk_siak_hidup"].as_i64())
            .unwrap_or(agg.registered);
        let in_dtsen = coverage.and_then(|c| c["dalam_dtsen"].as_i64());
        let coverage_percent = coverage
            .and_then(|c| c["cakupan_persen"].as_f64())
            .or_else(|| {
                (agg.registered > 0)
                    .then(|| round1(100.0 * agg.persons as f64 / agg.registered as f64))
            });
        let conflicts = conflicts_for(&snap.report, region);
        Ok(DashboardView {
            snapshot: snap.id.clone(),
            snapshot_status: snap.status.clone(),
            region: RegionRef::of(region, lang),
            breadcrumbs: breadcrumbs(v.scope, region, lang),
            families: agg.families,
            persons: agg.persons,
            siak_population: siak,
            in_dtsen,
            coverage_percent,
            incomplete: agg.incomplete,
            needs_check: coverage.and_then(|c| c["keluarga_perlu_verifikasi"].as_i64()),
            deciles,
            conflicts,
            children,
        })
    }

    /// Search by NIK, KK number or name, inside the viewer's region.
    pub async fn search(&self, v: &Viewer, query: &str) -> Result<SearchView, WebError> {
        if !v.role.reads_records() {
            return Err(WebError::Forbidden);
        }
        let snap = self.snapshot().await?;
        let range = v.scope.range();
        let q = query.trim();
        let digits: String = q
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        let (kind, rows) = if digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()) {
            (
                "nik_kk",
                self.store.find_by_number(&snap.id, &digits, &range).await?,
            )
        } else {
            let std = dtsen_core::names::standardise(q).name;
            if std.chars().count() < 3 {
                ("too_short", Vec::new())
            } else {
                (
                    "name",
                    self.store
                        .find_by_name(&snap.id, &std, &range, SEARCH_LIMIT + 1)
                        .await?,
                )
            }
        };
        let full = v.role.sees_full_ids();
        let more = rows.len() > SEARCH_LIMIT as usize;
        let hits = rows
            .into_iter()
            .take(SEARCH_LIMIT as usize)
            // The store filtered by scope already; this second check costs nothing.
            .filter(|h| v.scope.covers_village(&h.kode_desa))
            .map(|h| Hit {
                url: format!("/keluarga/{}/{}", h.kode_provinsi, h.family_id),
                village: village_name(&h.kode_desa),
                kk: h.kk.map(|k| if full { k } else { mask(&k) }),
                nik: h.nik.map(|k| if full { k } else { mask(&k) }),
                kode_provinsi: h.kode_provinsi,
                family_id: h.family_id,
                name: h.name,
                members: h.members,
                desil_nasional: h.desil_nasional,
            })
            .collect();
        Ok(SearchView {
            query: q.to_string(),
            kind,
            hits,
            more,
        })
    }

    /// A family, if it lives inside the viewer's region.
    pub async fn family(
        &self,
        v: &Viewer,
        kode_provinsi: &str,
        family_id: i64,
        lang: Lang,
        parts: Parts,
    ) -> Result<FamilyView, WebError> {
        if !v.role.reads_records() {
            return Err(WebError::Forbidden);
        }
        let snap = self.snapshot().await?;
        let Some(bundle) = self
            .store
            .family_page(&snap.id, kode_provinsi, family_id, &v.scope.range())
            .await?
        else {
            return Err(WebError::NotFound);
        };
        let dtsen_store::FamilyBundle {
            family: f,
            members,
            field_values,
            history,
            kk_history,
            memberships,
        } = bundle;
        if !v.scope.covers_village(&f.kode_desa) {
            return Err(WebError::NotFound);
        }
        let full = v.role.sees_full_ids();
        let id_of = |s: &str| if full { s.to_string() } else { mask(s) };
        let fattrs: Json = f
            .attrs
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or(Json::Null);
        let ffields = decode(&fattrs, &snap.schema.family);
        let mut address = Vec::new();
        let mut housing = Vec::new();
        for fl in &ffields {
            let view = self.field_view(fl, lang);
            match fl.name.as_str() {
                "alamat" | "rt" | "rw" => address.push(view),
                "latitude" | "longitude" => {}
                _ => housing.push(view),
            }
        }
        let strings = |v: &Json| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut names: HashMap<i64, Option<String>> = HashMap::new();
        let mut member_views = Vec::new();
        let explain = self.model.is_some() && !matches!(parts, Parts::Member(_));
        let mut living = Vec::new();
        for m in &members {
            let with_fields = match parts {
                Parts::All => true,
                Parts::Page => false,
                Parts::Member(id) => id == m.person_id,
            };
            let attrs: Json = m
                .attrs
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or(Json::Null);
            let fields = decode(&attrs, &snap.schema.person);
            let mv = self.member_view(m, &attrs, &fields, lang, full, with_fields);
            names.insert(m.person_id, mv.name.clone());
            member_views.push(mv);
            if explain && m.alive {
                living.push(ranking::member_values(
                    ranking::values(fields),
                    m.relationship,
                ));
            }
        }
        let (explanation, words) = match &self.model {
            Some(model) if explain => {
                let x = ranking::explain_values(
                    &f.kode_desa,
                    &ranking::values_of(
                        &f.kode_desa,
                        ranking::values(ffields),
                        &living,
                        snap.as_of,
                    ),
                    model,
                );
                let words = x.words(crate::i18n::lang_code(lang), 5);
                let list = x
                    .contributions
                    .iter()
                    .filter(|c| c.effect.abs() >= 0.005)
                    .take(12)
                    .map(|c| {
                        let (label, named) = match lang {
                            Lang::En => (&c.label_en, &c.value_en),
                            Lang::Id => (&c.label_id, &c.value_id),
                        };
                        ContributionView {
                            label: label.clone(),
                            value: named
                                .clone()
                                .or_else(|| c.value.clone())
                                .unwrap_or_else(|| "-".into()),
                            percent: round1((c.effect.exp() - 1.0) * 100.0),
                            imputed: c.imputed,
                        }
                    })
                    .collect();
                (list, words)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let mut other_values = Vec::new();
        let prefix = format!("{}:", snap.id);
        for fv in field_values {
            if fv.source_record.starts_with(&prefix) || !fv.source_record.contains(':') {
                let who = if fv.entity == 'p' {
                    names.get(&fv.entity_id).cloned().flatten()
                } else {
                    None
                };
                other_values.push(self.provenance_view(&fv, who, lang));
            }
        }
        let history = history
            .into_iter()
            .map(|(s, r)| HistoryRow {
                snapshot: s,
                members: r.members,
                desil_nasional: r.desil_nasional,
                status_kelengkapan: r.status_kelengkapan,
            })
            .collect();
        let kk_history = kk_history
            .into_iter()
            .map(|k| KkView {
                kk: id_of(&k.kk),
                valid_from: k.valid_from,
                valid_to: k.valid_to,
                reason: k.reason,
            })
            .collect();
        let memberships = memberships
            .into_iter()
            .map(|m| MembershipView {
                name: names.get(&m.person_id).cloned().flatten(),
                person_id: m.person_id,
                valid_from: m.valid_from,
                valid_to: m.valid_to,
            })
            .collect();
        let village = RegionCode::parse(&f.kode_desa).ok();
        Ok(FamilyView {
            snapshot: snap.id.clone(),
            kode_provinsi: f.kode_provinsi.clone(),
            family_id,
            kk: f.kk.as_deref().map(id_of),
            masked: !full,
            village: RegionRef::of(village, lang),
            breadcrumbs: breadcrumbs(v.scope, village, lang),
            head: fattrs["kepala"].as_str().map(str::to_owned),
            address,
            housing,
            members: member_views,
            desil_nasional: f.desil_nasional,
            desil_provinsi: f.desil_provinsi,
            desil_kabupaten_kota: f.desil_kabupaten_kota,
            score: f.score.map(round1),
            status_kelengkapan: f.status_kelengkapan.clone(),
            missing: strings(&fattrs["kurang"]),
            notes: strings(&fattrs["catatan"]),
            explanation,
            explanation_words: words,
            model_loaded: self.model.is_some(),
            other_values,
            history,
            kk_history,
            memberships,
        })
    }

    fn member_view(
        &self,
        m: &SnapshotMemberRow,
        attrs: &Json,
        fields: &[Field],
        lang: Lang,
        full: bool,
        with_fields: bool,
    ) -> MemberView {
        let get = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.value.clone())
        };
        let meaning = |name: &str| {
            let value = get(name);
            self.meaning(name, value.as_deref(), lang).or(value)
        };
        let disability = dtsen_consolidate::export::DIFFICULTY
            .iter()
            .any(|d| get(d).is_some_and(|x| x == "1" || x == "2"));
        MemberView {
            person_id: m.person_id,
            name: get("nama"),
            nik: m
                .nik
                .as_deref()
                .map(|n| if full { n.to_string() } else { mask(n) }),
            relationship: meaning("status_hubungan_keluarga"),
            sex: meaning("jenis_kelamin"),
            birth_date: get("tanggal_lahir"),
            alive: m.alive,
            death_date: attrs["mati"]["tanggal"].as_str().map(str::to_owned),
            pregnant: get("status_hamil").as_deref() == Some("1"),
            disability,
            status_padan: m.status_padan.clone(),
            sources: attrs["sumber_data"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(source_label))
                        .collect()
                })
                .or_else(|| {
                    attrs["sumber_data"]
                        .as_str()
                        .map(|s| s.split([' ', ',', ';']).map(source_label).collect())
                })
                .unwrap_or_default(),
            fields: if with_fields {
                fields.iter().map(|f| self.field_view(f, lang)).collect()
            } else {
                Vec::new()
            },
        }
    }

    fn field_view(&self, f: &dtsen_consolidate::persist::Field, lang: Lang) -> FieldView {
        let meaning = self.meaning(&f.name, f.value.as_deref(), lang);
        FieldView {
            label: humanise(&f.name),
            field: f.name.clone(),
            value: f.value.clone(),
            meaning,
            source: f.source.as_deref().map(source_label),
        }
    }

    fn provenance_view(
        &self,
        fv: &dtsen_store::FieldValueRow,
        who: Option<String>,
        lang: Lang,
    ) -> FieldView {
        let source = dtsen_store::SOURCES
            .iter()
            .find(|(id, _)| *id == fv.source_id)
            .map(|(_, k)| *k)
            .unwrap_or("?");
        let record = fv
            .source_record
            .rsplit_once(':')
            .map(|(_, r)| r)
            .unwrap_or(&fv.source_record);
        let label = match who {
            Some(w) => format!("{} — {w}", humanise(&fv.field)),
            None => humanise(&fv.field),
        };
        FieldView {
            meaning: self.meaning(&fv.field, fv.value.as_deref(), lang),
            field: fv.field.clone(),
            label,
            value: fv.value.clone(),
            source: Some(source_label(&format!("{source}:{record}"))),
        }
    }

    fn meaning(&self, field: &str, value: Option<&str>, lang: Lang) -> Option<String> {
        let list = CodeBook::official().list(self.lists.get(field)?)?;
        let code: u16 = value?.trim().parse().ok()?;
        list.label(code, lang).map(str::to_owned)
    }
}

fn add(total: &mut dtsen_store::RegionAggregate, a: &dtsen_store::RegionAggregate) {
    total.families += a.families;
    total.persons += a.persons;
    total.registered += a.registered;
    total.incomplete += a.incomplete;
    for k in 0..10 {
        total.persons_by_decile[k] += a.persons_by_decile[k];
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The level below.
pub fn child_level(l: Level) -> Option<Level> {
    match l {
        Level::Province => Some(Level::Regency),
        Level::Regency => Some(Level::District),
        Level::District => Some(Level::Village),
        Level::Village => None,
    }
}

/// The ancestors of `region` (and itself excluded) the viewer may open, highest first.
fn breadcrumbs(scope: Scope, region: Option<RegionCode>, lang: Lang) -> Vec<RegionRef> {
    let Some(r) = region else { return Vec::new() };
    let mut out = Vec::new();
    if scope.0.is_none() {
        out.push(RegionRef::of(None, lang));
    }
    for l in [Level::Province, Level::Regency, Level::District] {
        if l >= r.level() {
            break;
        }
        if let Some(a) = r.ancestor(l) {
            if scope.covers(a) {
                out.push(RegionRef::of(Some(a), lang));
            }
        }
    }
    out
}

/// The report's coverage entry for a region (province, regency or district), if any.
fn report_coverage(report: &Json, region: RegionCode) -> Option<&Json> {
    let key = match region.level() {
        Level::Province => "province",
        Level::Regency => "regency",
        Level::District => "district",
        Level::Village => return None,
    };
    let digits = region.digits();
    report["coverage"][key]
        .as_array()?
        .iter()
        .find(|e| e["kode"].as_str() == Some(digits.as_str()))
}

/// The report's count of matching conflicts awaiting review, if `region` holds every regency
/// the snapshot covers (the report does not break conflicts down by region).
fn conflicts_for(report: &Json, region: Option<RegionCode>) -> Option<i64> {
    let total = report["conflicts"]["review_pemadanan"].as_i64()?;
    let regencies = report["coverage"]["regency"].as_array()?;
    let all_inside = regencies.iter().all(|e| {
        let Some(code) = e["kode"].as_str().and_then(|k| RegionCode::parse(k).ok()) else {
            return false;
        };
        region.is_none_or(|r| r == code || r.contains(&code))
    });
    all_inside.then_some(total)
}

fn village_name(kode_desa: &str) -> String {
    RegionCode::parse(kode_desa)
        .ok()
        .and_then(|c| RegionTable::official().get(c))
        .map(|r| r.name.clone())
        .unwrap_or_else(|| kode_desa.to_string())
}

/// `siak:43180` → `SIAK baris 43180`.
fn source_label(key: &str) -> String {
    let (src, rec) = key.split_once(':').unwrap_or((key, ""));
    let name = match src {
        "siak" => "SIAK",
        "regsosek_keluarga" => "Regsosek (keluarga)",
        "regsosek_anggota" => "Regsosek (anggota)",
        "dtks" => "DTKS",
        "p3ke" => "P3KE",
        "asn" => "ASN",
        "pln" => "PLN",
        "bpjs_pbi" => "BPJS PBI",
        other => other,
    };
    if rec.is_empty() {
        name.to_string()
    } else {
        format!("{name} #{rec}")
    }
}

/// `jenis_lantai_terluas` → `Jenis lantai terluas`.
fn humanise(field: &str) -> String {
    let s = field.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_well() {
        assert_eq!(humanise("jenis_lantai_terluas"), "Jenis lantai terluas");
        assert_eq!(source_label("siak:43180"), "SIAK #43180");
        assert_eq!(source_label("dtks"), "DTKS");
        assert_eq!(child_level(Level::Village), None);
    }
}
