-- Deliverables that left the vault (so a certificate of destruction can list what still
-- exists elsewhere), annotators' qualifications for the compliance package, and the
-- project's retention.

CREATE TABLE exports (
    id          TEXT PRIMARY KEY NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    -- "BagIt bag, age-encrypted tar" or "BagIt bag, plaintext directory".
    form        TEXT NOT NULL,
    -- age recipients, "passphrase", or "none (plaintext)".
    recipient   TEXT NOT NULL,
    what        TEXT NOT NULL,
    items       INTEGER NOT NULL,
    file_sha256 TEXT,
    plaintext   INTEGER NOT NULL CHECK (plaintext IN (0, 1)),
    reason_id   TEXT NOT NULL REFERENCES reasons(id)
) STRICT;

CREATE TABLE qualifications (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('training', 'attestation', 'certification')),
    title      TEXT NOT NULL,
    date       TEXT NOT NULL,
    note       TEXT,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
) STRICT;
