//! The gateway simulator: plays the channels' side on 127.0.0.1 with their real protocols.
//!
//! One axum server hosts every simulated channel under its own path prefix (`/sandbox`,
//! `/alipay`, `/wechat`, `/unionpay`, …) over a shared book of simulated trades, plus a control API under
//! `/_sim` that plays the payer (scan and pay, decline) and injects faults for tests:
//!
//! | control call | does |
//! |---|---|
//! | `GET /_sim/trades` | lists the simulated trades |
//! | `POST /_sim/scan {"order_no", "action": "pay"\|"decline"\|"scan", "lose_callback"?}` | the payer scans a QR and pays / declines / stays pending; a signed callback follows unless lost |
//! | `POST /_sim/notify {"order_no"}` | sends the trade's callback again |
//! | `POST /_sim/fault {"channel", "op", "kind": "timeout"\|"error", "times"}` | the next `times` calls of `op` fail |
//!
//! Barcode payers behave by the **last digit** of the payment code: 0–4 pay at once; 5 must enter
//! a password, then pay after `password_delay`; 6 enters no password (never pays); 7 is declined
//! (insufficient balance); 8 makes the gateway answer with a system error although the charge
//! went through; 9 makes the gateway answer after the client has timed out (charge went through).

pub mod alipay;
mod book;
mod control;
pub mod epay;
mod keys;
pub(crate) mod ledger;
pub(crate) mod sandbox;
pub mod unionpay;
pub mod wechat;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use book::trade_owner;
pub use keys::{demo_keys_dir, SimKeys};

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub keys: SimKeys,
    /// How long a "password" payer takes before paying.
    pub password_delay: Duration,
    /// How long the gateway stalls for a "timeout" payer (longer than the client's timeout).
    pub stall: Duration,
}

impl SimConfig {
    pub fn new(keys: SimKeys) -> SimConfig {
        SimConfig { keys, password_delay: Duration::from_secs(2), stall: Duration::from_secs(12) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimStatus {
    /// QR issued, not scanned.
    Created,
    /// Payer is confirming (password).
    Waiting,
    Paid,
    Closed,
    Failed,
    /// Cancelled/reversed after payment: money returned.
    Reversed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    Pay,
    PasswordThenPay,
    PasswordNever,
    Decline,
    SystemError,
    Stall,
}

impl Payer {
    /// Behaviour by the last digit of a payment code (see the module docs).
    pub fn from_auth_code(code: &str) -> Payer {
        match code.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0) {
            5 => Payer::PasswordThenPay,
            6 => Payer::PasswordNever,
            7 => Payer::Decline,
            8 => Payer::SystemError,
            9 => Payer::Stall,
            _ => Payer::Pay,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimRefund {
    pub refund_no: String,
    pub refund_id: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// One simulated trade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trade {
    /// Saved books carry it beside the trade (see `book`).
    #[serde(skip_deserializing)]
    pub channel: &'static str,
    pub merchant: String,
    /// Channel-specific id (Alipay app_id, WeChat appid …); empty where none.
    pub app_id: String,
    pub order_no: String,
    pub trade_no: String,
    pub amount: i64,
    pub subject: String,
    pub status: SimStatus,
    pub barcode: bool,
    pub payer: Payer,
    pub notify_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub buyer: String,
    pub refunds: Vec<SimRefund>,
}

impl Trade {
    /// A QR trade paid at `paid` (created a little before), with its refunds: history the
    /// simulator files as settled (demo days, tests).
    #[allow(clippy::too_many_arguments)]
    pub fn settled(channel: &'static str, merchant: &str, app_id: &str, order_no: &str, trade_no: &str, amount: i64, subject: &str, paid: DateTime<Utc>, refunds: Vec<SimRefund>) -> Trade {
        Trade {
            channel,
            merchant: merchant.into(),
            app_id: app_id.into(),
            order_no: order_no.into(),
            trade_no: trade_no.into(),
            amount,
            subject: subject.into(),
            status: SimStatus::Paid,
            barcode: false,
            payer: Payer::Pay,
            notify_url: None,
            created_at: paid - chrono::Duration::seconds(25),
            paid_at: Some(paid),
            buyer: "demo".into(),
            refunds,
        }
    }

    /// A barcode charge as the payer answers it at once: paid (a slow or failing gateway still
    /// takes the money), waiting for the password, or declined.
    pub fn charged_by(mut self, payer: Payer) -> Trade {
        match payer {
            Payer::Pay | Payer::SystemError | Payer::Stall => {
                self.status = SimStatus::Paid;
                self.paid_at = Some(Utc::now());
            }
            Payer::PasswordThenPay | Payer::PasswordNever => self.status = SimStatus::Waiting,
            Payer::Decline => self.status = SimStatus::Failed,
        }
        self
    }

    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// Advances time-based payer behaviour (a password payer pays after the delay).
    fn tick(&mut self, delay: Duration, now: DateTime<Utc>) {
        if self.status == SimStatus::Waiting && self.payer == Payer::PasswordThenPay {
            let due = self.created_at + chrono::Duration::from_std(delay).unwrap_or_default();
            if now >= due {
                self.status = SimStatus::Paid;
                self.paid_at = Some(now);
            }
        }
    }
}

/// A fault to inject into the next calls of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Timeout,
    Error,
}

/// The shared state of all simulated channels.
pub struct SimState {
    pub cfg: SimConfig,
    trades: Mutex<HashMap<String, Trade>>,
    faults: Mutex<HashMap<(String, String), (FaultKind, u32)>>,
    seq: std::sync::atomic::AtomicU64,
    http: reqwest::Client,
    /// Callbacks delivered (order_no, HTTP status) — for tests and the demo panel.
    deliveries: Mutex<Vec<(String, u16)>>,
    /// Small channel-specific simulator state by key (e.g. `wechat/pubkey/{mchid}`).
    ext: Mutex<HashMap<String, String>>,
    /// Bumped by every change to the trades (the saved book is rewritten when it moved).
    version: std::sync::atomic::AtomicU64,
    /// Where the trade book is kept between runs (demo mode with a kept home), if anywhere.
    saved_at: Mutex<Option<std::path::PathBuf>>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimState")
    }
}

impl SimState {
    pub fn new(cfg: SimConfig) -> Arc<SimState> {
        Arc::new(SimState {
            cfg,
            trades: Mutex::new(HashMap::new()),
            faults: Mutex::new(HashMap::new()),
            seq: std::sync::atomic::AtomicU64::new(1),
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default(),
            deliveries: Mutex::new(Vec::new()),
            ext: Mutex::new(HashMap::new()),
            version: std::sync::atomic::AtomicU64::new(0),
            saved_at: Mutex::new(None),
        })
    }

    fn key(channel: &str, merchant: &str, order_no: &str) -> String {
        format!("{channel}/{merchant}/{order_no}")
    }

    /// A new channel-side id like `2026112522001400001`.
    pub fn next_id(&self, prefix: &str) -> String {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}{}{n:08}", Utc::now().format("%Y%m%d"))
    }

    /// Inserts a trade unless one exists with that order number (returns the existing one).
    pub fn insert(&self, t: Trade) -> Result<Trade, Box<Trade>> {
        let mut m = self.trades.lock().unwrap_or_else(|p| p.into_inner());
        let k = Self::key(t.channel, &t.merchant, &t.order_no);
        if let Some(existing) = m.get(&k) {
            return Err(Box::new(existing.clone()));
        }
        m.insert(k, t.clone());
        self.changed();
        Ok(t)
    }

    /// Reads a trade (after advancing payer behaviour).
    pub fn get(&self, channel: &str, merchant: &str, order_no: &str) -> Option<Trade> {
        self.update(channel, merchant, order_no, |_| ())
    }

    /// Changes a trade in place; returns the new state.
    pub fn update(&self, channel: &str, merchant: &str, order_no: &str, f: impl FnOnce(&mut Trade)) -> Option<Trade> {
        let mut m = self.trades.lock().unwrap_or_else(|p| p.into_inner());
        let t = m.get_mut(&Self::key(channel, merchant, order_no))?;
        t.tick(self.cfg.password_delay, Utc::now());
        f(t);
        self.changed();
        Some(t.clone())
    }

    /// Finds a trade by our order number alone (order numbers are unique across channels).
    pub fn find(&self, order_no: &str) -> Option<Trade> {
        let m = self.trades.lock().unwrap_or_else(|p| p.into_inner());
        m.values().find(|t| t.order_no == order_no).cloned()
    }

    pub fn find_refund(&self, channel: &str, merchant: &str, refund_no: &str) -> Option<(Trade, SimRefund)> {
        let m = self.trades.lock().unwrap_or_else(|p| p.into_inner());
        m.values()
            .filter(|t| t.channel == channel && t.merchant == merchant)
            .find_map(|t| t.refunds.iter().find(|r| r.refund_no == refund_no).map(|r| (t.clone(), r.clone())))
    }

    pub fn trades(&self, channel: Option<&str>) -> Vec<Trade> {
        let mut m = self.trades.lock().unwrap_or_else(|p| p.into_inner());
        let now = Utc::now();
        let mut v: Vec<Trade> = m
            .values_mut()
            .filter(|t| channel.is_none_or(|c| t.channel == c))
            .map(|t| {
                t.tick(self.cfg.password_delay, now);
                t.clone()
            })
            .collect();
        v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.order_no.cmp(&b.order_no)));
        v
    }

    /// Takes one injected fault for `channel`/`op`, if any is armed.
    pub fn take_fault(&self, channel: &str, op: &str) -> Option<FaultKind> {
        let mut m = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let k = (channel.to_string(), op.to_string());
        let (kind, left) = m.get_mut(&k)?;
        let kind = *kind;
        *left -= 1;
        if *left == 0 {
            m.remove(&k);
        }
        Some(kind)
    }

    pub fn arm_fault(&self, channel: &str, op: &str, kind: FaultKind, times: u32) {
        let mut m = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        if times == 0 {
            m.remove(&(channel.to_string(), op.to_string()));
        } else {
            m.insert((channel.to_string(), op.to_string()), (kind, times));
        }
    }

    /// Reads a channel simulator's own value (see `ext_set`).
    pub fn ext_get(&self, key: &str) -> Option<String> {
        self.ext.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// Stores a channel simulator's own value; keys start with the channel name.
    pub fn ext_set(&self, key: &str, value: &str) {
        self.ext.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), value.to_string());
        self.changed();
    }

    pub fn deliveries(&self) -> Vec<(String, u16)> {
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sends a prepared callback and records the answer's status (0 = no answer).
    pub async fn deliver(&self, order_no: &str, cb: Callback) -> u16 {
        let mut req = if cb.get { self.http.get(&cb.url) } else { self.http.post(&cb.url).body(cb.body) };
        for (k, v) in &cb.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let status = match req.send().await {
            Ok(r) => r.status().as_u16(),
            Err(e) => {
                tracing::info!(order_no, "simulated callback not delivered: {e}");
                0
            }
        };
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).push((order_no.to_string(), status));
        status
    }

    /// Builds the payment callback of a trade in its channel's protocol (None: no notify URL).
    pub fn payment_callback(&self, t: &Trade) -> Option<Callback> {
        let url = t.notify_url.clone()?;
        match t.channel {
            "sandbox" => Some(sandbox::payment_callback(self, t, url)),
            "alipay" => Some(alipay::payment_callback(self, t, url)),
            "wechat" => wechat::payment_callback(self, t, url),
            "unionpay" => unionpay::payment_callback(self, t, url),
            "epay" => Some(epay::payment_callback(self, t, url)),
            _ => None,
        }
    }

    /// Sends the payment callback of a trade in the background (retrying like a real gateway,
    /// a few times with short spacing, until it gets a 2xx).
    pub fn spawn_payment_callback(self: &Arc<Self>, t: &Trade) {
        let Some(cb) = self.payment_callback(t) else { return };
        let me = self.clone();
        let order_no = t.order_no.clone();
        tokio::spawn(async move {
            for wait in [0u64, 1, 2, 4] {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                let s = me.deliver(&order_no, cb.clone()).await;
                if (200..300).contains(&s) {
                    break;
                }
            }
        });
    }
}

/// A callback ready to send.
#[derive(Debug, Clone)]
pub struct Callback {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sent as a GET with the fields in the URL's query (易支付-style), not a POST of `body`.
    pub get: bool,
}

/// The simulator's full router.
pub fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .nest("/_sim", control::routes())
        .nest("/sandbox", sandbox::routes())
        .nest("/alipay", alipay::routes())
        .nest("/wechat", wechat::routes())
        .nest("/unionpay", unionpay::routes())
        .nest("/epay", epay::routes())
        .with_state(state)
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    pub addr: SocketAddr,
    pub state: Arc<SimState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SimHandle {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Err(e) = self.state.flush() {
            tracing::warn!("simulator trades not saved: {e}");
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the simulator on `addr` (use port 0 for any free port) in the current runtime.
pub async fn start(cfg: SimConfig, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let state = SimState::new(cfg);
    let app = router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        }).await;
    });
    Ok(SimHandle { addr, state, shutdown: Some(tx) })
}
