//! Unit tests of the UnionPay channel: vectors T14–T16 (from the shared vectors folder), the
//! certificate checks, configuration errors, verified replies and the statement parser.

mod bill;
mod config;
mod funds;
mod replies;
mod vectors;

use std::path::{Path, PathBuf};
use std::time::Duration;

use paydesk_core::AccountConfig;

use crate::env::ChannelEnv;

/// The shared protocol vectors: `$PAYDESK_VECTORS`, else `shared/vectors` beside the repository.
pub(super) fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("PAYDESK_VECTORS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    assert!(dir.join("unionpay").is_dir(), "protocol test vectors not found at {} — set PAYDESK_VECTORS to the shared/vectors folder", dir.display());
    dir.join("unionpay")
}

pub(super) fn vector_bytes(name: &str) -> Vec<u8> {
    let p = vectors_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("vector {}: {e}", p.display()))
}

/// The demo keys folder (simulator certificates live in `unionpay/`).
pub(super) fn demo_dir() -> PathBuf {
    crate::sim::demo_keys_dir()
}

/// An account with `params` (strings, or `true`/`false` for booleans).
pub(super) fn account(params: &[(&str, &str)]) -> AccountConfig {
    let mut t = toml::Table::new();
    for (k, v) in params {
        let val = match *v {
            "true" => toml::Value::Boolean(true),
            "false" => toml::Value::Boolean(false),
            s => toml::Value::String(s.to_string()),
        };
        t.insert((*k).to_string(), val);
    }
    let mut a: AccountConfig = toml::from_str("name = \"up-test\"\nchannel = \"unionpay\"").unwrap();
    a.params = t;
    a
}

pub(super) fn env(home: &Path) -> ChannelEnv {
    ChannelEnv::new(home, Duration::from_secs(5))
}

/// The demo account's params (relative to the demo keys folder): PEM key + certificate.
pub(super) const DEMO: &[(&str, &str)] = &[
    ("mer_id", "777290058165621"),
    ("sign_cert_file", "unionpay/merchant_sign_cert.pem"),
    ("private_key_file", "merchant_private.pem"),
    ("middle_cert_file", "unionpay/acp_sim_middle.cer"),
    ("root_cert_file", "unionpay/acp_sim_root.cer"),
];

pub(super) fn demo_settings(extra: &[(&str, &str)]) -> super::Settings {
    let mut p = DEMO.to_vec();
    p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    p.extend_from_slice(extra);
    super::Settings::load(&account(&p), &env(&demo_dir())).unwrap()
}
