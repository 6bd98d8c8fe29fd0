//! Writes a synthetic multi-frame CT series (no real patient data) for benchmarks and demos:
//! `cargo run -p airlock-deid-dicom --example synthetic_ct -- COLUMNS ROWS FRAMES OUT.dcm`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [columns, rows, frames, out] = args.as_slice() else {
        eprintln!("usage: synthetic_ct COLUMNS ROWS FRAMES OUT.dcm");
        std::process::exit(2);
    };
    let n = |s: &String| -> u16 {
        s.parse().unwrap_or_else(|_| {
            eprintln!("synthetic_ct: sizes are numbers from 1 to 65535");
            std::process::exit(2)
        })
    };
    let bytes = airlock_deid_dicom::testing::synthetic_ct_series(n(columns), n(rows), n(frames));
    if let Err(e) = std::fs::write(out, bytes) {
        eprintln!("synthetic_ct: the file could not be written: {e}");
        std::process::exit(1);
    }
}
