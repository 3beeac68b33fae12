//! The follower: drives every open order and refund to a final state on its own.
//!
//! Each open order is queried on a schedule that starts fast and backs off (2, 3, 5, 10, 20,
//! 30 s … capped at 30 s after creation), and closed/cancelled when its lifetime runs out
//! ([`Payments::follow_once`]). On start, [`recover`] queries every unfinished order and refund
//! once (source `recovery`), so a crash or a sleeping PC loses nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{watch, Semaphore};

use crate::ids::{OrderNo, RefundNo};
use crate::order::EventSource;
use crate::payments::Payments;

/// Seconds after creation (or after the previous query) for successive queries.
pub const BACKOFF: [u64; 6] = [2, 3, 5, 10, 20, 30];

/// When the n-th follow-up query (0-based) is due, counted from the previous one.
pub fn backoff(n: usize) -> Duration {
    Duration::from_secs(BACKOFF[n.min(BACKOFF.len() - 1)])
}

/// Queries every unfinished order and refund once. Returns how many were looked at.
pub async fn recover(p: &Payments) -> usize {
    let orders = p.store().open_orders().unwrap_or_default();
    let refunds = p.store().open_refunds().unwrap_or_default();
    let n = orders.len() + refunds.len();
    for o in orders {
        if let Err(e) = p.follow_once(&o.order_no, EventSource::Recovery).await {
            tracing::warn!(order = %o.order_no, "recovery: {e}");
        }
    }
    for r in refunds {
        if let Err(e) = p.follow_refund(&r.refund_no, EventSource::Recovery).await {
            tracing::warn!(refund = %r.refund_no, "recovery: {e}");
        }
    }
    n
}

#[derive(Debug, Default)]
struct Due {
    orders: HashMap<OrderNo, (usize, DateTime<Utc>)>,
    refunds: HashMap<RefundNo, (usize, DateTime<Utc>)>,
}

fn step<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, (usize, DateTime<Utc>)>, key: &K, created: DateTime<Utc>, expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let entry = map.entry(key.clone()).or_insert((0, created + chrono::Duration::from_std(backoff(0)).unwrap_or_default()));
    // Always act at expiry, whatever the schedule says.
    let due = expires.map_or(entry.1, |e| entry.1.min(e.max(created)));
    if now < due {
        return false;
    }
    entry.0 += 1;
    entry.1 = now + chrono::Duration::from_std(backoff(entry.0)).unwrap_or_default();
    true
}

/// Runs until `stop` turns true: every `tick`, follows what is due, a few at a time.
pub async fn run(p: Arc<Payments>, tick: Duration, mut stop: watch::Receiver<bool>) {
    let limit = Arc::new(Semaphore::new(8));
    let mut due = Due::default();
    loop {
        let now = Utc::now();
        let orders = p.store().open_orders().unwrap_or_default();
        due.orders.retain(|k, _| orders.iter().any(|o| &o.order_no == k));
        for o in orders {
            if step(&mut due.orders, &o.order_no, o.created_at, Some(o.expires_at), now) {
                let (p, limit, no) = (p.clone(), limit.clone(), o.order_no.clone());
                tokio::spawn(async move {
                    let Ok(_permit) = limit.acquire().await else { return };
                    if let Err(e) = p.follow_once(&no, EventSource::Poll).await {
                        tracing::debug!(order = %no, "follow: {e}");
                    }
                });
            }
        }
        let refunds = p.store().open_refunds().unwrap_or_default();
        due.refunds.retain(|k, _| refunds.iter().any(|r| &r.refund_no == k));
        for r in refunds {
            if step(&mut due.refunds, &r.refund_no, r.created_at, None, now) {
                let (p, limit, no) = (p.clone(), limit.clone(), r.refund_no.clone());
                tokio::spawn(async move {
                    let Ok(_permit) = limit.acquire().await else { return };
                    if let Err(e) = p.follow_refund(&no, EventSource::Poll).await {
                        tracing::debug!(refund = %no, "follow refund: {e}");
                    }
                });
            }
        }
        if !crate::clock::wait_or_stop(tick, &mut stop).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_backs_off_and_caps() {
        let secs: Vec<u64> = (0..9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [2, 3, 5, 10, 20, 30, 30, 30, 30]);
    }

    #[test]
    fn step_follows_schedule_and_expiry() {
        let mut m: HashMap<u32, (usize, DateTime<Utc>)> = HashMap::new();
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        assert!(!step(&mut m, &1, t0, None, at(1)));
        assert!(step(&mut m, &1, t0, None, at(2)));
        assert!(!step(&mut m, &1, t0, None, at(4)));
        assert!(step(&mut m, &1, t0, None, at(5)));
        // Expiry pulls the next step forward.
        let mut m2: HashMap<u32, (usize, DateTime<Utc>)> = HashMap::new();
        assert!(step(&mut m2, &2, t0, Some(at(1)), at(1)));
    }
}
