//! Typed identifiers: till ids, our order numbers and refund numbers, and their generator.
//!
//! An order number is `P` + `yyyyMMddHHmmssSSS` (local time of the till, 17 digits) + the till id
//! (1–6 of `[A-Z0-9]`) + a 3-digit sequence: at most 27 characters, letters and digits only. That
//! fits every channel at once: Alipay `out_trade_no` (≤ 64), WeChat `out_trade_no` (6–32,
//! `[A-Za-z0-9_-|*]`) and UnionPay `orderId` (8–40, alphanumeric). Numbers sort by time, differ
//! between tills by the till id, and stay unique across restarts because the generator is seeded
//! with the last number the book holds and never goes backwards, even if the clock does.

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

/// Issues order and refund numbers for one till; monotonic across calls and (seeded) restarts.
#[derive(Debug)]
pub struct NumberGen {
    till: TillId,
    tz: chrono_tz::Tz,
    last: Mutex<(i64, u32)>,
}

const SEQ_MAX: u32 = 999;

impl NumberGen {
    pub fn new(till: TillId, tz: chrono_tz::Tz) -> NumberGen {
        NumberGen { till, tz, last: Mutex::new((0, 0)) }
    }

    /// Makes sure no number issued from now on sorts at or before `last_issued` (from the book).
    pub fn seed(&self, last_issued: &str) {
        // Both prefixes share the time layout; parse the 17 digits after the prefix.
        let Some(digits) = last_issued.get(1..18) else { return };
        let Ok(naive) = NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S%3f") else { return };
        let Some(local) = naive.and_local_timezone(self.tz).single() else { return };
        let ms = local.timestamp_millis();
        let seq = last_issued
            .get(last_issued.len().saturating_sub(3)..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(SEQ_MAX);
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if (ms, seq) > *last {
            *last = (ms, seq);
        }
    }

    pub fn next_order_no(&self, now: DateTime<Utc>) -> OrderNo {
        OrderNo(self.next("P", now))
    }

    pub fn next_refund_no(&self, now: DateTime<Utc>) -> RefundNo {
        RefundNo(self.next("R", now))
    }

    fn next(&self, prefix: &str, now: DateTime<Utc>) -> String {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let mut ms = now.timestamp_millis();
        let seq;
        if ms > last.0 {
            seq = 0;
        } else if last.1 < SEQ_MAX {
            ms = last.0;
            seq = last.1 + 1;
        } else {
            ms = last.0 + 1;
            seq = 0;
        }
        *last = (ms, seq);
        let t = DateTime::from_timestamp_millis(ms).unwrap_or(now).with_timezone(&self.tz);
        format!("{prefix}{}{}{seq:03}", t.format("%Y%m%d%H%M%S%3f"), self.till)
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
    fn clock_going_back_after_restart_does_not_repeat() {
        let g1 = gen("T1");
        let later = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
        let last = g1.next_order_no(later);
        // Restart with the clock an hour behind: seeded from the book, numbers still grow.
        let g2 = gen("T1");
        g2.seed(last.as_str());
        let next = g2.next_order_no(later - chrono::Duration::hours(1));
        assert!(next > last, "{next} must sort after {last}");
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
