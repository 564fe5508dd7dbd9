//! The registry database: one schema on embedded SQLite and on PostgreSQL, behind one
//! interface (`Arc<dyn Store>`), chosen from the URL (`sqlite://path`, `postgres://…`).
//!
//! Large tables carry `kode_provinsi` first in their keys so that PostgreSQL with Citus can
//! distribute them by province without a schema change (see ARCHITECTURE.md, "Store").
//! Published snapshots are immutable: the database itself refuses changes (triggers), so no
//! code path can alter what an audit or an appeal will ask about.

mod postgres;
mod sqlite;
mod web;

pub use web::{
    AuditRow, FamilyBundle, NewUser, SearchHit, SessionRow, SnapshotInfo, UserRow, VillageRange,
    WebStore,
};

use async_trait::async_trait;
use std::sync::Arc;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no known backend.
    #[error("database URL '{0}' is neither sqlite://PATH nor postgres://...")]
    Url(String),
    /// The database refused a change to a published snapshot.
    #[error("snapshot {0} is published and cannot be changed")]
    SnapshotPublished(String),
    /// A snapshot that should exist does not.
    #[error("snapshot {0} does not exist")]
    NoSnapshot(String),
    /// Anything the database reported.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything SQLite reported during a bulk load or a blocking read.
    #[error("SQLite error: {0}")]
    Bulk(#[from] rusqlite::Error),
    /// A blocking read's task failed (panicked or was cancelled).
    #[error("database reader task failed: {0}")]
    Task(String),
    /// An index could not be built after a bulk load.
    #[error("building index {index} on {table} after a bulk load failed: {cause} (for persons_valid_nik: two persons were loaded with one valid NIK; the rows are in the table, the index is not: remove the duplicate and run `dtsen migrate` to build it)")]
    Index {
        /// The table.
        table: String,
        /// The index.
        index: String,
        /// What the database said.
        cause: String,
    },
}

/// Adds `secs` to `table`'s entry of a per-table tally (index builds after a bulk load).
pub(crate) fn charge(spent: &mut Vec<(String, f64)>, table: &str, secs: f64) {
    match spent.iter_mut().find(|(t, _)| t == table) {
        Some(e) => e.1 += secs,
        None => spent.push((table.to_owned(), secs)),
    }
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Which backend a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (one file, WAL).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A person (*individu*).
#[derive(Clone, Debug, PartialEq)]
pub struct PersonRow {
    /// Province of residence (distribution key).
    pub kode_provinsi: String,
    /// Internal id, kept across snapshots.
    pub id: i64,
    /// Valid NIK (unique in the registry; stored as a number, which keeps its index cheap).
    pub nik: Option<dtsen_core::Nik>,
    /// The NIK as received when it is not valid (kept for the return to its provider).
    pub nik_raw: Option<String>,
    /// Name as registered.
    pub name: String,
    /// Standardised name (for search and matching).
    pub name_std: String,
    /// `YYYY-MM-DD`, `00` for unknown parts.
    pub birth_date: Option<String>,
    /// 1 male, 2 female.
    pub sex: Option<i16>,
    /// Date of death.
    pub death_date: Option<String>,
    /// Village of residence (10 digits).
    pub kode_desa: Option<String>,
}

/// A family (*keluarga*).
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyRow {
    /// Province (distribution key).
    pub kode_provinsi: String,
    /// Internal id.
    pub id: i64,
    /// Current KK number.
    pub kk: Option<String>,
    /// Village (10 digits).
    pub kode_desa: String,
    /// Address.
    pub address: Option<String>,
    /// RT.
    pub rt: Option<String>,
    /// RW.
    pub rw: Option<String>,
}

/// A period of membership of a person in a family.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipRow {
    /// Province (distribution key).
    pub kode_provinsi: String,
    /// Family.
    pub family_id: i64,
    /// Person.
    pub person_id: i64,
    /// SHDK relationship.
    pub relationship: Option<i16>,
    /// First day of membership.
    pub valid_from: String,
    /// Last day, `None` while still a member.
    pub valid_to: Option<String>,
}

/// A family in a snapshot, with its ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotFamilyRow {
    /// Province.
    pub kode_provinsi: String,
    /// Family.
    pub family_id: i64,
    /// KK number at the snapshot.
    pub kk: Option<String>,
    /// Village.
    pub kode_desa: String,
    /// Number of members.
    pub members: i32,
    /// Welfare score.
    pub score: Option<f64>,
    /// National rank.
    pub rank_national: Option<i64>,
    /// National decile.
    pub desil_nasional: Option<i16>,
    /// Provincial decile.
    pub desil_provinsi: Option<i16>,
    /// Regency/city decile.
    pub desil_kabupaten_kota: Option<i16>,
    /// Completeness status.
    pub status_kelengkapan: Option<String>,
    /// The family's golden record as of the snapshot (JSON: export fields, their sources, notes).
    pub attrs: Option<String>,
}

/// A member of a family in a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotMemberRow {
    /// Province.
    pub kode_provinsi: String,
    /// Family.
    pub family_id: i64,
    /// Person.
    pub person_id: i64,
    /// NIK at the snapshot.
    pub nik: Option<String>,
    /// SHDK relationship.
    pub relationship: Option<i16>,
    /// `padan` / `tidak_padan` against SIAK.
    pub status_padan: Option<String>,
    /// Alive at the snapshot.
    pub alive: bool,
    /// The member's golden record as of the snapshot (JSON: export fields, sources, flags).
    pub attrs: Option<String>,
}

/// The ranking of a family in a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct RankingRow {
    /// Province.
    pub kode_provinsi: String,
    /// Family.
    pub family_id: i64,
    /// Welfare score (`None`: not ranked).
    pub score: Option<f64>,
    /// National rank.
    pub rank_national: Option<i64>,
    /// National decile.
    pub desil_nasional: Option<i16>,
    /// Provincial decile.
    pub desil_provinsi: Option<i16>,
    /// Regency/city decile.
    pub desil_kabupaten_kota: Option<i16>,
}

/// The internal ids already given out: persons by valid NIK, families by KK number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegistryIds {
    /// (NIK, person id).
    pub persons: Vec<(dtsen_core::Nik, i64)>,
    /// (KK number, family id).
    pub families: Vec<(String, i64)>,
    /// The largest person id in use (0 when none).
    pub max_person: i64,
    /// The largest family id in use (0 when none).
    pub max_family: i64,
}

/// Source ids of the `sources` table (migration 0002): (id, key).
pub const SOURCES: [(i16, &str); 10] = [
    (1, "siak"),
    (2, "regsosek_keluarga"),
    (3, "regsosek_anggota"),
    (4, "dtks"),
    (5, "p3ke"),
    (6, "asn"),
    (7, "pln"),
    (8, "bpjs_pbi"),
    (9, "susenas"),
    (10, "update"),
];

/// The id of a source key.
pub fn source_id(key: &str) -> Option<i16> {
    SOURCES.iter().find(|(_, k)| *k == key).map(|(id, _)| *id)
}

/// One value of one field as one source gave it (provenance). Disagreements between sources
/// are kept as separate rows.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValueRow {
    /// Province (distribution key).
    pub kode_provinsi: String,
    /// `p` person, `f` family.
    pub entity: char,
    /// Person or family id.
    pub entity_id: i64,
    /// Field name (`name`, `birth_date`, `r303`, ...).
    pub field: String,
    /// The value.
    pub value: Option<String>,
    /// Source id ([`SOURCES`]).
    pub source_id: i16,
    /// The source's record key (file line, or its own id).
    pub source_record: String,
    /// When the source observed it.
    pub observed_on: Option<String>,
}

/// A KK number a family held for a period.
#[derive(Clone, Debug, PartialEq)]
pub struct KkHistoryRow {
    /// Province.
    pub kode_provinsi: String,
    /// Family.
    pub family_id: i64,
    /// The KK number.
    pub kk: String,
    /// First day.
    pub valid_from: String,
    /// Last day, `None` for the current one.
    pub valid_to: Option<String>,
    /// Why it was issued: new, split, merge, move, head_death, divorce.
    pub reason: String,
}

/// Dashboard figures for a region in a snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegionAggregate {
    /// Families in the snapshot.
    pub families: i64,
    /// Persons in the snapshot (members).
    pub persons: i64,
    /// Persons in the registry living in the region (the coverage denominator).
    pub registered: i64,
    /// Families whose completeness status is not `lengkap`.
    pub incomplete: i64,
    /// Persons per national decile 1–10.
    pub persons_by_decile: [i64; 10],
}

/// The storage interface.
#[async_trait]
pub trait Store: WebStore + Send + Sync {
    /// The backend.
    fn backend(&self) -> Backend;
    /// Applies the embedded migrations that have not run yet.
    async fn migrate(&self) -> Result<()>;
    /// Loads the official region table (reference data); returns rows written.
    async fn load_regions(&self, regions: &dtsen_core::RegionTable) -> Result<u64>;
    /// Prepares a load of many rows into the registry (the first consolidation of a new
    /// registry, a benchmark): the secondary indexes of every registry table that is still
    /// empty are dropped (on PostgreSQL, in a new registry where all of them are empty, their
    /// primary keys too), so the load appends rows and [`Store::end_bulk`] builds each index
    /// once by sorting instead of millions of random B-tree inserts. Tables that hold rows keep
    /// their indexes: nothing already in the registry loses a check. Until `end_bulk`,
    /// uniqueness (valid NIKs; ids on PostgreSQL) is checked only when the indexes are built,
    /// and only bulk loads should write. Returns the tables prepared.
    async fn begin_bulk(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Builds every secondary index [`Store::begin_bulk`] dropped (and any a crashed load left
    /// missing); returns the seconds spent per table. A unique index that cannot be built
    /// (two persons with one valid NIK) is an error naming it.
    async fn end_bulk(&self) -> Result<Vec<(String, f64)>> {
        Ok(Vec::new())
    }
    /// Bulk-loads persons.
    async fn bulk_persons(&self, rows: &[PersonRow]) -> Result<u64>;
    /// Bulk-loads families.
    async fn bulk_families(&self, rows: &[FamilyRow]) -> Result<u64>;
    /// Bulk-loads memberships.
    async fn bulk_memberships(&self, rows: &[MembershipRow]) -> Result<u64>;
    /// Bulk-loads field values with their provenance.
    async fn bulk_field_values(&self, rows: &[FieldValueRow]) -> Result<u64>;
    /// Every value of every field of a person (`p`) or family (`f`), with its source.
    async fn field_values(
        &self,
        kode_provinsi: &str,
        entity: char,
        entity_id: i64,
    ) -> Result<Vec<FieldValueRow>>;
    /// Bulk-loads KK history.
    async fn bulk_kk_history(&self, rows: &[KkHistoryRow]) -> Result<u64>;
    /// Families that ever held this KK number (a stale KK from an old source still finds them).
    async fn kk_history(&self, kk: &str) -> Result<Vec<KkHistoryRow>>;
    /// Records an ingest run; returns its id.
    async fn record_ingest_run(
        &self,
        source_id: i16,
        file: &str,
        read: i64,
        accepted: i64,
        rejected: i64,
        report: &str,
    ) -> Result<i64>;
    /// Creates a draft snapshot.
    async fn create_snapshot(&self, id: &str, model_version: Option<&str>) -> Result<()>;
    /// Adds families to a draft snapshot.
    async fn add_snapshot_families(&self, id: &str, rows: &[SnapshotFamilyRow]) -> Result<u64>;
    /// Adds members to a draft snapshot.
    async fn add_snapshot_members(&self, id: &str, rows: &[SnapshotMemberRow]) -> Result<u64>;
    /// Publishes a snapshot: from then on it cannot change.
    async fn publish_snapshot(&self, id: &str) -> Result<()>;
    /// Sets the ranking of a family in a snapshot (refused once published).
    async fn set_decile(
        &self,
        id: &str,
        kode_provinsi: &str,
        family_id: i64,
        desil: i16,
    ) -> Result<()>;
    /// The person with this valid NIK.
    async fn person_by_nik(&self, nik: dtsen_core::Nik) -> Result<Option<PersonRow>>;
    /// Families whose current KK number is this.
    async fn families_by_kk(&self, kk: &str) -> Result<Vec<FamilyRow>>;
    /// Persons in a region whose standardised name starts with `prefix`.
    async fn search_name(
        &self,
        region: dtsen_core::RegionCode,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<PersonRow>>;
    /// A family and its members as of a snapshot.
    async fn family_in_snapshot(
        &self,
        id: &str,
        kode_provinsi: &str,
        family_id: i64,
    ) -> Result<Option<(SnapshotFamilyRow, Vec<SnapshotMemberRow>)>>;
    /// The members of a family as known at a date.
    async fn members_on(
        &self,
        kode_provinsi: &str,
        family_id: i64,
        date: &str,
    ) -> Result<Vec<MembershipRow>>;
    /// Removes a draft snapshot (an unfinished or abandoned consolidation): its families,
    /// members, report and the provenance rows it wrote. Refused for a published snapshot.
    async fn delete_draft(&self, id: &str) -> Result<()>;
    /// Sets the ranking of many families of a draft snapshot and the model it was ranked with.
    async fn set_rankings(&self, id: &str, model_version: &str, rows: &[RankingRow])
        -> Result<u64>;
    /// The model version a snapshot was ranked with.
    async fn snapshot_model(&self, id: &str) -> Result<Option<String>>;
    /// The ids given out so far, so a new consolidation keeps them.
    async fn registry_ids(&self) -> Result<RegistryIds>;
    /// Inserts persons, or updates the current row of those that exist (same province and id).
    async fn upsert_persons(&self, rows: &[PersonRow]) -> Result<u64>;
    /// Inserts families, or updates the current row of those that exist.
    async fn upsert_families(&self, rows: &[FamilyRow]) -> Result<u64>;
    /// Every membership still open (`valid_to` empty).
    async fn open_memberships(&self) -> Result<Vec<MembershipRow>>;
    /// Ends the open memberships `(kode_provinsi, family_id, person_id)` on `valid_to`.
    async fn end_memberships(&self, rows: &[(String, i64, i64)], valid_to: &str) -> Result<u64>;
    /// Stores a draft snapshot's consolidation report (JSON).
    async fn save_snapshot_report(&self, id: &str, report: &str) -> Result<()>;
    /// A snapshot's consolidation report.
    async fn snapshot_report(&self, id: &str) -> Result<Option<String>>;
    /// The status of a snapshot (`draft`, `published`), `None` if it does not exist.
    async fn snapshot_status(&self, id: &str) -> Result<Option<String>>;
    /// Every family of a snapshot, by province and family id.
    async fn snapshot_families(&self, id: &str) -> Result<Vec<SnapshotFamilyRow>>;
    /// Every member of a snapshot, by province, family and person id.
    async fn snapshot_members(&self, id: &str) -> Result<Vec<SnapshotMemberRow>>;
    /// At most `limit` families of a snapshot after `(kode_provinsi, family_id)` = `after`, in
    /// that order: a whole snapshot read page by page (`("", i64::MIN)` for the first page).
    async fn snapshot_families_page(
        &self,
        id: &str,
        after: (&str, i64),
        limit: i64,
    ) -> Result<Vec<SnapshotFamilyRow>>;
    /// The members of a snapshot's families in one province with ids from `lo` to `hi`
    /// (inclusive), by family and person id.
    async fn snapshot_members_between(
        &self,
        id: &str,
        kode_provinsi: &str,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<SnapshotMemberRow>>;
    /// Dashboard figures for a region (any level) in a snapshot.
    async fn region_aggregate(
        &self,
        id: &str,
        region: dtsen_core::RegionCode,
    ) -> Result<RegionAggregate>;
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://...`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::Url(url.to_owned()))
    }
}

/// The file that holds a SQLite registry's access log, beside the registry's own file.
pub fn sqlite_audit_path(db_path: &str) -> String {
    sqlite::audit_path(db_path)
}

/// Copies a SQLite database to `to` while it may be in use (a consistent snapshot of it).
pub async fn backup_sqlite(from: &str, to: &std::path::Path) -> Result<()> {
    sqlite::backup(from, to).await
}

/// The embedded migrations of a backend: (version, SQL).
fn migrations(backend: Backend) -> &'static [(i64, &'static str)] {
    match backend {
        Backend::Sqlite => &[
            (1, include_str!("../migrations/sqlite/0001_registry.sql")),
            (2, include_str!("../migrations/sqlite/0002_sources.sql")),
            (
                3,
                include_str!("../migrations/sqlite/0003_consolidation.sql"),
            ),
            (4, include_str!("../migrations/sqlite/0004_web.sql")),
        ],
        Backend::Postgres => &[
            (1, include_str!("../migrations/postgres/0001_registry.sql")),
            (2, include_str!("../migrations/postgres/0002_sources.sql")),
            (
                3,
                include_str!("../migrations/postgres/0003_consolidation.sql"),
            ),
            (4, include_str!("../migrations/postgres/0004_web.sql")),
            (
                5,
                include_str!("../migrations/postgres/0005_byte_order.sql"),
            ),
        ],
    }
}

/// The range of village codes inside a region: `[lo, hi)` as 10-digit strings.
fn village_range(region: dtsen_core::RegionCode) -> (String, String) {
    let lo = format!("{:010}", region.value());
    let span = 10u64.pow((10 - region.level().digits()) as u32);
    let hi = format!("{:010}", region.value() + span);
    (lo, hi)
}

/// The same mapping for any store error (bulk loads report through other error types).
fn refused(e: StoreError, id: &str) -> StoreError {
    match e {
        StoreError::Db(e) => published_error(e, id),
        StoreError::Bulk(b) if b.to_string().contains("published and cannot be changed") => {
            StoreError::SnapshotPublished(id.to_owned())
        }
        other => other,
    }
}

/// Maps a database refusal of a change to a published snapshot to its own error.
fn published_error(e: sqlx::Error, id: &str) -> StoreError {
    let text = e.to_string();
    if text.contains("published and cannot be changed") {
        StoreError::SnapshotPublished(id.to_owned())
    } else {
        StoreError::Db(e)
    }
}

/// A NIK from its stored number.
fn nik_of(v: Option<i64>) -> Option<dtsen_core::Nik> {
    v.and_then(|n| u64::try_from(n).ok())
        .map(dtsen_core::Nik::from_value_unchecked)
}

/// A NIK as the number the database stores.
fn nik_value(n: Option<dtsen_core::Nik>) -> Option<i64> {
    n.and_then(|n| i64::try_from(n.value()).ok())
}

/// The region table as rows: (code, level, name, parent, kode_provinsi).
fn region_rows(
    regions: &dtsen_core::RegionTable,
) -> Vec<(String, i16, String, Option<String>, String)> {
    use dtsen_core::Level;
    let mut out = Vec::new();
    for (k, level) in [
        Level::Province,
        Level::Regency,
        Level::District,
        Level::Village,
    ]
    .into_iter()
    .enumerate()
    {
        for r in regions.level(level) {
            let parent = match level {
                Level::Province => None,
                Level::Regency => r.code.ancestor(Level::Province),
                Level::District => r.code.ancestor(Level::Regency),
                Level::Village => r.code.ancestor(Level::District),
            };
            out.push((
                r.code.digits(),
                k as i16 + 1,
                r.name.clone(),
                parent.map(|p| p.digits()),
                format!("{:02}", r.code.parts()[0]),
            ));
        }
    }
    out
}

/// Creates (or recreates) an empty database named `name` on the server of `admin_url` and
/// returns its URL. For tests: each run gets a database of its own.
pub async fn create_test_database(admin_url: &str, name: &str) -> Result<String> {
    use sqlx::Executor;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await?;
    pool.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await?;
    pool.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    pool.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    Ok(format!("{base}/{name}"))
}

/// The row mappers, the same for both backends (sqlx's `Row::get` by column name); a macro
/// rather than generic functions because the decoding bounds would be longer than the bodies.
#[macro_export]
#[doc(hidden)]
macro_rules! row_mappers {
    ($row:ty) => {
        fn field_value(r: &$row) -> FieldValueRow {
            let entity: String = r.get("entity");
            FieldValueRow {
                kode_provinsi: r.get("kode_provinsi"),
                entity: entity.chars().next().unwrap_or('?'),
                entity_id: r.get("entity_id"),
                field: r.get("field"),
                value: r.get("value"),
                source_id: r.get("source_id"),
                source_record: r.get("source_record"),
                observed_on: r.get("observed_on"),
            }
        }

        fn kk_row(r: &$row) -> KkHistoryRow {
            KkHistoryRow {
                kode_provinsi: r.get("kode_provinsi"),
                family_id: r.get("family_id"),
                kk: r.get("kk"),
                valid_from: r.get("valid_from"),
                valid_to: r.get("valid_to"),
                reason: r.get("reason"),
            }
        }

        fn person(r: &$row) -> PersonRow {
            PersonRow {
                kode_provinsi: r.get("kode_provinsi"),
                id: r.get("id"),
                nik: $crate::nik_of(r.get("nik")),
                nik_raw: r.get("nik_raw"),
                name: r.get("name"),
                name_std: r.get("name_std"),
                birth_date: r.get("birth_date"),
                sex: r.get("sex"),
                death_date: r.get("death_date"),
                kode_desa: r.get("kode_desa"),
            }
        }

        fn snapshot_family(r: &$row) -> SnapshotFamilyRow {
            SnapshotFamilyRow {
                kode_provinsi: r.get("kode_provinsi"),
                family_id: r.get("family_id"),
                kk: r.get("kk"),
                kode_desa: r.get("kode_desa"),
                members: r.get("members"),
                score: r.get("score"),
                rank_national: r.get("rank_national"),
                desil_nasional: r.get("desil_nasional"),
                desil_provinsi: r.get("desil_provinsi"),
                desil_kabupaten_kota: r.get("desil_kabupaten_kota"),
                status_kelengkapan: r.get("status_kelengkapan"),
                attrs: r.get("attrs"),
            }
        }

        fn snapshot_member(r: &$row) -> SnapshotMemberRow {
            SnapshotMemberRow {
                kode_provinsi: r.get("kode_provinsi"),
                family_id: r.get("family_id"),
                person_id: r.get("person_id"),
                nik: r.get("nik"),
                relationship: r.get("relationship"),
                status_padan: r.get("status_padan"),
                alive: r.get("alive"),
                attrs: r.get("attrs"),
            }
        }

        fn membership(r: &$row) -> MembershipRow {
            MembershipRow {
                kode_provinsi: r.get("kode_provinsi"),
                family_id: r.get("family_id"),
                person_id: r.get("person_id"),
                relationship: r.get("relationship"),
                valid_from: r.get("valid_from"),
                valid_to: r.get("valid_to"),
            }
        }

        fn family(r: &$row) -> FamilyRow {
            FamilyRow {
                kode_provinsi: r.get("kode_provinsi"),
                id: r.get("id"),
                kk: r.get("kk"),
                kode_desa: r.get("kode_desa"),
                address: r.get("address"),
                rt: r.get("rt"),
                rw: r.get("rw"),
            }
        }
    };
}

/// [`Store::snapshot_families_page`]'s query, the same on both backends.
pub(crate) const SNAPSHOT_FAMILIES_PAGE: &str =
    "SELECT * FROM snapshot_families WHERE snapshot_id = $1 \
     AND (kode_provinsi > $2 OR (kode_provinsi = $2 AND family_id > $3)) \
     ORDER BY kode_provinsi, family_id LIMIT $4";

/// [`Store::snapshot_members_between`]'s query, the same on both backends.
pub(crate) const SNAPSHOT_MEMBERS_BETWEEN: &str =
    "SELECT * FROM snapshot_members WHERE snapshot_id = $1 AND kode_provinsi = $2 \
     AND family_id >= $3 AND family_id <= $4 ORDER BY family_id, person_id";
