//! `airlock`: the command-line interface. Parses arguments, reads passphrases, calls
//! `airlock-app`, prints. Exit codes: 0 success, 1 failure (one sentence on stderr),
//! 2 usage error, 3 `audit verify`/`receipt verify`/`bag validate` found damage, 4 `ingest`
//! received a delivery with problems (or `deid text` skipped files), 130 `ingest`
//! interrupted (a rerun resumes).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cli;
mod output;
mod progress;

use airlock_app::json::{
    AuditFilter, BatchDecision, DeidTextPolicy, ExportFormat, IngestRequest, ItemFilter,
    ItemStatus, Policy,
};
use airlock_app::{AppError, Workspace};
use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use cli::{
    AnnotateCmd, AuditCmd, BagCmd, BatchCmd, CertificateCmd, CleanPixelsArg, Cli, Command, DeidCmd,
    DeidVaultCmd, DicomOptionArg, Format, ItemsCmd, LevelArg, PackageCmd, PolicyArg, ReceiptCmd,
    RetentionCmd, UserCmd, VaultCmd,
};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit code when `audit verify`, `receipt verify` or `bag validate` finds damage.
const EXIT_DAMAGED: u8 = 3;
/// Exit code when `ingest` received the delivery with problems (quarantined files).
const EXIT_PROBLEMS: u8 = 4;
/// Exit code when `ingest` was interrupted (Ctrl-C); a rerun resumes.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    airlock_app::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(_) => {
            eprintln!("airlock: could not start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("airlock: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error as one line: the app's sentence when there is one, else the context chain.
fn one_line(e: &anyhow::Error) -> String {
    match e.downcast_ref::<AppError>() {
        Some(app) => app.message.clone(),
        None => format!("{e:#}"),
    }
}

/// Reads a passphrase from a file (one trailing newline removed).
fn read_secret_file(path: &Path, what: &str) -> Result<SecretString> {
    let mut text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the {what} file"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(SecretString::from(text))
}

/// The login passphrase: `--passphrase-file`, `AIRLOCK_PASSPHRASE_FILE`, or a prompt.
fn login_passphrase(cli: &Cli, user: &str) -> Result<SecretString> {
    if let Some(f) = &cli.passphrase_file {
        return read_secret_file(f, "passphrase");
    }
    prompt(&format!("Passphrase for {user}: "))
}

fn prompt(label: &str) -> Result<SecretString> {
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase given: use --passphrase-file FILE or AIRLOCK_PASSPHRASE_FILE");
    }
    Ok(SecretString::from(
        rpassword::prompt_password(label).context("reading the passphrase")?,
    ))
}

/// A new passphrase: from a file, or prompted twice.
fn new_passphrase(file: Option<&Path>, label: &str) -> Result<SecretString> {
    if let Some(f) = file {
        return read_secret_file(f, "new passphrase");
    }
    let a = prompt(&format!("{label}: "))?;
    let b = prompt(&format!("{label} (again): "))?;
    if secrecy::ExposeSecret::expose_secret(&a) != secrecy::ExposeSecret::expose_secret(&b) {
        bail!("the two passphrases differ");
    }
    Ok(a)
}

fn default_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let mut ws = Workspace::new(default_dir());
    match &cli.command {
        Command::Init {
            vault, name, user, ..
        } => {
            let pass = match &cli.passphrase_file {
                Some(f) => read_secret_file(f, "passphrase")?,
                None => new_passphrase(None, &format!("New passphrase for {user}"))?,
            };
            let created = ws.create_vault(vault, name, user, &pass).await?;
            output::created(&created, cli.format());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Package(PackageCmd::Workspace { dir, .. }) => {
            let user = cli
                .user
                .as_deref()
                .ok_or_else(|| anyhow!("name the workspace's user with --user NAME"))?;
            let pass = match &cli.passphrase_file {
                Some(f) => read_secret_file(f, "passphrase")?,
                None => new_passphrase(None, &format!("New passphrase for {user}"))?,
            };
            let created = ws.create_workspace_vault(dir, user, &pass).await?;
            output::created(&created, cli.format());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Demo { vault, .. } => {
            let info = ws.create_demo(vault).await?;
            output::demo(&info, cli.format());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Audit(AuditCmd::Verify {
            file: Some(file), ..
        }) => {
            let report = airlock_app::verify_export_file(file)?;
            output::verify(&report, cli.format());
            return Ok(verify_exit(report.ok));
        }
        Command::Receipt(ReceiptCmd::Verify { file, .. }) => {
            let check = airlock_app::verify_receipt_file(file)?;
            output::receipt_check(&check, cli.format());
            return Ok(verify_exit(check.ok));
        }
        Command::Bag(BagCmd::Validate { dir, .. }) => {
            let report = airlock_app::bag_validate(dir)?;
            output::bag_report(&report, cli.format());
            return Ok(verify_exit(report.valid));
        }
        Command::Agreement { input, level, .. } => {
            let level = match level {
                LevelArg::Nominal => airlock_app::AgreementLevel::Nominal,
                LevelArg::Ordinal => airlock_app::AgreementLevel::Ordinal,
                LevelArg::Interval => airlock_app::AgreementLevel::Interval,
            };
            let report = airlock_app::agreement_from_csv(input, level)?;
            output::agreement(&report, cli.format());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Deid(DeidCmd::Text {
            input,
            output,
            log,
            key_file,
            policy,
            ..
        }) => {
            let policy = match policy {
                PolicyArg::SafeHarbor => DeidTextPolicy::SafeHarbor,
                PolicyArg::Pseudonymize => DeidTextPolicy::Pseudonymize,
            };
            let report = airlock_app::deid_text_files(
                input,
                output,
                log.as_deref(),
                policy,
                &deid_key(key_file),
            )?;
            output::deid_text(&report, cli.format());
            return Ok(skipped_exit(report.failed.len()));
        }
        Command::Deid(DeidCmd::Image {
            input,
            output,
            log,
            key_file,
            ocr,
            ..
        }) => {
            let report = airlock_app::deid_image_files(
                input,
                output,
                log.as_deref(),
                *ocr,
                &deid_key(key_file),
            )?;
            output::deid_image(&report, cli.format());
            return Ok(skipped_exit(report.failed.len()));
        }
        Command::Deid(DeidCmd::Dicom {
            input,
            output,
            log,
            key_file,
            policy,
            options,
            clean_pixels,
            ..
        }) => {
            use airlock_app::{DicomAutoClean as AutoClean, DicomOption as P};
            let options: Vec<P> = options
                .iter()
                .map(|o| match o {
                    DicomOptionArg::RetainFullDates => P::RetainLongitudinalFullDates,
                    DicomOptionArg::RetainModifiedDates => P::RetainLongitudinalModifiedDates,
                    DicomOptionArg::RetainPatientCharacteristics => P::RetainPatientCharacteristics,
                    DicomOptionArg::RetainDeviceIdentity => P::RetainDeviceIdentity,
                    DicomOptionArg::RetainInstitutionIdentity => P::RetainInstitutionIdentity,
                    DicomOptionArg::RetainUids => P::RetainUids,
                    DicomOptionArg::RetainSafePrivate => P::RetainSafePrivate,
                    DicomOptionArg::CleanDescriptors => P::CleanDescriptors,
                    DicomOptionArg::CleanStructuredContent => P::CleanStructuredContent,
                })
                .collect();
            let report = airlock_app::deid_dicom_files(
                input,
                output,
                log.as_deref(),
                &airlock_app::DicomPolicyRequest {
                    file: policy.as_deref(),
                    options: &options,
                    clean: clean_pixels.map(|c| match c {
                        CleanPixelsArg::Templates => AutoClean::Templates,
                        CleanPixelsArg::Ocr => AutoClean::TemplatesAndOcr,
                    }),
                },
                &deid_key(key_file),
            )?;
            output::deid_dicom(&report, cli.format());
            return Ok(skipped_exit(report.failed.len()));
        }
        Command::Certificate(CertificateCmd::Verify { file, audit, .. }) => {
            let check = airlock_app::verify_certificate_file(file, audit.as_deref())?;
            output::certificate_check(&check, cli.format());
            return Ok(verify_exit(check.ok));
        }
        Command::Destroy {
            certificate,
            verifier_passphrase_file,
            ..
        } if std::fs::metadata(state_file(certificate)).is_ok() => {
            // An interrupted destruction: its keys may be gone, so no login; the signers'
            // passphrases open the keys sealed in the state file.
            let user = cli.user.clone().unwrap_or_else(|| "the sanitizer".into());
            let pass = login_passphrase(&cli, &user)?;
            let verifier = verifier_passphrase_file
                .as_deref()
                .map(|f| read_secret_file(f, "verifier passphrase"))
                .transpose()?;
            let report = ws.resume_destruction(certificate, &pass, verifier.as_ref())?;
            output::destroy(&report, cli.format());
            return Ok(verify_exit(report.verified));
        }
        Command::Vault(VaultCmd::Recover {
            recovery_code_file,
            new_passphrase_file,
        }) => {
            let vault = cli.vault_path()?;
            let user = cli
                .user
                .as_deref()
                .ok_or_else(|| anyhow!("name the account to recover with --user NAME"))?;
            ws.open_vault(vault).await?;
            let code = read_secret_file(recovery_code_file, "recovery code")?;
            let next = new_passphrase(
                new_passphrase_file.as_deref(),
                &format!("New passphrase for {user}"),
            )?;
            ws.recover(secrecy::ExposeSecret::expose_secret(&code), user, &next)
                .await?;
            println!("The passphrase of {user} was reset with the recovery code; new personal keys were issued.");
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }

    let vault = cli.vault_path()?;
    let user = cli
        .user
        .clone()
        .ok_or_else(|| anyhow!("this command needs --user NAME (and --vault VAULT)"))?;
    ws.open_vault(vault).await?;
    let pass = login_passphrase(&cli, &user)?;
    ws.login(&user, &pass, cli.totp.as_deref()).await?;
    let result = run_logged_in(&cli, &mut ws).await;
    let logout = ws.logout().await;
    let code = result?;
    logout?;
    Ok(code)
}

/// The state file of a destruction in progress, beside its certificate.
fn state_file(certificate: &Path) -> PathBuf {
    let mut s = certificate.as_os_str().to_owned();
    s.push(".state.json");
    PathBuf::from(s)
}

/// The key of a standalone de-identification run: the project key file, or a random
/// key for this run only.
fn deid_key(key_file: &Option<PathBuf>) -> airlock_app::DeidKey {
    match key_file {
        Some(f) => airlock_app::DeidKey::File(f.clone()),
        None => airlock_app::DeidKey::Random,
    }
}

/// The exit of a standalone de-identification run that skipped `skipped` files: 4 (with
/// one sentence) when any was, else success.
fn skipped_exit(skipped: usize) -> ExitCode {
    if skipped == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("airlock: {skipped} file(s) could not be de-identified and were skipped");
    ExitCode::from(EXIT_PROBLEMS)
}

fn verify_exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DAMAGED)
    }
}

async fn run_logged_in(cli: &Cli, ws: &mut Workspace) -> Result<ExitCode> {
    if let Some(reason) = &cli.break_glass_reason {
        ws.active()
            .await?
            .start_break_glass(reason, cli.break_glass_minutes)
            .await?;
        eprintln!(
            "airlock: emergency access is active for this command; it is recorded and flagged"
        );
    }
    let fmt = cli.format();
    match &cli.command {
        Command::User(cmd) => match cmd {
            UserCmd::Add {
                name,
                role,
                new_passphrase_file,
            } => {
                let pass = new_passphrase(
                    new_passphrase_file.as_deref(),
                    &format!("Initial passphrase for {name}"),
                )?;
                let u = ws.active().await?.add_user(name, *role, &pass).await?;
                output::user_added(&u, fmt);
            }
            UserCmd::List { .. } => {
                let users = ws.active().await?.list_users().await?;
                output::users(&users, fmt);
            }
            UserCmd::Disable { name } => {
                ws.active().await?.disable_user(name).await?;
                println!("Disabled {name}; their key slot was removed.");
            }
            UserCmd::Unlock { name } => {
                ws.active().await?.unlock_user(name).await?;
                println!("Cleared the lockout of {name}.");
            }
            UserCmd::TotpEnable => {
                let s = ws.active().await?;
                let setup = s.totp_begin().await?;
                println!(
                    "Secret: {}\nURI: {}",
                    setup.secret_base32, setup.otpauth_uri
                );
                eprint!("Enter the 6-digit code your authenticator shows: ");
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the code")?;
                s.totp_confirm(line.trim()).await?;
                println!("Two-factor login is on for this account.");
            }
            UserCmd::TotpDisable { code } => {
                ws.active().await?.totp_disable(code).await?;
                println!("Two-factor login is off for this account.");
            }
        },
        Command::Vault(cmd) => match cmd {
            VaultCmd::Info { .. } => {
                let info = ws.active().await?.vault_info().await?;
                output::vault_info(&info, fmt);
            }
            VaultCmd::Status { .. } => {
                let o = ws.active().await?.project_overview().await?;
                output::overview(&o, fmt);
            }
            VaultCmd::ChangePassphrase {
                new_passphrase_file,
            } => {
                let current = login_passphrase(cli, "the current account")?;
                let next = new_passphrase(new_passphrase_file.as_deref(), "New passphrase")?;
                ws.active()
                    .await?
                    .change_passphrase(&current, &next)
                    .await?;
                println!("Passphrase changed.");
            }
            VaultCmd::SetPolicy {
                max_failed_logins,
                lockout_minutes,
                idle_timeout_minutes,
            } => {
                let s = ws.active().await?;
                let current = s.vault_info().await?.policy;
                let policy = Policy {
                    max_failed_logins: max_failed_logins.unwrap_or(current.max_failed_logins),
                    lockout_minutes: lockout_minutes.unwrap_or(current.lockout_minutes),
                    idle_timeout_minutes: idle_timeout_minutes
                        .unwrap_or(current.idle_timeout_minutes),
                };
                s.set_policy(&policy).await?;
                println!(
                    "Policy: lock after {} failed logins for {} min; idle lock after {} min.",
                    policy.max_failed_logins, policy.lockout_minutes, policy.idle_timeout_minutes
                );
            }
            VaultCmd::Recover { .. } => unreachable!("handled before login"),
        },
        Command::Audit(cmd) => match cmd {
            AuditCmd::Verify { .. } => {
                let report = ws.active().await?.audit_verify().await?;
                output::verify(&report, fmt);
                return Ok(verify_exit(report.ok));
            }
            AuditCmd::Export { format, out } => {
                let f = match format {
                    cli::ExportFmt::Csv => ExportFormat::Csv,
                    cli::ExportFmt::Jsonl => ExportFormat::Jsonl,
                };
                let r = ws.active().await?.audit_export(f, out).await?;
                println!("Exported {} events to {}.", r.events, r.path);
            }
            AuditCmd::List {
                actor,
                action,
                from,
                to,
                failures_only,
                limit,
                ..
            } => {
                let filter = AuditFilter {
                    actor: actor.clone(),
                    action: action.as_deref().map(parse_kind).transpose()?,
                    from: from.clone(),
                    to: to.clone(),
                    failures_only: *failures_only,
                    break_glass_only: false,
                    offset: 0,
                    limit: *limit,
                };
                let page = ws.active().await?.audit_query(&filter).await?;
                output::audit_page(&page, fmt);
            }
        },
        Command::Ingest {
            source,
            manifest,
            bagit,
            text_column,
            text_field,
            ..
        } => {
            let req = IngestRequest {
                source: source.display().to_string(),
                manifest: manifest.as_ref().map(|m| m.display().to_string()),
                bagit: *bagit,
                csv_column: text_column.clone(),
                jsonl_field: text_field.clone(),
            };
            let cancel = Arc::new(AtomicBool::new(false));
            let on_signal = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_signal.store(true, Ordering::Relaxed);
                }
            });
            let bar = progress::Bar::new();
            let result = ws
                .active()
                .await?
                .ingest(&req, &|p| bar.update(&p), cancel)
                .await;
            bar.finish();
            let report = result?;
            output::ingest_report(&report, fmt);
            if report.cancelled {
                eprintln!(
                    "airlock: receiving was interrupted; run the same command again to resume"
                );
                return Ok(ExitCode::from(EXIT_INTERRUPTED));
            }
            if !report.all_verified {
                eprintln!(
                    "airlock: the delivery has problems; problem files are quarantined (decide with `airlock batch release|abort {}`)",
                    report.batch_id
                );
                return Ok(ExitCode::from(EXIT_PROBLEMS));
            }
        }
        Command::Batch(cmd) => {
            match cmd {
                BatchCmd::List { .. } => {
                    let list = ws.active().await?.list_batches().await?;
                    output::batches(&list, fmt);
                }
                BatchCmd::Show { batch, .. } => {
                    let report = ws.active().await?.batch_report(batch).await?;
                    output::ingest_report(&report, fmt);
                }
                BatchCmd::Release { batch } => {
                    ws.active()
                        .await?
                        .decide_batch(batch, BatchDecision::ReleaseVerified, None)
                        .await?;
                    println!("Released the verified files of batch {batch}; problem files stay quarantined.");
                }
                BatchCmd::Abort { batch, reason } => {
                    ws.active()
                        .await?
                        .decide_batch(batch, BatchDecision::Abort, Some(reason))
                        .await?;
                    println!("Aborted batch {batch}; its items are discarded.");
                }
                BatchCmd::Receipt { batch, out } => {
                    let r = ws.active().await?.export_receipt(batch, out).await?;
                    println!(
                        "Wrote the signed receipt to {} and a summary to {} (receipt sha256 {}).",
                        r.json_path, r.text_path, r.receipt_sha256
                    );
                }
            }
        }
        Command::Deid(DeidCmd::Vault(cmd)) => {
            let s = ws.active().await?;
            match cmd {
                DeidVaultCmd::Run { batch, .. } => {
                    let r = s.deid_run(batch.as_deref()).await?;
                    output::deid_run(&r, fmt);
                }
                DeidVaultCmd::Queue { batch, .. } => {
                    let q = s.deid_queue(batch.as_deref()).await?;
                    output::deid_queue(&q, fmt);
                }
                DeidVaultCmd::Show { item, .. } => match s.deid_review_item(item).await? {
                    airlock_app::json::DeidItemReview::Text(r) => output::deid_review(&r, fmt),
                    airlock_app::json::DeidItemReview::Dicom(r) => output::dicom_review(&r, fmt),
                },
                DeidVaultCmd::Templates { .. } => {
                    output::region_templates(&s.region_templates().await?, fmt);
                }
                DeidVaultCmd::TemplateRemove { id } => {
                    s.region_template_remove(id).await?;
                    println!("Removed region template {id}.");
                }
                DeidVaultCmd::Validate { item } => {
                    s.deid_validate(item).await?;
                    println!("Validated the de-identification of item {item}.");
                }
                DeidVaultCmd::State { batch, .. } => {
                    let st = s.deid_batch_state(batch).await?;
                    output::deid_state(&st, fmt);
                }
                DeidVaultCmd::SignOff { batch } => {
                    let so = s.deid_sign_off(batch).await?;
                    println!(
                        "Signed off batch {batch}: {} items released for annotation ({} validated by hand, {} identifiers added by hand); signature {}…",
                        so.items,
                        so.sample_size,
                        so.misses,
                        &so.signature[..16]
                    );
                }
                DeidVaultCmd::Settings {
                    policy,
                    sample_percent,
                } => {
                    let mut current = s.deid_settings().await?;
                    if policy.is_some() || sample_percent.is_some() {
                        if let Some(p) = policy {
                            current.policy = match p {
                                PolicyArg::SafeHarbor => DeidTextPolicy::SafeHarbor,
                                PolicyArg::Pseudonymize => DeidTextPolicy::Pseudonymize,
                            };
                        }
                        if let Some(p) = sample_percent {
                            current.sample_percent = *p;
                        }
                        s.set_deid_settings(&current).await?;
                    }
                    println!(
                        "De-identification policy {}; validation sample {}% of each batch (at least 10 items).",
                        match current.policy {
                            DeidTextPolicy::SafeHarbor => "safe-harbor",
                            DeidTextPolicy::Pseudonymize => "pseudonymize",
                        },
                        current.sample_percent
                    );
                }
            }
        }
        Command::Export {
            out,
            recipients,
            bag_passphrase_file,
            schema,
            gold_only,
            plaintext,
            reason,
            ..
        } => {
            let s = ws.active().await?;
            let passphrase = bag_passphrase_file
                .as_deref()
                .map(|f| read_secret_file(f, "bag passphrase"))
                .transpose()?;
            let report = s
                .export_deliverable(&airlock_app::json::ExportRequest {
                    schema_id: schema.clone(),
                    gold_only: *gold_only,
                    recipients: recipients.clone(),
                    passphrase: passphrase
                        .map(|p| secrecy::ExposeSecret::expose_secret(&p).to_string()),
                    plaintext: *plaintext,
                    out: out.display().to_string(),
                    reason: reason.clone(),
                })
                .await?;
            output::export(&report, fmt);
        }
        Command::Package(cmd) => package(ws, cmd, fmt).await?,
        Command::Annotate(AnnotateCmd::Queue { .. }) => {
            let q = ws.active().await?.my_queue().await?;
            output::queue(&q, fmt);
        }
        Command::Annotate(AnnotateCmd::Save {
            assignment,
            value,
            reason,
            submit,
            ..
        }) => {
            let value: airlock_app::json::AnnotationValue = serde_json::from_str(value)
                .map_err(|_| anyhow!("--value is not a JSON label value"))?;
            let s = ws.active().await?;
            let saved = s
                .save_annotation(assignment, &value, reason.as_deref())
                .await?;
            if *submit {
                s.submit_annotation(assignment).await?;
            }
            output::saved(&saved, *submit, fmt);
        }
        Command::Retention(RetentionCmd::Show { .. }) => {
            let r = ws.active().await?.retention().await?;
            output::retention(&r, fmt);
        }
        Command::Retention(RetentionCmd::Set { date, rule }) => {
            ws.active()
                .await?
                .set_retention(date, rule.as_deref())
                .await?;
            println!("Retention date set to {date}.");
        }
        Command::Qualification {
            user,
            kind,
            title,
            date,
        } => {
            ws.active()
                .await?
                .add_qualification(&airlock_app::json::QualificationInput {
                    user: user.clone(),
                    kind: kind.clone(),
                    title: title.clone(),
                    date: date.clone(),
                    note: None,
                })
                .await?;
            println!("Recorded the {kind} of {user}.");
        }
        Command::Destroy {
            certificate,
            audit_out,
            confirm,
            organization,
            organization_contact,
            title,
            location,
            contact,
            media,
            media_destination,
            verifier,
            verifier_passphrase_file,
            verifier_title,
            ..
        } => {
            let verifier = match (verifier, verifier_passphrase_file) {
                (Some(name), Some(f)) => Some(airlock_app::json::VerifierInput {
                    name: name.clone(),
                    passphrase: secrecy::ExposeSecret::expose_secret(&read_secret_file(
                        f,
                        "verifier passphrase",
                    )?)
                    .to_string(),
                    title: verifier_title.clone(),
                }),
                (Some(_), None) => {
                    bail!("give the second person's passphrase with --verifier-passphrase-file")
                }
                (None, _) => None,
            };
            let audit = audit_out
                .clone()
                .unwrap_or_else(|| certificate.with_extension("audit.jsonl"));
            let req = airlock_app::json::DestroyRequest {
                confirm_project: confirm.clone(),
                certificate_out: certificate.display().to_string(),
                audit_out: audit.display().to_string(),
                organization: organization.clone(),
                organization_contact: organization_contact.clone(),
                title: title.clone(),
                location: location.clone(),
                contact: contact.clone(),
                media_details: media.clone(),
                media_destination: media_destination.clone(),
                verifier,
            };
            let pass = login_passphrase(cli, "your account (to confirm)")?;
            let report = ws.destroy(&req, &pass).await?;
            output::destroy(&report, fmt);
            return Ok(verify_exit(report.verified));
        }
        Command::Items(ItemsCmd::List {
            batch,
            status,
            limit,
            ..
        }) => {
            let status = status
                .as_deref()
                .map(|s| {
                    ItemStatus::parse(s).ok_or_else(|| {
                        anyhow!("unknown status {s:?}: expected held, received, quarantined or discarded")
                    })
                })
                .transpose()?;
            let page = ws
                .active()
                .await?
                .list_items(&ItemFilter {
                    batch_id: batch.clone(),
                    status,
                    offset: 0,
                    limit: *limit,
                })
                .await?;
            output::items(&page, fmt);
        }
        Command::Init { .. }
        | Command::Demo { .. }
        | Command::Receipt(_)
        | Command::Bag(_)
        | Command::Agreement { .. }
        | Command::Deid(DeidCmd::Text { .. })
        | Command::Deid(DeidCmd::Dicom { .. })
        | Command::Deid(DeidCmd::Image { .. })
        | Command::Certificate(_) => unreachable!("handled before login"),
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_kind(s: &str) -> Result<airlock_app::EventKind> {
    airlock_app::EventKind::parse(s).ok_or_else(|| anyhow!("unknown event kind {s:?}"))
}

impl Cli {
    fn vault_path(&self) -> Result<&Path> {
        self.vault
            .as_deref()
            .ok_or_else(|| anyhow!("this command needs --vault VAULT (or AIRLOCK_VAULT)"))
    }

    fn format(&self) -> Format {
        self.command.format()
    }
}

async fn package(ws: &mut Workspace, cmd: &PackageCmd, fmt: Format) -> Result<()> {
    let s = ws.active().await?;
    match cmd {
        PackageCmd::Workspace { .. } => bail!("package workspace creates a vault: give no --vault"),
        PackageCmd::Card { out, .. } => output::contact(&s.contact_export(out).await?, fmt),
        PackageCmd::Contact { card, for_user, .. } => output::contact(
            &s.contact_import_file(for_user.as_deref(), card).await?,
            fmt,
        ),
        PackageCmd::Trust { card, .. } => output::contact(&s.package_trust_lead(card).await?, fmt),
        PackageCmd::Assign { to, out, days, .. } => {
            output::package(&s.package_assign(to, out, *days).await?, fmt)
        }
        PackageCmd::Open { file, .. } => output::package(&s.package_open(file).await?, fmt),
        PackageCmd::Return { out, package, .. } => {
            output::package(&s.package_return(package.as_deref(), out).await?, fmt)
        }
        PackageCmd::Merge { file, .. } => output::merge(&s.package_merge(file).await?, fmt),
        PackageCmd::Revoke { id, reason, .. } => {
            output::package(&s.package_revoke(id, reason).await?, fmt)
        }
        PackageCmd::List { .. } => output::packages(&s.package_list().await?, fmt),
    }
    Ok(())
}
