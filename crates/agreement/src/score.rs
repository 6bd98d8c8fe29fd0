//! A score with its sample size, why it may be undefined, and fit warnings.

use std::fmt;

use serde::Serialize;

/// Fewer compared items than this gets a [`FitWarning::LowN`].
pub const MIN_ITEMS: usize = 10;

/// A label whose share of the compared ratings reaches this gets a
/// [`FitWarning::DominantLabel`].
pub const DOMINANT_SHARE: f64 = 0.9;

/// One agreement figure with the evidence behind it.
///
/// `value` is `None` exactly when `undefined` says why. `n_compared` counts the items the
/// figure was computed on, `n_total` the items that could have been (see each metric).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The figure, or `None` when it is undefined.
    pub value: Option<f64>,
    /// Items the figure was computed on.
    pub n_compared: usize,
    /// Items present (see each metric for which items count).
    pub n_total: usize,
    /// Why `value` is `None`.
    #[serde(rename = "reason")]
    pub undefined: Option<Undefined>,
    /// Reasons to distrust the figure even though it is defined.
    pub warnings: Vec<FitWarning>,
}

impl Score {
    /// A defined score.
    pub(crate) fn defined(value: f64, n_compared: usize, n_total: usize) -> Self {
        Score {
            value: Some(value),
            n_compared,
            n_total,
            undefined: None,
            warnings: Vec::new(),
        }
    }

    /// An undefined score.
    pub(crate) fn undefined(why: Undefined, n_compared: usize, n_total: usize) -> Self {
        Score {
            value: None,
            n_compared,
            n_total,
            undefined: Some(why),
            warnings: Vec::new(),
        }
    }

    /// Adds the warnings that depend on n only: low n and left-out items.
    pub(crate) fn warn_sample(&mut self, left_out_because: LeftOut) {
        if self.n_compared > 0 && self.n_compared < MIN_ITEMS {
            self.warnings.push(FitWarning::LowN { n: self.n_compared });
        }
        if self.n_compared < self.n_total {
            self.warnings.push(FitWarning::ItemsLeftOut {
                left_out: self.n_total - self.n_compared,
                total: self.n_total,
                because: left_out_because,
            });
        }
    }

    /// Adds [`FitWarning::DominantLabel`] when one label holds `max_count` of `n` ratings.
    pub(crate) fn warn_prevalence(&mut self, max_count: u64, n: u64, n_labels: usize) {
        if n == 0 || n_labels < 2 {
            return;
        }
        let share = max_count as f64 / n as f64;
        if share >= DOMINANT_SHARE {
            self.warnings.push(FitWarning::DominantLabel { share });
        }
    }
}

/// Why a score has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "Note")]
#[non_exhaustive]
pub enum Undefined {
    /// No item has ratings from two or more annotators.
    NoPairableItems,
    /// The two raters have no item in common.
    NoCommonItems,
    /// Every compared rating has the same label, so expected disagreement is zero and the
    /// chance-corrected score is 0/0.
    NoVariation,
    /// No compared item has a gold label.
    NoGold,
    /// Nothing to compare (no spans or regions on either side).
    NothingToCompare,
}

impl Undefined {
    /// A stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Undefined::NoPairableItems => "no_pairable_items",
            Undefined::NoCommonItems => "no_common_items",
            Undefined::NoVariation => "no_variation",
            Undefined::NoGold => "no_gold",
            Undefined::NothingToCompare => "nothing_to_compare",
        }
    }
}

impl fmt::Display for Undefined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Undefined::NoPairableItems => "no item has ratings from two or more annotators",
            Undefined::NoCommonItems => "the two raters have no item in common",
            Undefined::NoVariation => {
                "every compared rating has the same label, so chance agreement is total and the \
                 score is 0/0"
            }
            Undefined::NoGold => "no compared item has a gold label",
            Undefined::NothingToCompare => "there is nothing to compare on either side",
        })
    }
}

/// Why some items were not used for a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LeftOut {
    /// Items with a single rating carry no pair to compare.
    SingleRating,
    /// Items not rated by both of the two raters.
    NotRatedByBoth,
    /// Fleiss' kappa needs the same number of ratings per item.
    UnequalRatingCount {
        /// The rating count the kappa was computed for.
        ratings_per_item: usize,
    },
    /// Items without a gold label.
    NoGold,
}

impl fmt::Display for LeftOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeftOut::SingleRating => f.write_str("they have a single rating"),
            LeftOut::NotRatedByBoth => f.write_str("they were not rated by both"),
            LeftOut::UnequalRatingCount { ratings_per_item } => write!(
                f,
                "they do not have exactly {ratings_per_item} ratings (Fleiss' kappa needs an \
                 equal number per item)"
            ),
            LeftOut::NoGold => f.write_str("they have no gold label"),
        }
    }
}

/// A reason to distrust a defined score (UX rule 15: every score shows n and a fit warning).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(into = "Note")]
#[non_exhaustive]
pub enum FitWarning {
    /// Fewer than [`MIN_ITEMS`] items compared.
    LowN {
        /// Items compared.
        n: usize,
    },
    /// Some items present were not used.
    ItemsLeftOut {
        /// Items not used.
        left_out: usize,
        /// Items present.
        total: usize,
        /// Why they were not used.
        because: LeftOut,
    },
    /// Every compared rating has one label, so agreement is trivially perfect.
    SingleLabel,
    /// One label holds at least [`DOMINANT_SHARE`] of the compared ratings: percent agreement
    /// is inflated and chance-corrected scores can be low despite high agreement (the kappa
    /// paradox).
    DominantLabel {
        /// The label's share of compared ratings, in [0, 1].
        share: f64,
    },
    /// Observed agreement is high but kappa is low: a prevalence or bias effect.
    AgreementParadox {
        /// Observed (percent) agreement, in [0, 1].
        observed: f64,
        /// The chance-corrected score.
        corrected: f64,
    },
}

impl FitWarning {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FitWarning::LowN { .. } => "low_n",
            FitWarning::ItemsLeftOut { .. } => "items_left_out",
            FitWarning::SingleLabel => "single_label",
            FitWarning::DominantLabel { .. } => "dominant_label",
            FitWarning::AgreementParadox { .. } => "agreement_paradox",
        }
    }
}

impl fmt::Display for FitWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitWarning::LowN { n } => write!(
                f,
                "only {n} item(s) compared; figures on fewer than {MIN_ITEMS} items are unstable"
            ),
            FitWarning::ItemsLeftOut {
                left_out,
                total,
                because,
            } => write!(f, "{left_out} of {total} items left out because {because}"),
            FitWarning::SingleLabel => f.write_str(
                "every compared rating uses one label, so agreement is trivially perfect",
            ),
            FitWarning::DominantLabel { share } => write!(
                f,
                "one label makes up {:.0}% of compared ratings: percent agreement is inflated \
                 and chance-corrected scores can be low despite high agreement (kappa paradox)",
                share * 100.0
            ),
            FitWarning::AgreementParadox {
                observed,
                corrected,
            } => write!(
                f,
                "observed agreement is {:.0}% but the chance-corrected score is only {corrected:.2}: \
                 labels are unevenly used (prevalence or bias effect)",
                observed * 100.0
            ),
        }
    }
}

/// The JSON form of a warning or reason: a code to branch on and a sentence to show.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// One sentence for people.
    pub message: String,
}

impl From<FitWarning> for Note {
    fn from(w: FitWarning) -> Self {
        Note {
            code: w.code(),
            message: w.to_string(),
        }
    }
}

impl From<Undefined> for Note {
    fn from(u: Undefined) -> Self {
        Note {
            code: u.code(),
            message: u.to_string(),
        }
    }
}

/// Adds [`FitWarning::AgreementParadox`] when observed agreement is at least 0.8 and the
/// chance-corrected score below 0.4.
pub(crate) fn warn_paradox(score: &mut Score, observed: Option<f64>) {
    if let (Some(observed), Some(corrected)) = (observed, score.value) {
        if observed >= 0.8 && corrected < 0.4 {
            score.warnings.push(FitWarning::AgreementParadox {
                observed,
                corrected,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_serialise_as_code_and_message() {
        let w = FitWarning::ItemsLeftOut {
            left_out: 3,
            total: 12,
            because: LeftOut::SingleRating,
        };
        let json = serde_json::to_value(w).unwrap();
        assert_eq!(json["code"], "items_left_out");
        assert_eq!(
            json["message"],
            "3 of 12 items left out because they have a single rating"
        );
    }

    #[test]
    fn undefined_score_serialises_null_value_and_reason() {
        let s = Score::undefined(Undefined::NoVariation, 4, 5);
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["value"].is_null(), "undefined must be null, never NaN");
        assert_eq!(json["reason"]["code"], "no_variation");
    }

    #[test]
    fn sample_warnings_follow_n() {
        let mut s = Score::defined(0.5, 9, 9);
        s.warn_sample(LeftOut::SingleRating);
        assert_eq!(s.warnings, [FitWarning::LowN { n: 9 }]);
        let mut s = Score::defined(0.5, 10, 10);
        s.warn_sample(LeftOut::SingleRating);
        assert!(s.warnings.is_empty(), "10 complete items need no warning");
    }
}
