//! Where the project stands, stage by stage: the home screen's rail (Receive → De-identify
//! → Assign → Annotate → Review → Deliver → Retain/Destroy), each with its counts, a state
//! and one next action, plus the alerts a lead or compliance officer must not miss
//! (checksum failures, unvalidated de-identification, retention due).
//!
//! Everything here is a count or a date: no item content, no file name, no user name, so
//! every role may read it.

use crate::error::AppError;
use crate::json::{AlertLevel, OverviewAlert, ProjectOverview, Stage, StageState, StageSummary};
use crate::session::Session;
use airlock_model::Action;
use sqlx::Row;

impl Session {
    /// The stage rail and the alerts. Everyone logged in (counts and dates only).
    pub async fn project_overview(&self) -> Result<ProjectOverview, AppError> {
        let _grant = self.authorize(Action::ViewVaultInfo).await?;
        let c = self.counts().await?;
        let retention = self.read_retention().await?;
        let mut alerts = Vec::new();
        if c.mismatched > 0 {
            alerts.push(OverviewAlert {
                level: AlertLevel::Danger,
                stage: Stage::Receive,
                message: format!(
                    "{} received file{} failed the checksum check and {} quarantined, not imported.",
                    c.mismatched,
                    plural(c.mismatched),
                    if c.mismatched == 1 { "is" } else { "are" }
                ),
            });
        }
        if c.deid_proposed > 0 {
            alerts.push(OverviewAlert {
                level: AlertLevel::Warning,
                stage: Stage::Deidentify,
                message: format!(
                    "{} de-identified item{} not validated yet: no one can label {} until a lead checks {}.",
                    c.deid_proposed,
                    plural(c.deid_proposed),
                    them(c.deid_proposed),
                    them(c.deid_proposed)
                ),
            });
        }
        if c.deid_failed > 0 {
            alerts.push(OverviewAlert {
                level: AlertLevel::Danger,
                stage: Stage::Deidentify,
                message: format!(
                    "De-identification failed on {} item{}: {} stay{} out of annotation.",
                    c.deid_failed,
                    plural(c.deid_failed),
                    if c.deid_failed == 1 { "it" } else { "they" },
                    if c.deid_failed == 1 { "s" } else { "" }
                ),
            });
        }
        if let (Some(date), Some(days)) = (&retention.retention_date, retention.days_left) {
            if retention.due {
                alerts.push(OverviewAlert {
                    level: AlertLevel::Danger,
                    stage: Stage::Retain,
                    message: format!(
                        "Retention ended on {date}: the vault is due for destruction."
                    ),
                });
            } else if retention.remind {
                alerts.push(OverviewAlert {
                    level: AlertLevel::Warning,
                    stage: Stage::Retain,
                    message: format!(
                        "Retention ends on {date}, in {days} day{}: plan the destruction.",
                        plural(days.max(0) as u64)
                    ),
                });
            }
        }
        alerts.sort_by_key(|a| a.level != AlertLevel::Danger);
        let stages = vec![
            receive(&c),
            deidentify(&c),
            assign(&c),
            annotate(&c),
            review(&c),
            deliver(&c),
            retain(&retention),
        ];
        Ok(ProjectOverview { stages, alerts })
    }

    async fn counts(&self) -> Result<Counts, AppError> {
        let row = sqlx::query(
            "SELECT \
             (SELECT count(*) FROM batches WHERE status <> 'aborted'), \
             (SELECT count(*) FROM batches WHERE status = 'needs_decision'), \
             (SELECT count(*) FROM batches WHERE status = 'receiving'), \
             (SELECT count(*) FROM items WHERE status = 'received'), \
             (SELECT count(*) FROM source_files f JOIN batches b ON b.id = f.batch_id \
                WHERE f.verdict = 'mismatched' AND b.status <> 'aborted'), \
             (SELECT count(*) FROM items i WHERE i.status = 'received' AND i.kind IN ('text', 'dicom', 'png', 'jpeg') \
                AND NOT EXISTS (SELECT 1 FROM deid_results d WHERE d.item_id = i.id)), \
             (SELECT count(*) FROM deid_results WHERE status = 'proposed'), \
             (SELECT count(*) FROM deid_results WHERE status IN ('validated', 'validated_by_sample')), \
             (SELECT count(*) FROM deid_results WHERE status = 'failed'), \
             (SELECT count(DISTINCT i.batch_id) FROM items i JOIN deid_results d ON d.item_id = i.id \
                WHERE NOT EXISTS (SELECT 1 FROM deid_signoffs s WHERE s.batch_id = i.batch_id)), \
             (SELECT count(*) FROM schemas WHERE status = 'published'), \
             (SELECT count(*) FROM items i JOIN deid_results d ON d.item_id = i.id \
                JOIN deid_signoffs s ON s.batch_id = i.batch_id \
                WHERE i.status = 'received' AND d.status IN ('validated', 'validated_by_sample')), \
             (SELECT count(DISTINCT item_id) FROM assignments), \
             (SELECT count(*) FROM assignments), \
             (SELECT count(*) FROM assignments WHERE status IN ('submitted', 'accepted')), \
             (SELECT count(*) FROM assignments WHERE status = 'rejected'), \
             (SELECT count(*) FROM (SELECT 1 FROM assignments a GROUP BY a.item_id, a.schema_id \
                HAVING sum(a.was_submitted) > 0 AND NOT EXISTS \
                (SELECT 1 FROM gold g WHERE g.item_id = a.item_id AND g.schema_id = a.schema_id))), \
             (SELECT count(*) FROM gold), \
             (SELECT count(*) FROM exports)",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| row.get::<i64, _>(i).max(0) as u64;
        Ok(Counts {
            batches: n(0),
            batches_deciding: n(1),
            batches_receiving: n(2),
            items: n(3),
            mismatched: n(4),
            deid_to_run: n(5),
            deid_proposed: n(6),
            deid_validated: n(7),
            deid_failed: n(8),
            deid_unsigned_batches: n(9),
            schemas: n(10),
            ready: n(11),
            assigned_items: n(12),
            assignments: n(13),
            submitted: n(14),
            sent_back: n(15),
            to_review: n(16),
            gold: n(17),
            exports: n(18),
        })
    }
}

/// The figures the rail is made of.
struct Counts {
    batches: u64,
    batches_deciding: u64,
    batches_receiving: u64,
    items: u64,
    mismatched: u64,
    deid_to_run: u64,
    deid_proposed: u64,
    deid_validated: u64,
    deid_failed: u64,
    deid_unsigned_batches: u64,
    schemas: u64,
    ready: u64,
    assigned_items: u64,
    assignments: u64,
    submitted: u64,
    sent_back: u64,
    to_review: u64,
    gold: u64,
    exports: u64,
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn them(n: u64) -> &'static str {
    if n == 1 {
        "it"
    } else {
        "them"
    }
}

fn stage(
    stage: Stage,
    state: StageState,
    counts: &[(&str, u64)],
    next: Option<String>,
) -> StageSummary {
    StageSummary {
        stage,
        state,
        counts: counts
            .iter()
            .map(|(label, n)| crate::json::StageCount {
                label: (*label).to_string(),
                n: *n,
            })
            .collect(),
        next,
    }
}

fn receive(c: &Counts) -> StageSummary {
    let counts = [
        ("deliveries", c.batches),
        ("items", c.items),
        ("quarantined", c.mismatched),
    ];
    let (state, next) = if c.batches == 0 {
        (
            StageState::NotStarted,
            Some("No data yet. Ingest a folder, a BagIt bag, or a folder with a manifest.".into()),
        )
    } else if c.batches_deciding > 0 {
        (
            StageState::NeedsAttention,
            Some(format!(
                "Decide {} deliver{}: import the verified files only, or abort.",
                c.batches_deciding,
                if c.batches_deciding == 1 { "y" } else { "ies" }
            )),
        )
    } else if c.batches_receiving > 0 {
        (
            StageState::InProgress,
            Some("Resume the interrupted ingest: rerun it on the same folder.".into()),
        )
    } else {
        (StageState::Done, None)
    };
    stage(Stage::Receive, state, &counts, next)
}

fn deidentify(c: &Counts) -> StageSummary {
    let counts = [
        ("to run", c.deid_to_run),
        ("to check", c.deid_proposed),
        ("validated", c.deid_validated),
    ];
    let (state, next) = if c.deid_to_run + c.deid_proposed + c.deid_validated + c.deid_failed == 0 {
        (StageState::NotStarted, None)
    } else if c.deid_to_run > 0 {
        (
            StageState::InProgress,
            Some(format!(
                "Run de-identification on {} item{}.",
                c.deid_to_run,
                plural(c.deid_to_run)
            )),
        )
    } else if c.deid_proposed > 0 {
        (
            StageState::NeedsAttention,
            Some(format!(
                "Check {} de-identified item{} beside {} original{}.",
                c.deid_proposed,
                plural(c.deid_proposed),
                if c.deid_proposed == 1 { "its" } else { "their" },
                plural(c.deid_proposed)
            )),
        )
    } else if c.deid_unsigned_batches > 0 {
        (
            StageState::NeedsAttention,
            Some(format!(
                "Sign off {} batch{} to release {} for annotation.",
                c.deid_unsigned_batches,
                if c.deid_unsigned_batches == 1 {
                    ""
                } else {
                    "es"
                },
                them(c.deid_unsigned_batches)
            )),
        )
    } else {
        (StageState::Done, None)
    };
    stage(Stage::Deidentify, state, &counts, next)
}

fn assign(c: &Counts) -> StageSummary {
    let unassigned = c.ready.saturating_sub(c.assigned_items);
    let counts = [
        ("schemas", c.schemas),
        ("ready", c.ready),
        ("assigned", c.assigned_items),
    ];
    let (state, next) = if c.schemas == 0 {
        (
            StageState::NotStarted,
            Some("Publish a labelling schema.".into()),
        )
    } else if unassigned > 0 {
        (
            StageState::InProgress,
            Some(format!(
                "Assign {unassigned} ready item{}.",
                plural(unassigned)
            )),
        )
    } else if c.assigned_items > 0 {
        (StageState::Done, None)
    } else {
        (StageState::NotStarted, None)
    };
    stage(Stage::Assign, state, &counts, next)
}

fn annotate(c: &Counts) -> StageSummary {
    let open = c.assignments.saturating_sub(c.submitted);
    let counts = [
        ("assigned", c.assignments),
        ("submitted", c.submitted),
        ("sent back", c.sent_back),
    ];
    let (state, next) = if c.assignments == 0 {
        (StageState::NotStarted, None)
    } else if open > 0 {
        (
            if c.sent_back > 0 {
                StageState::NeedsAttention
            } else {
                StageState::InProgress
            },
            Some(format!("{open} assignment{} still to label.", plural(open))),
        )
    } else {
        (StageState::Done, None)
    };
    stage(Stage::Annotate, state, &counts, next)
}

fn review(c: &Counts) -> StageSummary {
    let counts = [("to review", c.to_review), ("gold", c.gold)];
    let (state, next) = if c.to_review + c.gold == 0 {
        (StageState::NotStarted, None)
    } else if c.to_review > 0 {
        (
            StageState::InProgress,
            Some(format!(
                "Review {} item{}.",
                c.to_review,
                plural(c.to_review)
            )),
        )
    } else {
        (StageState::Done, None)
    };
    stage(Stage::Review, state, &counts, next)
}

fn deliver(c: &Counts) -> StageSummary {
    let counts = [("gold items", c.gold), ("deliverables", c.exports)];
    let (state, next) = if c.exports > 0 {
        (StageState::Done, None)
    } else if c.gold > 0 || c.submitted > 0 {
        (
            StageState::NotStarted,
            Some("Export the labels with their compliance package.".into()),
        )
    } else {
        (StageState::NotStarted, None)
    };
    stage(Stage::Deliver, state, &counts, next)
}

fn retain(r: &crate::json::RetentionDto) -> StageSummary {
    let counts = [("outside the vault", r.exports.len() as u64)];
    let (state, next) = match (&r.retention_date, r.days_left) {
        (Some(_), _) if r.due => (
            StageState::NeedsAttention,
            Some("Destroy the vault and issue the certificate of destruction.".into()),
        ),
        (Some(date), Some(days)) => (
            if r.remind {
                StageState::NeedsAttention
            } else {
                StageState::InProgress
            },
            Some(format!(
                "Kept until {date} ({days} day{} left).",
                plural(days.max(0) as u64)
            )),
        ),
        _ => (
            StageState::NotStarted,
            Some("Set the retention date the contract requires.".into()),
        ),
    };
    stage(Stage::Retain, state, &counts, next)
}
