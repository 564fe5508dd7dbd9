//! A bulk load into an empty registry (the first consolidation): the indexes of the empty
//! tables are dropped and built once at the end, exactly as the migrations define them; a
//! registry that holds rows keeps its indexes and their checks; a duplicate valid NIK loaded
//! without its index is caught when the index is built; a load that stopped half-way is
//! repaired by `migrate`. Runs on SQLite always and on PostgreSQL when `DTSEN_TEST_PG` names a
//! server (CI: must).

use dtsen_core::{Date, Nik, RegionTable};
use dtsen_store::{open, PersonRow, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

fn person(id: i64, serial: i64) -> PersonRow {
    let on = Date::from_days(20_726);
    PersonRow {
        kode_provinsi: "35".into(),
        id,
        nik: Some(
            Nik::parse(
                &format!("357101{:02}0390{:04}", 1 + serial % 28, 1 + serial / 28),
                RegionTable::official(),
                on,
            )
            .expect("a valid NIK"),
        ),
        nik_raw: None,
        name: format!("ORANG {id}"),
        name_std: format!("ORANG {id:05}"),
        birth_date: Some("1990-03-01".into()),
        sex: Some(1),
        death_date: None,
        kode_desa: Some("3571011001".into()),
    }
}

const TABLES: &str = "('persons', 'families', 'memberships', 'kk_history', 'field_values', \
                      'snapshot_families', 'snapshot_members')";

/// Where a test store lives.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Db {
    /// Index name → definition, on the registry's large tables.
    async fn indexes(&self) -> BTreeMap<String, String> {
        match self {
            Db::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).expect("open");
                let mut st = c
                    .prepare(&format!(
                        "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name IN {TABLES}"
                    ))
                    .expect("query");
                let rows = st
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .expect("rows");
                rows.map(|r| r.expect("row"))
                    // SQLite keeps the statement's text as written.
                    .map(|(n, d)| (n, d.replace(" IF NOT EXISTS", "")))
                    .collect()
            }
            Db::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.expect("connect");
                let rows: Vec<(String, String)> = sqlx::query_as(&format!(
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                     AND tablename IN {TABLES}"
                ))
                .fetch_all(&pool)
                .await
                .expect("pg_indexes");
                // And the constraints they carry (a primary key is more than its index).
                let keys: Vec<(String, String)> = sqlx::query_as(&format!(
                    "SELECT 'constraint ' || conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
                     WHERE contype IN ('p', 'u') AND connamespace = current_schema()::regnamespace AND conrelid::regclass::text IN {TABLES}"
                ))
                .fetch_all(&pool)
                .await
                .expect("pg_constraint");
                pool.close().await;
                rows.into_iter().chain(keys).collect()
            }
        }
    }

    async fn run(&self, sql: &str) {
        match self {
            Db::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).expect("open");
                c.execute_batch(sql).expect(sql);
            }
            Db::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&pool).await.expect(sql);
                pool.close().await;
            }
        }
    }
}

async fn stores(name: &str) -> Vec<(Arc<dyn Store>, Db)> {
    // Inside this checkout's target directory, one per test: a later run replaces it.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bulk-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("r.db");
    let sqlite = open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open sqlite");
    let mut all = vec![(sqlite, Db::Sqlite(path))];
    match std::env::var("DTSEN_TEST_PG") {
        Ok(admin) => {
            let db = format!("dtsen_bulk_{name}_{}", std::process::id());
            let url = dtsen_store::create_test_database(&admin, &db)
                .await
                .expect("a fresh test database");
            all.push((open(&url).await.expect("open postgres"), Db::Postgres(url)));
        }
        Err(_) => assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL tests: set DTSEN_TEST_PG"
        ),
    }
    all
}

#[tokio::test]
async fn a_first_load_builds_the_indexes_the_migrations_define() {
    for (store, db) in stores("first").await {
        let on = format!("{:?}", store.backend());
        store.migrate().await.expect("migrate");
        let defined = db.indexes().await;
        assert!(
            defined.contains_key("persons_name_std"),
            "{on}: {defined:?}"
        );
        let prepared = store.begin_bulk().await.expect("begin");
        assert!(
            prepared.iter().any(|t| t == "persons"),
            "{on}: {prepared:?}"
        );
        let left = db.indexes().await;
        assert!(
            left.keys()
                .all(|k| k.ends_with("_pkey") || k.starts_with("sqlite_autoindex")),
            "{on}: a new registry loads without secondary indexes: {left:?}"
        );
        let rows: Vec<PersonRow> = (0..3_000).map(|i| person(i, i)).collect();
        assert_eq!(store.bulk_persons(&rows).await.expect("load"), 3_000);
        let built = store.end_bulk().await.expect("end");
        assert!(built.iter().any(|(t, _)| t == "persons"), "{on}: {built:?}");
        assert_eq!(
            db.indexes().await,
            defined,
            "{on}: the same indexes, defined the same"
        );
        let nik = rows[17].nik.expect("nik");
        let found = store.person_by_nik(nik).await.expect("by NIK");
        assert_eq!(found.map(|p| p.id), Some(17), "{on}");
        // A registry with rows keeps its indexes: the duplicate is refused at once.
        let prepared = store.begin_bulk().await.expect("begin again");
        assert!(
            !prepared.iter().any(|t| t == "persons"),
            "{on}: {prepared:?}"
        );
        assert!(
            store.bulk_persons(&[person(5_000, 17)]).await.is_err(),
            "{on}: a second person with the same valid NIK"
        );
        store.end_bulk().await.expect("nothing to build");
        assert_eq!(db.indexes().await, defined, "{on}");
    }
}

#[tokio::test]
async fn a_duplicate_nik_is_caught_when_the_index_is_built_and_migrate_repairs_a_stopped_load() {
    for (store, db) in stores("dup").await {
        let on = format!("{:?}", store.backend());
        store.migrate().await.expect("migrate");
        let defined = db.indexes().await;
        store.begin_bulk().await.expect("begin");
        store
            .bulk_persons(&[person(1, 7), person(2, 7)])
            .await
            .expect("loaded without the unique index");
        match store.end_bulk().await {
            Err(StoreError::Index { index, .. }) => assert_eq!(index, "persons_valid_nik", "{on}"),
            other => panic!("{on}: the duplicate NIK must stop the index: {other:?}"),
        }
        // A load that stopped before its end: the next start (migrate) builds what is missing.
        db.run("DELETE FROM persons WHERE id = 2").await;
        db.run("DROP INDEX IF EXISTS persons_name_std").await;
        let fresh = match &db {
            Db::Sqlite(path) => open(&format!("sqlite://{}", path.display())).await,
            Db::Postgres(url) => open(url).await,
        }
        .expect("reopen");
        fresh.migrate().await.expect("migrate repairs");
        assert_eq!(db.indexes().await, defined, "{on}: every index back");
    }
}
