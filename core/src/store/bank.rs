//! Bank-leg tables: imported bank statements and their rows (each bank line kept once, by a key
//! of its content, however often overlapping exports are imported), the runs of each business
//! day with their matched pairs, and the discrepancies — kept by (day, kind, key), so a re-run
//! updates them — with the actions taken on them.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ms, ms, Result, Store, StoreError};
use crate::reason::Reason;
use crate::reconcile::bank::{BankKind, BankRow, BankSummary, ItemState};

/// An imported bank statement (the file lives under the home).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankStatementRecord {
    pub id: i64,
    pub bank_account: String,
    /// The mapping that read it.
    pub preset: String,
    /// Path relative to the Paydesk home.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    /// Rows not already in the book from an earlier import.
    pub new_rows: u64,
    pub period_from: String,
    pub period_to: String,
    pub operator: Option<String>,
    pub stored_at: DateTime<Utc>,
}

/// A stored bank line: its row as read, with the book's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    pub id: i64,
    #[serde(flatten)]
    pub row: BankRow,
}

impl std::ops::Deref for BankLine {
    type Target = BankRow;
    fn deref(&self) -> &BankRow {
        &self.row
    }
}

/// A bank-leg run of one business day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankRunRecord {
    pub id: i64,
    pub day: String,
    pub trigger: String,
    pub operator: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub summary: BankSummary,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Discrepancies of the day still open.
    pub open: u64,
}

/// A bank discrepancy and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankItem {
    pub id: i64,
    pub day: String,
    pub kind: BankKind,
    pub account: Option<String>,
    pub payout_id: Option<i64>,
    pub payout_ref: Option<String>,
    pub bank_row_id: Option<i64>,
    pub expected: Option<i64>,
    pub deposited: Option<i64>,
    /// The deposit's day and payer, where there is one.
    pub deposit_day: Option<String>,
    pub payer: Option<String>,
    pub detail: String,
    pub reason: Reason,
    pub state: ItemState,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A discrepancy found by a run, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBankItem {
    pub kind: BankKind,
    /// Identifies it across re-runs of the day: the payout's reference or the bank row's key.
    pub key: String,
    pub account: Option<String>,
    pub payout_id: Option<i64>,
    pub bank_row_id: Option<i64>,
    pub expected: Option<i64>,
    pub deposited: Option<i64>,
    pub detail: String,
    pub reason: Reason,
}

/// A matched payout and deposit of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankMatch {
    pub payout_id: i64,
    pub bank_row_id: i64,
    pub how: String,
}

fn bank_line(r: &Row<'_>) -> rusqlite::Result<BankLine> {
    let bad = |e: chrono::ParseError| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e));
    let time: Option<String> = r.get("time")?;
    Ok(BankLine {
        id: r.get("id")?,
        row: BankRow {
            line: r.get("line")?,
            day: r.get::<_, String>("day")?.parse().map_err(bad)?,
            time: time.map(|t| chrono::NaiveTime::parse_from_str(&t, "%H:%M:%S")).transpose().map_err(bad)?,
            amount: r.get("amount")?,
            balance: r.get("balance")?,
            counterparty: r.get("counterparty")?,
            counterparty_account: r.get("counterparty_account")?,
            memo: r.get("memo")?,
            reference: r.get("reference")?,
            bank_account: r.get("bank_account")?,
        },
    })
}

fn statement(r: &Row<'_>) -> rusqlite::Result<BankStatementRecord> {
    Ok(BankStatementRecord {
        id: r.get("id")?,
        bank_account: r.get("bank_account")?,
        preset: r.get("preset")?,
        file: r.get("file")?,
        sha256: r.get("sha256")?,
        bytes: r.get("bytes")?,
        rows: r.get("rows")?,
        new_rows: r.get("new_rows")?,
        period_from: r.get("period_from")?,
        period_to: r.get("period_to")?,
        operator: r.get("operator")?,
        stored_at: from_ms(r.get("stored_at")?)?,
    })
}

const RUN_COLS: &str = "r.*, (SELECT COUNT(*) FROM bank_items i WHERE i.day = r.day AND i.state = 'open') AS open";

fn run(r: &Row<'_>) -> rusqlite::Result<BankRunRecord> {
    let summary: String = r.get("summary_json")?;
    Ok(BankRunRecord {
        id: r.get("id")?,
        day: r.get("day")?,
        trigger: r.get("trigger")?,
        operator: r.get("operator")?,
        status: r.get("status")?,
        error: r.get("error")?,
        summary: serde_json::from_str(&summary).unwrap_or_default(),
        started_at: from_ms(r.get("started_at")?)?,
        finished_at: r.get::<_, Option<i64>>("finished_at")?.map(from_ms).transpose()?,
        open: r.get("open")?,
    })
}

const ITEM_COLS: &str = "i.*, p.reference AS payout_ref, b.day AS deposit_day, b.counterparty AS payer";

fn item(r: &Row<'_>) -> rusqlite::Result<BankItem> {
    Ok(BankItem {
        id: r.get("id")?,
        day: r.get("day")?,
        kind: super::parse_col(r, "kind")?,
        account: r.get("account")?,
        payout_id: r.get("payout_id")?,
        payout_ref: r.get("payout_ref")?,
        bank_row_id: r.get("bank_row_id")?,
        expected: r.get("expected")?,
        deposited: r.get("deposited")?,
        deposit_day: r.get("deposit_day")?,
        payer: r.get("payer")?,
        detail: r.get("detail")?,
        reason: Reason::from_stored(r.get("reason")?, &r.get::<_, String>("reason_args")?),
        state: super::parse_col(r, "state")?,
        note: r.get("note")?,
        updated_at: from_ms(r.get("updated_at")?)?,
    })
}

impl Store {
    /// Stores an imported statement and its rows in one transaction; rows already in the book
    /// (same key) are not added again. Returns the statement with its count of new rows.
    pub fn insert_bank_statement(&self, s: &BankStatementRecord, rows: &[(String, BankRow)]) -> Result<BankStatementRecord> {
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO bank_statements (bank_account, preset, file, sha256, bytes, rows, new_rows, period_from, period_to, operator, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10)",
                params![s.bank_account, s.preset, s.file, s.sha256, s.bytes, s.rows, s.period_from, s.period_to, s.operator, ms(s.stored_at)],
            )?;
            let id = tx.last_insert_rowid();
            let mut st = tx.prepare_cached(
                "INSERT OR IGNORE INTO bank_rows (statement_id, row_key, bank_account, line, day, time, amount, balance, counterparty, counterparty_account, memo, reference) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut added = 0u64;
            for (key, r) in rows {
                let account = r.bank_account.clone().unwrap_or_else(|| s.bank_account.clone());
                added += st.execute(params![
                    id,
                    key,
                    account,
                    r.line,
                    r.day.to_string(),
                    r.time.map(|t| t.format("%H:%M:%S").to_string()),
                    r.amount,
                    r.balance,
                    r.counterparty,
                    r.counterparty_account,
                    r.memo,
                    r.reference
                ])? as u64;
            }
            tx.execute("UPDATE bank_statements SET new_rows = ?2 WHERE id = ?1", params![id, added])?;
            Ok(id)
        })?;
        self.read(|c| Ok(c.prepare_cached("SELECT * FROM bank_statements WHERE id = ?1")?.query_row([id], statement)?))
    }

    /// Imported statements, newest first.
    pub fn bank_statements(&self, limit: u32) -> Result<Vec<BankStatementRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT * FROM bank_statements ORDER BY id DESC LIMIT ?1")?;
            let rows = st.query_map([limit], statement)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The last day any imported statement covers.
    pub fn bank_covered_to(&self) -> Result<Option<String>> {
        self.read(|c| Ok(c.query_row("SELECT MAX(period_to) FROM bank_statements", [], |r| r.get(0))?))
    }

    /// Credit lines dated in `[from, to]`.
    pub fn bank_deposits(&self, from: &str, to: &str) -> Result<Vec<BankLine>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT * FROM bank_rows WHERE day >= ?1 AND day <= ?2 AND amount > 0 ORDER BY day, id")?;
            let rows = st.query_map([from, to], bank_line)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The pairs of the latest finished run of every day but `day`.
    pub fn bank_matches_except(&self, day: &str) -> Result<Vec<BankMatch>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT payout_id, bank_row_id, how FROM bank_matches WHERE run_id IN (SELECT MAX(id) FROM bank_runs WHERE day <> ?1 AND status = 'done' GROUP BY day)",
            )?;
            let rows = st.query_map([day], |r| Ok(BankMatch { payout_id: r.get(0)?, bank_row_id: r.get(1)?, how: r.get(2)? }))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn bank_line(&self, id: i64) -> Result<BankLine> {
        self.read(|c| c.prepare_cached("SELECT * FROM bank_rows WHERE id = ?1")?.query_row([id], bank_line).optional()?.ok_or_else(|| StoreError::NotFound { what: "bank line", id: id.to_string() }))
    }

    pub fn begin_bank_run(&self, day: &str, trigger: &str, operator: Option<&str>, now: DateTime<Utc>) -> Result<i64> {
        self.write(|tx| {
            tx.execute("INSERT INTO bank_runs (day, trigger, operator, status, started_at) VALUES (?1, ?2, ?3, 'running', ?4)", params![day, trigger, operator, ms(now)])?;
            Ok(tx.last_insert_rowid())
        })
    }

    pub fn fail_bank_run(&self, run_id: i64, error: &str, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE bank_runs SET status = 'failed', error = ?2, finished_at = ?3 WHERE id = ?1", params![run_id, error, ms(now)])?;
            Ok(())
        })
    }

    /// Stores a finished run in one transaction: its matches, its discrepancies (an item of the
    /// same day, kind and key is updated, keeping its id and a resolution), and the open items of
    /// the day it no longer finds, which are marked fixed.
    pub fn finish_bank_run(&self, run_id: i64, summary: &BankSummary, matches: &[BankMatch], items: &[NewBankItem], now: DateTime<Utc>) -> Result<()> {
        let summary = serde_json::to_string(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            let day: String = tx.query_row("SELECT day FROM bank_runs WHERE id = ?1", [run_id], |r| r.get(0))?;
            let mut m = tx.prepare_cached("INSERT INTO bank_matches (run_id, payout_id, bank_row_id, how) VALUES (?1, ?2, ?3, ?4)")?;
            for x in matches {
                m.execute(params![run_id, x.payout_id, x.bank_row_id, x.how])?;
            }
            let mut up = tx.prepare_cached(
                "INSERT INTO bank_items (day, kind, item_key, account, payout_id, bank_row_id, expected, deposited, detail, reason, reason_args, state, first_run, last_run, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12, ?12, ?13) \
                 ON CONFLICT (day, kind, item_key) DO UPDATE SET account = excluded.account, payout_id = excluded.payout_id, bank_row_id = excluded.bank_row_id, \
                 expected = excluded.expected, deposited = excluded.deposited, detail = excluded.detail, reason = excluded.reason, reason_args = excluded.reason_args, \
                 last_run = excluded.last_run, updated_at = excluded.updated_at, state = CASE WHEN bank_items.state = 'fixed' THEN 'open' ELSE bank_items.state END",
            )?;
            for i in items {
                up.execute(params![day, i.kind.as_str(), i.key, i.account, i.payout_id, i.bank_row_id, i.expected, i.deposited, i.detail, i.reason.code, i.reason.args_json(), run_id, ms(now)])?;
            }
            let mut gone = tx.prepare_cached("SELECT id FROM bank_items WHERE day = ?1 AND last_run <> ?2 AND state = 'open'")?;
            let ids = gone.query_map(params![day, run_id], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            for id in ids {
                tx.execute("UPDATE bank_items SET state = 'fixed', updated_at = ?2 WHERE id = ?1", params![id, ms(now)])?;
                tx.execute("INSERT INTO bank_actions (item_id, action, outcome, note, actor, at) VALUES (?1, 'run', ?2, NULL, NULL, ?3)", params![id, format!("no longer found by run {run_id}"), ms(now)])?;
            }
            tx.execute("UPDATE bank_runs SET status = 'done', summary_json = ?2, finished_at = ?3, error = NULL WHERE id = ?1", params![run_id, summary, ms(now)])?;
            Ok(())
        })
    }

    pub fn bank_run(&self, id: i64) -> Result<BankRunRecord> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {RUN_COLS} FROM bank_runs r WHERE r.id = ?1"))?
                .query_row([id], run)
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "bank run", id: id.to_string() })
        })
    }

    /// The newest run of each day in `[from, to]`, by day.
    pub fn latest_bank_runs(&self, from: &str, to: &str) -> Result<Vec<BankRunRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {RUN_COLS} FROM bank_runs r WHERE r.id IN (SELECT MAX(id) FROM bank_runs WHERE day >= ?1 AND day <= ?2 GROUP BY day) ORDER BY r.day"))?;
            let rows = st.query_map([from, to], run)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The matched pairs of a run.
    pub fn bank_matches(&self, run_id: i64) -> Result<Vec<BankMatch>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT payout_id, bank_row_id, how FROM bank_matches WHERE run_id = ?1 ORDER BY rowid")?;
            let rows = st.query_map([run_id], |r| Ok(BankMatch { payout_id: r.get(0)?, bank_row_id: r.get(1)?, how: r.get(2)? }))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Discrepancies of the days `[from, to]` (every state unless filtered), by day.
    pub fn bank_items(&self, from: &str, to: &str, kind: Option<BankKind>, state: Option<ItemState>) -> Result<Vec<BankItem>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {ITEM_COLS} FROM bank_items i LEFT JOIN payouts p ON p.id = i.payout_id LEFT JOIN bank_rows b ON b.id = i.bank_row_id \
                 WHERE i.day >= ?1 AND i.day <= ?2 AND (?3 IS NULL OR i.kind = ?3) AND (?4 IS NULL OR i.state = ?4) ORDER BY i.day, i.id"
            );
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params![from, to, kind.map(BankKind::as_str), state.map(ItemState::as_str)], item)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn bank_item(&self, id: i64) -> Result<BankItem> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {ITEM_COLS} FROM bank_items i LEFT JOIN payouts p ON p.id = i.payout_id LEFT JOIN bank_rows b ON b.id = i.bank_row_id WHERE i.id = ?1"))?
                .query_row([id], item)
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "bank discrepancy", id: id.to_string() })
        })
    }

    /// Records an action on a bank discrepancy and, when `state` is given, moves it there.
    #[allow(clippy::too_many_arguments)]
    pub fn bank_act(&self, id: i64, action: &str, outcome: &str, state: Option<ItemState>, note: Option<&str>, actor: Option<&str>, now: DateTime<Utc>) -> Result<BankItem> {
        self.write(|tx| {
            let n = tx.execute("INSERT INTO bank_actions (item_id, action, outcome, note, actor, at) SELECT id, ?2, ?3, ?4, ?5, ?6 FROM bank_items WHERE id = ?1", params![id, action, outcome, note, actor, ms(now)])?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "bank discrepancy", id: id.to_string() });
            }
            if let Some(s) = state {
                tx.execute("UPDATE bank_items SET state = ?2, note = COALESCE(?3, note), updated_at = ?4 WHERE id = ?1", params![id, s.as_str(), note, ms(now)])?;
            }
            Ok(())
        })?;
        self.bank_item(id)
    }

    pub fn bank_actions(&self, id: i64) -> Result<Vec<super::ItemAction>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT action, outcome, note, actor, at FROM bank_actions WHERE item_id = ?1 ORDER BY id")?;
            let rows = st
                .query_map([id], |r| Ok(super::ItemAction { action: r.get(0)?, outcome: r.get(1)?, note: r.get(2)?, actor: r.get(3)?, at: from_ms(r.get(4)?)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
