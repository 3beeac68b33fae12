//! The Channel port: what Paydesk needs from a payment channel, in our own types.
//!
//! Implementations live in `paydesk-channels` (one folder per channel); core drives them through
//! `Arc<dyn Channel>` so the payments service, poller and reconciler never see wire formats.
//! One `Channel` value serves one configured merchant account.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrderNo, RefundNo};
use crate::money::Money;
use crate::order::Method;

/// What a channel can do, so the router and UI know before calling.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub methods: Vec<Method>,
    pub qr: bool,
    pub barcode: bool,
    pub close: bool,
    pub cancel: bool,
    /// Whether the cancel also revokes a paid QR order (the owner's same-day revoke); with
    /// `cancel`, a barcode payment can always be revoked. WeChat Pay's reverse is for payment-code
    /// (micropay) orders only.
    #[serde(default)]
    pub revoke_qr: bool,
    pub refund: bool,
    pub partial_refund: bool,
    pub refund_query: bool,
    pub statement: bool,
    pub callbacks: bool,
}

impl Capabilities {
    /// Everything a full payment channel offers (QR, barcode, close, cancel, refunds and their
    /// query, statements, callbacks) for `methods`; a channel states what it lacks on top.
    pub fn full(methods: Vec<Method>) -> Capabilities {
        Capabilities { methods, qr: true, barcode: true, close: true, cancel: true, revoke_qr: true, refund: true, partial_refund: true, refund_query: true, statement: true, callbacks: true }
    }
}

/// Why a channel call did not give a definitive answer — or gave a definitive "no".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The connection could not be made: the request never reached the channel.
    #[error("cannot reach {channel}: {detail}")]
    Unreachable { channel: String, detail: String },
    /// Sent, but no (complete) answer: the outcome is unknown.
    #[error("{channel} did not answer in time")]
    Timeout { channel: String },
    /// The channel answered with a transient/system error: the outcome is unknown.
    #[error("{channel} is temporarily unavailable ({code}: {message})")]
    Unavailable { channel: String, code: String, message: String },
    /// The channel definitively refused the request (nothing happened).
    #[error("{channel} refused: {message} ({code})")]
    Rejected { channel: String, code: String, message: String },
    /// A signature (of a reply or callback) did not verify.
    #[error("{channel}: signature invalid: {detail}")]
    SignatureInvalid { channel: String, detail: String },
    /// A callback or reply belongs to someone else or disagrees with our records.
    #[error("{channel}: {detail}")]
    Mismatch { channel: String, detail: String },
    /// The reply could not be understood: the outcome is unknown.
    #[error("{channel}: unexpected reply: {detail}")]
    Protocol { channel: String, detail: String },
    /// The account's configuration is wrong (names the field; never prints key material).
    #[error("account configuration: {0}")]
    Config(String),
    /// The channel does not offer this flow.
    #[error("{channel} does not support {flow}")]
    Unsupported { channel: String, flow: &'static str },
}

impl ChannelError {
    /// True when the request may have taken effect at the channel: query before retrying.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ChannelError::Timeout { .. } | ChannelError::Unavailable { .. } | ChannelError::Protocol { .. } => true,
            // A reply whose signature fails is not trusted either way.
            ChannelError::SignatureInvalid { .. } => true,
            ChannelError::Unreachable { .. }
            | ChannelError::Rejected { .. }
            | ChannelError::Mismatch { .. }
            | ChannelError::Config(_)
            | ChannelError::Unsupported { .. } => false,
        }
    }

    /// True when the channel turned the call away because we called too often (WeChat Pay's
    /// `FREQUENCY_LIMITED`, HTTP 429, QPS limits): nothing happened, and the account cannot take
    /// payments right now.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            ChannelError::Rejected { code, .. } | ChannelError::Unavailable { code, .. } => {
                let c = code.to_ascii_uppercase().replace(['.', '-'], "_");
                c == "429" || ["FREQUENCY_LIMIT", "RATE_LIMIT", "TOO_MANY_REQUESTS", "QPS_LIMIT", "TOO_FREQUENT"].iter().any(|k| c.contains(k))
            }
            _ => false,
        }
    }

    /// A stable short code for logs, the API and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            ChannelError::Unreachable { .. } => "unreachable",
            ChannelError::Timeout { .. } => "timeout",
            ChannelError::Unavailable { .. } => "unavailable",
            ChannelError::Rejected { .. } => "rejected",
            ChannelError::SignatureInvalid { .. } => "signature_invalid",
            ChannelError::Mismatch { .. } => "mismatch",
            ChannelError::Protocol { .. } => "protocol",
            ChannelError::Config(_) => "config",
            ChannelError::Unsupported { .. } => "unsupported",
        }
    }
}

/// The order as a channel needs to see it for follow-up calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRef {
    pub order_no: OrderNo,
    pub amount: Money,
    pub channel_trade_no: Option<String>,
    /// When the order was created (UnionPay queries by the original `txnTime`).
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateQr {
    pub order: OrderRef,
    /// The payer's method the QR is for (aggregators that serve several methods need it).
    pub method: Method,
    pub subject: String,
    pub notify_url: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrCreated {
    /// The text to render as a QR code (a URL for Alipay/WeChat).
    pub qr_code: String,
    pub channel_trade_no: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct BarcodePay {
    pub order: OrderRef,
    pub subject: String,
    pub auth_code: String,
    pub notify_url: Option<String>,
}

impl fmt::Debug for BarcodePay {
    /// The payment code is a bearer token for the payer's money: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarcodePay")
            .field("order", &self.order)
            .field("subject", &self.subject)
            .field("auth_code", &crate::order::mask_auth_code(&self.auth_code))
            .finish()
    }
}

/// A trade's state as the channel reports it, mapped to ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TradeState {
    /// The channel has no such trade (e.g. QR not scanned yet).
    NotFound,
    /// Created, waiting for the payer (or their password).
    Waiting,
    Paid,
    /// Closed/reversed without payment.
    Closed,
    /// Definitively failed.
    Failed { code: String, message: String },
    /// Paid and (partly or fully) refunded; the refunds themselves are tracked separately.
    Refunded,
    /// A status we do not know. Never treated as paid or failed.
    Unknown { raw: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeStatus {
    pub state: TradeState,
    pub channel_trade_no: Option<String>,
    /// The total the channel holds for this trade, when it says.
    pub amount: Option<Money>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The channel's own status word, for the event history.
    pub raw_status: String,
}

impl TradeStatus {
    pub fn new(state: TradeState, raw_status: impl Into<String>) -> TradeStatus {
        TradeStatus { state, channel_trade_no: None, amount: None, paid_at: None, raw_status: raw_status.into() }
    }
}

/// What a cancel/reverse did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// The trade was closed; no money moved.
    Closed,
    /// The payer had paid; the money was returned.
    Refunded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    pub order: OrderRef,
    pub refund_no: RefundNo,
    pub amount: Money,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    /// When the refund was written to the book (UnionPay identifies a refund by its number and
    /// this time, `txnTime`, so a resend and a query must use the same value).
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RefundState {
    Processing,
    Success,
    Failed { code: String, message: String },
    /// The channel has no such refund: it was never received (safe to send again, same number).
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundResult {
    pub state: RefundState,
    pub channel_refund_no: Option<String>,
}

/// A statement file as downloaded, before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// An HTTP request received for this account's callback route, raw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackRequest {
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The time to judge timestamps against.
    pub received_at: DateTime<Utc>,
}

impl CallbackRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A verified callback, in our terms. Merchant/app ids were already checked by the channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackEvent {
    Payment { order_no: OrderNo, total: Money, status: TradeStatus },
    Refund { order_no: OrderNo, refund_no: RefundNo, amount: Money, result: RefundResult },
}

/// The HTTP answer a channel expects to a callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// One payment channel account.
#[async_trait]
pub trait Channel: Send + Sync {
    /// Channel kind, e.g. `alipay`.
    fn kind(&self) -> &str;
    fn capabilities(&self) -> Capabilities;

    /// Creates an order the customer pays by scanning a QR code.
    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError>;
    /// Charges the customer's payment code. `Waiting` means the payer must confirm.
    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError>;
    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError>;
    /// Closes an unpaid order.
    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError>;
    /// Cancels/reverses a (barcode) order whatever its state; refunds if it was paid.
    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError>;
    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError>;
    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError>;
    /// Downloads the statement of one business day.
    async fn statement(&self, day: NaiveDate) -> Result<StatementFile, ChannelError>;
    /// Downloads the fund-flow statement of one business day (Alipay 账务明细, WeChat Pay 资金账单,
    /// UnionPay's settlement file): what moved on the merchant's balance, payouts included.
    /// Channels without one refuse (`Rejected`, code `NOT_SUPPORTED`).
    async fn fund_flow(&self, _day: NaiveDate) -> Result<StatementFile, ChannelError> {
        Err(ChannelError::Rejected { channel: self.kind().to_string(), code: "NOT_SUPPORTED".into(), message: "this channel has no fund-flow statement".into() })
    }

    /// Gets ready to verify this callback before [`Channel::parse_callback`] runs — e.g. fetches
    /// the signing certificate it names when the channel holds none by that name yet (the first
    /// callback after a start, or a rotated key) — so a genuine callback is not refused for want
    /// of a key. Trusts nothing in the request. The default does nothing.
    async fn prepare_callback(&self, _req: &CallbackRequest) {}
    /// Verifies (signature first) and parses a callback. Nothing is trusted before this returns Ok.
    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError>;
    /// The reply the channel expects: `stored = true` acknowledges, `false` asks for a resend.
    fn callback_reply(&self, stored: bool) -> CallbackReply;
}
