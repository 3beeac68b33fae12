//! The shared book's schema in PostgreSQL: versioned migrations, append-only like the SQLite
//! ones, applied in one transaction under an advisory lock (two tills starting at once migrate
//! once), recorded in `paydesk_schema`.

use postgres::Transaction;

use super::tables::{ADDED_IN_3, ADDED_IN_4, JOURNAL};
use super::LinkError;

/// The advisory lock every write to synced tables takes first, so that `rev` numbers become
/// visible in the order they were drawn (a reader that sees rev N has seen every rev below it).
pub(crate) const WRITE_LOCK: i64 = 0x5041_5944_4553_4b01;
const MIGRATE_LOCK: i64 = 0x5041_5944_4553_4b02;

/// Append only: never edit a migration that has shipped.
pub(super) fn migrations() -> Vec<String> {
    // 1: the shop (tills and their stores, shared settings, accounts, users), the tills'
    // journals (the first five tables of `JOURNAL` without the columns of `ADDED_IN_3`),
    // reconciliation leases.
    let journal: String = JOURNAL[..5].iter().map(|t| t.pg_create()).collect();
    vec![format!(
        "CREATE SEQUENCE sync_rev;
        CREATE TABLE tills (
            till_id text PRIMARY KEY, store_id text NOT NULL, book_id text NOT NULL, host text NOT NULL DEFAULT '',
            joined_at bigint NOT NULL, pushed_seq bigint NOT NULL DEFAULT 0, pushed_at bigint, seen_at bigint, rev bigint NOT NULL
        );
        CREATE TABLE accounts (name text PRIMARY KEY, channel text NOT NULL, config_json text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, rev bigint NOT NULL);
        CREATE INDEX accounts_rev ON accounts (rev);
        CREATE TABLE users (name text PRIMARY KEY, role text NOT NULL, pin_hash text NOT NULL, enabled bigint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, rev bigint NOT NULL);
        CREATE INDEX users_rev ON users (rev);
        CREATE TABLE shop_settings (key text PRIMARY KEY, value text NOT NULL, updated_at bigint NOT NULL, rev bigint NOT NULL);
        CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, until_ms bigint NOT NULL, acquired_at bigint NOT NULL);
        {journal}
        CREATE INDEX orders_till_created ON orders (till, created_at);
        CREATE INDEX orders_account_created ON orders (account, created_at);
        CREATE INDEX refunds_order ON refunds (order_no);"
    ),
    // 2: reconciliation results (runs and their discrepancies).
    JOURNAL[5..7].iter().map(|t| t.pg_create()).collect(),
    // 3: the columns the journal gained since (`ADDED_IN_3`, frozen there).
    add_columns(ADDED_IN_3),
    // 4: a refund's kind (`ADDED_IN_4`).
    add_columns(ADDED_IN_4)]
}

fn add_columns(cols: &[(&str, &str, &str)]) -> String {
    cols.iter().map(|(t, c, ty)| format!("ALTER TABLE {t} ADD COLUMN {c} {ty};\n")).collect()
}

/// Brings the shared book's schema up to date. Refuses a book newer than this Paydesk.
pub(crate) fn migrate(c: &mut postgres::Client) -> Result<(), LinkError> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS paydesk_schema (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")?;
    let have: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM paydesk_schema", &[])?.get(0);
    let all = migrations();
    let have = usize::try_from(have).unwrap_or(0);
    if have > all.len() {
        return Err(LinkError::Refused(format!("the shared book has schema version {have}; this Paydesk knows {} — update Paydesk on this till", all.len())));
    }
    for (i, m) in all.iter().enumerate().skip(have) {
        apply(&mut tx, m)?;
        tx.execute("INSERT INTO paydesk_schema (version) VALUES ($1)", &[&i32::try_from(i + 1).unwrap_or(i32::MAX)])?;
    }
    tx.commit()?;
    Ok(())
}

fn apply(tx: &mut Transaction<'_>, sql: &str) -> Result<(), LinkError> {
    tx.batch_execute(sql).map_err(|e| LinkError::Refused(format!("shared book migration failed: {e}")))
}

/// The schema version this Paydesk brings the shared book to.
pub fn latest() -> usize {
    migrations().len()
}
