//! Helpers: running external tools, fixtures.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `cmd`, failing the test with an install hint when the program is missing.
pub fn run(cmd: &mut Command, hint: &str) -> Output {
    match cmd.stdin(Stdio::null()).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("{:?} is not installed: {hint}", cmd.get_program())
        }
        Err(e) => panic!("running {:?}: {e}", cmd.get_program()),
    }
}

/// Runs `cmd` and requires success.
pub fn run_ok(cmd: &mut Command, hint: &str) -> Output {
    let out = run(cmd, hint);
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A Python 3 snippet run with `args`; stdout on success, stderr on failure.
pub fn python(code: &str, args: &[&Path]) -> Result<String, String> {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(code).args(args);
    let out = run(
        &mut cmd,
        "apt install python3; pip install -r tests/reference/deliver/requirements.txt",
    );
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Validates a bag directory with the Library of Congress `bagit` library (full
/// validation: every manifest, every digest, Payload-Oxum, completeness). Returns its
/// JSON summary or the validation error text.
pub fn loc_bagit_validate(dir: &Path) -> Result<serde_json::Value, String> {
    const CODE: &str = r#"
import json, sys
import bagit
bag = bagit.Bag(sys.argv[1])
bag.validate(processes=1, fast=False, completeness_only=False)
print(json.dumps({
    "version": bag.version,
    "algorithms": sorted(bag.algorithms),
    "payload": sorted(p for p in bag.payload_files()),
    "tagfiles": sorted(bag.tagfile_entries().keys()),
    "info": bag.info,
}))
"#;
    python(CODE, &[dir]).map(|s| serde_json::from_str(&s).expect("python prints JSON"))
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}
