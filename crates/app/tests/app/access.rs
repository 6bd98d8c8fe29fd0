//! Who may do what, and who may get in.

use crate::support::{pw, team, user_of, Fixture, LEAD};
use airlock_app::json::{AuditFilter, BatchDecision, ExportFormat, Policy, UserStatus};
use airlock_app::{Action, AppError, ErrorCode, Role, Workspace};
use airlock_vault::{Tier, Vault};
use secrecy::SecretString;
use time::Duration;

/// Batches the lead received before the matrix walk: one with a problem (to decide on)
/// and one clean (to export the receipt of).
struct Batches {
    undecided: String,
    clean: String,
    schema: String,
}

/// `Ok` when `r` failed only with `expected`, a refusal that comes after the permission
/// check; any other result is returned as it was.
fn passed_check(r: Result<(), AppError>, expected: ErrorCode) -> Result<(), AppError> {
    match r {
        Err(e) if e.code == expected => Ok(()),
        other => other,
    }
}

/// Performs the use case that `action` names, as the logged-in user.
async fn attempt(
    ws: &mut Workspace,
    fx: &Fixture,
    action: Action,
    n: usize,
    batches: &Batches,
) -> Result<(), AppError> {
    let me = ws.active().await?.role();
    let (_, my_pass) = user_of(me);
    let s = ws.active().await?;
    match action {
        Action::ChangeOwnPassphrase => s.change_passphrase(&pw(my_pass), &pw(my_pass)).await,
        Action::ManageOwnTotp => s.totp_begin().await.map(drop),
        Action::ViewVaultInfo => s.vault_info().await.map(drop),
        Action::ListUsers => s.list_users().await.map(drop),
        Action::AddUser => s
            .add_user(
                &format!("new.user{n}"),
                Role::Annotator,
                &pw("initial passphrase"),
            )
            .await
            .map(drop),
        Action::DisableUser => s.disable_user(&format!("target{n}")).await,
        Action::UnlockUser => s.unlock_user(&format!("target{n}")).await,
        Action::ChangeSettings => {
            s.set_policy(&Policy {
                max_failed_logins: 5,
                lockout_minutes: 15,
                idle_timeout_minutes: 15,
            })
            .await
        }
        Action::ViewAudit => s
            .audit_query(&AuditFilter {
                limit: 5,
                ..Default::default()
            })
            .await
            .map(drop),
        Action::VerifyAudit => s.audit_verify().await.map(drop),
        Action::ExportAudit => s
            .audit_export(
                ExportFormat::Jsonl,
                &fx.vault.with_file_name(format!("export{n}.jsonl")),
            )
            .await
            .map(drop),
        Action::StartBreakGlass => s
            .start_break_glass("testing the permission matrix", 5)
            .await
            .map(drop),
        Action::Ingest => {
            let src = crate::support::synthetic_folder(&fx.vault, &format!("matrix{n}"), 2);
            s.ingest(&crate::support::request(&src), &|_| {}, Default::default())
                .await
                .map(drop)
        }
        Action::ViewSourceItems => s.list_items(&Default::default()).await.map(drop),
        Action::DecideBatch => s
            .decide_batch(&batches.undecided, BatchDecision::ReleaseVerified, None)
            .await
            .map(drop),
        Action::RunDeid => s.deid_run(None).await.map(drop),
        Action::ManageSchemas => s
            .schema_create(&crate::support::span_schema(&format!("matrix {n}")))
            .await
            .map(drop),
        Action::ViewSchemas => s.schema_list().await.map(drop),
        Action::Assign => s
            .assign_preview(&airlock_app::json::AssignRequest {
                schema_id: batches.schema.clone(),
                batch_id: None,
                annotators: vec![user_of(Role::Annotator).0.to_string()],
                overlap: 1,
            })
            .await
            .map(drop),
        Action::ViewProgress => s.progress().await.map(drop),
        Action::Annotate => s.my_queue().await.map(drop),
        Action::Review => s.review_queue().await.map(drop),
        Action::ViewAgreement => s.agreement(&batches.schema).await.map(drop),
        // These two pass the permission check and then stop on a precondition (nothing is
        // labelled yet; the name is not confirmed), which is what the matrix can observe
        // without delivering or destroying anything.
        Action::Export => passed_check(
            s.export_deliverable(&airlock_app::json::ExportRequest {
                schema_id: Some(batches.schema.clone()),
                gold_only: true,
                recipients: vec![],
                passphrase: None,
                plaintext: true,
                out: fx
                    .vault
                    .with_file_name(format!("export{n}"))
                    .display()
                    .to_string(),
                reason: "permission matrix".into(),
            })
            .await
            .map(drop),
            ErrorCode::Conflict,
        ),
        Action::ManageQualifications => {
            s.add_qualification(&airlock_app::json::QualificationInput {
                user: user_of(Role::Annotator).0.into(),
                kind: "training".into(),
                title: "HIPAA privacy training".into(),
                date: "2026-11-01".into(),
                note: None,
            })
            .await
        }
        Action::ViewRetention => s.retention().await.map(drop),
        Action::SetRetention => s.set_retention("2099-12-31", Some("matrix")).await,
        Action::Destroy => {
            let req = airlock_app::json::DestroyRequest {
                confirm_project: "not the project name".into(),
                certificate_out: fx
                    .vault
                    .with_file_name(format!("cert{n}.json"))
                    .display()
                    .to_string(),
                audit_out: fx
                    .vault
                    .with_file_name(format!("audit{n}.jsonl"))
                    .display()
                    .to_string(),
                organization: "Org".into(),
                organization_contact: "c".into(),
                title: "t".into(),
                location: "l".into(),
                contact: "c".into(),
                media_details: None,
                media_destination: "reuse".into(),
                verifier: None,
            };
            passed_check(
                ws.destroy(&req, &pw(my_pass)).await.map(drop),
                ErrorCode::InvalidInput,
            )
        }
        Action::ValidateDeid => s.deid_batch_state(&batches.clean).await.map(drop),
        Action::ExportContact => s
            .contact_export(&fx.vault.with_file_name(format!("card{n}.json")))
            .await
            .map(drop),
        // The package actions pass the permission check and then stop on a precondition
        // (no card, no package file, nothing open), which needs no second laptop.
        Action::ImportContact => passed_check(
            s.contact_import(user_of(Role::Annotator).0, b"{}")
                .await
                .map(drop),
            ErrorCode::InvalidInput,
        ),
        Action::ExportPackage => passed_check(
            s.package_assign(
                user_of(Role::Annotator).0,
                &fx.vault.with_file_name(format!("pkg{n}")),
                14,
            )
            .await
            .map(drop),
            ErrorCode::Conflict,
        ),
        Action::OpenPackage => passed_check(
            s.package_open(&fx.vault.with_file_name("no-such.pkg"))
                .await
                .map(drop),
            ErrorCode::NotFound,
        ),
        Action::ReturnPackage => passed_check(
            s.package_return(None, &fx.vault.with_file_name(format!("result{n}")))
                .await
                .map(drop),
            ErrorCode::NotFound,
        ),
        Action::MergePackage => passed_check(
            s.package_merge(&fx.vault.with_file_name("no-such.pkg"))
                .await
                .map(drop),
            ErrorCode::NotFound,
        ),
        Action::RevokePackage => passed_check(
            s.package_revoke("no-such-package", "matrix")
                .await
                .map(drop),
            ErrorCode::NotFound,
        ),
        Action::ViewPackages => s.package_list().await.map(drop),
        Action::ExportReceipt => s
            .export_receipt(
                &batches.clean,
                &fx.vault.with_file_name(format!("receipt{n}.json")),
            )
            .await
            .map(drop),
    }
}

#[tokio::test]
async fn every_role_action_pair_is_enforced_as_the_table_says() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    for n in 0..Role::ALL.len() * Action::ALL.len() {
        lead.active()
            .await
            .unwrap()
            .add_user(
                &format!("target{n}"),
                Role::Annotator,
                &pw("target passphrase"),
            )
            .await
            .unwrap();
    }
    let s = lead.active().await.unwrap();
    let clean = crate::support::synthetic_folder(&fx.vault, "clean", 2);
    let clean = s
        .ingest(
            &crate::support::request(&clean),
            &|_| {},
            Default::default(),
        )
        .await
        .unwrap();
    let undecided = crate::support::synthetic_folder(&fx.vault, "undecided", 2);
    std::fs::write(
        undecided.join("SHA256SUMS"),
        "0000000000000000000000000000000000000000000000000000000000000000  gone.txt\n",
    )
    .unwrap();
    let undecided = s
        .ingest(
            &crate::support::request(&undecided),
            &|_| {},
            Default::default(),
        )
        .await
        .unwrap();
    let schema = s
        .schema_create(&crate::support::span_schema("matrix"))
        .await
        .unwrap();
    s.schema_publish(&schema.id).await.unwrap();
    let batches = Batches {
        undecided: undecided.batch_id,
        clean: clean.batch_id,
        schema: schema.id,
    };
    lead.logout().await.unwrap();

    let mut n = 0;
    for role in Role::ALL {
        for action in Action::ALL {
            let mut ws = fx.login_as(role).await;
            let result = attempt(&mut ws, &fx, action, n, &batches).await;
            n += 1;
            if role.may(action) {
                assert!(
                    result.is_ok(),
                    "{role} should be allowed {action:?}: {result:?}"
                );
            } else {
                let err = result.expect_err("denied");
                assert_eq!(
                    err.code,
                    ErrorCode::Forbidden,
                    "{role} must be refused {action:?}"
                );
            }
            ws.logout().await.unwrap();
        }
    }
    let kinds = crate::support::event_kinds(&fx).await;
    let denials = kinds.iter().filter(|k| *k == "access_denied").count();
    let expected = Role::ALL
        .iter()
        .flat_map(|r| Action::ALL.iter().map(move |a| (*r, *a)))
        .filter(|(r, a)| !r.may(*a))
        .count();
    assert_eq!(denials, expected, "every refusal is audited once");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_are_audited() {
    let fx = team().await;
    let mut ws = fx.open().await;
    let (name, pass) = user_of(Role::Annotator);
    for _ in 0..4 {
        let e = ws
            .login(name, &pw("wrong passphrase!"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadCredentials);
        assert_eq!(e.message, "User name or passphrase not recognised.");
    }
    let e = ws
        .login(name, &pw("wrong passphrase!"), None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccountLocked, "the fifth failure locks");
    let e = ws.login(name, &pw(pass), None).await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::AccountLocked,
        "even the right passphrase is refused while locked"
    );
    let unknown = ws.login("nobody.here", &pw(pass), None).await.unwrap_err();
    assert_eq!(
        unknown.message, "User name or passphrase not recognised.",
        "unknown users look the same"
    );

    let mut lead = fx.login_as(Role::Lead).await;
    let users = lead.active().await.unwrap().list_users().await.unwrap();
    let ann = users.iter().find(|u| u.name == name).unwrap();
    assert_eq!(ann.status, UserStatus::Locked);
    lead.active()
        .await
        .unwrap()
        .unlock_user(name)
        .await
        .unwrap();
    lead.logout().await.unwrap();
    ws.login(name, &pw(pass), None)
        .await
        .expect("unlocked by the lead");
    ws.logout().await.unwrap();

    let kinds = crate::support::event_kinds(&fx).await;
    assert_eq!(kinds.iter().filter(|k| *k == "login_failed").count(), 6);
    assert!(kinds.contains(&"account_locked".to_string()));
    assert!(kinds.contains(&"login_refused".to_string()));
    assert!(kinds.contains(&"account_unlocked".to_string()));
}

#[tokio::test]
async fn the_backend_locks_idle_sessions() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Reviewer).await;
    fx.clock.advance(Duration::minutes(14));
    ws.active()
        .await
        .expect("14 minutes idle is fine; this call counts as activity");
    fx.clock.advance(Duration::minutes(15));
    assert!(
        ws.session_status().await.is_none(),
        "idle for 15 minutes: locked"
    );
    let e = ws.active().await.err().expect("no session");
    assert_eq!(e.code, ErrorCode::NotLoggedIn);

    let mut ws = fx.login_as(Role::Reviewer).await;
    fx.clock.advance(Duration::minutes(16));
    let e = ws.active().await.err().expect("expired");
    assert_eq!(e.code, ErrorCode::SessionExpired);
    let kinds = crate::support::event_kinds(&fx).await;
    assert!(kinds.iter().filter(|k| *k == "logout").count() >= 2);
}

#[tokio::test]
async fn totp_is_required_once_enrolled() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Reviewer).await;
    let setup = ws.active().await.unwrap().totp_begin().await.unwrap();
    let now = airlock_app::Clock::now(&*fx.clock);
    let code = totp_code(&setup.secret_base32, now);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = ws
        .active()
        .await
        .unwrap()
        .totp_confirm(wrong)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::BadCredentials,
        "enrolment needs a correct code"
    );
    ws.active()
        .await
        .unwrap()
        .totp_confirm(&code)
        .await
        .unwrap();
    ws.logout().await.unwrap();

    let (name, pass) = user_of(Role::Reviewer);
    let e = ws.login(name, &pw(pass), None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::TotpRequired);
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let e = ws.login(name, &pw(pass), Some(wrong)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCredentials);
    fx.clock.advance(time::Duration::seconds(30));
    let now = airlock_app::Clock::now(&*fx.clock);
    let code = totp_code(&setup.secret_base32, now);
    let info = ws.login(name, &pw(pass), Some(&code)).await.unwrap();
    assert!(info.totp_enabled);
    ws.logout().await.unwrap();
    let e = ws.login(name, &pw(pass), Some(&code)).await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::BadCredentials,
        "a code is accepted once, never replayed"
    );

    // Knowing the passphrase does not allow unlimited guessing of codes: wrong (and
    // replayed) codes count as failed logins even though the passphrase was right, and the
    // fifth one locks the account.
    for attempt in 2..=5 {
        let e = ws.login(name, &pw(pass), Some(wrong)).await.unwrap_err();
        let expected = if attempt < 5 {
            ErrorCode::BadCredentials
        } else {
            ErrorCode::AccountLocked
        };
        assert_eq!(e.code, expected, "attempt {attempt}");
    }
    let e = ws.login(name, &pw(pass), Some(&code)).await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::AccountLocked,
        "locked even with the right code"
    );
}

fn totp_code(secret: &str, now: time::OffsetDateTime) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .unwrap()
        .generate(now.unix_timestamp() as u64)
}

#[tokio::test]
async fn disabled_users_lose_their_slot_and_cannot_log_in() {
    let fx = team().await;
    let mut lead = fx.login_as(Role::Lead).await;
    let (name, pass) = user_of(Role::Annotator);
    let e = lead
        .active()
        .await
        .unwrap()
        .disable_user(LEAD.0)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::Conflict,
        "a lead cannot disable themself"
    );
    lead.active()
        .await
        .unwrap()
        .disable_user(name)
        .await
        .unwrap();
    lead.logout().await.unwrap();
    let header = Vault::open(&fx.vault).unwrap();
    assert!(
        header.header().slot_for_login(name).is_none(),
        "slot removed"
    );
    let e = fx
        .open()
        .await
        .login(name, &pw(pass), None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCredentials);
}

#[tokio::test]
async fn break_glass_grants_emergency_actions_for_a_limited_time_and_is_flagged() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Compliance).await;
    let (victim, _) = user_of(Role::Annotator);
    let e = ws
        .active()
        .await
        .unwrap()
        .disable_user(victim)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let e = ws
        .active()
        .await
        .unwrap()
        .start_break_glass("too short", 10)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "a reason is required");
    let info = ws
        .active()
        .await
        .unwrap()
        .start_break_glass(
            "Lost laptop reported by the annotator; disabling the account",
            10,
        )
        .await
        .unwrap();
    assert!(info.break_glass_until.is_some());
    ws.active()
        .await
        .unwrap()
        .disable_user(victim)
        .await
        .expect("allowed in an emergency");
    let e = ws
        .active()
        .await
        .unwrap()
        .add_user("someone.new", Role::Annotator, &pw("initial passphrase"))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::Forbidden,
        "emergencies never grant user creation"
    );
    fx.clock.advance(Duration::minutes(11));
    let e = ws
        .active()
        .await
        .unwrap()
        .unlock_user(victim)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::Forbidden,
        "the emergency window has closed"
    );
    let page = ws
        .active()
        .await
        .unwrap()
        .audit_query(&AuditFilter {
            break_glass_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let flagged: Vec<&str> = page.rows.iter().map(|r| r.action.as_str()).collect();
    assert!(
        flagged.contains(&"break_glass_started") && flagged.contains(&"user_disabled"),
        "{flagged:?}"
    );
    assert!(
        page.rows.iter().all(|r| !r.detail.contains("Lost laptop")),
        "the reason text stays out of the log"
    );
    ws.logout().await.unwrap();
}

#[tokio::test]
async fn the_recovery_code_resets_a_forgotten_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    let mut ws = Workspace::with_clock(
        dir.path().into(),
        std::sync::Arc::new(airlock_app::ManualClock::new()),
        airlock_app::KdfParams::INSECURE_FAST,
    );
    let created = ws
        .create_vault(&path, "Synthetic", "lee", &pw("first passphrase"))
        .await
        .unwrap();
    let e = ws
        .recover("AAAA-BBBB-CCCC", "lee", &pw("second passphrase"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCredentials);
    ws.recover(&created.recovery_code, "lee", &pw("second passphrase"))
        .await
        .unwrap();
    assert!(ws
        .login("lee", &pw("first passphrase"), None)
        .await
        .is_err());
    ws.login("lee", &pw("second passphrase"), None)
        .await
        .unwrap();
    let report = ws.active().await.unwrap().audit_verify().await.unwrap();
    assert!(
        report.ok,
        "checkpoints signed with the old key still verify: {:?}",
        report.problem
    );
    ws.logout().await.unwrap();
}

#[tokio::test]
async fn only_lead_passphrases_open_source_tier_content() {
    let fx = team().await;
    let now = time::OffsetDateTime::now_utc();
    let mut vault = Vault::open(&fx.vault).unwrap();
    let (_, _, lead_keys) = vault
        .unlock(LEAD.0, &pw(LEAD.1), now)
        .ok()
        .expect("lead unlocks");
    let source = lead_keys
        .source
        .as_ref()
        .expect("leads hold the source key");
    let blob = vault
        .blobs(&lead_keys.work, Some(source))
        .put(Tier::Source, &b"synthetic identifiable original"[..])
        .unwrap();
    for role in [Role::Annotator, Role::Reviewer, Role::Compliance] {
        let (name, pass) = user_of(role);
        let (_, _, keys) = vault.unlock(name, &pw(pass), now).ok().expect("unlocks");
        assert!(keys.source.is_none(), "{role} slot holds no source key");
        let store = vault.blobs(&keys.work, None);
        assert!(
            store.read_all(&blob).is_err(),
            "{role} cannot read source blobs"
        );
        // Even treating the ciphertext as work-tier content does not decrypt it.
        let as_work = airlock_vault::BlobRef {
            tier: Tier::Work,
            ..blob.clone()
        };
        let src = fx
            .vault
            .join("blobs/s")
            .join(&blob.name[..2])
            .join(&blob.name);
        let dst = fx.vault.join("blobs/w").join(&blob.name[..2]);
        std::fs::create_dir_all(&dst).unwrap();
        std::fs::copy(&src, dst.join(&blob.name)).unwrap();
        assert!(store.read_all(&as_work).is_err());
    }
    let lead_store = vault.blobs(&lead_keys.work, Some(source));
    assert_eq!(
        lead_store.read_all(&blob).unwrap(),
        b"synthetic identifiable original"
    );
}

#[tokio::test]
async fn the_database_and_blobs_are_unreadable_without_the_key() {
    let fx = team().await;
    let db = fx.vault.join("vault.db");
    // A lock left for a moment by a connection that just closed makes sqlite3 say
    // "locked" instead of reading the header: retry briefly, never accept it.
    let mut attempt = 0;
    let (out, stderr) = loop {
        let out = std::process::Command::new("sqlite3")
            .arg(&db)
            .arg("SELECT count(*) FROM users;")
            .output()
            .expect("sqlite3 is installed by scripts/setup");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        attempt += 1;
        if !stderr.contains("locked") || attempt == 20 {
            break (out, stderr);
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert!(
        !out.status.success() && stderr.contains("file is not a database"),
        "sqlite3 said: {stderr}"
    );
    let raw = std::fs::read(&db).unwrap();
    for needle in [&b"lee.lead"[..], b"Synthetic Study", b"SQLite format 3"] {
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle),
            "plaintext found in vault.db"
        );
    }
    let header = std::fs::read_to_string(fx.vault.join("vault.json")).unwrap();
    assert!(
        !header.contains("lee.lead") && !header.contains("Synthetic"),
        "the header names nobody"
    );
}

#[tokio::test]
async fn wrong_passphrase_for_change_is_refused_and_new_one_works() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Annotator).await;
    let (name, pass) = user_of(Role::Annotator);
    let e = ws
        .active()
        .await
        .unwrap()
        .change_passphrase(&pw("not my passphrase"), &pw("brand new passphrase"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCredentials);
    ws.active()
        .await
        .unwrap()
        .change_passphrase(&pw(pass), &pw("brand new passphrase"))
        .await
        .unwrap();
    ws.logout().await.unwrap();
    assert!(ws.login(name, &pw(pass), None).await.is_err());
    ws.login(name, &SecretString::from("brand new passphrase"), None)
        .await
        .unwrap();
    ws.logout().await.unwrap();
}
