//! Audit and unlock benchmark, run by `scripts/bench/audit` in release mode.
//!
//! Measures, on a real SQLCipher vault: unlock (argon2id with the production parameters,
//! plus opening the database), appending events one transaction each (how the app
//! writes) and in batches (bulk), verifying N events in the vault and from an exported
//! JSONL file. Prints a human summary and one JSON line for scripts.

use airlock_audit::{EventDraft, ExportSigner};
use airlock_model::{EventKind, Outcome, Role, UserId};
use airlock_vault::{KdfParams, PersonalKeys, Policy, Vault};
use secrecy::SecretString;
use std::collections::HashMap;
use std::time::Instant;

fn draft(i: u64, actor: UserId) -> EventDraft {
    let mut d = EventDraft::system(
        EventKind::Login,
        airlock_audit::format_ts(time::OffsetDateTime::now_utc()),
    );
    d.actor_id = Some(actor);
    d.actor_role = Some(Role::Annotator);
    d.outcome = Outcome::Success;
    d.object_kind = Some("session".into());
    d.object_id = Some(uuid_like(i));
    d.detail.insert("n".into(), i.into());
    d
}

fn uuid_like(i: u64) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.airlock");
    let (mut vault, keys, _) =
        Vault::create(&path, KdfParams::DEFAULT, Policy::default()).expect("create");
    let pool = vault.connect(&keys.work).await.expect("connect");
    pool.close().await;
    let user = UserId::new();
    let personal = PersonalKeys::generate();
    let signing = personal.signing.clone();
    let pass = SecretString::from("benchmark passphrase".to_string());
    vault
        .add_user_slot(
            user,
            Role::Lead,
            "bench",
            &pass,
            &keys.work,
            Some(&keys.source),
            personal,
        )
        .expect("slot");

    let mut unlock_ms = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let (_, _, k) = vault
            .unlock("bench", &pass, time::OffsetDateTime::now_utc())
            .ok()
            .expect("unlock");
        let p = vault.connect(&k.work).await.expect("connect");
        unlock_ms.push(t.elapsed().as_secs_f64() * 1e3);
        p.close().await;
    }
    let pool = vault.connect(&keys.work).await.expect("connect");

    // One transaction per event, as the app writes (BEGIN IMMEDIATE … COMMIT, fsync).
    let single = 2_000u64.min(n);
    let t = Instant::now();
    for i in 0..single {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        airlock_audit::append(&mut tx, vault.id(), draft(i, user))
            .await
            .expect("append");
        tx.commit().await.expect("commit");
    }
    let single_rate = single as f64 / t.elapsed().as_secs_f64();

    // Through the real append(): transactions of 1,000 events.
    let batched = 20_000u64.min(n.saturating_sub(single));
    let t = Instant::now();
    let mut i = single;
    while i < single + batched {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        let end = (i + 1_000).min(single + batched);
        while i < end {
            airlock_audit::append(&mut tx, vault.id(), draft(i, user))
                .await
                .expect("append");
            i += 1;
        }
        tx.commit().await.expect("commit");
    }
    let bulk_rate = batched as f64 / t.elapsed().as_secs_f64().max(1e-9);

    // Fill up to n with correctly chained events written by multi-row INSERTs (a bench
    // shortcut; the verification below does not know the difference).
    let t = Instant::now();
    let mut conn = pool.acquire().await.expect("conn");
    let (mut seq, mut prev) = airlock_audit::head(&mut conn, vault.id())
        .await
        .expect("head");
    drop(conn);
    while (seq as u64) < n {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        for _ in 0..50 {
            let rows = 200.min(n - seq as u64);
            if rows == 0 {
                break;
            }
            let mut sql = String::from(
                "INSERT INTO audit_events (seq, id, ts, actor_id, actor_role, session_id, action, outcome, \
                 object_kind, object_id, detail, break_glass, prev_hash, hash) VALUES ",
            );
            let mut evs = Vec::new();
            for r in 0..rows {
                let e =
                    airlock_audit::Event::seal(seq + 1, prev.clone(), draft(seq as u64 + 1, user));
                seq += 1;
                prev = e.hash.clone();
                sql.push_str(if r == 0 {
                    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                } else {
                    ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                });
                evs.push(e);
            }
            let mut q = sqlx::query(&sql);
            for e in &evs {
                q = q
                    .bind(e.seq)
                    .bind(e.id.to_string())
                    .bind(e.ts.clone())
                    .bind(e.actor_id.map(|u| u.to_string()))
                    .bind(e.actor_role.map(|r| r.as_str()))
                    .bind(e.session_id.map(|s| s.to_string()))
                    .bind(e.action.as_str())
                    .bind(e.outcome.as_str())
                    .bind(e.object_kind.clone())
                    .bind(e.object_id.clone())
                    .bind(e.detail.clone())
                    .bind(e.break_glass)
                    .bind(e.prev_hash.clone())
                    .bind(e.hash.clone());
            }
            q.execute(&mut *tx).await.expect("bulk insert");
        }
        if seq % 100_000 < 10_000 {
            airlock_audit::checkpoint(
                &mut tx,
                vault.id(),
                user,
                &signing,
                time::OffsetDateTime::now_utc(),
            )
            .await
            .expect("checkpoint");
        }
        tx.commit().await.expect("commit");
    }
    let fill_s = t.elapsed().as_secs_f64();
    let mut conn = pool.acquire().await.expect("conn");
    airlock_audit::checkpoint(
        &mut conn,
        vault.id(),
        user,
        &signing,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("checkpoint");

    let keys_map = HashMap::from([(hex::encode(signing.verifying_key().as_bytes()), user)]);
    let t = Instant::now();
    let events = airlock_audit::load_events(&mut conn).await.expect("load");
    let cps = airlock_audit::load_checkpoints(&mut conn)
        .await
        .expect("load");
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = airlock_audit::verify_chain(vault.id(), &events, &cps, &keys_map);
    let chain_s = t.elapsed().as_secs_f64();
    assert!(report.ok, "bench chain verifies");

    let mut bytes = Vec::new();
    let signers = vec![ExportSigner {
        user_id: user,
        name: "bench".into(),
        public_key: hex::encode(signing.verifying_key().as_bytes()),
    }];
    airlock_audit::export_jsonl(
        &mut bytes,
        vault.id(),
        &events,
        &cps,
        &[],
        signers,
        user,
        &signing,
        "now".into(),
    )
    .expect("export");
    let t = Instant::now();
    let (file_report, _, _) = airlock_audit::verify_jsonl(&bytes);
    let file_s = t.elapsed().as_secs_f64();
    assert!(file_report.ok, "bench export verifies");

    let unlock = median(unlock_ms);
    println!("events                         {n}");
    println!("unlock (argon2id 64 MiB, t=3, p=1, + open db)   {unlock:.0} ms (median of 7)");
    println!("append, one transaction each   {single_rate:.0} events/s");
    println!("append, 1k per transaction     {bulk_rate:.0} events/s");
    println!("(filled to {n} events in {fill_s:.0} s with multi-row inserts)");
    println!(
        "verify in vault                {:.2} s  (load {load_s:.2} s + chain {chain_s:.2} s)",
        load_s + chain_s
    );
    println!(
        "verify exported JSONL          {file_s:.2} s  ({:.0} MB)",
        bytes.len() as f64 / 1e6
    );
    println!(
        "{}",
        serde_json::json!({
            "events": n,
            "unlock_ms": unlock,
            "append_single_tx_events_per_s": single_rate,
            "append_batched_events_per_s": bulk_rate,
            "verify_vault_s": load_s + chain_s,
            "verify_vault_load_s": load_s,
            "verify_vault_chain_s": chain_s,
            "verify_export_s": file_s,
            "export_bytes": bytes.len(),
            "target_verify_s": 2.0,
        })
    );
}
