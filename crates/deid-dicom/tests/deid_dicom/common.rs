//! Building and reading DICOM files in tests.

use dicom_core::value::{PrimitiveValue, Value, C};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};

/// A text element.
pub fn text(group: u16, element: u16, vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(group, element), vr, PrimitiveValue::from(value))
}

/// A sequence element.
pub fn seq(
    group: u16,
    element: u16,
    items: Vec<InMemDicomObject>,
) -> DataElement<InMemDicomObject> {
    DataElement::new(
        Tag(group, element),
        VR::SQ,
        Value::new_sequence(C::from_vec(items), Length::UNDEFINED),
    )
}

/// A US element.
pub fn us(group: u16, element: u16, v: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(group, element), VR::US, PrimitiveValue::from(v))
}

/// A Part 10 file of `elements` in transfer syntax `ts`.
pub fn file(elements: Vec<DataElement<InMemDicomObject>>, ts: &str) -> Vec<u8> {
    let obj = InMemDicomObject::from_element_iter(elements);
    let f = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(ts)
                .implementation_class_uid("1.2.826.0.1.3680043.2.1125.99"),
        )
        .expect("complete meta");
    let mut out = Vec::new();
    f.write_all(&mut out).expect("in memory");
    out
}

/// Parse a Part 10 file (with preamble) written by Airlock.
pub fn read(bytes: &[u8]) -> DefaultDicomObject {
    OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(bytes)
        .expect("output parses with dicom-rs")
}

/// The value of `tag` as trimmed text, `None` when absent.
pub fn value(obj: &InMemDicomObject, group: u16, element: u16) -> Option<String> {
    obj.get(Tag(group, element))
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim_end_matches(['\0', ' ']).to_owned())
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A synthetic ultrasound secondary-capture-like image of `columns` × `rows` 8-bit grey
/// pixels with Burned In Annotation YES.
pub fn us_image(
    pixels: Vec<u8>,
    columns: u16,
    rows: u16,
    manufacturer: &str,
    model: &str,
) -> Vec<u8> {
    file(
        vec![
            text(0x0008, 0x0016, VR::UI, "1.2.840.10008.5.1.4.1.1.6.1"),
            text(0x0008, 0x0018, VR::UI, "1.2.826.0.1.3680043.2.1125.7.1"),
            text(0x0008, 0x0060, VR::CS, "US"),
            text(0x0008, 0x0070, VR::LO, manufacturer),
            text(0x0008, 0x1090, VR::LO, model),
            text(0x0010, 0x0010, VR::PN, "DOE^JOHN"),
            text(0x0010, 0x0020, VR::LO, "4455667"),
            us(0x0028, 0x0002, 1),
            text(0x0028, 0x0004, VR::CS, "MONOCHROME2"),
            us(0x0028, 0x0010, rows),
            us(0x0028, 0x0011, columns),
            us(0x0028, 0x0100, 8),
            us(0x0028, 0x0101, 8),
            us(0x0028, 0x0102, 7),
            us(0x0028, 0x0103, 0),
            text(0x0028, 0x0301, VR::CS, "YES"),
            DataElement::new(Tag(0x7FE0, 0x0010), VR::OB, PrimitiveValue::from(pixels)),
        ],
        "1.2.840.10008.1.2.1",
    )
}
