-- De-identification of received text items, their validation by a lead, and the signed
-- sign-off that releases a batch for annotation. Outputs and redaction logs are work-tier
-- blobs (de-identified; logs hold offsets and categories, never original text).

CREATE TABLE deid_results (
    item_id      TEXT PRIMARY KEY NOT NULL REFERENCES items(id),
    method       TEXT NOT NULL CHECK (method IN ('safe_harbor_text')),
    policy       TEXT NOT NULL CHECK (policy IN ('safe_harbor', 'pseudonymize')),
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'validated', 'validated_by_sample', 'failed')),
    -- Why de-identification failed (a fixed code; no content).
    failure      TEXT,
    output_blob  TEXT,
    output_size  INTEGER,
    log_blob     TEXT,
    log_size     INTEGER,
    findings     INTEGER NOT NULL DEFAULT 0,
    -- Findings per Safe Harbor category, JSON.
    categories   TEXT NOT NULL DEFAULT '{}',
    revision     INTEGER NOT NULL DEFAULT 1,
    -- Identifiers the lead added by hand (the detector missed them), over all revisions.
    misses       INTEGER NOT NULL DEFAULT 0,
    -- Detections the lead removed (false positives), over all revisions.
    removed      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users(id),
    validated_at TEXT,
    validated_by TEXT REFERENCES users(id)
) STRICT;

CREATE INDEX deid_results_status ON deid_results(status);

CREATE TABLE deid_signoffs (
    batch_id    TEXT PRIMARY KEY NOT NULL REFERENCES batches(id),
    signed_by   TEXT NOT NULL REFERENCES users(id),
    signed_at   TEXT NOT NULL,
    -- The signed statement (JSON: batch, items, sample size, misses, policy) and the
    -- signer's Ed25519 signature over it, hex.
    body        TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
) STRICT;

-- The CSV column or JSONL field an item's text was cut from (NULL: the defaults), so
-- later steps split rows exactly as the ingest did.
ALTER TABLE source_files ADD COLUMN row_field TEXT;
