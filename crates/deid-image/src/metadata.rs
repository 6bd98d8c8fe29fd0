//! What metadata a PNG or JPEG file carries, found by walking its chunks (PNG) or marker
//! segments (JPEG) up to the image data. Written by hand because the `image` crate reads
//! EXIF, XMP and ICC for its own use but does not list a file's text chunks, comments or
//! private segments, and those are where scanners and phones put names. The walk only
//! reads declared lengths against the bytes there and stops at the first inconsistency:
//! it never fails, it lists what it could read.

use std::fmt;

use serde::Serialize;

/// The kind of a metadata segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataKind {
    /// EXIF (camera, dates, GPS, owner, description).
    Exif,
    /// XMP (Adobe's XML metadata).
    Xmp,
    /// IPTC (Photoshop's information resource block).
    Iptc,
    /// An embedded colour profile (its description is free text).
    IccProfile,
    /// PNG text chunks (`tEXt`, `zTXt`, `iTXt` other than XMP).
    Text,
    /// A JPEG comment (`COM`).
    Comment,
    /// The PNG last-modification time (`tIME`).
    Time,
    /// Any other application or private segment.
    Other,
}

impl MetadataKind {
    /// The snake-case name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataKind::Exif => "exif",
            MetadataKind::Xmp => "xmp",
            MetadataKind::Iptc => "iptc",
            MetadataKind::IccProfile => "icc_profile",
            MetadataKind::Text => "text",
            MetadataKind::Comment => "comment",
            MetadataKind::Time => "time",
            MetadataKind::Other => "other",
        }
    }
}

/// Readable text found inside a metadata segment: possibly PHI. `Debug` prints
/// `<redacted>` and there is no `Serialize`; use [`SegmentText::expose`] to show it to
/// someone allowed to see it.
#[derive(Clone, PartialEq, Eq)]
pub struct SegmentText(String);

impl SegmentText {
    /// The text itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SegmentText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One metadata segment of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSegment {
    /// What it is.
    pub kind: MetadataKind,
    /// Where it is, e.g. `PNG tEXt` or `JPEG APP1`.
    pub container: &'static str,
    /// Its size in bytes.
    pub size: usize,
    /// Printable text in it (runs of at least four printable ASCII characters, at most
    /// 240 characters in all), for the lead's review.
    pub text: SegmentText,
}

/// The longest text kept per segment.
const MAX_TEXT: usize = 240;

/// The metadata segments of a PNG or JPEG file, in file order (empty for anything else).
pub fn inventory(bytes: &[u8]) -> Vec<MetadataSegment> {
    if bytes.starts_with(PNG_SIGNATURE) {
        png_segments(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg_segments(bytes)
    } else {
        Vec::new()
    }
}

pub(crate) const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// PNG chunks that only describe how to display the pixels (they cannot hold free text).
const PNG_DISPLAY: [&[u8; 4]; 14] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"bKGD", b"pHYs",
    b"sBIT", b"hIST", b"cICP", b"mDCv",
];

fn png_segments(bytes: &[u8]) -> Vec<MetadataSegment> {
    let mut out = Vec::new();
    let mut at = PNG_SIGNATURE.len();
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        let Some(data) = bytes.get(at + 8..(at + 8).saturating_add(len)) else {
            break;
        };
        if &kind == b"IEND" {
            break;
        }
        if !PNG_DISPLAY.contains(&&kind) {
            let kind_of = match &kind {
                b"tEXt" | b"zTXt" => MetadataKind::Text,
                b"iTXt" if data.starts_with(b"XML:com.adobe.xmp\0") => MetadataKind::Xmp,
                b"iTXt" => MetadataKind::Text,
                b"eXIf" => MetadataKind::Exif,
                b"iCCP" => MetadataKind::IccProfile,
                b"tIME" => MetadataKind::Time,
                _ => MetadataKind::Other,
            };
            out.push(MetadataSegment {
                kind: kind_of,
                container: png_container(&kind),
                size: len,
                text: printable(data),
            });
        }
        at = at + 12 + len;
    }
    out
}

fn png_container(kind: &[u8; 4]) -> &'static str {
    match kind {
        b"tEXt" => "PNG tEXt",
        b"zTXt" => "PNG zTXt",
        b"iTXt" => "PNG iTXt",
        b"eXIf" => "PNG eXIf",
        b"iCCP" => "PNG iCCP",
        b"tIME" => "PNG tIME",
        _ => "PNG private chunk",
    }
}

fn jpeg_segments(bytes: &[u8]) -> Vec<MetadataSegment> {
    let mut out = Vec::new();
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            break;
        };
        // Start of scan, end of image, or a marker without a length: the metadata is over.
        if marker == 0xDA || marker == 0xD9 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            break;
        }
        let Some(len) = bytes
            .get(at + 2..at + 4)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        else {
            break;
        };
        let Some(data) = len
            .checked_sub(2)
            .and_then(|n| bytes.get(at + 4..at + 4 + n))
        else {
            break;
        };
        let kind = match marker {
            0xE1 if data.starts_with(b"Exif\0") => Some(MetadataKind::Exif),
            0xE1 if data.starts_with(b"http://ns.adobe.com/") => Some(MetadataKind::Xmp),
            0xE2 if data.starts_with(b"ICC_PROFILE\0") => Some(MetadataKind::IccProfile),
            0xED => Some(MetadataKind::Iptc),
            0xFE => Some(MetadataKind::Comment),
            // APP0 holds JFIF or JFXX (resolution, maybe a thumbnail): Other unless plain JFIF.
            0xE0 if data.starts_with(b"JFIF\0") && data.len() <= 14 => None,
            0xE0..=0xEF => Some(MetadataKind::Other),
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(MetadataSegment {
                kind,
                container: jpeg_container(marker),
                size: data.len(),
                text: printable(data),
            });
        }
        at += 2 + len;
    }
    out
}

fn jpeg_container(marker: u8) -> &'static str {
    const APP: [&str; 16] = [
        "JPEG APP0",
        "JPEG APP1",
        "JPEG APP2",
        "JPEG APP3",
        "JPEG APP4",
        "JPEG APP5",
        "JPEG APP6",
        "JPEG APP7",
        "JPEG APP8",
        "JPEG APP9",
        "JPEG APP10",
        "JPEG APP11",
        "JPEG APP12",
        "JPEG APP13",
        "JPEG APP14",
        "JPEG APP15",
    ];
    match marker {
        0xE0..=0xEF => APP[usize::from(marker - 0xE0)],
        _ => "JPEG COM",
    }
}

/// Runs of at least four printable ASCII characters, joined by " · ", at most
/// [`MAX_TEXT`] characters.
fn printable(data: &[u8]) -> SegmentText {
    let mut out = String::new();
    for run in data.split(|b| !(0x20..0x7F).contains(b)) {
        if run.len() < 4 {
            continue;
        }
        let run = String::from_utf8_lossy(run);
        let run = run.trim();
        if run.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" · ");
        }
        out.push_str(run);
        if out.len() >= MAX_TEXT {
            out.truncate(MAX_TEXT);
            out.push('…');
            break;
        }
    }
    SegmentText(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]);
        c
    }

    #[test]
    fn png_text_exif_and_private_chunks_are_listed_display_chunks_are_not() {
        let mut f = PNG_SIGNATURE.to_vec();
        f.extend(png_chunk(b"IHDR", &[0; 13]));
        f.extend(png_chunk(b"gAMA", &[0; 4]));
        f.extend(png_chunk(b"tEXt", b"Author\0Dr Quillon Brashworth"));
        f.extend(png_chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>",
        ));
        f.extend(png_chunk(b"eXIf", b"MM\0*\0\0\0\x08"));
        f.extend(png_chunk(b"prVt", b"scanner serial 99812"));
        f.extend(png_chunk(b"IDAT", &[0; 10]));
        f.extend(png_chunk(b"IEND", &[]));
        let segs = inventory(&f);
        let kinds: Vec<MetadataKind> = segs.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                MetadataKind::Text,
                MetadataKind::Xmp,
                MetadataKind::Exif,
                MetadataKind::Other
            ]
        );
        assert_eq!(segs[0].text.expose(), "Author · Dr Quillon Brashworth");
        assert_eq!(format!("{:?}", segs[0].text), "<redacted>");
        assert_eq!(segs[3].container, "PNG private chunk");
    }

    #[test]
    fn jpeg_segments_up_to_the_scan_are_listed() {
        let seg = |marker: u8, data: &[u8]| {
            let mut s = vec![0xFF, marker];
            s.extend(((data.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(data);
            s
        };
        let mut f = vec![0xFF, 0xD8];
        f.extend(seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        f.extend(seg(0xE1, b"Exif\0\0MM\0*Zephyrine Oakhurst"));
        f.extend([0xFF, 0xFF]);
        f.extend(seg(0xFE, b"patient Orrin Valecourt"));
        f.extend(seg(0xDB, &[0; 65]));
        f.extend(seg(0xDA, &[0; 8]));
        f.extend(seg(0xFE, b"after the scan: not metadata"));
        let segs = inventory(&f);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].kind, MetadataKind::Exif);
        assert_eq!(segs[0].container, "JPEG APP1");
        assert!(segs[0].text.expose().contains("Zephyrine Oakhurst"));
        assert_eq!(segs[1].kind, MetadataKind::Comment);
    }

    #[test]
    fn truncated_or_foreign_input_lists_what_it_can_and_never_panics() {
        let mut f = PNG_SIGNATURE.to_vec();
        f.extend(png_chunk(b"tEXt", b"Title\0x"));
        f.extend([0, 0, 0x10, 0, b't', b'E', b'X', b't', 1, 2]);
        assert_eq!(inventory(&f).len(), 1);
        assert!(inventory(b"not an image").is_empty());
        assert!(inventory(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00]).is_empty());
        assert!(inventory(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01]).is_empty());
        for n in 0..f.len() {
            inventory(&f[..n]);
        }
    }
}
