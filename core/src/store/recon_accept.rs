//! Accepting payments taken outside Paydesk into the book: each accepted statement line becomes an
//! external sale (an order of origin `external`, paid) or a successful refund of one, written with
//! its history event, and its discrepancy is marked fixed with the accountant's note — all lines
//! of a batch in one transaction, or none.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{ms, Result, Store, StoreError};
use crate::order::{EventNote, EventSource, Method, OrderStatus};

/// One statement line to accept (money in fen, times UTC).
#[derive(Clone, Debug)]
pub struct ExternalLine {
    pub item_id: i64,
    pub account: String,
    pub channel: String,
    pub method: Method,
    pub till: String,
    pub channel_trade_no: String,
    pub at: DateTime<Utc>,
    pub kind: ExternalKind,
}

#[derive(Clone, Debug)]
pub enum ExternalKind {
    /// A payment: becomes order `order_no`.
    Payment { order_no: String, amount: i64, fee: i64 },
    /// A refund of the external sale `order_no`: becomes refund `refund_no`.
    Refund { order_no: String, refund_no: String, amount: i64 },
}

fn conflict(e: rusqlite::Error, what: &str) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => StoreError::Conflict(format!("{what} is in the book already")),
        other => other.into(),
    }
}

impl Store {
    /// Writes the external sales and refunds of `lines` (payments first), marks their
    /// discrepancies fixed with `note` and the action `accept`. One transaction.
    pub fn accept_external(&self, lines: &[ExternalLine], note: &str, by: &crate::Principal, now: DateTime<Utc>) -> Result<()> {
        let (who, by_key) = (by.to_stored(), by.key());
        let actor = match by {
            crate::Principal::User { name, .. } => Some(name.as_str()),
            _ => None,
        };
        self.write(|tx| {
            let mut order = tx.prepare_cached(
                "INSERT INTO orders (order_no, kind, method, channel, account, amount, refunded, fee, status, subject, channel_trade_no, till, operator, created_at, updated_at, expires_at, paid_at, origin, principal, principal_key) \
                 VALUES (?1, 'qr', ?2, ?3, ?4, ?5, 0, ?6, 'success', '外部收款 external sale', ?7, ?8, ?9, ?10, ?11, ?10, ?10, 'external', ?12, ?13)",
            )?;
            let mut refund = tx.prepare_cached(
                "INSERT INTO refunds (refund_no, order_no, amount, reason, status, channel_refund_no, operator, created_at, updated_at, principal) VALUES (?1, ?2, ?3, ?4, 'success', ?5, ?6, ?7, ?7, ?8)",
            )?;
            let mut item = tx.prepare_cached("UPDATE recon_items SET state = 'fixed', note = ?2, updated_at = ?3 WHERE id = ?1 AND state != 'fixed' AND superseded_by IS NULL")?;
            let mut act = tx.prepare_cached("INSERT INTO recon_actions (item_id, action, outcome, note, actor, at) VALUES (?1, 'accept', ?2, ?3, ?4, ?5)")?;
            let mut sorted: Vec<&ExternalLine> = lines.iter().collect();
            sorted.sort_by_key(|l| matches!(l.kind, ExternalKind::Refund { .. }));
            for l in sorted {
                let booked = match &l.kind {
                    ExternalKind::Payment { order_no, amount, fee } => {
                        order.execute(params![order_no, l.method.as_str(), l.channel, l.account, amount, fee, l.channel_trade_no, l.till, actor, ms(l.at), ms(now), who, by_key]).map_err(|e| conflict(e, &format!("external sale {order_no}")))?;
                        let no = order_no.parse().map_err(|e: crate::ids::IdError| StoreError::Corrupt(e.to_string()))?;
                        let text = format!("external sale accepted from the statement (trade {}): {note}", l.channel_trade_no);
                        let ev = EventNote::coded("accepted_external", &[("trade_no", &l.channel_trade_no), ("note", note)], text).by(by);
                        super::orders::insert_event(tx, &no, None, Some(OrderStatus::Success), EventSource::Reconcile, now, ev)?;
                        format!("booked as external sale {order_no}")
                    }
                    ExternalKind::Refund { order_no, refund_no, amount } => {
                        let (status, amt, refunded): (String, i64, i64) = tx
                            .query_row("SELECT status, amount, refunded FROM orders WHERE order_no = ?1 AND account = ?2", params![order_no, l.account], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                            .map_err(|_| StoreError::Conflict(format!("the external sale {order_no} this refund belongs to is not in the book: accept its payment first")))?;
                        if status != "success" || refunded + amount > amt {
                            return Err(StoreError::Conflict(format!("the refund of {} does not fit the external sale {order_no} ({status}, {} of {} refunded)", crate::money::format_signed_fen(*amount), crate::money::format_signed_fen(refunded), crate::money::format_signed_fen(amt))));
                        }
                        refund.execute(params![refund_no, order_no, amount, "外部退款 external refund", l.channel_trade_no, actor, ms(l.at), who]).map_err(|e| conflict(e, &format!("external refund {refund_no}")))?;
                        let full = refunded + amount == amt;
                        tx.execute(
                            "UPDATE orders SET refunded = refunded + ?2, status = CASE WHEN ?3 THEN 'refunded' ELSE status END, updated_at = ?4 WHERE order_no = ?1",
                            params![order_no, amount, full, ms(now)],
                        )?;
                        let no = order_no.parse().map_err(|e: crate::ids::IdError| StoreError::Corrupt(e.to_string()))?;
                        let text = format!("external refund {refund_no} accepted from the statement: {note}");
                        let to = full.then_some(OrderStatus::Refunded);
                        super::orders::insert_event(tx, &no, to.map(|_| OrderStatus::Success), to, EventSource::Reconcile, now, EventNote::coded("accepted_external_refund", &[("refund_no", refund_no), ("note", note)], text).by(by))?;
                        format!("booked as external refund {refund_no} of {order_no}")
                    }
                };
                if item.execute(params![l.item_id, note, ms(now)])? == 0 {
                    return Err(StoreError::Conflict(format!("discrepancy {} is no longer open to accept", l.item_id)));
                }
                act.execute(params![l.item_id, booked, note, actor.map(str::to_string).unwrap_or_else(|| by_key.clone()), ms(now)])?;
            }
            Ok(())
        })
    }
}
