//! The bar on Kota Kediri (`dtsen generate --region 35.71 --seed 7`): generated,
//! ingested, consolidated into a SQLite registry and exported, then checked against the
//! generator's truth (which the pipeline never reads): person-level matching F1 ≥ 0.99; every
//! person who died is flagged; every deliberately wrong or invalid NIK is left out with a
//! reason; counts reconcile from source rows to snapshot persons plus exclusions; the export's
//! headers are exactly the contract's; a second consolidation keeps every id.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use dtsen_consolidate::{
    consolidate, export, output, persist, snapshot_date, Options, Rules, Source, NONE,
};
use dtsen_core::{RegionCode, RegionTable};
use dtsen_link::eval::{evaluate, EvalRecord};

/// `truth_records.csv`: (source, line) → (person id, well formed, NIK as written is the
/// person's).
fn truth(src: &Path) -> HashMap<(String, String), (String, bool, bool)> {
    let mut out = HashMap::new();
    let mut rdr = csv::Reader::from_path(src.join("truth_records.csv")).expect("truth");
    for r in rdr.records() {
        let r = r.expect("truth row");
        out.insert(
            (r[0].to_string(), r[1].to_string()),
            (r[2].to_string(), &r[4] == "1", &r[5] == "1"),
        );
    }
    out
}

/// `truth_persons.csv`: the persons who died.
fn dead(src: &Path) -> HashSet<String> {
    let mut rdr = csv::Reader::from_path(src.join("truth_persons.csv")).expect("truth persons");
    let h = rdr.headers().expect("header").clone();
    let (id, status) = (
        h.iter().position(|c| c == "person_id").expect("person_id"),
        h.iter()
            .position(|c| c == "status_hidup")
            .expect("status_hidup"),
    );
    rdr.records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[status] == "MATI")
        .map(|r| r[id].to_string())
        .collect()
}

/// The header of the export contract, as `../shared/formats.md` writes it (literally, so the
/// implementation's constants are checked against the contract, not against themselves).
const KELUARGA: &str = "id_keluarga_dtsen|nomor_kartu_keluarga|nama_kepala_keluarga|jumlah_anggota_keluarga|\
kode_provinsi|kode_kabupaten_kota|kode_kecamatan|kode_kelurahan_desa|alamat|rt|rw|latitude|longitude|\
status_kepemilikan_rumah|luas_lantai|jenis_lantai_terluas|jenis_dinding_terluas|jenis_atap_terluas|\
sumber_air_minum_utama|sumber_penerangan_utama|daya_terpasang|bahan_bakar_utama_memasak|fasilitas_bab|\
jenis_kloset|pembuangan_akhir_tinja|aset_bergerak_tabung_gas|aset_bergerak_lemari_es|aset_bergerak_ac|\
aset_bergerak_pemanas_air|aset_bergerak_telepon_rumah|aset_bergerak_tv_datar|aset_bergerak_emas_perhiasan|\
aset_bergerak_komputer_laptop_tablet|aset_bergerak_sepeda_motor|aset_bergerak_sepeda|aset_bergerak_mobil|\
aset_bergerak_perahu|aset_bergerak_kapal_perahu_motor|aset_bergerak_smartphone|\
aset_tidak_bergerak_lahan_lainnya|aset_tidak_bergerak_rumah_lainnya|jumlah_ternak_sapi|jumlah_ternak_kerbau|\
jumlah_ternak_kuda|jumlah_ternak_babi|jumlah_ternak_kambing_domba|skor_kesejahteraan|peringkat_nasional|\
desil_nasional|desil_provinsi|desil_kabupaten_kota|versi_model|status_kelengkapan";
const ANGGOTA: &str = "nomor_induk_kependudukan|nomor_kartu_keluarga|id_keluarga_dtsen|nama|tempat_lahir|\
tanggal_lahir|jenis_kelamin|status_kawin|status_hubungan_keluarga|status_hamil|partisipasi_sekolah|\
ijazah_tertinggi_yang_dimiliki|status_bekerja|lapangan_usaha_dari_pekerjaan_utama|status_dalam_pekerjaan_utama|\
kepemilikan_usaha|penglihatan|pendengaran|berjalan_atau_naik_tangga|menggunakan_tangan_jari|\
mengingat_berkonsentrasi|mengurus_diri|berbicara_komunikasi|belajar_kemampuan_intelektual|\
pengendalian_perilaku|kesedihan_depresi|penyakit_kronis|status_padan_dukcapil|status_keberadaan|sumber_data";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kota_kediri_consolidates_into_a_snapshot_that_meets_the_bar() {
    let base = std::env::temp_dir().join(format!("dtsen-test-consolidate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (src, ing, work) = (base.join("src"), base.join("ing"), base.join("work"));
    let cfg = dtsen_synth::Config {
        seed: 7,
        ..Default::default()
    };
    dtsen_synth::generate(&cfg, RegionCode::parse("35.71").ok(), &src, |_| {}).expect("generate");
    let ing_opts = dtsen_ingest::Options {
        as_of: cfg.as_of,
        ..Default::default()
    };
    dtsen_ingest::ingest(&src, &ing, &ing_opts, |_| {}).expect("ingest");

    let db = format!("sqlite://{}", base.join("dtsen.db").display());
    let store = dtsen_store::open(&db).await.expect("store");
    store.migrate().await.expect("migrate");
    let known = persist::known_ids(store.as_ref()).await.expect("ids");
    let opts = Options {
        snapshot: "2026Q3".into(),
        as_of: snapshot_date("2026Q3").expect("date"),
        rules: Rules::builtin(),
        model: None,
    };
    let c = consolidate(&ing, &work, &opts, &known).expect("consolidate");
    let ingest_report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ing.join("ingest-report.json")).expect("ingest report"),
    )
    .expect("json");
    let report =
        output::write(&c, &work, Some(&ingest_report), RegionTable::official()).expect("outputs");

    // Person-level matching against the truth (records as matched, before validation).
    let truth = truth(&src);
    let (src_col, line_col) = (
        c.records.try_col("source").expect("source"),
        c.records.try_col("line").expect("line"),
    );
    let keys: Vec<(String, String)> = c
        .records
        .rows
        .iter()
        .map(|r| (r.get(src_col).to_string(), r.get(line_col).to_string()))
        .collect();
    let predicted: Vec<String> = (0..keys.len())
        .map(|i| match c.matched_to[i] {
            NONE => format!("x{i}"),
            p => c.persons[p as usize].id.to_string(),
        })
        .collect();
    let ids: Vec<String> = keys.iter().map(|(s, l)| format!("{s}:{l}")).collect();
    let records: Vec<EvalRecord<'_>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let t = truth.get(k).expect("every person record has a truth row");
            EvalRecord {
                id: &ids[i],
                predicted: &predicted[i],
                truth: &t.0,
                source: &k.0,
            }
        })
        .collect();
    let e = evaluate(&records, 0, 0, 10);
    assert!(
        e.pairwise.f1 >= 0.99,
        "person-level matching {:?}",
        e.pairwise
    );

    // Every person who died is flagged (those whose SIAK row was readable; a person SIAK
    // does not hold is not in the snapshot at all).
    let dead = dead(&src);
    let mut flagged = 0;
    for (i, k) in keys.iter().enumerate() {
        if k.0 != "siak" {
            continue;
        }
        let t = &truth[k];
        if dead.contains(&t.0) {
            let p = c.person_of[i];
            assert_ne!(
                p, NONE,
                "dead person {} of SIAK line {} is not in the snapshot",
                t.0, k.1
            );
            assert!(
                !c.persons[p as usize].alive,
                "{} died but is not flagged",
                t.0
            );
            flagged += 1;
        }
    }
    assert!(flagged > 1_000, "{flagged} deaths flagged");
    assert_eq!(report["persons"]["deceased"].as_u64(), Some(flagged));

    // Every deliberately wrong or invalid NIK on a person record is left out, with a reason.
    let (nik_col, status_col) = (
        c.records.try_col("nik").expect("nik"),
        c.records.try_col("nik_status").expect("nik_status"),
    );
    let returned: HashMap<u32, (&str, bool)> = c
        .returns
        .iter()
        .filter(|r| r.source.is_person_record())
        .map(|r| (r.row, (r.reason.as_str(), r.excluded)))
        .collect();
    let mut wrong = 0;
    for (i, k) in keys.iter().enumerate() {
        let t = &truth[k];
        let written = c.records.rows[i].get(nik_col);
        if t.2 || written.is_empty() {
            continue;
        }
        wrong += 1;
        let (reason, excluded) = returned.get(&(i as u32)).unwrap_or_else(|| {
            panic!(
                "{}:{} carries a wrong NIK {written} ({}) but was kept",
                k.0,
                k.1,
                c.records.rows[i].get(status_col)
            )
        });
        assert!(
            *excluded && (reason.starts_with("nik_") || *reason == "baris_siak_tidak_terbaca"),
            "{}:{}: {reason}",
            k.0,
            k.1
        );
        assert_eq!(c.person_of[i], NONE);
    }
    assert!(wrong > 5_000, "{wrong} wrong NIKs in the data");
    // No correct NIK of a SIAK person is left out.
    let siak_left_out: Vec<String> = c
        .returns
        .iter()
        .filter(|r| r.excluded && r.source == Source::Siak)
        .map(|r| format!("row {}: {}", r.row, r.reason))
        .collect();
    assert!(
        siak_left_out.is_empty(),
        "SIAK records left out: {siak_left_out:?}"
    );

    // Counts reconcile: source rows = rejected at ingest + records; records = in the snapshot +
    // excluded; in the snapshot = persons + merged.
    assert_eq!(
        report["reconciliation"]["reconciles"], true,
        "{}",
        report["reconciliation"]
    );
    for (k, v) in report["sources"].as_object().expect("sources") {
        assert_eq!(v["reconciles"], true, "{k}: {v}");
        assert!(
            v["rows_read"].as_u64().is_some(),
            "{k}: the ingest's rows are in the report"
        );
    }
    let persons_in = report["reconciliation"]["in_snapshot"].as_u64().expect("n");
    let merged = report["reconciliation"]["merged_into_others"]
        .as_u64()
        .expect("n");
    assert_eq!(persons_in, c.persons.len() as u64 + merged);
    let in_families: usize = c.families.iter().map(|f| f.members.len()).sum();
    assert_eq!(
        in_families,
        c.persons.len(),
        "every snapshot person is in exactly one family"
    );
    let niks: HashSet<u64> = c.persons.iter().map(|p| p.nik.value()).collect();
    assert_eq!(niks.len(), c.persons.len(), "each NIK appears once");

    // Return files per provider, with the reasons.
    let kembali = std::fs::read_to_string(work.join("kembali_dtks.csv")).expect("return file");
    assert!(kembali
        .starts_with("sumber,baris,id_sumber,nik,nama,alasan,tindakan,nik_dukcapil,kk_dukcapil\n"));
    assert!(kembali.contains("nik_beda_dukcapil") && kembali.contains("dikeluarkan"));

    // Into the store, and out as the DTSEN export.
    let saved = persist::save(store.as_ref(), &c, &report, &known)
        .await
        .expect("save");
    assert_eq!(saved.snapshot_members, c.persons.len() as u64);
    // Ranked with a model fitted on the survey sample (never on the truth).
    let variables = dtsen_rank::encode::parse_variables(dtsen_rank::encode::DEFAULT_VARIABLES)
        .expect("variables");
    let (survey, _) =
        dtsen_rank::read_survey(&src.join("susenas.csv"), &variables).expect("survey");
    let model = dtsen_rank::fit(&survey, variables, dtsen_rank::gbm::Settings::default());
    let ranked = dtsen_consolidate::ranking::rank_snapshot(store.as_ref(), "2026Q3", &model)
        .await
        .expect("rank");
    assert!(
        ranked.summary.ranked as f64 > 0.9 * c.families.len() as f64,
        "{:?}",
        ranked.summary
    );
    for share in &ranked.summary.decile_person_shares {
        assert!(
            (share - 0.1).abs() <= 0.005,
            "decile shares {:?}",
            ranked.summary.decile_person_shares
        );
    }
    let out = base.join("export");
    let x = export::export(store.as_ref(), "2026Q3", None, &out)
        .await
        .expect("export");
    // Ranking the same snapshot with the same model again changes nothing, byte for byte.
    dtsen_consolidate::ranking::rank_snapshot(store.as_ref(), "2026Q3", &model)
        .await
        .expect("rank again");
    let again = export::export(store.as_ref(), "2026Q3", None, &base.join("export2"))
        .await
        .expect("export");
    assert!(
        std::fs::read(&x.families_file).expect("a")
            == std::fs::read(&again.families_file).expect("b"),
        "ranking twice gave different files"
    );
    let fam_text = std::fs::read_to_string(&x.families_file).expect("family file");
    let mem_text = std::fs::read_to_string(&x.members_file).expect("member file");
    assert_eq!(fam_text.lines().next(), Some(KELUARGA));
    assert_eq!(mem_text.lines().next(), Some(ANGGOTA));
    assert_eq!(fam_text.lines().count() as u64, 1 + c.families.len() as u64);
    assert_eq!(mem_text.lines().count() as u64, 1 + c.persons.len() as u64);
    let width = KELUARGA.split('|').count();
    assert!(
        fam_text.lines().all(|l| l.split('|').count() == width),
        "every family row has {width} fields"
    );
    assert!(
        fam_text.contains(&format!("|{}|lengkap", model.version)),
        "deciles and model version exported"
    );
    // A snapshot is never written twice.
    assert!(persist::save(store.as_ref(), &c, &report, &known)
        .await
        .is_err());

    // The next quarter: one more death in SIAK; every id is kept, nobody is re-created.
    let first_ids: HashMap<u64, i64> = c.persons.iter().map(|p| (p.nik.value(), p.id)).collect();
    let first_fams: HashMap<String, i64> =
        c.families.iter().map(|f| (f.kk.clone(), f.id)).collect();
    let victim = c
        .persons
        .iter()
        .find(|p| p.alive)
        .expect("someone alive")
        .nik;
    let text = std::fs::read_to_string(ing.join("persons.tsv")).expect("persons");
    let alive_col = c.records.try_col("alive").expect("alive");
    let changed: Vec<String> = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split('\t').collect();
            if f[0] == "siak" && f[nik_col] == victim.to_string() {
                f[alive_col] = "0";
            }
            f.join("\t")
        })
        .collect();
    std::fs::write(ing.join("persons.tsv"), changed.join("\n") + "\n").expect("write");
    let known2 = persist::known_ids(store.as_ref()).await.expect("ids");
    let opts2 = Options {
        snapshot: "2026Q4".into(),
        as_of: snapshot_date("2026Q4").expect("date"),
        model: Some(c.model.clone()),
        ..opts
    };
    let c2 = consolidate(&ing, &base.join("work2"), &opts2, &known2).expect("second run");
    assert_eq!(c2.persons.len(), c.persons.len());
    for p in &c2.persons {
        assert_eq!(
            Some(&p.id),
            first_ids.get(&p.nik.value()),
            "person {} changed id",
            p.nik.masked()
        );
    }
    for f in &c2.families {
        assert_eq!(Some(&f.id), first_fams.get(&f.kk), "family changed id");
    }
    let p = c2
        .persons
        .iter()
        .find(|p| p.nik == victim)
        .expect("still there");
    assert!(!p.alive, "the new death is flagged");
    let report2 = output::report(&c2, None, RegionTable::official());
    let saved2 = persist::save(store.as_ref(), &c2, &report2, &known2)
        .await
        .expect("second save");
    assert_eq!(saved2.memberships_opened, 0, "nobody moved");
    assert_eq!(saved2.memberships_ended, 0);
    let _ = std::fs::remove_dir_all(&base);
}
