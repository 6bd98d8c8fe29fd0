//! Shared fixtures: a vault with one user per role, synthetic names only.

use airlock_app::{KdfParams, ManualClock, Role, Workspace};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;

pub const LEAD: (&str, &str) = ("lee.lead", "lead passphrase 0001");

pub fn user_of(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Lead => LEAD,
        Role::Annotator => ("ann.annotator", "annotator passphrase 02"),
        Role::Reviewer => ("rev.reviewer", "reviewer passphrase 03"),
        Role::Compliance => ("cam.compliance", "compliance passphrase 4"),
    }
}

pub fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub vault: PathBuf,
    pub clock: Arc<ManualClock>,
}

impl Fixture {
    pub fn workspace(&self) -> Workspace {
        Workspace::with_clock(
            self._dir.path().to_path_buf(),
            self.clock.clone(),
            KdfParams::INSECURE_FAST,
        )
    }

    pub async fn open(&self) -> Workspace {
        let mut ws = self.workspace();
        ws.open_vault(&self.vault).await.expect("vault opens");
        ws
    }

    pub async fn login_as(&self, role: Role) -> Workspace {
        let mut ws = self.open().await;
        let (name, pass) = user_of(role);
        ws.login(name, &pw(pass), None)
            .await
            .expect("login succeeds");
        ws
    }
}

/// A vault with a lead, an annotator, a reviewer and a compliance officer.
pub async fn team() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("study.airlock");
    let fx = Fixture {
        vault,
        clock: Arc::new(ManualClock::new()),
        _dir: dir,
    };
    let mut ws = fx.workspace();
    ws.create_vault(&fx.vault, "Synthetic Study", LEAD.0, &pw(LEAD.1))
        .await
        .unwrap();
    ws.login(LEAD.0, &pw(LEAD.1), None).await.unwrap();
    for role in [Role::Annotator, Role::Reviewer, Role::Compliance] {
        let (name, pass) = user_of(role);
        ws.active()
            .await
            .unwrap()
            .add_user(name, role, &pw(pass))
            .await
            .unwrap();
    }
    ws.logout().await.unwrap();
    fx
}

/// Every event kind in the vault's log, in order, read as the compliance officer.
pub async fn event_kinds(fx: &Fixture) -> Vec<String> {
    let mut ws = fx.login_as(Role::Compliance).await;
    let page = ws
        .active()
        .await
        .unwrap()
        .audit_query(&airlock_app::json::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    ws.logout().await.unwrap();
    page.rows
        .iter()
        .rev()
        .map(|r| r.action.as_str().to_string())
        .collect()
}

/// A folder of `n` synthetic text notes next to the vault, named `name`.
pub fn synthetic_folder(vault: &std::path::Path, name: &str, n: usize) -> PathBuf {
    let dir = vault.with_file_name(format!("src-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        std::fs::write(
            dir.join(format!("note-{i:03}.txt")),
            format!("Synthetic discharge note {i} for folder {name}.\n"),
        )
        .unwrap();
    }
    dir
}

/// An ingest request for a folder (manifest found in it, if any).
pub fn request(source: &std::path::Path) -> airlock_app::json::IngestRequest {
    airlock_app::json::IngestRequest {
        source: source.display().to_string(),
        ..Default::default()
    }
}

/// A text-span schema with two labels (keys and colours filled in by the app).
pub fn span_schema(name: &str) -> airlock_app::json::SchemaInput {
    airlock_app::json::SchemaInput {
        name: name.to_string(),
        task: airlock_model::Task::TextSpans,
        body: airlock_model::SchemaBody {
            labels: ["Diagnosis", "Drug"]
                .iter()
                .map(|n| airlock_model::LabelDef {
                    name: n.to_string(),
                    key: None,
                    color: None,
                    description: None,
                })
                .collect(),
            multi: false,
        },
        guideline: "Mark diagnoses and drugs.".into(),
        guideline_pdf: None,
    }
}

/// Receives a folder as one delivery; returns its batch id.
pub async fn ingest_folder(s: &mut airlock_app::Session, dir: &std::path::Path) -> String {
    s.ingest(
        &request(dir),
        &|_| {},
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    )
    .await
    .unwrap()
    .batch_id
}

/// Receives a folder, de-identifies it, validates every item and signs it off (released
/// for annotation); returns its batch id.
pub async fn release_folder(s: &mut airlock_app::Session, dir: &std::path::Path) -> String {
    let batch = ingest_folder(s, dir).await;
    s.deid_run(Some(&batch)).await.unwrap();
    for q in s.deid_queue(Some(&batch)).await.unwrap() {
        s.deid_validate(&q.item_id).await.unwrap();
    }
    s.deid_sign_off(&batch).await.unwrap();
    batch
}
