//! Demo mode (`paydesk-app --demo`): the gateway simulator and the callback server run in this
//! process, a sandbox account points at them, and demo users exist — so a newcomer can take a
//! simulated payment within a minute. Kept in one module so it can move to a shared `demo` crate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use paydesk_channels::sim::{self, SimConfig, SimHandle, SimKeys};
use paydesk_channels::ChannelEnv;
use paydesk_core::auth::{self, Role};
use paydesk_core::config::{PrinterConnection, PrinterSettings, ReconcileSettings, Settings};
use paydesk_core::{AccountsFile, Payments, Store};
use paydesk_server::ServerHandle;

/// Demo users: (name, role, PIN). Shown on the login screen in demo mode.
pub const USERS: [(&str, Role, &str); 3] = [("王芳", Role::Cashier, "1111"), ("李老板", Role::Owner, "999999"), ("陈会计", Role::Accountant, "5555")];

/// Sample payment codes for the scan field (last digit: 0–4 pays, 5 password, 7 declined, 9 slow).
/// The prefix tells the wallet, as real codes do: `28…` Alipay, `13…` WeChat Pay, `62…`
/// UnionPay (云闪付), `99…` the demo wallet — each served by its simulated account.
pub const SAMPLE_CODES: [(&str, &str); 7] = [
    ("280000000000000001", "Alipay: pays"),
    ("130000000000000001", "WeChat Pay: pays"),
    ("6212345678901234560", "UnionPay: pays"),
    ("990000000000000001", "pays"),
    ("990000000000000005", "password, then pays"),
    ("990000000000000007", "declined"),
    ("990000000000000009", "gateway too slow: checked, then paid"),
];

pub struct Demo {
    pub sim: SimHandle,
    pub server: ServerHandle,
    /// The demo's receipt printer: a virtual network printer that keeps what it was sent.
    pub printer: paydesk_print::VirtualPrinter,
    http: reqwest::Client,
    _lock: paydesk_core::service_lock::ServiceLock,
    _tmp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo").field("sim", &self.sim.addr).field("server", &self.server.addr).finish()
    }
}

fn account_toml(sim: &str, keys: &Path) -> String {
    format!(
        r#"
[[account]]
name = "sandbox-demo"
channel = "sandbox"
display_name = "演示收款 Demo"
fee_rate_bp = 60
base_url = "{sim}/sandbox"
[account.params]
merchant_id = "M100001"
private_key_file = "{keys}/merchant_private.pem"
gateway_public_key_file = "{keys}/gateway_public.pem"

# A second merchant account of the same wallet: routing falls over to it when the first fails.
[[account]]
name = "sandbox-backup"
channel = "sandbox"
display_name = "备用收款 Backup"
priority = 20
fee_rate_bp = 38
base_url = "{sim}/sandbox"
[account.params]
merchant_id = "M100001"
private_key_file = "{keys}/merchant_private.pem"
gateway_public_key_file = "{keys}/gateway_public.pem"
"#,
        keys = keys.display()
    ) + &paydesk_channels::demo::unionpay_account("unionpay-demo", "云闪付 Demo", sim, keys)
}

/// Starts the simulator and callback server and prepares `home` (a temporary one if `None`).
/// Must run inside the async runtime.
pub async fn start(home: Option<PathBuf>) -> anyhow::Result<(PathBuf, Arc<Payments>, Demo)> {
    let (home, tmp) = match home {
        Some(h) => (h, None),
        None => {
            let t = tempfile::Builder::new().prefix("paydesk-demo-").tempdir().context("temporary demo home")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    // A chosen home must be a demo's own (or new): a real shop's book is never touched.
    if tmp.is_none() {
        let foreign = paydesk_channels::demo::foreign_accounts(&home).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            foreign.is_empty(),
            "{} 是真实店铺的主目录（有非演示账户：{list}），演示模式不会改动它 / is a real shop's home (accounts demo mode did not make: {list}): demo mode leaves it alone. Start the demo without --home for a fresh temporary home.",
            home.display(),
            list = foreign.join(", ")
        );
    }
    let lock = paydesk_core::service_lock::ServiceLock::acquire(&home, "paydesk-app --demo").map_err(crate::lock_refusal)?;
    let keys = sim::demo_keys_dir();
    let mut cfg = SimConfig::new(SimKeys::load(&keys).map_err(anyhow::Error::msg)?);
    cfg.password_delay = Duration::from_secs(3);
    cfg.stall = Duration::from_secs(5);
    let sim = sim::start(cfg, "127.0.0.1:0".parse()?).await.context("simulator")?;
    // With a kept home (`--home`), the simulator keeps its trades beside the book, so a restarted
    // demo still agrees with it (queries, statements, reconciliation).
    if tmp.is_none() {
        sim.state.keep_at(&home.join("simulator.json")).context("simulator trades")?;
    }
    let store = Arc::new(Store::open(&Store::path_in(&home)).context("demo book")?);
    for a in AccountsFile::parse(&account_toml(&sim.base_url(), &keys))?.accounts {
        store.upsert_account(&a)?;
    }
    // The till offers what a Chinese shop's customers use: Alipay and WeChat Pay (and UnionPay,
    // above) take QR and code payments through the simulator like the demo wallet. They also
    // carry the owner's sales history; the simulator is given that history too (see
    // `seed_history`), so their statements agree with the book and every day reconciles clean.
    for mut a in AccountsFile::parse(&paydesk_channels::demo::demo_accounts(&sim.base_url(), &keys))?.accounts.into_iter().filter(|a| matches!(a.channel.as_str(), "alipay" | "wechat")) {
        if store.account(&a.name).is_err() {
            a.display_name = format!("{} Demo", a.display_name.trim_end_matches(" (simulated)"));
            store.upsert_account(&a)?;
        }
    }
    // The settlement demo's store accounts: the chain book → channel → bank of one fixed day.
    for a in AccountsFile::parse(&paydesk_channels::demo_chain::accounts_toml(&sim.base_url(), &keys))?.accounts {
        if store.account(&a.name).is_err() {
            store.upsert_account(&a)?;
        }
    }
    if auth::needs_setup(&store)? {
        // The owner first: the book refuses any other first user.
        let mut users = USERS;
        users.sort_by_key(|(_, role, _)| *role != Role::Owner);
        for (name, role, pin) in users {
            auth::add_user(&store, name, role, pin, &paydesk_core::Principal::System, chrono::Utc::now())?;
        }
    }
    // Reconciliation: yesterday's sales with planted differences, reconciled automatically at
    // start (run_at 00:00), so the accountant sees the alert and the discrepancies at once. The
    // wallets' history is written in the background below, so the schedule leaves them alone at
    // start; the simulator holds that history too, so reconciling one of them finds it in order.
    let reconcile = ReconcileSettings { run_at: "00:00".into(), catch_up_days: 1, accounts: vec!["sandbox-demo".into()], ..Default::default() };
    let printer = paydesk_print::VirtualPrinter::start(0).await.context("virtual printer")?;
    let receipt = PrinterSettings {
        connection: PrinterConnection::Tcp,
        address: printer.address(),
        shop_name: "演示小店".into(),
        header: vec!["Paydesk 演示 Demo".into()],
        ..PrinterSettings::default()
    };
    let settings = Settings { qr_lifetime_secs: 180, barcode_wait_secs: 20, barcode_poll_secs: 1, channel_timeout_secs: 3, reconcile, printer: receipt, ..Settings::load(&home).unwrap_or_default() };
    let tz = settings.recon_tz().unwrap_or(chrono_tz::Asia::Shanghai);
    let yesterday = chrono::Utc::now().with_timezone(&tz).date_naive().pred_opt().unwrap_or_default();
    paydesk_channels::demo_recon::seed_day(&store, &sim.state, &store.account("sandbox-demo")?, "M100001", yesterday, tz).map_err(anyhow::Error::msg)?;
    // The settlement day: the day before yesterday, whose payouts have arrived.
    let chain_day = yesterday.pred_opt().unwrap_or(yesterday);
    paydesk_channels::demo_chain::seed_day(&store, &sim.state, chain_day, tz).map_err(anyhow::Error::msg)?;
    // Months of sales for the owner's dashboard, written in the background once the window is up:
    // the till is usable at once (a payment taken meanwhile waits a moment for the book's writer).
    let days = std::env::var("PAYDESK_DEMO_HISTORY_DAYS").ok().and_then(|v| v.parse().ok()).unwrap_or(paydesk_channels::demo::HISTORY_DAYS);
    // The settlement day belongs to the store accounts' story (`demo_chain`): a quiet day at the
    // till, so its money chain shows only what the sample bank statements settle.
    let (history_store, history_sim, history_settings, history_quiet) = (store.clone(), sim.state.clone(), settings.clone(), chain_day);
    let env = ChannelEnv::new(&home, Duration::from_secs(settings.channel_timeout_secs));
    let payments = Arc::new(Payments::new(store, settings, paydesk_channels::factory(env))?);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        match paydesk_channels::demo::seed_history(&history_store, &history_sim, &history_settings, &["王芳", "李老板"], days, Some(history_quiet), chrono::Utc::now()) {
            Ok(orders) => tracing::info!(orders, days, "demo sales history"),
            Err(e) => tracing::warn!("demo sales history not written: {e}"),
        }
    });
    // A till mid-day: 王芳's shift is open with a float of 200.00 (the cashier hands it over from
    // the shift bar; a kept demo home keeps its own shifts).
    if payments.open_shift()?.is_none_or(|s| s.kind == paydesk_core::till::ShiftKind::System) {
        payments.open_cashier_shift(USERS[0].0, paydesk_core::Money::from_fen(20_000)?)?;
    }
    let (chain_payments, chain_home) = (payments.clone(), home.clone());
    tokio::spawn(async move {
        match paydesk_channels::demo_chain::settle_and_import(chain_payments, &chain_home, chain_day).await {
            Ok(files) => tracing::info!(day = %chain_day, ?files, "demo settlement day"),
            Err(e) => tracing::warn!("demo settlement day not read: {e}"),
        }
    });
    // The channel callbacks alone, as a real service serves them (the demo has no local API).
    let limits = paydesk_core::listeners::ServerSettings::default();
    let server = paydesk_server::serve(paydesk_server::public_app(payments.clone(), &limits), "127.0.0.1:0".parse()?).await.context("callback server")?;
    payments.set_notify_base(Some(server.base_url()));
    tracing::info!(home = %home.display(), sim = %sim.base_url(), callbacks = %server.base_url(), "demo mode");
    Ok((home, payments, Demo { sim, server, printer, http: reqwest::Client::new(), _lock: lock, _tmp: tmp }))
}

impl Demo {
    /// POSTs to the simulator's control API (`/_sim/…`); the error says what it refused.
    async fn control(&self, path: &str, body: serde_json::Value) -> Result<(), String> {
        let r = self.http.post(format!("{}/_sim/{path}", self.sim.base_url())).json(&body).send().await.map_err(|e| format!("simulator: {e}"))?;
        if r.status().is_success() {
            return Ok(());
        }
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        Err(body["error"].as_str().map_or_else(|| format!("simulator refused ({status})"), str::to_string))
    }

    /// Arms the simulator's fault injection for the sandbox channel: the next `times` requests of
    /// `op` fail with a system error.
    pub async fn fault(&self, op: &str, times: u32) -> Result<(), String> {
        self.control("fault", serde_json::json!({"channel": "sandbox", "op": op, "kind": "error", "times": times})).await
    }

    /// Plays the customer: `pay`, `decline` or `scan` the order's QR through the simulator.
    pub async fn simulate(&self, order_no: &str, action: &str) -> Result<(), String> {
        self.control("scan", serde_json::json!({"order_no": order_no, "action": action})).await
    }
}

/// Bench only (`PAYDESK_BENCH_PAYMENTS=N`): waits for the UI to settle, then takes N barcode
/// payments through the simulator and prints `bench: N payments in X s` when done.
pub async fn burst(payments: Arc<Payments>, n: u32) {
    let delay = std::env::var("PAYDESK_BENCH_DELAY_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    tokio::time::sleep(Duration::from_secs(delay)).await;
    let start = std::time::Instant::now();
    let mut ok = 0;
    for i in 0..n {
        let input = paydesk_core::payments::BarcodeInput {
            amount: paydesk_core::Money::from_fen(100 + i64::from(i % 900)).unwrap_or(paydesk_core::Money::ZERO),
            auth_code: format!("99{:015}{}", i, i % 5),
            ..Default::default()
        };
        match payments.barcode_pay(input, &paydesk_core::Principal::System).await {
            Ok(o) if o.status == paydesk_core::OrderStatus::Success => ok += 1,
            Ok(o) => tracing::warn!(order = %o.order_no, status = %o.status, "bench payment not paid"),
            Err(e) => tracing::warn!("bench payment failed: {e}"),
        }
    }
    println!("bench: {ok}/{n} payments in {:.1} s", start.elapsed().as_secs_f64());
}
