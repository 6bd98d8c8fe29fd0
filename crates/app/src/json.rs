//! Data transfer objects: what the CLI prints as JSON and what the desktop UI receives.
//! TypeScript bindings are generated from these by ts-rs (`cargo test` writes them to
//! `ui/src/lib/api/bindings/`; CI fails when they drift).

use airlock_model::{EventKind, Outcome, Role};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a vault lives and what it is.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VaultSummary {
    /// The vault directory.
    pub path: String,
    /// The vault id.
    pub vault_id: String,
    /// Header format version.
    pub format_version: u32,
}

/// A vault just created, with its recovery code (shown once).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CreatedVault {
    /// The vault.
    pub vault: VaultSummary,
    /// The recovery code, to print and seal.
    pub recovery_code: String,
}

/// A demo account with its documented synthetic passphrase.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DemoUser {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The demo passphrase (public, documented: demo vaults hold synthetic data only).
    pub passphrase: String,
}

/// A demo vault just created.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DemoInfo {
    /// The vault.
    pub vault: VaultSummary,
    /// One account per role.
    pub users: Vec<DemoUser>,
}

/// The logged-in session, as the UI shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SessionInfo {
    /// Session id.
    pub session_id: String,
    /// User id.
    pub user_id: String,
    /// Login name.
    pub user_name: String,
    /// Role.
    pub role: Role,
    /// The project's name.
    pub project_name: String,
    /// Idle timeout in seconds.
    pub idle_timeout_secs: u32,
    /// Seconds until the idle lock.
    pub idle_remaining_secs: u32,
    /// End of emergency access, RFC 3339, when active.
    pub break_glass_until: Option<String>,
    /// Whether the user has a TOTP second factor.
    pub totp_enabled: bool,
}

/// What the desktop shell needs at start-up.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppStatus {
    /// The open vault, if any.
    pub vault: Option<VaultSummary>,
    /// The session, if logged in.
    pub session: Option<SessionInfo>,
    /// Where new vaults go by default.
    pub default_vault_dir: String,
}

/// A user's account state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum UserStatus {
    /// May log in.
    Active,
    /// Disabled; key slot removed.
    Disabled,
    /// Locked after failed logins, until `locked_until`.
    Locked,
}

/// A user account, without secrets.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UserDto {
    /// User id.
    pub id: String,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// State.
    pub status: UserStatus,
    /// Whether TOTP is enrolled.
    pub totp_enabled: bool,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// End of lockout, RFC 3339.
    pub locked_until: Option<String>,
}

/// Filters for the audit viewer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditFilter {
    /// Actor name or id.
    pub actor: Option<String>,
    /// Event kind.
    pub action: Option<EventKind>,
    /// First day, `YYYY-MM-DD` (UTC, inclusive).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC, inclusive).
    pub to: Option<String>,
    /// Only failures and denials.
    pub failures_only: bool,
    /// Only events in break-glass sessions.
    pub break_glass_only: bool,
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return (capped at 1,000).
    pub limit: u32,
}

/// One audit event as the viewer shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuditRow {
    /// Position in the chain.
    #[ts(type = "number")]
    pub seq: i64,
    /// Event id.
    pub id: String,
    /// Time, RFC 3339 UTC.
    pub ts: String,
    /// Actor id.
    pub actor_id: Option<String>,
    /// Actor name, resolved for display.
    pub actor_name: Option<String>,
    /// Actor role.
    pub actor_role: Option<Role>,
    /// What happened.
    pub action: EventKind,
    /// How it ended.
    pub outcome: Outcome,
    /// Kind of object.
    pub object_kind: Option<String>,
    /// Object id.
    pub object_id: Option<String>,
    /// Object name when it is a user (display only).
    pub object_name: Option<String>,
    /// Ids and counts, JSON.
    pub detail: String,
    /// Break-glass flag.
    pub break_glass: bool,
    /// Previous hash.
    pub prev_hash: String,
    /// This hash.
    pub hash: String,
}

/// A page of audit rows, newest first.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuditPage {
    /// The rows.
    pub rows: Vec<AuditRow>,
    /// Rows matching the filter.
    #[ts(type = "number")]
    pub total: u64,
}

/// Kind of chain damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProblemKind {
    /// Content changed.
    Changed,
    /// An event is missing.
    Removed,
    /// An event was added.
    Inserted,
    /// Events are out of order.
    Reordered,
    /// A line is not a record.
    Malformed,
    /// A signature is invalid.
    BadSignature,
    /// Events are missing from the end.
    Truncated,
}

/// The first problem found in a chain.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ChainProblem {
    /// Event concerned (0 when none).
    #[ts(type = "number")]
    pub seq: i64,
    /// Kind.
    pub kind: ProblemKind,
    /// One sentence.
    pub message: String,
}

/// Result of verifying the audit chain.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VerifyReport {
    /// True when intact.
    pub ok: bool,
    /// Events checked.
    #[ts(type = "number")]
    pub events: u64,
    /// Head hash.
    pub head_hash: String,
    /// Valid signed checkpoints.
    #[ts(type = "number")]
    pub checkpoints: u64,
    /// Names of checkpoint signers.
    pub signers: Vec<String>,
    /// First problem.
    pub problem: Option<ChainProblem>,
}

/// Lockout and idle policy.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Policy {
    /// Failures that lock an account.
    pub max_failed_logins: u32,
    /// Lockout duration.
    pub lockout_minutes: u32,
    /// Idle timeout.
    pub idle_timeout_minutes: u32,
}

/// argon2id parameters.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct KdfInfo {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// Non-secret facts about the open vault.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VaultInfo {
    /// Vault id.
    pub vault_id: String,
    /// Project name.
    pub project_name: String,
    /// Directory.
    pub path: String,
    /// Header format version.
    pub format_version: u32,
    /// Creation time.
    pub created_at: String,
    /// Key derivation parameters.
    pub kdf: KdfInfo,
    /// Active users.
    #[ts(type = "number")]
    pub users: u64,
    /// User key slots in the header.
    #[ts(type = "number")]
    pub key_slots: u64,
    /// Whether a recovery slot exists.
    pub recovery_slot: bool,
    /// Events in the audit log.
    #[ts(type = "number")]
    pub audit_events: u64,
    /// Policy.
    pub policy: Policy,
}

/// A pending TOTP enrolment.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TotpSetup {
    /// The shared secret, base32.
    pub secret_base32: String,
    /// `otpauth://` URI for authenticator apps.
    pub otpauth_uri: String,
}

/// Result of an audit export.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportResult {
    /// Where it was written.
    pub path: String,
    /// Events exported.
    #[ts(type = "number")]
    pub events: u64,
}

/// Audit export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    /// Spreadsheet-friendly.
    Csv,
    /// Verifiable, signed.
    Jsonl,
}
