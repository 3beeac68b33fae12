//! `init` and `accounts`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use paydesk_core::channel::{OrderRef, TradeState};
use paydesk_core::config::Settings;
use paydesk_core::{AccountsFile, Money, Store};
use serde_json::json;

use crate::ctx;
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// This till's id (1–6 of A-Z, 0-9), part of every order number.
    #[arg(long, default_value = "T1")]
    till: String,
    /// The shop's time zone.
    #[arg(long, default_value = "Asia/Shanghai")]
    timezone: String,
    /// Largest amount of one order, yuan.
    #[arg(long, default_value = "50000.00")]
    max_amount: String,
}

pub(crate) fn init(home: &Path, a: InitArgs, o: &Out) -> Result<i32, CliError> {
    let till = a.till.parse().map_err(|e| CliError::invalid("till", e))?;
    let s = Settings { till_id: till, timezone: a.timezone, max_order_amount: a.max_amount, ..Settings::default() };
    s.validate().map_err(|e| CliError::invalid("settings", e))?;
    std::fs::create_dir_all(home).map_err(|e| CliError::other(format!("cannot create {}: {e}", home.display())))?;
    if !Settings::file(home).exists() {
        s.save(home).map_err(CliError::other)?;
    }
    Store::open(&Store::path_in(home)).map_err(CliError::other)?;
    o.print(&json!({"home": home, "book": Store::path_in(home)}), || format!("Paydesk home ready at {}", home.display()));
    Ok(EXIT_OK)
}

#[derive(Subcommand, Debug)]
pub(crate) enum AccountsCmd {
    /// Add or update the accounts in a TOML file (format: docs/configuration.md). The key files it
    /// names are copied into the home's keys/ folder, sealed for their account.
    Import {
        /// The accounts file.
        file: PathBuf,
    },
    /// List configured accounts.
    List,
    /// Change an account's routing settings (applies to a running `paydesk serve` at once; audited).
    Set(crate::cmd::routing::SetArgs),
    /// Check an account's keys and connection with a harmless query.
    Test {
        /// Account name.
        name: String,
    },
}

pub(crate) async fn accounts(home: &Path, c: AccountsCmd, o: &Out) -> Result<i32, CliError> {
    match c {
        AccountsCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| CliError::invalid("file", format!("cannot read {}: {e}", file.display())))?;
            let parsed = AccountsFile::parse(&text).map_err(|e| CliError::invalid("accounts", e))?;
            // The key files each account names are sealed into keys/ for it (as the app's key
            // import does), and every account's channel must build from them before anything is
            // put in place or written; on any error the staged files are removed.
            let env = paydesk_channels::ChannelEnv::new(home, std::time::Duration::from_secs(10));
            let key = paydesk_channels::keystore::MachineKey::load_or_create(&paydesk_channels::keystore::machine_key_path()).map_err(CliError::other)?;
            let (mut staged, mut saved, mut sealed) = (Vec::new(), Vec::new(), Vec::new());
            for a in &parsed.accounts {
                let (now, keep, files, done) = paydesk_channels::keyfiles::import_account_keys(home, &key, a).map_err(|e| CliError::invalid("accounts", e))?;
                paydesk_channels::build(&now, &env).map_err(|e| CliError::invalid("accounts", e))?;
                staged.push(files);
                saved.push(keep);
                sealed.extend(done.into_iter().map(|s| json!({"account": a.name, "field": s.field, "from": s.from, "to": s.to})));
            }
            let p = ctx::open(home)?;
            for files in staged {
                files.commit().map_err(CliError::other)?;
            }
            // Each account is written with its audit entry (what changed, by whom).
            let by = paydesk_core::Principal::os();
            for a in saved {
                p.save_account(a, &by)?;
            }
            let names: Vec<&str> = parsed.accounts.iter().map(|a| a.name.as_str()).collect();
            o.print(&json!({"imported": names, "sealed": sealed}), || {
                let mut s = format!("imported {} account(s): {}", names.len(), names.join(", "));
                for k in &sealed {
                    s.push_str(&format!("\n  {}: {} sealed into {} (from {})", k["account"].as_str().unwrap_or_default(), k["field"].as_str().unwrap_or_default(), k["to"].as_str().unwrap_or_default(), k["from"].as_str().unwrap_or_default()));
                }
                s
            });
            Ok(EXIT_OK)
        }
        AccountsCmd::List => {
            let p = ctx::open(home)?;
            let list = p.accounts();
            let rows: Vec<_> = list
                .iter()
                .map(|(a, caps)| json!({"name": a.name, "channel": a.channel, "display_name": a.display_name, "enabled": a.enabled, "priority": a.priority, "weight": a.weight, "fee_rate_bp": a.fee_rate_bp, "daily_cap": a.daily_cap.map(|m| m.to_string()), "capabilities": caps}))
                .collect();
            o.print(&rows, || {
                let mut s = format!("{:<20} {:<10} {:<8} {:>8} {:>6} {:>8}  {}\n", "NAME", "CHANNEL", "ENABLED", "PRIORITY", "WEIGHT", "FEE(bp)", "DAILY CAP");
                for (a, _) in &list {
                    s.push_str(&format!("{:<20} {:<10} {:<8} {:>8} {:>6} {:>8}  {}\n", a.name, a.channel, a.enabled, a.priority, a.weight, a.fee_rate_bp, a.daily_cap.map_or("-".into(), |m| m.to_string())));
                }
                s.trim_end().to_string()
            });
            Ok(EXIT_OK)
        }
        AccountsCmd::Set(a) => crate::cmd::routing::set(home, a, o),
        AccountsCmd::Test { name } => {
            let p = ctx::open(home)?;
            let ch = p.channel(&name)?;
            // Query an order number that cannot exist: "not found" proves keys and reachability.
            let probe = OrderRef { order_no: "P00000000000000000TEST000".parse().map_err(CliError::other)?, amount: Money::from_fen(1).map_err(CliError::other)?, channel_trade_no: None, created_at: chrono::Utc::now() };
            match ch.query(&probe).await {
                Ok(st) => {
                    let ok = matches!(st.state, TradeState::NotFound);
                    o.print(&json!({"account": name, "ok": true, "probe": st.raw_status}), || format!("{name}: connection and keys OK ({})", if ok { "channel answered: no such order" } else { st.raw_status.as_str() }));
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    o.print(&json!({"account": name, "ok": false, "code": e.code(), "message": e.to_string()}), || format!("{name}: FAILED: {e}"));
                    Ok(EXIT_FAILURE)
                }
            }
        }
    }
}
