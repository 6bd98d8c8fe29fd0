//! After receiving: the lead's list of deliveries and items (with original names, which
//! are identifying and therefore audited when shown), the decision on a batch with
//! problems, receipt export, and offline checks of receipts and bags.

use crate::error::{AppError, ErrorCode};
use crate::json::{
    BatchDecision, BatchDto, BatchStatus, IngestReport, ItemDto, ItemFilter, ItemPage, ItemStatus,
    ReceiptCheck, ReceiptExport, VerdictCount,
};
use crate::session::Session;
use crate::{account::user_names, rfc3339};
use airlock_ingest::bagit::{validate_bag, BagReport};
use airlock_ingest::receipt::{summary_text, verify_receipt, Tally, Verdict};
use airlock_model::{Action, EventKind, Outcome, ReasonId, UserId};
use airlock_vault::{write_atomic, Tier};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeMap;
use std::path::Path;

const MAX_PAGE: u32 = 1000;

fn damaged() -> AppError {
    AppError::new(ErrorCode::VaultError, "A batch record is damaged.")
}

fn counts_from_json(s: &str) -> Vec<VerdictCount> {
    let map: BTreeMap<Verdict, Tally> = serde_json::from_str(s).unwrap_or_default();
    Verdict::ALL
        .into_iter()
        .filter_map(|v| {
            map.get(&v).map(|t| VerdictCount {
                verdict: v,
                files: t.files,
                bytes: t.bytes,
            })
        })
        .collect()
}

/// The original name of an item for a lead: the file's relative path (unsealed with the
/// source key), with `#row N` or `#line N` for rows of a CSV or JSONL file.
pub(crate) fn source_name(
    blobs: &airlock_vault::BlobStore,
    file_id: &str,
    sealed: &[u8],
    part: i64,
    file_kind: &str,
) -> Result<String, AppError> {
    let opened = blobs.unseal(Tier::Source, file_id.as_bytes(), sealed)?;
    let path = serde_json::from_slice::<serde_json::Value>(&opened)
        .ok()
        .and_then(|v| v.get("path").and_then(|p| p.as_str()).map(String::from))
        .ok_or_else(damaged)?;
    Ok(match (part, file_kind) {
        (0, _) => path,
        (n, "csv") => format!("{path} #row {n}"),
        (n, _) => format!("{path} #line {n}"),
    })
}

/// Checks a receipt file offline (no vault, no login).
pub fn verify_receipt_file(path: &Path) -> Result<ReceiptCheck, AppError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AppError::new(ErrorCode::NotFound, "The receipt file does not exist.")
        }
        _ => AppError::invalid("The receipt file cannot be read."),
    })?;
    Ok(match verify_receipt(&bytes) {
        Ok(r) => ReceiptCheck {
            ok: true,
            message: format!(
                "The receipt is intact and signed by {} ({} files, {}).",
                r.receipt.received_by.name,
                r.receipt.files.len(),
                if r.receipt.all_verified() {
                    "everything verified"
                } else {
                    "with problems recorded"
                }
            ),
            receipt_id: Some(r.receipt.receipt_id.clone()),
            vault_id: Some(r.receipt.vault_id.clone()),
            received_by: Some(r.receipt.received_by.name.clone()),
            all_verified: Some(r.receipt.all_verified()),
            files: r.receipt.files.len() as u64,
        },
        Err(e) => ReceiptCheck {
            ok: false,
            message: crate::error::sentence(&e.to_string()),
            receipt_id: None,
            vault_id: None,
            received_by: None,
            all_verified: None,
            files: 0,
        },
    })
}

/// Validates a BagIt bag on disk (no vault, no login): every manifest, tag manifest and
/// Payload-Oxum.
pub fn bag_validate(path: &Path) -> Result<BagReport, AppError> {
    validate_bag(path).map_err(|e| AppError::invalid(crate::error::sentence(&e.to_string())))
}

impl Session {
    /// Every delivery, newest first (ties in the same second by the order received). Lead only.
    pub async fn list_batches(&self) -> Result<Vec<BatchDto>, AppError> {
        let _grant = self.authorize(Action::ViewSourceItems).await?;
        let names = user_names(&self.pool).await?;
        let rows = sqlx::query(
            "SELECT id, mode, status, received_by, started_at, finished_at, counts, receipt_sha256 \
             FROM batches ORDER BY started_at DESC, rowid DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let by: String = r.get(3);
                Ok(BatchDto {
                    id: r.get(0),
                    mode: match r.get::<String, _>(1).as_str() {
                        "folder" => airlock_ingest::plan::SourceMode::Folder,
                        "manifest" => airlock_ingest::plan::SourceMode::Manifest,
                        "bagit" => airlock_ingest::plan::SourceMode::Bagit,
                        _ => return Err(damaged()),
                    },
                    status: BatchStatus::parse(&r.get::<String, _>(2)).ok_or_else(damaged)?,
                    received_by: by
                        .parse::<UserId>()
                        .ok()
                        .and_then(|u| names.get(&u).cloned()),
                    started_at: r.get(4),
                    finished_at: r.get(5),
                    totals: counts_from_json(&r.get::<String, _>(6)),
                    receipt_sha256: r.get(7),
                })
            })
            .collect()
    }

    /// The report of a finished batch, from its signed receipt. Lead only; audited
    /// (the report names files).
    pub async fn batch_report(&self, batch: &str) -> Result<IngestReport, AppError> {
        let _grant = self.authorize(Action::ViewSourceItems).await?;
        let report = self.stored_report(batch, false).await?;
        let mut d = self.draft(EventKind::SourceItemsViewed, Outcome::Success);
        d.object_kind = Some("batch".into());
        d.object_id = Some(batch.to_string());
        d.detail.insert("files".into(), report.files.len().into());
        self.record_alone(d).await?;
        Ok(report)
    }

    /// A page of received items with their original names. Lead only; audited.
    pub async fn list_items(&self, filter: &ItemFilter) -> Result<ItemPage, AppError> {
        let _grant = self.authorize(Action::ViewSourceItems).await?;
        let blobs = self.vault.blobs(&self.keys.work, self.keys.source.as_ref());
        let mut clauses = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(b) = filter.batch_id.as_deref().filter(|b| !b.trim().is_empty()) {
            clauses.push("i.batch_id = ?");
            binds.push(b.trim().to_string());
        }
        if let Some(s) = filter.status {
            clauses.push("i.status = ?");
            binds.push(s.as_str().to_string());
        }
        let wh = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT count(*) FROM items i{wh}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(&self.pool).await?;
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let sql = format!(
            "SELECT i.id, i.number, i.batch_id, i.kind, i.size, i.status, i.part, f.id, f.sealed, f.kind \
             FROM items i JOIN source_files f ON f.id = i.source_file_id{wh} \
             ORDER BY i.number LIMIT {limit} OFFSET {}",
            filter.offset
        );
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let source_name = source_name(
                &blobs,
                &r.get::<String, _>(7),
                &r.get::<Vec<u8>, _>(8),
                r.get(6),
                &r.get::<String, _>(9),
            )?;
            out.push(ItemDto {
                id: r.get(0),
                number: r.get::<i64, _>(1) as u64,
                batch_id: r.get(2),
                kind: r.get(3),
                size: r.get::<i64, _>(4) as u64,
                status: ItemStatus::parse(&r.get::<String, _>(5)).ok_or_else(damaged)?,
                source_name,
            });
        }
        let mut d = self.draft(EventKind::SourceItemsViewed, Outcome::Success);
        d.object_kind = Some("items".into());
        d.detail.insert("rows".into(), out.len().into());
        self.record_alone(d).await?;
        Ok(ItemPage {
            rows: out,
            total: total as u64,
        })
    }

    /// Decides a batch with problems: release its verified files (problem files stay
    /// quarantined), or abort it (every item discarded; the same delivery may then be
    /// received again). Lead only; an abort needs a reason.
    pub async fn decide_batch(
        &self,
        batch: &str,
        decision: BatchDecision,
        reason: Option<&str>,
    ) -> Result<BatchStatus, AppError> {
        let _grant = self.authorize(Action::DecideBatch).await?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if decision == BatchDecision::Abort && reason.is_none() {
            return Err(AppError::invalid("Say why the batch is aborted."));
        }
        if reason.is_some_and(|r| r.chars().count() > 2000) {
            return Err(AppError::invalid(
                "The reason must be at most 2,000 characters.",
            ));
        }
        let mut tx = self.begin().await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM batches WHERE id = ?")
            .bind(batch)
            .fetch_optional(&mut *tx)
            .await?;
        let status = BatchStatus::parse(
            &status.ok_or_else(|| AppError::new(ErrorCode::NotFound, "No batch has this id."))?,
        )
        .ok_or_else(damaged)?;
        let allowed = match decision {
            BatchDecision::ReleaseVerified => status == BatchStatus::NeedsDecision,
            BatchDecision::Abort => {
                matches!(status, BatchStatus::NeedsDecision | BatchStatus::Receiving)
            }
        };
        if !allowed {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "This batch is {} and cannot be changed that way.",
                    status.as_str().replace('_', " ")
                ),
            ));
        }
        let now = rfc3339(self.now());
        let reason_id = match reason {
            Some(text) => {
                let id = ReasonId::new();
                sqlx::query("INSERT INTO reasons (id, text, created_at) VALUES (?, ?, ?)")
                    .bind(id.to_string())
                    .bind(text)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                Some((id, hex::encode(Sha256::digest(text.as_bytes()))))
            }
            None => None,
        };
        let (new_status, kind) = match decision {
            BatchDecision::ReleaseVerified => {
                sqlx::query(
                    "UPDATE items SET status = 'received' WHERE batch_id = ? AND status = 'held'",
                )
                .bind(batch)
                .execute(&mut *tx)
                .await?;
                (BatchStatus::Released, EventKind::BatchReleased)
            }
            BatchDecision::Abort => {
                sqlx::query("UPDATE items SET status = 'discarded' WHERE batch_id = ?")
                    .bind(batch)
                    .execute(&mut *tx)
                    .await?;
                (BatchStatus::Aborted, EventKind::BatchAborted)
            }
        };
        // An aborted batch frees its source tag, so the delivery can be received afresh.
        sqlx::query(
            "UPDATE batches SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?, \
             source_tag = CASE WHEN ? = 'aborted' THEN source_tag || ':aborted:' || id ELSE source_tag END \
             WHERE id = ?",
        )
        .bind(new_status.as_str())
        .bind(self.user_id.to_string())
        .bind(&now)
        .bind(reason_id.as_ref().map(|(id, _)| id.to_string()))
        .bind(new_status.as_str())
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(kind, Outcome::Success);
        d.object_kind = Some("batch".into());
        d.object_id = Some(batch.to_string());
        if let Some((id, hash)) = &reason_id {
            d.detail.insert("reason_id".into(), id.to_string().into());
            d.detail.insert("reason_sha256".into(), hash.clone().into());
        }
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(new_status)
    }

    /// Writes a finished batch's signed receipt to `out` (JSON) and a readable summary to
    /// `out` with `.txt` added. Lead only; audited, since the receipt names files.
    pub async fn export_receipt(&self, batch: &str, out: &Path) -> Result<ReceiptExport, AppError> {
        let _grant = self.authorize(Action::ExportReceipt).await?;
        let (signed, _) = self.load_receipt(batch).await?;
        let json = serde_json::to_vec_pretty(&signed).expect("receipts serialise");
        let mut text_path = out.as_os_str().to_owned();
        text_path.push(".txt");
        let text_path = std::path::PathBuf::from(text_path);
        let write_err = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound => AppError::new(
                ErrorCode::NotFound,
                "The folder for the receipt does not exist.",
            ),
            _ => AppError::new(
                ErrorCode::InvalidInput,
                "The receipt could not be written there.",
            ),
        };
        write_atomic(out, &json).map_err(write_err)?;
        write_atomic(&text_path, summary_text(&signed).as_bytes()).map_err(write_err)?;
        let digest = signed.receipt.digest_hex();
        let mut d = self.draft(EventKind::ReceiptExported, Outcome::Success);
        d.object_kind = Some("batch".into());
        d.object_id = Some(batch.to_string());
        d.detail
            .insert("receipt_sha256".into(), digest.clone().into());
        self.record_alone(d).await?;
        Ok(ReceiptExport {
            json_path: out.display().to_string(),
            text_path: text_path.display().to_string(),
            receipt_sha256: digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse_back_in_report_order() {
        let c = counts_from_json(
            r#"{"missing":{"files":1,"bytes":0},"verified":{"files":2,"bytes":9}}"#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].verdict, Verdict::Verified);
        assert!(counts_from_json("not json").is_empty());
    }
}
