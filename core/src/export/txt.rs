//! Fixed-width text for printing on a 132-column printer: each table under its title, columns
//! padded by *display* width (a CJK character takes two columns, so Chinese text lines up on a
//! monospaced printout), numbers right-aligned with thousands separators.
//!
//! Invariant: no line is wider than [`PAGE_WIDTH`] and nothing is cut. Long text wraps inside its
//! column (at spaces where it can); headers wrap too; a table too wide for the page is printed
//! in bands of columns, each band repeating the row number (`#`) so the bands' rows line up.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Cell, Table};

/// The widest line: a 132-column (wide-carriage / A4 landscape) printer.
pub const PAGE_WIDTH: usize = 132;
/// A text column wider than this wraps its cells.
pub const MAX_TEXT_WIDTH: usize = 40;
/// Between columns.
const GAP: usize = 2;

/// `1234567` fen → `12,345.67`.
pub fn grouped_money(fen: i64) -> String {
    let plain = crate::money::format_signed_fen(fen);
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain.as_str()), |r| ("-", r));
    let (int, frac) = rest.split_once('.').unwrap_or((rest, "00"));
    format!("{sign}{}.{frac}", group(int))
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn show(c: &Cell) -> String {
    match c {
        Cell::Money(f) => grouped_money(*f),
        Cell::Count(n) if *n < 0 => format!("-{}", group(&n.unsigned_abs().to_string())),
        Cell::Count(n) => group(&n.to_string()),
        // Control and bidi characters would break the layout or reorder it: shown as escapes.
        other => crate::text::escape(&other.plain()).into_owned(),
    }
}

/// Wraps `s` into lines of at most `width` display columns: at spaces where it can, inside a
/// word (or between CJK characters) where it must. Nothing is dropped but the spaces a line
/// breaks at.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut w = 0;
        for word in para.split(' ') {
            let ww = word.width();
            let sep = usize::from(!line.is_empty());
            if w + sep + ww <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                w += sep + ww;
                continue;
            }
            if !line.is_empty() && ww <= width {
                lines.push(std::mem::take(&mut line));
                line.push_str(word);
                w = ww;
                continue;
            }
            // A word wider than what is left: break it by characters.
            if !line.is_empty() {
                line.push(' ');
                w += 1;
            }
            for ch in word.chars() {
                let cw = ch.width().unwrap_or(0);
                if w + cw > width {
                    lines.push(std::mem::take(&mut line).trim_end().to_string());
                    w = 0;
                }
                line.push(ch);
                w += cw;
            }
        }
        lines.push(line);
    }
    lines
}

fn pad(s: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(s.width()));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// How wide each column prints: numbers as wide as their widest cell (they never wrap), text
/// as its widest cell up to [`MAX_TEXT_WIDTH`]; never narrower than the longest word of the
/// header, which wraps to its column.
fn widths(t: &Table, cells: &[Vec<String>]) -> Vec<usize> {
    t.columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let widest = cells.iter().map(|r| r.get(i).map_or(0, |s| s.width())).max().unwrap_or(0);
            let title_word = c.title.split(' ').map(UnicodeWidthStr::width).max().unwrap_or(0);
            let w = widest.max(title_word).max(4);
            if c.kind.numeric() {
                w
            } else {
                w.min(MAX_TEXT_WIDTH).max(title_word.min(MAX_TEXT_WIDTH))
            }
        })
        .collect()
}

/// Splits the columns into bands that fit the page (after a `#` column of `num` width).
fn bands(widths: &[usize], num: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut w = num;
    for (i, cw) in widths.iter().enumerate() {
        if !cur.is_empty() && w + GAP + cw > PAGE_WIDTH {
            out.push(std::mem::take(&mut cur));
            w = num;
        }
        cur.push(i);
        w += GAP + cw;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One table as lines of text.
pub fn table(t: &Table) -> String {
    let cells: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(show).collect()).collect();
    let mut widths = widths(t, &cells);
    let all_width = widths.iter().sum::<usize>() + GAP * widths.len().saturating_sub(1);
    let banded = all_width > PAGE_WIDTH;
    let num = if banded { (cells.len().max(1).to_string().len()).max(1) } else { 0 };
    // A column that alone is wider than the page (a long number) wraps to fit.
    for w in &mut widths {
        *w = (*w).min(PAGE_WIDTH - if banded { num + GAP } else { 0 });
    }
    let mut out = String::new();
    out.push_str(&t.title);
    out.push('\n');
    out.push_str(&"=".repeat(t.title.width().min(PAGE_WIDTH)));
    out.push('\n');
    for n in &t.notes {
        for l in wrap(n, PAGE_WIDTH) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    let groups = if banded { bands(&widths, num) } else { vec![(0..widths.len()).collect()] };
    for (g, cols) in groups.iter().enumerate() {
        out.push('\n');
        if groups.len() > 1 {
            let names: Vec<&str> = cols.iter().map(|&c| t.columns[c].title.as_str()).collect();
            for l in wrap(&format!("({}/{}) {}", g + 1, groups.len(), names.join(" · ")), PAGE_WIDTH) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        let row_lines = |number: &str, row: Vec<Vec<String>>| -> String {
            let height = row.iter().map(Vec::len).max().unwrap_or(1);
            let mut s = String::new();
            for k in 0..height {
                let mut parts: Vec<String> = Vec::new();
                if banded {
                    parts.push(pad(if k == 0 { number } else { "" }, num, true));
                }
                for (j, &c) in cols.iter().enumerate() {
                    let piece = row[j].get(k).map_or("", String::as_str);
                    parts.push(pad(piece, widths[c], t.columns[c].kind.numeric()));
                }
                s.push_str(parts.join(&" ".repeat(GAP)).trim_end());
                s.push('\n');
            }
            s
        };
        out.push_str(&row_lines("#", cols.iter().map(|&c| wrap(&t.columns[c].title, widths[c])).collect()));
        let mut rule: Vec<String> = Vec::new();
        if banded {
            rule.push("-".repeat(num));
        }
        rule.extend(cols.iter().map(|&c| "-".repeat(widths[c])));
        out.push_str(&rule.join(&" ".repeat(GAP)));
        out.push('\n');
        for (i, r) in cells.iter().enumerate() {
            let row: Vec<Vec<String>> = cols.iter().map(|&c| wrap(r.get(c).map_or("", String::as_str), widths[c])).collect();
            out.push_str(&row_lines(&(i + 1).to_string(), row));
        }
    }
    out
}

/// Every table, one after another, separated by a blank line.
pub fn write(tables: &[Table]) -> String {
    tables.iter().map(table).collect::<Vec<_>>().join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{Column, ColumnKind};

    #[test]
    fn money_is_grouped() {
        assert_eq!(grouped_money(0), "0.00");
        assert_eq!(grouped_money(-5), "-0.05");
        assert_eq!(grouped_money(123_456_789), "1,234,567.89");
        assert_eq!(grouped_money(-100_000), "-1,000.00");
    }

    #[test]
    fn control_and_bidi_characters_are_shown_not_obeyed() {
        let mut t = Table::new("s", "T", vec![Column::new("c", "subject", ColumnKind::Text)]);
        t.push(vec![Cell::text("evil\u{202E}txt.exe\nnext")]);
        let s = table(&t);
        assert!(s.contains("evil\\u{202E}txt.exe\\u{000A}next"), "{s}");
        assert!(!s.contains('\u{202E}'));
    }

    #[test]
    fn cjk_columns_line_up() {
        let mut t = Table::new("s", "汇总 Summary", vec![Column::new("c", "渠道", ColumnKind::Text), Column::new("n", "Net", ColumnKind::Money)]);
        t.push(vec![Cell::text("支付宝"), Cell::Money(123_456)]);
        t.push(vec![Cell::text("WeChat"), Cell::Money(5)]);
        let s = table(&t);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "汇总 Summary");
        assert_eq!(lines[1], "============", "underline as wide as the title");
        // Every data line ends at the same display column (the right-aligned money).
        let ends: Vec<usize> = lines[3..].iter().filter(|l| !l.starts_with('-')).map(|l| l.width()).collect();
        assert!(ends.iter().all(|w| *w == ends[0]), "{s}");
    }

    #[test]
    fn a_wide_table_fits_the_printer_and_nothing_is_cut() {
        let cols: Vec<Column> = (0..16)
            .map(|i| if i % 3 == 0 { Column::new(&format!("m{i}"), &format!("金额 Amount {i}"), ColumnKind::Money) } else { Column::new(&format!("t{i}"), &format!("说明 Detail column {i}"), ColumnKind::Text) })
            .collect();
        let mut t = Table::new("d", "差异明细 Discrepancies", cols);
        let long = "收银员确认现金收款 the cashier confirmed a cash sale that was keyed as a QR payment by mistake; refunded to the customer in cash the same afternoon, receipt kept in the drawer. ".repeat(2);
        let unbroken = "P".to_string() + &"7".repeat(150);
        for r in 0..3i64 {
            t.push((0..16).map(|i| if i % 3 == 0 { Cell::Money(123_456_789 * (r + 1)) } else if i == 4 { Cell::text(&long) } else if i == 5 { Cell::text(&unbroken) } else { Cell::text(format!("值 value {r}-{i}")) }).collect());
        }
        let s = table(&t);
        assert!(s.lines().all(|l| l.width() <= PAGE_WIDTH), "{s}");
        assert!(!s.contains('…'), "nothing cut");
        let squashed: String = s.split_whitespace().collect();
        for must in [long.split_whitespace().collect::<String>(), "3,703,703.67".into(), "值value2-14".into()] {
            assert!(squashed.contains(&must), "{must:?} in {s}");
        }
        // The unbroken number is wrapped into pieces of its column, all there in order (the
        // other cells beside them hold no long run of 7s).
        let pieces: String = s.split(|c: char| c != 'P' && c != '7').filter(|p| p.len() >= 8).collect();
        assert!(pieces.contains(&unbroken), "{unbroken:?} in {s}");
        assert!(s.contains("(1/") && s.contains("(2/"), "printed in bands: {s}");
        // Text wraps at spaces where it can.
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("支付宝支付宝", 5), vec!["支付", "宝支", "付宝"]);
        assert_eq!(wrap("", 5), vec![""]);
    }
}
