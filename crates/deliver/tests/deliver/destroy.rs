//! Vault file removal killed with SIGKILL part-way, then finished by a rerun.

use airlock_deliver::destroy::{remove_vault_files, DESTROY_MARKER};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ID: &str = "6b1d5a2e-3c4f-4a5b-9c8d-7e6f5a4b3c2d";
const CHILD_ENV: &str = "AIRLOCK_DELIVER_TEST_VAULT";

fn fake_vault(dir: &Path, blobs: usize) {
    std::fs::create_dir_all(dir.join("intake")).unwrap();
    std::fs::write(
        dir.join("vault.json"),
        format!(
            "{{\"format\":\"airlock-vault\",\"version\":1,\"vault_id\":\"{ID}\",\"slots\":[]}}"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("vault.db"), vec![0u8; 8192]).unwrap();
    std::fs::write(dir.join("vault.db-wal"), vec![0u8; 512]).unwrap();
    for i in 0..blobs {
        let sub = dir.join(format!("blobs/w/{:02x}", i % 256));
        if i < 256 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(
            sub.join(format!("{i:064x}")),
            b"age-encryption.org/v1 synthetic",
        )
        .unwrap();
    }
}

/// Run by the test below in a child process, which it kills.
#[test]
#[ignore = "helper: runs only as the child of a_removal_killed_mid_way_is_finished_by_a_rerun"]
fn child_removes_the_vault() {
    let dir = std::env::var(CHILD_ENV).expect("run by the parent test");
    remove_vault_files(Path::new(&dir), ID).unwrap();
}

#[test]
fn a_removal_killed_mid_way_is_finished_by_a_rerun() {
    let root = tempfile::tempdir().unwrap();
    let mut caught_partial = false;
    for (attempt, blobs) in [8_000usize, 30_000, 80_000].into_iter().enumerate() {
        let dir = root.path().join(format!("vault{attempt}"));
        fake_vault(&dir, blobs);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "destroy::child_removes_the_vault",
                "--ignored",
                "--quiet",
            ])
            .env(CHILD_ENV, &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The database files go first, the blobs next: kill as soon as the database is
        // gone, while blobs are being removed.
        let start = Instant::now();
        while dir.join("vault.db").exists() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_micros(200));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let partial = dir.join("blobs").exists();
        if partial {
            caught_partial = true;
            assert!(
                dir.join(DESTROY_MARKER).exists(),
                "the marker outlives a kill"
            );
            assert!(dir.join("vault.json").exists(), "the header goes last");
        }
        let r = remove_vault_files(&dir, ID).unwrap();
        assert!(r.verification.passed, "{:?}", r.verification);
        assert!(!dir.exists(), "the vault directory is gone");
        if partial {
            assert!(r.resumed, "the rerun knows it finished an interrupted run");
            assert!(r.files_removed > 0 && r.files_removed < blobs as u64 + 3);
            break;
        }
    }
    assert!(
        caught_partial,
        "the child was killed part-way at least once"
    );
}
