//! API keys of the local unified API: `pdk_<id>_<secret>`, scopes, constant-time checks.
//! Creating and revoking a key is written to the audit log with who did it.

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::principal::Principal;
use crate::store::{ApiKey, AuditEntry, Outcome, Store, StoreError};

/// What a key may do.
pub const SCOPES: [&str; 3] = ["payments:read", "payments:write", "refunds:write"];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("scopes: unknown scope {0:?} (known: payments:read, payments:write, refunds:write)")]
    UnknownScope(String),
    /// The key's name is shown wherever it acted (order details, audit log, the CLI): 1 to 64
    /// characters of plain text on one line.
    #[error("name: {0}")]
    BadName(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key on behalf of `by`; returns it with the full token, which is never stored.
pub fn create(store: &Store, name: &str, scopes: &[String], by: &Principal) -> Result<(ApiKey, String), KeyError> {
    let name = crate::text::SafeText::parse("name", name, 64).map_err(|e| KeyError::BadName(e.problem))?;
    let name = name.as_str();
    if name.is_empty() {
        return Err(KeyError::BadName("must be 1 to 64 characters".into()));
    }
    for s in scopes {
        if !SCOPES.contains(&s.as_str()) {
            return Err(KeyError::UnknownScope(s.clone()));
        }
    }
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let id: String = (&mut rng).sample_iter(&Alphanumeric).take(10).map(char::from).collect::<String>().to_lowercase();
    let secret: String = (&mut rng).sample_iter(&Alphanumeric).take(32).map(char::from).collect();
    let key = store.insert_api_key(&id, name, &hash(&secret), scopes, Utc::now())?;
    store.append_audit(&AuditEntry::by(by, "api_key", Some(&id), Outcome::Ok, format!("created {name:?} with scopes {}", scopes.join(",")), Utc::now()))?;
    Ok((key, format!("pdk_{id}_{secret}")))
}

/// Revokes a key on behalf of `by`. Audited.
pub fn revoke(store: &Store, id: &str, by: &Principal) -> Result<(), KeyError> {
    store.revoke_api_key(id, Utc::now())?;
    store.append_audit(&AuditEntry::by(by, "api_key", Some(id), Outcome::Ok, "revoked", Utc::now()))?;
    Ok(())
}

/// The key a bearer token belongs to, if valid and not revoked.
pub fn authenticate(store: &Store, token: &str) -> Option<ApiKey> {
    let rest = token.strip_prefix("pdk_")?;
    let (id, secret) = rest.split_once('_')?;
    let (key, stored) = store.api_key(id).ok()??;
    let given = hash(secret);
    let same = given.len() == stored.len() && given.bytes().zip(stored.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same {
        return None;
    }
    let _ = store.touch_api_key(id, Utc::now());
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_authenticate_revoke() {
        let (_d, s) = crate::store::test_util::store();
        let owner = Principal::user("李老板", crate::auth::Role::Owner);
        let (k, token) = create(&s, "POS", &["payments:read".into()], &owner).unwrap();
        assert!(token.starts_with(&format!("pdk_{}_", k.id)));
        assert_eq!(authenticate(&s, &token).unwrap().scopes, ["payments:read"]);
        assert!(authenticate(&s, &format!("{token}x")).is_none());
        assert!(authenticate(&s, "pdk_nope_x").is_none());
        assert!(authenticate(&s, "Bearer").is_none());
        revoke(&s, &k.id, &Principal::Os { user: "alice".into() }).unwrap();
        assert!(authenticate(&s, &token).is_none());
        assert!(matches!(create(&s, "x", &["admin".into()], &owner), Err(KeyError::UnknownScope(_))));
        // A name with control or bidi characters would lie wherever the key is shown.
        for bad in ["POS\u{202E}gnp.exe", "POS\n=1+1", "\u{1b}[2J", ""] {
            let e = create(&s, bad, &["payments:read".into()], &owner).unwrap_err().to_string();
            assert!(e.starts_with("name: "), "{bad:?}: {e}");
        }
        // Both changes are in the audit log with who made them; the secret never is.
        let log = s.audit_log(10).unwrap();
        let keys: Vec<_> = log.iter().filter(|e| e.action == "api_key").map(|e| (e.actor.as_deref().unwrap(), e.detail.as_str())).collect();
        assert_eq!(keys, [("alice (cli)", "revoked"), ("李老板", "created \"POS\" with scopes payments:read")]);
        assert!(log.iter().all(|e| !e.detail.contains(&token[token.len() - 8..])));
    }
}
