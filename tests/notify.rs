//! Merchant notifications: duplicate callbacks notify once; a receiver that is down for five
//! attempts gets the notification exactly once when it comes back, with the attempt log kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use paydesk_core::config::{NotifySettings, Settings};
use paydesk_core::payments::QrInput;
use paydesk_core::OrderStatus;
use paydesk_server::service::{self, Ticks};

use crate::common::{yuan, Harness, SANDBOX_ACCOUNT};

const SECRET: &str = "test-notify-secret-0123456789";

/// A merchant endpoint that fails the first `fail_first` requests, verifies signatures, and
/// records what it accepted.
struct Merchant {
    url: String,
    hits: Arc<AtomicUsize>,
    accepted: Arc<Mutex<Vec<serde_json::Value>>>,
    _server: paydesk_server::ServerHandle,
}

async fn merchant(fail_first: usize) -> Merchant {
    let hits = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let (h2, a2) = (hits.clone(), accepted.clone());
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (hits, accepted) = (h2.clone(), a2.clone());
            async move {
                let n = hits.fetch_add(1, Ordering::SeqCst);
                if n < fail_first {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let sig = headers.get("paydesk-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
                if !paydesk_core::notify::verify(SECRET.as_bytes(), sig, &body, chrono::Utc::now(), Duration::from_secs(300)) {
                    return StatusCode::UNAUTHORIZED;
                }
                accepted.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let server = paydesk_server::serve(app, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Merchant { url: format!("{}/hook", server.base_url()), hits, accepted, _server: server }
}

async fn service_with(h: &Harness, m: &Merchant) -> (Arc<paydesk_core::Payments>, service::Service) {
    std::fs::write(h.dir.path().join("notify.secret"), SECRET).unwrap();
    let settings = Settings {
        notify: NotifySettings { urls: vec![m.url.clone()], secret_file: Some("notify.secret".into()), max_attempts: 10, backoff_base_ms: 20 },
        callback: paydesk_core::config::CallbackMode::PublicUrl { base_url: h.server.base_url() },
        ..Settings::default()
    };
    let env = paydesk_channels::ChannelEnv::new(h.dir.path(), Duration::from_secs(1));
    let p = Arc::new(paydesk_core::Payments::new(h.payments.store().clone(), settings, paydesk_channels::factory(env)).unwrap());
    let svc = service::start(h.dir.path(), p.clone(), service::Listen::any_free(), Ticks { follower: Duration::from_secs(3600), deliverer: Duration::from_millis(20) }).await.unwrap();
    (p, svc)
}

async fn wait_for(mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "condition not reached in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn duplicate_callbacks_make_one_change_and_one_notification() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let m = merchant(0).await;
    let (p, _svc) = service_with(&h, &m).await;
    let o = p.create_qr(QrInput { amount: yuan("8.88"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    for _ in 0..10 {
        let r = h.http.post(format!("{}/_sim/notify", h.sim.base_url())).json(&serde_json::json!({"order_no": o.order_no.as_str()})).send().await.unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["delivered_status"], 200);
    }
    let d = p.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count(), 1);
    wait_for(|| m.accepted.lock().unwrap().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let accepted = m.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1, "exactly one notification");
    assert_eq!(accepted[0]["event"], "order.success");
    assert_eq!(accepted[0]["order"]["order_no"], o.order_no.as_str());
    assert_eq!(accepted[0]["order"]["amount"], "8.88");
}

#[tokio::test]
async fn receiver_down_for_five_attempts_gets_it_once_with_the_log() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let m = merchant(5).await;
    let (p, _svc) = service_with(&h, &m).await;
    let o = p.create_qr(QrInput { amount: yuan("2.50"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "decline", true).await;
    p.query(&o.order_no, paydesk_core::EventSource::Poll).await.unwrap();
    wait_for(|| m.accepted.lock().unwrap().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(m.accepted.lock().unwrap().len(), 1);
    assert_eq!(m.hits.load(Ordering::SeqCst), 6, "5 failures, then one delivery, then nothing");
    let n = &p.store().notifications(None, 10).unwrap()[0];
    assert_eq!((n.status.as_str(), n.attempts, n.event.as_str()), ("delivered", 6, "order.failed"));
    let log = p.store().notification_attempts(n.id).unwrap();
    let statuses: Vec<Option<u16>> = log.iter().map(|a| a.http_status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(503), Some(503), Some(503), Some(204)]);
    // Backoff doubled between attempts: 20, 40, 80, 160, 320 ms.
    let gaps: Vec<i64> = log.windows(2).map(|w| (w[1].at - w[0].at).num_milliseconds()).collect();
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "gaps grow: {gaps:?}");
    assert!(gaps[4] >= 300, "{gaps:?}");
}
