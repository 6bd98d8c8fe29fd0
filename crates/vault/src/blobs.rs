//! The encrypted blob store: each blob is an age file encrypted to an X25519 identity
//! derived from its tier's key, named by an HMAC of its content under a key derived from
//! the same tier key. Names reveal nothing without the key; equal content is stored once.

use crate::error::VaultError;
use crate::fsutil::{sibling_temp, sync_dir};
use crate::keys::{purpose, Key32};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

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

struct TierKeys {
    identity: age::x25519::Identity,
    name_key: Key32,
}

impl TierKeys {
    fn new(key: &Key32) -> TierKeys {
        TierKeys {
            identity: key.derive_age_identity(purpose::BLOB_IDENTITY),
            name_key: key.derive(purpose::BLOB_NAME),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(self.name_key.expose())
            .expect("HMAC takes any key length")
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
    pub fn put(&self, tier: Tier, mut input: impl Read) -> Result<BlobRef, VaultError> {
        let keys = self.keys(tier)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| VaultError::io("creating the blob store", e))?;
        let tmp = sibling_temp(&self.dir.join("x"));
        let result = (|| -> Result<BlobRef, VaultError> {
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
                .wrap_output(BufWriter::new(file))
                .map_err(|e| VaultError::io("writing a blob", e))?;
            let mut mac = keys.mac();
            let mut size = 0u64;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = match input.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(VaultError::io("reading content to store", e)),
                };
                mac.update(&buf[..n]);
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
            let name = hex::encode(mac.finalize().into_bytes());
            let target = self.path(tier, &name);
            let parent = target.parent().expect("blob paths have a parent");
            std::fs::create_dir_all(parent)
                .map_err(|e| VaultError::io("creating the blob store", e))?;
            if target.exists() {
                std::fs::remove_file(&tmp)
                    .map_err(|e| VaultError::io("removing a temp blob", e))?;
            } else {
                std::fs::rename(&tmp, &target).map_err(|e| VaultError::io("storing a blob", e))?;
                sync_dir(parent).map_err(|e| VaultError::io("syncing the blob store", e))?;
            }
            Ok(BlobRef { tier, name, size })
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Opens a blob for streaming decryption. The reader fails with `InvalidData` if the
    /// ciphertext was altered or the plaintext does not match the blob's keyed name.
    pub fn open(&self, blob: &BlobRef) -> Result<impl Read, VaultError> {
        let keys = self.keys(blob.tier)?;
        if blob.name.len() != 64 || !blob.name.bytes().all(|b| b.is_ascii_hexdigit()) {
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
            mac: Some(keys.mac()),
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

fn short(name: &str) -> String {
    name.chars().take(12).collect()
}

/// Checks at end of stream that the plaintext matches the blob's keyed name.
struct VerifyingReader<R> {
    inner: R,
    mac: Option<Hmac<Sha256>>,
    expected: String,
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(m) = self.mac.as_mut() {
                m.update(&buf[..n]);
            }
        } else if !buf.is_empty() {
            if let Some(m) = self.mac.take() {
                let expected = hex::decode(&self.expected)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad blob name"))?;
                m.verify_slice(&expected).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "blob content does not match its name",
                    )
                })?;
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
}
