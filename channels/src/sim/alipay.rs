//! The simulated Alipay gateway (protocols.md §1), nested at `/alipay`:
//! `POST /alipay/gateway.do` (form, or parameters in the query string) and
//! `GET /alipay/bill/{app_id}/{yyyyMMdd}/{file}` (bill downloads).
//!
//! * Requests are checked like Alipay does: `app_id` must look like an app id (16 digits starting
//!   `20`, else `40002 isv.invalid-app-id`), `sign_type=RSA2`, the RSA2 signature verifies with
//!   the merchant public key (else `40002 isv.invalid-signature`, unsigned, with the gateway's
//!   canonical string in `sub_msg` as the real gateway does), `timestamp` within 10 minutes of
//!   Beijing time. Certificate mode: `app_cert_sn`/`alipay_root_cert_sn` must match the demo
//!   certificates in `alipay/` of the key folder, and replies then carry `alipay_cert_sn`.
//! * Replies are `{"<method>_response":{…},"sign":…}` signed with the gateway key over the raw
//!   object text, with `/` escaped as `\/` like Alipay's JSON.
//! * The seller (PID) of an app is `2088` + the app id's last 12 digits.
//! * `alipay.trade.pay` behaves by payer (`Payer::from_auth_code`): pay → `10000`; password →
//!   `10003`, paid after the delay; password-never → `10003` for good; decline → `40004
//!   ACQ.BUYER_BALANCE_NOT_ENOUGH`; system error → `20000` although paid; stall → paid, answered
//!   after the stall.
//! * A precreated QR is unknown to query/close until scanned (`ACQ.TRADE_NOT_EXIST`); closing it
//!   still stops it being paid.
//! * Faults (`/_sim/fault`, channel `alipay`): ops `precreate`, `pay`, `query`, `close`, `cancel`,
//!   `refund`, `refund_query`, `bill`. `timeout` stalls then processes; `error` answers `20000`
//!   without processing (`cancel`: `40004 ACQ.SYSTEM_ERROR` with `retry_flag=Y`).
//! * Notifications are form posts signed RSA2 without `sign_type`, sent on payment and refunds.
//! * The bill-URL query returns a URL on this simulator (valid 30 s) serving the day's bill ZIP:
//!   `bill_type=trade` (业务明细) or `signcustomer` (账务明细, `funds.rs`; only for days that are
//!   over, like Alipay's).

mod bill;
mod funds;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, Utc};
use paydesk_core::Money;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::{Callback, FaultKind, Payer, SimRefund, SimState, SimStatus, Trade};
use crate::alipay::map::{beijing_time, format_beijing};
use crate::alipay::sign::{cert_public_key, cert_sn, request_content, response_key, root_cert_sn};
use crate::alipay::{notify::parse_form, wire};

const CH: &str = "alipay";
const BUYER: &str = "tes***@sandbox.com";
const BUYER_ID: &str = "2088102177846880";

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/gateway.do", post(gateway).get(gateway)).route("/bill/{app_id}/{date}/{file}", get(download))
}

/// The seller (PID) the simulator gives an app.
pub fn pid_of(app_id: &str) -> String {
    format!("2088{}", &app_id[app_id.len().saturating_sub(12)..])
}

fn app_id_ok(app_id: &str) -> bool {
    app_id.len() == 16 && app_id.starts_with("20") && app_id.bytes().all(|b| b.is_ascii_digit())
}

/// A reply being built: the method's key, whether to answer in certificate mode.
struct Out<'a> {
    st: &'a SimState,
    key: String,
    cert_sn: Option<String>,
}

impl Out<'_> {
    /// Alipay's JSON text: `/` escaped as `\/`.
    fn text(v: &Value) -> String {
        serde_json::to_string(v).unwrap_or_default().replace('/', "\\/")
    }

    fn signed(&self, content: Value) -> Response {
        let text = Self::text(&content);
        let sign = self.st.cfg.keys.gateway.sign_b64(text.as_bytes());
        let cert = self.cert_sn.as_ref().map(|sn| format!(",\"alipay_cert_sn\":\"{sn}\"")).unwrap_or_default();
        json_response(format!("{{\"{}\":{text},\"sign\":\"{sign}\"{cert}}}", self.key))
    }

    fn ok(&self, mut fields: Value) -> Response {
        if let Some(m) = fields.as_object_mut() {
            m.insert("code".into(), json!("10000"));
            m.insert("msg".into(), json!("Success"));
        }
        self.signed(fields)
    }

    fn fail(&self, code: &str, sub_code: &str, sub_msg: &str) -> Response {
        self.signed(json!({"code": code, "msg": msg_of(code), "sub_code": sub_code, "sub_msg": sub_msg}))
    }

    fn biz(&self, sub_code: &str, sub_msg: &str) -> Response {
        self.fail("40004", sub_code, sub_msg)
    }
}

fn msg_of(code: &str) -> &'static str {
    match code {
        "20000" => "Service Currently Unavailable",
        "40001" => "Missing Required Arguments",
        "40002" => "Invalid Arguments",
        _ => "Business Failed",
    }
}

fn json_response(body: String) -> Response {
    (StatusCode::OK, [("content-type", "application/json;charset=utf-8")], body).into_response()
}

/// A gateway-level refusal, unsigned like Alipay's.
fn unsigned(key: &str, code: &str, sub_code: &str, sub_msg: &str) -> Response {
    let content = json!({"code": code, "msg": msg_of(code), "sub_code": sub_code, "sub_msg": sub_msg});
    json_response(format!("{{\"{key}\":{}}}", Out::text(&content)))
}

/// The simulator's certificate-mode material: (app SN, root SN, Alipay SN, app key).
fn certs(st: &SimState) -> Option<(String, String, String, crate::sign::RsaVerifier)> {
    let app = st.cfg.keys.read("alipay/appCertPublicKey.crt").ok()?;
    let root = st.cfg.keys.read("alipay/alipayRootCert.crt").ok()?;
    let alipay = st.cfg.keys.read("alipay/alipayCertPublicKey_RSA2.crt").ok()?;
    Some((cert_sn(app.as_bytes()).ok()?, root_cert_sn(root.as_bytes()).ok()?, cert_sn(alipay.as_bytes()).ok()?, cert_public_key(app.as_bytes()).ok()?))
}

async fn gateway(State(st): State<Arc<SimState>>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    let mut params = match parse_form(uri.query().unwrap_or("").as_bytes(), None) {
        Ok(p) => p,
        Err(e) => return unsigned("error_response", "40002", "isv.invalid-parameter", &e),
    };
    match parse_form(&body, headers.get("content-type").and_then(|v| v.to_str().ok())) {
        Ok(p) => params.extend(p),
        Err(e) => return unsigned("error_response", "40002", "isv.invalid-parameter", &e),
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let method = get("method");
    if method.is_empty() {
        return unsigned("error_response", "40001", "isv.missing-method", "缺少方法名参数");
    }
    let key = response_key(&method);
    let app_id = get("app_id");
    if !app_id_ok(&app_id) {
        return unsigned("error_response", "40002", "isv.invalid-app-id", "无效的AppID参数");
    }
    if get("sign_type") != "RSA2" {
        return unsigned(&key, "40002", "isv.invalid-signature-type", "无效的签名类型");
    }
    let mut verify_key = st.cfg.keys.merchant.clone();
    let mut cert_sn_out = None;
    if !get("app_cert_sn").is_empty() {
        let Some((app_sn, root_sn, alipay_sn, app_key)) = certs(&st) else {
            return unsigned(&key, "40002", "isv.invalid-app-cert-sn", "simulator has no demo certificates");
        };
        if get("app_cert_sn") != app_sn {
            return unsigned(&key, "40002", "isv.invalid-app-cert-sn", "应用公钥证书序列号不正确");
        }
        if get("alipay_root_cert_sn") != root_sn {
            return unsigned(&key, "40002", "isv.invalid-alipay-root-cert-sn", "支付宝根证书序列号不正确");
        }
        verify_key = app_key;
        cert_sn_out = Some(alipay_sn);
    }
    let content = request_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !verify_key.verify_b64(content.as_bytes(), &get("sign")) {
        return unsigned(&key, "40002", "isv.invalid-signature", &format!("验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}"));
    }
    let skew = beijing_time(Some(&get("timestamp"))).map(|t| (Utc::now() - t).num_seconds().abs());
    if skew.is_none_or(|s| s > 600) {
        return unsigned(&key, "40002", "isv.invalid-timestamp", "非法的时间戳参数");
    }
    let out = Out { st: &st, key, cert_sn: cert_sn_out };
    let op = match method.as_str() {
        wire::PRECREATE => "precreate",
        wire::PAY => "pay",
        wire::QUERY => "query",
        wire::CLOSE => "close",
        wire::CANCEL => "cancel",
        wire::REFUND => "refund",
        wire::REFUND_QUERY => "refund_query",
        wire::BILL_URL => "bill",
        _ => return out.fail("40004", "isv.invalid-method", "不存在的方法名"),
    };
    match st.take_fault(CH, op) {
        Some(FaultKind::Timeout) => tokio::time::sleep(st.cfg.stall).await,
        Some(FaultKind::Error) if op == "cancel" => {
            return out.signed(json!({"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "系统错误", "retry_flag": "Y"}))
        }
        Some(FaultKind::Error) => return out.fail("20000", "isp.unknow-error", "系统繁忙"),
        None => {}
    }
    let pid = pid_of(&app_id);
    let biz = get("biz_content");
    let caller = Caller { app_id: app_id.clone(), pid: pid.clone(), notify_url: Some(get("notify_url")).filter(|u| !u.is_empty()) };
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    match op {
        "precreate" => with(&out, &biz, |r: wire::Precreate| precreate(&out, &caller, r)),
        "pay" => match serde_json::from_str::<wire::Pay>(&biz) {
            Ok(r) => pay(&out, &st, &caller, r).await,
            Err(e) => out.fail("40002", "isv.invalid-parameter", &format!("biz_content: {e}")),
        },
        "query" => with(&out, &biz, |r: wire::ByOrder| query(&out, &pid, &r.out_trade_no)),
        "close" => with(&out, &biz, |r: wire::ByOrder| close(&out, &pid, &r.out_trade_no)),
        "cancel" => with(&out, &biz, |r: wire::ByOrder| cancel(&out, &pid, &r.out_trade_no)),
        "refund" => with(&out, &biz, |r: wire::Refund| refund(&out, &st, &pid, r)),
        "refund_query" => with(&out, &biz, |r: wire::RefundQuery| refund_query(&out, &pid, r)),
        _ => with(&out, &biz, |r: wire::BillUrl| bill_url(&out, &app_id, &host, r)),
    }
}

fn with<T: DeserializeOwned>(out: &Out<'_>, biz: &str, f: impl FnOnce(T) -> Response) -> Response {
    match serde_json::from_str(biz) {
        Ok(r) => f(r),
        Err(e) => out.fail("40002", "isv.invalid-parameter", &format!("biz_content: {e}")),
    }
}

fn yuan(fen: i64) -> String {
    paydesk_core::money::format_signed_fen(fen)
}

/// A payable amount: strict yuan, 0.01 to 100000000.00.
fn amount(s: &str) -> Option<i64> {
    Money::parse_yuan(s).ok().filter(|m| !m.is_zero()).map(Money::fen)
}

/// Who is calling: the app, its seller, and the order's notify URL.
struct Caller {
    app_id: String,
    pid: String,
    notify_url: Option<String>,
}

fn new_trade(st: &SimState, c: &Caller, order_no: String, amount: i64, subject: String, barcode: bool, payer: Payer) -> Trade {
    let id = st.next_id("");
    Trade {
        channel: CH,
        merchant: c.pid.clone(),
        app_id: c.app_id.clone(),
        order_no,
        // 28 digits like Alipay's: date + 220014 + sequence.
        trade_no: format!("{}220014{:014}", &id[..8], id[8..].parse::<u64>().unwrap_or(0)),
        amount,
        subject,
        status: SimStatus::Created,
        barcode,
        payer,
        notify_url: c.notify_url.clone(),
        created_at: Utc::now(),
        paid_at: None,
        buyer: BUYER.into(),
        refunds: Vec::new(),
    }
}

fn precreate(out: &Out<'_>, c: &Caller, r: wire::Precreate) -> Response {
    let Some(fen) = amount(&r.total_amount) else { return out.fail("40002", "isv.invalid-parameter", "total_amount 格式错误") };
    if r.out_trade_no.is_empty() || r.out_trade_no.len() > 64 {
        return out.fail("40002", "isv.invalid-parameter", "out_trade_no 格式错误");
    }
    let t = new_trade(out.st, c, r.out_trade_no.clone(), fen, r.subject, false, Payer::Pay);
    let t = match out.st.insert(t) {
        Ok(t) => t,
        Err(existing) if existing.status == SimStatus::Created && existing.amount == fen => *existing,
        Err(existing) if existing.status == SimStatus::Paid => return out.biz("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
        Err(_) => return out.biz("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
    };
    out.ok(json!({"out_trade_no": t.order_no, "qr_code": format!("https://qr.alipay.com/bax0{}", &t.trade_no[14..])}))
}

fn paid_fields(t: &Trade) -> Value {
    json!({
        "trade_no": t.trade_no, "out_trade_no": t.order_no, "buyer_logon_id": t.buyer, "buyer_user_id": BUYER_ID,
        "total_amount": yuan(t.amount), "receipt_amount": yuan(t.amount), "buyer_pay_amount": yuan(t.amount), "point_amount": "0.00", "invoice_amount": yuan(t.amount),
        "gmt_payment": t.paid_at.map(format_beijing), "fund_bill_list": [{"fund_channel": "ALIPAYACCOUNT", "amount": yuan(t.amount)}],
    })
}

async fn pay(out: &Out<'_>, st: &Arc<SimState>, c: &Caller, r: wire::Pay) -> Response {
    let code_ok = (16..=24).contains(&r.auth_code.len()) && r.auth_code.bytes().all(|b| b.is_ascii_digit()) && r.auth_code.get(..2).and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| (25..=30).contains(&p));
    if !code_ok {
        return out.biz("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款");
    }
    if r.scene != "bar_code" || r.product_code != "FACE_TO_FACE_PAYMENT" {
        return out.biz("ACQ.INVALID_PARAMETER", "scene 或 product_code 不正确");
    }
    let Some(fen) = amount(&r.total_amount) else { return out.fail("40002", "isv.invalid-parameter", "total_amount 格式错误") };
    let payer = Payer::from_auth_code(&r.auth_code);
    let t = new_trade(st, c, r.out_trade_no, fen, r.subject, true, payer).charged_by(payer);
    let t = match st.insert(t) {
        Ok(t) => t,
        Err(existing) if existing.status == SimStatus::Paid => return out.biz("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
        Err(_) => return out.biz("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"),
    };
    if t.status == SimStatus::Paid {
        st.spawn_payment_callback(&t);
    }
    match payer {
        Payer::Decline => out.biz("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
        Payer::SystemError => out.fail("20000", "isp.unknow-error", "系统繁忙"),
        Payer::Stall => {
            tokio::time::sleep(st.cfg.stall).await;
            out.ok(paid_fields(&t))
        }
        Payer::PasswordThenPay | Payer::PasswordNever => {
            if payer == Payer::PasswordThenPay {
                let (st2, m, o) = (st.clone(), t.merchant.clone(), t.order_no.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(st2.cfg.password_delay).await;
                    if let Some(t) = st2.get(CH, &m, &o).filter(|t| t.status == SimStatus::Paid) {
                        st2.spawn_payment_callback(&t);
                    }
                });
            }
            out.signed(json!({"code": "10003", "msg": "order success pay inprocess", "trade_no": t.trade_no, "out_trade_no": t.order_no, "buyer_logon_id": t.buyer, "total_amount": yuan(t.amount)}))
        }
        Payer::Pay => out.ok(paid_fields(&t)),
    }
}

/// The trade as Alipay reports it: `None` when it does not (yet) exist there.
fn visible(t: Option<Trade>) -> Option<Trade> {
    t.filter(|t| t.barcode || t.status != SimStatus::Created)
}

fn status_word(t: &Trade) -> &'static str {
    match t.status {
        SimStatus::Created | SimStatus::Waiting => "WAIT_BUYER_PAY",
        SimStatus::Paid if t.refunded() >= t.amount => "TRADE_CLOSED",
        SimStatus::Paid => "TRADE_SUCCESS",
        SimStatus::Closed | SimStatus::Failed | SimStatus::Reversed => "TRADE_CLOSED",
    }
}

fn query(out: &Out<'_>, pid: &str, order_no: &str) -> Response {
    let Some(t) = visible(out.st.get(CH, pid, order_no)) else { return out.biz("ACQ.TRADE_NOT_EXIST", "交易不存在") };
    let mut v = json!({"trade_no": t.trade_no, "out_trade_no": t.order_no, "buyer_logon_id": t.buyer, "trade_status": status_word(&t), "total_amount": yuan(t.amount), "buyer_user_id": BUYER_ID});
    if let (Some(p), Some(m)) = (t.paid_at, v.as_object_mut()) {
        m.insert("send_pay_date".into(), json!(format_beijing(p)));
        m.insert("receipt_amount".into(), json!(yuan(t.amount)));
    }
    out.ok(v)
}

fn close(out: &Out<'_>, pid: &str, order_no: &str) -> Response {
    let mut was = None;
    let t = out.st.update(CH, pid, order_no, |t| {
        was = Some(t.status);
        if matches!(t.status, SimStatus::Created | SimStatus::Waiting) {
            t.status = SimStatus::Closed;
        }
    });
    match (t, was) {
        // An unscanned QR: unknown to Alipay, but it can no longer be paid.
        (None, _) | (Some(_), Some(SimStatus::Created)) => out.biz("ACQ.TRADE_NOT_EXIST", "交易不存在"),
        (Some(t), Some(SimStatus::Waiting | SimStatus::Closed)) => out.ok(json!({"trade_no": t.trade_no, "out_trade_no": t.order_no})),
        (Some(_), _) => out.biz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"),
    }
}

fn cancel(out: &Out<'_>, pid: &str, order_no: &str) -> Response {
    let mut action = "close";
    let t = out.st.update(CH, pid, order_no, |t| match t.status {
        SimStatus::Paid => {
            t.status = SimStatus::Reversed;
            action = "refund";
        }
        SimStatus::Reversed => action = "refund",
        SimStatus::Created | SimStatus::Waiting => t.status = SimStatus::Closed,
        SimStatus::Closed | SimStatus::Failed => {}
    });
    match t {
        None => out.biz("ACQ.TRADE_NOT_EXIST", "交易不存在"),
        Some(t) => out.ok(json!({"trade_no": t.trade_no, "out_trade_no": t.order_no, "retry_flag": "N", "action": action})),
    }
}

fn refund(out: &Out<'_>, st: &Arc<SimState>, pid: &str, r: wire::Refund) -> Response {
    let Some(fen) = amount(&r.refund_amount) else { return out.fail("40002", "isv.invalid-parameter", "refund_amount 格式错误") };
    let reply = |t: &Trade, change: &str| json!({"trade_no": t.trade_no, "out_trade_no": t.order_no, "buyer_logon_id": t.buyer, "fund_change": change, "refund_fee": yuan(t.refunded()), "gmt_refund_pay": format_beijing(Utc::now())});
    if let Some((t, rf)) = st.find_refund(CH, pid, &r.out_request_no).filter(|(t, _)| t.order_no == r.out_trade_no) {
        // The same refund again: nothing moves now.
        return if rf.amount == fen { out.ok(reply(&t, "N")) } else { out.biz("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致") };
    }
    let mut problem = None;
    let t = st.update(CH, pid, &r.out_trade_no, |t| {
        if t.status != SimStatus::Paid || t.refunded() >= t.amount {
            problem = Some(("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"));
        } else if t.refunded() + fen > t.amount {
            problem = Some(("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"));
        } else {
            t.refunds.push(SimRefund { refund_no: r.out_request_no.clone(), refund_id: String::new(), amount: fen, reason: r.refund_reason.clone(), at: Utc::now() });
        }
    });
    match (t, problem) {
        (None, _) => out.biz("ACQ.TRADE_NOT_EXIST", "交易不存在"),
        (Some(_), Some((code, msg))) => out.biz(code, msg),
        (Some(t), None) => {
            st.spawn_payment_callback(&t);
            out.ok(reply(&t, "Y"))
        }
    }
}

fn refund_query(out: &Out<'_>, pid: &str, r: wire::RefundQuery) -> Response {
    let Some(t) = visible(out.st.get(CH, pid, &r.out_trade_no)) else { return out.biz("ACQ.TRADE_NOT_EXIST", "交易不存在") };
    match t.refunds.iter().find(|x| x.refund_no == r.out_request_no) {
        // No such refund: success without refund data.
        None => out.ok(json!({"trade_no": t.trade_no, "out_trade_no": t.order_no})),
        Some(x) => out.ok(json!({
            "trade_no": t.trade_no, "out_trade_no": t.order_no, "out_request_no": x.refund_no, "total_amount": yuan(t.amount),
            "refund_amount": yuan(x.amount), "refund_status": "REFUND_SUCCESS", "gmt_refund_pay": format_beijing(x.at),
        })),
    }
}

fn bill_url(out: &Out<'_>, app_id: &str, host: &str, r: wire::BillUrl) -> Response {
    if r.bill_type != "trade" && r.bill_type != "signcustomer" {
        return out.biz("isp.bill_type_not_support", "账单类型不支持");
    }
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    // The account ledger of a day exists once the day is over.
    let over = |d: NaiveDate| if r.bill_type == "signcustomer" { d < today } else { d <= today };
    let Some(day) = NaiveDate::parse_from_str(&r.bill_date, "%Y-%m-%d").ok().filter(|d| over(*d)) else {
        return out.biz("isp.bill_not_exist", "账单不存在");
    };
    let day = day.format("%Y%m%d");
    let name = format!("{}0156_{day}.csv.zip", pid_of(app_id));
    let expires = Utc::now().timestamp() + 30;
    let kind = r.bill_type;
    out.ok(json!({"bill_download_url": format!("http://{host}/alipay/bill/{app_id}/{day}/{name}?bizType={kind}&downloadFileName={name}&expires={expires}")}))
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    #[serde(default)]
    expires: i64,
    #[serde(default, rename = "bizType")]
    biz_type: Option<String>,
}

async fn download(State(st): State<Arc<SimState>>, Path((app_id, date, _file)): Path<(String, String, String)>, Query(q): Query<DownloadQuery>) -> Response {
    if Utc::now().timestamp() > q.expires {
        return (StatusCode::GONE, "下载链接已过期").into_response();
    }
    let Ok(day) = NaiveDate::parse_from_str(&date, "%Y%m%d") else { return (StatusCode::NOT_FOUND, "no such bill").into_response() };
    let trades: Vec<Trade> = st.trades(Some(CH)).into_iter().filter(|t| t.app_id == app_id).collect();
    let zip = match q.biz_type.as_deref() {
        None | Some("trade") => bill::zip(&trades, &pid_of(&app_id), day),
        Some("signcustomer") => funds::zip(&trades, &pid_of(&app_id), day, Utc::now()),
        Some(_) => return (StatusCode::NOT_FOUND, "no such bill").into_response(),
    };
    (StatusCode::OK, [("content-type", "application/octet-stream")], zip).into_response()
}

/// The signed trade notification (form post) of a trade: its status, and its refunds if any.
pub(crate) fn payment_callback(st: &SimState, t: &Trade, url: String) -> Callback {
    let now = Utc::now();
    let mut f: Vec<(&str, String)> = vec![
        ("notify_type", "trade_status_sync".into()),
        ("notify_id", format!("{}{}", now.format("%Y%m%d"), crate::sign::nonce(24))),
        ("notify_time", format_beijing(now)),
        ("charset", "utf-8".into()),
        ("version", "1.0".into()),
        ("app_id", t.app_id.clone()),
        ("auth_app_id", t.app_id.clone()),
        ("seller_id", t.merchant.clone()),
        ("out_trade_no", t.order_no.clone()),
        ("trade_no", t.trade_no.clone()),
        ("trade_status", status_word(t).into()),
        ("total_amount", yuan(t.amount)),
        ("subject", t.subject.clone()),
        ("gmt_create", format_beijing(t.created_at)),
        ("buyer_id", BUYER_ID.into()),
        ("buyer_logon_id", t.buyer.clone()),
    ];
    if let Some(p) = t.paid_at {
        f.push(("gmt_payment", format_beijing(p)));
        for k in ["receipt_amount", "buyer_pay_amount", "invoice_amount"] {
            f.push((k, yuan(t.amount)));
        }
        f.push(("point_amount", "0.00".into()));
        f.push(("fund_bill_list", format!("[{{\"amount\":\"{}\",\"fundChannel\":\"ALIPAYACCOUNT\"}}]", yuan(t.amount))));
    }
    if let Some(last) = t.refunds.last() {
        f.push(("refund_fee", yuan(t.refunded())));
        f.push(("out_biz_no", last.refund_no.clone()));
        f.push(("gmt_refund", format!("{}.000", format_beijing(last.at))));
    }
    let content = crate::alipay::sign::notify_content(f.iter().map(|(k, v)| (*k, v.as_str())));
    f.push(("sign_type", "RSA2".into()));
    f.push(("sign", st.cfg.keys.gateway.sign_b64(content.as_bytes())));
    let body = serde_urlencoded::to_string(&f).unwrap_or_default().into_bytes();
    Callback { url, headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())], body, get: false }
}
