//! Bags: written by the crate, opened with stock tools.

use crate::support::{files_under, loc_bagit_validate, run, run_ok};
use airlock_deliver::bag::{
    BagInfo, BagRecipients, BagSigner, BagWriteError, EncryptedBagWriter, PlaintextBagWriter,
};
use airlock_deliver::signature::{verify_bag_signature, BagSignatureError, SIGNATURE_FILE};
use airlock_ingest::bagit::{validate_bag, BagProblemKind};
use ed25519_dalek::SigningKey;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const AGE_HINT: &str = "apt install age";
const TAR_HINT: &str = "apt install tar";

/// A deterministic byte stream of `left` bytes (xorshift), to stream a large payload
/// without holding it in memory.
struct Noise {
    state: u64,
    left: u64,
}

impl Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = self.state as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

const NOISE_LEN: u64 = 3 * 1024 * 1024 + 17;
const LONG_DIR: &str =
    "a-directory-name-that-is-long-enough-to-push-the-whole-path-past-the-ustar-limit";

fn info() -> BagInfo {
    BagInfo {
        source_organization: "Synthetic Annotation Team".into(),
        external_identifier: "export-0001".into(),
        software_agent: "Airlock 0.1.0".into(),
        created_at: time::macros::datetime!(2026-11-20 10:00 UTC),
        fields: vec![
            ("Contact-Name".into(), "Dana Lead".into()),
            (
                "External-Description".into(),
                "Synthetic labelled notes and images; test fixture, no real patient data".into(),
            ),
        ],
    }
}

fn lead_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

fn signer(key: &SigningKey) -> BagSigner<'_> {
    BagSigner {
        key,
        name: "Dana Lead".into(),
        user_id: "6f1e2d3c-0000-4000-8000-000000000001".into(),
        signed_at: time::macros::datetime!(2026-11-20 10:05 UTC),
    }
}

/// The payload and tag files every bag in these tests holds.
macro_rules! fill {
    ($bag:expr) => {{
        $bag.add_payload_bytes(
            "labels/items.jsonl",
            b"{\"item_id\":\"i1\",\"labels\":[]}\n",
        )
        .unwrap();
        $bag.add_payload_bytes("labels/spans.conll", b"-DOCSTART- i1\n\nSynthetic\tO\n")
            .unwrap();
        $bag.add_payload_bytes(
            "items/donn\u{e9}es/n\u{e9}e note.txt",
            b"de-identified text\n",
        )
        .unwrap();
        $bag.add_payload_bytes(&format!("items/{LONG_DIR}/{LONG_DIR}/deep.txt"), b"deep\n")
            .unwrap();
        $bag.add_payload_bytes("items/with space & (parens).txt", b"percent\n")
            .unwrap();
        $bag.add_payload(
            "items/large.bin",
            NOISE_LEN,
            Noise {
                state: 0x9e37_79b9_7f4a_7c15,
                left: NOISE_LEN,
            },
        )
        .unwrap();
        $bag.add_payload_bytes("items/empty.txt", b"").unwrap();
        $bag.add_tag_file(
            "compliance/audit-log.jsonl",
            b"{\"type\":\"header\",\"format\":\"airlock-audit-log\"}\n",
        )
        .unwrap();
        $bag.add_tag_file("compliance/method-statement.md", b"# Method\nSafe Harbor\n")
            .unwrap();
        $bag.add_tag_file_reader("compliance/metrics.json", 2, &b"{}"[..])
            .unwrap();
    }};
}

fn write_encrypted(
    dir: &Path,
    recipients: &BagRecipients,
) -> (PathBuf, airlock_deliver::bag::EncryptedBagSummary) {
    let out = dir.join("export-0001.tar.age");
    let mut bag = EncryptedBagWriter::create(&out, "export-0001", recipients, info()).unwrap();
    fill!(bag);
    let key = lead_key();
    let summary = bag.finish(&signer(&key)).unwrap();
    (out, summary)
}

fn write_identity(dir: &Path, name: &str, id: &age::x25519::Identity) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{}\n", id.to_string().expose_secret())).unwrap();
    p
}

fn age_decrypt_with_key(key: &Path, file: &Path, out: &Path) -> std::process::Output {
    run(
        Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(key)
            .arg("-o")
            .arg(out)
            .arg(file),
        AGE_HINT,
    )
}

fn untar(tar_file: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xf")
            .arg(tar_file)
            .arg("-C")
            .arg(into),
        TAR_HINT,
    );
}

/// Every check a client can make on an extracted bag, all of which must pass.
fn check_valid_bag(bag: &Path) {
    let loc = loc_bagit_validate(bag).expect("the Library of Congress bagit validates the bag");
    assert_eq!(loc["version"], "1.0");
    assert_eq!(loc["algorithms"], serde_json::json!(["sha256", "sha512"]));
    assert_eq!(loc["info"]["Payload-Oxum"], format!("{}.7", 88 + NOISE_LEN));
    assert_eq!(loc["info"]["Bagging-Date"], "2026-11-20");
    assert_eq!(
        loc["info"]["Source-Organization"],
        "Synthetic Annotation Team"
    );
    assert_eq!(loc["info"]["External-Identifier"], "export-0001");
    assert_eq!(loc["info"]["Bag-Size"], "3.1 MB");
    assert_eq!(loc["info"]["Bag-Software-Agent"], "Airlock 0.1.0");
    assert_eq!(loc["payload"].as_array().unwrap().len(), 7);
    let tagfiles = loc["tagfiles"].as_array().unwrap();
    assert!(
        !tagfiles.iter().any(|t| t == SIGNATURE_FILE),
        "the signature file is not in the tag manifests it signs"
    );
    assert!(tagfiles.iter().any(|t| t == "compliance/audit-log.jsonl"));
    let ours = validate_bag(bag).unwrap();
    assert!(ours.valid, "{:?}", ours.problems);
    assert_eq!(
        (ours.payload_files, ours.payload_bytes),
        (7, 88 + NOISE_LEN)
    );
    assert!(ours.tag_manifests_checked);
    let sig = verify_bag_signature(bag).unwrap();
    assert_eq!(
        sig.signer_public_key,
        hex::encode(lead_key().verifying_key().as_bytes())
    );
    assert_eq!(sig.signer_name, "Dana Lead");
    assert_eq!(sig.signed_at, "2026-11-20T10:05:00Z");
    assert_eq!(
        sig.tag_files_checked, 7,
        "3 compliance files, bagit, bag-info, 2 manifests"
    );
    assert!(bag
        .join("data/items/donn\u{e9}es/n\u{e9}e note.txt")
        .is_file());
    assert!(bag
        .join(format!("data/items/{LONG_DIR}/{LONG_DIR}/deep.txt"))
        .is_file());
}

/// The documented OpenSSL recipe verifies the signature file (without xxd: the hex is
/// decoded here, the message is cut by `head -n 8` as documented).
fn openssl_verifies(bag: &Path, work: &Path) -> bool {
    let text = std::fs::read_to_string(bag.join(SIGNATURE_FILE)).unwrap();
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap()
            .to_string()
    };
    let mut der = hex::decode("302a300506032b6570032100").unwrap();
    der.extend(hex::decode(field("Signer-Public-Key: ")).unwrap());
    std::fs::write(work.join("pub.der"), der).unwrap();
    std::fs::write(work.join("sig"), hex::decode(field("Signature: ")).unwrap()).unwrap();
    let msg = run_ok(
        Command::new("head")
            .arg("-n")
            .arg("8")
            .arg(bag.join(SIGNATURE_FILE)),
        "coreutils",
    );
    std::fs::write(work.join("msg"), msg.stdout).unwrap();
    run_ok(
        Command::new("openssl")
            .args(["pkey", "-pubin", "-inform", "DER", "-in"])
            .arg(work.join("pub.der"))
            .arg("-out")
            .arg(work.join("pub.pem")),
        "apt install openssl",
    );
    run(
        Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
            .arg(work.join("pub.pem"))
            .arg("-in")
            .arg(work.join("msg"))
            .arg("-sigfile")
            .arg(work.join("sig")),
        "apt install openssl",
    )
    .status
    .success()
}

#[test]
fn encrypted_bag_opens_with_stock_age_and_tar_and_validates_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let client = age::x25519::Identity::generate();
    let auditor = age::x25519::Identity::generate();
    let recipients = BagRecipients::Keys(vec![
        client.to_public().to_string(),
        auditor.to_public().to_string(),
    ]);
    let (out, summary) = write_encrypted(dir.path(), &recipients);
    assert_eq!(
        files_under(dir.path()),
        ["export-0001.tar.age"],
        "only the ciphertext was written: no temp file, no plaintext"
    );
    let cipher = std::fs::read(&out).unwrap();
    assert!(cipher.starts_with(b"age-encryption.org/v1\n"));
    assert!(
        !cipher.windows(18).any(|w| w == b"de-identified text"),
        "payload bytes do not appear in the file"
    );
    assert_eq!(summary.file_bytes, cipher.len() as u64);
    assert_eq!(summary.file_sha256, hex::encode(Sha256::digest(&cipher)));
    assert_eq!(summary.bag.payload_files, 7);
    assert_eq!(summary.bag.payload_oxum, format!("{}.7", 88 + NOISE_LEN));
    assert_eq!(summary.bag.tag_files, 10);

    for (i, id) in [&client, &auditor].into_iter().enumerate() {
        let key = write_identity(dir.path(), &format!("key{i}.txt"), id);
        let tar_file = dir.path().join(format!("bag{i}.tar"));
        let o = age_decrypt_with_key(&key, &out, &tar_file);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let x = dir.path().join(format!("x{i}"));
        untar(&tar_file, &x);
        let top: Vec<_> = std::fs::read_dir(&x)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            top,
            ["export-0001"],
            "one top-level directory, the bag's name"
        );
        check_valid_bag(&x.join("export-0001"));
    }
    let bag = dir.path().join("x0/export-0001");
    let mut h = Sha256::new();
    std::io::copy(
        &mut Noise {
            state: 0x9e37_79b9_7f4a_7c15,
            left: NOISE_LEN,
        },
        &mut h,
    )
    .unwrap();
    assert_eq!(
        Sha256::digest(std::fs::read(bag.join("data/items/large.bin")).unwrap()),
        h.finalize(),
        "the streamed payload arrives byte for byte"
    );
    assert_eq!(
        summary.bag.tagmanifest_sha256,
        hex::encode(Sha256::digest(
            std::fs::read(bag.join("tagmanifest-sha256.txt")).unwrap()
        ))
    );
    assert!(
        openssl_verifies(&bag, dir.path()),
        "OpenSSL verifies the documented message"
    );
    let names = crate::support::python(
        "import sys, tarfile, json\nt = tarfile.open(sys.argv[1])\nprint(json.dumps([m.name for m in t.getmembers()]))",
        &[&dir.path().join("bag0.tar")],
    )
    .expect("Python's tarfile reads the archive");
    let names: Vec<String> = serde_json::from_str(&names).unwrap();
    assert!(names.contains(&format!(
        "export-0001/data/items/{LONG_DIR}/{LONG_DIR}/deep.txt"
    )));
    assert!(names.contains(&"export-0001/data/items/donn\u{e9}es/n\u{e9}e note.txt".to_string()));
    assert_eq!(names[0], "export-0001", "the bag directory comes first");
    assert_eq!(
        names.last().unwrap(),
        &format!("export-0001/{SIGNATURE_FILE}")
    );
    let listing = run_ok(
        Command::new("tar")
            .arg("-tvf")
            .arg(dir.path().join("bag0.tar")),
        TAR_HINT,
    );
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(
        listing.lines().all(|l| l.contains("0/0")),
        "owned by uid/gid 0: {listing}"
    );
    assert!(
        listing.contains("2026-11-20 10:00"),
        "mtime is the bagging time: {listing}"
    );
}

#[test]
fn a_passphrase_bag_decrypts_with_the_age_cli() {
    let dir = tempfile::tempdir().unwrap();
    let pass = "correct horse battery staple 7";
    let recipients = BagRecipients::Passphrase(pass.to_string().into());
    let (out, _) = write_encrypted(dir.path(), &recipients);
    let tar_file = dir.path().join("bag.tar");
    // age reads passphrases only from a terminal: `script` provides one.
    let cmd = format!("age -d -o '{}' '{}'", tar_file.display(), out.display());
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) is installed");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{pass}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let x = dir.path().join("x");
    untar(&tar_file, &x);
    check_valid_bag(&x.join("export-0001"));
}

#[test]
fn a_flipped_byte_in_the_age_file_fails_decryption() {
    let dir = tempfile::tempdir().unwrap();
    let client = age::x25519::Identity::generate();
    let (out, _) = write_encrypted(
        dir.path(),
        &BagRecipients::Keys(vec![client.to_public().to_string()]),
    );
    let key = write_identity(dir.path(), "key.txt", &client);
    let good = std::fs::read(&out).unwrap();
    let header_end = good.windows(4).position(|w| w == b"\n---").unwrap();
    // One byte in the recipient stanza, one in the header MAC, one in the first payload
    // chunk, one in the last chunk (which also carries the end-of-stream flag).
    for at in [30, header_end + 10, header_end + 120, good.len() - 5] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        let bad_path = dir.path().join("bad.tar.age");
        std::fs::write(&bad_path, &bad).unwrap();
        let o = age_decrypt_with_key(&key, &bad_path, &dir.path().join(format!("bad{at}.tar")));
        assert!(
            !o.status.success(),
            "a flipped byte at {at} must not decrypt"
        );
        let mut plain = Vec::new();
        let crate_result = age::Decryptor::new(&bad[..])
            .and_then(|d| d.decrypt(std::iter::once(&client as &dyn age::Identity)))
            .map(|mut r| r.read_to_end(&mut plain));
        assert!(
            !matches!(crate_result, Ok(Ok(_))),
            "the age crate refuses it too (byte {at})"
        );
    }
    let truncated = dir.path().join("truncated.tar.age");
    std::fs::write(&truncated, &good[..good.len() - 100]).unwrap();
    assert!(
        !age_decrypt_with_key(&key, &truncated, &dir.path().join("t.tar"))
            .status
            .success()
    );
}

fn extracted_plaintext_copy(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let bag_dir = dir.join("export-0001");
    let mut bag = PlaintextBagWriter::create(&bag_dir, info()).unwrap();
    fill!(bag);
    let key = lead_key();
    bag.finish(&signer(&key)).unwrap();
    bag_dir
}

#[test]
fn the_plaintext_directory_export_is_a_valid_signed_bag() {
    let dir = tempfile::tempdir().unwrap();
    let bag = extracted_plaintext_copy(dir.path());
    check_valid_bag(&bag);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp directory is left beside it"
    );
    let ours = extracted_plaintext_copy(&dir.path().join("again"));
    assert_eq!(
        std::fs::read(bag.join("manifest-sha512.txt")).unwrap(),
        std::fs::read(ours.join("manifest-sha512.txt")).unwrap(),
        "the same input gives the same manifests"
    );
}

#[test]
fn changes_after_extraction_are_detected_by_every_validator() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = extracted_plaintext_copy(&dir.path().join("p"));
    let fresh = |name: &str| {
        let d = dir.path().join(name);
        run_ok(
            Command::new("cp").arg("-r").arg(&pristine).arg(&d),
            "coreutils",
        );
        d
    };

    let b = fresh("payload");
    let f = b.join("data/labels/items.jsonl");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[3] ^= 0x20;
    std::fs::write(&f, bytes).unwrap();
    let loc = loc_bagit_validate(&b).expect_err("bagit-python rejects a changed payload file");
    assert!(loc.contains("BagValidationError"), "{loc}");
    let ours = validate_bag(&b).unwrap();
    assert!(!ours.valid);
    assert!(ours
        .problems
        .iter()
        .any(|p| p.kind == BagProblemKind::Mismatched
            && p.path.as_deref() == Some("data/labels/items.jsonl")));
    assert!(
        verify_bag_signature(&b).is_ok(),
        "the tag layer is intact: only payload validation sees this change"
    );

    let b = fresh("extra");
    std::fs::write(b.join("data/smuggled.txt"), b"x").unwrap();
    assert!(loc_bagit_validate(&b).is_err());
    assert!(!validate_bag(&b).unwrap().valid);

    let b = fresh("tag");
    std::fs::write(
        b.join("compliance/method-statement.md"),
        b"# Method\nnone\n",
    )
    .unwrap();
    assert!(loc_bagit_validate(&b).is_err());
    assert_eq!(
        verify_bag_signature(&b),
        Err(BagSignatureError::TagFileMismatch(
            "compliance/method-statement.md".into()
        ))
    );

    let b = fresh("forged-manifest");
    // Re-hash the changed payload into both manifests and tag manifests, as a forger
    // without the lead's key would: every digest agrees again, the signature does not.
    let f = b.join("data/labels/items.jsonl");
    std::fs::write(&f, b"{\"item_id\":\"i1\",\"labels\":[\"forged\"]}\n").unwrap();
    let code = r#"
import sys, bagit
b = bagit.Bag(sys.argv[1])
b.save(manifests=True)
"#;
    crate::support::python(code, &[&b]).unwrap();
    assert!(
        loc_bagit_validate(&b).is_ok(),
        "a re-hashed bag is valid BagIt"
    );
    assert_eq!(
        verify_bag_signature(&b).unwrap_err(),
        BagSignatureError::TagManifestChanged("tagmanifest-sha256.txt".into())
    );

    let b = fresh("unlisted");
    std::fs::write(b.join("compliance/added-later.txt"), b"x").unwrap();
    assert_eq!(
        verify_bag_signature(&b),
        Err(BagSignatureError::UnlistedTagFile(
            "compliance/added-later.txt".into()
        ))
    );

    let b = fresh("signature");
    let text = std::fs::read_to_string(b.join(SIGNATURE_FILE)).unwrap();
    std::fs::write(
        b.join(SIGNATURE_FILE),
        text.replace("Dana Lead", "Dana Leed"),
    )
    .unwrap();
    assert_eq!(
        verify_bag_signature(&b),
        Err(BagSignatureError::BadSignature)
    );
    assert!(!openssl_verifies(&b, dir.path()), "OpenSSL agrees");

    let b = fresh("unsigned");
    std::fs::remove_file(b.join(SIGNATURE_FILE)).unwrap();
    assert_eq!(verify_bag_signature(&b), Err(BagSignatureError::Unsigned));
}

#[test]
fn bad_entries_are_refused_and_a_failed_export_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let client = age::x25519::Identity::generate();
    let keys = BagRecipients::Keys(vec![client.to_public().to_string()]);
    let out = dir.path().join("e.tar.age");
    let mut bag = EncryptedBagWriter::create(&out, "e", &keys, info()).unwrap();
    bag.add_payload_bytes("a/Notes.txt", b"1").unwrap();
    let refused = [
        bag.add_payload_bytes("a/notes.TXT", b"2").unwrap_err(),
        bag.add_payload_bytes("A/other.txt", b"2").unwrap_err(),
        bag.add_payload_bytes("a/Notes.txt/x", b"2").unwrap_err(),
        bag.add_payload_bytes("../escape", b"2").unwrap_err(),
        bag.add_payload_bytes("a\\b", b"2").unwrap_err(),
        bag.add_payload_bytes("100%.txt", b"2").unwrap_err(),
        bag.add_payload_bytes(&format!("d/{}", "n".repeat(256)), b"2")
            .unwrap_err(),
        bag.add_tag_file("bag-info.txt", b"2").unwrap_err(),
        bag.add_tag_file("data/x", b"2").unwrap_err(),
        bag.add_tag_file("tagmanifest-md5.txt", b"2").unwrap_err(),
    ];
    assert!(matches!(
        refused[0],
        BagWriteError::DuplicatePath { entry: 2 }
    ));
    assert!(matches!(
        refused[1],
        BagWriteError::DuplicatePath { entry: 3 }
    ));
    assert!(matches!(
        refused[2],
        BagWriteError::DuplicatePath { entry: 4 }
    ));
    assert!(matches!(
        refused[3],
        BagWriteError::InvalidPath { entry: 5 }
    ));
    assert!(matches!(
        refused[4],
        BagWriteError::InvalidPath { entry: 6 }
    ));
    assert!(matches!(
        refused[5],
        BagWriteError::InvalidPath { entry: 7 }
    ));
    assert!(matches!(
        refused[6],
        BagWriteError::InvalidPath { entry: 8 }
    ));
    for r in &refused[7..] {
        assert!(matches!(r, BagWriteError::ReservedTagName { .. }), "{r}");
    }
    let short = bag.add_payload("b.bin", 10, &b"12345"[..]).unwrap_err();
    assert!(matches!(
        short,
        BagWriteError::LengthMismatch { declared: 10, .. }
    ));
    drop(bag);
    assert_eq!(
        files_under(dir.path()),
        Vec::<String>::new(),
        "a dropped writer leaves no file"
    );

    let mut bag = EncryptedBagWriter::create(&out, "e", &keys, info()).unwrap();
    let long = bag.add_payload("b.bin", 3, &b"12345"[..]).unwrap_err();
    assert!(matches!(
        long,
        BagWriteError::LengthMismatch { declared: 3, .. }
    ));
    drop(bag);

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("mac check failed"))
        }
    }
    let mut bag = PlaintextBagWriter::create(&dir.path().join("plain"), info()).unwrap();
    bag.add_payload_bytes("ok.txt", b"plaintext that must not linger")
        .unwrap();
    let e = bag.add_payload("blob.bin", 4, Failing).unwrap_err();
    assert!(matches!(
        e,
        BagWriteError::SourceUnreadable { entry: 2, .. }
    ));
    drop(bag);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a failed plaintext export removes its partial tree"
    );

    std::fs::write(&out, b"existing").unwrap();
    assert!(matches!(
        EncryptedBagWriter::create(&out, "e", &keys, info()).err(),
        Some(BagWriteError::OutputExists)
    ));
    let other = dir.path().join("o.tar.age");
    for (r, want) in [
        (BagRecipients::Keys(vec![]), "at least one recipient"),
        (
            BagRecipients::Keys(vec![client.to_public().to_string(), "age1nope".into()]),
            "recipient 2",
        ),
    ] {
        let e = EncryptedBagWriter::create(&other, "e", &r, info())
            .err()
            .unwrap();
        assert!(e.to_string().contains(want), "{e}");
    }
    for name in ["", ".hidden", "a/b", "sp ace"] {
        assert!(matches!(
            EncryptedBagWriter::create(&other, name, &keys, info()).err(),
            Some(BagWriteError::InvalidBagName)
        ));
    }
    let mut bag = EncryptedBagWriter::create(&other, "e", &keys, info()).unwrap();
    bag.add_payload_bytes("a.txt", b"a").unwrap();
    let key = lead_key();
    let mut bad_signer = signer(&key);
    bad_signer.name = "Dana\nLead".into();
    assert!(matches!(
        bag.finish(&bad_signer),
        Err(BagWriteError::InvalidSigner)
    ));
    assert!(!other.exists());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9 _().,é注-]{1,12}")
            .unwrap()
            .prop_filter("no . or .. or edge spaces", |s| {
                s != "." && s != ".." && s.trim() == s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Any set of clean payload paths and contents gives a bag that validates and
        /// whose signature holds, or a clear collision error.
        #[test]
        fn written_bags_always_validate(
            files in proptest::collection::vec(
                (proptest::collection::vec(segment(), 1..4), proptest::collection::vec(any::<u8>(), 0..300)),
                1..12,
            )
        ) {
            let dir = tempfile::tempdir().unwrap();
            let bag_dir = dir.path().join("bag");
            let mut bag = PlaintextBagWriter::create(&bag_dir, info()).unwrap();
            let mut kept = 0u64;
            let mut octets = 0u64;
            for (parts, bytes) in &files {
                match bag.add_payload_bytes(&parts.join("/"), bytes) {
                    Ok(()) => {
                        kept += 1;
                        octets += bytes.len() as u64;
                    }
                    Err(BagWriteError::DuplicatePath { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            let key = lead_key();
            let (summary, _) = bag.finish(&signer(&key)).unwrap();
            prop_assert_eq!(summary.payload_oxum, format!("{octets}.{kept}"));
            let report = validate_bag(&bag_dir).unwrap();
            prop_assert!(report.valid, "{:?}", report.problems);
            prop_assert_eq!(report.payload_files, kept);
            prop_assert!(verify_bag_signature(&bag_dir).is_ok());
        }
    }
}
