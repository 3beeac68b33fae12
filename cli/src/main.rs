//! `paydesk`: Paydesk from a terminal — payments, orders, refunds, accounts, the gateway
//! simulator, the callback server and demo mode. Every command takes `--json`.

mod cmd;
mod ctx;
mod out;
mod qr;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Paydesk: the payment console for a small shop's till.
#[derive(Parser, Debug)]
#[command(name = "paydesk", version, about, long_about = None, after_help = "Exit codes: 0 ok · 1 failure · 2 invalid input (nothing written) · 3 payment not successful or refused · 4 still pending · 5 not found · 6 reconciliation found open discrepancies")]
pub(crate) struct Cli {
    /// Paydesk home (book, settings, keys). Default: $PAYDESK_HOME, else the platform data dir.
    #[arg(long, global = true, env = "PAYDESK_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
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
    Refund(cmd::pay::RefundArgs),
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
    Settle(cmd::settle::SettleArgs),
    /// Bank statements: import, the chain book → channel → bank of a day, re-check or resolve.
    #[command(subcommand)]
    Bank(cmd::bank::BankCmd),
    /// Sales summary for a range of days: figures, and with --out the XLSX/CSV figures and PNG charts.
    Report(cmd::report::ReportArgs),
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
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into())).with_writer(std::io::stderr).init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    let json = cli.json;
    let code = match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => out::fail(&e, json),
    };
    std::process::exit(code);
}

async fn run(cli: Cli) -> Result<i32, out::CliError> {
    let o = out::Out { json: cli.json };
    let home = paydesk_core::config::resolve_home(cli.home.as_deref());
    match cli.command {
        Command::Init(a) => cmd::admin::init(&home, a, &o),
        Command::Accounts(a) => cmd::admin::accounts(&home, a, &o).await,
        Command::Pay(a) => cmd::pay::pay(&home, a, &o).await,
        Command::Query(a) => cmd::pay::query(&home, &a.order, &o).await,
        Command::Close(a) => cmd::pay::close(&home, &a.order, &o).await,
        Command::Refund(a) => cmd::pay::refund(&home, a, &o).await,
        Command::Orders(a) => cmd::orders::list(&home, a, &o),
        Command::Show(a) => cmd::orders::show(&home, &a.order, &o),
        Command::Serve(a) => cmd::serve::serve(&home, a, &o).await,
        Command::Sim(a) => cmd::sim::sim(a, &o).await,
        Command::Demo(a) => cmd::serve::demo(cli.home.as_deref(), a, &o).await,
        Command::Status { url } => cmd::ops::status(&home, url, &o).await,
        Command::Notifications { action } => cmd::ops::notifications(&home, action, &o),
        Command::Apikey(c) => cmd::ops::apikey(&home, c, &o),
        Command::Reconcile(a) => cmd::recon::reconcile(&home, a, &o).await,
        Command::Settle(a) => cmd::settle::settle(&home, a, &o).await,
        Command::Bank(c) => cmd::bank::bank(&home, c, &o).await,
        Command::Report(a) => cmd::report::report(&home, a, &o),
    }
}
