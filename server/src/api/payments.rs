//! `/api/v1/payments` handlers: thin — parse, check scope, call core, shape JSON.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use paydesk_core::payments::{BarcodeInput, QrInput, RefundRequestInput, RevokeInput};
use paydesk_core::store::OrderFilter;
use paydesk_core::{EventSource, Method, Money, OrderNo, OrderStatus, Payments};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{payment_detail_json, payment_json, refund_json};
use super::{ApiError, Caller};

type Resp = Result<(StatusCode, Json<Value>), ApiError>;

fn idempotency_key(h: &HeaderMap) -> Result<String, ApiError> {
    let k = h.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
    if k.is_empty() || k.len() > 64 {
        return Err(ApiError::invalid("Idempotency-Key", "header is required (1 to 64 characters): retries with the same key never pay or refund twice"));
    }
    Ok(k.to_string())
}

fn order_no(s: &str) -> Result<OrderNo, ApiError> {
    s.parse().map_err(|e| ApiError::invalid("order_no", e))
}

fn amount(p: &Payments, s: &str) -> Result<Money, ApiError> {
    Money::parse_payment(s, p.max_amount()).map_err(|e| ApiError::invalid("amount", e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    amount: String,
    #[serde(default)]
    auth_code: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    operator: Option<String>,
}

/// How long a barcode request waits for a final answer before returning 202 (then poll GET).
const BARCODE_WAIT: Duration = Duration::from_secs(10);

pub(crate) async fn create(State(p): State<Arc<Payments>>, caller: Caller, headers: HeaderMap, body: Result<Json<CreateBody>, axum::extract::rejection::JsonRejection>) -> Resp {
    caller.require("payments:write")?;
    let key = idempotency_key(&headers)?;
    let Json(b) = body.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let amount = amount(&p, &b.amount)?;
    if let Some(code) = b.auth_code {
        if b.method.is_some() {
            return Err(ApiError::invalid("method", "not used with auth_code: the payment code tells the method"));
        }
        let input = BarcodeInput { amount, auth_code: code, channel: b.channel, account: b.account, subject: b.subject, operator: b.operator, idempotency_key: Some(key.clone()), sale: None };
        // The charge runs to its end even if this request gives up waiting.
        let (p2, by) = (p.clone(), caller.principal());
        let task = tokio::spawn(async move { p2.barcode_pay(input, &by).await });
        let order = match tokio::time::timeout(BARCODE_WAIT, task).await {
            Ok(Ok(r)) => r?,
            Ok(Err(_)) => return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "payment task failed")),
            Err(_) => p.store().order_by_idempotency_key(&key).map_err(paydesk_core::payments::PayError::from)?.ok_or_else(|| ApiError::new(StatusCode::ACCEPTED, "processing", "payment is being processed"))?,
        };
        let status = if order.status.is_final() { StatusCode::OK } else { StatusCode::ACCEPTED };
        return Ok((status, Json(payment_json(&order))));
    }
    let method = b.method.as_deref().map(str::parse::<Method>).transpose().map_err(|e| ApiError::invalid("method", e))?;
    let order = p.create_qr(QrInput { amount, method, channel: b.channel, account: b.account, subject: b.subject, operator: b.operator, idempotency_key: Some(key), sale: None }, &caller.principal()).await?;
    Ok((StatusCode::CREATED, Json(payment_json(&order))))
}

pub(crate) async fn get(State(p): State<Arc<Payments>>, caller: Caller, Path(no): Path<String>) -> Resp {
    caller.require("payments:read")?;
    let d = p.store().order_detail(&order_no(&no)?).map_err(paydesk_core::payments::PayError::from)?;
    Ok((StatusCode::OK, Json(payment_detail_json(&d))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    status: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<u32>,
    /// The search language of `paydesk_core::till::find`.
    find: Option<String>,
    trade_no: Option<String>,
    amount: Option<String>,
    code_tail: Option<String>,
    cashier: Option<String>,
    shift: Option<String>,
}

pub(crate) async fn list(State(p): State<Arc<Payments>>, caller: Caller, q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>) -> Resp {
    caller.require("payments:read")?;
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let status = q.status.as_deref().map(str::parse::<OrderStatus>).transpose().map_err(|e| ApiError::invalid("status", e))?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::invalid("limit", "must be 1 to 1000"));
    }
    let tz = p.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai);
    let base = match q.find.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(find) => paydesk_core::till::find::parse(find, tz, Utc::now(), limit)?,
        None => OrderFilter { limit: Some(limit), ..Default::default() },
    };
    if let Some(t) = q.trade_no.as_deref().filter(|t| t.len() < 4) {
        return Err(ApiError::invalid("trade_no", format!("{t:?}: give at least 4 characters")));
    }
    if let Some(c) = q.code_tail.as_deref().filter(|c| c.is_empty() || c.len() > 4 || !c.bytes().all(|b| b.is_ascii_digit())) {
        return Err(ApiError::invalid("code_tail", format!("{c:?}: give the last 1 to 4 digits")));
    }
    let exact = q.amount.as_deref().map(|a| Money::parse_yuan(a).map_err(|e| ApiError::invalid("amount", e))).transpose()?;
    let f = OrderFilter {
        status,
        from: q.from.or(base.from),
        to: q.to.or(base.to),
        text: q.trade_no.or(base.text.clone()),
        min_amount: exact.or(base.min_amount),
        max_amount: exact.or(base.max_amount),
        code_tail: q.code_tail.or(base.code_tail.clone()),
        operator: q.cashier.or(base.operator.clone()),
        shift_no: q.shift.or(base.shift_no.clone()),
        ..base
    };
    let orders = p.store().list_orders(&f).map_err(paydesk_core::payments::PayError::from)?;
    Ok((StatusCode::OK, Json(json!({"payments": orders.iter().map(payment_json).collect::<Vec<_>>()}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundBody {
    amount: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    operator: Option<String>,
}

pub(crate) async fn refund(State(p): State<Arc<Payments>>, caller: Caller, Path(no): Path<String>, headers: HeaderMap, body: Result<Json<RefundBody>, axum::extract::rejection::JsonRejection>) -> Resp {
    caller.require("refunds:write")?;
    let key = idempotency_key(&headers)?;
    let Json(b) = body.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let input = RefundRequestInput { order_no: order_no(&no)?, amount: amount(&p, &b.amount)?, reason: b.reason, operator: b.operator };
    let r = p.refund_with_key(input, Some(key), &caller.principal()).await?;
    Ok((StatusCode::CREATED, Json(refund_json(&r))))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeBody {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    operator: Option<String>,
}

/// The same-day revoke (撤销) of a whole payment: a refund record of kind `revoke`.
/// The body is optional (`{}` or nothing at all).
pub(crate) async fn revoke(State(p): State<Arc<Payments>>, caller: Caller, Path(no): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Resp {
    caller.require("refunds:write")?;
    let key = idempotency_key(&headers)?;
    let b: RevokeBody = if body.iter().all(u8::is_ascii_whitespace) {
        RevokeBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    let input = RevokeInput { order_no: order_no(&no)?, reason: b.reason, operator: b.operator };
    let r = p.revoke_with_key(input, Some(key), &caller.principal()).await?;
    Ok((StatusCode::CREATED, Json(refund_json(&r))))
}

pub(crate) async fn close(State(p): State<Arc<Payments>>, caller: Caller, Path(no): Path<String>) -> Resp {
    caller.require("payments:write")?;
    let o = p.close(&order_no(&no)?, EventSource::User, &caller.principal()).await?;
    Ok((StatusCode::OK, Json(payment_json(&o))))
}

pub(crate) async fn query(State(p): State<Arc<Payments>>, caller: Caller, Path(no): Path<String>) -> Resp {
    caller.require("payments:read")?;
    let o = p.query(&order_no(&no)?, EventSource::User).await?;
    Ok((StatusCode::OK, Json(payment_json(&o))))
}
