//! Typed identifiers: till ids, our order numbers and refund numbers, and how they are made.
//!
//! An order number is `P` + `yyyyMMddHHmmssSSS` (local time of the till, 17 digits) + the till id
//! (1–6 of `[A-Z0-9]`) + a 3-digit sequence: at most 27 characters, letters and digits only. That
//! fits every channel at once: Alipay `out_trade_no` (≤ 64), WeChat `out_trade_no` (6–32,
//! `[A-Za-z0-9_-|*]`) and UnionPay `orderId` (8–40, alphanumeric). Numbers sort by time and
//! differ between tills by the till id.
//!
//! Invariant: a number is issued once. Within a till, the time and sequence ([`Slot`]) of every
//! number come from the till's counter row in the book, moved forward in a write transaction
//! (`Store::reserve_slot`), so processes sharing a home (the app, `paydesk serve`, CLI commands)
//! never issue the same one, and the counter never goes backwards, even if the clock does.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is invalid: {rule}")]
pub struct IdError {
    pub what: &'static str,
    pub value: String,
    pub rule: &'static str,
}

/// Identifies one till (one Paydesk installation). 1–6 characters of `[A-Z0-9]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TillId(String);

impl TillId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TillId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(TillId(s.to_string()))
        } else {
            Err(IdError { what: "till id", value: s.to_string(), rule: "1 to 6 characters of A-Z and 0-9" })
        }
    }
}

impl TryFrom<String> for TillId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
impl From<TillId> for String {
    fn from(t: TillId) -> String {
        t.0
    }
}
impl fmt::Display for TillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! number_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Checks `s` without making a number of it.
            pub fn check(s: &str) -> Result<(), IdError> {
                if valid_number(s, $prefix) {
                    Ok(())
                } else {
                    Err(IdError {
                        what: $what,
                        value: s.chars().take(64).collect(),
                        rule: concat!("'", $prefix, "' followed by 8 to 31 letters or digits"),
                    })
                }
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::check(s).map(|()| $name(s.to_string()))
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.0.as_str().into())
            }
        }
        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let s = String::column_result(v)?;
                s.parse().map_err(|e: IdError| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

number_type!(
    /// Our order number (Alipay/WeChat `out_trade_no`, UnionPay `orderId`).
    OrderNo, "P", "order number"
);
number_type!(
    /// Our refund number (Alipay `out_request_no`, WeChat `out_refund_no`, UnionPay refund `orderId`).
    RefundNo, "R", "refund number"
);

/// 9 to 32 characters, alphanumeric, starting with the prefix: the intersection of all channels' rules.
fn valid_number(s: &str, prefix: &str) -> bool {
    (9..=32).contains(&s.len()) && s.starts_with(prefix) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `s` has the shape of a number a Paydesk till issues: `prefix` (`P` orders, `R`
/// refunds), 17 digits of local time `yyyyMMddHHmmssSSS`, the till id (1–6 of `A-Z0-9`) and a
/// 3-digit sequence. Every Paydesk till of the shop numbers this way, so a statement line whose
/// merchant number lacks this shape (or is empty) is a payment Paydesk never created: a static
/// 收款码 sticker, the channel's own app, another system on the same merchant account.
pub fn issued_by_paydesk(s: &str, prefix: char) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    (22..=27).contains(&b.len())
        && s.starts_with(prefix)
        && digits(1..18)
        && b[18..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && digits(b.len() - 3..b.len())
        && stamp_ok(&b[1..18])
}

/// Whether 17 digits are a real `yyyyMMddHHmmssSSS` (without a parser: this runs per line).
fn stamp_ok(d: &[u8]) -> bool {
    let n = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0'));
    chrono::NaiveDate::from_ymd_opt(n(0..4) as i32, n(4..6), n(6..8)).is_some() && n(8..10) < 24 && n(10..12) < 60 && n(12..14) < 60
}

/// A place in a till's number sequence: the till's local time as the 17 digits of the number
/// (`yyyyMMddHHmmssSSS`, read as an integer) and the 3-digit sequence within that millisecond.
/// Slots order as the numbers they make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub stamp: i64,
    pub seq: u32,
}

const SEQ_MAX: u32 = 999;
const STAMP_FORMAT: &str = "%Y%m%d%H%M%S%3f";

impl Slot {
    /// The slot to issue at local time `now` after `last` was issued: `now` with sequence 0 when
    /// it is later, else the next sequence of `last` (the next millisecond once 999 are used).
    /// Never at or before `last`, whatever the clock does.
    pub fn next(last: Option<Slot>, now: i64) -> Slot {
        match last {
            Some(l) if now <= l.stamp => {
                if l.seq < SEQ_MAX {
                    Slot { stamp: l.stamp, seq: l.seq + 1 }
                } else {
                    Slot { stamp: stamp_plus_one_ms(l.stamp), seq: 0 }
                }
            }
            _ => Slot { stamp: now, seq: 0 },
        }
    }
}

fn stamp_of(t: NaiveDateTime) -> i64 {
    t.format(STAMP_FORMAT).to_string().parse().unwrap_or(0)
}

fn stamp_plus_one_ms(stamp: i64) -> i64 {
    match NaiveDateTime::parse_from_str(&format!("{stamp:017}"), STAMP_FORMAT) {
        Ok(t) => stamp_of(t + chrono::Duration::milliseconds(1)),
        // Not a time (cannot come from `Numbering::stamp`): still strictly later.
        Err(_) => stamp + 1,
    }
}

/// How one till writes its numbers: its id, and the time zone of the time part.
#[derive(Debug, Clone)]
pub struct Numbering {
    till: TillId,
    tz: chrono_tz::Tz,
}

impl Numbering {
    pub fn new(till: TillId, tz: chrono_tz::Tz) -> Numbering {
        Numbering { till, tz }
    }

    pub fn till(&self) -> &TillId {
        &self.till
    }

    /// `now` as the till's local time stamp.
    pub fn stamp(&self, now: DateTime<Utc>) -> i64 {
        stamp_of(now.with_timezone(&self.tz).naive_local())
    }

    pub fn order_no(&self, slot: Slot) -> OrderNo {
        OrderNo(self.format("P", slot))
    }

    pub fn refund_no(&self, slot: Slot) -> RefundNo {
        RefundNo(self.format("R", slot))
    }

    fn format(&self, prefix: &str, slot: Slot) -> String {
        format!("{prefix}{:017}{}{:03}", slot.stamp, self.till, slot.seq)
    }
}

/// Issues numbers from memory: for tests and for seeding a book with made-up history. It knows
/// nothing of other processes, so a payment never takes its number from here: the payments
/// service reserves each one in the book ([`crate::Store::reserve_slot`]), where a counter row
/// per till makes numbers unique across every process sharing the book.
#[derive(Debug)]
pub struct NumberGen {
    numbering: Numbering,
    last: Mutex<Option<Slot>>,
}

impl NumberGen {
    pub fn new(till: TillId, tz: chrono_tz::Tz) -> NumberGen {
        NumberGen { numbering: Numbering::new(till, tz), last: Mutex::new(None) }
    }

    pub fn next_order_no(&self, now: DateTime<Utc>) -> OrderNo {
        let slot = self.next(now);
        self.numbering.order_no(slot)
    }

    pub fn next_refund_no(&self, now: DateTime<Utc>) -> RefundNo {
        let slot = self.next(now);
        self.numbering.refund_no(slot)
    }

    fn next(&self, now: DateTime<Utc>) -> Slot {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let slot = Slot::next(*last, self.numbering.stamp(now));
        *last = Some(slot);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::HashSet;

    fn gen(till: &str) -> NumberGen {
        NumberGen::new(till.parse().unwrap(), chrono_tz::Asia::Shanghai)
    }

    fn fits_every_channel(s: &str) {
        assert!(s.len() <= 32 && s.len() >= 8, "{s} length");
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()), "{s} charset");
    }

    #[test]
    fn numbers_fit_all_channels_and_parse_back() {
        let g = gen("T01");
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 4, 0, 0).unwrap();
        let n = g.next_order_no(now);
        assert_eq!(n.as_str(), "P20261125120000000T01000");
        fits_every_channel(n.as_str());
        assert_eq!(n.as_str().parse::<OrderNo>().unwrap(), n);
        let r = g.next_refund_no(now);
        fits_every_channel(r.as_str());
        assert!(r.as_str().starts_with('R'));
        let longest = gen("ABCDEF").next_order_no(now);
        fits_every_channel(longest.as_str());
    }

    #[test]
    fn unique_and_sorted_within_one_millisecond_and_beyond() {
        let g = gen("T1");
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let nos: Vec<String> = (0..5000).map(|_| g.next_order_no(now).0).collect();
        let set: HashSet<_> = nos.iter().collect();
        assert_eq!(set.len(), nos.len());
        let mut sorted = nos.clone();
        sorted.sort();
        assert_eq!(sorted, nos);
    }

    #[test]
    fn a_slot_never_goes_back_and_rolls_over_to_the_next_millisecond() {
        let last = Slot { stamp: 20260501080000123, seq: 4 };
        // The clock an hour behind (or the same millisecond): the next sequence.
        assert_eq!(Slot::next(Some(last), 20260501070000000), Slot { stamp: last.stamp, seq: 5 });
        assert_eq!(Slot::next(Some(last), last.stamp), Slot { stamp: last.stamp, seq: 5 });
        // Later: that time, sequence 0.
        assert_eq!(Slot::next(Some(last), 20260501080000124), Slot { stamp: 20260501080000124, seq: 0 });
        assert_eq!(Slot::next(None, 20260501080000124), Slot { stamp: 20260501080000124, seq: 0 });
        // 999 used: the next millisecond, across the end of a second, a day and a year.
        let full = |stamp| Slot { stamp, seq: 999 };
        assert_eq!(Slot::next(Some(full(20260501080000123)), 0), Slot { stamp: 20260501080000124, seq: 0 });
        assert_eq!(Slot::next(Some(full(20261231235959999)), 0), Slot { stamp: 20270101000000000, seq: 0 });
    }

    #[test]
    fn paydesk_numbers_are_told_from_others() {
        let g = gen("T01");
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 4, 0, 0).unwrap();
        assert!(issued_by_paydesk(g.next_order_no(now).as_str(), 'P'));
        assert!(issued_by_paydesk(g.next_refund_no(now).as_str(), 'R'));
        assert!(issued_by_paydesk(gen("ABCDEF").next_order_no(now).as_str(), 'P'));
        assert!(issued_by_paydesk(gen("9").next_order_no(now).as_str(), 'P'));
        for other in ["", "P1", "2026112512000000001", "P20261125120000000T01000X", "P20261325120000000T01000", "Pabcdefghijklmnopq T01000", "P20261125120000000t01000", "R20261125120000000T01000", "PX2026112522001234567890123456"] {
            assert!(!issued_by_paydesk(other, 'P'), "{other}");
        }
    }

    #[test]
    fn different_tills_never_collide() {
        let now = Utc::now();
        assert_ne!(gen("A").next_order_no(now), gen("B").next_order_no(now));
    }

    #[test]
    fn refuses_bad_ids() {
        for bad in ["", "P123", "P2026-11-25", "X20261125120000000T01000", "P2026112512000000_T01", &format!("P{}", "1".repeat(32))] {
            assert!(bad.parse::<OrderNo>().is_err(), "{bad}");
        }
        for bad in ["", "t1", "ABCDEFG", "A-1"] {
            assert!(bad.parse::<TillId>().is_err(), "{bad}");
        }
    }
}
