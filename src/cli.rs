//! Command-line grammar. The contract in shared/DESIGN.md is stable: extend, never rename.

use airlock_app::Role;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Airlock: offline, encrypted clinical annotation. Every command that touches a vault's
/// content logs in (`--vault`, `--user`, passphrase), is permission-checked and audited.
#[derive(Parser, Debug)]
#[command(name = "airlock", version, about, propagate_version = true)]
pub struct Cli {
    /// The vault directory.
    #[arg(long, global = true, env = "AIRLOCK_VAULT")]
    pub vault: Option<PathBuf>,
    /// Who logs in.
    #[arg(long, global = true, env = "AIRLOCK_USER")]
    pub user: Option<String>,
    /// Read the passphrase from this file instead of prompting.
    #[arg(long, global = true, env = "AIRLOCK_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Current code of the account's authenticator (two-factor accounts).
    #[arg(long, global = true)]
    pub totp: Option<String>,
    /// Start emergency (break-glass) access for this command, stating why. Recorded
    /// and flagged in every compliance report.
    #[arg(long, global = true, value_name = "REASON")]
    pub break_glass_reason: Option<String>,
    /// How long emergency access lasts.
    #[arg(long, global = true, default_value_t = 30, value_name = "MINUTES")]
    pub break_glass_minutes: u32,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For scripts.
    Json,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a vault and its first lead (passphrase from --passphrase-file or a prompt).
    Init {
        /// The new vault directory (must not exist or be empty).
        vault: PathBuf,
        /// The project's name.
        #[arg(long)]
        name: String,
        /// The first lead's user name.
        #[arg(long)]
        user: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Create the demo project: one user per role, synthetic data only.
    Demo {
        /// The new vault directory.
        vault: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Vault facts, passphrase, policy, recovery.
    #[command(subcommand)]
    Vault(VaultCmd),
    /// Read, verify and export the audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Receive a folder, a folder with a checksum manifest, or a BagIt bag (lead). Exits
    /// 0 only when every file verified; problem files are quarantined.
    Ingest {
        /// The folder or bag that arrived.
        source: PathBuf,
        /// A `sha256sum`-style manifest (also sha512/sha1/md5, GNU or --tag style). Without
        /// it, a SHA256SUMS-like file at the top of SOURCE is used, or the hashes become
        /// the baseline.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Insist that SOURCE is a BagIt bag (bags are also recognised without it).
        #[arg(long)]
        bagit: bool,
        /// CSV column holding each row's text (default: text, note, note_text, report, body).
        #[arg(long)]
        text_column: Option<String>,
        /// JSONL field holding each line's text (same defaults).
        #[arg(long)]
        text_field: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Deliveries received: list, report, release, abort, receipt (lead).
    #[command(subcommand)]
    Batch(BatchCmd),
    /// Received items (lead).
    #[command(subcommand)]
    Items(ItemsCmd),
    /// Signed receipts of deliveries.
    #[command(subcommand)]
    Receipt(ReceiptCmd),
    /// BagIt bags (RFC 8493).
    #[command(subcommand)]
    Bag(BagCmd),
    /// De-identification.
    #[command(subcommand)]
    Deid(DeidCmd),
    /// Deliver labels with their compliance package: a BagIt bag signed by you and
    /// age-encrypted to the client (lead; a reason is required and recorded).
    Export {
        /// The `.tar.age` file to write (or, with --plaintext, the bag directory).
        #[arg(long)]
        out: PathBuf,
        /// The client's age recipient (`age1…`); repeat for several.
        #[arg(long = "recipient", value_name = "AGE_RECIPIENT")]
        recipients: Vec<String>,
        /// Encrypt to a passphrase read from this file instead (age scrypt).
        #[arg(long)]
        bag_passphrase_file: Option<PathBuf>,
        /// The schema whose labels are delivered (default: the only published one).
        #[arg(long)]
        schema: Option<String>,
        /// Only adjudicated gold labels.
        #[arg(long)]
        gold_only: bool,
        /// Write an unencrypted bag directory (recorded as a plaintext export).
        #[arg(long)]
        plaintext: bool,
        /// Why the data leaves the vault (recorded).
        #[arg(long)]
        reason: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// The project's retention date, reminders and deliverables outside the vault.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Work packages between laptops: signed, encrypted assignments and results.
    #[command(subcommand)]
    Package(PackageCmd),
    /// An annotator's queue and labels (the same use cases as the desktop screens).
    #[command(subcommand)]
    Annotate(AnnotateCmd),
    /// Record a team member's training, attestation or certification (lead).
    Qualification {
        /// The user.
        user: String,
        /// training, attestation or certification.
        #[arg(long)]
        kind: String,
        /// e.g. "HIPAA privacy training 2026".
        #[arg(long)]
        title: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
    /// Destroy the vault at the end of retention (compliance): final signed audit export,
    /// crypto-erase, deletion, verification and a certificate of destruction (JSON + PDF).
    /// Run it again with the same --certificate to finish an interrupted destruction.
    Destroy {
        /// Where the signed JSON certificate goes (the PDF is written beside it).
        #[arg(long)]
        certificate: PathBuf,
        /// Where the final signed audit log goes (default: CERTIFICATE.audit.jsonl).
        #[arg(long)]
        audit_out: Option<PathBuf>,
        /// The project's name, typed to confirm.
        #[arg(long)]
        confirm: String,
        /// The organization.
        #[arg(long)]
        organization: String,
        /// Its privacy or compliance contact.
        #[arg(long, default_value = "")]
        organization_contact: String,
        /// Your title.
        #[arg(long, default_value = "Compliance officer")]
        title: String,
        /// Where this happens.
        #[arg(long, default_value = "")]
        location: String,
        /// Your phone or e-mail.
        #[arg(long, default_value = "")]
        contact: String,
        /// The laptop (make, model, serial, asset number).
        #[arg(long)]
        media: Option<String>,
        /// What happens to the laptop afterwards.
        #[arg(long, default_value = "Internal reuse: the computer stays in service")]
        media_destination: String,
        /// A second person (a lead or another compliance officer) who verifies and signs.
        #[arg(long)]
        verifier: Option<String>,
        /// The second person's passphrase file.
        #[arg(long)]
        verifier_passphrase_file: Option<PathBuf>,
        /// The second person's title.
        #[arg(long, default_value = "Verifier")]
        verifier_title: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Certificates of destruction.
    #[command(subcommand)]
    Certificate(CertificateCmd),
    /// Inter-annotator agreement over a CSV of ratings (columns item,annotator,label); no
    /// vault needed.
    Agreement {
        /// The ratings CSV.
        #[arg(long)]
        input: PathBuf,
        /// Level of measurement of the labels.
        #[arg(long, value_enum, default_value_t = LevelArg::Nominal)]
        level: LevelArg,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// `airlock retention …`
#[derive(Subcommand, Debug)]
pub enum RetentionCmd {
    /// Show the retention date, whether destruction is due, and what left the vault.
    Show {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Set the retention date (lead, compliance).
    Set {
        /// YYYY-MM-DD.
        date: String,
        /// The rule behind it, e.g. "contract end + 30 days".
        #[arg(long)]
        rule: Option<String>,
    },
}

/// `airlock certificate …`
#[derive(Subcommand, Debug)]
pub enum CertificateCmd {
    /// Check a certificate of destruction offline (exit 3 when it fails).
    Verify {
        /// The certificate JSON.
        file: PathBuf,
        /// The final audit export: also check the certificate pins its end.
        #[arg(long)]
        audit: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// `airlock deid …`
#[derive(Subcommand, Debug)]
pub enum DeidCmd {
    /// De-identify a .txt file, or a folder of them mirrored to OUT, to HIPAA Safe Harbor
    /// (no vault needed). Files that are not text are reported and skipped.
    Text {
        /// A .txt file or a folder.
        input: PathBuf,
        /// The output file (for a file) or folder (for a folder).
        output: PathBuf,
        /// Write a JSONL redaction log (offsets, categories, actions, rules; never text).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Project key (64 hex digits) for consistent surrogates and date shifts across
        /// runs; without it a random key is used for this run only.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// safe-harbor (placeholders, year-only dates) or pseudonymize (surrogates, shifted dates).
        #[arg(long, value_enum, default_value_t = PolicyArg::SafeHarbor)]
        policy: PolicyArg,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// De-identify a DICOM file, or a folder tree mirrored to OUT, to PS3.15 Annex E: the
    /// Basic Application Level Confidentiality Profile with the options asked for (no
    /// vault needed). Files that are not DICOM or are damaged are reported and skipped.
    Dicom {
        /// A DICOM file or a folder.
        input: PathBuf,
        /// The output file (for a file) or folder (for a folder).
        output: PathBuf,
        /// Write a JSONL redaction log (attribute paths, actions, codes; never a value).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Project key (64 hex digits) for UIDs, patient pseudonyms and date shifts that
        /// stay consistent across runs; without it a random key is used for this run only.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// A policy file (JSON: options, safe private attributes, pixel handling, limits).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// A profile option to apply; repeat for several.
        #[arg(long = "option", value_enum, value_name = "OPTION")]
        options: Vec<DicomOptionArg>,
        /// Black out burned-in text on images at risk: with device templates, or with
        /// templates and OCR (tesseract), re-scanned after cleaning.
        #[arg(long, value_enum)]
        clean_pixels: Option<CleanPixelsArg>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// De-identify a PNG or JPEG file, or a folder tree mirrored to OUT (no vault needed):
    /// each image is written as a new PNG of its pixels alone (no EXIF, XMP, IPTC, colour
    /// profile, text chunk or comment), turned upright. Other files are reported and skipped.
    Image {
        /// An image file or a folder.
        input: PathBuf,
        /// The output file (for a file) or folder (for a folder); images are named `.png`.
        output: PathBuf,
        /// Write a JSONL redaction log (metadata kinds removed, regions; never a value).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Project key (64 hex digits) for file references that stay consistent across
        /// runs; without it a random key is used for this run only.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// Black out the words OCR (tesseract) reads, and re-scan; without it every image
        /// is listed for review.
        #[arg(long)]
        ocr: bool,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// De-identification inside the vault.
    #[command(flatten)]
    Vault(DeidVaultCmd),
}

/// `airlock deid …` commands that work inside the vault (lead).
#[derive(Subcommand, Debug)]
pub enum DeidVaultCmd {
    /// De-identify every received text item not done yet (of one batch, or all).
    Run {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Items with their de-identification state (shows original names; audited).
    Queue {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// An item's original beside its de-identified text, with every span (audited).
    Show {
        /// Item id.
        item: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Validate an item's current de-identification.
    Validate {
        /// Item id.
        item: String,
    },
    /// A batch's counts, validation sample and whether it can be signed off.
    State {
        /// Batch id.
        batch: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Sign off a batch (releases it for annotation; signed with your key).
    SignOff {
        /// Batch id.
        batch: String,
    },
    /// The region templates kept per device model (manufacturer, model, image size): where
    /// each device burns text in, blacked out on its images at risk.
    Templates {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Remove a device's region template (images already cleaned stay as they are).
    TemplateRemove {
        /// Template id (from `airlock deid templates`).
        id: String,
    },
    /// Show or change the policy and the validation sample.
    Settings {
        /// safe-harbor or pseudonymize.
        #[arg(long, value_enum)]
        policy: Option<PolicyArg>,
        /// Percent of each batch a lead validates before sign-off (100 = every item).
        #[arg(long)]
        sample_percent: Option<u32>,
    },
}

/// Text de-identification policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// Strict Safe Harbor.
    SafeHarbor,
    /// Consistent surrogates and date shifts.
    Pseudonymize,
}

/// PS3.15 Annex E profile options (CID 7050 code in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DicomOptionArg {
    /// Retain Longitudinal Temporal Information, Full Dates (113106).
    RetainFullDates,
    /// Retain Longitudinal Temporal Information, Modified Dates: a keyed per-patient shift (113107).
    RetainModifiedDates,
    /// Retain Patient Characteristics (113108); ages over 89 become 090Y.
    RetainPatientCharacteristics,
    /// Retain Device Identity (113109).
    RetainDeviceIdentity,
    /// Retain Institution Identity (113112).
    RetainInstitutionIdentity,
    /// Retain UIDs (113110).
    RetainUids,
    /// Retain Safe Private (113111), with the policy file's list.
    RetainSafePrivate,
    /// Clean Descriptors (113105): descriptions and comments kept after text de-identification.
    CleanDescriptors,
    /// Clean Structured Content (113104).
    CleanStructuredContent,
}

/// Automatic pixel cleaning for `deid dicom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CleanPixelsArg {
    /// Only regions of a device template in the policy file.
    Templates,
    /// Templates, plus the text regions OCR finds, re-scanned after cleaning.
    Ocr,
}

/// Levels of measurement for `agreement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// Unordered categories.
    Nominal,
    /// Ordered numeric categories.
    Ordinal,
    /// Numbers whose differences mean something.
    Interval,
}

/// `airlock batch …`
#[derive(Subcommand, Debug)]
pub enum BatchCmd {
    /// Every delivery, newest first.
    List {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// The report of one delivery (names files; audited).
    Show {
        /// Batch id.
        batch: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Release the verified files of a batch with problems (problem files stay quarantined).
    Release {
        /// Batch id.
        batch: String,
    },
    /// Discard a batch (it may then be received again).
    Abort {
        /// Batch id.
        batch: String,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
    },
    /// Write a batch's signed receipt (JSON) and a readable summary (FILE.txt).
    Receipt {
        /// Batch id.
        batch: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `airlock items …`
#[derive(Subcommand, Debug)]
pub enum ItemsCmd {
    /// Received items with their original names (audited).
    List {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Only this status: held, received, quarantined, discarded.
        #[arg(long)]
        status: Option<String>,
        /// At most this many items.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// `airlock receipt …`
#[derive(Subcommand, Debug)]
pub enum ReceiptCmd {
    /// Check a receipt's signature offline (no login needed). Exit 3 when it fails.
    Verify {
        /// The receipt JSON.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// `airlock bag …`
#[derive(Subcommand, Debug)]
pub enum BagCmd {
    /// Validate a bag: every payload and tag manifest, Payload-Oxum, files no manifest
    /// lists (no login needed). Exit 3 when invalid.
    Validate {
        /// The bag's folder.
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

impl Command {
    /// The output format asked for (text unless `--format json`).
    pub fn format(&self) -> Format {
        let f = match self {
            Command::Init { format, .. } | Command::Demo { format, .. } => *format,
            Command::User(UserCmd::List { format })
            | Command::Vault(VaultCmd::Info { format })
            | Command::Vault(VaultCmd::Status { format }) => *format,
            Command::Audit(AuditCmd::Verify { format, .. })
            | Command::Audit(AuditCmd::List { format, .. })
            | Command::Ingest { format, .. }
            | Command::Batch(BatchCmd::List { format })
            | Command::Batch(BatchCmd::Show { format, .. })
            | Command::Items(ItemsCmd::List { format, .. })
            | Command::Receipt(ReceiptCmd::Verify { format, .. })
            | Command::Bag(BagCmd::Validate { format, .. })
            | Command::Agreement { format, .. }
            | Command::Deid(DeidCmd::Text { format, .. })
            | Command::Deid(DeidCmd::Dicom { format, .. })
            | Command::Deid(DeidCmd::Image { format, .. })
            | Command::Deid(DeidCmd::Vault(DeidVaultCmd::Run { format, .. }))
            | Command::Deid(DeidCmd::Vault(DeidVaultCmd::Queue { format, .. }))
            | Command::Deid(DeidCmd::Vault(DeidVaultCmd::Show { format, .. }))
            | Command::Deid(DeidCmd::Vault(DeidVaultCmd::State { format, .. }))
            | Command::Deid(DeidCmd::Vault(DeidVaultCmd::Templates { format }))
            | Command::Export { format, .. }
            | Command::Retention(RetentionCmd::Show { format })
            | Command::Destroy { format, .. }
            | Command::Certificate(CertificateCmd::Verify { format, .. })
            | Command::Package(PackageCmd::Workspace { format, .. })
            | Command::Package(PackageCmd::Card { format, .. })
            | Command::Package(PackageCmd::Contact { format, .. })
            | Command::Package(PackageCmd::Trust { format, .. })
            | Command::Package(PackageCmd::Assign { format, .. })
            | Command::Package(PackageCmd::Open { format, .. })
            | Command::Package(PackageCmd::Return { format, .. })
            | Command::Package(PackageCmd::Merge { format, .. })
            | Command::Package(PackageCmd::Revoke { format, .. })
            | Command::Package(PackageCmd::List { format })
            | Command::Annotate(AnnotateCmd::Queue { format })
            | Command::Annotate(AnnotateCmd::Save { format, .. }) => *format,
            _ => None,
        };
        f.unwrap_or(Format::Text)
    }
}

/// `airlock user …`
#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user (lead only).
    Add {
        /// User name.
        name: String,
        /// Role: lead, annotator, reviewer or compliance.
        #[arg(long)]
        role: Role,
        /// Read the new user's initial passphrase from this file instead of prompting.
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// List users (lead, compliance).
    List {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Disable a user and remove their key slot (lead).
    Disable {
        /// User name.
        name: String,
    },
    /// Clear a lockout after failed logins (lead).
    Unlock {
        /// User name.
        name: String,
    },
    /// Turn on two-factor login for your account (prints a secret, asks for a code).
    TotpEnable,
    /// Turn off two-factor login for your account.
    TotpDisable {
        /// A current code.
        #[arg(long)]
        code: String,
    },
}

/// `airlock vault …`
#[derive(Subcommand, Debug)]
pub enum VaultCmd {
    /// Show the vault's non-secret facts.
    Info {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Where the project stands: each workflow stage with its counts, state and next
    /// action, and the alerts (checksum failures, unvalidated de-identification,
    /// retention due).
    Status {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Change your own passphrase.
    ChangePassphrase {
        /// Read the new passphrase from this file instead of prompting.
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Change the lockout and idle policy (lead).
    SetPolicy {
        /// Failed logins in a row that lock an account.
        #[arg(long)]
        max_failed_logins: Option<u32>,
        /// Minutes a lockout lasts.
        #[arg(long)]
        lockout_minutes: Option<u32>,
        /// Minutes of inactivity before a session locks.
        #[arg(long)]
        idle_timeout_minutes: Option<u32>,
    },
    /// Reset the passphrase of --user with the printed recovery code.
    Recover {
        /// File holding the recovery code.
        #[arg(long)]
        recovery_code_file: PathBuf,
        /// Read the new passphrase from this file instead of prompting.
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
}

/// Export formats for `audit export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFmt {
    /// Spreadsheet-friendly.
    Csv,
    /// Signed, verifiable with `airlock audit verify FILE`.
    Jsonl,
}

/// `airlock audit …`
#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Verify the vault's chain, or an exported JSONL file (no login needed).
    Verify {
        /// An exported JSONL file; without it, the vault's own log.
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Export the audit trail.
    Export {
        /// csv or jsonl.
        #[arg(long = "format", value_enum)]
        format: ExportFmt,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// List events, newest first.
    List {
        /// Actor name or id.
        #[arg(long)]
        actor: Option<String>,
        /// Event kind, e.g. login_failed.
        #[arg(long)]
        action: Option<String>,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Only failures and denials.
        #[arg(long)]
        failures_only: bool,
        /// At most this many events.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// `airlock package …`
#[derive(Subcommand, Debug)]
pub enum PackageCmd {
    /// Create your personal workspace vault on this laptop (annotator; `--user NAME`,
    /// passphrase as for `init`). Packages from your lead are opened into it.
    Workspace {
        /// The new workspace directory (must not exist or be empty).
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Write your contact card (your public keys) for your lead to import.
    Card {
        /// The card file to write.
        #[arg(long)]
        out: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Bind an annotator's contact card to their account (lead).
    Contact {
        /// The card file.
        card: PathBuf,
        /// The annotator's account (default: the name on the card).
        #[arg(long = "for", value_name = "NAME")]
        for_user: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Trust your lead's contact card in your workspace: only packages signed by that
    /// lead open here (annotator; otherwise the first package's key is trusted).
    Trust {
        /// The lead's card file.
        card: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Write an annotator's open assignments as a signed package encrypted to them (lead).
    Assign {
        /// The annotator.
        #[arg(long)]
        to: String,
        /// The package file to write.
        #[arg(long)]
        out: PathBuf,
        /// Days the package (and its result) stays valid.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Open an assignment package into your workspace (annotator).
    Open {
        /// The package file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Write the result of an opened package for your lead (annotator).
    Return {
        /// The result file to write.
        #[arg(long)]
        out: PathBuf,
        /// The package to return (default: the only one open).
        #[arg(long)]
        package: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Merge an annotator's result package (lead). Merging it again changes nothing.
    Merge {
        /// The result file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Revoke an outstanding package (a lost laptop): its results will be refused (lead).
    Revoke {
        /// The package id.
        id: String,
        /// Why (recorded as an incident).
        #[arg(long)]
        reason: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Packages issued (lead) or opened (annotator).
    List {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// `airlock annotate …`
#[derive(Subcommand, Debug)]
pub enum AnnotateCmd {
    /// Your assignments, rejected first.
    Queue {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Save labels for one of your assignments (JSON as the desktop sends it), and
    /// optionally submit them for review.
    Save {
        /// The assignment id.
        assignment: String,
        /// The labels, e.g. `{"spans":[{"start":0,"end":7,"label":"Diagnosis"}]}`.
        #[arg(long)]
        value: String,
        /// Why labels already submitted change.
        #[arg(long)]
        reason: Option<String>,
        /// Submit for review after saving.
        #[arg(long)]
        submit: bool,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}
