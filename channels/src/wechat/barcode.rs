//! Barcode payments over v2 XML (protocols.md §3.3–3.4): `pay/micropay` and
//! `secapi/pay/reverse` (with the merchant API client certificate). Replies with
//! `return_code=SUCCESS` must carry a valid `sign`; anything unclear is reported as an
//! outcome-unknown error so that core queries (v3) and, at its limit, reverses.

use chrono::{NaiveDateTime, TimeZone, Utc};
use paydesk_core::channel::{BarcodePay, CancelOutcome, Channel, ChannelError, OrderRef, TradeState, TradeStatus};

use super::client::{protocol, sig_invalid};
use super::config::V2Config;
use super::v2::{self, classify_micropay, classify_reverse, Fields, PayReply, ReverseReply};
use super::{mismatch, money, WeChat, KIND};
use crate::http::Http;

fn unavailable(code: String, message: String) -> ChannelError {
    ChannelError::Unavailable { channel: KIND.into(), code, message }
}

fn rejected(code: String, message: String) -> ChannelError {
    ChannelError::Rejected { channel: KIND.into(), code, message }
}

/// Cuts text to at most `max` bytes at a character boundary (v2 `body` is 128 bytes).
fn cut_bytes(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `time_end` (yyyyMMddHHmmss, China time).
fn parse_time_end(s: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y%m%d%H%M%S").ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
}

impl WeChat {
    fn v2(&self) -> Result<&V2Config, ChannelError> {
        self.v2.as_ref().ok_or(ChannelError::Unsupported { channel: KIND.into(), flow: "barcode payments (set api_v2_key_file and client_cert_file)" })
    }

    /// Signs and posts v2 fields; verifies the reply's `sign` when `return_code=SUCCESS`.
    async fn post_xml(&self, http: &Http, path: &str, fields: Fields) -> Result<Fields, ChannelError> {
        let v2c = self.v2()?;
        let body = v2::to_xml(&v2::signed(fields, &v2c.key, v2c.sign_type));
        let req = http.client().post(format!("{}{path}", self.base)).header("Content-Type", "text/xml; charset=utf-8").body(body);
        let resp = http.send(req).await?;
        if resp.status != 200 {
            return Err(unavailable(format!("HTTP_{}", resp.status), resp.text().chars().take(120).collect()));
        }
        let f = v2::parse_xml(&resp.body).map_err(|e| protocol(format!("reply to {path}: {e}")))?;
        if f.get("return_code").map(String::as_str) == Some("SUCCESS") {
            if !v2::verify(&f, &v2c.key, v2c.sign_type) {
                return Err(sig_invalid(format!("reply to {path}: sign does not verify with api_v2_key_file ({})", v2c.sign_type.as_str())));
            }
            let ours = self.merchant.v2_fields();
            for k in ["appid", "mch_id", "sub_mch_id"] {
                if let (Some(got), Some(want)) = (f.get(k), ours.get(k)) {
                    if got != want {
                        return Err(mismatch(format!("reply to {path}: {k} is {got:?}, not ours")));
                    }
                }
            }
        }
        Ok(f)
    }

    pub(super) async fn micropay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        let v2c = self.v2()?;
        let no = req.order.order_no.as_str();
        let mut f = self.merchant.v2_fields();
        f.insert("body".into(), cut_bytes(&req.subject, 128).to_string());
        f.insert("out_trade_no".into(), no.to_string());
        f.insert("total_fee".into(), req.order.amount.fen().to_string());
        f.insert("fee_type".into(), "CNY".into());
        f.insert("spbill_create_ip".into(), v2c.spbill_create_ip.clone());
        f.insert("auth_code".into(), req.auth_code.clone());
        let r = self.post_xml(&self.http, "/pay/micropay", f).await?;
        match classify_micropay(&r) {
            PayReply::Paid => {
                let get = |k: &str| r.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
                if get("out_trade_no").is_some_and(|o| o != no) {
                    return Err(mismatch(format!("micropay for {no} answered for {:?}", get("out_trade_no"))));
                }
                let total = get("total_fee").ok_or_else(|| protocol("micropay SUCCESS without total_fee"))?;
                let total = money(total.parse().map_err(|_| protocol(format!("total_fee {total:?} is not a number")))?)?;
                Ok(TradeStatus {
                    state: TradeState::Paid,
                    channel_trade_no: get("transaction_id").map(str::to_string),
                    amount: Some(total),
                    paid_at: get("time_end").and_then(parse_time_end),
                    raw_status: "SUCCESS".into(),
                })
            }
            PayReply::UserPaying => Ok(TradeStatus::new(TradeState::Waiting, "USERPAYING")),
            // Paid earlier under this number: the query tells the amount and time.
            PayReply::OrderPaid => self.query(&req.order).await,
            PayReply::Unknown { code, message } => Err(unavailable(code, message)),
            PayReply::Refused { code, message } => Err(rejected(code, message)),
        }
    }

    /// Reverses a barcode order: closes it if unpaid, returns the money if paid. `recall=Y` or
    /// no answer → called again after `reverse_retry_ms`, up to `reverse_attempts` times.
    pub(super) async fn reverse(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        let v2c = self.v2()?;
        // Whether money moved decides what the reverse did; the reverse reply does not say.
        let paid_before = matches!(self.query(order).await.map(|s| s.state), Ok(TradeState::Paid | TradeState::Refunded));
        let outcome = if paid_before { CancelOutcome::Refunded } else { CancelOutcome::Closed };
        let mut last = None;
        for attempt in 1..=self.reverse_attempts {
            if attempt > 1 {
                tokio::time::sleep(self.reverse_retry).await;
            }
            let mut f = self.merchant.v2_fields();
            f.insert("out_trade_no".into(), order.order_no.to_string());
            match self.post_xml(&v2c.cert_http, "/secapi/pay/reverse", f).await {
                Ok(r) => match classify_reverse(&r) {
                    ReverseReply::Done => return Ok(outcome),
                    ReverseReply::NotFound => return Ok(CancelOutcome::Closed),
                    ReverseReply::Recall { code, message } => {
                        tracing::info!(channel = KIND, order = %order.order_no, attempt, "reverse asks to be called again (recall=Y)");
                        last = Some(unavailable(code, message));
                    }
                    ReverseReply::Unknown { code, message } => return Err(unavailable(code, message)),
                    ReverseReply::Refused { code, message } => return Err(rejected(code, message)),
                },
                Err(e @ (ChannelError::Timeout { .. } | ChannelError::Unreachable { .. } | ChannelError::Unavailable { .. })) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| unavailable("RECALL".into(), "reverse not confirmed".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_cut_at_a_character_boundary() {
        let s = "咖".repeat(50);
        let c = cut_bytes(&s, 128);
        assert!(c.len() <= 128 && c.len() == 126);
        assert_eq!(cut_bytes("abc", 128), "abc");
    }

    #[test]
    fn time_end_is_china_time() {
        assert_eq!(parse_time_end("20261125183005").unwrap().to_rfc3339(), "2026-11-25T10:30:05+00:00");
        assert!(parse_time_end("2026-11-25").is_none());
    }
}
