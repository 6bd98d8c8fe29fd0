//! Certificates of destruction: signing, verification, tampering, and the PDF as poppler
//! renders and extracts it.

use crate::support::run_ok;
use airlock_deliver::certificate::{
    standard_exclusions, verify_certificate, AuditPin, CertError, Certificate, ContentCount,
    DataDescription, Media, Organization, OutstandingExport, Person, Project, Sanitization,
    SanitizationStep, SignedCertificate, SignerRole, Verification, VerificationResult, ATTESTATION,
    CERTIFICATE_FORMAT, CERTIFICATE_VERSION, CRYPTO_ERASE_RATIONALE, STANDARD,
};
use airlock_deliver::pdf::render_certificate_pdf;
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::macros::datetime;

const POPPLER_HINT: &str = "apt install poppler-utils";

pub fn sanitizer_key() -> SigningKey {
    SigningKey::from_bytes(&[11u8; 32])
}

pub fn verifier_key() -> SigningKey {
    SigningKey::from_bytes(&[12u8; 32])
}

fn person(name: &str, title: &str, key: &SigningKey, minute: u8) -> Person {
    Person {
        name: name.into(),
        title: title.into(),
        organization: "Synthetic Annotation Team LLC".into(),
        location: "Room 4.12, 100 Example Street, Springfield".into(),
        contact: format!(
            "{}@example.org, +1 555 0100",
            name.split(' ').next().unwrap().to_lowercase()
        ),
        user_id: format!("00000000-0000-4000-8000-0000000000{minute:02}"),
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signed_at: datetime!(2026-11-20 11:00 UTC)
            .replace_minute(minute)
            .unwrap(),
    }
}

/// A realistic, synthetic certificate; with `exports`, several exports remain outside.
pub fn sample(verifier: bool, exports: usize) -> Certificate {
    let outstanding = (0..exports)
        .map(|i| OutstandingExport {
            export_id: format!("export-{:04}", i + 1),
            what: format!(
                "Gold labels (JSONL, CoNLL, COCO) and the compliance package for {} items",
                120 + i
            ),
            form: if i % 2 == 0 {
                "BagIt bag, age-encrypted tar".into()
            } else {
                "BagIt bag, plaintext directory (explicitly requested, audited)".into()
            },
            created_at: datetime!(2026-10-01 09:30 UTC),
            recipient: if i % 2 == 0 {
                "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq (Client Research Ltd)".into()
            } else {
                "none (plaintext)".into()
            },
            exported_by: "Dana Lead (lead)".into(),
            file_sha256: (i % 2 == 0).then(|| format!("{:064x}", 0xabcdef + i)),
        })
        .collect();
    Certificate {
        format: CERTIFICATE_FORMAT.into(),
        version: CERTIFICATE_VERSION,
        certificate_id: "4f1c2b7e-9a0d-4e63-8b55-2d9c1e7f3a10".into(),
        issued_at: datetime!(2026-11-20 11:20 UTC),
        standard: STANDARD.into(),
        organization: Organization {
            name: "Synthetic Annotation Team LLC".into(),
            address: Some("100 Example Street, Springfield, EX 00000".into()),
            contact: "privacy@example.org, +1 555 0100".into(),
        },
        project: Project {
            id: "proj-7".into(),
            name: "Chest X-ray pneumonia labels (synthetic)".into(),
            vault_id: "6b1d5a2e-3c4f-4a5b-9c8d-7e6f5a4b3c2d".into(),
        },
        data: DataDescription {
            description: "Synthetic radiology reports and chest X-rays received from Example Site A, their de-identified derivatives, labels, reviews and the project database".into(),
            item_count: 240,
            source_file_count: 244,
            derived_file_count: 240,
            total_bytes: 1_234_567_890,
            content_types: vec![
                ContentCount { kind: "dicom".into(), count: 120, bytes: 1_100_000_000 },
                ContentCount { kind: "text".into(), count: 124, bytes: 4_567_890 },
                ContentCount { kind: "database".into(), count: 1, bytes: 130_000_000 },
            ],
            phi_categories: vec![
                "names".into(),
                "dates".into(),
                "medical record numbers".into(),
                "geographic subdivisions".into(),
                "DICOM patient and study attributes".into(),
                "burned-in annotations".into(),
            ],
        },
        media: Media {
            media_type: "Flash memory: laptop internal SSD (file-level sanitization)".into(),
            description: "The Airlock vault directory of project proj-7 (vault.json, vault.db with -wal and -shm, blobs/, intake/)".into(),
            make_vendor: Some("Example Computers".into()),
            model: Some("EX-14 (2025)".into()),
            serial_number: Some("SN-0000-SYNTH".into()),
            property_number: None,
            source: "laptop ws-lead-01, user dana".into(),
            classification: "PHI (HIPAA)".into(),
            data_backed_up: "no".into(),
            backup_location: None,
        },
        sanitization: Sanitization {
            method_type: "Purge".into(),
            method_used: "Cryptographic erase, plus deletion".into(),
            technique: "Every key slot (4 user slots), the recovery slot and 1 keyring entry destroyed, so the source key and the work key no longer exist; then vault.db, vault.db-wal, vault.db-shm, 488 blobs, 3 intake files and the header deleted, parent directories fsynced".into(),
            tool: "Airlock".into(),
            tool_version: "0.1.0".into(),
            started_at: datetime!(2026-11-20 11:02 UTC),
            ended_at: datetime!(2026-11-20 11:09 UTC),
            steps: vec![
                SanitizationStep { step: "final audit log exported and signed".into(), completed_at: datetime!(2026-11-20 11:02:30 UTC), detail: "18 342 events".into() },
                SanitizationStep { step: "key slots destroyed (crypto-erase)".into(), completed_at: datetime!(2026-11-20 11:03 UTC), detail: "4 user slots, 1 recovery slot, 1 keyring entry".into() },
                SanitizationStep { step: "run interrupted".into(), completed_at: datetime!(2026-11-20 11:04 UTC), detail: "process killed after 200 of 488 blobs were deleted".into() },
                SanitizationStep { step: "files deleted (resumed)".into(), completed_at: datetime!(2026-11-20 11:08 UTC), detail: "494 files, 1 234 567 890 bytes".into() },
            ],
            resumed_after_interruption: true,
            rationale: CRYPTO_ERASE_RATIONALE.into(),
            post_sanitization_classification: "No PHI recoverable from this media".into(),
            notes: None,
        },
        verification: Verification {
            method: "Full: every path of the vault format re-scanned; opening the vault attempted".into(),
            result: VerificationResult::Passed,
            details: "0 vault files remain; vault.json absent, so the vault cannot be opened".into(),
            verified_at: datetime!(2026-11-20 11:09 UTC),
        },
        media_destination: "Internal reuse: the laptop stays in service with the team".into(),
        audit: AuditPin {
            final_head_hash: "9f2c4e1a7b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8".into(),
            event_count: 18_342,
            export_sha256: "1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100ffee".into(),
            exported_at: datetime!(2026-11-20 11:02:30 UTC),
        },
        outstanding_exports: outstanding,
        not_covered: standard_exclusions(),
        attestation: ATTESTATION.into(),
        sanitizer: person("Casey Compliance", "Compliance Officer", &sanitizer_key(), 10),
        verifier: verifier.then(|| person("Vic Verifier", "Information Security Lead", &verifier_key(), 12)),
    }
}

pub fn signed_json(cert: Certificate) -> Vec<u8> {
    let verifier = cert.verifier.is_some();
    let mut s = SignedCertificate::new(cert);
    s.sign(SignerRole::Sanitizer, &sanitizer_key()).unwrap();
    if verifier {
        s.sign(SignerRole::Verifier, &verifier_key()).unwrap();
    }
    s.to_json().unwrap()
}

#[test]
fn a_signed_certificate_verifies_and_any_changed_value_fails() {
    let json = signed_json(sample(true, 2));
    let check = verify_certificate(&json).unwrap();
    assert!(check.verifier_signed);
    assert_eq!(check.certificate, sample(true, 2));
    assert_eq!(check.fingerprint.len(), 64);

    // Reformatting the JSON (white space, key order) changes no value: still valid.
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let compact = serde_json::to_vec(&v).unwrap();
    assert_eq!(
        verify_certificate(&compact).unwrap().fingerprint,
        check.fingerprint
    );

    // Every single-character change inside any string value breaks a signature, or
    // the structure. Walk every string leaf and change one character.
    let text = String::from_utf8(json.clone()).unwrap();
    let mut changed = 0;
    for (i, _) in text.match_indices("\": \"") {
        let at = i + 4;
        let c = text.as_bytes()[at];
        if c == b'"' || !c.is_ascii_alphanumeric() {
            continue;
        }
        let mut bad = json.clone();
        bad[at] = if c == b'a' { b'b' } else { b'a' };
        let e = verify_certificate(&bad).unwrap_err();
        assert!(
            matches!(
                e,
                CertError::BadSignature(_)
                    | CertError::Structure { .. }
                    | CertError::UnsupportedFormat
                    | CertError::InvalidKey(_)
            ),
            "byte {at}: {e}"
        );
        changed += 1;
    }
    assert!(changed > 60, "walked {changed} values");

    for (from, to) in [
        ("\"event_count\": 18342", "\"event_count\": 18341"),
        (
            "\"resumed_after_interruption\": true",
            "\"resumed_after_interruption\": false",
        ),
        ("\"result\": \"passed\"", "\"result\": \"failed\""),
        ("\"property_number\": null", "\"property_number\": \"P-1\""),
    ] {
        assert!(text.contains(from), "{from}");
        let bad = text.replace(from, to);
        assert_eq!(
            verify_certificate(bad.as_bytes()).unwrap_err(),
            CertError::BadSignature(SignerRole::Sanitizer),
            "{from}"
        );
    }
}

#[test]
fn structure_roles_and_keys_are_checked() {
    let json = signed_json(sample(true, 0));
    let text = String::from_utf8(json.clone()).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&json).unwrap();

    let mut extra = v.clone();
    extra["certificate"]["comment"] = "added".into();
    assert!(matches!(
        verify_certificate(&serde_json::to_vec(&extra).unwrap()),
        Err(CertError::Structure { .. })
    ));
    let mut top = v.clone();
    top["note"] = "x".into();
    assert_eq!(
        verify_certificate(&serde_json::to_vec(&top).unwrap()),
        Err(CertError::Envelope)
    );
    let mut no_verifier_sig = v.clone();
    no_verifier_sig["signatures"].as_array_mut().unwrap().pop();
    assert_eq!(
        verify_certificate(&serde_json::to_vec(&no_verifier_sig).unwrap()),
        Err(CertError::MissingSignature(SignerRole::Verifier))
    );
    let mut twice = v.clone();
    let first = twice["signatures"][0].clone();
    twice["signatures"].as_array_mut().unwrap().push(first);
    assert_eq!(
        verify_certificate(&serde_json::to_vec(&twice).unwrap()),
        Err(CertError::UnexpectedSignature(SignerRole::Sanitizer))
    );
    // Swapping the roles' signatures: each was made for the other role's message.
    let sigs = v["signatures"].as_array_mut().unwrap();
    let (a, b) = (sigs[0]["signature"].clone(), sigs[1]["signature"].clone());
    sigs[0]["signature"] = b;
    sigs[1]["signature"] = a;
    assert_eq!(
        verify_certificate(&serde_json::to_vec(&v).unwrap()),
        Err(CertError::BadSignature(SignerRole::Sanitizer))
    );
    let version = text.replace("\"version\": 1,", "\"version\": 2,");
    assert_eq!(
        verify_certificate(version.as_bytes()),
        Err(CertError::UnsupportedFormat)
    );
    let float = text.replace("\"event_count\": 18342", "\"event_count\": 18342.5");
    assert!(verify_certificate(float.as_bytes()).is_err());
    assert_eq!(verify_certificate(b"not json"), Err(CertError::NotJson));
    assert_eq!(verify_certificate(b"[]"), Err(CertError::Envelope));

    // A forger who replaces the sanitizer's key and signature with their own is caught
    // only by comparing the key with the one the audit export lists: the certificate
    // itself is then consistent. The key is what the check reports for that comparison.
    let forged = {
        let mut c = sample(false, 0);
        let mallory = SigningKey::from_bytes(&[99u8; 32]);
        c.sanitizer.public_key = hex::encode(mallory.verifying_key().as_bytes());
        let mut s = SignedCertificate::new(c);
        s.sign(SignerRole::Sanitizer, &mallory).unwrap();
        s.to_json().unwrap()
    };
    let check = verify_certificate(&forged).unwrap();
    assert_ne!(
        check.certificate.sanitizer.public_key,
        hex::encode(sanitizer_key().verifying_key().as_bytes())
    );

    let mut s = SignedCertificate::new(sample(true, 0));
    assert_eq!(
        s.sign(SignerRole::Sanitizer, &verifier_key()),
        Err(CertError::WrongKey(SignerRole::Sanitizer))
    );
    s.sign(SignerRole::Sanitizer, &sanitizer_key()).unwrap();
    assert_eq!(
        s.to_json(),
        Err(CertError::MissingSignature(SignerRole::Verifier))
    );
    let mut alone = SignedCertificate::new(sample(false, 0));
    assert_eq!(
        alone.sign(SignerRole::Verifier, &verifier_key()),
        Err(CertError::UnexpectedSignature(SignerRole::Verifier))
    );
    let check = verify_certificate(&signed_json(sample(false, 0))).unwrap();
    assert!(!check.verifier_signed);
    let message = check
        .certificate
        .signing_message(SignerRole::Sanitizer)
        .unwrap();
    assert!(
        message.starts_with(b"airlock-certificate-of-destruction-v1\nsanitizer\n{\"attestation\":")
    );
}

fn render_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deliver-certificate");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pdftotext(pdf: &Path) -> String {
    let out = run_ok(
        Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(pdf)
            .arg("-"),
        POPPLER_HINT,
    );
    String::from_utf8(out.stdout).unwrap()
}

fn render_png(pdf: &Path, prefix: &Path) -> Vec<PathBuf> {
    run_ok(
        Command::new("pdftoppm")
            .args(["-png", "-r", "80"])
            .arg(pdf)
            .arg(prefix),
        POPPLER_HINT,
    );
    let stem = prefix.file_name().unwrap().to_str().unwrap().to_string();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(prefix.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&format!("{stem}-"))
                && p.extension().is_some_and(|e| e == "png")
        })
        .collect();
    pages.sort();
    pages
}

#[test]
fn the_pdf_renders_with_poppler_and_carries_the_key_fields() {
    let dir = render_dir();
    for (name, cert) in [("full", sample(true, 3)), ("single", sample(false, 0))] {
        let check = verify_certificate(&signed_json(cert)).unwrap();
        let pdf = render_certificate_pdf(&check).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 400_000, "fonts are subset: {} bytes", pdf.len());
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        for old in std::fs::read_dir(&dir).unwrap() {
            let p = old.unwrap().path();
            if p.extension().is_some_and(|e| e == "png")
                && p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(&format!("{name}-"))
            {
                std::fs::remove_file(p).unwrap();
            }
        }
        let pages = render_png(&path, &dir.join(name));
        assert!(!pages.is_empty());
        let text = pdftotext(&path);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let c = &check.certificate;
        for needle in [
            "Certificate of Destruction",
            "NIST SP 800-88 Rev. 1, Appendix G",
            c.certificate_id.as_str(),
            check.fingerprint.as_str(),
            c.organization.name.as_str(),
            "Purge",
            "Cryptographic erase, plus deletion",
            "PASSED",
            c.audit.final_head_hash.as_str(),
            "18342",
            "Casey Compliance",
            "Compliance Officer",
            "What this certificate does not cover",
            "overwriting a file does not reliably overwrite",
            &format!("Page 1 of {}", pages.len()),
            &format!("Page {} of {}", pages.len(), pages.len()),
        ] {
            assert!(
                flat.contains(needle),
                "{name}: {needle:?} not in the PDF text"
            );
        }
        if name == "full" {
            assert!(flat.contains("Export export-0003"));
            assert!(flat.contains("Vic Verifier"));
            assert!(flat.contains("Interrupted and resumed Yes"));
        } else {
            assert!(flat.contains("None: no export of this project exists outside the vault."));
            assert!(flat.contains("No second person verified this sanitization."));
        }
        let sig = &check.signatures[0].signature;
        let mono: String = text
            .split_whitespace()
            .filter(|t| t.len() >= 8 && t.chars().all(|c| c.is_ascii_hexdigit()))
            .collect();
        assert!(
            mono.contains(sig.as_str()),
            "{name}: the wrapped signature reads back whole"
        );
    }
}

#[test]
fn a_value_longer_than_a_page_continues_on_the_next() {
    let mut cert = sample(false, 40);
    let notes: Vec<String> = (1..=140).map(|i| format!("note line {i}")).collect();
    cert.sanitization.notes = Some(notes.join("\n"));
    let check = verify_certificate(&signed_json(cert)).unwrap();
    let path = render_dir().join("long.pdf");
    std::fs::write(&path, render_certificate_pdf(&check).unwrap()).unwrap();
    let text = pdftotext(&path);
    assert!(text.contains("Notes (continued)"));
    for needle in [
        "note line 1\n",
        "note line 140",
        "Export export-0040",
        "Page 1 of",
    ] {
        assert!(text.contains(needle), "{needle:?}");
    }
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 8, "{pages} pages");
}
