//! Synthetic DICOM files for examples and tests (no real patient data).

use dicom_core::value::{PrimitiveValue, Value, C};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;

fn text(tag: (u16, u16), vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), vr, PrimitiveValue::from(value))
}

/// An unsigned short attribute.
fn us(v: u16, tag: (u16, u16)) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), VR::US, PrimitiveValue::from(v))
}

/// A small synthetic CT image (Explicit VR Little Endian, 4×4 pixels, 16-bit) with the
/// fictitious patient `DOE^JANE`, a referenced-image sequence, a private block and an
/// overlay plane, for examples and tests.
pub fn synthetic_ct() -> Vec<u8> {
    let reference = InMemDicomObject::from_element_iter([
        text((0x0008, 0x1150), VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        text((0x0008, 0x1155), VR::UI, "1.2.826.0.1.3680043.2.1125.1.2"),
    ]);
    let obj = InMemDicomObject::from_element_iter([
        text((0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        text((0x0008, 0x0018), VR::UI, "1.2.826.0.1.3680043.2.1125.1.1"),
        text((0x0008, 0x0020), VR::DA, "20210517"),
        text((0x0008, 0x0060), VR::CS, "CT"),
        text((0x0008, 0x0080), VR::LO, "Springfield General Hospital"),
        DataElement::new(
            Tag(0x0008, 0x1140),
            VR::SQ,
            Value::new_sequence(C::from_vec(vec![reference]), Length::UNDEFINED),
        ),
        text((0x0010, 0x0010), VR::PN, "DOE^JANE"),
        text((0x0010, 0x0020), VR::LO, "MRN-4455667"),
        text((0x0010, 0x0030), VR::DA, "19700101"),
        text((0x0010, 0x1010), VR::AS, "051Y"),
        text((0x0020, 0x000D), VR::UI, "1.2.826.0.1.3680043.2.1125.1.3"),
        text((0x0020, 0x000E), VR::UI, "1.2.826.0.1.3680043.2.1125.1.4"),
        DataElement::new(Tag(0x0028, 0x0002), VR::US, PrimitiveValue::from(1u16)),
        text((0x0028, 0x0004), VR::CS, "MONOCHROME2"),
        DataElement::new(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(Tag(0x0028, 0x0100), VR::US, PrimitiveValue::from(16u16)),
        DataElement::new(Tag(0x0028, 0x0101), VR::US, PrimitiveValue::from(12u16)),
        DataElement::new(Tag(0x0028, 0x0102), VR::US, PrimitiveValue::from(11u16)),
        DataElement::new(Tag(0x0028, 0x0103), VR::US, PrimitiveValue::from(0u16)),
        text((0x0029, 0x0010), VR::LO, "ACME PRIVATE"),
        text((0x0029, 0x1001), VR::LO, "DOE^JANE private copy"),
        DataElement::new(Tag(0x6000, 0x0010), VR::US, PrimitiveValue::from(4u16)),
        DataElement::new(
            Tag(0x6000, 0x3000),
            VR::OW,
            PrimitiveValue::from(vec![0u8; 2]),
        ),
        DataElement::new(
            Tag(0x7FE0, 0x0010),
            VR::OW,
            PrimitiveValue::U16((0..16u16).map(|v| v * 100).collect()),
        ),
    ]);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .implementation_class_uid("1.2.826.0.1.3680043.2.1125.99"),
        )
        .expect("complete meta");
    let mut out = Vec::new();
    file.write_all(&mut out).expect("in memory");
    out
}

/// A synthetic ultrasound image (Explicit VR Little Endian, 8-bit MONOCHROME2,
/// `columns × rows`, `pixels` row-major) of a fictitious patient from a fictitious device
/// (`Synthetic Devices`, model `Sono Synth 5`), marked as carrying burned-in annotation — for demos and tests of pixel cleaning, where `pixels` holds a
/// drawn patient banner.
pub fn synthetic_ultrasound(
    patient_name: &str,
    patient_id: &str,
    columns: u16,
    rows: u16,
    pixels: Vec<u8>,
) -> Vec<u8> {
    assert_eq!(
        pixels.len(),
        usize::from(columns) * usize::from(rows),
        "one byte per pixel"
    );
    let obj = InMemDicomObject::from_element_iter([
        text((0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.6.1"),
        text((0x0008, 0x0018), VR::UI, "1.2.826.0.1.3680043.2.1125.7.1"),
        text((0x0008, 0x0020), VR::DA, "20250314"),
        text((0x0008, 0x0060), VR::CS, "US"),
        text((0x0008, 0x0070), VR::LO, "Synthetic Devices"),
        text((0x0008, 0x0080), VR::LO, "Brindlemoor Clinic"),
        text(
            (0x0008, 0x1030),
            VR::LO,
            "Abdominal ultrasound for Marguerite",
        ),
        text((0x0008, 0x1090), VR::LO, "Sono Synth 5"),
        text((0x0010, 0x0010), VR::PN, patient_name),
        text((0x0010, 0x0020), VR::LO, patient_id),
        text((0x0010, 0x0030), VR::DA, "19580221"),
        text((0x0020, 0x000D), VR::UI, "1.2.826.0.1.3680043.2.1125.7.2"),
        text((0x0020, 0x000E), VR::UI, "1.2.826.0.1.3680043.2.1125.7.3"),
        us(1, (0x0028, 0x0002)),
        text((0x0028, 0x0004), VR::CS, "MONOCHROME2"),
        us(rows, (0x0028, 0x0010)),
        us(columns, (0x0028, 0x0011)),
        us(8, (0x0028, 0x0100)),
        us(8, (0x0028, 0x0101)),
        us(7, (0x0028, 0x0102)),
        us(0, (0x0028, 0x0103)),
        text((0x0028, 0x0301), VR::CS, "YES"),
        DataElement::new(Tag(0x7FE0, 0x0010), VR::OB, PrimitiveValue::from(pixels)),
    ]);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .implementation_class_uid("1.2.826.0.1.3680043.2.1125.99"),
        )
        .expect("complete meta");
    let mut out = Vec::new();
    file.write_all(&mut out).expect("in memory");
    out
}

/// A synthetic multi-frame CT series (Explicit VR Little Endian, signed 16-bit, rescale
/// intercept −1024, window 40/400) of the fictitious patient `DOE^JANE`: an elliptical
/// body of soft tissue (40 HU) with a bone ring (700 HU) in air (−1000 HU), and a round
/// lesion (120 HU) that grows and shrinks through the slices, so each frame differs.
pub fn synthetic_ct_series(columns: u16, rows: u16, frames: u16) -> Vec<u8> {
    let (w, h, n) = (
        f64::from(columns),
        f64::from(rows),
        f64::from(frames.max(1)),
    );
    let mut samples: Vec<i16> =
        Vec::with_capacity(usize::from(columns) * usize::from(rows) * usize::from(frames));
    for f in 0..frames {
        let t = (f64::from(f) + 0.5) / n;
        let lesion = 0.12 * (std::f64::consts::PI * t).sin();
        for y in 0..rows {
            for x in 0..columns {
                let dx = (f64::from(x) + 0.5 - w / 2.0) / (w * 0.42);
                let dy = (f64::from(y) + 0.5 - h / 2.0) / (h * 0.34);
                let r = (dx * dx + dy * dy).sqrt();
                let lx = (f64::from(x) + 0.5 - w * 0.62) / w;
                let ly = (f64::from(y) + 0.5 - h * 0.45) / h;
                let hu: i16 = if r > 1.0 {
                    -1000
                } else if r > 0.9 {
                    700
                } else if (lx * lx + ly * ly).sqrt() < lesion {
                    120
                } else {
                    40 + ((x ^ y) % 7) as i16
                };
                samples.push(hu + 1024);
            }
        }
    }
    let obj = InMemDicomObject::from_element_iter([
        text((0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.2.1"),
        text((0x0008, 0x0018), VR::UI, "1.2.826.0.1.3680043.2.1125.9.1"),
        text((0x0008, 0x0020), VR::DA, "20240611"),
        text((0x0008, 0x0060), VR::CS, "CT"),
        text((0x0008, 0x0080), VR::LO, "Springfield General Hospital"),
        text((0x0010, 0x0010), VR::PN, "DOE^JANE"),
        text((0x0010, 0x0020), VR::LO, "MRN-4455667"),
        text((0x0010, 0x0030), VR::DA, "19700101"),
        text((0x0020, 0x000D), VR::UI, "1.2.826.0.1.3680043.2.1125.9.2"),
        text((0x0020, 0x000E), VR::UI, "1.2.826.0.1.3680043.2.1125.9.3"),
        us(1, (0x0028, 0x0002)),
        text((0x0028, 0x0004), VR::CS, "MONOCHROME2"),
        text((0x0028, 0x0008), VR::IS, &frames.to_string()),
        us(rows, (0x0028, 0x0010)),
        us(columns, (0x0028, 0x0011)),
        us(16, (0x0028, 0x0100)),
        us(16, (0x0028, 0x0101)),
        us(15, (0x0028, 0x0102)),
        us(1, (0x0028, 0x0103)),
        text((0x0028, 0x1050), VR::DS, "40"),
        text((0x0028, 0x1051), VR::DS, "400"),
        text((0x0028, 0x1052), VR::DS, "-1024"),
        text((0x0028, 0x1053), VR::DS, "1"),
        DataElement::new(
            Tag(0x7FE0, 0x0010),
            VR::OW,
            PrimitiveValue::U16(samples.into_iter().map(|s| s as u16).collect()),
        ),
    ]);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .implementation_class_uid("1.2.826.0.1.3680043.2.1125.99"),
        )
        .expect("complete meta");
    let mut out = Vec::new();
    file.write_all(&mut out).expect("in memory");
    out
}
