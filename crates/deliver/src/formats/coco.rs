//! COCO object detection JSON (cocodataset.org "Data format") for boxes and polygons.
//!
//! ```text
//! {"info": {"description", "version", "year", "contributor", "date_created", "url": ""},
//!  "licenses": [],
//!  "images": [{"id", "file_name", "width", "height", "item_id"}],
//!  "categories": [{"id", "name", "supercategory"}],
//!  "annotations": [{"id", "image_id", "category_id", "bbox": [x, y, w, h],
//!                   "segmentation": [[x1, y1, x2, y2, …]] or [] for boxes,
//!                   "area", "iscrowd": 0,
//!                   "attributes": {"annotator": … or null, "gold": bool, "shape": "box"|"polygon"}}]}
//! ```
//!
//! Ids count from 1 in input order (images, categories in the order declared,
//! annotations image by image). Boxes carry an empty `segmentation` (they are not
//! masks); a polygon's `bbox` is its bounding box and its `area` the exact polygon area
//! (shoelace), not a rasterised pixel count. Coordinates are written as given, not clipped
//! to the image. `item_id` and `attributes` are extra keys that COCO readers ignore.

use super::{FormatError, Geometry};
use std::collections::HashMap;
use std::io::Write;

/// A category, declared in schema order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CocoCategory {
    /// Its name (unique).
    pub name: String,
    /// Its supercategory (may be empty).
    pub supercategory: String,
}

/// One shape on an image.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoShape {
    /// The category's name, one of [`CocoDataset::categories`].
    pub category: String,
    /// The region.
    pub geometry: Geometry,
    /// Who drew it (a pseudonymous annotator code), if the export says.
    pub annotator: Option<String>,
    /// Whether it is the adjudicated gold label.
    pub gold: bool,
}

/// One image and its shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoImage {
    /// The item's id.
    pub item_id: String,
    /// The image's path relative to the images folder (unique with `frame`).
    pub file_name: String,
    /// The frame of a multi-frame file (from 0): each frame with shapes is its own COCO
    /// image, with a `frame` key beside `file_name`.
    pub frame: Option<u32>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its shapes.
    pub shapes: Vec<CocoShape>,
}

/// A whole dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoDataset {
    /// `info.description`.
    pub description: String,
    /// `info.version` (e.g. the label schema version).
    pub version: String,
    /// `info.contributor` (the annotation team).
    pub contributor: String,
    /// `info.date_created` (and `info.year`).
    pub created_at: time::OffsetDateTime,
    /// Categories in schema order.
    pub categories: Vec<CocoCategory>,
    /// Images in order.
    pub images: Vec<CocoImage>,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CocoReport {
    /// Images.
    pub images: usize,
    /// Categories.
    pub categories: usize,
    /// Annotations.
    pub annotations: usize,
}

#[derive(serde::Serialize)]
struct Info<'a> {
    description: &'a str,
    version: &'a str,
    year: i32,
    contributor: &'a str,
    date_created: String,
    url: &'a str,
}

#[derive(serde::Serialize)]
struct Image<'a> {
    id: u64,
    file_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<u32>,
    width: u32,
    height: u32,
    item_id: &'a str,
}

#[derive(serde::Serialize)]
struct Category<'a> {
    id: u64,
    name: &'a str,
    supercategory: &'a str,
}

#[derive(serde::Serialize)]
struct Attributes<'a> {
    annotator: Option<&'a str>,
    gold: bool,
    shape: &'static str,
}

#[derive(serde::Serialize)]
struct Annotation<'a> {
    id: u64,
    image_id: u64,
    category_id: u64,
    bbox: [f64; 4],
    segmentation: Vec<Vec<f64>>,
    area: f64,
    iscrowd: u8,
    attributes: Attributes<'a>,
}

#[derive(serde::Serialize)]
struct Dataset<'a> {
    info: Info<'a>,
    licenses: [u8; 0],
    images: Vec<Image<'a>>,
    categories: Vec<Category<'a>>,
    annotations: Vec<Annotation<'a>>,
}

/// Writes `dataset` as COCO JSON. Checks everything first, so bad input leaves `out`
/// untouched.
pub fn write_coco(out: &mut impl Write, dataset: &CocoDataset) -> Result<CocoReport, FormatError> {
    let mut category_ids = HashMap::new();
    let mut categories = Vec::new();
    for (i, c) in dataset.categories.iter().enumerate() {
        let id = i as u64 + 1;
        if c.name.is_empty() || category_ids.insert(c.name.as_str(), id).is_some() {
            return Err(FormatError::InvalidValue { record: 0 });
        }
        categories.push(Category {
            id,
            name: &c.name,
            supercategory: &c.supercategory,
        });
    }
    let mut files = std::collections::HashSet::new();
    let mut images = Vec::new();
    let mut annotations = Vec::new();
    for (i, img) in dataset.images.iter().enumerate() {
        let record = i + 1;
        let image_id = record as u64;
        if img.width == 0
            || img.height == 0
            || img.file_name.is_empty()
            || !files.insert((&img.file_name, img.frame))
        {
            return Err(FormatError::InvalidValue { record });
        }
        images.push(Image {
            id: image_id,
            file_name: &img.file_name,
            frame: img.frame,
            width: img.width,
            height: img.height,
            item_id: &img.item_id,
        });
        for (j, s) in img.shapes.iter().enumerate() {
            let shape = j + 1;
            let category_id = *category_ids
                .get(s.category.as_str())
                .ok_or(FormatError::UnknownCategory { record, shape })?;
            if !s.geometry.is_valid() {
                return Err(FormatError::InvalidGeometry { record, shape });
            }
            let (segmentation, kind) = match &s.geometry {
                Geometry::Box { .. } => (Vec::new(), "box"),
                Geometry::Polygon { points } => {
                    (vec![points.iter().flatten().copied().collect()], "polygon")
                }
            };
            annotations.push(Annotation {
                id: annotations.len() as u64 + 1,
                image_id,
                category_id,
                bbox: s.geometry.bbox(),
                segmentation,
                area: s.geometry.area(),
                iscrowd: 0,
                attributes: Attributes {
                    annotator: s.annotator.as_deref(),
                    gold: s.gold,
                    shape: kind,
                },
            });
        }
    }
    let report = CocoReport {
        images: images.len(),
        categories: categories.len(),
        annotations: annotations.len(),
    };
    let doc = Dataset {
        info: Info {
            description: &dataset.description,
            version: &dataset.version,
            year: dataset.created_at.year(),
            contributor: &dataset.contributor,
            date_created: dataset
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .expect("a time with a four-digit year formats as RFC 3339"),
            url: "",
        },
        licenses: [],
        images,
        categories,
        annotations,
    };
    let bytes = serde_json::to_vec(&doc).expect("finite numbers serialise");
    out.write_all(&bytes)?;
    out.write_all(b"\n")?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset() -> CocoDataset {
        CocoDataset {
            description: "synthetic".into(),
            version: "schema 3".into(),
            contributor: "Synthetic Annotation Team".into(),
            created_at: time::macros::datetime!(2026-11-20 10:00 UTC),
            categories: vec![
                CocoCategory {
                    name: "lesion".into(),
                    supercategory: "finding".into(),
                },
                CocoCategory {
                    name: "device".into(),
                    supercategory: String::new(),
                },
            ],
            images: vec![CocoImage {
                item_id: "i1".into(),
                file_name: "items/i1.png".into(),
                frame: None,
                width: 64,
                height: 48,
                shapes: vec![
                    CocoShape {
                        category: "device".into(),
                        geometry: Geometry::Box {
                            x: 1.5,
                            y: 2.0,
                            width: 10.0,
                            height: 4.0,
                        },
                        annotator: Some("A2".into()),
                        gold: false,
                    },
                    CocoShape {
                        category: "lesion".into(),
                        geometry: Geometry::Polygon {
                            points: vec![[10.0, 10.0], [20.0, 10.0], [20.0, 30.0]],
                        },
                        annotator: None,
                        gold: true,
                    },
                ],
            }],
        }
    }

    #[test]
    fn boxes_and_polygons_become_coco_annotations() {
        let mut out = Vec::new();
        let r = write_coco(&mut out, &dataset()).unwrap();
        assert_eq!((r.images, r.categories, r.annotations), (1, 2, 2));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["categories"][1]["id"], 2);
        let a = &v["annotations"];
        assert_eq!(a[0]["category_id"], 2);
        assert_eq!(a[0]["bbox"], serde_json::json!([1.5, 2.0, 10.0, 4.0]));
        assert_eq!(a[0]["area"], 40.0);
        assert_eq!(a[0]["segmentation"], serde_json::json!([]));
        assert_eq!(a[1]["bbox"], serde_json::json!([10.0, 10.0, 10.0, 20.0]));
        assert_eq!(a[1]["area"], 100.0);
        assert_eq!(
            a[1]["segmentation"],
            serde_json::json!([[10.0, 10.0, 20.0, 10.0, 20.0, 30.0]])
        );
        assert_eq!(a[1]["attributes"]["gold"], true);
        assert_eq!(v["info"]["year"], 2026);
        assert_eq!(v["info"]["date_created"], "2026-11-20T10:00:00Z");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .starts_with("{\"info\":{\"description\""),
            "keys are written in the documented order"
        );
    }

    #[test]
    fn unknown_categories_bad_shapes_and_duplicates_are_refused() {
        let mut d = dataset();
        d.images[0].shapes[1].category = "tumour".into();
        let mut out = Vec::new();
        assert!(matches!(
            write_coco(&mut out, &d),
            Err(FormatError::UnknownCategory {
                record: 1,
                shape: 2
            })
        ));
        let mut d = dataset();
        d.images[0].shapes[0].geometry = Geometry::Box {
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 1.0,
        };
        assert!(matches!(
            write_coco(&mut out, &d),
            Err(FormatError::InvalidGeometry {
                record: 1,
                shape: 1
            })
        ));
        let mut d = dataset();
        d.categories.push(d.categories[0].clone());
        assert!(write_coco(&mut out, &d).is_err());
        let mut d = dataset();
        d.images.push(d.images[0].clone());
        assert!(matches!(
            write_coco(&mut out, &d),
            Err(FormatError::InvalidValue { record: 2 })
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn frames_of_one_file_are_separate_images() {
        let mut d = dataset();
        d.images[0].frame = Some(3);
        let mut other = d.images[0].clone();
        other.frame = Some(4);
        d.images.push(other);
        let mut out = Vec::new();
        assert_eq!(write_coco(&mut out, &d).unwrap().images, 2);
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["images"][1]["frame"], 4);
        assert_eq!(doc["images"][1]["file_name"], "items/i1.png");
        let mut d = dataset();
        d.images.push(d.images[0].clone());
        d.images[1].frame = Some(0);
        assert_eq!(
            write_coco(&mut Vec::new(), &d).unwrap().images,
            2,
            "no frame and frame 0 differ"
        );
    }
}
