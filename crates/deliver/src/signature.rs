//! The bag signature: `airlock-signature.txt`, a tag file that is itself not listed in
//! the tag manifests it signs.
//!
//! ```text
//! Airlock-Bag-Signature: 1
//! Algorithm: Ed25519
//! Signer-Name: Dana Lead
//! Signer-Id: 2f0c…
//! Signer-Public-Key: <64 hex digits: the raw Ed25519 public key>
//! Signed-At: 2026-11-20T10:00:00Z
//! Signed-File: tagmanifest-sha256.txt sha256 <64 hex digits>
//! Signed-File: tagmanifest-sha512.txt sha512 <128 hex digits>
//! Signature: <128 hex digits>
//! ```
//!
//! Lines end with LF. **The signed message is every byte of the file before the
//! `Signature: ` line** (the first eight lines, final LF included), signed with Ed25519
//! (RFC 8032, pure, no prehash). The two `Signed-File` lines pin the tag manifests; the tag
//! manifests pin `bagit.txt`, `bag-info.txt`, both payload manifests and every other tag
//! file; the payload manifests pin the payload. With OpenSSL 3:
//!
//! ```text
//! head -n 8 airlock-signature.txt > msg
//! sed -n 's/^Signature: //p' airlock-signature.txt | xxd -r -p > sig
//! (printf '302a300506032b6570032100' ; sed -n 's/^Signer-Public-Key: //p' airlock-signature.txt) \
//!     | xxd -r -p | openssl pkey -pubin -inform DER -out pub.pem
//! openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig
//! sha256sum tagmanifest-sha256.txt; sha512sum tagmanifest-sha512.txt   # compare
//! ```
//!
//! [`verify_bag_signature`] does all of that and also checks every tag file listed in the
//! tag manifests and that no tag file is left unlisted. Payload files are the business of
//! [`airlock_ingest::bagit::validate_bag`].

use crate::bag::BagSigner;
use airlock_ingest::digest::Algorithm;
use airlock_ingest::manifest::parse_bagit_manifest;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use time::format_description::well_known::Rfc3339;

/// The signature file's name, at the bag root.
pub const SIGNATURE_FILE: &str = "airlock-signature.txt";

/// The format line, first in the file.
const FORMAT_LINE: &str = "Airlock-Bag-Signature: 1";

/// Tag files larger than this are not read into memory for verification.
const MAX_SIGNATURE_FILE: u64 = 64 * 1024;

/// Why a bag's signature does not hold. Tag file names (bag metadata, not payload) are
/// named; nothing else from the bag is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BagSignatureError {
    /// There is no `airlock-signature.txt`.
    #[error("the bag is not signed (it has no airlock-signature.txt)")]
    Unsigned,
    /// The signature file is not in the expected form.
    #[error("airlock-signature.txt line {line} is malformed")]
    Malformed {
        /// The line, counting from 1.
        line: usize,
    },
    /// The Ed25519 signature does not verify under the listed public key.
    #[error("the signature does not verify: the signature file was changed or forged")]
    BadSignature,
    /// A tag manifest differs from the one that was signed.
    #[error("{0} differs from the signed one")]
    TagManifestChanged(String),
    /// A tag manifest cannot be parsed.
    #[error("{0} is malformed")]
    TagManifestMalformed(String),
    /// A tag manifest lists a file that is missing or whose digest differs.
    #[error("tag file {0} is missing or differs from its tag manifest")]
    TagFileMismatch(String),
    /// A file outside `data/` is not listed in both tag manifests.
    #[error("tag file {0} is not covered by the tag manifests")]
    UnlistedTagFile(String),
    /// A tag file or directory could not be read (or is a symbolic link).
    #[error("{0} cannot be read")]
    Unreadable(String),
}

/// A verified bag signature: who signed, and how much of the bag it covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BagSignatureCheck {
    /// `Signer-Name`.
    pub signer_name: String,
    /// `Signer-Id`.
    pub signer_id: String,
    /// `Signer-Public-Key`, hex. Compare it with the key you expect the lead to hold.
    pub signer_public_key: String,
    /// `Signed-At`, RFC 3339 as written.
    pub signed_at: String,
    /// Tag files checked against both tag manifests.
    pub tag_files_checked: usize,
}

/// Builds the signature file for the two tag manifest digests; returns it and the
/// signature.
pub(crate) fn signature_file_text(
    signer: &BagSigner<'_>,
    tagmanifest_sha256: &[u8],
    tagmanifest_sha512: &[u8],
) -> (String, Signature) {
    let signed_at = signer
        .signed_at
        .format(&Rfc3339)
        .expect("a time with a four-digit year formats as RFC 3339");
    let body = format!(
        "{FORMAT_LINE}\nAlgorithm: Ed25519\nSigner-Name: {}\nSigner-Id: {}\nSigner-Public-Key: {}\nSigned-At: {signed_at}\nSigned-File: tagmanifest-sha256.txt sha256 {}\nSigned-File: tagmanifest-sha512.txt sha512 {}\n",
        signer.name,
        signer.user_id,
        hex::encode(signer.key.verifying_key().as_bytes()),
        hex::encode(tagmanifest_sha256),
        hex::encode(tagmanifest_sha512),
    );
    let signature = signer.key.sign(body.as_bytes());
    let text = format!("{body}Signature: {}\n", hex::encode(signature.to_bytes()));
    (text, signature)
}

fn read_small(path: &Path, name: &str, limit: u64) -> Result<Vec<u8>, BagSignatureError> {
    let unreadable = || BagSignatureError::Unreadable(name.to_string());
    let meta = std::fs::symlink_metadata(path).map_err(|_| unreadable())?;
    if !meta.file_type().is_file() || meta.len() > limit {
        return Err(unreadable());
    }
    std::fs::read(path).map_err(|_| unreadable())
}

fn hash_file(path: &Path, alg: Algorithm) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 128 * 1024];
    let mut s256 = Sha256::new();
    let mut s512 = Sha512::new();
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => match alg {
                Algorithm::Sha512 => s512.update(&buf[..n]),
                _ => s256.update(&buf[..n]),
            },
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(match alg {
        Algorithm::Sha512 => s512.finalize().to_vec(),
        _ => s256.finalize().to_vec(),
    })
}

/// Every file outside `data/`, bag-relative, refusing symbolic links and special files.
fn tag_files_on_disk(root: &Path) -> Result<BTreeSet<String>, BagSignatureError> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let label = if prefix.is_empty() {
            "the bag folder"
        } else {
            &prefix
        };
        let unreadable = || BagSignatureError::Unreadable(label.to_string());
        for e in std::fs::read_dir(&dir).map_err(|_| unreadable())? {
            let e = e.map_err(|_| unreadable())?;
            let name = e.file_name().into_string().map_err(|_| unreadable())?;
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let ft = e.file_type().map_err(|_| unreadable())?;
            if prefix.is_empty() && name == "data" && ft.is_dir() {
                continue;
            }
            if ft.is_dir() {
                stack.push((e.path(), rel));
            } else if ft.is_file() {
                out.insert(rel);
            } else {
                return Err(BagSignatureError::Unreadable(rel));
            }
        }
    }
    Ok(out)
}

struct Parsed {
    message_len: usize,
    check: BagSignatureCheck,
    public_key: [u8; 32],
    signature: [u8; 64],
    tm256: Vec<u8>,
    tm512: Vec<u8>,
}

fn parse(text: &str) -> Result<Parsed, BagSignatureError> {
    const LABELS: [&str; 9] = [
        "Airlock-Bag-Signature",
        "Algorithm",
        "Signer-Name",
        "Signer-Id",
        "Signer-Public-Key",
        "Signed-At",
        "Signed-File",
        "Signed-File",
        "Signature",
    ];
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut values = Vec::with_capacity(LABELS.len());
    for (i, (line, label)) in lines.iter().zip(LABELS).enumerate() {
        let bad = BagSignatureError::Malformed { line: i + 1 };
        let content = line.strip_suffix('\n').ok_or(bad.clone())?;
        let value = content
            .strip_prefix(label)
            .and_then(|r| r.strip_prefix(": "))
            .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
            .ok_or(bad)?;
        values.push(value);
    }
    if lines.len() != LABELS.len() {
        return Err(BagSignatureError::Malformed {
            line: lines.len().min(LABELS.len()) + 1,
        });
    }
    let malformed = |line: usize| BagSignatureError::Malformed { line };
    if values[0] != "1" {
        return Err(malformed(1));
    }
    if values[1] != "Ed25519" {
        return Err(malformed(2));
    }
    let public_key: [u8; 32] = hex::decode(values[4])
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(malformed(5))?;
    time::OffsetDateTime::parse(values[5], &Rfc3339).map_err(|_| malformed(6))?;
    let digest = |line: usize, prefix: &str, len: usize| -> Result<Vec<u8>, BagSignatureError> {
        values[line - 1]
            .strip_prefix(prefix)
            .and_then(|h| hex::decode(h).ok())
            .filter(|d| d.len() == len)
            .ok_or(malformed(line))
    };
    let tm256 = digest(7, "tagmanifest-sha256.txt sha256 ", 32)?;
    let tm512 = digest(8, "tagmanifest-sha512.txt sha512 ", 64)?;
    let signature: [u8; 64] = hex::decode(values[8])
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(malformed(9))?;
    Ok(Parsed {
        message_len: lines[..8].iter().map(|l| l.len()).sum(),
        check: BagSignatureCheck {
            signer_name: values[2].to_string(),
            signer_id: values[3].to_string(),
            signer_public_key: values[4].to_lowercase(),
            signed_at: values[5].to_string(),
            tag_files_checked: 0,
        },
        public_key,
        signature,
        tm256,
        tm512,
    })
}

/// Verifies the signature of the bag at `root` and the whole tag layer it covers: the
/// Ed25519 signature, both tag manifests against the signed digests, every tag file they
/// list, and that every file outside `data/` (other than the signature file and the tag
/// manifests themselves) is listed in both. Does not read the payload: run
/// [`airlock_ingest::bagit::validate_bag`] as well.
pub fn verify_bag_signature(root: &Path) -> Result<BagSignatureCheck, BagSignatureError> {
    let sig_path = root.join(SIGNATURE_FILE);
    if std::fs::symlink_metadata(&sig_path).is_err() {
        return Err(BagSignatureError::Unsigned);
    }
    let bytes = read_small(&sig_path, SIGNATURE_FILE, MAX_SIGNATURE_FILE)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| BagSignatureError::Malformed { line: 1 })?;
    let parsed = parse(text)?;
    let key = VerifyingKey::from_bytes(&parsed.public_key)
        .map_err(|_| BagSignatureError::Malformed { line: 5 })?;
    key.verify_strict(
        &bytes[..parsed.message_len],
        &Signature::from_bytes(&parsed.signature),
    )
    .map_err(|_| BagSignatureError::BadSignature)?;
    let on_disk = tag_files_on_disk(root)?;
    let mut checked = 0;
    for (name, alg, signed) in [
        ("tagmanifest-sha256.txt", Algorithm::Sha256, &parsed.tm256),
        ("tagmanifest-sha512.txt", Algorithm::Sha512, &parsed.tm512),
    ] {
        let manifest = read_small(
            &root.join(name),
            name,
            airlock_ingest::manifest::MAX_MANIFEST_BYTES,
        )?;
        let digest = match alg {
            Algorithm::Sha512 => Sha512::digest(&manifest).to_vec(),
            _ => Sha256::digest(&manifest).to_vec(),
        };
        if digest != *signed {
            return Err(BagSignatureError::TagManifestChanged(name.to_string()));
        }
        let m = parse_bagit_manifest(&manifest, alg, false)
            .map_err(|_| BagSignatureError::TagManifestMalformed(name.to_string()))?;
        let listed: BTreeSet<String> = m.entries.iter().map(|e| e.path.to_string()).collect();
        for e in &m.entries {
            let path = e.path.under(root);
            let is_file = std::fs::symlink_metadata(&path).is_ok_and(|md| md.file_type().is_file());
            if !is_file || hash_file(&path, alg).as_deref() != Some(e.digest.as_slice()) {
                return Err(BagSignatureError::TagFileMismatch(e.path.to_string()));
            }
        }
        for f in &on_disk {
            let own = f == SIGNATURE_FILE || f.starts_with("tagmanifest-");
            if !own && !listed.contains(f) {
                return Err(BagSignatureError::UnlistedTagFile(f.clone()));
            }
        }
        checked = listed.len();
    }
    Ok(BagSignatureCheck {
        tag_files_checked: checked,
        ..parsed.check
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn sample() -> String {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let signer = BagSigner {
            key: &key,
            name: "Dana Lead".into(),
            user_id: "u-1".into(),
            signed_at: time::macros::datetime!(2026-11-20 10:00 UTC),
        };
        signature_file_text(&signer, &[1u8; 32], &[2u8; 64]).0
    }

    #[test]
    fn the_signed_message_is_everything_before_the_signature_line() {
        let text = sample();
        let p = parse(&text).unwrap();
        assert!(text[..p.message_len].ends_with(&format!("{}\n", "02".repeat(64))));
        assert!(text[p.message_len..].starts_with("Signature: "));
        let key = VerifyingKey::from_bytes(&p.public_key).unwrap();
        key.verify_strict(
            &text.as_bytes()[..p.message_len],
            &Signature::from_bytes(&p.signature),
        )
        .unwrap();
        assert_eq!(p.check.signer_name, "Dana Lead");
        assert_eq!(p.check.signed_at, "2026-11-20T10:00:00Z");
    }

    #[test]
    fn malformed_files_name_the_line() {
        let text = sample();
        let cases = [
            (text.replace("Algorithm: Ed25519", "Algorithm: RSA"), 2),
            (text.replace("Signer-Name: Dana Lead\n", ""), 3),
            (text.replace("sha512 02", "sha512 0"), 8),
            (text.replace("Signed-At: 2026", "Signed-At: x026"), 6),
            (text.replace('\n', "\r\n"), 1),
            (format!("{text}extra\n"), 10),
        ];
        for (bad, line) in cases {
            assert_eq!(
                parse(&bad).err(),
                Some(BagSignatureError::Malformed { line }),
                "{bad}"
            );
        }
    }
}
