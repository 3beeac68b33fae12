//! The bank leg: did the money each channel paid out arrive in the shop's bank account?
//!
//! * [`mapping`] — which column of a bank's online-banking export is what: presets for the big
//!   Chinese banks' exports and mappings of the shop's own (config.toml `[[bank.mappings]]`).
//! * [`read`] — a bank statement file (CSV in GBK/UTF-8/UTF-16, XLSX, XLS) → rows, all or nothing.
//! * [`matcher`] — pure functions: payouts (from the fund flows) × deposits → matched pairs and
//!   the four kinds of difference.
//! * [`run`] — import a statement (rows kept once, however often a period is imported), run a
//!   business day, re-check and resolve discrepancies; [`report`] — the export tables;
//!   [`schedule`] — the T+1 loop (fund flows downloaded, days run again).
//!
//! Invariant: a discrepancy is identified by its day, kind and key (the payout's reference, or
//! the bank row for an unexpected deposit), so re-running a day updates it instead of adding
//! another; one that no longer appears is marked fixed, one resolved stays resolved.

pub mod mapping;
pub mod matcher;
pub mod read;
#[cfg(test)]
mod read_tests;
pub mod report;
pub mod run;
pub mod schedule;

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::order::ParseEnumError;

pub use mapping::{BankMapping, BankSettings};
pub use matcher::{match_deposits, Deposit, Expected, MatchOutcome, Pairing};
pub use run::BankLeg;

/// What kind of difference the bank leg found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankKind {
    /// The channel paid out; no deposit arrived in the window (and the bank statements cover it).
    MissingDeposit,
    /// A deposit from the channel arrived, smaller than the payout.
    ShortDeposit,
    /// A deposit from the channel arrived, larger than the payout.
    OverDeposit,
    /// A deposit that looks like channel money (its payer or note names a channel) matching no payout.
    UnexpectedDeposit,
}

impl BankKind {
    pub const ALL: [BankKind; 4] = [BankKind::MissingDeposit, BankKind::ShortDeposit, BankKind::OverDeposit, BankKind::UnexpectedDeposit];
    pub fn as_str(self) -> &'static str {
        match self {
            BankKind::MissingDeposit => "missing_deposit",
            BankKind::ShortDeposit => "short_deposit",
            BankKind::OverDeposit => "over_deposit",
            BankKind::UnexpectedDeposit => "unexpected_deposit",
        }
    }
    /// A short bilingual label for reports.
    pub fn label(self) -> &'static str {
        match self {
            BankKind::MissingDeposit => "未到账 Missing deposit",
            BankKind::ShortDeposit => "到账不足 Short deposit",
            BankKind::OverDeposit => "到账超额 Over deposit",
            BankKind::UnexpectedDeposit => "意外入账 Unexpected deposit",
        }
    }
}

impl fmt::Display for BankKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BankKind {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BankKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| ParseEnumError {
            what: "bank discrepancy kind",
            value: s.into(),
            expected: "missing_deposit, short_deposit, over_deposit, unexpected_deposit",
        })
    }
}

/// One line of a bank statement, in our terms. Money in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankRow {
    /// 1-based line (CSV) or row (spreadsheet) of the file.
    pub line: u64,
    pub day: NaiveDate,
    pub time: Option<NaiveTime>,
    /// + credit (money in), − debit.
    pub amount: i64,
    pub balance: Option<i64>,
    pub counterparty: Option<String>,
    pub counterparty_account: Option<String>,
    /// Summary, purpose and notes as printed, joined with ` / `.
    pub memo: String,
    /// The bank's serial number of the line, where the export has one.
    pub reference: Option<String>,
    /// The shop's own account number, where the export prints it per line.
    pub bank_account: Option<String>,
}

/// A bank statement, fully read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedBank {
    /// The mapping that read it (a preset's name or the shop's own).
    pub mapping: String,
    pub rows: Vec<BankRow>,
    /// The shop's account number, where the file says (per line or in its preamble).
    pub bank_account: Option<String>,
}

/// Counts and sums of a bank-leg run of one business day (money in fen).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BankSummary {
    /// Payouts for the day and their sum.
    pub payouts: u64,
    pub expected: i64,
    /// Deposits matched to them and their sum.
    pub matched: u64,
    pub deposited: i64,
    /// Payouts whose window has not passed yet (or is not covered by an imported statement).
    pub pending: u64,
    pub missing: u64,
    pub short: u64,
    pub over: u64,
    pub unexpected: u64,
    pub unexpected_amount: i64,
    /// The last day the imported bank statements cover (None: none imported).
    pub covered_to: Option<String>,
}

/// Where a bank discrepancy stands (the statement leg's words).
pub use super::ItemState;
