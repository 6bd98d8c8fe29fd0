//! Scores over any number of annotators: percent agreement, Fleiss' kappa, Krippendorff's
//! alpha and per-label figures.

use std::collections::HashMap;

use serde::Serialize;

use crate::score::{LeftOut, Score, Undefined};
use crate::table::{Level, RatingsTable};
use crate::MetricError;

/// Percent agreement: the mean, over items with at least two ratings, of the share of
/// annotator pairs on the item that gave the same label.
///
/// For an item with `m` ratings of which `n_c` carry label `c`, the item's agreement is
/// `Σ_c n_c (n_c − 1) / (m (m − 1))`; the score is the unweighted mean over those items, in
/// [0, 1]. With two annotators this is the share of commonly rated items with identical labels
/// (scikit-learn's `accuracy_score(y1, y2)`, R `irr::agree` at tolerance 0); with complete data
/// it equals the observed agreement P̄ of Fleiss' kappa (statsmodels). It is not `irr::agree`
/// for three or more raters, which counts only items on which *all* raters agree.
///
/// `n_compared` = items with ≥ 2 ratings, `n_total` = items with ≥ 1 rating. Labels are
/// compared by identity at every level (in numeric tables, by value).
pub fn percent_agreement(table: &RatingsTable) -> Score {
    let n_total = table.n_rated_items();
    let mut sum = 0.0;
    let mut n = 0usize;
    let mut label_counts = vec![0u64; table.labels().len()];
    for row in table.pairable_rows() {
        let m = u64::from(row.m);
        let mut agree = 0u64;
        for cell in table.row_cells(row) {
            let c = u64::from(cell.count);
            agree += c * (c - 1);
            label_counts[cell.label as usize] += c;
        }
        sum += agree as f64 / (m * (m - 1)) as f64;
        n += 1;
    }
    if n == 0 {
        let mut s = Score::undefined(Undefined::NoPairableItems, 0, n_total);
        s.warn_sample(LeftOut::SingleRating);
        return s;
    }
    let mut s = Score::defined(sum / n as f64, n, n_total);
    s.warn_sample(LeftOut::SingleRating);
    let (used, max, total) = label_spread(&label_counts);
    if used == 1 {
        s.warnings.push(crate::FitWarning::SingleLabel);
    }
    s.warn_prevalence(max, total, used);
    s
}

/// Fleiss' kappa, with the number of ratings per item it was computed for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleissKappa {
    /// The kappa and its sample.
    #[serde(flatten)]
    pub score: Score,
    /// The number of ratings every used item has (`None` when no item has two).
    pub ratings_per_item: Option<usize>,
}

/// Fleiss' kappa (Fleiss 1971), as `statsmodels.stats.inter_rater.fleiss_kappa`
/// (`method="fleiss"`).
///
/// The formula needs the same number `m` of ratings on every item (not necessarily from the
/// same annotators). When counts differ, the kappa is computed on the items whose count is the
/// most common one among items with ≥ 2 ratings (ties go to the larger count) and the others
/// are reported as left out, with a [`crate::FitWarning::ItemsLeftOut`]. For complete data this
/// is the whole table and the value equals statsmodels to rounding. `n_compared` = items used,
/// `n_total` = items with ≥ 1 rating. Labels are nominal at every level.
pub fn fleiss_kappa(table: &RatingsTable) -> FleissKappa {
    let n_total = table.n_rated_items();
    let mut by_count: HashMap<u32, usize> = HashMap::new();
    for row in table.pairable_rows() {
        *by_count.entry(row.m).or_default() += 1;
    }
    let Some((&m, _)) = by_count
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)))
    else {
        let mut s = Score::undefined(Undefined::NoPairableItems, 0, n_total);
        s.warn_sample(LeftOut::SingleRating);
        return FleissKappa {
            score: s,
            ratings_per_item: None,
        };
    };
    let mut label_totals = vec![0u64; table.labels().len()];
    let mut squares = 0u64;
    let mut n_items = 0u64;
    for row in table.rows.iter().filter(|r| r.m == m) {
        for cell in table.row_cells(row) {
            let c = u64::from(cell.count);
            squares += c * c;
            label_totals[cell.label as usize] += c;
        }
        n_items += 1;
    }
    let m64 = u64::from(m);
    let n_ratings = n_items * m64;
    let p_bar = (squares - n_ratings) as f64 / (n_ratings * (m64 - 1)) as f64;
    let p_e: f64 = label_totals
        .iter()
        .map(|&c| {
            let p = c as f64 / n_ratings as f64;
            p * p
        })
        .sum();
    let (used, max, total) = label_spread(&label_totals);
    let n = n_items as usize;
    let mut score = if used < 2 {
        Score::undefined(Undefined::NoVariation, n, n_total)
    } else {
        Score::defined((p_bar - p_e) / (1.0 - p_e), n, n_total)
    };
    score.warn_sample(LeftOut::UnequalRatingCount {
        ratings_per_item: m as usize,
    });
    score.warn_prevalence(max, total, used);
    crate::score::warn_paradox(&mut score, Some(p_bar));
    FleissKappa {
        score,
        ratings_per_item: Some(m as usize),
    }
}

/// Krippendorff's alpha, with the level and the number of pairable values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KrippendorffAlpha {
    /// The alpha and its sample.
    #[serde(flatten)]
    pub score: Score,
    /// The level of measurement used.
    pub level: Level,
    /// Ratings on items with ≥ 2 ratings (Krippendorff's n).
    pub n_pairable_values: usize,
}

/// Krippendorff's alpha at `level`, with missing ratings, equal to the PyPI `krippendorff`
/// package's `alpha(reliability_data=..., level_of_measurement=...)`.
///
/// `alpha = 1 − D_o / D_e` from the coincidence matrix of pairable values (Krippendorff 2011):
/// items with a single rating are left out, each item with `m ≥ 2` ratings contributes its
/// `m (m − 1)` ordered pairs weighted `1 / (m − 1)`. Distances: nominal `[c ≠ k]`; ordinal
/// `(Σ_{g=c..k} n_g − (n_c + n_k)/2)²` over the pairable label frequencies `n_g` in numeric
/// order; interval `(c − k)²`. The sums are computed in closed form, in O(ratings) time, never
/// over pairs of ratings or labels: the ordinal distance equals the squared difference of the
/// labels' mid-ranks `P_c − n_c/2` (`P_c` the cumulative frequency), so ordinal and interval
/// both reduce to within-item and total sums of squares.
///
/// `n_compared` = items with ≥ 2 ratings, `n_total` = items with ≥ 1 rating. Undefined when no
/// item has two ratings or all pairable values are equal (the reference returns NaN or raises).
/// Ordinal and interval need a numeric table.
pub fn krippendorff_alpha(
    table: &RatingsTable,
    level: Level,
) -> Result<KrippendorffAlpha, MetricError> {
    if level.is_numeric() && !table.level().is_numeric() {
        return Err(MetricError::LabelsNotNumeric);
    }
    Ok(alpha_at(table, level))
}

/// Krippendorff's alpha at a level the table's labels support (numeric levels need numeric
/// labels; without them interval values are taken as missing, which callers rule out).
pub(crate) fn alpha_at(table: &RatingsTable, level: Level) -> KrippendorffAlpha {
    let n_total = table.n_rated_items();
    let mut marginals = vec![0u64; table.labels().len()];
    let mut n_items = 0usize;
    for row in table.pairable_rows() {
        for cell in table.row_cells(row) {
            marginals[cell.label as usize] += u64::from(cell.count);
        }
        n_items += 1;
    }
    let (used, max, n) = label_spread(&marginals);
    let result = |score: Score| KrippendorffAlpha {
        score,
        level,
        n_pairable_values: n as usize,
    };
    if n_items == 0 {
        let mut s = Score::undefined(Undefined::NoPairableItems, 0, n_total);
        s.warn_sample(LeftOut::SingleRating);
        return result(s);
    }
    if used < 2 {
        let mut s = Score::undefined(Undefined::NoVariation, n_items, n_total);
        s.warn_sample(LeftOut::SingleRating);
        return result(s);
    }
    let nf = n as f64;
    // Σ_{c,k} o_ck δ_ck / (Σ_{c,k} n_c n_k δ_ck), up to the common factor handled below.
    let alpha = match level {
        Level::Nominal => {
            let mut observed = 0.0;
            for row in table.pairable_rows() {
                let m = u64::from(row.m);
                let same: u64 = table
                    .row_cells(row)
                    .iter()
                    .map(|c| u64::from(c.count) * u64::from(c.count))
                    .sum();
                observed += (m * m - same) as f64 / (m - 1) as f64;
            }
            let same: u128 = marginals
                .iter()
                .map(|&c| u128::from(c) * u128::from(c))
                .sum();
            let expected = (u128::from(n) * u128::from(n) - same) as f64;
            1.0 - (nf - 1.0) * observed / expected
        }
        Level::Ordinal | Level::Interval => {
            let x: Vec<f64> = if level == Level::Ordinal {
                mid_ranks(&marginals)
            } else {
                table.label_values().unwrap_or_default().to_vec()
            };
            // Σ_{i≠j} (x_i − x_j)² = 2 m SS for a group of m values with sum of squares SS.
            let mut observed = 0.0;
            for row in table.pairable_rows() {
                let cells = table.row_cells(row);
                let m = f64::from(row.m);
                let mean = cells
                    .iter()
                    .map(|c| f64::from(c.count) * x[c.label as usize])
                    .sum::<f64>()
                    / m;
                let ss: f64 = cells
                    .iter()
                    .map(|c| {
                        let d = x[c.label as usize] - mean;
                        f64::from(c.count) * d * d
                    })
                    .sum();
                observed += m * ss / (m - 1.0);
            }
            let mean = marginals
                .iter()
                .zip(&x)
                .map(|(&c, &v)| c as f64 * v)
                .sum::<f64>()
                / nf;
            let ss_total: f64 = marginals
                .iter()
                .zip(&x)
                .map(|(&c, &v)| c as f64 * (v - mean) * (v - mean))
                .sum();
            1.0 - (nf - 1.0) * observed / (nf * ss_total)
        }
    };
    let mut s = Score::defined(alpha, n_items, n_total);
    s.warn_sample(LeftOut::SingleRating);
    s.warn_prevalence(max, n, used);
    result(s)
}

/// Mid-rank of each label: cumulative frequency up to and including it, minus half its own
/// frequency. Krippendorff's ordinal distance between c and k is the squared difference.
fn mid_ranks(marginals: &[u64]) -> Vec<f64> {
    let mut cumulative = 0u64;
    marginals
        .iter()
        .map(|&c| {
            cumulative += c;
            cumulative as f64 - c as f64 / 2.0
        })
        .collect()
}

/// (labels used, largest count, total count) of a label-count vector.
pub(crate) fn label_spread(counts: &[u64]) -> (usize, u64, u64) {
    let used = counts.iter().filter(|&&c| c > 0).count();
    let max = counts.iter().copied().max().unwrap_or(0);
    (used, max, counts.iter().sum())
}

/// Agreement figures for one label, for the Agreement page's per-label bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelAgreement {
    /// The label.
    pub label: String,
    /// Ratings with this label on items with ≥ 2 ratings.
    pub n_ratings: usize,
    /// Specific (positive) agreement: of the annotator pairs on an item in which at least one
    /// gave this label, the share in which both did: `Σ_u n_uc (n_uc − 1) / Σ_u n_uc (m_u − 1)`.
    /// With two annotators, `2 a / (2 a + b + c)`. `None` when the label has no pairable rating.
    pub specific_agreement: Option<f64>,
    /// Krippendorff's nominal alpha of "this label" against "any other label"
    /// (equal to the `krippendorff` package on the binarised data). `None` when the label has
    /// no pairable rating or every pairable rating has it.
    pub alpha_one_vs_rest: Option<f64>,
}

/// Per-label figures for every label that has at least one rating, in label order.
pub fn per_label_agreement(table: &RatingsTable) -> Vec<LabelAgreement> {
    let k = table.labels().len();
    let mut n_c = vec![0u64; k];
    let mut rated = vec![false; k];
    let mut pairs_same = vec![0u64; k];
    let mut pairs_with = vec![0u64; k];
    let mut disagree = vec![0.0f64; k];
    for row in &table.rows {
        for cell in table.row_cells(row) {
            rated[cell.label as usize] = true;
        }
    }
    let mut n = 0u64;
    for row in table.pairable_rows() {
        let m = u64::from(row.m);
        n += m;
        for cell in table.row_cells(row) {
            let (l, c) = (cell.label as usize, u64::from(cell.count));
            n_c[l] += c;
            pairs_same[l] += c * (c - 1);
            pairs_with[l] += c * (m - 1);
            disagree[l] += (c * (m - c)) as f64 / (m - 1) as f64;
        }
    }
    (0..k)
        .filter(|&l| rated[l])
        .map(|l| {
            let specific = (pairs_with[l] > 0).then(|| pairs_same[l] as f64 / pairs_with[l] as f64);
            let expected = n_c[l] * (n - n_c[l]);
            let alpha =
                (expected > 0).then(|| 1.0 - (n as f64 - 1.0) * disagree[l] / expected as f64);
            LabelAgreement {
                label: table.labels()[l].clone(),
                n_ratings: n_c[l] as usize,
                specific_agreement: specific,
                alpha_one_vs_rest: alpha,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FitWarning;

    /// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4
    /// observers, 12 units, missing data. Rows are observers A–D, `.` is missing.
    const KRIPPENDORFF_2011: [[&str; 12]; 4] = [
        ["1", "2", "3", "3", "2", "1", "4", "1", "2", ".", ".", "."],
        ["1", "2", "3", "3", "2", "2", "4", "1", "2", "5", ".", "3"],
        [".", "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", "."],
        ["1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", "."],
    ];

    pub(crate) fn grid(level: Level, rows: &[[&str; 12]]) -> RatingsTable {
        let mut b = RatingsTable::builder(level);
        for (a, row) in rows.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                if *v != "." {
                    b.rate(&format!("u{i}"), &format!("obs{a}"), v).unwrap();
                }
            }
        }
        b.build()
    }

    fn alpha(t: &RatingsTable, level: Level) -> f64 {
        krippendorff_alpha(t, level).unwrap().score.value.unwrap()
    }

    #[test]
    fn krippendorff_2011_worked_example() {
        let t = grid(Level::Interval, &KRIPPENDORFF_2011);
        // The paper prints 0.743 (nominal), 0.815 (ordinal) and 0.849 (interval). The exact
        // values asserted below are those of the PyPI `krippendorff` 0.9.0 package on the same
        // data; the nominal one is also checked against the paper's fraction.
        let nominal = alpha(&t, Level::Nominal);
        assert!((nominal - 0.743421052631579).abs() < 1e-12, "{nominal}");
        assert_eq!(format!("{nominal:.3}"), "0.743");
        // By hand: n = 40 pairable values with frequencies 9, 13, 10, 5, 3 (Σ n_c² = 384) and
        // mismatching coincidences summing to 8, so alpha = 1 − 39·8 / (40² − 384) = 113/152.
        assert!((nominal - 113.0 / 152.0).abs() < 1e-12);
        let ordinal = alpha(&t, Level::Ordinal);
        assert!((ordinal - 0.8153875037548814).abs() < 1e-12, "{ordinal}");
        assert_eq!(format!("{ordinal:.3}"), "0.815");
        let interval = alpha(&t, Level::Interval);
        assert!((interval - 0.8491071428571428).abs() < 1e-12, "{interval}");
        assert_eq!(format!("{interval:.3}"), "0.849");
        let a = krippendorff_alpha(&t, Level::Nominal).unwrap();
        assert_eq!(a.n_pairable_values, 40, "unit 12 has a single value");
        assert_eq!((a.score.n_compared, a.score.n_total), (11, 12));
    }

    #[test]
    fn krippendorff_package_docstring_example_with_missing_data() {
        // The `krippendorff` package's docstring: nominal 0.691358, interval 0.810845.
        let rows = [
            [
                ".", ".", ".", ".", ".", "3", "4", "1", "2", "1", "1", "3", "3", ".", "3",
            ],
            [
                "1", ".", "2", "1", "3", "3", "4", "3", ".", ".", ".", ".", ".", ".", ".",
            ],
            [
                ".", ".", "2", "1", "3", "4", "4", ".", "2", "1", "1", "3", "3", ".", "4",
            ],
        ];
        let mut b = RatingsTable::builder(Level::Interval);
        for (a, row) in rows.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                if *v != "." {
                    b.rate(&format!("u{i}"), &format!("c{a}"), v).unwrap();
                }
            }
        }
        let t = b.build();
        assert!((alpha(&t, Level::Nominal) - 0.691358024691358).abs() < 1e-12);
        assert!((alpha(&t, Level::Interval) - 0.8108448928121059).abs() < 1e-12);
    }

    #[test]
    fn ordinal_uses_order_not_spacing() {
        let close = grid(
            Level::Ordinal,
            &[["1", "2", "3", "3", "2", "1", "4", "1", "2", "5", "1", "3"]; 2],
        );
        let mut rows = [["1", "2", "3", "3", "2", "1", "4", "1", "2", "5", "1", "3"]; 2];
        rows[1][0] = "2";
        let t1 = grid(Level::Ordinal, &rows);
        let spread: Vec<[&str; 12]> = rows
            .iter()
            .map(|r| r.map(|v| if v == "5" { "500" } else { v }))
            .collect();
        let t2 = grid(Level::Ordinal, &spread);
        assert_eq!(alpha(&close, Level::Ordinal), 1.0);
        assert!((alpha(&t1, Level::Ordinal) - alpha(&t2, Level::Ordinal)).abs() < 1e-12);
        assert!((alpha(&t1, Level::Interval) - alpha(&t2, Level::Interval)).abs() > 1e-3);
    }

    #[test]
    fn alpha_is_undefined_without_pairs_or_variation() {
        let t =
            RatingsTable::from_triples(Level::Nominal, [("a", "x", "1"), ("b", "y", "2")]).unwrap();
        let a = krippendorff_alpha(&t, Level::Nominal).unwrap();
        assert_eq!(a.score.undefined, Some(Undefined::NoPairableItems));
        let t = RatingsTable::from_triples(
            Level::Nominal,
            [("a", "x", "1"), ("a", "y", "1"), ("b", "y", "2")],
        )
        .unwrap();
        let a = krippendorff_alpha(&t, Level::Nominal).unwrap();
        assert_eq!(a.score.undefined, Some(Undefined::NoVariation));
        assert_eq!(a.score.value, None);
    }

    #[test]
    fn ordinal_on_text_labels_is_refused() {
        let t = RatingsTable::from_triples(Level::Nominal, [("a", "x", "low")]).unwrap();
        assert_eq!(
            krippendorff_alpha(&t, Level::Ordinal).unwrap_err(),
            MetricError::LabelsNotNumeric
        );
    }

    /// Fleiss (1971) as on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters, 5
    /// categories; kappa 0.210. Exact value cross-checked with statsmodels 0.15.0.
    #[test]
    fn fleiss_1971_wikipedia_example() {
        let counts = [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ];
        let mut b = RatingsTable::builder(Level::Nominal);
        for (i, row) in counts.iter().enumerate() {
            let mut rater = 0;
            for (c, &k) in row.iter().enumerate() {
                for _ in 0..k {
                    b.rate(&format!("s{i}"), &format!("r{rater}"), &format!("c{c}"))
                        .unwrap();
                    rater += 1;
                }
            }
        }
        let t = b.build();
        let f = fleiss_kappa(&t);
        let k = f.score.value.unwrap();
        assert!((k - 0.20993070442195522).abs() < 1e-12, "{k}");
        assert_eq!(format!("{k:.3}"), "0.210");
        assert_eq!(f.ratings_per_item, Some(14));
        // P̄ from the same page: 0.378.
        let pa = percent_agreement(&t).value.unwrap();
        assert!((pa - 0.378021978021978).abs() < 1e-12, "{pa}");
    }

    #[test]
    fn fleiss_uses_the_most_common_rating_count_and_says_so() {
        let mut triples = Vec::new();
        for i in 0..12 {
            for a in 0..3 {
                triples.push((format!("i{i}"), format!("a{a}"), format!("{}", (i + a) % 2)));
            }
        }
        triples.push(("i99".into(), "a0".into(), "1".into()));
        triples.push(("i99".into(), "a1".into(), "1".into()));
        let t = RatingsTable::from_triples(Level::Nominal, triples).unwrap();
        let f = fleiss_kappa(&t);
        assert_eq!(f.ratings_per_item, Some(3));
        assert_eq!((f.score.n_compared, f.score.n_total), (12, 13));
        assert!(f.score.warnings.iter().any(|w| matches!(
            w,
            FitWarning::ItemsLeftOut {
                left_out: 1,
                because: LeftOut::UnequalRatingCount {
                    ratings_per_item: 3
                },
                ..
            }
        )));
    }

    #[test]
    fn per_label_figures_for_two_annotators() {
        // A: yes yes no no yes ; B: yes no no no yes  → yes: a=2 both, b+c=1; no: a=2, 1.
        let a = ["yes", "yes", "no", "no", "yes"];
        let b = ["yes", "no", "no", "no", "yes"];
        let mut triples = Vec::new();
        for i in 0..5 {
            triples.push((format!("i{i}"), "A".to_owned(), a[i].to_owned()));
            triples.push((format!("i{i}"), "B".to_owned(), b[i].to_owned()));
        }
        let t = RatingsTable::from_triples(Level::Nominal, triples).unwrap();
        let per = per_label_agreement(&t);
        assert_eq!(per[0].label, "no");
        assert!((per[0].specific_agreement.unwrap() - 4.0 / 5.0).abs() < 1e-12);
        assert!((per[1].specific_agreement.unwrap() - 4.0 / 5.0).abs() < 1e-12);
        // Binary data: one-vs-rest alpha equals the nominal alpha for both labels.
        let whole = alpha(&t, Level::Nominal);
        assert!((per[0].alpha_one_vs_rest.unwrap() - whole).abs() < 1e-12);
        assert!((per[1].alpha_one_vs_rest.unwrap() - whole).abs() < 1e-12);
    }

    #[test]
    fn percent_agreement_warns_on_a_single_label() {
        let t = RatingsTable::from_triples(
            Level::Nominal,
            [
                ("a", "x", "1"),
                ("a", "y", "1"),
                ("b", "x", "1"),
                ("b", "y", "1"),
            ],
        )
        .unwrap();
        let s = percent_agreement(&t);
        assert_eq!(s.value, Some(1.0));
        assert!(s.warnings.contains(&FitWarning::SingleLabel));
        assert!(s.warnings.contains(&FitWarning::LowN { n: 2 }));
    }
}
