//! A simulated 易支付 (epay, 彩虹易支付 v1 protocol) gateway at `/epay`, for the template channel:
//!
//! * `POST /epay/mapi.php` (form): `pid`, `type` (`alipay`/`wxpay`), `out_trade_no`, `notify_url`,
//!   `name`, `money` (yuan), `clientip`, `device`, `sign`, `sign_type=MD5` → JSON
//!   `{"code":1,"trade_no":…,"qrcode":…}` (`code` ≠ 1 with `msg` on error). The signature is MD5 of
//!   the sorted non-empty fields except `sign`/`sign_type`, joined `k=v&…`, with the key appended.
//! * `api.php?act=order` with `pid`, `key`, `out_trade_no` → the order with `status` 1 (paid) or
//!   0; `{"code":-1}` when unknown. The merchant key is sent as a parameter (that is the protocol),
//!   in the query string of a GET or — as Paydesk sends it, keeping the key out of URLs — the form
//!   body of a POST (PHP reads both).
//! * `POST /epay/api.php?act=refund` (form `pid`, `key`, `out_trade_no`, `money`) → `{"code":1}`.
//! * Notifications: a GET to `notify_url` with `pid`, `trade_no`, `out_trade_no`, `type`, `name`,
//!   `money`, `trade_status=TRADE_SUCCESS`, `sign`, `sign_type`; the merchant answers `success`.
//!
//! The merchant is `pid` 1001 with the key in `epay/key.txt` of the key folder. Faults (channel
//! `epay`): ops `create`, `query`, `refund`; `error` answers HTTP 502 without acting, `timeout` acts and
//! answers after the stall.

// Refusals are the HTTP response to send; boxing them would only add noise to a simulator.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use paydesk_core::Money;
use serde_json::json;

use super::{Callback, FaultKind, SimRefund, SimState, SimStatus, Trade};
use crate::alipay::notify::parse_form;

const CH: &str = "epay";
pub const PID: &str = "1001";

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/mapi.php", post(mapi)).route("/api.php", get(api).post(api_post))
}

fn key(st: &SimState) -> String {
    st.cfg.keys.read("epay/key.txt").map(|k| k.trim().to_string()).unwrap_or_default()
}

/// The epay MD5 signature of `fields` with `key`.
pub fn sign(fields: &[(String, String)], key: &str) -> String {
    let mut v: Vec<&(String, String)> = fields.iter().filter(|(k, v)| k != "sign" && k != "sign_type" && !v.is_empty()).collect();
    v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let s = v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    crate::sign::md5_hex(format!("{s}{key}").as_bytes())
}

fn err(msg: &str) -> Response {
    Json(json!({"code": -1, "msg": msg})).into_response()
}

/// An armed fault: `Err(502)` now, or `Ok(true)`: answer late, after acting.
fn fault(st: &SimState, op: &str) -> Result<bool, Response> {
    match st.take_fault(CH, op) {
        Some(FaultKind::Timeout) => Ok(true),
        Some(FaultKind::Error) => Err((StatusCode::BAD_GATEWAY, "502 Bad Gateway").into_response()),
        None => Ok(false),
    }
}

async fn late(st: &SimState, stall: bool, r: Response) -> Response {
    if stall {
        tokio::time::sleep(st.cfg.stall).await;
    }
    r
}

async fn mapi(State(st): State<Arc<SimState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(f) = parse_form(&body, headers.get("content-type").and_then(|v| v.to_str().ok())) else { return err("参数格式错误") };
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    if get("pid") != PID {
        return err("商户不存在");
    }
    if get("sign_type") != "MD5" || !crate::sign::ct_eq(sign(&f, &key(&st)).as_bytes(), get("sign").to_ascii_lowercase().as_bytes()) {
        return err("签名校验失败");
    }
    let stall = match fault(&st, "create") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(fen) = Money::parse_yuan(&get("money")).ok().filter(|m| !m.is_zero()).map(Money::fen) else { return err("金额不合法") };
    let kind = get("type");
    if !matches!(kind.as_str(), "alipay" | "wxpay") {
        return err("支付方式不支持");
    }
    let order_no = get("out_trade_no");
    if order_no.is_empty() || get("notify_url").is_empty() {
        return err("参数不完整");
    }
    let id = st.next_id("");
    let t = Trade {
        channel: CH,
        merchant: PID.into(),
        app_id: kind.clone(),
        order_no,
        trade_no: id.clone(),
        amount: fen,
        subject: get("name"),
        status: SimStatus::Created,
        barcode: false,
        payer: super::Payer::Pay,
        notify_url: Some(get("notify_url")),
        created_at: Utc::now(),
        paid_at: None,
        buyer: String::new(),
        refunds: Vec::new(),
    };
    let t = match st.insert(t) {
        Ok(t) => t,
        Err(e) if e.status == SimStatus::Created && e.amount == fen => *e,
        Err(_) => return err("订单号已存在"),
    };
    let qrcode = if kind == "wxpay" { format!("weixin://wxpay/bizpayurl?pr=epay{}", &t.trade_no[8..]) } else { format!("https://qr.alipay.com/epay{}", &t.trade_no[8..]) };
    late(&st, stall, Json(json!({"code": 1, "msg": "success", "trade_no": t.trade_no, "qrcode": qrcode})).into_response()).await
}

#[derive(serde::Deserialize)]
struct Act {
    #[serde(default)]
    act: String,
}

async fn api(State(st): State<Arc<SimState>>, Query(q): Query<Vec<(String, String)>>) -> Response {
    order(&st, &q).await
}

/// `act=order`: the order's state, for the fields of the query string or the POST body.
async fn order(st: &SimState, f: &[(String, String)]) -> Response {
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    if get("act") != "order" {
        return err("act 不支持");
    }
    if get("pid") != PID || get("key") != key(st) {
        return err("商户密钥错误");
    }
    let stall = match fault(st, "query") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(t) = st.get(CH, PID, &get("out_trade_no")) else { return err("订单号不存在") };
    let paid = matches!(t.status, SimStatus::Paid);
    let fmt = |d: chrono::DateTime<Utc>| d.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string();
    let r = Json(json!({
        "code": 1, "msg": "查询订单号成功！", "trade_no": t.trade_no, "out_trade_no": t.order_no, "type": t.app_id, "pid": PID,
        "addtime": fmt(t.created_at), "endtime": t.paid_at.map(fmt), "name": t.subject, "money": Money::from_fen(t.amount).map(|m| m.to_string()).unwrap_or_default(),
        "status": if paid { 1 } else { 0 },
    }))
    .into_response();
    late(st, stall, r).await
}

async fn api_post(State(st): State<Arc<SimState>>, Query(a): Query<Act>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(mut f) = parse_form(&body, headers.get("content-type").and_then(|v| v.to_str().ok())) else { return err("参数格式错误") };
    if a.act == "order" {
        // PHP reads the parameters from the request (`$_REQUEST`): the query's act, the body's key.
        f.push(("act".into(), a.act));
        return order(&st, &f).await;
    }
    if a.act != "refund" {
        return err("act 不支持");
    }
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    if get("pid") != PID || get("key") != key(&st) {
        return err("商户密钥错误");
    }
    let stall = match fault(&st, "refund") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(fen) = Money::parse_yuan(&get("money")).ok().filter(|m| !m.is_zero()).map(Money::fen) else { return err("退款金额不合法") };
    let mut problem = None;
    let n = st.next_id("RF");
    let t = st.update(CH, PID, &get("out_trade_no"), |t| {
        if t.status != SimStatus::Paid {
            problem = Some("订单未支付");
        } else if t.refunded() + fen > t.amount {
            problem = Some("退款金额超过可退金额");
        } else {
            t.refunds.push(SimRefund { refund_no: n.clone(), refund_id: n.clone(), amount: fen, reason: None, at: Utc::now() });
        }
    });
    let r = match (t, problem) {
        (None, _) => err("订单号不存在"),
        (Some(_), Some(p)) => err(p),
        (Some(_), None) => Json(json!({"code": 1, "msg": "退款成功"})).into_response(),
    };
    late(&st, stall, r).await
}

/// The signed GET notification of a paid trade.
pub(crate) fn payment_callback(st: &SimState, t: &Trade, url: String) -> Callback {
    let mut f: Vec<(String, String)> = vec![
        ("pid".into(), PID.into()),
        ("trade_no".into(), t.trade_no.clone()),
        ("out_trade_no".into(), t.order_no.clone()),
        ("type".into(), t.app_id.clone()),
        ("name".into(), t.subject.clone()),
        ("money".into(), Money::from_fen(t.amount).map(|m| m.to_string()).unwrap_or_default()),
        ("trade_status".into(), if t.status == SimStatus::Paid { "TRADE_SUCCESS".into() } else { "WAIT_BUYER_PAY".into() }),
        ("param".into(), String::new()),
    ];
    let sig = sign(&f, &key(st));
    f.push(("sign".into(), sig));
    f.push(("sign_type".into(), "MD5".into()));
    let query = serde_urlencoded::to_string(&f).unwrap_or_default();
    let sep = if url.contains('?') { '&' } else { '?' };
    Callback { url: format!("{url}{sep}{query}"), headers: vec![], body: Vec::new(), get: true }
}
