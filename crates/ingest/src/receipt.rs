//! The signed receipt of a delivery: what arrived, from which manifest (its SHA-256),
//! when, who received it and what each file's verdict was. The receiving lead signs it
//! with their Ed25519 key; anyone can check it offline with [`verify_receipt`].
//!
//! The signature covers `airlock-receipt-v1\0 ‖ SHA-256(JSON of the body)`, where the body
//! is serialised from [`ReceiptBody`] (fields in declaration order, maps sorted), so a
//! verifier re-serialises what it parsed and compares. The receipt names files and may
//! therefore identify patients: it is kept in the vault's source tier and leaves it only
//! when a lead exports it, which is audited.

use crate::detect::ContentKind;
use crate::digest::Algorithm;
use crate::plan::SourceMode;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The receipt format name.
pub const RECEIPT_FORMAT: &str = "airlock-receipt";

/// What happened to one file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Verdict {
    /// Matches every digest the manifest gives.
    Verified,
    /// No manifest: its hash was recorded as the baseline.
    Baseline,
    /// A digest differs from the manifest: quarantined.
    Mismatched,
    /// Present but not in the manifest: quarantined.
    Extra,
    /// Zero bytes long: quarantined (an empty clinical file is almost always a failed copy).
    Empty,
    /// Not a supported content type, or rows that cannot be split: quarantined.
    Unsupported,
    /// Listed but not present.
    Missing,
    /// Present but could not be read (link, special file, non-UTF-8 name, I/O error, too
    /// large).
    Unreadable,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 8] = [
        Verdict::Verified,
        Verdict::Baseline,
        Verdict::Mismatched,
        Verdict::Extra,
        Verdict::Empty,
        Verdict::Unsupported,
        Verdict::Missing,
        Verdict::Unreadable,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Baseline => "baseline",
            Verdict::Mismatched => "mismatched",
            Verdict::Extra => "extra",
            Verdict::Empty => "empty",
            Verdict::Unsupported => "unsupported",
            Verdict::Missing => "missing",
            Verdict::Unreadable => "unreadable",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether a file with this verdict may be released for work.
    pub fn is_good(self) -> bool {
        matches!(self, Verdict::Verified | Verdict::Baseline)
    }
}

/// Files and bytes with one verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Files.
    pub files: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One file's line in the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptFile {
    /// Path relative to the source.
    pub path: String,
    /// What happened to it.
    pub verdict: Verdict,
    /// Bytes (read, or listed/walked for files not read).
    pub size: u64,
    /// SHA-256 of what was stored, hex; absent for files not read.
    pub sha256: Option<String>,
    /// What the manifest expected (algorithm → hex), when it listed the file.
    pub expected: BTreeMap<Algorithm, String>,
    /// Detected content, for stored files.
    pub kind: Option<ContentKind>,
    /// Items made from it (rows for CSV/JSONL, 1 otherwise, 0 if quarantined).
    pub items: u64,
    /// Why it is not verified, in a few words (no content).
    pub note: Option<String>,
}

/// Where the delivery came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSource {
    /// Folder, manifest or BagIt.
    pub mode: SourceMode,
    /// SHA-256 of the manifest (a bag's payload manifests, concatenated in algorithm order).
    pub manifest_sha256: Option<String>,
    /// Algorithms checked.
    pub algorithms: Vec<Algorithm>,
    /// A bag's `bag-info.txt`.
    pub bag_info: Vec<(String, String)>,
}

/// Who received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub name: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
}

/// The signed part of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// The batch id.
    pub receipt_id: String,
    /// The vault.
    pub vault_id: String,
    /// The project's name.
    pub project: String,
    /// Who received it.
    pub received_by: Receiver,
    /// When receiving started and finished (RFC 3339, UTC).
    pub started_at: String,
    /// See `started_at`.
    pub finished_at: String,
    /// Where it came from.
    pub source: ReceiptSource,
    /// Files and bytes per verdict.
    pub totals: BTreeMap<Verdict, Tally>,
    /// Every file, in path order.
    pub files: Vec<ReceiptFile>,
    /// Bag-level findings (tag manifests, Payload-Oxum).
    pub bag_problems: Vec<String>,
    /// Notes (weak algorithms, manifest found in the folder).
    pub warnings: Vec<String>,
}

impl ReceiptBody {
    /// Whether every listed file arrived intact and nothing else did.
    pub fn all_verified(&self) -> bool {
        self.bag_problems.is_empty() && self.files.iter().all(|f| f.verdict.is_good())
    }

    fn message(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).expect("receipts always serialise");
        let mut m = b"airlock-receipt-v1\0".to_vec();
        m.extend_from_slice(&Sha256::digest(&json));
        m
    }

    /// SHA-256 of the body's JSON, hex (pinned in the audit trail).
    pub fn digest_hex(&self) -> String {
        hex::encode(Sha256::digest(
            serde_json::to_vec(self).expect("receipts always serialise"),
        ))
    }

    /// Signs the body.
    pub fn sign(self, key: &SigningKey) -> SignedReceipt {
        let signature = hex::encode(key.sign(&self.message()).to_bytes());
        SignedReceipt {
            receipt: self,
            signature,
        }
    }
}

/// A receipt with the receiver's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedReceipt {
    /// The signed body.
    pub receipt: ReceiptBody,
    /// Ed25519 signature by `receipt.received_by.public_key`, hex.
    pub signature: String,
}

/// Why a receipt does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// Not a receipt file.
    #[error("this is not an Airlock receipt (the JSON does not match the receipt format)")]
    NotAReceipt,
    /// The signature does not match the body.
    #[error("the receipt's signature does not match its content: it was changed after signing")]
    BadSignature,
}

/// Verifies a receipt file's bytes; returns the receipt when its signature holds.
pub fn verify_receipt(bytes: &[u8]) -> Result<SignedReceipt, ReceiptError> {
    let r: SignedReceipt = serde_json::from_slice(bytes).map_err(|_| ReceiptError::NotAReceipt)?;
    if r.receipt.format != RECEIPT_FORMAT || r.receipt.version != 1 {
        return Err(ReceiptError::NotAReceipt);
    }
    let key = hex::decode(&r.receipt.received_by.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or(ReceiptError::BadSignature)?;
    let sig = hex::decode(&r.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or(ReceiptError::BadSignature)?;
    key.verify(&r.receipt.message(), &sig)
        .map_err(|_| ReceiptError::BadSignature)?;
    Ok(r)
}

/// A plain-text summary of a receipt for people (what the desktop shows and `--format
/// text` prints); lists every file that is not verified.
pub fn summary_text(r: &SignedReceipt) -> String {
    let b = &r.receipt;
    let mut out = String::new();
    out.push_str(&format!("Airlock receipt {}\n", b.receipt_id));
    out.push_str(&format!("Project:      {}\n", b.project));
    out.push_str(&format!(
        "Received by:  {} ({})\n",
        b.received_by.name, b.received_by.user_id
    ));
    out.push_str(&format!(
        "Started:      {}\nFinished:     {}\n",
        b.started_at, b.finished_at
    ));
    out.push_str(&format!("Source:       {}", b.source.mode.as_str()));
    if let Some(h) = &b.source.manifest_sha256 {
        out.push_str(&format!(", manifest sha256 {h}"));
    }
    out.push('\n');
    if !b.source.algorithms.is_empty() {
        let algs: Vec<_> = b.source.algorithms.iter().map(|a| a.as_str()).collect();
        out.push_str(&format!("Checked with: {}\n", algs.join(", ")));
    }
    out.push_str(&format!(
        "Result:       {}\n\n",
        if b.all_verified() {
            "everything verified"
        } else {
            "PROBLEMS FOUND — problem files are quarantined"
        }
    ));
    for v in Verdict::ALL {
        if let Some(t) = b.totals.get(&v).filter(|t| t.files > 0) {
            out.push_str(&format!(
                "  {:<12} {:>8} files {:>16} bytes\n",
                v.as_str(),
                t.files,
                t.bytes
            ));
        }
    }
    for p in &b.bag_problems {
        out.push_str(&format!("\nBag: {p}"));
    }
    let bad: Vec<_> = b.files.iter().filter(|f| !f.verdict.is_good()).collect();
    if !bad.is_empty() {
        out.push_str("\n\nFiles not verified:\n");
        for f in bad {
            out.push_str(&format!("  [{}] {}", f.verdict.as_str(), f.path));
            if let Some(n) = &f.note {
                out.push_str(&format!(" — {n}"));
            }
            out.push('\n');
        }
    }
    for w in &b.warnings {
        out.push_str(&format!("\nNote: {w}"));
    }
    out.push_str(&format!(
        "\n\nSigned (Ed25519) by {}; check with: airlock receipt verify FILE\n",
        b.received_by.public_key
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn body() -> ReceiptBody {
        let mut totals = BTreeMap::new();
        totals.insert(Verdict::Verified, Tally { files: 1, bytes: 5 });
        ReceiptBody {
            format: RECEIPT_FORMAT.into(),
            version: 1,
            receipt_id: "b1".into(),
            vault_id: "v1".into(),
            project: "Synthetic".into(),
            received_by: Receiver {
                user_id: "u1".into(),
                name: "dana.lead".into(),
                public_key: String::new(),
            },
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: "2026-01-01T00:00:01Z".into(),
            source: ReceiptSource {
                mode: SourceMode::Manifest,
                manifest_sha256: Some("00".into()),
                algorithms: vec![Algorithm::Sha256],
                bag_info: vec![],
            },
            totals,
            files: vec![ReceiptFile {
                path: "a.txt".into(),
                verdict: Verdict::Verified,
                size: 5,
                sha256: Some("ab".into()),
                expected: BTreeMap::new(),
                kind: Some(ContentKind::Text),
                items: 1,
                note: None,
            }],
            bag_problems: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn signed_receipts_verify_and_any_change_is_detected() {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let mut b = body();
        b.received_by.public_key = hex::encode(key.verifying_key().as_bytes());
        let bytes = serde_json::to_vec_pretty(&b.sign(&key)).unwrap();
        assert!(verify_receipt(&bytes).is_ok());
        let text = String::from_utf8(bytes.clone()).unwrap();
        let changed = text.replace("\"size\": 5", "\"size\": 6");
        assert_ne!(changed, text);
        assert_eq!(
            verify_receipt(changed.as_bytes()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(verify_receipt(b"{}"), Err(ReceiptError::NotAReceipt));
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let forged = text.replace(
            &hex::encode(key.verifying_key().as_bytes()),
            &hex::encode(other.verifying_key().as_bytes()),
        );
        assert_eq!(
            verify_receipt(forged.as_bytes()),
            Err(ReceiptError::BadSignature)
        );
    }

    #[test]
    fn summary_lists_problems() {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let mut b = body();
        b.files[0].verdict = Verdict::Mismatched;
        let s = summary_text(&b.sign(&key));
        assert!(s.contains("PROBLEMS FOUND"));
        assert!(s.contains("[mismatched] a.txt"));
    }
}
