//! [`Finding`]: one detected identifier span.

use serde::Serialize;

use crate::category::Category;

/// One identifier found in a document: a byte range of the input (always on UTF-8
/// character boundaries), its Safe Harbor category, the rule that found it and how sure
/// that rule is. A finding never carries the matched text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Finding {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The Safe Harbor category.
    pub category: Category,
    /// Stable id of the rule that produced the finding, e.g. `date.mdy_slash`.
    pub rule: &'static str,
    /// The rule's confidence in `0.0..=1.0`; context-free guesses score lower.
    pub confidence: f32,
}

impl Finding {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span is empty (never produced by the detector).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}
