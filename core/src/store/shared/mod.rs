//! The shared book: several tills (in one or more stores) keep one book in PostgreSQL, while each
//! till goes on writing its own SQLite book first — so a payment never waits for the network.
//!
//! * The till's SQLite book is its **journal**: triggers note every row the till writes in the
//!   synced tables (`sync_journal`, only once the book is linked). [`push`] sends them to
//!   PostgreSQL in journal order, in transactions that also move the till's high-water mark
//!   (`tills.pushed_seq`): an interrupted push is sent again and changes nothing (idempotent
//!   upserts keyed by order/refund number and by `(till, seq)` for events and audit entries).
//! * [`pull`] brings the shared state down: accounts, users, the shop's settings, the shop's
//!   tills, and every till's orders, refunds, events and routing decisions, so the local replica
//!   answers chain-wide analytics, limits counted across the shop and reconciliation over every
//!   till's orders. It reads one consistent snapshot per round, parents before children, and
//!   keeps a cursor per table (`rev`, drawn from one sequence under a lock, so a reader never
//!   skips a row that commits late).
//! * Versions of the same row written at two tills (a refund taken at another counter, a
//!   callback that reached another till) merge the same way in both books ([`tables`]).
//! * Accounts, users and the shop's settings are managed once, at any till: a change is written
//!   to the shared book first, then locally; while the shared book is unreachable such changes
//!   are refused (the last pulled values stay in force).
//! * Single-runner jobs (a reconciliation of one account and day) take a lease row in the shared
//!   book ([`lease`]); an unlinked book keeps the same lease in SQLite.
//!
//! A book that was never linked is untouched by all of this: no journal, no extra work per write.

mod join;
mod lease;
mod link;
mod pg_schema;
mod pull;
mod push;
mod settings;
pub(crate) mod tables;
mod value;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

pub use join::{claim_shop_key_check, JoinReport};
pub use lease::{Lease, LeaseHeld};
pub use link::{redact, SharedConfig};
pub use pg_schema::latest as shared_schema_version;
pub(crate) use settings::write_through;

use super::{Result, Store, StoreError};
use link::Link;

/// Why the shared book could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// It cannot be reached now (network, server down, timeout). Local work goes on.
    #[error("the shared book is unreachable: {0}")]
    Offline(String),
    /// It answered with a refusal (wrong password, duplicate till id, a newer schema).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LinkError {
    pub fn is_offline(&self) -> bool {
        matches!(self, LinkError::Offline(_))
    }
}

impl From<postgres::Error> for LinkError {
    fn from(e: postgres::Error) -> Self {
        // A database's own refusal carries a SQLSTATE; everything else is the connection.
        match e.as_db_error() {
            Some(db) => LinkError::Refused(format!("shared book: {} ({})", db.message(), db.code().code())),
            None => LinkError::Offline(e.to_string()),
        }
    }
}

impl From<rusqlite::Error> for LinkError {
    fn from(e: rusqlite::Error) -> Self {
        LinkError::Store(e.into())
    }
}

/// One till of the shop, as the shared book last told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TillInfo {
    pub till: String,
    pub store: String,
    pub host: String,
    pub joined_at: Option<DateTime<Utc>>,
    /// When it last sent its journal.
    pub pushed_at: Option<DateTime<Utc>>,
}

/// How this till's link to the shared book stands (for the screen's header and `paydesk shared status`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkStatus {
    /// `off` (a single till), `synced`, `behind` (changes waiting to be sent) or `offline`.
    pub state: &'static str,
    pub till: Option<String>,
    pub store: Option<String>,
    /// The server, without password.
    pub url: Option<String>,
    /// This till's changes not yet in the shared book.
    pub pending: u64,
    pub last_sync: Option<DateTime<Utc>>,
    pub offline_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The shop's tills.
    pub tills: Vec<TillInfo>,
}

/// What one sync round did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Journal entries sent.
    pub pushed: u64,
    /// Rows received (all tables).
    pub pulled: u64,
}

/// The live link of a linked book.
#[derive(Debug)]
pub(crate) struct Shared {
    link: Link,
    till: String,
    state: Mutex<Health>,
}

#[derive(Debug, Default)]
struct Health {
    last_sync: Option<DateTime<Utc>>,
    offline_since: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

/// SQLite migration 11 (shipped: never change what it produces; add a migration instead).
pub(in crate::store) static MIGRATION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let triggers: String = tables::JOURNAL[..5].iter().map(|t| t.sqlite_triggers()).collect();
    format!(
        "CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sync_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, key TEXT NOT NULL);
        CREATE TABLE sync_tills (till_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, host TEXT NOT NULL DEFAULT '', joined_at INTEGER, pushed_at INTEGER, pushed_seq INTEGER, seen_at INTEGER);
        CREATE TABLE shared_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until_ms INTEGER NOT NULL, acquired_at INTEGER NOT NULL);
        ALTER TABLE order_events ADD COLUMN origin_till TEXT;
        ALTER TABLE order_events ADD COLUMN origin_seq INTEGER;
        ALTER TABLE audit_log ADD COLUMN origin_till TEXT;
        ALTER TABLE audit_log ADD COLUMN origin_seq INTEGER;
        ALTER TABLE refunds ADD COLUMN till TEXT;
        UPDATE refunds SET till = (SELECT o.till FROM orders o WHERE o.order_no = refunds.order_no);
        CREATE INDEX refunds_till ON refunds (till);
        {triggers}"
    )
});

/// SQLite migration 12: reconciliation runs and discrepancies join the journal.
pub(in crate::store) static MIGRATION_RECON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut sql = String::new();
    for t in &tables::JOURNAL[5..7] {
        sql.push_str(&format!("ALTER TABLE {0} ADD COLUMN origin_till TEXT;\nALTER TABLE {0} ADD COLUMN origin_seq INTEGER;\n", t.name));
        sql.push_str(&t.sqlite_triggers());
    }
    sql
});

pub(crate) fn meta(c: &rusqlite::Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT value FROM sync_meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()
}

pub(crate) fn set_meta(c: &rusqlite::Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT INTO sync_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?.execute([key, value])?;
    Ok(())
}

fn millis(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.and_then(DateTime::from_timestamp_millis)
}

impl Store {
    /// The till this book belongs to in a shared book (none for a single till).
    pub fn linked_till(&self) -> Result<Option<String>> {
        self.read(|c| Ok(meta(c, "till")?))
    }

    /// Connects a linked book to its shared book (no network yet: the first sync connects). A
    /// book that was never joined ignores it. Errors only on a bad configuration.
    pub fn attach_shared(&self, cfg: SharedConfig) -> Result<(), LinkError> {
        let Some(till) = self.linked_till()? else { return Ok(()) };
        let link = Link::start(cfg)?;
        *self.shared.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(Shared { link, till, state: Mutex::new(Health::default()) }));
        Ok(())
    }

    pub(crate) fn shared(&self) -> Option<Arc<Shared>> {
        self.shared.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The link, or why shop-wide changes cannot be made now.
    pub(crate) fn shared_for_change(&self) -> Result<Option<Arc<Shared>>> {
        match (self.shared(), self.linked_till()?) {
            (Some(s), _) => Ok(Some(s)),
            (None, None) => Ok(None),
            (None, Some(_)) => Err(StoreError::Conflict("this book is part of a shared book; open it with its settings (`shared.url`) to change shop-wide settings".into())),
        }
    }

    /// One round: this till's journal up, everything new down. Records the link's health.
    pub fn sync_once(&self) -> Result<SyncReport, LinkError> {
        let Some(sh) = self.shared() else { return Ok(SyncReport::default()) };
        let result = self.push(&sh).and_then(|pushed| Ok(SyncReport { pushed, pulled: self.pull(&sh)? }));
        let mut h = sh.state.lock().unwrap_or_else(|p| p.into_inner());
        match &result {
            Ok(_) => {
                h.last_sync = Some(Utc::now());
                h.offline_since = None;
                h.last_error = None;
            }
            Err(e) => {
                if e.is_offline() && h.offline_since.is_none() {
                    h.offline_since = Some(Utc::now());
                }
                h.last_error = Some(e.to_string());
            }
        }
        result
    }

    /// The link's state, from the book and the last round (no network).
    pub fn link_status(&self) -> Result<LinkStatus> {
        let (till, store, pending, url, tills) = self.read(|c| {
            let pending: i64 = c.query_row("SELECT COUNT(*) FROM sync_journal", [], |r| r.get(0))?;
            let mut st = c.prepare("SELECT till_id, store_id, host, joined_at, pushed_at FROM sync_tills ORDER BY store_id, till_id")?;
            let tills = st
                .query_map([], |r| Ok(TillInfo { till: r.get(0)?, store: r.get(1)?, host: r.get(2)?, joined_at: millis(r.get(3)?), pushed_at: millis(r.get(4)?) }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((meta(c, "till")?, meta(c, "store")?, u64::try_from(pending).unwrap_or(0), meta(c, "url")?, tills))
        })?;
        let Some(till) = till else { return Ok(LinkStatus { state: "off", ..LinkStatus::default() }) };
        let (last_sync, offline_since, last_error) = match self.shared() {
            Some(sh) => {
                let h = sh.state.lock().unwrap_or_else(|p| p.into_inner());
                (h.last_sync, h.offline_since, h.last_error.clone())
            }
            None => (None, None, Some("not connected (no shared.url in the settings)".into())),
        };
        let state = if offline_since.is_some() || last_sync.is_none() && last_error.is_some() {
            "offline"
        } else if pending > 0 || last_sync.is_none() {
            "behind"
        } else {
            "synced"
        };
        Ok(LinkStatus { state, till: Some(till), store, url, pending, last_sync, offline_since, last_error, tills })
    }

    /// The store (门店) each till belongs to, as last pulled (empty for a single till).
    pub fn till_stores(&self) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT till_id, store_id FROM sync_tills ORDER BY store_id, till_id")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}

/// Keeps a linked book in step with its shared book: a round every `every` until `stop` turns
/// true. Runs on a thread of its own (the rounds block), started by the service and the app.
pub fn spawn_sync(store: Arc<Store>, every: std::time::Duration, stop: tokio::sync::watch::Receiver<bool>) -> Option<std::thread::JoinHandle<()>> {
    store.shared()?;
    std::thread::Builder::new()
        .name("paydesk-sync".into())
        .spawn(move || loop {
            match store.sync_once() {
                Ok(r) if r.pushed + r.pulled > 0 => tracing::debug!(pushed = r.pushed, pulled = r.pulled, "shared book synced"),
                Ok(_) => {}
                Err(e) => tracing::warn!("shared book: {e}"),
            }
            let deadline = std::time::Instant::now() + every;
            while std::time::Instant::now() < deadline {
                if *stop.borrow() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20).min(every));
            }
        })
        .ok()
}

#[cfg(test)]
mod tests;
