//! Evaluation driver for `scripts/bench/deid-text`.
//!
//! Reads JSONL documents `{"id": ..., "text": ...}` on standard input, de-identifies each
//! one with the pseudonymising policy and a fixed evaluation key, and writes one JSONL
//! line per document on standard output: `{"id": ..., "findings": [{"start", "end",
//! "category", "rule", "confidence"}]}` with offsets in Unicode scalar values (Python
//! string indices). A last line `{"summary": {...}}` reports the bytes processed and the
//! single-thread throughput of de-identification (detection and replacement), measured
//! by repeating the whole corpus, document by document, until at least `--min-seconds`
//! (default 2) have passed; and for all documents joined into one text: detection only
//! (`bulk_detect_bytes_per_second`), strict Safe Harbor redaction
//! (`bulk_safe_harbor_bytes_per_second`) and pseudonymisation (`bulk_bytes_per_second`).

use std::io::{BufRead, Write};
use std::time::Instant;

use airlock_deid::key::ProjectKey;
use airlock_deid::text::{Deidentifier, DocumentContext, Policy};

#[derive(serde::Serialize)]
struct OutFinding {
    start: usize,
    end: usize,
    category: &'static str,
    rule: &'static str,
    confidence: f32,
}

/// Converts ascending byte offsets of one text to character offsets in one pass.
struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl CharOffsets<'_> {
    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut min_seconds = 2.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--min-seconds" => {
                min_seconds = args.next().ok_or("--min-seconds needs a value")?.parse()?;
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let mut docs: Vec<(serde_json::Value, String)> = Vec::new();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let text = v["text"]
            .as_str()
            .ok_or(format!("line {}: no text", n + 1))?
            .to_owned();
        let id = v["id"].take();
        docs.push((id, text));
    }
    let deid = Deidentifier::new(Policy::pseudonymize(), ProjectKey::from_bytes([42; 32]));
    let ctx = DocumentContext::default();
    deid.detect("warm up the compiled rules");
    let out = std::io::stdout();
    let mut out = out.lock();
    for (id, text) in &docs {
        let r = deid.deidentify(text, &ctx);
        let mut offsets = CharOffsets {
            text,
            byte: 0,
            chars: 0,
        };
        let findings: Vec<OutFinding> = r
            .log
            .iter()
            .map(|e| OutFinding {
                start: offsets.at(e.start),
                end: offsets.at(e.end),
                category: e.category.as_str(),
                rule: e.rule,
                confidence: e.confidence,
            })
            .collect();
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"id": id, "findings": findings}),
        )?;
        out.write_all(b"\n")?;
    }
    let bytes: usize = docs.iter().map(|(_, t)| t.len()).sum();
    let chars: usize = docs.iter().map(|(_, t)| t.chars().count()).sum();
    let start = Instant::now();
    let mut rounds = 0u64;
    while rounds == 0 || start.elapsed().as_secs_f64() < min_seconds {
        for (_, text) in &docs {
            std::hint::black_box(deid.deidentify(text, &ctx));
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    // The same text as one long document: throughput without per-document overheads,
    // for detection alone, strict Safe Harbor (redaction) and pseudonymisation.
    let bulk: String = docs
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let strict = Deidentifier::new(Policy::safe_harbor(), ProjectKey::from_bytes([42; 32]));
    let timed = |f: &dyn Fn()| {
        let start = Instant::now();
        let mut rounds = 0u64;
        while rounds == 0 || start.elapsed().as_secs_f64() < min_seconds {
            f();
            rounds += 1;
        }
        (bulk.len() as f64 * rounds as f64) / start.elapsed().as_secs_f64()
    };
    let bulk_detect = timed(&|| {
        std::hint::black_box(deid.detect(&bulk));
    });
    let bulk_strict = timed(&|| {
        std::hint::black_box(strict.deidentify(&bulk, &ctx));
    });
    let bulk_pseudo = timed(&|| {
        std::hint::black_box(deid.deidentify(&bulk, &ctx));
    });
    let summary = serde_json::json!({"summary": {
        "documents": docs.len(),
        "bytes": bytes,
        "chars": chars,
        "rounds": rounds,
        "seconds": secs,
        "bytes_per_second": (bytes as f64 * rounds as f64) / secs,
        "chars_per_second": (chars as f64 * rounds as f64) / secs,
        "bulk_detect_bytes_per_second": bulk_detect,
        "bulk_safe_harbor_bytes_per_second": bulk_strict,
        "bulk_bytes_per_second": bulk_pseudo,
    }});
    serde_json::to_writer(&mut out, &summary)?;
    out.write_all(b"\n")?;
    Ok(())
}
