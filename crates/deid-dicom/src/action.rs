//! Action codes of PS3.15 Table E.1-1 and what Airlock does for each.

use serde::{Deserialize, Serialize};

/// An action code as written in PS3.15 Table E.1-1 (and its option columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ActionCode {
    /// Replace with a non-zero length dummy value consistent with the VR.
    #[serde(rename = "D")]
    D,
    /// Replace with a zero length value (or a dummy value).
    #[serde(rename = "Z")]
    Z,
    /// Remove.
    #[serde(rename = "X")]
    X,
    /// Keep (sequences are still cleaned recursively).
    #[serde(rename = "K")]
    K,
    /// Clean: replace with values of similar meaning known not to identify.
    #[serde(rename = "C")]
    C,
    /// Replace with a UID that is internally consistent within the project.
    #[serde(rename = "U")]
    U,
    /// Z unless D is needed for IOD conformance.
    #[serde(rename = "Z/D")]
    ZD,
    /// X unless Z is needed for IOD conformance.
    #[serde(rename = "X/Z")]
    XZ,
    /// X unless D is needed for IOD conformance.
    #[serde(rename = "X/D")]
    XD,
    /// X unless Z or D is needed for IOD conformance.
    #[serde(rename = "X/Z/D")]
    XZD,
    /// X unless Z or replacing the contained instance UIDs is needed.
    #[serde(rename = "X/Z/U*")]
    XZUStar,
}

impl ActionCode {
    /// The code as written in the standard, e.g. `"X/Z/D"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionCode::D => "D",
            ActionCode::Z => "Z",
            ActionCode::X => "X",
            ActionCode::K => "K",
            ActionCode::C => "C",
            ActionCode::U => "U",
            ActionCode::ZD => "Z/D",
            ActionCode::XZ => "X/Z",
            ActionCode::XD => "X/D",
            ActionCode::XZD => "X/Z/D",
            ActionCode::XZUStar => "X/Z/U*",
        }
    }

    /// The single code applied for a combined code. Without per-IOD attribute types the
    /// choice that keeps every IOD valid is taken: a dummy where Type 1 is possible (Z/D,
    /// X/D, X/Z/D give D), an empty value where Type 2 is (X/Z gives Z), and for X/Z/U*
    /// the sequence is kept with its instance UIDs replaced (and its items cleaned).
    pub(crate) fn resolve(self) -> ActionCode {
        match self {
            ActionCode::ZD | ActionCode::XD | ActionCode::XZD => ActionCode::D,
            ActionCode::XZ => ActionCode::Z,
            ActionCode::XZUStar => ActionCode::U,
            other => other,
        }
    }
}

/// What was done to one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// The attribute was removed.
    Removed,
    /// The value was replaced with an empty one (sequences: no items).
    Emptied,
    /// The value was replaced with a fixed dummy value of the same VR.
    Dummy,
    /// The value was replaced with a keyed pseudonym (the same for one patient).
    Pseudonym,
    /// Each UID was replaced with its keyed `2.25.` UID.
    UidReplaced,
    /// Each date was shifted back by the patient's keyed offset.
    DateShifted,
    /// Text was cleaned by the caller's text de-identifier.
    TextCleaned,
    /// An age over 89 years was aggregated to 090Y (HIPAA Safe Harbor).
    AgeAggregated,
    /// The value was set by Airlock (de-identification markers, pixel attributes).
    Set,
}
