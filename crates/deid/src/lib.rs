//! Pure de-identification for Airlock: clinical text to the HIPAA Safe Harbor standard
//! (module [`text`]); DICOM (PS3.15 Annex E) will live beside it as a sibling module.
//!
//! The crate does no I/O: callers hand it bytes or strings and get back de-identified
//! output plus a redaction log that records offsets, categories, actions and rule ids,
//! never the original values. Shared building blocks sit in their own modules:
//! [`key::ProjectKey`] (the zeroizing project secret behind surrogates and date
//! shifts), [`phi::Phi`] (a wrapper that keeps clinical text out of `Debug` output and
//! serialisation) and [`category::Category`] (the Safe Harbor identifier categories).
//!
//! ```
//! use airlock_deid::key::ProjectKey;
//! use airlock_deid::text::{Deidentifier, DocumentContext, Policy};
//!
//! let deid = Deidentifier::new(Policy::safe_harbor(), ProjectKey::from_bytes([7; 32]));
//! let out = deid.deidentify("Seen by Dr. Gilbert Perez on 03/14/2021, MRN 8249813.",
//!     &DocumentContext::default());
//! assert_eq!(out.text.expose(), "Seen by Dr. [NAME] [NAME] on [DATE 2021], MRN [MRN].");
//! assert_eq!(out.log.len(), 4);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod category;
pub mod key;
pub mod phi;
pub mod text;
