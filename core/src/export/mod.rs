//! Exports: typed tables written as CSV, XLSX or fixed-width TXT, for the accountant's
//! spreadsheets and printouts.
//!
//! A report is a list of [`Table`]s (one per XLSX sheet; one after another in TXT; one file each
//! in CSV). Columns are typed ([`ColumnKind`]): money is integer fen written as a number with two
//! decimals (a real number cell in XLSX, formatted `#,##0.00`), counts are integers, dates and
//! times are the shop's local time. Any report (reconciliation, sales) builds tables and picks a
//! writer:
//!
//! ```
//! use paydesk_core::export::{Cell, Column, ColumnKind, CsvEncoding, Table};
//! let mut t = Table::new("summary", "汇总 Summary", vec![
//!     Column::new("channel", "渠道 Channel", ColumnKind::Text),
//!     Column::new("net", "净额 Net", ColumnKind::Money),
//! ]);
//! t.push(vec![Cell::text("支付宝"), Cell::Money(123456)]);
//! let csv = paydesk_core::export::csv::write(&t, CsvEncoding::Utf8Bom).unwrap();
//! assert!(csv.starts_with(b"\xEF\xBB\xBF"));
//! assert!(String::from_utf8_lossy(&csv).contains("支付宝,1234.56"));
//! let txt = paydesk_core::export::txt::write(&[t]);
//! assert!(txt.contains("1,234.56"));
//! ```

pub mod csv;
mod orders;
pub mod txt;
pub mod xlsx;

pub use orders::{orders_csv, orders_table, HEADER};

use chrono::{NaiveDate, NaiveDateTime};

/// What a column holds; decides formatting and alignment in every writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    /// Integer fen, shown as yuan with two decimals.
    Money,
    /// A whole number.
    Count,
    /// A share or rate in basis points, shown as a percentage with one decimal.
    Percent,
    Date,
    DateTime,
}

impl ColumnKind {
    /// Right-aligned in TXT (numbers).
    pub fn numeric(self) -> bool {
        matches!(self, ColumnKind::Money | ColumnKind::Count | ColumnKind::Percent)
    }
}

/// Basis points as a percentage with one decimal, rounded half away from zero: 9643 → `96.4%`.
pub fn percent(bp: i64) -> String {
    let tenths = (bp.abs() + 5) / 10;
    let sign = if bp < 0 && tenths > 0 { "-" } else { "" };
    format!("{sign}{}.{}%", tenths / 10, tenths % 10)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// A stable key (machine-readable, e.g. `order_no`).
    pub key: String,
    /// The header people read (may be bilingual: `订单号 Order no`).
    pub title: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(key: &str, title: &str, kind: ColumnKind) -> Column {
        Column { key: key.into(), title: title.into(), kind }
    }
}

/// One cell. `Empty` is a blank cell of any column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Money(i64),
    Count(i64),
    /// Basis points (9643 = 96.43 %).
    Percent(i64),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// Text as a plain string (money as `-12.34`, dates ISO-like), for CSV.
    pub fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Money(f) => crate::money::format_signed_fen(*f),
            Cell::Count(n) => n.to_string(),
            Cell::Percent(bp) => percent(*bp),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A titled table of typed columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Short name: the XLSX sheet name and the CSV file stem (`summary`, `discrepancies`).
    pub name: String,
    /// The heading printed above the table in TXT.
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Optional lines printed under the title (TXT) or above the header (never in CSV).
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(name: &str, title: &str, columns: Vec<Column>) -> Table {
        Table { name: name.into(), title: title.into(), columns, rows: Vec::new(), notes: Vec::new() }
    }

    /// Appends a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "row width of table {}", self.name);
        self.rows.push(row);
    }
}

/// The export formats, as the UI and CLI name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// UTF-8 CSV without BOM.
    Csv,
    /// UTF-8 CSV with BOM: Excel opens it with the right encoding.
    CsvBom,
    /// GBK CSV: older Excel on Chinese Windows.
    CsvGbk,
    Xlsx,
    Txt,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Csv, Format::CsvBom, Format::CsvGbk, Format::Xlsx, Format::Txt];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::CsvBom => "csv_bom",
            Format::CsvGbk => "csv_gbk",
            Format::Xlsx => "xlsx",
            Format::Txt => "txt",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvBom | Format::CsvGbk => "csv",
            Format::Xlsx => "xlsx",
            Format::Txt => "txt",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = crate::order::ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| crate::order::ParseEnumError { what: "format", value: s.into(), expected: "csv, csv_bom, csv_gbk, xlsx, txt" })
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("{0}")]
    Encoding(String),
    #[error("cannot write the spreadsheet: {0}")]
    Xlsx(String),
    #[error("cannot write {path}: {message}")]
    Io { path: String, message: String },
}

/// Writes `tables` in `format` to files under `dir` named `<stem>.<ext>` (XLSX, TXT: one file
/// with every table) or `<stem>-<table>.csv` (CSV: one file per table; GBK ones end `-gbk.csv`).
/// Returns the paths.
pub fn write_files(dir: &std::path::Path, stem: &str, tables: &[Table], format: Format) -> Result<Vec<std::path::PathBuf>, ExportError> {
    let io = |path: &std::path::Path, e: std::io::Error| ExportError::Io { path: path.display().to_string(), message: e.to_string() };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut out = Vec::new();
    let mut put = |name: String, bytes: Vec<u8>| -> Result<(), ExportError> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        out.push(path);
        Ok(())
    };
    match format {
        Format::Csv | Format::CsvBom | Format::CsvGbk => {
            let enc = match format {
                Format::CsvBom => csv::CsvEncoding::Utf8Bom,
                Format::CsvGbk => csv::CsvEncoding::Gbk,
                _ => csv::CsvEncoding::Utf8,
            };
            // The GBK files get their own names so both encodings can sit side by side.
            let suffix = if enc == csv::CsvEncoding::Gbk { "-gbk" } else { "" };
            for t in tables {
                put(format!("{stem}-{}{suffix}.csv", t.name), csv::write(t, enc)?)?;
            }
        }
        Format::Xlsx => put(format!("{stem}.xlsx"), xlsx::write(tables)?)?,
        Format::Txt => put(format!("{stem}.txt"), txt::write(tables).into_bytes())?,
    }
    Ok(out)
}

pub use self::csv::CsvEncoding;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_has_one_decimal_rounded_half_away_from_zero() {
        assert_eq!(percent(9_643), "96.4%");
        assert_eq!(percent(9_645), "96.5%");
        assert_eq!(percent(10_000), "100.0%");
        assert_eq!(percent(0), "0.0%");
        assert_eq!(percent(-125), "-1.3%");
        assert_eq!(percent(-4), "0.0%");
        assert_eq!(Cell::Percent(1_234).plain(), "12.3%");
    }
}
