//! Ranking a stored snapshot: each family's golden record (and its members') turned into the
//! model's variables, scored, ranked into population-weighted deciles (national = everything
//! in the snapshot, provincial, regency/city), written back to the draft snapshot with the
//! model version. Families too incomplete to rank get no decile and the reason.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use dtsen_core::{Date, RegionCode, RegionKind};
use dtsen_rank::{ModelFile, ModelKind, Raw};
use dtsen_store::{RankingRow, SnapshotFamilyRow, SnapshotMemberRow, Store};
use serde::Serialize;
use serde_json::Value as Json;

use crate::persist::{decode, Schema};
use crate::{ConsolidateError, Result};

/// Share of the model's variables that may be missing (imputed) for a family to be ranked.
pub const MAX_IMPUTED_SHARE: f64 = 0.25;

/// Variables that are "not applicable" (code 0 in the survey) when the questionnaire skipped
/// them: no meter, no toilet, a head who does not work or holds no certificate.
const SKIPPED_IS_ZERO: [&str; 5] = [
    "daya_terpasang",
    "jenis_kloset",
    "lapangan_usaha_kepala",
    "status_pekerjaan_kepala",
    "ijazah_kepala",
];

fn fields(attrs: Option<&str>, names: &[String]) -> HashMap<String, String> {
    let a: Json = attrs
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(Json::Null);
    values(decode(&a, names))
}

/// Decoded golden-record fields that have a value, by name: what the ranking reads.
pub fn values(fields: Vec<crate::persist::Field>) -> HashMap<String, String> {
    fields
        .into_iter()
        .filter_map(|f| f.value.map(|v| (f.name, v)))
        .collect()
}

fn age(birth: Option<&String>, on: Date) -> Option<i32> {
    let b = birth?.replace("-00", "-01");
    Date::parse_iso(&b).ok().map(|d| d.age_on(on))
}

/// A family's values in the survey's vocabulary (`susenas.csv`).
pub fn family_values(
    f: &SnapshotFamilyRow,
    members: &[&SnapshotMemberRow],
    schema: &Schema,
    as_of: Date,
) -> HashMap<String, String> {
    let family = fields(f.attrs.as_deref(), &schema.family);
    let living: Vec<HashMap<String, String>> = members
        .iter()
        .filter(|m| m.alive)
        .map(|m| member_values(fields(m.attrs.as_deref(), &schema.person), m.relationship))
        .collect();
    values_of(&f.kode_desa, family, &living, as_of)
}

/// A member's golden-record fields as the ranking reads them: the snapshot's relationship
/// column wins over the attribute.
pub fn member_values(
    mut fields: HashMap<String, String>,
    relationship: Option<i16>,
) -> HashMap<String, String> {
    if let Some(r) = relationship {
        fields.insert("status_hubungan_keluarga".into(), r.to_string());
    }
    fields
}

/// A family's values in the survey's vocabulary from its golden-record fields and its living
/// members' (as [`member_values`] gives them): what [`family_values`] computes once the rows
/// are decoded, for callers that decoded them already (the web's family page).
pub fn values_of(
    kode_desa: &str,
    family: HashMap<String, String>,
    living: &[HashMap<String, String>],
    as_of: Date,
) -> HashMap<String, String> {
    let mut v = family;
    v.insert(
        "kode_provinsi".into(),
        kode_desa.get(..2).unwrap_or("").to_owned(),
    );
    if let Ok(code) = RegionCode::parse(kode_desa) {
        let urban = code.kind() == RegionKind::Kelurahan;
        v.insert(
            "klasifikasi_desa".into(),
            if urban { "1" } else { "2" }.into(),
        );
    }
    v.insert("jumlah_anggota_keluarga".into(), living.len().to_string());
    let ages: Vec<Option<i32>> = living
        .iter()
        .map(|m| age(m.get("tanggal_lahir"), as_of))
        .collect();
    let count_age = |lo: i32, hi: i32| {
        ages.iter()
            .filter(|a| a.is_some_and(|a| a >= lo && a < hi))
            .count()
    };
    v.insert("jumlah_anggota_0_4".into(), count_age(0, 5).to_string());
    v.insert("jumlah_anggota_5_14".into(), count_age(5, 15).to_string());
    v.insert("jumlah_anggota_15_59".into(), count_age(15, 60).to_string());
    v.insert(
        "jumlah_anggota_60_plus".into(),
        count_age(60, 200).to_string(),
    );
    // Member counts from the survey items: known only if every member old enough has them.
    let count = |field: &str, min_age: i32, yes: &dyn Fn(&str) -> bool| -> Option<usize> {
        let mut n = 0;
        for (m, a) in living.iter().zip(&ages) {
            match m.get(field) {
                Some(x) if yes(x) => n += 1,
                Some(_) => {}
                None if a.is_some_and(|a| a >= min_age) => return None,
                None => {}
            }
        }
        Some(n)
    };
    let mut put = |k: &str, n: Option<usize>| {
        if let Some(n) = n {
            v.insert(k.into(), n.to_string());
        }
    };
    put(
        "jumlah_anggota_bekerja",
        count("status_bekerja", 5, &|x| x == "1"),
    );
    put(
        "jumlah_anggota_sekolah",
        count("partisipasi_sekolah", 5, &|x| x == "2"),
    );
    put(
        "jumlah_anggota_penyakit_kronis",
        count("penyakit_kronis", 0, &|x| {
            x.parse::<u32>().is_ok_and(|c| c > 1)
        }),
    );
    put(
        "jumlah_anggota_sma_ke_atas",
        count("pendidikan_akhir_ktp", 0, &|x| {
            x.parse::<u32>().is_ok_and(|c| c >= 5)
        }),
    );
    let disabled = living
        .iter()
        .filter(|m| {
            crate::export::DIFFICULTY
                .iter()
                .any(|d| m.get(*d).is_some_and(|x| x == "1" || x == "2"))
        })
        .count();
    put("jumlah_anggota_disabilitas", Some(disabled));
    let business = living
        .iter()
        .any(|m| m.get("kepemilikan_usaha").is_some_and(|x| x == "1"));
    v.insert(
        "kepemilikan_usaha_keluarga".into(),
        if business { "1" } else { "0" }.into(),
    );
    let head = living
        .iter()
        .zip(&ages)
        .find(|(m, _)| m.get("status_hubungan_keluarga").is_some_and(|r| r == "1"));
    if let Some((h, a)) = head {
        if let Some(a) = a {
            v.insert("umur_kepala".into(), a.to_string());
        }
        for (to, from) in [
            ("jenis_kelamin_kepala", "jenis_kelamin"),
            ("status_kawin_kepala", "status_kawin"),
            ("ijazah_kepala", "ijazah_tertinggi_yang_dimiliki"),
            ("status_bekerja_kepala", "status_bekerja"),
            (
                "lapangan_usaha_kepala",
                "lapangan_usaha_dari_pekerjaan_utama",
            ),
            ("status_pekerjaan_kepala", "status_dalam_pekerjaan_utama"),
        ] {
            if let Some(x) = h.get(from) {
                v.insert(to.into(), x.clone());
            }
        }
        if h.contains_key("status_bekerja") {
            for k in SKIPPED_IS_ZERO {
                v.entry(k.into()).or_insert_with(|| "0".into());
            }
        }
    }
    v
}

/// What a ranking did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RankSummary {
    /// Snapshot.
    pub snapshot: String,
    /// Model version.
    pub model_version: String,
    /// Families with a decile.
    pub ranked: usize,
    /// Families without one.
    pub unranked: usize,
    /// Why not, with counts.
    pub unranked_reasons: BTreeMap<String, usize>,
    /// Share of the ranked persons in each national decile.
    pub decile_person_shares: Vec<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A ranking with what is needed to check it.
#[derive(Clone, Debug, Default)]
pub struct RankResult {
    /// Summary.
    pub summary: RankSummary,
    /// Per ranked family.
    pub families: Vec<RankedFamily>,
}

/// A ranked family, with both models' scores for comparing them.
#[derive(Clone, Debug, Default)]
pub struct RankedFamily {
    /// KK number.
    pub kk: String,
    /// Village.
    pub kode_desa: String,
    /// Living members.
    pub persons: u32,
    /// National decile.
    pub decile: u8,
    /// OLS score.
    pub ols: f64,
    /// OLS + boosted trees score.
    pub gbm: f64,
}

/// A snapshot's golden-record layout and reference date, from its consolidation report.
pub async fn layout(store: &dyn Store, id: &str) -> Result<(Schema, Date)> {
    let missing = |what: &str| {
        ConsolidateError::Snapshot(format!(
            "snapshot {id}: {what}; was it written by dtsen consolidate?"
        ))
    };
    let report: Json = store
        .snapshot_report(id)
        .await?
        .and_then(|r| serde_json::from_str(&r).ok())
        .ok_or_else(|| missing("no consolidation report"))?;
    let schema = Schema::from_report(&report).ok_or_else(|| missing("the report has no schema"))?;
    let as_of = report["as_of"]
        .as_str()
        .and_then(|d| Date::parse_iso(d).ok())
        .ok_or_else(|| missing("the report has no as_of date"))?;
    Ok((schema, as_of))
}

/// Scores and ranks snapshot `id` (a draft) with `model` and writes the result into it.
pub async fn rank_snapshot(store: &dyn Store, id: &str, model: &ModelFile) -> Result<RankResult> {
    let started = Instant::now();
    let (schema, as_of) = layout(store, id).await?;
    let families = store.snapshot_families(id).await?;
    let members = store.snapshot_members(id).await?;
    let mut by_family: HashMap<(String, i64), Vec<&SnapshotMemberRow>> = HashMap::new();
    for m in &members {
        by_family
            .entry((m.kode_provinsi.clone(), m.family_id))
            .or_default()
            .push(m);
    }
    let nvars = model.encoder.variables.len();
    let mut summary = RankSummary {
        snapshot: id.to_owned(),
        model_version: model.version.clone(),
        ..Default::default()
    };
    let mut ranked: Vec<(usize, f64, (f64, f64))> = Vec::new();
    for (k, f) in families.iter().enumerate() {
        if f.status_kelengkapan.as_deref() == Some("belum_didata") {
            *summary
                .unranked_reasons
                .entry("belum_didata".into())
                .or_default() += 1;
            continue;
        }
        if f.members == 0 {
            *summary
                .unranked_reasons
                .entry("tanpa_anggota_hidup".into())
                .or_default() += 1;
            continue;
        }
        let empty = Vec::new();
        let ms = by_family
            .get(&(f.kode_provinsi.clone(), f.family_id))
            .unwrap_or(&empty);
        let values = family_values(f, ms, &schema, as_of);
        let raw: Raw = model
            .encoder
            .variables
            .iter()
            .map(|v| values.get(&v.name).cloned())
            .collect();
        let (x, missing) = model.encoder.encode(&raw);
        if missing.len() as f64 > MAX_IMPUTED_SHARE * nvars as f64 {
            *summary
                .unranked_reasons
                .entry("data_kurang".into())
                .or_default() += 1;
            continue;
        }
        let both = (
            model.predict_with(ModelKind::Ols, &x),
            model.predict_with(ModelKind::Gbm, &x),
        );
        let regency = f.kode_desa.get(..4).unwrap_or("");
        ranked.push((k, model.predict_in(regency, &x), both));
    }
    let scores: Vec<f64> = ranked.iter().map(|r| r.1).collect();
    let persons: Vec<u32> = ranked
        .iter()
        .map(|r| families[r.0].members.max(0) as u32)
        .collect();
    let ids: Vec<i64> = ranked.iter().map(|r| families[r.0].family_id).collect();
    let group = |digits: usize| -> Vec<u32> {
        ranked
            .iter()
            .map(|r| {
                families[r.0]
                    .kode_desa
                    .get(..digits)
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(0)
            })
            .collect()
    };
    let d = dtsen_rank::deciles(&scores, &persons, &ids, &group(2), &group(4));
    let mut rows: Vec<RankingRow> = Vec::with_capacity(families.len());
    let mut out = Vec::with_capacity(ranked.len());
    let mut shares = [0u64; 10];
    for (i, (k, _, both)) in ranked.iter().enumerate() {
        let f = &families[*k];
        rows.push(RankingRow {
            kode_provinsi: f.kode_provinsi.clone(),
            family_id: f.family_id,
            score: Some(d.position[i]),
            rank_national: Some(d.rank[i] as i64),
            desil_nasional: Some(i16::from(d.national[i])),
            desil_provinsi: Some(i16::from(d.province[i])),
            desil_kabupaten_kota: Some(i16::from(d.regency[i])),
        });
        shares[d.national[i] as usize - 1] += u64::from(persons[i]);
        out.push(RankedFamily {
            kk: f.kk.clone().unwrap_or_default(),
            kode_desa: f.kode_desa.clone(),
            persons: persons[i],
            decile: d.national[i],
            ols: both.0,
            gbm: both.1,
        });
    }
    store.set_rankings(id, &model.version, &rows).await?;
    let total: u64 = shares.iter().sum::<u64>().max(1);
    summary.ranked = ranked.len();
    summary.unranked = families.len() - ranked.len();
    summary.decile_person_shares = shares.iter().map(|&s| s as f64 / total as f64).collect();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(RankResult {
        summary,
        families: out,
    })
}

/// The ranking against true consumption: both models overall, and per regency/city at the
/// national cut-off.
#[derive(Clone, Debug, Serialize)]
pub struct TruthComparison {
    /// Per model (`ols`, `ols_boosted_trees`).
    pub overall: BTreeMap<&'static str, dtsen_rank::Targeting>,
    /// Per regency/city code: per model (inclusion error, exclusion error), and families.
    pub per_regency: BTreeMap<String, RegionTargeting>,
}

/// Targeting in one region.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegionTargeting {
    /// Families compared.
    pub families: usize,
    /// OLS (inclusion, exclusion).
    pub ols: (f64, f64),
    /// OLS + boosted trees (inclusion, exclusion).
    pub ols_boosted_trees: (f64, f64),
}

/// Both models' ranking against the generator's true consumption (`truth_families.csv`, by KK
/// number).
pub fn against_truth(r: &RankResult, truth: &Path) -> Result<TruthComparison> {
    let mut rdr = csv::Reader::from_path(truth)
        .map_err(|e| ConsolidateError::Input(format!("{}: {e}", truth.display())))?;
    let h = rdr
        .headers()
        .map_err(|e| ConsolidateError::Input(e.to_string()))?
        .clone();
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .ok_or_else(|| ConsolidateError::Input(format!("{}: no column {n}", truth.display())))
    };
    let (kk, pcc) = (col("no_kk")?, col("pengeluaran_per_kapita")?);
    let mut by_kk: HashMap<String, f64> = HashMap::new();
    for row in rdr.records() {
        let row = row.map_err(|e| ConsolidateError::Input(e.to_string()))?;
        if let Some(p) = row
            .get(pcc)
            .and_then(|p| p.parse::<f64>().ok())
            .filter(|p| *p > 0.0)
        {
            by_kk.insert(row.get(kk).unwrap_or("").to_owned(), p.ln());
        }
    }
    let (mut ols, mut gbm, mut y, mut w, mut region) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for f in &r.families {
        if let Some(t) = by_kk.get(&f.kk) {
            ols.push(f.ols);
            gbm.push(f.gbm);
            y.push(*t);
            w.push(f64::from(f.persons));
            region.push(f.kode_desa.get(..4).unwrap_or("").to_owned());
        }
    }
    let mut overall = BTreeMap::new();
    overall.insert("ols", dtsen_rank::eval::targeting(&ols, &y, &w, 0.4));
    overall.insert(
        "ols_boosted_trees",
        dtsen_rank::eval::targeting(&gbm, &y, &w, 0.4),
    );
    let truly = dtsen_rank::eval::below(&y, &w, 0.4);
    let (po, pg) = (
        dtsen_rank::eval::below(&ols, &w, 0.4),
        dtsen_rank::eval::below(&gbm, &w, 0.4),
    );
    let mut idx: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, g) in region.iter().enumerate() {
        idx.entry(g.clone()).or_default().push(i);
    }
    let per_regency = idx
        .into_iter()
        .map(|(g, ix)| {
            let pick = |v: &[bool]| ix.iter().map(|&i| v[i]).collect::<Vec<bool>>();
            let ww: Vec<f64> = ix.iter().map(|&i| w[i]).collect();
            let t = pick(&truly);
            let rt = RegionTargeting {
                families: ix.len(),
                ols: dtsen_rank::eval::errors(&pick(&po), &t, &ww),
                ols_boosted_trees: dtsen_rank::eval::errors(&pick(&pg), &t, &ww),
            };
            (g, rt)
        })
        .collect();
    Ok(TruthComparison {
        overall,
        per_regency,
    })
}

/// One family's explanation and national decile.
pub async fn explain_family(
    store: &dyn Store,
    id: &str,
    family_id: i64,
    model: &ModelFile,
) -> Result<Option<(dtsen_rank::Explanation, Option<i16>)>> {
    let (schema, as_of) = layout(store, id).await?;
    let Some(f) = store
        .snapshot_families(id)
        .await?
        .into_iter()
        .find(|f| f.family_id == family_id)
    else {
        return Ok(None);
    };
    let Some((f, members)) = store
        .family_in_snapshot(id, &f.kode_provinsi, family_id)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        explain_rows(&f, &members, &schema, as_of, model),
        f.desil_nasional,
    )))
}

/// Why a family of a snapshot has its score, from its stored rows (the web's family page).
pub fn explain_rows(
    f: &SnapshotFamilyRow,
    members: &[SnapshotMemberRow],
    schema: &Schema,
    as_of: Date,
    model: &ModelFile,
) -> dtsen_rank::Explanation {
    let refs: Vec<&SnapshotMemberRow> = members.iter().collect();
    explain_values(&f.kode_desa, &family_values(f, &refs, schema, as_of), model)
}

/// The explanation of a family's score from its values (as [`family_values`] or
/// [`values_of`] give them).
pub fn explain_values(
    kode_desa: &str,
    values: &HashMap<String, String>,
    model: &ModelFile,
) -> dtsen_rank::Explanation {
    let raw: Raw = model
        .encoder
        .variables
        .iter()
        .map(|v| values.get(&v.name).cloned())
        .collect();
    let regency = kode_desa.get(..4).unwrap_or("");
    model.explain_in(regency, &raw)
}
