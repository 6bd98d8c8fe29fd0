//! Labelling and review: schemas, assignment of released items only, blind annotation with
//! history and reasons, review under aliases, gold labels, agreement.

use crate::support::{pw, release_folder, span_schema, team, user_of, Fixture};
use airlock_app::json::{AssignRequest, AssignmentStatus, ReviewDecision, SchemaInput};
use airlock_app::{ErrorCode, Role, Workspace};
use airlock_model::{AnnotationValue, LabelDef, SchemaBody, SpanLabel, Task};

const ANN2: (&str, &str) = ("bea.annotator", "second annotator pass 5");

/// Receives `n` synthetic notes, de-identifies, validates and signs them off.
pub(crate) async fn released(fx: &Fixture, ws: &mut Workspace, name: &str, n: usize) -> String {
    let dir = fx.vault.with_file_name(format!("ann-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        std::fs::write(
            dir.join(format!("n{i:03}.txt")),
            format!(
                "Patient Marguerite Vandersloot has pneumonia and takes ceftriaxone. Note {i}.\\n"
            ),
        )
        .unwrap();
    }
    release_folder(ws.active().await.unwrap(), &dir).await
}

pub(crate) fn spans_at(text: &str, words: &[(&str, &str)]) -> AnnotationValue {
    AnnotationValue {
        spans: words
            .iter()
            .map(|(w, label)| {
                let start = text.find(w).expect("word in text") as u32;
                SpanLabel {
                    start,
                    end: start + w.len() as u32,
                    label: label.to_string(),
                }
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
async fn a_span_task_from_assignment_to_gold_and_agreement() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    s.add_user(ANN2.0, Role::Annotator, &pw(ANN2.1))
        .await
        .unwrap();
    let schema = s
        .schema_create(&span_schema("Discharge entities"))
        .await
        .unwrap();
    assert_eq!(schema.version, 1);
    assert_eq!(schema.body.labels[0].key.as_deref(), Some("1"));
    let req = AssignRequest {
        schema_id: schema.id.clone(),
        batch_id: None,
        annotators: vec![user_of(Role::Annotator).0.into(), ANN2.0.into()],
        overlap: 2,
    };
    assert_eq!(
        s.assign(&req).await.unwrap_err().code,
        ErrorCode::Conflict,
        "drafts cannot be assigned"
    );
    s.schema_publish(&schema.id).await.unwrap();
    let e = s.assign(&req).await.unwrap_err();
    assert!(
        e.message.contains("No released items"),
        "nothing is released before sign-off: {}",
        e.message
    );

    let batch = released(&fx, &mut lead, "spans", 3).await;
    let s = lead.active().await.unwrap();
    let plan = s.assign_preview(&req).await.unwrap();
    assert_eq!((plan.items, plan.overlap_items), (3, 3));
    assert!(
        plan.warning.unwrap().contains("too few"),
        "3 overlapping items are too few for kappa"
    );
    s.assign(&AssignRequest {
        batch_id: Some(batch),
        ..req.clone()
    })
    .await
    .unwrap();
    assert_eq!(s.assign_preview(&req).await.unwrap().already_assigned, 3);
    lead.logout().await.unwrap();

    // First annotator: sees de-identified text by item number only.
    let mut a = fx.login_as(Role::Annotator).await;
    let s = a.active().await.unwrap();
    let queue = s.my_queue().await.unwrap();
    assert_eq!(queue.len(), 3);
    let view = s.open_assignment(&queue[0].assignment_id).await.unwrap();
    let text = view.text.clone().unwrap();
    assert!(
        !text.contains("Vandersloot") && text.contains("pneumonia"),
        "{text}"
    );
    let mine = spans_at(
        &text,
        &[("pneumonia", "Diagnosis"), ("ceftriaxone", "Drug")],
    );
    let saved = s
        .save_annotation(&view.assignment_id, &mine, None)
        .await
        .unwrap();
    assert_eq!(saved.revision, 1);
    let bad = AnnotationValue {
        spans: vec![SpanLabel {
            start: 0,
            end: 99_999,
            label: "Drug".into(),
        }],
        ..Default::default()
    };
    assert_eq!(
        s.save_annotation(&view.assignment_id, &bad, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    s.submit_annotation(&view.assignment_id).await.unwrap();
    let e = s
        .save_annotation(&view.assignment_id, &mine, None)
        .await
        .unwrap_err();
    assert!(e.message.contains("say why"), "{}", e.message);
    s.save_annotation(&view.assignment_id, &mine, Some("re-checked the guideline"))
        .await
        .unwrap();
    s.submit_annotation(&view.assignment_id).await.unwrap();
    for q in &queue[1..] {
        let v = s.open_assignment(&q.assignment_id).await.unwrap();
        let t = v.text.unwrap();
        s.save_annotation(
            &q.assignment_id,
            &spans_at(&t, &[("pneumonia", "Diagnosis"), ("ceftriaxone", "Drug")]),
            None,
        )
        .await
        .unwrap();
        s.submit_annotation(&q.assignment_id).await.unwrap();
    }
    assert_eq!(
        s.review_queue().await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    a.logout().await.unwrap();

    // Second annotator disagrees on one item; cannot open the first one's assignment.
    let mut b = login(&fx, ANN2).await;
    let s = b.active().await.unwrap();
    assert_eq!(
        s.open_assignment(&queue[0].assignment_id)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    for (i, q) in s.my_queue().await.unwrap().iter().enumerate() {
        let t = s
            .open_assignment(&q.assignment_id)
            .await
            .unwrap()
            .text
            .unwrap();
        let v = if i == 0 {
            spans_at(&t, &[("pneumonia", "Drug")])
        } else {
            spans_at(&t, &[("pneumonia", "Diagnosis"), ("ceftriaxone", "Drug")])
        };
        s.save_annotation(&q.assignment_id, &v, None).await.unwrap();
        s.submit_annotation(&q.assignment_id).await.unwrap();
    }
    b.logout().await.unwrap();

    // The reviewer sees aliases, the disagreement first, and settles it.
    let mut r = fx.login_as(Role::Reviewer).await;
    let s = r.active().await.unwrap();
    let rq = s.review_queue().await.unwrap();
    assert_eq!(rq.len(), 3);
    assert!(rq[0].disagreement && !rq[1].disagreement);
    let view = s
        .review_item(&rq[0].item_id, &rq[0].schema_id)
        .await
        .unwrap();
    let aliases: Vec<&str> = view.annotations.iter().map(|x| x.alias.as_str()).collect();
    assert_eq!(aliases, ["A1", "A2"]);
    assert_eq!(view.summary.conflict, 1, "pneumonia: Diagnosis vs Drug");
    assert_eq!(view.summary.missing, 1, "ceftriaxone marked by one only");
    assert!(view.agreed.spans.is_empty());
    let json = serde_json::to_string(&view).unwrap();
    assert!(
        !json.contains("ann.annotator") && !json.contains("bea.annotator"),
        "reviewers never see names"
    );
    let right = view
        .annotations
        .iter()
        .find(|x| x.value.spans.len() == 2)
        .unwrap();
    let wrong = view
        .annotations
        .iter()
        .find(|x| x.value.spans.len() == 1)
        .unwrap()
        .assignment_id
        .clone();
    let gold = right.value.clone();
    s.review_decide(
        &view.item_id,
        &rq[0].schema_id,
        &ReviewDecision::Adjudicate { gold },
    )
    .await
    .unwrap();
    let e = s
        .review_decide(
            &view.item_id,
            &rq[0].schema_id,
            &ReviewDecision::Reject {
                assignment_id: wrong.clone(),
                comment: " ".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::InvalidInput,
        "a rejection needs a comment"
    );
    s.review_decide(
        &view.item_id,
        &rq[0].schema_id,
        &ReviewDecision::Reject {
            assignment_id: wrong,
            comment: "pneumonia is a diagnosis".into(),
        },
    )
    .await
    .unwrap();
    s.review_decide(
        &view.item_id,
        &rq[0].schema_id,
        &ReviewDecision::Accept {
            assignment_id: right.assignment_id.clone(),
        },
    )
    .await
    .unwrap();
    let ag = s.agreement(&schema.id).await.unwrap();
    assert_eq!(ag.overlap_items, 3);
    let f1 = ag
        .metrics
        .iter()
        .find(|m| m.metric == "span_f1_exact")
        .unwrap();
    assert_eq!((f1.n_compared, f1.n_total), (3, 3));
    // 6 spans by A1, 5 by A2, 4 shared: F1 = 2*4/(6+5).
    assert!(
        (f1.value.unwrap() - 8.0 / 11.0).abs() < 1e-12,
        "{:?}",
        f1.value
    );
    assert!(f1.warnings.iter().any(|w| w.contains("low n")));
    r.logout().await.unwrap();

    // The rejected annotator finds the item first, with the comment.
    let mut b = login(&fx, ANN2).await;
    let q = b.active().await.unwrap().my_queue().await.unwrap();
    assert_eq!(q[0].status, AssignmentStatus::Rejected);
    assert_eq!(q[0].comment.as_deref(), Some("pneumonia is a diagnosis"));
    b.logout().await.unwrap();

    let kinds = crate::support::event_kinds(&fx).await;
    for k in [
        "schema_created",
        "schema_published",
        "items_assigned",
        "item_viewed",
        "annotation_changed",
        "annotation_submitted",
        "review_decided",
        "agreement_viewed",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} is audited");
    }
}

#[tokio::test]
async fn classification_agreement_matches_the_agreement_crate() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    s.add_user(ANN2.0, Role::Annotator, &pw(ANN2.1))
        .await
        .unwrap();
    let schema = s
        .schema_create(&SchemaInput {
            name: "Severity".into(),
            task: Task::TextClassification,
            body: SchemaBody {
                labels: ["mild", "moderate", "severe"]
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
            guideline: String::new(),
            guideline_pdf: None,
        })
        .await
        .unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    released(&fx, &mut lead, "class", 12).await;
    let s = lead.active().await.unwrap();
    s.assign(&AssignRequest {
        schema_id: schema.id.clone(),
        batch_id: None,
        annotators: vec![user_of(Role::Annotator).0.into(), ANN2.0.into()],
        overlap: 2,
    })
    .await
    .unwrap();
    lead.logout().await.unwrap();
    let labels = ["mild", "moderate", "severe"];
    let mut triples = Vec::new();
    for (who, shift) in [(user_of(Role::Annotator), 0usize), (ANN2, 1usize)] {
        let mut ws = login(&fx, who).await;
        let s = ws.active().await.unwrap();
        let mut queue = s.my_queue().await.unwrap();
        queue.sort_by_key(|q| q.item_number);
        for (i, q) in queue.iter().enumerate() {
            let l = labels[(i + if i % 3 == 0 { shift } else { 0 }) % 3];
            s.save_annotation(
                &q.assignment_id,
                &AnnotationValue {
                    labels: vec![l.into()],
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
            s.submit_annotation(&q.assignment_id).await.unwrap();
            triples.push((q.item_number.to_string(), who.0.to_string(), l.to_string()));
        }
        ws.logout().await.unwrap();
    }
    let table =
        airlock_agreement::RatingsTable::from_triples(airlock_agreement::Level::Nominal, triples)
            .unwrap();
    let expected = airlock_agreement::Report::for_table(&table);
    let mut r = fx.login_as(Role::Reviewer).await;
    let ag = r
        .active()
        .await
        .unwrap()
        .agreement(&schema.id)
        .await
        .unwrap();
    let got = |m: &str| {
        ag.metrics
            .iter()
            .find(|x| x.metric == m)
            .unwrap()
            .value
            .unwrap()
    };
    assert!(
        (got("cohen_kappa") - expected.cohen_kappa.unwrap().score.value.unwrap()).abs() < 1e-12
    );
    assert!(
        (got("krippendorff_alpha") - expected.krippendorff_alpha.score.value.unwrap()).abs()
            < 1e-12
    );
    assert!(
        (got("percent_agreement") - 8.0 / 12.0).abs() < 1e-12,
        "4 of 12 items differ"
    );
    let c = ag.confusion.unwrap();
    assert_eq!(c.counts.iter().flatten().sum::<u32>(), 12);
    assert_eq!(ag.pairs.len(), 1);
    r.logout().await.unwrap();
}
