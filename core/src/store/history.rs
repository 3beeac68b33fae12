//! Bulk import of finished orders (demo history, benchmarks, migrations from another till system).
//!
//! One transaction for the whole batch, prepared statements, no per-row reads: hundreds of
//! thousands of orders a second. The analytics triggers fire as for any other write, so the
//! figures are right the moment the import commits.

use chrono::{DateTime, Utc};
use rusqlite::named_params;

use super::orders::NewOrder;
use super::{ms, Result, Store, StoreError};
use crate::ids::RefundNo;
use crate::money::Money;
use crate::order::{EventSource, OrderStatus};

/// A successful refund of a historic order.
#[derive(Debug, Clone)]
pub struct HistoryRefund {
    pub refund_no: RefundNo,
    pub amount: Money,
    pub reason: Option<String>,
    pub completed_at: DateTime<Utc>,
}

/// An order that already reached its final state.
#[derive(Debug, Clone)]
pub struct HistoryOrder {
    pub order: NewOrder,
    /// `Success`, `Failed` or `Closed`; `Success` becomes `Refunded` when refunds cover the amount.
    pub status: OrderStatus,
    pub channel_trade_no: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub failure: Option<(String, String)>,
    /// When it reached `status` (the order's `updated_at`).
    pub finished_at: DateTime<Utc>,
    pub refunds: Vec<HistoryRefund>,
}

impl Store {
    /// Writes `orders` (with their refunds, and a "created" and a final event each when `events`)
    /// in one transaction. Refuses the whole batch on any inconsistency: an open status, refunds
    /// of an unpaid order or beyond its amount, a duplicate number.
    pub fn import_history(&self, orders: &[HistoryOrder], events: bool) -> Result<usize> {
        self.write(|tx| {
            let mut w = HistoryWriter::new(tx)?;
            for h in orders {
                w.insert(h, events)?;
            }
            Ok(orders.len())
        })
    }

    /// Like [`Store::import_history`] for a stream of batches (e.g. one per day), still in one
    /// transaction but without holding the whole history in memory; `after` sees each batch once
    /// it is written.
    pub fn import_history_batches(&self, batches: impl Iterator<Item = Vec<HistoryOrder>>, events: bool, mut after: impl FnMut(&[HistoryOrder])) -> Result<usize> {
        self.write(|tx| {
            let mut w = HistoryWriter::new(tx)?;
            let mut n = 0;
            for batch in batches {
                for h in &batch {
                    w.insert(h, events)?;
                }
                n += batch.len();
                after(&batch);
            }
            Ok(n)
        })
    }

    /// Number of orders in the book (all states).
    pub fn order_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))?))
    }
}

/// The prepared statements of a history import, inside one transaction.
struct HistoryWriter<'t> {
    ins: rusqlite::CachedStatement<'t>,
    refund: rusqlite::CachedStatement<'t>,
    event: rusqlite::CachedStatement<'t>,
}

impl<'t> HistoryWriter<'t> {
    fn new(tx: &'t rusqlite::Transaction<'_>) -> Result<HistoryWriter<'t>> {
        let ins = tx.prepare_cached(
            "INSERT INTO orders (order_no, kind, method, channel, account, amount, refunded, fee, status, subject, channel_trade_no,
                qr_code, auth_code_masked, failure_code, failure_message, operator, till, idempotency_key, created_at, updated_at, expires_at, paid_at,
                principal, principal_key)
             VALUES (:no, :kind, :method, :channel, :account, :amount, :refunded, :fee, :status, :subject, :trade_no,
                NULL, :auth, :fcode, :fmsg, :op, :till, :idem, :created, :updated, :expires, :paid_at, :by, :by_key)",
        )?;
        let refund = tx.prepare_cached(
            "INSERT INTO refunds (refund_no, order_no, amount, reason, status, channel_refund_no, failure_message, operator, created_at, updated_at, principal, till)
             VALUES (?1, ?2, ?3, ?4, 'success', NULL, NULL, ?5, ?6, ?6, ?7, ?8)",
        )?;
        let event = tx.prepare_cached("INSERT INTO order_events (order_no, from_status, to_status, source, at, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        Ok(HistoryWriter { ins, refund, event })
    }

    fn insert(&mut self, h: &HistoryOrder, events: bool) -> Result<()> {
        let bad = |no: &str, what: String| StoreError::Conflict(format!("history order {no}: {what}"));
        let (ins, refund, event) = (&mut self.ins, &mut self.refund, &mut self.event);
        let o = &h.order;
        let no = o.order_no.as_str();
        let refunded: i64 = h.refunds.iter().map(|r| r.amount.fen()).sum();
        let status = match h.status {
            OrderStatus::Success | OrderStatus::Refunded if refunded == o.amount.fen() => OrderStatus::Refunded,
            OrderStatus::Success if refunded < o.amount.fen() => OrderStatus::Success,
            OrderStatus::Success | OrderStatus::Refunded => return Err(bad(no, format!("refunds of {refunded} fen exceed the amount"))),
            OrderStatus::Failed | OrderStatus::Closed if refunded == 0 => h.status,
            OrderStatus::Failed | OrderStatus::Closed => return Err(bad(no, "refunds of an unpaid order".into())),
            OrderStatus::Pending | OrderStatus::Processing => return Err(bad(no, "not in a final state".into())),
        };
        let (fcode, fmsg) = h.failure.clone().unzip();
        let by = o.principal.to_stored();
        ins.execute(named_params! {
            ":no": no, ":kind": o.kind.as_str(), ":method": o.method.as_str(), ":channel": o.channel, ":account": o.account,
            ":amount": o.amount, ":refunded": refunded, ":fee": o.fee, ":status": status.as_str(), ":subject": o.subject,
            ":trade_no": h.channel_trade_no, ":auth": o.auth_code_masked, ":fcode": fcode, ":fmsg": fmsg, ":op": o.operator,
            ":till": o.till, ":idem": o.idempotency_key, ":created": ms(o.created_at), ":updated": ms(h.finished_at),
            ":expires": ms(o.expires_at), ":paid_at": h.paid_at.map(ms), ":by": by, ":by_key": o.principal.key(),
        })
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, Some(m)) if f.code == rusqlite::ErrorCode::ConstraintViolation => bad(no, m),
            other => other.into(),
        })?;
        for r in &h.refunds {
            refund.execute(rusqlite::params![r.refund_no, no, r.amount, r.reason, o.operator, ms(r.completed_at), by, o.till])?;
        }
        if events {
            let created = format!("created {} {} order of {} yuan on account {}", o.method, o.kind.as_str(), o.amount, o.account);
            event.execute(rusqlite::params![no, None::<&str>, "pending", EventSource::User.as_str(), ms(o.created_at), created])?;
            let last = if h.status == OrderStatus::Refunded { OrderStatus::Success } else { h.status };
            event.execute(rusqlite::params![no, "pending", last.as_str(), EventSource::ChannelReply.as_str(), ms(h.finished_at), "imported history"])?;
            for r in &h.refunds {
                let d = format!("refund {} of {} yuan: success", r.refund_no, r.amount);
                event.execute(rusqlite::params![no, None::<&str>, None::<&str>, EventSource::ChannelReply.as_str(), ms(r.completed_at), d])?;
            }
            if status == OrderStatus::Refunded {
                let at = h.refunds.iter().map(|r| r.completed_at).max().unwrap_or(h.finished_at);
                event.execute(rusqlite::params![no, "success", "refunded", EventSource::ChannelReply.as_str(), ms(at), "refunded in full"])?;
            }
        }
        Ok(())
    }
}
