//! Airlock's receiving side, before anything touches the vault: checksum manifests
//! (coreutils GNU and BSD-tag styles, BagIt), walking a source folder without following
//! links, the receive [`plan`](plan::plan) that decides what to read and what is already
//! missing or refused, digests computed in one pass, content detection, and splitting
//! CSV/JSONL files into items.
//!
//! Nothing here knows about the vault, keys or SQL: `crates/app` streams each planned
//! file through [`digest::MultiHasher`] and [`detect::Sniffer`] while the vault encrypts
//! it, in a single read.
//!
//! ```
//! use airlock_ingest::manifest::parse_checksum_file;
//! let m = parse_checksum_file(
//!     b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  notes/a.txt\n",
//! ).unwrap();
//! assert_eq!(m.entries[0].path.as_str(), "notes/a.txt");
//! assert!(parse_checksum_file(b"0000  ../escape\n").is_err());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bagit;
pub mod detect;
pub mod digest;
pub mod manifest;
pub mod plan;
pub mod receipt;
pub mod relpath;
pub mod rows;
pub mod source;
