//! The `notify_outbox` and `notify_attempts` tables: merchant notifications written with the
//! state change that causes them, then delivered (and retried) by the deliverer.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, params, OptionalExtension, Row, Transaction};
use serde::Serialize;

use super::{from_ms, ms, Result, Store, StoreError};
use crate::order::{Order, Refund};

/// One notification to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub target: String,
    pub event: String,
    /// The order or refund number it is about.
    pub reference: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed` (attempts exhausted).
    pub status: String,
    pub attempts: u32,
    pub next_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: r.get("id")?,
        target: r.get("target")?,
        event: r.get("event")?,
        reference: r.get("ref")?,
        payload: r.get("payload")?,
        status: r.get("status")?,
        attempts: r.get("attempts")?,
        next_at: from_ms(r.get("next_at")?)?,
        last_error: r.get("last_error")?,
        created_at: from_ms(r.get("created_at")?)?,
        delivered_at: r.get::<_, Option<i64>>("delivered_at")?.map(from_ms).transpose()?,
    })
}

fn enqueue(tx: &Transaction<'_>, targets: &[String], event: &str, reference: &str, payload: &str, now: DateTime<Utc>) -> Result<()> {
    for t in targets {
        tx.execute(
            "INSERT OR IGNORE INTO notify_outbox (target, event, ref, payload, status, attempts, next_at, created_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5)",
            params![t, event, reference, payload, ms(now)],
        )?;
    }
    Ok(())
}

/// Whether this book notifies for a change of a row made by till `of` (the order's or refund's
/// till). A book that has not joined a shared book notifies for everything; a linked till only for
/// its own orders and refunds — another till's, changed here (a callback that reached the wrong
/// till), are notified by their own till when the change reaches it (see `enqueue_pulled`), so
/// across the shop each change is notified once.
fn notifies_here(tx: &Transaction<'_>, of: &str) -> Result<bool> {
    Ok(super::shared::meta(tx, "till")?.is_none_or(|me| me == of))
}

pub(super) fn enqueue_order(tx: &Transaction<'_>, targets: &[String], o: &Order, now: DateTime<Utc>) -> Result<()> {
    if targets.is_empty() || !notifies_here(tx, &o.till)? {
        return Ok(());
    }
    let event = format!("order.{}", o.status.as_str());
    enqueue(tx, targets, &event, o.order_no.as_str(), &crate::notify::order_payload(o, &event, now), now)
}

pub(super) fn enqueue_refund(tx: &Transaction<'_>, targets: &[String], r: &Refund, o: &Order, now: DateTime<Utc>) -> Result<()> {
    let till: Option<String> = tx.prepare_cached("SELECT till FROM refunds WHERE refund_no = ?1")?.query_row([r.refund_no.as_str()], |row| row.get(0)).optional()?.flatten();
    if targets.is_empty() || !notifies_here(tx, till.as_deref().unwrap_or(&o.till))? {
        return Ok(());
    }
    let event = format!("refund.{}", r.status.as_str());
    enqueue(tx, targets, &event, r.refund_no.as_str(), &crate::notify::refund_payload(r, o, &event, now), now)
}

/// A pulled order or refund of this till (`table` is `orders` or `refunds`, `key` its number)
/// whose state the merge just moved from `before` to a final one — another till applied the
/// change — is notified here, as if this till had applied it.
pub(super) fn enqueue_pulled(tx: &Transaction<'_>, targets: &[String], table: &str, key: &str, before: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    if targets.is_empty() {
        return Ok(());
    }
    if table == "orders" {
        let o = super::orders::load_order(tx, key)?;
        if Some(o.status.as_str()) != before && o.status.is_final() {
            enqueue_order(tx, targets, &o, now)?;
        }
    } else if table == "refunds" {
        let r = super::refunds::load_refund(tx, &key.parse().map_err(|e| StoreError::Corrupt(format!("refund number {key}: {e}")))?)?;
        if Some(r.status.as_str()) != before && r.status.is_final() {
            let o = super::orders::load_order(tx, r.order_no.as_str())?;
            enqueue_refund(tx, targets, &r, &o, now)?;
        }
    }
    Ok(())
}

const COLS: &str = "id, target, event, ref, payload, status, attempts, next_at, last_error, created_at, delivered_at";

impl Store {
    /// URLs that get a notification for every final order/refund state from now on.
    pub fn set_notify_targets(&self, urls: Vec<String>) {
        *self.notify_targets.write().unwrap_or_else(|p| p.into_inner()) = urls;
    }

    pub(super) fn targets(&self) -> Vec<String> {
        self.notify_targets.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Pending notifications due at `now`, oldest first.
    pub fn due_notifications(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Notification>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {COLS} FROM notify_outbox WHERE status = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2"))?;
            let rows = st.query_map(params![ms(now), limit], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Records one attempt. `next_at = None` after a success; on failure the row is retried at
    /// `next_at`, or marked failed when `give_up`.
    pub fn record_attempt(&self, id: i64, attempt: &Attempt, delivered: bool, next_at: DateTime<Utc>, give_up: bool) -> Result<Notification> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO notify_attempts (outbox_id, at, http_status, error, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, ms(attempt.at), attempt.http_status, attempt.error, attempt.duration_ms as i64],
            )?;
            let status = if delivered { "delivered" } else if give_up { "failed" } else { "pending" };
            let n = tx.execute(
                "UPDATE notify_outbox SET attempts = attempts + 1, status = :status, next_at = :next, last_error = :err,
                    delivered_at = CASE WHEN :delivered THEN :at ELSE delivered_at END
                 WHERE id = :id AND status = 'pending'",
                named_params! { ":status": status, ":next": ms(next_at), ":err": attempt.error, ":delivered": delivered, ":at": ms(attempt.at), ":id": id },
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("notification {id} is not pending")));
            }
            load(tx, id)
        })
    }

    /// Notifications, newest first, optionally only one status.
    pub fn notifications(&self, status: Option<&str>, limit: u32) -> Result<Vec<Notification>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {COLS} FROM notify_outbox WHERE (?1 IS NULL OR status = ?1) ORDER BY id DESC LIMIT ?2"))?;
            let rows = st.query_map(params![status, limit], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn notification_attempts(&self, id: i64) -> Result<Vec<Attempt>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT at, http_status, error, duration_ms FROM notify_attempts WHERE outbox_id = ?1 ORDER BY id")?;
            let rows = st
                .query_map([id], |r| Ok(Attempt { at: from_ms(r.get(0)?)?, http_status: r.get(1)?, error: r.get(2)?, duration_ms: r.get::<_, i64>(3)?.max(0) as u64 }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Schedules a notification for immediate delivery again (a manual re-send), with a fresh
    /// attempt budget. The attempt log is kept.
    pub fn resend_notification(&self, id: i64, now: DateTime<Utc>) -> Result<Notification> {
        self.write(|tx| {
            let n = tx.execute("UPDATE notify_outbox SET status = 'pending', attempts = 0, next_at = ?1 WHERE id = ?2", params![ms(now), id])?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "notification", id: id.to_string() });
            }
            load(tx, id)
        })
    }
}

fn load(c: &rusqlite::Connection, id: i64) -> Result<Notification> {
    c.query_row(&format!("SELECT {COLS} FROM notify_outbox WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: "notification", id: id.to_string() })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::store;
    use super::*;
    use crate::ids::NumberGen;
    use crate::order::{EventSource, OrderStatus, RefundStatus};
    use crate::store::{NewRefund, OrderPatch};

    #[test]
    fn final_states_enqueue_once_per_target() {
        let (_d, s) = store();
        s.set_notify_targets(vec!["http://127.0.0.1:9/a".into(), "http://127.0.0.1:9/b".into()]);
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let no = g.next_order_no(Utc::now());
        s.insert_order(&super::super::orders::tests::new_order(no.clone(), 1000)).unwrap();
        let now = Utc::now();
        s.apply(&no, OrderStatus::Processing, EventSource::ChannelReply, "qr", &OrderPatch::default(), now).unwrap();
        assert!(s.notifications(None, 10).unwrap().is_empty(), "not final yet");
        for _ in 0..10 {
            s.apply(&no, OrderStatus::Success, EventSource::Callback, "paid", &OrderPatch::default(), now).unwrap();
        }
        let n = s.notifications(None, 10).unwrap();
        assert_eq!(n.len(), 2, "one per target, however many duplicates");
        assert!(n.iter().all(|x| x.event == "order.success" && x.reference == no.as_str()));
        let body: serde_json::Value = serde_json::from_str(&n[0].payload).unwrap();
        assert_eq!(body["order"]["amount"], "10.00");
        // A full refund: refund.success and order.refunded.
        let r = s.insert_refund(&NewRefund { refund_no: g.next_refund_no(now), order_no: no.clone(), amount: crate::Money::from_fen(1000).unwrap(), reason: None, operator: None, principal: crate::Principal::System, created_at: now, idempotency_key: None, kind: Default::default() }).unwrap();
        s.apply_refund(&r.refund_no, RefundStatus::Success, None, None, EventSource::ChannelReply, now).unwrap();
        let mut events: Vec<String> = s.notifications(None, 10).unwrap().into_iter().map(|x| x.event).collect();
        events.sort();
        events.dedup();
        assert_eq!(events, ["order.refunded", "order.success", "refund.success"]);
    }

    #[test]
    fn attempts_retry_give_up_and_resend() {
        let (_d, s) = store();
        s.set_notify_targets(vec!["http://127.0.0.1:9/x".into()]);
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let no = g.next_order_no(Utc::now());
        s.insert_order(&super::super::orders::tests::new_order(no.clone(), 100)).unwrap();
        let now = Utc::now();
        s.apply(&no, OrderStatus::Failed, EventSource::ChannelReply, "declined", &OrderPatch::default(), now).unwrap();
        let due = s.due_notifications(now, 10).unwrap();
        assert_eq!(due.len(), 1);
        let id = due[0].id;
        let fail = Attempt { at: now, http_status: Some(503), error: Some("HTTP 503".into()), duration_ms: 3 };
        let later = now + chrono::Duration::seconds(1);
        let n = s.record_attempt(id, &fail, false, later, false).unwrap();
        assert_eq!((n.status.as_str(), n.attempts), ("pending", 1));
        assert!(s.due_notifications(now, 10).unwrap().is_empty(), "not due before its retry time");
        let n = s.record_attempt(id, &fail, false, later, true).unwrap();
        assert_eq!(n.status, "failed");
        assert!(s.record_attempt(id, &fail, false, later, false).is_err(), "a failed row takes no attempts");
        let n = s.resend_notification(id, later).unwrap();
        assert_eq!((n.status.as_str(), n.attempts), ("pending", 0));
        let ok = Attempt { at: later, http_status: Some(200), error: None, duration_ms: 2 };
        let n = s.record_attempt(id, &ok, true, later, false).unwrap();
        assert_eq!(n.status, "delivered");
        assert_eq!(s.notification_attempts(id).unwrap().len(), 3);
    }
}
