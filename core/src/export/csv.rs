//! CSV (RFC 4180, `\r\n` line ends) in UTF-8, UTF-8 with BOM (Excel detects the encoding) or GBK
//! (older Excel on Chinese Windows).
//!
//! Invariant: no cell Paydesk writes runs as a formula when a spreadsheet opens the file. A text
//! cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms
//! `＝ ＋ － ＠`, which some IMEs type) is prefixed with `'` and quoted — a subject `-1+2`, an
//! operator `=HYPERLINK(…)` stay text. Typed money, counts and percentages are written as bare
//! numbers, so a refund of `-12.34` in a money column stays a number the accountant can sum.

use super::{Cell, ExportError, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    Utf8,
    Utf8Bom,
    Gbk,
}

/// First characters that make a spreadsheet read a cell as a formula (or strip them and then
/// read one).
const FORMULA_START: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// Quotes a text cell when it needs it and defuses formulas (`'` first, then quoted).
pub fn quote(s: &str) -> String {
    if s.starts_with(FORMULA_START) {
        return format!("\"'{}\"", s.replace('"', "\"\""));
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => quote(s),
        other => other.plain(),
    }
}

/// The table as CSV text: the header (column titles) then the rows.
pub fn text(t: &Table) -> String {
    let mut out = String::with_capacity(64 * (t.rows.len() + 1));
    out.push_str(&t.columns.iter().map(|c| quote(&c.title)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in &t.rows {
        out.push_str(&r.iter().map(cell).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// The table as CSV bytes in `enc`. GBK refuses text it cannot represent (naming the first
/// such character) rather than writing `?`.
pub fn write(t: &Table, enc: CsvEncoding) -> Result<Vec<u8>, ExportError> {
    let s = text(t);
    Ok(match enc {
        CsvEncoding::Utf8 => s.into_bytes(),
        CsvEncoding::Utf8Bom => {
            let mut v = b"\xEF\xBB\xBF".to_vec();
            v.extend_from_slice(s.as_bytes());
            v
        }
        CsvEncoding::Gbk => {
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(&s);
            if unmappable {
                let bad = s.chars().find(|c| encoding_rs::GBK.encode(&c.to_string()).2).unwrap_or('?');
                return Err(ExportError::Encoding(format!("GBK cannot represent {bad:?} in table {}; export as UTF-8 instead", t.name)));
            }
            bytes.into_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{Column, ColumnKind};

    fn table() -> Table {
        let mut t = Table::new("t", "T", vec![Column::new("a", "名称 Name", ColumnKind::Text), Column::new("m", "金额", ColumnKind::Money), Column::new("n", "笔数", ColumnKind::Count)]);
        t.push(vec![Cell::text("咖啡, 大杯"), Cell::Money(-1234), Cell::Count(3)]);
        t.push(vec![Cell::text("=HYPERLINK()"), Cell::Empty, Cell::Count(0)]);
        t
    }

    #[test]
    fn utf8_bom_and_gbk() {
        let t = table();
        let plain = write(&t, CsvEncoding::Utf8).unwrap();
        assert_eq!(String::from_utf8(plain.clone()).unwrap(), "名称 Name,金额,笔数\r\n\"咖啡, 大杯\",-12.34,3\r\n\"'=HYPERLINK()\",,0\r\n");
        let bom = write(&t, CsvEncoding::Utf8Bom).unwrap();
        assert_eq!(&bom[..3], b"\xEF\xBB\xBF");
        assert_eq!(&bom[3..], &plain[..]);
        let gbk = write(&t, CsvEncoding::Gbk).unwrap();
        assert_eq!(&gbk[..4], &[0xC3, 0xFB, 0xB3, 0xC6], "名称 in GBK");
        assert_eq!(encoding_rs::GBK.decode(&gbk).0, String::from_utf8(plain).unwrap());
    }

    #[test]
    fn text_never_runs_as_a_formula_and_money_stays_a_number() {
        for (text, want) in [
            ("=1+1", "\"'=1+1\""),
            ("+86 138", "\"'+86 138\""),
            ("-5 折", "\"'-5 折\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1+1", "\"'\t=1+1\""),
            ("\r=1+1", "\"'\r=1+1\""),
            ("＝1+1", "\"'＝1+1\""),
            ("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\""),
            ("=\"x\"", "\"'=\"\"x\"\"\""),
            ("a=b", "a=b"),
            ("12.34", "12.34"),
        ] {
            assert_eq!(quote(text), want, "{text:?}");
        }
        let mut t = Table::new("t", "T", vec![Column::new("s", "subject", ColumnKind::Text), Column::new("m", "amount", ColumnKind::Money)]);
        t.push(vec![Cell::text("-12.34"), Cell::Money(-1234)]);
        assert_eq!(text(&t), "subject,amount\r\n\"'-12.34\",-12.34\r\n", "the text column is defused, the money column is a number");
    }

    #[test]
    fn gbk_refuses_what_it_cannot_write() {
        let mut t = table();
        t.push(vec![Cell::text("☕ coffee"), Cell::Money(1), Cell::Count(1)]);
        let e = write(&t, CsvEncoding::Gbk).unwrap_err();
        assert!(e.to_string().contains('☕'), "{e}");
    }
}
