//! Merchant keys travelling with a shop's shared accounts.
//!
//! On a shared book the owner sets an account up once, at any till, and every till uses it — so
//! its private keys must reach the other tills, yet never sit readable in the shared database. A
//! random 32-byte **shop key** does it: each account carries its key files sealed under the shop
//! key (`AccountConfig::carried_keys`, the [`crate::keystore`] format bound to the account and
//! parameter), and each till keeps the shop key itself sealed with its own machine key
//! (`keys/shop.key.sealed`). The first till that joins with `--shop-key-file FILE` creates the key
//! and writes it to FILE (0600); the owner carries FILE to the other tills as they join (like
//! the database password file). The shared book holds only a check value, so a till given the
//! wrong file is refused at join.
//!
//! Invariant: without the shop key a carried key opens nowhere; a till reads an account's key
//! from its own `keys/` folder first and from the carried copy only when it has none.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use paydesk_core::payments::KeyCarrier;
use paydesk_core::store::shared::{claim_shop_key_check, LinkError, SharedConfig};
use paydesk_core::{AccountConfig, Store};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::keystore::{self, MachineKey};

/// How a shop key file starts.
const TEXT_PREFIX: &str = "paydesk-shop-key-v1:";
/// The name the shop key is sealed under (the keystore's account and field).
const SEALED_AS: (&str, &str) = ("shop", "shop_key");

/// The shop's key (never printed).
#[derive(Clone)]
pub struct ShopKey(MachineKey, [u8; 32]);

impl std::fmt::Debug for ShopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShopKey(..)")
    }
}

fn sealed_path(home: &Path) -> PathBuf {
    crate::keyfiles::keys_dir(home).join("shop.key.sealed")
}

impl ShopKey {
    fn from_raw(k: [u8; 32]) -> ShopKey {
        ShopKey(MachineKey::from_raw(k), k)
    }

    pub fn generate() -> ShopKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        ShopKey::from_raw(k)
    }

    /// Reads a shop key file's text; the error says what is wrong, never the content.
    pub fn from_text(text: &str) -> Result<ShopKey, String> {
        let body = text.trim().strip_prefix(TEXT_PREFIX).ok_or("not a Paydesk shop key file")?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).map_err(|_| "the shop key file is damaged")?;
        raw.try_into().map(ShopKey::from_raw).map_err(|_| "the shop key file is damaged".into())
    }

    /// The text of a shop key file.
    pub fn to_text(&self) -> String {
        format!("{TEXT_PREFIX}{}\n", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.1))
    }

    /// What the shared book keeps to recognise the shop's key: a hash that reveals nothing of it.
    pub fn check(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"paydesk shop key check v1\0");
        h.update(self.1);
        hex::encode(&h.finalize()[..16])
    }

    /// This till's copy of the shop key, if it has one.
    pub fn load(home: &Path) -> Result<Option<ShopKey>, String> {
        let path = sealed_path(home);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {}", path.display(), e.kind())),
        };
        let machine = MachineKey::load_or_create(&keystore::machine_key_path())?;
        let plain = machine.open(&text, SEALED_AS.0, SEALED_AS.1).map_err(|e| format!("{}: {e}", path.display()))?.plain;
        plain.try_into().map(|k| Some(ShopKey::from_raw(k))).map_err(|_| format!("{}: damaged", path.display()))
    }

    /// Keeps the shop key in this till's home, sealed with its machine key.
    pub fn save(&self, home: &Path) -> Result<(), String> {
        let machine = MachineKey::load_or_create(&keystore::machine_key_path())?;
        let sealed = machine.seal(SEALED_AS.0, SEALED_AS.1, &self.1)?;
        let dir = crate::keyfiles::keys_dir(home);
        paydesk_core::files::create_private_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        keystore::write_private(&sealed_path(home), sealed.as_bytes())
    }

    /// Opens an account's carried copy of its key parameter `field`.
    pub fn open(&self, a: &AccountConfig, field: &str) -> Result<Vec<u8>, String> {
        let sealed = a.carried_keys.get(field).ok_or_else(|| format!("account {:?} carries no {field}", a.name))?;
        self.0.open(sealed, &a.name, field).map(|o| o.plain).map_err(|e| e.replace("this machine's key", "the shop key"))
    }
}

/// Reads `a`'s carried key `field` with this till's shop key; the error says how to get one.
pub fn read_carried(home: &Path, a: &AccountConfig, field: &str) -> Result<Vec<u8>, String> {
    match ShopKey::load(home)? {
        Some(k) => k.open(a, field),
        None => Err("this till has no copy of it and no shop key to open the shop's: join with --shop-key-file FILE (the file the first till wrote)".into()),
    }
}

/// Seals every key parameter of `new` this till can read under the shop key (when it has one);
/// a parameter it cannot read keeps the copy `old` carried, if it names the same file.
pub fn carry(home: &Path, old: Option<&AccountConfig>, new: &mut AccountConfig) -> Result<(), String> {
    let key = ShopKey::load(home)?;
    let fields: Vec<String> = new.params.iter().filter(|(k, v)| crate::keyfiles::is_key_param(k) && v.as_str().is_some()).map(|(k, _)| k.clone()).collect();
    let mut carried = std::collections::BTreeMap::new();
    for field in fields {
        let local = crate::keyfiles::resolve(home, new, &field).and_then(|p| crate::keyfiles::open(&p, &new.name, &field));
        match (local, &key) {
            (Ok(plain), Some(k)) => {
                // The copy already carried, when it holds these bytes: a save that changes nothing
                // changes nothing (sealing again would, with a fresh nonce).
                let kept = old.filter(|o| o.name == new.name).and_then(|o| o.carried_keys.get(&field).filter(|_| k.open(o, &field).is_ok_and(|p| p == plain)));
                let sealed = match kept {
                    Some(c) => c.clone(),
                    None => k.0.seal(&new.name, &field, &plain)?,
                };
                carried.insert(field.clone(), sealed);
            }
            _ => {
                let same = old.filter(|o| o.name == new.name && o.params.get(&field) == new.params.get(&field));
                if let Some(c) = same.and_then(|o| o.carried_keys.get(&field)) {
                    carried.insert(field.clone(), c.clone());
                }
            }
        }
    }
    new.carried_keys = carried;
    Ok(())
}

/// Why a till could not take the shop key at join.
#[derive(Debug, thiserror::Error)]
pub enum JoinKeyError {
    /// The file: unreadable, not a shop key, or another shop's (the message names the file).
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Book(#[from] paydesk_core::store::StoreError),
}

/// Joining a shared book with a shop key file: reads the key from `file` (or, when there is no
/// such file, creates one and writes it there — the first till), checks it against the shared
/// book's, keeps it in the home and seals the home's accounts' key files under it. Returns
/// whether the file was created.
pub fn join_with(home: &Path, cfg: SharedConfig, file: &Path, store: &Store) -> Result<bool, JoinKeyError> {
    let bad = |e: String| JoinKeyError::File(format!("{}: {e}", file.display()));
    let (key, created) = match std::fs::read_to_string(file) {
        Ok(text) => (ShopKey::from_text(&text).map_err(bad)?, false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (ShopKey::generate(), true),
        Err(e) => return Err(bad(e.kind().to_string())),
    };
    if claim_shop_key_check(cfg, &key.check())? != key.check() {
        return Err(bad(if created { "the shared book already has a shop key: give the file the first till wrote".into() } else { "this is not the key of this shop's shared book".into() }));
    }
    if created {
        keystore::write_private(file, key.to_text().as_bytes()).map_err(bad)?;
    }
    key.save(home).map_err(bad)?;
    for old in store.accounts()? {
        let mut a = old.clone();
        carry(home, Some(&old), &mut a).map_err(JoinKeyError::File)?;
        if a != old {
            store.upsert_account(&a)?;
        }
    }
    Ok(created)
}

/// The carrier a home's [`paydesk_core::Payments`] applies to every account it saves.
pub fn carrier(home: &Path) -> KeyCarrier {
    let home = home.to_path_buf();
    Arc::new(move |old: Option<&AccountConfig>, new: &mut AccountConfig| carry(&home, old, new))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(home: &Path, name: &str) -> AccountConfig {
        let machine = MachineKey::load_or_create(&keystore::machine_key_path()).unwrap();
        let src = home.join("src.pem");
        std::fs::write(&src, "-----BEGIN PRIVATE KEY-----\nMII…\n-----END PRIVATE KEY-----\n").unwrap();
        std::fs::create_dir_all(crate::keyfiles::keys_dir(home)).unwrap();
        let rel = crate::keyfiles::import_key_file(home, &machine, name, "private_key_file", &src).unwrap();
        toml::from_str(&format!("name = \"{name}\"\nchannel = \"sandbox\"\n[params]\nmerchant_id = \"M1\"\nprivate_key_file = \"{rel}\"\n")).unwrap()
    }

    #[test]
    fn a_key_travels_to_a_till_with_the_shop_key_and_nowhere_else() {
        let (t1, t2, t3) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let shop = ShopKey::generate();
        shop.save(t1.path()).unwrap();
        let mut a = account(t1.path(), "ali");
        carry(t1.path(), None, &mut a).unwrap();
        let sealed = &a.carried_keys["private_key_file"];
        assert!(sealed.starts_with("PAYDESK-SEALED-KEY v2 ali private_key_file") && !sealed.contains("PRIVATE KEY"), "{sealed}");
        // T2 was given the shop key file: the key opens there, through the account alone.
        ShopKey::from_text(&shop.to_text()).unwrap().save(t2.path()).unwrap();
        assert!(String::from_utf8(crate::keyfiles::read(t2.path(), &a, "private_key_file").unwrap()).unwrap().contains("PRIVATE KEY"));
        // T3 was not: it says what to do; another shop's key does not open it either.
        let e = crate::keyfiles::read(t3.path(), &a, "private_key_file").unwrap_err();
        assert!(e.contains("--shop-key-file") && !e.contains("MII"), "{e}");
        ShopKey::generate().save(t3.path()).unwrap();
        assert!(crate::keyfiles::read(t3.path(), &a, "private_key_file").unwrap_err().contains("shop key"));
        // Carried under its account only: another account naming it gets nothing.
        let mut other = a.clone();
        other.name = "wx".into();
        assert!(crate::keyfiles::read(t2.path(), &other, "private_key_file").is_err());
        // An edit at T2 (no local file) keeps the carried copy of the same file.
        let mut edited = a.clone();
        edited.carried_keys.clear();
        edited.priority = 3;
        carry(t2.path(), Some(&a), &mut edited).unwrap();
        assert_eq!(edited.carried_keys, a.carried_keys);
        // So does a save at T1 that changes no key: the carried text stays as it was.
        let mut again = a.clone();
        carry(t1.path(), Some(&a), &mut again).unwrap();
        assert_eq!(again.carried_keys, a.carried_keys);
    }

    #[test]
    fn key_files_and_checks() {
        let k = ShopKey::generate();
        let back = ShopKey::from_text(&k.to_text()).unwrap();
        assert_eq!(back.check(), k.check());
        assert_ne!(ShopKey::generate().check(), k.check());
        assert!(!format!("{k:?}").contains(&k.to_text()[TEXT_PREFIX.len()..TEXT_PREFIX.len() + 8]));
        assert_eq!(ShopKey::from_text("hello").unwrap_err(), "not a Paydesk shop key file");
        assert!(ShopKey::from_text("paydesk-shop-key-v1:AAAA").unwrap_err().contains("damaged"));
    }
}
