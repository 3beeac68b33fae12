//! People at the till: roles, PINs (argon2id), what each role may do, users and the audit log.
//! Login, lockout, idle logout and re-authentication are in [`crate::session`].
//!
//! Every gated action is decided by [`allowed`] — one exhaustive table, so a new action forces a
//! decision for every role. Front ends (the desktop app, later the local API) call
//! [`crate::session::require_active`] before acting and [`audit`] after sensitive actions; hiding a
//! button is never the only guard.
//!
//! PINs are short (4–8 digits; an owner's 6–8), so their hashes are not a strong secret on their
//! own: argon2id makes offline guessing slow, and wrong PINs lock the user for ever longer.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::order::ParseEnumError;
use crate::principal::Principal;
use crate::store::{AuditEntry, Outcome, Store, StoreError};

pub use crate::session::{confirm_pin, login, Session, LOCK_SECS, MAX_FAILED};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes payments, looks up orders.
    Cashier,
    /// Runs the shop: everything, including refunds, accounts, settings and users.
    Owner,
    /// Reads orders and the audit log, exports.
    Accountant,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Cashier, Role::Owner, Role::Accountant];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Owner => "owner",
            Role::Accountant => "accountant",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| ParseEnumError { what: "role", value: s.into(), expected: "cashier, owner, accountant" })
    }
}

/// Something a person may or may not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    TakePayment,
    ViewOrders,
    RequeryOrder,
    CloseOrder,
    Refund,
    ExportOrders,
    ViewSettings,
    ManageSettings,
    ManageAccounts,
    ManageUsers,
    ViewAudit,
    /// Demo mode: play the customer through the simulator.
    Simulate,
    /// Reconciliation: run, view, re-query discrepancies, export reports.
    Reconcile,
    /// Mark a reconciliation discrepancy resolved with a note.
    ResolveDiscrepancy,
    /// The sales dashboard (figures and charts).
    ViewAnalytics,
    /// Write the sales report files (XLSX/CSV figures, PNG charts).
    ExportAnalytics,
    /// The shift history with each over/short, any shift's report, the Z reports.
    ViewShifts,
    /// Close the business day (the Z report).
    CloseDay,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::TakePayment,
        Action::ViewOrders,
        Action::RequeryOrder,
        Action::CloseOrder,
        Action::Refund,
        Action::ExportOrders,
        Action::ViewSettings,
        Action::ManageSettings,
        Action::ManageAccounts,
        Action::ManageUsers,
        Action::ViewAudit,
        Action::Simulate,
        Action::Reconcile,
        Action::ResolveDiscrepancy,
        Action::ViewAnalytics,
        Action::ExportAnalytics,
        Action::ViewShifts,
        Action::CloseDay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::TakePayment => "take_payment",
            Action::ViewOrders => "view_orders",
            Action::RequeryOrder => "requery_order",
            Action::CloseOrder => "close_order",
            Action::Refund => "refund",
            Action::ExportOrders => "export_orders",
            Action::ViewSettings => "view_settings",
            Action::ManageSettings => "manage_settings",
            Action::ManageAccounts => "manage_accounts",
            Action::ManageUsers => "manage_users",
            Action::ViewAudit => "view_audit",
            Action::Simulate => "simulate",
            Action::Reconcile => "reconcile",
            Action::ResolveDiscrepancy => "resolve_discrepancy",
            Action::ViewAnalytics => "view_analytics",
            Action::ExportAnalytics => "export_analytics",
            Action::ViewShifts => "view_shifts",
            Action::CloseDay => "close_day",
        }
    }
}

/// The permission table. Every (role, action) pair is decided here and nowhere else.
pub fn allowed(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Owner => match action {
            TakePayment | ViewOrders | RequeryOrder | CloseOrder | Refund | ExportOrders | ViewSettings | ManageSettings | ManageAccounts
            | ManageUsers | ViewAudit | Simulate | Reconcile | ResolveDiscrepancy | ViewAnalytics | ExportAnalytics | ViewShifts | CloseDay => true,
        },
        Role::Cashier => match action {
            TakePayment | ViewOrders | RequeryOrder | CloseOrder | Simulate => true,
            Refund | ExportOrders | ViewSettings | ManageSettings | ManageAccounts | ManageUsers | ViewAudit | Reconcile | ResolveDiscrepancy
            | ViewAnalytics | ExportAnalytics | ViewShifts | CloseDay => false,
        },
        Role::Accountant => match action {
            ViewOrders | RequeryOrder | ExportOrders | ViewAudit | Reconcile | ResolveDiscrepancy | ViewAnalytics | ExportAnalytics | ViewShifts => true,
            TakePayment | CloseOrder | Refund | ViewSettings | ManageSettings | ManageAccounts | ManageUsers | Simulate | CloseDay => false,
        },
    }
}

/// A person as the app shows them (never with the PIN hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub enabled: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Unknown user or wrong PIN (deliberately the same message).
    #[error("wrong user or PIN")]
    BadPin,
    #[error("too many wrong PINs; try again after {until}")]
    Locked { until: DateTime<Utc> },
    #[error("not logged in")]
    NotLoggedIn,
    /// Nobody used the till for the idle time: logged out.
    #[error("logged out after being idle; log in again")]
    SessionExpired,
    /// User, account and key management need the PIN given again.
    #[error("give your PIN again to go on")]
    ReauthRequired,
    #[error("a {role} may not {action}")]
    Forbidden { role: Role, action: &'static str },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Invalid { .. } => "invalid",
            AuthError::BadPin => "bad_pin",
            AuthError::Locked { .. } => "locked",
            AuthError::NotLoggedIn => "not_logged_in",
            AuthError::SessionExpired => "session_expired",
            AuthError::ReauthRequired => "reauth_required",
            AuthError::Forbidden { .. } => "forbidden",
            AuthError::Conflict(_) => "conflict",
            AuthError::Store(_) => "storage",
        }
    }
}

fn invalid(field: &'static str, message: &str) -> AuthError {
    AuthError::Invalid { field, message: message.into() }
}

/// A user name: 1–32 characters, letters (any script), digits, `-`, `_`, no spaces.
pub fn check_name(name: &str) -> Result<(), AuthError> {
    let n = name.chars().count();
    if n == 0 || n > 32 || !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid("name", "use 1 to 32 letters, digits, - or _"));
    }
    Ok(())
}

/// A PIN: 4 to 8 digits.
pub fn check_pin(pin: &str) -> Result<(), AuthError> {
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("pin", "must be 4 to 8 digits"));
    }
    Ok(())
}

/// A PIN for someone of `role`: an owner's (refunds, accounts, users) needs 6 to 8 digits.
pub fn check_pin_for(role: Role, pin: &str) -> Result<(), AuthError> {
    check_pin(pin)?;
    if role == Role::Owner && pin.len() < crate::session::OWNER_PIN_MIN {
        return Err(invalid("pin", "an owner's PIN must be 6 to 8 digits"));
    }
    Ok(())
}

/// Hashes a PIN with argon2id and a random salt (PHC string).
pub fn hash_pin(pin: &str) -> Result<String, AuthError> {
    check_pin(pin)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Store(StoreError::Corrupt(format!("cannot hash PIN: {e}"))))
}

/// Checks a PIN against a stored hash (constant-time inside argon2).
pub fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

/// Refuses `action` unless the session's role allows it.
pub fn require(session: Option<&Session>, action: Action) -> Result<&Session, AuthError> {
    let s = session.ok_or(AuthError::NotLoggedIn)?;
    if allowed(s.role, action) {
        Ok(s)
    } else {
        Err(AuthError::Forbidden { role: s.role, action: action.as_str() })
    }
}

/// Writes one audit entry.
pub fn audit(store: &Store, actor: Option<&Session>, action: &str, target: Option<&str>, outcome: Outcome, detail: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.append_audit(&AuditEntry {
        at: now,
        actor: actor.map(|s| s.user.clone()),
        role: actor.map(|s| s.role),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome,
        detail: detail.to_string(),
    })
}

/// True when nobody has been set up yet (the app then asks for the first owner).
pub fn needs_setup(store: &Store) -> Result<bool, AuthError> {
    Ok(store.users()?.is_empty())
}

/// Adds a user on behalf of `by`. The very first user must be an owner. Audited.
pub fn add_user(store: &Store, name: &str, role: Role, pin: &str, by: &Principal, now: DateTime<Utc>) -> Result<User, AuthError> {
    check_name(name)?;
    check_pin_for(role, pin)?;
    let hash = hash_pin(pin)?;
    if store.users()?.is_empty() && role != Role::Owner {
        return Err(invalid("role", "the first user must be an owner"));
    }
    store.insert_user(name, role, &hash, now).map_err(|e| match e {
        StoreError::Conflict(_) => AuthError::Conflict(format!("a user named {name:?} already exists")),
        other => other.into(),
    })?;
    audit_user(store, by, name, &format!("added as {role}"), now)?;
    Ok(User { name: name.into(), role, enabled: true })
}

/// Changes a user's PIN on behalf of `by` (clearing their wrong-PIN count and lock). Audited.
pub fn set_pin(store: &Store, name: &str, pin: &str, by: &Principal, now: DateTime<Utc>) -> Result<(), AuthError> {
    let role = store.users()?.into_iter().find(|u| u.name == name).map(|u| u.role);
    check_pin_for(role.unwrap_or(Role::Cashier), pin)?;
    let hash = hash_pin(pin)?;
    store.update_user(name, None, Some(&hash), None, now)?;
    audit_user(store, by, name, "PIN changed", now)
}

/// Enables or disables a user on behalf of `by`; the last enabled owner cannot be disabled.
/// Audited.
pub fn set_enabled(store: &Store, name: &str, enabled: bool, by: &Principal, now: DateTime<Utc>) -> Result<(), AuthError> {
    if !enabled {
        let users = store.users()?;
        let owners = users.iter().filter(|u| u.enabled && u.role == Role::Owner && u.name != name).count();
        if users.iter().any(|u| u.name == name && u.role == Role::Owner) && owners == 0 {
            return Err(AuthError::Conflict("the last owner cannot be disabled".into()));
        }
    }
    store.update_user(name, None, None, Some(enabled), now)?;
    audit_user(store, by, name, if enabled { "enabled" } else { "disabled" }, now)
}

fn audit_user(store: &Store, by: &Principal, name: &str, detail: &str, now: DateTime<Utc>) -> Result<(), AuthError> {
    Ok(store.append_audit(&AuditEntry::by(by, "user", Some(name), Outcome::Ok, detail, now))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("b.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn table_is_what_the_shop_expects() {
        let may = |r, a| allowed(r, a);
        assert!(Action::ALL.iter().all(|a| may(Role::Owner, *a)));
        assert!(may(Role::Cashier, Action::TakePayment) && !may(Role::Cashier, Action::Refund));
        assert!(!may(Role::Cashier, Action::ExportOrders) && !may(Role::Cashier, Action::ManageSettings));
        assert!(may(Role::Accountant, Action::ExportOrders) && may(Role::Accountant, Action::ViewAudit));
        assert!(!may(Role::Accountant, Action::TakePayment) && !may(Role::Accountant, Action::Refund));
        // Reconciliation is the accountant's (and the owner's), never the cashier's.
        for a in [Action::Reconcile, Action::ResolveDiscrepancy, Action::ViewAnalytics, Action::ExportAnalytics] {
            assert!(may(Role::Accountant, a) && may(Role::Owner, a) && !may(Role::Cashier, a), "{a:?}");
        }
    }

    #[test]
    fn require_refuses_and_names_the_action() {
        let s = Session::new("amy", Role::Cashier, Utc::now());
        assert!(require(Some(&s), Action::TakePayment).is_ok());
        let e = require(Some(&s), Action::Refund).unwrap_err();
        assert_eq!(e.code(), "forbidden");
        assert_eq!(e.to_string(), "a cashier may not refund");
        assert_eq!(require(None, Action::ViewOrders).unwrap_err().code(), "not_logged_in");
    }

    #[test]
    fn pins_are_hashed_and_checked() {
        let h = hash_pin("1234").unwrap();
        assert!(h.starts_with("$argon2id$") && !h.contains("1234"));
        assert!(verify_pin("1234", &h) && !verify_pin("1235", &h));
        assert_ne!(hash_pin("1234").unwrap(), h, "salted");
        for bad in ["123", "123456789", "12a4", ""] {
            assert_eq!(hash_pin(bad).unwrap_err().code(), "invalid", "{bad}");
        }
        // An owner's PIN guards refunds, accounts and users: at least 6 digits.
        assert!(check_pin_for(Role::Cashier, "1234").is_ok() && check_pin_for(Role::Owner, "123456").is_ok());
        assert_eq!(check_pin_for(Role::Owner, "9999").unwrap_err().to_string(), "pin: an owner's PIN must be 6 to 8 digits");
    }

    #[test]
    fn user_names_are_plain_letters() {
        assert!(check_name("王芳").is_ok() && check_name("amy_2").is_ok());
        // Names are shown on the login screen, in the audit log and on receipts: no control or
        // bidi characters that could make one user look like another.
        for bad in ["王芳\u{202E}", "a\u{2066}b", "amy\n", "a\u{1b}[2J", "a b", ""] {
            assert_eq!(check_name(bad).unwrap_err().code(), "invalid", "{bad:?}");
        }
    }

    #[test]
    fn first_user_is_owner_then_login_and_lockout() {
        let (_d, s) = store();
        let now = Utc::now();
        assert!(needs_setup(&s).unwrap());
        assert_eq!(add_user(&s, "amy", Role::Cashier, "1111", &Principal::System, now).unwrap_err().code(), "invalid");
        assert_eq!(add_user(&s, "老板", Role::Owner, "9999", &Principal::System, now).unwrap_err().code(), "invalid", "owners need 6 digits");
        add_user(&s, "老板", Role::Owner, "999999", &Principal::System, now).unwrap();
        add_user(&s, "amy", Role::Cashier, "1111", &Principal::System, now).unwrap();
        assert_eq!(add_user(&s, "amy", Role::Cashier, "2222", &Principal::System, now).unwrap_err().code(), "conflict");
        assert!(!needs_setup(&s).unwrap());
        let sess = login(&s, "amy", "1111", now).unwrap();
        assert_eq!(sess.role, Role::Cashier);
        assert_eq!(login(&s, "nobody", "1111", now).unwrap_err().code(), "bad_pin");
        for _ in 0..MAX_FAILED - 1 {
            assert_eq!(login(&s, "amy", "0000", now).unwrap_err().code(), "bad_pin");
        }
        assert_eq!(login(&s, "amy", "0000", now).unwrap_err().code(), "locked");
        // Even the right PIN waits out the lock.
        assert_eq!(login(&s, "amy", "1111", now).unwrap_err().code(), "locked");
        assert!(login(&s, "amy", "1111", now + chrono::Duration::seconds(LOCK_SECS + 1)).is_ok());
        let log = s.audit_log(100).unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "login").count(), 9);
        assert!(log.iter().any(|e| e.outcome == Outcome::Denied && e.target.as_deref() == Some("nobody")));
        assert!(log.iter().all(|e| !e.detail.contains("1111")));
    }

    #[test]
    fn disabled_users_and_last_owner() {
        let (_d, s) = store();
        let now = Utc::now();
        add_user(&s, "boss", Role::Owner, "999999", &Principal::System, now).unwrap();
        add_user(&s, "amy", Role::Cashier, "1111", &Principal::System, now).unwrap();
        assert_eq!(set_pin(&s, "boss", "1234", &Principal::System, now).unwrap_err().code(), "invalid", "an owner's new PIN needs 6 digits too");
        assert_eq!(set_enabled(&s, "boss", false, &Principal::System, now).unwrap_err().code(), "conflict");
        set_enabled(&s, "amy", false, &Principal::System, now).unwrap();
        assert_eq!(login(&s, "amy", "1111", now).unwrap_err().code(), "bad_pin");
        set_enabled(&s, "amy", true, &Principal::System, now).unwrap();
        set_pin(&s, "amy", "4321", &Principal::System, now).unwrap();
        assert!(login(&s, "amy", "1111", now).is_err());
        let mut sess = login(&s, "amy", "4321", now).unwrap();
        assert!(confirm_pin(&s, &mut sess, "4321", now).is_ok());
        assert_eq!(confirm_pin(&s, &mut sess, "9999", now).unwrap_err().code(), "bad_pin");
    }
}
