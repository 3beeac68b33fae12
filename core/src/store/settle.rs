//! Settlement tables: stored fund-flow statements, each account's day figures (the latest
//! derivation), the payout batches (one row per channel reference, so a payout seen in two
//! downloads is one payout) — and the book's own figures of a day for the chain view.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ms, ms, Result, Store, StoreError};
use crate::settle::DayFunds;

/// Migration 16: the settlement and bank-leg tables.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE fund_statements (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        account   TEXT NOT NULL,
        day       TEXT NOT NULL,
        format    TEXT NOT NULL,
        file      TEXT NOT NULL,
        sha256    TEXT NOT NULL,
        bytes     INTEGER NOT NULL,
        rows      INTEGER NOT NULL,
        origin    TEXT NOT NULL CHECK (origin IN ('download','import')),
        stored_at INTEGER NOT NULL
    );
    CREATE INDEX fund_statements_day ON fund_statements(account, day, id);
    CREATE TABLE settle_days (
        account      TEXT NOT NULL,
        day          TEXT NOT NULL,
        channel      TEXT NOT NULL,
        statement_id INTEGER NOT NULL REFERENCES fund_statements(id),
        figures_json TEXT NOT NULL,
        computed_at  INTEGER NOT NULL,
        PRIMARY KEY (account, day)
    );
    CREATE TABLE payouts (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        account      TEXT NOT NULL,
        channel      TEXT NOT NULL,
        reference    TEXT NOT NULL,
        day          TEXT NOT NULL,
        for_day      TEXT NOT NULL,
        amount       INTEGER NOT NULL CHECK (amount > 0),
        time         TEXT,
        counterparty TEXT,
        memo         TEXT NOT NULL,
        covers_json  TEXT NOT NULL,
        expected     INTEGER,
        statement_id INTEGER NOT NULL REFERENCES fund_statements(id),
        UNIQUE (account, reference)
    );
    CREATE INDEX payouts_for_day ON payouts(for_day, account);
    CREATE TABLE bank_statements (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        bank_account TEXT NOT NULL,
        preset       TEXT NOT NULL,
        file         TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        bytes        INTEGER NOT NULL,
        rows         INTEGER NOT NULL,
        new_rows     INTEGER NOT NULL,
        period_from  TEXT NOT NULL,
        period_to    TEXT NOT NULL,
        operator     TEXT,
        stored_at    INTEGER NOT NULL
    );
    CREATE TABLE bank_rows (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        statement_id         INTEGER NOT NULL REFERENCES bank_statements(id),
        row_key              TEXT NOT NULL UNIQUE,
        bank_account         TEXT NOT NULL,
        line                 INTEGER NOT NULL,
        day                  TEXT NOT NULL,
        time                 TEXT,
        amount               INTEGER NOT NULL,
        balance              INTEGER,
        counterparty         TEXT,
        counterparty_account TEXT,
        memo                 TEXT NOT NULL,
        reference            TEXT
    );
    CREATE INDEX bank_rows_day ON bank_rows(day);
    CREATE TABLE bank_runs (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        day          TEXT NOT NULL,
        trigger      TEXT NOT NULL,
        operator     TEXT,
        status       TEXT NOT NULL CHECK (status IN ('running','done','failed')),
        error        TEXT,
        summary_json TEXT NOT NULL DEFAULT '{}',
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER
    );
    CREATE INDEX bank_runs_day ON bank_runs(day, id);
    CREATE TABLE bank_matches (
        run_id      INTEGER NOT NULL REFERENCES bank_runs(id),
        payout_id   INTEGER NOT NULL REFERENCES payouts(id),
        bank_row_id INTEGER NOT NULL REFERENCES bank_rows(id),
        how         TEXT NOT NULL
    );
    CREATE INDEX bank_matches_run ON bank_matches(run_id);
    CREATE TABLE bank_items (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        day         TEXT NOT NULL,
        kind        TEXT NOT NULL,
        item_key    TEXT NOT NULL,
        account     TEXT,
        payout_id   INTEGER REFERENCES payouts(id),
        bank_row_id INTEGER REFERENCES bank_rows(id),
        expected    INTEGER,
        deposited   INTEGER,
        detail      TEXT NOT NULL,
        reason      TEXT NOT NULL,
        reason_args TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('open','fixed','resolved')),
        note        TEXT,
        first_run   INTEGER NOT NULL REFERENCES bank_runs(id),
        last_run    INTEGER NOT NULL REFERENCES bank_runs(id),
        updated_at  INTEGER NOT NULL,
        UNIQUE (day, kind, item_key)
    );
    CREATE TABLE bank_actions (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id INTEGER NOT NULL REFERENCES bank_items(id),
        action  TEXT NOT NULL CHECK (action IN ('recheck','resolve','run')),
        outcome TEXT NOT NULL,
        note    TEXT,
        actor   TEXT,
        at      INTEGER NOT NULL
    );
    CREATE INDEX bank_actions_item ON bank_actions(item_id, id);
"#;

/// A fund-flow file kept for an account and day (the file lives under the home).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundStatement {
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
    pub stored_at: DateTime<Utc>,
}

/// An account's day as its fund flow shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettleDay {
    pub account: String,
    pub channel: String,
    pub day: String,
    pub statement: FundStatement,
    pub funds: DayFunds,
    pub computed_at: DateTime<Utc>,
}

/// A payout batch: a transfer from the channel to the shop's bank account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutRecord {
    pub id: i64,
    pub account: String,
    pub channel: String,
    pub reference: String,
    /// The day the money left the channel.
    pub day: String,
    /// The last business day it pays out (the chain of that day expects it).
    pub for_day: String,
    pub amount: i64,
    pub time: Option<String>,
    pub counterparty: Option<String>,
    pub memo: String,
    /// The business days whose net it pays out.
    pub covers: Vec<String>,
    /// Σ net of the covered days, when every one of them is known (the batch check).
    pub expected: Option<i64>,
}

/// A payout to store (its id is assigned by the book).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayout {
    pub reference: String,
    pub day: String,
    pub for_day: String,
    pub amount: i64,
    pub time: Option<String>,
    pub counterparty: Option<String>,
    pub memo: String,
    pub covers: Vec<String>,
    pub expected: Option<i64>,
}

/// The book's own figures of an account and day (paid orders, successful refunds), fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookDay {
    pub sales: i64,
    pub sales_count: u64,
    pub refunds: i64,
    pub refund_count: u64,
    /// The fees the book recorded on the day's paid orders.
    pub fees: i64,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn json_col<T: for<'de> Deserialize<'de>>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn fund_statement(r: &Row<'_>) -> rusqlite::Result<FundStatement> {
    Ok(FundStatement {
        id: r.get("id")?,
        account: r.get("account")?,
        day: r.get("day")?,
        format: r.get("format")?,
        file: r.get("file")?,
        sha256: r.get("sha256")?,
        bytes: r.get("bytes")?,
        rows: r.get("rows")?,
        origin: r.get("origin")?,
        stored_at: from_ms(r.get("stored_at")?)?,
    })
}

pub(super) fn payout(r: &Row<'_>) -> rusqlite::Result<PayoutRecord> {
    Ok(PayoutRecord {
        id: r.get("id")?,
        account: r.get("account")?,
        channel: r.get("channel")?,
        reference: r.get("reference")?,
        day: r.get("day")?,
        for_day: r.get("for_day")?,
        amount: r.get("amount")?,
        time: r.get("time")?,
        counterparty: r.get("counterparty")?,
        memo: r.get("memo")?,
        covers: json_col(&r.get::<_, String>("covers_json")?)?,
        expected: r.get("expected")?,
    })
}

impl Store {
    pub fn insert_fund_statement(&self, s: &FundStatement) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO fund_statements (account, day, format, file, sha256, bytes, rows, origin, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![s.account, s.day, s.format, s.file, s.sha256, s.bytes, s.rows, s.origin, ms(s.stored_at)],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The newest fund-flow file of an account and day.
    pub fn latest_fund_statement(&self, account: &str, day: &str) -> Result<Option<FundStatement>> {
        self.read(|c| Ok(c.prepare_cached("SELECT * FROM fund_statements WHERE account = ?1 AND day = ?2 ORDER BY id DESC LIMIT 1")?.query_row([account, day], fund_statement).optional()?))
    }

    /// Stores a day's figures and its payouts in one transaction. A payout already known (same
    /// account and reference, e.g. from a file downloaded before) is updated, never doubled.
    #[allow(clippy::too_many_arguments)]
    pub fn save_settle_day(&self, account: &str, channel: &str, day: &str, statement_id: i64, funds: &DayFunds, payouts: &[NewPayout], now: DateTime<Utc>) -> Result<()> {
        let figures = serde_json::to_string(funds).map_err(corrupt)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settle_days (account, day, channel, statement_id, figures_json, computed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (account, day) DO UPDATE SET channel = excluded.channel, statement_id = excluded.statement_id, figures_json = excluded.figures_json, computed_at = excluded.computed_at",
                params![account, day, channel, statement_id, figures, ms(now)],
            )?;
            let mut st = tx.prepare_cached(
                "INSERT INTO payouts (account, channel, reference, day, for_day, amount, time, counterparty, memo, covers_json, expected, statement_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT (account, reference) DO UPDATE SET day = excluded.day, for_day = excluded.for_day, amount = excluded.amount, time = excluded.time, \
                 counterparty = excluded.counterparty, memo = excluded.memo, covers_json = excluded.covers_json, expected = excluded.expected, statement_id = excluded.statement_id",
            )?;
            for p in payouts {
                let covers = serde_json::to_string(&p.covers).map_err(corrupt)?;
                st.execute(params![account, channel, p.reference, p.day, p.for_day, p.amount, p.time, p.counterparty, p.memo, covers, p.expected, statement_id])?;
            }
            Ok(())
        })
    }

    /// An account's stored day, if its fund flow was read.
    pub fn settle_day(&self, account: &str, day: &str) -> Result<Option<SettleDay>> {
        self.read(|c| {
            c.prepare_cached("SELECT d.account, d.channel, d.day, d.figures_json, d.computed_at, s.* FROM settle_days d JOIN fund_statements s ON s.id = d.statement_id WHERE d.account = ?1 AND d.day = ?2")?
                .query_row([account, day], |r| {
                    Ok(SettleDay {
                        account: r.get(0)?,
                        channel: r.get(1)?,
                        day: r.get(2)?,
                        funds: json_col(&r.get::<_, String>(3)?)?,
                        computed_at: from_ms(r.get(4)?)?,
                        statement: fund_statement(r)?,
                    })
                })
                .optional()
                .map_err(Into::into)
        })
    }

    /// The days in `[from, to]` for which `account` has figures (to find a batch's covered days).
    pub fn settle_days_between(&self, account: &str, from: &str, to: &str) -> Result<Vec<(String, DayFunds)>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT day, figures_json FROM settle_days WHERE account = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day")?;
            let rows = st.query_map([account, from, to], |r| Ok((r.get::<_, String>(0)?, json_col::<DayFunds>(&r.get::<_, String>(1)?)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The latest payout of `account` that left the channel before `day` (the previous batch).
    pub fn payout_before(&self, account: &str, day: &str) -> Result<Option<PayoutRecord>> {
        self.read(|c| Ok(c.prepare_cached("SELECT * FROM payouts WHERE account = ?1 AND day < ?2 ORDER BY day DESC, id DESC LIMIT 1")?.query_row([account, day], payout).optional()?))
    }

    /// Payouts paying out the business days `[from, to]` (by `for_day`), every account.
    pub fn payouts_for(&self, from: &str, to: &str) -> Result<Vec<PayoutRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT * FROM payouts WHERE for_day >= ?1 AND for_day <= ?2 ORDER BY for_day, account, day, id")?;
            let rows = st.query_map([from, to], payout)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The payouts of `account` that left the channel on `day` (the ones its file of that day lists).
    pub fn payouts_left(&self, account: &str, day: &str) -> Result<Vec<PayoutRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT * FROM payouts WHERE account = ?1 AND day = ?2 ORDER BY id")?;
            let rows = st.query_map([account, day], payout)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn payout_by_id(&self, id: i64) -> Result<PayoutRecord> {
        self.read(|c| c.prepare_cached("SELECT * FROM payouts WHERE id = ?1")?.query_row([id], payout).optional()?.ok_or_else(|| StoreError::NotFound { what: "payout", id: id.to_string() }))
    }

    /// The book's figures of `account` between two instants (a local business day in UTC).
    pub fn book_day(&self, account: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<BookDay> {
        self.read(|c| {
            let (sales_count, sales, fees): (u64, i64, i64) = c
                .prepare_cached("SELECT COUNT(*), IFNULL(SUM(amount), 0), IFNULL(SUM(fee), 0) FROM orders WHERE account = ?1 AND paid_at >= ?2 AND paid_at < ?3 AND status IN ('success','refunded')")?
                .query_row(params![account, ms(from), ms(to)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let (refund_count, refunds): (u64, i64) = c
                .prepare_cached(
                    "SELECT COUNT(*), IFNULL(SUM(r.amount), 0) FROM refunds r JOIN orders o ON o.order_no = r.order_no \
                     WHERE o.account = ?1 AND r.status = 'success' AND r.updated_at >= ?2 AND r.updated_at < ?3",
                )?
                .query_row(params![account, ms(from), ms(to)], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(BookDay { sales, sales_count, refunds, refund_count, fees })
        })
    }
}
