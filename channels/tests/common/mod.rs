//! End-to-end harness: a temporary book, the gateway simulator and the callback server on
//! 127.0.0.1, wired to a real `Payments` service with short timings. Channel tests build on it:
//!
//! ```ignore
//! let h = Harness::start(SANDBOX_ACCOUNT).await;
//! let o = h.payments.create_qr(QrInput { amount: yuan("12.34"), ..Default::default() }).await.unwrap();
//! h.scan(&o.order_no, "pay", false).await;
//! h.wait_status(&o.order_no, OrderStatus::Success).await;
//! ```
#![allow(dead_code, unreachable_pub)]

pub mod wallets;

use std::sync::Arc;
use std::time::Duration;

use paydesk_channels::sim::{self, SimConfig, SimHandle, SimKeys};
use paydesk_channels::ChannelEnv;
use paydesk_core::config::Settings;
use paydesk_core::payments::Timing;
use paydesk_core::{AccountsFile, Money, Order, OrderNo, OrderStatus, Payments, Store};
use paydesk_server::ServerHandle;

/// A sandbox account against the simulator. `{SIM}` = simulator base URL, `{KEYS}` = demo keys dir.
pub const SANDBOX_ACCOUNT: &str = r#"
[[account]]
name = "sandbox-main"
channel = "sandbox"
fee_rate_bp = 60
base_url = "{SIM}/sandbox"
[account.params]
merchant_id = "M100001"
private_key_file = "{KEYS}/merchant_private.pem"
gateway_public_key_file = "{KEYS}/gateway_public.pem"
"#;

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub sim: SimHandle,
    pub server: ServerHandle,
    pub payments: Arc<Payments>,
    pub http: reqwest::Client,
}

pub fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

/// Short timings so tests run in seconds.
pub fn fast_timing() -> Timing {
    Timing {
        qr_lifetime: Duration::from_secs(30),
        barcode_wait: Duration::from_secs(3),
        barcode_poll: Duration::from_millis(200),
        cancel_retry: Duration::from_millis(100),
        cancel_attempts: 3,
    }
}

impl Harness {
    /// Starts simulator + callback server and configures the accounts in `accounts_toml`.
    pub async fn start(accounts_toml: &str) -> Harness {
        Self::start_with(accounts_toml, fast_timing()).await
    }

    pub async fn start_with(accounts_toml: &str, timing: Timing) -> Harness {
        Self::start_with_keys(accounts_toml, timing, &[]).await
    }

    /// Like [`Harness::start_with`], with key files written into the home's `keys/` first
    /// (`{HOME}` in the accounts is the home): accounts read keys from there only.
    pub async fn start_with_keys(accounts_toml: &str, timing: Timing, keys: &[(&str, &[u8])]) -> Harness {
        let _ = tracing_subscriber_init();
        let keys_dir = sim::demo_keys_dir();
        let mut cfg = SimConfig::new(SimKeys::load(&keys_dir).expect("demo keys"));
        cfg.password_delay = Duration::from_millis(500);
        cfg.stall = Duration::from_millis(2500);
        let sim = sim::start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in keys {
            std::fs::create_dir_all(dir.path().join("keys")).unwrap();
            std::fs::write(dir.path().join("keys").join(name), bytes).unwrap();
        }
        let store = Arc::new(Store::open(&Store::path_in(dir.path())).unwrap());
        let text = accounts_toml.replace("{SIM}", &sim.base_url()).replace("{KEYS}", &keys_dir.display().to_string()).replace("{HOME}", &dir.path().display().to_string());
        for a in AccountsFile::parse(&text).expect("accounts").accounts {
            store.upsert_account(&a).unwrap();
        }
        let settings = Settings { channel_timeout_secs: 1, ..Settings::default() };
        let env = ChannelEnv::new(dir.path(), Duration::from_secs(1));
        let payments = Arc::new(Payments::new(store, settings, paydesk_channels::factory(env)).unwrap().with_timing(timing));
        let server = paydesk_server::serve(paydesk_server::app(payments.clone()), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        payments.set_notify_base(Some(server.base_url()));
        Harness { dir, sim, server, payments, http: reqwest::Client::new() }
    }

    /// The payer scans the QR of `order` and does `action` (`pay`, `decline`, `scan`).
    pub async fn scan(&self, order: &OrderNo, action: &str, lose_callback: bool) -> serde_json::Value {
        let r = self
            .http
            .post(format!("{}/_sim/scan", self.sim.base_url()))
            .json(&serde_json::json!({"order_no": order.as_str(), "action": action, "lose_callback": lose_callback}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "scan failed: {}", r.status());
        r.json().await.unwrap()
    }

    /// Arms a fault in the simulator for the next `times` calls of `op`.
    pub async fn fault(&self, channel: &str, op: &str, kind: &str, times: u32) {
        let r = self
            .http
            .post(format!("{}/_sim/fault", self.sim.base_url()))
            .json(&serde_json::json!({"channel": channel, "op": op, "kind": kind, "times": times}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// Waits (reading the book only, never asking the channel) until the order has `status`.
    pub async fn wait_status(&self, no: &OrderNo, status: OrderStatus) -> Order {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let o = self.payments.store().order(no).unwrap();
            if o.status == status {
                return o;
            }
            assert!(tokio::time::Instant::now() < deadline, "order {no} stayed {} (wanted {status})", o.status);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Callback deliveries the simulator made: (order_no, HTTP status).
    pub async fn deliveries(&self) -> Vec<(String, u16)> {
        self.sim.state.deliveries()
    }

    /// Posts raw bytes to our callback route, as a (possibly forged) channel would.
    pub async fn post_callback(&self, account: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, String) {
        let mut req = self.http.post(format!("{}/cb/{account}", self.server.base_url())).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }
}

fn tracing_subscriber_init() -> Option<()> {
    None
}
