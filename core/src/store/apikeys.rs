//! The `api_keys` table: keys of the local unified API. Only a SHA-256 of the secret is stored;
//! the full key (`pdk_<id>_<secret>`) is shown once, at creation.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{from_ms, ms, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    let scopes: String = r.get("scopes")?;
    Ok(ApiKey {
        id: r.get("id")?,
        name: r.get("name")?,
        scopes: scopes.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        created_at: from_ms(r.get("created_at")?)?,
        revoked_at: r.get::<_, Option<i64>>("revoked_at")?.map(from_ms).transpose()?,
        last_used_at: r.get::<_, Option<i64>>("last_used_at")?.map(from_ms).transpose()?,
    })
}

impl Store {
    /// Stores a key (`secret_hash` = hex SHA-256 of the secret part).
    pub fn insert_api_key(&self, id: &str, name: &str, secret_hash: &str, scopes: &[String], now: DateTime<Utc>) -> Result<ApiKey> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, name, secret_hash, scopes.join(","), ms(now)],
            )?;
            Ok(tx.query_row("SELECT * FROM api_keys WHERE id = ?1", [id], from_row)?)
        })
    }

    /// The active key with this id, with its stored hash.
    pub fn api_key(&self, id: &str) -> Result<Option<(ApiKey, String)>> {
        self.read(|c| {
            Ok(c.query_row("SELECT *, secret_hash FROM api_keys WHERE id = ?1 AND revoked_at IS NULL", [id], |r| Ok((from_row(r)?, r.get::<_, String>("secret_hash")?)))
                .optional()?)
        })
    }

    pub fn touch_api_key(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", params![ms(now), id])?;
            Ok(())
        })
    }

    pub fn api_keys(&self) -> Result<Vec<ApiKey>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT * FROM api_keys ORDER BY created_at")?;
            let rows = st.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn revoke_api_key(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL", params![ms(now), id])?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "api key", id: id.to_string() });
            }
            Ok(())
        })
    }
}
