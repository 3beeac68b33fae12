//! A business day's fund-flow rows → what the channel took in and paid out. Pure functions.
//!
//! `net = sales − refunds − fees` is what the day added to the channel balance (the part a
//! settlement batch pays out); payouts are the transfers to the bank that left the balance on
//! that day. The file's own evidence is checked: its declared income/expense totals, and — where
//! it prints a balance after every line — that each balance follows from the one before.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FundKind, FundRow, FundTotals, ParsedFunds};

/// A transfer from the channel to the shop's bank account, as the fund flow records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// The channel's reference (账务流水号 / 资金流水单号 / merchant + 清算日期): unique per account.
    pub reference: String,
    /// Positive, fen.
    pub amount: i64,
    /// The day the money left the channel (shop-local).
    pub day: NaiveDate,
    /// Shop-local time, `YYYY-MM-DD HH:MM:SS`, where known.
    pub time: Option<String>,
    /// The bank account it went to, where the line says.
    pub counterparty: Option<String>,
    pub memo: String,
}

/// A day of a channel account's fund flow (money in fen).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DayFunds {
    pub sales: i64,
    pub sales_count: u64,
    pub refunds: i64,
    pub refund_count: u64,
    /// Fees charged less fees returned.
    pub fees: i64,
    /// sales − refunds − fees.
    pub net: i64,
    /// Lines that are neither trade, fee nor payout (transfers, adjustments), signed.
    pub other: i64,
    pub payouts: Vec<Payout>,
    /// Whether the file's declared totals agree with its lines (None: it declares none).
    pub declared_ok: Option<bool>,
    /// Whether every printed balance follows from the previous one (None: no balances).
    pub balance_ok: Option<bool>,
}

impl DayFunds {
    /// Sum of the day's payouts.
    pub fn paid_out(&self) -> i64 {
        self.payouts.iter().map(|p| p.amount).sum()
    }
}

fn declared_ok(rows: &[&FundRow], t: &FundTotals) -> Option<bool> {
    if *t == FundTotals::default() {
        return None;
    }
    let income: Vec<i64> = rows.iter().map(|r| r.amount).filter(|a| *a >= 0).collect();
    let expense: Vec<i64> = rows.iter().map(|r| -r.amount).filter(|a| *a > 0).collect();
    let same = |declared: Option<i64>, v: i64| declared.is_none_or(|d| d == v);
    let count = |declared: Option<u64>, v: usize| declared.is_none_or(|d| d == v as u64);
    Some(
        same(t.income, income.iter().sum())
            && same(t.expense, expense.iter().sum())
            && count(t.income_count, income.len())
            && count(t.expense_count, expense.len()),
    )
}

fn balance_ok(rows: &[&FundRow]) -> Option<bool> {
    let with: Vec<(i64, i64)> = rows.iter().filter_map(|r| r.balance.map(|b| (r.amount, b))).collect();
    if with.len() != rows.len() || with.is_empty() {
        return None;
    }
    Some(with.windows(2).all(|w| w[0].1 + w[1].0 == w[1].1))
}

/// The figures of `day` from a parsed file. A settlement file (one with a 清算日期) belongs to
/// its date whole; other files count the lines booked on `day` (and lines without a time).
pub fn derive(f: &ParsedFunds, day: NaiveDate) -> DayFunds {
    let rows: Vec<&FundRow> = if f.settle_date.is_some() { f.rows.iter().collect() } else { f.rows.iter().filter(|r| r.time.is_none_or(|t| t.date() == day)).collect() };
    let mut d = DayFunds::default();
    for r in &rows {
        match r.kind {
            FundKind::Sale => {
                d.sales += r.amount - r.fee;
                d.fees -= r.fee;
                d.sales_count += 1;
            }
            FundKind::Refund => {
                d.refunds -= r.amount - r.fee;
                d.fees -= r.fee;
                d.refund_count += 1;
            }
            FundKind::Fee => d.fees -= r.amount,
            FundKind::Other => d.other += r.amount,
            FundKind::Payout => d.payouts.push(Payout {
                reference: r.flow_no.clone(),
                amount: -r.amount,
                day: r.time.map_or(day, |t| t.date()),
                time: r.time.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
                counterparty: r.counterparty.clone(),
                memo: r.memo.clone(),
            }),
        }
    }
    d.net = d.sales - d.refunds - d.fees;
    // A file of several days (a month downloaded by hand) declares the totals of all of them.
    let whole = rows.len() == f.rows.len();
    d.declared_ok = if whole { declared_ok(&rows, &f.totals) } else { None };
    d.balance_ok = balance_ok(&rows);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn row(line: u64, kind: FundKind, time: &str, amount: i64, fee: i64, balance: Option<i64>) -> FundRow {
        FundRow {
            line,
            kind,
            time: NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S").ok(),
            amount,
            fee,
            order_no: None,
            trade_no: None,
            flow_no: format!("F{line}"),
            counterparty: None,
            memo: String::new(),
            balance,
        }
    }

    #[test]
    fn sales_refunds_fees_and_payouts_of_a_day() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let f = ParsedFunds {
            rows: vec![
                row(1, FundKind::Payout, "2026-11-25 08:00:00", -5_000, 0, Some(0)),
                // WeChat style: the sale line is net of its fee.
                row(2, FundKind::Sale, "2026-11-25 10:00:00", 9_940, -60, Some(9_940)),
                // Alipay style: the fee has its own line.
                row(3, FundKind::Sale, "2026-11-25 11:00:00", 2_000, 0, Some(11_940)),
                row(4, FundKind::Fee, "2026-11-25 11:00:00", -12, 0, Some(11_928)),
                row(5, FundKind::Refund, "2026-11-25 12:00:00", -988, 12, Some(10_940)),
                row(6, FundKind::Other, "2026-11-25 13:00:00", 100, 0, Some(11_040)),
            ],
            totals: FundTotals { income_count: Some(3), income: Some(12_040), expense_count: Some(3), expense: Some(6_000) },
            ..Default::default()
        };
        let d = derive(&f, day);
        assert_eq!((d.sales, d.sales_count, d.refunds, d.refund_count), (12_000, 2, 1_000, 1));
        assert_eq!(d.fees, 60 + 12 - 12, "fees charged less fees returned");
        assert_eq!(d.net, 12_000 - 1_000 - 60);
        assert_eq!((d.other, d.paid_out()), (100, 5_000));
        assert_eq!(d.payouts[0].reference, "F1");
        assert_eq!((d.declared_ok, d.balance_ok), (Some(true), Some(true)));
        // The identity: what the lines moved = net − payouts + other.
        assert_eq!(f.rows.iter().map(|r| r.amount).sum::<i64>(), d.net - d.paid_out() + d.other);
    }

    #[test]
    fn a_broken_balance_or_footer_is_noticed_and_other_days_are_left_out() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mut f = ParsedFunds {
            rows: vec![row(1, FundKind::Sale, "2026-11-25 10:00:00", 1_000, 0, Some(1_000)), row(2, FundKind::Sale, "2026-11-25 11:00:00", 500, 0, Some(1_400))],
            totals: FundTotals { income: Some(1_500), income_count: Some(2), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(derive(&f, day).balance_ok, Some(false));
        f.rows[1].balance = Some(1_500);
        f.totals.income = Some(1_600);
        let d = derive(&f, day);
        assert_eq!((d.declared_ok, d.balance_ok), (Some(false), Some(true)));
        f.rows.push(row(3, FundKind::Sale, "2026-11-26 09:00:00", 700, 0, Some(2_200)));
        let d = derive(&f, day);
        assert_eq!((d.sales, d.declared_ok), (1_500, None), "the next day's line is not this day's; a partial file's footer is not checked");
        // A settlement file belongs to its 清算日期 whole.
        f.settle_date = Some(day);
        assert_eq!(derive(&f, day).sales, 2_200);
    }
}
