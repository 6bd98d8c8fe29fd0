//! Real DICOM files from the package registries (`tests/reference/dicom/fetch.py`),
//! found through `AIRLOCK_DICOM_FIXTURES`. Skipped, with a message, only when it is unset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_deid_dicom::{
    basic_profile_action, decode_series, deidentify, image_size, preview_frame, ActionCode,
    Deidentifier, DicomDeidError, Limits, Policy, ProfileOption, ProjectKey, Region,
};
use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::VR;
use dicom_object::InMemDicomObject;

use crate::common::read;

/// The fixture directory, or `None` (with a message) when the variable is unset.
pub fn fixture_dir() -> Option<PathBuf> {
    match std::env::var_os("AIRLOCK_DICOM_FIXTURES") {
        Some(d) => {
            let d = PathBuf::from(d);
            assert!(
                d.is_dir(),
                "AIRLOCK_DICOM_FIXTURES={} is not a directory",
                d.display()
            );
            Some(d)
        }
        None => {
            eprintln!(
                "SKIPPED: AIRLOCK_DICOM_FIXTURES is unset (run tests/reference/dicom/fetch.py and \
                 export AIRLOCK_DICOM_FIXTURES=target/dicom-fixtures)"
            );
            None
        }
    }
}

fn dicom_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            dicom_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "dcm") {
            out.push(p);
        }
    }
}

/// Files that are broken on purpose and must fail with a clear error.
const EXPECTED_FAILURES: &[&str] = &[
    "pydicom/MR_truncated.dcm",
    "pydicom/rtplan_truncated.dcm",
    "pydicom/SC_rgb_jpeg.dcm",
    "pydicom/UN_sequence.dcm",
    "pydicom/no_meta.dcm",
    "pydicom/meta_missing_tsyntax.dcm",
    "pydicom/empty_charset_LEI.dcm",
    "pydicom/nested_priv_SQ.dcm",
    "pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm",
    "pydicom/dicomdirtests/DICOMDIR-empty.dcm",
];

/// Collects the text values of attributes the basic profile alters (`hide`) and of
/// those it keeps (`kept`): a value to hide that equals a kept one (a private copy of the
/// manufacturer, say) is no leak.
fn texts_to_hide(obj: &InMemDicomObject, out: &mut Vec<String>, kept: &mut Vec<String>) {
    for e in obj {
        let t = e.tag();
        if let Value::Sequence(s) = e.value() {
            for item in s.items() {
                texts_to_hide(item, out, kept);
            }
            continue;
        }
        let altered = t.group() % 2 == 1
            || basic_profile_action(t.group(), t.element()).is_some_and(|a| a != ActionCode::K);
        if !altered {
            if let Ok(v) = e.to_str() {
                kept.push(v.into_owned());
            }
            continue;
        }
        if !matches!(
            e.vr(),
            VR::PN | VR::LO | VR::SH | VR::UI | VR::DA | VR::LT | VR::ST
        ) {
            continue;
        }
        for v in e.to_multi_str().map(|v| v.to_vec()).unwrap_or_default() {
            let v = v.trim_matches(['\0', ' ']).to_owned();
            if v.len() >= 6 && !["ANONYMIZED", "19000101"].contains(&v.as_str()) {
                out.push(v);
            }
        }
    }
}

#[test]
fn every_fixture_deidentifies_or_fails_clearly() {
    let Some(dir) = fixture_dir() else { return };
    let mut files = Vec::new();
    dicom_files(&dir, &mut files);
    assert!(
        files.len() >= 150,
        "the fetch script brings about 160 files"
    );
    let key = ProjectKey::from_bytes([5; 32]);
    let policy = Policy::default();
    let mut per_ts: BTreeMap<String, u32> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut leaks = 0;
    let mut hidden = 0;
    let mut sized = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&dir)
            .expect("under dir")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).expect("readable");
        let out = match deidentify(&bytes, &policy, &key) {
            Ok(o) => o,
            Err(e) => {
                failures.push(rel.clone());
                assert!(!e.to_string().contains('\n'));
                continue;
            }
        };
        *per_ts
            .entry(out.log.pixels.transfer_syntax_in.clone())
            .or_default() += 1;
        let result = read(&out.bytes);
        // What a delivery reads from the header is the size the viewer decodes.
        if let Ok(series) = decode_series(&out.bytes, &Limits::default()) {
            let (i, size) = (series.info(), image_size(&out.bytes, &Limits::default()));
            let size = size.expect("a viewable image has a size");
            assert_eq!(
                (size.columns, size.rows, size.frames),
                (i.columns, i.rows, i.frames),
                "{rel}: the size in the header"
            );
            sized += 1;
        }
        assert_eq!(
            result.meta().transfer_syntax(),
            out.log.pixels.transfer_syntax_in,
            "{rel}: transfer syntax kept"
        );
        if let Ok(original) =
            dicom_object::OpenFileOptions::new().from_reader(&bytes[128.min(bytes.len())..])
        {
            let px = |o: &InMemDicomObject| {
                o.get(dicom_core::Tag(0x7FE0, 0x0010))
                    .map(|e| match e.value() {
                        Value::PixelSequence(p) => p.fragments().concat(),
                        v => v.to_bytes().map(|b| b.to_vec()).unwrap_or_default(),
                    })
            };
            assert_eq!(
                px(&original),
                px(&result),
                "{rel}: pixel data byte-identical"
            );
            // Search the output up to its Pixel Data (LE or BE tag): pixel bytes can hold
            // any short string by chance, and burned-in text is not ASCII there.
            let cut = out
                .bytes
                .windows(4)
                .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00] || w == [0x7F, 0xE0, 0x00, 0x10]);
            let header = &out.bytes[..cut.unwrap_or(out.bytes.len())];
            let (mut phi, mut kept) = (Vec::new(), Vec::new());
            texts_to_hide(&original, &mut phi, &mut kept);
            for v in phi {
                hidden += 1;
                if kept.iter().any(|k| k.contains(&v)) {
                    continue;
                }
                if header[..].windows(v.len()).any(|w| w == v.as_bytes()) {
                    leaks += 1;
                    eprintln!(
                        "{rel}: a value of an altered attribute survived ({} bytes)",
                        v.len()
                    );
                }
            }
        }
    }
    failures.sort();
    let mut expected: Vec<String> = EXPECTED_FAILURES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    eprintln!(
        "de-identified per transfer syntax: {per_ts:?}; failed as expected: {}",
        failures.len()
    );
    assert_eq!(failures, expected);
    assert_eq!(leaks, 0, "checked {hidden} original values");
    assert!(hidden > 1000);
    assert!(
        sized > 100,
        "only {sized} outputs could be decoded to check their size"
    );
    for ts in [
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.5",
    ] {
        assert!(
            per_ts.get(ts).copied().unwrap_or(0) > 0,
            "no fixture in {ts}"
        );
    }
}

#[test]
fn pixel_cleaning_works_across_codecs() {
    let Some(dir) = fixture_dir() else { return };
    let mut files = Vec::new();
    dicom_files(&dir, &mut files);
    let key = ProjectKey::from_bytes([5; 32]);
    let policy = Policy::with_options([ProfileOption::RetainLongitudinalModifiedDates]);
    let deid = Deidentifier::new(&policy, &key);
    let region = Region {
        x: 0,
        y: 0,
        width: 8,
        height: 4,
    };
    let mut cleaned: BTreeMap<String, u32> = BTreeMap::new();
    let mut refused: BTreeMap<String, u32> = BTreeMap::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable");
        let Ok(plain) = deidentify(&bytes, &policy, &key) else {
            continue;
        };
        let ts = plain.log.pixels.transfer_syntax_in.clone();
        if plain
            .log
            .sop_class_uid
            .as_deref()
            .is_some_and(|c| !c.starts_with("1.2.840.10008.5.1.4.1.1."))
        {
            continue;
        }
        match deid.deidentify_with_regions(&bytes, &[region]) {
            Ok(out) => {
                assert!(out.log.pixels.cleaned);
                assert_eq!(out.log.pixels.transfer_syntax_out, "1.2.840.10008.1.2.1");
                let frame =
                    preview_frame(&out.bytes, 0, &policy.limits).expect("cleaned output decodes");
                let w = frame.columns as usize;
                let (cw, ch) = (w.min(8), (frame.rows as usize).min(4));
                let corner: Vec<u8> = (0..ch)
                    .flat_map(|y| frame.pixels[y * w..y * w + cw].to_vec())
                    .collect();
                assert!(
                    corner.iter().all(|&g| g == 0),
                    "{}: the region displays black",
                    path.display()
                );
                *cleaned.entry(ts).or_default() += 1;
            }
            Err(DicomDeidError::Pixels(_)) => *refused.entry(ts).or_default() += 1,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    eprintln!("cleaned per transfer syntax: {cleaned:?}; refused (pixel error): {refused:?}");
    for ts in [
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.5",
    ] {
        assert!(
            cleaned.get(ts).copied().unwrap_or(0) > 0,
            "nothing cleaned in {ts}"
        );
    }
}
