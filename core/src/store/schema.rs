//! Versioned schema migrations (applied in one transaction at open; `user_version` tracks them).

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use super::StoreError;

/// Append only: never edit a migration that has shipped.
fn migrations() -> Migrations<'static> {
    Migrations::new(list())
}

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
    // 11 (bank, branch bank): fund-flow statements, each day's settlement and the payout batches;
    // imported bank statements, their rows, the bank leg's runs, discrepancies and actions.
    M::up(super::settle::MIGRATION),
    ]
}

pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrations().to_latest(conn).map_err(|e| StoreError::Migration(e.to_string()))
}

/// How many migrations there are (the book's latest version).
#[cfg(test)]
pub(super) fn count() -> usize {
    list().len()
}

/// Brings a book to `version` only: tests of a migration start from the book before it.
#[cfg(test)]
pub(super) fn migrate_to(conn: &mut Connection, version: usize) -> Result<(), StoreError> {
    migrations().to_version(conn, version).map_err(|e| StoreError::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }

    #[test]
    fn a_book_at_migration_10_gains_the_bank_tables_last() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrate_to(&mut conn, 10).unwrap();
        let has = |c: &rusqlite::Connection| c.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'bank_rows'", [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(has(&conn), 0);
        super::migrate(&mut conn).unwrap();
        assert_eq!(has(&conn), 1);
        let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, super::count());
    }
}
