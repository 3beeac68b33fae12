//! What a channel factory needs besides the account: where key files live, timeouts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use paydesk_core::{AccountConfig, ChannelError};

#[derive(Debug, Clone)]
pub struct ChannelEnv {
    /// Relative key-file paths in account params resolve against this (the Paydesk home).
    pub home: PathBuf,
    pub timeout: Duration,
}

impl ChannelEnv {
    pub fn new(home: &Path, timeout: Duration) -> ChannelEnv {
        ChannelEnv { home: home.to_path_buf(), timeout }
    }

    /// Reads the file an account parameter points to. Errors name the account, the parameter and
    /// the path — never the file's content.
    pub fn read_param_file(&self, a: &AccountConfig, field: &'static str) -> Result<String, ChannelError> {
        let rel = a.param_str(field).map_err(|e| ChannelError::Config(e.to_string()))?;
        let path = if Path::new(rel).is_absolute() { PathBuf::from(rel) } else { self.home.join(rel) };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ChannelError::Config(format!("account {:?}: {field}: cannot read {}: {}", a.name, path.display(), e.kind())))?;
        if !crate::keystore::is_sealed(&text) {
            return Ok(text);
        }
        // Imported through the app: sealed with this machine's key (see keystore.rs).
        let fail = |e: String| ChannelError::Config(format!("account {:?}: {field}: {}: {e}", a.name, path.display()));
        let key = crate::keystore::MachineKey::load_or_create(&crate::keystore::machine_key_path()).map_err(fail)?;
        String::from_utf8(key.open(&text).map_err(fail)?).map_err(|_| fail("not UTF-8 text".into()))
    }

    /// Reads a binary file an account parameter points to (e.g. a PKCS#12 `.pfx`), sealed or not.
    pub fn read_param_bytes(&self, a: &AccountConfig, field: &'static str) -> Result<Vec<u8>, ChannelError> {
        let rel = a.param_str(field).map_err(|e| ChannelError::Config(e.to_string()))?;
        let path = if Path::new(rel).is_absolute() { PathBuf::from(rel) } else { self.home.join(rel) };
        let bytes = std::fs::read(&path).map_err(|e| ChannelError::Config(format!("account {:?}: {field}: cannot read {}: {}", a.name, path.display(), e.kind())))?;
        if !bytes.starts_with(crate::keystore::MAGIC.as_bytes()) {
            return Ok(bytes);
        }
        let fail = |e: String| ChannelError::Config(format!("account {:?}: {field}: {}: {e}", a.name, path.display()));
        let text = String::from_utf8(bytes).map_err(|_| fail("sealed key file is damaged".into()))?;
        let key = crate::keystore::MachineKey::load_or_create(&crate::keystore::machine_key_path()).map_err(fail)?;
        key.open(&text).map_err(fail)
    }

    pub fn read_opt_param_file(&self, a: &AccountConfig, field: &'static str) -> Result<Option<String>, ChannelError> {
        if a.param_opt(field).is_none() {
            return Ok(None);
        }
        self.read_param_file(a, field).map(Some)
    }
}

/// A required string parameter, as a channel config error naming it.
pub fn param(a: &AccountConfig, field: &'static str) -> Result<String, ChannelError> {
    a.param_str(field).map(str::to_string).map_err(|e| ChannelError::Config(e.to_string()))
}

/// The account's base URL or the channel's default.
pub fn base_url(a: &AccountConfig, default: &str) -> String {
    a.base_url.clone().unwrap_or_else(|| default.to_string()).trim_end_matches('/').to_string()
}
