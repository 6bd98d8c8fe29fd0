//! Image labelling over real vaults and real DICOM: only validated de-identified DICOM is
//! assigned, frames are read by their annotator (or a reviewer) only, boxes are checked
//! against the image, and pixel reads are audited.

use crate::support::{event_kinds, pw, request, team, user_of, Fixture};
use airlock_app::json::{AssignRequest, ReviewDecision, SchemaInput};
use airlock_app::{ErrorCode, Role, Workspace};
use airlock_model::{AnnotationValue, BoxLabel, LabelDef, SchemaBody, Task};
use std::sync::atomic::AtomicBool;
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
    let s = ws.active().await.unwrap();
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
    batch
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
    lead.logout().await.unwrap();

    let kinds = event_kinds(&fx).await;
    let viewed = kinds.iter().filter(|k| *k == "item_viewed").count();
    // a1: open + first pixel read; reviewer: review + first pixel read.
    assert_eq!(viewed, 4, "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "access_denied"));
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
async fn the_demo_has_a_boxed_ct_series_to_review() {
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
    let row = s
        .review_queue()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.schema.starts_with("Lesions on CT"))
        .expect("the CT series is in review");
    assert!(row.disagreement && row.submitted == 2);
    let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
    let info = view.image.unwrap();
    assert_eq!((info.width, info.height, info.frames), (192, 192, 32));
    assert_eq!(view.summary.agree, 1, "both annotators boxed the lesion");
    let frame = s
        .review_frame(&row.item_id, &row.schema_id, 16)
        .await
        .unwrap();
    assert_eq!(frame.len(), 192 * 192 * 2);
}
