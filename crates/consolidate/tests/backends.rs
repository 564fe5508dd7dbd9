//! The same consolidation saved into SQLite and into PostgreSQL (when `DTSEN_TEST_PG` names a
//! server; CI sets it) gives byte-identical exports, and a second quarter keeps every id on
//! both; a person who changed family is moved (the old membership ended, a new one opened).

use std::path::Path;

use dtsen_consolidate::{consolidate, export, output, persist, snapshot_date, Options, Rules};
use dtsen_core::{RegionCode, RegionTable};

async fn run_on(
    db: &str,
    ing: &Path,
    work: &Path,
    out: &Path,
) -> (Vec<u8>, Vec<u8>, persist::Saved) {
    let store = dtsen_store::open(db).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut opts = Options {
        snapshot: "2026Q3".into(),
        as_of: snapshot_date("2026Q3").expect("date"),
        rules: Rules::builtin(),
        model: None,
    };
    let known = persist::known_ids(store.as_ref()).await.expect("ids");
    let c = consolidate(ing, work, &opts, &known).expect("consolidate");
    let report = output::report(&c, None, RegionTable::official());
    persist::save(store.as_ref(), &c, &report, &known)
        .await
        .expect("save");
    let x = export::export(store.as_ref(), "2026Q3", None, out)
        .await
        .expect("export");
    let fam = std::fs::read(&x.families_file).expect("families");
    let mem = std::fs::read(&x.members_file).expect("members");

    // Next quarter: a member (not the head) of one family has moved to another family.
    let a = c
        .families
        .iter()
        .find(|f| f.members.len() >= 2)
        .expect("a family of two or more");
    let b = c
        .families
        .iter()
        .find(|f| f.kk != a.kk)
        .expect("another family");
    let mover = c.persons[a.members[1] as usize].nik.to_string();
    let (old_kk, new_kk) = (a.kk.clone(), b.kk.clone());
    let path = ing.join("persons.tsv");
    let text = std::fs::read_to_string(&path).expect("persons");
    let kk_col = c.records.try_col("kk").expect("kk");
    let nik_col = c.records.try_col("nik").expect("nik");
    let moved: Vec<String> = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split('\t').collect();
            if f[0] == "siak" && f[nik_col] == mover && f[kk_col] == old_kk {
                f[kk_col] = &new_kk;
            }
            f.join("\t")
        })
        .collect();
    let moved_ing = work.join("ing-q4");
    std::fs::create_dir_all(&moved_ing).expect("dir");
    for f in ["families.tsv", "lists.tsv"] {
        std::fs::copy(ing.join(f), moved_ing.join(f)).expect("copy");
    }
    std::fs::write(moved_ing.join("persons.tsv"), moved.join("\n") + "\n").expect("write");
    opts.snapshot = "2026Q4".into();
    opts.as_of = snapshot_date("2026Q4").expect("date");
    opts.model = Some(c.model.clone());
    let known2 = persist::known_ids(store.as_ref()).await.expect("ids");
    let c2 = consolidate(&moved_ing, &work.join("q4"), &opts, &known2).expect("second run");
    for p in &c2.persons {
        let before = c
            .persons
            .iter()
            .find(|q| q.nik == p.nik)
            .expect("same persons");
        assert_eq!(p.id, before.id);
    }
    let report2 = output::report(&c2, None, RegionTable::official());
    let saved2 = persist::save(store.as_ref(), &c2, &report2, &known2)
        .await
        .expect("save");
    (fam, mem, saved2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_hold_the_same_snapshot() {
    let base = std::env::temp_dir().join(format!("dtsen-test-backends-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (src, ing) = (base.join("src"), base.join("ing"));
    let cfg = dtsen_synth::Config {
        seed: 5,
        persons: Some(6_000),
        ..Default::default()
    };
    dtsen_synth::generate(&cfg, RegionCode::parse("35.72").ok(), &src, |_| {}).expect("generate");
    let opts = dtsen_ingest::Options {
        as_of: cfg.as_of,
        ..Default::default()
    };
    dtsen_ingest::ingest(&src, &ing, &opts, |_| {}).expect("ingest");

    let sqlite = format!("sqlite://{}", base.join("r.db").display());
    let (fam, mem, saved) = run_on(
        &sqlite,
        &ing,
        &base.join("w-sqlite"),
        &base.join("x-sqlite"),
    )
    .await;
    assert_eq!(
        (saved.memberships_opened, saved.memberships_ended),
        (1, 1),
        "one person moved"
    );
    assert!(fam.len() > 10_000 && mem.len() > 10_000);

    match std::env::var("DTSEN_TEST_PG") {
        Ok(admin) => {
            let name = format!("dtsen_test_cons_{}", std::process::id());
            let url = dtsen_store::create_test_database(&admin, &name)
                .await
                .expect("database");
            let (fam_pg, mem_pg, saved_pg) =
                run_on(&url, &ing, &base.join("w-pg"), &base.join("x-pg")).await;
            assert!(
                fam == fam_pg,
                "the family exports differ between SQLite and PostgreSQL"
            );
            assert!(
                mem == mem_pg,
                "the member exports differ between SQLite and PostgreSQL"
            );
            assert_eq!(
                (saved_pg.memberships_opened, saved_pg.memberships_ended),
                (1, 1)
            );
            println!("PostgreSQL run on {name}");
        }
        Err(_) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must run the PostgreSQL tests: set DTSEN_TEST_PG"
            );
            eprintln!("DTSEN_TEST_PG not set: the PostgreSQL half of this test did not run");
        }
    }
    let _ = std::fs::remove_dir_all(&base);
}
