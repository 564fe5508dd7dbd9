//! What the web platform reads and writes: accounts, sessions, the append-only audit log, and
//! the region-scoped lookups behind search and the family page.
//!
//! Every lookup of registry data here takes a [`VillageRange`]: the rows outside it are never
//! read, so a caller cannot show what its user may not see even by mistake (scope is enforced
//! in the query, not in a template). The SQL is written once (PostgreSQL placeholders) and
//! implemented for both backends by [`impl_web_store`].

use crate::{KkHistoryRow, MembershipRow, Result, SnapshotFamilyRow, SnapshotMemberRow};
use async_trait::async_trait;

/// The villages a query may touch: 10-digit codes in `[lo, hi)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VillageRange {
    /// First village code inside.
    pub lo: String,
    /// First village code past the end.
    pub hi: String,
}

impl VillageRange {
    /// The villages of a region (any level).
    pub fn of(region: dtsen_core::RegionCode) -> VillageRange {
        let (lo, hi) = crate::village_range(region);
        VillageRange { lo, hi }
    }

    /// Every village of the country.
    pub fn everywhere() -> VillageRange {
        VillageRange {
            lo: "0000000000".into(),
            hi: "9999999999~".into(),
        }
    }

    /// Whether the range is exactly one village.
    pub fn is_one_village(&self) -> bool {
        match (self.lo.parse::<u64>(), self.hi.parse::<u64>()) {
            (Ok(lo), Ok(hi)) => self.lo.len() == 10 && hi == lo + 1,
            _ => false,
        }
    }

    /// Whether a village code is inside.
    pub fn contains(&self, kode_desa: &str) -> bool {
        kode_desa >= self.lo.as_str() && kode_desa < self.hi.as_str()
    }
}

/// An account (*akun*) of an official.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    /// Internal id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Role key (`operator_desa`, ..., `admin`).
    pub role: String,
    /// The region the account is bound to (digits without dots; empty: the whole country).
    pub region: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Failed logins since the last success.
    pub failed_logins: i64,
    /// Locked until this unix second.
    pub locked_until: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// A disabled account cannot log in.
    pub disabled: bool,
}

/// A new account.
#[derive(Clone, Debug, PartialEq)]
pub struct NewUser {
    /// Login name (unique).
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Role key.
    pub role: String,
    /// Region digits, empty for the whole country.
    pub region: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A login session. The cookie holds a random token; the store keeps only its hash.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRow {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// The account.
    pub user_id: i64,
    /// The token forms must echo (CSRF).
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Client address at login.
    pub address: Option<String>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// The account (none for a failed login of an unknown name).
    pub user_id: Option<i64>,
    /// Login name.
    pub username: String,
    /// Role key.
    pub role: String,
    /// What was done: `family.view`, `search.nik`, `login`, ...
    pub action: String,
    /// What it was done to.
    pub object: String,
    /// The region of what was read.
    pub region: Option<String>,
    /// Client address.
    pub address: Option<String>,
    /// Hash of the entry before (64 zeros for the first).
    pub prev_hash: String,
    /// Hash of this entry (see the web crate's `audit` module for what it covers).
    pub hash: String,
}

/// A family found by search, with the person that matched (by NIK or name).
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// Province.
    pub kode_provinsi: String,
    /// Family.
    pub family_id: i64,
    /// KK number at the snapshot.
    pub kk: Option<String>,
    /// Village.
    pub kode_desa: String,
    /// Members.
    pub members: i32,
    /// National decile.
    pub desil_nasional: Option<i16>,
    /// The person that matched.
    pub person_id: Option<i64>,
    /// The person's NIK at the snapshot.
    pub nik: Option<String>,
    /// The person's registered name.
    pub name: Option<String>,
}

/// Everything the family page reads, in one call (one trip to the database thread on SQLite).
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyBundle {
    /// The family in the snapshot.
    pub family: SnapshotFamilyRow,
    /// Its members in the snapshot.
    pub members: Vec<SnapshotMemberRow>,
    /// Every value of every field of the family and its members, with sources.
    pub field_values: Vec<crate::FieldValueRow>,
    /// The family in every snapshot (without golden records), oldest first.
    pub history: Vec<(String, SnapshotFamilyRow)>,
    /// KK numbers it held.
    pub kk_history: Vec<KkHistoryRow>,
    /// Membership periods.
    pub memberships: Vec<MembershipRow>,
}

/// A snapshot and its state.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotInfo {
    /// `2026Q3`.
    pub id: String,
    /// `draft` or `published`.
    pub status: String,
    /// When it was created.
    pub created_at: String,
    /// When it was published.
    pub published_at: Option<String>,
    /// The ranking model.
    pub model_version: Option<String>,
}

/// Accounts, sessions, audit log and scoped reads (a supertrait of `Store`).
#[async_trait]
pub trait WebStore: Send + Sync {
    /// Creates an account; returns its id.
    async fn create_user(&self, user: &NewUser) -> Result<i64>;
    /// The account with this login name.
    async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>>;
    /// Every account, by login name.
    async fn users(&self) -> Result<Vec<UserRow>>;
    /// Replaces an account's password hash and ends its sessions.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()>;
    /// Counts a failed login, locking the account until `locked_until` when given.
    async fn login_failed(&self, user_id: i64, locked_until: Option<i64>) -> Result<()>;
    /// Clears the failure count after a successful login.
    async fn login_succeeded(&self, user_id: i64) -> Result<()>;
    /// Stores a new session.
    async fn create_session(&self, session: &SessionRow) -> Result<()>;
    /// A live session (not expired at `now`) and its enabled account.
    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<(SessionRow, UserRow)>>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// The last entry of the audit log: (seq, hash).
    async fn audit_tail(&self) -> Result<Option<(i64, String)>>;
    /// Appends entries (already chained) in one transaction.
    async fn audit_append(&self, rows: &[AuditRow]) -> Result<()>;
    /// Entries with `seq > after`, oldest first (verification walks the chain with this).
    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>>;
    /// The newest entries with `seq < before` (all when `None`), newest first.
    async fn audit_before(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>>;
    /// Every snapshot, newest first.
    async fn snapshots(&self) -> Result<Vec<SnapshotInfo>>;
    /// Families of a snapshot in `range` with a member holding this NIK.
    async fn find_by_nik(
        &self,
        snapshot: &str,
        nik: &str,
        range: &VillageRange,
    ) -> Result<Vec<SearchHit>>;
    /// Families of a snapshot in `range` with a member holding this NIK, then those with this
    /// KK number (a 16-digit number can be either): one call.
    async fn find_by_number(
        &self,
        snapshot: &str,
        number: &str,
        range: &VillageRange,
    ) -> Result<Vec<SearchHit>>;
    /// Families of a snapshot in `range` with this KK number.
    async fn find_by_kk(
        &self,
        snapshot: &str,
        kk: &str,
        range: &VillageRange,
    ) -> Result<Vec<SearchHit>>;
    /// Members of a snapshot in `range` whose standardised name starts with `prefix`.
    async fn find_by_name(
        &self,
        snapshot: &str,
        prefix: &str,
        range: &VillageRange,
        limit: i64,
    ) -> Result<Vec<SearchHit>>;
    /// A family and its members in a snapshot, only if the family lives in `range`.
    async fn family_in_range(
        &self,
        snapshot: &str,
        kode_provinsi: &str,
        family_id: i64,
        range: &VillageRange,
    ) -> Result<Option<(SnapshotFamilyRow, Vec<SnapshotMemberRow>)>>;
    /// Every value of every field of a family and of its members in a snapshot, with sources
    /// (one query: the family page's provenance).
    async fn family_field_values(
        &self,
        snapshot: &str,
        kode_provinsi: &str,
        family_id: i64,
    ) -> Result<Vec<crate::FieldValueRow>>;
    /// Everything the family page shows, if the family lives in `range`.
    async fn family_page(
        &self,
        snapshot: &str,
        kode_provinsi: &str,
        family_id: i64,
        range: &VillageRange,
    ) -> Result<Option<FamilyBundle>>;
    /// The family in every snapshot (without its golden record), oldest first.
    async fn family_snapshots(
        &self,
        kode_provinsi: &str,
        family_id: i64,
    ) -> Result<Vec<(String, SnapshotFamilyRow)>>;
    /// Every membership period of the family, open or ended.
    async fn family_memberships(
        &self,
        kode_provinsi: &str,
        family_id: i64,
    ) -> Result<Vec<MembershipRow>>;
    /// The KK numbers the family held.
    async fn family_kk_history(
        &self,
        kode_provinsi: &str,
        family_id: i64,
    ) -> Result<Vec<KkHistoryRow>>;
}

/// The family in a snapshot if it lives in the range (snapshot, province, family, lo, hi).
pub(crate) const FAMILY_IN_RANGE: &str =
    "SELECT * FROM snapshot_families WHERE snapshot_id = $1 AND kode_provinsi = $2 AND family_id = $3 \
     AND kode_desa >= $4 AND kode_desa < $5";

/// The members of a family in a snapshot (snapshot, province, family).
pub(crate) const FAMILY_MEMBERS: &str =
    "SELECT * FROM snapshot_members WHERE snapshot_id = $1 AND kode_provinsi = $2 AND family_id = $3 \
     ORDER BY relationship, person_id";

/// Every value of every field of a family and of its members (province, family, snapshot).
pub(crate) const FAMILY_FIELD_VALUES: &str =
    "SELECT * FROM field_values WHERE kode_provinsi = $1 AND entity = 'f' AND entity_id = $2 \
     UNION ALL \
     SELECT v.* FROM snapshot_members m CROSS JOIN field_values v \
     WHERE m.snapshot_id = $3 AND m.kode_provinsi = $1 AND m.family_id = $2 \
     AND v.kode_provinsi = m.kode_provinsi AND v.entity = 'p' AND v.entity_id = m.person_id";

/// The family in every snapshot, without golden records (province, family).
pub(crate) const FAMILY_SNAPSHOTS: &str =
    "SELECT snapshot_id, kode_provinsi, family_id, kk, kode_desa, members, score, rank_national, \
     desil_nasional, desil_provinsi, desil_kabupaten_kota, status_kelengkapan, NULL AS attrs \
     FROM snapshot_families WHERE kode_provinsi = $1 AND family_id = $2 ORDER BY snapshot_id";

/// The KK numbers a family held (province, family).
pub(crate) const FAMILY_KK_HISTORY: &str =
    "SELECT * FROM kk_history WHERE kode_provinsi = $1 AND family_id = $2 ORDER BY valid_from";

/// Every membership period of a family (province, family).
pub(crate) const FAMILY_MEMBERSHIPS: &str =
    "SELECT * FROM memberships WHERE kode_provinsi = $1 AND family_id = $2 \
     ORDER BY valid_from, person_id";

/// Search by NIK (snapshot, NIK, range lo, range hi). No ORDER BY: on the key it made SQLite
/// walk the snapshot in key order instead of using the index; [`sort_hits`] orders them.
pub(crate) const FIND_BY_NIK: &str =
    "SELECT f.kode_provinsi, f.family_id, f.kk, f.kode_desa, f.members, f.desil_nasional, \
     m.person_id, m.nik, p.name \
     FROM snapshot_members m \
     JOIN snapshot_families f ON f.snapshot_id = m.snapshot_id AND f.kode_provinsi = m.kode_provinsi AND f.family_id = m.family_id \
     LEFT JOIN persons p ON p.kode_provinsi = m.kode_provinsi AND p.id = m.person_id \
     WHERE m.snapshot_id = $1 AND m.nik = $2 AND f.kode_desa >= $3 AND f.kode_desa < $4 LIMIT 20";

/// Search by KK number (snapshot, KK, range lo, range hi).
pub(crate) const FIND_BY_KK: &str =
    "SELECT f.kode_provinsi, f.family_id, f.kk, f.kode_desa, f.members, f.desil_nasional, \
     NULL AS person_id, NULL AS nik, NULL AS name \
     FROM snapshot_families f \
     WHERE f.snapshot_id = $1 AND f.kk = $2 AND f.kode_desa >= $3 AND f.kode_desa < $4 LIMIT 20";

/// Search by name prefix inside one village (snapshot, prefix, prefix upper bound, range lo,
/// range hi, limit): join order forced from the village's families.
pub(crate) const FIND_BY_NAME_IN_VILLAGE: &str =
    "SELECT f.kode_provinsi, f.family_id, f.kk, f.kode_desa, f.members, f.desil_nasional, \
     m.person_id, m.nik, p.name \
     FROM snapshot_families f CROSS JOIN snapshot_members m CROSS JOIN persons p \
     WHERE f.snapshot_id = $1 AND f.kode_provinsi = SUBSTR($4, 1, 2) AND f.kode_desa >= $4 AND f.kode_desa < $5 \
     AND m.snapshot_id = $1 AND m.kode_provinsi = f.kode_provinsi AND m.family_id = f.family_id \
     AND p.kode_provinsi = m.kode_provinsi AND p.id = m.person_id \
     AND p.name_std >= $2 AND p.name_std < $3 \
     ORDER BY p.name_std, p.kode_desa LIMIT $6";

/// Search by name prefix in a larger range: along the name index, no sort (the planner,
/// without statistics, started from all members of the snapshot).
pub(crate) const FIND_BY_NAME: &str =
    "SELECT f.kode_provinsi, f.family_id, f.kk, f.kode_desa, f.members, f.desil_nasional, \
     m.person_id, m.nik, p.name \
     FROM persons p CROSS JOIN snapshot_members m CROSS JOIN snapshot_families f \
     WHERE p.name_std >= $2 AND p.name_std < $3 \
     AND m.snapshot_id = $1 AND m.kode_provinsi = p.kode_provinsi AND m.person_id = p.id \
     AND f.snapshot_id = $1 AND f.kode_provinsi = m.kode_provinsi AND f.family_id = m.family_id \
     AND f.kode_desa >= $4 AND f.kode_desa < $5 \
     ORDER BY p.name_std, p.kode_desa LIMIT $6";

/// Reads the access log, oldest first from `seq > $1`, at most `$2`.
pub(crate) const AUDIT_AFTER: &str = "SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2";
/// Reads the access log, newest first below `seq < $1`, at most `$2`.
pub(crate) const AUDIT_BEFORE: &str =
    "SELECT * FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2";
/// The last entry.
pub(crate) const AUDIT_TAIL: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// Appends one access-log entry (the 11 columns of [`AuditRow`], in order).
pub(crate) const AUDIT_INSERT: &str =
    "INSERT INTO audit_log (seq, at, user_id, username, role, action, object, region, address, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The name search for a range: from the village's families for one village, else along the
/// name index.
pub(crate) fn find_by_name_sql(range: &VillageRange) -> &'static str {
    if range.is_one_village() {
        FIND_BY_NAME_IN_VILLAGE
    } else {
        FIND_BY_NAME
    }
}

/// The upper bound of a prefix range.
pub(crate) fn prefix_upper(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Orders NIK and KK hits by province and family.
pub(crate) fn sort_hits(hits: &mut [SearchHit]) {
    hits.sort_by(|a, b| (&a.kode_provinsi, a.family_id).cmp(&(&b.kode_provinsi, b.family_id)));
}

/// Implements [`WebStore`] for a backend: `$store` with a `pool` field, `$row` its row type.
/// The backend module provides `q` (placeholder style) and the row mappers.
#[macro_export]
#[doc(hidden)]
macro_rules! impl_web_store {
    ($store:ty, $row:ty, { $($extra:item)* }) => {
        fn user_row(r: &$row) -> $crate::UserRow {
            $crate::UserRow {
                id: r.get("id"),
                username: r.get("username"),
                display_name: r.get("display_name"),
                role: r.get("role"),
                region: r.get("region"),
                password_hash: r.get("password_hash"),
                failed_logins: r.get("failed_logins"),
                locked_until: r.get("locked_until"),
                created_at: r.get("created_at"),
                disabled: r.get("disabled"),
            }
        }

        const USER_COLUMNS: &str = "id, username, display_name, role, region, password_hash, \
             CAST(failed_logins AS BIGINT) AS failed_logins, locked_until, created_at, disabled";

        #[async_trait::async_trait]
        impl $crate::WebStore for $store {
            $($extra)*

            async fn create_user(&self, u: &$crate::NewUser) -> $crate::Result<i64> {
                Ok(sqlx::query_scalar(&q(
                    "INSERT INTO users (username, display_name, role, region, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                ))
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(&u.role)
                .bind(&u.region)
                .bind(&u.password_hash)
                .bind(u.created_at)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn user_by_name(&self, username: &str) -> $crate::Result<Option<$crate::UserRow>> {
                let r = sqlx::query(&q(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
                )))
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
                Ok(r.as_ref().map(user_row))
            }

            async fn users(&self) -> $crate::Result<Vec<$crate::UserRow>> {
                let rows = sqlx::query(&q(&format!(
                    "SELECT {USER_COLUMNS} FROM users ORDER BY username"
                )))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(user_row).collect())
            }

            async fn set_password(&self, user_id: i64, hash: &str) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(&q("UPDATE users SET password_hash = $1 WHERE id = $2"))
                    .bind(hash)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&q("DELETE FROM sessions WHERE user_id = $1"))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn login_failed(&self, user_id: i64, locked_until: Option<i64>) -> $crate::Result<()> {
                sqlx::query(&q(
                    "UPDATE users SET failed_logins = failed_logins + 1, \
                     locked_until = COALESCE($1, locked_until) WHERE id = $2",
                ))
                .bind(locked_until)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn login_succeeded(&self, user_id: i64) -> $crate::Result<()> {
                sqlx::query(&q(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                ))
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_session(&self, s: &$crate::SessionRow) -> $crate::Result<()> {
                sqlx::query(&q(
                    "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at, address) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                ))
                .bind(&s.token_hash)
                .bind(s.user_id)
                .bind(&s.csrf)
                .bind(s.created_at)
                .bind(s.expires_at)
                .bind(&s.address)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
                now: i64,
            ) -> $crate::Result<Option<($crate::SessionRow, $crate::UserRow)>> {
                let r = sqlx::query(&q(
                    "SELECT s.token_hash, s.user_id, s.csrf, s.created_at AS s_created, s.expires_at, s.address AS s_address, \
                     u.id, u.username, u.display_name, u.role, u.region, u.password_hash, \
                     CAST(u.failed_logins AS BIGINT) AS failed_logins, u.locked_until, u.created_at, u.disabled \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
                ))
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(r.map(|r| {
                    (
                        $crate::SessionRow {
                            token_hash: r.get("token_hash"),
                            user_id: r.get("user_id"),
                            csrf: r.get("csrf"),
                            created_at: r.get("s_created"),
                            expires_at: r.get("expires_at"),
                            address: r.get("s_address"),
                        },
                        user_row(&r),
                    )
                }))
            }

            async fn delete_session(&self, token_hash: &str) -> $crate::Result<()> {
                sqlx::query(&q("DELETE FROM sessions WHERE token_hash = $1"))
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn snapshots(&self) -> $crate::Result<Vec<$crate::SnapshotInfo>> {
                let rows = sqlx::query(&q(
                    "SELECT id, status, created_at, published_at, model_version FROM snapshots ORDER BY id DESC",
                ))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::SnapshotInfo {
                        id: r.get("id"),
                        status: r.get("status"),
                        created_at: r.get("created_at"),
                        published_at: r.get("published_at"),
                        model_version: r.get("model_version"),
                    })
                    .collect())
            }

            async fn family_in_range(
                &self,
                snapshot: &str,
                kode_provinsi: &str,
                family_id: i64,
                range: &$crate::VillageRange,
            ) -> $crate::Result<Option<($crate::SnapshotFamilyRow, Vec<$crate::SnapshotMemberRow>)>> {
                let f = sqlx::query(&q(
                    $crate::web::FAMILY_IN_RANGE,
                ))
                .bind(snapshot)
                .bind(kode_provinsi)
                .bind(family_id)
                .bind(&range.lo)
                .bind(&range.hi)
                .fetch_optional(&self.pool)
                .await?;
                let Some(f) = f else { return Ok(None) };
                let members = sqlx::query(&q(
                    $crate::web::FAMILY_MEMBERS,
                ))
                .bind(snapshot)
                .bind(kode_provinsi)
                .bind(family_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(Some((snapshot_family(&f), members.iter().map(snapshot_member).collect())))
            }

            async fn family_field_values(
                &self,
                snapshot: &str,
                kode_provinsi: &str,
                family_id: i64,
            ) -> $crate::Result<Vec<$crate::FieldValueRow>> {
                let rows = sqlx::query(&q(
                    $crate::web::FAMILY_FIELD_VALUES,
                ))
                .bind(kode_provinsi)
                .bind(family_id)
                .bind(snapshot)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(field_value).collect())
            }

            async fn family_snapshots(
                &self,
                kode_provinsi: &str,
                family_id: i64,
            ) -> $crate::Result<Vec<(String, $crate::SnapshotFamilyRow)>> {
                let rows = sqlx::query(&q(
                    $crate::web::FAMILY_SNAPSHOTS,
                ))
                .bind(kode_provinsi)
                .bind(family_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| (r.get("snapshot_id"), snapshot_family(r)))
                    .collect())
            }

            async fn family_memberships(
                &self,
                kode_provinsi: &str,
                family_id: i64,
            ) -> $crate::Result<Vec<$crate::MembershipRow>> {
                let rows = sqlx::query(&q(
                    $crate::web::FAMILY_MEMBERSHIPS,
                ))
                .bind(kode_provinsi)
                .bind(family_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(membership).collect())
            }

            async fn family_kk_history(
                &self,
                kode_provinsi: &str,
                family_id: i64,
            ) -> $crate::Result<Vec<$crate::KkHistoryRow>> {
                let rows = sqlx::query(&q(
                    $crate::web::FAMILY_KK_HISTORY,
                ))
                .bind(kode_provinsi)
                .bind(family_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(kk_row).collect())
            }
        }
    };
}
