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

use super::recon::{parse_day, EXIT_DISCREPANCIES};
use crate::ctx;
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_INVALID, EXIT_OK};

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
    let exit = if matches!(e.code(), "invalid" | "bad_statement") { EXIT_INVALID } else { EXIT_FAILURE };
    CliError { code: e.code(), message: e.to_string(), exit, order_no: None }
}

fn yuan(f: i64) -> String {
    paydesk_core::export::txt::grouped_money(f)
}

fn run_line(r: &BankRunRecord) -> String {
    let s = &r.summary;
    if r.status == "failed" {
        return format!("{} FAILED: {}", r.day, r.error.as_deref().unwrap_or(""));
    }
    format!(
        "{}  payouts {:>3} {:>14}  deposited {:>3} {:>14}  pending {:>2}  missing {:>2}  short {:>2}  over {:>2}  unexpected {:>2} ({} open)",
        r.day,
        s.payouts,
        yuan(s.expected),
        s.matched + s.short + s.over,
        yuan(s.deposited),
        s.pending,
        s.missing,
        s.short,
        s.over,
        s.unexpected,
        r.open
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
    let mut s = vec![format!("{}  book {} {} channel {} {} bank {}", c.day, yuan(c.book.net), arrow(&c.book_channel), yuan(c.channel.net), arrow(&c.channel_bank), yuan(c.deposited))];
    for a in &c.accounts {
        let funds = a.funds.as_ref().map_or("no fund flow read".to_string(), |f| format!("sales {} refunds {} fees {} net {}", yuan(f.sales), yuan(f.refunds), yuan(f.fees), yuan(f.net)));
        s.push(format!("  {:<16} book sales {} refunds {}  {} channel: {}", a.account, yuan(a.book.sales), yuan(a.book.refunds), arrow(&a.book_channel), funds));
        for p in &a.payouts {
            let bank = match (&p.deposited, &p.deposit_day) {
                (Some(d), Some(day)) => format!("{} on {day}", yuan(*d)),
                _ => String::new(),
            };
            s.push(format!("    payout {:<24} {:>12} on {} → bank: {} {bank}", p.payout.reference, yuan(p.payout.amount), p.payout.day, p.status));
        }
    }
    if c.bank_covered_to.is_none() {
        s.push("  no bank statement imported yet: `paydesk bank import FILE`".into());
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
                let mut s = vec![format!("imported {} ({}, account {}): {} lines, {} new, {} – {}", name, st.preset, st.bank_account, st.rows, st.new_rows, st.period_from, st.period_to)];
                s.extend(imp.runs.iter().map(run_line));
                s.join("\n")
            });
            Ok(if open > 0 { EXIT_DISCREPANCIES } else { EXIT_OK })
        }
        BankCmd::Presets => {
            let all = leg.settings().mappings();
            o.print(&all, || all.iter().map(|m| format!("{:<8} {:<16} date: {}", m.name, m.label, m.date.join(" / "))).collect::<Vec<_>>().join("\n"));
            Ok(EXIT_OK)
        }
        BankCmd::Statements => {
            let list = leg.store().bank_statements(200)?;
            o.print(&list, || {
                if list.is_empty() {
                    return "no bank statement imported".into();
                }
                list.iter().map(|s| format!("#{:<4} {} – {}  {:<6} {:<22} {:>5} lines ({} new)  {}", s.id, s.period_from, s.period_to, s.preset, s.bank_account, s.rows, s.new_rows, s.file)).collect::<Vec<_>>().join("\n")
            });
            Ok(EXIT_OK)
        }
        BankCmd::Chain { date } => {
            let day = match date {
                Some(d) => parse_day("date", &d, leg.today())?,
                None => leg.today().checked_sub_days(chrono::Days::new(2)).ok_or_else(|| CliError::other("no such day"))?,
            };
            let c = day_chain(leg.settler(), day)?;
            o.print(&c, || chain_text(&c));
            Ok(if c.book_channel.state == LinkState::Differ || c.channel_bank.state == LinkState::Differ { EXIT_DISCREPANCIES } else { EXIT_OK })
        }
        BankCmd::Recheck { id } => {
            let i = leg.recheck(id, None).await.map_err(err)?;
            let last = leg.store().bank_actions(id)?.pop().map(|x| x.outcome).unwrap_or_default();
            o.print(&i, || format!("bank discrepancy {id}: {} — {last}", i.state.as_str()));
            Ok(EXIT_OK)
        }
        BankCmd::Resolve { id, note } => {
            let i = leg.resolve(id, &note, None).map_err(err)?;
            o.print(&i, || format!("bank discrepancy {id}: resolved"));
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
            return Err(CliError::invalid("date", "the bank leg runs days that are over"));
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
            s.push(format!("no bank-leg run for {from}{}", if to != from { format!(" – {to}") } else { String::new() }));
        }
        s.extend(items.iter().filter(|i| i.state == ItemState::Open).take(50).map(item_line));
        s.extend(files.iter().map(|f| format!("exported {}", f.display())));
        s.join("\n")
    });
    Ok(if open > 0 { EXIT_DISCREPANCIES } else { EXIT_OK })
}
