//! Receiving data: verification against manifests and bags, quarantine, hostile input,
//! resumption, receipts, decisions, and what never leaves the source tier.

use crate::support::{pw, request, synthetic_folder, team, user_of, Fixture};
use airlock_app::json::{
    BatchDecision, BatchStatus, IngestReport, IngestRequest, ItemFilter, ItemStatus,
};
use airlock_app::{ErrorCode, Role, Workspace};
use airlock_ingest::receipt::Verdict;
use airlock_vault::Tier;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `SHA256SUMS` for every file directly in `dir` (sorted).
fn manifest_for(dir: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    names.sort();
    let text: String = names
        .iter()
        .map(|n| format!("{}  {n}\n", sha(&std::fs::read(dir.join(n)).unwrap())))
        .collect();
    std::fs::write(dir.join("SHA256SUMS"), text).unwrap();
}

async fn ingest(
    ws: &mut Workspace,
    req: &IngestRequest,
) -> Result<IngestReport, airlock_app::AppError> {
    ws.active()
        .await
        .unwrap()
        .ingest(req, &|_| {}, Arc::new(AtomicBool::new(false)))
        .await
}

fn count(r: &IngestReport, v: Verdict) -> u64 {
    r.totals
        .iter()
        .find(|t| t.verdict == v)
        .map_or(0, |t| t.files)
}

/// Files in the vault's blob store (ciphertext), excluding temp files.
fn blob_files(vault: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !e.file_name().to_string_lossy().starts_with(".tmp-") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&vault.join("blobs"), &mut out);
    out
}

async fn items(ws: &mut Workspace) -> Vec<airlock_app::json::ItemDto> {
    ws.active()
        .await
        .unwrap()
        .list_items(&ItemFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows
}

#[tokio::test]
async fn a_verified_delivery_is_stored_encrypted_released_and_receipted() {
    let fx = team().await;
    let src = synthetic_folder(&fx.vault, "good", 5);
    std::fs::write(
        src.join("Roe, Jane - MRN 0000.txt"),
        "Synthetic note for a synthetic person.\n",
    )
    .unwrap();
    manifest_for(&src);
    let mut ws = fx.login_as(Role::Lead).await;
    let r = ingest(&mut ws, &request(&src)).await.unwrap();
    assert!(r.all_verified, "{:?}", r.totals);
    assert_eq!(r.status, BatchStatus::Received);
    assert_eq!(count(&r, Verdict::Verified), 6);
    assert_eq!(r.files_read, 6);
    assert!(r.warnings.iter().any(|w| w.contains("SHA256SUMS")));
    let listed = items(&mut ws).await;
    assert_eq!(listed.len(), 6);
    assert!(listed.iter().all(|i| i.status == ItemStatus::Received));
    assert!(listed
        .iter()
        .any(|i| i.source_name == "Roe, Jane - MRN 0000.txt"));

    // Nothing identifying on disk in the clear: not the file name, not the content.
    for f in blob_files(&fx.vault) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1"));
        assert!(!String::from_utf8_lossy(&bytes).contains("Synthetic note"));
        assert!(!f.to_string_lossy().contains("Roe"));
    }
    for name in ["vault.db", "vault.db-wal"] {
        if let Ok(bytes) = std::fs::read(fx.vault.join(name)) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("Roe, Jane"),
                "{name} holds a file name in the clear"
            );
        }
    }

    // The receipt exports, verifies, and any change to it is detected.
    let out = fx.vault.with_file_name("receipt.json");
    let s = ws.active().await.unwrap();
    let exported = s.export_receipt(&r.batch_id, &out).await.unwrap();
    assert_eq!(Some(exported.receipt_sha256.clone()), r.receipt_sha256);
    let check = airlock_app::verify_receipt_file(&out).unwrap();
    assert!(check.ok, "{}", check.message);
    assert!(std::fs::read_to_string(&exported.text_path)
        .unwrap()
        .contains("everything verified"));
    let tampered = std::fs::read_to_string(&out)
        .unwrap()
        .replace("\"verified\"", "\"mismatched\"");
    std::fs::write(&out, tampered).unwrap();
    assert!(!airlock_app::verify_receipt_file(&out).unwrap().ok);

    // Offered again: recognised, nothing stored twice.
    let blobs_before = blob_files(&fx.vault).len();
    let again = ingest(&mut ws, &request(&src)).await.unwrap();
    assert!(again.already_received);
    assert_eq!(again.batch_id, r.batch_id);
    assert_eq!(blob_files(&fx.vault).len(), blobs_before);
    assert_eq!(items(&mut ws).await.len(), 6);
    ws.logout().await.unwrap();

    // The audit trail records the delivery by ids and counts; never a file name.
    let mut c = fx.login_as(Role::Compliance).await;
    let export = fx.vault.with_file_name("audit.jsonl");
    c.active()
        .await
        .unwrap()
        .audit_export(airlock_app::json::ExportFormat::Jsonl, &export)
        .await
        .unwrap();
    let log = std::fs::read_to_string(&export).unwrap();
    for kind in [
        "ingest_started",
        "ingest_completed",
        "ingest_repeated",
        "receipt_exported",
        "source_items_viewed",
    ] {
        assert!(log.contains(kind), "{kind} is audited");
    }
    assert!(
        !log.contains("Roe") && !log.contains("note-000"),
        "no file names in the audit log"
    );
    assert!(c.active().await.unwrap().audit_verify().await.unwrap().ok);
}

#[tokio::test]
async fn one_flipped_byte_in_any_file_is_detected_and_quarantined() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Lead).await;
    for target in 0..4usize {
        let src = synthetic_folder(&fx.vault, &format!("flip{target}"), 4);
        manifest_for(&src);
        let victim = src.join(format!("note-{target:03}.txt"));
        let mut bytes = std::fs::read(&victim).unwrap();
        let at = (target * 7) % bytes.len();
        bytes[at] ^= 1 << (target % 8);
        std::fs::write(&victim, bytes).unwrap();
        let r = ingest(&mut ws, &request(&src)).await.unwrap();
        assert!(!r.all_verified);
        assert_eq!(r.status, BatchStatus::NeedsDecision);
        assert_eq!(count(&r, Verdict::Mismatched), 1, "file {target}");
        let bad = r
            .files
            .iter()
            .find(|f| f.verdict == Verdict::Mismatched)
            .unwrap();
        assert_eq!(bad.path, format!("note-{target:03}.txt"));
        assert_ne!(
            bad.sha256.as_deref(),
            bad.expected.as_ref().map(|e| e.hex.as_str())
        );
        let batch_items: Vec<_> = items(&mut ws)
            .await
            .into_iter()
            .filter(|i| i.batch_id == r.batch_id)
            .collect();
        assert_eq!(
            batch_items
                .iter()
                .filter(|i| i.status == ItemStatus::Quarantined)
                .count(),
            1
        );
        assert_eq!(
            batch_items
                .iter()
                .filter(|i| i.status == ItemStatus::Held)
                .count(),
            3,
            "verified files wait for the lead's decision"
        );
    }
}

#[tokio::test]
async fn missing_extra_empty_unsupported_and_unreadable_files_are_reported() {
    let fx = team().await;
    let src = synthetic_folder(&fx.vault, "mixed", 2);
    std::fs::write(src.join("empty.txt"), b"").unwrap();
    std::fs::write(src.join("blob.bin"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    manifest_for(&src);
    let mut m = std::fs::read_to_string(src.join("SHA256SUMS")).unwrap();
    m.push_str(&format!("{}  gone.txt\n", sha(b"gone")));
    std::fs::write(src.join("SHA256SUMS"), m).unwrap();
    std::fs::write(src.join("extra.txt"), b"not in the manifest").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", src.join("link.txt")).unwrap();
    {
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(
            src.join(std::ffi::OsStr::from_bytes(b"bad\xffname.txt")),
            b"x",
        )
        .unwrap();
    }
    let mut ws = fx.login_as(Role::Lead).await;
    let r = ingest(&mut ws, &request(&src)).await.unwrap();
    assert_eq!(count(&r, Verdict::Verified), 2);
    assert_eq!(count(&r, Verdict::Missing), 1);
    assert_eq!(count(&r, Verdict::Extra), 1);
    assert_eq!(count(&r, Verdict::Empty), 1);
    assert_eq!(count(&r, Verdict::Unsupported), 1);
    assert_eq!(
        count(&r, Verdict::Unreadable),
        2,
        "the link and the non-UTF-8 name"
    );
    assert_eq!(r.status, BatchStatus::NeedsDecision);

    // The lead releases the verified files; problem files stay quarantined.
    let s = ws.active().await.unwrap();
    assert_eq!(
        s.decide_batch(&r.batch_id, BatchDecision::ReleaseVerified, None)
            .await
            .unwrap(),
        BatchStatus::Released
    );
    let e = s
        .decide_batch(&r.batch_id, BatchDecision::Abort, Some("changed my mind"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict, "a decided batch stays decided");
    let listed = items(&mut ws).await;
    assert_eq!(
        listed
            .iter()
            .filter(|i| i.status == ItemStatus::Received)
            .count(),
        2
    );
    assert_eq!(
        listed
            .iter()
            .filter(|i| i.status == ItemStatus::Quarantined)
            .count(),
        3
    );
}

#[tokio::test]
async fn hostile_manifests_are_refused_and_change_nothing() {
    let fx = team().await;
    let mut ws = fx.login_as(Role::Lead).await;
    let good = sha(b"x");
    let cases = [
        ("escape", format!("{good}  ../outside.txt\n")),
        ("absolute", format!("{good}  /etc/passwd\n")),
        (
            "duplicate",
            format!("{good}  note-000.txt\n{good} *note-000.txt\n"),
        ),
        ("malformed", "this is not a manifest\n".to_string()),
        ("badhex", format!("{}  note-000.txt\n", &good[..50])),
    ];
    for (name, manifest) in cases {
        let src = synthetic_folder(&fx.vault, name, 1);
        std::fs::write(src.join("SHA256SUMS"), manifest).unwrap();
        let e = ingest(&mut ws, &request(&src)).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{name}: {}", e.message);
        assert!(
            e.message.contains("line"),
            "{name}: the message names the line: {}",
            e.message
        );
        assert!(
            !e.message.contains("passwd") && !e.message.contains("note-000"),
            "{}",
            e.message
        );
    }
    assert!(blob_files(&fx.vault).is_empty(), "nothing was stored");
    assert!(items(&mut ws).await.is_empty());
    let s = ws.active().await.unwrap();
    assert!(s.list_batches().await.unwrap().is_empty());
    ws.logout().await.unwrap();
    let kinds = crate::support::event_kinds(&fx).await;
    assert_eq!(kinds.iter().filter(|k| *k == "ingest_refused").count(), 5);
}

#[tokio::test]
async fn a_cancelled_ingest_resumes_and_stores_every_file_once() {
    let fx = team().await;
    let src = fx.vault.with_file_name("src-big");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..300u32 {
        let body: Vec<u8> = format!("synthetic file {i} ")
            .bytes()
            .cycle()
            .take(200_000)
            .collect();
        std::fs::write(src.join(format!("f{i:04}.txt")), body).unwrap();
    }
    manifest_for(&src);
    let mut ws = fx.login_as(Role::Lead).await;
    let cancel = Arc::new(AtomicBool::new(false));
    // Cancel as a person would, part-way: once some 40 files are in the blob store.
    let watcher = std::thread::spawn({
        let (cancel, vault) = (cancel.clone(), fx.vault.clone());
        move || {
            while blob_files(&vault).len() < 40 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            cancel.store(true, Ordering::Relaxed);
        }
    });
    let seen = AtomicU64::new(0);
    let progress = |_: airlock_app::json::IngestProgress| {
        seen.fetch_add(1, Ordering::Relaxed);
    };
    let first = ws
        .active()
        .await
        .unwrap()
        .ingest(&request(&src), &progress, cancel.clone())
        .await
        .unwrap();
    watcher.join().unwrap();
    assert!(seen.load(Ordering::Relaxed) > 0, "progress was reported");
    assert!(
        first.cancelled,
        "the run stopped early: {} files read",
        first.files_read
    );
    assert_eq!(first.status, BatchStatus::Receiving);
    assert!(first.files_read < 300);
    let stored_after_cancel = items(&mut ws).await.len();
    assert!(stored_after_cancel >= 40);

    let second = ingest(&mut ws, &request(&src)).await.unwrap();
    assert!(second.all_verified, "{:?}", second.totals);
    assert_eq!(
        second.batch_id, first.batch_id,
        "the rerun resumed the same batch"
    );
    assert_eq!(count(&second, Verdict::Verified), 300);
    assert_eq!(
        second.files_read as usize,
        300 - stored_after_cancel,
        "stored files are skipped"
    );
    let all = items(&mut ws).await;
    assert_eq!(all.len(), 300, "each file is an item exactly once");
    assert!(all.iter().all(|i| i.status == ItemStatus::Received));
    assert_eq!(
        blob_files(&fx.vault).len(),
        301,
        "300 files and one receipt, each stored once"
    );
    ws.logout().await.unwrap();
    let kinds = crate::support::event_kinds(&fx).await;
    assert!(kinds.contains(&"ingest_interrupted".to_string()));
}

#[tokio::test]
async fn bags_csv_rows_and_jsonl_lines() {
    let fx = team().await;
    let bag = fx.vault.with_file_name("bag");
    std::fs::create_dir_all(bag.join("data")).unwrap();
    std::fs::write(
        bag.join("data/notes.csv"),
        "id,text\n1,first synthetic note\n2,\"second, with comma\"\n3,third\n",
    )
    .unwrap();
    std::fs::write(
        bag.join("data/lines.jsonl"),
        "{\"text\":\"a\"}\n{\"text\":\"b\"}\n",
    )
    .unwrap();
    let mut manifest = String::new();
    for f in ["data/lines.jsonl", "data/notes.csv"] {
        manifest += &format!("{}  {f}\n", sha(&std::fs::read(bag.join(f)).unwrap()));
    }
    std::fs::write(bag.join("manifest-sha256.txt"), &manifest).unwrap();
    std::fs::write(
        bag.join("bagit.txt"),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    )
    .unwrap();
    let octets: u64 = ["data/lines.jsonl", "data/notes.csv"]
        .iter()
        .map(|f| std::fs::metadata(bag.join(f)).unwrap().len())
        .sum();
    std::fs::write(
        bag.join("bag-info.txt"),
        format!("Source-Organization: Synthetic Site\nPayload-Oxum: {octets}.2\n"),
    )
    .unwrap();
    let mut ws = fx.login_as(Role::Lead).await;
    let r = ingest(
        &mut ws,
        &IngestRequest {
            bagit: true,
            ..request(&bag)
        },
    )
    .await
    .unwrap();
    assert!(r.all_verified, "{:?} {:?}", r.totals, r.bag_problems);
    assert_eq!(r.items, 5, "three CSV rows and two JSONL lines");
    let names: Vec<String> = items(&mut ws)
        .await
        .into_iter()
        .map(|i| i.source_name)
        .collect();
    assert!(
        names.contains(&"data/notes.csv #row 2".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"data/lines.jsonl #line 1".to_string()),
        "{names:?}"
    );

    // A bag that needs fetching is refused before anything is stored.
    let fetch = fx.vault.with_file_name("bag2");
    std::fs::create_dir_all(fetch.join("data")).unwrap();
    std::fs::write(
        fetch.join("bagit.txt"),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    )
    .unwrap();
    std::fs::write(fetch.join("manifest-sha256.txt"), "").unwrap();
    std::fs::write(
        fetch.join("fetch.txt"),
        "https://example.invalid/x 1 data/x\n",
    )
    .unwrap();
    let e = ingest(&mut ws, &request(&fetch)).await.unwrap_err();
    assert!(e.message.contains("fetch.txt"), "{}", e.message);

    // A CSV without a text column is quarantined, and says why.
    let csv = synthetic_folder(&fx.vault, "csv", 0);
    std::fs::write(csv.join("table.csv"), "a,b\n1,2\n").unwrap();
    let r = ingest(&mut ws, &request(&csv)).await.unwrap();
    assert_eq!(count(&r, Verdict::Unsupported), 1);
    assert!(r.files[0].note.as_deref().unwrap().contains("text column"));
}

#[tokio::test]
async fn only_leads_ingest_and_other_keys_cannot_read_what_arrived() {
    let fx = team().await;
    let src = synthetic_folder(&fx.vault, "tier", 1);
    let mut lead = fx.login_as(Role::Lead).await;
    ingest(&mut lead, &request(&src)).await.unwrap();
    lead.logout().await.unwrap();
    for role in [Role::Annotator, Role::Reviewer, Role::Compliance] {
        let mut ws = fx.login_as(role).await;
        let e = ingest(&mut ws, &request(&src)).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        ws.logout().await.unwrap();
        // Even with the vault crate used directly, their keys do not open source blobs.
        let mut v = airlock_vault::Vault::open(&fx.vault).unwrap();
        let (name, pass) = user_of(role);
        let (_, _, keys) = v
            .unlock(name, &pw(pass), time::OffsetDateTime::now_utc())
            .ok()
            .unwrap();
        let store = v.blobs(&keys.work, keys.source.as_ref());
        for f in blob_files(&fx.vault) {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let blob = airlock_vault::BlobRef {
                tier: Tier::Source,
                name,
                size: 0,
            };
            assert!(
                store.read_all(&blob).is_err(),
                "{role} cannot read source content"
            );
        }
    }
}

#[tokio::test]
async fn aborting_a_batch_discards_it_and_lets_the_delivery_be_received_again() {
    let fx: Fixture = team().await;
    let src = synthetic_folder(&fx.vault, "abort", 2);
    manifest_for(&src);
    std::fs::write(
        src.join("note-000.txt"),
        b"changed after the manifest was made",
    )
    .unwrap();
    let mut ws = fx.login_as(Role::Lead).await;
    let r = ingest(&mut ws, &request(&src)).await.unwrap();
    assert_eq!(r.status, BatchStatus::NeedsDecision);
    let s = ws.active().await.unwrap();
    let e = s
        .decide_batch(&r.batch_id, BatchDecision::Abort, None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "an abort needs a reason");
    s.decide_batch(&r.batch_id, BatchDecision::Abort, Some("site will resend"))
        .await
        .unwrap();
    assert!(items(&mut ws)
        .await
        .iter()
        .all(|i| i.status == ItemStatus::Discarded));
    let again = ingest(&mut ws, &request(&src)).await.unwrap();
    assert!(!again.already_received);
    assert_ne!(again.batch_id, r.batch_id);
    let batches = ws.active().await.unwrap().list_batches().await.unwrap();
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().any(|b| b.status == BatchStatus::Aborted));
}
