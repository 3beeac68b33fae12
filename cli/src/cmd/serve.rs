//! `serve` (callback server + follower + the T+1 reconciliation schedule) and `demo` (all of it
//! wired to the simulator, with yesterday's reconciliation day seeded).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use clap::Args;
use paydesk_core::service_lock::ServiceLock;
use paydesk_core::Payments;
use paydesk_server::service::Listen;
use serde_json::json;

use crate::ctx;
use crate::i18n::tr;
use crate::out::{CliError, Out, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Loopback address of the local API and /status (default: the `listen` setting).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Address of the channel callbacks alone, what a tunnel or proxy forwards to (default: the
    /// `callback_listen` setting).
    #[arg(long, value_name = "ADDR")]
    callback_listen: Option<SocketAddr>,
}

/// What the banner shows: where the local API and the callbacks listen.
struct Bound {
    local: SocketAddr,
    callbacks: Option<SocketAddr>,
}

impl Bound {
    fn callbacks_text(&self) -> String {
        self.callbacks.map_or_else(|| "off (polling only)".into(), |a| format!("http://{a}/cb/<account>"))
    }
}

/// Starts the service (listeners, tunnel, recovery, follower, notifications) and waits for Ctrl-C
/// or SIGTERM; `lock` is the home's service lock, held until then. With `backups`, the book is also backed up daily and when the service stops.
async fn run_service(home: &Path, mut lock: ServiceLock, p: Arc<Payments>, listen: Listen, backups: bool, o: &Out, banner: impl FnOnce(&Bound) -> (serde_json::Value, String)) -> Result<i32, CliError> {
    // Listening from the start: a stop right after the banner still shuts the service down.
    let mut stop_signal = crate::signals::Signals::stop()?;
    let rec = Arc::new(paydesk_core::reconcile::Reconciler::new(p.clone(), home, Arc::new(paydesk_channels::statement::Parsers)));
    let leg = Arc::new(super::bank::leg(&p, home));
    let backup = (backups && p.settings().backup.enabled).then(|| (p.store().clone(), home.to_path_buf(), p.settings().backup.clone()));
    let svc = paydesk_server::service::start(home, p, listen, paydesk_server::service::Ticks::default()).await.map_err(|e| CliError::invalid("serve", e))?;
    if let Err(e) = lock.set_listen(&svc.server.addr.to_string()) {
        tracing::warn!("{e}");
    }
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    if let Some((store, home, settings)) = backup.clone() {
        tokio::spawn(paydesk_core::backup::run_daily(store, home, settings, stop_rx.clone()));
    }
    let on_run: Arc<dyn Fn(&paydesk_core::store::RunRecord) + Send + Sync> = Arc::new(|r| tracing::info!(account = %r.account, day = %r.day, open = r.open, "reconciliation {}", r.status));
    let bank_rx = stop_rx.clone();
    tokio::spawn(paydesk_core::reconcile::schedule::run(rec, std::time::Duration::from_secs(60), Arc::new(paydesk_core::reconcile::Quiet), on_run, stop_rx));
    let on_bank: Arc<dyn Fn(&paydesk_core::store::BankRunRecord) + Send + Sync> = Arc::new(|r| tracing::info!(day = %r.day, open = r.open, "bank leg {}", r.status));
    tokio::spawn(paydesk_core::reconcile::bank::schedule::run(leg, std::time::Duration::from_secs(60), on_bank, bank_rx));
    let bound = Bound { local: svc.server.addr, callbacks: svc.callbacks.as_ref().map(|c| c.addr) };
    let (mut v, text) = banner(&bound);
    v["recovered"] = json!(svc.recovered);
    let recovered = svc.recovered;
    o.print(&v, || format!("{text}\n{}", tr!(RECOVERED, count = recovered)));
    stop_signal.recv().await;
    let _ = stop.send(true);
    svc.shutdown().await;
    if let Some((store, home, settings)) = backup {
        // The backup at exit: the book as the day ended.
        let _ = tokio::task::spawn_blocking(move || paydesk_core::backup::run(&store, &home, &settings, chrono::Utc::now())).await;
    }
    drop(lock);
    Ok(EXIT_OK)
}

pub(crate) async fn serve(home: &Path, a: ServeArgs, o: &Out) -> Result<i32, CliError> {
    ctx::check_book(home)?;
    let lock = ctx::service_lock(home, "paydesk serve")?;
    let p = ctx::open(home)?;
    let mut listen = Listen::from_settings(p.settings()).map_err(|e| CliError::invalid("listen", e))?;
    listen.local = a.listen.unwrap_or(listen.local);
    listen.callbacks = a.callback_listen.unwrap_or(listen.callbacks);
    run_service(home, lock, p, listen, true, o, |b| {
        (
            json!({"listening": b.local.to_string(), "callbacks": b.callbacks.map(|a| a.to_string())}),
            tr!(SERVING, local = b.local, callbacks = b.callbacks_text()),
        )
    })
    .await
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Where the simulator listens.
    #[arg(long, default_value = paydesk_channels::demo::DEMO_SIM_ADDR, value_name = "ADDR")]
    sim_listen: SocketAddr,
    /// Where the local API and /status listen (loopback).
    #[arg(long, default_value = paydesk_core::listeners::DEFAULT_LISTEN, value_name = "ADDR")]
    listen: SocketAddr,
    /// Where the channel callbacks listen.
    #[arg(long, default_value = paydesk_core::listeners::DEFAULT_CALLBACK_LISTEN, value_name = "ADDR")]
    callback_listen: SocketAddr,
    /// Days of sales history to seed into a new demo book (0: none).
    #[arg(long, default_value_t = paydesk_channels::demo::HISTORY_DAYS, value_name = "DAYS")]
    history_days: u32,
}

pub(crate) async fn demo(home_flag: Option<&Path>, a: DemoArgs, o: &Out) -> Result<i32, CliError> {
    let (home, temp) = match home_flag {
        Some(h) => (h.to_path_buf(), None),
        None => {
            let t = tempfile::Builder::new().prefix("paydesk-demo-").tempdir().map_err(CliError::other)?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    // A kept home must be a demo's own (or a new one): a real shop's book is never touched.
    if temp.is_none() {
        let foreign = paydesk_channels::demo::foreign_accounts(&home).map_err(CliError::other)?;
        if !foreign.is_empty() {
            return Err(CliError::invalid("home", tr!(DEMO_FOREIGN_HOME, home = home.display(), accounts = foreign.join(", "))));
        }
    }
    let lock = ctx::service_lock(&home, "paydesk demo")?;
    let keys = paydesk_channels::sim::demo_keys_dir();
    let sim_cfg = paydesk_channels::sim::SimConfig::new(paydesk_channels::sim::SimKeys::load(&keys).map_err(CliError::other)?);
    let sim = paydesk_channels::sim::start(sim_cfg, a.sim_listen).await.map_err(|e| CliError::invalid("sim_listen", tr!(CANNOT_LISTEN, addr = a.sim_listen, detail = e)))?;
    let callback_base = format!("http://{}", a.callback_listen);
    let (local, callbacks) = (a.listen.to_string(), a.callback_listen.to_string());
    paydesk_channels::demo::prepare_home(&home, &sim.base_url(), Some(&callback_base), Some((&local, &callbacks))).map_err(CliError::other)?;
    // With `--home`, the simulator keeps its trades beside the book, so a demo restarted on the
    // same home still agrees with it (queries, statements, reconciliation).
    if temp.is_none() {
        sim.state.keep_at(&home.join("simulator.json")).map_err(CliError::other)?;
    }
    // Reconciliation runs by hand in the terminal demo (`paydesk reconcile`), not on a schedule.
    let mut settings = paydesk_core::config::Settings::load(&home).map_err(|e| CliError::invalid("settings", e))?;
    settings.reconcile.enabled = false;
    settings.save(&home).map_err(|e| CliError::invalid("settings", e))?;
    let p = ctx::open(&home)?;
    // Yesterday's sales with a few planted differences, for `paydesk reconcile`.
    let tz = p.settings().recon_tz().map_err(|e| CliError::invalid("reconcile.timezone", e))?;
    let yesterday = chrono::Utc::now().with_timezone(&tz).date_naive().pred_opt().unwrap_or_default();
    let acct = p.store().account("sandbox-main")?;
    paydesk_channels::demo_recon::seed_day(p.store(), &sim.state, &acct, "M100001", yesterday, tz).map_err(CliError::other)?;
    let seeded = paydesk_channels::demo::seed_history(p.store(), &sim.state, p.settings(), &["王芳", "李老板"], a.history_days, None, chrono::Utc::now()).map_err(CliError::other)?;
    let sim_url = sim.base_url();
    let h = home.display().to_string();
    let r = run_service(&home, lock, p, Listen { local: a.listen, callbacks: a.callback_listen }, false, o, |b| {
        (
            json!({"home": h, "simulator": sim_url, "listening": b.local.to_string(), "callbacks": b.callbacks.map(|a| a.to_string()), "history_orders": seeded}),
            tr!(DEMO_BANNER, home = h, sim = sim_url, local = b.local, callbacks = b.callbacks_text(), seeded = seeded),
        )
    })
    .await;
    drop(sim);
    r
}
