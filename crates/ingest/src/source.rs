//! Walking a source folder: every regular file below the root, in path order. Symbolic
//! links are never followed (a link could point anywhere on the laptop), special files
//! and names that are not UTF-8 are reported rather than skipped silently.

use crate::relpath::RelPath;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Deepest folder nesting followed.
const MAX_DEPTH: usize = 64;

/// A regular file found below the root.
#[derive(Debug, Clone)]
pub struct FoundFile {
    /// Its path relative to the root.
    pub path: RelPath,
    /// Its path on this machine.
    pub fs_path: PathBuf,
    /// Its size when walked.
    pub size: u64,
    /// Its modification time when walked.
    pub modified: Option<SystemTime>,
}

/// Why an entry below the root is not a file that can be received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum WalkProblem {
    /// Its name is not valid UTF-8.
    #[error("its name is not UTF-8 text")]
    NotUtf8Name,
    /// A symbolic link (not followed).
    #[error("it is a symbolic link, which is never followed")]
    SymbolicLink,
    /// A device, socket or pipe.
    #[error("it is not a regular file")]
    SpecialFile,
    /// A folder or file that could not be read.
    #[error("it cannot be read (permissions or I/O error)")]
    Unreadable,
    /// Nested deeper than 64 folders.
    #[error("it is nested more than 64 folders deep")]
    TooDeep,
}

/// An entry that could not be received, with a label for the lead (the relative path,
/// lossily decoded when it is not UTF-8).
#[derive(Debug, Clone)]
pub struct WalkIssue {
    /// The relative path as best it can be shown.
    pub label: String,
    /// What is wrong.
    pub problem: WalkProblem,
}

/// Everything found below a root.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files, sorted by path.
    pub files: Vec<FoundFile>,
    /// Entries that are not receivable.
    pub problems: Vec<WalkIssue>,
}

fn label(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Walks `root` without following symbolic links.
pub fn walk(root: &Path) -> Walk {
    let mut out = Walk::default();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(_) => {
                out.problems.push(WalkIssue {
                    label: label(root, &dir),
                    problem: WalkProblem::Unreadable,
                });
                continue;
            }
        };
        for entry in entries {
            let Ok(entry) = entry else {
                out.problems.push(WalkIssue {
                    label: label(root, &dir),
                    problem: WalkProblem::Unreadable,
                });
                continue;
            };
            let path = entry.path();
            let issue = |problem| WalkIssue {
                label: label(root, &path),
                problem,
            };
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                out.problems.push(issue(WalkProblem::Unreadable));
                continue;
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                out.problems.push(issue(WalkProblem::SymbolicLink));
            } else if ft.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    out.problems.push(issue(WalkProblem::TooDeep));
                } else {
                    stack.push((path, depth + 1));
                }
            } else if !ft.is_file() {
                out.problems.push(issue(WalkProblem::SpecialFile));
            } else {
                match RelPath::from_fs(root, &path) {
                    Some(rel) => out.files.push(FoundFile {
                        path: rel,
                        fs_path: path,
                        size: meta.len(),
                        modified: meta.modified().ok(),
                    }),
                    None => out.problems.push(issue(WalkProblem::NotUtf8Name)),
                }
            }
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.problems.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_files_in_order_and_reports_links_without_following() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        std::fs::write(root.join("b/c/z.txt"), b"z").unwrap();
        std::fs::write(root.join("a.txt"), b"aa").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
        std::os::unix::fs::symlink(root.join("b"), root.join("dirlink")).unwrap();
        let w = walk(root);
        let names: Vec<_> = w.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["a.txt", "b/c/z.txt"]);
        assert_eq!(w.files[0].size, 2);
        let problems: Vec<_> = w
            .problems
            .iter()
            .map(|p| (p.label.as_str(), p.problem))
            .collect();
        assert_eq!(
            problems,
            [
                ("dirlink", WalkProblem::SymbolicLink),
                ("link", WalkProblem::SymbolicLink)
            ]
        );
    }

    #[test]
    fn non_utf8_names_are_reported() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"bad\xffname.txt");
        std::fs::write(dir.path().join(name), b"x").unwrap();
        let w = walk(dir.path());
        assert!(w.files.is_empty());
        assert_eq!(w.problems[0].problem, WalkProblem::NotUtf8Name);
        assert!(w.problems[0].label.starts_with("bad"));
    }

    #[test]
    fn special_files_are_reported_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "mkfifo (coreutils) makes a named pipe"
        );
        let w = walk(dir.path());
        assert!(
            w.files.is_empty(),
            "a pipe is never opened (it would block)"
        );
        assert_eq!(w.problems[0].problem, WalkProblem::SpecialFile);
    }
}
