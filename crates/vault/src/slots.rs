//! Sealing and opening key slots.
//!
//! A slot's payload is a small binary record (version, flags, the work key, the source
//! key when the role may hold it, and the user's personal keys). It is sealed with
//! XChaCha20-Poly1305 under a key derived from the passphrase with argon2id; the vault id
//! and slot id are the associated data, so a slot cannot be moved to another vault.

use crate::error::VaultError;
use crate::header::{KdfParams, KeySlot, SlotOwner};
use crate::keys::{Key32, PersonalKeys};
use airlock_model::VaultId;
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

const PAYLOAD_VERSION: u8 = 1;
const FLAG_SOURCE: u8 = 0b01;
const FLAG_PERSONAL: u8 = 0b10;

/// The keys a slot releases when opened.
pub struct SlotKeys {
    /// Protects the database and de-identified content; every slot holds it.
    pub work: Key32,
    /// Protects identifiable source data; only lead and recovery slots hold it.
    pub source: Option<Key32>,
    /// The user's personal keys; absent in the recovery slot.
    pub personal: Option<PersonalKeys>,
}

impl SlotKeys {
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(2 + 32 * 4));
        let mut flags = 0;
        if self.source.is_some() {
            flags |= FLAG_SOURCE;
        }
        if self.personal.is_some() {
            flags |= FLAG_PERSONAL;
        }
        out.push(PAYLOAD_VERSION);
        out.push(flags);
        out.extend_from_slice(self.work.expose());
        if let Some(s) = &self.source {
            out.extend_from_slice(s.expose());
        }
        if let Some(p) = &self.personal {
            out.extend_from_slice(p.signing.as_bytes());
            out.extend_from_slice(p.age_secret().expose());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<SlotKeys, VaultError> {
        fn take(bytes: &[u8], at: &mut usize) -> Result<Key32, VaultError> {
            let mut k: [u8; 32] = bytes
                .get(*at..*at + 32)
                .and_then(|s| s.try_into().ok())
                .ok_or(VaultError::HeaderCorrupt)?;
            *at += 32;
            Ok(Key32::from_bytes(&mut k))
        }
        if bytes.len() < 2 || bytes[0] != PAYLOAD_VERSION {
            return Err(VaultError::HeaderCorrupt);
        }
        let flags = bytes[1];
        let mut at = 2;
        let work = take(bytes, &mut at)?;
        let source = if flags & FLAG_SOURCE != 0 {
            Some(take(bytes, &mut at)?)
        } else {
            None
        };
        let personal = if flags & FLAG_PERSONAL != 0 {
            let signing = take(bytes, &mut at)?;
            let age = take(bytes, &mut at)?;
            Some(PersonalKeys::from_parts(
                SigningKey::from_bytes(signing.expose()),
                age,
            ))
        } else {
            None
        };
        if at != bytes.len() {
            return Err(VaultError::HeaderCorrupt);
        }
        Ok(SlotKeys {
            work,
            source,
            personal,
        })
    }
}

fn kek(passphrase: &SecretString, salt: &[u8], kdf: &KdfParams) -> Result<Key32, VaultError> {
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|_| VaultError::HeaderCorrupt)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = [0u8; 32];
    argon
        .hash_password_into(passphrase.expose_secret().as_bytes(), salt, &mut out)
        .map_err(|_| VaultError::HeaderCorrupt)?;
    Ok(Key32::from_bytes(&mut out))
}

fn aad(vault: VaultId, slot: Uuid) -> Vec<u8> {
    let mut a = b"airlock-slot-v1\0".to_vec();
    a.extend_from_slice(vault.as_uuid().as_bytes());
    a.extend_from_slice(slot.as_bytes());
    a
}

/// Seals `keys` into a new slot for `owner`, under `passphrase`.
pub fn seal(
    vault: VaultId,
    owner: SlotOwner,
    login: Option<String>,
    passphrase: &SecretString,
    kdf: &KdfParams,
    keys: &SlotKeys,
) -> Result<KeySlot, VaultError> {
    let id = Uuid::new_v4();
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let kek = kek(passphrase, &salt, kdf)?;
    let cipher = XChaCha20Poly1305::new(kek.expose().into());
    let payload = keys.encode();
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &payload,
                aad: &aad(vault, id),
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    Ok(KeySlot {
        id,
        owner,
        login,
        salt: B64.encode(salt),
        nonce: B64.encode(nonce),
        sealed: B64.encode(sealed),
        failed_attempts: 0,
        locked_until: None,
    })
}

/// Opens a slot with `passphrase`. A wrong passphrase is [`VaultError::WrongPassphrase`].
pub fn open(
    vault: VaultId,
    slot: &KeySlot,
    passphrase: &SecretString,
    kdf: &KdfParams,
) -> Result<SlotKeys, VaultError> {
    let salt = B64
        .decode(&slot.salt)
        .map_err(|_| VaultError::HeaderCorrupt)?;
    let nonce = B64
        .decode(&slot.nonce)
        .map_err(|_| VaultError::HeaderCorrupt)?;
    let sealed = B64
        .decode(&slot.sealed)
        .map_err(|_| VaultError::HeaderCorrupt)?;
    if nonce.len() != 24 {
        return Err(VaultError::HeaderCorrupt);
    }
    let kek = kek(passphrase, &salt, kdf)?;
    let cipher = XChaCha20Poly1305::new(kek.expose().into());
    let mut plain = cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &sealed,
                aad: &aad(vault, slot.id),
            },
        )
        .map_err(|_| VaultError::WrongPassphrase)?;
    let keys = SlotKeys::decode(&plain);
    plain.zeroize();
    keys
}

/// Spends the same argon2id work as [`open`] without a slot, so that an unknown user
/// name takes as long to refuse as a wrong passphrase.
pub fn burn_equivalent_work(passphrase: &SecretString, kdf: &KdfParams) {
    let _ = kek(passphrase, &[0u8; 16], kdf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_model::{Role, UserId};

    fn keys(source: bool) -> SlotKeys {
        SlotKeys {
            work: Key32::random(),
            source: source.then(Key32::random),
            personal: Some(PersonalKeys::generate()),
        }
    }

    #[test]
    fn seal_then_open_returns_the_same_keys() {
        let v = VaultId::new();
        let k = keys(true);
        let pw = SecretString::from("correct horse battery staple");
        let owner = SlotOwner::User {
            user_id: UserId::new(),
            role: Role::Lead,
        };
        let slot = seal(v, owner, None, &pw, &KdfParams::INSECURE_FAST, &k).unwrap();
        let back = open(v, &slot, &pw, &KdfParams::INSECURE_FAST).unwrap();
        assert_eq!(back.work.expose(), k.work.expose());
        assert_eq!(back.source.unwrap().expose(), k.source.unwrap().expose());
        let (p1, p2) = (back.personal.unwrap(), k.personal.unwrap());
        assert_eq!(p1.signing_public_hex(), p2.signing_public_hex());
        assert_eq!(p1.age_recipient(), p2.age_recipient());
    }

    #[test]
    fn wrong_passphrase_other_vault_or_tampered_slot_all_fail() {
        let v = VaultId::new();
        let pw = SecretString::from("pass phrase one");
        let slot = seal(
            v,
            SlotOwner::Recovery,
            None,
            &pw,
            &KdfParams::INSECURE_FAST,
            &keys(false),
        )
        .unwrap();
        let wrong = SecretString::from("pass phrase two");
        assert!(matches!(
            open(v, &slot, &wrong, &KdfParams::INSECURE_FAST),
            Err(VaultError::WrongPassphrase)
        ));
        assert!(matches!(
            open(VaultId::new(), &slot, &pw, &KdfParams::INSECURE_FAST),
            Err(VaultError::WrongPassphrase)
        ));
        let mut bad = slot.clone();
        let mut sealed = B64.decode(&bad.sealed).unwrap();
        sealed[5] ^= 1;
        bad.sealed = B64.encode(sealed);
        assert!(matches!(
            open(v, &bad, &pw, &KdfParams::INSECURE_FAST),
            Err(VaultError::WrongPassphrase)
        ));
    }
}
