//! Fuzz the DICOM reader and de-identifier: any bytes give an error or an output that
//! re-parses, never a panic or an allocation beyond the input's size.
#![no_main]

use airlock_deid_dicom::{deidentify, inspect, Policy, ProjectKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ProjectKey::from_bytes([7; 32]);
    let policy = Policy::default();
    if let Ok(out) = deidentify(data, &policy, &key) {
        inspect(&out.bytes, &policy.limits).expect("an output always re-parses");
    }
});
