//! De-identification inside the vault (leads only): run the Safe Harbor detector over
//! received text items, show each beside its original for validation (every view of an
//! original is audited), let the lead add missed identifiers or remove false ones, and
//! sign off a batch — every item validated, or a configured sample that found nothing
//! missed — which releases it for annotation.
//!
//! Outputs and redaction logs are work-tier blobs: de-identified text, and offsets with
//! categories, never original text. Originals stay in the source tier. The project key
//! behind surrogates and date shifts derives from the source key.

use crate::batches::source_name;
use crate::error::{AppError, ErrorCode};
use crate::json::{
    CategoryCount, DeidBatchState, DeidQueueRow, DeidReview, DeidRunReport, DeidSettings,
    DeidSignOff, DeidSpan, DeidSpanEdit, DeidStatus, DeidTextPolicy,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_deid::category::Category;
use airlock_deid::key::ProjectKey;
use airlock_deid::text::{
    check_input, Deidentified, Deidentifier, DocumentContext, Finding, Policy,
};
use airlock_ingest::rows;
use airlock_model::{Action, EventKind, Outcome};
use airlock_vault::{purpose, BlobRef, BlobStore, Tier};
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Items de-identified per transaction (each with its audit event).
const CHUNK: usize = 200;
/// The smallest validation sample, unless the batch is smaller.
const MIN_SAMPLE: u64 = 10;

/// One replaced span as kept in the work-tier log blob.
#[derive(Serialize, Deserialize, Clone, PartialEq)]
struct StoredSpan {
    start: usize,
    end: usize,
    out_start: usize,
    out_end: usize,
    category: String,
    action: String,
    rule: String,
    confidence: f32,
}

fn category(name: &str) -> Option<Category> {
    Category::ALL.into_iter().find(|c| c.as_str() == name)
}

fn policy_of(p: DeidTextPolicy) -> Policy {
    match p {
        DeidTextPolicy::SafeHarbor => Policy::safe_harbor(),
        DeidTextPolicy::Pseudonymize => Policy::pseudonymize(),
    }
}

pub(crate) fn policy_name(p: DeidTextPolicy) -> &'static str {
    match p {
        DeidTextPolicy::SafeHarbor => "safe_harbor",
        DeidTextPolicy::Pseudonymize => "pseudonymize",
    }
}

fn stored_spans(out: &Deidentified) -> Vec<StoredSpan> {
    out.log
        .iter()
        .map(|e| StoredSpan {
            start: e.start,
            end: e.end,
            out_start: e.out_start,
            out_end: e.out_end,
            category: e.category.as_str().to_string(),
            action: e.action.as_str().to_string(),
            rule: e.rule.to_string(),
            confidence: e.confidence,
        })
        .collect()
}

fn category_counts(spans: &[StoredSpan]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for s in spans {
        *m.entry(s.category.clone()).or_default() += 1;
    }
    m
}

pub(crate) fn damaged() -> AppError {
    AppError::new(
        ErrorCode::VaultError,
        "A de-identification record is damaged.",
    )
}

/// Where an item's original is: its source file (and row).
pub(crate) struct Source {
    pub(crate) item_id: String,
    pub(crate) number: u64,
    pub(crate) file_id: String,
    pub(crate) sealed: Vec<u8>,
    pub(crate) file_kind: String,
    pub(crate) blob: String,
    pub(crate) size: u64,
    pub(crate) part: i64,
    pub(crate) row_field: Option<String>,
}

/// Reads the original texts of `items` (one read per source file). An item whose text
/// cannot be had gets a fixed failure code instead.
fn original_texts(
    blobs: &BlobStore,
    items: &[Source],
) -> HashMap<String, Result<String, &'static str>> {
    let mut by_file: BTreeMap<&str, Vec<&Source>> = BTreeMap::new();
    for s in items {
        by_file.entry(&s.file_id).or_default().push(s);
    }
    let mut out = HashMap::new();
    for group in by_file.into_values() {
        let first = group[0];
        let bytes = blobs.read_all(&BlobRef {
            tier: Tier::Source,
            name: first.blob.clone(),
            size: first.size,
        });
        let Ok(bytes) = bytes else {
            for s in &group {
                out.insert(s.item_id.clone(), Err("source_unreadable"));
            }
            continue;
        };
        if first.part == 0 {
            for s in &group {
                let text = check_input(&bytes)
                    .map(str::to_owned)
                    .map_err(|_| "not_text");
                out.insert(s.item_id.clone(), text);
            }
            continue;
        }
        let split = match first.file_kind.as_str() {
            "csv" => rows::csv_rows(&bytes, first.row_field.as_deref()),
            _ => rows::jsonl_rows(&bytes, first.row_field.as_deref()),
        };
        let by_index: HashMap<u64, String> = match split {
            Ok(r) => r.into_iter().map(|r| (r.index, r.text)).collect(),
            Err(_) => HashMap::new(),
        };
        for s in &group {
            let text = by_index
                .get(&(s.part as u64))
                .ok_or("row_missing")
                .and_then(|t| {
                    check_input(t.as_bytes())
                        .map(str::to_owned)
                        .map_err(|_| "not_text")
                });
            out.insert(s.item_id.clone(), text);
        }
    }
    out
}

impl Session {
    fn deid_key(&self) -> Result<ProjectKey, AppError> {
        let source = self.keys.source.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                "This account's keys cannot read original data.",
            )
        })?;
        Ok(ProjectKey::from_bytes(
            *source.derive(purpose::DEID_PROJECT).expose(),
        ))
    }

    pub(crate) fn lead_blobs(&self) -> Result<BlobStore, AppError> {
        let source = self.keys.source.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                "This account's keys cannot read original data.",
            )
        })?;
        Ok(self.vault.blobs(&self.keys.work, Some(source)))
    }

    /// A value of the settings table.
    pub(crate) async fn setting(&self, key: &str) -> Result<Option<String>, AppError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The de-identification settings (defaults: Safe Harbor, validate every item).
    pub async fn deid_settings(&self) -> Result<DeidSettings, AppError> {
        let _grant = self.authorize(Action::RunDeid).await?;
        self.read_deid_settings().await
    }

    pub(crate) async fn read_deid_settings(&self) -> Result<DeidSettings, AppError> {
        let policy = match self.setting("deid_policy").await?.as_deref() {
            Some("pseudonymize") => DeidTextPolicy::Pseudonymize,
            _ => DeidTextPolicy::SafeHarbor,
        };
        let sample_percent = self
            .setting("deid_sample_percent")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        Ok(DeidSettings {
            policy,
            sample_percent,
        })
    }

    /// Changes the de-identification policy and validation sample (lead; audited).
    /// Items already de-identified keep their output.
    pub async fn set_deid_settings(&self, s: &DeidSettings) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ChangeSettings).await?;
        if !(1..=100).contains(&s.sample_percent) {
            return Err(AppError::invalid(
                "The validation sample must be 1 to 100 percent.",
            ));
        }
        let old = self.read_deid_settings().await?;
        let mut tx = self.begin().await?;
        for (k, v) in [
            ("deid_policy", policy_name(s.policy).to_string()),
            ("deid_sample_percent", s.sample_percent.to_string()),
        ] {
            sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        let mut d = self.draft(EventKind::DeidSettingsChanged, Outcome::Success);
        d.detail
            .insert("policy".into(), policy_name(s.policy).into());
        d.detail
            .insert("old_policy".into(), policy_name(old.policy).into());
        d.detail
            .insert("sample_percent".into(), s.sample_percent.into());
        d.detail
            .insert("old_sample_percent".into(), old.sample_percent.into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn sources(
        &self,
        where_: &str,
        bind: Option<&str>,
    ) -> Result<Vec<Source>, AppError> {
        let sql = format!(
            "SELECT i.id, i.number, f.id, f.sealed, f.kind, f.blob_name, f.size, i.part, f.row_field \
             FROM items i JOIN source_files f ON f.id = i.source_file_id WHERE {where_} ORDER BY i.number"
        );
        let mut q = sqlx::query(&sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| Source {
                item_id: r.get(0),
                number: r.get::<i64, _>(1) as u64,
                file_id: r.get(2),
                sealed: r.get(3),
                file_kind: r.get(4),
                blob: r.get(5),
                size: r.get::<i64, _>(6) as u64,
                part: r.get(7),
                row_field: r.get(8),
            })
            .collect())
    }

    /// De-identifies every received text, DICOM, PNG and JPEG item that has not been yet
    /// (of one batch, or all). Items that cannot be read as what they are fail and are
    /// never released; the rest go on.
    pub async fn deid_run(&self, batch: Option<&str>) -> Result<DeidRunReport, AppError> {
        let _grant = self.authorize(Action::RunDeid).await?;
        let started = Instant::now();
        let blobs = self.lead_blobs()?;
        let settings = self.read_deid_settings().await?;
        let mut where_ = "i.status = 'received' AND i.kind = 'text' \
                          AND NOT EXISTS (SELECT 1 FROM deid_results d WHERE d.item_id = i.id)"
            .to_string();
        if batch.is_some() {
            where_.push_str(" AND i.batch_id = ?");
        }
        let todo = self.sources(&where_, batch).await?;
        let deid = Deidentifier::new(policy_of(settings.policy), self.deid_key()?);
        let mut report = DeidRunReport {
            items: 0,
            failed: 0,
            findings: 0,
            categories: Vec::new(),
            elapsed_ms: 0,
        };
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for chunk in todo.chunks(CHUNK) {
            let texts = original_texts(&blobs, chunk);
            let now = rfc3339(self.now());
            let mut tx = self.begin().await?;
            let (mut items, mut failed, mut findings) = (0u64, 0u64, 0u64);
            let mut chunk_counts: BTreeMap<String, u64> = BTreeMap::new();
            for s in chunk {
                let text = texts
                    .get(&s.item_id)
                    .cloned()
                    .unwrap_or(Err("source_unreadable"));
                let text = match text {
                    Ok(t) => t,
                    Err(code) => {
                        sqlx::query(
                            "INSERT INTO deid_results (item_id, method, policy, status, failure, created_at, created_by) \
                             VALUES (?, 'safe_harbor_text', ?, 'failed', ?, ?, ?)",
                        )
                        .bind(&s.item_id)
                        .bind(policy_name(settings.policy))
                        .bind(code)
                        .bind(&now)
                        .bind(self.user_id.to_string())
                        .execute(&mut *tx)
                        .await?;
                        failed += 1;
                        continue;
                    }
                };
                let out = deid.deidentify(&text, &DocumentContext::default());
                let spans = stored_spans(&out);
                let (out_blob, log_blob) = store_output(&blobs, &out, &spans)?;
                let counts = category_counts(&spans);
                for (k, v) in &counts {
                    *chunk_counts.entry(k.clone()).or_default() += v;
                }
                sqlx::query(
                    "INSERT INTO deid_results (item_id, method, policy, status, output_blob, output_size, log_blob, log_size, \
                     findings, categories, created_at, created_by) VALUES (?, 'safe_harbor_text', ?, 'proposed', ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&s.item_id)
                .bind(policy_name(settings.policy))
                .bind(&out_blob.name)
                .bind(out_blob.size as i64)
                .bind(&log_blob.name)
                .bind(log_blob.size as i64)
                .bind(spans.len() as i64)
                .bind(serde_json::to_string(&counts).expect("counts serialise"))
                .bind(&now)
                .bind(self.user_id.to_string())
                .execute(&mut *tx)
                .await?;
                items += 1;
                findings += spans.len() as u64;
            }
            let mut d = self.draft(EventKind::DeidRun, Outcome::Success);
            d.object_kind = Some("deid".into());
            d.object_id = batch.map(String::from);
            d.detail.insert("items".into(), items.into());
            d.detail.insert("failed".into(), failed.into());
            d.detail.insert("findings".into(), findings.into());
            d.detail
                .insert("policy".into(), policy_name(settings.policy).into());
            d.detail.insert(
                "categories".into(),
                serde_json::to_value(&chunk_counts).expect("counts serialise"),
            );
            self.record(&mut tx, d).await?;
            tx.commit().await?;
            report.items += items;
            report.failed += failed;
            report.findings += findings;
            for (k, v) in chunk_counts {
                *totals.entry(k).or_default() += v;
            }
        }
        for images in [false, true] {
            let (items, failed, findings, counts) = self
                .deid_run_pixels(&blobs, settings.policy, batch, images)
                .await?;
            report.items += items;
            report.failed += failed;
            report.findings += findings;
            for (k, v) in counts {
                *totals.entry(k).or_default() += v;
            }
        }
        report.categories = totals
            .into_iter()
            .map(|(category, findings)| CategoryCount { category, findings })
            .collect();
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }

    /// The de-identification queue: every text item with a result, and whether it is in
    /// its batch's validation sample. Lead only; audited (it shows original names).
    pub async fn deid_queue(&self, batch: Option<&str>) -> Result<Vec<DeidQueueRow>, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        let mut sql = "SELECT i.id, i.number, i.batch_id, f.id, f.sealed, i.part, f.kind, d.status, d.findings, d.revision, i.kind \
                       FROM items i JOIN source_files f ON f.id = i.source_file_id JOIN deid_results d ON d.item_id = i.id"
            .to_string();
        if batch.is_some() {
            sql.push_str(" WHERE i.batch_id = ?");
        }
        sql.push_str(" ORDER BY i.number");
        let mut q = sqlx::query(&sql);
        if let Some(b) = batch {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut samples: HashMap<String, Vec<String>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let batch_id: String = r.get(2);
            if !samples.contains_key(&batch_id) {
                let sample = self.sample(&blobs, &batch_id).await?;
                samples.insert(batch_id.clone(), sample);
            }
            let item_id: String = r.get(0);
            out.push(DeidQueueRow {
                in_sample: samples[&batch_id].contains(&item_id),
                item_id,
                number: r.get::<i64, _>(1) as u64,
                source_name: source_name(
                    &blobs,
                    &r.get::<String, _>(3),
                    &r.get::<Vec<u8>, _>(4),
                    r.get(5),
                    &r.get::<String, _>(6),
                )?,
                batch_id,
                status: DeidStatus::parse(&r.get::<String, _>(7)).ok_or_else(damaged)?,
                findings: r.get::<i64, _>(8) as u64,
                revision: r.get::<i64, _>(9) as u32,
                kind: r.get(10),
            });
        }
        let mut d = self.draft(EventKind::SourceItemsViewed, Outcome::Success);
        d.object_kind = Some("deid_queue".into());
        d.detail.insert("rows".into(), out.len().into());
        self.record_alone(d).await?;
        Ok(out)
    }

    /// The item ids of a batch's validation sample: the released text items ordered by a
    /// keyed hash of their id (unpredictable without the source key, stable), the first
    /// `sample_percent` of them, at least ten.
    async fn sample(&self, blobs: &BlobStore, batch: &str) -> Result<Vec<String>, AppError> {
        let settings = self.read_deid_settings().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT i.id FROM items i JOIN deid_results d ON d.item_id = i.id \
             WHERE i.batch_id = ? AND d.status <> 'failed'",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        let n = ids.len() as u64;
        let want = (n * u64::from(settings.sample_percent))
            .div_ceil(100)
            .max(MIN_SAMPLE.min(n));
        let mut keyed = Vec::with_capacity(ids.len());
        for id in ids {
            keyed.push((
                blobs.lookup_tag(
                    Tier::Source,
                    "deid-sample",
                    &[batch.as_bytes(), id.as_bytes()],
                )?,
                id,
            ));
        }
        keyed.sort();
        Ok(keyed
            .into_iter()
            .take(want as usize)
            .map(|(_, id)| id)
            .collect())
    }

    async fn load_output(
        &self,
        blobs: &BlobStore,
        item: &str,
    ) -> Result<(String, Vec<StoredSpan>, DeidStatus, u32, u32), AppError> {
        let row = sqlx::query(
            "SELECT status, output_blob, output_size, log_blob, log_size, revision, misses FROM deid_results WHERE item_id = ?",
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
                "This item could not be de-identified (it is not text).",
            ));
        };
        let text = blobs.read_all(&BlobRef {
            tier: Tier::Work,
            name: out,
            size: out_size as u64,
        })?;
        let text = String::from_utf8(text).map_err(|_| damaged())?;
        let log = blobs.read_all(&BlobRef {
            tier: Tier::Work,
            name: log,
            size: log_size as u64,
        })?;
        let spans: Vec<StoredSpan> = serde_json::from_slice(&log).map_err(|_| damaged())?;
        Ok((
            text,
            spans,
            status,
            row.get::<i64, _>(5) as u32,
            row.get::<i64, _>(6) as u32,
        ))
    }

    async fn review_of(&self, blobs: &BlobStore, item: &str) -> Result<DeidReview, AppError> {
        let src = self.sources("i.id = ?", Some(item)).await?;
        let s = src
            .first()
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No item has this id."))?;
        let original = original_texts(blobs, &src)
            .remove(&s.item_id)
            .and_then(Result::ok)
            .ok_or_else(|| {
                AppError::new(ErrorCode::Conflict, "This item's original is not text.")
            })?;
        let (deidentified, spans, status, revision, misses) = self.load_output(blobs, item).await?;
        Ok(DeidReview {
            item_id: s.item_id.clone(),
            number: s.number,
            source_name: source_name(blobs, &s.file_id, &s.sealed, s.part, &s.file_kind)?,
            original,
            deidentified,
            spans: spans
                .into_iter()
                .map(|x| DeidSpan {
                    start: x.start as u32,
                    end: x.end as u32,
                    out_start: x.out_start as u32,
                    out_end: x.out_end as u32,
                    category: x.category,
                    action: x.action,
                    rule: x.rule,
                    confidence: x.confidence,
                })
                .collect(),
            status,
            revision,
            misses,
            categories: Category::ALL
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
        })
    }

    /// An item beside its original, for validation. Lead only; every view is audited.
    pub async fn deid_review(&self, item: &str) -> Result<DeidReview, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        let review = self.review_of(&blobs, item).await?;
        let mut d = self.draft(EventKind::OriginalViewed, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("revision".into(), review.revision.into());
        self.record_alone(d).await?;
        Ok(review)
    }

    /// De-identifies an item again with exactly `spans` (the lead kept, removed or added
    /// some). Spans the detector did not find count as misses. Refused once the batch is
    /// signed off. Lead only; audited with the counts added and removed.
    pub async fn deid_revise(
        &self,
        item: &str,
        spans: &[DeidSpanEdit],
    ) -> Result<DeidReview, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        self.refuse_if_signed_off(item).await?;
        let src = self.sources("i.id = ?", Some(item)).await?;
        let s = src
            .first()
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No item has this id."))?;
        let original = original_texts(&blobs, &src)
            .remove(&s.item_id)
            .and_then(Result::ok)
            .ok_or_else(|| {
                AppError::new(ErrorCode::Conflict, "This item's original is not text.")
            })?;
        let (_, current, _, revision, _) = self.load_output(&blobs, item).await?;
        let settings = self.read_deid_settings().await?;
        let deid = Deidentifier::new(policy_of(settings.policy), self.deid_key()?);
        let detected = deid.detect(&original);
        let mut findings = Vec::with_capacity(spans.len());
        for (i, e) in spans.iter().enumerate() {
            let cat = category(&e.category).ok_or_else(|| {
                AppError::invalid(format!("Span {} has an unknown category.", i + 1))
            })?;
            let (start, end) = (e.start as usize, e.end as usize);
            let known = detected
                .iter()
                .find(|f| f.start == start && f.end == end && f.category == cat)
                .copied();
            findings.push(known.unwrap_or(Finding {
                start,
                end,
                category: cat,
                rule: "manual",
                confidence: 1.0,
            }));
        }
        let out = deid
            .apply(&original, &findings, &DocumentContext::default())
            .map_err(|e| AppError::invalid(crate::error::sentence(&e.to_string())))?;
        let new_spans = stored_spans(&out);
        let same = |a: &StoredSpan, b: &StoredSpan| {
            a.start == b.start && a.end == b.end && a.category == b.category
        };
        let added = new_spans
            .iter()
            .filter(|n| !current.iter().any(|c| same(c, n)))
            .count() as i64;
        let removed = current
            .iter()
            .filter(|c| !new_spans.iter().any(|n| same(c, n)))
            .count() as i64;
        let (out_blob, log_blob) = store_output(&blobs, &out, &new_spans)?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE deid_results SET output_blob = ?, output_size = ?, log_blob = ?, log_size = ?, findings = ?, categories = ?, \
             revision = revision + 1, misses = misses + ?, removed = removed + ?, status = 'proposed', validated_at = NULL, validated_by = NULL \
             WHERE item_id = ?",
        )
        .bind(&out_blob.name)
        .bind(out_blob.size as i64)
        .bind(&log_blob.name)
        .bind(log_blob.size as i64)
        .bind(new_spans.len() as i64)
        .bind(serde_json::to_string(&category_counts(&new_spans)).expect("counts serialise"))
        .bind(added)
        .bind(removed)
        .bind(item)
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::DeidRevised, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("revision".into(), (revision + 1).into());
        d.detail.insert("added".into(), added.into());
        d.detail.insert("removed".into(), removed.into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        self.review_of(&blobs, item).await
    }

    pub(crate) async fn refuse_if_signed_off(&self, item: &str) -> Result<(), AppError> {
        let signed: Option<String> = sqlx::query_scalar(
            "SELECT s.batch_id FROM deid_signoffs s JOIN items i ON i.batch_id = s.batch_id WHERE i.id = ?",
        )
        .bind(item)
        .fetch_optional(&self.pool)
        .await?;
        if signed.is_some() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This item's batch is signed off; its de-identification can no longer change.",
            ));
        }
        Ok(())
    }

    /// Validates an item's current de-identification. Lead only; audited.
    pub async fn deid_validate(&self, item: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        self.refuse_if_signed_off(item).await?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE deid_results SET status = 'validated', validated_at = ?, validated_by = ? WHERE item_id = ? AND status = 'proposed'",
        )
        .bind(rfc3339(self.now()))
        .bind(self.user_id.to_string())
        .bind(item)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "Only a proposed de-identification can be validated.",
            ));
        }
        let revision: i64 =
            sqlx::query_scalar("SELECT revision FROM deid_results WHERE item_id = ?")
                .bind(item)
                .fetch_one(&mut *tx)
                .await?;
        let mut d = self.draft(EventKind::DeidValidated, Outcome::Success);
        d.object_kind = Some("item".into());
        d.object_id = Some(item.to_string());
        d.detail.insert("revision".into(), revision.into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where a batch stands: counts, the sample, and whether it can be signed off.
    pub async fn deid_batch_state(&self, batch: &str) -> Result<DeidBatchState, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        self.batch_state(&blobs, batch).await
    }

    async fn batch_state(
        &self,
        blobs: &BlobStore,
        batch: &str,
    ) -> Result<DeidBatchState, AppError> {
        let settings = self.read_deid_settings().await?;
        let rows = sqlx::query(
            "SELECT i.id, d.status, d.misses FROM items i LEFT JOIN deid_results d ON d.item_id = i.id \
             WHERE i.batch_id = ? AND i.status = 'received' AND i.kind IN ('text', 'dicom', 'png', 'jpeg')",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        let sample = self.sample(blobs, batch).await?;
        let mut st = DeidBatchState {
            batch_id: batch.to_string(),
            items: rows.len() as u64,
            pending: 0,
            proposed: 0,
            validated: 0,
            failed: 0,
            sample_size: sample.len() as u64,
            sample_validated: 0,
            misses: 0,
            can_sign_off: false,
            blocker: None,
            signed_off: None,
        };
        for r in &rows {
            let id: String = r.get(0);
            match r
                .get::<Option<String>, _>(1)
                .as_deref()
                .map(DeidStatus::parse)
            {
                None => st.pending += 1,
                Some(None) => return Err(damaged()),
                Some(Some(DeidStatus::Proposed)) => st.proposed += 1,
                Some(Some(DeidStatus::Failed)) => st.failed += 1,
                Some(Some(_)) => {
                    st.validated += 1;
                    if sample.contains(&id) {
                        st.sample_validated += 1;
                    }
                }
            }
            st.misses += r.get::<Option<i64>, _>(2).unwrap_or(0) as u64;
        }
        let signed = sqlx::query("SELECT u.name, s.signed_at, s.body, s.signature FROM deid_signoffs s JOIN users u ON u.id = s.signed_by WHERE s.batch_id = ?")
            .bind(batch)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(r) = signed {
            let body: serde_json::Value =
                serde_json::from_str(&r.get::<String, _>(2)).map_err(|_| damaged())?;
            st.signed_off = Some(DeidSignOff {
                signed_by: r.get(0),
                signed_at: r.get(1),
                items: body["items"].as_u64().unwrap_or(0),
                sample_size: body["validated_by_hand"].as_u64().unwrap_or(0),
                misses: body["misses"].as_u64().unwrap_or(0),
                signature: r.get(3),
            });
            st.blocker = Some("The batch is already signed off.".into());
            return Ok(st);
        }
        st.blocker = if st.items == 0 {
            Some("The batch has no received text or DICOM items.".into())
        } else if st.pending > 0 {
            Some(format!(
                "{} not de-identified yet: run de-identification first.",
                items(st.pending)
            ))
        } else if settings.sample_percent >= 100 && st.proposed > 0 {
            Some(format!(
                "{} not validated yet (every item must be).",
                items(st.proposed)
            ))
        } else if st.sample_validated < st.sample_size {
            Some(format!(
                "{} of the {} sampled items are not validated yet.",
                st.sample_size - st.sample_validated,
                st.sample_size
            ))
        } else if st.proposed > 0 && st.misses > 0 {
            Some(format!(
                "Validation found {} missed identifiers, so a sample is not enough: validate every item.",
                st.misses
            ))
        } else {
            None
        };
        st.can_sign_off = st.blocker.is_none();
        Ok(st)
    }

    /// The de-identification methods used in a batch (`safe_harbor_text`, `ps315_dicom`).
    async fn batch_methods(&self, batch: &str) -> Result<Vec<String>, AppError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT d.method FROM deid_results d JOIN items i ON i.id = d.item_id \
             WHERE i.batch_id = ? ORDER BY d.method",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Signs off a batch's de-identification with the lead's key: the remaining proposed
    /// items (when a clean sample allows it) become validated by sample, and the batch is
    /// released for annotation. Lead only; audited with the statement's hash.
    pub async fn deid_sign_off(&self, batch: &str) -> Result<DeidSignOff, AppError> {
        let _grant = self.authorize(Action::ValidateDeid).await?;
        let blobs = self.lead_blobs()?;
        let state = self.batch_state(&blobs, batch).await?;
        if let Some(why) = state.blocker.clone().filter(|_| !state.can_sign_off) {
            return Err(AppError::new(ErrorCode::Conflict, why));
        }
        let personal = self.keys.personal.as_ref().ok_or_else(|| {
            AppError::new(ErrorCode::Forbidden, "This session has no signing key.")
        })?;
        let settings = self.read_deid_settings().await?;
        let now = rfc3339(self.now());
        let body = serde_json::json!({
            "format": "airlock-deid-signoff",
            "version": 1,
            "vault_id": self.vault.id().to_string(),
            "batch_id": batch,
            "signed_by": {"user_id": self.user_id.to_string(), "name": self.user_name, "public_key": personal.signing_public_hex()},
            "signed_at": now,
            "methods": self.batch_methods(batch).await?,
            "policy": policy_name(settings.policy),
            "sample_percent": settings.sample_percent,
            "items": state.items - state.failed,
            "validated_by_hand": state.validated,
            "validated_by_sample": state.proposed,
            "failed_not_released": state.failed,
            "misses": state.misses,
        })
        .to_string();
        let digest = Sha256::digest(body.as_bytes());
        let mut message = b"airlock-deid-signoff-v1\0".to_vec();
        message.extend_from_slice(&digest);
        let signature = hex::encode(personal.signing.sign(&message).to_bytes());
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE deid_results SET status = 'validated_by_sample', validated_at = ?, validated_by = ? \
             WHERE status = 'proposed' AND item_id IN (SELECT id FROM items WHERE batch_id = ?)",
        )
        .bind(&now)
        .bind(self.user_id.to_string())
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO deid_signoffs (batch_id, signed_by, signed_at, body, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(batch)
            .bind(self.user_id.to_string())
            .bind(&now)
            .bind(&body)
            .bind(personal.signing_public_hex())
            .bind(&signature)
            .execute(&mut *tx)
            .await?;
        let mut d = self.draft(EventKind::DeidSignedOff, Outcome::Success);
        d.object_kind = Some("batch".into());
        d.object_id = Some(batch.to_string());
        d.detail
            .insert("items".into(), (state.items - state.failed).into());
        d.detail
            .insert("validated_by_hand".into(), state.validated.into());
        d.detail.insert("misses".into(), state.misses.into());
        d.detail
            .insert("statement_sha256".into(), hex::encode(digest).into());
        self.record(&mut tx, d).await?;
        self.checkpoint(&mut tx).await?;
        tx.commit().await?;
        Ok(DeidSignOff {
            signed_by: self.user_name.clone(),
            signed_at: now,
            items: state.items - state.failed,
            sample_size: state.validated,
            misses: state.misses,
            signature,
        })
    }
}

/// "1 item", "3 items".
fn items(n: u64) -> String {
    if n == 1 {
        "1 item".into()
    } else {
        format!("{n} items")
    }
}

/// Stores a de-identified text and its span log as work-tier blobs.
fn store_output(
    blobs: &BlobStore,
    out: &Deidentified,
    spans: &[StoredSpan],
) -> Result<(BlobRef, BlobRef), AppError> {
    let text = blobs.put(Tier::Work, out.text.expose().as_bytes())?;
    let log = blobs.put(
        Tier::Work,
        &serde_json::to_vec(spans).expect("spans serialise")[..],
    )?;
    Ok((text, log))
}
