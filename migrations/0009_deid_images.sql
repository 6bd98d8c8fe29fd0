-- PNG and JPEG items are de-identified in the vault too (re-encoded as PNG without their
-- metadata, burned-in text blacked out), so a result's method may be 'image_reencode'.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
-- columns and every row copied, as in 0006.

CREATE TABLE deid_results_v2 (
    item_id      TEXT PRIMARY KEY NOT NULL REFERENCES items(id),
    method       TEXT NOT NULL CHECK (method IN ('safe_harbor_text', 'ps315_dicom', 'image_reencode')),
    policy       TEXT NOT NULL CHECK (policy IN ('safe_harbor', 'pseudonymize')),
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'validated', 'validated_by_sample', 'failed')),
    -- Why de-identification failed (a fixed code; no content).
    failure      TEXT,
    output_blob  TEXT,
    output_size  INTEGER,
    -- Text: the span log. DICOM and images: the redaction record and the lead's regions.
    log_blob     TEXT,
    log_size     INTEGER,
    findings     INTEGER NOT NULL DEFAULT 0,
    -- Findings per category (text) or per treatment (DICOM, images), JSON.
    categories   TEXT NOT NULL DEFAULT '{}',
    revision     INTEGER NOT NULL DEFAULT 1,
    -- Identifiers (spans, pixel regions) the lead added by hand, over all revisions.
    misses       INTEGER NOT NULL DEFAULT 0,
    -- Detections the lead removed (false positives), over all revisions.
    removed      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users(id),
    validated_at TEXT,
    validated_by TEXT REFERENCES users(id)
) STRICT;

INSERT INTO deid_results_v2 (item_id, method, policy, status, failure, output_blob, output_size,
    log_blob, log_size, findings, categories, revision, misses, removed, created_at, created_by,
    validated_at, validated_by)
SELECT item_id, method, policy, status, failure, output_blob, output_size, log_blob, log_size,
    findings, categories, revision, misses, removed, created_at, created_by, validated_at,
    validated_by
FROM deid_results;

DROP TABLE deid_results;
ALTER TABLE deid_results_v2 RENAME TO deid_results;
CREATE INDEX deid_results_status ON deid_results(status);
