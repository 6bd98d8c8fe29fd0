//! Integration tests of airlock-deid-dicom: synthetic files (always), real fixtures and
//! OCR (when `AIRLOCK_DICOM_FIXTURES` points at the output of
//! `tests/reference/dicom/fetch.py`), hostile input (property tests).

mod common;
mod fixtures;
mod hostile;
mod ocr;
mod synthetic;
