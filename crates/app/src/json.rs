//! Data transfer objects: what the CLI prints as JSON and what the desktop UI receives.
//! TypeScript bindings are generated from these by ts-rs (`cargo test` writes them to
//! `ui/src/lib/api/bindings/`; CI fails when they drift).

use airlock_model::{EventKind, Outcome, Role};

/// Label values, re-exported for the shells.
pub use airlock_model::AnnotationValue;
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

/// The workspace events a `package_merged` event brought in: what the annotator did
/// offline, as recorded in their workspace's chain.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuditSegment {
    /// The merge event's seq in this vault's chain.
    #[ts(type = "number")]
    pub merge_seq: i64,
    /// The workspace vault the events come from.
    pub workspace_vault: String,
    /// The events, in workspace order; `seq` is the workspace's, `actor_name` the
    /// annotator the merge was for.
    pub rows: Vec<AuditRow>,
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
    /// Workspace audit chains merged from work packages, re-walked and checked against
    /// their merge events (an export carries them too).
    #[ts(type = "number")]
    pub segments: u64,
    /// Events in those segments.
    #[ts(type = "number")]
    pub segment_events: u64,
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

/// What to receive: a folder, a folder with a manifest, or a BagIt bag.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IngestRequest {
    /// The folder (or bag) to receive.
    pub source: String,
    /// A checksum manifest (`sha256sum` style); without it a manifest at the top of the
    /// folder is used, or the hashes become the baseline.
    pub manifest: Option<String>,
    /// Insist that the source is a BagIt bag.
    pub bagit: bool,
    /// CSV column holding each row's text (default: text, note, note_text, report, body).
    pub csv_column: Option<String>,
    /// JSONL field holding each line's text (same defaults).
    pub jsonl_field: Option<String>,
}

/// What a source holds, before anything is read or stored.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IngestPreflight {
    /// How the sender described the data.
    pub mode: airlock_ingest::plan::SourceMode,
    /// Files that will be read.
    #[ts(type = "number")]
    pub files: u64,
    /// Their bytes.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Files the manifest lists (0 for a bare folder).
    #[ts(type = "number")]
    pub listed: u64,
    /// Files present but not listed.
    #[ts(type = "number")]
    pub extra: u64,
    /// Files listed but absent.
    #[ts(type = "number")]
    pub missing: u64,
    /// Entries that cannot be read (links, special files, non-UTF-8 names, over 4 GiB).
    #[ts(type = "number")]
    pub unreadable: u64,
    /// Algorithms the manifest uses.
    pub algorithms: Vec<airlock_ingest::digest::Algorithm>,
    /// File counts by extension (lower case, `""` for none), most common first.
    pub extensions: Vec<ExtensionCount>,
    /// Bag problems already visible (tag manifests, Payload-Oxum).
    pub bag_problems: Vec<String>,
    /// Notes (weak algorithms, manifest found in the folder).
    pub warnings: Vec<String>,
}

/// A file count for one extension.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExtensionCount {
    /// Lower-case extension without the dot.
    pub extension: String,
    /// Files.
    #[ts(type = "number")]
    pub files: u64,
}

/// Progress of a running ingest (sent at most every 250 ms).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IngestProgress {
    /// Files finished (stored, or found unreadable), this run and earlier runs.
    #[ts(type = "number")]
    pub files_done: u64,
    /// Files to read in all.
    #[ts(type = "number")]
    pub files_total: u64,
    /// Bytes read so far, this run and earlier runs.
    #[ts(type = "number")]
    pub bytes_done: u64,
    /// Bytes to read in all.
    #[ts(type = "number")]
    pub bytes_total: u64,
    /// Milliseconds since this run started.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

/// A batch's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BatchStatus {
    /// Being received, or interrupted (a rerun resumes it).
    Receiving,
    /// Everything verified; items released for work.
    Received,
    /// Problems found: a lead must release the verified files or abort.
    NeedsDecision,
    /// A lead released the verified files; problem files stay quarantined.
    Released,
    /// A lead aborted the batch; its items are discarded.
    Aborted,
}

impl BatchStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Receiving => "receiving",
            BatchStatus::Received => "received",
            BatchStatus::NeedsDecision => "needs_decision",
            BatchStatus::Released => "released",
            BatchStatus::Aborted => "aborted",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<BatchStatus> {
        [
            BatchStatus::Receiving,
            BatchStatus::Received,
            BatchStatus::NeedsDecision,
            BatchStatus::Released,
            BatchStatus::Aborted,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }
}

/// Files and bytes with one verdict.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VerdictCount {
    /// The verdict.
    pub verdict: airlock_ingest::receipt::Verdict,
    /// Files.
    #[ts(type = "number")]
    pub files: u64,
    /// Bytes.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// One file in an ingest report. `path` may name a patient: leads only.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReportFile {
    /// Path relative to the source.
    pub path: String,
    /// What happened to it.
    pub verdict: airlock_ingest::receipt::Verdict,
    /// Bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Detected content.
    pub kind: Option<airlock_ingest::detect::ContentKind>,
    /// SHA-256 of what arrived, hex.
    pub sha256: Option<String>,
    /// The manifest's expectation: algorithm and hex digest (the strongest given).
    pub expected: Option<ExpectedDigest>,
    /// Items made from it.
    #[ts(type = "number")]
    pub items: u64,
    /// Why it is not verified.
    pub note: Option<String>,
}

/// A digest a manifest expected.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExpectedDigest {
    /// Algorithm.
    pub algorithm: airlock_ingest::digest::Algorithm,
    /// Hex digest.
    pub hex: String,
}

/// The result of an ingest run (or of a delivery already received).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IngestReport {
    /// The batch.
    pub batch_id: String,
    /// Its state after this run.
    pub status: BatchStatus,
    /// How the sender described the data.
    pub mode: airlock_ingest::plan::SourceMode,
    /// Everything verified, nothing extra, no bag problem.
    pub all_verified: bool,
    /// The run was cancelled (or failed part-way); a rerun resumes.
    pub cancelled: bool,
    /// The delivery had already been received; nothing was read or stored.
    pub already_received: bool,
    /// Files and bytes per verdict.
    pub totals: Vec<VerdictCount>,
    /// Every file, in path order.
    pub files: Vec<ReportFile>,
    /// Bag-level findings.
    pub bag_problems: Vec<String>,
    /// Notes.
    pub warnings: Vec<String>,
    /// SHA-256 of the signed receipt's body, when the batch finished.
    pub receipt_sha256: Option<String>,
    /// Items now in the vault from this batch (all statuses).
    #[ts(type = "number")]
    pub items: u64,
    /// Files read in this run.
    #[ts(type = "number")]
    pub files_read: u64,
    /// Bytes read in this run.
    #[ts(type = "number")]
    pub bytes_read: u64,
    /// Milliseconds this run took.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

/// A batch in the list of deliveries.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BatchDto {
    /// Batch id.
    pub id: String,
    /// How it was described.
    pub mode: airlock_ingest::plan::SourceMode,
    /// State.
    pub status: BatchStatus,
    /// Who received it.
    pub received_by: Option<String>,
    /// Start, RFC 3339.
    pub started_at: String,
    /// End, RFC 3339.
    pub finished_at: Option<String>,
    /// Files and bytes per verdict.
    pub totals: Vec<VerdictCount>,
    /// SHA-256 of the receipt body.
    pub receipt_sha256: Option<String>,
}

/// An item's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ItemStatus {
    /// Verified, waiting for its batch to be released.
    Held,
    /// Received and available for the next step.
    Received,
    /// Quarantined: mismatched, extra, empty or unsupported.
    Quarantined,
    /// Its batch was aborted.
    Discarded,
}

impl ItemStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Held => "held",
            ItemStatus::Received => "received",
            ItemStatus::Quarantined => "quarantined",
            ItemStatus::Discarded => "discarded",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ItemStatus> {
        [
            ItemStatus::Held,
            ItemStatus::Received,
            ItemStatus::Quarantined,
            ItemStatus::Discarded,
        ]
        .into_iter()
        .find(|i| i.as_str() == s)
    }
}

/// Filters for the lead's item browser.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ItemFilter {
    /// Only this batch.
    pub batch_id: Option<String>,
    /// Only this status.
    pub status: Option<ItemStatus>,
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return (capped at 1,000).
    pub limit: u32,
}

/// An item as the lead's browser shows it. `source_name` may name a patient.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ItemDto {
    /// Item id.
    pub id: String,
    /// Short number.
    #[ts(type = "number")]
    pub number: u64,
    /// Batch id.
    pub batch_id: String,
    /// What it is.
    pub kind: String,
    /// Bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// State.
    pub status: ItemStatus,
    /// The original relative path, with `#row N` / `#line N` for rows.
    pub source_name: String,
}

/// A page of items.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ItemPage {
    /// The rows.
    pub rows: Vec<ItemDto>,
    /// Items matching the filter.
    #[ts(type = "number")]
    pub total: u64,
}

/// A lead's decision on a batch with problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BatchDecision {
    /// Release the verified files; problem files stay quarantined.
    ReleaseVerified,
    /// Discard the whole batch.
    Abort,
}

/// A receipt written out of the vault.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReceiptExport {
    /// The signed JSON receipt.
    pub json_path: String,
    /// The readable summary beside it.
    pub text_path: String,
    /// SHA-256 of the receipt body.
    pub receipt_sha256: String,
}

/// The result of checking a receipt file.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReceiptCheck {
    /// Whether the signature holds.
    pub ok: bool,
    /// One sentence.
    pub message: String,
    /// The batch, when the file is a receipt.
    pub receipt_id: Option<String>,
    /// The vault it came from.
    pub vault_id: Option<String>,
    /// Who signed it.
    pub received_by: Option<String>,
    /// Whether it records a fully verified delivery.
    pub all_verified: Option<bool>,
    /// Files it lists.
    #[ts(type = "number")]
    pub files: u64,
}

/// How `deid text` replaces identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeidTextPolicy {
    /// Strict Safe Harbor: placeholders; dates keep the year, ages over 89 become 90+, ZIP
    /// codes keep three digits (000 where restricted).
    SafeHarbor,
    /// Consistent surrogates and per-patient date shifts (keyed; needs expert determination).
    Pseudonymize,
}

/// Findings of one category.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CategoryCount {
    /// Safe Harbor category, snake_case.
    pub category: String,
    /// Identifiers replaced.
    #[ts(type = "number")]
    pub findings: u64,
}

/// A file `deid text` or `deid dicom` skipped.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidTextFailure {
    /// Path relative to the input.
    pub path: String,
    /// Why, in a few words (no content).
    pub reason: String,
}

/// The result of `deid text`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidTextReport {
    /// Files de-identified.
    #[ts(type = "number")]
    pub files: u64,
    /// Files skipped, with the reason.
    pub failed: Vec<DeidTextFailure>,
    /// Identifiers replaced in all.
    #[ts(type = "number")]
    pub findings: u64,
    /// Per category.
    pub categories: Vec<CategoryCount>,
    /// Bytes of input read.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The result of `deid dicom`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidDicomReport {
    /// Files de-identified.
    #[ts(type = "number")]
    pub files: u64,
    /// Files skipped (not DICOM, damaged, unsupported), with the reason.
    pub failed: Vec<DeidTextFailure>,
    /// Bytes of input read.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Files whose pixels were decoded and regions blacked out.
    #[ts(type = "number")]
    pub pixels_cleaned: u64,
    /// Files (relative paths) that may still show burned-in text: at risk, and not cleaned
    /// and confirmed by a re-scan. Review them before they leave.
    pub needs_pixel_review: Vec<String>,
    /// The edition of PS3.15 Table E.1-1 applied.
    pub profile_edition: String,
}

/// What `airlock deid image` did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidImageReport {
    /// Images de-identified (written as PNG).
    #[ts(type = "number")]
    pub files: u64,
    /// Files skipped (not PNG or JPEG, damaged), with the reason.
    pub failed: Vec<DeidTextFailure>,
    /// Bytes of input read.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Images with regions blacked out.
    #[ts(type = "number")]
    pub pixels_cleaned: u64,
    /// Images (relative paths) not confirmed clean by an OCR re-scan: look at them before
    /// they leave (without OCR, every image).
    pub needs_pixel_review: Vec<String>,
}

/// Where an item stands in de-identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeidStatus {
    /// De-identified, not yet checked by a lead.
    Proposed,
    /// A lead checked it beside the original and validated it.
    Validated,
    /// Released by a batch sign-off whose validated sample found no missed identifier.
    ValidatedBySample,
    /// Could not be de-identified (not readable as its kind); never released.
    Failed,
}

impl DeidStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeidStatus::Proposed => "proposed",
            DeidStatus::Validated => "validated",
            DeidStatus::ValidatedBySample => "validated_by_sample",
            DeidStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<DeidStatus> {
        [
            DeidStatus::Proposed,
            DeidStatus::Validated,
            DeidStatus::ValidatedBySample,
            DeidStatus::Failed,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// The vault's de-identification settings.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DeidSettings {
    /// How identifiers are replaced.
    pub policy: DeidTextPolicy,
    /// Share of a batch's items a lead must validate before signing it off (1–100; 100
    /// means every item). A sample is allowed only when it found no missed identifier.
    pub sample_percent: u32,
}

/// The result of a de-identification run.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidRunReport {
    /// Items de-identified in this run.
    #[ts(type = "number")]
    pub items: u64,
    /// Items that could not be (not readable as their kind); they are never released.
    #[ts(type = "number")]
    pub failed: u64,
    /// Identifiers replaced.
    #[ts(type = "number")]
    pub findings: u64,
    /// Per category.
    pub categories: Vec<CategoryCount>,
    /// Milliseconds the run took.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

/// An item in the de-identification queue. `source_name` may name a patient (leads only).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidQueueRow {
    /// Item id.
    pub item_id: String,
    /// Short number.
    #[ts(type = "number")]
    pub number: u64,
    /// Batch id.
    pub batch_id: String,
    /// Original name.
    pub source_name: String,
    /// State.
    pub status: DeidStatus,
    /// Identifiers replaced.
    #[ts(type = "number")]
    pub findings: u64,
    /// Revision of the output.
    pub revision: u32,
    /// Whether the item is in its batch's validation sample.
    pub in_sample: bool,
    /// `text` or `dicom` (which review screen opens it).
    pub kind: String,
}

/// One replaced span: offsets in the original and in the output, and what was done.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidSpan {
    /// Byte offset in the original.
    pub start: u32,
    /// End byte offset in the original.
    pub end: u32,
    /// Byte offset in the output.
    pub out_start: u32,
    /// End byte offset in the output.
    pub out_end: u32,
    /// Safe Harbor category, snake_case.
    pub category: String,
    /// Action applied.
    pub action: String,
    /// Rule id (`manual` for spans a lead added).
    pub rule: String,
    /// Detection confidence.
    pub confidence: f32,
}

/// A span a lead keeps or adds: byte offsets in the original and a category.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DeidSpanEdit {
    /// Byte offset in the original.
    pub start: u32,
    /// End byte offset in the original.
    pub end: u32,
    /// Safe Harbor category, snake_case.
    pub category: String,
}

/// An item beside its original, for the lead's validation screen. The original is
/// identifiable: every such view is audited.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidReview {
    /// Item id.
    pub item_id: String,
    /// Short number.
    #[ts(type = "number")]
    pub number: u64,
    /// Original name.
    pub source_name: String,
    /// The original text.
    pub original: String,
    /// The de-identified text.
    pub deidentified: String,
    /// Every replaced span, in order.
    pub spans: Vec<DeidSpan>,
    /// State.
    pub status: DeidStatus,
    /// Revision of the output.
    pub revision: u32,
    /// Identifiers added by hand so far.
    pub misses: u32,
    /// Categories a span may have, snake_case.
    pub categories: Vec<String>,
}

/// A batch's de-identification state, for the sign-off.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidBatchState {
    /// Batch id.
    pub batch_id: String,
    /// Text items in the batch that are released for work.
    #[ts(type = "number")]
    pub items: u64,
    /// Not de-identified yet.
    #[ts(type = "number")]
    pub pending: u64,
    /// Proposed, not yet validated.
    #[ts(type = "number")]
    pub proposed: u64,
    /// Validated (by hand or by sample).
    #[ts(type = "number")]
    pub validated: u64,
    /// Failed.
    #[ts(type = "number")]
    pub failed: u64,
    /// Items in the validation sample.
    #[ts(type = "number")]
    pub sample_size: u64,
    /// Of those, validated.
    #[ts(type = "number")]
    pub sample_validated: u64,
    /// Identifiers added by hand in the batch.
    #[ts(type = "number")]
    pub misses: u64,
    /// Whether the batch can be signed off now, and if not, why.
    pub can_sign_off: bool,
    /// Why not.
    pub blocker: Option<String>,
    /// The sign-off, once made.
    pub signed_off: Option<DeidSignOff>,
}

/// A signed de-identification sign-off.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeidSignOff {
    /// Who signed.
    pub signed_by: String,
    /// When.
    pub signed_at: String,
    /// Items released.
    #[ts(type = "number")]
    pub items: u64,
    /// Items validated by hand.
    #[ts(type = "number")]
    pub sample_size: u64,
    /// Identifiers the lead had to add.
    #[ts(type = "number")]
    pub misses: u64,
    /// Ed25519 signature, hex.
    pub signature: String,
}

/// A label schema version as it is written or shown.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchemaInput {
    /// The schema's name (versions share it).
    pub name: String,
    /// What kind of labelling.
    pub task: airlock_model::Task,
    /// The labels.
    pub body: airlock_model::SchemaBody,
    /// The guideline (Markdown) of this version.
    pub guideline: String,
    /// A guideline PDF for this version (base64), besides or instead of the Markdown.
    #[serde(default)]
    #[ts(optional)]
    pub guideline_pdf: Option<String>,
}

/// A schema version's guideline PDF: what identifies it, and how many pages to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct GuidelinePdf {
    /// SHA-256 of the PDF, hex (recorded when the version is created and published).
    pub sha256: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Pages.
    pub pages: u32,
}

/// A schema version's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SchemaStatus {
    /// Being written; not usable for assignment.
    Draft,
    /// Published: frozen, usable for assignment.
    Published,
}

/// A stored schema version.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SchemaDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Version (1, 2, …).
    pub version: u32,
    /// Task.
    pub task: airlock_model::Task,
    /// Labels (keys and colours filled in).
    pub body: airlock_model::SchemaBody,
    /// Guideline.
    pub guideline: String,
    /// The guideline PDF, when one is attached.
    pub guideline_pdf: Option<GuidelinePdf>,
    /// State.
    pub status: SchemaStatus,
    /// Created, RFC 3339.
    pub created_at: String,
    /// Published, RFC 3339.
    pub published_at: Option<String>,
}

/// What to assign, to whom, with which overlap.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AssignRequest {
    /// A published schema.
    pub schema_id: String,
    /// Items of this batch (released for annotation) — or all released items.
    pub batch_id: Option<String>,
    /// Annotators' names.
    pub annotators: Vec<String>,
    /// How many annotators label each item (1 = no overlap; 2+ feeds agreement).
    pub overlap: u32,
}

/// What an assignment would do (or did).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AssignPlan {
    /// Items that will be (were) assigned.
    #[ts(type = "number")]
    pub items: u64,
    /// Items skipped because they are already assigned under this schema.
    #[ts(type = "number")]
    pub already_assigned: u64,
    /// New assignments per annotator.
    pub per_annotator: Vec<AnnotatorCount>,
    /// Items that more than one annotator labels.
    #[ts(type = "number")]
    pub overlap_items: u64,
    /// A warning when overlap is too small to estimate agreement.
    pub warning: Option<String>,
}

/// A count for one annotator.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AnnotatorCount {
    /// Annotator's name.
    pub name: String,
    /// Count.
    #[ts(type = "number")]
    pub items: u64,
}

/// An assignment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AssignmentStatus {
    /// Not started.
    Assigned,
    /// Labels saved, not submitted.
    InProgress,
    /// Submitted, waiting for review.
    Submitted,
    /// Sent back by a reviewer, with a comment.
    Rejected,
    /// Accepted by a reviewer.
    Accepted,
}

impl AssignmentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Assigned => "assigned",
            AssignmentStatus::InProgress => "in_progress",
            AssignmentStatus::Submitted => "submitted",
            AssignmentStatus::Rejected => "rejected",
            AssignmentStatus::Accepted => "accepted",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<AssignmentStatus> {
        [
            AssignmentStatus::Assigned,
            AssignmentStatus::InProgress,
            AssignmentStatus::Submitted,
            AssignmentStatus::Rejected,
            AssignmentStatus::Accepted,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One entry of an annotator's queue (items by number, never by name).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueueEntry {
    /// Assignment id.
    pub assignment_id: String,
    /// The item's short number.
    #[ts(type = "number")]
    pub item_number: u64,
    /// Schema name and version.
    pub schema: String,
    /// Task.
    pub task: airlock_model::Task,
    /// State.
    pub status: AssignmentStatus,
    /// The reviewer's comment when rejected.
    pub comment: Option<String>,
}

/// An item opened for labelling.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AnnotateView {
    /// Assignment id.
    pub assignment_id: String,
    /// The item's short number.
    #[ts(type = "number")]
    pub item_number: u64,
    /// The schema version.
    pub schema: SchemaDto,
    /// The de-identified text (text tasks).
    pub text: Option<String>,
    /// How to show the de-identified image (image tasks); its frames come from
    /// `assignment_frame`.
    pub image: Option<ImageInfo>,
    /// The current labels.
    pub value: airlock_model::AnnotationValue,
    /// Revision of the labels (0 before the first save).
    pub revision: u32,
    /// State.
    pub status: AssignmentStatus,
    /// The reviewer's comment when rejected.
    pub comment: Option<String>,
    /// When last saved, RFC 3339.
    pub saved_at: Option<String>,
    /// Whether a change needs a reason (the labels were submitted before).
    pub needs_reason: bool,
}

/// How to show a de-identified image: its size, sample format and default window.
/// Frames arrive as little-endian 16-bit *stored* values, `width × height` of them, row
/// by row (signed data as `i16` bit patterns); the viewer rescales them
/// (`stored × rescale_slope + rescale_intercept`, PS3.3 C.11.1) before windowing.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ImageInfo {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Frames (1 for a single image).
    pub frames: u32,
    /// Bits Stored.
    pub bits_stored: u16,
    /// Whether samples are signed.
    pub signed: bool,
    /// Rescale Slope.
    pub rescale_slope: f64,
    /// Rescale Intercept.
    pub rescale_intercept: f64,
    /// Default window centre, in rescaled units.
    pub window_center: f64,
    /// Default window width, in rescaled units.
    pub window_width: f64,
    /// Whether the default window is the header's (else computed from the pixel range).
    pub window_from_header: bool,
    /// MONOCHROME1: low values show white.
    pub inverted: bool,
    /// Modality, e.g. `CT` (which presets make sense); empty for PNG and JPEG.
    pub modality: String,
    /// A colour picture (PNG or JPEG): frames are 8-bit RGBA, painted as they are, and the
    /// fields on stored values and windows do not apply.
    pub color: bool,
}

/// The result of a save.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SaveResult {
    /// New revision.
    pub revision: u32,
    /// When, RFC 3339.
    pub saved_at: String,
}

/// An item waiting for review.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReviewRow {
    /// Item id.
    pub item_id: String,
    /// Short number.
    #[ts(type = "number")]
    pub item_number: u64,
    /// Schema id.
    pub schema_id: String,
    /// Schema name and version.
    pub schema: String,
    /// Submissions so far.
    pub submitted: u32,
    /// Assignments in all.
    pub assigned: u32,
    /// Whether the submitted labels disagree.
    pub disagreement: bool,
    /// Whether a gold label exists.
    pub has_gold: bool,
}

/// One annotator's labels as a reviewer sees them: by alias (A1, A2…), not by name.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReviewAnnotation {
    /// A1, A2…
    pub alias: String,
    /// Assignment id.
    pub assignment_id: String,
    /// State.
    pub status: AssignmentStatus,
    /// Labels.
    pub value: airlock_model::AnnotationValue,
    /// Image tasks: the mark of each of this annotator's regions (boxes or polygons, in
    /// order) against the other annotators'; empty for text and classification.
    pub states: Vec<RegionState>,
}

/// How one annotator's region compares with the other annotators' best-overlapping ones,
/// best to worst: the same label at IoU ≥ 0.5 agrees, another label there conflicts, a weaker
/// overlap is a boundary difference, no overlap on the frame is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RegionState {
    /// Same label, IoU ≥ 0.5.
    Agree,
    /// Another label, IoU ≥ 0.5.
    Conflict,
    /// Overlapping at IoU < 0.5.
    Boundary,
    /// No overlapping region.
    Missing,
}

/// How the annotators' labels compare (text spans: by span; classification: by label).
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct DiffSummary {
    /// Marked the same by everyone.
    pub agree: u32,
    /// Same place, different label.
    pub conflict: u32,
    /// Overlapping but different boundaries.
    pub boundary: u32,
    /// Marked by some annotators only.
    pub missing: u32,
}

/// An item for review.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReviewView {
    /// Item id.
    pub item_id: String,
    /// Short number.
    #[ts(type = "number")]
    pub item_number: u64,
    /// Schema version.
    pub schema: SchemaDto,
    /// The de-identified text (text tasks).
    pub text: Option<String>,
    /// How to show the de-identified image (image tasks); its frames come from
    /// `review_frame`.
    pub image: Option<ImageInfo>,
    /// Each annotator's labels.
    pub annotations: Vec<ReviewAnnotation>,
    /// The gold label, once adjudicated.
    pub gold: Option<airlock_model::AnnotationValue>,
    /// The labels everyone agrees on (the gold pane's starting point).
    pub agreed: airlock_model::AnnotationValue,
    /// Summary of differences.
    pub summary: DiffSummary,
    /// Image tasks: per pair of annotators, the mean IoU of the first's regions with their
    /// best-overlapping partner among the second's (`n` counts the first's regions); empty
    /// for text and classification.
    pub pair_iou: Vec<PairFigure>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "decision", rename_all = "snake_case")]
#[ts(export)]
pub enum ReviewDecision {
    /// Accept one annotator's labels.
    Accept {
        /// The assignment.
        assignment_id: String,
    },
    /// Send one annotator's labels back with a comment.
    Reject {
        /// The assignment.
        assignment_id: String,
        /// What to fix.
        comment: String,
    },
    /// Set the gold label.
    Adjudicate {
        /// The gold labels.
        gold: airlock_model::AnnotationValue,
    },
}

/// One agreement figure with the counts behind it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MetricDto {
    /// Metric key, e.g. `krippendorff_alpha`.
    pub metric: String,
    /// Value, when defined.
    pub value: Option<f64>,
    /// Items compared.
    #[ts(type = "number")]
    pub n_compared: u64,
    /// Items present.
    #[ts(type = "number")]
    pub n_total: u64,
    /// Why it is undefined.
    pub undefined: Option<String>,
    /// Fit warnings, one sentence each.
    pub warnings: Vec<String>,
}

/// A per-label figure.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LabelFigure {
    /// Label.
    pub label: String,
    /// Value (specific agreement, or span F1).
    pub value: Option<f64>,
    /// Ratings or spans behind it.
    #[ts(type = "number")]
    pub n: u64,
}

/// A pair of annotators' agreement.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PairFigure {
    /// Alias of the first.
    pub a: String,
    /// Alias of the second.
    pub b: String,
    /// Value (Cohen's kappa, span F1, or in review the mean IoU).
    pub value: Option<f64>,
    /// Items both labelled (in review, the first annotator's regions).
    #[ts(type = "number")]
    pub n: u64,
}

/// A confusion matrix between two annotators.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConfusionDto {
    /// Row annotator's alias.
    pub rows: String,
    /// Column annotator's alias.
    pub columns: String,
    /// Labels, in matrix order.
    pub labels: Vec<String>,
    /// Counts, `counts[row][column]`.
    pub counts: Vec<Vec<u32>>,
}

/// Agreement for one schema version.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AgreementDto {
    /// Schema id.
    pub schema_id: String,
    /// Task.
    pub task: airlock_model::Task,
    /// Annotators (aliases) with submitted labels.
    pub annotators: Vec<String>,
    /// Items labelled by two or more annotators.
    #[ts(type = "number")]
    pub overlap_items: u64,
    /// Headline figures.
    pub metrics: Vec<MetricDto>,
    /// Per label.
    pub per_label: Vec<LabelFigure>,
    /// Pairwise.
    pub pairs: Vec<PairFigure>,
    /// Confusion matrix of the first two annotators (classification).
    pub confusion: Option<ConfusionDto>,
    /// Why figures are missing, when they are.
    pub note: Option<String>,
}

/// Progress of one annotator (for the lead; deliberately not a leaderboard).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProgressRow {
    /// Annotator.
    pub annotator: String,
    /// Assigned in all.
    #[ts(type = "number")]
    pub assigned: u64,
    /// Labels saved, not submitted.
    #[ts(type = "number")]
    pub in_progress: u64,
    /// Submitted, waiting.
    #[ts(type = "number")]
    pub submitted: u64,
    /// Sent back.
    #[ts(type = "number")]
    pub rejected: u64,
    /// Accepted.
    #[ts(type = "number")]
    pub accepted: u64,
}

/// What to deliver, to whom.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportRequest {
    /// The schema whose labels are delivered; `None` means the one published
    /// schema (refused when none or several are published).
    pub schema_id: Option<String>,
    /// Only adjudicated gold labels (otherwise every annotator's submitted labels too).
    pub gold_only: bool,
    /// age recipients (`age1…`) the bag is encrypted to.
    pub recipients: Vec<String>,
    /// Or a passphrase (age scrypt) instead of recipients.
    pub passphrase: Option<String>,
    /// An explicitly requested plaintext bag directory (recorded as such).
    pub plaintext: bool,
    /// Where: the `.tar.age` file, or the directory for a plaintext bag.
    pub out: String,
    /// Why (recorded).
    pub reason: String,
}

/// A deliverable written.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportReport {
    /// Export id (the bag's External-Identifier).
    pub export_id: String,
    /// Where it was written.
    pub path: String,
    /// Items delivered.
    #[ts(type = "number")]
    pub items: u64,
    /// Files in the bag's payload.
    #[ts(type = "number")]
    pub payload_files: u64,
    /// Label formats written.
    pub formats: Vec<String>,
    /// SHA-256 of the `.tar.age` file (encrypted exports).
    pub file_sha256: Option<String>,
    /// SHA-256 of the signed tag manifest.
    pub tagmanifest_sha256: String,
    /// Whether it is a plaintext bag.
    pub plaintext: bool,
    /// How the client opens and checks it.
    pub how_to_verify: String,
}

/// A deliverable that left the vault.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportDto {
    /// Export id.
    pub id: String,
    /// When.
    pub created_at: String,
    /// Who.
    pub created_by: Option<String>,
    /// Its form.
    pub form: String,
    /// Who can open it.
    pub recipient: String,
    /// What it holds.
    pub what: String,
    /// File hash.
    pub file_sha256: Option<String>,
}

/// A training record, attestation or certification of a team member.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QualificationInput {
    /// The user's name.
    pub user: String,
    /// `training`, `attestation` or `certification`.
    pub kind: String,
    /// e.g. "HIPAA privacy training 2026".
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Optional note.
    pub note: Option<String>,
}

/// A stored qualification.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QualificationDto {
    /// The user's name.
    pub user: String,
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Date.
    pub date: String,
    /// Note.
    pub note: Option<String>,
}

/// The project's retention.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RetentionDto {
    /// The retention date, `YYYY-MM-DD`.
    pub retention_date: Option<String>,
    /// The rule behind it (e.g. "contract end + 30 days").
    pub rule: Option<String>,
    /// Days until it (negative: overdue).
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    /// Whether destruction may start.
    pub due: bool,
    /// Whether a reminder should show (due within 30 days, or overdue).
    pub remind: bool,
    /// Deliverables that left the vault.
    pub exports: Vec<ExportDto>,
    /// The last audit export.
    pub last_audit_export: Option<String>,
}

/// Who signs a destruction as the second person.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VerifierInput {
    /// Their user name (a lead or another compliance officer).
    pub name: String,
    /// Their passphrase.
    pub passphrase: String,
    /// Their title.
    pub title: String,
}

/// What a destruction needs.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DestroyRequest {
    /// The project's name, typed to confirm.
    pub confirm_project: String,
    /// Where the certificate goes (`.json`; the PDF is written beside it).
    pub certificate_out: String,
    /// Where the final signed audit log goes.
    pub audit_out: String,
    /// The organization.
    pub organization: String,
    /// Its privacy or compliance contact.
    pub organization_contact: String,
    /// The sanitizer's title.
    pub title: String,
    /// Where the sanitization takes place.
    pub location: String,
    /// The sanitizer's phone or e-mail.
    pub contact: String,
    /// The laptop (make, model, serial, asset number), if stated.
    pub media_details: Option<String>,
    /// Post-sanitization destination of the media.
    pub media_destination: String,
    /// The optional second person.
    pub verifier: Option<VerifierInput>,
}

/// What a destruction did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DestroyReport {
    /// The signed JSON certificate.
    pub certificate_json: String,
    /// The PDF beside it.
    pub certificate_pdf: String,
    /// The final signed audit log.
    pub audit_export: String,
    /// The certificate's fingerprint (SHA-256 of its canonical JSON).
    pub fingerprint: String,
    /// Files removed.
    #[ts(type = "number")]
    pub files_removed: u64,
    /// Bytes removed.
    #[ts(type = "number")]
    pub bytes_removed: u64,
    /// Whether verification passed.
    pub verified: bool,
    /// Whether an interrupted destruction was resumed.
    pub resumed: bool,
}

/// The result of checking a certificate of destruction.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CertificateCheckDto {
    /// Signatures and structure hold (and, when an audit log is given, it matches).
    pub ok: bool,
    /// One sentence.
    pub message: String,
    /// Certificate id.
    pub certificate_id: Option<String>,
    /// Project.
    pub project: Option<String>,
    /// Sanitizer.
    pub sanitizer: Option<String>,
    /// Verifier, when a second person signed.
    pub verifier: Option<String>,
    /// Verification recorded in it.
    pub verification_passed: Option<bool>,
    /// Final audit head it pins.
    pub audit_head: Option<String>,
    /// Whether the given audit export ends at that head (when one was given).
    pub audit_matches: Option<bool>,
    /// Fingerprint.
    pub fingerprint: Option<String>,
}

/// A stage of the project's workflow, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Stage {
    /// Checksum-verified ingest.
    Receive,
    /// De-identification, its validation and sign-off.
    Deidentify,
    /// Schemas and assignment.
    Assign,
    /// Labelling.
    Annotate,
    /// Review and gold labels.
    Review,
    /// Export with the compliance package.
    Deliver,
    /// Retention and destruction.
    Retain,
}

/// How far a stage has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StageState {
    /// Nothing has happened here yet.
    NotStarted,
    /// Work is under way.
    InProgress,
    /// Someone must decide or check something before work can go on.
    NeedsAttention,
    /// Everything that reached this stage has passed it.
    Done,
}

/// One figure on a stage ("12 to check").
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StageCount {
    /// What is counted, lower case.
    pub label: String,
    /// How many.
    #[ts(type = "number")]
    pub n: u64,
}

/// One stage of the rail: its figures, its state and one next action.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StageSummary {
    /// Which stage.
    pub stage: Stage,
    /// How far it has come.
    pub state: StageState,
    /// Its figures.
    pub counts: Vec<StageCount>,
    /// The one next action, as a sentence (none when nothing is waiting).
    pub next: Option<String>,
}

/// How loud an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AlertLevel {
    /// Needs doing soon.
    Warning,
    /// Data was refused, failed, or a legal deadline has passed.
    Danger,
}

/// Something on the home screen nobody should miss.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OverviewAlert {
    /// How loud.
    pub level: AlertLevel,
    /// The stage it belongs to (the screen that resolves it).
    pub stage: Stage,
    /// One sentence (counts and dates only).
    pub message: String,
}

/// Where the project stands: the stage rail and its alerts.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectOverview {
    /// The seven stages, in order.
    pub stages: Vec<StageSummary>,
    /// Alerts, the loudest first.
    pub alerts: Vec<OverviewAlert>,
}

/// A rectangle of pixels in an image's first frame (applied to every frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DicomRegion {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A device as DICOM names it: what a region template is kept for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DeviceModel {
    /// Manufacturer (0008,0070).
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090).
    pub model: String,
}

/// The regions a device burns text into, kept by a lead from one of its images.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RegionTemplateDto {
    /// Template id.
    pub id: String,
    /// The device.
    pub device: DeviceModel,
    /// Image width the template is for.
    pub columns: u32,
    /// Image height the template is for.
    pub rows: u32,
    /// The regions blacked out on every frame.
    pub regions: Vec<DicomRegion>,
    /// The item the regions were drawn on.
    pub from_item: String,
    /// That item's short number.
    #[ts(type = "number")]
    pub from_item_number: u64,
    /// When it was saved (RFC 3339).
    pub saved_at: String,
    /// Who saved it.
    pub saved_by: String,
}

/// One attribute of a DICOM header, before and after de-identification.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DicomHeaderRow {
    /// Path with item numbers, e.g. `(0008,1140)[0].(0008,1155)`.
    pub path: String,
    /// `(gggg,eeee)`.
    pub tag: String,
    /// Dictionary keyword (empty for private attributes).
    pub keyword: String,
    /// Value representation.
    pub vr: String,
    /// The original value (leads only see this screen), cut at 80 characters.
    pub original: Option<String>,
    /// The de-identified value; `None` when removed.
    pub result: Option<String>,
    /// What was done (`removed`, `uid_replaced`, `date_shifted`, …); `None`: kept.
    pub treatment: Option<String>,
    /// The PS3.15 Table E.1-1 action code that decided, when one did.
    pub code: Option<String>,
}

/// A DICOM, PNG or JPEG item beside its original, for validation (lead only). For PNG and
/// JPEG the header rows are the file's format and its metadata segments.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DicomReview {
    /// Item id.
    pub item_id: String,
    /// Short number.
    #[ts(type = "number")]
    pub number: u64,
    /// Original name.
    pub source_name: String,
    /// `ps315_dicom` (DICOM) or `image_reencode` (PNG and JPEG, released as PNG).
    pub method: String,
    /// State.
    pub status: DeidStatus,
    /// Revision of the output.
    pub revision: u32,
    /// Regions the lead drew that the proposal had missed, over all revisions.
    pub misses: u32,
    /// Image width (0: no image); regions are in these pixels.
    pub columns: u32,
    /// Image height.
    pub rows: u32,
    /// Width of the two frames below (smaller than `columns` for a large photograph).
    pub frame_columns: u32,
    /// Height of the two frames below.
    pub frame_rows: u32,
    /// Samples per pixel of the two frames below: 1 (grey) or 3 (RGB).
    pub frame_channels: u32,
    /// Frames.
    pub frames: u32,
    /// The original first frame, 8-bit, row-major, base64.
    pub original_frame: Option<String>,
    /// The de-identified first frame, likewise.
    pub result_frame: Option<String>,
    /// Regions proposed by OCR and device templates on the original.
    pub proposed: Vec<DicomRegion>,
    /// Regions the lead drew.
    pub hand_regions: Vec<DicomRegion>,
    /// Why the image may carry burned-in text (empty: not at risk).
    pub risk: Vec<String>,
    /// Whether pixels were blacked out.
    pub pixels_cleaned: bool,
    /// Regions blacked out per frame.
    pub pixel_regions: u32,
    /// Words OCR still read after cleaning (`None`: no re-scan ran).
    pub residual_words: Option<u32>,
    /// At risk and not confirmed clean by a re-scan: look at the image before validating.
    pub needs_pixel_review: bool,
    /// Whether tesseract is installed (OCR proposals and re-scans).
    pub ocr_available: bool,
    /// The device the header names (DICOM only), for which the lead may keep the drawn
    /// regions as a template.
    pub device: Option<DeviceModel>,
    /// The template kept for this device and image size, if any.
    pub device_template: Option<RegionTemplateDto>,
    /// Whether the current output was cleaned with a device template (an image made before
    /// its device's template was kept is not, until it is cleaned again).
    pub template_applied: bool,
    /// CID 7050 codes recorded in the file (none for PNG and JPEG).
    pub method_codes: Vec<String>,
    /// The edition of PS3.15 Table E.1-1 applied (empty for PNG and JPEG).
    pub profile_edition: String,
    /// The header, attribute by attribute.
    pub header: Vec<DicomHeaderRow>,
}

/// A text or a DICOM item's review.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum DeidItemReview {
    /// A text item beside its original.
    Text(DeidReview),
    /// A DICOM item's header and frames beside its original.
    Dicom(Box<DicomReview>),
}

/// A contact card written or imported: whose, and the fingerprint to read back.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ContactInfo {
    /// The account it belongs to (in this vault).
    pub user_name: String,
    /// The fingerprint people compare aloud (five groups of four hex digits).
    pub fingerprint: String,
}

/// Which way a work package went, seen from this vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PackageDirection {
    /// Issued here (by a lead) to an annotator.
    Issued,
    /// Opened here (an annotator's workspace).
    Opened,
}

/// Where a work package stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PackageStatus {
    /// Issued and waiting for its result.
    Issued,
    /// Its result was merged.
    Merged,
    /// Revoked: its results are refused.
    Revoked,
    /// Opened in this workspace; work in progress.
    Opened,
    /// Its result package was written.
    Returned,
}

impl PackageStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PackageStatus::Issued => "issued",
            PackageStatus::Merged => "merged",
            PackageStatus::Revoked => "revoked",
            PackageStatus::Opened => "opened",
            PackageStatus::Returned => "returned",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<PackageStatus> {
        [
            PackageStatus::Issued,
            PackageStatus::Merged,
            PackageStatus::Revoked,
            PackageStatus::Opened,
            PackageStatus::Returned,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A work package as listed.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PackageDto {
    /// Package id.
    pub id: String,
    /// Issued here or opened here.
    pub direction: PackageDirection,
    /// The annotator concerned.
    pub user_name: String,
    /// Where it stands.
    pub status: PackageStatus,
    /// When it was made, RFC 3339.
    pub created_at: String,
    /// When it expires, RFC 3339.
    pub expires_at: String,
    /// Assignments it carries.
    #[ts(type = "number")]
    pub assignments: u64,
    /// Results kept beside the vault's labels because the item changed meanwhile.
    #[ts(type = "number")]
    pub conflicts: u64,
    /// SHA-256 of the package file.
    pub file_sha256: String,
}

/// What a merge did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MergeReport {
    /// The assignment package the result answers (as it stands now).
    pub package: PackageDto,
    /// The result package's id.
    pub result_id: String,
    /// True when this result was merged before: nothing changed.
    pub already_merged: bool,
    /// Label changes added to the history.
    #[ts(type = "number")]
    pub changes: u64,
    /// Assignments updated.
    #[ts(type = "number")]
    pub assignments: u64,
    /// Assignments whose result was kept beside the vault's labels and sent to review.
    #[ts(type = "number")]
    pub conflicts: u64,
    /// Workspace audit events appended as a linked segment.
    #[ts(type = "number")]
    pub segment_events: u64,
}
