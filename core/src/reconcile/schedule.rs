//! The T+1 schedule: after `reconcile.run_at` (local time), yesterday's statements of every
//! enabled account are reconciled; days in the last `reconcile.catch_up_days` without a
//! finished run (the PC was off, the download failed) are caught up when the app starts or on
//! a later tick. A failed day is retried at most once an hour.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::sync::watch;

use super::run::{Reconciler, RunRequest, StatementInput};
use super::Progress;
use crate::store::RunRecord;

/// How long a failed day waits before it is tried again.
pub const RETRY_AFTER_MINUTES: i64 = 60;

/// One run the schedule wants now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub account: String,
    pub day: NaiveDate,
    /// `schedule` (yesterday) or `catch_up` (older days).
    pub trigger: &'static str,
}

/// What is due at `now`, given the newest run of each (account, day) (`last(account, day)`).
pub fn due(rec: &Reconciler, now: DateTime<Utc>, last: &dyn Fn(&str, NaiveDate) -> Option<RunRecord>) -> Vec<Due> {
    let s = rec.payments().settings();
    let r = &s.reconcile;
    let (Ok(run_at), Ok(tz)) = (r.run_at(), s.recon_tz()) else { return Vec::new() };
    if !r.enabled {
        return Vec::new();
    }
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    let Some(yesterday) = today.pred_opt() else { return Vec::new() };
    let mut out = Vec::new();
    for (a, caps) in rec.payments().accounts() {
        if !a.enabled || !caps.statement || !(r.accounts.is_empty() || r.accounts.contains(&a.name)) {
            continue;
        }
        for back in (0..r.catch_up_days.max(1)).rev() {
            let Some(day) = yesterday.checked_sub_days(Days::new(u64::from(back))) else { continue };
            if day == yesterday && local.time() < run_at {
                continue;
            }
            let wanted = match last(&a.name, day) {
                None => true,
                Some(run) if run.status == "done" || run.status == "running" => false,
                Some(run) => now - run.started_at >= chrono::Duration::minutes(RETRY_AFTER_MINUTES),
            };
            if wanted {
                out.push(Due { account: a.name.clone(), day, trigger: if day == yesterday { "schedule" } else { "catch_up" } });
            }
        }
    }
    out
}

/// Runs what is due now; returns the finished runs (the app announces those with
/// discrepancies).
pub async fn tick(rec: &Reconciler, progress: Arc<dyn Progress>) -> Vec<RunRecord> {
    let store = rec.store().clone();
    // A day with a finished run is done, even if a later (manual) run failed.
    let last = |account: &str, day: NaiveDate| {
        let runs = store.runs_of(account, &day.to_string()).ok()?;
        runs.iter().find(|r| r.status == "done").cloned().or_else(|| runs.into_iter().next())
    };
    let mut done = Vec::new();
    for d in due(rec, Utc::now(), &last) {
        let req = RunRequest { account: d.account.clone(), day: d.day, input: StatementInput::Download, trigger: d.trigger.into() };
        match rec.run(req, None, progress.clone()).await {
            Ok(r) => done.push(r),
            // Another till of the shop holds it: that till runs the day.
            Err(super::ReconError::Busy(held)) => tracing::info!("scheduled reconciliation: {held}"),
            Err(e) => tracing::warn!(account = %d.account, day = %d.day, "scheduled reconciliation failed: {e}"),
        }
    }
    done
}

/// Checks every `every` until `stop` turns true; `on_run` receives each finished run.
pub async fn run(rec: Arc<Reconciler>, every: Duration, progress: Arc<dyn Progress>, on_run: Arc<dyn Fn(&RunRecord) + Send + Sync>, mut stop: watch::Receiver<bool>) {
    loop {
        for r in tick(&rec, progress.clone()).await {
            on_run(&r);
        }
        if !crate::clock::wait_or_stop(every, &mut stop).await {
            return;
        }
    }
}
