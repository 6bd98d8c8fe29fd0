//! The audit trail: same-transaction writes, append-only storage, tamper detection.

use crate::support::{pw, team, user_of, Fixture, LEAD};
use airlock_app::json::ExportFormat;
use airlock_app::{ErrorCode, Role};
use airlock_vault::Vault;
use rand::{Rng, SeedableRng};
use sqlx::SqlitePool;

/// Opens the vault database directly with the lead's keys, as an insider with the key
/// (or a test) could, bypassing the application.
async fn raw_db(fx: &Fixture) -> SqlitePool {
    let mut vault = Vault::open(&fx.vault).unwrap();
    let (_, _, keys) = vault
        .unlock(LEAD.0, &pw(LEAD.1), time::OffsetDateTime::now_utc())
        .ok()
        .expect("lead unlocks");
    vault.connect(&keys.work).await.unwrap()
}

#[tokio::test]
async fn a_failed_transaction_leaves_neither_the_change_nor_its_event() {
    let fx = team().await;
    let db = raw_db(&fx).await;
    sqlx::query(
        "CREATE TRIGGER inject_failure BEFORE INSERT ON audit_events WHEN NEW.action = 'user_added' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .execute(&db)
    .await
    .unwrap();
    db.close().await;

    let mut ws = fx.login_as(Role::Lead).await;
    let before = ws.active().await.unwrap().list_users().await.unwrap().len();
    let err = ws
        .active()
        .await
        .unwrap()
        .add_user("ghost.user", Role::Annotator, &pw("ghost passphrase"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::VaultError);
    let users = ws.active().await.unwrap().list_users().await.unwrap();
    assert_eq!(
        users.len(),
        before,
        "the user row was rolled back with its event"
    );
    assert!(users.iter().all(|u| u.name != "ghost.user"));
    ws.logout().await.unwrap();
    assert!(
        Vault::open(&fx.vault)
            .unwrap()
            .header()
            .slot_for_login("ghost.user")
            .is_none(),
        "the key slot written for the user was removed again"
    );
    let kinds = crate::support::event_kinds(&fx).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "user_added").count(),
        4,
        "lead + three team members only"
    );
}

#[tokio::test]
async fn the_log_refuses_update_and_delete_and_verify_names_a_changed_event() {
    let fx = team().await;
    let db = raw_db(&fx).await;
    let upd = sqlx::query("UPDATE audit_events SET outcome = 'failure' WHERE seq = 3")
        .execute(&db)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM audit_events WHERE seq = 3")
        .execute(&db)
        .await;
    assert!(del.unwrap_err().to_string().contains("append-only"));

    // An insider with the key drops the trigger and edits an event.
    sqlx::query("DROP TRIGGER audit_events_no_update")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET outcome = 'failure' WHERE seq = 3")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let mut ws = fx.login_as(Role::Compliance).await;
    let report = ws.active().await.unwrap().audit_verify().await.unwrap();
    assert!(!report.ok);
    let p = report.problem.unwrap();
    assert_eq!(
        (p.seq, serde_json::to_value(p.kind).unwrap()),
        (3, serde_json::json!("changed"))
    );
    ws.logout().await.unwrap();
}

#[tokio::test]
async fn every_byte_flip_in_an_exported_log_is_detected() {
    let fx = team().await;
    let mut ws = fx.open().await;
    let (name, _) = user_of(Role::Annotator);
    let _ = ws.login(name, &pw("wrong passphrase here"), None).await;
    let mut ws = fx.login_as(Role::Compliance).await;
    let out = fx.vault.with_file_name("audit.jsonl");
    ws.active()
        .await
        .unwrap()
        .audit_export(ExportFormat::Jsonl, &out)
        .await
        .unwrap();
    let report = ws.active().await.unwrap().audit_verify().await.unwrap();
    assert!(report.ok, "{:?}", report.problem);
    ws.logout().await.unwrap();

    let bytes = std::fs::read(&out).unwrap();
    assert!(airlock_app::verify_export_file(&out).unwrap().ok);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("login_failed") && text.contains("\"type\":\"checkpoint\""));
    assert!(
        text.lines()
            .filter(|l| l.starts_with("{\"type\":\"event\""))
            .all(|l| !l.contains(name)),
        "events name users by id only (names appear only in the signer list)"
    );

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x_a11_10c);
    let mut bad = bytes.clone();
    for at in 0..bytes.len() {
        let flip: u8 = rng.gen_range(1..=255);
        bad[at] ^= flip;
        let (r, _, _) = airlock_audit::verify_jsonl(&bad);
        assert!(!r.ok, "flipping byte {at} with {flip:#04x} went unnoticed");
        bad[at] = bytes[at];
    }
}

#[tokio::test]
async fn failed_logins_before_anyone_logs_in_reach_the_chain() {
    let fx = team().await;
    let mut ws = fx.open().await;
    let _ = ws
        .login("no.such.user", &pw("some passphrase 1"), None)
        .await;
    let (name, _) = user_of(Role::Reviewer);
    let _ = ws.login(name, &pw("some passphrase 2"), None).await;
    assert_eq!(
        std::fs::read_dir(fx.vault.join("intake")).unwrap().count(),
        2,
        "held encrypted until a login"
    );
    let kinds = crate::support::event_kinds(&fx).await;
    assert_eq!(kinds.iter().filter(|k| *k == "login_failed").count(), 2);
    assert_eq!(
        std::fs::read_dir(fx.vault.join("intake")).unwrap().count(),
        0,
        "imported once, then removed"
    );
    let mut ws = fx.login_as(Role::Compliance).await;
    assert!(ws.active().await.unwrap().audit_verify().await.unwrap().ok);
    ws.logout().await.unwrap();
}
