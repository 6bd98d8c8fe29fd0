//! What was changed in a file: [`Change`]s (tag, action code, rule), never the original
//! values, and the per-file [`RedactionLogEntry`] written as one JSONL line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::action::{ActionCode, Treatment};
use crate::policy::ProfileOption;
use crate::risk::RiskReason;

/// Which rule decided a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "option")]
pub enum RuleSource {
    /// The Basic Profile column of Table E.1-1.
    BasicProfile,
    /// An option column of Table E.1-1.
    Option(ProfileOption),
    /// A private attribute (odd group) not on the safe list.
    PrivateAttribute,
    /// A private creator whose block had no attribute left.
    PrivateCreator,
    /// An overlay plane (groups 6000–601E) other than its data and comments rows.
    OverlayPlane,
    /// A group length element (gggg,0000); lengths change with the values.
    GroupLength,
    /// File meta information (group 0002) inside the data set, or the file meta group
    /// itself (rewritten by Airlock).
    FileMeta,
    /// An item or delimiter tag (group FFFE) that the parser read as an attribute.
    Structural,
    /// An attribute Airlock sets to record the de-identification.
    Marker,
    /// Pixel data cleaning.
    PixelCleaning,
}

/// One kind of change, counted over every place it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Where: the tag, preceded by the sequences that hold it, with `[*]` for any item,
    /// e.g. `(0008,1140)[*].(0008,1155)`.
    pub path: String,
    /// The tag as `(gggg,eeee)`.
    pub tag: String,
    /// Keyword or table name of the attribute (empty for private attributes).
    pub name: String,
    /// The action code of the table that applied, when a table row decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ActionCode>,
    /// What was done.
    pub treatment: Treatment,
    /// Which rule decided.
    pub rule: RuleSource,
    /// How many elements had this change.
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ChangeKey {
    path: String,
    tag: u32,
    code: Option<ActionCode>,
    treatment: Treatment,
    rule: RuleSource,
}

/// Changes collected while a file is processed.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    changes: BTreeMap<ChangeKey, (String, u32)>,
}

impl ChangeLog {
    pub(crate) fn note(
        &mut self,
        path: String,
        tag: u32,
        name: &str,
        code: Option<ActionCode>,
        treatment: Treatment,
        rule: RuleSource,
    ) {
        let key = ChangeKey {
            path,
            tag,
            code,
            treatment,
            rule,
        };
        self.changes
            .entry(key)
            .or_insert_with(|| (name.to_owned(), 0))
            .1 += 1;
    }

    pub(crate) fn into_changes(self) -> Vec<Change> {
        self.changes
            .into_iter()
            .map(|(k, (name, count))| Change {
                path: k.path,
                tag: tag_text(k.tag),
                name,
                code: k.code,
                treatment: k.treatment,
                rule: k.rule,
                count,
            })
            .collect()
    }
}

/// `(gggg,eeee)` for a tag given as `(group << 16) | element`.
pub(crate) fn tag_text(tag: u32) -> String {
    format!("({:04X},{:04X})", tag >> 16, tag & 0xFFFF)
}

/// The result of OCR after cleaning: words still readable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RescanSummary {
    /// Frames scanned.
    pub frames_scanned: u32,
    /// Words read at or above the residual confidence.
    pub residual_words: u32,
    /// Highest confidence among those words (0 when none).
    pub max_confidence: f32,
}

/// What happened to the pixel data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PixelReport {
    /// True when pixels were decoded and regions blacked out.
    pub cleaned: bool,
    /// Regions blacked out (per frame).
    pub regions: u32,
    /// Where the regions came from (`"caller"`, `"template"`, `"ocr"`).
    pub region_sources: Vec<String>,
    /// Transfer syntax of the input.
    pub transfer_syntax_in: String,
    /// Transfer syntax of the output (Explicit VR Little Endian after cleaning).
    pub transfer_syntax_out: String,
    /// OCR after cleaning, when an OCR engine was available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescan: Option<RescanSummary>,
    /// The BurnedInAnnotation value written (`None`: left as it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burned_in_annotation: Option<String>,
}

/// Per-file record for the redaction log (one JSONL line). Holds identifiers of the
/// de-identified output and what was done, never original values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedactionLogEntry {
    /// The caller's reference for the file (e.g. [`crate::ProjectKey::document_ref`] of
    /// its relative path); Airlock never puts file names here itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_ref: Option<String>,
    /// SOP Instance UID of the output (already replaced, not PHI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sop_instance_uid: Option<String>,
    /// SOP Class UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sop_class_uid: Option<String>,
    /// Table edition used.
    pub profile_edition: &'static str,
    /// Options in force.
    pub options: Vec<ProfileOption>,
    /// CID 7050 code values recorded in the file.
    pub method_codes: Vec<String>,
    /// True when the input had no usable file meta information (its encoding was guessed).
    pub meta_reconstructed: bool,
    /// Why the image may carry burned-in text.
    pub burned_in_risk: Vec<RiskReason>,
    /// Pixel data handling.
    pub pixels: PixelReport,
    /// Attribute changes.
    pub changes: Vec<Change>,
}

impl RedactionLogEntry {
    /// True when the image may still show burned-in text: it was at risk and no cleaning
    /// was confirmed by a re-scan. A lead should review these before release.
    pub fn needs_pixel_review(&self) -> bool {
        !self.burned_in_risk.is_empty()
            && self
                .pixels
                .rescan
                .as_ref()
                .is_none_or(|r| r.residual_words > 0)
    }
}
