//! Writes every label export format from one JSON description, for the reference tests in
//! `tests/reference/deliver` (Python: pycocotools, an independent CoNLL tokeniser, the
//! `csv` module).
//!
//! ```text
//! cargo run -p airlock-deliver --example deliver_formats -- INPUT.json OUT_DIR
//! ```
//! INPUT.json: `{"records": [...], "documents": [...], "coco": {...}, "rows": [...]}` with
//! the fields of the crate's input structs (see `In*` below). OUT_DIR receives
//! `labels.jsonl`, `spans.conll`, `coco.json`, `classes.csv` and `report.json`.

use airlock_deliver::formats::coco::{write_coco, CocoCategory, CocoDataset, CocoImage, CocoShape};
use airlock_deliver::formats::conll::{write_conll, ConllDocument};
use airlock_deliver::formats::csv::{write_csv, ClassificationRow};
use airlock_deliver::formats::jsonl::{write_jsonl, ExportLabel, JsonlRecord, LabelValue};
use airlock_deliver::formats::{Geometry, TextSpan};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct InSpan {
    start: usize,
    end: usize,
    label: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InGeometry {
    Box {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    },
    Polygon {
        points: Vec<[f64; 2]>,
    },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum InValue {
    Class {
        label: String,
    },
    Span(InSpan),
    Shape {
        category: String,
        geometry: InGeometry,
    },
}

#[derive(Deserialize)]
struct InLabel {
    value: InValue,
    annotator: Option<String>,
    gold: bool,
}

#[derive(Deserialize)]
struct InRecord {
    item_id: String,
    file: Option<String>,
    labels: Vec<InLabel>,
}

#[derive(Deserialize)]
struct InDocument {
    doc_id: String,
    text: String,
    spans: Vec<InSpan>,
}

#[derive(Deserialize)]
struct InShape {
    category: String,
    geometry: InGeometry,
    annotator: Option<String>,
    gold: bool,
}

#[derive(Deserialize)]
struct InImage {
    item_id: String,
    file_name: String,
    width: u32,
    height: u32,
    shapes: Vec<InShape>,
}

#[derive(Deserialize)]
struct InCoco {
    categories: Vec<(String, String)>,
    images: Vec<InImage>,
}

#[derive(Deserialize)]
struct InRow {
    item_id: String,
    file: Option<String>,
    annotator: Option<String>,
    gold: bool,
    label: String,
}

#[derive(Deserialize)]
struct Input {
    records: Vec<InRecord>,
    documents: Vec<InDocument>,
    coco: InCoco,
    rows: Vec<InRow>,
}

fn span(s: InSpan) -> TextSpan {
    TextSpan {
        start: s.start,
        end: s.end,
        label: s.label,
    }
}

fn geometry(g: InGeometry) -> Geometry {
    match g {
        InGeometry::Box {
            x,
            y,
            width,
            height,
        } => Geometry::Box {
            x,
            y,
            width,
            height,
        },
        InGeometry::Polygon { points } => Geometry::Polygon { points },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out] = args.as_slice() else {
        return Err("usage: deliver_formats INPUT.json OUT_DIR".into());
    };
    let input: Input = serde_json::from_slice(&std::fs::read(input)?)?;
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out)?;

    let records: Vec<JsonlRecord> = input
        .records
        .into_iter()
        .map(|r| JsonlRecord {
            item_id: r.item_id,
            file: r.file,
            labels: r
                .labels
                .into_iter()
                .map(|l| ExportLabel {
                    value: match l.value {
                        InValue::Class { label } => LabelValue::Class(label),
                        InValue::Span(s) => LabelValue::Span(span(s)),
                        InValue::Shape {
                            category,
                            geometry: g,
                        } => LabelValue::Shape {
                            category,
                            geometry: geometry(g),
                            frame: None,
                        },
                    },
                    annotator: l.annotator,
                    gold: l.gold,
                })
                .collect(),
        })
        .collect();
    let mut jsonl = Vec::new();
    write_jsonl(&mut jsonl, &records)?;
    std::fs::write(out.join("labels.jsonl"), jsonl)?;

    let documents: Vec<ConllDocument> = input
        .documents
        .into_iter()
        .map(|d| ConllDocument {
            doc_id: d.doc_id,
            text: d.text,
            spans: d.spans.into_iter().map(span).collect(),
        })
        .collect();
    let mut conll = Vec::new();
    let conll_report = write_conll(&mut conll, &documents)?;
    std::fs::write(out.join("spans.conll"), conll)?;

    let dataset = CocoDataset {
        description: "synthetic reference dataset".into(),
        version: "1".into(),
        contributor: "Airlock reference tests".into(),
        created_at: time::macros::datetime!(2026-11-20 10:00 UTC),
        categories: input
            .coco
            .categories
            .into_iter()
            .map(|(name, supercategory)| CocoCategory {
                name,
                supercategory,
            })
            .collect(),
        images: input
            .coco
            .images
            .into_iter()
            .map(|i| CocoImage {
                item_id: i.item_id,
                file_name: i.file_name,
                frame: None,
                width: i.width,
                height: i.height,
                shapes: i
                    .shapes
                    .into_iter()
                    .map(|s| CocoShape {
                        category: s.category,
                        geometry: geometry(s.geometry),
                        annotator: s.annotator,
                        gold: s.gold,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut coco = Vec::new();
    let coco_report = write_coco(&mut coco, &dataset)?;
    std::fs::write(out.join("coco.json"), coco)?;

    let rows: Vec<ClassificationRow> = input
        .rows
        .into_iter()
        .map(|r| ClassificationRow {
            item_id: r.item_id,
            file: r.file,
            annotator: r.annotator,
            gold: r.gold,
            label: r.label,
        })
        .collect();
    let mut csv = Vec::new();
    write_csv(&mut csv, &rows)?;
    std::fs::write(out.join("classes.csv"), csv)?;

    let report = serde_json::json!({"conll": conll_report, "coco": coco_report});
    std::fs::write(out.join("report.json"), serde_json::to_vec_pretty(&report)?)?;
    Ok(())
}
