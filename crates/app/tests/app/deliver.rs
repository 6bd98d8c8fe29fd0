//! Delivering and destroying: the signed, encrypted compliance bag opened with the stock
//! age CLI and validated; retention; destruction with a second person, its certificate,
//! and resuming an interrupted one.

use crate::support::{pw, request, span_schema, team, user_of, Fixture};
use airlock_app::json::{
    AssignRequest, DestroyRequest, ExportRequest, ReviewDecision, VerifierInput,
};
use airlock_app::{ErrorCode, Role};
use airlock_model::{AnnotationValue, SpanLabel};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A team vault with 3 released notes, labelled by the annotator, one adjudicated to gold.
pub(crate) async fn labelled(fx: &Fixture) -> String {
    let dir = fx.vault.with_file_name("deliver-src");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..3 {
        std::fs::write(
            dir.join(format!("n{i}.txt")),
            format!("Patient Marguerite Vandersloot has pneumonia. Note {i}.\n"),
        )
        .unwrap();
    }
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    let batch = s
        .ingest(&request(&dir), &|_| {}, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap()
        .batch_id;
    s.deid_run(Some(&batch)).await.unwrap();
    for q in s.deid_queue(Some(&batch)).await.unwrap() {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    s.deid_sign_off(&batch).await.unwrap();
    let schema = s.schema_create(&span_schema("Entities")).await.unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    s.assign(&AssignRequest {
        schema_id: schema.id.clone(),
        batch_id: None,
        annotators: vec![user_of(Role::Annotator).0.into()],
        overlap: 1,
    })
    .await
    .unwrap();
    lead.logout().await.unwrap();
    let mut a = fx.login_as(Role::Annotator).await;
    let s = a.active().await.unwrap();
    for q in s.my_queue().await.unwrap() {
        let t = s
            .open_assignment(&q.assignment_id)
            .await
            .unwrap()
            .text
            .unwrap();
        let at = t.find("pneumonia").unwrap() as u32;
        let v = AnnotationValue {
            spans: vec![SpanLabel {
                start: at,
                end: at + 9,
                label: "Diagnosis".into(),
            }],
            ..Default::default()
        };
        s.save_annotation(&q.assignment_id, &v, None).await.unwrap();
        s.submit_annotation(&q.assignment_id).await.unwrap();
    }
    a.logout().await.unwrap();
    let mut r = fx.login_as(Role::Reviewer).await;
    let s = r.active().await.unwrap();
    let row = s.review_queue().await.unwrap().remove(0);
    let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
    s.review_decide(
        &row.item_id,
        &row.schema_id,
        &ReviewDecision::Adjudicate {
            gold: view.annotations[0].value.clone(),
        },
    )
    .await
    .unwrap();
    r.logout().await.unwrap();
    schema.id
}

fn grep_tree(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(grep_tree(&p, needle));
        } else if String::from_utf8_lossy(&std::fs::read(&p).unwrap()).contains(needle) {
            hits.push(p.display().to_string());
        }
    }
    hits
}

#[tokio::test]
async fn the_deliverable_opens_with_stock_age_validates_and_holds_no_phi() {
    let fx = team().await;
    let schema = labelled(&fx).await;
    let work = fx.vault.with_file_name("client");
    std::fs::create_dir_all(&work).unwrap();
    let key = work.join("client-key.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success(),
        "Debian's age-keygen makes the client's key"
    );
    let out = Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    let recipient = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let bag = work.join("deliverable.tar.age");
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    let req = ExportRequest {
        schema_id: None,
        gold_only: false,
        recipients: vec![recipient.clone()],
        passphrase: None,
        plaintext: false,
        out: bag.display().to_string(),
        reason: "delivery to the client".into(),
    };
    assert_eq!(
        s.export_deliverable(&ExportRequest {
            reason: " ".into(),
            ..req.clone()
        })
        .await
        .unwrap_err()
        .code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        s.export_deliverable(&ExportRequest {
            recipients: vec![],
            ..req.clone()
        })
        .await
        .unwrap_err()
        .code,
        ErrorCode::InvalidInput,
        "no silent plaintext"
    );
    let report = s.export_deliverable(&req).await.unwrap();
    assert_eq!(report.items, 3);
    assert!(report.formats.contains(&"conll".to_string()));
    let raw = std::fs::read(&bag).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/v1"));
    assert!(
        !String::from_utf8_lossy(&raw).contains("pneumonia"),
        "the bag is encrypted"
    );
    lead.logout().await.unwrap();

    // The client: stock age, stock tar, then BagIt validation and the audit log check.
    let tar = work.join("bag.tar");
    let d = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(&tar)
        .arg(&bag)
        .output()
        .unwrap();
    assert!(
        d.status.success(),
        "age -d: {}",
        String::from_utf8_lossy(&d.stderr)
    );
    assert!(Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&work)
        .status()
        .unwrap()
        .success());
    let root = std::fs::read_dir(&work)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap();
    let v = airlock_ingest::bagit::validate_bag(&root).unwrap();
    assert!(v.valid, "{:?}", v.problems);
    for f in [
        "data/labels.jsonl",
        "data/labels.conll",
        "compliance/audit-log.jsonl",
        "compliance/access-log.csv",
        "compliance/redaction-log.jsonl",
        "compliance/method-statement.md",
        "compliance/quality-metrics.json",
        "compliance/schema.json",
        "airlock-signature.txt",
    ] {
        assert!(root.join(f).is_file(), "{f} is in the bag");
    }
    let schema_json = std::fs::read_to_string(root.join("compliance/schema.json")).unwrap();
    assert!(
        schema_json.contains(&schema),
        "the one published schema was chosen when none was named"
    );
    let jsonl = std::fs::read_to_string(root.join("data/labels.jsonl")).unwrap();
    assert!(
        jsonl.contains("Diagnosis") && jsonl.contains("gold"),
        "{jsonl}"
    );
    let audit = airlock_app::verify_export_file(&root.join("compliance/audit-log.jsonl")).unwrap();
    assert!(audit.ok, "the audit log in the package verifies offline");
    assert!(
        grep_tree(&root, "Vandersloot").is_empty(),
        "no original identifier anywhere in the deliverable"
    );
    airlock_deliver::signature::verify_bag_signature(&root).unwrap();

    // Others may not export; the export is recorded for the certificate.
    let mut c = fx.login_as(Role::Compliance).await;
    let s = c.active().await.unwrap();
    assert_eq!(
        s.export_deliverable(&req).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    let ret = s.retention().await.unwrap();
    assert_eq!(ret.exports.len(), 1);
    assert_eq!(ret.exports[0].recipient, recipient);
    c.logout().await.unwrap();
}

pub(crate) fn destroy_request(fx: &Fixture, verifier: Option<VerifierInput>) -> DestroyRequest {
    DestroyRequest {
        confirm_project: "Synthetic Study".into(),
        certificate_out: fx
            .vault
            .with_file_name("certificate.json")
            .display()
            .to_string(),
        audit_out: fx
            .vault
            .with_file_name("final-audit.jsonl")
            .display()
            .to_string(),
        organization: "Synthetic Research Org".into(),
        organization_contact: "privacy@example.invalid".into(),
        title: "Compliance officer".into(),
        location: "Office 3".into(),
        contact: "cam@example.invalid".into(),
        media_details: Some("Laptop, internal SSD".into()),
        media_destination: "Internal reuse: the laptop stays in service".into(),
        verifier,
    }
}

#[tokio::test]
async fn destruction_with_a_second_person_leaves_nothing_and_a_verifiable_certificate() {
    let fx = team().await;
    let _ = labelled(&fx).await;
    let (cname, cpass) = user_of(Role::Compliance);
    let mut ws = fx.login_as(Role::Compliance).await;
    let lead = Some(VerifierInput {
        name: user_of(Role::Lead).0.into(),
        passphrase: user_of(Role::Lead).1.into(),
        title: "Project lead".into(),
    });
    let e = ws
        .destroy(&destroy_request(&fx, lead.clone()), &pw(cpass))
        .await
        .unwrap_err();
    assert!(e.message.contains("retention date"), "{}", e.message);
    ws.active()
        .await
        .unwrap()
        .set_retention("2000-01-01", Some("contract ended"))
        .await
        .unwrap();
    let mut wrong = destroy_request(&fx, lead.clone());
    wrong.confirm_project = "Synthetic".into();
    assert_eq!(
        ws.destroy(&wrong, &pw(cpass)).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let bad_witness = Some(VerifierInput {
        passphrase: "not the lead's passphrase".into(),
        ..lead.clone().unwrap()
    });
    assert_eq!(
        ws.destroy(&destroy_request(&fx, bad_witness), &pw(cpass))
            .await
            .unwrap_err()
            .code,
        ErrorCode::BadCredentials
    );
    assert_eq!(
        ws.destroy(
            &destroy_request(&fx, lead.clone()),
            &pw("not my passphrase!")
        )
        .await
        .unwrap_err()
        .code,
        ErrorCode::BadCredentials
    );

    let report = ws
        .destroy(&destroy_request(&fx, lead), &pw(cpass))
        .await
        .unwrap();
    assert!(report.verified);
    assert!(!fx.vault.exists(), "the vault directory is gone");
    assert!(airlock_vault::Vault::open(&fx.vault).is_err());
    let pdf = std::fs::read(&report.certificate_pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let check = airlock_app::verify_certificate_file(
        Path::new(&report.certificate_json),
        Some(Path::new(&report.audit_export)),
    )
    .unwrap();
    assert!(check.ok, "{}", check.message);
    assert_eq!(check.audit_matches, Some(true));
    assert_eq!(check.verifier.as_deref(), Some(user_of(Role::Lead).0));
    let cert = std::fs::read_to_string(&report.certificate_json).unwrap();
    assert!(cert.contains("Purge") && cert.contains("Cryptographic erase"));
    assert!(!cert.contains("Vandersloot"));
    let tampered = cert.replacen("Synthetic Research Org", "Other Org", 1);
    let t = fx.vault.with_file_name("tampered.json");
    std::fs::write(&t, tampered).unwrap();
    assert!(!airlock_app::verify_certificate_file(&t, None).unwrap().ok);
    let _ = cname;
}

#[tokio::test]
async fn only_compliance_destroys_and_an_interrupted_destruction_resumes() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    lead.active()
        .await
        .unwrap()
        .set_retention("2000-01-01", None)
        .await
        .unwrap();
    assert_eq!(
        lead.destroy(&destroy_request(&fx, None), &pw(user_of(Role::Lead).1))
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    lead.logout().await.unwrap();
    let (_, cpass) = user_of(Role::Compliance);
    let mut ws = fx.login_as(Role::Compliance).await;
    // The PDF cannot be written (a directory is in the way): the run stops after the erase.
    let req = destroy_request(&fx, None);
    let pdf = Path::new(&req.certificate_out).with_extension("pdf");
    std::fs::create_dir_all(pdf.join("blocker")).unwrap();
    let e = ws.destroy(&req, &pw(cpass)).await.unwrap_err();
    assert!(e.message.contains("PDF"), "{}", e.message);
    assert!(
        airlock_vault::Vault::open(&fx.vault).is_err(),
        "the keys are already gone"
    );
    std::fs::remove_dir_all(&pdf).unwrap();
    let mut fresh = fx.workspace();
    assert_eq!(
        fresh
            .resume_destruction(
                Path::new(&req.certificate_out),
                &pw("wrong passphrase!!"),
                None
            )
            .unwrap_err()
            .code,
        ErrorCode::BadCredentials
    );
    let report = fresh
        .resume_destruction(Path::new(&req.certificate_out), &pw(cpass), None)
        .unwrap();
    assert!(report.verified && report.resumed);
    let check =
        airlock_app::verify_certificate_file(Path::new(&report.certificate_json), None).unwrap();
    assert!(check.ok, "{}", check.message);
    assert!(
        std::fs::read_to_string(&report.certificate_json)
            .unwrap()
            .contains("\"resumed_after_interruption\": true")
            || std::fs::read_to_string(&report.certificate_json)
                .unwrap()
                .contains("\"resumed_after_interruption\":true")
    );
}
