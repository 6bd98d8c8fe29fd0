//! `airlock deid dicom`: DICOM files on disk de-identified to PS3.15 Annex E with no vault
//! and no login, a file or a whole tree mirrored to the output.

use crate::error::{sentence, AppError, ErrorCode};
use crate::json::DeidDicomReport;
use crate::standalone::{check_run, input_files, key_bytes, skipped, write_log, DeidKey};
use airlock_deid_dicom::{
    AutoClean, Deidentifier, OcrEngine, Policy, ProfileOption, TextCleaner, PROFILE_EDITION,
};
use airlock_vault::BackgroundBatch;
use std::cmp::Reverse;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// What `deid dicom` applies: a policy file (the JSON form of [`Policy`]) or the Basic
/// Profile, then the options and pixel cleaning asked for on top.
pub struct DicomPolicyRequest<'a> {
    /// A policy file; `None` for the Basic Profile with no option.
    pub file: Option<&'a Path>,
    /// Profile options added to the policy.
    pub options: &'a [ProfileOption],
    /// Automatic cleaning of images at risk of burned-in text, when set.
    pub clean: Option<AutoClean>,
}

impl DicomPolicyRequest<'_> {
    fn resolve(&self) -> Result<Policy, AppError> {
        let mut policy = match self.file {
            None => Policy::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => {
                        AppError::new(ErrorCode::NotFound, "The policy file does not exist.")
                    }
                    _ => AppError::invalid("The policy file cannot be read."),
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    AppError::invalid(format!(
                        "The policy file is not a DICOM de-identification policy (line {}, column {}).",
                        e.line(),
                        e.column()
                    ))
                })?
            }
        };
        policy.options.extend(self.options.iter().copied());
        if let Some(clean) = self.clean {
            policy.pixels.auto_clean = clean;
        }
        policy
            .validate()
            .map_err(|e| AppError::invalid(sentence(&e.to_string())))?;
        Ok(policy)
    }
}

/// The text de-identifier behind Clean Descriptors and Clean Structured Content, keyed
/// like the images so a patient's dates shift by the same days in both.
pub(crate) struct SafeHarborText<'a>(pub(crate) &'a airlock_deid::text::Deidentifier);

impl TextCleaner for SafeHarborText<'_> {
    fn clean(&self, text: &str) -> String {
        self.0
            .deidentify(text, &airlock_deid::text::DocumentContext::default())
            .text
            .expose()
            .clone()
    }
}

/// What became of one input file.
enum FileOutcome {
    /// Written; with its redaction record (one JSON line).
    Done {
        bytes: u64,
        cleaned: bool,
        needs_review: bool,
        record: String,
    },
    /// Not DICOM, damaged or unreadable: the reason, in a few words.
    Skipped(String),
    /// The output could not be written (the run stops: the disk is the problem).
    WriteFailed,
}

/// A worker's input buffer is kept for the next file up to this size; a larger one (for a
/// rare huge file) is freed rather than held for the rest of the run.
const KEPT_BUFFER_BYTES: usize = 64 << 20;

/// Reads the whole file at `path` into `buf`, replacing its content: one buffer per worker,
/// reused from file to file, so its pages are touched once rather than for every file.
fn read_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    buf.clear();
    buf.reserve(usize::try_from(size).unwrap_or(0));
    file.read_to_end(buf)?;
    Ok(())
}

/// The order in which workers take the files: largest first, so that no worker is left
/// reading, writing and flushing a large file after the others have run out of work.
/// Files of equal size keep their order; a file that cannot be read counts as empty.
fn largest_first(files: &[(PathBuf, PathBuf)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_cached_key(|&i| Reverse(std::fs::metadata(&files[i].0).map_or(0, |m| m.len())));
    order
}

fn one_file(
    deid: &Deidentifier<'_>,
    path: &Path,
    target: &Path,
    doc: String,
    input: &mut Vec<u8>,
    batch: &BackgroundBatch,
) -> FileOutcome {
    if let Err(e) = read_into(path, input) {
        return FileOutcome::Skipped(format!("it cannot be read ({:?})", e.kind()));
    }
    let mut out = match deid.deidentify_parts(input) {
        Ok(o) => o,
        Err(e) => return FileOutcome::Skipped(e.to_string()),
    };
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        if std::fs::create_dir_all(parent).is_err() {
            return FileOutcome::WriteFailed;
        }
    }
    // The Pixel Data, when copied verbatim, goes to disk straight from the input.
    let tail = out.tail.clone().map_or(&[][..], |r| &input[r]);
    if batch.stage_parts(target, &[&out.head, tail]).is_err() {
        return FileOutcome::WriteFailed;
    }
    let needs_review = out.log.needs_pixel_review();
    out.log.file_ref = Some(doc);
    let mut v = serde_json::to_value(&out.log).expect("redaction records serialise");
    v["type"] = "redaction".into();
    FileOutcome::Done {
        bytes: input.len() as u64,
        cleaned: out.log.pixels.cleaned,
        needs_review,
        record: v.to_string(),
    }
}

/// De-identifies a DICOM file, or every file of a folder tree mirrored under `output`.
/// A file that is not DICOM, or is damaged, is reported with one sentence and skipped;
/// the rest go on. Images that may still show burned-in text (at risk and not cleaned
/// and re-scanned) are listed for review. The optional JSONL log holds one redaction
/// record per file (attribute paths, actions, codes; never an original value) and names
/// files by a keyed reference, not their name.
pub fn deid_dicom_files(
    input: &Path,
    output: &Path,
    log: Option<&Path>,
    policy: &DicomPolicyRequest<'_>,
    key: &DeidKey,
) -> Result<DeidDicomReport, AppError> {
    let policy = policy.resolve()?;
    let files = input_files(input, |_| true)?;
    let single = check_run(&files, input, output, "The folder holds no files.")?;
    let (bytes, persistent) = key_bytes(key)?;
    let ocr = match policy.pixels.auto_clean {
        AutoClean::TemplatesAndOcr => Some(OcrEngine::detect().map_err(|_| {
            AppError::invalid(
                "Cleaning with OCR needs tesseract (Debian: tesseract-ocr tesseract-ocr-eng).",
            )
        })?),
        _ => None,
    };
    let doc_key = airlock_deid_dicom::ProjectKey::from_bytes(*bytes);
    let mut lines = vec![serde_json::json!({
        "type": "header",
        "tool": format!("airlock {}", env!("CARGO_PKG_VERSION")),
        "profile_edition": PROFILE_EDITION,
        "policy": &policy,
        "key": if persistent { "project key file" } else { "random key for this run (UIDs, pseudonyms and date shifts are not consistent across runs)" },
    })
    .to_string()];
    // One worker per core, each with its own de-identifier; files are taken in turn, the
    // largest first, and staged as soon as they are done, while the batch's own threads
    // flush them; the report keeps the input order. The first output that cannot be
    // written stops every worker.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    let order = largest_first(&files);
    let next = AtomicUsize::new(0);
    let write_failed = AtomicBool::new(false);
    let outcomes: Mutex<Vec<Option<FileOutcome>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let batch = BackgroundBatch::new().map_err(|_| {
        AppError::invalid("The output could not be written: no thread could be started.")
    })?;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let key = airlock_deid_dicom::ProjectKey::from_bytes(*bytes);
                let text_step = airlock_deid::text::Deidentifier::new(
                    airlock_deid::text::Policy::safe_harbor(),
                    airlock_deid::key::ProjectKey::from_bytes(*bytes),
                );
                let text = SafeHarborText(&text_step);
                let mut deid = Deidentifier::new(&policy, &key).with_text_cleaner(&text);
                if let Some(engine) = &ocr {
                    deid = deid.with_ocr(engine);
                }
                let mut input = Vec::new();
                while !write_failed.load(Ordering::Relaxed) {
                    let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let (path, rel) = &files[i];
                    let target = if single {
                        output.to_path_buf()
                    } else {
                        output.join(rel)
                    };
                    let doc = key.document_ref(&rel.to_string_lossy());
                    let outcome = one_file(&deid, path, &target, doc, &mut input, &batch);
                    if matches!(outcome, FileOutcome::WriteFailed) {
                        write_failed.store(true, Ordering::Relaxed);
                    }
                    outcomes.lock().expect("no worker panics")[i] = Some(outcome);
                    if input.capacity() > KEPT_BUFFER_BYTES {
                        input = Vec::new();
                    }
                }
            });
        }
    });
    let finished = batch.finish();
    if write_failed.into_inner() || finished.is_err() {
        return Err(AppError::invalid(
            "A de-identified file could not be written to the output folder.",
        ));
    }
    let mut report = DeidDicomReport {
        files: 0,
        failed: Vec::new(),
        bytes: 0,
        pixels_cleaned: 0,
        needs_pixel_review: Vec::new(),
        profile_edition: PROFILE_EDITION.to_string(),
    };
    let outcomes = outcomes.into_inner().expect("no worker panics");
    for ((_, rel), outcome) in files.iter().zip(outcomes) {
        let shown = rel.display().to_string();
        let doc = doc_key.document_ref(&rel.to_string_lossy());
        match outcome.expect("every file was taken by a worker") {
            FileOutcome::Done {
                bytes,
                cleaned,
                needs_review,
                record,
            } => {
                report.files += 1;
                report.bytes += bytes;
                report.pixels_cleaned += u64::from(cleaned);
                if needs_review {
                    report.needs_pixel_review.push(shown);
                }
                lines.push(record);
            }
            FileOutcome::Skipped(reason) => {
                skipped(&mut lines, &mut report.failed, doc, shown, reason);
            }
            FileOutcome::WriteFailed => unreachable!("a failed write ends the run above"),
        }
    }
    if let Some(log) = log {
        write_log(log, &lines)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_deid_dicom::testing;

    #[test]
    fn a_tree_is_mirrored_bad_files_are_skipped_and_the_log_holds_no_phi() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("in");
        std::fs::create_dir_all(inp.join("series")).unwrap();
        std::fs::write(inp.join("series/ct1.dcm"), testing::synthetic_ct()).unwrap();
        std::fs::write(inp.join("notes.txt"), "not DICOM at all").unwrap();
        let out = dir.path().join("out");
        let log = dir.path().join("log.jsonl");
        let r = deid_dicom_files(
            &inp,
            &out,
            Some(&log),
            &DicomPolicyRequest {
                file: None,
                options: &[ProfileOption::RetainLongitudinalModifiedDates],
                clean: None,
            },
            &DeidKey::Random,
        )
        .unwrap();
        assert_eq!(r.files, 1);
        assert_eq!(r.failed.len(), 1);
        assert_eq!(r.failed[0].path, "notes.txt");
        assert!(r.failed[0].reason.contains("not a DICOM file"));
        let written = std::fs::read(out.join("series/ct1.dcm")).unwrap();
        assert_eq!(&written[128..132], b"DICM");
        let logged = std::fs::read_to_string(&log).unwrap();
        let phi = [
            "DOE^JANE",
            "MRN-4455667",
            "19700101",
            "Springfield",
            "1.2.826.0.1.3680043.2.1125.1.1",
        ];
        let output = String::from_utf8_lossy(&written);
        for secret in phi {
            assert!(!logged.contains(secret), "the log holds {secret:?}");
            assert!(!output.contains(secret), "the output holds {secret:?}");
        }
        assert!(!logged.contains("ct1.dcm") && !logged.contains("notes.txt"));
        assert_eq!(logged.lines().count(), 3, "header, one record, one skip");
    }

    #[test]
    fn an_output_that_cannot_be_placed_fails_the_run_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("in");
        std::fs::create_dir_all(&inp).unwrap();
        for name in ["a.dcm", "b.dcm", "c.dcm"] {
            std::fs::write(inp.join(name), testing::synthetic_ct()).unwrap();
        }
        let out = dir.path().join("out");
        // A non-empty folder where b.dcm should go: its rename fails after the flush.
        std::fs::create_dir_all(out.join("b.dcm/taken")).unwrap();
        let e = deid_dicom_files(
            &inp,
            &out,
            None,
            &DicomPolicyRequest {
                file: None,
                options: &[],
                clean: None,
            },
            &DeidKey::Random,
        )
        .unwrap_err();
        assert!(e.message.contains("could not be written"), "{}", e.message);
        let temps = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().starts_with(".tmp-")
            })
            .count();
        assert_eq!(temps, 0, "no temp file is left behind");
    }

    #[test]
    fn a_bad_policy_file_is_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("policy.json");
        std::fs::write(&p, "{\"options\": [\"no_such_option\"]}").unwrap();
        let e = deid_dicom_files(
            dir.path(),
            &dir.path().join("out"),
            None,
            &DicomPolicyRequest {
                file: Some(&p),
                options: &[],
                clean: None,
            },
            &DeidKey::Random,
        )
        .unwrap_err();
        assert!(
            e.message.starts_with("The policy file is not"),
            "{}",
            e.message
        );
    }
}
