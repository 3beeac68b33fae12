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
mod bulk;
pub mod backup;
mod history;
mod import;
mod numbers;
mod orders;
mod outbox;
mod recon;
mod recon_accept;
mod recon_book;
mod refunds;
mod routes;
pub mod schema;
mod settle;
mod shifts;
mod tenders;
mod till_schema;
pub mod shared;
#[cfg(any(test, feature = "testpg"))]
pub mod testpg;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

pub use orders::{NewOrder, OrderFilter, OrderPatch, SalePart};
pub use shifts::{AdjustmentRow, FigureLine, NewShift, OpenItem, RawFigures, TillContext, ZInput, ZRecord};
pub use analytics::{FailureGroup, OffsetSpan, SalesCell, Source, SLOT_MS};
pub use apikeys::ApiKey;
pub use bank::{BankItem, BankLine, BankMatch, BankRunRecord, BankStatementRecord, NewBankItem};
pub use history::{HistoryOrder, HistoryRefund};
pub use import::ImportedOrder;
pub use outbox::{Attempt, Notification};
pub use recon_accept::{ExternalKind, ExternalLine};
pub use recon::{ItemAction, ItemFilter, ItemRecord, RunFailure, RunRecord, StoredStatement};
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
    /// The shared book is needed for this and cannot be reached now.
    #[error("{0}")]
    Offline(String),
    #[error("file error: {0}")]
    Io(String),
}

impl StoreError {
    /// The book cannot be written: the disk is full, the file or its folder is read-only, or it
    /// is gone. Nothing else in the book is wrong; writing works again once that is fixed.
    pub fn unwritable(&self) -> bool {
        self.unwritable_cause().is_some()
    }

    /// Why the book cannot be written, as a code: `disk_full`, `read_only` or `io` (the file
    /// cannot be opened or written); none for any other error.
    pub fn unwritable_cause(&self) -> Option<&'static str> {
        use rusqlite::ErrorCode::{CannotOpen, DiskFull, ReadOnly, SystemIoFailure};
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => match e.code {
                DiskFull => Some("disk_full"),
                ReadOnly => Some("read_only"),
                CannotOpen | SystemIoFailure => Some("io"),
                _ => None,
            },
            _ => None,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a [`StoreError::Conflict`] begins when an order's idempotency key is already taken.
pub const KEY_TAKEN: &str = "idempotency_key: already used";

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
    context: std::sync::RwLock<TillContext>,
    /// The link to the shared book, when this book is part of one and its settings name it.
    shared: std::sync::RwLock<Option<std::sync::Arc<shared::Shared>>>,
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
    /// Opens (creating if needed) the book at `path` and brings its schema up to date. A new
    /// home is created `0700`, the book and its WAL/SHM files are `0600` (see [`crate::files`]);
    /// a home other users can read is reported in the log.
    pub fn open(path: &Path) -> Result<Store> {
        let cannot = |what: &Path, e: std::io::Error| StoreError::Migration(format!("cannot create {}: {e}", what.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            match crate::files::loose_dir_warning(dir) {
                Some(w) => tracing::warn!("{w}"),
                None if !dir.exists() => crate::files::create_private_dir(dir).map_err(|e| cannot(dir, e))?,
                None => {}
            }
        }
        crate::files::create_private_file(path).map_err(|e| cannot(path, e))?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        for f in [path.to_path_buf(), sidecar(path, "-wal"), sidecar(path, "-shm")] {
            crate::files::make_private(&f).map_err(|e| StoreError::Migration(format!("cannot restrict {}: {e}", f.display())))?;
        }
        conn.busy_timeout(Duration::from_secs(5))?;
        // Foreign keys stay off while migrations rebuild tables (SQLite's documented way); each
        // such migration ends with a foreign-key check. Then they are on for good.
        conn.pragma_update(None, "foreign_keys", false)?;
        schema::migrate(&mut conn, path)?;
        configure(&conn)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            notify_targets: std::sync::RwLock::new(Vec::new()),
            context: std::sync::RwLock::new(TillContext::default()),
            shared: std::sync::RwLock::new(None),
        })
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

/// A row of this till's own (`till` column) — every row on a single till; on a shared book, the
/// rows this till wrote.
pub(crate) const OWN: &str = "(till = (SELECT value FROM sync_meta WHERE key = 'till') OR NOT EXISTS (SELECT 1 FROM sync_meta WHERE key = 'till'))";
/// The book's WAL (`-wal`) or shared-memory (`-shm`) file.
fn sidecar(book: &Path, suffix: &str) -> PathBuf {
    let mut s = book.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
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

#[cfg(all(test, unix))]
mod private_files {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_book_and_its_wal_are_the_owners_alone() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let book = super::Store::path_in(&home);
        let s = super::Store::open(&book).unwrap();
        s.set_pref("x", "y").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home), 0o700);
        for f in [book.clone(), super::sidecar(&book, "-wal"), super::sidecar(&book, "-shm")] {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        // A book made loose by hand is made private again when opened.
        drop(s);
        std::fs::set_permissions(&book, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::Store::open(&book).unwrap();
        assert_eq!(mode(&book), 0o600);
    }
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
