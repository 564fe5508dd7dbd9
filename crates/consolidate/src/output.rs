//! What a consolidation writes beside the snapshot: the return files per provider
//! (`kembali_<source>.csv`), the families that need a field check
//! (`perlu_verifikasi_lapangan.csv`), the conflicts for review (`konflik.csv`), coverage per
//! region (`cakupan_wilayah.csv`) and the report (`consolidation-report.json` and `.txt`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use dtsen_core::{Level, RegionCode, RegionTable};
use serde_json::{json, Value as Json};

use crate::{Completeness, ConsolidateError, Consolidation, Entity, Result, Source};

fn io(path: &Path) -> impl Fn(std::io::Error) -> ConsolidateError + '_ {
    move |source| ConsolidateError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path)
        .map_err(|e| ConsolidateError::Input(format!("{}: {e}", path.display())))
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> ConsolidateError + '_ {
    move |e| ConsolidateError::Input(format!("{}: {e}", path.display()))
}

/// Coverage of one region: SIAK's living population against the snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Coverage {
    /// Living persons SIAK holds in the region (the denominator).
    pub siak_living: u64,
    /// Living persons in the snapshot's families of the region.
    pub in_dtsen: u64,
    /// Of those, in families with socio-economic data (not `belum_didata`).
    pub surveyed: u64,
    /// Families in the snapshot.
    pub families: u64,
    /// Families that need a field check (not `lengkap`).
    pub need_check: u64,
}

/// Coverage per region code (10 digits, lower levels zero) at every level.
pub fn coverage(c: &Consolidation) -> BTreeMap<RegionCode, Coverage> {
    let mut out: BTreeMap<RegionCode, Coverage> = BTreeMap::new();
    let levels = [
        Level::Province,
        Level::Regency,
        Level::District,
        Level::Village,
    ];
    let mut add = |code: &str, f: &mut dyn FnMut(&mut Coverage)| {
        if let Ok(v) = RegionCode::parse(code) {
            for l in levels {
                if let Some(a) = v.ancestor(l) {
                    f(out.entry(a).or_default());
                }
            }
        }
    };
    let (src, alive, region) = (
        c.records.try_col("source"),
        c.records.try_col("alive"),
        c.records.try_col("region"),
    );
    if let (Some(s), Some(a), Some(r)) = (src, alive, region) {
        for row in &c.records.rows {
            if row.get(s) == "siak" && row.get(a) != "0" {
                add(row.get(r), &mut |cv| cv.siak_living += 1);
            }
        }
    }
    for f in &c.families {
        let living = f.living(&c.persons) as u64;
        let surveyed = if f.status == Completeness::BelumDidata {
            0
        } else {
            living
        };
        let check = u64::from(f.status != Completeness::Lengkap);
        add(&f.region, &mut |cv| {
            cv.in_dtsen += living;
            cv.surveyed += surveyed;
            cv.families += 1;
            cv.need_check += check;
        });
    }
    out
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        (a as f64 * 10000.0 / b as f64).round() / 100.0
    }
}

/// The report's figures, additive: a consolidation run in partitions (one regency at a time)
/// adds each partition's tally, and the report is made once from the sum.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Counts per source.
    pub counts: BTreeMap<Source, crate::SourceCount>,
    /// Records left out, per source and reason.
    pub exclusions: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Records kept and returned to be completed, per source and reason.
    pub completions: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Conflicts per kind.
    pub conflicts: BTreeMap<&'static str, u64>,
    /// Disagreeing values per field.
    pub disagreements: BTreeMap<String, u64>,
    /// Persons in the snapshot.
    pub persons: u64,
    /// Persons in a family.
    pub in_families: u64,
    /// Deceased persons.
    pub deceased: u64,
    /// Deceased by Regsosek only.
    pub deceased_regsosek_only: u64,
    /// Families in the snapshot.
    pub families: u64,
    /// Families with a Regsosek family attached.
    pub with_regsosek: u64,
    /// Families per completeness status.
    pub statuses: BTreeMap<&'static str, u64>,
    /// Families per note.
    pub notes: BTreeMap<&'static str, u64>,
    /// Records of sources this version does not consolidate.
    pub unknown_source_records: u64,
    /// Supporting lists: rows and attached.
    pub lists: BTreeMap<String, (u64, u64)>,
    /// Persons per flag.
    pub flags: BTreeMap<&'static str, u64>,
    /// Coverage per region.
    pub coverage: BTreeMap<RegionCode, Coverage>,
    /// The matching engine's figures (numbers added, flags or-ed).
    pub matching: Json,
    /// Milliseconds per step, added.
    pub timings: Vec<(&'static str, u64)>,
    /// Partitions consolidated.
    pub partitions: u64,
}

fn add_json(into: &mut Json, from: &Json) {
    match (into, from) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                add_json(a.entry(k.clone()).or_insert(Json::Null), v);
            }
        }
        (a @ Json::Null, b) => *a = b.clone(),
        (Json::Number(a), Json::Number(b)) => {
            let sum = match (a.as_u64(), b.as_u64()) {
                (Some(x), Some(y)) => json!(x + y),
                _ => json!(a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)),
            };
            *a = match sum {
                Json::Number(n) => n,
                _ => a.clone(),
            };
        }
        (Json::Bool(a), Json::Bool(b)) => *a |= *b,
        _ => {}
    }
}

impl Tally {
    /// The figures of one consolidation.
    pub fn of(c: &Consolidation) -> Tally {
        let mut t = Tally {
            counts: c.counts.iter().map(|(k, v)| (*k, v.clone())).collect(),
            matching: c.matching.clone(),
            timings: c.timings.clone(),
            unknown_source_records: c.unknown_source_records,
            partitions: 1,
            coverage: coverage(c),
            ..Tally::default()
        };
        for r in &c.returns {
            let m = if r.excluded {
                &mut t.exclusions
            } else {
                &mut t.completions
            };
            *m.entry(r.source.key())
                .or_default()
                .entry(r.reason.clone())
                .or_default() += 1;
        }
        for k in &c.conflicts {
            *t.conflicts.entry(k.kind).or_default() += 1;
        }
        for d in &c.disagreements {
            let name = match d.entity {
                Entity::Person => format!("anggota.{}", c.rules.person[d.field].export),
                Entity::Family => format!("keluarga.{}", c.rules.family[d.field].export),
            };
            *t.disagreements.entry(name).or_default() += 1;
        }
        t.persons = c.persons.len() as u64;
        t.deceased = c.persons.iter().filter(|p| !p.alive).count() as u64;
        t.deceased_regsosek_only = c
            .persons
            .iter()
            .filter(|p| p.death_source == Some(Source::RegsosekAnggota))
            .count() as u64;
        for f in &c.families {
            *t.statuses.entry(f.status.as_str()).or_default() += 1;
            for n in &f.notes {
                *t.notes.entry(n).or_default() += 1;
            }
        }
        t.in_families = c.families.iter().map(|f| f.members.len() as u64).sum();
        t.families = c.families.len() as u64;
        t.with_regsosek = c.families.iter().filter(|f| f.regsosek.is_some()).count() as u64;
        for (s, rows, att) in &c.lists {
            let e = t.lists.entry(s.clone()).or_default();
            e.0 += rows;
            e.1 += att;
        }
        let count =
            |f: &dyn Fn(&crate::Person) -> bool| c.persons.iter().filter(|p| f(p)).count() as u64;
        let flags = &mut t.flags;
        flags.insert("asn", count(&|p| p.flags.asn.is_some()));
        flags.insert("pbi_nas_aktif", count(&|p| p.flags.pbi_nas));
        flags.insert("pbi_pemda_aktif", count(&|p| p.flags.pbi_pemda));
        flags.insert(
            "pbi_aktif_meninggal",
            count(&|p| !p.alive && (p.flags.pbi_nas || p.flags.pbi_pemda)),
        );
        flags.insert("pelanggan_pln", count(&|p| p.flags.pln_id.is_some()));
        flags.insert("pkh_dtks", count(&|p| p.flags.pkh));
        flags.insert("bpnt_dtks", count(&|p| p.flags.bpnt));
        flags.insert(
            "asn_penerima_pkh",
            count(&|p| p.flags.asn.is_some() && p.flags.pkh),
        );
        t
    }

    /// Adds another partition's figures.
    pub fn add(&mut self, o: Tally) {
        for (k, v) in o.counts {
            let e = self.counts.entry(k).or_default();
            e.records += v.records;
            e.in_snapshot += v.in_snapshot;
            e.excluded += v.excluded;
            e.completed += v.completed;
        }
        for (mine, theirs) in [
            (&mut self.exclusions, o.exclusions),
            (&mut self.completions, o.completions),
        ] {
            for (s, m) in theirs {
                let e = mine.entry(s).or_default();
                for (r, n) in m {
                    *e.entry(r).or_default() += n;
                }
            }
        }
        for (k, n) in o.conflicts {
            *self.conflicts.entry(k).or_default() += n;
        }
        for (k, n) in o.disagreements {
            *self.disagreements.entry(k).or_default() += n;
        }
        for (k, n) in o.statuses {
            *self.statuses.entry(k).or_default() += n;
        }
        for (k, n) in o.notes {
            *self.notes.entry(k).or_default() += n;
        }
        for (k, n) in o.flags {
            *self.flags.entry(k).or_default() += n;
        }
        for (k, (r, a)) in o.lists {
            let e = self.lists.entry(k).or_default();
            e.0 += r;
            e.1 += a;
        }
        for (k, v) in o.coverage {
            let e = self.coverage.entry(k).or_default();
            e.siak_living += v.siak_living;
            e.in_dtsen += v.in_dtsen;
            e.surveyed += v.surveyed;
            e.families += v.families;
            e.need_check += v.need_check;
        }
        add_json(&mut self.matching, &o.matching);
        for (k, ms) in o.timings {
            match self.timings.iter_mut().find(|(n, _)| *n == k) {
                Some(e) => e.1 += ms,
                None => self.timings.push((k, ms)),
            }
        }
        self.persons += o.persons;
        self.in_families += o.in_families;
        self.deceased += o.deceased;
        self.deceased_regsosek_only += o.deceased_regsosek_only;
        self.families += o.families;
        self.with_regsosek += o.with_regsosek;
        self.unknown_source_records += o.unknown_source_records;
        self.partitions += o.partitions;
    }

    /// The report as JSON. `ingest` is the ingest run's `ingest-report.json`, when there is one.
    pub fn report(
        &self,
        snapshot: &str,
        as_of: dtsen_core::date::Date,
        rules: &crate::Rules,
        ingest: Option<&Json>,
        regions: &RegionTable,
    ) -> Json {
        let mut sources = serde_json::Map::new();
        let mut person_records = 0u64;
        let mut person_in = 0u64;
        let mut person_excluded = 0u64;
        for s in Source::ALL {
            let n = self.counts.get(&s).cloned().unwrap_or_default();
            let ing = ingest.and_then(|i| i["sources"].get(s.key()));
            let read = ing.and_then(|i| i["read"].as_u64());
            let rejected = ing.and_then(|i| i["rejected"].as_u64());
            let reconciles_ingest = match (read, rejected) {
                (Some(r), Some(j)) => Some(r == n.records + j),
                _ => None,
            };
            // Regsosek family records that went to no family are excluded; attached ones are in.
            let reconciles = n.records == n.in_snapshot + n.excluded;
            if s.is_person_record() {
                person_records += n.records;
                person_in += n.in_snapshot;
                person_excluded += n.excluded;
            }
            sources.insert(
                s.key().to_owned(),
                json!({
                    "rows_read": read,
                    "rejected_at_ingest": rejected,
                    "records": n.records,
                    "in_snapshot": n.in_snapshot,
                    "excluded_returned": n.excluded,
                    "kept_returned_to_complete": n.completed,
                    "reconciles": reconciles && reconciles_ingest.unwrap_or(true),
                }),
            );
        }
        let region_rows = |level: Level| -> Vec<Json> {
            self.coverage
                .iter()
                .filter(|(k, _)| k.level() == level)
                .map(|(k, v)| {
                    json!({
                        "kode": k.digits(),
                        "nama": regions.get(*k).map(|r| r.name.clone()),
                        "penduduk_siak_hidup": v.siak_living,
                        "dalam_dtsen": v.in_dtsen,
                        "cakupan_persen": pct(v.in_dtsen, v.siak_living),
                        "terdata_sosek": v.surveyed,
                        "terdata_persen": pct(v.surveyed, v.siak_living),
                        "keluarga": v.families,
                        "keluarga_perlu_verifikasi": v.need_check,
                    })
                })
                .collect()
        };
        let list_json: serde_json::Map<String, Json> = self
            .lists
            .iter()
            .map(|(s, (rows, att))| (s.clone(), json!({"rows": rows, "attached": att})))
            .collect();
        json!({
            "format": "dtsen-consolidation-report/1",
            "snapshot": snapshot,
            "schema": crate::persist::Schema::of(rules).to_json(),
            "as_of": as_of.to_string(),
            "partitions": self.partitions,
            "sources": sources,
            "matching": self.matching,
            "persons": {
                "snapshot": self.persons,
                "in_families": self.in_families,
                "alive": self.persons - self.deceased,
                "deceased": self.deceased,
                "deceased_reported_by_regsosek_only": self.deceased_regsosek_only,
            },
            "families": {
                "snapshot": self.families,
                "with_regsosek": self.with_regsosek,
                "status_kelengkapan": self.statuses,
                "notes": self.notes,
            },
            "reconciliation": {
                "person_records": person_records,
                "in_snapshot": person_in,
                "excluded": person_excluded,
                "reconciles": person_records == person_in + person_excluded,
                "snapshot_persons": self.persons,
                "merged_into_others": person_in.saturating_sub(self.persons),
                "records_of_unknown_sources": self.unknown_source_records,
            },
            "exclusions": self.exclusions,
            "returned_to_complete": self.completions,
            "conflicts": self.conflicts,
            "disagreements": self.disagreements,
            "supporting_lists": list_json,
            "flags": self.flags,
            "coverage": {
                "province": region_rows(Level::Province),
                "regency": region_rows(Level::Regency),
                "district": region_rows(Level::District),
            },
            "timings_ms": self.timings.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// The report as JSON. `ingest` is the ingest run's `ingest-report.json`, when there is one.
pub fn report(c: &Consolidation, ingest: Option<&Json>, regions: &RegionTable) -> Json {
    Tally::of(c).report(&c.snapshot, c.as_of, &c.rules, ingest, regions)
}

/// A readable summary of the report (Bahasa Indonesia, as officials read it).
pub fn summary(r: &Json) -> String {
    let mut s = String::new();
    let g = |v: &Json| v.as_u64().unwrap_or(0);
    s.push_str(&format!(
        "Konsolidasi DTSEN, snapshot {} (per {})\n\n",
        r["snapshot"].as_str().unwrap_or(""),
        r["as_of"].as_str().unwrap_or("")
    ));
    s.push_str(
        "Sumber               baris   ditolak    rekaman   masuk   dikeluarkan  dilengkapi\n",
    );
    if let Some(m) = r["sources"].as_object() {
        for (k, v) in m {
            s.push_str(&format!(
                "{:<18} {:>8} {:>8} {:>10} {:>8} {:>12} {:>11}{}\n",
                k,
                g(&v["rows_read"]),
                g(&v["rejected_at_ingest"]),
                g(&v["records"]),
                g(&v["in_snapshot"]),
                g(&v["excluded_returned"]),
                g(&v["kept_returned_to_complete"]),
                if v["reconciles"].as_bool() == Some(true) {
                    ""
                } else {
                    "  TIDAK COCOK"
                }
            ));
        }
    }
    let p = &r["persons"];
    let f = &r["families"];
    s.push_str(&format!(
        "\nIndividu dalam snapshot: {} (hidup {}, meninggal {}); keluarga: {} (dengan data Regsosek {})\n",
        g(&p["snapshot"]),
        g(&p["alive"]),
        g(&p["deceased"]),
        g(&f["snapshot"]),
        g(&f["with_regsosek"])
    ));
    if let Some(m) = f["status_kelengkapan"].as_object() {
        let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {}", g(v))).collect();
        s.push_str(&format!("Status kelengkapan: {}\n", parts.join(", ")));
    }
    let rc = &r["reconciliation"];
    s.push_str(&format!(
        "Rekonsiliasi: {} rekaman individu = {} masuk + {} dikeluarkan ({}); {} digabung ke individu lain\n",
        g(&rc["person_records"]),
        g(&rc["in_snapshot"]),
        g(&rc["excluded"]),
        if rc["reconciles"].as_bool() == Some(true) { "cocok" } else { "TIDAK COCOK" },
        g(&rc["merged_into_others"])
    ));
    let m = &r["matching"];
    s.push_str(&format!(
        "Pemadanan: {} pasangan kandidat, {} deterministik, {} probabilistik, {} kasus untuk ditinjau\n",
        g(&m["candidate_pairs"]),
        g(&m["deterministic_links"]),
        g(&m["probabilistic_links"]),
        g(&m["review_distinct_identifiers"]) + g(&m["review_weak_bridges"])
    ));
    for (title, key) in [
        ("Dikeluarkan dan dikembalikan", "exclusions"),
        ("Dikembalikan untuk dilengkapi", "returned_to_complete"),
    ] {
        s.push_str(&format!("\n{title}:\n"));
        if let Some(m) = r[key].as_object() {
            for (src, reasons) in m {
                if let Some(rs) = reasons.as_object() {
                    for (reason, n) in rs {
                        s.push_str(&format!("  {src:<18} {reason:<34} {:>8}\n", g(n)));
                    }
                }
            }
        }
    }
    if let Some(m) = r["conflicts"].as_object() {
        s.push_str("\nKonflik untuk ditinjau:\n");
        for (k, v) in m {
            s.push_str(&format!("  {k:<34} {:>8}\n", g(v)));
        }
    }
    s.push_str("\nCakupan per kabupaten/kota (penduduk SIAK hidup):\n");
    if let Some(rows) = r["coverage"]["regency"].as_array() {
        for v in rows {
            s.push_str(&format!(
                "  {} {:<24} penduduk {:>9}  dalam DTSEN {:>6.2}%  terdata sosek {:>6.2}%  keluarga perlu verifikasi {}\n",
                v["kode"].as_str().unwrap_or(""),
                v["nama"].as_str().unwrap_or(""),
                g(&v["penduduk_siak_hidup"]),
                v["cakupan_persen"].as_f64().unwrap_or(0.0),
                v["terdata_persen"].as_f64().unwrap_or(0.0),
                g(&v["keluarga_perlu_verifikasi"])
            ));
        }
    }
    s
}

/// Writes the return files, the field-check list, the conflicts, `persons-clusters.csv`, the
/// coverage table and the report of one consolidation into `out`. Returns the report.
pub fn write(
    c: &Consolidation,
    out: &Path,
    ingest: Option<&Json>,
    regions: &RegionTable,
) -> Result<Json> {
    let mut w = Writer::create(out)?;
    w.add(c)?;
    w.finish(&c.snapshot, c.as_of, &c.rules, ingest, regions)
}

/// The outputs of a consolidation in one or more partitions: the per-record files are
/// appended partition by partition; coverage and the report are written once, at the end,
/// from the added [`Tally`].
pub struct Writer {
    out: std::path::PathBuf,
    returns: Vec<(
        Source,
        std::path::PathBuf,
        std::io::BufWriter<std::fs::File>,
    )>,
    checks: (std::path::PathBuf, csv::Writer<std::fs::File>),
    conflicts: (std::path::PathBuf, csv::Writer<std::fs::File>),
    clusters: (std::path::PathBuf, std::io::BufWriter<std::fs::File>),
    /// What the partitions added so far add up to.
    pub tally: Tally,
}

impl Writer {
    /// Creates the files in `out`, with their headers.
    pub fn create(out: &Path) -> Result<Writer> {
        std::fs::create_dir_all(out).map_err(io(out))?;
        let mut returns = Vec::new();
        for s in Source::ALL {
            let path = out.join(format!("kembali_{}.csv", s.key()));
            let f = std::fs::File::create(&path).map_err(io(&path))?;
            let mut w = std::io::BufWriter::new(f);
            w.write_all(
                b"sumber,baris,id_sumber,nik,nama,alasan,tindakan,nik_dukcapil,kk_dukcapil\n",
            )
            .map_err(io(&path))?;
            returns.push((s, path, w));
        }
        let path = out.join("perlu_verifikasi_lapangan.csv");
        let mut checks = csv_writer(&path)?;
        checks
            .write_record([
                "id_keluarga_dtsen",
                "nomor_kartu_keluarga",
                "kode_kelurahan_desa",
                "nama_kepala_keluarga",
                "jumlah_anggota_keluarga",
                "status_kelengkapan",
                "kekurangan",
                "catatan",
            ])
            .map_err(csv_err(&path))?;
        let checks = (path, checks);
        let path = out.join("konflik.csv");
        let mut conflicts = csv_writer(&path)?;
        conflicts
            .write_record(["jenis", "id_individu", "keterangan"])
            .map_err(csv_err(&path))?;
        let conflicts = (path, conflicts);
        let path = out.join("persons-clusters.csv");
        let f = std::fs::File::create(&path).map_err(io(&path))?;
        let mut clusters = std::io::BufWriter::new(f);
        clusters.write_all(b"id,cluster\n").map_err(io(&path))?;
        Ok(Writer {
            out: out.to_path_buf(),
            returns,
            checks,
            conflicts: (conflicts.0, conflicts.1),
            clusters: (path, clusters),
            tally: Tally::default(),
        })
    }

    /// Appends one consolidation (a partition, or the whole input).
    pub fn add(&mut self, c: &Consolidation) -> Result<()> {
        write_returns(c, &mut self.returns)?;
        let (path, w) = &mut self.checks;
        let e = csv_err(path);
        let name = c.rules.person_field("name");
        for f in c
            .families
            .iter()
            .filter(|f| f.status != Completeness::Lengkap)
        {
            let head = f
                .head
                .and_then(|h| name.and_then(|k| c.persons[h as usize].value(k)))
                .unwrap_or("");
            w.write_record([
                f.id.to_string().as_str(),
                &f.kk,
                &f.region,
                head,
                &f.living(&c.persons).to_string(),
                f.status.as_str(),
                &f.missing.join("; "),
                &f.notes.join("; "),
            ])
            .map_err(&e)?;
        }
        let (path, w) = &mut self.conflicts;
        let e = csv_err(path);
        for k in &c.conflicts {
            let id = k
                .person
                .map(|p| c.persons[p as usize].id.to_string())
                .unwrap_or_default();
            w.write_record([k.kind, &id, &k.detail]).map_err(&e)?;
        }
        let (path, w) = &mut self.clusters;
        write_person_clusters(c, path, w)?;
        self.tally.add(Tally::of(c));
        Ok(())
    }

    /// Writes coverage and the report; returns the report.
    pub fn finish(
        self,
        snapshot: &str,
        as_of: dtsen_core::date::Date,
        rules: &crate::Rules,
        ingest: Option<&Json>,
        regions: &RegionTable,
    ) -> Result<Json> {
        let Writer {
            out,
            returns,
            checks,
            conflicts,
            clusters,
            tally,
        } = self;
        for (_, path, mut w) in returns {
            w.flush().map_err(io(&path))?;
        }
        for (path, mut w) in [checks, conflicts] {
            w.flush().map_err(io(&path))?;
        }
        let (path, mut w) = clusters;
        w.flush().map_err(io(&path))?;
        // Coverage.
        let path = out.join("cakupan_wilayah.csv");
        let mut w = csv_writer(&path)?;
        let e = csv_err(&path);
        w.write_record([
            "kode_wilayah",
            "tingkat",
            "nama",
            "penduduk_siak_hidup",
            "dalam_dtsen",
            "cakupan_persen",
            "terdata_sosek",
            "terdata_persen",
            "keluarga",
            "keluarga_perlu_verifikasi",
        ])
        .map_err(&e)?;
        for (k, v) in &tally.coverage {
            let level = match k.level() {
                Level::Province => "provinsi",
                Level::Regency => "kabupaten_kota",
                Level::District => "kecamatan",
                Level::Village => "kelurahan_desa",
            };
            w.write_record([
                k.digits(),
                level.to_owned(),
                regions.get(*k).map(|r| r.name.clone()).unwrap_or_default(),
                v.siak_living.to_string(),
                v.in_dtsen.to_string(),
                format!("{:.2}", pct(v.in_dtsen, v.siak_living)),
                v.surveyed.to_string(),
                format!("{:.2}", pct(v.surveyed, v.siak_living)),
                v.families.to_string(),
                v.need_check.to_string(),
            ])
            .map_err(&e)?;
        }
        w.flush().map_err(io(&path))?;
        let rep = tally.report(snapshot, as_of, rules, ingest, regions);
        let path = out.join("consolidation-report.json");
        let text = serde_json::to_string_pretty(&rep).unwrap_or_default();
        std::fs::write(&path, text + "\n").map_err(io(&path))?;
        let path = out.join("consolidation-report.txt");
        std::fs::write(&path, summary(&rep)).map_err(io(&path))?;
        Ok(rep)
    }
}

/// `kembali_<source>.csv`: every record returned to its provider, with the reason and, where
/// the person or family was matched, what SIAK holds (for the provider's correction).
type ReturnFile = (
    Source,
    std::path::PathBuf,
    std::io::BufWriter<std::fs::File>,
);

fn write_returns(c: &Consolidation, writers: &mut [ReturnFile]) -> Result<()> {
    let pc = |n: &str| c.records.try_col(n);
    let fc = |n: &str| c.family_records.try_col(n);
    let (p_line, p_id, p_nik, p_name) = (pc("line"), pc("source_id"), pc("nik"), pc("name"));
    let (f_line, f_key, f_name) = (fc("line"), fc("family_key"), fc("head_name"));
    for r in &c.returns {
        let get = |t: &crate::table::Table, col: Option<usize>| {
            col.map_or(String::new(), |k| t.rows[r.row as usize].get(k).to_owned())
        };
        let (line, id, nik, name) = if r.source == Source::RegsosekKeluarga {
            let t = &c.family_records;
            (get(t, f_line), get(t, f_key), String::new(), get(t, f_name))
        } else {
            let t = &c.records;
            (get(t, p_line), get(t, p_id), get(t, p_nik), get(t, p_name))
        };
        let fields = [
            r.source.key().to_owned(),
            line,
            id,
            nik,
            name,
            r.reason.clone(),
            if r.excluded {
                "dikeluarkan"
            } else {
                "dilengkapi"
            }
            .to_owned(),
            r.nik_dukcapil.map(|n| n.to_string()).unwrap_or_default(),
            r.kk_dukcapil.clone().unwrap_or_default(),
        ];
        let Some((_, path, w)) = writers.iter_mut().find(|(s, ..)| *s == r.source) else {
            continue;
        };
        let mut line = Vec::new();
        for (k, f) in fields.iter().enumerate() {
            if k > 0 {
                line.push(b',');
            }
            if f.contains([',', '"', '\n']) {
                line.push(b'"');
                line.extend_from_slice(f.replace('"', "\"\"").as_bytes());
                line.push(b'"');
            } else {
                line.extend_from_slice(f.as_bytes());
            }
        }
        line.push(b'\n');
        w.write_all(&line).map_err(io(path))?;
    }
    Ok(())
}

/// `persons-clusters.csv`: every person record (`source:line`) with the person it was matched to
/// (the internal id; also for a record validation then left out), or its own key when it
/// matched no SIAK person, in the layout `dtsen link eval` reads.
fn write_person_clusters(
    c: &Consolidation,
    path: &Path,
    w: &mut std::io::BufWriter<std::fs::File>,
) -> Result<()> {
    let (src, line) = (c.records.try_col("source"), c.records.try_col("line"));
    for (i, row) in c.records.rows.iter().enumerate() {
        let id = format!(
            "{}:{}",
            src.map_or("", |k| row.get(k)),
            line.map_or("", |k| row.get(k))
        );
        let p = c.matched_to[i];
        let cluster = if p == crate::NONE {
            format!("x{id}")
        } else {
            c.persons[p as usize].id.to_string()
        };
        writeln!(w, "{id},{cluster}").map_err(io(path))?;
    }
    Ok(())
}
