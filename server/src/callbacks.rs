//! `POST /cb/{account}` (and `GET`, for providers that notify with the fields in the query
//! string, e.g. 易支付): channel callbacks. The raw body and headers go to the channel's
//! verifier first; nothing is written for an unverified request. The channel-format reply is
//! sent only after the state change is stored.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::Extension;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use paydesk_core::channel::CallbackRequest;
use paydesk_core::listeners::ServerSettings;
use paydesk_core::Payments;
use tower_http::timeout::TimeoutLayer;

/// The callback routes with their body limit (channels send a few KiB at most) and timeout
/// (`[server]` callback_body_kib, callback_timeout_secs).
pub fn callback_routes(payments: Arc<Payments>, limits: &ServerSettings) -> Router {
    Router::new()
        .route("/cb/{account}", post(callback).get(callback_get))
        .layer(DefaultBodyLimit::max(usize::try_from(limits.callback_body_kib).unwrap_or(64) * 1024))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(limits.callback_timeout_secs)))
        .with_state(payments)
}

/// A GET callback: its query string is handed to the channel as the body (form-encoded).
async fn callback_get(state: State<Arc<Payments>>, account: Path<String>, peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>, headers: HeaderMap, uri: Uri) -> Response {
    let body = Bytes::from(uri.query().unwrap_or("").as_bytes().to_vec());
    callback(state, account, peer, headers, body).await
}

async fn callback(State(p): State<Arc<Payments>>, Path(account): Path<String>, peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(Extension(ConnectInfo(addr))) = peer {
        if !paydesk_core::account::ip_allowed(&p.callback_allow(&account), addr.ip()) {
            tracing::warn!(account, peer = %addr.ip(), "callback refused: address not in the account's callback_allow list");
            return (StatusCode::FORBIDDEN, "forbidden").into_response();
        }
    }
    let req = CallbackRequest {
        headers: headers.iter().map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect(),
        body: body.to_vec(),
        received_at: chrono::Utc::now(),
    };
    match p.handle_callback(&account, &req).await {
        Ok(out) => {
            if let Ok(o) = &out.result {
                tracing::info!(account, order = %o.order_no, status = %o.status, "callback applied");
            }
            let status = StatusCode::from_u16(out.reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [("content-type", out.reply.content_type)], out.reply.body).into_response()
        }
        Err(e) => {
            // Unknown account: nothing to verify against.
            tracing::warn!(account, "callback for unknown account: {e}");
            (StatusCode::NOT_FOUND, "unknown account").into_response()
        }
    }
}
