//! Reading the records of an import file — CSV (header names the columns) or JSON (an array of
//! objects, or one object per line) — as [`Fields`] borrowed from the file, with the line each
//! record starts on. Unknown columns or keys are errors (a typo must not drop a value).

use std::borrow::Cow;

use serde::Deserialize;

use super::{ImportFormat, LineError};

/// Every column (CSV) or key (JSON) of the format.
pub const COLUMNS: [&str; 17] = [
    "order_no",
    "account",
    "channel",
    "method",
    "kind",
    "amount",
    "fee",
    "status",
    "created_at",
    "paid_at",
    "refunded",
    "refunded_at",
    "refund_no",
    "till",
    "operator",
    "subject",
    "channel_trade_no",
];

/// One record's values as text (absent = None; checked by the import rules).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fields<'a> {
    pub order_no: Option<&'a str>,
    pub account: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub method: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub amount: Option<&'a str>,
    pub fee: Option<&'a str>,
    pub status: Option<&'a str>,
    pub created_at: Option<&'a str>,
    pub paid_at: Option<&'a str>,
    pub refunded: Option<&'a str>,
    pub refunded_at: Option<&'a str>,
    pub refund_no: Option<&'a str>,
    pub till: Option<&'a str>,
    pub operator: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub channel_trade_no: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn set(&mut self, column: usize, v: &'a str) {
        let slot = match column {
            0 => &mut self.order_no,
            1 => &mut self.account,
            2 => &mut self.channel,
            3 => &mut self.method,
            4 => &mut self.kind,
            5 => &mut self.amount,
            6 => &mut self.fee,
            7 => &mut self.status,
            8 => &mut self.created_at,
            9 => &mut self.paid_at,
            10 => &mut self.refunded,
            11 => &mut self.refunded_at,
            12 => &mut self.refund_no,
            13 => &mut self.till,
            14 => &mut self.operator,
            15 => &mut self.subject,
            _ => &mut self.channel_trade_no,
        };
        *slot = Some(v);
    }
}

fn bad(line: u64, field: &str, message: impl Into<String>) -> LineError {
    LineError { line, field: field.into(), message: message.into() }
}

/// Calls `each(line, record)` for every record of the file, in order.
pub(super) fn each(bytes: &[u8], format: ImportFormat, each: &mut dyn FnMut(u64, Result<Fields<'_>, LineError>)) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match format {
        ImportFormat::Csv => csv_records(bytes, each),
        ImportFormat::Json => json_records(bytes, each),
    }
}

fn csv_records(bytes: &[u8], each: &mut dyn FnMut(u64, Result<Fields<'_>, LineError>)) {
    let mut rd = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut columns: Vec<usize> = Vec::new();
    let mut header = true;
    let mut lines = LineCounter { bytes, at: 0, line: 1 };
    loop {
        // Where the next record starts (csv leaves a CRLF's LF to the next record).
        let mut start = rd.position().byte() as usize;
        while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        let line = lines.line_at(start);
        match rd.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                return each(line, Err(bad(line, "", format!("unreadable CSV: {e}"))));
            }
        }
        if header {
            header = false;
            for (i, name) in rec.iter().enumerate() {
                let name = String::from_utf8_lossy(name).trim().to_string();
                match COLUMNS.iter().position(|c| *c == name) {
                    Some(c) if columns.contains(&c) => return each(line, Err(bad(line, &name, "column given twice"))),
                    Some(c) => columns.push(c),
                    None => return each(line, Err(bad(line, &name, format!("column {i} is not part of the import format (columns: {})", COLUMNS.join(", "))))),
                }
            }
            for required in ["order_no", "account", "amount", "status", "created_at"] {
                if !columns.iter().any(|&c| COLUMNS[c] == required) {
                    return each(line, Err(bad(line, required, "the header has no such column (it is required)")));
                }
            }
            continue;
        }
        if rec.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if rec.len() != columns.len() {
            each(line, Err(bad(line, "", format!("{} cells, but the header has {} columns", rec.len(), columns.len()))));
            continue;
        }
        let mut f = Fields::default();
        let mut failed = None;
        for (i, cell) in rec.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(v) => {
                    let v = v.trim();
                    if !v.is_empty() {
                        f.set(columns[i], v);
                    }
                }
                Err(_) => {
                    failed = Some(bad(line, COLUMNS[columns[i]], "not UTF-8 text"));
                    break;
                }
            }
        }
        match failed {
            Some(e) => each(line, Err(e)),
            None => each(line, Ok(f)),
        }
    }
    if header {
        each(1, Err(bad(1, "", "the file is empty (it needs a header line naming the columns)")));
    }
}

/// A JSON record: every key optional and checked by the rules; money as strings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsonRecord<'a> {
    #[serde(borrow)]
    order_no: Option<Cow<'a, str>>,
    #[serde(borrow)]
    account: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    amount: Option<Cow<'a, str>>,
    #[serde(borrow)]
    fee: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    paid_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    refunded: Option<Cow<'a, str>>,
    #[serde(borrow)]
    refunded_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    refund_no: Option<Cow<'a, str>>,
    #[serde(borrow)]
    till: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operator: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subject: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel_trade_no: Option<Cow<'a, str>>,
}

impl JsonRecord<'_> {
    fn fields(&self) -> Fields<'_> {
        fn v<'b>(x: &'b Option<Cow<'_, str>>) -> Option<&'b str> {
            x.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        Fields {
            order_no: v(&self.order_no),
            account: v(&self.account),
            channel: v(&self.channel),
            method: v(&self.method),
            kind: v(&self.kind),
            amount: v(&self.amount),
            fee: v(&self.fee),
            status: v(&self.status),
            created_at: v(&self.created_at),
            paid_at: v(&self.paid_at),
            refunded: v(&self.refunded),
            refunded_at: v(&self.refunded_at),
            refund_no: v(&self.refund_no),
            till: v(&self.till),
            operator: v(&self.operator),
            subject: v(&self.subject),
            channel_trade_no: v(&self.channel_trade_no),
        }
    }
}

/// Lines counted up to a byte offset, incrementally.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, pos: usize) -> u64 {
        let pos = pos.min(self.bytes.len());
        if pos > self.at {
            self.line += self.bytes[self.at..pos].iter().filter(|b| **b == b'\n').count() as u64;
            self.at = pos;
        }
        self.line
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

fn json_records(bytes: &[u8], each: &mut dyn FnMut(u64, Result<Fields<'_>, LineError>)) {
    let mut lines = LineCounter { bytes, at: 0, line: 1 };
    let mut pos = skip_ws(bytes, 0);
    let array = bytes.get(pos) == Some(&b'[');
    if array {
        pos = skip_ws(bytes, pos + 1);
        if bytes.get(pos) == Some(&b']') {
            return;
        }
    }
    loop {
        pos = skip_ws(bytes, pos);
        if pos >= bytes.len() {
            if array {
                let line = lines.line_at(pos);
                each(line, Err(bad(line, "", "the JSON array is not closed with ]")));
            }
            return;
        }
        let line = lines.line_at(pos);
        let mut stream = serde_json::Deserializer::from_slice(&bytes[pos..]).into_iter::<JsonRecord<'_>>();
        match stream.next() {
            Some(Ok(r)) => each(line, Ok(r.fields())),
            Some(Err(_)) => {
                // Read again to learn which key was wrong.
                let mut de = serde_json::Deserializer::from_slice(&bytes[pos..]);
                let e = match serde_path_to_error::deserialize::<_, JsonRecord<'_>>(&mut de) {
                    Err(e) => e,
                    Ok(_) => return each(line, Err(bad(line, "", "unreadable JSON"))),
                };
                let path = e.path().to_string();
                let inner = e.into_inner();
                let at = line + inner.line() as u64 - 1;
                let hint = if inner.is_data() && inner.to_string().starts_with("invalid type") { " (give money and times as strings, e.g. \"12.34\")" } else { "" };
                let message = format!("{}{hint}", inner.to_string().split(" at line ").next().unwrap_or_default());
                return each(at, Err(bad(at, if path == "." { "" } else { &path }, message)));
            }
            None => return,
        }
        pos += stream.byte_offset();
        pos = skip_ws(bytes, pos);
        match (array, bytes.get(pos)) {
            (true, Some(b',')) => pos += 1,
            (true, Some(b']')) => return,
            (true, _) => {
                let line = lines.line_at(pos);
                return each(line, Err(bad(line, "", "expected , or ] after a record")));
            }
            (false, _) => {}
        }
    }
}
