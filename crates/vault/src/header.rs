//! `vault.json`: the plaintext header. It names the format and version, the vault id,
//! the argon2id parameters, the security policy that must be readable before anyone logs
//! in, and the key slots. It holds no PHI and no key in the clear.

use crate::error::VaultError;
use crate::fsutil::write_atomic;
use airlock_model::{Role, UserId, VaultId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use time::OffsetDateTime;
use uuid::Uuid;

/// The format name written in every header.
pub const FORMAT_NAME: &str = "airlock-vault";
/// The header version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The header's file name inside a vault directory.
pub const HEADER_FILE: &str = "vault.json";

/// argon2id parameters used to derive slot-wrapping keys from passphrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub algorithm: KdfAlgorithm,
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

/// The only key-derivation function Airlock writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KdfAlgorithm {
    /// Argon2id (RFC 9106).
    Argon2id,
}

impl KdfParams {
    /// The production default: 64 MiB, 3 passes, 1 lane (≈0.1–0.2 s on a laptop), within
    /// RFC 9106's second recommended option and OWASP's argon2id guidance.
    pub const DEFAULT: KdfParams = KdfParams {
        algorithm: KdfAlgorithm::Argon2id,
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters for tests that create many slots. Never use for real vaults.
    pub const INSECURE_FAST: KdfParams = KdfParams {
        algorithm: KdfAlgorithm::Argon2id,
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };
}

/// Security policy that login must enforce before the database can be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Failed logins in a row that lock an account.
    pub max_failed_logins: u32,
    /// How long a lockout lasts.
    pub lockout_minutes: u32,
    /// Idle time after which a session is locked.
    pub idle_timeout_minutes: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_failed_logins: 5,
            lockout_minutes: 15,
            idle_timeout_minutes: 15,
        }
    }
}

/// Whose keys a slot wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlotOwner {
    /// A user's slot, opened with their passphrase.
    User {
        /// The user's id.
        user_id: UserId,
        /// The user's role, which decides whether the slot holds the source key.
        role: Role,
    },
    /// The sealed recovery slot, opened with the printed recovery code.
    Recovery,
}

/// One key slot: a payload of keys sealed with XChaCha20-Poly1305 under a key derived
/// from a passphrase (or recovery code) with argon2id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySlot {
    /// Random slot id, bound into the AEAD associated data.
    pub id: Uuid,
    /// Whose slot this is.
    #[serde(flatten)]
    pub owner: SlotOwner,
    /// Lookup tag for the login name (see [`login_tag`]); absent for the recovery slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// argon2id salt, base64.
    pub salt: String,
    /// XChaCha20-Poly1305 nonce, base64.
    pub nonce: String,
    /// Sealed payload, base64.
    pub sealed: String,
    /// Failed unlock attempts in a row.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Locked until this time after too many failures.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
}

/// The parsed `vault.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultHeader {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Header version; this build knows [`FORMAT_VERSION`].
    pub version: u32,
    /// The vault's id.
    pub vault_id: VaultId,
    /// When the vault was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// argon2id parameters for every slot.
    pub kdf: KdfParams,
    /// Lockout and idle policy.
    pub policy: Policy,
    /// age recipient (derived from the work key) to which pre-login events are encrypted,
    /// so failed logins are recorded before anyone can open the database.
    pub intake_recipient: String,
    /// Key slots, users' and the recovery slot.
    pub slots: Vec<KeySlot>,
    /// Set when every key slot was destroyed (cryptographic erase): nothing in the vault
    /// can be decrypted any more.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub erased_at: Option<OffsetDateTime>,
}

/// The lookup tag of a login name in this vault: SHA-256 over the vault id and the
/// case-folded name, so the header does not list user names in the clear.
pub fn login_tag(vault_id: VaultId, name: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"airlock-login-v1\0");
    h.update(vault_id.as_uuid().as_bytes());
    h.update(name.trim().to_lowercase().as_bytes());
    hex::encode(h.finalize())
}

impl VaultHeader {
    /// Reads and validates the header of the vault at `dir`.
    pub fn read(dir: &Path) -> Result<VaultHeader, VaultError> {
        let path = dir.join(HEADER_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(if dir.exists() {
                    VaultError::NotAVault
                } else {
                    VaultError::NoSuchVault
                })
            }
            Err(e) => return Err(VaultError::io("reading the vault header", e)),
        };
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
            version: Option<u32>,
        }
        let probe: Probe = serde_json::from_slice(&bytes).map_err(|_| VaultError::HeaderCorrupt)?;
        if probe.format.as_deref() != Some(FORMAT_NAME) {
            return Err(VaultError::HeaderCorrupt);
        }
        match probe.version {
            Some(FORMAT_VERSION) => {}
            Some(v) => return Err(VaultError::UnknownVersion(v)),
            None => return Err(VaultError::HeaderCorrupt),
        }
        serde_json::from_slice(&bytes).map_err(|_| VaultError::HeaderCorrupt)
    }

    /// Writes the header atomically (temp file, fsync, rename, fsync directory).
    pub fn write(&self, dir: &Path) -> Result<(), VaultError> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("the header always serialises");
        bytes.push(b'\n');
        write_atomic(&dir.join(HEADER_FILE), &bytes)
            .map_err(|e| VaultError::io("writing the vault header", e))
    }

    /// The slot for a login name, if any.
    pub fn slot_for_login(&self, name: &str) -> Option<&KeySlot> {
        let tag = login_tag(self.vault_id, name);
        self.slots
            .iter()
            .find(|s| s.login.as_deref() == Some(tag.as_str()))
    }

    /// The slot of a user id, if any.
    pub fn slot_for_user(&self, user: UserId) -> Option<&KeySlot> {
        self.slots
            .iter()
            .find(|s| matches!(s.owner, SlotOwner::User { user_id, .. } if user_id == user))
    }

    /// Mutable access to a user's slot.
    pub fn slot_for_user_mut(&mut self, user: UserId) -> Option<&mut KeySlot> {
        self.slots
            .iter_mut()
            .find(|s| matches!(s.owner, SlotOwner::User { user_id, .. } if user_id == user))
    }

    /// The recovery slot, if the vault has one.
    pub fn recovery_slot(&self) -> Option<&KeySlot> {
        self.slots.iter().find(|s| s.owner == SlotOwner::Recovery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VaultHeader {
        VaultHeader {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            vault_id: VaultId::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            kdf: KdfParams::DEFAULT,
            policy: Policy::default(),
            intake_recipient: "age1example".into(),
            slots: vec![],
            erased_at: None,
        }
    }

    #[test]
    fn header_round_trips_and_unknown_versions_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let h = sample();
        h.write(dir.path()).unwrap();
        let back = VaultHeader::read(dir.path()).unwrap();
        assert_eq!(back.vault_id, h.vault_id);

        let text = std::fs::read_to_string(dir.path().join(HEADER_FILE)).unwrap();
        std::fs::write(
            dir.path().join(HEADER_FILE),
            text.replace("\"version\": 1", "\"version\": 7"),
        )
        .unwrap();
        assert!(matches!(
            VaultHeader::read(dir.path()),
            Err(VaultError::UnknownVersion(7))
        ));

        std::fs::write(dir.path().join(HEADER_FILE), b"{not json").unwrap();
        assert!(matches!(
            VaultHeader::read(dir.path()),
            Err(VaultError::HeaderCorrupt)
        ));
    }

    #[test]
    fn missing_header_says_whether_the_directory_exists() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            VaultHeader::read(dir.path()),
            Err(VaultError::NotAVault)
        ));
        assert!(matches!(
            VaultHeader::read(&dir.path().join("nope")),
            Err(VaultError::NoSuchVault)
        ));
    }

    #[test]
    fn login_tags_fold_case_and_differ_per_vault() {
        let v = VaultId::new();
        assert_eq!(login_tag(v, "Dana.Lead"), login_tag(v, " dana.lead "));
        assert_ne!(login_tag(v, "dana"), login_tag(VaultId::new(), "dana"));
    }
}
