//! Reading untrusted bytes: find the file meta information (or guess the encoding when it
//! is missing), inflate deflated data sets under a cap, walk every element header to check
//! declared lengths against the bytes really there, and only then hand the data set to the
//! dicom-rs parser (which allocates a value's declared length before reading it).

use std::io::Read;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use crate::error::DicomDeidError;
use crate::policy::Limits;

/// Implicit VR Little Endian.
pub(crate) const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub(crate) const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired).
pub(crate) const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
/// Deflated Explicit VR Little Endian.
pub(crate) const DEFLATED_LE: &str = "1.2.840.10008.1.2.1.99";

const UNDEFINED: u32 = 0xFFFF_FFFF;
const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
/// Data Set Trailing Padding: removed (X) by the Basic Profile whatever the options.
const TRAILING_PADDING: Tag = Tag(0xFFFC, 0xFFFC);

/// A data set read from untrusted bytes, with what its file meta information said.
pub(crate) struct Parsed {
    /// The data set (group 0002 excluded).
    pub obj: InMemDicomObject,
    /// Transfer syntax of the input (declared or guessed).
    pub ts: String,
    /// True when the input had file meta information with a transfer syntax.
    pub had_meta: bool,
    /// Media Storage SOP Class UID of the input meta, if any.
    pub meta_sop_class: Option<String>,
    /// Media Storage SOP Instance UID of the input meta, if any.
    pub meta_sop_instance: Option<String>,
}

/// Parse `bytes` as a DICOM file (Part 10, or a bare data set) within `limits`.
pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, DicomDeidError> {
    parse_with(bytes, limits, false).map(|(p, _)| p)
}

/// Like [`parse`], but when the top-level Pixel Data is the last element of a data set
/// that is not deflated (but for Data Set Trailing Padding, which every policy removes),
/// the parser skips it and its encoded bytes (header and value, exactly as in the input)
/// are returned as a range of `bytes`, to be copied verbatim after the de-identified
/// header: no decoding, no re-encoding. The padding is parsed with the rest, so its
/// removal is recorded as in a full parse.
pub(crate) fn parse_split(
    bytes: &[u8],
    limits: &Limits,
) -> Result<(Parsed, Option<std::ops::Range<usize>>), DicomDeidError> {
    parse_with(bytes, limits, true)
}

fn parse_with(
    bytes: &[u8],
    limits: &Limits,
    split: bool,
) -> Result<(Parsed, Option<std::ops::Range<usize>>), DicomDeidError> {
    let size = bytes.len() as u64;
    if size > limits.max_input_bytes {
        return Err(DicomDeidError::TooLarge {
            size,
            limit: limits.max_input_bytes,
        });
    }
    let meta_start = if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        Some(132)
    } else if bytes.starts_with(b"DICM") {
        Some(4)
    } else {
        None
    };
    let (meta, data_start) = match meta_start {
        Some(start) => {
            let m = read_meta(bytes, start)?;
            let end = m.end;
            (Some(m), end)
        }
        None => (None, 0),
    };
    let data = &bytes[data_start..];
    let declared = meta.as_ref().and_then(|m| m.ts.clone());
    let had_meta = declared.is_some();
    let ts = match declared {
        Some(ts) => ts,
        None => guess_encoding(data)
            .ok_or(DicomDeidError::NotDicom)?
            .to_owned(),
    };
    let inflated;
    let (dataset, parse_ts) = match ts.as_str() {
        DEFLATED_LE => {
            inflated = inflate(data, limits.max_inflated_bytes)?;
            (&inflated[..], EXPLICIT_LE)
        }
        other => (data, other),
    };
    let ts_entry = TransferSyntaxRegistry.get(parse_ts).ok_or_else(|| {
        DicomDeidError::UnsupportedTransferSyntax {
            uid: printable_uid(&ts),
        }
    })?;
    // Data set codecs other than deflate (inflated above) are refused; a missing pixel
    // codec does not matter here: pixel data passes through untouched.
    if matches!(ts_entry.codec(), dicom_encoding::Codec::Dataset(_)) {
        return Err(DicomDeidError::UnsupportedTransferSyntax {
            uid: printable_uid(&ts),
        });
    }
    let explicit = parse_ts != IMPLICIT_LE;
    let big_endian = matches!(ts_entry.endianness(), dicom_encoding::Endianness::Big);
    let offset_base = if ts == DEFLATED_LE { 0 } else { data_start };
    let mut scanner = Scanner {
        data: dataset,
        base: offset_base as u64,
        explicit,
        big_endian,
        limits,
        elements: 0,
        top_pixel: None,
        after_pixel: false,
    };
    scanner.top()?;
    let cut = match scanner.top_pixel {
        Some(pixel) if split && !scanner.after_pixel && ts != DEFLATED_LE => Some(pixel),
        _ => None,
    };
    let read = |part: &[u8]| {
        InMemDicomObject::read_dataset_with_ts(part, ts_entry).map_err(|_| DicomDeidError::Parse)
    };
    let mut obj = read(&dataset[..cut.as_ref().map_or(dataset.len(), |c| c.start)])?;
    if let Some(padding) = cut.as_ref().map(|c| &dataset[c.end..]) {
        if !padding.is_empty() {
            read(padding)?.into_iter().for_each(|e| {
                obj.put(e);
            });
        }
    }
    let parsed = Parsed {
        obj,
        ts,
        had_meta,
        meta_sop_class: meta.as_ref().and_then(|m| m.sop_class.clone()),
        meta_sop_instance: meta.and_then(|m| m.sop_instance),
    };
    Ok((
        parsed,
        cut.map(|c| data_start + c.start..data_start + c.end),
    ))
}

/// A UID from the file for an error message: itself when it is UID syntax (digits and
/// dots, at most 64), otherwise a placeholder, so messages never carry arbitrary text.
fn printable_uid(uid: &str) -> String {
    if !uid.is_empty() && uid.len() <= 64 && uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        uid.to_owned()
    } else {
        "(not a valid UID)".to_owned()
    }
}

struct Meta {
    end: usize,
    ts: Option<String>,
    sop_class: Option<String>,
    sop_instance: Option<String>,
}

/// Group 0002 is always Explicit VR Little Endian. Elements are read until the group
/// changes; the group length, when present, is not trusted.
fn read_meta(bytes: &[u8], start: usize) -> Result<Meta, DicomDeidError> {
    let mut pos = start;
    let mut meta = Meta {
        end: start,
        ts: None,
        sop_class: None,
        sop_instance: None,
    };
    while bytes.len() - pos >= 8 {
        let group = u16::from_le_bytes([bytes[pos], bytes[pos + 1]]);
        if group != 0x0002 {
            break;
        }
        let element = u16::from_le_bytes([bytes[pos + 2], bytes[pos + 3]]);
        let vr = VR::from_binary([bytes[pos + 4], bytes[pos + 5]])
            .ok_or(DicomDeidError::BadMeta { offset: pos as u64 })?;
        let (len, header) = if has_long_length(vr) {
            if bytes.len() - pos < 12 {
                return Err(DicomDeidError::Truncated { offset: pos as u64 });
            }
            let l = u32::from_le_bytes([
                bytes[pos + 8],
                bytes[pos + 9],
                bytes[pos + 10],
                bytes[pos + 11],
            ]);
            (l, 12)
        } else {
            (
                u32::from(u16::from_le_bytes([bytes[pos + 6], bytes[pos + 7]])),
                8,
            )
        };
        let value_start = pos + header;
        let available = (bytes.len() - value_start) as u64;
        if u64::from(len) > available {
            return Err(DicomDeidError::BadLength {
                group,
                element,
                offset: pos as u64,
                declared: u64::from(len),
                available,
            });
        }
        let value = &bytes[value_start..value_start + len as usize];
        let text = || {
            Some(
                String::from_utf8_lossy(value)
                    .trim_end_matches(['\0', ' '])
                    .trim_start()
                    .to_owned(),
            )
            .filter(|s| !s.is_empty())
        };
        match element {
            0x0002 => meta.sop_class = text(),
            0x0003 => meta.sop_instance = text(),
            0x0010 => meta.ts = text(),
            _ => {}
        }
        pos = value_start + len as usize;
    }
    meta.end = pos;
    Ok(meta)
}

/// Guess the encoding of a data set without meta information from its first element: an
/// explicit VR shows as two letters after the tag, and the byte order as the group that
/// reads small (data sets start with low groups such as 0008).
fn guess_encoding(data: &[u8]) -> Option<&'static str> {
    if data.len() < 8 {
        return None;
    }
    let le = u16::from_le_bytes([data[0], data[1]]);
    let be = u16::from_be_bytes([data[0], data[1]]);
    let explicit = VR::from_binary([data[4], data[5]]).is_some();
    let big = be < le;
    let group = if big { be } else { le };
    if !(0x0002..=0x0010).contains(&group) {
        return None;
    }
    Some(match (explicit, big) {
        (true, true) => EXPLICIT_BE,
        (true, false) => EXPLICIT_LE,
        (false, false) => IMPLICIT_LE,
        (false, true) => return None,
    })
}

fn inflate(data: &[u8], limit: u64) -> Result<Vec<u8>, DicomDeidError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::DeflateDecoder::new(data).take(limit.saturating_add(1));
    dec.read_to_end(&mut out)
        .map_err(|_| DicomDeidError::Inflate { limit })?;
    if out.len() as u64 > limit {
        return Err(DicomDeidError::Inflate { limit });
    }
    Ok(out)
}

/// VRs whose explicit-VR header has two reserved bytes and a 32-bit length; unknown VRs
/// are read as UN, like dicom-rs does.
fn has_long_length(vr: VR) -> bool {
    !matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::AT
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::FL
            | VR::FD
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::SL
            | VR::SS
            | VR::ST
            | VR::TM
            | VR::UI
            | VR::UL
            | VR::US
    )
}

/// Walks every element header of a data set without allocating values.
struct Scanner<'a> {
    data: &'a [u8],
    /// Offset of `data` in the file, for error messages.
    base: u64,
    explicit: bool,
    big_endian: bool,
    limits: &'a Limits,
    elements: u64,
    /// Where the top-level Pixel Data element (header and value) lies, if any.
    top_pixel: Option<std::ops::Range<usize>>,
    /// True when a top-level element other than Data Set Trailing Padding follows the
    /// Pixel Data.
    after_pixel: bool,
}

struct Header {
    tag: Tag,
    vr: Option<VR>,
    len: u32,
    size: usize,
}

impl Scanner<'_> {
    fn top(&mut self) -> Result<(), DicomDeidError> {
        let end = self.data.len();
        self.dataset(0, end, false, 0).map(|_| ())
    }

    fn off(&self, pos: usize) -> u64 {
        self.base + pos as u64
    }

    fn u16_at(&self, pos: usize) -> u16 {
        let b = [self.data[pos], self.data[pos + 1]];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32_at(&self, pos: usize) -> u32 {
        let b = [
            self.data[pos],
            self.data[pos + 1],
            self.data[pos + 2],
            self.data[pos + 3],
        ];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn header(&mut self, pos: usize, end: usize) -> Result<Header, DicomDeidError> {
        if end - pos < 8 {
            return Err(DicomDeidError::Truncated {
                offset: self.off(pos),
            });
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(DicomDeidError::TooManyElements {
                limit: self.limits.max_elements,
            });
        }
        let tag = Tag(self.u16_at(pos), self.u16_at(pos + 2));
        if tag.group() == 0xFFFE || !self.explicit {
            return Ok(Header {
                tag,
                vr: None,
                len: self.u32_at(pos + 4),
                size: 8,
            });
        }
        let vr = VR::from_binary([self.data[pos + 4], self.data[pos + 5]]).unwrap_or(VR::UN);
        if has_long_length(vr) {
            if end - pos < 12 {
                return Err(DicomDeidError::Truncated {
                    offset: self.off(pos),
                });
            }
            Ok(Header {
                tag,
                vr: Some(vr),
                len: self.u32_at(pos + 8),
                size: 12,
            })
        } else {
            Ok(Header {
                tag,
                vr: Some(vr),
                len: u32::from(self.u16_at(pos + 6)),
                size: 8,
            })
        }
    }

    fn check_len(
        &self,
        h: &Header,
        pos: usize,
        value_start: usize,
        end: usize,
    ) -> Result<(), DicomDeidError> {
        let available = (end - value_start) as u64;
        if u64::from(h.len) > available {
            return Err(DicomDeidError::BadLength {
                group: h.tag.group(),
                element: h.tag.element(),
                offset: self.off(pos),
                declared: u64::from(h.len),
                available,
            });
        }
        Ok(())
    }

    /// Binary VRs are read as whole values; dicom-rs leaves a remainder unread and would
    /// take it for the next element header.
    fn check_value_size(&self, h: &Header, pos: usize) -> Result<(), DicomDeidError> {
        let vr = match h.vr {
            Some(vr) => vr,
            None => match StandardDataDictionary.by_tag(h.tag).map(|e| e.vr()) {
                Some(VirtualVr::Exact(vr)) => vr,
                _ => return Ok(()),
            },
        };
        let size: u8 = match vr {
            VR::US | VR::SS | VR::OW => 2,
            VR::UL | VR::SL | VR::FL | VR::AT | VR::OF | VR::OL => 4,
            VR::FD | VR::OD | VR::SV | VR::UV | VR::OV => 8,
            _ => return Ok(()),
        };
        if !h.len.is_multiple_of(u32::from(size)) {
            return Err(DicomDeidError::ValueLength {
                group: h.tag.group(),
                element: h.tag.element(),
                offset: self.off(pos),
                declared: u64::from(h.len),
                size,
            });
        }
        Ok(())
    }

    fn is_sequence(&self, h: &Header) -> bool {
        match h.vr {
            Some(vr) => vr == VR::SQ,
            None => StandardDataDictionary
                .by_tag(h.tag)
                .is_some_and(|e| e.vr() == VirtualVr::Exact(VR::SQ)),
        }
    }

    /// Elements from `pos` to `end`; with `until_delimiter`, up to and including an item
    /// delimiter. Returns the position after the last byte read.
    fn dataset(
        &mut self,
        mut pos: usize,
        end: usize,
        until_delimiter: bool,
        depth: u32,
    ) -> Result<usize, DicomDeidError> {
        loop {
            if pos == end {
                if until_delimiter {
                    return Err(DicomDeidError::Truncated {
                        offset: self.off(pos),
                    });
                }
                return Ok(pos);
            }
            let h = self.header(pos, end)?;
            let value_start = pos + h.size;
            let top_pixel = depth == 0 && h.tag == PIXEL_DATA;
            if depth == 0 && self.top_pixel.is_some() && h.tag != TRAILING_PADDING {
                self.after_pixel = true;
            }
            let element_start = pos;
            if h.tag.group() == 0xFFFE {
                // Delimiters have length 0 (PS3.5 7.5); dicom-rs would read any other
                // length as a value to allocate.
                if h.len != 0 {
                    return Err(DicomDeidError::Structure {
                        offset: self.off(pos),
                    });
                }
                match h.tag.element() {
                    0xE00D if until_delimiter => return Ok(value_start),
                    // A stray delimiter between elements: dicom-rs skips it.
                    0xE00D | 0xE0DD => {
                        pos = value_start;
                        continue;
                    }
                    _ => {
                        return Err(DicomDeidError::Structure {
                            offset: self.off(pos),
                        })
                    }
                }
            }
            if h.len == UNDEFINED {
                let fragments = h.tag == PIXEL_DATA && h.vr != Some(VR::SQ);
                pos = self.items(value_start, end, None, depth + 1, fragments)?;
            } else {
                self.check_len(&h, pos, value_start, end)?;
                self.check_value_size(&h, pos)?;
                let value_end = value_start + h.len as usize;
                if self.is_sequence(&h) {
                    self.items(value_start, end, Some(value_end), depth + 1, false)?;
                }
                pos = value_end;
            }
            if top_pixel {
                self.top_pixel = Some(element_start..pos);
            }
        }
    }

    /// The items of a sequence (or the fragments of encapsulated pixel data), either up
    /// to a sequence delimiter (`defined_end` is `None`) or filling `defined_end`.
    fn items(
        &mut self,
        mut pos: usize,
        end: usize,
        defined_end: Option<usize>,
        depth: u32,
        fragments: bool,
    ) -> Result<usize, DicomDeidError> {
        if depth > self.limits.max_depth {
            return Err(DicomDeidError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        let end = defined_end.unwrap_or(end);
        loop {
            if pos == end {
                if defined_end.is_some() {
                    return Ok(pos);
                }
                return Err(DicomDeidError::Truncated {
                    offset: self.off(pos),
                });
            }
            if end - pos < 8 {
                return Err(DicomDeidError::Truncated {
                    offset: self.off(pos),
                });
            }
            let tag = Tag(self.u16_at(pos), self.u16_at(pos + 2));
            let len = self.u32_at(pos + 4);
            self.elements += 1;
            if self.elements > self.limits.max_elements {
                return Err(DicomDeidError::TooManyElements {
                    limit: self.limits.max_elements,
                });
            }
            let value_start = pos + 8;
            match (tag.group(), tag.element()) {
                (0xFFFE, 0xE0DD) if len == 0 => return Ok(value_start),
                (0xFFFE, 0xE000) => {}
                _ => {
                    return Err(DicomDeidError::Structure {
                        offset: self.off(pos),
                    })
                }
            }
            if len == UNDEFINED {
                if fragments {
                    return Err(DicomDeidError::Structure {
                        offset: self.off(pos),
                    });
                }
                pos = self.dataset(value_start, end, true, depth)?;
            } else {
                let h = Header {
                    tag,
                    vr: None,
                    len,
                    size: 8,
                };
                self.check_len(&h, pos, value_start, end)?;
                let item_end = value_start + len as usize;
                if !fragments {
                    self.dataset(value_start, item_end, false, depth)?;
                }
                pos = item_end;
            }
        }
    }
}

/// Re-read the value of a UN element whose tag the standard dictionary knows, the way a
/// reader that knew the VR would have (PS3.5 6.2.2: UN values, sequences included, are
/// Implicit VR Little Endian). The bytes pass the same structural checks first. `None`
/// when the tag is unknown or the bytes do not parse; the caller keeps the UN element.
pub(crate) fn retype_un(
    tag: Tag,
    value: &[u8],
    limits: &Limits,
) -> Option<dicom_object::mem::InMemElement> {
    let known = StandardDataDictionary.by_tag(tag)?;
    if matches!(known.vr(), VirtualVr::Exact(VR::UN)) {
        return None;
    }
    let mut data = Vec::with_capacity(value.len() + 8);
    data.extend_from_slice(&tag.group().to_le_bytes());
    data.extend_from_slice(&tag.element().to_le_bytes());
    data.extend_from_slice(&u32::try_from(value.len()).ok()?.to_le_bytes());
    data.extend_from_slice(value);
    Scanner {
        data: &data,
        base: 0,
        explicit: false,
        big_endian: false,
        limits,
        elements: 0,
        top_pixel: None,
        after_pixel: false,
    }
    .top()
    .ok()?;
    let ts = TransferSyntaxRegistry.get(IMPLICIT_LE)?;
    let mut obj = InMemDicomObject::read_dataset_with_ts(&data[..], ts).ok()?;
    obj.take(tag)
}

/// The text of an attribute, also when it was read as UN (its bytes taken as text),
/// trimmed of padding. `None` when absent or empty.
pub(crate) fn text_of(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let s = if e.vr() == VR::UN {
        let bytes = e.to_bytes().ok()?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        e.to_str().ok()?.into_owned()
    };
    let s = s.trim_matches(['\0', ' ']).to_owned();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explicit_le(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&tag.0.to_le_bytes());
        v.extend_from_slice(&tag.1.to_le_bytes());
        v.extend_from_slice(vr);
        v.extend_from_slice(&(value.len() as u16).to_le_bytes());
        v.extend_from_slice(value);
        v
    }

    #[test]
    fn a_bogus_length_is_refused_before_parsing() {
        // (0010,0010) OB with a declared length of 3.9 GB in a 30-byte file.
        let mut data = explicit_le((0x0008, 0x0060), b"CS", b"MR");
        data.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, b'O', b'B', 0, 0]);
        data.extend_from_slice(&0xF000_0000u32.to_le_bytes());
        data.extend_from_slice(b"abcd");
        let err = parse(&data, &Limits::default()).err();
        assert!(
            matches!(
                err,
                Some(DicomDeidError::BadLength {
                    declared: 0xF000_0000,
                    ..
                })
            ),
            "got {err:?}"
        );
    }

    #[test]
    fn a_binary_value_of_the_wrong_size_is_refused() {
        // Found by cargo-fuzz: (0028,0002) re-labelled SL with 2 bytes made dicom-rs read
        // the rest as a header with a huge length (1.3 GB resident).
        let mut data = explicit_le((0x0008, 0x0060), b"CS", b"MR");
        data.extend(explicit_le((0x0028, 0x0002), b"SL", &[1, 0]));
        data.extend(explicit_le((0x0028, 0x0010), b"US", &[4, 0]));
        assert!(matches!(
            parse(&data, &Limits::default()),
            Err(DicomDeidError::ValueLength {
                group: 0x0028,
                element: 0x0002,
                declared: 2,
                size: 4,
                ..
            })
        ));
    }

    #[test]
    fn encodings_are_guessed_without_meta() {
        let data = explicit_le((0x0008, 0x0060), b"CS", b"MR");
        assert_eq!(guess_encoding(&data), Some(EXPLICIT_LE));
        let mut implicit = vec![0x08, 0x00, 0x60, 0x00, 2, 0, 0, 0];
        implicit.extend_from_slice(b"MR");
        assert_eq!(guess_encoding(&implicit), Some(IMPLICIT_LE));
        let be = [0x00, 0x08, 0x00, 0x60, b'C', b'S', 0, 2, b'M', b'R'];
        assert_eq!(guess_encoding(&be), Some(EXPLICIT_BE));
        assert_eq!(guess_encoding(b"%PDF-1.7 not dicom"), None);
        assert!(matches!(
            parse(b"%PDF-1.7 not dicom at all", &Limits::default()),
            Err(DicomDeidError::NotDicom)
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Undefined-length sequences nested 40 deep.
        let mut data = Vec::new();
        for _ in 0..40 {
            data.extend_from_slice(&[
                0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            data.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = parse(&data, &Limits::default()).err();
        assert_eq!(err, Some(DicomDeidError::TooDeep { limit: 32 }));
    }

    #[test]
    fn zip_bombs_stop_at_the_cap() {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 1 << 20]).expect("in memory");
        let bomb = enc.finish().expect("in memory");
        assert_eq!(
            inflate(&bomb, 1000).err(),
            Some(DicomDeidError::Inflate { limit: 1000 })
        );
    }
}
