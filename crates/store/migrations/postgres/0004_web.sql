-- Web platform (issue 8): accounts, sessions, the append-only audit log, and the indexes the
-- search and family pages need.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,               -- operator_desa, pendamping, ..., admin
    region        TEXT NOT NULL,               -- region code without dots; '' = the whole country
    password_hash TEXT NOT NULL,               -- argon2id PHC string
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  BIGINT,                      -- unix seconds
    created_at    BIGINT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false
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

-- Every read of a person's record by an official. Each entry carries the hash of the one
-- before it, so a removed or altered entry breaks the chain (`dtsen audit verify`).
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,                -- unix milliseconds
    user_id    BIGINT,
    username   TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,                  -- family.view, search, login, ...
    object     TEXT NOT NULL,                  -- what was read: family 35:123, NIK searched, ...
    region     TEXT,                           -- the region of what was read
    address    TEXT,                           -- the client's address
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE FUNCTION dtsen_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION dtsen_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION dtsen_audit_append_only();

CREATE INDEX snapshot_members_nik ON snapshot_members (snapshot_id, nik);
CREATE INDEX snapshot_members_person ON snapshot_members (snapshot_id, kode_provinsi, person_id);
CREATE INDEX snapshot_families_kk ON snapshot_families (snapshot_id, kk);
CREATE INDEX snapshot_families_family ON snapshot_families (kode_provinsi, family_id);
CREATE INDEX persons_name_std ON persons (name_std, kode_desa);
