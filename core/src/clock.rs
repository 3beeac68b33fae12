//! An injectable clock, so time-dependent logic (expiry, timestamps) is testable.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: tests and simulations drive time by hand.
#[derive(Debug)]
pub struct ManualClock {
    now: std::sync::Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock { now: std::sync::Mutex::new(start) }
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Waits `every`, or until `stop` changes; false once `stop` is true (the background loop
/// calling it ends).
pub async fn wait_or_stop(every: std::time::Duration, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(every) => {}
        _ = stop.changed() => {}
    }
    !*stop.borrow()
}
