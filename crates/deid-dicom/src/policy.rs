//! [`Policy`]: which profile options apply, which private attributes are safe, how pixels
//! are treated and the limits on untrusted input. Plain data: serde-loadable.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::regions::RegionTemplate;

/// An option of the Basic Application Level Confidentiality Profile (PS3.15 E.3), each a
/// column of Table E.1-1. Clean Pixel Data is not listed here: it is recorded whenever
/// pixels are cleaned (see [`PixelPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileOption {
    /// Keep dates and times unchanged (CID 7050 113106).
    RetainLongitudinalFullDates,
    /// Shift dates by a keyed per-patient offset, keeping intervals (113107).
    RetainLongitudinalModifiedDates,
    /// Keep age, sex, size, weight and similar (113108). Ages over 89 become 090Y.
    RetainPatientCharacteristics,
    /// Keep device serial numbers, station names and similar (113109).
    RetainDeviceIdentity,
    /// Keep institution names and addresses (113112).
    RetainInstitutionIdentity,
    /// Keep UIDs unchanged (113110).
    RetainUids,
    /// Keep the private attributes of [`Policy::safe_private`] (113111).
    RetainSafePrivate,
    /// Keep descriptions and comments after text de-identification (113105).
    CleanDescriptors,
    /// Keep structured content after text de-identification (113104).
    CleanStructuredContent,
    /// Clean overlays and curves instead of removing them (113103). Not supported:
    /// [`Policy::validate`] refuses it; overlays and curves are always removed.
    CleanGraphics,
}

impl ProfileOption {
    /// The CID 7050 code value and meaning recorded in the
    /// DeidentificationMethodCodeSequence.
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            ProfileOption::RetainLongitudinalFullDates => (
                "113106",
                "Retain Longitudinal Temporal Information Full Dates Option",
            ),
            ProfileOption::RetainLongitudinalModifiedDates => (
                "113107",
                "Retain Longitudinal Temporal Information Modified Dates Option",
            ),
            ProfileOption::RetainPatientCharacteristics => {
                ("113108", "Retain Patient Characteristics Option")
            }
            ProfileOption::RetainDeviceIdentity => ("113109", "Retain Device Identity Option"),
            ProfileOption::RetainInstitutionIdentity => {
                ("113112", "Retain Institution Identity Option")
            }
            ProfileOption::RetainUids => ("113110", "Retain UIDs Option"),
            ProfileOption::RetainSafePrivate => ("113111", "Retain Safe Private Option"),
            ProfileOption::CleanDescriptors => ("113105", "Clean Descriptors Option"),
            ProfileOption::CleanStructuredContent => ("113104", "Clean Structured Content Option"),
            ProfileOption::CleanGraphics => ("113103", "Clean Graphics Option"),
        }
    }

    /// True for the options whose `C` actions hand text to a [`crate::TextCleaner`].
    pub(crate) fn needs_text_cleaner(self) -> bool {
        matches!(
            self,
            ProfileOption::CleanDescriptors | ProfileOption::CleanStructuredContent
        )
    }
}

/// A private attribute known to be safe, kept under [`ProfileOption::RetainSafePrivate`]:
/// the private creator string, the (odd) group and the element offset within the
/// creator's block (the low byte of the element number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafePrivateTag {
    /// Private creator, compared after trimming spaces, e.g. `"GEMS_PARM_01"`.
    pub creator: String,
    /// Odd group number, e.g. `0x0043`.
    pub group: u16,
    /// Element offset in the creator's block, e.g. `0x27` for `(0043,xx27)`.
    pub offset: u8,
}

/// When pixels are cleaned without a lead choosing the regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoClean {
    /// Never: pixels stay byte-identical unless the caller passes regions.
    #[default]
    Never,
    /// For images at risk of burned-in text, black out the regions of the matching
    /// device template.
    Templates,
    /// Templates, plus the regions OCR proposes on images at risk (needs an OCR engine).
    TemplatesAndOcr,
}

/// How pixel data is treated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PixelPolicy {
    /// Automatic cleaning of images at risk; regions passed by the caller always apply.
    pub auto_clean: AutoClean,
    /// Region templates per device model.
    pub templates: Vec<RegionTemplate>,
    /// OCR words below this confidence (0–100) are ignored when proposing regions. Low by
    /// default: on an image at risk, blacking out a false word costs little.
    pub min_confidence: f32,
    /// OCR words at or above this confidence after cleaning count as residual text.
    pub residual_confidence: f32,
    /// Pixels added on every side of an OCR word box.
    pub padding: u32,
}

impl Default for PixelPolicy {
    fn default() -> Self {
        PixelPolicy {
            auto_clean: AutoClean::Never,
            templates: Vec::new(),
            min_confidence: 10.0,
            residual_confidence: 50.0,
            padding: 4,
        }
    }
}

/// Limits on untrusted input, checked before any parsing allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest input file accepted, in bytes.
    pub max_input_bytes: u64,
    /// Largest data set after inflating a deflated transfer syntax, in bytes.
    pub max_inflated_bytes: u64,
    /// Deepest sequence nesting accepted.
    pub max_depth: u32,
    /// Most data elements accepted in one file (each costs memory when parsed).
    pub max_elements: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 4 << 30,
            max_inflated_bytes: 1 << 30,
            max_depth: 32,
            max_elements: 2_000_000,
        }
    }
}

/// A de-identification policy: the profile options, the safe private attributes, pixel
/// handling and input limits. The default is the Basic Profile with no option.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Profile options in force.
    pub options: BTreeSet<ProfileOption>,
    /// Private attributes kept under [`ProfileOption::RetainSafePrivate`]. Empty by
    /// default: the standard's list (PS3.15 Table E.3.10-1) is not bundled.
    pub safe_private: Vec<SafePrivateTag>,
    /// Pixel data handling.
    pub pixels: PixelPolicy,
    /// Limits on untrusted input.
    pub limits: Limits,
}

/// A [`Policy`] that cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Full and modified dates were both asked for.
    #[error("the full-dates and modified-dates options exclude each other")]
    ConflictingDateOptions,
    /// An option this crate does not implement.
    #[error("the {0:?} option is not supported")]
    Unsupported(ProfileOption),
    /// Clean Descriptors or Clean Structured Content without a text cleaner.
    #[error("the {0:?} option needs a text cleaner")]
    TextCleanerMissing(ProfileOption),
    /// OCR-assisted automatic cleaning without an OCR engine.
    #[error("automatic cleaning with OCR needs an OCR engine")]
    OcrEngineMissing,
}

impl Policy {
    /// The Basic Profile with the given options.
    pub fn with_options(options: impl IntoIterator<Item = ProfileOption>) -> Self {
        Policy {
            options: options.into_iter().collect(),
            ..Policy::default()
        }
    }

    /// True when `option` is in force.
    pub fn has(&self, option: ProfileOption) -> bool {
        self.options.contains(&option)
    }

    /// Check the policy on its own (the text cleaner and OCR engine are checked when a
    /// [`crate::Deidentifier`] is built).
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.has(ProfileOption::RetainLongitudinalFullDates)
            && self.has(ProfileOption::RetainLongitudinalModifiedDates)
        {
            return Err(PolicyError::ConflictingDateOptions);
        }
        if self.has(ProfileOption::CleanGraphics) {
            return Err(PolicyError::Unsupported(ProfileOption::CleanGraphics));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_load_from_json_and_validate() {
        let p: Policy = serde_json::from_str(
            r#"{"options":["retain_longitudinal_modified_dates","retain_device_identity"],
                "pixels":{"auto_clean":"templates"}}"#,
        )
        .expect("a policy in JSON");
        assert!(p.has(ProfileOption::RetainLongitudinalModifiedDates));
        assert_eq!(p.pixels.auto_clean, AutoClean::Templates);
        assert_eq!(p.limits, Limits::default());
        assert_eq!(p.validate(), Ok(()));
        let both = Policy::with_options([
            ProfileOption::RetainLongitudinalFullDates,
            ProfileOption::RetainLongitudinalModifiedDates,
        ]);
        assert_eq!(both.validate(), Err(PolicyError::ConflictingDateOptions));
        assert!(serde_json::from_str::<Policy>(r#"{"optoins":[]}"#).is_err());
    }
}
