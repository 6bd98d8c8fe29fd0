//! Roles, actions and the one permission table every use case consults.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ts_rs::TS;

/// A person's role in a project. Roles decide both what the app allows (see
/// [`Role::may`]) and which keys a user's slot holds (leads alone hold the source key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// Receives data, configures de-identification, assigns work, delivers.
    Lead,
    /// Labels de-identified items assigned to them.
    Annotator,
    /// Checks labels, adjudicates, watches agreement.
    Reviewer,
    /// Reads and verifies the audit trail, sets retention, destroys data.
    Compliance,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 4] = [
        Role::Lead,
        Role::Annotator,
        Role::Reviewer,
        Role::Compliance,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Annotator => "annotator",
            Role::Reviewer => "reviewer",
            Role::Compliance => "compliance",
        }
    }

    /// Whether this role holds the source key (original, identifiable data).
    pub fn holds_source_key(self) -> bool {
        matches!(self, Role::Lead)
    }

    /// The permission table: may a user with this role perform `action`?
    ///
    /// This is the only place that answers the question; `crates/app` asks it for
    /// every use case and a test walks the whole matrix.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            ChangeOwnPassphrase | ManageOwnTotp | ViewVaultInfo => true,
            AddUser | DisableUser | UnlockUser | ChangeSettings => self == Lead,
            ListUsers => matches!(self, Lead | Compliance),
            ViewAudit | VerifyAudit | ExportAudit => matches!(self, Lead | Compliance),
            StartBreakGlass => matches!(self, Reviewer | Compliance),
            Ingest | ViewSourceItems | DecideBatch | ExportReceipt => self == Lead,
            RunDeid | ValidateDeid => self == Lead,
            ManageSchemas | Assign | ViewProgress => self == Lead,
            ViewSchemas => matches!(self, Lead | Annotator | Reviewer),
            Annotate => self == Annotator,
            Review => self == Reviewer,
            ViewAgreement => matches!(self, Lead | Reviewer),
            Export | ManageQualifications => self == Lead,
            ViewRetention | SetRetention => matches!(self, Lead | Compliance),
            Destroy => self == Compliance,
            ExportContact => true,
            ImportContact | ExportPackage | MergePackage | RevokePackage => self == Lead,
            OpenPackage | ReturnPackage => self == Annotator,
            ViewPackages => matches!(self, Lead | Annotator),
        }
    }

    /// What break-glass access adds for this role, for its limited time: the actions a
    /// compliance officer or reviewer needs in an emergency (a lost laptop, a lead who is
    /// away) to disable an account, clear a lockout and read the audit trail. It never
    /// adds key material: a role without the source key still cannot read originals.
    pub fn may_in_emergency(self, action: Action) -> bool {
        use Action::*;
        self.may(action)
            || (self.may(StartBreakGlass)
                && matches!(
                    action,
                    ListUsers | DisableUser | UnlockUser | ViewAudit | VerifyAudit | ExportAudit
                ))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of lead, annotator, reviewer, compliance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected lead, annotator, reviewer or compliance")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.chars().take(32).collect()))
    }
}

/// Something a user may try to do. Every use case in `crates/app` names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Action {
    /// Change one's own passphrase.
    ChangeOwnPassphrase,
    /// Enrol or remove one's own TOTP second factor.
    ManageOwnTotp,
    /// See the vault's non-secret facts (id, format, project name, policy).
    ViewVaultInfo,
    /// List user accounts.
    ListUsers,
    /// Create a user account.
    AddUser,
    /// Disable a user account and remove its key slot.
    DisableUser,
    /// Clear a lockout after repeated failed logins.
    UnlockUser,
    /// Change security settings (lockout threshold, idle timeout).
    ChangeSettings,
    /// Read the audit trail.
    ViewAudit,
    /// Verify the audit chain.
    VerifyAudit,
    /// Export the audit trail.
    ExportAudit,
    /// Start emergency (break-glass) access.
    StartBreakGlass,
    /// Receive data from a site into the vault.
    Ingest,
    /// List received items and batches with their original file names.
    ViewSourceItems,
    /// Release the verified files of a batch with problems, or abort the batch.
    DecideBatch,
    /// Export a batch's signed receipt (it names the received files).
    ExportReceipt,
    /// Run de-identification over received items.
    RunDeid,
    /// Review de-identification beside the original, correct it, validate and sign off.
    ValidateDeid,
    /// Create and publish label schemas and guidelines.
    ManageSchemas,
    /// Read published label schemas and guidelines.
    ViewSchemas,
    /// Assign released items to annotators.
    Assign,
    /// See annotation progress per person and label.
    ViewProgress,
    /// Label the items assigned to oneself.
    Annotate,
    /// Compare annotators' labels, accept, reject or adjudicate a gold label.
    Review,
    /// See inter-annotator agreement figures.
    ViewAgreement,
    /// Deliver labels with their compliance package (a signed, encrypted BagIt bag).
    Export,
    /// Record team members' training, attestations and certifications.
    ManageQualifications,
    /// See the retention date, reminders and what left the vault.
    ViewRetention,
    /// Set the project's retention date and rule.
    SetRetention,
    /// Destroy the vault (crypto-erase and delete) and issue the certificate of destruction.
    Destroy,
    /// Write one's own contact card (public keys) to a file.
    ExportContact,
    /// Bind a person's contact card to their account, so packages can be encrypted to them.
    ImportContact,
    /// Write an assignment work package for one annotator.
    ExportPackage,
    /// Open an assignment work package into one's workspace vault.
    OpenPackage,
    /// Write the result package of one's work for the lead.
    ReturnPackage,
    /// Merge an annotator's result package into the vault.
    MergePackage,
    /// Revoke an outstanding work package (a lost laptop).
    RevokePackage,
    /// List the work packages issued, opened, returned or merged.
    ViewPackages,
}

impl Action {
    /// Every action, for exhaustive tests and documentation.
    pub const ALL: [Action; 38] = [
        Action::ChangeOwnPassphrase,
        Action::ManageOwnTotp,
        Action::ViewVaultInfo,
        Action::ListUsers,
        Action::AddUser,
        Action::DisableUser,
        Action::UnlockUser,
        Action::ChangeSettings,
        Action::ViewAudit,
        Action::VerifyAudit,
        Action::ExportAudit,
        Action::StartBreakGlass,
        Action::Ingest,
        Action::ViewSourceItems,
        Action::DecideBatch,
        Action::ExportReceipt,
        Action::RunDeid,
        Action::ValidateDeid,
        Action::ManageSchemas,
        Action::ViewSchemas,
        Action::Assign,
        Action::ViewProgress,
        Action::Annotate,
        Action::Review,
        Action::ViewAgreement,
        Action::Export,
        Action::ManageQualifications,
        Action::ViewRetention,
        Action::SetRetention,
        Action::Destroy,
        Action::ExportContact,
        Action::ImportContact,
        Action::ExportPackage,
        Action::OpenPackage,
        Action::ReturnPackage,
        Action::MergePackage,
        Action::RevokePackage,
        Action::ViewPackages,
    ];

    /// The stored name, e.g. `add_user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ChangeOwnPassphrase => "change_own_passphrase",
            Action::ManageOwnTotp => "manage_own_totp",
            Action::ViewVaultInfo => "view_vault_info",
            Action::ListUsers => "list_users",
            Action::AddUser => "add_user",
            Action::DisableUser => "disable_user",
            Action::UnlockUser => "unlock_user",
            Action::ChangeSettings => "change_settings",
            Action::ViewAudit => "view_audit",
            Action::VerifyAudit => "verify_audit",
            Action::ExportAudit => "export_audit",
            Action::StartBreakGlass => "start_break_glass",
            Action::Ingest => "ingest",
            Action::ViewSourceItems => "view_source_items",
            Action::DecideBatch => "decide_batch",
            Action::ExportReceipt => "export_receipt",
            Action::RunDeid => "run_deid",
            Action::ValidateDeid => "validate_deid",
            Action::ManageSchemas => "manage_schemas",
            Action::ViewSchemas => "view_schemas",
            Action::Assign => "assign",
            Action::ViewProgress => "view_progress",
            Action::Annotate => "annotate",
            Action::Review => "review",
            Action::ViewAgreement => "view_agreement",
            Action::Export => "export",
            Action::ManageQualifications => "manage_qualifications",
            Action::ViewRetention => "view_retention",
            Action::SetRetention => "set_retention",
            Action::Destroy => "destroy",
            Action::ExportContact => "export_contact",
            Action::ImportContact => "import_contact",
            Action::ExportPackage => "export_package",
            Action::OpenPackage => "open_package",
            Action::ReturnPackage => "return_package",
            Action::MergePackage => "merge_package",
            Action::RevokePackage => "revoke_package",
            Action::ViewPackages => "view_packages",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_case_insensitively_and_reject_others() {
        assert_eq!("Lead".parse::<Role>(), Ok(Role::Lead));
        assert_eq!(" compliance ".parse::<Role>(), Ok(Role::Compliance));
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn only_leads_hold_the_source_key() {
        let holders: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.holds_source_key())
            .collect();
        assert_eq!(holders, vec![Role::Lead]);
    }

    #[test]
    fn emergency_never_grants_user_creation_or_settings() {
        for role in Role::ALL {
            for action in [Action::AddUser, Action::ChangeSettings] {
                assert_eq!(role.may_in_emergency(action), role.may(action));
            }
        }
        assert!(!Role::Annotator.may_in_emergency(Action::DisableUser));
        assert!(Role::Compliance.may_in_emergency(Action::DisableUser));
    }
}
