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
    let out: serde_json::Value =
        serde_json::from_str(&ok(&env.airlock(&["demo", "d", "--format", "json"]))).unwrap();
    let users = out["users"].as_array().unwrap();
    let roles: Vec<&str> = users.iter().map(|u| u["role"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["lead", "annotator", "reviewer", "compliance"]);
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
        "200",
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
    ] {
        assert!(kinds.contains(&k), "the demo shows {k}");
    }
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
