//! The simulated merchant balance behind the wallets' fund-flow statements (Alipay 账务明细,
//! WeChat Pay 资金账单): every paid trade credits its amount and is charged its fee, every
//! refund (and a payment reversed after it was paid) debits its amount and gets its fee back,
//! and every morning at 08:00 (Beijing) the automatic withdrawal (提现, T+1) sends the net of
//! the business days since the previous withdrawal to the merchant's bank card, when positive.
//!
//! Both simulators print the entries of a day from this one ledger, with the running balance,
//! so their files agree with their trade bills and with each other day's files.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use super::{SimStatus, Trade};

/// What an entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Move {
    Sale,
    Fee,
    Refund,
    FeeBack,
    Withdrawal,
}

/// One balance movement.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub at: DateTime<Utc>,
    pub mv: Move,
    /// Signed: + in, − out.
    pub amount: i64,
    /// The trade it belongs to (None for a withdrawal).
    pub trade: Option<usize>,
    /// The refund's number and channel id, for refund entries.
    pub refund: Option<(String, String)>,
    /// The balance after this entry.
    pub balance: i64,
    /// A withdrawal: the business days it pays out.
    pub covers: Vec<NaiveDate>,
}

/// The hour (Beijing) of the daily automatic withdrawal.
pub(crate) const WITHDRAW_HOUR: u32 = 8;

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn at_hour(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let t = day.and_hms_opt(hour, 0, 0).unwrap_or_default();
    chrono_tz::Asia::Shanghai.from_local_datetime(&t).earliest().map_or_else(|| t.and_utc(), |x| x.with_timezone(&Utc))
}

/// The ledger of `trades` (one merchant's) up to `now`, in time order, with balances.
/// `fee(amount)` is the channel's fee on an amount.
pub(crate) fn ledger(trades: &[Trade], fee: impl Fn(i64) -> i64, now: DateTime<Utc>) -> Vec<Entry> {
    let mut e = Vec::new();
    let entry = |at, mv, amount, trade, refund| Entry { at, mv, amount, trade: Some(trade), refund, balance: 0, covers: Vec::new() };
    for (i, t) in trades.iter().enumerate() {
        if let Some(paid) = t.paid_at.filter(|_| matches!(t.status, SimStatus::Paid | SimStatus::Reversed)) {
            e.push(entry(paid, Move::Sale, t.amount, i, None));
            e.push(entry(paid, Move::Fee, -fee(t.amount), i, None));
            if t.status == SimStatus::Reversed {
                let rest = t.amount - t.refunded();
                e.push(entry(paid, Move::Refund, -rest, i, None));
                e.push(entry(paid, Move::FeeBack, fee(rest), i, None));
            }
        }
        for r in &t.refunds {
            e.push(entry(r.at, Move::Refund, -r.amount, i, Some((r.refund_no.clone(), r.refund_id.clone()))));
            e.push(entry(r.at, Move::FeeBack, fee(r.amount), i, Some((r.refund_no.clone(), r.refund_id.clone()))));
        }
    }
    e.retain(|x| x.at <= now);
    e.sort_by_key(|x| x.at);
    let (Some(first), Some(last)) = (e.first().map(|x| local_day(x.at)), e.last().map(|x| local_day(now.max(x.at)))) else { return e };
    // Withdrawals: at 08:00 of each day after the first, the net of the days since the previous one.
    let mut since = first;
    let mut day = first.checked_add_days(Days::new(1)).unwrap_or(first);
    while day <= last {
        let at = at_hour(day, WITHDRAW_HOUR);
        if at > now {
            break;
        }
        let covers: Vec<NaiveDate> = since.iter_days().take_while(|d| *d < day).collect();
        let net: i64 = e.iter().filter(|x| x.mv != Move::Withdrawal && covers.contains(&local_day(x.at))).map(|x| x.amount).sum();
        if net > 0 {
            e.push(Entry { at, mv: Move::Withdrawal, amount: -net, trade: None, refund: None, balance: 0, covers });
            since = day;
        }
        day = day.checked_add_days(Days::new(1)).unwrap_or(last.succ_opt().unwrap_or(last));
    }
    // Same instant: trade entries before the withdrawal (which only takes earlier days' money).
    e.sort_by_key(|x| (x.at, x.mv == Move::Withdrawal));
    let mut balance = 0;
    for x in &mut e {
        balance += x.amount;
        x.balance = balance;
    }
    e
}

/// The entries of one business day (Beijing).
pub(crate) fn of_day(entries: &[Entry], day: NaiveDate) -> Vec<&Entry> {
    entries.iter().filter(|x| local_day(x.at) == day).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Payer, SimRefund};

    fn trade(no: &str, amount: i64, paid: DateTime<Utc>) -> Trade {
        Trade {
            channel: "wechat",
            merchant: "1900000109".into(),
            app_id: "wx1".into(),
            order_no: no.into(),
            trade_no: format!("42{no}"),
            amount,
            subject: "咖啡".into(),
            status: SimStatus::Paid,
            barcode: false,
            payer: Payer::Pay,
            notify_url: None,
            created_at: paid,
            paid_at: Some(paid),
            buyer: "o1".into(),
            refunds: Vec::new(),
        }
    }

    #[test]
    fn the_morning_withdrawal_pays_out_the_days_since_the_last_one() {
        let d = |day: u32, h: u32| at_hour(NaiveDate::from_ymd_opt(2026, 11, day).unwrap(), h);
        let fee = |a: i64| (a * 60 + 5_000) / 10_000;
        let mut refunded = trade("P3", 8_000, d(21, 10));
        refunded.refunds.push(SimRefund { refund_no: "R1".into(), refund_id: "50R1".into(), amount: 6_000, reason: None, at: d(22, 12) });
        let trades = vec![trade("P1", 10_000, d(20, 10)), trade("P2", 1_000, d(20, 22)), refunded, trade("P4", 3_000, d(23, 9)), trade("P5", 10_000, d(23, 15))];
        let e = ledger(&trades, fee, d(24, 12));
        let w: Vec<(NaiveDate, i64, usize)> = e.iter().filter(|x| x.mv == Move::Withdrawal).map(|x| (local_day(x.at), -x.amount, x.covers.len())).collect();
        // Day 20: 11_000 − 66 fee. Day 21: 8_000 − 48. Day 22 is only a refund (−6_000 + 36 back):
        // nothing to pay out on the 23rd; the 24th pays days 22 and 23 together.
        let day = |n: u32| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        assert_eq!(w, vec![(day(21), 10_934, 1), (day(22), 7_952, 1), (day(24), -6_000 + 36 + 3_000 - 18 + 10_000 - 60, 2)]);
        let last = e.last().unwrap();
        assert_eq!(last.balance, e.iter().map(|x| x.amount).sum::<i64>());
        assert!(e.iter().all(|x| x.at <= d(24, 12)));
    }
}
