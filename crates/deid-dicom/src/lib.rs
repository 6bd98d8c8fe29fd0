//! DICOM de-identification to the PS3.15 Annex E Basic Application Level Confidentiality
//! Profile and its options, with keyed UIDs and burned-in text handling. Pure: bytes in,
//! bytes out, no vault, no disk.
//!
//! - [`deidentify`] / [`Deidentifier`]: apply a [`Policy`] under a [`ProjectKey`] and get
//!   a [`DeidOutput`]: the new file, its [`RedactionLogEntry`] (what changed, never the
//!   original values) and the burned-in text [`RiskReason`]s; or [`DeidParts`], the same
//!   file as a new header and a range of the input, for writers that avoid copying pixels.
//! - The action table is generated from a machine-readable edition of PS3.15 Table E.1-1
//!   ([`PROFILE_EDITION`], see `PROVENANCE.md`). UIDs become `2.25.` UIDs keyed on the
//!   project, so references stay consistent across files, sequences and the file meta.
//! - Pixel data is copied byte for byte (compressed transfer syntaxes are kept) unless
//!   regions must be blacked out: then it is decoded, cleaned and written uncompressed.
//!   [`propose_regions`] uses OCR ([`OcrEngine`]) and device [`RegionTemplate`]s to
//!   suggest regions; cleaning re-scans the result.
//! - [`inspect`] and [`DeidOutput::review_table`] give a header table for leads showing
//!   de-identified values only.
//! - [`decode_series`] decodes a file for a viewer: every frame as 16-bit stored values
//!   with its [`SeriesInfo`] (rescale, default window).
//! - Untrusted input is checked before parsing (declared lengths against the bytes there,
//!   nesting depth, element count, inflated size): every failure is one
//!   [`DicomDeidError`], never a panic.
//!
//! ```
//! use airlock_deid_dicom::{deidentify, Policy, ProfileOption, ProjectKey};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let input = airlock_deid_dicom::testing::synthetic_ct();
//! let key = ProjectKey::from_bytes([7; 32]);
//! let policy = Policy::with_options([ProfileOption::RetainLongitudinalModifiedDates]);
//! let out = deidentify(&input, &policy, &key)?;
//! assert!(!out.bytes.windows(8).any(|w| w == b"DOE^JANE"));
//! println!("{}", serde_json::to_string(&out.log)?);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod action;
mod dates;
mod engine;
mod error;
mod key;
mod ocr;
mod pixels;
mod policy;
mod read;
mod regions;
mod report;
mod risk;
mod table;
pub mod testing;
mod view;

use dicom_core::header::Header as _;
use dicom_core::value::{PrimitiveValue, Value, C};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;

pub use action::{ActionCode, Treatment};
pub use error::DicomDeidError;
pub use key::{KeyFormatError, ProjectKey};
pub use ocr::{OcrEngine, OcrError, OcrText, PageLayout, Word};
pub use pixels::PixelError;
pub use policy::{
    AutoClean, Limits, PixelPolicy, Policy, PolicyError, ProfileOption, SafePrivateTag,
};
pub use regions::{template_regions, Region, RegionTemplate};
pub use report::{Change, PixelReport, RedactionLogEntry, RescanSummary, RuleSource};
pub use risk::RiskReason;
pub use table::{EDITION as PROFILE_EDITION, SOURCE as PROFILE_SOURCE};
pub use view::{decode_series, image_size, ImageSize, Series, SeriesInfo};

use engine::Engine;
use report::ChangeLog;

/// Airlock's Implementation Class UID, written in every output's file meta.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.94046426213870738040361577219736170347";
/// Airlock's Implementation Version Name.
pub const IMPLEMENTATION_VERSION_NAME: &str = concat!("AIRLOCK_", env!("CARGO_PKG_VERSION"));

/// The Basic Profile action code of Table E.1-1 for a standard attribute, `None` when the
/// table does not list it (the attribute is kept). Private attributes, overlays and
/// curves are handled by rule, not by this lookup.
pub fn basic_profile_action(group: u16, element: u16) -> Option<ActionCode> {
    engine::rule_for((u32::from(group) << 16) | u32::from(element)).map(|r| r.basic)
}

/// The keyed `2.25.` UID that replaces `uid` under `key` (what every U action writes), so
/// a caller can find an original reference's replacement without re-reading files.
pub fn replacement_uid(key: &ProjectKey, uid: &str) -> String {
    key.uid_for(uid.trim_end_matches(['\0', ' ']).trim())
}

/// De-identifies free text for the Clean Descriptors and Clean Structured Content options
/// (the app passes its text de-identifier). Must not return original identifiers.
pub trait TextCleaner {
    /// The text with identifiers removed or replaced.
    fn clean(&self, text: &str) -> String;
}

/// A de-identified file.
pub struct DeidOutput {
    /// The new DICOM file (preamble, file meta, data set).
    pub bytes: Vec<u8>,
    /// What was done, for the redaction log.
    pub log: RedactionLogEntry,
}

/// A de-identified file in two parts, for writers that can send both to disk without
/// joining them: the new header, then the input's Pixel Data element byte for byte (when it
/// was copied verbatim). [`Deidentifier::deidentify`] joins them into a [`DeidOutput`];
/// writing the parts directly saves a copy of the pixels.
pub struct DeidParts {
    /// Preamble, file meta and data set, up to the Pixel Data when `tail` is set.
    pub head: Vec<u8>,
    /// The range of the input that follows `head` in the file (the Pixel Data element),
    /// `None` when `head` is the whole file.
    pub tail: Option<std::ops::Range<usize>>,
    /// What was done, for the redaction log.
    pub log: RedactionLogEntry,
}

impl DeidParts {
    /// The whole file, given the input these parts were made from.
    pub fn into_output(self, input: &[u8]) -> DeidOutput {
        let mut bytes = self.head;
        if let Some(range) = self.tail {
            bytes.extend_from_slice(&input[range]);
        }
        DeidOutput {
            bytes,
            log: self.log,
        }
    }
}

impl DeidOutput {
    /// True when the image may still show burned-in text: it was at risk and no cleaning
    /// was confirmed by a re-scan. A lead should review these before release.
    pub fn needs_pixel_review(&self) -> bool {
        self.log.needs_pixel_review()
    }

    /// The header of the de-identified file, with each changed attribute marked, and the
    /// removed ones listed without a value: safe to show to roles that must not see PHI.
    pub fn review_table(&self, limits: &Limits) -> Result<Vec<ReviewRow>, DicomDeidError> {
        let rows = inspect(&self.bytes, limits)?;
        let mut out: Vec<ReviewRow> = rows
            .into_iter()
            .map(|r| {
                let pattern = pattern_of(&r.path);
                let change = self
                    .log
                    .changes
                    .iter()
                    .find(|c| c.path == pattern && c.treatment != Treatment::Removed);
                ReviewRow {
                    treatment: change.map(|c| c.treatment),
                    code: change.and_then(|c| c.code),
                    header: r,
                }
            })
            .collect();
        for c in &self.log.changes {
            if c.treatment == Treatment::Removed {
                out.push(ReviewRow {
                    header: HeaderRow {
                        path: c.path.clone(),
                        tag: c.tag.clone(),
                        keyword: c.name.clone(),
                        vr: String::new(),
                        value: None,
                    },
                    treatment: Some(Treatment::Removed),
                    code: c.code,
                });
            }
        }
        Ok(out)
    }
}

/// One attribute of a header table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeaderRow {
    /// Path with item numbers, e.g. `(0008,1140)[0].(0008,1155)`.
    pub path: String,
    /// `(gggg,eeee)`.
    pub tag: String,
    /// Dictionary keyword (empty for private or unknown attributes).
    pub keyword: String,
    /// Value representation.
    pub vr: String,
    /// The value as text, cut at 80 characters; binary values and sequences are
    /// summarised (`<1024 bytes>`, `<2 items>`). `None` for removed attributes.
    pub value: Option<String>,
}

/// A header row of a de-identified file with what de-identification did to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReviewRow {
    /// The attribute as it is in the output.
    #[serde(flatten)]
    pub header: HeaderRow,
    /// What was done, when it was changed.
    pub treatment: Option<Treatment>,
    /// The table's code, when a table row decided.
    pub code: Option<ActionCode>,
}

/// The header of any DICOM file as rows (sequences flattened, pixel data summarised).
/// Shows the values of the file given: call it on de-identified bytes for anyone who must
/// not see PHI.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Vec<HeaderRow>, DicomDeidError> {
    let parsed = read::parse(bytes, limits)?;
    let mut rows = Vec::new();
    header_rows(&parsed.obj, "", &mut rows);
    Ok(rows)
}

fn header_rows(obj: &InMemDicomObject, prefix: &str, out: &mut Vec<HeaderRow>) {
    for e in obj {
        let t = e.tag();
        let tag = report::tag_text((u32::from(t.group()) << 16) | u32::from(t.element()));
        let path = format!("{prefix}{tag}");
        let value = match e.value() {
            Value::Sequence(s) => format!("<{} items>", s.items().len()),
            Value::PixelSequence(p) => format!("<{} fragments>", p.fragments().len()),
            Value::Primitive(p) => match e.vr() {
                VR::OB | VR::OW | VR::OD | VR::OF | VR::OL | VR::OV | VR::UN => {
                    format!("<{} bytes>", p.calculate_byte_len())
                }
                _ => {
                    let s = p.to_str();
                    let mut s: String = s.chars().take(80).collect();
                    if p.to_str().chars().count() > 80 {
                        s.push('…');
                    }
                    s
                }
            },
        };
        out.push(HeaderRow {
            path: path.clone(),
            tag,
            keyword: engine::keyword(t).to_owned(),
            vr: e.vr().to_string().to_owned(),
            value: Some(value),
        });
        if let Value::Sequence(s) = e.value() {
            for (i, item) in s.items().iter().enumerate() {
                header_rows(item, &format!("{path}[{i}]."), out);
            }
        }
    }
}

/// `(0008,1140)[3].(0008,1155)` → `(0008,1140)[*].(0008,1155)`.
fn pattern_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for ch in path.chars() {
        match ch {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(ch),
        }
    }
    out
}

/// Regions proposed for one image, for a lead to adjust before cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionProposal {
    /// Image width.
    pub columns: u32,
    /// Image height.
    pub rows: u32,
    /// Number of frames.
    pub frames: u32,
    /// Manufacturer (0008,0070) of the original, trimmed; empty when absent. With the
    /// model, what a device template is kept for.
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090) of the original, trimmed; empty when absent.
    pub model: String,
    /// Why the image may carry burned-in text.
    pub risk: Vec<RiskReason>,
    /// Regions from the device templates of the policy.
    pub template_regions: Vec<Region>,
    /// Words OCR read (first and last frame), with their text for leads.
    pub words: Vec<Word>,
    /// The proposal: template regions plus padded boxes of the words at or above the
    /// policy's minimum confidence, clipped to the image.
    pub regions: Vec<Region>,
}

/// Propose regions to black out: device templates and, with an OCR engine, the boxes of
/// the words read in the first and last frames.
pub fn propose_regions(
    bytes: &[u8],
    policy: &Policy,
    ocr: Option<&OcrEngine>,
) -> Result<RegionProposal, DicomDeidError> {
    let parsed = read::parse(bytes, &policy.limits)?;
    let risk = risk::assess(&parsed.obj, parsed.obj.get(Tag(0x7FE0, 0x0010)).is_some());
    let (manufacturer, model) = device(&parsed.obj);
    let file = pixels::as_file(parsed.obj, parse_ts(&parsed.ts));
    let img = pixels::decode(&file)?;
    let template_regions = template_regions(
        &policy.pixels.templates,
        &manufacturer,
        &model,
        img.columns,
        img.rows,
    );
    let words = match ocr {
        Some(engine) => ocr_frames(engine, &img)?,
        None => Vec::new(),
    };
    let mut regions = template_regions.clone();
    regions.extend(
        words
            .iter()
            .filter(|w| w.confidence >= policy.pixels.min_confidence)
            .filter_map(|w| {
                w.region
                    .padded(policy.pixels.padding)
                    .clip(img.columns, img.rows)
            }),
    );
    Ok(RegionProposal {
        columns: img.columns,
        rows: img.rows,
        frames: img.frames,
        manufacturer: manufacturer.trim().to_owned(),
        model: model.trim().to_owned(),
        risk,
        template_regions,
        words,
        regions,
    })
}

/// An 8-bit grey rendering of one frame, for showing an image with its proposed regions.
/// The pixels are the file's: for the original, PHI — show it only to leads.
pub fn preview_frame(
    bytes: &[u8],
    frame: u32,
    limits: &Limits,
) -> Result<GrayFrame, DicomDeidError> {
    let parsed = read::parse(bytes, limits)?;
    let file = pixels::as_file(parsed.obj, parse_ts(&parsed.ts));
    let img = pixels::decode(&file)?;
    Ok(GrayFrame {
        columns: img.columns,
        rows: img.rows,
        pixels: img.gray8(frame)?,
    })
}

/// One frame as 8-bit grey, row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayFrame {
    /// Width.
    pub columns: u32,
    /// Height.
    pub rows: u32,
    /// `columns × rows` grey levels.
    pub pixels: Vec<u8>,
}

fn ocr_frames(engine: &OcrEngine, img: &pixels::Image) -> Result<Vec<Word>, DicomDeidError> {
    let mut frames = vec![0];
    if img.frames > 1 {
        frames.push(img.frames - 1);
    }
    let mut words = Vec::new();
    for f in frames {
        let gray = img.gray8(f)?;
        words.extend(engine.words(&gray, img.columns, img.rows, f)?);
    }
    Ok(words)
}

fn device(obj: &InMemDicomObject) -> (String, String) {
    let text = |t: Tag| read::text_of(obj, t).unwrap_or_default();
    (text(Tag(0x0008, 0x0070)), text(Tag(0x0008, 0x1090)))
}

/// The transfer syntax the parsed data set is in memory (deflate is inflated on read).
fn parse_ts(ts: &str) -> &str {
    if ts == read::DEFLATED_LE {
        read::EXPLICIT_LE
    } else {
        ts
    }
}

/// De-identify one file with the default engine set-up: no text cleaner, no OCR.
pub fn deidentify(
    bytes: &[u8],
    policy: &Policy,
    key: &ProjectKey,
) -> Result<DeidOutput, DicomDeidError> {
    Deidentifier::new(policy, key).deidentify(bytes)
}

/// Applies a [`Policy`] under a [`ProjectKey`], optionally with a [`TextCleaner`] (needed
/// by the clean-descriptors and clean-structured-content options) and an [`OcrEngine`]
/// (needed by [`AutoClean::TemplatesAndOcr`], and used to re-scan cleaned pixels).
pub struct Deidentifier<'a> {
    policy: &'a Policy,
    key: &'a ProjectKey,
    cleaner: Option<&'a dyn TextCleaner>,
    ocr: Option<&'a OcrEngine>,
}

impl<'a> Deidentifier<'a> {
    /// A de-identifier for `policy` under `key`.
    pub fn new(policy: &'a Policy, key: &'a ProjectKey) -> Self {
        Deidentifier {
            policy,
            key,
            cleaner: None,
            ocr: None,
        }
    }

    /// Use `cleaner` for the `C` actions on text.
    pub fn with_text_cleaner(mut self, cleaner: &'a dyn TextCleaner) -> Self {
        self.cleaner = Some(cleaner);
        self
    }

    /// Use `ocr` for automatic region proposals and for re-scanning cleaned pixels.
    pub fn with_ocr(mut self, ocr: &'a OcrEngine) -> Self {
        self.ocr = Some(ocr);
        self
    }

    fn check(&self) -> Result<(), PolicyError> {
        self.policy.validate()?;
        if self.cleaner.is_none() {
            if let Some(o) = self.policy.options.iter().find(|o| o.needs_text_cleaner()) {
                return Err(PolicyError::TextCleanerMissing(*o));
            }
        }
        if self.ocr.is_none() && self.policy.pixels.auto_clean == AutoClean::TemplatesAndOcr {
            return Err(PolicyError::OcrEngineMissing);
        }
        Ok(())
    }

    /// De-identify one file; pixels are cleaned only as [`PixelPolicy::auto_clean`] says.
    pub fn deidentify(&self, bytes: &[u8]) -> Result<DeidOutput, DicomDeidError> {
        Ok(self.deidentify_parts(bytes)?.into_output(bytes))
    }

    /// Like [`Deidentifier::deidentify`], with the Pixel Data left as a range of `bytes`
    /// when it is copied verbatim.
    pub fn deidentify_parts(&self, bytes: &[u8]) -> Result<DeidParts, DicomDeidError> {
        self.run(bytes, &[])
    }

    /// De-identify one file and black out `regions` (e.g. chosen by a lead from a
    /// [`RegionProposal`]) in every frame, besides any automatic regions.
    pub fn deidentify_with_regions(
        &self,
        bytes: &[u8],
        regions: &[Region],
    ) -> Result<DeidOutput, DicomDeidError> {
        Ok(self.run(bytes, regions)?.into_output(bytes))
    }

    fn run(&self, bytes: &[u8], caller_regions: &[Region]) -> Result<DeidParts, DicomDeidError> {
        self.check()?;
        // Without caller regions, parse up to the Pixel Data and copy its bytes verbatim.
        let (mut parsed, mut pixel_tail) = if caller_regions.is_empty() {
            read::parse_split(bytes, &self.policy.limits)?
        } else {
            (read::parse(bytes, &self.policy.limits)?, None)
        };
        let has_pixels = pixel_tail.is_some() || parsed.obj.get(Tag(0x7FE0, 0x0010)).is_some();
        let risk = risk::assess(&parsed.obj, has_pixels);
        let auto = self.policy.pixels.auto_clean;
        if pixel_tail.is_some() && !risk.is_empty() && auto != AutoClean::Never {
            parsed = read::parse(bytes, &self.policy.limits)?;
            pixel_tail = None;
        }
        let ts_in = parsed.ts.clone();
        let (manufacturer, model) = device(&parsed.obj);
        let patient_id = read::text_of(&parsed.obj, Tag(0x0010, 0x0020)).unwrap_or_default();
        let sop_class = read::text_of(&parsed.obj, Tag(0x0008, 0x0016))
            .or(parsed.meta_sop_class.clone())
            .ok_or(DicomDeidError::MissingSopClass)?;
        if sop_class == "1.2.840.10008.1.3.10" {
            return Err(DicomDeidError::DicomDir);
        }
        let original_instance =
            read::text_of(&parsed.obj, Tag(0x0008, 0x0018)).or(parsed.meta_sop_instance.clone());
        let mut file = pixels::as_file(parsed.obj, parse_ts(&ts_in));
        let mut log = ChangeLog::default();

        // Pixels first: decoding needs the image attributes as they were.
        let mut pixel_report = PixelReport {
            cleaned: false,
            regions: 0,
            region_sources: Vec::new(),
            transfer_syntax_in: ts_in.clone(),
            transfer_syntax_out: ts_in.clone(),
            rescan: None,
            burned_in_annotation: None,
        };
        let mut regions: Vec<Region> = caller_regions.to_vec();
        if !caller_regions.is_empty() {
            pixel_report.region_sources.push("caller".to_owned());
        }
        let mut img = None;
        if !risk.is_empty() && auto != AutoClean::Never {
            let decoded = pixels::decode(&file)?;
            let t = template_regions(
                &self.policy.pixels.templates,
                &manufacturer,
                &model,
                decoded.columns,
                decoded.rows,
            );
            if !t.is_empty() {
                pixel_report.region_sources.push("template".to_owned());
                regions.extend(t);
            }
            if auto == AutoClean::TemplatesAndOcr {
                if let Some(engine) = self.ocr {
                    let words = ocr_frames(engine, &decoded)?;
                    let before = regions.len();
                    regions.extend(
                        words
                            .iter()
                            .filter(|w| w.confidence >= self.policy.pixels.min_confidence)
                            .filter_map(|w| {
                                w.region
                                    .padded(self.policy.pixels.padding)
                                    .clip(decoded.columns, decoded.rows)
                            }),
                    );
                    if regions.len() > before {
                        pixel_report.region_sources.push("ocr".to_owned());
                    }
                }
            }
            img = Some(decoded);
        }
        let mut pixels_cleaned = false;
        if !regions.is_empty() {
            let mut image = match img {
                Some(i) => i,
                None => pixels::decode(&file)?,
            };
            pixel_report.regions = image.black_out(&regions);
            if let Some(engine) = self.ocr {
                // Re-scan; in OCR-assisted automatic mode, words still readable are
                // blacked out too and the image scanned again (at most three rounds).
                let rounds = if auto == AutoClean::TemplatesAndOcr && !risk.is_empty() {
                    3
                } else {
                    1
                };
                for round in 1..=rounds {
                    let words = ocr_frames(engine, &image)?;
                    let residual: Vec<&Word> = words
                        .iter()
                        .filter(|w| {
                            w.confidence >= self.policy.pixels.residual_confidence
                                && w.is_readable()
                        })
                        .collect();
                    pixel_report.rescan = Some(RescanSummary {
                        frames_scanned: if image.frames > 1 { 2 } else { 1 },
                        residual_words: residual.len() as u32,
                        max_confidence: residual.iter().map(|w| w.confidence).fold(0.0, f32::max),
                    });
                    if residual.is_empty() || round == rounds {
                        break;
                    }
                    let more: Vec<Region> = residual
                        .iter()
                        .filter_map(|w| {
                            w.region
                                .padded(self.policy.pixels.padding)
                                .clip(image.columns, image.rows)
                        })
                        .collect();
                    pixel_report.regions += image.black_out(&more);
                }
            }
            pixels::store(&mut file, image);
            pixels_cleaned = true;
            pixel_report.cleaned = true;
            pixel_report.transfer_syntax_out = read::EXPLICIT_LE.to_owned();
            log.note(
                "(7FE0,0010)".to_owned(),
                0x7FE0_0010,
                "PixelData",
                None,
                Treatment::Set,
                RuleSource::PixelCleaning,
            );
            let burned = match &pixel_report.rescan {
                Some(r) if r.residual_words == 0 => Some("NO"),
                Some(_) => Some("YES"),
                None => None,
            };
            if let Some(b) = burned {
                file.put(DataElement::new(
                    Tag(0x0028, 0x0301),
                    VR::CS,
                    PrimitiveValue::from(b),
                ));
                log.note(
                    "(0028,0301)".to_owned(),
                    0x0028_0301,
                    "BurnedInAnnotation",
                    None,
                    Treatment::Set,
                    RuleSource::PixelCleaning,
                );
                pixel_report.burned_in_annotation = Some(b.to_owned());
            }
        }
        let ts_out = pixel_report.transfer_syntax_out.clone();

        let modified_dates = self
            .policy
            .has(ProfileOption::RetainLongitudinalModifiedDates);
        let mut engine = Engine {
            policy: self.policy,
            key: self.key,
            cleaner: self.cleaner,
            date_offset: modified_dates.then(|| self.key.date_offset_days(&patient_id)),
            little_endian: ts_in != read::EXPLICIT_BE,
            log,
        };
        let obj = file.into_inner();
        let mut obj = engine.dataset(obj, "");
        let method_codes = self.markers(&mut obj, pixels_cleaned, &mut engine.log);

        let retain_uids = self.policy.has(ProfileOption::RetainUids);
        let instance = original_instance
            .map(|u| if retain_uids { u } else { self.key.uid_for(&u) })
            .unwrap_or_else(|| self.key.uid_for(&sop_class));
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax(ts_out.as_str())
            .media_storage_sop_class_uid(sop_class.as_str())
            .media_storage_sop_instance_uid(instance.as_str())
            .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
            .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
            .build()
            .map_err(|_| DicomDeidError::Write)?;
        engine.log.note(
            "(0002,0003)".to_owned(),
            0x0002_0003,
            "MediaStorageSOPInstanceUID",
            Some(ActionCode::U),
            if retain_uids {
                Treatment::Set
            } else {
                Treatment::UidReplaced
            },
            RuleSource::FileMeta,
        );
        let out_file = obj.with_exact_meta(meta);
        let tail_len = pixel_tail.as_ref().map_or(0, |r| r.len());
        let mut head = Vec::with_capacity(bytes.len() - tail_len + 1024);
        out_file
            .write_all(&mut head)
            .map_err(|_| DicomDeidError::Write)?;

        let sop_instance_uid = out_file
            .get(Tag(0x0008, 0x0018))
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim_end_matches('\0').to_owned());
        let entry = RedactionLogEntry {
            file_ref: None,
            sop_instance_uid,
            sop_class_uid: Some(sop_class),
            profile_edition: PROFILE_EDITION,
            options: self.policy.options.iter().copied().collect(),
            method_codes,
            meta_reconstructed: !parsed.had_meta,
            burned_in_risk: risk,
            pixels: pixel_report,
            changes: engine.log.into_changes(),
        };
        Ok(DeidParts {
            head,
            tail: pixel_tail,
            log: entry,
        })
    }

    /// Set PatientIdentityRemoved, DeidentificationMethod(+CodeSequence) and
    /// LongitudinalTemporalInformationModified; returns the CID 7050 codes recorded.
    fn markers(
        &self,
        obj: &mut InMemDicomObject,
        pixels_cleaned: bool,
        log: &mut ChangeLog,
    ) -> Vec<String> {
        let mut codes: Vec<(&str, &str)> =
            vec![("113100", "Basic Application Confidentiality Profile")];
        if pixels_cleaned {
            codes.push(("113101", "Clean Pixel Data Option"));
        }
        codes.extend(self.policy.options.iter().map(|o| o.code()));
        let items: C<InMemDicomObject> = codes
            .iter()
            .map(|(value, meaning)| {
                InMemDicomObject::from_element_iter([
                    DataElement::new(Tag(0x0008, 0x0100), VR::SH, PrimitiveValue::from(*value)),
                    DataElement::new(Tag(0x0008, 0x0102), VR::SH, PrimitiveValue::from("DCM")),
                    DataElement::new(Tag(0x0008, 0x0104), VR::LO, PrimitiveValue::from(*meaning)),
                ])
            })
            .collect();
        let mut method = vec![format!(
            "Airlock {} PS3.15 {} Basic Profile",
            env!("CARGO_PKG_VERSION"),
            PROFILE_EDITION
        )];
        if pixels_cleaned {
            method.push("Clean Pixel Data".to_owned());
        }
        method.extend(self.policy.options.iter().map(|o| {
            o.code()
                .1
                .trim_end_matches(" Option")
                .chars()
                .take(64)
                .collect()
        }));
        let temporal = if self.policy.has(ProfileOption::RetainLongitudinalFullDates) {
            "UNMODIFIED"
        } else if self
            .policy
            .has(ProfileOption::RetainLongitudinalModifiedDates)
        {
            "MODIFIED"
        } else {
            "REMOVED"
        };
        let set: [(u32, &str, InMemElementValue); 4] = [
            (
                0x0012_0062,
                "PatientIdentityRemoved",
                InMemElementValue::Cs("YES"),
            ),
            (
                0x0012_0063,
                "DeidentificationMethod",
                InMemElementValue::Lo(method),
            ),
            (
                0x0012_0064,
                "DeidentificationMethodCodeSequence",
                InMemElementValue::Sq(items),
            ),
            (
                0x0028_0303,
                "LongitudinalTemporalInformationModified",
                InMemElementValue::Cs(temporal),
            ),
        ];
        for (tag, name, value) in set {
            let t = Tag((tag >> 16) as u16, (tag & 0xFFFF) as u16);
            let element = match value {
                InMemElementValue::Cs(s) => DataElement::new(t, VR::CS, PrimitiveValue::from(s)),
                InMemElementValue::Lo(v) => {
                    DataElement::new(t, VR::LO, PrimitiveValue::Strs(C::from_vec(v)))
                }
                InMemElementValue::Sq(items) => {
                    DataElement::new(t, VR::SQ, Value::new_sequence(items, Length::UNDEFINED))
                }
            };
            obj.put(element);
            log.note(
                report::tag_text(tag),
                tag,
                name,
                None,
                Treatment::Set,
                RuleSource::Marker,
            );
        }
        codes.iter().map(|(v, _)| (*v).to_owned()).collect()
    }
}

enum InMemElementValue {
    Cs(&'static str),
    Lo(Vec<String>),
    Sq(C<InMemDicomObject>),
}
