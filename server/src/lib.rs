//! # paydesk-server
//!
//! The HTTP side of Paydesk, shared by `paydesk serve` and the desktop app, on two listeners:
//! the public one carries the callback receiver alone (`/cb/{account}`, [`public_app`]), which
//! hands the raw request to the account's channel for verification and answers only after the
//! state is stored; the loopback one carries the local unified API (`/api/v1`, [`api`]),
//! `/status`, `/openapi.json` and `/health` ([`local_app`]). Every listener keeps the limits of
//! [`listen`]. Also here: the merchant-notification deliverer ([`notify`]) and the tunnel client
//! ([`tunnel`]). Core stays free of HTTP types; this crate is the adapter.

pub mod api;
pub mod callbacks;
pub mod listen;
pub mod notify;
pub mod service;
pub mod tunnel;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use paydesk_core::listeners::ServerSettings;
use paydesk_core::Payments;
use tower_http::timeout::TimeoutLayer;

pub use callbacks::callback_routes;

/// What the public listener serves (what a tunnel or reverse proxy forwards): the channel
/// callbacks alone, with their body limit and timeout.
pub fn public_app(payments: Arc<Payments>, limits: &ServerSettings) -> Router {
    callback_routes(payments, limits)
}

/// What the loopback listener serves: the local API, `/openapi.json`, `/health` and `extra`
/// (the service's `/status`), for requests addressed to a loopback host name only, with the
/// API's body limit and request timeout.
pub fn local_app(payments: Arc<Payments>, limits: &ServerSettings, extra: Router) -> Router {
    api::routes(payments)
        .route("/health", axum::routing::get(|| async { "ok" }))
        .merge(extra)
        .layer(DefaultBodyLimit::max(usize::try_from(limits.api_body_kib).unwrap_or(16) * 1024))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(limits.api_timeout_secs)))
        .layer(axum::middleware::from_fn(listen::loopback_only))
}

/// Both sides on one router, for tests and benchmarks on loopback; a running service serves them
/// on separate listeners ([`service::start`]).
pub fn app(payments: Arc<Payments>) -> Router {
    let limits = ServerSettings::default();
    public_app(payments.clone(), &limits).merge(local_app(payments, &limits, Router::new()))
}

/// A running server; dropping it stops it.
#[derive(Debug)]
pub struct ServerHandle {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ServerHandle {
    pub(crate) fn new(addr: SocketAddr, shutdown: tokio::sync::oneshot::Sender<()>) -> ServerHandle {
        ServerHandle { addr, shutdown: Some(shutdown) }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `addr` (port 0 = any) and serves `app` in the current runtime, with the default
/// connection limits ([`listen::serve_limited`]).
pub async fn serve(app: Router, addr: SocketAddr) -> std::io::Result<ServerHandle> {
    Ok(serve_listener(app, listen::bind(addr)?))
}

/// Serves `app` on an already bound listener, with the default connection limits.
pub fn serve_listener(app: Router, listener: tokio::net::TcpListener) -> ServerHandle {
    listen::serve_limited(app, listener, listen::ConnLimits::default())
}
