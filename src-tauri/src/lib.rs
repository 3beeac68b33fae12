//! # paydesk-app
//!
//! The desktop shell of Paydesk. It stays thin: [`commands`] (grouped by screen) check the
//! logged-in role and call `paydesk-core`; [`events`] forwards core's payment events to the
//! windows; [`voice`] announces confirmed payments; [`demo`] wires the in-process simulator.
//! The app is assembled by [`build`], generic over the Tauri runtime so tests can use the mock
//! runtime.

pub mod commands;
pub mod demo;
pub mod error;
pub mod events;
pub mod qr;
pub mod state;
pub mod voice;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use paydesk_channels::ChannelEnv;
use paydesk_core::config;
use paydesk_core::Payments;
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::state::AppState;
use crate::voice::{Lang, Voice};

/// Command-line options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Run against the in-process simulator with demo users.
    pub demo: bool,
    /// The Paydesk home (else `$PAYDESK_HOME`, else the platform data dir; demo: a temp dir).
    pub home: Option<PathBuf>,
    /// Overrides the customer-display setting.
    pub customer_display: Option<bool>,
}

pub const USAGE: &str = "usage: paydesk-app [--demo] [--home DIR] [--customer-display | --no-customer-display]";

pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--demo" => o.demo = true,
            "--home" => o.home = Some(it.next().ok_or("--home needs a directory")?.into()),
            "--customer-display" => o.customer_display = Some(true),
            "--no-customer-display" => o.customer_display = Some(false),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// Opens the book and channels (or the demo), starts the callback server when configured.
/// Runs inside Tauri's async runtime.
pub async fn boot(o: &Options) -> anyhow::Result<AppState> {
    let (home, payments, demo, service, lock) = if o.demo {
        let (home, payments, demo) = demo::start(o.home.clone()).await?;
        (home, payments, Some(demo), None, None)
    } else {
        let home = config::resolve_home(o.home.as_deref());
        // One service per home: refused, naming the one running, before anything is opened.
        let mut lock = paydesk_core::service_lock::ServiceLock::acquire(&home, "paydesk-app").map_err(lock_refusal)?;
        // The book and settings (a till of a shared book: linked, with the shop-wide settings).
        let (store, settings) = paydesk_core::shop::open(&home).with_context(|| format!("opening the book in {}", home.display()))?;
        let env = ChannelEnv::new(&home, Duration::from_secs(settings.channel_timeout_secs));
        let listen = paydesk_server::service::Listen::from_settings(&settings);
        let payments = Arc::new(Payments::new(store, settings, paydesk_channels::factory(env))?);
        payments.set_key_carrier(paydesk_channels::shopkey::carrier(&home));
        // The same service `paydesk serve` runs: callbacks (tunnel / public URL) on their own
        // listener, the local API on loopback, recovery and the follower. If a port is taken
        // (e.g. `paydesk serve` is running on this home), the app still works with polling alone.
        let service = match listen {
            Ok(listen) => match paydesk_server::service::start(&home, payments.clone(), listen, Default::default()).await {
                Ok(s) => {
                    if let Err(e) = lock.set_listen(&s.server.addr.to_string()) {
                        tracing::warn!("{e}");
                    }
                    Some(s)
                }
                Err(e) => {
                    tracing::warn!("callback server not started ({e}); following orders by polling");
                    None
                }
            },
            Err(e) => {
                tracing::warn!("{e}; following orders by polling");
                None
            }
        };
        if service.is_none() {
            // Without the service, the app keeps the shared book in step itself.
            if let Some(sh) = &payments.settings().shared {
                let (tx, rx) = tokio::sync::watch::channel(false);
                std::mem::forget(tx);
                paydesk_core::store::shared::spawn_sync(payments.store().clone(), Duration::from_millis(sh.sync_interval_ms), rx);
            }
        }
        (home, payments, None, service, Some(lock))
    };
    let store = payments.store().clone();
    let voice_on = store.pref("voice")?.is_none_or(|v| v == "on");
    let lang = Lang::from_tag(&store.pref("lang")?.unwrap_or_default());
    let (follower_stop, _) = tokio::sync::watch::channel(false);
    let recon = Arc::new(paydesk_core::reconcile::Reconciler::new(payments.clone(), &home, Arc::new(paydesk_channels::statement::Parsers)));
    let (spool, printer) = AppState::printing(payments.settings().printer.clone(), &home);
    let bank = bank_leg(&payments, &home);
    Ok(AppState { home, payments, session: RwLock::new(None), sale: Default::default(), voice: Voice::new(voice_on, lang), demo, service, follower_stop, recon, spool, printer, lock, bank })
}

/// The bank leg of a home (fund flows through the channels' parsers).
pub fn bank_leg(payments: &Arc<Payments>, home: &std::path::Path) -> Arc<paydesk_core::reconcile::bank::BankLeg> {
    let settler = Arc::new(paydesk_core::settle::Settler::new(payments.clone(), home, Arc::new(paydesk_channels::funds::FundParsers)));
    Arc::new(paydesk_core::reconcile::bank::BankLeg::new(settler, home))
}

/// The refusal of a second service on a home, in both languages (the window is not up yet).
pub(crate) fn lock_refusal(e: paydesk_core::service_lock::LockError) -> anyhow::Error {
    use paydesk_core::service_lock::LockError;
    match e {
        LockError::Held(Some(h)) => anyhow::anyhow!(
            "此主目录已有 Paydesk 服务在运行 / a Paydesk service already runs on this home: {} (pid {}, since {}{}). Stop it first, or start with --home DIR.",
            h.what,
            h.pid,
            h.since.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S"),
            h.listen.map(|l| format!(", {l}")).unwrap_or_default()
        ),
        other => anyhow::Error::new(other),
    }
}

/// Assembles the app: state, commands, event forwarding, background follow-up and (optionally)
/// the customer display window.
pub fn build<R: Runtime>(builder: tauri::Builder<R>, state: AppState, customer_display: bool) -> tauri::Builder<R> {
    let payments = state.payments.clone();
    // Without the service (demo mode), the app runs core's follower itself.
    let own_follower = state.service.is_none().then(|| state.follower_stop.subscribe());
    let spool = state.spool.clone();
    builder.manage(state).invoke_handler(commands::handler()).setup(move |app| {
        events::forward(app.handle().clone(), payments.clone());
        events::forward_print_jobs(app.handle().clone(), &spool);
        if let Some(st) = app.try_state::<AppState>() {
            commands::recon::spawn_schedule(app.handle().clone(), &st);
            commands::bank::spawn_schedule(&st);
        }
        // Daily backups of a real shop's book (the demo's throw-away home has none).
        if let Some(st) = app.try_state::<AppState>().filter(|st| st.demo.is_none()) {
            let b = paydesk_core::config::Settings::load(&st.home).map(|s| s.backup).unwrap_or_default();
            tauri::async_runtime::spawn(paydesk_core::backup::run_daily(st.store().clone(), st.home.clone(), b, st.follower_stop.subscribe()));
        }
        if let Some(stop) = own_follower {
            tauri::async_runtime::spawn(paydesk_core::follower::run(payments.clone(), Duration::from_millis(500), stop.clone()));
            // Account changes made outside the app (`paydesk accounts set/import`) apply at once.
            tauri::async_runtime::spawn(paydesk_core::payments::watch_accounts(payments.clone(), Duration::from_secs(1), stop));
        }
        if customer_display {
            WebviewWindowBuilder::new(app, "customer", WebviewUrl::App("customer.html".into()))
                .title("Paydesk · 顾客显示 Customer display")
                .inner_size(560.0, 780.0)
                .position(1210.0, 0.0)
                .build()?;
        }
        if let Some(main) = app.get_webview_window("main") {
            let _ = main.set_focus();
        }
        Ok(())
    })
}

/// The binary's entry point.
pub fn main_entry() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tao=warn,wry=warn".into())).init();
    wait_for_previous();
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let state = match tauri::async_runtime::block_on(boot(&opts)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paydesk-app: {e:#}");
            std::process::exit(1);
        }
    };
    let customer = opts.customer_display.unwrap_or_else(|| commands::settings::pref_on(&state, "customer_display", true));
    if let (true, Some(n)) = (opts.demo, std::env::var("PAYDESK_BENCH_PAYMENTS").ok().and_then(|v| v.parse::<u32>().ok())) {
        tauri::async_runtime::spawn(demo::burst(state.payments.clone(), n));
    }
    let app = match build(tauri::Builder::default(), state, customer).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("paydesk-app: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            backup_at_exit(handle);
        }
    });
}

/// The backup when the app closes (a real shop with something in its book; the demo has none).
fn backup_at_exit<R: Runtime>(app: &tauri::AppHandle<R>) {
    let Some(st) = app.try_state::<AppState>() else { return };
    let _ = st.follower_stop.send(true);
    let settings = paydesk_core::config::Settings::load(&st.home).map(|s| s.backup).unwrap_or_default();
    let has_data = st.store().figures().is_ok_and(|f| !f.is_empty());
    if st.demo.is_none() && settings.enabled && has_data {
        let _ = paydesk_core::backup::run(st.store(), &st.home, &settings, chrono::Utc::now());
    }
}

/// Starts this app again with `args` and closes this one: after a restore (the book and settings
/// changed under it) and for "try the demo". The new process waits for this one to end, so it
/// gets the callback port and the book to itself. From an AppImage, the AppImage is started.
pub fn relaunch<R: Runtime>(app: &tauri::AppHandle<R>, args: &[String]) {
    let exe = std::env::var_os("APPIMAGE").map(PathBuf::from).or_else(|| std::env::current_exe().ok());
    match exe {
        Some(exe) => {
            let spawned = std::process::Command::new(&exe).args(args).env("PAYDESK_WAIT_PID", std::process::id().to_string()).spawn();
            if let Err(e) = spawned {
                tracing::error!("cannot start {} again: {e}", exe.display());
            }
        }
        None => tracing::error!("cannot find this program to start it again"),
    }
    app.exit(0);
}

/// Started by [`relaunch`]: waits (up to 15 s) for the previous instance to end.
fn wait_for_previous() {
    let Some(pid) = std::env::var("PAYDESK_WAIT_PID").ok().and_then(|p| p.parse::<u32>().ok()) else { return };
    std::env::remove_var("PAYDESK_WAIT_PID");
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    for _ in 0..150 {
        if cfg!(target_os = "linux") && !proc_dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
        if !cfg!(target_os = "linux") {
            // No cheap way to watch a process without platform code: give it two seconds.
            std::thread::sleep(Duration::from_millis(1900));
            return;
        }
    }
}

#[cfg(test)]
mod tests;
