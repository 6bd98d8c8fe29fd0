//! The Airlock vault: a directory holding a plaintext header with key slots
//! (`vault.json`), a SQLCipher database (`vault.db`), an age-encrypted blob store
//! (`blobs/`) and encrypted pre-login events (`intake/`).
//!
//! Two random 256-bit keys protect everything: the **source key** (identifiable
//! originals; wrapped only in lead slots and the recovery slot) and the **work key**
//! (the database and de-identified content; wrapped in every user's slot). Slots are
//! sealed with keys derived from passphrases by argon2id. This crate is the only one that
//! names age, argon2 or SQLCipher.
//!
//! ```no_run
//! # async fn demo() -> Result<(), airlock_vault::VaultError> {
//! use airlock_vault::{KdfParams, Policy, Vault};
//! let (vault, keys, recovery_code) =
//!     Vault::create(std::path::Path::new("study.airlock"), KdfParams::DEFAULT, Policy::default())?;
//! let pool = vault.connect(&keys.work).await?;
//! # let _ = (pool, recovery_code); Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blobs;
mod db;
mod error;
mod fsutil;
mod header;
mod intake;
mod keys;
mod slots;

pub use blobs::{BlobRef, BlobStore, StoredBlob, Tier};
pub use error::VaultError;
pub use fsutil::{write_atomic, AtomicBatch, BackgroundBatch};
pub use header::{
    login_tag, KdfAlgorithm, KdfParams, KeySlot, Policy, SlotOwner, VaultHeader, FORMAT_VERSION,
    HEADER_FILE,
};
pub use intake::IntakeRecord;
pub use keys::{purpose, Key32, PersonalKeys};
pub use slots::SlotKeys;

use airlock_model::{Role, UserId, VaultId};
use rand::RngCore;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// The database file name inside a vault directory.
pub const DATABASE_FILE: &str = "vault.db";

/// An opened (header read) vault. Unlocking yields keys; the vault itself holds none.
#[derive(Debug, Clone)]
pub struct Vault {
    dir: PathBuf,
    header: VaultHeader,
}

/// The keys of a freshly created vault.
pub struct NewVaultKeys {
    /// The work key.
    pub work: Key32,
    /// The source key.
    pub source: Key32,
}

/// The printed recovery code, e.g. `K7QD-2M9F-…` (eight groups of four, 160 bits).
pub struct RecoveryCode(SecretString);

impl RecoveryCode {
    fn generate() -> RecoveryCode {
        let mut bytes = [0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
        let mut bits = 0u32;
        let mut nbits = 0;
        let mut out = String::with_capacity(40);
        for b in bytes {
            bits = (bits << 8) | u32::from(b);
            nbits += 8;
            while nbits >= 5 {
                nbits -= 5;
                if !out.is_empty() && out.len() % 5 == 4 {
                    out.push('-');
                }
                out.push(ALPHABET[((bits >> nbits) & 31) as usize] as char);
            }
        }
        zeroize::Zeroize::zeroize(&mut bytes);
        RecoveryCode(SecretString::from(out))
    }

    /// The code as printed, for showing once to the person creating the vault.
    pub fn reveal(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }

    /// The canonical form used as the slot passphrase: upper case, no separators.
    fn normalised(text: &str) -> SecretString {
        SecretString::from(
            text.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_uppercase())
                .collect::<String>(),
        )
    }
}

/// What a cryptographic erase destroyed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EraseReport {
    /// User key slots removed.
    pub user_slots: u32,
    /// Recovery slots removed.
    pub recovery_slots: u32,
    /// OS keyring entries removed (Airlock stores none).
    pub keyring_entries: u32,
    /// The header was already erased (a resumed destruction).
    pub already_erased: bool,
}

/// Why an unlock failed, with what the caller must audit.
pub enum UnlockFailure {
    /// No slot has this login name (argon2 work was still spent).
    UnknownUser,
    /// The account is locked until the given time.
    Locked {
        /// The user.
        user_id: UserId,
        /// Until when.
        until: OffsetDateTime,
    },
    /// Wrong passphrase; the failure was counted in the header.
    WrongPassphrase {
        /// The user.
        user_id: UserId,
        /// Set when this failure locked the account.
        locked_until: Option<OffsetDateTime>,
    },
    /// Any other error (damaged header, I/O).
    Vault(VaultError),
}

impl Vault {
    /// Reads the header of the vault at `dir`.
    pub fn open(dir: &Path) -> Result<Vault, VaultError> {
        let header = VaultHeader::read(dir)?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            header,
        })
    }

    /// Creates a new vault directory with fresh keys and a sealed recovery slot. The
    /// caller adds the first user's slot with [`Vault::add_user_slot`].
    pub fn create(
        dir: &Path,
        kdf: KdfParams,
        policy: Policy,
    ) -> Result<(Vault, NewVaultKeys, RecoveryCode), VaultError> {
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir)
                .map_err(|e| VaultError::io("reading the target directory", e))?;
            if entries.next().is_some() {
                return Err(VaultError::AlreadyExists);
            }
        }
        std::fs::create_dir_all(dir.join("blobs"))
            .map_err(|e| VaultError::io("creating the vault directory", e))?;
        let vault_id = VaultId::new();
        let keys = NewVaultKeys {
            work: Key32::random(),
            source: Key32::random(),
        };
        let code = RecoveryCode::generate();
        let recovery = slots::seal(
            vault_id,
            SlotOwner::Recovery,
            None,
            &RecoveryCode::normalised(code.reveal()),
            &kdf,
            &SlotKeys {
                work: keys.work.clone(),
                source: Some(keys.source.clone()),
                personal: None,
            },
        )?;
        let header = VaultHeader {
            format: header::FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            vault_id,
            created_at: OffsetDateTime::now_utc(),
            kdf,
            policy,
            intake_recipient: intake::recipient(&keys.work),
            slots: vec![recovery],
            erased_at: None,
        };
        header.write(dir)?;
        Ok((
            Vault {
                dir: dir.to_path_buf(),
                header,
            },
            keys,
            code,
        ))
    }

    /// The vault directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The header as last read or written.
    pub fn header(&self) -> &VaultHeader {
        &self.header
    }

    /// The vault id.
    pub fn id(&self) -> VaultId {
        self.header.vault_id
    }

    /// Re-reads the header from disk (another process may have changed it).
    pub fn reload(&mut self) -> Result<(), VaultError> {
        self.header = VaultHeader::read(&self.dir)?;
        Ok(())
    }

    /// Applies `change` to a freshly read header and writes it atomically.
    pub fn update_header(
        &mut self,
        change: impl FnOnce(&mut VaultHeader) -> Result<(), VaultError>,
    ) -> Result<(), VaultError> {
        let mut header = VaultHeader::read(&self.dir)?;
        change(&mut header)?;
        header.write(&self.dir)?;
        self.header = header;
        Ok(())
    }

    /// Opens the slot of login `name` with `passphrase`, enforcing the lockout policy
    /// kept in the header. Failures are counted in the header; the caller audits them and
    /// clears the count after the whole login (second factor included) succeeded.
    pub fn unlock(
        &mut self,
        name: &str,
        passphrase: &SecretString,
        now: OffsetDateTime,
    ) -> Result<(UserId, Role, SlotKeys), UnlockFailure> {
        if let Err(e) = self.reload() {
            return Err(UnlockFailure::Vault(e));
        }
        if self.header.erased_at.is_some() {
            return Err(UnlockFailure::Vault(VaultError::Erased));
        }
        let kdf = self.header.kdf;
        let Some(slot) = self.header.slot_for_login(name).cloned() else {
            slots::burn_equivalent_work(passphrase, &kdf);
            return Err(UnlockFailure::UnknownUser);
        };
        let SlotOwner::User { user_id, role } = slot.owner else {
            return Err(UnlockFailure::UnknownUser);
        };
        if let Some(until) = slot.locked_until.filter(|u| *u > now) {
            return Err(UnlockFailure::Locked { user_id, until });
        }
        match slots::open(self.header.vault_id, &slot, passphrase, &kdf) {
            // Failures are not cleared here: a second factor may still fail. The caller
            // clears them with `clear_failures` once the whole login has succeeded.
            Ok(keys) => Ok((user_id, role, keys)),
            Err(VaultError::WrongPassphrase) => {
                let locked_until = self
                    .count_failure(user_id, now)
                    .map_err(UnlockFailure::Vault)?;
                Err(UnlockFailure::WrongPassphrase {
                    user_id,
                    locked_until,
                })
            }
            Err(e) => Err(UnlockFailure::Vault(e)),
        }
    }

    /// Counts a failed login (also used for a wrong second factor). Returns the lockout
    /// end when this failure reached the policy's threshold.
    pub fn count_failure(
        &mut self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, VaultError> {
        let mut locked = None;
        self.update_header(|h| {
            let policy = h.policy;
            let slot = h.slot_for_user_mut(user).ok_or(VaultError::HeaderCorrupt)?;
            slot.failed_attempts += 1;
            if slot.failed_attempts >= policy.max_failed_logins {
                let until = now + Duration::minutes(i64::from(policy.lockout_minutes));
                slot.locked_until = Some(until);
                slot.failed_attempts = 0;
                locked = Some(until);
            }
            Ok(())
        })?;
        Ok(locked)
    }

    /// Clears a user's failure count and lockout (no write when there is nothing to clear).
    pub fn clear_failures(&mut self, user: UserId) -> Result<(), VaultError> {
        let clean = self
            .header
            .slot_for_user(user)
            .is_none_or(|s| s.failed_attempts == 0 && s.locked_until.is_none());
        if clean {
            return Ok(());
        }
        self.update_header(|h| {
            if let Some(slot) = h.slot_for_user_mut(user) {
                slot.failed_attempts = 0;
                slot.locked_until = None;
            }
            Ok(())
        })
    }

    /// Opens the recovery slot with the printed recovery code.
    pub fn unlock_recovery(&self, code: &str) -> Result<SlotKeys, VaultError> {
        let slot = self
            .header
            .recovery_slot()
            .ok_or(VaultError::WrongPassphrase)?;
        slots::open(
            self.header.vault_id,
            slot,
            &RecoveryCode::normalised(code),
            &self.header.kdf,
        )
    }

    /// Adds (or replaces) the slot of `user`, wrapping the keys their role may hold.
    /// Fails with [`VaultError::TierKeyMissing`] when a lead slot is requested without
    /// the source key.
    #[allow(clippy::too_many_arguments)]
    pub fn add_user_slot(
        &mut self,
        user: UserId,
        role: Role,
        login: &str,
        passphrase: &SecretString,
        work: &Key32,
        source: Option<&Key32>,
        personal: PersonalKeys,
    ) -> Result<(), VaultError> {
        let source = if role.holds_source_key() {
            Some(source.ok_or(VaultError::TierKeyMissing)?.clone())
        } else {
            None
        };
        let keys = SlotKeys {
            work: work.clone(),
            source,
            personal: Some(personal),
        };
        let vault_id = self.header.vault_id;
        let kdf = self.header.kdf;
        let slot = slots::seal(
            vault_id,
            SlotOwner::User {
                user_id: user,
                role,
            },
            Some(login_tag(vault_id, login)),
            passphrase,
            &kdf,
            &keys,
        )?;
        self.update_header(move |h| {
            h.slots
                .retain(|s| !matches!(s.owner, SlotOwner::User { user_id, .. } if user_id == user));
            h.slots.push(slot);
            Ok(())
        })
    }

    /// Removes a user's slot (disabling them). Idempotent.
    pub fn remove_user_slot(&mut self, user: UserId) -> Result<(), VaultError> {
        self.update_header(|h| {
            h.slots
                .retain(|s| !matches!(s.owner, SlotOwner::User { user_id, .. } if user_id == user));
            Ok(())
        })
    }

    /// Cryptographic erase: rewrites the header atomically with no key slot (users' and
    /// recovery) and no intake recipient, so the source and work keys — which exist only
    /// wrapped in those slots — are gone and nothing in `vault.db` or `blobs/` can be
    /// decrypted again. Keeps the format, version and vault id, so the directory is still
    /// recognised while its files are deleted. Safe to run twice (the second run reports
    /// `already_erased`). Airlock keeps no slot keys in the OS keyring, so there are no
    /// keyring entries to remove.
    pub fn crypto_erase(&mut self, now: OffsetDateTime) -> Result<EraseReport, VaultError> {
        let mut report = EraseReport::default();
        self.update_header(|h| {
            report.already_erased = h.erased_at.is_some();
            for s in &h.slots {
                match s.owner {
                    SlotOwner::User { .. } => report.user_slots += 1,
                    SlotOwner::Recovery => report.recovery_slots += 1,
                }
            }
            h.slots.clear();
            h.intake_recipient.clear();
            if h.erased_at.is_none() {
                h.erased_at = Some(now);
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// Seals `personal` keys (only: no vault key) under `passphrase` with this vault's KDF,
    /// for a document that must outlive the key slots — a destruction that may be
    /// interrupted after the crypto-erase still needs its signers' keys to sign the
    /// certificate.
    pub fn seal_personal_keys(
        &self,
        user: UserId,
        role: Role,
        passphrase: &SecretString,
        personal: &PersonalKeys,
    ) -> Result<KeySlot, VaultError> {
        slots::seal(
            self.header.vault_id,
            SlotOwner::User {
                user_id: user,
                role,
            },
            None,
            passphrase,
            &self.header.kdf,
            &SlotKeys {
                work: Key32::random(),
                source: None,
                personal: Some(personal.clone()),
            },
        )
    }

    /// Opens keys sealed by [`Vault::seal_personal_keys`] (the vault may be erased).
    pub fn open_personal_keys(
        vault_id: VaultId,
        kdf: &KdfParams,
        slot: &KeySlot,
        passphrase: &SecretString,
    ) -> Result<PersonalKeys, VaultError> {
        slots::open(vault_id, slot, passphrase, kdf)?
            .personal
            .ok_or(VaultError::HeaderCorrupt)
    }

    /// Whether the vault was cryptographically erased.
    pub fn is_erased(&self) -> bool {
        self.header.erased_at.is_some()
    }

    /// The blob store for the tiers whose keys the caller holds.
    pub fn blobs(&self, work: &Key32, source: Option<&Key32>) -> BlobStore {
        BlobStore::new(&self.dir, work, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_grouped_and_normalise() {
        let c = RecoveryCode::generate();
        let text = c.reveal();
        assert_eq!(text.len(), 39, "32 characters in 8 groups of 4: {text}");
        assert_eq!(text.matches('-').count(), 7);
        let n = RecoveryCode::normalised(&text.to_lowercase().replace('-', " "));
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&n),
            text.replace('-', "")
        );
    }

    #[test]
    fn create_refuses_a_non_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), b"x").unwrap();
        assert!(matches!(
            Vault::create(dir.path(), KdfParams::INSECURE_FAST, Policy::default()),
            Err(VaultError::AlreadyExists)
        ));
    }

    #[test]
    fn lockout_after_the_configured_failures_and_recovery_slot_opens() {
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy {
            max_failed_logins: 3,
            ..Policy::default()
        };
        let (mut v, keys, code) =
            Vault::create(&dir.path().join("v"), KdfParams::INSECURE_FAST, policy).unwrap();
        let user = UserId::new();
        let pw = SecretString::from("a good long passphrase");
        v.add_user_slot(
            user,
            Role::Annotator,
            "ann",
            &pw,
            &keys.work,
            None,
            PersonalKeys::generate(),
        )
        .unwrap();
        let now = OffsetDateTime::now_utc();
        let wrong = SecretString::from("wrong passphrase!!");
        for i in 0..3 {
            match v.unlock("ann", &wrong, now) {
                Err(UnlockFailure::WrongPassphrase { locked_until, .. }) => {
                    assert_eq!(locked_until.is_some(), i == 2)
                }
                _ => panic!("expected a wrong-passphrase failure"),
            }
        }
        assert!(matches!(
            v.unlock("ann", &pw, now),
            Err(UnlockFailure::Locked { .. })
        ));
        let later = now + Duration::minutes(16);
        let (_, role, k) = v.unlock("ANN", &pw, later).ok().expect("lockout expired");
        assert_eq!(role, Role::Annotator);
        assert!(
            k.source.is_none(),
            "annotator slots never hold the source key"
        );
        assert!(matches!(
            v.unlock("nobody", &pw, now),
            Err(UnlockFailure::UnknownUser)
        ));

        let rec = v.unlock_recovery(&code.reveal().to_lowercase()).unwrap();
        assert_eq!(rec.source.unwrap().expose(), keys.source.expose());
        assert!(v.unlock_recovery("AAAA-BBBB").is_err());
    }

    #[test]
    fn crypto_erase_removes_every_slot_and_nothing_opens_afterwards() {
        let dir = tempfile::tempdir().unwrap();
        let (mut v, keys, code) = Vault::create(
            &dir.path().join("v"),
            KdfParams::INSECURE_FAST,
            Policy::default(),
        )
        .unwrap();
        let pw = SecretString::from("a good long passphrase");
        v.add_user_slot(
            UserId::new(),
            Role::Lead,
            "lee",
            &pw,
            &keys.work,
            Some(&keys.source),
            PersonalKeys::generate(),
        )
        .unwrap();
        let r = v.crypto_erase(OffsetDateTime::now_utc()).unwrap();
        assert_eq!(
            (r.user_slots, r.recovery_slots, r.already_erased),
            (1, 1, false)
        );
        let mut again = Vault::open(&dir.path().join("v")).unwrap();
        assert!(again.is_erased());
        assert!(matches!(
            again.unlock("lee", &pw, OffsetDateTime::now_utc()),
            Err(UnlockFailure::Vault(VaultError::Erased))
        ));
        assert!(again.unlock_recovery(code.reveal()).is_err());
        let raw = std::fs::read_to_string(dir.path().join("v/vault.json")).unwrap();
        assert!(
            !raw.contains("sealed") && !raw.contains("age1"),
            "no wrapped key and no recipient remain"
        );
        assert!(
            again
                .crypto_erase(OffsetDateTime::now_utc())
                .unwrap()
                .already_erased
        );
    }
}
