//! De-identification of clinical free text to the HIPAA Safe Harbor standard.
//!
//! [`Detector`] finds identifiers ([`Finding`]s: byte ranges, category, rule id,
//! confidence) by combining patterns, context rules and the embedded public-domain
//! dictionaries. [`Deidentifier`] applies a [`Policy`] (category → [`Action`]) to the
//! findings and returns the new text with a [`RedactionEntry`] log. [`check_input`]
//! classifies raw bytes (empty, too large, not UTF-8, binary) so a batch can skip a bad
//! file with a clear message.
//!
//! ```
//! use airlock_deid::key::ProjectKey;
//! use airlock_deid::text::{Deidentifier, DocumentContext, Policy};
//!
//! let deid = Deidentifier::new(Policy::pseudonymize(), ProjectKey::from_bytes([1; 32]));
//! let ctx = DocumentContext::for_patient("8249813");
//! let a = deid.deidentify("Admitted 2/17/2080, discharged 2/20/2080.", &ctx);
//! let b = deid.deidentify("Admitted 2/17/2080, discharged 2/20/2080.", &ctx);
//! assert_eq!(a.text.expose(), b.text.expose(), "same key, same patient: same output");
//! assert!(!a.text.expose().contains("2/17/2080"));
//! ```

mod dates;
mod detect;
mod dict;
mod finding;
mod input;
mod log;
mod names;
mod patterns;
mod policy;
mod shape;
mod surrogate;

use serde::Serialize;

pub use detect::Detector;
pub use finding::Finding;
pub use input::{check_input, InputError, MAX_INPUT_BYTES};
pub use log::RedactionEntry;
pub use policy::{Action, Policy};

use crate::category::Category;
use crate::key::ProjectKey;
use crate::phi::Phi;

/// ZIP prefixes whose three-digit area held 20,000 people or fewer in the 2000 census;
/// Safe Harbor requires them to become `000`.
pub const RESTRICTED_ZIP_PREFIXES: [&str; 17] = [
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878",
    "879", "884", "890", "893",
];

/// The smallest "current" year for the over-89 birth-year rule: the year the rule was
/// written. Documents that mention later years use the latest one instead.
const MIN_REFERENCE_YEAR: i32 = 2025;

/// Per-document input besides the text.
#[derive(Debug, Clone, Default)]
pub struct DocumentContext {
    patient: Option<Phi<String>>,
}

impl DocumentContext {
    /// A document of the patient with this identifier (e.g. the source system's MRN):
    /// every document of one patient gets the same date shift, so intervals between
    /// dates are preserved across documents.
    pub fn for_patient(id: impl Into<String>) -> Self {
        DocumentContext {
            patient: Some(Phi::new(id.into())),
        }
    }
}

/// Where the patient identifier behind a document's date shift came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientSource {
    /// Given by the caller in [`DocumentContext::for_patient`].
    Given,
    /// The first medical record number detected in the document.
    Mrn,
    /// Neither: one project-wide default offset was used.
    Default,
}

/// The result of de-identifying one document.
#[derive(Debug, Clone)]
pub struct Deidentified {
    /// The de-identified text.
    pub text: Phi<String>,
    /// One entry per replaced span, in document order.
    pub log: Vec<RedactionEntry>,
    /// Which patient identifier chose the date shift.
    pub patient: PatientSource,
}

/// A span handed to [`Deidentifier::apply`] is unusable. Carries only its index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpanError {
    /// The span is empty or ends past the end of the text.
    #[error("span {index} is empty or outside the document")]
    OutOfBounds {
        /// Index of the span in the list given.
        index: usize,
    },
    /// The span cuts a UTF-8 character.
    #[error("span {index} does not start and end on character boundaries")]
    NotCharBoundary {
        /// Index of the span in the list given.
        index: usize,
    },
    /// The span overlaps the one before it (after sorting by start).
    #[error("span {index} overlaps another span")]
    Overlap {
        /// Index of the span in the list given.
        index: usize,
    },
}

/// Applies a [`Policy`] with a [`ProjectKey`] to documents.
pub struct Deidentifier {
    policy: Policy,
    key: ProjectKey,
    detector: Detector,
}

impl Deidentifier {
    /// A de-identifier for one project.
    pub fn new(policy: Policy, key: ProjectKey) -> Self {
        Deidentifier {
            policy,
            key,
            detector: Detector::new(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Find the identifiers in `text` without changing it (for the review screen).
    pub fn detect(&self, text: &str) -> Vec<Finding> {
        self.detector.detect(text)
    }

    /// Detect and replace every identifier in `text`.
    pub fn deidentify(&self, text: &str, ctx: &DocumentContext) -> Deidentified {
        let findings = self.detector.detect(text);
        self.apply_sorted(text, &findings, ctx)
    }

    /// [`check_input`] then [`Deidentifier::deidentify`]: the entry point for one file of
    /// a batch.
    pub fn deidentify_bytes(
        &self,
        bytes: &[u8],
        ctx: &DocumentContext,
    ) -> Result<Deidentified, InputError> {
        let text = check_input(bytes)?;
        Ok(self.deidentify(text, ctx))
    }

    /// Replace exactly the given spans (e.g. the detector's findings after a reviewer
    /// added or removed some; use rule `manual` for added ones). Spans may come in any
    /// order but must be non-empty, inside the text, on character boundaries and
    /// non-overlapping.
    pub fn apply(
        &self,
        text: &str,
        spans: &[Finding],
        ctx: &DocumentContext,
    ) -> Result<Deidentified, SpanError> {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| (spans[i].start, spans[i].end));
        let mut prev_end = 0;
        for &index in &order {
            let f = &spans[index];
            if f.start >= f.end || f.end > text.len() {
                return Err(SpanError::OutOfBounds { index });
            }
            if !text.is_char_boundary(f.start) || !text.is_char_boundary(f.end) {
                return Err(SpanError::NotCharBoundary { index });
            }
            if f.start < prev_end {
                return Err(SpanError::Overlap { index });
            }
            prev_end = f.end;
        }
        let sorted: Vec<Finding> = order.iter().map(|&i| spans[i]).collect();
        Ok(self.apply_sorted(text, &sorted, ctx))
    }

    fn apply_sorted(
        &self,
        text: &str,
        findings: &[Finding],
        ctx: &DocumentContext,
    ) -> Deidentified {
        let (patient, source) = match &ctx.patient {
            Some(p) => (normalise_id(p.expose()), PatientSource::Given),
            None => match findings.iter().find(|f| f.category == Category::Mrn) {
                Some(f) => (normalise_id(&text[f.start..f.end]), PatientSource::Mrn),
                None => (String::new(), PatientSource::Default),
            },
        };
        let offset = self.date_offset_days(&patient);
        // The latest year the document mentions, and at least the year this rule was
        // written (time only moves on): a birth year 90 or more years before it shows
        // an age over 89.
        let reference_year = findings
            .iter()
            .filter(|f| f.category == Category::Date)
            .filter_map(|f| dates::year_of(&text[f.start..f.end]))
            .max()
            .unwrap_or(MIN_REFERENCE_YEAR)
            .max(MIN_REFERENCE_YEAR);
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut log = Vec::with_capacity(findings.len());
        let mut at = 0;
        for f in findings {
            out.push_str(&text[at..f.start]);
            let original = &text[f.start..f.end];
            let over_89 = f.category == Category::Date
                && dates::year_of(original).is_some_and(|y| reference_year - y >= 90)
                && dates::is_birth_date(text, f.start);
            let (replacement, action) = if over_89 {
                // Safe Harbor: every element of a date that shows an age over 89,
                // the year included, goes.
                (Category::Date.placeholder().to_owned(), Action::Redact)
            } else {
                self.replace(f, original, offset)
            };
            let out_start = out.len();
            out.push_str(&replacement);
            log.push(RedactionEntry {
                start: f.start,
                end: f.end,
                out_start,
                out_end: out.len(),
                category: f.category,
                action,
                rule: f.rule,
                confidence: f.confidence,
            });
            at = f.end;
        }
        out.push_str(&text[at..]);
        Deidentified {
            text: Phi::new(out),
            log,
            patient: source,
        }
    }

    /// The patient's date shift in days (1..=365, applied backwards).
    fn date_offset_days(&self, patient: &str) -> i64 {
        let h = self.key.derive("date-shift", &[patient.as_bytes()]);
        1 + i64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % 365)
    }

    fn replace(&self, f: &Finding, original: &str, offset: i64) -> (String, Action) {
        let c = f.category;
        let action = self.policy.action(c);
        let redact = || (c.placeholder().to_owned(), Action::Redact);
        match action {
            Action::Redact => redact(),
            Action::Mask => (
                original
                    .chars()
                    .map(|ch| if ch.is_alphanumeric() { '*' } else { ch })
                    .collect(),
                Action::Mask,
            ),
            Action::Generalize => match c {
                Category::Date => match dates::year_of(original) {
                    Some(y) => (format!("[DATE {y}]"), Action::Generalize),
                    None => redact(),
                },
                Category::Age => (generalize_age(original), Action::Generalize),
                Category::Zip => (generalize_zip(original), Action::Generalize),
                _ => redact(),
            },
            Action::DateShift if c == Category::Date => match dates::shift(original, offset) {
                Some(s) => (s, Action::DateShift),
                None => redact(),
            },
            Action::Surrogate | Action::DateShift => match c {
                Category::Date => match dates::shift(original, offset) {
                    Some(s) => (s, Action::DateShift),
                    None => redact(),
                },
                Category::Zip => (generalize_zip(original), Action::Generalize),
                Category::Age => (generalize_age(original), Action::Generalize),
                _ => (
                    surrogate::surrogate(&self.key, c, f.rule, original),
                    Action::Surrogate,
                ),
            },
        }
    }
}

fn normalise_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The age phrase with its number replaced by `90+` ("aged 95" becomes "aged 90+").
fn generalize_age(phrase: &str) -> String {
    match phrase.find(|c: char| c.is_ascii_digit()) {
        Some(i) => {
            let j = phrase[i..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(phrase.len(), |k| i + k);
            format!("{}90+{}", &phrase[..i], &phrase[j..])
        }
        None => "90+".to_owned(),
    }
}

/// First three digits plus `00`, or `00000` for a restricted prefix.
fn generalize_zip(zip: &str) -> String {
    let all: String = zip.chars().filter(char::is_ascii_digit).collect();
    // A four-digit ZIP code lost its leading zero ("2887" is 02887).
    let all = if all.len() == 4 {
        format!("0{all}")
    } else {
        all
    };
    let digits: String = all.chars().take(3).collect();
    if digits.len() < 3 || RESTRICTED_ZIP_PREFIXES.contains(&digits.as_str()) {
        "00000".to_owned()
    } else {
        format!("{digits}00")
    }
}

#[cfg(test)]
mod tests;
