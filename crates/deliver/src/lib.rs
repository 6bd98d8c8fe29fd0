//! Airlock's delivery and destruction building blocks, free of the vault, SQL and the UI.
//!
//! - [`bag`]: BagIt bags (RFC 8493) written in one streaming pass, either straight into
//!   an age-encrypted tar ([`bag::EncryptedBagWriter`]) or, only when a plaintext export is
//!   explicitly requested, as a directory ([`bag::PlaintextBagWriter`]); SHA-256 and
//!   SHA-512 manifests and tag manifests; the tag manifests signed with Ed25519.
//! - [`signature`]: the signature file and [`signature::verify_bag_signature`].
//! - [`formats`]: label exports — JSONL, CoNLL BIO, COCO JSON, CSV.
//! - [`certificate`]: signed certificates of destruction (NIST SP 800-88 Rev. 1 Appendix G
//!   fields) and [`certificate::verify_certificate`]; [`pdf`] prints them.
//! - [`destroy`]: removing a vault's files after crypto-erase, resumable, and verifying
//!   that nothing remains.
//!
//! `crates/app` decides who may export, what goes in, and audits it; this crate only
//! turns what it is handed into files. It knows nothing of the vault's keys, SQL or the
//! UI; it reads no clock and no randomness except age's own and temp-file names (times
//! are passed in). Format drafts for `docs/formats/` are in `crates/deliver/docs/`.
//!
//! ```
//! use airlock_deliver::formats::csv::{write_csv, ClassificationRow};
//! let mut out = Vec::new();
//! write_csv(&mut out, &[ClassificationRow {
//!     item_id: "i1".into(),
//!     file: None,
//!     annotator: Some("A1".into()),
//!     gold: true,
//!     label: "pneumonia, left".into(),
//! }]).unwrap();
//! assert_eq!(out, b"item_id,file,annotator,gold,label\r\ni1,,A1,true,\"pneumonia, left\"\r\n");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod atomic;
pub mod bag;
mod canonical;
pub mod certificate;
pub mod destroy;
pub mod formats;
pub mod pdf;
pub mod signature;
