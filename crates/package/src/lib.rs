//! Airlock's work packages and contact cards, as formats only: no vault, no SQL, no files.
//!
//! A **work package** carries work between laptops: a lead's assignment to one annotator,
//! or that annotator's result back to the lead. It is a [`Manifest`] (package id, kind,
//! source vault, target user, issuer, validity, and the SHA-256 and size of every payload
//! file) with an Ed25519 signature over the manifest's exact bytes, followed by the payload
//! files, in a length-prefixed container that is age-encrypted to exactly one X25519
//! recipient. [`open`] decrypts, checks the container shape, the signature and every file
//! hash before it returns anything, so a caller writes nothing from a damaged or forged
//! package. What the payload files mean is the caller's business.
//!
//! A **contact card** ([`ContactCard`]) is the small public file a person hands over so
//! that others can encrypt to them and check their signatures; it is signed by its own key.
//!
//! ```
//! use airlock_package::{open, seal, Header, PackageKind};
//! let lead = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
//! let annotator = age::x25519::Identity::generate();
//! let now = time::OffsetDateTime::now_utc();
//! let header = Header {
//!     package_id: "p1".into(),
//!     kind: PackageKind::Assign,
//!     source_vault: "v1".into(),
//!     origin_vault: "v1".into(),
//!     target_user: "u1".into(),
//!     issuer: "lead1".into(),
//!     reply_recipient: None,
//!     in_reply_to: None,
//!     created: now,
//!     expires: now + time::Duration::days(14),
//! };
//! let bytes = seal(header, vec![("work.json".into(), b"{}".to_vec())], &lead,
//!                  &annotator.to_public().to_string()).unwrap();
//! let package = open(&bytes, &annotator).unwrap();
//! assert_eq!(package.manifest.header.package_id, "p1");
//! assert_eq!(package.files["work.json"], b"{}");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod card;
mod container;

pub use card::{CardError, ContactCard};
pub use container::{open, seal, OpenError, SealError};

/// The age X25519 identity a package is opened with (re-exported so callers need not
/// depend on `age`).
pub use age::x25519::Identity as AgeIdentity;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The `format` of every package manifest this version writes and reads.
pub const PACKAGE_FORMAT: &str = "airlock-package-v1";

/// The largest decrypted package accepted (and written), in bytes.
pub const MAX_PACKAGE_BYTES: usize = 512 * 1024 * 1024;

/// What a package is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    /// Lead to annotator: work to do.
    Assign,
    /// Annotator to lead: the work done.
    Result,
}

impl PackageKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Assign => "assign",
            PackageKind::Result => "result",
        }
    }
}

/// What the issuer states about a package (everything in the manifest but the file list
/// and the signing key, which [`seal`] fills in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Unique id of this package.
    pub package_id: String,
    /// Assignment or result.
    pub kind: PackageKind,
    /// The vault the work belongs to (the lead's vault).
    pub source_vault: String,
    /// The vault that made this package (the lead's vault, or the annotator's workspace).
    pub origin_vault: String,
    /// The annotator concerned, by their user id in the source vault.
    pub target_user: String,
    /// Who issued the package, by user id in the origin vault.
    pub issuer: String,
    /// The age recipient a reply must be encrypted to (assignments: the lead's).
    pub reply_recipient: Option<String>,
    /// For a result: the assignment package it answers.
    pub in_reply_to: Option<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// After this, the package (and any reply to it) is refused.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

/// One payload file's digest as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The signed part of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`PACKAGE_FORMAT`].
    pub format: String,
    /// What the issuer states.
    #[serde(flatten)]
    pub header: Header,
    /// The Ed25519 public key that signed the manifest, lowercase hex.
    pub signer_key: String,
    /// Every payload file by name.
    pub files: BTreeMap<String, FileEntry>,
}

impl Manifest {
    /// Whether the package has expired at `now`.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        now >= self.header.expires
    }
}

/// A decrypted package whose signature and file hashes were verified.
#[derive(Debug, Clone)]
pub struct Package {
    /// The verified manifest.
    pub manifest: Manifest,
    /// The payload files by name, each matching its manifest entry.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A short, readable fingerprint of an Ed25519 public key and an age recipient: the first
/// 80 bits of their SHA-256, in five groups of four hex digits.
pub fn fingerprint(signing_key_hex: &str, age_recipient: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"airlock-fingerprint-v1\0");
    h.update(signing_key_hex.as_bytes());
    h.update([0]);
    h.update(age_recipient.as_bytes());
    let hex = hex::encode(&h.finalize()[..10]);
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_short_and_depend_on_both_keys() {
        let a = fingerprint("aa", "age1x");
        assert_eq!(a.len(), 24);
        assert_ne!(a, fingerprint("ab", "age1x"));
        assert_ne!(a, fingerprint("aa", "age1y"));
    }
}
