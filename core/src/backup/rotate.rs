//! Which backups a folder keeps: the newest of each of the last N days, weeks and months
//! (grandfather–father–son). A pure function of the backups' times, so it is tested directly.
//!
//! Invariant: the newest backup is always kept, and only files this module named are ever
//! proposed for deletion.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};

/// How many backups of each period are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

/// The indexes (into `times`) of the backups to keep. `times` may be in any order.
pub fn keep(times: &[DateTime<Utc>], k: Keep) -> BTreeSet<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].cmp(&times[*a])); // newest first
    let mut kept = BTreeSet::new();
    if let Some(newest) = order.first() {
        kept.insert(*newest);
    }
    let mut pick = |n: u32, period: &dyn Fn(DateTime<Utc>) -> (i32, u32)| {
        let mut seen = BTreeSet::new();
        for &i in &order {
            if seen.len() as u32 >= n {
                break;
            }
            // The first (newest) backup met in a period stands for it.
            if seen.insert(period(times[i])) {
                kept.insert(i);
            }
        }
    };
    pick(k.daily, &|t| (t.year(), t.ordinal()));
    pick(k.weekly, &|t| (t.iso_week().year(), t.iso_week().week()));
    pick(k.monthly, &|t| (t.year(), t.month()));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    const K: Keep = Keep { daily: 7, weekly: 4, monthly: 12 };

    #[test]
    fn a_year_of_daily_backups_keeps_7_daily_4_weekly_12_monthly() {
        // One backup a day at 22:00 and one at exit at 23:30, for 400 days.
        let start = Utc.with_ymd_and_hms(2025, 11, 1, 22, 0, 0).unwrap();
        let mut times = Vec::new();
        for d in 0..400 {
            times.push(start + Duration::days(d));
            times.push(start + Duration::days(d) + Duration::minutes(90));
        }
        let kept: Vec<DateTime<Utc>> = keep(&times, K).into_iter().map(|i| times[i]).collect();
        let newest = *times.iter().max().unwrap();
        assert!(kept.contains(&newest));
        // The last 7 days: their later (exit) backup each.
        for d in 0..7 {
            assert!(kept.contains(&(newest - Duration::days(d))), "day -{d}");
            assert!(!kept.contains(&(newest - Duration::days(d) - Duration::minutes(90))), "only one a day");
        }
        // 7 days + up to 4 weeks + 12 months, overlapping: never more than 23, never fewer than 12 + 7.
        assert!((19..=23).contains(&kept.len()), "{} kept: {kept:?}", kept.len());
        let months: BTreeSet<(i32, u32)> = kept.iter().map(|t| (t.year(), t.month())).collect();
        assert_eq!(months.len(), 12, "one for each of the last 12 months: {months:?}");
        let oldest = kept.iter().min().unwrap();
        assert!(newest - *oldest < Duration::days(366) && newest - *oldest > Duration::days(300), "{oldest}");
        // Each kept monthly backup is the newest of its month.
        for (y, m) in &months {
            let newest_of_month = times.iter().filter(|t| (t.year(), t.month()) == (*y, *m)).max().unwrap();
            assert!(kept.contains(newest_of_month), "{y}-{m}");
        }
    }

    #[test]
    fn few_backups_are_all_kept_and_nothing_is_an_edge_case() {
        assert!(keep(&[], K).is_empty());
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(keep(&[t], K).len(), 1);
        let three = [t, t + Duration::days(1), t + Duration::days(2)];
        assert_eq!(keep(&three, K).len(), 3);
        // Keeping nothing of any period still keeps the newest.
        let none = Keep { daily: 0, weekly: 0, monthly: 0 };
        assert_eq!(keep(&three, none).into_iter().collect::<Vec<_>>(), vec![2]);
        // Two on the same day with only dailies: the newer one.
        assert_eq!(keep(&[t, t + Duration::hours(5)], Keep { daily: 1, weekly: 0, monthly: 0 }).into_iter().collect::<Vec<_>>(), vec![1]);
    }
}
