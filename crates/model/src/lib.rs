//! Airlock's shared domain types: identifiers, roles, actions and audit event kinds.
//!
//! This crate does no I/O. Every other crate speaks these types, so that a role is a
//! [`Role`], never a string, and an audited action is an [`EventKind`], never free text.
//!
//! ```
//! use airlock_model::{Action, Role};
//! assert!(Role::Lead.may(Action::AddUser));
//! assert!(!Role::Annotator.may(Action::ViewAudit));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ids;
mod labels;
mod permissions;

pub use ids::{EventId, ReasonId, SessionId, UserId, VaultId};
pub use labels::{
    AnnotationValue, BoxLabel, Content, LabelDef, PolygonLabel, SchemaBody, SchemaError, SpanLabel,
    Task, ValueError,
};
pub use permissions::{Action, Role, UnknownRole};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What an audit event records. The string form (`snake_case`) is what the audit log
/// stores and hashes, so existing names must never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EventKind {
    /// A vault was created (the first event of every chain).
    VaultCreated,
    /// A user logged in.
    Login,
    /// A login attempt failed (wrong passphrase, unknown user or wrong TOTP code).
    LoginFailed,
    /// A login was refused because the account is locked or disabled.
    LoginRefused,
    /// An account was locked after repeated failures.
    AccountLocked,
    /// A lead cleared an account lockout.
    AccountUnlocked,
    /// A user logged out or was locked out for inactivity; detail holds the duration.
    Logout,
    /// A user account was created.
    UserAdded,
    /// A user account was disabled and its key slot removed.
    UserDisabled,
    /// A user changed their own passphrase.
    PassphraseChanged,
    /// The recovery code was used to reset a user's passphrase.
    RecoveryUsed,
    /// A user enrolled a TOTP second factor.
    TotpEnabled,
    /// A user removed their TOTP second factor.
    TotpDisabled,
    /// Emergency (break-glass) access started.
    BreakGlassStarted,
    /// A permission check refused an action.
    AccessDenied,
    /// The audit log was read in the audit viewer.
    AuditViewed,
    /// The audit chain was verified.
    AuditVerified,
    /// The audit log was exported.
    AuditExported,
    /// A security setting changed (lockout, idle timeout).
    SettingChanged,
    /// The demo project was filled with synthetic data.
    DemoSeeded,
    /// A lead started (or resumed) receiving a delivery.
    IngestStarted,
    /// A delivery was received; detail holds counts per verdict and the receipt hash.
    IngestCompleted,
    /// Receiving was cancelled or failed part-way; a rerun resumes it.
    IngestInterrupted,
    /// A delivery was refused before anything was stored (hostile or malformed manifest, bad bag).
    IngestRefused,
    /// A delivery that was already received was offered again; nothing was stored.
    IngestRepeated,
    /// A lead released the verified files of a batch that had problems.
    BatchReleased,
    /// A lead aborted a batch; its items were discarded.
    BatchAborted,
    /// A batch's signed receipt was exported from the vault.
    ReceiptExported,
    /// A lead listed received items with their original file names.
    SourceItemsViewed,
    /// De-identification ran over received items; detail holds counts per category.
    DeidRun,
    /// A lead viewed an original (identifiable) item in the de-identification review.
    OriginalViewed,
    /// A lead added or removed identifier spans and the item was de-identified again.
    DeidRevised,
    /// A lead validated an item's de-identification.
    DeidValidated,
    /// A lead signed off a batch's de-identification, releasing it for annotation.
    DeidSignedOff,
    /// The de-identification policy or validation sample changed.
    DeidSettingsChanged,
    /// A lead kept the regions drawn on an image as the template for its device model.
    RegionTemplateSaved,
    /// A lead removed a device model's region template.
    RegionTemplateRemoved,
    /// A label schema version was created (draft).
    SchemaCreated,
    /// A label schema version was published for annotation.
    SchemaPublished,
    /// Items were assigned to annotators; detail holds counts and the overlap.
    ItemsAssigned,
    /// An annotator or reviewer opened a de-identified item.
    ItemViewed,
    /// A label was created or changed; detail holds the change id, hashes of old and new value, the reason id and the schema version.
    AnnotationChanged,
    /// An annotator submitted their labels for an item.
    AnnotationSubmitted,
    /// A reviewer accepted, rejected or adjudicated an item; signed.
    ReviewDecided,
    /// Agreement figures were computed and shown.
    AgreementViewed,
    /// Labels left the vault as a signed BagIt bag; detail holds the export id, items, form, recipients count and file hash.
    DeliverableExported,
    /// A training record, attestation or certification was recorded for a team member.
    QualificationRecorded,
    /// The project's retention date or rule changed.
    RetentionSet,
    /// Destruction began: the last event before the final audit export and the crypto-erase.
    DestructionStarted,
    /// A destruction was refused (not due, wrong confirmation, verifier not authenticated).
    DestructionRefused,
    /// A user wrote their contact card (their public keys) to a file.
    ContactExported,
    /// A lead bound a person's contact card to their account; detail holds the card's fingerprint.
    ContactImported,
    /// A lead wrote an assignment work package for an annotator; detail holds the package id, counts and expiry.
    PackageIssued,
    /// An annotator opened an assignment package into their workspace vault.
    PackageOpened,
    /// An annotator wrote a result package for the lead; detail holds the package id and counts.
    PackageReturned,
    /// A lead merged a result package; detail links the workspace's audit segment (first and last hash, signing key).
    PackageMerged,
    /// A package or contact card was refused (damaged, forged, expired, revoked, for another vault or from a disabled user).
    PackageRefused,
    /// A lead revoked an outstanding package (a lost laptop): its results will be refused.
    PackageRevoked,
}

impl EventKind {
    /// Every kind, in declaration order (for filters and exhaustive tests).
    pub const ALL: [EventKind; 58] = [
        EventKind::VaultCreated,
        EventKind::Login,
        EventKind::LoginFailed,
        EventKind::LoginRefused,
        EventKind::AccountLocked,
        EventKind::AccountUnlocked,
        EventKind::Logout,
        EventKind::UserAdded,
        EventKind::UserDisabled,
        EventKind::PassphraseChanged,
        EventKind::RecoveryUsed,
        EventKind::TotpEnabled,
        EventKind::TotpDisabled,
        EventKind::BreakGlassStarted,
        EventKind::AccessDenied,
        EventKind::AuditViewed,
        EventKind::AuditVerified,
        EventKind::AuditExported,
        EventKind::SettingChanged,
        EventKind::DemoSeeded,
        EventKind::IngestStarted,
        EventKind::IngestCompleted,
        EventKind::IngestInterrupted,
        EventKind::IngestRefused,
        EventKind::IngestRepeated,
        EventKind::BatchReleased,
        EventKind::BatchAborted,
        EventKind::ReceiptExported,
        EventKind::SourceItemsViewed,
        EventKind::DeidRun,
        EventKind::OriginalViewed,
        EventKind::DeidRevised,
        EventKind::DeidValidated,
        EventKind::DeidSignedOff,
        EventKind::DeidSettingsChanged,
        EventKind::RegionTemplateSaved,
        EventKind::RegionTemplateRemoved,
        EventKind::SchemaCreated,
        EventKind::SchemaPublished,
        EventKind::ItemsAssigned,
        EventKind::ItemViewed,
        EventKind::AnnotationChanged,
        EventKind::AnnotationSubmitted,
        EventKind::ReviewDecided,
        EventKind::AgreementViewed,
        EventKind::DeliverableExported,
        EventKind::QualificationRecorded,
        EventKind::RetentionSet,
        EventKind::DestructionStarted,
        EventKind::DestructionRefused,
        EventKind::ContactExported,
        EventKind::ContactImported,
        EventKind::PackageIssued,
        EventKind::PackageOpened,
        EventKind::PackageReturned,
        EventKind::PackageMerged,
        EventKind::PackageRefused,
        EventKind::PackageRevoked,
    ];

    /// The stored name, e.g. `login_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::VaultCreated => "vault_created",
            EventKind::Login => "login",
            EventKind::LoginFailed => "login_failed",
            EventKind::LoginRefused => "login_refused",
            EventKind::AccountLocked => "account_locked",
            EventKind::AccountUnlocked => "account_unlocked",
            EventKind::Logout => "logout",
            EventKind::UserAdded => "user_added",
            EventKind::UserDisabled => "user_disabled",
            EventKind::PassphraseChanged => "passphrase_changed",
            EventKind::RecoveryUsed => "recovery_used",
            EventKind::TotpEnabled => "totp_enabled",
            EventKind::TotpDisabled => "totp_disabled",
            EventKind::BreakGlassStarted => "break_glass_started",
            EventKind::AccessDenied => "access_denied",
            EventKind::AuditViewed => "audit_viewed",
            EventKind::AuditVerified => "audit_verified",
            EventKind::AuditExported => "audit_exported",
            EventKind::SettingChanged => "setting_changed",
            EventKind::DemoSeeded => "demo_seeded",
            EventKind::IngestStarted => "ingest_started",
            EventKind::IngestCompleted => "ingest_completed",
            EventKind::IngestInterrupted => "ingest_interrupted",
            EventKind::IngestRefused => "ingest_refused",
            EventKind::IngestRepeated => "ingest_repeated",
            EventKind::BatchReleased => "batch_released",
            EventKind::BatchAborted => "batch_aborted",
            EventKind::ReceiptExported => "receipt_exported",
            EventKind::SourceItemsViewed => "source_items_viewed",
            EventKind::DeidRun => "deid_run",
            EventKind::OriginalViewed => "original_viewed",
            EventKind::DeidRevised => "deid_revised",
            EventKind::DeidValidated => "deid_validated",
            EventKind::DeidSignedOff => "deid_signed_off",
            EventKind::DeidSettingsChanged => "deid_settings_changed",
            EventKind::RegionTemplateSaved => "region_template_saved",
            EventKind::RegionTemplateRemoved => "region_template_removed",
            EventKind::SchemaCreated => "schema_created",
            EventKind::SchemaPublished => "schema_published",
            EventKind::ItemsAssigned => "items_assigned",
            EventKind::ItemViewed => "item_viewed",
            EventKind::AnnotationChanged => "annotation_changed",
            EventKind::AnnotationSubmitted => "annotation_submitted",
            EventKind::ReviewDecided => "review_decided",
            EventKind::AgreementViewed => "agreement_viewed",
            EventKind::DeliverableExported => "deliverable_exported",
            EventKind::QualificationRecorded => "qualification_recorded",
            EventKind::RetentionSet => "retention_set",
            EventKind::DestructionStarted => "destruction_started",
            EventKind::DestructionRefused => "destruction_refused",
            EventKind::ContactExported => "contact_exported",
            EventKind::ContactImported => "contact_imported",
            EventKind::PackageIssued => "package_issued",
            EventKind::PackageOpened => "package_opened",
            EventKind::PackageReturned => "package_returned",
            EventKind::PackageMerged => "package_merged",
            EventKind::PackageRefused => "package_refused",
            EventKind::PackageRevoked => "package_revoked",
        }
    }

    /// Parses a stored name; `None` for names this build does not know.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether the recorded action succeeded. Failures and denials are audited too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Outcome {
    /// The action took effect.
    Success,
    /// The action was attempted and failed (e.g. a wrong passphrase).
    Failure,
    /// A permission check refused the action.
    Denied,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kind_names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            assert!(
                seen.insert(kind.as_str()),
                "duplicate name {}",
                kind.as_str()
            );
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", kind.as_str()),
                "serde and as_str agree"
            );
        }
        assert_eq!(EventKind::parse("no_such_event"), None);
    }
}
