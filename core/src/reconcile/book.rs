//! The book as reconciliation sees it: a day's orders and refunds of one account, read in bulk
//! and looked up by number a million times. [`BookOrders`] keeps the numbers in one arena and
//! indexes them by a 64-bit hash; see its doc for why look-ups that follow the statement are
//! cheap.
//!
//! Invariant: a number is in the view at most once; adding it again replaces its values.

use std::cell::Cell;

use chrono::NaiveDateTime;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::order::{OrderStatus, RefundStatus};

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
    /// A same-day revoke of the whole payment: the statement shows it as the trade's reversal
    /// (a refund line without number, a `31` line, a REVOKED trade), not under its number.
    pub revoke: bool,
    pub seen: Cell<bool>,
}

/// Orders by number, built for a million entries at about 75 bytes each: the numbers live back
/// to back in one arena string (`ends` marks where each stops), the orders in one vector, and an
/// open-addressing table of 4-byte slots finds them (linear probing, at most half full): the
/// entry's position, with 8 bits of the number's hash above it while the table has at most
/// 2^24 slots, so most probes that miss never touch the arena; a hit is confirmed against it.
/// Reading the book allocates nothing per order, and the table is built once the day is read,
/// in one pass over the arena.
///
/// Look-ups remember where the last one landed and try the next entries first: the book is read
/// in order of creation and a statement lists payments in order of completion, so most of a
/// day's look-ups are a comparison with the entry after the previous one, in memory that is
/// already cached, instead of a random probe into a table of a million.
#[derive(Clone, Debug, Default)]
pub struct BookOrders {
    names: String,
    /// Where each entry's number ends in `names` (it starts where the previous one ends).
    ends: Vec<u32>,
    orders: Vec<BookOrder>,
    /// `tag | (position + 1)` (see [`tag_and_mask`]); 0 is an empty slot.
    table: Vec<u32>,
    cursor: Cell<u32>,
}

/// How many entries after the previous hit a look-up tries before hashing.
const AHEAD: u32 = 4;

fn hash_of(no: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(no.as_bytes());
    // Spread every input bit over the high bits (the slot) and the low ones (the tag).
    let h = h.finish();
    (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (h >> 32)
}

/// Tables up to this many slots keep a tag in each slot's top 8 bits (at most half full, their
/// positions fit in the other 24).
const TAGGED_UP_TO: usize = 1 << 24;

/// The tag of hash `h` in a table of `cap` slots, and the mask of a slot's position bits.
fn tag_and_mask(h: u64, cap: usize) -> (u32, u32) {
    if cap <= TAGGED_UP_TO {
        ((h as u32) << 24, 0x00FF_FFFF)
    } else {
        (0, u32::MAX)
    }
}

/// The first slot of hash `h` in a table of `cap` slots (multiply-shift: any size works).
fn home(h: u64, cap: usize) -> usize {
    ((u128::from(h) * cap as u128) >> 64) as usize
}

impl BookOrders {
    fn name(&self, i: u32) -> &str {
        let i = i as usize;
        let a = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.names[a..self.ends[i] as usize]
    }

    pub fn reserve(&mut self, n: usize) {
        self.ends.reserve(n);
        self.orders.reserve(n);
        self.names.reserve(n * 24);
    }

    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// Adds (or replaces) the order numbered `no`.
    pub fn insert(&mut self, no: &str, o: BookOrder) {
        let h = hash_of(no);
        if let Some(j) = self.find(no, h) {
            self.orders[j as usize] = o;
            return;
        }
        self.grow_for(self.len() + 1, self.len());
        let i = self.append(no, o);
        self.put(h, i);
    }

    /// Appends an entry (not yet indexed) and returns its position.
    fn append(&mut self, no: &str, o: BookOrder) -> u32 {
        self.names.push_str(no);
        self.ends.push(self.names.len() as u32);
        self.orders.push(o);
        (self.orders.len() - 1) as u32
    }

    /// The position of `no` (whose hash is `h`), if indexed.
    fn find(&self, no: &str, h: u64) -> Option<u32> {
        let cap = self.table.len();
        if cap == 0 {
            return None;
        }
        let ((tag, mask), mut s) = (tag_and_mask(h, cap), home(h, cap));
        loop {
            let v = self.table[s];
            if v == 0 {
                return None;
            }
            if v & !mask == tag && self.name((v & mask) - 1) == no {
                return Some((v & mask) - 1);
            }
            s = if s + 1 == cap { 0 } else { s + 1 };
        }
    }

    /// Indexes entry `i` under hash `h`; when its number is indexed already, leaves `i` out and
    /// returns where it is. The table must have room.
    fn put(&mut self, h: u64, i: u32) -> Option<u32> {
        let cap = self.table.len();
        let ((tag, mask), mut s) = (tag_and_mask(h, cap), home(h, cap));
        loop {
            let v = self.table[s];
            if v == 0 {
                self.table[s] = tag | (i + 1);
                return None;
            }
            if v & !mask == tag && self.name((v & mask) - 1) == self.name(i) {
                return Some((v & mask) - 1);
            }
            s = if s + 1 == cap { 0 } else { s + 1 };
        }
    }

    /// Makes the table big enough for `n` entries (at most half full), indexing again the
    /// first `indexed` entries (those it held) when it has to grow.
    fn grow_for(&mut self, n: usize, indexed: usize) {
        if n * 2 <= self.table.len() {
            return;
        }
        self.table = vec![0; (2 * n + 16).max(self.table.len() * 2)];
        for i in 0..indexed as u32 {
            self.put(hash_of(self.name(i)), i);
        }
    }

    /// Adds many orders at once (reading the book): entries are appended as they come and
    /// indexed by [`Bulk::finish`], when their number is known (the table is sized once). The
    /// same number twice keeps the first one's place and the last one's values, as
    /// [`insert`](Self::insert) does.
    pub fn bulk(&mut self, expected: usize) -> Bulk<'_> {
        self.reserve(expected);
        Bulk { start: self.orders.len(), orders: self }
    }

    /// Indexes the entries from `start` on.
    fn index_from(&mut self, start: usize) {
        // The entries before `start` are indexed, the rest not.
        self.grow_for(self.len(), start);
        let mut twice = Vec::new();
        for i in start as u32..self.len() as u32 {
            if let Some(j) = self.put(hash_of(self.name(i)), i) {
                twice.push((j, i));
            }
        }
        if !twice.is_empty() {
            self.merge_twice(twice);
        }
    }

    /// The rare case of a number added twice in bulk: the earlier entry takes the later one's
    /// values (in the order they came), the later entry goes, and the index is built again.
    fn merge_twice(&mut self, twice: Vec<(u32, u32)>) {
        let mut gone = vec![false; self.len()];
        for (keep, drop) in twice {
            self.orders[keep as usize] = self.orders[drop as usize].clone();
            gone[drop as usize] = true;
        }
        let old = std::mem::take(self);
        self.reserve(old.len());
        for (k, o) in old.orders.iter().enumerate() {
            if !gone[k] {
                self.insert(old.name(k as u32), o.clone());
            }
        }
    }

    pub fn get(&self, no: &str) -> Option<&BookOrder> {
        let i = self.position(no)?;
        self.cursor.set(i);
        Some(&self.orders[i as usize])
    }

    fn position(&self, no: &str) -> Option<u32> {
        let c = self.cursor.get();
        let end = (c + 1 + AHEAD).min(self.len() as u32);
        if let Some(i) = (c + 1..end).find(|&i| self.name(i) == no) {
            return Some(i);
        }
        self.find(no, hash_of(no))
    }

    pub fn contains_key(&self, no: &str) -> bool {
        self.get(no).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &BookOrder)> {
        self.orders.iter().enumerate().map(|(i, o)| (self.name(i as u32), o))
    }

    pub fn values(&self) -> impl Iterator<Item = &BookOrder> {
        self.orders.iter()
    }
}

/// Orders being added in bulk; see [`BookOrders::bulk`]. Indexed by [`finish`](Bulk::finish)
/// (or when dropped).
pub struct Bulk<'a> {
    orders: &'a mut BookOrders,
    start: usize,
}

impl Bulk<'_> {
    pub fn push(&mut self, no: &str, o: BookOrder) {
        self.orders.append(no, o);
    }

    pub fn len(&self) -> usize {
        self.orders.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn finish(self) {}

    fn index(&mut self) {
        if !self.is_empty() {
            self.orders.index_from(self.start);
            self.start = self.orders.len();
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

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
