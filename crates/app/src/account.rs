//! One's own account: passphrase, TOTP second factor, emergency access; and recovery
//! with the printed recovery code.

use crate::error::{AppError, ErrorCode};
use crate::json::{SessionInfo, TotpSetup};
use crate::session::Session;
use crate::workspace::Workspace;
use crate::{rfc3339, validate_passphrase};
use airlock_audit::{format_ts, EventDraft};
use airlock_model::{Action, EventKind, Outcome, ReasonId, Role, UserId};
use airlock_vault::PersonalKeys;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use totp_rs::{Algorithm, Secret, TOTP};

/// The longest emergency access a user may request.
pub const MAX_BREAK_GLASS_MINUTES: u32 = 240;

const TOTP_STEP_SECS: i64 = 30;

fn totp_for(secret_base32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 0, TOTP_STEP_SECS as u64, bytes).ok()
}

/// The 30-second step whose code `code` is, if it is valid at `now` (RFC 6238, SHA-1,
/// 6 digits, one step of clock skew either way). Callers refuse a step at or before the
/// last one accepted, so a code cannot be replayed.
pub(crate) fn totp_step(secret_base32: &str, code: &str, now: OffsetDateTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp_for(secret_base32).filter(|_| code.len() == 6)?;
    let current = now.unix_timestamp().max(0) / TOTP_STEP_SECS;
    [current - 1, current, current + 1]
        .into_iter()
        .filter(|s| *s >= 0)
        .find(|s| totp.check(&code, (*s * TOTP_STEP_SECS) as u64))
}

/// A fresh step for the user: valid now and later than the last accepted one.
pub(crate) fn fresh_totp_step(
    secret_base32: &str,
    code: &str,
    now: OffsetDateTime,
    last: Option<i64>,
) -> Option<i64> {
    totp_step(secret_base32, code, now).filter(|s| last.is_none_or(|l| *s > l))
}

impl Session {
    /// Changes the caller's own passphrase (re-seals their slot; same keys).
    pub async fn change_passphrase(
        &mut self,
        current: &SecretString,
        next: &SecretString,
    ) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ChangeOwnPassphrase).await?;
        validate_passphrase(next)?;
        let now = self.now();
        let mut vault = self.vault.clone();
        let check = vault.unlock(&self.user_name, current, now);
        if check.is_err() {
            let mut tx = self.begin().await?;
            let mut d = self.draft(EventKind::PassphraseChanged, Outcome::Failure);
            d.detail
                .insert("reason".into(), "current_passphrase_wrong".into());
            self.record(&mut tx, d).await?;
            tx.commit().await?;
            return Err(AppError::new(
                ErrorCode::BadCredentials,
                "The current passphrase is not correct.",
            ));
        }
        let personal = self.keys.personal.as_ref().cloned().ok_or_else(|| {
            AppError::new(ErrorCode::Internal, "This session has no personal keys.")
        })?;
        let mut tx = self.begin().await?;
        let mut d = self.draft(EventKind::PassphraseChanged, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(self.user_id.to_string());
        self.record(&mut tx, d).await?;
        self.vault.add_user_slot(
            self.user_id,
            self.role,
            &self.user_name,
            next,
            &self.keys.work,
            self.keys.source.as_ref(),
            personal,
        )?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts TOTP enrolment: a new secret to enter in an authenticator app. Nothing is
    /// stored until [`Session::totp_confirm`] proves the app has it.
    pub async fn totp_begin(&mut self) -> Result<TotpSetup, AppError> {
        let _grant = self.authorize(Action::ManageOwnTotp).await?;
        let secret = match Secret::generate_secret().to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!("to_encoded always returns the encoded form"),
        };
        let uri = format!(
            "otpauth://totp/Airlock:{}?secret={}&issuer=Airlock&algorithm=SHA1&digits=6&period=30",
            self.user_name, secret
        );
        self.totp_pending = Some(zeroize::Zeroizing::new(secret.clone()));
        Ok(TotpSetup {
            secret_base32: secret,
            otpauth_uri: uri,
        })
    }

    /// Completes enrolment with a current code from the authenticator.
    pub async fn totp_confirm(&mut self, code: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ManageOwnTotp).await?;
        let pending = self
            .totp_pending
            .clone()
            .ok_or_else(|| AppError::invalid("Start enrolment first."))?;
        let Some(step) = totp_step(&pending, code, self.now()) else {
            return Err(AppError::new(
                ErrorCode::BadCredentials,
                "The authenticator code is not correct.",
            ));
        };
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET totp_secret = ?, totp_enabled = 1, totp_last_step = ? WHERE id = ?",
        )
        .bind(pending.as_str())
        .bind(step)
        .bind(self.user_id.to_string())
        .execute(&mut *tx)
        .await?;
        let d = self.draft(EventKind::TotpEnabled, Outcome::Success);
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        self.totp_pending = None;
        self.totp_enabled = true;
        Ok(())
    }

    /// Removes the second factor, proven with a current code.
    pub async fn totp_disable(&mut self, code: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ManageOwnTotp).await?;
        let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT totp_secret, totp_last_step FROM users WHERE id = ? AND totp_enabled = 1",
        )
        .bind(self.user_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some((Some(secret), last)) = row else {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "No authenticator is enrolled.",
            ));
        };
        if fresh_totp_step(&secret, code, self.now(), last).is_none() {
            return Err(AppError::new(
                ErrorCode::BadCredentials,
                "The authenticator code is not correct.",
            ));
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = NULL WHERE id = ?")
            .bind(self.user_id.to_string())
            .execute(&mut *tx)
            .await?;
        let d = self.draft(EventKind::TotpDisabled, Outcome::Success);
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        self.totp_enabled = false;
        Ok(())
    }

    /// Starts time-limited emergency access with a stated reason. The reason text is
    /// kept in the vault database; the audit event holds its id and SHA-256 only.
    pub async fn start_break_glass(
        &mut self,
        reason: &str,
        minutes: u32,
    ) -> Result<SessionInfo, AppError> {
        let _grant = self.authorize(Action::StartBreakGlass).await?;
        let reason = reason.trim();
        if reason.chars().count() < 10 {
            return Err(AppError::invalid(
                "State the reason for emergency access in at least 10 characters.",
            ));
        }
        if minutes == 0 || minutes > MAX_BREAK_GLASS_MINUTES {
            return Err(AppError::invalid(format!(
                "Emergency access lasts 1 to {MAX_BREAK_GLASS_MINUTES} minutes."
            )));
        }
        let now = self.now();
        let until = now + Duration::minutes(i64::from(minutes));
        let reason_id = ReasonId::new();
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO reasons(id, text, created_at) VALUES (?, ?, ?)")
            .bind(reason_id.to_string())
            .bind(reason)
            .bind(rfc3339(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET break_glass_until = ? WHERE id = ?")
            .bind(rfc3339(until))
            .bind(self.id.to_string())
            .execute(&mut *tx)
            .await?;
        let mut d = self.draft(EventKind::BreakGlassStarted, Outcome::Success);
        d.break_glass = true;
        d.object_kind = Some("session".into());
        d.object_id = Some(self.id.to_string());
        d.detail
            .insert("reason_id".into(), reason_id.to_string().into());
        d.detail.insert(
            "reason_sha256".into(),
            hex::encode(Sha256::digest(reason.as_bytes())).into(),
        );
        d.detail.insert("minutes".into(), minutes.into());
        d.detail.insert("until".into(), rfc3339(until).into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        self.break_glass_until = Some(until);
        Ok(self.info())
    }
}

impl Workspace {
    /// Resets a user's passphrase with the printed recovery code. The user gets new
    /// personal keys (the old ones were sealed under the forgotten passphrase); the old
    /// public key stays on record so earlier signatures still verify. Audited.
    pub async fn recover(
        &mut self,
        code: &str,
        user_name: &str,
        next: &SecretString,
    ) -> Result<(), AppError> {
        validate_passphrase(next)?;
        let now = self.clock().now();
        let vault = self.vault_mut()?;
        let keys = vault.unlock_recovery(code).map_err(|_| {
            AppError::new(
                ErrorCode::BadCredentials,
                "The recovery code is not correct.",
            )
        })?;
        let pool = vault.connect(&keys.work).await?;
        let mut conn = pool.acquire().await?;
        let target = crate::users::find_user(&mut conn, user_name).await?;
        drop(conn);
        if !target.active {
            pool.close().await;
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This account is disabled; recovery applies to active accounts.",
            ));
        }
        let personal = PersonalKeys::generate();
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE users SET signing_public_key = ?, age_recipient = ? WHERE id = ?")
            .bind(personal.signing_public_hex())
            .bind(personal.age_recipient())
            .bind(target.id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO signing_keys (public_key, user_id, created_at) VALUES (?, ?, ?)")
            .bind(personal.signing_public_hex())
            .bind(target.id.to_string())
            .bind(rfc3339(now))
            .execute(&mut *tx)
            .await?;
        let mut d = EventDraft::system(EventKind::RecoveryUsed, format_ts(now));
        d.object_kind = Some("user".into());
        d.object_id = Some(target.id.to_string());
        d.detail.insert("role".into(), target.role.as_str().into());
        airlock_audit::append(&mut tx, vault.id(), d).await?;
        let source = if target.role == Role::Lead {
            keys.source.as_ref()
        } else {
            None
        };
        vault.add_user_slot(
            target.id,
            target.role,
            user_name,
            next,
            &keys.work,
            source,
            personal,
        )?;
        vault.clear_failures(target.id)?;
        tx.commit().await?;
        pool.close().await;
        Ok(())
    }
}

/// Looks up a user id's name for display.
pub(crate) async fn user_names(
    pool: &sqlx::SqlitePool,
) -> Result<std::collections::HashMap<UserId, String>, AppError> {
    let rows = sqlx::query("SELECT id, name FROM users")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let id: String = r.get(0);
            Some((id.parse().ok()?, r.get::<String, _>(1)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_accepts_current_and_adjacent_codes_only() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let t = totp_for(secret).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let code = t.generate(now.unix_timestamp() as u64);
        let step = now.unix_timestamp() / 30;
        assert_eq!(totp_step(secret, &code, now), Some(step));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(totp_step(secret, &spaced, now), Some(step));
        let later = now + Duration::seconds(30);
        assert_eq!(
            totp_step(secret, &code, later),
            Some(step),
            "one step of skew"
        );
        assert_eq!(totp_step(secret, &code, now + Duration::minutes(5)), None);
        assert_eq!(totp_step(secret, "12345", now), None);
        assert_eq!(
            fresh_totp_step(secret, &code, now, Some(step - 1)),
            Some(step)
        );
        assert_eq!(
            fresh_totp_step(secret, &code, now, Some(step)),
            None,
            "never twice"
        );
    }

    #[test]
    fn rfc6238_sha1_test_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = base32_of(b"12345678901234567890");
        let t = totp_for(&secret).unwrap();
        assert_eq!(t.generate(59), "287082");
    }

    fn base32_of(bytes: &[u8]) -> String {
        match Secret::Raw(bytes.to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        }
    }
}
