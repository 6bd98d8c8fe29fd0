-- Airlock vault database, foundation schema.
-- The database holds no PHI: identifiable content lives in source-tier blobs.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id                 TEXT PRIMARY KEY NOT NULL,
    name               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role               TEXT NOT NULL CHECK (role IN ('lead', 'annotator', 'reviewer', 'compliance')),
    status             TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at         TEXT NOT NULL,
    created_by         TEXT REFERENCES users(id),
    disabled_at        TEXT,
    signing_public_key TEXT NOT NULL,
    age_recipient      TEXT NOT NULL,
    totp_secret        TEXT,
    totp_enabled       INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
    -- The last 30-second step whose code was accepted: a code is never accepted twice.
    totp_last_step     INTEGER
) STRICT;

-- Every signing key a user has had, so signatures made before a key reset still verify.
CREATE TABLE signing_keys (
    public_key TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users(id),
    started_at        TEXT NOT NULL,
    ended_at          TEXT,
    end_reason        TEXT,
    break_glass_until TEXT
) STRICT;

-- Free-text reasons (break-glass, and later label changes). Audit events refer to a
-- reason by id and SHA-256, never by its text.
CREATE TABLE reasons (
    id         TEXT PRIMARY KEY NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    ts          TEXT NOT NULL,
    actor_id    TEXT,
    actor_role  TEXT,
    session_id  TEXT,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    object_kind TEXT,
    object_id   TEXT,
    detail      TEXT NOT NULL,
    break_glass INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
) STRICT;

CREATE INDEX audit_events_actor ON audit_events(actor_id);
CREATE INDEX audit_events_action ON audit_events(action);
CREATE INDEX audit_events_ts ON audit_events(ts);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE audit_checkpoints (
    seq        INTEGER PRIMARY KEY NOT NULL REFERENCES audit_events(seq),
    head_hash  TEXT NOT NULL,
    signer_id  TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL,
    ts         TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;

-- Pre-login events imported from intake files, so a file is never imported twice.
CREATE TABLE intake_imported (
    id TEXT PRIMARY KEY NOT NULL
) STRICT;
