//! Destroying a vault at the end of retention (compliance, optionally with a second
//! person): export and sign the final audit log, crypto-erase every key slot, delete every
//! file, verify nothing remains and the vault no longer opens, and issue the certificate of
//! destruction (signed JSON, and a PDF) with the NIST SP 800-88 fields.
//!
//! A destruction interrupted at any step is finished by running it again with the same
//! certificate path: a state file beside the certificate (`CERT.state.json`) records the
//! steps done, the certificate draft and the signers' personal keys sealed under their
//! passphrases (no vault key), so the certificate can still be signed after the key slots
//! are gone.

use crate::error::{sentence, AppError, ErrorCode};
use crate::json::{CertificateCheckDto, DestroyReport, DestroyRequest, ExportFormat};
use crate::session::Session;
use crate::workspace::Workspace;
use airlock_deliver::certificate::{
    standard_exclusions, verify_certificate, AuditPin, Certificate, ContentCount, DataDescription,
    Media, Organization, OutstandingExport, Person, Project, Sanitization, SanitizationStep,
    SignedCertificate, SignerRole, Verification, VerificationResult, ATTESTATION,
    CERTIFICATE_FORMAT, CERTIFICATE_VERSION, CRYPTO_ERASE_RATIONALE, STANDARD,
};
use airlock_deliver::destroy::{remove_vault_files, verify_vault_removed};
use airlock_model::{Action, EventKind, Outcome, Role, UserId, VaultId};
use airlock_vault::{KdfParams, KeySlot, PersonalKeys, Vault};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Where the state of a running destruction is kept, beside the certificate.
fn state_path(certificate: &Path) -> PathBuf {
    let mut s = certificate.as_os_str().to_owned();
    s.push(".state.json");
    PathBuf::from(s)
}

fn pdf_path(certificate: &Path) -> PathBuf {
    certificate.with_extension("pdf")
}

/// The state file. Holds no PHI and no vault key.
#[derive(Serialize, Deserialize)]
struct DestroyState {
    vault_id: VaultId,
    vault_dir: PathBuf,
    kdf: KdfParams,
    audit_out: PathBuf,
    certificate: Certificate,
    sanitizer: KeySlot,
    verifier: Option<KeySlot>,
    steps_done: Vec<String>,
}

fn write_state(path: &Path, s: &DestroyState) -> Result<(), AppError> {
    airlock_vault::write_atomic(
        path,
        &serde_json::to_vec_pretty(s).expect("state serialises"),
    )
    .map_err(|_| {
        AppError::invalid(
            "The destruction's state file could not be written beside the certificate.",
        )
    })
}

fn step(name: &str, detail: String) -> SanitizationStep {
    SanitizationStep {
        step: name.into(),
        completed_at: OffsetDateTime::now_utc(),
        detail,
    }
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "this computer".into())
}

/// Checks a certificate of destruction file offline: structure, signatures, and — when an
/// audit export is given — that the export verifies and ends at the head the certificate
/// pins.
pub fn verify_certificate_file(
    cert: &Path,
    audit: Option<&Path>,
) -> Result<CertificateCheckDto, AppError> {
    let bytes = std::fs::read(cert).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AppError::new(ErrorCode::NotFound, "The certificate file does not exist.")
        }
        _ => AppError::invalid("The certificate file cannot be read."),
    })?;
    let check = match verify_certificate(&bytes) {
        Ok(c) => c,
        Err(e) => {
            return Ok(CertificateCheckDto {
                ok: false,
                message: sentence(&e.to_string()),
                certificate_id: None,
                project: None,
                sanitizer: None,
                verifier: None,
                verification_passed: None,
                audit_head: None,
                audit_matches: None,
                fingerprint: None,
            })
        }
    };
    let c = &check.certificate;
    let audit_matches = match audit {
        Some(p) => {
            let r = crate::verify_export_file(p)?;
            Some(r.ok && r.head_hash == c.audit.final_head_hash && r.events == c.audit.event_count)
        }
        None => None,
    };
    let ok = audit_matches != Some(false);
    Ok(CertificateCheckDto {
        ok,
        message: if !ok {
            "The signatures hold, but the audit log given does not end where the certificate says."
                .into()
        } else {
            format!(
                "The certificate is intact and signed by {}{}; verification {}.",
                c.sanitizer.name,
                if check.verifier_signed {
                    format!(
                        " and {}",
                        c.verifier.as_ref().map_or("", |v| v.name.as_str())
                    )
                } else {
                    String::new()
                },
                if c.verification.result == VerificationResult::Passed {
                    "passed"
                } else {
                    "FAILED"
                }
            )
        },
        certificate_id: Some(c.certificate_id.clone()),
        project: Some(c.project.name.clone()),
        sanitizer: Some(c.sanitizer.name.clone()),
        verifier: c.verifier.as_ref().map(|v| v.name.clone()),
        verification_passed: Some(c.verification.result == VerificationResult::Passed),
        audit_head: Some(c.audit.final_head_hash.clone()),
        audit_matches,
        fingerprint: Some(check.fingerprint),
    })
}

impl Session {
    /// Counts and kinds of what the vault holds, for the certificate.
    async fn data_description(&self) -> Result<DataDescription, AppError> {
        let items: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
            .fetch_one(&self.pool)
            .await?;
        let kinds = sqlx::query("SELECT kind, count(*), COALESCE(sum(size), 0) FROM source_files GROUP BY kind ORDER BY kind")
            .fetch_all(&self.pool)
            .await?;
        let mut content: Vec<ContentCount> = kinds
            .iter()
            .map(|r| ContentCount {
                kind: r.get(0),
                count: r.get::<i64, _>(1) as u64,
                bytes: r.get::<i64, _>(2) as u64,
            })
            .collect();
        let derived = sqlx::query("SELECT count(*), COALESCE(sum(output_size), 0) + COALESCE(sum(log_size), 0) FROM deid_results WHERE output_blob IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        let (derived_n, derived_bytes) = (
            derived.get::<i64, _>(0) as u64,
            derived.get::<i64, _>(1) as u64,
        );
        content.push(ContentCount {
            kind: "de-identified derivatives".into(),
            count: derived_n,
            bytes: derived_bytes,
        });
        let db = std::fs::metadata(self.vault.dir().join(airlock_vault::DATABASE_FILE))
            .map_or(0, |m| m.len());
        content.push(ContentCount {
            kind: "database (labels, audit trail)".into(),
            count: 1,
            bytes: db,
        });
        let mut categories = std::collections::BTreeSet::new();
        for c in sqlx::query_scalar::<_, String>("SELECT categories FROM deid_results")
            .fetch_all(&self.pool)
            .await?
        {
            let m: std::collections::BTreeMap<String, u64> =
                serde_json::from_str(&c).unwrap_or_default();
            categories.extend(m.into_keys());
        }
        let source_n: u64 = content
            .iter()
            .filter(|c| !c.kind.contains(' '))
            .map(|c| c.count)
            .sum();
        Ok(DataDescription {
            description: format!(
                "Clinical data of the project \"{}\" received into its Airlock vault, with its de-identified derivatives, labels, reviews and audit trail",
                self.project_name
            ),
            item_count: items as u64,
            source_file_count: source_n,
            derived_file_count: derived_n,
            total_bytes: content.iter().map(|c| c.bytes).sum(),
            content_types: content,
            phi_categories: categories.into_iter().collect(),
        })
    }
}

impl Workspace {
    /// Destroys the open vault (compliance only; not in a break-glass session). The
    /// project's retention date must have passed, its name must be typed to confirm, the
    /// sanitizer re-enters their passphrase, and an optional second person (a lead or
    /// another compliance officer, not the sanitizer) authenticates in place. Cannot be
    /// cancelled once the crypto-erase begins; a run interrupted after it is finished by
    /// [`Workspace::resume_destruction`].
    pub async fn destroy(
        &mut self,
        req: &DestroyRequest,
        passphrase: &SecretString,
    ) -> Result<DestroyReport, AppError> {
        let s = self.active().await?;
        let _grant = s.authorize(Action::Destroy).await?;
        let refuse = |s: &Session, why: &'static str| {
            let mut d = s.draft(EventKind::DestructionRefused, Outcome::Denied);
            d.object_kind = Some("vault".into());
            d.detail.insert("reason".into(), why.into());
            d
        };
        if s.break_glass_active(s.now()) {
            let d = refuse(s, "break_glass");
            let mut tx = s.begin().await?;
            s.record(&mut tx, d).await?;
            tx.commit().await?;
            return Err(AppError::new(
                ErrorCode::Forbidden,
                "Destruction cannot be done in an emergency (break-glass) session.",
            ));
        }
        if req.confirm_project.trim() != s.project_name {
            return Err(AppError::invalid(
                "Type the project's name exactly to confirm the destruction.",
            ));
        }
        let retention = s.read_retention().await?;
        if !retention.due {
            let d = refuse(s, "not_due");
            let mut tx = s.begin().await?;
            s.record(&mut tx, d).await?;
            tx.commit().await?;
            return Err(AppError::new(
                ErrorCode::Conflict,
                match retention.retention_date {
                    Some(d) => format!("The project is kept until {d}; destruction can start on that day."),
                    None => "Set the project's retention date first: destruction starts only when it is due.".into(),
                },
            ));
        }
        let cert_out = PathBuf::from(req.certificate_out.trim());
        let audit_out = PathBuf::from(req.audit_out.trim());
        if cert_out.as_os_str().is_empty() || audit_out.as_os_str().is_empty() {
            return Err(AppError::invalid(
                "Name where the certificate and the final audit log go.",
            ));
        }
        if cert_out.starts_with(s.vault.dir()) || audit_out.starts_with(s.vault.dir()) {
            return Err(AppError::invalid(
                "The certificate and the final audit log must go outside the vault.",
            ));
        }
        // Re-authenticate the sanitizer, then the optional second person, in place.
        let mut probe = s.vault.clone();
        let (_, _, sanitizer_keys) = probe
            .unlock(&s.user_name, passphrase, s.now())
            .map_err(|_| AppError::bad_credentials())?;
        probe.clear_failures(s.user_id)?;
        let sanitizer_personal = sanitizer_keys.personal.ok_or_else(|| {
            AppError::new(ErrorCode::Internal, "The sanitizer has no personal keys.")
        })?;
        let verifier = match &req.verifier {
            None => None,
            Some(v) => {
                if v.name.trim().eq_ignore_ascii_case(&s.user_name) {
                    return Err(AppError::invalid("The second person must be someone else."));
                }
                match probe.unlock(
                    v.name.trim(),
                    &SecretString::from(v.passphrase.clone()),
                    s.now(),
                ) {
                    Ok((uid, role, keys)) if matches!(role, Role::Lead | Role::Compliance) => {
                        probe.clear_failures(uid)?;
                        let personal = keys.personal.ok_or_else(|| {
                            AppError::new(ErrorCode::Internal, "The verifier has no personal keys.")
                        })?;
                        Some((uid, role, v.clone(), personal))
                    }
                    Ok(_) => {
                        return Err(AppError::invalid(
                            "The second person must be a lead or a compliance officer.",
                        ))
                    }
                    Err(_) => {
                        let d = refuse(s, "verifier_not_authenticated");
                        let mut tx = s.begin().await?;
                        s.record(&mut tx, d).await?;
                        tx.commit().await?;
                        return Err(AppError::new(
                            ErrorCode::BadCredentials,
                            "The second person's user name or passphrase was not recognised.",
                        ));
                    }
                }
            }
        };
        let started = s.now();
        let data = s.data_description().await?;
        let exports = s.read_exports().await?;
        let certificate_id = uuid::Uuid::new_v4().to_string();
        // The last event of the chain, then the final export that includes it.
        let mut tx = s.begin().await?;
        let mut d = s.draft(EventKind::DestructionStarted, Outcome::Success);
        d.object_kind = Some("vault".into());
        d.object_id = Some(s.vault.id().to_string());
        d.detail
            .insert("certificate".into(), certificate_id.clone().into());
        d.detail
            .insert("second_person".into(), verifier.is_some().into());
        s.record(&mut tx, d).await?;
        let (audit, events) = s.audit_bytes(&mut tx, ExportFormat::Jsonl).await?;
        tx.commit().await?;
        airlock_vault::write_atomic(&audit_out, &audit)
            .map_err(|_| AppError::invalid("The final audit log could not be written there."))?;
        let head = events.last().map(|e| e.hash.clone()).unwrap_or_default();
        let person = |name: &str, uid: UserId, title: &str, keys: &PersonalKeys| Person {
            name: name.to_string(),
            title: title.to_string(),
            organization: req.organization.clone(),
            location: req.location.clone(),
            contact: req.contact.clone(),
            user_id: uid.to_string(),
            public_key: keys.signing_public_hex(),
            signed_at: started,
        };
        let certificate = Certificate {
            format: CERTIFICATE_FORMAT.into(),
            version: CERTIFICATE_VERSION,
            certificate_id: certificate_id.clone(),
            issued_at: started,
            standard: STANDARD.into(),
            organization: Organization { name: req.organization.clone(), address: None, contact: req.organization_contact.clone() },
            project: Project { id: s.vault.id().to_string(), name: s.project_name.clone(), vault_id: s.vault.id().to_string() },
            data,
            media: Media {
                media_type: "Storage of this computer (file-level sanitization of the vault directory)".into(),
                description: format!(
                    "The Airlock vault directory {}",
                    std::fs::canonicalize(s.vault.dir()).unwrap_or_else(|_| s.vault.dir().to_path_buf()).display()
                ),
                make_vendor: None,
                model: req.media_details.clone(),
                serial_number: None,
                property_number: None,
                source: format!("{} (user {})", host(), s.user_name),
                classification: "PHI (HIPAA)".into(),
                data_backed_up: "unknown".into(),
                backup_location: None,
            },
            sanitization: Sanitization {
                method_type: "Purge".into(),
                method_used: "Cryptographic erase, plus deletion".into(),
                technique: "Every key slot of the vault header (users' and the recovery slot) destroyed, so the random 256-bit source and work keys are unrecoverable; then every file of the vault deleted and the directory removed".into(),
                tool: "Airlock".into(),
                tool_version: env!("CARGO_PKG_VERSION").into(),
                started_at: started,
                ended_at: started,
                steps: vec![step("final audit log exported and signed", format!("{} events, head {}", events.len(), &head[..head.len().min(16)]))],
                resumed_after_interruption: false,
                rationale: CRYPTO_ERASE_RATIONALE.into(),
                post_sanitization_classification: "No PHI recoverable from this media".into(),
                notes: None,
            },
            verification: Verification { method: String::new(), result: VerificationResult::Failed, details: String::new(), verified_at: started },
            media_destination: req.media_destination.clone(),
            audit: AuditPin {
                final_head_hash: head,
                event_count: events.len() as u64,
                export_sha256: hex::encode(Sha256::digest(&audit)),
                exported_at: started,
            },
            outstanding_exports: exports
                .iter()
                .map(|e| OutstandingExport {
                    export_id: e.id.clone(),
                    what: e.what.clone(),
                    form: e.form.clone(),
                    created_at: time::OffsetDateTime::parse(&e.created_at, &time::format_description::well_known::Rfc3339).unwrap_or(started),
                    recipient: e.recipient.clone(),
                    exported_by: e.created_by.clone().unwrap_or_default(),
                    file_sha256: e.file_sha256.clone(),
                })
                .collect(),
            not_covered: standard_exclusions(),
            attestation: ATTESTATION.into(),
            sanitizer: person(&s.user_name, s.user_id, &req.title, &sanitizer_personal),
            verifier: verifier.as_ref().map(|(uid, _, v, keys)| person(&v.name, *uid, &v.title, keys)),
        };
        let state = DestroyState {
            vault_id: s.vault.id(),
            vault_dir: s.vault.dir().to_path_buf(),
            kdf: s.vault.header().kdf,
            audit_out,
            certificate,
            sanitizer: s.vault.seal_personal_keys(
                s.user_id,
                s.role,
                passphrase,
                &sanitizer_personal,
            )?,
            verifier: match &verifier {
                Some((uid, role, v, keys)) => Some(s.vault.seal_personal_keys(
                    *uid,
                    *role,
                    &SecretString::from(v.passphrase.clone()),
                    keys,
                )?),
                None => None,
            },
            steps_done: vec!["audit_exported".into()],
        };
        let state_file = state_path(&cert_out);
        write_state(&state_file, &state)?;
        // The session ends here: the database is about to become unreadable.
        self.drop_vault().await;
        let verifier_keys = verifier.map(|(_, _, _, k)| k);
        finish(
            state,
            &cert_out,
            &sanitizer_personal,
            verifier_keys.as_ref(),
            false,
        )
    }

    /// Finishes a destruction that was interrupted after its first step, from the state
    /// file beside `certificate_out`, with the signers' passphrases (their keys were
    /// sealed there; the vault's slots may already be gone).
    pub fn resume_destruction(
        &mut self,
        certificate_out: &Path,
        passphrase: &SecretString,
        verifier_passphrase: Option<&SecretString>,
    ) -> Result<DestroyReport, AppError> {
        let state_file = state_path(certificate_out);
        let bytes = std::fs::read(&state_file).map_err(|_| {
            AppError::new(
                ErrorCode::NotFound,
                "No interrupted destruction was found for this certificate path.",
            )
        })?;
        let state: DestroyState = serde_json::from_slice(&bytes).map_err(|_| {
            AppError::new(
                ErrorCode::VaultError,
                "The destruction's state file is damaged.",
            )
        })?;
        let sanitizer =
            Vault::open_personal_keys(state.vault_id, &state.kdf, &state.sanitizer, passphrase)
                .map_err(|_| AppError::bad_credentials())?;
        let verifier = match (&state.verifier, verifier_passphrase) {
            (Some(slot), Some(p)) => Some(
                Vault::open_personal_keys(state.vault_id, &state.kdf, slot, p).map_err(|_| {
                    AppError::new(
                        ErrorCode::BadCredentials,
                        "The second person's passphrase was not recognised.",
                    )
                })?,
            ),
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "This destruction had a second person: give their passphrase too.",
                ))
            }
            (None, _) => None,
        };
        self.forget_vault();
        finish(state, certificate_out, &sanitizer, verifier.as_ref(), true)
    }
}

/// Crypto-erase, delete, verify, and write the signed certificate (JSON and PDF).
fn finish(
    mut state: DestroyState,
    cert_out: &Path,
    sanitizer: &PersonalKeys,
    verifier: Option<&PersonalKeys>,
    resumed: bool,
) -> Result<DestroyReport, AppError> {
    let state_file = state_path(cert_out);
    let dir = state.vault_dir.clone();
    let id = state.vault_id.to_string();
    if !state.steps_done.iter().any(|s| s == "crypto_erased") {
        let report = match Vault::open(&dir) {
            Ok(mut v) if v.id() == state.vault_id => {
                Some(v.crypto_erase(OffsetDateTime::now_utc())?)
            }
            Ok(_) => {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "The directory holds another vault; nothing was destroyed.",
                ))
            }
            // Already gone: the header was deleted by an interrupted run after the erase.
            Err(_) => None,
        };
        let detail = match report {
            Some(r) => format!(
                "{} user key slots, {} recovery slot, {} keyring entries destroyed{}",
                r.user_slots,
                r.recovery_slots,
                r.keyring_entries,
                if r.already_erased {
                    " (already erased)"
                } else {
                    ""
                }
            ),
            None => "the header was already gone".into(),
        };
        state
            .certificate
            .sanitization
            .steps
            .push(step("cryptographic erase of every key slot", detail));
        state.steps_done.push("crypto_erased".into());
        write_state(&state_file, &state)?;
    }
    let removal = remove_vault_files(&dir, &id)
        .map_err(|e| AppError::new(ErrorCode::VaultError, sentence(&e.to_string())))?;
    state.certificate.sanitization.steps.push(step(
        "vault files deleted",
        format!(
            "{} files ({} bytes) and {} directories removed",
            removal.files_removed, removal.bytes_removed, removal.directories_removed
        ),
    ));
    let check = verify_vault_removed(&dir);
    let opens = Vault::open(&dir).is_ok();
    let passed = check.passed && !opens;
    let now = OffsetDateTime::now_utc();
    state.certificate.verification = Verification {
        method: "Full: every path of the vault format re-scanned after deletion, and opening the vault attempted".into(),
        result: if passed { VerificationResult::Passed } else { VerificationResult::Failed },
        details: format!(
            "{} vault entries remain; directory removed: {}; opening the vault {}",
            check.remaining.len(),
            check.directory_removed,
            if opens { "still works" } else { "fails (no header, no key slots)" }
        ),
        verified_at: now,
    };
    state.certificate.sanitization.ended_at = now;
    state.certificate.sanitization.resumed_after_interruption = resumed || removal.resumed;
    if !removal.foreign.is_empty() {
        state.certificate.sanitization.notes = Some(format!(
            "{} files in the vault directory were not Airlock's and were left in place",
            removal.foreign.len()
        ));
    }
    state.certificate.sanitizer.signed_at = now;
    if let Some(v) = state.certificate.verifier.as_mut() {
        v.signed_at = now;
    }
    let mut signed = SignedCertificate::new(state.certificate.clone());
    signed
        .sign(SignerRole::Sanitizer, &sanitizer.signing)
        .map_err(|e| AppError::new(ErrorCode::Internal, sentence(&e.to_string())))?;
    if let Some(v) = verifier {
        signed
            .sign(SignerRole::Verifier, &v.signing)
            .map_err(|e| AppError::new(ErrorCode::Internal, sentence(&e.to_string())))?;
    }
    let json = signed
        .to_json()
        .map_err(|e| AppError::new(ErrorCode::Internal, sentence(&e.to_string())))?;
    let checked = verify_certificate(&json)
        .map_err(|e| AppError::new(ErrorCode::Internal, sentence(&e.to_string())))?;
    let pdf = airlock_deliver::pdf::render_certificate_pdf(&checked)
        .map_err(|e| AppError::new(ErrorCode::Internal, sentence(&e.to_string())))?;
    airlock_vault::write_atomic(cert_out, &json)
        .map_err(|_| AppError::invalid("The certificate could not be written there."))?;
    airlock_vault::write_atomic(&pdf_path(cert_out), &pdf)
        .map_err(|_| AppError::invalid("The certificate PDF could not be written there."))?;
    let _ = std::fs::remove_file(&state_file);
    Ok(DestroyReport {
        certificate_json: cert_out.display().to_string(),
        certificate_pdf: pdf_path(cert_out).display().to_string(),
        audit_export: state.audit_out.display().to_string(),
        fingerprint: checked.fingerprint,
        files_removed: removal.files_removed,
        bytes_removed: removal.bytes_removed,
        verified: passed,
        resumed: state.certificate.sanitization.resumed_after_interruption,
    })
}
