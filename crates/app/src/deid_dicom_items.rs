//! DICOM de-identification inside the vault (leads only): received DICOM items go through
//! PS3.15 Annex E (the Basic Profile with the options the project's policy implies, keyed
//! UIDs, pseudonyms and date shifts from the same project key as the text step) and, where
//! tesseract is installed, OCR-proposed burned-in text is blacked out and re-scanned. The
//! lead reviews each image: the header before and after, the original and cleaned frame
//! with the proposed regions, and may draw regions the proposal missed (the item is
//! cleaned again with them; they count as misses). Validation and sign-off are the text
//! step's, so a batch is released only when both kinds are checked.
//!
//! The output (de-identified DICOM) and its redaction record are work-tier blobs; the
//! record holds attribute paths, actions and codes, never an original value.
//!
//! PNG and JPEG items share the review and the cleaning with their own de-identifier
//! (`crate::deid_image_items`): the same result rows, records and pane.

use crate::deid_items::{damaged, policy_name, Source};
use crate::dicom_files::SafeHarborText;
use crate::error::{AppError, ErrorCode};
use crate::json::{
    DeidItemReview, DeidStatus, DeidTextPolicy, DeviceModel, DicomHeaderRow, DicomRegion,
    DicomReview,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_deid_dicom::{
    inspect, preview_frame, propose_regions, AutoClean, DeidOutput, Deidentifier, OcrEngine,
    Policy, ProfileOption, Region, RegionTemplate,
};
use airlock_model::{Action, EventKind, Outcome};
use airlock_vault::{purpose, BlobRef, BlobStore, Tier};
use base64::Engine as _;
use sqlx::Row;
use std::collections::BTreeMap;

/// Items per transaction: DICOM files are large, so fewer than for text.
const CHUNK: usize = 20;
/// The most regions a lead may draw on one image (or keep as a device template).
pub(crate) const MAX_HAND_REGIONS: usize = 200;

/// The DICOM policy the project's de-identification policy implies: Safe Harbor keeps
/// descriptions only after text de-identification; pseudonymisation also keeps shifted
/// dates and patient characteristics (ages over 89 aggregated). Burned-in text is cleaned
/// with the leads' device templates, and with OCR when tesseract is there.
fn dicom_policy(p: DeidTextPolicy, ocr: bool, templates: Vec<RegionTemplate>) -> Policy {
    let mut options = vec![ProfileOption::CleanDescriptors];
    if p == DeidTextPolicy::Pseudonymize {
        options.extend([
            ProfileOption::RetainLongitudinalModifiedDates,
            ProfileOption::RetainPatientCharacteristics,
        ]);
    }
    let mut policy = Policy::with_options(options);
    policy.pixels.auto_clean = if ocr {
        AutoClean::TemplatesAndOcr
    } else if templates.is_empty() {
        AutoClean::Never
    } else {
        AutoClean::Templates
    };
    policy.pixels.templates = templates;
    policy
}

/// What the work-tier log blob of a DICOM (or image) result holds.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredRecord {
    /// The redaction record (JSON of `airlock_deid_dicom::RedactionLogEntry`, or of
    /// `airlock_deid_image::ImageRecord`).
    pub(crate) record: serde_json::Value,
    /// Regions the lead drew.
    pub(crate) hand_regions: Vec<Region>,
}

/// Whether an image may still show burned-in text: at risk, and no re-scan confirmed the
/// cleaning.
pub(crate) fn needs_pixel_review(record: &serde_json::Value) -> bool {
    let at_risk = record["burned_in_risk"]
        .as_array()
        .is_some_and(|r| !r.is_empty());
    let rescan_clean = record["pixels"]["rescan"]["residual_words"].as_u64() == Some(0);
    at_risk && !rescan_clean
}

/// What a review shows of a stored record's pixel part (the DICOM and the image records
/// name these fields alike).
pub(crate) struct PixelFacts {
    /// Why the image may carry burned-in text.
    pub(crate) risk: Vec<String>,
    /// Whether pixels were blacked out.
    pub(crate) cleaned: bool,
    /// Regions blacked out.
    pub(crate) regions: u32,
    /// Words a re-scan still read (`None`: no re-scan).
    pub(crate) residual_words: Option<u32>,
    /// At risk and not confirmed clean.
    pub(crate) needs_review: bool,
    /// Cleaned with a device template (never, for PNG and JPEG records).
    pub(crate) template_applied: bool,
}

pub(crate) fn pixel_facts(record: &serde_json::Value) -> PixelFacts {
    PixelFacts {
        risk: record["burned_in_risk"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(String::from))
            .collect(),
        cleaned: record["pixels"]["cleaned"].as_bool().unwrap_or(false),
        regions: record["pixels"]["regions"].as_u64().unwrap_or(0) as u32,
        residual_words: record["pixels"]["rescan"]["residual_words"]
            .as_u64()
            .map(|n| n as u32),
        needs_review: needs_pixel_review(record),
        template_applied: record["pixels"]["region_sources"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "template")),
    }
}

/// A region as the review shows it.
pub(crate) fn shown_region(r: &Region) -> DicomRegion {
    DicomRegion {
        x: r.x,
        y: r.y,
        width: r.width,
        height: r.height,
    }
}

/// A region as the lead drew it, for the de-identifier.
pub(crate) fn region_of(r: &DicomRegion) -> Region {
    Region {
        x: r.x,
        y: r.y,
        width: r.width,
        height: r.height,
    }
}

/// Findings per treatment ("removed", "uid_replaced", …) plus blacked-out regions.
pub(crate) fn treatment_counts(record: &serde_json::Value) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for c in record["changes"].as_array().into_iter().flatten() {
        if let Some(t) = c["treatment"].as_str() {
            *out.entry(t.to_string()).or_default() += c["count"].as_u64().unwrap_or(1);
        }
    }
    if let Some(r) = record["pixels"]["regions"].as_u64().filter(|r| *r > 0) {
        out.insert("pixel_regions".into(), r);
    }
    out
}

/// `(0008,1140)[0].(0008,1155)` → `(0008,1140)[*].(0008,1155)`, the form changes use.
fn pattern_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

impl Session {
    /// The OCR engine, when tesseract is installed (its absence is not an error: images at
    /// risk are then flagged for the lead's review instead of cleaned).
    pub(crate) fn ocr_engine() -> Option<OcrEngine> {
        OcrEngine::detect().ok()
    }

    fn dicom_keys(
        &self,
    ) -> Result<
        (
            airlock_deid_dicom::ProjectKey,
            airlock_deid::text::Deidentifier,
        ),
        AppError,
    > {
        let source = self.keys.source.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                "This account's keys cannot read original data.",
            )
        })?;
        let bytes = source.derive(purpose::DEID_PROJECT);
        Ok((
            airlock_deid_dicom::ProjectKey::from_bytes(*bytes.expose()),
            airlock_deid::text::Deidentifier::new(
                airlock_deid::text::Policy::safe_harbor(),
                airlock_deid::key::ProjectKey::from_bytes(*bytes.expose()),
            ),
        ))
    }

    /// De-identifies received DICOM items (or, with `images`, PNG and JPEG items) not done
    /// yet (of one batch, or all), in transactions of [`CHUNK`] with one audit event each.
    /// Returns (items, failed, findings, counts per treatment).
    pub(crate) async fn deid_run_pixels(
        &self,
        blobs: &BlobStore,
        policy: DeidTextPolicy,
        batch: Option<&str>,
        images: bool,
    ) -> Result<(u64, u64, u64, BTreeMap<String, u64>), AppError> {
        let (kinds, method, not_readable) = if images {
            (
                "('png', 'jpeg')",
                crate::deid_image_items::METHOD,
                "not_an_image",
            )
        } else {
            ("('dicom')", "ps315_dicom", "not_dicom")
        };
        let mut where_ = format!(
            "i.status = 'received' AND i.kind IN {kinds} \
             AND NOT EXISTS (SELECT 1 FROM deid_results d WHERE d.item_id = i.id)"
        );
        if batch.is_some() {
            where_.push_str(" AND i.batch_id = ?");
        }
        let todo = self.sources(&where_, batch).await?;
        let (mut items, mut failed, mut findings) = (0u64, 0u64, 0u64);
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        if todo.is_empty() {
            return Ok((0, 0, 0, totals));
        }
        let ocr = Self::ocr_engine();
        let dicom_policy = dicom_policy(policy, ocr.is_some(), self.device_templates().await?);
        let (key, text) = self.dicom_keys()?;
        for chunk in todo.chunks(CHUNK) {
            let outcomes: Vec<Result<(Vec<u8>, serde_json::Value), &'static str>> = chunk
                .iter()
                .map(|s| {
                    read_source(blobs, s).and_then(|bytes| {
                        if images {
                            crate::deid_image_items::clean(ocr.as_ref(), &bytes, &[])
                                .map(|out| {
                                    let record = serde_json::to_value(&out.record)
                                        .expect("image records serialise");
                                    (out.bytes, record)
                                })
                                .map_err(|_| not_readable)
                        } else {
                            clean(&dicom_policy, &key, &text, ocr.as_ref(), &bytes, &[])
                                .map(|out| {
                                    let record = serde_json::to_value(&out.log)
                                        .expect("redaction records serialise");
                                    (out.bytes, record)
                                })
                                .map_err(|_| not_readable)
                        }
                    })
                })
                .collect();
            let now = rfc3339(self.now());
            let mut tx = self.begin().await?;
            let (mut c_items, mut c_failed, mut c_findings) = (0u64, 0u64, 0u64);
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for (s, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Err(code) => {
                        sqlx::query(
                            "INSERT INTO deid_results (item_id, method, policy, status, failure, created_at, created_by) \
                             VALUES (?, ?, ?, 'failed', ?, ?, ?)",
                        )
                        .bind(&s.item_id)
                        .bind(method)
                        .bind(policy_name(policy))
                        .bind(code)
                        .bind(&now)
                        .bind(self.user_id.to_string())
                        .execute(&mut *tx)
                        .await?;
                        c_failed += 1;
                    }
                    Ok((bytes, record)) => {
                        let stored = Stored {
                            method,
                            policy,
                            bytes: &bytes,
                            record,
                            hand: &[],
                        };
                        let (n, per) = self
                            .store_pixels(&mut tx, blobs, s, stored, &now, None)
                            .await?;
                        for (k, v) in per {
                            *counts.entry(k).or_default() += v;
                        }
                        c_items += 1;
                        c_findings += n;
                    }
                }
            }
            let mut d = self.draft(EventKind::DeidRun, Outcome::Success);
            d.object_kind = Some("deid".into());
            d.object_id = batch.map(String::from);
            d.detail.insert("method".into(), method.into());
            d.detail.insert("items".into(), c_items.into());
            d.detail.insert("failed".into(), c_failed.into());
            d.detail.insert("findings".into(), c_findings.into());
            d.detail.insert("policy".into(), policy_name(policy).into());
            d.detail.insert("ocr".into(), ocr.is_some().into());
            d.detail.insert(
                "categories".into(),
                serde_json::to_value(&counts).expect("counts serialise"),
            );
            self.record(&mut tx, d).await?;
            tx.commit().await?;
            items += c_items;
            failed += c_failed;
            findings += c_findings;
            for (k, v) in counts {
                *totals.entry(k).or_default() += v;
            }
        }
        Ok((items, failed, findings, totals))
    }

    /// Stores a de-identified DICOM file or image and its record as work-tier blobs and
    /// inserts (or, for a revision, updates) its result row. Returns the findings and
    /// their counts per treatment.
    pub(crate) async fn store_pixels(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        blobs: &BlobStore,
        s: &Source,
        out: Stored<'_>,
        now: &str,
        revise: Option<u32>,
    ) -> Result<(u64, BTreeMap<String, u64>), AppError> {
        let counts = treatment_counts(&out.record);
        let findings: u64 = counts.values().sum();
        let stored = StoredRecord {
            record: out.record,
            hand_regions: out.hand.to_vec(),
        };
        let out_blob = blobs.put(Tier::Work, out.bytes)?;
        let log_blob = blobs.put(
            Tier::Work,
            &serde_json::to_vec(&stored).expect("records serialise")[..],
        )?;
        let categories = serde_json::to_string(&counts).expect("counts serialise");
        match revise {
            None => {
                sqlx::query(
                    "INSERT INTO deid_results (item_id, method, policy, status, output_blob, output_size, log_blob, log_size, \
                     findings, categories, created_at, created_by) VALUES (?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&s.item_id)
                .bind(out.method)
                .bind(policy_name(out.policy))
                .bind(&out_blob.name)
                .bind(out_blob.size as i64)
                .bind(&log_blob.name)
                .bind(log_blob.size as i64)
                .bind(findings as i64)
                .bind(categories)
                .bind(now)
                .bind(self.user_id.to_string())
                .execute(&mut **tx)
                .await?;
            }
            Some(added) => {
                sqlx::query(
                    "UPDATE deid_results SET status = 'proposed', output_blob = ?, output_size = ?, log_blob = ?, log_size = ?, \
                     findings = ?, categories = ?, revision = revision + 1, misses = misses + ?, validated_at = NULL, validated_by = NULL \
                     WHERE item_id = ?",
                )
                .bind(&out_blob.name)
                .bind(out_blob.size as i64)
                .bind(&log_blob.name)
                .bind(log_blob.size as i64)
                .bind(findings as i64)
                .bind(categories)
                .bind(i64::from(added))
                .bind(&s.item_id)
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok((findings, counts))
    }

    /// A DICOM item beside its original, for validation: the header before and after with
    /// what was done to each attribute, the first frame of both with the regions proposed
    /// (OCR and device templates) and the lead's own. Lead only; every view is audited.
    pub async fn deid_dicom_review(&self, item: &str) -> Result<DicomReview, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        let review = self.pixel_review_of(&blobs, item).await?;
        let mut d = self.draft(EventKind::OriginalViewed, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("revision".into(), review.revision.into());
        d.detail
            .insert("method".into(), review.method.clone().into());
        self.record_alone(d).await?;
        Ok(review)
    }

    /// Cleans a DICOM item again, blacking out `regions` (drawn by the lead, in pixels of
    /// the first frame; applied to every frame) besides the automatic ones. Regions not
    /// drawn before count as misses. Refused once the batch is signed off. Lead only;
    /// audited with the number of regions.
    pub async fn deid_dicom_clean(
        &self,
        item: &str,
        regions: &[DicomRegion],
    ) -> Result<DicomReview, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        self.refuse_if_signed_off(item).await?;
        if regions.len() > MAX_HAND_REGIONS {
            return Err(AppError::invalid(format!(
                "Draw at most {MAX_HAND_REGIONS} regions on one image."
            )));
        }
        let s = self.pixel_source(item).await?;
        let (_, _, previous, method) = self.load_pixels(&blobs, item).await?;
        let original = read_source(&blobs, &s).map_err(|_| damaged())?;
        let regions: Vec<Region> = regions
            .iter()
            .filter(|r| r.width > 0 && r.height > 0)
            .map(region_of)
            .collect();
        let added = regions
            .iter()
            .filter(|r| !previous.hand_regions.contains(r))
            .count() as u32;
        let policy = self.read_deid_settings().await?.policy;
        let ocr = Self::ocr_engine();
        let cannot = |e: &dyn std::fmt::Display| {
            AppError::invalid(crate::error::sentence(&format!(
                "the image cannot be cleaned: {e}"
            )))
        };
        let (bytes, record) = if method == crate::deid_image_items::METHOD {
            let out = crate::deid_image_items::clean(ocr.as_ref(), &original, &regions)
                .map_err(|e| cannot(&e))?;
            let record = serde_json::to_value(&out.record).expect("image records serialise");
            (out.bytes, record)
        } else {
            let templates = self.device_templates().await?;
            let dicom_policy = dicom_policy(policy, ocr.is_some(), templates);
            let (key, text) = self.dicom_keys()?;
            let out = clean(
                &dicom_policy,
                &key,
                &text,
                ocr.as_ref(),
                &original,
                &regions,
            )
            .map_err(|e| cannot(&e))?;
            let record = serde_json::to_value(&out.log).expect("redaction records serialise");
            (out.bytes, record)
        };
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        let stored = Stored {
            method: &method,
            policy,
            bytes: &bytes,
            record,
            hand: &regions,
        };
        self.store_pixels(&mut tx, &blobs, &s, stored, &now, Some(added))
            .await?;
        let revision: i64 =
            sqlx::query_scalar("SELECT revision FROM deid_results WHERE item_id = ?")
                .bind(item)
                .fetch_one(&mut *tx)
                .await?;
        let mut d = self.draft(EventKind::DeidRevised, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("method".into(), method.into());
        d.detail.insert("revision".into(), revision.into());
        d.detail.insert("regions".into(), regions.len().into());
        d.detail.insert("added".into(), added.into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        self.pixel_review_of(&blobs, item).await
    }

    /// Either review of an item, chosen by its kind (for callers that hold an item id
    /// only, like `airlock deid show`). Lead only; audited as the review it opens.
    pub async fn deid_review_item(&self, item: &str) -> Result<DeidItemReview, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM items WHERE id = ?")
            .bind(item)
            .fetch_optional(&self.pool)
            .await?;
        match kind.as_deref() {
            Some("dicom" | "png" | "jpeg") => Ok(DeidItemReview::Dicom(Box::new(
                self.deid_dicom_review(item).await?,
            ))),
            Some(_) => Ok(DeidItemReview::Text(self.deid_review(item).await?)),
            None => Err(AppError::new(ErrorCode::NotFound, "No item has this id.")),
        }
    }

    /// The source of a DICOM, PNG or JPEG item.
    pub(crate) async fn pixel_source(&self, item: &str) -> Result<Source, AppError> {
        let mut src = self
            .sources(
                "i.id = ? AND i.kind IN ('dicom', 'png', 'jpeg')",
                Some(item),
            )
            .await?;
        if src.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotFound,
                "No DICOM, PNG or JPEG item has this id.",
            ));
        }
        Ok(src.remove(0))
    }

    /// The stored output bytes, status, record and method of a DICOM or image result.
    #[allow(clippy::type_complexity)]
    pub(crate) async fn load_pixels(
        &self,
        blobs: &BlobStore,
        item: &str,
    ) -> Result<(Vec<u8>, (DeidStatus, u32, u32), StoredRecord, String), AppError> {
        let row = sqlx::query(
            "SELECT status, output_blob, output_size, log_blob, log_size, revision, misses, method FROM deid_results WHERE item_id = ?",
        )
        .bind(item)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "This item has not been de-identified yet."))?;
        let status = DeidStatus::parse(&row.get::<String, _>(0)).ok_or_else(damaged)?;
        let (Some(out), Some(out_size), Some(log), Some(log_size)) = (
            row.get::<Option<String>, _>(1),
            row.get::<Option<i64>, _>(2),
            row.get::<Option<String>, _>(3),
            row.get::<Option<i64>, _>(4),
        ) else {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This item could not be de-identified (it is not a readable DICOM, PNG or JPEG file).",
            ));
        };
        let method: String = row.get(7);
        if method != "ps315_dicom" && method != crate::deid_image_items::METHOD {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This item is not a DICOM, PNG or JPEG item.",
            ));
        }
        let bytes = blobs.read_all(&BlobRef {
            tier: Tier::Work,
            name: out,
            size: out_size as u64,
        })?;
        let log = blobs.read_all(&BlobRef {
            tier: Tier::Work,
            name: log,
            size: log_size as u64,
        })?;
        let record: StoredRecord = serde_json::from_slice(&log).map_err(|_| damaged())?;
        Ok((
            bytes,
            (
                status,
                row.get::<i64, _>(5) as u32,
                row.get::<i64, _>(6) as u32,
            ),
            record,
            method,
        ))
    }

    /// The review of a DICOM or image item, by the method of its result.
    async fn pixel_review_of(
        &self,
        blobs: &BlobStore,
        item: &str,
    ) -> Result<DicomReview, AppError> {
        let s = self.pixel_source(item).await?;
        let (output, state, stored, method) = self.load_pixels(blobs, item).await?;
        if method == crate::deid_image_items::METHOD {
            return self.image_review_of(blobs, &s, &output, state, &stored);
        }
        self.dicom_review_of(blobs, &s, &output, state, &stored)
            .await
    }

    async fn dicom_review_of(
        &self,
        blobs: &BlobStore,
        s: &Source,
        output: &[u8],
        (status, revision, misses): (DeidStatus, u32, u32),
        stored: &StoredRecord,
    ) -> Result<DicomReview, AppError> {
        let original = read_source(blobs, s).map_err(|_| damaged())?;
        let templates = self.device_templates().await?;
        let policy = dicom_policy(self.read_deid_settings().await?.policy, false, templates);
        let limits = policy.limits;
        let before = inspect(&original, &limits).map_err(|_| damaged())?;
        let after = inspect(output, &limits).map_err(|_| damaged())?;
        let changes: Vec<&serde_json::Value> = stored.record["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let treatment_of = |path: &str| {
            let pattern = pattern_of(path);
            changes
                .iter()
                .find(|c| c["path"].as_str() == Some(pattern.as_str()))
                .map(|c| {
                    (
                        c["treatment"].as_str().unwrap_or_default().to_string(),
                        c["code"].as_str().map(String::from),
                    )
                })
        };
        let mut after_by_path: BTreeMap<&str, &airlock_deid_dicom::HeaderRow> =
            after.iter().map(|r| (r.path.as_str(), r)).collect();
        let mut header = Vec::with_capacity(before.len() + 8);
        for b in &before {
            let a = after_by_path.remove(b.path.as_str());
            let (treatment, code) = match treatment_of(&b.path) {
                Some((t, c)) => (Some(t), c),
                None if a.is_none() => (Some("removed".to_string()), None),
                None => (None, None),
            };
            header.push(DicomHeaderRow {
                path: b.path.clone(),
                tag: b.tag.clone(),
                keyword: b.keyword.clone(),
                vr: b.vr.clone(),
                original: b.value.clone(),
                result: a.and_then(|a| a.value.clone()),
                treatment,
                code,
            });
        }
        for a in after_by_path.into_values() {
            let (treatment, code) = treatment_of(&a.path).unwrap_or(("set".into(), None));
            header.push(DicomHeaderRow {
                path: a.path.clone(),
                tag: a.tag.clone(),
                keyword: a.keyword.clone(),
                vr: a.vr.clone(),
                original: None,
                result: a.value.clone(),
                treatment: Some(treatment),
                code,
            });
        }
        let b64 = |f: airlock_deid_dicom::GrayFrame| {
            base64::engine::general_purpose::STANDARD.encode(f.pixels)
        };
        // One check for tesseract (it runs the program): the proposal and the flag use it.
        let ocr = Self::ocr_engine();
        let proposal = propose_regions(&original, &policy, ocr.as_ref()).ok();
        let original_frame = preview_frame(&original, 0, &limits).ok();
        let (columns, rows) = original_frame
            .as_ref()
            .map(|f| (f.columns, f.rows))
            .unwrap_or((0, 0));
        let record = &stored.record;
        let facts = pixel_facts(record);
        let device = proposal
            .as_ref()
            .filter(|p| !p.manufacturer.is_empty() && !p.model.is_empty())
            .map(|p| DeviceModel {
                manufacturer: p.manufacturer.clone(),
                model: p.model.clone(),
            });
        let device_template = match &device {
            Some(d) => self.template_for(d, columns, rows).await?,
            None => None,
        };
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
            method: "ps315_dicom".into(),
            status,
            revision,
            misses,
            columns,
            rows,
            frame_columns: columns,
            frame_rows: rows,
            frame_channels: 1,
            frames: proposal.as_ref().map(|p| p.frames).unwrap_or(0),
            original_frame: original_frame.map(b64),
            result_frame: preview_frame(output, 0, &limits).ok().map(b64),
            proposed: proposal
                .as_ref()
                .map(|p| p.regions.iter().map(shown_region).collect())
                .unwrap_or_default(),
            hand_regions: stored.hand_regions.iter().map(shown_region).collect(),
            risk: facts.risk,
            pixels_cleaned: facts.cleaned,
            pixel_regions: facts.regions,
            residual_words: facts.residual_words,
            needs_pixel_review: facts.needs_review,
            ocr_available: ocr.is_some(),
            device,
            device_template,
            template_applied: facts.template_applied,
            method_codes: record["method_codes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(String::from))
                .collect(),
            profile_edition: record["profile_edition"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            header,
        })
    }
}

/// De-identifies one file, blacking out `regions` besides the automatic ones. A plain
/// function, so the de-identifier (which borrows a text cleaner that is not `Sync`) never
/// lives across an `.await`.
fn clean(
    policy: &Policy,
    key: &airlock_deid_dicom::ProjectKey,
    text: &airlock_deid::text::Deidentifier,
    ocr: Option<&OcrEngine>,
    bytes: &[u8],
    regions: &[Region],
) -> Result<DeidOutput, airlock_deid_dicom::DicomDeidError> {
    let cleaner = SafeHarborText(text);
    let mut deid = Deidentifier::new(policy, key).with_text_cleaner(&cleaner);
    if let Some(engine) = ocr {
        deid = deid.with_ocr(engine);
    }
    deid.deidentify_with_regions(bytes, regions)
}

/// A de-identified file to store, with its record and the regions the lead drew.
pub(crate) struct Stored<'a> {
    /// `ps315_dicom` or `image_reencode`.
    pub(crate) method: &'a str,
    /// The project's de-identification policy it was made under.
    pub(crate) policy: DeidTextPolicy,
    /// The output file.
    pub(crate) bytes: &'a [u8],
    /// Its record (JSON).
    pub(crate) record: serde_json::Value,
    /// Regions drawn by the lead.
    pub(crate) hand: &'a [Region],
}

/// The whole source file of a DICOM or image item.
pub(crate) fn read_source(blobs: &BlobStore, s: &Source) -> Result<Vec<u8>, &'static str> {
    blobs
        .read_all(&BlobRef {
            tier: Tier::Source,
            name: s.blob.clone(),
            size: s.size,
        })
        .map_err(|_| "source_unreadable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_indexes_become_the_wildcard_changes_use() {
        assert_eq!(
            pattern_of("(0008,1140)[0].(0008,1155)"),
            "(0008,1140)[*].(0008,1155)"
        );
        assert_eq!(pattern_of("(0010,0010)"), "(0010,0010)");
        assert_eq!(
            pattern_of("(0040,0275)[12].(0040,A730)[3].(0008,0100)"),
            "(0040,0275)[*].(0040,A730)[*].(0008,0100)"
        );
    }

    #[test]
    fn the_policy_follows_the_project_and_the_ocr_engine() {
        let sh = dicom_policy(DeidTextPolicy::SafeHarbor, false, Vec::new());
        assert!(sh.options.contains(&ProfileOption::CleanDescriptors));
        assert!(!sh
            .options
            .contains(&ProfileOption::RetainLongitudinalModifiedDates));
        assert_eq!(sh.pixels.auto_clean, AutoClean::Never);
        let template = RegionTemplate {
            manufacturer: "Acme".into(),
            model: "Sono 5".into(),
            columns: Some(64),
            rows: Some(48),
            regions: vec![Region {
                x: 0,
                y: 0,
                width: 64,
                height: 8,
            }],
        };
        let with_template = dicom_policy(DeidTextPolicy::SafeHarbor, false, vec![template]);
        assert_eq!(
            with_template.pixels.auto_clean,
            AutoClean::Templates,
            "a device template cleans without OCR"
        );
        let ps = dicom_policy(DeidTextPolicy::Pseudonymize, true, Vec::new());
        assert!(ps
            .options
            .contains(&ProfileOption::RetainLongitudinalModifiedDates));
        assert_eq!(ps.pixels.auto_clean, AutoClean::TemplatesAndOcr);
        assert!(ps.validate().is_ok() && sh.validate().is_ok());
    }
}
