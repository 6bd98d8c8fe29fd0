//! [`RedactionEntry`]: one line of a document's redaction log.

use serde::Serialize;

use super::policy::Action;
use crate::category::Category;

/// What was changed at one place in a document and why. It holds offsets, never the
/// original or the replacement text, so a log can be kept and shared without PHI.
/// Serialises to one JSON object (for JSONL logs):
/// `{"start":12,"end":22,"out_start":12,"out_end":18,"category":"date","action":"generalize","rule":"date.mdy_slash","confidence":0.97}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RedactionEntry {
    /// Byte offset of the identifier in the original text.
    pub start: usize,
    /// Byte offset one past the identifier in the original text.
    pub end: usize,
    /// Byte offset of the replacement in the output text.
    pub out_start: usize,
    /// Byte offset one past the replacement in the output text.
    pub out_end: usize,
    /// The identifier's category.
    pub category: Category,
    /// The action actually applied (a date that cannot be read falls back to redact).
    pub action: Action,
    /// The detection rule, or `manual` for a span added by a reviewer.
    pub rule: &'static str,
    /// Detection confidence (1.0 for manual spans).
    pub confidence: f32,
}
