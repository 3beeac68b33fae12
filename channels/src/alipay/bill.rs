//! Alipay statement (账单) files (protocols.md §1.7): the `bill_type=trade` ZIP holds a
//! `…业务明细.csv` (one row per payment and refund) and a `…业务明细(汇总).csv` summary, both GBK.
//!
//! The detail file is read as a stream: bytes → lines → GBK-decoded one line at a time → `#`
//! comment lines (the account, the footer totals) or CSV records (header located by its first
//! cell `支付宝交易号`, columns looked up by name, cells trimmed of Excel-guard TABs/spaces). A
//! million rows never need the whole text in memory. Any unreadable line fails with its
//! 1-based line number.
//!
//! Mapping to [`StatementRow`]: `业务类型` `交易` → payment (`amount` = 订单金额), `退款` → refund
//! (`refund_amount` = the refund's 订单金额 without its minus sign; `amount` is 0 because the
//! refund row does not print the original order amount); `fee` = 服务费 as printed; `time` =
//! 完成时间 (Beijing time, as printed); `merchant_id` = the `#账号：[…]` of the file.
//! Footer totals: `payment_amount` = 商家实收 + 商家优惠 (= Σ 订单金额 of the payments),
//! `refund_amount` likewise for refunds, as a positive number. The footer counts are checked
//! against the rows read; a file whose counts disagree (e.g. truncated) is refused.
//!
//! For a file downloaded by hand use [`parse_statement`] (bytes of the ZIP or of the CSV) or
//! [`parse_statement_file`].

use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::Path;

use chrono::NaiveDateTime;
use paydesk_core::statement::{parse_time, LineRef, StatementError, StatementKind, StatementLines, StatementRow, StatementTotals};
use paydesk_core::Money;

/// The detail file's 25 columns, in Alipay's order.
pub const DETAIL_COLUMNS: [&str; 25] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
];

/// ZIP entries ending like this are the detail file (the summary ends `业务明细(汇总).csv`).
pub const DETAIL_SUFFIX: &str = "业务明细.csv";

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

/// Lines of a GBK text (or UTF-8 when it starts with a BOM), decoded one at a time.
struct Lines<R> {
    r: R,
    line: u64,
    utf8: bool,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn new(r: R) -> Self {
        Lines { r, line: 0, utf8: false, buf: Vec::with_capacity(512) }
    }

    /// Reads the next line into `buf`; returns its number and the byte range without BOM and
    /// line end. The caller decodes only what it needs (see [`Lines::decode`]).
    fn next_raw(&mut self) -> Option<Result<(u64, usize, usize), StatementError>> {
        self.buf.clear();
        match self.r.read_until(b'\n', &mut self.buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(err(self.line + 1, format!("cannot read: {e}")))),
        }
        self.line += 1;
        let mut start = 0;
        if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.utf8 = true;
            start = 3;
        }
        let mut end = self.buf.len();
        while end > start && matches!(self.buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Some(Ok((self.line, start, end)))
    }

    /// Decodes bytes of this file (GBK, or UTF-8 after a BOM).
    fn decode<'b>(utf8: bool, line: u64, bytes: &'b [u8]) -> Result<std::borrow::Cow<'b, str>, StatementError> {
        let text = if utf8 { std::str::from_utf8(bytes).ok().map(std::borrow::Cow::Borrowed) } else { encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) };
        text.ok_or_else(|| err(line, format!("not valid {} text", if utf8 { "UTF-8" } else { "GBK" })))
    }

    /// The next line without its line end, with its number.
    fn next_line(&mut self) -> Option<Result<(u64, String), StatementError>> {
        let (line, a, b) = match self.next_raw()? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        Some(Self::decode(self.utf8, line, &self.buf[a..b]).map(|t| (line, t.into_owned())))
    }
}

/// Column positions of the fields we read.
#[derive(Debug, Clone)]
struct Columns {
    trade_no: usize,
    order_no: usize,
    kind: usize,
    finished: usize,
    amount: usize,
    refund_no: usize,
    fee: usize,
    width: usize,
}

impl Columns {
    fn from_header(line: u64, cells: &[String]) -> Result<Columns, StatementError> {
        let find = |name: &str| cells.iter().position(|c| c == name).ok_or_else(|| err(line, format!("the header row has no column {name}")));
        Ok(Columns {
            trade_no: find(DETAIL_COLUMNS[0])?,
            order_no: find(DETAIL_COLUMNS[1])?,
            kind: find(DETAIL_COLUMNS[2])?,
            finished: find(DETAIL_COLUMNS[5])?,
            amount: find(DETAIL_COLUMNS[11])?,
            refund_no: find(DETAIL_COLUMNS[21])?,
            fee: find(DETAIL_COLUMNS[22])?,
            width: cells.len(),
        })
    }
}

/// Streams the rows of an Alipay 业务明细 CSV. After the iterator ends, [`DetailRows::totals`]
/// holds the footer totals and [`DetailRows::merchant_id`] the account.
pub struct DetailRows<R> {
    lines: Lines<R>,
    columns: Option<Columns>,
    merchant_id: String,
    totals: StatementTotals,
    footer_line: Option<u64>,
    ended: bool,
    /// Payments and refunds read so far (checked against the footer).
    seen: std::cell::Cell<(u64, u64)>,
    done: bool,
    /// Cell byte ranges of the current line (reused: no allocation per row).
    spans: Vec<(usize, usize)>,
    /// Numbers of the current line that are not ASCII, decoded (reused).
    scratch: [String; 3],
    /// A row read by the slow path (quoted cells), handed out borrowed.
    pending: Option<StatementRow>,
    /// Set when the row just handed out was bad (the reader stops).
    bad_row: std::cell::Cell<bool>,
}

/// What [`DetailRows::advance`] found.
enum Step {
    /// A quote-free data row: its line number and byte range in the line buffer.
    Fast(u64, usize, usize),
    /// A row read by the slow path, in `pending`.
    Slow,
    End,
}

impl<R> std::fmt::Debug for DetailRows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetailRows").field("line", &self.lines.line).field("merchant_id", &self.merchant_id).finish_non_exhaustive()
    }
}

/// Reads a detail CSV (GBK, or UTF-8 with BOM) from any reader.
pub fn detail_rows<R: Read>(r: R) -> DetailRows<BufReader<R>> {
    DetailRows::new(BufReader::with_capacity(64 * 1024, r))
}

impl<R: BufRead> DetailRows<R> {
    pub fn new(r: R) -> Self {
        DetailRows {
            lines: Lines::new(r),
            columns: None,
            merchant_id: String::new(),
            totals: StatementTotals::default(),
            footer_line: None,
            ended: false,
            seen: std::cell::Cell::new((0, 0)),
            done: false,
            spans: Vec::with_capacity(32),
            scratch: Default::default(),
            pending: None,
            bad_row: std::cell::Cell::new(false),
        }
    }

    /// The footer totals (complete once the iterator has ended).
    pub fn totals(&self) -> &StatementTotals {
        &self.totals
    }

    /// The `#账号：[…]` of the file, as printed.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    fn comment(&mut self, line: u64, text: &str) -> Result<(), StatementError> {
        let body = text.trim_start_matches('#').trim();
        if let Some(rest) = body.strip_prefix("账号：") {
            self.merchant_id = rest.trim().trim_start_matches('[').trim_end_matches(']').trim().to_string();
        } else if body.contains("业务明细列表结束") {
            self.ended = true;
        } else if let Some(rest) = body.strip_prefix("交易合计：") {
            let (n, a, b) = footer_numbers(line, rest)?;
            self.totals.payments = Some(n);
            self.totals.payment_amount = Some(a + b);
            self.footer_line.get_or_insert(line);
        } else if let Some(rest) = body.strip_prefix("退款合计：") {
            let (n, a, b) = footer_numbers(line, rest)?;
            self.totals.refunds = Some(n);
            self.totals.refund_amount = Some((a + b).abs());
            self.footer_line.get_or_insert(line);
        }
        Ok(())
    }

    /// Reads one CSV record, joining physical lines while a quoted cell is open.
    fn record(&mut self, line: u64, first: String) -> Result<Vec<String>, StatementError> {
        let mut text = first;
        while text.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
            match self.lines.next_line() {
                Some(Ok((_, more))) => {
                    text.push('\n');
                    text.push_str(&more);
                }
                Some(Err(e)) => return Err(e),
                None => return Err(err(line, "a quoted cell is not closed before the end of the file")),
            }
        }
        split_record(&text).map_err(|m| err(line, m))
    }

    fn row(&mut self, line: u64, cells: &[String]) -> Result<StatementRow, StatementError> {
        let Some(c) = self.columns.clone() else { unreachable!("rows are read after the header") };
        if cells.len() < c.width {
            return Err(err(line, format!("{} cells, the header has {}", cells.len(), c.width)));
        }
        let money = |idx: usize| Money::parse_signed_statement(&cells[idx]).map_err(|e| err(line, format!("{}: {e}", column_name(&c, idx))));
        let trade_no = cells[c.trade_no].clone();
        if trade_no.is_empty() {
            return Err(err(line, "支付宝交易号 is empty"));
        }
        let amount = money(c.amount)?;
        let fee = if cells[c.fee].is_empty() { 0 } else { money(c.fee)? };
        let time = match cells[c.finished].as_str() {
            "" => None,
            s => Some(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").map_err(|_| err(line, format!("完成时间 {s:?} is not yyyy-MM-dd HH:mm:ss")))?),
        };
        let status = cells[c.kind].clone();
        let (kind, amount, refund_amount) = match status.as_str() {
            "交易" if amount >= 0 => (StatementKind::Payment, amount, 0),
            "交易" => return Err(err(line, format!("a payment with a negative 订单金额 ({})", cells[c.amount]))),
            "退款" => (StatementKind::Refund, 0, amount.abs()),
            other => return Err(err(line, format!("业务类型 {other:?} is neither 交易 nor 退款"))),
        };
        let refund_no = Some(cells[c.refund_no].clone()).filter(|s| !s.is_empty() && kind == StatementKind::Refund);
        Ok(StatementRow { kind, channel_trade_no: trade_no, order_no: cells[c.order_no].clone(), refund_no, amount, refund_amount, fee, time, status, merchant_id: self.merchant_id.clone() })
    }

    /// After the last line: the header must have been seen and the footer counts must match.
    fn finish(&mut self) -> Result<(), StatementError> {
        if self.columns.is_none() {
            return Err(err(self.lines.line, format!("no header row starting {}: not an Alipay 业务明细 file", DETAIL_COLUMNS[0])));
        }
        let at = self.footer_line.unwrap_or(self.lines.line);
        let (pays, refunds) = self.seen.get();
        for (what, declared, seen) in [("payments", self.totals.payments, pays), ("refunds", self.totals.refunds, refunds)] {
            if let Some(d) = declared {
                if d != seen {
                    return Err(err(at, format!("the footer declares {d} {what} but the file lists {seen} (incomplete file?)")));
                }
            }
        }
        Ok(())
    }
}

/// Whether `b` is well-formed GBK/GB18030 (ASCII, two-byte and four-byte sequences).
fn valid_gbk(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            i += 1;
        } else if (0x81..=0xFE).contains(&c) {
            match b.get(i + 1) {
                Some(0x40..=0x7E | 0x80..=0xFE) => i += 2,
                Some(0x30..=0x39) if matches!((b.get(i + 2), b.get(i + 3)), (Some(0x81..=0xFE), Some(0x30..=0x39))) => i += 4,
                _ => return false,
            }
        } else if c == 0x80 {
            // 0x80 alone is the euro sign in GBK.
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// `交易` and `退款` as GBK bytes: the business types, compared without decoding.
const GBK_PAYMENT: &[u8] = b"\xbd\xbb\xd2\xd7";
const GBK_REFUND: &[u8] = b"\xcd\xcb\xbf\xee";

/// A cell of `raw` trimmed of Excel-guard TABs and spaces.
fn trimmed(raw: &[u8], (a, b): (usize, usize)) -> &[u8] {
    let mut v = &raw[a..b];
    while let [b'\t' | b' ', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b'\t' | b' '] = v {
        v = rest;
    }
    v
}

/// One quote-free data row, read from its raw bytes without allocating: ASCII cells are used in
/// place (valid in GBK and UTF-8 alike), other cells decoded into `scratch`. Same rules and
/// messages as [`DetailRows::row`].
#[allow(clippy::too_many_arguments)] // the reader's parts, borrowed apart
fn fast_row<'b>(c: &Columns, merchant: &'b str, utf8: bool, line: u64, raw: &'b [u8], spans: &mut Vec<(usize, usize)>, scratch: &'b mut [String; 3]) -> Result<LineRef<'b>, StatementError> {
    let valid = if utf8 { std::str::from_utf8(raw).is_ok() } else { valid_gbk(raw) };
    if !valid {
        return Err(err(line, format!("not valid {} text", if utf8 { "UTF-8" } else { "GBK" })));
    }
    spans.clear();
    let mut start = 0;
    for i in memchr::memchr_iter(b',', raw) {
        spans.push((start, i));
        start = i + 1;
    }
    spans.push((start, raw.len()));
    if spans.len() < c.width {
        return Err(err(line, format!("{} cells, the header has {}", spans.len(), c.width)));
    }
    let cell = |idx: usize| trimmed(raw, spans[idx]);
    let money = |idx: usize| -> Result<i64, StatementError> {
        let v = std::str::from_utf8(cell(idx)).unwrap_or("?");
        Money::parse_signed_statement(v).map_err(|e| err(line, format!("{}: {e}", column_name(c, idx))))
    };
    let amount = money(c.amount)?;
    let fee = if cell(c.fee).is_empty() { 0 } else { money(c.fee)? };
    let time = match cell(c.finished) {
        [] => None,
        s => Some(parse_time(s).ok_or_else(|| err(line, format!("完成时间 {:?} is not yyyy-MM-dd HH:mm:ss", String::from_utf8_lossy(s))))?),
    };
    let kind_cell = cell(c.kind);
    let status = if kind_cell == GBK_PAYMENT || kind_cell == "交易".as_bytes() {
        "交易"
    } else if kind_cell == GBK_REFUND || kind_cell == "退款".as_bytes() {
        "退款"
    } else {
        let other = Lines::<&[u8]>::decode(utf8, line, kind_cell)?;
        return Err(err(line, format!("业务类型 {other:?} is neither 交易 nor 退款")));
    };
    let (kind, amount, refund_amount) = match status {
        "交易" if amount >= 0 => (StatementKind::Payment, amount, 0),
        "交易" => return Err(err(line, format!("a payment with a negative 订单金额 ({})", String::from_utf8_lossy(cell(c.amount))))),
        _ => (StatementKind::Refund, 0, amount.abs()),
    };
    let refund = kind == StatementKind::Refund && !cell(c.refund_no).is_empty();
    let [s0, s1, s2] = scratch;
    let text = |idx: usize, into: &'b mut String| -> Result<&'b str, StatementError> {
        let v: &'b [u8] = trimmed(raw, spans[idx]);
        if v.len() > paydesk_core::statement::MAX_FIELD {
            return Err(err(line, format!("a number is longer than {} bytes", paydesk_core::statement::MAX_FIELD)));
        }
        if v.is_ascii() {
            return Ok(std::str::from_utf8(v).unwrap_or_default());
        }
        into.clear();
        into.push_str(&Lines::<&[u8]>::decode(utf8, line, v)?);
        Ok(into.as_str())
    };
    let trade_no = text(c.trade_no, s0)?;
    if trade_no.is_empty() {
        return Err(err(line, "支付宝交易号 is empty"));
    }
    // The 商户订单号 is empty for a payment Paydesk did not create (a 收款码 sticker): external.
    let order_no = text(c.order_no, s1)?;
    let refund_no = if refund { Some(text(c.refund_no, s2)?) } else { None };
    Ok(LineRef { kind, channel_trade_no: trade_no, order_no, refund_no, amount, refund_amount, fee, time, status, merchant_id: merchant })
}

fn column_name(c: &Columns, idx: usize) -> &'static str {
    if idx == c.amount {
        DETAIL_COLUMNS[11]
    } else if idx == c.fee {
        DETAIL_COLUMNS[22]
    } else {
        "金额"
    }
}

/// Splits one CSV record (RFC 4180: `"` quotes a cell, `""` inside quotes is a quote, commas and
/// newlines inside quotes are text). Each cell is trimmed of Excel-guard TABs and spaces.
fn split_record(text: &str) -> Result<Vec<String>, String> {
    let trim = |s: &str| s.trim_matches(|c| c == '\t' || c == ' ').to_string();
    if !text.contains('"') {
        return Ok(text.split(',').map(trim).collect());
    }
    let mut cells = Vec::with_capacity(DETAIL_COLUMNS.len());
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else {
            match c {
                ',' => cells.push(trim(&std::mem::take(&mut cur))),
                '"' if cur.trim_matches(|c| c == '\t' || c == ' ').is_empty() => {
                    cur.clear();
                    in_quotes = true;
                }
                c => cur.push(c),
            }
        }
    }
    if in_quotes {
        return Err("a quoted cell is not closed".into());
    }
    cells.push(trim(&cur));
    Ok(cells)
}

/// `6笔，商家实收共0.06元，商家优惠共0.00元` → (6, 6, 0) in fen.
fn footer_numbers(line: u64, s: &str) -> Result<(u64, i64, i64), StatementError> {
    let bad = || err(line, format!("footer {s:?} is not like 6笔，商家实收共0.06元，商家优惠共0.00元"));
    let parts: Vec<&str> = s.split(['，', ',']).map(str::trim).collect();
    let count = parts.first().and_then(|p| p.strip_suffix('笔')).and_then(|n| n.parse::<u64>().ok()).ok_or_else(bad)?;
    let amount_of = |p: &str| -> Option<i64> {
        let v = p.strip_suffix('元')?;
        let start = v.find(|c: char| c == '-' || c.is_ascii_digit())?;
        Money::parse_signed_statement(&v[start..]).ok()
    };
    let a = parts.get(1).and_then(|p| amount_of(p)).ok_or_else(bad)?;
    let b = match parts.get(2) {
        Some(p) => amount_of(p).ok_or_else(bad)?,
        None => 0,
    };
    Ok((count, a, b))
}

impl<R: BufRead> DetailRows<R> {
    /// Reads lines until a data row: a quote-free one is left in the line buffer (the hot path:
    /// split on its raw bytes — a comma is never part of a GBK character — and only the cells
    /// used are looked at); a quoted one is read by the slow path into `pending`.
    fn advance(&mut self) -> Result<Step, StatementError> {
        loop {
            let (line, a, b) = match self.lines.next_raw() {
                None => {
                    self.done = true;
                    self.finish()?;
                    return Ok(Step::End);
                }
                Some(r) => r?,
            };
            let raw = &self.lines.buf[a..b];
            if self.columns.is_some() && !self.ended && raw.first().is_some_and(|b| *b != b'#') && !raw.contains(&b'"') {
                return Ok(Step::Fast(line, a, b));
            }
            let text = Lines::<R>::decode(self.lines.utf8, line, raw)?.into_owned();
            if text.trim().is_empty() {
                continue;
            }
            if text.starts_with('#') {
                self.comment(line, &text)?;
                continue;
            }
            let cells = self.record(line, text)?;
            if self.columns.is_none() {
                if cells.first().map(String::as_str) != Some(DETAIL_COLUMNS[0]) {
                    return Err(err(line, format!("expected the header row starting {} (is this the 业务明细 file?)", DETAIL_COLUMNS[0])));
                }
                self.columns = Some(Columns::from_header(line, &cells)?);
                continue;
            }
            if self.ended {
                return Err(err(line, "a row after the end of the list"));
            }
            self.pending = Some(self.row(line, &cells)?);
            return Ok(Step::Slow);
        }
    }

    /// The next row, borrowed from the reader; None at the end (or after an error).
    pub fn next_line(&mut self) -> Option<Result<LineRef<'_>, StatementError>> {
        if self.done || self.bad_row.get() {
            return None;
        }
        let step = match self.advance() {
            Ok(s) => s,
            Err(e) => {
                // A file with a bad line is refused as a whole: stop here.
                self.done = true;
                return Some(Err(e));
            }
        };
        let r = match step {
            Step::End => return None,
            Step::Slow => Ok(self.pending.as_ref().map(StatementRow::as_line).unwrap_or_else(|| unreachable!("set by advance"))),
            Step::Fast(line, a, b) => {
                let Some(c) = self.columns.as_ref() else { unreachable!("rows are read after the header") };
                fast_row(c, &self.merchant_id, self.lines.utf8, line, &self.lines.buf[a..b], &mut self.spans, &mut self.scratch)
            }
        };
        match &r {
            Ok(l) => {
                let (p, f) = self.seen.get();
                self.seen.set(if l.kind == StatementKind::Payment { (p + 1, f) } else { (p, f + 1) });
            }
            Err(_) => self.bad_row.set(true),
        }
        Some(r)
    }
}

impl<R: BufRead> Iterator for DetailRows<R> {
    type Item = Result<StatementRow, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().map(|r| r.map(|l| l.to_row()))
    }
}

/// A whole statement, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub merchant_id: String,
    pub rows: Vec<StatementRow>,
    pub totals: StatementTotals,
}

/// Collects a detail-row stream.
pub fn collect<R: BufRead>(mut rows: DetailRows<R>) -> Result<Statement, StatementError> {
    let mut out = Vec::new();
    for r in rows.by_ref() {
        out.push(r?);
    }
    Ok(Statement { merchant_id: rows.merchant_id().to_string(), rows: out, totals: rows.totals().clone() })
}

/// A ZIP entry's name: UTF-8 when it is, else GBK (Alipay's archives may carry GBK names
/// without the UTF-8 flag).
pub fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}

/// The index of the detail entry of a bill ZIP: the one whose name ends `业务明细.csv`, or the
/// only CSV entry that is not a summary.
pub fn detail_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<usize, StatementError> {
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| err(0, format!("bad ZIP entry {i}: {e}")))?;
        if f.is_file() {
            names.push((i, entry_name(f.name_raw())));
        }
    }
    let detail: Vec<_> = names.iter().filter(|(_, n)| n.ends_with(DETAIL_SUFFIX)).collect();
    let csvs: Vec<_> = names.iter().filter(|(_, n)| n.to_ascii_lowercase().ends_with(".csv") && !n.contains("汇总")).collect();
    match (detail.as_slice(), csvs.as_slice()) {
        ([(i, _)], _) => Ok(*i),
        ([], [(i, _)]) => Ok(*i),
        _ => Err(err(0, format!("the ZIP has no single {DETAIL_SUFFIX} entry (entries: {})", names.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")))),
    }
}

/// Streams the detail rows of a bill ZIP (the archive stays borrowed while reading).
/// `archive_len` is the archive's real size (the ratio limit is judged against it).
pub fn zip_detail_rows<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, archive_len: u64) -> Result<DetailRows<BufReader<crate::archive::Bounded<zip::read::ZipFile<'_, R>>>>, StatementError> {
    let idx = detail_entry(zip)?;
    Ok(detail_rows(crate::archive::zip_entry(zip, idx, archive_len, crate::archive::LIMITS, "the detail entry")?))
}

/// Parses a statement from the bytes of the downloaded ZIP or of its detail CSV.
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, StatementError> {
    if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(0, format!("not a readable ZIP: {e}")))?;
        let parsed = collect(zip_detail_rows(&mut zip, bytes.len() as u64)?);
        parsed
    } else {
        collect(detail_rows(bytes))
    }
}

/// Parses a statement file on disk (ZIP or CSV), e.g. one an accountant downloaded by hand.
pub fn parse_statement_file(path: &Path) -> Result<Statement, StatementError> {
    let mut f = std::fs::File::open(path).map_err(|e| err(0, format!("cannot open {}: {e}", path.display())))?;
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic).map_err(|e| err(0, format!("cannot read {}: {e}", path.display())))?;
    f.rewind().map_err(|e| err(0, format!("cannot read {}: {e}", path.display())))?;
    if n == 4 && &magic == b"PK\x03\x04" {
        let len = f.metadata().map(|m| m.len()).map_err(|e| err(0, format!("cannot read {}: {e}", path.display())))?;
        let mut zip = zip::ZipArchive::new(f).map_err(|e| err(0, format!("not a readable ZIP: {e}")))?;
        let parsed = collect(zip_detail_rows(&mut zip, len)?);
        parsed
    } else {
        collect(detail_rows(f))
    }
}

impl<R: BufRead + Send> paydesk_core::statement::StatementSource for DetailRows<R> {
    fn totals(&self) -> StatementTotals {
        self.totals.clone()
    }

    fn read_into(&mut self, lines: &mut StatementLines, progress: &mut dyn FnMut(u64)) -> Result<(), StatementError> {
        while let Some(l) = self.next_line() {
            lines.push_read(l?, progress)?;
        }
        Ok(())
    }
}

/// Whether `head` (the first bytes of a file) looks like an Alipay detail CSV: the `#支付宝`
/// preamble or the header row, in GBK or UTF-8 (with or without BOM).
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    [gbk("#支付宝"), gbk(DETAIL_COLUMNS[0]), "#支付宝".as_bytes().to_vec(), DETAIL_COLUMNS[0].as_bytes().to_vec()].iter().any(|p| head.starts_with(p))
}

/// Opens a detail CSV (GBK or UTF-8) as a row stream (the statement-format hook,
/// `crate::statement`).
pub fn open(input: crate::statement::Input<'_>) -> Result<Box<dyn paydesk_core::statement::StatementSource + '_>, StatementError> {
    Ok(Box::new(DetailRows::new(input)))
}

/// The detail entry of a bill ZIP, by the entries' names: the one ending `业务明细.csv`, or the
/// only CSV that is not a summary.
pub fn pick_entry(names: &[String]) -> Option<usize> {
    let detail: Vec<usize> = (0..names.len()).filter(|&i| names[i].ends_with(DETAIL_SUFFIX)).collect();
    let csvs: Vec<usize> = (0..names.len()).filter(|&i| names[i].to_ascii_lowercase().ends_with(".csv") && !names[i].contains("汇总") && names[i].contains("业务明细")).collect();
    match (detail.as_slice(), csvs.as_slice()) {
        ([i], _) | ([], [i]) => Some(*i),
        _ => None,
    }
}

/// Opens the detail entry of a bill ZIP (decompressed on the fly) as a row stream.
pub fn open_entry<'a>(_name: &str, input: crate::statement::Input<'a>) -> Result<Box<dyn paydesk_core::statement::StatementSource + 'a>, StatementError> {
    open(input)
}
