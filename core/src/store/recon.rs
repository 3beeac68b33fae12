//! Reconciliation tables: stored statements, runs (with their summary and which statement lines
//! had a discrepancy), discrepancies (items) and the actions taken on them.
//!
//! Invariants: a discrepancy keeps its id across re-runs of its account and day — a re-run
//! finds the item of the same difference ([`Discrepancy::key`]) and updates it, keeping its
//! state and note; items a re-run no longer finds are marked superseded by it. A failed run
//! changes no item, and what is presented for a day is its newest *finished* run, with a newer
//! failure beside it ([`RunRecord::failure`]).

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::{from_ms, ms, Result, Store, StoreError};
use crate::reconcile::{Discrepancy, DiscrepancyKind, ItemState, Matched, Side, Summary};
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
    /// Discrepancies of the account and day still open (whichever run found them last).
    pub open: u64,
    /// A newer run of the same day that failed: shown beside this (the last good) one, which
    /// it did not replace.
    #[serde(default)]
    pub failure: Option<RunFailure>,
}

/// A failed run, as shown beside the last good run of its day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    pub run_id: i64,
    pub error: String,
    pub at: DateTime<Utc>,
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
    /// The newer run of the day that no longer found this difference (nothing left to settle).
    #[serde(default)]
    pub superseded_by: Option<i64>,
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
    (SELECT COUNT(*) FROM recon_items i WHERE i.account = r.account AND i.day = r.day AND i.superseded_by IS NULL AND i.state = 'open') AS open";

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
        failure: None,
    })
}

const ITEM_COLS: &str = "i.id, i.run_id, i.account, i.day, i.kind, i.line, i.order_no, i.refund_no, i.book_json, i.channel_json, i.detail, i.reason, i.reason_args, i.state, i.note, i.updated_at, i.superseded_by, \
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
        superseded_by: r.get("superseded_by")?,
        till: r.get("till")?,
        store: r.get("store")?,
    })
}

/// Statement line indexes as stored: 4 bytes each, little-endian.
fn lines_blob(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|i| i.to_le_bytes()).collect()
}

fn blob_lines(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// The items of a day so far, by key: for each key the current ones first (oldest first), then
/// superseded ones (newest first) — the ids a re-run gives its differences back.
fn items_by_key(tx: &rusqlite::Transaction<'_>, account: &str, day: &str) -> rusqlite::Result<HashMap<String, VecDeque<(i64, ItemState)>>> {
    let mut st = tx.prepare_cached(
        "SELECT id, item_key, state FROM recon_items WHERE account = ?1 AND day = ?2 \
         ORDER BY superseded_by IS NOT NULL, CASE WHEN superseded_by IS NULL THEN id ELSE -id END",
    )?;
    let mut out: HashMap<String, VecDeque<(i64, ItemState)>> = HashMap::default();
    let mut rows = st.query(params![account, day])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(1)?).or_default().push_back((r.get(0)?, super::parse_col(r, "state")?));
    }
    Ok(out)
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

    /// Stores a finished run in one transaction: its summary, its discrepancies and the
    /// statement lines that have one. A difference an earlier run of the same account and day
    /// found keeps its item (id, state, note — a `fixed` one found again is reopened); items this
    /// run no longer finds are superseded by it. Costs one pass over the day's items, however
    /// many runs the day had.
    pub fn finish_run(&self, run_id: i64, statement_id: Option<i64>, summary: &Summary, items: &[Discrepancy], flagged: &[u32], now: DateTime<Utc>) -> Result<()> {
        let summary = serde_json::to_string(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            let (account, day): (String, String) = tx.query_row("SELECT account, day FROM recon_runs WHERE id = ?1", [run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut known = items_by_key(tx, &account, &day)?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO recon_items (run_id, kind, line, order_no, refund_no, book_json, channel_json, detail, reason, reason_args, state, note, updated_at, account, day, item_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', NULL, ?11, ?12, ?13, ?14)",
            )?;
            let mut upd = tx.prepare_cached(
                "UPDATE recon_items SET run_id = ?1, kind = ?2, line = ?3, order_no = ?4, refund_no = ?5, book_json = ?6, channel_json = ?7, detail = ?8, reason = ?9, \
                 reason_args = ?10, updated_at = ?11, superseded_by = NULL, state = CASE state WHEN 'fixed' THEN 'open' ELSE state END WHERE id = ?12",
            )?;
            let mut reopen = tx.prepare_cached("INSERT INTO recon_actions (item_id, action, outcome, note, actor, at) VALUES (?1, 'reopen', 'found again by run ' || ?2, NULL, NULL, ?3)")?;
            let side = |s: &Option<Side>| s.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
            for d in items {
                let key = d.key();
                let (line, kind, args) = (line_str(d.line), d.kind.as_str(), d.reason.args_json());
                match known.get_mut(&key).and_then(VecDeque::pop_front) {
                    Some((id, state)) => {
                        upd.execute(params![run_id, kind, line, d.order_no, d.refund_no, side(&d.book), side(&d.channel), d.detail, d.reason.code, args, ms(now), id])?;
                        if state == ItemState::Fixed {
                            reopen.execute(params![id, run_id, ms(now)])?;
                        }
                    }
                    None => {
                        ins.execute(params![run_id, kind, line, d.order_no, d.refund_no, side(&d.book), side(&d.channel), d.detail, d.reason.code, args, ms(now), account, day, key])?;
                    }
                }
            }
            tx.execute(
                "UPDATE recon_items SET superseded_by = ?1, updated_at = ?4 WHERE account = ?2 AND day = ?3 AND superseded_by IS NULL AND run_id != ?1",
                params![run_id, account, day, ms(now)],
            )?;
            tx.execute(
                "UPDATE recon_runs SET status = 'done', statement_id = ?2, summary_json = ?3, flagged = ?4, finished_at = ?5, error = NULL WHERE id = ?1",
                params![run_id, statement_id, summary, lines_blob(flagged), ms(now)],
            )?;
            Ok(())
        })
    }

    /// The statement lines (0-based) a run found a discrepancy on; None for runs stored before
    /// Paydesk kept this (their matched lines are in the legacy table, [`Store::recon_matches`]).
    pub fn recon_flagged(&self, run_id: i64) -> Result<Option<Vec<u32>>> {
        self.read(|c| {
            let b: Option<Option<Vec<u8>>> = c.query_row("SELECT flagged FROM recon_runs WHERE id = ?1", [run_id], |r| r.get(0)).optional()?;
            Ok(b.flatten().map(|b| blob_lines(&b)))
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

    /// What is presented for each account and day in `[from, to]` (days as `YYYY-MM-DD`), by
    /// day then account; `accounts` empty = all: the newest finished run — with a newer failed
    /// one beside it in [`RunRecord::failure`] — or, for a day without a finished run, its
    /// newest run.
    pub fn latest_runs(&self, from: &str, to: &str, accounts: &[String]) -> Result<Vec<RunRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {RUN_COLS} FROM recon_runs r WHERE r.id IN \
                 (SELECT COALESCE(MAX(CASE WHEN status = 'done' THEN id END), MAX(id)) FROM recon_runs WHERE day >= ?1 AND day <= ?2 GROUP BY account, day) \
                 ORDER BY r.day, r.account"
            ))?;
            let rows = st.query_map([from, to], |r| run_from_row(c, r))?.collect::<rusqlite::Result<Vec<_>>>()?;
            let mut failed = c.prepare_cached("SELECT id, error, started_at FROM recon_runs WHERE account = ?1 AND day = ?2 AND id > ?3 AND status = 'failed' ORDER BY id DESC LIMIT 1")?;
            let mut out = Vec::new();
            for mut r in rows.into_iter().filter(|r| accounts.is_empty() || accounts.contains(&r.account)) {
                if r.status == "done" {
                    r.failure = failed
                        .query_row(params![r.account, r.day, r.id], |x| Ok(RunFailure { run_id: x.get(0)?, error: x.get::<_, Option<String>>(1)?.unwrap_or_default(), at: from_ms(x.get(2)?)? }))
                        .optional()?;
                }
                out.push(r);
            }
            Ok(out)
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
                "SELECT {ITEM_COLS} FROM recon_items i WHERE i.run_id IN ({ids}) \
                 AND (?1 IS NULL OR i.kind = ?1) AND (?2 IS NULL OR i.state = ?2) ORDER BY i.day, i.account, i.id LIMIT ?3"
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
            c.prepare_cached(&format!("SELECT {ITEM_COLS} FROM recon_items i WHERE i.id = ?1"))?
                .query_row([id], item_from_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "discrepancy", id: id.to_string() })
        })
    }

    /// Records an action on a discrepancy and, when `state` is given, moves it there (with the
    /// note). One transaction. Refused for a superseded discrepancy (a newer run of its day no
    /// longer found the difference).
    #[allow(clippy::too_many_arguments)]
    pub fn recon_act(&self, id: i64, action: &str, outcome: &str, state: Option<ItemState>, note: Option<&str>, actor: Option<&str>, now: DateTime<Utc>) -> Result<ItemRecord> {
        self.write(|tx| {
            let superseded: Option<Option<i64>> = tx.query_row("SELECT superseded_by FROM recon_items WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            match superseded {
                None => return Err(StoreError::NotFound { what: "discrepancy", id: id.to_string() }),
                Some(Some(run)) if state.is_some() => return Err(StoreError::Conflict(format!("discrepancy {id} was superseded by run {run}, which no longer found it: nothing to settle"))),
                Some(_) => {}
            }
            tx.execute("INSERT INTO recon_actions (item_id, action, outcome, note, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", params![id, action, outcome, note, actor, ms(now)])?;
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

    /// The matched lines of a run stored before Paydesk stopped writing a row per matched line
    /// (newer runs re-derive them from the kept statement).
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
}
