//! Who did it: the authenticated principal of every payment, refund, close and audited change.
//!
//! Invariant: a [`Principal`] comes only from authentication — a PIN login at the till, a
//! verified API key, the operating-system account that runs the `paydesk` command — or is
//! Paydesk itself ([`Principal::System`]: the follower closing an expired order). Nothing a
//! client *says* about itself becomes a principal: an API client's `operator` is a label stored
//! beside it, and daily limits count by principal, so a label can never spend a named cashier's
//! limit. The type is deliberately small so shifts, receipts and sync can carry it as it is.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::auth::Role;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    /// A person logged in at the till with their PIN (their role at the time).
    User { name: String, role: Role },
    /// A key of the local API (`pdk_<id>_…`), by id and the name the owner gave it.
    ApiKey { id: String, name: String },
    /// The operating-system account that ran the `paydesk` command.
    Os { user: String },
    /// Paydesk itself: expiry, recovery, the follower.
    System,
}

impl Principal {
    pub fn user(name: impl Into<String>, role: Role) -> Principal {
        Principal::User { name: name.into(), role }
    }

    pub fn api_key(id: impl Into<String>, name: impl Into<String>) -> Principal {
        Principal::ApiKey { id: id.into(), name: name.into() }
    }

    /// The account this process runs as: by user id where the system tells it (so a changed
    /// `$USER` does not change who it is), else the login name from the environment.
    pub fn os() -> Principal {
        Principal::Os { user: os_user() }
    }

    /// A stable key to count and find by: `user:<name>`, `api_key:<id>`, `os:<user>`, `system`.
    pub fn key(&self) -> String {
        match self {
            Principal::User { name, .. } => format!("user:{name}"),
            Principal::ApiKey { id, .. } => format!("api_key:{id}"),
            Principal::Os { user } => format!("os:{user}"),
            Principal::System => "system".into(),
        }
    }

    /// The till role, for a person logged in at the till.
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::User { role, .. } => Some(*role),
            Principal::ApiKey { .. } | Principal::Os { .. } | Principal::System => None,
        }
    }

    /// The till user's name, if this is one (daily cashier limits apply to them).
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Principal::User { name, .. } => Some(name),
            Principal::ApiKey { .. } | Principal::Os { .. } | Principal::System => None,
        }
    }

    /// The stored form (JSON, one line).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"kind\":\"system\"}".into())
    }

    /// Reads the stored form; `None` for an empty or unreadable value (rows written before
    /// principals were recorded).
    pub fn from_stored(s: Option<&str>) -> Option<Principal> {
        s.filter(|s| !s.is_empty()).and_then(|s| serde_json::from_str(s).ok())
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User { name, .. } => f.write_str(name),
            Principal::ApiKey { id, name } => write!(f, "API key {name} ({id})"),
            Principal::Os { user } => write!(f, "{user} (cli)"),
            Principal::System => f.write_str("system"),
        }
    }
}

#[cfg(unix)]
fn os_user() -> String {
    use std::os::unix::fs::MetadataExt;
    // `/proc/self` belongs to the process's real user id (Linux); the name comes from passwd.
    let uid = std::fs::metadata("/proc/self").ok().map(|m| m.uid());
    if let Some(uid) = uid {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let name = passwd.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
        });
        return name.unwrap_or_else(|| format!("uid {uid}"));
    }
    env_user()
}

#[cfg(not(unix))]
fn os_user() -> String {
    env_user()
}

fn env_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_display_and_stored_form() {
        let u = Principal::user("王芳", Role::Cashier);
        let k = Principal::api_key("ab12cd34ef", "POS");
        assert_eq!((u.key(), k.key(), Principal::System.key()), ("user:王芳".into(), "api_key:ab12cd34ef".into(), "system".into()));
        assert_eq!(k.to_string(), "API key POS (ab12cd34ef)");
        assert_eq!(u.role(), Some(Role::Cashier));
        assert_eq!(k.role(), None);
        assert_eq!(u.to_stored(), r#"{"kind":"user","name":"王芳","role":"cashier"}"#);
        for p in [u, k, Principal::Os { user: "alice".into() }, Principal::System] {
            assert_eq!(Principal::from_stored(Some(&p.to_stored())), Some(p));
        }
        assert_eq!(Principal::from_stored(None), None);
        assert_eq!(Principal::from_stored(Some("")), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_os_user_is_not_taken_from_the_environment_on_linux() {
        let Principal::Os { user } = Principal::os() else { panic!("os principal") };
        assert!(!user.is_empty());
        if std::path::Path::new("/proc/self").exists() {
            // Whatever $USER says, the name is the one of the process's user id.
            let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap());
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
            let expected = passwd.lines().find(|l| l.split(':').nth(2) == Some(&uid.to_string())).map(|l| l.split(':').next().unwrap().to_string());
            assert_eq!(Some(user), expected);
        }
    }
}
