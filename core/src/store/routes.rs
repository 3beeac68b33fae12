//! Routing in the book: the `order_routes` table (each order's routing decision), fallback
//! chains of orders, and the day's usage per cashier and till (for daily limits).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::orders::{insert_event, insert_order_in};
use super::{ms, NewOrder, Result, Store, StoreError};
use crate::ids::OrderNo;
use crate::money::Money;
use crate::order::{EventSource, Order};
use crate::principal::Principal;
use crate::routing::decision::RouteDecision;
use crate::routing::limits::Usage;

fn write_route(tx: &Transaction<'_>, d: &RouteDecision, now: DateTime<Utc>) -> Result<()> {
    let json = serde_json::to_string(d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut st = tx.prepare_cached(
        "INSERT INTO order_routes (order_no, decision, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(order_no) DO UPDATE SET decision = excluded.decision, updated_at = excluded.updated_at",
    )?;
    for a in &d.attempts {
        st.execute(params![a.order_no, json, ms(now)])?;
    }
    Ok(())
}

pub(super) fn route_of(c: &Connection, no: &OrderNo) -> Result<Option<RouteDecision>> {
    let json: Option<String> = c.prepare_cached("SELECT decision FROM order_routes WHERE order_no = ?1")?.query_row([no], |r| r.get(0)).optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(format!("routing decision of {no}: {e}")))).transpose()
}

/// Whose usage.
#[derive(Clone, Copy, Debug)]
pub enum UsageOf<'a> {
    /// Orders taken by this authenticated principal (never by an `operator` label).
    Principal(&'a Principal),
    Till(&'a str),
}

impl Store {
    /// Writes a new order together with its routing decision (whose last attempt is this order).
    pub fn insert_routed_order(&self, o: &NewOrder, decision: &RouteDecision) -> Result<Order> {
        let ctx = self.context();
        self.write(|tx| {
            let order = insert_order_in(tx, &ctx, o)?;
            write_route(tx, decision, o.created_at)?;
            Ok(order)
        })
    }

    /// Writes the next attempt of a fallback chain, in one transaction: the previous attempt
    /// gives up the sale's idempotency key (it moves to the new order) and gets an event naming
    /// its successor; with `expire_prev`, its expiry moves to that time so the follower closes it
    /// at its channel at once; the new order and the decision (for every order of the chain)
    /// are written.
    pub fn insert_fallback_order(&self, prev: &OrderNo, o: &NewOrder, decision: &RouteDecision, note: &str, expire_prev: Option<DateTime<Utc>>) -> Result<Order> {
        let ctx = self.context();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE orders SET idempotency_key = NULL, expires_at = COALESCE(?2, expires_at), updated_at = ?3 WHERE order_no = ?1",
                params![prev, expire_prev.map(ms), ms(o.created_at)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "order", id: prev.to_string() });
            }
            insert_event(tx, prev, None, None, EventSource::User, o.created_at, note)?;
            let order = insert_order_in(tx, &ctx, o)?;
            write_route(tx, decision, o.created_at)?;
            Ok(order)
        })
    }

    /// Saves a decision again (an attempt's outcome changed) for every order of its chain.
    pub fn save_route(&self, decision: &RouteDecision, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| write_route(tx, decision, now))
    }

    /// The routing decision recorded with an order (none for orders made before routing was
    /// recorded).
    pub fn route(&self, no: &OrderNo) -> Result<Option<RouteDecision>> {
        self.read(|c| route_of(c, no))
    }

    /// Payments taken (or still being taken) since `from` by a principal or a till: orders that
    /// are pending, processing, paid or refunded. Failed and closed attempts take no money.
    pub fn usage_since(&self, of: UsageOf<'_>, from: DateTime<Utc>) -> Result<Usage> {
        let (sql, who) = match of {
            UsageOf::Principal(p) => ("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM orders WHERE principal_key = ?1 AND created_at >= ?2 AND status IN ('pending','processing','success','refunded') AND kind != 'tender'", p.key()),
            UsageOf::Till(t) => ("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM orders WHERE till = ?1 AND created_at >= ?2 AND status IN ('pending','processing','success','refunded') AND kind != 'tender'", t.to_string()),
        };
        self.read(|c| {
            let (count, fen): (i64, i64) = c.prepare_cached(sql)?.query_row(params![who, ms(from)], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(Usage {
                count: u32::try_from(count).unwrap_or(u32::MAX),
                amount: Money::from_fen(fen).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{new_order, store};
    use super::*;
    use crate::ids::NumberGen;
    use crate::order::{Method, OrderStatus, PayKind};
    use crate::routing::decision::{Attempt, Outcome, RouteMode};
    use crate::store::OrderPatch;

    fn decision(attempts: Vec<Attempt>) -> RouteDecision {
        RouteDecision { at: Utc::now(), method: Method::Sandbox, kind: PayKind::Qr, mode: RouteMode::Auto, channel_filter: None, fallback: true, candidates: vec![], skipped: vec![], attempts }
    }

    fn attempt(no: &OrderNo, outcome: Outcome) -> Attempt {
        Attempt { order_no: no.clone(), account: "sb".into(), at: Utc::now(), outcome }
    }

    #[test]
    fn fallback_moves_the_key_and_records_the_chain() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let mut a = new_order(g.next_order_no(Utc::now()), 500);
        a.idempotency_key = Some("sale-1".into());
        let d1 = decision(vec![attempt(&a.order_no, Outcome::InProgress)]);
        s.insert_routed_order(&a, &d1).unwrap();
        assert_eq!(s.route(&a.order_no).unwrap(), Some(d1));

        let mut b = new_order(g.next_order_no(Utc::now()), 500);
        b.idempotency_key = Some("sale-1".into());
        let d2 = decision(vec![attempt(&a.order_no, Outcome::NotReached { code: "unreachable".into(), message: "down".into() }), attempt(&b.order_no, Outcome::InProgress)]);
        let soon = Utc::now();
        s.insert_fallback_order(&a.order_no, &b, &d2, "superseded", Some(soon)).unwrap();
        assert_eq!(s.order_by_idempotency_key("sale-1").unwrap().unwrap().order_no, b.order_no, "the key moved to the new attempt");
        let old = s.order(&a.order_no).unwrap();
        assert_eq!((old.idempotency_key, old.expires_at.timestamp_millis()), (None, soon.timestamp_millis()));
        assert_eq!(s.route(&a.order_no).unwrap(), Some(d2.clone()), "both orders show the whole chain");
        assert_eq!(s.route(&b.order_no).unwrap(), Some(d2));
        assert_eq!(s.order_detail(&a.order_no).unwrap().events.last().unwrap().detail, "superseded");

        // A failed fallback writes nothing: the key stays where it was.
        let c = new_order(b.order_no.clone(), 500);
        assert!(s.insert_fallback_order(&a.order_no, &c, &decision(vec![]), "x", None).is_err());
        assert_eq!(s.order_by_idempotency_key("sale-1").unwrap().unwrap().order_no, b.order_no);
    }

    #[test]
    fn usage_counts_money_taken_or_in_flight() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let start = Utc::now() - chrono::Duration::seconds(1);
        let wang = Principal::user("王芳", crate::auth::Role::Cashier);
        for (fen, end) in [(100, None), (200, Some(OrderStatus::Success)), (400, Some(OrderStatus::Failed)), (800, Some(OrderStatus::Closed))] {
            let mut o = new_order(g.next_order_no(Utc::now()), fen);
            o.principal = wang.clone();
            s.insert_order(&o).unwrap();
            if let Some(to) = end {
                s.apply(&o.order_no, to, EventSource::ChannelReply, "x", &OrderPatch::default(), Utc::now()).unwrap();
            }
        }
        // A label naming her is not her: it does not count as her usage.
        let mut o = new_order(g.next_order_no(Utc::now()), 1600);
        (o.operator, o.principal) = (Some("王芳".into()), Principal::api_key("k1", "POS"));
        s.insert_order(&o).unwrap();
        let u = s.usage_since(UsageOf::Principal(&wang), start).unwrap();
        assert_eq!((u.count, u.amount.fen()), (2, 300));
        assert_eq!(s.usage_since(UsageOf::Principal(&Principal::user("李雷", crate::auth::Role::Cashier)), start).unwrap().count, 0);
        assert_eq!(s.usage_since(UsageOf::Principal(&Principal::api_key("k1", "POS")), start).unwrap().amount.fen(), 1600);
        assert_eq!(s.usage_since(UsageOf::Till("T1"), start).unwrap().count, 3);
        assert_eq!(s.usage_since(UsageOf::Till("T1"), Utc::now() + chrono::Duration::seconds(5)).unwrap().count, 0);
    }

    #[test]
    fn accounts_rev_grows_with_every_change() {
        let (_d, s) = store();
        let r0 = s.accounts_rev().unwrap();
        let mut a = s.account("sb").unwrap();
        a.priority = 1;
        s.upsert_account(&a).unwrap();
        let r1 = s.accounts_rev().unwrap();
        assert!(r1 > r0);
        let entry = crate::store::AuditEntry { at: Utc::now(), actor: Some("x".into()), role: None, action: "account_settings".into(), target: Some("sb".into()), outcome: crate::store::Outcome::Ok, detail: "priority 10 → 1".into() };
        s.upsert_account_audited(&a, &entry).unwrap();
        assert!(s.accounts_rev().unwrap() > r1);
        assert_eq!(s.audit_log(1).unwrap()[0].detail, "priority 10 → 1");
    }
}
