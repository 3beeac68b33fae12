//! Key material of the simulator: its own gateway key (it signs replies and callbacks) and the
//! merchant public key it verifies our requests with. Loaded from a directory (the demo keys in
//! `assets/demo/keys` by default); channel simulators may load more files from the same place.

use std::path::{Path, PathBuf};

use crate::sign::{RsaSigner, RsaVerifier};

#[derive(Debug, Clone)]
pub struct SimKeys {
    pub dir: PathBuf,
    /// Signs the simulated gateways' replies and callbacks.
    pub gateway: RsaSigner,
    /// Verifies our (the merchant's) requests.
    pub merchant: RsaVerifier,
}

impl SimKeys {
    /// Loads `gateway_private.pem` and `merchant_public.pem` from `dir`.
    pub fn load(dir: &Path) -> Result<SimKeys, String> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("simulator key {}: {e}", dir.join(name).display()));
        Ok(SimKeys {
            dir: dir.to_path_buf(),
            gateway: RsaSigner::from_pem(&read("gateway_private.pem")?).map_err(|e| format!("gateway_private.pem: {e}"))?,
            merchant: RsaVerifier::from_pem(&read("merchant_public.pem")?).map_err(|e| format!("merchant_public.pem: {e}"))?,
        })
    }

    /// Reads another file from the key directory.
    pub fn read(&self, name: &str) -> Result<String, String> {
        std::fs::read_to_string(self.dir.join(name)).map_err(|e| format!("simulator key {name}: {e}"))
    }
}

/// The demo keys shipped in the repository (`assets/demo/keys`), found from the crate's source
/// location or from `PAYDESK_ASSETS`.
pub fn demo_keys_dir() -> PathBuf {
    if let Some(a) = std::env::var_os("PAYDESK_ASSETS") {
        return PathBuf::from(a).join("demo/keys");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/keys")
}
