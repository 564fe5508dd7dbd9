-- Consolidation (issue 6): the golden record of every family and member as of the snapshot
-- (the DTSEN export's fields, each with its source), and the consolidation report.
ALTER TABLE snapshot_families ADD COLUMN attrs TEXT;   -- JSON object: export fields, sources, notes
ALTER TABLE snapshot_members ADD COLUMN attrs TEXT;    -- JSON object: export fields, sources, flags

CREATE TABLE snapshot_reports (
    snapshot_id TEXT PRIMARY KEY REFERENCES snapshots(id),
    report      TEXT NOT NULL                          -- consolidation-report.json
);
CREATE TRIGGER snapshot_reports_frozen_insert BEFORE INSERT ON snapshot_reports
    WHEN EXISTS (SELECT 1 FROM snapshots WHERE id = NEW.snapshot_id AND status = 'published')
    BEGIN SELECT RAISE(ABORT, 'snapshot is published and cannot be changed'); END;
CREATE TRIGGER snapshot_reports_frozen_update BEFORE UPDATE ON snapshot_reports
    WHEN EXISTS (SELECT 1 FROM snapshots WHERE id IN (OLD.snapshot_id, NEW.snapshot_id) AND status = 'published')
    BEGIN SELECT RAISE(ABORT, 'snapshot is published and cannot be changed'); END;
CREATE TRIGGER snapshot_reports_frozen_delete BEFORE DELETE ON snapshot_reports
    WHEN EXISTS (SELECT 1 FROM snapshots WHERE id = OLD.snapshot_id AND status = 'published')
    BEGIN SELECT RAISE(ABORT, 'snapshot is published and cannot be changed'); END;

CREATE INDEX memberships_open ON memberships (kode_provinsi, family_id) WHERE valid_to IS NULL;
