//! Behaviour on synthetic files: profile actions, options, UIDs, markers, pixels.

use airlock_deid_dicom::{
    basic_profile_action, deidentify, replacement_uid, testing::synthetic_ct, ActionCode,
    AutoClean, Deidentifier, DicomDeidError, Policy, PolicyError, ProfileOption, ProjectKey,
    Region, RegionTemplate, RuleSource, SafePrivateTag, TextCleaner, Treatment,
};
use dicom_core::{Tag, VR};

use crate::common::{contains, file, read, seq, text, us, us_image, value};

fn key() -> ProjectKey {
    ProjectKey::from_bytes([42; 32])
}

#[test]
fn basic_profile_removes_identifiers_everywhere() {
    let input = synthetic_ct();
    let out = deidentify(&input, &Policy::default(), &key()).expect("a valid file");
    for phi in [
        "DOE^JANE",
        "MRN-4455667",
        "Springfield",
        "20210517",
        "19700101",
        "1.2.826.0.1.3680043.2.1125.1.1",
        "1.2.826.0.1.3680043.2.1125.1.2",
        "1.2.826.0.1.3680043.2.1125.1.3",
        "ACME PRIVATE",
    ] {
        assert!(!contains(&out.bytes, phi), "{phi} must not survive");
    }
    let obj = read(&out.bytes);
    assert_eq!(value(&obj, 0x0012, 0x0062).as_deref(), Some("YES"));
    assert_eq!(value(&obj, 0x0028, 0x0303).as_deref(), Some("REMOVED"));
    assert!(
        obj.get(Tag(0x0029, 0x1001)).is_none(),
        "private attribute removed"
    );
    assert!(obj.get(Tag(0x0029, 0x0010)).is_none(), "its creator too");
    assert!(
        obj.get(Tag(0x6000, 0x0010)).is_none(),
        "the whole overlay plane goes"
    );
    assert_eq!(
        value(&obj, 0x0010, 0x1010),
        None,
        "age is X without the option"
    );
    let sop = value(&obj, 0x0008, 0x0018).expect("SOP Instance UID kept as U");
    assert_eq!(
        sop,
        replacement_uid(&key(), "1.2.826.0.1.3680043.2.1125.1.1")
    );
    assert_eq!(
        obj.meta().media_storage_sop_instance_uid(),
        sop,
        "file meta agrees"
    );
    let referenced = obj
        .get(Tag(0x0008, 0x1140))
        .and_then(|e| e.items())
        .and_then(|items| value(&items[0], 0x0008, 0x1155));
    assert_eq!(
        referenced,
        Some(replacement_uid(&key(), "1.2.826.0.1.3680043.2.1125.1.2")),
        "references inside sequences are replaced with the same mapping"
    );
    let pid = value(&obj, 0x0010, 0x0020).expect("Patient ID gets a pseudonym");
    assert!(pid.starts_with("AL") && pid.len() == 18);
    let codes: Vec<String> = obj
        .get(Tag(0x0012, 0x0064))
        .and_then(|e| e.items())
        .map(|items| {
            items
                .iter()
                .filter_map(|i| value(i, 0x0008, 0x0100))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(codes, ["113100"]);
    let original = read(&input);
    assert_eq!(
        obj.get(Tag(0x7FE0, 0x0010))
            .map(|e| e.to_bytes().expect("bytes").to_vec()),
        original
            .get(Tag(0x7FE0, 0x0010))
            .map(|e| e.to_bytes().expect("bytes").to_vec()),
        "pixel data is copied byte for byte"
    );
    let log = serde_json::to_string(&out.log).expect("serialisable");
    for phi in ["DOE", "4455667", "Springfield", "20210517"] {
        assert!(!log.contains(phi), "the log carries no original value");
    }
    let name = out
        .log
        .changes
        .iter()
        .find(|c| c.tag == "(0010,0010)")
        .expect("Patient's Name is logged");
    assert_eq!(
        (name.code, name.treatment, name.rule),
        (
            Some(ActionCode::Z),
            Treatment::Emptied,
            RuleSource::BasicProfile
        )
    );
    assert!(out
        .log
        .changes
        .iter()
        .any(|c| c.path == "(0008,1140)[*].(0008,1155)" && c.treatment == Treatment::UidReplaced));
}

#[test]
fn uids_stay_consistent_across_files_of_a_study() {
    let make = |sop: &str| {
        file(
            vec![
                text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
                text(0x0008, 0x0018, VR::UI, sop),
                text(0x0020, 0x000D, VR::UI, "1.2.3.4.5.100"),
                text(0x0020, 0x000E, VR::UI, "1.2.3.4.5.200"),
                text(0x0020, 0x0052, VR::UI, "1.2.3.4.5.300"),
            ],
            "1.2.840.10008.1.2",
        )
    };
    let p = Policy::default();
    let a = read(
        &deidentify(&make("1.2.3.4.5.1"), &p, &key())
            .expect("valid")
            .bytes,
    );
    let b = read(
        &deidentify(&make("1.2.3.4.5.2"), &p, &key())
            .expect("valid")
            .bytes,
    );
    for (g, e) in [(0x0020, 0x000D), (0x0020, 0x000E), (0x0020, 0x0052)] {
        assert_eq!(value(&a, g, e), value(&b, g, e), "same study, same new UID");
        assert!(value(&a, g, e).expect("present").starts_with("2.25."));
    }
    assert_ne!(value(&a, 0x0008, 0x0018), value(&b, 0x0008, 0x0018));
    let other = read(
        &deidentify(&make("1.2.3.4.5.1"), &p, &ProjectKey::from_bytes([1; 32]))
            .expect("valid")
            .bytes,
    );
    assert_ne!(
        value(&a, 0x0020, 0x000D),
        value(&other, 0x0020, 0x000D),
        "keyed per project"
    );
    assert_eq!(
        a.meta().transfer_syntax(),
        "1.2.840.10008.1.2",
        "implicit VR stays implicit"
    );
}

#[test]
fn modified_dates_shift_every_date_of_a_patient_by_the_same_days() {
    let input = file(
        vec![
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
            text(0x0008, 0x0018, VR::UI, "1.2.3.9"),
            text(0x0008, 0x0020, VR::DA, "20210517"),
            text(0x0008, 0x0021, VR::DA, "20210519"),
            text(0x0008, 0x002A, VR::DT, "20210519101500.25"),
            text(0x0008, 0x0030, VR::TM, "101500"),
            text(0x0010, 0x0020, VR::LO, "PAT-1"),
        ],
        "1.2.840.10008.1.2.1",
    );
    let p = Policy::with_options([ProfileOption::RetainLongitudinalModifiedDates]);
    let out = deidentify(&input, &p, &key()).expect("valid");
    let obj = read(&out.bytes);
    let study = value(&obj, 0x0008, 0x0020).expect("study date kept, shifted");
    let series = value(&obj, 0x0008, 0x0021).expect("series date kept, shifted");
    assert_ne!(study, "20210517");
    let day = |s: &str| {
        let (y, m, d): (i32, u32, u32) = (
            s[..4].parse().expect("y"),
            s[4..6].parse().expect("m"),
            s[6..8].parse().expect("d"),
        );
        // days since 2000-01-01, good enough for an interval check across a year boundary
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let leap = |y: i32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let mut n = 0i64;
        for yy in 2000..y {
            n += if leap(yy) { 366 } else { 365 };
        }
        n + i64::from(cumulative[(m - 1) as usize]) + i64::from(d) + i64::from(leap(y) && m > 2)
    };
    assert_eq!(day(&series) - day(&study), 2, "intervals are preserved");
    let shift = day("20210517") - day(&study);
    assert!((1..=365).contains(&shift));
    let dt = value(&obj, 0x0008, 0x002A).expect("datetime shifted");
    assert_eq!(&dt[..8], series, "DT shifted like DA");
    assert!(dt.ends_with("101500.25"), "time of day is kept");
    assert_eq!(value(&obj, 0x0008, 0x0030).as_deref(), Some("101500"));
    assert_eq!(value(&obj, 0x0028, 0x0303).as_deref(), Some("MODIFIED"));
    assert!(out.log.method_codes.contains(&"113107".to_owned()));
    let again = read(&deidentify(&input, &p, &key()).expect("valid").bytes);
    assert_eq!(
        value(&again, 0x0008, 0x0020),
        Some(study),
        "deterministic per patient"
    );
}

#[test]
fn retain_options_keep_what_they_name() {
    let input = file(
        vec![
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
            text(0x0008, 0x0018, VR::UI, "1.2.3.9"),
            text(0x0008, 0x1010, VR::SH, "SCANNER7"),
            text(0x0010, 0x1010, VR::AS, "093Y"),
            text(0x0010, 0x0040, VR::CS, "F"),
            text(0x0008, 0x0080, VR::LO, "Springfield General"),
        ],
        "1.2.840.10008.1.2.1",
    );
    let p = Policy::with_options([
        ProfileOption::RetainDeviceIdentity,
        ProfileOption::RetainPatientCharacteristics,
        ProfileOption::RetainInstitutionIdentity,
        ProfileOption::RetainUids,
    ]);
    let out = deidentify(&input, &p, &key()).expect("valid");
    let obj = read(&out.bytes);
    assert_eq!(value(&obj, 0x0008, 0x1010).as_deref(), Some("SCANNER7"));
    assert_eq!(value(&obj, 0x0010, 0x0040).as_deref(), Some("F"));
    assert_eq!(
        value(&obj, 0x0010, 0x1010).as_deref(),
        Some("090Y"),
        "Safe Harbor: over 89 aggregates"
    );
    assert_eq!(
        value(&obj, 0x0008, 0x0080).as_deref(),
        Some("Springfield General")
    );
    assert_eq!(value(&obj, 0x0008, 0x0018).as_deref(), Some("1.2.3.9"));
    assert_eq!(obj.meta().media_storage_sop_instance_uid(), "1.2.3.9");
    let mut codes = out.log.method_codes.clone();
    codes.sort();
    assert_eq!(codes, ["113100", "113108", "113109", "113110", "113112"]);
}

struct Redactor;
impl TextCleaner for Redactor {
    fn clean(&self, text: &str) -> String {
        text.replace("DOE", "[NAME]")
    }
}

#[test]
fn clean_descriptors_needs_and_uses_a_text_cleaner() {
    let input = file(
        vec![
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
            text(0x0008, 0x0018, VR::UI, "1.2.3.9"),
            text(0x0008, 0x103E, VR::LO, "T2 AXIAL DOE follow-up"),
            text(0x0020, 0x4000, VR::LT, "seen by DOE"),
        ],
        "1.2.840.10008.1.2.1",
    );
    let p = Policy::with_options([ProfileOption::CleanDescriptors]);
    assert_eq!(
        deidentify(&input, &p, &key()).err(),
        Some(DicomDeidError::Policy(PolicyError::TextCleanerMissing(
            ProfileOption::CleanDescriptors
        )))
    );
    let k = key();
    let out = Deidentifier::new(&p, &k)
        .with_text_cleaner(&Redactor)
        .deidentify(&input)
        .expect("valid");
    let obj = read(&out.bytes);
    assert_eq!(
        value(&obj, 0x0008, 0x103E).as_deref(),
        Some("T2 AXIAL [NAME] follow-up")
    );
    assert!(!contains(&out.bytes, "DOE"));
    let basic = read(
        &deidentify(&input, &Policy::default(), &key())
            .expect("valid")
            .bytes,
    );
    assert_eq!(
        value(&basic, 0x0008, 0x103E),
        None,
        "Series Description is X in the basic profile"
    );
}

#[test]
fn safe_private_attributes_are_kept_only_when_listed() {
    let input = file(
        vec![
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
            text(0x0008, 0x0018, VR::UI, "1.2.3.9"),
            text(0x0043, 0x0010, VR::LO, "GEMS_PARM_01"),
            text(0x0043, 0x1027, VR::SH, "/1.0:1"),
            text(0x0043, 0x1028, VR::LO, "DOE^JOHN"),
            seq(
                0x0008,
                0x1140,
                vec![dicom_object::InMemDicomObject::from_element_iter([
                    text(0x0009, 0x0010, VR::LO, "OTHER"),
                    text(0x0009, 0x1001, VR::LO, "nested private DOE"),
                ])],
            ),
        ],
        "1.2.840.10008.1.2.1",
    );
    let mut p = Policy::with_options([ProfileOption::RetainSafePrivate]);
    p.safe_private.push(SafePrivateTag {
        creator: "GEMS_PARM_01".into(),
        group: 0x0043,
        offset: 0x27,
    });
    let obj = read(&deidentify(&input, &p, &key()).expect("valid").bytes);
    assert_eq!(value(&obj, 0x0043, 0x1027).as_deref(), Some("/1.0:1"));
    assert_eq!(
        value(&obj, 0x0043, 0x0010).as_deref(),
        Some("GEMS_PARM_01"),
        "creator of a kept block stays"
    );
    assert!(obj.get(Tag(0x0043, 0x1028)).is_none());
    let out = deidentify(&input, &p, &key()).expect("valid");
    assert!(
        !contains(&out.bytes, "DOE"),
        "nested private attributes go too"
    );
}

#[test]
fn cleaning_pixels_blacks_out_regions_and_records_it() {
    let input = synthetic_ct();
    let k = key();
    let p = Policy::default();
    let out = Deidentifier::new(&p, &k)
        .deidentify_with_regions(
            &input,
            &[Region {
                x: 0,
                y: 0,
                width: 2,
                height: 1,
            }],
        )
        .expect("valid");
    let obj = read(&out.bytes);
    let px: Vec<u16> = obj
        .get(Tag(0x7FE0, 0x0010))
        .expect("pixels")
        .to_multi_int()
        .expect("u16 samples");
    assert_eq!(
        &px[..3],
        &[0, 0, 200],
        "first two pixels black, the rest untouched"
    );
    assert!(out.log.pixels.cleaned);
    assert!(out.log.method_codes.contains(&"113101".to_owned()));
    assert_eq!(
        out.log.pixels.burned_in_annotation, None,
        "no re-scan, no claim"
    );
    assert_eq!(obj.meta().transfer_syntax(), "1.2.840.10008.1.2.1");
}

#[test]
fn templates_clean_risky_images_automatically() {
    let pixels = vec![200u8; 64 * 32];
    let input = us_image(pixels, 64, 32, "Acme", "Sono 5");
    let mut p = Policy::default();
    p.pixels.auto_clean = AutoClean::Templates;
    p.pixels.templates.push(RegionTemplate {
        manufacturer: "ACME".into(),
        model: "sono 5".into(),
        columns: Some(64),
        rows: None,
        regions: vec![Region {
            x: 0,
            y: 0,
            width: 64,
            height: 8,
        }],
    });
    let out = deidentify(&input, &p, &key()).expect("valid");
    assert!(out.log.pixels.cleaned);
    assert_eq!(out.log.pixels.region_sources, ["template"]);
    assert!(out.needs_pixel_review(), "cleaned but not re-scanned");
    let obj = read(&out.bytes);
    let px = obj
        .get(Tag(0x7FE0, 0x0010))
        .expect("pixels")
        .to_bytes()
        .expect("bytes")
        .to_vec();
    assert!(px[..64 * 8].iter().all(|&v| v == 0));
    assert!(px[64 * 8..].iter().all(|&v| v == 200));
    let never = deidentify(&input, &Policy::default(), &key()).expect("valid");
    assert!(
        !never.log.pixels.cleaned,
        "the default never touches pixels"
    );
    assert_eq!(
        never.log.burned_in_risk.len(),
        2,
        "flagged: burned-in YES and ultrasound"
    );
}

#[test]
fn review_table_shows_only_deidentified_values() {
    let out = deidentify(&synthetic_ct(), &Policy::default(), &key()).expect("valid");
    let rows = out
        .review_table(&Policy::default().limits)
        .expect("output parses");
    let json = serde_json::to_string(&rows).expect("serialisable");
    assert!(!json.contains("DOE") && !json.contains("Springfield") && !json.contains("20210517"));
    let name = rows
        .iter()
        .find(|r| r.header.tag == "(0010,0010)")
        .expect("row for the name");
    assert_eq!(name.treatment, Some(Treatment::Emptied));
    assert!(rows
        .iter()
        .any(|r| r.header.tag == "(0008,0080)" && r.treatment == Some(Treatment::Dummy)));
    assert!(rows
        .iter()
        .any(|r| r.treatment == Some(Treatment::Removed) && r.header.value.is_none()));
    assert!(
        rows.iter()
            .any(|r| r.header.tag == "(0028,0010)" && r.treatment.is_none()),
        "unchanged rows too"
    );
}

#[test]
fn table_lookups_and_policy_errors() {
    assert_eq!(basic_profile_action(0x0010, 0x0010), Some(ActionCode::Z));
    assert_eq!(
        basic_profile_action(0x0008, 0x1140),
        Some(ActionCode::XZUStar)
    );
    assert_eq!(basic_profile_action(0x0028, 0x0010), None);
    let p = Policy::with_options([ProfileOption::CleanGraphics]);
    assert_eq!(
        deidentify(&synthetic_ct(), &p, &key()).err(),
        Some(DicomDeidError::Policy(PolicyError::Unsupported(
            ProfileOption::CleanGraphics
        )))
    );
    let mut ocr = Policy::default();
    ocr.pixels.auto_clean = AutoClean::TemplatesAndOcr;
    assert_eq!(
        deidentify(&synthetic_ct(), &ocr, &key()).err(),
        Some(DicomDeidError::Policy(PolicyError::OcrEngineMissing))
    );
}

#[test]
fn a_file_without_meta_gets_one() {
    let with_meta = file(
        vec![
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
            text(0x0008, 0x0018, VR::UI, "1.2.3.9"),
            text(0x0010, 0x0010, VR::PN, "DOE^JOHN"),
            us(0x0028, 0x0010, 1),
        ],
        "1.2.840.10008.1.2",
    );
    // Strip preamble and meta: the bare implicit VR data set starts at group 0008.
    let start = (132..with_meta.len() - 4)
        .find(|&i| with_meta[i..i + 4] == [0x08, 0x00, 0x16, 0x00])
        .expect("data set start");
    let bare = &with_meta[start..];
    let out = deidentify(bare, &Policy::default(), &key()).expect("the encoding is guessed");
    assert!(out.log.meta_reconstructed);
    let obj = read(&out.bytes);
    assert_eq!(obj.meta().transfer_syntax(), "1.2.840.10008.1.2");
    assert!(!contains(&out.bytes, "DOE"));
}

#[test]
fn dicomdirs_are_refused() {
    let input = file(
        vec![
            text(0x0004, 0x1130, VR::CS, "DEMO"),
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.1.3.10"),
            text(0x0008, 0x0018, VR::UI, "1.2.3.10"),
        ],
        "1.2.840.10008.1.2.1",
    );
    assert_eq!(
        deidentify(&input, &Policy::default(), &key()).err(),
        Some(DicomDeidError::DicomDir)
    );
}

#[test]
fn trailing_padding_is_removed_and_the_pixel_data_still_copied_verbatim() {
    let plain = synthetic_ct();
    let mut padded = plain.clone();
    padded.extend_from_slice(&[0xFC, 0xFF, 0xFC, 0xFF, b'O', b'B', 0, 0, 8, 0, 0, 0]);
    padded.extend_from_slice(b"DOE^JANE");
    // The split relies on every policy removing the padding: the Basic Profile and every
    // retain option (none of which keeps it).
    let retain_all = Policy::with_options([
        ProfileOption::RetainLongitudinalFullDates,
        ProfileOption::RetainPatientCharacteristics,
        ProfileOption::RetainDeviceIdentity,
        ProfileOption::RetainInstitutionIdentity,
        ProfileOption::RetainUids,
        ProfileOption::RetainSafePrivate,
    ]);
    let k = key();
    for p in [Policy::default(), retain_all] {
        let deid = Deidentifier::new(&p, &k);
        let parts = deid.deidentify_parts(&padded).expect("valid");
        let tail = parts
            .tail
            .clone()
            .expect("the pixel data is copied verbatim");
        assert_eq!(tail.end, plain.len(), "the tail stops before the padding");
        assert!(
            parts
                .log
                .changes
                .iter()
                .any(|c| c.path == "(FFFC,FFFC)" && c.treatment == Treatment::Removed),
            "the removal is logged as in a full parse"
        );
        assert_eq!(
            parts.into_output(&padded).bytes,
            deid.deidentify(&plain).expect("valid").bytes,
            "the padding is gone and nothing else differs"
        );
    }
}
