//! OCR of burned-in text with Debian's `tesseract` command. Pixels go to the child
//! process through a pipe as an in-memory PGM image and the words come back on its
//! standard output as TSV: decoded pixels never touch the disk.

use std::fmt;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::regions::Region;

/// The OCR engine could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OcrError {
    /// The program could not be started (not installed, or not on PATH).
    #[error("the OCR program could not be started")]
    NotFound,
    /// The program ran but failed (for example no `eng` language data).
    #[error("the OCR program failed with exit status {status:?}")]
    Failed {
        /// Exit code, when the program exited normally.
        status: Option<i32>,
    },
    /// The program's output was not the expected TSV.
    #[error("the OCR program's output could not be read")]
    Output,
}

/// Text read by OCR: possibly PHI. `Debug` prints `<redacted>` and there is no
/// `Serialize`; use [`OcrText::expose`] to show it to someone allowed to see it.
#[derive(Clone, PartialEq, Eq)]
pub struct OcrText(String);

impl OcrText {
    /// The text itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OcrText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One word found by OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Frame the word was read in (from 0).
    pub frame: u32,
    /// Bounding box in image pixels.
    pub region: Region,
    /// Tesseract's confidence, 0–100.
    pub confidence: f32,
    /// The word.
    pub text: OcrText,
}

/// How Tesseract looks for text on a page (its `--psm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PageLayout {
    /// Sparse text in no particular order (`--psm 11`): banners and labels on a dark
    /// image, as burned into DICOM.
    #[default]
    Sparse,
    /// Automatic page segmentation (`--psm 3`): blocks of text, as on a label or a form in
    /// a photograph, which sparse mode can miss on a mid-tone background.
    Auto,
}

impl PageLayout {
    fn psm(self) -> &'static str {
        match self {
            PageLayout::Sparse => "11",
            PageLayout::Auto => "3",
        }
    }
}

/// The `tesseract` command-line program (Debian `tesseract-ocr` with
/// `tesseract-ocr-eng`), run with `OMP_THREAD_LIMIT=1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrEngine {
    program: PathBuf,
    language: String,
    layout: PageLayout,
}

impl OcrEngine {
    /// An engine running `program` with English language data.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        OcrEngine {
            program: program.into(),
            language: "eng".to_owned(),
            layout: PageLayout::default(),
        }
    }

    /// The same engine looking for text with `layout`.
    pub fn with_layout(mut self, layout: PageLayout) -> Self {
        self.layout = layout;
        self
    }

    /// `tesseract` from PATH, checked by running `tesseract --version`.
    pub fn detect() -> Result<Self, OcrError> {
        let engine = OcrEngine::new("tesseract");
        let status = Command::new(&engine.program)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|_| OcrError::NotFound)?;
        if !status.success() {
            return Err(OcrError::Failed {
                status: status.code(),
            });
        }
        Ok(engine)
    }

    /// The words of an 8-bit grey image (`columns` × `rows`, row-major). Light text on a
    /// dark background is inverted first, and images are enlarged (3× up to 1400 pixels,
    /// 2× up to 2400): burned-in text is small, and Tesseract reads it far more surely
    /// enlarged (on a real ultrasound banner, confidence 21 at 1× became 88 at 3×). Boxes
    /// are returned in the original image's pixels.
    pub fn words(
        &self,
        gray: &[u8],
        columns: u32,
        rows: u32,
        frame: u32,
    ) -> Result<Vec<Word>, OcrError> {
        let mean = gray.iter().map(|&g| u64::from(g)).sum::<u64>() / gray.len().max(1) as u64;
        let invert = mean < 128;
        let scale = match columns.max(rows) {
            0..1400 => 3,
            1400..2400 => 2,
            _ => 1,
        };
        let (w, h) = (columns * scale, rows * scale);
        let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
        pgm.reserve(w as usize * h as usize);
        for y in 0..h {
            let row = &gray[(y / scale) as usize * columns as usize..][..columns as usize];
            for x in 0..w {
                let g = row[(x / scale) as usize];
                pgm.push(if invert { 255 - g } else { g });
            }
        }
        let mut child = Command::new(&self.program)
            .args([
                "stdin",
                "stdout",
                "--psm",
                self.layout.psm(),
                "-l",
                &self.language,
                "tsv",
            ])
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|_| OcrError::NotFound)?;
        let mut stdin = child.stdin.take().ok_or(OcrError::Output)?;
        let writer = std::thread::spawn(move || {
            let r = stdin.write_all(&pgm);
            drop(stdin);
            r
        });
        let mut tsv = String::new();
        let read = child
            .stdout
            .take()
            .ok_or(OcrError::Output)
            .and_then(|mut out| out.read_to_string(&mut tsv).map_err(|_| OcrError::Output));
        let written = writer.join().map_err(|_| OcrError::Output)?;
        let status = child.wait().map_err(|_| OcrError::Output)?;
        if !status.success() {
            return Err(OcrError::Failed {
                status: status.code(),
            });
        }
        read?;
        written.map_err(|_| OcrError::Output)?;
        parse_tsv(&tsv, scale, frame)
    }
}

/// Words (level 5 rows with text) of Tesseract's TSV output, boxes divided by `scale`.
fn parse_tsv(tsv: &str, scale: u32, frame: u32) -> Result<Vec<Word>, OcrError> {
    let mut lines = tsv.lines();
    let header = lines.next().ok_or(OcrError::Output)?;
    if !header.starts_with("level") {
        return Err(OcrError::Output);
    }
    let mut words = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let text = cols[11].trim();
        if text.is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].parse::<u32>().map_err(|_| OcrError::Output);
        let confidence: f32 = cols[10].parse().map_err(|_| OcrError::Output)?;
        let (left, top, width, height) = (num(6)?, num(7)?, num(8)?, num(9)?);
        words.push(Word {
            frame,
            region: Region {
                x: left / scale,
                y: top / scale,
                width: width.div_ceil(scale),
                height: height.div_ceil(scale),
            },
            confidence,
            text: OcrText(text.to_owned()),
        });
    }
    Ok(words)
}

impl Word {
    /// True for a word that counts as readable text: at least two letters or digits.
    pub fn is_readable(&self) -> bool {
        self.text.0.chars().filter(|c| c.is_alphanumeric()).count() >= 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_are_parsed_and_scaled() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t1024\t1024\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t20\t40\t101\t30\t91.5\tDOE^JOHN\n\
                   5\t1\t1\t1\t1\t2\t200\t40\t10\t30\t12\t \n";
        let words = parse_tsv(tsv, 2, 3).expect("valid TSV");
        assert_eq!(words.len(), 1);
        assert_eq!(
            words[0].region,
            Region {
                x: 10,
                y: 20,
                width: 51,
                height: 15
            }
        );
        assert_eq!(words[0].frame, 3);
        assert_eq!(
            format!("{:?}", words[0].text),
            "<redacted>",
            "no PHI in Debug output"
        );
        assert!(words[0].is_readable());
        assert_eq!(parse_tsv("garbage", 1, 0), Err(OcrError::Output));
    }

    #[test]
    fn a_missing_program_is_a_clear_error() {
        let e = OcrEngine::new("/nonexistent/tesseract");
        assert_eq!(e.words(&[0; 4], 2, 2, 0), Err(OcrError::NotFound));
    }
}
