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

use std::cell::Cell;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{NaiveDate, NaiveDateTime};

use super::why::Why;
use super::{Discrepancy, DiscrepancyKind as K, Side, Summary};
use crate::money::Money;
use crate::order::{OrderStatus, RefundStatus};
use crate::statement::{StatementKind, StatementRow, StatementTotals};

/// An order as reconciliation sees it (its number is the key of [`BookView::orders`]). Kept
/// small: a million of them are read for a busy day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookOrder {
    pub status: OrderStatus,
    pub amount: i64,
    pub fee: i64,
    pub refunded: i64,
    /// Shop-local time of payment.
    pub paid_at: Option<NaiveDateTime>,
    /// Set by the matcher when a statement row claims this order.
    pub seen: Cell<bool>,
}

/// A refund as reconciliation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookRefund {
    pub refund_no: String,
    pub order_no: String,
    pub amount: i64,
    pub status: RefundStatus,
    /// Shop-local time of its last change (when it succeeded, for final refunds).
    pub at: NaiveDateTime,
    pub seen: Cell<bool>,
}

/// Orders by number, built for a million entries: the numbers live in one arena string and the
/// table maps a 64-bit hash of the number to its entry (checked against the arena on every
/// look-up), so reading the book allocates nothing per order and the table stays small. The
/// rare hash collision goes to a plain map beside it.
///
/// Look-ups remember where the last one landed and try the next entries first: the book is read
/// in order of creation and a statement lists payments in order of completion, so most of a
/// day's look-ups are a comparison with the entry after the previous one, in memory that is
/// already cached, instead of a random probe into a table of a million.
#[derive(Clone, Debug, Default)]
pub struct BookOrders {
    index: HashMap<u64, u32>,
    entries: Vec<(u32, u32, BookOrder)>,
    names: String,
    collided: HashMap<String, u32>,
    cursor: Cell<u32>,
}

/// How many entries after the previous hit a look-up tries before hashing.
const AHEAD: u32 = 4;

fn hash_of(no: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(no.as_bytes());
    h.finish()
}

impl BookOrders {
    fn name(&self, i: u32) -> &str {
        let (a, b, _) = &self.entries[i as usize];
        &self.names[*a as usize..*b as usize]
    }

    pub fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
        self.entries.reserve(n);
        self.names.reserve(n * 24);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds (or replaces) the order numbered `no`.
    pub fn insert(&mut self, no: &str, o: BookOrder) {
        let (mark, i) = (self.names.len(), self.append(no, o));
        if let Some(j) = self.slot(hash_of(no), i) {
            // Known already: it takes the new values and the appended entry goes.
            let (_, _, o) = self.entries.pop().unwrap_or_else(|| unreachable!("appended above"));
            self.names.truncate(mark);
            self.entries[j as usize].2 = o;
        }
    }

    /// Appends an entry (not yet indexed) and returns its position.
    fn append(&mut self, no: &str, o: BookOrder) -> u32 {
        let (a, b) = (self.names.len() as u32, (self.names.len() + no.len()) as u32);
        self.names.push_str(no);
        self.entries.push((a, b, o));
        (self.entries.len() - 1) as u32
    }

    /// Indexes entry `i` under its number's hash `h`; when the number is indexed already, leaves
    /// `i` out and returns where it is.
    fn slot(&mut self, h: u64, i: u32) -> Option<u32> {
        let (entries, names) = (&self.entries, &self.names);
        let name = |k: u32| {
            let (a, b, _) = &entries[k as usize];
            &names[*a as usize..*b as usize]
        };
        match self.index.entry(h) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
                None
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let j = *e.get();
                if name(j) == name(i) {
                    return Some(j);
                }
                let no = name(i).to_string();
                match self.collided.get(&no) {
                    Some(&j) => Some(j),
                    None => {
                        self.collided.insert(no, i);
                        None
                    }
                }
            }
        }
    }

    /// Adds many orders at once (reading the book): entries are appended as they come and the
    /// hash table is filled by [`Bulk::finish`] in the order of its buckets, so a million writes
    /// into it go through memory in sequence instead of at random — several times faster. The
    /// same number twice keeps the first one's place and the last one's values, as [`insert`](Self::insert) does.
    pub fn bulk(&mut self, expected: usize) -> Bulk<'_> {
        self.reserve(expected);
        Bulk { start: self.entries.len(), hashes: Vec::with_capacity(expected), orders: self }
    }

    /// Indexes the entries from `start` on, whose hashes are `hashes`.
    fn index_from(&mut self, start: usize, hashes: &[u64]) {
        use std::hash::BuildHasher;
        self.index.reserve(hashes.len());
        let cap = self.index.capacity();
        let mask = (cap + cap / 7).max(1).next_power_of_two() as u64 - 1;
        let mut order: Vec<(u64, u32)> = hashes.iter().enumerate().map(|(k, &h)| (self.index.hasher().hash_one(h) & mask, k as u32)).collect();
        order.sort_unstable();
        let mut twice = Vec::new();
        for (_, k) in order {
            let i = (start + k as usize) as u32;
            if let Some(j) = self.slot(hashes[k as usize], i) {
                twice.push((j, i));
            }
        }
        if !twice.is_empty() {
            self.merge_twice(twice);
        }
    }

    /// The rare case of a number added twice in bulk: the earlier entry takes the later one's
    /// values, the later entry goes, and the index is built again.
    fn merge_twice(&mut self, twice: Vec<(u32, u32)>) {
        let mut gone = vec![false; self.entries.len()];
        for (a, b) in twice {
            let (keep, drop) = (a.min(b), a.max(b));
            self.entries[keep as usize].2 = self.entries[drop as usize].2.clone();
            gone[drop as usize] = true;
        }
        let old = std::mem::take(self);
        for (k, (a, b, o)) in old.entries.into_iter().enumerate() {
            if !gone[k] {
                self.insert(&old.names[a as usize..b as usize], o);
            }
        }
    }

    pub fn get(&self, no: &str) -> Option<&BookOrder> {
        let i = self.position(no)?;
        self.cursor.set(i);
        Some(&self.entries[i as usize].2)
    }

    fn position(&self, no: &str) -> Option<u32> {
        let c = self.cursor.get();
        let end = (c + 1 + AHEAD).min(self.entries.len() as u32);
        if let Some(i) = (c + 1..end).find(|&i| self.name(i) == no) {
            return Some(i);
        }
        match self.index.get(&hash_of(no)) {
            Some(&i) if self.name(i) == no => Some(i),
            Some(_) => self.collided.get(no).copied(),
            None => None,
        }
    }

    pub fn contains_key(&self, no: &str) -> bool {
        self.get(no).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &BookOrder)> {
        self.entries.iter().map(|(a, b, o)| (&self.names[*a as usize..*b as usize], o))
    }

    pub fn values(&self) -> impl Iterator<Item = &BookOrder> {
        self.entries.iter().map(|(_, _, o)| o)
    }
}

/// Orders being added in bulk; see [`BookOrders::bulk`]. Indexed by [`finish`](Bulk::finish)
/// (or when dropped).
pub struct Bulk<'a> {
    orders: &'a mut BookOrders,
    start: usize,
    hashes: Vec<u64>,
}

impl Bulk<'_> {
    pub fn push(&mut self, no: &str, o: BookOrder) {
        self.orders.append(no, o);
        self.hashes.push(hash_of(no));
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn finish(mut self) {
        self.index();
    }

    fn index(&mut self) {
        let hashes = std::mem::take(&mut self.hashes);
        if !hashes.is_empty() {
            self.orders.index_from(self.start, &hashes);
        }
    }
}

impl Drop for Bulk<'_> {
    fn drop(&mut self) {
        self.index();
    }
}

impl std::ops::Index<&str> for BookOrders {
    type Output = BookOrder;
    fn index(&self, no: &str) -> &BookOrder {
        self.get(no).unwrap_or_else(|| panic!("no order {no} in the book view"))
    }
}

impl<S: AsRef<str>> FromIterator<(S, BookOrder)> for BookOrders {
    fn from_iter<I: IntoIterator<Item = (S, BookOrder)>>(it: I) -> Self {
        let mut b = BookOrders::default();
        for (no, o) in it {
            b.insert(no.as_ref(), o);
        }
        b
    }
}

/// The book around one account and day: the account's orders and refunds by number.
#[derive(Clone, Debug, Default)]
pub struct BookView {
    pub orders: BookOrders,
    pub refunds: HashMap<String, BookRefund>,
    /// Order numbers the book holds under another account (number → account).
    pub other_account: HashMap<String, String>,
}

/// What the statements of the day before and after hold.
#[derive(Clone, Debug, Default)]
pub struct Adjacent {
    pub payments: HashSet<String>,
    pub refunds: HashSet<String>,
    /// Adjacent days whose statement could not be had.
    pub missing: Vec<String>,
}

pub struct MatchInput<'a> {
    pub day: NaiveDate,
    pub fee_rate_bp: u32,
    pub rows: &'a [StatementRow],
    pub declared: &'a StatementTotals,
    pub book: &'a BookView,
    pub adjacent: &'a Adjacent,
}

/// The matcher's result. `matched` holds indexes into the statement rows.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub matched: Vec<usize>,
    pub discrepancies: Vec<Discrepancy>,
    pub summary: Summary,
}

fn fmt_time(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn row_side(r: &StatementRow) -> Side {
    Side {
        status: Some(r.status.clone()),
        amount: (r.kind == StatementKind::Payment).then_some(r.amount),
        refund_amount: (r.kind == StatementKind::Refund).then_some(r.refund_amount),
        fee: Some(r.fee),
        time: fmt_time(r.time),
        trade_no: Some(r.channel_trade_no.clone()),
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
    missing_seen: HashSet<(StatementKind, &'a str)>,
}

impl<'a> Acc<'a> {
    fn flag(&mut self, kind: K, r: Option<&StatementRow>, order_no: &str, refund_no: Option<&str>, book: Option<Side>, why: Why<'_>) {
        self.out.discrepancies.push(Discrepancy {
            kind,
            line: r.map_or(if refund_no.is_some() { StatementKind::Refund } else { StatementKind::Payment }, |r| r.kind),
            order_no: order_no.to_string(),
            refund_no: refund_no.map(str::to_string),
            book,
            channel: r.map(row_side),
            detail: why.sentence(),
            reason: why.reason(),
        });
    }

    fn payment(&mut self, i: usize, r: &'a StatementRow) {
        let bp = self.input.fee_rate_bp;
        let Some(o) = self.input.book.orders.get(&r.order_no) else {
            if !self.missing_seen.insert((StatementKind::Payment, r.order_no.as_str())) {
                return self.flag(K::Duplicate, Some(r), &r.order_no, None, None, Why::ListedTwice { refund: false });
            }
            let why = match self.input.book.other_account.get(&r.order_no) {
                Some(a) => Why::OtherAccount { account: a },
                None => Why::UnknownPayment,
            };
            return self.flag(K::MissingInBook, Some(r), &r.order_no, None, None, why);
        };
        if o.seen.replace(true) {
            return self.flag(K::Duplicate, Some(r), &r.order_no, None, Some(order_side(o)), Why::ListedTwice { refund: false });
        }
        let paid_here = matches!(o.status, OrderStatus::Success | OrderStatus::Refunded);
        if is_reversal_status(&r.status) {
            if o.status == OrderStatus::Success {
                return self.flag(K::StatusDiffers, Some(r), &r.order_no, None, Some(order_side(o)), Why::ReversedBookPaid);
            }
            self.out.matched.push(i);
            return;
        }
        if !paid_here {
            return self.flag(K::StatusDiffers, Some(r), &r.order_no, None, Some(order_side(o)), Why::PaidBookSays { amount: r.amount, status: o.status });
        }
        if r.amount != o.amount {
            return self.flag(K::AmountDiffers, Some(r), &r.order_no, None, Some(order_side(o)), Why::Amount { book: o.amount, channel: r.amount });
        }
        let want = expected_fee(r.amount, bp);
        if r.fee.abs() != want {
            return self.flag(K::FeeDiffers, Some(r), &r.order_no, None, Some(order_side(o)), Why::Fee { expected: want, bp, charged: r.fee.abs() });
        }
        self.out.matched.push(i);
    }

    fn refund(&mut self, i: usize, r: &'a StatementRow) {
        let bp = self.input.fee_rate_bp;
        let Some(no) = r.refund_no.as_deref() else {
            // A reversal printed as a refund without number: the order must be closed on our side.
            return match self.input.book.orders.get(&r.order_no) {
                None => self.flag(K::MissingInBook, Some(r), &r.order_no, None, None, Why::UnknownReversal),
                Some(o) if o.status == OrderStatus::Success && o.refunded == 0 => {
                    self.flag(K::StatusDiffers, Some(r), &r.order_no, None, Some(order_side(o)), Why::ReversedBookPaid)
                }
                Some(_) => self.out.matched.push(i),
            };
        };
        let Some(b) = self.input.book.refunds.get(no) else {
            if !self.missing_seen.insert((StatementKind::Refund, no)) {
                return self.flag(K::Duplicate, Some(r), &r.order_no, Some(no), None, Why::ListedTwice { refund: true });
            }
            return self.flag(K::MissingInBook, Some(r), &r.order_no, Some(no), None, Why::UnknownRefund);
        };
        if b.seen.replace(true) {
            return self.flag(K::Duplicate, Some(r), &r.order_no, Some(no), Some(refund_side(b)), Why::ListedTwice { refund: true });
        }
        if b.status != RefundStatus::Success {
            return self.flag(K::StatusDiffers, Some(r), &r.order_no, Some(no), Some(refund_side(b)), Why::RefundedBookSays { status: b.status });
        }
        if b.amount != r.refund_amount {
            return self.flag(K::RefundDiffers, Some(r), &r.order_no, Some(no), Some(refund_side(b)), Why::RefundAmount { book: b.amount, channel: r.refund_amount });
        }
        let want = expected_fee(r.refund_amount, bp);
        if r.fee.abs() != want {
            return self.flag(K::FeeDiffers, Some(r), &r.order_no, Some(no), Some(refund_side(b)), Why::FeeReturned { expected: want, bp, returned: r.fee.abs() });
        }
        self.out.matched.push(i);
    }
}

/// Matches one account's statement of `input.day` against the book.
pub fn match_day<'a>(input: &'a MatchInput<'a>) -> Outcome {
    let mut acc = Acc { input, out: Outcome::default(), missing_seen: HashSet::default() };
    let s = &mut acc.out.summary;
    let mut raw_fees = 0i64;
    for r in input.rows {
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
    acc.out.summary.matched = acc.out.matched.len() as u64 + acc.out.summary.crossed_day;
    acc.out.summary.mismatched = acc.out.discrepancies.len() as u64;
    acc.out
}

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;
