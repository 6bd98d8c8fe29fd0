//! Label schemas and annotation values: what annotators may say about an item, and the
//! checks that keep a saved label consistent with its schema and its item.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use ts_rs::TS;

/// What kind of labelling a schema asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Task {
    /// Mark spans of text with entity labels.
    TextSpans,
    /// Give a text one label (or several, when the schema is multi-label).
    TextClassification,
    /// Draw labelled bounding boxes on an image.
    ImageBoxes,
    /// Draw labelled polygons on an image.
    ImagePolygons,
    /// Give an image one label (or several).
    ImageClassification,
}

impl Task {
    /// Every task.
    pub const ALL: [Task; 5] = [
        Task::TextSpans,
        Task::TextClassification,
        Task::ImageBoxes,
        Task::ImagePolygons,
        Task::ImageClassification,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::TextSpans => "text_spans",
            Task::TextClassification => "text_classification",
            Task::ImageBoxes => "image_boxes",
            Task::ImagePolygons => "image_polygons",
            Task::ImageClassification => "image_classification",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the task labels text (otherwise images).
    pub fn is_text(self) -> bool {
        matches!(self, Task::TextSpans | Task::TextClassification)
    }

    /// Whether the task gives whole-item labels (classification).
    pub fn is_classification(self) -> bool {
        matches!(self, Task::TextClassification | Task::ImageClassification)
    }
}

/// One label of a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LabelDef {
    /// The label's name, as annotators see it and exports carry it.
    pub name: String,
    /// Its key: `1`…`9`, `0`, or `shift+1`…`shift+0` (assigned in order when absent).
    pub key: Option<String>,
    /// Display colour `#RRGGBB` (chosen from a colour-blind-safe palette when absent).
    pub color: Option<String>,
    /// What it means, one or two sentences.
    pub description: Option<String>,
}

/// The labels of a schema version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchemaBody {
    /// The labels, in display order.
    pub labels: Vec<LabelDef>,
    /// Classification only: several labels may apply at once.
    pub multi: bool,
}

/// The Okabe–Ito palette, safe for colour-blind readers.
const PALETTE: [&str; 8] = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
];

/// Label keys in the order they are handed out.
fn key_sequence() -> Vec<String> {
    let digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];
    digits
        .iter()
        .map(|d| d.to_string())
        .chain(digits.iter().map(|d| format!("shift+{d}")))
        .collect()
}

/// Why a schema is refused. Carries positions, never free text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// No labels, or more than 20 (the keyboard has 20 label keys).
    #[error("a schema needs 1 to 20 labels")]
    LabelCount,
    /// A label name is empty, too long or holds control characters.
    #[error("label {0} needs a name of 1 to 64 printable characters")]
    BadName(usize),
    /// Two labels share a name (case-insensitively).
    #[error("labels {0} and {1} have the same name")]
    DuplicateName(usize, usize),
    /// A key is not a label key, or clashes with another label's.
    #[error("label {0} has a key that is not 1–9, 0 or shift+digit, or that another label uses")]
    BadKey(usize),
    /// A colour is not `#RRGGBB`.
    #[error("label {0} has a colour that is not #RRGGBB")]
    BadColor(usize),
    /// A description over 500 characters.
    #[error("label {0} has a description over 500 characters")]
    LongDescription(usize),
    /// `multi` on a task that is not classification.
    #[error("only classification schemas can be multi-label")]
    MultiNotClassification,
}

impl SchemaBody {
    /// Checks the labels and fills in missing keys and colours. Label keys are digits and
    /// shift+digits only, so they never clash with the editors' other keys.
    pub fn normalise(mut self, task: Task) -> Result<SchemaBody, SchemaError> {
        if self.labels.is_empty() || self.labels.len() > 20 {
            return Err(SchemaError::LabelCount);
        }
        if self.multi && !task.is_classification() {
            return Err(SchemaError::MultiNotClassification);
        }
        let keys = key_sequence();
        let mut names: Vec<String> = Vec::new();
        let mut used: HashSet<String> = HashSet::new();
        for (i, l) in self.labels.iter_mut().enumerate() {
            let n = i + 1;
            l.name = l.name.trim().to_string();
            if l.name.is_empty()
                || l.name.chars().count() > 64
                || l.name.chars().any(char::is_control)
            {
                return Err(SchemaError::BadName(n));
            }
            let lower = l.name.to_lowercase();
            if let Some(j) = names.iter().position(|x| *x == lower) {
                return Err(SchemaError::DuplicateName(j + 1, n));
            }
            names.push(lower);
            if let Some(k) = &l.key {
                let k = k.trim().to_lowercase();
                if !keys.contains(&k) || !used.insert(k.clone()) {
                    return Err(SchemaError::BadKey(n));
                }
                l.key = Some(k);
            }
            if let Some(c) = &l.color {
                let ok = c.len() == 7
                    && c.starts_with('#')
                    && c[1..].chars().all(|x| x.is_ascii_hexdigit());
                if !ok {
                    return Err(SchemaError::BadColor(n));
                }
            }
            if l.description
                .as_ref()
                .is_some_and(|d| d.chars().count() > 500)
            {
                return Err(SchemaError::LongDescription(n));
            }
        }
        let mut free = keys.into_iter().filter(|k| !used.contains(k));
        for (i, l) in self.labels.iter_mut().enumerate() {
            if l.key.is_none() {
                l.key = free.next();
            }
            if l.color.is_none() {
                l.color = Some(PALETTE[i % PALETTE.len()].to_string());
            }
        }
        Ok(self)
    }

    /// Whether `name` is one of the labels.
    pub fn has(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.name == name)
    }
}

/// A labelled span of an item's (de-identified) text: UTF-8 byte offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SpanLabel {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// Label name.
    pub label: String,
}

/// A labelled bounding box in image pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BoxLabel {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Label name.
    pub label: String,
    /// DICOM frame (0 for single-frame images).
    #[serde(default)]
    pub frame: u32,
}

/// A labelled polygon in image pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PolygonLabel {
    /// Vertices `[x, y]`, at least three.
    pub points: Vec<[f64; 2]>,
    /// Label name.
    pub label: String,
    /// DICOM frame (0 for single-frame images).
    #[serde(default)]
    pub frame: u32,
}

/// What one annotator says about one item. Only the field of the schema's task is used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AnnotationValue {
    /// Text spans (text_spans).
    #[serde(default)]
    pub spans: Vec<SpanLabel>,
    /// Whole-item labels (classification).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Boxes (image_boxes).
    #[serde(default)]
    pub boxes: Vec<BoxLabel>,
    /// Polygons (image_polygons).
    #[serde(default)]
    pub polygons: Vec<PolygonLabel>,
}

/// The item a value is checked against.
pub enum Content<'a> {
    /// De-identified text.
    Text(&'a str),
    /// An image of this size (pixels) with this many frames.
    Image {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Frames (1 for a still image).
        frames: u32,
    },
}

/// Why a value does not fit its schema or item. Carries positions, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A field of another task is filled.
    #[error("the labels do not match the schema's task")]
    WrongTask,
    /// A label name is not in the schema.
    #[error("region {0} uses a label that is not in the schema")]
    UnknownLabel(usize),
    /// A span is empty, outside the text or cuts a character.
    #[error("span {0} is empty, outside the text or cuts a character")]
    BadSpan(usize),
    /// A box or polygon is outside the image, degenerate, or on a frame that does not exist.
    #[error("region {0} is outside the image or has no area")]
    BadRegion(usize),
    /// Several labels on a single-label classification, or one label twice.
    #[error("this schema takes one label per item (or each label once)")]
    TooManyLabels,
    /// More than 10,000 regions.
    #[error("more than 10,000 regions on one item")]
    TooMany,
}

impl AnnotationValue {
    /// Checks the value against its schema and item.
    pub fn validate(
        &self,
        task: Task,
        schema: &SchemaBody,
        content: &Content<'_>,
    ) -> Result<(), ValueError> {
        let others_empty = match task {
            Task::TextSpans => {
                self.labels.is_empty() && self.boxes.is_empty() && self.polygons.is_empty()
            }
            Task::TextClassification | Task::ImageClassification => {
                self.spans.is_empty() && self.boxes.is_empty() && self.polygons.is_empty()
            }
            Task::ImageBoxes => {
                self.spans.is_empty() && self.labels.is_empty() && self.polygons.is_empty()
            }
            Task::ImagePolygons => {
                self.spans.is_empty() && self.labels.is_empty() && self.boxes.is_empty()
            }
        };
        let content_ok = match content {
            Content::Text(_) => task.is_text(),
            Content::Image { .. } => !task.is_text(),
        };
        if !others_empty || !content_ok {
            return Err(ValueError::WrongTask);
        }
        if self.spans.len() + self.boxes.len() + self.polygons.len() > 10_000 {
            return Err(ValueError::TooMany);
        }
        for (i, l) in self.labels.iter().enumerate() {
            if !schema.has(l) {
                return Err(ValueError::UnknownLabel(i + 1));
            }
        }
        let distinct: HashSet<&String> = self.labels.iter().collect();
        if distinct.len() != self.labels.len() || (!schema.multi && self.labels.len() > 1) {
            return Err(ValueError::TooManyLabels);
        }
        if let Content::Text(text) = content {
            for (i, s) in self.spans.iter().enumerate() {
                let (a, b) = (s.start as usize, s.end as usize);
                if a >= b
                    || b > text.len()
                    || !text.is_char_boundary(a)
                    || !text.is_char_boundary(b)
                {
                    return Err(ValueError::BadSpan(i + 1));
                }
                if !schema.has(&s.label) {
                    return Err(ValueError::UnknownLabel(i + 1));
                }
            }
        }
        if let Content::Image {
            width,
            height,
            frames,
        } = content
        {
            let (w, h) = (f64::from(*width), f64::from(*height));
            let inside = |x: f64, y: f64| {
                x.is_finite() && y.is_finite() && (0.0..=w).contains(&x) && (0.0..=h).contains(&y)
            };
            for (i, b) in self.boxes.iter().enumerate() {
                if !(inside(b.x, b.y)
                    && inside(b.x + b.w, b.y + b.h)
                    && b.w > 0.0
                    && b.h > 0.0
                    && b.frame < *frames)
                {
                    return Err(ValueError::BadRegion(i + 1));
                }
                if !schema.has(&b.label) {
                    return Err(ValueError::UnknownLabel(i + 1));
                }
            }
            for (i, p) in self.polygons.iter().enumerate() {
                let area2: f64 = p
                    .points
                    .iter()
                    .zip(p.points.iter().cycle().skip(1))
                    .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
                    .sum();
                let ok = p.points.len() >= 3
                    && p.points.len() <= 1000
                    && p.points.iter().all(|q| inside(q[0], q[1]))
                    && area2.abs() > 0.0
                    && p.frame < *frames;
                if !ok {
                    return Err(ValueError::BadRegion(i + 1));
                }
                if !schema.has(&p.label) {
                    return Err(ValueError::UnknownLabel(i + 1));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(name: &str) -> LabelDef {
        LabelDef {
            name: name.into(),
            key: None,
            color: None,
            description: None,
        }
    }

    fn body(names: &[&str], multi: bool) -> SchemaBody {
        SchemaBody {
            labels: names.iter().map(|n| label(n)).collect(),
            multi,
        }
    }

    #[test]
    fn schemas_get_keys_and_colours_and_refuse_clashes() {
        let mut b = body(&["Diagnosis", "Drug"], false);
        b.labels[1].key = Some("1".into());
        let n = b.normalise(Task::TextSpans).unwrap();
        assert_eq!(n.labels[1].key.as_deref(), Some("1"));
        assert_eq!(
            n.labels[0].key.as_deref(),
            Some("2"),
            "free keys are handed out in order"
        );
        assert!(n.labels.iter().all(|l| l.color.is_some()));
        let mut clash = body(&["A", "B"], false);
        clash.labels[0].key = Some("3".into());
        clash.labels[1].key = Some("3".into());
        assert_eq!(
            clash.normalise(Task::TextSpans),
            Err(SchemaError::BadKey(2))
        );
        let mut letter = body(&["A"], false);
        letter.labels[0].key = Some("a".into());
        assert_eq!(
            letter.normalise(Task::TextSpans),
            Err(SchemaError::BadKey(1)),
            "letters are the editors' keys"
        );
        assert_eq!(
            body(&["A", "a"], false).normalise(Task::TextSpans),
            Err(SchemaError::DuplicateName(1, 2))
        );
        assert_eq!(
            body(&[], false).normalise(Task::TextSpans),
            Err(SchemaError::LabelCount)
        );
        assert_eq!(
            body(&["A"], true).normalise(Task::TextSpans),
            Err(SchemaError::MultiNotClassification)
        );
        let many: Vec<String> = (0..20).map(|i| format!("L{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let n = body(&refs, false).normalise(Task::ImageBoxes).unwrap();
        assert_eq!(n.labels[19].key.as_deref(), Some("shift+0"));
    }

    #[test]
    fn values_are_checked_against_schema_and_content() {
        let s = body(&["Diagnosis", "Drug"], false)
            .normalise(Task::TextSpans)
            .unwrap();
        let text = "Pneumonia treated with ceftriaxone — café";
        let ok = AnnotationValue {
            spans: vec![SpanLabel {
                start: 0,
                end: 9,
                label: "Diagnosis".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            ok.validate(Task::TextSpans, &s, &Content::Text(text)),
            Ok(())
        );
        let cut = text.len() as u32 - 1; // inside the two-byte é
        let bad = AnnotationValue {
            spans: vec![SpanLabel {
                start: 0,
                end: cut,
                label: "Drug".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            bad.validate(Task::TextSpans, &s, &Content::Text(text)),
            Err(ValueError::BadSpan(1))
        );
        let unknown = AnnotationValue {
            spans: vec![SpanLabel {
                start: 0,
                end: 9,
                label: "Shoe".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            unknown.validate(Task::TextSpans, &s, &Content::Text(text)),
            Err(ValueError::UnknownLabel(1))
        );
        let wrong = AnnotationValue {
            labels: vec!["Drug".into()],
            ..Default::default()
        };
        assert_eq!(
            wrong.validate(Task::TextSpans, &s, &Content::Text(text)),
            Err(ValueError::WrongTask)
        );

        let c = body(&["Normal", "Abnormal"], false)
            .normalise(Task::TextClassification)
            .unwrap();
        let two = AnnotationValue {
            labels: vec!["Normal".into(), "Abnormal".into()],
            ..Default::default()
        };
        assert_eq!(
            two.validate(Task::TextClassification, &c, &Content::Text(text)),
            Err(ValueError::TooManyLabels)
        );

        let img = Content::Image {
            width: 100,
            height: 50,
            frames: 1,
        };
        let b = body(&["Nodule"], false)
            .normalise(Task::ImageBoxes)
            .unwrap();
        let inside = AnnotationValue {
            boxes: vec![BoxLabel {
                x: 10.0,
                y: 10.0,
                w: 20.0,
                h: 5.0,
                label: "Nodule".into(),
                frame: 0,
            }],
            ..Default::default()
        };
        assert_eq!(inside.validate(Task::ImageBoxes, &b, &img), Ok(()));
        let outside = AnnotationValue {
            boxes: vec![BoxLabel {
                x: 90.0,
                y: 10.0,
                w: 20.0,
                h: 5.0,
                label: "Nodule".into(),
                frame: 0,
            }],
            ..Default::default()
        };
        assert_eq!(
            outside.validate(Task::ImageBoxes, &b, &img),
            Err(ValueError::BadRegion(1))
        );
        let p = body(&["Nodule"], false)
            .normalise(Task::ImagePolygons)
            .unwrap();
        let flat = AnnotationValue {
            polygons: vec![PolygonLabel {
                points: vec![[0.0, 0.0], [5.0, 5.0], [10.0, 10.0]],
                label: "Nodule".into(),
                frame: 0,
            }],
            ..Default::default()
        };
        assert_eq!(
            flat.validate(Task::ImagePolygons, &p, &img),
            Err(ValueError::BadRegion(1)),
            "collinear points have no area"
        );
    }
}
