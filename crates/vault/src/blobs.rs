//! The encrypted blob store: each blob is an age file encrypted to an X25519 identity
//! derived from its tier's key, named by an HMAC (under a key derived from the same tier
//! key) of the content's SHA-256. Names reveal nothing without the key; equal content is
//! stored once; one SHA-256 pass serves both the name and a sender's checksum.
//!
//! The store also seals small records (original file names, a sender's checksums) with
//! XChaCha20-Poly1305 under a tier subkey, and makes keyed lookup tags, so the database
//! can find identifiable things again without holding them in the clear.

use crate::error::VaultError;
use crate::fsutil::{sibling_temp, sync_dir};
use crate::keys::{purpose, Key32};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// Which key protects a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Identifiable originals; only leads and the recovery slot hold this key.
    Source,
    /// De-identified content and attachments; every user holds this key.
    Work,
}

impl Tier {
    fn dir_name(self) -> &'static str {
        match self {
            Tier::Source => "s",
            Tier::Work => "w",
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Source => "source",
            Tier::Work => "work",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "source" => Some(Tier::Source),
            "work" => Some(Tier::Work),
            _ => None,
        }
    }
}

/// A reference to a stored blob, as kept in the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    /// The key tier.
    pub tier: Tier,
    /// Keyed content hash, 64 lowercase hex characters.
    pub name: String,
    /// Plaintext size in bytes.
    pub size: u64,
}

/// A blob just stored, with the plain SHA-256 of its content (for the caller to compare
/// with a sender's manifest; never store it in the clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// The reference to keep.
    pub blob: BlobRef,
    /// SHA-256 of the plaintext.
    pub sha256: [u8; 32],
    /// Whether equal content was already stored (nothing new was written).
    pub existed: bool,
}

struct TierKeys {
    identity: age::x25519::Identity,
    name_key: Key32,
    seal_key: Key32,
    lookup_key: Key32,
}

impl TierKeys {
    fn new(key: &Key32) -> TierKeys {
        TierKeys {
            identity: key.derive_age_identity(purpose::BLOB_IDENTITY),
            name_key: key.derive(purpose::BLOB_NAME),
            seal_key: key.derive(purpose::FIELD_SEAL),
            lookup_key: key.derive(purpose::LOOKUP_TAG),
        }
    }

    /// The blob name for content with this SHA-256.
    fn name_for(&self, sha256: &[u8; 32]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.name_key.expose())
            .expect("HMAC takes any key length");
        mac.update(b"airlock-blob-name-v2\0");
        mac.update(sha256);
        mac.finalize().into_bytes().into()
    }
}

/// Streaming put and get of encrypted blobs for the tiers whose keys the caller holds.
pub struct BlobStore {
    dir: PathBuf,
    work: TierKeys,
    source: Option<TierKeys>,
}

const CHUNK: usize = 64 * 1024;

impl BlobStore {
    /// A store over `vault_dir/blobs` with the work key and, for leads, the source key.
    pub fn new(vault_dir: &Path, work: &Key32, source: Option<&Key32>) -> BlobStore {
        BlobStore {
            dir: vault_dir.join("blobs"),
            work: TierKeys::new(work),
            source: source.map(TierKeys::new),
        }
    }

    fn keys(&self, tier: Tier) -> Result<&TierKeys, VaultError> {
        match tier {
            Tier::Work => Ok(&self.work),
            Tier::Source => self.source.as_ref().ok_or(VaultError::TierKeyMissing),
        }
    }

    fn path(&self, tier: Tier, name: &str) -> PathBuf {
        self.dir.join(tier.dir_name()).join(&name[..2]).join(name)
    }

    /// Encrypts everything `input` yields into a new blob in one streaming pass (bounded
    /// memory), then moves it into place atomically. Returns its reference.
    pub fn put(&self, tier: Tier, input: impl Read) -> Result<BlobRef, VaultError> {
        Ok(self.put_observed(tier, input, |_| {})?.blob)
    }

    /// Like [`BlobStore::put`], showing every chunk of plaintext to `observe` as it
    /// passes (to hash it for a manifest or detect its type in the same read), and
    /// returning the content's SHA-256. A read error from `input` aborts the put and
    /// leaves nothing behind.
    pub fn put_observed(
        &self,
        tier: Tier,
        mut input: impl Read,
        mut observe: impl FnMut(&[u8]),
    ) -> Result<StoredBlob, VaultError> {
        let keys = self.keys(tier)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| VaultError::io("creating the blob store", e))?;
        let tmp = sibling_temp(&self.dir.join("x"));
        let result = (|| -> Result<StoredBlob, VaultError> {
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| VaultError::io("creating a blob", e))?;
            let recipient = keys.identity.to_public();
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                    .expect("one X25519 recipient is always valid");
            let mut writer = encryptor
                .wrap_output(BufWriter::with_capacity(CHUNK, file))
                .map_err(|e| VaultError::io("writing a blob", e))?;
            let mut hash = Sha256::new();
            let mut size = 0u64;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = match input.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(VaultError::io("reading content to store", e)),
                };
                hash.update(&buf[..n]);
                observe(&buf[..n]);
                writer
                    .write_all(&buf[..n])
                    .map_err(|e| VaultError::io("writing a blob", e))?;
                size += n as u64;
            }
            let file = writer
                .finish()
                .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
                .map_err(|e| VaultError::io("writing a blob", e))?;
            file.sync_all()
                .map_err(|e| VaultError::io("syncing a blob", e))?;
            let sha256: [u8; 32] = hash.finalize().into();
            let name = hex::encode(keys.name_for(&sha256));
            let target = self.path(tier, &name);
            let parent = target.parent().expect("blob paths have a parent");
            std::fs::create_dir_all(parent)
                .map_err(|e| VaultError::io("creating the blob store", e))?;
            let existed = target.exists();
            if existed {
                std::fs::remove_file(&tmp)
                    .map_err(|e| VaultError::io("removing a temp blob", e))?;
            } else {
                std::fs::rename(&tmp, &target).map_err(|e| VaultError::io("storing a blob", e))?;
                sync_dir(parent).map_err(|e| VaultError::io("syncing the blob store", e))?;
            }
            Ok(StoredBlob {
                blob: BlobRef { tier, name, size },
                sha256,
                existed,
            })
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Whether the blob's file is present (its content is not checked).
    pub fn contains(&self, blob: &BlobRef) -> bool {
        valid_name(&blob.name) && self.path(blob.tier, &blob.name).is_file()
    }

    /// Removes temp files left by puts that were killed mid-write and are older than
    /// `age` (younger ones may belong to a put still running in another process).
    /// They hold ciphertext only; returns how many were removed.
    pub fn sweep_stale_temps(&self, age: Duration) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let now = SystemTime::now();
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .filter(|e| {
                e.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= age)
            })
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    }

    /// Seals a small record under the tier's field key; `context` binds it to where it
    /// belongs (e.g. a row id) so it cannot be moved to another row.
    pub fn seal(
        &self,
        tier: Tier,
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let keys = self.keys(tier)?;
        let cipher = XChaCha20Poly1305::new(keys.seal_key.expose().into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + 24 + ct.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a record made by [`BlobStore::seal`] with the same `context`.
    pub fn unseal(
        &self,
        tier: Tier,
        context: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let keys = self.keys(tier)?;
        if sealed.len() < 1 + 24 + 16 || sealed[0] != SEAL_VERSION {
            return Err(VaultError::SealedRecordCorrupt);
        }
        let cipher = XChaCha20Poly1305::new(keys.seal_key.expose().into());
        cipher
            .decrypt(
                XNonce::from_slice(&sealed[1..25]),
                Payload {
                    msg: &sealed[25..],
                    aad: context,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::SealedRecordCorrupt)
    }

    /// A keyed tag (HMAC-SHA256, hex) of `parts` for finding a record again without
    /// storing what identifies it, e.g. a relative path. `domain` separates uses.
    pub fn lookup_tag(
        &self,
        tier: Tier,
        domain: &str,
        parts: &[&[u8]],
    ) -> Result<String, VaultError> {
        let keys = self.keys(tier)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(keys.lookup_key.expose())
            .expect("HMAC takes any key length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Opens a blob for streaming decryption. The reader fails with `InvalidData` if the
    /// ciphertext was altered or the plaintext does not match the blob's keyed name.
    pub fn open(&self, blob: &BlobRef) -> Result<impl Read + '_, VaultError> {
        let keys = self.keys(blob.tier)?;
        if !valid_name(&blob.name) {
            return Err(VaultError::BlobCorrupt(short(&blob.name)));
        }
        let file = match File::open(self.path(blob.tier, &blob.name)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(VaultError::BlobMissing(short(&blob.name)))
            }
            Err(e) => return Err(VaultError::io("opening a blob", e)),
        };
        let decryptor = age::Decryptor::new_buffered(BufReader::new(file))
            .map_err(|_| VaultError::BlobCorrupt(short(&blob.name)))?;
        let reader = decryptor
            .decrypt(std::iter::once(&keys.identity as &dyn age::Identity))
            .map_err(|_| VaultError::BlobCorrupt(short(&blob.name)))?;
        Ok(VerifyingReader {
            inner: reader,
            hash: Some(Sha256::new()),
            keys,
            expected: blob.name.clone(),
        })
    }

    /// Reads a whole blob into memory (for small blobs), verified.
    pub fn read_all(&self, blob: &BlobRef) -> Result<Vec<u8>, VaultError> {
        let mut out = Vec::with_capacity(blob.size.min(1 << 20) as usize);
        self.open(blob)?
            .read_to_end(&mut out)
            .map_err(|_| VaultError::BlobCorrupt(short(&blob.name)))?;
        Ok(out)
    }
}

const SEAL_VERSION: u8 = 1;

fn valid_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn short(name: &str) -> String {
    name.chars().take(12).collect()
}

/// Checks at end of stream that the plaintext matches the blob's keyed name.
struct VerifyingReader<'k, R> {
    inner: R,
    hash: Option<Sha256>,
    keys: &'k TierKeys,
    expected: String,
}

impl<R: Read> Read for VerifyingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(h) = self.hash.as_mut() {
                h.update(&buf[..n]);
            }
        } else if !buf.is_empty() {
            if let Some(h) = self.hash.take() {
                let digest: [u8; 32] = h.finalize().into();
                if hex::encode(self.keys.name_for(&digest)) != self.expected {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "blob content does not match its name",
                    ));
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, with_source: bool) -> (BlobStore, Key32, Key32) {
        let w = Key32::random();
        let s = Key32::random();
        (BlobStore::new(dir, &w, with_source.then_some(&s)), w, s)
    }

    #[test]
    fn put_get_round_trip_dedups_and_hides_names() {
        let dir = tempfile::tempdir().unwrap();
        let (bs, _, _) = store(dir.path(), true);
        let data = vec![42u8; 200_000];
        let a = bs.put(Tier::Source, &data[..]).unwrap();
        let b = bs.put(Tier::Source, &data[..]).unwrap();
        assert_eq!(a, b, "equal content gets one name");
        assert_eq!(bs.read_all(&a).unwrap(), data);
        let on_disk = std::fs::read(bs.path(Tier::Source, &a.name)).unwrap();
        assert!(on_disk.starts_with(b"age-encryption.org/v1"));
        assert!(
            !on_disk.windows(64).any(|w| w == &data[..64]),
            "no plaintext on disk"
        );
    }

    #[test]
    fn work_key_alone_cannot_open_source_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let w = Key32::random();
        let s = Key32::random();
        let lead = BlobStore::new(dir.path(), &w, Some(&s));
        let blob = lead
            .put(Tier::Source, &b"identifiable original"[..])
            .unwrap();
        let annotator = BlobStore::new(dir.path(), &w, None);
        assert!(matches!(
            annotator.read_all(&blob),
            Err(VaultError::TierKeyMissing)
        ));
        // Even pretending the blob is work-tier does not decrypt it with the work key.
        let forged = BlobRef {
            tier: Tier::Work,
            ..blob.clone()
        };
        let src = lead.path(Tier::Source, &blob.name);
        let dst = lead.path(Tier::Work, &blob.name);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(src, dst).unwrap();
        assert!(matches!(
            annotator.read_all(&forged),
            Err(VaultError::BlobCorrupt(_))
        ));
    }

    #[test]
    fn missing_and_tampered_blobs_get_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (bs, _, _) = store(dir.path(), false);
        let blob = bs.put(Tier::Work, &b"hello world"[..]).unwrap();
        let path = bs.path(Tier::Work, &blob.name);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            bs.read_all(&blob),
            Err(VaultError::BlobCorrupt(_))
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            bs.read_all(&blob),
            Err(VaultError::BlobMissing(_))
        ));
    }

    #[test]
    fn put_observed_sees_every_byte_and_reports_the_plain_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let (bs, _, _) = store(dir.path(), true);
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut seen = Vec::new();
        let stored = bs
            .put_observed(Tier::Source, &data[..], |c| seen.extend_from_slice(c))
            .unwrap();
        assert_eq!(seen, data);
        assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        assert!(!stored.existed);
        assert!(bs.contains(&stored.blob));
        let again = bs.put_observed(Tier::Source, &data[..], |_| {}).unwrap();
        assert!(again.existed, "equal content is detected as already stored");
        assert_ne!(
            stored.blob.name,
            hex::encode(stored.sha256),
            "names are keyed, not plain hashes"
        );
    }

    #[test]
    fn a_failing_reader_leaves_no_blob_and_no_temp_file() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("gone"));
                }
                self.0 -= 1;
                buf[0] = 1;
                Ok(1)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let (bs, _, _) = store(dir.path(), false);
        assert!(bs.put(Tier::Work, Failing(3)).is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .filter_map(|e| e.ok())
            .collect();
        assert!(left.is_empty(), "nothing is left behind");
        std::fs::write(dir.path().join("blobs/.tmp-stale"), b"x").unwrap();
        assert_eq!(
            bs.sweep_stale_temps(Duration::from_secs(3600)),
            0,
            "too young"
        );
        assert_eq!(bs.sweep_stale_temps(Duration::ZERO), 1);
    }

    #[test]
    fn sealed_records_open_only_with_their_tier_key_and_context() {
        let dir = tempfile::tempdir().unwrap();
        let w = Key32::random();
        let s = Key32::random();
        let lead = BlobStore::new(dir.path(), &w, Some(&s));
        let sealed = lead
            .seal(Tier::Source, b"row-1", b"notes/Jane Roe.txt")
            .unwrap();
        assert!(!sealed.windows(4).any(|x| x == b"Jane"));
        assert_eq!(
            &*lead.unseal(Tier::Source, b"row-1", &sealed).unwrap(),
            b"notes/Jane Roe.txt"
        );
        assert!(matches!(
            lead.unseal(Tier::Source, b"row-2", &sealed),
            Err(VaultError::SealedRecordCorrupt)
        ));
        let annotator = BlobStore::new(dir.path(), &w, None);
        assert!(matches!(
            annotator.unseal(Tier::Source, b"row-1", &sealed),
            Err(VaultError::TierKeyMissing)
        ));
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(lead.unseal(Tier::Source, b"row-1", &flipped).is_err());
        let t1 = lead
            .lookup_tag(Tier::Source, "path", &[b"a", b"bc"])
            .unwrap();
        let t2 = lead
            .lookup_tag(Tier::Source, "path", &[b"ab", b"c"])
            .unwrap();
        assert_ne!(t1, t2, "parts are length-prefixed");
        assert_eq!(
            t1,
            lead.lookup_tag(Tier::Source, "path", &[b"a", b"bc"])
                .unwrap()
        );
    }
}
