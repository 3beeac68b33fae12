//! The simulated sandbox gateway (protocol in `crate::sandbox::wire`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::{Callback, FaultKind, Payer, SimRefund, SimState, SimStatus, Trade};
use crate::sandbox::wire::{self, Reply};

const CH: &str = "sandbox";

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/v1/{op}", post(handle))
}

fn signed(st: &SimState, status: StatusCode, reply: &Reply) -> Response {
    let body = serde_json::to_vec(reply).unwrap_or_default();
    let t = Utc::now().timestamp().to_string();
    let n = crate::sign::nonce(16);
    let sig = st.cfg.keys.gateway.sign_b64(&wire::message(&t, &n, &body));
    (status, [("content-type", "application/json".to_string()), (wire::H_TIMESTAMP, t), (wire::H_NONCE, n), (wire::H_SIGNATURE, sig)], body).into_response()
}

fn fail(st: &SimState, status: StatusCode, code: &str, message: &str) -> Response {
    signed(st, status, &Reply { code: code.into(), message: Some(message.into()), ..Default::default() })
}

fn ok(r: Reply) -> Reply {
    Reply { code: "OK".into(), ..r }
}

fn status_word(s: SimStatus) -> &'static str {
    match s {
        SimStatus::Created => "CREATED",
        SimStatus::Waiting => "WAITING",
        SimStatus::Paid => "PAID",
        SimStatus::Closed => "CLOSED",
        SimStatus::Failed => "FAILED",
        SimStatus::Reversed => "REVERSED",
    }
}

fn trade_reply(t: &Trade) -> Reply {
    ok(Reply {
        trade_no: Some(t.trade_no.clone()),
        status: Some(status_word(t.status).into()),
        amount: Some(t.amount),
        refunded: Some(t.refunded()),
        paid_at: t.paid_at.map(|p| p.timestamp()),
        message: (t.status == SimStatus::Failed).then(|| "insufficient balance".to_string()),
        ..Default::default()
    })
}

async fn handle(State(st): State<Arc<SimState>>, Path(op): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let merchant = h(wire::H_MERCHANT);
    let msg = wire::message(&h(wire::H_TIMESTAMP), &h(wire::H_NONCE), &body);
    if merchant.is_empty() || !st.cfg.keys.merchant.verify_b64(&msg, &h(wire::H_SIGNATURE)) {
        return fail(&st, StatusCode::UNAUTHORIZED, "INVALID_SIGNATURE", "request signature does not verify with the merchant public key");
    }
    match st.take_fault(CH, &op) {
        Some(FaultKind::Timeout) => tokio::time::sleep(st.cfg.stall).await,
        Some(FaultKind::Error) => return fail(&st, StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "simulated system error"),
        None => {}
    }
    match op.as_str() {
        "precreate" => with(&st, &body, |r: wire::Precreate| precreate(&st, &merchant, r)),
        "pay" => match parse::<wire::Pay>(&body) {
            Ok(r) => pay(&st, &merchant, r).await,
            Err(e) => fail(&st, StatusCode::BAD_REQUEST, "INVALID_PARAM", &e),
        },
        "query" => with(&st, &body, |r: wire::ByOrder| match st.get(CH, &merchant, &r.order_no) {
            Some(t) => signed(&st, StatusCode::OK, &trade_reply(&t)),
            None => fail(&st, StatusCode::NOT_FOUND, "TRADE_NOT_EXIST", "no such trade"),
        }),
        "close" => with(&st, &body, |r: wire::ByOrder| close(&st, &merchant, &r.order_no)),
        "cancel" => with(&st, &body, |r: wire::ByOrder| cancel(&st, &merchant, &r.order_no)),
        "refund" => with(&st, &body, |r: wire::Refund| refund(&st, &merchant, r)),
        "refund_query" => with(&st, &body, |r: wire::ByRefund| match st.find_refund(CH, &merchant, &r.refund_no) {
            Some((_, rf)) => signed(&st, StatusCode::OK, &ok(Reply { status: Some("SUCCESS".into()), refund_id: Some(rf.refund_id), amount: Some(rf.amount), ..Default::default() })),
            None => fail(&st, StatusCode::NOT_FOUND, "REFUND_NOT_EXIST", "no such refund"),
        }),
        "statement" => with(&st, &body, |r: wire::Statement| signed(&st, StatusCode::OK, &ok(Reply { csv: Some(statement_csv(&st, &merchant, &r.date)), ..Default::default() }))),
        _ => fail(&st, StatusCode::NOT_FOUND, "UNKNOWN_OP", "unknown operation"),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad request body: {e}"))
}

fn with<T: DeserializeOwned>(st: &SimState, body: &[u8], f: impl FnOnce(T) -> Response) -> Response {
    match parse(body) {
        Ok(r) => f(r),
        Err(e) => fail(st, StatusCode::BAD_REQUEST, "INVALID_PARAM", &e),
    }
}

#[allow(clippy::too_many_arguments)] // one trade's fields, as the simulator's handlers have them
fn new_trade(st: &SimState, merchant: &str, order_no: String, amount: i64, subject: String, notify_url: Option<String>, barcode: bool, payer: Payer) -> Trade {
    Trade {
        channel: CH,
        merchant: merchant.to_string(),
        app_id: String::new(),
        order_no,
        trade_no: st.next_id("SB"),
        amount,
        subject,
        status: SimStatus::Created,
        barcode,
        payer,
        notify_url,
        created_at: Utc::now(),
        paid_at: None,
        buyer: "sandbox-buyer".into(),
        refunds: Vec::new(),
    }
}

fn precreate(st: &SimState, merchant: &str, r: wire::Precreate) -> Response {
    if r.amount <= 0 {
        return fail(st, StatusCode::BAD_REQUEST, "INVALID_AMOUNT", "amount must be positive");
    }
    let t = new_trade(st, merchant, r.order_no, r.amount, r.subject, r.notify_url, false, Payer::Pay);
    match st.insert(t) {
        Ok(t) => signed(st, StatusCode::OK, &ok(Reply { qr_code: Some(format!("https://sandbox.paydesk.invalid/qr/{}", t.trade_no)), trade_no: Some(t.trade_no), ..Default::default() })),
        Err(existing) if existing.amount == r.amount && existing.status == SimStatus::Created => {
            signed(st, StatusCode::OK, &ok(Reply { qr_code: Some(format!("https://sandbox.paydesk.invalid/qr/{}", existing.trade_no)), trade_no: Some(existing.trade_no), ..Default::default() }))
        }
        Err(_) => fail(st, StatusCode::CONFLICT, "DUPLICATE_ORDER", "order number already used"),
    }
}

async fn pay(st: &Arc<SimState>, merchant: &str, r: wire::Pay) -> Response {
    if !(r.auth_code.len() == 18 && r.auth_code.starts_with("99") && r.auth_code.bytes().all(|b| b.is_ascii_digit())) {
        return fail(st, StatusCode::BAD_REQUEST, "AUTH_CODE_INVALID", "payment code is not a sandbox code (18 digits starting 99)");
    }
    let payer = Payer::from_auth_code(&r.auth_code);
    let t = new_trade(st, merchant, r.order_no, r.amount, r.subject, r.notify_url, true, payer).charged_by(payer);
    let t = match st.insert(t) {
        Ok(t) => t,
        Err(_) => return fail(st, StatusCode::CONFLICT, "DUPLICATE_ORDER", "order number already used"),
    };
    match payer {
        Payer::Decline => fail(st, StatusCode::PAYMENT_REQUIRED, "BALANCE_NOT_ENOUGH", "insufficient balance"),
        Payer::SystemError => fail(st, StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "system busy"),
        Payer::Stall => {
            tokio::time::sleep(st.cfg.stall).await;
            signed(st, StatusCode::OK, &trade_reply(&t))
        }
        Payer::PasswordThenPay => {
            // The payer confirms after the delay; the gateway then notifies.
            let st2 = st.clone();
            let (m, o) = (t.merchant.clone(), t.order_no.clone());
            tokio::spawn(async move {
                tokio::time::sleep(st2.cfg.password_delay).await;
                if let Some(t) = st2.get(CH, &m, &o) {
                    if t.status == SimStatus::Paid {
                        st2.spawn_payment_callback(&t);
                    }
                }
            });
            signed(st, StatusCode::OK, &trade_reply(&t))
        }
        Payer::Pay | Payer::PasswordNever => signed(st, StatusCode::OK, &trade_reply(&t)),
    }
}

fn close(st: &SimState, merchant: &str, order_no: &str) -> Response {
    let mut refused = None;
    let t = st.update(CH, merchant, order_no, |t| match t.status {
        SimStatus::Created | SimStatus::Waiting => t.status = SimStatus::Closed,
        SimStatus::Closed => {}
        s => refused = Some(s),
    });
    match (t, refused) {
        (None, _) => fail(st, StatusCode::NOT_FOUND, "TRADE_NOT_EXIST", "no such trade"),
        (Some(_), Some(s)) => fail(st, StatusCode::CONFLICT, "TRADE_STATUS_ERROR", &format!("trade is {}", status_word(s))),
        (Some(t), None) => signed(st, StatusCode::OK, &trade_reply(&t)),
    }
}

fn cancel(st: &SimState, merchant: &str, order_no: &str) -> Response {
    let mut action = "close";
    let t = st.update(CH, merchant, order_no, |t| match t.status {
        SimStatus::Paid => {
            t.status = SimStatus::Reversed;
            action = "refund";
        }
        SimStatus::Created | SimStatus::Waiting => t.status = SimStatus::Closed,
        SimStatus::Closed | SimStatus::Failed | SimStatus::Reversed => {}
    });
    match t {
        None => fail(st, StatusCode::NOT_FOUND, "TRADE_NOT_EXIST", "no such trade"),
        Some(t) => signed(st, StatusCode::OK, &ok(Reply { action: Some(action.into()), trade_no: Some(t.trade_no), ..Default::default() })),
    }
}

fn refund(st: &SimState, merchant: &str, r: wire::Refund) -> Response {
    if let Some((_, rf)) = st.find_refund(CH, merchant, &r.refund_no) {
        // Same refund number again: idempotent, the same refund.
        return signed(st, StatusCode::OK, &ok(Reply { status: Some("SUCCESS".into()), refund_id: Some(rf.refund_id), amount: Some(rf.amount), ..Default::default() }));
    }
    let mut problem = None;
    let refund_id = st.next_id("SR");
    let t = st.update(CH, merchant, &r.order_no, |t| {
        if t.status != SimStatus::Paid {
            problem = Some(("TRADE_STATUS_ERROR", "trade is not paid"));
        } else if r.amount <= 0 || t.refunded() + r.amount > t.amount {
            problem = Some(("REFUND_AMOUNT_EXCEEDED", "refund exceeds the amount left"));
        } else {
            t.refunds.push(SimRefund { refund_no: r.refund_no.clone(), refund_id: refund_id.clone(), amount: r.amount, reason: r.reason.clone(), at: Utc::now() });
        }
    });
    match (t, problem) {
        (None, _) => fail(st, StatusCode::NOT_FOUND, "TRADE_NOT_EXIST", "no such trade"),
        (Some(_), Some((code, msg))) => fail(st, StatusCode::CONFLICT, code, msg),
        (Some(_), None) => signed(st, StatusCode::OK, &ok(Reply { status: Some("SUCCESS".into()), refund_id: Some(refund_id), amount: Some(r.amount), ..Default::default() })),
    }
}

/// `trade_no,order_no,type,amount,refund_no,time,status,fee` — one row per payment and per
/// refund of the day (Asia/Shanghai). The fee is 0.60 % rounded half up; refunds return theirs.
fn statement_csv(st: &SimState, merchant: &str, date: &str) -> String {
    let tz = chrono_tz::Asia::Shanghai;
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d").to_string();
    let mut out = String::from("trade_no,order_no,type,amount,refund_no,time,status,fee\n");
    let fee = |fen: i64| (fen * 60 + 5_000) / 10_000;
    let yuan = paydesk_core::money::format_signed_fen;
    for t in st.trades(Some(CH)).into_iter().filter(|t| t.merchant == merchant) {
        if let Some(p) = t.paid_at.filter(|p| day(*p) == date) {
            out.push_str(&format!("{},{},payment,{},,{},{},{}\n", t.trade_no, t.order_no, yuan(t.amount), p.to_rfc3339(), status_word(t.status), yuan(fee(t.amount))));
        }
        for r in t.refunds.iter().filter(|r| day(r.at) == date) {
            out.push_str(&format!("{},{},refund,{},{},{},SUCCESS,{}\n", t.trade_no, t.order_no, yuan(-r.amount), r.refund_no, r.at.to_rfc3339(), yuan(-fee(r.amount))));
        }
    }
    out
}

/// The signed payment notification of a trade.
pub(crate) fn payment_callback(st: &SimState, t: &Trade, url: String) -> Callback {
    let n = wire::Notification {
        kind: "payment".into(),
        merchant: t.merchant.clone(),
        order_no: t.order_no.clone(),
        trade_no: t.trade_no.clone(),
        amount: t.amount,
        status: status_word(t.status).into(),
        paid_at: t.paid_at.map(|p| p.timestamp()),
        refund_no: None,
        refund_amount: None,
    };
    let body = serde_json::to_vec(&n).unwrap_or_default();
    let ts = Utc::now().timestamp().to_string();
    let nonce = crate::sign::nonce(16);
    let sig = st.cfg.keys.gateway.sign_b64(&wire::message(&ts, &nonce, &body));
    Callback {
        url,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (wire::H_TIMESTAMP.into(), ts),
            (wire::H_NONCE.into(), nonce),
            (wire::H_SIGNATURE.into(), sig),
        ],
        body,
        get: false,
    }
}
