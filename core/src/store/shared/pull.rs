//! Pull: the shop's state and every till's journal down into this till's book.
//!
//! Invariant: one round reads one snapshot of the shared book (repeatable read), the shop's tables
//! first and then the journal tables parents before children, so every row applied locally finds
//! its parent already there. Each batch is applied in one local transaction together with its
//! table's cursor, with the journal switched off (pulled rows are not sent back); an interrupted
//! round starts again from the saved cursors and changes nothing twice (rows merge idempotently).

use std::collections::HashMap;
use std::sync::mpsc;

use rusqlite::OptionalExtension;

use super::link::CALL_TIMEOUT;
use super::push::refunded_sql;
use super::tables::{param_count, Dialect, Keyed, ShopTable, Table, JOURNAL, SHOP};
use super::value::V;
use super::{set_meta, LinkError, Shared};
use crate::store::Store;

/// Journal rows per batch.
const BATCH: i64 = 5000;

enum Piece {
    Shop(&'static ShopTable, Vec<Vec<V>>, i64),
    Journal(&'static Table, Vec<Vec<V>>, i64),
}

fn cursor_key(table: &str) -> String {
    format!("pull:{table}")
}

fn rows_of(rows: &[postgres::Row], tys: &[super::tables::Ty]) -> Result<(Vec<Vec<V>>, i64), LinkError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut last = 0;
    for r in rows {
        let vals = tys.iter().enumerate().map(|(i, ty)| V::from_pg(r, i, *ty)).collect::<Result<Vec<V>, _>>()?;
        last = r.try_get::<_, i64>(tys.len())?;
        out.push(vals);
    }
    Ok((out, last))
}

/// The column types of a journal table's select (see [`Table::pg_select`]).
fn journal_types(t: &Table) -> Vec<super::tables::Ty> {
    use super::tables::Ty;
    let mut tys = Vec::new();
    if let Keyed::Origin(_) = t.keyed {
        tys.extend([Ty::Text, Ty::Int]);
    }
    tys.extend(t.flat().into_iter().map(|c| c.1));
    if let Keyed::Natural(_) = t.keyed {
        tys.push(Ty::Text);
    }
    tys
}

fn read_snapshot(pg: &mut postgres::Client, cursors: HashMap<String, i64>, me: String, out: &mpsc::SyncSender<Piece>) -> Result<(), LinkError> {
    let gone = || LinkError::Offline("the pull was abandoned".into());
    let mut tx = pg.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
    let cur = |name: &str| cursors.get(&cursor_key(name)).copied().unwrap_or(0);
    for t in &SHOP {
        let rows = tx.query(&t.pg_select(), &[&cur(t.pg)])?;
        if !rows.is_empty() {
            let tys: Vec<_> = t.cols.iter().map(|c| c.1).collect();
            let (rows, last) = rows_of(&rows, &tys)?;
            out.send(Piece::Shop(t, rows, last)).map_err(|_| gone())?;
        }
    }
    for t in &JOURNAL {
        let sql = t.pg_select();
        let st = tx.prepare(&sql)?;
        let tys = journal_types(t);
        let mut c = cur(t.name);
        loop {
            let rows = if param_count(&sql) == 3 { tx.query(&st, &[&c, &BATCH, &me])? } else { tx.query(&st, &[&c, &BATCH])? };
            if rows.is_empty() {
                break;
            }
            let full = rows.len() as i64 == BATCH;
            let (rows, last) = rows_of(&rows, &tys)?;
            c = last;
            out.send(Piece::Journal(t, rows, last)).map_err(|_| gone())?;
            if !full {
                break;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

impl Store {
    /// Brings everything new in the shared book down. Returns how many rows it applied.
    pub(super) fn pull(&self, sh: &Shared) -> Result<u64, LinkError> {
        let cursors: HashMap<String, i64> = self.read(|c| {
            let mut st = c.prepare("SELECT key, value FROM sync_meta WHERE key LIKE 'pull:%'")?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?.parse().unwrap_or(0))))?.collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })?;
        let me = sh.till.clone();
        let (items, outcome) = sh.link.stream(move |pg, out| read_snapshot(pg, cursors, me, out))?;
        let mut n = 0u64;
        loop {
            match items.recv_timeout(CALL_TIMEOUT) {
                Ok(piece) => n += self.apply_piece(piece, &sh.till)?,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => return Err(LinkError::Offline("the shared book did not answer in time".into())),
            }
        }
        outcome.recv_timeout(CALL_TIMEOUT).map_err(|_| LinkError::Offline("the shared book did not answer in time".into()))??;
        Ok(n)
    }

    fn apply_piece(&self, piece: Piece, me: &str) -> Result<u64, LinkError> {
        Ok(self.write(|tx| {
            set_meta(tx, "journal", "0")?;
            let n = match &piece {
                Piece::Shop(t, rows, last) => {
                    let mut st = tx.prepare_cached(&t.local_upsert())?;
                    for r in rows {
                        st.execute(rusqlite::params_from_iter(r.iter()))?;
                    }
                    set_meta(tx, &cursor_key(t.pg), &last.to_string())?;
                    rows.len()
                }
                Piece::Journal(t, rows, last) => {
                    let sql = t.upsert_sql(Dialect::Sqlite);
                    let count = param_count(&sql);
                    let mut st = tx.prepare_cached(&sql)?;
                    let mut orders = Vec::new();
                    let till_col = t.cols.iter().position(|c| c.0 == "till");
                    let key_col = t.cols.iter().position(|c| c.0 == "idempotency_key");
                    // This till's orders and refunds changed by another till are notified here.
                    let notified = matches!(t.name, "orders" | "refunds").then(|| self.targets()).filter(|t| !t.is_empty());
                    let status_sql = format!("SELECT status FROM {} WHERE {} = ?1", t.name, t.cols[0].0);
                    for r in rows {
                        let mine = till_col.is_some_and(|tc| r[tc].as_str() == Some(me));
                        let watch = notified.as_ref().filter(|_| mine).zip(r[0].as_str());
                        let before: Option<String> = match watch {
                            Some((_, key)) => tx.prepare_cached(&status_sql)?.query_row([key], |row| row.get(0)).optional()?,
                            None => None,
                        };
                        let mut vals = r.clone();
                        // A client's idempotency key means something only at the till it called:
                        // the others' keys are not kept (they could clash with this till's own).
                        if let (Some(tc), Some(kc)) = (till_col, key_col) {
                            if vals[tc].as_str() != Some(me) {
                                vals[kc] = V::Null;
                            }
                        }
                        vals.push(V::Text(me.to_string()));
                        vals.truncate(count);
                        st.execute(rusqlite::params_from_iter(vals.iter()))?;
                        if let Some((targets, key)) = watch {
                            crate::store::outbox::enqueue_pulled(tx, targets, t.name, key, before.as_deref(), chrono::Utc::now())?;
                        }
                        if t.name == "refunds" {
                            orders.extend(r.get(1).and_then(V::as_str).map(str::to_string));
                        }
                    }
                    if !orders.is_empty() {
                        let mut st = tx.prepare_cached(&refunded_sql(Dialect::Sqlite))?;
                        for o in orders {
                            st.execute([o])?;
                        }
                    }
                    set_meta(tx, &cursor_key(t.name), &last.to_string())?;
                    rows.len()
                }
            };
            set_meta(tx, "journal", "1")?;
            Ok(n as u64)
        })?)
    }
}
