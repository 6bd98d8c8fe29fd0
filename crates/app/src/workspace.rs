//! The workspace: which vault is open and who is logged in. Creating, opening and
//! closing vaults, logging in and out, and the idle lock live here; the CLI and the
//! desktop shell each hold one `Workspace`.

use crate::clock::{Clock, SystemClock};
use crate::error::{AppError, ErrorCode};
use crate::json::{AppStatus, CreatedVault, SessionInfo, VaultSummary};
use crate::session::{EndReason, Session};
use crate::{rfc3339, validate_passphrase, validate_user_name};
use airlock_audit::{format_ts, EventDraft};
use airlock_model::{EventKind, Outcome, Role, SessionId, UserId};
use airlock_vault::{KdfParams, PersonalKeys, Policy, UnlockFailure, Vault};
use rand::RngCore;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;

/// A pre-login event as written to the vault's encrypted intake folder.
#[derive(Serialize, Deserialize)]
struct IntakeEvent {
    ts: String,
    actor_id: Option<UserId>,
    actor_role: Option<Role>,
    kind: EventKind,
    outcome: Outcome,
    reason: String,
}

/// The open vault (if any) and the session (if any).
pub struct Workspace {
    clock: Arc<dyn Clock>,
    kdf: KdfParams,
    default_dir: PathBuf,
    vault: Option<Vault>,
    session: Option<Session>,
}

impl Workspace {
    /// A workspace using the system clock and production argon2id parameters.
    /// `default_dir` is where new vaults are proposed.
    pub fn new(default_dir: PathBuf) -> Workspace {
        Workspace::with_clock(default_dir, Arc::new(SystemClock), KdfParams::DEFAULT)
    }

    /// A workspace with a given clock and KDF parameters (tests).
    pub fn with_clock(default_dir: PathBuf, clock: Arc<dyn Clock>, kdf: KdfParams) -> Workspace {
        Workspace {
            clock,
            kdf,
            default_dir,
            vault: None,
            session: None,
        }
    }

    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Another workspace with this one's clock, KDF parameters and default folder, and
    /// no vault open: a second laptop, as the demo simulates one.
    pub(crate) fn sibling(&self) -> Workspace {
        Workspace::with_clock(self.default_dir.clone(), self.clock.clone(), self.kdf)
    }

    /// The open vault and session, for the desktop's first screen. Does not extend the
    /// idle timer.
    pub async fn status(&mut self) -> AppStatus {
        let session = self.session_status().await;
        AppStatus {
            vault: self.vault.as_ref().map(summary),
            session,
            default_vault_dir: self.default_dir.display().to_string(),
        }
    }

    /// Creates a vault at `path` with its first lead, and opens it (not logged in).
    pub async fn create_vault(
        &mut self,
        path: &Path,
        project_name: &str,
        lead_name: &str,
        passphrase: &SecretString,
    ) -> Result<CreatedVault, AppError> {
        let project_name = project_name.trim();
        if project_name.is_empty() || project_name.chars().count() > 200 {
            return Err(AppError::invalid(
                "The project name must be 1 to 200 characters.",
            ));
        }
        validate_user_name(lead_name)?;
        validate_passphrase(passphrase)?;
        self.close_vault().await?;
        let created_dir = !path.exists();
        let result = self
            .create_vault_inner(path, project_name, lead_name, passphrase, Role::Lead)
            .await;
        if result.is_err() && created_dir {
            let _ = std::fs::remove_dir_all(path);
        }
        result
    }

    /// Creates an annotator's personal workspace vault at `path`, with `user_name` as its
    /// only user (an annotator, holding the work key only), and opens it (not logged in).
    /// Work packages from a lead are opened into it; see `Session::package_open`.
    pub async fn create_workspace_vault(
        &mut self,
        path: &Path,
        user_name: &str,
        passphrase: &SecretString,
    ) -> Result<CreatedVault, AppError> {
        validate_user_name(user_name)?;
        validate_passphrase(passphrase)?;
        self.close_vault().await?;
        let created_dir = !path.exists();
        let result = self
            .create_vault_inner(
                path,
                crate::packages::WORKSPACE_PROJECT,
                user_name,
                passphrase,
                Role::Annotator,
            )
            .await;
        if result.is_err() && created_dir {
            let _ = std::fs::remove_dir_all(path);
        }
        result
    }

    async fn create_vault_inner(
        &mut self,
        path: &Path,
        project_name: &str,
        lead_name: &str,
        passphrase: &SecretString,
        role: Role,
    ) -> Result<CreatedVault, AppError> {
        let (mut vault, keys, code) = Vault::create(path, self.kdf, Policy::default())?;
        let personal = PersonalKeys::generate();
        let lead = UserId::new();
        let now = self.clock.now();
        let pool = vault.connect(&keys.work).await?;
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for (k, v) in [
            ("project_name", project_name.to_string()),
            ("created_at", rfc3339(now)),
        ] {
            sqlx::query("INSERT INTO settings(key, value) VALUES (?, ?)")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        crate::users::insert_user(&mut tx, lead, lead_name, role, None, &personal, now).await?;
        let mut created = EventDraft::system(EventKind::VaultCreated, format_ts(now));
        created.actor_id = Some(lead);
        created.actor_role = Some(role);
        created.object_kind = Some("vault".into());
        created.object_id = Some(vault.id().to_string());
        if role != Role::Lead {
            created.detail.insert("workspace".into(), true.into());
        }
        airlock_audit::append(&mut tx, vault.id(), created).await?;
        let mut added = EventDraft::system(EventKind::UserAdded, format_ts(now));
        added.actor_id = Some(lead);
        added.actor_role = Some(role);
        added.object_kind = Some("user".into());
        added.object_id = Some(lead.to_string());
        added.detail.insert("role".into(), role.as_str().into());
        airlock_audit::append(&mut tx, vault.id(), added).await?;
        airlock_audit::checkpoint(&mut tx, vault.id(), lead, &personal.signing, now).await?;
        tx.commit().await?;
        pool.close().await;
        vault.add_user_slot(
            lead,
            role,
            lead_name,
            passphrase,
            &keys.work,
            role.holds_source_key().then_some(&keys.source),
            personal,
        )?;
        let out = CreatedVault {
            vault: summary(&vault),
            recovery_code: code.reveal().to_string(),
        };
        self.vault = Some(vault);
        Ok(out)
    }

    /// Opens the vault at `path` (reads its header; nobody is logged in yet).
    pub async fn open_vault(&mut self, path: &Path) -> Result<VaultSummary, AppError> {
        let vault = Vault::open(path)?;
        self.close_vault().await?;
        let s = summary(&vault);
        self.vault = Some(vault);
        Ok(s)
    }

    /// Logs out (if needed) and closes the vault.
    pub async fn close_vault(&mut self) -> Result<(), AppError> {
        if let Some(s) = self.session.take() {
            s.end(EndReason::VaultClosed).await?;
        }
        self.vault = None;
        Ok(())
    }

    /// The open vault.
    pub fn vault(&self) -> Option<&Vault> {
        self.vault.as_ref()
    }

    fn record_intake(
        vault: &Vault,
        now: OffsetDateTime,
        event: IntakeEvent,
    ) -> Result<(), AppError> {
        let mut r = [0u8; 6];
        rand::rngs::OsRng.fill_bytes(&mut r);
        let id = format!("{}-{}", now.unix_timestamp_nanos(), hex::encode(r));
        let bytes = serde_json::to_vec(&event).expect("intake events serialise");
        vault.write_intake(&id, &bytes)?;
        Ok(())
    }

    /// Logs in with a user name, passphrase and (when enrolled) a TOTP code. Every
    /// failure is audited; repeated failures lock the account per the vault's policy.
    pub async fn login(
        &mut self,
        name: &str,
        passphrase: &SecretString,
        totp_code: Option<&str>,
    ) -> Result<SessionInfo, AppError> {
        if let Some(s) = self.session.take() {
            s.end(EndReason::Logout).await?;
        }
        let clock = self.clock.clone();
        let vault = self.vault.as_mut().ok_or_else(AppError::no_vault)?;
        let now = clock.now();
        let intake = |user: Option<(UserId, Role)>, kind, outcome, reason: &str| IntakeEvent {
            ts: format_ts(now),
            actor_id: user.map(|u| u.0),
            actor_role: user.map(|u| u.1),
            kind,
            outcome,
            reason: reason.into(),
        };
        let (user_id, role, keys) = match vault.unlock(name, passphrase, now) {
            Ok(ok) => ok,
            Err(UnlockFailure::UnknownUser) => {
                Self::record_intake(
                    vault,
                    now,
                    intake(
                        None,
                        EventKind::LoginFailed,
                        Outcome::Failure,
                        "bad_credentials",
                    ),
                )?;
                return Err(AppError::bad_credentials());
            }
            Err(UnlockFailure::Locked { user_id, until }) => {
                let role = slot_role(vault, user_id);
                Self::record_intake(
                    vault,
                    now,
                    intake(
                        role.map(|r| (user_id, r)),
                        EventKind::LoginRefused,
                        Outcome::Denied,
                        "locked",
                    ),
                )?;
                return Err(locked_error(until));
            }
            Err(UnlockFailure::WrongPassphrase {
                user_id,
                locked_until,
            }) => {
                let who = slot_role(vault, user_id).map(|r| (user_id, r));
                Self::record_intake(
                    vault,
                    now,
                    intake(
                        who,
                        EventKind::LoginFailed,
                        Outcome::Failure,
                        "bad_credentials",
                    ),
                )?;
                if let Some(until) = locked_until {
                    Self::record_intake(
                        vault,
                        now,
                        intake(
                            who,
                            EventKind::AccountLocked,
                            Outcome::Success,
                            "failed_logins",
                        ),
                    )?;
                    return Err(locked_error(until));
                }
                return Err(AppError::bad_credentials());
            }
            Err(UnlockFailure::Vault(e)) => return Err(e.into()),
        };
        let pool = vault.connect(&keys.work).await?;
        let imported = import_intake(vault, &pool, &keys.work).await?;
        let row =
            sqlx::query("SELECT name, status, totp_enabled, totp_secret, totp_last_step FROM users WHERE id = ?")
                .bind(user_id.to_string())
                .fetch_optional(&pool)
                .await?;
        let mut base = EventDraft::system(EventKind::Login, format_ts(now));
        base.actor_id = Some(user_id);
        base.actor_role = Some(role);
        let refuse = |kind: EventKind, outcome: Outcome, reason: &str| {
            let mut d = base.clone();
            d.kind = kind;
            d.outcome = outcome;
            d.detail.insert("reason".into(), reason.into());
            d
        };
        let Some(row) = row else {
            append_one(
                &pool,
                vault,
                refuse(EventKind::LoginRefused, Outcome::Denied, "no_account"),
            )
            .await?;
            pool.close().await;
            return Err(AppError::bad_credentials());
        };
        let status: String = row.get(1);
        if status != "active" {
            append_one(
                &pool,
                vault,
                refuse(EventKind::LoginRefused, Outcome::Denied, "disabled"),
            )
            .await?;
            pool.close().await;
            vault.remove_user_slot(user_id)?;
            return Err(AppError::new(
                ErrorCode::AccountLocked,
                "This account is disabled. Ask a lead.",
            ));
        }
        let totp_enabled: bool = row.get(2);
        let mut accepted_step = None;
        if totp_enabled {
            let secret: Option<String> = row.get(3);
            let last_step: Option<i64> = row.get(4);
            let Some(code) = totp_code.map(str::trim).filter(|c| !c.is_empty()) else {
                pool.close().await;
                return Err(AppError::new(
                    ErrorCode::TotpRequired,
                    "Enter the 6-digit code from your authenticator.",
                ));
            };
            accepted_step = crate::account::fresh_totp_step(
                secret.as_deref().unwrap_or_default(),
                code,
                now,
                last_step,
            );
            if accepted_step.is_none() {
                let locked = vault.count_failure(user_id, now)?;
                append_one(
                    &pool,
                    vault,
                    refuse(EventKind::LoginFailed, Outcome::Failure, "totp"),
                )
                .await?;
                if locked.is_some() {
                    append_one(
                        &pool,
                        vault,
                        refuse(EventKind::AccountLocked, Outcome::Success, "failed_logins"),
                    )
                    .await?;
                }
                pool.close().await;
                return Err(match locked {
                    Some(until) => locked_error(until),
                    None => AppError::new(
                        ErrorCode::BadCredentials,
                        "The authenticator code is not correct.",
                    ),
                });
            }
        }
        vault.clear_failures(user_id)?;
        crate::users::reconcile_slots(vault, &pool).await?;
        let project_name: String =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'project_name'")
                .fetch_optional(&pool)
                .await?
                .unwrap_or_default();
        let session_id = SessionId::new();
        let mut login = base.clone();
        login.session_id = Some(session_id);
        login.object_kind = Some("session".into());
        login.object_id = Some(session_id.to_string());
        login
            .detail
            .insert("second_factor".into(), totp_enabled.into());
        if imported > 0 {
            login
                .detail
                .insert("pre_login_events_imported".into(), imported.into());
        }
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO sessions(id, user_id, started_at) VALUES (?, ?, ?)")
            .bind(session_id.to_string())
            .bind(user_id.to_string())
            .bind(rfc3339(now))
            .execute(&mut *tx)
            .await?;
        airlock_audit::append(&mut tx, vault.id(), login).await?;
        if let Some(step) = accepted_step {
            sqlx::query("UPDATE users SET totp_last_step = ? WHERE id = ?")
                .bind(step)
                .bind(user_id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let session = Session {
            vault: vault.clone(),
            pool,
            clock,
            id: session_id,
            user_id,
            user_name: row.get::<String, _>(0),
            role,
            keys,
            started_at: now,
            last_activity: now,
            break_glass_until: None,
            totp_enabled,
            totp_pending: None,
            audit_viewed: false,
            project_name,
            series: Default::default(),
        };
        let info = session.info();
        self.session = Some(session);
        Ok(info)
    }

    /// Logs out, recording the session's duration and signing a checkpoint.
    pub async fn logout(&mut self) -> Result<(), AppError> {
        match self.session.take() {
            Some(s) => s.end(EndReason::Logout).await,
            None => Ok(()),
        }
    }

    /// The active session, counting this call as user activity. After the idle timeout
    /// the session is ended (audited as an idle logout) and `session_expired` returned.
    pub async fn active(&mut self) -> Result<&mut Session, AppError> {
        let now = self.clock.now();
        let expired = match &self.session {
            None => return Err(AppError::not_logged_in()),
            Some(s) => s.expired(now),
        };
        if expired {
            self.expire().await?;
            return Err(expired_error());
        }
        let s = self.session.as_mut().expect("checked above");
        s.touch(now);
        Ok(s)
    }

    /// The session without counting as activity; `None` when logged out or idle-locked
    /// (which this call then records).
    pub async fn session_status(&mut self) -> Option<SessionInfo> {
        let now = self.clock.now();
        if self.session.as_ref()?.expired(now) {
            let _ = self.expire().await;
            return None;
        }
        self.session.as_ref().map(Session::info)
    }

    async fn expire(&mut self) -> Result<(), AppError> {
        if let Some(s) = self.session.take() {
            s.end(EndReason::IdleTimeout).await?;
        }
        Ok(())
    }

    /// Closes the database and forgets vault and session without writing anything (the
    /// vault is being destroyed; its last event is already written).
    pub(crate) async fn drop_vault(&mut self) {
        if let Some(s) = self.session.take() {
            s.pool.close().await;
        }
        self.vault = None;
    }

    /// Forgets vault and session (nothing open to close).
    pub(crate) fn forget_vault(&mut self) {
        self.session = None;
        self.vault = None;
    }

    pub(crate) fn vault_mut(&mut self) -> Result<&mut Vault, AppError> {
        self.vault.as_mut().ok_or_else(AppError::no_vault)
    }
}

fn expired_error() -> AppError {
    AppError::new(
        ErrorCode::SessionExpired,
        "The session was locked after inactivity. Log in again; all work is saved.",
    )
}

fn locked_error(until: OffsetDateTime) -> AppError {
    AppError::new(
        ErrorCode::AccountLocked,
        format!(
            "This account is locked until {:02}:{:02} UTC after repeated failed attempts. A lead can unlock it sooner.",
            until.hour(),
            until.minute()
        ),
    )
}

fn slot_role(vault: &Vault, user: UserId) -> Option<Role> {
    vault
        .header()
        .slot_for_user(user)
        .and_then(|s| match s.owner {
            airlock_vault::SlotOwner::User { role, .. } => Some(role),
            airlock_vault::SlotOwner::Recovery => None,
        })
}

pub(crate) fn summary(v: &Vault) -> VaultSummary {
    VaultSummary {
        path: v.dir().display().to_string(),
        vault_id: v.id().to_string(),
        format_version: v.header().version,
    }
}

async fn append_one(
    pool: &sqlx::SqlitePool,
    vault: &Vault,
    draft: EventDraft,
) -> Result<(), AppError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    airlock_audit::append(&mut tx, vault.id(), draft).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves pre-login events from the intake folder into the audit chain, once each.
async fn import_intake(
    vault: &Vault,
    pool: &sqlx::SqlitePool,
    work: &airlock_vault::Key32,
) -> Result<u64, AppError> {
    let (records, _unreadable) = vault.read_intake(work)?;
    if records.is_empty() {
        return Ok(0);
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut done = Vec::new();
    let mut imported = 0u64;
    for r in records {
        done.push(r.id.clone());
        let seen: Option<String> =
            sqlx::query_scalar("SELECT id FROM intake_imported WHERE id = ?")
                .bind(&r.id)
                .fetch_optional(&mut *tx)
                .await?;
        let Ok(ev) = serde_json::from_slice::<IntakeEvent>(&r.bytes) else {
            continue;
        };
        if seen.is_some() {
            continue;
        }
        let mut d = EventDraft::system(ev.kind, ev.ts);
        d.actor_id = ev.actor_id;
        d.actor_role = ev.actor_role;
        d.outcome = ev.outcome;
        d.detail.insert("reason".into(), ev.reason.into());
        d.detail.insert("recorded_before_login".into(), true.into());
        airlock_audit::append(&mut tx, vault.id(), d).await?;
        sqlx::query("INSERT INTO intake_imported(id) VALUES (?)")
            .bind(&r.id)
            .execute(&mut *tx)
            .await?;
        imported += 1;
    }
    tx.commit().await?;
    vault.remove_intake(&done)?;
    Ok(imported)
}
