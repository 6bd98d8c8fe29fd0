//! [`ProjectKey`]: the per-project secret behind consistent surrogates and date shifts.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// A 256-bit project secret. Surrogates and date-shift offsets are keyed hashes
/// (HMAC-SHA256) of the original value under this key, so the same input gives the same
/// replacement across a project while no plaintext mapping is ever stored.
///
/// The bytes are zeroed on drop. The type deliberately implements neither `Debug`,
/// `Display`, `Clone` nor `Serialize`.
pub struct ProjectKey {
    bytes: Zeroizing<[u8; 32]>,
}

/// The key material given to [`ProjectKey::from_hex`] was not 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a project key must be 64 hexadecimal digits (got {len} characters)")]
pub struct KeyFormatError {
    /// Number of characters supplied, after trimming white space.
    pub len: usize,
}

impl ProjectKey {
    /// Take ownership of 32 key bytes; the caller's array is moved in and zeroed on drop.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ProjectKey {
            bytes: Zeroizing::new(bytes),
        }
    }

    /// Parse 64 hexadecimal digits (surrounding white space ignored), e.g. the contents of
    /// a `--key-file`.
    pub fn from_hex(text: &str) -> Result<Self, KeyFormatError> {
        let t = text.trim();
        let err = KeyFormatError {
            len: t.chars().count(),
        };
        if t.len() != 64 {
            return Err(err);
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, pair) in t.as_bytes().chunks(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or_else(|| err.clone())?;
            let lo = hex_val(pair[1]).ok_or_else(|| err.clone())?;
            bytes[i] = (hi << 4) | lo;
        }
        Ok(ProjectKey { bytes })
    }

    /// A fresh random key from the operating system's generator, for one-off runs where
    /// consistency across runs is not wanted.
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, bytes.as_mut());
        ProjectKey { bytes }
    }

    /// A short keyed reference (16 hexadecimal digits) for a document name such as a
    /// relative file path, for logs: names can themselves identify a patient
    /// ("doe_john_2021.txt"), so logs carry this instead. Stable for one key.
    pub fn document_ref(&self, name: &str) -> String {
        let mut h = self.derive("document-ref", &[name.as_bytes()]);
        let out = h[..8].iter().map(|b| format!("{b:02x}")).collect();
        h.zeroize();
        out
    }

    /// HMAC-SHA256 of `parts` (each length-prefixed, so part boundaries are unambiguous)
    /// under this key with a domain-separation `purpose`.
    pub(crate) fn derive(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.bytes.as_ref())
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(&(purpose.len() as u64).to_le_bytes());
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        let mut out = mac.finalize().into_bytes();
        let mut arr = [0u8; 32];
        arr.copy_from_slice(&out);
        out.as_mut_slice().zeroize();
        arr
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let k = ProjectKey::from_hex(&"ab".repeat(32)).expect("64 hex digits parse");
        assert_eq!(*k.bytes, [0xab; 32]);
        assert_eq!(
            ProjectKey::from_hex("abc").err(),
            Some(KeyFormatError { len: 3 })
        );
        assert!(
            ProjectKey::from_hex(&"zz".repeat(32)).is_err(),
            "non-hex must be refused"
        );
    }

    #[test]
    fn document_refs_are_short_stable_and_keyed() {
        let k = ProjectKey::from_bytes([2; 32]);
        let r = k.document_ref("notes/doe_john.txt");
        assert_eq!(r.len(), 16);
        assert!(!r.contains("doe"));
        assert_eq!(r, k.document_ref("notes/doe_john.txt"));
        assert_ne!(
            r,
            ProjectKey::from_bytes([3; 32]).document_ref("notes/doe_john.txt")
        );
    }

    #[test]
    fn derive_separates_purposes_and_parts() {
        let k = ProjectKey::from_bytes([1; 32]);
        assert_ne!(k.derive("a", &[b"x"]), k.derive("b", &[b"x"]));
        assert_ne!(k.derive("a", &[b"xy"]), k.derive("a", &[b"x", b"y"]));
        assert_eq!(k.derive("a", &[b"x"]), k.derive("a", &[b"x"]));
        assert_ne!(
            ProjectKey::random().derive("a", &[]),
            ProjectKey::random().derive("a", &[])
        );
    }
}
