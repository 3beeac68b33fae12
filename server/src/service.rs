//! Everything that runs while Paydesk serves: the two listeners (the local API and status on
//! loopback; the channel callbacks alone on their own address, which the tunnel or public URL
//! forwards to), start-up recovery, the follower, the notification deliverer, and the accounts
//! watcher (account changes apply without a restart). Used by `paydesk serve`, `paydesk demo`
//! and the desktop app.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use paydesk_core::config::CallbackMode;
use paydesk_core::Payments;
use serde_json::json;
use tokio::sync::watch;

use crate::tunnel::{Tunnel, TunnelState};
use crate::ServerHandle;

/// Where a service listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen {
    /// The local API, `/status`, `/openapi.json`: loopback only.
    pub local: SocketAddr,
    /// The channel callbacks alone (not opened in polling-only mode).
    pub callbacks: SocketAddr,
}

impl Listen {
    /// The `listen` and `callback_listen` settings.
    pub fn from_settings(s: &paydesk_core::config::Settings) -> Result<Listen, String> {
        let (local, callbacks) = s.listeners().map_err(|e| e.to_string())?;
        Ok(Listen { local, callbacks })
    }

    /// Free loopback ports for both (tests).
    pub fn any_free() -> Listen {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Listen { local: any, callbacks: any }
    }
}

/// A running service; dropping it stops its tasks.
#[derive(Debug)]
pub struct Service {
    pub payments: Arc<Payments>,
    /// The loopback listener: local API, `/status`, `/openapi.json`.
    pub server: ServerHandle,
    /// The callbacks listener (none in polling-only mode).
    pub callbacks: Option<ServerHandle>,
    pub tunnel: Option<Tunnel>,
    /// Orders and refunds found unfinished at start and followed up.
    pub recovered: usize,
    stop: watch::Sender<bool>,
}

impl Service {
    pub fn tunnel_state(&self) -> TunnelState {
        self.tunnel.as_ref().map_or(TunnelState::Off, Tunnel::state)
    }

    /// Stops the follower and deliverer and waits briefly for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Clone)]
struct StatusState {
    payments: Arc<Payments>,
    tunnel: Option<watch::Receiver<TunnelState>>,
}

async fn status(State(s): State<StatusState>) -> Json<serde_json::Value> {
    let store = s.payments.store();
    let tunnel = s.tunnel.as_ref().map_or(TunnelState::Off, |t| t.borrow().clone());
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "tunnel": tunnel,
        "notify_url_base": s.payments.notify_url("ACCOUNT").map(|u| u.trim_end_matches("/cb/ACCOUNT").to_string()),
        "open_orders": store.open_orders().map(|v| v.len()).unwrap_or(0),
        "open_refunds": store.open_refunds().map(|v| v.len()).unwrap_or(0),
        "notifications_pending": store.notifications(Some("pending"), 10_000).map(|v| v.len()).unwrap_or(0),
        "notifications_failed": store.notifications(Some("failed"), 10_000).map(|v| v.len()).unwrap_or(0),
        "accounts": s.payments.account_health(),
        "shared": store.link_status().ok(),
    }))
}

/// How often the service looks for settings changed elsewhere (accounts in the book, limits in
/// config.toml).
pub const SETTINGS_CHECK: Duration = Duration::from_secs(1);

/// Timings of the background loops (tests shorten them).
#[derive(Debug, Clone, Copy)]
pub struct Ticks {
    pub follower: Duration,
    pub deliverer: Duration,
}

impl Default for Ticks {
    fn default() -> Self {
        Ticks { follower: Duration::from_millis(500), deliverer: Duration::from_millis(250) }
    }
}

fn bind(field: &str, addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    crate::listen::bind(addr).map_err(|e| format!("{field}: cannot listen on {addr}: {e}"))
}

/// Starts the whole service for the home's settings on `listen`.
pub async fn start(home: &Path, payments: Arc<Payments>, listen: Listen, ticks: Ticks) -> Result<Service, String> {
    let settings = payments.settings().clone();
    let secret = crate::notify::load_secret(home, &settings.notify)?;
    if !listen.local.ip().is_loopback() {
        return Err(format!("listen: {} is not a loopback address: the local API and /status listen on loopback only", listen.local));
    }
    let conn = crate::listen::ConnLimits::from(&settings.server);
    let local = bind("listen", listen.local)?;
    // Bind the callbacks first: a tunnel needs their port.
    let callbacks = match settings.callback {
        CallbackMode::PollingOnly => None,
        CallbackMode::PublicUrl { .. } | CallbackMode::Tunnel { .. } => {
            let l = bind("callback_listen", listen.callbacks)?;
            let port = l.local_addr().map_err(|e| e.to_string())?.port();
            Some((l, port))
        }
    };
    let tunnel = match &settings.callback {
        CallbackMode::PollingOnly => {
            payments.set_notify_base(None);
            None
        }
        CallbackMode::PublicUrl { base_url } => {
            payments.set_notify_base(Some(base_url.clone()));
            None
        }
        CallbackMode::Tunnel { server, secret_file } => {
            let secret = match secret_file {
                Some(f) => {
                    let path = if Path::new(f).is_absolute() { f.into() } else { home.join(f) };
                    Some(std::fs::read_to_string(&path).map_err(|e| format!("callback.secret_file: cannot read {}: {}", path.display(), e.kind()))?.trim().to_string())
                }
                None => None,
            };
            let port = callbacks.as_ref().map_or(0, |(_, p)| *p);
            Some(crate::tunnel::start(payments.clone(), server.clone(), secret, port))
        }
    };
    let status_state = StatusState { payments: payments.clone(), tunnel: tunnel.as_ref().map(Tunnel::watch) };
    let status = Router::new().route("/status", get(status)).with_state(status_state);
    let server = crate::listen::serve_limited(crate::local_app(payments.clone(), &settings.server, status), local, conn);
    let callbacks = callbacks.map(|(l, _)| crate::listen::serve_limited(crate::public_app(payments.clone(), &settings.server), l, conn));
    let recovered = paydesk_core::follower::recover(&payments).await;
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(paydesk_core::follower::run(payments.clone(), ticks.follower, stop_rx.clone()));
    // Account changes made elsewhere (`paydesk accounts set/import`, the app) apply without restart.
    tokio::spawn(paydesk_core::payments::watch_accounts(payments.clone(), SETTINGS_CHECK, stop_rx.clone()));
    // A till of a shared book sends its journal and fetches the shop's changes in the background.
    if let Some(sh) = &settings.shared {
        paydesk_core::store::shared::spawn_sync(payments.store().clone(), Duration::from_millis(sh.sync_interval_ms), stop_rx.clone());
    }
    // Daily limits edited in config.toml (or in the shop's shared settings) apply without restart too.
    tokio::spawn(paydesk_core::payments::watch_limits(payments.clone(), home.to_path_buf(), SETTINGS_CHECK, stop_rx.clone()));
    if !settings.notify.urls.is_empty() {
        let d = Arc::new(crate::notify::Deliverer::new(payments.store().clone(), secret, &settings.notify));
        tokio::spawn(d.run(ticks.deliverer, stop_rx));
    }
    Ok(Service { payments, server, callbacks, tunnel, recovered, stop })
}
