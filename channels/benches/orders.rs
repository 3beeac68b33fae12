//! Order-creation throughput against the simulator on loopback, next to the cost of one
//! RSA-2048 signature measured in the same run (each order costs two signatures and two
//! verifications: ours on the request, the gateway's on the reply).
//!
//! `cargo bench -p paydesk-channels --bench orders [-- ORDERS CONCURRENCY]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use paydesk_channels::sign::RsaSigner;
use paydesk_channels::sim::{self, SimConfig, SimKeys};
use paydesk_channels::ChannelEnv;
use paydesk_core::config::Settings;
use paydesk_core::payments::QrInput;
use paydesk_core::{AccountsFile, Money, Payments, Store};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let orders: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let conc: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(32);
    let keys_dir = sim::demo_keys_dir();

    // Baseline: one RSA-2048 PKCS#1 v1.5 SHA-256 signature.
    let signer = RsaSigner::from_pem(&std::fs::read_to_string(keys_dir.join("merchant_private.pem")).unwrap()).unwrap();
    let n_sign = 300;
    let t = Instant::now();
    for i in 0..n_sign {
        std::hint::black_box(signer.sign(format!("message {i}").as_bytes()));
    }
    let sign_cost = t.elapsed() / n_sign;

    let sim = sim::start(SimConfig::new(SimKeys::load(&keys_dir).unwrap()), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&Store::path_in(dir.path())).unwrap());
    let text = paydesk_channels::demo::demo_accounts(&sim.base_url(), &keys_dir);
    for a in AccountsFile::parse(&text).unwrap().accounts {
        store.upsert_account(&a).unwrap();
    }
    let settings = Settings { max_order_amount: "100000".into(), ..Settings::default() };
    let p = Arc::new(Payments::new(store, settings, paydesk_channels::factory(ChannelEnv::new(dir.path(), Duration::from_secs(10)))).unwrap());

    // Warm up connections.
    for _ in 0..20 {
        p.create_qr(QrInput { amount: Money::from_fen(100).unwrap(), method: Some(paydesk_core::Method::Sandbox), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
    }
    let start = Instant::now();
    let per = orders / conc;
    let mut tasks = Vec::new();
    for w in 0..conc {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let t = Instant::now();
                let o = p.create_qr(QrInput { amount: Money::from_fen(100 + (w * per + i) as i64).unwrap(), method: Some(paydesk_core::Method::Sandbox), ..Default::default() }, &paydesk_core::Principal::System).await.unwrap();
                assert_eq!(o.status, paydesk_core::OrderStatus::Processing);
                lat.push(t.elapsed());
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
    let done = lat.len();
    let rate = done as f64 / elapsed.as_secs_f64();
    let signs_per_sec = 1.0 / sign_cost.as_secs_f64();
    println!("orders: {done} QR orders created in {:.2} s with {conc} concurrent clients (sign, send, verify, persist, on loopback)", elapsed.as_secs_f64());
    println!("orders: throughput {rate:.0} orders/s   p50 {:.2} ms   p99 {:.2} ms", percentile(&lat, 0.5).as_secs_f64() * 1e3, percentile(&lat, 0.99).as_secs_f64() * 1e3);
    println!("orders: baseline RSA-2048 signature {:.0} µs = {signs_per_sec:.0} signatures/s on one core", sign_cost.as_secs_f64() * 1e6);
    println!("orders: ratio orders/s ÷ signatures/s = {:.2} (each order needs 2 signatures + 2 verifications across client and gateway)", rate / signs_per_sec);
    println!("orders: goal ≥ 1000 orders/s on 2 cores: {}", if rate >= 1000.0 { "met" } else { "NOT met" });
}
