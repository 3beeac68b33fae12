//! Migration 11 (the till's day): shifts, Z reports, tenders as orders of their own kind.
//!
//! `orders` is rebuilt (SQLite cannot change a CHECK or drop a NOT NULL in place): `kind` may be
//! `tender`, `account` is empty (NULL) exactly for tenders, and every order gains the shift it
//! was taken in, the cash handed over, and the split sale it belongs to. The analytics triggers
//! go with the old table and are recreated reading a tender's missing account as `''`.
//! Foreign keys are off while migrations run ([`super::Store::open`]); the migration ends with
//! `PRAGMA foreign_key_check`.

use std::sync::LazyLock;

use super::analytics::{order_triggers, refund_triggers, AccountCol};

/// The columns copied from the old `orders`.
const OLD_COLS: &str = "order_no, kind, method, channel, account, amount, refunded, fee, status, subject, channel_trade_no, \
    qr_code, auth_code_masked, failure_code, failure_message, operator, till, idempotency_key, created_at, updated_at, expires_at, paid_at, \
    principal, principal_key";

pub(super) static MIGRATION: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
        CREATE TABLE shifts (
            shift_no      TEXT PRIMARY KEY,
            till          TEXT NOT NULL,
            store         TEXT NOT NULL,
            kind          TEXT NOT NULL CHECK (kind IN ('cashier','system')),
            opened_by     TEXT,
            opened_at     INTEGER NOT NULL,
            opening_float INTEGER NOT NULL DEFAULT 0 CHECK (opening_float >= 0),
            status        TEXT NOT NULL CHECK (status IN ('open','closed')),
            closed_at     INTEGER,
            closed_by     TEXT,
            handed_to     TEXT,
            counted_cash  INTEGER CHECK (counted_cash IS NULL OR counted_cash >= 0),
            expected_cash INTEGER,
            report        TEXT,
            z_no          INTEGER,
            CHECK ((status = 'closed') = (closed_at IS NOT NULL AND report IS NOT NULL))
        );
        CREATE UNIQUE INDEX shifts_open ON shifts(till) WHERE status = 'open';
        CREATE INDEX shifts_till_opened ON shifts(till, opened_at);
        CREATE TRIGGER shifts_locked BEFORE UPDATE ON shifts
        WHEN OLD.status = 'closed' AND (NEW.status IS NOT OLD.status OR NEW.report IS NOT OLD.report
            OR NEW.counted_cash IS NOT OLD.counted_cash OR NEW.expected_cash IS NOT OLD.expected_cash
            OR NEW.closed_at IS NOT OLD.closed_at OR NEW.closed_by IS NOT OLD.closed_by OR NEW.handed_to IS NOT OLD.handed_to
            OR NEW.opening_float IS NOT OLD.opening_float OR NEW.opened_at IS NOT OLD.opened_at OR NEW.opened_by IS NOT OLD.opened_by
            OR NEW.till IS NOT OLD.till OR NEW.store IS NOT OLD.store OR (OLD.z_no IS NOT NULL AND NEW.z_no IS NOT OLD.z_no))
        BEGIN SELECT RAISE(ABORT, 'the shift is closed: its handover report is locked'); END;
        CREATE TRIGGER shifts_kept BEFORE DELETE ON shifts BEGIN SELECT RAISE(ABORT, 'shifts are never deleted'); END;

        CREATE TABLE z_reports (
            scope         TEXT NOT NULL CHECK (scope IN ('till','store')),
            store         TEXT NOT NULL,
            till          TEXT NOT NULL,
            z_no          INTEGER NOT NULL CHECK (z_no >= 1),
            business_date TEXT NOT NULL,
            taken_at      INTEGER NOT NULL,
            taken_by      TEXT,
            report        TEXT NOT NULL,
            PRIMARY KEY (scope, store, till, z_no),
            UNIQUE (scope, store, till, business_date)
        );
        CREATE TRIGGER z_reports_locked BEFORE UPDATE ON z_reports BEGIN SELECT RAISE(ABORT, 'a Z report never changes'); END;
        CREATE TRIGGER z_reports_kept BEFORE DELETE ON z_reports BEGIN SELECT RAISE(ABORT, 'a Z report is never deleted'); END;

        DROP TRIGGER sales_refund_insert;
        DROP TRIGGER sales_refund_update;
        CREATE TABLE orders_v11 (
            order_no          TEXT PRIMARY KEY,
            kind              TEXT NOT NULL CHECK (kind IN ('qr','barcode','tender')),
            method            TEXT NOT NULL,
            channel           TEXT NOT NULL,
            account           TEXT REFERENCES accounts(name),
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
            paid_at           INTEGER,
            principal         TEXT,
            principal_key     TEXT,
            shift_no          TEXT REFERENCES shifts(shift_no),
            tendered          INTEGER CHECK (tendered IS NULL OR (method = 'cash' AND tendered >= amount)),
            sale_id           TEXT,
            sale_total        INTEGER CHECK (sale_total IS NULL OR sale_total >= amount),
            CHECK ((kind = 'tender') = (account IS NULL)),
            CHECK ((sale_id IS NULL) = (sale_total IS NULL))
        );
        INSERT INTO orders_v11 ({OLD_COLS}) SELECT {OLD_COLS} FROM orders;
        DROP TABLE orders;
        ALTER TABLE orders_v11 RENAME TO orders;
        CREATE INDEX orders_open ON orders(status) WHERE status IN ('pending','processing');
        CREATE INDEX orders_created ON orders(created_at);
        CREATE INDEX orders_account_created ON orders(account, created_at);
        CREATE INDEX orders_unpaid ON orders(created_at, status, channel, failure_code, failure_message) WHERE status IN ('failed','closed');
        CREATE INDEX orders_operator_created ON orders(operator, created_at);
        CREATE INDEX orders_till_created ON orders(till, created_at);
        CREATE INDEX orders_shift ON orders(shift_no, created_at);
        CREATE INDEX orders_trade_no ON orders(channel_trade_no) WHERE channel_trade_no IS NOT NULL;
        CREATE INDEX orders_sale ON orders(sale_id) WHERE sale_id IS NOT NULL;
        CREATE INDEX orders_amount_created ON orders(amount, created_at);
        CREATE INDEX orders_principal_created ON orders(principal_key, created_at);
        {number_trigger}
        {order_triggers}
        {refund_triggers}
        ALTER TABLE refunds ADD COLUMN shift_no TEXT REFERENCES shifts(shift_no);
        CREATE INDEX refunds_shift ON refunds(shift_no);

        -- Nothing is written into a shift that is closed: its report is locked.
        CREATE TRIGGER orders_into_closed_shift BEFORE INSERT ON orders
        WHEN NEW.shift_no IS NOT NULL AND (SELECT status FROM shifts WHERE shift_no = NEW.shift_no) = 'closed'
        BEGIN SELECT RAISE(ABORT, 'the shift is closed'); END;
        CREATE TRIGGER refunds_into_closed_shift BEFORE INSERT ON refunds
        WHEN NEW.shift_no IS NOT NULL AND (SELECT status FROM shifts WHERE shift_no = NEW.shift_no) = 'closed'
        BEGIN SELECT RAISE(ABORT, 'the shift is closed'); END;
        "#,
        number_trigger = super::numbers::ORDERS_TRIGGER,
        order_triggers = order_triggers(AccountCol::Nullable),
        refund_triggers = refund_triggers(AccountCol::Nullable),
    )
});
