//! The notification deliverer: POSTs due outbox rows to the shop's URLs, signed with
//! HMAC-SHA256 (`paydesk_core::notify`), retrying with exponential backoff until delivered or
//! out of attempts. State lives in the book, so it survives restarts.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use paydesk_core::config::NotifySettings;
use paydesk_core::store::{Attempt, Notification};
use paydesk_core::Store;
use tokio::sync::watch;

/// Delivers merchant notifications.
pub struct Deliverer {
    store: Arc<Store>,
    secret: Vec<u8>,
    max_attempts: u32,
    base: Duration,
    http: reqwest::Client,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer").field("max_attempts", &self.max_attempts).finish_non_exhaustive()
    }
}

/// Reads the notification secret named by the settings (relative to `home`).
pub fn load_secret(home: &Path, s: &NotifySettings) -> Result<Vec<u8>, String> {
    let Some(file) = &s.secret_file else { return Ok(Vec::new()) };
    let path = if Path::new(file).is_absolute() { file.into() } else { home.join(file) };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("notify.secret_file: cannot read {}: {}", path.display(), e.kind()))?;
    let secret = text.trim().as_bytes().to_vec();
    if secret.len() < 16 {
        return Err("notify.secret_file: the secret must be at least 16 characters".into());
    }
    Ok(secret)
}

impl Deliverer {
    pub fn new(store: Arc<Store>, secret: Vec<u8>, s: &NotifySettings) -> Deliverer {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Deliverer { store, secret, max_attempts: s.max_attempts, base: Duration::from_millis(s.backoff_base_ms), http }
    }

    /// One delivery attempt of `n`; records it and returns the row as it is now.
    pub async fn deliver(&self, n: &Notification) -> Result<Notification, paydesk_core::store::StoreError> {
        let now = Utc::now();
        let started = Instant::now();
        let sig = paydesk_core::notify::sign(&self.secret, now.timestamp(), n.payload.as_bytes());
        let res = self
            .http
            .post(&n.target)
            .header("content-type", "application/json")
            .header("paydesk-event", &n.event)
            .header("paydesk-delivery", n.id.to_string())
            .header("paydesk-signature", sig)
            .body(n.payload.clone())
            .send()
            .await;
        let (status, error) = match res {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (Some(r.status().as_u16()), Some(format!("HTTP {}", r.status().as_u16()))),
            Err(e) if e.is_timeout() => (None, Some("timed out".to_string())),
            Err(e) if e.is_connect() => (None, Some("connection refused or unreachable".to_string())),
            Err(_) => (None, Some("request failed".to_string())),
        };
        let delivered = error.is_none();
        let attempt = Attempt { at: now, http_status: status, error, duration_ms: started.elapsed().as_millis() as u64 };
        let attempts = n.attempts + 1;
        let give_up = !delivered && attempts >= self.max_attempts;
        let next = now + chrono::Duration::from_std(paydesk_core::notify::backoff(self.base, attempts)).unwrap_or_default();
        let row = self.store.record_attempt(n.id, &attempt, delivered, next, give_up)?;
        if give_up {
            tracing::warn!(id = n.id, target = %n.target, "notification failed after {attempts} attempts");
        }
        Ok(row)
    }

    /// Delivers what is due, every `tick`, until `stop` turns true.
    pub async fn run(self: Arc<Self>, tick: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            let due = self.store.due_notifications(Utc::now(), 32).unwrap_or_default();
            for n in &due {
                if let Err(e) = self.deliver(n).await {
                    tracing::warn!(id = n.id, "notification bookkeeping: {e}");
                }
            }
            if !paydesk_core::clock::wait_or_stop(tick, &mut stop).await {
                return;
            }
        }
    }
}
