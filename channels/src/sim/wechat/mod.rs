//! The simulated WeChat Pay gateway (nested at `/wechat`), speaking the real protocols:
//!
//! * API v3 (`/v3/…`, `v3.rs`): every request's `Authorization` is verified with the merchant
//!   public key (and its `serial_no` must be the demo merchant certificate's); replies are signed
//!   with the demo platform certificate's key — or, when the request carries
//!   `Wechatpay-Serial: PUB_KEY_ID_…` (public-key mode), with the demo WeChat Pay public key. The
//!   simulator remembers each merchant's mode and signs its callbacks the same way.
//!   `GET /v3/certificates` serves the platform certificate AEAD-encrypted with the APIv3 key.
//! * Trade bills (`bill.rs`): WeChat's CSV format (BOM, backticks, 27 columns, summary), gzip,
//!   SHA1 `hash_value`; the fault `billdownload`/`error` serves a corrupted file. Fund bills
//!   (`funds.rs`, `/v3/bill/fundflowbill`): the basic account's 资金账单 in the same manner.
//! * v2 XML (`v2.rs`): `pay/micropay`, `pay/orderquery`, `secapi/pay/reverse` with HMAC-SHA256 or
//!   MD5; barcode payers behave by the payment code's last digit (see `sim`).
//! * Callbacks: `TRANSACTION.SUCCESS` when a QR is paid (`/_sim/scan`) and `REFUND.SUCCESS` when
//!   a refund settles (`REFUND_SETTLE` after it was accepted), encrypted and signed.
//!
//! Not simulated: TLS, so `secapi/pay/reverse` cannot see the client certificate (the channel's
//! mTLS client is built and checked at account load, not exercised here); order expiry by
//! `time_expire`; WeChat's own revocation of unpaid barcode orders; bill availability times.
//! Key material: `assets/demo/keys/wechat/` (see its README).

mod bill;
mod funds;
mod v2;
mod v3;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Router;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;

use super::{Callback, SimState, SimStatus, Trade};
use crate::sign::{RsaSigner, RsaVerifier};
use crate::wechat::certs::PlatformCert;
use crate::wechat::v2::V2Key;
use crate::wechat::v3::{self as wv3, ApiV3Key};
use crate::wechat::wire;

pub(crate) const CH: &str = "wechat";
/// How long after acceptance a simulated refund turns from PROCESSING to SUCCESS (and notifies).
pub const REFUND_SETTLE: Duration = Duration::from_millis(500);

/// The simulator's WeChat key material, from `<keys dir>/wechat/`.
pub struct WxKeys {
    pub apiv3: ApiV3Key,
    pub v2: V2Key,
    pub platform: RsaSigner,
    pub platform_cert_pem: String,
    pub platform_serial: String,
    pub pubkey: RsaSigner,
    pub pubkey_id: String,
    /// Serial of the demo merchant API certificate: the only `serial_no` accepted.
    pub merchant_serial: String,
    pub merchant: RsaVerifier,
}

impl std::fmt::Debug for WxKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WxKeys").field("platform_serial", &self.platform_serial).field("pubkey_id", &self.pubkey_id).finish_non_exhaustive()
    }
}

/// Loads (once per key directory) the simulator's WeChat material.
pub fn keys(st: &SimState) -> Result<Arc<WxKeys>, String> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<WxKeys>>>> = OnceLock::new();
    let dir = st.cfg.keys.dir.clone();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = cache.get(&dir) {
        return Ok(k.clone());
    }
    let read = |f: &str| st.cfg.keys.read(&format!("wechat/{f}"));
    let platform_cert_pem = read("platform_cert.pem")?;
    let platform_serial = PlatformCert::from_pem(&platform_cert_pem)?.serial;
    let merchant_serial = PlatformCert::from_pem(&read("apiclient_cert.pem")?)?.serial;
    let k = Arc::new(WxKeys {
        apiv3: ApiV3Key::new(&read("apiv3_key.txt")?).map_err(|e| format!("wechat/apiv3_key.txt: {e}"))?,
        v2: V2Key::new(&read("api_v2_key.txt")?).map_err(|e| format!("wechat/api_v2_key.txt: {e}"))?,
        platform: RsaSigner::from_pem(&read("platform_private.pem")?).map_err(|e| format!("wechat/platform_private.pem: {e}"))?,
        platform_cert_pem,
        platform_serial,
        pubkey: RsaSigner::from_pem(&read("pubkey_private.pem")?).map_err(|e| format!("wechat/pubkey_private.pem: {e}"))?,
        pubkey_id: read("pubkey_id.txt")?.trim().to_string(),
        merchant_serial,
        merchant: st.cfg.keys.merchant.clone(),
    });
    cache.insert(dir, k.clone());
    Ok(k)
}

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/v3/{*path}", any(v3::entry))
        .route("/pay/micropay", post(v2::micropay))
        .route("/pay/orderquery", post(v2::orderquery))
        .route("/secapi/pay/reverse", post(v2::reverse))
}

/// Signature headers for a reply or callback body, with the platform key or the public key.
pub fn sign_headers(k: &WxKeys, pubkey: bool, body: &[u8]) -> Vec<(String, String)> {
    let ts = Utc::now().timestamp().to_string();
    let nonce = crate::sign::nonce(32);
    let msg = wv3::response_message(&ts, &nonce, body);
    let (sig, serial) = if pubkey { (k.pubkey.sign_b64(&msg), k.pubkey_id.clone()) } else { (k.platform.sign_b64(&msg), k.platform_serial.clone()) };
    vec![
        (wv3::H_TIMESTAMP.into(), ts),
        (wv3::H_NONCE.into(), nonce),
        (wv3::H_SIGNATURE.into(), sig),
        (wv3::H_SERIAL.into(), serial),
        (wv3::H_SIGNATURE_TYPE.into(), wv3::AUTH_SCHEMA.into()),
        ("request-id".into(), format!("08{}", crate::sign::nonce(30))),
    ]
}

/// A signed v3 reply (JSON body, or none for 204).
pub(crate) fn signed_reply(k: &WxKeys, pubkey: bool, status: StatusCode, body: Vec<u8>) -> Response {
    let mut h = HeaderMap::new();
    for (name, v) in sign_headers(k, pubkey, &body) {
        if let (Ok(n), Ok(v)) = (axum::http::HeaderName::from_bytes(name.as_bytes()), v.parse()) {
            h.insert(n, v);
        }
    }
    if !body.is_empty() {
        h.insert("content-type", axum::http::HeaderValue::from_static("application/json"));
    }
    (status, h, body).into_response()
}

/// Whether this merchant's callbacks are signed with the public key (it last asked for it).
fn pubkey_mode(st: &SimState, mchid: &str) -> bool {
    st.ext_get(&format!("wechat/pubkey/{mchid}")).as_deref() == Some("1")
}

pub(crate) fn remember_mode(st: &SimState, mchid: &str, pubkey: bool) {
    st.ext_set(&format!("wechat/pubkey/{mchid}"), if pubkey { "1" } else { "0" });
}

/// `sp/sub` (partner) or `mchid` (direct) → (signing mchid, sub mchid).
pub(crate) fn split_merchant(m: &str) -> (&str, Option<&str>) {
    match m.split_once('/') {
        Some((sp, sub)) => (sp, Some(sub)),
        None => (m, None),
    }
}

/// A notify URL the simulator may call: loopback only (tests and the demo never leave 127.0.0.1);
/// `.invalid` placeholders and other hosts are not called.
pub(crate) fn deliverable(url: &str) -> Option<String> {
    paydesk_core::url::is_loopback_url(url).then(|| url.to_string())
}

pub(crate) fn cst(t: DateTime<Utc>) -> String {
    let off = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("fixed offset"));
    t.with_timezone(&off).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// `trade_state` and its description for a simulated trade.
pub(crate) fn trade_state(t: &Trade) -> (&'static str, &'static str) {
    match t.status {
        SimStatus::Created => ("NOTPAY", "订单未支付"),
        SimStatus::Waiting if t.barcode => ("USERPAYING", "需要用户输入支付密码"),
        SimStatus::Waiting => ("NOTPAY", "订单未支付"),
        SimStatus::Paid if t.refunds.is_empty() => ("SUCCESS", "支付成功"),
        SimStatus::Paid => ("REFUND", "转入退款"),
        SimStatus::Closed if t.barcode => ("REVOKED", "已撤销"),
        SimStatus::Closed => ("CLOSED", "已关闭"),
        SimStatus::Failed => ("PAYERROR", "支付失败，余额不足"),
        SimStatus::Reversed => ("REVOKED", "已撤销"),
    }
}

/// The trade as the v3 query and the payment callback describe it.
pub fn transaction(t: &Trade) -> wire::Transaction {
    let (state, desc) = trade_state(t);
    let (mchid, sub) = split_merchant(&t.merchant);
    let paid = t.paid_at.is_some();
    let mut tx = wire::Transaction {
        out_trade_no: t.order_no.clone(),
        transaction_id: paid.then(|| t.trade_no.clone()),
        trade_type: Some(if t.barcode { "MICROPAY" } else { "NATIVE" }.into()),
        trade_state: state.into(),
        trade_state_desc: Some(desc.into()),
        bank_type: paid.then(|| "OTHERS".to_string()),
        success_time: t.paid_at.map(cst),
        amount: Some(wire::TransactionAmount {
            total: Some(t.amount),
            payer_total: paid.then_some(t.amount),
            currency: Some("CNY".into()),
            payer_currency: Some("CNY".into()),
        }),
        ..Default::default()
    };
    match sub {
        None => {
            tx.appid = Some(t.app_id.clone());
            tx.mchid = Some(mchid.to_string());
        }
        Some(sub) => {
            tx.sp_appid = Some(t.app_id.clone());
            tx.sp_mchid = Some(mchid.to_string());
            tx.sub_mchid = Some(sub.to_string());
        }
    }
    tx
}

/// An encrypted, signed notification to `url` as WeChat sends it.
pub fn notification(k: &WxKeys, pubkey: bool, url: String, event_type: &str, original_type: &str, resource: &Value) -> Callback {
    let nonce = crate::sign::nonce(12);
    let ciphertext = k.apiv3.encrypt(&nonce, original_type, resource.to_string().as_bytes()).unwrap_or_default();
    let summary = if event_type == "TRANSACTION.SUCCESS" { "支付成功" } else { "退款状态变更" };
    let n = wire::Notification {
        id: format!("EV-{}", crate::sign::nonce(20)),
        create_time: cst(Utc::now()),
        resource_type: "encrypt-resource".into(),
        event_type: event_type.into(),
        summary: summary.into(),
        resource: wire::EncryptedResource {
            algorithm: "AEAD_AES_256_GCM".into(),
            ciphertext,
            associated_data: Some(original_type.into()),
            nonce,
            original_type: Some(original_type.into()),
        },
    };
    let body = serde_json::to_vec(&n).unwrap_or_default();
    let mut headers = sign_headers(k, pubkey, &body);
    headers.push(("content-type".into(), "application/json".into()));
    Callback { url, headers, body, get: false }
}

/// The `TRANSACTION.SUCCESS` callback of a paid trade (None while unpaid: WeChat only notifies
/// payments), signed in the merchant's mode.
pub(crate) fn payment_callback(st: &SimState, t: &Trade, url: String) -> Option<Callback> {
    if t.status != SimStatus::Paid {
        return None;
    }
    let k = keys(st).ok()?;
    let (mchid, _) = split_merchant(&t.merchant);
    let resource = serde_json::to_value(transaction(t)).ok()?;
    Some(notification(&k, pubkey_mode(st, mchid), url, "TRANSACTION.SUCCESS", "transaction", &resource))
}

/// The `REFUND.SUCCESS` callback of a refund, signed in the merchant's mode.
pub fn refund_callback(st: &SimState, t: &Trade, refund: &super::SimRefund, url: String) -> Option<Callback> {
    let k = keys(st).ok()?;
    let (mchid, sub) = split_merchant(&t.merchant);
    let mut r = serde_json::json!({
        "out_trade_no": t.order_no, "transaction_id": t.trade_no, "out_refund_no": refund.refund_no, "refund_id": refund.refund_id,
        "refund_status": "SUCCESS", "success_time": cst(refund.at + chrono::Duration::from_std(REFUND_SETTLE).unwrap_or_default()),
        "user_received_account": "支付用户零钱",
        "amount": {"total": t.amount, "refund": refund.amount, "payer_total": t.amount, "payer_refund": refund.amount}
    });
    match sub {
        None => r["mchid"] = Value::from(mchid),
        Some(sub) => {
            r["sp_mchid"] = Value::from(mchid);
            r["sub_mchid"] = Value::from(sub);
        }
    }
    Some(notification(&k, pubkey_mode(st, mchid), url, "REFUND.SUCCESS", "refund", &r))
}
