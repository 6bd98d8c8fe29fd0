//! The agreement report printed by `airlock agreement --format json`.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::multi::{
    alpha_at, fleiss_kappa, krippendorff_alpha, per_label_agreement, percent_agreement,
    FleissKappa, KrippendorffAlpha, LabelAgreement,
};
use crate::pair::{kappa_between, CohenKappa, Rater};
use crate::score::{FitWarning, Note, Score};
use crate::table::{Level, RatingsTable};
use crate::MetricError;

/// Every table-wide agreement figure for one ratings table.
///
/// Serialised (JSON) as an object whose keys `percent_agreement`, `cohen_kappa`,
/// `fleiss_kappa` and `krippendorff_alpha` hold plain numbers (`null` when undefined; the
/// reason is in `metrics`). `cohen_kappa` is present only when the table has exactly two
/// annotators. Then come `level`, `n_ratings`, `n_items`, `n_annotators`, `n_labels`,
/// `metrics` (each figure with `value`, `n_compared`, `n_total`, `reason`, `warnings`, and
/// extras such as Fleiss' `ratings_per_item`), `per_label`, and `warnings` (every metric's
/// warnings as `{metric, code, message}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The level Krippendorff's alpha was computed at.
    pub level: Level,
    /// Ratings in the table.
    pub n_ratings: usize,
    /// Items with at least one rating.
    pub n_items: usize,
    /// Annotators.
    pub n_annotators: usize,
    /// Distinct labels.
    pub n_labels: usize,
    /// See [`percent_agreement`].
    pub percent_agreement: Score,
    /// See [`crate::cohen_kappa`]; `Some` exactly when there are two annotators.
    pub cohen_kappa: Option<CohenKappa>,
    /// See [`fleiss_kappa`].
    pub fleiss_kappa: FleissKappa,
    /// See [`krippendorff_alpha`].
    pub krippendorff_alpha: KrippendorffAlpha,
    /// See [`per_label_agreement`].
    pub per_label: Vec<LabelAgreement>,
}

impl Report {
    /// Computes the report with Krippendorff's alpha at `level`.
    ///
    /// Fails only when `level` is ordinal or interval and the table's labels are not numeric.
    pub fn new(table: &RatingsTable, level: Level) -> Result<Self, MetricError> {
        Ok(Report::with_alpha(table, krippendorff_alpha(table, level)?))
    }

    /// The report at the table's own level, which is always computable.
    pub fn for_table(table: &RatingsTable) -> Self {
        Report::with_alpha(table, alpha_at(table, table.level()))
    }

    fn with_alpha(table: &RatingsTable, krippendorff_alpha: KrippendorffAlpha) -> Self {
        let two = table.annotators().len() == 2;
        Report {
            level: krippendorff_alpha.level,
            n_ratings: table.n_ratings(),
            n_items: table.n_rated_items(),
            n_annotators: table.annotators().len(),
            n_labels: table.labels().len(),
            percent_agreement: percent_agreement(table),
            cohen_kappa: two
                .then(|| kappa_between(table, Rater::Annotator(0), Rater::Annotator(1))),
            fleiss_kappa: fleiss_kappa(table),
            krippendorff_alpha,
            per_label: per_label_agreement(table),
        }
    }

    /// Every metric's warnings, tagged with the metric's JSON key.
    pub fn warnings(&self) -> Vec<(&'static str, FitWarning)> {
        let mut out = Vec::new();
        let mut add = |metric: &'static str, score: &Score| {
            out.extend(score.warnings.iter().map(|w| (metric, *w)));
        };
        add("percent_agreement", &self.percent_agreement);
        if let Some(k) = &self.cohen_kappa {
            add("cohen_kappa", &k.score);
        }
        add("fleiss_kappa", &self.fleiss_kappa.score);
        add("krippendorff_alpha", &self.krippendorff_alpha.score);
        out
    }
}

/// One entry of the report's `warnings` list.
#[derive(serde::Serialize)]
struct TaggedNote {
    metric: &'static str,
    #[serde(flatten)]
    note: Note,
}

/// The report's `metrics` object.
#[derive(serde::Serialize)]
struct Metrics<'a> {
    percent_agreement: &'a Score,
    #[serde(skip_serializing_if = "Option::is_none")]
    cohen_kappa: Option<&'a CohenKappa>,
    fleiss_kappa: &'a FleissKappa,
    krippendorff_alpha: &'a KrippendorffAlpha,
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("percent_agreement", &self.percent_agreement.value)?;
        if let Some(k) = &self.cohen_kappa {
            map.serialize_entry("cohen_kappa", &k.score.value)?;
        }
        map.serialize_entry("fleiss_kappa", &self.fleiss_kappa.score.value)?;
        map.serialize_entry("krippendorff_alpha", &self.krippendorff_alpha.score.value)?;
        map.serialize_entry("level", &self.level)?;
        map.serialize_entry("n_ratings", &self.n_ratings)?;
        map.serialize_entry("n_items", &self.n_items)?;
        map.serialize_entry("n_annotators", &self.n_annotators)?;
        map.serialize_entry("n_labels", &self.n_labels)?;
        map.serialize_entry(
            "metrics",
            &Metrics {
                percent_agreement: &self.percent_agreement,
                cohen_kappa: self.cohen_kappa.as_ref(),
                fleiss_kappa: &self.fleiss_kappa,
                krippendorff_alpha: &self.krippendorff_alpha,
            },
        )?;
        map.serialize_entry("per_label", &self.per_label)?;
        let warnings: Vec<TaggedNote> = self
            .warnings()
            .into_iter()
            .map(|(metric, w)| TaggedNote {
                metric,
                note: w.into(),
            })
            .collect();
        map.serialize_entry("warnings", &warnings)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_from_csv;

    #[test]
    fn json_has_the_contract_keys_with_numbers_or_null() {
        let csv = "item,annotator,label\n1,A,x\n1,B,x\n2,A,y\n2,B,x\n3,A,y\n";
        let report = report_from_csv(csv.as_bytes(), Level::Nominal).unwrap();
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["percent_agreement"].is_f64());
        assert!(
            json["cohen_kappa"].is_f64(),
            "two annotators: cohen_kappa present"
        );
        assert!(json["fleiss_kappa"].is_f64());
        assert!(json["krippendorff_alpha"].is_f64());
        assert_eq!(json["n_items"], 3);
        assert_eq!(json["metrics"]["krippendorff_alpha"]["n_compared"], 2);
        assert_eq!(json["metrics"]["krippendorff_alpha"]["n_total"], 3);
        let codes: Vec<&str> = json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"low_n") && codes.contains(&"items_left_out"));
    }

    #[test]
    fn undefined_figures_are_null_with_a_reason_and_cohen_absent_for_three() {
        let csv = "item,annotator,label\n1,A,x\n1,B,x\n1,C,x\n2,A,x\n2,B,x\n";
        let report = report_from_csv(csv.as_bytes(), Level::Nominal).unwrap();
        let json = serde_json::to_value(&report).unwrap();
        assert!(
            json.get("cohen_kappa").is_none(),
            "three annotators: no cohen_kappa"
        );
        assert!(json["krippendorff_alpha"].is_null());
        assert_eq!(
            json["metrics"]["krippendorff_alpha"]["reason"]["code"],
            "no_variation"
        );
        assert!(json["fleiss_kappa"].is_null());
        assert_eq!(json["percent_agreement"], 1.0);
        let text = serde_json::to_string(&report).unwrap();
        assert!(!text.contains("NaN"), "JSON never holds NaN");
    }

    #[test]
    fn empty_input_gives_a_report_of_reasons() {
        let report = report_from_csv("item,annotator,label\n".as_bytes(), Level::Interval).unwrap();
        assert_eq!(report.n_ratings, 0);
        assert_eq!(report.percent_agreement.value, None);
        assert_eq!(report.fleiss_kappa.score.value, None);
        assert_eq!(report.krippendorff_alpha.score.value, None);
    }

    #[test]
    fn nominal_table_cannot_report_interval_alpha() {
        let t = RatingsTable::from_triples(Level::Nominal, [("1", "A", "x")]).unwrap();
        assert_eq!(
            Report::new(&t, Level::Interval).unwrap_err(),
            MetricError::LabelsNotNumeric
        );
        assert!(Report::new(&t, Level::Nominal).is_ok());
    }
}
