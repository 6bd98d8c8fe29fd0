//! Durable file writes: write a sibling temp file, fsync it, rename over the target,
//! fsync the directory. A crash leaves either the old file or the new one, never half.

use rand::RngCore;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory holding `target` (`.` for a bare file name).
fn parent_dir(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh temp path next to `target` (same directory, so rename is atomic).
pub(crate) fn sibling_temp(target: &Path) -> PathBuf {
    let mut r = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut r);
    parent_dir(target).join(format!(".tmp-{}", hex::encode(r)))
}

/// Fsyncs a directory so a rename inside it is durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `target` atomically and durably (a batch of one).
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut batch = AtomicBatch::new();
    batch.stage(target, bytes)?;
    batch.commit()
}

/// Many files written atomically with few disk flushes, for tools that write a whole folder
/// (a de-identified copy of a DICOM tree): each file goes to an unflushed temp sibling;
/// [`AtomicBatch::commit`] flushes them all, renames each into place and flushes each
/// folder once. A crash before the commit leaves only temp files (never a partial file
/// under a final name); after it, every file is durable. Per-file [`write_atomic`] would
/// flush twice for every file, which dominated such runs. Temps not committed are removed
/// when the batch is dropped.
#[derive(Debug, Default)]
pub struct AtomicBatch {
    staged: Vec<(PathBuf, PathBuf)>,
    bytes: u64,
}

impl AtomicBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `bytes` for `target` to a temp sibling, without flushing it yet.
    pub fn stage(&mut self, target: &Path, bytes: &[u8]) -> io::Result<()> {
        let tmp = sibling_temp(target);
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(bytes));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.staged.push((tmp, target.to_path_buf()));
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Files staged and not yet committed.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    /// True when nothing waits for a commit.
    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// Bytes staged and not yet committed.
    pub fn staged_bytes(&self) -> u64 {
        self.bytes
    }

    /// Flushes every staged file, renames each over its target, then flushes each folder.
    pub fn commit(&mut self) -> io::Result<()> {
        for (tmp, _) in &self.staged {
            // Opened for writing: Windows flushes only handles with write access.
            OpenOptions::new().write(true).open(tmp)?.sync_all()?;
        }
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (tmp, target) in std::mem::take(&mut self.staged) {
            if let Err(e) = std::fs::rename(&tmp, &target) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            let dir = parent_dir(&target).to_path_buf();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        self.bytes = 0;
        dirs.iter().try_for_each(|d| sync_dir(d))
    }
}

impl Drop for AtomicBatch {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_shows_nothing_under_final_names_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let a = dir.path().join("a.dcm");
        let b = dir.path().join("sub/b.dcm");
        std::fs::write(&a, b"old").unwrap();
        let mut batch = AtomicBatch::new();
        batch.stage(&a, b"new a").unwrap();
        batch.stage(&b, b"new b").unwrap();
        assert_eq!((batch.len(), batch.staged_bytes()), (2, 10));
        assert_eq!(
            std::fs::read(&a).unwrap(),
            b"old",
            "the old file stays until commit"
        );
        assert!(!b.exists());
        batch.commit().unwrap();
        assert!(batch.is_empty());
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert_eq!(std::fs::read(&b).unwrap(), b"new b");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp left"
        );
    }

    #[test]
    fn a_dropped_batch_removes_its_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = AtomicBatch::new();
        batch.stage(&dir.path().join("x"), b"x").unwrap();
        drop(batch);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the target remains");
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        assert_eq!(parent_dir(Path::new("a.jsonl")), Path::new("."));
        assert_eq!(parent_dir(Path::new("d/a.jsonl")), Path::new("d"));
    }
}
