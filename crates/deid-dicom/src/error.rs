//! [`DicomDeidError`]: one clear error per file. Variants carry offsets, tags and counts,
//! never attribute values, so messages and logs cannot leak PHI.

use crate::ocr::OcrError;
use crate::pixels::PixelError;
use crate::policy::PolicyError;

/// Why a file could not be de-identified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DicomDeidError {
    /// The input is larger than [`crate::Limits::max_input_bytes`].
    #[error("the file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// Neither a `DICM` marker nor a recognisable data set at the start of the file.
    #[error("not a DICOM file")]
    NotDicom,
    /// The file meta information (group 0002) is malformed.
    #[error("the file meta information is malformed at byte {offset}")]
    BadMeta {
        /// Byte offset of the faulty element.
        offset: u64,
    },
    /// An element declares more bytes than its container holds.
    #[error(
        "element ({group:04X},{element:04X}) at byte {offset} declares {declared} bytes \
         but only {available} remain"
    )]
    BadLength {
        /// Group of the element.
        group: u16,
        /// Element number.
        element: u16,
        /// Byte offset of the element header.
        offset: u64,
        /// Declared value length.
        declared: u64,
        /// Bytes left in the enclosing container.
        available: u64,
    },
    /// A binary value's length is not a multiple of its VR's value size (a wrong VR, or a
    /// corrupt length): the parser would read the rest as the next element.
    #[error(
        "element ({group:04X},{element:04X}) at byte {offset} has {declared} bytes, \
         not a multiple of its {size}-byte values"
    )]
    ValueLength {
        /// Group of the element.
        group: u16,
        /// Element number.
        element: u16,
        /// Byte offset of the element header.
        offset: u64,
        /// Declared value length.
        declared: u64,
        /// Size of one value of the VR.
        size: u8,
    },
    /// The data set ends in the middle of an element header or of a sequence.
    #[error("the file is truncated at byte {offset}")]
    Truncated {
        /// Byte offset where more data was expected.
        offset: u64,
    },
    /// A delimiter or item appears where the encoding does not allow it.
    #[error("unexpected item or delimiter at byte {offset}")]
    Structure {
        /// Byte offset of the item or delimiter.
        offset: u64,
    },
    /// Sequences are nested deeper than [`crate::Limits::max_depth`].
    #[error("sequences are nested deeper than {limit} levels")]
    TooDeep {
        /// The limit in force.
        limit: u32,
    },
    /// More data elements than [`crate::Limits::max_elements`].
    #[error("the file has more than {limit} data elements")]
    TooManyElements {
        /// The limit in force.
        limit: u64,
    },
    /// The transfer syntax is unknown or cannot be read (a UID is not PHI).
    #[error("transfer syntax {uid} is not supported")]
    UnsupportedTransferSyntax {
        /// The transfer syntax UID.
        uid: String,
    },
    /// A deflated data set does not inflate, or inflates past the limit.
    #[error("the deflated data set is corrupt or inflates past {limit} bytes")]
    Inflate {
        /// The limit in force.
        limit: u64,
    },
    /// The data set passed the structural checks but the DICOM parser refused it (for
    /// example a value that does not fit its VR). The parser's own message is not kept:
    /// it can quote values.
    #[error("the data set could not be parsed")]
    Parse,
    /// The data set has no SOP Class UID, so no valid file meta information can be made.
    #[error("the data set has no SOP Class UID")]
    MissingSopClass,
    /// A DICOMDIR (Media Storage Directory): its byte offsets cannot survive changed
    /// lengths; de-identify the referenced files and build a new DICOMDIR instead.
    #[error("DICOMDIR files are not de-identified (their offsets would break)")]
    DicomDir,
    /// Writing the de-identified data set failed.
    #[error("the de-identified data set could not be written")]
    Write,
    /// The policy cannot be applied.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Pixel data could not be cleaned.
    #[error(transparent)]
    Pixels(#[from] PixelError),
    /// OCR was needed (proposal, automatic cleaning or re-scan) and failed.
    #[error(transparent)]
    Ocr(#[from] OcrError),
}
