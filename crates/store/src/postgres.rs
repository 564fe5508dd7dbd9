//! The server backend: PostgreSQL, bulk loads through COPY.

use crate::{
    migrations, published_error, village_range, Backend, FamilyRow, FieldValueRow, KkHistoryRow,
    MembershipRow, PersonRow, RankingRow, RegionAggregate, RegistryIds, Result, SnapshotFamilyRow,
    SnapshotMemberRow, Store, StoreError,
};
use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

pub(crate) struct PgStore {
    pool: PgPool,
}

/// What the two index-building lanes share: the builds still to do and the first failure.
struct IndexQueue {
    todo: std::sync::Mutex<std::vec::IntoIter<&'static BulkIndex>>,
    failed: std::sync::Mutex<Option<StoreError>>,
}

/// One index (or primary key) in its own transaction, with a sort budget that ends with
/// it; a failure rolls the transaction back when it is dropped.
async fn build_index(pool: &PgPool, ddl: &str) -> std::result::Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for sql in [
        "SET LOCAL maintenance_work_mem = '512MB'",
        "SET LOCAL max_parallel_maintenance_workers = 0",
        ddl,
    ] {
        sqlx::query(sql).persistent(false).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Nothing panics while holding the queue's locks: a poisoned one still holds valid data.
fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes builds from the shared queue until it is empty or a build has failed (the first
/// failure is kept). Returns the seconds of each build, by table.
async fn index_lane(pool: PgPool, queue: std::sync::Arc<IndexQueue>) -> Vec<(&'static str, f64)> {
    let mut done = Vec::new();
    loop {
        if locked(&queue.failed).is_some() {
            return done;
        }
        let next = locked(&queue.todo).next();
        let Some(&(table, name, _, ddl)) = next else {
            return done;
        };
        let t = std::time::Instant::now();
        if let Err(cause) = build_index(&pool, ddl).await {
            locked(&queue.failed).get_or_insert(StoreError::Index {
                table: table.to_owned(),
                index: name.to_owned(),
                cause: cause.to_string(),
            });
            return done;
        }
        done.push((table, t.elapsed().as_secs_f64()));
    }
}

impl PgStore {
    /// A NIK or KK search: one key, sorted hits.
    async fn find(
        &self,
        sql: &str,
        snapshot: &str,
        key: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        let rows = sqlx::query(sql)
            .bind(snapshot)
            .bind(key)
            .bind(&range.lo)
            .bind(&range.hi)
            .fetch_all(&self.pool)
            .await?;
        let mut hits: Vec<crate::SearchHit> = rows.iter().map(search_hit).collect();
        crate::web::sort_hits(&mut hits);
        Ok(hits)
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

    pub(crate) async fn open(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        Ok(PgStore { pool })
    }

    async fn copy_persons(&self, rows: &[PersonRow]) -> Result<u64> {
        self.copy(
            "COPY persons (kode_provinsi, id, nik, nik_raw, name, name_std, birth_date, sex, death_date, kode_desa) \
             FROM STDIN WITH (FORMAT binary)",
            persons_binary(rows),
        )
        .await
    }

    async fn copy_families(&self, rows: &[FamilyRow]) -> Result<u64> {
        self.copy(
            "COPY families (kode_provinsi, id, kk, kode_desa, address, rt, rw) FROM STDIN",
            families_text(rows),
        )
        .await
    }

    /// Inserts or updates rows of `table` (keyed by province and id): COPY into a temporary
    /// table, then one `INSERT ... ON CONFLICT DO UPDATE`, in one transaction.
    async fn upsert(
        &self,
        table: &str,
        columns: &[&str],
        format: &str,
        data: Vec<u8>,
    ) -> Result<u64> {
        let cols = columns.join(", ");
        let set: Vec<String> = columns
            .iter()
            .filter(|c| !matches!(**c, "kode_provinsi" | "id"))
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "CREATE TEMP TABLE load_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
        ))
        .execute(&mut *tx)
        .await?;
        let mut copy = tx
            .copy_in_raw(&format!("COPY load_{table} ({cols}) FROM STDIN {format}"))
            .await?;
        for chunk in data.chunks(1 << 20) {
            copy.send(chunk).await?;
        }
        let n = copy.finish().await?;
        sqlx::query(&format!(
            "INSERT INTO {table} ({cols}) SELECT {cols} FROM load_{table} \
             ON CONFLICT (kode_provinsi, id) DO UPDATE SET {}",
            set.join(", ")
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

const PERSON_COLUMNS: [&str; 10] = [
    "kode_provinsi",
    "id",
    "nik",
    "nik_raw",
    "name",
    "name_std",
    "birth_date",
    "sex",
    "death_date",
    "kode_desa",
];
const FAMILY_COLUMNS: [&str; 7] = [
    "kode_provinsi",
    "id",
    "kk",
    "kode_desa",
    "address",
    "rt",
    "rw",
];

/// Persons in PostgreSQL's binary COPY format (the server stores them without parsing text).
fn persons_binary(rows: &[PersonRow]) -> Vec<u8> {
    let mut b = Binary::new(rows.len() * 128);
    for r in rows {
        b.row(10);
        b.text(Some(&r.kode_provinsi));
        b.int8(r.id);
        b.int8_opt(crate::nik_value(r.nik));
        b.text(r.nik_raw.as_deref());
        b.text(Some(&r.name));
        b.text(Some(&r.name_std));
        b.text(r.birth_date.as_deref());
        b.int2(r.sex);
        b.text(r.death_date.as_deref());
        b.text(r.kode_desa.as_deref());
    }
    b.finish()
}

/// Families in COPY text format.
fn families_text(rows: &[FamilyRow]) -> Vec<u8> {
    let mut data = Vec::with_capacity(rows.len() * 64);
    for r in rows {
        let id = r.id.to_string();
        fields(
            &mut data,
            &[
                Some(&r.kode_provinsi),
                Some(&id),
                r.kk.as_deref(),
                Some(&r.kode_desa),
                r.address.as_deref(),
                r.rt.as_deref(),
                r.rw.as_deref(),
            ],
        );
    }
    data
}

impl PgStore {
    /// Streams rows into a table with `COPY ... FROM STDIN` (text format).
    async fn copy(&self, sql: &str, data: Vec<u8>) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let mut copy = conn.copy_in_raw(sql).await?;
        for chunk in data.chunks(1 << 20) {
            copy.send(chunk).await?;
        }
        Ok(copy.finish().await?)
    }
}

/// The `$1` placeholders are PostgreSQL's own.
fn q(sql: &str) -> String {
    sql.to_owned()
}

/// One COPY text-format field: `\N` for NULL, backslash, tab and line breaks escaped.
fn field(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(s)
            if !s
                .bytes()
                .any(|c| matches!(c, b'\\' | b'\t' | b'\n' | b'\r')) =>
        {
            out.extend_from_slice(s.as_bytes())
        }
        Some(s) => {
            for &c in s.as_bytes() {
                match c {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

/// PostgreSQL's binary COPY format: a signature, then per row a field count and each field as
/// a length (-1 for NULL) and its bytes in network order.
struct Binary {
    buf: Vec<u8>,
}

impl Binary {
    fn new(capacity: usize) -> Binary {
        let mut buf = Vec::with_capacity(capacity + 19);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
        Binary { buf }
    }
    fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }
    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }
    fn text(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
                self.buf.extend_from_slice(s.as_bytes());
            }
            None => self.null(),
        }
    }
    fn int8(&mut self, v: i64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn int8_opt(&mut self, v: Option<i64>) {
        match v {
            Some(x) => self.int8(x),
            None => self.null(),
        }
    }
    fn int2(&mut self, v: Option<i16>) {
        match v {
            Some(x) => {
                self.buf.extend_from_slice(&2i32.to_be_bytes());
                self.buf.extend_from_slice(&x.to_be_bytes());
            }
            None => self.null(),
        }
    }
    fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

fn fields(out: &mut Vec<u8>, values: &[Option<&str>]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        field(out, *v);
    }
    out.push(b'\n');
}

crate::row_mappers!(PgRow);
/// A search hit from a row of the shared search queries.
fn search_hit(r: &PgRow) -> crate::SearchHit {
    crate::SearchHit {
        kode_provinsi: r.get("kode_provinsi"),
        family_id: r.get("family_id"),
        kk: r.get("kk"),
        kode_desa: r.get("kode_desa"),
        members: r.get("members"),
        desil_nasional: r.get("desil_nasional"),
        person_id: r.try_get("person_id").ok().flatten(),
        nik: r.try_get("nik").ok().flatten(),
        name: r.try_get("name").ok().flatten(),
    }
}

/// An access-log entry from its row.
fn audit_row(r: &PgRow) -> crate::AuditRow {
    crate::AuditRow {
        seq: r.get("seq"),
        at: r.get("at"),
        user_id: r.get("user_id"),
        username: r.get("username"),
        role: r.get("role"),
        action: r.get("action"),
        object: r.get("object"),
        region: r.get("region"),
        address: r.get("address"),
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
    }
}

crate::impl_web_store!(PgStore, PgRow, {
    async fn audit_tail(&self) -> Result<Option<(i64, String)>> {
        let r = sqlx::query(crate::web::AUDIT_TAIL)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|r| (r.get("seq"), r.get("hash"))))
    }

    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<crate::AuditRow>> {
        let rows = sqlx::query(crate::web::AUDIT_AFTER)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(audit_row).collect())
    }

    async fn audit_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<crate::AuditRow>> {
        let rows = sqlx::query(crate::web::AUDIT_BEFORE)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(audit_row).collect())
    }

    async fn audit_append(&self, rows: &[crate::AuditRow]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for a in rows {
            sqlx::query(crate::web::AUDIT_INSERT)
                .bind(a.seq)
                .bind(a.at)
                .bind(a.user_id)
                .bind(&a.username)
                .bind(&a.role)
                .bind(&a.action)
                .bind(&a.object)
                .bind(&a.region)
                .bind(&a.address)
                .bind(&a.prev_hash)
                .bind(&a.hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn find_by_number(
        &self,
        snapshot: &str,
        number: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        let mut hits = self
            .find(crate::web::FIND_BY_NIK, snapshot, number, range)
            .await?;
        hits.extend(
            self.find(crate::web::FIND_BY_KK, snapshot, number, range)
                .await?,
        );
        Ok(hits)
    }

    async fn find_by_nik(
        &self,
        snapshot: &str,
        nik: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        self.find(crate::web::FIND_BY_NIK, snapshot, nik, range)
            .await
    }

    async fn find_by_kk(
        &self,
        snapshot: &str,
        kk: &str,
        range: &crate::VillageRange,
    ) -> Result<Vec<crate::SearchHit>> {
        self.find(crate::web::FIND_BY_KK, snapshot, kk, range).await
    }

    async fn find_by_name(
        &self,
        snapshot: &str,
        prefix: &str,
        range: &crate::VillageRange,
        limit: i64,
    ) -> Result<Vec<crate::SearchHit>> {
        let sql = crate::web::find_by_name_sql(range);
        let rows = sqlx::query(sql)
            .bind(snapshot)
            .bind(prefix)
            .bind(crate::web::prefix_upper(prefix))
            .bind(&range.lo)
            .bind(&range.hi)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(search_hit).collect())
    }

    async fn family_page(
        &self,
        snapshot: &str,
        kode_provinsi: &str,
        family_id: i64,
        range: &crate::VillageRange,
    ) -> Result<Option<crate::FamilyBundle>> {
        let Some((family, members)) = self
            .family_in_range(snapshot, kode_provinsi, family_id, range)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(crate::FamilyBundle {
            family,
            members,
            field_values: self
                .family_field_values(snapshot, kode_provinsi, family_id)
                .await?,
            history: self.family_snapshots(kode_provinsi, family_id).await?,
            kk_history: self.family_kk_history(kode_provinsi, family_id).await?,
            memberships: self.family_memberships(kode_provinsi, family_id).await?,
        }))
    }
});

/// The indexes of the registry's large tables, exactly as the migrations leave them (a test
/// compares): what [`Store::begin_bulk`] may drop and [`Store::end_bulk`] builds, as
/// (table, index, is the primary key, definition). Building is idempotent: it runs for the
/// indexes that are missing. A primary key is built as its unique index (which, unlike
/// `ADD PRIMARY KEY`, lets the table's other indexes build at the same time) and becomes the
/// key once every build is done. Within a table the longest builds come first.
type BulkIndex = (&'static str, &'static str, bool, &'static str);

pub(crate) const BULK_INDEXES: &[BulkIndex] = &[
    ("persons", "persons_name_std", false, "CREATE INDEX IF NOT EXISTS persons_name_std ON persons (name_std, kode_desa)"),
    ("persons", "persons_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS persons_pkey ON persons (kode_provinsi, id)"),
    ("persons", "persons_name", false, "CREATE INDEX IF NOT EXISTS persons_name ON persons (kode_desa, name_std)"),
    ("persons", "persons_valid_nik", false, "CREATE UNIQUE INDEX IF NOT EXISTS persons_valid_nik ON persons (nik) WHERE nik IS NOT NULL"),
    ("families", "families_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS families_pkey ON families (kode_provinsi, id)"),
    ("families", "families_kk", false, "CREATE INDEX IF NOT EXISTS families_kk ON families (kk)"),
    ("families", "families_desa", false, "CREATE INDEX IF NOT EXISTS families_desa ON families (kode_desa)"),
    ("memberships", "memberships_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS memberships_pkey ON memberships (kode_provinsi, family_id, person_id, valid_from)"),
    ("memberships", "memberships_person", false, "CREATE INDEX IF NOT EXISTS memberships_person ON memberships (kode_provinsi, person_id)"),
    ("memberships", "memberships_open", false, "CREATE INDEX IF NOT EXISTS memberships_open ON memberships (kode_provinsi, family_id) WHERE valid_to IS NULL"),
    ("kk_history", "kk_history_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS kk_history_pkey ON kk_history (kode_provinsi, family_id, valid_from)"),
    ("kk_history", "kk_history_kk", false, "CREATE INDEX IF NOT EXISTS kk_history_kk ON kk_history (kk)"),
    ("field_values", "field_values_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS field_values_pkey ON field_values (kode_provinsi, entity, entity_id, field, source_id, source_record)"),
    ("snapshot_families", "snapshot_families_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS snapshot_families_pkey ON snapshot_families (snapshot_id, kode_provinsi, family_id)"),
    ("snapshot_families", "snapshot_families_desa", false, "CREATE INDEX IF NOT EXISTS snapshot_families_desa ON snapshot_families (snapshot_id, kode_provinsi, kode_desa)"),
    ("snapshot_families", "snapshot_families_kk", false, "CREATE INDEX IF NOT EXISTS snapshot_families_kk ON snapshot_families (snapshot_id, kk)"),
    ("snapshot_families", "snapshot_families_family", false, "CREATE INDEX IF NOT EXISTS snapshot_families_family ON snapshot_families (kode_provinsi, family_id)"),
    ("snapshot_members", "snapshot_members_pkey", true, "CREATE UNIQUE INDEX IF NOT EXISTS snapshot_members_pkey ON snapshot_members (snapshot_id, kode_provinsi, family_id, person_id)"),
    ("snapshot_members", "snapshot_members_nik", false, "CREATE INDEX IF NOT EXISTS snapshot_members_nik ON snapshot_members (snapshot_id, nik)"),
    ("snapshot_members", "snapshot_members_person", false, "CREATE INDEX IF NOT EXISTS snapshot_members_person ON snapshot_members (snapshot_id, kode_provinsi, person_id)"),
];

impl PgStore {
    /// Builds the indexes of [`BULK_INDEXES`] that are missing, two at a time, each in one
    /// process with 512 MB to sort in (on two cores, measured faster than one at a time with
    /// PostgreSQL's parallel workers), then attaches the primary keys built as unique indexes.
    /// Returns the seconds of building per table (summed over its indexes: with two at a time
    /// they add up to more than the wall time).
    async fn build_indexes(&self) -> Result<Vec<(String, f64)>> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()",
        )
        .fetch_all(&self.pool)
        .await?;
        let todo: Vec<&BulkIndex> = BULK_INDEXES
            .iter()
            .filter(|i| !names.iter().any(|n| n == i.1))
            .collect();
        // The first failure stops both lanes from taking more work, and it is the one
        // reported: the other lane's build in flight finishes or fails on its own.
        let queue = std::sync::Arc::new(IndexQueue {
            todo: std::sync::Mutex::new(todo.into_iter()),
            failed: std::sync::Mutex::new(None),
        });
        let a = tokio::spawn(index_lane(self.pool.clone(), queue.clone()));
        let b = tokio::spawn(index_lane(self.pool.clone(), queue.clone()));
        let (a, b) = (
            a.await.map_err(|e| StoreError::Task(e.to_string()))?,
            b.await.map_err(|e| StoreError::Task(e.to_string()))?,
        );
        let failure = locked(&queue.failed).take();
        if let Some(e) = failure {
            return Err(e);
        }
        // The unique indexes built for primary keys become the keys (a catalogue change: the
        // columns are NOT NULL already, nothing is scanned).
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT conname::text FROM pg_constraint WHERE contype = 'p' \
             AND connamespace = current_schema()::regnamespace",
        )
        .fetch_all(&self.pool)
        .await?;
        for &(table, name, _, _) in BULK_INDEXES.iter().filter(|i| i.2) {
            if keys.iter().any(|k| k == name) {
                continue;
            }
            let sql =
                format!("ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name}");
            if let Err(cause) = sqlx::raw_sql(&sql).execute(&self.pool).await {
                return Err(StoreError::Index {
                    table: table.to_owned(),
                    index: name.to_owned(),
                    cause: cause.to_string(),
                });
            }
        }
        let mut spent: Vec<(String, f64)> = Vec::new();
        for (table, secs) in a.into_iter().chain(b) {
            crate::charge(&mut spent, table, secs);
        }
        Ok(spent)
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<()> {
        // Run on the pool: a migration is one script that opens and commits its own
        // transaction, so a failing one leaves nothing half-applied.
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(&self.pool)
            .await?;
        let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(&self.pool)
            .await?;
        for &(version, sql) in migrations(Backend::Postgres) {
            if done.contains(&version) {
                continue;
            }
            let script = format!(
                "BEGIN;\n{sql}\nINSERT INTO schema_migrations (version, applied_at) VALUES ({version}, now()::text);\nCOMMIT;"
            );
            if let Err(e) = sqlx::raw_sql(&script).execute(&self.pool).await {
                // The connection that ran it may hold the aborted transaction: drop them all.
                self.pool.close().await;
                return Err(e.into());
            }
        }
        // A bulk load that stopped before its end leaves indexes missing: build them.
        self.build_indexes().await?;
        Ok(())
    }

    async fn begin_bulk(&self) -> Result<Vec<String>> {
        let mut tables: Vec<&str> = BULK_INDEXES.iter().map(|i| i.0).collect();
        tables.dedup();
        let mut empty = Vec::new();
        for table in &tables {
            let none: bool =
                sqlx::query_scalar(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"))
                    .fetch_one(&self.pool)
                    .await?;
            if none {
                empty.push(table.to_string());
            }
        }
        // Primary keys go only in a new registry (every table empty): then nothing loaded can
        // collide with a row already there and no upsert runs before they are back.
        let new_registry = empty.len() == tables.len();
        for &(table, name, primary, _) in BULK_INDEXES {
            if !empty.iter().any(|t| t == table) {
                continue;
            }
            let sql = if primary {
                if !new_registry {
                    continue;
                }
                // A load stopped before its key was attached leaves the bare index.
                format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}; DROP INDEX IF EXISTS {name}")
            } else {
                format!("DROP INDEX IF EXISTS {name}")
            };
            sqlx::raw_sql(&sql).execute(&self.pool).await?;
        }
        Ok(empty)
    }

    async fn end_bulk(&self) -> Result<Vec<(String, f64)>> {
        self.build_indexes().await
    }

    async fn load_regions(&self, regions: &dtsen_core::RegionTable) -> Result<u64> {
        let rows = crate::region_rows(regions);
        let mut data = Vec::with_capacity(rows.len() * 48);
        for r in &rows {
            let level = r.1.to_string();
            fields(
                &mut data,
                &[
                    Some(&r.0),
                    Some(&level),
                    Some(&r.2),
                    r.3.as_deref(),
                    Some(&r.4),
                ],
            );
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM regions").execute(&mut *tx).await?;
        tx.commit().await?;
        self.copy(
            "COPY regions (code, level, name, parent, kode_provinsi) FROM STDIN",
            data,
        )
        .await
    }

    async fn bulk_persons(&self, rows: &[PersonRow]) -> Result<u64> {
        // Two COPY streams at once: the server's index maintenance is the bottleneck, and it
        // runs one process per connection.
        let half = rows.len().div_ceil(2);
        if rows.len() >= 20_000 {
            let (a, b) = rows.split_at(half);
            let (x, y) = tokio::try_join!(self.copy_persons(a), self.copy_persons(b))?;
            return Ok(x + y);
        }
        self.copy_persons(rows).await
    }

    async fn bulk_families(&self, rows: &[FamilyRow]) -> Result<u64> {
        self.copy_families(rows).await
    }

    async fn bulk_memberships(&self, rows: &[MembershipRow]) -> Result<u64> {
        let mut data = Vec::with_capacity(rows.len() * 48);
        for r in rows {
            let (f, p) = (r.family_id.to_string(), r.person_id.to_string());
            let rel = r.relationship.map(|x| x.to_string());
            fields(
                &mut data,
                &[
                    Some(&r.kode_provinsi),
                    Some(&f),
                    Some(&p),
                    rel.as_deref(),
                    Some(&r.valid_from),
                    r.valid_to.as_deref(),
                ],
            );
        }
        self.copy("COPY memberships (kode_provinsi, family_id, person_id, relationship, valid_from, valid_to) FROM STDIN", data).await
    }

    async fn bulk_field_values(&self, rows: &[FieldValueRow]) -> Result<u64> {
        let mut data = Vec::with_capacity(rows.len() * 64);
        for r in rows {
            let (entity, id, source) = (
                r.entity.to_string(),
                r.entity_id.to_string(),
                r.source_id.to_string(),
            );
            fields(
                &mut data,
                &[
                    Some(&r.kode_provinsi),
                    Some(&entity),
                    Some(&id),
                    Some(&r.field),
                    r.value.as_deref(),
                    Some(&source),
                    Some(&r.source_record),
                    r.observed_on.as_deref(),
                ],
            );
        }
        self.copy(
            "COPY field_values (kode_provinsi, entity, entity_id, field, value, source_id, source_record, observed_on) FROM STDIN",
            data,
        )
        .await
    }

    async fn field_values(
        &self,
        kode_provinsi: &str,
        entity: char,
        entity_id: i64,
    ) -> Result<Vec<FieldValueRow>> {
        let rows = sqlx::query(
            "SELECT * FROM field_values WHERE kode_provinsi = $1 AND entity = $2 AND entity_id = $3 ORDER BY field, source_id, source_record",
        )
        .bind(kode_provinsi)
        .bind(entity.to_string())
        .bind(entity_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(field_value).collect())
    }

    async fn bulk_kk_history(&self, rows: &[KkHistoryRow]) -> Result<u64> {
        let mut data = Vec::with_capacity(rows.len() * 64);
        for r in rows {
            let id = r.family_id.to_string();
            fields(
                &mut data,
                &[
                    Some(&r.kode_provinsi),
                    Some(&id),
                    Some(&r.kk),
                    Some(&r.valid_from),
                    r.valid_to.as_deref(),
                    Some(&r.reason),
                ],
            );
        }
        self.copy("COPY kk_history (kode_provinsi, family_id, kk, valid_from, valid_to, reason) FROM STDIN", data).await
    }

    async fn kk_history(&self, kk: &str) -> Result<Vec<KkHistoryRow>> {
        let rows = sqlx::query(
            "SELECT * FROM kk_history WHERE kk = $1 ORDER BY kode_provinsi, family_id, valid_from",
        )
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
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ingest_runs (source_id, file, started_at, read, accepted, rejected, report) \
             VALUES ($1, $2, now()::text, $3, $4, $5, $6) RETURNING id",
        )
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
        sqlx::query(&q("INSERT INTO snapshots (id, status, created_at, model_version) VALUES ($1, 'draft', now()::text, $2)"))
            .bind(id)
            .bind(model_version)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_snapshot_families(&self, id: &str, rows: &[SnapshotFamilyRow]) -> Result<u64> {
        self.ensure_draft(id).await?;
        let mut data = Vec::with_capacity(rows.len() * 80);
        for r in rows {
            let n = |v: Option<i64>| v.map(|x| x.to_string());
            let (fid, members) = (r.family_id.to_string(), r.members.to_string());
            let score = r.score.map(|s| s.to_string());
            let (rank, d1, d2, d3) = (
                n(r.rank_national),
                n(r.desil_nasional.map(i64::from)),
                n(r.desil_provinsi.map(i64::from)),
                n(r.desil_kabupaten_kota.map(i64::from)),
            );
            fields(
                &mut data,
                &[
                    Some(id),
                    Some(&r.kode_provinsi),
                    Some(&fid),
                    r.kk.as_deref(),
                    Some(&r.kode_desa),
                    Some(&members),
                    score.as_deref(),
                    rank.as_deref(),
                    d1.as_deref(),
                    d2.as_deref(),
                    d3.as_deref(),
                    r.status_kelengkapan.as_deref(),
                    r.attrs.as_deref(),
                ],
            );
        }
        self.copy(
            "COPY snapshot_families (snapshot_id, kode_provinsi, family_id, kk, kode_desa, members, score, rank_national, \
             desil_nasional, desil_provinsi, desil_kabupaten_kota, status_kelengkapan, attrs) FROM STDIN",
            data,
        )
        .await
        .map_err(|e| crate::refused(e, id))
    }

    async fn add_snapshot_members(&self, id: &str, rows: &[SnapshotMemberRow]) -> Result<u64> {
        self.ensure_draft(id).await?;
        let mut data = Vec::with_capacity(rows.len() * 64);
        for r in rows {
            let (f, p) = (r.family_id.to_string(), r.person_id.to_string());
            let rel = r.relationship.map(|x| x.to_string());
            fields(
                &mut data,
                &[
                    Some(id),
                    Some(&r.kode_provinsi),
                    Some(&f),
                    Some(&p),
                    r.nik.as_deref(),
                    rel.as_deref(),
                    r.status_padan.as_deref(),
                    Some(if r.alive { "t" } else { "f" }),
                    r.attrs.as_deref(),
                ],
            );
        }
        self.copy(
            "COPY snapshot_members (snapshot_id, kode_provinsi, family_id, person_id, nik, relationship, status_padan, alive, attrs) FROM STDIN",
            data,
        )
        .await
        .map_err(|e| crate::refused(e, id))
    }

    async fn publish_snapshot(&self, id: &str) -> Result<()> {
        self.ensure_draft(id).await?;
        let mut tx = self.pool.begin().await?;
        // The dashboard figures per village, fixed with the snapshot.
        sqlx::query(&q(
            "INSERT INTO snapshot_village_stats (snapshot_id, kode_provinsi, kode_desa, desil_nasional, families, persons, incomplete) \
             SELECT snapshot_id, kode_provinsi, kode_desa, COALESCE(desil_nasional, 0), COUNT(*), SUM(members)::BIGINT, \
             SUM(CASE WHEN status_kelengkapan = 'lengkap' THEN 0 ELSE 1 END)::BIGINT \
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
        sqlx::query(&q(
            "UPDATE snapshots SET status = 'published', published_at = now()::text WHERE id = $1",
        ))
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
        sqlx::query("UPDATE snapshots SET model_version = $1 WHERE id = $2")
            .bind(model_version)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| published_error(e, id))?;
        let mut n = 0;
        for chunk in rows.chunks(20_000) {
            let prov: Vec<&str> = chunk.iter().map(|r| r.kode_provinsi.as_str()).collect();
            let fam: Vec<i64> = chunk.iter().map(|r| r.family_id).collect();
            let score: Vec<Option<f64>> = chunk.iter().map(|r| r.score).collect();
            let rank: Vec<Option<i64>> = chunk.iter().map(|r| r.rank_national).collect();
            let d1: Vec<Option<i16>> = chunk.iter().map(|r| r.desil_nasional).collect();
            let d2: Vec<Option<i16>> = chunk.iter().map(|r| r.desil_provinsi).collect();
            let d3: Vec<Option<i16>> = chunk.iter().map(|r| r.desil_kabupaten_kota).collect();
            n += sqlx::query(
                "UPDATE snapshot_families f SET score = u.s, rank_national = u.r, desil_nasional = u.d1, \
                 desil_provinsi = u.d2, desil_kabupaten_kota = u.d3 \
                 FROM UNNEST($2::text[], $3::bigint[], $4::float8[], $5::bigint[], $6::int2[], $7::int2[], $8::int2[]) \
                 AS u(p, f, s, r, d1, d2, d3) \
                 WHERE f.snapshot_id = $1 AND f.kode_provinsi = u.p AND f.family_id = u.f",
            )
            .bind(id)
            .bind(&prov)
            .bind(&fam)
            .bind(&score)
            .bind(&rank)
            .bind(&d1)
            .bind(&d2)
            .bind(&d3)
            .execute(&self.pool)
            .await
            .map_err(|e| published_error(e, id))?
            .rows_affected();
        }
        Ok(n)
    }

    async fn snapshot_model(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT model_version FROM snapshots WHERE id = $1",
        )
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
        let (max_person,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(id), 0)::BIGINT FROM persons")
                .fetch_one(&self.pool)
                .await?;
        let (max_family,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(id), 0)::BIGINT FROM families")
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
        self.upsert(
            "persons",
            &PERSON_COLUMNS,
            "WITH (FORMAT binary)",
            persons_binary(rows),
        )
        .await
    }

    async fn upsert_families(&self, rows: &[FamilyRow]) -> Result<u64> {
        self.upsert("families", &FAMILY_COLUMNS, "", families_text(rows))
            .await
    }

    async fn open_memberships(&self) -> Result<Vec<MembershipRow>> {
        let rows = sqlx::query("SELECT * FROM memberships WHERE valid_to IS NULL")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(membership).collect())
    }

    async fn end_memberships(&self, rows: &[(String, i64, i64)], valid_to: &str) -> Result<u64> {
        let mut n = 0;
        for chunk in rows.chunks(10_000) {
            let prov: Vec<&str> = chunk.iter().map(|r| r.0.as_str()).collect();
            let fam: Vec<i64> = chunk.iter().map(|r| r.1).collect();
            let per: Vec<i64> = chunk.iter().map(|r| r.2).collect();
            n += sqlx::query(
                "UPDATE memberships m SET valid_to = $1 FROM UNNEST($2::text[], $3::bigint[], $4::bigint[]) AS e(p, f, q) \
                 WHERE m.kode_provinsi = e.p AND m.family_id = e.f AND m.person_id = e.q AND m.valid_to IS NULL",
            )
            .bind(valid_to)
            .bind(&prov)
            .bind(&fam)
            .bind(&per)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(n)
    }

    async fn save_snapshot_report(&self, id: &str, report: &str) -> Result<()> {
        self.ensure_draft(id).await?;
        sqlx::query(
            "INSERT INTO snapshot_reports (snapshot_id, report) VALUES ($1, $2) \
             ON CONFLICT (snapshot_id) DO UPDATE SET report = excluded.report",
        )
        .bind(id)
        .bind(report)
        .execute(&self.pool)
        .await
        .map_err(|e| crate::published_error(e, id))?;
        Ok(())
    }

    async fn snapshot_report(&self, id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT report FROM snapshot_reports WHERE snapshot_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn snapshot_status(&self, id: &str) -> Result<Option<String>> {
        self.status(id).await
    }

    async fn snapshot_families(&self, id: &str) -> Result<Vec<SnapshotFamilyRow>> {
        let rows = sqlx::query(
            "SELECT * FROM snapshot_families WHERE snapshot_id = $1 ORDER BY kode_provinsi, family_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(snapshot_family).collect())
    }

    async fn snapshot_members(&self, id: &str) -> Result<Vec<SnapshotMemberRow>> {
        let rows = sqlx::query(
            "SELECT * FROM snapshot_members WHERE snapshot_id = $1 ORDER BY kode_provinsi, family_id, person_id",
        )
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
        let rows = sqlx::query(crate::SNAPSHOT_FAMILIES_PAGE)
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
        let rows = sqlx::query(crate::SNAPSHOT_MEMBERS_BETWEEN)
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
                "SELECT desil_nasional, SUM(families)::BIGINT AS families, SUM(persons)::BIGINT AS persons, SUM(incomplete)::BIGINT AS incomplete \
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
                "SELECT SUM(registered)::BIGINT FROM snapshot_village_registered WHERE snapshot_id = $1 AND kode_provinsi = $2 \
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
            "SELECT desil_nasional, COUNT(*) AS families, SUM(members)::BIGINT AS persons, \
             SUM(CASE WHEN status_kelengkapan = 'lengkap' THEN 0 ELSE 1 END)::BIGINT AS incomplete \
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
