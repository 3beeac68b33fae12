//! Run-time management: account settings changed without a restart (every change audited, old
//! → new), account health for the channels screen, daily limits, and the watchers that reload
//! accounts changed by another process (the CLI, another till on a shared book) and daily limits
//! edited in the settings file.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use super::{invalid, PayError, Payments};
use crate::account::{describe_changes, AccountConfig};
use crate::principal::Principal;
use crate::money::Money;
use crate::routing::limits::Limits;
use crate::routing::HealthSnapshot;
use crate::store::{AuditEntry, Outcome, StoreError};

/// A change to an account's routing settings; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountPatch {
    pub enabled: Option<bool>,
    pub priority: Option<i32>,
    pub weight: Option<u32>,
    pub fee_rate_bp: Option<u32>,
    /// `Some(None)` removes the cap.
    pub daily_cap: Option<Option<Money>>,
}

impl AccountPatch {
    pub fn apply_to(&self, a: &mut AccountConfig) {
        if let Some(v) = self.enabled {
            a.enabled = v;
        }
        if let Some(v) = self.priority {
            a.priority = v;
        }
        if let Some(v) = self.weight {
            a.weight = v;
        }
        if let Some(v) = self.fee_rate_bp {
            a.fee_rate_bp = v;
        }
        if let Some(v) = self.daily_cap {
            a.daily_cap = v;
        }
    }
}

/// One account's health as the channels screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountHealth {
    pub account: String,
    pub health: HealthSnapshot,
    /// Tried after the healthy accounts of its priority (low recent success rate).
    pub degraded: bool,
}

impl Payments {
    /// Changes an account's routing settings at run time: validated, written with its audit
    /// entry (who, old → new) in one transaction, and in effect for the next payment. Returns the
    /// account and the changes made (empty: nothing to change, nothing written).
    pub fn update_account(&self, name: &str, patch: &AccountPatch, by: &Principal) -> Result<(AccountConfig, Vec<String>), PayError> {
        let old = self.store.account(name)?;
        let mut new = old.clone();
        patch.apply_to(&mut new);
        self.save_account_as(&old.name.clone(), Some(old), new, by)
    }

    /// Saves a whole account (added or edited), audited with what changed, and reloads.
    pub fn save_account(&self, account: AccountConfig, by: &Principal) -> Result<Vec<String>, PayError> {
        let old = match self.store.account(&account.name) {
            Ok(a) => Some(a),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(self.save_account_as(&account.name.clone(), old, account, by)?.1)
    }

    /// Sets what prepares every account saved from now on (see [`super::KeyCarrier`]).
    pub fn set_key_carrier(&self, carrier: super::KeyCarrier) {
        *self.key_carrier.write().unwrap_or_else(|p| p.into_inner()) = Some(carrier);
    }

    fn save_account_as(&self, name: &str, old: Option<AccountConfig>, mut new: AccountConfig, by: &Principal) -> Result<(AccountConfig, Vec<String>), PayError> {
        let carrier = self.key_carrier.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(carry) = carrier {
            carry(old.as_ref(), &mut new).map_err(|e| invalid("keys", e))?;
        }
        new.validate().map_err(|e| match e {
            crate::account::AccountError::Invalid { field, problem, .. } => invalid(field, problem),
            other => invalid("account", other.to_string()),
        })?;
        let changes = match &old {
            Some(o) => {
                let mut c = describe_changes(o, &new);
                if o.carried_keys != new.carried_keys {
                    c.push(format!("keys carried for the shop's tills: {}", new.carried_keys.keys().cloned().collect::<Vec<_>>().join(", ")));
                }
                c
            }
            None => vec![format!("added ({}, {})", new.channel, if new.enabled { "enabled" } else { "disabled" })],
        };
        if changes.is_empty() {
            return Ok((new, changes));
        }
        let entry = AuditEntry::by(by, "account_settings", Some(name), Outcome::Ok, changes.join("; "), self.now());
        self.store.upsert_account_audited(&new, &entry)?;
        tracing::info!(account = name, by = %by, "account settings: {}", entry.detail);
        self.reload_accounts()?;
        Ok((new, changes))
    }

    /// Every account's health now (accounts never called yet show an empty window).
    pub fn account_health(&self) -> Vec<AccountHealth> {
        let now = self.now();
        let health = self.router.health();
        self.accounts()
            .into_iter()
            .map(|(a, _)| {
                let h = health.snapshot(&a.name, now);
                AccountHealth { degraded: health.is_degraded(&h), account: a.name, health: h }
            })
            .collect()
    }

    /// The daily limits in force.
    pub fn limits(&self) -> Limits {
        self.limits.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts new daily limits in force at once (the caller saves them in the settings file).
    pub fn set_limits(&self, limits: Limits) -> Result<(), PayError> {
        limits.validate().map_err(|e| invalid("limits", e.to_string()))?;
        *self.limits.write().unwrap_or_else(|p| p.into_inner()) = limits;
        Ok(())
    }
}

/// Reloads the accounts whenever the book's accounts change, checking every `every` until `stop`
/// turns true. This is how `paydesk serve` and the app pick up `paydesk accounts set/import`.
pub async fn watch_accounts(p: Arc<Payments>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = p.reload_if_changed() {
            tracing::warn!("accounts watcher: {e}");
        }
        if !crate::clock::wait_or_stop(every, &mut stop).await {
            return;
        }
    }
}

/// Puts the daily limits of `<home>/config.toml` in force when the file changes (edited by hand
/// while `paydesk serve` runs, or by the app of the same home) — or, on a till of a shared book,
/// when the shop's settings change at any till. A file that does not load is reported and the
/// limits in force stay.
pub async fn watch_limits(p: Arc<Payments>, home: std::path::PathBuf, every: Duration, mut stop: watch::Receiver<bool>) {
    let file = crate::config::Settings::file(&home);
    let stamp = || (std::fs::metadata(&file).ok().map(|m| (m.modified().ok(), m.len())), p.store().shop_settings().ok().flatten());
    // Nothing seen yet: the first look compares the file with the limits in force, so an edit
    // made while the service was starting is not missed.
    let mut seen = None;
    while crate::clock::wait_or_stop(every, &mut stop).await {
        let now = Some(stamp());
        if now == seen {
            continue;
        }
        seen = now;
        match crate::shop::effective_settings(&home, p.store()) {
            Ok(s) if s.limits != p.limits() => match p.set_limits(s.limits) {
                Ok(()) => tracing::info!(file = %file.display(), "daily limits reloaded"),
                Err(e) => tracing::warn!("daily limits not reloaded: {e}"),
            },
            Ok(_) => {}
            Err(e) => tracing::warn!("daily limits not reloaded: {e}"),
        }
    }
}
