//! Commands that work on files alone, with no vault and no login: agreement over a CSV
//! of ratings from anywhere. (Receipt and bag checks live beside their use cases.)

use crate::error::{sentence, AppError, ErrorCode};
use airlock_agreement::{report_from_csv, Level, Report};
use std::path::Path;

/// Inter-annotator agreement over a CSV with columns `item,annotator,label`.
pub fn agreement_from_csv(path: &Path, level: Level) -> Result<Report, AppError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AppError::new(ErrorCode::NotFound, "The ratings file does not exist.")
        }
        _ => AppError::invalid("The ratings file cannot be read."),
    })?;
    report_from_csv(std::io::BufReader::new(file), level)
        .map_err(|e| AppError::invalid(sentence(&e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_reads_a_file_and_names_bad_lines_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "item,annotator,label\n1,a,x\n1,b,x\n2,a,y\n2,b,y\n").unwrap();
        let r = agreement_from_csv(&p, Level::Nominal).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["percent_agreement"], 1.0);
        std::fs::write(&p, "item,annotator,label\n1,a\n").unwrap();
        let e = agreement_from_csv(&p, Level::Nominal).unwrap_err();
        assert!(e.message.to_lowercase().contains("line 2"), "{}", e.message);
        let missing = agreement_from_csv(&dir.path().join("none.csv"), Level::Nominal).unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);
    }
}
