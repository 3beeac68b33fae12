//! The book: every order, state change and refund, in SQLite (WAL, foreign keys, migrations).
//!
//! All SQL of Paydesk lives below this module. One writer connection behind a mutex serialises
//! writes (SQLite allows one writer anyway); readers come from a small pool so lists and reports
//! never wait for a payment being written. Status changes run in one transaction with their event
//! and are guarded by `WHERE status = ?old`, so the loser of a race (callback vs poll) changes
//! nothing and reports [`Applied::Unchanged`].

mod accounts;
mod analytics;
mod apikeys;
mod bank;
mod history;
mod numbers;
mod orders;
mod outbox;
mod recon;
mod refunds;
mod routes;
mod schema;
mod settle;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

pub use orders::{NewOrder, OrderFilter, OrderPatch};
pub use analytics::{FailureGroup, OffsetSpan, SalesCell, Source, SLOT_MS};
pub use apikeys::ApiKey;
pub use bank::{BankItem, BankLine, BankMatch, BankRunRecord, BankStatementRecord, NewBankItem};
pub use history::{HistoryOrder, HistoryRefund};
pub use outbox::{Attempt, Notification};
pub use recon::{ItemAction, ItemFilter, ItemRecord, RunRecord, StoredStatement};
pub use refunds::NewRefund;
pub use routes::UsageOf;
pub use settle::{BookDay, FundStatement, NewPayout, PayoutRecord, SettleDay};
pub use users::{AuditEntry, Outcome, UserAuth};

use crate::order::{IllegalTransition, Order};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The result of a guarded status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<T> {
    /// The change was written (with its event).
    Changed(T),
    /// Already in that state (a duplicate or a lost race): nothing was written.
    Unchanged(T),
}

impl<T> Applied<T> {
    pub fn into_inner(self) -> T {
        match self {
            Applied::Changed(t) | Applied::Unchanged(t) => t,
        }
    }
    pub fn changed(&self) -> bool {
        matches!(self, Applied::Changed(_))
    }
}

const READERS: usize = 4;

/// The book.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    notify_targets: std::sync::RwLock<Vec<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the book at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Migration(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        configure(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(Store { path: path.to_path_buf(), writer: Mutex::new(conn), readers: Mutex::new(Vec::new()), notify_targets: std::sync::RwLock::new(Vec::new()) })
    }

    /// The book file inside a Paydesk home.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join("paydesk.db")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one write transaction.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on a pooled read-only connection.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                configure(&c)?;
                c
            }
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READERS {
            pool.push(conn);
        }
        out
    }
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(0, v))
}

/// Parses a TEXT column with `FromStr` (enums stored by name).
pub(crate) fn parse_col<T: std::str::FromStr>(row: &rusqlite::Row<'_>, idx: &str) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = row.get(idx)?;
    s.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// A loaded order with its refunds, for detail views.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderDetail {
    pub order: Order,
    pub refunds: Vec<crate::order::Refund>,
    pub events: Vec<crate::order::OrderEvent>,
    /// How the order's account was chosen (none for orders made before routing was recorded).
    pub route: Option<crate::routing::RouteDecision>,
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::account::AccountConfig;
    pub(crate) use super::orders::tests::new_order;

    pub(crate) fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("book.db")).unwrap();
        let acct: AccountConfig = toml::from_str("name = \"sb\"\nchannel = \"sandbox\"\nfee_rate_bp = 60").unwrap();
        store.upsert_account(&acct).unwrap();
        (dir, store)
    }
}
