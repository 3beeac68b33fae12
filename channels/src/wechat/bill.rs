//! WeChat Pay trade bills (protocols.md §2.6): gunzip + SHA1 check of a downloaded bill, and a
//! streaming parser of the CSV — UTF-8 with BOM, every cell prefixed with a backtick, a header
//! line, detail rows, a summary header and one summary row — into [`StatementRow`]s and
//! [`StatementTotals`]. Columns are found by header name (ALL, SUCCESS and REFUND bills carry
//! different subsets). Usable on a file an accountant downloaded by hand:
//!
//! ```no_run
//! let mut reader = paydesk_channels::wechat::bill::open_file("bill.csv".as_ref()).unwrap();
//! for row in &mut reader {
//!     println!("{:?}", row.unwrap());
//! }
//! println!("{:?}", reader.summary().map(|s| s.totals()));
//! ```

use std::io::{BufRead, Read};

use paydesk_core::money::Money;
use paydesk_core::statement::{parse_time, LineRef, StatementError, MAX_FIELD, StatementKind, StatementLines, StatementRow, StatementTotals};

/// Longest line accepted (a real line is well under 1 KiB).
const MAX_LINE: usize = 64 * 1024;

/// Why a downloaded bill was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillFileError {
    #[error("the bill is not valid GZIP data: {0}")]
    NotGzip(String),
    /// Refused by the archive limits (`crate::archive`): too large or too compressed.
    #[error("{0}")]
    TooLarge(String),
    #[error("SHA1 of the decompressed bill is {actual} but WeChat declared {declared}: the file is corrupted or incomplete and was refused")]
    HashMismatch { declared: String, actual: String },
}

/// Decompresses a GZIP bill and checks the SHA1 of the decompressed content against the declared
/// `hash_value` (lowercase or uppercase hex).
pub fn gunzip_verified(gz: &[u8], sha1_hex: &str) -> Result<Vec<u8>, BillFileError> {
    let mut r = crate::archive::gunzip(gz, crate::archive::LIMITS, "the bill");
    let mut out = Vec::new();
    if let Err(e) = r.read_to_end(&mut out) {
        return Err(if r.refused() { BillFileError::TooLarge(e.to_string()) } else { BillFileError::NotGzip(e.kind().to_string()) });
    }
    verify_sha1(&out, sha1_hex)?;
    Ok(out)
}

/// Checks the SHA1 of a (decompressed) bill.
pub fn verify_sha1(content: &[u8], sha1_hex: &str) -> Result<(), BillFileError> {
    let actual = crate::sign::sha1_hex(content);
    let declared = sha1_hex.trim().to_ascii_lowercase();
    if !crate::sign::ct_eq(actual.as_bytes(), declared.as_bytes()) {
        return Err(BillFileError::HashMismatch { declared, actual });
    }
    Ok(())
}

/// What the bill's summary row declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillSummary {
    /// 总交易单数: detail rows, payments and refunds together.
    pub rows: u64,
    /// 应结订单总金额 (fen).
    pub settlement_total: Option<i64>,
    /// 退款总金额.
    pub refund_total: Option<i64>,
    /// 充值券退款总金额.
    pub coupon_refund_total: Option<i64>,
    /// 手续费总金额.
    pub fee_total: Option<i64>,
    /// 订单总金额.
    pub order_total: Option<i64>,
    /// 申请退款总金额.
    pub requested_refund_total: Option<i64>,
}

impl BillSummary {
    /// In the normalised form. Amounts follow the row fields: payments are 订单金额 (or 应结订单金额
    /// where absent), refunds 申请退款金额 (or 退款金额). The file counts payments and refunds
    /// together, so the per-kind counts stay unknown (`rows` has the combined count).
    pub fn totals(&self) -> StatementTotals {
        StatementTotals {
            payments: None,
            payment_amount: self.order_total.or(self.settlement_total),
            refunds: None,
            refund_amount: self.requested_refund_total.or(self.refund_total),
            fees: self.fee_total,
        }
    }
}

/// Column positions, found by header name.
#[derive(Debug, Clone)]
struct Columns {
    count: usize,
    time: usize,
    merchant: usize,
    sub_merchant: Option<usize>,
    trade_no: usize,
    order_no: usize,
    status: usize,
    amount: usize,
    refund_no: Option<usize>,
    refund_amount: Option<usize>,
    fee: Option<usize>,
}

impl Columns {
    fn from_header(line: &str) -> Result<Columns, String> {
        let names: Vec<&str> = line.split(',').map(|c| c.trim().trim_start_matches('`')).collect();
        let find = |n: &str| names.iter().position(|c| *c == n);
        let need = |n: &str| find(n).ok_or_else(|| format!("header has no column {n}: not a WeChat Pay trade bill"));
        Ok(Columns {
            count: names.len(),
            time: need("交易时间")?,
            merchant: need("商户号")?,
            sub_merchant: find("特约商户号"),
            trade_no: need("微信订单号")?,
            order_no: need("商户订单号")?,
            status: need("交易状态")?,
            amount: find("订单金额").or_else(|| find("应结订单金额")).ok_or("header has neither 订单金额 nor 应结订单金额")?,
            refund_no: find("商户退款单号"),
            refund_amount: find("申请退款金额").or_else(|| find("退款金额")),
            fee: find("手续费"),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Rows,
    SummaryRow,
    Done,
    Failed,
}

/// What the reader found on the line it just read.
enum Step {
    /// A detail row, in the line buffer.
    Row,
    End,
}

/// Streams the detail rows of a bill. After the iterator ends without error, [`BillReader::summary`]
/// holds the summary; the row count is checked against it. Errors name the 1-based line; after an
/// error the reader stops. Lines are read into one reused buffer and handed out borrowed
/// ([`BillReader::next_line`]): nothing is allocated per line.
pub struct BillReader<R> {
    input: R,
    line_no: u64,
    stage: Stage,
    columns: Option<Columns>,
    summary_names: Vec<String>,
    summary: Option<BillSummary>,
    rows: u64,
    buf: Vec<u8>,
    cells: Vec<(usize, usize)>,
    /// Set when the row just handed out was bad (the reader stops).
    bad_row: std::cell::Cell<bool>,
}

impl<R: BufRead> BillReader<R> {
    pub fn new(input: R) -> BillReader<R> {
        BillReader { input, line_no: 0, stage: Stage::Header, columns: None, summary_names: Vec::new(), summary: None, rows: 0, buf: Vec::with_capacity(1024), cells: Vec::with_capacity(32), bad_row: std::cell::Cell::new(false) }
    }

    /// The summary, once the whole file was read without error.
    pub fn summary(&self) -> Option<&BillSummary> {
        if self.stage == Stage::Done && !self.bad_row.get() {
            self.summary.as_ref()
        } else {
            None
        }
    }

    fn fail(&mut self, line: u64, message: impl Into<String>) -> StatementError {
        self.stage = Stage::Failed;
        StatementError { line, message: message.into() }
    }

    /// Reads the next line into the buffer, without its line end (and BOM); false at the end.
    fn read_line(&mut self) -> Result<bool, String> {
        self.buf.clear();
        let n = (&mut self.input).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut self.buf).map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        if self.buf.len() > MAX_LINE {
            return Err(format!("line longer than {MAX_LINE} bytes"));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        if self.line_no == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
        }
        std::str::from_utf8(&self.buf).map_err(|_| "not UTF-8 text".to_string())?;
        Ok(true)
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.buf).unwrap_or_default()
    }

    /// Advances to the next detail row (left in the buffer, its cells split), handling the
    /// header, the summary lines and the end of the file on the way.
    fn advance(&mut self) -> Result<Step, StatementError> {
        if self.bad_row.get() {
            self.stage = Stage::Failed;
        }
        loop {
            if matches!(self.stage, Stage::Done | Stage::Failed) {
                return Ok(Step::End);
            }
            let more = match self.read_line() {
                Ok(m) => m,
                Err(e) => {
                    let n = self.line_no.max(1);
                    return Err(self.fail(n, e));
                }
            };
            let n = self.line_no;
            if !more {
                return Err(match self.stage {
                    Stage::Header => self.fail(1, "empty file"),
                    _ => self.fail(n + 1, "the file ends before its summary lines (truncated download?)"),
                });
            }
            match self.stage {
                Stage::Header => match Columns::from_header(self.text()) {
                    Ok(c) => {
                        self.columns = Some(c);
                        self.stage = Stage::Rows;
                    }
                    Err(e) => return Err(self.fail(n, e)),
                },
                Stage::Rows if self.buf.first() == Some(&b'`') => {
                    self.rows += 1;
                    split_cells(&self.buf, &mut self.cells);
                    return Ok(Step::Row);
                }
                Stage::Rows if self.text().trim().is_empty() => return Err(self.fail(n, "empty line among the detail rows")),
                Stage::Rows => {
                    if !self.text().contains("总交易单数") {
                        return Err(self.fail(n, "expected a detail row (starting with `) or the summary header (总交易单数,…)"));
                    }
                    self.summary_names = self.text().split(',').map(|c| c.trim().to_string()).collect();
                    self.stage = Stage::SummaryRow;
                }
                Stage::SummaryRow => {
                    let s = self.summary_row().map_err(|e| self.fail(n, e))?;
                    if s.rows != self.rows {
                        let msg = format!("the summary counts {} rows but the file has {}", s.rows, self.rows);
                        return Err(self.fail(n, msg));
                    }
                    self.summary = Some(s);
                    // Only blank lines may follow.
                    loop {
                        match self.read_line() {
                            Ok(false) => break,
                            Ok(true) if self.text().trim().is_empty() => continue,
                            Ok(true) => {
                                let m = self.line_no;
                                return Err(self.fail(m, "unexpected content after the summary"));
                            }
                            Err(e) => {
                                let m = self.line_no;
                                return Err(self.fail(m, e));
                            }
                        }
                    }
                    self.stage = Stage::Done;
                    return Ok(Step::End);
                }
                Stage::Done | Stage::Failed => return Ok(Step::End),
            }
        }
    }

    /// The detail row in the buffer, borrowed.
    fn row(&self) -> Result<LineRef<'_>, String> {
        let Some(cols) = self.columns.as_ref() else { return Err("no header".into()) };
        let text = self.text();
        if self.cells.len() != cols.count {
            return Err(format!("{} cells, but the header has {} columns", self.cells.len(), cols.count));
        }
        let cell = |i: usize| {
            let (a, b) = self.cells[i];
            text[a..b].trim()
        };
        let amount = |i: usize, name: &str| Money::parse_signed_statement(cell(i)).map_err(|e| format!("{name}: {e}"));
        let status = cell(cols.status);
        let kind = match status {
            "SUCCESS" | "REVOKED" => StatementKind::Payment,
            "REFUND" => StatementKind::Refund,
            other => return Err(format!("交易状态 {other:?} is not SUCCESS, REFUND or REVOKED")),
        };
        let order_amount = amount(cols.amount, "订单金额")?;
        if order_amount < 0 {
            return Err("订单金额 is negative".into());
        }
        let (refund_no, refund_amount) = match kind {
            StatementKind::Refund => {
                let no = cols.refund_no.map(cell).filter(|s| !s.is_empty() && *s != "0");
                // Only a refund Paydesk made must carry our number; one made in WeChat's own
                // app of a payment Paydesk never created may not (reconciled as external).
                if no.is_none() && paydesk_core::ids::issued_by_paydesk(cell(cols.order_no), 'P') {
                    return Err("refund row without 商户退款单号".into());
                }
                let a = amount(cols.refund_amount.ok_or("refund row, but the header has no 申请退款金额/退款金额 column")?, "申请退款金额")?;
                if a <= 0 {
                    return Err("refund amount is not positive".into());
                }
                (no, a)
            }
            StatementKind::Payment => (None, 0),
        };
        let fee = match cols.fee {
            Some(i) => amount(i, "手续费")?,
            None => 0,
        };
        let time = parse_time(cell(cols.time).as_bytes()).ok_or_else(|| format!("交易时间 {:?} is not yyyy-MM-dd HH:mm:ss", cell(cols.time)))?;
        let sub = cols.sub_merchant.map(cell).filter(|s| !s.is_empty() && *s != "0");
        let trade_no = cell(cols.trade_no);
        if trade_no.is_empty() {
            return Err("微信订单号 is empty".into());
        }
        for (name, v) in [("微信订单号", trade_no), ("商户订单号", cell(cols.order_no)), ("商户退款单号", refund_no.unwrap_or(""))] {
            if v.len() > MAX_FIELD {
                return Err(format!("{name} is longer than {MAX_FIELD} bytes"));
            }
        }
        Ok(LineRef {
            kind,
            channel_trade_no: trade_no,
            // Empty for a payment Paydesk did not create (a 收款码 sticker): reconciled as external.
            order_no: cell(cols.order_no),
            refund_no,
            amount: order_amount,
            refund_amount,
            fee,
            time: Some(time),
            status,
            merchant_id: sub.unwrap_or(cell(cols.merchant)),
        })
    }

    /// The next detail row, borrowed from the reader; None at the end (or after an error).
    pub fn next_line(&mut self) -> Option<Result<LineRef<'_>, StatementError>> {
        match self.advance() {
            Ok(Step::End) => None,
            Err(e) => Some(Err(e)),
            Ok(Step::Row) => {
                let line = self.line_no;
                Some(self.row().map_err(|message| {
                    // A file with a bad line is refused as a whole: stop here.
                    self.bad_row.set(true);
                    StatementError { line, message }
                }))
            }
        }
    }

    fn summary_row(&self) -> Result<BillSummary, String> {
        let mut spans = Vec::new();
        split_cells(&self.buf, &mut spans);
        let text = self.text();
        let cells: Vec<&str> = spans.iter().map(|&(a, b)| text[a..b].trim()).collect();
        if cells.len() != self.summary_names.len() {
            return Err(format!("summary has {} cells, but its header has {}", cells.len(), self.summary_names.len()));
        }
        let find = |n: &str| self.summary_names.iter().position(|c| c == n).map(|i| cells[i]);
        let money = |n: &str| find(n).map(|v| Money::parse_signed_statement(v).map_err(|e| format!("{n}: {e}"))).transpose();
        let count = find("总交易单数").ok_or("summary has no 总交易单数")?;
        let rows = count.strip_suffix(".0").unwrap_or(count).parse::<u64>().map_err(|_| format!("总交易单数 {count:?} is not a whole number"))?;
        Ok(BillSummary {
            rows,
            settlement_total: money("应结订单总金额")?,
            refund_total: money("退款总金额")?,
            coupon_refund_total: money("充值券退款总金额")?,
            fee_total: money("手续费总金额")?,
            order_total: money("订单总金额")?,
            requested_refund_total: money("申请退款总金额")?,
        })
    }
}

/// Splits a backtick-prefixed line into cell spans: cells are separated by `` ,` `` and the
/// leading backtick of each cell is dropped (a bare backtick is an empty cell).
fn split_cells(line: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let first = usize::from(line.first() == Some(&b'`'));
    let mut start = first;
    for i in memchr::memchr_iter(b'`', &line[first..]).map(|i| i + first) {
        if i > 0 && line[i - 1] == b',' && i > start {
            out.push((start, i - 1));
            start = i + 1;
        }
    }
    out.push((start, line.len()));
}

impl<R: BufRead> Iterator for BillReader<R> {
    type Item = Result<StatementRow, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().map(|r| r.map(|l| l.to_row()))
    }
}

/// Opens a bill file as downloaded by hand — plain CSV or GZIP (sniffed) — for streaming.
pub fn open_file(path: &std::path::Path) -> std::io::Result<BillReader<Box<dyn BufRead>>> {
    let mut f = std::io::BufReader::new(std::fs::File::open(path)?);
    let gz = f.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn BufRead> = if gz { Box::new(std::io::BufReader::new(crate::archive::gunzip(f, crate::archive::LIMITS, "the bill"))) } else { Box::new(f) };
    Ok(BillReader::new(inner))
}

/// Parses a whole bill (decompressed bytes): every row and the summary, or the first error.
pub fn parse_bill(content: &[u8]) -> Result<(Vec<StatementRow>, BillSummary), StatementError> {
    let mut r = BillReader::new(content);
    let rows = (&mut r).collect::<Result<Vec<_>, _>>()?;
    let summary = r.summary().cloned().ok_or(StatementError { line: 0, message: "no summary".into() })?;
    Ok((rows, summary))
}

impl<R: BufRead + Send> paydesk_core::statement::StatementSource for BillReader<R> {
    fn totals(&self) -> StatementTotals {
        self.summary().map(BillSummary::totals).unwrap_or_default()
    }

    fn read_into(&mut self, lines: &mut StatementLines, progress: &mut dyn FnMut(u64)) -> Result<(), StatementError> {
        while let Some(l) = self.next_line() {
            // Fields were checked against MAX_FIELD with their line: this cannot fail.
            lines.push_read(l?, progress)?;
        }
        Ok(())
    }
}

/// Whether `head` looks like a WeChat Pay trade bill: optional BOM, then the header line
/// starting `交易时间,`.
pub fn sniff(head: &[u8]) -> bool {
    head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head).starts_with("交易时间,".as_bytes())
}

/// Opens a (decompressed) bill as a row stream.
pub fn open(input: crate::statement::Input<'_>) -> Result<Box<dyn paydesk_core::statement::StatementSource + '_>, StatementError> {
    Ok(Box::new(BillReader::new(input)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::testdata::vector;

    #[test]
    fn t9_fixture_45_rows_and_sums_equal_the_summary() {
        let bytes = vector("wechat/bill.ALL.csv");
        assert_eq!(crate::sign::sha1_hex(&bytes), "9bb6cd819be348f17a9cbcedddc8eb62fefbd790");
        let (rows, summary) = parse_bill(&bytes).unwrap();
        assert_eq!(rows.len(), 45);
        let pay: Vec<_> = rows.iter().filter(|r| r.kind == StatementKind::Payment).collect();
        let refunds: Vec<_> = rows.iter().filter(|r| r.kind == StatementKind::Refund).collect();
        assert_eq!((pay.len(), refunds.len()), (31, 14));
        assert_eq!(summary.rows, 45);
        let t = summary.totals();
        let sum = |f: fn(&StatementRow) -> i64| rows.iter().map(f).sum::<i64>();
        assert_eq!(Some(sum(|r| r.amount)), t.payment_amount);
        assert_eq!(Some(sum(|r| r.refund_amount)), t.refund_amount);
        assert_eq!(Some(sum(|r| r.fee)), t.fees);
        assert_eq!((t.payment_amount, t.refund_amount, t.fees), (Some(47), Some(14), Some(8)));
        assert_eq!(summary.coupon_refund_total, Some(0));
        let r = refunds[0];
        assert_eq!(r.refund_no.as_deref(), Some("REF4200000263201902167700963919"));
        assert_eq!((r.amount, r.refund_amount, r.status.as_str(), r.merchant_id.as_str()), (0, 1, "REFUND", "1921000401"));
        assert_eq!(r.time.unwrap().to_string(), "2019-02-19 05:01:46");
        let p = rows.iter().find(|r| r.order_no == "autotest_20190219015232_89201").unwrap();
        assert_eq!((p.channel_trade_no.as_str(), p.amount, p.fee, p.refund_no.as_ref()), ("4200000263201902167700134902", 3, 1, None));
    }

    #[test]
    fn streaming_reader_yields_rows_then_summary() {
        let bytes = vector("wechat/bill.ALL.csv");
        let mut r = BillReader::new(std::io::BufReader::with_capacity(64, &bytes[..]));
        assert!(r.summary().is_none());
        let mut n = 0;
        for row in &mut r {
            row.unwrap();
            n += 1;
        }
        assert_eq!(n, 45);
        assert_eq!(r.summary().unwrap().rows, 45);
    }

    fn fixture_lines() -> Vec<String> {
        String::from_utf8(vector("wechat/bill.ALL.csv")).unwrap().split("\r\n").map(str::to_string).collect()
    }

    fn parse_lines(lines: &[String]) -> Result<(Vec<StatementRow>, BillSummary), StatementError> {
        parse_bill(lines.join("\r\n").as_bytes())
    }

    #[test]
    fn errors_name_the_line() {
        let base = fixture_lines();
        let mut bad_amount = base.clone();
        bad_amount[3] = bad_amount[3].replace("`39.00%,`0.03,", "`39.00%,`0.0x,");
        assert_ne!(bad_amount[3], base[3]);
        let e = parse_lines(&bad_amount).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let mut few_cells = base.clone();
        few_cells[10] = few_cells[10].rsplit_once(",`").unwrap().0.to_string();
        let e = parse_lines(&few_cells).unwrap_err();
        assert_eq!(e.line, 11);
        assert!(e.message.contains("cells"), "{e}");
        let mut bad_status = base.clone();
        bad_status[5] = bad_status[5].replace("`SUCCESS,", "`WHATEVER,");
        assert_eq!(parse_lines(&bad_status).unwrap_err().line, 6);
        // Truncated: no summary.
        let e = parse_lines(&base[..20]).unwrap_err();
        assert_eq!(e.line, 21);
        assert!(e.message.contains("summary"), "{e}");
        // A row lost: the count disagrees with the summary.
        let mut lost = base.clone();
        lost.remove(7);
        let e = parse_lines(&lost).unwrap_err();
        assert!(e.message.contains("45") && e.message.contains("44"), "{e}");
        // Not a bill at all.
        let e = parse_bill(b"<xml><return_code>FAIL</return_code></xml>").unwrap_err();
        assert_eq!(e.line, 1);
        assert_eq!(parse_bill(b"").unwrap_err().line, 1);
    }

    #[test]
    fn columns_are_found_by_name() {
        // A SUCCESS-type bill: fewer columns, another order.
        let csv = "\u{feff}交易时间,商户订单号,微信订单号,商户号,特约商户号,交易状态,应结订单金额,手续费\r\n\
                   `2026-11-25 10:00:00,`P1,`4200,`1900000100,`1900000111,`SUCCESS,`12.30,`0.07000\r\n\
                   总交易单数,应结订单总金额,手续费总金额\r\n`1,`12.3,`0.07\r\n";
        let (rows, s) = parse_bill(csv.as_bytes()).unwrap();
        assert_eq!((rows[0].amount, rows[0].fee, rows[0].merchant_id.as_str()), (1230, 7, "1900000111"));
        assert_eq!(s.totals().payment_amount, Some(1230));
        let e = parse_bill("交易时间,商户订单号\r\n".as_bytes()).unwrap_err();
        assert!(e.line == 1 && e.message.contains("商户号"), "{e}");
    }

    #[test]
    fn gzip_and_sha1_are_checked() {
        use std::io::Write;
        let content = vector("wechat/bill.ALL.csv");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&content).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gunzip_verified(&gz, "9BB6CD819BE348F17A9CBCEDDDC8EB62FEFBD790").unwrap(), content);
        let e = gunzip_verified(&gz, "0000000000000000000000000000000000000000").unwrap_err();
        assert!(matches!(e, BillFileError::HashMismatch { .. }) && e.to_string().contains("refused"), "{e}");
        assert!(matches!(gunzip_verified(&content, "x"), Err(BillFileError::NotGzip(_))));
        // A hand-downloaded file, compressed or not.
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [("bill.csv.gz", &gz), ("bill.csv", &content)] {
            std::fs::write(dir.path().join(name), bytes).unwrap();
            let mut r = open_file(&dir.path().join(name)).unwrap();
            assert_eq!((&mut r).filter(|x| x.is_ok()).count(), 45, "{name}");
            assert_eq!(r.summary().unwrap().rows, 45);
        }
    }
}
