//! Scores span and box cases read as JSON from stdin, for the reference tests.
//!
//! Input: `{"spans": [{"reference": [Span], "candidate": [Span], "mode": "exact"|"overlap"}],
//! "boxes": [{"reference": [BoundingBox], "candidate": [BoundingBox], "options": MatchOptions}]}`.
//! Output: `{"spans": [SpanCounts + scores], "boxes": [RegionAgreement]}`, one entry per case.

use std::io::Read;
use std::process::ExitCode;

use airlock_agreement::{match_boxes, BoundingBox, MatchOptions, Span, SpanCounts, SpanMatch};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct SpanCase {
    reference: Vec<Span>,
    candidate: Vec<Span>,
    mode: SpanMatch,
}

#[derive(Deserialize)]
struct BoxCase {
    reference: Vec<BoundingBox>,
    candidate: Vec<BoundingBox>,
    options: MatchOptions,
}

#[derive(Deserialize)]
struct Cases {
    #[serde(default)]
    spans: Vec<SpanCase>,
    #[serde(default)]
    boxes: Vec<BoxCase>,
}

fn main() -> ExitCode {
    match run() {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<serde_json::Value, String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())?;
    let cases: Cases = serde_json::from_str(&input).map_err(|e| e.to_string())?;
    let mut spans = Vec::new();
    for case in &cases.spans {
        let counts = SpanCounts::compare(&case.reference, &case.candidate, case.mode)
            .map_err(|e| e.to_string())?;
        spans.push(json!({ "counts": counts, "scores": counts.scores() }));
    }
    let mut boxes = Vec::new();
    for case in &cases.boxes {
        let m = match_boxes(&case.reference, &case.candidate, case.options)
            .map_err(|e| e.to_string())?;
        boxes.push(serde_json::to_value(m).map_err(|e| e.to_string())?);
    }
    Ok(json!({ "spans": spans, "boxes": boxes }))
}
