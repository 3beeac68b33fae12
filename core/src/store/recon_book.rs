//! The streaming read of the book that reconciliation needs: one account's orders and refunds
//! of a window of days, a million rows in one pass, straight into the matcher's [`BookView`];
//! point look-ups for older numbers a statement names.

use std::cell::Cell;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::{from_ms, ms, Result, Store};
use crate::order::{OrderStatus, RefundStatus};
use crate::reconcile::{BookOrder, BookRefund, BookView};
use crate::statement::DayCache;

fn bad(e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.to_string().into())
}

fn local(t: i64, tz: chrono_tz::Tz) -> rusqlite::Result<NaiveDateTime> {
    Ok(from_ms(t)?.with_timezone(&tz).naive_local())
}

fn order_status(s: &str) -> rusqlite::Result<OrderStatus> {
    s.parse().map_err(bad)
}

impl Store {
    /// Reads the book around a day for the matcher, in one streaming query per table: the
    /// account's orders and refunds created in `[from, to)`; times turned into `tz`.
    pub fn recon_book(&self, account: &str, from: DateTime<Utc>, to: DateTime<Utc>, tz: chrono_tz::Tz, progress: &dyn Fn(u64)) -> Result<BookView> {
        let local = LocalTime::new(tz, from, to);
        self.read(|c| {
            let mut view = BookView::default();
            // Appended as read, indexed once at the end: no count first, no rehashing.
            let mut bulk = view.orders.bulk(0);
            let mut st = c.prepare_cached("SELECT order_no, status, amount, fee, refunded, paid_at FROM orders WHERE account = ?1 AND created_at >= ?2 AND created_at < ?3")?;
            let mut rows = st.query(params![account, ms(from), ms(to)])?;
            while let Some(r) = rows.next()? {
                let o = book_order(r, &local)?;
                bulk.push(r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?, o);
                if bulk.len() % 65_536 == 0 {
                    progress(bulk.len() as u64);
                }
            }
            bulk.finish();
            progress(view.orders.len() as u64);
            let mut st = c.prepare_cached(
                "SELECT r.refund_no, r.order_no, r.amount, r.status, r.updated_at, r.kind FROM refunds r JOIN orders o ON o.order_no = r.order_no \
                 WHERE o.account = ?1 AND r.created_at >= ?2 AND r.created_at < ?3",
            )?;
            let mut rows = st.query(params![account, ms(from), ms(to)])?;
            while let Some(r) = rows.next()? {
                let b = book_refund(r, &local)?;
                view.refunds.insert(b.refund_no.clone(), b);
            }
            Ok(view)
        })
    }

    /// Adds to `view` the orders and refunds a statement names that the window missed (older
    /// orders), and notes numbers the book holds under another account.
    pub fn recon_lookup(&self, account: &str, view: &mut BookView, orders: &[&str], refunds: &[&str], tz: chrono_tz::Tz) -> Result<()> {
        // Any age: no fixed-offset shortcut.
        let local = LocalTime { tz, fixed_ms: None, day: DayCache::new() };
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT order_no, status, amount, fee, refunded, paid_at, account FROM orders WHERE order_no = ?1")?;
            for no in orders {
                if let Some((o, acct)) = st.query_row([no], |r| Ok((book_order(r, &local)?, r.get::<_, String>(6)?))).optional()? {
                    if acct == account {
                        view.orders.insert(no, o);
                    } else {
                        view.other_account.insert(no.to_string(), acct);
                    }
                }
            }
            let mut st = c.prepare_cached("SELECT r.refund_no, r.order_no, r.amount, r.status, r.updated_at, r.kind, o.account FROM refunds r JOIN orders o ON o.order_no = r.order_no WHERE r.refund_no = ?1")?;
            for no in refunds {
                if let Some((b, acct)) = st.query_row([no], |r| Ok((book_refund(r, &local)?, r.get::<_, String>(6)?))).optional()? {
                    if acct == account {
                        view.refunds.insert(b.refund_no.clone(), b);
                    }
                }
            }
            Ok(())
        })
    }

    /// The channel trade numbers of some orders (for discrepancies shown to people).
    pub fn trade_nos(&self, orders: &[&str]) -> Result<Vec<Option<String>>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT channel_trade_no FROM orders WHERE order_no = ?1")?;
            let mut out = Vec::with_capacity(orders.len());
            for no in orders {
                out.push(st.query_row([no], |r| r.get::<_, Option<String>>(0)).optional()?.flatten());
            }
            Ok(out)
        })
    }
}

/// UTC milliseconds → shop-local time. When the zone's offset is the same over the whole window
/// (no daylight-saving change; always so for China), a fixed offset replaces the zone lookup,
/// and the date of the last time read is kept (a day's million times share two dates).
struct LocalTime {
    tz: chrono_tz::Tz,
    fixed_ms: Option<i64>,
    /// The date of the last time read.
    day: DayCache,
}

impl LocalTime {
    fn new(tz: chrono_tz::Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> LocalTime {
        use chrono::{Offset, TimeZone};
        let off = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc();
        let fixed_ms = (off(from) == off(to) && to - from <= chrono::Duration::days(3)).then(|| i64::from(off(from)) * 1000);
        LocalTime { tz, fixed_ms, day: DayCache::new() }
    }

    fn at(&self, t: i64) -> rusqlite::Result<NaiveDateTime> {
        let Some(off) = self.fixed_ms else { return local(t, self.tz) };
        t.checked_add(off).and_then(|l| self.day.at_millis(l)).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, t))
    }
}

/// The order of a row `order_no, status, amount, fee, refunded, paid_at` (the number is read by
/// the caller, without copying it).
fn book_order(r: &Row<'_>, local: &LocalTime) -> rusqlite::Result<BookOrder> {
    Ok(BookOrder {
        status: order_status(r.get_ref(1)?.as_str()?)?,
        amount: r.get(2)?,
        fee: r.get(3)?,
        refunded: r.get(4)?,
        paid_at: r.get::<_, Option<i64>>(5)?.map(|t| local.at(t)).transpose()?,
        seen: Cell::new(false),
    })
}

fn book_refund(r: &Row<'_>, local: &LocalTime) -> rusqlite::Result<BookRefund> {
    Ok(BookRefund {
        refund_no: r.get(0)?,
        order_no: r.get(1)?,
        amount: r.get(2)?,
        status: r.get_ref(3)?.as_str()?.parse::<RefundStatus>().map_err(bad)?,
        at: local.at(r.get(4)?)?,
        revoke: r.get_ref(5)?.as_str()? == "revoke",
        seen: Cell::new(false),
    })
}
