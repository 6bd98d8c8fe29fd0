//! The ratings table: who gave which label to which item, with missing ratings allowed.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Level of measurement of the labels: how different two labels are.
///
/// `Nominal` labels are compared by identity only. `Ordinal` and `Interval` labels must be
/// numbers: ordinal uses only their order (Krippendorff's rank-based distance), interval uses
/// squared numeric differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Categories without order ("pneumonia", "effusion").
    Nominal,
    /// Ordered numeric categories (a 1–5 severity grade).
    Ordinal,
    /// Numbers whose differences are meaningful (a measured length).
    Interval,
}

impl Level {
    /// Whether labels at this level must be numbers.
    pub fn is_numeric(self) -> bool {
        !matches!(self, Level::Nominal)
    }

    /// The lower-case name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Nominal => "nominal",
            Level::Ordinal => "ordinal",
            Level::Interval => "interval",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is not `nominal`, `ordinal` or `interval`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level of measurement (expected nominal, ordinal or interval)")]
pub struct ParseLevelError;

impl FromStr for Level {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nominal" => Ok(Level::Nominal),
            "ordinal" => Ok(Level::Ordinal),
            "interval" => Ok(Level::Interval),
            _ => Err(ParseLevelError),
        }
    }
}

/// Which field of a rating an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The item id.
    Item,
    /// The annotator id.
    Annotator,
    /// The label.
    Label,
}

impl Field {
    /// The column name, as in the CSV header.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Item => "item",
            Field::Annotator => "annotator",
            Field::Label => "label",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rating or gold label that cannot be added to a [`RatingsTableBuilder`].
///
/// Positions are 1-based counts of calls to [`RatingsTableBuilder::rate`] (or
/// [`RatingsTableBuilder::gold`]); no variant carries an id or label text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RatingError {
    /// A field was empty (or only whitespace).
    #[error("the {field} is empty")]
    EmptyField {
        /// The empty field.
        field: Field,
    },
    /// A numeric level was asked for and the label is not a finite number.
    #[error("the label is not a finite number (the level of measurement needs numbers)")]
    NotNumeric,
    /// The annotator already rated this item.
    #[error("this annotator already rated this item (rating {first})")]
    DuplicateRating {
        /// Position of the earlier rating of the same item by the same annotator.
        first: usize,
    },
    /// The item already has a gold label.
    #[error("this item already has a gold label (gold label {first})")]
    DuplicateGold {
        /// Position of the earlier gold label of the same item.
        first: usize,
    },
    /// More ratings, items, annotators or labels than the table can index.
    #[error("the table is full (at most {max} entries)")]
    TableFull {
        /// The limit.
        max: usize,
    },
}

/// One rating, by index into the table's items, annotators and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Rating {
    pub(crate) item: u32,
    pub(crate) label: u32,
    pub(crate) annotator: u32,
}

/// The labels of one item that has ratings: `m` ratings in `cells`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemRow {
    /// Number of ratings of the item.
    pub(crate) m: u32,
    /// Range into [`RatingsTable::cells`].
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// How many annotators gave one label to one item.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub(crate) label: u32,
    pub(crate) count: u32,
}

/// Ratings of items by annotators, with missing ratings allowed, plus optional gold labels.
///
/// Built with [`RatingsTableBuilder`] from `(item, annotator, label)` triples, or from CSV with
/// [`crate::read_ratings_csv`]. Items and annotators keep the order in which they were first
/// seen; labels are sorted (text by Unicode code point for nominal tables, ascending numeric
/// value for numeric tables), which is the order NumPy and scikit-learn use. In a numeric table
/// `"1"` and `"1.0"` are the same label.
#[derive(Debug, Clone)]
pub struct RatingsTable {
    level: Level,
    items: Vec<String>,
    annotators: Vec<String>,
    labels: Vec<String>,
    values: Vec<f64>,
    n_ratings: usize,
    /// Items that have at least one rating, grouped by label.
    pub(crate) rows: Vec<ItemRow>,
    pub(crate) cells: Vec<Cell>,
    /// Per annotator, `(item, label)` sorted by item.
    pub(crate) by_annotator: Vec<Vec<(u32, u32)>>,
    /// Gold label per item.
    pub(crate) gold: Vec<Option<u32>>,
}

impl RatingsTable {
    /// Starts an empty table whose labels are read at `level`.
    pub fn builder(level: Level) -> RatingsTableBuilder {
        RatingsTableBuilder::new(level)
    }

    /// Builds a table from `(item, annotator, label)` triples.
    pub fn from_triples<I, S1, S2, S3>(level: Level, triples: I) -> Result<Self, RatingError>
    where
        I: IntoIterator<Item = (S1, S2, S3)>,
        S1: AsRef<str>,
        S2: AsRef<str>,
        S3: AsRef<str>,
    {
        let mut builder = RatingsTableBuilder::new(level);
        for (item, annotator, label) in triples {
            builder.rate(item.as_ref(), annotator.as_ref(), label.as_ref())?;
        }
        Ok(builder.build())
    }

    /// The level the labels were read at.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Item ids, in first-seen order (including items that only have a gold label).
    pub fn items(&self) -> &[String] {
        &self.items
    }

    /// Annotator ids, in first-seen order.
    pub fn annotators(&self) -> &[String] {
        &self.annotators
    }

    /// Index of an annotator id.
    pub fn annotator_index(&self, annotator: &str) -> Option<usize> {
        self.annotators.iter().position(|a| a == annotator)
    }

    /// Distinct labels in sorted order (see the type's documentation).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Numeric value of each label, in the order of [`Self::labels`]; `None` for a nominal table.
    pub fn label_values(&self) -> Option<&[f64]> {
        self.level.is_numeric().then_some(self.values.as_slice())
    }

    /// Number of ratings.
    pub fn n_ratings(&self) -> usize {
        self.n_ratings
    }

    /// Number of items that have at least one rating.
    pub fn n_rated_items(&self) -> usize {
        self.rows.len()
    }

    /// Number of items with a gold label.
    pub fn n_gold(&self) -> usize {
        self.gold.iter().filter(|g| g.is_some()).count()
    }

    /// Every rating as `(item, annotator, label)` indices, by annotator, then by item.
    pub fn ratings(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.by_annotator
            .iter()
            .enumerate()
            .flat_map(|(a, list)| list.iter().map(move |&(i, l)| (i as usize, a, l as usize)))
    }

    /// Gold label of an item, by index.
    pub fn gold_label(&self, item: usize) -> Option<usize> {
        self.gold.get(item).copied().flatten().map(|l| l as usize)
    }

    /// The cells of one row.
    pub(crate) fn row_cells(&self, row: &ItemRow) -> &[Cell] {
        &self.cells[row.start as usize..row.end as usize]
    }

    /// Rows of items with at least two ratings.
    pub(crate) fn pairable_rows(&self) -> impl Iterator<Item = &ItemRow> + '_ {
        self.rows.iter().filter(|r| r.m >= 2)
    }
}

/// Interns strings to dense `u32` indices in first-seen order.
#[derive(Debug, Default)]
struct Interner {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn intern(&mut self, name: &str) -> Result<u32, RatingError> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let i = u32::try_from(self.names.len()).map_err(|_| RatingError::TableFull {
            max: u32::MAX as usize,
        })?;
        self.index.insert(name.to_owned(), i);
        self.names.push(name.to_owned());
        Ok(i)
    }
}

/// Collects ratings and gold labels, then builds a [`RatingsTable`].
///
/// ```
/// use airlock_agreement::{Level, RatingsTable};
/// let mut b = RatingsTable::builder(Level::Nominal);
/// b.rate("note-1", "A1", "pneumonia")?;
/// b.rate("note-1", "A2", "effusion")?;
/// b.gold("note-1", "pneumonia")?;
/// let table = b.build();
/// assert_eq!(table.labels(), ["effusion", "pneumonia"]);
/// # Ok::<(), airlock_agreement::RatingError>(())
/// ```
#[derive(Debug)]
pub struct RatingsTableBuilder {
    level: Level,
    items: Interner,
    annotators: Interner,
    labels: Interner,
    /// Numeric value of each interned label (numeric levels only).
    values: Vec<f64>,
    /// Numeric labels by the bits of their value, so that "1" and "1.0" are one label.
    by_value: HashMap<u64, u32>,
    ratings: Vec<Rating>,
    seen: HashMap<(u32, u32), usize>,
    gold: HashMap<u32, (u32, usize)>,
    n_gold_calls: usize,
}

impl RatingsTableBuilder {
    /// Starts an empty table whose labels are read at `level`.
    pub fn new(level: Level) -> Self {
        RatingsTableBuilder {
            level,
            items: Interner::default(),
            annotators: Interner::default(),
            labels: Interner::default(),
            values: Vec::new(),
            by_value: HashMap::new(),
            ratings: Vec::new(),
            seen: HashMap::new(),
            gold: HashMap::new(),
            n_gold_calls: 0,
        }
    }

    /// Number of ratings added so far.
    pub fn len(&self) -> usize {
        self.ratings.len()
    }

    /// Whether no rating was added yet.
    pub fn is_empty(&self) -> bool {
        self.ratings.is_empty()
    }

    /// Records that `annotator` gave `label` to `item`.
    ///
    /// Fields are used as given except that a label at a numeric level is parsed (surrounding
    /// whitespace allowed). Fails on an empty field, a non-numeric label at a numeric level, or
    /// a second rating of the same item by the same annotator.
    pub fn rate(
        &mut self,
        item: &str,
        annotator: &str,
        label: &str,
    ) -> Result<&mut Self, RatingError> {
        non_empty(item, Field::Item)?;
        non_empty(annotator, Field::Annotator)?;
        non_empty(label, Field::Label)?;
        let label = self.intern_label(label)?;
        let item = self.items.intern(item)?;
        let annotator = self.annotators.intern(annotator)?;
        let position = self.ratings.len() + 1;
        if u32::try_from(position).is_err() {
            return Err(RatingError::TableFull {
                max: u32::MAX as usize,
            });
        }
        if let Some(&first) = self.seen.get(&(item, annotator)) {
            return Err(RatingError::DuplicateRating { first });
        }
        self.seen.insert((item, annotator), position);
        self.ratings.push(Rating {
            item,
            label,
            annotator,
        });
        Ok(self)
    }

    /// Records the adjudicated gold label of `item`.
    pub fn gold(&mut self, item: &str, label: &str) -> Result<&mut Self, RatingError> {
        non_empty(item, Field::Item)?;
        non_empty(label, Field::Label)?;
        let label = self.intern_label(label)?;
        let item = self.items.intern(item)?;
        self.n_gold_calls += 1;
        if let Some(&(_, first)) = self.gold.get(&item) {
            return Err(RatingError::DuplicateGold { first });
        }
        self.gold.insert(item, (label, self.n_gold_calls));
        Ok(self)
    }

    fn intern_label(&mut self, label: &str) -> Result<u32, RatingError> {
        if !self.level.is_numeric() {
            return self.labels.intern(label);
        }
        let value: f64 = label.trim().parse().map_err(|_| RatingError::NotNumeric)?;
        if !value.is_finite() {
            return Err(RatingError::NotNumeric);
        }
        // -0.0 and 0.0 are one label.
        let value = value + 0.0;
        if let Some(&i) = self.by_value.get(&value.to_bits()) {
            return Ok(i);
        }
        let i = u32::try_from(self.values.len()).map_err(|_| RatingError::TableFull {
            max: u32::MAX as usize,
        })?;
        self.by_value.insert(value.to_bits(), i);
        self.values.push(value);
        self.labels.names.push(label.trim().to_owned());
        Ok(i)
    }

    /// Finishes the table.
    pub fn build(self) -> RatingsTable {
        let RatingsTableBuilder {
            level,
            items,
            annotators,
            labels,
            values,
            mut ratings,
            gold,
            ..
        } = self;
        // Sort labels (text by code point, numbers by value) and remap indices.
        let mut order: Vec<u32> = (0..labels.names.len() as u32).collect();
        if level.is_numeric() {
            order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        } else {
            order.sort_by(|&a, &b| labels.names[a as usize].cmp(&labels.names[b as usize]));
        }
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        let sorted_labels: Vec<String> = order
            .iter()
            .map(|&o| labels.names[o as usize].clone())
            .collect();
        let sorted_values: Vec<f64> = if level.is_numeric() {
            order.iter().map(|&o| values[o as usize]).collect()
        } else {
            Vec::new()
        };
        for r in &mut ratings {
            r.label = remap[r.label as usize];
        }
        let mut gold_by_item = vec![None; items.names.len()];
        for (item, (label, _)) in gold {
            gold_by_item[item as usize] = Some(remap[label as usize]);
        }

        let mut by_annotator: Vec<Vec<(u32, u32)>> = vec![Vec::new(); annotators.names.len()];
        for r in &ratings {
            by_annotator[r.annotator as usize].push((r.item, r.label));
        }
        for list in &mut by_annotator {
            list.sort_unstable();
        }

        ratings.sort_unstable();
        let mut rows = Vec::new();
        let mut cells: Vec<Cell> = Vec::new();
        let mut i = 0;
        while i < ratings.len() {
            let item = ratings[i].item;
            let start = cells.len() as u32;
            let mut m = 0u32;
            while i < ratings.len() && ratings[i].item == item {
                let label = ratings[i].label;
                let mut count = 0u32;
                while i < ratings.len() && ratings[i].item == item && ratings[i].label == label {
                    count += 1;
                    i += 1;
                }
                cells.push(Cell { label, count });
                m += count;
            }
            rows.push(ItemRow {
                m,
                start,
                end: cells.len() as u32,
            });
        }

        RatingsTable {
            level,
            items: items.names,
            annotators: annotators.names,
            labels: sorted_labels,
            values: sorted_values,
            n_ratings: ratings.len(),
            rows,
            cells,
            by_annotator,
            gold: gold_by_item,
        }
    }
}

fn non_empty(s: &str, field: Field) -> Result<(), RatingError> {
    if s.trim().is_empty() {
        Err(RatingError::EmptyField { field })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_labels_are_one_label_per_value_and_sorted_by_value() {
        let t = RatingsTable::from_triples(
            Level::Interval,
            [
                ("a", "x", "10"),
                ("a", "y", "2"),
                ("b", "x", "2.0"),
                ("b", "y", "-0"),
            ],
        )
        .unwrap();
        // "2" and "2.0" are the same value, "-0" is 0; numeric order, not text order.
        assert_eq!(t.labels(), ["-0", "2", "10"]);
        assert_eq!(t.label_values(), Some(&[0.0, 2.0, 10.0][..]));
    }

    #[test]
    fn nominal_labels_sort_by_code_point() {
        let t = RatingsTable::from_triples(
            Level::Nominal,
            [
                ("a", "x", "b"),
                ("a", "y", "B"),
                ("b", "x", "é"),
                ("b", "y", "a"),
            ],
        )
        .unwrap();
        assert_eq!(t.labels(), ["B", "a", "b", "é"]);
        assert_eq!(t.label_values(), None);
    }

    #[test]
    fn duplicate_rating_names_the_first_position() {
        let mut b = RatingsTable::builder(Level::Nominal);
        b.rate("i1", "a", "x").unwrap();
        b.rate("i2", "a", "x").unwrap();
        assert_eq!(
            b.rate("i1", "a", "y").unwrap_err(),
            RatingError::DuplicateRating { first: 1 }
        );
    }

    #[test]
    fn empty_fields_and_non_numbers_are_refused() {
        let mut b = RatingsTable::builder(Level::Ordinal);
        assert_eq!(
            b.rate(" ", "a", "1").unwrap_err(),
            RatingError::EmptyField { field: Field::Item }
        );
        assert_eq!(
            b.rate("i", "a", "high").unwrap_err(),
            RatingError::NotNumeric
        );
        assert_eq!(
            b.rate("i", "a", "NaN").unwrap_err(),
            RatingError::NotNumeric
        );
        assert_eq!(
            b.rate("i", "a", "inf").unwrap_err(),
            RatingError::NotNumeric
        );
        assert!(b.is_empty(), "refused ratings must not be stored");
    }

    #[test]
    fn gold_labels_are_per_item_and_unique() {
        let mut b = RatingsTable::builder(Level::Nominal);
        b.rate("i1", "a", "x").unwrap();
        b.gold("i1", "y").unwrap();
        b.gold("i2", "x").unwrap();
        assert_eq!(
            b.gold("i1", "x").unwrap_err(),
            RatingError::DuplicateGold { first: 1 }
        );
        let t = b.build();
        assert_eq!(t.n_gold(), 2);
        assert_eq!(
            t.n_rated_items(),
            1,
            "gold alone does not make an item rated"
        );
        assert_eq!(t.gold_label(0), Some(1));
    }

    #[test]
    fn level_parses_case_insensitively() {
        assert_eq!("Ordinal".parse::<Level>(), Ok(Level::Ordinal));
        assert_eq!("ratio".parse::<Level>(), Err(ParseLevelError));
    }
}
