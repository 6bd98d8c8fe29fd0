//! Work packages between laptops: three users in three vault directories exchanging files
//! only; every refusal; replay; conflicts; the merged audit trail verifies end to end.

use crate::annotate::{released, spans_at};
use crate::support::{pw, span_schema, team, user_of, Fixture, LEAD};
use airlock_app::json::{self, AssignRequest, AssignmentStatus, ExportFormat, PackageStatus};
use airlock_app::{ErrorCode, KdfParams, Role, Workspace};
use std::path::{Path, PathBuf};
use time::Duration;

const ANN2: (&str, &str) = ("bea.annotator", "second annotator pass 5");

/// The main vault (lead) and two annotators' workspace directories beside it.
struct Team {
    fx: Fixture,
    schema: String,
    ws1: PathBuf,
    ws2: PathBuf,
}

impl Team {
    fn file(&self, name: &str) -> PathBuf {
        self.fx.vault.with_file_name(name)
    }

    fn workspace(&self) -> Workspace {
        Workspace::with_clock(
            self.fx.vault.parent().unwrap().to_path_buf(),
            self.fx.clock.clone(),
            KdfParams::INSECURE_FAST,
        )
    }

    /// Logs in to a workspace vault directory as its annotator.
    async fn annotator(&self, dir: &Path, who: (&str, &str)) -> Workspace {
        let mut ws = self.workspace();
        ws.open_vault(dir).await.unwrap();
        ws.login(who.0, &pw(who.1), None).await.unwrap();
        ws
    }

    async fn lead(&self) -> Workspace {
        self.fx.login_as(Role::Lead).await
    }
}

/// A main vault with 4 released items, each assigned to both annotators; two workspace
/// vaults whose contact cards the lead has imported.
async fn setup() -> Team {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    s.add_user(ANN2.0, Role::Annotator, &pw(ANN2.1))
        .await
        .unwrap();
    let schema = s.schema_create(&span_schema("Entities")).await.unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    released(&fx, &mut lead, "pkg", 4).await;
    lead.active()
        .await
        .unwrap()
        .assign(&AssignRequest {
            schema_id: schema.id.clone(),
            batch_id: None,
            annotators: vec![user_of(Role::Annotator).0.into(), ANN2.0.into()],
            overlap: 2,
        })
        .await
        .unwrap();
    lead.logout().await.unwrap();
    let t = Team {
        ws1: fx.vault.with_file_name("ann1-laptop.airlock"),
        ws2: fx.vault.with_file_name("ann2-laptop.airlock"),
        schema: schema.id,
        fx,
    };
    for (dir, who, card) in [
        (&t.ws1, user_of(Role::Annotator), "card1.json"),
        (&t.ws2, ANN2, "card2.json"),
    ] {
        let mut ws = t.workspace();
        ws.create_workspace_vault(dir, who.0, &pw(who.1))
            .await
            .unwrap();
        ws.login(who.0, &pw(who.1), None).await.unwrap();
        assert_eq!(ws.active().await.unwrap().role(), Role::Annotator);
        let info = ws
            .active()
            .await
            .unwrap()
            .contact_export(&t.file(card))
            .await
            .unwrap();
        ws.logout().await.unwrap();
        let mut lead = t.lead().await;
        let bytes = std::fs::read(t.file(card)).unwrap();
        let imported = lead
            .active()
            .await
            .unwrap()
            .contact_import(who.0, &bytes)
            .await
            .unwrap();
        assert_eq!(
            imported.fingerprint, info.fingerprint,
            "the lead reads back the same fingerprint"
        );
        lead.logout().await.unwrap();
    }
    t
}

async fn issue(t: &Team, to: &str, file: &str) -> String {
    let mut lead = t.lead().await;
    let p = lead
        .active()
        .await
        .unwrap()
        .package_assign(to, &t.file(file), 14)
        .await
        .unwrap();
    lead.logout().await.unwrap();
    assert_eq!(p.assignments, 4);
    p.id
}

/// Opens `pkg` in the workspace, labels every item (drug only when `drug_only`), submits
/// and writes the result.
async fn work(t: &Team, dir: &Path, who: (&str, &str), pkg: &str, result: &str, drug_only: bool) {
    let mut ws = t.annotator(dir, who).await;
    let s = ws.active().await.unwrap();
    let opened = s.package_open(&t.file(pkg)).await.unwrap();
    assert_eq!(opened.status, PackageStatus::Opened);
    let again = s.package_open(&t.file(pkg)).await.unwrap();
    assert_eq!(again.id, opened.id, "opening twice changes nothing");
    let queue = s.my_queue().await.unwrap();
    assert_eq!(
        queue.len(),
        4,
        "the workspace shows the assigned items only"
    );
    for (i, q) in queue.iter().enumerate() {
        let view = s.open_assignment(&q.assignment_id).await.unwrap();
        let text = view
            .text
            .expect("de-identified text travels in the package");
        assert!(
            !text.contains("Vandersloot"),
            "only de-identified content leaves the vault"
        );
        let words: &[(&str, &str)] = if drug_only && i % 2 == 0 {
            &[("ceftriaxone", "Drug")]
        } else {
            &[("pneumonia", "Diagnosis"), ("ceftriaxone", "Drug")]
        };
        s.save_annotation(&q.assignment_id, &spans_at(&text, &words[..1]), None)
            .await
            .unwrap();
        s.save_annotation(&q.assignment_id, &spans_at(&text, words), None)
            .await
            .unwrap();
        s.submit_annotation(&q.assignment_id).await.unwrap();
    }
    let verify = s.my_queue().await.unwrap();
    assert!(verify
        .iter()
        .all(|q| q.status == AssignmentStatus::Submitted));
    let back = s.package_return(None, &t.file(result)).await.unwrap();
    assert_eq!(back.status, PackageStatus::Returned);
    ws.logout().await.unwrap();
}

async fn merge(
    t: &Team,
    file: &str,
) -> Result<airlock_app::json::MergeReport, airlock_app::AppError> {
    let mut lead = t.lead().await;
    let r = lead
        .active()
        .await
        .unwrap()
        .package_merge(&t.file(file))
        .await;
    lead.logout().await.unwrap();
    r
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

#[tokio::test]
async fn three_vaults_round_trip_through_files_then_agreement_and_a_verified_trail() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    {
        // A card made in the lead's own vault is refused: packages go to workspaces.
        let mut main = t.fx.login_as(Role::Annotator).await;
        main.active()
            .await
            .unwrap()
            .contact_export(&t.file("main-card.json"))
            .await
            .unwrap();
        main.logout().await.unwrap();
        let mut lead = t.lead().await;
        let e = lead
            .active()
            .await
            .unwrap()
            .contact_import_file(None, &t.file("main-card.json"))
            .await
            .unwrap_err();
        assert!(e.message.contains("made in this vault"), "{}", e.message);
        lead.logout().await.unwrap();
    }
    issue(&t, ann1.0, "to-ann1.pkg").await;
    issue(&t, ANN2.0, "to-ann2.pkg").await;
    {
        let mut lead = t.lead().await;
        let again = lead
            .active()
            .await
            .unwrap()
            .package_assign(ann1.0, &t.file("again.pkg"), 14)
            .await
            .unwrap_err();
        assert_eq!(
            again.code,
            ErrorCode::Conflict,
            "outstanding assignments are not packaged twice"
        );
        lead.logout().await.unwrap();
    }
    {
        // A package is for its annotator only.
        let mut other = t.annotator(&t.ws2, ANN2).await;
        let e = other
            .active()
            .await
            .unwrap()
            .package_open(&t.file("to-ann1.pkg"))
            .await
            .unwrap_err();
        assert!(e.message.contains("not encrypted to you"), "{}", e.message);
        other.logout().await.unwrap();
    }
    work(&t, &t.ws1, ann1, "to-ann1.pkg", "from-ann1.pkg", false).await;
    work(&t, &t.ws2, ANN2, "to-ann2.pkg", "from-ann2.pkg", true).await;

    let r1 = merge(&t, "from-ann1.pkg").await.unwrap();
    assert!(!r1.already_merged);
    assert_eq!((r1.assignments, r1.changes, r1.conflicts), (4, 8, 0));
    assert!(r1.segment_events > 10, "the workspace's events come along");
    assert_eq!(r1.package.status, PackageStatus::Merged);
    let r2 = merge(&t, "from-ann2.pkg").await.unwrap();
    assert_eq!((r2.assignments, r2.changes), (4, 8));

    let before = crate::support::event_kinds(&t.fx).await;
    let replay = merge(&t, "from-ann1.pkg").await.unwrap();
    assert!(
        replay.already_merged,
        "replaying a merged result changes nothing"
    );
    assert_eq!(replay.changes, 0);
    let after = crate::support::event_kinds(&t.fx).await;
    assert_eq!(count(&before, "package_merged"), 2);
    assert_eq!(count(&after, "package_merged"), 2);
    assert_eq!(
        count(&after, "package_refused"),
        count(&before, "package_refused")
    );
    assert_eq!(
        count(&after, "annotation_changed"),
        0,
        "the labels were made in the workspaces: their events are in the merged segments"
    );

    let mut lead = t.lead().await;
    let s = lead.active().await.unwrap();
    let progress = s.progress().await.unwrap();
    assert!(progress.iter().all(|p| p.submitted == 4), "{progress:?}");
    let agreement = s.agreement(&t.schema).await.unwrap();
    assert_eq!(agreement.annotators.len(), 2);
    assert_eq!(
        agreement.overlap_items, 4,
        "agreement runs on the merged labels"
    );
    assert!(!agreement.metrics.is_empty());
    let listed = s.package_list().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|p| p.status == PackageStatus::Merged));
    let report = s.audit_verify().await.unwrap();
    assert!(report.ok, "the merged trail verifies: {:?}", report.problem);
    assert_eq!(report.segments, 2, "both workspaces' chains are re-walked");
    lead.logout().await.unwrap();

    // An insider edits a merged workspace event: verification names the segment.
    let db = raw_db(&t.fx).await;
    sqlx::query("DROP TRIGGER audit_segments_no_update")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_segments SET event = replace(event, '\"outcome\":\"success\"', '\"outcome\":\"failure\"') WHERE seq = 3",
    )
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let mut lead = t.lead().await;
    let report = lead.active().await.unwrap().audit_verify().await.unwrap();
    assert!(!report.ok, "a changed workspace event is detected");
    let problem = report.problem.unwrap();
    assert!(
        problem.message.contains("workspace audit segment"),
        "the problem names the merged segment: {}",
        problem.message
    );
    assert!(problem.seq > 0, "at the merge event that links it");
    lead.logout().await.unwrap();
}

async fn raw_db(fx: &Fixture) -> sqlx::SqlitePool {
    let mut vault = airlock_vault::Vault::open(&fx.vault).unwrap();
    let (_, _, keys) = vault
        .unlock(LEAD.0, &pw(LEAD.1), time::OffsetDateTime::now_utc())
        .ok()
        .expect("lead unlocks");
    vault.connect(&keys.work).await.unwrap()
}

#[tokio::test]
async fn damaged_foreign_expired_revoked_and_disabled_packages_are_refused_and_audited() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    let pkg = issue(&t, ann1.0, "to-ann1.pkg").await;

    // A changed byte anywhere in an assignment package: refused before anything is stored.
    let bytes = std::fs::read(t.file("to-ann1.pkg")).unwrap();
    let mut ws = t.annotator(&t.ws1, ann1).await;
    for at in [0, 40, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0x20;
        std::fs::write(t.file("bad.pkg"), &b).unwrap();
        let e = ws
            .active()
            .await
            .unwrap()
            .package_open(&t.file("bad.pkg"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "byte {at}: {}", e.message);
    }
    assert!(ws
        .active()
        .await
        .unwrap()
        .my_queue()
        .await
        .unwrap()
        .is_empty());
    ws.logout().await.unwrap();

    work(&t, &t.ws1, ann1, "to-ann1.pkg", "from-ann1.pkg", false).await;
    let result = std::fs::read(t.file("from-ann1.pkg")).unwrap();
    for at in [0, 100, result.len() / 3, result.len() - 2] {
        let mut b = result.clone();
        b[at] ^= 0x01;
        std::fs::write(t.file("bad-result.pkg"), &b).unwrap();
        let e = merge(&t, "bad-result.pkg").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "byte {at}: {}", e.message);
    }

    // A result for another vault: encrypted to that vault's leads, unreadable here.
    let other = team().await;
    let mut lead = other.login_as(Role::Lead).await;
    let e = lead
        .active()
        .await
        .unwrap()
        .package_merge(&t.file("from-ann1.pkg"))
        .await
        .unwrap_err();
    assert!(e.message.contains("not encrypted to you"), "{}", e.message);
    lead.logout().await.unwrap();

    // Expired: past its validity a package does not open, and a result is refused…
    issue(&t, ANN2.0, "to-ann2.pkg").await;
    t.fx.clock.advance(Duration::days(15));
    let mut ws = t.annotator(&t.ws2, ANN2).await;
    let e = ws
        .active()
        .await
        .unwrap()
        .package_open(&t.file("to-ann2.pkg"))
        .await
        .unwrap_err();
    assert!(e.message.contains("expired"), "{}", e.message);
    let kinds = ws.active().await.unwrap().package_list().await.unwrap();
    assert!(
        kinds.is_empty(),
        "nothing was stored from the expired package"
    );
    ws.logout().await.unwrap();
    let e = merge(&t, "from-ann1.pkg").await.unwrap_err();
    assert!(e.message.contains("expired"), "{}", e.message);
    t.fx.clock.advance(Duration::days(-15));

    // …from a disabled user too…
    let mut lead = t.lead().await;
    lead.active()
        .await
        .unwrap()
        .disable_user(ann1.0)
        .await
        .unwrap();
    lead.logout().await.unwrap();
    let e = merge(&t, "from-ann1.pkg").await.unwrap_err();
    assert!(e.message.contains("disabled user"), "{}", e.message);

    // …and once revoked (a lost laptop), for good.
    let mut lead = t.lead().await;
    let s = lead.active().await.unwrap();
    let revoked = s
        .package_revoke(&pkg, "Laptop lost on a train")
        .await
        .unwrap();
    assert_eq!(revoked.status, PackageStatus::Revoked);
    let e = s.package_revoke(&pkg, "again").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    lead.logout().await.unwrap();
    let e = merge(&t, "from-ann1.pkg").await.unwrap_err();
    assert!(e.message.contains("revoked"), "{}", e.message);

    let kinds = crate::support::event_kinds(&t.fx).await;
    assert_eq!(
        count(&kinds, "package_refused"),
        4 + 1 + 1 + 1,
        "four damaged results, expired, disabled, revoked (the other vault audits its own)"
    );
    assert_eq!(count(&kinds, "package_revoked"), 1);
    assert_eq!(count(&kinds, "package_merged"), 0, "nothing was merged");
    let mut lead = t.lead().await;
    let report = lead.active().await.unwrap().audit_verify().await.unwrap();
    assert!(report.ok);
    lead.logout().await.unwrap();
}

#[tokio::test]
async fn a_result_for_an_item_changed_meanwhile_keeps_both_versions_and_goes_to_review() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    issue(&t, ann1.0, "to-ann1.pkg").await;
    // Meanwhile, the annotator labels one item in the main vault directly.
    let mut main = t.fx.login_as(Role::Annotator).await;
    let s = main.active().await.unwrap();
    let first = s.my_queue().await.unwrap()[0].assignment_id.clone();
    let view = s.open_assignment(&first).await.unwrap();
    let text = view.text.unwrap();
    s.save_annotation(&first, &spans_at(&text, &[("pneumonia", "Drug")]), None)
        .await
        .unwrap();
    main.logout().await.unwrap();

    work(&t, &t.ws1, ann1, "to-ann1.pkg", "from-ann1.pkg", false).await;
    let r = merge(&t, "from-ann1.pkg").await.unwrap();
    assert_eq!((r.assignments, r.conflicts), (3, 1));
    assert_eq!(r.package.conflicts, 1);

    let mut main = t.fx.login_as(Role::Annotator).await;
    let s = main.active().await.unwrap();
    let view = s.open_assignment(&first).await.unwrap();
    assert_eq!(
        view.value.spans[0].label, "Drug",
        "the vault's own labels are not overwritten"
    );
    let status = s
        .my_queue()
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.assignment_id == first)
        .unwrap()
        .status;
    assert_eq!(
        status,
        AssignmentStatus::Submitted,
        "the item goes to review"
    );
    main.logout().await.unwrap();
    let mut rev = t.fx.login_as(Role::Reviewer).await;
    let queue = rev.active().await.unwrap().review_queue().await.unwrap();
    assert!(!queue.is_empty());
    rev.logout().await.unwrap();
}

#[tokio::test]
async fn a_workspace_refuses_another_vaults_package_and_a_replaced_card_refuses_old_results() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    issue(&t, ann1.0, "to-ann1.pkg").await;
    work(&t, &t.ws1, ann1, "to-ann1.pkg", "from-ann1.pkg", false).await;

    // Another project's lead binds the same card and sends work: the workspace, bound to
    // the first vault by its first package, refuses it.
    let other = team().await;
    let mut lead = other.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    s.schema_create(&span_schema("Other")).await.unwrap();
    s.contact_import_file(None, &t.file("card1.json"))
        .await
        .unwrap();
    lead.logout().await.unwrap();
    {
        let mut lead = other.login_as(Role::Lead).await;
        let schema = lead.active().await.unwrap().schema_list().await.unwrap()[0]
            .id
            .clone();
        lead.active()
            .await
            .unwrap()
            .schema_publish(&schema)
            .await
            .unwrap();
        released(&other, &mut lead, "other", 1).await;
        lead.active()
            .await
            .unwrap()
            .assign(&AssignRequest {
                schema_id: schema,
                batch_id: None,
                annotators: vec![ann1.0.into()],
                overlap: 1,
            })
            .await
            .unwrap();
        lead.active()
            .await
            .unwrap()
            .package_assign(ann1.0, &t.file("from-other.pkg"), 14)
            .await
            .unwrap();
        lead.logout().await.unwrap();
    }
    let mut ws = t.annotator(&t.ws1, ann1).await;
    let e = ws
        .active()
        .await
        .unwrap()
        .package_open(&t.file("from-other.pkg"))
        .await
        .unwrap_err();
    assert!(e.message.contains("another project"), "{}", e.message);
    ws.logout().await.unwrap();

    // The lead replaces ann1's card (a new laptop): results signed by the old one are refused.
    let ws3 = t.file("ann1-new-laptop.airlock");
    let mut fresh = t.workspace();
    fresh
        .create_workspace_vault(&ws3, ann1.0, &pw(ann1.1))
        .await
        .unwrap();
    fresh.login(ann1.0, &pw(ann1.1), None).await.unwrap();
    fresh
        .active()
        .await
        .unwrap()
        .contact_export(&t.file("card1-new.json"))
        .await
        .unwrap();
    fresh.logout().await.unwrap();
    let mut lead = t.lead().await;
    lead.active()
        .await
        .unwrap()
        .contact_import_file(Some(ann1.0), &t.file("card1-new.json"))
        .await
        .unwrap();
    lead.logout().await.unwrap();
    let e = merge(&t, "from-ann1.pkg").await.unwrap_err();
    assert!(e.message.contains("contact card"), "{}", e.message);
}

#[tokio::test]
async fn a_second_package_to_the_same_workspace_extends_its_merged_audit_segment() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    issue(&t, ann1.0, "round1.pkg").await;
    work(&t, &t.ws1, ann1, "round1.pkg", "round1-result.pkg", false).await;
    let first = merge(&t, "round1-result.pkg").await.unwrap();

    // The reviewer sends one of ann1's items back; the lead packages the open work again.
    let mut rev = t.fx.login_as(Role::Reviewer).await;
    let s = rev.active().await.unwrap();
    let row = s.review_queue().await.unwrap().remove(0);
    let view = s.review_item(&row.item_id, &row.schema_id).await.unwrap();
    let mine = view.annotations[0].assignment_id.clone();
    s.review_decide(
        &row.item_id,
        &row.schema_id,
        &airlock_app::json::ReviewDecision::Reject {
            assignment_id: mine,
            comment: "Mark the drug only".into(),
        },
    )
    .await
    .unwrap();
    rev.logout().await.unwrap();
    let mut lead = t.lead().await;
    let again = lead
        .active()
        .await
        .unwrap()
        .package_assign(ann1.0, &t.file("round2.pkg"), 14)
        .await
        .unwrap();
    lead.logout().await.unwrap();

    let mut ws = t.annotator(&t.ws1, ann1).await;
    let s = ws.active().await.unwrap();
    s.package_open(&t.file("round2.pkg")).await.unwrap();
    let queue = s.my_queue().await.unwrap();
    let sent_back: Vec<_> = queue
        .iter()
        .filter(|q| q.status == AssignmentStatus::Rejected)
        .collect();
    assert!(
        !sent_back.is_empty(),
        "the rejection travels with its comment"
    );
    let q = sent_back[0];
    assert_eq!(q.comment.as_deref(), Some("Mark the drug only"));
    let text = s
        .open_assignment(&q.assignment_id)
        .await
        .unwrap()
        .text
        .unwrap();
    s.save_annotation(
        &q.assignment_id,
        &spans_at(&text, &[("ceftriaxone", "Drug")]),
        Some("Per the reviewer"),
    )
    .await
    .unwrap();
    s.submit_annotation(&q.assignment_id).await.unwrap();
    s.package_return(Some(&again.id), &t.file("round2-result.pkg"))
        .await
        .unwrap();
    ws.logout().await.unwrap();

    let second = merge(&t, "round2-result.pkg").await.unwrap();
    assert!(!second.already_merged);
    assert!(second.changes >= 1);
    assert!(
        second.segment_events > 0 && second.segment_events < first.segment_events + 30,
        "only the events after the first segment are added"
    );
    let mut lead = t.lead().await;
    let s = lead.active().await.unwrap();
    let report = s.audit_verify().await.unwrap();
    assert!(report.ok, "{:?}", report.problem);
    assert_eq!(
        (report.segments, report.segment_events),
        (1, first.segment_events + second.segment_events),
        "one workspace, one segment, pinned by two merge events"
    );
    let listed = s.package_list().await.unwrap();
    assert_eq!(listed.len(), 2);
    let out = t.file("two-merges.jsonl");
    s.audit_export(ExportFormat::Jsonl, &out).await.unwrap();
    lead.logout().await.unwrap();
    let file = airlock_app::verify_export_file(&out).unwrap();
    assert!(file.ok, "{:?}", file.problem);
    assert_eq!(
        (file.segments, file.segment_events),
        (report.segments, report.segment_events),
        "the export re-walks what the vault re-walks"
    );
}

#[tokio::test]
async fn a_workspace_that_trusts_its_leads_card_opens_only_that_leads_packages() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    let mut lead = t.lead().await;
    lead.active()
        .await
        .unwrap()
        .contact_export(&t.file("lead.card.json"))
        .await
        .unwrap();
    lead.logout().await.unwrap();
    let other = team().await;
    let mut stranger = other.login_as(Role::Lead).await;
    stranger
        .active()
        .await
        .unwrap()
        .contact_export(&t.file("stranger.card.json"))
        .await
        .unwrap();
    stranger.logout().await.unwrap();
    issue(&t, ann1.0, "to-ann1.pkg").await;
    issue(&t, ANN2.0, "to-ann2.pkg").await;

    // ann2 was given the wrong card: the genuine package is refused, nothing is stored.
    let mut ws = t.annotator(&t.ws2, ANN2).await;
    let s = ws.active().await.unwrap();
    s.package_trust_lead(&t.file("stranger.card.json"))
        .await
        .unwrap();
    let e = s.package_open(&t.file("to-ann2.pkg")).await.unwrap_err();
    assert!(e.message.contains("another key"), "{}", e.message);
    assert!(s.my_queue().await.unwrap().is_empty());
    let e = s
        .package_trust_lead(&t.file("lead.card.json"))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::Conflict,
        "a pinned key is not silently replaced"
    );
    ws.logout().await.unwrap();

    // ann1 pinned the right card: the package opens.
    let mut ws = t.annotator(&t.ws1, ann1).await;
    let s = ws.active().await.unwrap();
    let trusted = s
        .package_trust_lead(&t.file("lead.card.json"))
        .await
        .unwrap();
    assert_eq!(trusted.user_name, LEAD.0);
    s.package_open(&t.file("to-ann1.pkg")).await.unwrap();
    assert_eq!(s.my_queue().await.unwrap().len(), 4);
    ws.logout().await.unwrap();
}

/// One package to ann1, worked and merged: the lead's vault holds one workspace segment.
async fn merged_once(t: &Team) -> airlock_app::json::MergeReport {
    let ann1 = user_of(Role::Annotator);
    issue(t, ann1.0, "to-ann1.pkg").await;
    work(t, &t.ws1, ann1, "to-ann1.pkg", "from-ann1.pkg", false).await;
    merge(t, "from-ann1.pkg").await.unwrap()
}

/// The export's lines, and the index of the first workspace segment event.
fn segment_lines(path: &Path) -> (Vec<String>, usize) {
    let lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("{\"type\":\"segment_event\","))
        .expect("the export carries the workspace's events");
    (lines, first)
}

fn verify_lines(t: &Team, lines: &[String]) -> airlock_app::json::VerifyReport {
    let path = t.file("tampered.jsonl");
    std::fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();
    airlock_app::verify_export_file(&path).unwrap()
}

#[tokio::test]
async fn an_audit_export_after_a_merge_carries_the_workspace_segment_and_names_tampering() {
    let t = setup().await;
    let merged = merged_once(&t).await;
    let mut lead = t.lead().await;
    let s = lead.active().await.unwrap();
    let out = t.file("audit.jsonl");
    s.audit_export(ExportFormat::Jsonl, &out).await.unwrap();
    let csv = t.file("audit.csv");
    s.audit_export(ExportFormat::Csv, &csv).await.unwrap();
    lead.logout().await.unwrap();

    let report = airlock_app::verify_export_file(&out).unwrap();
    assert!(report.ok, "{:?}", report.problem);
    assert_eq!(
        report.segments, 1,
        "the workspace chain is re-walked offline"
    );
    assert_eq!(report.segment_events, merged.segment_events);
    let (lines, first) = segment_lines(&out);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("{\"type\":\"segment_event\","))
            .count() as u64,
        merged.segment_events
    );
    let rows = std::fs::read_to_string(&csv).unwrap();
    let ws_vault = lines[first - 1]
        .split("\"workspace_vault\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        rows.lines().filter(|r| r.ends_with(&ws_vault)).count() as u64,
        merged.segment_events,
        "the CSV names the workspace of each segment row"
    );

    // An edited workspace event, even with its line otherwise well formed.
    let mut changed = lines.clone();
    changed[first + 2] =
        changed[first + 2].replacen("\"outcome\":\"success\"", "\"outcome\":\"failure\"", 1);
    let p = verify_lines(&t, &changed).problem.unwrap();
    assert_eq!(p.kind, json::ProblemKind::Changed, "{}", p.message);
    assert!(
        p.message.contains("merged at event #") && p.message.contains("workspace event #3"),
        "{}",
        p.message
    );
    let merge_seq = p.seq;
    assert!(
        lines[..first]
            .iter()
            .any(|l| l.contains("\"action\":\"package_merged\"")
                && l.contains(&format!("\"seq\":{merge_seq},"))),
        "the problem points at the merge event"
    );

    // The viewer shows what the annotator did offline, under the merge event.
    let mut lead = t.lead().await;
    let s = lead.active().await.unwrap();
    let seg = s.audit_segment(merge_seq).await.unwrap();
    assert_eq!(seg.rows.len() as u64, merged.segment_events);
    assert_eq!(seg.workspace_vault, ws_vault);
    assert!(seg.rows.iter().any(
        |r| r.action == airlock_model::EventKind::AnnotationSubmitted
            && r.actor_name.as_deref() == Some(user_of(Role::Annotator).0)
    ));
    let e = s.audit_segment(1).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{}", e.message);
    lead.logout().await.unwrap();
    let mut ann = t.fx.login_as(Role::Annotator).await;
    let e = ann
        .active()
        .await
        .unwrap()
        .audit_segment(merge_seq)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::Forbidden,
        "annotators do not read the log"
    );
    ann.logout().await.unwrap();

    let mut removed = lines.clone();
    removed.remove(first + 3);
    let p = verify_lines(&t, &removed).problem.unwrap();
    assert_eq!(p.kind, json::ProblemKind::Removed, "{}", p.message);
    assert!(
        p.message.contains("workspace event #4 is missing"),
        "{}",
        p.message
    );

    let mut reordered = lines.clone();
    reordered.swap(first + 1, first + 2);
    let p = verify_lines(&t, &reordered).problem.unwrap();
    assert_eq!(p.kind, json::ProblemKind::Reordered, "{}", p.message);

    let mut inserted = lines.clone();
    inserted.insert(first + 2, lines[first + 1].clone());
    let p = verify_lines(&t, &inserted).problem.unwrap();
    assert_eq!(p.kind, json::ProblemKind::Inserted, "{}", p.message);

    let mut cut = lines.clone();
    cut.retain(|l| !l.starts_with("{\"type\":\"segment"));
    let p = verify_lines(&t, &cut).problem.unwrap();
    assert_eq!(
        (p.kind, p.seq),
        (json::ProblemKind::Removed, merge_seq),
        "a dropped segment is named at its merge event: {}",
        p.message
    );
}

#[tokio::test]
async fn destruction_after_a_merge_keeps_the_workspace_events_in_the_final_export() {
    let t = setup().await;
    let merged = merged_once(&t).await;
    let (_, cpass) = user_of(Role::Compliance);
    let mut ws = t.fx.login_as(Role::Compliance).await;
    ws.active()
        .await
        .unwrap()
        .set_retention("2000-01-01", Some("contract ended"))
        .await
        .unwrap();
    let lead = Some(json::VerifierInput {
        name: LEAD.0.into(),
        passphrase: LEAD.1.into(),
        title: "Project lead".into(),
    });
    let done = ws
        .destroy(&crate::deliver::destroy_request(&t.fx, lead), &pw(cpass))
        .await
        .unwrap();
    assert!(!t.fx.vault.exists(), "the vault is gone");
    let audit = Path::new(&done.audit_export);
    let report = airlock_app::verify_export_file(audit).unwrap();
    assert!(report.ok, "{:?}", report.problem);
    assert_eq!(
        (report.segments, report.segment_events),
        (1, merged.segment_events),
        "the annotator's offline events outlive the vault"
    );
    let check =
        airlock_app::verify_certificate_file(Path::new(&done.certificate_json), Some(audit))
            .unwrap();
    assert!(check.ok, "{}", check.message);
    assert_eq!(check.audit_matches, Some(true));
}

#[tokio::test]
async fn image_assignments_travel_with_their_de_identified_pixels_and_come_back_checked() {
    let t = setup().await;
    let ann1 = user_of(Role::Annotator);
    // A CT series and a photograph, de-identified, validated and signed off; a box schema
    // assigned to ann1 beside the four text items.
    let dir = t.file("src-images");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ct.dcm"),
        airlock_deid_dicom::testing::synthetic_ct_series(16, 12, 5),
    )
    .unwrap();
    std::fs::write(
        dir.join("wound.jpg"),
        airlock_deid_image::testing::jpeg_with_exif(40, 30, 1, "Marisol Trevanion"),
    )
    .unwrap();
    let mut lead = t.lead().await;
    let s = lead.active().await.unwrap();
    let batch = crate::support::release_folder(s, &dir).await;
    let boxes = s
        .schema_create(&json::SchemaInput {
            name: "Lesions".into(),
            task: airlock_model::Task::ImageBoxes,
            body: airlock_model::SchemaBody {
                labels: vec![airlock_model::LabelDef {
                    name: "Lesion".into(),
                    key: None,
                    color: None,
                    description: None,
                }],
                multi: false,
            },
            guideline: "Box every lesion.".into(),
            guideline_pdf: Some({
                use base64::Engine as _;
                let pdf =
                    airlock_deliver::pdf::render_text_pdf("Lesions", "Box every lesion.").unwrap();
                base64::engine::general_purpose::STANDARD.encode(pdf)
            }),
        })
        .await
        .unwrap();
    s.schema_publish(&boxes.id).await.unwrap();
    s.assign(&AssignRequest {
        schema_id: boxes.id.clone(),
        batch_id: Some(batch),
        annotators: vec![ann1.0.into()],
        overlap: 1,
    })
    .await
    .unwrap();
    let p = s
        .package_assign(ann1.0, &t.file("to-ann1.pkg"), 14)
        .await
        .unwrap();
    assert_eq!(p.assignments, 6, "4 texts, a series and a photograph");
    lead.logout().await.unwrap();
    let package = std::fs::read(t.file("to-ann1.pkg")).unwrap();
    assert!(
        !package.windows(8).any(|w| w == b"Marisol "),
        "the package is encrypted (and holds de-identified pixels only)"
    );

    let mut ws = t.annotator(&t.ws1, ann1).await;
    let s = ws.active().await.unwrap();
    s.package_open(&t.file("to-ann1.pkg")).await.unwrap();
    // The schema's guideline PDF came along, the same document by its SHA-256.
    let here = s
        .schema_list()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == boxes.id)
        .unwrap();
    assert_eq!(here.guideline_pdf, boxes.guideline_pdf);
    let page = s.guideline_page(&boxes.id, 0).await.unwrap();
    assert!(page.starts_with(b"\x89PNG"));
    let mut images = 0;
    for q in s.my_queue().await.unwrap() {
        let view = s.open_assignment(&q.assignment_id).await.unwrap();
        let Some(info) = view.image else { continue };
        images += 1;
        let frame = s.assignment_frame(&q.assignment_id, 0).await.unwrap();
        let per_pixel = if info.color { 4 } else { 2 };
        assert_eq!(frame.len() as u32, info.width * info.height * per_pixel);
        let outside = s
            .save_annotation(
                &q.assignment_id,
                &airlock_model::AnnotationValue {
                    boxes: vec![airlock_model::BoxLabel {
                        x: 2.0,
                        y: 2.0,
                        w: 100.0,
                        h: 4.0,
                        label: "Lesion".into(),
                        frame: 0,
                    }],
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            outside.code,
            ErrorCode::InvalidInput,
            "the workspace checks boxes too"
        );
        let value = airlock_model::AnnotationValue {
            boxes: vec![airlock_model::BoxLabel {
                x: 2.0,
                y: 2.0,
                w: 6.0,
                h: 4.0,
                label: "Lesion".into(),
                frame: info.frames - 1,
            }],
            ..Default::default()
        };
        s.save_annotation(&q.assignment_id, &value, None)
            .await
            .unwrap();
        s.submit_annotation(&q.assignment_id).await.unwrap();
    }
    assert_eq!(images, 2);
    s.package_return(None, &t.file("from-ann1.pkg"))
        .await
        .unwrap();
    ws.logout().await.unwrap();

    let r = merge(&t, "from-ann1.pkg").await.unwrap();
    assert_eq!(
        r.assignments, 2,
        "the two images were labelled, the texts left alone"
    );
    let mut rev = t.fx.login_as(Role::Reviewer).await;
    let queue = rev.active().await.unwrap().review_queue().await.unwrap();
    let boxed: Vec<_> = queue.iter().filter(|q| q.schema_id == boxes.id).collect();
    assert_eq!(boxed.len(), 2, "both images come back for review");
    let view = rev
        .active()
        .await
        .unwrap()
        .review_item(&boxed[0].item_id, &boxes.id)
        .await
        .unwrap();
    assert_eq!(view.annotations[0].value.boxes.len(), 1);
    rev.logout().await.unwrap();
}
