//! The matcher: pure functions from one business day's statement rows and a view of the book to
//! matched lines, classified discrepancies and a summary. No I/O: everything it needs is passed
//! in, so every rule is tested on small hand-made inputs.
//!
//! Rules (money in fen, times shop-local):
//! * Payments match by our order number, refunds by our refund number; a refund row without a
//!   refund number is the channel's reversal of a payment and matches an order we closed.
//! * A payment row whose order we hold as paid: the amounts must agree, and the fee must be the
//!   account's rate applied to the amount (`Money::fee_at`, half up). Fees are compared by
//!   absolute value: channels print them with either sign, and refunds return theirs.
//! * A book line of the day that is not on the day's statement is looked for on the previous and
//!   next day's statements (an order paid at 23:59:58 may be booked by the channel the next day)
//!   before it is called missing at the channel.
//! * A line the book does not hold is `missing_in_book` when its number has the shape of a
//!   Paydesk number ([`issued_by_paydesk`]: some till of ours made it, so the book should have
//!   it), and `external` otherwise (empty, or another system's number: a static 收款码 sticker,
//!   the channel's own app). An external line the accountant accepted is in the book under the
//!   number [`external::order_no`] / [`external::refund_no`] derives from it, and matches there.

use chrono::{NaiveDate, NaiveDateTime};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub use super::book::{Adjacent, BookOrder, BookOrders, BookRefund, BookView, Bulk};
use super::external;
use super::why::Why;
use super::{Discrepancy, DiscrepancyKind as K, Side, Summary};
use crate::ids::issued_by_paydesk;
use crate::money::Money;
use crate::order::{OrderStatus, RefundStatus};
use crate::statement::{LineRef, StatementKind, StatementLines, StatementTotals};

pub struct MatchInput<'a> {
    pub day: NaiveDate,
    pub fee_rate_bp: u32,
    pub rows: &'a StatementLines,
    pub declared: &'a StatementTotals,
    pub book: &'a BookView,
    pub adjacent: &'a Adjacent,
}

/// The matcher's result. `matched` holds the indexes (ascending) of the statement lines that
/// agree with the book; every other line has a discrepancy with its channel side.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub matched: Vec<u32>,
    pub discrepancies: Vec<Discrepancy>,
    pub summary: Summary,
}

fn fmt_time(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The channel's side of a line.
pub fn line_side(r: &LineRef<'_>) -> Side {
    Side {
        status: Some(r.status.to_string()),
        amount: (r.kind == StatementKind::Payment).then_some(r.amount),
        refund_amount: (r.kind == StatementKind::Refund).then_some(r.refund_amount),
        fee: Some(r.fee),
        time: fmt_time(r.time),
        trade_no: Some(r.channel_trade_no.to_string()),
    }
}

fn order_side(o: &BookOrder) -> Side {
    Side { status: Some(o.status.as_str().into()), amount: Some(o.amount), refund_amount: Some(o.refunded), fee: Some(o.fee), time: fmt_time(o.paid_at), trade_no: None }
}

fn refund_side(r: &BookRefund) -> Side {
    Side { status: Some(r.status.as_str().into()), amount: None, refund_amount: Some(r.amount), fee: None, time: fmt_time(Some(r.at)), trade_no: None }
}

/// Channel words for a payment that was reversed (money returned) rather than kept.
pub fn is_reversal_status(s: &str) -> bool {
    matches!(s, "REVOKED" | "REVERSED" | "撤销")
}

fn expected_fee(amount: i64, bp: u32) -> i64 {
    Money::from_fen(amount).map(|m| m.fee_at(bp).fen()).unwrap_or(0)
}

struct Acc<'a> {
    input: &'a MatchInput<'a>,
    out: Outcome,
    /// Lines the book does not hold (a second one is a duplicate).
    missing_seen: HashSet<Seen<'a>>,
    /// The book's same-day revokes by order: a reversal line is theirs.
    revokes: HashMap<&'a str, &'a BookRefund>,
}

/// What identifies a line the book does not hold: its number (Paydesk's, or for an external
/// payment the channel's trade number); an external refund also by its refund number, amount
/// and time (one trade may be refunded in parts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Seen<'a> {
    kind: StatementKind,
    no: &'a str,
    refund_no: Option<&'a str>,
    amount: i64,
    time: Option<NaiveDateTime>,
}

impl<'a> Seen<'a> {
    fn of(r: &LineRef<'a>, no: &'a str) -> Seen<'a> {
        Seen { kind: r.kind, no, refund_no: None, amount: 0, time: None }
    }
}

impl<'a> Acc<'a> {
    fn flag(&mut self, kind: K, r: Option<&LineRef<'_>>, order_no: &str, refund_no: Option<&str>, book: Option<Side>, why: Why<'_>) {
        self.out.discrepancies.push(Discrepancy {
            kind,
            line: r.map_or(if refund_no.is_some() { StatementKind::Refund } else { StatementKind::Payment }, |r| r.kind),
            order_no: order_no.to_string(),
            refund_no: refund_no.map(str::to_string),
            book,
            channel: r.map(line_side),
            detail: why.sentence(),
            reason: why.reason(),
        });
    }

    /// A line the book does not hold: listed twice, Paydesk's (missing in the book), or taken
    /// outside Paydesk (external). `key` identifies it on the statement.
    fn unknown(&mut self, r: &LineRef<'a>, key: Seen<'a>, ours: bool, why: Why<'_>) {
        let refund = r.kind == StatementKind::Refund;
        let no = if refund { r.refund_no } else { None };
        if !self.missing_seen.insert(key) {
            return self.flag(K::Duplicate, Some(r), r.order_no, no, None, Why::ListedTwice { refund });
        }
        let (kind, why) = if ours { (K::MissingInBook, why) } else { (K::External, if refund { Why::ExternalRefund } else { Why::ExternalPayment }) };
        self.flag(kind, Some(r), r.order_no, no, None, why)
    }

    /// The book's order for a payment line: by our number, or — for a line taken outside
    /// Paydesk — under the number its acceptance as an external sale gave it.
    fn order_of(&self, r: &LineRef<'_>) -> Option<&'a BookOrder> {
        let orders = &self.input.book.orders;
        let found = if r.order_no.is_empty() { None } else { orders.get(r.order_no) };
        found.or_else(|| (!issued_by_paydesk(r.order_no, 'P')).then(|| orders.get(&external::order_no(r.channel_trade_no))).flatten())
    }

    fn payment(&mut self, i: usize, r: LineRef<'a>) {
        let bp = self.input.fee_rate_bp;
        let Some(o) = self.order_of(&r) else {
            let ours = issued_by_paydesk(r.order_no, 'P');
            let why = match self.input.book.other_account.get(r.order_no) {
                Some(a) => Why::OtherAccount { account: a },
                None => Why::UnknownPayment,
            };
            let key = Seen::of(&r, if ours { r.order_no } else { r.channel_trade_no });
            return self.unknown(&r, key, ours || matches!(why, Why::OtherAccount { .. }), why);
        };
        if o.seen.replace(true) {
            return self.flag(K::Duplicate, Some(&r), r.order_no, None, Some(order_side(o)), Why::ListedTwice { refund: false });
        }
        let paid_here = matches!(o.status, OrderStatus::Success | OrderStatus::Refunded);
        if is_reversal_status(r.status) {
            if o.status == OrderStatus::Success {
                return self.flag(K::StatusDiffers, Some(&r), r.order_no, None, Some(order_side(o)), Why::ReversedBookPaid);
            }
            return self.reversal(i, r.order_no);
        }
        if !paid_here {
            return self.flag(K::StatusDiffers, Some(&r), r.order_no, None, Some(order_side(o)), Why::PaidBookSays { amount: r.amount, status: o.status });
        }
        if r.amount != o.amount {
            return self.flag(K::AmountDiffers, Some(&r), r.order_no, None, Some(order_side(o)), Why::Amount { book: o.amount, channel: r.amount });
        }
        let want = expected_fee(r.amount, bp);
        if r.fee.abs() != want {
            return self.flag(K::FeeDiffers, Some(&r), r.order_no, None, Some(order_side(o)), Why::Fee { expected: want, bp, charged: r.fee.abs() });
        }
        self.out.matched.push(i as u32);
    }

    /// A reversal line of an order the book holds as closed or revoked: it is the revoke's line.
    fn reversal(&mut self, i: usize, order_no: &str) {
        if let Some(b) = self.revokes.get(order_no) {
            b.seen.set(true);
        }
        self.out.matched.push(i as u32);
    }

    fn refund(&mut self, i: usize, r: LineRef<'a>) {
        let bp = self.input.fee_rate_bp;
        let book = self.input.book;
        let ours = match r.refund_no {
            Some(no) => issued_by_paydesk(no, 'R'),
            None => issued_by_paydesk(r.order_no, 'P') || book.orders.get(r.order_no).is_some(),
        };
        let found = r.refund_no.filter(|n| !n.is_empty()).and_then(|no| book.refunds.get(no));
        let found = found.or_else(|| (!ours).then(|| book.refunds.get(&external::refund_no(&r))).flatten());
        let Some(b) = found else {
            if r.refund_no.is_none() && ours {
                // A reversal printed as a refund without number: the order must be closed on our side.
                return match book.orders.get(r.order_no) {
                    None => self.unknown(&r, Seen::of(&r, r.order_no), true, Why::UnknownReversal),
                    Some(o) if o.status == OrderStatus::Success && o.refunded == 0 => {
                        self.flag(K::StatusDiffers, Some(&r), r.order_no, None, Some(order_side(o)), Why::ReversedBookPaid)
                    }
                    Some(_) => self.reversal(i, r.order_no),
                };
            }
            let key = match r.refund_no {
                Some(no) if ours => Seen::of(&r, no),
                _ => Seen { kind: r.kind, no: r.channel_trade_no, refund_no: r.refund_no, amount: r.refund_amount, time: r.time },
            };
            return self.unknown(&r, key, ours, Why::UnknownRefund);
        };
        let no = b.refund_no.as_str();
        if b.seen.replace(true) {
            return self.flag(K::Duplicate, Some(&r), r.order_no, Some(no), Some(refund_side(b)), Why::ListedTwice { refund: true });
        }
        if b.status != RefundStatus::Success {
            return self.flag(K::StatusDiffers, Some(&r), r.order_no, Some(no), Some(refund_side(b)), Why::RefundedBookSays { status: b.status });
        }
        if b.amount != r.refund_amount {
            return self.flag(K::RefundDiffers, Some(&r), r.order_no, Some(no), Some(refund_side(b)), Why::RefundAmount { book: b.amount, channel: r.refund_amount });
        }
        let want = expected_fee(r.refund_amount, bp);
        if r.fee.abs() != want {
            return self.flag(K::FeeDiffers, Some(&r), r.order_no, Some(no), Some(refund_side(b)), Why::FeeReturned { expected: want, bp, returned: r.fee.abs() });
        }
        self.out.matched.push(i as u32);
    }
}

/// Matches one account's statement of `input.day` against the book.
pub fn match_day<'a>(input: &'a MatchInput<'a>) -> Outcome {
    let revokes = input.book.refunds.values().filter(|b| b.revoke).map(|b| (b.order_no.as_str(), b)).collect();
    let mut acc = Acc { input, out: Outcome::default(), missing_seen: HashSet::default(), revokes };
    acc.out.matched.reserve(input.rows.len());
    let s = &mut acc.out.summary;
    let mut raw_fees = 0i64;
    for r in input.rows.iter() {
        raw_fees += r.fee;
        match r.kind {
            StatementKind::Payment => {
                s.payments += 1;
                s.payment_amount += r.amount;
                s.fees += r.fee.abs();
            }
            StatementKind::Refund => {
                s.refunds += 1;
                s.refund_amount += r.refund_amount;
                s.fees -= r.fee.abs();
            }
        }
    }
    s.net = s.payment_amount - s.refund_amount - s.fees;
    let d = input.declared;
    let checks = [
        d.payments.map(|v| v == s.payments),
        d.refunds.map(|v| v == s.refunds),
        d.payment_amount.map(|v| v == s.payment_amount),
        d.refund_amount.map(|v| v == s.refund_amount),
        d.fees.map(|v| v == raw_fees),
    ];
    s.declared_ok = checks.iter().flatten().copied().reduce(|a, b| a && b);
    s.adjacent_missing = input.adjacent.missing.clone();

    for (i, r) in input.rows.iter().enumerate() {
        match r.kind {
            StatementKind::Payment => acc.payment(i, r),
            StatementKind::Refund => acc.refund(i, r),
        }
    }

    // The book's side of the day: what we hold as paid or refunded that the statement lacks.
    let on_day = |t: Option<NaiveDateTime>| t.is_some_and(|t| t.date() == input.day);
    let mut missing = Vec::new();
    for (order_no, o) in input.book.orders.iter() {
        if !matches!(o.status, OrderStatus::Success | OrderStatus::Refunded) || !on_day(o.paid_at) {
            continue;
        }
        acc.out.summary.book_payments += 1;
        acc.out.summary.book_payment_amount += o.amount;
        if o.seen.get() {
            continue;
        }
        if input.adjacent.payments.contains(order_no) {
            acc.out.summary.crossed_day += 1;
        } else {
            missing.push((order_no.to_string(), None, Some(order_side(o)), Why::NotOnStatement));
        }
    }
    for b in input.book.refunds.values() {
        if b.status != RefundStatus::Success || !on_day(Some(b.at)) {
            continue;
        }
        acc.out.summary.book_refunds += 1;
        acc.out.summary.book_refund_amount += b.amount;
        if b.seen.get() {
            continue;
        }
        if input.adjacent.refunds.contains(&b.refund_no) {
            acc.out.summary.crossed_day += 1;
        } else {
            missing.push((b.order_no.clone(), Some(b.refund_no.clone()), Some(refund_side(b)), Why::RefundNotOnStatement));
        }
    }
    missing.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (order_no, refund_no, side, why) in missing {
        acc.flag(K::MissingAtChannel, None, &order_no, refund_no.as_deref(), side, why);
    }
    let s = &mut acc.out.summary;
    s.matched = acc.out.matched.len() as u64 + s.crossed_day;
    s.mismatched = acc.out.discrepancies.len() as u64;
    s.kinds = super::KindTotal::of(&acc.out.discrepancies);
    acc.out
}

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;
