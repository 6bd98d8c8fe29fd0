-- Region templates per device model: the regions a lead drew on one image, blacked out on
-- every image at risk of burned-in text from the same manufacturer and model (and size)
-- that is de-identified or cleaned again afterwards. Device identity is not PHI; the
-- template names the item it was drawn on, not the item's file.
CREATE TABLE region_templates (
    id TEXT PRIMARY KEY,
    manufacturer TEXT NOT NULL COLLATE NOCASE CHECK (length(manufacturer) BETWEEN 1 AND 64),
    model TEXT NOT NULL COLLATE NOCASE CHECK (length(model) BETWEEN 1 AND 64),
    columns INTEGER NOT NULL CHECK (columns > 0),
    rows INTEGER NOT NULL CHECK (rows > 0),
    regions TEXT NOT NULL,
    from_item TEXT NOT NULL REFERENCES items(id),
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    UNIQUE (manufacturer, model, columns, rows)
);
