//! Original files kept under the home (fund flows, bank statements): each as
//! `<dir>/<sha256[..12]>-<safe name>`, so a report can be traced back to the very bytes it came
//! from. Invariant: a kept file's name starts with its content's hash, so the same bytes kept
//! twice are one file.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file name made safe for any file system: letters, digits, `.-_`; at most 80 characters.
pub fn safe_name(name: &str, fallback: &str) -> String {
    let n: String = name.chars().map(|c| if c.is_alphanumeric() || ".-_".contains(c) { c } else { '_' }).take(80).collect();
    if n.is_empty() { fallback.into() } else { n }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `bytes` as `home/dir/<hash>-<name>`; returns the path relative to `home` and the hash.
/// The error names the path.
pub fn keep(home: &Path, dir: &Path, name: &str, fallback: &str, bytes: &[u8]) -> Result<(PathBuf, String), String> {
    let sha = sha256_hex(bytes);
    let rel = dir.join(format!("{}-{}", &sha[..12], safe_name(name, fallback)));
    let path = home.join(&rel);
    let io = |e: std::io::Error| format!("cannot keep the file in {}: {e}", path.display());
    std::fs::create_dir_all(path.parent().unwrap_or(home)).map_err(io)?;
    std::fs::write(&path, bytes).map_err(io)?;
    Ok((rel, sha))
}
