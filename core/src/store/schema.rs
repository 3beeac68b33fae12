//! Versioned schema migrations (`user_version` counts the ones applied).
//!
//! Invariant: an upgrade never loses the book. Before the first pending migration runs, a
//! verified copy of the book as it was is written beside it (`backups/pre-upgrade/`); then all
//! pending migrations run in ONE transaction, so a migration that fails leaves the book exactly
//! as it was. A book written by a newer Paydesk (more migrations than this one knows) is refused
//! untouched. Every version has a fixture book in `tests/fixtures/books/` (see
//! `tests/upgrade.rs`).

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use super::StoreError;

#[cfg(test)]
fn migrations() -> Migrations<'static> {
    Migrations::new(list())
}

/// Append only: never edit a migration that has shipped.
fn list() -> Vec<M<'static>> {
    vec![
    // 1: accounts, orders, their history, refunds.
    M::up(
        r#"
        CREATE TABLE accounts (
            name        TEXT PRIMARY KEY,
            channel     TEXT NOT NULL,
            config_json TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE TABLE orders (
            order_no          TEXT PRIMARY KEY,
            kind              TEXT NOT NULL CHECK (kind IN ('qr','barcode')),
            method            TEXT NOT NULL,
            channel           TEXT NOT NULL,
            account           TEXT NOT NULL REFERENCES accounts(name),
            amount            INTEGER NOT NULL CHECK (amount > 0),
            refunded          INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
            fee               INTEGER NOT NULL DEFAULT 0,
            status            TEXT NOT NULL CHECK (status IN ('pending','processing','success','failed','closed','refunded')),
            subject           TEXT NOT NULL,
            channel_trade_no  TEXT,
            qr_code           TEXT,
            auth_code_masked  TEXT,
            failure_code      TEXT,
            failure_message   TEXT,
            operator          TEXT,
            till              TEXT NOT NULL,
            idempotency_key   TEXT UNIQUE,
            created_at        INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL,
            expires_at        INTEGER NOT NULL,
            paid_at           INTEGER
        );
        CREATE INDEX orders_open ON orders(status) WHERE status IN ('pending','processing');
        CREATE INDEX orders_created ON orders(created_at);
        CREATE INDEX orders_account_created ON orders(account, created_at);
        CREATE TABLE order_events (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            order_no    TEXT NOT NULL REFERENCES orders(order_no),
            from_status TEXT,
            to_status   TEXT,
            source      TEXT NOT NULL,
            at          INTEGER NOT NULL,
            detail      TEXT NOT NULL
        );
        CREATE INDEX order_events_order ON order_events(order_no, seq);
        CREATE TABLE refunds (
            refund_no         TEXT PRIMARY KEY,
            order_no          TEXT NOT NULL REFERENCES orders(order_no),
            amount            INTEGER NOT NULL CHECK (amount > 0),
            reason            TEXT,
            status            TEXT NOT NULL CHECK (status IN ('pending','processing','success','failed')),
            channel_refund_no TEXT,
            failure_message   TEXT,
            operator          TEXT,
            created_at        INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL
        );
        CREATE INDEX refunds_order ON refunds(order_no);
        CREATE INDEX refunds_open ON refunds(status) WHERE status IN ('pending','processing');
        "#,
    ),
    // 2: merchant notification outbox, its attempt log, and API keys of the local API.
    M::up(
        r#"
        CREATE TABLE notify_outbox (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            target       TEXT NOT NULL,
            event        TEXT NOT NULL,
            ref          TEXT NOT NULL,
            payload      TEXT NOT NULL,
            status       TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
            attempts     INTEGER NOT NULL DEFAULT 0,
            next_at      INTEGER NOT NULL,
            last_error   TEXT,
            created_at   INTEGER NOT NULL,
            delivered_at INTEGER,
            UNIQUE (target, event, ref)
        );
        CREATE INDEX notify_due ON notify_outbox(next_at) WHERE status = 'pending';
        CREATE TABLE notify_attempts (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            outbox_id   INTEGER NOT NULL REFERENCES notify_outbox(id),
            at          INTEGER NOT NULL,
            http_status INTEGER,
            error       TEXT,
            duration_ms INTEGER NOT NULL
        );
        CREATE INDEX notify_attempts_outbox ON notify_attempts(outbox_id, id);
        CREATE TABLE api_keys (
            id           TEXT PRIMARY KEY,
            name         TEXT NOT NULL,
            secret_hash  TEXT NOT NULL,
            scopes       TEXT NOT NULL,
            created_at   INTEGER NOT NULL,
            revoked_at   INTEGER,
            last_used_at INTEGER
        );
        ALTER TABLE refunds ADD COLUMN idempotency_key TEXT;
        CREATE UNIQUE INDEX refunds_idempotency ON refunds(idempotency_key) WHERE idempotency_key IS NOT NULL;
        "#,
    ),
    // 3: people at the till (PINs hashed with argon2), the audit log, desktop preferences.
    M::up(
        r#"
        CREATE TABLE users (
            name        TEXT PRIMARY KEY,
            role        TEXT NOT NULL CHECK (role IN ('cashier','owner','accountant')),
            pin_hash    TEXT NOT NULL,
            enabled     INTEGER NOT NULL DEFAULT 1,
            failed      INTEGER NOT NULL DEFAULT 0,
            locked_until INTEGER,
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE TABLE audit_log (
            seq     INTEGER PRIMARY KEY AUTOINCREMENT,
            at      INTEGER NOT NULL,
            actor   TEXT,
            role    TEXT,
            action  TEXT NOT NULL,
            target  TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('ok','denied','failed')),
            detail  TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        CREATE TABLE prefs (
            key        TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        "#,
    ),
    // 4 (reconciliation, branch recon): stored statements, runs, discrepancies with the actions
    // taken on them (re-query, resolve), matched lines; refunds by creation time.
    M::up(
        r#"
        CREATE TABLE recon_statements (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            account     TEXT NOT NULL,
            day         TEXT NOT NULL,
            format      TEXT NOT NULL,
            file        TEXT NOT NULL,
            sha256      TEXT NOT NULL,
            bytes       INTEGER NOT NULL,
            rows        INTEGER NOT NULL,
            origin      TEXT NOT NULL CHECK (origin IN ('download','import')),
            totals_json TEXT NOT NULL,
            stored_at   INTEGER NOT NULL
        );
        CREATE INDEX recon_statements_day ON recon_statements(account, day, id);
        CREATE TABLE recon_runs (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            account      TEXT NOT NULL,
            channel      TEXT NOT NULL,
            day          TEXT NOT NULL,
            statement_id INTEGER REFERENCES recon_statements(id),
            trigger      TEXT NOT NULL,
            operator     TEXT,
            status       TEXT NOT NULL CHECK (status IN ('running','done','failed')),
            error        TEXT,
            summary_json TEXT NOT NULL DEFAULT '{}',
            started_at   INTEGER NOT NULL,
            finished_at  INTEGER
        );
        CREATE INDEX recon_runs_day ON recon_runs(day, account, id);
        CREATE TABLE recon_items (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id       INTEGER NOT NULL REFERENCES recon_runs(id),
            kind         TEXT NOT NULL,
            line         TEXT NOT NULL CHECK (line IN ('payment','refund')),
            order_no     TEXT NOT NULL,
            refund_no    TEXT,
            book_json    TEXT,
            channel_json TEXT,
            detail       TEXT NOT NULL,
            state        TEXT NOT NULL CHECK (state IN ('open','fixed','resolved')),
            note         TEXT,
            updated_at   INTEGER NOT NULL
        );
        CREATE INDEX recon_items_run ON recon_items(run_id, id);
        CREATE TABLE recon_actions (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id  INTEGER NOT NULL REFERENCES recon_items(id),
            action   TEXT NOT NULL CHECK (action IN ('requery','resolve','carry_over')),
            outcome  TEXT NOT NULL,
            note     TEXT,
            actor    TEXT,
            at       INTEGER NOT NULL
        );
        CREATE INDEX recon_actions_item ON recon_actions(item_id, id);
        CREATE TABLE recon_matches (
            run_id    INTEGER NOT NULL REFERENCES recon_runs(id),
            line      TEXT NOT NULL,
            order_no  TEXT NOT NULL,
            refund_no TEXT,
            trade_no  TEXT NOT NULL,
            amount    INTEGER NOT NULL,
            fee       INTEGER NOT NULL,
            at        TEXT
        );
        CREATE INDEX recon_matches_run ON recon_matches(run_id);
        CREATE INDEX refunds_created ON refunds(created_at);
        "#,
    ),
    // 5 (analytics, branch analytics): sales per 15-minute and per hourly UTC slot, kept by triggers; backfilled from the book.
    M::up_with_hook(&super::analytics::MIGRATION, super::analytics::backfill),
    // 6 (routing, branch routing): the routing decision of each order; a revision counter the
    // running service watches to pick up account changes made by any process (app, CLI, another till).
    M::up(
        r#"
        CREATE TABLE order_routes (
            order_no   TEXT PRIMARY KEY REFERENCES orders(order_no),
            decision   TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE accounts_rev (
            id  INTEGER PRIMARY KEY CHECK (id = 1),
            rev INTEGER NOT NULL
        );
        INSERT INTO accounts_rev (id, rev) VALUES (1, 1);
        CREATE TRIGGER accounts_rev_insert AFTER INSERT ON accounts BEGIN UPDATE accounts_rev SET rev = rev + 1 WHERE id = 1; END;
        CREATE TRIGGER accounts_rev_update AFTER UPDATE ON accounts BEGIN UPDATE accounts_rev SET rev = rev + 1 WHERE id = 1; END;
        CREATE TRIGGER accounts_rev_delete AFTER DELETE ON accounts BEGIN UPDATE accounts_rev SET rev = rev + 1 WHERE id = 1; END;
        CREATE INDEX orders_operator_created ON orders(operator, created_at);
        CREATE INDEX orders_till_created ON orders(till, created_at);
        "#,
    ),
    // 7: why each reconciliation item was flagged, as a rule code with its values (the UI words it).
    M::up(
        r#"
        ALTER TABLE recon_items ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE recon_items ADD COLUMN reason_args TEXT NOT NULL DEFAULT '{}';
        "#,
    ),
    // 8: an order event's wording as a code with its values (the UI words it; `detail` stays the
    // English sentence). Empty for events written before, and for rare ones.
    M::up(
        r#"
        ALTER TABLE order_events ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE order_events ADD COLUMN reason_args TEXT NOT NULL DEFAULT '{}';
        "#,
    ),
    // 9 (security, branch sec-server): who did it, as authenticated — the principal of every
    // order, refund and the events a principal asked for (JSON, see core/src/principal.rs), and
    // the key daily limits count by. Rows written before stay NULL: "not recorded".
    M::up(
        r#"
        ALTER TABLE orders ADD COLUMN principal TEXT;
        ALTER TABLE orders ADD COLUMN principal_key TEXT;
        CREATE INDEX orders_principal_created ON orders(principal_key, created_at);
        ALTER TABLE refunds ADD COLUMN principal TEXT;
        ALTER TABLE order_events ADD COLUMN principal TEXT;
        "#,
    ),
    // 10: each till's last order/refund number slot, so numbers are reserved in the book (unique
    // across processes) without scanning it; set from the book's numbers, then kept by triggers.
    M::up(super::numbers::MIGRATION),
    // 11 (the till's day, branch till-day): shifts and their locked handover reports, Z reports,
    // tenders (cash, card terminal, voucher) as orders without an account; `orders` rebuilt.
    M::up(&super::till_schema::MIGRATION).foreign_key_check(),
    // 12 (shared book, branch shared-book): a linked till's journal and sync state, the shop's tills
    // and settings as last pulled, leases, origin keys of events and audit entries, each refund's till.
    M::up(&super::shared::MIGRATION),
    // 13 (shared book): reconciliation runs and discrepancies are shared too.
    M::up(&super::shared::MIGRATION_RECON),
    // 14 (recon-scale): where an order came from — taken through Paydesk, imported from another
    // system, or an external payment (收款码 sticker, the channel's app) accepted from a statement.
    M::up(
        r#"
        ALTER TABLE orders ADD COLUMN origin TEXT NOT NULL DEFAULT 'paydesk' CHECK (origin IN ('paydesk','import','external'));
        "#,
    ),
    // 15 (recon-scale): discrepancies keep their id across re-runs of a day (found by their key;
    // superseded when a newer run no longer finds them); a run keeps which statement lines had a
    // discrepancy instead of a row per matched line; accepting external payments and reopening
    // are actions of their own. Discrepancies pulled from a shared book get their account and day
    // from their run (a trigger).
    M::up(
        r#"
        ALTER TABLE recon_items ADD COLUMN account TEXT NOT NULL DEFAULT '';
        ALTER TABLE recon_items ADD COLUMN day TEXT NOT NULL DEFAULT '';
        ALTER TABLE recon_items ADD COLUMN item_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE recon_items ADD COLUMN superseded_by INTEGER;
        UPDATE recon_items SET
            account = (SELECT r.account FROM recon_runs r WHERE r.id = recon_items.run_id),
            day = (SELECT r.day FROM recon_runs r WHERE r.id = recon_items.run_id),
            item_key = kind || '|' || line || '|' || order_no || '|' || IFNULL(refund_no, '') || '|';
        UPDATE recon_items SET superseded_by = (SELECT MAX(r.id) FROM recon_runs r WHERE r.account = recon_items.account AND r.day = recon_items.day AND r.status = 'done')
            WHERE run_id < (SELECT MAX(r.id) FROM recon_runs r WHERE r.account = recon_items.account AND r.day = recon_items.day AND r.status = 'done');
        CREATE INDEX recon_items_day ON recon_items(account, day, item_key);
        -- A discrepancy pulled from another till of a shared book comes without account, day and
        -- key (the shared book does not carry them): they are taken from its run.
        CREATE TRIGGER recon_items_of_run AFTER INSERT ON recon_items WHEN NEW.account = '' BEGIN
            UPDATE recon_items SET
                account = IFNULL((SELECT r.account FROM recon_runs r WHERE r.id = NEW.run_id), ''),
                day = IFNULL((SELECT r.day FROM recon_runs r WHERE r.id = NEW.run_id), ''),
                item_key = NEW.kind || '|' || NEW.line || '|' || NEW.order_no || '|' || IFNULL(NEW.refund_no, '') || '|'
            WHERE id = NEW.id;
        END;
        ALTER TABLE recon_runs ADD COLUMN flagged BLOB;
        CREATE TABLE recon_actions_v2 (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id  INTEGER NOT NULL REFERENCES recon_items(id),
            action   TEXT NOT NULL CHECK (action IN ('requery','resolve','carry_over','accept','reopen')),
            outcome  TEXT NOT NULL,
            note     TEXT,
            actor    TEXT,
            at       INTEGER NOT NULL
        );
        INSERT INTO recon_actions_v2 (id, item_id, action, outcome, note, actor, at) SELECT id, item_id, action, outcome, note, actor, at FROM recon_actions;
        DROP TABLE recon_actions;
        ALTER TABLE recon_actions_v2 RENAME TO recon_actions;
        CREATE INDEX recon_actions_item ON recon_actions(item_id, id);
        "#,
    ),
    // 16 (bank): fund-flow statements, each day's settlement and the payout batches;
    // imported bank statements, their rows, the bank leg's runs, discrepancies and actions.
    M::up(super::settle::MIGRATION),
    // 17: a refund's kind: a refund, or the owner's same-day revoke of the whole payment
    // (followed by querying the order, matched to the channel's reversal line).
    M::up("ALTER TABLE refunds ADD COLUMN kind TEXT NOT NULL DEFAULT 'refund' CHECK (kind IN ('refund','revoke'));"),
    ]
}

/// The schema version this Paydesk writes (the number of migrations).
pub fn latest() -> usize {
    list().len()
}

/// Where the copy of a book taken before upgrading it from `from` goes.
fn pre_upgrade_copy(book: &Path, from: u32, to: usize) -> PathBuf {
    let dir = book.parent().unwrap_or(Path::new(".")).join("backups").join("pre-upgrade");
    dir.join(format!("paydesk-v{from}-to-v{to}-{}.db", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")))
}

pub(super) fn migrate(conn: &mut Connection, book: &Path) -> Result<(), StoreError> {
    migrate_with(conn, book, list())
}

fn migrate_with(conn: &mut Connection, book: &Path, list: Vec<M<'static>>) -> Result<(), StoreError> {
    let want = list.len();
    let have: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if have as usize > want {
        return Err(StoreError::Migration(format!(
            "{} was written by a newer Paydesk (book schema {have}; this version knows up to {want}): install that version or newer, or restore a backup made by this one",
            book.display()
        )));
    }
    if have as usize == want {
        return Ok(());
    }
    if have > 0 {
        let copy = pre_upgrade_copy(book, have, want);
        super::backup::snapshot(book, &copy)
            .and_then(|_| super::backup::verify(&copy))
            .map_err(|e| StoreError::Migration(format!("not upgrading {}: the copy taken before the upgrade failed: {e}", book.display())))?;
        tracing::info!("book schema {have} -> {want}; the book as it was is kept at {}", copy.display());
    }
    Migrations::new(list).to_latest(conn).map_err(|e| StoreError::Migration(format!("upgrading the book from schema {have} to {want} failed, nothing was changed: {e}")))
}

/// Test and fixture support: creates a book at `path` with only the first `version` migrations.
#[doc(hidden)]
pub fn create_at_version(path: &Path, version: usize) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let mut l = list();
    l.truncate(version);
    Migrations::new(l).to_latest(&mut conn).map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(conn)
}

/// Brings a book to `version` only: tests of a migration start from the book before it.
#[cfg(test)]
pub(super) fn migrate_to(conn: &mut Connection, version: usize) -> Result<(), StoreError> {
    migrations().to_version(conn, version).map_err(|e| StoreError::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_util::{new_order, store};

    #[test]
    fn migrations_are_valid() {
        Migrations::new(list()).validate().unwrap();
    }

    fn columns(c: &Connection, table: &str) -> Vec<String> {
        let mut st = c.prepare(&format!("PRAGMA table_info({table})")).unwrap();
        st.query_map([], |r| r.get::<_, String>(1)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    /// A migration that fails halfway (after creating a table and altering another) leaves the
    /// book as it was, and the copy taken before it is there and verifies.
    #[test]
    fn a_failing_migration_leaves_the_book_as_it_was() {
        let (dir, s) = store();
        let g = crate::NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        for i in 0..3 {
            s.insert_order(&new_order(g.next_order_no(chrono::Utc::now()), 500 + i)).unwrap();
        }
        let before = s.figures().unwrap();
        let path = s.path().to_path_buf();
        drop(s);
        let mut conn = Connection::open(&path).unwrap();
        let cols = columns(&conn, "orders");
        let mut l = list();
        l.push(M::up("CREATE TABLE half_done (x INTEGER); ALTER TABLE orders ADD COLUMN oops TEXT; UPDATE orders SET amount = 1; INSERT INTO no_such_table VALUES (1);"));
        let e = migrate_with(&mut conn, &path, l).unwrap_err().to_string();
        assert!(e.contains("nothing was changed") && e.contains(&format!("from schema {} to {}", latest(), latest() + 1)), "{e}");
        assert_eq!(columns(&conn, "orders"), cols, "the ALTER was rolled back");
        let half: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'", [], |r| r.get(0)).unwrap();
        assert_eq!(half, 0);
        drop(conn);
        let s = crate::Store::open(&path).unwrap();
        assert_eq!(s.figures().unwrap(), before, "same rows, same sums, same schema version");
        let copies: Vec<_> = std::fs::read_dir(dir.path().join("backups/pre-upgrade")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(copies.len(), 1, "{copies:?}");
        assert!(copies[0].file_name().unwrap().to_string_lossy().starts_with(&format!("paydesk-v{}-to-v{}-", latest(), latest() + 1)));
        assert_eq!(crate::store::backup::verify(&copies[0]).unwrap(), before);
    }

    #[test]
    fn a_book_from_a_newer_paydesk_is_refused_untouched() {
        let (_dir, s) = store();
        let path = s.path().to_path_buf();
        drop(s);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", latest() as i64 + 3).unwrap();
        drop(conn);
        let e = crate::Store::open(&path).unwrap_err().to_string();
        assert!(e.contains("written by a newer Paydesk") && e.contains(&format!("book schema {}", latest() + 3)), "{e}");
    }

    #[test]
    fn a_book_at_migration_15_gains_the_bank_tables_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paydesk.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        super::migrate_to(&mut conn, 15).unwrap();
        let has = |c: &rusqlite::Connection| c.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'bank_rows'", [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(has(&conn), 0);
        super::migrate(&mut conn, &path).unwrap();
        assert_eq!(has(&conn), 1);
        let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, super::latest());
    }
}
