//! Burned-in text: a synthetic ultrasound image with text drawn by ImageMagick (explicit
//! font), OCR proposal, cleaning, re-scan. Runs where `AIRLOCK_DICOM_FIXTURES` is set
//! (the CI stage with tesseract and ImageMagick installed).

use std::process::Command;

use airlock_deid_dicom::{
    preview_frame, propose_regions, AutoClean, Deidentifier, OcrEngine, Policy, ProjectKey,
};

use crate::common::{read, us_image, value};
use crate::fixtures::fixture_dir;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// 512×384 grey image, text in white on a dark, noisy-free background, as raw bytes on
/// ImageMagick's standard output (nothing written to disk).
fn burned_in_pixels() -> Vec<u8> {
    let out = Command::new("/usr/bin/convert")
        .args([
            "-size",
            "512x384",
            "xc:gray10",
            "-font",
            FONT,
            "-pointsize",
            "18",
            "-fill",
            "white",
        ])
        .args(["-annotate", "+12+28", "DOE^JOHN   ID 4455667"])
        .args(["-annotate", "+12+54", "2021-05-17  14:02:33"])
        .args(["-annotate", "+330+370", "SPRINGFIELD GEN"])
        .args(["-fill", "gray50", "-draw", "circle 256,200 256,280"])
        .args(["-depth", "8", "gray:-"])
        .output()
        .expect("ImageMagick's convert runs (apt imagemagick)");
    assert!(out.status.success(), "convert failed");
    assert_eq!(out.stdout.len(), 512 * 384);
    out.stdout
}

#[test]
fn ocr_proposes_cleaning_removes_and_rescan_confirms() {
    if fixture_dir().is_none() {
        return;
    }
    let ocr =
        OcrEngine::detect().expect("tesseract is installed (apt tesseract-ocr tesseract-ocr-eng)");
    let input = us_image(burned_in_pixels(), 512, 384, "Acme", "Sono 5");
    let policy = Policy::default();
    let proposal = propose_regions(&input, &policy, Some(&ocr)).expect("proposal");
    let texts: Vec<&str> = proposal.words.iter().map(|w| w.text.expose()).collect();
    eprintln!("OCR read {} words", texts.len());
    assert!(
        texts.iter().any(|t| t.contains("4455667")),
        "the ID was read"
    );
    assert!(
        texts.iter().any(|t| t.contains("SPRINGFIELD")),
        "the corner text was read"
    );
    assert!(proposal.regions.len() >= 4);

    let key = ProjectKey::from_bytes([3; 32]);
    let out = Deidentifier::new(&policy, &key)
        .with_ocr(&ocr)
        .deidentify_with_regions(&input, &proposal.regions)
        .expect("cleaned");
    let rescan = out.log.pixels.rescan.clone().expect("re-scanned");
    assert_eq!(
        rescan.residual_words, 0,
        "nothing readable remains: {rescan:?}"
    );
    assert_eq!(out.log.pixels.burned_in_annotation.as_deref(), Some("NO"));
    assert!(!out.needs_pixel_review());
    assert_eq!(
        value(&read(&out.bytes), 0x0028, 0x0301).as_deref(),
        Some("NO")
    );

    // Independent re-scan of the written file: no word of the burned-in text.
    let frame = preview_frame(&out.bytes, 0, &policy.limits).expect("output decodes");
    let words = ocr
        .words(&frame.pixels, frame.columns, frame.rows, 0)
        .expect("OCR runs");
    for w in &words {
        let t = w.text.expose();
        assert!(
            !(t.contains("DOE")
                || t.contains("4455")
                || t.contains("2021")
                || t.contains("SPRING")),
            "burned-in text still readable (confidence {})",
            w.confidence
        );
    }
}

#[test]
fn automatic_ocr_cleaning_of_risky_images() {
    if fixture_dir().is_none() {
        return;
    }
    let ocr = OcrEngine::detect().expect("tesseract is installed");
    let input = us_image(burned_in_pixels(), 512, 384, "Acme", "Sono 5");
    let mut policy = Policy::default();
    policy.pixels.auto_clean = AutoClean::TemplatesAndOcr;
    let key = ProjectKey::from_bytes([3; 32]);
    let out = Deidentifier::new(&policy, &key)
        .with_ocr(&ocr)
        .deidentify(&input)
        .expect("cleaned");
    assert_eq!(out.log.pixels.region_sources, ["ocr"]);
    assert_eq!(
        out.log.pixels.rescan.as_ref().map(|r| r.residual_words),
        Some(0)
    );
    assert_eq!(out.log.pixels.burned_in_annotation.as_deref(), Some("NO"));
}

#[test]
fn without_cleaning_the_rescan_finds_the_text() {
    if fixture_dir().is_none() {
        return;
    }
    let ocr = OcrEngine::detect().expect("tesseract is installed");
    let input = us_image(burned_in_pixels(), 512, 384, "Acme", "Sono 5");
    let policy = Policy::default();
    let key = ProjectKey::from_bytes([3; 32]);
    // A region far from the text: cleaning happens, the re-scan must still see words.
    let out = Deidentifier::new(&policy, &key)
        .with_ocr(&ocr)
        .deidentify_with_regions(
            &input,
            &[airlock_deid_dicom::Region {
                x: 200,
                y: 150,
                width: 20,
                height: 20,
            }],
        )
        .expect("cleaned");
    let rescan = out.log.pixels.rescan.clone().expect("re-scanned");
    assert!(rescan.residual_words >= 3, "the test can fail: {rescan:?}");
    assert_eq!(out.log.pixels.burned_in_annotation.as_deref(), Some("YES"));
    assert!(out.needs_pixel_review());
}
