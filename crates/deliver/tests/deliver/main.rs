//! Integration tests of airlock-deliver against independent tools: Debian's `age`, GNU
//! `tar`, the Library of Congress `bagit` Python library, OpenSSL, poppler's `pdftoppm` and
//! `pdftotext`. A missing tool fails the test with the package to install.

mod bag;
mod certificate;
mod destroy;
mod support;
mod vectors;
