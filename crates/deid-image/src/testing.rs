//! Synthetic images with metadata, for tests and the demo (invented names only).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, RgbImage};

/// A soft colour gradient with a darker disc in the middle (something to label), `width` ×
/// `height`, with `banner` (8-bit grey, `banner_width` wide, white text on black) pasted
/// into its top-left corner when given.
pub fn synthetic_photo(width: u32, height: u32, banner: Option<(&[u8], u32)>) -> RgbImage {
    let (cx, cy) = (width as f32 * 0.55, height as f32 * 0.6);
    let radius = width.min(height) as f32 * 0.18;
    let mut img = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        let shade = if d < radius { 0.55 } else { 1.0 };
        image::Rgb([
            ((200.0 - 40.0 * fy) * shade) as u8,
            ((150.0 + 30.0 * fx) * shade) as u8,
            ((130.0 + 20.0 * fy) * shade) as u8,
        ])
    });
    if let Some((grey, bw)) = banner {
        let bh = grey.len() as u32 / bw.max(1);
        for y in 0..bh.min(height) {
            for x in 0..bw.min(width) {
                let g = grey[(y * bw + x) as usize];
                img.put_pixel(x, y, image::Rgb([g, g, g]));
            }
        }
    }
    img
}

/// A PNG of [`synthetic_photo`] with one `tEXt` chunk (`keyword`, `text`) after its header.
pub fn png_with_text_chunk(width: u32, height: u32, keyword: &str, text: &str) -> Vec<u8> {
    let mut data = keyword.as_bytes().to_vec();
    data.push(0);
    data.extend_from_slice(text.as_bytes());
    png_with_chunk(&synthetic_photo(width, height, None), b"tEXt", &data)
}

/// `img` as PNG with one extra chunk inserted after `IHDR` (with its CRC).
pub fn png_with_chunk(img: &RgbImage, kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(img.clone())
        .write_with_encoder(PngEncoder::new(&mut png))
        .expect("PNG encodes in memory");
    // Signature (8) + IHDR chunk (4 + 4 + 13 + 4).
    let at = 8 + 25;
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    png.splice(at..at, chunk);
    png
}

/// A JPEG of [`synthetic_photo`] (`width` × `height` as stored) with an EXIF segment that
/// holds an orientation (1–8) and an image description.
pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16, description: &str) -> Vec<u8> {
    jpeg_of(
        &synthetic_photo(width, height, None),
        orientation,
        description,
    )
}

/// `img` as JPEG (quality 90) with an EXIF segment holding `orientation` and
/// `description`, and a comment repeating the description.
pub fn jpeg_of(img: &RgbImage, orientation: u16, description: &str) -> Vec<u8> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 90)
        .encode_image(img)
        .expect("JPEG encodes in memory");
    let mut desc = description.as_bytes().to_vec();
    desc.push(0);
    // TIFF header (big-endian), one IFD of two entries at offset 8, then the string.
    let string_at: u32 = 8 + 2 + 2 * 12 + 4;
    let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
    tiff.extend(2u16.to_be_bytes());
    tiff.extend([0x01, 0x0E, 0, 2]);
    tiff.extend((desc.len() as u32).to_be_bytes());
    tiff.extend(string_at.to_be_bytes());
    tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0]);
    tiff.extend([0, 0, 0, 0]);
    tiff.extend(&desc);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let segment = |marker: u8, data: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend(((data.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(data);
        s
    };
    let mut extra = segment(0xE1, &app1);
    extra.extend(segment(0xFE, description.as_bytes()));
    jpeg.splice(2..2, extra);
    jpeg
}

/// CRC-32 (ISO 3309, as PNG uses), bit by bit: test data is small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_the_png_specification_example() {
        // The CRC of an IEND chunk's type, as every PNG ends with it.
        assert_eq!(super::crc32(b"IEND"), 0xAE42_6082);
    }
}
