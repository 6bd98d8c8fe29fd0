//! Polygon IoU and Dice with optimal one-to-one matching.
//!
//! A simple polygon (no self-intersections, no holes) is cut into triangles by ear clipping;
//! the area of the intersection of two polygons is the sum of the intersection areas of their
//! triangles (each a convex clip), because the triangles of each polygon tile it without
//! overlap. This is exact up to floating-point rounding and needs no geometry dependency.

use serde::{Deserialize, Serialize};

use crate::regions::{match_by_iou, MatchOptions, RegionAgreement, RegionError};
use crate::spans::Side;

/// Most vertices a polygon may have.
pub const MAX_POLYGON_VERTICES: usize = 1_000;

/// Most triangle pairs one [`match_polygons`] call may clip (bounds the work on hostile input).
pub const MAX_TRIANGLE_PAIRS: u64 = 50_000_000;

type Point = [f64; 2];

/// A labelled simple polygon in pixel coordinates: vertices in order (either orientation), not
/// repeating the first at the end (a repeated closing vertex is accepted and ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolygonRegion {
    /// Vertices `[x, y]`.
    pub points: Vec<[f64; 2]>,
    /// Region label.
    pub label: String,
}

impl PolygonRegion {
    /// A polygon from its vertices.
    pub fn new(points: Vec<[f64; 2]>, label: impl Into<String>) -> Self {
        PolygonRegion {
            points,
            label: label.into(),
        }
    }

    /// Whether it can be compared: simple (its edges neither cross nor touch), with three
    /// or more distinct vertices (at most [`MAX_POLYGON_VERTICES`]), finite coordinates and
    /// an area. Annotation screens refuse others, so agreement never meets one.
    pub fn is_comparable(&self) -> bool {
        self.points.len() <= MAX_POLYGON_VERTICES && prepare(&self.points).is_ok()
    }
}

/// A polygon checked and cut into triangles.
struct Prepared {
    triangles: Vec<[Point; 3]>,
    area: f64,
    bounds: [f64; 4],
}

/// Why a polygon was refused (kept internal; the caller gets [`RegionError::InvalidRegion`]).
#[derive(Debug, PartialEq)]
enum Invalid {
    Shape,
    TooManyVertices(usize),
}

/// Intersection over union of two simple polygons (labels ignored).
pub fn polygon_iou(a: &PolygonRegion, b: &PolygonRegion) -> Result<f64, RegionError> {
    let pa = prepare_side(a, Side::Reference, 0)?;
    let pb = prepare_side(b, Side::Candidate, 0)?;
    Ok(iou(&pa, &pb))
}

/// Matches polygons one-to-one so that the total IoU of the pairs is as large as possible, as
/// [`crate::match_boxes`] does for boxes.
pub fn match_polygons(
    reference: &[PolygonRegion],
    candidate: &[PolygonRegion],
    options: MatchOptions,
) -> Result<RegionAgreement, RegionError> {
    for (side, list) in [(Side::Reference, reference), (Side::Candidate, candidate)] {
        if list.len() > crate::MAX_REGIONS_PER_IMAGE {
            return Err(RegionError::TooManyRegions {
                side,
                count: list.len(),
                max: crate::MAX_REGIONS_PER_IMAGE,
            });
        }
    }
    let pr = reference
        .iter()
        .enumerate()
        .map(|(i, p)| prepare_side(p, Side::Reference, i))
        .collect::<Result<Vec<_>, _>>()?;
    let pc = candidate
        .iter()
        .enumerate()
        .map(|(i, p)| prepare_side(p, Side::Candidate, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut work = 0u64;
    for a in &pr {
        for b in &pc {
            if overlaps(&a.bounds, &b.bounds) {
                work += (a.triangles.len() * b.triangles.len()) as u64;
            }
        }
    }
    if work > MAX_TRIANGLE_PAIRS {
        return Err(RegionError::TooComplex {
            max: MAX_TRIANGLE_PAIRS,
        });
    }
    match_by_iou(pr.len(), pc.len(), options, |i, j| {
        if options.same_label && reference[i].label != candidate[j].label {
            0.0
        } else {
            iou(&pr[i], &pc[j])
        }
    })
}

fn prepare_side(p: &PolygonRegion, side: Side, index: usize) -> Result<Prepared, RegionError> {
    prepare(&p.points).map_err(|e| match e {
        Invalid::TooManyVertices(count) => RegionError::TooManyVertices {
            side,
            index,
            count,
            max: MAX_POLYGON_VERTICES,
        },
        Invalid::Shape => RegionError::InvalidRegion { side, index },
    })
}

fn iou(a: &Prepared, b: &Prepared) -> f64 {
    if !overlaps(&a.bounds, &b.bounds) {
        return 0.0;
    }
    let mut inter = 0.0;
    for ta in &a.triangles {
        let ba = bounds(ta);
        for tb in &b.triangles {
            if overlaps(&ba, &bounds(tb)) {
                inter += clip_area(ta, tb);
            }
        }
    }
    let union = a.area + b.area - inter;
    if union > 0.0 {
        (inter / union).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn cross(o: Point, a: Point, b: Point) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

fn signed_area(points: &[Point]) -> f64 {
    let n = points.len();
    (0..n)
        .map(|i| {
            let (p, q) = (points[i], points[(i + 1) % n]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum::<f64>()
        / 2.0
}

fn bounds(points: &[Point]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Checks a polygon is simple with positive area, orients it counter-clockwise, drops repeated
/// and collinear vertices, and triangulates it.
fn prepare(raw: &[Point]) -> Result<Prepared, Invalid> {
    if raw.len() > MAX_POLYGON_VERTICES + 1 {
        return Err(Invalid::TooManyVertices(raw.len()));
    }
    if raw.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
        return Err(Invalid::Shape);
    }
    let mut pts: Vec<Point> = Vec::with_capacity(raw.len());
    for &p in raw {
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() > MAX_POLYGON_VERTICES {
        return Err(Invalid::TooManyVertices(pts.len()));
    }
    if pts.len() < 3 || !is_simple(&pts) {
        return Err(Invalid::Shape);
    }
    let area = signed_area(&pts);
    if area == 0.0 {
        return Err(Invalid::Shape);
    }
    if area < 0.0 {
        pts.reverse();
    }
    let bounds = bounds(&pts);
    let triangles = ear_clip(pts).ok_or(Invalid::Shape)?;
    Ok(Prepared {
        triangles,
        area: area.abs(),
        bounds,
    })
}

/// No two edges meet except neighbours at their shared vertex (and those do not fold back).
fn is_simple(pts: &[Point]) -> bool {
    let n = pts.len();
    let edge = |i: usize| (pts[i], pts[(i + 1) % n]);
    for i in 0..n {
        let (a, b) = edge(i);
        let c = pts[(i + 2) % n];
        // Neighbouring edges a→b, b→c fold back onto each other.
        if cross(a, b, c) == 0.0
            && (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]) < 0.0
        {
            return false;
        }
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // neighbours through the closing vertex
            }
            let (c, d) = edge(j);
            if segments_meet(a, b, c, d) {
                return false;
            }
        }
    }
    true
}

fn segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool {
    let d1 = cross(c, d, a);
    let d2 = cross(c, d, b);
    let d3 = cross(a, b, c);
    let d4 = cross(a, b, d);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    let on = |p: Point, q: Point, r: Point| {
        r[0] >= p[0].min(q[0])
            && r[0] <= p[0].max(q[0])
            && r[1] >= p[1].min(q[1])
            && r[1] <= p[1].max(q[1])
    };
    (d1 == 0.0 && on(c, d, a))
        || (d2 == 0.0 && on(c, d, b))
        || (d3 == 0.0 && on(a, b, c))
        || (d4 == 0.0 && on(a, b, d))
}

/// Ear clipping of a simple counter-clockwise polygon.
fn ear_clip(mut pts: Vec<Point>) -> Option<Vec<[Point; 3]>> {
    let mut out = Vec::with_capacity(pts.len().saturating_sub(2));
    while pts.len() > 3 {
        let n = pts.len();
        let mut clipped = false;
        for i in 0..n {
            let (p, c, q) = (pts[(i + n - 1) % n], pts[i], pts[(i + 1) % n]);
            let turn = cross(p, c, q);
            if turn == 0.0 {
                // A straight vertex adds no area: drop it.
                pts.remove(i);
                clipped = true;
                break;
            }
            if turn < 0.0 {
                continue; // reflex
            }
            let blocked = pts.iter().enumerate().any(|(k, &r)| {
                k != i
                    && k != (i + n - 1) % n
                    && k != (i + 1) % n
                    && cross(p, c, r) >= 0.0
                    && cross(c, q, r) >= 0.0
                    && cross(q, p, r) >= 0.0
            });
            if !blocked {
                out.push([p, c, q]);
                pts.remove(i);
                clipped = true;
                break;
            }
        }
        if !clipped {
            return None;
        }
    }
    if pts.len() == 3 && cross(pts[0], pts[1], pts[2]) > 0.0 {
        out.push([pts[0], pts[1], pts[2]]);
    }
    Some(out)
}

/// Area of the intersection of two counter-clockwise triangles (Sutherland–Hodgman).
fn clip_area(subject: &[Point; 3], clip: &[Point; 3]) -> f64 {
    let mut poly: Vec<Point> = subject.to_vec();
    let mut next: Vec<Point> = Vec::with_capacity(9);
    for e in 0..3 {
        let (a, b) = (clip[e], clip[(e + 1) % 3]);
        next.clear();
        let n = poly.len();
        for i in 0..n {
            let (p, q) = (poly[i], poly[(i + 1) % n]);
            let (sp, sq) = (cross(a, b, p), cross(a, b, q));
            if sp >= 0.0 {
                next.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                let t = sp / (sp - sq);
                next.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
            }
        }
        std::mem::swap(&mut poly, &mut next);
        if poly.len() < 3 {
            return 0.0;
        }
    }
    signed_area(&poly).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(points: &[(f64, f64)]) -> PolygonRegion {
        PolygonRegion::new(points.iter().map(|&(x, y)| [x, y]).collect(), "organ")
    }

    #[test]
    fn figure_eights_and_slivers_are_not_comparable() {
        assert!(poly(&[(0.0, 0.0), (4.0, 0.0), (4.0, 3.0)]).is_comparable());
        assert!(!poly(&[(0.0, 0.0), (4.0, 4.0), (4.0, 0.0), (0.0, 4.0)]).is_comparable());
        assert!(!poly(&[(0.0, 0.0), (2.0, 0.0), (4.0, 0.0)]).is_comparable());
        assert!(!poly(&[(0.0, 0.0), (f64::NAN, 1.0), (1.0, 1.0)]).is_comparable());
    }

    #[test]
    fn squares_and_an_l_shape() {
        let a = poly(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        let b = poly(&[(5.0, 0.0), (15.0, 0.0), (15.0, 10.0), (5.0, 10.0)]);
        assert!((polygon_iou(&a, &b).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // Clockwise input and a repeated closing vertex give the same answer.
        let b_cw = poly(&[
            (5.0, 0.0),
            (5.0, 10.0),
            (15.0, 10.0),
            (15.0, 0.0),
            (5.0, 0.0),
        ]);
        assert!((polygon_iou(&a, &b_cw).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // L-shape (area 75) against the unit square it misses a quarter of: 75 / 100.
        let l = poly(&[
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 5.0),
            (5.0, 5.0),
            (5.0, 10.0),
            (0.0, 10.0),
        ]);
        assert!((polygon_iou(&a, &l).unwrap() - 0.75).abs() < 1e-12);
        assert!((polygon_iou(&l, &l).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn disjoint_touching_and_identical_polygons() {
        let square =
            |x: f64, y: f64| poly(&[(x, y), (x + 10.0, y), (x + 10.0, y + 10.0), (x, y + 10.0)]);
        let a = square(0.0, 0.0);
        assert_eq!(polygon_iou(&a, &square(50.0, 50.0)).unwrap(), 0.0);
        // Sharing an edge or a corner covers no area.
        assert_eq!(polygon_iou(&a, &square(10.0, 0.0)).unwrap(), 0.0);
        assert_eq!(polygon_iou(&a, &square(10.0, 10.0)).unwrap(), 0.0);
        assert!((polygon_iou(&a, &square(0.0, 0.0)).unwrap() - 1.0).abs() < 1e-12);
        // Dice from IoU: squares overlapping by half have IoU 1/3, Dice 2·50 / 200 = 1/2.
        let half = polygon_iou(&a, &square(5.0, 0.0)).unwrap();
        assert!((crate::dice_from_iou(half) - 0.5).abs() < 1e-12);
        // An L-shape inside the square's notch: a 5×5 square in the missing quarter
        // touches the L along two edges and overlaps nothing.
        let l = poly(&[
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 5.0),
            (5.0, 5.0),
            (5.0, 10.0),
            (0.0, 10.0),
        ]);
        let notch = poly(&[(5.0, 5.0), (10.0, 5.0), (10.0, 10.0), (5.0, 10.0)]);
        assert_eq!(polygon_iou(&l, &notch).unwrap(), 0.0);
        // Two L-shapes (area 75 each), one shifted right by 5: they share only the 5×5
        // square [5, 10]×[0, 5]; the arms merely touch along x = 5.
        let shifted = poly(&[
            (5.0, 0.0),
            (15.0, 0.0),
            (15.0, 5.0),
            (10.0, 5.0),
            (10.0, 10.0),
            (5.0, 10.0),
        ]);
        let expect = 25.0 / (75.0 + 75.0 - 25.0);
        assert!((polygon_iou(&l, &shifted).unwrap() - expect).abs() < 1e-12);
    }

    #[test]
    fn collinear_vertices_do_not_change_the_area() {
        let a = poly(&[
            (0.0, 0.0),
            (5.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 5.0),
        ]);
        let b = poly(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        assert!((polygon_iou(&a, &b).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn invalid_polygons_are_refused() {
        let bow_tie = poly(&[(0.0, 0.0), (10.0, 10.0), (10.0, 0.0), (0.0, 10.0)]);
        let square = poly(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        assert_eq!(
            polygon_iou(&square, &bow_tie).unwrap_err(),
            RegionError::InvalidRegion {
                side: Side::Candidate,
                index: 0
            }
        );
        let line = poly(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]);
        assert!(polygon_iou(&line, &square).is_err());
        let two = poly(&[(0.0, 0.0), (1.0, 1.0)]);
        assert!(polygon_iou(&two, &square).is_err());
        let nan = poly(&[(0.0, 0.0), (f64::NAN, 1.0), (1.0, 0.0)]);
        assert!(polygon_iou(&nan, &square).is_err());
        let huge: Vec<(f64, f64)> = (0..=MAX_POLYGON_VERTICES + 1)
            .map(|i| {
                let t = i as f64 / 700.0;
                (t.cos(), t.sin())
            })
            .collect();
        assert!(matches!(
            polygon_iou(&poly(&huge), &square).unwrap_err(),
            RegionError::TooManyVertices { .. }
        ));
    }

    #[test]
    fn matching_pairs_the_right_polygons() {
        let tri = |x: f64| poly(&[(x, 0.0), (x + 10.0, 0.0), (x + 5.0, 8.0)]);
        let r = [tri(0.0), tri(100.0)];
        let c = [tri(101.0), tri(1.0), tri(300.0)];
        let m = match_polygons(&r, &c, MatchOptions::default()).unwrap();
        let pairs: Vec<(usize, usize)> =
            m.pairs.iter().map(|p| (p.reference, p.candidate)).collect();
        assert_eq!(pairs, [(0, 1), (1, 0)]);
        assert_eq!(m.unmatched_candidate, [2]);
    }
}
