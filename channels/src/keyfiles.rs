//! The key and certificate files accounts name: where they may be, how they are read, and how a
//! file from elsewhere comes in.
//!
//! Invariant: a key file is read only from inside the home's `keys/` folder, judged on the
//! canonical path (`..` and symbolic links resolved), so neither `keys/../x` nor a link in
//! `keys/` pointing out of it reaches another file. The one exception is the folder of the shipped
//! demo keys (the simulator's, published with Paydesk: nothing in it is a secret, and they only
//! work against the simulator). A file elsewhere is refused until the owner imports it — `paydesk accounts import` or
//! the app's key import — which copies it in, sealed for that account and parameter
//! ([`crate::keystore`]). A sealed file opens only for the account and parameter it was sealed
//! for; one sealed before that binding (v1) opens only under the name its import gave it,
//! `keys/<account>.<field>.sealed`, and is re-sealed bound on that first open.

use std::path::{Path, PathBuf};

use paydesk_core::AccountConfig;

use crate::keystore::{self, MachineKey};

/// The folder of a home where key files live.
pub fn keys_dir(home: &Path) -> PathBuf {
    home.join("keys")
}

/// Whether an account parameter names a key or certificate file (`…_file`; a template's
/// `template_file` is a recipe, not a key).
pub fn is_key_param(name: &str) -> bool {
    name.ends_with("_file") && name != "template_file"
}

/// The name an import gives a key file: `keys/<account>.<field>.sealed` (relative to the home).
pub fn sealed_name(account: &str, field: &str) -> String {
    format!("keys/{account}.{field}.sealed")
}

fn absolute(home: &Path, value: &str) -> PathBuf {
    let p = Path::new(value.trim());
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        home.join(p)
    }
}

fn param<'a>(a: &'a AccountConfig, field: &str) -> Result<&'a str, String> {
    a.param_opt(field).ok_or_else(|| format!("account {:?}: {field}: must be the path of a file", a.name))
}

fn canonical(p: &Path) -> Result<PathBuf, String> {
    p.canonicalize().map_err(|e| format!("cannot read {}: {}", p.display(), e.kind()))
}

/// Where `a`'s parameter `field` may be read from: its canonical path, inside `home/keys` (or the
/// shipped demo keys). Errors say where keys belong.
pub fn resolve(home: &Path, a: &AccountConfig, field: &str) -> Result<PathBuf, String> {
    let value = param(a, field)?;
    let path = canonical(&absolute(home, value))?;
    if canonical(&keys_dir(home)).is_ok_and(|k| path.starts_with(k)) {
        return Ok(path);
    }
    if canonical(&crate::sim::demo_keys_dir()).is_ok_and(|k| path.starts_with(k)) {
        return Ok(path);
    }
    Err(format!(
        "{} is outside the home's key folder {}: key files are read from there only; import it (`paydesk accounts import` or the app's key import copy it in, sealed)",
        path.display(),
        keys_dir(home).display()
    ))
}

/// The content of a file an account names, opened if sealed (for this account and field).
/// `path` is the canonical path [`resolve`] gave; a v1 sealed file is re-sealed in place, bound.
pub fn open(path: &Path, account: &str, field: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {}", path.display(), e.kind()))?;
    if !keystore::is_sealed(&bytes) {
        return Ok(bytes);
    }
    let fail = |e: String| format!("{}: {e}", path.display());
    let text = String::from_utf8(bytes).map_err(|_| fail("sealed key file is damaged".into()))?;
    let key = MachineKey::load_or_create(&keystore::machine_key_path()).map_err(fail)?;
    let opened = key.open(&text, account, field).map_err(fail)?;
    if opened.legacy {
        let own = Path::new(&sealed_name(account, field)).file_name().map(|n| n.to_os_string());
        if path.file_name().map(|n| n.to_os_string()) != own {
            return Err(fail(format!("sealed (before keys were bound to their account) for another account or field; import the key for account {account:?} again")));
        }
        // Migration: bind it now, on the first open by the account it was imported for.
        match key.seal(account, field, &opened.plain).and_then(|s| keystore::write_private(path, s.as_bytes())) {
            Ok(()) => tracing::info!(account, field, "re-sealed {} bound to its account", path.display()),
            Err(e) => tracing::warn!(account, field, "could not re-seal {} bound to its account: {e}", path.display()),
        }
    }
    Ok(opened.plain)
}

/// Reads `a`'s key parameter `field`: confined, and opened if sealed. A till of a shared book
/// without the file uses the copy the account carries for the shop ([`crate::shopkey`]).
pub fn read(home: &Path, a: &AccountConfig, field: &str) -> Result<Vec<u8>, String> {
    let local = resolve(home, a, field).and_then(|p| open(&p, &a.name, field));
    match local {
        Err(e) if a.carried_keys.contains_key(field) => crate::shopkey::read_carried(home, a, field).map_err(|c| format!("{e}; the shop's copy: {c}")),
        other => other,
    }
}

/// Copies a key file into `home/keys/<account>.<field>.sealed`, sealed with the machine key for
/// that account and field. Returns the path to put in the account's params (relative to the
/// home). Errors name the field and path, never the content.
pub fn import_key_file(home: &Path, key: &MachineKey, account: &str, field: &str, src: &Path) -> Result<String, String> {
    let staged = stage(home, key, account, field, src)?;
    let rel = sealed_name(account, field);
    std::fs::rename(&staged, home.join(&rel)).map_err(|e| {
        let _ = std::fs::remove_file(&staged);
        format!("{field}: {}: {}", home.join(&rel).display(), e.kind())
    })?;
    Ok(rel)
}

/// Seals `src` for (account, field) beside its final place; returns the staged file.
fn stage(home: &Path, key: &MachineKey, account: &str, field: &str, src: &Path) -> Result<PathBuf, String> {
    if !keystore::plain_name(account) || !keystore::plain_name(field) {
        return Err(format!("{field}: account and field names must be plain"));
    }
    let plain = open(src, account, field).map_err(|e| format!("{field}: {e}"))?;
    if plain.is_empty() {
        return Err(format!("{field}: {} is empty", src.display()));
    }
    let dir = keys_dir(home);
    // keys/ is the owner's alone (0700), like the home; each sealed file is 0600.
    paydesk_core::files::create_private_dir(&dir).map_err(|e| format!("{}: {}", dir.display(), e.kind()))?;
    let staged = home.join(format!("{}.importing", sealed_name(account, field)));
    keystore::write_private(&staged, key.seal(account, field, &plain)?.as_bytes())?;
    Ok(staged)
}

/// An account's key files, sealed into the home and waiting to be put in place: `commit` moves
/// them; dropped uncommitted, they are removed (an import that fails writes nothing).
#[derive(Debug, Default)]
pub struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    pub fn commit(mut self) -> Result<(), String> {
        for (from, to) in std::mem::take(&mut self.files) {
            std::fs::rename(&from, &to).map_err(|e| format!("{}: {}", to.display(), e.kind()))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (from, _) in &self.files {
            let _ = std::fs::remove_file(from);
        }
    }
}

/// One key file an import sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sealed {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// What importing an account does to its key files: each one it names (wherever the owner's file
/// says) is sealed for this account into `keys/` — except one already sealed for it there.
/// Returns the account to build now (reading the staged files), the account to save (with the
/// final paths), the staged files and what was sealed.
pub fn import_account_keys(home: &Path, key: &MachineKey, a: &AccountConfig) -> Result<(AccountConfig, AccountConfig, Staged, Vec<Sealed>), String> {
    let (mut now, mut saved, mut staged, mut sealed) = (a.clone(), a.clone(), Staged::default(), Vec::new());
    let fields: Vec<String> = a.params.keys().filter(|k| is_key_param(k)).cloned().collect();
    for field in fields {
        let src = absolute(home, param(a, &field)?);
        let rel = sealed_name(&a.name, &field);
        let already = canonical(&src).ok() == canonical(&home.join(&rel)).ok() && std::fs::read(&src).is_ok_and(|b| b.starts_with(format!("{}v2 {} {field}\n", keystore::PREFIX, a.name).as_bytes()));
        if already {
            continue;
        }
        let file = stage(home, key, &a.name, &field, &src).map_err(|e| format!("account {:?}: {e}", a.name))?;
        staged.files.push((file.clone(), home.join(&rel)));
        now.params.insert(field.clone(), toml::Value::String(file.display().to_string()));
        saved.params.insert(field.clone(), toml::Value::String(rel.clone()));
        sealed.push(Sealed { field, from: src.display().to_string(), to: rel });
    }
    Ok((now, saved, staged, sealed))
}

/// A temporary home whose `keys/` holds copies of `files` (name under keys/ → source), for tests
/// that build channels from key files kept elsewhere (the shared vectors).
#[cfg(test)]
pub(crate) fn home_with_keys(files: &[(&str, &Path)]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for (name, src) in files {
        let to = keys_dir(home.path()).join(name);
        std::fs::create_dir_all(to.parent().unwrap_or(home.path())).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        std::fs::copy(src, &to).unwrap_or_else(|e| panic!("{} → {}: {e}", src.display(), to.display()));
    }
    home
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, base_url: Option<&str>, params: &[(&str, &str)]) -> AccountConfig {
        let mut a: AccountConfig = toml::from_str(&format!("name = \"{name}\"\nchannel = \"sandbox\"")).unwrap();
        a.base_url = base_url.map(str::to_string);
        for (k, v) in params {
            a.params.insert(k.to_string(), toml::Value::String(v.to_string()));
        }
        a
    }

    fn machine_key() -> MachineKey {
        MachineKey::load_or_create(&keystore::machine_key_path()).unwrap()
    }

    #[test]
    fn key_paths_are_confined_to_the_keys_folder() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::create_dir_all(h.join("keys/alipay")).unwrap();
        std::fs::write(h.join("keys/alipay/k.pem"), "KEY").unwrap();
        std::fs::write(h.join("config.toml"), "till_id = \"T1\"").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("k.pem"), "OUT").unwrap();
        let real = Some("https://openapi.alipay.com/gateway.do");
        let read_one = |v: &str| read(h, &account("a", real, &[("private_key_file", v)]), "private_key_file");
        assert_eq!(read_one("keys/alipay/k.pem").unwrap(), b"KEY");
        assert_eq!(read_one(&h.join("keys/alipay/k.pem").display().to_string()).unwrap(), b"KEY", "absolute inside keys/ is fine");
        for escape in ["keys/../config.toml", "config.toml", "keys/alipay/../../config.toml", &outside.path().join("k.pem").display().to_string(), "/etc/hostname"] {
            let e = read_one(escape).unwrap_err();
            assert!(e.contains("outside the home's key folder") && e.contains("import"), "{escape}: {e}");
            assert!(!e.contains("OUT") && !e.contains("till_id"), "{e}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path().join("k.pem"), h.join("keys/link.pem")).unwrap();
            std::os::unix::fs::symlink(outside.path(), h.join("keys/dir")).unwrap();
            assert!(read_one("keys/link.pem").unwrap_err().contains("outside"), "a symlink leaving keys/ is refused");
            assert!(read_one("keys/dir/k.pem").unwrap_err().contains("outside"));
        }
        // The shipped demo keys (public, the simulator's) are readable where they are installed.
        let demo = crate::sim::demo_keys_dir().join("merchant_private.pem").display().to_string();
        assert!(read(h, &account("a", Some("http://127.0.0.1:8429/sandbox"), &[("private_key_file", &demo)]), "private_key_file").is_ok());
        let escape = crate::sim::demo_keys_dir().join("../../templates/epay-md5.toml").display().to_string();
        assert!(read(h, &account("a", real, &[("private_key_file", &escape)]), "private_key_file").unwrap_err().contains("outside"), "but nothing beside them");
    }

    #[test]
    fn an_account_cannot_open_another_accounts_sealed_key() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let src = h.join("ali.pem");
        std::fs::write(&src, "PRIVATE").unwrap();
        let key = machine_key();
        let rel = import_key_file(h, &key, "ali-main", "private_key_file", &src).unwrap();
        assert_eq!(rel, "keys/ali-main.private_key_file.sealed");
        let text = std::fs::read_to_string(h.join(&rel)).unwrap();
        assert!(!text.contains("PRIVATE"));
        assert_eq!(read(h, &account("ali-main", None, &[("private_key_file", &rel)]), "private_key_file").unwrap(), b"PRIVATE");
        let e = read(h, &account("thief", None, &[("private_key_file", &rel)]), "private_key_file").unwrap_err();
        assert!(e.contains("sealed for account \"ali-main\"") && !e.contains("PRIVATE"), "{e}");
        let e = read(h, &account("ali-main", None, &[("alipay_public_key_file", &rel)]), "alipay_public_key_file").unwrap_err();
        assert!(e.contains("private_key_file"), "{e}");
        // Copying the file under the thief's name does not help: the binding is inside.
        std::fs::copy(h.join(&rel), h.join("keys/thief.private_key_file.sealed")).unwrap();
        assert!(read(h, &account("thief", None, &[("private_key_file", "keys/thief.private_key_file.sealed")]), "private_key_file").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(h.join(&rel)).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(h.join("keys")).unwrap().permissions().mode() & 0o777, 0o700, "keys/ is private too");
        }
        assert!(import_key_file(h, &key, "../x", "f", &src).is_err());
        let missing = import_key_file(h, &key, "a", "private_key_file", &h.join("nope.pem")).unwrap_err();
        assert!(missing.starts_with("private_key_file: cannot read"), "{missing}");
    }

    /// Migration: a file sealed before the binding (v1) opens for the account its name gives and
    /// is re-sealed bound on that first open; under another account's name it is refused.
    #[test]
    fn v1_sealed_files_are_rebound_on_first_open() {
        use base64::Engine;
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::create_dir(h.join("keys")).unwrap();
        let key = machine_key();
        // A v1 file as the earlier Paydesk wrote it: the magic line as the only authenticated data.
        let nonce = [3u8; 12];
        let raw: [u8; 32] = std::fs::read(keystore::machine_key_path()).unwrap().try_into().unwrap();
        let ct = crate::sign::aes256gcm_encrypt(&raw, &nonce, keystore::MAGIC_V1.as_bytes(), b"OLD-KEY").unwrap();
        let v1 = format!("{}{}\n", keystore::MAGIC_V1, base64::engine::general_purpose::STANDARD.encode([nonce.to_vec(), ct].concat()));
        std::fs::write(h.join("keys/wx.apiv3_key_file.sealed"), &v1).unwrap();
        std::fs::write(h.join("keys/other.apiv3_key_file.sealed"), &v1).unwrap();
        let e = read(h, &account("wx", None, &[("apiv3_key_file", "keys/other.apiv3_key_file.sealed")]), "apiv3_key_file").unwrap_err();
        assert!(e.contains("another account") && e.contains("import"), "{e}");
        let rel = "keys/wx.apiv3_key_file.sealed";
        assert_eq!(read(h, &account("wx", None, &[("apiv3_key_file", rel)]), "apiv3_key_file").unwrap(), b"OLD-KEY");
        let now = std::fs::read_to_string(h.join(rel)).unwrap();
        assert!(now.starts_with("PAYDESK-SEALED-KEY v2 wx apiv3_key_file\n"), "re-sealed bound: {now}");
        assert_eq!(key.open(&now, "wx", "apiv3_key_file").unwrap().plain, b"OLD-KEY");
        assert_eq!(read(h, &account("wx", None, &[("apiv3_key_file", rel)]), "apiv3_key_file").unwrap(), b"OLD-KEY");
    }

    #[test]
    fn importing_an_account_seals_its_key_files_and_writes_nothing_until_committed() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("k.pem"), "PRIV").unwrap();
        std::fs::write(outside.path().join("pub.pem"), "PUB").unwrap();
        let key = machine_key();
        let a = account("sb", Some("https://pay.example.com"), &[("private_key_file", &outside.path().join("k.pem").display().to_string()), ("gateway_public_key_file", &outside.path().join("pub.pem").display().to_string()), ("merchant_id", "M1"), ("template_file", "t.toml")]);
        let (now, saved, staged, sealed) = import_account_keys(h, &key, &a).unwrap();
        assert_eq!(sealed.len(), 2, "{sealed:?}");
        assert_eq!(saved.param_opt("private_key_file"), Some("keys/sb.private_key_file.sealed"));
        assert_eq!(saved.param_opt("template_file"), Some("t.toml"), "a recipe is not a key");
        assert_eq!(read(h, &now, "private_key_file").unwrap(), b"PRIV", "the staged file builds the channel");
        assert!(!h.join("keys/sb.private_key_file.sealed").exists());
        drop(staged);
        assert!(std::fs::read_dir(h.join("keys")).unwrap().next().is_none(), "an import that fails leaves nothing");
        let (_, saved, staged, _) = import_account_keys(h, &key, &a).unwrap();
        staged.commit().unwrap();
        assert_eq!(read(h, &saved, "gateway_public_key_file").unwrap(), b"PUB");
        // Importing the saved account again changes nothing: its keys are sealed for it already.
        let (_, again, _, sealed) = import_account_keys(h, &key, &saved).unwrap();
        assert!(sealed.is_empty() && again.params == saved.params, "{sealed:?}");
    }
}
