//! Payouts × bank deposits. Pure functions, no I/O.
//!
//! A payout leaves the channel on its day; its deposit may arrive that day or within the window
//! after it (`[bank] window_days`, default 3: weekends and the bank's booking day). For each
//! payout, in order of its day, the first rule that finds an unused deposit in the window wins:
//!
//! 1. **reference** — the deposit's note or serial contains the payout's reference;
//! 2. **amount and payer** — the same amount, from the channel (its payer name or note words);
//! 3. **amount** — the same amount from anyone;
//! 4. **payer** — a deposit from the channel with another amount, at most [`PAYER_TOLERANCE_BP`]
//!    off: a short or over deposit. Pairs are taken closest amount first over all payouts, so a
//!    payout whose own deposit is missing does not take its neighbour's.
//!
//! Nearer days win within a rule. A payout left without a deposit is missing when the imported
//! statements cover its whole window, otherwise pending. A deposit from a channel's payer that
//! no payout claims, dated in the days under review, is unexpected.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// How far (basis points of the payout) a deposit found only by its payer may be off: further
/// off, it is a missing deposit and an unexpected one, not one short or over deposit.
pub const PAYER_TOLERANCE_BP: i64 = 2_000;

/// A payout the bank should show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub id: i64,
    pub channel: String,
    pub reference: String,
    pub amount: i64,
    /// The day it left the channel.
    pub day: NaiveDate,
}

/// A credit line of the bank statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deposit {
    pub id: i64,
    pub day: NaiveDate,
    /// Positive.
    pub amount: i64,
    pub counterparty: Option<String>,
    pub memo: String,
    pub reference: Option<String>,
}

/// How a payout found its deposit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    Reference,
    AmountAndPayer,
    Amount,
    Payer,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Reference => "reference",
            How::AmountAndPayer => "amount_and_payer",
            How::Amount => "amount",
            How::Payer => "payer",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pairing {
    pub payout: i64,
    pub deposit: i64,
    pub how: How,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchOutcome {
    pub pairs: Vec<Pairing>,
    pub missing: Vec<i64>,
    pub pending: Vec<i64>,
    pub unexpected: Vec<i64>,
}

/// What the matcher needs besides payouts and deposits.
pub struct Rules<'a> {
    pub window_days: u32,
    /// Payer names and note words of a channel kind (lower-case comparison for ASCII).
    pub payers: &'a dyn Fn(&str) -> Vec<String>,
    /// The channel kinds whose payers make a deposit "channel money".
    pub channels: Vec<String>,
    /// The last day the imported bank statements cover.
    pub covered_to: Option<NaiveDate>,
    /// Unexpected deposits are reported only when dated in this range.
    pub review: (NaiveDate, NaiveDate),
}

fn mentions(d: &Deposit, words: &[String]) -> bool {
    let hay = format!("{} {} {}", d.counterparty.as_deref().unwrap_or(""), d.memo, d.reference.as_deref().unwrap_or("")).to_lowercase();
    words.iter().any(|w| !w.trim().is_empty() && hay.contains(&w.trim().to_lowercase()))
}

/// The payer rule: every (payout, deposit) of the same channel in the payout's window and within
/// the tolerance, closest amount first, then nearest day. Returns the payouts left.
fn by_payer<'a>(payouts: Vec<&'a Expected>, deposits: &[Deposit], used: &mut [bool], r: &Rules<'_>, out: &mut MatchOutcome) -> Vec<&'a Expected> {
    let mut pairs = Vec::new();
    for (pi, p) in payouts.iter().enumerate() {
        let end = p.day.checked_add_days(Days::new(u64::from(r.window_days))).unwrap_or(p.day);
        let payers = (r.payers)(&p.channel);
        for (di, d) in deposits.iter().enumerate() {
            let off = (d.amount - p.amount).abs();
            if !used[di] && d.day >= p.day && d.day <= end && off * 10_000 <= p.amount.abs() * PAYER_TOLERANCE_BP && mentions(d, &payers) {
                pairs.push((off, (d.day - p.day).num_days(), pi, di));
            }
        }
    }
    pairs.sort_unstable();
    let mut taken = vec![false; payouts.len()];
    for (_, _, pi, di) in pairs {
        if !taken[pi] && !used[di] {
            taken[pi] = true;
            used[di] = true;
            out.pairs.push(Pairing { payout: payouts[pi].id, deposit: deposits[di].id, how: How::Payer });
        }
    }
    payouts.into_iter().zip(taken).filter(|(_, t)| !t).map(|(p, _)| p).collect()
}

/// Matches payouts to deposits (see the module docs for the rules).
pub fn match_deposits(payouts: &[Expected], deposits: &[Deposit], r: &Rules<'_>) -> MatchOutcome {
    let mut order: Vec<&Expected> = payouts.iter().collect();
    order.sort_by_key(|p| (p.day, p.id));
    let mut used = vec![false; deposits.len()];
    let mut out = MatchOutcome::default();
    let rules = [How::Reference, How::AmountAndPayer, How::Amount, How::Payer];
    let mut unpaired: Vec<&Expected> = order.clone();
    // Each rule runs over every payout before the next (weaker) rule: a payout whose reference is
    // on a deposit never loses it to another payout of the same amount.
    for how in rules {
        if how == How::Payer {
            unpaired = by_payer(unpaired, deposits, &mut used, r, &mut out);
            continue;
        }
        let mut still = Vec::new();
        for p in unpaired {
            let end = p.day.checked_add_days(Days::new(u64::from(r.window_days))).unwrap_or(p.day);
            let payers = (r.payers)(&p.channel);
            let fits = |d: &Deposit| match how {
                How::Reference => p.reference.len() >= 6 && (d.memo.contains(&p.reference) || d.reference.as_deref().is_some_and(|x| x.contains(&p.reference))),
                How::AmountAndPayer => d.amount == p.amount && mentions(d, &payers),
                How::Amount => d.amount == p.amount,
                How::Payer => false,
            };
            let found = deposits
                .iter()
                .enumerate()
                .filter(|(i, d)| !used[*i] && d.day >= p.day && d.day <= end && fits(d))
                .min_by_key(|(_, d)| (d.day, (d.amount - p.amount).abs(), d.id));
            match found {
                Some((i, d)) => {
                    used[i] = true;
                    out.pairs.push(Pairing { payout: p.id, deposit: d.id, how });
                }
                None => still.push(p),
            }
        }
        unpaired = still;
    }
    for p in unpaired {
        let end = p.day.checked_add_days(Days::new(u64::from(r.window_days))).unwrap_or(p.day);
        if r.covered_to.is_some_and(|c| c >= end) {
            out.missing.push(p.id);
        } else {
            out.pending.push(p.id);
        }
    }
    let all_payers: Vec<String> = r.channels.iter().flat_map(|c| (r.payers)(c)).collect();
    for (i, d) in deposits.iter().enumerate() {
        if !used[i] && d.day >= r.review.0 && d.day <= r.review.1 && mentions(d, &all_payers) {
            out.unexpected.push(d.id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }
    fn payout(id: i64, channel: &str, reference: &str, amount: i64, d: u32) -> Expected {
        Expected { id, channel: channel.into(), reference: reference.into(), amount, day: day(d) }
    }
    fn deposit(id: i64, d: u32, amount: i64, who: &str, memo: &str) -> Deposit {
        Deposit { id, day: day(d), amount, counterparty: Some(who.into()).filter(|s: &String| !s.is_empty()), memo: memo.into(), reference: None }
    }
    fn payers(ch: &str) -> Vec<String> {
        crate::reconcile::bank::mapping::default_payers(ch).iter().map(|s| s.to_string()).collect()
    }
    fn rules(covered: Option<u32>) -> Rules<'static> {
        Rules { window_days: 3, payers: &payers, channels: vec!["alipay".into(), "wechat".into(), "unionpay".into()], covered_to: covered.map(day), review: (day(20), day(30)) }
    }

    #[test]
    fn each_rule_in_turn_and_what_is_left() {
        let payouts = [
            payout(1, "alipay", "20261126000801", 10_000, 26),
            payout(2, "wechat", "4200001", 5_000, 26),
            payout(3, "unionpay", "777-20261125", 3_000, 26),
            payout(4, "wechat", "4200002", 2_000, 26),
            payout(5, "alipay", "20261127000801", 7_000, 27),
            payout(6, "alipay", "20261128000801", 9_000, 28),
        ];
        let deposits = [
            // By reference, though another payout has the same amount.
            deposit(10, 26, 10_000, "", "支付宝提现 20261126000801"),
            deposit(11, 27, 5_000, "财付通支付科技有限公司", "T+1结算"),
            // A plain transfer of the same amount: matched by amount only.
            deposit(12, 27, 3_000, "张三", "货款"),
            // WeChat's money, but less than paid out.
            deposit(13, 26, 1_990, "财付通支付科技有限公司", ""),
            // Alipay money nobody paid out.
            deposit(14, 26, 888, "支付宝（中国）网络技术有限公司", ""),
            // Unrelated.
            deposit(15, 26, 50_000, "房东", "押金退回"),
        ];
        let out = match_deposits(&payouts, &deposits, &rules(Some(30)));
        let how = |p: i64| out.pairs.iter().find(|x| x.payout == p).map(|x| (x.deposit, x.how));
        assert_eq!(how(1), Some((10, How::Reference)));
        assert_eq!(how(2), Some((11, How::AmountAndPayer)));
        assert_eq!(how(3), Some((12, How::Amount)));
        assert_eq!(how(4), Some((13, How::Payer)), "a short deposit is paired by its payer");
        // Payout 5's window (27–30) is covered: missing. Payout 6 (28–31) is not yet: pending.
        assert_eq!((out.missing.clone(), out.pending.clone()), (vec![5], vec![6]));
        assert_eq!(out.unexpected, vec![14]);
        let nothing = match_deposits(&payouts, &[], &rules(None));
        assert_eq!((nothing.pending.len(), nothing.missing.len()), (6, 0), "no statement imported: nothing can be called missing");
    }

    #[test]
    fn windows_are_kept_and_a_deposit_serves_one_payout() {
        // Two equal payouts a day apart, one deposit: the earlier payout takes it.
        let payouts = [payout(1, "wechat", "A1", 5_000, 26), payout(2, "wechat", "A2", 5_000, 27)];
        let out = match_deposits(&payouts, &[deposit(10, 27, 5_000, "财付通", "")], &rules(Some(30)));
        assert_eq!(out.pairs, vec![Pairing { payout: 1, deposit: 10, how: How::AmountAndPayer }]);
        assert_eq!(out.missing, vec![2]);
        // A deposit before the payout left, or after its window, is not its deposit.
        let out = match_deposits(&payouts[..1], &[deposit(10, 25, 5_000, "财付通", ""), deposit(11, 30, 5_000, "财付通", "")], &rules(Some(30)));
        assert!(out.pairs.is_empty());
        assert_eq!(out.unexpected, vec![10, 11]);
        // By payer, the closest amount wins: the first payout's deposit is missing, so the
        // second payout's (one yuan short) is not taken by it.
        let two = [payout(1, "wechat", "A1", 7_000, 26), payout(2, "wechat", "A2", 5_000, 27)];
        let out = match_deposits(&two, &[deposit(10, 28, 4_900, "财付通", "")], &rules(Some(30)));
        assert_eq!((out.pairs[0].payout, out.missing.clone()), (2, vec![1]));
        // Beyond the tolerance it is no short deposit but a missing and an unexpected one.
        let out = match_deposits(&two[1..], &[deposit(10, 28, 1_000, "财付通", "")], &rules(Some(30)));
        assert_eq!((out.pairs.len(), out.missing.clone(), out.unexpected.clone()), (0, vec![2], vec![10]));
        // Short references never match by reference (too easy to find by chance).
        let out = match_deposits(&[payout(1, "wechat", "12", 100, 26)], &[deposit(10, 26, 999, "x", "12")], &rules(Some(30)));
        assert_eq!(out.missing, vec![1]);
    }
}
