//! The `accounts` table: channel account settings (key files are referenced, never stored).

use chrono::Utc;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{ms, AuditEntry, Result, Store, StoreError};
use crate::account::AccountConfig;

fn decode(json: String) -> rusqlite::Result<AccountConfig> {
    serde_json::from_str(&json).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(super) fn upsert_account_in(tx: &Transaction<'_>, a: &AccountConfig) -> Result<()> {
    let json = serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let now = ms(Utc::now());
    tx.execute(
        "INSERT INTO accounts (name, channel, config_json, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT(name) DO UPDATE SET channel = excluded.channel, config_json = excluded.config_json, updated_at = excluded.updated_at",
        params![a.name, a.channel, json, now],
    )?;
    Ok(())
}

impl Store {
    /// Inserts or replaces an account's settings.
    pub fn upsert_account(&self, a: &AccountConfig) -> Result<()> {
        let shared = self.shared_for_change()?;
        self.write(|tx| {
            upsert_account_in(tx, a)?;
            super::shared::write_through(tx, shared.as_deref(), "accounts", &a.name)
        })
    }

    /// Inserts or replaces an account's settings and writes the audit entry for the change, in
    /// one transaction: no change without its record.
    pub fn upsert_account_audited(&self, a: &AccountConfig, audit: &AuditEntry) -> Result<()> {
        let shared = self.shared_for_change()?;
        self.write(|tx| {
            upsert_account_in(tx, a)?;
            super::users::append_audit_in(tx, audit)?;
            super::shared::write_through(tx, shared.as_deref(), "accounts", &a.name)
        })
    }

    /// The accounts' revision: it grows with every change to the `accounts` table (by any
    /// process; a trigger keeps it), so a running service notices changes cheaply.
    pub fn accounts_rev(&self) -> Result<i64> {
        self.read(|c| Ok(c.prepare_cached("SELECT rev FROM accounts_rev WHERE id = 1")?.query_row([], |r| r.get(0))?))
    }

    pub fn accounts(&self) -> Result<Vec<AccountConfig>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT config_json FROM accounts ORDER BY name")?;
            let rows = st.query_map([], |r| decode(r.get(0)?))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn account(&self, name: &str) -> Result<AccountConfig> {
        self.read(|c| {
            c.query_row("SELECT config_json FROM accounts WHERE name = ?1", [name], |r| decode(r.get(0)?))
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "account", id: name.to_string() })
        })
    }
}
