//! [`Detector`]: runs every rule and resolves overlapping findings.

use super::finding::Finding;
use super::{names, patterns};
use crate::category::Category;

/// The identifier detector. Its rules and dictionaries are compiled once per process on
/// first use and shared; constructing a `Detector` is free.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detector;

/// Precedence when two findings overlap: the merged span takes the category of the
/// higher-ranked one (labelled identifiers beat generic number runs, dates beat phone
/// shapes, and so on).
fn rank(f: &Finding) -> u8 {
    match f.category {
        Category::Email => 100,
        Category::Url => 95,
        Category::Ssn => 92,
        Category::Mrn => 90,
        Category::HealthPlan | Category::Account | Category::License => 88,
        Category::Vehicle | Category::Device | Category::Biometric => 89,
        Category::Ip => 86,
        Category::Date => {
            if f.rule == "date.weekday" || f.rule == "date.month_day" {
                60
            } else {
                85
            }
        }
        Category::Age => 84,
        Category::Fax | Category::Phone => 80,
        // "ZIP code: 02139" is a ZIP code, not an identifier labelled "code".
        Category::Zip if f.rule == "zip.labelled" => 91,
        Category::Zip => 75,
        Category::Location => {
            if f.rule == "location.city_dictionary" {
                50
            } else {
                78
            }
        }
        Category::Name => {
            if f.rule == "name.dictionary" || f.rule == "name.repeat" {
                55
            } else {
                70
            }
        }
        Category::OtherId => {
            if f.rule == "other_id.labelled" || f.rule == "other_id.hash" {
                87
            } else {
                40
            }
        }
    }
}

impl Detector {
    /// A detector using the built-in rules and dictionaries.
    pub fn new() -> Self {
        Detector
    }

    /// Force compilation of every rule and dictionary now (otherwise the first call to
    /// [`Detector::detect`] pays for it, about a second in a debug build).
    pub fn warm_up(&self) {
        super::shape::warm_up();
        let _ = self.detect("warm up");
    }

    /// Every identifier in `text`, sorted by offset and non-overlapping. Overlapping
    /// raw matches are merged into their union so that no identifier byte is left
    /// uncovered; the merged span keeps the category and rule of the higher-precedence
    /// match.
    pub fn detect(&self, text: &str) -> Vec<Finding> {
        let mut raw = Vec::with_capacity(64);
        patterns::scan(text, &mut raw);
        names::detect_names(text, &mut raw);
        names::detect_places(text, &mut raw);
        resolve(raw)
    }
}

fn resolve(mut raw: Vec<Finding>) -> Vec<Finding> {
    raw.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(raw.len());
    for f in raw {
        match out.last_mut() {
            Some(cur) if f.start < cur.end => {
                let union_end = cur.end.max(f.end);
                if rank(&f) > rank(cur) {
                    let mut merged = f;
                    merged.start = cur.start;
                    merged.end = union_end;
                    *cur = merged;
                } else {
                    cur.end = union_end;
                }
            }
            _ => out.push(f),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(start: usize, end: usize, category: Category, rule: &'static str) -> Finding {
        Finding {
            start,
            end,
            category,
            rule,
            confidence: 0.5,
        }
    }

    #[test]
    fn overlaps_merge_to_the_union_with_the_stronger_category() {
        let out = resolve(vec![
            f(0, 10, Category::OtherId, "other_id.digits"),
            f(4, 14, Category::Mrn, "mrn.labelled"),
            f(20, 25, Category::Name, "name.title"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].start, out[0].end, out[0].category),
            (0, 14, Category::Mrn)
        );
        assert_eq!(out[1].category, Category::Name);
    }
}
