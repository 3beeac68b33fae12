//! The shop's shared state, written through: accounts, users and the shop-wide settings are
//! changed in the shared book and locally in one step.
//!
//! Invariant: on a linked till a change to the shop's shared state commits locally only after the
//! shared book took it; while the shared book is unreachable the change is refused, whole, and
//! the values last pulled stay in force (a queued change could silently undo another till's).

use rusqlite::{OptionalExtension, Transaction};

use super::pg_schema::WRITE_LOCK;
use super::tables::shop_table;
use super::value::{pg_params, V};
use super::Shared;
use crate::store::{Result, Store, StoreError};

/// Sends the local row `key` of the shop table whose shared name is `pg` (just written in `tx`,
/// not yet committed) to the shared book. Without a link, nothing to do.
pub(crate) fn write_through(tx: &Transaction<'_>, shared: Option<&Shared>, pg: &str, key: &str) -> Result<()> {
    let Some(sh) = shared else { return Ok(()) };
    let t = shop_table(pg).ok_or_else(|| StoreError::Corrupt(format!("no shop table {pg}")))?;
    let cols: Vec<&str> = t.cols.iter().map(|c| c.0).collect();
    let n = cols.len();
    let values: Vec<V> = tx
        .query_row(&format!("SELECT {} FROM {} WHERE {} = ?1", cols.join(", "), t.local, cols[0]), [key], |r| (0..n).map(|i| V::from_sqlite(r.get_ref(i)?)).collect())
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: "row", id: key.to_string() })?;
    let sql = t.pg_upsert();
    sh.link
        .call(move |pg| {
            let mut tx = pg.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            tx.execute(sql.as_str(), &pg_params(&values))?;
            tx.commit()?;
            Ok(())
        })
        .map_err(|e| match e {
            super::LinkError::Store(s) => s,
            e if e.is_offline() => StoreError::Offline(format!("{e}; shop-wide settings (accounts, users, limits, routing) can be changed only while it is reachable")),
            e => StoreError::Conflict(e.to_string()),
        })
}

impl Store {
    /// The shop-wide settings (a JSON document) as last pulled from the shared book; none for a
    /// single till or while no till has saved them.
    pub fn shop_settings(&self) -> Result<Option<String>> {
        self.read(|c| Ok(c.query_row("SELECT value FROM shared_settings WHERE key = 'settings'", [], |r| r.get(0)).optional()?))
    }

    /// Saves the shop-wide settings in the shared book and locally. On a single till: nothing
    /// (its settings file is the whole story).
    pub fn put_shop_settings(&self, json: &str) -> Result<()> {
        let Some(sh) = self.shared_for_change()? else { return Ok(()) };
        let now = chrono::Utc::now().timestamp_millis();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO shared_settings (key, value, updated_at) VALUES ('settings', ?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                rusqlite::params![json, now],
            )?;
            write_through(tx, Some(&sh), "shop_settings", "settings")
        })
    }
}
