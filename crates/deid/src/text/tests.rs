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

#[test]
#[ignore]
fn profile_tmp() {
    let text = std::fs::read_to_string("/tmp/corpus.txt").unwrap();
    let text = text.repeat(5);
    Detector::new().warm_up();
    let mut v = Vec::new();
    let t = std::time::Instant::now();
    patterns::scan(&text, &mut v);
    println!("patterns {:?}", t.elapsed());
    let t = std::time::Instant::now();
    names::detect_names(&text, &mut v);
    println!("names {:?}", t.elapsed());
    let t = std::time::Instant::now();
    names::detect_places(&text, &mut v);
    println!("places {:?} for {} bytes", t.elapsed(), text.len());
    patterns::profile(&text);
}
