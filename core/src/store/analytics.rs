//! Sales figures for analytics: the `sales_buckets` pre-aggregate, its triggers and queries.
//!
//! Every order in a final state adds one row's worth of counters (attempts, paid, gross, fees,
//! failed, closed) to its 15-minute UTC slot of creation, keyed by channel, method and account;
//! every successful refund adds (refunds, refunded) to the slot in which it completed. SQLite
//! triggers keep the table right inside the very transaction that inserts or changes an order or
//! a refund — whatever code path writes it (payments, callbacks, recovery, reconciliation, bulk
//! imports) — by subtracting the row's old contribution and adding its new one.
//!
//! Slots are UTC, 15 minutes wide, so every time zone's local hours and days (including +05:30
//! and +05:45 zones) are unions of whole slots: the shop's zone is applied at query time and a
//! time-zone change needs no rebuild. [`Store::rebuild_sales_buckets`] recomputes the table from
//! the raw rows (the migration's backfill uses it; a test checks triggers against it).

use rusqlite::{params_from_iter, Connection, Transaction};

use super::{Result, Store};

/// Width of one slot, ms.
pub const SLOT_MS: i64 = 15 * 60 * 1000;

/// Migration 4 (shipped: never edit; add a new migration to change it).
pub(super) const MIGRATION: &str = r#"
CREATE TABLE sales_buckets (
    bucket   INTEGER NOT NULL,
    channel  TEXT NOT NULL,
    method   TEXT NOT NULL,
    account  TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    paid     INTEGER NOT NULL DEFAULT 0,
    gross    INTEGER NOT NULL DEFAULT 0,
    fees     INTEGER NOT NULL DEFAULT 0,
    failed   INTEGER NOT NULL DEFAULT 0,
    closed   INTEGER NOT NULL DEFAULT 0,
    refunds  INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, channel, method, account)
) WITHOUT ROWID;

CREATE INDEX orders_unpaid ON orders(created_at, channel, failure_code, failure_message) WHERE status IN ('failed','closed');

CREATE TRIGGER sales_order_insert AFTER INSERT ON orders
WHEN NEW.status IN ('success','refunded','failed','closed')
BEGIN
    INSERT INTO sales_buckets (bucket, channel, method, account, attempts, paid, gross, fees, failed, closed)
    VALUES (NEW.created_at - NEW.created_at % 900000, NEW.channel, NEW.method, NEW.account, 1,
            NEW.status IN ('success','refunded'),
            CASE WHEN NEW.status IN ('success','refunded') THEN NEW.amount ELSE 0 END,
            CASE WHEN NEW.status IN ('success','refunded') THEN NEW.fee ELSE 0 END,
            NEW.status = 'failed', NEW.status = 'closed')
    ON CONFLICT (bucket, channel, method, account) DO UPDATE SET
        attempts = attempts + excluded.attempts, paid = paid + excluded.paid, gross = gross + excluded.gross,
        fees = fees + excluded.fees, failed = failed + excluded.failed, closed = closed + excluded.closed;
END;

CREATE TRIGGER sales_order_update AFTER UPDATE OF status, amount, fee, created_at, channel, method, account ON orders
WHEN OLD.status IS NOT NEW.status OR OLD.amount != NEW.amount OR OLD.fee != NEW.fee OR OLD.created_at != NEW.created_at
     OR OLD.channel != NEW.channel OR OLD.method != NEW.method OR OLD.account != NEW.account
BEGIN
    INSERT INTO sales_buckets (bucket, channel, method, account, attempts, paid, gross, fees, failed, closed)
    SELECT OLD.created_at - OLD.created_at % 900000, OLD.channel, OLD.method, OLD.account, -1,
           -(OLD.status IN ('success','refunded')),
           CASE WHEN OLD.status IN ('success','refunded') THEN -OLD.amount ELSE 0 END,
           CASE WHEN OLD.status IN ('success','refunded') THEN -OLD.fee ELSE 0 END,
           -(OLD.status = 'failed'), -(OLD.status = 'closed')
    WHERE OLD.status IN ('success','refunded','failed','closed')
    ON CONFLICT (bucket, channel, method, account) DO UPDATE SET
        attempts = attempts + excluded.attempts, paid = paid + excluded.paid, gross = gross + excluded.gross,
        fees = fees + excluded.fees, failed = failed + excluded.failed, closed = closed + excluded.closed;
    INSERT INTO sales_buckets (bucket, channel, method, account, attempts, paid, gross, fees, failed, closed)
    SELECT NEW.created_at - NEW.created_at % 900000, NEW.channel, NEW.method, NEW.account, 1,
           NEW.status IN ('success','refunded'),
           CASE WHEN NEW.status IN ('success','refunded') THEN NEW.amount ELSE 0 END,
           CASE WHEN NEW.status IN ('success','refunded') THEN NEW.fee ELSE 0 END,
           NEW.status = 'failed', NEW.status = 'closed'
    WHERE NEW.status IN ('success','refunded','failed','closed')
    ON CONFLICT (bucket, channel, method, account) DO UPDATE SET
        attempts = attempts + excluded.attempts, paid = paid + excluded.paid, gross = gross + excluded.gross,
        fees = fees + excluded.fees, failed = failed + excluded.failed, closed = closed + excluded.closed;
END;

CREATE TRIGGER sales_refund_insert AFTER INSERT ON refunds
WHEN NEW.status = 'success'
BEGIN
    INSERT INTO sales_buckets (bucket, channel, method, account, refunds, refunded)
    SELECT NEW.updated_at - NEW.updated_at % 900000, o.channel, o.method, o.account, 1, NEW.amount
    FROM orders o WHERE o.order_no = NEW.order_no
    ON CONFLICT (bucket, channel, method, account) DO UPDATE SET
        refunds = refunds + excluded.refunds, refunded = refunded + excluded.refunded;
END;

CREATE TRIGGER sales_refund_update AFTER UPDATE OF status, amount, updated_at ON refunds
WHEN (OLD.status = 'success') != (NEW.status = 'success')
     OR (NEW.status = 'success' AND (OLD.amount != NEW.amount OR OLD.updated_at != NEW.updated_at))
BEGIN
    INSERT INTO sales_buckets (bucket, channel, method, account, refunds, refunded)
    SELECT OLD.updated_at - OLD.updated_at % 900000, o.channel, o.method, o.account, -1, -OLD.amount
    FROM orders o WHERE o.order_no = OLD.order_no AND OLD.status = 'success'
    ON CONFLICT (bucket, channel, method, account) DO UPDATE SET
        refunds = refunds + excluded.refunds, refunded = refunded + excluded.refunded;
    INSERT INTO sales_buckets (bucket, channel, method, account, refunds, refunded)
    SELECT NEW.updated_at - NEW.updated_at % 900000, o.channel, o.method, o.account, 1, NEW.amount
    FROM orders o WHERE o.order_no = NEW.order_no AND NEW.status = 'success'
    ON CONFLICT (bucket, channel, method, account) DO UPDATE SET
        refunds = refunds + excluded.refunds, refunded = refunded + excluded.refunded;
END;
"#;

/// The slot rows recomputed from `orders` and `refunds` (same columns as `sales_buckets`).
const FROM_RAW: &str = "
    SELECT bucket, channel, method, account, SUM(attempts) AS attempts, SUM(paid) AS paid, SUM(gross) AS gross,
           SUM(fees) AS fees, SUM(failed) AS failed, SUM(closed) AS closed, SUM(refunds) AS refunds, SUM(refunded) AS refunded
    FROM (
        SELECT created_at - created_at % 900000 AS bucket, channel, method, account, 1 AS attempts,
               status IN ('success','refunded') AS paid,
               CASE WHEN status IN ('success','refunded') THEN amount ELSE 0 END AS gross,
               CASE WHEN status IN ('success','refunded') THEN fee ELSE 0 END AS fees,
               status = 'failed' AS failed, status = 'closed' AS closed, 0 AS refunds, 0 AS refunded
        FROM orders WHERE status IN ('success','refunded','failed','closed') AND created_at >= ?1 AND created_at < ?2
        UNION ALL
        SELECT r.updated_at - r.updated_at % 900000, o.channel, o.method, o.account, 0, 0, 0, 0, 0, 0, 1, r.amount
        FROM refunds r JOIN orders o ON o.order_no = r.order_no
        WHERE r.status = 'success' AND r.updated_at >= ?1 AND r.updated_at < ?2
    )
    GROUP BY bucket, channel, method, account";

/// Rebuilds `sales_buckets` from the raw rows inside `tx`.
pub(super) fn rebuild_in(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM sales_buckets", [])?;
    tx.execute(
        &format!(
            "INSERT INTO sales_buckets (bucket, channel, method, account, attempts, paid, gross, fees, failed, closed, refunds, refunded)
             SELECT * FROM ({FROM_RAW})"
        ),
        [i64::MIN, i64::MAX],
    )?;
    Ok(())
}

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

fn offset_case(spans: &[OffsetSpan], args: &mut Vec<i64>) -> String {
    if spans.len() == 1 {
        args.push(spans[0].offset_ms);
        return format!("?{}", args.len());
    }
    let mut sql = String::from("CASE");
    for s in &spans[..spans.len().saturating_sub(1)] {
        args.extend([s.to_ms, s.offset_ms]);
        sql.push_str(&format!(" WHEN bucket < ?{} THEN ?{}", args.len() - 1, args.len()));
    }
    args.push(spans.last().map_or(0, |s| s.offset_ms));
    sql.push_str(&format!(" ELSE ?{} END", args.len()));
    sql
}

impl Store {
    /// Sales counters of `spans` (consecutive, in order), summed per local day, local hour,
    /// channel and method.
    pub fn sales_cells(&self, spans: &[OffsetSpan], source: Source) -> Result<Vec<SalesCell>> {
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else { return Ok(Vec::new()) };
        let mut args = vec![first.from_ms, last.to_ms];
        let off = offset_case(spans, &mut args);
        let rows = match source {
            Source::Buckets => "SELECT * FROM sales_buckets WHERE bucket >= ?1 AND bucket < ?2".to_string(),
            Source::Raw => FROM_RAW.to_string(),
        };
        let sql = format!(
            "SELECT local / 86400000 AS day, (local % 86400000) / 3600000 AS hour, channel, method,
                    SUM(attempts), SUM(paid), SUM(gross), SUM(fees), SUM(failed), SUM(closed), SUM(refunds), SUM(refunded)
             FROM (SELECT bucket + {off} AS local, * FROM ({rows}))
             GROUP BY day, hour, channel, method"
        );
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let cells = st
                .query_map(params_from_iter(args), |r| {
                    Ok(SalesCell {
                        day: r.get(0)?,
                        hour: r.get(1)?,
                        channel: r.get(2)?,
                        method: r.get(3)?,
                        attempts: r.get(4)?,
                        paid: r.get(5)?,
                        gross: r.get(6)?,
                        fees: r.get(7)?,
                        failed: r.get(8)?,
                        closed: r.get(9)?,
                        refunds: r.get(10)?,
                        refunded: r.get(11)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(cells)
        })
    }

    /// Failed and closed orders created in `[from_ms, to_ms)`, grouped by channel, status, code
    /// and message (served by the partial index `orders_unpaid`).
    pub fn failure_groups(&self, from_ms: i64, to_ms: i64) -> Result<Vec<FailureGroup>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT channel, status = 'closed', failure_code, failure_message, COUNT(*) FROM orders
                 WHERE status IN ('failed','closed') AND created_at >= ?1 AND created_at < ?2
                 GROUP BY channel, status, failure_code, failure_message",
            )?;
            let rows = st
                .query_map([from_ms, to_ms], |r| {
                    Ok(FailureGroup { channel: r.get(0)?, closed: r.get(1)?, code: r.get(2)?, message: r.get(3)?, count: r.get(4)? })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Recomputes the analytics pre-aggregate from the raw orders and refunds.
    pub fn rebuild_sales_buckets(&self) -> Result<()> {
        self.write(|tx| Ok(rebuild_in(tx)?))
    }

    /// Slots where the pre-aggregate differs from a recomputation from the raw rows (empty when
    /// consistent). For tests and `paydesk report --check`.
    pub fn sales_bucket_mismatches(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let nonzero = "attempts != 0 OR paid != 0 OR gross != 0 OR fees != 0 OR failed != 0 OR closed != 0 OR refunds != 0 OR refunded != 0";
            let sql = format!(
                "SELECT 'book has ' || bucket || ' ' || channel || ' ' || method || ' ' || account FROM
                   (SELECT * FROM sales_buckets WHERE {nonzero} EXCEPT SELECT * FROM ({FROM_RAW}))
                 UNION ALL
                 SELECT 'raw has ' || bucket || ' ' || channel || ' ' || method || ' ' || account FROM
                   (SELECT * FROM ({FROM_RAW}) EXCEPT SELECT * FROM sales_buckets WHERE {nonzero})"
            );
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map([i64::MIN, i64::MAX], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(rows)
        })
    }
}

/// Runs inside the migration that creates the table: fills it from the existing book.
pub(super) fn backfill(tx: &Transaction<'_>) -> rusqlite_migration::HookResult {
    rebuild_in(tx).map_err(rusqlite_migration::HookError::RusqliteError)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    use super::super::test_util::{new_order, store};
    use super::super::{HistoryOrder, HistoryRefund, NewRefund, OrderPatch};
    use crate::ids::{NumberGen, OrderNo};
    use crate::money::Money;
    use crate::order::{EventSource, Method, OrderStatus, RefundStatus};

    /// Random payments, failures, closes, late proofs of payment, refunds (some failing) and a
    /// bulk import: after every step the triggers' table equals a recomputation from raw rows.
    #[test]
    fn triggers_match_a_recomputation_after_random_operations() {
        let (_d, s) = store();
        for (name, channel) in [("ali", "alipay"), ("wx", "wechat")] {
            s.upsert_account(&toml::from_str(&format!("name = \"{name}\"\nchannel = \"{channel}\"\nfee_rate_bp = 38")).unwrap()).unwrap();
        }
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let mut rng = StdRng::seed_from_u64(7);
        let t0: DateTime<Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
        let mut orders: Vec<OrderNo> = Vec::new();
        for step in 0..600 {
            let at = t0 + Duration::minutes(rng.gen_range(0..7 * 24 * 60));
            match rng.gen_range(0..10) {
                0..=3 => {
                    let mut o = new_order(g.next_order_no(at), rng.gen_range(1..50_000));
                    let (acct, ch, m) = [("sb", "sandbox", Method::Sandbox), ("ali", "alipay", Method::Alipay), ("wx", "wechat", Method::Wechat)][rng.gen_range(0..3)];
                    (o.account, o.channel, o.method, o.created_at) = (acct.into(), ch.into(), m, at);
                    s.insert_order(&o).unwrap();
                    orders.push(o.order_no);
                }
                4..=6 if !orders.is_empty() => {
                    let no = &orders[rng.gen_range(0..orders.len())];
                    let to = [OrderStatus::Processing, OrderStatus::Success, OrderStatus::Failed, OrderStatus::Closed][rng.gen_range(0..4)];
                    let src = [EventSource::Callback, EventSource::Timeout, EventSource::Reconcile][rng.gen_range(0..3)];
                    let patch = OrderPatch { failure: (to == OrderStatus::Failed).then(|| ("DECLINED".into(), "declined".into())), ..Default::default() };
                    let _ = s.apply(no, to, src, "random", &patch, at); // illegal moves are refused, and change nothing
                }
                7..=8 if !orders.is_empty() => {
                    let no = orders[rng.gen_range(0..orders.len())].clone();
                    let o = s.order(&no).unwrap();
                    if o.status == OrderStatus::Success {
                        let fen = rng.gen_range(1..=o.refundable().fen());
                        let r = s.insert_refund(&NewRefund { refund_no: g.next_refund_no(at), order_no: no, amount: Money::from_fen(fen).unwrap(), reason: None, operator: None, created_at: at, idempotency_key: None }).unwrap();
                        let to = if rng.gen_bool(0.8) { RefundStatus::Success } else { RefundStatus::Failed };
                        s.apply_refund(&r.refund_no, to, None, None, EventSource::ChannelReply, at + Duration::minutes(rng.gen_range(0..90))).unwrap();
                    }
                }
                _ => {
                    let o = new_order(g.next_order_no(at), 1000);
                    let paid = rng.gen_bool(0.7);
                    let refunds = if paid && rng.gen_bool(0.5) { vec![HistoryRefund { refund_no: g.next_refund_no(at), amount: Money::from_fen(rng.gen_range(1..=1000)).unwrap(), reason: None, completed_at: at + Duration::hours(30) }] } else { vec![] };
                    let h = HistoryOrder { order: o, status: if paid { OrderStatus::Success } else { OrderStatus::Closed }, channel_trade_no: None, paid_at: None, failure: None, finished_at: at, refunds };
                    s.import_history(&[h], step % 2 == 0).unwrap();
                }
            }
            if step % 50 == 49 {
                assert_eq!(s.sales_bucket_mismatches().unwrap(), Vec::<String>::new(), "after step {step}");
            }
        }
        let before = dump(&s);
        assert!(before.len() > 50, "the data set exercises many slots: {}", before.len());
        s.rebuild_sales_buckets().unwrap();
        assert_eq!(dump(&s), before, "rebuild == triggers");
    }

    fn dump(s: &super::Store) -> Vec<(i64, String, String, String, Vec<i64>)> {
        s.read(|c| {
            let mut st = c.prepare("SELECT * FROM sales_buckets WHERE attempts OR paid OR gross OR fees OR failed OR closed OR refunds OR refunded ORDER BY 1, 2, 3, 4")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, (4..12).map(|i| r.get(i)).collect::<rusqlite::Result<Vec<i64>>>()?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap()
    }

    #[test]
    fn history_import_refuses_inconsistent_batches() {
        let (_d, s) = store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let now = Utc::now();
        let h = |status, refund: i64| HistoryOrder {
            order: new_order(g.next_order_no(now), 500),
            status,
            channel_trade_no: None,
            paid_at: None,
            failure: None,
            finished_at: now,
            refunds: (refund > 0).then(|| HistoryRefund { refund_no: g.next_refund_no(now), amount: Money::from_fen(refund).unwrap(), reason: None, completed_at: now }).into_iter().collect(),
        };
        for (bad, why) in [(h(OrderStatus::Pending, 0), "final"), (h(OrderStatus::Closed, 100), "unpaid"), (h(OrderStatus::Success, 600), "exceed")] {
            let e = s.import_history(&[h(OrderStatus::Success, 0), bad], true).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        assert_eq!(s.order_count().unwrap(), 0, "nothing of a refused batch is written");
        let ok = h(OrderStatus::Success, 500);
        let no = ok.order.order_no.clone();
        assert_eq!(s.import_history(&[ok, h(OrderStatus::Failed, 0)], true).unwrap(), 2);
        let d = s.order_detail(&no).unwrap();
        assert_eq!((d.order.status, d.order.refunded.fen(), d.refunds.len(), d.events.len()), (OrderStatus::Refunded, 500, 1, 4));
    }
}
