//! Writing imported orders: each order (origin `import`), its history event (source `import`)
//! and, where it was refunded, its refund — a whole file in one transaction. The sales
//! pre-aggregates and the tills' number counters are brought up to date in the same
//! transaction: in one grouped pass each instead of a trigger per row ([`super::bulk`]). The
//! history events too, unless the book journals its writes for a shared book (then each event
//! follows its order, as everywhere else).

use std::borrow::Cow;

use rusqlite::params;

use super::{Result, Store, StoreError};
use crate::order::{EventSource, Method, OrderStatus, PayKind};

/// One order to import, checked (money in fen, times in UTC milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedOrder<'a> {
    pub order_no: &'a str,
    pub kind: PayKind,
    pub method: Method,
    pub channel: &'a str,
    pub account: &'a str,
    pub amount: i64,
    pub refunded: i64,
    pub fee: i64,
    pub status: OrderStatus,
    pub subject: &'a str,
    pub channel_trade_no: Option<&'a str>,
    pub operator: Option<&'a str>,
    pub till: Cow<'a, str>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    /// The refund (its number and time) of an order refunded in part or in full.
    pub refund: Option<(Cow<'a, str>, i64)>,
}

fn conflict(e: rusqlite::Error, what: String) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => StoreError::Conflict(format!("{what} is in the book already")),
        other => other.into(),
    }
}

impl Store {
    /// Runs `body` inside one write transaction, handing it a function that writes one order.
    /// When `body` returns `Ok(None)` the transaction is committed; `Ok(Some(_))` (the file
    /// turned out bad) or an error rolls everything back.
    pub fn import_orders<T>(&self, file: &str, by: &crate::Principal, body: impl FnOnce(&mut dyn FnMut(&ImportedOrder<'_>) -> Result<()>) -> Result<Option<T>>) -> Result<Option<T>> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // A larger page cache for the indexes a million inserts touch (default again after).
        conn.pragma_update(None, "cache_size", -262_144)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let out = (|| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let detail = format!("imported from {file}");
            let reason_args = serde_json::json!({ "file": file }).to_string();
            let outcome = super::bulk::bulk_insert(&tx, |bulk| -> Result<Option<T>> {
                let mut order = tx.prepare_cached(
                    "INSERT INTO orders (order_no, kind, method, channel, account, amount, refunded, fee, status, subject, channel_trade_no, operator, till, created_at, updated_at, expires_at, paid_at, origin, principal, principal_key) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?14, ?16, 'import', ?17, ?18)",
                )?;
                let mut event = tx.prepare_cached(
                    "INSERT INTO order_events (order_no, from_status, to_status, source, at, detail, reason, reason_args, principal) VALUES (?1, NULL, ?2, ?3, ?4, ?5, 'imported', ?6, ?7)",
                )?;
                let mut refund = tx.prepare_cached(
                    "INSERT INTO refunds (refund_no, order_no, amount, reason, status, operator, created_at, updated_at, principal) VALUES (?1, ?2, ?3, '导入 imported', 'success', ?4, ?5, ?5, ?6)",
                )?;
                let source = EventSource::Import.as_str();
                let (by, by_key) = (by.to_stored(), by.key());
                let mut add = |o: &ImportedOrder<'_>| -> Result<()> {
                    let updated = o.refund.as_ref().map(|r| r.1).or(o.paid_at).unwrap_or(o.created_at);
                    order
                        .execute(params![
                            o.order_no,
                            o.kind.as_str(),
                            o.method.as_str(),
                            o.channel,
                            o.account,
                            o.amount,
                            o.refunded,
                            o.fee,
                            o.status.as_str(),
                            o.subject,
                            o.channel_trade_no,
                            o.operator,
                            o.till.as_ref(),
                            o.created_at,
                            updated,
                            o.paid_at,
                            by,
                            by_key
                        ])
                        .map_err(|e| conflict(e, format!("order {}", o.order_no)))?;
                    if bulk.journal {
                        event.execute(params![o.order_no, o.status.as_str(), source, updated, detail, reason_args, by])?;
                    }
                    if let Some((no, at)) = &o.refund {
                        refund.execute(params![no.as_ref(), o.order_no, o.refunded, o.operator, at, by]).map_err(|e| conflict(e, format!("refund {no}")))?;
                    }
                    Ok(())
                };
                let outcome = body(&mut add)?;
                if outcome.is_none() && !bulk.journal {
                    // Not journaled: the events are written in one pass after the orders, in
                    // the orders' order — the same rows, numbered as row by row.
                    tx.execute(
                        "INSERT INTO order_events (order_no, from_status, to_status, source, at, detail, reason, reason_args, principal) \
                         SELECT order_no, NULL, status, ?2, updated_at, ?3, 'imported', ?4, ?5 FROM orders WHERE rowid > ?1 ORDER BY rowid",
                        params![bulk.orders_after, source, detail, reason_args, by],
                    )?;
                }
                Ok(outcome)
            })?;
            if outcome.is_none() {
                tx.commit()?;
            }
            Ok(outcome)
        })();
        conn.pragma_update(None, "cache_size", -2000)?;
        conn.pragma_update(None, "temp_store", "DEFAULT")?;
        if matches!(out, Ok(None)) {
            // A million orders leave a WAL of a gigabyte that every later open of the book would
            // have to index again: write it into the book now, once (as far as readers allow).
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        out
    }
}
