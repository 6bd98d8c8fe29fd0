//! Integration tests of the application layer over real vaults: real SQLCipher, real age
//! blobs, real argon2id (with cheap parameters where many slots are made).

mod access;
mod annotate;
mod audit_trail;
mod deid;
mod deliver;
mod images;
mod ingest;
mod overview;
mod packages;
mod support;
