//! The `accounts` table: channel account settings (key files are referenced, never stored).

use chrono::Utc;
use rusqlite::{params, OptionalExtension};

use super::{ms, Result, Store, StoreError};
use crate::account::AccountConfig;

fn decode(json: String) -> rusqlite::Result<AccountConfig> {
    serde_json::from_str(&json).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

impl Store {
    /// Inserts or replaces an account's settings.
    pub fn upsert_account(&self, a: &AccountConfig) -> Result<()> {
        let json = serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = ms(Utc::now());
        self.write(|tx| {
            tx.execute(
                "INSERT INTO accounts (name, channel, config_json, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT(name) DO UPDATE SET channel = excluded.channel, config_json = excluded.config_json, updated_at = excluded.updated_at",
                params![a.name, a.channel, json, now],
            )?;
            Ok(())
        })
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
