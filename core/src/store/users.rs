//! The `users`, `audit_log` and `prefs` tables (logic lives in [`crate::auth`]).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ms, ms, parse_col, Result, Store, StoreError};
use crate::auth::{Role, User};
use crate::principal::Principal;

/// What the login check needs about a user.
#[derive(Clone)]
pub struct UserAuth {
    pub user: User,
    pub pin_hash: String,
    pub failed: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAuth").field("user", &self.user).field("failed", &self.failed).finish_non_exhaustive()
    }
}

/// How a sensitive action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// Refused by the permission table or a wrong PIN.
    Denied,
    /// Allowed, but it did not work.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = crate::order::ParseEnumError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        [Outcome::Ok, Outcome::Denied, Outcome::Failed].into_iter().find(|o| o.as_str() == s).ok_or_else(|| crate::order::ParseEnumError {
            what: "outcome",
            value: s.into(),
            expected: "ok, denied, failed",
        })
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub role: Option<Role>,
    /// `login`, `logout`, `refund`, `close_order`, `settings`, `account`, `export`, `user`, …
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: String,
}

impl AuditEntry {
    /// An entry for something `by` did (or tried to do).
    pub fn by(by: &Principal, action: &str, target: Option<&str>, outcome: Outcome, detail: impl Into<String>, at: DateTime<Utc>) -> AuditEntry {
        AuditEntry { at, actor: Some(by.to_string()), role: by.role(), action: action.into(), target: target.map(str::to_string), outcome, detail: detail.into() }
    }
}

pub(super) fn append_audit_in(tx: &rusqlite::Transaction<'_>, e: &AuditEntry) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, role, action, target, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ms(e.at), e.actor, e.role.map(Role::as_str), e.action, e.target, e.outcome.as_str(), e.detail],
    )?;
    Ok(())
}

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User { name: r.get("name")?, role: parse_col(r, "role")?, enabled: r.get("enabled")? })
}

fn audit_from_row(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    let role = match r.get::<_, Option<String>>("role")? {
        Some(_) => Some(parse_col(r, "role")?),
        None => None,
    };
    Ok(AuditEntry {
        at: from_ms(r.get("at")?)?,
        actor: r.get("actor")?,
        role,
        action: r.get("action")?,
        target: r.get("target")?,
        outcome: parse_col(r, "outcome")?,
        detail: r.get("detail")?,
    })
}

impl Store {
    pub fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT name, role, enabled FROM users ORDER BY role = 'owner' DESC, name")?;
            let rows = st.query_map([], user_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn user_auth(&self, name: &str) -> Result<Option<UserAuth>> {
        self.read(|c| {
            Ok(c.query_row("SELECT name, role, enabled, pin_hash, failed, locked_until FROM users WHERE name = ?1", [name], |r| {
                Ok(UserAuth {
                    user: user_from_row(r)?,
                    pin_hash: r.get("pin_hash")?,
                    failed: r.get("failed")?,
                    locked_until: r.get::<_, Option<i64>>("locked_until")?.map(from_ms).transpose()?,
                })
            })
            .optional()?)
        })
    }

    /// Adds a user; a taken name is a `Conflict`.
    pub fn insert_user(&self, name: &str, role: Role, pin_hash: &str, now: DateTime<Utc>) -> Result<()> {
        let shared = self.shared_for_change()?;
        self.write(|tx| {
            let res = tx.execute(
                "INSERT INTO users (name, role, pin_hash, enabled, failed, created_at, updated_at) VALUES (?1, ?2, ?3, 1, 0, ?4, ?4)",
                params![name, role.as_str(), pin_hash, ms(now)],
            );
            match res {
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                    Err(StoreError::Conflict(format!("user {name} exists")))
                }
                other => other.map(|_| ()).map_err(StoreError::from),
            }?;
            super::shared::write_through(tx, shared.as_deref(), "users", name)
        })
    }

    /// Changes a user's role, PIN hash and/or enabled flag. A new PIN clears the wrong-PIN count
    /// and any lock.
    pub fn update_user(&self, name: &str, role: Option<Role>, pin_hash: Option<&str>, enabled: Option<bool>, now: DateTime<Utc>) -> Result<()> {
        let shared = self.shared_for_change()?;
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE users SET role = COALESCE(?2, role), pin_hash = COALESCE(?3, pin_hash), enabled = COALESCE(?4, enabled),
                    failed = CASE WHEN ?3 IS NULL THEN failed ELSE 0 END,
                    locked_until = CASE WHEN ?3 IS NULL THEN locked_until ELSE NULL END, updated_at = ?5 WHERE name = ?1",
                params![name, role.map(Role::as_str), pin_hash, enabled, ms(now)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "user", id: name.to_string() });
            }
            super::shared::write_through(tx, shared.as_deref(), "users", name)
        })
    }

    /// Stores the failed-login counter and lock.
    pub fn record_login_failure(&self, name: &str, failed: u32, locked_until: Option<DateTime<Utc>>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE users SET failed = ?2, locked_until = ?3 WHERE name = ?1", params![name, failed, locked_until.map(ms)])?;
            Ok(())
        })
    }

    pub fn append_audit(&self, e: &AuditEntry) -> Result<()> {
        self.write(|tx| append_audit_in(tx, e))
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?1")?;
            let rows = st.query_map([limit], audit_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Audit entries of `action` (and `target`, `outcome` when given) after `since`, newest
    /// first, at most `limit`.
    pub fn audit_find(&self, action: &str, target: Option<&str>, outcome: Option<Outcome>, since: Option<DateTime<Utc>>, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT * FROM audit_log WHERE action = ?1 AND (?2 IS NULL OR target = ?2) AND (?3 IS NULL OR outcome = ?3) AND at > ?4 ORDER BY seq DESC LIMIT ?5",
            )?;
            let rows = st
                .query_map(params![action, target, outcome.map(Outcome::as_str), since.map_or(i64::MIN, ms), limit], audit_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn pref(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| Ok(c.query_row("SELECT value FROM prefs WHERE key = ?1", [key], |r| r.get(0)).optional()?))
    }

    pub fn set_pref(&self, key: &str, value: &str) -> Result<()> {
        let now = ms(Utc::now());
        self.write(|tx| {
            tx.execute(
                "INSERT INTO prefs (key, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![key, value, now],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::store;
    use super::*;

    #[test]
    fn users_audit_and_prefs_round_trip() {
        let (_d, s) = store();
        let now = Utc::now();
        s.insert_user("boss", Role::Owner, "$hash", now).unwrap();
        assert!(matches!(s.insert_user("boss", Role::Cashier, "$h", now), Err(StoreError::Conflict(_))));
        s.update_user("boss", None, None, Some(false), now).unwrap();
        assert!(!s.users().unwrap()[0].enabled);
        assert!(matches!(s.update_user("nobody", None, None, Some(true), now), Err(StoreError::NotFound { .. })));
        s.append_audit(&AuditEntry { at: now, actor: Some("boss".into()), role: Some(Role::Owner), action: "refund".into(), target: Some("P1".into()), outcome: Outcome::Ok, detail: "1.00".into() }).unwrap();
        s.append_audit(&AuditEntry { at: now, actor: None, role: None, action: "login".into(), target: None, outcome: Outcome::Denied, detail: String::new() }).unwrap();
        let log = s.audit_log(10).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!((log[0].action.as_str(), log[1].role), ("login", Some(Role::Owner)));
        assert_eq!(s.pref("voice").unwrap(), None);
        s.set_pref("voice", "on").unwrap();
        s.set_pref("voice", "off").unwrap();
        assert_eq!(s.pref("voice").unwrap().as_deref(), Some("off"));
    }
}
