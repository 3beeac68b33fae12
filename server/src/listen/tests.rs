//! The limits with real sockets: a slowloris client, hundreds of idle connections, the Host guard.

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

async fn start(limits: ConnLimits) -> ServerHandle {
    let app = Router::new().route("/ping", get(|| async { "pong" })).route("/local", get(|| async { "yes" }).layer(axum::middleware::from_fn(loopback_only)));
    let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
    serve_limited(app, listener, limits)
}

/// One plain HTTP/1.1 request on a fresh connection; the status code and body.
async fn get_raw(addr: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let code = buf.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, buf.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

/// Reads until the server closes the connection (or `within` passes); true if it closed.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let h = start(ConnLimits { header_timeout: Duration::from_secs(1), max_connections: 8 }).await;
    let mut slow = TcpStream::connect(h.addr).await.unwrap();
    slow.write_all(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    let started = Instant::now();
    // Slowloris: one more header byte every 200 ms, never the blank line.
    let drip = async {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1600), drip).await;
    assert!(closed_within(&mut slow, Duration::from_secs(2)).await, "still open after {:?}", started.elapsed());
    // An idle connection (nothing sent at all) is dropped the same way.
    let mut idle = TcpStream::connect(h.addr).await.unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(3)).await);
    assert_eq!(get_raw(h.addr, "/ping", "127.0.0.1").await.0, 200);
}

#[tokio::test]
async fn hundreds_of_idle_connections_do_not_stop_it_answering() {
    let h = start(ConnLimits { header_timeout: Duration::from_secs(1), max_connections: 64 }).await;
    // 300 clients connect and say nothing (more than the listener serves at once).
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(h.addr).await.unwrap());
    }
    // A real request still gets its answer: the idle ones time out in turns of one second.
    let started = Instant::now();
    let (code, body) = tokio::time::timeout(Duration::from_secs(10), get_raw(h.addr, "/ping", "127.0.0.1")).await.expect("answered");
    assert_eq!((code, body.as_str()), (200, "pong"));
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    // And the idle ones were all closed by the server, not left holding the process.
    let mut open = 0;
    for mut s in idle {
        if !closed_within(&mut s, Duration::from_millis(10)).await {
            open += 1;
        }
    }
    assert!(open < 64, "{open} idle connections still open");
}

#[tokio::test]
async fn the_local_guard_refuses_foreign_host_names() {
    let h = start(ConnLimits::default()).await;
    for host in ["127.0.0.1", "localhost", "LOCALHOST:8428", "127.0.0.1:8428", "[::1]:8428", "127.1.2.3"] {
        assert_eq!(get_raw(h.addr, "/local", host).await, (200, "yes".into()), "{host}");
    }
    for host in ["evil.example", "evil.example:8428", "localhost.evil.example", "127.0.0.1.evil.example", "10.0.0.5:8428", "[::1].evil"] {
        let (code, body) = get_raw(h.addr, "/local", host).await;
        assert_eq!(code, 403, "{host}");
        assert!(body.contains("forbidden_host"), "{body}");
    }
    // Routes without the guard answer anyone.
    assert_eq!(get_raw(h.addr, "/ping", "evil.example").await.0, 200);
}

#[test]
fn loopback_host_names() {
    assert!(is_loopback_host("localhost") && is_loopback_host("127.0.0.1:1") && is_loopback_host("[::1]") && is_loopback_host("[::1]:80"));
    assert!(!is_loopback_host("") && !is_loopback_host("example.com") && !is_loopback_host("127.0.0.1:80:80") && !is_loopback_host("::1.example"));
}
