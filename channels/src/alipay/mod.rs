//! The `alipay` channel: Alipay face-to-face payments over the OpenAPI gateway v1.0 with RSA2
//! (protocols.md §1). QR orders (`alipay.trade.precreate`), barcode payments
//! (`alipay.trade.pay`), query, close, cancel (retried while `retry_flag=Y`), refunds and refund
//! queries, the daily `trade` bill, and signed trade notifications.
//!
//! Files: [`config`] (account params and keys, public-key or certificate mode), [`wire`] (what
//! goes over the wire), [`sign`] (canonical strings, reply extraction, certificate SNs),
//! [`map`] (codes → our states), [`notify`] (callbacks), [`bill`] (statement parser).
//!
//! Every reply is verified over the raw `<method>_response` text with the Alipay key before
//! anything in it is used; an unsigned reply is never taken as success.

pub mod bill;
pub mod config;
pub mod funds;
pub mod map;
pub mod notify;
pub mod sign;
pub mod wire;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use paydesk_core::channel::*;
use paydesk_core::{AccountConfig, Method};
use serde::Serialize;

use crate::env::ChannelEnv;
use crate::http::{Http, HttpResponse};
use map::{Answer, CancelStep, Ctx, RefundStep};

pub use config::{Settings, PRODUCTION_GATEWAY, SANDBOX_GATEWAY};

pub const KIND: &str = "alipay";

/// Timeout of a bill ZIP download (the API calls use the account's channel timeout).
pub const BILL_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// How often `alipay.trade.cancel` is tried while Alipay answers `retry_flag=Y`.
pub const CANCEL_TRIES: u32 = 3;

#[derive(Debug)]
pub struct Alipay {
    s: Settings,
    http: Http,
}

/// Registry entry.
pub fn build(a: &AccountConfig, env: &ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError> {
    Ok(Arc::new(Alipay::new(a, env)?))
}

/// Characters Alipay refuses in `subject` (`/`, `=`, `&`) become spaces.
fn clean_subject(s: &str) -> String {
    s.chars().map(|c| if matches!(c, '/' | '=' | '&') { ' ' } else { c }).collect()
}

impl Alipay {
    pub fn new(a: &AccountConfig, env: &ChannelEnv) -> Result<Alipay, ChannelError> {
        Ok(Alipay { s: Settings::load(a, env)?, http: Http::new(KIND, env.timeout)? })
    }

    pub fn settings(&self) -> &Settings {
        &self.s
    }

    /// The spacing of cancel retries (`cancel_retry_ms`).
    pub fn cancel_retry(&self) -> Duration {
        self.s.cancel_retry
    }

    fn ctx(&self, method: &'static str) -> Ctx<'_> {
        Ctx { account: &self.s.account, app_id: &self.s.app_id, method }
    }

    /// The signed form of one gateway call, in sending order (`sign` last).
    pub fn signed_form(&self, method: &str, biz_content: &str, notify_url: Option<&str>, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = vec![
            ("app_id", self.s.app_id.clone()),
            ("method", method.to_string()),
            ("charset", "utf-8".into()),
            ("sign_type", "RSA2".into()),
            ("timestamp", map::format_beijing(now)),
            ("version", "1.0".into()),
        ];
        if let Some(u) = notify_url.filter(|u| !u.is_empty()) {
            p.push(("notify_url", u.to_string()));
        }
        if let Some(c) = &self.s.certs {
            p.push(("app_cert_sn", c.app_cert_sn.clone()));
            p.push(("alipay_root_cert_sn", c.alipay_root_cert_sn.clone()));
        }
        p.push(("biz_content", biz_content.to_string()));
        let content = sign::request_content(p.iter().map(|(k, v)| (*k, v.as_str())));
        p.push(("sign", self.s.signer.sign_b64(content.as_bytes())));
        p
    }

    async fn call<T: Serialize>(&self, method: &'static str, biz: &T, notify_url: Option<&str>) -> Result<Answer, ChannelError> {
        let biz_content = serde_json::to_string(biz).map_err(|e| map::protocol(format!("cannot encode biz_content: {e}")))?;
        let form = self.signed_form(method, &biz_content, notify_url, Utc::now());
        let body = serde_urlencoded::to_string(&form).map_err(|e| map::protocol(format!("cannot encode the request: {e}")))?;
        let req = self.http.client().post(&self.s.gateway).header("content-type", "application/x-www-form-urlencoded;charset=utf-8").body(body);
        let resp = self.http.send(req).await?;
        self.answer(method, &resp)
    }

    /// Verifies a gateway reply and sorts it by code.
    pub fn answer(&self, method: &'static str, resp: &HttpResponse) -> Result<Answer, ChannelError> {
        let ctx = self.ctx(method);
        match resp.status {
            200 => {}
            s @ 500..=599 => return Err(ChannelError::Unavailable { channel: KIND.into(), code: format!("HTTP {s}"), message: "gateway error".into() }),
            s => return Err(map::protocol(format!("HTTP {s} from the gateway ({method})"))),
        }
        let text = std::str::from_utf8(&resp.body).map_err(|_| map::protocol(format!("{method}: the reply is not UTF-8")))?;
        let raw = sign::split_reply(text, method).map_err(|e| map::protocol(format!("{method}: {e}")))?;
        let reply: wire::Reply = serde_json::from_str(raw.content).map_err(|e| map::protocol(format!("{method}: reply object unreadable: {e}")))?;
        let signed = match &raw.sign {
            None => false,
            Some(sig) => {
                if let (Some(c), Some(sn)) = (&self.s.certs, &raw.alipay_cert_sn) {
                    if *sn != c.alipay_cert_sn {
                        return Err(ChannelError::SignatureInvalid {
                            channel: KIND.into(),
                            detail: format!("the reply is signed with Alipay certificate {sn}, alipay_cert_file is {}: download Alipay's current public key certificate", c.alipay_cert_sn),
                        });
                    }
                }
                if !self.s.alipay_key.verify_b64(raw.content.as_bytes(), sig) {
                    let which = if self.s.certs.is_some() { "alipay_cert_file" } else { "alipay_public_key_file" };
                    return Err(ChannelError::SignatureInvalid {
                        channel: KIND.into(),
                        detail: format!("the {method} reply does not verify with the Alipay key of account {:?} ({which}: is it Alipay's key, not the app's?)", self.s.account),
                    });
                }
                true
            }
        };
        map::classify(&ctx, reply, signed)
    }

    /// `biz_content` of a QR order (amount as yuan with two decimals, Beijing `time_expire`).
    pub fn precreate_biz(&self, req: &CreateQr) -> wire::Precreate {
        wire::Precreate {
            out_trade_no: req.order.order_no.to_string(),
            total_amount: req.order.amount.to_string(),
            subject: clean_subject(&req.subject),
            store_id: self.s.store_id.clone(),
            terminal_id: self.s.terminal_id.clone(),
            time_expire: Some(map::format_beijing(req.expires_at)),
        }
    }

    /// `biz_content` of a barcode payment.
    pub fn pay_biz(&self, req: &BarcodePay) -> wire::Pay {
        wire::Pay {
            out_trade_no: req.order.order_no.to_string(),
            scene: "bar_code".into(),
            auth_code: req.auth_code.clone(),
            product_code: "FACE_TO_FACE_PAYMENT".into(),
            subject: clean_subject(&req.subject),
            total_amount: req.order.amount.to_string(),
            store_id: self.s.store_id.clone(),
            terminal_id: self.s.terminal_id.clone(),
        }
    }

    /// `biz_content` of a refund: our refund number is `out_request_no` (the same on resends).
    pub fn refund_biz(req: &RefundRequest) -> wire::Refund {
        wire::Refund {
            out_trade_no: req.order.order_no.to_string(),
            refund_amount: req.amount.to_string(),
            out_request_no: req.refund_no.to_string(),
            refund_reason: req.reason.clone().filter(|r| !r.is_empty()),
        }
    }

    fn by_order(order: &OrderRef) -> wire::ByOrder {
        wire::ByOrder { out_trade_no: order.order_no.to_string() }
    }

    /// Asks for a day's bill URL of `bill_type` and downloads the ZIP at once (the URL expires).
    async fn bill(&self, bill_type: &str, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        let biz = wire::BillUrl { bill_type: bill_type.into(), bill_date: day.format("%Y-%m-%d").to_string() };
        let a = self.call(wire::BILL_URL, &biz, None).await?;
        let url = map::bill_url(&self.ctx(wire::BILL_URL), a)?;
        let mut f = self.download(&url, day).await?;
        if bill_type != "trade" && !f.file_name.contains(bill_type) {
            f.file_name = format!("{bill_type}-{}", f.file_name);
        }
        Ok(f)
    }

    async fn download(&self, url: &str, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        // A month of a busy shop is tens of MB: allow more than an API call's timeout.
        let resp = self.http.send(self.http.client().get(url).timeout(BILL_DOWNLOAD_TIMEOUT)).await?;
        if resp.status != 200 {
            return Err(map::protocol(format!("bill download answered HTTP {}", resp.status)));
        }
        if !resp.body.starts_with(b"PK\x03\x04") {
            return Err(map::protocol("the bill download is not a ZIP file (expired URL?)"));
        }
        let from_url = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.query_pairs().find(|(k, _)| k == "downloadFileName").map(|(_, v)| v.into_owned()))
            .filter(|n| !n.is_empty() && !n.contains(['/', '\\']) && !n.starts_with('.'));
        let file_name = from_url.unwrap_or_else(|| format!("alipay-{}-{}.csv.zip", self.s.app_id, day.format("%Y%m%d")));
        Ok(StatementFile { file_name, bytes: resp.body })
    }
}

#[async_trait]
impl Channel for Alipay {
    fn kind(&self) -> &str {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::full(vec![Method::Alipay])
    }

    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        let a = self.call(wire::PRECREATE, &self.precreate_biz(req), req.notify_url.as_deref()).await?;
        Ok(QrCreated { qr_code: map::precreate(&self.ctx(wire::PRECREATE), a)?, channel_trade_no: None })
    }

    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        let a = self.call(wire::PAY, &self.pay_biz(req), req.notify_url.as_deref()).await?;
        map::pay(&self.ctx(wire::PAY), a)
    }

    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        let a = self.call(wire::QUERY, &Self::by_order(order), None).await?;
        map::query(&self.ctx(wire::QUERY), a)
    }

    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError> {
        let a = self.call(wire::CLOSE, &Self::by_order(order), None).await?;
        map::close(&self.ctx(wire::CLOSE), a)
    }

    /// Cancels, calling again (after `cancel_retry_ms`) while Alipay answers `retry_flag=Y`, at
    /// most [`CANCEL_TRIES`] times; still "retry" after that is an unknown outcome.
    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        let mut last = String::new();
        for attempt in 1..=CANCEL_TRIES {
            if attempt > 1 {
                tokio::time::sleep(self.s.cancel_retry).await;
            }
            let a = self.call(wire::CANCEL, &Self::by_order(order), None).await?;
            match map::cancel(&self.ctx(wire::CANCEL), a)? {
                CancelStep::Done(outcome) => return Ok(outcome),
                CancelStep::Retry(why) => {
                    tracing::info!(order = %order.order_no, attempt, "alipay cancel asks for a retry: {why}");
                    last = why;
                }
            }
        }
        Err(ChannelError::Unavailable { channel: KIND.into(), code: "retry_flag=Y".into(), message: format!("cancel still asks for a retry after {CANCEL_TRIES} tries ({last})") })
    }

    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let a = self.call(wire::REFUND, &Self::refund_biz(req), None).await?;
        match map::refund(&self.ctx(wire::REFUND), a)? {
            RefundStep::Done(r) => Ok(r),
            // Accepted without money moving now (e.g. a resend of a refund already made): ask.
            RefundStep::Confirm => match self.refund_query(req).await? {
                RefundResult { state: RefundState::NotFound, channel_refund_no } => Ok(RefundResult { state: RefundState::Processing, channel_refund_no }),
                r => Ok(r),
            },
        }
    }

    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let biz = wire::RefundQuery { out_trade_no: req.order.order_no.to_string(), out_request_no: req.refund_no.to_string() };
        let a = self.call(wire::REFUND_QUERY, &biz, None).await?;
        map::refund_query(&self.ctx(wire::REFUND_QUERY), a, req.amount)
    }

    /// Asks for the day's `trade` bill URL and downloads the ZIP at once (the URL expires after
    /// about 30 s). Parse it with [`bill::parse_statement`].
    async fn statement(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        self.bill("trade", day).await
    }

    /// The `signcustomer` bill (账务明细): the account ledger, withdrawals to the bank included.
    /// Parse it with [`funds::parse`].
    async fn fund_flow(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        self.bill("signcustomer", day).await
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        notify::parse_callback(&self.s, req)
    }

    /// `success` (exactly these 7 bytes) acknowledges; anything else makes Alipay send again.
    fn callback_reply(&self, stored: bool) -> CallbackReply {
        if stored {
            CallbackReply { status: 200, content_type: "text/plain", body: b"success".to_vec() }
        } else {
            CallbackReply { status: 500, content_type: "text/plain", body: b"fail".to_vec() }
        }
    }
}
