//! Key material: the two tier keys, per-user personal keys, and the subkeys derived from
//! them with HKDF-SHA256. Every secret lives in a zeroizing buffer and derives neither
//! `Debug` nor `Serialize`.

use bech32::{ToBase32, Variant};
use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use zeroize::Zeroize;

/// A random 256-bit key held in zeroizing memory.
pub struct Key32(SecretBox<[u8; 32]>);

impl Key32 {
    /// A fresh key from the operating system's CSPRNG.
    pub fn random() -> Self {
        Key32(SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            OsRng.fill_bytes(k)
        }))
    }

    /// Takes ownership of key bytes, zeroizing the source.
    pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
        let key = Key32(SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            k.copy_from_slice(bytes)
        }));
        bytes.zeroize();
        key
    }

    /// The key bytes, for use at the point of need only.
    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// Derives a 32-byte subkey for one purpose (HKDF-SHA256, `info` names the purpose).
    pub fn derive(&self, info: &str) -> Key32 {
        let hk = Hkdf::<Sha256>::new(Some(b"airlock-vault-v1"), self.expose());
        Key32(SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            hk.expand(info.as_bytes(), k)
                .expect("32 bytes is a valid HKDF-SHA256 output length");
        }))
    }

    /// Derives the age X25519 identity for `info` from this key.
    pub fn derive_age_identity(&self, info: &str) -> age::x25519::Identity {
        age_identity_from_bytes(self.derive(info).expose())
    }
}

impl Clone for Key32 {
    fn clone(&self) -> Self {
        Key32(SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            k.copy_from_slice(self.expose())
        }))
    }
}

/// Builds an age X25519 identity from 32 secret bytes.
///
/// The age crate parses identities only from their Bech32 text form, so the bytes are
/// encoded the way `age-keygen` writes them and parsed back; intermediates are zeroized.
pub fn age_identity_from_bytes(bytes: &[u8; 32]) -> age::x25519::Identity {
    let mut encoded = bech32::encode("age-secret-key-", bytes.to_base32(), Variant::Bech32)
        .expect("the age HRP is valid Bech32")
        .to_uppercase();
    let identity = encoded
        .parse::<age::x25519::Identity>()
        .expect("32 bytes always form a valid X25519 identity");
    encoded.zeroize();
    identity
}

/// Purposes for HKDF subkeys. Changing a string changes every derived key: never do it.
pub mod purpose {
    /// SQLCipher raw key for `vault.db` (from the work key).
    pub const DATABASE: &str = "sqlcipher-database";
    /// age identity for blobs of a tier (from that tier's key).
    pub const BLOB_IDENTITY: &str = "blob-x25519";
    /// HMAC key naming blobs of a tier (from that tier's key).
    pub const BLOB_NAME: &str = "blob-name-hmac";
    /// age identity for pre-login events (from the work key).
    pub const INTAKE_IDENTITY: &str = "intake-x25519";
    /// XChaCha20-Poly1305 key sealing small records of a tier (from that tier's key).
    pub const FIELD_SEAL: &str = "field-seal-xchacha20poly1305";
    /// HMAC key for lookup tags of a tier (from that tier's key).
    pub const LOOKUP_TAG: &str = "lookup-tag-hmac";
    /// The de-identification project key behind surrogates and date shifts (from the
    /// source key: only leads can make or reverse-engineer them).
    pub const DEID_PROJECT: &str = "deid-project-key";
    /// age identity that work-package results are encrypted to (from the source key: any
    /// lead can merge a result, an annotator cannot read another's).
    pub const PACKAGE_REPLY: &str = "package-reply-x25519";
}

/// A user's personal keys, created at enrolment and wrapped in their slot: an Ed25519
/// key that signs what they attest, and an age X25519 identity others can encrypt to.
#[derive(Clone)]
pub struct PersonalKeys {
    /// Signs audit checkpoints, exports and (later) review decisions and certificates.
    pub signing: SigningKey,
    /// Secret bytes of the user's age X25519 identity.
    age_secret: Key32,
}

impl PersonalKeys {
    /// Generates fresh personal keys.
    pub fn generate() -> Self {
        PersonalKeys {
            signing: SigningKey::generate(&mut OsRng),
            age_secret: Key32::random(),
        }
    }

    pub(crate) fn from_parts(signing: SigningKey, age_secret: Key32) -> Self {
        PersonalKeys {
            signing,
            age_secret,
        }
    }

    pub(crate) fn age_secret(&self) -> &Key32 {
        &self.age_secret
    }

    /// The user's age identity (to decrypt what others encrypted to them).
    pub fn age_identity(&self) -> age::x25519::Identity {
        age_identity_from_bytes(self.age_secret.expose())
    }

    /// The user's public age recipient, `age1…`.
    pub fn age_recipient(&self) -> String {
        self.age_identity().to_public().to_string()
    }

    /// The user's Ed25519 public key, hex encoded.
    pub fn signing_public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_differ_per_purpose_and_are_stable() {
        let k = Key32::random();
        let a = k.derive(purpose::DATABASE);
        let b = k.derive(purpose::BLOB_NAME);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose(), k.derive(purpose::DATABASE).expose());
    }

    #[test]
    fn age_identity_from_bytes_round_trips_through_the_age_text_form() {
        let bytes = [7u8; 32];
        let id = age_identity_from_bytes(&bytes);
        let again = age_identity_from_bytes(&bytes);
        assert_eq!(id.to_public().to_string(), again.to_public().to_string());
        assert!(id.to_public().to_string().starts_with("age1"));
    }
}
