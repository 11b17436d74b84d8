//! `cargo bench -p emulator --bench export`: rows per second writing a 1,000,000-profile
//! audience in each format and compression, median of five rounds. Written to a temporary folder on the
//! target's disk, so the figure includes the file system.

use std::time::Instant;

use emulator::export::{Compression, ExportRequest, FileType, ROWS_PER_FILE, write_export};

const ROWS: u64 = 1_000_000;
const ROUNDS: usize = 5;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut figures = serde_json::Map::new();
    for (label, file_type, compression) in [
        ("CSV", FileType::Csv, Compression::None),
        ("CSV+GZIP", FileType::Csv, Compression::Gzip),
        ("JSON", FileType::Json, Compression::None),
        ("PARQUET", FileType::Parquet, Compression::None),
        ("PARQUET+GZIP", FileType::Parquet, Compression::Gzip),
    ] {
        let mut rates = Vec::new();
        let mut bytes = 0;
        for round in 0..ROUNDS {
            let base_name = format!("bench_{round}");
            let started = Instant::now();
            let result = write_export(&ExportRequest {
                dir: dir.path(),
                base_name: &base_name,
                segment_id: "bench-segment",
                rows: ROWS,
                file_type,
                compression,
                rows_per_file: ROWS_PER_FILE,
            })
            .expect("the export is written");
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(result.rows, ROWS);
            bytes = result.bytes;
            rates.push(ROWS as f64 / seconds);
            for file in result.files {
                std::fs::remove_file(file).expect("the file is removed");
            }
        }
        rates.sort_by(f64::total_cmp);
        figures.insert(
            label.to_owned(),
            serde_json::json!({"rows": ROWS, "median_rows_per_second": rates[ROUNDS / 2], "min": rates[0], "max": rates[ROUNDS - 1], "bytes": bytes}),
        );
        println!(
            "export {label:<12} {ROWS} rows: median {:>9.0} rows/s (min {:>9.0}, max {:>9.0}), {:.1} MB written",
            rates[ROUNDS / 2],
            rates[0],
            rates[ROUNDS - 1],
            bytes as f64 / 1e6
        );
    }
    // Beside the other benchmark figures: <workspace>/target/bench/export.json.
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&out).expect("target/bench can be created");
    std::fs::write(
        out.join("export.json"),
        serde_json::to_string_pretty(&figures).expect("figures serialise"),
    )
    .expect("target/bench/export.json can be written");
}
