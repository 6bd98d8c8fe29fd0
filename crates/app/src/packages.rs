//! Work packages: teams on several laptops exchange signed, encrypted files.
//!
//! 1. The annotator creates a personal workspace vault on their laptop
//!    ([`crate::Workspace::create_workspace_vault`]) and writes its contact card
//!    ([`Session::contact_export`]); the lead binds the card to the annotator's account
//!    ([`Session::contact_import`]).
//! 2. The lead writes an assignment package ([`Session::package_assign`]): the annotator's
//!    open assignments, their de-identified text, the schema versions and the annotator's
//!    earlier labels, signed by the lead and encrypted to the card's recipient.
//! 3. The annotator opens it into the workspace ([`Session::package_open`]) and labels
//!    there with the ordinary screens, then writes the result ([`Session::package_return`]):
//!    the new label history and the workspace's whole audit chain, signed by the card's key
//!    and encrypted to the source vault's package-reply key (any lead can merge it).
//! 4. The lead merges it ([`Session::package_merge`]): every check passes before anything
//!    is written; labels and history land in the ordinary tables; the workspace chain is
//!    stored as a segment that `audit verify` re-walks, linked by the merge event. A result
//!    whose assignment changed in the vault meanwhile is kept beside it and sent to review.
//!
//! Refusals (damaged, forged, expired, revoked, another vault's, a disabled user's) are
//! audited as `package_refused` with a reason code and the file's SHA-256, never content.

use crate::annotate::{damaged, load_schema, sha_hex};
use crate::error::{AppError, ErrorCode};
use crate::json::{
    ContactInfo, MergeReport, PackageDirection, PackageDto, PackageStatus, VerifyReport,
};
use crate::rfc3339;
use crate::session::Session;
use airlock_audit::{Checkpoint, Event, Segment};
use airlock_model::{Action, AnnotationValue, EventKind, Outcome, Role, Task, UserId, VaultId};
use airlock_package::{AgeIdentity, ContactCard, Header, OpenError, Package, PackageKind};
use airlock_vault::{purpose, BlobRef, Tier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The project name of a new workspace vault (replaced by the source project's name when
/// the first package is opened).
pub(crate) const WORKSPACE_PROJECT: &str = "Personal workspace";

const ASSIGNMENT_FILE: &str = "assignment.json";
const RESULT_FILE: &str = "result.json";
const AUDIT_FILE: &str = "audit.json";
const MAX_FILE_BYTES: u64 = airlock_package::MAX_PACKAGE_BYTES as u64 * 2;
const MAX_EXPIRY_DAYS: u32 = 365;

/// Settings keys binding a workspace to its source vault, its user there and its lead's key.
const BOUND_VAULT: &str = "workspace.source_vault";
const BOUND_USER: &str = "workspace.source_user";
const BOUND_ISSUER_KEY: &str = "workspace.issuer_key";

/// One schema version, as stored.
#[derive(Serialize, Deserialize)]
struct SchemaRow {
    id: String,
    name: String,
    version: i64,
    task: String,
    body: String,
    guideline: String,
    created_at: String,
    published_at: Option<String>,
    /// The guideline PDF, when the version has one: the payload file holding it, and its
    /// SHA-256 and pages as recorded on the version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guideline_pdf: Option<PdfRow>,
}

/// A schema version's guideline PDF in a package.
#[derive(Serialize, Deserialize)]
struct PdfRow {
    file: String,
    sha256: String,
    pages: i64,
}

/// One de-identified item: a text, or an image carried as its own payload file.
#[derive(Serialize, Deserialize)]
struct ItemRow {
    id: String,
    number: i64,
    /// The de-identified text (empty for an image).
    #[serde(default)]
    text: String,
    /// What the item is: `text` (the default, as in packages made before images),
    /// `dicom` (de-identified DICOM) or `png` (a photograph released as PNG).
    #[serde(default = "text_kind")]
    kind: String,
    /// For an image, the payload file holding its de-identified bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

fn text_kind() -> String {
    "text".into()
}

/// The most image items one package carries (a package holds at most 64 files: the
/// assignment, guideline PDFs, images).
const MAX_PACKAGE_IMAGES: usize = 56;
/// The most image bytes one package carries (packages are at most 512 MiB).
const MAX_PACKAGE_IMAGE_BYTES: u64 = 400 * 1024 * 1024;

/// One change of an assignment's labels (values are the stored JSON, kept opaque so the
/// format follows whatever `AnnotationValue` holds).
#[derive(Serialize, Deserialize, Clone)]
struct ChangeRow {
    id: String,
    revision: i64,
    old_value: Option<String>,
    new_value: String,
    reason_id: Option<String>,
    reason: Option<String>,
    schema_id: String,
    changed_at: String,
}

/// One assignment with its labels and full history.
#[derive(Serialize, Deserialize)]
struct AssignmentRow {
    id: String,
    item_id: String,
    schema_id: String,
    status: String,
    was_submitted: bool,
    submitted_at: Option<String>,
    comment: Option<String>,
    assigned_at: String,
    value: Option<String>,
    revision: i64,
    updated_at: Option<String>,
    history: Vec<ChangeRow>,
}

/// `assignment.json`: everything the annotator may see, and nothing more.
#[derive(Serialize, Deserialize)]
struct AssignPayload {
    project_name: String,
    schemas: Vec<SchemaRow>,
    items: Vec<ItemRow>,
    assignments: Vec<AssignmentRow>,
}

/// `result.json`: the assignments' state and the changes made in the workspace.
#[derive(Serialize, Deserialize)]
struct ResultPayload {
    assignments: Vec<AssignmentRow>,
}

/// `audit.json`: the workspace's whole audit chain and its signed checkpoints.
#[derive(Serialize, Deserialize)]
struct AuditPayload {
    events: Vec<Event>,
    checkpoints: Vec<Checkpoint>,
}

fn parse_time(s: &str) -> Result<OffsetDateTime, AppError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| damaged())
}

fn read_package_file(path: &Path) -> Result<Vec<u8>, AppError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AppError::new(ErrorCode::NotFound, "The package file does not exist.")
        }
        _ => AppError::invalid("The package file cannot be read."),
    })?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid(
            "The package file is not a file of a package's size.",
        ));
    }
    std::fs::read(path).map_err(|_| AppError::invalid("The package file cannot be read."))
}

/// Reads a contact card file (small: anything larger is not a card).
fn read_card_file(path: &Path) -> Result<Vec<u8>, AppError> {
    let meta = std::fs::metadata(path)
        .map_err(|_| AppError::new(ErrorCode::NotFound, "The contact card file does not exist."))?;
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return Err(AppError::invalid(
            "This file is not an Airlock contact card.",
        ));
    }
    std::fs::read(path).map_err(|_| AppError::invalid("The contact card file cannot be read."))
}

fn write_out(out: &Path, bytes: &[u8]) -> Result<(), AppError> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(AppError::invalid("The folder for the file does not exist."));
        }
    }
    if out.exists() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "A file with this name already exists; choose another.",
        ));
    }
    airlock_vault::write_atomic(out, bytes).map_err(|e| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("The file could not be written ({:?}).", e.kind()),
        )
    })
}

/// Why a package was refused: the audited code and the sentence for people.
struct Refusal {
    code: &'static str,
    error: AppError,
    package_id: Option<String>,
}

fn refusal(code: &'static str, error_code: ErrorCode, message: &str) -> Refusal {
    Refusal {
        code,
        error: AppError::new(error_code, message),
        package_id: None,
    }
}

impl Refusal {
    fn for_package(mut self, id: &str) -> Refusal {
        self.package_id = Some(id.to_string());
        self
    }
}

fn open_refusal(e: OpenError) -> Refusal {
    match e {
        OpenError::NotForYou => refusal(
            "not_for_you",
            ErrorCode::InvalidInput,
            "This package is not encrypted to you (it is for someone else or another vault).",
        ),
        OpenError::BadSignature => refusal(
            "bad_signature",
            ErrorCode::InvalidInput,
            "This package's signature is not valid: it was forged or changed.",
        ),
        OpenError::NotAPackage | OpenError::UnknownFormat => refusal(
            "not_a_package",
            ErrorCode::InvalidInput,
            "This file is not an Airlock work package this version can read.",
        ),
        _ => refusal(
            "damaged",
            ErrorCode::InvalidInput,
            "This package is damaged or was changed after it was made.",
        ),
    }
}

fn payload<T: for<'de> Deserialize<'de>>(p: &Package, name: &str) -> Result<T, Refusal> {
    p.files
        .get(name)
        .and_then(|b| serde_json::from_slice(b).ok())
        .ok_or_else(|| {
            refusal(
                "malformed",
                ErrorCode::InvalidInput,
                "This package's content is not what its kind requires.",
            )
        })
}

impl Session {
    /// A contact card, or its refusal (audited as `operation` on the file `file_sha`).
    async fn parse_card(
        &self,
        bytes: &[u8],
        operation: &'static str,
        file_sha: &str,
    ) -> Result<ContactCard, AppError> {
        match ContactCard::parse(bytes) {
            Ok(c) => Ok(c),
            Err(e) => {
                let r = refusal(
                    "bad_contact",
                    ErrorCode::InvalidInput,
                    &crate::error::sentence(&e.to_string()),
                );
                Err(self.refuse(operation, file_sha, r).await)
            }
        }
    }

    fn personal(&self) -> Result<&airlock_vault::PersonalKeys, AppError> {
        self.keys
            .personal
            .as_ref()
            .ok_or_else(|| AppError::new(ErrorCode::Internal, "This session has no personal keys."))
    }

    /// The age identity results are encrypted to: derived from the source key, so every
    /// lead of this vault (and nobody else) can open a result.
    fn reply_identity(&self) -> Result<AgeIdentity, AppError> {
        let source = self.keys.source.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                "Only a lead's keys open result packages.",
            )
        })?;
        Ok(source.derive_age_identity(purpose::PACKAGE_REPLY))
    }

    /// Audits a refusal in its own transaction and returns its error.
    async fn refuse(&self, action: &str, file_sha: &str, r: Refusal) -> AppError {
        let mut d = self.draft(EventKind::PackageRefused, Outcome::Failure);
        d.object_kind = Some("package".into());
        d.object_id = r.package_id.clone();
        d.detail.insert("action".into(), action.into());
        d.detail.insert("reason".into(), r.code.into());
        d.detail.insert("file_sha256".into(), file_sha.into());
        let written = async {
            self.record_alone(d).await?;
            Ok::<(), AppError>(())
        }
        .await;
        match written {
            Ok(()) => r.error,
            Err(e) => e,
        }
    }

    /// Writes the caller's contact card (their public keys, self-signed) to `out`.
    /// Anyone may; audited.
    pub async fn contact_export(&self, out: &Path) -> Result<ContactInfo, AppError> {
        let _grant = self.authorize(Action::ExportContact).await?;
        let personal = self.personal()?;
        let card = ContactCard::new(
            &self.user_name,
            &self.user_id.to_string(),
            &self.vault.id().to_string(),
            &personal.age_recipient(),
            &personal.signing,
            &rfc3339(self.now()),
        );
        let mut tx = self.begin().await?;
        let mut d = self.draft(EventKind::ContactExported, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(self.user_id.to_string());
        d.detail
            .insert("fingerprint".into(), card.fingerprint().into());
        self.record(&mut tx, d).await?;
        write_out(out, &card.to_json())?;
        tx.commit().await?;
        Ok(ContactInfo {
            user_name: self.user_name.clone(),
            fingerprint: card.fingerprint(),
        })
    }

    /// Binds a contact card to the annotator `user` (replacing an earlier card): packages
    /// to them are encrypted to it and their results must be signed by it. Lead only;
    /// a refused card is audited.
    pub async fn contact_import(&self, user: &str, card: &[u8]) -> Result<ContactInfo, AppError> {
        let _grant = self.authorize(Action::ImportContact).await?;
        let file_sha = hex::encode(Sha256::digest(card));
        let card = self.parse_card(card, "import_contact", &file_sha).await?;
        let mut conn = self.pool.acquire().await?;
        let u = crate::users::find_user(&mut conn, user).await?;
        drop(conn);
        if u.role != Role::Annotator || !u.active {
            return Err(AppError::invalid(
                "Contact cards are bound to active annotators only.",
            ));
        }
        if card.vault_id == self.vault.id().to_string() {
            return Err(AppError::invalid(
                "This card was made in this vault: import the card of the annotator's workspace.",
            ));
        }
        let fingerprint = card.fingerprint();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO contacts (user_id, card_user_id, card_vault_id, age_recipient, signing_key, fingerprint, imported_at, imported_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET card_user_id = excluded.card_user_id, \
             card_vault_id = excluded.card_vault_id, age_recipient = excluded.age_recipient, signing_key = excluded.signing_key, \
             fingerprint = excluded.fingerprint, imported_at = excluded.imported_at, imported_by = excluded.imported_by",
        )
        .bind(u.id.to_string())
        .bind(&card.user_id)
        .bind(&card.vault_id)
        .bind(&card.age_recipient)
        .bind(&card.signing_key)
        .bind(&fingerprint)
        .bind(rfc3339(self.now()))
        .bind(self.user_id.to_string())
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::ContactImported, Outcome::Success);
        d.object_kind = Some("user".into());
        d.object_id = Some(u.id.to_string());
        d.detail
            .insert("fingerprint".into(), fingerprint.clone().into());
        d.detail.insert("card_vault".into(), card.vault_id.into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(ContactInfo {
            user_name: user.trim().to_string(),
            fingerprint,
        })
    }

    /// Reads a contact card file and binds it to `user`, or to the account named on the
    /// card when `user` is `None` (see [`Session::contact_import`]).
    pub async fn contact_import_file(
        &self,
        user: Option<&str>,
        card: &Path,
    ) -> Result<ContactInfo, AppError> {
        let _grant = self.authorize(Action::ImportContact).await?;
        let bytes = read_card_file(card)?;
        let name = match user {
            Some(n) => n.to_string(),
            None => ContactCard::parse(&bytes)
                .map(|c| c.user_name)
                .unwrap_or_default(),
        };
        self.contact_import(&name, &bytes).await
    }

    /// Trusts the lead whose contact card this is, in this workspace vault: from now on
    /// only packages signed by that lead's key open here. Without it, the workspace trusts
    /// the key of the first package it opens (and shows its fingerprint). Annotator only;
    /// audited.
    pub async fn package_trust_lead(&self, card: &Path) -> Result<ContactInfo, AppError> {
        let _grant = self.authorize(Action::OpenPackage).await?;
        let bytes = read_card_file(card)?;
        let file_sha = hex::encode(Sha256::digest(&bytes));
        let card = self.parse_card(&bytes, "trust_lead", &file_sha).await?;
        let mut tx = self.begin().await?;
        let pinned: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(BOUND_ISSUER_KEY)
            .fetch_optional(&mut *tx)
            .await?;
        if pinned.as_ref().is_some_and(|k| *k != card.signing_key) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This workspace already trusts another lead's key.",
            ));
        }
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(BOUND_ISSUER_KEY)
        .bind(&card.signing_key)
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::ContactImported, Outcome::Success);
        d.object_kind = Some("lead".into());
        d.object_id = Some(card.user_id.clone());
        d.detail
            .insert("fingerprint".into(), card.fingerprint().into());
        d.detail
            .insert("card_vault".into(), card.vault_id.clone().into());
        self.record(&mut tx, d).await?;
        tx.commit().await?;
        Ok(ContactInfo {
            user_name: card.user_name.clone(),
            fingerprint: card.fingerprint(),
        })
    }

    /// Writes an assignment package for annotator `to`: their open assignments not in
    /// another outstanding package, with the de-identified texts and images (each image its
    /// own payload file, at most [`MAX_PACKAGE_IMAGES`] and [`MAX_PACKAGE_IMAGE_BYTES`]; the
    /// rest wait for the next package), the schema versions (with their guideline PDFs) and
    /// their earlier labels;
    /// signed by the caller, encrypted to `to`'s contact card, valid for `expires_days`.
    /// Lead only; audited.
    pub async fn package_assign(
        &self,
        to: &str,
        out: &Path,
        expires_days: u32,
    ) -> Result<PackageDto, AppError> {
        let _grant = self.authorize(Action::ExportPackage).await?;
        if expires_days == 0 || expires_days > MAX_EXPIRY_DAYS {
            return Err(AppError::invalid(format!(
                "A package is valid for 1 to {MAX_EXPIRY_DAYS} days."
            )));
        }
        let reply = self.reply_identity()?.to_public().to_string();
        let mut conn = self.pool.acquire().await?;
        let u = crate::users::find_user(&mut conn, to).await?;
        if u.role != Role::Annotator || !u.active {
            return Err(AppError::invalid("Packages go to active annotators only."));
        }
        let recipient: Option<String> =
            sqlx::query_scalar("SELECT age_recipient FROM contacts WHERE user_id = ?")
                .bind(u.id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        let recipient = recipient.ok_or_else(|| {
            AppError::new(
                ErrorCode::Conflict,
                "Import this annotator's contact card first: packages are encrypted to it.",
            )
        })?;
        let rows = sqlx::query(
            "SELECT a.id, a.item_id, a.schema_id, a.status, a.was_submitted, a.submitted_at, r.text, a.assigned_at, \
             n.value, COALESCE(n.revision, 0), n.updated_at FROM assignments a \
             LEFT JOIN reasons r ON r.id = a.comment LEFT JOIN annotations n ON n.assignment_id = a.id \
             JOIN items i ON i.id = a.item_id JOIN schemas s ON s.id = a.schema_id \
             WHERE a.annotator_id = ? AND a.status <> 'accepted' AND NOT EXISTS ( \
               SELECT 1 FROM package_assignments pa JOIN packages p ON p.id = pa.package_id \
               WHERE pa.assignment_id = a.id AND p.status = 'issued') \
             ORDER BY i.number",
        )
        .bind(u.id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This annotator has no open assignments outside an outstanding package.",
            ));
        }
        let mut assignments = Vec::with_capacity(rows.len());
        let mut schema_ids: Vec<String> = Vec::new();
        for r in rows {
            let id: String = r.get(0);
            let schema_id: String = r.get(2);
            if !schema_ids.contains(&schema_id) {
                schema_ids.push(schema_id.clone());
            }
            assignments.push(AssignmentRow {
                history: history(&mut conn, &id, 0).await?,
                id,
                item_id: r.get(1),
                schema_id,
                status: r.get(3),
                was_submitted: r.get::<i64, _>(4) == 1,
                submitted_at: r.get(5),
                comment: r.get(6),
                assigned_at: r.get(7),
                value: r.get(8),
                revision: r.get(9),
                updated_at: r.get(10),
            });
        }
        let mut schemas = Vec::new();
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let work_blobs = self.vault.blobs(&self.keys.work, None);
        for id in &schema_ids {
            let r = sqlx::query(
                "SELECT id, name, version, task, body, guideline, created_at, published_at, \
                 guideline_pdf_blob, guideline_pdf_size, guideline_pdf_sha256, guideline_pdf_pages FROM schemas WHERE id = ?",
            )
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            let guideline_pdf = match (
                r.get::<Option<String>, _>(8),
                r.get::<Option<i64>, _>(9),
                r.get::<Option<String>, _>(10),
                r.get::<Option<i64>, _>(11),
            ) {
                (Some(name), Some(size), Some(sha256), Some(pages)) => {
                    let file = format!("guideline-{}.pdf", files.len() + 1);
                    let blob = BlobRef {
                        tier: Tier::Work,
                        name,
                        size: size as u64,
                    };
                    files.push((file.clone(), work_blobs.read_all(&blob)?));
                    Some(PdfRow {
                        file,
                        sha256,
                        pages,
                    })
                }
                _ => None,
            };
            schemas.push(SchemaRow {
                guideline_pdf,
                id: r.get(0),
                name: r.get(1),
                version: r.get(2),
                task: r.get(3),
                body: r.get(4),
                guideline: r.get(5),
                created_at: r.get(6),
                published_at: r.get(7),
            });
        }
        drop(conn);
        let text_schemas: HashSet<&str> = schemas
            .iter()
            .filter(|s| Task::parse(&s.task).is_some_and(Task::is_text))
            .map(|s| s.id.as_str())
            .collect();
        let mut items: Vec<ItemRow> = Vec::with_capacity(assignments.len());
        let mut image_bytes = 0u64;
        let mut images = 0usize;
        let mut deferred: HashSet<String> = HashSet::new();
        for a in &assignments {
            if items.iter().any(|i| i.id == a.item_id) || deferred.contains(&a.item_id) {
                continue;
            }
            let number: i64 = sqlx::query_scalar("SELECT number FROM items WHERE id = ?")
                .bind(&a.item_id)
                .fetch_one(&self.pool)
                .await?;
            if text_schemas.contains(a.schema_id.as_str()) {
                items.push(ItemRow {
                    id: a.item_id.clone(),
                    number,
                    text: self.released_text(&a.item_id).await?,
                    kind: text_kind(),
                    file: None,
                });
                continue;
            }
            // An image goes as its own file; past the package's limits it waits for the
            // next package (its assignments stay in this vault, not outstanding).
            let (blob, dicom) = self.released_image_blob(&a.item_id).await?;
            if images >= MAX_PACKAGE_IMAGES || image_bytes + blob.size > MAX_PACKAGE_IMAGE_BYTES {
                deferred.insert(a.item_id.clone());
                continue;
            }
            images += 1;
            image_bytes += blob.size;
            let file = format!("image-{number:06}.bin");
            files.push((file.clone(), work_blobs.read_all(&blob)?));
            items.push(ItemRow {
                id: a.item_id.clone(),
                number,
                text: String::new(),
                kind: if dicom { "dicom" } else { "png" }.into(),
                file: Some(file),
            });
        }
        assignments.retain(|a| !deferred.contains(&a.item_id));
        let now = self.now();
        let expires = now + Duration::days(i64::from(expires_days));
        let package_id = uuid::Uuid::new_v4().to_string();
        let body = AssignPayload {
            project_name: self.project_name.clone(),
            schemas,
            items,
            assignments,
        };
        let header = Header {
            package_id: package_id.clone(),
            kind: PackageKind::Assign,
            source_vault: self.vault.id().to_string(),
            origin_vault: self.vault.id().to_string(),
            target_user: u.id.to_string(),
            issuer: self.user_id.to_string(),
            reply_recipient: Some(reply),
            in_reply_to: None,
            created: now,
            expires,
        };
        let personal = self.personal()?;
        let mut payload_files = vec![(
            ASSIGNMENT_FILE.to_string(),
            serde_json::to_vec(&body).expect("payloads serialise"),
        )];
        payload_files.extend(files);
        let bytes = airlock_package::seal(header, payload_files, &personal.signing, &recipient)
            .map_err(|e| AppError::invalid(crate::error::sentence(&e.to_string())))?;
        let file_sha = hex::encode(Sha256::digest(&bytes));
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO packages (id, direction, user_id, source_vault, status, created_at, expires_at, issuer_key, file_sha256) \
             VALUES (?, 'issued', ?, ?, 'issued', ?, ?, ?, ?)",
        )
        .bind(&package_id)
        .bind(u.id.to_string())
        .bind(self.vault.id().to_string())
        .bind(rfc3339(now))
        .bind(rfc3339(expires))
        .bind(personal.signing_public_hex())
        .bind(&file_sha)
        .execute(&mut *tx)
        .await?;
        for a in &body.assignments {
            sqlx::query(
                "INSERT INTO package_assignments (package_id, assignment_id, base_revision, base_status) VALUES (?, ?, ?, ?)",
            )
            .bind(&package_id)
            .bind(&a.id)
            .bind(a.revision)
            .bind(&a.status)
            .execute(&mut *tx)
            .await?;
        }
        let mut d = self.draft(EventKind::PackageIssued, Outcome::Success);
        d.object_kind = Some("package".into());
        d.object_id = Some(package_id.clone());
        d.detail.insert("annotator".into(), u.id.to_string().into());
        d.detail
            .insert("assignments".into(), body.assignments.len().into());
        d.detail.insert("items".into(), body.items.len().into());
        d.detail.insert("expires".into(), rfc3339(expires).into());
        d.detail.insert("file_sha256".into(), file_sha.into());
        self.record(&mut tx, d).await?;
        write_out(out, &bytes)?;
        let dto = package_dto(&mut tx, &package_id).await?;
        tx.commit().await?;
        Ok(dto)
    }

    /// Opens an assignment package into this workspace vault: checks it (for this user,
    /// signed, unexpired, from the vault and lead this workspace is bound to), then stores
    /// its schemas, items, assignments and earlier labels so the ordinary screens work on
    /// them. The first package binds the workspace. Opening the same package again changes
    /// nothing. Annotator only; audited.
    pub async fn package_open(&self, file: &Path) -> Result<PackageDto, AppError> {
        let _grant = self.authorize(Action::OpenPackage).await?;
        let bytes = read_package_file(file)?;
        let file_sha = hex::encode(Sha256::digest(&bytes));
        match self.check_assignment(&bytes).await {
            Ok(Assignment::Fresh(p)) => self.store_assignment(*p, &file_sha).await,
            Ok(Assignment::Seen(id)) => {
                let mut conn = self.pool.acquire().await?;
                package_dto(&mut conn, &id).await
            }
            Err(r) => Err(self.refuse("open_package", &file_sha, r).await),
        }
    }

    /// Every check on an assignment package before anything is written.
    async fn check_assignment(&self, bytes: &[u8]) -> Result<Assignment, Refusal> {
        let personal = self.personal().map_err(|e| Refusal {
            code: "no_keys",
            error: e,
            package_id: None,
        })?;
        let p = airlock_package::open(bytes, &personal.age_identity()).map_err(open_refusal)?;
        let h = &p.manifest.header;
        let id = h.package_id.clone();
        if h.kind != PackageKind::Assign || h.reply_recipient.is_none() {
            return Err(refusal(
                "not_an_assignment",
                ErrorCode::InvalidInput,
                "This is not an assignment package: open it in the lead's vault.",
            )
            .for_package(&id));
        }
        if p.manifest.expired(self.now()) {
            return Err(refusal(
                "expired",
                ErrorCode::Conflict,
                "This package has expired: ask your lead for a new one.",
            )
            .for_package(&id));
        }
        if h.source_vault == self.vault.id().to_string() {
            return Err(refusal(
                "own_vault",
                ErrorCode::Conflict,
                "This package was issued by this vault: open it in your workspace vault.",
            )
            .for_package(&id));
        }
        let setting = |key: &'static str| async move {
            sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await
        };
        let db = |_| {
            refusal(
                "internal",
                ErrorCode::VaultError,
                "The workspace could not be read.",
            )
        };
        if let Some(v) = setting(BOUND_VAULT).await.map_err(db)? {
            if v != h.source_vault {
                return Err(refusal(
                    "wrong_vault",
                    ErrorCode::Conflict,
                    "This package belongs to another project than this workspace.",
                )
                .for_package(&id));
            }
        }
        if let Some(u) = setting(BOUND_USER).await.map_err(db)? {
            if u != h.target_user {
                return Err(refusal(
                    "wrong_user",
                    ErrorCode::Conflict,
                    "This package is for another annotator.",
                )
                .for_package(&id));
            }
        }
        if let Some(k) = setting(BOUND_ISSUER_KEY).await.map_err(db)? {
            if k != p.manifest.signer_key {
                return Err(refusal(
                    "unknown_issuer",
                    ErrorCode::Conflict,
                    "This package is signed by another key than the lead this workspace trusts.",
                )
                .for_package(&id));
            }
        }
        let seen: Option<String> = sqlx::query_scalar("SELECT id FROM packages WHERE id = ?")
            .bind(&id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        if seen.is_some() {
            return Ok(Assignment::Seen(id));
        }
        payload::<AssignPayload>(&p, ASSIGNMENT_FILE).map_err(|r| r.for_package(&id))?;
        Ok(Assignment::Fresh(Box::new(p)))
    }

    async fn store_assignment(&self, p: Package, file_sha: &str) -> Result<PackageDto, AppError> {
        let body: AssignPayload = payload(&p, ASSIGNMENT_FILE).map_err(|r| r.error)?;
        let h = p.manifest.header;
        let me = self.user_id.to_string();
        let now = rfc3339(self.now());
        let blobs = self.vault.blobs(&self.keys.work, None);
        let known: std::collections::HashSet<String> = sqlx::query_scalar("SELECT id FROM items")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();
        let malformed =
            || AppError::invalid("This package's content is not what its kind requires.");
        let mut stored = HashMap::new();
        for item in body.items.iter().filter(|i| !known.contains(&i.id)) {
            let bytes: &[u8] = match (item.kind.as_str(), &item.file) {
                ("text", None) => item.text.as_bytes(),
                ("dicom" | "png", Some(f)) => p.files.get(f).ok_or_else(malformed)?,
                _ => return Err(malformed()),
            };
            let blob = blobs.put(Tier::Work, bytes)?;
            stored.insert(item.id.clone(), (blob, item.kind.as_str()));
        }
        let mut tx = self.begin().await?;
        for (key, value) in [
            (BOUND_VAULT, h.source_vault.clone()),
            (BOUND_USER, h.target_user.clone()),
            (BOUND_ISSUER_KEY, p.manifest.signer_key.clone()),
            ("project_name", body.project_name.clone()),
        ] {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        let batch = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO batches (id, source_tag, mode, status, received_by, started_at, finished_at) \
             VALUES (?, ?, 'folder', 'released', ?, ?, ?)",
        )
        .bind(&batch)
        .bind(format!("package:{}", h.package_id))
        .bind(&me)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        for item in &body.items {
            let Some((blob, kind)) = stored.get(&item.id) else {
                continue;
            };
            // The item as this workspace's screens read it: released de-identified output.
            let method = match *kind {
                "dicom" => "ps315_dicom",
                "png" => crate::deid_image_items::METHOD,
                _ => "safe_harbor_text",
            };
            let file = uuid::Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO source_files (id, batch_id, path_tag, size, kind, verdict, blob_name, sealed, stored_at) \
                 VALUES (?, ?, ?, ?, ?, 'verified', ?, x'', ?)",
            )
            .bind(&file)
            .bind(&batch)
            .bind(&item.id)
            .bind(blob.size as i64)
            .bind(kind)
            .bind(&blob.name)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO items (id, number, batch_id, source_file_id, part, kind, size, status, created_at) \
                 VALUES (?, ?, ?, ?, 0, ?, ?, 'received', ?)",
            )
            .bind(&item.id)
            .bind(item.number)
            .bind(&batch)
            .bind(&file)
            .bind(kind)
            .bind(blob.size as i64)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO deid_results (item_id, method, policy, status, output_blob, output_size, created_at, created_by, validated_at) \
                 VALUES (?, ?, 'safe_harbor', 'validated', ?, ?, ?, ?, ?)",
            )
            .bind(&item.id)
            .bind(method)
            .bind(&blob.name)
            .bind(blob.size as i64)
            .bind(&now)
            .bind(&me)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        for s in &body.schemas {
            let pdf = match &s.guideline_pdf {
                Some(g) => {
                    let bytes = p.files.get(&g.file).ok_or_else(malformed)?;
                    if crate::annotate::sha_hex_bytes(bytes) != g.sha256 {
                        return Err(malformed());
                    }
                    Some((blobs.put(Tier::Work, &bytes[..])?, g))
                }
                None => None,
            };
            sqlx::query(
                "INSERT INTO schemas (id, name, version, task, body, guideline, status, created_at, created_by, published_at, \
                 guideline_pdf_blob, guideline_pdf_size, guideline_pdf_sha256, guideline_pdf_pages) \
                 VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&s.id)
            .bind(&s.name)
            .bind(s.version)
            .bind(&s.task)
            .bind(&s.body)
            .bind(&s.guideline)
            .bind(&s.created_at)
            .bind(&me)
            .bind(&s.published_at)
            .bind(pdf.as_ref().map(|(b, _)| b.name.clone()))
            .bind(pdf.as_ref().map(|(b, _)| b.size as i64))
            .bind(pdf.as_ref().map(|(_, g)| g.sha256.clone()))
            .bind(pdf.as_ref().map(|(_, g)| g.pages))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO packages (id, direction, user_id, source_vault, status, created_at, expires_at, issuer_key, reply_recipient, file_sha256) \
             VALUES (?, 'opened', ?, ?, 'opened', ?, ?, ?, ?, ?)",
        )
        .bind(&h.package_id)
        .bind(&me)
        .bind(&h.source_vault)
        .bind(rfc3339(h.created))
        .bind(rfc3339(h.expires))
        .bind(&p.manifest.signer_key)
        .bind(&h.reply_recipient)
        .bind(file_sha)
        .execute(&mut *tx)
        .await?;
        for a in &body.assignments {
            let comment = match &a.comment {
                Some(text) => Some(insert_reason(&mut tx, None, text, &now).await?),
                None => None,
            };
            sqlx::query(
                "INSERT INTO assignments (id, item_id, annotator_id, schema_id, status, assigned_by, assigned_at, submitted_at, comment, was_submitted) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                 submitted_at = excluded.submitted_at, comment = excluded.comment, was_submitted = excluded.was_submitted",
            )
            .bind(&a.id)
            .bind(&a.item_id)
            .bind(&me)
            .bind(&a.schema_id)
            .bind(&a.status)
            .bind(&me)
            .bind(&a.assigned_at)
            .bind(&a.submitted_at)
            .bind(comment)
            .bind(a.was_submitted as i64)
            .execute(&mut *tx)
            .await?;
            insert_history(&mut tx, &a.id, &a.history, &me, &now).await?;
            if let (Some(v), Some(at)) = (&a.value, &a.updated_at) {
                upsert_annotation(&mut tx, &a.id, v, a.revision, at).await?;
            }
            sqlx::query(
                "INSERT INTO package_assignments (package_id, assignment_id, base_revision, base_status) VALUES (?, ?, ?, ?)",
            )
            .bind(&h.package_id)
            .bind(&a.id)
            .bind(a.revision)
            .bind(&a.status)
            .execute(&mut *tx)
            .await?;
        }
        let mut d = self.draft(EventKind::PackageOpened, Outcome::Success);
        d.object_kind = Some("package".into());
        d.object_id = Some(h.package_id.clone());
        d.detail
            .insert("source_vault".into(), h.source_vault.into());
        d.detail
            .insert("assignments".into(), body.assignments.len().into());
        d.detail.insert("items".into(), body.items.len().into());
        d.detail
            .insert("issuer_key".into(), p.manifest.signer_key.into());
        d.detail.insert("file_sha256".into(), file_sha.into());
        self.record(&mut tx, d).await?;
        let dto = package_dto(&mut tx, &h.package_id).await?;
        tx.commit().await?;
        Ok(dto)
    }

    /// Writes the result of an opened package (`id`, or the only one open): the labels and
    /// their history since the package, and the workspace's whole audit chain, signed by
    /// the caller and encrypted to the source vault's leads. Annotator only; audited (the
    /// event is inside the chain it ships, checkpointed and signed).
    pub async fn package_return(
        &self,
        id: Option<&str>,
        out: &Path,
    ) -> Result<PackageDto, AppError> {
        let _grant = self.authorize(Action::ReturnPackage).await?;
        let open: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, source_vault, expires_at, reply_recipient FROM packages \
             WHERE direction = 'opened' AND status = 'opened' AND (? IS NULL OR id = ?) ORDER BY created_at",
        )
        .bind(id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let (package_id, source_vault, expires_at, reply) = match open.len() {
            0 => {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    "No opened package is waiting for its result.",
                ))
            }
            1 => open.into_iter().next().expect("one row"),
            _ => {
                return Err(AppError::invalid(
                    "Several packages are open: name the one to return.",
                ))
            }
        };
        let expires = parse_time(&expires_at)?;
        if self.now() >= expires {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "This package has expired: its result would be refused. Ask your lead for a new one.",
            ));
        }
        let target: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(BOUND_USER)
            .fetch_one(&self.pool)
            .await?;
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT a.id, a.item_id, a.schema_id, a.status, a.was_submitted, a.submitted_at, a.assigned_at, \
             n.value, COALESCE(n.revision, 0), n.updated_at, pa.base_revision FROM package_assignments pa \
             JOIN assignments a ON a.id = pa.assignment_id LEFT JOIN annotations n ON n.assignment_id = a.id \
             WHERE pa.package_id = ? ORDER BY a.id",
        )
        .bind(&package_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut assignments = Vec::with_capacity(rows.len());
        let mut changes = 0usize;
        for r in rows {
            let aid: String = r.get(0);
            let history = history(&mut tx, &aid, r.get(10)).await?;
            changes += history.len();
            assignments.push(AssignmentRow {
                history,
                id: aid,
                item_id: r.get(1),
                schema_id: r.get(2),
                status: r.get(3),
                was_submitted: r.get::<i64, _>(4) == 1,
                submitted_at: r.get(5),
                comment: None,
                assigned_at: r.get(6),
                value: r.get(7),
                revision: r.get(8),
                updated_at: r.get(9),
            });
        }
        let result_id = uuid::Uuid::new_v4().to_string();
        let mut d = self.draft(EventKind::PackageReturned, Outcome::Success);
        d.object_kind = Some("package".into());
        d.object_id = Some(package_id.clone());
        d.detail.insert("result".into(), result_id.clone().into());
        d.detail
            .insert("assignments".into(), assignments.len().into());
        d.detail.insert("changes".into(), changes.into());
        self.record(&mut tx, d).await?;
        self.checkpoint(&mut tx).await?;
        let audit = AuditPayload {
            events: airlock_audit::load_events(&mut tx).await?,
            checkpoints: airlock_audit::load_checkpoints(&mut tx).await?,
        };
        let header = Header {
            package_id: result_id.clone(),
            kind: PackageKind::Result,
            source_vault,
            origin_vault: self.vault.id().to_string(),
            target_user: target,
            issuer: self.user_id.to_string(),
            reply_recipient: None,
            in_reply_to: Some(package_id.clone()),
            created: self.now(),
            expires,
        };
        let bytes = airlock_package::seal(
            header,
            vec![
                (
                    RESULT_FILE.into(),
                    serde_json::to_vec(&ResultPayload { assignments }).expect("payloads serialise"),
                ),
                (
                    AUDIT_FILE.into(),
                    serde_json::to_vec(&audit).expect("payloads serialise"),
                ),
            ],
            &self.personal()?.signing,
            &reply,
        )
        .map_err(|e| AppError::invalid(crate::error::sentence(&e.to_string())))?;
        sqlx::query(
            "UPDATE packages SET status = 'returned', result_id = ?, closed_at = ? WHERE id = ?",
        )
        .bind(&result_id)
        .bind(rfc3339(self.now()))
        .bind(&package_id)
        .execute(&mut *tx)
        .await?;
        write_out(out, &bytes)?;
        let dto = package_dto(&mut tx, &package_id).await?;
        tx.commit().await?;
        Ok(dto)
    }

    /// Merges an annotator's result package. Everything is verified first: the package
    /// opens with this vault's reply key, its signature is the annotator's contact key,
    /// it answers a package this vault issued to them, which is neither revoked nor
    /// expired, the annotator is still active, and the workspace's audit chain verifies
    /// and extends what was merged from it before. Then labels and history land as if made
    /// here, the chain is stored as a linked segment, and one merge event records the
    /// link. A result whose assignment changed here meanwhile is kept beside the vault's
    /// labels and goes to review. Merging the same result again changes nothing. Lead
    /// only; refusals are audited.
    pub async fn package_merge(&self, file: &Path) -> Result<MergeReport, AppError> {
        let _grant = self.authorize(Action::MergePackage).await?;
        let bytes = read_package_file(file)?;
        let file_sha = hex::encode(Sha256::digest(&bytes));
        let checked = match self.check_result(&bytes).await {
            Ok(c) => c,
            Err(r) => return Err(self.refuse("merge_package", &file_sha, r).await),
        };
        match checked {
            Checked::Replay { package, result } => {
                let mut conn = self.pool.acquire().await?;
                Ok(MergeReport {
                    package: package_dto(&mut conn, &package).await?,
                    result_id: result,
                    already_merged: true,
                    changes: 0,
                    assignments: 0,
                    conflicts: 0,
                    segment_events: 0,
                })
            }
            Checked::Fresh(c) => self.store_result(*c, &file_sha).await,
        }
    }

    async fn check_result(&self, bytes: &[u8]) -> Result<Checked, Refusal> {
        let identity = self.reply_identity().map_err(|e| Refusal {
            code: "no_keys",
            error: e,
            package_id: None,
        })?;
        let p = airlock_package::open(bytes, &identity).map_err(open_refusal)?;
        let h = p.manifest.header.clone();
        let rid = h.package_id.clone();
        let db = |_| {
            refusal(
                "internal",
                ErrorCode::VaultError,
                "The vault could not be read.",
            )
        };
        if h.source_vault != self.vault.id().to_string() {
            return Err(refusal(
                "wrong_vault",
                ErrorCode::Conflict,
                "This package belongs to another vault.",
            )
            .for_package(&rid));
        }
        let Some(answer) = h
            .in_reply_to
            .clone()
            .filter(|_| h.kind == PackageKind::Result)
        else {
            return Err(refusal(
                "not_a_result",
                ErrorCode::InvalidInput,
                "This is not a result package: an annotator opens assignment packages.",
            )
            .for_package(&rid));
        };
        let issued = sqlx::query(
            "SELECT p.user_id, p.status, p.expires_at, p.result_id, u.status, c.signing_key, c.card_vault_id, c.card_user_id \
             FROM packages p JOIN users u ON u.id = p.user_id LEFT JOIN contacts c ON c.user_id = p.user_id \
             WHERE p.id = ? AND p.direction = 'issued'",
        )
        .bind(&answer)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(issued) = issued else {
            return Err(refusal(
                "unknown_package",
                ErrorCode::Conflict,
                "This result answers no package this vault issued.",
            )
            .for_package(&rid));
        };
        let user: String = issued.get(0);
        let status: String = issued.get(1);
        let result_id: Option<String> = issued.get(3);
        if user != h.target_user {
            return Err(refusal(
                "wrong_user",
                ErrorCode::Conflict,
                "This result is not from the annotator the package was issued to.",
            )
            .for_package(&rid));
        }
        if status == "revoked" {
            return Err(refusal(
                "revoked",
                ErrorCode::Conflict,
                "The package this result answers was revoked: its results are refused.",
            )
            .for_package(&rid));
        }
        if status == "merged" {
            if result_id.as_deref() == Some(rid.as_str()) {
                return Ok(Checked::Replay {
                    package: answer,
                    result: rid,
                });
            }
            return Err(refusal(
                "already_merged",
                ErrorCode::Conflict,
                "Another result for this package was merged already.",
            )
            .for_package(&rid));
        }
        if issued.get::<String, _>(4) != "active" {
            return Err(refusal(
                "disabled_user",
                ErrorCode::Conflict,
                "This result is from a disabled user and is refused.",
            )
            .for_package(&rid));
        }
        let expires = parse_time(&issued.get::<String, _>(2)).map_err(|e| Refusal {
            code: "internal",
            error: e,
            package_id: Some(rid.clone()),
        })?;
        if self.now() >= expires {
            return Err(refusal(
                "expired",
                ErrorCode::Conflict,
                "The package this result answers has expired: issue a new one.",
            )
            .for_package(&rid));
        }
        let key: Option<String> = issued.get(5);
        let card_vault: Option<String> = issued.get(6);
        let card_user: Option<String> = issued.get(7);
        if key.as_deref() != Some(p.manifest.signer_key.as_str())
            || card_vault.as_deref() != Some(h.origin_vault.as_str())
            || card_user.as_deref() != Some(h.issuer.as_str())
        {
            return Err(refusal(
                "wrong_signer",
                ErrorCode::InvalidInput,
                "This result is not signed by the annotator's contact card.",
            )
            .for_package(&rid));
        }
        let result: ResultPayload = payload(&p, RESULT_FILE).map_err(|r| r.for_package(&rid))?;
        let audit: AuditPayload = payload(&p, AUDIT_FILE).map_err(|r| r.for_package(&rid))?;
        let base: HashMap<String, (i64, String)> = sqlx::query_as::<_, (String, i64, String)>(
            "SELECT assignment_id, base_revision, base_status FROM package_assignments WHERE package_id = ?",
        )
        .bind(&answer)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .into_iter()
        .map(|(a, r, s)| (a, (r, s)))
        .collect();
        let bad_content = || {
            refusal(
                "malformed",
                ErrorCode::InvalidInput,
                "This result holds labels the package did not carry.",
            )
            .for_package(&rid)
        };
        for a in &result.assignments {
            let (b, _) = base.get(&a.id).ok_or_else(bad_content)?;
            let contiguous = (*b + 1..)
                .zip(&a.history)
                .all(|(rev, c)| c.revision == rev && c.schema_id == a.schema_id);
            let last = a.history.last().map_or(*b, |c| c.revision);
            if !contiguous || last != a.revision || !result_status(&a.status) {
                return Err(bad_content());
            }
            // The labels must hold here as they did in the workspace: parsed, and checked
            // against the schema and the released item.
            if let Some(v) = &a.value {
                let value: AnnotationValue = serde_json::from_str(v).map_err(|_| bad_content())?;
                let mut conn = self.pool.acquire().await.map_err(|_| bad_content())?;
                let here: Option<(String, String)> =
                    sqlx::query_as("SELECT item_id, schema_id FROM assignments WHERE id = ?")
                        .bind(&a.id)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                if here.as_ref() != Some(&(a.item_id.clone(), a.schema_id.clone())) {
                    return Err(bad_content());
                }
                let schema = load_schema(&mut conn, &a.schema_id)
                    .await
                    .map_err(|_| bad_content())?;
                drop(conn);
                self.check_value(&a.item_id, &schema, &value)
                    .await
                    .map_err(|_| bad_content())?;
            }
        }
        let workspace: VaultId = h.origin_vault.parse().map_err(|_| bad_content())?;
        let signer: UserId = h.issuer.parse().map_err(|_| bad_content())?;
        let keys = HashMap::from([(p.manifest.signer_key.clone(), signer)]);
        let report =
            airlock_audit::verify_chain(workspace, &audit.events, &audit.checkpoints, &keys);
        let head_signed = audit
            .checkpoints
            .last()
            .zip(audit.events.last())
            .is_some_and(|(cp, e)| cp.seq == e.seq);
        if !report.ok || !head_signed {
            return Err(refusal(
                "audit_damaged",
                ErrorCode::InvalidInput,
                "The workspace's audit trail in this result does not verify.",
            )
            .for_package(&rid));
        }
        let stored: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM audit_segments WHERE workspace_vault = ? ORDER BY seq",
        )
        .bind(workspace.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let extends = stored.len() <= audit.events.len()
            && stored
                .iter()
                .zip(&audit.events)
                .all(|((seq, hash), e)| *seq == e.seq && *hash == e.hash);
        if !extends {
            return Err(refusal(
                "audit_forked",
                ErrorCode::Conflict,
                "The workspace's audit trail does not continue the one merged from it before.",
            )
            .for_package(&rid));
        }
        Ok(Checked::Fresh(Box::new(CheckedResult {
            result_id: rid,
            package_id: answer,
            user,
            workspace,
            signer_key: p.manifest.signer_key,
            base,
            result,
            new_events: audit.events[stored.len()..].to_vec(),
        })))
    }

    async fn store_result(
        &self,
        c: CheckedResult,
        file_sha: &str,
    ) -> Result<MergeReport, AppError> {
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        let (mut changes, mut conflicts, mut updated) = (0u64, 0u64, 0u64);
        for a in &c.result.assignments {
            let (base_revision, base_status) = &c.base[&a.id];
            if a.history.is_empty() && a.status == *base_status {
                continue;
            }
            let current: Option<(i64, String)> = sqlx::query_as(
                "SELECT COALESCE(n.revision, 0), a.status FROM assignments a LEFT JOIN annotations n ON n.assignment_id = a.id WHERE a.id = ?",
            )
            .bind(&a.id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((revision, status)) = current else {
                return Err(damaged());
            };
            if revision != *base_revision || status != *base_status {
                sqlx::query(
                    "INSERT INTO package_conflicts (package_id, assignment_id, value, history, created_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&c.package_id)
                .bind(&a.id)
                .bind(a.value.clone().unwrap_or_default())
                .bind(serde_json::to_string(&a.history).expect("history serialises"))
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE assignments SET status = 'submitted', was_submitted = 1, submitted_at = COALESCE(submitted_at, ?) WHERE id = ? AND status <> 'accepted'")
                    .bind(&now)
                    .bind(&a.id)
                    .execute(&mut *tx)
                    .await?;
                conflicts += 1;
                continue;
            }
            insert_history(&mut tx, &a.id, &a.history, &c.user, &now).await?;
            changes += a.history.len() as u64;
            if let (Some(v), Some(at)) = (&a.value, &a.updated_at) {
                upsert_annotation(&mut tx, &a.id, v, a.revision, at).await?;
            }
            sqlx::query(
                "UPDATE assignments SET status = ?, was_submitted = max(was_submitted, ?), submitted_at = COALESCE(?, submitted_at) WHERE id = ?",
            )
            .bind(&a.status)
            .bind(a.was_submitted as i64)
            .bind(&a.submitted_at)
            .bind(&a.id)
            .execute(&mut *tx)
            .await?;
            updated += 1;
        }
        for e in &c.new_events {
            sqlx::query(
                "INSERT INTO audit_segments (workspace_vault, seq, hash, event) VALUES (?, ?, ?, ?)",
            )
            .bind(c.workspace.to_string())
            .bind(e.seq)
            .bind(&e.hash)
            .bind(serde_json::to_string(e).expect("events serialise"))
            .execute(&mut *tx)
            .await?;
        }
        let (last_seq, last_hash): (i64, String) = sqlx::query_as(
            "SELECT seq, hash FROM audit_segments WHERE workspace_vault = ? ORDER BY seq DESC LIMIT 1",
        )
        .bind(c.workspace.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE packages SET status = 'merged', result_id = ?, closed_at = ? WHERE id = ?",
        )
        .bind(&c.result_id)
        .bind(&now)
        .bind(&c.package_id)
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::PackageMerged, Outcome::Success);
        d.object_kind = Some("package".into());
        d.object_id = Some(c.package_id.clone());
        d.detail.insert("result".into(), c.result_id.clone().into());
        d.detail.insert("annotator".into(), c.user.clone().into());
        d.detail.insert("changes".into(), changes.into());
        d.detail.insert("assignments".into(), updated.into());
        d.detail.insert("conflicts".into(), conflicts.into());
        d.detail
            .insert("workspace_vault".into(), c.workspace.to_string().into());
        d.detail.insert("workspace_key".into(), c.signer_key.into());
        d.detail.insert(
            "segment_first_seq".into(),
            c.new_events.first().map_or(last_seq + 1, |e| e.seq).into(),
        );
        d.detail.insert("segment_last_seq".into(), last_seq.into());
        d.detail.insert("segment_head".into(), last_hash.into());
        d.detail.insert("file_sha256".into(), file_sha.into());
        self.record(&mut tx, d).await?;
        let dto = package_dto(&mut tx, &c.package_id).await?;
        tx.commit().await?;
        Ok(MergeReport {
            package: dto,
            result_id: c.result_id,
            already_merged: false,
            changes,
            assignments: updated,
            conflicts,
            segment_events: c.new_events.len() as u64,
        })
    }

    /// Revokes an outstanding package (a lost laptop): its results are refused from now
    /// on and its assignments can be packaged again. The reason is recorded as an
    /// incident. Lead only; audited.
    pub async fn package_revoke(&self, id: &str, reason: &str) -> Result<PackageDto, AppError> {
        let _grant = self.authorize(Action::RevokePackage).await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "Say why the package is revoked (1 to 2,000 characters).",
            ));
        }
        let now = rfc3339(self.now());
        let mut tx = self.begin().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM packages WHERE id = ? AND direction = 'issued'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match status.as_deref() {
            None => {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    "This vault issued no package with this id.",
                ))
            }
            Some("issued") => {}
            Some(_) => {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "Only an outstanding package can be revoked.",
                ))
            }
        }
        let rid = insert_reason(&mut tx, None, reason, &now).await?;
        sqlx::query(
            "UPDATE packages SET status = 'revoked', closed_at = ?, revoke_reason = ? WHERE id = ?",
        )
        .bind(&now)
        .bind(&rid)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut d = self.draft(EventKind::PackageRevoked, Outcome::Success);
        d.object_kind = Some("package".into());
        d.object_id = Some(id.to_string());
        d.detail.insert("incident".into(), true.into());
        d.detail.insert("reason_id".into(), rid.into());
        d.detail
            .insert("reason_sha256".into(), sha_hex(reason).into());
        self.record(&mut tx, d).await?;
        let dto = package_dto(&mut tx, id).await?;
        tx.commit().await?;
        Ok(dto)
    }

    /// The packages this vault issued (a lead's) or opened (a workspace's), newest first.
    pub async fn package_list(&self) -> Result<Vec<PackageDto>, AppError> {
        let _grant = self.authorize(Action::ViewPackages).await?;
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM packages WHERE (? = 'lead' OR user_id = ?) ORDER BY created_at DESC, id",
        )
        .bind(self.role.as_str())
        .bind(self.user_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(package_dto(&mut conn, &id).await?);
        }
        Ok(out)
    }

    /// Re-walks every merged workspace segment from its genesis and checks it against
    /// the merge events of `main` (already verified), filling the report's segment counts
    /// or its problem.
    pub(crate) async fn verify_segments(
        &self,
        main: &[Event],
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let mut conn = self.pool.acquire().await?;
        let segments = load_segments(&mut conn, main).await?;
        report.segments = segments.len() as u64;
        report.segment_events = segments.iter().map(|s| s.events.len() as u64).sum();
        if let Some(p) = airlock_audit::verify_segments(main, &segments) {
            report.ok = false;
            report.problem = Some(crate::audit_cases::problem_dto(p));
        }
        Ok(())
    }
}

/// A stored workspace segment row that does not parse (an event or a vault id).
pub(crate) fn segment_damaged() -> AppError {
    AppError::new(
        ErrorCode::VaultError,
        "A merged workspace audit segment stored in this vault is damaged.",
    )
}

/// The merged workspace segments, each with the signing key its first merge event names,
/// ordered by that merge event (a segment no merge event links comes last).
pub(crate) async fn load_segments(
    conn: &mut SqliteConnection,
    main: &[Event],
) -> Result<Vec<Segment>, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT workspace_vault, event FROM audit_segments ORDER BY workspace_vault, seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut chains: Vec<(String, Vec<Event>)> = Vec::new();
    for (ws, event) in rows {
        let e: Event = serde_json::from_str(&event).map_err(|_| segment_damaged())?;
        match chains.last_mut() {
            Some((last, events)) if *last == ws => events.push(e),
            _ => chains.push((ws, vec![e])),
        }
    }
    let links = airlock_audit::merge_links(main);
    let mut segments = chains
        .into_iter()
        .map(|(ws, events)| {
            let link = links.iter().find(|l| l.workspace == ws);
            let segment = Segment {
                workspace: ws.parse().map_err(|_| segment_damaged())?,
                workspace_key: link.map(|l| l.workspace_key.clone()).unwrap_or_default(),
                events,
            };
            Ok((link.map_or(i64::MAX, |l| l.seq), segment))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    segments.sort_by_key(|(at, _)| *at);
    Ok(segments.into_iter().map(|(_, s)| s).collect())
}

/// Whether `s` is an assignment state a result may carry (never `accepted`: only a
/// reviewer in the lead's vault accepts).
fn result_status(s: &str) -> bool {
    matches!(s, "assigned" | "in_progress" | "submitted" | "rejected")
}

/// A result that passed every check.
struct CheckedResult {
    result_id: String,
    package_id: String,
    user: String,
    workspace: VaultId,
    signer_key: String,
    /// Per assignment: the label revision and state the package carried.
    base: HashMap<String, (i64, String)>,
    result: ResultPayload,
    new_events: Vec<Event>,
}

/// An assignment package that passed every check.
enum Assignment {
    /// Not opened here before: ready to store.
    Fresh(Box<Package>),
    /// Opened here before (by id): nothing to do.
    Seen(String),
}

/// A result package that passed every check.
enum Checked {
    /// The same result was merged before.
    Replay { package: String, result: String },
    /// Ready to store.
    Fresh(Box<CheckedResult>),
}

/// An assignment's label changes after revision `after`, with their reasons.
async fn history(
    conn: &mut SqliteConnection,
    assignment: &str,
    after: i64,
) -> Result<Vec<ChangeRow>, AppError> {
    let rows = sqlx::query(
        "SELECT c.id, c.revision, c.old_value, c.new_value, c.reason_id, r.text, c.schema_id, c.changed_at \
         FROM annotation_changes c LEFT JOIN reasons r ON r.id = c.reason_id \
         WHERE c.assignment_id = ? AND c.revision > ? ORDER BY c.revision",
    )
    .bind(assignment)
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChangeRow {
            id: r.get(0),
            revision: r.get(1),
            old_value: r.get(2),
            new_value: r.get(3),
            reason_id: r.get(4),
            reason: r.get(5),
            schema_id: r.get(6),
            changed_at: r.get(7),
        })
        .collect())
}

/// Stores a reason text (under `id` when it has one already) and returns its id.
async fn insert_reason(
    conn: &mut SqliteConnection,
    id: Option<&str>,
    text: &str,
    now: &str,
) -> Result<String, AppError> {
    let id = id.map_or_else(
        || airlock_model::ReasonId::new().to_string(),
        str::to_string,
    );
    sqlx::query(
        "INSERT INTO reasons (id, text, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(text)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Appends history rows not stored yet (by id), as made by `by`.
async fn insert_history(
    conn: &mut SqliteConnection,
    assignment: &str,
    history: &[ChangeRow],
    by: &str,
    now: &str,
) -> Result<(), AppError> {
    for c in history {
        let reason = match (&c.reason_id, &c.reason) {
            (Some(id), Some(text)) => Some(insert_reason(conn, Some(id), text, now).await?),
            _ => None,
        };
        sqlx::query(
            "INSERT INTO annotation_changes (id, assignment_id, revision, old_value, new_value, reason_id, schema_id, changed_by, changed_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&c.id)
        .bind(assignment)
        .bind(c.revision)
        .bind(&c.old_value)
        .bind(&c.new_value)
        .bind(reason)
        .bind(&c.schema_id)
        .bind(by)
        .bind(&c.changed_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn upsert_annotation(
    conn: &mut SqliteConnection,
    assignment: &str,
    value: &str,
    revision: i64,
    at: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO annotations (assignment_id, value, revision, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (assignment_id) DO UPDATE SET value = excluded.value, revision = excluded.revision, updated_at = excluded.updated_at",
    )
    .bind(assignment)
    .bind(value)
    .bind(revision)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn package_dto(conn: &mut SqliteConnection, id: &str) -> Result<PackageDto, AppError> {
    let r = sqlx::query(
        "SELECT p.id, p.direction, u.name, p.status, p.created_at, p.expires_at, p.file_sha256, \
         (SELECT count(*) FROM package_assignments WHERE package_id = p.id), \
         (SELECT count(*) FROM package_conflicts WHERE package_id = p.id) \
         FROM packages p JOIN users u ON u.id = p.user_id WHERE p.id = ?",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(PackageDto {
        id: r.get(0),
        direction: match r.get::<String, _>(1).as_str() {
            "issued" => PackageDirection::Issued,
            _ => PackageDirection::Opened,
        },
        user_name: r.get(2),
        status: PackageStatus::parse(&r.get::<String, _>(3)).ok_or_else(damaged)?,
        created_at: r.get(4),
        expires_at: r.get(5),
        file_sha256: r.get(6),
        assignments: r.get::<i64, _>(7) as u64,
        conflicts: r.get::<i64, _>(8) as u64,
    })
}
