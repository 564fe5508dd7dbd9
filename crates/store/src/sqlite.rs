//! The embedded backend: one SQLite file in WAL mode.

use crate::{
    migrations, published_error, village_range, Backend, FamilyRow, FieldValueRow, KkHistoryRow,
    MembershipRow, PersonRow, RankingRow, RegionAggregate, RegistryIds, Result, SnapshotFamilyRow,
    SnapshotMemberRow, Store, StoreError,
};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::str::FromStr;

pub(crate) struct SqliteStore {
    pool: SqlitePool,
    path: String,
    /// Read-only connections for the web's hot reads (the family page): all its queries run
    /// in one blocking call on one connection, instead of one trip to the async driver's
    /// thread per query (which cost more than the queries themselves).
    readers: std::sync::Arc<std::sync::Mutex<Vec<rusqlite::Connection>>>,
    /// At most this many blocking reads at once (their connections are kept): more would only
    /// queue on two cores, and each extra thread would open a connection of its own.
    read_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// The access log's writer connection (opened on first use).
    audit_writer: std::sync::Arc<std::sync::Mutex<Option<rusqlite::Connection>>>,
}

/// The access log's own database file beside the registry's: `dtsen.db` → `dtsen.audit.db`.
pub fn audit_path(db_path: &str) -> String {
    match db_path.strip_suffix(".db") {
        Some(stem) => format!("{stem}.audit.db"),
        None => format!("{db_path}.audit.db"),
    }
}

/// The access log's schema (in its own file; see [`audit_path`]). Each entry carries the hash
/// of the one before it; the database refuses UPDATE and DELETE.
const AUDIT_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    user_id    BIGINT,
    username   TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    region     TEXT,
    address    TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// Opens the access log's file (created with its schema if missing), WAL.
fn open_audit(db_path: &str) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(audit_path(db_path))?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.execute_batch(AUDIT_SCHEMA)?;
    Ok(c)
}

/// Creates the access log's file and moves into it any entries an older schema kept in the
/// registry's own file.
fn ensure_audit(db_path: &str) -> rusqlite::Result<()> {
    drop(open_audit(db_path)?);
    let main = rusqlite::Connection::open(db_path)?;
    main.busy_timeout(std::time::Duration::from_secs(30))?;
    let old: i64 = main.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'",
        [],
        |r| r.get(0),
    )?;
    if old > 0 {
        main.execute("ATTACH DATABASE ?1 AS access", [audit_path(db_path)])?;
        main.execute_batch(
            "BEGIN;
             INSERT INTO access.audit_log SELECT * FROM main.audit_log
                 WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM access.audit_log) ORDER BY seq;
             DROP TABLE main.audit_log;
             COMMIT;
             DETACH DATABASE access;",
        )?;
    }
    Ok(())
}

/// Opens the access log's file to read it (no schema work).
fn read_audit(db_path: &str) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open_with_flags(
        audit_path(db_path),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(c)
}

/// Checkpoints the access log's write-ahead log once a second (PASSIVE: it never blocks the
/// writer), until the store that owns the writer is dropped.
fn start_checkpointer(
    path: String,
    owner: std::sync::Weak<std::sync::Mutex<Option<rusqlite::Connection>>>,
) {
    let _ = std::thread::Builder::new()
        .name("dtsen-audit-checkpoint".into())
        .spawn(move || {
            let Ok(c) = rusqlite::Connection::open(audit_path(&path)) else {
                return;
            };
            while owner.upgrade().is_some() {
                std::thread::sleep(std::time::Duration::from_secs(1));
                let _ = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
}

/// Reads the access log's file.
fn audit_rows(
    db_path: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<crate::AuditRow>> {
    let c = read_audit(db_path)?;
    let mut st = c.prepare(&q(sql))?;
    let rows = st.query_map(params, |r| {
        Ok(crate::AuditRow {
            seq: r.get("seq")?,
            at: r.get("at")?,
            user_id: r.get("user_id")?,
            username: r.get("username")?,
            role: r.get("role")?,
            action: r.get("action")?,
            object: r.get("object")?,
            region: r.get("region")?,
            address: r.get("address")?,
            prev_hash: r.get("prev_hash")?,
            hash: r.get("hash")?,
        })
    })?;
    rows.collect()
}

/// Blocking readers at once (see `SqliteStore::read_slots`).
const READERS: usize = 4;

fn bind_person(st: &mut rusqlite::Statement<'_>, r: &PersonRow) -> rusqlite::Result<usize> {
    st.execute(rusqlite::params![
        r.kode_provinsi,
        r.id,
        crate::nik_value(r.nik),
        r.nik_raw,
        r.name,
        r.name_std,
        r.birth_date,
        r.sex,
        r.death_date,
        r.kode_desa
    ])
}

fn bind_family(st: &mut rusqlite::Statement<'_>, r: &FamilyRow) -> rusqlite::Result<usize> {
    st.execute(rusqlite::params![
        r.kode_provinsi,
        r.id,
        r.kk,
        r.kode_desa,
        r.address,
        r.rt,
        r.rw
    ])
}

/// Rows per multi-row INSERT of a table with `columns` columns: as many as SQLite's limit of
/// 32,766 parameters per statement allows (fewer statements, fewer round trips).
const fn chunk(columns: usize) -> usize {
    30_000 / columns
}

impl SqliteStore {
    /// Runs a bulk load on a connection of its own: one transaction, one prepared statement,
    /// values bound by reference (the async driver copies every value, which halves the
    /// throughput). It blocks the calling thread: bulk loads belong to the batch engine, not to
    /// request handlers.
    fn bulk<T>(
        &self,
        sql: &str,
        rows: &[T],
        bind: impl Fn(&mut rusqlite::Statement<'_>, &T) -> rusqlite::Result<usize>,
    ) -> Result<u64> {
        let mut conn = rusqlite::Connection::open(&self.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MB of page cache for the load (the default is 2 MB): the indexes' pages stay in
        // the process instead of being read back from the file for every row once the table
        // outgrows the cache (measured on DI Yogyakarta's 3.8M persons with every index kept:
        // 88k rows/s with the default when the machine's page cache did not keep the file,
        // 117k with 256 MB).
        conn.pragma_update(None, "cache_size", -65_536i64)?;
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(sql)?;
            for r in rows {
                bind(&mut stmt, r)?;
            }
        }
        tx.commit()?;
        Ok(rows.len() as u64)
    }

    /// The status of a snapshot, if it exists.
    async fn status(&self, id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(&q("SELECT status FROM snapshots WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Refuses a change to a snapshot that does not exist or is published (the database
    /// triggers refuse it too; this check gives the same error on every backend).
    async fn ensure_draft(&self, id: &str) -> Result<()> {
        match self.status(id).await?.as_deref() {
            None => Err(StoreError::NoSnapshot(id.to_owned())),
            Some("published") => Err(StoreError::SnapshotPublished(id.to_owned())),
            _ => Ok(()),
        }
    }

    pub(crate) async fn open(path: &str) -> Result<SqliteStore> {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(30))
            // 32 MB of page cache per connection (SQLite's default is 2 MB). Not mmap: the
            // access log grows the file with every group of reads, and each growth remapped
            // every reader (measured: a third of the search's time in page faults).
            .pragma("cache_size", "-32768");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Ok(SqliteStore {
            pool,
            path: path.to_owned(),
            readers: Default::default(),
            read_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(READERS)),
            audit_writer: Default::default(),
        })
    }
}

/// `$1` → `?1`: the SQL below is written once, in PostgreSQL's placeholder style.
fn q(sql: &str) -> String {
    sql.replace('$', "?")
}

crate::row_mappers!(SqliteRow);
crate::impl_web_store!(SqliteStore, SqliteRow, {
    async fn audit_tail(&self) -> Result<Option<(i64, String)>> {
        let path = self.path.clone();
        blocking(move || {
            let c = read_audit(&path)?;
            use rusqlite::OptionalExtension;
            Ok(
                c.query_row(crate::web::AUDIT_TAIL, [], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?,
            )
        })
        .await
    }

    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<crate::AuditRow>> {
        let path = self.path.clone();
        blocking(move || {
            Ok(audit_rows(
                &path,
                crate::web::AUDIT_AFTER,
                rusqlite::params![after, limit],
            )?)
        })
        .await
    }

    async fn audit_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<crate::AuditRow>> {
        let path = self.path.clone();
        let before = before.unwrap_or(i64::MAX);
        blocking(move || {
            Ok(audit_rows(
                &path,
                crate::web::AUDIT_BEFORE,
                rusqlite::params![before, limit],
            )?)
        })
        .await
    }

    async fn audit_append(&self, rows: &[crate::AuditRow]) -> Result<()> {
        // One blocking call with one prepared statement for the whole group, on the writer
        // connection kept for it (the async driver cost a thread trip per row), into the log's
        // own file.
        let (path, writer, rows) = (self.path.clone(), self.audit_writer.clone(), rows.to_vec());
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut guard = writer.lock().map_err(|e| StoreError::Task(e.to_string()))?;
            if guard.is_none() {
                let c = open_audit(&path)?;
                // Checkpoints (which fsync) run in a thread of their own, so a commit never
                // waits for one: a page waits for its entry's commit.
                c.pragma_update(None, "wal_autocheckpoint", 0)?;
                *guard = Some(c);
                start_checkpointer(path.clone(), std::sync::Arc::downgrade(&writer));
            }
            let conn = guard
                .as_mut()
                .ok_or_else(|| StoreError::Task("no writer".into()))?;
            let result = (|| -> rusqlite::Result<()> {
                let tx = conn.transaction()?;
                {
                    let mut st = tx.prepare_cached(&q(crate::web::AUDIT_INSERT))?;
                    for a in &rows {
                        st.execute(rusqlite::params![
                            a.seq,
                            a.at,
                            a.user_id,
                            a.username,
                            a.role,
                            a.action,
                            a.object,
                            a.region,
                            a.address,
                            a.prev_hash,
                            a.hash
                        ])?;
                    }
                }
                tx.commit()
            })();
            if result.is_err() {
                // A failed connection is not reused.
                *guard = None;
            }
            Ok(result?)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn find_by_number(
        &self,
        snapshot: &str,
        number: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        let args = [
            snapshot.to_owned(),
            number.to_owned(),
            range.lo.clone(),
            range.hi.clone(),
        ];
        self.read(move |c| {
            let mut hits = sorted_hits(c, crate::web::FIND_BY_NIK, &args)?;
            hits.extend(sorted_hits(c, crate::web::FIND_BY_KK, &args)?);
            Ok(hits)
        })
        .await
    }

    async fn family_page(
        &self,
        snapshot: &str,
        kode_provinsi: &str,
        family_id: i64,
        range: &crate::VillageRange,
    ) -> Result<Option<crate::FamilyBundle>> {
        let (snapshot, prov, range) =
            (snapshot.to_owned(), kode_provinsi.to_owned(), range.clone());
        self.read(move |c| read_family_page(c, &snapshot, &prov, family_id, &range))
            .await
    }

    async fn find_by_nik(
        &self,
        snapshot: &str,
        nik: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        let args = [
            snapshot.to_owned(),
            nik.to_owned(),
            range.lo.clone(),
            range.hi.clone(),
        ];
        self.read(move |c| sorted_hits(c, crate::web::FIND_BY_NIK, &args))
            .await
    }

    async fn find_by_kk(
        &self,
        snapshot: &str,
        kk: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        let args = [
            snapshot.to_owned(),
            kk.to_owned(),
            range.lo.clone(),
            range.hi.clone(),
        ];
        self.read(move |c| sorted_hits(c, crate::web::FIND_BY_KK, &args))
            .await
    }

    async fn find_by_name(
        &self,
        snapshot: &str,
        prefix: &str,
        range: &crate::VillageRange,
        limit: i64,
    ) -> Result<Vec<crate::SearchHit>> {
        let sql = crate::web::find_by_name_sql(range);
        let args = (
            snapshot.to_owned(),
            prefix.to_owned(),
            crate::web::prefix_upper(prefix),
            range.lo.clone(),
            range.hi.clone(),
        );
        self.read(move |c| {
            read_hits(
                c,
                sql,
                rusqlite::params![args.0, args.1, args.2, args.3, args.4, limit],
            )
        })
        .await
    }
});

/// Runs blocking SQLite work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

/// The secondary indexes of the registry's large tables, exactly as the migrations leave them
/// (a test compares): what [`Store::begin_bulk`] drops on an empty table and
/// [`Store::end_bulk`] builds, as (table, index, definition). Primary keys stay: SQLite keeps
/// them inside its tables.
const BULK_INDEXES: &[(&str, &str, &str)] = &[
    ("persons", "persons_valid_nik", "CREATE UNIQUE INDEX IF NOT EXISTS persons_valid_nik ON persons (nik) WHERE nik IS NOT NULL"),
    ("persons", "persons_name", "CREATE INDEX IF NOT EXISTS persons_name ON persons (kode_provinsi, kode_desa, name_std)"),
    ("persons", "persons_name_std", "CREATE INDEX IF NOT EXISTS persons_name_std ON persons (name_std, kode_desa)"),
    ("families", "families_kk", "CREATE INDEX IF NOT EXISTS families_kk ON families (kk)"),
    ("families", "families_desa", "CREATE INDEX IF NOT EXISTS families_desa ON families (kode_provinsi, kode_desa)"),
    ("memberships", "memberships_person", "CREATE INDEX IF NOT EXISTS memberships_person ON memberships (kode_provinsi, person_id)"),
    ("memberships", "memberships_open", "CREATE INDEX IF NOT EXISTS memberships_open ON memberships (kode_provinsi, family_id) WHERE valid_to IS NULL"),
    ("kk_history", "kk_history_kk", "CREATE INDEX IF NOT EXISTS kk_history_kk ON kk_history (kk)"),
    ("snapshot_families", "snapshot_families_desa", "CREATE INDEX IF NOT EXISTS snapshot_families_desa ON snapshot_families (snapshot_id, kode_provinsi, kode_desa)"),
    ("snapshot_families", "snapshot_families_kk", "CREATE INDEX IF NOT EXISTS snapshot_families_kk ON snapshot_families (snapshot_id, kk)"),
    ("snapshot_families", "snapshot_families_family", "CREATE INDEX IF NOT EXISTS snapshot_families_family ON snapshot_families (kode_provinsi, family_id)"),
    ("snapshot_members", "snapshot_members_nik", "CREATE INDEX IF NOT EXISTS snapshot_members_nik ON snapshot_members (snapshot_id, nik)"),
    ("snapshot_members", "snapshot_members_person", "CREATE INDEX IF NOT EXISTS snapshot_members_person ON snapshot_members (snapshot_id, kode_provinsi, person_id)"),
];

/// Builds the indexes of [`BULK_INDEXES`] that are missing, one after the other on one
/// connection (SQLite has one writer) with 128 MB to sort in; seconds per table.
fn build_indexes(path: &str) -> Result<Vec<(String, f64)>> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    // The sorter works in up to the cache's size of memory and spills to temporary files
    // beyond it (not `temp_store = MEMORY`: unbounded).
    conn.pragma_update(None, "cache_size", -131_072i64)?;
    // The sorter may use helper threads (SQLite's default is none).
    conn.pragma_update(None, "threads", 2i64)?;
    let mut spent: Vec<(String, f64)> = Vec::new();
    for &(table, name, ddl) in BULK_INDEXES {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if exists {
            continue;
        }
        let t = std::time::Instant::now();
        conn.execute_batch(ddl).map_err(|e| StoreError::Index {
            table: table.to_owned(),
            index: name.to_owned(),
            cause: e.to_string(),
        })?;
        crate::charge(&mut spent, table, t.elapsed().as_secs_f64());
    }
    Ok(spent)
}

impl SqliteStore {
    /// Runs `f` on a read-only connection in a blocking task, at most [`READERS`] at once.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let _slot = self
            .read_slots
            .acquire()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        let (path, readers) = (self.path.clone(), self.readers.clone());
        let run = move || -> Result<T> {
            let conn = match readers.lock().ok().and_then(|mut v| v.pop()) {
                Some(c) => c,
                None => {
                    let c = rusqlite::Connection::open_with_flags(
                        &path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                            | rusqlite::OpenFlags::SQLITE_OPEN_URI,
                    )?;
                    c.busy_timeout(std::time::Duration::from_secs(30))?;
                    c.pragma_update(None, "cache_size", -32_768i64)?;
                    // The registry's file does not grow while serving (the access log has a
                    // file of its own), so mapping it costs no remaps.
                    c.pragma_update(None, "mmap_size", 1_073_741_824i64)?;
                    c
                }
            };
            let out = f(&conn);
            if let Ok(mut v) = readers.lock() {
                if v.len() < READERS {
                    v.push(conn);
                }
            }
            Ok(out?)
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// NIK or KK hits (snapshot, key, range lo, range hi), by province and family.
fn sorted_hits(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[String; 4],
) -> rusqlite::Result<Vec<crate::SearchHit>> {
    let mut hits = read_hits(conn, sql, rusqlite::params_from_iter(args.iter()))?;
    crate::web::sort_hits(&mut hits);
    Ok(hits)
}

/// Search hits from one of the shared search queries.
fn read_hits(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<crate::SearchHit>> {
    conn.prepare_cached(&q(sql))?
        .query_map(params, |r| {
            Ok(crate::SearchHit {
                kode_provinsi: r.get("kode_provinsi")?,
                family_id: r.get("family_id")?,
                kk: r.get("kk")?,
                kode_desa: r.get("kode_desa")?,
                members: r.get("members")?,
                desil_nasional: r.get("desil_nasional")?,
                person_id: r.get("person_id")?,
                nik: r.get("nik")?,
                name: r.get("name")?,
            })
        })?
        .collect()
}

/// The family page's reads on one connection, in one read transaction (a consistent view).
fn read_family_page(
    conn: &rusqlite::Connection,
    snapshot: &str,
    prov: &str,
    family_id: i64,
    range: &crate::VillageRange,
) -> rusqlite::Result<Option<crate::FamilyBundle>> {
    use rusqlite::{params, OptionalExtension, Row};
    fn family(r: &Row<'_>) -> rusqlite::Result<SnapshotFamilyRow> {
        Ok(SnapshotFamilyRow {
            kode_provinsi: r.get("kode_provinsi")?,
            family_id: r.get("family_id")?,
            kk: r.get("kk")?,
            kode_desa: r.get("kode_desa")?,
            members: r.get("members")?,
            score: r.get("score")?,
            rank_national: r.get("rank_national")?,
            desil_nasional: r.get("desil_nasional")?,
            desil_provinsi: r.get("desil_provinsi")?,
            desil_kabupaten_kota: r.get("desil_kabupaten_kota")?,
            status_kelengkapan: r.get("status_kelengkapan")?,
            attrs: r.get("attrs")?,
        })
    }
    conn.execute_batch("BEGIN")?;
    let result = (|| {
        let Some(fam) = conn
            .prepare_cached(&q(crate::web::FAMILY_IN_RANGE))?
            .query_row(
                params![snapshot, prov, family_id, range.lo, range.hi],
                family,
            )
            .optional()?
        else {
            return Ok(None);
        };
        let members = conn
            .prepare_cached(&q(crate::web::FAMILY_MEMBERS))?
            .query_map(params![snapshot, prov, family_id], |r| {
                Ok(SnapshotMemberRow {
                    kode_provinsi: r.get("kode_provinsi")?,
                    family_id: r.get("family_id")?,
                    person_id: r.get("person_id")?,
                    nik: r.get("nik")?,
                    relationship: r.get("relationship")?,
                    status_padan: r.get("status_padan")?,
                    alive: r.get("alive")?,
                    attrs: r.get("attrs")?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let field_values = conn
            .prepare_cached(&q(crate::web::FAMILY_FIELD_VALUES))?
            .query_map(params![prov, family_id, snapshot], |r| {
                let entity: String = r.get("entity")?;
                Ok(FieldValueRow {
                    kode_provinsi: r.get("kode_provinsi")?,
                    entity: entity.chars().next().unwrap_or('?'),
                    entity_id: r.get("entity_id")?,
                    field: r.get("field")?,
                    value: r.get("value")?,
                    source_id: r.get("source_id")?,
                    source_record: r.get("source_record")?,
                    observed_on: r.get("observed_on")?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let history = conn
            .prepare_cached(&q(crate::web::FAMILY_SNAPSHOTS))?
            .query_map(params![prov, family_id], |r| {
                Ok((r.get("snapshot_id")?, family(r)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let kk_history = conn
            .prepare_cached(&q(crate::web::FAMILY_KK_HISTORY))?
            .query_map(params![prov, family_id], |r| {
                Ok(KkHistoryRow {
                    kode_provinsi: r.get("kode_provinsi")?,
                    family_id: r.get("family_id")?,
                    kk: r.get("kk")?,
                    valid_from: r.get("valid_from")?,
                    valid_to: r.get("valid_to")?,
                    reason: r.get("reason")?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let memberships = conn
            .prepare_cached(&q(crate::web::FAMILY_MEMBERSHIPS))?
            .query_map(params![prov, family_id], |r| {
                Ok(MembershipRow {
                    kode_provinsi: r.get("kode_provinsi")?,
                    family_id: r.get("family_id")?,
                    person_id: r.get("person_id")?,
                    relationship: r.get("relationship")?,
                    valid_from: r.get("valid_from")?,
                    valid_to: r.get("valid_to")?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(crate::FamilyBundle {
            family: fam,
            members,
            field_values,
            history,
            kk_history,
            memberships,
        }))
    })();
    conn.execute_batch("COMMIT")?;
    result
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<()> {
        // Run on the pool: a migration is one script that opens and commits its own
        // transaction, so a failing one leaves nothing half-applied.
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(&self.pool)
            .await?;
        let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(&self.pool)
            .await?;
        for &(version, sql) in migrations(Backend::Sqlite) {
            if done.contains(&version) {
                continue;
            }
            let script = format!(
                "BEGIN;\n{sql}\nINSERT INTO schema_migrations (version, applied_at) VALUES ({version}, datetime('now'));\nCOMMIT;"
            );
            if let Err(e) = sqlx::raw_sql(&script).execute(&self.pool).await {
                // The connection that ran it may hold the aborted transaction: drop them all.
                self.pool.close().await;
                return Err(e.into());
            }
        }
        let path = self.path.clone();
        blocking(move || {
            ensure_audit(&path)?;
            // A bulk load that stopped before its end leaves indexes missing: build them.
            build_indexes(&path).map(drop)
        })
        .await
    }

    async fn begin_bulk(&self) -> Result<Vec<String>> {
        let path = self.path.clone();
        blocking(move || {
            let conn = rusqlite::Connection::open(&path)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            let mut tables: Vec<&str> = BULK_INDEXES.iter().map(|i| i.0).collect();
            tables.dedup();
            let mut empty = Vec::new();
            for table in tables {
                let none: bool = conn.query_row(
                    &format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"),
                    [],
                    |r| r.get(0),
                )?;
                if !none {
                    continue;
                }
                for &(_, name, _) in BULK_INDEXES.iter().filter(|i| i.0 == table) {
                    conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
                }
                empty.push(table.to_owned());
            }
            Ok(empty)
        })
        .await
    }

    async fn end_bulk(&self) -> Result<Vec<(String, f64)>> {
        let path = self.path.clone();
        blocking(move || build_indexes(&path)).await
    }

    async fn load_regions(&self, regions: &dtsen_core::RegionTable) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let rows = crate::region_rows(regions);
        for chunk in rows.chunks(chunk(5)) {
            let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR REPLACE INTO regions (code, level, name, parent, kode_provinsi) ",
            );
            b.push_values(chunk, |mut s, r| {
                s.push_bind(&r.0)
                    .push_bind(r.1)
                    .push_bind(&r.2)
                    .push_bind(&r.3)
                    .push_bind(&r.4);
            });
            b.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    async fn bulk_persons(&self, rows: &[PersonRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO persons (kode_provinsi, id, nik, nik_raw, name, name_std, birth_date, sex, death_date, kode_desa) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rows,
            bind_person,
        )
    }

    async fn bulk_families(&self, rows: &[FamilyRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO families (kode_provinsi, id, kk, kode_desa, address, rt, rw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rows,
            bind_family,
        )
    }

    async fn bulk_memberships(&self, rows: &[MembershipRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO memberships (kode_provinsi, family_id, person_id, relationship, valid_from, valid_to) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rows,
            |st, r| {
                st.execute(rusqlite::params![r.kode_provinsi, r.family_id, r.person_id, r.relationship, r.valid_from, r.valid_to])
            },
        )
    }

    async fn bulk_field_values(&self, rows: &[FieldValueRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO field_values (kode_provinsi, entity, entity_id, field, value, source_id, source_record, observed_on) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rows,
            |st, r| {
                st.execute(rusqlite::params![
                    r.kode_provinsi,
                    r.entity.to_string(),
                    r.entity_id,
                    r.field,
                    r.value,
                    r.source_id,
                    r.source_record,
                    r.observed_on
                ])
            },
        )
    }

    async fn field_values(
        &self,
        kode_provinsi: &str,
        entity: char,
        entity_id: i64,
    ) -> Result<Vec<FieldValueRow>> {
        let rows = sqlx::query(&q(
            "SELECT * FROM field_values WHERE kode_provinsi = $1 AND entity = $2 AND entity_id = $3 ORDER BY field, source_id, source_record",
        ))
        .bind(kode_provinsi)
        .bind(entity.to_string())
        .bind(entity_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(field_value).collect())
    }

    async fn bulk_kk_history(&self, rows: &[KkHistoryRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO kk_history (kode_provinsi, family_id, kk, valid_from, valid_to, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rows,
            |st, r| st.execute(rusqlite::params![r.kode_provinsi, r.family_id, r.kk, r.valid_from, r.valid_to, r.reason]),
        )
    }

    async fn kk_history(&self, kk: &str) -> Result<Vec<KkHistoryRow>> {
        let rows = sqlx::query(&q(
            "SELECT * FROM kk_history WHERE kk = $1 ORDER BY kode_provinsi, family_id, valid_from",
        ))
        .bind(kk)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(kk_row).collect())
    }

    async fn record_ingest_run(
        &self,
        source_id: i16,
        file: &str,
        read: i64,
        accepted: i64,
        rejected: i64,
        report: &str,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(&q(
            "INSERT INTO ingest_runs (source_id, file, started_at, read, accepted, rejected, report) \
             VALUES ($1, $2, datetime('now'), $3, $4, $5, $6) RETURNING id",
        ))
        .bind(source_id)
        .bind(file)
        .bind(read)
        .bind(accepted)
        .bind(rejected)
        .bind(report)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    async fn create_snapshot(&self, id: &str, model_version: Option<&str>) -> Result<()> {
        sqlx::query(&q("INSERT INTO snapshots (id, status, created_at, model_version) VALUES ($1, 'draft', datetime('now'), $2)"))
            .bind(id)
            .bind(model_version)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_snapshot_families(&self, id: &str, rows: &[SnapshotFamilyRow]) -> Result<u64> {
        self.ensure_draft(id).await?;
        self.bulk(
            "INSERT INTO snapshot_families (snapshot_id, kode_provinsi, family_id, kk, kode_desa, members, score, \
             rank_national, desil_nasional, desil_provinsi, desil_kabupaten_kota, status_kelengkapan, attrs) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            rows,
            |st, r| {
                st.execute(rusqlite::params![
                    id,
                    r.kode_provinsi,
                    r.family_id,
                    r.kk,
                    r.kode_desa,
                    r.members,
                    r.score,
                    r.rank_national,
                    r.desil_nasional,
                    r.desil_provinsi,
                    r.desil_kabupaten_kota,
                    r.status_kelengkapan,
                    r.attrs
                ])
            },
        )
        .map_err(|e| crate::refused(e, id))
    }

    async fn add_snapshot_members(&self, id: &str, rows: &[SnapshotMemberRow]) -> Result<u64> {
        self.ensure_draft(id).await?;
        self.bulk(
            "INSERT INTO snapshot_members (snapshot_id, kode_provinsi, family_id, person_id, nik, relationship, status_padan, alive, attrs) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rows,
            |st, r| {
                st.execute(rusqlite::params![
                    id,
                    r.kode_provinsi,
                    r.family_id,
                    r.person_id,
                    r.nik,
                    r.relationship,
                    r.status_padan,
                    r.alive,
                    r.attrs
                ])
            },
        )
        .map_err(|e| crate::refused(e, id))
    }

    async fn publish_snapshot(&self, id: &str) -> Result<()> {
        self.ensure_draft(id).await?;
        let mut tx = self.pool.begin().await?;
        // The dashboard figures per village, fixed with the snapshot.
        sqlx::query(&q(
            "INSERT INTO snapshot_village_stats (snapshot_id, kode_provinsi, kode_desa, desil_nasional, families, persons, incomplete) \
             SELECT snapshot_id, kode_provinsi, kode_desa, COALESCE(desil_nasional, 0), COUNT(*), SUM(members), \
             SUM(CASE WHEN status_kelengkapan = 'lengkap' THEN 0 ELSE 1 END) \
             FROM snapshot_families WHERE snapshot_id = $1 GROUP BY snapshot_id, kode_provinsi, kode_desa, COALESCE(desil_nasional, 0)",
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&q(
            "INSERT INTO snapshot_village_registered (snapshot_id, kode_provinsi, kode_desa, registered) \
             SELECT $1, kode_provinsi, kode_desa, COUNT(*) FROM persons \
             WHERE death_date IS NULL AND kode_desa IS NOT NULL GROUP BY kode_provinsi, kode_desa",
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&q("UPDATE snapshots SET status = 'published', published_at = datetime('now') WHERE id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| published_error(e, id))?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_decile(
        &self,
        id: &str,
        kode_provinsi: &str,
        family_id: i64,
        desil: i16,
    ) -> Result<()> {
        sqlx::query(&q(
            "UPDATE snapshot_families SET desil_nasional = $1 WHERE snapshot_id = $2 AND kode_provinsi = $3 AND family_id = $4",
        ))
        .bind(desil)
        .bind(id)
        .bind(kode_provinsi)
        .bind(family_id)
        .execute(&self.pool)
        .await
        .map_err(|e| published_error(e, id))?;
        Ok(())
    }

    async fn person_by_nik(&self, nik: dtsen_core::Nik) -> Result<Option<PersonRow>> {
        let r = sqlx::query(&q("SELECT * FROM persons WHERE nik = $1"))
            .bind(crate::nik_value(Some(nik)))
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.as_ref().map(person))
    }

    async fn families_by_kk(&self, kk: &str) -> Result<Vec<FamilyRow>> {
        let rows = sqlx::query(&q(
            "SELECT * FROM families WHERE kk = $1 ORDER BY kode_provinsi, id",
        ))
        .bind(kk)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(family).collect())
    }

    async fn search_name(
        &self,
        region: dtsen_core::RegionCode,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<PersonRow>> {
        let (lo, hi) = village_range(region);
        let prov = format!("{:02}", region.parts()[0]);
        let upper = format!("{prefix}\u{10FFFF}");
        let rows = sqlx::query(&q(
            "SELECT * FROM persons WHERE kode_provinsi = $1 AND kode_desa >= $2 AND kode_desa < $3 \
             AND name_std >= $4 AND name_std < $5 ORDER BY name_std, id LIMIT $6",
        ))
        .bind(prov)
        .bind(lo)
        .bind(hi)
        .bind(prefix)
        .bind(upper)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(person).collect())
    }

    async fn family_in_snapshot(
        &self,
        id: &str,
        kode_provinsi: &str,
        family_id: i64,
    ) -> Result<Option<(SnapshotFamilyRow, Vec<SnapshotMemberRow>)>> {
        let f = sqlx::query(&q(
            "SELECT * FROM snapshot_families WHERE snapshot_id = $1 AND kode_provinsi = $2 AND family_id = $3",
        ))
        .bind(id)
        .bind(kode_provinsi)
        .bind(family_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(f) = f else { return Ok(None) };
        let members = sqlx::query(&q(
            "SELECT * FROM snapshot_members WHERE snapshot_id = $1 AND kode_provinsi = $2 AND family_id = $3 \
             ORDER BY relationship, person_id",
        ))
        .bind(id)
        .bind(kode_provinsi)
        .bind(family_id)
        .fetch_all(&self.pool)
        .await?;
        let fam = snapshot_family(&f);
        let members = members.iter().map(snapshot_member).collect();
        Ok(Some((fam, members)))
    }

    async fn members_on(
        &self,
        kode_provinsi: &str,
        family_id: i64,
        date: &str,
    ) -> Result<Vec<MembershipRow>> {
        let rows = sqlx::query(&q(
            "SELECT * FROM memberships WHERE kode_provinsi = $1 AND family_id = $2 AND valid_from <= $3 \
             AND (valid_to IS NULL OR valid_to >= $3) ORDER BY relationship, person_id",
        ))
        .bind(kode_provinsi)
        .bind(family_id)
        .bind(date)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(membership).collect())
    }

    async fn delete_draft(&self, id: &str) -> Result<()> {
        self.ensure_draft(id).await?;
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM snapshot_members WHERE snapshot_id = $1",
            "DELETE FROM snapshot_families WHERE snapshot_id = $1",
            "DELETE FROM snapshot_reports WHERE snapshot_id = $1",
            "DELETE FROM field_values WHERE source_record LIKE $1 || ':%'",
            "DELETE FROM snapshots WHERE id = $1 AND status = 'draft'",
        ] {
            sqlx::query(&q(sql))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| published_error(e, id))?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_rankings(
        &self,
        id: &str,
        model_version: &str,
        rows: &[RankingRow],
    ) -> Result<u64> {
        self.ensure_draft(id).await?;
        sqlx::query(&q("UPDATE snapshots SET model_version = $1 WHERE id = $2"))
            .bind(model_version)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| published_error(e, id))?;
        self.bulk(
            "UPDATE snapshot_families SET score = ?1, rank_national = ?2, desil_nasional = ?3, desil_provinsi = ?4, \
             desil_kabupaten_kota = ?5 WHERE snapshot_id = ?6 AND kode_provinsi = ?7 AND family_id = ?8",
            rows,
            |st, r| {
                st.execute(rusqlite::params![
                    r.score,
                    r.rank_national,
                    r.desil_nasional,
                    r.desil_provinsi,
                    r.desil_kabupaten_kota,
                    id,
                    r.kode_provinsi,
                    r.family_id
                ])
            },
        )
        .map_err(|e| crate::refused(e, id))
    }

    async fn snapshot_model(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>(&q(
            "SELECT model_version FROM snapshots WHERE id = $1",
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    async fn registry_ids(&self) -> Result<RegistryIds> {
        let persons: Vec<(i64, i64)> =
            sqlx::query_as("SELECT nik, id FROM persons WHERE nik IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        let families: Vec<(String, i64)> =
            sqlx::query_as("SELECT kk, id FROM families WHERE kk IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        let (max_person,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM persons")
            .fetch_one(&self.pool)
            .await?;
        let (max_family,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM families")
            .fetch_one(&self.pool)
            .await?;
        Ok(RegistryIds {
            persons: persons
                .into_iter()
                .filter_map(|(n, id)| crate::nik_of(Some(n)).map(|n| (n, id)))
                .collect(),
            families,
            max_person,
            max_family,
        })
    }

    async fn upsert_persons(&self, rows: &[PersonRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO persons (kode_provinsi, id, nik, nik_raw, name, name_std, birth_date, sex, death_date, kode_desa) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (kode_provinsi, id) DO UPDATE SET nik = excluded.nik, nik_raw = excluded.nik_raw, \
             name = excluded.name, name_std = excluded.name_std, birth_date = excluded.birth_date, sex = excluded.sex, \
             death_date = excluded.death_date, kode_desa = excluded.kode_desa",
            rows,
            bind_person,
        )
    }

    async fn upsert_families(&self, rows: &[FamilyRow]) -> Result<u64> {
        self.bulk(
            "INSERT INTO families (kode_provinsi, id, kk, kode_desa, address, rt, rw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (kode_provinsi, id) DO UPDATE SET kk = excluded.kk, kode_desa = excluded.kode_desa, \
             address = excluded.address, rt = excluded.rt, rw = excluded.rw",
            rows,
            bind_family,
        )
    }

    async fn open_memberships(&self) -> Result<Vec<MembershipRow>> {
        let rows = sqlx::query("SELECT * FROM memberships WHERE valid_to IS NULL")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(membership).collect())
    }

    async fn end_memberships(&self, rows: &[(String, i64, i64)], valid_to: &str) -> Result<u64> {
        self.bulk(
            "UPDATE memberships SET valid_to = ?1 WHERE kode_provinsi = ?2 AND family_id = ?3 AND person_id = ?4 \
             AND valid_to IS NULL",
            rows,
            |st, r| st.execute(rusqlite::params![valid_to, r.0, r.1, r.2]),
        )
    }

    async fn save_snapshot_report(&self, id: &str, report: &str) -> Result<()> {
        self.ensure_draft(id).await?;
        sqlx::query(&q(
            "INSERT INTO snapshot_reports (snapshot_id, report) VALUES ($1, $2) \
             ON CONFLICT (snapshot_id) DO UPDATE SET report = excluded.report",
        ))
        .bind(id)
        .bind(report)
        .execute(&self.pool)
        .await
        .map_err(|e| crate::published_error(e, id))?;
        Ok(())
    }

    async fn snapshot_report(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(&q(
            "SELECT report FROM snapshot_reports WHERE snapshot_id = $1",
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn snapshot_status(&self, id: &str) -> Result<Option<String>> {
        self.status(id).await
    }

    async fn snapshot_families(&self, id: &str) -> Result<Vec<SnapshotFamilyRow>> {
        let rows = sqlx::query(&q(
            "SELECT * FROM snapshot_families WHERE snapshot_id = $1 ORDER BY kode_provinsi, family_id",
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(snapshot_family).collect())
    }

    async fn snapshot_members(&self, id: &str) -> Result<Vec<SnapshotMemberRow>> {
        let rows = sqlx::query(&q(
            "SELECT * FROM snapshot_members WHERE snapshot_id = $1 ORDER BY kode_provinsi, family_id, person_id",
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(snapshot_member).collect())
    }

    async fn snapshot_families_page(
        &self,
        id: &str,
        after: (&str, i64),
        limit: i64,
    ) -> Result<Vec<SnapshotFamilyRow>> {
        let rows = sqlx::query(&q(crate::SNAPSHOT_FAMILIES_PAGE))
            .bind(id)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(snapshot_family).collect())
    }

    async fn snapshot_members_between(
        &self,
        id: &str,
        kode_provinsi: &str,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<SnapshotMemberRow>> {
        let rows = sqlx::query(&q(crate::SNAPSHOT_MEMBERS_BETWEEN))
            .bind(id)
            .bind(kode_provinsi)
            .bind(lo)
            .bind(hi)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(snapshot_member).collect())
    }

    async fn region_aggregate(
        &self,
        id: &str,
        region: dtsen_core::RegionCode,
    ) -> Result<RegionAggregate> {
        if self.status(id).await?.as_deref() == Some("published") {
            let (lo, hi) = village_range(region);
            let prov = format!("{:02}", region.parts()[0]);
            let mut agg = RegionAggregate::default();
            let rows = sqlx::query(&q(
                "SELECT desil_nasional, SUM(families) AS families, SUM(persons) AS persons, SUM(incomplete) AS incomplete \
                 FROM snapshot_village_stats WHERE snapshot_id = $1 AND kode_provinsi = $2 AND kode_desa >= $3 AND kode_desa < $4 \
                 GROUP BY desil_nasional",
            ))
            .bind(id)
            .bind(&prov)
            .bind(&lo)
            .bind(&hi)
            .fetch_all(&self.pool)
            .await?;
            for r in rows {
                let persons: i64 = r.try_get("persons").unwrap_or(0);
                agg.families += r.try_get::<i64, _>("families").unwrap_or(0);
                agg.persons += persons;
                agg.incomplete += r.try_get::<i64, _>("incomplete").unwrap_or(0);
                let d: i64 = r
                    .try_get::<i64, _>("desil_nasional")
                    .or_else(|_| r.try_get::<i16, _>("desil_nasional").map(i64::from))
                    .unwrap_or(0);
                if (1..=10).contains(&d) {
                    agg.persons_by_decile[(d - 1) as usize] += persons;
                }
            }
            agg.registered = sqlx::query_scalar::<_, Option<i64>>(&q(
                "SELECT SUM(registered) FROM snapshot_village_registered WHERE snapshot_id = $1 AND kode_provinsi = $2 \
                 AND kode_desa >= $3 AND kode_desa < $4",
            ))
            .bind(id)
            .bind(&prov)
            .bind(&lo)
            .bind(&hi)
            .fetch_one(&self.pool)
            .await?
            .unwrap_or(0);
            return Ok(agg);
        }
        // A draft: computed from its rows.
        let (lo, hi) = village_range(region);
        let prov = format!("{:02}", region.parts()[0]);
        let mut agg = RegionAggregate::default();
        let rows = sqlx::query(&q(
            "SELECT desil_nasional, COUNT(*) AS families, SUM(members) AS persons, \
             SUM(CASE WHEN status_kelengkapan = 'lengkap' THEN 0 ELSE 1 END) AS incomplete \
             FROM snapshot_families WHERE snapshot_id = $1 AND kode_provinsi = $2 AND kode_desa >= $3 AND kode_desa < $4 \
             GROUP BY desil_nasional",
        ))
        .bind(id)
        .bind(&prov)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let families: i64 = r.get("families");
            let persons: i64 = r.try_get("persons").unwrap_or(0);
            agg.families += families;
            agg.persons += persons;
            agg.incomplete += r.try_get::<i64, _>("incomplete").unwrap_or(0);
            if let Some(d) = r.get::<Option<i16>, _>("desil_nasional") {
                if (1..=10).contains(&d) {
                    agg.persons_by_decile[(d - 1) as usize] += persons;
                }
            }
        }
        agg.registered = sqlx::query_scalar(&q(
            "SELECT COUNT(*) FROM persons WHERE kode_provinsi = $1 AND kode_desa >= $2 AND kode_desa < $3 AND death_date IS NULL",
        ))
        .bind(&prov)
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        Ok(agg)
    }
}

/// A consistent copy of the database while it may be serving (`VACUUM INTO` runs inside one
/// read transaction, so writers in WAL mode are not blocked and the copy is a snapshot).
pub(crate) async fn backup(from: &str, to: &std::path::Path) -> Result<()> {
    let store = SqliteStore::open(from).await?;
    if to.exists() {
        std::fs::remove_file(to).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
    }
    sqlx::query("VACUUM INTO ?1")
        .bind(to.to_string_lossy().into_owned())
        .execute(&store.pool)
        .await?;
    // The access log, from its own file, beside the backup.
    let (from, to_audit) = (store.path.clone(), audit_path(&to.to_string_lossy()));
    blocking(move || {
        if std::path::Path::new(&to_audit).exists() {
            std::fs::remove_file(&to_audit).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        }
        let c = open_audit(&from)?;
        c.execute("VACUUM INTO ?1", [to_audit])?;
        Ok(())
    })
    .await
}
