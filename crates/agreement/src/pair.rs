//! Scores between two raters (two annotators, or an annotator and the gold labels): Cohen's
//! kappa, confusion matrices, pairwise matrices and accuracy against gold.

use std::borrow::Cow;

use serde::Serialize;

use crate::multi::label_spread;
use crate::score::{warn_paradox, LeftOut, Score, Undefined};
use crate::table::RatingsTable;
use crate::MetricError;

/// Most annotators [`pairwise_agreement`] accepts (it computes every pair).
pub const MAX_PAIRWISE_ANNOTATORS: usize = 200;

/// Most labels a [`ConfusionMatrix`] may have (it is dense).
pub const MAX_CONFUSION_LABELS: usize = 500;

/// One side of a two-rater comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rater {
    /// An annotator, by index into [`RatingsTable::annotators`].
    Annotator(usize),
    /// The gold (adjudicated) labels.
    Gold,
}

/// Cohen's kappa between two raters, unweighted and (for numeric tables) weighted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohenKappa {
    /// Unweighted kappa and its sample: `n_compared` = items rated by both, `n_total` = items
    /// rated by either.
    #[serde(flatten)]
    pub score: Score,
    /// Share of compared items with identical labels (`None` when none are compared).
    pub observed_agreement: Option<f64>,
    /// Linearly weighted kappa (numeric tables only).
    pub linear: Option<f64>,
    /// Quadratically weighted kappa (numeric tables only).
    pub quadratic: Option<f64>,
}

/// Cohen's kappa between two raters on the items both rated, equal to
/// `sklearn.metrics.cohen_kappa_score(y1, y2)` (and `weights="linear"` / `"quadratic"`).
///
/// As in scikit-learn, weights are the distance between the labels' positions in the sorted
/// list of labels that either rater used on the compared items (not their numeric values);
/// weighted figures are given only for numeric tables, whose labels are ordered. Undefined
/// when the raters share no item, or both used one and the same label throughout.
pub fn cohen_kappa(
    table: &RatingsTable,
    first: Rater,
    second: Rater,
) -> Result<CohenKappa, MetricError> {
    if first == second {
        return Err(MetricError::SameRater);
    }
    let a = rater_list(table, first)?;
    let b = rater_list(table, second)?;
    Ok(kappa_on(table, &a, &b))
}

/// Cohen's kappa between two raters known to exist.
pub(crate) fn kappa_between(table: &RatingsTable, first: Rater, second: Rater) -> CohenKappa {
    let a = rater_list(table, first).unwrap_or_default();
    let b = rater_list(table, second).unwrap_or_default();
    kappa_on(table, &a, &b)
}

fn kappa_on(table: &RatingsTable, a: &[(u32, u32)], b: &[(u32, u32)]) -> CohenKappa {
    let (pairs, n_total) = join(a, b);
    kappa_from_pairs(
        &pairs,
        n_total,
        table.labels().len(),
        table.level().is_numeric(),
    )
}

/// The `(item, label)` list of a rater, sorted by item.
fn rater_list(table: &RatingsTable, rater: Rater) -> Result<Cow<'_, [(u32, u32)]>, MetricError> {
    match rater {
        Rater::Annotator(i) => table
            .by_annotator
            .get(i)
            .map(|list| Cow::Borrowed(list.as_slice()))
            .ok_or(MetricError::UnknownAnnotator {
                index: i,
                n_annotators: table.annotators().len(),
            }),
        Rater::Gold => Ok(Cow::Owned(
            table
                .gold
                .iter()
                .enumerate()
                .filter_map(|(i, g)| g.map(|l| (i as u32, l)))
                .collect(),
        )),
    }
}

/// Label pairs on the items in both lists, and the number of items in either.
fn join(a: &[(u32, u32)], b: &[(u32, u32)]) -> (Vec<(u32, u32)>, usize) {
    let (mut i, mut j) = (0, 0);
    let mut pairs = Vec::new();
    let mut either = 0;
    while i < a.len() || j < b.len() {
        either += 1;
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                pairs.push((x.1, y.1));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => i += 1,
            (Some(_), None) => i += 1,
            _ => j += 1,
        }
    }
    (pairs, either)
}

fn kappa_from_pairs(
    pairs: &[(u32, u32)],
    n_total: usize,
    n_labels: usize,
    ordered: bool,
) -> CohenKappa {
    let n = pairs.len() as u64;
    let mut rows = vec![0u64; n_labels];
    let mut cols = vec![0u64; n_labels];
    let mut agree = 0u64;
    for &(x, y) in pairs {
        rows[x as usize] += 1;
        cols[y as usize] += 1;
        agree += u64::from(x == y);
    }
    let both: Vec<u64> = rows.iter().zip(&cols).map(|(r, c)| r + c).collect();
    let (used, max, total) = label_spread(&both);
    if n == 0 {
        let mut score = Score::undefined(Undefined::NoCommonItems, 0, n_total);
        score.warn_sample(LeftOut::NotRatedByBoth);
        return CohenKappa {
            score,
            observed_agreement: None,
            linear: None,
            quadratic: None,
        };
    }
    // Unweighted: 1 − n·(n − agree) / (n² − Σ r_c s_c), in exact integers.
    let chance: u128 = rows
        .iter()
        .zip(&cols)
        .map(|(&r, &c)| u128::from(r) * u128::from(c))
        .sum();
    let kappa = |observed: u128, expected: u128| {
        (expected > 0).then(|| 1.0 - (u128::from(n) * observed) as f64 / expected as f64)
    };
    let value = kappa(
        u128::from(n - agree),
        u128::from(n) * u128::from(n) - chance,
    );
    let (linear, quadratic) = if ordered {
        weighted(pairs, &rows, &cols)
            .map(|(lo, le, qo, qe)| (kappa(lo, le), kappa(qo, qe)))
            .unwrap_or((None, None))
    } else {
        (None, None)
    };
    let n_compared = pairs.len();
    let mut score = match value {
        Some(v) => Score::defined(v, n_compared, n_total),
        None => Score::undefined(Undefined::NoVariation, n_compared, n_total),
    };
    score.warn_sample(LeftOut::NotRatedByBoth);
    score.warn_prevalence(max, total, used);
    let observed = agree as f64 / n as f64;
    warn_paradox(&mut score, Some(observed));
    CohenKappa {
        score,
        observed_agreement: Some(observed),
        linear,
        quadratic,
    }
}

/// Observed and expected (times n) disagreement sums with linear and quadratic weights on the
/// positions of the used labels: `(linear_o, linear_e, quadratic_o, quadratic_e)`.
fn weighted(pairs: &[(u32, u32)], rows: &[u64], cols: &[u64]) -> Option<(u128, u128, u128, u128)> {
    // Position of each label among those used by either rater.
    let mut rank = vec![0u64; rows.len()];
    let mut next = 0u64;
    for l in 0..rows.len() {
        rank[l] = next;
        if rows[l] + cols[l] > 0 {
            next += 1;
        }
    }
    let (mut lin_o, mut quad_o) = (0u128, 0u128);
    for &(x, y) in pairs {
        let d = u128::from(rank[x as usize].abs_diff(rank[y as usize]));
        lin_o += d;
        quad_o += d * d;
    }
    // Σ_i Σ_j r_i s_j |i − j| with prefix sums over positions; Σ r_i s_j (i − j)² by moments.
    let used: Vec<(u128, u128, u128)> = (0..rows.len())
        .filter(|&l| rows[l] + cols[l] > 0)
        .map(|l| {
            (
                u128::from(rank[l]),
                u128::from(rows[l]),
                u128::from(cols[l]),
            )
        })
        .collect();
    let total_s: u128 = used.iter().map(|u| u.2).sum();
    let total_ws: u128 = used.iter().map(|u| u.0 * u.2).sum();
    let (mut s_below, mut ws_below) = (0u128, 0u128);
    let mut lin_e = 0u128;
    for &(pos, r, s) in &used {
        // Columns strictly below and strictly above this position.
        let s_above = total_s - s_below - s;
        let ws_above = total_ws - ws_below - pos * s;
        lin_e += r * ((pos * s_below - ws_below) + (ws_above - pos * s_above));
        s_below += s;
        ws_below += pos * s;
    }
    let n_r: u128 = used.iter().map(|u| u.1).sum();
    let m1_r: u128 = used.iter().map(|u| u.0 * u.1).sum();
    let m2_r: u128 = used.iter().map(|u| u.0 * u.0 * u.1).sum();
    let m2_s: u128 = used.iter().map(|u| u.0 * u.0 * u.2).sum();
    let quad_e = (n_r * m2_s + total_s * m2_r).checked_sub(2 * m1_r * total_ws)?;
    Some((lin_o, lin_e, quad_o, quad_e))
}

/// Agreement between one pair of annotators, for the pairwise heatmap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgreement {
    /// Index of the first annotator.
    pub first: usize,
    /// Index of the second annotator.
    pub second: usize,
    /// Cohen's kappa and observed (percent) agreement on the items both rated.
    pub kappa: CohenKappa,
}

/// Cohen's kappa and percent agreement for every pair of annotators (`first < second`).
///
/// Cost is O(annotators × ratings); refused above [`MAX_PAIRWISE_ANNOTATORS`] annotators.
pub fn pairwise_agreement(table: &RatingsTable) -> Result<Vec<PairAgreement>, MetricError> {
    let k = table.annotators().len();
    if k > MAX_PAIRWISE_ANNOTATORS {
        return Err(MetricError::TooManyAnnotators {
            annotators: k,
            max: MAX_PAIRWISE_ANNOTATORS,
        });
    }
    let mut out = Vec::with_capacity(k * k.saturating_sub(1) / 2);
    for first in 0..k {
        for second in first + 1..k {
            out.push(PairAgreement {
                first,
                second,
                kappa: cohen_kappa(table, Rater::Annotator(first), Rater::Annotator(second))?,
            });
        }
    }
    Ok(out)
}

/// One annotator's accuracy against the gold labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoldAccuracy {
    /// Index of the annotator.
    pub annotator: usize,
    /// Accuracy (share of gold-labelled items the annotator labelled like the gold):
    /// `n_compared` = items rated by the annotator that have gold, `n_total` = items rated by
    /// the annotator.
    #[serde(flatten)]
    pub score: Score,
    /// Items labelled like the gold.
    pub correct: usize,
    /// Cohen's kappa between the annotator and the gold on the same items.
    pub cohen_kappa: Option<f64>,
}

/// Accuracy against gold for every annotator, in annotator order.
pub fn accuracy_against_gold(table: &RatingsTable) -> Vec<GoldAccuracy> {
    let gold = rater_list(table, Rater::Gold).unwrap_or_default();
    table
        .by_annotator
        .iter()
        .enumerate()
        .map(|(annotator, list)| {
            let (pairs, _) = join(list, &gold);
            let n_total = list.len();
            let correct = pairs.iter().filter(|(x, y)| x == y).count();
            let mut score = if pairs.is_empty() {
                Score::undefined(Undefined::NoGold, 0, n_total)
            } else {
                Score::defined(correct as f64 / pairs.len() as f64, pairs.len(), n_total)
            };
            score.warn_sample(LeftOut::NoGold);
            let kappa = kappa_from_pairs(&pairs, n_total, table.labels().len(), false);
            GoldAccuracy {
                annotator,
                score,
                correct,
                cohen_kappa: kappa.score.value,
            }
        })
        .collect()
}

/// A confusion matrix between two raters on the items both rated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfusionMatrix {
    /// Labels used by either rater on those items, in table label order.
    pub labels: Vec<String>,
    /// `counts[i][j]`: items the row rater labelled `labels[i]` and the column rater
    /// `labels[j]`.
    pub counts: Vec<Vec<u64>>,
    /// Items compared (the sum of `counts`).
    pub n: usize,
}

/// The confusion matrix of `rows` against `columns` (annotators, or an annotator and gold).
///
/// Refused when more than [`MAX_CONFUSION_LABELS`] labels are used.
pub fn confusion_matrix(
    table: &RatingsTable,
    rows: Rater,
    columns: Rater,
) -> Result<ConfusionMatrix, MetricError> {
    if rows == columns {
        return Err(MetricError::SameRater);
    }
    let (pairs, _) = join(&rater_list(table, rows)?, &rater_list(table, columns)?);
    let mut used = vec![false; table.labels().len()];
    for &(x, y) in &pairs {
        used[x as usize] = true;
        used[y as usize] = true;
    }
    let kept: Vec<usize> = (0..used.len()).filter(|&l| used[l]).collect();
    if kept.len() > MAX_CONFUSION_LABELS {
        return Err(MetricError::TooManyLabels {
            labels: kept.len(),
            max: MAX_CONFUSION_LABELS,
        });
    }
    let mut position = vec![usize::MAX; used.len()];
    for (p, &l) in kept.iter().enumerate() {
        position[l] = p;
    }
    let mut counts = vec![vec![0u64; kept.len()]; kept.len()];
    for &(x, y) in &pairs {
        counts[position[x as usize]][position[y as usize]] += 1;
    }
    Ok(ConfusionMatrix {
        labels: kept.iter().map(|&l| table.labels()[l].clone()).collect(),
        counts,
        n: pairs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FitWarning, Level};

    fn two(level: Level, a: &[&str], b: &[&str]) -> RatingsTable {
        let mut builder = RatingsTable::builder(level);
        for (i, v) in a.iter().enumerate() {
            if *v != "." {
                builder.rate(&format!("i{i}"), "A", v).unwrap();
            }
        }
        for (i, v) in b.iter().enumerate() {
            if *v != "." {
                builder.rate(&format!("i{i}"), "B", v).unwrap();
            }
        }
        builder.build()
    }

    fn kappa(t: &RatingsTable) -> CohenKappa {
        cohen_kappa(t, Rater::Annotator(0), Rater::Annotator(1)).unwrap()
    }

    #[test]
    fn sklearn_docstring_example() {
        // scikit-learn's cohen_kappa_score docstring: 0.6875.
        let t = two(
            Level::Nominal,
            &["negative", "positive", "negative", "neutral", "positive"],
            &["negative", "positive", "negative", "neutral", "negative"],
        );
        assert!((kappa(&t).score.value.unwrap() - 0.6875).abs() < 1e-12);
    }

    #[test]
    fn wikipedia_cohen_example() {
        // Wikipedia "Cohen's kappa": 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15;
        // p_o = 0.7, p_e = 0.5, kappa = 0.4.
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (x, y, k) in [
            ("yes", "yes", 20),
            ("yes", "no", 5),
            ("no", "yes", 10),
            ("no", "no", 15),
        ] {
            for _ in 0..k {
                a.push(x);
                b.push(y);
            }
        }
        let k = kappa(&two(Level::Nominal, &a, &b));
        assert!((k.score.value.unwrap() - 0.4).abs() < 1e-12);
        assert!((k.observed_agreement.unwrap() - 0.7).abs() < 1e-12);
        assert!(k.score.warnings.is_empty(), "{:?}", k.score.warnings);
    }

    #[test]
    fn weighted_kappa_matches_scikit_learn() {
        // Values from scikit-learn 1.9.1: cohen_kappa_score(a, b, weights=...).
        let a = ["1", "2", "3", "4", "5", "3", "2", "1", "4", "4", "5", "2"];
        let b = ["1", "3", "3", "5", "5", "2", "2", "2", "4", "3", "4", "2"];
        let k = kappa(&two(Level::Ordinal, &a, &b));
        assert!((k.score.value.unwrap() - 0.368421052631579).abs() < 1e-12);
        assert!((k.linear.unwrap() - 0.6571428571428571).abs() < 1e-12);
        assert!((k.quadratic.unwrap() - 0.85).abs() < 1e-12);
    }

    #[test]
    fn weights_use_positions_not_values() {
        let a = ["1", "2", "3", "3"];
        let b = ["1", "3", "3", "2"];
        let spread = ["1", "20", "300", "300"];
        let spread_b = ["1", "300", "300", "20"];
        let k1 = kappa(&two(Level::Interval, &a, &b));
        let k2 = kappa(&two(Level::Interval, &spread, &spread_b));
        assert_eq!(k1.linear, k2.linear);
        assert_eq!(k1.quadratic, k2.quadratic);
    }

    #[test]
    fn only_commonly_rated_items_count_and_the_rest_are_reported() {
        let t = two(Level::Nominal, &["x", "y", "x", "."], &["x", "y", ".", "y"]);
        let k = kappa(&t);
        assert_eq!((k.score.n_compared, k.score.n_total), (2, 4));
        assert_eq!(k.score.value, Some(1.0));
        assert!(k.score.warnings.iter().any(|w| matches!(
            w,
            FitWarning::ItemsLeftOut {
                left_out: 2,
                because: LeftOut::NotRatedByBoth,
                ..
            }
        )));
    }

    #[test]
    fn kappa_is_undefined_on_one_shared_label() {
        let k = kappa(&two(Level::Nominal, &["x", "x"], &["x", "x"]));
        assert_eq!(k.score.undefined, Some(Undefined::NoVariation));
        assert_eq!(k.observed_agreement, Some(1.0));
        let k = kappa(&two(Level::Nominal, &["x", "."], &[".", "x"]));
        assert_eq!(k.score.undefined, Some(Undefined::NoCommonItems));
    }

    #[test]
    fn prevalence_paradox_is_flagged() {
        // 18 of 20 items "neg" from both, 2 disagreements: 90% agreement, kappa below 0.
        let mut a = vec!["neg"; 18];
        let mut b = vec!["neg"; 18];
        a.extend(["pos", "neg"]);
        b.extend(["neg", "pos"]);
        let k = kappa(&two(Level::Nominal, &a, &b));
        assert!(k.score.value.unwrap() < 0.0);
        let codes: Vec<&str> = k.score.warnings.iter().map(FitWarning::code).collect();
        assert_eq!(codes, ["dominant_label", "agreement_paradox"]);
    }

    #[test]
    fn confusion_matrix_and_gold_accuracy() {
        let mut b = RatingsTable::builder(Level::Nominal);
        for (i, (x, y, g)) in [
            ("a", "a", "a"),
            ("a", "b", "b"),
            ("b", "b", "b"),
            ("c", "b", "b"),
        ]
        .iter()
        .enumerate()
        {
            let item = format!("i{i}");
            b.rate(&item, "A1", x).unwrap();
            b.rate(&item, "A2", y).unwrap();
            b.gold(&item, g).unwrap();
        }
        let t = b.build();
        let m = confusion_matrix(&t, Rater::Annotator(0), Rater::Annotator(1)).unwrap();
        assert_eq!(m.labels, ["a", "b", "c"]);
        assert_eq!(m.counts, [[1, 1, 0], [0, 1, 0], [0, 1, 0]]);
        assert_eq!(m.n, 4);
        let acc = accuracy_against_gold(&t);
        assert_eq!(acc[0].correct, 2);
        assert_eq!(acc[0].score.value, Some(0.5));
        assert_eq!(acc[1].score.value, Some(1.0));
        assert_eq!(acc[1].cohen_kappa, Some(1.0));
        let g = confusion_matrix(&t, Rater::Annotator(0), Rater::Gold).unwrap();
        assert_eq!(g.labels, ["a", "b", "c"]);
        assert_eq!(g.counts, [[1, 1, 0], [0, 1, 0], [0, 1, 0]]);
        assert_eq!(
            confusion_matrix(&t, Rater::Gold, Rater::Gold).unwrap_err(),
            MetricError::SameRater
        );
        assert_eq!(
            cohen_kappa(&t, Rater::Annotator(5), Rater::Gold).unwrap_err(),
            MetricError::UnknownAnnotator {
                index: 5,
                n_annotators: 2
            }
        );
    }

    #[test]
    fn pairwise_covers_every_pair_once() {
        let mut triples = Vec::new();
        for i in 0..6 {
            for a in 0..4 {
                triples.push((format!("i{i}"), format!("a{a}"), format!("{}", (i * a) % 3)));
            }
        }
        let t = RatingsTable::from_triples(Level::Nominal, triples).unwrap();
        let p = pairwise_agreement(&t).unwrap();
        let pairs: Vec<(usize, usize)> = p.iter().map(|x| (x.first, x.second)).collect();
        assert_eq!(pairs, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
        assert!(p.iter().all(|x| x.kappa.score.n_compared == 6));
    }
}
