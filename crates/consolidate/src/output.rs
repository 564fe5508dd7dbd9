//! What a consolidation writes beside the snapshot: the return files per provider
//! (`kembali_<source>.csv`), the families that need a field check
//! (`perlu_verifikasi_lapangan.csv`), the conflicts for review (`konflik.csv`), coverage per
//! region (`cakupan_wilayah.csv`) and the report (`consolidation-report.json` and `.txt`).

use std::collections::{BTreeMap, HashMap};
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

/// The report as JSON. `ingest` is the ingest run's `ingest-report.json`, when there is one.
pub fn report(c: &Consolidation, ingest: Option<&Json>, regions: &RegionTable) -> Json {
    let mut sources = serde_json::Map::new();
    let mut person_records = 0u64;
    let mut person_in = 0u64;
    let mut person_excluded = 0u64;
    for s in Source::ALL {
        let n = c.counts.get(&s).cloned().unwrap_or_default();
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
    let mut exclusions: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    let mut completions: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for r in &c.returns {
        let m = if r.excluded {
            &mut exclusions
        } else {
            &mut completions
        };
        *m.entry(r.source.key())
            .or_default()
            .entry(r.reason.clone())
            .or_default() += 1;
    }
    let mut conflicts: BTreeMap<&str, u64> = BTreeMap::new();
    for k in &c.conflicts {
        *conflicts.entry(k.kind).or_default() += 1;
    }
    let mut disagreements: BTreeMap<String, u64> = BTreeMap::new();
    for d in &c.disagreements {
        let name = match d.entity {
            Entity::Person => format!("anggota.{}", c.rules.person[d.field].export),
            Entity::Family => format!("keluarga.{}", c.rules.family[d.field].export),
        };
        *disagreements.entry(name).or_default() += 1;
    }
    let deceased = c.persons.iter().filter(|p| !p.alive).count();
    let deceased_regsosek_only = c
        .persons
        .iter()
        .filter(|p| p.death_source == Some(Source::RegsosekAnggota))
        .count();
    let mut statuses: BTreeMap<&str, u64> = BTreeMap::new();
    let mut notes: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &c.families {
        *statuses.entry(f.status.as_str()).or_default() += 1;
        for n in &f.notes {
            *notes.entry(n).or_default() += 1;
        }
    }
    let persons_in_families: usize = c.families.iter().map(|f| f.members.len()).sum();
    let cov = coverage(c);
    let region_rows = |level: Level| -> Vec<Json> {
        cov.iter()
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
    let list_json: serde_json::Map<String, Json> = c
        .lists
        .iter()
        .map(|(s, rows, att)| (s.clone(), json!({"rows": rows, "attached": att})))
        .collect();
    let mut flags = BTreeMap::new();
    let count = |f: &dyn Fn(&crate::Person) -> bool| c.persons.iter().filter(|p| f(p)).count();
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
    json!({
        "format": "dtsen-consolidation-report/1",
        "snapshot": c.snapshot,
        "schema": crate::persist::Schema::of(&c.rules).to_json(),
        "as_of": c.as_of.to_string(),
        "sources": sources,
        "matching": c.matching,
        "persons": {
            "snapshot": c.persons.len(),
            "in_families": persons_in_families,
            "alive": c.persons.len() - deceased,
            "deceased": deceased,
            "deceased_reported_by_regsosek_only": deceased_regsosek_only,
        },
        "families": {
            "snapshot": c.families.len(),
            "with_regsosek": c.families.iter().filter(|f| f.regsosek.is_some()).count(),
            "status_kelengkapan": statuses,
            "notes": notes,
        },
        "reconciliation": {
            "person_records": person_records,
            "in_snapshot": person_in,
            "excluded": person_excluded,
            "reconciles": person_records == person_in + person_excluded,
            "snapshot_persons": c.persons.len(),
            "merged_into_others": person_in.saturating_sub(c.persons.len() as u64),
            "records_of_unknown_sources": c.unknown_source_records,
        },
        "exclusions": exclusions,
        "returned_to_complete": completions,
        "conflicts": conflicts,
        "disagreements": disagreements,
        "supporting_lists": list_json,
        "flags": flags,
        "coverage": {
            "province": region_rows(Level::Province),
            "regency": region_rows(Level::Regency),
            "district": region_rows(Level::District),
        },
        "timings_ms": c.timings.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
    })
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

/// Writes the return files, the field-check list, the conflicts, the coverage table and the
/// report into `out`. Returns the report.
pub fn write(
    c: &Consolidation,
    out: &Path,
    ingest: Option<&Json>,
    regions: &RegionTable,
) -> Result<Json> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    write_returns(c, out)?;
    // Field checks.
    let path = out.join("perlu_verifikasi_lapangan.csv");
    let mut w = csv_writer(&path)?;
    let e = csv_err(&path);
    w.write_record([
        "id_keluarga_dtsen",
        "nomor_kartu_keluarga",
        "kode_kelurahan_desa",
        "nama_kepala_keluarga",
        "jumlah_anggota_keluarga",
        "status_kelengkapan",
        "kekurangan",
        "catatan",
    ])
    .map_err(&e)?;
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
    w.flush().map_err(io(&path))?;
    // Conflicts.
    let path = out.join("konflik.csv");
    let mut w = csv_writer(&path)?;
    let e = csv_err(&path);
    w.write_record(["jenis", "id_individu", "keterangan"])
        .map_err(&e)?;
    for k in &c.conflicts {
        let id = k
            .person
            .map(|p| c.persons[p as usize].id.to_string())
            .unwrap_or_default();
        w.write_record([k.kind, &id, &k.detail]).map_err(&e)?;
    }
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
    for (k, v) in coverage(c) {
        let level = match k.level() {
            Level::Province => "provinsi",
            Level::Regency => "kabupaten_kota",
            Level::District => "kecamatan",
            Level::Village => "kelurahan_desa",
        };
        w.write_record([
            k.digits(),
            level.to_owned(),
            regions.get(k).map(|r| r.name.clone()).unwrap_or_default(),
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
    let rep = report(c, ingest, regions);
    let path = out.join("consolidation-report.json");
    let text = serde_json::to_string_pretty(&rep).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(io(&path))?;
    let path = out.join("consolidation-report.txt");
    std::fs::write(&path, summary(&rep)).map_err(io(&path))?;
    Ok(rep)
}

/// `kembali_<source>.csv`: every record returned to its provider, with the reason and, where
/// the person or family was matched, what SIAK holds (for the provider's correction).
fn write_returns(c: &Consolidation, out: &Path) -> Result<()> {
    let mut writers: HashMap<Source, (std::path::PathBuf, std::io::BufWriter<std::fs::File>)> =
        HashMap::new();
    for s in Source::ALL {
        let path = out.join(format!("kembali_{}.csv", s.key()));
        let f = std::fs::File::create(&path).map_err(io(&path))?;
        let mut w = std::io::BufWriter::new(f);
        w.write_all(b"sumber,baris,id_sumber,nik,nama,alasan,tindakan,nik_dukcapil,kk_dukcapil\n")
            .map_err(io(&path))?;
        writers.insert(s, (path, w));
    }
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
        let Some((path, w)) = writers.get_mut(&r.source) else {
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
    for (_, (path, mut w)) in writers {
        w.flush().map_err(io(&path))?;
    }
    Ok(())
}

/// `persons-clusters.csv`: every person record (`source:line`) with the person it was matched to
/// (the internal id; also for a record validation then left out), or its own key when it
/// matched no SIAK person, in the layout `dtsen link eval` reads.
pub fn write_person_clusters(c: &Consolidation, path: &Path) -> Result<()> {
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = std::io::BufWriter::new(f);
    w.write_all(b"id,cluster\n").map_err(io(path))?;
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
    w.flush().map_err(io(path))
}
