//! Flagging images that may carry burned-in text.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;
use serde::Serialize;

/// Why an image may show identifying text or features in its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskReason {
    /// Burned In Annotation (0028,0301) is YES.
    BurnedInAnnotation,
    /// Recognizable Visual Features (0028,0302) is YES.
    RecognizableVisualFeatures,
    /// Ultrasound (modality US): patient banners are common.
    Ultrasound,
    /// A Secondary Capture SOP class (screens, scanned documents).
    SecondaryCapture,
    /// Conversion Type WSD (workstation): a screenshot.
    Screenshot,
    /// Image Type says SECONDARY or DERIVED and hints at a screen, report or annotation.
    DerivedWithAnnotationHint,
    /// A visible-light photograph (modality XC, ES, OP, GM, SM).
    VisibleLight,
}

fn text(obj: &InMemDicomObject, tag: Tag) -> String {
    crate::read::text_of(obj, tag)
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_default()
}

/// The risk reasons of an image (empty for objects without pixel data). `has_pixels`
/// says whether the object has Pixel Data (it may have been left out of `obj`).
pub(crate) fn assess(obj: &InMemDicomObject, has_pixels: bool) -> Vec<RiskReason> {
    let mut out = Vec::new();
    if !has_pixels {
        return out;
    }
    if text(obj, Tag(0x0028, 0x0301)) == "YES" {
        out.push(RiskReason::BurnedInAnnotation);
    }
    if text(obj, Tag(0x0028, 0x0302)) == "YES" {
        out.push(RiskReason::RecognizableVisualFeatures);
    }
    let modality = text(obj, Tag(0x0008, 0x0060));
    if modality == "US" {
        out.push(RiskReason::Ultrasound);
    }
    if ["XC", "ES", "OP", "GM", "SM"].contains(&modality.as_str()) {
        out.push(RiskReason::VisibleLight);
    }
    let sop_class = text(obj, Tag(0x0008, 0x0016));
    if sop_class.starts_with("1.2.840.10008.5.1.4.1.1.7") {
        out.push(RiskReason::SecondaryCapture);
    }
    if text(obj, Tag(0x0008, 0x0064)) == "WSD" {
        out.push(RiskReason::Screenshot);
    }
    let image_type = text(obj, Tag(0x0008, 0x0008));
    let values: Vec<&str> = image_type.split('\\').map(str::trim).collect();
    let derived = values.iter().any(|v| *v == "SECONDARY" || *v == "DERIVED");
    let hint = values.iter().any(|v| {
        [
            "SCREEN", "SAVE", "REPORT", "DOSE", "ANNOT", "CAPTURE", "TEXT", "SNAPSHOT",
        ]
        .iter()
        .any(|h| v.contains(h))
    });
    if derived && hint {
        out.push(RiskReason::DerivedWithAnnotationHint);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    fn image(extra: &[(Tag, VR, &str)]) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(
            Tag(0x7FE0, 0x0010),
            VR::OB,
            PrimitiveValue::from(vec![0u8; 4]),
        ));
        for (t, vr, v) in extra {
            obj.put(DataElement::new(*t, *vr, PrimitiveValue::from(*v)));
        }
        obj
    }

    fn assess_image(obj: &InMemDicomObject) -> Vec<RiskReason> {
        assess(obj, obj.get(Tag(0x7FE0, 0x0010)).is_some())
    }

    #[test]
    fn reasons_are_found() {
        assert!(assess_image(&image(&[(Tag(0x0008, 0x0060), VR::CS, "MR")])).is_empty());
        assert_eq!(
            assess_image(&image(&[(Tag(0x0008, 0x0060), VR::CS, "US")])),
            vec![RiskReason::Ultrasound]
        );
        let sc = image(&[
            (Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
            (Tag(0x0008, 0x0064), VR::CS, "WSD"),
            (
                Tag(0x0008, 0x0008),
                VR::CS,
                "DERIVED\\SECONDARY\\SCREEN SAVE",
            ),
            (Tag(0x0028, 0x0301), VR::CS, "YES"),
        ]);
        assert_eq!(assess_image(&sc).len(), 4);
        let mut no_pixels = InMemDicomObject::new_empty();
        no_pixels.put(DataElement::new(
            Tag(0x0008, 0x0060),
            VR::CS,
            PrimitiveValue::from("US"),
        ));
        assert!(
            assess(&no_pixels, false).is_empty(),
            "no pixels, nothing burned in"
        );
    }
}
