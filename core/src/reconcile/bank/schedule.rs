//! The bank leg's T+1 schedule, beside the statement leg's: after `reconcile.run_at` (local time),
//! yesterday's fund flows of every enabled account whose channel has one are downloaded, and the
//! days they can change are run against the imported bank statements (banks have no API: their
//! statements are imported by people). Days of the last `reconcile.catch_up_days` without a fund
//! flow are caught up; a day the channel refused (often: no money moved) is tried again at most
//! once an hour.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::sync::watch;

use super::run::BankLeg;
use crate::settle::FundInput;
use crate::store::BankRunRecord;

/// How long a refused day waits before it is tried again.
pub const RETRY_AFTER_MINUTES: i64 = crate::reconcile::schedule::RETRY_AFTER_MINUTES;

/// The fund flows the schedule wants at `now` (account, day), given whether the book holds a
/// day already and when each was last tried.
pub fn due(leg: &BankLeg, now: DateTime<Utc>, tried: &HashMap<(String, NaiveDate), DateTime<Utc>>) -> Vec<(String, NaiveDate)> {
    let s = leg.settler().payments().settings();
    let r = &s.reconcile;
    let (Ok(run_at), Ok(tz)) = (r.run_at(), s.recon_tz()) else { return Vec::new() };
    if !r.enabled {
        return Vec::new();
    }
    let local = now.with_timezone(&tz);
    let Some(yesterday) = local.date_naive().pred_opt() else { return Vec::new() };
    let mut out = Vec::new();
    for (a, caps) in leg.settler().payments().accounts() {
        if !a.enabled || !caps.statement || !leg.settler().supports(&a.channel) || !(r.accounts.is_empty() || r.accounts.contains(&a.name)) {
            continue;
        }
        for back in (0..r.catch_up_days.max(1)).rev() {
            let Some(day) = yesterday.checked_sub_days(Days::new(u64::from(back))) else { continue };
            if day == yesterday && local.time() < run_at {
                continue;
            }
            if leg.store().settle_day(&a.name, &day.to_string()).ok().flatten().is_some() {
                continue;
            }
            let retry = tried.get(&(a.name.clone(), day)).is_none_or(|t| now - *t >= chrono::Duration::minutes(RETRY_AFTER_MINUTES));
            if retry {
                out.push((a.name.clone(), day));
            }
        }
    }
    out
}

/// Downloads what is due and runs the days it changes; returns the bank-leg runs.
pub async fn tick(leg: &BankLeg, tried: &Mutex<HashMap<(String, NaiveDate), DateTime<Utc>>>) -> Vec<BankRunRecord> {
    let wanted = {
        let t = tried.lock().unwrap_or_else(|p| p.into_inner());
        due(leg, Utc::now(), &t)
    };
    let mut days = BTreeSet::new();
    for (account, day) in wanted {
        tried.lock().unwrap_or_else(|p| p.into_inner()).insert((account.clone(), day), Utc::now());
        match leg.settler().fetch(&account, day, FundInput::Download, None).await {
            // A payout in this day's file pays out the day before (the wallets' T+1); a
            // settlement file pays out its own day.
            Ok(_) => days.extend([day.pred_opt().unwrap_or(day), day]),
            Err(e) => tracing::info!(%account, %day, "fund flow not read: {e}"),
        }
    }
    if days.is_empty() || leg.store().bank_covered_to().ok().flatten().is_none() {
        return Vec::new();
    }
    days.into_iter().filter_map(|d| leg.run_day(d, "schedule", None).map_err(|e| tracing::warn!(day = %d, "bank leg not run: {e}")).ok()).collect()
}

/// Checks every `every` until `stop` turns true; `on_run` receives each finished run.
pub async fn run(leg: Arc<BankLeg>, every: Duration, on_run: Arc<dyn Fn(&BankRunRecord) + Send + Sync>, mut stop: watch::Receiver<bool>) {
    let tried = Mutex::new(HashMap::new());
    loop {
        for r in tick(&leg, &tried).await {
            on_run(&r);
        }
        if !crate::clock::wait_or_stop(every, &mut stop).await {
            return;
        }
    }
}
