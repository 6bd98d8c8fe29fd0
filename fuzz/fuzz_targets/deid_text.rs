//! Fuzz the text detector and the whole de-identification of one document: arbitrary
//! bytes must never panic, and every finding and log entry must be a valid,
//! character-aligned span of its text.
#![no_main]

use airlock_deid::key::ProjectKey;
use airlock_deid::text::{check_input, Deidentifier, Detector, DocumentContext, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = check_input(data) else { return };
    let mut last = 0;
    for f in Detector::new().detect(text) {
        assert!(f.start >= last && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        last = f.end;
    }
    let deid = Deidentifier::new(Policy::pseudonymize(), ProjectKey::from_bytes([5; 32]));
    let out = deid.deidentify(text, &DocumentContext::default());
    let o = out.text.expose();
    for e in &out.log {
        assert!(o.is_char_boundary(e.out_start) && o.is_char_boundary(e.out_end));
    }
});
