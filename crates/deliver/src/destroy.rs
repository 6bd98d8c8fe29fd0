//! Removing a vault's files after its keys are destroyed, in a way that survives being
//! interrupted, and checking that nothing of it remains.
//!
//! The vault format (docs/formats/vault.md) owns these top-level names, and only these
//! are ever removed: `vault.json`, `vault.db`, `vault.db-wal`, `vault.db-shm`,
//! `vault.db-journal`, `ingest.lock`, `blobs/` and `intake/` (with everything inside),
//! `.tmp-*` (interrupted atomic writes), and this module's marker
//! [`DESTROY_MARKER`]. Anything else in the directory is reported as foreign and left
//! alone. Symbolic links are removed as links, never followed.
//!
//! [`remove_vault_files`] first writes the marker (holding the vault id), then removes the
//! database files, `intake/`, `blobs/`, the lock and temp files, and the header
//! `vault.json` last; each directory is fsynced after its entries are removed and its
//! parent after it is. The marker goes last, then the directory itself if it is empty. A
//! run killed at any point is finished by running it again: the header or, once the
//! header is gone, the marker still says which vault this is.
//!
//! Cryptographic erase (destroying every key slot) is the vault crate's job and must come
//! first; this module only deletes ciphertext and metadata.

use crate::atomic::{parent_dir, sibling_temp, sync_dir};
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Written into the vault directory while its files are being removed; holds the vault id.
pub const DESTROY_MARKER: &str = ".airlock-destroying";

/// Top-level files of the vault format, removed in this order (the header last).
const DB_FILES: [&str; 4] = [
    "vault.db-wal",
    "vault.db-shm",
    "vault.db-journal",
    "vault.db",
];
const TREES: [&str; 2] = ["intake", "blobs"];
const LOCK: &str = "ingest.lock";
const HEADER: &str = "vault.json";
const MAX_HEADER_BYTES: u64 = 16 * 1024 * 1024;

/// Why the files could not be removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DestroyError {
    /// The path is not a directory (or is a symbolic link to one).
    #[error("the vault path is not a directory")]
    NotADirectory,
    /// Neither the header nor the marker names this vault id: refusing to delete.
    #[error("this directory does not hold the vault to destroy (its header and marker name another vault or none)")]
    NotThisVault,
    /// A file system operation failed.
    #[error("{step}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

fn io_err(step: &'static str) -> impl FnOnce(io::Error) -> DestroyError {
    move |source| DestroyError::Io { step, source }
}

/// What kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory (removed after its content).
    Directory,
    /// A symbolic link (removed itself, not followed).
    Symlink,
    /// A FIFO, socket or device node.
    Other,
}

/// One entry of the vault to remove, relative to the vault directory (names are fixed
/// format names or keyed blob hashes, never patient data).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VaultEntry {
    /// `/`-separated path inside the vault directory (lossy for names that are not
    /// UTF-8; removal uses the exact name).
    pub path: String,
    #[serde(skip)]
    rel: PathBuf,
    /// Its kind.
    pub kind: EntryKind,
    /// Its size (files only).
    pub bytes: u64,
}

/// Everything [`remove_vault_files`] would remove, in removal order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemovalPlan {
    /// Entries in removal order (a directory after its content).
    pub entries: Vec<VaultEntry>,
    /// Files (and links and special files) among them.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Whether `vault.json` is there.
    pub header_present: bool,
    /// Whether an earlier removal was interrupted (the marker is there).
    pub interrupted_run: bool,
    /// Top-level names that are not part of the vault format (left alone).
    pub foreign: Vec<String>,
}

/// The re-scan after removal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemovalVerification {
    /// Vault entries still present (empty when verification passed).
    pub remaining: Vec<String>,
    /// Whether the vault directory itself is gone.
    pub directory_removed: bool,
    /// Whether nothing of the vault remains.
    pub passed: bool,
}

/// What [`remove_vault_files`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemovalReport {
    /// Files, links and special files removed by this run.
    pub files_removed: u64,
    /// Their bytes.
    pub bytes_removed: u64,
    /// Directories removed by this run (the vault directory included).
    pub directories_removed: u64,
    /// Whether this run finished an interrupted one.
    pub resumed: bool,
    /// Top-level names left alone because the vault format does not own them.
    pub foreign: Vec<String>,
    /// The re-scan.
    pub verification: RemovalVerification,
}

fn is_vault_name(name: &str) -> bool {
    DB_FILES.contains(&name)
        || TREES.contains(&name)
        || name == LOCK
        || name == HEADER
        || name == DESTROY_MARKER
        || name.starts_with(".tmp-")
}

/// Removal order of a top-level name (header, then marker, last).
fn rank(name: &str) -> usize {
    if let Some(i) = DB_FILES.iter().position(|n| *n == name) {
        return i;
    }
    if let Some(i) = TREES.iter().position(|n| *n == name) {
        return 10 + i;
    }
    match name {
        LOCK => 20,
        HEADER => 40,
        DESTROY_MARKER => 50,
        _ => 30, // .tmp-*
    }
}

fn kind_of(ft: fs::FileType) -> EntryKind {
    if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_dir() {
        EntryKind::Directory
    } else if ft.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    }
}

/// Appends `rel` (and, for a directory, its content first) to `out`.
fn scan_entry(root: &Path, rel: PathBuf, out: &mut Vec<VaultEntry>) -> Result<(), DestroyError> {
    let full = root.join(&rel);
    let meta = fs::symlink_metadata(&full).map_err(io_err("reading the vault directory"))?;
    let kind = kind_of(meta.file_type());
    if kind == EntryKind::Directory {
        for n in sorted_names(&full)? {
            scan_entry(root, rel.join(n), out)?;
        }
    }
    let path = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    out.push(VaultEntry {
        path,
        rel,
        kind,
        bytes: if kind == EntryKind::File {
            meta.len()
        } else {
            0
        },
    });
    Ok(())
}

/// The entry names of `dir`, sorted, exactly as the file system has them.
fn sorted_names(dir: &Path) -> Result<Vec<OsString>, DestroyError> {
    let mut names = fs::read_dir(dir)
        .map_err(io_err("reading the vault directory"))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err("reading the vault directory"))?;
    names.sort();
    Ok(names)
}

fn check_dir(dir: &Path) -> Result<(), DestroyError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(DestroyError::NotADirectory),
        Err(e) => Err(DestroyError::Io {
            step: "opening the vault directory",
            source: e,
        }),
    }
}

/// Lists what removing the vault at `dir` would delete, without deleting anything.
pub fn plan_vault_removal(dir: &Path) -> Result<RemovalPlan, DestroyError> {
    check_dir(dir)?;
    let mut top = sorted_names(dir)?;
    top.sort_by_key(|n| n.to_str().map_or(usize::MAX, rank));
    let mut entries = Vec::new();
    let mut foreign = Vec::new();
    for name in &top {
        match name.to_str() {
            Some(n) if is_vault_name(n) => scan_entry(dir, PathBuf::from(name), &mut entries)?,
            _ => foreign.push(name.to_string_lossy().into_owned()),
        }
    }
    foreign.sort();
    let files = entries
        .iter()
        .filter(|e| e.kind != EntryKind::Directory)
        .count() as u64;
    Ok(RemovalPlan {
        files,
        bytes: entries.iter().map(|e| e.bytes).sum(),
        header_present: top.iter().any(|n| n == HEADER),
        interrupted_run: top.iter().any(|n| n == DESTROY_MARKER),
        entries,
        foreign,
    })
}

fn read_limited(path: &Path, limit: u64) -> Option<Vec<u8>> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > limit {
        return None;
    }
    let mut buf = Vec::new();
    fs::File::open(path)
        .ok()?
        .take(limit)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

/// Whether `dir` holds the vault `vault_id`: its header says so or, once the header is
/// gone, the marker does.
fn is_this_vault(dir: &Path, plan: &RemovalPlan, vault_id: &str) -> bool {
    if plan.header_present {
        let header = read_limited(&dir.join(HEADER), MAX_HEADER_BYTES)
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        return header.is_some_and(|h| {
            h["format"] == "airlock-vault" && h["vault_id"].as_str() == Some(vault_id)
        });
    }
    plan.interrupted_run
        && read_limited(&dir.join(DESTROY_MARKER), 1024)
            .is_some_and(|m| String::from_utf8_lossy(&m).trim() == vault_id)
}

/// Writes the marker durably (temp file, fsync, rename, fsync the directory).
fn write_marker(dir: &Path, vault_id: &str) -> Result<(), DestroyError> {
    let target = dir.join(DESTROY_MARKER);
    let tmp = sibling_temp(&target);
    let step = "writing the destruction marker";
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(vault_id.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, &target)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(step))
}

fn remove_one(full: &Path, kind: EntryKind) -> io::Result<()> {
    let r = if kind == EntryKind::Directory {
        fs::remove_dir(full)
    } else {
        fs::remove_file(full)
    };
    match r {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Removes the vault `vault_id` at `dir` (see the module documentation), then re-scans.
/// Refuses ([`DestroyError::NotThisVault`]) unless the header, or the marker of an
/// interrupted run, names `vault_id`; a directory where nothing of a vault remains is
/// reported as verified without touching anything.
pub fn remove_vault_files(dir: &Path, vault_id: &str) -> Result<RemovalReport, DestroyError> {
    if fs::symlink_metadata(dir).is_err_and(|e| e.kind() == io::ErrorKind::NotFound) {
        // A run that was interrupted after removing the directory itself.
        return Ok(RemovalReport {
            files_removed: 0,
            bytes_removed: 0,
            directories_removed: 0,
            resumed: true,
            foreign: Vec::new(),
            verification: verify_vault_removed(dir),
        });
    }
    let plan = plan_vault_removal(dir)?;
    let resumed = plan.interrupted_run;
    let mut report = RemovalReport {
        files_removed: 0,
        bytes_removed: 0,
        directories_removed: 0,
        resumed,
        foreign: plan.foreign.clone(),
        verification: RemovalVerification {
            remaining: Vec::new(),
            directory_removed: false,
            passed: false,
        },
    };
    if !plan.entries.is_empty() {
        if !is_this_vault(dir, &plan, vault_id) {
            return Err(DestroyError::NotThisVault);
        }
        if !resumed {
            write_marker(dir, vault_id)?;
        }
        let step = "removing vault files";
        for e in plan.entries.iter().filter(|e| e.path != DESTROY_MARKER) {
            let full = dir.join(&e.rel);
            if e.kind == EntryKind::Directory {
                // Its content is gone: make that durable, then remove it and make that
                // durable in its parent.
                match sync_dir(&full) {
                    Err(err) if err.kind() != io::ErrorKind::NotFound => {
                        return Err(DestroyError::Io { step, source: err })
                    }
                    _ => {}
                }
                remove_one(&full, e.kind).map_err(io_err(step))?;
                sync_dir(full.parent().unwrap_or(dir)).map_err(io_err(step))?;
                report.directories_removed += 1;
            } else {
                remove_one(&full, e.kind).map_err(io_err(step))?;
                report.files_removed += 1;
                report.bytes_removed += e.bytes;
            }
        }
        // Everything else is durably gone before the marker goes.
        sync_dir(dir).map_err(io_err(step))?;
        remove_one(&dir.join(DESTROY_MARKER), EntryKind::File).map_err(io_err(step))?;
        sync_dir(dir).map_err(io_err(step))?;
    }
    if plan.foreign.is_empty() && fs::remove_dir(dir).is_ok() {
        report.directories_removed += 1;
        sync_dir(parent_dir(dir)).map_err(io_err("removing the vault directory"))?;
    }
    report.verification = verify_vault_removed(dir);
    Ok(report)
}

/// Re-scans `dir`: passes when no entry of the vault format remains (foreign files do not
/// count) or the directory is gone.
pub fn verify_vault_removed(dir: &Path) -> RemovalVerification {
    if fs::symlink_metadata(dir).is_err() {
        return RemovalVerification {
            remaining: Vec::new(),
            directory_removed: true,
            passed: true,
        };
    }
    match plan_vault_removal(dir) {
        Ok(plan) => {
            let remaining: Vec<String> = plan.entries.into_iter().map(|e| e.path).collect();
            RemovalVerification {
                passed: remaining.is_empty(),
                remaining,
                directory_removed: false,
            }
        }
        Err(_) => RemovalVerification {
            remaining: vec![".".into()],
            directory_removed: false,
            passed: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "6b1d5a2e-3c4f-4a5b-9c8d-7e6f5a4b3c2d";

    /// A vault directory as the vault crate leaves it after crypto-erase (header without
    /// slots), with every kind of file the format has, plus one foreign file.
    fn fake_vault(dir: &Path) {
        fs::create_dir_all(dir.join("blobs/s/ab")).unwrap();
        fs::create_dir_all(dir.join("blobs/w/cd")).unwrap();
        fs::create_dir_all(dir.join("intake")).unwrap();
        let header = format!(
            "{{\"format\":\"airlock-vault\",\"version\":1,\"vault_id\":\"{ID}\",\"slots\":[]}}"
        );
        fs::write(dir.join("vault.json"), header).unwrap();
        fs::write(dir.join("vault.db"), vec![1u8; 4096]).unwrap();
        fs::write(dir.join("vault.db-wal"), vec![2u8; 100]).unwrap();
        fs::write(dir.join("vault.db-shm"), vec![3u8; 32]).unwrap();
        fs::write(dir.join("blobs/s/ab/ab01"), b"age-encryption.org/v1 s").unwrap();
        fs::write(dir.join("blobs/w/cd/cd02"), b"age-encryption.org/v1 w").unwrap();
        fs::write(dir.join("intake/0001-a.age"), b"age").unwrap();
        fs::write(dir.join("ingest.lock"), b"").unwrap();
        fs::write(dir.join(".tmp-0011223344556677"), b"half").unwrap();
    }

    #[test]
    fn everything_of_the_format_goes_header_last_and_foreign_files_stay() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        fake_vault(&dir);
        fs::write(dir.join("my-notes.txt"), b"not ours").unwrap();
        let plan = plan_vault_removal(&dir).unwrap();
        let order: Vec<&str> = plan.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            order,
            [
                "vault.db-wal",
                "vault.db-shm",
                "vault.db",
                "intake/0001-a.age",
                "intake",
                "blobs/s/ab/ab01",
                "blobs/s/ab",
                "blobs/s",
                "blobs/w/cd/cd02",
                "blobs/w/cd",
                "blobs/w",
                "blobs",
                "ingest.lock",
                ".tmp-0011223344556677",
                "vault.json",
            ]
        );
        assert_eq!(plan.files, 9);
        assert_eq!(plan.foreign, ["my-notes.txt"]);
        assert!(plan.header_present && !plan.interrupted_run);
        let header_len = fs::metadata(dir.join("vault.json")).unwrap().len();
        let r = remove_vault_files(&dir, ID).unwrap();
        assert_eq!(r.files_removed, 9);
        assert_eq!(
            r.bytes_removed,
            4096 + 100 + 32 + 23 + 23 + 3 + 4 + header_len
        );
        assert_eq!(
            r.directories_removed, 6,
            "intake, blobs and its four subdirectories"
        );
        assert!(r.verification.passed, "{:?}", r.verification);
        assert!(
            !r.verification.directory_removed,
            "a foreign file keeps the directory"
        );
        assert_eq!(r.foreign, ["my-notes.txt"]);
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["my-notes.txt"], "the marker is gone too");
    }

    #[test]
    fn another_vault_or_an_unmarked_folder_is_never_touched() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        fake_vault(&dir);
        let before = plan_vault_removal(&dir).unwrap();
        assert!(matches!(
            remove_vault_files(&dir, "00000000-0000-4000-8000-000000000000"),
            Err(DestroyError::NotThisVault)
        ));
        fs::write(dir.join("vault.json"), b"{\"format\":\"something-else\"}").unwrap();
        assert!(matches!(
            remove_vault_files(&dir, ID),
            Err(DestroyError::NotThisVault)
        ));
        fs::remove_file(dir.join("vault.json")).unwrap();
        assert!(
            matches!(
                remove_vault_files(&dir, ID),
                Err(DestroyError::NotThisVault)
            ),
            "blobs/ without a header or marker could be anyone's"
        );
        assert_eq!(plan_vault_removal(&dir).unwrap().files, before.files - 1);
        fs::write(root.path().join("file"), b"x").unwrap();
        assert!(matches!(
            remove_vault_files(&root.path().join("file"), ID),
            Err(DestroyError::NotADirectory)
        ));
    }

    #[test]
    fn an_interrupted_removal_is_finished_by_the_marker() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        fake_vault(&dir);
        // The state a run killed mid-way leaves: marker written, header and some blobs gone.
        fs::write(dir.join(DESTROY_MARKER), format!("{ID}\n")).unwrap();
        fs::remove_file(dir.join("vault.json")).unwrap();
        fs::remove_file(dir.join("blobs/s/ab/ab01")).unwrap();
        assert!(matches!(
            remove_vault_files(&dir, "00000000-0000-4000-8000-000000000000"),
            Err(DestroyError::NotThisVault)
        ));
        let r = remove_vault_files(&dir, ID).unwrap();
        assert!(r.resumed);
        assert_eq!(r.files_removed, 7);
        assert!(r.verification.passed && r.verification.directory_removed);
        assert!(!dir.exists());
        let again = remove_vault_files(&dir, ID).unwrap();
        assert!(
            again.verification.passed,
            "a rerun after the end is a no-op"
        );
        assert_eq!(again.files_removed, 0);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_removed_not_followed_and_odd_names_removed_exactly() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        fake_vault(&dir);
        let outside = root.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep.txt"), b"keep").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("blobs/w/link")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join(".tmp-link")).unwrap();
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"\xffnot-utf8");
        fs::write(dir.join("blobs/w").join(odd), b"x").unwrap();
        let r = remove_vault_files(&dir, ID).unwrap();
        assert!(r.verification.passed);
        assert_eq!(fs::read(outside.join("keep.txt")).unwrap(), b"keep");
    }

    #[test]
    fn verification_lists_what_remains() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        fake_vault(&dir);
        let v = verify_vault_removed(&dir);
        assert!(!v.passed);
        assert!(v.remaining.contains(&"blobs/s/ab/ab01".to_string()));
        assert!(v.remaining.contains(&"vault.json".to_string()));
    }
}
