//! De-identification inside the vault: run, review beside the original, correct, validate,
//! sign off (all items or a clean sample), and what each role can and cannot see.

use crate::support::{pw, request, team, user_of, Fixture};
use airlock_app::json::{DeidSettings, DeidSpanEdit, DeidStatus, DeidTextPolicy};
use airlock_app::{ErrorCode, Role, Workspace};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Synthetic notes with invented identifiers; the city "Harrowgate" is not in any list.
fn notes(fx: &Fixture, name: &str, n: usize) -> std::path::PathBuf {
    let dir = fx.vault.with_file_name(format!("notes-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    const GIVEN: [&str; 5] = ["Marguerite", "Teodor", "Anneliese", "Caspian", "Wilhelmina"];
    for i in 0..n {
        std::fs::write(
            dir.join(format!("note-{i:03}.txt")),
            format!(
                "Patient: {} Vandersloot   MRN: 0048{i:04}\nSeen on 03/14/2025 by Dr. Oswin Pellworth.\nThe patient lives in Harrowgate.\n",
                GIVEN[i % GIVEN.len()]
            ),
        )
        .unwrap();
    }
    dir
}

/// Edits that keep every current span except those touching `word`, and add `word` as a
/// location by hand: a "missed identifier" whatever the detector finds today. (The city is
/// invented; if the detector learns it, the lead marks a neighbouring word instead.)
fn mark_by_hand(r: &airlock_app::json::DeidReview) -> Vec<DeidSpanEdit> {
    let covered = |a: usize, b: usize| {
        r.spans
            .iter()
            .any(|x| (x.start as usize) < b && a < x.end as usize)
    };
    let (start, len) = ["Harrowgate", "lives", "patient"]
        .iter()
        .filter_map(|w| r.original.rfind(w).map(|i| (i, w.len())))
        .find(|(i, n)| !covered(*i, i + n))
        .expect("some word is not covered by a detected span");
    let mut edits: Vec<DeidSpanEdit> = r
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
        end: (start + len) as u32,
        category: "location".into(),
    });
    edits
}

async fn receive(ws: &mut Workspace, src: &std::path::Path) -> String {
    ws.active()
        .await
        .unwrap()
        .ingest(&request(src), &|_| {}, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap()
        .batch_id
}

#[tokio::test]
async fn run_review_correct_validate_and_sign_off_every_item() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Lead).await;
    let batch = receive(&mut ws, &notes(&fx, "all", 3)).await;
    let s = ws.active().await.unwrap();
    let run = s.deid_run(Some(&batch)).await.unwrap();
    assert_eq!((run.items, run.failed), (3, 0));
    assert!(
        run.findings >= 3 * 4,
        "names, MRN and date in every note: {}",
        run.findings
    );
    assert_eq!(
        s.deid_run(Some(&batch)).await.unwrap().items,
        0,
        "a rerun does nothing twice"
    );

    let queue = s.deid_queue(Some(&batch)).await.unwrap();
    assert_eq!(queue.len(), 3);
    assert!(queue
        .iter()
        .all(|q| q.status == DeidStatus::Proposed && q.in_sample));
    let item = queue[0].item_id.clone();
    let review = s.deid_review(&item).await.unwrap();
    assert!(review.original.contains("Vandersloot"));
    for secret in ["Vandersloot", "Pellworth", "00480000", "03/14"] {
        assert!(
            !review.deidentified.contains(secret),
            "{secret} left in {}",
            review.deidentified
        );
    }
    let state = s.deid_batch_state(&batch).await.unwrap();
    assert!(!state.can_sign_off);
    assert!(state.blocker.unwrap().contains("not validated"));

    // The lead marks a missed identifier and drops nothing else.
    let edits = mark_by_hand(&review);
    let revised = s.deid_revise(&item, &edits).await.unwrap();
    assert!(
        revised.deidentified.len() != review.deidentified.len()
            || revised.deidentified != review.deidentified
    );
    assert_eq!(revised.revision, 2);
    assert!(revised.spans.iter().any(|x| x.rule == "manual"));
    let e = s
        .deid_revise(
            &item,
            &[DeidSpanEdit {
                start: 0,
                end: 9999,
                category: "name".into(),
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = s
        .deid_revise(
            &item,
            &[DeidSpanEdit {
                start: 0,
                end: 3,
                category: "shoe_size".into(),
            }],
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("unknown category"), "{}", e.message);

    for q in &queue {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    assert_eq!(
        s.deid_validate(&item).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    let state = s.deid_batch_state(&batch).await.unwrap();
    assert!(state.can_sign_off, "{:?}", state.blocker);
    assert_eq!(state.misses, 1);
    let signed = s.deid_sign_off(&batch).await.unwrap();
    assert_eq!((signed.items, signed.misses), (3, 1));
    assert_eq!(
        s.deid_revise(&item, &edits).await.unwrap_err().code,
        ErrorCode::Conflict,
        "a signed-off batch cannot change"
    );
    ws.logout().await.unwrap();

    let kinds = crate::support::event_kinds(&fx).await;
    for k in [
        "deid_run",
        "original_viewed",
        "deid_revised",
        "deid_validated",
        "deid_signed_off",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} is audited");
    }
}

#[tokio::test]
async fn a_clean_sample_releases_the_rest_and_a_miss_demands_every_item() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Lead).await;
    let batch = receive(&mut ws, &notes(&fx, "sample", 30)).await;
    let s = ws.active().await.unwrap();
    s.set_deid_settings(&DeidSettings {
        policy: DeidTextPolicy::SafeHarbor,
        sample_percent: 20,
    })
    .await
    .unwrap();
    assert_eq!(
        s.set_deid_settings(&DeidSettings {
            policy: DeidTextPolicy::SafeHarbor,
            sample_percent: 0
        })
        .await
        .unwrap_err()
        .code,
        ErrorCode::InvalidInput
    );
    s.deid_run(Some(&batch)).await.unwrap();
    let queue = s.deid_queue(Some(&batch)).await.unwrap();
    let sample: Vec<_> = queue.iter().filter(|q| q.in_sample).collect();
    assert_eq!(
        sample.len(),
        10,
        "20% of 30 is 6, but a sample has at least ten items"
    );
    for q in &sample[..9] {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    let st = s.deid_batch_state(&batch).await.unwrap();
    assert!(st.blocker.unwrap().contains("1 of the 10 sampled"));
    // The last sampled item shows a miss: a sample is no longer enough.
    let last = &sample[9].item_id;
    let r = s.deid_review(last).await.unwrap();
    s.deid_revise(last, &mark_by_hand(&r)).await.unwrap();
    s.deid_validate(last).await.unwrap();
    let st = s.deid_batch_state(&batch).await.unwrap();
    assert!(
        st.blocker
            .as_deref()
            .unwrap_or("")
            .contains("missed identifiers"),
        "{:?}",
        st.blocker
    );
    assert_eq!(
        s.deid_sign_off(&batch).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    for q in queue.iter().filter(|q| !q.in_sample) {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    let signed = s.deid_sign_off(&batch).await.unwrap();
    assert_eq!(signed.items, 30);

    // A second batch whose validated sample found nothing missed releases the rest.
    let clean = receive(&mut ws, &notes(&fx, "clean", 12)).await;
    let s = ws.active().await.unwrap();
    s.deid_run(Some(&clean)).await.unwrap();
    let queue = s.deid_queue(Some(&clean)).await.unwrap();
    for q in queue.iter().filter(|q| q.in_sample) {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    let signed = s.deid_sign_off(&clean).await.unwrap();
    assert_eq!(
        (signed.items, signed.sample_size, signed.misses),
        (12, 10, 0)
    );
    let after = s.deid_queue(Some(&clean)).await.unwrap();
    assert_eq!(
        after
            .iter()
            .filter(|q| q.status == DeidStatus::ValidatedBySample)
            .count(),
        2,
        "the two items outside the sample are released by it"
    );
    ws.logout().await.unwrap();
}

#[tokio::test]
async fn only_leads_see_originals_and_outputs_hold_no_identifiers() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Lead).await;
    let batch = receive(&mut ws, &notes(&fx, "roles", 1)).await;
    let s = ws.active().await.unwrap();
    s.deid_run(Some(&batch)).await.unwrap();
    let item = s.deid_queue(None).await.unwrap()[0].item_id.clone();
    ws.logout().await.unwrap();
    for role in [Role::Annotator, Role::Reviewer, Role::Compliance] {
        let mut other = fx.login_as(role).await;
        let s = other.active().await.unwrap();
        assert_eq!(
            s.deid_review(&item).await.unwrap_err().code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            s.deid_run(None).await.unwrap_err().code,
            ErrorCode::Forbidden
        );
        other.logout().await.unwrap();
    }
    // Every work-tier blob (de-identified text and span logs) is readable with the
    // annotator's key and holds none of the original identifiers.
    let mut v = airlock_vault::Vault::open(&fx.vault).unwrap();
    let (name, pass) = user_of(Role::Annotator);
    let (_, _, keys) = v
        .unlock(name, &pw(pass), time::OffsetDateTime::now_utc())
        .ok()
        .unwrap();
    let store = v.blobs(&keys.work, None);
    let dir = fx.vault.join("blobs/w");
    let mut seen = 0;
    for sub in std::fs::read_dir(&dir).unwrap().flatten() {
        for f in std::fs::read_dir(sub.path()).unwrap().flatten() {
            let blob = airlock_vault::BlobRef {
                tier: airlock_vault::Tier::Work,
                name: f.file_name().to_string_lossy().into(),
                size: 0,
            };
            let text = String::from_utf8(store.read_all(&blob).unwrap()).unwrap();
            for secret in ["Vandersloot", "Pellworth", "00480000"] {
                assert!(!text.contains(secret), "a work-tier blob holds {secret}");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 2, "the de-identified text and its span log");
}

#[tokio::test]
async fn dicom_items_are_deidentified_reviewed_cleaned_by_hand_validated_and_signed_off() {
    let fx = team().await;
    let src = notes(&fx, "mixed", 1);
    std::fs::create_dir_all(src.join("ct")).unwrap();
    std::fs::write(
        src.join("ct/image.dcm"),
        airlock_deid_dicom::testing::synthetic_ct(),
    )
    .unwrap();
    let mut ws = fx.login_as(Role::Lead).await;
    let batch = receive(&mut ws, &src).await;
    let s = ws.active().await.unwrap();
    let run = s.deid_run(Some(&batch)).await.unwrap();
    assert_eq!((run.items, run.failed), (2, 0), "a note and an image");
    assert!(run.categories.iter().any(|c| c.category == "uid_replaced"));
    let queue = s.deid_queue(Some(&batch)).await.unwrap();
    let image = queue.iter().find(|q| q.kind == "dicom").unwrap();
    assert!(
        s.deid_review(&image.item_id).await.is_err(),
        "not a text item"
    );

    let r = s.deid_dicom_review(&image.item_id).await.unwrap();
    assert_eq!((r.columns, r.rows, r.revision), (4, 4, 1));
    let name = r
        .header
        .iter()
        .find(|h| h.keyword == "PatientName")
        .unwrap();
    assert_eq!(
        name.original.as_deref(),
        Some("DOE^JANE"),
        "the lead sees the original"
    );
    assert_ne!(name.result.as_deref(), Some("DOE^JANE"));
    let uid = r
        .header
        .iter()
        .find(|h| h.keyword == "SOPInstanceUID")
        .unwrap();
    assert_eq!(uid.treatment.as_deref(), Some("uid_replaced"));
    assert!(uid.result.as_deref().unwrap().starts_with("2.25."));
    let private = r.header.iter().find(|h| h.tag == "(0029,1001)").unwrap();
    assert_eq!(
        (private.result.as_ref(), private.treatment.as_deref()),
        (None, Some("removed"))
    );
    assert!(r.method_codes.contains(&"113100".to_string()));
    assert!(r.result_frame.is_some() && !r.pixels_cleaned);

    // The lead blacks out the top row by hand: a revision, one miss, pixels cleaned.
    let region = airlock_app::json::DicomRegion {
        x: 0,
        y: 0,
        width: 4,
        height: 1,
    };
    let r2 = s.deid_dicom_clean(&image.item_id, &[region]).await.unwrap();
    assert_eq!(
        (r2.revision, r2.misses, r2.status),
        (2, 1, DeidStatus::Proposed)
    );
    assert!(r2.pixels_cleaned);
    assert_eq!(r2.hand_regions, vec![region]);
    use base64::Engine as _;
    let before = base64::engine::general_purpose::STANDARD
        .decode(r2.original_frame.unwrap())
        .unwrap();
    let after = base64::engine::general_purpose::STANDARD
        .decode(r2.result_frame.unwrap())
        .unwrap();
    assert!(
        after[..4].iter().all(|p| *p == after[0]),
        "the top row is one grey"
    );
    assert_ne!(before[..4], after[..4]);
    assert_eq!(
        before[4..],
        after[4..],
        "the rest of the image is untouched"
    );
    let again = s.deid_dicom_clean(&image.item_id, &[region]).await.unwrap();
    assert_eq!(again.misses, 1, "the same region again is no new miss");

    for q in &queue {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    let signed = s.deid_sign_off(&batch).await.unwrap();
    assert_eq!(signed.items, 2);
    assert!(
        s.deid_dicom_clean(&image.item_id, &[]).await.is_err(),
        "signed off: no change"
    );
    ws.logout().await.unwrap();

    let mut ann = fx.login_as(Role::Annotator).await;
    let e = ann
        .active()
        .await
        .unwrap()
        .deid_dicom_review(&image.item_id)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
}

/// A synthetic ultrasound of `patient` from the fictitious `Synthetic Devices Sono Synth 5`:
/// speckle-free grey with a bright bar (no readable word, so OCR proposes nothing) in the
/// top rows where the device would burn its banner.
fn ultrasound(patient: &str, id: &str) -> Vec<u8> {
    const W: usize = 64;
    let mut pixels = vec![60u8; W * 48];
    pixels[..W * 6].fill(230);
    airlock_deid_dicom::testing::synthetic_ultrasound(patient, id, W as u16, 48, pixels)
}

#[tokio::test]
async fn a_device_template_drawn_on_one_image_cleans_the_next_from_that_device() {
    use airlock_app::json::DicomRegion;
    use base64::Engine as _;
    let fx = team().await;
    let first = fx.vault.with_file_name("us-1");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::write(
        first.join("a.dcm"),
        ultrasound("PELLWORTH^OSWIN", "00410001"),
    )
    .unwrap();
    std::fs::write(
        first.join("ct.dcm"),
        airlock_deid_dicom::testing::synthetic_ct(),
    )
    .unwrap();
    let mut ws = fx.login_as(Role::Lead).await;
    let batch = receive(&mut ws, &first).await;
    let s = ws.active().await.unwrap();
    s.deid_run(Some(&batch)).await.unwrap();
    let queue = s.deid_queue(Some(&batch)).await.unwrap();
    let (mut us, mut ct) = (None, None);
    for q in &queue {
        let r = s.deid_dicom_review(&q.item_id).await.unwrap();
        if r.device.is_some() {
            us = Some(r);
        } else {
            ct = Some(r);
        }
    }
    let (us, ct) = (us.expect("the ultrasound"), ct.expect("the CT"));
    let device = us.device.clone().unwrap();
    assert_eq!(
        (device.manufacturer.as_str(), device.model.as_str()),
        ("Synthetic Devices", "Sono Synth 5")
    );
    assert!(us.device_template.is_none() && !us.pixels_cleaned);

    let banner = DicomRegion {
        x: 0,
        y: 0,
        width: 100,
        height: 6,
    };
    let e = s
        .region_template_save(&ct.item_id, &[banner])
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message.contains("does not name its device"),
        "{}",
        e.message
    );
    let e = s.region_template_save(&us.item_id, &[]).await.unwrap_err();
    assert!(
        e.message.starts_with("Draw at least one region"),
        "{}",
        e.message
    );
    let kept = s
        .region_template_save(&us.item_id, &[banner])
        .await
        .unwrap();
    assert_eq!(
        (kept.columns, kept.rows, kept.from_item_number),
        (64, 48, us.number)
    );
    assert_eq!(
        kept.regions,
        vec![DicomRegion {
            width: 64,
            ..banner
        }],
        "clipped to the image"
    );
    ws.logout().await.unwrap();

    let mut ann = fx.login_as(Role::Annotator).await;
    let e = ann
        .active()
        .await
        .unwrap()
        .region_templates()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    ann.logout().await.unwrap();

    // The next image from the device is cleaned with the template, without OCR's help.
    let second = fx.vault.with_file_name("us-2");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(
        second.join("b.dcm"),
        ultrasound("MARRICK^YSOLDE", "00410002"),
    )
    .unwrap();
    let mut ws = fx.login_as(Role::Lead).await;
    let batch = receive(&mut ws, &second).await;
    let s = ws.active().await.unwrap();
    s.deid_run(Some(&batch)).await.unwrap();
    let next = s.deid_queue(Some(&batch)).await.unwrap().remove(0);
    let r = s.deid_dicom_review(&next.item_id).await.unwrap();
    assert!(r.pixels_cleaned, "the template was applied");
    assert_eq!(r.device_template.as_ref().map(|t| &t.id), Some(&kept.id));
    assert!(r.proposed.contains(&kept.regions[0]), "and is proposed");
    let frame = |b: &Option<String>| {
        base64::engine::general_purpose::STANDARD
            .decode(b.as_deref().unwrap())
            .unwrap()
    };
    // Previews are stretched to their own range: the banner is the brightest part of the
    // original and the darkest of the release, whose other rows keep one grey.
    let (before, after) = (frame(&r.original_frame), frame(&r.result_frame));
    let top = 64 * 6;
    assert_eq!(after.len(), 64 * 48);
    assert!(before[..top].iter().all(|p| *p == 255), "the banner rows");
    assert!(before[top..].iter().all(|p| *p == 0));
    assert!(after[..top].iter().all(|p| *p == 0), "blacked out");
    assert!(after[top..].iter().all(|p| *p == 255), "the rest one grey");

    // Saving again replaces the device's template; removing it stops its use.
    let smaller = DicomRegion {
        height: 3,
        ..banner
    };
    let replaced = s
        .region_template_save(&next.item_id, &[smaller])
        .await
        .unwrap();
    assert_eq!(replaced.id, kept.id, "one template per device and size");
    assert_eq!(replaced.regions[0].height, 3);
    assert_eq!(s.region_templates().await.unwrap().len(), 1);
    assert!(r.template_applied);
    // The first image was made before the template: cleaning it again applies it.
    let first = s.deid_dicom_review(&us.item_id).await.unwrap();
    assert!(first.device_template.is_some() && !first.template_applied);
    let first = s.deid_dicom_clean(&us.item_id, &[]).await.unwrap();
    assert!(first.template_applied && first.pixels_cleaned);
    s.region_template_remove(&kept.id).await.unwrap();
    assert!(s.region_templates().await.unwrap().is_empty());
    let e = s.region_template_remove(&kept.id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    ws.logout().await.unwrap();

    let kinds = crate::support::event_kinds(&fx).await;
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(
        (
            count("region_template_saved"),
            count("region_template_removed")
        ),
        (2, 1)
    );
}
