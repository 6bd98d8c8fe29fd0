//! Invariants that must hold on any ratings: bounds, perfect agreement, and invariance under
//! relabelling, annotator permutation and input order.

use airlock_agreement::{
    cohen_kappa, fleiss_kappa, krippendorff_alpha, match_boxes, percent_agreement, polygon_iou,
    BoundingBox, Level, MatchOptions, PolygonRegion, Rater, RatingsTable, Report, Span, SpanCounts,
    SpanMatch,
};
use proptest::prelude::*;

/// Items × annotators grid of optional label numbers.
fn grids() -> impl Strategy<Value = Vec<Vec<Option<u8>>>> {
    (1usize..25, 2usize..6, 1u8..6).prop_flat_map(|(items, annotators, labels)| {
        proptest::collection::vec(
            proptest::collection::vec(proptest::option::weighted(0.75, 0..labels), annotators),
            items,
        )
    })
}

fn table(grid: &[Vec<Option<u8>>], level: Level, name: impl Fn(u8) -> String) -> RatingsTable {
    let mut b = RatingsTable::builder(level);
    for (i, row) in grid.iter().enumerate() {
        for (a, v) in row.iter().enumerate() {
            if let Some(v) = v {
                b.rate(&format!("item{i}"), &format!("ann{a}"), &name(*v))
                    .unwrap();
            }
        }
    }
    b.build()
}

fn numbers(grid: &[Vec<Option<u8>>]) -> RatingsTable {
    table(grid, Level::Interval, |v| v.to_string())
}

/// Cohen's kappa between annotators "ann0" and "ann1", when both rated something.
fn kappa01(t: &RatingsTable) -> Option<airlock_agreement::CohenKappa> {
    let a = t.annotator_index("ann0")?;
    let b = t.annotator_index("ann1")?;
    Some(cohen_kappa(t, Rater::Annotator(a), Rater::Annotator(b)).unwrap())
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn kappas_are_within_bounds_and_alpha_at_most_one(grid in grids()) {
        let t = numbers(&grid);
        if let Some(k) = kappa01(&t) {
            for v in [k.score.value, k.linear, k.quadratic].into_iter().flatten() {
                prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&v), "cohen {v}");
            }
        }
        if let Some(v) = fleiss_kappa(&t).score.value {
            prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&v), "fleiss {v}");
        }
        for level in [Level::Nominal, Level::Ordinal, Level::Interval] {
            if let Some(v) = krippendorff_alpha(&t, level).unwrap().score.value {
                prop_assert!(v <= 1.0 + 1e-12, "alpha {level} {v}");
                prop_assert!(v.is_finite());
            }
        }
        if let Some(v) = percent_agreement(&t).value {
            prop_assert!((0.0..=1.0).contains(&v));
        }
    }

    #[test]
    fn defined_exactly_when_computable(grid in grids()) {
        // Every figure is either a finite number or None with a reason; never NaN or infinite
        // (serde_json would silently write those as null).
        let report = Report::for_table(&numbers(&grid));
        let json = serde_json::to_string(&report).unwrap();
        prop_assert!(!json.contains("NaN"));
        let k = report.cohen_kappa.as_ref();
        for score in [&report.percent_agreement, &report.fleiss_kappa.score,
                      &report.krippendorff_alpha.score].into_iter().chain(k.map(|k| &k.score)) {
            prop_assert_eq!(score.value.is_none(), score.undefined.is_some());
            prop_assert!(score.value.is_none_or(f64::is_finite));
            prop_assert!(score.n_compared <= score.n_total);
        }
        for label in &report.per_label {
            for v in [label.specific_agreement, label.alpha_one_vs_rest].into_iter().flatten() {
                prop_assert!(v.is_finite());
            }
        }
    }

    #[test]
    fn perfect_agreement_scores_one(
        truth in proptest::collection::vec(0u8..4, 2..30),
        annotators in 2usize..5,
    ) {
        prop_assume!(truth.iter().any(|&v| v != truth[0]), "needs two labels to be defined");
        let grid: Vec<Vec<Option<u8>>> =
            truth.iter().map(|&v| vec![Some(v); annotators]).collect();
        let t = numbers(&grid);
        let k = kappa01(&t).unwrap();
        prop_assert_eq!(k.score.value, Some(1.0));
        prop_assert_eq!(k.quadratic, Some(1.0));
        prop_assert!(close(fleiss_kappa(&t).score.value, Some(1.0)));
        for level in [Level::Nominal, Level::Ordinal, Level::Interval] {
            prop_assert!(close(krippendorff_alpha(&t, level).unwrap().score.value, Some(1.0)));
        }
        prop_assert_eq!(percent_agreement(&t).value, Some(1.0));
    }

    #[test]
    fn nominal_figures_ignore_label_names(grid in grids(), shift in 1u8..200) {
        // A bijective renaming that also changes the labels' sort order.
        let a = table(&grid, Level::Nominal, |v| format!("L{v}"));
        let b = table(&grid, Level::Nominal, |v| format!("{}", (200 - v).wrapping_add(shift)));
        let (ra, rb) = (Report::for_table(&a), Report::for_table(&b));
        prop_assert!(close(ra.percent_agreement.value, rb.percent_agreement.value));
        prop_assert!(close(ra.fleiss_kappa.score.value, rb.fleiss_kappa.score.value));
        prop_assert!(close(ra.krippendorff_alpha.score.value, rb.krippendorff_alpha.score.value));
        if let (Some(ka), Some(kb)) = (kappa01(&a), kappa01(&b)) {
            prop_assert!(close(ka.score.value, kb.score.value));
        }
    }

    #[test]
    fn ordinal_ignores_monotone_maps_and_interval_ignores_affine_maps(grid in grids()) {
        let t = numbers(&grid);
        let squashed = table(&grid, Level::Interval, |v| format!("{}", u32::from(v).pow(3)));
        let affine = table(&grid, Level::Interval, |v| format!("{}", 2.5 * f64::from(v) - 7.0));
        let alpha = |t: &RatingsTable, l| krippendorff_alpha(t, l).unwrap().score.value;
        prop_assert!(close(alpha(&t, Level::Ordinal), alpha(&squashed, Level::Ordinal)));
        prop_assert!(close(alpha(&t, Level::Interval), alpha(&affine, Level::Interval)));
    }

    #[test]
    fn annotator_order_and_input_order_do_not_matter(grid in grids(), seed in any::<u64>()) {
        let t = numbers(&grid);
        // Reverse the annotators and shuffle the order in which ratings arrive.
        let mut triples = Vec::new();
        for (i, row) in grid.iter().enumerate() {
            for (a, v) in row.iter().enumerate().rev() {
                if let Some(v) = v {
                    triples.push((format!("item{i}"), format!("ann{a}"), v.to_string()));
                }
            }
        }
        let mut state = seed | 1;
        for i in (1..triples.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            triples.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let u = RatingsTable::from_triples(Level::Interval, triples).unwrap();
        let (rt, ru) = (Report::for_table(&t), Report::for_table(&u));
        prop_assert!(close(rt.percent_agreement.value, ru.percent_agreement.value));
        prop_assert!(close(rt.fleiss_kappa.score.value, ru.fleiss_kappa.score.value));
        prop_assert!(close(rt.krippendorff_alpha.score.value, ru.krippendorff_alpha.score.value));
        // Cohen's kappa is symmetric in its two raters.
        if let (Some(a0), Some(a1)) = (u.annotator_index("ann0"), u.annotator_index("ann1")) {
            let k_t = kappa01(&t).unwrap();
            let k_u = cohen_kappa(&u, Rater::Annotator(a1), Rater::Annotator(a0)).unwrap();
            prop_assert!(close(k_t.score.value, k_u.score.value));
            prop_assert!(close(k_t.quadratic, k_u.quadratic));
        }
    }

    #[test]
    fn overlap_matching_finds_at_least_the_exact_matches(
        raw_r in proptest::collection::vec((0usize..50, 1usize..10, 0u8..3), 0..15),
        raw_c in proptest::collection::vec((0usize..50, 1usize..10, 0u8..3), 0..15),
    ) {
        let spans = |raw: &[(usize, usize, u8)]| -> Vec<Span> {
            raw.iter().map(|&(s, len, l)| Span::new(s, s + len, format!("E{l}"))).collect()
        };
        let (r, c) = (spans(&raw_r), spans(&raw_c));
        let exact = SpanCounts::compare(&r, &c, SpanMatch::Exact).unwrap();
        let overlap = SpanCounts::compare(&r, &c, SpanMatch::Overlap).unwrap();
        prop_assert!(overlap.overall.matched >= exact.overall.matched);
        prop_assert!(overlap.overall.matched <= r.len().min(c.len()));
        let swapped = SpanCounts::compare(&c, &r, SpanMatch::Overlap).unwrap();
        prop_assert_eq!(swapped.overall.matched, overlap.overall.matched);
        prop_assert_eq!(SpanCounts::compare(&r, &r, SpanMatch::Exact).unwrap().overall.matched, r.len());
        if let Some(f1) = overlap.scores().f1 {
            prop_assert!((0.0..=1.0).contains(&f1));
        }
    }

    #[test]
    fn box_matching_is_symmetric_and_bounded(
        raw_a in proptest::collection::vec((0.0f64..50.0, 0.0f64..50.0, 1.0f64..30.0, 1.0f64..30.0), 0..8),
        raw_b in proptest::collection::vec((0.0f64..50.0, 0.0f64..50.0, 1.0f64..30.0, 1.0f64..30.0), 0..8),
    ) {
        let boxes = |raw: &[(f64, f64, f64, f64)]| -> Vec<BoundingBox> {
            raw.iter().map(|&(x, y, w, h)| BoundingBox::new(x, y, x + w, y + h, "r")).collect()
        };
        let (a, b) = (boxes(&raw_a), boxes(&raw_b));
        let opts = MatchOptions { iou_threshold: 0.1, same_label: true };
        let ab = match_boxes(&a, &b, opts).unwrap();
        let ba = match_boxes(&b, &a, opts).unwrap();
        let total = |m: &airlock_agreement::RegionAgreement| m.pairs.iter().map(|p| p.iou).sum::<f64>();
        prop_assert!((total(&ab) - total(&ba)).abs() < 1e-9);
        prop_assert!(ab.pairs.len() <= a.len().min(b.len()));
        prop_assert_eq!(ab.pairs.len() + ab.unmatched_reference.len(), a.len());
        prop_assert_eq!(ab.pairs.len() + ab.unmatched_candidate.len(), b.len());
        for p in &ab.pairs {
            prop_assert!(p.iou >= 0.1 && p.iou <= 1.0 && p.dice >= p.iou);
            prop_assert!((a[p.reference].iou(&b[p.candidate]) - p.iou).abs() < 1e-15);
        }
        let self_match = match_boxes(&a, &a, opts).unwrap();
        prop_assert_eq!(self_match.pairs.len(), a.len());
        if !a.is_empty() {
            prop_assert!((self_match.mean_iou.unwrap() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn rectangle_polygons_agree_with_boxes(
        a in (0.0f64..50.0, 0.0f64..50.0, 1.0f64..30.0, 1.0f64..30.0),
        b in (0.0f64..50.0, 0.0f64..50.0, 1.0f64..30.0, 1.0f64..30.0),
        rotate in 0usize..4,
    ) {
        let rect = |(x, y, w, h): (f64, f64, f64, f64), start: usize| {
            let mut pts = vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
            pts.rotate_left(start);
            (PolygonRegion::new(pts, "r"), BoundingBox::new(x, y, x + w, y + h, "r"))
        };
        let ((pa, ba), (pb, bb)) = (rect(a, rotate), rect(b, 0));
        let poly = polygon_iou(&pa, &pb).unwrap();
        prop_assert!((poly - ba.iou(&bb)).abs() < 1e-9, "{poly} vs {}", ba.iou(&bb));
        prop_assert!((poly - polygon_iou(&pb, &pa).unwrap()).abs() < 1e-12);
        prop_assert!((polygon_iou(&pa, &pa).unwrap() - 1.0).abs() < 1e-12);
    }
}
