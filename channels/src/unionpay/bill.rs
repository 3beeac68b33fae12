//! UnionPay statement files (protocols.md §4.7). The `76/01` reply's `fileContent` is Base64 of a
//! zlib-deflated ZIP; its merchant transaction file is the entry named `INN<yymmdd><nn>ZM_<merId>`.
//!
//! **Layout source.** The record layout is defined in 《全渠道平台接入接口规范 第3部分 文件接口》
//! §6.1 ("ZM 文件"), which we could not read. We follow UnionPay's own ACP SDK demo code as
//! published in many public repositories (`DemoBase.parseZMFile` / `SDKUtil.parseZMFile`, and the
//! Python demo `Form_7_2_FileTransfer`): one record per line, **GBK**, fixed byte widths
//! `3,11,11,6,10,19,12,4,2,21,2,32,2,6,10,13,13,4,15,2,2,6,2,4,32,1,21,15,1,15,32,13,13,8,32,13,13,12,2,1,32,98`
//! with **one separator byte** between fields. Field names are from the same demos' comments and a
//! public `UnionField` table: 1 交易代码, 4 系统跟踪号, 5 交易传输时间 (MMDDhhmmss), 6 账号,
//! 7 交易金额 (fen, 12 digits), 10 查询流水号 (queryId), 12 商户订单号 (orderId), 16 商户手续费,
//! 17 结算金额, 20 交易类型 (txnType), 21 交易子类, 27 原交易查询流水号 (origQryId), 28 商户代码.
//!
//! **Unverified** (no real file was available): the sign convention of the 13-character amounts
//! (we accept 13 digits, or `C`/`D`/`-` + 12 digits; `D` = charged to the merchant), field 41 as
//! the original order's 商户订单号 on refund rows (older layouts end in 131 reserved bytes; a
//! public integration reads field 41 that way), and the file's line ends (CRLF and LF accepted).
//!
//! Rows: `txnType` `01` payment; `04` refund (its `orderId` is our refund number); `31` revoke
//! (a full refund of the same day, `orderId` `{order}C`). Any other type, a short line or a bad
//! amount is an error naming the line, and nothing is imported.

use std::io::{BufRead, Cursor, Read, Seek};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use paydesk_core::statement::{LineRef, StatementError, StatementKind, StatementLines, StatementRow, StatementTotals};

/// Field widths of a ZM record (ACP SDK demo `parseZMFile`).
pub const ZM_WIDTHS: [usize; 42] = [3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98];

/// 1-based field numbers used here.
pub mod field {
    pub const TRADE_CODE: usize = 1;
    pub const TRACE_NO: usize = 4;
    pub const TXN_TIME: usize = 5;
    pub const TXN_AMT: usize = 7;
    pub const QUERY_ID: usize = 10;
    pub const ORDER_ID: usize = 12;
    pub const MER_CHARGE: usize = 16;
    pub const TXN_TYPE: usize = 20;
    pub const TXN_SUB_TYPE: usize = 21;
    pub const ORIG_QRY_ID: usize = 27;
    pub const MER_ID: usize = 28;
    pub const ORIG_ORDER_ID: usize = 41;
}

/// Byte offset of a 1-based field.
pub fn offset(n: usize) -> usize {
    ZM_WIDTHS[..n - 1].iter().map(|w| w + 1).sum()
}

/// The shortest line we read: through the merchant code (field 28).
fn min_len() -> usize {
    offset(field::MER_ID) + ZM_WIDTHS[field::MER_ID - 1]
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub merchant_id: String,
    pub rows: Vec<StatementRow>,
    pub totals: StatementTotals,
}

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

/// Inflates a `fileContent` blob (Base64 of zlib data) to the bytes of the named file.
pub fn decode_file_content(b64: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let z = base64::engine::general_purpose::STANDARD.decode(cleaned).map_err(|_| "fileContent is not Base64")?;
    crate::archive::inflate_zlib(&z, crate::archive::LIMITS, "fileContent").map_err(|e| e.message)
}

/// The inverse of [`decode_file_content`] (the simulator and tests use it).
pub fn encode_file_content(bytes: &[u8]) -> String {
    use base64::Engine;
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(bytes);
    base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap_or_default())
}

/// Reads ZM records line by line (streaming), in the context of the file's settlement date.
/// Records are read into one reused buffer and handed out borrowed ([`ZmRows::next_line`]).
pub struct ZmRows<R> {
    r: R,
    line: u64,
    date: NaiveDate,
    buf: Vec<u8>,
    /// The merchant of the first row; every row must name the same one.
    merchant: Option<String>,
    /// `txnType/txnSubType` of the current record; fields that are not ASCII, decoded.
    status: String,
    scratch: [String; 3],
    failed: bool,
}

/// A field of a record, trimmed (bytes; blank when the record is shorter).
fn field_bytes(rec: &[u8], n: usize) -> &[u8] {
    let start = offset(n);
    let end = (start + ZM_WIDTHS[n - 1]).min(rec.len());
    rec.get(start..end).unwrap_or(&[]).trim_ascii()
}

/// A text field: used in place when ASCII, else decoded from GBK into `into`.
fn field_text<'b>(rec: &'b [u8], n: usize, into: &'b mut String, line: u64) -> Result<&'b str, StatementError> {
    let b = field_bytes(rec, n);
    if b.is_ascii() {
        return Ok(std::str::from_utf8(b).unwrap_or_default());
    }
    let (text, bad) = encoding_rs::GBK.decode_without_bom_handling(b);
    if bad {
        return Err(err(line, format!("field {n} is not GBK text")));
    }
    into.clear();
    into.push_str(text.trim());
    Ok(into.as_str())
}

impl<R: BufRead> ZmRows<R> {
    /// `date`: the file's date (from its name), giving the year of `MMDDhhmmss` times.
    pub fn new(r: R, date: NaiveDate) -> ZmRows<R> {
        ZmRows { r, line: 0, date, buf: Vec::with_capacity(1024), merchant: None, status: String::new(), scratch: Default::default(), failed: false }
    }

    /// The merchant the rows so far belong to.
    pub fn merchant_id(&self) -> Option<&str> {
        self.merchant.as_deref()
    }

    /// Parses one record (bytes of a line without its end).
    fn parse<'b>(line: u64, date: NaiveDate, rec: &'b [u8], status: &'b mut String, scratch: &'b mut [String; 3]) -> Result<LineRef<'b>, StatementError> {
        if rec.len() < min_len() {
            return Err(err(line, format!("record is {} bytes, at least {} expected (ZM layout)", rec.len(), min_len())));
        }
        let ascii = |n: usize| std::str::from_utf8(field_bytes(rec, n)).ok().filter(|s| s.is_ascii());
        let txn_type = ascii(field::TXN_TYPE).unwrap_or("?");
        let kind = match txn_type {
            "01" => StatementKind::Payment,
            "04" | "31" => StatementKind::Refund,
            other => return Err(err(line, format!("txnType {other:?} (field 20) is not a payment (01), refund (04) or revoke (31)"))),
        };
        let amount = ascii(field::TXN_AMT).and_then(fen12).ok_or_else(|| err(line, "txnAmt (field 7) is not 12 digits of fen"))?;
        let fee = ascii(field::MER_CHARGE).and_then(signed13).ok_or_else(|| err(line, "merchant fee (field 16) is not an amount"))?;
        let time = ascii(field::TXN_TIME).and_then(|t| zm_time(date, t)).ok_or_else(|| err(line, "transaction time (field 5) is not MMDDhhmmss"))?;
        status.clear();
        status.push_str(txn_type);
        status.push('/');
        status.push_str(ascii(field::TXN_SUB_TYPE).unwrap_or(""));
        let [s0, s1, s2] = scratch;
        let order_id = field_text(rec, field::ORDER_ID, s0, line)?;
        if order_id.is_empty() {
            return Err(err(line, "orderId (field 12) is empty"));
        }
        let query_id = field_text(rec, field::QUERY_ID, s1, line)?;
        let (order_no, refund_no) = match txn_type {
            "01" => (order_id, None),
            "31" => {
                // Our revoke's orderId is `{order}C`.
                let orig = field_text(rec, field::ORIG_ORDER_ID, s2, line)?;
                (if orig.is_empty() { order_id.strip_suffix('C').unwrap_or(order_id) } else { orig }, None)
            }
            _ => (field_text(rec, field::ORIG_ORDER_ID, s2, line)?, Some(order_id)),
        };
        let merchant = ascii(field::MER_ID).ok_or_else(|| err(line, "merchant code (field 28) is not ASCII"))?;
        let (payment, refund) = if kind == StatementKind::Payment { (amount, 0) } else { (0, amount) };
        Ok(LineRef { kind, channel_trade_no: query_id, order_no, refund_no, amount: payment, refund_amount: refund, fee, time: Some(time), status: status.as_str(), merchant_id: merchant })
    }

    /// The next record, borrowed from the reader; None at the end (or after an error).
    pub fn next_line(&mut self) -> Option<Result<LineRef<'_>, StatementError>> {
        if self.failed {
            return None;
        }
        loop {
            self.buf.clear();
            match self.r.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(err(self.line + 1, format!("cannot read: {e}"))));
                }
            }
            self.line += 1;
            while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                self.buf.pop();
            }
            if !self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                break;
            }
        }
        let line = self.line;
        if self.buf.len() >= min_len() {
            let merchant = String::from_utf8_lossy(field_bytes(&self.buf, field::MER_ID));
            match &self.merchant {
                None => self.merchant = Some(merchant.into_owned()),
                Some(m) if *m != merchant => {
                    self.failed = true;
                    return Some(Err(err(line, format!("merchant {merchant} differs from {m} on earlier lines"))));
                }
                Some(_) => {}
            }
        }
        let r = Self::parse(line, self.date, &self.buf, &mut self.status, &mut self.scratch);
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}

/// `MMDDhhmmss` in the year of the file's `date` (a December record in a January file is last
/// year's).
fn zm_time(date: NaiveDate, s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    let month = n(0);
    let year = if month > date.month() + 1 { date.year() - 1 } else { date.year() };
    NaiveDate::from_ymd_opt(year, month, n(2))?.and_hms_opt(n(4), n(6), n(8))
}

impl<R: BufRead> Iterator for ZmRows<R> {
    type Item = Result<StatementRow, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().map(|r| r.map(|l| l.to_row()))
    }
}

/// ZM files declare no totals: the reconciler sums the rows.
impl<R: BufRead + Send> paydesk_core::statement::StatementSource for ZmRows<R> {
    fn read_into(&mut self, lines: &mut StatementLines, progress: &mut dyn FnMut(u64)) -> Result<(), StatementError> {
        while let Some(l) = self.next_line() {
            lines.push_read(l?, progress)?;
        }
        Ok(())
    }
}

/// Whether the first bytes are a UnionPay statement ZIP: its first entry is an `INN…` file.
pub fn sniff_zip(head: &[u8]) -> bool {
    // Local file header: signature, …, name length (u16 LE) at 26, the name at 30.
    if !head.starts_with(b"PK\x03\x04") || head.len() < 30 {
        return false;
    }
    let n = usize::from(u16::from_le_bytes([head[26], head[27]]));
    head.get(30..30 + n).is_some_and(|name| name.starts_with(b"INN"))
}

/// Whether the first bytes are a ZM record (a transaction file taken out of its ZIP).
pub fn sniff(head: &[u8]) -> bool {
    let first = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (mut status, mut scratch) = (String::new(), Default::default());
    first.len() >= min_len() && ZmRows::<&[u8]>::parse(1, today, first, &mut status, &mut scratch).is_ok()
}

/// Opens a bare ZM file (taken out of its ZIP) as a row stream (the statement-format hook,
/// `crate::statement`). Its times take the year of today (Beijing).
pub fn open(input: crate::statement::Input<'_>) -> Result<Box<dyn paydesk_core::statement::StatementSource + '_>, StatementError> {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    Ok(Box::new(ZmRows::new(input, today)))
}

/// The ZM entry of a statement ZIP, by the entries' names.
pub fn pick_entry(names: &[String]) -> Option<usize> {
    names.iter().position(|n| is_zm(n))
}

/// Opens the ZM entry `name` (decompressed on the fly) as a row stream; its times take the year
/// of the date in its name.
pub fn open_entry<'a>(name: &str, input: crate::statement::Input<'a>) -> Result<Box<dyn paydesk_core::statement::StatementSource + 'a>, StatementError> {
    let date = entry_date(name).ok_or_else(|| err(0, "ZM entry name has no date"))?;
    Ok(Box::new(ZmRows::new(input, date)))
}

/// 12 digits of fen.
pub(crate) fn fen12(s: &str) -> Option<i64> {
    (s.len() <= 12 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// A 13-character amount: 13 digits, or `C`/`D`/`-` + 12 digits; blank is zero. `D` (debit to the
/// merchant) is positive, `C` (credit) and `-` negative.
pub(crate) fn signed13(s: &str) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let (sign, digits) = match s.as_bytes()[0] {
        b'D' | b'd' | b'+' => (1, &s[1..]),
        b'C' | b'c' | b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    fen12(digits).or_else(|| (digits.len() == 13 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()).map(|v: i64| sign * v)
}

/// The date in a ZM entry name `INN<yymmdd>…ZM_…`.
pub fn entry_date(name: &str) -> Option<NaiveDate> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let d = base.strip_prefix("INN")?.get(..6)?;
    NaiveDate::parse_from_str(&format!("20{d}"), "%Y%m%d").ok()
}

/// Whether a ZIP entry is the merchant transaction (ZM) file.
pub fn is_zm(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.starts_with("INN") && base.contains("ZM_") && entry_date(base).is_some()
}

/// Parses the ZM entry of a statement ZIP. All or nothing: the first bad line is the error.
pub fn parse_statement(zip_bytes: &[u8]) -> Result<Statement, StatementError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes)).map_err(|_| err(0, "not a ZIP file (UnionPay statements are ZIPs of INN…ZM_… files)"))?;
    let (idx, date) = zm_entry(&mut zip)?;
    let entry = crate::archive::zip_entry(&mut zip, idx, zip_bytes.len() as u64, crate::archive::LIMITS, "the ZM entry")?;
    collect(ZmRows::new(std::io::BufReader::new(entry), date))
}

/// The index and date of the ZM entry.
pub fn zm_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<(usize, NaiveDate), StatementError> {
    for i in 0..zip.len() {
        let name = zip.by_index_raw(i).map(|f| f.name().to_string()).unwrap_or_default();
        if is_zm(&name) {
            let date = entry_date(&name).ok_or_else(|| err(0, "ZM entry name has no date"))?;
            return Ok((i, date));
        }
    }
    Err(err(0, "the ZIP holds no INN…ZM_… file"))
}

/// Collects all rows (all or nothing) with totals computed from them (the file declares none);
/// the merchant is the one all rows name (mixed merchants are refused).
pub fn collect<R: BufRead>(mut rows: ZmRows<R>) -> Result<Statement, StatementError> {
    let mut out = Statement { merchant_id: String::new(), rows: Vec::new(), totals: StatementTotals::default() };
    let (mut pays, mut pay_amt, mut refunds, mut refund_amt, mut fees) = (0u64, 0i64, 0u64, 0i64, 0i64);
    for r in rows.by_ref() {
        let r = r?;
        match r.kind {
            StatementKind::Payment => (pays, pay_amt) = (pays + 1, pay_amt + r.amount),
            StatementKind::Refund => (refunds, refund_amt) = (refunds + 1, refund_amt + r.refund_amount),
        }
        fees += r.fee;
        out.rows.push(r);
    }
    out.merchant_id = rows.merchant_id().unwrap_or_default().to_string();
    out.totals = StatementTotals { payments: Some(pays), payment_amount: Some(pay_amt), refunds: Some(refunds), refund_amount: Some(refund_amt), fees: Some(fees) };
    Ok(out)
}

/// Writes one ZM record (the simulator's files and tests): `values` by 1-based field number;
/// every other field blank. Values longer than their field are cut.
pub fn zm_record(values: &[(usize, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, w) in ZM_WIDTHS.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let v = values.iter().find(|(n, _)| *n == i + 1).map(|(_, v)| *v).unwrap_or("");
        let (bytes, _, _) = encoding_rs::GBK.encode(v);
        let mut cell = bytes.into_owned();
        cell.truncate(*w);
        cell.resize(*w, b' ');
        out.extend_from_slice(&cell);
    }
    out
}
