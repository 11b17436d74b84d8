//! Parquet exports: the same profiles as the CSV and JSON files, as nested columns shaped like
//! the JSON (`personalEmail.address`, `person.name.firstName`, ...). Row groups are bounded so
//! that a 5,000,000-row file never sits in memory whole.

use std::io::{self, Write};
use std::ops::Range;
use std::sync::Arc;

use parquet::basic::{Compression as Codec, GzipLevel};
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use crate::export::{Compression, Profile};

const SCHEMA: &str = "
message profile {
  REQUIRED BYTE_ARRAY ECID (UTF8);
  REQUIRED GROUP personalEmail {
    REQUIRED BYTE_ARRAY address (UTF8);
  }
  REQUIRED GROUP person {
    REQUIRED GROUP name {
      REQUIRED BYTE_ARRAY firstName (UTF8);
      REQUIRED BYTE_ARRAY lastName (UTF8);
    }
  }
  REQUIRED GROUP segmentMembership {
    REQUIRED BYTE_ARRAY status (UTF8);
  }
}";

const ROWS_PER_GROUP: u64 = 100_000;

pub fn write_parquet<W: Write + Send>(
    out: W,
    compression: Compression,
    seed: u64,
    rows: Range<u64>,
) -> io::Result<()> {
    write(out, compression, seed, rows).map_err(io::Error::other)
}

fn write<W: Write + Send>(
    out: W,
    compression: Compression,
    seed: u64,
    rows: Range<u64>,
) -> Result<(), ParquetError> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let codec = match compression {
        Compression::None => Codec::UNCOMPRESSED,
        // The fast level, as for CSV: the emulator writes what a run would, not an archive.
        Compression::Gzip => Codec::GZIP(GzipLevel::try_new(1)?),
    };
    // Every ECID and e-mail address is different: a dictionary would only be thrown away.
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(codec)
            .set_column_dictionary_enabled(ColumnPath::from("ECID"), false)
            .set_column_dictionary_enabled(
                ColumnPath::new(vec!["personalEmail".into(), "address".into()]),
                false,
            )
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, properties)?;
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + ROWS_PER_GROUP).min(rows.end);
        let columns = columns(seed, start..end);
        let mut group = writer.next_row_group()?;
        let mut values = columns.iter();
        while let Some(mut column) = group.next_column()? {
            let data = values.next().expect("the schema has five columns");
            column
                .typed::<ByteArrayType>()
                .write_batch(data, None, None)?;
            column.close()?;
        }
        group.close()?;
        start = end;
    }
    writer.close()?;
    Ok(())
}

/// The five leaf columns, in the schema's order.
fn columns(seed: u64, rows: Range<u64>) -> [Vec<ByteArray>; 5] {
    let mut columns: [Vec<ByteArray>; 5] = Default::default();
    for index in rows {
        let profile = Profile::new(seed, index);
        let (first, last) = profile.names();
        let values = [
            profile.ecid().into_bytes(),
            profile.email().into_bytes(),
            first.as_bytes().to_vec(),
            last.as_bytes().to_vec(),
            b"realized".to_vec(),
        ];
        for (column, value) in columns.iter_mut().zip(values) {
            column.push(ByteArray::from(value));
        }
    }
    columns
}
