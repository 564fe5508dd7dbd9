//! Writing a consolidation into the registry store: the current persons, families and
//! memberships (ids kept across snapshots, memberships that ended closed on the snapshot date),
//! the provenance of every disputed field, and the draft snapshot with each family's and
//! member's golden record and the report.

use std::collections::HashSet;

use dtsen_store::{
    source_id, FamilyRow, FieldValueRow, KkHistoryRow, MembershipRow, PersonRow, SnapshotFamilyRow,
    SnapshotMemberRow, Store,
};
use rayon::prelude::*;
use serde_json::{json, Map, Value as Json};

use crate::{ConsolidateError, Consolidation, Entity, KnownIds, Person, Result, Source};

/// The ids the store has given out.
pub async fn known_ids(store: &dyn Store) -> Result<KnownIds> {
    let ids = store.registry_ids().await?;
    Ok(KnownIds {
        persons: ids
            .persons
            .into_iter()
            .map(|(n, id)| (n.value(), id))
            .collect(),
        families: ids.families.into_iter().collect(),
        next_person: ids.max_person + 1,
        next_family: ids.max_family + 1,
    })
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saved {
    /// Person rows written (inserted or updated).
    pub persons: u64,
    /// Family rows written.
    pub families: u64,
    /// Memberships opened.
    pub memberships_opened: u64,
    /// Memberships ended (the person left the family).
    pub memberships_ended: u64,
    /// Provenance rows of disputed fields.
    pub field_values: u64,
    /// Families in the snapshot.
    pub snapshot_families: u64,
    /// Members in the snapshot.
    pub snapshot_members: u64,
    /// Milliseconds per step.
    pub timings: Vec<(&'static str, u64)>,
}

/// Families written per slice of the snapshot.
const CHUNK: usize = 20_000;

fn province(region: &str) -> String {
    region.get(..2).unwrap_or("00").to_owned()
}

/// `status_keberadaan`: 2 died; else Regsosek's whereabouts (3 moved, 5 not found, 4 new);
/// else 1, lives with the family.
pub fn whereabouts(c: &Consolidation, p: &Person) -> &'static str {
    if !p.alive {
        return "2";
    }
    match c.rules.person_field("r404").and_then(|k| p.value(k)) {
        Some("3") => "3",
        Some("4") => "4",
        Some("5") => "5",
        _ => "1",
    }
}

/// The layout of the golden records of a snapshot: the field names, in the order of the
/// positional value arrays (`v`) of every family's and member's `attrs`. Kept once per
/// snapshot (in its report, `schema`), so each record carries values, not names.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// Member fields (export names).
    pub person: Vec<String>,
    /// Family fields (export names).
    pub family: Vec<String>,
}

impl Schema {
    /// The layout the rules give.
    pub fn of(rules: &crate::Rules) -> Schema {
        Schema {
            person: rules.person.iter().map(|r| r.export.clone()).collect(),
            family: rules.family.iter().map(|r| r.export.clone()).collect(),
        }
    }

    /// As JSON, for the report.
    pub fn to_json(&self) -> Json {
        json!({"person": self.person, "family": self.family})
    }

    /// From a snapshot's report.
    pub fn from_report(report: &Json) -> Option<Schema> {
        let names = |v: &Json| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect()
        };
        Some(Schema {
            person: names(&report["schema"]["person"])?,
            family: names(&report["schema"]["family"])?,
        })
    }
}

/// One field of a stored golden record.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Export name.
    pub name: String,
    /// The value, if any source gave one.
    pub value: Option<String>,
    /// The source record it came from (`siak:43180`).
    pub source: Option<String>,
}

/// Reads the fields of a stored golden record (`attrs`) with the snapshot's layout.
pub fn decode(attrs: &Json, names: &[String]) -> Vec<Field> {
    let values = attrs["v"].as_array();
    let sources = attrs["s"].as_array();
    let which = attrs["a"].as_str().unwrap_or("").as_bytes();
    names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let value = values
                .and_then(|v| v.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let source = which
                .get(k)
                .and_then(|&b| (b as char).to_digit(36))
                .and_then(|i| sources.and_then(|s| s.get(i as usize)))
                .and_then(|s| s.as_str())
                .map(str::to_owned);
            Field {
                name: name.clone(),
                value,
                source,
            }
        })
        .collect()
}

/// Values in rule order (`v`), the source records (`s`) and, per field, the index of its
/// source record (`a`, one base-36 digit, `.` for none).
fn encode(c: &Consolidation, values: &[Option<crate::Value>], m: &mut Map<String, Json>) {
    let mut records: Vec<String> = Vec::new();
    let mut which = String::with_capacity(values.len());
    let v: Vec<Json> = values
        .iter()
        .map(|v| match v {
            Some(v) => {
                let key = c.record_key(v.source, v.record);
                let i = records.iter().position(|r| *r == key).unwrap_or_else(|| {
                    records.push(key);
                    records.len() - 1
                });
                which.push(std::char::from_digit(i.min(35) as u32, 36).unwrap_or('z'));
                json!(v.text)
            }
            None => {
                which.push('.');
                Json::Null
            }
        })
        .collect();
    m.insert("v".into(), Json::Array(v));
    m.insert("s".into(), json!(records));
    m.insert("a".into(), json!(which));
}

/// A member's golden record as the snapshot keeps it.
pub fn member_attrs(c: &Consolidation, p: &Person) -> Json {
    let mut m = Map::new();
    encode(c, &p.values, &mut m);
    m.insert("kk".into(), json!(p.kk));
    m.insert("desa".into(), json!(p.region));
    m.insert("keberadaan".into(), json!(whereabouts(c, p)));
    m.insert("sumber_data".into(), json!(p.source_list()));
    if !p.alive {
        m.insert(
            "mati".into(),
            json!({"tanggal": p.death_date, "menurut": p.death_source.map(Source::key)}),
        );
    }
    let f = &p.flags;
    let mut flags = Map::new();
    if let Some(a) = &f.asn {
        flags.insert("asn".into(), json!(a));
    }
    for (k, on) in [
        ("pbi_nas", f.pbi_nas),
        ("pbi_pemda", f.pbi_pemda),
        ("pkh", f.pkh),
        ("bpnt", f.bpnt),
        ("pbi_dtks", f.pbi_dtks),
    ] {
        if on {
            flags.insert(k.into(), json!(true));
        }
    }
    if let Some(id) = &f.pln_id {
        flags.insert("pln".into(), json!(id));
    }
    if let Some(d) = &f.pln_daya {
        flags.insert("pln_va".into(), json!(d));
    }
    if let Some(d) = f.desil_p3ke {
        flags.insert("desil_p3ke".into(), json!(d));
    }
    if !flags.is_empty() {
        m.insert("f".into(), Json::Object(flags));
    }
    Json::Object(m)
}

/// A family's golden record as the snapshot keeps it.
pub fn family_attrs(c: &Consolidation, f: &crate::Family) -> Json {
    let mut m = Map::new();
    encode(c, &f.values, &mut m);
    let name = c.rules.person_field("name");
    let head = f
        .head
        .and_then(|h| name.and_then(|k| c.persons[h as usize].value(k)));
    m.insert("kepala".into(), json!(head));
    if !f.missing.is_empty() {
        m.insert("kurang".into(), json!(f.missing));
    }
    if !f.notes.is_empty() {
        m.insert("catatan".into(), json!(f.notes));
    }
    let members = || f.members.iter().map(|&k| &c.persons[k as usize]);
    let mut flags = Map::new();
    let asn = members().filter(|p| p.flags.asn.is_some()).count();
    if asn > 0 {
        flags.insert("anggota_asn".into(), json!(asn));
    }
    if members().any(|p| p.flags.pkh) {
        flags.insert("pkh".into(), json!(true));
    }
    if members().any(|p| p.flags.bpnt) {
        flags.insert("bpnt".into(), json!(true));
    }
    if let Some(d) = members().find_map(|p| p.flags.desil_p3ke) {
        flags.insert("desil_p3ke".into(), json!(d));
    }
    if !flags.is_empty() {
        m.insert("f".into(), Json::Object(flags));
    }
    if let Some(row) = f.regsosek {
        m.insert(
            "regsosek".into(),
            json!(c.record_key(Source::RegsosekKeluarga, row)),
        );
    }
    Json::Object(m)
}

/// Writes the consolidation into the store as draft snapshot `c.snapshot`, with `report`.
pub async fn save(
    store: &dyn Store,
    c: &Consolidation,
    report: &Json,
    known: &KnownIds,
) -> Result<Saved> {
    let mut w = begin(store, &c.snapshot).await?;
    add(store, &mut w, c, known).await?;
    finish(store, w, c.as_of, report).await
}

/// A draft snapshot being written, in one piece or partition by partition (one regency at a
/// time): [`begin`], [`add`] per partition, [`finish`].
pub struct Writing {
    snapshot: String,
    /// Memberships open in the store that no partition has confirmed yet: those left at the
    /// end are ended on the snapshot date.
    still_open: HashSet<(String, i64, i64)>,
    /// What was written so far.
    pub saved: Saved,
}

/// Creates draft snapshot `snapshot` (refused if it exists) and reads the open memberships.
pub async fn begin(store: &dyn Store, snapshot: &str) -> Result<Writing> {
    if let Some(status) = store.snapshot_status(snapshot).await? {
        return Err(ConsolidateError::Snapshot(format!(
            "snapshot {snapshot} already exists ({status}); snapshots are never rewritten: choose a new id \
             (e.g. the next quarter) or use a new database"
        )));
    }
    store.create_snapshot(snapshot, None).await?;
    // A first load into empty tables appends and builds the indexes once in `finish`.
    store.begin_bulk().await?;
    let still_open = store
        .open_memberships()
        .await?
        .into_iter()
        .map(|m| (m.kode_provinsi, m.family_id, m.person_id))
        .collect();
    Ok(Writing {
        snapshot: snapshot.to_owned(),
        still_open,
        saved: Saved::default(),
    })
}

/// Ends the memberships no partition confirmed and saves the report.
pub async fn finish(
    store: &dyn Store,
    w: Writing,
    as_of: dtsen_core::date::Date,
    report: &Json,
) -> Result<Saved> {
    let Writing {
        snapshot,
        still_open,
        mut saved,
    } = w;
    let clock = std::time::Instant::now();
    store.end_bulk().await?;
    lap_into(&mut saved, "indexes", clock);
    let clock = std::time::Instant::now();
    let mut ended: Vec<(String, i64, i64)> = still_open.into_iter().collect();
    ended.sort();
    saved.memberships_ended = store.end_memberships(&ended, &as_of.to_string()).await?;
    store
        .save_snapshot_report(&snapshot, &report.to_string())
        .await?;
    lap_into(&mut saved, "memberships", clock);
    Ok(saved)
}

fn lap_into(saved: &mut Saved, step: &'static str, since: std::time::Instant) {
    let ms = since.elapsed().as_millis() as u64;
    match saved.timings.iter_mut().find(|(k, _)| *k == step) {
        Some(e) => e.1 += ms,
        None => saved.timings.push((step, ms)),
    }
}

/// Writes one consolidation (the whole input, or one partition) into the snapshot `begin`
/// created: persons, families, KK history, memberships opened, disputed fields, and the
/// snapshot's families and members.
pub async fn add(
    store: &dyn Store,
    w: &mut Writing,
    c: &Consolidation,
    known: &KnownIds,
) -> Result<()> {
    if c.snapshot != w.snapshot {
        return Err(ConsolidateError::Snapshot(format!(
            "a consolidation of snapshot {} cannot be added to snapshot {}",
            c.snapshot, w.snapshot
        )));
    }
    let as_of = c.as_of.to_string();
    let saved = &mut w.saved;
    let mut clock = std::time::Instant::now();
    let mut lap = |saved: &mut Saved, step: &'static str| {
        lap_into(saved, step, clock);
        clock = std::time::Instant::now();
    };
    let name_std = c.records.try_col("name_std");
    let col = |name: &str| c.records.try_col(name);
    let (name_k, bd_k, sex_k) = (
        c.rules.person_field("name"),
        c.rules.person_field("birth_date"),
        c.rules.person_field("sex"),
    );
    let persons: Vec<PersonRow> = c
        .persons
        .iter()
        .map(|p| {
            let auth = &c.records.rows[p.authority as usize];
            PersonRow {
                kode_provinsi: province(&p.region),
                id: p.id,
                nik: Some(p.nik),
                nik_raw: None,
                name: name_k.and_then(|k| p.value(k)).unwrap_or("").to_owned(),
                name_std: name_std.map_or("", |k| auth.get(k)).to_owned(),
                birth_date: bd_k.and_then(|k| p.value(k)).map(str::to_owned),
                sex: sex_k.and_then(|k| p.value(k)).and_then(|s| s.parse().ok()),
                death_date: if p.alive { None } else { p.death_date.clone() },
                kode_desa: Some(p.region.clone()).filter(|r| !r.is_empty()),
            }
        })
        .collect();
    let fam_value = |f: &crate::Family, field: &str| {
        c.rules
            .family_field(field)
            .and_then(|k| f.value(k))
            .map(str::to_owned)
    };
    let families: Vec<FamilyRow> = c
        .families
        .iter()
        .map(|f| FamilyRow {
            kode_provinsi: province(&f.region),
            id: f.id,
            kk: Some(f.kk.clone()),
            kode_desa: f.region.clone(),
            address: fam_value(f, "address"),
            rt: fam_value(f, "rt"),
            rw: fam_value(f, "rw"),
        })
        .collect();
    let first_load = known.persons.is_empty() && known.families.is_empty();
    if first_load {
        saved.persons += store.bulk_persons(&persons).await?;
        saved.families += store.bulk_families(&families).await?;
    } else {
        saved.persons += store.upsert_persons(&persons).await?;
        saved.families += store.upsert_families(&families).await?;
    }
    drop(persons);
    drop(families);
    lap(saved, "persons_families");
    // KK history: a family seen for the first time starts its KK on the snapshot date.
    let new_kk: Vec<KkHistoryRow> = c
        .families
        .iter()
        .filter(|f| !known.families.contains_key(&f.kk))
        .map(|f| KkHistoryRow {
            kode_provinsi: province(&f.region),
            family_id: f.id,
            kk: f.kk.clone(),
            valid_from: as_of.clone(),
            valid_to: None,
            reason: "new".into(),
        })
        .collect();
    store.bulk_kk_history(&new_kk).await?;
    // Memberships: open the new ones; those still true are no longer waiting to be ended.
    let rel_k = c.rules.person_field("relationship");
    let mut opened = Vec::new();
    for f in &c.families {
        let prov = province(&f.region);
        for &m in &f.members {
            let p = &c.persons[m as usize];
            let key = (prov.clone(), f.id, p.id);
            if !w.still_open.remove(&key) {
                opened.push(MembershipRow {
                    kode_provinsi: prov.clone(),
                    family_id: f.id,
                    person_id: p.id,
                    relationship: rel_k.and_then(|k| p.value(k)).and_then(|r| r.parse().ok()),
                    valid_from: as_of.clone(),
                    valid_to: None,
                });
            }
        }
    }
    saved.memberships_opened += store.bulk_memberships(&opened).await?;
    drop(opened);
    lap(saved, "memberships");
    // Provenance of disputed fields: the chosen value and every other one.
    let line = col("line");
    let fline = c.family_records.try_col("line");
    let record_of = |source: Source, row: u32| {
        let (t, k) = if source == Source::RegsosekKeluarga {
            (&c.family_records, fline)
        } else {
            (&c.records, line)
        };
        format!(
            "{}:{}",
            c.snapshot,
            k.map_or("", |k| t.rows[row as usize].get(k))
        )
    };
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    for d in &c.disagreements {
        let (entity, prov, id, rule, chosen) = match d.entity {
            Entity::Person => {
                let p = &c.persons[d.index as usize];
                (
                    'p',
                    province(&p.region),
                    p.id,
                    &c.rules.person[d.field],
                    &p.values[d.field],
                )
            }
            Entity::Family => {
                let f = &c.families[d.index as usize];
                (
                    'f',
                    province(&f.region),
                    f.id,
                    &c.rules.family[d.field],
                    &f.values[d.field],
                )
            }
        };
        for v in chosen.iter().chain(std::iter::once(&d.value)) {
            let key = (entity, id, d.field, v.source, v.record);
            if !seen.insert(key) {
                continue;
            }
            values.push(FieldValueRow {
                kode_provinsi: prov.clone(),
                entity,
                entity_id: id,
                field: rule.field.clone(),
                value: Some(v.text.clone()),
                source_id: source_id(v.source.key()).unwrap_or(10),
                source_record: record_of(v.source, v.record),
                observed_on: None,
            });
        }
    }
    saved.field_values += store.bulk_field_values(&values).await?;
    drop(values);
    lap(saved, "field_values");
    // Families and their members in slices, so the rows (with their golden records as JSON)
    // never all sit in memory at once.
    for chunk in c.families.chunks(CHUNK) {
        let snap_families: Vec<SnapshotFamilyRow> = chunk
            .par_iter()
            .map(|f| SnapshotFamilyRow {
                kode_provinsi: province(&f.region),
                family_id: f.id,
                kk: Some(f.kk.clone()),
                kode_desa: f.region.clone(),
                members: f.living(&c.persons) as i32,
                score: None,
                rank_national: None,
                desil_nasional: None,
                desil_provinsi: None,
                desil_kabupaten_kota: None,
                status_kelengkapan: Some(f.status.as_str().to_owned()),
                attrs: Some(family_attrs(c, f).to_string()),
            })
            .collect();
        saved.snapshot_families += store
            .add_snapshot_families(&c.snapshot, &snap_families)
            .await?;
        // The golden records' JSON is the costly part: built on every core.
        let members: Vec<SnapshotMemberRow> = chunk
            .par_iter()
            .flat_map_iter(|f| {
                f.members.iter().map(move |&m| {
                    let p = &c.persons[m as usize];
                    SnapshotMemberRow {
                        kode_provinsi: province(&f.region),
                        family_id: f.id,
                        person_id: p.id,
                        nik: Some(p.nik.to_string()),
                        relationship: rel_k.and_then(|k| p.value(k)).and_then(|r| r.parse().ok()),
                        status_padan: Some("padan".into()),
                        alive: p.alive,
                        attrs: Some(member_attrs(c, p).to_string()),
                    }
                })
            })
            .collect();
        saved.snapshot_members += store.add_snapshot_members(&c.snapshot, &members).await?;
    }
    lap(saved, "snapshot_members");
    Ok(())
}
