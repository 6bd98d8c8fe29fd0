//! Splitting CSV and JSON Lines files into items: each data row (CSV) or non-blank line
//! (JSONL) is one item whose text is a configured column or field. Errors name record
//! or line numbers, never values.

use serde::{Deserialize, Serialize};

/// Column or field names tried, in order, when none is configured.
pub const DEFAULT_TEXT_FIELDS: [&str; 5] = ["text", "note", "note_text", "report", "body"];

/// Which column (CSV) or field (JSONL) holds an item's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowConfig {
    /// CSV column header; `None` tries [`DEFAULT_TEXT_FIELDS`].
    pub csv_column: Option<String>,
    /// JSONL field; `None` tries [`DEFAULT_TEXT_FIELDS`].
    pub jsonl_field: Option<String>,
}

/// One item cut from a file.
#[derive(Clone, PartialEq, Eq)]
pub struct Row {
    /// CSV: 1-based data record number (header excluded). JSONL: 1-based line number.
    pub index: u64,
    /// The item's text.
    pub text: String,
}

/// The row's text is clinical content: never print it.
impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Row({}, <{} bytes>)", self.index, self.text.len())
    }
}

/// Why a file could not be split into items.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// No column/field with the configured (or a default) name.
    #[error("no text column or field was found (looked for {0}); configure one")]
    NoTextField(String),
    /// A CSV record is malformed (unbalanced quotes, wrong field count…).
    #[error("CSV record {0} is malformed")]
    Csv(u64),
    /// A JSONL line is not a JSON object.
    #[error("JSONL line {0} is not a JSON object")]
    NotJson(u64),
    /// A JSONL line lacks the text field, or it is not a string.
    #[error("JSONL line {0} has no text field with a string value")]
    FieldMissing(u64),
    /// The file has no rows.
    #[error("the file has no data rows")]
    Empty,
}

fn wanted(config: Option<&str>) -> Vec<String> {
    match config {
        Some(c) => vec![c.to_string()],
        None => DEFAULT_TEXT_FIELDS.iter().map(|s| s.to_string()).collect(),
    }
}

/// Splits CSV bytes (header row required) into rows of the text column.
pub fn csv_rows(bytes: &[u8], column: Option<&str>) -> Result<Vec<Row>, RowError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers = reader.headers().map_err(|_| RowError::Csv(0))?.clone();
    let names = wanted(column);
    let col = names
        .iter()
        .find_map(|n| {
            headers.iter().position(|h| {
                h.trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(n)
            })
        })
        .ok_or_else(|| RowError::NoTextField(names.join(", ")))?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let index = i as u64 + 1;
        let record = record.map_err(|_| RowError::Csv(index))?;
        let text = record.get(col).ok_or(RowError::Csv(index))?;
        rows.push(Row {
            index,
            text: text.to_string(),
        });
    }
    if rows.is_empty() {
        return Err(RowError::Empty);
    }
    Ok(rows)
}

/// Splits JSON Lines bytes into rows of the text field (blank lines are skipped).
pub fn jsonl_rows(bytes: &[u8], field: Option<&str>) -> Result<Vec<Row>, RowError> {
    let names = wanted(field);
    let mut chosen: Option<String> = None;
    let mut rows = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let index = i as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_slice(line).map_err(|_| RowError::NotJson(index))?;
        let obj = value.as_object().ok_or(RowError::NotJson(index))?;
        let key = match &chosen {
            Some(k) => k.clone(),
            None => {
                let k = names
                    .iter()
                    .find(|n| obj.contains_key(n.as_str()))
                    .ok_or_else(|| RowError::NoTextField(names.join(", ")))?
                    .clone();
                chosen = Some(k.clone());
                k
            }
        };
        let text = obj
            .get(&key)
            .and_then(|v| v.as_str())
            .ok_or(RowError::FieldMissing(index))?;
        rows.push(Row {
            index,
            text: text.to_string(),
        });
    }
    if rows.is_empty() {
        return Err(RowError::Empty);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_use_the_text_column_and_keep_quoted_newlines() {
        let csv = b"id,Text,site\n1,\"Synthetic note,\nline two\",A\n2,second,B\n";
        let rows = csv_rows(csv, None).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "Synthetic note,\nline two");
        assert_eq!(rows[1].index, 2);
        assert_eq!(csv_rows(csv, Some("site")).unwrap()[1].text, "B");
        assert!(matches!(
            csv_rows(csv, Some("nope")),
            Err(RowError::NoTextField(_))
        ));
        assert_eq!(
            csv_rows(b"id,text\n1,a\n2,b,extra\n", None),
            Err(RowError::Csv(2))
        );
        assert_eq!(csv_rows(b"id,text\n", None), Err(RowError::Empty));
    }

    #[test]
    fn jsonl_rows_skip_blank_lines_and_name_bad_ones() {
        let j = b"{\"text\":\"a\"}\n\n{\"text\":\"b\",\"x\":1}\r\n";
        let rows = jsonl_rows(j, None).unwrap();
        assert_eq!(rows.iter().map(|r| r.index).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(
            jsonl_rows(b"{\"text\":\"a\"}\n[1]\n", None),
            Err(RowError::NotJson(2))
        );
        assert_eq!(
            jsonl_rows(b"{\"text\":\"a\"}\n{\"text\":5}\n", None),
            Err(RowError::FieldMissing(2))
        );
        let secret = jsonl_rows(b"{\"text\":\"Jane Roe\"}\n", None).unwrap();
        assert_eq!(format!("{:?}", secret[0]), "Row(1, <8 bytes>)");
    }
}
