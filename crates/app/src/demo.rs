//! The demo project: a vault with one user per role, documented demo passphrases, and a
//! realistic audit trail made by really performing each step. Synthetic data only.
//! Every capability Airlock gains extends this, so a newcomer sees all of it.

use crate::error::AppError;
use crate::json::{
    AssignRequest, AssignmentStatus, BatchDecision, DeidSpanEdit, DicomRegion, IngestRequest,
    QualificationInput, ReviewDecision, SchemaDto, SchemaInput,
};
use crate::json::{DemoInfo, DemoUser};
use crate::session::Session;
use crate::workspace::{summary, Workspace};
use airlock_model::{
    AnnotationValue, BoxLabel, EventKind, LabelDef, Outcome, Role, SchemaBody, SpanLabel, Task,
};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The demo project's name.
pub const DEMO_PROJECT: &str = "Demo — Synthetic Discharge Notes";

/// The demo accounts: name, role and passphrase. Public by design: a demo vault holds
/// synthetic data only and must never receive real data.
pub const DEMO_USERS: [(&str, Role, &str); 5] = [
    ("dana.lead", Role::Lead, "demo-lead-passphrase"),
    (
        "avery.annotator",
        Role::Annotator,
        "demo-annotator-passphrase",
    ),
    ("riley.reviewer", Role::Reviewer, "demo-reviewer-passphrase"),
    (
        "casey.compliance",
        Role::Compliance,
        "demo-compliance-passphrase",
    ),
    (
        "jordan.annotator",
        Role::Annotator,
        "demo-annotator2-passphrase",
    ),
];

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

impl Workspace {
    /// Creates the demo vault at `path` (a new directory) by performing each step for
    /// real, and leaves it open with nobody logged in.
    pub async fn create_demo(&mut self, path: &Path) -> Result<DemoInfo, AppError> {
        let (lead, _, lead_pw) = DEMO_USERS[0];
        self.create_vault(path, DEMO_PROJECT, lead, &pw(lead_pw))
            .await?;

        self.login(lead, &pw(lead_pw), None).await?;
        for (name, role, pass) in &DEMO_USERS[1..] {
            self.active()
                .await?
                .add_user(name, *role, &pw(pass))
                .await?;
        }
        self.logout().await?;

        let (annotator, _, annotator_pw) = DEMO_USERS[1];
        self.login(annotator, &pw(annotator_pw), None).await?;
        // An annotator trying user management is refused and the refusal is audited.
        let _ = self.active().await?.list_users().await;
        self.logout().await?;

        let (reviewer, _, reviewer_pw) = DEMO_USERS[2];
        let _ = self
            .login(reviewer, &pw("not-the-right-passphrase"), None)
            .await;
        self.login(reviewer, &pw(reviewer_pw), None).await?;
        self.logout().await?;

        let (compliance, _, compliance_pw) = DEMO_USERS[3];
        self.login(compliance, &pw(compliance_pw), None).await?;
        let s = self.active().await?;
        s.start_break_glass("Demo: simulated lost laptop, checking recent access", 30)
            .await?;
        s.audit_verify().await?;
        self.logout().await?;

        self.login(lead, &pw(lead_pw), None).await?;
        let s = self.active().await?;
        let (first_batch, ct_batch) = receive_demo_deliveries(s).await?;
        deidentify_demo(s, &first_batch, &ct_batch).await?;
        publish_to_both(s, &demo_box_schema(), ct_batch).await?;
        let schema = publish_to_both(s, &demo_schema(), first_batch).await?;
        self.logout().await?;
        self.annotate_demo(&schema.id).await?;
        self.packages_demo().await?;
        self.annotate_demo_ct().await?;
        self.login(lead, &pw(lead_pw), None).await?;
        let s = self.active().await?;
        record_demo_compliance(s).await?;
        let mut tx = s.begin().await?;
        let mut d = s.draft(EventKind::DemoSeeded, Outcome::Success);
        d.object_kind = Some("vault".into());
        d.detail.insert("users".into(), DEMO_USERS.len().into());
        s.record(&mut tx, d).await?;
        tx.commit().await?;
        self.logout().await?;

        Ok(DemoInfo {
            vault: summary(self.vault().expect("the demo vault is open")),
            users: DEMO_USERS
                .iter()
                .map(|(name, role, pass)| DemoUser {
                    name: name.to_string(),
                    role: *role,
                    passphrase: pass.to_string(),
                })
                .collect(),
        })
    }
}

/// Creates and publishes a schema and assigns `batch` under it to both demo annotators,
/// every item to each; returns the schema.
async fn publish_to_both(
    s: &mut Session,
    input: &SchemaInput,
    batch: String,
) -> Result<SchemaDto, AppError> {
    let schema = s.schema_create(input).await?;
    s.schema_publish(&schema.id).await?;
    s.assign(&AssignRequest {
        schema_id: schema.id.clone(),
        batch_id: Some(batch),
        annotators: vec![DEMO_USERS[1].0.into(), DEMO_USERS[4].0.into()],
        overlap: 2,
    })
    .await?;
    Ok(schema)
}

/// Training records and attestations for the annotators (they go into every compliance
/// package), and a retention date 20 days out, so the home screen shows its reminder and
/// the Retention screen has something to count down.
async fn record_demo_compliance(s: &mut Session) -> Result<(), AppError> {
    let today = s.now().date();
    for (name, _, _) in DEMO_USERS.iter().filter(|u| u.1 == Role::Annotator) {
        for (kind, title) in [
            (
                "training",
                "HIPAA privacy and security training (synthetic record)",
            ),
            (
                "attestation",
                "Confidentiality attestation for this project (synthetic record)",
            ),
        ] {
            s.add_qualification(&QualificationInput {
                user: (*name).into(),
                kind: kind.into(),
                title: title.into(),
                date: (today - time::Duration::days(7)).to_string(),
                note: None,
            })
            .await?;
        }
    }
    s.set_retention(
        &(today + time::Duration::days(20)).to_string(),
        Some("contract end + 30 days (synthetic)"),
    )
    .await
}

/// Synthetic discharge notes: invented people, places and numbers, written the way real
/// notes carry identifiers, so the de-identification steps have something to find.
pub(crate) const DEMO_NOTES: [(&str, &str); 6] = [
    (
        "notes/discharge-0001.txt",
        "DISCHARGE SUMMARY\nPatient: Marguerite Vandersloot   MRN: 00482913\nAdmitted: 03/14/2025  Discharged: 03/19/2025\nAttending: Dr. Oswin Pellworth\n\nMrs. Vandersloot, a 67-year-old woman from Harrowgate, was admitted with community-acquired pneumonia. Chest X-ray showed right lower lobe consolidation. She improved on ceftriaxone and azithromycin.\nFollow-up with Dr. Pellworth at Brindlemoor Clinic, 414 Quillon Street, phone (555) 014-2291.\n",
    ),
    (
        "notes/discharge-0002.txt",
        "DISCHARGE SUMMARY\nPatient: Teodor Kallistrand   MRN: 00519377\nDate of birth: 1951-08-02\nAdmitted 2025-04-02 for an exacerbation of COPD.\n\nMr. Kallistrand, 73, lives with his daughter Ilse in Wexcombe. Treated with nebulised bronchodilators and prednisolone. Oxygen saturation 94% on room air at discharge.\nContact: ilse.kallistrand@example.invalid\n",
    ),
    (
        "notes/discharge-0003.txt",
        "DISCHARGE SUMMARY\nName: Anneliese Morrowdale  Account: AC-7734-0021\nAge: 92\nSeen on April 9, 2025 after a fall at home (12 Lantern Row, Pellcastle 30915).\n\nCT head negative for acute haemorrhage. Left distal radius fracture managed with a cast. Physiotherapy referral made.\nSigned: Dr. Hesper Quillfeather, 04/10/2025\n",
    ),
    (
        "notes/discharge-0004.txt",
        "DISCHARGE SUMMARY\nPatient: Caspian Orlebar  MRN 00611045  SSN 900-14-2231\nAdmission date: 21 May 2025\n\nMr. Orlebar presented with chest pain. Troponin negative x2, ECG without ischaemic change. Discharged on aspirin; stress test booked for June 3.\nHis wife, Petronella Orlebar, will drive him home.\n",
    ),
    (
        "notes/discharge-0005.txt",
        "DISCHARGE SUMMARY\nPatient: Wilhelmina Starkadder   DOB 12/30/1988\nAdmitted 06/11/2025 with diabetic ketoacidosis.\n\nMs. Starkadder was treated with IV fluids and insulin infusion; anion gap closed within 18 hours. Insulin pump serial SN-4471-XQ-0093 checked by the diabetes team.\nPortal: https://portal.brindlemoor.example.invalid/records/5520\n",
    ),
    (
        "notes/discharge-0006.txt",
        "DISCHARGE SUMMARY\nPatient: Barnaby Fenwhistle  MRN: 00733310\nAdmitted: July 1st, 2025\n\nMr. Fenwhistle, 58, underwent laparoscopic cholecystectomy without complication. Discharged on day 1 with oral analgesia.\nFax results to (555) 019-7730. Health plan ID: HP-55102-88.\n",
    ),
];

/// The patient banner of the demo ultrasound: white text on black, 320 × 20, 8-bit grey,
/// drawn once with ImageMagick (`convert -size 320x20 xc:black -fill white -font
/// DejaVu-Sans-Mono-Bold -pointsize 13 -annotate +4+15 "VANDERSLOOT^MARGUERITE  MRN
/// 00482913" -depth 8 gray:demo-us-banner.gray`). The name and number are invented.
const DEMO_US_BANNER: &[u8] = include_bytes!("../assets/demo-us-banner.gray");

/// Where the banner is burned into the demo's ultrasound and photograph.
const DEMO_BANNER: DicomRegion = DicomRegion {
    x: 0,
    y: 0,
    width: 320,
    height: 20,
};

/// A synthetic ultrasound with the patient's name burned into its top rows, so the DICOM
/// review has a header to clean and a banner to black out: a sector of speckle under a
/// 20-row banner, 320 × 240.
fn demo_ultrasound() -> Vec<u8> {
    const W: usize = 320;
    const H: usize = 240;
    let mut pixels = vec![0u8; W * H];
    pixels[..DEMO_US_BANNER.len()].copy_from_slice(DEMO_US_BANNER);
    let mut seed: u32 = 0x2545_f491;
    let (apex_x, apex_y) = (W as f32 / 2.0, 30.0f32);
    for y in 30..H {
        for x in 0..W {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let (dx, dy) = (x as f32 - apex_x, y as f32 - apex_y);
            let r = (dx * dx + dy * dy).sqrt();
            let inside = dy > 0.0 && (dx / dy).abs() < 0.8 && r < 200.0;
            if inside {
                let speckle = (seed >> 24) as f32 / 255.0;
                let depth = 1.0 - r / 260.0;
                pixels[y * W + x] = (40.0 + 150.0 * depth * speckle) as u8;
            }
        }
    }
    airlock_deid_dicom::testing::synthetic_ultrasound(
        "VANDERSLOOT^MARGUERITE",
        "00482913",
        W as u16,
        H as u16,
        pixels,
    )
}

/// The demo's clinical photograph: 320 × 240, a wound-like disc on skin tones with the
/// ultrasound's patient banner burned into its top rows (a label in the picture), saved as
/// JPEG with the name in its EXIF description and a comment, as a phone would.
fn demo_photo() -> Vec<u8> {
    let img = airlock_deid_image::testing::synthetic_photo(320, 240, Some((DEMO_US_BANNER, 320)));
    airlock_deid_image::testing::jpeg_of(&img, 1, "VANDERSLOOT MARGUERITE wound day 3")
}

/// Synthetic triage notes as CSV rows (one item per row).
const DEMO_TRIAGE_CSV: &str = "id,text\n1,\"Walk-in, 34-year-old with sprained ankle after football on 08/02/2025.\"\n2,\"Reports headache for 3 days; seen by Dr. Ysolde Marrick.\"\n3,\"Child brought by mother Ottilie Brackenbury with fever 39.1 C.\"\n4,\"Laceration to left hand, 2 cm, cleaned and closed with steri-strips.\"\n";

fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> Result<String, AppError> {
    let path = root.join(rel);
    let io = |e| {
        AppError::from(airlock_vault::VaultError::io(
            "writing the demo delivery",
            e,
        ))
    };
    std::fs::create_dir_all(path.parent().expect("demo paths have a parent")).map_err(io)?;
    std::fs::write(&path, bytes).map_err(io)?;
    Ok(format!("{}  {rel}\n", hex::encode(Sha256::digest(bytes))))
}

/// A throw-away folder for the demo's synthetic deliveries, removed when dropped.
struct DemoFolder(PathBuf);

impl Drop for DemoFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo CT series: 192 × 192 pixels, 32 slices, signed 16-bit with a CT window in
/// its header, of a fictitious patient (see `synthetic_ct_series`).
const DEMO_CT: (u16, u16, u16) = (192, 192, 32);

/// Receives three synthetic deliveries for real: one that verifies completely (notes and a
/// CSV of triage notes, with a SHA256SUMS manifest), one in which a note changed in
/// transit — quarantined, the verified files released by the lead — and a multi-frame CT
/// series with a clinical photograph. Returns the first batch's id and the CT batch's.
async fn receive_demo_deliveries(s: &mut Session) -> Result<(String, String), AppError> {
    let base = std::env::temp_dir().join(format!("airlock-demo-{}", uuid::Uuid::new_v4()));
    let _cleanup = DemoFolder(base.clone());
    let first = base.join("site-a-delivery-1");
    let mut manifest = String::new();
    for (rel, text) in &DEMO_NOTES[..4] {
        manifest += &write_file(&first, rel, text.as_bytes())?;
    }
    manifest += &write_file(
        &first,
        "triage/triage-2025-08.csv",
        DEMO_TRIAGE_CSV.as_bytes(),
    )?;
    write_file(&first, "SHA256SUMS", manifest.as_bytes())?;
    let no_cancel = Arc::new(AtomicBool::new(false));
    let request = |src: &Path| IngestRequest {
        source: src.display().to_string(),
        ..IngestRequest::default()
    };
    let first_batch = s
        .ingest(&request(&first), &|_| {}, no_cancel.clone())
        .await?
        .batch_id;

    let second = base.join("site-a-delivery-2");
    let mut manifest = String::new();
    for (rel, text) in &DEMO_NOTES[4..] {
        manifest += &write_file(&second, rel, text.as_bytes())?;
    }
    manifest += &write_file(&second, "studies/us-0001.dcm", &demo_ultrasound())?;
    write_file(&second, "SHA256SUMS", manifest.as_bytes())?;
    // The second note is altered after its checksum was taken, as a bad copy would be.
    write_file(
        &second,
        DEMO_NOTES[5].0,
        b"DISCHARGE SUMMARY\n(truncated in transit)\n",
    )?;
    let report = s
        .ingest(&request(&second), &|_| {}, no_cancel.clone())
        .await?;
    s.decide_batch(&report.batch_id, BatchDecision::ReleaseVerified, None)
        .await?;

    let third = base.join("site-b-ct-delivery");
    let (w, h, frames) = DEMO_CT;
    let mut manifest = write_file(
        &third,
        "ct/ct-0001.dcm",
        &airlock_deid_dicom::testing::synthetic_ct_series(w, h, frames),
    )?;
    manifest += &write_file(&third, "photos/wound-0001.jpg", &demo_photo())?;
    write_file(&third, "SHA256SUMS", manifest.as_bytes())?;
    let ct_batch = s
        .ingest(&request(&third), &|_| {}, no_cancel)
        .await?
        .batch_id;
    Ok((first_batch, ct_batch))
}

/// Places in the demo notes a detector cannot know (invented towns and a clinic): the
/// lead marks the first one the detector left alone as a missed identifier.
const DEMO_MISSES: [&str; 4] = ["Harrowgate", "Brindlemoor", "Wexcombe", "Pellcastle"];

/// De-identifies the demo deliveries for real; in the first, the lead checks every note
/// beside its original, marks one missed place by hand, validates all and signs off; the
/// CT series is checked (header and frames), validated and signed off too. The second is
/// left for a newcomer to review.
async fn deidentify_demo(
    s: &mut Session,
    first_batch: &str,
    ct_batch: &str,
) -> Result<(), AppError> {
    s.deid_run(None).await?;
    let queue = s.deid_queue(Some(first_batch)).await?;
    let mut marked = false;
    for q in &queue {
        let review = s.deid_review(&q.item_id).await?;
        if !marked {
            let covered = |a: usize, b: usize| {
                review
                    .spans
                    .iter()
                    .any(|x| (x.start as usize) < b && a < x.end as usize)
            };
            let miss = DEMO_MISSES
                .iter()
                .filter_map(|w| review.original.find(w).map(|i| (i, i + w.len())))
                .find(|(a, b)| !covered(*a, *b));
            if let Some((start, end)) = miss {
                let mut edits: Vec<DeidSpanEdit> = review
                    .spans
                    .iter()
                    .map(|x| DeidSpanEdit {
                        start: x.start,
                        end: x.end,
                        category: x.category.clone(),
                    })
                    .collect();
                edits.push(DeidSpanEdit {
                    start: start as u32,
                    end: end as u32,
                    category: "location".into(),
                });
                s.deid_revise(&q.item_id, &edits).await?;
                marked = true;
            }
        }
        s.deid_validate(&q.item_id).await?;
    }
    s.deid_sign_off(first_batch).await?;
    for q in s.deid_queue(Some(ct_batch)).await? {
        let review = s.deid_dicom_review(&q.item_id).await?;
        // Where OCR (tesseract) is missing or missed the photograph's banner, the lead
        // blacks it out by hand before validating.
        if review.method != "ps315_dicom" && review.pixel_regions == 0 {
            s.deid_dicom_clean(&q.item_id, &[DEMO_BANNER]).await?;
        }
        s.deid_validate(&q.item_id).await?;
    }
    s.deid_sign_off(ct_batch).await?;
    // The second delivery's ultrasound is left for the newcomer to check. Its scanner burns
    // the banner in the same place on every image, and the lead has kept that place as the
    // device's template: its review proposes it (dashed), and the scanner's next studies
    // are cleaned there even without OCR.
    for q in s.deid_queue(None).await? {
        if q.kind == "dicom" && s.deid_dicom_review(&q.item_id).await?.device.is_some() {
            s.region_template_save(&q.item_id, &[DEMO_BANNER]).await?;
        }
    }
    Ok(())
}

/// The CT schema's guideline as a PDF too (made from its Markdown), base64 as the UI
/// sends it: annotators page through it beside the image.
fn demo_guideline_pdf() -> String {
    use base64::Engine as _;
    let text = "# Lesions on CT\n\nBox every lesion on the slice where it is largest, tight to its edge.\n\n## Windows\n\n- Use the soft-tissue window (key 1) for lesions.\n- Check the lung window (key 2) for nodules.\n\n## Artefacts\n\n- Box streaks or noise only where they could be mistaken for a lesion.\n- Photographs: box the wound itself, not the dressing.\n";
    let pdf = airlock_deliver::pdf::render_text_pdf("Lesions on CT: labelling guideline", text)
        .expect("the demo guideline renders");
    base64::engine::general_purpose::STANDARD.encode(pdf)
}

/// The demo's box schema for the CT series (named to sort after the text schema, which
/// screens open first).
fn demo_box_schema() -> SchemaInput {
    let label = |name: &str, description: &str| LabelDef {
        name: name.into(),
        key: None,
        color: None,
        description: Some(description.into()),
    };
    SchemaInput {
        name: "Lesions on CT".into(),
        task: Task::ImageBoxes,
        body: SchemaBody {
            labels: vec![
                label("Lesion", "A focal abnormality in the soft tissue."),
                label("Artefact", "Streaks or noise that are not anatomy."),
            ],
            multi: false,
        },
        guideline: "# Lesions on CT

Box every **lesion** on the slice where it is largest, tight to its edge.

- Use the soft-tissue window (key 1).
- Box artefacts only where they could be mistaken for a lesion.
"
        .into(),
        guideline_pdf: Some(demo_guideline_pdf()),
    }
}

/// The boxes a demo annotator draws on the CT series (the lesion on its largest slice) or
/// on the photograph (`photo`: the wound); the second annotator draws it a little larger
/// and also boxes an artefact.
fn demo_boxes(photo: bool, disagree: bool) -> AnnotationValue {
    let (w, h, frames) = DEMO_CT;
    // The synthetic lesion is centred at (0.62 w, 0.45 h), radius 0.12 w on the middle slice;
    // the photograph's wound at (0.55 w, 0.6 h), radius 0.18 of its height.
    let (w, h, cx, cy, r, frame) = if photo {
        (320.0, 240.0, 0.55, 0.6, 0.18 * 240.0, 0)
    } else {
        let (w, h) = (f64::from(w), f64::from(h));
        (w, h, 0.62, 0.45, 0.12 * w, u32::from(frames / 2))
    };
    let grow = if disagree { 4.0 } else { 0.0 };
    let mut boxes = vec![BoxLabel {
        x: cx * w - r - grow,
        y: cy * h - r - grow,
        w: 2.0 * (r + grow),
        h: 2.0 * (r + grow),
        label: "Lesion".into(),
        frame,
    }];
    if disagree {
        boxes.push(BoxLabel {
            x: 0.2 * w,
            y: 0.6 * h,
            w: 18.0,
            h: 12.0,
            label: "Artefact".into(),
            frame,
        });
    }
    AnnotationValue {
        boxes,
        ..AnnotationValue::default()
    }
}

/// The demo's label schema: clinical entities in discharge notes.
fn demo_schema() -> SchemaInput {
    let label = |name: &str, description: &str| LabelDef {
        name: name.into(),
        key: None,
        color: None,
        description: Some(description.into()),
    };
    SchemaInput {
        name: "Discharge entities".into(),
        task: Task::TextSpans,
        body: SchemaBody {
            labels: vec![
                label("Diagnosis", "A condition the patient was treated for."),
                label("Drug", "A medicine given or prescribed."),
                label("Procedure", "An examination or operation."),
            ],
            multi: false,
        },
        guideline: "# Discharge entities\n\nMark every **diagnosis**, **drug** and **procedure**.\n\n- Mark the shortest span that names the thing (\"pneumonia\", not \"community-acquired pneumonia was\").\n- Do not mark placeholders such as [NAME] or [DATE 2025].\n".into(), guideline_pdf: None,}
}

/// Entities the demo annotators mark, by the words that name them.
const DEMO_ENTITIES: [(&str, &str); 12] = [
    ("pneumonia", "Diagnosis"),
    ("ceftriaxone", "Drug"),
    ("azithromycin", "Drug"),
    ("COPD", "Diagnosis"),
    ("prednisolone", "Drug"),
    ("fracture", "Diagnosis"),
    ("CT head", "Procedure"),
    ("chest pain", "Diagnosis"),
    ("aspirin", "Drug"),
    ("stress test", "Procedure"),
    ("fever", "Diagnosis"),
    ("steri-strips", "Procedure"),
];

fn demo_spans(text: &str, disagree: bool) -> AnnotationValue {
    let mut spans: Vec<SpanLabel> = DEMO_ENTITIES
        .iter()
        .filter_map(|(word, label)| {
            let start = text.find(word)?;
            // The second annotator calls a procedure a diagnosis, and skips the antibiotic.
            let label = if disagree && *label == "Procedure" {
                "Diagnosis"
            } else {
                label
            };
            if disagree && *word == "azithromycin" {
                return None;
            }
            Some(SpanLabel {
                start: start as u32,
                end: (start + word.len()) as u32,
                label: label.to_string(),
            })
        })
        .collect();
    spans.sort_by_key(|s| s.start);
    AnnotationValue {
        spans,
        ..AnnotationValue::default()
    }
}

impl Workspace {
    /// Both demo annotators box the CT series and the photograph for real and submit (they
    /// disagree on an artefact), so the reviewer's queue has images to compare and
    /// adjudicate.
    async fn annotate_demo_ct(&mut self) -> Result<(), AppError> {
        for (who, disagree) in [(1usize, false), (4usize, true)] {
            let (name, _, pass) = DEMO_USERS[who];
            self.login(name, &pw(pass), None).await?;
            let s = self.active().await?;
            for q in s.my_queue().await? {
                if q.task != Task::ImageBoxes {
                    continue;
                }
                let view = s.open_assignment(&q.assignment_id).await?;
                let photo = view.image.is_some_and(|i| i.color);
                s.save_annotation(&q.assignment_id, &demo_boxes(photo, disagree), None)
                    .await?;
                s.submit_annotation(&q.assignment_id).await?;
            }
            self.logout().await?;
        }
        Ok(())
    }

    /// Both demo annotators label the first delivery for real (one disagreeing on a few
    /// entities), leaving two items each unsubmitted; the reviewer then settles one item
    /// with a gold label, accepts one annotator's work and sends one back with a comment.
    async fn annotate_demo(&mut self, schema: &str) -> Result<(), AppError> {
        for (who, disagree) in [(1usize, false), (4usize, true)] {
            let (name, _, pass) = DEMO_USERS[who];
            self.login(name, &pw(pass), None).await?;
            let s = self.active().await?;
            let mut queue = s.my_queue().await?;
            queue.retain(|q| q.task == Task::TextSpans);
            let last = queue.len().saturating_sub(2);
            for (i, q) in queue.iter().enumerate() {
                let view = s.open_assignment(&q.assignment_id).await?;
                let text = view.text.unwrap_or_default();
                s.save_annotation(&q.assignment_id, &demo_spans(&text, disagree), None)
                    .await?;
                if i < last {
                    s.submit_annotation(&q.assignment_id).await?;
                }
            }
            self.logout().await?;
        }
        let (reviewer, _, reviewer_pw) = DEMO_USERS[2];
        self.login(reviewer, &pw(reviewer_pw), None).await?;
        let s = self.active().await?;
        let queue = s.review_queue().await?;
        if let Some(row) = queue.iter().find(|r| r.disagreement && r.submitted >= 2) {
            let view = s.review_item(&row.item_id, schema).await?;
            let mut by_size: Vec<_> = view.annotations.iter().collect();
            by_size.sort_by_key(|a| std::cmp::Reverse(a.value.spans.len()));
            if let [best, other, ..] = by_size.as_slice() {
                s.review_decide(
                    &row.item_id,
                    schema,
                    &ReviewDecision::Adjudicate {
                        gold: best.value.clone(),
                    },
                )
                .await?;
                s.review_decide(
                    &row.item_id,
                    schema,
                    &ReviewDecision::Accept {
                        assignment_id: best.assignment_id.clone(),
                    },
                )
                .await?;
                s.review_decide(
                    &row.item_id,
                    schema,
                    &ReviewDecision::Reject {
                        assignment_id: other.assignment_id.clone(),
                        comment:
                            "Tests and scans are procedures, not diagnoses; see the guideline."
                                .into(),
                    },
                )
                .await?;
            }
        }
        s.agreement(schema).await?;
        self.logout().await?;
        Ok(())
    }

    /// Work packages with a second laptop, simulated in a temporary folder: jordan's
    /// personal workspace vault (its own key pair) writes a contact card the lead binds to
    /// jordan's account. A first package goes to a laptop reported lost and is revoked; a
    /// second is opened in the workspace, one note relabelled offline, returned and merged
    /// (the workspace's audit chain joins the demo vault's as a linked segment); a third
    /// stays outstanding. The workspace is crypto-erased and deleted afterwards.
    async fn packages_demo(&mut self) -> Result<(), AppError> {
        let (lead, _, lead_pw) = DEMO_USERS[0];
        let (name, _, pass) = DEMO_USERS[4];
        let base =
            std::env::temp_dir().join(format!("airlock-demo-laptop-{}", uuid::Uuid::new_v4()));
        let _cleanup = DemoFolder(base.clone());
        std::fs::create_dir_all(&base).map_err(|e| {
            AppError::from(airlock_vault::VaultError::io(
                "creating the demo laptop folder",
                e,
            ))
        })?;
        let file = |n: &str| base.join(n);
        let laptop_vault = file("jordan-laptop.airlock");
        let mut laptop = self.sibling();
        laptop
            .create_workspace_vault(&laptop_vault, name, &pw(pass))
            .await?;
        laptop.login(name, &pw(pass), None).await?;
        laptop
            .active()
            .await?
            .contact_export(&file("jordan.card.json"))
            .await?;
        laptop.logout().await?;

        self.login(lead, &pw(lead_pw), None).await?;
        let s = self.active().await?;
        s.contact_export(&file("dana.card.json")).await?;
        s.contact_import_file(Some(name), &file("jordan.card.json"))
            .await?;
        let lost = s.package_assign(name, &file("lost.pkg"), 14).await?;
        s.package_revoke(
            &lost.id,
            "Demo: the laptop this package went to was reported lost (synthetic incident)",
        )
        .await?;
        s.package_assign(name, &file("to-jordan.pkg"), 14).await?;
        self.logout().await?;

        laptop.login(name, &pw(pass), None).await?;
        let s = laptop.active().await?;
        s.package_trust_lead(&file("dana.card.json")).await?;
        s.package_open(&file("to-jordan.pkg")).await?;
        let queue = s.my_queue().await?;
        if let Some(q) = queue
            .iter()
            .find(|q| q.status == AssignmentStatus::InProgress)
        {
            let view = s.open_assignment(&q.assignment_id).await?;
            let text = view.text.unwrap_or_default();
            s.save_annotation(&q.assignment_id, &demo_spans(&text, false), None)
                .await?;
        }
        s.package_return(None, &file("from-jordan.pkg")).await?;
        laptop.close_vault().await?;
        airlock_vault::Vault::open(&laptop_vault)?.crypto_erase(self.clock().now())?;

        self.login(lead, &pw(lead_pw), None).await?;
        let s = self.active().await?;
        s.package_merge(&file("from-jordan.pkg")).await?;
        s.package_assign(name, &file("outstanding.pkg"), 14).await?;
        self.logout().await?;
        Ok(())
    }
}
