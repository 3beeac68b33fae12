//! `sim`: run the gateway simulator, or play the payer against a running one.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::i18n::{t, tr};
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct SimArgs {
    #[command(subcommand)]
    action: Option<SimCmd>,
    /// Where the simulator listens (when running it).
    #[arg(long, default_value = paydesk_channels::demo::DEMO_SIM_ADDR, value_name = "ADDR")]
    listen: SocketAddr,
    /// Directory with the simulator's keys (default: the demo keys).
    #[arg(long, value_name = "DIR")]
    keys: Option<PathBuf>,
    /// How long a request armed with a `timeout` fault stalls before it is answered (default
    /// 12000: longer than Paydesk's usual channel timeout).
    #[arg(long, value_name = "MS")]
    stall_ms: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum SimCmd {
    /// The customer scans an order's QR code and pays (or declines, or just scans).
    Scan {
        /// Order number.
        order: String,
        /// pay, decline, or scan (scanned but not yet paid).
        #[arg(long, default_value = "pay")]
        action: String,
        /// Pay without the channel's callback reaching Paydesk (to exercise polling).
        #[arg(long)]
        lose_callback: bool,
        /// The simulator's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8429")]
        url: String,
    },
}

pub(crate) async fn sim(a: SimArgs, o: &Out) -> Result<i32, CliError> {
    match a.action {
        None => {
            let dir = a.keys.unwrap_or_else(paydesk_channels::sim::demo_keys_dir);
            let keys = paydesk_channels::sim::SimKeys::load(&dir).map_err(|e| CliError::invalid("keys", e))?;
            let mut cfg = paydesk_channels::sim::SimConfig::new(keys);
            if let Some(ms) = a.stall_ms {
                cfg.stall = std::time::Duration::from_millis(ms);
            }
            let h = paydesk_channels::sim::start(cfg, a.listen).await.map_err(|e| CliError::invalid("listen", tr!(SIM_CANNOT_LISTEN, addr = a.listen, detail = e)))?;
            o.print(&json!({"listening": h.base_url()}), || tr!(SIM_RUNNING, url = h.base_url()));
            let _ = tokio::signal::ctrl_c().await;
            Ok(EXIT_OK)
        }
        Some(SimCmd::Scan { order, action, lose_callback, url }) => {
            let r = reqwest::Client::new()
                .post(format!("{}/_sim/scan", url.trim_end_matches('/')))
                .json(&json!({"order_no": order, "action": action, "lose_callback": lose_callback}))
                .send()
                .await
                .map_err(|e| CliError::invalid("url", tr!(SIM_UNREACHABLE, url = url, detail = e)))?;
            let ok = r.status().is_success();
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            o.print(&v, || {
                if ok {
                    tr!(SIM_SCANNED, order = order, action = action, status = v["status"].as_str().unwrap_or("?"))
                } else {
                    tr!(SIM_REFUSED, order = order, error = v["error"].as_str().unwrap_or(t(crate::i18n::catalog::SIM_REFUSED_DEFAULT)))
                }
            });
            Ok(if ok { EXIT_OK } else { EXIT_FAILURE })
        }
    }
}
