//! XLSX workbooks (rust_xlsxwriter): one sheet per table, a styled and frozen header row with an
//! autofilter, typed cells — money as numbers formatted `#,##0.00` (so sums work in Excel),
//! counts as integers, dates and times as real Excel dates — and column widths fitted to the
//! content by display width (CJK counts double).

use rust_xlsxwriter::{Color, Format as XFormat, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use unicode_width::UnicodeWidthStr;

use super::{Cell, ExportError, Table};

/// Widest column (characters); longer text wraps inside its cell.
const MAX_WIDTH: usize = 36;

fn xerr(e: XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

/// A valid, unique sheet name (≤ 31 characters, none of `[]:*?/\`).
fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(28).collect();
    let base = if clean.trim().is_empty() { "Sheet".to_string() } else { clean };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        candidate = format!("{base}~{n}");
        n += 1;
    }
    candidate
}

struct Styles {
    header: XFormat,
    header_num: XFormat,
    money: XFormat,
    count: XFormat,
    percent: XFormat,
    date: XFormat,
    datetime: XFormat,
    note: XFormat,
    wrap: XFormat,
}

impl Styles {
    fn new() -> Styles {
        let header = XFormat::new().set_bold().set_font_color(Color::White).set_background_color(Color::RGB(0x2F5597)).set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter).set_text_wrap();
        Styles {
            header_num: header.clone().set_align(FormatAlign::Right),
            header,
            money: XFormat::new().set_num_format("#,##0.00"),
            count: XFormat::new().set_num_format("#,##0"),
            percent: XFormat::new().set_num_format("0.0%"),
            date: XFormat::new().set_num_format("yyyy-mm-dd"),
            datetime: XFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            note: XFormat::new().set_italic().set_font_color(Color::RGB(0x595959)),
            wrap: XFormat::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

fn cell_width(c: &Cell) -> usize {
    match c {
        Cell::Money(f) => super::txt::grouped_money(*f).len(),
        Cell::DateTime(_) => 19,
        Cell::Date(_) => 10,
        other => other.plain().width(),
    }
}

fn sheet(ws: &mut Worksheet, t: &Table, st: &Styles) -> Result<(), XlsxError> {
    let mut row: u32 = 0;
    for n in &t.notes {
        ws.write_string_with_format(row, 0, n, &st.note)?;
        row += 1;
    }
    if !t.notes.is_empty() {
        row += 1;
    }
    let header_row = row;
    let mut wraps = Vec::with_capacity(t.columns.len());
    for (i, c) in t.columns.iter().enumerate() {
        let col = i as u16;
        ws.write_string_with_format(header_row, col, &c.title, if c.kind.numeric() { &st.header_num } else { &st.header })?;
        // Fit the data; a bilingual title may wrap onto two lines rather than widen the column.
        let widest = t.rows.iter().map(|r| r.get(i).map_or(0, cell_width)).max().unwrap_or(0).max(c.title.width().div_ceil(2)).max(6);
        wraps.push(widest > MAX_WIDTH);
        ws.set_column_width(col, (widest.min(MAX_WIDTH) + 2) as f64)?;
    }
    ws.set_row_height(header_row, 46)?;
    for r in &t.rows {
        row += 1;
        for (i, (c, def)) in r.iter().zip(&t.columns).enumerate() {
            let col = i as u16;
            match (c, def.kind) {
                (Cell::Empty, _) => {}
                (Cell::Money(f), _) => {
                    // Exact: every fen amount below 2^53 is a double with two decimals shown.
                    ws.write_number_with_format(row, col, *f as f64 / 100.0, &st.money)?;
                }
                (Cell::Count(n), _) => {
                    ws.write_number_with_format(row, col, *n as f64, &st.count)?;
                }
                (Cell::Percent(bp), _) => {
                    // A fraction Excel shows as 96.4 %: a rate, not money, so a double is right.
                    ws.write_number_with_format(row, col, *bp as f64 / 10_000.0, &st.percent)?;
                }
                (Cell::Date(d), _) => {
                    ws.write_datetime_with_format(row, col, d, &st.date)?;
                }
                (Cell::DateTime(t), _) => {
                    ws.write_datetime_with_format(row, col, t, &st.datetime)?;
                }
                (Cell::Text(s), _) if wraps[i] => {
                    ws.write_string_with_format(row, col, s, &st.wrap)?;
                }
                (Cell::Text(s), _) => {
                    ws.write_string(row, col, s)?;
                }
            }
        }
    }
    ws.set_freeze_panes(header_row + 1, 0)?;
    // Printing: A4 landscape, all columns on one page width, the header on every page.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
    ws.set_footer("&C&P / &N");
    if !t.columns.is_empty() {
        ws.autofilter(header_row, 0, row.max(header_row), (t.columns.len() - 1) as u16)?;
    }
    Ok(())
}

/// A workbook with one sheet per table, in order (the first one is active).
pub fn write(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let st = Styles::new();
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        let name = sheet_name(&t.name, &names);
        let ws = wb.add_worksheet();
        ws.set_name(&name).map_err(xerr)?;
        sheet(ws, t, &st).map_err(xerr)?;
        names.push(name);
    }
    if tables.is_empty() {
        wb.add_worksheet();
    }
    wb.save_to_buffer().map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{Column, ColumnKind};
    use std::io::Read;

    #[test]
    fn workbook_has_typed_cells_and_frozen_header() {
        let mut t = Table::new("matched", "Matched", vec![
            Column::new("no", "订单号", ColumnKind::Text),
            Column::new("amt", "金额", ColumnKind::Money),
            Column::new("n", "笔数", ColumnKind::Count),
            Column::new("at", "时间", ColumnKind::DateTime),
            Column::new("rate", "成功率", ColumnKind::Percent),
        ]);
        t.push(vec![Cell::text("P1"), Cell::Money(123_456), Cell::Count(2), Cell::DateTime("2026-11-25T23:59:58".parse().unwrap()), Cell::Percent(9_643)]);
        let mut s = Table::new("summary", "Summary", vec![Column::new("k", "项目", ColumnKind::Text)]);
        s.notes.push("2026-11-25".into());
        let bytes = write(&[s, t]).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet2.xml").unwrap().read_to_string(&mut xml).unwrap();
        assert!(xml.contains("<v>1234.56</v>"), "money is a number: {xml}");
        assert!(xml.contains("<v>0.9643</v>"), "a rate is a number: {xml}");
        assert!(xml.contains(r#"<pane ySplit="1" topLeftCell="A2""#), "frozen header: {xml}");
        assert!(xml.contains("<autoFilter"), "{xml}");
        let mut sheet1 = String::new();
        zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet1).unwrap();
        assert!(sheet1.contains(r#"ySplit="3""#), "notes above the header: {sheet1}");
        let mut wbxml = String::new();
        zip.by_name("xl/workbook.xml").unwrap().read_to_string(&mut wbxml).unwrap();
        assert!(wbxml.contains(r#"name="summary""#) && wbxml.contains(r#"name="matched""#), "{wbxml}");
        let mut styles = String::new();
        zip.by_name("xl/styles.xml").unwrap().read_to_string(&mut styles).unwrap();
        assert!(styles.contains("#,##0.00") && styles.contains("yyyy-mm-dd hh:mm:ss") && styles.contains(r#"formatCode="0.0%""#), "{styles}");
    }

    #[test]
    fn text_that_looks_like_a_formula_stays_text() {
        let mut t = Table::new("orders", "Orders", vec![Column::new("s", "subject", ColumnKind::Text), Column::new("m", "amount", ColumnKind::Money)]);
        t.push(vec![Cell::text("=HYPERLINK(\"http://evil\",\"x\")"), Cell::Money(-1234)]);
        t.push(vec![Cell::text("@SUM(A1)"), Cell::Money(5)]);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(write(&[t]).unwrap())).unwrap();
        let (mut sheet, mut strings) = (String::new(), String::new());
        zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet).unwrap();
        zip.by_name("xl/sharedStrings.xml").unwrap().read_to_string(&mut strings).unwrap();
        assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "no cell is a formula: {sheet}");
        assert!(strings.contains("=HYPERLINK(") && strings.contains("@SUM(A1)"), "kept as shared strings: {strings}");
        assert!(sheet.contains("<v>-12.34</v>"), "money stays a number: {sheet}");
    }

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        assert_eq!(sheet_name("a/b", &[]), "a_b");
        assert_eq!(sheet_name("x", &["X".into()]), "x~2");
        assert_eq!(sheet_name("", &[]), "Sheet");
        assert!(sheet_name(&"长".repeat(40), &[]).chars().count() <= 31);
    }
}
