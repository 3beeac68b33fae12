//! The slot tables, their triggers, the recomputation from raw rows, and the consistency check.
//!
//! Two tables with the same shape: `sales_buckets` (15-minute UTC slots, right for every zone,
//! including +05:30 and +05:45) and `sales_hours` (UTC hours, a quarter of the rows, used where
//! the zone's offset is a whole number of hours). The same triggers keep both.

use std::sync::LazyLock;

use rusqlite::{Connection, Transaction};

/// (table, slot width in ms).
pub(super) const TABLES: [(&str, i64); 2] = [("sales_buckets", 900_000), ("sales_hours", 3_600_000)];

const FINAL: &str = "('success','refunded','failed','closed')";
const PAID: &str = "('success','refunded')";
const COUNTERS: &str = "attempts = attempts + excluded.attempts, paid = paid + excluded.paid, gross = gross + excluded.gross, \
    fees = fees + excluded.fees, failed = failed + excluded.failed, closed = closed + excluded.closed";
const REFUND_COUNTERS: &str = "refunds = refunds + excluded.refunds, refunded = refunded + excluded.refunded";

/// How a trigger reads the order's account: as it is (migration 5), or with a tender's missing
/// account as `''` (from migration 9 on, when tenders came).
#[derive(Clone, Copy)]
pub(in crate::store) enum AccountCol {
    Plain,
    Nullable,
}

impl AccountCol {
    fn of(self, r: &str) -> String {
        match self {
            AccountCol::Plain => format!("{r}.account"),
            AccountCol::Nullable => format!("COALESCE({r}.account, '')"),
        }
    }
}

/// The order `r` (`OLD` or `NEW`) added (`sign` = "") or removed (`sign` = "-") from its slot.
fn order_delta(table: &str, slot: i64, r: &str, sign: &str, acct: AccountCol) -> String {
    let account = acct.of(r);
    format!(
        "INSERT INTO {table} (bucket, channel, method, account, attempts, paid, gross, fees, failed, closed)
         SELECT {r}.created_at - {r}.created_at % {slot}, {r}.channel, {r}.method, {account}, {sign}1,
                {sign}({r}.status IN {PAID}),
                CASE WHEN {r}.status IN {PAID} THEN {sign}{r}.amount ELSE 0 END,
                CASE WHEN {r}.status IN {PAID} THEN {sign}{r}.fee ELSE 0 END,
                {sign}({r}.status = 'failed'), {sign}({r}.status = 'closed')
         WHERE {r}.status IN {FINAL}
         ON CONFLICT (bucket, channel, method, account) DO UPDATE SET {COUNTERS};\n"
    )
}

/// The refund `r` added or removed from the slot it completed in, under its order's keys.
fn refund_delta(table: &str, slot: i64, r: &str, sign: &str, acct: AccountCol) -> String {
    let account = acct.of("o");
    format!(
        "INSERT INTO {table} (bucket, channel, method, account, refunds, refunded)
         SELECT {r}.updated_at - {r}.updated_at % {slot}, o.channel, o.method, {account}, {sign}1, {sign}{r}.amount
         FROM orders o WHERE o.order_no = {r}.order_no AND {r}.status = 'success'
         ON CONFLICT (bucket, channel, method, account) DO UPDATE SET {REFUND_COUNTERS};\n"
    )
}

fn all(f: impl Fn(&str, i64) -> String) -> String {
    TABLES.iter().map(|(t, s)| f(t, *s)).collect()
}

/// Migration 5 (shipped: never change what it produces; add a migration instead).
pub(in crate::store) static MIGRATION: LazyLock<String> = LazyLock::new(|| {
    let tables = all(|t, _| {
        format!(
            "CREATE TABLE {t} (
                bucket INTEGER NOT NULL, channel TEXT NOT NULL, method TEXT NOT NULL, account TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, paid INTEGER NOT NULL DEFAULT 0, gross INTEGER NOT NULL DEFAULT 0,
                fees INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,
                refunds INTEGER NOT NULL DEFAULT 0, refunded INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (bucket, channel, method, account)
            ) WITHOUT ROWID;\n"
        )
    });
    format!(
        "{tables}
        CREATE INDEX orders_unpaid ON orders(created_at, status, channel, failure_code, failure_message) WHERE status IN ('failed','closed');
        {}",
        order_triggers(AccountCol::Plain) + &refund_triggers(AccountCol::Plain)
    )
});

/// The triggers on `orders` that keep both slot tables (dropped with the table when it is rebuilt).
pub(in crate::store) fn order_triggers(acct: AccountCol) -> String {
    format!(
        "CREATE TRIGGER sales_order_insert AFTER INSERT ON orders WHEN NEW.status IN {FINAL}
        BEGIN {ins} END;
        CREATE TRIGGER sales_order_update AFTER UPDATE OF status, amount, fee, created_at, channel, method, account ON orders
        WHEN OLD.status IS NOT NEW.status OR OLD.amount != NEW.amount OR OLD.fee != NEW.fee OR OLD.created_at != NEW.created_at
             OR OLD.channel != NEW.channel OR OLD.method != NEW.method OR OLD.account {ne} NEW.account
        BEGIN {upd} END;\n",
        ne = match acct {
            AccountCol::Plain => "!=",
            AccountCol::Nullable => "IS NOT",
        },
        ins = all(|t, s| order_delta(t, s, "NEW", "", acct)),
        upd = all(|t, s| order_delta(t, s, "OLD", "-", acct) + &order_delta(t, s, "NEW", "", acct)),
    )
}

/// The triggers on `refunds` that keep both slot tables.
pub(in crate::store) fn refund_triggers(acct: AccountCol) -> String {
    format!(
        "CREATE TRIGGER sales_refund_insert AFTER INSERT ON refunds WHEN NEW.status = 'success'
        BEGIN {rins} END;
        CREATE TRIGGER sales_refund_update AFTER UPDATE OF status, amount, updated_at ON refunds
        WHEN (OLD.status = 'success') != (NEW.status = 'success')
             OR (NEW.status = 'success' AND (OLD.amount != NEW.amount OR OLD.updated_at != NEW.updated_at))
        BEGIN {rupd} END;",
        rins = all(|t, s| refund_delta(t, s, "NEW", "", acct)),
        rupd = all(|t, s| refund_delta(t, s, "OLD", "-", acct) + &refund_delta(t, s, "NEW", "", acct)),
    )
}

/// Slot rows of width `slot` recomputed from `orders` and `refunds` in `[?1, ?2)`, with the
/// columns of the slot tables in their order.
pub(super) fn from_raw(slot: i64) -> String {
    from_raw_of(slot, None)
}

/// [`from_raw`] for some tills only (validated till ids): their orders, and the refunds they made.
pub(super) fn from_raw_of(slot: i64, tills: Option<&[String]>) -> String {
    let (of_orders, of_refunds) = match tills {
        Some(t) => {
            let list = t.iter().map(|x| format!("'{x}'")).collect::<Vec<_>>().join(", ");
            (format!(" AND till IN ({list})"), format!(" AND r.till IN ({list})"))
        }
        None => (String::new(), String::new()),
    };
    from_raw_where(slot, &format!("created_at >= ?1 AND created_at < ?2{of_orders}"), &format!("r.updated_at >= ?1 AND r.updated_at < ?2{of_refunds}"))
}

/// Slot rows recomputed from the orders and refunds that pass the filters.
fn from_raw_where(slot: i64, orders: &str, refunds: &str) -> String {
    format!(
        "SELECT bucket, channel, method, account, SUM(attempts) AS attempts, SUM(paid) AS paid, SUM(gross) AS gross,
               SUM(fees) AS fees, SUM(failed) AS failed, SUM(closed) AS closed, SUM(refunds) AS refunds, SUM(refunded) AS refunded
        FROM (
            SELECT created_at - created_at % {slot} AS bucket, channel, method, COALESCE(account, '') AS account, 1 AS attempts,
                   status IN {PAID} AS paid, CASE WHEN status IN {PAID} THEN amount ELSE 0 END AS gross,
                   CASE WHEN status IN {PAID} THEN fee ELSE 0 END AS fees,
                   status = 'failed' AS failed, status = 'closed' AS closed, 0 AS refunds, 0 AS refunded
            FROM orders WHERE status IN {FINAL} AND {orders}
            UNION ALL
            SELECT r.updated_at - r.updated_at % {slot}, o.channel, o.method, COALESCE(o.account, ''), 0, 0, 0, 0, 0, 0, 1, r.amount
            FROM refunds r JOIN orders o ON o.order_no = r.order_no
            WHERE r.status = 'success' AND {refunds}
        )
        GROUP BY bucket, channel, method, account"
    )
}

/// Adds to the slot tables what the orders and refunds inserted after rowids `orders` and
/// `refunds` contribute, in one grouped pass (for a bulk insert made with the slot triggers set
/// aside, see `store::bulk`).
pub(in crate::store) fn add_inserted(tx: &Transaction<'_>, orders: i64, refunds: i64) -> rusqlite::Result<()> {
    let all = format!("{COUNTERS}, {REFUND_COUNTERS}");
    for (table, slot) in TABLES {
        let delta = from_raw_where(slot, "rowid > ?1", "r.rowid > ?2");
        tx.execute(&format!("INSERT INTO {table} SELECT * FROM ({delta}) WHERE true ON CONFLICT (bucket, channel, method, account) DO UPDATE SET {all}"), [orders, refunds])?;
    }
    Ok(())
}

/// Recomputes both slot tables from the raw rows.
pub(in crate::store) fn rebuild_in(c: &Connection) -> rusqlite::Result<()> {
    for (table, slot) in TABLES {
        c.execute(&format!("DELETE FROM {table}"), [])?;
        c.execute(&format!("INSERT INTO {table} SELECT * FROM ({})", from_raw(slot)), [i64::MIN, i64::MAX])?;
    }
    Ok(())
}

/// Runs inside migration 4: fills the new tables from the existing book.
pub(in crate::store) fn backfill(tx: &Transaction<'_>) -> rusqlite_migration::HookResult {
    rebuild_in(tx).map_err(rusqlite_migration::HookError::RusqliteError)
}

/// Rows where a slot table differs from a recomputation (empty when consistent).
pub(super) fn mismatches(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let nonzero = "attempts != 0 OR paid != 0 OR gross != 0 OR fees != 0 OR failed != 0 OR closed != 0 OR refunds != 0 OR refunded != 0";
    let mut out = Vec::new();
    for (table, slot) in TABLES {
        let raw = from_raw(slot);
        let sql = format!(
            "SELECT '{table} has ' || bucket || ' ' || channel || ' ' || method || ' ' || account FROM
               (SELECT * FROM {table} WHERE {nonzero} EXCEPT SELECT * FROM ({raw}))
             UNION ALL
             SELECT 'raw has ' || bucket || ' ' || channel || ' ' || method || ' ' || account || ' not in {table}' FROM
               (SELECT * FROM ({raw}) EXCEPT SELECT * FROM {table} WHERE {nonzero})"
        );
        let mut st = c.prepare(&sql)?;
        let rows = st.query_map([i64::MIN, i64::MAX], |r| r.get::<_, String>(0))?;
        for r in rows {
            out.push(r?);
        }
    }
    Ok(out)
}
