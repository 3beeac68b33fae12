//! `reconcile`: run a day's reconciliation (download or `--file`), show stored results,
//! re-query, resolve or accept (external payments) discrepancies, export the report
//! (CSV/XLSX/TXT). A failed run is reported beside the day's last good run, which it does not
//! replace, and the exit code is not 0.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use paydesk_core::export::Format;
use paydesk_core::reconcile::{report, DiscrepancyKind, ItemState, Phase, Progress, Reconciler, RunRequest, StatementInput};
use paydesk_core::store::{ItemFilter, RunRecord};
use serde_json::json;

use crate::ctx;
use crate::i18n::{self, catalog as m, t, tr, Msg};
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK};

/// Exit code when a reconciliation finds differences still open.
pub(crate) const EXIT_DISCREPANCIES: i32 = 6;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ReconArgs {
    #[command(subcommand)]
    action: Option<ReconCmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// The business day: YYYY-MM-DD, `today` or `yesterday` (default).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Last day of a range starting at --date (each day is reconciled): YYYY-MM-DD, `today`, `yesterday`.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only this account (default: every enabled account that has statements).
    #[arg(long)]
    account: Option<String>,
    /// Reconcile against this statement file (downloaded by hand) instead of downloading it.
    /// Needs --account and a single day.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Show the stored results instead of running again.
    #[arg(long)]
    show: bool,
    /// Write the report: csv, csv_bom, csv_gbk, xlsx, txt (repeat for several).
    #[arg(long, value_name = "FORMAT")]
    export: Vec<String>,
    /// Where exported reports go (default: <home>/exports).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Which leg: `statement` (the channels' statements × the book) or `bank` (the channels'
    /// payouts × the imported bank statements; see `paydesk bank`).
    #[arg(long, default_value = "statement", value_parser = ["statement", "bank"])]
    leg: String,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ReconCmd {
    /// Ask the channel again about a discrepancy; the book is corrected where the answer proves it.
    Requery {
        /// The discrepancy's id (from `paydesk reconcile --show`).
        id: i64,
    },
    /// Mark a discrepancy resolved, with a note saying why.
    Resolve {
        id: i64,
        #[arg(long)]
        note: String,
    },
    /// Accept payments taken outside Paydesk (discrepancies of kind `external`: a 收款码 sticker,
    /// the channel's own app) into the book as external sales, with a note. Give their ids, or
    /// --all for every open one of --date (default yesterday) and --account.
    Accept {
        /// Discrepancy ids (from `paydesk reconcile --show`).
        ids: Vec<i64>,
        /// Every open external discrepancy of the day(s) and account(s).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// With --all: the business day (YYYY-MM-DD, `today`, `yesterday`).
        #[arg(long, value_name = "DATE", requires = "all")]
        date: Option<String>,
        /// With --all: only this account.
        #[arg(long, requires = "all")]
        account: Option<String>,
        #[arg(long)]
        note: String,
    },
}

/// A progress bar on stderr (hidden when stderr is not a terminal or with --json).
struct Bar {
    bar: ProgressBar,
    last: Mutex<Option<(String, Phase)>>,
}

impl Progress for Bar {
    fn report(&self, account: &str, phase: Phase, done: u64, total: Option<u64>) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref() != Some(&(account.to_string(), phase)) {
            *last = Some((account.to_string(), phase));
            self.bar.set_message(format!("{account}: {}", phase_word(phase)));
        }
        match total {
            Some(t) => {
                self.bar.set_length(t);
                self.bar.set_position(done);
            }
            None => self.bar.set_position(done),
        }
    }
}

fn bar(o: &Out) -> Arc<Bar> {
    let b = ProgressBar::with_draw_target(None, if o.json { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() });
    b.set_style(ProgressStyle::with_template("{spinner} {msg:<28} {pos:>9} {wide_bar} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_bar()));
    b.enable_steady_tick(std::time::Duration::from_millis(120));
    Arc::new(Bar { bar: b, last: Mutex::new(None) })
}

fn phase_word(p: Phase) -> &'static str {
    t(match p {
        Phase::Download => m::PHASE_DOWNLOAD,
        Phase::Parse => m::PHASE_PARSE,
        Phase::Book => m::PHASE_BOOK,
        Phase::Match => m::PHASE_MATCH,
        Phase::Save => m::PHASE_SAVE,
        Phase::Export => m::PHASE_EXPORT,
    })
}

fn state_word(s: ItemState) -> &'static str {
    t(match s {
        ItemState::Open => m::STATE_OPEN,
        ItemState::Fixed => m::STATE_FIXED,
        ItemState::Resolved => m::STATE_RESOLVED,
    })
}

fn kind_word(k: DiscrepancyKind) -> &'static str {
    t(match k {
        DiscrepancyKind::MissingInBook => m::DKIND_MISSING_IN_BOOK,
        DiscrepancyKind::MissingAtChannel => m::DKIND_MISSING_AT_CHANNEL,
        DiscrepancyKind::AmountDiffers => m::DKIND_AMOUNT_DIFFERS,
        DiscrepancyKind::StatusDiffers => m::DKIND_STATUS_DIFFERS,
        DiscrepancyKind::FeeDiffers => m::DKIND_FEE_DIFFERS,
        DiscrepancyKind::RefundDiffers => m::DKIND_REFUND_DIFFERS,
        DiscrepancyKind::Duplicate => m::DKIND_DUPLICATE,
        DiscrepancyKind::External => m::DKIND_EXTERNAL,
    })
}

/// Why the matcher flagged a line, from its rule code (the English detail when the code is new).
fn why(d: &paydesk_core::reconcile::Discrepancy) -> String {
    let msg: Option<Msg> = match d.reason.code.as_str() {
        "listed_twice" => Some(m::WHY_LISTED_TWICE),
        "refund_listed_twice" => Some(m::WHY_REFUND_LISTED_TWICE),
        "other_account" => Some(m::WHY_OTHER_ACCOUNT),
        "unknown_payment" => Some(m::WHY_UNKNOWN_PAYMENT),
        "unknown_refund" => Some(m::WHY_UNKNOWN_REFUND),
        "unknown_reversal" => Some(m::WHY_UNKNOWN_REVERSAL),
        "reversed_book_paid" => Some(m::WHY_REVERSED_BOOK_PAID),
        "paid_book_says" => Some(m::WHY_PAID_BOOK_SAYS),
        "amount" => Some(m::WHY_AMOUNT),
        "fee" => Some(m::WHY_FEE),
        "refunded_book_says" => Some(m::WHY_REFUNDED_BOOK_SAYS),
        "refund_amount" => Some(m::WHY_REFUND_AMOUNT),
        "fee_returned" => Some(m::WHY_FEE_RETURNED),
        "not_on_statement" => Some(m::WHY_NOT_ON_STATEMENT),
        "refund_not_on_statement" => Some(m::WHY_REFUND_NOT_ON_STATEMENT),
        "external_payment" => Some(m::WHY_EXTERNAL_PAYMENT),
        "external_refund" => Some(m::WHY_EXTERNAL_REFUND),
        _ => None,
    };
    msg.map_or_else(|| d.detail.clone(), |msg| i18n::reason(msg, &d.reason))
}

/// A business day: `YYYY-MM-DD`, `today` or `yesterday` (in the statements' zone).
pub(crate) fn parse_day(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, CliError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "today" => Ok(today),
        "yesterday" => today.pred_opt().ok_or_else(|| CliError::other(t(m::RECON_NO_YESTERDAY))),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| CliError::invalid(field, tr!(NOT_A_DATE, value = s))),
    }
}

/// `--date` (default yesterday) to `--to` (default the same day): at most 92 days, in order.
pub(crate) fn day_range(date: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), CliError> {
    let from = parse_day("date", date.unwrap_or("yesterday"), today)?;
    let to = to.map(|d| parse_day("to", d, today)).transpose()?.unwrap_or(from);
    if to < from || (to - from).num_days() > 92 {
        return Err(CliError::invalid("to", t(m::RECON_TO_RANGE)));
    }
    Ok((from, to))
}

/// The exit code of a reconciliation error by its code (every leg, fund flows too): a refused
/// input 2, an unknown id 5, anything else 1.
pub(crate) fn exit_for(code: &str) -> i32 {
    match code {
        "invalid" | "bad_statement" => EXIT_INVALID,
        "not_found" => EXIT_NOT_FOUND,
        _ => EXIT_FAILURE,
    }
}

fn err(e: paydesk_core::reconcile::ReconError) -> CliError {
    let code = e.code();
    CliError::coded(code, e, exit_for(code))
}

pub(crate) fn yuan(f: i64) -> String {
    paydesk_core::export::txt::grouped_money(f)
}

fn run_line(r: &RunRecord) -> String {
    let s = &r.summary;
    if r.status == "failed" {
        return tr!(RECON_RUN_FAILED, day = r.day, account = i18n::pad(&r.account, 16), error = r.error.as_deref().unwrap_or(""));
    }
    let line = tr!(
        RECON_RUN,
        day = r.day,
        account = i18n::pad(&r.account, 16),
        payments = format!("{:>6}", s.payments),
        payment_amount = format!("{:>14}", yuan(s.payment_amount)),
        refunds = format!("{:>5}", s.refunds),
        refund_amount = format!("{:>12}", yuan(s.refund_amount)),
        fees = format!("{:>10}", yuan(s.fees)),
        net = format!("{:>14}", yuan(s.net)),
        matched = format!("{:>6}", s.matched),
        mismatched = format!("{:>4}", s.mismatched),
        open = r.open
    );
    match &r.failure {
        Some(f) => format!("{line}\n{}", tr!(RECON_LATER_FAILED, day = r.day, account = i18n::pad(&r.account, 16), run = f.run_id, error = f.error)),
        None => line,
    }
}

pub(crate) async fn reconcile(home: &Path, a: ReconArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let rec = Reconciler::new(p, home, Arc::new(paydesk_channels::statement::Parsers));
    match a.action {
        Some(ReconCmd::Requery { id }) => {
            // A re-query that leaves the difference open is an answer, not an error.
            let i = rec.requery(id, None).await.map_err(err)?;
            let last = rec.store().recon_actions(id)?.pop().map(|x| x.outcome).unwrap_or_default();
            o.print(&i, || tr!(RECON_REQUERIED, id = id, state = state_word(i.state), outcome = last));
            Ok(EXIT_OK)
        }
        Some(ReconCmd::Resolve { id, note }) => {
            let i = rec.resolve(id, &note, None).map_err(err)?;
            o.print(&i, || tr!(RECON_RESOLVED, id = id));
            Ok(EXIT_OK)
        }
        Some(ReconCmd::Accept { ids, all, date, account, note }) => accept(&rec, ids, all, date, account, &note, o),
        None => run(home, &rec, a.run, o).await,
    }
}

fn accept(rec: &Reconciler, ids: Vec<i64>, all: bool, date: Option<String>, account: Option<String>, note: &str, o: &Out) -> Result<i32, CliError> {
    let ids = if all {
        let day = parse_day("date", date.as_deref().unwrap_or("yesterday"), rec.today())?;
        let accounts: Vec<String> = account.into_iter().collect();
        let runs = rec.store().latest_runs(&day.to_string(), &day.to_string(), &accounts)?;
        let run_ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
        let f = ItemFilter { kind: Some(paydesk_core::reconcile::DiscrepancyKind::External), state: Some(paydesk_core::reconcile::ItemState::Open), limit: Some(paydesk_core::reconcile::external::MAX_BATCH as u32) };
        rec.store().recon_items(&run_ids, &f)?.into_iter().map(|i| i.id).collect()
    } else {
        ids
    };
    if ids.is_empty() {
        return Err(CliError::coded("not_found", t(m::RECON_NOTHING_TO_ACCEPT), EXIT_NOT_FOUND));
    }
    let done = rec.accept_external(&ids, note, None).map_err(err)?;
    o.print(&done, || {
        let mut s: Vec<String> = done
            .iter()
            .map(|i| tr!(RECON_ACCEPTED, id = i.id, account = i.account, trade_no = i.discrepancy.channel.as_ref().and_then(|c| c.trade_no.as_deref()).unwrap_or("")))
            .collect();
        s.push(tr!(RECON_ACCEPTED_COUNT, count = done.len()));
        s.join("\n")
    });
    Ok(EXIT_OK)
}

/// A run that could not be done in this invocation.
struct Failed {
    day: NaiveDate,
    account: String,
    error: paydesk_core::reconcile::ReconError,
}

async fn run(home: &Path, rec: &Reconciler, a: RunArgs, o: &Out) -> Result<i32, CliError> {
    let formats = a.export.iter().map(|f| f.parse::<Format>().map_err(|e| CliError::invalid("export", e))).collect::<Result<Vec<_>, _>>()?;
    let (from, to) = day_range(a.date.as_deref(), a.to.as_deref(), rec.today())?;
    if a.leg == "bank" {
        if a.file.is_some() || a.account.is_some() {
            return Err(CliError::invalid("leg", "the bank leg runs every account of a day: import bank files with `paydesk bank import`"));
        }
        return super::bank::reconcile(home, from, to, a.show, formats, a.out, o).await;
    }
    if a.file.is_some() && (a.account.is_none() || to != from) {
        return Err(CliError::invalid("file", t(m::RECON_FILE_ONE)));
    }
    if let Some(acct) = &a.account {
        rec.store().account(acct).map_err(|_| CliError::invalid("account", tr!(RECON_NO_ACCOUNT, account = format!("{acct:?}"))))?;
    }
    let accounts: Vec<String> = a.account.iter().cloned().collect();
    let mut failed: Vec<Failed> = Vec::new();
    if !a.show {
        let progress = bar(o);
        let mut day = from;
        while day <= to {
            let results = match (&a.account, &a.file) {
                (Some(acct), file) => {
                    let input = file.clone().map_or(StatementInput::Download, StatementInput::File);
                    vec![rec.run(RunRequest { account: acct.clone(), day, input, trigger: "cli".into() }, None, progress.clone()).await.map_err(|e| (acct.clone(), e))]
                }
                (None, _) => rec.run_all(day, "cli", None, progress.clone()).await,
            };
            for r in results {
                if let Err((account, error)) = r {
                    progress.bar.suspend(|| crate::out::note(&tr!(RECON_DAY_ERROR, day = day, account = account, error = error)));
                    failed.push(Failed { day, account, error });
                }
            }
            day = day.succ_opt().unwrap_or(to + chrono::Days::new(1));
        }
        progress.bar.finish_and_clear();
    }
    // What the day(s) stand at: the last good run of each, a newer failure beside it.
    let runs: Vec<RunRecord> = rec.store().latest_runs(&from.to_string(), &to.to_string(), &accounts)?;
    let ids: Vec<i64> = runs.iter().filter(|r| r.status == "done").map(|r| r.id).collect();
    let items = rec.store().recon_items(&ids, &ItemFilter { limit: Some(1000), ..Default::default() })?;
    let mut files = Vec::new();
    if !formats.is_empty() && !runs.is_empty() {
        let tables = report::tables(rec, &runs).map_err(err)?;
        let dir = a.out.clone().unwrap_or_else(|| home.join("exports"));
        let stem = if from == to { format!("reconciliation-{from}") } else { format!("reconciliation-{from}-{to}") };
        for f in formats {
            files.extend(paydesk_core::export::write_files(&dir, &stem, &tables, f).map_err(CliError::other)?);
        }
    }
    let open: u64 = runs.iter().map(|r| r.open).sum();
    let errors: Vec<serde_json::Value> = failed.iter().map(|f| json!({"day": f.day.to_string(), "account": f.account, "code": f.error.code(), "message": f.error.to_string()})).collect();
    o.print(&json!({"runs": runs, "discrepancies": items, "exported": files, "failed": failed.len(), "errors": errors}), || {
        let mut s: Vec<String> = runs.iter().map(run_line).collect();
        if runs.is_empty() {
            s.push(tr!(RECON_NONE, days = if to != from { format!("{from} – {to}") } else { from.to_string() }));
        }
        for i in items.iter().filter(|i| i.state == ItemState::Open).take(50) {
            let d = &i.discrepancy;
            let no = d.refund_no.as_deref().filter(|n| !n.is_empty()).or(Some(d.order_no.as_str()).filter(|n| !n.is_empty())).or(d.channel.as_ref().and_then(|c| c.trade_no.as_deref())).unwrap_or("");
            s.push(format!("  #{:<5} {} {} {} {}", i.id, i.account, i18n::pad(kind_word(d.kind), 18), i18n::pad(no, 28), why(d)));
        }
        for f in &files {
            s.push(tr!(RECON_EXPORTED, path = f.display()));
        }
        s.join("\n")
    });
    // A failure this time is the exit code, whatever the earlier good runs say.
    if let Some(worst) = failed.iter().map(|f| exit_for(f.error.code())).max() {
        return Ok(worst);
    }
    Ok(if open > 0 { EXIT_DISCREPANCIES } else { EXIT_OK })
}
