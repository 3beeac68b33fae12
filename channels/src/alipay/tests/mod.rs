//! Unit tests of the Alipay channel: protocol vectors T10–T13 (loaded from the shared vectors
//! folder), reply extraction and verification, code mapping, notifications, configuration and the
//! bill parser.

mod bill;
mod config;
mod funds;
mod mapping;
mod reply;
mod vectors;

use std::path::{Path, PathBuf};
use std::time::Duration;

use paydesk_core::AccountConfig;

use super::Alipay;
use crate::env::ChannelEnv;
use crate::http::HttpResponse;
use crate::sign::RsaSigner;

/// The shared protocol vectors: `$PAYDESK_VECTORS`, else `shared/vectors` beside the repository.
pub(super) fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("PAYDESK_VECTORS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    assert!(
        dir.join("alipay").is_dir(),
        "protocol test vectors not found at {} — set PAYDESK_VECTORS to the shared/vectors folder",
        dir.display()
    );
    dir
}

pub(super) fn vector(name: &str) -> String {
    let p = vectors_dir().join("alipay").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("vector {}: {e}", p.display()))
}

/// A home whose `keys/` holds copies of these vector files (e.g. `alipay/app-private-key.pem`,
/// then named `keys/alipay/app-private-key.pem` in params): key files are read from keys/ only.
pub(super) fn vectors_home(names: &[&str]) -> tempfile::TempDir {
    let files: Vec<(&str, PathBuf)> = names.iter().map(|n| (*n, vectors_dir().join(n))).collect();
    crate::keyfiles::home_with_keys(&files.iter().map(|(n, p)| (*n, p.as_path())).collect::<Vec<_>>())
}

pub(super) fn demo_dir() -> PathBuf {
    crate::sim::demo_keys_dir()
}

/// An account for the tests, params as given (values are strings; paths relative to `home`).
pub(super) fn account(params: &[(&str, &str)], base_url: Option<&str>) -> AccountConfig {
    let mut t = toml::Table::new();
    for (k, v) in params {
        t.insert((*k).to_string(), toml::Value::String((*v).to_string()));
    }
    let mut a: AccountConfig = toml::from_str("name = \"ali-test\"\nchannel = \"alipay\"").unwrap();
    a.params = t;
    a.base_url = base_url.map(str::to_string);
    a
}

pub(super) fn env(home: &Path) -> ChannelEnv {
    ChannelEnv::new(home, Duration::from_secs(5))
}

/// A channel on the demo keys: our key `merchant_private.pem`, Alipay's key `gateway_public.pem`.
pub(super) fn demo_channel(extra: &[(&str, &str)]) -> Alipay {
    let mut params = vec![("app_id", "2021000122671080"), ("private_key_file", "merchant_private.pem"), ("alipay_public_key_file", "gateway_public.pem")];
    params.extend_from_slice(extra);
    Alipay::new(&account(&params, None), &env(&demo_dir())).unwrap()
}

/// The simulated Alipay's signing key (the demo gateway key).
pub(super) fn alipay_signer() -> RsaSigner {
    RsaSigner::from_pem(&std::fs::read_to_string(demo_dir().join("gateway_private.pem")).unwrap()).unwrap()
}

/// A gateway reply `{"<method>_response":<content>,"sign":…}` signed with `signer` (no sign: None).
pub(super) fn reply(method: &str, content: &str, signer: Option<&RsaSigner>) -> HttpResponse {
    let key = super::sign::response_key(method);
    let body = match signer {
        Some(s) => format!("{{\"{key}\":{content},\"sign\":\"{}\"}}", s.sign_b64(content.as_bytes())),
        None => format!("{{\"{key}\":{content}}}"),
    };
    HttpResponse { status: 200, headers: vec![], body: body.into_bytes() }
}
