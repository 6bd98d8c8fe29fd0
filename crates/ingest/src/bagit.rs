//! BagIt bags (RFC 8493): reading `bagit.txt`, `bag-info.txt`, payload and tag manifests,
//! and validating a whole bag. `fetch.txt` is refused: Airlock never downloads anything,
//! and a bag that needs fetching is incomplete.

use crate::digest::{Algorithm, MultiHasher};
use crate::manifest::{parse_bagit_manifest, Manifest, ManifestError};
use crate::relpath::RelPath;
use crate::source::walk;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a directory could not be read as a bag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BagError {
    /// There is no `bagit.txt`.
    #[error("this folder is not a BagIt bag (it has no bagit.txt)")]
    NotABag,
    /// `bagit.txt` is not the two required lines.
    #[error(
        "bagit.txt is malformed (it must declare BagIt-Version and Tag-File-Character-Encoding)"
    )]
    BadDeclaration,
    /// A version this reader does not support (1.0 and 0.97 are supported).
    #[error("BagIt version {0} is not supported (1.0 and 0.97 are)")]
    UnsupportedVersion(String),
    /// Tag files in another encoding than UTF-8.
    #[error("tag files must be UTF-8 (bagit.txt declares another encoding)")]
    UnsupportedEncoding,
    /// The bag has a `fetch.txt`.
    #[error("the bag has a fetch.txt: Airlock never downloads, so a bag that needs fetching cannot be received")]
    FetchRefused,
    /// No payload manifest with a supported algorithm.
    #[error("the bag has no payload manifest Airlock can check (manifest-sha256.txt, -sha512, -sha1 or -md5)")]
    NoManifest,
    /// A manifest is malformed.
    #[error("{file}: {source}")]
    Manifest {
        /// Which manifest (a tag file name, never a payload name).
        file: String,
        /// What is wrong.
        source: ManifestError,
    },
    /// `bag-info.txt` is malformed.
    #[error("bag-info.txt line {0} is malformed")]
    BadInfo(usize),
    /// `Payload-Oxum` is not `OCTETS.COUNT`.
    #[error("bag-info.txt has a malformed Payload-Oxum")]
    BadOxum,
    /// Payload manifests disagree on which files are in the payload.
    #[error("the payload manifests do not list the same files")]
    ManifestsDisagree,
    /// A tag file could not be read.
    #[error("{0} cannot be read")]
    Unreadable(String),
}

/// A bag's declarations and manifests (nothing hashed yet).
#[derive(Debug, Clone)]
pub struct Bag {
    /// The bag's root directory.
    pub root: PathBuf,
    /// `BagIt-Version`.
    pub version: String,
    /// `bag-info.txt` entries in order (labels may repeat).
    pub info: Vec<(String, String)>,
    /// Payload manifests by algorithm.
    pub payload: BTreeMap<Algorithm, Manifest>,
    /// Tag manifests by algorithm.
    pub tag: BTreeMap<Algorithm, Manifest>,
    /// `Payload-Oxum` (octets, streams), when declared.
    pub oxum: Option<(u64, u64)>,
    /// Manifests skipped because their algorithm is unknown here (their file names).
    pub skipped_manifests: Vec<String>,
}

impl Bag {
    /// The first value of a `bag-info.txt` label (case-insensitive).
    pub fn info_value(&self, label: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(label))
            .map(|(_, v)| v.as_str())
    }

    /// Every payload file with its expected digests (all algorithms), keyed by its path
    /// inside `data/` as it appears in the manifests (`data/…`).
    pub fn payload_digests(&self) -> BTreeMap<RelPath, Vec<(Algorithm, Vec<u8>)>> {
        let mut out: BTreeMap<RelPath, Vec<(Algorithm, Vec<u8>)>> = BTreeMap::new();
        for (alg, m) in &self.payload {
            for e in &m.entries {
                out.entry(e.path.clone())
                    .or_default()
                    .push((*alg, e.digest.clone()));
            }
        }
        out
    }
}

fn read_tag_file(root: &Path, name: &str) -> Result<Option<Vec<u8>>, BagError> {
    let path = root.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(BagError::Unreadable(name.into())),
        Ok(m) if !m.file_type().is_file() => return Err(BagError::Unreadable(name.into())),
        Ok(m) if m.len() > crate::manifest::MAX_MANIFEST_BYTES => {
            return Err(BagError::Unreadable(name.into()))
        }
        Ok(_) => {}
    }
    std::fs::read(&path)
        .map(Some)
        .map_err(|_| BagError::Unreadable(name.into()))
}

/// Parses `Label: value` lines with indented continuation lines (RFC 8493 §2.2.2).
fn parse_info(bytes: &[u8]) -> Result<Vec<(String, String)>, BagError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BagError::BadInfo(1))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let last = out.last_mut().ok_or(BagError::BadInfo(i + 1))?;
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (label, value) = line.split_once(':').ok_or(BagError::BadInfo(i + 1))?;
        if label.trim().is_empty() {
            return Err(BagError::BadInfo(i + 1));
        }
        out.push((label.trim().to_string(), value.trim().to_string()));
    }
    Ok(out)
}

fn parse_oxum(value: &str) -> Result<(u64, u64), BagError> {
    let (octets, streams) = value.trim().split_once('.').ok_or(BagError::BadOxum)?;
    Ok((
        octets.parse().map_err(|_| BagError::BadOxum)?,
        streams.parse().map_err(|_| BagError::BadOxum)?,
    ))
}

/// Whether `root` looks like a bag (has a `bagit.txt`).
pub fn is_bag(root: &Path) -> bool {
    root.join("bagit.txt").is_file()
}

/// Reads a bag's declaration, metadata and manifests.
pub fn read_bag(root: &Path) -> Result<Bag, BagError> {
    let decl = read_tag_file(root, "bagit.txt")?.ok_or(BagError::NotABag)?;
    let decl = parse_info(&decl).map_err(|_| BagError::BadDeclaration)?;
    let get = |k: &str| {
        decl.iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let version = get("BagIt-Version").ok_or(BagError::BadDeclaration)?;
    let encoding = get("Tag-File-Character-Encoding").ok_or(BagError::BadDeclaration)?;
    if !matches!(version.as_str(), "1.0" | "0.97") {
        return Err(BagError::UnsupportedVersion(
            version.chars().take(16).collect(),
        ));
    }
    if !encoding.eq_ignore_ascii_case("UTF-8") {
        return Err(BagError::UnsupportedEncoding);
    }
    if std::fs::symlink_metadata(root.join("fetch.txt")).is_ok() {
        return Err(BagError::FetchRefused);
    }
    let info = match read_tag_file(root, "bag-info.txt")? {
        Some(b) => parse_info(&b)?,
        None => Vec::new(),
    };
    let oxum = info
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case("Payload-Oxum"))
        .map(|(_, v)| parse_oxum(v))
        .transpose()?;
    let mut payload = BTreeMap::new();
    let mut tag = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map_err(|_| BagError::Unreadable("the bag folder".into()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let (is_payload, alg_name) = if let Some(rest) = name.strip_prefix("manifest-") {
            (true, rest)
        } else if let Some(rest) = name.strip_prefix("tagmanifest-") {
            (false, rest)
        } else {
            continue;
        };
        let Some(alg_name) = alg_name.strip_suffix(".txt") else {
            continue;
        };
        let Ok(alg) = alg_name.parse::<Algorithm>() else {
            skipped.push(name.clone());
            continue;
        };
        let bytes =
            read_tag_file(root, &name)?.ok_or_else(|| BagError::Unreadable(name.clone()))?;
        let m =
            parse_bagit_manifest(&bytes, alg, is_payload).map_err(|source| BagError::Manifest {
                file: name.clone(),
                source,
            })?;
        if is_payload {
            payload.insert(alg, m);
        } else {
            tag.insert(alg, m);
        }
    }
    if payload.is_empty() {
        return Err(BagError::NoManifest);
    }
    let sets: Vec<BTreeSet<&RelPath>> = payload
        .values()
        .map(|m| m.entries.iter().map(|e| &e.path).collect())
        .collect();
    if sets.windows(2).any(|w| w[0] != w[1]) {
        return Err(BagError::ManifestsDisagree);
    }
    Ok(Bag {
        root: root.to_path_buf(),
        version,
        info,
        payload,
        tag,
        oxum,
        skipped_manifests: skipped,
    })
}

/// One finding of a bag validation. `path` is the bag-relative path (may name a patient).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BagProblem {
    /// What is wrong.
    pub kind: BagProblemKind,
    /// The file concerned, if any.
    pub path: Option<String>,
    /// The algorithm whose digest disagreed, for mismatches.
    pub algorithm: Option<Algorithm>,
}

/// Kinds of validation findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BagProblemKind {
    /// A manifest lists a file that is not there.
    Missing,
    /// A file under `data/` is not in the manifests.
    Extra,
    /// A digest does not match.
    Mismatched,
    /// A file could not be read, or is a symbolic link or special file.
    Unreadable,
    /// `Payload-Oxum` disagrees with the payload.
    OxumMismatch,
    /// A tag manifest lists a tag file that is missing or differs.
    TagMismatch,
}

/// The result of validating a bag.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BagReport {
    /// Whether the bag is complete and valid.
    pub valid: bool,
    /// BagIt version.
    pub version: String,
    /// Payload files checked.
    pub payload_files: u64,
    /// Payload bytes read.
    pub payload_bytes: u64,
    /// Algorithms checked.
    pub algorithms: Vec<Algorithm>,
    /// Whether a tag manifest was present and checked.
    pub tag_manifests_checked: bool,
    /// Findings, in path order.
    pub problems: Vec<BagProblem>,
    /// Notes (weak algorithms, skipped manifests).
    pub warnings: Vec<String>,
}

fn hash_file(path: &Path, algs: &[Algorithm]) -> Option<(u64, crate::digest::Digests)> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = MultiHasher::new(algs);
    let mut buf = vec![0u8; 256 * 1024];
    let mut n_total = 0u64;
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                n_total += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    Some((n_total, h.finish()))
}

fn tag_file_matches(root: &Path, alg: Algorithm, e: &crate::manifest::Entry) -> bool {
    hash_file(&e.path.under(root), &[alg])
        .is_some_and(|(_, d)| d.get(alg) == Some(e.digest.as_slice()))
}

/// Checks the tag manifests of a bag; returns one sentence per tag file that is missing
/// or differs (tag file names are the bag's metadata files, not payload names).
pub fn validate_tags(bag: &Bag) -> Vec<String> {
    let mut out = Vec::new();
    for (alg, m) in &bag.tag {
        for e in &m.entries {
            if !tag_file_matches(&bag.root, *alg, e) {
                out.push(format!(
                    "tag file {} does not match tagmanifest-{alg}.txt",
                    e.path.as_str().chars().take(64).collect::<String>()
                ));
            }
        }
    }
    out
}

/// Validates a bag completely: every payload file against every payload manifest, the
/// tag manifests, `Payload-Oxum`, and files under `data/` that no manifest lists.
pub fn validate_bag(root: &Path) -> Result<BagReport, BagError> {
    let bag = read_bag(root)?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let algorithms: Vec<Algorithm> = bag.payload.keys().copied().collect();
    if algorithms.iter().all(|a| a.is_weak()) {
        warnings
            .push("the payload is checked with MD5/SHA-1 only, which a tamperer can defeat".into());
    }
    for name in &bag.skipped_manifests {
        warnings.push(format!(
            "{name} uses an algorithm Airlock cannot check; it was skipped"
        ));
    }
    let expected = bag.payload_digests();
    let walked = walk(&root.join("data"));
    let mut on_disk: BTreeMap<RelPath, PathBuf> = BTreeMap::new();
    for f in walked.files {
        if let Ok(p) = RelPath::parse(&format!("data/{}", f.path.as_str()), false) {
            on_disk.insert(p, f.fs_path);
        }
    }
    for p in walked.problems {
        problems.push(BagProblem {
            kind: BagProblemKind::Unreadable,
            path: Some(format!("data/{}", p.label)),
            algorithm: None,
        });
    }
    let mut bytes = 0u64;
    let mut files = 0u64;
    for (path, digests) in &expected {
        let Some(fs_path) = on_disk.get(path) else {
            problems.push(BagProblem {
                kind: BagProblemKind::Missing,
                path: Some(path.to_string()),
                algorithm: None,
            });
            continue;
        };
        let Some((n, got)) = hash_file(fs_path, &algorithms) else {
            problems.push(BagProblem {
                kind: BagProblemKind::Unreadable,
                path: Some(path.to_string()),
                algorithm: None,
            });
            continue;
        };
        files += 1;
        bytes += n;
        for (alg, want) in digests {
            if got.get(*alg) != Some(want.as_slice()) {
                problems.push(BagProblem {
                    kind: BagProblemKind::Mismatched,
                    path: Some(path.to_string()),
                    algorithm: Some(*alg),
                });
            }
        }
    }
    for path in on_disk.keys() {
        if !expected.contains_key(path) {
            problems.push(BagProblem {
                kind: BagProblemKind::Extra,
                path: Some(path.to_string()),
                algorithm: None,
            });
        }
    }
    if let Some((octets, streams)) = bag.oxum {
        let listed: u64 = expected.len() as u64;
        let total: u64 = expected
            .keys()
            .filter_map(|p| on_disk.get(p))
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        if octets != total || streams != listed {
            problems.push(BagProblem {
                kind: BagProblemKind::OxumMismatch,
                path: None,
                algorithm: None,
            });
        }
    }
    for (alg, m) in &bag.tag {
        for e in &m.entries {
            if !tag_file_matches(root, *alg, e) {
                problems.push(BagProblem {
                    kind: BagProblemKind::TagMismatch,
                    path: Some(e.path.to_string()),
                    algorithm: Some(*alg),
                });
            }
        }
    }
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(BagReport {
        valid: problems.is_empty(),
        version: bag.version,
        payload_files: files,
        payload_bytes: bytes,
        algorithms,
        tag_manifests_checked: !bag.tag.is_empty(),
        problems,
        warnings,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::manifest::bagit_line;
    use sha2::{Digest, Sha256, Sha512};

    /// Writes a small valid bag (sha256 and sha512 manifests, tag manifest, oxum).
    pub(crate) fn make_bag(root: &Path, files: &[(&str, &[u8])]) {
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(
            root.join("bagit.txt"),
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        )
        .unwrap();
        let mut m256 = String::new();
        let mut m512 = String::new();
        let mut octets = 0;
        for (name, bytes) in files {
            let p = root.join("data").join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
            m256 += &bagit_line(&Sha256::digest(bytes), &format!("data/{name}"));
            m512 += &bagit_line(&Sha512::digest(bytes), &format!("data/{name}"));
            octets += bytes.len();
        }
        std::fs::write(root.join("manifest-sha256.txt"), &m256).unwrap();
        std::fs::write(root.join("manifest-sha512.txt"), &m512).unwrap();
        std::fs::write(
            root.join("bag-info.txt"),
            format!(
                "Source-Organization: Synthetic Site\nPayload-Oxum: {octets}.{}\nExternal-Description: a long\n  continued value\n",
                files.len()
            ),
        )
        .unwrap();
        let mut tm = String::new();
        for t in [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
        ] {
            tm += &bagit_line(&Sha256::digest(std::fs::read(root.join(t)).unwrap()), t);
        }
        std::fs::write(root.join("tagmanifest-sha256.txt"), tm).unwrap();
    }

    #[test]
    fn a_valid_bag_validates_and_its_info_reads() {
        let dir = tempfile::tempdir().unwrap();
        make_bag(dir.path(), &[("a.txt", b"alpha"), ("sub/b.txt", b"bravo")]);
        let r = validate_bag(dir.path()).unwrap();
        assert!(r.valid, "{:?}", r.problems);
        assert_eq!((r.payload_files, r.payload_bytes), (2, 10));
        assert!(r.tag_manifests_checked);
        let bag = read_bag(dir.path()).unwrap();
        assert_eq!(
            bag.info_value("source-organization"),
            Some("Synthetic Site")
        );
        assert_eq!(
            bag.info_value("External-Description"),
            Some("a long continued value")
        );
        assert_eq!(bag.oxum, Some((10, 2)));
    }

    #[test]
    fn flipped_byte_missing_extra_oxum_and_tag_changes_are_found() {
        let dir = tempfile::tempdir().unwrap();
        make_bag(dir.path(), &[("a.txt", b"alpha"), ("b.txt", b"bravo")]);
        std::fs::write(dir.path().join("data/a.txt"), b"alphA").unwrap();
        std::fs::remove_file(dir.path().join("data/b.txt")).unwrap();
        std::fs::write(dir.path().join("data/c.txt"), b"charlie").unwrap();
        let r = validate_bag(dir.path()).unwrap();
        let kinds: Vec<_> = r
            .problems
            .iter()
            .map(|p| (p.kind, p.path.clone()))
            .collect();
        assert!(!r.valid);
        assert!(kinds.contains(&(BagProblemKind::Mismatched, Some("data/a.txt".into()))));
        assert!(kinds.contains(&(BagProblemKind::Missing, Some("data/b.txt".into()))));
        assert!(kinds.contains(&(BagProblemKind::Extra, Some("data/c.txt".into()))));
        assert!(kinds.contains(&(BagProblemKind::OxumMismatch, None)));
        let dir2 = tempfile::tempdir().unwrap();
        make_bag(dir2.path(), &[("a.txt", b"alpha")]);
        std::fs::write(
            dir2.path().join("bag-info.txt"),
            "Source-Organization: Changed\n",
        )
        .unwrap();
        let r = validate_bag(dir2.path()).unwrap();
        assert_eq!(r.problems[0].kind, BagProblemKind::TagMismatch);
    }

    #[test]
    fn fetch_and_bad_declarations_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_bag(dir.path()).unwrap_err(), BagError::NotABag);
        make_bag(dir.path(), &[("a.txt", b"alpha")]);
        std::fs::write(
            dir.path().join("fetch.txt"),
            "http://example.invalid/x 5 data/x\n",
        )
        .unwrap();
        assert_eq!(read_bag(dir.path()).unwrap_err(), BagError::FetchRefused);
        std::fs::remove_file(dir.path().join("fetch.txt")).unwrap();
        std::fs::write(
            dir.path().join("bagit.txt"),
            "BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n",
        )
        .unwrap();
        assert!(matches!(
            read_bag(dir.path()).unwrap_err(),
            BagError::UnsupportedVersion(_)
        ));
        std::fs::write(dir.path().join("bagit.txt"), "hello\n").unwrap();
        assert_eq!(read_bag(dir.path()).unwrap_err(), BagError::BadDeclaration);
    }

    #[test]
    fn manifests_that_disagree_or_escape_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        make_bag(dir.path(), &[("a.txt", b"alpha"), ("b.txt", b"bravo")]);
        let m = std::fs::read_to_string(dir.path().join("manifest-sha512.txt")).unwrap();
        std::fs::write(
            dir.path().join("manifest-sha512.txt"),
            m.lines().next().unwrap(),
        )
        .unwrap();
        assert_eq!(
            read_bag(dir.path()).unwrap_err(),
            BagError::ManifestsDisagree
        );
        let line = bagit_line(&[0u8; 32], "data/../../etc/passwd");
        std::fs::write(dir.path().join("manifest-sha256.txt"), line).unwrap();
        assert!(matches!(
            read_bag(dir.path()).unwrap_err(),
            BagError::Manifest { .. }
        ));
    }
}
