//! Writing an audience's export files: deterministic synthetic profiles, as many as the
//! audience holds, in the flow's format and compression, split every 5,000,000 rows the way the
//! Platform names its parts (`name.csv`, `name_2.csv`, ...). Parquet lives in `columnar`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression as GzipLevel, write::GzEncoder};
use serde::{Deserialize, Serialize};

use crate::ids::{hash_str, mix};

/// The Platform's hard limit of rows per exported file.
pub const ROWS_PER_FILE: u64 = 5_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileType {
    #[default]
    Csv,
    Json,
    Parquet,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compression {
    #[default]
    None,
    Gzip,
}

pub struct ExportRequest<'a> {
    pub dir: &'a Path,
    /// The expanded file-name template, without extension.
    pub base_name: &'a str,
    pub segment_id: &'a str,
    pub rows: u64,
    pub file_type: FileType,
    pub compression: Compression,
    pub rows_per_file: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportResult {
    pub files: Vec<PathBuf>,
    pub rows: u64,
    /// Bytes on disk, after compression: what the destination receives.
    pub bytes: u64,
}

const CSV_HEADER: &str = "ECID,personalEmail.address,person.name.firstName,person.name.lastName,segmentMembership.status\n";
const FIRST_NAMES: &[&str] = &[
    "Minji", "Jisoo", "Hana", "Seojun", "Ava", "Noah", "Mia", "Liam", "Yuna", "Doyun", "Emma",
    "Lucas",
];
const LAST_NAMES: &[&str] = &[
    "Kim", "Lee", "Park", "Choi", "Jung", "Smith", "Garcia", "Brown", "Kang", "Yoon", "Martin",
    "Cho",
];

pub fn write_export(request: &ExportRequest) -> io::Result<ExportResult> {
    std::fs::create_dir_all(request.dir)?;
    let seed = hash_str(request.segment_id);
    let per_file = request.rows_per_file.max(1);
    // An empty audience still produces one (header-only) file, as the Platform does.
    let parts = request.rows.div_ceil(per_file).max(1);
    let mut result = ExportResult::default();
    for part in 0..parts {
        let path = request.dir.join(file_name(request, part));
        let first = part * per_file;
        let last = (first + per_file).min(request.rows);
        write_part(&path, request, seed, first..last)?;
        result.bytes += std::fs::metadata(&path)?.len();
        result.rows += last - first;
        result.files.push(path);
    }
    Ok(result)
}

fn file_name(request: &ExportRequest, part: u64) -> String {
    let suffix = if part == 0 {
        String::new()
    } else {
        format!("_{}", part + 1)
    };
    let extension = match request.file_type {
        FileType::Csv => "csv",
        FileType::Json => "json",
        FileType::Parquet => "parquet",
    };
    // Parquet compresses inside the file, by column.
    let compressed = match (request.file_type, request.compression) {
        (FileType::Parquet, _) | (_, Compression::None) => "",
        (_, Compression::Gzip) => ".gz",
    };
    format!("{}{suffix}.{extension}{compressed}", request.base_name)
}

fn write_part(
    path: &Path,
    request: &ExportRequest,
    seed: u64,
    rows: std::ops::Range<u64>,
) -> io::Result<()> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    if request.file_type == FileType::Parquet {
        return crate::columnar::write_parquet(file, request.compression, seed, rows);
    }
    match request.compression {
        Compression::None => write_rows(file, request.file_type, seed, rows)?.flush(),
        Compression::Gzip => {
            let encoder = GzEncoder::new(file, GzipLevel::fast());
            write_rows(encoder, request.file_type, seed, rows)?
                .finish()?
                .flush()
        }
    }
}

fn write_rows<W: Write>(
    mut out: W,
    file_type: FileType,
    seed: u64,
    rows: std::ops::Range<u64>,
) -> io::Result<W> {
    if file_type == FileType::Csv {
        out.write_all(CSV_HEADER.as_bytes())?;
    }
    let mut line = String::with_capacity(160);
    for index in rows {
        line.clear();
        Profile::new(seed, index).write(&mut line, file_type);
        out.write_all(line.as_bytes())?;
    }
    Ok(out)
}

/// One synthetic profile, a pure function of the audience and the row number.
pub(crate) struct Profile {
    ecid: (u64, u64),
    first: &'static str,
    last: &'static str,
    mail_number: u64,
}

impl Profile {
    pub(crate) fn new(seed: u64, index: u64) -> Self {
        let a = mix(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = mix(a);
        Self {
            ecid: (
                a % 10_000_000_000_000_000_000,
                b % 1_000_000_000_000_000_000,
            ),
            first: FIRST_NAMES[(a % FIRST_NAMES.len() as u64) as usize],
            last: LAST_NAMES[(b % LAST_NAMES.len() as u64) as usize],
            mail_number: index,
        }
    }

    pub(crate) fn ecid(&self) -> String {
        let (high, low) = self.ecid;
        format!("{high:019}{low:018}")
    }

    pub(crate) fn email(&self) -> String {
        format!(
            "{}.{}@example.com",
            self.first.to_ascii_lowercase(),
            self.mail_number
        )
    }

    pub(crate) fn names(&self) -> (&'static str, &'static str) {
        (self.first, self.last)
    }

    fn write(&self, line: &mut String, file_type: FileType) {
        use std::fmt::Write as _;
        let (first, last) = (self.first, self.last);
        let (ecid_high, ecid_low) = self.ecid;
        let number = self.mail_number;
        let email_user = first.to_ascii_lowercase();
        // Writing into a String cannot fail.
        let _ = match file_type {
            FileType::Csv => writeln!(
                line,
                "{ecid_high:019}{ecid_low:018},{email_user}.{number}@example.com,{first},{last},realized"
            ),
            FileType::Json => writeln!(
                line,
                r#"{{"ECID":"{ecid_high:019}{ecid_low:018}","personalEmail":{{"address":"{email_user}.{number}@example.com"}},"person":{{"name":{{"firstName":"{first}","lastName":"{last}"}}}},"segmentMembership":{{"status":"realized"}}}}"#
            ),
            FileType::Parquet => unreachable!("Parquet is written by columns, not lines"),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn request<'a>(
        dir: &'a Path,
        rows: u64,
        file_type: FileType,
        compression: Compression,
    ) -> ExportRequest<'a> {
        ExportRequest {
            dir,
            base_name: "S3_segmentabc_20261130",
            segment_id: "abc",
            rows,
            file_type,
            compression,
            rows_per_file: 4,
        }
    }

    #[test]
    fn csv_has_a_header_and_one_line_per_profile_split_by_the_row_limit() {
        let dir = tempfile::tempdir().unwrap();
        let result =
            write_export(&request(dir.path(), 10, FileType::Csv, Compression::None)).unwrap();
        let names: Vec<_> = result
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "S3_segmentabc_20261130.csv",
                "S3_segmentabc_20261130_2.csv",
                "S3_segmentabc_20261130_3.csv"
            ]
        );
        let texts: Vec<String> = result
            .files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        let data_lines: usize = texts.iter().map(|t| t.lines().count() - 1).sum();
        assert_eq!((data_lines, result.rows), (10, 10));
        assert!(texts.iter().all(|t| t.starts_with(CSV_HEADER)));
        let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
        assert_eq!(result.bytes, bytes);
        let first_row = texts[0].lines().nth(1).unwrap();
        assert_eq!(first_row.split(',').count(), 5);
        assert_eq!(first_row.split(',').next().unwrap().len(), 37);
    }

    #[test]
    fn rows_are_the_same_every_time() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = write_export(&request(one.path(), 3, FileType::Csv, Compression::None)).unwrap();
        let b = write_export(&request(two.path(), 3, FileType::Csv, Compression::None)).unwrap();
        assert_eq!(
            std::fs::read(&a.files[0]).unwrap(),
            std::fs::read(&b.files[0]).unwrap()
        );
    }

    #[test]
    fn gzip_files_decompress_to_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let result =
            write_export(&request(dir.path(), 3, FileType::Csv, Compression::Gzip)).unwrap();
        assert!(result.files[0].to_str().unwrap().ends_with(".csv.gz"));
        let mut text = String::new();
        flate2::read::GzDecoder::new(File::open(&result.files[0]).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text.lines().count(), 4);
        assert_eq!(
            result.bytes,
            std::fs::metadata(&result.files[0]).unwrap().len()
        );
    }

    #[test]
    fn json_lines_parse_one_profile_each() {
        let dir = tempfile::tempdir().unwrap();
        let result =
            write_export(&request(dir.path(), 2, FileType::Json, Compression::None)).unwrap();
        let text = std::fs::read_to_string(&result.files[0]).unwrap();
        for line in text.lines() {
            let profile: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(profile["segmentMembership"]["status"], "realized");
        }
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn parquet_files_hold_the_same_profiles_as_csv_in_nested_columns() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::RowAccessor;
        let (csv_dir, parquet_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let csv = write_export(&request(
            csv_dir.path(),
            10,
            FileType::Csv,
            Compression::None,
        ))
        .unwrap();
        let parquet = write_export(&request(
            parquet_dir.path(),
            10,
            FileType::Parquet,
            Compression::Gzip,
        ))
        .unwrap();
        assert!(
            parquet.files[0]
                .to_str()
                .unwrap()
                .ends_with("20261130.parquet")
        );
        assert_eq!((parquet.files.len(), parquet.rows), (3, 10));
        let mut rows = 0;
        let mut first_ecid = None;
        for path in &parquet.files {
            let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
            let metadata = reader.metadata();
            rows += metadata.file_metadata().num_rows();
            let leaves: Vec<String> = metadata
                .file_metadata()
                .schema_descr()
                .columns()
                .iter()
                .map(|c| c.path().string())
                .collect();
            assert_eq!(
                leaves,
                [
                    "ECID",
                    "personalEmail.address",
                    "person.name.firstName",
                    "person.name.lastName",
                    "segmentMembership.status"
                ]
            );
            let group = metadata.row_group(0);
            assert!(
                group
                    .column(0)
                    .compression()
                    .to_string()
                    .starts_with("GZIP")
            );
            // Unique values are stored plainly; the twelve first names get a dictionary.
            let dictionary =
                |column: usize| group.column(column).dictionary_page_offset().is_some();
            assert_eq!(
                (dictionary(0), dictionary(1), dictionary(2)),
                (false, false, true)
            );
            let row = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
            first_ecid.get_or_insert(row.get_string(0).unwrap().clone());
        }
        assert_eq!(rows, 10);
        let csv_text = std::fs::read_to_string(&csv.files[0]).unwrap();
        let csv_first_ecid = csv_text.lines().nth(1).unwrap().split(',').next().unwrap();
        assert_eq!(first_ecid.as_deref(), Some(csv_first_ecid));
        let bytes: u64 = parquet
            .files
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        assert_eq!(parquet.bytes, bytes);

        let empty = write_export(&request(
            parquet_dir.path(),
            0,
            FileType::Parquet,
            Compression::None,
        ))
        .unwrap();
        let reader = SerializedFileReader::new(File::open(&empty.files[0]).unwrap()).unwrap();
        assert_eq!(
            (
                empty.files.len(),
                reader.metadata().file_metadata().num_rows()
            ),
            (1, 0)
        );
    }

    #[test]
    fn an_empty_audience_writes_one_header_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let result =
            write_export(&request(dir.path(), 0, FileType::Csv, Compression::None)).unwrap();
        assert_eq!((result.files.len(), result.rows), (1, 0));
        assert_eq!(
            std::fs::read_to_string(&result.files[0]).unwrap(),
            CSV_HEADER
        );
    }
}
