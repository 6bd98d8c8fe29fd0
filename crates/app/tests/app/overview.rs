//! The home screen's stage rail and alerts follow the project from an empty vault to a
//! delivery, and say only counts and dates.

use crate::deliver::labelled;
use crate::support::{request, team};
use airlock_app::json::{
    AlertLevel, BatchDecision, ProjectOverview, Stage, StageState, StageSummary,
};
use airlock_app::Role;
use sha2::{Digest, Sha256};

fn stage(o: &ProjectOverview, which: Stage) -> &StageSummary {
    o.stages.iter().find(|s| s.stage == which).unwrap()
}

fn count(s: &StageSummary, label: &str) -> u64 {
    s.counts
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| panic!("{label} on {:?}", s.stage))
        .n
}

#[tokio::test]
async fn the_rail_follows_the_project_and_raises_the_alerts_that_matter() {
    let fx = team().await;
    let mut ann = fx.login_as(Role::Annotator).await;
    let empty = ann
        .active()
        .await
        .unwrap()
        .project_overview()
        .await
        .unwrap();
    ann.logout().await.unwrap();
    assert_eq!(empty.stages.len(), 7, "every role sees the seven stages");
    let receive = stage(&empty, Stage::Receive);
    assert_eq!(receive.state, StageState::NotStarted);
    assert!(receive.next.as_deref().unwrap().starts_with("No data yet"));
    assert_eq!(stage(&empty, Stage::Retain).state, StageState::NotStarted);
    assert!(empty.alerts.is_empty());

    labelled(&fx).await;
    let mut lead = fx.login_as(Role::Lead).await;
    let s = lead.active().await.unwrap();
    let o = s.project_overview().await.unwrap();
    assert_eq!(stage(&o, Stage::Receive).state, StageState::Done);
    assert_eq!(count(stage(&o, Stage::Receive), "items"), 3);
    assert_eq!(count(stage(&o, Stage::Deidentify), "validated"), 3);
    assert_eq!(stage(&o, Stage::Deidentify).state, StageState::Done);
    assert_eq!(stage(&o, Stage::Assign).state, StageState::Done);
    assert_eq!(count(stage(&o, Stage::Annotate), "submitted"), 3);
    let review = stage(&o, Stage::Review);
    assert_eq!((count(review, "to review"), count(review, "gold")), (2, 1));
    assert_eq!(review.state, StageState::InProgress);
    assert!(
        stage(&o, Stage::Deliver).next.is_some(),
        "labels wait for delivery"
    );
    assert!(o.alerts.is_empty(), "{:?}", o.alerts);

    // A delivery with a file changed in transit, and a new note not yet de-identified.
    let src = fx.vault.with_file_name("site-c");
    std::fs::create_dir_all(&src).unwrap();
    let body = b"Synthetic follow-up letter. No real person.\n";
    std::fs::write(src.join("a.txt"), body).unwrap();
    std::fs::write(src.join("b.txt"), b"changed in transit\n").unwrap();
    std::fs::write(
        src.join("SHA256SUMS"),
        format!(
            "{}  a.txt\n{}  b.txt\n",
            hex::encode(Sha256::digest(body)),
            hex::encode(Sha256::digest(b"as sent\n"))
        ),
    )
    .unwrap();
    let r = s
        .ingest(
            &request(&src),
            &|_| {},
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        )
        .await
        .unwrap();
    let o = s.project_overview().await.unwrap();
    let receive = stage(&o, Stage::Receive);
    assert_eq!(receive.state, StageState::NeedsAttention);
    assert!(receive
        .next
        .as_deref()
        .unwrap()
        .contains("Decide 1 delivery"));
    assert_eq!(count(receive, "quarantined"), 1);
    let alert = o.alerts.iter().find(|a| a.stage == Stage::Receive).unwrap();
    assert_eq!(alert.level, AlertLevel::Danger);
    assert!(
        alert
            .message
            .contains("1 received file failed the checksum"),
        "{}",
        alert.message
    );
    assert!(!alert.message.contains("b.txt"), "no file names");

    s.decide_batch(&r.batch_id, BatchDecision::ReleaseVerified, None)
        .await
        .unwrap();
    let o = s.project_overview().await.unwrap();
    let deid = stage(&o, Stage::Deidentify);
    assert_eq!(count(deid, "to run"), 1);
    assert!(deid
        .next
        .as_deref()
        .unwrap()
        .contains("Run de-identification on 1 item"));
    s.deid_run(Some(&r.batch_id)).await.unwrap();
    let o = s.project_overview().await.unwrap();
    assert_eq!(
        stage(&o, Stage::Deidentify).state,
        StageState::NeedsAttention
    );
    assert!(o
        .alerts
        .iter()
        .any(|a| a.stage == Stage::Deidentify && a.message.starts_with("1 de-identified item")));

    // Retention: a reminder inside 30 days, then due (the loudest alert comes first).
    let today = time::OffsetDateTime::now_utc().date();
    s.set_retention(&(today + time::Duration::days(10)).to_string(), None)
        .await
        .unwrap();
    let o = s.project_overview().await.unwrap();
    let remind = o.alerts.iter().find(|a| a.stage == Stage::Retain).unwrap();
    assert_eq!(remind.level, AlertLevel::Warning);
    assert!(remind.message.contains("in 10 days"), "{}", remind.message);
    s.set_retention("2000-01-01", None).await.unwrap();
    let o = s.project_overview().await.unwrap();
    assert_eq!(o.alerts[0].level, AlertLevel::Danger);
    let due = o.alerts.iter().find(|a| a.stage == Stage::Retain).unwrap();
    assert!(
        due.message.contains("due for destruction"),
        "{}",
        due.message
    );
    assert_eq!(stage(&o, Stage::Retain).state, StageState::NeedsAttention);
}
