//! Key files at rest. Keys imported through the desktop app are copied into the home's `keys/`
//! directory sealed with AES-256-GCM under a random 32-byte *machine key*, which is kept apart
//! from the home (`$PAYDESK_MACHINE_KEY`, else the OS config dir: `~/.config/paydesk/machine.key`,
//! mode 0600).
//!
//! What this protects: a copy of the home (a backup, a synced folder, a USB stick) does not carry
//! usable private keys. What it does not: anyone who can run code as this OS user on this machine
//! can read the machine key too — like any software-only key store. Key files that are not sealed
//! (written by hand, the demo keys) are still read as before.

use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;

use crate::sign::{aes256gcm_decrypt, aes256gcm_encrypt};

/// First line of a sealed key file.
pub const MAGIC: &str = "PAYDESK-SEALED-KEY v1\n";

/// Where the machine key lives.
pub fn machine_key_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PAYDESK_MACHINE_KEY").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("paydesk").join("machine.key")
}

/// A machine key (never printed).
#[derive(Clone)]
pub struct MachineKey([u8; 32]);

impl std::fmt::Debug for MachineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MachineKey(..)")
    }
}

impl MachineKey {
    /// Loads the key at `path`, creating a random one (mode 0600) if there is none.
    pub fn load_or_create(path: &Path) -> Result<MachineKey, String> {
        match std::fs::read(path) {
            Ok(b) if b.len() == 32 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(&b);
                Ok(MachineKey(k))
            }
            Ok(_) => Err(format!("machine key {}: wrong length (expected 32 bytes)", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut k);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("machine key dir {}: {e}", dir.display()))?;
                }
                write_private(path, &k)?;
                Ok(MachineKey(k))
            }
            Err(e) => Err(format!("machine key {}: {}", path.display(), e.kind())),
        }
    }

    /// Seals `plain` for storage: magic line, then base64 of nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plain: &[u8]) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = aes256gcm_encrypt(&self.0, &nonce, MAGIC.as_bytes(), plain).map_err(str::to_string)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!("{MAGIC}{}\n", base64::engine::general_purpose::STANDARD.encode(blob)))
    }

    /// Opens a sealed file's text.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, String> {
        let body = sealed.strip_prefix(MAGIC).ok_or("not a sealed key file")?;
        let blob = base64::engine::general_purpose::STANDARD.decode(body.trim()).map_err(|_| "sealed key file is damaged")?;
        if blob.len() < 12 + 16 {
            return Err("sealed key file is damaged".into());
        }
        aes256gcm_decrypt(&self.0, &blob[..12], MAGIC.as_bytes(), &blob[12..]).map_err(|_| "sealed key file does not open with this machine's key".to_string())
    }
}

pub fn is_sealed(text: &str) -> bool {
    text.starts_with(MAGIC)
}

pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| format!("{}: {}", path.display(), e.kind()))?;
    f.write_all(data).map_err(|e| format!("{}: {}", path.display(), e.kind()))
}

/// Copies a key file into `home/keys/<account>.<field>.sealed`, sealed with the machine key.
/// Returns the path to put in the account's params (relative to the home). Errors name the
/// field and path, never the content.
pub fn import_key_file(home: &Path, key: &MachineKey, account: &str, field: &str, src: &Path) -> Result<String, String> {
    if !plain_name(account) || !plain_name(field) {
        return Err(format!("{field}: account and field names must be plain"));
    }
    let plain = std::fs::read(src).map_err(|e| format!("{field}: cannot read {}: {}", src.display(), e.kind()))?;
    if plain.is_empty() {
        return Err(format!("{field}: {} is empty", src.display()));
    }
    seal_into_home(home, key, account, field, &plain)
}

fn plain_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Writes key material into `home/keys/<account>.<field>.sealed`, sealed with the machine key;
/// returns the path relative to the home. (Used by the import and by a moved home's restore.)
pub fn seal_into_home(home: &Path, key: &MachineKey, account: &str, field: &str, plain: &[u8]) -> Result<String, String> {
    if !plain_name(account) || !plain_name(field) {
        return Err(format!("{field}: account and field names must be plain"));
    }
    let dir = home.join("keys");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {}", dir.display(), e.kind()))?;
    let rel = format!("keys/{account}.{field}.sealed");
    write_private(&home.join(&rel), key.seal(plain)?.as_bytes())?;
    Ok(rel)
}

/// The account and field a sealed key file in the home's `keys/` belongs to, from its name.
pub fn sealed_name(file_name: &str) -> Option<(&str, &str)> {
    let (account, field) = file_name.strip_suffix(".sealed")?.split_once('.')?;
    (plain_name(account) && plain_name(field)).then_some((account, field))
}

/// Opens the sealed key file `home/keys/<account>.<field>.sealed` with the machine key.
pub fn open_from_home(home: &Path, key: &MachineKey, account: &str, field: &str) -> Result<Vec<u8>, String> {
    let path = home.join("keys").join(format!("{account}.{field}.sealed"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{field}: cannot read {}: {}", path.display(), e.kind()))?;
    key.open(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_import() {
        let dir = tempfile::tempdir().unwrap();
        let key = MachineKey::load_or_create(&dir.path().join("cfg/machine.key")).unwrap();
        let again = MachineKey::load_or_create(&dir.path().join("cfg/machine.key")).unwrap();
        let sealed = key.seal(b"-----BEGIN PRIVATE KEY-----\nabc").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("PRIVATE"));
        assert_eq!(again.open(&sealed).unwrap(), b"-----BEGIN PRIVATE KEY-----\nabc");
        let other = MachineKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert!(other.open(&sealed).unwrap_err().contains("machine"));
        let mut tampered = sealed.clone();
        tampered.replace_range(MAGIC.len()..MAGIC.len() + 2, "AA");
        assert!(key.open(&tampered).is_err());
        assert!(format!("{key:?}").contains(".."));

        let src = dir.path().join("merchant.pem");
        std::fs::write(&src, "secret-pem").unwrap();
        let rel = import_key_file(dir.path(), &key, "ali-main", "private_key_file", &src).unwrap();
        assert_eq!(rel, "keys/ali-main.private_key_file.sealed");
        let text = std::fs::read_to_string(dir.path().join(&rel)).unwrap();
        assert_eq!(key.open(&text).unwrap(), b"secret-pem");
        assert!(import_key_file(dir.path(), &key, "../x", "f", &src).is_err());
        let missing = import_key_file(dir.path(), &key, "a", "private_key_file", &dir.path().join("nope.pem")).unwrap_err();
        assert!(missing.starts_with("private_key_file: cannot read"), "{missing}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.path().join(&rel)).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
