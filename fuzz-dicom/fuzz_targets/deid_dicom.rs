//! Fuzz the DICOM reader and de-identifier: any bytes give an error or an output that
//! re-parses, never a panic or an allocation beyond the input's size. The header-only size
//! reader (what deliveries use) meets the same bytes.
#![no_main]

use airlock_deid_dicom::{deidentify, image_size, inspect, Policy, ProjectKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ProjectKey::from_bytes([7; 32]);
    let policy = Policy::default();
    let _ = image_size(data, &policy.limits);
    if let Ok(out) = deidentify(data, &policy, &key) {
        inspect(&out.bytes, &policy.limits).expect("an output always re-parses");
    }
});
