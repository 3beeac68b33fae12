//! The shop around a till: opening a home's book with its settings — alone, or as one till of a
//! shared book — and the part of the settings a shop shares across its tills.
//!
//! Invariant: on a till of a shared book the shop-wide settings ([`ShopSettings`]: amounts,
//! lifetimes, routing, daily limits, reconciliation) are the shared book's, whatever this till's
//! `config.toml` says; the till-local ones (till and store id, listen address, callbacks,
//! notifications, the link itself) stay in the file. A single till reads everything from its file,
//! as it always did.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, ReconcileSettings, RoutingSettings, Settings};
use crate::routing::limits::Limits;
use crate::store::shared::{LinkError, SharedConfig};
use crate::store::{Store, StoreError};

/// The settings managed once for the whole shop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSettings {
    pub timezone: String,
    pub max_order_amount: String,
    pub qr_lifetime_secs: u64,
    pub barcode_wait_secs: u64,
    pub barcode_poll_secs: u64,
    pub routing: RoutingSettings,
    pub limits: Limits,
    pub reconcile: ReconcileSettings,
}

impl ShopSettings {
    pub fn of(s: &Settings) -> ShopSettings {
        ShopSettings {
            timezone: s.timezone.clone(),
            max_order_amount: s.max_order_amount.clone(),
            qr_lifetime_secs: s.qr_lifetime_secs,
            barcode_wait_secs: s.barcode_wait_secs,
            barcode_poll_secs: s.barcode_poll_secs,
            routing: s.routing.clone(),
            limits: s.limits.clone(),
            reconcile: s.reconcile.clone(),
        }
    }

    /// `s` with these shop-wide values.
    pub fn apply(self, s: &mut Settings) {
        s.timezone = self.timezone;
        s.max_order_amount = self.max_order_amount;
        s.qr_lifetime_secs = self.qr_lifetime_secs;
        s.barcode_wait_secs = self.barcode_wait_secs;
        s.barcode_poll_secs = self.barcode_poll_secs;
        s.routing = self.routing;
        s.limits = self.limits;
        s.reconcile = self.reconcile;
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// The link settings of `s`, with the password read from its file.
pub fn shared_config(home: &Path, s: &Settings) -> Result<Option<SharedConfig>, ConfigError> {
    let Some(sh) = &s.shared else { return Ok(None) };
    let password = match &sh.password_file {
        Some(f) => {
            let path = if Path::new(f).is_absolute() { f.into() } else { home.join(f) };
            let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid { field: "shared.password_file", problem: format!("cannot read {}: {}", path.display(), e.kind()) })?;
            Some(text.trim().to_string())
        }
        None => None,
    };
    Ok(Some(SharedConfig { url: sh.url.clone(), password }))
}

/// Settings as they apply on this till: the file's, with the shop-wide values of a shared book.
pub fn effective_settings(home: &Path, store: &Store) -> Result<Settings, OpenError> {
    let mut s = Settings::load(home)?;
    if let Some(json) = store.shop_settings()? {
        match serde_json::from_str::<ShopSettings>(&json) {
            Ok(shop) => shop.apply(&mut s),
            Err(e) => tracing::warn!("the shared book's shop settings are unreadable ({e}); this till's own apply"),
        }
        s.validate()?;
    }
    Ok(s)
}

/// Opens the home's book (creating it if needed) and its settings; a till of a shared book gets
/// its link (no network yet: the first sync connects) and the shop-wide settings last pulled.
pub fn open(home: &Path) -> Result<(Arc<Store>, Settings), OpenError> {
    let file = Settings::load(home)?;
    let store = Store::open(&Store::path_in(home))?;
    if let Some(cfg) = shared_config(home, &file)? {
        store.attach_shared(cfg)?;
    }
    let settings = effective_settings(home, &store)?;
    Ok((Arc::new(store), settings))
}

/// The store of each till `(till, store)`: the shop's tills as last pulled, and this till.
pub fn till_stores(store: &Store, s: &Settings) -> Result<Vec<(String, String)>, StoreError> {
    let mut v = store.till_stores()?;
    if !v.iter().any(|(t, _)| t == s.till_id.as_str()) {
        v.push((s.till_id.to_string(), s.store_id.clone()));
    }
    Ok(v)
}

/// Saves the shop-wide part of `s` to the shared book (a single till: nothing to do).
pub fn publish(store: &Store, s: &Settings) -> Result<(), StoreError> {
    let json = serde_json::to_string(&ShopSettings::of(s)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put_shop_settings(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_values_override_the_file_and_round_trip() {
        let mut s = Settings::default();
        let mut other = Settings { qr_lifetime_secs: 120, ..Settings::default() };
        other.limits.till.count = Some(5);
        let json = serde_json::to_string(&ShopSettings::of(&other)).unwrap();
        serde_json::from_str::<ShopSettings>(&json).unwrap().apply(&mut s);
        assert_eq!((s.qr_lifetime_secs, s.limits.till.count, s.till_id.as_str()), (120, Some(5), "T1"));
    }
}
