//! The JSON of a payment and a refund, shared by the API and `paydesk --json`: money as the
//! yuan string (`"12.34"`) with `amount_fen` beside the amount, times in RFC 3339.

use paydesk_core::store::OrderDetail;
use paydesk_core::{Order, Refund};
use serde_json::{json, Value};

pub fn payment_json(o: &Order) -> Value {
    json!({
        "order_no": o.order_no.as_str(),
        "status": o.status.as_str(),
        "kind": o.kind.as_str(),
        "method": o.method.as_str(),
        "channel": o.channel,
        "account": o.account,
        "amount": o.amount.to_string(),
        "amount_fen": o.amount.fen(),
        "refunded": o.refunded.to_string(),
        "fee": o.fee.to_string(),
        "subject": o.subject,
        "qr_code": o.qr_code,
        "channel_trade_no": o.channel_trade_no,
        "failure": o.failure_code.as_ref().map(|c| json!({"code": c, "message": o.failure_message})),
        "operator": o.operator,
        "taken_by": o.principal,
        "created_at": o.created_at.to_rfc3339(),
        "expires_at": o.expires_at.to_rfc3339(),
        "paid_at": o.paid_at.map(|t| t.to_rfc3339()),
        "shift_no": o.shift_no,
        "tendered": o.tendered.map(|t| t.to_string()),
        "change": o.tendered.map(|_| o.change().to_string()),
        "sale_id": o.sale_id,
        "sale_total": o.sale_total.map(|t| t.to_string()),
        "origin": o.origin.as_str(),
    })
}

pub fn refund_json(r: &Refund) -> Value {
    json!({
        "refund_no": r.refund_no.as_str(),
        "order_no": r.order_no.as_str(),
        "kind": r.kind.as_str(),
        "amount": r.amount.to_string(),
        "amount_fen": r.amount.fen(),
        "status": r.status.as_str(),
        "reason": r.reason,
        "channel_refund_no": r.channel_refund_no,
        "failure": r.failure_message,
        "operator": r.operator,
        "requested_by": r.principal,
        "shift_no": r.shift_no,
        "created_at": r.created_at.to_rfc3339(),
    })
}

/// A payment with its refunds, event history and routing decision (`GET /api/v1/payments/{no}`).
pub fn payment_detail_json(d: &OrderDetail) -> Value {
    let mut v = payment_json(&d.order);
    v["refunds"] = d.refunds.iter().map(refund_json).collect();
    v["events"] = d
        .events
        .iter()
        .map(|e| json!({"at": e.at.to_rfc3339(), "from": e.from_status.map(|s| s.as_str()), "to": e.to_status.map(|s| s.as_str()), "source": e.source.as_str(), "detail": e.detail, "reason": e.reason, "by": e.by}))
        .collect();
    // How the account was chosen: candidates, accounts skipped and why, attempts (fallbacks).
    v["routing"] = json!(d.route);
    v
}
