//! A province consolidated one regency at a time (`batch::run` with `Split::Regency`) against
//! the same input held whole (`Split::None`): the same snapshot persons and families, counts
//! that reconcile, ids given once across partitions (the store's unique keys would refuse a
//! second), every partition's outputs appended, and person-level matching at the bar against
//! the generator's truth. A dry run gives the same report and writes nothing into the registry.

use std::collections::HashMap;
use std::path::Path;

use dtsen_consolidate::batch::{run, Run, Split};
use dtsen_consolidate::{persist, snapshot_date, Options, Rules};
use dtsen_core::{RegionCode, RegionTable};
use dtsen_link::eval::{evaluate, EvalRecord};

/// A run of `ing` into `base/NAME.db`; a dry run also discards the ingest output once split.
async fn consolidate(base: &Path, ing: &Path, name: &str, split: Split, dry: bool) -> Run {
    let db = format!("sqlite://{}", base.join(format!("{name}.db")).display());
    let store = dtsen_store::open(&db).await.expect("store");
    store.migrate().await.expect("migrate");
    let known = persist::known_ids(store.as_ref()).await.expect("ids");
    let opts = Options {
        snapshot: "2026Q3".into(),
        as_of: snapshot_date("2026Q3").expect("date"),
        rules: Rules::builtin(),
        model: None,
    };
    let mut said = Vec::new();
    let r = run(
        (!dry).then_some(store.as_ref()),
        ing,
        &base.join(name),
        opts,
        known,
        split,
        None,
        RegionTable::official(),
        dry,
        |m| said.push(m.to_string()),
    )
    .await
    .expect("consolidate");
    if dry {
        // A dry run writes the files and the report, and nothing into the registry.
        assert_eq!(store.snapshot_status("2026Q3").await.expect("status"), None);
        assert_eq!(r.saved, persist::Saved::default());
        return r;
    }
    let e = dtsen_consolidate::export::export(store.as_ref(), "2026Q3", None, &base.join(name))
        .await
        .expect("export");
    assert_eq!(e.members, r.saved.snapshot_members);
    r
}

/// Pairwise F1 of `persons-clusters.csv` against `truth_records.csv`.
fn f1(clusters: &Path, truth: &Path) -> f64 {
    let mut t: HashMap<String, String> = HashMap::new();
    let mut rdr = csv::Reader::from_path(truth).expect("truth");
    for r in rdr.records() {
        let r = r.expect("truth row");
        t.insert(format!("{}:{}", &r[0], &r[1]), r[2].to_string());
    }
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut rdr = csv::Reader::from_path(clusters).expect("clusters");
    for r in rdr.records() {
        let r = r.expect("cluster row");
        rows.push((r[0].to_string(), r[1].to_string()));
    }
    let records: Vec<EvalRecord<'_>> = rows
        .iter()
        .map(|(id, cluster)| EvalRecord {
            id,
            predicted: cluster,
            truth: t.get(id).expect("every record has a truth row"),
            source: id.split(':').next().unwrap_or(""),
        })
        .collect();
    evaluate(&records, 0, 0, 0).pairwise.f1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_split_by_regency_gives_the_snapshot_of_the_whole_run() {
    let base = std::env::temp_dir().join(format!("dtsen-test-partitioned-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (src, ing) = (base.join("src"), base.join("ing"));
    let cfg = dtsen_synth::Config {
        seed: 35,
        persons: Some(40_000),
        ..Default::default()
    };
    dtsen_synth::generate(&cfg, RegionCode::parse("35").ok(), &src, |_| {}).expect("generate");
    let ing_opts = dtsen_ingest::Options {
        as_of: cfg.as_of,
        ..Default::default()
    };
    dtsen_ingest::ingest(&src, &ing, &ing_opts, |_| {}).expect("ingest");
    assert!(dtsen_consolidate::partition::several_regencies(&ing).expect("regencies"));
    let whole = consolidate(&base, &ing, "whole", Split::None, false).await;
    let split = consolidate(&base, &ing, "split", Split::Regency, false).await;
    // The dry run on a copy of the ingest output, which it discards once split.
    let copy = base.join("ing-copy");
    std::fs::create_dir_all(&copy).expect("copy dir");
    for entry in std::fs::read_dir(&ing).expect("ingest output") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), copy.join(entry.file_name())).expect("copy");
    }
    let dry = consolidate(&base, &copy, "dry", Split::Auto, true).await;
    for name in dtsen_consolidate::partition::RECORD_FILES {
        assert!(!copy.join(name).exists(), "{name} discarded");
        assert!(ing.join(name).exists(), "{name} kept without the option");
    }
    assert!(copy.join("rejects.csv").exists() && copy.join("ingest-report.json").exists());
    assert_eq!(dry.partitions, split.partitions);
    assert_eq!(dry.report["reconciliation"], split.report["reconciliation"]);
    assert_eq!(whole.partitions, 1);
    assert!(split.partitions >= 38, "{} partitions", split.partitions);
    let (w, s) = (&whole.report, &split.report);
    assert_eq!(s["partitions"], split.partitions);
    // Persons and families are SIAK's: the same whatever the split.
    for key in [
        ["persons", "snapshot"],
        ["persons", "deceased"],
        ["families", "snapshot"],
    ] {
        assert_eq!(w[key[0]][key[1]], s[key[0]][key[1]], "{key:?}");
    }
    assert_eq!(whole.saved.snapshot_members, split.saved.snapshot_members);
    assert_eq!(whole.saved.snapshot_families, split.saved.snapshot_families);
    assert_eq!(split.saved.persons, split.saved.snapshot_members);
    // Every record is counted once: the same records, and they reconcile.
    assert_eq!(
        w["reconciliation"]["person_records"],
        s["reconciliation"]["person_records"]
    );
    assert_eq!(s["reconciliation"]["reconciles"], true);
    for (k, v) in s["sources"].as_object().expect("sources") {
        assert_eq!(v["reconciles"], true, "{k}");
        assert_eq!(v["records"], w["sources"][k]["records"], "{k}");
    }
    // Coverage adds up over the partitions to the whole run's (SIAK's figures exactly; which
    // families need a field check depends on what matching attached to them).
    for level in ["province", "regency", "district"] {
        let rows = |r: &serde_json::Value| -> Vec<(String, u64, u64, u64)> {
            r["coverage"][level]
                .as_array()
                .expect("coverage")
                .iter()
                .map(|c| {
                    let n = |k: &str| c[k].as_u64().unwrap_or(0);
                    (
                        c["kode"].as_str().unwrap_or("").to_owned(),
                        n("penduduk_siak_hidup"),
                        n("dalam_dtsen"),
                        n("keluarga"),
                    )
                })
                .collect()
        };
        assert_eq!(rows(s), rows(w), "coverage per {level}");
    }
    // The appended outputs hold every partition's rows.
    let lines = |name: &str, file: &str| {
        std::fs::read_to_string(base.join(name).join(file))
            .expect(file)
            .lines()
            .count()
    };
    assert_eq!(
        lines("split", "persons-clusters.csv"),
        lines("whole", "persons-clusters.csv")
    );
    let returned = |name: &str| -> usize {
        [
            "siak",
            "regsosek_anggota",
            "dtks",
            "p3ke",
            "regsosek_keluarga",
        ]
        .iter()
        .map(|s| lines(name, &format!("kembali_{s}.csv")) - 1)
        .sum()
    };
    let excluded_or_completed = |r: &serde_json::Value| -> u64 {
        r["sources"]
            .as_object()
            .expect("sources")
            .values()
            .map(|v| {
                v["excluded_returned"].as_u64().unwrap_or(0)
                    + v["kept_returned_to_complete"].as_u64().unwrap_or(0)
            })
            .sum()
    };
    assert_eq!(returned("split") as u64, excluded_or_completed(s));
    // The model was trained once and saved where the next run looks for it.
    assert!(base.join("split/link/model.json").exists());
    // Matching: what a record without a NIK SIAK knows loses by being matched within its
    // regency only is small; both runs meet the bar.
    let truth = src.join("truth_records.csv");
    let (fw, fs) = (
        f1(&base.join("whole/persons-clusters.csv"), &truth),
        f1(&base.join("split/persons-clusters.csv"), &truth),
    );
    assert!(fw >= 0.99 && fs >= 0.99, "F1 whole {fw}, split {fs}");
    assert!(fw - fs < 0.005, "F1 whole {fw}, split {fs}");
    let _ = std::fs::remove_dir_all(&base);
}
