//! A logged-in session: who, with which keys, since when, and the two things every use
//! case does first — check the permission table and write the audit event in the same
//! transaction as the change.

use crate::clock::Clock;
use crate::error::{AppError, ErrorCode};
use crate::json::SessionInfo;
use airlock_audit::{format_ts, EventDraft};
use airlock_model::{Action, EventKind, Outcome, Role, SessionId, UserId};
use airlock_vault::{SlotKeys, Vault};
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, SqliteConnection, Transaction};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Proof that a permission check passed. Only [`Session::authorize`] makes one, so a
/// `_with_grant` use case cannot be reached without the check.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    action: Action,
}

impl Grant {
    /// The action this grant allows.
    pub fn action(&self) -> Action {
        self.action
    }
}

/// Why a session ended (recorded in the logout event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The user logged out or locked the screen.
    Logout,
    /// The idle timeout passed.
    IdleTimeout,
    /// The vault was closed.
    VaultClosed,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::VaultClosed => "vault_closed",
        }
    }
}

/// A logged-in user with their unlocked keys and the open database.
pub struct Session {
    pub(crate) vault: Vault,
    pub(crate) pool: SqlitePool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) id: SessionId,
    pub(crate) user_id: UserId,
    pub(crate) user_name: String,
    pub(crate) role: Role,
    pub(crate) keys: SlotKeys,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) last_activity: OffsetDateTime,
    pub(crate) break_glass_until: Option<OffsetDateTime>,
    pub(crate) totp_enabled: bool,
    pub(crate) totp_pending: Option<zeroize::Zeroizing<String>>,
    pub(crate) audit_viewed: bool,
    pub(crate) project_name: String,
    /// Decoded images of this session (dropped with it).
    pub(crate) series: crate::images::SeriesCache,
}

impl Session {
    /// The logged-in user's id.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The logged-in user's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The vault this session belongs to.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn idle_timeout(&self) -> Duration {
        Duration::minutes(i64::from(self.vault.header().policy.idle_timeout_minutes))
    }

    /// Whether the idle timeout has passed at `now`.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        now - self.last_activity >= self.idle_timeout()
    }

    /// Records user activity (extends the idle timer).
    pub fn touch(&mut self, now: OffsetDateTime) {
        self.last_activity = now;
    }

    pub(crate) fn break_glass_active(&self, now: OffsetDateTime) -> bool {
        self.break_glass_until.is_some_and(|u| u > now)
    }

    /// What the UI shows about this session.
    pub fn info(&self) -> SessionInfo {
        let now = self.now();
        let remaining = (self.idle_timeout() - (now - self.last_activity))
            .whole_seconds()
            .max(0);
        SessionInfo {
            session_id: self.id.to_string(),
            user_id: self.user_id.to_string(),
            user_name: self.user_name.clone(),
            role: self.role,
            project_name: self.project_name.clone(),
            idle_timeout_secs: self.idle_timeout().whole_seconds() as u32,
            idle_remaining_secs: remaining as u32,
            break_glass_until: self
                .break_glass_until
                .filter(|u| *u > now)
                .map(crate::rfc3339),
            totp_enabled: self.totp_enabled,
        }
    }

    /// An event draft with this session's actor, role, session and break-glass flag.
    pub(crate) fn draft(&self, kind: EventKind, outcome: Outcome) -> EventDraft {
        let now = self.now();
        EventDraft {
            ts: format_ts(now),
            actor_id: Some(self.user_id),
            actor_role: Some(self.role),
            session_id: Some(self.id),
            kind,
            outcome,
            object_kind: None,
            object_id: None,
            detail: serde_json::Map::new(),
            break_glass: self.break_glass_active(now),
        }
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`, so concurrent writers queue).
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Sqlite>, AppError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Appends an event in the caller's transaction.
    pub(crate) async fn record(
        &self,
        tx: &mut SqliteConnection,
        draft: EventDraft,
    ) -> Result<(), AppError> {
        airlock_audit::append(tx, self.vault.id(), draft).await?;
        Ok(())
    }

    /// Appends an event that is the whole action (a view, a refusal) in a transaction of its
    /// own.
    pub(crate) async fn record_alone(&self, draft: EventDraft) -> Result<(), AppError> {
        let mut tx = self.begin().await?;
        self.record(&mut tx, draft).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the permission table for `action`. A refusal is audited (in its own
    /// transaction, since nothing else happens) and returned as `forbidden`.
    pub async fn authorize(&self, action: Action) -> Result<Grant, AppError> {
        let now = self.now();
        let allowed = if self.break_glass_active(now) {
            self.role.may_in_emergency(action)
        } else {
            self.role.may(action)
        };
        if allowed {
            return Ok(Grant { action });
        }
        let mut draft = self.draft(EventKind::AccessDenied, Outcome::Denied);
        draft.detail.insert("action".into(), action.as_str().into());
        self.record_alone(draft).await?;
        Err(AppError::new(
            ErrorCode::Forbidden,
            format!(
                "Your role ({}) does not allow this ({}).",
                self.role,
                action.as_str().replace('_', " ")
            ),
        ))
    }

    /// Ends the session: records the logout with its duration and reason, signs a
    /// checkpoint over the log head with the user's key, closes the database and drops
    /// the keys (zeroized).
    pub async fn end(self, reason: EndReason) -> Result<(), AppError> {
        let end = match reason {
            EndReason::IdleTimeout => self.last_activity + self.idle_timeout(),
            _ => self.now(),
        };
        let mut draft = self.draft(EventKind::Logout, Outcome::Success);
        draft.ts = format_ts(end);
        draft.object_kind = Some("session".into());
        draft.object_id = Some(self.id.to_string());
        draft.detail.insert("reason".into(), reason.as_str().into());
        draft.detail.insert(
            "duration_secs".into(),
            (end - self.started_at).whole_seconds().max(0).into(),
        );
        let mut tx = self.begin().await?;
        self.record(&mut tx, draft).await?;
        sqlx::query("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?")
            .bind(crate::rfc3339(end))
            .bind(reason.as_str())
            .bind(self.id.to_string())
            .execute(&mut *tx)
            .await?;
        self.checkpoint(&mut tx).await?;
        tx.commit().await?;
        self.pool.close().await;
        Ok(())
    }

    /// Signs the current log head with this user's key, inside `tx`.
    pub(crate) async fn checkpoint(&self, tx: &mut SqliteConnection) -> Result<(), AppError> {
        if let Some(personal) = &self.keys.personal {
            airlock_audit::checkpoint(
                tx,
                self.vault.id(),
                self.user_id,
                &personal.signing,
                self.now(),
            )
            .await?;
        }
        Ok(())
    }
}
