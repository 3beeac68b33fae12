//! Reconciliation: every morning, prove that yesterday's book and each channel's statement agree.
//!
//! * [`matcher`] — pure functions: statement rows × book view → matched lines, classified
//!   discrepancies (with both sides' values) and a summary. No I/O, fully unit-tested.
//! * [`run`] — one run for an account and business day: get the statement (download through the
//!   channel, or a file the accountant imported; the original is kept under
//!   `<home>/statements/<account>/<day>/` with its SHA-256 in the book), parse it and read the
//!   book in parallel, look at the adjacent days' statements before calling anything missing,
//!   match, store the run.
//! * [`resolve`] — the discrepancy workflow: re-query the channel (fixing the book through the
//!   state machine, source `reconcile`, when the channel proves it) or resolve with a note.
//! * [`schedule`] — the T+1 loop (at a configured local time, catching up missed days).
//! * [`report`] — the run(s) as export tables (summary, discrepancies, matched).
//!
//! Parsing statement files is the channels' business: core receives a [`StatementParser`]
//! (implemented in `paydesk-channels`), so it never sees a file format.

pub mod bank;
mod book;
pub mod external;
mod keep;
pub mod matcher;
pub mod report;
pub mod resolve;
pub mod run;
pub mod schedule;
mod why;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::order::ParseEnumError;
use crate::statement::{ParsedStatement, StatementError};

pub use matcher::{match_day, Adjacent, BookOrder, BookOrders, BookRefund, BookView, Bulk, MatchInput, Outcome};
pub use run::{Reconciler, RunRequest, StatementInput};
pub use why::Reason;

/// What kind of difference a discrepancy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// The channel has it; our book does not (or not for this account).
    MissingInBook,
    /// We think it paid (or refunded); the channel's statements of the day and the days
    /// around it do not have it.
    MissingAtChannel,
    /// Both have it, with different amounts.
    AmountDiffers,
    /// Both have it, in different states (e.g. we say closed, the channel says paid: money the
    /// shop does not know it received).
    StatusDiffers,
    /// The channel's fee is not the account's fee rate applied to the amount.
    FeeDiffers,
    /// A refund whose amount differs.
    RefundDiffers,
    /// The statement lists the same payment or refund twice.
    Duplicate,
    /// A payment (or its refund) Paydesk never created: a static 收款码 sticker on the same
    /// merchant account, the channel's own app. The accountant may accept it into the book as
    /// an external sale.
    External,
}

impl DiscrepancyKind {
    pub const ALL: [DiscrepancyKind; 8] = [
        DiscrepancyKind::MissingInBook,
        DiscrepancyKind::MissingAtChannel,
        DiscrepancyKind::AmountDiffers,
        DiscrepancyKind::StatusDiffers,
        DiscrepancyKind::FeeDiffers,
        DiscrepancyKind::RefundDiffers,
        DiscrepancyKind::Duplicate,
        DiscrepancyKind::External,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DiscrepancyKind::MissingInBook => "missing_in_book",
            DiscrepancyKind::MissingAtChannel => "missing_at_channel",
            DiscrepancyKind::AmountDiffers => "amount_differs",
            DiscrepancyKind::StatusDiffers => "status_differs",
            DiscrepancyKind::FeeDiffers => "fee_differs",
            DiscrepancyKind::RefundDiffers => "refund_differs",
            DiscrepancyKind::Duplicate => "duplicate",
            DiscrepancyKind::External => "external",
        }
    }
    /// A short bilingual label for reports.
    pub fn label(self) -> &'static str {
        match self {
            DiscrepancyKind::MissingInBook => "账本缺失 Missing in book",
            DiscrepancyKind::MissingAtChannel => "渠道缺失 Missing at channel",
            DiscrepancyKind::AmountDiffers => "金额不符 Amount differs",
            DiscrepancyKind::StatusDiffers => "状态不符 Status differs",
            DiscrepancyKind::FeeDiffers => "手续费不符 Fee differs",
            DiscrepancyKind::RefundDiffers => "退款不符 Refund differs",
            DiscrepancyKind::Duplicate => "重复 Duplicate",
            DiscrepancyKind::External => "外部收款 External payment",
        }
    }
}

impl fmt::Display for DiscrepancyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DiscrepancyKind {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DiscrepancyKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| ParseEnumError {
            what: "discrepancy kind",
            value: s.into(),
            expected: "missing_in_book, missing_at_channel, amount_differs, status_differs, fee_differs, refund_differs, duplicate, external",
        })
    }
}

/// Where a discrepancy stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Open,
    /// The channel's query proved the truth and the book was corrected.
    Fixed,
    /// Someone looked at it and wrote why it is fine (or what was done).
    Resolved,
}

impl ItemState {
    pub const ALL: [ItemState; 3] = [ItemState::Open, ItemState::Fixed, ItemState::Resolved];
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Open => "open",
            ItemState::Fixed => "fixed",
            ItemState::Resolved => "resolved",
        }
    }
}

impl FromStr for ItemState {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemState::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| ParseEnumError { what: "state", value: s.into(), expected: "open, fixed, resolved" })
    }
}

/// One side's view of a payment or refund (the book's or the channel's). Money in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub status: Option<String>,
    pub amount: Option<i64>,
    pub refund_amount: Option<i64>,
    pub fee: Option<i64>,
    /// Shop-local time, `YYYY-MM-DD HH:MM:SS`.
    pub time: Option<String>,
    pub trade_no: Option<String>,
}

/// A classified difference, with both sides' values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    pub kind: DiscrepancyKind,
    /// `payment` or `refund`.
    pub line: crate::statement::StatementKind,
    pub order_no: String,
    pub refund_no: Option<String>,
    pub book: Option<Side>,
    pub channel: Option<Side>,
    /// What the matcher saw, in an English sentence (e.g. "expected fee 0.07 at 60 bp").
    pub detail: String,
    /// The same as a rule code with its values, for front ends to word in their language.
    #[serde(default)]
    pub reason: Reason,
}

impl Discrepancy {
    /// What makes two runs' discrepancies the same difference: kind, line, numbers — and for a
    /// line without a Paydesk number (external) the channel's trade number, amount and time.
    pub fn key(&self) -> String {
        let ch = self.channel.as_ref();
        let ext = if self.kind == DiscrepancyKind::External || self.order_no.is_empty() {
            let c = ch.cloned().unwrap_or_default();
            format!("{}|{}|{}", c.trade_no.unwrap_or_default(), c.refund_amount.or(c.amount).unwrap_or(0), c.time.unwrap_or_default())
        } else {
            String::new()
        };
        let line = match self.line {
            crate::statement::StatementKind::Payment => "payment",
            crate::statement::StatementKind::Refund => "refund",
        };
        format!("{}|{line}|{}|{}|{ext}", self.kind.as_str(), self.order_no, self.refund_no.as_deref().unwrap_or(""))
    }
}

/// A statement line that agrees with the book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matched {
    pub line: crate::statement::StatementKind,
    pub order_no: String,
    pub refund_no: Option<String>,
    pub channel_trade_no: String,
    pub amount: i64,
    pub fee: i64,
    pub time: Option<String>,
}

/// Counts and sums of one run (money in fen).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Statement side.
    pub payments: u64,
    pub payment_amount: i64,
    pub refunds: u64,
    pub refund_amount: i64,
    /// Fees charged on payments less fees returned on refunds.
    pub fees: i64,
    /// payment_amount − refund_amount − fees: what the channel settles.
    pub net: i64,
    /// Book side, for the same business day.
    pub book_payments: u64,
    pub book_payment_amount: i64,
    pub book_refunds: u64,
    pub book_refund_amount: i64,
    pub matched: u64,
    pub mismatched: u64,
    /// Book lines found on the previous or next day's statement instead.
    pub crossed_day: u64,
    /// Adjacent statements that could not be had (their absence weakens "missing at channel").
    pub adjacent_missing: Vec<String>,
    /// What the statement declares about itself, where it does, and whether it agrees.
    pub declared_ok: Option<bool>,
    /// The discrepancies by kind: how many, and their amount.
    pub kinds: Vec<KindTotal>,
}

/// How many discrepancies of one kind a run found and their amount (fen: the channel's amount
/// of the line, the book's where the channel has none; refunds by their refunded amount).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTotal {
    pub kind: String,
    pub count: u64,
    pub amount: i64,
}

impl KindTotal {
    /// The totals of `items`, in the order of [`DiscrepancyKind::ALL`] (kinds not found left out).
    pub fn of(items: &[Discrepancy]) -> Vec<KindTotal> {
        let mut out: Vec<KindTotal> = Vec::new();
        for k in DiscrepancyKind::ALL {
            let mut t = KindTotal { kind: k.as_str().into(), count: 0, amount: 0 };
            for d in items.iter().filter(|d| d.kind == k) {
                let side = d.channel.as_ref().or(d.book.as_ref());
                let amount = side.and_then(|s| if d.line == crate::statement::StatementKind::Refund { s.refund_amount } else { s.amount });
                t.count += 1;
                t.amount += amount.unwrap_or(0);
            }
            if t.count > 0 {
                out.push(t);
            }
        }
        out
    }
}

/// The phases of long work, for progress bars and UI events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Download,
    Parse,
    Book,
    Match,
    Save,
    Export,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Download => "download",
            Phase::Parse => "parse",
            Phase::Book => "book",
            Phase::Match => "match",
            Phase::Save => "save",
            Phase::Export => "export",
        }
    }
}

/// Receives progress of long work: `done` of `total` (None when unknown) in a phase. Called
/// from worker threads, so it must be cheap and thread-safe.
pub trait Progress: Send + Sync {
    fn report(&self, account: &str, phase: Phase, done: u64, total: Option<u64>);
}

/// No progress reporting.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Progress for Quiet {
    fn report(&self, _: &str, _: Phase, _: u64, _: Option<u64>) {}
}

impl<F: Fn(&str, Phase, u64, Option<u64>) + Send + Sync> Progress for F {
    fn report(&self, account: &str, phase: Phase, done: u64, total: Option<u64>) {
        self(account, phase, done, total)
    }
}

/// Turns a statement file (downloaded or imported) into lines: implemented by
/// `paydesk-channels` (format detection, decompression, the channels' parsers).
pub trait StatementParser: Send + Sync {
    /// Reads a statement from `input` as a stream (plain, GZIP or ZIP); `channel` is the
    /// account's channel kind (the format must belong to it). Returns the format's name and the
    /// lines. `progress(lines_so_far)` is called now and then. The reader may stop before the
    /// end of `input` (the caller reads the rest when it needs all of it).
    fn read(&self, channel: &str, input: &mut (dyn std::io::Read + Send), progress: &dyn Fn(u64)) -> Result<(String, ParsedStatement), StatementError>;

    /// The same, from bytes in memory.
    fn parse(&self, channel: &str, bytes: Vec<u8>, progress: &dyn Fn(u64)) -> Result<(String, ParsedStatement), StatementError> {
        self.read(channel, &mut std::io::Cursor::new(bytes), progress)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReconError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("statement of {account} for {day}: {message}")]
    Statement { account: String, day: String, message: String },
    #[error("statement of {account} for {day} cannot be downloaded: {source}")]
    Download { account: String, day: String, #[source] source: Box<crate::channel::ChannelError> },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Pay(Box<crate::payments::PayError>),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error("{0}")]
    Io(String),
    /// Another till (or process) is reconciling this account and day right now.
    #[error("reconciliation of {0}")]
    Busy(crate::store::shared::LeaseHeld),
}

impl ReconError {
    /// A stable code for front ends.
    pub fn code(&self) -> &'static str {
        match self {
            ReconError::Invalid { .. } => "invalid",
            ReconError::NotFound(_) | ReconError::Store(crate::store::StoreError::NotFound { .. }) => "not_found",
            ReconError::Statement { .. } => "bad_statement",
            ReconError::Download { .. } => "channel",
            ReconError::Store(_) => "storage",
            ReconError::Pay(p) => p.code(),
            ReconError::Export(_) | ReconError::Io(_) => "io",
            ReconError::Busy(_) => "busy",
        }
    }
}

impl From<crate::payments::PayError> for ReconError {
    fn from(e: crate::payments::PayError) -> Self {
        ReconError::Pay(Box::new(e))
    }
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> ReconError {
    ReconError::Invalid { field, message: message.into() }
}
