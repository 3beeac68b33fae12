//! Merchant notifications: when an order or refund reaches a final state, the shop's own
//! systems get a signed JSON POST. Rows are written to the outbox in the same transaction as the
//! state change (so none is lost and a duplicate callback adds none), then delivered with
//! exponential backoff by a deliverer (`paydesk-server`).
//!
//! Signature header: `Paydesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Receivers recompute it over the raw body, compare in constant time, reject old timestamps,
//! and deduplicate by `Paydesk-Delivery` (delivery is at least once).

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::order::{Order, Refund};

/// The delay before attempt `n + 1` after `n` failed attempts: base, 2×base, 4×base … (capped at 1 h).
pub fn backoff(base: Duration, failed_attempts: u32) -> Duration {
    let factor = 1u64 << failed_attempts.saturating_sub(1).min(20);
    (base * u32::try_from(factor).unwrap_or(u32::MAX)).min(Duration::from_secs(3600))
}

/// The JSON body for an order event (`order.success`, `order.failed`, `order.closed`, `order.refunded`).
pub fn order_payload(o: &Order, event: &str, at: DateTime<Utc>) -> String {
    json!({
        "event": event,
        "at": at.to_rfc3339(),
        "order": order_json(o),
    })
    .to_string()
}

/// The JSON body for a refund event (`refund.success`, `refund.failed`).
pub fn refund_payload(r: &Refund, o: &Order, event: &str, at: DateTime<Utc>) -> String {
    json!({
        "event": event,
        "at": at.to_rfc3339(),
        "refund": {
            "refund_no": r.refund_no.as_str(),
            "amount": r.amount.to_string(),
            "amount_fen": r.amount.fen(),
            "status": r.status.as_str(),
            "reason": r.reason,
            "channel_refund_no": r.channel_refund_no,
        },
        "order": order_json(o),
    })
    .to_string()
}

fn order_json(o: &Order) -> serde_json::Value {
    json!({
        "order_no": o.order_no.as_str(),
        "status": o.status.as_str(),
        "amount": o.amount.to_string(),
        "amount_fen": o.amount.fen(),
        "refunded": o.refunded.to_string(),
        "refunded_fen": o.refunded.fen(),
        "method": o.method.as_str(),
        "channel": o.channel,
        "account": o.account,
        "subject": o.subject,
        "channel_trade_no": o.channel_trade_no,
        "paid_at": o.paid_at.map(|t| t.to_rfc3339()),
        "created_at": o.created_at.to_rfc3339(),
    })
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `Paydesk-Signature` header value for `body` at time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body).finalize().into_bytes()))
}

/// Verifies a `Paydesk-Signature` header (what a receiver does), constant-time, within `tolerance`.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: DateTime<Utc>, tolerance: Duration) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    if (now.timestamp() - t).unsigned_abs() > tolerance.as_secs() {
        return false;
    }
    mac(secret, t, body).verify_slice(&v1).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(1);
        let v: Vec<u64> = (1..=6).map(|n| backoff(b, n).as_secs()).collect();
        assert_eq!(v, [1, 2, 4, 8, 16, 32]);
        assert_eq!(backoff(b, 40), Duration::from_secs(3600));
    }

    #[test]
    fn signature_round_trip_and_tamper() {
        let now = Utc::now();
        let h = sign(b"s3cret", now.timestamp(), b"{\"a\":1}");
        assert!(verify(b"s3cret", &h, b"{\"a\":1}", now, Duration::from_secs(300)));
        assert!(!verify(b"s3cret", &h, b"{\"a\":2}", now, Duration::from_secs(300)));
        assert!(!verify(b"other", &h, b"{\"a\":1}", now, Duration::from_secs(300)));
        assert!(!verify(b"s3cret", &h, b"{\"a\":1}", now + chrono::Duration::seconds(301), Duration::from_secs(300)));
        assert!(!verify(b"s3cret", "t=1,v1=zz", b"", now, Duration::from_secs(300)));
        // Known value: HMAC-SHA256("key", "1700000000.body"), computed independently.
        assert_eq!(sign(b"key", 1_700_000_000, b"body"), "t=1700000000,v1=47b6ce0fca59474308e2921c247cb2493dce6b8101d90ac05bd0c6a37d0e046e");
    }
}
