//! `bank`: import bank statements, the chain book → channel → bank of a day, re-check or resolve
//! a bank discrepancy; and `reconcile --leg bank` (run or show the bank leg of days, export).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use clap::Subcommand;
use paydesk_core::export::Format;
use paydesk_core::reconcile::bank::{report, BankLeg, ItemState};
use paydesk_core::settle::chain::{day_chain, DayChain, Link, LinkState};
use paydesk_core::store::{BankItem, BankRunRecord};
use serde_json::json;

use super::recon::{parse_day, yuan, EXIT_DISCREPANCIES};
use crate::ctx;
use crate::i18n::{catalog as m, t, tr};
use crate::out::{CliError, Out, EXIT_OK};

#[derive(Subcommand, Debug)]
pub(crate) enum BankCmd {
    /// Import a bank statement (the bank's online-banking export: CSV, XLSX or XLS) and run the
    /// business days it can settle.
    Import {
        file: PathBuf,
        /// Column mapping: auto (detect), icbc, ccb, cmb, boc, abc, or one of config.toml's [[bank.mappings]].
        #[arg(long, default_value = "auto")]
        preset: String,
        /// The shop's bank account the statement is of (default: what the file says).
        #[arg(long, value_name = "NUMBER")]
        bank_account: Option<String>,
    },
    /// The column mappings Paydesk knows: the presets and config.toml's own.
    Presets,
    /// The bank statements imported so far.
    Statements,
    /// A day at a glance: what the book booked, what the channels' fund flows show, what reached the bank.
    Chain {
        /// The business day (default: the day before yesterday, whose payouts have had time to arrive).
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
    /// Read a bank discrepancy's fund flow again and run its day again.
    Recheck { id: i64 },
    /// Mark a bank discrepancy resolved, with a note saying why.
    Resolve {
        id: i64,
        #[arg(long)]
        note: String,
    },
}

pub(crate) fn leg(p: &Arc<paydesk_core::Payments>, home: &Path) -> BankLeg {
    BankLeg::new(Arc::new(super::settlement::settler(p, home)), home)
}

fn err(e: paydesk_core::reconcile::ReconError) -> CliError {
    super::settlement::leg_error(e.code(), e)
}

fn run_line(r: &BankRunRecord) -> String {
    let s = &r.summary;
    if r.status == "failed" {
        return tr!(BANK_RUN_FAILED, day = r.day, error = r.error.as_deref().unwrap_or(""));
    }
    tr!(
        BANK_RUN,
        day = r.day,
        payouts = format!("{:>3}", s.payouts),
        expected = format!("{:>14}", yuan(s.expected)),
        deposited_count = format!("{:>3}", s.matched + s.short + s.over),
        deposited = format!("{:>14}", yuan(s.deposited)),
        pending = format!("{:>2}", s.pending),
        missing = format!("{:>2}", s.missing),
        short = format!("{:>2}", s.short),
        over = format!("{:>2}", s.over),
        unexpected = format!("{:>2}", s.unexpected),
        open = r.open
    )
}

fn item_line(i: &BankItem) -> String {
    format!("  #{:<5} {} {:<18} {:<14} {}", i.id, i.day, i.kind.as_str(), i.account.as_deref().unwrap_or("—"), i.detail)
}

fn arrow(l: &Link) -> String {
    let mark = match l.state {
        LinkState::Agree => "✓".to_string(),
        LinkState::Pending => "…".into(),
        LinkState::Unknown => "?".into(),
        LinkState::Differ => format!("✗ {}", yuan(l.difference)),
    };
    format!("──{mark}──▶")
}

fn chain_text(c: &DayChain) -> String {
    let mut s = vec![tr!(BANK_CHAIN, day = c.day, book = yuan(c.book.net), book_channel = arrow(&c.book_channel), channel = yuan(c.channel.net), channel_bank = arrow(&c.channel_bank), bank = yuan(c.deposited))];
    for a in &c.accounts {
        let funds = a.funds.as_ref().map_or(t(m::BANK_NO_FUNDS).to_string(), |f| tr!(BANK_FUNDS, sales = yuan(f.sales), refunds = yuan(f.refunds), fees = yuan(f.fees), net = yuan(f.net)));
        s.push(tr!(BANK_CHAIN_ACCOUNT, account = format!("{:<16}", a.account), sales = yuan(a.book.sales), refunds = yuan(a.book.refunds), arrow = arrow(&a.book_channel), funds = funds));
        for p in &a.payouts {
            let deposit = match (&p.deposited, &p.deposit_day) {
                (Some(d), Some(day)) => tr!(BANK_CHAIN_DEPOSIT, amount = yuan(*d), day = day),
                _ => String::new(),
            };
            s.push(tr!(BANK_CHAIN_PAYOUT, reference = format!("{:<24}", p.payout.reference), amount = format!("{:>12}", yuan(p.payout.amount)), day = p.payout.day, status = p.status, deposit = deposit));
        }
    }
    if c.bank_covered_to.is_none() {
        s.push(t(m::BANK_CHAIN_NO_STATEMENT).into());
    }
    s.join("\n")
}

pub(crate) async fn bank(home: &Path, cmd: BankCmd, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let leg = leg(&p, home);
    match cmd {
        BankCmd::Import { file, preset, bank_account } => {
            let bytes = std::fs::read(&file).map_err(|e| CliError::invalid("file", format!("cannot read {}: {e}", file.display())))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "statement".into());
            let imp = leg.import(&name, bytes, Some(&preset), bank_account.as_deref(), None).await.map_err(err)?;
            let st = &imp.statement;
            let open: u64 = imp.runs.iter().map(|r| r.open).max().unwrap_or(0);
            o.print(&imp, || {
                let mut s = vec![tr!(BANK_IMPORTED, name = name, preset = st.preset, account = st.bank_account, rows = st.rows, new_rows = st.new_rows, from = st.period_from, to = st.period_to)];
                s.extend(imp.runs.iter().map(run_line));
                s.join("\n")
            });
            Ok(if open > 0 { EXIT_DISCREPANCIES } else { EXIT_OK })
        }
        BankCmd::Presets => {
            let all = leg.settings().mappings();
            o.print(&all, || all.iter().map(|x| tr!(BANK_PRESET, name = format!("{:<8}", x.name), label = format!("{:<16}", x.label), date = x.date.join(" / "))).collect::<Vec<_>>().join("\n"));
            Ok(EXIT_OK)
        }
        BankCmd::Statements => {
            let list = leg.store().bank_statements(200)?;
            o.print(&list, || {
                if list.is_empty() {
                    return t(m::BANK_NO_STATEMENTS).into();
                }
                list.iter()
                    .map(|s| tr!(BANK_STATEMENT, id = format!("{:<4}", s.id), from = s.period_from, to = s.period_to, preset = format!("{:<6}", s.preset), account = format!("{:<22}", s.bank_account), rows = format!("{:>5}", s.rows), new_rows = s.new_rows, file = s.file))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(EXIT_OK)
        }
        BankCmd::Chain { date } => {
            let day = match date {
                Some(d) => parse_day("date", &d, leg.today())?,
                None => leg.today().checked_sub_days(chrono::Days::new(2)).ok_or_else(|| CliError::other(t(m::BANK_NO_DAY)))?,
            };
            let c = day_chain(leg.settler(), day)?;
            o.print(&c, || chain_text(&c));
            Ok(if c.book_channel.state == LinkState::Differ || c.channel_bank.state == LinkState::Differ { EXIT_DISCREPANCIES } else { EXIT_OK })
        }
        BankCmd::Recheck { id } => {
            let i = leg.recheck(id, None).await.map_err(err)?;
            let last = leg.store().bank_actions(id)?.pop().map(|x| x.outcome).unwrap_or_default();
            o.print(&i, || tr!(BANK_ITEM_STATE, id = id, state = i.state.as_str(), outcome = last));
            Ok(EXIT_OK)
        }
        BankCmd::Resolve { id, note } => {
            let i = leg.resolve(id, &note, None).map_err(err)?;
            o.print(&i, || tr!(BANK_ITEM_RESOLVED, id = id));
            Ok(EXIT_OK)
        }
    }
}

/// `reconcile --leg bank`: run (or `--show`) the bank leg of the days, print, export.
pub(crate) async fn reconcile(home: &Path, from: NaiveDate, to: NaiveDate, show: bool, formats: Vec<Format>, out: Option<PathBuf>, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let leg = leg(&p, home);
    let runs = if show {
        leg.store().latest_bank_runs(&from.to_string(), &to.to_string())?
    } else {
        let last = leg.today().pred_opt().unwrap_or(to).min(to);
        if last < from {
            return Err(CliError::invalid("date", t(m::BANK_DAYS_OVER)));
        }
        leg.run_days(from, last, "cli", None).map_err(err)?
    };
    let items = leg.store().bank_items(&from.to_string(), &to.to_string(), None, None)?;
    let mut files = Vec::new();
    if !formats.is_empty() {
        let tables = report::tables(leg.store(), &runs)?;
        let dir = out.unwrap_or_else(|| home.join("exports"));
        let stem = if from == to { format!("bank-{from}") } else { format!("bank-{from}-{to}") };
        for f in formats {
            files.extend(paydesk_core::export::write_files(&dir, &stem, &tables, f).map_err(CliError::other)?);
        }
    }
    let open = items.iter().filter(|i| i.state == ItemState::Open).count();
    o.print(&json!({"runs": runs, "discrepancies": items, "exported": files}), || {
        let mut s: Vec<String> = runs.iter().map(run_line).collect();
        if runs.is_empty() {
            s.push(tr!(BANK_NO_RUN, days = if to != from { format!("{from} – {to}") } else { from.to_string() }));
        }
        s.extend(items.iter().filter(|i| i.state == ItemState::Open).take(50).map(item_line));
        s.extend(files.iter().map(|f| tr!(RECON_EXPORTED, path = f.display())));
        s.join("\n")
    });
    Ok(if open > 0 { EXIT_DISCREPANCIES } else { EXIT_OK })
}
