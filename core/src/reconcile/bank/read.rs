//! A bank statement file → rows. The file is first made a grid of cells — XLSX/XLS through
//! `calamine`, CSV/TXT decoded (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030, which
//! covers GBK) and split on its delimiter (comma or TAB) — then read with a mapping: its header
//! row is found among the first rows (banks print a preamble: account, period), preamble cells
//! naming the account are kept, data rows are converted, footer and blank rows are skipped.
//!
//! All or nothing: a row with a date or money cell that does not read fails the file with its
//! line and column (`line 7: 贷方发生额 "1,2x" is not an amount`).

use std::io::Cursor;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::mapping::{header_is, normalize_header, BankMapping};
use super::{BankRow, ParsedBank};
use crate::money::Money;
use crate::statement::StatementError;

/// Largest bank statement accepted.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// How many rows may come before the header.
const HEADER_SEARCH: usize = 30;

/// One cell of a statement, as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    DateTime(NaiveDateTime),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
    fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty) || matches!(self, Cell::Text(s) if s.trim().is_empty())
    }
}

/// Rows of cells with their 1-based line (CSV) or row (sheet) numbers.
pub type Grid = Vec<(u64, Vec<Cell>)>;

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

/// Text of a CSV/TXT export in whatever encoding the bank used.
pub fn decode(bytes: &[u8]) -> Result<String, StatementError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| err(0, "the file says UTF-8 but is not"));
    }
    for (bom, enc) in [(&b"\xFF\xFE"[..], encoding_rs::UTF_16LE), (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return enc.decode_without_bom_handling_and_without_replacement(rest).map(|c| c.into_owned()).ok_or_else(|| err(0, "the file says UTF-16 but is not"));
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes).map(|c| c.into_owned()).ok_or_else(|| err(0, "the text is neither UTF-8 nor GBK/GB18030"))
}

/// A CSV cell without the guards banks put around numbers so Excel keeps them as text:
/// `="6222…"`, a leading `'`, TABs.
fn unguard(s: &str) -> String {
    let t = s.trim_matches(|c: char| c == '\t' || c == ' ');
    let t = t.strip_prefix("=\"").and_then(|x| x.strip_suffix('"')).unwrap_or(t);
    t.strip_prefix('\'').unwrap_or(t).trim().to_string()
}

/// Splits CSV text (RFC 4180 quotes; the delimiter is the one of comma or TAB that the busiest
/// of the first lines uses more).
pub fn csv_grid(text: &str) -> Result<Grid, StatementError> {
    let head: Vec<&str> = text.lines().take(HEADER_SEARCH).collect();
    let count = |d: char| head.iter().map(|l| l.matches(d).count()).max().unwrap_or(0);
    let delim = if count('\t') > count(',') { '\t' } else { ',' };
    let mut grid = Vec::new();
    let (mut line, mut start_line) = (1u64, 1u64);
    let (mut cells, mut cur, mut quoted, mut was_quoted) = (Vec::new(), String::new(), false, false);
    let mut chars = text.chars().peekable();
    let push_cell = |cells: &mut Vec<Cell>, cur: &mut String, was_quoted: &mut bool| {
        let v = if *was_quoted { cur.clone() } else { unguard(cur) };
        cells.push(if v.trim().is_empty() { Cell::Empty } else { Cell::Text(v) });
        cur.clear();
        *was_quoted = false;
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cur.push('\n');
                }
                c => cur.push(c),
            }
            continue;
        }
        match c {
            '"' if cur.trim().is_empty() || cur.trim() == "=" => {
                cur.clear();
                quoted = true;
                was_quoted = true;
            }
            '\r' => {}
            '\n' => {
                push_cell(&mut cells, &mut cur, &mut was_quoted);
                grid.push((start_line, std::mem::take(&mut cells)));
                line += 1;
                start_line = line;
            }
            c if c == delim => push_cell(&mut cells, &mut cur, &mut was_quoted),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(err(start_line, "a quoted cell is not closed before the end of the file"));
    }
    if !cur.is_empty() || !cells.is_empty() {
        push_cell(&mut cells, &mut cur, &mut was_quoted);
        grid.push((start_line, cells));
    }
    Ok(grid)
}

/// The first worksheet with data of an XLSX/XLS file.
pub fn sheet_grid(bytes: &[u8]) -> Result<Grid, StatementError> {
    use calamine::{Data, Reader};
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| err(0, format!("not a readable spreadsheet: {e}")))?;
    let names = wb.sheet_names();
    for name in names {
        let range = wb.worksheet_range(&name).map_err(|e| err(0, format!("sheet {name}: {e}")))?;
        if range.is_empty() {
            continue;
        }
        let first = range.start().map_or(0, |(r, _)| u64::from(r));
        let pad = range.start().map_or(0, |(_, c)| c as usize);
        let mut grid = Vec::new();
        for (i, row) in range.rows().enumerate() {
            let mut cells = vec![Cell::Empty; pad];
            cells.extend(row.iter().map(|d| match d {
                Data::Empty | Data::Error(_) => Cell::Empty,
                Data::String(s) => if s.trim().is_empty() { Cell::Empty } else { Cell::Text(unguard(s)) },
                Data::Int(n) => Cell::Number(*n as f64),
                Data::Float(f) => Cell::Number(*f),
                Data::Bool(b) => Cell::Text(b.to_string()),
                Data::DateTime(t) => t.as_datetime().map_or(Cell::Empty, Cell::DateTime),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
            }));
            grid.push((first + i as u64 + 1, cells));
        }
        return Ok(grid);
    }
    Err(err(0, "the spreadsheet has no data"))
}

/// The grid of any statement file (spreadsheet by its magic bytes, else text).
pub fn grid(bytes: &[u8]) -> Result<Grid, StatementError> {
    if bytes.len() > MAX_BYTES {
        return Err(err(0, format!("the file is larger than {} MB", MAX_BYTES >> 20)));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return sheet_grid(bytes);
    }
    csv_grid(&decode(bytes)?)
}

/// Column positions of a mapping in a header row.
#[derive(Debug, Clone, Default)]
struct Cols {
    date: usize,
    time: Option<usize>,
    credit: Option<usize>,
    debit: Option<usize>,
    amount: Option<usize>,
    direction: Option<usize>,
    balance: Option<usize>,
    counterparty: Option<usize>,
    counterparty_account: Option<usize>,
    memo: Vec<usize>,
    reference: Option<usize>,
    account: Option<usize>,
}

fn find(headers: &[String], names: &[String]) -> Option<usize> {
    names.iter().find_map(|n| headers.iter().position(|h| header_is(h, n)))
}

fn columns(m: &BankMapping, cells: &[Cell]) -> Option<Cols> {
    let headers: Vec<String> = cells.iter().map(|c| normalize_header(&c.text())).collect();
    let c = Cols {
        date: find(&headers, &m.date)?,
        time: find(&headers, &m.time),
        credit: find(&headers, &m.credit),
        debit: find(&headers, &m.debit),
        amount: find(&headers, &m.amount),
        direction: find(&headers, &m.direction),
        balance: find(&headers, &m.balance),
        counterparty: find(&headers, &m.counterparty),
        counterparty_account: find(&headers, &m.counterparty_account),
        memo: m.memo.iter().filter_map(|n| headers.iter().position(|h| header_is(h, n))).collect(),
        reference: find(&headers, &m.reference),
        account: find(&headers, &m.account),
    };
    let money = if m.amount.is_empty() { c.credit.is_some() && (c.debit.is_some() || m.debit.is_empty()) } else { c.amount.is_some() && (m.direction.is_empty() || c.direction.is_some()) };
    money.then_some(c)
}

/// The header row of `m` in the grid: its index and the columns.
fn header(grid: &Grid, m: &BankMapping) -> Option<(usize, Cols)> {
    grid.iter().take(HEADER_SEARCH).enumerate().find_map(|(i, (_, cells))| columns(m, cells).map(|c| (i, c)))
}

/// How well a mapping fits its header row: 2 per column named exactly, 1 per column found by
/// its name plus a bracket (so 建设银行's `贷方发生额（收入）` prefers the CCB preset to ICBC's
/// `贷方发生额`).
fn fit(m: &BankMapping, cells: &[Cell]) -> usize {
    let headers: Vec<String> = cells.iter().map(|c| normalize_header(&c.text())).collect();
    let fields = [&m.date, &m.time, &m.credit, &m.debit, &m.amount, &m.direction, &m.balance, &m.counterparty, &m.counterparty_account, &m.reference, &m.account];
    let score = |names: &Vec<String>| -> usize {
        let exact = names.iter().any(|n| headers.contains(&normalize_header(n)));
        if exact { 2 } else if find(&headers, names).is_some() { 1 } else { 0 }
    };
    fields.iter().map(|f| score(f)).sum::<usize>() + m.memo.iter().filter(|n| headers.contains(&normalize_header(n))).count()
}

/// The mapping that reads this grid: of `mappings` whose columns are all in one of the first
/// rows, the one that fits its header best (the first of equals: presets before the shop's own).
pub fn detect<'a>(grid: &Grid, mappings: &'a [BankMapping]) -> Option<&'a BankMapping> {
    let mut best: Option<(&BankMapping, usize)> = None;
    for m in mappings {
        if let Some((i, _)) = header(grid, m) {
            let f = fit(m, &grid[i].1);
            if best.is_none_or(|(_, b)| f > b) {
                best = Some((m, f));
            }
        }
    }
    best.map(|(m, _)| m)
}

/// A money cell in fen: `1,234.56`, `+12.00`, `¥12.00`; empty or `-` is zero. A spreadsheet
/// number is taken only if it has at most two decimals.
fn money(cell: &Cell) -> Result<i64, String> {
    match cell {
        Cell::Empty => Ok(0),
        Cell::Number(n) => {
            let s = format!("{n:.2}");
            if (s.parse::<f64>().unwrap_or(f64::NAN) - n).abs() > 1e-7 {
                return Err(format!("{n} has more than two decimals"));
            }
            Money::parse_signed_statement(&s).map_err(|e| e.to_string())
        }
        c => {
            let raw = c.text();
            let t: String = raw.chars().filter(|ch| !matches!(ch, ',' | '¥' | '￥' | ' ' | '元')).collect();
            let t = t.trim_start_matches("CNY").trim_start_matches("RMB");
            if t.is_empty() || t == "-" || t == "--" {
                return Ok(0);
            }
            Money::parse_signed_statement(t).map_err(|_| format!("{raw:?} is not an amount"))
        }
    }
}

const DATE_TIMES: [&str; 7] = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y%m%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S"];
const DATES: [&str; 5] = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"];

/// A date (and time, where the cell has one).
fn date(cell: &Cell) -> Option<(NaiveDate, Option<NaiveTime>)> {
    if let Cell::DateTime(t) = cell {
        return Some((t.date(), (t.time() != NaiveTime::MIN).then_some(t.time())));
    }
    let s = cell.text();
    let s = s.trim();
    if let Some(t) = DATE_TIMES.iter().find_map(|f| NaiveDateTime::parse_from_str(s, f).ok()) {
        return Some((t.date(), Some(t.time())));
    }
    DATES.iter().find_map(|f| NaiveDate::parse_from_str(s, f).ok()).map(|d| (d, None))
}

fn time(cell: &Cell) -> Option<NaiveTime> {
    match cell {
        Cell::DateTime(t) => Some(t.time()),
        Cell::Number(n) if n.fract() != 0.0 && *n < 1.0 => NaiveTime::from_num_seconds_from_midnight_opt((n * 86_400.0).round() as u32, 0),
        c => {
            let s = c.text();
            let s = s.trim();
            let padded = if s.len() < 6 && s.bytes().all(|b| b.is_ascii_digit()) { format!("{s:0>6}") } else { s.to_string() };
            ["%H:%M:%S", "%H%M%S", "%H:%M"].iter().find_map(|f| NaiveTime::parse_from_str(&padded, f).ok()).or_else(|| date(c).and_then(|(_, t)| t))
        }
    }
}

/// Words that open a total or closing line under the data.
const FOOTERS: [&str; 8] = ["合计", "总计", "小计", "本页", "共", "以下空白", "total", "说明"];

fn preamble_account(grid: &Grid, until: usize) -> Option<String> {
    let keys = ["账号", "帐号", "银行账号", "银行帐号", "账户号", "本方账号", "账户"];
    let clean = |s: &str| -> Option<String> {
        let v: String = s.trim().trim_start_matches(['[', '【']).trim_end_matches([']', '】']).chars().filter(|c| !c.is_whitespace()).collect();
        (v.len() >= 6 && v.chars().filter(char::is_ascii_digit).count() >= 6).then_some(v)
    };
    for (_, cells) in grid.iter().take(until) {
        for (i, c) in cells.iter().enumerate() {
            let t = c.text();
            let n = normalize_header(&t);
            if keys.contains(&n.as_str()) {
                if let Some(v) = cells.iter().skip(i + 1).find(|c| !c.is_empty()).and_then(|c| clean(&c.text())) {
                    return Some(v);
                }
            }
            for k in keys {
                for sep in ["：", ":"] {
                    if let Some(rest) = t.trim().trim_start_matches('#').split_once(&format!("{k}{sep}")).map(|(_, r)| r) {
                        if let Some(v) = clean(rest.split_whitespace().next().unwrap_or("")) {
                            return Some(v);
                        }
                    }
                }
            }
        }
    }
    None
}

/// Reads a grid with a mapping.
pub fn rows(grid: &Grid, m: &BankMapping) -> Result<ParsedBank, StatementError> {
    let (at, c) = header(grid, m).ok_or_else(|| {
        err(1, format!("no header row with the columns of {} ({}) in the first {HEADER_SEARCH} rows: is this that bank's export, or does it need another mapping?", m.label, m.date.join("/")))
    })?;
    let header_line = grid[at].0;
    let names: Vec<String> = grid[at].1.iter().map(Cell::text).collect();
    let name = |i: usize| names.get(i).cloned().unwrap_or_default();
    let mut out = ParsedBank { mapping: m.name.clone(), rows: Vec::new(), bank_account: preamble_account(grid, at) };
    for (line, cells) in grid.iter().skip(at + 1) {
        let line = *line;
        let get = |i: Option<usize>| i.and_then(|i| cells.get(i)).cloned().unwrap_or(Cell::Empty);
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        let first = cells.iter().find(|x| !x.is_empty()).map(Cell::text).unwrap_or_default().to_lowercase();
        if FOOTERS.iter().any(|f| first.trim().starts_with(f)) || (line > header_line && cells.iter().map(Cell::text).collect::<Vec<_>>() == names) {
            continue;
        }
        let money_of = |i: Option<usize>| money(&get(i)).map_err(|e| err(line, format!("{} {e}", name(i.unwrap_or(0)))));
        let amount = if m.amount.is_empty() {
            money_of(c.credit)? - money_of(c.debit)?
        } else {
            let a = money_of(c.amount)?;
            match c.direction {
                Some(d) => {
                    let word = get(Some(d)).text();
                    if m.credit_words.iter().any(|w| word.trim() == w.trim()) { a.abs() } else { -a.abs() }
                }
                None => a,
            }
        };
        let Some((day, mut at_time)) = date(&get(Some(c.date))) else {
            if amount == 0 {
                continue; // a note or total line without a date
            }
            return Err(err(line, format!("{} {:?} is not a date", name(c.date), get(Some(c.date)).text())));
        };
        if amount == 0 {
            continue;
        }
        if let Some(t) = c.time {
            let cell = get(Some(t));
            if !cell.is_empty() {
                at_time = Some(time(&cell).ok_or_else(|| err(line, format!("{} {:?} is not a time", name(t), cell.text())))?);
            }
        }
        let balance = match c.balance.map(|i| get(Some(i))) {
            Some(b) if !b.is_empty() => Some(money(&b).map_err(|e| err(line, format!("{} {e}", name(c.balance.unwrap_or(0)))))?),
            _ => None,
        };
        let text = |i: Option<usize>| Some(get(i).text().trim().to_string()).filter(|s| !s.is_empty());
        let memo: Vec<String> = c.memo.iter().filter_map(|i| text(Some(*i))).collect();
        let row = BankRow {
            line,
            day,
            time: at_time,
            amount,
            balance,
            counterparty: text(c.counterparty),
            counterparty_account: text(c.counterparty_account),
            memo: memo.join(" / "),
            reference: text(c.reference),
            bank_account: text(c.account),
        };
        if out.bank_account.is_none() {
            out.bank_account = row.bank_account.clone();
        }
        out.rows.push(row);
    }
    if out.rows.is_empty() {
        return Err(err(header_line, "the statement has no money lines"));
    }
    Ok(out)
}

/// Reads a bank statement file. `mapping` None: detected among `mappings` by the header.
pub fn read(bytes: &[u8], mapping: Option<&BankMapping>, mappings: &[BankMapping]) -> Result<ParsedBank, StatementError> {
    let grid = grid(bytes)?;
    let m = match mapping {
        Some(m) => m,
        None => detect(&grid, mappings).ok_or_else(|| {
            let names: Vec<&str> = mappings.iter().map(|m| m.name.as_str()).collect();
            err(1, format!("no known bank export layout ({}): choose a preset or add a mapping in config.toml", names.join(", ")))
        })?,
    };
    rows(&grid, m)
}
