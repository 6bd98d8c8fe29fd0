//! Image labelling over real vaults and real DICOM: only validated de-identified DICOM is
//! assigned, frames are read by their annotator (or a reviewer) only, boxes are checked
//! against the image, and pixel reads are audited.

use crate::support::{event_kinds, ingest_folder, pw, release_folder, team, user_of, Fixture};
use airlock_app::json::RegionState;
use airlock_app::json::{AssignRequest, ReviewDecision, SchemaInput};
use airlock_app::{ErrorCode, Role, Workspace};
use airlock_model::{AnnotationValue, BoxLabel, LabelDef, PolygonLabel, SchemaBody, Task};
use sha2::Digest as _;
use std::sync::Arc;

const ANN2: (&str, &str) = ("bea.annotator", "second annotator pass 5");

/// Receives a folder with a 16×12×5 synthetic CT series and a text note, de-identifies,
/// validates and signs it off. Returns the batch id.
async fn released_series(fx: &Fixture, ws: &mut Workspace) -> String {
    let dir = fx.vault.with_file_name("src-ct");
    std::fs::create_dir_all(dir.join("ct")).unwrap();
    std::fs::write(
        dir.join("ct/series.dcm"),
        airlock_deid_dicom::testing::synthetic_ct_series(16, 12, 5),
    )
    .unwrap();
    std::fs::write(
        dir.join("note.txt"),
        "Synthetic note for the image study.\n",
    )
    .unwrap();
    release_folder(ws.active().await.unwrap(), &dir).await
}

fn box_schema() -> SchemaInput {
    SchemaInput {
        name: "Lesions".into(),
        task: Task::ImageBoxes,
        body: SchemaBody {
            labels: ["Lesion", "Artefact"]
                .iter()
                .map(|n| LabelDef {
                    name: n.to_string(),
                    key: None,
                    color: None,
                    description: None,
                })
                .collect(),
            multi: false,
        },
        guideline: "Box every lesion on the slice where it is largest.".into(),
        guideline_pdf: None,
    }
}

fn boxes(list: &[(f64, f64, f64, f64, &str, u32)]) -> AnnotationValue {
    AnnotationValue {
        boxes: list
            .iter()
            .map(|&(x, y, w, h, label, frame)| BoxLabel {
                x,
                y,
                w,
                h,
                label: label.into(),
                frame,
            })
            .collect(),
        ..Default::default()
    }
}

/// A polygon's vertices, label and frame.
type Outline<'a> = (&'a [(f64, f64)], &'a str, u32);

fn polygons(list: &[Outline]) -> AnnotationValue {
    AnnotationValue {
        polygons: list
            .iter()
            .map(|&(points, label, frame)| PolygonLabel {
                points: points.iter().map(|&(x, y)| [x, y]).collect(),
                label: label.into(),
                frame,
            })
            .collect(),
        ..Default::default()
    }
}

/// Exports every label of `schema` as a plaintext bag next to the vault; returns its folder.
async fn export_plaintext(
    fx: &Fixture,
    ws: &mut Workspace,
    schema: &str,
    name: &str,
) -> std::path::PathBuf {
    let report = ws
        .active()
        .await
        .unwrap()
        .export_deliverable(&airlock_app::json::ExportRequest {
            schema_id: Some(schema.into()),
            gold_only: false,
            recipients: vec![],
            passphrase: None,
            plaintext: true,
            out: fx.vault.with_file_name(name).display().to_string(),
            reason: "checking the image delivery".into(),
        })
        .await
        .unwrap();
    assert!(
        report.formats.contains(&"coco".to_string()),
        "{:?}",
        report.formats
    );
    std::path::PathBuf::from(report.path)
}

async fn login(fx: &Fixture, who: (&str, &str)) -> Workspace {
    let mut ws = fx.open().await;
    ws.login(who.0, &pw(who.1), None).await.unwrap();
    ws
}

#[tokio::test]
async fn boxes_on_a_dicom_series_from_assignment_to_gold() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    released_series(&fx, &mut lead).await;
    let s = lead.active().await.unwrap();
    s.add_user(ANN2.0, Role::Annotator, &pw(ANN2.1))
        .await
        .unwrap();
    let schema = s.schema_create(&box_schema()).await.unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    let req = AssignRequest {
        schema_id: schema.id.clone(),
        annotators: vec![user_of(Role::Annotator).0.into(), ANN2.0.into()],
        overlap: 2,
        batch_id: None,
    };
    let plan = s.assign(&req).await.unwrap();
    assert_eq!(plan.items, 1, "the DICOM series only, not the text note");
    lead.logout().await.unwrap();

    let mut a1 = fx.login_as(Role::Annotator).await;
    let s = a1.active().await.unwrap();
    let queue = s.my_queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    let mine = queue[0].assignment_id.clone();
    let view = s.open_assignment(&mine).await.unwrap();
    assert!(view.text.is_none());
    let info = view.image.expect("an image task carries image metadata");
    assert_eq!((info.width, info.height, info.frames), (16, 12, 5));
    assert!(info.signed && info.window_from_header);
    assert_eq!((info.window_center, info.window_width), (40.0, 400.0));
    assert_eq!(info.rescale_intercept, -1024.0);
    let frame = s.assignment_frame(&mine, 4).await.unwrap();
    assert_eq!(frame.len(), 16 * 12 * 2, "two bytes per pixel");
    let air = i16::from_le_bytes([frame[0], frame[1]]) as f64 + info.rescale_intercept;
    assert_eq!(air, -1000.0, "the corner is air");
    // A second read of the same item is not a second view.
    s.assignment_frame(&mine, 0).await.unwrap();

    let e = s.assignment_frame(&mine, 5).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(
        e.message,
        "Frame 5 does not exist: this image has 5 frames, numbered from 0 to 4."
    );
    let outside = s
        .save_annotation(&mine, &boxes(&[(10.0, 8.0, 10.0, 2.0, "Lesion", 1)]), None)
        .await
        .unwrap_err();
    assert_eq!(outside.code, ErrorCode::InvalidInput, "{}", outside.message);
    let no_frame = s
        .save_annotation(&mine, &boxes(&[(1.0, 1.0, 2.0, 2.0, "Lesion", 5)]), None)
        .await
        .unwrap_err();
    assert_eq!(no_frame.code, ErrorCode::InvalidInput);
    s.save_annotation(
        &mine,
        &boxes(&[
            (9.0, 4.0, 3.0, 3.0, "Lesion", 2),
            (1.0, 1.0, 2.0, 2.0, "Artefact", 0),
        ]),
        None,
    )
    .await
    .unwrap();
    s.submit_annotation(&mine).await.unwrap();
    a1.logout().await.unwrap();

    let mut a2 = login(&fx, ANN2).await;
    let s = a2.active().await.unwrap();
    let theirs = s.my_queue().await.unwrap()[0].assignment_id.clone();
    let e = s.assignment_frame(&mine, 0).await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "another annotator's assignment is not theirs to read"
    );
    s.save_annotation(&theirs, &boxes(&[(9.0, 4.5, 3.0, 3.0, "Lesion", 2)]), None)
        .await
        .unwrap();
    s.submit_annotation(&theirs).await.unwrap();
    a2.logout().await.unwrap();

    let mut rev = fx.login_as(Role::Reviewer).await;
    let s = rev.active().await.unwrap();
    let row = s.review_queue().await.unwrap().remove(0);
    assert!(
        row.disagreement,
        "one annotator boxed an artefact the other did not"
    );
    let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
    assert_eq!(view.image.as_ref().map(|i| i.frames), Some(5));
    assert_eq!(
        (view.summary.agree, view.summary.missing),
        (1, 1),
        "the lesions overlap (IoU ≥ 0.5); the artefact is one annotator's only"
    );
    assert_eq!(view.agreed.boxes.len(), 1);
    // Aliases follow assignment order, so which annotator is A1 is not fixed here.
    let mut marks: Vec<_> = view.annotations.iter().map(|a| a.states.clone()).collect();
    marks.sort();
    assert_eq!(
        marks,
        [
            vec![RegionState::Agree],
            vec![RegionState::Agree, RegionState::Missing]
        ],
        "the artefact box has no partner"
    );
    assert_eq!(view.pair_iou.len(), 1, "one pair of annotators");
    let frame = s
        .review_frame(&row.item_id, &row.schema_id, 2)
        .await
        .unwrap();
    assert_eq!(frame.len(), 16 * 12 * 2);
    let bad_gold = s
        .review_decide(
            &row.item_id,
            &row.schema_id,
            &ReviewDecision::Adjudicate {
                gold: boxes(&[(0.0, 0.0, 17.0, 2.0, "Lesion", 0)]),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_gold.code, ErrorCode::InvalidInput);
    s.review_decide(
        &row.item_id,
        &row.schema_id,
        &ReviewDecision::Adjudicate {
            gold: view.agreed.clone(),
        },
    )
    .await
    .unwrap();
    rev.logout().await.unwrap();

    let mut lead = fx.login_as(Role::Lead).await;
    let e = lead
        .active()
        .await
        .unwrap()
        .assignment_frame(&mine, 0)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "leads do not annotate");
    // The delivery carries the de-identified series and its boxes in COCO, one COCO image
    // per frame with boxes.
    let bag = export_plaintext(&fx, &mut lead, &schema.id, "bag-ct").await;
    let dcm: Vec<_> = std::fs::read_dir(bag.join("data/images"))
        .unwrap()
        .collect();
    assert_eq!(dcm.len(), 1);
    let coco: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/labels.coco.json")).unwrap()).unwrap();
    let frames: Vec<u64> = coco["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(
        frames,
        [0, 2],
        "the artefact on frame 0, the lesions on frame 2"
    );
    let image = &coco["images"][0];
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(16), Some(12)),
        "the size read from the series' header"
    );
    assert_eq!(
        coco["annotations"].as_array().unwrap().len(),
        4,
        "3 annotator boxes and 1 gold"
    );
    let jsonl = std::fs::read_to_string(bag.join("data/labels.jsonl")).unwrap();
    assert!(
        jsonl.contains(r#""type":"box","category":"Lesion","x":9.0"#)
            && jsonl.contains(r#""frame":2"#)
    );
    let statement = std::fs::read_to_string(bag.join("compliance/method-statement.md")).unwrap();
    assert!(statement.contains("PS3.15 Annex E"));

    // The bag is started before the images are read (one at a time, so an export never
    // holds them all): when one turns out damaged, the export stops with one sentence and
    // leaves nothing behind, plaintext or encrypted.
    for shard in std::fs::read_dir(fx.vault.join("blobs/w")).unwrap() {
        for blob in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let path = blob.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            let at = bytes.len() - 20;
            bytes[at] ^= 0xFF;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let beside = || {
        let mut names: Vec<_> = std::fs::read_dir(fx.vault.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let before = beside();
    for (plaintext, passphrase, name) in [
        (true, None, "bag-damaged"),
        (
            false,
            Some("a passphrase for the test".to_string()),
            "damaged.tar.age",
        ),
    ] {
        let out = fx.vault.with_file_name(name);
        let e = lead
            .active()
            .await
            .unwrap()
            .export_deliverable(&airlock_app::json::ExportRequest {
                schema_id: Some(schema.id.clone()),
                gold_only: false,
                recipients: vec![],
                passphrase,
                plaintext,
                out: out.display().to_string(),
                reason: "checking a damaged image".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            e.message.matches(". ").count(),
            0,
            "one sentence: {}",
            e.message
        );
        assert!(!out.exists(), "no partial bag: {}", e.message);
        assert_eq!(beside(), before, "no temp left beside the vault");
    }
    lead.logout().await.unwrap();

    let kinds = event_kinds(&fx).await;
    let exports = kinds.iter().filter(|k| *k == "deliverable_exported");
    assert_eq!(exports.count(), 1, "only the good export is recorded");
    let viewed = kinds.iter().filter(|k| *k == "item_viewed").count();
    // a1: open + first pixel read; reviewer: review + first pixel read.
    assert_eq!(viewed, 4, "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "access_denied"));
}

#[tokio::test]
async fn polygons_are_matched_by_iou_in_review_and_agreement() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    released_series(&fx, &mut lead).await;
    let s = lead.active().await.unwrap();
    s.add_user(ANN2.0, Role::Annotator, &pw(ANN2.1))
        .await
        .unwrap();
    let input = SchemaInput {
        name: "Lesion outlines".into(),
        task: Task::ImagePolygons,
        ..box_schema()
    };
    let schema = s.schema_create(&input).await.unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    let req = AssignRequest {
        schema_id: schema.id.clone(),
        annotators: vec![user_of(Role::Annotator).0.into(), ANN2.0.into()],
        overlap: 2,
        batch_id: None,
    };
    s.assign(&req).await.unwrap();
    lead.logout().await.unwrap();

    // A1: an L-shape (area 75) on frame 2 and a triangle (area 4.5) on frame 0.
    let l_shape: &[(f64, f64)] = &[
        (0.0, 0.0),
        (10.0, 0.0),
        (10.0, 5.0),
        (5.0, 5.0),
        (5.0, 10.0),
        (0.0, 10.0),
    ];
    let triangle: &[(f64, f64)] = &[(12.0, 1.0), (15.0, 1.0), (15.0, 4.0)];
    // A2: the 10×10 square the L-shape leaves a quarter of (IoU 75/100), and a 4×4 square
    // holding the triangle (IoU 4.5/16).
    let square: &[(f64, f64)] = &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
    let small: &[(f64, f64)] = &[(11.0, 0.0), (15.0, 0.0), (15.0, 4.0), (11.0, 4.0)];
    for (who, value) in [
        (
            None,
            polygons(&[(l_shape, "Lesion", 2), (triangle, "Artefact", 0)]),
        ),
        (
            Some(ANN2),
            polygons(&[(square, "Lesion", 2), (small, "Artefact", 0)]),
        ),
    ] {
        let mut ws = match who {
            None => fx.login_as(Role::Annotator).await,
            Some(who) => login(&fx, who).await,
        };
        let s = ws.active().await.unwrap();
        let id = s.my_queue().await.unwrap()[0].assignment_id.clone();
        let bow_tie: &[(f64, f64)] = &[(0.0, 0.0), (8.0, 6.0), (8.0, 0.0), (0.0, 3.0)];
        let crossing = s
            .save_annotation(&id, &polygons(&[(bow_tie, "Lesion", 2)]), None)
            .await
            .unwrap_err();
        assert_eq!(
            crossing.message,
            "Polygon 1 crosses or touches itself; redraw it so that its edges do not cross."
        );
        s.save_annotation(&id, &value, None).await.unwrap();
        s.submit_annotation(&id).await.unwrap();
        ws.logout().await.unwrap();
    }

    let mut rev = fx.login_as(Role::Reviewer).await;
    let s = rev.active().await.unwrap();
    let row = s.review_queue().await.unwrap().remove(0);
    assert!(row.disagreement, "the artefact outlines overlap below 0.5");
    let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
    let s_of = |alias: &str| {
        view.annotations
            .iter()
            .find(|a| a.alias == alias)
            .map(|a| a.states.clone())
            .unwrap()
    };
    let marks = [RegionState::Agree, RegionState::Boundary];
    assert_eq!(s_of("A1"), marks, "lesions at IoU 0.75, artefacts at 0.28");
    assert_eq!(s_of("A2"), marks, "the marks are symmetric here");
    assert_eq!(
        (
            view.summary.agree,
            view.summary.boundary,
            view.summary.missing
        ),
        (1, 1, 0)
    );
    assert_eq!(view.agreed.polygons.len(), 1);
    assert_eq!(
        view.agreed.polygons[0], view.annotations[0].value.polygons[0],
        "the gold pane starts from A1's lesion"
    );
    assert_eq!(view.pair_iou.len(), 1);
    let pair = &view.pair_iou[0];
    assert_eq!((pair.a.as_str(), pair.b.as_str(), pair.n), ("A1", "A2", 2));
    let mean = (0.75 + 4.5 / 16.0) / 2.0;
    assert!(
        (pair.value.unwrap() - mean).abs() < 1e-9,
        "{:?}",
        pair.value
    );

    let agreement = s.agreement(&row.schema_id).await.unwrap();
    let iou = agreement
        .metrics
        .iter()
        .find(|m| m.metric == "polygon_mean_iou")
        .expect("polygon agreement is computed");
    assert!(
        (iou.value.unwrap() - 0.75).abs() < 1e-9,
        "only the lesions match at IoU ≥ 0.5: {:?}",
        iou.value
    );
    assert_eq!(iou.n_compared, 1);

    s.review_decide(
        &row.item_id,
        &row.schema_id,
        &ReviewDecision::Adjudicate {
            gold: polygons(&[(square, "Lesion", 2)]),
        },
    )
    .await
    .unwrap();
    let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
    assert_eq!(view.gold.map(|g| g.polygons.len()), Some(1));
    rev.logout().await.unwrap();
}

#[tokio::test]
async fn frames_of_a_text_item_or_an_unassigned_image_are_refused() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    released_series(&fx, &mut lead).await;
    let s = lead.active().await.unwrap();
    let schema = s.schema_create(&box_schema()).await.unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    lead.logout().await.unwrap();

    let mut rev = fx.login_as(Role::Reviewer).await;
    let s = rev.active().await.unwrap();
    let e = s
        .review_frame("no-such-item", &schema.id, 0)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "nothing submitted, nothing to see"
    );
    rev.logout().await.unwrap();

    let mut ann = fx.login_as(Role::Annotator).await;
    let e = ann
        .active()
        .await
        .unwrap()
        .assignment_frame("no-such-assignment", 0)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn the_demo_has_a_boxed_ct_series_and_photograph_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::with_clock(
        dir.path().to_path_buf(),
        Arc::new(airlock_app::ManualClock::new()),
        airlock_app::KdfParams::INSECURE_FAST,
    );
    ws.create_demo(&dir.path().join("demo.airlock"))
        .await
        .unwrap();
    let (name, _, pass) = airlock_app::DEMO_USERS[2];
    ws.login(name, &pw(pass), None).await.unwrap();
    let s = ws.active().await.unwrap();
    let rows: Vec<_> = s
        .review_queue()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.schema.starts_with("Lesions on CT"))
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "the CT series and the photograph are in review"
    );
    let mut seen = (false, false);
    for row in &rows {
        assert!(row.disagreement && row.submitted == 2);
        let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
        assert_eq!(view.summary.agree, 1, "both annotators boxed the lesion");
        let info = view.image.unwrap();
        if info.color {
            assert_eq!((info.width, info.height, info.frames), (320, 240, 1));
            let frame = s
                .review_frame(&row.item_id, &row.schema_id, 0)
                .await
                .unwrap();
            assert_eq!(frame.len(), 320 * 240 * 4);
            let at = |x: usize, y: usize| &frame[(y * 320 + x) * 4..][..3];
            assert_eq!(at(40, 10), [0, 0, 0], "the burned-in banner is blacked out");
            assert_ne!(at(160, 200), [0, 0, 0], "the rest of the picture is kept");
            seen.1 = true;
        } else {
            assert_eq!((info.width, info.height, info.frames), (192, 192, 32));
            let frame = s
                .review_frame(&row.item_id, &row.schema_id, 16)
                .await
                .unwrap();
            assert_eq!(frame.len(), 192 * 192 * 2);
            seen.0 = true;
        }
    }
    assert_eq!(seen, (true, true));
    // The schema's guideline PDF, page by page, rendered to PNG for the reviewer too.
    let schema = s
        .schema_list()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.name == "Lesions on CT")
        .unwrap();
    let pdf = schema
        .guideline_pdf
        .clone()
        .expect("the demo attaches a guideline PDF");
    assert!(pdf.pages >= 1 && pdf.sha256.len() == 64);
    let png = s.guideline_page(&schema.id, 0).await.unwrap();
    let page = image::load_from_memory(&png).unwrap();
    assert_eq!(page.width(), 1240, "pages are rendered 1240 pixels wide");
    assert!(page.height() > page.width(), "an upright A4 page");
    let ink = page.to_luma8().pixels().filter(|p| p.0[0] < 128).count();
    assert!(ink > 1000, "the page has text on it ({ink} dark pixels)");
    let e = s.guideline_page(&schema.id, pdf.pages).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    ws.logout().await.unwrap();

    // The lead kept the ultrasound's banner as its scanner's template.
    let (name, _, pass) = airlock_app::DEMO_USERS[0];
    ws.login(name, &pw(pass), None).await.unwrap();
    let templates = ws.active().await.unwrap().region_templates().await.unwrap();
    assert_eq!(templates.len(), 1);
    let t = &templates[0];
    assert_eq!(
        (t.device.model.as_str(), t.columns, t.rows, t.regions.len()),
        ("Sono Synth 5", 320, 240, 1)
    );
}

#[tokio::test]
async fn a_guideline_pdf_is_checked_when_attached() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    for (bytes, message) in [
        (
            &b"%PDF-1.7 nothing more"[..],
            "This guideline is not a readable PDF (or it is password-protected).",
        ),
        (
            &b"GIF89a"[..],
            "This guideline is not a readable PDF (or it is password-protected).",
        ),
    ] {
        let e = s
            .schema_create(&SchemaInput {
                guideline_pdf: Some(b64(bytes)),
                ..box_schema()
            })
            .await
            .unwrap_err();
        assert_eq!(e.message, message);
    }
    let e = s
        .schema_create(&SchemaInput {
            guideline_pdf: Some("not base64!".into()),
            ..box_schema()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let pdf = airlock_deliver::pdf::render_text_pdf("Guideline", "# One\n\nBox lesions.").unwrap();
    let made = s
        .schema_create(&SchemaInput {
            guideline_pdf: Some(b64(&pdf)),
            ..box_schema()
        })
        .await
        .unwrap();
    let info = made.guideline_pdf.expect("attached");
    assert_eq!((info.pages, info.size), (1, pdf.len() as u64));
    assert_eq!(info.sha256, hex::encode(sha2::Sha256::digest(&pdf)));
    let without = s.schema_create(&box_schema()).await.unwrap();
    let e = s.guideline_page(&without.id, 0).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    lead.logout().await.unwrap();
    // Annotators see published versions only.
    let mut a1 = fx.login_as(Role::Annotator).await;
    let e = a1
        .active()
        .await
        .unwrap()
        .guideline_page(&made.id, 0)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "a draft's guideline is the lead's"
    );
}

/// Receives a JPEG photograph (EXIF orientation 6 and a name in its EXIF and comment) and
/// a PNG screenshot (a name in a text chunk), de-identifies them and returns the batch id.
async fn received_photos(fx: &Fixture, ws: &mut Workspace) -> String {
    let dir = fx.vault.with_file_name("src-photos");
    std::fs::create_dir_all(dir.join("photos")).unwrap();
    std::fs::write(
        dir.join("photos/wound.jpg"),
        airlock_deid_image::testing::jpeg_with_exif(48, 32, 6, "Odalys Penhallow day 3"),
    )
    .unwrap();
    std::fs::write(
        dir.join("photos/screen.png"),
        airlock_deid_image::testing::png_with_text_chunk(40, 30, "Author", "Tamsin Quarrie"),
    )
    .unwrap();
    let s = ws.active().await.unwrap();
    let batch = ingest_folder(s, &dir).await;
    let run = s.deid_run(Some(&batch)).await.unwrap();
    assert_eq!((run.items, run.failed), (2, 0));
    batch
}

#[tokio::test]
async fn photos_are_released_without_metadata_and_boxed_upright() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    let batch = received_photos(&fx, &mut lead).await;
    let s = lead.active().await.unwrap();
    let queue = s.deid_queue(Some(&batch)).await.unwrap();
    assert_eq!(queue.len(), 2);
    let mut jpeg_item = None;
    for q in &queue {
        let r = s.deid_dicom_review(&q.item_id).await.unwrap();
        assert_eq!(r.method, "image_reencode");
        assert_eq!(r.frame_channels, 3);
        assert_eq!(r.risk, ["photograph_or_screenshot"]);
        let removed: Vec<&str> = r
            .header
            .iter()
            .filter(|h| h.treatment.as_deref() == Some("removed"))
            .map(|h| h.keyword.as_str())
            .collect();
        if r.source_name.ends_with("wound.jpg") {
            assert_eq!((r.columns, r.rows), (32, 48), "turned upright");
            assert_eq!(removed, ["exif", "comment"]);
            let exif = r.header.iter().find(|h| h.keyword == "exif").unwrap();
            assert!(
                exif.original
                    .as_deref()
                    .unwrap()
                    .contains("Odalys Penhallow"),
                "the lead sees what is removed"
            );
            jpeg_item = Some(q.item_id.clone());
        } else {
            assert_eq!(removed, ["text"]);
        }
    }
    let jpeg_item = jpeg_item.expect("the JPEG is in the queue");
    // The lead blacks out a corner by hand: a new revision, counted as a miss.
    let corner = airlock_app::json::DicomRegion {
        x: 0,
        y: 0,
        width: 8,
        height: 6,
    };
    let r = s.deid_dicom_clean(&jpeg_item, &[corner]).await.unwrap();
    assert_eq!((r.revision, r.misses), (2, 1));
    assert!(r.pixels_cleaned && r.pixel_regions >= 1);
    for q in &queue {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    s.deid_sign_off(&batch).await.unwrap();
    let schema = s.schema_create(&box_schema()).await.unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    let req = AssignRequest {
        schema_id: schema.id.clone(),
        annotators: vec![user_of(Role::Annotator).0.into()],
        overlap: 1,
        batch_id: Some(batch.clone()),
    };
    assert_eq!(s.assign(&req).await.unwrap().items, 2, "both photos");
    lead.logout().await.unwrap();

    let mut a1 = fx.login_as(Role::Annotator).await;
    let s = a1.active().await.unwrap();
    let queue = s.my_queue().await.unwrap();
    let mut seen = 0;
    for q in &queue {
        let view = s.open_assignment(&q.assignment_id).await.unwrap();
        let info = view.image.expect("an image task carries image metadata");
        assert!(info.color);
        let frame = s.assignment_frame(&q.assignment_id, 0).await.unwrap();
        assert_eq!(frame.len() as u32, info.width * info.height * 4, "RGBA");
        let err = s.assignment_frame(&q.assignment_id, 1).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        if (info.width, info.height) == (32, 48) {
            assert_eq!(&frame[..4], [0, 0, 0, 255], "the lead's region is black");
            let outside = s
                .save_annotation(
                    &q.assignment_id,
                    &boxes(&[(20.0, 40.0, 20.0, 4.0, "Lesion", 0)]),
                    None,
                )
                .await
                .unwrap_err();
            assert_eq!(
                outside.code,
                ErrorCode::InvalidInput,
                "a box past the right edge"
            );
            seen += 1;
        }
        s.save_annotation(
            &q.assignment_id,
            &boxes(&[(2.0, 3.0, 10.0, 8.0, "Lesion", 0)]),
            None,
        )
        .await
        .unwrap();
        s.submit_annotation(&q.assignment_id).await.unwrap();
    }
    assert_eq!(seen, 1);
    a1.logout().await.unwrap();
    let mut lead = fx.login_as(Role::Lead).await;
    let bag = export_plaintext(&fx, &mut lead, &schema.id, "bag-photos").await;
    let mut pngs = Vec::new();
    for e in std::fs::read_dir(bag.join("data/images")).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG"),
            "photographs are delivered as PNG"
        );
        assert!(
            airlock_deid_image::inventory(&bytes).is_empty(),
            "without metadata"
        );
        for name in ["Odalys", "Penhallow", "Tamsin", "Quarrie"] {
            assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()));
        }
        pngs.push(bytes);
    }
    assert_eq!(pngs.len(), 2);
    let coco: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/labels.coco.json")).unwrap()).unwrap();
    let images = coco["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert!(
        images.iter().all(|i| i.get("frame").is_none()),
        "single images have no frame"
    );
    assert!(images
        .iter()
        .any(|i| (i["width"].as_u64(), i["height"].as_u64()) == (Some(32), Some(48))));
    let statement = std::fs::read_to_string(bag.join("compliance/method-statement.md")).unwrap();
    assert!(statement.contains("PNG and JPEG images are delivered as new PNG files"));
    lead.logout().await.unwrap();
    let kinds = event_kinds(&fx).await;
    assert!(kinds.iter().filter(|k| k.as_str() == "item_viewed").count() >= 2);
}
