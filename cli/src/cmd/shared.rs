//! `shared`: a till of a shop's shared book — join (with the book's history), status, sync,
//! publish the shop-wide settings. See docs/multi-till.md.

use std::path::Path;

use clap::{Args, Subcommand};
use paydesk_core::config::{Settings, SharedSettings};
use paydesk_core::store::shared::{JoinReport, LinkError, LinkStatus};
use paydesk_core::Store;
use serde_json::json;

use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

#[derive(Subcommand, Debug)]
pub(crate) enum SharedCmd {
    /// Join this till (and its book's history) to a shared book: registers the till, uploads its
    /// orders, refunds, events and audit entries, verifies counts and sums per day, then fetches
    /// the shop's accounts, users, settings and the other tills' orders. Safe to run again.
    Join(JoinArgs),
    /// The link: synced, behind by N changes, or offline since when; the shop's tills.
    Status,
    /// Send this till's changes and fetch the others' now (`paydesk serve` does it every second).
    Sync,
    /// Make this till's shop-wide settings (limits, routing, amounts, reconciliation) the shop's.
    Publish,
}

#[derive(Args, Debug)]
pub(crate) struct JoinArgs {
    /// The shared book: postgres://user@host:5432/db (default: `shared.url` in the settings).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The store (门店) this till belongs to (default: `store_id` in the settings).
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// A file with the database password, if the URL has none.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<String>,
    /// The shop key file, with which the accounts' key files travel to every till: read if it
    /// exists (the file the first till wrote), else created (first till: carry it to the others).
    #[arg(long, value_name = "FILE")]
    pub shop_key_file: Option<std::path::PathBuf>,
}

fn shop_key_error(e: paydesk_channels::shopkey::JoinKeyError) -> CliError {
    match e {
        paydesk_channels::shopkey::JoinKeyError::File(m) => CliError::invalid("shop_key_file", m),
        paydesk_channels::shopkey::JoinKeyError::Link(e) => link_error(e),
        paydesk_channels::shopkey::JoinKeyError::Book(e) => CliError::other(e),
    }
}

fn link_error(e: LinkError) -> CliError {
    match e {
        LinkError::Refused(m) => CliError::invalid("shared", m),
        other => CliError::other(other),
    }
}

/// Writes the link into the settings and joins; shared by `init --shared` and `shared join`.
pub(crate) fn join(home: &Path, a: JoinArgs, o: &Out) -> Result<i32, CliError> {
    let mut s = Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
    if let Some(store) = a.store {
        s.store_id = store;
    }
    let mut sh = s.shared.clone().unwrap_or_default();
    if let Some(url) = a.url {
        sh.url = url;
    }
    if a.password_file.is_some() {
        sh.password_file = a.password_file;
    }
    if sh.url.is_empty() {
        return Err(CliError::invalid("url", "give --url postgres://… (or set shared.url in config.toml)"));
    }
    s.shared = Some(SharedSettings { ..sh });
    s.validate().map_err(|e| CliError::invalid("settings", e))?;
    let cfg = paydesk_core::shop::shared_config(home, &s).map_err(|e| CliError::invalid("settings", e))?.ok_or_else(|| CliError::other("no shared book"))?;
    let store = Store::open(&Store::path_in(home)).map_err(CliError::other)?;
    let tz = s.tz().map_err(|e| CliError::invalid("timezone", e))?;
    let host = std::env::var("HOSTNAME").ok().or_else(|| std::fs::read_to_string("/etc/hostname").ok()).unwrap_or_default().trim().to_string();
    // The shop key first: the accounts this till brings then carry their keys into the shared book.
    let created = match &a.shop_key_file {
        Some(f) => Some((paydesk_channels::shopkey::join_with(home, cfg.clone(), f, &store).map_err(shop_key_error)?, f.clone())),
        None => None,
    };
    let r = store.join_shared(cfg, s.till_id.as_str(), &s.store_id, &host, tz).map_err(link_error)?;
    s.save(home).map_err(CliError::other)?;
    // The first till's shop-wide settings become the shop's; later tills take the shop's.
    if store.shop_settings()?.is_none() {
        paydesk_core::shop::publish(&store, &s)?;
    }
    print_join(&r, o);
    match created {
        Some((true, f)) => crate::out::note(&crate::i18n::tr!(SHOP_KEY_WRITTEN, path = f.display())),
        Some((false, _)) => {}
        None => crate::out::note(crate::i18n::t(crate::i18n::catalog::SHOP_KEY_NONE)),
    }
    Ok(if r.verified { EXIT_OK } else { EXIT_FAILURE })
}

fn print_join(r: &JoinReport, o: &Out) {
    o.print(r, || {
        let mut t = format!(
            "Till {} of store {} joined the shared book: {} change(s) sent, {} row(s) received.\n",
            r.till, r.store, r.pushed, r.pulled
        );
        if r.verified {
            t.push_str(&format!("Verified: {} day(s) of orders and refunds agree in both books; {} order events.", r.days, r.events[0]));
        } else {
            t.push_str("NOT verified — these days differ (run `paydesk shared join` again; it resumes):\n");
            for d in &r.mismatched {
                t.push_str(&format!("  {}  here {} orders / {} fen, shared {} / {} fen; refunds here {} / {} fen, shared {} / {} fen\n", d.day, d.local[0], d.local[1], d.shared[0], d.shared[1], d.local_refunds[0], d.local_refunds[1], d.shared_refunds[0], d.shared_refunds[1]));
            }
            if r.events[0] != r.events[1] {
                t.push_str(&format!("  order events: here {}, shared {}\n", r.events[0], r.events[1]));
            }
        }
        t.trim_end().to_string()
    });
}

/// The link state in words (also used by `paydesk status`).
pub(crate) fn describe(st: &LinkStatus) -> String {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("never".into(), |t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string());
    let state = match st.state {
        "synced" => format!("synced (last {})", when(st.last_sync)),
        "behind" => format!("behind by {} change(s)", st.pending),
        "offline" => format!("offline since {}, {} change(s) waiting{}", when(st.offline_since), st.pending, st.last_error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()),
        _ => "off (a single till with its own book)".into(),
    };
    let mut t = format!("  link        {state}");
    if let (Some(till), Some(store)) = (&st.till, &st.store) {
        t = format!("Till {till} of store {store}, shared book {}\n{t}", st.url.as_deref().unwrap_or("?"));
        for i in &st.tills {
            t.push_str(&format!("\n  till {:<6} store {:<10} last sent {}", i.till, i.store, when(i.pushed_at)));
        }
    }
    t
}

pub(crate) fn shared(home: &Path, c: SharedCmd, o: &Out) -> Result<i32, CliError> {
    if let SharedCmd::Join(a) = c {
        return join(home, a, o);
    }
    let (store, settings) = paydesk_core::shop::open(home).map_err(CliError::other)?;
    if store.linked_till()?.is_none() {
        return Err(CliError::invalid("shared", "this till has its own book only; join a shared book with `paydesk shared join --url … --store …`"));
    }
    match c {
        SharedCmd::Join(_) => unreachable!("handled above"),
        SharedCmd::Status => {
            // One round first, so the answer is the link as it is now.
            let round = store.sync_once();
            let st = store.link_status()?;
            o.print(&st, || describe(&st));
            Ok(if round.is_ok() { EXIT_OK } else { EXIT_FAILURE })
        }
        SharedCmd::Sync => {
            let r = store.sync_once().map_err(link_error)?;
            o.print(&r, || format!("sent {} change(s), received {} row(s)", r.pushed, r.pulled));
            Ok(EXIT_OK)
        }
        SharedCmd::Publish => {
            let file = Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
            paydesk_core::shop::publish(&store, &file)?;
            let _ = settings;
            o.print(&json!({"published": true}), || "this till's shop-wide settings are now the shop's (every till applies them)".into());
            Ok(EXIT_OK)
        }
    }
}
