//! Guideline PDFs attached to schema versions: checked when attached (a PDF that parses,
//! within size and page limits), stored as a work-tier blob, and shown one page at a time
//! as a PNG rendered in Rust with `hayro` (pure Rust, no network, no PDF viewer needed in
//! the webview). Anyone who may see schemas may read their guideline.

use crate::error::{AppError, ErrorCode};
use crate::session::Session;
use airlock_model::Action;
use airlock_vault::{BlobRef, Tier};
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{render, PixmapSettings, RenderCache, RenderSettings};
use sqlx::Row;

/// The largest guideline PDF accepted.
pub(crate) const MAX_PDF_BYTES: usize = 20 * 1024 * 1024;
/// The most pages a guideline PDF may have.
pub(crate) const MAX_PDF_PAGES: usize = 500;
/// Pages are rendered this many pixels wide (about 150 dpi for A4 or Letter).
const PAGE_WIDTH_PX: f32 = 1240.0;

/// The number of pages of a guideline PDF, or one sentence on why it is refused.
pub(crate) fn check_pdf(bytes: &[u8]) -> Result<u32, AppError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(AppError::invalid("A guideline PDF must be under 20 MB."));
    }
    let pdf = Pdf::new(bytes.to_vec()).map_err(|_| {
        AppError::invalid("This guideline is not a readable PDF (or it is password-protected).")
    })?;
    let pages = pdf.pages().len();
    if pages == 0 || pages > MAX_PDF_PAGES {
        return Err(AppError::invalid(format!(
            "A guideline PDF has 1 to {MAX_PDF_PAGES} pages; this one has {pages}."
        )));
    }
    Ok(pages as u32)
}

/// Page `page` (from 0) of a PDF as a PNG, white behind.
fn render_page(bytes: Vec<u8>, page: u32) -> Result<Vec<u8>, AppError> {
    let unreadable = || AppError::invalid("This guideline page could not be rendered.");
    let pdf = Pdf::new(bytes).map_err(|_| unreadable())?;
    let pages = pdf.pages();
    let Some(p) = pages.get(page as usize) else {
        return Err(AppError::invalid(format!(
            "Page {} does not exist: this guideline has {} pages.",
            page + 1,
            pages.len()
        )));
    };
    let (width, _) = p.render_dimensions();
    let scale = (PAGE_WIDTH_PX / width.max(1.0)).clamp(0.25, 4.0);
    let pixmap = render(
        p,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    pixmap.into_png().map_err(|_| unreadable())
}

impl Session {
    /// Page `page` (from 0) of a schema version's guideline PDF, as a PNG. Leads,
    /// annotators and reviewers (annotators and reviewers: published versions only).
    pub async fn guideline_page(&self, schema_id: &str, page: u32) -> Result<Vec<u8>, AppError> {
        let _grant = self.authorize(Action::ViewSchemas).await?;
        let row = sqlx::query(
            "SELECT guideline_pdf_blob, guideline_pdf_size, status FROM schemas WHERE id = ?",
        )
        .bind(schema_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No schema has this id."))?;
        if self.role != airlock_model::Role::Lead && row.get::<String, _>(2) != "published" {
            return Err(AppError::new(ErrorCode::NotFound, "No schema has this id."));
        }
        let (Some(name), Some(size)) = (
            row.get::<Option<String>, _>(0),
            row.get::<Option<i64>, _>(1),
        ) else {
            return Err(AppError::new(
                ErrorCode::NotFound,
                "This schema version has no guideline PDF.",
            ));
        };
        let blobs = self.vault.blobs(&self.keys.work, None);
        let blob = BlobRef {
            tier: Tier::Work,
            name,
            size: size as u64,
        };
        tokio::task::spawn_blocking(move || render_page(blobs.read_all(&blob)?, page))
            .await
            .map_err(|_| {
                AppError::new(
                    ErrorCode::Internal,
                    "The guideline page could not be rendered.",
                )
            })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_and_oversized_files_are_refused_in_one_sentence() {
        let e = check_pdf(b"%PDF-1.7 but nothing else").unwrap_err();
        assert!(
            e.message
                .starts_with("This guideline is not a readable PDF"),
            "{}",
            e.message
        );
        let e = check_pdf(&vec![b' '; MAX_PDF_BYTES + 1]).unwrap_err();
        assert_eq!(e.message, "A guideline PDF must be under 20 MB.");
    }
}
