//! A business day at a glance: the chain book → channel → bank, per account and in total.
//!
//! * **book** — what Paydesk booked: paid orders and successful refunds of the day.
//! * **channel** — what the channel's fund flow shows for the day (sales − refunds − fees), and
//!   whether the trade statement's net (the statement leg) agrees with it.
//! * **bank** — the payout batches that pay the day out, and whether their deposits arrived.
//!
//! Each link has a state: agree, differ, pending (the channel or the bank has not shown it yet)
//! or unknown (no fund flow read, no bank statement imported).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{DayFunds, Settler};
use crate::reconcile::bank::BankKind;
use crate::reconcile::ItemState;
use crate::reconcile::run::day_bounds;
use crate::store::{BankRunRecord, BookDay, PayoutRecord, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Agree,
    Pending,
    Unknown,
    Differ,
}

/// One arrow of the chain: its state and the difference it carries (fen, right − left).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub state: LinkState,
    pub difference: i64,
}

/// A payout batch of the day and what the bank shows of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPayout {
    #[serde(flatten)]
    pub payout: PayoutRecord,
    /// `matched`, `short`, `over`, `missing`, `pending` (window open or not covered), `unknown`
    /// (the bank leg has not run the day).
    pub status: String,
    pub deposited: Option<i64>,
    pub deposit_day: Option<String>,
    /// Whether the batch equals the net of the days it covers (None: not all of them read).
    pub batch_ok: Option<bool>,
    /// Its discrepancy was resolved with a note: the difference is accepted.
    pub resolved: bool,
}

/// One channel account's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainAccount {
    pub account: String,
    pub channel: String,
    pub display_name: String,
    pub book: BookDay,
    pub book_net: i64,
    /// The fund flow's figures (None: not read for this day).
    pub funds: Option<DayFunds>,
    /// The trade statement's net (statement leg), where reconciled.
    pub statement_net: Option<i64>,
    pub payouts: Vec<ChainPayout>,
    pub book_channel: Link,
    pub channel_bank: Link,
}

/// Money of one box of the picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub sales: i64,
    pub refunds: i64,
    pub fees: i64,
    pub net: i64,
}

/// The day's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayChain {
    pub day: String,
    pub accounts: Vec<ChainAccount>,
    pub book: Figures,
    /// Over the accounts whose fund flow was read.
    pub channel: Figures,
    /// Payouts of the day and what arrived of them.
    pub expected: i64,
    pub deposited: i64,
    pub book_channel: Link,
    pub channel_bank: Link,
    pub bank_run: Option<BankRunRecord>,
    pub bank_covered_to: Option<String>,
}

fn book_channel(book: &BookDay, funds: Option<&DayFunds>, statement_net: Option<i64>) -> Link {
    let Some(f) = funds else { return Link { state: LinkState::Unknown, difference: 0 } };
    let difference = (f.sales - f.refunds) - (book.sales - book.refunds);
    let same = f.sales == book.sales && f.refunds == book.refunds && statement_net.is_none_or(|n| n == f.net);
    Link { state: if same { LinkState::Agree } else { LinkState::Differ }, difference }
}

fn channel_bank(funds: Option<&DayFunds>, payouts: &[ChainPayout]) -> Link {
    // What differs so far: arrived deposits against their payouts, and missing ones in full
    // (a payout still on its way is no difference yet).
    let difference = payouts.iter().filter(|p| p.deposited.is_some() || p.status == "missing").map(|p| p.deposited.unwrap_or(0) - p.payout.amount).sum();
    let state = if payouts.iter().any(|p| !p.resolved && matches!(p.status.as_str(), "short" | "over" | "missing")) {
        LinkState::Differ
    } else if payouts.iter().any(|p| p.status == "unknown") {
        LinkState::Unknown
    } else if payouts.iter().any(|p| p.status == "pending") {
        LinkState::Pending
    } else if payouts.is_empty() {
        // Nothing paid out yet: pending while the day earned something, else nothing to pay.
        match funds {
            Some(f) if f.net <= 0 => LinkState::Agree,
            Some(_) => LinkState::Pending,
            None => LinkState::Unknown,
        }
    } else {
        LinkState::Agree
    };
    Link { state, difference }
}

fn worst(links: impl Iterator<Item = Link>) -> Link {
    links.fold(Link { state: LinkState::Agree, difference: 0 }, |a, l| Link { state: a.state.max(l.state), difference: a.difference + l.difference })
}

/// The chain of `day` over every account whose channel has a fund flow and that was enabled or
/// has something on the day.
pub fn day_chain(settler: &Settler, day: NaiveDate) -> Result<DayChain> {
    let store = settler.store();
    let d = day.to_string();
    let (from, to) = day_bounds(day, settler.tz());
    let bank_run = store.latest_bank_runs(&d, &d)?.into_iter().next().filter(|r| r.status == "done");
    let matches = match &bank_run {
        Some(r) => store.bank_matches(r.id)?,
        None => Vec::new(),
    };
    let items = store.bank_items(&d, &d, None, None)?;
    let payouts = store.payouts_for(&d, &d)?;
    let mut accounts = Vec::new();
    for (a, _) in settler.payments().accounts() {
        if !settler.supports(&a.channel) {
            continue;
        }
        let book = store.book_day(&a.name, from, to)?;
        let funds = store.settle_day(&a.name, &d)?.map(|s| s.funds);
        let mine: Vec<&PayoutRecord> = payouts.iter().filter(|p| p.account == a.name).collect();
        if !a.enabled && book == BookDay::default() && funds.is_none() && mine.is_empty() {
            continue;
        }
        let statement_net = store.latest_runs(&d, &d, std::slice::from_ref(&a.name))?.into_iter().find(|r| r.status == "done" && r.statement.is_some()).map(|r| r.summary.net);
        let mut list = Vec::new();
        for p in mine {
            let pair = matches.iter().find(|m| m.payout_id == p.id);
            let line = pair.map(|m| store.bank_line(m.bank_row_id)).transpose()?;
            let status = match (&line, &bank_run) {
                (Some(l), _) if l.amount == p.amount => "matched",
                (Some(l), _) if l.amount < p.amount => "short",
                (Some(_), _) => "over",
                (None, Some(_)) if items.iter().any(|i| i.payout_id == Some(p.id) && i.kind == BankKind::MissingDeposit && i.state != ItemState::Fixed) => "missing",
                (None, Some(_)) => "pending",
                (None, None) => "unknown",
            };
            let resolved = items.iter().any(|i| i.payout_id == Some(p.id) && i.state == ItemState::Resolved);
            list.push(ChainPayout { payout: p.clone(), status: status.into(), deposited: line.as_ref().map(|l| l.amount), deposit_day: line.map(|l| l.day.to_string()), batch_ok: p.expected.map(|e| e == p.amount), resolved });
        }
        let book_net = book.sales - book.refunds - book.fees;
        let bc = book_channel(&book, funds.as_ref(), statement_net);
        let cb = channel_bank(funds.as_ref(), &list);
        let display_name = if a.display_name.is_empty() { a.name.clone() } else { a.display_name.clone() };
        accounts.push(ChainAccount { account: a.name, channel: a.channel, display_name, book, book_net, funds, statement_net, payouts: list, book_channel: bc, channel_bank: cb });
    }
    let sum = |f: &dyn Fn(&ChainAccount) -> i64| accounts.iter().map(f).sum::<i64>();
    let book = Figures { sales: sum(&|a| a.book.sales), refunds: sum(&|a| a.book.refunds), fees: sum(&|a| a.book.fees), net: sum(&|a| a.book_net) };
    let ch = |f: &dyn Fn(&DayFunds) -> i64| accounts.iter().filter_map(|a| a.funds.as_ref()).map(f).sum::<i64>();
    let channel = Figures { sales: ch(&|f| f.sales), refunds: ch(&|f| f.refunds), fees: ch(&|f| f.fees), net: ch(&|f| f.net) };
    let expected = accounts.iter().flat_map(|a| &a.payouts).map(|p| p.payout.amount).sum();
    let deposited = accounts.iter().flat_map(|a| &a.payouts).filter_map(|p| p.deposited).sum();
    // An account with nothing on the day — no sale booked, no fund flow read, no payout — is
    // listed, but does not make the day's links unknown.
    let busy = || accounts.iter().filter(|a| a.book != BookDay::default() || a.funds.is_some() || !a.payouts.is_empty());
    Ok(DayChain {
        day: d,
        book_channel: worst(busy().map(|a| a.book_channel)),
        channel_bank: worst(busy().map(|a| a.channel_bank)),
        accounts,
        book,
        channel,
        expected,
        deposited,
        bank_run,
        bank_covered_to: store.bank_covered_to()?,
    })
}
