//! The simulator's control API: the payer's side and fault injection (see the module docs).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{FaultKind, SimState, SimStatus};

type St = State<Arc<SimState>>;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/trades", get(trades))
        .route("/deliveries", get(deliveries))
        .route("/scan", post(scan))
        .route("/notify", post(notify))
        .route("/fault", post(fault))
}

async fn trades(State(st): St) -> Json<Value> {
    Json(json!(st.trades(None)))
}

async fn deliveries(State(st): St) -> Json<Value> {
    Json(json!(st.deliveries().into_iter().map(|(o, s)| json!({"order_no": o, "status": s})).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct ScanReq {
    order_no: String,
    #[serde(default = "pay")]
    action: String,
    #[serde(default)]
    lose_callback: bool,
}
fn pay() -> String {
    "pay".into()
}

/// The payer scans a QR code and pays, declines, or stays pending.
async fn scan(State(st): St, Json(r): Json<ScanReq>) -> (StatusCode, Json<Value>) {
    let Some(t) = st.find(&r.order_no) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": format!("no simulated trade {}", r.order_no)})));
    };
    let action = r.action.as_str();
    if !matches!(action, "pay" | "decline" | "scan") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "action must be pay, decline or scan"})));
    }
    let mut refused = None;
    let t = st
        .update(t.channel, &t.merchant, &t.order_no, |t| match (t.status, action) {
            (SimStatus::Created | SimStatus::Waiting, "pay") => {
                t.status = SimStatus::Paid;
                t.paid_at = Some(Utc::now());
            }
            (SimStatus::Created | SimStatus::Waiting, "decline") => t.status = SimStatus::Failed,
            (SimStatus::Created, "scan") => t.status = SimStatus::Waiting,
            (s, _) => refused = Some(format!("trade is {s:?}; cannot {action}")),
        })
        .unwrap_or(t);
    if let Some(msg) = refused {
        return (StatusCode::CONFLICT, Json(json!({"error": msg, "trade": t})));
    }
    if t.status == SimStatus::Paid && !r.lose_callback {
        st.spawn_payment_callback(&t);
    }
    (StatusCode::OK, Json(json!(t)))
}

#[derive(Deserialize)]
struct NotifyReq {
    order_no: String,
}

/// Sends a trade's callback again, synchronously, and returns the receiver's HTTP status.
async fn notify(State(st): St, Json(r): Json<NotifyReq>) -> (StatusCode, Json<Value>) {
    let Some(t) = st.find(&r.order_no) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "no such trade"})));
    };
    let Some(cb) = st.payment_callback(&t) else {
        return (StatusCode::CONFLICT, Json(json!({"error": "trade has no notify URL"})));
    };
    let status = st.deliver(&t.order_no, cb).await;
    (StatusCode::OK, Json(json!({"delivered_status": status})))
}

#[derive(Deserialize)]
struct FaultReq {
    channel: String,
    op: String,
    kind: FaultKind,
    #[serde(default = "one")]
    times: u32,
}
fn one() -> u32 {
    1
}

async fn fault(State(st): St, Json(r): Json<FaultReq>) -> Json<Value> {
    st.arm_fault(&r.channel, &r.op, r.kind, r.times);
    Json(json!({"armed": r.times}))
}
