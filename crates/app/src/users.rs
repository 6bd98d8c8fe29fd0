//! User management: list, add, disable, unlock. Leads manage; compliance may list.

use crate::error::{AppError, ErrorCode};
use crate::json::{UserDto, UserStatus};
use crate::session::{Grant, Session};
use crate::{rfc3339, validate_passphrase, validate_user_name};
use airlock_model::{Action, EventKind, Outcome, Role, UserId};
use airlock_vault::{PersonalKeys, Vault};
use secrecy::SecretString;
use sqlx::{Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

/// Inserts a user row and their signing key (inside the caller's transaction).
pub(crate) async fn insert_user(
    tx: &mut SqliteConnection,
    id: UserId,
    name: &str,
    role: Role,
    created_by: Option<UserId>,
    personal: &PersonalKeys,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE name = ?")
        .bind(name.trim())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "A user with this name already exists.",
        ));
    }
    sqlx::query(
        "INSERT INTO users (id, name, role, status, created_at, created_by, signing_public_key, age_recipient) \
         VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(name.trim())
    .bind(role.as_str())
    .bind(rfc3339(now))
    .bind(created_by.map(|u| u.to_string()))
    .bind(personal.signing_public_hex())
    .bind(personal.age_recipient())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO signing_keys (public_key, user_id, created_at) VALUES (?, ?, ?)")
        .bind(personal.signing_public_hex())
        .bind(id.to_string())
        .bind(rfc3339(now))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Removes header slots of users the database says are disabled (repairs a disable
/// whose header write was interrupted).
pub(crate) async fn reconcile_slots(vault: &mut Vault, pool: &SqlitePool) -> Result<(), AppError> {
    let disabled: Vec<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE status = 'disabled'")
            .fetch_all(pool)
            .await?;
    for id in disabled {
        if let Ok(uid) = id.parse::<UserId>() {
            if vault.header().slot_for_user(uid).is_some() {
                vault.remove_user_slot(uid)?;
            }
        }
    }
    Ok(())
}

/// A user row looked up by name (case-insensitive).
pub(crate) struct UserRow {
    pub id: UserId,
    pub role: Role,
    pub active: bool,
}

pub(crate) async fn find_user(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<UserRow, AppError> {
    let row = sqlx::query("SELECT id, name, role, status FROM users WHERE name = ?")
        .bind(name.trim())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No user has this name."))?;
    let id: String = row.get(0);
    let role: String = row.get(2);
    let status: String = row.get(3);
    Ok(UserRow {
        id: id
            .parse()
            .map_err(|_| AppError::new(ErrorCode::VaultError, "A user record is damaged."))?,
        role: role
            .parse()
            .map_err(|_| AppError::new(ErrorCode::VaultError, "A user record is damaged."))?,
        active: status == "active",
    })
}

impl Session {
    /// Every user account. Lead and compliance (for access reviews).
    pub async fn list_users(&self) -> Result<Vec<UserDto>, AppError> {
        let _grant = self.authorize(Action::ListUsers).await?;
        let rows = sqlx::query(
            "SELECT id, name, role, status, totp_enabled, created_at FROM users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let now = self.now();
        let mut vault = self.vault.clone();
        vault.reload()?;
        rows.into_iter()
            .map(|r| {
                let id: String = r.get(0);
                let uid: UserId = id.parse().map_err(|_| {
                    AppError::new(ErrorCode::VaultError, "A user record is damaged.")
                })?;
                let role: String = r.get(2);
                let status: String = r.get(3);
                let locked_until = vault
                    .header()
                    .slot_for_user(uid)
                    .and_then(|s| s.locked_until)
                    .filter(|u| *u > now);
                Ok(UserDto {
                    id,
                    name: r.get(1),
                    role: role.parse().map_err(|_| {
                        AppError::new(ErrorCode::VaultError, "A user record is damaged.")
                    })?,
                    status: match (status.as_str(), locked_until) {
                        ("active", None) => UserStatus::Active,
                        ("active", Some(_)) => UserStatus::Locked,
                        _ => UserStatus::Disabled,
                    },
                    totp_enabled: r.get(4),
                    created_at: r.get(5),
                    locked_until: locked_until.map(rfc3339),
                })
            })
            .collect()
    }

    /// Creates a user with a role and an initial passphrase. Lead only. The new slot
    /// wraps exactly the keys the role may hold.
    pub async fn add_user(
        &mut self,
        name: &str,
        role: Role,
        passphrase: &SecretString,
    ) -> Result<UserDto, AppError> {
        let grant = self.authorize(Action::AddUser).await?;
        self.add_user_with_grant(&grant, name, role, passphrase)
            .await
    }

    /// [`Session::add_user`] after the permission check.
    pub async fn add_user_with_grant(
        &mut self,
        _grant: &Grant,
        name: &str,
        role: Role,
        passphrase: &SecretString,
    ) -> Result<UserDto, AppError> {
        validate_user_name(name)?;
        validate_passphrase(passphrase)?;
        let now = self.now();
        let id = UserId::new();
        let personal = PersonalKeys::generate();
        let mut tx = self.begin().await?;
        insert_user(&mut tx, id, name, role, Some(self.user_id), &personal, now).await?;
        let mut d = self.draft(EventKind::UserAdded, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(id.to_string());
        d.detail.insert("role".into(), role.as_str().into());
        self.record(&mut tx, d).await?;
        // The slot is written before commit so that a failed header write rolls the
        // database back; a failed commit removes the slot again.
        self.vault.add_user_slot(
            id,
            role,
            name,
            passphrase,
            &self.keys.work,
            self.keys.source.as_ref(),
            personal,
        )?;
        if let Err(e) = tx.commit().await {
            let _ = self.vault.remove_user_slot(id);
            return Err(e.into());
        }
        Ok(UserDto {
            id: id.to_string(),
            name: name.trim().to_string(),
            role,
            status: UserStatus::Active,
            totp_enabled: false,
            created_at: rfc3339(now),
            locked_until: None,
        })
    }

    /// Disables a user and removes their key slot. Lead only (or break-glass). A lead
    /// cannot disable themself or the last active lead.
    pub async fn disable_user(&mut self, name: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::DisableUser).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let target = find_user(&mut tx, name).await?;
        if target.id == self.user_id {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "You cannot disable your own account.",
            ));
        }
        if !target.active {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This account is already disabled.",
            ));
        }
        if target.role == Role::Lead {
            let leads: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM users WHERE role = 'lead' AND status = 'active'",
            )
            .fetch_one(&mut *tx)
            .await?;
            if leads <= 1 {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "This is the last active lead; add another lead first.",
                ));
            }
        }
        sqlx::query("UPDATE users SET status = 'disabled', disabled_at = ? WHERE id = ?")
            .bind(rfc3339(now))
            .bind(target.id.to_string())
            .execute(&mut *tx)
            .await?;
        let mut d = self.draft(EventKind::UserDisabled, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(target.id.to_string());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        // After commit: a crash here leaves a slot the next login removes (reconcile).
        self.vault.remove_user_slot(target.id)?;
        Ok(())
    }

    /// Clears a lockout. Lead only (or break-glass).
    pub async fn unlock_user(&mut self, name: &str) -> Result<(), AppError> {
        let _grant = self.authorize(Action::UnlockUser).await?;
        let mut tx = self.begin().await?;
        let target = find_user(&mut tx, name).await?;
        let mut d = self.draft(EventKind::AccountUnlocked, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(target.id.to_string());
        self.record(&mut tx, d).await?;
        self.vault.clear_failures(target.id)?;
        tx.commit().await?;
        Ok(())
    }
}
