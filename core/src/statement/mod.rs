//! Normalised statement rows: what every channel's daily statement (bill) parses into, so the
//! reconciler never sees a channel's file format. [`StatementRow`] is the owned form of one
//! line; [`StatementLines`] holds a whole statement compactly (no allocation per line).

mod lines;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

pub use lines::{parse_time, LineRef, StatementLines, MAX_FIELD};
pub(crate) use lines::DayCache;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    Payment,
    Refund,
}

/// One line of a channel statement, in our terms. Amounts are fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementRow {
    pub kind: StatementKind,
    /// The channel's trade number (Alipay 支付宝交易号, WeChat 微信订单号, UnionPay queryId).
    pub channel_trade_no: String,
    /// Our order number as the channel printed it (商户订单号).
    pub order_no: String,
    /// Our refund number for refund rows (Alipay 退款批次号/请求号, WeChat 商户退款单号).
    pub refund_no: Option<String>,
    /// The order amount (payments) — always positive.
    pub amount: i64,
    /// The refunded amount (refund rows) — positive.
    pub refund_amount: i64,
    /// The channel's fee on this row, signed as printed (refunds usually return fee: negative).
    pub fee: i64,
    /// When the channel completed it, in the statement's own (shop-local) time.
    pub time: Option<NaiveDateTime>,
    /// The channel's status word (e.g. `SUCCESS`, `REFUND`, `交易`).
    pub status: String,
    /// The merchant id/app id the row belongs to (where the file says).
    pub merchant_id: String,
}

/// A line the parser could not read: names the line (1-based) and what was wrong. A file with
/// any such line is refused as a whole by the importer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct StatementError {
    pub line: u64,
    pub message: String,
}

/// Totals a statement declares about itself (summary/footer lines), for cross-checking.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementTotals {
    pub payments: Option<u64>,
    pub payment_amount: Option<i64>,
    pub refunds: Option<u64>,
    pub refund_amount: Option<i64>,
    pub fees: Option<i64>,
}

/// A statement being read row by row (a channel's parser behind one interface). Rows come as
/// they are parsed; after the last one, [`StatementSource::totals`] holds what the file declares
/// about itself. The first error ends the stream: a file with a bad line is refused as a whole.
pub trait StatementSource: Iterator<Item = Result<StatementRow, StatementError>> + Send {
    /// Totals the file declares (complete once the iterator has ended; empty where the format
    /// has none).
    fn totals(&self) -> StatementTotals {
        StatementTotals::default()
    }

    /// Reads every remaining line into `lines`, calling `progress(lines so far)` now and then.
    /// Parsers override it to hand over borrowed lines instead of allocating a row per line.
    fn read_into(&mut self, lines: &mut StatementLines, progress: &mut dyn FnMut(u64)) -> Result<(), StatementError> {
        for r in &mut *self {
            lines.push_read(r?.as_line(), progress)?;
        }
        Ok(())
    }
}

/// A business day's statement lines and declared totals, fully read.
#[derive(Clone, Debug, Default)]
pub struct ParsedStatement {
    pub rows: StatementLines,
    pub totals: StatementTotals,
}

impl ParsedStatement {
    /// Reads a source to its end; the first bad line fails the whole file.
    pub fn read(src: impl StatementSource, progress: impl FnMut(u64)) -> Result<ParsedStatement, StatementError> {
        Self::read_sized(src, 0, progress)
    }

    /// Like [`ParsedStatement::read`], with room for `expected` lines made up front.
    pub fn read_sized(mut src: impl StatementSource, expected: usize, mut progress: impl FnMut(u64)) -> Result<ParsedStatement, StatementError> {
        let mut rows = StatementLines::with_capacity(expected, 64);
        src.read_into(&mut rows, &mut progress)?;
        progress(rows.len() as u64);
        Ok(ParsedStatement { rows, totals: src.totals() })
    }
}

impl<S: StatementSource + ?Sized> StatementSource for Box<S> {
    fn totals(&self) -> StatementTotals {
        (**self).totals()
    }
    fn read_into(&mut self, lines: &mut StatementLines, progress: &mut dyn FnMut(u64)) -> Result<(), StatementError> {
        (**self).read_into(lines, progress)
    }
}
