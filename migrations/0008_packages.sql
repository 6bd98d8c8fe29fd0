-- Work packages between laptops: contact cards bound to accounts, packages issued by a
-- lead or opened in an annotator's workspace vault, the assignments each carries, the
-- versions kept when a result conflicts, and the audit chains merged from workspaces.
-- Package content (de-identified items, labels) never lands here as such: labels join
-- the ordinary annotation tables; this holds ids, keys, hashes and states.

-- The public keys of a person's contact card (an annotator's workspace keys), bound to
-- their account by a lead. Packages to them are encrypted to `age_recipient`; their
-- results must be signed by `signing_key` and come from `card_vault_id`.
CREATE TABLE contacts (
    user_id       TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    card_user_id  TEXT NOT NULL,
    card_vault_id TEXT NOT NULL,
    age_recipient TEXT NOT NULL,
    signing_key   TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    imported_by   TEXT NOT NULL REFERENCES users(id)
) STRICT;

-- Assignment packages: issued by this vault (a lead's), or opened into it (a workspace).
CREATE TABLE packages (
    id              TEXT PRIMARY KEY NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('issued', 'opened')),
    -- Issued: the annotator it is for. Opened: the workspace's own user.
    user_id         TEXT NOT NULL REFERENCES users(id),
    source_vault    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('issued', 'merged', 'revoked', 'opened', 'returned')),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    -- The signing key of the lead who issued it.
    issuer_key      TEXT NOT NULL,
    -- Opened: the recipient results are encrypted to.
    reply_recipient TEXT,
    -- SHA-256 of the package file.
    file_sha256     TEXT NOT NULL,
    -- The result package merged (issued) or written (opened) for it.
    result_id       TEXT,
    closed_at       TEXT,
    revoke_reason   TEXT REFERENCES reasons(id)
) STRICT;

CREATE TABLE package_assignments (
    package_id    TEXT NOT NULL REFERENCES packages(id),
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    -- The label revision and assignment state the package carried (revision 0: no labels);
    -- a result builds on them, and a vault that moved on since is a conflict.
    base_revision INTEGER NOT NULL,
    base_status   TEXT NOT NULL,
    PRIMARY KEY (package_id, assignment_id)
) STRICT;

CREATE INDEX package_assignments_assignment ON package_assignments(assignment_id);

-- A result whose assignment changed in the vault meanwhile: the vault's labels stay, the
-- package's labels and history are kept here, and the item goes to review.
CREATE TABLE package_conflicts (
    package_id    TEXT NOT NULL REFERENCES packages(id),
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    -- JSON: the package's labels.
    value         TEXT NOT NULL,
    -- JSON: the package's change history for the assignment.
    history       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (package_id, assignment_id)
) STRICT;

-- Each workspace's audit chain as merged, event by event (JSON of the hashed record), so
-- `audit verify` re-walks it from the workspace's genesis and checks every merge event's
-- link to it.
CREATE TABLE audit_segments (
    workspace_vault TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    hash            TEXT NOT NULL,
    event           TEXT NOT NULL,
    PRIMARY KEY (workspace_vault, seq)
) STRICT;

CREATE TRIGGER audit_segments_no_update BEFORE UPDATE ON audit_segments
BEGIN SELECT RAISE(ABORT, 'audit segments are append-only'); END;
CREATE TRIGGER audit_segments_no_delete BEFORE DELETE ON audit_segments
BEGIN SELECT RAISE(ABORT, 'audit segments are append-only'); END;
