-- Label schemas (versioned, with their guideline), assignments of released items to
-- annotators, annotations with their full change history, reviews and gold labels.
-- Label values refer to de-identified content; audit events carry their hashes, not them.

CREATE TABLE schemas (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    task         TEXT NOT NULL CHECK (task IN
                     ('text_spans', 'text_classification', 'image_boxes', 'image_polygons', 'image_classification')),
    -- JSON: {"labels": [{"name", "key", "color", "description"}], "multi": bool}
    body         TEXT NOT NULL,
    -- Markdown guideline of this version.
    guideline    TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users(id),
    published_at TEXT,
    UNIQUE (name, version)
) STRICT;

CREATE TABLE assignments (
    id           TEXT PRIMARY KEY NOT NULL,
    item_id      TEXT NOT NULL REFERENCES items(id),
    annotator_id TEXT NOT NULL REFERENCES users(id),
    schema_id    TEXT NOT NULL REFERENCES schemas(id),
    status       TEXT NOT NULL CHECK (status IN ('assigned', 'in_progress', 'submitted', 'rejected', 'accepted')),
    assigned_by  TEXT NOT NULL REFERENCES users(id),
    assigned_at  TEXT NOT NULL,
    submitted_at TEXT,
    -- The reviewer's comment when rejected (a reason id).
    comment      TEXT REFERENCES reasons(id),
    -- Whether it was ever submitted (changes after that need a reason).
    was_submitted INTEGER NOT NULL DEFAULT 0 CHECK (was_submitted IN (0, 1)),
    UNIQUE (item_id, annotator_id, schema_id)
) STRICT;

CREATE INDEX assignments_annotator ON assignments(annotator_id, status);
CREATE INDEX assignments_item ON assignments(item_id, schema_id);

CREATE TABLE annotations (
    assignment_id TEXT PRIMARY KEY NOT NULL REFERENCES assignments(id),
    value         TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE annotation_changes (
    id             TEXT PRIMARY KEY NOT NULL,
    assignment_id  TEXT NOT NULL REFERENCES assignments(id),
    revision       INTEGER NOT NULL,
    old_value      TEXT,
    new_value      TEXT NOT NULL,
    reason_id      TEXT REFERENCES reasons(id),
    schema_id      TEXT NOT NULL REFERENCES schemas(id),
    changed_by     TEXT NOT NULL REFERENCES users(id),
    changed_at     TEXT NOT NULL,
    UNIQUE (assignment_id, revision)
) STRICT;

CREATE TRIGGER annotation_changes_no_update BEFORE UPDATE ON annotation_changes
BEGIN SELECT RAISE(ABORT, 'annotation history is append-only'); END;
CREATE TRIGGER annotation_changes_no_delete BEFORE DELETE ON annotation_changes
BEGIN SELECT RAISE(ABORT, 'annotation history is append-only'); END;

CREATE TABLE reviews (
    id            TEXT PRIMARY KEY NOT NULL,
    item_id       TEXT NOT NULL REFERENCES items(id),
    schema_id     TEXT NOT NULL REFERENCES schemas(id),
    reviewer_id   TEXT NOT NULL REFERENCES users(id),
    decision      TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'adjudicate')),
    assignment_id TEXT REFERENCES assignments(id),
    gold_value    TEXT,
    comment       TEXT REFERENCES reasons(id),
    decided_at    TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    signature     TEXT NOT NULL
) STRICT;

CREATE TABLE gold (
    item_id    TEXT NOT NULL REFERENCES items(id),
    schema_id  TEXT NOT NULL REFERENCES schemas(id),
    value      TEXT NOT NULL,
    review_id  TEXT NOT NULL REFERENCES reviews(id),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (item_id, schema_id)
) STRICT;
