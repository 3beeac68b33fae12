//! Key files at rest. Imported keys (the app's key import, `paydesk accounts import`) are copied
//! into the home's `keys/` folder sealed with AES-256-GCM under a random 32-byte *machine key*,
//! kept apart from the home (`$PAYDESK_MACHINE_KEY`, else the OS config dir:
//! `~/.config/paydesk/machine.key`, mode 0600).
//!
//! Invariant: a sealed file opens only for the account and parameter it was sealed for. Its first
//! line, `PAYDESK-SEALED-KEY v2 <account> <field>`, names them and is the AEAD's authenticated
//! data, so the file neither opens under another name nor survives an edited header.
//! Files sealed before the binding (`v1`, no names) open only under the name their import gave
//! them (`keys/<account>.<field>.sealed`) and are re-sealed as v2 on that first open
//! ([`crate::keyfiles`]).
//!
//! What this protects: a copy of the home (a backup, a synced folder, a USB stick) does not carry
//! usable private keys, and one account's settings cannot borrow another's key. What it does not:
//! anyone who can run code as this OS user on this machine can read the machine key too — like
//! any software-only key store (docs/security.md).

use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;

use crate::sign::{aes256gcm_decrypt, aes256gcm_encrypt};

/// How every sealed key file starts.
pub const PREFIX: &str = "PAYDESK-SEALED-KEY ";
/// First line of a key file sealed before account binding.
pub const MAGIC_V1: &str = "PAYDESK-SEALED-KEY v1\n";

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

/// What opening a sealed file gave.
#[derive(Debug)]
pub struct Opened {
    pub plain: Vec<u8>,
    /// Sealed before account binding: the caller checks the file's name and re-seals it.
    pub legacy: bool,
}

/// A plain account or field name (what may appear in a header or a file name).
pub fn plain_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn header(account: &str, field: &str) -> String {
    format!("{PREFIX}v2 {account} {field}\n")
}

impl MachineKey {
    /// Loads the key at `path`, creating a random one (mode 0600) if there is none. Two processes
    /// starting at once agree on one key: it is written beside and linked into place, and the
    /// loser of the race reads the winner's.
    pub fn load_or_create(path: &Path) -> Result<MachineKey, String> {
        match std::fs::read(path) {
            Ok(b) => Self::from_bytes(path, &b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut k);
                let dir = path.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(dir).map_err(|e| format!("machine key dir {}: {e}", dir.display()))?;
                let tmp = dir.join(format!(".machine.key.{}.{}", std::process::id(), crate::sign::nonce(8)));
                write_private(&tmp, &k)?;
                let linked = std::fs::hard_link(&tmp, path);
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => Ok(MachineKey(k)),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::from_bytes(path, &std::fs::read(path).map_err(|e| format!("machine key {}: {}", path.display(), e.kind()))?),
                    Err(e) => Err(format!("machine key {}: {}", path.display(), e.kind())),
                }
            }
            Err(e) => Err(format!("machine key {}: {}", path.display(), e.kind())),
        }
    }

    /// A key of the same kind that is not this machine's (the shop key, [`crate::shopkey`]).
    pub(crate) fn from_raw(k: [u8; 32]) -> MachineKey {
        MachineKey(k)
    }

    fn from_bytes(path: &Path, b: &[u8]) -> Result<MachineKey, String> {
        let k: [u8; 32] = b.try_into().map_err(|_| format!("machine key {}: wrong length (expected 32 bytes)", path.display()))?;
        Ok(MachineKey(k))
    }

    /// Seals `plain` for `account`'s parameter `field`: the header line, then base64 of
    /// nonce ‖ ciphertext ‖ tag, the header being the authenticated data.
    pub fn seal(&self, account: &str, field: &str, plain: &[u8]) -> Result<String, String> {
        if !plain_name(account) || !plain_name(field) {
            return Err(format!("{field}: account and field names must be plain (a-z, 0-9, - and _)"));
        }
        let head = header(account, field);
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = aes256gcm_encrypt(&self.0, &nonce, head.as_bytes(), plain).map_err(str::to_string)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!("{head}{}\n", base64::engine::general_purpose::STANDARD.encode(blob)))
    }

    /// Opens a sealed file's text for `account`'s parameter `field`. A v2 file sealed for another
    /// account or parameter is refused, naming both (never the content).
    pub fn open(&self, sealed: &str, account: &str, field: &str) -> Result<Opened, String> {
        if let Some(body) = sealed.strip_prefix(MAGIC_V1) {
            return self.decrypt(MAGIC_V1, body).map(|plain| Opened { plain, legacy: true });
        }
        let (head, body) = sealed.split_once('\n').ok_or("sealed key file is damaged")?;
        let mut parts = head.strip_prefix(PREFIX).ok_or("not a sealed key file")?.split(' ');
        let (Some("v2"), Some(for_account), Some(for_field), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("sealed key file of an unknown version (written by a newer Paydesk?)".into());
        };
        if (for_account, for_field) != (account, field) {
            return Err(format!("sealed for account {for_account:?} ({for_field}), not for account {account:?} ({field}): import the key for this account"));
        }
        self.decrypt(&format!("{head}\n"), body).map(|plain| Opened { plain, legacy: false })
    }

    fn decrypt(&self, aad: &str, body: &str) -> Result<Vec<u8>, String> {
        let blob = base64::engine::general_purpose::STANDARD.decode(body.trim()).map_err(|_| "sealed key file is damaged")?;
        if blob.len() < 12 + 16 {
            return Err("sealed key file is damaged".into());
        }
        aes256gcm_decrypt(&self.0, &blob[..12], aad.as_bytes(), &blob[12..]).map_err(|_| "sealed key file does not open with this machine's key (or was altered)".to_string())
    }
}

pub fn is_sealed(text: &[u8]) -> bool {
    text.starts_with(PREFIX.as_bytes())
}

/// Writes `data` to `path` with mode 0600, atomically (a temporary file renamed into place).
pub fn write_private(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("key"), crate::sign::nonce(8)));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut f| f.write_all(data).and_then(|()| f.sync_all())).and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {}", path.display(), e.kind())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_for_its_account_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let key = MachineKey::load_or_create(&dir.path().join("cfg/machine.key")).unwrap();
        let again = MachineKey::load_or_create(&dir.path().join("cfg/machine.key")).unwrap();
        let sealed = key.seal("ali-main", "private_key_file", b"-----BEGIN PRIVATE KEY-----\nabc").unwrap();
        assert!(is_sealed(sealed.as_bytes()) && !sealed.contains("PRIVATE") && sealed.starts_with("PAYDESK-SEALED-KEY v2 ali-main private_key_file\n"));
        assert_eq!(again.open(&sealed, "ali-main", "private_key_file").unwrap().plain, b"-----BEGIN PRIVATE KEY-----\nabc");
        let e = key.open(&sealed, "ali-other", "private_key_file").unwrap_err();
        assert!(e.contains("ali-main") && e.contains("ali-other"), "{e}");
        assert!(key.open(&sealed, "ali-main", "alipay_public_key_file").is_err());
        // Editing the header to name another account breaks the tag: the binding is in the AEAD.
        let forged = sealed.replacen("ali-main", "ali-other", 1);
        assert!(key.open(&forged, "ali-other", "private_key_file").unwrap_err().contains("altered"));
        let other = MachineKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert!(other.open(&sealed, "ali-main", "private_key_file").unwrap_err().contains("machine"));
        let mut tampered = sealed.clone();
        let at = sealed.find('\n').unwrap() + 1;
        tampered.replace_range(at..at + 2, "AA");
        assert!(key.open(&tampered, "ali-main", "private_key_file").is_err());
        assert!(format!("{key:?}").contains(".."));
        assert!(key.seal("../x", "f", b"k").is_err() && key.seal("a b", "f", b"k").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.path().join("cfg/machine.key")).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_v1_file_opens_as_legacy() {
        let key = MachineKey([7; 32]);
        let nonce = [1u8; 12];
        let ct = aes256gcm_encrypt(&key.0, &nonce, MAGIC_V1.as_bytes(), b"old").unwrap();
        let v1 = format!("{MAGIC_V1}{}\n", base64::engine::general_purpose::STANDARD.encode([nonce.to_vec(), ct].concat()));
        let o = key.open(&v1, "any", "private_key_file").unwrap();
        assert!(o.legacy && o.plain == b"old");
    }

    #[test]
    fn machine_keys_created_at_once_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("machine.key");
        let keys: Vec<MachineKey> = std::thread::scope(|s| (0..8).map(|_| s.spawn(|| MachineKey::load_or_create(&path).unwrap())).collect::<Vec<_>>().into_iter().map(|h| h.join().unwrap()).collect());
        assert!(keys.iter().all(|k| k.0 == keys[0].0));
    }
}
