//! Serving one listener with the limits every Paydesk listener keeps, and the loopback guard of
//! the local one.
//!
//! Invariant: no client can hold a listener hostage. A connection that has not sent a whole
//! request head within the header timeout — after connecting or between requests — is closed;
//! at most `max_connections` are served at once (more wait in the accept queue until one ends),
//! so hundreds of idle or crawling clients delay others by at most one header timeout and never
//! exhaust the process; HTTP/1 only. Body limits and request timeouts belong to each group of
//! routes (callbacks, local API). The local listener also refuses a request whose `Host` is not
//! a loopback name (DNS rebinding: a web page the cashier opens cannot talk to the API).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::ServerHandle;

/// The limits of one listener's connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits::from(&paydesk_core::listeners::ServerSettings::default())
    }
}

impl From<&paydesk_core::listeners::ServerSettings> for ConnLimits {
    fn from(s: &paydesk_core::listeners::ServerSettings) -> Self {
        ConnLimits { header_timeout: Duration::from_secs(s.header_timeout_secs), max_connections: usize::try_from(s.max_connections).unwrap_or(256) }
    }
}

/// Largest request head (request line and headers) read from a client.
const MAX_HEAD: usize = 16 * 1024;

/// Clients the kernel keeps waiting to be accepted while every slot is taken (the std and mio
/// default, 128, drops further connection attempts and leaves them to TCP retransmission).
const BACKLOG: u32 = 1024;

/// Binds `addr` (port 0 = any) for [`serve_limited`], with a deep accept queue.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// How long a connection may sit without a request in progress while clients are waiting for
/// a slot (then it makes room). A real client sends its request head at once.
const GRACE_UNDER_PRESSURE: Duration = Duration::from_millis(500);

/// Serves `app` on `listener` under `limits` in the current runtime; each request carries the
/// peer's address as `ConnectInfo<SocketAddr>`. Dropping the handle stops accepting and asks the
/// open connections to finish.
///
/// While every slot is taken and clients wait, connections with no request in progress (idle,
/// or still crawling through their headers) are closed once they are older than half a second:
/// under a flood the header timeout effectively shrinks, so waiting clients get their turn fast.
pub fn serve_limited(app: Router, listener: TcpListener, limits: ConnLimits) -> ServerHandle {
    let addr = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let (closing, _) = watch::channel(false);
    let (pressure, _) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::spawn(async move {
        loop {
            let permit = match slots.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => {
                    // Full: a client may be waiting in the accept queue; make idle ones yield.
                    pressure.send_replace(true);
                    tokio::select! {
                        p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                        _ = &mut rx => break,
                    }
                }
            };
            let (stream, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment instead of spinning.
                        tracing::warn!(%addr, "accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut rx => break,
            };
            if slots.available_permits() > 0 {
                pressure.send_replace(false);
            }
            let conn = Conn { app: app.clone(), peer, limits, closing: closing.subscribe(), pressure: pressure.subscribe() };
            tokio::spawn(async move {
                let _permit = permit;
                conn.serve(stream).await;
            });
        }
        let _ = closing.send(true);
    });
    ServerHandle::new(addr, tx)
}

/// One accepted connection.
struct Conn {
    app: Router,
    peer: SocketAddr,
    limits: ConnLimits,
    closing: watch::Receiver<bool>,
    pressure: watch::Receiver<bool>,
}

impl Conn {
    async fn serve(mut self, stream: tokio::net::TcpStream) {
        let peer = self.peer;
        // Requests in progress on this connection, and when it last had none.
        let busy = Arc::new(watch::Sender::new((0usize, tokio::time::Instant::now())));
        let mut changes = busy.subscribe();
        let (app, b2) = (self.app.clone(), busy.clone());
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let guard = Busy::start(b2.clone());
            let app = app.clone();
            async move {
                let _guard = guard;
                tower::ServiceExt::oneshot(app, req.map(axum::body::Body::new)).await
            }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(self.limits.header_timeout).max_buf_size(MAX_HEAD);
        let conn = http.serve_connection(TokioIo::new(stream), svc);
        tokio::pin!(conn);
        loop {
            let idle_since = {
                let b = changes.borrow_and_update();
                (b.0 == 0).then_some(b.1)
            };
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r { tracing::debug!(%peer, "connection ended: {e}"); }
                    return;
                }
                _ = async { let _ = self.closing.wait_for(|c| *c).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                    return;
                }
                _ = async {
                    let _ = self.pressure.wait_for(|p| *p).await;
                    match idle_since {
                        Some(t) => tokio::time::sleep_until(t + GRACE_UNDER_PRESSURE).await,
                        None => std::future::pending().await,
                    }
                } => {
                    if busy.borrow().0 == 0 && *self.pressure.borrow() {
                        tracing::debug!(%peer, "idle connection closed to make room");
                        return;
                    }
                }
                // A request started or ended: look again.
                _ = changes.changed() => {}
            }
        }
    }
}

/// Counts a request in progress on its connection while alive.
struct Busy(Arc<watch::Sender<(usize, tokio::time::Instant)>>);

impl Busy {
    fn start(b: Arc<watch::Sender<(usize, tokio::time::Instant)>>) -> Busy {
        b.send_modify(|b| b.0 += 1);
        Busy(b)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|b| *b = (b.0.saturating_sub(1), tokio::time::Instant::now()));
    }
}

/// True when a `Host` (or request authority) names this machine's loopback: `localhost`,
/// `127.x.x.x` or `[::1]`, with any port.
pub fn is_loopback_host(host: &str) -> bool {
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, after)) if after.is_empty() || after.strip_prefix(':').is_some_and(digits) => ip,
            _ => return false,
        },
        None => host.rsplit_once(':').filter(|(_, port)| digits(port)).map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Middleware of the local listener: refuses a request addressed to any other host name (a page
/// on `evil.example` whose DNS now answers 127.0.0.1 still sends `Host: evil.example`).
pub async fn loopback_only(req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or("\u{0}"));
    let authority = req.uri().authority().map(|a| a.as_str());
    if host.into_iter().chain(authority).all(is_loopback_host) {
        return next.run(req).await;
    }
    tracing::warn!(host = ?host, "local API request refused: Host is not a loopback name");
    let body = serde_json::json!({"error": {"code": "forbidden_host", "message": "this listener answers requests to localhost / 127.0.0.1 only"}});
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests;
