//! Simulated API v3: authentication of our requests, then native order, query, close, refund,
//! refund query and the certificate list (bills are in `bill.rs`). Faults are armed per
//! operation: `native`, `query`, `close`, `refund`, `refund_query`, `certificates`,
//! `tradebill`, `billdownload`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::super::{FaultKind, Payer, SimRefund, SimState, SimStatus, Trade};
use super::{cst, deliverable, keys, remember_mode, signed_reply, transaction, WxKeys, CH, REFUND_SETTLE};
use crate::wechat::certs::normalize_serial;
use crate::wechat::v3 as wv3;
use crate::wechat::wire;

/// One authenticated v3 request.
pub(super) struct Ctx {
    pub st: Arc<SimState>,
    pub k: Arc<WxKeys>,
    /// The merchant id of the `Authorization` header.
    pub mchid: String,
    /// Sign the reply with the WeChat Pay public key (the request asked for it).
    pub pubkey: bool,
    pub query: HashMap<String, String>,
    pub body: Bytes,
    pub uri: axum::http::Uri,
    pub headers: HeaderMap,
}

impl Ctx {
    pub(super) fn json<T: serde::Serialize>(&self, status: StatusCode, v: &T) -> Response {
        signed_reply(&self.k, self.pubkey, status, serde_json::to_vec(v).unwrap_or_default())
    }
    pub(super) fn fail(&self, status: StatusCode, code: &str, message: &str) -> Response {
        self.json(status, &json!({"code": code, "message": message}))
    }
    fn parse<T: DeserializeOwned>(&self) -> Result<T, Box<Response>> {
        serde_json::from_slice(&self.body).map_err(|e| Box::new(self.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", &format!("请求参数错误: {e}"))))
    }
    /// The simulator's trade key for this request: `mchid` or `sp_mchid/sub_mchid`, after checking
    /// that the merchant named in the request is the one that signed it.
    fn merchant(&self, named: Option<&str>, sub: Option<&str>) -> Result<String, Box<Response>> {
        match named {
            Some(m) if m == self.mchid => Ok(match sub {
                Some(s) if !s.is_empty() => format!("{m}/{s}"),
                _ => m.to_string(),
            }),
            _ => Err(Box::new(self.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "商户号与签名商户号不一致 (mchid does not match the Authorization)"))),
        }
    }
}

/// Plain (unsigned) 401, as for requests that cannot be attributed to a merchant.
fn unauthorized(k: &WxKeys, why: &str) -> Response {
    signed_reply(k, false, StatusCode::UNAUTHORIZED, serde_json::to_vec(&json!({"code": "SIGN_ERROR", "message": why})).unwrap_or_default())
}

pub(super) async fn entry(State(st): State<Arc<SimState>>, method: Method, OriginalUri(uri): OriginalUri, Path(path): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let k = match keys(&st) {
        Ok(k) => k,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let Some(auth) = wv3::parse_authorization(&h("authorization")) else {
        return unauthorized(&k, "Authorization 头缺失或格式错误 (missing or malformed Authorization)");
    };
    if normalize_serial(&auth.serial_no) != k.merchant_serial {
        return unauthorized(&k, "serial_no 不是商户API证书序列号 (not the merchant API certificate serial)");
    }
    let canonical = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let ts: i64 = auth.timestamp.parse().unwrap_or(0);
    if (Utc::now().timestamp() - ts).abs() >= wv3::MAX_SKEW_SECS {
        return unauthorized(&k, "timestamp 过期 (request timestamp too far from now)");
    }
    let msg = wv3::request_message(method.as_str(), &canonical, ts, &auth.nonce_str, &body);
    if !k.merchant.verify_b64(&msg, &auth.signature) {
        return unauthorized(&k, "签名错误 (signature does not verify with the merchant public key)");
    }
    let pubkey = h("wechatpay-serial") == k.pubkey_id;
    remember_mode(&st, &auth.mchid, pubkey);
    let params: HashMap<String, String> = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let cx = Ctx { st: st.clone(), k, mchid: auth.mchid, pubkey, query: params, body, uri: uri.clone(), headers: headers.clone() };
    let segs: Vec<&str> = path.split('/').collect();
    let op = match (method.as_str(), segs.as_slice()) {
        ("POST", ["pay", "transactions", "native"] | ["pay", "partner", "transactions", "native"]) => "native",
        ("GET", ["pay", "transactions", "out-trade-no", _] | ["pay", "partner", "transactions", "out-trade-no", _]) => "query",
        ("POST", ["pay", "transactions", "out-trade-no", _, "close"] | ["pay", "partner", "transactions", "out-trade-no", _, "close"]) => "close",
        ("POST", ["refund", "domestic", "refunds"]) => "refund",
        ("GET", ["refund", "domestic", "refunds", _]) => "refund_query",
        ("GET", ["certificates"]) => "certificates",
        ("GET", ["bill", "tradebill"]) => "tradebill",
        ("GET", ["bill", "fundflowbill"]) => "fundflowbill",
        ("GET", ["billdownload", "file"]) => "billdownload",
        _ => return cx.fail(StatusCode::NOT_FOUND, "NOT_FOUND", "无此接口 (no such API)"),
    };
    let fault = st.take_fault(CH, op);
    match fault {
        Some(FaultKind::Timeout) => tokio::time::sleep(st.cfg.stall).await,
        Some(FaultKind::Error) if op != "billdownload" => return cx.fail(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "系统繁忙，请稍后重试"),
        _ => {}
    }
    let partner = segs.get(1) == Some(&"partner");
    let no = |i: usize| segs.get(i).copied().unwrap_or_default().to_string();
    match op {
        "native" => native(&cx, partner),
        "query" => query(&cx, &no(if partner { 4 } else { 3 }), partner),
        "close" => close(&cx, &no(if partner { 4 } else { 3 }), partner),
        "refund" => refund(&cx),
        "refund_query" => refund_query(&cx, &no(3)),
        "certificates" => certificates(&cx),
        "tradebill" => super::bill::tradebill(&cx),
        "fundflowbill" => super::funds::fundflowbill(&cx),
        _ => super::bill::download(&cx, fault == Some(FaultKind::Error)),
    }
}

fn native(cx: &Ctx, partner: bool) -> Response {
    let r: wire::NativeRequest = match cx.parse() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let (merchant, appid) = if partner {
        (cx.merchant(r.sp_mchid.as_deref(), r.sub_mchid.as_deref()), r.sp_appid.clone())
    } else {
        (cx.merchant(r.mchid.as_deref(), None), r.appid.clone())
    };
    let merchant = match merchant {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    if partner && r.sub_mchid.as_deref().unwrap_or("").is_empty() {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "缺少参数 sub_mchid");
    }
    let Some(appid) = appid.filter(|a| !a.is_empty()) else { return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "缺少参数 appid") };
    if r.amount.total <= 0 || r.amount.currency != "CNY" {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "amount.total 须为正整数, currency 须为 CNY");
    }
    if !(6..=32).contains(&r.out_trade_no.len()) || r.description.is_empty() || r.description.chars().count() > 127 {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "out_trade_no 或 description 格式错误");
    }
    if paydesk_core::url::https_or_loopback(&r.notify_url).is_err() {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "notify_url 须为 https 地址");
    }
    if let Some(te) = &r.time_expire {
        if chrono::DateTime::parse_from_rfc3339(te).is_err() {
            return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "time_expire 格式错误 (RFC 3339)");
        }
    }
    let t = Trade {
        channel: CH,
        merchant,
        app_id: appid,
        order_no: r.out_trade_no.clone(),
        trade_no: cx.st.next_id("42000012"),
        amount: r.amount.total,
        subject: r.description.clone(),
        status: SimStatus::Created,
        barcode: false,
        payer: Payer::Pay,
        notify_url: deliverable(&r.notify_url),
        created_at: Utc::now(),
        paid_at: None,
        buyer: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        refunds: Vec::new(),
    };
    let code_url = |t: &Trade| format!("weixin://wxpay/bizpayurl?pr={}", &crate::sign::sha256_hex(t.trade_no.as_bytes())[..7]);
    match cx.st.insert(t) {
        Ok(t) => cx.json(StatusCode::OK, &wire::CodeUrl { code_url: code_url(&t) }),
        // The same order again (a retry): the same code_url while unpaid.
        Err(existing) if existing.amount == r.amount.total && !existing.barcode && existing.status == SimStatus::Created => {
            cx.json(StatusCode::OK, &wire::CodeUrl { code_url: code_url(&existing) })
        }
        Err(_) => cx.fail(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "商户订单号重复 (out_trade_no already used)"),
    }
}

fn query(cx: &Ctx, no: &str, partner: bool) -> Response {
    let merchant = if partner {
        cx.merchant(cx.query.get("sp_mchid").map(String::as_str), cx.query.get("sub_mchid").map(String::as_str))
    } else {
        cx.merchant(cx.query.get("mchid").map(String::as_str), None)
    };
    let merchant = match merchant {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    match cx.st.get(CH, &merchant, no) {
        Some(t) => cx.json(StatusCode::OK, &transaction(&t)),
        None => cx.fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
    }
}

fn close(cx: &Ctx, no: &str, partner: bool) -> Response {
    let r: wire::CloseRequest = match cx.parse() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let merchant = if partner { cx.merchant(r.sp_mchid.as_deref(), r.sub_mchid.as_deref()) } else { cx.merchant(r.mchid.as_deref(), None) };
    let merchant = match merchant {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    let mut refused = None;
    let t = cx.st.update(CH, &merchant, no, |t| match t.status {
        SimStatus::Created | SimStatus::Waiting => t.status = SimStatus::Closed,
        SimStatus::Closed => {}
        SimStatus::Paid | SimStatus::Reversed => refused = Some(("ORDERPAID", "订单已支付")),
        SimStatus::Failed => t.status = SimStatus::Closed,
    });
    match (t, refused) {
        (None, _) => cx.fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
        (Some(_), Some((code, msg))) => cx.fail(StatusCode::BAD_REQUEST, code, msg),
        (Some(_), None) => signed_reply(&cx.k, cx.pubkey, StatusCode::NO_CONTENT, Vec::new()),
    }
}

fn refund_status(r: &SimRefund) -> &'static str {
    if Utc::now() >= r.at + chrono::Duration::from_std(REFUND_SETTLE).unwrap_or_default() {
        "SUCCESS"
    } else {
        "PROCESSING"
    }
}

fn refund_json(t: &Trade, r: &SimRefund) -> wire::Refund {
    let status = refund_status(r);
    wire::Refund {
        refund_id: r.refund_id.clone(),
        out_refund_no: r.refund_no.clone(),
        transaction_id: Some(t.trade_no.clone()),
        out_trade_no: Some(t.order_no.clone()),
        channel: Some("ORIGINAL".into()),
        user_received_account: Some("支付用户零钱".into()),
        success_time: (status == "SUCCESS").then(|| cst(r.at + chrono::Duration::from_std(REFUND_SETTLE).unwrap_or_default())),
        create_time: Some(cst(r.at)),
        status: status.into(),
        amount: wire::RefundAmount { total: t.amount, refund: r.amount, payer_total: Some(t.amount), payer_refund: Some(r.amount), currency: Some("CNY".into()) },
    }
}

fn refund(cx: &Ctx) -> Response {
    let r: wire::RefundRequest = match cx.parse() {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let merchant = match cx.merchant(Some(&cx.mchid), r.sub_mchid.as_deref()) {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    let Some(order_no) = r.out_trade_no.clone() else { return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "缺少参数 out_trade_no") };
    if let Some((t, rf)) = cx.st.find_refund(CH, &merchant, &r.out_refund_no) {
        // The same out_refund_no again: the same refund (idempotent).
        return cx.json(StatusCode::OK, &refund_json(&t, &rf));
    }
    let mut problem = None;
    let refund_id = cx.st.next_id("503000010");
    let rf = SimRefund { refund_no: r.out_refund_no.clone(), refund_id, amount: r.amount.refund, reason: r.reason.clone(), at: Utc::now() };
    let t = cx.st.update(CH, &merchant, &order_no, |t| {
        if t.status != SimStatus::Paid {
            problem = Some((StatusCode::FORBIDDEN, "TRADE_STATE_ERROR", "订单状态不正确 (not paid)"));
        } else if r.amount.total != t.amount || r.amount.currency != "CNY" {
            problem = Some((StatusCode::BAD_REQUEST, "PARAM_ERROR", "订单金额不一致 (amount.total differs from the order)"));
        } else if r.amount.refund <= 0 || t.refunded() + r.amount.refund > t.amount {
            problem = Some((StatusCode::BAD_REQUEST, "INVALID_REQUEST", "申请退款金额超过订单可退金额"));
        } else {
            t.refunds.push(rf.clone());
        }
    });
    let t = match (t, problem) {
        (None, _) => return cx.fail(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在"),
        (Some(_), Some((status, code, msg))) => return cx.fail(status, code, msg),
        (Some(t), None) => t,
    };
    if let Some(url) = r.notify_url.as_deref().and_then(deliverable) {
        let st = cx.st.clone();
        let (t2, rf2) = (t.clone(), rf.clone());
        tokio::spawn(async move {
            tokio::time::sleep(REFUND_SETTLE).await;
            if let Some(cb) = super::refund_callback(&st, &t2, &rf2, url) {
                for wait in [0u64, 1, 2] {
                    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                    if (200..300).contains(&st.deliver(&t2.order_no, cb.clone()).await) {
                        break;
                    }
                }
            }
        });
    }
    cx.json(StatusCode::OK, &refund_json(&t, &rf))
}

fn refund_query(cx: &Ctx, refund_no: &str) -> Response {
    let merchant = match cx.merchant(Some(&cx.mchid), cx.query.get("sub_mchid").map(String::as_str)) {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    match cx.st.find_refund(CH, &merchant, refund_no) {
        Some((t, rf)) => cx.json(StatusCode::OK, &refund_json(&t, &rf)),
        None => cx.fail(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在"),
    }
}

/// The platform certificate, AEAD-encrypted with the APIv3 key (`associated_data=certificate`).
fn certificates(cx: &Ctx) -> Response {
    let nonce = crate::sign::nonce(12);
    let Ok(ciphertext) = cx.k.apiv3.encrypt(&nonce, "certificate", cx.k.platform_cert_pem.as_bytes()) else {
        return cx.fail(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "encryption failed");
    };
    let cert = crate::wechat::certs::PlatformCert::from_pem(&cx.k.platform_cert_pem).ok();
    let list = wire::Certificates {
        data: vec![wire::CertificateEntry {
            serial_no: cx.k.platform_serial.clone(),
            effective_time: cert.as_ref().map(|c| cst(c.not_before)).unwrap_or_default(),
            expire_time: cert.as_ref().map(|c| cst(c.not_after)).unwrap_or_default(),
            encrypt_certificate: wire::EncryptedResource {
                algorithm: "AEAD_AES_256_GCM".into(),
                ciphertext,
                associated_data: Some("certificate".into()),
                nonce,
                original_type: None,
            },
        }],
    };
    cx.json(StatusCode::OK, &list)
}
