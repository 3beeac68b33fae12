//! `serve` (callback server + follower + the T+1 reconciliation schedule) and `demo` (all of it
//! wired to the simulator, with yesterday's reconciliation day seeded).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use clap::Args;
use paydesk_core::Payments;
use serde_json::json;

use crate::ctx;
use crate::out::{CliError, Out, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address for the callback server (default: the `listen` setting).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

/// Starts the service (server, tunnel, recovery, follower, notifications) and waits for Ctrl-C.
async fn run_service(home: &Path, p: Arc<Payments>, listen: SocketAddr, o: &Out, banner: impl FnOnce(SocketAddr) -> (serde_json::Value, String)) -> Result<i32, CliError> {
    let rec = Arc::new(paydesk_core::reconcile::Reconciler::new(p.clone(), home, Arc::new(paydesk_channels::statement::Parsers)));
    let leg = Arc::new(super::bank::leg(&p, home));
    let svc = paydesk_server::service::start(home, p, listen, paydesk_server::service::Ticks::default()).await.map_err(|e| CliError::invalid("serve", e))?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let on_run: Arc<dyn Fn(&paydesk_core::store::RunRecord) + Send + Sync> = Arc::new(|r| tracing::info!(account = %r.account, day = %r.day, open = r.open, "reconciliation {}", r.status));
    let bank_rx = stop_rx.clone();
    tokio::spawn(paydesk_core::reconcile::schedule::run(rec, std::time::Duration::from_secs(60), Arc::new(paydesk_core::reconcile::Quiet), on_run, stop_rx));
    let on_bank: Arc<dyn Fn(&paydesk_core::store::BankRunRecord) + Send + Sync> = Arc::new(|r| tracing::info!(day = %r.day, open = r.open, "bank leg {}", r.status));
    tokio::spawn(paydesk_core::reconcile::bank::schedule::run(leg, std::time::Duration::from_secs(60), on_bank, bank_rx));
    let (mut v, text) = banner(svc.server.addr);
    v["recovered"] = json!(svc.recovered);
    let recovered = svc.recovered;
    o.print(&v, || format!("{text}\nRecovered {recovered} unfinished order(s)/refund(s). Ctrl-C to stop."));
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(true);
    svc.shutdown().await;
    Ok(EXIT_OK)
}

pub(crate) async fn serve(home: &Path, a: ServeArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let listen = match a.listen {
        Some(l) => l,
        None => p.settings().listen.parse().map_err(|_| CliError::invalid("listen", format!("setting {:?} is not host:port", p.settings().listen)))?,
    };
    run_service(home, p, listen, o, |addr| (json!({"listening": addr.to_string()}), format!("Paydesk serving on http://{addr}: callbacks /cb/<account>, API /api/v1, status /status"))).await
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Where the simulator listens.
    #[arg(long, default_value = paydesk_channels::demo::DEMO_SIM_ADDR, value_name = "ADDR")]
    sim_listen: SocketAddr,
    /// Where the callback server listens.
    #[arg(long, default_value = "127.0.0.1:8428", value_name = "ADDR")]
    listen: SocketAddr,
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
    let keys = paydesk_channels::sim::demo_keys_dir();
    let sim_cfg = paydesk_channels::sim::SimConfig::new(paydesk_channels::sim::SimKeys::load(&keys).map_err(CliError::other)?);
    let sim = paydesk_channels::sim::start(sim_cfg, a.sim_listen).await.map_err(|e| CliError::invalid("sim_listen", format!("cannot listen on {}: {e}", a.sim_listen)))?;
    let callback_base = format!("http://{}", a.listen);
    paydesk_channels::demo::prepare_home(&home, &sim.base_url(), Some(&callback_base)).map_err(CliError::other)?;
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
    let seeded = paydesk_channels::demo::seed_history(p.store(), &sim.state, p.settings(), &["王芳", "李老板"], a.history_days, chrono::Utc::now()).map_err(CliError::other)?;
    let sim_url = sim.base_url();
    let h = home.display().to_string();
    let r = run_service(&home, p, a.listen, o, |addr| {
        (
            json!({"home": h, "simulator": sim_url, "listening": addr.to_string(), "history_orders": seeded}),
            format!(
                "Paydesk demo\n  home       {h}\n  simulator  {sim_url}\n  callbacks  http://{addr}/cb/<account>\n\nIn another terminal:\n  paydesk --home {h} pay --amount 12.34 --method alipay --wait 60   # or wechat, sandbox\n  paydesk sim scan --url {sim_url} <ORDER>   # the customer pays the QR\n  paydesk --home {h} pay --amount 5.00 --auth-code 280000000000000001   # Alipay code (WeChat: 130000000000000001)\n  paydesk --home {h} orders\n  paydesk --home {h} report --period month   # sales dashboard ({seeded} orders of history seeded)\n  paydesk --home {h} reconcile --account sandbox-main --export xlsx   # yesterday, with planted differences"
            ),
        )
    })
    .await;
    drop(sim);
    r
}
