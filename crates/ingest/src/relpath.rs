//! Relative paths inside a source folder, validated so that nothing a manifest says can
//! point outside the folder that was received.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Why a path from a manifest (or the file system) is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathProblem {
    /// The path is empty.
    #[error("the path is empty")]
    Empty,
    /// The path is absolute (`/…`, `C:\…`, `\\server\…`).
    #[error("the path is absolute")]
    Absolute,
    /// A component is `..`, which would escape the source folder.
    #[error("the path climbs out of the source folder (`..`)")]
    Escapes,
    /// The path holds a NUL or another control character.
    #[error("the path holds a control character")]
    ControlCharacter,
    /// A component is empty or `.` (e.g. `a//b`, `./a`), so two spellings could name one file.
    #[error("the path has an empty or `.` component")]
    NotCanonical,
    /// Longer than this build accepts (4,096 bytes).
    #[error("the path is longer than 4,096 bytes")]
    TooLong,
}

/// A validated relative path: `/`-separated, UTF-8, no `..`, no empty or `.` parts, not
/// absolute, no control characters. Displaying it shows the path, which may name a
/// patient: only show it to people allowed to see identifiable data.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(String);

impl RelPath {
    /// Validates `text` as a relative path. Backslashes are taken as separators only when
    /// `windows_separators` is set (Windows-made manifests).
    pub fn parse(text: &str, windows_separators: bool) -> Result<RelPath, PathProblem> {
        let text = if windows_separators {
            text.replace('\\', "/")
        } else {
            text.to_string()
        };
        if text.is_empty() {
            return Err(PathProblem::Empty);
        }
        if text.len() > 4096 {
            return Err(PathProblem::TooLong);
        }
        if text.chars().any(|c| c.is_control()) {
            return Err(PathProblem::ControlCharacter);
        }
        let bytes = text.as_bytes();
        let drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
        if text.starts_with('/') || text.starts_with('\\') || drive {
            return Err(PathProblem::Absolute);
        }
        for part in text.split('/') {
            match part {
                ".." => return Err(PathProblem::Escapes),
                "" | "." => return Err(PathProblem::NotCanonical),
                _ => {}
            }
        }
        Ok(RelPath(text))
    }

    /// The path relative to `root` as found by walking the file system. Non-UTF-8 names
    /// are refused (`None`): they cannot be matched to a manifest or shown reliably.
    pub fn from_fs(root: &Path, path: &Path) -> Option<RelPath> {
        let rel = path.strip_prefix(root).ok()?;
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(os) => parts.push(os.to_str()?.to_string()),
                _ => return None,
            }
        }
        RelPath::parse(&parts.join("/"), false).ok()
    }

    /// The path text, `/`-separated.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path below `root` on this machine.
    pub fn under(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        for part in self.0.split('/') {
            p.push(part);
        }
        p
    }

    /// The lower-cased extension of the last component, if any.
    pub fn extension(&self) -> Option<String> {
        let name = self.0.rsplit('/').next()?;
        let (stem, ext) = name.rsplit_once('.')?;
        (!stem.is_empty()).then(|| ext.to_ascii_lowercase())
    }

    /// The path with its first component removed (`data/a/b` → `a/b`), if it starts
    /// with `first`.
    pub fn strip_first(&self, first: &str) -> Option<RelPath> {
        let rest = self.0.strip_prefix(first)?.strip_prefix('/')?;
        Some(RelPath(rest.to_string()))
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug never shows the path (it may name a patient).
impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelPath(<{} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_refused() {
        for (text, problem) in [
            ("", PathProblem::Empty),
            ("/etc/passwd", PathProblem::Absolute),
            ("\\\\server\\share", PathProblem::Absolute),
            ("C:/x", PathProblem::Absolute),
            ("../x", PathProblem::Escapes),
            ("a/../../x", PathProblem::Escapes),
            ("a//b", PathProblem::NotCanonical),
            ("./a", PathProblem::NotCanonical),
            ("a/", PathProblem::NotCanonical),
            ("a\0b", PathProblem::ControlCharacter),
            ("a\nb", PathProblem::ControlCharacter),
        ] {
            assert_eq!(RelPath::parse(text, false), Err(problem), "{text:?}");
        }
        assert_eq!(
            RelPath::parse("..\\x", true),
            Err(PathProblem::Escapes),
            "backslashes count as separators in Windows manifests"
        );
        assert_eq!(RelPath::parse("a\\b", false).unwrap().as_str(), "a\\b");
    }

    #[test]
    fn ordinary_paths_pass_and_debug_hides_them() {
        let p = RelPath::parse("notes/Report 2021.TXT", false).unwrap();
        assert_eq!(p.extension().as_deref(), Some("txt"));
        assert_eq!(format!("{p:?}"), "RelPath(<21 bytes>)");
        assert_eq!(
            p.under(Path::new("/r")),
            Path::new("/r").join("notes").join("Report 2021.TXT")
        );
        assert_eq!(
            RelPath::parse("data/x/y", false)
                .unwrap()
                .strip_first("data")
                .unwrap()
                .as_str(),
            "x/y"
        );
        assert_eq!(RelPath::parse(".bashrc", false).unwrap().extension(), None);
    }
}
