//! Vault facts and security settings.

use crate::error::AppError;
use crate::json::{KdfInfo, Policy, VaultInfo};
use crate::session::Session;
use airlock_model::{Action, EventKind, Outcome};
use airlock_vault::SlotOwner;

impl Session {
    /// Non-secret facts about the vault. Everyone logged in.
    pub async fn vault_info(&mut self) -> Result<VaultInfo, AppError> {
        let _grant = self.authorize(Action::ViewVaultInfo).await?;
        self.vault.reload()?;
        let h = self.vault.header();
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE status = 'active'")
            .fetch_one(&self.pool)
            .await?;
        let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
            .fetch_one(&self.pool)
            .await?;
        let created_at: String =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'created_at'")
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or_default();
        Ok(VaultInfo {
            vault_id: h.vault_id.to_string(),
            project_name: self.project_name.clone(),
            path: self.vault.dir().display().to_string(),
            format_version: h.version,
            created_at,
            kdf: KdfInfo {
                memory_kib: h.kdf.memory_kib,
                iterations: h.kdf.iterations,
                parallelism: h.kdf.parallelism,
            },
            users: users as u64,
            key_slots: h
                .slots
                .iter()
                .filter(|s| matches!(s.owner, SlotOwner::User { .. }))
                .count() as u64,
            recovery_slot: h.recovery_slot().is_some(),
            audit_events: events as u64,
            policy: Policy {
                max_failed_logins: h.policy.max_failed_logins,
                lockout_minutes: h.policy.lockout_minutes,
                idle_timeout_minutes: h.policy.idle_timeout_minutes,
            },
        })
    }

    /// Changes the lockout and idle policy (kept in the header, since login enforces it
    /// before the database can be opened). Lead only; audited with old and new values.
    pub async fn set_policy(&mut self, policy: &Policy) -> Result<(), AppError> {
        let _grant = self.authorize(Action::ChangeSettings).await?;
        if !(3..=20).contains(&policy.max_failed_logins)
            || !(1..=1440).contains(&policy.lockout_minutes)
            || !(1..=120).contains(&policy.idle_timeout_minutes)
        {
            return Err(AppError::invalid(
                "Failed logins before lockout: 3 to 20; lockout: 1 to 1,440 minutes; idle timeout: 1 to 120 minutes.",
            ));
        }
        let old = self.vault.header().policy;
        let new = airlock_vault::Policy {
            max_failed_logins: policy.max_failed_logins,
            lockout_minutes: policy.lockout_minutes,
            idle_timeout_minutes: policy.idle_timeout_minutes,
        };
        let mut tx = self.begin().await?;
        let mut d = self.draft(EventKind::SettingChanged, Outcome::Success);
        d.object_kind = Some("policy".into());
        d.detail.insert(
            "old".into(),
            serde_json::to_value(old).expect("policy serialises"),
        );
        d.detail.insert(
            "new".into(),
            serde_json::to_value(new).expect("policy serialises"),
        );
        self.record(&mut tx, d).await?;
        self.vault.update_header(|h| {
            h.policy = new;
            Ok(())
        })?;
        if let Err(e) = tx.commit().await {
            let _ = self.vault.update_header(|h| {
                h.policy = old;
                Ok(())
            });
            return Err(e.into());
        }
        Ok(())
    }
}
