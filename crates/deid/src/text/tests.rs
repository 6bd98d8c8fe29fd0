//! Detection and transformation tests per category, with tricky cases.

use super::*;

fn key(b: u8) -> ProjectKey {
    ProjectKey::from_bytes([b; 32])
}

/// The matched substrings of one category.
fn found(text: &str, category: Category) -> Vec<&str> {
    Detector::new()
        .detect(text)
        .into_iter()
        .filter(|f| f.category == category)
        .map(|f| &text[f.start..f.end])
        .collect()
}

fn all(text: &str) -> Vec<(&str, Category)> {
    Detector::new().detect(text).into_iter().map(|f| (&text[f.start..f.end], f.category)).collect()
}

#[test]
fn smoke() {
    let t = "Name: Yosef Villegas\nMR: 8249813\nDOA: 2/17/80\nPCP: Gilbert Perez";
    println!("{:?}", all(t));
}
