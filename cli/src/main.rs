//! `paydesk`: Paydesk from a terminal — payments, orders, refunds, accounts, the gateway
//! simulator, the callback server and demo mode. Every command takes `--json`.

mod cmd;
mod ctx;
mod i18n;
mod out;
mod qr;
mod signals;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Paydesk: the payment console for a small shop's till.
#[derive(Parser, Debug)]
#[command(name = "paydesk", version, about, long_about = None, after_help = "Exit codes: 0 ok · 1 failure · 2 invalid input (nothing written) · 3 payment not successful or refused · 4 still pending · 5 not found · 6 reconciliation found open discrepancies")]
pub(crate) struct Cli {
    /// Paydesk home (book, settings, keys). Default: $PAYDESK_HOME, else the platform data dir
    /// (`demo` uses a fresh temporary home unless --home is given).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Language of messages and reports: zh-CN or en. Default: the locale (LC_ALL, LC_MESSAGES,
    /// LANG), else the home's language setting (the app's), else zh-CN.
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the home: settings file and an empty book.
    Init(cmd::admin::InitArgs),
    /// Channel accounts: import from a TOML file, list, change routing settings, test the connection.
    #[command(subcommand)]
    Accounts(cmd::admin::AccountsCmd),
    /// Take a payment: a QR code for the customer to scan, or charge a scanned payment code.
    Pay(cmd::pay::PayArgs),
    /// Ask the channel about an order and update the book.
    Query(OrderArg),
    /// Close an unpaid order (at the channel, confirmed by query).
    Close(OrderArg),
    /// Refund a paid order, in part or in full.
    Refund(cmd::settle::RefundArgs),
    /// Revoke (撤销) a payment made today: the whole amount goes back and the channel charges no fee.
    Revoke(cmd::settle::RevokeArgs),
    /// List orders.
    Orders(cmd::orders::OrdersArgs),
    /// Show one order with its refunds and event history.
    Show(OrderArg),
    /// Run the callback server and the follower (polling, timeouts, recovery).
    Serve(cmd::serve::ServeArgs),
    /// The gateway simulator: run it, or play the payer.
    Sim(cmd::sim::SimArgs),
    /// Demo mode: the gateway simulator, the callback server and simulated accounts (Alipay, WeChat Pay, UnionPay, 易支付, sandbox) in a ready home, with months of sales history and a reconciliation day.
    Demo(cmd::serve::DemoArgs),
    /// Status of a running `paydesk serve`: tunnel, open orders, notifications.
    Status {
        /// Its base URL (default: the `listen` setting).
        #[arg(long)]
        url: Option<String>,
    },
    /// Merchant notifications: list with attempts, re-send.
    Notifications {
        #[command(subcommand)]
        action: Option<cmd::ops::NotificationsCmd>,
    },
    /// API keys of the local unified API.
    #[command(subcommand)]
    Apikey(cmd::ops::ApiKeyCmd),
    /// Reconcile a day's channel statements against the book (or, with --leg bank, the channels'
    /// payouts against the bank statements); re-query or resolve differences.
    Reconcile(cmd::recon::ReconArgs),
    /// Read the channels' fund-flow statements: what each took in and paid out per day.
    Settle(cmd::settlement::SettleArgs),
    /// Bank statements: import, the chain book → channel → bank of a day, re-check or resolve.
    #[command(subcommand)]
    Bank(cmd::bank::BankCmd),
    /// Sales summary for a range of days: figures, and with --out the XLSX/CSV figures and PNG charts.
    Report(cmd::report::ReportArgs),
    /// Shifts at this till: open with a float, X report, hand over with a blind count (交班).
    #[command(subcommand)]
    Shift(cmd::till::ShiftCmd),
    /// The business day: close it with the Z report (日结), list Z reports.
    #[command(subcommand)]
    Day(cmd::till::DayCmd),
    /// Receipts: a test page, reprints, shift and Z reports on the till's printer, or as a PNG.
    Print(cmd::print::PrintArgs),
    /// A shop with several tills: join a shared book (PostgreSQL), its link status, sync now.
    #[command(subcommand)]
    Shared(cmd::shared::SharedCmd),
    /// Back up the book (verified, into the backup folder or --out), show backup health, or write a move archive for a new PC.
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup or a move archive into the home (refuses to replace newer data without --force).
    Restore(cmd::backup::RestoreArgs),
}

#[derive(Args, Debug)]
pub(crate) struct OrderArg {
    /// Order number (P…).
    order: String,
}

fn main() {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info,paydesk=info",
        _ => "debug",
    };
    // Colour only on a terminal (and not with NO_COLOR): logs piped to a file stay plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
    let json = cli.json;
    let home = paydesk_core::config::resolve_home(cli.home.as_deref());
    match i18n::choose(cli.lang.as_deref(), |k| std::env::var(k).ok(), || home_language(&home)) {
        Ok(lang) => i18n::set(lang),
        Err(e) => std::process::exit(out::fail(&out::CliError::invalid("lang", e.trim_start_matches("lang: ")), json)),
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            out::note(&i18n::tr!(ERROR_PREFIX, message = i18n::tr!(RUNTIME_FAILED, detail = e)));
            std::process::exit(1);
        }
    };
    let code = match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => out::fail(&e, json),
    };
    std::process::exit(code);
}

/// The language setting of the home's book (the app's `lang` preference), if it has one.
fn home_language(home: &std::path::Path) -> Option<String> {
    let db = paydesk_core::Store::path_in(home);
    if !db.is_file() {
        return None;
    }
    paydesk_core::Store::open(&db).ok()?.pref("lang").ok().flatten()
}

async fn run(cli: Cli) -> Result<i32, out::CliError> {
    let o = out::Out { json: cli.json };
    let home = paydesk_core::config::resolve_home(cli.home.as_deref());
    match cli.command {
        Command::Init(a) => cmd::admin::init(&home, a, &o),
        Command::Accounts(a) => cmd::admin::accounts(&home, a, &o).await,
        Command::Pay(a) => cmd::pay::pay(&home, a, &o).await,
        Command::Query(a) => cmd::settle::query(&home, &a.order, &o).await,
        Command::Close(a) => cmd::settle::close(&home, &a.order, &o).await,
        Command::Refund(a) => cmd::settle::refund(&home, a, &o).await,
        Command::Revoke(a) => cmd::settle::revoke(&home, a, &o).await,
        Command::Orders(a) => cmd::orders::list(&home, a, &o),
        Command::Show(a) => cmd::orders::show(&home, &a.order, &o),
        Command::Serve(a) => cmd::serve::serve(&home, a, &o).await,
        Command::Sim(a) => cmd::sim::sim(a, &o).await,
        Command::Demo(a) => cmd::serve::demo(cli.home.as_deref(), a, &o).await,
        Command::Status { url } => cmd::ops::status(&home, url, &o).await,
        Command::Notifications { action } => cmd::ops::notifications(&home, action, &o),
        Command::Apikey(c) => cmd::ops::apikey(&home, c, &o),
        Command::Reconcile(a) => cmd::recon::reconcile(&home, a, &o).await,
        Command::Settle(a) => cmd::settlement::settle(&home, a, &o).await,
        Command::Bank(c) => cmd::bank::bank(&home, c, &o).await,
        Command::Report(a) => cmd::report::report(&home, a, &o),
        Command::Shift(c) => cmd::till::shift(&home, c, &o).await,
        Command::Day(c) => cmd::till::day(&home, c, &o).await,
        Command::Print(a) => cmd::print::print(&home, a, &o).await,
        Command::Shared(c) => cmd::shared::shared(&home, c, &o),
        Command::Backup(a) => cmd::backup::backup(&home, a, &o),
        Command::Restore(a) => cmd::backup::restore(&home, a, &o),
    }
}
