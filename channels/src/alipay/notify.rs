//! Trade notifications (`notify_url`, protocols.md §1.4): the form is parsed once (percent-decoded
//! once, values decoded by the notification's charset), verified with RSA2 over the sorted fields
//! without `sign`/`sign_type`, checked against the account (`app_id`, `seller_id`), and mapped.
//!
//! Refund notifications arrive as `trade_status_sync` too, carrying `refund_fee` (the trade's
//! refunded total), `out_biz_no` and `gmt_refund`. A partial refund (`TRADE_SUCCESS`) maps to a
//! payment event with state `Refunded` (paid, with refunds); a full one (`TRADE_CLOSED`) to
//! `Closed`, which the core records without unbooking the payment. Each refund itself is settled
//! by its own refund query (the notification does not carry the amount of one refund).

use paydesk_core::channel::{CallbackEvent, CallbackRequest, ChannelError, TradeState, TradeStatus};
use paydesk_core::{Money, OrderNo};

use super::config::Settings;
use super::map::{beijing_time, trade_state};
use super::sign::notify_content;
use super::KIND;

/// The trade notification type.
pub const NOTIFY_TYPE_TRADE: &str = "trade_status_sync";

fn bad_sig(detail: impl Into<String>) -> ChannelError {
    ChannelError::SignatureInvalid { channel: KIND.into(), detail: detail.into() }
}

fn protocol(detail: impl Into<String>) -> ChannelError {
    ChannelError::Protocol { channel: KIND.into(), detail: detail.into() }
}

/// Percent-decodes one form component (`+` is a space) to bytes.
fn percent_decode(s: &[u8]) -> Result<Vec<u8>, String> {
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let v = s.get(i + 1).copied().and_then(hex).zip(s.get(i + 2).copied().and_then(hex)).ok_or("a bad %-escape")?;
                out.push(v.0 * 16 + v.1);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

fn is_gbk(charset: &str) -> bool {
    matches!(charset.trim().to_ascii_lowercase().as_str(), "gbk" | "gb2312" | "gb18030")
}

/// Parses an `application/x-www-form-urlencoded` body once. Values are decoded as UTF-8, or as
/// GBK when the form's `charset` field (or the Content-Type charset) says so. Duplicate names
/// are refused (which one would the signature cover?).
pub fn parse_form(body: &[u8], content_type: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let mut raw: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for part in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match part.iter().position(|b| *b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        raw.push((percent_decode(k)?, percent_decode(v)?));
    }
    let header_charset = content_type.and_then(|ct| ct.split(';').find_map(|p| p.trim().strip_prefix("charset=").map(|c| c.trim_matches('"').to_string())));
    let form_charset = raw.iter().find(|(k, _)| k == b"charset").map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let gbk = form_charset.or(header_charset).is_some_and(|c| is_gbk(&c));
    let decode = |b: Vec<u8>| -> Result<String, String> {
        if gbk {
            encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(&b).map(|c| c.into_owned()).ok_or_else(|| "a value is not valid GBK".to_string())
        } else {
            String::from_utf8(b).map_err(|_| "a value is not valid UTF-8".to_string())
        }
    };
    let mut out: Vec<(String, String)> = Vec::with_capacity(raw.len());
    for (k, v) in raw {
        let k = decode(k)?;
        if out.iter().any(|(e, _)| *e == k) {
            return Err(format!("field {k:?} appears twice"));
        }
        out.push((k, decode(v)?));
    }
    Ok(out)
}

/// Verifies and maps a notification for the account in `s`.
pub fn parse_callback(s: &Settings, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
    let fields = parse_form(&req.body, req.header("content-type")).map_err(|e| bad_sig(format!("notification form unreadable: {e}")))?;
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let sign = get("sign").ok_or_else(|| bad_sig("notification has no sign"))?;
    if let Some(t) = get("sign_type") {
        if t != "RSA2" {
            return Err(bad_sig(format!("sign_type {t:?} is not accepted (RSA2 only)")));
        }
    }
    let content = notify_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !s.alipay_key.verify_b64(content.as_bytes(), sign) {
        return Err(bad_sig("the notification's signature does not verify with the Alipay public key"));
    }
    // Signed by Alipay: now check it is for this account.
    let mismatch = |detail: String| ChannelError::Mismatch { channel: KIND.into(), detail };
    let app_id = get("app_id").unwrap_or("");
    if app_id != s.app_id {
        return Err(mismatch(format!("notification for app_id {app_id:?}, account {:?} is app_id {}", s.account, s.app_id)));
    }
    if let Some(seller) = &s.seller_id {
        let got = get("seller_id").unwrap_or("");
        if got != seller {
            return Err(mismatch(format!("notification for seller_id {got:?}, account {:?} is seller {seller}", s.account)));
        }
    }
    if let Some(t) = get("notify_type") {
        if t != NOTIFY_TYPE_TRADE {
            return Err(protocol(format!("not a trade notification (notify_type {t:?})")));
        }
    }
    let order_no: OrderNo = get("out_trade_no").unwrap_or("").parse().map_err(|e: paydesk_core::ids::IdError| protocol(format!("out_trade_no: {e}")))?;
    let total = Money::parse_yuan(get("total_amount").unwrap_or("")).map_err(|e| protocol(format!("total_amount: {e}")))?;
    let raw = get("trade_status").unwrap_or("").to_string();
    let paid_at = beijing_time(get("gmt_payment"));
    let refunded = get("out_biz_no").is_some() || get("gmt_refund").is_some() || get("refund_fee").is_some_and(|f| Money::parse_yuan(f).is_ok_and(|m| !m.is_zero()));
    let state = match trade_state(&raw) {
        TradeState::Paid if refunded => TradeState::Refunded,
        s => s,
    };
    let status = TradeStatus { state, channel_trade_no: get("trade_no").map(str::to_string), amount: Some(total), paid_at, raw_status: raw };
    Ok(CallbackEvent::Payment { order_no, total, status })
}
