//! Scores span and box cases read as JSON from stdin, for the reference tests.
//!
//! Input: `{"spans": [{"reference": [Span], "candidate": [Span], "mode": "exact"|"overlap"}],
//! "boxes": [{"reference": [BoundingBox], "candidate": [BoundingBox], "options": MatchOptions}],
//! "polygons": [{"reference": [PolygonRegion], "candidate": [PolygonRegion], "options": ..}]}`.
//! Output: `{"spans": [SpanCounts + scores], "boxes": [RegionAgreement], "polygons": [..]}`,
//! one entry per case.

use std::io::Read;
use std::process::ExitCode;

use airlock_agreement::{
    match_boxes, match_polygons, BoundingBox, MatchOptions, PolygonRegion, Span, SpanCounts,
    SpanMatch,
};
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
struct PolygonCase {
    reference: Vec<PolygonRegion>,
    candidate: Vec<PolygonRegion>,
    options: MatchOptions,
}

#[derive(Deserialize)]
struct Cases {
    #[serde(default)]
    spans: Vec<SpanCase>,
    #[serde(default)]
    boxes: Vec<BoxCase>,
    #[serde(default)]
    polygons: Vec<PolygonCase>,
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
    let mut polygons = Vec::new();
    for case in &cases.polygons {
        let m = match_polygons(&case.reference, &case.candidate, case.options)
            .map_err(|e| e.to_string())?;
        polygons.push(serde_json::to_value(m).map_err(|e| e.to_string())?);
    }
    Ok(json!({ "spans": spans, "boxes": boxes, "polygons": polygons }))
}
