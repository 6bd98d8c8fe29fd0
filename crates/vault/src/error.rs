//! Errors of vault operations. Variants carry ids, kinds and counts, never content,
//! passphrases or paths that might name a patient.

/// What went wrong opening or using a vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// There is no directory at the given path.
    #[error("no vault exists at this path")]
    NoSuchVault,
    /// The directory exists but holds no `vault.json`.
    #[error("this directory is not an Airlock vault (it has no vault.json)")]
    NotAVault,
    /// The target directory of `init` already holds files.
    #[error("the target directory is not empty; choose a new directory for the vault")]
    AlreadyExists,
    /// `vault.json` is not a valid header.
    #[error("the vault header (vault.json) is damaged or not an Airlock header")]
    HeaderCorrupt,
    /// `vault.json` has a version this build does not know.
    #[error("this vault uses format version {0}, which this version of Airlock cannot read; update Airlock")]
    UnknownVersion(u32),
    /// The vault was destroyed (its key slots erased).
    #[error(
        "this vault was destroyed: its keys were erased and its content can no longer be opened"
    )]
    Erased,
    /// A passphrase or recovery code did not open the slot.
    #[error("the passphrase is not correct")]
    WrongPassphrase,
    /// The database could not be opened with the key (truncated, damaged or not ours).
    #[error(
        "the vault database (vault.db) is damaged, truncated or missing; restore it from a backup"
    )]
    DatabaseUnreadable,
    /// A database operation failed.
    #[error("a vault database operation failed ({0})")]
    Database(String),
    /// A blob referenced by the database is not in `blobs/`.
    #[error("stored content {0} is missing from the vault's blob store")]
    BlobMissing(String),
    /// A blob exists but does not decrypt with its tier's key or fails its integrity check.
    #[error("stored content {0} is damaged or was not written by this vault")]
    BlobCorrupt(String),
    /// A sealed database record does not open (damaged, moved, or another vault's).
    #[error("a sealed record in the vault database is damaged or does not belong here")]
    SealedRecordCorrupt,
    /// The caller does not hold the key for a blob's tier.
    #[error("this account's keys cannot open source-tier content")]
    TierKeyMissing,
    /// A file-system operation failed.
    #[error("{context}: {kind}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The OS error kind (never the path).
        kind: std::io::ErrorKind,
    },
}

impl VaultError {
    /// Wraps an I/O error with what was being done, dropping the path.
    pub fn io(context: &'static str, e: std::io::Error) -> VaultError {
        VaultError::Io {
            context,
            kind: e.kind(),
        }
    }
}

impl From<sqlx::Error> for VaultError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("26") => {
                VaultError::DatabaseUnreadable
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("11") => {
                VaultError::DatabaseUnreadable
            }
            _ => VaultError::Database(short_sqlx(&e)),
        }
    }
}

/// A short description of a database error that holds no values from the data.
fn short_sqlx(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => format!("code {}", db.code().unwrap_or_default()),
        sqlx::Error::RowNotFound => "row not found".into(),
        sqlx::Error::PoolTimedOut => "database busy".into(),
        sqlx::Error::Io(io) => format!("i/o {:?}", io.kind()),
        sqlx::Error::Migrate(_) => "schema migration failed".into(),
        _ => "internal".into(),
    }
}
