//! Image region agreement: box IoU and Dice with optimal one-to-one matching (polygons are in
//! `polygons.rs` and share the matching).

use serde::{Deserialize, Serialize};

use crate::spans::Side;

/// Most regions one side of one image may have (matching is cubic in the count).
pub const MAX_REGIONS_PER_IMAGE: usize = 1_000;

/// An axis-aligned box in pixel coordinates, `x_min <= x_max`, `y_min <= y_max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Left edge.
    pub x_min: f64,
    /// Top edge.
    pub y_min: f64,
    /// Right edge.
    pub x_max: f64,
    /// Bottom edge.
    pub y_max: f64,
    /// Region label.
    pub label: String,
}

impl BoundingBox {
    /// A box from its corners.
    pub fn new(x_min: f64, y_min: f64, x_max: f64, y_max: f64, label: impl Into<String>) -> Self {
        BoundingBox {
            x_min,
            y_min,
            x_max,
            y_max,
            label: label.into(),
        }
    }

    /// Area of the box.
    pub fn area(&self) -> f64 {
        (self.x_max - self.x_min) * (self.y_max - self.y_min)
    }

    /// Intersection over union with another box (labels ignored); 0 when the union is empty.
    pub fn iou(&self, other: &BoundingBox) -> f64 {
        let w = self.x_max.min(other.x_max) - self.x_min.max(other.x_min);
        let h = self.y_max.min(other.y_max) - self.y_min.max(other.y_min);
        if w <= 0.0 || h <= 0.0 {
            return 0.0;
        }
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    fn is_valid(&self) -> bool {
        [self.x_min, self.y_min, self.x_max, self.y_max]
            .iter()
            .all(|v| v.is_finite())
            && self.x_min <= self.x_max
            && self.y_min <= self.y_max
    }
}

/// Dice coefficient from IoU: `2 IoU / (1 + IoU)` (equal to `2 |A∩B| / (|A| + |B|)`).
pub fn dice_from_iou(iou: f64) -> f64 {
    2.0 * iou / (1.0 + iou)
}

/// Rules for pairing regions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchOptions {
    /// Least IoU for two regions to be paired, in (0, 1]. Default 0.5 (PASCAL VOC, COCO AP50).
    pub iou_threshold: f64,
    /// Pair only regions with the same label. Default true.
    pub same_label: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            iou_threshold: 0.5,
            same_label: true,
        }
    }
}

/// Regions that cannot be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// A box has a non-finite coordinate or its minimum above its maximum, or a polygon is
    /// not simple (it crosses or touches itself), has under three distinct vertices or no area.
    #[error("{side} region {index} has invalid coordinates")]
    InvalidRegion {
        /// Side of the region.
        side: Side,
        /// 0-based position in its list.
        index: usize,
    },
    /// More regions than [`MAX_REGIONS_PER_IMAGE`].
    #[error("{side} has {count} regions (at most {max} per image)")]
    TooManyRegions {
        /// The side with too many regions.
        side: Side,
        /// How many it has.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A polygon has more than [`crate::MAX_POLYGON_VERTICES`] vertices.
    #[error("{side} polygon {index} has {count} vertices (at most {max})")]
    TooManyVertices {
        /// Side of the polygon.
        side: Side,
        /// 0-based position in its list.
        index: usize,
        /// Its vertex count.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Matching would clip more than [`crate::MAX_TRIANGLE_PAIRS`] triangle pairs.
    #[error("the polygons are too complex to compare (more than {max} triangle pairs)")]
    TooComplex {
        /// The limit.
        max: u64,
    },
    /// The IoU threshold is not in (0, 1].
    #[error("the IoU threshold must be greater than 0 and at most 1")]
    BadThreshold,
}

/// One pair of matched regions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegionPair {
    /// Index in the reference list.
    pub reference: usize,
    /// Index in the candidate list.
    pub candidate: usize,
    /// Intersection over union.
    pub iou: f64,
    /// Dice coefficient.
    pub dice: f64,
}

/// The result of matching two sets of regions on one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionAgreement {
    /// Matched pairs, by reference index.
    pub pairs: Vec<RegionPair>,
    /// Reference regions left unmatched.
    pub unmatched_reference: Vec<usize>,
    /// Candidate regions left unmatched.
    pub unmatched_candidate: Vec<usize>,
    /// Reference regions.
    pub n_reference: usize,
    /// Candidate regions.
    pub n_candidate: usize,
    /// Mean IoU over matched pairs (`None` without pairs).
    pub mean_iou: Option<f64>,
    /// Mean Dice over matched pairs (`None` without pairs).
    pub mean_dice: Option<f64>,
    /// Matched / candidate regions.
    pub precision: Option<f64>,
    /// Matched / reference regions.
    pub recall: Option<f64>,
    /// `2 matched / (reference + candidate)`.
    pub f1: Option<f64>,
}

/// Matches boxes one-to-one so that the total IoU of the pairs is as large as possible
/// (Hungarian algorithm), considering only pairs with IoU at least the threshold (and the same
/// label, by default).
///
/// This differs from COCO evaluation, which matches greedily by detection score: annotators'
/// regions have no scores, and an optimal assignment does not depend on list order.
pub fn match_boxes(
    reference: &[BoundingBox],
    candidate: &[BoundingBox],
    options: MatchOptions,
) -> Result<RegionAgreement, RegionError> {
    for (side, list) in [(Side::Reference, reference), (Side::Candidate, candidate)] {
        if list.len() > MAX_REGIONS_PER_IMAGE {
            return Err(RegionError::TooManyRegions {
                side,
                count: list.len(),
                max: MAX_REGIONS_PER_IMAGE,
            });
        }
        if let Some(index) = list.iter().position(|b| !b.is_valid()) {
            return Err(RegionError::InvalidRegion { side, index });
        }
    }
    match_by_iou(reference.len(), candidate.len(), options, |i, j| {
        let (a, b) = (&reference[i], &candidate[j]);
        if options.same_label && a.label != b.label {
            0.0
        } else {
            a.iou(b)
        }
    })
}

/// Optimal matching on any pairwise IoU (boxes and polygons).
pub(crate) fn match_by_iou(
    n_reference: usize,
    n_candidate: usize,
    options: MatchOptions,
    iou: impl Fn(usize, usize) -> f64,
) -> Result<RegionAgreement, RegionError> {
    let t = options.iou_threshold;
    if !(t > 0.0 && t <= 1.0) {
        return Err(RegionError::BadThreshold);
    }
    let mut weights = vec![0.0; n_reference * n_candidate];
    for i in 0..n_reference {
        for j in 0..n_candidate {
            let v = iou(i, j);
            if v >= t {
                weights[i * n_candidate + j] = v;
            }
        }
    }
    let assignment = max_weight_assignment(n_reference, n_candidate, &weights);
    let mut pairs = Vec::new();
    let mut cand_used = vec![false; n_candidate];
    let mut unmatched_reference = Vec::new();
    for (i, a) in assignment.iter().enumerate() {
        match *a {
            Some(j) if weights[i * n_candidate + j] > 0.0 => {
                let v = weights[i * n_candidate + j];
                cand_used[j] = true;
                pairs.push(RegionPair {
                    reference: i,
                    candidate: j,
                    iou: v,
                    dice: dice_from_iou(v),
                });
            }
            _ => unmatched_reference.push(i),
        }
    }
    let unmatched_candidate = (0..n_candidate).filter(|&j| !cand_used[j]).collect();
    let k = pairs.len();
    let mean =
        |f: fn(&RegionPair) -> f64| (k > 0).then(|| pairs.iter().map(f).sum::<f64>() / k as f64);
    Ok(RegionAgreement {
        mean_iou: mean(|p| p.iou),
        mean_dice: mean(|p| p.dice),
        precision: (n_candidate > 0).then(|| k as f64 / n_candidate as f64),
        recall: (n_reference > 0).then(|| k as f64 / n_reference as f64),
        f1: (n_reference + n_candidate > 0)
            .then(|| 2.0 * k as f64 / (n_reference + n_candidate) as f64),
        pairs,
        unmatched_reference,
        unmatched_candidate,
        n_reference,
        n_candidate,
    })
}

/// Maximum-weight assignment of rows to columns for non-negative weights (row-major
/// `rows × cols`), by the Hungarian algorithm with potentials, O(min² · max). Returns the
/// column of each row (`None` for rows left over when there are more rows than columns).
fn max_weight_assignment(rows: usize, cols: usize, weights: &[f64]) -> Vec<Option<usize>> {
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    if rows > cols {
        let mut transposed = vec![0.0; rows * cols];
        for i in 0..rows {
            for j in 0..cols {
                transposed[j * rows + i] = weights[i * cols + j];
            }
        }
        let by_col = max_weight_assignment(cols, rows, &transposed);
        let mut out = vec![None; rows];
        for (j, i) in by_col.iter().enumerate() {
            if let Some(i) = *i {
                out[i] = Some(j);
            }
        }
        return out;
    }
    // Minimise cost = −weight; rows ≤ cols. 1-based arrays with a sentinel column 0.
    let cost = |i: usize, j: usize| -weights[(i - 1) * cols + (j - 1)];
    let (n, m) = (rows, cols);
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if !used[j] {
                    let cur = cost(i0, j) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; rows];
    for j in 1..=m {
        if p[j] != 0 {
            out[p[j] - 1] = Some(j - 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b(x0: f64, y0: f64, x1: f64, y1: f64) -> BoundingBox {
        BoundingBox::new(x0, y0, x1, y1, "lesion")
    }

    #[test]
    fn iou_and_dice_of_known_boxes() {
        // 10×10 boxes offset by 5 in x: intersection 50, union 150.
        let iou = b(0.0, 0.0, 10.0, 10.0).iou(&b(5.0, 0.0, 15.0, 10.0));
        assert!((iou - 1.0 / 3.0).abs() < 1e-12);
        assert!(
            (dice_from_iou(iou) - 0.5).abs() < 1e-12,
            "Dice = 2·50/(100+100)"
        );
        assert_eq!(b(0.0, 0.0, 1.0, 1.0).iou(&b(1.0, 0.0, 2.0, 1.0)), 0.0);
        assert_eq!(b(0.0, 0.0, 0.0, 0.0).iou(&b(0.0, 0.0, 0.0, 0.0)), 0.0);
    }

    #[test]
    fn optimal_matching_beats_greedy() {
        // Greedy by best IoU may take r0–c0 (0.905, tied with r1–c0) and then r1–c1 (0.43),
        // total 1.33; the optimal assignment is r0–c1 (0.54) and r1–c0 (0.905), total 1.44.
        let r = [b(0.0, 0.0, 10.0, 10.0), b(1.0, 0.0, 11.0, 10.0)];
        let c = [b(0.5, 0.0, 10.5, 10.0), b(-3.0, 0.0, 7.0, 10.0)];
        let opts = MatchOptions {
            iou_threshold: 0.3,
            same_label: true,
        };
        let m = match_boxes(&r, &c, opts).unwrap();
        assert_eq!(m.pairs.len(), 2);
        let total: f64 = m.pairs.iter().map(|p| p.iou).sum();
        let greedy = r[0].iou(&c[0]) + r[1].iou(&c[1]);
        let swapped = r[0].iou(&c[1]) + r[1].iou(&c[0]);
        assert!(swapped > greedy + 0.1);
        assert!((total - swapped).abs() < 1e-12);
    }

    #[test]
    fn threshold_and_labels_leave_regions_unmatched() {
        let r = [
            b(0.0, 0.0, 10.0, 10.0),
            BoundingBox::new(20.0, 20.0, 30.0, 30.0, "cyst"),
        ];
        let c = [b(5.0, 0.0, 15.0, 10.0), b(20.0, 20.0, 30.0, 30.0)];
        let m = match_boxes(&r, &c, MatchOptions::default()).unwrap();
        assert!(
            m.pairs.is_empty(),
            "IoU 1/3 < 0.5 and the other pair's labels differ"
        );
        assert_eq!(m.unmatched_reference, [0, 1]);
        assert_eq!(m.f1, Some(0.0));
        assert_eq!(m.mean_iou, None);
        let any_label = MatchOptions {
            same_label: false,
            ..MatchOptions::default()
        };
        let m = match_boxes(&r, &c, any_label).unwrap();
        assert_eq!(m.pairs.len(), 1);
        assert_eq!((m.pairs[0].reference, m.pairs[0].candidate), (1, 1));
        assert_eq!(m.unmatched_candidate, [0]);
    }

    #[test]
    fn bad_input_is_refused() {
        let bad = [b(0.0, 0.0, 1.0, 1.0), b(2.0, 0.0, 1.0, 1.0)];
        assert_eq!(
            match_boxes(&bad, &[], MatchOptions::default()).unwrap_err(),
            RegionError::InvalidRegion {
                side: Side::Reference,
                index: 1
            }
        );
        let nan = [b(f64::NAN, 0.0, 1.0, 1.0)];
        assert!(match_boxes(&[], &nan, MatchOptions::default()).is_err());
        let zero = MatchOptions {
            iou_threshold: 0.0,
            same_label: true,
        };
        assert_eq!(
            match_boxes(&[], &[], zero).unwrap_err(),
            RegionError::BadThreshold
        );
    }

    fn brute_force(rows: usize, cols: usize, w: &[f64]) -> f64 {
        fn go(i: usize, rows: usize, cols: usize, w: &[f64], used: &mut Vec<bool>) -> f64 {
            if i == rows {
                return 0.0;
            }
            let mut best = go(i + 1, rows, cols, w, used);
            for j in 0..cols {
                if !used[j] {
                    used[j] = true;
                    best = best.max(w[i * cols + j] + go(i + 1, rows, cols, w, used));
                    used[j] = false;
                }
            }
            best
        }
        go(0, rows, cols, w, &mut vec![false; cols])
    }

    proptest! {
        #[test]
        fn hungarian_equals_brute_force(
            rows in 0usize..6,
            cols in 0usize..6,
            seed in proptest::collection::vec(0.0f64..1.0, 36),
        ) {
            let w: Vec<f64> = seed[..rows * cols].to_vec();
            let a = max_weight_assignment(rows, cols, &w);
            let mut seen = std::collections::HashSet::new();
            let total: f64 = a.iter().enumerate().filter_map(|(i, j)| j.map(|j| {
                assert!(seen.insert(j), "a column is assigned twice");
                w[i * cols + j]
            })).sum();
            prop_assert!((total - brute_force(rows, cols, &w)).abs() < 1e-9);
        }
    }
}
