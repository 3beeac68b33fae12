//! Sessions at the till: PIN login with an escalating lockout, the owner told of lockouts, idle
//! logout, and the PIN asked again before user, account and key management.
//!
//! Invariants:
//! * Wrong PINs count until a right one is given (or an owner sets a new PIN): the count survives
//!   a lock. The fifth wrong PIN in a row locks the user for a minute, and every further one
//!   after the lock doubles it (2, 4, 8 … minutes, at most a day), so guessing even a 4-digit PIN
//!   takes months. Each lock is in the audit log, and every owner sees the locks at their next
//!   login ([`Notice`]).
//! * A session ends by itself after the configured idle time ([`Session::expired`]); the front end
//!   asks every time ([`require_active`]), so a till left logged in does not stay open.
//! * Managing users, accounts and keys needs the PIN given again within [`REAUTH_WINDOW`]
//!   ([`needs_fresh_pin`]); a login alone does not count.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{allowed, verify_pin, Action, AuthError, Role};
use crate::principal::Principal;
use crate::store::{AuditEntry, Outcome, Store, UserAuth};

/// Wrong PINs in a row before a user is locked.
pub const MAX_FAILED: u32 = 5;
/// The first lock; each further wrong PIN doubles it.
pub const LOCK_SECS: i64 = 60;
/// The longest lock.
pub const MAX_LOCK_SECS: i64 = 24 * 3600;
/// How long a PIN given again counts for user, account and key management.
pub const REAUTH_WINDOW: Duration = Duration::minutes(5);
/// Shortest owner PIN.
pub const OWNER_PIN_MIN: usize = 6;

/// Who is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub since: DateTime<Utc>,
    /// The last sign of the person at the till (login, input): idle logout counts from here.
    #[serde(default)]
    pub active_at: DateTime<Utc>,
    /// When the PIN was last given again (not the login).
    #[serde(default)]
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl Session {
    pub fn new(user: impl Into<String>, role: Role, now: DateTime<Utc>) -> Session {
        Session { user: user.into(), role, since: now, active_at: now, confirmed_at: None }
    }

    /// True when nobody has used the till for longer than `idle` (`None`: never).
    pub fn expired(&self, idle: Option<Duration>, now: DateTime<Utc>) -> bool {
        idle.is_some_and(|d| now - self.active_at > d)
    }

    /// The person at the till did something.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.active_at = self.active_at.max(now);
    }

    fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.confirmed_at.is_some_and(|t| now - t <= REAUTH_WINDOW && t <= now)
    }

    pub fn principal(&self) -> Principal {
        Principal::user(&self.user, self.role)
    }
}

/// Something an owner should know when they log in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// `user` was locked after wrong PINs in a row (since this owner's previous login).
    Locked { user: String, at: DateTime<Utc>, failures: u32, until: DateTime<Utc> },
    /// The owner's own PIN is shorter than 6 digits (set before owners needed 6): change it.
    ShortPin,
}

/// Actions that need the PIN given again within [`REAUTH_WINDOW`].
pub fn needs_fresh_pin(action: Action) -> bool {
    use Action::*;
    match action {
        ManageUsers | ManageAccounts => true,
        TakePayment | ViewOrders | RequeryOrder | CloseOrder | Refund | ExportOrders | ViewSettings | ManageSettings | ViewAudit | Simulate | Reconcile
        | ResolveDiscrepancy | ViewAnalytics | ExportAnalytics | ViewShifts | CloseDay => false,
    }
}

/// The lock after `failed` wrong PINs in a row: none below [`MAX_FAILED`], then 1, 2, 4 …
/// minutes, at most [`MAX_LOCK_SECS`].
pub fn lock_after(failed: u32) -> Option<Duration> {
    let over = failed.checked_sub(MAX_FAILED)?;
    let secs = LOCK_SECS.saturating_mul(1i64 << over.min(20)).min(MAX_LOCK_SECS);
    Some(Duration::seconds(secs))
}

/// Refuses `action` unless a live session's role allows it and — for management — its PIN was
/// given again lately. An expired session (idle longer than `idle`) is `SessionExpired`.
pub fn require_active(session: Option<&Session>, action: Action, idle: Option<Duration>, now: DateTime<Utc>) -> Result<&Session, AuthError> {
    let s = session.ok_or(AuthError::NotLoggedIn)?;
    if s.expired(idle, now) {
        return Err(AuthError::SessionExpired);
    }
    if !allowed(s.role, action) {
        return Err(AuthError::Forbidden { role: s.role, action: action.as_str() });
    }
    if needs_fresh_pin(action) && !s.fresh(now) {
        return Err(AuthError::ReauthRequired);
    }
    Ok(s)
}

/// Checks a user's PIN, counting failures and locking as [`lock_after`] says. Audited.
pub fn login(store: &Store, name: &str, pin: &str, now: DateTime<Utc>) -> Result<Session, AuthError> {
    let result = check_credentials(store, name, pin, now);
    let (outcome, detail, by) = match &result {
        Ok(s) => (Outcome::Ok, String::new(), Some(s.principal())),
        Err(e) => (Outcome::Denied, e.to_string(), None),
    };
    let entry = match &by {
        Some(p) => AuditEntry::by(p, "login", Some(name), outcome, detail, now),
        None => AuditEntry { at: now, actor: None, role: None, action: "login".into(), target: Some(name.into()), outcome, detail },
    };
    store.append_audit(&entry)?;
    result
}

/// Re-checks the PIN of the logged-in user (refunds, and management within [`REAUTH_WINDOW`]):
/// a wrong PIN counts like one at login. On success the session counts as freshly confirmed.
pub fn confirm_pin(store: &Store, session: &mut Session, pin: &str, now: DateTime<Utc>) -> Result<(), AuthError> {
    let result = check_credentials(store, &session.user, pin, now).map(|_| ());
    if let Err(e) = &result {
        store.append_audit(&AuditEntry::by(&session.principal(), "confirm_pin", Some(&session.user), Outcome::Denied, e.to_string(), now))?;
    } else {
        session.confirmed_at = Some(now);
        session.touch(now);
    }
    result
}

/// What this owner should know, right after their login at `now`: locks since their previous
/// login (at most 50), and a PIN too short for an owner.
pub fn notices(store: &Store, session: &Session, pin_len: usize) -> Result<Vec<Notice>, AuthError> {
    if session.role != Role::Owner {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    if pin_len < OWNER_PIN_MIN {
        out.push(Notice::ShortPin);
    }
    // The book keeps milliseconds: this login's own entry is not "before" it.
    let this_login = session.since.timestamp_millis();
    let previous = store.audit_find("login", Some(&session.user), Some(Outcome::Ok), None, 2)?.into_iter().map(|e| e.at).find(|at| at.timestamp_millis() < this_login);
    for e in store.audit_find("login_locked", None, None, previous, 50)? {
        let (failures, until) = parse_lock_detail(&e.detail).unwrap_or((MAX_FAILED, e.at));
        out.push(Notice::Locked { user: e.target.unwrap_or_default(), at: e.at, failures, until });
    }
    Ok(out)
}

fn lock_detail(failures: u32, until: DateTime<Utc>) -> String {
    format!("{failures} wrong PINs in a row; locked until {}", until.to_rfc3339())
}

fn parse_lock_detail(d: &str) -> Option<(u32, DateTime<Utc>)> {
    let (n, rest) = d.split_once(" wrong PINs in a row; locked until ")?;
    Some((n.parse().ok()?, DateTime::parse_from_rfc3339(rest).ok()?.with_timezone(&Utc)))
}

fn check_credentials(store: &Store, name: &str, pin: &str, now: DateTime<Utc>) -> Result<Session, AuthError> {
    let Some(UserAuth { user, pin_hash, failed, locked_until }) = store.user_auth(name)? else {
        // Spend the same time as a real check so names cannot be probed by timing.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let _ = verify_pin(pin, DUMMY.get_or_init(|| crate::auth::hash_pin("000000").unwrap_or_default()));
        return Err(AuthError::BadPin);
    };
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Err(AuthError::Locked { until });
    }
    if !user.enabled || !verify_pin(pin, &pin_hash) {
        // The count survives a lock: only a right PIN (or a new one) clears it.
        let failed = failed.saturating_add(1);
        // Milliseconds, as the book keeps them, so the answer is the same now and after a reload.
        let lock = lock_after(failed).map(|d| now + d).and_then(|t| DateTime::from_timestamp_millis(t.timestamp_millis()));
        store.record_login_failure(name, failed, lock)?;
        let Some(until) = lock else { return Err(AuthError::BadPin) };
        tracing::warn!(user = name, failed, %until, "user locked after wrong PINs");
        let entry = AuditEntry { at: now, actor: None, role: None, action: "login_locked".into(), target: Some(name.into()), outcome: Outcome::Denied, detail: lock_detail(failed, until) };
        store.append_audit(&entry)?;
        return Err(AuthError::Locked { until });
    }
    if failed > 0 || locked_until.is_some() {
        store.record_login_failure(name, 0, None)?;
    }
    Ok(Session::new(user.name, user.role, now))
}

#[cfg(test)]
mod tests;
