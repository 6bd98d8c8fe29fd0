//! Commands that work on files alone, with no vault and no login: agreement over a CSV
//! of ratings from anywhere, and de-identification of text files on disk. (Receipt and
//! bag checks live beside their use cases.)

use crate::error::{sentence, AppError, ErrorCode};
use crate::json::{CategoryCount, DeidTextFailure, DeidTextPolicy, DeidTextReport};
use airlock_agreement::{report_from_csv, Level, Report};
use airlock_deid::key::ProjectKey;
use airlock_deid::text::{Deidentifier, DocumentContext, Policy};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Inter-annotator agreement over a CSV with columns `item,annotator,label`.
pub fn agreement_from_csv(path: &Path, level: Level) -> Result<Report, AppError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AppError::new(ErrorCode::NotFound, "The ratings file does not exist.")
        }
        _ => AppError::invalid("The ratings file cannot be read."),
    })?;
    report_from_csv(std::io::BufReader::new(file), level)
        .map_err(|e| AppError::invalid(sentence(&e.to_string())))
}

/// Where `deid text` takes its project key from.
pub enum DeidKey {
    /// 64 hexadecimal digits read from a file: surrogates and date shifts are consistent
    /// across runs with the same key.
    File(PathBuf),
    /// A fresh random key for this run only.
    Random,
}

/// The 32 key bytes and whether they came from a file (consistent across runs).
pub(crate) fn key_bytes(k: &DeidKey) -> Result<(zeroize::Zeroizing<[u8; 32]>, bool), AppError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    match k {
        DeidKey::Random => {
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, bytes.as_mut());
            Ok((bytes, false))
        }
        DeidKey::File(p) => {
            let text =
                zeroize::Zeroizing::new(std::fs::read_to_string(p).map_err(
                    |e| match e.kind() {
                        std::io::ErrorKind::NotFound => {
                            AppError::new(ErrorCode::NotFound, "The key file does not exist.")
                        }
                        _ => AppError::invalid("The key file cannot be read."),
                    },
                )?);
            let t = text.trim();
            if t.len() != 64 || hex::decode_to_slice(t, bytes.as_mut()).is_err() {
                return Err(AppError::invalid(format!(
                    "The key file must hold 64 hexadecimal digits (it holds {} characters).",
                    t.chars().count()
                )));
            }
            Ok((bytes, true))
        }
    }
}

fn read_key(k: &DeidKey) -> Result<(ProjectKey, bool), AppError> {
    let (bytes, persistent) = key_bytes(k)?;
    Ok((ProjectKey::from_bytes(*bytes), persistent))
}

/// The `.txt` files to de-identify: `input` itself, or every `.txt` below it (links are
/// not followed), with their paths relative to `input`.
fn text_files(input: &Path) -> Result<Vec<(PathBuf, PathBuf)>, AppError> {
    input_files(input, |p| p.extension().as_deref() == Some("txt"))
}

/// `input` itself, or every regular file below it that `keep` accepts (links are not
/// followed), with their paths relative to `input`, sorted.
pub(crate) fn input_files(
    input: &Path,
    keep: impl Fn(&airlock_ingest::relpath::RelPath) -> bool,
) -> Result<Vec<(PathBuf, PathBuf)>, AppError> {
    let meta = std::fs::symlink_metadata(input)
        .map_err(|_| AppError::new(ErrorCode::NotFound, "The input does not exist."))?;
    if meta.is_file() {
        let name = input.file_name().map(PathBuf::from).unwrap_or_default();
        return Ok(vec![(input.to_path_buf(), name)]);
    }
    if !meta.is_dir() {
        return Err(AppError::invalid("The input must be a file or a folder."));
    }
    let walk = airlock_ingest::source::walk(input);
    let mut out: Vec<(PathBuf, PathBuf)> = walk
        .files
        .into_iter()
        .filter(|f| keep(&f.path))
        .map(|f| (f.fs_path, PathBuf::from(f.path.as_str())))
        .collect();
    out.sort();
    Ok(out)
}

/// Records a skipped file of a DICOM or image run: a log line naming it by its keyed
/// reference, and the report's entry naming it by its path.
pub(crate) fn skipped(
    lines: &mut Vec<String>,
    failed: &mut Vec<DeidTextFailure>,
    file_ref: String,
    path: String,
    reason: String,
) {
    lines.push(
        serde_json::json!({"type": "skipped", "file_ref": file_ref, "reason": reason}).to_string(),
    );
    failed.push(DeidTextFailure { path, reason });
}

/// Checks a file run before anything is read: there are files (`none` says so when not),
/// and a single input file has an output file name, not a folder. Returns whether the
/// input is a single file.
pub(crate) fn check_run(
    files: &[(PathBuf, PathBuf)],
    input: &Path,
    output: &Path,
    none: &str,
) -> Result<bool, AppError> {
    if files.is_empty() {
        return Err(AppError::invalid(none));
    }
    let single = input.is_file();
    if single && output.is_dir() {
        return Err(AppError::invalid(
            "The output must be a file name when the input is a file.",
        ));
    }
    Ok(single)
}

/// De-identifies a `.txt` file, or a folder of them mirrored under `output`, to HIPAA Safe
/// Harbor (or with consistent surrogates and per-patient date shifts). A file that cannot
/// be read as text is reported and skipped; the rest of the batch goes on. The optional
/// JSONL log holds offsets, categories, actions and rules — never original text — and
/// names documents by a keyed reference, not their file name.
pub fn deid_text_files(
    input: &Path,
    output: &Path,
    log: Option<&Path>,
    policy: DeidTextPolicy,
    key: &DeidKey,
) -> Result<DeidTextReport, AppError> {
    let files = text_files(input)?;
    let single = check_run(&files, input, output, "The folder holds no .txt files.")?;
    let (key, persistent) = read_key(key)?;
    let policy_value = match policy {
        DeidTextPolicy::SafeHarbor => Policy::safe_harbor(),
        DeidTextPolicy::Pseudonymize => Policy::pseudonymize(),
    };
    let mut log_lines: Vec<String> = Vec::new();
    log_lines.push(
        serde_json::json!({
            "type": "header",
            "tool": format!("airlock {}", env!("CARGO_PKG_VERSION")),
            "policy": &policy_value,
            "key": if persistent { "project key file" } else { "random key for this run (surrogates and date shifts are not consistent across runs)" },
        })
        .to_string(),
    );
    let refs: Vec<String> = files
        .iter()
        .map(|(_, rel)| key.document_ref(&rel.to_string_lossy()))
        .collect();
    let deid = Deidentifier::new(policy_value, key);
    let mut report = DeidTextReport {
        files: 0,
        failed: Vec::new(),
        findings: 0,
        categories: Vec::new(),
        bytes: 0,
    };
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for ((path, rel), doc) in files.iter().zip(&refs) {
        let target = if single {
            output.to_path_buf()
        } else {
            output.join(rel)
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                report.failed.push(DeidTextFailure {
                    path: rel.display().to_string(),
                    reason: format!("it cannot be read ({:?})", e.kind()),
                });
                continue;
            }
        };
        let out = match deid.deidentify_bytes(&bytes, &DocumentContext::default()) {
            Ok(o) => o,
            Err(e) => {
                report.failed.push(DeidTextFailure {
                    path: rel.display().to_string(),
                    reason: e.to_string(),
                });
                log_lines.push(serde_json::json!({"type": "skipped", "document": doc, "reason": e.to_string()}).to_string());
                continue;
            }
        };
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|_| AppError::invalid("The output folder cannot be created."))?;
        }
        airlock_vault::write_atomic(&target, out.text.expose().as_bytes()).map_err(|_| {
            AppError::invalid("A de-identified file could not be written to the output folder.")
        })?;
        report.files += 1;
        report.bytes += bytes.len() as u64;
        report.findings += out.log.len() as u64;
        for e in &out.log {
            *counts.entry(e.category.as_str()).or_default() += 1;
            let mut v = serde_json::to_value(e).expect("log entries serialise");
            v["type"] = "redaction".into();
            v["document"] = doc.clone().into();
            log_lines.push(v.to_string());
        }
    }
    report.categories = counts
        .into_iter()
        .map(|(category, findings)| CategoryCount {
            category: category.to_string(),
            findings,
        })
        .collect();
    if let Some(log) = log {
        write_log(log, &log_lines)?;
    }
    Ok(report)
}

/// Writes a JSONL redaction log atomically, one line per entry.
pub(crate) fn write_log(path: &Path, lines: &[String]) -> Result<(), AppError> {
    let mut buf = Vec::new();
    for l in lines {
        writeln!(buf, "{l}").expect("writing to memory cannot fail");
    }
    airlock_vault::write_atomic(path, &buf)
        .map_err(|_| AppError::invalid("The redaction log could not be written."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deid_text_mirrors_a_folder_skips_bad_files_and_logs_no_text() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("in");
        std::fs::create_dir_all(inp.join("sub")).unwrap();
        std::fs::write(
            inp.join("a.txt"),
            "Seen by Dr. Gilbert Perez on 03/14/2021, MRN 8249813.\n",
        )
        .unwrap();
        std::fs::write(
            inp.join("sub/b.txt"),
            "Call (555) 014-2291 about Ms. Vandersloot.\n",
        )
        .unwrap();
        std::fs::write(inp.join("sub/bad.txt"), [0xffu8, 0xfe, 0x00]).unwrap();
        std::fs::write(inp.join("skip.csv"), "not,text\n").unwrap();
        let out = dir.path().join("out");
        let log = dir.path().join("log.jsonl");
        let r = deid_text_files(
            &inp,
            &out,
            Some(&log),
            DeidTextPolicy::SafeHarbor,
            &DeidKey::Random,
        )
        .unwrap();
        assert_eq!(r.files, 2);
        assert_eq!(r.failed.len(), 1);
        assert_eq!(r.failed[0].path, "sub/bad.txt");
        let a = std::fs::read_to_string(out.join("a.txt")).unwrap();
        assert!(
            !a.contains("Perez") && !a.contains("8249813") && !a.contains("03/14"),
            "{a}"
        );
        assert!(!out.join("skip.csv").exists());
        let logged = std::fs::read_to_string(&log).unwrap();
        for secret in [
            "Perez",
            "8249813",
            "Vandersloot",
            "014-2291",
            "a.txt",
            "bad.txt",
        ] {
            assert!(!logged.contains(secret), "the log holds {secret}");
        }
        assert!(logged.lines().count() > 3);
    }

    #[test]
    fn a_key_file_makes_surrogates_consistent_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("note.txt");
        std::fs::write(
            &f,
            "Patient Marguerite Vandersloot was seen on 03/14/2025.\n",
        )
        .unwrap();
        let key = dir.path().join("key.hex");
        std::fs::write(&key, "ab".repeat(32)).unwrap();
        let run = |out: &str| {
            let o = dir.path().join(out);
            deid_text_files(
                &f,
                &o,
                None,
                DeidTextPolicy::Pseudonymize,
                &DeidKey::File(key.clone()),
            )
            .unwrap();
            std::fs::read_to_string(o).unwrap()
        };
        let (one, two) = (run("one.txt"), run("two.txt"));
        assert_eq!(one, two);
        assert!(!one.contains("Vandersloot"));
        std::fs::write(&key, "zz").unwrap();
        assert_eq!(
            deid_text_files(
                &f,
                &dir.path().join("x.txt"),
                None,
                DeidTextPolicy::Pseudonymize,
                &DeidKey::File(key)
            )
            .unwrap_err()
            .code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn agreement_reads_a_file_and_names_bad_lines_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "item,annotator,label\n1,a,x\n1,b,x\n2,a,y\n2,b,y\n").unwrap();
        let r = agreement_from_csv(&p, Level::Nominal).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["percent_agreement"], 1.0);
        std::fs::write(&p, "item,annotator,label\n1,a\n").unwrap();
        let e = agreement_from_csv(&p, Level::Nominal).unwrap_err();
        assert!(e.message.to_lowercase().contains("line 2"), "{}", e.message);
        let missing = agreement_from_csv(&dir.path().join("none.csv"), Level::Nominal).unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);
    }
}
