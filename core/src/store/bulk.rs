//! Bulk inserts of orders and refunds (an import of a million historical orders): the triggers
//! that keep derived tables row by row — the sales slots ([`super::analytics`]) and the tills'
//! number counters ([`super::numbers`]) — are set aside for the insert, and their work is done
//! once, in one grouped statement each, in the same transaction. So are the guards that refuse
//! rows of a closed shift (checked once over the inserted rows), and — while the book is not
//! linked to a shared book — the journal triggers, which only write while it is (their
//! condition cannot change inside this transaction). A table without an INSERT trigger lets
//! SQLite insert a row without a statement journal (no copy of every page a row touches).
//!
//! Invariant: after a bulk insert the derived tables hold exactly what the triggers would have
//! written row by row, and a row the guards would have refused fails the whole insert; the
//! triggers are back as they were (their SQL is taken from the book, so whatever a later
//! migration made of them); on an error the caller's rollback restores all.

use rusqlite::Transaction;

/// Triggers that only keep derived tables on INSERT, or guard it, safe to replace by one
/// grouped pass.
const SET_ASIDE: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'sales\\_%' ESCAPE '\\' OR name LIKE '%\\_number\\_counter' ESCAPE '\\' OR name LIKE '%\\_into\\_closed\\_shift' ESCAPE '\\')";

/// The journal's INSERT triggers, set aside too while the journal is off.
const JOURNAL: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync\\_%\\_insert' ESCAPE '\\'";

/// What `orders_into_closed_shift` and `refunds_into_closed_shift` refuse, over the inserted
/// rows (a scan of them: `+shift_no` keeps SQLite from walking every shift's orders instead).
const INTO_CLOSED_SHIFT: &str = "SELECT EXISTS (SELECT 1 FROM orders WHERE rowid > ?1 AND +shift_no IN (SELECT shift_no FROM shifts WHERE status = 'closed')) \
                                 OR EXISTS (SELECT 1 FROM refunds WHERE rowid > ?2 AND +shift_no IN (SELECT shift_no FROM shifts WHERE status = 'closed'))";

/// What a bulk writer is told about the book it writes into.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bulk {
    /// The book is linked to a shared book: every row is journaled as it is written, so rows
    /// must be written in the order a row-by-row writer would write them.
    pub journal: bool,
    /// The last rowid of `orders` before the insert (the inserted orders come after it).
    pub orders_after: i64,
}

/// Runs `write` — inserts only, of new orders and refunds, inside `tx` — with the bookkeeping
/// triggers set aside, then does their work for the inserted rows and puts them back.
pub(super) fn bulk_insert<T, E: From<rusqlite::Error>>(tx: &Transaction<'_>, write: impl FnOnce(Bulk) -> Result<T, E>) -> Result<T, E> {
    let mut triggers: Vec<(String, String)> = tx.prepare(SET_ASIDE)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let journal_on: bool = tx.query_row("SELECT IFNULL((SELECT value FROM sync_meta WHERE key = 'journal'), '') = '1'", [], |r| r.get(0))?;
    if !journal_on {
        triggers.extend(tx.prepare(JOURNAL)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    let last = |table: &str| tx.query_row(&format!("SELECT IFNULL(MAX(rowid), 0) FROM {table}"), [], |r| r.get::<_, i64>(0));
    let (orders, refunds) = (last("orders")?, last("refunds")?);
    for (name, _) in &triggers {
        tx.execute(&format!("DROP TRIGGER {name}"), [])?;
    }
    let out = write(Bulk { journal: journal_on, orders_after: orders })?;
    if tx.query_row(INTO_CLOSED_SHIFT, [orders, refunds], |r| r.get::<_, bool>(0))? {
        return Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER), Some("the shift is closed".into())).into());
    }
    super::analytics::add_inserted(tx, orders, refunds)?;
    super::numbers::raise_for_inserted(tx, orders, refunds)?;
    for (_, sql) in &triggers {
        tx.execute(sql, [])?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreError};

    fn triggers(s: &Store) -> Vec<(String, String)> {
        s.write(|tx| Ok(tx.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)).unwrap()
    }

    fn order_in(tx: &Transaction<'_>, no: &str, shift: Option<&str>) -> rusqlite::Result<usize> {
        tx.execute(
            "INSERT INTO orders (order_no, kind, method, channel, account, amount, status, subject, till, created_at, updated_at, expires_at, shift_no) \
             VALUES (?1, 'qr', 'sandbox', 'sandbox', 'sb', 100, 'success', 's', 'T1', 0, 0, 0, ?2)",
            rusqlite::params![no, shift],
        )
    }

    #[test]
    fn a_row_of_a_closed_shift_fails_the_bulk_insert_and_the_triggers_come_back_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("book.db")).unwrap();
        s.write(|tx| {
            tx.execute_batch(
                "INSERT INTO accounts (name, channel, config_json, created_at, updated_at) VALUES ('sb', 'sandbox', '{\"name\":\"sb\",\"channel\":\"sandbox\"}', 0, 0);
                 INSERT INTO shifts (shift_no, till, store, kind, opened_at, status, closed_at, report) VALUES ('S-closed', 'T9', 's', 'cashier', 0, 'closed', 1, '{}');
                 INSERT INTO shifts (shift_no, till, store, kind, opened_at, status) VALUES ('S-open', 'T1', 's', 'cashier', 0, 'open');",
            )?;
            Ok(())
        })
        .unwrap();
        let before = triggers(&s);
        assert!(before.iter().any(|(n, _)| n == "orders_into_closed_shift") && before.iter().any(|(n, _)| n == "sync_orders_insert"));
        // Row by row, the trigger refuses it; in bulk, the check after the insert does.
        let e = s.write(|tx| Ok(order_in(tx, "P1", Some("S-closed"))?)).unwrap_err();
        assert!(e.to_string().contains("the shift is closed"), "{e}");
        let e = s.write(|tx| bulk_insert(tx, |_| -> Result<_, StoreError> { Ok((order_in(tx, "P1", None)?, order_in(tx, "P2", Some("S-closed"))?)) })).unwrap_err();
        assert!(e.to_string().contains("the shift is closed"), "{e}");
        assert_eq!(triggers(&s), before, "rolled back with the rest");
        // An open shift, or none, is written; the triggers are back.
        s.write(|tx| bulk_insert(tx, |_| -> Result<_, StoreError> { Ok((order_in(tx, "P1", None)?, order_in(tx, "P2", Some("S-open"))?)) })).unwrap();
        assert_eq!(triggers(&s), before);
        let n: i64 = s.write(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))?)).unwrap();
        assert_eq!(n, 2);
    }
}
