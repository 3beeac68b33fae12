//! Background notifications (`backUrl`, protocols.md §4.6): a form post with the same fields as a
//! reply. Parsed once (percent-decoded once), verified per §4.3 — `signPubKeyCert` chained to the
//! configured certificates, then the signature over every non-blank field but `signature` —
//! checked against the account's `merId`, and mapped:
//!
//! * `01` (QR or barcode consumption): a payment event for `orderId`;
//! * `04` (refund): a refund event; the refund's `orderId` is our refund number and `reqReserved`
//!   (which we set on the request and UnionPay echoes) names its order;
//! * `31` (revoke): the order is closed (`reqReserved` names it).
//!
//! UnionPay notifies successful transactions only; a notification with another `respCode` is
//! never read as a failure (it maps to "unknown" and the order is settled by query).

use paydesk_core::channel::{CallbackEvent, CallbackRequest, ChannelError, RefundResult, RefundState, TradeState, TradeStatus};
use paydesk_core::{Money, OrderNo, RefundNo};

use super::config::Settings;
use super::map;
use super::wire::{get, Fields};
use super::KIND;

fn bad_sig(detail: impl Into<String>) -> ChannelError {
    ChannelError::SignatureInvalid { channel: KIND.into(), detail: detail.into() }
}

fn required<'a>(f: &'a Fields, name: &str) -> Result<&'a str, ChannelError> {
    get(f, name).ok_or_else(|| map::protocol(format!("notification has no {name}")))
}

fn total(f: &Fields) -> Result<Money, ChannelError> {
    map::amount(get(f, "txnAmt"))?.ok_or_else(|| map::protocol("notification has no txnAmt"))
}

fn order_no(v: &str, field: &str) -> Result<OrderNo, ChannelError> {
    v.parse().map_err(|e: paydesk_core::ids::IdError| map::protocol(format!("{field}: {e}")))
}

/// Verifies and maps a notification for the account in `s`.
pub fn parse_callback(s: &Settings, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
    let fields: Fields = crate::alipay::notify::parse_form(&req.body, req.header("content-type")).map_err(|e| bad_sig(format!("notification form unreadable: {e}")))?;
    if get(&fields, super::sign::SIGNATURE).is_none() {
        return Err(bad_sig("notification has no signature"));
    }
    super::client::verify(s, &fields, req.received_at).map_err(|e| bad_sig(format!("notification: {e}")))?;
    // Signed by UnionPay: now check it is for this account.
    let mer = get(&fields, "merId").unwrap_or("");
    if mer != s.mer_id {
        return Err(map::mismatch(format!("notification for merId {mer:?}, account {:?} is {}", s.account, s.mer_id)));
    }
    let resp = get(&fields, "respCode").unwrap_or("");
    let txn_type = required(&fields, "txnType")?;
    match txn_type {
        "01" => {
            let order_no = order_no(required(&fields, "orderId")?, "orderId")?;
            let total = total(&fields)?;
            let state = match map::trade_state(resp, get(&fields, "respMsg").unwrap_or("")) {
                TradeState::Paid => TradeState::Paid,
                _ => TradeState::Unknown { raw: format!("notification respCode {resp}") },
            };
            let created = get(&fields, "txnTime").and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").ok()).map(|n| n.and_utc()).unwrap_or(req.received_at);
            let paid_at = if state == TradeState::Paid { get(&fields, "traceTime").and_then(|t| map::beijing_mmdd(t, created)) } else { None };
            let status = TradeStatus { state, channel_trade_no: get(&fields, "queryId").map(str::to_string), amount: Some(total), paid_at, raw_status: format!("respCode {resp}") };
            Ok(CallbackEvent::Payment { order_no, total, status })
        }
        "04" => {
            let refund_no: RefundNo = required(&fields, "orderId")?.parse().map_err(|e: paydesk_core::ids::IdError| map::protocol(format!("orderId: {e}")))?;
            let order_no = order_no(required(&fields, "reqReserved")?, "reqReserved")?;
            let state = if matches!(resp, "00" | "A6") { RefundState::Success } else { RefundState::Processing };
            Ok(CallbackEvent::Refund { order_no, refund_no, amount: total(&fields)?, result: RefundResult { state, channel_refund_no: get(&fields, "queryId").map(str::to_string) } })
        }
        "31" => {
            let order_no = order_no(required(&fields, "reqReserved")?, "reqReserved")?;
            let total = total(&fields)?;
            let state = if resp == "00" { TradeState::Closed } else { TradeState::Unknown { raw: format!("revoke notification respCode {resp}") } };
            let status = TradeStatus { state, channel_trade_no: get(&fields, "origQryId").map(str::to_string), amount: Some(total), paid_at: None, raw_status: "revoked (31)".into() };
            Ok(CallbackEvent::Payment { order_no, total, status })
        }
        other => Err(map::protocol(format!("a txnType {other} notification is not handled"))),
    }
}
