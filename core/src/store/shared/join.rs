//! Joining a till to a shared book: register it, send its whole history, verify, pull the shop.
//!
//! Invariant: a till id belongs to one book in the shared book — a second book asking for the same
//! id is refused before anything is written. Joining is idempotent: the history goes through the
//! same journal as every later write (so an interrupted join resumes where it stopped and sends
//! nothing twice), and the join is marked done only once the per-day counts and sums of the
//! till's orders and refunds agree in both books.

use chrono::{Offset, TimeZone, Utc};
use rand::Rng;
use serde::Serialize;

use super::link::{redact, Link, SharedConfig};
use super::pg_schema::WRITE_LOCK;
use super::tables::{Dialect, Keyed, ShopTable, JOURNAL, SHOP};
use super::value::{pg_params, V};
use super::{meta, set_meta, Health, LinkError, Shared};
use crate::store::Store;

/// One local day of the till's history in both books.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayCheck {
    pub day: String,
    /// Orders: count, amount (fen) and paid amount, here and in the shared book.
    pub local: [i64; 3],
    pub shared: [i64; 3],
    /// Refunds created that day: count and amount.
    pub local_refunds: [i64; 2],
    pub shared_refunds: [i64; 2],
}

impl DayCheck {
    pub fn ok(&self) -> bool {
        self.local == self.shared && self.local_refunds == self.shared_refunds
    }
}

/// What a join did and found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JoinReport {
    pub till: String,
    pub store: String,
    /// Journal entries sent (the history, or what an interrupted join had left).
    pub pushed: u64,
    pub pulled: u64,
    /// Days whose figures differ (empty when verified).
    pub mismatched: Vec<DayCheck>,
    pub days: usize,
    /// Order events of this till: here, and in the shared book.
    pub events: [i64; 2],
    pub verified: bool,
}

fn orders_by_day(d: Dialect, offset_ms: i64) -> String {
    format!(
        "SELECT (created_at + {offset_ms}) / 86400000 AS d, COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN status IN ('success','refunded') THEN amount ELSE 0 END), 0) AS BIGINT)
         FROM orders WHERE till = {p} GROUP BY d ORDER BY d",
        p = d.ph(1)
    )
}

fn refunds_by_day(d: Dialect, offset_ms: i64) -> String {
    format!(
        "SELECT (created_at + {offset_ms}) / 86400000 AS d, COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds WHERE till = {p} GROUP BY d ORDER BY d",
        p = d.ph(1)
    )
}

type Days = Vec<(i64, Vec<i64>)>;

fn merge_days(orders: &Days, shared: &Days, refunds: &Days, shared_refunds: &Days) -> Vec<DayCheck> {
    let mut days: Vec<i64> = orders.iter().chain(shared).chain(refunds).chain(shared_refunds).map(|d| d.0).collect();
    days.sort_unstable();
    days.dedup();
    let get = |v: &Days, d: i64, n: usize| v.iter().find(|x| x.0 == d).map_or(vec![0; n], |x| x.1.clone());
    days.into_iter()
        .map(|d| {
            let (o, s, r, sr) = (get(orders, d, 3), get(shared, d, 3), get(refunds, d, 2), get(shared_refunds, d, 2));
            DayCheck {
                day: chrono::DateTime::from_timestamp(d * 86_400, 0).map(|t| t.date_naive().to_string()).unwrap_or_default(),
                local: [o[0], o[1], o[2]],
                shared: [s[0], s[1], s[2]],
                local_refunds: [r[0], r[1]],
                shared_refunds: [sr[0], sr[1]],
            }
        })
        .collect()
}

fn shop_rows(c: &rusqlite::Connection, t: &ShopTable) -> rusqlite::Result<Vec<Vec<V>>> {
    let cols: Vec<&str> = t.cols.iter().map(|c| c.0).collect();
    let mut st = c.prepare(&format!("SELECT {} FROM {}", cols.join(", "), t.local))?;
    let rows = st.query_map([], |r| (0..cols.len()).map(|i| V::from_sqlite(r.get_ref(i)?)).collect::<rusqlite::Result<Vec<V>>>())?.collect();
    rows
}

impl Store {
    /// Joins this book to the shared book as till `till` of store `store`; see the module doc.
    /// `tz` is the shop's zone (the days of the verification).
    pub fn join_shared(&self, cfg: SharedConfig, till: &str, store: &str, host: &str, tz: chrono_tz::Tz) -> Result<JoinReport, LinkError> {
        if store.is_empty() || store.chars().count() > 32 || store.chars().any(char::is_control) {
            return Err(LinkError::Refused("store: 1 to 32 characters".into()));
        }
        let (linked, book_id, joined) = self.read(|c| Ok((meta(c, "till")?, meta(c, "book_id")?, meta(c, "joined")?.is_some())))?;
        if let Some(t) = linked.as_ref().filter(|t| t.as_str() != till) {
            return Err(LinkError::Refused(format!("till: this book already belongs to till {t} of a shared book")));
        }
        let book_id = book_id.unwrap_or_else(|| hex::encode(rand::thread_rng().gen::<[u8; 16]>()));
        let link = Link::start(cfg.clone())?;
        // Register first: a taken till id is refused before this book changes.
        let (accounts, users) = self.read(|c| Ok((shop_rows(c, &SHOP[1])?, shop_rows(c, &SHOP[2])?)))?;
        let (t, s, b, h) = (till.to_string(), store.to_string(), book_id.clone(), host.to_string());
        link.call(move |pg| {
            let mut tx = pg.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let now = Utc::now().timestamp_millis();
            tx.execute(
                "INSERT INTO tills (till_id, store_id, book_id, host, joined_at, rev) VALUES ($1, $2, $3, $4, $5, nextval('sync_rev')) ON CONFLICT (till_id) DO NOTHING",
                &[&t, &s, &b, &h, &now],
            )?;
            let row = tx.query_one("SELECT book_id, store_id FROM tills WHERE till_id = $1", &[&t])?;
            let (their_book, their_store): (String, String) = (row.get(0), row.get(1));
            if their_book != b {
                return Err(LinkError::Refused(format!("till: {t} is already a till of store {their_store} in the shared book; choose another till id")));
            }
            if their_store != s {
                return Err(LinkError::Refused(format!("store: till {t} belongs to store {their_store} in the shared book")));
            }
            // The shop's accounts and users: the first till's become the shop's; a name the shared
            // book already has keeps the shared version.
            for (table, rows) in [("accounts", accounts), ("users", users)] {
                let sql = SHOP.iter().find(|x| x.pg == table).map(|x| x.pg_upsert()).unwrap_or_default();
                let sql = format!("{} DO NOTHING", &sql[..sql.find("DO UPDATE").unwrap_or(sql.len())]);
                for r in rows {
                    tx.execute(sql.as_str(), &pg_params(&r))?;
                }
            }
            tx.commit()?;
            Ok(())
        })?;
        // The whole history into the journal, unless a finished join already sent it or an
        // interrupted one left part of it to send (then the join resumes with what is left).
        self.write(|tx| {
            set_meta(tx, "till", till)?;
            set_meta(tx, "store", store)?;
            set_meta(tx, "book_id", &book_id)?;
            set_meta(tx, "url", &redact(&cfg.url))?;
            let waiting: i64 = tx.query_row("SELECT COUNT(*) FROM sync_journal", [], |r| r.get(0))?;
            if !joined && waiting == 0 {
                set_meta(tx, "journal", "0")?;
                for t in &JOURNAL {
                    match t.keyed {
                        Keyed::Natural(k) => {
                            let own = match t.name {
                                "orders" | "refunds" => "till = ?1".to_string(),
                                _ => format!("{k} IN (SELECT order_no FROM orders WHERE till = ?1)"),
                            };
                            tx.execute(&format!("INSERT INTO sync_journal (tbl, key) SELECT '{0}', {k} FROM {0} WHERE {own} ORDER BY rowid", t.name), [till])?;
                        }
                        Keyed::Origin(id) => {
                            tx.execute(&format!("UPDATE {} SET origin_till = ?1, origin_seq = {id} WHERE origin_till IS NULL", t.name), [till])?;
                            tx.execute(&format!("INSERT INTO sync_journal (tbl, key) SELECT '{0}', {id} FROM {0} WHERE origin_till = ?1 ORDER BY {id}", t.name), [till])?;
                        }
                    }
                }
            }
            set_meta(tx, "journal", "1")?;
            Ok(())
        })?;
        let sh = std::sync::Arc::new(Shared { link, till: till.to_string(), state: std::sync::Mutex::new(Health::default()) });
        *self.shared.write().unwrap_or_else(|p| p.into_inner()) = Some(sh.clone());
        let pushed = self.push(&sh)?;
        let report = self.verify_join(&sh, store, tz, pushed)?;
        let pulled = self.pull(&sh)?;
        if report.verified {
            self.write(|tx| Ok(set_meta(tx, "joined", "1")?))?;
        }
        Ok(JoinReport { pulled, ..report })
    }

    fn verify_join(&self, sh: &Shared, store: &str, tz: chrono_tz::Tz, pushed: u64) -> Result<JoinReport, LinkError> {
        let off = i64::from(tz.offset_from_utc_datetime(&Utc::now().naive_utc()).fix().local_minus_utc()) * 1000;
        let till = sh.till.clone();
        let day_rows = |rows: Vec<Vec<i64>>| -> Days { rows.into_iter().map(|r| (r[0], r[1..].to_vec())).collect() };
        let (orders, refunds, events) = self.read(|c| {
            let q = |sql: &str, n: usize| -> rusqlite::Result<Vec<Vec<i64>>> {
                let mut st = c.prepare(sql)?;
                let rows = st.query_map([&till], |r| (0..n).map(|i| r.get::<_, i64>(i)).collect::<rusqlite::Result<Vec<i64>>>())?.collect();
                rows
            };
            let events: i64 = c.query_row("SELECT COUNT(*) FROM order_events WHERE origin_till = ?1", [&till], |r| r.get(0))?;
            Ok((q(&orders_by_day(Dialect::Sqlite, off), 4)?, q(&refunds_by_day(Dialect::Sqlite, off), 3)?, events))
        })?;
        let t = till.clone();
        let (s_orders, s_refunds, s_events) = sh.link.call(move |pg| {
            let q = |pg: &mut postgres::Client, sql: &str, n: usize| -> Result<Vec<Vec<i64>>, LinkError> {
                Ok(pg.query(sql, &[&t])?.iter().map(|r| (0..n).map(|i| r.get::<_, i64>(i)).collect()).collect())
            };
            let o = q(pg, &orders_by_day(Dialect::Postgres, off), 4)?;
            let r = q(pg, &refunds_by_day(Dialect::Postgres, off), 3)?;
            let e: i64 = pg.query_one("SELECT COUNT(*) FROM order_events WHERE till = $1", &[&t])?.get(0);
            Ok((o, r, e))
        })?;
        let days = merge_days(&day_rows(orders), &day_rows(s_orders), &day_rows(refunds), &day_rows(s_refunds));
        let mismatched: Vec<DayCheck> = days.iter().filter(|d| !d.ok()).cloned().collect();
        let verified = mismatched.is_empty() && events == s_events;
        Ok(JoinReport { till, store: store.to_string(), pushed, pulled: 0, days: days.len(), mismatched, events: [events, s_events], verified })
    }
}

/// The check value of the shop key in the shared book (see `paydesk_channels::shopkey`):
/// `candidate` becomes it when none is set yet (the first till to join with a shop key).
/// Returns the check in force, so a till given another shop's key file is told at join.
pub fn claim_shop_key_check(cfg: SharedConfig, candidate: &str) -> Result<String, LinkError> {
    let link = Link::start(cfg)?;
    let c = candidate.to_string();
    link.call(move |pg| {
        let mut tx = pg.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        let now = Utc::now().timestamp_millis();
        tx.execute("INSERT INTO shop_settings (key, value, updated_at, rev) VALUES ('shop_key_check', $1, $2, nextval('sync_rev')) ON CONFLICT (key) DO NOTHING", &[&c, &now])?;
        let v: String = tx.query_one("SELECT value FROM shop_settings WHERE key = 'shop_key_check'", &[])?.get(0);
        tx.commit()?;
        Ok(v)
    })
}
