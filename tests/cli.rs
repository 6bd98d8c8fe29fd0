//! CLI journeys, run the way a person would: the real binary, real vault files, wrong
//! passphrases, wrong roles, missing and damaged files. Every failure must be one clear
//! sentence on stderr and a non-zero exit, never a panic.

use std::path::PathBuf;
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        env.write("lead.pw", "lead passphrase 0001\n");
        env.write("ann.pw", "annotator passphrase 2\n");
        env.write("comp.pw", "compliance passphrase 3\n");
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    fn airlock(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("AIRLOCK_PASSPHRASE_FILE")
            .env_remove("AIRLOCK_VAULT")
            .env_remove("AIRLOCK_USER")
            .output()
            .unwrap()
    }

    fn as_user(&self, user: &str, pw: &str, args: &[&str]) -> Output {
        let mut all = vec!["--vault", "v", "--user", user, "--passphrase-file", pw];
        all.extend_from_slice(args);
        self.airlock(&all)
    }

    /// A vault with a lead, an annotator and a compliance officer.
    fn team(&self) {
        ok(&self.airlock(&[
            "init",
            "v",
            "--name",
            "Synthetic Study",
            "--user",
            "lee",
            "--passphrase-file",
            "lead.pw",
        ]));
        ok(&self.as_user(
            "lee",
            "lead.pw",
            &[
                "user",
                "add",
                "ann",
                "--role",
                "annotator",
                "--new-passphrase-file",
                "ann.pw",
            ],
        ));
        ok(&self.as_user(
            "lee",
            "lead.pw",
            &[
                "user",
                "add",
                "cam",
                "--role",
                "compliance",
                "--new-passphrase-file",
                "comp.pw",
            ],
        ));
    }
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success, got {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts a failure with exactly one line on stderr containing `needle`.
fn fails_with(out: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line only: {stderr}"
    );
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr:?}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

#[test]
fn init_add_list_verify_export_round_trip() {
    let env = Env::new();
    env.team();
    let list: serde_json::Value = serde_json::from_str(&ok(&env.as_user(
        "lee",
        "lead.pw",
        &["user", "list", "--format", "json"],
    )))
    .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ann", "cam", "lee"]);
    let verify = ok(&env.as_user("cam", "comp.pw", &["audit", "verify"]));
    assert!(verify.starts_with('✓'), "{verify}");
    ok(&env.as_user(
        "cam",
        "comp.pw",
        &[
            "audit",
            "export",
            "--format",
            "jsonl",
            "--out",
            "audit.jsonl",
        ],
    ));
    ok(&env.as_user(
        "cam",
        "comp.pw",
        &["audit", "export", "--format", "csv", "--out", "audit.csv"],
    ));
    let csv = std::fs::read_to_string(env.path("audit.csv")).unwrap();
    assert!(csv.starts_with("seq,id,ts,actor_id,actor_name"));
    let report: serde_json::Value = serde_json::from_str(&ok(&env.airlock(&[
        "audit",
        "verify",
        "audit.jsonl",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["signers"].as_array().unwrap().len(),
        2,
        "lee and cam signed checkpoints"
    );

    let mut text = std::fs::read_to_string(env.path("audit.jsonl")).unwrap();
    text = text.replacen("\"outcome\":\"success\"", "\"outcome\":\"failure\"", 1);
    env.write("tampered.jsonl", &text);
    let out = env.airlock(&["audit", "verify", "tampered.jsonl"]);
    assert_eq!(out.status.code(), Some(3), "damage exits 3");
    assert!(String::from_utf8_lossy(&out.stdout).contains("changed"));
}

#[test]
fn wrong_passphrase_wrong_role_and_unknown_user_get_one_sentence() {
    let env = Env::new();
    env.team();
    fails_with(
        &env.as_user("ann", "lead.pw", &["vault", "info"]),
        1,
        "User name or passphrase not recognised.",
    );
    fails_with(
        &env.as_user("nobody", "ann.pw", &["vault", "info"]),
        1,
        "User name or passphrase not recognised.",
    );
    fails_with(
        &env.as_user(
            "ann",
            "ann.pw",
            &[
                "user",
                "add",
                "eve",
                "--role",
                "lead",
                "--new-passphrase-file",
                "ann.pw",
            ],
        ),
        1,
        "Your role (annotator) does not allow this (add user).",
    );
    fails_with(
        &env.as_user("ann", "ann.pw", &["audit", "verify"]),
        1,
        "does not allow",
    );
    fails_with(
        &env.as_user(
            "lee",
            "lead.pw",
            &[
                "user",
                "add",
                "x y",
                "--role",
                "annotator",
                "--new-passphrase-file",
                "ann.pw",
            ],
        ),
        1,
        "User names are",
    );
    let out = env.as_user("lee", "lead.pw", &["user", "add", "eve", "--role", "admin"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    let listed = ok(&env.as_user(
        "cam",
        "comp.pw",
        &[
            "audit",
            "list",
            "--action",
            "access_denied",
            "--format",
            "json",
        ],
    ));
    let page: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(page["total"], 2, "both refusals were audited");
}

#[test]
fn missing_damaged_and_future_vaults_are_named_clearly() {
    let env = Env::new();
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "No vault exists at this path.",
    );
    std::fs::create_dir(env.path("v")).unwrap();
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "not an Airlock vault",
    );
    std::fs::remove_dir(env.path("v")).unwrap();
    env.team();
    fails_with(
        &env.airlock(&[
            "init",
            "v",
            "--name",
            "x",
            "--user",
            "lee",
            "--passphrase-file",
            "lead.pw",
        ]),
        1,
        "not empty",
    );

    let header = env.path("v/vault.json");
    let original = std::fs::read_to_string(&header).unwrap();
    std::fs::write(
        &header,
        original.replace("\"version\": 1", "\"version\": 99"),
    )
    .unwrap();
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "format version 99",
    );
    std::fs::write(&header, &original[..original.len() / 2]).unwrap();
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "vault header (vault.json) is damaged",
    );
    std::fs::write(&header, &original).unwrap();

    let db = env.path("v/vault.db");
    let bytes = std::fs::read(&db).unwrap();
    for side in ["vault.db-wal", "vault.db-shm"] {
        let _ = std::fs::remove_file(env.path("v").join(side));
    }
    std::fs::write(&db, &bytes[..4096.min(bytes.len())]).unwrap();
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "vault database (vault.db) is damaged",
    );
    std::fs::remove_file(&db).unwrap();
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "vault database (vault.db) is damaged",
    );

    fails_with(
        &env.airlock(&["audit", "verify", "missing.jsonl"]),
        1,
        "does not exist",
    );
    env.write("junk.jsonl", "not an export\n");
    let out = env.airlock(&["audit", "verify", "junk.jsonl"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn no_passphrase_without_a_terminal_is_a_clear_error() {
    let env = Env::new();
    env.team();
    let out = env.airlock(&["--vault", "v", "--user", "lee", "vault", "info"]);
    fails_with(&out, 1, "--passphrase-file");
}

#[test]
fn the_demo_has_one_user_per_role_and_a_verified_trail() {
    let env = Env::new();
    std::fs::create_dir(env.path("tmp")).unwrap();
    let demo = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["demo", "d", "--format", "json"])
        .current_dir(env.dir.path())
        .env("TMPDIR", env.path("tmp"))
        .output()
        .unwrap();
    let out: serde_json::Value = serde_json::from_str(&ok(&demo)).unwrap();
    let users = out["users"].as_array().unwrap();
    let roles: Vec<&str> = users.iter().map(|u| u["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        vec!["lead", "annotator", "reviewer", "compliance", "annotator"]
    );
    let comp = users.iter().find(|u| u["role"] == "compliance").unwrap();
    env.write("c.pw", comp["passphrase"].as_str().unwrap());
    let name = comp["name"].as_str().unwrap();
    let verify = ok(&env.airlock(&[
        "--vault",
        "d",
        "--user",
        name,
        "--passphrase-file",
        "c.pw",
        "audit",
        "verify",
    ]));
    assert!(verify.starts_with('✓'), "{verify}");
    assert!(
        verify.contains("1 merged workspace audit segment(s)"),
        "the demo's package round trip brought jordan's offline events: {verify}"
    );
    let listed = ok(&env.airlock(&[
        "--vault",
        "d",
        "--user",
        name,
        "--passphrase-file",
        "c.pw",
        "audit",
        "list",
        "--limit",
        "1000",
        "--format",
        "json",
    ]));
    let page: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let kinds: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for k in [
        "vault_created",
        "user_added",
        "login",
        "login_failed",
        "access_denied",
        "break_glass_started",
        "audit_verified",
        "demo_seeded",
        "ingest_started",
        "ingest_completed",
        "batch_released",
        "deid_run",
        "original_viewed",
        "deid_validated",
        "deid_signed_off",
        "schema_published",
        "items_assigned",
        "annotation_changed",
        "annotation_submitted",
        "review_decided",
        "agreement_viewed",
        "contact_imported",
        "package_issued",
        "package_revoked",
        "package_merged",
        "region_template_saved",
    ] {
        assert!(kinds.contains(&k), "the demo shows {k}");
    }

    // The demo holds three real deliveries: one fully verified, one with a quarantined
    // file, and a CT series.
    let lead = users.iter().find(|u| u["role"] == "lead").unwrap();
    env.write("l.pw", lead["passphrase"].as_str().unwrap());
    let lead_name = lead["name"].as_str().unwrap();
    let as_lead = |args: &[&str]| {
        let mut all = vec![
            "--vault",
            "d",
            "--user",
            lead_name,
            "--passphrase-file",
            "l.pw",
        ];
        all.extend_from_slice(args);
        env.airlock(&all)
    };
    let batches: serde_json::Value =
        serde_json::from_str(&ok(&as_lead(&["batch", "list", "--format", "json"]))).unwrap();
    let statuses: Vec<&str> = batches
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 3);
    assert!(
        statuses.contains(&"received") && statuses.contains(&"released"),
        "{statuses:?}"
    );
    let items: serde_json::Value =
        serde_json::from_str(&ok(&as_lead(&["items", "list", "--format", "json"]))).unwrap();
    assert_eq!(
        items["total"], 13,
        "4 notes, 4 triage rows, 1 released note, 1 ultrasound, 1 quarantined, 1 CT series, 1 photograph"
    );
    let quarantined = items["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "quarantined")
        .count();
    assert_eq!(quarantined, 1);

    // Work packages: one merged round trip, one outstanding, one revoked; the temporary
    // annotator laptop is gone.
    let packages: serde_json::Value =
        serde_json::from_str(&ok(&as_lead(&["package", "list", "--format", "json"]))).unwrap();
    let mut states: Vec<&str> = packages
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    states.sort();
    assert_eq!(states, vec!["issued", "merged", "revoked"]);
    assert_eq!(
        std::fs::read_dir(env.path("tmp")).unwrap().count(),
        0,
        "the demo's deliveries, laptop workspace and package files were removed"
    );

    // De-identification ran over every delivery; the first and the CT series are signed off.
    let queue: serde_json::Value =
        serde_json::from_str(&ok(&as_lead(&["deid", "queue", "--format", "json"]))).unwrap();
    let statuses: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.len(),
        12,
        "every released text, DICOM and JPEG item was de-identified"
    );
    assert_eq!(statuses.iter().filter(|s| **s == "validated").count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == "proposed").count(), 2);
    let image = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "dicom")
        .expect("the demo holds an ultrasound and a CT series");
    let shown = ok(&as_lead(&[
        "deid",
        "show",
        image["item_id"].as_str().unwrap(),
    ]));
    assert!(
        shown.contains("PatientName") && shown.contains("uid_replaced"),
        "{shown}"
    );
    let photo = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "jpeg")
        .expect("the demo holds a photograph");
    let shown = ok(&as_lead(&[
        "deid",
        "show",
        photo["item_id"].as_str().unwrap(),
    ]));
    assert!(
        shown.contains("re-encoded as PNG")
            && shown.contains("JPEG APP1")
            && shown.contains("removed"),
        "{shown}"
    );

    // The ultrasound's scanner has a region template; removing it is audited and final.
    let templates: serde_json::Value =
        serde_json::from_str(&ok(&as_lead(&["deid", "templates", "--format", "json"]))).unwrap();
    let t = &templates.as_array().unwrap()[0];
    assert_eq!(
        (t["device"]["model"].as_str(), t["columns"].as_u64()),
        (Some("Sono Synth 5"), Some(320))
    );
    let id = t["id"].as_str().unwrap();
    let removed = ok(&as_lead(&["deid", "template-remove", id]));
    assert!(removed.contains(id), "{removed}");
    let again = as_lead(&["deid", "template-remove", id]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&again.stderr).trim(),
        "airlock: No region template has this id."
    );
    assert!(ok(&as_lead(&["deid", "templates"])).starts_with("No region templates kept yet"));
}

#[test]
fn recovery_code_resets_a_lead_passphrase_from_the_cli() {
    let env = Env::new();
    let out = ok(&env.airlock(&[
        "init",
        "v",
        "--name",
        "S",
        "--user",
        "lee",
        "--passphrase-file",
        "lead.pw",
        "--format",
        "json",
    ]));
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    env.write("code", created["recovery_code"].as_str().unwrap());
    env.write("new.pw", "a brand new passphrase");
    ok(&env.airlock(&[
        "--vault",
        "v",
        "--user",
        "lee",
        "vault",
        "recover",
        "--recovery-code-file",
        "code",
        "--new-passphrase-file",
        "new.pw",
    ]));
    fails_with(
        &env.as_user("lee", "lead.pw", &["vault", "info"]),
        1,
        "not recognised",
    );
    ok(&env.as_user("lee", "new.pw", &["vault", "info"]));
}

/// Blob files in the vault's store (ciphertext; temp files excluded).
fn stored_blobs(vault: &std::path::Path) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    walk(&p)
                } else if e.file_name().to_string_lossy().starts_with(".tmp-") {
                    0
                } else {
                    1
                }
            })
            .sum()
    }
    walk(&vault.join("blobs"))
}

/// A folder of `n` distinct synthetic files of `size` bytes with a SHA256SUMS manifest.
fn delivery(env: &Env, name: &str, n: usize, size: usize) -> PathBuf {
    use sha2::{Digest, Sha256};
    let dir = env.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = String::new();
    for i in 0..n {
        let body: Vec<u8> = format!("synthetic record {i} ")
            .bytes()
            .cycle()
            .take(size)
            .collect();
        let file = format!("rec-{i:05}.txt");
        std::fs::write(dir.join(&file), &body).unwrap();
        manifest += &format!("{}  {file}\n", hex::encode(Sha256::digest(&body)));
    }
    std::fs::write(dir.join("SHA256SUMS"), manifest).unwrap();
    dir
}

#[test]
fn sigkill_mid_ingest_then_rerun_stores_every_file_once_and_verified() {
    const FILES: usize = 1000;
    let env = Env::new();
    env.team();
    // Outcomes are committed every 256 files or 500 ms, so the kill waits until more than one
    // commit's worth of files is stored: the rerun must then find some of them recorded.
    delivery(&env, "site", FILES, 400_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args([
            "--vault",
            "v",
            "--user",
            "lee",
            "--passphrase-file",
            "lead.pw",
        ])
        .args(["ingest", "site", "--format", "json"])
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let vault = env.path("v");
    let started = std::time::Instant::now();
    while stored_blobs(&vault) < 600 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the ingest finished before it could be killed; make the delivery larger"
        );
        assert!(
            started.elapsed().as_secs() < 120,
            "the ingest made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind runs
    child.wait().unwrap();
    let after_kill = stored_blobs(&vault);
    assert!(after_kill < FILES, "killed part-way ({after_kill} stored)");

    let out = env.as_user("lee", "lead.pw", &["ingest", "site", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(report["all_verified"], true);
    let verified = report["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["verdict"] == "verified")
        .unwrap()["files"]
        .as_u64();
    assert_eq!(verified, Some(FILES as u64));
    assert!(
        report["files_read"].as_u64().unwrap() < FILES as u64,
        "the rerun skipped what was already stored"
    );
    assert_eq!(
        stored_blobs(&vault),
        FILES + 1,
        "every file and the receipt, each once"
    );
    let items: serde_json::Value = serde_json::from_str(&ok(&env.as_user(
        "lee",
        "lead.pw",
        &["items", "list", "--limit", "1000", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(items["total"], FILES, "no file became two items");
    let verify = ok(&env.as_user("cam", "comp.pw", &["audit", "verify"]));
    assert!(verify.starts_with('✓'), "{verify}");
}

#[test]
fn ingest_problems_exit_non_zero_and_hostile_input_gets_one_sentence() {
    let env = Env::new();
    env.team();
    let site = delivery(&env, "site", 3, 100);
    std::fs::write(site.join("rec-00001.txt"), "flipped").unwrap();
    let out = env.as_user("lee", "lead.pw", &["ingest", "site"]);
    assert_eq!(out.status.code(), Some(4), "problems exit 4");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("mismatched") && stdout.contains("rec-00001.txt"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("rec-00001"),
        "stderr never names files: {stderr}"
    );

    let evil = delivery(&env, "evil", 1, 10);
    std::fs::write(
        evil.join("SHA256SUMS"),
        "0000000000000000000000000000000000000000000000000000000000000000  ../../secret\n",
    )
    .unwrap();
    fails_with(
        &env.as_user("lee", "lead.pw", &["ingest", "evil"]),
        1,
        "line 1",
    );
    fails_with(
        &env.as_user("lee", "lead.pw", &["ingest", "no-such-folder"]),
        1,
        "not a folder",
    );
    fails_with(
        &env.as_user("ann", "ann.pw", &["ingest", "site"]),
        1,
        "does not allow",
    );
    fails_with(
        &env.as_user("lee", "lead.pw", &["ingest", "site", "--bagit"]),
        1,
        "bagit.txt",
    );
    fails_with(
        &env.airlock(&["receipt", "verify", "SHA256SUMS"]),
        1,
        "does not exist",
    );
    let not_receipt = env.airlock(&["receipt", "verify", "site/SHA256SUMS"]);
    assert_eq!(not_receipt.status.code(), Some(3));
    fails_with(&env.airlock(&["bag", "validate", "site"]), 1, "bagit.txt");
}

#[test]
fn sigkill_during_destruction_then_rerun_ends_destroyed_and_certified() {
    // The window between "state written" and "certificate written" is short; try a few
    // fresh vaults until the kill lands inside it (each try is a real SIGKILL).
    for attempt in 0..6 {
        let env = Env::new();
        env.team();
        ok(&env.as_user("cam", "comp.pw", &["retention", "set", "2000-01-01"]));
        let args = [
            "destroy",
            "--certificate",
            "cert.json",
            "--confirm",
            "Synthetic Study",
            "--organization",
            "Synthetic Org",
        ];
        let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args([
                "--vault",
                "v",
                "--user",
                "cam",
                "--passphrase-file",
                "comp.pw",
            ])
            .args(args)
            .current_dir(env.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let state = env.path("cert.json.state.json");
        let started = std::time::Instant::now();
        while !state.exists()
            && child.try_wait().unwrap().is_none()
            && started.elapsed().as_secs() < 60
        {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if !state.exists() {
            continue; // finished (or not started) before the kill: try again
        }
        let out = env.as_user("cam", "comp.pw", &args);
        let stdout = ok(&out);
        assert!(stdout.contains("destroyed"), "attempt {attempt}: {stdout}");
        assert!(!env.path("v").exists(), "nothing of the vault remains");
        assert!(!state.exists(), "the state file is removed once certified");
        let check = ok(&env.airlock(&[
            "certificate",
            "verify",
            "cert.json",
            "--audit",
            "cert.audit.jsonl",
            "--format",
            "json",
        ]));
        let v: serde_json::Value = serde_json::from_str(&check).unwrap();
        assert_eq!(v["ok"], true, "{check}");
        assert_eq!(v["audit_matches"], true);
        let cert = std::fs::read_to_string(env.path("cert.json")).unwrap();
        assert!(
            cert.contains("\"resumed_after_interruption\": true")
                || cert.contains("\"resumed_after_interruption\":true")
        );
        assert!(std::fs::read(env.path("cert.pdf"))
            .unwrap()
            .starts_with(b"%PDF"));
        return;
    }
    panic!("the kill never landed inside the destruction in 6 tries");
}

#[test]
fn delivery_and_destruction_refuse_wrong_roles_and_unconfirmed_requests() {
    let env = Env::new();
    env.team();
    fails_with(
        &env.as_user(
            "ann",
            "ann.pw",
            &[
                "export",
                "--out",
                "x.tar.age",
                "--recipient",
                "age1xyz",
                "--reason",
                "r",
            ],
        ),
        1,
        "does not allow",
    );
    fails_with(
        &env.as_user(
            "lee",
            "lead.pw",
            &[
                "destroy",
                "--certificate",
                "c.json",
                "--confirm",
                "Synthetic Study",
                "--organization",
                "O",
            ],
        ),
        1,
        "does not allow",
    );
    fails_with(
        &env.as_user(
            "cam",
            "comp.pw",
            &[
                "destroy",
                "--certificate",
                "c.json",
                "--confirm",
                "Synthetic Study",
                "--organization",
                "O",
            ],
        ),
        1,
        "retention date",
    );
    fails_with(
        &env.airlock(&["certificate", "verify", "nope.json"]),
        1,
        "does not exist",
    );
    env.write("junk.json", "{\"certificate\": 1}");
    assert_eq!(
        env.airlock(&["certificate", "verify", "junk.json"])
            .status
            .code(),
        Some(3)
    );
    assert!(env.path("v/vault.json").exists(), "nothing was destroyed");
}

#[test]
fn deid_text_and_dicom_work_on_files_skip_bad_ones_and_log_no_phi() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("notes/sub")).unwrap();
    env.write(
        "notes/sub/a.txt",
        "Seen by Dr. Oswin Pellworth on 03/14/2025, MRN 00482913.\n",
    );
    std::fs::write(env.path("notes/bad.txt"), [0xffu8, 0xfe, 0x00]).unwrap();
    let out = env.airlock(&["deid", "text", "notes", "clean", "--log", "text.jsonl"]);
    assert_eq!(out.status.code(), Some(4), "a skipped file is exit 4");
    let clean = std::fs::read_to_string(env.path("clean/sub/a.txt")).unwrap();
    assert!(
        !clean.contains("Pellworth") && !clean.contains("00482913"),
        "{clean}"
    );

    std::fs::create_dir_all(env.path("study/series")).unwrap();
    std::fs::write(
        env.path("study/series/ct.dcm"),
        airlock_deid_dicom::testing::synthetic_ct(),
    )
    .unwrap();
    env.write("study/README", "not a DICOM file");
    env.write("key.hex", &"ab".repeat(32));
    let run = |dest: &str| {
        env.airlock(&[
            "deid",
            "dicom",
            "study",
            dest,
            "--log",
            "dicom.jsonl",
            "--key-file",
            "key.hex",
            "--option",
            "retain-modified-dates",
            "--format",
            "json",
        ])
    };
    let out = run("anon");
    assert_eq!(out.status.code(), Some(4));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"], 1);
    assert_eq!(report["failed"][0]["path"], "README");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let first = std::fs::read(env.path("anon/series/ct.dcm")).unwrap();
    let log = std::fs::read_to_string(env.path("dicom.jsonl")).unwrap();
    for phi in [
        "DOE^JANE",
        "MRN-4455667",
        "19700101",
        "1.2.826.0.1.3680043.2.1125.1.1",
    ] {
        assert!(
            !String::from_utf8_lossy(&first).contains(phi),
            "{phi} in the output"
        );
        assert!(!log.contains(phi), "{phi} in the log");
    }
    assert!(
        !log.contains("ct.dcm") && !log.contains("README"),
        "no file names in the log"
    );
    run("again");
    assert_eq!(
        first,
        std::fs::read(env.path("again/series/ct.dcm")).unwrap(),
        "the same key gives the same UIDs, pseudonyms and shifts"
    );
    fails_with(
        &env.airlock(&["deid", "dicom", "nowhere", "x"]),
        1,
        "does not exist",
    );
    env.write("policy.json", "{\"options\": [\"retain_everything\"]}");
    fails_with(
        &env.airlock(&["deid", "dicom", "study", "y", "--policy", "policy.json"]),
        1,
        "is not a DICOM de-identification policy",
    );
    fails_with(
        &env.airlock(&[
            "deid",
            "dicom",
            "study",
            "z",
            "--option",
            "retain-full-dates",
            "--option",
            "retain-modified-dates",
        ]),
        1,
        "exclude each other",
    );
}

#[test]
fn deid_image_writes_png_without_metadata_skips_the_rest_and_says_why() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("photos/ward")).unwrap();
    std::fs::write(
        env.path("photos/ward/wound.jpg"),
        airlock_deid_image::testing::jpeg_with_exif(32, 24, 6, "Ottoline Marchbanks"),
    )
    .unwrap();
    env.write("photos/notes.txt", "not an image");
    let out = env.airlock(&[
        "deid",
        "image",
        "photos",
        "clean",
        "--log",
        "images.jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(4), "a file was skipped");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"], 1);
    assert_eq!(report["failed"][0]["path"], "notes.txt");
    assert_eq!(
        report["needs_pixel_review"][0], "ward/wound.jpg",
        "no OCR asked for"
    );
    let png = std::fs::read(env.path("clean/ward/wound.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let log = std::fs::read_to_string(env.path("images.jsonl")).unwrap();
    for text in [String::from_utf8_lossy(&png).into_owned(), log.clone()] {
        assert!(!text.contains("Ottoline") && !text.contains("Marchbanks"));
    }
    assert!(!log.contains("wound") && log.contains("Rotate90"), "{log}");
    let human = env.airlock(&["deid", "image", "photos/ward/wound.jpg", "one.png"]);
    assert!(human.status.success());
    assert!(String::from_utf8_lossy(&human.stdout).contains("as PNG without metadata"));
    fails_with(
        &env.airlock(&["deid", "image", "photos/notes.txt", "x.png"]),
        1,
        "could not be de-identified: the file is not a PNG or JPEG image",
    );
    fails_with(
        &env.airlock(&["deid", "image", "nowhere", "x"]),
        1,
        "does not exist",
    );
}

#[test]
fn package_commands_bind_cards_and_refuse_with_one_sentence() {
    let env = Env::new();
    env.team();
    ok(&env.airlock(&[
        "package",
        "workspace",
        "w",
        "--user",
        "ann",
        "--passphrase-file",
        "ann.pw",
    ]));
    let card = ok(&env.airlock(&[
        "--vault",
        "w",
        "--user",
        "ann",
        "--passphrase-file",
        "ann.pw",
        "package",
        "card",
        "--out",
        "card.json",
    ]));
    assert!(card.contains("fingerprint"), "{card}");
    let bound: serde_json::Value = serde_json::from_str(&ok(&env.as_user(
        "lee",
        "lead.pw",
        &["package", "contact", "card.json", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(bound["user_name"], "ann", "the name on the card is used");
    assert!(card.contains(bound["fingerprint"].as_str().unwrap()));
    fails_with(
        &env.as_user(
            "lee",
            "lead.pw",
            &["package", "assign", "--to", "ann", "--out", "a.pkg"],
        ),
        1,
        "no open assignments",
    );
    fails_with(
        &env.as_user(
            "ann",
            "ann.pw",
            &["package", "assign", "--to", "ann", "--out", "a.pkg"],
        ),
        1,
        "does not allow",
    );
    fails_with(
        &env.as_user("lee", "lead.pw", &["package", "merge", "missing.pkg"]),
        1,
        "does not exist",
    );
    fails_with(
        &env.as_user("lee", "lead.pw", &["package", "merge", "card.json"]),
        1,
        "not an Airlock work package",
    );
    env.write("bad-card.json", "{\"format\":\"airlock-contact-v1\"}");
    fails_with(
        &env.as_user(
            "lee",
            "lead.pw",
            &["package", "contact", "bad-card.json", "--for", "ann"],
        ),
        1,
        "not an Airlock contact card",
    );
    let queue = ok(&env.as_user("ann", "ann.pw", &["annotate", "queue"]));
    assert!(queue.contains("Nothing assigned"), "{queue}");
}
