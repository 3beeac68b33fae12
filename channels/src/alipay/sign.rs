//! Alipay gateway signatures (protocols.md §1.2–§1.4, §1.8): the string a request is signed over,
//! the raw `<method>_response` substring a reply is verified over (found by a small JSON scanner
//! that knows strings and escapes, never by re-serialising), the string a trade notification is
//! verified over, and the certificate serial numbers of certificate (公钥证书) mode.

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::sign::{canonical_query, md5_hex, RsaVerifier};

/// The string a gateway request is signed over: every parameter except `sign` (`sign_type` is
/// kept), empty values dropped, sorted by key byte-wise, `k=v` joined with `&`, values raw.
pub fn request_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    canonical_query(params.into_iter().filter(|(k, _)| *k != "sign"))
}

/// The string a trade notification is signed over: as for requests, but without `sign_type`.
pub fn notify_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    canonical_query(params.into_iter().filter(|(k, _)| *k != "sign" && *k != "sign_type"))
}

/// The top-level key of a method's reply: `alipay.trade.pay` → `alipay_trade_pay_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// A synchronous reply taken apart, before any of it is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply<'a> {
    /// `true` when the reply came under `error_response` rather than the method's key.
    pub is_error_response: bool,
    /// The raw text of the reply object, exactly as received: what the signature covers.
    pub content: &'a str,
    /// The top-level `sign`, if present and not empty.
    pub sign: Option<String>,
    /// The top-level `alipay_cert_sn` (certificate mode), if present and not empty.
    pub alipay_cert_sn: Option<String>,
}

/// Splits a gateway reply into the raw reply object of `method` (or `error_response`), its
/// `sign` and `alipay_cert_sn`. Only top-level members count: a `"sign"` inside the reply
/// object, or braces inside strings, change nothing. Duplicate top-level keys are refused.
pub fn split_reply<'a>(body: &'a str, method: &str) -> Result<RawReply<'a>, String> {
    let members = top_level_members(body)?;
    let key = response_key(method);
    let find = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    let (is_error_response, content) = match (find(&key), find("error_response")) {
        (Some(v), _) => (false, v),
        (None, Some(v)) => (true, v),
        (None, None) => return Err(format!("the reply has neither {key} nor error_response")),
    };
    if !content.starts_with('{') {
        return Err(format!("{} is not a JSON object", if is_error_response { "error_response" } else { &key }));
    }
    let string_member = |name: &str| -> Result<Option<String>, String> {
        match find(name) {
            None | Some("null") => Ok(None),
            Some(raw) => serde_json::from_str::<String>(raw).map(|s| Some(s).filter(|s| !s.is_empty())).map_err(|_| format!("{name} is not a JSON string")),
        }
    };
    Ok(RawReply { is_error_response, content, sign: string_member("sign")?, alipay_cert_sn: string_member("alipay_cert_sn")? })
}

/// The members of a top-level JSON object as (decoded key, raw value text) pairs.
fn top_level_members(text: &str) -> Result<Vec<(String, &str)>, String> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err("the reply is not a JSON object".into());
    }
    i = skip_ws(b, i + 1);
    let mut out: Vec<(String, &str)> = Vec::new();
    if b.get(i) == Some(&b'}') {
        return finish(b, i + 1).map(|()| out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(format!("expected a member name at byte {i}"));
        }
        let key_end = string_end(b, i)?;
        let key: String = serde_json::from_str(&text[i..key_end]).map_err(|_| format!("bad member name at byte {i}"))?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err(format!("expected ':' after {key:?}"));
        }
        i = skip_ws(b, i + 1);
        let value_end = value_end(b, i)?;
        if out.iter().any(|(k, _)| *k == key) {
            return Err(format!("member {key:?} appears twice"));
        }
        out.push((key, &text[i..value_end]));
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return finish(b, i + 1).map(|()| out),
            _ => return Err(format!("expected ',' or '}}' at byte {i}")),
        }
    }
}

fn finish(b: &[u8], i: usize) -> Result<(), String> {
    if skip_ws(b, i) == b.len() {
        Ok(())
    } else {
        Err("text after the end of the reply object".into())
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// `b[start]` is `"`: the index just past the closing quote (escapes skipped).
fn string_end(b: &[u8], start: usize) -> Result<usize, String> {
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None => return Err(format!("unterminated string starting at byte {start}")),
            Some(b'\\') => i += 2,
            Some(b'"') => return Ok(i + 1),
            Some(_) => i += 1,
        }
    }
}

/// The index just past the JSON value starting at `start`. Objects and arrays are matched with a
/// stack that skips strings, so braces inside strings and escaped quotes are harmless.
fn value_end(b: &[u8], start: usize) -> Result<usize, String> {
    match b.get(start) {
        None => Err("missing value at the end of the reply".into()),
        Some(b'"') => string_end(b, start),
        Some(b'{' | b'[') => {
            let mut stack: Vec<u8> = Vec::new();
            let mut i = start;
            loop {
                match b.get(i) {
                    None => return Err(format!("unbalanced brackets in the value starting at byte {start}")),
                    Some(b'"') => i = string_end(b, i)?,
                    Some(&c @ (b'{' | b'[')) => {
                        stack.push(c);
                        i += 1;
                    }
                    Some(&c @ (b'}' | b']')) => {
                        let want = if c == b'}' { b'{' } else { b'[' };
                        if stack.pop() != Some(want) {
                            return Err(format!("mismatched '{}' at byte {i}", c as char));
                        }
                        i += 1;
                        if stack.is_empty() {
                            return Ok(i);
                        }
                    }
                    Some(_) => i += 1,
                }
            }
        }
        Some(_) => {
            let mut i = start;
            while let Some(c) = b.get(i) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
            }
            if i == start {
                Err(format!("missing value at byte {start}"))
            } else {
                Ok(i)
            }
        }
    }
}

/// A certificate problem, described without the certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("not a PEM X.509 certificate")]
    NotCertificate,
    #[error("the file holds no RSA certificate")]
    NoRsaCertificate,
    #[error("the certificate's public key is not an RSA key")]
    NotRsaKey,
}

fn certificates(pem_text: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let mut ders = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(pem_text) {
        let pem = pem.map_err(|_| CertError::NotCertificate)?;
        if pem.label == "CERTIFICATE" {
            ders.push(pem.contents);
        }
    }
    if ders.is_empty() {
        return Err(CertError::NotCertificate);
    }
    Ok(ders)
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CertError> {
    X509Certificate::from_der(der).map(|(_, c)| c).map_err(|_| CertError::NotCertificate)
}

/// MD5 hex of the issuer DN (RFC 4514 order) followed by the decimal serial number.
fn sn_of(cert: &X509Certificate<'_>) -> String {
    md5_hex(format!("{}{}", issuer_rfc4514(cert.issuer()), cert.serial).as_bytes())
}

/// `app_cert_sn` / `alipay_cert_sn` of the first certificate in a PEM file.
pub fn cert_sn(pem_text: &[u8]) -> Result<String, CertError> {
    let ders = certificates(pem_text)?;
    Ok(sn_of(&parse(&ders[0])?))
}

/// `alipay_root_cert_sn`: the SNs of the RSA-signed certificates of a root bundle, joined by `_`
/// (SM2/ECDSA roots are skipped).
pub fn root_cert_sn(pem_text: &[u8]) -> Result<String, CertError> {
    let mut sns = Vec::new();
    for der in certificates(pem_text)? {
        let cert = parse(&der)?;
        if cert.signature_algorithm.algorithm.to_id_string().starts_with("1.2.840.113549.1.1") {
            sns.push(sn_of(&cert));
        }
    }
    if sns.is_empty() {
        return Err(CertError::NoRsaCertificate);
    }
    Ok(sns.join("_"))
}

/// The RSA public key of the first certificate in a PEM file.
pub fn cert_public_key(pem_text: &[u8]) -> Result<RsaVerifier, CertError> {
    use rsa::pkcs8::DecodePublicKey;
    let ders = certificates(pem_text)?;
    let cert = parse(&ders[0])?;
    let key = rsa::RsaPublicKey::from_public_key_der(cert.public_key().raw).map_err(|_| CertError::NotRsaKey)?;
    Ok(RsaVerifier::from_public_key(key))
}

/// A distinguished name as RFC 4514 writes it: last RDN first, `CN=…,OU=…,O=…,C=…`.
pub fn issuer_rfc4514(name: &X509Name<'_>) -> String {
    name.iter()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = short_name(&oid).map_or(oid.clone(), str::to_string);
                    match atv.as_str() {
                        Ok(v) if short_name(&oid).is_some() => format!("{key}={}", escape_rfc4514(v)),
                        _ => format!("{key}=#{}", hex::encode(atv.attr_value().as_bytes())),
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

fn escape_rfc4514(v: &str) -> String {
    let n = v.chars().count();
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i + 1 == n => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}
