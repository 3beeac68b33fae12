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

/// The demo keys (`assets/demo/keys`): from `PAYDESK_ASSETS`, else beside an installed app (see
/// [`installed_assets`]), else the repository the binary was built from.
pub fn demo_keys_dir() -> PathBuf {
    if let Some(a) = std::env::var_os("PAYDESK_ASSETS") {
        return PathBuf::from(a).join("demo/keys");
    }
    if let Some(a) = installed_assets() {
        return a.join("demo/keys");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/keys")
}

/// The assets an installed Paydesk carries beside its binaries (the bundle's resources):
/// `/usr/lib/Paydesk/assets` for the .deb and inside the AppImage, `Contents/Resources/assets` on
/// macOS, `assets` next to the .exe on Windows.
fn installed_assets() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("../lib/Paydesk/assets"), dir.join("../Resources/assets"), dir.join("assets")].into_iter().find(|p| p.join("demo/keys").is_dir())
}
