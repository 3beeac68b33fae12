//! Report periods: which local days a preset covers, the period it is compared with, and the
//! UTC spans in which the shop's zone keeps one offset.
//!
//! To-date periods (today, this week, this month, this year) end *now*; their comparison period
//! ends at the same local time of day on the corresponding day (yesterday by this time, last week
//! by this weekday and time, …), so a morning is never compared with a whole day. Both cuts are
//! rounded up to the next 15-minute slot, the resolution of the pre-aggregate.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::AnalyticsError;
use crate::store::{OffsetSpan, SLOT_MS};

/// The longest custom range, in days (three years).
pub const MAX_DAYS: i64 = 3 * 366;

/// A range of local days the owner picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Period {
    Today,
    Yesterday,
    /// Monday of this week to now.
    Week,
    /// The 1st of this month to now.
    Month,
    /// 1 January to now.
    Year,
    /// Whole local days, both inclusive; compared with as many days just before.
    Custom { from: NaiveDate, to: NaiveDate },
}

impl FromStr for Period {
    type Err = AnalyticsError;
    /// `today`, `yesterday`, `week`, `month`, `year`, or `YYYY-MM-DD..YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "today" => Ok(Period::Today),
            "yesterday" => Ok(Period::Yesterday),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "year" => Ok(Period::Year),
            other => {
                let (a, b) = other.split_once("..").ok_or_else(|| invalid("period", format!("{other:?} is not today, yesterday, week, month, year or FROM..TO")))?;
                Ok(Period::Custom { from: parse_day(a, "from")?, to: parse_day(b, "to")? })
            }
        }
    }
}

/// Parses a `YYYY-MM-DD` local day; the error names `field`.
pub fn parse_day(s: &str, field: &'static str) -> Result<NaiveDate, AnalyticsError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| invalid(field, format!("{s:?} is not a date like 2026-11-25")))
}

fn invalid(field: &'static str, problem: String) -> AnalyticsError {
    AnalyticsError::Invalid { field, problem }
}

/// Resolved local days and the UTC instants they cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First local day.
    pub from: NaiveDate,
    /// Last local day (inclusive).
    pub to: NaiveDate,
    /// Start (local midnight of `from`), UTC.
    pub start: DateTime<Utc>,
    /// End, exclusive, UTC: local midnight after `to`, or the to-date cut.
    pub end: DateTime<Utc>,
}

impl Window {
    /// Number of local days.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Local midnight of `d` (or the first instant of the day where midnight does not exist).
fn day_start(tz: chrono_tz::Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t = d.and_time(NaiveTime::MIN);
    for _ in 0..24 * 4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    // No zone skips a whole day at 15-minute resolution; fall back to UTC midnight.
    d.and_time(NaiveTime::MIN).and_utc()
}

fn round_up_to_slot(t: DateTime<Utc>) -> DateTime<Utc> {
    let ms = t.timestamp_millis();
    let up = (ms + SLOT_MS - 1).div_euclid(SLOT_MS) * SLOT_MS;
    DateTime::from_timestamp_millis(up).unwrap_or(t)
}

fn whole(tz: chrono_tz::Tz, from: NaiveDate, to: NaiveDate) -> Window {
    Window { from, to, start: day_start(tz, from), end: day_start(tz, to + Days::new(1)) }
}

/// Days `from..=to` cut at `time` (local time of day) on `to`, rounded up to a slot.
fn cut(tz: chrono_tz::Tz, from: NaiveDate, to: NaiveDate, time: NaiveTime) -> Window {
    let w = whole(tz, from, to);
    let at = tz.from_local_datetime(&to.and_time(time)).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or(w.end);
    Window { end: round_up_to_slot(at).clamp(w.start, w.end), ..w }
}

fn clamp_day(year: i32, month: u32, day: u32) -> NaiveDate {
    (1..=day).rev().find_map(|d| NaiveDate::from_ymd_opt(year, month, d)).unwrap_or(NaiveDate::MIN)
}

impl Period {
    /// The period's window and the window it is compared with, at `now` in zone `tz`.
    pub fn resolve(self, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<(Window, Window), AnalyticsError> {
        let local = now.with_timezone(&tz);
        let today = local.date_naive();
        let time = local.time();
        let day = |d: NaiveDate, n: u64| d - Days::new(n);
        Ok(match self {
            Period::Today => (cut(tz, today, today, time), cut(tz, day(today, 1), day(today, 1), time)),
            Period::Yesterday => (whole(tz, day(today, 1), day(today, 1)), whole(tz, day(today, 2), day(today, 2))),
            Period::Week => {
                let monday = day(today, u64::from(today.weekday().num_days_from_monday()));
                (cut(tz, monday, today, time), cut(tz, day(monday, 7), day(today, 7), time))
            }
            Period::Month => {
                let first = clamp_day(today.year(), today.month(), 1);
                let prev_first = first - Months::new(1);
                let prev_to = clamp_day(prev_first.year(), prev_first.month(), today.day());
                (cut(tz, first, today, time), cut(tz, prev_first, prev_to, time))
            }
            Period::Year => {
                let first = clamp_day(today.year(), 1, 1);
                let prev_to = clamp_day(today.year() - 1, today.month(), today.day());
                (cut(tz, first, today, time), cut(tz, clamp_day(today.year() - 1, 1, 1), prev_to, time))
            }
            Period::Custom { from, to } => {
                if to < from {
                    return Err(invalid("to", format!("{to} is before {from}")));
                }
                let n = (to - from).num_days() + 1;
                if n > MAX_DAYS {
                    return Err(invalid("to", format!("the range has {n} days; at most {MAX_DAYS} are allowed")));
                }
                let n = u64::try_from(n).unwrap_or(1);
                (whole(tz, from, to), whole(tz, day(from, n), day(from, 1)))
            }
        })
    }
}

/// Splits `[start, end)` into spans of one UTC offset of `tz` (a few per year in DST zones).
pub fn offset_spans(tz: chrono_tz::Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<OffsetSpan> {
    use chrono::Offset;
    let off = |ms: i64| -> i64 {
        let t = DateTime::from_timestamp_millis(ms).unwrap_or_default();
        i64::from(tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()) * 1000
    };
    let (from, to) = (start.timestamp_millis(), end.timestamp_millis());
    let mut spans = Vec::new();
    if to <= from {
        return spans;
    }
    let mut cur = OffsetSpan { from_ms: from, to_ms: to, offset_ms: off(from) };
    let hour = 4 * SLOT_MS;
    let mut t = from;
    while t < to {
        let next = (t + hour).min(to);
        if off(next.min(to - 1)) != cur.offset_ms {
            // The change is inside (t, next]: find its slot.
            let mut s = t + SLOT_MS;
            while s < next && off(s) == cur.offset_ms {
                s += SLOT_MS;
            }
            let s = s.min(to);
            spans.push(OffsetSpan { to_ms: s, ..cur });
            cur = OffsetSpan { from_ms: s, to_ms: to, offset_ms: off(s) };
            t = s;
            continue;
        }
        t = next;
    }
    spans.push(cur);
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{Asia, Europe};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn presets_resolve_in_the_shops_zone() {
        // 2026-11-25 01:10 in Shanghai is still the 24th in UTC.
        let now = at("2026-11-24T17:10:00Z");
        let (cur, prev) = Period::Today.resolve(Asia::Shanghai, now).unwrap();
        assert_eq!((cur.from, cur.to), (d("2026-11-25"), d("2026-11-25")));
        assert_eq!(cur.start, at("2026-11-24T16:00:00Z"));
        assert_eq!(cur.end, at("2026-11-24T17:15:00Z"), "cut at now, rounded up to the slot");
        assert_eq!((prev.from, prev.start, prev.end), (d("2026-11-24"), at("2026-11-23T16:00:00Z"), at("2026-11-23T17:15:00Z")));
        let (cur, prev) = Period::Yesterday.resolve(Asia::Shanghai, now).unwrap();
        assert_eq!((cur.from, cur.end, prev.from), (d("2026-11-24"), at("2026-11-24T16:00:00Z"), d("2026-11-23")));
        // Wednesday: Monday..Wednesday against last Monday..Wednesday.
        let (cur, prev) = Period::Week.resolve(Asia::Shanghai, now).unwrap();
        assert_eq!((cur.from, cur.to, prev.from, prev.to), (d("2026-11-23"), d("2026-11-25"), d("2026-11-16"), d("2026-11-18")));
        let (cur, prev) = Period::Month.resolve(Asia::Shanghai, now).unwrap();
        assert_eq!((cur.from, cur.days(), prev.from, prev.to), (d("2026-11-01"), 25, d("2026-10-01"), d("2026-10-25")));
        let (cur, prev) = Period::Year.resolve(Asia::Shanghai, now).unwrap();
        assert_eq!((cur.from, prev.from, prev.to), (d("2026-01-01"), d("2025-01-01"), d("2025-11-25")));
        // 31 March compares with all of February (clamped to the 28th).
        let (_, prev) = Period::Month.resolve(Asia::Shanghai, at("2026-03-31T04:00:00Z")).unwrap();
        assert_eq!((prev.from, prev.to), (d("2026-02-01"), d("2026-02-28")));
    }

    #[test]
    fn custom_ranges_are_checked_and_compared_with_the_days_before() {
        let (cur, prev) = "2026-11-01..2026-11-10".parse::<Period>().unwrap().resolve(Asia::Shanghai, Utc::now()).unwrap();
        assert_eq!((cur.days(), prev.from, prev.to), (10, d("2026-10-22"), d("2026-10-31")));
        assert_eq!(cur.end, at("2026-11-10T16:00:00Z"));
        let e = "2026-11-10..2026-11-01".parse::<Period>().unwrap().resolve(Asia::Shanghai, Utc::now()).unwrap_err();
        assert!(e.to_string().starts_with("to:"), "{e}");
        let e = "2020-01-01..2026-01-01".parse::<Period>().unwrap().resolve(Asia::Shanghai, Utc::now()).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
        assert!("2026-13-01..2026-11-01".parse::<Period>().unwrap_err().to_string().starts_with("from:"));
        assert!("fortnight".parse::<Period>().unwrap_err().to_string().starts_with("period:"));
    }

    #[test]
    fn spans_follow_daylight_saving() {
        // Shanghai: one offset all year.
        let s = offset_spans(Asia::Shanghai, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].offset_ms, 8 * 3_600_000);
        // Berlin: CET, CEST from 2026-03-29 01:00 UTC, CET from 2026-10-25 01:00 UTC.
        let s = offset_spans(Europe::Berlin, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
        let cuts: Vec<_> = s.iter().map(|x| (DateTime::from_timestamp_millis(x.from_ms).unwrap(), x.offset_ms / 60_000)).collect();
        assert_eq!(cuts, vec![(at("2026-01-01T00:00:00Z"), 60), (at("2026-03-29T01:00:00Z"), 120), (at("2026-10-25T01:00:00Z"), 60)]);
        assert!(s.windows(2).all(|w| w[0].to_ms == w[1].from_ms));
        // Kathmandu (+05:45): local midnight is a slot boundary too.
        let (cur, _) = Period::Yesterday.resolve(Asia::Kathmandu, at("2026-11-25T12:00:00Z")).unwrap();
        assert_eq!(cur.start.timestamp_millis() % SLOT_MS, 0);
        assert_eq!(cur.start, at("2026-11-23T18:15:00Z"));
    }
}
