//! A UnionPay account's parameters and key material (docs/configuration.md, "UnionPay").
//!
//! | param | |
//! |---|---|
//! | `mer_id` | the 15-character merchant code (test merchants start `777`) |
//! | `environment` | `production` (default) or `test`: default hosts, CN and date checks |
//! | `sign_cert_file` | the signing certificate: a PKCS#12 `.pfx` (with `sign_cert_password_file` or `sign_cert_password`), or a PEM certificate with `private_key_file` |
//! | `middle_cert_file`, `root_cert_file` | UnionPay's verification chain (`acp_prod_middle.cer`, `acp_prod_root.cer`) |
//! | `verify_cn`, `verify_cert_time` | booleans overriding the environment's default |
//! | `file_base_url` | the statement file host (default by environment) |
//! | `back_url` | the notification URL when Paydesk has no public callback URL of its own |
//!
//! Errors name the account and the parameter; key, password and certificate contents are never
//! printed.

use paydesk_core::{AccountConfig, ChannelError};

use super::cert::{Cert, TrustPolicy};
use crate::env::{base_url, ChannelEnv};
use crate::sign::RsaSigner;

pub const PRODUCTION_GATEWAY: &str = "https://gateway.95516.com";
pub const TEST_GATEWAY: &str = "https://gateway.test.95516.com";
pub const PRODUCTION_FILE_HOST: &str = "https://filedownload.95516.com";
pub const TEST_FILE_HOST: &str = "https://filedownload.test.95516.com";

const KNOWN: [&str; 12] = [
    "mer_id",
    "environment",
    "sign_cert_file",
    "sign_cert_password_file",
    "sign_cert_password",
    "private_key_file",
    "middle_cert_file",
    "root_cert_file",
    "verify_cn",
    "verify_cert_time",
    "file_base_url",
    "back_url",
];

/// Everything a UnionPay channel needs from its account.
#[derive(Debug, Clone)]
pub struct Settings {
    pub account: String,
    pub mer_id: String,
    /// Base of the gateway (`…/gateway/api/…` paths are appended).
    pub gateway: String,
    /// Where `76/01` file requests go (POSTed to `{file_host}/`).
    pub file_host: String,
    pub signer: RsaSigner,
    /// Decimal serial of the signing certificate.
    pub cert_id: String,
    pub trust: TrustPolicy,
    pub back_url: Option<String>,
}

fn cfg(a: &AccountConfig, field: &str, problem: impl std::fmt::Display) -> ChannelError {
    ChannelError::Config(format!("account {:?}: {field}: {problem}", a.name))
}

fn flag(a: &AccountConfig, field: &str, default: bool) -> Result<bool, ChannelError> {
    match a.params.get(field) {
        None => Ok(default),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(_) => Err(cfg(a, field, "must be true or false")),
    }
}

fn url_param(a: &AccountConfig, field: &str) -> Result<Option<String>, ChannelError> {
    match a.param_opt(field) {
        None => Ok(None),
        Some(u) => match paydesk_core::url::https_or_loopback(u) {
            Ok(_) => Ok(Some(u.trim().trim_end_matches('/').to_string())),
            Err(e) => Err(cfg(a, field, e)),
        },
    }
}

impl Settings {
    pub fn load(a: &AccountConfig, env: &ChannelEnv) -> Result<Settings, ChannelError> {
        if let Some(unknown) = a.params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            let hint = if unknown.ends_with("key") || unknown.ends_with("cert") { "; keys and certificates are read from files (…_file)" } else { "" };
            return Err(cfg(a, unknown, format!("unknown parameter for unionpay (known: {}){hint}", KNOWN.join(", "))));
        }
        let mer_id = crate::env::param(a, "mer_id")?.trim().to_string();
        if mer_id.len() != 15 || !mer_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(cfg(a, "mer_id", "must be the 15-character UnionPay merchant code, e.g. 777290058165621"));
        }
        let production = match a.param_opt("environment").unwrap_or("production") {
            "production" => true,
            "test" => false,
            _ => return Err(cfg(a, "environment", "must be production or test")),
        };
        let (signer, sign_cert) = load_signing(a, env)?;
        let read_cert = |field: &'static str| -> Result<Cert, ChannelError> {
            let bytes = env.read_param_bytes(a, field)?;
            Cert::parse(&bytes).map_err(|e| cfg(a, field, e))
        };
        let middle = read_cert("middle_cert_file")?;
        let root = read_cert("root_cert_file")?;
        middle.check_issued_by(&root, "root").map_err(|e| cfg(a, "middle_cert_file", format!("{e} (root_cert_file and middle_cert_file must be UnionPay's pair)")))?;
        let trust = TrustPolicy { middle, root, check_cn: flag(a, "verify_cn", production)?, check_time: flag(a, "verify_cert_time", production)? };
        let gateway = base_url(a, if production { PRODUCTION_GATEWAY } else { TEST_GATEWAY });
        let file_host = url_param(a, "file_base_url")?.unwrap_or_else(|| (if production { PRODUCTION_FILE_HOST } else { TEST_FILE_HOST }).to_string());
        let back_url = url_param(a, "back_url")?;
        Ok(Settings { account: a.name.clone(), mer_id, gateway, file_host, signer, cert_id: sign_cert.serial_decimal(), trust, back_url })
    }
}

/// The signing key and certificate: from a PKCS#12 file, or a PEM certificate + PEM key.
fn load_signing(a: &AccountConfig, env: &ChannelEnv) -> Result<(RsaSigner, Cert), ChannelError> {
    let bytes = env.read_param_bytes(a, "sign_cert_file")?;
    if let Ok(cert) = Cert::parse(&bytes) {
        if a.param_opt("private_key_file").is_none() {
            return Err(cfg(a, "private_key_file", "is required when sign_cert_file is a PEM certificate (or give the .pfx as sign_cert_file)"));
        }
        let key = env.read_param_file(a, "private_key_file")?;
        let signer = RsaSigner::from_pem(&key).map_err(|e| cfg(a, "private_key_file", e))?;
        let public = cert.public_key().map_err(|e| cfg(a, "sign_cert_file", e))?;
        if public.to_pem() != signer.public_key().to_pem() {
            return Err(cfg(a, "sign_cert_file", "is not the certificate of the key in private_key_file"));
        }
        return Ok((signer, cert));
    }
    if a.param_opt("private_key_file").is_some() {
        return Err(cfg(a, "private_key_file", "is only used with a PEM sign_cert_file; a .pfx holds its own key"));
    }
    let password = match (a.param_opt("sign_cert_password_file"), a.params.get("sign_cert_password")) {
        (Some(_), Some(_)) => return Err(cfg(a, "sign_cert_password", "set either sign_cert_password_file or sign_cert_password, not both")),
        (Some(_), None) => env.read_param_file(a, "sign_cert_password_file")?.trim_end_matches(['\r', '\n']).to_string(),
        (None, Some(toml::Value::String(p))) => p.clone(),
        (None, Some(_)) => return Err(cfg(a, "sign_cert_password", "must be a string")),
        (None, None) => return Err(cfg(a, "sign_cert_password_file", "is required to open the .pfx in sign_cert_file")),
    };
    let store = p12_keystore::KeyStore::from_pkcs12(&bytes, &password)
        .map_err(|_| cfg(a, "sign_cert_file", "is neither a PEM certificate nor a PKCS#12 file that opens with the given password"))?;
    let (_, chain) = store.private_key_chain().ok_or_else(|| cfg(a, "sign_cert_file", "the PKCS#12 file holds no private key"))?;
    let signer = {
        use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
        let key = rsa::RsaPrivateKey::from_pkcs8_der(chain.key()).map_err(|_| cfg(a, "sign_cert_file", "the key in the PKCS#12 file is not RSA"))?;
        let pem = key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).map_err(|_| cfg(a, "sign_cert_file", "the key in the PKCS#12 file is not RSA"))?;
        RsaSigner::from_pem(&pem).map_err(|e| cfg(a, "sign_cert_file", e))?
    };
    // The certificate of that key (the file may carry its CA chain too).
    let own = signer.public_key().to_pem();
    for c in chain.chain() {
        if let Ok(cert) = Cert::from_der(c.as_der().to_vec()) {
            if cert.public_key().is_ok_and(|k| k.to_pem() == own) {
                return Ok((signer, cert));
            }
        }
    }
    Err(cfg(a, "sign_cert_file", "the PKCS#12 file holds no certificate for its key"))
}
