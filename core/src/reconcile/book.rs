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
