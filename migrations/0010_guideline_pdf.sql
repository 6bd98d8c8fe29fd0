-- A schema version may carry its guideline as a PDF besides (or instead of) Markdown. The
-- PDF is a work-tier blob (guidelines hold no PHI); its SHA-256 is part of the version, so
-- every label made under the version names the exact document.
ALTER TABLE schemas ADD COLUMN guideline_pdf_blob TEXT;
ALTER TABLE schemas ADD COLUMN guideline_pdf_size INTEGER;
ALTER TABLE schemas ADD COLUMN guideline_pdf_sha256 TEXT;
ALTER TABLE schemas ADD COLUMN guideline_pdf_pages INTEGER;
