-- Web platform (issue 8): accounts, sessions, the append-only audit log, and the indexes the
-- search and family pages need.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,               -- operator_desa, pendamping, ..., admin
    region        TEXT NOT NULL,               -- region code without dots; '' = the whole country
    password_hash TEXT NOT NULL,               -- argon2id PHC string
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  BIGINT,                      -- unix seconds
    created_at    BIGINT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,               -- SHA-256 of the cookie token: a stolen table opens nothing
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    address    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The access log (audit_log) lives in a database file of its own beside this one
-- (`dtsen.audit.db` for `dtsen.db`; schema in crates/store/src/sqlite.rs, AUDIT_SCHEMA): its
-- writes would otherwise make every reader of the registry drop its page cache.

CREATE INDEX snapshot_members_nik ON snapshot_members (snapshot_id, nik);
CREATE INDEX snapshot_members_person ON snapshot_members (snapshot_id, kode_provinsi, person_id);
CREATE INDEX snapshot_families_kk ON snapshot_families (snapshot_id, kk);
CREATE INDEX snapshot_families_family ON snapshot_families (kode_provinsi, family_id);
CREATE INDEX persons_name_std ON persons (name_std, kode_desa);
