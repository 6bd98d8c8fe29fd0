//! A one-line progress display on stderr, shown only when stderr is a terminal.

use airlock_app::json::IngestProgress;
use std::io::{IsTerminal, Write};

/// Formats a byte count for people (binary units).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Draws ingest progress in place; does nothing when stderr is not a terminal.
pub struct Bar {
    on: bool,
}

impl Bar {
    /// A bar on stderr, if it is a terminal.
    pub fn new() -> Bar {
        Bar {
            on: std::io::stderr().is_terminal(),
        }
    }

    /// Redraws the line.
    pub fn update(&self, p: &IngestProgress) {
        if !self.on {
            return;
        }
        let secs = (p.elapsed_ms as f64 / 1000.0).max(0.001);
        let rate = p.bytes_done as f64 / secs;
        let eta = if rate > 0.0 && p.bytes_total > p.bytes_done {
            let s = ((p.bytes_total - p.bytes_done) as f64 / rate) as u64;
            format!("ETA {}:{:02}", s / 60, s % 60)
        } else {
            String::new()
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2KReceiving {}/{} files  {} of {}  {}/s  {}",
            p.files_done,
            p.files_total,
            bytes(p.bytes_done),
            bytes(p.bytes_total),
            bytes(rate as u64),
            eta
        );
        let _ = err.flush();
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.on {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_counts_read_naturally() {
        assert_eq!(super::bytes(512), "512 B");
        assert_eq!(super::bytes(1536), "1.5 KiB");
        assert_eq!(super::bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
