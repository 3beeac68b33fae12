//! The `wechat` channel: WeChat Pay for a direct merchant or a service provider's sub-merchant.
//!
//! * QR: API v3 native order → `code_url`; query/close/refund/refund query/trade bill over v3
//!   ([`client`] signs requests and verifies every reply; [`v3`] holds the crypto; [`certs`] the
//!   platform certificates; [`wire`] the JSON).
//! * Barcode: v2 `micropay` XML with HMAC-SHA256 (or MD5) and `secapi/pay/reverse` with the
//!   merchant API client certificate ([`v2`], flows in `barcode.rs`).
//! * Callbacks: signature over the raw body first, then AEAD decryption with the APIv3 key, then
//!   the merchant/app ids (`callback.rs`).
//! * Bills: [`bill`] (gunzip, SHA1 check, streaming CSV parser — also for hand-downloaded files).
//!
//! Account parameters are described in docs/configuration.md and checked by [`config`].

mod barcode;
pub mod bill;
mod callback;
pub mod funds;
pub mod certs;
mod client;
pub mod config;
#[cfg(test)]
pub(crate) mod testdata;
pub mod v2;
pub mod v3;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use paydesk_core::channel::*;
use paydesk_core::{AccountConfig, Method, Money};
use reqwest::Method as HttpMethod;
use serde::de::DeserializeOwned;

use client::{protocol, V3Client};
use config::{Merchant, V2Config};

pub(crate) const KIND: &str = "wechat";

/// Sent as `notify_url` when Paydesk has no public callback URL (polling-only mode): WeChat
/// requires the field; this host never resolves (RFC 6761), so the orders are followed by polling.
pub const NO_CALLBACK_URL: &str = "https://paydesk-polling-only.invalid/wechat/notify";

/// One WeChat Pay merchant account.
pub struct WeChat {
    merchant: Merchant,
    client: Arc<V3Client>,
    http: crate::http::Http,
    v2: Option<V2Config>,
    base: String,
    reverse_retry: Duration,
    reverse_attempts: u32,
    notify_url: Option<String>,
}

impl std::fmt::Debug for WeChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeChat").field("merchant", &self.merchant).field("base", &self.base).field("barcode", &self.v2.is_some()).finish_non_exhaustive()
    }
}

/// Registry entry.
pub fn build(a: &AccountConfig, env: &crate::env::ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError> {
    Ok(Arc::new(WeChat::new(config::load(a, env)?, env)?))
}

impl WeChat {
    pub fn new(cfg: config::Config, env: &crate::env::ChannelEnv) -> Result<WeChat, ChannelError> {
        let http = crate::http::Http::new(KIND, env.timeout)?;
        let client = Arc::new(V3Client::new(&cfg, http.clone())?);
        Ok(WeChat {
            merchant: cfg.merchant,
            client,
            http,
            v2: cfg.v2,
            base: cfg.base,
            reverse_retry: cfg.reverse_retry,
            reverse_attempts: cfg.reverse_attempts,
            notify_url: cfg.notify_url,
        })
    }

    fn notify(&self, from_core: Option<&str>) -> String {
        from_core.map(str::to_string).or_else(|| self.notify_url.clone()).unwrap_or_else(|| NO_CALLBACK_URL.to_string())
    }

    async fn call_json<T: DeserializeOwned>(&self, method: HttpMethod, path: &str, body: Option<Vec<u8>>) -> Result<T, ChannelError> {
        let r = self.client.call(method, path, body).await?;
        serde_json::from_slice(&r.body).map_err(|e| protocol(format!("reply is not the expected JSON: {e}")))
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, ChannelError> {
    serde_json::to_vec(v).map_err(|e| protocol(format!("cannot encode request: {e}")))
}

pub(crate) fn mismatch(detail: impl Into<String>) -> ChannelError {
    ChannelError::Mismatch { channel: KIND.into(), detail: detail.into() }
}

/// `trade_state` → ours (protocols.md §2.5). Unknown words stay unknown.
pub fn map_trade_state(state: &str, desc: Option<&str>) -> TradeState {
    match state {
        "SUCCESS" => TradeState::Paid,
        "REFUND" => TradeState::Refunded,
        "NOTPAY" | "USERPAYING" => TradeState::Waiting,
        "CLOSED" | "REVOKED" => TradeState::Closed,
        "PAYERROR" => TradeState::Failed { code: "PAYERROR".into(), message: desc.filter(|d| !d.is_empty()).unwrap_or("payment failed").to_string() },
        other => TradeState::Unknown { raw: other.to_string() },
    }
}

/// Refund `status` → ours. `ABNORMAL` (e.g. the payer's card was cancelled) must be settled by
/// hand in the merchant platform and may still succeed there, so it stays open (the amount stays
/// reserved) rather than failed; `CLOSED` is final.
pub fn map_refund_status(status: &str) -> RefundState {
    match status {
        "SUCCESS" => RefundState::Success,
        "CLOSED" => RefundState::Failed { code: "CLOSED".into(), message: "refund closed by WeChat Pay".into() },
        "ABNORMAL" => {
            tracing::warn!(channel = KIND, "refund ABNORMAL: settle it in the WeChat Pay merchant platform (交易中心 → 退款管理)");
            RefundState::Processing
        }
        _ => RefundState::Processing,
    }
}

pub(crate) fn money(fen: i64) -> Result<Money, ChannelError> {
    Money::from_fen(fen).map_err(|e| protocol(format!("amount {fen}: {e}")))
}

fn parse_rfc3339(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc))
}

/// `time_expire`: RFC 3339 in China time, e.g. `2026-11-25T18:30:00+08:00`.
pub fn time_expire(at: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("fixed offset"));
    at.with_timezone(&cst).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn trade_status(t: &wire::Transaction) -> Result<TradeStatus, ChannelError> {
    let amount = t.amount.as_ref().and_then(|a| a.total).map(money).transpose()?;
    Ok(TradeStatus {
        state: map_trade_state(&t.trade_state, t.trade_state_desc.as_deref()),
        channel_trade_no: t.transaction_id.clone().filter(|s| !s.is_empty()),
        amount,
        paid_at: parse_rfc3339(t.success_time.as_deref()),
        raw_status: t.trade_state.clone(),
    })
}

fn refund_result(r: &wire::Refund) -> RefundResult {
    RefundResult { state: map_refund_status(&r.status), channel_refund_no: Some(r.refund_id.clone()).filter(|s| !s.is_empty()) }
}

/// Cuts text to at most `max` characters.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[async_trait]
impl Channel for WeChat {
    fn kind(&self) -> &str {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        let barcode = self.v2.is_some();
        // Barcode payments and their reversal need the v2 (micropay) credentials; the reverse
        // undoes payment-code orders only, so a paid QR order is refunded, never revoked.
        Capabilities { barcode, cancel: barcode, revoke_qr: false, ..Capabilities::full(vec![Method::Wechat]) }
    }

    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        let mut body = self.merchant.native_request();
        body.description = cut(&req.subject, 127);
        body.out_trade_no = req.order.order_no.to_string();
        body.time_expire = Some(time_expire(req.expires_at));
        body.notify_url = self.notify(req.notify_url.as_deref());
        body.amount = wire::Amount { total: req.order.amount.fen(), currency: "CNY".into() };
        let r: wire::CodeUrl = self.call_json(HttpMethod::POST, self.merchant.native_path(), Some(to_json(&body)?)).await?;
        if r.code_url.is_empty() {
            return Err(protocol("reply has an empty code_url"));
        }
        Ok(QrCreated { qr_code: r.code_url, channel_trade_no: None })
    }

    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        self.micropay(req).await
    }

    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        let no = order.order_no.as_str();
        let t: wire::Transaction = match self.call_json(HttpMethod::GET, &self.merchant.query_path(no), None).await {
            Err(ChannelError::Rejected { code, .. }) if code == "ORDER_NOT_EXIST" || code == "RESOURCE_NOT_EXISTS" => {
                return Ok(TradeStatus::new(TradeState::NotFound, code));
            }
            r => r?,
        };
        if t.out_trade_no != no {
            return Err(mismatch(format!("query for {no} answered for {:?}", t.out_trade_no)));
        }
        self.merchant.check_transaction(&t).map_err(mismatch)?;
        trade_status(&t)
    }

    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError> {
        let body = to_json(&self.merchant.close_body())?;
        match self.client.call(HttpMethod::POST, &self.merchant.close_path(order.order_no.as_str()), Some(body)).await {
            Err(ChannelError::Rejected { code, .. }) if code == "ORDER_NOT_EXIST" || code == "RESOURCE_NOT_EXISTS" => Ok(()),
            r => r.map(|_| ()),
        }
    }

    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        self.reverse(order).await
    }

    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let body = wire::RefundRequest {
            sub_mchid: self.merchant.sub_mchid().map(str::to_string),
            transaction_id: None,
            out_trade_no: Some(req.order.order_no.to_string()),
            out_refund_no: req.refund_no.to_string(),
            reason: req.reason.as_deref().map(|r| cut(r, 80)).filter(|r| !r.trim().is_empty()),
            notify_url: req.notify_url.clone().or_else(|| self.notify_url.clone()),
            amount: wire::RefundAmountRequest { refund: req.amount.fen(), total: req.order.amount.fen(), currency: "CNY".into() },
        };
        let r: wire::Refund = self.call_json(HttpMethod::POST, "/v3/refund/domestic/refunds", Some(to_json(&body)?)).await?;
        if r.out_refund_no != req.refund_no.as_str() {
            return Err(mismatch(format!("refund {} answered for {:?}", req.refund_no, r.out_refund_no)));
        }
        Ok(refund_result(&r))
    }

    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let path = self.merchant.refund_query_path(req.refund_no.as_str());
        let r: wire::Refund = match self.call_json(HttpMethod::GET, &path, None).await {
            Err(ChannelError::Rejected { code, .. }) if matches!(code.as_str(), "RESOURCE_NOT_EXISTS" | "ORDER_NOT_EXIST" | "REFUND_NOT_EXIST") => {
                return Ok(RefundResult { state: RefundState::NotFound, channel_refund_no: None });
            }
            r => r?,
        };
        if r.out_refund_no != req.refund_no.as_str() {
            return Err(mismatch(format!("refund query for {} answered for {:?}", req.refund_no, r.out_refund_no)));
        }
        Ok(refund_result(&r))
    }

    async fn statement(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        let info: wire::TradeBill = self.call_json(HttpMethod::GET, &self.merchant.bill_path(day), None).await?;
        if !info.hash_type.eq_ignore_ascii_case("SHA1") {
            return Err(protocol(format!("bill hash_type {:?} is not SHA1", info.hash_type)));
        }
        let gz = self.client.download(&info.download_url).await?;
        let csv = bill::gunzip_verified(&gz, &info.hash_value).map_err(|e| protocol(format!("trade bill of {day}: {e}")))?;
        let who = self.merchant.sub_mchid().unwrap_or(self.merchant.signing_mchid());
        Ok(StatementFile { file_name: format!("wechat-{who}-{day}-ALL.csv"), bytes: csv })
    }

    /// The basic account's 资金账单 (`/v3/bill/fundflowbill`, `account_type=BASIC`): gzip, SHA1
    /// checked like the trade bill. A service provider's sub-merchants get theirs encrypted
    /// from another endpoint: import the file downloaded from the merchant platform instead.
    async fn fund_flow(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        if self.merchant.sub_mchid().is_some() {
            return Err(ChannelError::Rejected { channel: KIND.into(), code: "NOT_SUPPORTED".into(), message: "sub-merchant fund bills are not downloaded: import the 资金账单 from the merchant platform".into() });
        }
        let path = format!("/v3/bill/fundflowbill?bill_date={}&account_type=BASIC&tar_type=GZIP", day.format("%Y-%m-%d"));
        let info: wire::TradeBill = self.call_json(HttpMethod::GET, &path, None).await?;
        if !info.hash_type.eq_ignore_ascii_case("SHA1") {
            return Err(protocol(format!("fund bill hash_type {:?} is not SHA1", info.hash_type)));
        }
        let gz = self.client.download(&info.download_url).await?;
        let csv = bill::gunzip_verified(&gz, &info.hash_value).map_err(|e| protocol(format!("fund bill of {day}: {e}")))?;
        Ok(StatementFile { file_name: format!("wechat-{}-{day}-fundflow-BASIC.csv", self.merchant.signing_mchid()), bytes: csv })
    }

    /// A callback signed under a platform certificate serial not held yet (the first one after a
    /// start, or a rotated certificate): download the list first, so it verifies now.
    async fn prepare_callback(&self, req: &CallbackRequest) {
        if let Some(serial) = req.header(v3::H_SERIAL) {
            self.client.fetch_certificate(serial).await;
        }
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        self.callback(req)
    }

    fn callback_reply(&self, stored: bool) -> CallbackReply {
        if stored {
            CallbackReply { status: 204, content_type: "application/json", body: Vec::new() }
        } else {
            CallbackReply { status: 500, content_type: "application/json", body: br#"{"code":"FAIL","message":"not stored; please send again"}"#.to_vec() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_state_mapping_table() {
        assert_eq!(map_trade_state("SUCCESS", None), TradeState::Paid);
        assert_eq!(map_trade_state("REFUND", None), TradeState::Refunded);
        assert_eq!(map_trade_state("NOTPAY", None), TradeState::Waiting);
        assert_eq!(map_trade_state("USERPAYING", None), TradeState::Waiting);
        assert_eq!(map_trade_state("CLOSED", None), TradeState::Closed);
        assert_eq!(map_trade_state("REVOKED", None), TradeState::Closed);
        assert_eq!(map_trade_state("PAYERROR", Some("银行卡冻结")), TradeState::Failed { code: "PAYERROR".into(), message: "银行卡冻结".into() });
        assert!(matches!(map_trade_state("PAYERROR", None), TradeState::Failed { message, .. } if message == "payment failed"));
        for odd in ["ACCEPT", "success", ""] {
            assert_eq!(map_trade_state(odd, None), TradeState::Unknown { raw: odd.into() });
        }
    }

    #[test]
    fn refund_status_mapping_table() {
        assert_eq!(map_refund_status("SUCCESS"), RefundState::Success);
        assert_eq!(map_refund_status("PROCESSING"), RefundState::Processing);
        assert_eq!(map_refund_status("ABNORMAL"), RefundState::Processing);
        assert!(matches!(map_refund_status("CLOSED"), RefundState::Failed { code, .. } if code == "CLOSED"));
        assert_eq!(map_refund_status("SOMETHING_NEW"), RefundState::Processing);
    }

    #[test]
    fn time_expire_is_rfc3339_in_china_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:30:05Z").unwrap().with_timezone(&Utc);
        assert_eq!(time_expire(t), "2026-11-25T18:30:05+08:00");
    }

    #[test]
    fn query_reply_maps_amount_time_and_ids() {
        let t: wire::Transaction = serde_json::from_str(
            r#"{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"P1","transaction_id":"4200000001","trade_type":"NATIVE",
                "trade_state":"SUCCESS","trade_state_desc":"支付成功","success_time":"2026-11-25T18:30:05+08:00","amount":{"total":1230,"payer_total":1230,"currency":"CNY","payer_currency":"CNY"},"new_field":1}"#,
        )
        .unwrap();
        let s = trade_status(&t).unwrap();
        assert_eq!(s.state, TradeState::Paid);
        assert_eq!(s.amount.unwrap().fen(), 1230);
        assert_eq!(s.channel_trade_no.as_deref(), Some("4200000001"));
        assert_eq!(s.paid_at.unwrap().to_rfc3339(), "2026-11-25T10:30:05+00:00");
        let m = Merchant::Direct { mchid: "1230000109".into(), appid: "wxd678efh567hg6787".into() };
        assert!(m.check_transaction(&t).is_ok());
        let other = Merchant::Direct { mchid: "1230000110".into(), appid: "wxd678efh567hg6787".into() };
        assert!(other.check_transaction(&t).unwrap_err().contains("mchid"));
    }
}
