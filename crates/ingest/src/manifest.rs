//! Checksum manifests: GNU coreutils (`sha256sum`, `sha512sum`, `sha1sum`, `md5sum`, text
//! and binary markers, `\`-escaped names), BSD tags (`sha256sum --tag`), and BagIt
//! payload/tag manifests (RFC 8493 §2.1.3, percent-encoded names).
//!
//! Parsing is all or nothing: a manifest with one malformed, escaping or duplicated line
//! is refused as a whole, naming the line, so nothing is received on the word of a file
//! that was damaged or tampered with. Errors carry line numbers, never the line's text.

use crate::digest::Algorithm;
use crate::relpath::{PathProblem, RelPath};
use std::collections::{BTreeSet, HashMap};

/// Largest manifest accepted (64 MiB is millions of entries).
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// Which syntax the manifest was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestStyle {
    /// `sha256sum` output: `HEX  name` or `HEX *name`.
    Gnu,
    /// `sha256sum --tag` output: `SHA256 (name) = HEX`.
    BsdTag,
    /// A BagIt `manifest-ALG.txt` or `tagmanifest-ALG.txt`.
    BagIt,
}

/// One line of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file it names, relative to the manifest's root.
    pub path: RelPath,
    /// The algorithm of `digest`.
    pub algorithm: Algorithm,
    /// The expected digest.
    pub digest: Vec<u8>,
    /// 1-based line number, for messages.
    pub line: usize,
}

/// A parsed manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The syntax it used.
    pub style: ManifestStyle,
    /// Its entries, in file order.
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// The algorithms its entries use.
    pub fn algorithms(&self) -> BTreeSet<Algorithm> {
        self.entries.iter().map(|e| e.algorithm).collect()
    }

    /// Whether any entry relies on MD5 or SHA-1 alone.
    pub fn uses_weak_algorithm(&self) -> bool {
        self.algorithms().iter().any(|a| a.is_weak())
    }
}

/// What is wrong with one manifest line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineProblem {
    /// Not in any manifest syntax this reader knows.
    #[error("it is not a checksum line (expected `HEX  NAME`, `HEX *NAME` or `ALG (NAME) = HEX`)")]
    Malformed,
    /// The checksum is not hexadecimal of a known length.
    #[error("its checksum is not hexadecimal of a known length (MD5, SHA-1, SHA-256, SHA-512)")]
    BadDigest,
    /// The `ALG` of a tag line is unknown or disagrees with the digest length.
    #[error("its algorithm is unknown or does not match the checksum length")]
    BadAlgorithm,
    /// The line's escapes (`\\`, `\n`, `%0A`…) are invalid.
    #[error("its file name has an invalid escape sequence")]
    BadEscape,
    /// The file name is unacceptable.
    #[error("its file name is refused: {0}")]
    Path(PathProblem),
    /// A BagIt manifest line names a file outside `data/` (payload manifests only).
    #[error("a payload manifest names a file outside data/")]
    OutsidePayload,
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// A line is unacceptable.
    #[error("manifest line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// Two lines name the same file.
    #[error("manifest lines {first} and {line} name the same file")]
    Duplicate {
        /// The earlier line.
        first: usize,
        /// The later line.
        line: usize,
    },
    /// A line is not UTF-8.
    #[error("manifest line {0} is not UTF-8 text")]
    NotUtf8(usize),
    /// The manifest has no entries.
    #[error("the manifest lists no files")]
    Empty,
    /// Larger than [`MAX_MANIFEST_BYTES`].
    #[error("the manifest is larger than 64 MiB")]
    TooLarge,
    /// Mixed GNU and BSD-tag lines (a concatenation of two different manifests).
    #[error("manifest line {0} switches between GNU and BSD-tag syntax")]
    MixedStyles(usize),
}

fn line_err(line: usize, problem: LineProblem) -> ManifestError {
    ManifestError::Line { line, problem }
}

fn parse_hex(text: &str, line: usize) -> Result<(Algorithm, Vec<u8>), ManifestError> {
    let alg = Algorithm::from_hex_len(text.len())
        .ok_or_else(|| line_err(line, LineProblem::BadDigest))?;
    let digest = hex::decode(text).map_err(|_| line_err(line, LineProblem::BadDigest))?;
    Ok((alg, digest))
}

/// Undoes coreutils' escaping of names holding `\`, newline or carriage return.
fn gnu_unescape(name: &str, line: usize) -> Result<String, ManifestError> {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => return Err(line_err(line, LineProblem::BadEscape)),
        }
    }
    Ok(out)
}

/// Undoes BagIt's percent-encoding, which covers exactly `%0A`, `%0D` and `%25`.
fn bagit_unescape(name: &str, line: usize) -> Result<String, ManifestError> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 3)
            .ok_or_else(|| line_err(line, LineProblem::BadEscape))?;
        out.push(match code.to_ascii_uppercase().as_str() {
            "0A" => '\n',
            "0D" => '\r',
            "25" => '%',
            _ => return Err(line_err(line, LineProblem::BadEscape)),
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses one GNU line (`HEX  name`, `HEX *name`, optionally `\`-prefixed when escaped).
fn gnu_line(text: &str, line: usize) -> Result<(Algorithm, Vec<u8>, String), ManifestError> {
    let (escaped, text) = match text.strip_prefix('\\') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (hex, rest) = text
        .split_once(' ')
        .ok_or_else(|| line_err(line, LineProblem::Malformed))?;
    let name = rest
        .strip_prefix(' ')
        .or_else(|| rest.strip_prefix('*'))
        .ok_or_else(|| line_err(line, LineProblem::Malformed))?;
    let (alg, digest) = parse_hex(hex, line)?;
    let name = if escaped {
        gnu_unescape(name, line)?
    } else {
        name.to_string()
    };
    Ok((alg, digest, name))
}

/// Parses one BSD tag line (`SHA256 (name) = HEX`).
fn tag_line(text: &str, line: usize) -> Result<(Algorithm, Vec<u8>, String), ManifestError> {
    let (escaped, text) = match text.strip_prefix('\\') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (alg_name, rest) = text
        .split_once(" (")
        .ok_or_else(|| line_err(line, LineProblem::Malformed))?;
    let (name, hex) = rest
        .rsplit_once(") = ")
        .ok_or_else(|| line_err(line, LineProblem::Malformed))?;
    let (alg, digest) = parse_hex(hex, line)?;
    let named: Algorithm = alg_name
        .parse()
        .map_err(|_| line_err(line, LineProblem::BadAlgorithm))?;
    if named != alg {
        return Err(line_err(line, LineProblem::BadAlgorithm));
    }
    let name = if escaped {
        gnu_unescape(name, line)?
    } else {
        name.to_string()
    };
    Ok((alg, digest, name))
}

fn is_tag_line(text: &str) -> bool {
    let t = text.strip_prefix('\\').unwrap_or(text);
    t.split_once(" (")
        .is_some_and(|(alg, _)| alg.parse::<Algorithm>().is_ok())
        && t.contains(") = ")
}

/// Splits bytes into lines (LF, with an optional CR before it), yielding 1-based numbers.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
}

fn push_unique(
    entries: &mut Vec<Entry>,
    seen: &mut HashMap<RelPath, usize>,
    entry: Entry,
) -> Result<(), ManifestError> {
    if let Some(first) = seen.insert(entry.path.clone(), entry.line) {
        return Err(ManifestError::Duplicate {
            first,
            line: entry.line,
        });
    }
    entries.push(entry);
    Ok(())
}

/// Parses a coreutils manifest (GNU or BSD-tag lines; blank lines are skipped).
pub fn parse_checksum_file(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut entries = Vec::new();
    let mut seen = HashMap::new();
    let mut style = None;
    for (line, raw) in lines(bytes) {
        let text = std::str::from_utf8(raw).map_err(|_| ManifestError::NotUtf8(line))?;
        if text.trim().is_empty() {
            continue;
        }
        let this = if is_tag_line(text) {
            ManifestStyle::BsdTag
        } else {
            ManifestStyle::Gnu
        };
        match style {
            None => style = Some(this),
            Some(s) if s != this => return Err(ManifestError::MixedStyles(line)),
            _ => {}
        }
        let (algorithm, digest, name) = match this {
            ManifestStyle::BsdTag => tag_line(text, line)?,
            _ => gnu_line(text, line)?,
        };
        let name = name.strip_prefix("./").unwrap_or(&name);
        let path = RelPath::parse(name, false).map_err(|p| line_err(line, LineProblem::Path(p)))?;
        push_unique(
            &mut entries,
            &mut seen,
            Entry {
                path,
                algorithm,
                digest,
                line,
            },
        )?;
    }
    if entries.is_empty() {
        return Err(ManifestError::Empty);
    }
    Ok(Manifest {
        style: style.unwrap_or(ManifestStyle::Gnu),
        entries,
    })
}

/// Parses a BagIt manifest for `algorithm`. With `payload`, every path must lie under
/// `data/`; tag manifests name files outside it.
pub fn parse_bagit_manifest(
    bytes: &[u8],
    algorithm: Algorithm,
    payload: bool,
) -> Result<Manifest, ManifestError> {
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge);
    }
    let mut entries = Vec::new();
    let mut seen = HashMap::new();
    for (line, raw) in lines(bytes) {
        let text = std::str::from_utf8(raw).map_err(|_| ManifestError::NotUtf8(line))?;
        if text.trim().is_empty() {
            continue;
        }
        let split = text
            .find([' ', '\t'])
            .ok_or_else(|| line_err(line, LineProblem::Malformed))?;
        let (hex, rest) = text.split_at(split);
        let name = rest.trim_start_matches([' ', '\t']);
        if name.is_empty() {
            return Err(line_err(line, LineProblem::Malformed));
        }
        let (alg, digest) = parse_hex(hex, line)?;
        if alg != algorithm {
            return Err(line_err(line, LineProblem::BadAlgorithm));
        }
        let name = bagit_unescape(name, line)?;
        let path =
            RelPath::parse(&name, false).map_err(|p| line_err(line, LineProblem::Path(p)))?;
        if payload && path.strip_first("data").is_none() {
            return Err(line_err(line, LineProblem::OutsidePayload));
        }
        push_unique(
            &mut entries,
            &mut seen,
            Entry {
                path,
                algorithm,
                digest,
                line,
            },
        )?;
    }
    Ok(Manifest {
        style: ManifestStyle::BagIt,
        entries,
    })
}

/// Writes one BagIt manifest line for `path` (percent-encoding CR, LF and `%`).
pub fn bagit_line(digest: &[u8], path: &str) -> String {
    let mut name = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => name.push_str("%25"),
            '\n' => name.push_str("%0A"),
            '\r' => name.push_str("%0D"),
            c => name.push(c),
        }
    }
    format!("{}  {}\n", hex::encode(digest), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H64: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn gnu_text_binary_escaped_and_crlf_lines() {
        let text =
            format!("{H64}  a.txt\r\n{H64} *dir/b.dcm\n\\{H64}  odd\\\\name\n\n{H64}  ./c\n");
        let m = parse_checksum_file(text.as_bytes()).unwrap();
        assert_eq!(m.style, ManifestStyle::Gnu);
        let names: Vec<_> = m.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(names, ["a.txt", "dir/b.dcm", "odd\\name", "c"]);
        assert_eq!(m.entries[3].line, 5);
        assert!(!m.uses_weak_algorithm());
    }

    #[test]
    fn control_characters_in_unescaped_names_are_refused() {
        let text = format!("\\{H64}  a\\nb\n");
        // Escaped newlines are valid coreutils output but not acceptable file names here.
        let err = parse_checksum_file(text.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            ManifestError::Line {
                line: 1,
                problem: LineProblem::Path(PathProblem::ControlCharacter)
            }
        );
    }

    #[test]
    fn bsd_tags_and_weak_algorithms() {
        let text = "MD5 (x.txt) = 900150983cd24fb0d6963f7d28e17f72\n";
        let m = parse_checksum_file(text.as_bytes()).unwrap();
        assert_eq!(m.style, ManifestStyle::BsdTag);
        assert!(m.uses_weak_algorithm());
        let bad = format!("SHA512 (x) = {H64}\n");
        assert_eq!(
            parse_checksum_file(bad.as_bytes()).unwrap_err(),
            line_err(1, LineProblem::BadAlgorithm)
        );
    }

    #[test]
    fn hostile_manifests_are_refused_with_line_numbers() {
        let cases: Vec<(String, ManifestError)> = vec![
            (
                format!("{H64}  ok\n{H64}  ../../etc/passwd\n"),
                line_err(2, LineProblem::Path(PathProblem::Escapes)),
            ),
            (
                format!("{H64}  /etc/passwd\n"),
                line_err(1, LineProblem::Path(PathProblem::Absolute)),
            ),
            (
                format!("{H64}  a\n{H64}  b\n{H64} *a\n"),
                ManifestError::Duplicate { first: 1, line: 3 },
            ),
            (
                "not a manifest line\n".into(),
                line_err(1, LineProblem::Malformed),
            ),
            (
                format!("{}  a\n", &H64[..60]),
                line_err(1, LineProblem::BadDigest),
            ),
            (
                format!("{}  a\n", H64.replace('b', "g")),
                line_err(1, LineProblem::BadDigest),
            ),
            (format!("{H64} a\n"), line_err(1, LineProblem::Malformed)),
            ("\n\n".into(), ManifestError::Empty),
            (
                format!("{H64}  a\nSHA256 (b) = {H64}\n"),
                ManifestError::MixedStyles(2),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_checksum_file(text.as_bytes()).unwrap_err(), want);
        }
        let mut non_utf8 = format!("{H64}  a\n{H64}  ").into_bytes();
        non_utf8.extend_from_slice(b"\xff\xfe\n");
        assert_eq!(
            parse_checksum_file(&non_utf8).unwrap_err(),
            ManifestError::NotUtf8(2)
        );
    }

    #[test]
    fn error_messages_never_quote_the_line() {
        let text = format!("{H64}  ../Jane Doe MRN 12345.txt\n");
        let msg = parse_checksum_file(text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("Jane"), "{msg}");
        assert!(msg.contains("line 1"));
    }

    #[test]
    fn bagit_manifests_percent_decode_and_stay_in_data() {
        let text = format!("{H64}  data/a%25b.txt\n{H64}\tdata/two  spaces.txt\n");
        let m = parse_bagit_manifest(text.as_bytes(), Algorithm::Sha256, true).unwrap();
        assert_eq!(m.entries[0].path.as_str(), "data/a%b.txt");
        assert_eq!(m.entries[1].path.as_str(), "data/two  spaces.txt");
        let outside = format!("{H64}  bag-info.txt\n");
        assert_eq!(
            parse_bagit_manifest(outside.as_bytes(), Algorithm::Sha256, true).unwrap_err(),
            line_err(1, LineProblem::OutsidePayload)
        );
        assert!(parse_bagit_manifest(outside.as_bytes(), Algorithm::Sha256, false).is_ok());
        let bad = format!("{H64}  data/%41\n");
        assert_eq!(
            parse_bagit_manifest(bad.as_bytes(), Algorithm::Sha256, true).unwrap_err(),
            line_err(1, LineProblem::BadEscape)
        );
        assert_eq!(bagit_line(&[0xab], "data/100%\n"), "ab  data/100%25%0A\n");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_checksum_file(&bytes);
            let _ = parse_bagit_manifest(&bytes, Algorithm::Sha256, true);
        }

        #[test]
        fn written_bagit_lines_parse_back(name in "[a-zA-Z0-9 %._-]{1,40}") {
            let path = format!("data/{name}");
            proptest::prop_assume!(RelPath::parse(&path, false).is_ok());
            let line = bagit_line(&[7u8; 32], &path);
            let m = parse_bagit_manifest(line.as_bytes(), Algorithm::Sha256, true).unwrap();
            proptest::prop_assert_eq!(m.entries[0].path.as_str(), path.as_str());
        }
    }
}
