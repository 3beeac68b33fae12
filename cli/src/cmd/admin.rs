//! `init` and `accounts`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use paydesk_core::channel::{OrderRef, TradeState};
use paydesk_core::config::Settings;
use paydesk_core::{AccountsFile, Money, Store};
use serde_json::json;

use crate::ctx;
use crate::i18n::{self, catalog as m, t, tr};
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
    /// The store (门店) this till belongs to, for a shop with several tills.
    #[arg(long, value_name = "STORE")]
    store: Option<String>,
    /// Join the shop's shared book (postgres://user@host:5432/db) as this till; see `paydesk shared join`.
    #[arg(long, value_name = "URL")]
    shared: Option<String>,
    /// A file with the shared book's password, if the URL has none.
    #[arg(long, value_name = "FILE", requires = "shared")]
    shared_password_file: Option<String>,
    /// The shop key file (see `paydesk shared join --shop-key-file`): the shop's accounts' keys
    /// open on this till.
    #[arg(long, value_name = "FILE", requires = "shared")]
    shop_key_file: Option<std::path::PathBuf>,
}

pub(crate) fn init(home: &Path, a: InitArgs, o: &Out) -> Result<i32, CliError> {
    let till = a.till.parse().map_err(|e| CliError::invalid("till", e))?;
    let s = Settings { till_id: till, timezone: a.timezone, max_order_amount: a.max_amount, store_id: a.store.clone().unwrap_or_else(|| Settings::default().store_id), ..Settings::default() };
    s.validate().map_err(|e| CliError::invalid("settings", e))?;
    if a.shared.is_some() && a.store.is_none() {
        return Err(CliError::invalid("store", "a till of a shared book belongs to a store: give --store"));
    }
    // Owner only (0700): the book, keys and settings of the till.
    paydesk_core::files::create_private_dir(home).map_err(|e| CliError::other(tr!(CANNOT_CREATE, path = home.display(), detail = e)))?;
    if !Settings::file(home).exists() {
        s.save(home).map_err(CliError::other)?;
    }
    Store::open(&Store::path_in(home)).map_err(CliError::other)?;
    if let Some(url) = a.shared {
        let join = crate::cmd::shared::JoinArgs { url: Some(url), store: a.store, password_file: a.shared_password_file, shop_key_file: a.shop_key_file };
        return crate::cmd::shared::join(home, join, o);
    }
    o.print(&json!({"home": home, "book": Store::path_in(home)}), || tr!(HOME_READY, home = home.display()));
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
            let text = std::fs::read_to_string(&file).map_err(|e| CliError::invalid("file", tr!(CANNOT_READ_FILE, path = file.display(), detail = e)))?;
            let parsed = AccountsFile::parse(&text).map_err(|e| CliError::invalid("accounts", e))?;
            // The key files each account names are sealed into keys/ for it (as the app's key
            // import does), and every account's channel must build from them before anything is
            // put in place or written; on any error the staged files are removed.
            let env = paydesk_channels::ChannelEnv::new(home, std::time::Duration::from_secs(10));
            let key = paydesk_channels::keystore::MachineKey::load_or_create(&paydesk_channels::keystore::machine_key_path()).map_err(CliError::other)?;
            let (mut staged, mut saved, mut sealed) = (Vec::new(), Vec::new(), Vec::new());
            for a in &parsed.accounts {
                let (now, keep, files, done) = paydesk_channels::keyfiles::import_account_keys(home, &key, a).map_err(|e| CliError::invalid("accounts", e))?;
                paydesk_channels::build(&now, &env).map_err(|e| CliError::invalid("accounts", i18n::channel_error(&e)))?;
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
                let mut s = tr!(IMPORTED, count = names.len(), names = names.join(", "));
                for k in &sealed {
                    let text = |f: &str| k[f].as_str().unwrap_or_default().to_string();
                    s.push('\n');
                    s.push_str(&tr!(KEY_SEALED, account = text("account"), field = text("field"), to = text("to"), from = text("from")));
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
                let row = |cells: [&str; 7]| {
                    let [name, channel, enabled, priority, weight, fee, cap] = cells;
                    format!("{} {} {} {} {} {}  {cap}\n", i18n::pad(name, 20), i18n::pad(channel, 10), i18n::pad(enabled, 8), i18n::pad_left(priority, 8), i18n::pad_left(weight, 6), i18n::pad_left(fee, 8))
                };
                let mut s = row([t(m::ACCOUNTS_HEAD_NAME), t(m::ACCOUNTS_HEAD_CHANNEL), t(m::ACCOUNTS_HEAD_ENABLED), t(m::ACCOUNTS_HEAD_PRIORITY), t(m::ACCOUNTS_HEAD_WEIGHT), t(m::ACCOUNTS_HEAD_FEE), t(m::ACCOUNTS_HEAD_CAP)]);
                for (a, _) in &list {
                    let enabled = t(if a.enabled { m::YES } else { m::NO });
                    let cap = a.daily_cap.map_or("-".into(), |m| m.to_string());
                    s.push_str(&row([&a.name, &a.channel, enabled, &a.priority.to_string(), &a.weight.to_string(), &a.fee_rate_bp.to_string(), &cap]));
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
                    o.print(&json!({"account": name, "ok": true, "probe": st.raw_status}), || tr!(TEST_OK, account = name, detail = if ok { t(m::TEST_NO_SUCH_ORDER) } else { st.raw_status.as_str() }));
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    o.print(&json!({"account": name, "ok": false, "code": e.code(), "message": i18n::channel_error(&e)}), || tr!(TEST_FAILED, account = name, error = i18n::channel_error(&e)));
                    Ok(EXIT_FAILURE)
                }
            }
        }
    }
}
