//! Bulk inserts of orders and refunds (an import of a million historical orders): the triggers
//! that keep derived tables row by row — the sales slots ([`super::analytics`]) and the tills'
//! number counters ([`super::numbers`]) — are set aside for the insert, and their work is done
//! once, in one grouped statement each, in the same transaction.
//!
//! Invariant: after a bulk insert the derived tables hold exactly what the triggers would have
//! written row by row; the triggers are back as they were (their SQL is taken from the book, so
//! whatever a later migration made of them); on an error the caller's rollback restores all.

use rusqlite::Transaction;

/// Triggers that only keep derived tables on INSERT, safe to replace by one grouped pass.
const SET_ASIDE: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'sales\\_%' ESCAPE '\\' OR name LIKE '%\\_number\\_counter' ESCAPE '\\')";

/// Runs `write` — inserts only, of new orders and refunds, inside `tx` — with the bookkeeping
/// triggers set aside, then does their work for the inserted rows and puts them back.
pub(super) fn bulk_insert<T, E: From<rusqlite::Error>>(tx: &Transaction<'_>, write: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let triggers: Vec<(String, String)> = tx.prepare(SET_ASIDE)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let last = |table: &str| tx.query_row(&format!("SELECT IFNULL(MAX(rowid), 0) FROM {table}"), [], |r| r.get::<_, i64>(0));
    let (orders, refunds) = (last("orders")?, last("refunds")?);
    for (name, _) in &triggers {
        tx.execute(&format!("DROP TRIGGER {name}"), [])?;
    }
    let out = write()?;
    super::analytics::add_inserted(tx, orders, refunds)?;
    super::numbers::raise_for_inserted(tx, orders, refunds)?;
    for (_, sql) in &triggers {
        tx.execute(sql, [])?;
    }
    Ok(out)
}
