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
use paydesk_core::config::{self, Settings};
use paydesk_core::{Payments, Store};
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
    let (home, payments, demo, service) = if o.demo {
        let (home, payments, demo) = demo::start(o.home.clone()).await?;
        (home, payments, Some(demo), None)
    } else {
        let home = config::resolve_home(o.home.as_deref());
        let store = Arc::new(Store::open(&Store::path_in(&home)).with_context(|| format!("opening the book in {}", home.display()))?);
        let settings = Settings::load(&home)?;
        let env = ChannelEnv::new(&home, Duration::from_secs(settings.channel_timeout_secs));
        let listen = settings.listen.clone();
        let payments = Arc::new(Payments::new(store, settings, paydesk_channels::factory(env))?);
        // The same service `paydesk serve` runs: callbacks (tunnel / public URL), local API,
        // recovery and the follower. If the port is taken (e.g. `paydesk serve` is running on
        // this home), the app still works with polling alone.
        let service = match listen.parse() {
            Ok(addr) => match paydesk_server::service::start(&home, payments.clone(), addr, Default::default()).await {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("callback server not started ({e}); following orders by polling");
                    None
                }
            },
            Err(e) => {
                tracing::warn!("listen {listen:?}: {e}; following orders by polling");
                None
            }
        };
        (home, payments, None, service)
    };
    let store = payments.store().clone();
    let voice_on = store.pref("voice")?.is_none_or(|v| v == "on");
    let lang = Lang::from_tag(&store.pref("lang")?.unwrap_or_default());
    let (follower_stop, _) = tokio::sync::watch::channel(false);
    let recon = Arc::new(paydesk_core::reconcile::Reconciler::new(payments.clone(), &home, Arc::new(paydesk_channels::statement::Parsers)));
    let bank = bank_leg(&payments, &home);
    Ok(AppState { home, payments, session: RwLock::new(None), sale: Default::default(), voice: Voice::new(voice_on, lang), demo, service, follower_stop, recon, bank })
}

/// The bank leg of a home (fund flows through the channels' parsers).
pub fn bank_leg(payments: &Arc<Payments>, home: &std::path::Path) -> Arc<paydesk_core::reconcile::bank::BankLeg> {
    let settler = Arc::new(paydesk_core::settle::Settler::new(payments.clone(), home, Arc::new(paydesk_channels::funds::FundParsers)));
    Arc::new(paydesk_core::reconcile::bank::BankLeg::new(settler, home))
}

/// Assembles the app: state, commands, event forwarding, background follow-up and (optionally)
/// the customer display window.
pub fn build<R: Runtime>(builder: tauri::Builder<R>, state: AppState, customer_display: bool) -> tauri::Builder<R> {
    let payments = state.payments.clone();
    // Without the service (demo mode), the app runs core's follower itself.
    let own_follower = state.service.is_none().then(|| state.follower_stop.subscribe());
    builder.manage(state).invoke_handler(commands::handler()).setup(move |app| {
        events::forward(app.handle().clone(), payments.clone());
        if let Some(st) = app.try_state::<AppState>() {
            commands::recon::spawn_schedule(app.handle().clone(), &st);
            commands::bank::spawn_schedule(&st);
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
    let app = build(tauri::Builder::default(), state, customer);
    if let Err(e) = app.run(tauri::generate_context!()) {
        eprintln!("paydesk-app: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests;
