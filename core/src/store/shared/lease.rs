//! Leases: single-runner jobs (one reconciliation per account and day) across processes and tills.
//!
//! Invariant: at most one holder has a lease at a time — taken with one conditional upsert in the
//! book that every contender uses (the shared book when linked, the till's own book otherwise), so
//! it holds across processes and machines, never by an in-process flag. A holder that dies loses
//! the lease when its time runs out.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::tables::Dialect;
use crate::store::{Result, Store, StoreError};

/// A lease this process holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub until: DateTime<Utc>,
}

/// Someone else holds the lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{name} is being done by {holder} (since {since})")]
pub struct LeaseHeld {
    pub name: String,
    pub holder: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

fn take_sql(d: Dialect) -> String {
    let p = |i| d.ph(i);
    format!(
        "INSERT INTO leases (name, holder, until_ms, acquired_at) VALUES ({}, {}, {}, {})
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms, acquired_at = excluded.acquired_at
         WHERE leases.until_ms < excluded.acquired_at OR leases.holder = excluded.holder
         RETURNING holder",
        p(1),
        p(2),
        p(3),
        p(4)
    )
}

const HELD: &str = "SELECT holder, acquired_at, until_ms FROM leases WHERE name = ";

type Outcome = std::result::Result<Lease, LeaseHeld>;

fn held(name: &str, row: Option<(String, i64, i64)>) -> LeaseHeld {
    let (holder, since, until) = row.unwrap_or_default();
    let t = |v| DateTime::from_timestamp_millis(v).unwrap_or_default();
    LeaseHeld { name: name.to_string(), holder, since: t(since), until: t(until) }
}

impl Store {
    /// Takes the lease `name` for `holder` (unique per process, e.g. `T2 pid 4711`) for `ttl`,
    /// unless another holder has it. A linked till needs the shared book for this: offline, the
    /// answer is [`StoreError::Offline`].
    pub fn acquire_lease(&self, name: &str, holder: &str, ttl: std::time::Duration) -> Result<Outcome> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(ttl).unwrap_or_default();
        let lease = Lease { name: name.into(), holder: holder.into(), until };
        let (n, h, u, a) = (name.to_string(), holder.to_string(), until.timestamp_millis(), now.timestamp_millis());
        match self.shared_for_change()? {
            Some(sh) => {
                let name = n.clone();
                let got = sh
                    .link
                    .call(move |pg| {
                        let taken = pg.query_opt(&take_sql(Dialect::Postgres), &[&n, &h, &u, &a])?.is_some();
                        let other = if taken { None } else { pg.query_opt(&format!("{HELD}$1"), &[&n])?.map(|r| (r.get(0), r.get(1), r.get(2))) };
                        Ok((taken, other))
                    })
                    .map_err(|e| StoreError::Offline(format!("{e}; this needs the shared book (every till's orders)")))?;
                Ok(if got.0 { Ok(lease) } else { Err(held(&name, got.1)) })
            }
            None => self.write(|tx| {
                let taken = tx.query_row(&take_sql(Dialect::Sqlite), rusqlite::params![n, h, u, a], |_| Ok(())).optional()?.is_some();
                if taken {
                    return Ok(Ok(lease));
                }
                let other = tx.query_row(&format!("{HELD}?1"), [&n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
                Ok(Err(held(&n, other)))
            }),
        }
    }

    /// Gives a lease back (a lease already taken over by someone else is left alone).
    pub fn release_lease(&self, lease: &Lease) -> Result<()> {
        let (n, h) = (lease.name.clone(), lease.holder.clone());
        match self.shared_for_change()? {
            Some(sh) => sh
                .link
                .call(move |pg| Ok(pg.execute("DELETE FROM leases WHERE name = $1 AND holder = $2", &[&n, &h])?))
                .map(|_| ())
                .map_err(|e| StoreError::Offline(e.to_string())),
            None => self.write(|tx| Ok(tx.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", [&n, &h]).map(|_| ())?)),
        }
    }
}
