//! The one error type the CLI and the desktop shell see: a stable code the UI branches
//! on, and one sentence safe to show (no PHI, no passphrase, no path).

use serde::Serialize;
use ts_rs::TS;

/// What kind of failure, for the UI to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// Unknown user or wrong passphrase (deliberately indistinguishable).
    BadCredentials,
    /// The account is locked after repeated failures, or disabled.
    AccountLocked,
    /// The passphrase was right; a TOTP code is needed.
    TotpRequired,
    /// The session was locked after inactivity.
    SessionExpired,
    /// No one is logged in.
    NotLoggedIn,
    /// The role does not allow this action.
    Forbidden,
    /// The input is not acceptable (empty name, short passphrase…).
    InvalidInput,
    /// The named thing does not exist.
    NotFound,
    /// The request conflicts with the current state (name taken, last lead…).
    Conflict,
    /// The vault cannot be read or written (damaged, missing, wrong version).
    VaultError,
    /// A bug or an unexpected failure.
    Internal,
}

/// An error from a use case: a code and one clear sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct AppError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// One sentence for people.
    pub message: String,
}

impl AppError {
    /// Builds an error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_credentials() -> AppError {
        AppError::new(
            ErrorCode::BadCredentials,
            "User name or passphrase not recognised.",
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidInput, message)
    }

    pub(crate) fn not_logged_in() -> AppError {
        AppError::new(ErrorCode::NotLoggedIn, "Log in first.")
    }

    pub(crate) fn no_vault() -> AppError {
        AppError::new(ErrorCode::NotFound, "No vault is open.")
    }
}

impl From<airlock_vault::VaultError> for AppError {
    fn from(e: airlock_vault::VaultError) -> Self {
        use airlock_vault::VaultError as V;
        let code = match e {
            V::NoSuchVault | V::NotAVault => ErrorCode::NotFound,
            V::AlreadyExists => ErrorCode::Conflict,
            V::WrongPassphrase => ErrorCode::BadCredentials,
            V::TierKeyMissing => ErrorCode::Forbidden,
            _ => ErrorCode::VaultError,
        };
        AppError::new(code, sentence(&e.to_string()))
    }
}

impl From<airlock_audit::AuditError> for AppError {
    fn from(e: airlock_audit::AuditError) -> Self {
        AppError::new(ErrorCode::VaultError, sentence(&e.to_string()))
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(airlock_vault::VaultError::from(e))
    }
}

/// Library errors are lower-case fragments; people see sentences.
pub(crate) fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}
