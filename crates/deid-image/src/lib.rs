//! De-identification of PNG and JPEG images. Pure: bytes in, bytes out, no vault, no disk
//! (OCR pipes pixels to `tesseract` through [`OcrEngine`]).
//!
//! - Metadata: the pixels are decoded and written again as a new PNG, so nothing of the
//!   original file but its pixels survives: no EXIF, XMP, IPTC, colour profile, text chunk
//!   or comment. [`inventory`] lists what the original carried (for the record and the
//!   lead's review). The EXIF orientation is applied first, so the image looks as it did.
//! - Burned-in text: every photograph or screenshot may show a name (a wristband, a chart,
//!   a window title), so every image is treated as at risk. With an OCR engine, readable
//!   words are blacked out and the result re-scanned (up to three rounds); regions a lead
//!   draws are blacked out too.
//! - PNG output is lossless, so a cleaned JPEG does not lose more than its original lost.
//!
//! ```
//! use airlock_deid_image::{deidentify, Policy};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let png = airlock_deid_image::testing::png_with_text_chunk(64, 48, "Author", "Dr Wren Halloway");
//! let out = deidentify(&png, &Policy::default(), None, &[])?;
//! assert!(!out.bytes.windows(4).any(|w| w == b"Wren"));
//! assert_eq!(out.record.changes[0].path, "metadata/text");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod metadata;
pub mod testing;

use std::io::Cursor;

use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, GenericImage, ImageDecoder, ImageReader, Rgba};
use serde::{Deserialize, Serialize};

pub use airlock_deid_dicom::{OcrEngine, OcrError, PageLayout, Region, RescanSummary, Word};
pub use metadata::{inventory, MetadataKind, MetadataSegment, SegmentText};

/// The image formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG (JFIF or EXIF).
    Jpeg,
}

/// The format of `bytes`, from their signature.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(metadata::PNG_SIGNATURE) {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else {
        None
    }
}

/// An image could not be de-identified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageDeidError {
    /// Neither PNG nor JPEG.
    #[error("the file is not a PNG or JPEG image")]
    NotAnImage,
    /// Larger than the policy's limits.
    #[error("the image is {width} × {height} pixels, more than the {max_pixels} allowed")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit.
        max_pixels: u64,
    },
    /// The pixels could not be decoded (truncated or damaged file).
    #[error("the image data is damaged or truncated")]
    Damaged,
    /// The OCR engine failed.
    #[error("OCR failed: {0}")]
    Ocr(#[from] OcrError),
}

/// How images are treated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Black out the words OCR reads (when an engine is given); regions passed by the
    /// caller always apply.
    pub auto_clean: bool,
    /// OCR words below this confidence (0–100) are not proposed. Higher than for DICOM
    /// (where text sits on a plain banner): in a photograph a false word blacks out
    /// content.
    pub min_confidence: f32,
    /// OCR words at or above this confidence after cleaning count as residual text.
    pub residual_confidence: f32,
    /// Pixels added on every side of an OCR word box.
    pub padding: u32,
    /// The most pixels (width × height) decoded, against decompression bombs.
    pub max_pixels: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            auto_clean: true,
            min_confidence: 50.0,
            residual_confidence: 50.0,
            padding: 4,
            max_pixels: 100_000_000,
        }
    }
}

/// A decoded image, upright (its EXIF orientation applied).
#[derive(Debug, Clone)]
pub struct Picture {
    image: DynamicImage,
    format: Format,
    orientation: Orientation,
}

impl Picture {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// The format it was decoded from.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether it has colour (else grey).
    pub fn is_color(&self) -> bool {
        self.image.color().has_color()
    }

    /// 8-bit grey, row-major (what OCR reads).
    pub fn gray8(&self) -> Vec<u8> {
        self.image.to_luma8().into_raw()
    }

    /// 8-bit RGBA, row-major (what a viewer paints).
    pub fn rgba8(&self) -> Vec<u8> {
        self.image.to_rgba8().into_raw()
    }

    /// 8-bit RGB scaled down to fit `max_side` pixels (never up), with its size: a preview.
    pub fn preview_rgb8(&self, max_side: u32) -> (u32, u32, Vec<u8>) {
        let (w, h) = (self.width(), self.height());
        let img = if w.max(h) > max_side && max_side > 0 {
            self.image
                .resize(max_side, max_side, image::imageops::FilterType::Triangle)
        } else {
            self.image.clone()
        };
        (img.width(), img.height(), img.to_rgb8().into_raw())
    }

    /// Blacks out `regions` (clipped to the image); returns how many were inside it.
    fn black_out(&mut self, regions: &[Region]) -> u32 {
        let (w, h) = (self.width(), self.height());
        let mut n = 0;
        for r in regions.iter().filter_map(|r| r.clip(w, h)) {
            for y in r.y..r.y + r.height {
                for x in r.x..r.x + r.width {
                    self.image.put_pixel(x, y, Rgba([0, 0, 0, 255]));
                }
            }
            n += 1;
        }
        n
    }

    /// The words OCR reads, looking both for sparse words and for blocks of text (a
    /// label or a form in a photograph, which sparse mode can miss).
    fn words(&self, ocr: &OcrEngine) -> Result<Vec<Word>, OcrError> {
        let gray = self.gray8();
        let (w, h) = (self.width(), self.height());
        let mut words = ocr
            .clone()
            .with_layout(PageLayout::Sparse)
            .words(&gray, w, h, 0)?;
        words.extend(
            ocr.clone()
                .with_layout(PageLayout::Auto)
                .words(&gray, w, h, 0)?,
        );
        Ok(words)
    }
}

/// Decodes a PNG or JPEG image and turns it upright. Refuses images over
/// `policy.max_pixels` before decoding them.
pub fn decode(bytes: &[u8], policy: &Policy) -> Result<Picture, ImageDeidError> {
    let format = sniff(bytes).ok_or(ImageDeidError::NotAnImage)?;
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(match format {
        Format::Png => image::ImageFormat::Png,
        Format::Jpeg => image::ImageFormat::Jpeg,
    });
    let mut decoder = reader.into_decoder().map_err(|_| ImageDeidError::Damaged)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > policy.max_pixels {
        return Err(ImageDeidError::TooLarge {
            width,
            height,
            max_pixels: policy.max_pixels,
        });
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| ImageDeidError::Damaged)?;
    image.apply_orientation(orientation);
    Ok(Picture {
        image,
        format,
        orientation,
    })
}

/// Regions proposed for blacking out: the padded boxes of the readable words OCR finds at
/// or above the policy's confidence, clipped to the image.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// Every word read, with its text for leads.
    pub words: Vec<Word>,
    /// The regions.
    pub regions: Vec<Region>,
}

/// Proposes regions on a decoded image with OCR.
pub fn propose(
    picture: &Picture,
    policy: &Policy,
    ocr: &OcrEngine,
) -> Result<Proposal, ImageDeidError> {
    let words = picture.words(ocr)?;
    let regions = word_regions(picture, policy, &words, policy.min_confidence);
    Ok(Proposal { words, regions })
}

fn word_regions(picture: &Picture, policy: &Policy, words: &[Word], min: f32) -> Vec<Region> {
    words
        .iter()
        .filter(|w| w.confidence >= min && w.is_readable())
        .filter_map(|w| {
            w.region
                .padded(policy.padding)
                .clip(picture.width(), picture.height())
        })
        .collect()
}

/// One thing done to the file, by kind (never a value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// What was changed: `metadata/<kind>` or `pixels`.
    pub path: String,
    /// What was done (`removed`, `blacked_out`).
    pub treatment: String,
    /// How many segments or regions.
    pub count: u32,
}

/// What happened to the pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PixelSummary {
    /// True when regions were blacked out.
    pub cleaned: bool,
    /// Regions blacked out.
    pub regions: u32,
    /// Where they came from (`"caller"`, `"ocr"`).
    pub region_sources: Vec<String>,
    /// OCR of the output, when an engine was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescan: Option<RescanSummary>,
}

/// The record of one image: what was done, never an original value. Its field names
/// follow the DICOM record where they mean the same.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageRecord {
    /// Input format.
    pub format_in: Format,
    /// Output format (always PNG).
    pub format_out: &'static str,
    /// Width of the output.
    pub width: u32,
    /// Height of the output.
    pub height: u32,
    /// The EXIF orientation applied to the pixels (`None`: it was upright).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orientation_applied: Option<String>,
    /// Metadata segments removed, per kind, and blacked-out regions.
    pub changes: Vec<Change>,
    /// Why the image may show burned-in text (always: it is a photograph or screenshot).
    pub burned_in_risk: Vec<&'static str>,
    /// The pixels.
    pub pixels: PixelSummary,
}

/// A de-identified image.
#[derive(Debug, Clone)]
pub struct ImageDeidOutput {
    /// The new PNG file.
    pub bytes: Vec<u8>,
    /// Its record.
    pub record: ImageRecord,
}

/// De-identifies one image: decodes it upright, blacks out `regions` (drawn by a person)
/// and, with `ocr` and `policy.auto_clean`, the words it reads, re-scans, and writes the
/// pixels alone as a new PNG.
pub fn deidentify(
    bytes: &[u8],
    policy: &Policy,
    ocr: Option<&OcrEngine>,
    regions: &[Region],
) -> Result<ImageDeidOutput, ImageDeidError> {
    let mut picture = decode(bytes, policy)?;
    let mut changes: Vec<Change> = Vec::new();
    for seg in inventory(bytes) {
        let path = format!("metadata/{}", seg.kind.as_str());
        match changes.iter_mut().find(|c| c.path == path) {
            Some(c) => c.count += 1,
            None => changes.push(Change {
                path,
                treatment: "removed".into(),
                count: 1,
            }),
        }
    }
    let mut pixels = PixelSummary {
        cleaned: false,
        regions: 0,
        region_sources: Vec::new(),
        rescan: None,
    };
    let mut todo: Vec<Region> = regions.to_vec();
    if !todo.is_empty() {
        pixels.region_sources.push("caller".into());
    }
    let auto = policy.auto_clean && ocr.is_some();
    if let (true, Some(engine)) = (auto, ocr) {
        let found = propose(&picture, policy, engine)?.regions;
        if !found.is_empty() {
            pixels.region_sources.push("ocr".into());
        }
        todo.extend(found);
    }
    pixels.regions = picture.black_out(&todo);
    if let Some(engine) = ocr {
        // Re-scan; in automatic mode words still readable are blacked out too and the
        // image scanned again (at most three rounds).
        let rounds = if auto { 3 } else { 1 };
        for round in 1..=rounds {
            let words = picture.words(engine)?;
            let residual = word_regions(&picture, policy, &words, policy.residual_confidence);
            pixels.rescan = Some(RescanSummary {
                frames_scanned: 1,
                residual_words: residual.len() as u32,
                max_confidence: words
                    .iter()
                    .filter(|w| w.confidence >= policy.residual_confidence && w.is_readable())
                    .map(|w| w.confidence)
                    .fold(0.0, f32::max),
            });
            if residual.is_empty() || round == rounds {
                break;
            }
            pixels.regions += picture.black_out(&residual);
        }
    }
    pixels.cleaned = pixels.regions > 0;
    if pixels.cleaned {
        changes.push(Change {
            path: "pixels".into(),
            treatment: "blacked_out".into(),
            count: pixels.regions,
        });
    }
    let mut out = Vec::new();
    picture
        .image
        .write_with_encoder(PngEncoder::new(&mut out))
        .map_err(|_| ImageDeidError::Damaged)?;
    Ok(ImageDeidOutput {
        bytes: out,
        record: ImageRecord {
            format_in: picture.format,
            format_out: "png",
            width: picture.width(),
            height: picture.height(),
            orientation_applied: (picture.orientation != Orientation::NoTransforms)
                .then(|| format!("{:?}", picture.orientation)),
            changes,
            burned_in_risk: vec!["photograph_or_screenshot"],
            pixels,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{jpeg_with_exif, png_with_text_chunk};

    #[test]
    fn png_text_is_dropped_and_pixels_are_kept_exactly() {
        let png = png_with_text_chunk(40, 30, "Author", "Dr Wren Halloway");
        let before = decode(&png, &Policy::default()).unwrap().rgba8();
        let out = deidentify(&png, &Policy::default(), None, &[]).unwrap();
        assert!(!out.bytes.windows(4).any(|w| w == b"Wren"));
        assert!(
            inventory(&out.bytes).is_empty(),
            "the output has no metadata"
        );
        let after = decode(&out.bytes, &Policy::default()).unwrap();
        assert_eq!(after.rgba8(), before, "lossless");
        assert_eq!(out.record.format_in, Format::Png);
        assert!(!out.record.pixels.cleaned);
        assert!(out.record.pixels.rescan.is_none());
        assert_eq!(
            out.record.changes,
            [Change {
                path: "metadata/text".into(),
                treatment: "removed".into(),
                count: 1
            }]
        );
    }

    #[test]
    fn jpeg_exif_is_dropped_and_its_orientation_applied() {
        // 40 × 20, EXIF orientation 6 (rotate 90° clockwise to view): upright it is 20 × 40.
        let jpeg = jpeg_with_exif(40, 20, 6, "Ines Corbally-Ruiz");
        let out = deidentify(&jpeg, &Policy::default(), None, &[]).unwrap();
        assert!(!out.bytes.windows(5).any(|w| w == b"Ines "));
        assert_eq!((out.record.width, out.record.height), (20, 40));
        assert_eq!(out.record.orientation_applied.as_deref(), Some("Rotate90"));
        assert_eq!(out.record.changes[0].path, "metadata/exif");
        assert_eq!(sniff(&out.bytes), Some(Format::Png));
    }

    #[test]
    fn drawn_regions_are_blacked_out_and_recorded() {
        let png = png_with_text_chunk(40, 30, "Title", "x");
        let r = Region {
            x: 5,
            y: 5,
            width: 10,
            height: 4,
        };
        let outside = Region {
            x: 100,
            y: 100,
            width: 5,
            height: 5,
        };
        let out = deidentify(&png, &Policy::default(), None, &[r, outside]).unwrap();
        let after = decode(&out.bytes, &Policy::default()).unwrap().rgba8();
        let px = |x: usize, y: usize| &after[(y * 40 + x) * 4..][..4];
        assert_eq!(px(5, 5), [0, 0, 0, 255]);
        assert_eq!(px(14, 8), [0, 0, 0, 255]);
        assert_ne!(px(15, 8), [0, 0, 0, 255]);
        assert_eq!(
            out.record.pixels.regions, 1,
            "the region outside is not counted"
        );
        assert_eq!(out.record.pixels.region_sources, ["caller"]);
        assert!(out.record.changes.iter().any(|c| c.path == "pixels"));
    }

    #[test]
    fn bad_input_is_one_error_never_a_panic() {
        let png = png_with_text_chunk(40, 30, "Title", "x");
        assert_eq!(
            deidentify(b"GIF89a", &Policy::default(), None, &[]).unwrap_err(),
            ImageDeidError::NotAnImage
        );
        for n in [8, 20, 40, png.len() / 2, png.len() - 13] {
            assert!(deidentify(&png[..n], &Policy::default(), None, &[]).is_err());
        }
        let tiny = Policy {
            max_pixels: 100,
            ..Policy::default()
        };
        assert!(matches!(
            deidentify(&png, &tiny, None, &[]),
            Err(ImageDeidError::TooLarge { width: 40, .. })
        ));
        let jpeg = jpeg_with_exif(16, 16, 1, "x");
        assert!(deidentify(&jpeg[..jpeg.len() / 3], &Policy::default(), None, &[]).is_err());
    }

    #[test]
    fn the_record_serialises_without_values() {
        let jpeg = jpeg_with_exif(16, 16, 1, "Perpetua Ashgrove");
        let out = deidentify(&jpeg, &Policy::default(), None, &[]).unwrap();
        let json = serde_json::to_string(&out.record).unwrap();
        assert!(!json.contains("Perpetua"));
        assert!(json.contains("\"burned_in_risk\":[\"photograph_or_screenshot\"]"));
    }
}
