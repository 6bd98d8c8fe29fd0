//! Airlock's application layer: the one door every user-visible operation goes through.
//!
//! A [`Workspace`] holds the open vault and the logged-in [`Session`]. Every use case is
//! a method that first asks the permission table ([`Session::authorize`], which audits a
//! refusal) and then makes its change and appends its audit event in one database
//! transaction, so there is no action without its event and no event without its action.
//! The CLI (`src/`) and the desktop shell (`src-tauri/`) only parse, call and print.
//!
//! ```no_run
//! # async fn demo() -> Result<(), airlock_app::AppError> {
//! use airlock_app::Workspace;
//! use secrecy::SecretString;
//! let mut ws = Workspace::new("/tmp".into());
//! ws.open_vault(std::path::Path::new("study.airlock")).await?;
//! ws.login("dana.lead", &SecretString::from("demo-lead-passphrase"), None).await?;
//! let users = ws.active().await?.list_users().await?;
//! ws.logout().await?;
//! # let _ = users; Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod annotate;
mod audit_cases;
mod batches;
mod clock;
mod deid_dicom_items;
mod deid_image_items;
mod deid_items;
mod deliver;
mod demo;
mod destroy;
mod dicom_files;
mod error;
mod guidelines;
mod image_files;
mod images;
mod ingest;
pub mod json;
mod overview;
mod packages;
mod region_templates;
mod review;
mod session;
mod settings;
mod standalone;
mod users;
mod workspace;

pub use account::MAX_BREAK_GLASS_MINUTES;
pub use airlock_deid_dicom::{AutoClean as DicomAutoClean, ProfileOption as DicomOption};
pub use audit_cases::verify_export_file;
pub use batches::{bag_validate, verify_receipt_file};
pub use destroy::verify_certificate_file;
pub use dicom_files::{deid_dicom_files, DicomPolicyRequest};
pub use image_files::deid_image_files;
pub use ingest::MAX_ROW_SPLIT_BYTES;
pub use standalone::{agreement_from_csv, deid_text_files, DeidKey};

/// Agreement levels of measurement, re-exported for the CLI.
pub use airlock_agreement::Level as AgreementLevel;
/// A BagIt validation report, re-exported for the CLI.
pub use airlock_ingest::bagit::BagReport;
pub use clock::{Clock, ManualClock, SystemClock};
pub use demo::{DEMO_PROJECT, DEMO_USERS};
pub use error::{AppError, ErrorCode};
pub use session::{EndReason, Grant, Session};
pub use workspace::Workspace;

pub use airlock_model::{Action, EventKind, Role};
pub use airlock_vault::KdfParams;

use secrecy::{ExposeSecret, SecretString};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Sets up logging for a binary: `tracing` to stderr, level from `AIRLOCK_LOG` (default
/// `warn`). Events carry identifiers only, never content, passphrases or paths.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AIRLOCK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Shortest passphrase accepted (NIST SP 800-63B asks for at least 8; a vault key
/// deserves more).
pub const MIN_PASSPHRASE_CHARS: usize = 12;

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .expect("zero is a valid nanosecond")
        .format(&Rfc3339)
        .expect("UTC times always format")
}

/// Login names: 2–64 characters of letters, digits, `.`, `-`, `_`, starting with a
/// letter. They appear in the UI and CSV exports, never in audit events.
pub(crate) fn validate_user_name(name: &str) -> Result<(), AppError> {
    let n = name.trim();
    let ok = (2..=64).contains(&n.chars().count())
        && n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "User names are 2 to 64 letters, digits, dots, dashes or underscores, starting with a letter.",
        ))
    }
}

pub(crate) fn validate_passphrase(p: &SecretString) -> Result<(), AppError> {
    let n = p.expose_secret().chars().count();
    if n < MIN_PASSPHRASE_CHARS {
        return Err(AppError::invalid(format!(
            "Passphrases must be at least {MIN_PASSPHRASE_CHARS} characters long."
        )));
    }
    if n > 1024 {
        return Err(AppError::invalid(
            "Passphrases must be at most 1,024 characters long.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_and_passphrases_are_validated() {
        assert!(validate_user_name("dana.lead").is_ok());
        assert!(validate_user_name("a").is_err());
        assert!(validate_user_name("1dana").is_err());
        assert!(validate_user_name("dana lead").is_err());
        assert!(validate_passphrase(&SecretString::from("short")).is_err());
        assert!(validate_passphrase(&SecretString::from("long enough passphrase")).is_ok());
    }
}
