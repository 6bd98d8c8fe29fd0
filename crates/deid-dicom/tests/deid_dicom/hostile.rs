//! Hostile input: truncations, mutations and arbitrary bytes give an error or a valid
//! output, never a panic, and never a large allocation.

use airlock_deid_dicom::{
    deidentify, image_size, inspect, testing::synthetic_ct, DicomDeidError, Policy, ProjectKey,
};
use proptest::prelude::*;

fn key() -> ProjectKey {
    ProjectKey::from_bytes([9; 32])
}

/// Peak resident memory of this process in KiB (Linux), to catch absurd allocations. It
/// is process-wide: the fixture tests running beside these stay well under the bound.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn check(bytes: &[u8]) {
    match deidentify(bytes, &Policy::default(), &key()) {
        Ok(out) => {
            inspect(&out.bytes, &Policy::default().limits).expect("an output always re-parses");
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "one clear sentence");
        }
    }
}

#[test]
fn every_truncation_is_an_error_or_a_valid_file() {
    let full = synthetic_ct();
    for len in 0..full.len() {
        check(&full[..len]);
    }
    assert!(matches!(
        deidentify(&full[..full.len() - 3], &Policy::default(), &key()),
        Err(DicomDeidError::BadLength { .. } | DicomDeidError::Truncated { .. })
    ));
}

#[test]
fn a_declared_length_of_gigabytes_is_refused_without_allocating() {
    let mut bytes = synthetic_ct();
    // The last element is Pixel Data (OW, 32 bytes): declare 4 GB instead.
    let n = bytes.len();
    bytes[n - 36..n - 32].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let before = peak_rss_kib();
    let err = deidentify(&bytes, &Policy::default(), &key()).err();
    assert!(
        matches!(
            err,
            Some(DicomDeidError::BadLength {
                declared: 0xFFFF_FFF0,
                ..
            })
        ),
        "got {err:?}"
    );
    assert!(
        peak_rss_kib() < before + 64 * 1024,
        "no allocation of the declared length"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(flips in proptest::collection::vec((0usize..2000, any::<u8>()), 1..12)) {
        let mut bytes = synthetic_ct();
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] = v;
        }
        check(&bytes);
        prop_assert!(peak_rss_kib() < 1024 * 1024, "peak memory stays under 1 GiB");
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600), preamble in any::<bool>()) {
        let mut bytes = Vec::new();
        if preamble {
            bytes.extend_from_slice(&[0u8; 128]);
            bytes.extend_from_slice(b"DICM");
        }
        bytes.extend_from_slice(&body);
        check(&bytes);
        prop_assert!(peak_rss_kib() < 1024 * 1024, "peak memory stays under 1 GiB");
    }
}

/// Found by cargo-fuzz: a stray sequence delimiter between top-level elements was parsed
/// as an attribute (FFFE,E0DD) and written back, which made the output unreadable.
#[test]
fn stray_delimiters_are_not_written_back() {
    let mut bytes = synthetic_ct();
    bytes.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    let out =
        deidentify(&bytes, &Policy::default(), &key()).expect("a stray delimiter is tolerated");
    let rows = inspect(&out.bytes, &Policy::default().limits).expect("the output re-parses");
    assert!(
        rows.iter().all(|r| !r.tag.starts_with("(FFFE")),
        "no delimiter as an attribute"
    );
    let dumped = crate::common::read(&out.bytes);
    assert!(dumped.get(dicom_core::Tag(0xFFFE, 0xE0DD)).is_none());
}

/// Found by cargo-fuzz (203 bytes): a stray sequence delimiter that declared a length of
/// 0xCAFD0000. The scanner skipped it as a bare header; dicom-rs read the length as a value
/// and allocated 3.4 GB. Delimiters have length 0 (PS3.5 7.5); any other is refused.
#[test]
fn a_delimiter_with_a_length_is_refused_before_dicom_rs_reads_it() {
    let hex = concat!(
        "07000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "f8ffffff000000000000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000003d00000000000000000000000000",
        "00000000000000000000000000000000000000ca0000000000ff0de000000000feffdde000000000",
        "01001800090000004e6573746564205351feff0de000000000feffdde00000fdcaf01f2200020000",
        "000000",
    );
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let policy = Policy::default();
    let refused = |e: &DicomDeidError| matches!(e, DicomDeidError::Structure { .. });
    let e = deidentify(&bytes, &policy, &key()).err().expect("refused");
    assert!(refused(&e), "{e:?}");
    let e = image_size(&bytes, &policy.limits).expect_err("refused");
    assert!(refused(&e), "{e:?}");
}
