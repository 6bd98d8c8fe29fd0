//! Text span agreement: precision, recall and F1 with exact or overlap matching.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// Most spans one side of one document may have.
pub const MAX_SPANS_PER_DOCUMENT: usize = 100_000;

/// A labelled text span, half-open: characters `start..end`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// First character offset (inclusive).
    pub start: usize,
    /// End offset (exclusive); greater than `start`.
    pub end: usize,
    /// Entity label.
    pub label: String,
}

impl Span {
    /// A span `start..end` labelled `label`.
    pub fn new(start: usize, end: usize, label: impl Into<String>) -> Self {
        Span {
            start,
            end,
            label: label.into(),
        }
    }
}

/// When two spans count as the same annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanMatch {
    /// Same start, end and label.
    Exact,
    /// Same label and at least one character in common.
    Overlap,
}

/// Which side of a comparison an input error is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The reference (gold, or the first annotator).
    Reference,
    /// The candidate (the annotator being scored, or the second annotator).
    Candidate,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Reference => "reference",
            Side::Candidate => "candidate",
        })
    }
}

/// Spans that cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpanError {
    /// A span ends at or before its start.
    #[error("{side} span {index} is empty or reversed")]
    EmptySpan {
        /// Side of the span.
        side: Side,
        /// 0-based position of the span in its list.
        index: usize,
    },
    /// More spans than [`MAX_SPANS_PER_DOCUMENT`].
    #[error("{side} has {count} spans (at most {max} per document)")]
    TooManySpans {
        /// The side with too many spans.
        side: Side,
        /// How many it has.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// Matched, reference and candidate span counts; add them up over documents (micro average).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpanTally {
    /// Spans matched one-to-one.
    pub matched: usize,
    /// Reference spans.
    pub reference: usize,
    /// Candidate spans.
    pub candidate: usize,
}

impl SpanTally {
    /// `matched / candidate`; `None` without candidate spans.
    pub fn precision(&self) -> Option<f64> {
        (self.candidate > 0).then(|| self.matched as f64 / self.candidate as f64)
    }

    /// `matched / reference`; `None` without reference spans.
    pub fn recall(&self) -> Option<f64> {
        (self.reference > 0).then(|| self.matched as f64 / self.reference as f64)
    }

    /// `2 matched / (reference + candidate)` (the harmonic mean of precision and recall, and
    /// 0 when one side is empty); `None` when both sides are empty.
    pub fn f1(&self) -> Option<f64> {
        let both = self.reference + self.candidate;
        (both > 0).then(|| 2.0 * self.matched as f64 / both as f64)
    }

    fn add(&mut self, other: &SpanTally) {
        self.matched += other.matched;
        self.reference += other.reference;
        self.candidate += other.candidate;
    }
}

/// Precision, recall and F1 with the counts behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanScores {
    /// The counts.
    #[serde(flatten)]
    pub tally: SpanTally,
    /// See [`SpanTally::precision`].
    pub precision: Option<f64>,
    /// See [`SpanTally::recall`].
    pub recall: Option<f64>,
    /// See [`SpanTally::f1`].
    pub f1: Option<f64>,
}

impl From<SpanTally> for SpanScores {
    fn from(tally: SpanTally) -> Self {
        SpanScores {
            tally,
            precision: tally.precision(),
            recall: tally.recall(),
            f1: tally.f1(),
        }
    }
}

/// Span agreement over one or more documents, overall and per label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpanCounts {
    /// All labels together.
    pub overall: SpanTally,
    /// Per label, in label order.
    pub per_label: BTreeMap<String, SpanTally>,
}

impl SpanCounts {
    /// Compares the spans of one document.
    ///
    /// Matching is one-to-one and never crosses labels. `Exact` pairs identical spans
    /// (duplicates pair off as often as both sides have them). `Overlap` finds a maximum
    /// matching of spans that share at least one character, so each span is credited once
    /// however many spans it touches; `matched` is therefore the same number for precision
    /// and recall. Precision is against `candidate`, recall against `reference`; F1 is
    /// symmetric.
    pub fn compare(
        reference: &[Span],
        candidate: &[Span],
        mode: SpanMatch,
    ) -> Result<Self, SpanError> {
        check(reference, Side::Reference)?;
        check(candidate, Side::Candidate)?;
        let mut by_label: BTreeMap<&str, (Vec<&Span>, Vec<&Span>)> = BTreeMap::new();
        for s in reference {
            by_label.entry(&s.label).or_default().0.push(s);
        }
        for s in candidate {
            by_label.entry(&s.label).or_default().1.push(s);
        }
        let mut counts = SpanCounts::default();
        for (label, (r, c)) in by_label {
            let matched = match mode {
                SpanMatch::Exact => exact_matches(&r, &c),
                SpanMatch::Overlap => overlap_matches(&r, &c),
            };
            let tally = SpanTally {
                matched,
                reference: r.len(),
                candidate: c.len(),
            };
            counts.overall.add(&tally);
            counts.per_label.insert(label.to_owned(), tally);
        }
        Ok(counts)
    }

    /// Adds another document's counts.
    pub fn add(&mut self, other: &SpanCounts) {
        self.overall.add(&other.overall);
        for (label, tally) in &other.per_label {
            self.per_label.entry(label.clone()).or_default().add(tally);
        }
    }

    /// Overall scores.
    pub fn scores(&self) -> SpanScores {
        self.overall.into()
    }

    /// Scores per label, in label order.
    pub fn label_scores(&self) -> Vec<(String, SpanScores)> {
        self.per_label
            .iter()
            .map(|(l, t)| (l.clone(), (*t).into()))
            .collect()
    }
}

fn check(spans: &[Span], side: Side) -> Result<(), SpanError> {
    if spans.len() > MAX_SPANS_PER_DOCUMENT {
        return Err(SpanError::TooManySpans {
            side,
            count: spans.len(),
            max: MAX_SPANS_PER_DOCUMENT,
        });
    }
    match spans.iter().position(|s| s.end <= s.start) {
        Some(index) => Err(SpanError::EmptySpan { side, index }),
        None => Ok(()),
    }
}

fn exact_matches(r: &[&Span], c: &[&Span]) -> usize {
    let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
    for s in r {
        *counts.entry((s.start, s.end)).or_default() += 1;
    }
    let mut matched = 0;
    for s in c {
        if let Some(n) = counts.get_mut(&(s.start, s.end)) {
            if *n > 0 {
                *n -= 1;
                matched += 1;
            }
        }
    }
    matched
}

/// Maximum one-to-one matching of overlapping intervals, in O((r + c) log c).
///
/// Reference spans are taken by increasing end; each takes the free overlapping candidate
/// that ends first. This is optimal: if `r` ends first of all reference spans and `c*` is its
/// overlapping candidate that ends first, any maximum matching can be changed to pair `r` with
/// `c*` without losing a pair (the candidate `r` had overlaps the partner `r′` of `c*`, because
/// it starts before `r` ends, which is no later than `r′` ends, and it ends no earlier than
/// `c*`, which is after `r′` starts).
fn overlap_matches(r: &[&Span], c: &[&Span]) -> usize {
    let mut refs: Vec<(usize, usize)> = r.iter().map(|s| (s.end, s.start)).collect();
    refs.sort_unstable();
    let mut cands: Vec<(usize, usize)> = c.iter().map(|s| (s.start, s.end)).collect();
    cands.sort_unstable();
    // Free candidates that start before the current reference span ends, by (end, index).
    let mut open: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut next = 0;
    let mut matched = 0;
    for (end, start) in refs {
        while next < cands.len() && cands[next].0 < end {
            open.insert((cands[next].1, next));
            next += 1;
        }
        let found = open.range((start + 1, 0)..).next().copied();
        if let Some(key) = found {
            open.remove(&key);
            matched += 1;
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: usize, end: usize, label: &str) -> Span {
        Span::new(start, end, label)
    }

    #[test]
    fn exact_and_overlap_on_a_small_document() {
        let gold = [s(0, 5, "PER"), s(10, 20, "LOC"), s(30, 35, "PER")];
        let ann = [
            s(0, 5, "PER"),
            s(12, 18, "LOC"),
            s(30, 35, "LOC"),
            s(40, 41, "PER"),
        ];
        let exact = SpanCounts::compare(&gold, &ann, SpanMatch::Exact).unwrap();
        assert_eq!(
            exact.overall,
            SpanTally {
                matched: 1,
                reference: 3,
                candidate: 4
            }
        );
        let overlap = SpanCounts::compare(&gold, &ann, SpanMatch::Overlap).unwrap();
        assert_eq!(
            overlap.overall.matched, 2,
            "label mismatch at 30..35 never matches"
        );
        let sc = overlap.scores();
        assert_eq!(sc.precision, Some(0.5));
        assert!((sc.recall.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert!((sc.f1.unwrap() - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(overlap.per_label["PER"].matched, 1);
    }

    #[test]
    fn overlap_is_one_to_one_and_maximum() {
        // One long reference span over two candidates: one match only.
        let m = SpanCounts::compare(
            &[s(0, 10, "X")],
            &[s(0, 3, "X"), s(5, 9, "X")],
            SpanMatch::Overlap,
        )
        .unwrap();
        assert_eq!(m.overall.matched, 1);
        // Greedy on start would pair 0..10 with 0..2 and leave 1..3 alone; maximum is 2.
        let m = SpanCounts::compare(
            &[s(0, 10, "X"), s(1, 3, "X")],
            &[s(8, 12, "X"), s(0, 2, "X")],
            SpanMatch::Overlap,
        )
        .unwrap();
        assert_eq!(m.overall.matched, 2);
        // Touching is not overlapping (half-open spans).
        let m = SpanCounts::compare(&[s(0, 5, "X")], &[s(5, 9, "X")], SpanMatch::Overlap).unwrap();
        assert_eq!(m.overall.matched, 0);
    }

    #[test]
    fn duplicates_pair_off_and_counts_add_up() {
        let mut total = SpanCounts::compare(
            &[s(0, 2, "A"), s(0, 2, "A")],
            &[s(0, 2, "A")],
            SpanMatch::Exact,
        )
        .unwrap();
        assert_eq!(total.overall.matched, 1);
        let other = SpanCounts::compare(&[], &[s(3, 4, "B")], SpanMatch::Exact).unwrap();
        total.add(&other);
        assert_eq!(
            total.overall,
            SpanTally {
                matched: 1,
                reference: 2,
                candidate: 2
            }
        );
        assert_eq!(total.per_label["B"].recall(), None);
        assert_eq!(total.per_label["B"].f1(), Some(0.0));
        assert_eq!(SpanTally::default().f1(), None);
    }

    #[test]
    fn empty_spans_are_refused_by_position() {
        assert_eq!(
            SpanCounts::compare(
                &[s(0, 1, "A")],
                &[s(0, 1, "A"), s(4, 4, "A")],
                SpanMatch::Exact
            )
            .unwrap_err(),
            SpanError::EmptySpan {
                side: Side::Candidate,
                index: 1
            }
        );
    }
}
