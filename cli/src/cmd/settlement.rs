//! `settle`: read the channels' fund-flow statements (download, or `--file` downloaded by hand)
//! and show what each channel took in and paid out per day, with each payout batch checked
//! against the days it covers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use paydesk_core::settle::{FundInput, SettleError, Settler};
use paydesk_core::store::{PayoutRecord, SettleDay};
use serde_json::json;

use super::recon::{day_range, yuan, EXIT_DISCREPANCIES};
use crate::ctx;
use crate::i18n::{catalog as m, t, tr};
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct SettleArgs {
    /// The business day: YYYY-MM-DD, `today` or `yesterday` (default).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Last day of a range starting at --date.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only this account (default: every enabled account whose channel has a fund flow).
    #[arg(long)]
    account: Option<String>,
    /// Read this fund-flow file (downloaded by hand) instead of downloading. Needs --account and one day.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Show what is stored instead of reading again.
    #[arg(long)]
    show: bool,
}

pub(crate) fn settler(p: &Arc<paydesk_core::Payments>, home: &Path) -> Settler {
    Settler::new(p.clone(), home, Arc::new(paydesk_channels::funds::FundParsers))
}

/// An error of the third leg (fund flows, bank statements), exiting as `reconcile` does
/// ([`super::recon::exit_for`]).
pub(crate) fn leg_error(code: &'static str, e: impl std::fmt::Display) -> CliError {
    CliError::coded(code, e, super::recon::exit_for(code))
}

fn err(e: SettleError) -> CliError {
    leg_error(e.code(), e)
}

fn batch(p: &PayoutRecord) -> String {
    match p.expected {
        Some(e) if e == p.amount => t(m::SETTLE_BATCH_OK).into(),
        Some(e) => tr!(SETTLE_BATCH_DIFF, expected = yuan(e)),
        None => t(m::SETTLE_BATCH_UNREAD).into(),
    }
}

fn day_line(d: &SettleDay, payouts: &[PayoutRecord]) -> String {
    let f = &d.funds;
    let mut s = tr!(
        SETTLE_DAY,
        day = d.day,
        account = format!("{:<16}", d.account),
        sales_count = format!("{:>5}", f.sales_count),
        sales = format!("{:>12}", yuan(f.sales)),
        refund_count = format!("{:>4}", f.refund_count),
        refunds = format!("{:>10}", yuan(f.refunds)),
        fees = format!("{:>8}", yuan(f.fees)),
        net = format!("{:>12}", yuan(f.net))
    );
    if f.declared_ok == Some(false) {
        s.push_str(t(m::SETTLE_TOTALS_DISAGREE));
    }
    if f.balance_ok == Some(false) {
        s.push_str(t(m::SETTLE_BALANCE_DISAGREE));
    }
    for p in payouts {
        s.push('\n');
        s.push_str(&tr!(SETTLE_PAYOUT, reference = format!("{:<24}", p.reference), amount = format!("{:>12}", yuan(p.amount)), day = p.day, covers = p.covers.join(", "), batch = batch(p)));
    }
    s
}

pub(crate) async fn settle(home: &Path, a: SettleArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let s = settler(&p, home);
    let (from, to) = day_range(a.date.as_deref(), a.to.as_deref(), s.today())?;
    if a.file.is_some() && (a.account.is_none() || to != from) {
        return Err(CliError::invalid("file", t(m::SETTLE_FILE_ONE)));
    }
    let mut days: Vec<SettleDay> = Vec::new();
    let mut failed = 0;
    for day in from.iter_days().take_while(|d| *d <= to) {
        if a.show {
            for (acct, _) in p.accounts() {
                if a.account.as_ref().is_none_or(|x| *x == acct.name) {
                    days.extend(s.store().settle_day(&acct.name, &day.to_string())?);
                }
            }
            continue;
        }
        let results = match (&a.account, &a.file) {
            (Some(acct), file) => vec![s.fetch(acct, day, file.clone().map_or(FundInput::Download, FundInput::File), None).await.map_err(|e| (acct.clone(), e))],
            (None, _) => s.fetch_all(day, None).await,
        };
        for r in results {
            match r {
                Ok(d) => days.push(d),
                Err((_, e)) if matches!(e.code(), "invalid" | "bad_statement") => return Err(err(e)),
                Err((acct, e)) => {
                    failed += 1;
                    eprintln!("{day} {acct}: {e}");
                }
            }
        }
    }
    let mut lines: Vec<(SettleDay, Vec<PayoutRecord>)> = Vec::new();
    for d in days {
        let p = s.store().payouts_left(&d.account, &d.day)?;
        lines.push((d, p));
    }
    let troubled = lines.iter().any(|(d, ps)| d.funds.declared_ok == Some(false) || d.funds.balance_ok == Some(false) || ps.iter().any(|p| p.expected.is_some_and(|e| e != p.amount)));
    o.print(&json!({"days": lines.iter().map(|(d, p)| json!({"day": d, "payouts": p})).collect::<Vec<_>>(), "failed": failed}), || {
        if lines.is_empty() {
            return tr!(SETTLE_NONE, days = if to != from { format!("{from} – {to}") } else { from.to_string() });
        }
        lines.iter().map(|(d, p)| day_line(d, p)).collect::<Vec<_>>().join("\n")
    });
    Ok(if failed > 0 { EXIT_FAILURE } else if troubled { EXIT_DISCREPANCIES } else { EXIT_OK })
}
