//! The simulated UnionPay ACP 5.1.0 gateway (protocols.md §4), nested at `/unionpay`:
//! `POST /unionpay/gateway/api/backTransReq.do`, `POST /unionpay/gateway/api/queryTrans.do`, and
//! the file host `POST /unionpay/file/` (point `file_base_url` at `{sim}/unionpay/file`).
//!
//! * Requests are checked like ACP does: `version=5.1.0`, `signMethod=01`, `certId` must be the
//!   serial of the demo merchant certificate (`unionpay/merchant_sign_cert.pem` in the key folder)
//!   and the signature (SHA-256 hex, then RSA) must verify with the merchant public key — else an
//!   unsigned `respCode=11`; a consumption's `txnTime` must be within 10 minutes of Beijing time.
//! * Replies and notifications are signed with the gateway key and carry `signPubKeyCert`: the
//!   demo signing certificate (`unionpay/gateway_sign_cert.pem`, CRLF line ends like UnionPay's),
//!   which chains to `acp_sim_middle.cer` → `acp_sim_root.cer` and has a production-shaped CN.
//! * `01/06` barcode payers behave by `Payer::from_auth_code`; codes must be `62` + 17 digits.
//!   The sync reply is acceptance (`00`); declined → `01`; system error → `03` although paid;
//!   stall → paid, answered after the stall.
//! * A QR (`01/07`) is unknown to query (`34`) until scanned. Query finds transactions by
//!   `orderId` **and** the original `txnTime`.
//! * Revoke (`31`) needs a paid trade of the same day, the full amount, no refunds; refund (`04`)
//!   at most the remaining amount; both are identified by their own `orderId` (a repeat: `12`),
//!   queryable, and notified (`04`/`31`, echoing `reqReserved`). Reversal (`99`) undoes a payment
//!   by the original `orderId` + `txnTime`. After a revoke or reversal the original's query still
//!   shows its own success (`origRespCode=00`), as the separate transactions it is.
//! * Faults (`/_sim/fault`, channel `unionpay`): ops `apply_qr`, `barcode`, `query`, `cancel`,
//!   `refund`, `reversal`, `file`. `timeout` processes, then answers after the stall; `error` answers a signed
//!   `respCode=03` without processing.

// Refusals are the HTTP response to send; boxing them would only add noise to a simulator.
#![allow(clippy::result_large_err)]

mod bill;
mod txn;

pub(crate) use txn::file_settled;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use super::{Callback, FaultKind, SimState, SimStatus, Trade};
use crate::alipay::notify::parse_form;
use crate::unionpay::cert::Cert;
use crate::unionpay::wire::{self, get, Fields};
use crate::unionpay::{map, sign};

pub(super) const CH: &str = "unionpay";

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/gateway/api/backTransReq.do", post(back))
        .route("/gateway/api/queryTrans.do", post(query))
        .route("/file/", post(file))
        .route("/file", post(file))
}

/// The demo signing certificate as UnionPay sends it (CRLF line ends).
fn sign_cert(st: &SimState) -> String {
    if let Some(c) = st.ext_get("unionpay/sign_cert") {
        return c;
    }
    let pem = st.cfg.keys.read("unionpay/gateway_sign_cert.pem").unwrap_or_default();
    let crlf = pem.trim_end().lines().collect::<Vec<_>>().join("\r\n") + "\r\n";
    st.ext_set("unionpay/sign_cert", &crlf);
    crlf
}

/// The `certId` our requests must carry: the demo merchant certificate's serial.
fn merchant_cert_id(st: &SimState) -> Option<String> {
    if let Some(c) = st.ext_get("unionpay/merchant_cert_id") {
        return Some(c);
    }
    let pem = st.cfg.keys.read("unionpay/merchant_sign_cert.pem").ok()?;
    let id = Cert::parse(pem.as_bytes()).ok()?.serial_decimal();
    st.ext_set("unionpay/merchant_cert_id", &id);
    Some(id)
}

/// Signs `fields` as the gateway (adds `signPubKeyCert`, then `signature`).
pub fn signed_fields(st: &SimState, mut fields: Fields) -> Fields {
    fields.retain(|(k, v)| !v.is_empty() && k != sign::SIGNATURE);
    fields.push(("signPubKeyCert".into(), sign_cert(st)));
    let sig = sign::sign(&st.cfg.keys.gateway, wire::pairs(&fields));
    fields.push((sign::SIGNATURE.into(), sig));
    fields
}

/// A reply body: `k=v&k=v`, values raw (not URL-encoded), as ACP answers.
fn reply_text(fields: &Fields) -> String {
    fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn text_response(body: String) -> Response {
    (StatusCode::OK, [("content-type", "text/plain;charset=UTF-8")], body).into_response()
}

/// A signed reply echoing the request's identifying fields.
pub(super) fn reply(st: &SimState, req: &Fields, code: &str, msg: &str, extra: Vec<(&str, String)>) -> Response {
    let mut f: Fields = Vec::new();
    for k in ["version", "encoding", "signMethod", "txnType", "txnSubType", "bizType", "accessType", "merId", "orderId", "txnTime", "txnAmt", "currencyCode", "reqReserved"] {
        if let Some(v) = get(req, k) {
            f.push((k.into(), v.into()));
        }
    }
    f.push(("respCode".into(), code.into()));
    f.push(("respMsg".into(), msg.into()));
    for (k, v) in extra {
        f.retain(|(e, _)| e != k);
        f.push((k.into(), v));
    }
    text_response(reply_text(&signed_fields(st, f)))
}

/// An unsigned refusal (UnionPay does not sign answers to requests it could not authenticate).
fn unsigned(code: &str, msg: &str) -> Response {
    text_response(format!("respCode={code}&respMsg={msg}"))
}

/// Parses and authenticates a request; `Err` is the response to send.
fn authenticate(st: &SimState, headers: &HeaderMap, body: &[u8]) -> Result<(Fields, wire::Txn), Response> {
    let f = parse_form(body, headers.get("content-type").and_then(|v| v.to_str().ok())).map_err(|e| unsigned("10", &format!("报文格式错误: {e}")))?;
    if get(&f, "version") != Some(wire::VERSION) || get(&f, "signMethod") != Some(wire::SIGN_METHOD) {
        return Err(unsigned("10", "报文格式错误: version/signMethod"));
    }
    if get(&f, "certId").is_none() || get(&f, "certId").map(str::to_string) != merchant_cert_id(st) {
        return Err(unsigned("11", "验证签名失败: certId 不正确"));
    }
    if !sign::verify(&st.cfg.keys.merchant, wire::pairs(&f)) {
        return Err(unsigned("11", "验证签名失败"));
    }
    let txn = wire::txn_of(get(&f, "txnType").unwrap_or(""), get(&f, "txnSubType").unwrap_or("")).ok_or_else(|| unsigned("10", "报文格式错误: txnType"))?;
    Ok((f, txn))
}

/// An armed fault: `Err(response)` when the call must fail now without acting; `Ok(true)` when
/// the answer must come late (after the change is made, so a client that gives up still leaves
/// it made — as a real gateway would).
fn fault(st: &SimState, f: &Fields, txn: wire::Txn) -> Result<bool, Response> {
    match st.take_fault(CH, txn.name) {
        Some(FaultKind::Timeout) => Ok(true),
        Some(FaultKind::Error) => Err(reply(st, f, "03", "交易通讯超时，请发起查询交易", vec![])),
        None => Ok(false),
    }
}

async fn late(st: &SimState, stall: bool, r: Response) -> Response {
    if stall {
        tokio::time::sleep(st.cfg.stall).await;
    }
    r
}

async fn back(State(st): State<Arc<SimState>>, headers: HeaderMap, body: Bytes) -> Response {
    let (f, t) = match authenticate(&st, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let stall = match fault(&st, &f, t) {
        Ok(stall) => stall,
        Err(r) => return r,
    };
    let r = match t {
        wire::APPLY_QR => txn::apply_qr(&st, &f),
        wire::BARCODE => txn::barcode(&st, &f).await,
        wire::CANCEL | wire::REFUND => txn::refund_or_revoke(&st, &f, t),
        wire::REVERSAL => txn::reversal(&st, &f),
        _ => reply(&st, &f, "10", "报文格式错误: 交易类型不支持", vec![]),
    };
    late(&st, stall, r).await
}

async fn query(State(st): State<Arc<SimState>>, headers: HeaderMap, body: Bytes) -> Response {
    let (f, t) = match authenticate(&st, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if t != wire::QUERY {
        return reply(&st, &f, "10", "报文格式错误: 交易类型不支持", vec![]);
    }
    let stall = match fault(&st, &f, t) {
        Ok(stall) => stall,
        Err(r) => return r,
    };
    late(&st, stall, txn::query(&st, &f)).await
}

async fn file(State(st): State<Arc<SimState>>, headers: HeaderMap, body: Bytes) -> Response {
    let (f, t) = match authenticate(&st, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if t != wire::FILE {
        return reply(&st, &f, "10", "报文格式错误: 交易类型不支持", vec![]);
    }
    let stall = match fault(&st, &f, t) {
        Ok(stall) => stall,
        Err(r) => return r,
    };
    late(&st, stall, bill::file_reply(&st, &f)).await
}

/// The signed payment notification of a trade (form post to its `backUrl`).
pub(crate) fn payment_callback(st: &SimState, t: &Trade, url: String) -> Option<Callback> {
    if !matches!(t.status, SimStatus::Paid | SimStatus::Reversed) {
        return None;
    }
    let txn_time = st.ext_get(&txn::time_key(&t.merchant, &t.order_no)).unwrap_or_default();
    let sub = if t.barcode { wire::BARCODE.txn_sub_type } else { wire::APPLY_QR.txn_sub_type };
    let fields: Fields = vec![
        ("version".into(), wire::VERSION.into()),
        ("encoding".into(), wire::ENCODING.into()),
        ("signMethod".into(), wire::SIGN_METHOD.into()),
        ("txnType".into(), "01".into()),
        ("txnSubType".into(), sub.into()),
        ("bizType".into(), wire::BIZ_TYPE.into()),
        ("accessType".into(), wire::ACCESS_TYPE.into()),
        ("merId".into(), t.merchant.clone()),
        ("orderId".into(), t.order_no.clone()),
        ("txnTime".into(), txn_time),
        ("txnAmt".into(), t.amount.to_string()),
        ("currencyCode".into(), wire::CURRENCY_CNY.into()),
        ("queryId".into(), t.trade_no.clone()),
        ("respCode".into(), "00".into()),
        ("respMsg".into(), "成功[0000000]".into()),
        ("settleAmt".into(), t.amount.to_string()),
        ("settleCurrencyCode".into(), wire::CURRENCY_CNY.into()),
        ("settleDate".into(), txn::settle_date(t.paid_at.unwrap_or(t.created_at))),
        ("traceNo".into(), t.trade_no[t.trade_no.len() - 6..].to_string()),
        ("traceTime".into(), map::txn_time(t.paid_at.unwrap_or(t.created_at))[4..].to_string()),
    ];
    Some(form_callback(st, url, fields))
}

/// A signed notification as a form post.
pub(super) fn form_callback(st: &SimState, url: String, fields: Fields) -> Callback {
    let body = serde_urlencoded::to_string(signed_fields(st, fields)).unwrap_or_default().into_bytes();
    Callback { url, headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=UTF-8".into())], body, get: false }
}

/// Sends a notification in the background, resending like UnionPay until a 2xx.
pub(super) fn spawn(st: &Arc<SimState>, order_no: &str, cb: Callback) {
    let (st, order_no) = (st.clone(), order_no.to_string());
    tokio::spawn(async move {
        for wait in [0u64, 1, 2, 4] {
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            if (200..300).contains(&st.deliver(&order_no, cb.clone()).await) {
                break;
            }
        }
    });
}
