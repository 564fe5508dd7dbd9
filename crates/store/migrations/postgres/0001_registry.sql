-- DTSEN registry schema, PostgreSQL. Large tables carry kode_provinsi first in their keys so
-- that Citus can distribute them by province (co-located) with no schema change; regions and
-- sources are reference tables (replicated). See ARCHITECTURE.md, "Store".

CREATE TABLE regions (
    code          TEXT PRIMARY KEY,          -- 2, 4, 6 or 10 digits, no dots
    level         SMALLINT NOT NULL,         -- 1 province, 2 regency/city, 3 district, 4 village
    name          TEXT NOT NULL,
    parent        TEXT,
    kode_provinsi TEXT NOT NULL
);

CREATE TABLE sources (
    id   SMALLINT PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,               -- siak, regsosek_anggota, dtks, ...
    name TEXT NOT NULL
);

CREATE TABLE ingest_runs (
    id          BIGSERIAL PRIMARY KEY,
    source_id   SMALLINT NOT NULL REFERENCES sources(id),
    file        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    read        BIGINT NOT NULL,
    accepted    BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    report      TEXT
);

CREATE TABLE persons (
    kode_provinsi TEXT NOT NULL,
    id            BIGINT NOT NULL,           -- internal id, kept across snapshots
    nik           BIGINT,                    -- valid NIK (16 digits), unique
    nik_raw       TEXT,                      -- the NIK as received when it is not valid
    name          TEXT NOT NULL,
    name_std      TEXT NOT NULL,
    birth_date    TEXT,                      -- YYYY-MM-DD, 00 for unknown parts
    sex           SMALLINT,
    death_date    TEXT,
    kode_desa     TEXT,
    PRIMARY KEY (kode_provinsi, id)
);
-- A valid NIK belongs to one person. Under Citus a unique index must include the distribution
-- column, so there it becomes (kode_provinsi, nik) and the global NIK pass of consolidation
-- keeps NIKs unique across provinces.
CREATE UNIQUE INDEX persons_valid_nik ON persons (nik) WHERE nik IS NOT NULL;
CREATE INDEX persons_name ON persons (kode_provinsi, kode_desa, name_std);

CREATE TABLE families (
    kode_provinsi TEXT NOT NULL,
    id            BIGINT NOT NULL,
    kk            TEXT,                      -- current KK number
    kode_desa     TEXT NOT NULL,
    address       TEXT,
    rt            TEXT,
    rw            TEXT,
    PRIMARY KEY (kode_provinsi, id)
);
CREATE INDEX families_kk ON families (kk);
CREATE INDEX families_desa ON families (kode_provinsi, kode_desa);

-- Who belonged to which family when (splits, merges, moves, death of the head).
CREATE TABLE memberships (
    kode_provinsi TEXT NOT NULL,
    family_id     BIGINT NOT NULL,
    person_id     BIGINT NOT NULL,
    relationship  SMALLINT,                  -- SHDK 1–11
    valid_from    TEXT NOT NULL,
    valid_to      TEXT,                      -- NULL: still a member
    PRIMARY KEY (kode_provinsi, family_id, person_id, valid_from)
);
CREATE INDEX memberships_person ON memberships (kode_provinsi, person_id);

CREATE TABLE kk_history (
    kode_provinsi TEXT NOT NULL,
    family_id     BIGINT NOT NULL,
    kk            TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT,
    reason        TEXT NOT NULL,             -- new, split, merge, move, head_death, divorce
    PRIMARY KEY (kode_provinsi, family_id, valid_from)
);
CREATE INDEX kk_history_kk ON kk_history (kk);

-- Every value with where it came from; disagreements between sources are kept.
CREATE TABLE field_values (
    kode_provinsi TEXT NOT NULL,
    entity        CHAR(1) NOT NULL,          -- p person, f family
    entity_id     BIGINT NOT NULL,
    field         TEXT NOT NULL,
    value         TEXT,
    source_id     SMALLINT NOT NULL REFERENCES sources(id),
    source_record TEXT NOT NULL,
    observed_on   TEXT,
    PRIMARY KEY (kode_provinsi, entity, entity_id, field, source_id, source_record)
);

CREATE TABLE snapshots (
    id            TEXT PRIMARY KEY,          -- 2026Q1
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    created_at    TEXT NOT NULL,
    published_at  TEXT,
    model_version TEXT
);

CREATE TABLE snapshot_families (
    snapshot_id          TEXT NOT NULL REFERENCES snapshots(id),
    kode_provinsi        TEXT NOT NULL,
    family_id            BIGINT NOT NULL,
    kk                   TEXT,
    kode_desa            TEXT NOT NULL,
    members              INTEGER NOT NULL,
    score                DOUBLE PRECISION,
    rank_national        BIGINT,
    desil_nasional       SMALLINT,
    desil_provinsi       SMALLINT,
    desil_kabupaten_kota SMALLINT,
    status_kelengkapan   TEXT,
    PRIMARY KEY (snapshot_id, kode_provinsi, family_id)
);
CREATE INDEX snapshot_families_desa ON snapshot_families (snapshot_id, kode_provinsi, kode_desa);

CREATE TABLE snapshot_members (
    snapshot_id   TEXT NOT NULL REFERENCES snapshots(id),
    kode_provinsi TEXT NOT NULL,
    family_id     BIGINT NOT NULL,
    person_id     BIGINT NOT NULL,
    nik           TEXT,
    relationship  SMALLINT,
    status_padan  TEXT,                      -- padan / tidak_padan
    alive         BOOLEAN NOT NULL,
    PRIMARY KEY (snapshot_id, kode_provinsi, family_id, person_id)
);

-- A published snapshot is immutable: no row of it may be added, changed or removed, and the
-- snapshot itself may not change.
CREATE FUNCTION dtsen_snapshot_frozen() RETURNS trigger AS $$
DECLARE sid TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN sid := OLD.snapshot_id; ELSE sid := NEW.snapshot_id; END IF;
    IF EXISTS (SELECT 1 FROM snapshots WHERE id = sid AND status = 'published')
       OR (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM snapshots WHERE id = OLD.snapshot_id AND status = 'published')) THEN
        RAISE EXCEPTION 'snapshot % is published and cannot be changed', sid USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER snapshot_families_frozen BEFORE UPDATE OR DELETE ON snapshot_families
    FOR EACH ROW EXECUTE FUNCTION dtsen_snapshot_frozen();
CREATE TRIGGER snapshot_members_frozen BEFORE UPDATE OR DELETE ON snapshot_members
    FOR EACH ROW EXECUTE FUNCTION dtsen_snapshot_frozen();

-- Inserts are checked once per statement (bulk loads insert millions of rows at a time).
CREATE FUNCTION dtsen_snapshot_insert_frozen() RETURNS trigger AS $$
DECLARE sid TEXT;
BEGIN
    SELECT n.snapshot_id INTO sid FROM new_rows n JOIN snapshots s ON s.id = n.snapshot_id
        WHERE s.status = 'published' LIMIT 1;
    IF sid IS NOT NULL THEN
        RAISE EXCEPTION 'snapshot % is published and cannot be changed', sid USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER snapshot_families_insert_frozen AFTER INSERT ON snapshot_families
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dtsen_snapshot_insert_frozen();
CREATE TRIGGER snapshot_members_insert_frozen AFTER INSERT ON snapshot_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dtsen_snapshot_insert_frozen();

CREATE FUNCTION dtsen_snapshot_row_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'snapshot % is published and cannot be changed', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER snapshots_frozen BEFORE UPDATE OR DELETE ON snapshots
    FOR EACH ROW EXECUTE FUNCTION dtsen_snapshot_row_frozen();

-- Dashboard figures per village, computed once when a snapshot is published, so that a
-- province's dashboard sums a few thousand rows instead of scanning millions.
CREATE TABLE snapshot_village_stats (
    snapshot_id    TEXT NOT NULL REFERENCES snapshots(id),
    kode_provinsi  TEXT NOT NULL,
    kode_desa      TEXT NOT NULL,
    desil_nasional SMALLINT NOT NULL,         -- 0: no decile
    families       BIGINT NOT NULL,
    persons        BIGINT NOT NULL,
    incomplete     BIGINT NOT NULL,
    PRIMARY KEY (snapshot_id, kode_provinsi, kode_desa, desil_nasional)
);

CREATE TABLE snapshot_village_registered (
    snapshot_id   TEXT NOT NULL REFERENCES snapshots(id),
    kode_provinsi TEXT NOT NULL,
    kode_desa     TEXT NOT NULL,
    registered    BIGINT NOT NULL,           -- living persons of the registry in the village
    PRIMARY KEY (snapshot_id, kode_provinsi, kode_desa)
);

-- Room for what comes next, in later migrations: proposals, deliberations, disputes, ground
-- checks, programmes, users, sessions, audit log (each large one keyed by kode_provinsi).
