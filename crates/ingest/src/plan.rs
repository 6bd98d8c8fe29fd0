//! The receive plan: which files to read, what each is expected to hash to, and what is
//! already known to be missing, unreadable or too large — all decided before a single
//! byte is stored, so a hostile manifest changes nothing.

use crate::bagit::{read_bag, validate_tags, Bag, BagError};
use crate::digest::Algorithm;
use crate::manifest::{parse_checksum_file, ManifestError, ManifestStyle, MAX_MANIFEST_BYTES};
use crate::relpath::RelPath;
use crate::source::{walk, WalkIssue, WalkProblem};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::SystemTime;

/// Largest single file received (4 GiB).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// File names taken as a manifest when one sits at the top of the source folder.
pub const MANIFEST_NAMES: [&str; 10] = [
    "SHA256SUMS",
    "SHA512SUMS",
    "SHA1SUMS",
    "MD5SUMS",
    "sha256sums.txt",
    "sha512sums.txt",
    "checksums.sha256",
    "manifest.sha256",
    "manifest.sha512",
    "manifest.md5",
];

/// How the sender described what they sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SourceMode {
    /// A bare folder: the hashes computed now become the baseline.
    Folder,
    /// A folder with a coreutils checksum manifest.
    Manifest,
    /// A BagIt bag.
    Bagit,
}

impl SourceMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceMode::Folder => "folder",
            SourceMode::Manifest => "manifest",
            SourceMode::Bagit => "bagit",
        }
    }
}

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    /// The folder (or bag) received.
    pub source: PathBuf,
    /// An explicit manifest file.
    pub manifest: Option<PathBuf>,
    /// The caller insists the source is a bag.
    pub bagit: bool,
}

/// A file to read and store.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Path relative to the source (bags: `data/…`).
    pub path: RelPath,
    /// Path on this machine.
    pub fs_path: PathBuf,
    /// Size when planned.
    pub size: u64,
    /// Modification time when planned (a rerun skips unchanged files already stored).
    pub modified: Option<SystemTime>,
    /// Expected digests; empty for baseline files and extras.
    pub expected: Vec<(Algorithm, Vec<u8>)>,
    /// Whether the manifest lists it (false: an extra file, quarantined).
    pub listed: bool,
}

/// A file that will not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skipped {
    /// Listed but not present.
    Missing,
    /// Present but not receivable (link, special file, non-UTF-8 name, unreadable).
    Unreadable(WalkProblem),
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge,
}

/// A skipped entry with its label (relative path as best it can be shown).
#[derive(Debug, Clone)]
pub struct SkippedFile {
    /// The relative path (lossy for non-UTF-8 names).
    pub label: String,
    /// Why.
    pub why: Skipped,
    /// Expected size from the manifest, when known (missing files).
    pub expected_digest: Option<(Algorithm, Vec<u8>)>,
}

/// The receive plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The source folder, canonical.
    pub root: PathBuf,
    /// How the sender described the data.
    pub mode: SourceMode,
    /// The manifest's own bytes (coreutils manifest, or a bag's tag files concatenated
    /// in name order), to hash and keep; `None` for a bare folder.
    pub manifest_bytes: Option<Vec<u8>>,
    /// The manifest's syntax.
    pub manifest_style: Option<ManifestStyle>,
    /// Algorithms to compute besides SHA-256.
    pub algorithms: BTreeSet<Algorithm>,
    /// Files to read, in path order.
    pub files: Vec<PlannedFile>,
    /// Files that will not be read.
    pub skipped: Vec<SkippedFile>,
    /// Bag problems found before reading the payload (tag manifests, Payload-Oxum).
    pub bag_problems: Vec<String>,
    /// A bag's `bag-info.txt`, for the receipt.
    pub bag_info: Vec<(String, String)>,
    /// Notes for the report (weak algorithms, a manifest found in the folder).
    pub warnings: Vec<String>,
}

impl Plan {
    /// Total bytes to read.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Why no plan could be made. Nothing has been stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The source is not a folder.
    #[error("the source is not a folder that can be read")]
    NotAFolder,
    /// The manifest file cannot be read.
    #[error("the manifest file cannot be read")]
    ManifestUnreadable,
    /// The manifest is refused.
    #[error("the manifest is refused: {0}")]
    Manifest(#[from] ManifestError),
    /// The bag is refused.
    #[error("the bag is refused: {0}")]
    Bag(#[from] BagError),
    /// `--bagit` was given but the folder has no `bagit.txt`.
    #[error("--bagit was given, but the folder has no bagit.txt")]
    NotABag,
    /// Both a bag and a separate manifest were given.
    #[error("a BagIt bag carries its own manifests; do not give --manifest as well")]
    BagWithManifest,
    /// Nothing to receive.
    #[error("the source folder holds no files")]
    NoFiles,
}

/// Builds the plan for a request.
pub fn plan(req: &PlanRequest) -> Result<Plan, PlanError> {
    let root = std::fs::canonicalize(&req.source).map_err(|_| PlanError::NotAFolder)?;
    if !root.is_dir() {
        return Err(PlanError::NotAFolder);
    }
    let is_bag = crate::bagit::is_bag(&root);
    if req.bagit && !is_bag {
        return Err(PlanError::NotABag);
    }
    if is_bag {
        if req.manifest.is_some() {
            return Err(PlanError::BagWithManifest);
        }
        let bag = read_bag(&root)?;
        return plan_bag(root, bag);
    }
    let mut warnings = Vec::new();
    let manifest_path = match &req.manifest {
        Some(m) => Some(std::fs::canonicalize(m).map_err(|_| PlanError::ManifestUnreadable)?),
        None => MANIFEST_NAMES
            .iter()
            .map(|n| root.join(n))
            .find(|p| p.is_file())
            .inspect(|p| {
                warnings.push(format!(
                    "used the manifest found in the folder ({})",
                    p.file_name().unwrap_or_default().to_string_lossy()
                ))
            }),
    };
    let walked = walk(&root);
    let mut skipped: Vec<SkippedFile> = walked.problems.iter().map(unreadable).collect();
    let Some(manifest_path) = manifest_path else {
        let mut files = Vec::new();
        for f in walked.files {
            if f.size > MAX_FILE_BYTES {
                skipped.push(too_large(f.path.as_str()));
                continue;
            }
            files.push(PlannedFile {
                path: f.path,
                fs_path: f.fs_path,
                size: f.size,
                modified: f.modified,
                expected: Vec::new(),
                listed: true,
            });
        }
        if files.is_empty() && skipped.is_empty() {
            return Err(PlanError::NoFiles);
        }
        warnings.push("no manifest: the hashes computed now are recorded as the baseline".into());
        return Ok(Plan {
            root,
            mode: SourceMode::Folder,
            manifest_bytes: None,
            manifest_style: None,
            algorithms: BTreeSet::new(),
            files,
            skipped,
            bag_problems: Vec::new(),
            bag_info: Vec::new(),
            warnings,
        });
    };
    let meta = std::fs::metadata(&manifest_path).map_err(|_| PlanError::ManifestUnreadable)?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge.into());
    }
    let bytes = std::fs::read(&manifest_path).map_err(|_| PlanError::ManifestUnreadable)?;
    let manifest = parse_checksum_file(&bytes)?;
    if manifest.uses_weak_algorithm() {
        warnings.push(
            "the manifest uses MD5 or SHA-1, which a tamperer can defeat; ask the sender for SHA-256"
                .into(),
        );
    }
    let expected: BTreeMap<RelPath, (Algorithm, Vec<u8>)> = manifest
        .entries
        .iter()
        .map(|e| (e.path.clone(), (e.algorithm, e.digest.clone())))
        .collect();
    let manifest_rel = RelPath::from_fs(&root, &manifest_path);
    let mut files = Vec::new();
    let mut present = BTreeSet::new();
    for f in walked.files {
        if Some(&f.path) == manifest_rel.as_ref() {
            continue;
        }
        present.insert(f.path.clone());
        if f.size > MAX_FILE_BYTES {
            skipped.push(too_large(f.path.as_str()));
            continue;
        }
        let exp = expected.get(&f.path);
        files.push(PlannedFile {
            listed: exp.is_some(),
            expected: exp.cloned().into_iter().collect(),
            path: f.path,
            fs_path: f.fs_path,
            size: f.size,
            modified: f.modified,
        });
    }
    for (path, digest) in &expected {
        let listed_as_problem = skipped.iter().any(|s| s.label == path.as_str());
        if !present.contains(path) && !listed_as_problem {
            skipped.push(SkippedFile {
                label: path.to_string(),
                why: Skipped::Missing,
                expected_digest: Some(digest.clone()),
            });
        }
    }
    Ok(Plan {
        root,
        mode: SourceMode::Manifest,
        manifest_bytes: Some(bytes),
        manifest_style: Some(manifest.style),
        algorithms: manifest
            .algorithms()
            .into_iter()
            .filter(|a| *a != Algorithm::Sha256)
            .collect(),
        files,
        skipped,
        bag_problems: Vec::new(),
        bag_info: Vec::new(),
        warnings,
    })
}

fn unreadable(issue: &WalkIssue) -> SkippedFile {
    SkippedFile {
        label: issue.label.clone(),
        why: Skipped::Unreadable(issue.problem),
        expected_digest: None,
    }
}

fn too_large(label: &str) -> SkippedFile {
    SkippedFile {
        label: label.to_string(),
        why: Skipped::TooLarge,
        expected_digest: None,
    }
}

fn plan_bag(root: PathBuf, bag: Bag) -> Result<Plan, PlanError> {
    let mut warnings = Vec::new();
    if bag.payload.keys().all(|a| a.is_weak()) {
        warnings
            .push("the bag's manifests use MD5 or SHA-1 only, which a tamperer can defeat".into());
    }
    for name in &bag.skipped_manifests {
        warnings.push(format!(
            "{name} uses an algorithm Airlock cannot check; it was skipped"
        ));
    }
    let mut bag_problems = validate_tags(&bag);
    let expected = bag.payload_digests();
    let walked = walk(&root.join("data"));
    let mut skipped: Vec<SkippedFile> = walked
        .problems
        .iter()
        .map(|p| SkippedFile {
            label: format!("data/{}", p.label),
            ..unreadable(p)
        })
        .collect();
    let mut files = Vec::new();
    let mut present = BTreeSet::new();
    let mut octets = 0u64;
    for f in walked.files {
        let Ok(path) = RelPath::parse(&format!("data/{}", f.path.as_str()), false) else {
            continue;
        };
        present.insert(path.clone());
        let exp = expected.get(&path);
        if exp.is_some() {
            octets += f.size;
        }
        if f.size > MAX_FILE_BYTES {
            skipped.push(too_large(path.as_str()));
            continue;
        }
        files.push(PlannedFile {
            listed: exp.is_some(),
            expected: exp.cloned().unwrap_or_default(),
            path,
            fs_path: f.fs_path,
            size: f.size,
            modified: f.modified,
        });
    }
    for (path, digests) in &expected {
        if !present.contains(path) && !skipped.iter().any(|s| s.label == path.as_str()) {
            skipped.push(SkippedFile {
                label: path.to_string(),
                why: Skipped::Missing,
                expected_digest: digests.first().cloned(),
            });
        }
    }
    if let Some((want_octets, want_streams)) = bag.oxum {
        if want_octets != octets || want_streams != expected.len() as u64 {
            bag_problems.push(format!(
                "Payload-Oxum declares {want_octets} bytes in {want_streams} files; the manifests list {} files and {octets} bytes are present",
                expected.len()
            ));
        }
    }
    let mut manifest_bytes = Vec::new();
    for (alg, _) in bag.payload.iter() {
        if let Ok(b) = std::fs::read(root.join(format!("manifest-{alg}.txt"))) {
            manifest_bytes.extend_from_slice(&b);
        }
    }
    Ok(Plan {
        mode: SourceMode::Bagit,
        manifest_bytes: Some(manifest_bytes),
        manifest_style: Some(ManifestStyle::BagIt),
        algorithms: bag
            .payload
            .keys()
            .copied()
            .filter(|a| *a != Algorithm::Sha256)
            .collect(),
        files,
        skipped,
        bag_problems,
        bag_info: bag.info.clone(),
        warnings,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha(b: &[u8]) -> String {
        hex::encode(Sha256::digest(b))
    }

    #[test]
    fn folder_with_manifest_finds_missing_extra_and_skips_itself() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        std::fs::write(r.join("a.txt"), b"alpha").unwrap();
        std::fs::write(r.join("extra.txt"), b"x").unwrap();
        std::fs::write(
            r.join("SHA256SUMS"),
            format!("{}  a.txt\n{}  gone.txt\n", sha(b"alpha"), sha(b"g")),
        )
        .unwrap();
        let p = plan(&PlanRequest {
            source: r.into(),
            ..PlanRequest::default()
        })
        .unwrap();
        assert_eq!(p.mode, SourceMode::Manifest);
        let files: Vec<_> = p
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.listed))
            .collect();
        assert_eq!(files, [("a.txt", true), ("extra.txt", false)]);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].why, Skipped::Missing);
        assert!(p.warnings[0].contains("SHA256SUMS"));
    }

    #[test]
    fn a_hostile_manifest_refuses_the_whole_plan() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"alpha").unwrap();
        let m = dir.path().join("m.sha256");
        std::fs::write(&m, format!("{}  ../a.txt\n", sha(b"alpha"))).unwrap();
        let e = plan(&PlanRequest {
            source: dir.path().into(),
            manifest: Some(m),
            bagit: false,
        })
        .unwrap_err();
        assert!(matches!(e, PlanError::Manifest(_)), "{e}");
    }

    #[test]
    fn bare_folder_is_a_baseline_and_bagit_flag_needs_a_bag() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            plan(&PlanRequest {
                source: dir.path().into(),
                ..PlanRequest::default()
            })
            .unwrap_err(),
            PlanError::NoFiles
        );
        std::fs::write(dir.path().join("a.txt"), b"alpha").unwrap();
        let p = plan(&PlanRequest {
            source: dir.path().into(),
            ..PlanRequest::default()
        })
        .unwrap();
        assert_eq!(p.mode, SourceMode::Folder);
        assert!(p.files[0].expected.is_empty());
        assert_eq!(
            plan(&PlanRequest {
                source: dir.path().into(),
                bagit: true,
                ..PlanRequest::default()
            })
            .unwrap_err(),
            PlanError::NotABag
        );
    }

    #[test]
    fn bags_plan_their_payload_and_check_oxum_and_tags_first() {
        let dir = tempfile::tempdir().unwrap();
        crate::bagit::tests::make_bag(dir.path(), &[("a.txt", b"alpha"), ("b/c.txt", b"c")]);
        let p = plan(&PlanRequest {
            source: dir.path().into(),
            bagit: true,
            ..PlanRequest::default()
        })
        .unwrap();
        assert_eq!(p.mode, SourceMode::Bagit);
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.files[0].expected.len(), 2, "sha256 and sha512");
        assert!(p.bag_problems.is_empty(), "{:?}", p.bag_problems);
        std::fs::write(dir.path().join("data/new.txt"), b"n").unwrap();
        std::fs::write(dir.path().join("bag-info.txt"), "Payload-Oxum: 1.1\n").unwrap();
        let p = plan(&PlanRequest {
            source: dir.path().into(),
            ..PlanRequest::default()
        })
        .unwrap();
        assert!(p.files.iter().any(|f| !f.listed), "the new file is extra");
        assert_eq!(
            p.bag_problems.len(),
            2,
            "tag manifest and oxum: {:?}",
            p.bag_problems
        );
    }

    #[test]
    fn files_over_4_gib_are_refused_without_being_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"alpha").unwrap();
        // A sparse file: 4 GiB + 1 byte, made instantly, never read.
        let big = std::fs::File::create(dir.path().join("huge.dcm")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        let p = plan(&PlanRequest {
            source: dir.path().into(),
            ..PlanRequest::default()
        })
        .unwrap();
        assert_eq!(p.files.len(), 1);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].why, Skipped::TooLarge);
        assert_eq!(p.skipped[0].label, "huge.dcm");
    }
}
