-- Codes, identifiers and standardised names compare byte by byte (collation "C"), whatever
-- the cluster's locale. They are ASCII digits and upper-case letters: a linguistic collation
-- orders them the same way but makes every comparison a strcoll() call on copies of both
-- strings, and every bulk-loaded row walks several B-trees on these columns. "C" is also what
-- lets a B-tree serve `name_std LIKE 'SITI%'`. SQLite compares bytes already (BINARY).
-- On empty tables (a new registry) this is instant; on a loaded one it rewrites the indexes.
ALTER TABLE regions
    ALTER COLUMN code TYPE TEXT COLLATE "C",
    ALTER COLUMN parent TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C";
ALTER TABLE persons
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN nik_raw TYPE TEXT COLLATE "C",
    ALTER COLUMN name_std TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_desa TYPE TEXT COLLATE "C";
ALTER TABLE families
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN kk TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_desa TYPE TEXT COLLATE "C";
ALTER TABLE memberships
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN valid_from TYPE TEXT COLLATE "C",
    ALTER COLUMN valid_to TYPE TEXT COLLATE "C";
ALTER TABLE kk_history
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN kk TYPE TEXT COLLATE "C",
    ALTER COLUMN valid_from TYPE TEXT COLLATE "C";
ALTER TABLE field_values
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN field TYPE TEXT COLLATE "C",
    ALTER COLUMN source_record TYPE TEXT COLLATE "C";
ALTER TABLE snapshots
    ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE snapshot_families
    ALTER COLUMN snapshot_id TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN kk TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_desa TYPE TEXT COLLATE "C";
ALTER TABLE snapshot_members
    ALTER COLUMN snapshot_id TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN nik TYPE TEXT COLLATE "C";
ALTER TABLE snapshot_village_stats
    ALTER COLUMN snapshot_id TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_desa TYPE TEXT COLLATE "C";
ALTER TABLE snapshot_village_registered
    ALTER COLUMN snapshot_id TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_provinsi TYPE TEXT COLLATE "C",
    ALTER COLUMN kode_desa TYPE TEXT COLLATE "C";
ALTER TABLE snapshot_reports
    ALTER COLUMN snapshot_id TYPE TEXT COLLATE "C";
-- The province code is the first two digits of the village code: indexes that led with both
-- sorted every key on a column with one value per province first. The same queries use these.
DROP INDEX persons_name;
CREATE INDEX persons_name ON persons (kode_desa, name_std);
DROP INDEX families_desa;
CREATE INDEX families_desa ON families (kode_desa);
