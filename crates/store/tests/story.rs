//! One story of the registry, run on SQLite always and on PostgreSQL when `DTSEN_TEST_PG` gives
//! a server URL (in CI it must: the test fails rather than skip). Each run gets its own
//! database.

use dtsen_core::{Date, Nik, RegionCode, RegionTable};

fn on() -> Date {
    Date::from_days(20_726)
}
use dtsen_store::{
    open, source_id, FamilyRow, FieldValueRow, KkHistoryRow, MembershipRow, PersonRow,
    SnapshotFamilyRow, SnapshotMemberRow, Store, StoreError,
};
use std::sync::Arc;

fn kediri_village(i: i64) -> String {
    // Two villages of Kota Kediri and one of Kabupaten Kediri.
    ["3571011001", "3571021001", "3506012001"][(i % 3) as usize].to_owned()
}

fn persons(n: i64) -> Vec<PersonRow> {
    (0..n)
        .map(|i| PersonRow {
            kode_provinsi: "35".into(),
            id: i,
            nik: Some(
                Nik::parse(
                    &format!("357101{:02}0390{:04}", 1 + i % 28, 1 + i / 28),
                    RegionTable::official(),
                    on(),
                )
                .expect("a valid NIK"),
            ),
            nik_raw: None,
            name: format!("ORANG {i}"),
            name_std: if i % 10 == 0 {
                format!("SITI {i:05}")
            } else {
                format!("BUDI {i:05}")
            },
            birth_date: Some("1990-03-01".into()),
            sex: Some(1 + (i % 2) as i16),
            death_date: None,
            kode_desa: Some(kediri_village(i)),
        })
        .collect()
}

async fn story(store: Arc<dyn Store>) {
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrating twice is harmless");
    let regions = RegionTable::official();
    assert_eq!(
        store.load_regions(regions).await.expect("regions"),
        38 + 514 + 7_285 + 83_762
    );

    let people = persons(3_000);
    assert_eq!(store.bulk_persons(&people).await.expect("persons"), 3_000);
    // Families of three; family f holds persons 3f..3f+2.
    let families: Vec<FamilyRow> = (0..1_000)
        .map(|f| FamilyRow {
            kode_provinsi: "35".into(),
            id: f,
            kk: Some(format!("35710120031{:05}", f + 1)),
            kode_desa: kediri_village(f),
            address: Some("JL. MAWAR".into()),
            rt: Some("001".into()),
            rw: Some("002".into()),
        })
        .collect();
    store.bulk_families(&families).await.expect("families");
    let mut memberships: Vec<MembershipRow> = (0..3_000)
        .map(|p| MembershipRow {
            kode_provinsi: "35".into(),
            family_id: p / 3,
            person_id: p,
            relationship: Some(if p % 3 == 0 { 1 } else { 4 }),
            valid_from: "2015-01-01".into(),
            valid_to: None,
        })
        .collect();
    // Person 2 left family 0 for family 999 on 2024-06-01 (pecah KK).
    memberships[2].valid_to = Some("2024-05-31".into());
    memberships.push(MembershipRow {
        kode_provinsi: "35".into(),
        family_id: 999,
        person_id: 2,
        relationship: Some(1),
        valid_from: "2024-06-01".into(),
        valid_to: None,
    });
    store
        .bulk_memberships(&memberships)
        .await
        .expect("memberships");

    // By NIK, by KK, by name within a region.
    let p = store
        .person_by_nik(people[42].nik.expect("nik"))
        .await
        .expect("query")
        .expect("found");
    assert_eq!(p, people[42]);
    assert!(store
        .person_by_nik(Nik::from_value_unchecked(3571010101000001))
        .await
        .expect("query")
        .is_none());
    let f = store
        .families_by_kk(families[7].kk.as_deref().expect("kk"))
        .await
        .expect("query");
    assert_eq!(f, vec![families[7].clone()]);
    let kota = RegionCode::parse("35.71").expect("code");
    let found = store
        .search_name(kota, "SITI", 1_000)
        .await
        .expect("search");
    assert!(!found.is_empty());
    assert!(found.iter().all(|p| p.name_std.starts_with("SITI")
        && p.kode_desa
            .as_deref()
            .is_some_and(|d| d.starts_with("3571"))));
    let kab = store
        .search_name(RegionCode::parse("35.06").expect("code"), "SITI", 1_000)
        .await
        .expect("search");
    assert!(kab.iter().all(|p| p
        .kode_desa
        .as_deref()
        .is_some_and(|d| d.starts_with("3506"))));
    assert_eq!(found.len() + kab.len(), 300);

    // Membership as known at a date.
    let before = store
        .members_on("35", 0, "2024-01-01")
        .await
        .expect("members");
    assert_eq!(
        before.iter().map(|m| m.person_id).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let after = store
        .members_on("35", 0, "2025-01-01")
        .await
        .expect("members");
    assert_eq!(
        after.iter().map(|m| m.person_id).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(
        store
            .members_on("35", 999, "2025-01-01")
            .await
            .expect("members")
            .len(),
        4
    );

    // Provenance: two sources disagree on a birth date; both values are kept.
    let fv = |source: &str, value: &str, record: &str| FieldValueRow {
        kode_provinsi: "35".into(),
        entity: 'p',
        entity_id: 42,
        field: "birth_date".into(),
        value: Some(value.into()),
        source_id: source_id(source).expect("known source"),
        source_record: record.into(),
        observed_on: Some("2024-01-01".into()),
    };
    let values = [
        fv("siak", "1990-03-01", "17"),
        fv("dtks", "1990-01-03", "88"),
    ];
    assert_eq!(
        store
            .bulk_field_values(&values)
            .await
            .expect("field values"),
        2
    );
    let got = store.field_values("35", 'p', 42).await.expect("provenance");
    assert_eq!(got, values.to_vec());
    // KK history: an old KK number from an older source still finds the family.
    let history = [
        KkHistoryRow {
            kode_provinsi: "35".into(),
            family_id: 999,
            kk: "3571010101100001".into(),
            valid_from: "2010-01-01".into(),
            valid_to: Some("2024-05-31".into()),
            reason: "new".into(),
        },
        KkHistoryRow {
            kode_provinsi: "35".into(),
            family_id: 999,
            kk: "3571010106240001".into(),
            valid_from: "2024-06-01".into(),
            valid_to: None,
            reason: "split".into(),
        },
    ];
    store.bulk_kk_history(&history).await.expect("kk history");
    assert_eq!(
        store.kk_history("3571010101100001").await.expect("history"),
        vec![history[0].clone()]
    );
    let run = store
        .record_ingest_run(
            source_id("siak").expect("siak"),
            "siak_penduduk.csv",
            10,
            9,
            1,
            "{}",
        )
        .await
        .expect("run");
    assert!(run > 0);

    // A snapshot, its dashboard figures, and its immutability once published.
    store
        .create_snapshot("2026Q1", Some("pmt-ols-1"))
        .await
        .expect("snapshot");
    let snap_families: Vec<SnapshotFamilyRow> = families
        .iter()
        .map(|f| SnapshotFamilyRow {
            kode_provinsi: "35".into(),
            family_id: f.id,
            kk: f.kk.clone(),
            kode_desa: f.kode_desa.clone(),
            members: 3,
            score: Some(f.id as f64),
            rank_national: Some(f.id + 1),
            desil_nasional: Some((1 + f.id % 10) as i16),
            desil_provinsi: Some((1 + f.id % 10) as i16),
            desil_kabupaten_kota: Some((1 + f.id % 10) as i16),
            status_kelengkapan: Some(
                if f.id % 4 == 0 {
                    "tidak_lengkap"
                } else {
                    "lengkap"
                }
                .into(),
            ),
            attrs: Some(format!("{{\"id_keluarga_dtsen\":{}}}", f.id)),
        })
        .collect();
    store
        .add_snapshot_families("2026Q1", &snap_families)
        .await
        .expect("snapshot families");
    let snap_members: Vec<SnapshotMemberRow> = memberships
        .iter()
        .filter(|m| m.valid_to.is_none())
        .map(|m| SnapshotMemberRow {
            kode_provinsi: "35".into(),
            family_id: m.family_id,
            person_id: m.person_id,
            nik: people[m.person_id as usize].nik.map(|n| n.to_string()),
            relationship: m.relationship,
            status_padan: Some("padan".into()),
            alive: true,
            attrs: Some("{\"nama\":\"X\"}".into()),
        })
        .collect();
    store
        .add_snapshot_members("2026Q1", &snap_members)
        .await
        .expect("snapshot members");
    let (fam, members) = store
        .family_in_snapshot("2026Q1", "35", 999)
        .await
        .expect("query")
        .expect("family");
    assert_eq!(
        (fam.family_id, fam.desil_nasional, members.len()),
        (999, Some(10), 4)
    );
    assert_eq!(members[0].relationship, Some(1), "head first");

    let city = store
        .region_aggregate("2026Q1", kota)
        .await
        .expect("aggregate");
    let province = store
        .region_aggregate("2026Q1", RegionCode::parse("35").expect("code"))
        .await
        .expect("aggregate");
    assert_eq!(province.families, 1_000);
    assert_eq!(province.persons, 3_000);
    assert_eq!(province.registered, 3_000);
    assert_eq!(province.incomplete, 250);
    assert_eq!(province.persons_by_decile.iter().sum::<i64>(), 3_000);
    assert!(city.families > 0 && city.families < province.families);

    // The golden records travel with the snapshot; the report is stored beside it.
    let all = store.snapshot_families("2026Q1").await.expect("families");
    assert_eq!(all.len(), 1_000);
    assert_eq!(all[7].attrs.as_deref(), Some("{\"id_keluarga_dtsen\":7}"));
    let all_members = store.snapshot_members("2026Q1").await.expect("members");
    assert_eq!(all_members.len(), snap_members.len());
    assert!(all_members
        .windows(2)
        .all(|w| (w[0].family_id, w[0].person_id) < (w[1].family_id, w[1].person_id)));
    store
        .save_snapshot_report("2026Q1", "{\"persons\":1}")
        .await
        .expect("report");
    store
        .save_snapshot_report("2026Q1", "{\"persons\":3000}")
        .await
        .expect("a draft's report can be replaced");
    assert_eq!(
        store
            .snapshot_report("2026Q1")
            .await
            .expect("report")
            .as_deref(),
        Some("{\"persons\":3000}")
    );
    assert_eq!(
        store
            .snapshot_status("2026Q1")
            .await
            .expect("status")
            .as_deref(),
        Some("draft")
    );

    // Ids given out, for the next consolidation; upserts change current rows in place.
    let ids = store.registry_ids().await.expect("ids");
    assert_eq!((ids.persons.len(), ids.max_person), (3_000, 2_999));
    assert_eq!(ids.max_family, 999);
    assert!(ids.persons.contains(&(people[42].nik.expect("nik"), 42)));
    let mut moved = people[42].clone();
    moved.kode_desa = Some("3571011002".into());
    moved.death_date = Some("2026-01-02".into());
    let mut newcomer = people[43].clone();
    newcomer.id = 5_000;
    newcomer.nik = None;
    newcomer.nik_raw = Some("123".into());
    assert_eq!(
        store
            .upsert_persons(&[moved.clone(), newcomer])
            .await
            .expect("upsert"),
        2
    );
    assert_eq!(
        store
            .person_by_nik(moved.nik.expect("nik"))
            .await
            .expect("query"),
        Some(moved)
    );
    assert_eq!(store.registry_ids().await.expect("ids").max_person, 5_000);
    let mut fam = families[3].clone();
    fam.address = Some("JL. BARU 1".into());
    store
        .upsert_families(std::slice::from_ref(&fam))
        .await
        .expect("upsert family");
    let kk = fam.kk.clone().expect("kk");
    assert!(store.families_by_kk(&kk).await.expect("kk").contains(&fam));
    let open = store.open_memberships().await.expect("open");
    let open_before = open.len();
    let first = &open[0];
    let ended = store
        .end_memberships(
            &[(
                first.kode_provinsi.clone(),
                first.family_id,
                first.person_id,
            )],
            "2026-03-31",
        )
        .await
        .expect("end");
    assert_eq!(ended, 1);
    assert_eq!(
        store.open_memberships().await.expect("open").len(),
        open_before - 1
    );

    // A ranking writes scores, ranks and three deciles, and the model version.
    let ranking = vec![dtsen_store::RankingRow {
        kode_provinsi: "35".into(),
        family_id: 998,
        score: Some(13.25),
        rank_national: Some(7),
        desil_nasional: Some(3),
        desil_provinsi: Some(4),
        desil_kabupaten_kota: Some(5),
    }];
    assert_eq!(
        store
            .set_rankings("2026Q1", "pmt-test-1", &ranking)
            .await
            .expect("rank"),
        1
    );
    assert_eq!(
        store
            .snapshot_model("2026Q1")
            .await
            .expect("model")
            .as_deref(),
        Some("pmt-test-1")
    );
    let (ranked, _) = store
        .family_in_snapshot("2026Q1", "35", 998)
        .await
        .expect("query")
        .expect("family");
    assert_eq!(
        (
            ranked.score,
            ranked.rank_national,
            ranked.desil_nasional,
            ranked.desil_provinsi,
            ranked.desil_kabupaten_kota
        ),
        (Some(13.25), Some(7), Some(3), Some(4), Some(5))
    );
    let mut restore = ranking[0].clone();
    restore.desil_nasional = Some((1 + 998 % 10) as i16);
    store
        .set_rankings("2026Q1", "pmt-test-1", &[restore])
        .await
        .expect("rank");

    // A draft can be removed whole (an interrupted consolidation), a published one never.
    store.create_snapshot("2026Q2", None).await.expect("draft");
    store
        .add_snapshot_families("2026Q2", &snap_families[..3])
        .await
        .expect("rows");
    store
        .save_snapshot_report("2026Q2", "{}")
        .await
        .expect("report");
    store.delete_draft("2026Q2").await.expect("delete draft");
    assert_eq!(store.snapshot_status("2026Q2").await.expect("status"), None);
    assert!(store
        .snapshot_families("2026Q2")
        .await
        .expect("rows")
        .is_empty());

    // Still a draft: corrections are allowed.
    store
        .set_decile("2026Q1", "35", 0, 2)
        .await
        .expect("draft can change");
    store.publish_snapshot("2026Q1").await.expect("publish");
    // Published: the dashboard reads the per-village figures fixed at publication.
    let province_after = store
        .region_aggregate("2026Q1", RegionCode::parse("35").expect("code"))
        .await
        .expect("aggregate");
    let mut want = province.clone();
    want.persons_by_decile[0] -= 3; // family 0 moved from decile 1 to 2 before publication
    want.persons_by_decile[1] += 3;
    assert_eq!(province_after, want);
    assert_eq!(
        store
            .region_aggregate("2026Q1", kota)
            .await
            .expect("aggregate")
            .families,
        city.families
    );
    let refused = [
        store.set_decile("2026Q1", "35", 0, 3).await.err(),
        store
            .add_snapshot_families("2026Q1", &snap_families[..1])
            .await
            .err(),
        store
            .add_snapshot_members("2026Q1", &snap_members[..1])
            .await
            .err(),
        store.publish_snapshot("2026Q1").await.err(),
        store.save_snapshot_report("2026Q1", "{}").await.err(),
        store.set_rankings("2026Q1", "pmt-test-2", &[]).await.err(),
        store.delete_draft("2026Q1").await.err(),
    ];
    for (k, e) in refused.into_iter().enumerate() {
        assert!(
            matches!(e, Some(StoreError::SnapshotPublished(_))),
            "change {k} to a published snapshot: {e:?}"
        );
    }
    let (fam, _) = store
        .family_in_snapshot("2026Q1", "35", 0)
        .await
        .expect("query")
        .expect("family");
    assert_eq!(
        fam.desil_nasional,
        Some(2),
        "the published decile is the one before publishing"
    );
    assert!(matches!(
        store.publish_snapshot("2099Q9").await,
        Err(StoreError::NoSnapshot(_))
    ));

    // A valid NIK belongs to one person.
    let mut twin = people[0].clone();
    twin.id = 10_000;
    assert!(
        store.bulk_persons(&[twin]).await.is_err(),
        "a second person with the same valid NIK"
    );
}

#[tokio::test]
async fn the_story_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("dtsen-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("registry.db");
    let store = open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open sqlite");
    story(store).await;
    // An online copy is a consistent database of its own.
    let copy = dir.join("backup.db");
    dtsen_store::backup_sqlite(&path.to_string_lossy(), &copy)
        .await
        .expect("backup");
    let restored = open(&format!("sqlite://{}", copy.display()))
        .await
        .expect("open copy");
    assert!(restored
        .person_by_nik(
            Nik::parse("3571010103900001", RegionTable::official(), on()).expect("valid")
        )
        .await
        .expect("query")
        .is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_story_on_postgres() {
    let Ok(admin) = std::env::var("DTSEN_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL tests: set DTSEN_TEST_PG"
        );
        eprintln!("DTSEN_TEST_PG is not set: the PostgreSQL run is skipped here (CI runs it)");
        return;
    };
    let db = format!("dtsen_test_{}", std::process::id());
    let url = dtsen_store::create_test_database(&admin, &db)
        .await
        .expect("a fresh test database");
    let store = open(&url).await.expect("open postgres");
    eprintln!("PostgreSQL run on {db}");
    story(store).await;
}
