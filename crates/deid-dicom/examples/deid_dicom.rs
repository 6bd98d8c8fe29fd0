//! De-identify DICOM files with a policy, for the reference tests and benchmarks
//! (the product CLI is `airlock deid dicom`).
//!
//! `deid_dicom [--policy FILE.json] [--key HEX] [--ocr] [--regions FILE.json] [--log FILE.jsonl] IN OUT`
//!
//! IN and OUT are files, or directories (the tree is mirrored). One JSON line per file
//! goes to the log: the redaction log entry, or `{"file_ref", "error"}`. Exit status 0
//! when every file was de-identified, 1 when some failed, 2 on usage errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use airlock_deid_dicom::{Deidentifier, OcrEngine, Policy, ProjectKey, Region};

fn files(root: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if root.is_file() {
        out.push(root.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(root)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        files(&e.path(), out)?;
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut policy = Policy::default();
    let mut key_hex = "00".repeat(32);
    let mut log_path = None;
    let mut use_ocr = false;
    let mut regions: Vec<Region> = Vec::new();
    let mut positional = Vec::new();
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--policy" => {
                let text = std::fs::read_to_string(value()).unwrap_or_else(|_| usage());
                policy = serde_json::from_str(&text).unwrap_or_else(|e| {
                    eprintln!("bad policy: {e}");
                    std::process::exit(2)
                });
            }
            "--key" => key_hex = value(),
            "--log" => log_path = Some(value()),
            "--ocr" => use_ocr = true,
            "--regions" => {
                let text = std::fs::read_to_string(value()).unwrap_or_else(|_| usage());
                regions = serde_json::from_str(&text).unwrap_or_else(|_| usage());
            }
            _ => positional.push(a),
        }
    }
    let [input, output] = <[String; 2]>::try_from(positional).unwrap_or_else(|_| usage());
    let key = ProjectKey::from_hex(&key_hex).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let ocr = if use_ocr {
        Some(OcrEngine::detect().unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        }))
    } else {
        None
    };
    let mut deid = Deidentifier::new(&policy, &key);
    if let Some(engine) = &ocr {
        deid = deid.with_ocr(engine);
    }
    let (input, output) = (PathBuf::from(input), PathBuf::from(output));
    let mut list = Vec::new();
    files(&input, &mut list).unwrap_or_else(|_| usage());
    let mut log: Box<dyn Write> = match &log_path {
        Some(p) => Box::new(std::fs::File::create(p).expect("log file")),
        None => Box::new(std::io::sink()),
    };
    let (mut ok, mut failed) = (0u32, 0u32);
    for file in list {
        let rel = file.strip_prefix(&input).unwrap_or(&file).to_path_buf();
        let dest = if rel.as_os_str().is_empty() {
            output.clone()
        } else {
            output.join(&rel)
        };
        let file_ref = key.document_ref(&rel.to_string_lossy());
        let bytes = std::fs::read(&file).expect("readable input");
        match deid.deidentify_with_regions(&bytes, &regions) {
            Ok(mut out) => {
                out.log.file_ref = Some(file_ref);
                if let Some(dir) = dest.parent() {
                    std::fs::create_dir_all(dir).expect("output directory");
                }
                std::fs::write(&dest, &out.bytes).expect("writable output");
                writeln!(
                    log,
                    "{}",
                    serde_json::to_string(&out.log).expect("serialisable")
                )
                .expect("log");
                ok += 1;
            }
            Err(e) => {
                eprintln!("{file_ref}: {e}");
                let line = serde_json::json!({"file_ref": file_ref, "error": e.to_string()});
                writeln!(log, "{line}").expect("log");
                failed += 1;
            }
        }
    }
    eprintln!("{ok} de-identified, {failed} failed");
    std::process::exit(i32::from(failed > 0));
}

fn usage() -> ! {
    eprintln!("usage: deid_dicom [--policy FILE] [--key HEX] [--ocr] [--regions FILE] [--log FILE] IN OUT");
    std::process::exit(2)
}
