//! One error type for the API: a status, a stable code, a message; never internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use paydesk_core::payments::PayError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    /// The order the error is about when it is in the book (`unsettled`).
    pub order_no: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None, order_no: None }
    }
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code: "invalid_request", message: format!("{field}: {message}"), field: Some(field), order_no: None }
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API key is required: Authorization: Bearer pdk_…")
    }
}

impl From<PayError> for ApiError {
    fn from(e: PayError) -> Self {
        match &e {
            PayError::Invalid { field, .. } => ApiError { status: StatusCode::BAD_REQUEST, code: "invalid_request", message: e.to_string(), field: Some(field), order_no: None },
            // The request reached (or may have reached) the channel and the book could not
            // record the answer: the caller must not retry blindly; the order settles itself.
            PayError::Unsettled { order_no, refund_no, cause, .. } => {
                tracing::error!(order = %order_no, "outcome not settled: the book could not be written: {cause}");
                let what = match refund_no {
                    Some(r) => format!("refund {r} of order {order_no}"),
                    None => format!("order {order_no}"),
                };
                let message = format!(
                    "{what}: the outcome is not settled: the book cannot be written ({}). Do not pay or refund again: ask GET /api/v1/payments/{order_no} (or POST …/query) once the book can be written again (free disk space or restore write access); Paydesk settles it then by itself",
                    cause.unwritable_cause().unwrap_or("storage error")
                );
                ApiError { status: StatusCode::SERVICE_UNAVAILABLE, code: "unsettled", message, field: None, order_no: Some(order_no.to_string()) }
            }
            PayError::Store(s) if s.unwritable() => {
                tracing::error!("the book cannot be written: {s}");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "book_unwritable", format!("the book cannot be written ({}): nothing was started or charged; try again once it can be (free disk space or restore write access)", s.unwritable_cause().unwrap_or("storage error")))
            }
            PayError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            PayError::NoAccount { .. } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_account", e.to_string()),
            PayError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            PayError::Limit(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded", e.to_string()),
            PayError::Channel(c) if c.outcome_unknown() => ApiError::new(StatusCode::BAD_GATEWAY, "channel_unavailable", e.to_string()),
            PayError::Channel(_) => ApiError::new(StatusCode::BAD_GATEWAY, "channel_error", e.to_string()),
            _ => {
                tracing::error!("API internal error: {e}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the Paydesk log")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(f) = self.field {
            body["error"]["field"] = json!(f);
        }
        if let Some(no) = self.order_no {
            body["error"]["order_no"] = json!(no);
        }
        (self.status, Json(body)).into_response()
    }
}
