//! The `refunds` table. A refund reserves its amount when written: the sum of an order's
//! successful and in-flight refunds never exceeds what was paid.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, OptionalExtension, Row};

use super::orders::{apply_in, insert_event, load_order};
use super::{from_ms, ms, parse_col, Applied, OrderPatch, Result, Store, StoreError};
use crate::ids::{OrderNo, RefundNo};
use crate::money::Money;
use crate::order::{refund_transition, EventNote, EventSource, OrderStatus, Refund, RefundKind, RefundStatus};
use crate::principal::Principal;

#[derive(Debug, Clone)]
pub struct NewRefund {
    pub refund_no: RefundNo,
    pub order_no: OrderNo,
    pub amount: Money,
    pub reason: Option<String>,
    /// A label from the client (never trusted).
    pub operator: Option<String>,
    /// Who asks for the refund, as authenticated.
    pub principal: Principal,
    pub created_at: DateTime<Utc>,
    /// A client's key: the same key never makes a second refund.
    pub idempotency_key: Option<String>,
    /// A refund, or the same-day revoke of the whole payment.
    pub kind: RefundKind,
}

const COLS: &str = "refund_no, order_no, amount, reason, status, channel_refund_no, failure_message, operator, created_at, updated_at, principal, shift_no, kind";

fn refund_from_row(r: &Row<'_>) -> rusqlite::Result<Refund> {
    Ok(Refund {
        shift_no: r.get("shift_no")?,
        refund_no: r.get("refund_no")?,
        order_no: r.get("order_no")?,
        kind: parse_col(r, "kind")?,
        amount: r.get("amount")?,
        reason: r.get("reason")?,
        status: parse_col(r, "status")?,
        channel_refund_no: r.get("channel_refund_no")?,
        failure_message: r.get("failure_message")?,
        operator: r.get("operator")?,
        principal: Principal::from_stored(r.get::<_, Option<String>>("principal")?.as_deref()),
        created_at: from_ms(r.get("created_at")?)?,
        updated_at: from_ms(r.get("updated_at")?)?,
    })
}

pub(super) fn refunds_of(c: &rusqlite::Connection, no: &OrderNo) -> Result<Vec<Refund>> {
    let mut st = c.prepare(&format!("SELECT {COLS} FROM refunds WHERE order_no = ?1 ORDER BY created_at, refund_no"))?;
    let rows = st.query_map([no], refund_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn load_refund(c: &rusqlite::Connection, no: &RefundNo) -> Result<Refund> {
    c.query_row(&format!("SELECT {COLS} FROM refunds WHERE refund_no = ?1"), [no], refund_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: "refund", id: no.to_string() })
}

/// Writes a `Pending` refund inside `tx`, in the till's open shift (see [`Store::insert_refund`]).
pub(super) fn insert_refund_in(tx: &rusqlite::Transaction<'_>, ctx: &super::TillContext, r: &NewRefund) -> Result<Refund> {
    let order = load_order(tx, r.order_no.as_str())?;
    if order.status != OrderStatus::Success {
        return Err(StoreError::Conflict(format!("order {} is {}, only paid orders can be refunded", order.order_no, order.status)));
    }
    let in_flight: i64 = tx.query_row(
        "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE order_no = ?1 AND status IN ('pending','processing')",
        [&r.order_no],
        |row| row.get(0),
    )?;
    if r.kind == RefundKind::Revoke && (order.refunded.fen() > 0 || in_flight > 0 || r.amount != order.amount) {
        return Err(StoreError::Conflict(format!(
            "order {} has refunds already: a revoke undoes the whole payment, refund what is left instead",
            order.order_no
        )));
    }
    let left = order.amount.fen() - order.refunded.fen() - in_flight;
    if r.amount.fen() > left {
        return Err(StoreError::Conflict(format!(
            "amount: refund of {} yuan exceeds the {} yuan that can still be refunded",
            r.amount,
            crate::money::format_signed_fen(left.max(0))
        )));
    }
    let shift = super::shifts::shift_for_write(tx, ctx, &ctx.till, r.created_at)?;
    tx.execute(
        &format!(
            "INSERT INTO refunds ({COLS}, idempotency_key, till) VALUES (:no, :order, :amount, :reason, 'pending', NULL, NULL, :op, :at, :at, :by, :shift, :kind, :key,
                COALESCE((SELECT value FROM sync_meta WHERE key = 'till'), (SELECT till FROM orders WHERE order_no = :order)))"
        ),
        named_params! { ":no": r.refund_no, ":order": r.order_no, ":amount": r.amount, ":reason": r.reason, ":op": r.operator, ":at": ms(r.created_at), ":by": r.principal.to_stored(), ":shift": shift, ":kind": r.kind.as_str(), ":key": r.idempotency_key },
    )?;
    let (no, amount) = (r.refund_no.to_string(), r.amount.to_string());
    let note = match r.kind {
        RefundKind::Refund => EventNote::coded("refund_requested", &[("refund_no", &no), ("amount", &amount)], format!("refund {no} of {amount} yuan requested")),
        RefundKind::Revoke => EventNote::coded("revoke_requested", &[("refund_no", &no), ("amount", &amount)], format!("same-day revoke {no} of the whole {amount} yuan requested")),
    }
    .by(&r.principal);
    insert_event(tx, &r.order_no, None, None, EventSource::User, r.created_at, note)?;
    load_refund(tx, &r.refund_no)
}

impl Store {
    /// Writes a `Pending` refund if the order is paid and the amount fits what is left
    /// after successful and in-flight refunds. Otherwise writes nothing.
    pub fn insert_refund(&self, r: &NewRefund) -> Result<Refund> {
        let ctx = self.context();
        self.write(|tx| insert_refund_in(tx, &ctx, r))
    }

    /// The refund a client created with this idempotency key, if any.
    pub fn refund_by_idempotency_key(&self, key: &str) -> Result<Option<Refund>> {
        self.read(|c| Ok(c.query_row(&format!("SELECT {COLS} FROM refunds WHERE idempotency_key = ?1"), [key], refund_from_row).optional()?))
    }

    pub fn refund(&self, no: &RefundNo) -> Result<Refund> {
        self.read(|c| load_refund(c, no))
    }

    pub fn refunds_of(&self, order: &OrderNo) -> Result<Vec<Refund>> {
        self.read(|c| refunds_of(c, order))
    }

    /// Refunds not yet final (for recovery).
    pub fn open_refunds(&self) -> Result<Vec<Refund>> {
        self.read(|c| {
            // On a shared book: the refunds this till asked for (the others follow theirs).
            let mut st = c.prepare(&format!("SELECT {COLS} FROM refunds WHERE status IN ('pending','processing') AND {} ORDER BY created_at", super::OWN))?;
            let rows = st.query_map([], refund_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Moves a refund to `to`. On success the order's refunded amount grows, and when it reaches
    /// the paid amount the order becomes `Refunded` — all in one transaction.
    pub fn apply_refund(
        &self,
        no: &RefundNo,
        to: RefundStatus,
        channel_refund_no: Option<&str>,
        failure: Option<&str>,
        source: EventSource,
        now: DateTime<Utc>,
    ) -> Result<Applied<Refund>> {
        let targets = self.targets();
        self.write(|tx| apply_refund_in(tx, &targets, no, to, channel_refund_no, failure, source, now))
    }
}

/// [`Store::apply_refund`] inside `tx`.
#[allow(clippy::too_many_arguments)] // the change (to, numbers, failure, source) plus where and when
pub(super) fn apply_refund_in(
    tx: &rusqlite::Transaction<'_>,
    targets: &[String],
    no: &RefundNo,
    to: RefundStatus,
    channel_refund_no: Option<&str>,
    failure: Option<&str>,
    source: EventSource,
    now: DateTime<Utc>,
) -> Result<Applied<Refund>> {
    let cur = load_refund(tx, no)?;
    match refund_transition(cur.status, to) {
        Ok(false) => return Ok(Applied::Unchanged(cur)),
        Ok(true) => {}
        Err((from, to)) => {
            return Err(StoreError::Conflict(format!("refund {no} cannot go from {} to {}", from.as_str(), to.as_str())));
        }
    }
    let n = tx.execute(
        "UPDATE refunds SET status = :to, updated_at = :now, channel_refund_no = COALESCE(:crn, channel_refund_no),
            failure_message = COALESCE(:fail, failure_message) WHERE refund_no = :no AND status = :old",
        named_params! { ":to": to.as_str(), ":now": ms(now), ":crn": channel_refund_no, ":fail": failure, ":no": no, ":old": cur.status.as_str() },
    )?;
    if n == 0 {
        return Ok(Applied::Unchanged(load_refund(tx, no)?));
    }
    let (refund_no, amount) = (no.to_string(), cur.amount.to_string());
    let (code, word) = match cur.kind {
        RefundKind::Refund => ("refund_status", "refund"),
        RefundKind::Revoke => ("revoke_status", "revoke"),
    };
    let mut detail = format!("{word} {refund_no} of {amount} yuan: {}", to.as_str());
    if let Some(f) = failure {
        detail.push_str(&format!(" ({f})"));
    }
    let args = [("refund_no", refund_no.as_str()), ("amount", amount.as_str()), ("status", to.as_str()), ("error", failure.unwrap_or(""))];
    insert_event(tx, &cur.order_no, None, None, source, now, EventNote::coded(code, &args, detail))?;
    if to == RefundStatus::Success {
        tx.execute(
            "UPDATE orders SET refunded = refunded + ?1, updated_at = ?2 WHERE order_no = ?3",
            rusqlite::params![cur.amount, ms(now), cur.order_no],
        )?;
        let order = load_order(tx, cur.order_no.as_str())?;
        if order.refunded == order.amount {
            let why = match cur.kind {
                RefundKind::Revoke => EventNote::coded("revoked", &[], "revoked the same day"),
                RefundKind::Refund => EventNote::coded("refunded_in_full", &[], "refunded in full"),
            };
            apply_in(tx, targets, &cur.order_no, OrderStatus::Refunded, source, why, &OrderPatch::default(), now)?;
        }
    }
    let refund = load_refund(tx, no)?;
    if to.is_final() {
        super::outbox::enqueue_refund(tx, targets, &refund, &load_order(tx, cur.order_no.as_str())?, now)?;
    }
    Ok(Applied::Changed(refund))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::store;
    use super::*;
    use crate::ids::NumberGen;

    #[test]
    fn partial_then_full_refund() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let no = g.next_order_no(Utc::now());
        let mut o = super::super::orders::tests::new_order(no.clone(), 1000);
        o.kind = crate::order::PayKind::Barcode;
        s.insert_order(&o).unwrap();
        let now = Utc::now();
        let mk = |fen| NewRefund { refund_no: g.next_refund_no(now), order_no: no.clone(), amount: Money::from_fen(fen).unwrap(), reason: None, operator: None, principal: Principal::System, created_at: now, idempotency_key: None, kind: RefundKind::Refund };
        // Not paid yet: refused, nothing written.
        assert!(matches!(s.insert_refund(&mk(100)), Err(StoreError::Conflict(_))));
        s.apply(&no, OrderStatus::Success, EventSource::ChannelReply, "paid", &OrderPatch::default(), now).unwrap();
        let r1 = s.insert_refund(&mk(400)).unwrap();
        // In-flight refunds reserve their amount.
        let err = s.insert_refund(&mk(700)).unwrap_err().to_string();
        assert!(err.contains("6.00"), "{err}");
        s.apply_refund(&r1.refund_no, RefundStatus::Success, Some("CR1"), None, EventSource::ChannelReply, now).unwrap();
        // Duplicate success: no double counting.
        assert!(!s.apply_refund(&r1.refund_no, RefundStatus::Success, None, None, EventSource::Callback, now).unwrap().changed());
        let ord = s.order(&no).unwrap();
        assert_eq!((ord.status, ord.refunded.fen()), (OrderStatus::Success, 400));
        let r2 = s.insert_refund(&mk(600)).unwrap();
        s.apply_refund(&r2.refund_no, RefundStatus::Success, None, None, EventSource::ChannelReply, now).unwrap();
        let ord = s.order(&no).unwrap();
        assert_eq!((ord.status, ord.refunded.fen()), (OrderStatus::Refunded, 1000));
        assert!(s.insert_refund(&mk(1)).is_err());
        assert_eq!(s.refunds_of(&no).unwrap().len(), 2);
        assert!(s.open_refunds().unwrap().is_empty());
    }

    #[test]
    fn failed_refund_releases_reservation() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let no = g.next_order_no(Utc::now());
        s.insert_order(&super::super::orders::tests::new_order(no.clone(), 500)).unwrap();
        let now = Utc::now();
        s.apply(&no, OrderStatus::Success, EventSource::Poll, "paid", &OrderPatch::default(), now).unwrap();
        let r = s.insert_refund(&NewRefund { refund_no: g.next_refund_no(now), order_no: no.clone(), amount: Money::from_fen(500).unwrap(), reason: Some("x".into()), operator: None, principal: Principal::System, created_at: now, idempotency_key: None, kind: RefundKind::Refund }).unwrap();
        s.apply_refund(&r.refund_no, RefundStatus::Failed, None, Some("balance"), EventSource::ChannelReply, now).unwrap();
        assert!(s.apply_refund(&r.refund_no, RefundStatus::Success, None, None, EventSource::Callback, now).is_err());
        s.insert_refund(&NewRefund { refund_no: g.next_refund_no(now), order_no: no, amount: Money::from_fen(500).unwrap(), reason: None, operator: None, principal: Principal::System, created_at: now, idempotency_key: None, kind: RefundKind::Refund }).unwrap();
    }
}
