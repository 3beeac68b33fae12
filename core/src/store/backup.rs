//! Copies of the book with SQLite's online backup API: a backup taken while payments are being
//! written, its verification, and a restore into a home's book.
//!
//! Invariant: a backup is one consistent snapshot. The copy runs inside one read transaction of
//! its source connection, and the figures it is verified against ([`BookFigures`]) are read in
//! that same transaction, so a backup that verifies holds exactly the rows the book had at one
//! instant — never half a payment. Files are written under a temporary name, synced and then
//! renamed, so a folder never holds a half-written backup under a backup's name.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{from_ms, Result, Store, StoreError};

/// What a book holds, in figures a person can compare: the schema version, row counts, money
/// and the time of the latest change. Read in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookFigures {
    /// `PRAGMA user_version`: how many migrations the book has.
    pub schema: u32,
    pub orders: i64,
    pub paid_orders: i64,
    /// Sum of the amounts of paid orders (success or refunded), fen.
    pub paid_fen: i64,
    pub refunds: i64,
    /// Sum of successful refunds, fen.
    pub refunded_fen: i64,
    pub events: i64,
    pub recon_runs: i64,
    pub users: i64,
    pub accounts: i64,
    /// The latest change to an order, an event or a refund.
    pub latest_at: Option<DateTime<Utc>>,
}

impl BookFigures {
    /// The differences that make `self` (a home's book) newer than `other` (a backup), in words;
    /// empty when `self` holds nothing `other` lacks.
    pub fn newer_than(&self, other: &BookFigures) -> Vec<String> {
        let mut out = Vec::new();
        let more = [
            ("orders", self.orders, other.orders),
            ("paid orders", self.paid_orders, other.paid_orders),
            ("refunds", self.refunds, other.refunds),
            ("order events", self.events, other.events),
            ("reconciliation runs", self.recon_runs, other.recon_runs),
            ("users", self.users, other.users),
            ("accounts", self.accounts, other.accounts),
        ];
        for (what, mine, theirs) in more {
            if mine > theirs {
                out.push(format!("{what}: {mine} in the home, {theirs} in the backup"));
            }
        }
        if let (Some(mine), theirs) = (self.latest_at, other.latest_at) {
            if theirs.is_none_or(|t| mine > t) {
                let t = theirs.map_or("never".to_string(), |t| t.to_rfc3339());
                out.push(format!("latest change: {} in the home, {t} in the backup", mine.to_rfc3339()));
            }
        }
        if self.schema > other.schema {
            out.push(format!("schema version: {} in the home, {} in the backup (it will be upgraded)", self.schema, other.schema));
        }
        out
    }

    /// True when the book holds no business data at all (a fresh home).
    pub fn is_empty(&self) -> bool {
        self.orders == 0 && self.refunds == 0 && self.recon_runs == 0 && self.users == 0 && self.accounts == 0
    }
}

fn has_table(c: &Connection, name: &str) -> Result<bool> {
    Ok(c.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| Ok(())).optional()?.is_some())
}

fn count(c: &Connection, table: &str, filter: &str) -> Result<i64> {
    if !has_table(c, table)? {
        return Ok(0);
    }
    Ok(c.query_row(&format!("SELECT COUNT(*) FROM {table} {filter}"), [], |r| r.get(0))?)
}

/// The figures of the book on `c` (any schema version: tables a version lacks count as zero).
pub fn figures(c: &Connection) -> Result<BookFigures> {
    let schema: u32 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if !has_table(c, "orders")? {
        return Ok(BookFigures { schema, ..BookFigures::default() });
    }
    let (paid_orders, paid_fen): (i64, i64) =
        c.query_row("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM orders WHERE status IN ('success','refunded')", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let refunded_fen: i64 = c.query_row("SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE status = 'success'", [], |r| r.get(0))?;
    let latest: Option<i64> = c.query_row(
        "SELECT MAX(t) FROM (SELECT MAX(updated_at) AS t FROM orders UNION ALL SELECT MAX(at) FROM order_events UNION ALL SELECT MAX(updated_at) FROM refunds)",
        [],
        |r| r.get(0),
    )?;
    Ok(BookFigures {
        schema,
        orders: count(c, "orders", "")?,
        paid_orders,
        paid_fen,
        refunds: count(c, "refunds", "")?,
        refunded_fen,
        events: count(c, "order_events", "")?,
        recon_runs: count(c, "recon_runs", "")?,
        users: count(c, "users", "")?,
        accounts: count(c, "accounts", "")?,
        latest_at: latest.map(from_ms).transpose()?,
    })
}

/// Copies everything of `src` into `dst` with the online backup API, in one step (one snapshot).
fn copy(src: &Connection, dst: &mut Connection) -> Result<()> {
    let backup = Backup::new(src, dst)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Another connection holds a lock the copy needs: wait and try again.
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn sync_file(path: &Path) -> Result<()> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    f.sync_all().map_err(|e| io_err(path, e))
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {e}", path.display()))
}

/// The temporary name a file is written under before it is renamed into place.
fn partial(dest: &Path) -> std::path::PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

/// Writes a consistent copy of the book at `src` to `dest` (a single file, rollback journal) and
/// returns the figures of the snapshot it holds. Readers and writers of `src` go on meanwhile.
pub fn snapshot(src: &Path, dest: &Path) -> Result<BookFigures> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    let tmp = partial(dest);
    let _ = std::fs::remove_file(&tmp);
    let result = copy_to(src, &tmp, dest);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The copy of [`snapshot`]: into `tmp`, synced, then renamed to `dest`.
fn copy_to(src: &Path, tmp: &Path, dest: &Path) -> Result<BookFigures> {
    let source = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    source.busy_timeout(Duration::from_secs(5))?;
    // One read transaction: the figures and the copy see the same instant.
    source.execute_batch("BEGIN")?;
    let figures = figures(&source)?;
    let mut out = Connection::open(tmp)?;
    copy(&source, &mut out)?;
    source.execute_batch("COMMIT")?;
    // A backup is one self-contained file, whatever journal mode the book runs in.
    let _: String = out.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    out.close().map_err(|(_, e)| e)?;
    sync_file(tmp)?;
    std::fs::rename(tmp, dest).map_err(|e| io_err(dest, e))?;
    Ok(figures)
}

/// Opens a backup read-only, runs SQLite's integrity check and reads its figures.
pub fn verify(path: &Path) -> Result<BookFigures> {
    if !path.is_file() {
        return Err(StoreError::Io(format!("{}: no such file", path.display())));
    }
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let check: Vec<String> = {
        let mut st = c.prepare("PRAGMA integrity_check").map_err(|e| not_a_book(path, e))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(|e| not_a_book(path, e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| not_a_book(path, e))?
    };
    if check != ["ok"] {
        return Err(StoreError::Corrupt(format!("{}: integrity check failed: {}", path.display(), check.join("; "))));
    }
    if !has_table(&c, "orders")? {
        return Err(StoreError::Corrupt(format!("{}: not a Paydesk book (no orders table)", path.display())));
    }
    figures(&c)
}

fn not_a_book(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Corrupt(format!("{}: not a readable SQLite book ({e})", path.display()))
}

/// Replaces the contents of the book at `dest` with the backup at `src` (page by page through
/// the backup API, so connections open on `dest` see the restored book, never a torn file).
/// The schema is not upgraded here: open the book with [`Store::open`] afterwards.
pub fn restore_file(src: &Path, dest: &Path) -> Result<()> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    let source = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let mut out = Connection::open(dest)?;
    out.busy_timeout(Duration::from_secs(10))?;
    copy(&source, &mut out)?;
    let _: String = out.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    Ok(())
}

/// The figures of the book at `path` as it is now (read-only; no migration).
pub fn figures_of(path: &Path) -> Result<BookFigures> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    c.busy_timeout(Duration::from_secs(5))?;
    c.execute_batch("BEGIN")?;
    let f = figures(&c);
    let _ = c.execute_batch("COMMIT");
    f
}

impl Store {
    /// A verified backup of this book at `dest`: a consistent snapshot, then opened again,
    /// integrity-checked and counted; the figures must be those of the snapshot.
    pub fn backup_to(&self, dest: &Path) -> Result<BookFigures> {
        let taken = snapshot(&self.path, dest)?;
        // A copy of the book is as private as the book (owner only).
        crate::files::make_private(dest).map_err(|e| StoreError::Io(format!("cannot restrict {}: {e}", dest.display())))?;
        let found = verify(dest)?;
        if found != taken {
            return Err(StoreError::Corrupt(format!("{}: the backup does not hold what was copied ({found:?} vs {taken:?})", dest.display())));
        }
        Ok(taken)
    }

    /// The figures of this book now.
    pub fn figures(&self) -> Result<BookFigures> {
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let f = figures(c);
            let _ = c.execute_batch("COMMIT");
            f
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_util::{new_order, store};

    #[test]
    fn a_backup_verifies_and_restores() {
        let (dir, s) = store();
        let g = crate::NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        for i in 0..5 {
            s.insert_order(&new_order(g.next_order_no(chrono::Utc::now()), 100 + i)).unwrap();
        }
        let dest = dir.path().join("copies/one.db");
        let f = s.backup_to(&dest).unwrap();
        assert_eq!((f.orders, f.accounts, f.schema as usize), (5, 1, super::super::schema::latest()));
        assert!(!partial(&dest).exists(), "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600, "a backup is readable by its owner only");
        }
        assert_eq!(verify(&dest).unwrap(), f);

        // A damaged copy is refused by the check, not restored.
        let bad = dir.path().join("bad.db");
        let mut bytes = std::fs::read(&dest).unwrap();
        let n = bytes.len();
        // Past the header page: every b-tree page of the copy is overwritten.
        bytes[4096..n].fill(0xAB);
        std::fs::write(&bad, &bytes).unwrap();
        assert!(verify(&bad).is_err());
        std::fs::write(&bad, b"not a database at all, just text").unwrap();
        assert!(matches!(verify(&bad), Err(StoreError::Corrupt(_))), "{:?}", verify(&bad));

        // Restore over a book with other contents: the open store sees the restored rows.
        s.insert_order(&new_order(g.next_order_no(chrono::Utc::now()), 999)).unwrap();
        assert!(s.figures().unwrap().newer_than(&f).iter().any(|d| d.starts_with("orders: 6 in the home, 5 in the backup")));
        restore_file(&dest, s.path()).unwrap();
        assert_eq!(s.figures().unwrap(), f);
        assert!(s.figures().unwrap().newer_than(&f).is_empty());
    }
}
