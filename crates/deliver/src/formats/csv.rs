//! CSV (RFC 4180) for classifications: one row per label.
//!
//! Columns: `item_id,file,annotator,gold,label`. CRLF line ends, a header row, fields
//! quoted only when they hold a comma, quote, CR or LF (quotes doubled), UTF-8 without a
//! byte-order mark. `file` and `annotator` are empty when absent; `gold` is `true` or
//! `false`. Values are written as given: a spreadsheet may interpret a label starting with
//! `=`, `+`, `-` or `@` as a formula, so label schemas should not use such labels.

use super::FormatError;
use std::io::Write;

/// One classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassificationRow {
    /// The item's id.
    pub item_id: String,
    /// Its content's path inside the bag's `data/`, if delivered.
    pub file: Option<String>,
    /// Who gave it (a pseudonymous annotator code), if the export says.
    pub annotator: Option<String>,
    /// Whether it is the adjudicated gold label.
    pub gold: bool,
    /// The class.
    pub label: String,
}

/// The header row.
pub const CSV_HEADER: [&str; 5] = ["item_id", "file", "annotator", "gold", "label"];

/// Writes `rows` as CSV. Checks every row first (an empty label or item id is refused),
/// so bad input leaves `out` untouched.
pub fn write_csv(out: &mut impl Write, rows: &[ClassificationRow]) -> Result<(), FormatError> {
    if let Some(i) = rows
        .iter()
        .position(|r| r.label.is_empty() || r.item_id.is_empty())
    {
        return Err(FormatError::InvalidValue { record: i + 1 });
    }
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    let to_io = |e: ::csv::Error| std::io::Error::other(e.to_string());
    w.write_record(CSV_HEADER).map_err(to_io)?;
    for r in rows {
        w.write_record([
            r.item_id.as_str(),
            r.file.as_deref().unwrap_or(""),
            r.annotator.as_deref().unwrap_or(""),
            if r.gold { "true" } else { "false" },
            r.label.as_str(),
        ])
        .map_err(to_io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    out.write_all(&bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4180_quoting_and_crlf() {
        let rows = vec![
            ClassificationRow {
                item_id: "i1".into(),
                file: Some("items/i1.txt".into()),
                annotator: Some("A1".into()),
                gold: false,
                label: "a,b".into(),
            },
            ClassificationRow {
                item_id: "i2".into(),
                file: None,
                annotator: None,
                gold: true,
                label: "say \"hi\"\nnow".into(),
            },
        ];
        let mut out = Vec::new();
        write_csv(&mut out, &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "item_id,file,annotator,gold,label\r\ni1,items/i1.txt,A1,false,\"a,b\"\r\ni2,,,true,\"say \"\"hi\"\"\nnow\"\r\n"
        );
        let mut out = Vec::new();
        let bad = ClassificationRow {
            label: String::new(),
            ..rows[0].clone()
        };
        assert!(matches!(
            write_csv(&mut out, &[rows[0].clone(), bad]),
            Err(FormatError::InvalidValue { record: 2 })
        ));
        assert!(out.is_empty());
    }
}
