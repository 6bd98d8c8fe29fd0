//! Classifying raw input before de-identification, so that a batch can report a bad
//! file in one clear sentence and carry on with the rest.

/// Inputs larger than this (64 MiB) are refused.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Why a document cannot be de-identified as text. Messages carry offsets and sizes,
/// never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Zero bytes.
    #[error("the document is empty")]
    Empty,
    /// Over [`MAX_INPUT_BYTES`].
    #[error("the document is too large ({len} bytes; the limit is {limit} bytes)")]
    TooLarge {
        /// Size of the input in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Not UTF-8 text.
    #[error("the document is not UTF-8 text (invalid byte at offset {offset}, line {line})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
    },
    /// Binary data: a NUL byte, or mostly control characters.
    #[error("the document looks binary, not text (control byte at offset {offset})")]
    Binary {
        /// Byte offset of the first NUL or control byte that decided it.
        offset: usize,
    },
}

/// Check that `bytes` is a plausible text document and return it as `&str`.
///
/// Refuses empty input, input over [`MAX_INPUT_BYTES`], invalid UTF-8, and binary data
/// (any NUL byte, or more than 10% control characters other than tab, newline,
/// carriage return and form feed in the first 64 KiB). A UTF-8 byte-order mark is kept
/// as part of the text.
pub fn check_input(bytes: &[u8]) -> Result<&str, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            len: bytes.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(InputError::Binary { offset });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
        InputError::NotUtf8 { offset, line }
    })?;
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let is_control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c) || b == 0x7f;
    let controls = head.iter().filter(|&&b| is_control(b)).count();
    if controls * 10 > head.len() {
        let offset = head.iter().position(|&b| is_control(b)).unwrap_or(0);
        return Err(InputError::Binary { offset });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_bad_input() {
        assert_eq!(check_input(b""), Err(InputError::Empty));
        assert_eq!(
            check_input(b"ok\n\xff"),
            Err(InputError::NotUtf8 { offset: 3, line: 2 })
        );
        assert_eq!(
            check_input(b"ab\0cd"),
            Err(InputError::Binary { offset: 2 })
        );
        assert!(matches!(
            check_input(&[1u8, 2, 3, 4, b'a']),
            Err(InputError::Binary { .. })
        ));
        assert_eq!(
            check_input("Caf\u{e9}\tnote\r\n".as_bytes()),
            Ok("Caf\u{e9}\tnote\r\n")
        );
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert!(matches!(
            check_input(&big),
            Err(InputError::TooLarge { .. })
        ));
    }

    #[test]
    fn messages_carry_no_content() {
        let msg = check_input(b"John Smith \xff").unwrap_err().to_string();
        assert!(
            !msg.contains("John"),
            "error messages must not quote the input"
        );
    }
}
