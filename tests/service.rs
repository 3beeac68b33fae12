//! The running service: callbacks through a real tunnel server, lost callbacks found by the
//! follower, and a timeout close racing a late payment.

use std::sync::Arc;
use std::time::Duration;

use paydesk_core::config::{CallbackMode, Settings};
use paydesk_core::payments::QrInput;
use paydesk_core::{EventSource, OrderStatus};
use paydesk_server::service::{self, Ticks};
use paydesk_server::tunnel::TunnelState;

use crate::common::{yuan, Harness, SANDBOX_ACCOUNT};

fn fast() -> Ticks {
    Ticks { follower: Duration::from_millis(100), deliverer: Duration::from_millis(20) }
}

/// Payments for the harness's home with other settings (the harness's own runs polling-only).
fn payments_with(h: &Harness, settings: Settings) -> Arc<paydesk_core::Payments> {
    let env = paydesk_channels::ChannelEnv::new(h.dir.path(), Duration::from_secs(1));
    Arc::new(paydesk_core::Payments::new(h.payments.store().clone(), settings, paydesk_channels::factory(env)).unwrap().with_timing(crate::common::fast_timing()))
}

#[tokio::test]
async fn callback_arrives_through_the_tunnel() {
    // A real bore tunnel server on loopback (its control port is fixed: 7835).
    let mut server = bore_cli::server::Server::new(20000..=40000, None);
    server.set_bind_addr("127.0.0.1".parse().unwrap());
    server.set_bind_tunnels("127.0.0.1".parse().unwrap());
    tokio::spawn(server.listen());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let settings = Settings { callback: CallbackMode::Tunnel { server: "127.0.0.1".into(), secret_file: None }, ..Settings::default() };
    let p = payments_with(&h, settings);
    let svc = service::start(h.dir.path(), p.clone(), service::Listen::any_free(), fast()).await.unwrap();
    let mut state = svc.tunnel.as_ref().unwrap().watch();
    let url = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let TunnelState::Connected { public_url } = state.borrow().clone() {
                return public_url;
            }
            state.changed().await.unwrap();
        }
    })
    .await
    .expect("tunnel connects");
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(p.notify_url("sandbox-main").unwrap(), format!("{url}/cb/sandbox-main"));
    // The status endpoint shows it.
    let st: serde_json::Value = reqwest::get(format!("{}/status", svc.server.base_url())).await.unwrap().json().await.unwrap();
    assert_eq!(st["tunnel"]["state"], "connected");
    // What the tunnel forwards is the callbacks alone: no status, API or API description.
    for path in ["/status", "/api/v1/payments", "/openapi.json", "/health"] {
        let r = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(r.status(), 404, "{path} must not be reachable through the tunnel");
    }

    let o = p.create_qr(QrInput { amount: yuan("6.60"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", false).await;
    let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
    let d = p.store().order_detail(&done.order_no).unwrap();
    assert_eq!(d.events.last().unwrap().source, EventSource::Callback, "paid by the callback that came through the tunnel");
}

#[tokio::test]
async fn lost_callback_is_found_by_the_follower() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let p = payments_with(&h, Settings::default());
    let _svc = service::start(h.dir.path(), p.clone(), service::Listen::any_free(), fast()).await.unwrap();
    let o = p.create_qr(QrInput { amount: yuan("3.30"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    // Nobody queries by hand: the follower's schedule (2 s, 3 s, …) finds it.
    let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
    assert_eq!(p.store().order_detail(&done.order_no).unwrap().events.last().unwrap().source, EventSource::Poll);
}

#[tokio::test]
async fn timeout_close_racing_a_late_payment_ends_paid() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let mut t = crate::common::fast_timing();
    t.qr_lifetime = Duration::from_millis(300);
    let p = Arc::new(paydesk_core::Payments::new(h.payments.store().clone(), Settings::default(), paydesk_channels::factory(paydesk_channels::ChannelEnv::new(h.dir.path(), Duration::from_secs(1)))).unwrap().with_timing(t));
    // Unpaid and expired: closed at the channel and in the book.
    let a = p.create_qr(QrInput { amount: yuan("1.00"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let a = p.follow_once(&a.order_no, EventSource::Poll).await.unwrap();
    assert_eq!(a.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.find(a.order_no.as_str()).unwrap().status, paydesk_channels::sim::SimStatus::Closed);
    // Paid just before the close (callback lost): the close fails at the channel, the query
    // proves the payment, and the order ends Success — never Closed.
    let b = p.create_qr(QrInput { amount: yuan("2.00"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    h.scan(&b.order_no, "pay", true).await;
    let b = p.close(&b.order_no, EventSource::Timeout, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(b.status, OrderStatus::Success);
    // And a payment callback arriving after we closed (money did arrive) is booked, not hidden.
    let p = &h.payments; // this one gives the channel our callback URL
    let c = p.create_qr(QrInput { amount: yuan("4.00"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    h.scan(&c.order_no, "pay", true).await;
    p.store().apply(&c.order_no, OrderStatus::Closed, EventSource::Timeout, "closed by a confused till", &Default::default(), chrono::Utc::now()).unwrap();
    let r = h.http.post(format!("{}/_sim/notify", h.sim.base_url())).json(&serde_json::json!({"order_no": c.order_no.as_str()})).send().await.unwrap();
    assert!(r.status().is_success());
    assert_eq!(p.store().order(&c.order_no).unwrap().status, OrderStatus::Success);
}

#[tokio::test]
async fn callbacks_from_outside_the_allowlist_are_refused() {
    let account = SANDBOX_ACCOUNT.replace("fee_rate_bp = 60", "fee_rate_bp = 60\ncallback_allow = [\"10.9.9.0/24\"]");
    let h = Harness::start(&account).await;
    let o = h.payments.create_qr(QrInput { amount: yuan("1.50"), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let r = h.http.post(format!("{}/_sim/notify", h.sim.base_url())).json(&serde_json::json!({"order_no": o.order_no.as_str()})).send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["delivered_status"], 403, "the simulator calls from 127.0.0.1, which is not allowed");
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Processing);
}
