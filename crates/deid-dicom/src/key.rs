//! [`ProjectKey`]: the per-project secret behind keyed UIDs, pseudonyms and date shifts.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// A 256-bit project secret. Replacement UIDs, the patient pseudonym and the per-patient
/// date offset are keyed hashes (HMAC-SHA256) of the original values under this key, so
/// the same input gives the same replacement across a project while no mapping is stored.
///
/// The key derivation is the one of `airlock-deid`'s text `ProjectKey` (HMAC-SHA256 with
/// length-prefixed purpose and parts), so a project that gives both crates the same key
/// bytes shifts a patient's notes and images by the same number of days.
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
    /// Take ownership of 32 key bytes; they are zeroed on drop.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ProjectKey {
            bytes: Zeroizing::new(bytes),
        }
    }

    /// Parse 64 hexadecimal digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyFormatError> {
        let t = text.trim();
        let err = || KeyFormatError {
            len: t.chars().count(),
        };
        if t.len() != 64 || !t.is_ascii() {
            return Err(err());
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, pair) in t.as_bytes().chunks(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or_else(err)?;
            let lo = hex_val(pair[1]).ok_or_else(err)?;
            bytes[i] = (hi << 4) | lo;
        }
        Ok(ProjectKey { bytes })
    }

    /// A short keyed reference (16 hexadecimal digits) for a file name or relative path,
    /// for logs: names can identify a patient, so logs carry this instead.
    pub fn document_ref(&self, name: &str) -> String {
        let mut h = self.derive("document-ref", &[name.as_bytes()]);
        let out = hex16(&h[..8]);
        h.zeroize();
        out
    }

    /// The replacement for a UID: `2.25.` followed by the decimal form of a 128-bit
    /// integer whose bits are a version-8 (RFC 9562, custom) UUID made from the keyed hash
    /// of the original UID. Valid per PS3.5 B.2, at most 44 characters.
    pub(crate) fn uid_for(&self, original: &str) -> String {
        let mut h = self.derive("uid", &[original.as_bytes()]);
        let mut b = [0u8; 16];
        b.copy_from_slice(&h[..16]);
        h.zeroize();
        b[6] = (b[6] & 0x0f) | 0x80; // version 8
        b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
        format!("2.25.{}", u128::from_be_bytes(b))
    }

    /// A stable pseudonym for a patient identifier: `AL` and 16 upper-case hex digits.
    pub(crate) fn patient_pseudonym(&self, patient_id: &str) -> String {
        let mut h = self.derive("patient-id", &[normalise_id(patient_id).as_bytes()]);
        let out = format!("AL{}", hex16(&h[..8]).to_ascii_uppercase());
        h.zeroize();
        out
    }

    /// The patient's date shift in days (1..=365, applied backwards). The identifier is
    /// normalised (alphanumerics, lower case) as in the text crate.
    pub(crate) fn date_offset_days(&self, patient_id: &str) -> i64 {
        let h = self.derive("date-shift", &[normalise_id(patient_id).as_bytes()]);
        1 + i64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % 365)
    }

    /// HMAC-SHA256 of `parts` (each length-prefixed) under this key with a
    /// domain-separation `purpose`.
    fn derive(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
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

fn normalise_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn hex16(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    fn uids_are_valid_keyed_and_stable() {
        let k = ProjectKey::from_bytes([7; 32]);
        let u = k.uid_for("1.2.840.113619.2.1.1.322987881.621.736170080.681");
        assert!(u.starts_with("2.25."));
        assert!(u.len() <= 64, "PS3.5 caps UIDs at 64 characters");
        let digits = &u[5..];
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(
            !digits.starts_with('0'),
            "no leading zero in a UID component"
        );
        assert_eq!(
            u,
            k.uid_for("1.2.840.113619.2.1.1.322987881.621.736170080.681")
        );
        assert_ne!(u, k.uid_for("1.2.3"));
        assert_ne!(
            u,
            ProjectKey::from_bytes([8; 32])
                .uid_for("1.2.840.113619.2.1.1.322987881.621.736170080.681")
        );
        let n: u128 = digits.parse().expect("a 128-bit integer");
        assert_eq!((n >> 76) & 0xf, 8, "UUID version 8");
    }

    #[test]
    fn date_offsets_match_the_text_crate_derivation() {
        let k = ProjectKey::from_bytes([1; 32]);
        let d = k.date_offset_days("MRN-00123");
        assert!((1..=365).contains(&d));
        assert_eq!(
            d,
            k.date_offset_days("mrn00123"),
            "normalised like the text crate"
        );
    }

    #[test]
    fn hex_parsing() {
        assert!(ProjectKey::from_hex(&"ab".repeat(32)).is_ok());
        assert_eq!(
            ProjectKey::from_hex("abc").err(),
            Some(KeyFormatError { len: 3 })
        );
        assert!(ProjectKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(ProjectKey::from_hex(&"é".repeat(32)).is_err());
    }

    #[test]
    fn pseudonyms_and_refs() {
        let k = ProjectKey::from_bytes([3; 32]);
        let p = k.patient_pseudonym("PAT-1");
        assert_eq!(p.len(), 18);
        assert_eq!(p, k.patient_pseudonym("pat1"));
        assert_eq!(k.document_ref("a/b.dcm").len(), 16);
    }
}
