//! Certificates of destruction: the fields of the NIST SP 800-88 Rev. 1 Appendix G
//! sample "Certificate of Sanitization", plus what Airlock knows (the project's data, the
//! final audit head, the exports still outside the vault), signed with Ed25519 by the
//! person who sanitized and, optionally, a second person who verified.
//!
//! # File
//!
//! ```text
//! {"certificate": { …Certificate… },
//!  "signatures": [{"role": "sanitizer", "signature": "<128 hex>"},
//!                 {"role": "verifier",  "signature": "<128 hex>"}]}
//! ```
//! Times are RFC 3339. Keys of `certificate` are exactly the fields below (unknown keys
//! are refused); absent optional values are `null`.
//!
//! # Signed bytes
//!
//! Each signature is Ed25519 (RFC 8032, pure) over
//!
//! ```text
//! "airlock-certificate-of-destruction-v1\n" || ROLE || "\n" || JCS(certificate)
//! ```
//! where `ROLE` is `sanitizer` or `verifier` and `JCS(certificate)` is the RFC 8785
//! canonical form of the `certificate` object as it appears in the file (keys sorted, no
//! white space; the certificate holds strings, booleans, nulls and integers below 2^53
//! only). The public keys are inside the certificate (`sanitizer.public_key`,
//! `verifier.public_key`), so each signature also binds the signer's name and title to the
//! key. The certificate's fingerprint, printed on the PDF, is the SHA-256 of
//! `JCS(certificate)`.

use crate::canonical::canonical_json;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The `format` value.
pub const CERTIFICATE_FORMAT: &str = "airlock-certificate-of-destruction";

/// The `version` this crate writes and reads.
pub const CERTIFICATE_VERSION: u32 = 1;

/// The domain-separation prefix of the signed bytes.
const SIGNING_PREFIX: &[u8] = b"airlock-certificate-of-destruction-v1\n";

/// Certificates larger than this are refused unread.
const MAX_CERTIFICATE_BYTES: usize = 4 * 1024 * 1024;

/// The standard the fields follow.
pub const STANDARD: &str = "NIST SP 800-88 Rev. 1, Appendix G (Certificate of Sanitization)";

/// The attestation each signer makes (Appendix G's wording).
pub const ATTESTATION: &str =
    "I attest that the information provided on this statement is accurate to the best of my knowledge.";

/// Why cryptographic erase, not overwriting, is what purges the vault's data on SSDs.
pub const CRYPTO_ERASE_RATIONALE: &str = "On flash storage (SSDs and most laptop drives) overwriting a file does not reliably overwrite the cells that held it: the drive's flash translation layer writes new data to fresh pages and remaps them, and wear levelling and over-provisioning keep stale copies that the operating system can no longer address, so an overwrite can leave old data readable with chip-level access. Airlock never stored this project's data in the clear: the database is encrypted with SQLCipher and every file with age, under random 256-bit keys that exist on disk only inside the vault header's key slots, each wrapped under a key derived from a passphrase or the recovery code. Cryptographic erase destroys every key slot, the recovery slot and any operating-system keyring entry. Without a key, every remaining ciphertext copy on the drive, including remapped and over-provisioned blocks, is computationally infeasible to decrypt. The files are then deleted, so nothing of the vault remains addressable.";

/// Limits every certificate states, before the ones the caller adds.
pub fn standard_exclusions() -> Vec<String> {
    [
        "Exports listed under \"Exports still outside the vault\": they were delivered or copied before destruction and must be destroyed by whoever holds them.",
        "Copies of the vault directory made by other software (operating-system backups, file sync, disk images): such a copy still holds its key slots and can be opened by anyone who knows a passphrase or the recovery code of that time; it must be destroyed separately.",
        "The rest of this computer's storage: this is file-level sanitization of one Airlock vault, not a sanitization of the whole device.",
        "Information people took outside Airlock (notes, screenshots, printouts).",
        "The source data held by the clinical site that supplied it.",
        "The final audit log export, which is kept by design; it holds identifiers and hashes, no patient data.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Why a certificate could not be made or does not verify. Nothing from the certificate's
/// content is carried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Not JSON, or larger than 4 MiB.
    #[error("the certificate is not a JSON document of at most 4 MiB")]
    NotJson,
    /// The JSON does not have the certificate's structure (missing, extra or mistyped
    /// fields), at this position of the file.
    #[error("the certificate's structure is wrong near line {line}, column {column}")]
    Structure {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
    },
    /// The top level is not exactly `certificate` and `signatures`.
    #[error("the certificate file must hold exactly \"certificate\" and \"signatures\"")]
    Envelope,
    /// Another `format`, or a `version` this build does not read.
    #[error("not an Airlock certificate of destruction version {CERTIFICATE_VERSION}")]
    UnsupportedFormat,
    /// A value has no canonical form (a fractional number or an integer beyond 2^53).
    #[error("the certificate holds a number that cannot be signed canonically")]
    NotCanonical,
    /// A public key in the certificate is not a valid Ed25519 key (64 hex digits).
    #[error("the {0} public key is not a valid Ed25519 key")]
    InvalidKey(SignerRole),
    /// A required signature is absent.
    #[error("the certificate has no {0} signature")]
    MissingSignature(SignerRole),
    /// A signature is present twice, or for a verifier the certificate does not name.
    #[error("the certificate has an unexpected {0} signature")]
    UnexpectedSignature(SignerRole),
    /// A signature does not verify: the certificate was changed after signing.
    #[error("the {0} signature does not verify: the certificate was changed or forged")]
    BadSignature(SignerRole),
    /// The key offered for signing is not the one the certificate names for that role.
    #[error("this key is not the {0} key named in the certificate")]
    WrongKey(SignerRole),
}

/// Who signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    /// The person who performed the sanitization.
    Sanitizer,
    /// The second person who validated it.
    Verifier,
}

impl std::fmt::Display for SignerRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SignerRole {
    /// `sanitizer` or `verifier`, as in the signed bytes.
    pub fn as_str(self) -> &'static str {
        match self {
            SignerRole::Sanitizer => "sanitizer",
            SignerRole::Verifier => "verifier",
        }
    }
}

/// The organization responsible for the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Name.
    pub name: String,
    /// Postal address, if stated.
    pub address: Option<String>,
    /// How to reach the privacy or compliance office.
    pub contact: String,
}

/// The project whose vault was destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Project name.
    pub name: String,
    /// The vault's id (from its header).
    pub vault_id: String,
}

/// How much of one kind of content there was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentCount {
    /// Kind: `text`, `dicom`, `png`, `jpeg`, `database`, …
    pub kind: String,
    /// Files or records.
    pub count: u64,
    /// Bytes (plaintext size).
    pub bytes: u64,
}

/// What was destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataDescription {
    /// In words, e.g. "Radiology reports and chest X-rays received from Site A for the
    /// pneumonia labelling project, with their de-identified derivatives and labels".
    pub description: String,
    /// Items.
    pub item_count: u64,
    /// Files as received (source tier).
    pub source_file_count: u64,
    /// Files derived in the vault (de-identified copies, attachments).
    pub derived_file_count: u64,
    /// Total bytes (plaintext) of all content.
    pub total_bytes: u64,
    /// By kind of content.
    pub content_types: Vec<ContentCount>,
    /// PHI categories the data held (Safe Harbor categories, DICOM attribute groups).
    pub phi_categories: Vec<String>,
}

/// The media (Appendix G "Media Information").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// Media type, e.g. "Flash memory: laptop internal SSD (file-level sanitization)".
    pub media_type: String,
    /// What exactly was sanitized, e.g. "the Airlock vault directory /home/…/vault".
    pub description: String,
    /// Make / vendor, if known.
    pub make_vendor: Option<String>,
    /// Model number, if known.
    pub model: Option<String>,
    /// Serial number, if known.
    pub serial_number: Option<String>,
    /// Media or asset property number, if any.
    pub property_number: Option<String>,
    /// Source: the computer (host name or property number) and user.
    pub source: String,
    /// Classification of the data before sanitization, e.g. "PHI (HIPAA)".
    pub classification: String,
    /// Whether the data was backed up: `yes`, `no` or `unknown`.
    pub data_backed_up: String,
    /// Where backups are, if any.
    pub backup_location: Option<String>,
}

/// One step of the sanitization as it happened (several runs if it was interrupted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanitizationStep {
    /// What was done, e.g. "final audit log exported and signed", "key slots destroyed".
    pub step: String,
    /// When it completed.
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
    /// Counts or ids, e.g. "4 key slots, 1 recovery slot, 0 keyring entries".
    pub detail: String,
}

/// How the data was sanitized (Appendix G "Sanitization Details").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sanitization {
    /// Method type: `Purge` for cryptographic erase.
    pub method_type: String,
    /// Method used, e.g. "Cryptographic erase, plus deletion".
    pub method_used: String,
    /// Technique in detail.
    pub technique: String,
    /// Tool used.
    pub tool: String,
    /// Its version.
    pub tool_version: String,
    /// When sanitization started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339")]
    pub ended_at: OffsetDateTime,
    /// What happened, in order.
    pub steps: Vec<SanitizationStep>,
    /// Whether an interrupted run was resumed.
    pub resumed_after_interruption: bool,
    /// Why this method purges (usually [`CRYPTO_ERASE_RATIONALE`]).
    pub rationale: String,
    /// Classification after sanitization, e.g. "No PHI recoverable from this media".
    pub post_sanitization_classification: String,
    /// Notes.
    pub notes: Option<String>,
}

/// The outcome of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationResult {
    /// Nothing of the vault remains and it no longer opens.
    Passed,
    /// Something remains (see the details).
    Failed,
}

/// How the result was verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// Method, e.g. "Full: every path of the vault format re-scanned; opening attempted".
    pub method: String,
    /// Result.
    pub result: VerificationResult,
    /// Details, e.g. "0 files remain; vault.json absent; open fails: no header".
    pub details: String,
    /// When verified.
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
}

/// The audit trail's last state, pinned by the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditPin {
    /// Hash of the last event (hex), as in the final export's trailer.
    pub final_head_hash: String,
    /// Events in the log.
    pub event_count: u64,
    /// SHA-256 of the final signed audit export file (hex).
    pub export_sha256: String,
    /// When it was exported.
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
}

/// An export that still exists outside the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutstandingExport {
    /// Export id.
    pub export_id: String,
    /// What it held, e.g. "gold labels (JSONL, COCO) and compliance package, 240 items".
    pub what: String,
    /// Form: e.g. "BagIt bag, age-encrypted tar" or "BagIt bag, plaintext directory".
    pub form: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who it was for: the age recipients, "passphrase", or "none (plaintext)".
    pub recipient: String,
    /// Who made it.
    pub exported_by: String,
    /// SHA-256 of the file (hex), when it is one file.
    pub file_sha256: Option<String>,
}

/// A person who signs (Appendix G "Person Performing Sanitization" and "Validation").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Organization.
    pub organization: String,
    /// Location.
    pub location: String,
    /// Phone or e-mail.
    pub contact: String,
    /// Their Airlock user id.
    pub user_id: String,
    /// Their Ed25519 public key, hex.
    pub public_key: String,
    /// When they signed.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

/// A certificate of destruction (the signed content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Always [`CERTIFICATE_FORMAT`].
    pub format: String,
    /// Always [`CERTIFICATE_VERSION`].
    pub version: u32,
    /// The certificate's id (a UUID).
    pub certificate_id: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Always [`STANDARD`].
    pub standard: String,
    /// The organization.
    pub organization: Organization,
    /// The project.
    pub project: Project,
    /// What was destroyed.
    pub data: DataDescription,
    /// Where it was.
    pub media: Media,
    /// How.
    pub sanitization: Sanitization,
    /// How it was checked.
    pub verification: Verification,
    /// Post-sanitization destination of the media (Appendix G "Media Destination"),
    /// e.g. "Internal reuse: the laptop stays in service".
    pub media_destination: String,
    /// The audit trail's final state.
    pub audit: AuditPin,
    /// Every export still outside the vault.
    pub outstanding_exports: Vec<OutstandingExport>,
    /// What the certificate does not cover (start from [`standard_exclusions`]).
    pub not_covered: Vec<String>,
    /// The attestation (usually [`ATTESTATION`]).
    pub attestation: String,
    /// Who sanitized.
    pub sanitizer: Person,
    /// Who verified, if a second person did.
    pub verifier: Option<Person>,
}

impl Certificate {
    /// The canonical bytes of this certificate (JCS).
    fn canonical(&self) -> Result<Vec<u8>, CertError> {
        let value = serde_json::to_value(self).expect("certificates serialise");
        canonical_json(&value).map_err(|_| CertError::NotCanonical)
    }

    /// The exact bytes `role` signs (see the module documentation).
    pub fn signing_message(&self, role: SignerRole) -> Result<Vec<u8>, CertError> {
        Ok(message(role, &self.canonical()?))
    }

    fn person(&self, role: SignerRole) -> Option<&Person> {
        match role {
            SignerRole::Sanitizer => Some(&self.sanitizer),
            SignerRole::Verifier => self.verifier.as_ref(),
        }
    }
}

fn message(role: SignerRole, canonical: &[u8]) -> Vec<u8> {
    let mut m = SIGNING_PREFIX.to_vec();
    m.extend_from_slice(role.as_str().as_bytes());
    m.push(b'\n');
    m.extend_from_slice(canonical);
    m
}

fn verifying_key(hex_key: &str, role: SignerRole) -> Result<VerifyingKey, CertError> {
    let bytes: [u8; 32] = hex::decode(hex_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(CertError::InvalidKey(role))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CertError::InvalidKey(role))
}

/// One signature in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSignature {
    /// Who signed.
    pub role: SignerRole,
    /// The Ed25519 signature, hex.
    pub signature: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<C> {
    certificate: C,
    signatures: Vec<CertificateSignature>,
}

/// A certificate being signed.
#[derive(Debug, Clone)]
pub struct SignedCertificate {
    certificate: Certificate,
    signatures: Vec<CertificateSignature>,
}

impl SignedCertificate {
    /// Starts signing `certificate`.
    pub fn new(certificate: Certificate) -> SignedCertificate {
        SignedCertificate {
            certificate,
            signatures: Vec::new(),
        }
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Signs as `role` with `key`, which must be the key the certificate names for that
    /// role ([`CertError::WrongKey`]). Signing again replaces that role's signature.
    pub fn sign(&mut self, role: SignerRole, key: &SigningKey) -> Result<(), CertError> {
        let person = self
            .certificate
            .person(role)
            .ok_or(CertError::UnexpectedSignature(role))?;
        let named = verifying_key(&person.public_key, role)?;
        if named != key.verifying_key() {
            return Err(CertError::WrongKey(role));
        }
        let signature = key.sign(&self.certificate.signing_message(role)?);
        self.signatures.retain(|s| s.role != role);
        self.signatures.push(CertificateSignature {
            role,
            signature: hex::encode(signature.to_bytes()),
        });
        self.signatures
            .sort_by_key(|s| s.role != SignerRole::Sanitizer);
        Ok(())
    }

    /// The certificate file (pretty-printed JSON), once every required signature is
    /// there: the sanitizer's, and the verifier's when the certificate names one.
    pub fn to_json(&self) -> Result<Vec<u8>, CertError> {
        for role in [SignerRole::Sanitizer, SignerRole::Verifier] {
            let needed = self.certificate.person(role).is_some();
            if needed && !self.signatures.iter().any(|s| s.role == role) {
                return Err(CertError::MissingSignature(role));
            }
        }
        let mut bytes = serde_json::to_vec_pretty(&Envelope {
            certificate: &self.certificate,
            signatures: self.signatures.clone(),
        })
        .expect("certificates serialise");
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// A verified certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateCheck {
    /// Its content.
    pub certificate: Certificate,
    /// Whether a verifier signed (and the signature holds).
    pub verifier_signed: bool,
    /// SHA-256 of the canonical certificate (hex): its fingerprint.
    pub fingerprint: String,
    /// The signatures, as in the file.
    pub signatures: Vec<CertificateSignature>,
}

fn structure_error(e: &serde_json::Error) -> CertError {
    CertError::Structure {
        line: e.line(),
        column: e.column(),
    }
}

/// Checks a certificate file: its structure (every field present and typed, nothing
/// extra), format and version, and the signatures (the sanitizer's always, the
/// verifier's when a verifier is named; no other). Any changed byte of a value fails.
/// Does not check the audit head against an audit export: compare
/// [`Certificate::audit`] with the export's trailer for that.
pub fn verify_certificate(bytes: &[u8]) -> Result<CertificateCheck, CertError> {
    if bytes.len() > MAX_CERTIFICATE_BYTES {
        return Err(CertError::NotJson);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| CertError::NotJson)?;
    let obj = value.as_object().ok_or(CertError::Envelope)?;
    if obj.len() != 2 || !obj.contains_key("certificate") || !obj.contains_key("signatures") {
        return Err(CertError::Envelope);
    }
    let envelope: Envelope<Certificate> =
        serde_json::from_slice(bytes).map_err(|e| structure_error(&e))?;
    let certificate = envelope.certificate;
    if certificate.format != CERTIFICATE_FORMAT || certificate.version != CERTIFICATE_VERSION {
        return Err(CertError::UnsupportedFormat);
    }
    // The signed bytes are those of the certificate exactly as it appears in the file.
    let canonical = canonical_json(&obj["certificate"]).map_err(|_| CertError::NotCanonical)?;
    let mut seen = Vec::new();
    for s in &envelope.signatures {
        if seen.contains(&s.role) {
            return Err(CertError::UnexpectedSignature(s.role));
        }
        seen.push(s.role);
        let person = certificate
            .person(s.role)
            .ok_or(CertError::UnexpectedSignature(s.role))?;
        let key = verifying_key(&person.public_key, s.role)?;
        let sig: [u8; 64] = hex::decode(&s.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(CertError::BadSignature(s.role))?;
        key.verify_strict(&message(s.role, &canonical), &Signature::from_bytes(&sig))
            .map_err(|_| CertError::BadSignature(s.role))?;
    }
    for role in [SignerRole::Sanitizer, SignerRole::Verifier] {
        if certificate.person(role).is_some() && !seen.contains(&role) {
            return Err(CertError::MissingSignature(role));
        }
    }
    Ok(CertificateCheck {
        verifier_signed: seen.contains(&SignerRole::Verifier),
        fingerprint: hex::encode(Sha256::digest(&canonical)),
        signatures: envelope.signatures,
        certificate,
    })
}
