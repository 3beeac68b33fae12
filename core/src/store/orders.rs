//! The `orders` and `order_events` tables.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, params, OptionalExtension, Row, Transaction};

use super::{from_ms, ms, parse_col, Applied, OrderDetail, Result, Store, StoreError};
use crate::ids::OrderNo;
use crate::money::Money;
use crate::order::{transition, EventNote, EventSource, Method, Order, OrderEvent, OrderStatus, PayKind};
use crate::principal::Principal;

/// A new order, as written before any channel is called.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order_no: OrderNo,
    pub kind: PayKind,
    pub method: Method,
    pub channel: String,
    pub account: String,
    pub amount: Money,
    pub fee: Money,
    pub subject: String,
    pub auth_code_masked: Option<String>,
    /// A label from the client (never trusted; see [`Order::operator`]).
    pub operator: Option<String>,
    /// Who takes the payment, as authenticated.
    pub principal: Principal,
    pub till: String,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Part of a split sale: the sale's id and total (its other tenders share them).
    pub sale: Option<SalePart>,
}

/// The split sale an order is one tender of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalePart {
    pub id: String,
    pub total: Money,
}

/// The `account` column: tenders have none.
pub(super) fn account_col(kind: PayKind, account: &str) -> Option<&str> {
    match kind {
        PayKind::Qr | PayKind::Barcode => Some(account),
        PayKind::Tender => None,
    }
}

/// Fields written together with a status change (only the `Some` ones).
#[derive(Debug, Clone, Default)]
pub struct OrderPatch {
    pub channel_trade_no: Option<String>,
    pub qr_code: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub failure: Option<(String, String)>,
}

/// Filters for order lists; all optional.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub channel: Option<String>,
    pub account: Option<String>,
    pub method: Option<Method>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub min_amount: Option<Money>,
    pub max_amount: Option<Money>,
    /// Matches order number or channel trade number (substring).
    pub text: Option<String>,
    /// The payment code's last digits (the book keeps the last four).
    pub code_tail: Option<String>,
    /// Taken by this cashier.
    pub operator: Option<String>,
    /// Taken in this shift.
    pub shift_no: Option<String>,
    pub kind: Option<PayKind>,
    /// Only orders of these tills (a store, or one till of a chain).
    pub tills: Option<Vec<crate::ids::TillId>>,
    pub limit: Option<u32>,
}

const ORDER_COLS: &str = "order_no, kind, method, channel, account, amount, refunded, fee, status, subject, channel_trade_no, \
    qr_code, auth_code_masked, failure_code, failure_message, operator, till, idempotency_key, created_at, updated_at, \
    expires_at, paid_at, principal, shift_no, tendered, sale_id, sale_total, origin";

fn order_from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        order_no: r.get("order_no")?,
        kind: parse_col(r, "kind")?,
        method: parse_col(r, "method")?,
        channel: r.get("channel")?,
        account: r.get::<_, Option<String>>("account")?.unwrap_or_default(),
        amount: r.get("amount")?,
        refunded: r.get("refunded")?,
        fee: r.get("fee")?,
        status: parse_col(r, "status")?,
        subject: r.get("subject")?,
        channel_trade_no: r.get("channel_trade_no")?,
        qr_code: r.get("qr_code")?,
        auth_code_masked: r.get("auth_code_masked")?,
        failure_code: r.get("failure_code")?,
        failure_message: r.get("failure_message")?,
        operator: r.get("operator")?,
        principal: Principal::from_stored(r.get::<_, Option<String>>("principal")?.as_deref()),
        till: r.get("till")?,
        idempotency_key: r.get("idempotency_key")?,
        created_at: from_ms(r.get("created_at")?)?,
        updated_at: from_ms(r.get("updated_at")?)?,
        expires_at: from_ms(r.get("expires_at")?)?,
        paid_at: r.get::<_, Option<i64>>("paid_at")?.map(from_ms).transpose()?,
        shift_no: r.get("shift_no")?,
        tendered: r.get("tendered")?,
        sale_id: r.get("sale_id")?,
        sale_total: r.get("sale_total")?,
        origin: parse_col(r, "origin")?,
    })
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<OrderEvent> {
    let opt_status = |name: &str| -> rusqlite::Result<Option<OrderStatus>> {
        match r.get::<_, Option<String>>(name)? {
            None => Ok(None),
            Some(_) => parse_col(r, name).map(Some),
        }
    };
    Ok(OrderEvent {
        seq: r.get("seq")?,
        order_no: r.get("order_no")?,
        from_status: opt_status("from_status")?,
        to_status: opt_status("to_status")?,
        source: parse_col(r, "source")?,
        at: from_ms(r.get("at")?)?,
        detail: r.get("detail")?,
        reason: match r.get::<_, String>("reason")? {
            code if code.is_empty() => None,
            code => Some(crate::reason::Reason::from_stored(code, &r.get::<_, String>("reason_args")?)),
        },
        by: Principal::from_stored(r.get::<_, Option<String>>("principal")?.as_deref()),
    })
}

pub(super) fn load_order(conn: &rusqlite::Connection, no: &str) -> Result<Order> {
    conn.prepare_cached(&format!("SELECT {ORDER_COLS} FROM orders WHERE order_no = ?1"))?
        .query_row([no], order_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: "order", id: no.to_string() })
}

pub(super) fn insert_event(
    tx: &Transaction<'_>,
    no: &OrderNo,
    from: Option<OrderStatus>,
    to: Option<OrderStatus>,
    source: EventSource,
    at: DateTime<Utc>,
    note: impl Into<EventNote>,
) -> Result<()> {
    let note = note.into();
    let (code, args) = match &note.reason {
        Some(r) => (r.code.as_str(), r.args_json()),
        None => ("", "{}".into()),
    };
    let by = note.by.as_ref().map(Principal::to_stored);
    tx.prepare_cached("INSERT INTO order_events (order_no, from_status, to_status, source, at, detail, reason, reason_args, principal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(
        params![no, from.map(OrderStatus::as_str), to.map(OrderStatus::as_str), source.as_str(), ms(at), note.text, code, args, by],
    )?;
    Ok(())
}

/// Writes a guarded status change plus its event inside `tx`.
#[allow(clippy::too_many_arguments)] // the change itself (to, source, detail, patch) plus where and when
pub(super) fn apply_in(
    tx: &Transaction<'_>,
    targets: &[String],
    no: &OrderNo,
    to: OrderStatus,
    source: EventSource,
    detail: impl Into<EventNote>,
    patch: &OrderPatch,
    now: DateTime<Utc>,
) -> Result<Applied<Order>> {
    let current = load_order(tx, no.as_str())?;
    if !transition(current.status, to, source)? {
        return Ok(Applied::Unchanged(current));
    }
    let (fcode, fmsg) = patch.failure.clone().unzip();
    let n = tx.prepare_cached(
        "UPDATE orders SET status = :to, updated_at = :now,
            channel_trade_no = COALESCE(:trade_no, channel_trade_no),
            qr_code = COALESCE(:qr, qr_code),
            paid_at = COALESCE(:paid_at, paid_at),
            failure_code = COALESCE(:fcode, failure_code),
            failure_message = COALESCE(:fmsg, failure_message)
         WHERE order_no = :no AND status = :old",
    )?
    .execute(
        named_params! {
            ":to": to.as_str(), ":now": ms(now), ":trade_no": patch.channel_trade_no, ":qr": patch.qr_code,
            ":paid_at": patch.paid_at.map(ms), ":fcode": fcode, ":fmsg": fmsg, ":no": no, ":old": current.status.as_str(),
        },
    )?;
    if n == 0 {
        // Another writer moved it first (only possible with several writers, e.g. PostgreSQL later).
        return Ok(Applied::Unchanged(load_order(tx, no.as_str())?));
    }
    insert_event(tx, no, Some(current.status), Some(to), source, now, detail)?;
    let order = load_order(tx, no.as_str())?;
    if to.is_final() {
        super::outbox::enqueue_order(tx, targets, &order, now)?;
    }
    Ok(Applied::Changed(order))
}

/// Inserts a new `Pending` order with its "created" event inside `tx`, in the till's open shift.
pub(super) fn insert_order_in(tx: &Transaction<'_>, ctx: &super::TillContext, o: &NewOrder) -> Result<Order> {
    let shift = super::shifts::shift_for_write(tx, ctx, &o.till, o.created_at)?;
    insert_row(tx, o, "pending", &shift, None, None)?;
    let (method, kind, amount) = (o.method.to_string(), o.kind.as_str(), o.amount.to_string());
    let text = format!("created {method} {kind} order of {amount} yuan on account {}", o.account);
    let note = EventNote::coded("created", &[("method", &method), ("kind", kind), ("amount", &amount), ("account", &o.account)], text).by(&o.principal);
    insert_event(tx, &o.order_no, None, Some(OrderStatus::Pending), EventSource::User, o.created_at, note)?;
    load_order(tx, o.order_no.as_str())
}

/// The INSERT of an order row (`pending`, or `success` for a tender, paid at creation).
pub(super) fn insert_row(tx: &Transaction<'_>, o: &NewOrder, status: &str, shift: &str, tendered: Option<Money>, trade_no: Option<&str>) -> Result<()> {
    let paid = (status == "success").then(|| ms(o.created_at));
    let res = tx.execute(
        &format!("INSERT INTO orders ({ORDER_COLS}, principal_key) VALUES (:no, :kind, :method, :channel, :account, :amount, 0, :fee, :status, :subject, :trade_no, NULL, :auth, NULL, NULL, :op, :till, :idem, :created, :created, :expires, :paid, :by, :shift, :tendered, :sale_id, :sale_total, 'paydesk', :by_key)"),
        named_params! {
            ":no": o.order_no, ":kind": o.kind.as_str(), ":method": o.method.as_str(), ":channel": o.channel,
            ":account": account_col(o.kind, &o.account), ":amount": o.amount, ":fee": o.fee, ":status": status, ":subject": o.subject,
            ":trade_no": trade_no, ":auth": o.auth_code_masked, ":op": o.operator, ":till": o.till, ":idem": o.idempotency_key,
            ":created": ms(o.created_at), ":expires": ms(o.expires_at), ":paid": paid, ":shift": shift, ":tendered": tendered,
            ":sale_id": o.sale.as_ref().map(|s| s.id.as_str()), ":sale_total": o.sale.as_ref().map(|s| s.total),
            ":by": o.principal.to_stored(), ":by_key": o.principal.key(),
        },
    );
    if let Err(rusqlite::Error::SqliteFailure(e, Some(msg))) = &res {
        if e.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("orders.idempotency_key") {
            return Err(StoreError::Conflict(format!("{} by another order", super::KEY_TAKEN)));
        }
        if e.code == rusqlite::ErrorCode::ConstraintViolation {
            return Err(StoreError::Conflict(format!("order not written: {msg}")));
        }
    }
    res?;
    Ok(())
}

impl Store {
    /// Writes a new `Pending` order and its "created" event. Refuses a reused idempotency key.
    pub fn insert_order(&self, o: &NewOrder) -> Result<Order> {
        let ctx = self.context();
        self.write(|tx| insert_order_in(tx, &ctx, o))
    }

    pub fn order(&self, no: &OrderNo) -> Result<Order> {
        self.read(|c| load_order(c, no.as_str()))
    }

    /// The order a client created with this idempotency key, if any.
    pub fn order_by_idempotency_key(&self, key: &str) -> Result<Option<Order>> {
        self.read(|c| {
            Ok(c.query_row(&format!("SELECT {ORDER_COLS} FROM orders WHERE idempotency_key = ?1 AND {}", super::OWN), [key], order_from_row).optional()?)
        })
    }

    /// Order, refunds and history.
    pub fn order_detail(&self, no: &OrderNo) -> Result<OrderDetail> {
        self.read(|c| {
            let order = load_order(c, no.as_str())?;
            let refunds = super::refunds::refunds_of(c, no)?;
            let mut st = c.prepare("SELECT * FROM order_events WHERE order_no = ?1 ORDER BY seq")?;
            let events = st.query_map([no], event_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            let route = super::routes::route_of(c, no)?;
            Ok(OrderDetail { order, refunds, events, route })
        })
    }

    /// Changes an order's status with its event, guarded against races and illegal moves.
    pub fn apply(&self, no: &OrderNo, to: OrderStatus, source: EventSource, detail: impl Into<EventNote>, patch: &OrderPatch, now: DateTime<Utc>) -> Result<Applied<Order>> {
        let targets = self.targets();
        let note = detail.into();
        self.write(|tx| apply_in(tx, &targets, no, to, source, note, patch, now))
    }

    /// Records an event that is not a status change (a note, a query result, a retry).
    pub fn add_event(&self, no: &OrderNo, source: EventSource, detail: impl Into<EventNote>, now: DateTime<Utc>) -> Result<()> {
        let note = detail.into();
        self.write(|tx| {
            load_order(tx, no.as_str())?;
            insert_event(tx, no, None, None, source, now, note)
        })
    }

    /// Orders not yet final, oldest first (for polling and recovery); on a shared book only this
    /// till's.
    pub fn open_orders(&self) -> Result<Vec<Order>> {
        self.read(|c| {
            // On a shared book: this till's own orders (each till follows what it created).
            let mut st = c.prepare(&format!("SELECT {ORDER_COLS} FROM orders WHERE status IN ('pending','processing') AND {} ORDER BY created_at", super::OWN))?;
            let rows = st.query_map([], order_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn list_orders(&self, f: &OrderFilter) -> Result<Vec<Order>> {
        self.read(|c| {
            let mut sql = format!("SELECT {ORDER_COLS} FROM orders WHERE 1=1");
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            let mut push = |clause: &str, v: rusqlite::types::Value| {
                sql.push_str(clause);
                args.push(v);
            };
            if let Some(s) = f.status {
                push(" AND status = ?", s.as_str().to_string().into());
            }
            if let Some(ch) = &f.channel {
                push(" AND channel = ?", ch.clone().into());
            }
            if let Some(a) = &f.account {
                push(" AND account = ?", a.clone().into());
            }
            if let Some(m) = f.method {
                push(" AND method = ?", m.as_str().to_string().into());
            }
            if let Some(t) = f.from {
                push(" AND created_at >= ?", ms(t).into());
            }
            if let Some(t) = f.to {
                push(" AND created_at < ?", ms(t).into());
            }
            if let Some(m) = f.min_amount {
                push(" AND amount >= ?", m.fen().into());
            }
            if let Some(m) = f.max_amount {
                push(" AND amount <= ?", m.fen().into());
            }
            if let Some(t) = f.code_tail.as_ref().filter(|t| !t.is_empty()) {
                push(" AND auth_code_masked LIKE ?", format!("%{}", t.replace(['%', '_'], "")).into());
            }
            if let Some(op) = &f.operator {
                push(" AND operator = ?", op.clone().into());
            }
            if let Some(sh) = &f.shift_no {
                push(" AND shift_no = ?", sh.clone().into());
            }
            if let Some(k) = f.kind {
                push(" AND kind = ?", k.as_str().to_string().into());
            }
            if let Some(tills) = &f.tills {
                sql.push_str(&format!(" AND till IN ({})", tills.iter().map(|_| "?").collect::<Vec<_>>().join(", ")));
                args.extend(tills.iter().map(|t| t.as_str().to_string().into()));
            }
            if let Some(t) = f.text.as_ref().filter(|t| !t.is_empty()) {
                let like = format!("%{}%", t.replace(['%', '_'], ""));
                sql.push_str(" AND (order_no LIKE ? OR channel_trade_no LIKE ?)");
                args.push(like.clone().into());
                args.push(like.into());
            }
            sql.push_str(" ORDER BY created_at DESC, order_no DESC");
            if let Some(l) = f.limit {
                sql.push_str(&format!(" LIMIT {l}"));
            }
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(rusqlite::params_from_iter(args), order_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The orders a receipt shows for `no`: every tender of its split sale, oldest first, or itself.
    pub fn sale_orders(&self, no: &OrderNo) -> Result<Vec<Order>> {
        self.read(|c| {
            let o = load_order(c, no.as_str())?;
            let Some(sale) = &o.sale_id else { return Ok(vec![o]) };
            let mut st = c.prepare_cached(&format!("SELECT {ORDER_COLS} FROM orders WHERE sale_id = ?1 ORDER BY created_at, order_no"))?;
            let rows = st.query_map([sale], order_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Sum of amounts taken (or being taken) by an account since `from`: for daily caps.
    pub fn account_volume_since(&self, account: &str, from: DateTime<Utc>) -> Result<Money> {
        self.read(|c| {
            let fen: i64 = c.query_row(
                "SELECT COALESCE(SUM(amount), 0) FROM orders WHERE account = ?1 AND created_at >= ?2
                 AND status IN ('pending','processing','success','refunded')",
                params![account, ms(from)],
                |r| r.get(0),
            )?;
            Money::from_fen(fen).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::test_util::store;
    use super::*;
    use crate::ids::NumberGen;

    pub(crate) fn new_order(no: OrderNo, fen: i64) -> NewOrder {
        let now = Utc::now();
        NewOrder {
            order_no: no,
            kind: PayKind::Qr,
            method: Method::Sandbox,
            channel: "sandbox".into(),
            account: "sb".into(),
            amount: Money::from_fen(fen).unwrap(),
            fee: Money::from_fen(fen).unwrap().fee_at(60),
            subject: "test".into(),
            auth_code_masked: None,
            operator: None,
            principal: Principal::System,
            till: "T1".into(),
            idempotency_key: None,
            created_at: now,
            expires_at: now + chrono::Duration::minutes(5),
            sale: None,
        }
    }

    #[test]
    fn insert_transition_and_history() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let no = g.next_order_no(Utc::now());
        s.insert_order(&new_order(no.clone(), 1234)).unwrap();
        let patch = OrderPatch { qr_code: Some("sandbox://qr/1".into()), ..Default::default() };
        let a = s.apply(&no, OrderStatus::Processing, EventSource::ChannelReply, "accepted", &patch, Utc::now()).unwrap();
        assert!(a.changed());
        assert_eq!(a.into_inner().qr_code.as_deref(), Some("sandbox://qr/1"));
        // Callback and poll race to Success: exactly one change, one event.
        let first = s.apply(&no, OrderStatus::Success, EventSource::Callback, "paid", &OrderPatch::default(), Utc::now()).unwrap();
        let second = s.apply(&no, OrderStatus::Success, EventSource::Poll, "paid", &OrderPatch::default(), Utc::now()).unwrap();
        assert!(first.changed() && !second.changed());
        let d = s.order_detail(&no).unwrap();
        let statuses: Vec<_> = d.events.iter().map(|e| (e.from_status, e.to_status, e.source)).collect();
        assert_eq!(
            statuses,
            vec![
                (None, Some(OrderStatus::Pending), EventSource::User),
                (Some(OrderStatus::Pending), Some(OrderStatus::Processing), EventSource::ChannelReply),
                (Some(OrderStatus::Processing), Some(OrderStatus::Success), EventSource::Callback),
            ]
        );
        // Illegal: Success -> Closed writes nothing.
        let err = s.apply(&no, OrderStatus::Closed, EventSource::Timeout, "late", &OrderPatch::default(), Utc::now()).unwrap_err();
        assert!(matches!(err, StoreError::Illegal(_)));
        assert_eq!(s.order_detail(&no).unwrap().events.len(), 3);
        assert_eq!(s.order(&no).unwrap().status, OrderStatus::Success);
    }

    #[test]
    fn reused_idempotency_key_and_number_conflict() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let mut o = new_order(g.next_order_no(Utc::now()), 100);
        o.idempotency_key = Some("k1".into());
        s.insert_order(&o).unwrap();
        assert!(matches!(s.insert_order(&o), Err(StoreError::Conflict(_))));
        let mut o2 = new_order(g.next_order_no(Utc::now()), 100);
        o2.idempotency_key = Some("k1".into());
        assert!(matches!(s.insert_order(&o2), Err(StoreError::Conflict(_))));
        assert_eq!(s.order_by_idempotency_key("k1").unwrap().unwrap().order_no, o.order_no);
        assert_eq!(s.list_orders(&OrderFilter::default()).unwrap().len(), 1);
    }

    #[test]
    fn filters() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let mut last = None;
        for fen in [100, 200, 300] {
            let no = g.next_order_no(Utc::now());
            s.insert_order(&new_order(no.clone(), fen)).unwrap();
            last = Some(no);
        }
        let last = last.unwrap();
        s.apply(&last, OrderStatus::Failed, EventSource::ChannelReply, "declined", &OrderPatch { failure: Some(("DECLINED".into(), "no".into())), ..Default::default() }, Utc::now()).unwrap();
        let f = OrderFilter { status: Some(OrderStatus::Pending), ..Default::default() };
        assert_eq!(s.list_orders(&f).unwrap().len(), 2);
        let f = OrderFilter { min_amount: Some(Money::from_fen(200).unwrap()), ..Default::default() };
        assert_eq!(s.list_orders(&f).unwrap().len(), 2);
        let f = OrderFilter { text: Some(last.as_str()[10..].to_string()), ..Default::default() };
        assert_eq!(s.list_orders(&f).unwrap()[0].failure_code.as_deref(), Some("DECLINED"));
        assert_eq!(s.open_orders().unwrap().len(), 2);
        assert_eq!(s.account_volume_since("sb", Utc::now() - chrono::Duration::hours(1)).unwrap().fen(), 300);
    }

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let no = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai).next_order_no(Utc::now());
        {
            let s = Store::open(&path).unwrap();
            s.upsert_account(&toml::from_str("name = \"sb\"\nchannel = \"sandbox\"").unwrap()).unwrap();
            s.insert_order(&new_order(no.clone(), 500)).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.order(&no).unwrap().amount.fen(), 500);
    }
}
