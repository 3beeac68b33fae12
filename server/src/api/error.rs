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
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None }
    }
    pub fn invalid(field: &'static str, message: impl std::fmt::Display) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code: "invalid_request", message: format!("{field}: {message}"), field: Some(field) }
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API key is required: Authorization: Bearer pdk_…")
    }
}

impl From<PayError> for ApiError {
    fn from(e: PayError) -> Self {
        match &e {
            PayError::Invalid { field, .. } => ApiError { status: StatusCode::BAD_REQUEST, code: "invalid_request", message: e.to_string(), field: Some(field) },
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
        (self.status, Json(body)).into_response()
    }
}
