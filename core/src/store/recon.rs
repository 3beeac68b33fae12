//! Reconciliation tables: stored statements, runs, discrepancies (items) and the actions taken
//! on them, matched lines — and the streaming read of the book that the matcher needs.

use std::cell::Cell;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ms, ms, Result, Store, StoreError};
use crate::order::{OrderStatus, RefundStatus};
use crate::reconcile::{BookOrder, BookRefund, BookView, Discrepancy, DiscrepancyKind, ItemState, Matched, Side, Summary};
use crate::statement::{StatementKind, StatementTotals};

/// A statement file kept for a run (the file lives under the home; this is its record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStatement {
    pub id: i64,
    pub account: String,
    pub day: String,
    pub format: String,
    /// Path relative to the Paydesk home.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    /// `download` or `import`.
    pub origin: String,
    pub totals: StatementTotals,
    pub stored_at: DateTime<Utc>,
}

/// One reconciliation run of an account and business day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: i64,
    pub account: String,
    pub channel: String,
    pub day: String,
    pub statement: Option<StoredStatement>,
    /// `manual`, `schedule`, `catch_up`, `cli`.
    pub trigger: String,
    pub operator: Option<String>,
    /// `running`, `done`, `failed`.
    pub status: String,
    pub error: Option<String>,
    pub summary: Summary,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Discrepancies still open.
    pub open: u64,
}

/// A stored discrepancy with where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: i64,
    pub run_id: i64,
    pub account: String,
    pub day: String,
    #[serde(flatten)]
    pub discrepancy: Discrepancy,
    pub state: ItemState,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The till whose order it is (and that till's store), when the book has the order.
    pub till: Option<String>,
    pub store: Option<String>,
}

/// Something done about a discrepancy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemAction {
    pub action: String,
    pub outcome: String,
    pub note: Option<String>,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

/// Filters for discrepancy lists.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemFilter {
    pub kind: Option<DiscrepancyKind>,
    pub state: Option<ItemState>,
    pub limit: Option<u32>,
}

fn bad(e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.to_string().into())
}

fn json<T: for<'de> Deserialize<'de>>(s: Option<String>) -> rusqlite::Result<Option<T>> {
    s.map(|s| serde_json::from_str(&s).map_err(bad)).transpose()
}

fn line_str(k: StatementKind) -> &'static str {
    match k {
        StatementKind::Payment => "payment",
        StatementKind::Refund => "refund",
    }
}

fn statement_from_row(r: &Row<'_>) -> rusqlite::Result<StoredStatement> {
    Ok(StoredStatement {
        id: r.get("id")?,
        account: r.get("account")?,
        day: r.get("day")?,
        format: r.get("format")?,
        file: r.get("file")?,
        sha256: r.get("sha256")?,
        bytes: r.get("bytes")?,
        rows: r.get("rows")?,
        origin: r.get("origin")?,
        totals: json(r.get("totals_json")?)?.unwrap_or_default(),
        stored_at: from_ms(r.get("stored_at")?)?,
    })
}

const RUN_COLS: &str = "r.id, r.account, r.channel, r.day, r.statement_id, r.trigger, r.operator, r.status, r.error, r.summary_json, r.started_at, r.finished_at, \
    (SELECT COUNT(*) FROM recon_items i WHERE i.run_id = r.id AND i.state = 'open') AS open";

fn run_from_row(c: &rusqlite::Connection, r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let statement = match r.get::<_, Option<i64>>("statement_id")? {
        Some(id) => c.prepare_cached("SELECT * FROM recon_statements WHERE id = ?1")?.query_row([id], statement_from_row).optional()?,
        None => None,
    };
    Ok(RunRecord {
        id: r.get("id")?,
        account: r.get("account")?,
        channel: r.get("channel")?,
        day: r.get("day")?,
        statement,
        trigger: r.get("trigger")?,
        operator: r.get("operator")?,
        status: r.get("status")?,
        error: r.get("error")?,
        summary: json(r.get("summary_json")?)?.unwrap_or_default(),
        started_at: from_ms(r.get("started_at")?)?,
        finished_at: r.get::<_, Option<i64>>("finished_at")?.map(from_ms).transpose()?,
        open: r.get("open")?,
    })
}

const ITEM_COLS: &str = "i.id, i.run_id, r.account, r.day, i.kind, i.line, i.order_no, i.refund_no, i.book_json, i.channel_json, i.detail, i.reason, i.reason_args, i.state, i.note, i.updated_at, \
    (SELECT o.till FROM orders o WHERE o.order_no = i.order_no) AS till, \
    (SELECT t.store_id FROM orders o JOIN sync_tills t ON t.till_id = o.till WHERE o.order_no = i.order_no) AS store";

fn item_from_row(r: &Row<'_>) -> rusqlite::Result<ItemRecord> {
    let line: String = r.get("line")?;
    Ok(ItemRecord {
        id: r.get("id")?,
        run_id: r.get("run_id")?,
        account: r.get("account")?,
        day: r.get("day")?,
        discrepancy: Discrepancy {
            kind: super::parse_col(r, "kind")?,
            line: if line == "refund" { StatementKind::Refund } else { StatementKind::Payment },
            order_no: r.get("order_no")?,
            refund_no: r.get("refund_no")?,
            book: json::<Side>(r.get("book_json")?)?,
            channel: json::<Side>(r.get("channel_json")?)?,
            detail: r.get("detail")?,
            reason: crate::reason::Reason::from_stored(r.get("reason")?, &r.get::<_, String>("reason_args")?),
        },
        state: super::parse_col(r, "state")?,
        note: r.get("note")?,
        updated_at: from_ms(r.get("updated_at")?)?,
        till: r.get("till")?,
        store: r.get("store")?,
    })
}

fn local(t: i64, tz: chrono_tz::Tz) -> rusqlite::Result<NaiveDateTime> {
    Ok(from_ms(t)?.with_timezone(&tz).naive_local())
}

fn order_status(s: &str) -> rusqlite::Result<OrderStatus> {
    s.parse().map_err(bad)
}

impl Store {
    pub fn insert_statement(&self, s: &StoredStatement) -> Result<i64> {
        let totals = serde_json::to_string(&s.totals).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO recon_statements (account, day, format, file, sha256, bytes, rows, origin, totals_json, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![s.account, s.day, s.format, s.file, s.sha256, s.bytes, s.rows, s.origin, totals, ms(s.stored_at)],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The newest stored statement of an account and day.
    pub fn latest_statement(&self, account: &str, day: &str) -> Result<Option<StoredStatement>> {
        self.read(|c| Ok(c.prepare_cached("SELECT * FROM recon_statements WHERE account = ?1 AND day = ?2 ORDER BY id DESC LIMIT 1")?.query_row([account, day], statement_from_row).optional()?))
    }

    pub fn begin_run(&self, account: &str, channel: &str, day: &str, trigger: &str, operator: Option<&str>, now: DateTime<Utc>) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO recon_runs (account, channel, day, trigger, operator, status, started_at) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)",
                params![account, channel, day, trigger, operator, ms(now)],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    pub fn fail_run(&self, run_id: i64, error: &str, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE recon_runs SET status = 'failed', error = ?2, finished_at = ?3 WHERE id = ?1", params![run_id, error, ms(now)])?;
            Ok(())
        })
    }

    /// Stores a finished run in one transaction: its summary, discrepancies and matched lines.
    /// A discrepancy that an earlier run of the same account and day had resolved (same kind and
    /// numbers) stays resolved, with the note carried over.
    pub fn finish_run(&self, run_id: i64, statement_id: Option<i64>, summary: &Summary, items: &[Discrepancy], matched: &mut dyn Iterator<Item = Matched>, now: DateTime<Utc>) -> Result<()> {
        let summary = serde_json::to_string(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            let (account, day): (String, String) = tx.query_row("SELECT account, day FROM recon_runs WHERE id = ?1", [run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut prior = tx.prepare_cached(
                "SELECT i.note FROM recon_items i JOIN recon_runs r ON r.id = i.run_id WHERE r.account = ?1 AND r.day = ?2 AND r.id < ?3 AND i.kind = ?4 \
                 AND i.order_no = ?5 AND IFNULL(i.refund_no, '') = IFNULL(?6, '') AND i.state = 'resolved' ORDER BY i.id DESC LIMIT 1",
            )?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO recon_items (run_id, kind, line, order_no, refund_no, book_json, channel_json, detail, reason, reason_args, state, note, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut act = tx.prepare_cached("INSERT INTO recon_actions (item_id, action, outcome, note, actor, at) VALUES (?1, 'carry_over', 'resolved', ?2, NULL, ?3)")?;
            for d in items {
                let note: Option<Option<String>> = prior.query_row(params![account, day, run_id, d.kind.as_str(), d.order_no, d.refund_no], |r| r.get(0)).optional()?;
                let side = |s: &Option<Side>| s.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
                let state = if note.is_some() { ItemState::Resolved } else { ItemState::Open };
                let note = note.flatten();
                let args = d.reason.args_json();
                ins.execute(params![run_id, d.kind.as_str(), line_str(d.line), d.order_no, d.refund_no, side(&d.book), side(&d.channel), d.detail, d.reason.code, args, state.as_str(), note, ms(now)])?;
                if state == ItemState::Resolved {
                    act.execute(params![tx.last_insert_rowid(), note, ms(now)])?;
                }
            }
            let mut m = tx.prepare_cached("INSERT INTO recon_matches (run_id, line, order_no, refund_no, trade_no, amount, fee, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
            for x in matched {
                m.execute(params![run_id, line_str(x.line), x.order_no, x.refund_no, x.channel_trade_no, x.amount, x.fee, x.time])?;
            }
            tx.execute(
                "UPDATE recon_runs SET status = 'done', statement_id = ?2, summary_json = ?3, finished_at = ?4, error = NULL WHERE id = ?1",
                params![run_id, statement_id, summary, ms(now)],
            )?;
            Ok(())
        })
    }

    pub fn recon_run(&self, id: i64) -> Result<RunRecord> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {RUN_COLS} FROM recon_runs r WHERE r.id = ?1"))?
                .query_row([id], |r| run_from_row(c, r))
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "reconciliation run", id: id.to_string() })
        })
    }

    /// The newest run of each account and day in `[from, to]` (days as `YYYY-MM-DD`), by day
    /// then account; `accounts` empty = all.
    pub fn latest_runs(&self, from: &str, to: &str, accounts: &[String]) -> Result<Vec<RunRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {RUN_COLS} FROM recon_runs r WHERE r.id IN (SELECT MAX(id) FROM recon_runs WHERE day >= ?1 AND day <= ?2 GROUP BY account, day) ORDER BY r.day, r.account"
            ))?;
            let rows = st.query_map([from, to], |r| run_from_row(c, r))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.into_iter().filter(|r| accounts.is_empty() || accounts.contains(&r.account)).collect())
        })
    }

    /// Runs of one account and day, newest first.
    pub fn runs_of(&self, account: &str, day: &str) -> Result<Vec<RunRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {RUN_COLS} FROM recon_runs r WHERE r.account = ?1 AND r.day = ?2 ORDER BY r.id DESC"))?;
            let rows = st.query_map([account, day], |r| run_from_row(c, r))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Discrepancies of the given runs.
    pub fn recon_items(&self, run_ids: &[i64], f: &ItemFilter) -> Result<Vec<ItemRecord>> {
        if run_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let ids = run_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let sql = format!(
                "SELECT {ITEM_COLS} FROM recon_items i JOIN recon_runs r ON r.id = i.run_id WHERE i.run_id IN ({ids}) \
                 AND (?1 IS NULL OR i.kind = ?1) AND (?2 IS NULL OR i.state = ?2) ORDER BY r.day, r.account, i.id LIMIT ?3"
            );
            let mut st = c.prepare(&sql)?;
            let rows = st
                .query_map(params![f.kind.map(|k| k.as_str()), f.state.map(|s| s.as_str()), f.limit.unwrap_or(10_000)], item_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn recon_item(&self, id: i64) -> Result<ItemRecord> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {ITEM_COLS} FROM recon_items i JOIN recon_runs r ON r.id = i.run_id WHERE i.id = ?1"))?
                .query_row([id], item_from_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "discrepancy", id: id.to_string() })
        })
    }

    /// Records an action on a discrepancy and, when `state` is given, moves it there (with the
    /// note). One transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn recon_act(&self, id: i64, action: &str, outcome: &str, state: Option<ItemState>, note: Option<&str>, actor: Option<&str>, now: DateTime<Utc>) -> Result<ItemRecord> {
        self.write(|tx| {
            let n = tx.execute("INSERT INTO recon_actions (item_id, action, outcome, note, actor, at) SELECT id, ?2, ?3, ?4, ?5, ?6 FROM recon_items WHERE id = ?1", params![id, action, outcome, note, actor, ms(now)])?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "discrepancy", id: id.to_string() });
            }
            if let Some(s) = state {
                tx.execute("UPDATE recon_items SET state = ?2, note = COALESCE(?3, note), updated_at = ?4 WHERE id = ?1", params![id, s.as_str(), note, ms(now)])?;
            }
            Ok(())
        })?;
        self.recon_item(id)
    }

    pub fn recon_actions(&self, id: i64) -> Result<Vec<ItemAction>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT action, outcome, note, actor, at FROM recon_actions WHERE item_id = ?1 ORDER BY id")?;
            let rows = st
                .query_map([id], |r| Ok(ItemAction { action: r.get(0)?, outcome: r.get(1)?, note: r.get(2)?, actor: r.get(3)?, at: from_ms(r.get(4)?)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The matched lines of a run.
    pub fn recon_matches(&self, run_id: i64) -> Result<Vec<Matched>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT line, order_no, refund_no, trade_no, amount, fee, at FROM recon_matches WHERE run_id = ?1 ORDER BY rowid")?;
            let rows = st
                .query_map([run_id], |r| {
                    let line: String = r.get(0)?;
                    Ok(Matched {
                        line: if line == "refund" { StatementKind::Refund } else { StatementKind::Payment },
                        order_no: r.get(1)?,
                        refund_no: r.get(2)?,
                        channel_trade_no: r.get(3)?,
                        amount: r.get(4)?,
                        fee: r.get(5)?,
                        time: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Reads the book around a day for the matcher, in one streaming query per table: the
    /// account's orders and refunds created in `[from, to)`; times turned into `tz`.
    pub fn recon_book(&self, account: &str, from: DateTime<Utc>, to: DateTime<Utc>, tz: chrono_tz::Tz, progress: &dyn Fn(u64)) -> Result<BookView> {
        let local = LocalTime::new(tz, from, to);
        self.read(|c| {
            let mut view = BookView::default();
            // Counted on the index alone, so the map is sized once (no rehashing a million keys).
            let n: i64 = c.prepare_cached("SELECT COUNT(*) FROM orders WHERE account = ?1 AND created_at >= ?2 AND created_at < ?3")?.query_row(params![account, ms(from), ms(to)], |r| r.get(0))?;
            let mut bulk = view.orders.bulk(usize::try_from(n).unwrap_or(0));
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
                "SELECT r.refund_no, r.order_no, r.amount, r.status, r.updated_at FROM refunds r JOIN orders o ON o.order_no = r.order_no \
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
        let local = LocalTime { tz, fixed_ms: None };
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
            let mut st = c.prepare_cached("SELECT r.refund_no, r.order_no, r.amount, r.status, r.updated_at, o.account FROM refunds r JOIN orders o ON o.order_no = r.order_no WHERE r.refund_no = ?1")?;
            for no in refunds {
                if let Some((b, acct)) = st.query_row([no], |r| Ok((book_refund(r, &local)?, r.get::<_, String>(5)?))).optional()? {
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
/// (no daylight-saving change; always so for China), a fixed offset replaces the zone lookup.
struct LocalTime {
    tz: chrono_tz::Tz,
    fixed_ms: Option<i64>,
}

impl LocalTime {
    fn new(tz: chrono_tz::Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> LocalTime {
        use chrono::{Offset, TimeZone};
        let off = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc();
        let fixed_ms = (off(from) == off(to) && to - from <= chrono::Duration::days(3)).then(|| i64::from(off(from)) * 1000);
        LocalTime { tz, fixed_ms }
    }

    fn at(&self, t: i64) -> rusqlite::Result<NaiveDateTime> {
        match self.fixed_ms {
            Some(off) => DateTime::from_timestamp_millis(t + off).map(|d| d.naive_utc()).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, t)),
            None => local(t, self.tz),
        }
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
        seen: Cell::new(false),
    })
}

impl Store {
    /// Writes complete orders (any status, with their times) in one transaction, without
    /// events. For benchmarks and test fixtures that need a large book quickly — never for the
    /// payment path, which goes through `insert_order` and `apply`.
    #[doc(hidden)]
    pub fn bulk_load_orders(&self, orders: &mut dyn Iterator<Item = crate::order::Order>) -> Result<u64> {
        self.write(|tx| {
            let mut st = tx.prepare_cached(
                "INSERT INTO orders (order_no, kind, method, channel, account, amount, refunded, fee, status, subject, channel_trade_no, till, created_at, updated_at, expires_at, paid_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            let mut n = 0;
            for o in orders {
                st.execute(params![
                    o.order_no,
                    o.kind.as_str(),
                    o.method.as_str(),
                    o.channel,
                    o.account,
                    o.amount.fen(),
                    o.refunded.fen(),
                    o.fee.fen(),
                    o.status.as_str(),
                    o.subject,
                    o.channel_trade_no,
                    o.till,
                    ms(o.created_at),
                    ms(o.updated_at),
                    ms(o.expires_at),
                    o.paid_at.map(ms)
                ])?;
                n += 1;
            }
            Ok(n)
        })
    }
}
