//! Sales figures for analytics: the slot pre-aggregates, kept by triggers, and their queries.
//!
//! Every order in a final state adds its counters (attempts, paid, gross, fees, failed, closed)
//! to the UTC slot it was created in, keyed by channel, method and account; every successful
//! refund adds (refunds, refunded) to the slot in which it completed. SQLite triggers keep the
//! tables right inside the very transaction that inserts or changes an order or a refund —
//! whatever code path writes it (payments, callbacks, recovery, reconciliation, bulk imports) —
//! by subtracting the row's old contribution and adding its new one ([`schema`]).
//!
//! Slots are UTC, 15 minutes (and, for speed, 1 hour) wide, so every time zone's local hours and
//! days are unions of whole slots: the shop's zone is applied at query time, and a time-zone
//! change needs no rebuild. [`Store::rebuild_sales_buckets`] recomputes the tables from the raw
//! rows (the migration's backfill uses it; a test checks the triggers against it).

mod schema;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::types::ValueRef;

pub(super) use schema::{add_inserted, backfill, order_triggers, refund_triggers, AccountCol, MIGRATION};
use super::{Result, Store};

/// Width of the finest slot, ms: every zone's local midnight is a multiple of it.
pub const SLOT_MS: i64 = 15 * 60 * 1000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Where figures are read from: the pre-aggregate, or (for checks and the benchmark baseline)
/// the raw orders and refunds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Buckets,
    Raw,
}

/// A span of UTC time in which the shop's zone has one fixed offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetSpan {
    /// Start, UTC ms (a multiple of [`SLOT_MS`]).
    pub from_ms: i64,
    /// End (exclusive), UTC ms (a multiple of [`SLOT_MS`]).
    pub to_ms: i64,
    /// Local time minus UTC, ms.
    pub offset_ms: i64,
}

/// Counters of one (local day, local hour, channel, method) cell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SalesCell {
    /// Local day, as days since 1970-01-01.
    pub day: i64,
    /// Local hour, 0–23.
    pub hour: u8,
    pub channel: String,
    pub method: String,
    pub attempts: i64,
    pub paid: i64,
    pub gross: i64,
    pub fees: i64,
    pub failed: i64,
    pub closed: i64,
    pub refunds: i64,
    pub refunded: i64,
}

/// Failed and closed orders of a window, grouped by what the book recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureGroup {
    pub channel: String,
    pub closed: bool,
    pub code: Option<String>,
    pub message: Option<String>,
    pub count: i64,
}

/// Which slot table serves `[from, to)` at offset `offset_ms`: hourly rows where local hours are
/// UTC hours, 15-minute rows for the unaligned ends (a to-date cut at 10:15) and for zones such
/// as +05:30.
fn pieces(span: &OffsetSpan) -> Vec<(&'static str, i64, i64)> {
    let (from, to) = (span.from_ms, span.to_ms);
    if span.offset_ms % HOUR_MS != 0 {
        return vec![("sales_buckets", from, to)];
    }
    let a = from.div_euclid(HOUR_MS) * HOUR_MS + if from.rem_euclid(HOUR_MS) == 0 { 0 } else { HOUR_MS };
    let b = to.div_euclid(HOUR_MS) * HOUR_MS;
    if a >= b {
        return vec![("sales_buckets", from, to)];
    }
    [("sales_buckets", from, a), ("sales_hours", a, b), ("sales_buckets", b, to)].into_iter().filter(|p| p.1 < p.2).collect()
}

/// Counters summed per (local day, local hour, channel, method), with interned names.
#[derive(Default)]
struct Fold {
    names: Vec<String>,
    cells: HashMap<(i64, u8, usize, usize), [i64; 8]>,
}

impl Fold {
    fn intern(&mut self, v: ValueRef<'_>) -> rusqlite::Result<usize> {
        let s = v.as_str()?;
        Ok(match self.names.iter().position(|n| n == s) {
            Some(i) => i,
            None => {
                self.names.push(s.to_string());
                self.names.len() - 1
            }
        })
    }

    /// Adds rows `(bucket, channel, method, 8 counters)` of one offset span.
    fn add(&mut self, rows: &mut rusqlite::Rows<'_>, offset_ms: i64) -> rusqlite::Result<()> {
        while let Some(r) = rows.next()? {
            let local = r.get::<_, i64>(0)? + offset_ms;
            let hour = u8::try_from(local.rem_euclid(DAY_MS) / HOUR_MS).unwrap_or(0);
            let key = (local.div_euclid(DAY_MS), hour, self.intern(r.get_ref(1)?)?, self.intern(r.get_ref(2)?)?);
            let sums = self.cells.entry(key).or_default();
            for (i, v) in sums.iter_mut().enumerate() {
                *v += r.get::<_, i64>(3 + i)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Vec<SalesCell> {
        let names = self.names;
        let mut out: Vec<SalesCell> = self
            .cells
            .into_iter()
            .map(|((day, hour, ch, m), v)| SalesCell {
                day,
                hour,
                channel: names[ch].clone(),
                method: names[m].clone(),
                attempts: v[0],
                paid: v[1],
                gross: v[2],
                fees: v[3],
                failed: v[4],
                closed: v[5],
                refunds: v[6],
                refunded: v[7],
            })
            .collect();
        out.sort_by(|a, b| (a.day, a.hour, &a.channel, &a.method).cmp(&(b.day, b.hour, &b.channel, &b.method)));
        out
    }
}

const COLS: &str = "bucket, channel, method, attempts, paid, gross, fees, failed, closed, refunds, refunded";

impl Store {
    /// Sales counters of `spans` (consecutive, in order), summed per local day, local hour,
    /// channel and method.
    ///
    /// Slot rows are streamed in key order and summed here: a SQL `GROUP BY` on computed local
    /// times would sort every row of the range first (several times slower on a year).
    pub fn sales_cells(&self, spans: &[OffsetSpan], source: Source) -> Result<Vec<SalesCell>> {
        self.sales_cells_of(spans, source, None)
    }

    /// [`Store::sales_cells`] of some tills only (their orders, and the refunds they made),
    /// counted from the raw rows (the slot tables have no till). `None`: the whole book.
    pub fn sales_cells_of(&self, spans: &[OffsetSpan], source: Source, tills: Option<&[crate::ids::TillId]>) -> Result<Vec<SalesCell>> {
        let tills: Option<Vec<String>> = tills.map(|t| t.iter().map(|x| x.as_str().to_string()).collect());
        let source = if tills.is_some() { Source::Raw } else { source };
        self.read(|c| {
            let mut fold = Fold::default();
            for span in spans {
                let parts = match source {
                    Source::Buckets => pieces(span),
                    Source::Raw => vec![("", span.from_ms, span.to_ms)],
                };
                for (table, from, to) in parts {
                    let sql = match source {
                        Source::Buckets => format!("SELECT {COLS} FROM {table} WHERE bucket >= ?1 AND bucket < ?2"),
                        Source::Raw => format!("SELECT {COLS} FROM ({})", schema::from_raw_of(SLOT_MS, tills.as_deref())),
                    };
                    let mut st = c.prepare_cached(&sql)?;
                    fold.add(&mut st.query([from, to])?, span.offset_ms)?;
                }
            }
            Ok(fold.finish())
        })
    }

    /// Failed and closed orders created in `[from_ms, to_ms)`, grouped by channel, status, code
    /// and message. Reads the covering partial index `orders_unpaid` and groups here (SQLite's
    /// sorter is slow on these text keys).
    pub fn failure_groups(&self, from_ms: i64, to_ms: i64) -> Result<Vec<FailureGroup>> {
        self.failure_groups_of(from_ms, to_ms, None)
    }

    /// [`Store::failure_groups`] of some tills only.
    pub fn failure_groups_of(&self, from_ms: i64, to_ms: i64, tills: Option<&[crate::ids::TillId]>) -> Result<Vec<FailureGroup>> {
        let of = tills.map_or(String::new(), |t| format!(" AND till IN ({})", t.iter().map(|x| format!("'{x}'")).collect::<Vec<_>>().join(", ")));
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT channel, status, failure_code, failure_message FROM orders
                 WHERE status IN ('failed','closed') AND created_at >= ?1 AND created_at < ?2{of}"
            ))?;
            let mut collect = || -> rusqlite::Result<Vec<FailureGroup>> {
                let mut rows = st.query([from_ms, to_ms])?;
                let mut groups: Vec<FailureGroup> = Vec::new();
                let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
                while let Some(r) = rows.next()? {
                    let (channel, closed) = (r.get_ref(0)?.as_str()?, r.get_ref(1)?.as_str()? == "closed");
                    let (code, message) = (r.get_ref(2)?.as_str_or_null()?, r.get_ref(3)?.as_str_or_null()?);
                    let mut h = DefaultHasher::new();
                    (channel, closed, code, message).hash(&mut h);
                    let slot = index.entry(h.finish()).or_default();
                    let same = |g: &FailureGroup| g.channel == channel && g.closed == closed && g.code.as_deref() == code && g.message.as_deref() == message;
                    match slot.iter().copied().find(|&i| same(&groups[i])) {
                        Some(i) => groups[i].count += 1,
                        None => {
                            slot.push(groups.len());
                            groups.push(FailureGroup { channel: channel.into(), closed, code: code.map(Into::into), message: message.map(Into::into), count: 1 });
                        }
                    }
                }
                Ok(groups)
            };
            Ok(collect()?)
        })
    }

    /// Recomputes the analytics pre-aggregates from the raw orders and refunds.
    pub fn rebuild_sales_buckets(&self) -> Result<()> {
        self.write(|tx| Ok(schema::rebuild_in(tx)?))
    }

    /// Rows where the pre-aggregates differ from a recomputation from the raw rows (empty when
    /// consistent). For tests and `paydesk report --check`.
    pub fn sales_bucket_mismatches(&self) -> Result<Vec<String>> {
        self.read(|c| Ok(schema::mismatches(c)?))
    }
}

#[cfg(test)]
mod tests;
