//! Prints the agreement report for a ratings CSV, with the arguments of the final CLI:
//! `agreement_report --input FILE.csv [--level nominal|ordinal|interval] --format json`.
//!
//! The reference tests (tests/reference/agreement) and scripts/bench/agreement run it when
//! `airlock` itself is not given. With `--repeat N` it also times N computations of the
//! report on the parsed table and prints `{"parse_ms": .., "report_ms": ..}` to stderr.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use airlock_agreement::{read_ratings_csv, Level, Report};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut input = None;
    let mut level = Level::Nominal;
    let mut repeat = 0u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--input" => input = Some(value()?),
            "--level" => level = value()?.parse().map_err(|e| format!("{e}"))?,
            "--format" => {
                if value()? != "json" {
                    return Err("only --format json is supported".into());
                }
            }
            "--repeat" => repeat = value()?.parse().map_err(|_| "--repeat needs a count")?,
            _ => return Err("unknown argument (expected --input, --level, --format)".into()),
        }
    }
    let path = input.ok_or("--input FILE.csv is required")?;
    let file = File::open(&path).map_err(|e| format!("could not open the input: {e}"))?;
    let start = Instant::now();
    let table = read_ratings_csv(BufReader::new(file), level).map_err(|e| e.to_string())?;
    let parse_ms = start.elapsed().as_secs_f64() * 1e3;
    let report = Report::for_table(&table);
    if repeat > 0 {
        let start = Instant::now();
        for _ in 0..repeat {
            std::hint::black_box(Report::for_table(std::hint::black_box(&table)));
        }
        let report_ms = start.elapsed().as_secs_f64() * 1e3 / f64::from(repeat);
        eprintln!("{{\"parse_ms\": {parse_ms:.3}, \"report_ms\": {report_ms:.3}}}");
    }
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}
