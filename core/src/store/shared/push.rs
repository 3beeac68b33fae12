//! Push: the till's journal to the shared book, in order, exactly once in effect.
//!
//! Invariant: a journal entry leaves the local journal only after the transaction that wrote its
//! row to PostgreSQL — and moved the till's `pushed_seq` past it — has committed. A crash between
//! the two sends the batch again; the upserts are idempotent and entries at or below
//! `pushed_seq` are dropped without sending, so nothing is lost or doubled.

use std::collections::{HashMap, HashSet};

use rusqlite::OptionalExtension;

use super::pg_schema::WRITE_LOCK;
use super::tables::{param_count, table, Dialect, Keyed, Table};
use super::value::{pg_params, V};
use super::{LinkError, Shared};
use crate::store::Store;

/// Journal entries per PostgreSQL transaction.
const BATCH: usize = 5000;
/// Parameters of one statement (PostgreSQL allows 65535).
const MAX_PARAMS: usize = 60_000;

/// One row to send.
pub(super) struct Row {
    pub table: &'static Table,
    pub values: Vec<V>,
}

/// A batch of the journal: rows in journal order (each row once, at its first entry) and the
/// last journal number it covers.
pub(super) struct Batch {
    pub rows: Vec<Row>,
    pub last: i64,
}

pub(super) fn load_batch(c: &rusqlite::Connection, after: i64) -> rusqlite::Result<Option<Batch>> {
    let mut st = c.prepare_cached("SELECT seq, tbl, key FROM sync_journal WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let entries = st.query_map(rusqlite::params![after, BATCH as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let Some(last) = entries.last().map(|e| e.0) else { return Ok(None) };
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for (_, tbl, key) in entries {
        let Some(t) = table(&tbl) else { continue };
        if !seen.insert((t.name, key.clone())) {
            continue;
        }
        let n = t.flat().len() + if matches!(t.keyed, Keyed::Origin(_)) { 2 } else { 0 };
        let mut sel = c.prepare_cached(&t.local_select())?;
        let values = sel.query_row([&key], |r| (0..n).map(|i| V::from_sqlite(r.get_ref(i)?)).collect::<rusqlite::Result<Vec<V>>>()).optional()?;
        if let Some(values) = values {
            rows.push(Row { table: t, values });
        }
    }
    Ok(Some(Batch { rows, last }))
}

/// Refunds of an order summed again after refunds from several tills met: the refunded amount
/// is what the successful refunds add up to (and the order is refunded when they cover it).
pub(super) fn refunded_sql(d: Dialect) -> String {
    let rev = if d == Dialect::Postgres { ", rev = nextval('sync_rev')" } else { "" };
    format!(
        "UPDATE orders SET refunded = s.total,
            status = CASE WHEN s.total = orders.amount AND orders.status = 'success' THEN 'refunded' ELSE orders.status END{rev}
         FROM (SELECT COALESCE(SUM(amount), 0) AS total FROM refunds WHERE order_no = {p} AND status = 'success') AS s
         WHERE orders.order_no = {p} AND orders.refunded < s.total AND s.total <= orders.amount",
        p = d.ph(1)
    )
}

/// Writes one batch in one transaction. Returns the till's new `pushed_seq`.
pub(super) fn send(pg: &mut postgres::Client, till: &str, batch: Batch) -> Result<i64, LinkError> {
    let mut tx = pg.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    let hwm: Option<i64> = tx.query_opt("SELECT pushed_seq FROM tills WHERE till_id = $1 FOR UPDATE", &[&till])?.map(|r| r.get(0));
    let Some(hwm) = hwm else {
        return Err(LinkError::Refused(format!("till {till} is not registered in the shared book (run `paydesk shared join`)")));
    };
    if batch.last <= hwm {
        // Sent before a crash: nothing to do but forget it locally.
        return Ok(hwm);
    }
    // Consecutive rows of one table go in one statement (journal order is kept between tables).
    let mut statements: HashMap<(&str, usize), (postgres::Statement, usize)> = HashMap::new();
    let mut refunded: Vec<String> = Vec::new();
    let mut rows = batch.rows.into_iter().peekable();
    while let Some(first) = rows.next() {
        let t = first.table;
        let mut group = vec![first.values];
        let most = (MAX_PARAMS / group[0].len().max(1)).max(1);
        while group.len() < most && rows.peek().is_some_and(|r| std::ptr::eq(r.table, t)) {
            group.extend(rows.next().map(|r| r.values));
        }
        if t.name == "refunds" {
            refunded.extend(group.iter().filter_map(|v| v.get(1).and_then(V::as_str)).map(str::to_string));
        }
        let key = (t.name, group.len());
        if let std::collections::hash_map::Entry::Vacant(e) = statements.entry(key) {
            let sql = t.pg_upsert_rows(group.len());
            e.insert((tx.prepare(&sql)?, param_count(&sql)));
        }
        let (st, n) = &statements[&key];
        let mut values: Vec<V> = group.into_iter().flatten().collect();
        values.push(V::Text(till.to_string()));
        values.push(V::Text(String::new()));
        values.truncate(*n);
        tx.execute(st, &pg_params(&values))?;
    }
    if !refunded.is_empty() {
        let st = tx.prepare(&refunded_sql(Dialect::Postgres))?;
        for no in refunded {
            tx.execute(&st, &[&no])?;
        }
    }
    tx.execute(
        "UPDATE tills SET pushed_seq = GREATEST(pushed_seq, $2), pushed_at = $3, seen_at = $3, rev = nextval('sync_rev') WHERE till_id = $1",
        &[&till, &batch.last, &chrono::Utc::now().timestamp_millis()],
    )?;
    tx.commit()?;
    Ok(batch.last)
}

impl Store {
    /// Sends the whole journal. Returns how many journal entries left it.
    pub(super) fn push(&self, sh: &Shared) -> Result<u64, LinkError> {
        let mut total = 0u64;
        loop {
            let Some(batch) = self.read(|c| Ok(load_batch(c, 0)?))? else { return Ok(total) };
            let last = batch.last;
            let till = sh.till.clone();
            let done = sh.link.call(move |pg| send(pg, &till, batch))?;
            let n = self.write(|tx| Ok(tx.execute("DELETE FROM sync_journal WHERE seq <= ?1", [done.max(last)])?))?;
            total += n as u64;
        }
    }
}
