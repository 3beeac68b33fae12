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

    /// Reads the file an account parameter points to: from the home's `keys/` folder only, opened
    /// if sealed (see [`crate::keyfiles`]). Errors name the account, the parameter and the path —
    /// never the file's content.
    pub fn read_param_file(&self, a: &AccountConfig, field: &'static str) -> Result<String, ChannelError> {
        String::from_utf8(self.read_param_bytes(a, field)?).map_err(|_| ChannelError::Config(format!("account {:?}: {field}: the file is not UTF-8 text", a.name)))
    }

    /// Reads a binary file an account parameter points to (e.g. a PKCS#12 `.pfx`), sealed or not.
    pub fn read_param_bytes(&self, a: &AccountConfig, field: &'static str) -> Result<Vec<u8>, ChannelError> {
        a.param_str(field).map_err(|e| ChannelError::Config(e.to_string()))?;
        crate::keyfiles::read(&self.home, a, field).map_err(|e| ChannelError::Config(format!("account {:?}: {field}: {e}", a.name)))
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
