//! Settlement: what each channel paid out, from its fund-flow statement (Alipay 账务明细, WeChat
//! Pay 资金账单, UnionPay's settlement file) — the middle link of the chain book → channel → bank.
//!
//! * [`derive`] — pure functions: a day's fund-flow rows → sales, refunds, fees, net and the
//!   payout batches (each transfer to the shop's bank account), with the file's own checks
//!   (declared totals, running balance).
//! * [`service`] — get the file (download through the channel or import), keep it, derive, store;
//!   each payout batch is checked against the days it covers.
//! * [`chain`] — a business day at a glance: the book's, the channel's and the bank's figures and
//!   whether each link agrees.
//!
//! Invariant: a day's figures come from exactly one stored fund-flow file (kept under
//! `<home>/funds/<account>/<day>/` with its SHA-256); a payout is identified by the channel's own
//! reference, so downloading a day again never counts a transfer twice.
//!
//! Parsing the files belongs to the channels (`paydesk_channels::funds`): core receives a
//! [`FundParser`], as the reconciler receives a statement parser.

pub mod chain;
pub mod derive;
pub mod service;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::statement::StatementError;

pub use derive::{derive, DayFunds, Payout};
pub use service::{FundInput, SettleError, Settler};

/// What a fund-flow line does to the channel balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundKind {
    /// Money in for a payment (Alipay 在线支付/交易付款, WeChat 交易, UnionPay 01).
    Sale,
    /// Money back to a payer (交易退款, 退款, UnionPay 04/31).
    Refund,
    /// A fee charged (or returned) on its own line (收费, 扣除交易手续费).
    Fee,
    /// Money leaving the channel for the shop's bank account (提现, UnionPay's 清算 transfer):
    /// what the bank statement should show as a deposit.
    Payout,
    /// Anything else (transfers, adjustments): counted, not matched.
    Other,
}

impl FundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FundKind::Sale => "sale",
            FundKind::Refund => "refund",
            FundKind::Fee => "fee",
            FundKind::Payout => "payout",
            FundKind::Other => "other",
        }
    }
}

/// One line of a fund-flow statement, in our terms. Money in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundRow {
    /// 1-based line of the file.
    pub line: u64,
    pub kind: FundKind,
    /// When it was booked, shop-local time as printed.
    pub time: Option<NaiveDateTime>,
    /// The effect on the channel balance as printed: + in, − out.
    pub amount: i64,
    /// The fee contained in `amount` (− charged, + returned), where the line states it (WeChat's
    /// `含手续费`, UnionPay's 商户手续费); 0 otherwise.
    pub fee: i64,
    /// Our order number (商户订单号 / 业务凭证号) where the line names one.
    pub order_no: Option<String>,
    /// The channel's business number (支付宝交易号, 微信支付业务单号, queryId).
    pub trade_no: Option<String>,
    /// The ledger's own line number (账务流水号, 资金流水单号): a payout's reference.
    pub flow_no: String,
    /// The other side (对方账号: the bank card a payout went to).
    pub counterparty: Option<String>,
    /// The line's business type and note as printed (业务类型 / 备注).
    pub memo: String,
    /// The balance after the line (账户余额 / 账户结余), where the file prints it.
    pub balance: Option<i64>,
}

/// What a fund-flow file declares about itself (footer / summary lines).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundTotals {
    pub income_count: Option<u64>,
    pub income: Option<i64>,
    pub expense_count: Option<u64>,
    /// Positive.
    pub expense: Option<i64>,
}

/// A fund-flow file, fully read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedFunds {
    pub rows: Vec<FundRow>,
    pub totals: FundTotals,
    /// The merchant the file belongs to, where it says.
    pub merchant_id: String,
    /// For a settlement file (UnionPay): the 清算日期 every row belongs to, whatever its
    /// transaction time (the channel's day ends at its own cut-off).
    pub settle_date: Option<NaiveDate>,
}

/// Turns a fund-flow file (downloaded or imported) into rows: implemented by `paydesk-channels`
/// (format detection, decompression, the channels' parsers).
pub trait FundParser: Send + Sync {
    /// Parses `bytes`; `channel` is the account's channel kind (the format must belong to it).
    /// Returns the format's name and the rows. A file with any bad line is refused as a whole.
    fn parse(&self, channel: &str, bytes: Vec<u8>) -> Result<(String, ParsedFunds), StatementError>;
    /// Whether this channel kind has a fund-flow format at all.
    fn supports(&self, channel: &str) -> bool;
}
