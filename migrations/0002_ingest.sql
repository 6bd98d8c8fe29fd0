-- Receiving data: batches (one delivery each), the files that arrived, and the items
-- made from them. Nothing identifying is stored in the clear: original file names and a
-- sender's checksums are sealed with the source key (leads only); lookups go through
-- keyed tags.

CREATE TABLE batches (
    id              TEXT PRIMARY KEY NOT NULL,
    -- Keyed tag of the source folder, its manifest and its listing: a rerun finds its
    -- unfinished batch again, and a delivery offered twice is recognised.
    source_tag      TEXT NOT NULL UNIQUE,
    mode            TEXT NOT NULL CHECK (mode IN ('folder', 'manifest', 'bagit')),
    status          TEXT NOT NULL CHECK (status IN
                        ('receiving', 'received', 'needs_decision', 'released', 'aborted')),
    received_by     TEXT NOT NULL REFERENCES users(id),
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    -- Files and bytes per verdict, JSON (counts only).
    counts          TEXT NOT NULL DEFAULT '{}',
    -- The signed receipt: a source-tier blob, and its body's SHA-256.
    receipt_blob    TEXT,
    receipt_size    INTEGER,
    receipt_sha256  TEXT,
    decided_by      TEXT REFERENCES users(id),
    decided_at      TEXT,
    decision_reason TEXT REFERENCES reasons(id)
) STRICT;

CREATE TABLE source_files (
    id          TEXT PRIMARY KEY NOT NULL,
    batch_id    TEXT NOT NULL REFERENCES batches(id),
    -- Keyed tag of the relative path within the batch (resume lookup).
    path_tag    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER,
    kind        TEXT NOT NULL CHECK (kind IN
                    ('dicom', 'png', 'jpeg', 'text', 'csv', 'jsonl', 'unsupported')),
    verdict     TEXT NOT NULL CHECK (verdict IN
                    ('verified', 'baseline', 'mismatched', 'extra', 'empty', 'unsupported')),
    blob_name   TEXT NOT NULL,
    -- Sealed (source key, bound to this row's id) JSON: relative path, SHA-256, expected
    -- digests, a short note.
    sealed      BLOB NOT NULL,
    stored_at   TEXT NOT NULL,
    UNIQUE (batch_id, path_tag)
) STRICT;

CREATE INDEX source_files_batch ON source_files(batch_id);

CREATE TABLE items (
    id             TEXT PRIMARY KEY NOT NULL,
    -- A short number for people ("item 42"); never reused.
    number         INTEGER NOT NULL UNIQUE,
    batch_id       TEXT NOT NULL REFERENCES batches(id),
    source_file_id TEXT NOT NULL REFERENCES source_files(id),
    -- CSV data record or JSONL line number; 0 for a whole-file item.
    part           INTEGER NOT NULL DEFAULT 0,
    kind           TEXT NOT NULL CHECK (kind IN ('text', 'dicom', 'png', 'jpeg', 'unsupported')),
    size           INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('held', 'received', 'quarantined', 'discarded')),
    created_at     TEXT NOT NULL,
    UNIQUE (source_file_id, part)
) STRICT;

CREATE INDEX items_batch ON items(batch_id);
CREATE INDEX items_status ON items(status);
