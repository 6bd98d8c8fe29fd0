//! Burned-in text on a photograph: a colour JPEG with a name drawn by ImageMagick (explicit
//! font), OCR-assisted cleaning, re-scan. Runs where `AIRLOCK_DICOM_FIXTURES` is set: the
//! reference stage of `scripts/test`, which installs tesseract and ImageMagick.

use std::process::Command;

use airlock_deid_image::testing::jpeg_of;
use airlock_deid_image::{decode, deidentify, propose, OcrEngine, Policy};

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A 480 × 320 colour photograph-like image (a gradient) with a wristband-like label: dark
/// text on a light strip, as raw RGB on ImageMagick's standard output.
fn photo_with_label() -> image::RgbImage {
    let out = Command::new("/usr/bin/convert")
        .args(["-size", "480x320", "gradient:#c89070-#906858"])
        .args(["-fill", "#f4f1e8", "-draw", "rectangle 40,120 440,190"])
        .args(["-font", FONT, "-pointsize", "22", "-fill", "#202020"])
        .args(["-annotate", "+56+150", "FENWHISTLE BARNABY"])
        .args(["-annotate", "+56+180", "MRN 00733310"])
        .args(["-depth", "8", "rgb:-"])
        .output()
        .expect("ImageMagick's convert runs (apt imagemagick)");
    assert!(out.status.success(), "convert failed");
    image::RgbImage::from_raw(480, 320, out.stdout).expect("480 × 320 RGB")
}

#[test]
fn ocr_blacks_out_the_label_and_the_rescan_reads_nothing() {
    if std::env::var_os("AIRLOCK_DICOM_FIXTURES").is_none() {
        return;
    }
    let ocr =
        OcrEngine::detect().expect("tesseract is installed (apt tesseract-ocr tesseract-ocr-eng)");
    let jpeg = jpeg_of(&photo_with_label(), 1, "Barnaby Fenwhistle wound day 3");
    let policy = Policy::default();
    let proposal = propose(&decode(&jpeg, &policy).unwrap(), &policy, &ocr).unwrap();
    let texts: Vec<&str> = proposal.words.iter().map(|w| w.text.expose()).collect();
    assert!(
        texts.iter().any(|t| t.contains("00733310")),
        "the MRN was read"
    );
    assert!(
        texts.iter().any(|t| t.contains("FENWHISTLE")),
        "the name was read"
    );
    let out = deidentify(&jpeg, &policy, Some(&ocr), &[]).unwrap();
    assert!(out.record.pixels.cleaned);
    assert_eq!(out.record.pixels.region_sources, ["ocr"]);
    let rescan = out.record.pixels.rescan.as_ref().expect("re-scanned");
    assert_eq!(rescan.residual_words, 0, "nothing readable remains");
    // An independent check: OCR of the released PNG finds neither the name nor the MRN.
    let released = decode(&out.bytes, &policy).unwrap();
    let words = ocr
        .words(&released.gray8(), released.width(), released.height(), 0)
        .unwrap();
    assert!(!words
        .iter()
        .any(|w| w.text.expose().contains("733310") || w.text.expose().contains("FENWH")));
    assert!(
        !out.bytes.windows(7).any(|w| w == b"Barnaby"),
        "the EXIF is gone"
    );
}
