//! PNG and JPEG de-identification inside the vault (leads only), beside DICOM's: each image
//! is decoded upright and written again as a PNG of its pixels alone (every metadata
//! segment dropped), words OCR reads are blacked out and the result re-scanned (when
//! tesseract is installed), and the lead checks each image beside its original in the
//! same pane as DICOM, drawing any region the proposal missed. Validation and sign-off are
//! the text step's.

use crate::deid_dicom_items::{pixel_facts, read_source, shown_region, StoredRecord};
use crate::deid_items::{damaged, Source};
use crate::error::AppError;
use crate::json::{DeidStatus, DicomHeaderRow, DicomReview};
use crate::session::Session;
use airlock_deid_image::{
    decode, deidentify, inventory, propose, ImageDeidError, ImageDeidOutput, OcrEngine, Policy,
    Region,
};
use airlock_vault::BlobStore;
use base64::Engine as _;

/// The `method` of image results.
pub(crate) const METHOD: &str = "image_reencode";

/// The longest side of the frames shown in the review (regions stay in image pixels).
const PREVIEW_SIDE: u32 = 1024;

/// De-identifies one image, blacking out `regions` besides the ones OCR proposes.
pub(crate) fn clean(
    ocr: Option<&OcrEngine>,
    bytes: &[u8],
    regions: &[Region],
) -> Result<ImageDeidOutput, ImageDeidError> {
    deidentify(bytes, &Policy::default(), ocr, regions)
}

impl Session {
    /// The review of a PNG or JPEG item: both images (scaled to [`PREVIEW_SIDE`]), the
    /// regions OCR proposes on the original and the lead's own, and the file's format and
    /// metadata segments as header rows (their readable text shown to the lead only, never
    /// stored).
    pub(crate) fn image_review_of(
        &self,
        blobs: &BlobStore,
        s: &Source,
        output: &[u8],
        (status, revision, misses): (DeidStatus, u32, u32),
        stored: &StoredRecord,
    ) -> Result<DicomReview, AppError> {
        let original = read_source(blobs, s).map_err(|_| damaged())?;
        let policy = Policy::default();
        let before = decode(&original, &policy).map_err(|_| damaged())?;
        let after = decode(output, &policy).map_err(|_| damaged())?;
        let (frame_columns, frame_rows, original_rgb) = before.preview_rgb8(PREVIEW_SIDE);
        let (_, _, result_rgb) = after.preview_rgb8(PREVIEW_SIDE);
        let b64 = |px: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(px);
        let ocr = Self::ocr_engine();
        let proposed = match &ocr {
            Some(engine) => propose(&before, &policy, engine)
                .map(|p| p.regions)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let record = &stored.record;
        let facts = pixel_facts(record);
        let format_in = record["format_in"].as_str().unwrap_or_default();
        let mut header = vec![DicomHeaderRow {
            path: "format".into(),
            tag: String::new(),
            keyword: "File format".into(),
            vr: String::new(),
            original: Some(format_in.to_uppercase()),
            result: Some("PNG".into()),
            treatment: Some("re_encoded".into()),
            code: None,
        }];
        if let Some(o) = record["orientation_applied"].as_str() {
            header.push(DicomHeaderRow {
                path: "orientation".into(),
                tag: String::new(),
                keyword: "EXIF orientation".into(),
                vr: String::new(),
                original: Some(o.to_string()),
                result: Some("upright".into()),
                treatment: Some("applied".into()),
                code: None,
            });
        }
        for (i, seg) in inventory(&original).into_iter().enumerate() {
            let text = seg.text.expose();
            header.push(DicomHeaderRow {
                path: format!("metadata/{}/{}", seg.kind.as_str(), i + 1),
                tag: seg.container.to_string(),
                keyword: seg.kind.as_str().replace('_', " "),
                vr: String::new(),
                original: Some(if text.is_empty() {
                    format!("({} bytes)", seg.size)
                } else {
                    text.chars().take(80).collect()
                }),
                result: None,
                treatment: Some("removed".into()),
                code: None,
            });
        }
        Ok(DicomReview {
            item_id: s.item_id.clone(),
            number: s.number,
            source_name: crate::batches::source_name(
                blobs,
                &s.file_id,
                &s.sealed,
                s.part,
                &s.file_kind,
            )?,
            method: METHOD.into(),
            status,
            revision,
            misses,
            columns: before.width(),
            rows: before.height(),
            frame_columns,
            frame_rows,
            frame_channels: 3,
            frames: 1,
            original_frame: Some(b64(original_rgb)),
            result_frame: Some(b64(result_rgb)),
            proposed: proposed.iter().map(shown_region).collect(),
            hand_regions: stored.hand_regions.iter().map(shown_region).collect(),
            risk: facts.risk,
            pixels_cleaned: facts.cleaned,
            pixel_regions: facts.regions,
            residual_words: facts.residual_words,
            needs_pixel_review: facts.needs_review,
            ocr_available: ocr.is_some(),
            device: None,
            device_template: None,
            template_applied: facts.template_applied,
            method_codes: Vec::new(),
            profile_edition: String::new(),
            header,
        })
    }
}
