//! The container: `magic`, the manifest, its signature and the files, length-prefixed,
//! then age-encrypted to one X25519 recipient.
//!
//! ```text
//! plaintext = "airlock-package-v1\n"
//!             u32be(manifest length) manifest-json
//!             signature (64 bytes, Ed25519 over "airlock-package-signature-v1\0" || manifest-json)
//!             u32be(file count)
//!             { u16be(name length) name u64be(size) bytes }*   (names in manifest order)
//! ```

use crate::{FileEntry, Header, Manifest, Package, MAX_PACKAGE_BYTES, PACKAGE_FORMAT};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};

const MAGIC: &[u8] = b"airlock-package-v1\n";
const SIGNATURE_DOMAIN: &[u8] = b"airlock-package-signature-v1\0";
const MAX_FILES: u32 = 64;

/// Why a package could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The recipient is not an age X25519 recipient (`age1…`).
    #[error("the recipient is not an age X25519 recipient")]
    BadRecipient,
    /// The package would be larger than [`MAX_PACKAGE_BYTES`].
    #[error("the package would be larger than the limit")]
    TooLarge,
    /// Too many files, a file listed twice, or a file name that is empty or too long.
    #[error("the package's file list is not valid")]
    BadFiles,
}

/// Why a package was refused. Nothing of its content appears in the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The bytes are not an age file.
    #[error("the file is not an Airlock work package")]
    NotAPackage,
    /// The package is encrypted to someone else.
    #[error("the package is not encrypted to you")]
    NotForYou,
    /// Decryption failed part-way (a changed byte) or the container is malformed.
    #[error("the package is damaged or was changed")]
    Damaged,
    /// The container is well formed but of a format this version does not read.
    #[error("the package's format is not supported by this version")]
    UnknownFormat,
    /// The manifest's signature does not verify with the key it names.
    #[error("the package's signature is not valid")]
    BadSignature,
    /// A payload file differs from its manifest entry, or the file lists disagree.
    #[error("the package's content does not match its manifest")]
    ContentMismatch,
    /// The decrypted package is larger than [`MAX_PACKAGE_BYTES`].
    #[error("the package is larger than the limit")]
    TooLarge,
}

fn signed_message(manifest: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNATURE_DOMAIN.len() + manifest.len());
    m.extend_from_slice(SIGNATURE_DOMAIN);
    m.extend_from_slice(manifest);
    m
}

/// Builds, signs and encrypts a package: the manifest lists `files` with their SHA-256
/// and size and names `key`'s public half as the signer.
pub fn seal(
    header: Header,
    files: Vec<(String, Vec<u8>)>,
    key: &SigningKey,
    recipient: &str,
) -> Result<Vec<u8>, SealError> {
    let recipient: age::x25519::Recipient = recipient
        .trim()
        .parse()
        .map_err(|_| SealError::BadRecipient)?;
    if files.len() > MAX_FILES as usize {
        return Err(SealError::BadFiles);
    }
    let mut listed = BTreeMap::new();
    for (name, bytes) in &files {
        if name.is_empty() || name.len() > 200 {
            return Err(SealError::BadFiles);
        }
        let entry = FileEntry {
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
        };
        if listed.insert(name.clone(), entry).is_some() {
            return Err(SealError::BadFiles);
        }
    }
    let manifest = Manifest {
        format: PACKAGE_FORMAT.into(),
        header,
        signer_key: hex::encode(key.verifying_key().as_bytes()),
        files: listed,
    };
    let manifest_json = serde_json::to_vec(&manifest).expect("manifests serialise");
    let signature = key.sign(&signed_message(&manifest_json));
    let mut plain = Vec::new();
    plain.extend_from_slice(MAGIC);
    plain.extend_from_slice(&(manifest_json.len() as u32).to_be_bytes());
    plain.extend_from_slice(&manifest_json);
    plain.extend_from_slice(&signature.to_bytes());
    plain.extend_from_slice(&(files.len() as u32).to_be_bytes());
    let mut files = files;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, bytes) in &files {
        plain.extend_from_slice(&(name.len() as u16).to_be_bytes());
        plain.extend_from_slice(name.as_bytes());
        plain.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        plain.extend_from_slice(bytes);
    }
    if plain.len() > MAX_PACKAGE_BYTES {
        return Err(SealError::TooLarge);
    }
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("one X25519 recipient is always valid");
    let mut out = Vec::with_capacity(plain.len() + 1024);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    writer
        .write_all(&plain)
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    Ok(out)
}

/// How every binary age file begins.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// Decrypts `bytes` with `identity` and verifies the container, the manifest signature
/// (by the key the manifest names: the caller decides whether it trusts that key) and
/// every file against the manifest.
pub fn open(bytes: &[u8], identity: &age::x25519::Identity) -> Result<Package, OpenError> {
    // An age file whose header no longer parses was changed; anything else is no package.
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(|_| {
        if bytes.starts_with(AGE_MAGIC) {
            OpenError::Damaged
        } else {
            OpenError::NotAPackage
        }
    })?;
    let reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => OpenError::NotForYou,
            _ => OpenError::Damaged,
        })?;
    let mut plain = Vec::new();
    reader
        .take(MAX_PACKAGE_BYTES as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|_| OpenError::Damaged)?;
    if plain.len() > MAX_PACKAGE_BYTES {
        return Err(OpenError::TooLarge);
    }
    parse(&plain)
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], OpenError> {
        if self.rest.len() < n {
            return Err(OpenError::Damaged);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16, OpenError> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().expect("two bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, OpenError> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("four bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, OpenError> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().expect("eight bytes"),
        ))
    }
}

fn parse(plain: &[u8]) -> Result<Package, OpenError> {
    let mut c = Cursor { rest: plain };
    if c.take(MAGIC.len())? != MAGIC {
        return Err(OpenError::UnknownFormat);
    }
    let manifest_len = c.u32()? as usize;
    let manifest_json = c.take(manifest_len)?;
    let signature = Signature::from_bytes(c.take(64)?.try_into().expect("64 bytes"));
    let manifest: Manifest =
        serde_json::from_slice(manifest_json).map_err(|_| OpenError::Damaged)?;
    if manifest.format != PACKAGE_FORMAT {
        return Err(OpenError::UnknownFormat);
    }
    let key: [u8; 32] = hex::decode(&manifest.signer_key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or(OpenError::BadSignature)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| OpenError::BadSignature)?;
    key.verify(&signed_message(manifest_json), &signature)
        .map_err(|_| OpenError::BadSignature)?;
    let count = c.u32()?;
    if count > MAX_FILES || count as usize != manifest.files.len() {
        return Err(OpenError::ContentMismatch);
    }
    let mut files = BTreeMap::new();
    for _ in 0..count {
        let name_len = c.u16()? as usize;
        let name = std::str::from_utf8(c.take(name_len)?).map_err(|_| OpenError::Damaged)?;
        let size = usize::try_from(c.u64()?).map_err(|_| OpenError::Damaged)?;
        let bytes = c.take(size)?;
        let entry = manifest.files.get(name).ok_or(OpenError::ContentMismatch)?;
        if entry.size != size as u64 || entry.sha256 != hex::encode(Sha256::digest(bytes)) {
            return Err(OpenError::ContentMismatch);
        }
        if files.insert(name.to_string(), bytes.to_vec()).is_some() {
            return Err(OpenError::ContentMismatch);
        }
    }
    if !c.rest.is_empty() {
        return Err(OpenError::Damaged);
    }
    Ok(Package { manifest, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PackageKind;
    use time::macros::datetime;

    fn header() -> Header {
        Header {
            package_id: "pkg-1".into(),
            kind: PackageKind::Result,
            source_vault: "vault-a".into(),
            origin_vault: "workspace-b".into(),
            target_user: "user-c".into(),
            issuer: "user-c".into(),
            reply_recipient: None,
            in_reply_to: Some("pkg-0".into()),
            created: datetime!(2026-12-01 10:00 UTC),
            expires: datetime!(2026-12-15 10:00 UTC),
        }
    }

    fn files() -> Vec<(String, Vec<u8>)> {
        vec![
            ("labels.json".into(), b"[1,2,3]".to_vec()),
            ("audit.json".into(), b"[]".to_vec()),
        ]
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9u8; 32])
    }

    #[test]
    fn a_sealed_package_opens_for_its_recipient_only() {
        let me = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let bytes = seal(header(), files(), &key(), &me.to_public().to_string()).unwrap();
        let p = open(&bytes, &me).unwrap();
        assert_eq!(p.manifest.header, header());
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.files["labels.json"], b"[1,2,3]");
        assert_eq!(
            p.manifest.signer_key,
            hex::encode(key().verifying_key().as_bytes())
        );
        assert!(!p.manifest.expired(datetime!(2026-12-14 10:00 UTC)));
        assert!(p.manifest.expired(datetime!(2026-12-15 10:00 UTC)));
        assert_eq!(open(&bytes, &other).unwrap_err(), OpenError::NotForYou);
        assert_eq!(
            open(b"hello", &me).unwrap_err(),
            OpenError::NotAPackage,
            "plain bytes are no package"
        );
    }

    #[test]
    fn every_changed_byte_is_detected() {
        let me = age::x25519::Identity::generate();
        let bytes = seal(header(), files(), &key(), &me.to_public().to_string()).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let err = open(&b, &me).err().unwrap_or_else(|| {
                panic!(
                    "a flipped bit at byte {i} of {} must be refused",
                    bytes.len()
                )
            });
            if i >= AGE_MAGIC.len() {
                assert_ne!(
                    err,
                    OpenError::NotAPackage,
                    "byte {i}: a changed package is damaged, not foreign"
                );
            }
        }
        assert!(open(&bytes[..bytes.len() - 1], &me).is_err(), "truncated");
    }

    /// Builds a plaintext container by hand (as a forger with the recipient's public key
    /// could) and encrypts it.
    fn forge(manifest: &[u8], signature: [u8; 64], body: &[(&str, &[u8])], to: &str) -> Vec<u8> {
        let mut plain = MAGIC.to_vec();
        plain.extend_from_slice(&(manifest.len() as u32).to_be_bytes());
        plain.extend_from_slice(manifest);
        plain.extend_from_slice(&signature);
        plain.extend_from_slice(&(body.len() as u32).to_be_bytes());
        for (n, b) in body {
            plain.extend_from_slice(&(n.len() as u16).to_be_bytes());
            plain.extend_from_slice(n.as_bytes());
            plain.extend_from_slice(&(b.len() as u64).to_be_bytes());
            plain.extend_from_slice(b);
        }
        let r: age::x25519::Recipient = to.parse().unwrap();
        let enc =
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
        let mut out = vec![];
        let mut w = enc.wrap_output(&mut out).unwrap();
        w.write_all(&plain).unwrap();
        w.finish().unwrap();
        out
    }

    #[test]
    fn a_forged_signature_or_swapped_file_is_refused() {
        let me = age::x25519::Identity::generate();
        let to = me.to_public().to_string();
        let manifest = Manifest {
            format: PACKAGE_FORMAT.into(),
            header: header(),
            signer_key: hex::encode(key().verifying_key().as_bytes()),
            files: [(
                "a".to_string(),
                FileEntry {
                    sha256: hex::encode(Sha256::digest(b"x")),
                    size: 1,
                },
            )]
            .into(),
        };
        let json = serde_json::to_vec(&manifest).unwrap();
        let good = key().sign(&signed_message(&json)).to_bytes();
        let stranger = SigningKey::from_bytes(&[4u8; 32])
            .sign(&signed_message(&json))
            .to_bytes();
        assert!(open(&forge(&json, good, &[("a", b"x")], &to), &me).is_ok());
        assert_eq!(
            open(&forge(&json, stranger, &[("a", b"x")], &to), &me).unwrap_err(),
            OpenError::BadSignature
        );
        assert_eq!(
            open(&forge(&json, good, &[("a", b"y")], &to), &me).unwrap_err(),
            OpenError::ContentMismatch
        );
        assert_eq!(
            open(&forge(&json, good, &[("b", b"x")], &to), &me).unwrap_err(),
            OpenError::ContentMismatch
        );
        assert_eq!(
            open(&forge(&json, good, &[], &to), &me).unwrap_err(),
            OpenError::ContentMismatch
        );
    }

    #[test]
    fn hostile_containers_get_an_error_not_a_panic() {
        let me = age::x25519::Identity::generate();
        let to = me.to_public().to_string();
        for plain in [
            &b""[..],
            b"airlock-package-v1\n",
            b"airlock-package-v1\n\xff\xff\xff\xff",
            b"airlock-package-v2\n\0\0\0\0",
            b"airlock-package-v1\n\0\0\0\x02{}",
        ] {
            let r: age::x25519::Recipient = to.parse().unwrap();
            let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .unwrap();
            let mut out = vec![];
            let mut w = enc.wrap_output(&mut out).unwrap();
            w.write_all(plain).unwrap();
            w.finish().unwrap();
            assert!(open(&out, &me).is_err());
        }
    }

    #[test]
    fn bad_recipients_and_file_lists_are_refused() {
        assert_eq!(
            seal(header(), files(), &key(), "age1nope").unwrap_err(),
            SealError::BadRecipient
        );
        let me = age::x25519::Identity::generate().to_public().to_string();
        let twice = vec![("a".into(), vec![]), ("a".into(), vec![])];
        assert_eq!(
            seal(header(), twice, &key(), &me).unwrap_err(),
            SealError::BadFiles
        );
    }
}
