//! Decoding a (de-identified) file for a viewer: every frame as one 16-bit grey sample per
//! pixel, with what a viewer needs to map stored values to display (Modality LUT rescale,
//! the header's window or one computed from the pixel range).
//!
//! Decision: samples are sent as *stored* values (after masking to Bits Stored and sign
//! extension), never rescaled, so they fit 16 bits exactly whatever the slope; the viewer
//! applies `modality = stored × slope + intercept` (PS3.3 C.11.1) when it builds its
//! window lookup table. Signed data is the two's complement bit pattern of an `i16`.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;

use crate::pixels::{self, Colour, PixelError};
use crate::policy::Limits;
use crate::{read, DicomDeidError};

/// How to show a series: size, sample format, rescale and the default window.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    /// Columns.
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// Frames (1 for a single image).
    pub frames: u32,
    /// Bits Stored of the samples (8 for colour shown as luma).
    pub bits_stored: u16,
    /// Whether samples are signed (`i16` bit patterns).
    pub signed: bool,
    /// Rescale Slope (0028,1053), 1 when absent.
    pub rescale_slope: f64,
    /// Rescale Intercept (0028,1052), 0 when absent.
    pub rescale_intercept: f64,
    /// Default window centre, in modality units (after rescale).
    pub window_center: f64,
    /// Default window width, in modality units; at least 1.
    pub window_width: f64,
    /// Whether the window came from the header (else from the pixel range).
    pub window_from_header: bool,
    /// MONOCHROME1: the lowest value displays as white.
    pub inverted: bool,
    /// Modality (0008,0060), e.g. `CT`; empty when absent.
    pub modality: String,
}

/// A decoded series: its [`SeriesInfo`] and every frame's samples, row-major.
pub struct Series {
    info: SeriesInfo,
    samples: Vec<u16>,
}

impl Series {
    /// How to show the series.
    pub fn info(&self) -> &SeriesInfo {
        &self.info
    }

    /// One frame's samples (`columns × rows`, row-major), or [`PixelError::Frame`].
    pub fn frame(&self, frame: u32) -> Result<&[u16], PixelError> {
        if frame >= self.info.frames {
            return Err(PixelError::Frame {
                frame,
                frames: self.info.frames,
            });
        }
        let n = self.info.columns as usize * self.info.rows as usize;
        let start = frame as usize * n;
        Ok(&self.samples[start..start + n])
    }

    /// One frame as little-endian bytes (two per sample), ready to send to a viewer.
    pub fn frame_bytes(&self, frame: u32) -> Result<Vec<u8>, PixelError> {
        let samples = self.frame(frame)?;
        let mut out = Vec::with_capacity(samples.len() * 2);
        for s in samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        Ok(out)
    }
}

fn first_number(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    obj.element(tag)
        .ok()?
        .to_multi_float64()
        .ok()?
        .first()
        .copied()
        .filter(|v| v.is_finite())
}

/// The size of an image: what a delivery's label files need, read from the header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    /// Columns (0028,0011).
    pub columns: u32,
    /// Rows (0028,0010).
    pub rows: u32,
    /// Number of Frames (0028,0008), 1 when absent.
    pub frames: u32,
}

/// The size of the image in `bytes`, from its header: the Pixel Data is skipped, not
/// decoded, so a large series costs no more than its attributes (a delivery describes
/// each image it carries this way). A file without Pixel Data ([`PixelError::NoPixelData`])
/// or without Columns and Rows ([`PixelError::Decode`]) is refused.
pub fn image_size(bytes: &[u8], limits: &Limits) -> Result<ImageSize, DicomDeidError> {
    let (parsed, pixels) = read::parse_split(bytes, limits)?;
    if pixels.is_none() && parsed.obj.get(Tag(0x7FE0, 0x0010)).is_none() {
        return Err(PixelError::NoPixelData.into());
    }
    let number = |tag| parsed.obj.element(tag).ok()?.to_int::<u32>().ok();
    let dimension = |tag| number(tag).filter(|&n| n > 0).ok_or(PixelError::Decode);
    Ok(ImageSize {
        columns: dimension(Tag(0x0028, 0x0011))?,
        rows: dimension(Tag(0x0028, 0x0010))?,
        frames: number(Tag(0x0028, 0x0008)).unwrap_or(1).max(1),
    })
}

/// Decodes every frame of `bytes` for viewing. 32-bit samples are refused
/// ([`PixelError::BitsAllocated`]); colour is shown as luma (8 bits).
pub fn decode_series(bytes: &[u8], limits: &Limits) -> Result<Series, DicomDeidError> {
    let parsed = read::parse(bytes, limits)?;
    let slope = first_number(&parsed.obj, Tag(0x0028, 0x1053))
        .filter(|s| *s != 0.0)
        .unwrap_or(1.0);
    let intercept = first_number(&parsed.obj, Tag(0x0028, 0x1052)).unwrap_or(0.0);
    let header_window = first_number(&parsed.obj, Tag(0x0028, 0x1050))
        .zip(first_number(&parsed.obj, Tag(0x0028, 0x1051)).filter(|w| *w >= 1.0));
    let modality = read::text_of(&parsed.obj, Tag(0x0008, 0x0060)).unwrap_or_default();
    let ts = if parsed.ts == read::DEFLATED_LE {
        read::EXPLICIT_LE
    } else {
        parsed.ts.as_str()
    }
    .to_owned();
    let file = pixels::as_file(parsed.obj, &ts);
    let img = pixels::decode(&file)?;
    drop(file);
    if img.bits_allocated > 16 {
        return Err(PixelError::BitsAllocated {
            bits: img.bits_allocated,
        }
        .into());
    }
    let colour = matches!(img.colour, Colour::Rgb | Colour::YbrFull | Colour::Palette);
    let samples = img.grey16();
    let (lo, hi) = samples.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &s| {
        let v = if img.signed && !colour {
            i64::from(s as i16)
        } else {
            i64::from(s)
        };
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo > hi { (0, 0) } else { (lo, hi) };
    let (m_lo, m_hi) = {
        let a = lo as f64 * slope + intercept;
        let b = hi as f64 * slope + intercept;
        (a.min(b), a.max(b))
    };
    let (window_center, window_width, window_from_header) = match header_window {
        Some((c, w)) => (c, w, true),
        None => ((m_lo + m_hi) / 2.0, (m_hi - m_lo).max(1.0), false),
    };
    Ok(Series {
        info: SeriesInfo {
            columns: img.columns,
            rows: img.rows,
            frames: img.frames,
            bits_stored: if colour {
                8
            } else {
                img.bits_stored.clamp(1, img.bits_allocated)
            },
            signed: img.signed && !colour,
            rescale_slope: slope,
            rescale_intercept: intercept,
            window_center,
            window_width,
            window_from_header,
            inverted: img.colour == Colour::Monochrome1,
            modality,
        },
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{synthetic_ct, synthetic_ct_series};

    #[test]
    fn the_small_ct_decodes_to_its_stored_values_with_a_computed_window() {
        let s = decode_series(&synthetic_ct(), &Limits::default()).unwrap();
        let i = s.info();
        assert_eq!((i.columns, i.rows, i.frames), (4, 4, 1));
        assert_eq!(i.bits_stored, 12);
        assert!(!i.signed && !i.inverted && !i.window_from_header);
        // The file stores 0, 100, …, 1500 and has no rescale: the window spans that range.
        assert_eq!(s.frame(0).unwrap()[15], 1500);
        assert_eq!((i.window_center, i.window_width), (750.0, 1500.0));
        assert_eq!(s.frame_bytes(0).unwrap()[2..4], 100u16.to_le_bytes());
    }

    #[test]
    fn a_multi_frame_series_keeps_rescale_window_and_signed_samples() {
        let bytes = synthetic_ct_series(8, 6, 3);
        let s = decode_series(&bytes, &Limits::default()).unwrap();
        let i = s.info().clone();
        assert_eq!((i.columns, i.rows, i.frames), (8, 6, 3));
        assert!(i.signed, "the series is stored as signed 16-bit");
        assert_eq!((i.rescale_slope, i.rescale_intercept), (1.0, -1024.0));
        assert_eq!((i.window_center, i.window_width), (40.0, 400.0));
        assert!(i.window_from_header);
        assert_eq!(i.modality, "CT");
        // The lesion grows towards the middle slice.
        assert_ne!(s.frame(0).unwrap(), s.frame(1).unwrap());
        // Air outside the body is stored as -1000 + 1024 = 24 (HU -1000).
        assert_eq!(s.frame(1).unwrap()[0] as i16, 24);
    }

    #[test]
    fn a_frame_past_the_last_is_refused() {
        let s = decode_series(&synthetic_ct_series(4, 4, 2), &Limits::default()).unwrap();
        assert_eq!(
            s.frame(2).unwrap_err(),
            PixelError::Frame {
                frame: 2,
                frames: 2
            }
        );
    }

    #[test]
    fn a_file_without_pixels_is_refused() {
        assert!(decode_series(b"not dicom at all", &Limits::default()).is_err());
        assert!(image_size(b"not dicom at all", &Limits::default()).is_err());
    }

    #[test]
    fn the_header_gives_the_size_the_decoded_pixels_have() {
        for bytes in [synthetic_ct(), synthetic_ct_series(8, 6, 3)] {
            let size = image_size(&bytes, &Limits::default()).unwrap();
            let decoded = decode_series(&bytes, &Limits::default()).unwrap();
            let i = decoded.info();
            assert_eq!(
                (size.columns, size.rows, size.frames),
                (i.columns, i.rows, i.frames)
            );
        }
        assert_eq!(
            image_size(&synthetic_ct_series(8, 6, 3), &Limits::default()).unwrap(),
            ImageSize {
                columns: 8,
                rows: 6,
                frames: 3
            }
        );
    }
}
