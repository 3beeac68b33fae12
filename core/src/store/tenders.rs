//! Tenders taken at the till (cash, card terminal, voucher): written paid, with their shift, in
//! one transaction; their refunds written completed (the money changes hands at the counter).
//!
//! Invariant: a tender exists only in a cashier's open shift at its till — a system shift has no
//! drawer — and never has an account, a channel call or a follow-up.

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use super::orders::{insert_event, insert_row, load_order};
use super::refunds::{apply_refund_in, insert_refund_in};
use super::{NewOrder, NewRefund, Result, Store, StoreError, TillContext};
use crate::money::Money;
use crate::order::{EventNote, EventSource, Order, OrderStatus, PayKind, Refund, RefundStatus};
use crate::till::ShiftKind;

/// The cashier's shift open at `till`, or why a tender cannot be taken.
fn cashier_shift(tx: &Transaction<'_>, till: &str) -> Result<String> {
    match super::shifts::open_shift_in(tx, till)? {
        Some(s) if s.kind == ShiftKind::Cashier => Ok(s.shift_no),
        Some(s) => Err(StoreError::Conflict(format!("shift {} was opened by Paydesk for remote payments and has no drawer; open a cashier's shift first", s.shift_no))),
        None => Err(StoreError::Conflict(format!("no shift is open at till {till}; open a shift first"))),
    }
}

impl Store {
    /// Writes a tender, already paid, in the till's cashier shift: `tendered` is the cash handed
    /// over (at least the amount), `reference` the card terminal's reference or the voucher's number.
    pub fn insert_tender(&self, o: &NewOrder, tendered: Option<Money>, reference: Option<&str>, note: EventNote) -> Result<Order> {
        if o.kind != PayKind::Tender || !o.method.is_tender() {
            return Err(StoreError::Conflict(format!("{} is not a tender", o.method)));
        }
        let targets = self.targets();
        self.write(|tx| {
            let shift = cashier_shift(tx, &o.till)?;
            insert_row(tx, o, "success", &shift, tendered, reference)?;
            let (method, amount) = (o.method.to_string(), o.amount.to_string());
            let created = EventNote::coded("created", &[("method", &method), ("kind", "tender"), ("amount", &amount), ("account", "")], format!("recorded {method} of {amount} yuan at the till"));
            insert_event(tx, &o.order_no, None, Some(OrderStatus::Pending), EventSource::User, o.created_at, created)?;
            insert_event(tx, &o.order_no, Some(OrderStatus::Pending), Some(OrderStatus::Success), EventSource::User, o.created_at, note)?;
            let order = load_order(tx, o.order_no.as_str())?;
            super::outbox::enqueue_order(tx, &targets, &order, o.created_at)?;
            Ok(order)
        })
    }

    /// Refunds a tender at the counter: written and completed in one transaction, in the
    /// cashier's shift open at this till (a cash refund comes out of its drawer).
    pub fn refund_tender(&self, r: &NewRefund, now: DateTime<Utc>) -> Result<Refund> {
        let ctx: TillContext = self.context();
        let targets = self.targets();
        self.write(|tx| {
            let order = load_order(tx, r.order_no.as_str())?;
            if order.kind != PayKind::Tender {
                return Err(StoreError::Conflict(format!("order {} was paid through {}; refund it through its channel", order.order_no, order.channel)));
            }
            cashier_shift(tx, &ctx.till)?;
            let refund = insert_refund_in(tx, &ctx, r)?;
            Ok(apply_refund_in(tx, &targets, &refund.refund_no, RefundStatus::Success, None, None, EventSource::User, now)?.into_inner())
        })
    }
}
