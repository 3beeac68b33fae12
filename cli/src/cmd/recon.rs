//! `reconcile`: run a day's reconciliation (download or `--file`), show stored results,
//! re-query or resolve a discrepancy, export the report (CSV/XLSX/TXT).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use paydesk_core::export::Format;
use paydesk_core::reconcile::{report, Phase, Progress, Reconciler, RunRequest, StatementInput};
use paydesk_core::store::{ItemFilter, RunRecord};
use serde_json::json;

use crate::ctx;
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

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
    /// The business day (YYYY-MM-DD); default yesterday.
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Last day of a range starting at --date (each day is reconciled).
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
            self.bar.set_message(format!("{account}: {}", phase.as_str()));
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

pub(crate) fn parse_day(field: &str, s: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| CliError::invalid(field, format!("{s:?} is not a date like 2026-11-25")))
}

fn err(e: paydesk_core::reconcile::ReconError) -> CliError {
    let exit = if e.code() == "invalid" || e.code() == "bad_statement" { crate::out::EXIT_INVALID } else { EXIT_FAILURE };
    CliError { code: e.code(), message: e.to_string(), exit }
}

fn yuan(f: i64) -> String {
    paydesk_core::export::txt::grouped_money(f)
}

fn run_line(r: &RunRecord) -> String {
    let s = &r.summary;
    if r.status == "failed" {
        return format!("{} {:<16} FAILED: {}", r.day, r.account, r.error.as_deref().unwrap_or(""));
    }
    format!(
        "{} {:<16} payments {:>6} {:>14}  refunds {:>5} {:>12}  fees {:>10}  net {:>14}  matched {:>6}  discrepancies {:>4} ({} open)",
        r.day, r.account, s.payments, yuan(s.payment_amount), s.refunds, yuan(s.refund_amount), yuan(s.fees), yuan(s.net), s.matched, s.mismatched, r.open
    )
}

pub(crate) async fn reconcile(home: &Path, a: ReconArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let rec = Reconciler::new(p, home, Arc::new(paydesk_channels::statement::Parsers));
    match a.action {
        Some(ReconCmd::Requery { id }) => {
            let i = rec.requery(id, None).await.map_err(err)?;
            let last = rec.store().recon_actions(id)?.pop().map(|x| x.outcome).unwrap_or_default();
            o.print(&i, || format!("discrepancy {id}: {} — {last}", i.state.as_str()));
            Ok(EXIT_OK)
        }
        Some(ReconCmd::Resolve { id, note }) => {
            let i = rec.resolve(id, &note, None).map_err(err)?;
            o.print(&i, || format!("discrepancy {id}: resolved"));
            Ok(EXIT_OK)
        }
        None => run(home, &rec, a.run, o).await,
    }
}

async fn run(home: &Path, rec: &Reconciler, a: RunArgs, o: &Out) -> Result<i32, CliError> {
    let formats = a.export.iter().map(|f| f.parse::<Format>().map_err(|e| CliError::invalid("export", e))).collect::<Result<Vec<_>, _>>()?;
    let from = match &a.date {
        Some(d) => parse_day("date", d)?,
        None => rec.today().pred_opt().ok_or_else(|| CliError::other("no yesterday"))?,
    };
    let to = a.to.as_deref().map(|d| parse_day("to", d)).transpose()?.unwrap_or(from);
    if to < from || (to - from).num_days() > 92 {
        return Err(CliError::invalid("to", "must be on or after --date, at most 92 days later"));
    }
    if a.leg == "bank" {
        if a.file.is_some() || a.account.is_some() {
            return Err(CliError::invalid("leg", "the bank leg runs every account of a day: import bank files with `paydesk bank import`"));
        }
        return super::bank::reconcile(home, from, to, a.show, formats, a.out, o).await;
    }
    if a.file.is_some() && (a.account.is_none() || to != from) {
        return Err(CliError::invalid("file", "a statement file belongs to one account and one day: give --account and a single --date"));
    }
    if let Some(acct) = &a.account {
        rec.store().account(acct).map_err(|_| CliError::invalid("account", format!("no account named {acct:?}")))?;
    }
    let mut runs: Vec<RunRecord> = Vec::new();
    let mut failed = 0;
    if a.show {
        let accounts: Vec<String> = a.account.iter().cloned().collect();
        runs = rec.store().latest_runs(&from.to_string(), &to.to_string(), &accounts)?;
    } else {
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
                match r {
                    Ok(r) => runs.push(r),
                    Err((acct, e)) if e.code() == "invalid" || e.code() == "bad_statement" => {
                        progress.bar.finish_and_clear();
                        return Err(err(e)).map_err(|c| CliError { message: format!("{acct}: {}", c.message), ..c });
                    }
                    Err((acct, e)) => {
                        failed += 1;
                        progress.bar.suspend(|| eprintln!("{day} {acct}: {e}"));
                    }
                }
            }
            day = day.succ_opt().unwrap_or(to + chrono::Days::new(1));
        }
        progress.bar.finish_and_clear();
    }
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    let items = rec.store().recon_items(&ids, &ItemFilter { limit: Some(1000), ..Default::default() })?;
    let mut files = Vec::new();
    if !formats.is_empty() {
        let tables = report::tables(rec.store(), &runs)?;
        let dir = a.out.clone().unwrap_or_else(|| home.join("exports"));
        let stem = if from == to { format!("reconciliation-{from}") } else { format!("reconciliation-{from}-{to}") };
        for f in formats {
            files.extend(paydesk_core::export::write_files(&dir, &stem, &tables, f).map_err(CliError::other)?);
        }
    }
    let open: u64 = runs.iter().map(|r| r.open).sum();
    o.print(&json!({"runs": runs, "discrepancies": items, "exported": files, "failed": failed}), || {
        let mut s: Vec<String> = runs.iter().map(run_line).collect();
        if runs.is_empty() {
            s.push(format!("no reconciliation for {from}{}", if to != from { format!(" – {to}") } else { String::new() }));
        }
        for i in items.iter().filter(|i| i.state == paydesk_core::reconcile::ItemState::Open).take(50) {
            let d = &i.discrepancy;
            s.push(format!("  #{:<5} {} {:<18} {:<28} {}", i.id, i.account, d.kind.as_str(), d.refund_no.as_deref().unwrap_or(&d.order_no), d.detail));
        }
        for f in &files {
            s.push(format!("exported {}", f.display()));
        }
        s.join("\n")
    });
    Ok(if failed > 0 { EXIT_FAILURE } else if open > 0 { EXIT_DISCREPANCIES } else { EXIT_OK })
}
