//! Reading `item,annotator,label` CSV (RFC 4180) into a [`RatingsTable`].

use std::io::{self, Read};

use crate::report::Report;
use crate::table::{Field, Level, RatingError, RatingsTable, RatingsTableBuilder};

/// Bounds on CSV input, so that a hostile or mistaken file is refused instead of exhausting
/// memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvLimits {
    /// Most data rows (ratings). Default 2,000,000.
    pub max_ratings: usize,
    /// Longest field, in bytes. Default 256.
    pub max_field_bytes: usize,
    /// Most bytes read from the input. Default 256 MiB.
    pub max_input_bytes: u64,
}

impl Default for CsvLimits {
    fn default() -> Self {
        CsvLimits {
            max_ratings: 2_000_000,
            max_field_bytes: 256,
            max_input_bytes: 256 << 20,
        }
    }
}

/// A ratings CSV that cannot be read. Lines are 1-based (the header is line 1); no variant
/// carries field contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The reader failed.
    #[error("could not read the input")]
    Read(#[source] io::Error),
    /// There is no header row.
    #[error("the input is empty: a header row item,annotator,label is required")]
    MissingHeader,
    /// The header does not name exactly the columns `item`, `annotator` and `label`.
    #[error("the header must name exactly the columns item, annotator and label (any order)")]
    BadHeader,
    /// A row does not have three fields.
    #[error("line {line}: expected 3 fields, found {found}")]
    FieldCount {
        /// Line of the row.
        line: u64,
        /// Fields found.
        found: usize,
    },
    /// A row is not valid UTF-8.
    #[error("line {line}: the row is not valid UTF-8")]
    NotUtf8 {
        /// Line of the row.
        line: u64,
    },
    /// A field is empty.
    #[error("line {line}: the {field} is empty")]
    EmptyField {
        /// Line of the row.
        line: u64,
        /// The empty field.
        field: Field,
    },
    /// A field is longer than [`CsvLimits::max_field_bytes`].
    #[error("line {line}: the {field} is longer than {max} bytes")]
    FieldTooLong {
        /// Line of the row.
        line: u64,
        /// The long field.
        field: Field,
        /// The limit.
        max: usize,
    },
    /// A label is not a finite number at a numeric level.
    #[error("line {line}: the label is not a finite number (level {level} needs numbers)")]
    NotNumeric {
        /// Line of the row.
        line: u64,
        /// The level asked for.
        level: Level,
    },
    /// The same annotator rated the same item twice.
    #[error("line {line}: this annotator already rated this item on line {first_line}")]
    Duplicate {
        /// Line of the second rating.
        line: u64,
        /// Line of the first rating.
        first_line: u64,
    },
    /// More rows than [`CsvLimits::max_ratings`].
    #[error("more than {max} ratings")]
    TooManyRatings {
        /// The limit.
        max: usize,
    },
    /// More bytes than [`CsvLimits::max_input_bytes`].
    #[error("the input is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// The ratings do not fit a table.
    #[error("line {line}: the table is full")]
    TableFull {
        /// Line of the row.
        line: u64,
    },
}

/// Reads a ratings CSV with the default [`CsvLimits`].
///
/// The first row is a header naming the columns `item`, `annotator` and `label` in any order
/// (case-insensitive, surrounding spaces and a UTF-8 byte order mark ignored). Every later row
/// is one rating; fields are trimmed of surrounding whitespace and must not be empty. At
/// `nominal` level labels are compared as text (`1` and `1.0` are two labels); at `ordinal`
/// and `interval` level they must be finite numbers and are compared by value. An annotator
/// may rate an item once. A missing rating is simply an absent row.
pub fn read_ratings_csv<R: Read>(reader: R, level: Level) -> Result<RatingsTable, CsvError> {
    read_ratings_csv_with_limits(reader, level, CsvLimits::default())
}

/// Reads a ratings CSV within `limits` (see [`read_ratings_csv`]).
pub fn read_ratings_csv_with_limits<R: Read>(
    reader: R,
    level: Level,
    limits: CsvLimits,
) -> Result<RatingsTable, CsvError> {
    let bounded = Bounded {
        inner: reader,
        remaining: limits.max_input_bytes,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bounded);
    let io_error = |e: csv::Error, limits: &CsvLimits| match e.into_kind() {
        csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|r| r.is::<InputTooLarge>()) => {
            CsvError::TooLarge {
                max: limits.max_input_bytes,
            }
        }
        csv::ErrorKind::Io(e) => CsvError::Read(e),
        _ => CsvError::Read(io::Error::other("malformed CSV")),
    };

    let mut record = csv::ByteRecord::new();
    if !csv
        .read_byte_record(&mut record)
        .map_err(|e| io_error(e, &limits))?
    {
        return Err(CsvError::MissingHeader);
    }
    let columns = header_columns(&record).ok_or(CsvError::BadHeader)?;

    let mut builder = RatingsTableBuilder::new(level);
    // Line of each accepted rating, to name the first line of a duplicate.
    let mut lines: Vec<u64> = Vec::new();
    loop {
        let more = csv
            .read_byte_record(&mut record)
            .map_err(|e| io_error(e, &limits))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
            // A blank line (the csv crate skips most; be explicit about the rest).
            continue;
        }
        if record.len() != 3 {
            return Err(CsvError::FieldCount {
                line,
                found: record.len(),
            });
        }
        if lines.len() >= limits.max_ratings {
            return Err(CsvError::TooManyRatings {
                max: limits.max_ratings,
            });
        }
        let mut fields = [""; 3];
        for (slot, field) in [Field::Item, Field::Annotator, Field::Label]
            .into_iter()
            .enumerate()
        {
            let raw = &record[columns[slot]];
            if raw.len() > limits.max_field_bytes {
                return Err(CsvError::FieldTooLong {
                    line,
                    field,
                    max: limits.max_field_bytes,
                });
            }
            fields[slot] = std::str::from_utf8(raw)
                .map_err(|_| CsvError::NotUtf8 { line })?
                .trim();
        }
        match builder.rate(fields[0], fields[1], fields[2]) {
            Ok(_) => lines.push(line),
            Err(RatingError::EmptyField { field }) => {
                return Err(CsvError::EmptyField { line, field })
            }
            Err(RatingError::NotNumeric) => return Err(CsvError::NotNumeric { line, level }),
            Err(RatingError::DuplicateRating { first }) => {
                return Err(CsvError::Duplicate {
                    line,
                    first_line: lines[first - 1],
                })
            }
            Err(_) => return Err(CsvError::TableFull { line }),
        }
    }
    Ok(builder.build())
}

/// Reads a ratings CSV and computes the agreement [`Report`] at `level`: what
/// `airlock agreement --input FILE.csv --level LEVEL --format json` prints.
///
/// ```
/// let csv = "item,annotator,label\n1,A,yes\n1,B,yes\n2,A,no\n2,B,yes\n";
/// let report = airlock_agreement::report_from_csv(csv.as_bytes(), airlock_agreement::Level::Nominal)?;
/// assert_eq!(report.percent_agreement.value, Some(0.5));
/// assert!(report.cohen_kappa.is_some(), "exactly two annotators");
/// # Ok::<(), airlock_agreement::CsvError>(())
/// ```
pub fn report_from_csv<R: Read>(reader: R, level: Level) -> Result<Report, CsvError> {
    let table = read_ratings_csv(reader, level)?;
    Ok(Report::for_table(&table))
}

/// Column positions of item, annotator and label, if the header names exactly those.
fn header_columns(record: &csv::ByteRecord) -> Option<[usize; 3]> {
    if record.len() != 3 {
        return None;
    }
    let mut columns = [usize::MAX; 3];
    for (i, raw) in record.iter().enumerate() {
        let name = std::str::from_utf8(raw).ok()?;
        let name = name
            .trim_start_matches('\u{feff}')
            .trim()
            .to_ascii_lowercase();
        let slot = match name.as_str() {
            "item" => 0,
            "annotator" => 1,
            "label" => 2,
            _ => return None,
        };
        if columns[slot] != usize::MAX {
            return None;
        }
        columns[slot] = i;
    }
    Some(columns)
}

/// Marks the I/O error raised when the input exceeds [`CsvLimits::max_input_bytes`].
#[derive(Debug)]
struct InputTooLarge;

impl std::fmt::Display for InputTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("input too large")
    }
}

impl std::error::Error for InputTooLarge {}

/// A reader that fails once more than `remaining` bytes would be read.
struct Bounded<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(InputTooLarge)),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str, level: Level) -> Result<RatingsTable, CsvError> {
        read_ratings_csv(s.as_bytes(), level)
    }

    #[test]
    fn reads_quoted_fields_any_column_order_and_a_bom() {
        let t = read(
            "\u{feff}Label , item,annotator\n\"yes, definitely\",\"note \"\"1\"\"\",A\nno,n2,B\n",
            Level::Nominal,
        )
        .unwrap();
        assert_eq!(t.items(), ["note \"1\"", "n2"]);
        assert_eq!(t.labels(), ["no", "yes, definitely"]);
        assert_eq!(t.annotators(), ["A", "B"]);
    }

    #[test]
    fn crlf_and_trailing_blank_lines_are_fine() {
        let t = read(
            "item,annotator,label\r\n1,A,x\r\n1,B,y\r\n\r\n",
            Level::Nominal,
        )
        .unwrap();
        assert_eq!(t.n_ratings(), 2);
    }

    #[test]
    fn errors_name_lines_not_contents() {
        let secret = "MRN-0042-Jane-Doe";
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "the input is empty"),
            (format!("item,annotator,{secret}\n"), "the header must name"),
            (
                format!("item,annotator,label\n1,A,x\n{secret},B\n"),
                "line 3: expected 3 fields, found 2",
            ),
            (
                format!("item,annotator,label\n1,A,x\n{secret},B,\n"),
                "line 3: the label is empty",
            ),
            (
                format!("item,annotator,label\n{secret},A,x\n2,A,y\n{secret},A,z\n"),
                "line 4: this annotator already rated this item on line 2",
            ),
            (
                format!("item,annotator,label\n{secret},A,{secret}\n"),
                "line 2: the label is not a finite number (level interval needs numbers)",
            ),
        ];
        for (input, expected) in cases {
            let level = if expected.contains("finite") {
                Level::Interval
            } else {
                Level::Nominal
            };
            let message = read(&input, level).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{message}");
            assert!(
                !message.contains(secret),
                "error messages must not echo input: {message}"
            );
        }
    }

    #[test]
    fn limits_are_enforced() {
        let limits = CsvLimits {
            max_ratings: 2,
            max_field_bytes: 4,
            max_input_bytes: 64,
        };
        let too_many = "item,annotator,label\n1,A,x\n1,B,x\n1,C,x\n";
        assert!(matches!(
            read_ratings_csv_with_limits(too_many.as_bytes(), Level::Nominal, limits),
            Err(CsvError::TooManyRatings { max: 2 })
        ));
        let too_long = "item,annotator,label\n12345,A,x\n";
        assert!(matches!(
            read_ratings_csv_with_limits(too_long.as_bytes(), Level::Nominal, limits),
            Err(CsvError::FieldTooLong {
                line: 2,
                field: Field::Item,
                max: 4
            })
        ));
        let rows: String = (10..40).map(|i| format!("{i},A,x\n")).collect();
        let big = format!("item,annotator,label\n{rows}");
        let roomy = CsvLimits {
            max_ratings: 100,
            ..limits
        };
        assert!(matches!(
            read_ratings_csv_with_limits(big.as_bytes(), Level::Nominal, roomy),
            Err(CsvError::TooLarge { max: 64 })
        ));
    }

    #[test]
    fn invalid_utf8_is_an_error_with_its_line() {
        let mut input = b"item,annotator,label\n1,A,x\n2,A,".to_vec();
        input.extend_from_slice(&[0xff, 0xfe, b'\n']);
        assert!(matches!(
            read_ratings_csv(&input[..], Level::Nominal),
            Err(CsvError::NotUtf8 { line: 3 })
        ));
    }
}
