//! Moving a shop to a new PC: the whole home — a verified backup of the book, the settings, the
//! statements and journals, and the key files — in one archive, and its restore on the new
//! machine.
//!
//! Invariant: key material never sits in the archive in a form that opens without the
//! passphrase. Keys sealed with this machine's key (see [`crate::keystore`]) are opened here (for
//! the account and parameter they are sealed for) and wrapped again under a key derived from the
//! owner's passphrase (argon2id, AES-256-GCM with the key's file name as authenticated data); the
//! new machine unwraps them with the passphrase and seals them with its own machine key, for the
//! same account and parameter, under the same file name the accounts refer to. A wrong passphrase, a damaged archive or a home with
//! newer data changes nothing on the new machine.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Utc};
use paydesk_core::backup::restore::{self, Restored, RestoreError};
use paydesk_core::store::backup::{self as book_backup, BookFigures};
use paydesk_core::Store;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::keystore::{self, MachineKey};
use crate::sign::{aes256gcm_decrypt, aes256gcm_encrypt};

const FORMAT: &str = "paydesk-move";
const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const BOOK: &str = "book.db";
const CHECK: &[u8] = b"paydesk-move passphrase check";
/// Shortest passphrase accepted: the archive can be attacked offline, so a 4–8 digit PIN is
/// not enough on its own.
pub const MIN_PASSPHRASE: usize = 8;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MoveError {
    #[error("passphrase: {0}")]
    Passphrase(String),
    #[error("{0}")]
    Archive(String),
    #[error(transparent)]
    Restore(#[from] RestoreError),
}

fn archive_err(e: impl std::fmt::Display) -> MoveError {
    MoveError::Archive(e.to_string())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kdf {
    alg: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    format: String,
    version: u32,
    pub created_at: DateTime<Utc>,
    /// The Paydesk version that wrote the archive.
    pub paydesk: String,
    pub shop_name: String,
    pub figures: BookFigures,
    kdf: Kdf,
    check: String,
    /// Files of `keys/` in the archive (wrapped), and whether each was sealed at home.
    pub keys: Vec<KeyEntry>,
    /// Other files of the home, relative paths.
    pub files: Vec<String>,
    /// Files the accounts use that live outside the home: not in the archive.
    pub outside: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyEntry {
    pub name: String,
    /// The account and parameter a sealed file is sealed for (none: a plain file).
    pub sealed_for: Option<(String, String)>,
}

/// The account and parameter a sealed file in `keys/` is sealed for: named in a v2 file's first
/// line, or by the file name an import gave a v1 file (`<account>.<field>.sealed`).
fn sealed_for(name: &str, text: &str) -> Option<(String, String)> {
    let head = text.lines().next()?.strip_prefix(keystore::PREFIX)?;
    let mut parts = head.split(' ');
    if let (Some("v2"), Some(account), Some(field), None) = (parts.next(), parts.next(), parts.next(), parts.next()) {
        return Some((account.to_string(), field.to_string()));
    }
    let (account, field) = name.strip_suffix(".sealed")?.split_once('.')?;
    (keystore::plain_name(account) && keystore::plain_name(field)).then(|| (account.to_string(), field.to_string()))
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn derive(passphrase: &str, kdf: &Kdf) -> Result<[u8; 32], MoveError> {
    let salt = b64().decode(&kdf.salt).map_err(|_| archive_err("archive manifest: bad salt"))?;
    let params = argon2::Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32)).map_err(|e| archive_err(format!("archive manifest: kdf: {e}")))?;
    let mut key = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
        .map_err(|e| archive_err(format!("kdf: {e}")))?;
    Ok(key)
}

fn wrap(key: &[u8; 32], label: &str, plain: &[u8]) -> Result<Vec<u8>, MoveError> {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = aes256gcm_encrypt(key, &nonce, format!("{FORMAT} v{VERSION}|{label}").as_bytes(), plain).map_err(archive_err)?;
    Ok([nonce.as_slice(), &ct].concat())
}

fn unwrap(key: &[u8; 32], label: &str, blob: &[u8]) -> Option<Vec<u8>> {
    if blob.len() < 12 + 16 {
        return None;
    }
    aes256gcm_decrypt(key, &blob[..12], format!("{FORMAT} v{VERSION}|{label}").as_bytes(), &blob[12..]).ok()
}

/// What the home holds besides the book and the keys, relative paths. Left out: the book's own
/// files (the verified copy goes instead), backups, exports and machine-local state.
fn home_files(home: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(rel) = p.strip_prefix(base) else { continue };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                if !matches!(rel.as_str(), "backups" | "exports" | "keys") {
                    walk(base, &p, out);
                }
            } else if t.is_file() && !skip_file(&rel) {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(home, home, &mut out);
    out.sort();
    out
}

fn skip_file(rel: &str) -> bool {
    rel.starts_with("paydesk.db") || rel == "backup-status.json" || rel.ends_with(".partial")
}

/// A relative path from an archive that stays inside the home.
fn safe_rel(rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    (!rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_))) && !skip_file(rel)).then(|| p.to_path_buf())
}

/// Account files (params ending in `_file`) that point outside the home.
fn outside_files(home: &Path, store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for a in store.accounts().unwrap_or_default() {
        for (k, v) in &a.params {
            if let (true, Some(path)) = (crate::keyfiles::is_key_param(k), v.as_str()) {
                if Path::new(path).is_absolute() && !Path::new(path).starts_with(home) {
                    out.push(format!("account {}: {k} = {path}", a.name));
                }
            }
        }
    }
    out
}

/// Writes the move archive of `home` to `out`. The book is copied with the online backup API
/// (the app may keep running); sealed keys must open with `machine` (this PC's key).
pub fn export(home: &Path, out: &Path, passphrase: &str, machine: &MachineKey) -> Result<Manifest, MoveError> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(MoveError::Passphrase(format!("at least {MIN_PASSPHRASE} characters (it protects the keys in the archive)")));
    }
    let book = Store::path_in(home);
    let store = Store::open(&book).map_err(archive_err)?;
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let kdf = Kdf { alg: "argon2id".into(), m_kib: 64 * 1024, t: 3, p: 1, salt: b64().encode(salt) };
    let key = derive(passphrase, &kdf)?;
    let tmp_book = out.with_extension("book.partial");
    let figures = store.backup_to(&tmp_book).map_err(archive_err)?;
    let part = out.with_extension("partial");
    let w = Writing { home, key: &key, machine, tmp_book: &tmp_book };
    let result = write_archive(&w, &part, kdf, figures, &store).and_then(|m| {
        std::fs::rename(&part, out).map_err(|e| archive_err(format!("{}: {e}", out.display())))?;
        Ok(m)
    });
    let _ = std::fs::remove_file(&tmp_book);
    let _ = std::fs::remove_file(&part);
    result
}

/// What writing an archive needs besides its manifest's parts.
struct Writing<'a> {
    home: &'a Path,
    key: &'a [u8; 32],
    machine: &'a MachineKey,
    /// The verified copy of the book.
    tmp_book: &'a Path,
}

/// Writes the archive to `part`: keys (re-wrapped), the home's files, the book, the manifest.
fn write_archive(w: &Writing<'_>, part: &Path, kdf: Kdf, figures: BookFigures, store: &Store) -> Result<Manifest, MoveError> {
    let (home, key, machine, tmp_book) = (w.home, w.key, w.machine, w.tmp_book);
    let settings = paydesk_core::config::Settings::load(home).map_err(archive_err)?;
    let file = std::fs::File::create(part).map_err(|e| archive_err(format!("{}: {e}", part.display())))?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    let mut keys = Vec::new();
    for e in std::fs::read_dir(home.join("keys")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let raw = std::fs::read(e.path()).map_err(|err| archive_err(format!("{}: {err}", e.path().display())))?;
        let (plain, sealed_for) = if keystore::is_sealed(&raw) {
            let text = String::from_utf8(raw).map_err(|_| archive_err(format!("keys/{name}: sealed key file is damaged")))?;
            let (account, field) = sealed_for(&name, &text).ok_or_else(|| archive_err(format!("keys/{name}: cannot tell which account it is sealed for")))?;
            let opened = machine.open(&text, &account, &field).map_err(|err| archive_err(format!("keys/{name}: {err}")))?;
            (opened.plain, Some((account, field)))
        } else {
            (raw, None)
        };
        zip.start_file(format!("keys/{name}"), opts).map_err(archive_err)?;
        zip.write_all(&wrap(key, &name, &plain)?).map_err(archive_err)?;
        keys.push(KeyEntry { name, sealed_for });
    }
    let files = home_files(home);
    for rel in &files {
        zip.start_file(format!("home/{rel}"), opts).map_err(archive_err)?;
        let mut f = std::fs::File::open(home.join(rel)).map_err(|e| archive_err(format!("{rel}: {e}")))?;
        std::io::copy(&mut f, &mut zip).map_err(archive_err)?;
    }
    zip.start_file(BOOK, opts).map_err(archive_err)?;
    std::io::copy(&mut std::fs::File::open(tmp_book).map_err(archive_err)?, &mut zip).map_err(archive_err)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: Utc::now(),
        paydesk: env!("CARGO_PKG_VERSION").into(),
        shop_name: settings.shop_name,
        figures,
        check: b64().encode(wrap(key, "check", CHECK)?),
        kdf,
        keys,
        files,
        outside: outside_files(home, store),
    };
    zip.start_file(MANIFEST, opts).map_err(archive_err)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(archive_err)?).map_err(archive_err)?;
    zip.finish().map_err(archive_err)?.sync_all().map_err(archive_err)?;
    Ok(manifest)
}

/// True when `path` is a move archive (a ZIP with our manifest), not a plain book backup.
pub fn is_archive(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else { return false };
    zip::ZipArchive::new(f).is_ok_and(|mut z| z.by_name(MANIFEST).is_ok())
}

fn read_entry(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> Result<Vec<u8>, MoveError> {
    let mut e = zip.by_name(name).map_err(|_| archive_err(format!("the archive has no {name}")))?;
    let mut buf = Vec::new();
    e.read_to_end(&mut buf).map_err(archive_err)?;
    Ok(buf)
}

/// Reads and checks an archive's manifest and passphrase.
fn open_archive(file: &Path, passphrase: &str) -> Result<(zip::ZipArchive<std::fs::File>, Manifest, [u8; 32]), MoveError> {
    let f = std::fs::File::open(file).map_err(|e| archive_err(format!("{}: {e}", file.display())))?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| archive_err(format!("{}: not a Paydesk move archive ({e})", file.display())))?;
    let manifest: Manifest = serde_json::from_slice(&read_entry(&mut zip, MANIFEST)?).map_err(|e| archive_err(format!("archive manifest: {e}")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(archive_err(format!("{}: archive format {} v{} is not one this Paydesk reads", file.display(), manifest.format, manifest.version)));
    }
    let key = derive(passphrase, &manifest.kdf)?;
    let check = b64().decode(&manifest.check).map_err(|_| archive_err("archive manifest: bad check"))?;
    if unwrap(&key, "check", &check).as_deref() != Some(CHECK) {
        return Err(MoveError::Passphrase("does not open this archive".into()));
    }
    Ok((zip, manifest, key))
}

/// What an archive restore did.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub restored: Restored,
    pub keys: usize,
    pub files: usize,
    /// Files the accounts use that were outside the old home: copy them by hand.
    pub outside: Vec<String>,
}

/// Restores a move archive into `home` on this machine; keys are sealed with `machine`.
/// Refuses (changing nothing) on a wrong passphrase, a damaged archive, or a home with newer
/// data unless `force`.
pub fn import(home: &Path, file: &Path, passphrase: &str, machine: &MachineKey, force: bool) -> Result<Moved, MoveError> {
    let (mut zip, manifest, key) = open_archive(file, passphrase)?;
    // Everything is read and opened before anything is written.
    let mut keys = Vec::new();
    for k in &manifest.keys {
        let blob = read_entry(&mut zip, &format!("keys/{}", k.name))?;
        let plain = unwrap(&key, &k.name, &blob).ok_or_else(|| archive_err(format!("keys/{}: damaged", k.name)))?;
        keys.push((k, plain));
    }
    let mut files = Vec::new();
    for rel in &manifest.files {
        let path = safe_rel(rel).ok_or_else(|| archive_err(format!("archive file {rel:?} would land outside the home")))?;
        files.push((path, read_entry(&mut zip, &format!("home/{rel}"))?));
    }
    std::fs::create_dir_all(home).map_err(|e| archive_err(format!("{}: {e}", home.display())))?;
    let tmp = home.join(".paydesk-move-book.partial");
    let restored = restore_book(&mut zip, &tmp, &manifest, home, force);
    let _ = std::fs::remove_file(&tmp);
    let restored = restored?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    for (rel, bytes) in &files {
        let dest = home.join(rel);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(archive_err)?;
        }
        if dest.exists() && std::fs::read(&dest).ok().as_deref() != Some(bytes.as_slice()) {
            let keep = home.join("backups/before-restore").join(format!("{}.{stamp}", rel.display().to_string().replace('/', "_")));
            std::fs::create_dir_all(keep.parent().unwrap_or(home)).map_err(archive_err)?;
            std::fs::copy(&dest, &keep).map_err(archive_err)?;
        }
        std::fs::write(&dest, bytes).map_err(|e| archive_err(format!("{}: {e}", dest.display())))?;
    }
    for (k, plain) in &keys {
        let name = safe_rel(&k.name).filter(|p| p.components().count() == 1).ok_or_else(|| archive_err(format!("bad key file name {:?}", k.name)))?;
        let bytes = match &k.sealed_for {
            Some((account, field)) => machine.seal(account, field, plain).map_err(archive_err)?.into_bytes(),
            None => plain.clone(),
        };
        std::fs::create_dir_all(crate::keyfiles::keys_dir(home)).map_err(archive_err)?;
        keystore::write_private(&crate::keyfiles::keys_dir(home).join(name), &bytes).map_err(archive_err)?;
    }
    Ok(Moved { restored, keys: keys.len(), files: files.len(), outside: manifest.outside })
}

/// The archive's book: extracted to `tmp`, checked against the manifest, restored into `home`.
fn restore_book(zip: &mut zip::ZipArchive<std::fs::File>, tmp: &Path, manifest: &Manifest, home: &Path, force: bool) -> Result<Restored, MoveError> {
    let mut out = std::fs::File::create(tmp).map_err(archive_err)?;
    std::io::copy(&mut zip.by_name(BOOK).map_err(|_| archive_err("the archive has no book"))?, &mut out).map_err(archive_err)?;
    out.sync_all().map_err(archive_err)?;
    let f = book_backup::verify(tmp).map_err(archive_err)?;
    if f != manifest.figures {
        return Err(archive_err("the archive's book does not hold what its manifest says"));
    }
    Ok(restore::restore(home, tmp, force)?)
}

#[cfg(test)]
mod tests;
