//! Label export formats, as pure functions over simple input structs that `crates/app`
//! fills from its own label types:
//!
//! | module | format | input |
//! |---|---|---|
//! | [`jsonl`] | JSON Lines, one record per item with all its labels | [`jsonl::JsonlRecord`] |
//! | [`conll`] | CoNLL BIO (IOB2) for text spans | [`conll::ConllDocument`] |
//! | [`coco`] | COCO object detection JSON for boxes and polygons | [`coco::CocoDataset`] |
//! | [`csv`] | RFC 4180 CSV for classifications | [`csv::ClassificationRow`] |
//!
//! Text offsets are **Unicode scalar values** (Rust `char`s, Python `str` indices), end
//! exclusive. Image coordinates are pixels from the top-left corner, as COCO uses.
//! Inputs are checked before anything is written; errors name the record by its position
//! (counting from 1), never by content.

pub mod coco;
pub mod conll;
pub mod csv;
pub mod jsonl;

/// A labelled span of text: characters `start..end` (Unicode scalar values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSpan {
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The span's label.
    pub label: String,
}

/// A region of an image, in pixels.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// An axis-aligned box: top-left corner and size.
    Box {
        /// Left edge.
        x: f64,
        /// Top edge.
        y: f64,
        /// Width (positive).
        width: f64,
        /// Height (positive).
        height: f64,
    },
    /// A simple polygon, at least three `[x, y]` vertices, not closed (the last vertex is
    /// not a repeat of the first), with non-zero area.
    Polygon {
        /// The vertices in order.
        points: Vec<[f64; 2]>,
    },
}

impl Geometry {
    /// Whether the geometry is well formed (finite numbers, positive size or area).
    pub(crate) fn is_valid(&self) -> bool {
        match self {
            Geometry::Box {
                x,
                y,
                width,
                height,
            } => {
                [x, y, width, height].iter().all(|v| v.is_finite()) && *width > 0.0 && *height > 0.0
            }
            Geometry::Polygon { points } => {
                points.len() >= 3
                    && points.iter().flatten().all(|v| v.is_finite())
                    && self.area() > 0.0
            }
        }
    }

    /// The area: width × height, or the shoelace area of the polygon.
    pub fn area(&self) -> f64 {
        match self {
            Geometry::Box { width, height, .. } => width * height,
            Geometry::Polygon { points } => {
                let n = points.len();
                let twice: f64 = (0..n)
                    .map(|i| {
                        let [x1, y1] = points[i];
                        let [x2, y2] = points[(i + 1) % n];
                        x1 * y2 - x2 * y1
                    })
                    .sum();
                twice.abs() / 2.0
            }
        }
    }

    /// The bounding box `[x, y, width, height]`.
    pub fn bbox(&self) -> [f64; 4] {
        match self {
            Geometry::Box {
                x,
                y,
                width,
                height,
            } => [*x, *y, *width, *height],
            Geometry::Polygon { points } => {
                let (mut x0, mut y0) = (f64::INFINITY, f64::INFINITY);
                let (mut x1, mut y1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
                for [x, y] in points {
                    x0 = x0.min(*x);
                    y0 = y0.min(*y);
                    x1 = x1.max(*x);
                    y1 = y1.max(*y);
                }
                [x0, y0, x1 - x0, y1 - y0]
            }
        }
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// A span is empty, reversed or runs past the end of its text.
    #[error("record {record}: span {span} is outside its text or empty")]
    InvalidSpan {
        /// Which record (item or document), from 1.
        record: usize,
        /// Which span of that record, from 1.
        span: usize,
    },
    /// A box or polygon is malformed (non-finite, empty, fewer than three vertices).
    #[error("record {record}: shape {shape} is malformed")]
    InvalidGeometry {
        /// Which record, from 1.
        record: usize,
        /// Which shape of that record, from 1.
        shape: usize,
    },
    /// A shape names a category that is not in the dataset's category list.
    #[error("record {record}: shape {shape} has a category that is not declared")]
    UnknownCategory {
        /// Which record, from 1.
        record: usize,
        /// Which shape of that record, from 1.
        shape: usize,
    },
    /// A value the format cannot hold: an empty label, a CoNLL label or document id with
    /// whitespace, a duplicate COCO category or image, a zero image size.
    #[error("record {record}: a value cannot be written in this format")]
    InvalidValue {
        /// Which record, from 1 (0 for the category list).
        record: usize,
    },
    /// Writing failed.
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_and_bounding_boxes() {
        let b = Geometry::Box {
            x: 1.0,
            y: 2.0,
            width: 3.0,
            height: 4.0,
        };
        assert_eq!((b.area(), b.bbox()), (12.0, [1.0, 2.0, 3.0, 4.0]));
        let tri = Geometry::Polygon {
            points: vec![[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]],
        };
        assert_eq!((tri.area(), tri.bbox()), (6.0, [0.0, 0.0, 4.0, 3.0]));
        let clockwise = Geometry::Polygon {
            points: vec![[0.0, 0.0], [0.0, 3.0], [4.0, 0.0]],
        };
        assert_eq!(clockwise.area(), 6.0, "orientation does not matter");
        let line = Geometry::Polygon {
            points: vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]],
        };
        assert!(!line.is_valid(), "a degenerate polygon has no area");
        let nan = Geometry::Box {
            x: f64::NAN,
            y: 0.0,
            width: 1.0,
            height: 1.0,
        };
        assert!(!nan.is_valid());
    }
}
