//! Callbacks verified and persisted per second on loopback, with p50/p99 latency, and a check
//! that no state change is lost or duplicated. Each callback is a real signed sandbox
//! notification (RSA-2048 verify over the raw body), posted over HTTP to the callback server,
//! checked against its order and applied in the book. The baseline printed beside it is the
//! cost of one bare signature verification measured in the same run.
//!
//! `cargo bench -p paydesk-e2e --bench callbacks [-- ORDERS CONCURRENCY]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use paydesk_channels::sandbox::wire;
use paydesk_channels::sign::RsaSigner;
use paydesk_channels::sim;
use paydesk_core::config::Settings;
use paydesk_core::store::NewOrder;
use paydesk_core::{AccountsFile, Method, Money, NumberGen, OrderStatus, PayKind, Payments, Store};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let conc: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let keys = sim::demo_keys_dir();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&Store::path_in(dir.path())).unwrap());
    for a in AccountsFile::parse(&paydesk_channels::demo::demo_accounts("http://127.0.0.1:9", &keys)).unwrap().accounts {
        store.upsert_account(&a).unwrap();
    }
    let p = Arc::new(Payments::new(store.clone(), Settings::default(), paydesk_channels::factory(paydesk_channels::ChannelEnv::new(dir.path(), Duration::from_secs(5)))).unwrap());
    let server = paydesk_server::serve(paydesk_server::app(p.clone()), "127.0.0.1:0".parse().unwrap()).await.unwrap();

    // n processing orders and, for each, the gateway's signed "paid" notification.
    let numbers = NumberGen::new("B1".parse().unwrap(), chrono_tz::Asia::Shanghai);
    let gateway = RsaSigner::from_pem(&std::fs::read_to_string(keys.join("gateway_private.pem")).unwrap()).unwrap();
    let now = chrono::Utc::now();
    let mut bodies = Vec::with_capacity(n);
    for i in 0..n {
        let no = numbers.next_order_no(now);
        let amount = Money::from_fen(100 + i as i64).unwrap();
        store
            .insert_order(&NewOrder { order_no: no.clone(), kind: PayKind::Qr, method: Method::Sandbox, channel: "sandbox".into(), account: "sandbox-main".into(), amount, fee: Money::ZERO, subject: "bench".into(), auth_code_masked: None, operator: None, principal: paydesk_core::Principal::System, till: "B1".into(), idempotency_key: None, created_at: now, expires_at: now + chrono::Duration::hours(1) , sale: None })
            .unwrap();
        store.apply(&no, OrderStatus::Processing, paydesk_core::EventSource::ChannelReply, "qr", &Default::default(), now).unwrap();
        let body = serde_json::to_vec(&wire::Notification { kind: "payment".into(), merchant: "M100001".into(), order_no: no.to_string(), trade_no: format!("T{i}"), amount: amount.fen(), status: "PAID".into(), paid_at: Some(now.timestamp()), refund_no: None, refund_amount: None }).unwrap();
        let ts = now.timestamp().to_string();
        let nonce = format!("n{i}");
        let sig = gateway.sign_b64(&wire::message(&ts, &nonce, &body));
        bodies.push((ts, nonce, sig, body));
    }
    // Baseline: one bare RSA-2048 verification.
    let verifier = gateway.public_key();
    let t = Instant::now();
    let reps = 2000;
    for (ts, nonce, sig, body) in bodies.iter().cycle().take(reps) {
        assert!(verifier.verify_b64(&wire::message(ts, nonce, body), sig));
    }
    let verify_cost = t.elapsed() / reps as u32;

    let url = format!("{}/cb/sandbox-main", server.base_url());
    let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().unwrap();
    let bodies = Arc::new(bodies);
    // Each callback is sent twice (a duplicate): 0 lost and 0 duplicated changes expected.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let (client, url, bodies) = (client.clone(), url.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for round in 0..2 {
                for i in (w..bodies.len()).step_by(conc) {
                    let (ts, nonce, sig, body) = &bodies[(i + round * 7) % bodies.len()];
                    let t = Instant::now();
                    let r = client.post(&url).header(wire::H_TIMESTAMP, ts).header(wire::H_NONCE, nonce).header(wire::H_SIGNATURE, sig).body(body.clone()).send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    lat.push(t.elapsed());
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    lat.sort();
    let paid = store.list_orders(&paydesk_core::store::OrderFilter { status: Some(OrderStatus::Success), ..Default::default() }).unwrap().len();
    let changes: usize = store.list_orders(&Default::default()).unwrap().iter().map(|o| store.order_detail(&o.order_no).unwrap().events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count()).sum();
    let rate = lat.len() as f64 / elapsed.as_secs_f64();
    println!("callbacks: {} signed callbacks ({n} orders, each delivered twice) in {:.2} s, {conc} concurrent senders", lat.len(), elapsed.as_secs_f64());
    println!("callbacks: throughput {rate:.0} callbacks/s   p50 {:.2} ms   p99 {:.2} ms", percentile(&lat, 0.5).as_secs_f64() * 1e3, percentile(&lat, 0.99).as_secs_f64() * 1e3);
    println!("callbacks: baseline RSA-2048 verification {:.1} µs = {:.0} verifications/s on one core; ratio callbacks/s ÷ verifications/s = {:.2}", verify_cost.as_secs_f64() * 1e6, 1.0 / verify_cost.as_secs_f64(), rate * verify_cost.as_secs_f64());
    println!("callbacks: lost {} · duplicated {} (orders paid {paid}/{n}, success transitions {changes})", n - paid, changes.saturating_sub(paid));
    let ok = rate >= 5000.0 && percentile(&lat, 0.99) < Duration::from_millis(20) && paid == n && changes == n;
    println!("callbacks: goal ≥ 5000/s, p99 < 20 ms, 0 lost, 0 duplicated: {}", if ok { "met" } else { "NOT met" });
}
