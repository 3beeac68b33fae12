//! # paydesk-server
//!
//! The HTTP side of Paydesk, shared by `paydesk serve` and the desktop app: the callback
//! receiver (`POST /cb/{account}`), which hands the raw request to the account's channel for
//! verification and answers only after the state is stored; the local unified API
//! (`/api/v1`, [`api`]); the merchant-notification deliverer ([`notify`]); and the tunnel client
//! ([`tunnel`]). Core stays free of HTTP types; this crate is the adapter.

pub mod api;
pub mod callbacks;
pub mod notify;
pub mod service;
pub mod tunnel;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use paydesk_core::Payments;

pub use callbacks::callback_routes;

/// The full application router.
pub fn app(payments: Arc<Payments>) -> Router {
    Router::new().merge(callback_routes(payments.clone())).merge(api::routes(payments)).route("/health", axum::routing::get(|| async { "ok" }))
}

/// A running server; dropping it stops it.
#[derive(Debug)]
pub struct ServerHandle {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ServerHandle {
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

/// Binds `addr` (port 0 = any) and serves `app` in the current runtime.
pub async fn serve(app: Router, addr: SocketAddr) -> std::io::Result<ServerHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(serve_listener(app, listener))
}

/// Serves `app` on an already bound listener.
pub fn serve_listener(app: Router, listener: tokio::net::TcpListener) -> ServerHandle {
    let addr = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    ServerHandle { addr, shutdown: Some(tx) }
}
