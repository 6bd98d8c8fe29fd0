//! Golden files in `tests/data/`: a signed certificate and a signed bag, written by this
//! crate from fixed keys and times, for the format documentation and for CLI tests of
//! `airlock certificate verify` and `airlock bag validate`. A change to either format
//! fails here; rewrite them deliberately with `AIRLOCK_DELIVER_BLESS=1 cargo test`.

use crate::certificate::{sample, signed_json};
use crate::support::files_under;
use airlock_deliver::bag::{BagInfo, BagSigner, PlaintextBagWriter};
use airlock_deliver::certificate::verify_certificate;
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn bless() -> bool {
    std::env::var_os("AIRLOCK_DELIVER_BLESS").is_some()
}

#[test]
fn the_certificate_vector_is_stable_and_verifies() {
    let path = data_dir().join("certificate-v1.json");
    let fresh = signed_json(sample(true, 1));
    if bless() {
        std::fs::create_dir_all(data_dir()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let golden = std::fs::read(&path).expect("tests/data/certificate-v1.json exists");
    assert!(
        golden == fresh,
        "the certificate format changed: review, then AIRLOCK_DELIVER_BLESS=1"
    );
    let check = verify_certificate(&golden).unwrap();
    assert!(check.verifier_signed);
}

fn vector_bag(dir: &Path) {
    let info = BagInfo {
        source_organization: "Synthetic Annotation Team".into(),
        external_identifier: "export-vector-1".into(),
        software_agent: "Airlock 0.1.0".into(),
        created_at: time::macros::datetime!(2026-11-20 10:00 UTC),
        fields: vec![("Contact-Name".into(), "Dana Lead".into())],
    };
    let mut bag = PlaintextBagWriter::create(dir, info).unwrap();
    bag.add_payload_bytes(
        "labels/items.jsonl",
        b"{\"item_id\":\"i1\",\"file\":null,\"labels\":[{\"type\":\"class\",\"label\":\"pos\",\"annotator\":null,\"gold\":true}]}\n",
    )
    .unwrap();
    bag.add_payload_bytes("items/i1.txt", b"Synthetic note, no patient data.\n")
        .unwrap();
    bag.add_tag_file(
        "compliance/method-statement.md",
        b"# Method\n\nSafe Harbor (synthetic).\n",
    )
    .unwrap();
    let key = SigningKey::from_bytes(&[42u8; 32]);
    bag.finish(&BagSigner {
        key: &key,
        name: "Dana Lead".into(),
        user_id: "6f1e2d3c-0000-4000-8000-000000000001".into(),
        signed_at: time::macros::datetime!(2026-11-20 10:05 UTC),
    })
    .unwrap();
}

#[test]
fn the_bag_vector_is_stable_and_valid() {
    let golden = data_dir().join("signed-bag");
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("signed-bag");
    vector_bag(&fresh);
    if bless() {
        let _ = std::fs::remove_dir_all(&golden);
        std::fs::create_dir_all(data_dir()).unwrap();
        vector_bag(&golden);
    }
    let names = files_under(&fresh);
    assert_eq!(names, files_under(&golden), "the same files");
    for n in &names {
        assert!(
            std::fs::read(fresh.join(n)).unwrap() == std::fs::read(golden.join(n)).unwrap(),
            "{n} changed: review, then AIRLOCK_DELIVER_BLESS=1"
        );
    }
    assert!(airlock_ingest::bagit::validate_bag(&golden).unwrap().valid);
    airlock_deliver::signature::verify_bag_signature(&golden).unwrap();
    crate::support::loc_bagit_validate(&golden).unwrap();
}
