//! `airlock deid image`: PNG and JPEG files on disk de-identified with no vault and no
//! login, a file or a whole tree mirrored to the output, each written as a PNG of its
//! pixels alone (`photo.jpg` becomes `photo.png`; `photo.jpg.png` when both existed).

use crate::error::{AppError, ErrorCode};
use crate::json::DeidImageReport;
use crate::standalone::{check_run, input_files, key_bytes, skipped, write_log, DeidKey};
use airlock_deid_image::{deidentify, OcrEngine, Policy};
use airlock_vault::AtomicBatch;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Staged files are flushed together once a batch holds this many.
const BATCH_FILES: usize = 64;

/// Where each input goes: its relative path with the extension `png`, or with `.png`
/// added when two inputs would land on the same name (`a.jpg` and `a.png`).
fn targets(files: &[(PathBuf, PathBuf)]) -> Vec<PathBuf> {
    let plain: Vec<PathBuf> = files
        .iter()
        .map(|(_, rel)| rel.with_extension("png"))
        .collect();
    let mut seen: HashSet<&PathBuf> = HashSet::new();
    let clash: HashSet<&PathBuf> = plain.iter().filter(|p| !seen.insert(p)).collect();
    files
        .iter()
        .zip(&plain)
        .map(|((_, rel), p)| {
            let is_png = rel
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if clash.contains(p) && !is_png {
                let mut name = rel.as_os_str().to_owned();
                name.push(".png");
                PathBuf::from(name)
            } else {
                p.clone()
            }
        })
        .collect()
}

/// De-identifies a PNG or JPEG file, or every file of a folder tree mirrored under
/// `output`: each is written as a new PNG of its pixels alone (no EXIF, XMP, IPTC, ICC,
/// text chunk or comment), turned upright by its EXIF orientation. With `ocr`, readable
/// words are blacked out and the result re-scanned; images not confirmed clean by a
/// re-scan are listed for review (without OCR, all of them). A file that is not PNG or
/// JPEG, or is damaged, is reported with one sentence and skipped; the rest go on. The
/// optional JSONL log holds one record per file (metadata kinds removed, regions; never a
/// value) and names files by a keyed reference.
pub fn deid_image_files(
    input: &Path,
    output: &Path,
    log: Option<&Path>,
    ocr: bool,
    key: &DeidKey,
) -> Result<DeidImageReport, AppError> {
    let files = input_files(input, |_| true)?;
    let single = check_run(&files, input, output, "The folder holds no files.")?;
    let engine = if ocr {
        Some(OcrEngine::detect().map_err(|_| {
            AppError::invalid("OCR needs tesseract (Debian: tesseract-ocr tesseract-ocr-eng).")
        })?)
    } else {
        None
    };
    let (bytes, persistent) = key_bytes(key)?;
    let doc_key = airlock_deid_dicom::ProjectKey::from_bytes(*bytes);
    let policy = Policy::default();
    let mut lines = vec![serde_json::json!({
        "type": "header",
        "tool": format!("airlock {}", env!("CARGO_PKG_VERSION")),
        "method": crate::deid_image_items::METHOD,
        "ocr": engine.is_some(),
        "key": if persistent { "project key file" } else { "random key for this run (file references are not consistent across runs)" },
    })
    .to_string()];
    let mut report = DeidImageReport {
        files: 0,
        failed: Vec::new(),
        bytes: 0,
        pixels_cleaned: 0,
        needs_pixel_review: Vec::new(),
    };
    let written = |e: std::io::Error| {
        AppError::from(airlock_vault::VaultError::io(
            "writing a de-identified image",
            e,
        ))
    };
    let mut batch = AtomicBatch::new();
    for ((path, rel), target_rel) in files.iter().zip(targets(&files)) {
        let shown = rel.display().to_string();
        let doc = doc_key.document_ref(&rel.to_string_lossy());
        let out = std::fs::read(path)
            .map_err(|e| format!("it cannot be read ({:?})", e.kind()))
            .and_then(|input| {
                report.bytes += input.len() as u64;
                deidentify(&input, &policy, engine.as_ref(), &[]).map_err(|e| e.to_string())
            });
        let out = match out {
            Ok(o) => o,
            Err(reason) => {
                skipped(&mut lines, &mut report.failed, doc, shown, reason);
                continue;
            }
        };
        let target = if single {
            output.to_path_buf()
        } else {
            output.join(&target_rel)
        };
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(written)?;
        }
        batch.stage(&target, &out.bytes).map_err(written)?;
        if batch.len() >= BATCH_FILES {
            batch.commit().map_err(written)?;
        }
        report.files += 1;
        report.pixels_cleaned += u64::from(out.record.pixels.cleaned);
        let confirmed = out
            .record
            .pixels
            .rescan
            .as_ref()
            .is_some_and(|r| r.residual_words == 0);
        if !confirmed {
            report.needs_pixel_review.push(shown);
        }
        let mut v = serde_json::to_value(&out.record).expect("image records serialise");
        v["type"] = "redaction".into();
        v["file_ref"] = doc.into();
        lines.push(v.to_string());
    }
    batch.commit().map_err(written)?;
    if report.files == 0 && !report.failed.is_empty() && single {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "The file could not be de-identified: {}.",
                report.failed[0].reason
            ),
        ));
    }
    if let Some(log) = log {
        write_log(log, &lines)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_deid_image::testing;

    #[test]
    fn a_tree_is_mirrored_as_png_bad_files_are_skipped_and_the_log_holds_no_phi() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("in");
        std::fs::create_dir_all(inp.join("ward")).unwrap();
        std::fs::write(
            inp.join("ward/wound.jpg"),
            testing::jpeg_with_exif(24, 16, 1, "Leontyne Ashcombe"),
        )
        .unwrap();
        std::fs::write(
            inp.join("ward/wound.png"),
            testing::png_with_text_chunk(8, 8, "Author", "Dr Piran Holloway"),
        )
        .unwrap();
        std::fs::write(inp.join("notes.txt"), "not an image").unwrap();
        let out = dir.path().join("out");
        let log = dir.path().join("log.jsonl");
        let r = deid_image_files(&inp, &out, Some(&log), false, &DeidKey::Random).unwrap();
        assert_eq!(r.files, 2);
        assert_eq!(r.failed.len(), 1);
        assert_eq!(r.failed[0].path, "notes.txt");
        assert_eq!(
            r.needs_pixel_review.len(),
            2,
            "without OCR every image needs a look"
        );
        for (name, secret) in [
            ("ward/wound.jpg.png", "Leontyne"),
            ("ward/wound.png", "Piran"),
        ] {
            let written = std::fs::read(out.join(name)).unwrap();
            assert!(written.starts_with(b"\x89PNG"));
            assert!(!String::from_utf8_lossy(&written).contains(secret));
        }
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(!logged.contains("Leontyne") && !logged.contains("Piran"));
        assert!(!logged.contains("wound") && !logged.contains("notes.txt"));
        assert_eq!(logged.lines().count(), 4, "header, two records, one skip");
        assert!(logged.contains("\"metadata/exif\""));
    }

    #[test]
    fn a_single_file_goes_to_the_named_output_and_a_bad_one_is_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("photo.jpg");
        std::fs::write(&inp, testing::jpeg_with_exif(8, 8, 1, "x")).unwrap();
        let out = dir.path().join("clean.png");
        let r = deid_image_files(&inp, &out, None, false, &DeidKey::Random).unwrap();
        assert_eq!(r.files, 1);
        assert!(std::fs::read(&out).unwrap().starts_with(b"\x89PNG"));
        let bad = dir.path().join("bad.jpg");
        std::fs::write(&bad, b"\xFF\xD8\xFF truncated").unwrap();
        let e = deid_image_files(
            &bad,
            &dir.path().join("b.png"),
            None,
            false,
            &DeidKey::Random,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "The file could not be de-identified: the image data is damaged or truncated."
        );
    }
}
