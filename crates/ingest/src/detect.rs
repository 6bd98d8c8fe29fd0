//! Content detection while a file streams past: DICOM (with the 128-byte preamble and
//! `DICM`, or a bare dataset), PNG, JPEG, and UTF-8 text — plain, CSV or JSONL, told
//! apart by extension once the bytes proved to be text.

use serde::{Deserialize, Serialize};

/// What a received file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ContentKind {
    /// A DICOM file (Part 10, or a dataset without preamble).
    Dicom,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// UTF-8 text: one item.
    Text,
    /// UTF-8 CSV: one item per data row.
    Csv,
    /// UTF-8 JSON Lines: one item per line.
    Jsonl,
    /// Anything else: received, but quarantined.
    Unsupported,
}

impl ContentKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Dicom => "dicom",
            ContentKind::Png => "png",
            ContentKind::Jpeg => "jpeg",
            ContentKind::Text => "text",
            ContentKind::Csv => "csv",
            ContentKind::Jsonl => "jsonl",
            ContentKind::Unsupported => "unsupported",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ContentKind> {
        [
            ContentKind::Dicom,
            ContentKind::Png,
            ContentKind::Jpeg,
            ContentKind::Text,
            ContentKind::Csv,
            ContentKind::Jsonl,
            ContentKind::Unsupported,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether each row or line becomes its own item.
    pub fn has_rows(self) -> bool {
        matches!(self, ContentKind::Csv | ContentKind::Jsonl)
    }
}

const HEAD: usize = 512;

/// Watches a stream's bytes and says what they are at the end.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// Bytes of an incomplete UTF-8 sequence carried to the next chunk.
    carry: Vec<u8>,
    utf8: bool,
    nul: bool,
    started: bool,
}

impl Sniffer {
    /// A fresh sniffer.
    pub fn new() -> Sniffer {
        Sniffer {
            utf8: true,
            ..Sniffer::default()
        }
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, bytes: &[u8]) {
        self.started |= !bytes.is_empty();
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        if !self.utf8 {
            return;
        }
        if bytes.contains(&0) {
            self.nul = true;
            self.utf8 = false;
            return;
        }
        let mut joined;
        let chunk: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(bytes);
            &joined
        };
        match std::str::from_utf8(chunk) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() && chunk.len() - e.valid_up_to() < 4 => {
                self.carry = chunk[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.utf8 = false,
        }
    }

    /// The verdict, given the file's lower-case extension.
    pub fn finish(self, extension: Option<&str>) -> ContentKind {
        let h = &self.head;
        if h.len() >= 132 && &h[128..132] == b"DICM" {
            return ContentKind::Dicom;
        }
        if h.starts_with(b"\x89PNG\r\n\x1a\n") {
            return ContentKind::Png;
        }
        if h.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return ContentKind::Jpeg;
        }
        if looks_like_bare_dataset(h) {
            return ContentKind::Dicom;
        }
        let text = self.started && self.utf8 && !self.nul && self.carry.is_empty();
        if !text {
            return ContentKind::Unsupported;
        }
        match extension {
            Some("csv") => ContentKind::Csv,
            Some("jsonl") | Some("ndjson") => ContentKind::Jsonl,
            _ => ContentKind::Text,
        }
    }
}

/// A DICOM dataset without preamble starts with a group 0002 or 0008 element: explicit
/// VR (two upper-case letters after the tag) or implicit VR (a plausible 4-byte length).
fn looks_like_bare_dataset(h: &[u8]) -> bool {
    if h.len() < 8 {
        return false;
    }
    let group = u16::from_le_bytes([h[0], h[1]]);
    let element = u16::from_le_bytes([h[2], h[3]]);
    if !matches!(group, 0x0002 | 0x0008) || element > 0x00FF {
        return false;
    }
    let explicit = h[4].is_ascii_uppercase() && h[5].is_ascii_uppercase();
    let implicit_len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    explicit || (implicit_len > 0 && implicit_len < 1024 && implicit_len.is_multiple_of(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(chunks: &[&[u8]], ext: Option<&str>) -> ContentKind {
        let mut s = Sniffer::new();
        for c in chunks {
            s.update(c);
        }
        s.finish(ext)
    }

    #[test]
    fn magic_numbers() {
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM\x02\x00\x00\x00UL");
        assert_eq!(sniff(&[&dicom], Some("txt")), ContentKind::Dicom);
        assert_eq!(
            sniff(&[b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100"], None),
            ContentKind::Dicom
        );
        assert_eq!(
            sniff(
                &[b"\x08\x00\x16\x00\x1a\x00\x00\x001.2.840.10008.5.1.4.1.1.2"],
                None
            ),
            ContentKind::Dicom,
            "implicit VR little endian"
        );
        assert_eq!(sniff(&[b"\x89PNG\r\n\x1a\n...."], None), ContentKind::Png);
        assert_eq!(sniff(&[&[0xFF, 0xD8, 0xFF, 0xE0]], None), ContentKind::Jpeg);
    }

    #[test]
    fn text_kinds_and_utf8_split_across_chunks() {
        let text = "Synthetic note — café".as_bytes();
        let cut = text.len() - 1; // inside the two-byte é
        assert_eq!(
            sniff(&[&text[..cut], &text[cut..]], None),
            ContentKind::Text
        );
        assert_eq!(sniff(&[b"id,text\n1,x\n"], Some("csv")), ContentKind::Csv);
        assert_eq!(
            sniff(&[b"{\"text\":\"x\"}\n"], Some("jsonl")),
            ContentKind::Jsonl
        );
        assert_eq!(
            sniff(&[&text[..cut]], None),
            ContentKind::Unsupported,
            "truncated UTF-8"
        );
        assert_eq!(sniff(&[b"ab\xffcd"], None), ContentKind::Unsupported);
        assert_eq!(sniff(&[b"ab\0cd"], Some("txt")), ContentKind::Unsupported);
        assert_eq!(sniff(&[], Some("txt")), ContentKind::Unsupported, "empty");
    }

    proptest::proptest! {
        #[test]
        fn chunking_never_changes_the_verdict(s in "\\PC{0,80}", cut in 0usize..400) {
            let b = s.as_bytes();
            let cut = cut.min(b.len());
            let whole = sniff(&[b], Some("txt"));
            let split = sniff(&[&b[..cut], &b[cut..]], Some("txt"));
            proptest::prop_assert_eq!(whole, split);
        }
    }
}
