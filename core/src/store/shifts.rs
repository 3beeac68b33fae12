//! The `shifts` and `z_reports` tables, and the figures a shift or a day adds up to.
//!
//! Invariant: every order and refund written through the book's normal paths
//! ([`Store::insert_order`], the routed/fallback inserts, [`Store::insert_refund`], tenders) lands
//! in exactly one shift — the till's open shift, or, when none is open, a `system` shift opened
//! in the same transaction. Only imported history has no shift. A closed shift is locked by
//! triggers: its report, count and times never change, nothing new is written into it, and it
//! is never deleted; so is every Z report.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{named_params, params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

use super::{from_ms, ms, parse_col, Result, Store, StoreError};
use crate::money::Money;
use crate::till::{Shift, ShiftKind};

/// Which till and store this book's writer is, and its zone (for shift numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TillContext {
    pub till: String,
    pub store: String,
    pub tz: chrono_tz::Tz,
}

impl Default for TillContext {
    fn default() -> Self {
        TillContext { till: "T1".into(), store: "S1".into(), tz: chrono_tz::Asia::Shanghai }
    }
}

/// A new shift.
#[derive(Clone, Debug)]
pub struct NewShift {
    pub till: String,
    pub store: String,
    pub kind: ShiftKind,
    pub opened_by: Option<String>,
    pub opening_float: Money,
    pub at: DateTime<Utc>,
}

/// Paid orders and successful refunds of one tender line (kind, method, channel).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureLine {
    pub kind: String,
    pub method: String,
    pub channel: String,
    pub paid_count: i64,
    pub paid: i64,
    pub refund_count: i64,
    pub refunded: i64,
}

/// An order or refund not final when the figures were taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    /// Order number, or refund number for refunds.
    pub no: String,
    pub method: String,
    pub amount: i64,
    pub status: String,
}

/// What a set of shifts holds, straight from the book.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawFigures {
    pub lines: Vec<FigureLine>,
    /// Sales paid (a split sale counts once).
    pub sales: i64,
    /// Orders the cashier cancelled before they were paid.
    pub void_count: i64,
    pub voided: i64,
    pub open_orders: Vec<OpenItem>,
    pub open_refunds: Vec<OpenItem>,
}

/// A change to a closed shift's orders or refunds after its report was locked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentRow {
    pub at: DateTime<Utc>,
    pub order_no: String,
    /// The refund, when it is one of the shift's refunds that completed later.
    pub refund_no: Option<String>,
    pub method: String,
    pub amount: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub source: String,
}

/// A stored Z report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZRecord {
    /// `till` or `store`.
    pub scope: String,
    pub store: String,
    /// Empty for a store's Z.
    pub till: String,
    pub z_no: i64,
    pub business_date: NaiveDate,
    pub taken_at: DateTime<Utc>,
    pub taken_by: Option<String>,
    pub report_json: String,
}

/// What a Z is built from, gathered inside its transaction.
#[derive(Clone, Debug)]
pub struct ZInput {
    pub z_no: i64,
    /// Till scope: the closed shifts no Z took yet.
    pub shifts: Vec<Shift>,
    pub figures: RawFigures,
    /// Store scope: the tills' Zs of that day.
    pub till_zs: Vec<ZRecord>,
}

const SHIFT_COLS: &str = "shift_no, till, store, kind, opened_by, opened_at, opening_float, status, closed_at, closed_by, handed_to, counted_cash, expected_cash, z_no";

fn shift_from_row(r: &Row<'_>) -> rusqlite::Result<Shift> {
    Ok(Shift {
        shift_no: r.get("shift_no")?,
        till: r.get("till")?,
        store: r.get("store")?,
        kind: parse_col(r, "kind")?,
        opened_by: r.get("opened_by")?,
        opened_at: from_ms(r.get("opened_at")?)?,
        opening_float: r.get("opening_float")?,
        status: parse_col(r, "status")?,
        closed_at: r.get::<_, Option<i64>>("closed_at")?.map(from_ms).transpose()?,
        closed_by: r.get("closed_by")?,
        handed_to: r.get("handed_to")?,
        counted_cash: r.get("counted_cash")?,
        expected_cash: r.get("expected_cash")?,
        z_no: r.get("z_no")?,
    })
}

fn z_from_row(r: &Row<'_>) -> rusqlite::Result<ZRecord> {
    let day: String = r.get("business_date")?;
    Ok(ZRecord {
        scope: r.get("scope")?,
        store: r.get("store")?,
        till: r.get("till")?,
        z_no: r.get("z_no")?,
        business_date: NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))?,
        taken_at: from_ms(r.get("taken_at")?)?,
        taken_by: r.get("taken_by")?,
        report_json: r.get("report")?,
    })
}

pub(super) fn load_shift(c: &Connection, no: &str) -> Result<Shift> {
    c.prepare_cached(&format!("SELECT {SHIFT_COLS} FROM shifts WHERE shift_no = ?1"))?
        .query_row([no], shift_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: "shift", id: no.to_string() })
}

pub(super) fn open_shift_in(c: &Connection, till: &str) -> Result<Option<Shift>> {
    open_of(c, till)
}

fn open_of(c: &Connection, till: &str) -> Result<Option<Shift>> {
    Ok(c.prepare_cached(&format!("SELECT {SHIFT_COLS} FROM shifts WHERE till = ?1 AND status = 'open'"))?.query_row([till], shift_from_row).optional()?)
}

/// `T1-20261125-3`: the till, the local day, the next number of that day.
fn next_shift_no(tx: &Transaction<'_>, till: &str, at: DateTime<Utc>, tz: chrono_tz::Tz) -> Result<String> {
    let prefix = format!("{till}-{}-", at.with_timezone(&tz).format("%Y%m%d"));
    let n: i64 = tx.query_row("SELECT COUNT(*) FROM shifts WHERE shift_no LIKE ?1 || '%'", [&prefix], |r| r.get(0))?;
    Ok(format!("{prefix}{}", n + 1))
}

fn insert_shift(tx: &Transaction<'_>, s: &NewShift, tz: chrono_tz::Tz) -> Result<Shift> {
    let no = next_shift_no(tx, &s.till, s.at, tz)?;
    let res = tx.execute(
        "INSERT INTO shifts (shift_no, till, store, kind, opened_by, opened_at, opening_float, status) VALUES (:no, :till, :store, :kind, :by, :at, :float, 'open')",
        named_params! { ":no": no, ":till": s.till, ":store": s.store, ":kind": s.kind.as_str(), ":by": s.opened_by, ":at": ms(s.at), ":float": s.opening_float },
    );
    if let Err(rusqlite::Error::SqliteFailure(e, _)) = &res {
        if e.code == rusqlite::ErrorCode::ConstraintViolation {
            let open = open_of(tx, &s.till)?.map(|o| o.shift_no).unwrap_or_default();
            return Err(StoreError::Conflict(format!("shift {open} is still open at till {}; close it first", s.till)));
        }
    }
    res?;
    load_shift(tx, &no)
}

/// The shift a write at `till` belongs to: the open one, else a new `system` shift.
pub(super) fn shift_for_write(tx: &Transaction<'_>, ctx: &TillContext, till: &str, at: DateTime<Utc>) -> Result<String> {
    if let Some(s) = open_of(tx, till)? {
        return Ok(s.shift_no);
    }
    let s = NewShift { till: till.to_string(), store: ctx.store.clone(), kind: ShiftKind::System, opened_by: None, opening_float: Money::ZERO, at };
    Ok(insert_shift(tx, &s, ctx.tz)?.shift_no)
}

/// The shifts as a JSON array for `json_each` (one query shape for one shift or a day's).
fn scope(shifts: &[String]) -> String {
    serde_json::to_string(shifts).unwrap_or_else(|_| "[]".into())
}

pub(super) fn figures_in(c: &Connection, shifts: &[String]) -> Result<RawFigures> {
    let set = scope(shifts);
    let mut lines: Vec<FigureLine> = Vec::new();
    let mut st = c.prepare_cached(
        "SELECT kind, method, channel, COUNT(*), SUM(amount) FROM orders
         WHERE shift_no IN (SELECT value FROM json_each(?1)) AND status IN ('success','refunded')
         GROUP BY kind, method, channel",
    )?;
    let rows = st.query_map([&set], |r| Ok(FigureLine { kind: r.get(0)?, method: r.get(1)?, channel: r.get(2)?, paid_count: r.get(3)?, paid: r.get(4)?, ..Default::default() }))?;
    for l in rows {
        lines.push(l?);
    }
    let mut st = c.prepare_cached(
        "SELECT o.kind, o.method, o.channel, COUNT(*), SUM(r.amount) FROM refunds r JOIN orders o ON o.order_no = r.order_no
         WHERE r.shift_no IN (SELECT value FROM json_each(?1)) AND r.status = 'success'
         GROUP BY o.kind, o.method, o.channel",
    )?;
    let rows = st.query_map([&set], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?)))?;
    for row in rows {
        let (kind, method, channel, n, sum) = row?;
        match lines.iter_mut().find(|l| l.kind == kind && l.method == method && l.channel == channel) {
            Some(l) => {
                l.refund_count = n;
                l.refunded = sum;
            }
            None => lines.push(FigureLine { kind, method, channel, refund_count: n, refunded: sum, ..Default::default() }),
        }
    }
    lines.sort_by(|a, b| (&a.kind, &a.method, &a.channel).cmp(&(&b.kind, &b.method, &b.channel)));
    let sales: i64 = c.query_row(
        "SELECT COUNT(DISTINCT COALESCE(sale_id, order_no)) FROM orders WHERE shift_no IN (SELECT value FROM json_each(?1)) AND status IN ('success','refunded')",
        [&set],
        |r| r.get(0),
    )?;
    let (void_count, voided): (i64, i64) = c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM orders o WHERE shift_no IN (SELECT value FROM json_each(?1)) AND status = 'closed'
         AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_no = o.order_no AND e.to_status = 'closed' AND e.source = 'user')",
        [&set],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let open = |sql: &str| -> Result<Vec<OpenItem>> {
        let mut st = c.prepare_cached(sql)?;
        let rows = st.query_map([&set], |r| Ok(OpenItem { no: r.get(0)?, method: r.get(1)?, amount: r.get(2)?, status: r.get(3)? }))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    };
    let open_orders = open("SELECT order_no, method, amount, status FROM orders WHERE shift_no IN (SELECT value FROM json_each(?1)) AND status IN ('pending','processing') ORDER BY created_at")?;
    let open_refunds = open(
        "SELECT r.refund_no, o.method, r.amount, r.status FROM refunds r JOIN orders o ON o.order_no = r.order_no
         WHERE r.shift_no IN (SELECT value FROM json_each(?1)) AND r.status IN ('pending','processing') ORDER BY r.created_at",
    )?;
    Ok(RawFigures { lines, sales, void_count, voided, open_orders, open_refunds })
}

impl Store {
    /// Sets who writes: the till and store new shifts belong to, and the zone of shift numbers.
    pub fn set_context(&self, ctx: TillContext) {
        *self.context.write().unwrap_or_else(|p| p.into_inner()) = ctx;
    }

    pub fn context(&self) -> TillContext {
        self.context.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Opens a shift; refused while the till has one open.
    pub fn open_shift(&self, s: &NewShift) -> Result<Shift> {
        let tz = self.context().tz;
        self.write(|tx| insert_shift(tx, s, tz))
    }

    /// The till's open shift, if any.
    pub fn open_shift_of(&self, till: &str) -> Result<Option<Shift>> {
        self.read(|c| open_of(c, till))
    }

    pub fn shift(&self, no: &str) -> Result<Shift> {
        self.read(|c| load_shift(c, no))
    }

    /// Shifts opened in `[from, to)` (any till when `till` is none), newest first.
    pub fn shifts(&self, till: Option<&str>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>, limit: u32) -> Result<Vec<Shift>> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {SHIFT_COLS} FROM shifts WHERE (?1 IS NULL OR till = ?1) AND opened_at >= ?2 AND opened_at < ?3 ORDER BY opened_at DESC, shift_no DESC LIMIT ?4"
            ))?;
            let rows = st.query_map(params![till, from.map_or(i64::MIN, ms), to.map_or(i64::MAX, ms), limit], shift_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The locked report of a closed shift (JSON, as written at the close).
    pub fn shift_report_json(&self, no: &str) -> Result<Option<String>> {
        self.read(|c| Ok(c.query_row("SELECT report FROM shifts WHERE shift_no = ?1", [no], |r| r.get::<_, Option<String>>(0)).optional()?.flatten()))
    }

    /// The figures of `shifts` as the book holds them now.
    pub fn shift_figures(&self, shifts: &[String]) -> Result<RawFigures> {
        self.read(|c| figures_in(c, shifts))
    }

    /// Closes an open shift in one transaction: the figures are read, `build` turns them into
    /// (expected cash, report JSON), and both are written with the count — so no payment can
    /// slip between the report and the lock.
    #[allow(clippy::too_many_arguments)] // the close: who, to whom, the count, when, and the report builder
    pub fn close_shift(
        &self,
        no: &str,
        closed_by: Option<&str>,
        handed_to: Option<&str>,
        counted: Option<Money>,
        at: DateTime<Utc>,
        build: impl FnOnce(&Shift, &RawFigures) -> Result<(i64, String)>,
    ) -> Result<Shift> {
        self.write(|tx| {
            let shift = load_shift(tx, no)?;
            if shift.status != crate::till::ShiftStatus::Open {
                return Err(StoreError::Conflict(format!("shift {no} is already closed")));
            }
            let figures = figures_in(tx, &[no.to_string()])?;
            let (expected, report) = build(&shift, &figures)?;
            let n = tx.execute(
                "UPDATE shifts SET status = 'closed', closed_at = :at, closed_by = :by, handed_to = :to, counted_cash = :counted,
                    expected_cash = :expected, report = :report WHERE shift_no = :no AND status = 'open'",
                named_params! { ":at": ms(at), ":by": closed_by, ":to": handed_to, ":counted": counted, ":expected": expected, ":report": report, ":no": no },
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("shift {no} is already closed")));
            }
            load_shift(tx, no)
        })
    }

    /// Changes to a closed shift after its lock: its orders paid later, its refunds finished later.
    pub fn shift_adjustments(&self, no: &str) -> Result<Vec<AdjustmentRow>> {
        self.read(|c| {
            let shift = load_shift(c, no)?;
            let Some(closed) = shift.closed_at else { return Ok(Vec::new()) };
            let mut out = Vec::new();
            let mut st = c.prepare_cached(
                "SELECT e.at, e.order_no, o.method, o.amount, e.from_status, e.to_status, e.source FROM order_events e JOIN orders o ON o.order_no = e.order_no
                 WHERE o.shift_no = ?1 AND e.at > ?2 AND e.to_status = 'success' ORDER BY e.seq",
            )?;
            let rows = st.query_map(params![no, ms(closed)], |r| {
                Ok(AdjustmentRow { at: from_ms(r.get(0)?)?, order_no: r.get(1)?, refund_no: None, method: r.get(2)?, amount: r.get(3)?, from_status: r.get(4)?, to_status: r.get(5)?, source: r.get(6)? })
            })?;
            for r in rows {
                out.push(r?);
            }
            let mut st = c.prepare_cached(
                "SELECT r.updated_at, r.order_no, r.refund_no, o.method, r.amount, r.status FROM refunds r JOIN orders o ON o.order_no = r.order_no
                 WHERE r.shift_no = ?1 AND r.updated_at > ?2 AND r.status IN ('success','failed') ORDER BY r.updated_at",
            )?;
            let rows = st.query_map(params![no, ms(closed)], |r| {
                Ok(AdjustmentRow { at: from_ms(r.get(0)?)?, order_no: r.get(1)?, refund_no: r.get(2)?, method: r.get(3)?, amount: r.get(4)?, from_status: None, to_status: r.get(5)?, source: "refund".into() })
            })?;
            for r in rows {
                out.push(r?);
            }
            out.sort_by_key(|a| a.at);
            Ok(out)
        })
    }

    /// Takes a Z report in one transaction. Till scope: refused while a cashier's shift is open
    /// at the till (a system shift must be closed by the caller first); takes in every closed
    /// shift no Z took yet. Store scope: built from the tills' Zs of the day. Numbers run on per
    /// till and per store; one Z per business day each.
    #[allow(clippy::too_many_arguments)] // which Z, the day, who and when, and the report builder
    pub fn take_z(
        &self,
        store: &str,
        till: Option<&str>,
        day: NaiveDate,
        taken_by: Option<&str>,
        at: DateTime<Utc>,
        build: impl FnOnce(&ZInput) -> Result<String>,
    ) -> Result<ZRecord> {
        let (scope_name, till_key) = match till {
            Some(t) => ("till", t),
            None => ("store", ""),
        };
        self.write(|tx| {
            let day_s = day.format("%Y-%m-%d").to_string();
            let taken: Option<ZRecord> = tx
                .query_row("SELECT * FROM z_reports WHERE scope = ?1 AND store = ?2 AND till = ?3 AND business_date = ?4", params![scope_name, store, till_key, day_s], z_from_row)
                .optional()?;
            if let Some(z) = taken {
                let whose = if till_key.is_empty() { format!("store {store}") } else { format!("till {till_key}") };
                return Err(StoreError::Conflict(format!("Z {} of {whose} for {day_s} was already taken at {}; the next Z is the next business day's", z.z_no, z.taken_at.to_rfc3339())));
            }
            let z_no: i64 = tx.query_row("SELECT COALESCE(MAX(z_no), 0) + 1 FROM z_reports WHERE scope = ?1 AND store = ?2 AND till = ?3", params![scope_name, store, till_key], |r| r.get(0))?;
            let input = match till {
                Some(t) => {
                    if let Some(open) = open_of(tx, t)? {
                        return Err(StoreError::Conflict(format!("shift {} is still open at till {t}; close it (count the drawer) before the day close", open.shift_no)));
                    }
                    let mut st = tx.prepare_cached(&format!("SELECT {SHIFT_COLS} FROM shifts WHERE till = ?1 AND status = 'closed' AND z_no IS NULL ORDER BY opened_at"))?;
                    let shifts = st.query_map([t], shift_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
                    let nos: Vec<String> = shifts.iter().map(|s| s.shift_no.clone()).collect();
                    ZInput { z_no, figures: figures_in(tx, &nos)?, shifts, till_zs: Vec::new() }
                }
                None => {
                    let mut st = tx.prepare_cached("SELECT * FROM z_reports WHERE scope = 'till' AND store = ?1 AND business_date = ?2 ORDER BY till")?;
                    let till_zs = st.query_map(params![store, day_s], z_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
                    if till_zs.is_empty() {
                        return Err(StoreError::Conflict(format!("no till of store {store} has taken its Z for {day_s} yet")));
                    }
                    ZInput { z_no, shifts: Vec::new(), figures: RawFigures::default(), till_zs }
                }
            };
            let report = build(&input)?;
            tx.execute(
                "INSERT INTO z_reports (scope, store, till, z_no, business_date, taken_at, taken_by, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![scope_name, store, till_key, z_no, day_s, ms(at), taken_by, report],
            )?;
            for s in &input.shifts {
                tx.execute("UPDATE shifts SET z_no = ?1 WHERE shift_no = ?2", params![z_no, s.shift_no])?;
            }
            Ok(tx.query_row("SELECT * FROM z_reports WHERE scope = ?1 AND store = ?2 AND till = ?3 AND z_no = ?4", params![scope_name, store, till_key, z_no], z_from_row)?)
        })
    }

    /// Stored Z reports, newest first (`till` none: the store's own).
    pub fn z_reports(&self, store: &str, till: Option<&str>, limit: u32) -> Result<Vec<ZRecord>> {
        let (scope_name, till_key) = till.map_or(("store", ""), |t| ("till", t));
        self.read(|c| {
            let mut st = c.prepare("SELECT * FROM z_reports WHERE scope = ?1 AND store = ?2 AND till = ?3 ORDER BY z_no DESC LIMIT ?4")?;
            let rows = st.query_map(params![scope_name, store, till_key, limit], z_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The tills that had shifts in `store` (for a store's Z: who still has to close the day).
    pub fn store_tills(&self, store: &str) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT DISTINCT till FROM shifts WHERE store = ?1 ORDER BY till")?;
            let rows = st.query_map([store], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
