//! Audit use cases: the viewer's query, chain verification, exports, and offline
//! verification of an exported file.

use crate::account::user_names;
use crate::error::{AppError, ErrorCode};
use crate::json::{
    self, AuditFilter, AuditPage, AuditRow, AuditSegment, ExportFormat, ExportResult, VerifyReport,
};
use crate::session::Session;
use airlock_audit::{ExportSigner, ProblemKind};
use airlock_model::{Action, EventKind, Outcome, UserId};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use std::path::Path;

const MAX_PAGE: u32 = 1000;

/// Converts the audit crate's report into the DTO, naming signers.
pub(crate) fn report_dto(
    r: airlock_audit::VerifyReport,
    names: &HashMap<UserId, String>,
) -> VerifyReport {
    VerifyReport {
        ok: r.ok,
        events: r.events as u64,
        head_hash: r.head_hash,
        checkpoints: r.checkpoints as u64,
        signers: r
            .signers
            .iter()
            .map(|u| names.get(u).cloned().unwrap_or_else(|| u.to_string()))
            .collect(),
        segments: r.segments as u64,
        segment_events: r.segment_events as u64,
        problem: r.problem.map(problem_dto),
    }
}

/// Converts the audit crate's problem into the DTO.
pub(crate) fn problem_dto(p: airlock_audit::ChainProblem) -> json::ChainProblem {
    json::ChainProblem {
        seq: p.seq,
        kind: match p.kind {
            ProblemKind::Changed => json::ProblemKind::Changed,
            ProblemKind::Removed => json::ProblemKind::Removed,
            ProblemKind::Inserted => json::ProblemKind::Inserted,
            ProblemKind::Reordered => json::ProblemKind::Reordered,
            ProblemKind::Malformed => json::ProblemKind::Malformed,
            ProblemKind::BadSignature => json::ProblemKind::BadSignature,
            ProblemKind::Truncated => json::ProblemKind::Truncated,
        },
        message: p.message,
    }
}

/// Verifies an exported JSONL audit log offline (no vault, no login needed).
pub fn verify_export_file(path: &Path) -> Result<VerifyReport, AppError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AppError::new(ErrorCode::NotFound, "The audit export file does not exist.")
        }
        _ => AppError::new(
            ErrorCode::InvalidInput,
            "The audit export file cannot be read.",
        ),
    })?;
    let (report, _, names) = airlock_audit::verify_jsonl(&bytes);
    Ok(report_dto(report, &names))
}

fn day_bound(day: &str, end: bool) -> Result<String, AppError> {
    let d = time::Date::parse(
        day.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| AppError::invalid("Dates must be written YYYY-MM-DD."))?;
    Ok(if end {
        format!("{}T23:59:59.999999Z", d)
    } else {
        format!("{}T00:00:00.000000Z", d)
    })
}

impl Session {
    /// Signs a checkpoint over the head and serialises the whole log with its merged
    /// workspace segments (signed JSONL, or CSV) inside `tx`; returns the bytes and the
    /// main chain's events they hold.
    pub(crate) async fn audit_bytes(
        &self,
        tx: &mut sqlx::SqliteConnection,
        format: ExportFormat,
    ) -> Result<(Vec<u8>, Vec<airlock_audit::Event>), AppError> {
        let names = user_names(&self.pool).await?;
        let personal = self.keys.personal.as_ref().ok_or_else(|| {
            AppError::new(ErrorCode::Internal, "This session has no signing key.")
        })?;
        self.checkpoint(tx).await?;
        let events = airlock_audit::load_events(tx).await?;
        let checkpoints = airlock_audit::load_checkpoints(tx).await?;
        let segments = crate::packages::load_segments(tx, &events).await?;
        let mut bytes = Vec::new();
        match format {
            ExportFormat::Jsonl => {
                let keys = sqlx::query(
                    "SELECT k.public_key, k.user_id, u.name FROM signing_keys k JOIN users u ON u.id = k.user_id \
                     ORDER BY k.created_at, k.public_key",
                )
                .fetch_all(&mut *tx)
                .await?;
                let signers = keys
                    .into_iter()
                    .filter_map(|r| {
                        let uid: String = r.get(1);
                        Some(ExportSigner {
                            user_id: uid.parse().ok()?,
                            name: r.get(2),
                            public_key: r.get(0),
                        })
                    })
                    .collect();
                airlock_audit::export_jsonl(
                    &mut bytes,
                    self.vault.id(),
                    &events,
                    &checkpoints,
                    &segments,
                    signers,
                    self.user_id,
                    &personal.signing,
                    airlock_audit::format_ts(self.now()),
                )
                .map_err(|_| {
                    AppError::new(ErrorCode::Internal, "The export could not be assembled.")
                })?;
            }
            ExportFormat::Csv => {
                airlock_audit::export_csv(&mut bytes, &events, &segments, |u| {
                    names.get(&u).cloned()
                })?;
            }
        }
        Ok((bytes, events))
    }

    /// A page of the audit log, newest first, filtered. Lead and compliance. The first
    /// view in a session is itself audited.
    pub async fn audit_query(&mut self, filter: &AuditFilter) -> Result<AuditPage, AppError> {
        let _grant = self.authorize(Action::ViewAudit).await?;
        let names = user_names(&self.pool).await?;
        let mut clauses: Vec<&str> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(actor) = filter
            .actor
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            let ids: Vec<String> = names
                .iter()
                .filter(|(id, n)| n.eq_ignore_ascii_case(actor) || id.to_string() == actor)
                .map(|(id, _)| id.to_string())
                .collect();
            clauses.push("actor_id = ?");
            binds.push(ids.into_iter().next().unwrap_or_else(|| "-".into()));
        }
        if let Some(kind) = filter.action {
            clauses.push("action = ?");
            binds.push(kind.as_str().into());
        }
        if let Some(from) = filter.from.as_deref().filter(|s| !s.trim().is_empty()) {
            clauses.push("ts >= ?");
            binds.push(day_bound(from, false)?);
        }
        if let Some(to) = filter.to.as_deref().filter(|s| !s.trim().is_empty()) {
            clauses.push("ts <= ?");
            binds.push(day_bound(to, true)?);
        }
        if filter.failures_only {
            clauses.push("outcome <> 'success'");
        }
        if filter.break_glass_only {
            clauses.push("break_glass = 1");
        }
        let wh = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT count(*) FROM audit_events{wh}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(&self.pool).await?;
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let page_sql = format!(
            "SELECT seq, id, ts, actor_id, actor_role, action, outcome, object_kind, object_id, detail, break_glass, \
             prev_hash, hash FROM audit_events{wh} ORDER BY seq DESC LIMIT {limit} OFFSET {}",
            filter.offset
        );
        let mut page = sqlx::query(&page_sql);
        for b in &binds {
            page = page.bind(b);
        }
        let rows = page.fetch_all(&self.pool).await?;
        let name_of = |id: &Option<String>| {
            id.as_deref()
                .and_then(|s| s.parse::<UserId>().ok())
                .and_then(|u| names.get(&u).cloned())
        };
        let rows = rows
            .into_iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                let actor_id: Option<String> = r.get(3);
                let role: Option<String> = r.get(4);
                let action: String = r.get(5);
                let outcome: String = r.get(6);
                let object_kind: Option<String> = r.get(7);
                let object_id: Option<String> = r.get(8);
                let unreadable = || {
                    AppError::new(
                        ErrorCode::VaultError,
                        format!("Audit event #{seq} is not readable."),
                    )
                };
                Ok(AuditRow {
                    seq,
                    id: r.get(1),
                    ts: r.get(2),
                    actor_name: name_of(&actor_id),
                    actor_id,
                    actor_role: role
                        .map(|s| s.parse())
                        .transpose()
                        .map_err(|_| unreadable())?,
                    action: EventKind::parse(&action).ok_or_else(unreadable)?,
                    outcome: Outcome::parse(&outcome).ok_or_else(unreadable)?,
                    object_name: if object_kind.as_deref() == Some("user") {
                        name_of(&object_id)
                    } else {
                        None
                    },
                    object_kind,
                    object_id,
                    detail: r.get(9),
                    break_glass: r.get(10),
                    prev_hash: r.get(11),
                    hash: r.get(12),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        self.mark_audit_viewed().await?;
        Ok(AuditPage {
            rows,
            total: total as u64,
        })
    }

    /// Audits the first view of the log in this session.
    async fn mark_audit_viewed(&mut self) -> Result<(), AppError> {
        if !self.audit_viewed {
            let mut tx = self.begin().await?;
            let mut d = self.draft(EventKind::AuditViewed, Outcome::Success);
            d.object_kind = Some("audit_log".into());
            self.record(&mut tx, d).await?;
            tx.commit().await?;
            self.audit_viewed = true;
        }
        Ok(())
    }

    /// The workspace events that the `package_merged` event at `merge_seq` brought in.
    /// Lead and compliance; a view of the log, audited like [`Session::audit_query`].
    pub async fn audit_segment(&mut self, merge_seq: i64) -> Result<AuditSegment, AppError> {
        let _grant = self.authorize(Action::ViewAudit).await?;
        let not_merge = || {
            AppError::new(
                ErrorCode::NotFound,
                format!("Event #{merge_seq} is not a package merge."),
            )
        };
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT action, detail FROM audit_events WHERE seq = ?")
                .bind(merge_seq)
                .fetch_optional(&self.pool)
                .await?;
        let (action, detail) = row.ok_or_else(not_merge)?;
        if action != EventKind::PackageMerged.as_str() {
            return Err(not_merge());
        }
        let d: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
        let workspace = d["workspace_vault"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (first, last) = (
            d["segment_first_seq"].as_i64().unwrap_or(0),
            d["segment_last_seq"].as_i64().unwrap_or(-1),
        );
        let names = user_names(&self.pool).await?;
        let annotator = d["annotator"]
            .as_str()
            .and_then(|u| u.parse::<UserId>().ok())
            .and_then(|u| names.get(&u).cloned());
        let stored: Vec<String> = sqlx::query_scalar(
            "SELECT event FROM audit_segments WHERE workspace_vault = ? AND seq BETWEEN ? AND ? ORDER BY seq",
        )
        .bind(&workspace)
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let rows = stored
            .iter()
            .map(|text| {
                let e: airlock_audit::Event =
                    serde_json::from_str(text).map_err(|_| crate::packages::segment_damaged())?;
                Ok(AuditRow {
                    seq: e.seq,
                    id: e.id.to_string(),
                    ts: e.ts,
                    actor_name: e.actor_id.and(annotator.clone()),
                    actor_id: e.actor_id.map(|u| u.to_string()),
                    actor_role: e.actor_role,
                    action: e.action,
                    outcome: e.outcome,
                    object_kind: e.object_kind,
                    object_id: e.object_id,
                    object_name: None,
                    detail: e.detail,
                    break_glass: e.break_glass,
                    prev_hash: e.prev_hash,
                    hash: e.hash,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        self.mark_audit_viewed().await?;
        Ok(AuditSegment {
            merge_seq,
            workspace_vault: workspace,
            rows,
        })
    }

    async fn signing_keys(&self) -> Result<HashMap<String, UserId>, AppError> {
        let rows = sqlx::query("SELECT public_key, user_id FROM signing_keys")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let uid: String = r.get(1);
                Some((r.get::<String, _>(0), uid.parse().ok()?))
            })
            .collect())
    }

    /// Verifies the whole chain and its checkpoints. The verification is audited with
    /// its result, after the check (so it covers everything before it).
    pub async fn audit_verify(&mut self) -> Result<VerifyReport, AppError> {
        let _grant = self.authorize(Action::VerifyAudit).await?;
        let mut conn = self.pool.acquire().await?;
        let events = airlock_audit::load_events(&mut conn).await?;
        let checkpoints = airlock_audit::load_checkpoints(&mut conn).await?;
        drop(conn);
        let keys = self.signing_keys().await?;
        let report = airlock_audit::verify_chain(self.vault.id(), &events, &checkpoints, &keys);
        let names = user_names(&self.pool).await?;
        let mut report = report_dto(report, &names);
        if report.ok {
            self.verify_segments(&events, &mut report).await?;
        }
        let mut tx = self.begin().await?;
        let mut d = self.draft(
            EventKind::AuditVerified,
            if report.ok {
                Outcome::Success
            } else {
                Outcome::Failure
            },
        );
        d.object_kind = Some("audit_log".into());
        d.detail.insert("events".into(), report.events.into());
        if let Some(p) = &report.problem {
            d.detail.insert("problem_seq".into(), p.seq.into());
            d.detail.insert(
                "problem".into(),
                serde_json::to_value(p.kind).expect("kinds serialise"),
            );
        }
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Exports the audit log (JSONL: signed and verifiable; CSV: for spreadsheets),
    /// written atomically. The export is audited with the file's SHA-256.
    pub async fn audit_export(
        &mut self,
        format: ExportFormat,
        out: &Path,
    ) -> Result<ExportResult, AppError> {
        let _grant = self.authorize(Action::ExportAudit).await?;
        let mut tx = self.begin().await?;
        let (bytes, events) = self.audit_bytes(&mut tx, format).await?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(AppError::invalid(
                    "The folder for the export does not exist.",
                ));
            }
        }
        airlock_vault::write_atomic(out, &bytes).map_err(|e| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("The export could not be written ({:?}).", e.kind()),
            )
        })?;
        let mut d = self.draft(EventKind::AuditExported, Outcome::Success);
        d.object_kind = Some("audit_log".into());
        d.detail.insert(
            "format".into(),
            serde_json::to_value(format).expect("formats serialise"),
        );
        d.detail.insert("events".into(), events.len().into());
        d.detail
            .insert("sha256".into(), hex::encode(Sha256::digest(&bytes)).into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(ExportResult {
            path: out.display().to_string(),
            events: events.len() as u64,
        })
    }
}
