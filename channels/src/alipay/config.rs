//! An Alipay account's parameters and key material (docs/configuration.md, "Alipay").
//!
//! | param | |
//! |---|---|
//! | `app_id` | the Alipay app id (digits) |
//! | `private_key_file` | the app private key, PEM PKCS#1 or PKCS#8 (or bare Base64 as the console shows it) |
//! | `alipay_public_key_file` | public-key mode: the **Alipay** public key (not the app's) |
//! | `app_cert_file`, `alipay_cert_file`, `alipay_root_cert_file` | certificate mode, all three |
//! | `seller_id` | optional 2088… PID; callbacks for another seller are refused |
//! | `store_id`, `terminal_id` | optional, sent with QR and barcode orders |
//! | `cancel_retry_ms` | optional spacing of `alipay.trade.cancel` retries (default 2000) |
//!
//! Every error names the account and the parameter; key and certificate contents are never
//! printed.

use std::time::Duration;

use paydesk_core::{AccountConfig, ChannelError};

use super::sign::{cert_public_key, cert_sn, root_cert_sn};
use crate::env::{base_url, ChannelEnv};
use crate::sign::{RsaSigner, RsaVerifier};

pub const PRODUCTION_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";
pub const SANDBOX_GATEWAY: &str = "https://openapi-sandbox.dl.alipaydev.com/gateway.do";

const KNOWN: [&str; 10] =
    ["app_id", "private_key_file", "alipay_public_key_file", "app_cert_file", "alipay_cert_file", "alipay_root_cert_file", "seller_id", "store_id", "terminal_id", "cancel_retry_ms"];
const CERT_PARAMS: [&str; 3] = ["app_cert_file", "alipay_cert_file", "alipay_root_cert_file"];

/// Certificate-mode serial numbers (protocols.md §1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSns {
    pub app_cert_sn: String,
    pub alipay_root_cert_sn: String,
    /// The SN of the configured Alipay certificate; replies name theirs in `alipay_cert_sn`.
    pub alipay_cert_sn: String,
}

/// Everything an Alipay channel needs from its account.
#[derive(Debug, Clone)]
pub struct Settings {
    pub account: String,
    pub app_id: String,
    pub seller_id: Option<String>,
    pub store_id: Option<String>,
    pub terminal_id: Option<String>,
    /// The full gateway URL (`…/gateway.do`).
    pub gateway: String,
    pub signer: RsaSigner,
    /// Verifies Alipay's replies and notifications.
    pub alipay_key: RsaVerifier,
    pub certs: Option<CertSns>,
    pub cancel_retry: Duration,
}

/// Re-wraps PEM text to 64-column lines. Keys copied from the Alipay console are one long Base64
/// line, often pasted between `BEGIN`/`END` lines as they are; strict PEM readers refuse that.
/// Text without PEM armour (bare Base64) is returned as it is.
pub fn normalize_pem(text: &str) -> String {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("-----BEGIN ") else { return t.to_string() };
    let Some((label, rest)) = rest.split_once("-----") else { return t.to_string() };
    let Some((body, _)) = rest.split_once("-----END ") else { return t.to_string() };
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn cfg(a: &AccountConfig, field: &str, problem: impl std::fmt::Display) -> ChannelError {
    ChannelError::Config(format!("account {:?}: {field}: {problem}", a.name))
}

/// The gateway URL from `base_url`: a URL ending in `.do` is used as it is, any other gets
/// `/gateway.do` appended (so `http://127.0.0.1:8429/alipay` reaches the simulator).
pub fn gateway_url(a: &AccountConfig) -> String {
    let base = base_url(a, PRODUCTION_GATEWAY);
    if base.ends_with(".do") {
        base
    } else {
        format!("{base}/gateway.do")
    }
}

impl Settings {
    pub fn load(a: &AccountConfig, env: &ChannelEnv) -> Result<Settings, ChannelError> {
        if let Some(unknown) = a.params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(cfg(a, unknown, format!("unknown parameter for alipay (known: {})", KNOWN.join(", "))));
        }
        let app_id = crate::env::param(a, "app_id")?;
        if !app_id.bytes().all(|b| b.is_ascii_digit()) || !(8..=32).contains(&app_id.len()) {
            return Err(cfg(a, "app_id", "must be the digits of the Alipay app id, e.g. 2021000122671080"));
        }
        let seller_id = a.param_opt("seller_id").map(str::to_string);
        if let Some(s) = &seller_id {
            if !(s.len() == 16 && s.starts_with("2088") && s.bytes().all(|b| b.is_ascii_digit())) {
                return Err(cfg(a, "seller_id", "must be the 16-digit Alipay PID starting 2088"));
            }
        }
        let opt_id = |field: &'static str| -> Result<Option<String>, ChannelError> {
            match a.param_opt(field) {
                Some(v) if v.chars().count() > 32 => Err(cfg(a, field, "must be at most 32 characters")),
                v => Ok(v.map(str::to_string)),
            }
        };
        let store_id = opt_id("store_id")?;
        let terminal_id = opt_id("terminal_id")?;
        let cancel_retry = match a.params.get("cancel_retry_ms") {
            None => Duration::from_millis(2000),
            Some(toml::Value::Integer(ms)) if (0..=30_000).contains(ms) => Duration::from_millis(*ms as u64),
            Some(_) => return Err(cfg(a, "cancel_retry_ms", "must be a whole number of milliseconds from 0 to 30000")),
        };

        let signer = RsaSigner::from_pem(&normalize_pem(&env.read_param_file(a, "private_key_file")?)).map_err(|e| cfg(a, "private_key_file", e))?;
        let own_public = signer.public_key().to_pem();
        let has_public = a.param_opt("alipay_public_key_file").is_some();
        let certs_given: Vec<&str> = CERT_PARAMS.iter().copied().filter(|p| a.param_opt(p).is_some()).collect();
        let (alipay_key, certs) = match (has_public, certs_given.len()) {
            (true, 0) => {
                let text = env.read_param_file(a, "alipay_public_key_file")?;
                if text.contains("BEGIN CERTIFICATE") {
                    return Err(cfg(a, "alipay_public_key_file", "holds a certificate: for certificate mode set app_cert_file, alipay_cert_file and alipay_root_cert_file instead"));
                }
                let key = RsaVerifier::from_pem(&normalize_pem(&text)).map_err(|e| cfg(a, "alipay_public_key_file", e))?;
                if key.to_pem() == own_public {
                    return Err(cfg(a, "alipay_public_key_file", "holds the app's own public key; it must be the Alipay public key shown next to it in the Alipay console"));
                }
                (key, None)
            }
            (true, _) => {
                return Err(cfg(
                    a,
                    "alipay_public_key_file",
                    "set either alipay_public_key_file (public-key mode) or app_cert_file, alipay_cert_file and alipay_root_cert_file (certificate mode), not both",
                ))
            }
            (false, 3) => {
                let read = |field: &'static str| env.read_param_file(a, field);
                let app_cert = read("app_cert_file")?;
                let alipay_cert = read("alipay_cert_file")?;
                let root = read("alipay_root_cert_file")?;
                let app_key = cert_public_key(app_cert.as_bytes()).map_err(|e| cfg(a, "app_cert_file", e))?;
                if app_key.to_pem() != own_public {
                    return Err(cfg(a, "app_cert_file", "is not the certificate of the key in private_key_file"));
                }
                let sns = CertSns {
                    app_cert_sn: cert_sn(app_cert.as_bytes()).map_err(|e| cfg(a, "app_cert_file", e))?,
                    alipay_root_cert_sn: root_cert_sn(root.as_bytes()).map_err(|e| cfg(a, "alipay_root_cert_file", e))?,
                    alipay_cert_sn: cert_sn(alipay_cert.as_bytes()).map_err(|e| cfg(a, "alipay_cert_file", e))?,
                };
                let key = cert_public_key(alipay_cert.as_bytes()).map_err(|e| cfg(a, "alipay_cert_file", e))?;
                if key.to_pem() == own_public {
                    return Err(cfg(a, "alipay_cert_file", "is the app's own certificate; it must be Alipay's public key certificate (alipayCertPublicKey_RSA2.crt)"));
                }
                (key, Some(sns))
            }
            (false, 0) => {
                return Err(cfg(a, "alipay_public_key_file", "is required (or, in certificate mode, app_cert_file, alipay_cert_file and alipay_root_cert_file)"));
            }
            (false, _) => {
                let missing: Vec<&str> = CERT_PARAMS.iter().copied().filter(|p| !certs_given.contains(p)).collect();
                return Err(cfg(a, missing[0], format!("certificate mode needs all of app_cert_file, alipay_cert_file and alipay_root_cert_file (missing: {})", missing.join(", "))));
            }
        };
        Ok(Settings { account: a.name.clone(), app_id, seller_id, store_id, terminal_id, gateway: gateway_url(a), signer, alipay_key, certs, cancel_retry })
    }
}
