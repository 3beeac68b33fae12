//! The local unified API (`/api/v1`): lets the shop's own POS/ERP take payments through
//! Paydesk. Bearer API keys with scopes; an `Idempotency-Key` on every request that moves money;
//! JSON errors `{"error":{"code","message","field"}}` with stable codes. Described by
//! docs/openapi.json, served at `/openapi.json`.

mod error;
pub mod json;
mod payments;

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::Router;
use paydesk_core::store::ApiKey;
use paydesk_core::Payments;

pub use error::ApiError;
pub use json::{payment_detail_json, payment_json, refund_json};

/// The OpenAPI description of this API.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

pub fn routes(p: Arc<Payments>) -> Router {
    Router::new()
        .route("/api/v1/payments", post(payments::create).get(payments::list))
        .route("/api/v1/payments/{order_no}", get(payments::get))
        .route("/api/v1/payments/{order_no}/refunds", post(payments::refund))
        .route("/api/v1/payments/{order_no}/revoke", post(payments::revoke))
        .route("/api/v1/payments/{order_no}/close", post(payments::close))
        .route("/api/v1/payments/{order_no}/query", post(payments::query))
        .route("/openapi.json", get(|| async { ([("content-type", "application/json")], OPENAPI) }))
        .with_state(p)
}

/// An authenticated caller.
pub(crate) struct Caller(pub ApiKey);

impl Caller {
    /// Who this is, as authenticated: the key (never the `operator` the request names).
    pub(crate) fn principal(&self) -> paydesk_core::Principal {
        paydesk_core::Principal::api_key(&self.0.id, &self.0.name)
    }

    pub(crate) fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.0.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::new(axum::http::StatusCode::FORBIDDEN, "forbidden", format!("this API key lacks the {scope} scope")))
        }
    }
}

impl FromRequestParts<Arc<Payments>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Payments>) -> Result<Self, Self::Rejection> {
        let State(p): State<Arc<Payments>> = State::from_request_parts(parts, state).await.map_err(|_| ApiError::unauthorized())?;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        paydesk_core::apikey::authenticate(p.store(), token.trim()).map(Caller).ok_or_else(ApiError::unauthorized)
    }
}
