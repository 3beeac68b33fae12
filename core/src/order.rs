//! Orders, refunds and the order state machine.
//!
//! ```text
//!            ┌────────────► Failed ─────────┐ (channel proves it was paid)
//! Pending ──►│ Processing ─► Success ──► Refunded
//!            └────────────► Closed ─────────┘
//! ```
//! Every change goes through [`transition`], which matches every pair explicitly: a new state
//! forces a decision here. A partial refund keeps `Success` and raises `refunded`; the last one
//! makes the order `Refunded`. `Failed`/`Closed` → `Success` is allowed only when the channel
//! itself reports the payment (callback, poll, recovery, reconcile): money that arrived must be
//! booked, never hidden.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrderNo, RefundNo};
use crate::money::Money;
use crate::principal::Principal;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Written to the book; the channel has not accepted it (yet).
    Pending,
    /// Accepted by the channel; waiting for the payer.
    Processing,
    /// Paid. May carry partial refunds.
    Success,
    /// Definitively not paid (declined, bad auth code, insufficient funds …).
    Failed,
    /// Timed out, cancelled or reversed without payment.
    Closed,
    /// Paid, then refunded in full.
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Success,
        OrderStatus::Failed,
        OrderStatus::Closed,
        OrderStatus::Refunded,
    ];

    /// No further change is expected without new evidence from the channel.
    pub fn is_final(self) -> bool {
        match self {
            OrderStatus::Pending | OrderStatus::Processing => false,
            OrderStatus::Success | OrderStatus::Failed | OrderStatus::Closed | OrderStatus::Refunded => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Success => "success",
            OrderStatus::Failed => "failed",
            OrderStatus::Closed => "closed",
            OrderStatus::Refunded => "refunded",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} (expected one of: {expected})")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for OrderStatus {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| ParseEnumError {
            what: "status",
            value: s.to_string(),
            expected: "pending, processing, success, failed, closed, refunded",
        })
    }
}

/// What caused a state change; recorded with every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// A person at the till or in the back office.
    User,
    /// The channel's synchronous reply to our call.
    ChannelReply,
    /// A verified asynchronous notification from the channel.
    Callback,
    /// Our own query of the channel.
    Poll,
    /// The order's lifetime ran out.
    Timeout,
    /// Start-up recovery of unfinished work.
    Recovery,
    /// Reconciliation against a statement (and the channel query that proved it).
    Reconcile,
    /// Written by a bulk import of historical orders (`paydesk orders import`).
    Import,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::User => "user",
            EventSource::ChannelReply => "channel_reply",
            EventSource::Callback => "callback",
            EventSource::Poll => "poll",
            EventSource::Timeout => "timeout",
            EventSource::Recovery => "recovery",
            EventSource::Reconcile => "reconcile",
            EventSource::Import => "import",
        }
    }

    /// The channel itself said so (as opposed to our own decision).
    pub fn is_channel_evidence(self) -> bool {
        match self {
            EventSource::ChannelReply | EventSource::Callback | EventSource::Poll | EventSource::Recovery | EventSource::Reconcile => true,
            EventSource::User | EventSource::Timeout | EventSource::Import => false,
        }
    }
}

impl FromStr for EventSource {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use EventSource::*;
        [User, ChannelReply, Callback, Poll, Timeout, Recovery, Reconcile, Import]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| ParseEnumError {
                what: "event source",
                value: s.to_string(),
                expected: "user, channel_reply, callback, poll, timeout, recovery, reconcile, import",
            })
    }
}

/// A refused status change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order cannot go from {from} to {to} ({source_kind})")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub source_kind: &'static str,
}

/// Decides whether `from → to` caused by `source` is allowed. `Ok(false)` means "already there":
/// a repeated callback or a lost race, which changes nothing and is not an error.
pub fn transition(from: OrderStatus, to: OrderStatus, source: EventSource) -> Result<bool, IllegalTransition> {
    use OrderStatus::*;
    let evidence = source.is_channel_evidence();
    let allowed = match (from, to) {
        (a, b) if a == b => return Ok(false),
        (Pending, Processing | Success | Failed | Closed) => true,
        (Processing, Success | Failed | Closed) => true,
        (Processing, Pending) => false,
        (Success, Refunded) => true,
        // Money the channel says arrived is booked even after we gave up on it.
        (Failed | Closed, Success) => evidence,
        (Success, Pending | Processing | Failed | Closed) => false,
        (Failed, Pending | Processing | Closed | Refunded) => false,
        (Closed, Pending | Processing | Failed | Refunded) => false,
        (Refunded, Pending | Processing | Success | Failed | Closed) => false,
        (Pending | Processing, Refunded) => false,
        (Pending | Processing | Success | Failed | Closed | Refunded, _) => false,
    };
    if allowed {
        Ok(true)
    } else {
        Err(IllegalTransition { from, to, source_kind: source.as_str() })
    }
}

/// How the payer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayKind {
    /// We show a QR code; the customer scans it.
    Qr,
    /// The cashier scans the customer's payment code.
    Barcode,
    /// Taken at the till outside any channel — cash, an external card terminal, a voucher
    /// ([`Method::is_tender`]). Written already paid, never sent to a channel, never followed,
    /// never in a channel's reconciliation; it has no account.
    Tender,
}

impl PayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PayKind::Qr => "qr",
            PayKind::Barcode => "barcode",
            PayKind::Tender => "tender",
        }
    }
}

impl FromStr for PayKind {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "qr" => Ok(PayKind::Qr),
            "barcode" => Ok(PayKind::Barcode),
            "tender" => Ok(PayKind::Tender),
            _ => Err(ParseEnumError { what: "payment kind", value: s.into(), expected: "qr, barcode, tender" }),
        }
    }
}

/// The payer's wallet / scheme, or a tender taken at the till (cash, card terminal, voucher).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Alipay,
    Wechat,
    Unionpay,
    Ecny,
    /// Paydesk's own test wallet, served by the `sandbox` channel and the simulator.
    Sandbox,
    /// Notes and coins into the till's drawer.
    Cash,
    /// A bank card on the shop's own card terminal (not connected to Paydesk).
    Card,
    /// A voucher or gift certificate.
    Voucher,
}

impl Method {
    pub const ALL: [Method; 8] = [Method::Alipay, Method::Wechat, Method::Unionpay, Method::Ecny, Method::Sandbox, Method::Cash, Method::Card, Method::Voucher];
    /// The methods channels serve (accounts, routing, voice).
    pub const WALLETS: [Method; 5] = [Method::Alipay, Method::Wechat, Method::Unionpay, Method::Ecny, Method::Sandbox];
    /// The tenders recorded at the till, never sent to a channel.
    pub const TENDERS: [Method; 3] = [Method::Cash, Method::Card, Method::Voucher];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Alipay => "alipay",
            Method::Wechat => "wechat",
            Method::Unionpay => "unionpay",
            Method::Ecny => "ecny",
            Method::Sandbox => "sandbox",
            Method::Cash => "cash",
            Method::Card => "card",
            Method::Voucher => "voucher",
        }
    }

    /// Taken at the till outside any channel (an order of kind [`PayKind::Tender`]).
    pub fn is_tender(self) -> bool {
        match self {
            Method::Alipay | Method::Wechat | Method::Unionpay | Method::Ecny | Method::Sandbox => false,
            Method::Cash | Method::Card | Method::Voucher => true,
        }
    }

    /// The payer's method from a scanned payment code (see protocols.md §0.2), or `None`.
    ///
    /// e-CNY (`01` + 17 digits) follows one third-party POS integration and is not confirmed by
    /// an official document: it only routes to accounts that declare `methods = ["ecny"]`.
    /// A CCB wallet code also starts `62`; it goes to the UnionPay accounts, which accept it.
    pub fn from_auth_code(code: &str) -> Option<Method> {
        let digits = code.bytes().all(|b| b.is_ascii_digit());
        let p2: u32 = code.get(..2).and_then(|p| p.parse().ok())?;
        match (digits, code.len(), p2) {
            (true, 18, 10..=15) => Some(Method::Wechat),
            (true, 16..=24, 25..=30) => Some(Method::Alipay),
            (true, 19, 62) => Some(Method::Unionpay),
            (true, 19, 1) => Some(Method::Ecny),
            // Paydesk's simulator wallet: 18 digits starting 99.
            (true, 18, 99) => Some(Method::Sandbox),
            _ => None,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| ParseEnumError {
            what: "payment method",
            value: s.to_string(),
            expected: "alipay, wechat, unionpay, ecny, sandbox, cash, card, voucher",
        })
    }
}

/// Where an order came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderOrigin {
    /// Taken through Paydesk (the till, the API, the app).
    #[default]
    Paydesk,
    /// Loaded from another system's history (`paydesk orders import`).
    Import,
    /// A payment the channel took without Paydesk (a static 收款码 sticker, the channel's own
    /// app) that the accountant accepted into the book from a statement.
    External,
}

impl OrderOrigin {
    pub const ALL: [OrderOrigin; 3] = [OrderOrigin::Paydesk, OrderOrigin::Import, OrderOrigin::External];
    pub fn as_str(self) -> &'static str {
        match self {
            OrderOrigin::Paydesk => "paydesk",
            OrderOrigin::Import => "import",
            OrderOrigin::External => "external",
        }
    }
}

impl FromStr for OrderOrigin {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderOrigin::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| ParseEnumError { what: "order origin", value: s.into(), expected: "paydesk, import, external" })
    }
}

/// One order as the book holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_no: OrderNo,
    pub kind: PayKind,
    pub method: Method,
    /// Channel kind (`alipay`, `wechat`, `sandbox`, …).
    pub channel: String,
    /// Name of the channel account used (empty for a tender: no account).
    pub account: String,
    pub amount: Money,
    pub refunded: Money,
    pub fee: Money,
    pub status: OrderStatus,
    pub subject: String,
    pub channel_trade_no: Option<String>,
    pub qr_code: Option<String>,
    /// Masked payment code (`2856********1234`); the full code is never stored.
    pub auth_code_masked: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// A label the client gave (the cashier's name at the till, anything through the API or the
    /// CLI): shown, never trusted. Who really took the payment is `principal`.
    pub operator: Option<String>,
    /// Who took the payment, as authenticated (none for orders written before it was recorded).
    pub principal: Option<Principal>,
    pub till: String,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// Taken through Paydesk, imported, or an external payment accepted from a statement.
    #[serde(default)]
    pub origin: OrderOrigin,
    /// The till shift the order was taken in (none for imported history).
    #[serde(default)]
    pub shift_no: Option<String>,
    /// Cash: what the customer handed over (the change is `tendered − amount`).
    #[serde(default)]
    pub tendered: Option<Money>,
    /// A split sale: the id its tenders share, and the sale's total.
    #[serde(default)]
    pub sale_id: Option<String>,
    #[serde(default)]
    pub sale_total: Option<Money>,
}

impl Order {
    /// Cash change given back (zero for everything else).
    pub fn change(&self) -> Money {
        self.tendered.and_then(|t| t.checked_sub(self.amount).ok()).unwrap_or(Money::ZERO)
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> Money {
        self.amount.checked_sub(self.refunded).unwrap_or(Money::ZERO)
    }
}

/// Masks a payment code for storage and display: first 4 and last 4 digits.
pub fn mask_auth_code(code: &str) -> String {
    let n = code.chars().count();
    if n <= 8 {
        return "*".repeat(n);
    }
    code.chars().enumerate().map(|(i, c)| if i < 4 || i >= n - 4 { c } else { '*' }).collect()
}

/// A refund's life: `Pending` (written, not yet acknowledged) → `Processing` → `Success`/`Failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Processing,
    Success,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Processing => "processing",
            RefundStatus::Success => "success",
            RefundStatus::Failed => "failed",
        }
    }
    pub fn is_final(self) -> bool {
        match self {
            RefundStatus::Pending | RefundStatus::Processing => false,
            RefundStatus::Success | RefundStatus::Failed => true,
        }
    }
}

impl FromStr for RefundStatus {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use RefundStatus::*;
        [Pending, Processing, Success, Failed].into_iter().find(|v| v.as_str() == s).ok_or_else(|| ParseEnumError {
            what: "refund status",
            value: s.into(),
            expected: "pending, processing, success, failed",
        })
    }
}

/// How money goes back: a refund (the channel's refund, by our refund number), or a same-day
/// revoke of the whole payment (Alipay/WeChat Pay cancel/reverse, UnionPay `31` 消费撤销): the
/// trade itself is undone — no fee is charged — and it is followed by querying the order, never
/// by a refund query (the channel has no refund of that number: asking would resend it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundKind {
    #[default]
    Refund,
    Revoke,
}

impl RefundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundKind::Refund => "refund",
            RefundKind::Revoke => "revoke",
        }
    }
}

impl FromStr for RefundKind {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [RefundKind::Refund, RefundKind::Revoke].into_iter().find(|v| v.as_str() == s).ok_or_else(|| ParseEnumError { what: "refund kind", value: s.into(), expected: "refund, revoke" })
    }
}

/// Decides a refund status change; `Ok(false)` = already there.
pub fn refund_transition(from: RefundStatus, to: RefundStatus) -> Result<bool, (RefundStatus, RefundStatus)> {
    use RefundStatus::*;
    match (from, to) {
        (a, b) if a == b => Ok(false),
        (Pending, Processing | Success | Failed) | (Processing, Success | Failed) => Ok(true),
        (Pending | Processing | Success | Failed, _) => Err((from, to)),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The till shift the refund was made in (its cash came from that drawer).
    #[serde(default)]
    pub shift_no: Option<String>,
    pub refund_no: RefundNo,
    pub order_no: OrderNo,
    /// A refund, or the same-day revoke of the whole payment.
    #[serde(default)]
    pub kind: RefundKind,
    pub amount: Money,
    pub reason: Option<String>,
    pub status: RefundStatus,
    pub channel_refund_no: Option<String>,
    pub failure_message: Option<String>,
    /// A label (see [`Order::operator`]).
    pub operator: Option<String>,
    /// Who asked for the refund, as authenticated (none for refunds written before).
    pub principal: Option<Principal>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of an order's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub seq: i64,
    pub order_no: OrderNo,
    /// `None` for events that are not status changes (refund progress, notes).
    pub from_status: Option<OrderStatus>,
    pub to_status: Option<OrderStatus>,
    pub source: EventSource,
    pub at: DateTime<Utc>,
    pub detail: String,
    /// The common events as a code with its values, for front ends to word (see [`EventNote`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::reason::Reason>,
    /// Who caused it, for events a principal asked for (creation, close, refund request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Principal>,
}

/// What an event says: the English sentence (logs, the CLI, the API's `detail`) and, for the
/// common events, a code with its values (`qr_issued`, `paid` {raw}, …) that the app words in
/// its language. Plain text converts into a note without a code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventNote {
    pub text: String,
    pub reason: Option<crate::reason::Reason>,
    /// Who asked for what the event records (none for the channel's and Paydesk's own events).
    pub by: Option<Principal>,
}

impl EventNote {
    pub fn coded(code: &str, args: &[(&str, &str)], text: impl Into<String>) -> EventNote {
        let args = args.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        EventNote { text: text.into(), reason: Some(crate::reason::Reason { code: code.into(), args }), by: None }
    }

    /// The same note, recorded as asked for by `p`.
    pub fn by(mut self, p: &Principal) -> EventNote {
        self.by = Some(p.clone());
        self
    }
}

impl From<&str> for EventNote {
    fn from(s: &str) -> EventNote {
        EventNote { text: s.into(), reason: None, by: None }
    }
}

impl From<String> for EventNote {
    fn from(text: String) -> EventNote {
        EventNote { text, reason: None, by: None }
    }
}

impl From<&String> for EventNote {
    fn from(s: &String) -> EventNote {
        EventNote { text: s.clone(), reason: None, by: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventSource::*;
    use OrderStatus::*;

    /// The full table: every (from, to) pair under a non-evidence and an evidence source.
    #[test]
    fn every_transition_is_decided() {
        let legal_always = [
            (Pending, Processing),
            (Pending, Success),
            (Pending, Failed),
            (Pending, Closed),
            (Processing, Success),
            (Processing, Failed),
            (Processing, Closed),
            (Success, Refunded),
        ];
        let legal_with_evidence = [(Failed, Success), (Closed, Success)];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let user = transition(from, to, User);
                let cb = transition(from, to, Callback);
                if from == to {
                    assert_eq!(user, Ok(false));
                    assert_eq!(cb, Ok(false));
                } else if legal_always.contains(&(from, to)) {
                    assert_eq!(user, Ok(true), "{from}->{to}");
                    assert_eq!(cb, Ok(true), "{from}->{to}");
                } else if legal_with_evidence.contains(&(from, to)) {
                    assert!(user.is_err(), "{from}->{to} by user must be refused");
                    assert!(transition(from, to, Timeout).is_err());
                    for s in [ChannelReply, Callback, Poll, Recovery, Reconcile] {
                        assert_eq!(transition(from, to, s), Ok(true), "{from}->{to} by {s:?}");
                    }
                } else {
                    assert!(user.is_err() && cb.is_err(), "{from}->{to} must be illegal");
                }
            }
        }
    }

    #[test]
    fn final_states() {
        assert!(!Pending.is_final() && !Processing.is_final());
        assert!(Success.is_final() && Failed.is_final() && Closed.is_final() && Refunded.is_final());
    }

    #[test]
    fn refund_transitions() {
        use RefundStatus as R;
        assert_eq!(refund_transition(R::Pending, R::Success), Ok(true));
        assert_eq!(refund_transition(R::Processing, R::Failed), Ok(true));
        assert_eq!(refund_transition(R::Success, R::Success), Ok(false));
        assert!(refund_transition(R::Success, R::Failed).is_err());
        assert!(refund_transition(R::Failed, R::Pending).is_err());
    }

    #[test]
    fn method_from_auth_code() {
        assert_eq!(Method::from_auth_code("134567890123456789"), Some(Method::Wechat));
        assert_eq!(Method::from_auth_code("284567890123456789"), Some(Method::Alipay));
        assert_eq!(Method::from_auth_code("2845678901234567"), Some(Method::Alipay));
        assert_eq!(Method::from_auth_code("6212345678901234567"), Some(Method::Unionpay));
        assert_eq!(Method::from_auth_code("991234567890123456"), Some(Method::Sandbox));
        assert_eq!(Method::from_auth_code("0112345678901234567"), Some(Method::Ecny));
        assert_eq!(Method::from_auth_code("011234567890123456"), None, "e-CNY codes have 19 digits");
        assert_eq!(Method::from_auth_code("6212345678901234"), None, "UnionPay codes have 19 digits");
        assert_eq!(Method::from_auth_code("3012345678901234567890123"), None, "Alipay codes have at most 24 digits");
        assert_eq!(Method::from_auth_code("164567890123456789"), None);
        assert_eq!(Method::from_auth_code("13456789012345678a"), None);
        assert_eq!(Method::from_auth_code(""), None);
    }

    #[test]
    fn masks_codes() {
        assert_eq!(mask_auth_code("284567890123456789"), "2845**********6789");
        assert_eq!(mask_auth_code("1234"), "****");
    }

    #[test]
    fn statuses_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
        assert!("paid".parse::<OrderStatus>().is_err());
    }
}
