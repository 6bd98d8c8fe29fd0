//! Inter-annotator agreement for Airlock: pure math over ratings, spans and regions, with no
//! I/O beyond parsing a reader the caller hands in.
//!
//! A [`RatingsTable`] holds `(item, annotator, label)` ratings, missing ratings allowed, and
//! optional gold labels. From it come [`percent_agreement`], [`cohen_kappa`] (unweighted and
//! weighted, equal to scikit-learn), [`fleiss_kappa`] (equal to statsmodels),
//! [`krippendorff_alpha`] at nominal, ordinal and interval level (equal to the PyPI
//! `krippendorff` package), [`per_label_agreement`], [`pairwise_agreement`],
//! [`confusion_matrix`] and [`accuracy_against_gold`]. Every figure is a [`Score`]: the value
//! (or `None` and an [`Undefined`] reason), the items compared and present, and
//! [`FitWarning`]s where a figure is a poor fit (few items, a dominant label, items left out).
//! [`report_from_csv`] reads `item,annotator,label` CSV into a serialisable [`Report`].
//! [`SpanCounts`] scores text spans (exact or overlap matching); [`match_boxes`] and
//! [`match_polygons`] pair image regions one-to-one (optimal assignment) for IoU and Dice.
//!
//! All table metrics run in O(ratings · log ratings): sums over coincidences are taken in
//! closed form per item, never over pairs of ratings.
//!
//! ```
//! use airlock_agreement::{cohen_kappa, krippendorff_alpha, Level, RatingsTable, Rater};
//!
//! let table = RatingsTable::from_triples(
//!     Level::Nominal,
//!     [
//!         ("note-1", "A1", "pneumonia"), ("note-1", "A2", "pneumonia"),
//!         ("note-2", "A1", "effusion"),  ("note-2", "A2", "pneumonia"),
//!         ("note-3", "A1", "effusion"),  ("note-3", "A2", "effusion"),
//!         ("note-4", "A1", "normal"),    // A2 has not rated note-4 yet
//!     ],
//! )?;
//! let kappa = cohen_kappa(&table, Rater::Annotator(0), Rater::Annotator(1))?;
//! assert_eq!((kappa.score.n_compared, kappa.score.n_total), (3, 4));
//! assert!((kappa.score.value.unwrap() - 0.4).abs() < 1e-12);
//! assert_eq!(kappa.score.warnings[0].code(), "low_n");
//!
//! let alpha = krippendorff_alpha(&table, Level::Nominal)?;
//! assert!((alpha.score.value.unwrap() - 0.4444444444444444).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod csv_input;
mod multi;
mod pair;
mod polygons;
mod regions;
mod report;
mod score;
mod spans;
mod table;

pub use csv_input::{
    read_ratings_csv, read_ratings_csv_with_limits, report_from_csv, CsvError, CsvLimits,
};
pub use multi::{
    fleiss_kappa, krippendorff_alpha, per_label_agreement, percent_agreement, FleissKappa,
    KrippendorffAlpha, LabelAgreement,
};
pub use pair::{
    accuracy_against_gold, cohen_kappa, confusion_matrix, pairwise_agreement, CohenKappa,
    ConfusionMatrix, GoldAccuracy, PairAgreement, Rater, MAX_CONFUSION_LABELS,
    MAX_PAIRWISE_ANNOTATORS,
};
pub use polygons::{
    match_polygons, polygon_iou, PolygonRegion, MAX_POLYGON_VERTICES, MAX_TRIANGLE_PAIRS,
};
pub use regions::{
    dice_from_iou, match_boxes, BoundingBox, MatchOptions, RegionAgreement, RegionError,
    RegionPair, MAX_REGIONS_PER_IMAGE,
};
pub use report::Report;
pub use score::{FitWarning, LeftOut, Note, Score, Undefined, DOMINANT_SHARE, MIN_ITEMS};
pub use spans::{
    Side, Span, SpanCounts, SpanError, SpanMatch, SpanScores, SpanTally, MAX_SPANS_PER_DOCUMENT,
};
pub use table::{Field, Level, ParseLevelError, RatingError, RatingsTable, RatingsTableBuilder};

/// A metric was asked for something the table cannot give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricError {
    /// Ordinal or interval level on a table read at nominal level.
    #[error("ordinal and interval levels need a table with numeric labels")]
    LabelsNotNumeric,
    /// An annotator index past the end of the table's annotators.
    #[error("annotator {index} does not exist (the table has {n_annotators})")]
    UnknownAnnotator {
        /// The index asked for.
        index: usize,
        /// Annotators in the table.
        n_annotators: usize,
    },
    /// Both sides of a two-rater comparison are the same rater.
    #[error("a rater cannot be compared with itself")]
    SameRater,
    /// More labels than a dense matrix may have.
    #[error("{labels} labels are more than the {max} a matrix may have")]
    TooManyLabels {
        /// Labels used.
        labels: usize,
        /// The limit.
        max: usize,
    },
    /// More annotators than an all-pairs computation may have.
    #[error("{annotators} annotators are more than the {max} an all-pairs matrix may have")]
    TooManyAnnotators {
        /// Annotators in the table.
        annotators: usize,
        /// The limit.
        max: usize,
    },
}
