//! JSON Lines: one object per item, with every label given for it.
//!
//! ```text
//! {"item_id":"i1","file":"items/i1.txt","labels":[
//!   {"type":"class","label":"pneumonia","annotator":"A1","gold":true},
//!   {"type":"span","start":0,"end":4,"label":"NAME","annotator":"A1","gold":false},
//!   {"type":"box","category":"lesion","x":10.0,"y":12.5,"width":30.0,"height":20.0,"annotator":null,"gold":true},
//!   {"type":"polygon","category":"lesion","points":[[1.0,1.0],[5.0,1.0],[3.0,4.0]],"frame":16,"annotator":null,"gold":true}]}
//! ```
//! (one line per item in the file; wrapped here). Keys appear in this order; `file` and
//! `annotator` are `null` when absent; `frame` (from 0, of a multi-frame image) only
//! appears when given. Span offsets are Unicode scalar values.

use super::{FormatError, Geometry, TextSpan};
use std::io::Write;

/// What a label says.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelValue {
    /// A class for the whole item.
    Class(String),
    /// A span of the item's text.
    Span(TextSpan),
    /// A region of the item's image, with its category.
    Shape {
        /// The category.
        category: String,
        /// The region.
        geometry: Geometry,
        /// The frame it is on (from 0), for multi-frame images.
        frame: Option<u32>,
    },
}

/// One label on an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportLabel {
    /// What it says.
    pub value: LabelValue,
    /// Who gave it (a pseudonymous annotator code), if the export says.
    pub annotator: Option<String>,
    /// Whether it is the adjudicated gold label.
    pub gold: bool,
}

/// One item and its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonlRecord {
    /// The item's id.
    pub item_id: String,
    /// Its content's path inside the bag's `data/`, if delivered.
    pub file: Option<String>,
    /// Its labels, in the order given.
    pub labels: Vec<ExportLabel>,
}

#[derive(serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Kind<'a> {
    Class {
        label: &'a str,
    },
    Span {
        start: usize,
        end: usize,
        label: &'a str,
    },
    Box {
        category: &'a str,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        frame: Option<u32>,
    },
    Polygon {
        category: &'a str,
        points: &'a [[f64; 2]],
        #[serde(skip_serializing_if = "Option::is_none")]
        frame: Option<u32>,
    },
}

/// A label as written: serde keeps the field order of these structs, whatever features
/// `serde_json` is built with.
#[derive(serde::Serialize)]
struct LabelOut<'a> {
    #[serde(flatten)]
    kind: Kind<'a>,
    annotator: Option<&'a str>,
    gold: bool,
}

#[derive(serde::Serialize)]
struct Line<'a> {
    item_id: &'a str,
    file: Option<&'a str>,
    labels: Vec<LabelOut<'a>>,
}

fn label_out(l: &ExportLabel, record: usize, index: usize) -> Result<LabelOut<'_>, FormatError> {
    let kind = match &l.value {
        LabelValue::Class(label) => {
            if label.is_empty() {
                return Err(FormatError::InvalidValue { record });
            }
            Kind::Class { label }
        }
        LabelValue::Span(s) => {
            if s.start >= s.end || s.label.is_empty() {
                return Err(FormatError::InvalidSpan {
                    record,
                    span: index,
                });
            }
            Kind::Span {
                start: s.start,
                end: s.end,
                label: &s.label,
            }
        }
        LabelValue::Shape {
            category,
            geometry,
            frame,
        } => {
            if !geometry.is_valid() || category.is_empty() {
                return Err(FormatError::InvalidGeometry {
                    record,
                    shape: index,
                });
            }
            match geometry {
                Geometry::Box {
                    x,
                    y,
                    width,
                    height,
                } => Kind::Box {
                    category,
                    x: *x,
                    y: *y,
                    width: *width,
                    height: *height,
                    frame: *frame,
                },
                Geometry::Polygon { points } => Kind::Polygon {
                    category,
                    points,
                    frame: *frame,
                },
            }
        }
    };
    Ok(LabelOut {
        kind,
        annotator: l.annotator.as_deref(),
        gold: l.gold,
    })
}

/// Writes `records` as JSON Lines (LF line ends, UTF-8). Checks every record first, so a
/// malformed one leaves `out` untouched.
pub fn write_jsonl(out: &mut impl Write, records: &[JsonlRecord]) -> Result<(), FormatError> {
    let mut lines = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let labels = r
            .labels
            .iter()
            .enumerate()
            .map(|(j, l)| label_out(l, i + 1, j + 1))
            .collect::<Result<Vec<_>, _>>()?;
        let line = Line {
            item_id: &r.item_id,
            file: r.file.as_deref(),
            labels,
        };
        lines.push(serde_json::to_string(&line).expect("labels of finite numbers serialise"));
    }
    for line in lines {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_item_with_typed_labels() {
        let records = vec![
            JsonlRecord {
                item_id: "i1".into(),
                file: Some("items/i1.txt".into()),
                labels: vec![
                    ExportLabel {
                        value: LabelValue::Class("pneumonia".into()),
                        annotator: Some("A1".into()),
                        gold: true,
                    },
                    ExportLabel {
                        value: LabelValue::Span(TextSpan {
                            start: 0,
                            end: 4,
                            label: "NAME".into(),
                        }),
                        annotator: Some("A1".into()),
                        gold: false,
                    },
                ],
            },
            JsonlRecord {
                item_id: "i2".into(),
                file: None,
                labels: vec![ExportLabel {
                    value: LabelValue::Shape {
                        category: "lesion".into(),
                        geometry: Geometry::Polygon {
                            points: vec![[1.0, 1.0], [5.0, 1.0], [3.0, 4.5]],
                        },
                        frame: Some(16),
                    },
                    annotator: None,
                    gold: true,
                }],
            },
        ];
        let mut out = Vec::new();
        write_jsonl(&mut out, &records).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            r#"{"item_id":"i1","file":"items/i1.txt","labels":[{"type":"class","label":"pneumonia","annotator":"A1","gold":true},{"type":"span","start":0,"end":4,"label":"NAME","annotator":"A1","gold":false}]}"#
        );
        assert_eq!(
            lines[1],
            r#"{"item_id":"i2","file":null,"labels":[{"type":"polygon","category":"lesion","points":[[1.0,1.0],[5.0,1.0],[3.0,4.5]],"frame":16,"annotator":null,"gold":true}]}"#
        );
    }

    #[test]
    fn malformed_labels_are_refused_before_anything_is_written() {
        let bad = JsonlRecord {
            item_id: "i9".into(),
            file: None,
            labels: vec![ExportLabel {
                value: LabelValue::Shape {
                    category: "c".into(),
                    geometry: Geometry::Box {
                        x: 0.0,
                        y: 0.0,
                        width: f64::INFINITY,
                        height: 1.0,
                    },
                    frame: None,
                },
                annotator: None,
                gold: false,
            }],
        };
        let ok = JsonlRecord {
            item_id: "i1".into(),
            file: None,
            labels: vec![],
        };
        let mut out = Vec::new();
        let e = write_jsonl(&mut out, &[ok, bad]).unwrap_err();
        assert!(matches!(
            e,
            FormatError::InvalidGeometry {
                record: 2,
                shape: 1
            }
        ));
        assert!(out.is_empty());
    }
}
