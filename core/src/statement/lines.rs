//! A statement's lines held compactly: the numbers of every line (channel trade number, our
//! order and refund numbers) are copied into one arena string, statuses and merchant ids are
//! interned, and each line is a fixed 48-byte record. A million lines take about 100 MB and
//! reading them allocates nothing per line — the parsers hand over borrowed [`LineRef`]s.
//!
//! Invariant: a line's numbers are stored exactly as the parser saw them (trimmed of the
//! format's guards), so [`StatementLines::get`] gives back what [`StatementLines::push`] took.

use std::cell::Cell;

use chrono::{DateTime, NaiveDateTime};

use super::{StatementKind, StatementRow};

/// One line as the parsers produce it and the matcher reads it: borrowed, cheap to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRef<'a> {
    pub kind: StatementKind,
    pub channel_trade_no: &'a str,
    pub order_no: &'a str,
    pub refund_no: Option<&'a str>,
    pub amount: i64,
    pub refund_amount: i64,
    pub fee: i64,
    pub time: Option<NaiveDateTime>,
    pub status: &'a str,
    pub merchant_id: &'a str,
}

impl LineRef<'_> {
    /// The owned form.
    pub fn to_row(&self) -> StatementRow {
        StatementRow {
            kind: self.kind,
            channel_trade_no: self.channel_trade_no.to_string(),
            order_no: self.order_no.to_string(),
            refund_no: self.refund_no.map(str::to_string),
            amount: self.amount,
            refund_amount: self.refund_amount,
            fee: self.fee,
            time: self.time,
            status: self.status.to_string(),
            merchant_id: self.merchant_id.to_string(),
        }
    }
}

impl StatementRow {
    /// The borrowed form.
    pub fn as_line(&self) -> LineRef<'_> {
        LineRef {
            kind: self.kind,
            channel_trade_no: &self.channel_trade_no,
            order_no: &self.order_no,
            refund_no: self.refund_no.as_deref(),
            amount: self.amount,
            refund_amount: self.refund_amount,
            fee: self.fee,
            time: self.time,
            status: &self.status,
            merchant_id: &self.merchant_id,
        }
    }
}

/// No time on the line.
const NO_TIME: i64 = i64::MIN;
/// No refund number on the line.
const NO_REFUND: u16 = u16::MAX;

#[derive(Clone, Copy, Debug)]
struct Line {
    amount: i64,
    refund_amount: i64,
    fee: i64,
    /// Seconds of the local time read as UTC, or [`NO_TIME`].
    time: i64,
    /// Where this line's numbers start in the arena: trade no, order no, refund no.
    at: u32,
    trade_len: u16,
    order_len: u16,
    refund_len: u16,
    status: u16,
    merchant: u16,
    kind: StatementKind,
}

/// Every line of a statement, compactly. See the module doc.
#[derive(Clone, Debug, Default)]
pub struct StatementLines {
    text: String,
    words: Vec<String>,
    lines: Vec<Line>,
}

/// A field too long to keep (no statement number is anywhere near this).
pub const MAX_FIELD: usize = 1024;

impl StatementLines {
    /// Room for `lines` lines of about `bytes_per_line` bytes of numbers each.
    pub fn with_capacity(lines: usize, bytes_per_line: usize) -> StatementLines {
        StatementLines { text: String::with_capacity(lines * bytes_per_line), words: Vec::new(), lines: Vec::with_capacity(lines) }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn word(&mut self, w: &str) -> u16 {
        if let Some(i) = self.words.iter().rposition(|x| x == w) {
            return i as u16;
        }
        self.words.push(w.to_string());
        (self.words.len() - 1) as u16
    }

    /// Adds a line read from a statement ([`StatementLines::push`]), telling `progress` the count
    /// of lines every 65,536: the one step of every parser's `read_into`.
    pub fn push_read(&mut self, l: LineRef<'_>, progress: &mut dyn FnMut(u64)) -> Result<(), super::StatementError> {
        self.push(l).map_err(|message| super::StatementError { line: 0, message })?;
        if self.len().is_multiple_of(65_536) {
            progress(self.len() as u64);
        }
        Ok(())
    }

    /// Adds a line. Fails (naming the field) only for a number longer than [`MAX_FIELD`] bytes
    /// or more than 65,535 distinct statuses/merchants — neither occurs in a real statement.
    pub fn push(&mut self, l: LineRef<'_>) -> Result<(), String> {
        let len = |name: &str, s: &str| if s.len() > MAX_FIELD { Err(format!("{name} is longer than {MAX_FIELD} bytes")) } else { Ok(s.len() as u16) };
        let (trade_len, order_len) = (len("trade number", l.channel_trade_no)?, len("order number", l.order_no)?);
        let refund_len = match l.refund_no {
            Some(r) => len("refund number", r)?,
            None => NO_REFUND,
        };
        if self.words.len() >= usize::from(u16::MAX) - 2 {
            return Err("too many distinct statuses or merchants".into());
        }
        let at = u32::try_from(self.text.len()).map_err(|_| "the statement is too large (more than 4 GB of numbers)".to_string())?;
        self.text.push_str(l.channel_trade_no);
        self.text.push_str(l.order_no);
        self.text.push_str(l.refund_no.unwrap_or(""));
        let (status, merchant) = (self.word(l.status), self.word(l.merchant_id));
        self.lines.push(Line {
            amount: l.amount,
            refund_amount: l.refund_amount,
            fee: l.fee,
            time: l.time.map_or(NO_TIME, |t| t.and_utc().timestamp()),
            at,
            trade_len,
            order_len,
            refund_len,
            status,
            merchant,
            kind: l.kind,
        });
        Ok(())
    }

    /// Line `i` (0-based, in file order).
    pub fn get(&self, i: usize) -> LineRef<'_> {
        let l = &self.lines[i];
        let a = l.at as usize;
        let b = a + usize::from(l.trade_len);
        let c = b + usize::from(l.order_len);
        LineRef {
            kind: l.kind,
            channel_trade_no: &self.text[a..b],
            order_no: &self.text[b..c],
            refund_no: (l.refund_len != NO_REFUND).then(|| &self.text[c..c + usize::from(l.refund_len)]),
            amount: l.amount,
            refund_amount: l.refund_amount,
            fee: l.fee,
            time: (l.time != NO_TIME).then(|| naive(l.time)).flatten(),
            status: &self.words[usize::from(l.status)],
            merchant_id: &self.words[usize::from(l.merchant)],
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = LineRef<'_>> + '_ {
        (0..self.lines.len()).map(|i| self.get(i))
    }

    /// Every line in the owned form (tests, small statements).
    pub fn to_rows(&self) -> Vec<StatementRow> {
        self.iter().map(|l| l.to_row()).collect()
    }
}

impl<'a> FromIterator<&'a StatementRow> for StatementLines {
    fn from_iter<I: IntoIterator<Item = &'a StatementRow>>(it: I) -> Self {
        let mut s = StatementLines::default();
        for r in it {
            // Rows built in memory: a number over 1 KiB is a programming error.
            s.push(r.as_line()).unwrap_or_else(|e| panic!("{e}"));
        }
        s
    }
}

impl From<&[StatementRow]> for StatementLines {
    fn from(rows: &[StatementRow]) -> Self {
        rows.iter().collect()
    }
}

impl From<Vec<StatementRow>> for StatementLines {
    fn from(rows: Vec<StatementRow>) -> Self {
        rows.iter().collect()
    }
}

/// Milliseconds since 1970 of a naive time → that time, keeping the date of the last call: a
/// statement's or a book day's million times share a day or two, and the date is the costly part.
#[derive(Debug, Default)]
pub(crate) struct DayCache(Cell<Option<(i64, chrono::NaiveDate)>>);

impl DayCache {
    pub(crate) const fn new() -> DayCache {
        DayCache(Cell::new(None))
    }

    pub(crate) fn at_millis(&self, ms: i64) -> Option<NaiveDateTime> {
        const DAY_MS: i64 = 86_400_000;
        let (days, in_day) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS));
        let date = match self.0.get() {
            Some((d, date)) if d == days => date,
            _ => {
                let date = DateTime::from_timestamp_millis(days.checked_mul(DAY_MS)?)?.date_naive();
                self.0.set(Some((days, date)));
                date
            }
        };
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt((in_day / 1000) as u32, (in_day % 1000) as u32 * 1_000_000)?;
        Some(date.and_time(time))
    }
}

/// Seconds of a local time read as UTC → that time (the date of the last call kept per thread).
fn naive(secs: i64) -> Option<NaiveDateTime> {
    thread_local! {
        static LAST: DayCache = const { DayCache::new() };
    }
    LAST.with(|c| c.at_millis(secs.checked_mul(1000)?))
}

/// `yyyy-MM-dd HH:mm:ss` from ASCII bytes, without allocating (the hot path of every parser).
pub fn parse_time(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<u32> { b[r].iter().try_fold(0u32, |acc, d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))) };
    let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
    date.and_hms_opt(n(11..13)?, n(14..16)?, n(17..19)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(order: &str, refund: Option<&str>, status: &str) -> StatementRow {
        StatementRow {
            kind: if refund.is_some() { StatementKind::Refund } else { StatementKind::Payment },
            channel_trade_no: format!("T{order}"),
            order_no: order.into(),
            refund_no: refund.map(str::to_string),
            amount: 1234,
            refund_amount: if refund.is_some() { 100 } else { 0 },
            fee: -7,
            time: parse_time(b"2026-11-25 23:59:58"),
            status: status.into(),
            merchant_id: "2088".into(),
        }
    }

    #[test]
    fn lines_give_back_what_they_took() {
        let rows = vec![row("P1", None, "SUCCESS"), row("P2", Some("R2"), "REFUND"), row("", Some(""), "交易"), StatementRow { time: None, ..row("P3", None, "SUCCESS") }];
        let lines = StatementLines::from(rows.clone());
        assert_eq!(lines.len(), 4);
        assert_eq!(lines.to_rows(), rows);
        assert_eq!(lines.get(1).refund_no, Some("R2"));
        assert_eq!(lines.get(2).refund_no, Some(""), "an empty refund number is not no refund number");
        assert_eq!(lines.words.len(), 4, "statuses and the merchant are interned");
        let mut l = StatementLines::default();
        let long = "9".repeat(MAX_FIELD + 1);
        assert!(l.push(LineRef { order_no: &long, ..rows[0].as_line() }).unwrap_err().contains("order number"));
        assert!(l.is_empty());
    }

    #[test]
    fn times_are_read_strictly() {
        assert_eq!(parse_time(b"2026-11-25 10:00:05").unwrap().to_string(), "2026-11-25 10:00:05");
        for bad in ["2026-11-25 10:00", "2026-13-25 10:00:00", "2026-11-25T10:00:00", "2026-11-25 10:0a:00", "2026-02-30 10:00:00"] {
            assert!(parse_time(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_day_cache_gives_what_chrono_gives() {
        let c = DayCache::new();
        // Across midnight both ways, before 1970, with milliseconds, and back to a cached day.
        for ms in [1_764_115_199_999_i64, 1_764_115_200_000, 1_764_028_800_123, -1, -86_400_001, 1_764_115_199_000] {
            assert_eq!(c.at_millis(ms), DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc()), "{ms}");
        }
        assert_eq!(c.at_millis(i64::MAX), None);
    }
}
