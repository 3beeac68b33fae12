//! `orders import FILE`: load historical orders (CSV or JSON, see docs/orders-import.md) into the
//! book — validated whole first, written in one transaction.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use paydesk_core::config::Settings;
use paydesk_core::import::{import_orders, ImportError, ImportFormat, ImportOptions};
use paydesk_core::store::Outcome;
use paydesk_core::Store;

use crate::out::{CliError, Out, EXIT_INVALID, EXIT_OK};

#[derive(Subcommand, Debug)]
pub(crate) enum OrdersCmd {
    /// Import historical orders from a CSV or JSON file (docs/orders-import.md): the whole file is
    /// checked first (errors name line and field, nothing is written), then written at once.
    Import {
        /// The file (`.csv`, `.json`, `.jsonl`).
        file: PathBuf,
        /// csv or json (default: by the file's extension and first character).
        #[arg(long)]
        format: Option<String>,
        /// Check the file only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub(crate) fn run(home: &Path, cmd: OrdersCmd, o: &Out) -> Result<i32, CliError> {
    let OrdersCmd::Import { file, format, dry_run } = cmd;
    let db = Store::path_in(home);
    if !db.exists() {
        return Err(CliError::invalid("home", format!("{} has no Paydesk book; run `paydesk init` (or `paydesk demo`) first", home.display())));
    }
    let settings = Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
    let tz = settings.tz().map_err(|e| CliError::invalid("timezone", e))?;
    let bytes = std::fs::read(&file).map_err(|e| CliError::invalid("file", format!("cannot read {}: {e}", file.display())))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let format = match format.as_deref() {
        None => ImportFormat::guess(&name, &bytes),
        Some("csv") => ImportFormat::Csv,
        Some("json") => ImportFormat::Json,
        Some(other) => return Err(CliError::invalid("format", format!("{other:?}: use csv or json"))),
    };
    let store = Store::open(&db).map_err(CliError::other)?;
    let opts = ImportOptions { tz, till: settings.till_id.to_string(), file_name: name.clone(), dry_run, by: paydesk_core::Principal::os() };
    let quiet = o.json || !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |phase: &str, n: u64| {
        if !quiet {
            eprint!("\r{phase}: {n} orders");
        }
    };
    let started = std::time::Instant::now();
    let result = import_orders(&store, &bytes, format, &opts, &progress);
    if !quiet {
        eprint!("\r\x1b[K");
    }
    match result {
        Ok(r) => {
            if !dry_run {
                let detail = format!("{} orders ({} refunds, {} paid) from {name}", r.orders, r.refunds, r.paid);
                let _ = paydesk_core::auth::audit(&store, None, "orders_import", Some(&name), Outcome::Ok, &detail, chrono::Utc::now());
            }
            let secs = started.elapsed().as_secs_f64();
            o.print(&r, || {
                let verb = if r.dry_run { "checked (nothing written)" } else { "imported" };
                format!(
                    "{} orders {verb} from {name} in {secs:.1} s: {} paid ({} yuan), {} refunds ({} yuan)",
                    r.orders,
                    r.paid,
                    paydesk_core::export::txt::grouped_money(r.paid_amount),
                    r.refunds,
                    paydesk_core::export::txt::grouped_money(r.refunded_amount)
                )
            });
            Ok(EXIT_OK)
        }
        Err(ImportError::Invalid { errors, total }) => {
            if o.json {
                println!("{}", serde_json::json!({"error": {"code": "invalid", "message": format!("{total} error(s) in {name}: nothing was imported"), "errors": errors, "total": total}}));
            } else {
                for e in &errors {
                    eprintln!("{name}: {e}");
                }
                if total > errors.len() as u64 {
                    eprintln!("… and {} more", total - errors.len() as u64);
                }
            }
            eprintln!("error: {total} error(s) in {name}: nothing was imported");
            Ok(EXIT_INVALID)
        }
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(e) => Err(CliError::other(e)),
    }
}
