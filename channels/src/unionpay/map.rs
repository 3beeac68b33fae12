//! UnionPay answers in Paydesk's terms (protocols.md §4.5, §0.3).
//!
//! A verified reply is sorted by its `respCode`: `00` (and `A6`, partial success) done or
//! accepted; `03`/`04`/`05`/`06` processing or unknown — the outcome is settled by query; `34` no
//! such transaction; `12` a duplicate (we sent it before: query it); `11` UnionPay could not verify
//! our signature (a configuration error); anything else a definitive refusal. A query's own
//! `respCode=00` says the query worked; the transaction's result is `origRespCode`, read the same
//! way. Unknown codes are never read as paid or failed by accident: only listed codes are final.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use paydesk_core::channel::{ChannelError, RefundResult, RefundState, TradeState, TradeStatus};
use paydesk_core::Money;

use super::wire::{get, Fields};
use super::KIND;

/// What a `respCode` (or `origRespCode`) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// `00`.
    Success,
    /// `A6`: partially successful — money moved; booked as paid, flagged for review.
    Partial,
    /// `03`, `04`, `05`, `06`: processing, state unknown, accepted, or busy.
    Pending,
    /// `34`: no such transaction.
    NotFound,
    /// `12`: a repeated request.
    Duplicate,
    /// `11`: our signature did not verify at UnionPay.
    BadSignature,
    /// No code at all: not an answer.
    Missing,
    /// Anything else: refused. Carries the code and UnionPay's message.
    Refused(String, String),
}

/// Reads a response code with its message.
pub fn code(resp_code: &str, msg: &str) -> Code {
    match resp_code {
        "00" => Code::Success,
        "A6" => Code::Partial,
        "03" | "04" | "05" | "06" => Code::Pending,
        "34" => Code::NotFound,
        "12" => Code::Duplicate,
        "11" => Code::BadSignature,
        "" => Code::Missing,
        other => Code::Refused(other.to_string(), scrub(msg)),
    }
}

/// The reply's `respCode` read with [`code`].
pub fn resp(fields: &Fields) -> Code {
    code(get(fields, "respCode").unwrap_or(""), get(fields, "respMsg").unwrap_or(""))
}

/// Masks digit runs of 16–24 digits (payment codes, card numbers) in a UnionPay message.
pub fn scrub(s: &str) -> String {
    crate::alipay::map::scrub(s)
}

pub fn protocol(detail: impl Into<String>) -> ChannelError {
    ChannelError::Protocol { channel: KIND.into(), detail: detail.into() }
}

pub fn unavailable(code: &str, msg: &str) -> ChannelError {
    ChannelError::Unavailable { channel: KIND.into(), code: code.into(), message: scrub(msg) }
}

pub fn rejected(code: &str, msg: &str) -> ChannelError {
    ChannelError::Rejected { channel: KIND.into(), code: code.into(), message: scrub(msg) }
}

pub fn mismatch(detail: impl Into<String>) -> ChannelError {
    ChannelError::Mismatch { channel: KIND.into(), detail: detail.into() }
}

/// The error for a reply code that is not the answer we can act on.
pub fn error_of(account: &str, txn: &str, fields: &Fields) -> ChannelError {
    let c = get(fields, "respCode").unwrap_or("");
    let m = get(fields, "respMsg").unwrap_or("");
    match code(c, m) {
        Code::Pending => unavailable(c, m),
        Code::Missing => protocol(format!("the {txn} reply has no respCode; the outcome will be checked")),
        Code::BadSignature => ChannelError::Config(format!(
            "account {account:?}: UnionPay could not verify our {txn} request signature ({c}): sign_cert_file is not the signing certificate registered for this mer_id"
        )),
        Code::Success | Code::Partial | Code::NotFound | Code::Duplicate | Code::Refused(..) => rejected(c, m),
    }
}

/// `yyyyMMddHHmmss` in Beijing time: `txnTime`, `payTimeout`.
pub fn txn_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y%m%d%H%M%S").to_string()
}

/// A `traceTime`/`txnTime`-like `MMDDhhmmss` (no year) in Beijing time, the year taken from `year_of`.
pub fn beijing_mmdd(mmddhhmmss: &str, year_of: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if mmddhhmmss.len() != 10 || !mmddhhmmss.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = year_of.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y").to_string();
    let naive = NaiveDateTime::parse_from_str(&format!("{year}{mmddhhmmss}"), "%Y%m%d%H%M%S").ok()?;
    chrono_tz::Asia::Shanghai.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

/// `txnAmt` (fen, digits only).
pub fn amount(s: Option<&str>) -> Result<Option<Money>, ChannelError> {
    let Some(s) = s else { return Ok(None) };
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(protocol(format!("txnAmt {s:?} is not an amount in fen")));
    }
    let fen: i64 = s.parse().map_err(|_| protocol(format!("txnAmt {s:?} is not an amount in fen")))?;
    Money::from_fen(fen).map(Some).map_err(|e| protocol(format!("txnAmt {s:?}: {e}")))
}

/// A payment's state from a query reply that said `respCode=00` (the txn's result is
/// `origRespCode`), or from a notification (its own `respCode`).
pub fn trade_state(result_code: &str, msg: &str) -> TradeState {
    match code(result_code, msg) {
        Code::Success | Code::Partial => TradeState::Paid,
        Code::Pending => TradeState::Waiting,
        Code::Refused(c, m) => TradeState::Failed { message: if m.is_empty() { "payment failed".into() } else { m }, code: c },
        // Not meaningful as a transaction's own result.
        Code::NotFound | Code::Duplicate | Code::BadSignature | Code::Missing => TradeState::Unknown { raw: result_code.to_string() },
    }
}

/// A query reply for a payment (`respCode=00`: the query itself worked), mapped.
pub fn payment_status(fields: &Fields, created_at: DateTime<Utc>) -> Result<TradeStatus, ChannelError> {
    let orig = get(fields, "origRespCode").unwrap_or("");
    let state = trade_state(orig, get(fields, "origRespMsg").unwrap_or(""));
    let paid_at = if state == TradeState::Paid { get(fields, "traceTime").and_then(|t| beijing_mmdd(t, created_at)) } else { None };
    Ok(TradeStatus {
        state,
        channel_trade_no: get(fields, "queryId").map(str::to_string),
        amount: amount(get(fields, "txnAmt"))?,
        paid_at,
        raw_status: if orig.is_empty() { "origRespCode missing".into() } else { format!("origRespCode {orig}") },
    })
}

/// A query reply for a refund (or cancel) transaction, mapped.
pub fn refund_status(fields: &Fields) -> RefundResult {
    let orig = get(fields, "origRespCode").unwrap_or("");
    let state = match code(orig, get(fields, "origRespMsg").unwrap_or("")) {
        Code::Success | Code::Partial => RefundState::Success,
        Code::Refused(c, m) => RefundState::Failed { code: c, message: if m.is_empty() { "refund failed".into() } else { m } },
        Code::Pending | Code::NotFound | Code::Duplicate | Code::BadSignature | Code::Missing => RefundState::Processing,
    };
    RefundResult { state, channel_refund_no: get(fields, "queryId").map(str::to_string) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn response_codes() {
        assert_eq!(code("00", ""), Code::Success);
        assert_eq!(code("A6", ""), Code::Partial);
        for p in ["03", "04", "05", "06"] {
            assert_eq!(code(p, ""), Code::Pending, "{p}");
        }
        assert_eq!(code("34", ""), Code::NotFound);
        assert_eq!(code("12", ""), Code::Duplicate);
        assert_eq!(code("11", ""), Code::BadSignature);
        assert_eq!(code("61", "无效卡号6212345678901234567"), Code::Refused("61".into(), "无效卡号6212***********4567".into()));
    }

    #[test]
    fn query_tree_maps_orig_resp_code() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
        let paid = payment_status(&f(&[("respCode", "00"), ("origRespCode", "00"), ("queryId", "Q1"), ("txnAmt", "1230"), ("traceTime", "1125100501")]), t).unwrap();
        assert_eq!(paid.state, TradeState::Paid);
        assert_eq!((paid.amount.unwrap().fen(), paid.channel_trade_no.as_deref()), (1230, Some("Q1")));
        assert_eq!(paid.paid_at.unwrap().to_rfc3339(), "2026-11-25T02:05:01+00:00");
        let partial = payment_status(&f(&[("origRespCode", "A6")]), t).unwrap();
        assert_eq!((partial.state, partial.raw_status.as_str()), (TradeState::Paid, "origRespCode A6"));
        for p in ["03", "04", "05"] {
            assert_eq!(payment_status(&f(&[("origRespCode", p)]), t).unwrap().state, TradeState::Waiting);
        }
        let failed = payment_status(&f(&[("origRespCode", "37"), ("origRespMsg", "余额不足")]), t).unwrap();
        assert_eq!(failed.state, TradeState::Failed { code: "37".into(), message: "余额不足".into() });
        assert!(matches!(payment_status(&f(&[]), t).unwrap().state, TradeState::Unknown { .. }), "no origRespCode is never paid or failed");
        assert!(payment_status(&f(&[("origRespCode", "00"), ("txnAmt", "1.00")]), t).is_err());
    }

    #[test]
    fn refund_query_maps() {
        assert_eq!(refund_status(&f(&[("origRespCode", "00"), ("queryId", "R9")])).state, RefundState::Success);
        assert_eq!(refund_status(&f(&[("origRespCode", "05")])).state, RefundState::Processing);
        assert!(matches!(refund_status(&f(&[("origRespCode", "35"), ("origRespMsg", "原交易状态不正确")])).state, RefundState::Failed { code, .. } if code == "35"));
        assert_eq!(refund_status(&f(&[])).state, RefundState::Processing);
    }

    #[test]
    fn times_are_beijing() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 5).unwrap();
        assert_eq!(txn_time(t), "20270101003005");
        assert_eq!(beijing_mmdd("0101003005", t), Some(t));
        assert_eq!(beijing_mmdd("01010030", t), None);
    }
}
