//! Core's errors worded for people in this run's language, from their codes and values (core's
//! own `Display` is the English log line). Details that come from a channel (its own message)
//! or from core's validation of a named field are passed through as they are.

use paydesk_core::payments::PayError;
use paydesk_core::store::StoreError;
use paydesk_core::PayKind;
use paydesk_core::routing::limits::{LimitExceeded, Scope};
use paydesk_core::{ChannelError, Money};

use super::tr;

pub(crate) fn channel_error(e: &ChannelError) -> String {
    match e {
        ChannelError::Unreachable { channel, detail } => tr!(ERR_UNREACHABLE, channel = channel, detail = detail),
        ChannelError::Timeout { channel } => tr!(ERR_TIMEOUT, channel = channel),
        ChannelError::Unavailable { channel, code, message } => tr!(ERR_UNAVAILABLE, channel = channel, code = code, message = message),
        ChannelError::Rejected { channel, code, message } => tr!(ERR_REJECTED, channel = channel, code = code, message = message),
        ChannelError::SignatureInvalid { channel, detail } => tr!(ERR_SIGNATURE, channel = channel, detail = detail),
        ChannelError::Mismatch { channel, detail } => tr!(ERR_MISMATCH, channel = channel, detail = detail),
        ChannelError::Protocol { channel, detail } => tr!(ERR_PROTOCOL, channel = channel, detail = detail),
        ChannelError::Config(detail) => tr!(ERR_CONFIG, detail = detail),
        ChannelError::Unsupported { channel, flow } => tr!(ERR_UNSUPPORTED, channel = channel, flow = flow),
        other => other.to_string(),
    }
}

fn limit(l: &LimitExceeded) -> String {
    let who = match &l.scope {
        Scope::Cashier(n) => tr!(LIMIT_CASHIER, name = n),
        Scope::Till(t) => tr!(LIMIT_TILL, till = t),
    };
    let yuan = |v: i64| Money::from_fen(v).map_or_else(|_| v.to_string(), |m| m.to_string());
    let text = if l.what == "count" {
        tr!(LIMIT_COUNT, who = who, used = l.used, limit = l.limit)
    } else {
        tr!(LIMIT_AMOUNT, who = who, used = yuan(l.used), amount = l.amount, limit = yuan(l.limit))
    };
    format!("{}: {text}", l.setting())
}

/// "order P…" / "refund R…" / "account x" (core's `what id`) in this run's language.
fn not_found(what_id: &str) -> String {
    for (prefix, m) in [("order ", super::catalog::WHAT_ORDER), ("refund ", super::catalog::WHAT_REFUND), ("channel account ", super::catalog::WHAT_ACCOUNT), ("account ", super::catalog::WHAT_ACCOUNT)] {
        if let Some(id) = what_id.strip_prefix(prefix) {
            return tr!(ERR_NOT_FOUND, what = super::t(m), id = id);
        }
    }
    tr!(ERR_NOT_FOUND, what = "", id = what_id)
}

pub(crate) fn pay_error(e: &PayError) -> String {
    match e {
        PayError::Invalid { field, message } => format!("{field}: {message}"),
        PayError::NotFound(what) => not_found(what),
        PayError::NoAccount { method, kind, detail } => tr!(ERR_NO_ACCOUNT, method = super::method_name(method.as_str()), kind = kind_name(kind), detail = detail),
        PayError::Channel(c) => channel_error(c),
        PayError::Conflict(m) => tr!(ERR_CONFLICT, detail = m),
        PayError::Limit(l) => limit(l),
        PayError::Store(s) if s.unwritable() => tr!(BOOK_UNWRITABLE, cause = unwritable_cause(s)),
        PayError::Store(s) => tr!(ERR_STORAGE, detail = s),
        PayError::Unsettled { order_no, kind, refund_no: Some(r), cause } => {
            let _ = kind;
            tr!(UNSETTLED_REFUND, order = order_no, refund = r, cause = unwritable_cause(cause))
        }
        PayError::Unsettled { order_no, kind: PayKind::Barcode, cause, .. } => tr!(UNSETTLED_BARCODE, order = order_no, cause = unwritable_cause(cause)),
        PayError::Unsettled { order_no, kind: PayKind::Qr, cause, .. } => tr!(UNSETTLED_QR, order = order_no, cause = unwritable_cause(cause)),
        other => other.to_string(),
    }
}

/// Why the book cannot be written, in words (the disk is full, the book is read-only, …).
fn unwritable_cause(e: &StoreError) -> String {
    match e.unwritable_cause() {
        Some("disk_full") => super::t(super::catalog::CAUSE_DISK_FULL).into(),
        Some("read_only") => super::t(super::catalog::CAUSE_READ_ONLY).into(),
        _ => e.to_string(),
    }
}

/// `qr` / `barcode` as words.
pub(crate) fn kind_name(kind: &str) -> &'static str {
    match kind {
        "barcode" => super::t(super::catalog::KIND_BARCODE),
        _ => super::t(super::catalog::KIND_QR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_are_worded_from_their_values() {
        // One run's language is fixed for the process: the catalog test checks both texts; here
        // the values must land in the wording.
        let e = PayError::Channel(ChannelError::Rejected { channel: "alipay".into(), code: "ACQ.TRADE_HAS_SUCCESS".into(), message: "交易已被支付".into() });
        let s = pay_error(&e);
        assert!(s.contains("alipay") && s.contains("ACQ.TRADE_HAS_SUCCESS") && s.contains("交易已被支付"), "{s}");
        let s = pay_error(&PayError::NotFound("order P20260101000000000T1000".into()));
        assert!(s.contains("P20260101000000000T1000"), "{s}");
        let l = LimitExceeded { scope: Scope::Cashier("王芳".into()), what: "amount", limit: 50_000, used: 49_000, amount: Money::from_fen(2000).unwrap() };
        let s = pay_error(&PayError::Limit(l));
        assert!(s.starts_with("limits.cashier.amount: ") && s.contains("王芳") && s.contains("490.00") && s.contains("20.00") && s.contains("500.00"), "{s}");
    }
}
