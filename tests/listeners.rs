//! The service's two listeners under abuse, with real sockets: the public one serves the
//! callbacks alone; the loopback one refuses foreign Host names; oversized and never-ending
//! bodies are cut off; a flood of idle connections on the public side neither reaches the local
//! API nor stops the callbacks for good.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use paydesk_core::config::{CallbackMode, Settings};
use paydesk_core::listeners::ServerSettings;
use paydesk_server::service::{self, Listen, Ticks};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{Harness, SANDBOX_ACCOUNT};

/// A service with short limits, its callbacks on their own listener.
async fn abused_service(h: &Harness, header_timeout_secs: u64) -> service::Service {
    let server = ServerSettings { header_timeout_secs, max_connections: 64, callback_timeout_secs: 1, ..ServerSettings::default() };
    let settings = Settings { callback: CallbackMode::PublicUrl { base_url: "https://pay.example.com".into() }, server, ..Settings::default() };
    let env = paydesk_channels::ChannelEnv::new(h.dir.path(), Duration::from_secs(1));
    let p = std::sync::Arc::new(paydesk_core::Payments::new(h.payments.store().clone(), settings, paydesk_channels::factory(env)).unwrap());
    service::start(h.dir.path(), p, Listen::any_free(), Ticks { follower: Duration::from_secs(3600), deliverer: Duration::from_secs(3600) }).await.unwrap()
}

/// Sends `head` (and `body`) raw; returns the status code of the answer ("" when none came).
async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(body).await;
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.ok().and_then(Result::ok).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn get(path: &str, host: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[tokio::test]
async fn each_listener_serves_only_its_own_routes_and_guards_its_host() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let svc = abused_service(&h, 1).await;
    let (local, public) = (svc.server.addr, svc.callbacks.as_ref().expect("callbacks listener").addr);
    assert!(local.ip().is_loopback());
    for path in ["/status", "/api/v1/payments", "/openapi.json", "/health"] {
        assert_eq!(raw(public, &get(path, "pay.example.com"), b"").await, 404, "{path} on the public listener");
    }
    assert_eq!(raw(local, &get("/status", "127.0.0.1"), b"").await, 200);
    assert_eq!(raw(local, &get("/openapi.json", "localhost:8428"), b"").await, 200);
    // DNS rebinding: a web page on evil.example, resolved to 127.0.0.1, still names its host.
    for path in ["/status", "/openapi.json", "/api/v1/payments"] {
        assert_eq!(raw(local, &get(path, "evil.example:8428"), b"").await, 403, "{path}");
    }
    // The callbacks are not on the local listener.
    assert_eq!(raw(local, "POST /cb/sandbox-main HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", b"{}").await, 404);
}

#[tokio::test]
async fn oversized_and_never_ending_bodies_are_cut_off() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let svc = abused_service(&h, 1).await;
    let public = svc.callbacks.as_ref().unwrap().addr;
    // 10 MiB announced: refused before it is read.
    let big = "POST /cb/sandbox-main HTTP/1.1\r\nHost: pay.example.com\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n";
    assert_eq!(raw(public, big, &vec![b'x'; 128 * 1024]).await, 413);
    // A body that never ends: the request times out.
    let started = Instant::now();
    let slow = "POST /cb/sandbox-main HTTP/1.1\r\nHost: pay.example.com\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    assert_eq!(raw(public, slow, b"{\"a\":").await, 503);
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    // Still answering: an (unsigned) callback gets the channel's refusal, not silence.
    let code = raw(public, "POST /cb/sandbox-main HTTP/1.1\r\nHost: pay.example.com\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", b"{}").await;
    assert!(code >= 200, "answered with {code}");
}

#[tokio::test]
async fn a_flood_of_idle_connections_neither_reaches_the_local_api_nor_stops_the_callbacks() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let svc = abused_service(&h, 10).await;
    let (local, public) = (svc.server.addr, svc.callbacks.as_ref().unwrap().addr);
    let mut idle = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(public).await.unwrap();
        let _ = s.write_all(b"POST /cb/sandbox-main HTTP/1.1\r\nHost: x\r\n").await; // slowloris: never ends its headers
        idle.push(s);
    }
    // The local API does not notice.
    let started = Instant::now();
    assert_eq!(raw(local, &get("/status", "127.0.0.1"), b"").await, 200);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    // The callbacks listener answers soon: while clients wait for a slot, connections that have
    // no request in progress make room after half a second (the header timeout here is 10 s; 300
    // waiting their full turn would take 300 / 64 × 10 s).
    let started = Instant::now();
    let code = raw(public, &get("/cb/sandbox-main", "pay.example.com"), b"").await;
    assert!(code >= 200, "no answer");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    drop(idle);
}
