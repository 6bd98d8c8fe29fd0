//! The demo project: a vault with one user per role, documented demo passphrases, and a
//! realistic audit trail made by really performing each step. Synthetic data only.
//! Every capability Airlock gains extends this, so a newcomer sees all of it.

use crate::error::AppError;
use crate::json::{DemoInfo, DemoUser};
use crate::workspace::{summary, Workspace};
use airlock_model::{EventKind, Outcome, Role};
use secrecy::SecretString;
use std::path::Path;

/// The demo project's name.
pub const DEMO_PROJECT: &str = "Demo — Synthetic Discharge Notes";

/// The demo accounts: name, role and passphrase. Public by design: a demo vault holds
/// synthetic data only and must never receive real data.
pub const DEMO_USERS: [(&str, Role, &str); 4] = [
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
