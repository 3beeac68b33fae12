//! Fixed-width text for printing: each table under its title, columns padded to the widest cell
//! by *display* width (a CJK character takes two columns, so Chinese text lines up on a
//! monospaced printout), numbers right-aligned with thousands separators, long text cut with `…`.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Cell, Table};

/// Widest a text column may be before its cells are cut.
pub const MAX_TEXT_WIDTH: usize = 36;

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

/// Cuts `s` to at most `width` display columns, ending with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = ch.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(ch);
        w += cw;
    }
    out.push('…');
    out
}

fn pad(s: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(s.width()));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// One table as lines of text.
pub fn table(t: &Table) -> String {
    let cells: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(show).collect()).collect();
    let widths: Vec<usize> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let widest = cells.iter().map(|r| r.get(i).map_or(0, |s| s.width())).max().unwrap_or(0).max(c.title.width());
            if c.kind.numeric() {
                widest
            } else {
                widest.min(MAX_TEXT_WIDTH)
            }
        })
        .collect();
    let line = |row: Vec<String>| -> String {
        let parts: Vec<String> = row.iter().zip(&t.columns).zip(&widths).map(|((s, c), w)| pad(&truncate(s, *w), *w, c.kind.numeric())).collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = String::new();
    out.push_str(&t.title);
    out.push('\n');
    out.push_str(&"=".repeat(t.title.width()));
    out.push('\n');
    for n in &t.notes {
        out.push_str(n);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&line(t.columns.iter().map(|c| c.title.clone()).collect()));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in cells {
        out.push_str(&line(r));
        out.push('\n');
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
        t.push(vec![Cell::text("x".repeat(50)), Cell::Money(-1)]);
        let s = table(&t);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "汇总 Summary");
        assert_eq!(lines[1], "============", "underline as wide as the title");
        // Every data line ends at the same display column (the right-aligned money).
        let ends: Vec<usize> = lines[3..].iter().filter(|l| !l.starts_with('-')).map(|l| l.width()).collect();
        assert!(ends.iter().all(|w| *w == ends[0]), "{s}");
        assert!(lines.iter().any(|l| l.contains('…')), "long text cut: {s}");
        assert!(lines.iter().all(|l| l.width() <= MAX_TEXT_WIDTH + 2 + 8), "{s}");
    }
}
