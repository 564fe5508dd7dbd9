-- Consolidation (issue 6): the golden record of every family and member as of the snapshot
-- (the DTSEN export's fields, each with its source), and the consolidation report.
ALTER TABLE snapshot_families ADD COLUMN attrs TEXT;   -- JSON object: export fields, sources, notes
ALTER TABLE snapshot_members ADD COLUMN attrs TEXT;    -- JSON object: export fields, sources, flags

CREATE TABLE snapshot_reports (
    snapshot_id TEXT PRIMARY KEY REFERENCES snapshots(id),
    report      TEXT NOT NULL                          -- consolidation-report.json
);
CREATE TRIGGER snapshot_reports_frozen BEFORE INSERT OR UPDATE OR DELETE ON snapshot_reports
    FOR EACH ROW EXECUTE FUNCTION dtsen_snapshot_frozen();

CREATE INDEX memberships_open ON memberships (kode_provinsi, family_id) WHERE valid_to IS NULL;
