//! Writing BagIt bags (RFC 8493) in one streaming pass.
//!
//! Payload files are written first, hashed (SHA-256 and SHA-512) while they stream; tag
//! files follow; `bagit.txt`, `bag-info.txt`, the payload manifests, the tag manifests and
//! the signature file ([`crate::signature::SIGNATURE_FILE`]) come last, once every digest
//! is known. Tar order does not matter to `tar -x` or to any BagIt validator, so one pass
//! suffices and nothing is read twice.
//!
//! Two writers, deliberately separate types:
//! - [`EncryptedBagWriter`] streams a tar (POSIX ustar, with pax extended headers only
//!   for names that ustar cannot hold) straight into an age encryptor and writes
//!   `OUT.tar.age` atomically. No plaintext ever reaches the disk.
//! - [`PlaintextBagWriter`] writes the bag as a plain directory, for the explicitly
//!   requested and audited plaintext export.
//!
//! The tar holds one top-level directory, the bag's name, so `tar -xf` yields one bag.
//! Entries are owned by uid/gid 0 with modes 0644/0755 and the bagging time as mtime.

use crate::atomic::{AtomicDir, AtomicFile};
use crate::signature::{signature_file_text, SIGNATURE_FILE};
use airlock_ingest::manifest::bagit_line;
use airlock_ingest::relpath::RelPath;
use ed25519_dalek::SigningKey;
use secrecy::SecretString;
use sha2::{Digest, Sha256, Sha512};
use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The `BagIt-Version` written.
pub const BAGIT_VERSION: &str = "1.0";

/// `bag-info.txt` labels the writer computes itself; callers may not set them.
const COMPUTED_LABELS: [&str; 3] = ["Payload-Oxum", "Bag-Size", "Bagging-Date"];

/// The largest size a ustar header field holds (8 GiB − 1); larger files get a pax `size`.
const USTAR_MAX_SIZE: u64 = 0o777_7777_7777;

/// Why a bag could not be written. Variants name entries by their position (the n-th
/// `add_*` call, counting from 1), never by path, since a path may name a patient.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BagWriteError {
    /// Something already exists at the output path; an export never replaces anything.
    #[error("the output path already exists")]
    OutputExists,
    /// The bag name is not 1–100 characters of `A-Z a-z 0-9 - . _` or starts with `.`.
    #[error("the bag name must be 1-100 letters, digits, '-', '.' or '_' and not start with '.'")]
    InvalidBagName,
    /// An entry's path is not a clean relative path (see [`RelPath`]), or holds a
    /// backslash (a separator on Windows) or `%`. RFC 8493 requires `%` to be written as
    /// `%25` in manifests, but bagit-python 1.9 does not decode it
    /// (LibraryOfCongress/bagit-python#157), so such a bag would fail there. A component
    /// longer than 255 bytes is refused too: common file systems cannot extract it.
    #[error("entry {entry}: the path is not a clean relative path")]
    InvalidPath {
        /// Which `add_*` call.
        entry: usize,
    },
    /// An entry's path collides with an earlier one (also when only letter case differs,
    /// or a file and a directory share a name), which would lose data on extraction.
    #[error("entry {entry}: the path collides with an earlier entry")]
    DuplicatePath {
        /// Which `add_*` call.
        entry: usize,
    },
    /// A tag file uses a name the bag structure owns (`data/`, `bagit.txt`,
    /// `bag-info.txt`, `fetch.txt`, manifests, the signature file, and the names of the
    /// tar's pax entries, `PaxHeaders/` and `pax-entry-*`).
    #[error("entry {entry}: the tag file name is reserved")]
    ReservedTagName {
        /// Which `add_*` call.
        entry: usize,
    },
    /// A source yielded a different number of bytes than declared.
    #[error("entry {entry}: the source did not yield the {declared} bytes declared")]
    LengthMismatch {
        /// Which `add_*` call.
        entry: usize,
        /// Bytes declared.
        declared: u64,
    },
    /// A source failed while being read (for a vault blob: it did not decrypt).
    #[error("entry {entry}: the source could not be read")]
    SourceUnreadable {
        /// Which `add_*` call.
        entry: usize,
        /// The reader's error.
        #[source]
        source: io::Error,
    },
    /// A `bag-info.txt` field has an empty or malformed label or value, or sets a label
    /// the writer computes (`Payload-Oxum`, `Bag-Size`, `Bagging-Date`).
    #[error("bag-info field {field} is malformed or reserved")]
    InvalidInfoField {
        /// Which field, counting Source-Organization, External-Identifier and
        /// Bag-Software-Agent as 1–3 and the caller's fields from 4.
        field: usize,
    },
    /// A recipient is not an age X25519 recipient (`age1…`).
    #[error("recipient {index} is not an age X25519 recipient")]
    InvalidRecipient {
        /// Which recipient, counting from 1.
        index: usize,
    },
    /// No recipient was given.
    #[error("at least one recipient is needed")]
    NoRecipients,
    /// The signer's name or id holds a line break or control character.
    #[error("the signer's name or id holds a control character")]
    InvalidSigner,
    /// The age encryptor refused the recipients.
    #[error("the recipients cannot be combined")]
    Encryption,
    /// Writing the output failed.
    #[error("{step}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

fn io_err(step: &'static str) -> impl FnOnce(io::Error) -> BagWriteError {
    move |source| BagWriteError::Io { step, source }
}

/// The metadata of a bag. `Payload-Oxum`, `Bag-Size` and `Bagging-Date` are computed.
#[derive(Debug, Clone)]
pub struct BagInfo {
    /// `Source-Organization`: who made the bag (the annotation team's organization).
    pub source_organization: String,
    /// `External-Identifier`: the export's identifier (e.g. the export id).
    pub external_identifier: String,
    /// `Bag-Software-Agent`, e.g. `Airlock 0.1.0`.
    pub software_agent: String,
    /// When the bag is made: `Bagging-Date` (its date) and every tar entry's mtime.
    pub created_at: OffsetDateTime,
    /// Further `bag-info.txt` fields in order (`Contact-Name`, `External-Description`,
    /// `Bag-Group-Identifier`, …). Labels may repeat. Values are written on one line
    /// (not folded), because BagIt readers disagree on how folded lines unfold.
    pub fields: Vec<(String, String)>,
}

/// Who can decrypt an encrypted bag. age does not allow a passphrase beside other
/// recipients (the C2SP age spec: an scrypt stanza must be alone), hence two variants.
pub enum BagRecipients {
    /// One or more age X25519 recipients (`age1…`), e.g. the client's.
    Keys(Vec<String>),
    /// A passphrase (age scrypt recipient, work factor calibrated to about a second).
    Passphrase(SecretString),
}

/// The exporting lead, who signs the tag manifests.
pub struct BagSigner<'a> {
    /// Their Ed25519 signing key.
    pub key: &'a SigningKey,
    /// Their display name (written to the signature file).
    pub name: String,
    /// Their user id.
    pub user_id: String,
    /// When they sign.
    pub signed_at: OffsetDateTime,
}

/// What a finished bag holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagSummary {
    /// The bag's name (its top-level directory).
    pub bag_name: String,
    /// Payload files.
    pub payload_files: u64,
    /// Payload bytes.
    pub payload_bytes: u64,
    /// Tag files, including `bagit.txt`, `bag-info.txt`, the four manifests and the
    /// signature file.
    pub tag_files: u64,
    /// The `Payload-Oxum` value (`OCTETS.STREAMS`).
    pub payload_oxum: String,
    /// SHA-256 of `tagmanifest-sha256.txt`, hex: the digest the signature covers.
    pub tagmanifest_sha256: String,
    /// The signer's Ed25519 public key, hex.
    pub signer_public_key: String,
    /// The Ed25519 signature, hex.
    pub signature: String,
}

/// What a finished encrypted bag holds, and the file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedBagSummary {
    /// The bag.
    pub bag: BagSummary,
    /// The `.tar.age` file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub file_bytes: u64,
    /// Its SHA-256, hex (to record in the audit log and on a certificate of destruction).
    pub file_sha256: String,
}

/// Reads `inner`, hashing and counting what passes, and remembers whether reading failed.
struct HashingReader<R> {
    inner: R,
    sha256: Sha256,
    sha512: Sha512,
    bytes: u64,
    failed: Option<io::ErrorKind>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.sha256.update(&buf[..n]);
                self.sha512.update(&buf[..n]);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed = Some(e.kind());
                }
                Err(e)
            }
        }
    }
}

/// Writes to `inner`, hashing and counting what passes (the ciphertext's digest).
struct HashingWriter<W> {
    inner: W,
    sha256: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where a bag's entries go.
trait Sink {
    /// Adds a directory (bag-relative path).
    fn add_dir(&mut self, path: &str) -> io::Result<()>;
    /// Adds a file of `len` bytes, copying `data` to its end.
    fn add_file(&mut self, path: &str, len: u64, data: &mut dyn Read) -> io::Result<()>;
}

type AgeOut = age::stream::StreamWriter<BufWriter<HashingWriter<AtomicFile>>>;

/// A tar stream inside an age stream inside an atomic file.
struct TarAgeSink {
    tar: tar::Builder<AgeOut>,
    root: String,
    mtime: u64,
    pax_entries: u64,
}

/// Appends one pax extended-header record (`"%d %s=%s\n"`, the length counting itself).
fn pax_record(out: &mut Vec<u8>, key: &str, value: &str) {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut total = body + 1;
    while body + total.to_string().len() != total {
        total = body + total.to_string().len();
    }
    out.extend_from_slice(format!("{total} {key}={value}\n").as_bytes());
}

/// The ustar header for `name` (a directory when `dir`), and the pax records it needs:
/// `path` when the name is not ASCII or too long for ustar, `size` beyond 8 GiB.
fn entry_header(
    name: &str,
    size: u64,
    dir: bool,
    mtime: u64,
    fallback: &str,
) -> io::Result<(tar::Header, Vec<u8>)> {
    let base = || {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        h.set_mode(if dir { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(mtime);
        h.set_size(size);
        h
    };
    let mut pax = Vec::new();
    let full = if dir {
        format!("{name}/")
    } else {
        name.to_string()
    };
    let mut h = base();
    if !(full.is_ascii() && h.set_path(&full).is_ok()) {
        // A failed set_path may have filled the prefix field: start from a clean header.
        h = base();
        pax_record(&mut pax, "path", &full);
        h.set_path(fallback)?;
    }
    if size > USTAR_MAX_SIZE {
        pax_record(&mut pax, "size", &size.to_string());
    }
    Ok((h, pax))
}

impl TarAgeSink {
    fn append(&mut self, path: &str, len: u64, dir: bool, data: &mut dyn Read) -> io::Result<()> {
        let name = if path.is_empty() {
            self.root.clone()
        } else {
            format!("{}/{path}", self.root)
        };
        let fallback = format!("{}/pax-entry-{}", self.root, self.pax_entries + 1);
        let (mut header, pax) = entry_header(&name, len, dir, self.mtime, &fallback)?;
        if !pax.is_empty() {
            self.pax_entries += 1;
            let (mut xh, _) = entry_header(
                &format!("{}/PaxHeaders/{}", self.root, self.pax_entries),
                pax.len() as u64,
                false,
                self.mtime,
                "PaxHeaders",
            )?;
            xh.set_entry_type(tar::EntryType::XHeader);
            xh.set_cksum();
            self.tar.append(&xh, pax.as_slice())?;
        }
        header.set_cksum();
        self.tar.append(&header, data)
    }
}

impl Sink for TarAgeSink {
    fn add_dir(&mut self, path: &str) -> io::Result<()> {
        self.append(path, 0, true, &mut io::empty())
    }

    fn add_file(&mut self, path: &str, len: u64, data: &mut dyn Read) -> io::Result<()> {
        self.append(path, len, false, data)
    }
}

/// A plain directory, built under a temp name.
struct DirSink {
    dir: AtomicDir,
}

impl DirSink {
    fn fs_path(&self, path: &str) -> PathBuf {
        let mut p = self.dir.root().to_path_buf();
        for part in path.split('/') {
            p.push(part);
        }
        p
    }
}

impl Sink for DirSink {
    fn add_dir(&mut self, path: &str) -> io::Result<()> {
        if path.is_empty() {
            return Ok(()); // the root is the temp directory itself
        }
        let p = self.fs_path(path);
        self.dir.create_dir(&p)
    }

    fn add_file(&mut self, path: &str, _len: u64, data: &mut dyn Read) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.fs_path(path))?;
        io::copy(data, &mut f)?;
        f.sync_all()
    }
}

/// One file written, with its digests.
struct Written {
    path: String,
    sha256: Vec<u8>,
    sha512: Vec<u8>,
    bytes: u64,
}

/// What both writers share: path bookkeeping, hashing, and the closing tag files.
struct BagCore<S> {
    sink: S,
    info: BagInfo,
    name: String,
    payload: Vec<Written>,
    tags: Vec<Written>,
    files: HashSet<String>,
    dirs: HashMap<String, String>,
    entries: usize,
}

fn valid_bag_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

fn valid_info_text(s: &str) -> bool {
    !s.trim().is_empty() && s.trim() == s && !s.chars().any(char::is_control)
}

fn check_info(info: &BagInfo) -> Result<(), BagWriteError> {
    let fixed = [
        &info.source_organization,
        &info.external_identifier,
        &info.software_agent,
    ];
    for (i, v) in fixed.iter().enumerate() {
        if !valid_info_text(v) {
            return Err(BagWriteError::InvalidInfoField { field: i + 1 });
        }
    }
    for (i, (label, value)) in info.fields.iter().enumerate() {
        let reserved = COMPUTED_LABELS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(label.trim()));
        if reserved || label.contains(':') || !valid_info_text(label) || !valid_info_text(value) {
            return Err(BagWriteError::InvalidInfoField { field: i + 4 });
        }
    }
    Ok(())
}

/// Human-readable size, decimal units (`Bag-Size`).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn is_reserved_tag(path: &str) -> bool {
    let lower = path.to_lowercase();
    let first = lower.split('/').next().unwrap_or_default();
    // `PaxHeaders/` and `pax-entry-*` are the names a tar reader without pax support
    // gives this writer's pax entries.
    if first == "data" || first == "paxheaders" || first.starts_with("pax-entry-") {
        return true;
    }
    if lower.contains('/') {
        return false;
    }
    matches!(
        lower.as_str(),
        "bagit.txt" | "bag-info.txt" | "fetch.txt" | crate::signature::SIGNATURE_FILE
    ) || ((lower.starts_with("manifest-") || lower.starts_with("tagmanifest-"))
        && lower.ends_with(".txt"))
}

impl<S: Sink> BagCore<S> {
    fn new(mut sink: S, name: String, info: BagInfo) -> Result<BagCore<S>, BagWriteError> {
        check_info(&info)?;
        sink.add_dir("").map_err(io_err("writing the bag"))?;
        Ok(BagCore {
            sink,
            info,
            name,
            payload: Vec::new(),
            tags: Vec::new(),
            files: HashSet::new(),
            dirs: HashMap::new(),
            entries: 0,
        })
    }

    /// Claims `path` (bag-relative), creating its parent directories in the sink.
    fn claim(&mut self, path: &str, entry: usize) -> Result<(), BagWriteError> {
        let lower = path.to_lowercase();
        if self.files.contains(&lower) || self.dirs.contains_key(&lower) {
            return Err(BagWriteError::DuplicatePath { entry });
        }
        let parts: Vec<&str> = path.split('/').collect();
        let mut new_dirs = Vec::new();
        for i in 1..parts.len() {
            let dir = parts[..i].join("/");
            let dir_lower = dir.to_lowercase();
            if self.files.contains(&dir_lower) {
                return Err(BagWriteError::DuplicatePath { entry });
            }
            match self.dirs.get(&dir_lower) {
                Some(existing) if *existing != dir => {
                    return Err(BagWriteError::DuplicatePath { entry })
                }
                Some(_) => {}
                None => new_dirs.push((dir_lower, dir)),
            }
        }
        for (lower_dir, dir) in new_dirs {
            self.sink.add_dir(&dir).map_err(io_err("writing the bag"))?;
            self.dirs.insert(lower_dir, dir);
        }
        self.files.insert(lower);
        Ok(())
    }

    /// Streams one file into the sink, checking its length, and returns its digests.
    fn write(
        &mut self,
        path: String,
        len: u64,
        mut source: impl Read,
        entry: usize,
    ) -> Result<Written, BagWriteError> {
        self.claim(&path, entry)?;
        let mut reader = HashingReader {
            inner: (&mut source).take(len),
            sha256: Sha256::new(),
            sha512: Sha512::new(),
            bytes: 0,
            failed: None,
        };
        let result = self.sink.add_file(&path, len, &mut reader);
        if let Some(kind) = reader.failed {
            return Err(BagWriteError::SourceUnreadable {
                entry,
                source: io::Error::from(kind),
            });
        }
        result.map_err(io_err("writing the bag"))?;
        let HashingReader {
            sha256,
            sha512,
            bytes,
            ..
        } = reader;
        let mut extra = [0u8; 1];
        let more = loop {
            match source.read(&mut extra) {
                Ok(n) => break n > 0,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(BagWriteError::SourceUnreadable { entry, source }),
            }
        };
        if bytes != len || more {
            return Err(BagWriteError::LengthMismatch {
                entry,
                declared: len,
            });
        }
        Ok(Written {
            path,
            sha256: sha256.finalize().to_vec(),
            sha512: sha512.finalize().to_vec(),
            bytes: len,
        })
    }

    fn next_entry(&mut self) -> usize {
        self.entries += 1;
        self.entries
    }

    fn checked_path(path: &str, entry: usize) -> Result<String, BagWriteError> {
        match RelPath::parse(path, false) {
            Ok(p) if !path.contains(['\\', '%']) && path.split('/').all(|c| c.len() <= 255) => {
                Ok(p.as_str().to_string())
            }
            _ => Err(BagWriteError::InvalidPath { entry }),
        }
    }

    fn add_payload(
        &mut self,
        path: &str,
        len: u64,
        source: impl Read,
    ) -> Result<(), BagWriteError> {
        let entry = self.next_entry();
        let rel = Self::checked_path(path, entry)?;
        let w = self.write(format!("data/{rel}"), len, source, entry)?;
        self.payload.push(w);
        Ok(())
    }

    fn add_tag(&mut self, path: &str, len: u64, source: impl Read) -> Result<(), BagWriteError> {
        let entry = self.next_entry();
        let rel = Self::checked_path(path, entry)?;
        if is_reserved_tag(&rel) {
            return Err(BagWriteError::ReservedTagName { entry });
        }
        let w = self.write(rel, len, source, entry)?;
        self.tags.push(w);
        Ok(())
    }

    /// Writes a tag file the bag structure owns (no reserved-name check).
    fn add_own_tag(&mut self, path: &str, bytes: &[u8]) -> Result<(), BagWriteError> {
        let entry = self.next_entry();
        let w = self.write(path.to_string(), bytes.len() as u64, bytes, entry)?;
        self.tags.push(w);
        Ok(())
    }

    fn bag_info_text(&self) -> String {
        let octets: u64 = self.payload.iter().map(|w| w.bytes).sum();
        let info = &self.info;
        let mut lines = vec![
            (
                "Source-Organization".to_string(),
                info.source_organization.clone(),
            ),
            (
                "External-Identifier".to_string(),
                info.external_identifier.clone(),
            ),
            (
                "Bagging-Date".to_string(),
                info.created_at.date().to_string(),
            ),
            (
                "Bag-Software-Agent".to_string(),
                info.software_agent.clone(),
            ),
        ];
        lines.extend(info.fields.iter().cloned());
        lines.push((
            "Payload-Oxum".to_string(),
            format!("{octets}.{}", self.payload.len()),
        ));
        lines.push(("Bag-Size".to_string(), human_size(octets)));
        lines
            .iter()
            .map(|(l, v)| format!("{}: {v}\n", l.trim()))
            .collect()
    }

    /// Writes the closing tag files and signs; returns the summary.
    fn close(&mut self, signer: &BagSigner<'_>) -> Result<BagSummary, BagWriteError> {
        if [&signer.name, &signer.user_id]
            .iter()
            .any(|s| s.is_empty() || s.chars().any(char::is_control))
        {
            return Err(BagWriteError::InvalidSigner);
        }
        let mut payload: Vec<&Written> = self.payload.iter().collect();
        payload.sort_by(|a, b| a.path.cmp(&b.path));
        let m256: String = payload
            .iter()
            .map(|w| bagit_line(&w.sha256, &w.path))
            .collect();
        let m512: String = payload
            .iter()
            .map(|w| bagit_line(&w.sha512, &w.path))
            .collect();
        let info = self.bag_info_text();
        let decl = format!("BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n");
        self.add_own_tag("bagit.txt", decl.as_bytes())?;
        self.add_own_tag("bag-info.txt", info.as_bytes())?;
        self.add_own_tag("manifest-sha256.txt", m256.as_bytes())?;
        self.add_own_tag("manifest-sha512.txt", m512.as_bytes())?;
        let mut tags: Vec<&Written> = self.tags.iter().collect();
        tags.sort_by(|a, b| a.path.cmp(&b.path));
        let t256: String = tags
            .iter()
            .map(|w| bagit_line(&w.sha256, &w.path))
            .collect();
        let t512: String = tags
            .iter()
            .map(|w| bagit_line(&w.sha512, &w.path))
            .collect();
        let t256_digest = Sha256::digest(t256.as_bytes());
        let t512_digest = Sha512::digest(t512.as_bytes());
        self.add_own_tag("tagmanifest-sha256.txt", t256.as_bytes())?;
        self.add_own_tag("tagmanifest-sha512.txt", t512.as_bytes())?;
        let (sig_text, signature) = signature_file_text(signer, &t256_digest, &t512_digest);
        self.add_own_tag(SIGNATURE_FILE, sig_text.as_bytes())?;
        let octets: u64 = self.payload.iter().map(|w| w.bytes).sum();
        Ok(BagSummary {
            bag_name: self.name.clone(),
            payload_files: self.payload.len() as u64,
            payload_bytes: octets,
            tag_files: self.tags.len() as u64,
            payload_oxum: format!("{octets}.{}", self.payload.len()),
            tagmanifest_sha256: hex::encode(t256_digest),
            signer_public_key: hex::encode(signer.key.verifying_key().as_bytes()),
            signature: hex::encode(signature.to_bytes()),
        })
    }
}

macro_rules! bag_entry_methods {
    () => {
        /// Streams a payload file of `len` bytes from `source` to `data/<path>`. `path`
        /// is a clean relative path (no `..`, `.`, empty parts, backslashes, `%` or
        /// control characters); it may not collide with an earlier one, even by letter
        /// case.
        /// `source` must yield exactly `len` bytes ([`BagWriteError::LengthMismatch`]).
        /// After an error the writer must be dropped, which discards the output.
        pub fn add_payload(
            &mut self,
            path: &str,
            len: u64,
            source: impl Read,
        ) -> Result<(), BagWriteError> {
            self.core.add_payload(path, len, source)
        }

        /// Adds a payload file from memory (see [`Self::add_payload`]).
        pub fn add_payload_bytes(&mut self, path: &str, bytes: &[u8]) -> Result<(), BagWriteError> {
            self.core.add_payload(path, bytes.len() as u64, bytes)
        }

        /// Adds a tag file (e.g. `compliance/audit-log.jsonl`), listed in both tag
        /// manifests and so covered by the signature. Names the bag structure owns are
        /// refused ([`BagWriteError::ReservedTagName`]).
        pub fn add_tag_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), BagWriteError> {
            self.core.add_tag(path, bytes.len() as u64, bytes)
        }

        /// Streams a tag file of `len` bytes (see [`Self::add_tag_file`]).
        pub fn add_tag_file_reader(
            &mut self,
            path: &str,
            len: u64,
            source: impl Read,
        ) -> Result<(), BagWriteError> {
            self.core.add_tag(path, len, source)
        }
    };
}

/// Writes a bag as an age-encrypted tar (`OUT.tar.age`), streaming, never writing
/// plaintext to disk. Dropping it unfinished removes the partial ciphertext.
///
/// ```
/// use airlock_deliver::bag::{BagInfo, BagRecipients, BagSigner, EncryptedBagWriter};
/// let dir = tempfile::tempdir().unwrap();
/// let client = age::x25519::Identity::generate();
/// let info = BagInfo {
///     source_organization: "Synthetic Annotation Team".into(),
///     external_identifier: "export-0001".into(),
///     software_agent: "Airlock 0.1.0".into(),
///     created_at: time::macros::datetime!(2026-11-20 10:00 UTC),
///     fields: vec![],
/// };
/// let out = dir.path().join("export.tar.age");
/// let recipients = BagRecipients::Keys(vec![client.to_public().to_string()]);
/// let mut bag = EncryptedBagWriter::create(&out, "export-0001", &recipients, info).unwrap();
/// bag.add_payload_bytes("labels/items.jsonl", b"{\"item_id\":\"i1\"}\n").unwrap();
/// bag.add_tag_file("compliance/method-statement.txt", b"Safe Harbor\n").unwrap();
/// let lead = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
/// let signer = BagSigner {
///     key: &lead,
///     name: "Dana Lead".into(),
///     user_id: "u-1".into(),
///     signed_at: time::macros::datetime!(2026-11-20 10:00 UTC),
/// };
/// let summary = bag.finish(&signer).unwrap();
/// assert_eq!(summary.bag.payload_oxum, "17.1");
/// assert!(out.exists());
/// ```
pub struct EncryptedBagWriter {
    core: BagCore<TarAgeSink>,
    path: PathBuf,
}

impl EncryptedBagWriter {
    /// Starts `out` (which must not exist), a tar whose single top-level directory is
    /// `bag_name`, encrypted to `recipients`.
    pub fn create(
        out: &Path,
        bag_name: &str,
        recipients: &BagRecipients,
        info: BagInfo,
    ) -> Result<EncryptedBagWriter, BagWriteError> {
        if !valid_bag_name(bag_name) {
            return Err(BagWriteError::InvalidBagName);
        }
        check_info(&info)?;
        let encryptor = match recipients {
            BagRecipients::Keys(keys) => {
                if keys.is_empty() {
                    return Err(BagWriteError::NoRecipients);
                }
                let parsed = keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        k.trim()
                            .parse::<age::x25519::Recipient>()
                            .map_err(|_| BagWriteError::InvalidRecipient { index: i + 1 })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|_| BagWriteError::Encryption)?
            }
            BagRecipients::Passphrase(p) => age::Encryptor::with_user_passphrase(p.clone()),
        };
        let file = AtomicFile::create(out).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => BagWriteError::OutputExists,
            _ => BagWriteError::Io {
                step: "creating the output file",
                source: e,
            },
        })?;
        let hashing = HashingWriter {
            inner: file,
            sha256: Sha256::new(),
            bytes: 0,
        };
        let stream = encryptor
            .wrap_output(BufWriter::with_capacity(256 * 1024, hashing))
            .map_err(io_err("writing the age header"))?;
        let sink = TarAgeSink {
            tar: tar::Builder::new(stream),
            root: bag_name.to_string(),
            mtime: info.created_at.unix_timestamp().max(0) as u64,
            pax_entries: 0,
        };
        Ok(EncryptedBagWriter {
            core: BagCore::new(sink, bag_name.to_string(), info)?,
            path: out.to_path_buf(),
        })
    }

    bag_entry_methods!();

    /// Writes the manifests, bag-info, tag manifests and signature, ends the tar and the
    /// age stream, fsyncs and renames the file into place.
    pub fn finish(mut self, signer: &BagSigner<'_>) -> Result<EncryptedBagSummary, BagWriteError> {
        let bag = self.core.close(signer)?;
        let step = "finishing the encrypted file";
        let stream = self.core.sink.tar.into_inner().map_err(io_err(step))?;
        let buffered = stream.finish().map_err(io_err(step))?;
        let hashing = buffered.into_inner().map_err(|e| BagWriteError::Io {
            step,
            source: e.into_error(),
        })?;
        let file_sha256 = hex::encode(hashing.sha256.finalize());
        let file_bytes = hashing.bytes;
        hashing.inner.commit().map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => BagWriteError::OutputExists,
            _ => BagWriteError::Io { step, source: e },
        })?;
        Ok(EncryptedBagSummary {
            bag,
            path: self.path,
            file_bytes,
            file_sha256,
        })
    }
}

/// Writes a bag as a plain, unencrypted directory: only for an explicitly requested
/// plaintext export, which the caller must record as such. The directory is built under
/// a temp name and renamed into place at [`PlaintextBagWriter::finish`]; dropped
/// unfinished, the partial tree is removed.
pub struct PlaintextBagWriter {
    core: BagCore<DirSink>,
    path: PathBuf,
}

impl PlaintextBagWriter {
    /// Starts the bag directory `dir` (which must not exist). Its last component must be
    /// a valid bag name (see [`BagWriteError::InvalidBagName`]).
    pub fn create(dir: &Path, info: BagInfo) -> Result<PlaintextBagWriter, BagWriteError> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| valid_bag_name(n))
            .ok_or(BagWriteError::InvalidBagName)?
            .to_string();
        check_info(&info)?;
        let atomic = AtomicDir::create(dir).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => BagWriteError::OutputExists,
            _ => BagWriteError::Io {
                step: "creating the bag directory",
                source: e,
            },
        })?;
        Ok(PlaintextBagWriter {
            core: BagCore::new(DirSink { dir: atomic }, name, info)?,
            path: dir.to_path_buf(),
        })
    }

    bag_entry_methods!();

    /// Writes the closing tag files and signature, fsyncs and renames the directory into
    /// place. Returns the summary and the directory's path.
    pub fn finish(
        mut self,
        signer: &BagSigner<'_>,
    ) -> Result<(BagSummary, PathBuf), BagWriteError> {
        let bag = self.core.close(signer)?;
        self.core.sink.dir.commit().map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => BagWriteError::OutputExists,
            _ => BagWriteError::Io {
                step: "finishing the bag directory",
                source: e,
            },
        })?;
        Ok((bag, self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_count_their_own_length() {
        for value in ["a", "x".repeat(90).as_str(), "é/ü".repeat(40).as_str()] {
            let mut out = Vec::new();
            pax_record(&mut out, "path", value);
            let text = String::from_utf8(out).unwrap();
            let (n, _) = text.split_once(' ').unwrap();
            assert_eq!(n.parse::<usize>().unwrap(), text.len(), "{text}");
        }
        let mut out = Vec::new();
        pax_record(&mut out, "path", &"y".repeat(92));
        assert!(out.starts_with(b"102 path="), "the length may gain a digit");
    }

    #[test]
    fn long_or_non_ascii_names_and_huge_sizes_get_pax_records() {
        let (_, pax) = entry_header("bag/data/short.txt", 3, false, 0, "fb").unwrap();
        assert!(pax.is_empty(), "plain ustar when it fits");
        let long = format!("bag/data/{}/{}", "d".repeat(120), "f".repeat(120));
        let (h, pax) = entry_header(&long, 3, false, 0, "bag/pax-entry-1").unwrap();
        assert!(String::from_utf8(pax)
            .unwrap()
            .contains(&format!("path={long}\n")));
        assert_eq!(h.path_bytes().as_ref(), b"bag/pax-entry-1");
        let (_, pax) = entry_header("bag/data/née.txt", 3, false, 0, "fb").unwrap();
        assert!(String::from_utf8(pax)
            .unwrap()
            .contains("path=bag/data/née.txt"));
        let (_, pax) = entry_header("bag/data/big", USTAR_MAX_SIZE + 1, false, 0, "fb").unwrap();
        assert_eq!(
            String::from_utf8(pax).unwrap(),
            format!("19 size={}\n", USTAR_MAX_SIZE + 1)
        );
    }

    #[test]
    fn reserved_tag_names_and_sizes() {
        for n in [
            "bagit.txt",
            "Bag-Info.txt",
            "manifest-md5.txt",
            "tagmanifest-sha256.txt",
            "data/x",
            "DATA",
            "airlock-signature.txt",
            "fetch.txt",
            "PaxHeaders/1",
            "pax-entry-3",
        ] {
            assert!(is_reserved_tag(n), "{n}");
        }
        for n in [
            "compliance/bagit.txt",
            "compliance/audit.jsonl",
            "notes.txt",
        ] {
            assert!(!is_reserved_tag(n), "{n}");
        }
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1500), "1.5 KB");
        assert_eq!(human_size(260_000_000_000), "260.0 GB");
    }

    #[test]
    fn info_fields_are_checked() {
        let mut info = BagInfo {
            source_organization: "Org".into(),
            external_identifier: "x".into(),
            software_agent: "Airlock".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            fields: vec![("Contact-Name".into(), "Dana".into())],
        };
        assert!(check_info(&info).is_ok());
        info.fields.push(("payload-oxum".into(), "1.1".into()));
        assert!(matches!(
            check_info(&info),
            Err(BagWriteError::InvalidInfoField { field: 5 })
        ));
        info.fields.pop();
        info.fields.push(("Note".into(), "two\nlines".into()));
        assert!(check_info(&info).is_err());
        info.fields.pop();
        info.source_organization = " ".into();
        assert!(matches!(
            check_info(&info),
            Err(BagWriteError::InvalidInfoField { field: 1 })
        ));
    }
}
