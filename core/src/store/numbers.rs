//! The `number_counters` table: per till, the last [`Slot`] issued for an order or refund number.
//!
//! Invariant: a till's counter is at or after every number of that till in the book. Numbers are
//! reserved by moving the counter forward in a write transaction ([`Store::reserve_slot`]);
//! SQLite serialises write transactions across processes, so the app, `paydesk serve` and any
//! number of CLI commands on one home never get the same slot. Triggers raise the counter for
//! numbers written by any other path (imports, seeded history), and the migration set it from the
//! book once, so finding the next number never scans the book: start-up cost does not grow with
//! the book. Numbers carry the till id, so tills sharing a book each keep their own counter.

use rusqlite::{params, OptionalExtension};

use super::{Result, Store};
use crate::ids::{Slot, TillId};

/// The parts of a number `n` in our layout (`P|R` + 17 digits + till + 3 digits), as SQL.
macro_rules! layout {
    ($($n:literal),+) => {
        concat!(
            "length(", $($n),+, ") BETWEEN 22 AND 27 AND substr(", $($n),+, ", 2, 17) NOT GLOB '*[^0-9]*' AND substr(", $($n),+, ", -3) NOT GLOB '*[^0-9]*'"
        )
    };
}

macro_rules! raise_counter {
    ($table:literal, $col:literal) => {
        concat!(
            "CREATE TRIGGER ", $table, "_number_counter AFTER INSERT ON ", $table, " WHEN ", layout!("NEW.", $col), "
            BEGIN
                INSERT INTO number_counters (till, stamp, seq)
                VALUES (substr(NEW.", $col, ", 19, length(NEW.", $col, ") - 21), CAST(substr(NEW.", $col, ", 2, 17) AS INTEGER), CAST(substr(NEW.", $col, ", -3) AS INTEGER))
                ON CONFLICT (till) DO UPDATE SET stamp = excluded.stamp, seq = excluded.seq
                WHERE (excluded.stamp, excluded.seq) > (number_counters.stamp, number_counters.seq);
            END;
            "
        )
    };
}

/// The table, its triggers, and each till's counter set from the numbers already in the book.
pub(super) const MIGRATION: &str = concat!(
    "CREATE TABLE number_counters (
        till  TEXT PRIMARY KEY,
        stamp INTEGER NOT NULL,
        seq   INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO number_counters (till, stamp, seq)
    SELECT till, CAST(substr(last, 1, 17) AS INTEGER), CAST(substr(last, 18, 3) AS INTEGER) FROM (
        SELECT substr(n, 19, length(n) - 21) AS till, max(substr(n, 2, 17) || substr(n, -3)) AS last
        FROM (SELECT order_no AS n FROM orders UNION ALL SELECT refund_no FROM refunds)
        WHERE ",
    layout!("n"),
    "
        GROUP BY 1
    );
    ",
    raise_counter!("orders", "order_no"),
    raise_counter!("refunds", "refund_no"),
);

/// Raises the counters past the numbers of the orders and refunds inserted after rowids
/// `orders` and `refunds`, in one grouped pass (for a bulk insert made with the counter
/// triggers set aside, see `store::bulk`).
pub(super) fn raise_for_inserted(tx: &rusqlite::Transaction<'_>, orders: i64, refunds: i64) -> rusqlite::Result<()> {
    tx.execute(
        concat!(
            "INSERT INTO number_counters (till, stamp, seq)
            SELECT till, CAST(substr(last, 1, 17) AS INTEGER), CAST(substr(last, 18, 3) AS INTEGER) FROM (
                SELECT substr(n, 19, length(n) - 21) AS till, max(substr(n, 2, 17) || substr(n, -3)) AS last
                FROM (SELECT order_no AS n FROM orders WHERE rowid > ?1 UNION ALL SELECT refund_no FROM refunds WHERE rowid > ?2)
                WHERE ",
            layout!("n"),
            "
                GROUP BY 1
            ) WHERE true
            ON CONFLICT (till) DO UPDATE SET stamp = excluded.stamp, seq = excluded.seq
            WHERE (excluded.stamp, excluded.seq) > (number_counters.stamp, number_counters.seq)"
        ),
        [orders, refunds],
    )?;
    Ok(())
}
/// The counter trigger on `orders` (recreated when the table is rebuilt).
pub(super) const ORDERS_TRIGGER: &str = raise_counter!("orders", "order_no");

impl Store {
    /// Reserves the next slot of `till` at local time stamp `now` (see [`Slot::next`]): the
    /// counter moves forward in its own write transaction, so the slot is this caller's alone.
    pub fn reserve_slot(&self, till: &TillId, now: i64) -> Result<Slot> {
        self.write(|tx| {
            let last = last_slot(tx, till.as_str())?;
            let slot = Slot::next(last, now);
            tx.prepare_cached("INSERT INTO number_counters (till, stamp, seq) VALUES (?1, ?2, ?3) ON CONFLICT (till) DO UPDATE SET stamp = excluded.stamp, seq = excluded.seq")?
                .execute(params![till.as_str(), slot.stamp, slot.seq])?;
            Ok(slot)
        })
    }

    /// The last slot issued (or written) for `till`, if any.
    pub fn last_slot(&self, till: &str) -> Result<Option<Slot>> {
        self.read(|c| last_slot(c, till))
    }
}

fn last_slot(c: &rusqlite::Connection, till: &str) -> Result<Option<Slot>> {
    Ok(c.prepare_cached("SELECT stamp, seq FROM number_counters WHERE till = ?1")?
        .query_row([till], |r| Ok(Slot { stamp: r.get(0)?, seq: r.get(1)? }))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use chrono::Utc;

    use super::super::test_util::{new_order, store};
    use super::*;
    use crate::ids::{Numbering, NumberGen};

    fn till(s: &str) -> TillId {
        s.parse().unwrap()
    }

    #[test]
    fn two_connections_reserving_at_the_same_instant_never_share_a_slot() {
        // Two `Store`s on one file are two processes' connections: their writes are serialised
        // by SQLite, not by a mutex they share.
        let (dir, a) = store();
        let b = Store::open(&dir.path().join("book.db")).unwrap();
        let (a, b) = (Arc::new(a), Arc::new(b));
        let now = 20_261_125_120_000_000;
        let handles: Vec<_> = [a.clone(), b.clone(), a, b]
            .into_iter()
            .map(|s| std::thread::spawn(move || (0..300).map(|_| s.reserve_slot(&till("T1"), now).unwrap()).collect::<Vec<_>>()))
            .collect();
        let slots: Vec<Slot> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let unique: HashSet<_> = slots.iter().collect();
        assert_eq!(unique.len(), 1200, "every slot reserved once");
        // 1200 in one millisecond: the sequence rolled over into the next one.
        assert!(slots.contains(&Slot { stamp: now + 1, seq: 199 }), "{:?}", slots.iter().max());
    }

    #[test]
    fn counters_are_per_till_and_follow_numbers_written_by_other_paths() {
        let (_d, s) = store();
        let (t1, t2) = (till("T1"), till("T2"));
        assert_eq!(s.last_slot("T1").unwrap(), None);
        let first = s.reserve_slot(&t1, 20_260_101_000_000_000).unwrap();
        assert_eq!(first, Slot { stamp: 20_260_101_000_000_000, seq: 0 });
        assert_eq!(s.reserve_slot(&t2, 20_260_101_000_000_000).unwrap().seq, 0, "another till has its own counter");
        // An order numbered elsewhere (an import, seeded history) later than the counter…
        let g = NumberGen::new(t1.clone(), chrono_tz::Asia::Shanghai);
        let later = Utc::now();
        let imported = g.next_order_no(later);
        s.insert_order(&new_order(imported.clone(), 100)).unwrap();
        // …moves the counter: the next reservation sorts after it.
        let n = Numbering::new(t1.clone(), chrono_tz::Asia::Shanghai);
        let next = n.order_no(s.reserve_slot(&t1, n.stamp(later)).unwrap());
        assert!(next > imported, "{next} after {imported}");
        // A refund number moves it too.
        let r = g.next_refund_no(later + chrono::Duration::hours(1));
        s.write(|tx| Ok(tx.execute("INSERT INTO refunds (refund_no, order_no, amount, status, created_at, updated_at) VALUES (?1, ?2, 1, 'success', 0, 0)", params![r, imported])?)).unwrap();
        let after_refund = n.refund_no(s.reserve_slot(&t1, n.stamp(later)).unwrap());
        assert!(after_refund.as_str()[1..] > r.as_str()[1..], "{after_refund} after {r}");
    }

    #[test]
    fn the_migration_sets_each_counter_from_the_book() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        // The book as it was before counters (migration 10: every migration before it).
        super::super::schema::migrate_to(&mut conn, 9).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts VALUES ('sb', 'sandbox', '{\"name\":\"sb\",\"channel\":\"sandbox\"}', 0, 0);
             INSERT INTO orders (order_no, kind, method, channel, account, amount, status, subject, till, created_at, updated_at, expires_at)
             VALUES ('P20260101120000000T1007', 'qr', 'sandbox', 'sandbox', 'sb', 100, 'success', 's', 'T1', 0, 0, 0),
                    ('P20251231120000000T1999', 'qr', 'sandbox', 'sandbox', 'sb', 100, 'success', 's', 'T1', 0, 0, 0),
                    ('P20260101120000000ABCDEF003', 'qr', 'sandbox', 'sandbox', 'sb', 100, 'success', 's', 'T1', 0, 0, 0),
                    ('PEXTERNAL12345', 'qr', 'sandbox', 'sandbox', 'sb', 100, 'success', 's', 'T1', 0, 0, 0);
             INSERT INTO refunds (refund_no, order_no, amount, status, created_at, updated_at)
             VALUES ('R20260101120000000T1008', 'P20260101120000000T1007', 50, 'success', 0, 0);",
        )
        .unwrap();
        drop(conn);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.last_slot("T1").unwrap(), Some(Slot { stamp: 20_260_101_120_000_000, seq: 8 }), "the refund is the latest");
        assert_eq!(s.last_slot("ABCDEF").unwrap(), Some(Slot { stamp: 20_260_101_120_000_000, seq: 3 }));
        assert_eq!(s.reserve_slot(&till("T1"), 20_250_101_000_000_000).unwrap(), Slot { stamp: 20_260_101_120_000_000, seq: 9 });
    }
}
