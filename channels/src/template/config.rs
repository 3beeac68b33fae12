//! Loading a template account: merge its `template_file` under its params, read the recipe, check
//! every part of it (naming `params.<path>` in errors), and load its key material.

use std::collections::BTreeSet;

use paydesk_core::{AccountConfig, ChannelError, Method};

use super::recipe::{self, Algorithm, Body, CallbackRecipe, HttpMethod, KeyMode, Op, Recipe};
use super::render::placeholders;
use crate::env::ChannelEnv;
use crate::sign::{RsaSigner, RsaVerifier};

/// A checked recipe with its keys.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub account: String,
    pub base: String,
    pub recipe: Recipe,
    pub keys: Keys,
}

/// Key material (never printed).
#[derive(Clone, Default)]
pub struct Keys {
    pub secret: Option<String>,
    pub signer: Option<RsaSigner>,
    pub provider: Option<RsaVerifier>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("secret", &self.secret.as_ref().map(|_| "<redacted>")).field("rsa", &self.signer.is_some()).finish()
    }
}

fn bad(a: &AccountConfig, path: &str, problem: impl std::fmt::Display) -> ChannelError {
    ChannelError::Config(format!("account {:?}: params.{path}: {problem}", a.name))
}

/// Deep-merges `over` onto `base` (tables merge, other values replace).
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Reads, merges and checks an account's recipe.
pub fn load(a: &AccountConfig, env: &ChannelEnv) -> Result<Loaded, ChannelError> {
    let mut params = toml::Table::new();
    if let Some(file) = a.params.get("template_file") {
        let Some(rel) = file.as_str() else { return Err(bad(a, "template_file", "must be a path")) };
        let path = if std::path::Path::new(rel).is_absolute() { std::path::PathBuf::from(rel) } else { env.home.join(rel) };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(a, "template_file", format!("cannot read {}: {}", path.display(), e.kind())))?;
        params = toml::from_str(&text).map_err(|e| bad(a, "template_file", format!("{}: {}", path.display(), e.message())))?;
    }
    merge(&mut params, &a.params);
    params.remove("template_file");
    let de = toml::Value::Table(params.clone());
    let recipe: Recipe = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        bad(a, if path == "." { "" } else { &path }, e.inner().message())
    })?;
    let base = a.base_url.clone().ok_or_else(|| ChannelError::Config(format!("account {:?}: base_url: is required for a template channel (the provider's API address)", a.name)))?;
    check(a, &recipe)?;
    let mut merged = a.clone();
    merged.params = params;
    let keys = load_keys(&merged, env, &recipe)?;
    Ok(Loaded { account: a.name.clone(), base: base.trim_end_matches('/').to_string(), recipe, keys })
}

fn load_keys(a: &AccountConfig, env: &ChannelEnv, r: &Recipe) -> Result<Keys, ChannelError> {
    let mut k = Keys::default();
    if r.secret_file.is_some() {
        let s = env.read_param_file(a, "secret_file")?.trim_end_matches(['\r', '\n']).to_string();
        if s.is_empty() {
            return Err(bad(a, "secret_file", "the file is empty"));
        }
        k.secret = Some(s);
    }
    if r.private_key_file.is_some() {
        k.signer = Some(RsaSigner::from_pem(&env.read_param_file(a, "private_key_file")?).map_err(|e| bad(a, "private_key_file", e))?);
    }
    if r.provider_public_key_file.is_some() {
        k.provider = Some(RsaVerifier::from_pem(&env.read_param_file(a, "provider_public_key_file")?).map_err(|e| bad(a, "provider_public_key_file", e))?);
    }
    Ok(k)
}

/// Checks what serde cannot: placeholders, paths, status words, key material for the algorithm.
fn check(a: &AccountConfig, r: &Recipe) -> Result<(), ChannelError> {
    if r.methods.is_empty() {
        return Err(bad(a, "methods", "name at least one payer method (alipay, wechat, unionpay, ecny)"));
    }
    for (k, v) in &r.method_values {
        let m: Method = k.parse().map_err(|e| bad(a, &format!("method_values.{k}"), e))?;
        if !r.methods.contains(&m) {
            return Err(bad(a, &format!("method_values.{k}"), "is not one of this account's methods"));
        }
        if v.is_empty() {
            return Err(bad(a, &format!("method_values.{k}"), "must not be empty"));
        }
    }
    for name in r.vars.keys() {
        let builtin = recipe::COMMON.contains(&name.as_str()) || ["create", "barcode", "refund", "query"].iter().any(|op| recipe::op_placeholders(op).contains(&name.as_str()));
        if name == "secret" || builtin || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(bad(a, &format!("vars.{name}"), "use a-z, 0-9 and _, and not the name of a built-in placeholder"));
        }
    }
    let s = &r.sign;
    if s.algorithm == Algorithm::Md5 && s.key_mode == KeyMode::None {
        return Err(bad(a, "sign.key_mode", "must be append_raw or append_param for MD5: an MD5 without the key is no signature (anyone could compute it)"));
    }
    match s.algorithm {
        Algorithm::Md5 | Algorithm::HmacSha256 if r.secret_file.is_none() => return Err(bad(a, "secret_file", "is required for MD5 and HMAC-SHA256 signatures (the provider's key, in a file)")),
        Algorithm::RsaSha256 if r.private_key_file.is_none() => return Err(bad(a, "private_key_file", "is required for RSA-SHA256 signatures")),
        Algorithm::RsaSha256 if r.provider_public_key_file.is_none() => return Err(bad(a, "provider_public_key_file", "is required for RSA-SHA256 (it verifies the provider's callbacks)")),
        Algorithm::RsaSha256 if s.key_mode != KeyMode::None => return Err(bad(a, "sign.key_mode", "must be none for RSA-SHA256 (there is no shared key to append)")),
        _ => {}
    }
    if s.sign_field.is_empty() || (s.key_mode == KeyMode::AppendParam && s.key_param.is_empty()) {
        return Err(bad(a, "sign", "sign_field and key_param must not be empty"));
    }
    if s.sign_type_field.is_some() != s.sign_type_value.is_some() {
        return Err(bad(a, "sign.sign_type_value", "set sign_type_field and sign_type_value together"));
    }
    let ops: [(&str, Option<&Op>); 6] = [("create", r.create.as_ref()), ("barcode", r.barcode.as_ref()), ("query", Some(&r.query)), ("close", r.close.as_ref()), ("refund", r.refund.as_ref()), ("refund_query", r.refund_query.as_ref())];
    for (name, op) in ops {
        if let Some(op) = op {
            check_op(a, r, name, op)?;
        }
    }
    if r.create.is_none() && r.barcode.is_none() {
        return Err(bad(a, "create", "a template needs create (QR) or barcode"));
    }
    if let Some(c) = &r.create {
        if c.reply.qr_code.is_none() {
            return Err(bad(a, "create.reply.qr_code", "is required: where the reply holds the text to show as a QR code"));
        }
    }
    if r.query.reply.status.is_none() || r.query.reply.status_map.is_empty() {
        return Err(bad(a, "query.reply.status", "query needs status (the path of the status value) and status_map"));
    }
    if let Some(cb) = &r.callback {
        check_callback(a, r, cb)?;
        check_words(a, "callback.status_map", &cb.status_map, &recipe::TRADE_WORDS)?;
        if cb.success_reply.is_empty() {
            return Err(bad(a, "callback.success_reply", "must not be empty"));
        }
        for (k, v) in &cb.check {
            check_placeholders(a, r, &format!("callback.check.{k}"), v, &[])?;
        }
    }
    Ok(())
}

/// A callback is believed only through its signature: it must be signed, and everything read from
/// it (order number, amount, status, trade number, every `check` field) must be a top-level field
/// the signature covers — not the signature field, not in `exclude`, not an unsigned
/// `sign_type_field`, and (JSON) not nested, since the signed string holds top-level values only.
fn check_callback(a: &AccountConfig, r: &Recipe, cb: &CallbackRecipe) -> Result<(), ChannelError> {
    if !cb.signed {
        return Err(bad(a, "callback.signed", "must be true: an unsigned callback could be sent by anyone and would book forged payments; for a provider without signed notifications, remove [callback] and Paydesk follows its orders by query"));
    }
    let s = &r.sign;
    let covered = |name: &str| -> Result<(), String> {
        if name.is_empty() {
            return Err("an empty field name".into());
        }
        if cb.format == Body::Json && name.contains('.') {
            return Err(format!("{name:?} is nested; the signature covers top-level fields only"));
        }
        if name == s.sign_field {
            return Err(format!("{name:?} is the signature field"));
        }
        if s.exclude.iter().any(|e| e == name) {
            return Err(format!("{name:?} is left out of the signature (sign.exclude)"));
        }
        if !s.sign_type_signed && s.sign_type_field.as_deref() == Some(name) {
            return Err(format!("{name:?} is the unsigned sign_type_field"));
        }
        Ok(())
    };
    let read: [(&str, Option<&str>); 4] = [("order_no", Some(&cb.order_no)), ("amount", Some(&cb.amount)), ("status", Some(&cb.status)), ("trade_no", cb.trade_no.as_deref())];
    for (key, path) in read {
        for alt in path.into_iter().flat_map(|p| p.split('|')) {
            covered(alt.trim()).map_err(|e| bad(a, &format!("callback.{key}"), format!("{e}: a callback value Paydesk reads must be one the signature covers")))?;
        }
    }
    for field in cb.check.keys() {
        covered(field).map_err(|e| bad(a, &format!("callback.check.{field}"), format!("{e}: a checked field must be one the signature covers")))?;
    }
    Ok(())
}

/// `{secret}` is sent only in the body of a POST over https (or to this machine): never in a URL,
/// where proxies, server logs and error messages keep it.
fn check_secret_transport(a: &AccountConfig, name: &str, op: &Op) -> Result<(), ChannelError> {
    let uses_secret = op.fields.values().any(|v| placeholders(v).contains(&"secret")) || op.path.contains("{secret}");
    if !uses_secret {
        return Ok(());
    }
    if op.path.contains("{secret}") {
        return Err(bad(a, &format!("{name}.path"), "must not hold {secret}: the path is part of the URL, which proxies and logs keep; put the key in a field of a POST"));
    }
    if op.http_method == HttpMethod::Get {
        return Err(bad(a, &format!("{name}.http_method"), "{secret} would travel in the URL's query string (kept by proxies and logs): send this operation as POST so the key goes in the body"));
    }
    let base = a.base_url.as_deref().unwrap_or_default();
    paydesk_core::url::https_or_loopback(base).map_err(|e| bad(a, &format!("{name}.fields"), format!("{{secret}} travels only over https: base_url {e}")))?;
    Ok(())
}

fn check_op(a: &AccountConfig, r: &Recipe, name: &str, op: &Op) -> Result<(), ChannelError> {
    if !op.path.starts_with('/') || op.path.contains("://") {
        return Err(bad(a, &format!("{name}.path"), "must be a path after base_url, starting with /"));
    }
    check_secret_transport(a, name, op)?;
    for (field, value) in &op.fields {
        check_placeholders(a, r, &format!("{name}.fields.{field}"), value, recipe::op_placeholders(name))?;
        if value.contains("{method}") {
            for m in &r.methods {
                if !r.method_values.contains_key(m.as_str()) {
                    return Err(bad(a, &format!("method_values.{}", m.as_str()), "is needed: {method} is used and this method has no provider value"));
                }
            }
        }
        if field == &r.sign.sign_field && op.signed {
            return Err(bad(a, &format!("{name}.fields.{field}"), "is the signature field; it is filled in by [sign]"));
        }
    }
    let words: &[&str] = if name.starts_with("refund") { &recipe::REFUND_WORDS } else { &recipe::TRADE_WORDS };
    check_words(a, &format!("{name}.reply.status_map"), &op.reply.status_map, words)?;
    if !op.reply.status_map.is_empty() && op.reply.status.is_none() {
        return Err(bad(a, &format!("{name}.reply.status"), "is required with status_map"));
    }
    Ok(())
}

fn check_words(a: &AccountConfig, path: &str, map: &std::collections::BTreeMap<String, String>, words: &[&str]) -> Result<(), ChannelError> {
    for (k, v) in map {
        if !words.contains(&v.as_str()) {
            return Err(bad(a, &format!("{path}.{k}"), format!("{v:?} is not one of {}", words.join(", "))));
        }
    }
    Ok(())
}

fn check_placeholders(a: &AccountConfig, r: &Recipe, path: &str, value: &str, extra: &[&str]) -> Result<(), ChannelError> {
    let known: BTreeSet<&str> = recipe::COMMON.iter().chain(extra.iter()).copied().chain(["secret"]).collect();
    for p in placeholders(value) {
        if p == "secret" && r.secret_file.is_none() {
            return Err(bad(a, path, "{secret} needs secret_file"));
        }
        if !known.contains(p) && !r.vars.contains_key(p) {
            return Err(bad(a, path, format!("unknown placeholder {{{p}}} (built-in here: {}; or define it under vars)", known.iter().copied().collect::<Vec<_>>().join(", "))));
        }
    }
    Ok(())
}
