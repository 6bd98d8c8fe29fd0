//! Durable outputs: a file or a directory is built under a sibling `.tmp-<random>` name,
//! fsynced, then renamed into place and its parent directory fsynced. A crash or an error
//! leaves no partial output under the final name; an abandoned temp is removed on drop.

use rand::RngCore;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory holding `target` (`.` for a bare name).
pub(crate) fn parent_dir(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh temp path next to `target`, so the final rename stays on one file system.
pub(crate) fn sibling_temp(target: &Path) -> PathBuf {
    let mut r = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut r);
    parent_dir(target).join(format!(".tmp-{}", hex::encode(r)))
}

/// Fsyncs a directory so that entries created, renamed or removed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Whether anything (even a dangling symbolic link) exists at `path`.
pub(crate) fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// A file written under a temp name and renamed over nothing at [`AtomicFile::commit`].
pub(crate) struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: File,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing `target`, which must not exist yet (`AlreadyExists` otherwise).
    pub(crate) fn create(target: &Path) -> io::Result<AtomicFile> {
        if exists(target) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        let tmp = sibling_temp(target);
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            file,
            committed: false,
        })
    }

    /// Fsyncs the file, renames it to the target and fsyncs the directory. Refuses
    /// (`AlreadyExists`) if something appeared at the target meanwhile.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        if exists(&self.target) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        std::fs::rename(&self.tmp, &self.target)?;
        self.committed = true;
        sync_dir(parent_dir(&self.target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A directory built under a temp name and renamed into place at [`AtomicDir::commit`].
/// Dropped uncommitted, the whole temp tree is removed.
pub(crate) struct AtomicDir {
    target: PathBuf,
    tmp: PathBuf,
    dirs: Vec<PathBuf>,
    committed: bool,
}

impl AtomicDir {
    /// Starts building `target`, which must not exist yet (`AlreadyExists` otherwise).
    pub(crate) fn create(target: &Path) -> io::Result<AtomicDir> {
        if exists(target) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        let tmp = sibling_temp(target);
        std::fs::create_dir(&tmp)?;
        Ok(AtomicDir {
            target: target.to_path_buf(),
            dirs: vec![tmp.clone()],
            tmp,
            committed: false,
        })
    }

    /// The temp root, where the content is built.
    pub(crate) fn root(&self) -> &Path {
        &self.tmp
    }

    /// Creates a subdirectory (its parent must exist) and remembers it for the final fsync.
    pub(crate) fn create_dir(&mut self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)?;
        self.dirs.push(path.to_path_buf());
        Ok(())
    }

    /// Fsyncs every directory built, renames the root into place and fsyncs its parent.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        for d in self.dirs.iter().rev() {
            sync_dir(d)?;
        }
        if exists(&self.target) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        std::fs::rename(&self.tmp, &self.target)?;
        self.committed = true;
        sync_dir(parent_dir(&self.target))
    }
}

impl Drop for AtomicDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_committed_file_appears_whole_and_an_abandoned_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.age");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"ciphertext").unwrap();
        assert!(
            !target.exists(),
            "nothing under the final name before commit"
        );
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"ciphertext");
        let mut g = AtomicFile::create(&dir.path().join("other.age")).unwrap();
        g.write_all(b"half").unwrap();
        drop(g);
        assert_eq!(names(dir.path()), ["out.age"], "the abandoned temp is gone");
        assert_eq!(
            AtomicFile::create(&target).err().map(|e| e.kind()),
            Some(io::ErrorKind::AlreadyExists),
            "an existing output is never replaced"
        );
    }

    #[test]
    fn a_directory_is_renamed_into_place_or_removed_entirely() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("bag");
        let mut d = AtomicDir::create(&target).unwrap();
        let sub = d.root().join("data");
        d.create_dir(&sub).unwrap();
        std::fs::write(sub.join("a.txt"), b"a").unwrap();
        d.commit().unwrap();
        assert_eq!(std::fs::read(target.join("data/a.txt")).unwrap(), b"a");
        let d = AtomicDir::create(&dir.path().join("bag2")).unwrap();
        std::fs::write(d.root().join("x"), b"plaintext").unwrap();
        drop(d);
        assert_eq!(
            names(dir.path()),
            ["bag"],
            "no plaintext temp tree is left behind"
        );
    }
}
