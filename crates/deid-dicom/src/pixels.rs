//! Decoding pixel data, blacking out regions, and storing the result uncompressed
//! (Explicit VR Little Endian): lossless, and a lossy re-encoding would smear the box.

use dicom_core::value::{PrimitiveValue, C};
use dicom_core::{DataElement, Tag, VR};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, InMemDicomObject};
use dicom_pixeldata::{
    PhotometricInterpretation, PixelDecoder, PixelRepresentation, PlanarConfiguration,
};

use crate::read::EXPLICIT_LE;
use crate::regions::Region;

const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);

/// Pixel data could not be decoded or cleaned. Carries sizes and enumerated values only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PixelError {
    /// The object has no Pixel Data (7FE0,0010).
    #[error("the object has no pixel data")]
    NoPixelData,
    /// The pixel data could not be decoded (codec missing or data corrupt).
    #[error("the pixel data could not be decoded")]
    Decode,
    /// Samples of this size cannot be cleaned.
    #[error("pixel data with {bits} bits allocated per sample cannot be cleaned")]
    BitsAllocated {
        /// Bits Allocated (0028,0100).
        bits: u16,
    },
    /// This photometric interpretation cannot be cleaned (subsampled colour).
    #[error("pixel data in {0} cannot be cleaned")]
    Photometric(String),
    /// The decoded data is shorter than rows × columns × frames.
    #[error("the decoded pixel data is shorter than its attributes say")]
    Short,
    /// A frame number past the last frame.
    #[error("frame {frame} does not exist (the image has {frames})")]
    Frame {
        /// The frame asked for (from 0).
        frame: u32,
        /// Number of frames.
        frames: u32,
    },
}

/// Colour model of decoded samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Colour {
    Monochrome1,
    Monochrome2,
    Rgb,
    YbrFull,
    Palette,
}

/// Decoded pixels, interleaved, little endian.
pub(crate) struct Image {
    pub columns: u32,
    pub rows: u32,
    pub frames: u32,
    pub samples: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    pub colour: Colour,
    pub data: Vec<u8>,
}

impl Image {
    fn bytes_per_sample(&self) -> usize {
        usize::from(self.bits_allocated / 8)
    }

    fn frame_len(&self) -> usize {
        self.columns as usize
            * self.rows as usize
            * usize::from(self.samples)
            * self.bytes_per_sample()
    }

    fn sample(&self, at: usize) -> i64 {
        let b = &self.data[at..at + self.bytes_per_sample()];
        let raw: u32 = match b.len() {
            1 => u32::from(b[0]),
            2 => u32::from(u16::from_le_bytes([b[0], b[1]])),
            _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        };
        let bits = u32::from(self.bits_stored.clamp(1, self.bits_allocated));
        let v = if bits >= 32 {
            raw
        } else {
            raw & ((1u32 << bits) - 1)
        };
        if self.signed && bits < 32 && v & (1 << (bits - 1)) != 0 {
            i64::from(v) - (1i64 << bits)
        } else if self.signed && bits == 32 {
            i64::from(v as i32)
        } else {
            i64::from(v)
        }
    }

    /// The sample values that display as black.
    fn black(&self) -> [i64; 3] {
        let bits = u32::from(self.bits_stored.clamp(1, self.bits_allocated)).min(31);
        let (min, max) = if self.signed {
            (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
        } else {
            (0, (1i64 << bits) - 1)
        };
        match self.colour {
            Colour::Monochrome1 => [max, max, max],
            Colour::Monochrome2 => [min, min, min],
            Colour::YbrFull => [0, 1i64 << (bits - 1), 1i64 << (bits - 1)],
            Colour::Rgb | Colour::Palette => [0, 0, 0],
        }
    }

    /// Fill `regions` (clipped to the image) with black in every frame. Returns how many
    /// regions touched the image.
    pub(crate) fn black_out(&mut self, regions: &[Region]) -> u32 {
        let black = self.black();
        let bps = self.bytes_per_sample();
        let spp = usize::from(self.samples);
        let mut pixel = Vec::with_capacity(spp * bps);
        for s in 0..spp {
            let v = black[s.min(2)] as u32;
            pixel.extend_from_slice(&v.to_le_bytes()[..bps]);
        }
        let clipped: Vec<Region> = regions
            .iter()
            .filter_map(|r| r.clip(self.columns, self.rows))
            .collect();
        let frame_len = self.frame_len();
        let row_len = self.columns as usize * spp * bps;
        for f in 0..self.frames as usize {
            for r in &clipped {
                for y in r.y..r.y + r.height {
                    let start = f * frame_len + y as usize * row_len + r.x as usize * spp * bps;
                    let end = start + r.width as usize * spp * bps;
                    for chunk in self.data[start..end].chunks_exact_mut(spp * bps) {
                        chunk.copy_from_slice(&pixel);
                    }
                }
            }
        }
        clipped.len() as u32
    }

    /// Every frame as one 16-bit sample per pixel: the stored value masked to Bits Stored
    /// and sign-extended (signed data as `i16` bit patterns), colour as 8-bit luma.
    /// Samples over 16 bits are truncated: callers refuse them first.
    pub(crate) fn grey16(&self) -> Vec<u16> {
        let n = self.columns as usize * self.rows as usize * self.frames as usize;
        let spp = usize::from(self.samples);
        let bps = self.bytes_per_sample();
        let colour = matches!(self.colour, Colour::Rgb | Colour::YbrFull | Colour::Palette);
        if !colour && bps == 2 && spp == 1 {
            // The common case (CT, MR), kept to simple arithmetic: it runs over every pixel.
            let bits = u32::from(self.bits_stored.clamp(1, 16));
            let mask: u16 = if bits == 16 {
                u16::MAX
            } else {
                (1 << bits) - 1
            };
            let shift = 16 - bits;
            return self.data[..n * 2]
                .chunks_exact(2)
                .map(|c| {
                    let v = u16::from_le_bytes([c[0], c[1]]) & mask;
                    if self.signed {
                        (((v << shift) as i16) >> shift) as u16
                    } else {
                        v
                    }
                })
                .collect();
        }
        let value = |i: usize, s: usize| self.sample((i * spp + s) * bps);
        (0..n)
            .map(|i| match (self.colour, spp) {
                (Colour::Rgb, 3) => {
                    ((299 * value(i, 0) + 587 * value(i, 1) + 114 * value(i, 2)) / 1000) as u16
                }
                _ => value(i, 0) as u16,
            })
            .collect()
    }

    /// One frame as 8-bit grey, as a viewer would show it with a full-range window
    /// (MONOCHROME1 inverted, colour as luma).
    pub(crate) fn gray8(&self, frame: u32) -> Result<Vec<u8>, PixelError> {
        if frame >= self.frames {
            return Err(PixelError::Frame {
                frame,
                frames: self.frames,
            });
        }
        let bps = self.bytes_per_sample();
        let spp = usize::from(self.samples);
        let n = self.columns as usize * self.rows as usize;
        let base = frame as usize * self.frame_len();
        let value = |i: usize, s: usize| self.sample(base + (i * spp + s) * bps);
        let luma: Vec<i64> = match (self.colour, spp) {
            (Colour::Rgb, 3) => (0..n)
                .map(|i| (299 * value(i, 0) + 587 * value(i, 1) + 114 * value(i, 2)) / 1000)
                .collect(),
            _ => (0..n).map(|i| value(i, 0)).collect(),
        };
        let lo = luma.iter().copied().min().unwrap_or(0);
        let hi = luma.iter().copied().max().unwrap_or(0);
        let range = (hi - lo).max(1);
        let invert = self.colour == Colour::Monochrome1;
        Ok(luma
            .into_iter()
            .map(|v| {
                let g = ((v - lo) * 255 / range) as u8;
                if invert {
                    255 - g
                } else {
                    g
                }
            })
            .collect())
    }
}

/// Wrap a data set with a file meta table declaring `ts`, so dicom-pixeldata can decode it.
pub(crate) fn as_file(obj: InMemDicomObject, ts: &str) -> FileDicomObject<InMemDicomObject> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
        .media_storage_sop_instance_uid("1.2.3")
        .implementation_class_uid(crate::IMPLEMENTATION_CLASS_UID)
        .build()
        .expect("every required meta attribute is set");
    obj.with_exact_meta(meta)
}

/// JPEG transfer syntaxes (baseline, extended, lossless, lossless SV1), decoded here with
/// `jpeg-decoder`: dicom-rs's JPEG codec feature also pulls in an encoder under the IJG
/// licence, which the project's licence policy does not list.
const JPEG: [&str; 4] = [
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];

/// Decode all frames of the pixel data.
pub(crate) fn decode(file: &FileDicomObject<InMemDicomObject>) -> Result<Image, PixelError> {
    if file.get(PIXEL_DATA).is_none() {
        return Err(PixelError::NoPixelData);
    }
    if JPEG.contains(&file.meta().transfer_syntax()) {
        return decode_jpeg(file);
    }
    let d = file.decode_pixel_data().map_err(|_| PixelError::Decode)?;
    let bits_allocated = d.bits_allocated();
    if !matches!(bits_allocated, 8 | 16 | 32) {
        return Err(PixelError::BitsAllocated {
            bits: bits_allocated,
        });
    }
    let colour = match d.photometric_interpretation() {
        PhotometricInterpretation::Monochrome1 => Colour::Monochrome1,
        PhotometricInterpretation::Monochrome2 => Colour::Monochrome2,
        PhotometricInterpretation::Rgb => Colour::Rgb,
        PhotometricInterpretation::YbrFull => Colour::YbrFull,
        PhotometricInterpretation::PaletteColor => Colour::Palette,
        other => return Err(PixelError::Photometric(other.as_str().to_owned())),
    };
    let samples = d.samples_per_pixel();
    let mut img = Image {
        columns: d.columns(),
        rows: d.rows(),
        frames: d.number_of_frames().max(1),
        samples,
        bits_allocated,
        bits_stored: d.bits_stored(),
        signed: d.pixel_representation() == PixelRepresentation::Signed,
        colour,
        data: Vec::new(),
    };
    let needed = img.frame_len() * img.frames as usize;
    let data = d.data();
    if data.len() < needed || needed == 0 {
        return Err(PixelError::Short);
    }
    // dicom-pixeldata's `PixelFirst` (value 1) is the colour-by-plane layout.
    img.data = if samples > 1 && d.planar_configuration() == PlanarConfiguration::PixelFirst {
        interleave(&data[..needed], &img)
    } else {
        data[..needed].to_vec()
    };
    Ok(img)
}

fn attribute(file: &FileDicomObject<InMemDicomObject>, group: u16, element: u16) -> Option<u32> {
    file.get(Tag(group, element))?.to_int::<u32>().ok()
}

/// Decode encapsulated JPEG frames one after the other (each starts at the next SOI
/// marker after the previous frame), as dicom-rs does.
fn decode_jpeg(file: &FileDicomObject<InMemDicomObject>) -> Result<Image, PixelError> {
    let fragments = file
        .get(PIXEL_DATA)
        .and_then(|e| e.fragments())
        .ok_or(PixelError::Decode)?;
    let stream: Vec<u8> = fragments.concat();
    let frames = attribute(file, 0x0028, 0x0008).unwrap_or(1).max(1);
    let columns = attribute(file, 0x0028, 0x0011).ok_or(PixelError::Decode)?;
    let rows = attribute(file, 0x0028, 0x0010).ok_or(PixelError::Decode)?;
    let photometric = crate::read::text_of(file, Tag(0x0028, 0x0004)).unwrap_or_default();
    let signed = attribute(file, 0x0028, 0x0103) == Some(1);
    let mut data = Vec::new();
    let mut format = None;
    let mut pos = 0usize;
    for _ in 0..frames {
        let mut cursor = std::io::Cursor::new(&stream[pos..]);
        let mut decoder = jpeg_decoder::Decoder::new(&mut cursor);
        let pixels = decoder.decode().map_err(|_| PixelError::Decode)?;
        let info = decoder.info().ok_or(PixelError::Decode)?;
        if u32::from(info.width) != columns || u32::from(info.height) != rows {
            return Err(PixelError::Short);
        }
        format = Some(info.pixel_format);
        data.extend_from_slice(&pixels);
        // The next frame starts at the next SOI marker after where this one ended.
        let end = pos + cursor.position() as usize;
        match stream[end.min(stream.len())..]
            .windows(2)
            .position(|w| w == [0xFF, 0xD8])
        {
            Some(next) => pos = end + next,
            None => break,
        }
    }
    let (samples, bits_allocated, colour) = match format {
        Some(jpeg_decoder::PixelFormat::L8) | Some(jpeg_decoder::PixelFormat::L16) => {
            let bits = if format == Some(jpeg_decoder::PixelFormat::L8) {
                8
            } else {
                16
            };
            let colour = if photometric == "MONOCHROME1" {
                Colour::Monochrome1
            } else {
                Colour::Monochrome2
            };
            (1, bits, colour)
        }
        Some(jpeg_decoder::PixelFormat::RGB24) => (3, 8, Colour::Rgb),
        _ => return Err(PixelError::Decode),
    };
    let bits_stored = attribute(file, 0x0028, 0x0101)
        .and_then(|b| u16::try_from(b).ok())
        .unwrap_or(bits_allocated)
        .min(bits_allocated);
    let mut img = Image {
        columns,
        rows,
        frames,
        samples,
        bits_allocated,
        bits_stored,
        signed,
        colour,
        data,
    };
    let needed = img.frame_len() * frames as usize;
    if img.data.len() < needed {
        return Err(PixelError::Short);
    }
    img.data.truncate(needed);
    Ok(img)
}

/// Planar (R…G…B…) frames to interleaved (RGBRGB…).
fn interleave(planar: &[u8], img: &Image) -> Vec<u8> {
    let bps = img.bytes_per_sample();
    let spp = usize::from(img.samples);
    let n = img.columns as usize * img.rows as usize;
    let frame_len = img.frame_len();
    let mut out = vec![0u8; planar.len()];
    for f in 0..img.frames as usize {
        let base = f * frame_len;
        for s in 0..spp {
            for i in 0..n {
                let from = base + (s * n + i) * bps;
                let to = base + (i * spp + s) * bps;
                out[to..to + bps].copy_from_slice(&planar[from..from + bps]);
            }
        }
    }
    out
}

/// Put `img` back as native pixel data, with the attributes that describe it, and declare
/// Explicit VR Little Endian.
pub(crate) fn store(file: &mut FileDicomObject<InMemDicomObject>, img: Image) {
    let value = match img.bits_allocated {
        8 => PrimitiveValue::U8(C::from_vec(img.data)),
        16 => PrimitiveValue::U16(
            img.data
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        _ => PrimitiveValue::U32(
            img.data
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
    };
    let vr = if img.bits_allocated == 8 {
        VR::OB
    } else {
        VR::OW
    };
    file.put(DataElement::new(PIXEL_DATA, vr, value));
    let photometric = match img.colour {
        Colour::Monochrome1 => "MONOCHROME1",
        Colour::Monochrome2 => "MONOCHROME2",
        Colour::Rgb => "RGB",
        Colour::YbrFull => "YBR_FULL",
        Colour::Palette => "PALETTE COLOR",
    };
    file.put(DataElement::new(
        Tag(0x0028, 0x0004),
        VR::CS,
        PrimitiveValue::from(photometric),
    ));
    if img.samples > 1 {
        file.put(DataElement::new(
            Tag(0x0028, 0x0006),
            VR::US,
            PrimitiveValue::from(0u16),
        ));
    }
    // Encapsulation-only attributes describe fragments that no longer exist.
    for t in [
        Tag(0x7FE0, 0x0001),
        Tag(0x7FE0, 0x0002),
        Tag(0x7FE0, 0x0003),
    ] {
        file.remove_element(t);
    }
    file.update_meta(|m| m.transfer_syntax = EXPLICIT_LE.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mono(bits: u16, signed: bool, colour: Colour) -> Image {
        Image {
            columns: 4,
            rows: 2,
            frames: 2,
            samples: 1,
            bits_allocated: 16,
            bits_stored: bits,
            signed,
            colour,
            data: vec![0x55; 4 * 2 * 2 * 2],
        }
    }

    #[test]
    fn black_depends_on_photometric_and_sign() {
        let mut m2 = mono(12, false, Colour::Monochrome2);
        assert_eq!(
            m2.black_out(&[Region {
                x: 1,
                y: 0,
                width: 2,
                height: 1
            }]),
            1
        );
        assert_eq!(m2.sample(2), 0);
        assert_eq!(m2.sample(0), 0x555);
        assert_eq!(m2.sample(16 + 2), 0, "every frame is cleaned");
        let mut m1 = mono(12, false, Colour::Monochrome1);
        m1.black_out(&[Region {
            x: 0,
            y: 0,
            width: 1,
            height: 1,
        }]);
        assert_eq!(m1.sample(0), 4095, "MONOCHROME1 black is the maximum");
        let mut signed = mono(16, true, Colour::Monochrome2);
        signed.black_out(&[Region {
            x: 0,
            y: 0,
            width: 1,
            height: 1,
        }]);
        assert_eq!(
            signed.sample(0),
            -32768,
            "signed black is the minimum, not 0"
        );
        assert_eq!(
            mono(8, false, Colour::Monochrome2).black_out(&[Region {
                x: 9,
                y: 9,
                width: 1,
                height: 1
            }]),
            0
        );
    }

    #[test]
    fn gray_previews_invert_monochrome1_and_check_frames() {
        let mut m1 = mono(12, false, Colour::Monochrome1);
        m1.black_out(&[Region {
            x: 0,
            y: 0,
            width: 1,
            height: 1,
        }]);
        let g = m1.gray8(0).expect("frame 0 exists");
        assert_eq!(g[0], 0, "the blacked-out pixel displays black");
        assert_eq!(g[1], 255);
        assert_eq!(
            m1.gray8(2).err(),
            Some(PixelError::Frame {
                frame: 2,
                frames: 2
            })
        );
    }

    #[test]
    fn planar_frames_interleave() {
        let img = Image {
            columns: 2,
            rows: 1,
            frames: 1,
            samples: 3,
            bits_allocated: 8,
            bits_stored: 8,
            signed: false,
            colour: Colour::Rgb,
            data: Vec::new(),
        };
        assert_eq!(
            interleave(&[1, 2, 3, 4, 5, 6], &img),
            vec![1, 3, 5, 2, 4, 6]
        );
    }
}
