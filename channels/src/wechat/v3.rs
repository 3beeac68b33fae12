//! WeChat Pay API v3 security (protocols.md §2.1–2.3): the request signature and `Authorization`
//! header, verification of replies and callbacks (`Wechatpay-*` headers) with a platform
//! certificate, the WeChat Pay public key, or both (combined mode), and AEAD_AES_256_GCM with the
//! APIv3 key. Pure functions and small types; the HTTP side is in `client.rs`.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};

use super::certs::{normalize_serial, CertStore};
use crate::sign::{RsaSigner, RsaVerifier};

pub const AUTH_SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";
pub const H_TIMESTAMP: &str = "wechatpay-timestamp";
pub const H_NONCE: &str = "wechatpay-nonce";
pub const H_SIGNATURE: &str = "wechatpay-signature";
pub const H_SERIAL: &str = "wechatpay-serial";
pub const H_SIGNATURE_TYPE: &str = "wechatpay-signature-type";
/// Key ids of "WeChat Pay public key" mode start with this; anything else is a certificate serial.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";
/// Replies and callbacks whose timestamp is this far from our clock are refused (wechatpay-go).
pub const MAX_SKEW_SECS: i64 = 300;

/// `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` — what the merchant signs (§2.1).
pub fn request_message(method: &str, canonical_url: &str, timestamp: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + canonical_url.len() + 64);
    for part in [method.as_bytes(), canonical_url.as_bytes(), timestamp.to_string().as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// `TIMESTAMP\nNONCE\nBODY\n` over the raw body bytes — what WeChat signs (§2.2).
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 64);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// The merchant's signing identity: merchant id, API certificate serial and private key.
#[derive(Clone)]
pub struct MerchantSigner {
    mchid: String,
    serial_no: String,
    key: RsaSigner,
}

impl fmt::Debug for MerchantSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantSigner").field("mchid", &self.mchid).field("serial_no", &self.serial_no).finish_non_exhaustive()
    }
}

impl MerchantSigner {
    pub fn new(mchid: impl Into<String>, serial_no: impl Into<String>, key: RsaSigner) -> MerchantSigner {
        MerchantSigner { mchid: mchid.into(), serial_no: serial_no.into(), key }
    }

    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The `Authorization` header value for a request, with the current time and a fresh nonce.
    pub fn authorization(&self, method: &str, canonical_url: &str, body: &[u8]) -> String {
        self.authorization_at(method, canonical_url, body, Utc::now().timestamp(), &crate::sign::nonce(32))
    }

    /// The `Authorization` header value for given timestamp and nonce (vector T2).
    pub fn authorization_at(&self, method: &str, canonical_url: &str, body: &[u8], timestamp: i64, nonce: &str) -> String {
        let signature = self.key.sign_b64(&request_message(method, canonical_url, timestamp, nonce, body));
        format!(
            "{AUTH_SCHEMA} mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            self.mchid, self.serial_no
        )
    }
}

/// The fields of an `Authorization` header (the simulator reads ours with this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationFields {
    pub mchid: String,
    pub nonce_str: String,
    pub timestamp: String,
    pub serial_no: String,
    pub signature: String,
}

/// Parses `WECHATPAY2-SHA256-RSA2048 k="v",…` (any pair order); None if malformed or incomplete.
pub fn parse_authorization(header: &str) -> Option<AuthorizationFields> {
    let rest = header.trim().strip_prefix(AUTH_SCHEMA)?.strip_prefix(' ')?;
    let mut get = std::collections::HashMap::new();
    for pair in rest.split(',') {
        let (k, v) = pair.trim().split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        if get.insert(k.to_string(), v.to_string()).is_some() {
            return None;
        }
    }
    let mut take = |k: &str| get.remove(k).filter(|v| !v.is_empty());
    Some(AuthorizationFields { mchid: take("mchid")?, nonce_str: take("nonce_str")?, timestamp: take("timestamp")?, serial_no: take("serial_no")?, signature: take("signature")? })
}

/// The APIv3 key: exactly 32 ASCII bytes, used as raw AES-256 key bytes (never hex-decoded).
#[derive(Clone)]
pub struct ApiV3Key([u8; 32]);

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

impl ApiV3Key {
    /// From the key file's text (surrounding whitespace ignored). Refuses any other length — a
    /// 16-byte key would silently mean AES-128 (vector T5).
    pub fn new(text: &str) -> Result<ApiV3Key, String> {
        let t = text.trim();
        let bytes: [u8; 32] = t.as_bytes().try_into().map_err(|_| format!("must be exactly 32 characters (found {} bytes)", t.len()))?;
        if !bytes.iter().all(|b| b.is_ascii_graphic()) {
            return Err("must be 32 printable ASCII characters".into());
        }
        Ok(ApiV3Key(bytes))
    }

    /// Decrypts a Base64 `ciphertext` (ciphertext ‖ 16-byte tag) with the 12-byte `nonce` and `aad`.
    pub fn decrypt(&self, nonce: &str, aad: &str, ciphertext_b64: &str) -> Result<Vec<u8>, String> {
        let ct = B64.decode(ciphertext_b64.trim()).map_err(|_| "ciphertext is not Base64".to_string())?;
        crate::sign::aes256gcm_decrypt(&self.0, nonce.as_bytes(), aad.as_bytes(), &ct).map_err(str::to_string)
    }

    /// Encrypts to Base64 (ciphertext ‖ tag); the simulator and tests use it.
    pub fn encrypt(&self, nonce: &str, aad: &str, plaintext: &[u8]) -> Result<String, String> {
        crate::sign::aes256gcm_encrypt(&self.0, nonce.as_bytes(), aad.as_bytes(), plaintext).map(|c| B64.encode(c)).map_err(str::to_string)
    }
}

/// Why a reply or callback was not accepted as coming from WeChat Pay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("header {0} is missing")]
    Missing(&'static str),
    #[error("no WeChat Pay key or platform certificate with serial {0:?} is known")]
    UnknownSerial(String),
    #[error("platform certificate {0} is not valid now (expired or not yet valid)")]
    CertNotValid(String),
    #[error("signature does not verify with {0}")]
    BadSignature(String),
    #[error("Wechatpay-Timestamp {0:?} is not a number")]
    BadTimestamp(String),
    #[error("Wechatpay-Timestamp is {0} s away from our clock (limit {MAX_SKEW_SECS} s; check the time sync)")]
    Stale(i64),
}

/// The signature headers of a reply or callback.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub serial: &'a str,
}

impl<'a> SignedHeaders<'a> {
    /// Reads the four headers through a case-insensitive lookup.
    pub fn from_lookup(get: impl Fn(&str) -> Option<&'a str>) -> Result<SignedHeaders<'a>, VerifyError> {
        let need = |n: &'static str| get(n).map(str::trim).filter(|v| !v.is_empty()).ok_or(VerifyError::Missing(n));
        Ok(SignedHeaders { timestamp: need(H_TIMESTAMP)?, nonce: need(H_NONCE)?, signature: need(H_SIGNATURE)?, serial: need(H_SERIAL)? })
    }

    /// True when any of the signature headers is present (non-2xx replies may come unsigned).
    pub fn any_present(get: impl Fn(&str) -> Option<&'a str>) -> bool {
        [H_TIMESTAMP, H_NONCE, H_SIGNATURE, H_SERIAL].iter().any(|h| get(h).is_some())
    }
}

/// The "WeChat Pay public key" and its id (`PUB_KEY_ID_…`).
#[derive(Debug, Clone)]
pub struct WechatPublicKey {
    pub id: String,
    pub key: RsaVerifier,
}

/// Verifies WeChat's signatures: public-key mode, platform-certificate mode, or combined.
#[derive(Debug)]
pub struct Verifier {
    pub public_key: Option<WechatPublicKey>,
    pub certs: CertStore,
}

impl Verifier {
    pub fn new(public_key: Option<WechatPublicKey>, certs: CertStore) -> Verifier {
        Verifier { public_key, certs }
    }

    /// Verifies the signature over `TIMESTAMP\nNONCE\nBODY\n` (raw body bytes) with the key the
    /// serial names — the public key when the serial is its id, else the platform certificate of
    /// that serial — then the timestamp against `now`.
    pub fn verify(&self, h: &SignedHeaders<'_>, body: &[u8], now: DateTime<Utc>) -> Result<(), VerifyError> {
        let (key, label) = self.key_for(h.serial, now)?;
        if !key.verify_b64(&response_message(h.timestamp, h.nonce, body), h.signature) {
            return Err(VerifyError::BadSignature(label));
        }
        check_timestamp(h.timestamp, now)
    }

    fn key_for(&self, serial: &str, now: DateTime<Utc>) -> Result<(RsaVerifier, String), VerifyError> {
        if let Some(pk) = &self.public_key {
            if pk.id == serial {
                return Ok((pk.key.clone(), format!("WeChat Pay public key {}", pk.id)));
            }
        }
        if serial.starts_with(PUBLIC_KEY_ID_PREFIX) {
            // A public-key id that is not ours (or public-key mode not configured).
            return Err(VerifyError::UnknownSerial(serial.to_string()));
        }
        let cert = self.certs.get(serial).ok_or_else(|| VerifyError::UnknownSerial(serial.to_string()))?;
        if !cert.valid_at(now) {
            return Err(VerifyError::CertNotValid(cert.serial.clone()));
        }
        Ok((cert.key.clone(), format!("platform certificate {}", normalize_serial(&cert.serial))))
    }
}

/// Refuses timestamps `|now − ts| ≥ 300 s`.
pub fn check_timestamp(ts: &str, now: DateTime<Utc>) -> Result<(), VerifyError> {
    let secs: i64 = ts.trim().parse().map_err(|_| VerifyError::BadTimestamp(ts.chars().take(20).collect()))?;
    let skew = (now.timestamp() - secs).abs();
    if skew >= MAX_SKEW_SECS {
        return Err(VerifyError::Stale(skew));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::testdata::{vector, vector_text};

    fn t1_signer() -> RsaSigner {
        RsaSigner::from_pem(&vector_text("wechat/wx_test_key.pem")).unwrap()
    }

    #[test]
    fn t1_sha256_with_rsa() {
        let expected = vector_text("wechat/t1_expected_signature.b64");
        let s = t1_signer();
        assert_eq!(s.sign_b64(b"source"), expected.trim());
        let public = RsaVerifier::from_pem(&vector_text("wechat/wx_test_pubkey.pem")).unwrap();
        assert!(public.verify_b64(b"source", expected.trim()));
        assert!(!public.verify_b64(b"sourcE", expected.trim()));
    }

    #[test]
    fn t2_authorization_header() {
        let m = MerchantSigner::new("1234567890", "F5765756002FDD77", t1_signer());
        let h = m.authorization_at("GET", "/v3/certificates", b"", 1624523846, "A1B2C3D4E5F6G7");
        assert_eq!(
            h,
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1234567890\",nonce_str=\"A1B2C3D4E5F6G7\",timestamp=\"1624523846\",serial_no=\"F5765756002FDD77\",signature=\"mG2drrUCDR7EVrJmQVI6eW5VlDB0zzpcYLC83UiNxe1aNAomazwWci4q/HPA7MmlbGAswwSE7iPiLy3vflXohf42WXNA031htDbpBCVt1ti2teKFPh531KK07unc+CrCiepz6veTgsylXYO4iBI+DYQ4UDj+r8A/lhqj7yHmtLjvcJ45Og6Wdecd/T7jGgMwcEe1mR7HLzC7R6snnLOaRwnPCe6WyiWGDHHuQzvNFeaztpM3noedCPEwGculoy2MPVvNER6TpM8CUijpKChWM7Q5vIwg8QYv9bH7IuZitLMAgx0+cgaNzFbzZuXxwGB6wIAmv70dWcQx8F2erR/Nzw==\""
        );
        let f = parse_authorization(&h).unwrap();
        assert_eq!((f.mchid.as_str(), f.timestamp.as_str(), f.serial_no.as_str()), ("1234567890", "1624523846", "F5765756002FDD77"));
        assert!(format!("{m:?}").contains("F5765756002FDD77") && !format!("{m:?}").contains("PRIVATE"));
    }

    #[test]
    fn message_formats_end_every_line_with_newline() {
        assert_eq!(request_message("GET", "/v3/certificates", 1624523846, "A1B2C3D4E5F6G7", b""), b"GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n");
        assert_eq!(request_message("POST", "/v3/x?a=1", 1, "n", b"{\"a\":1}"), b"POST\n/v3/x?a=1\n1\nn\n{\"a\":1}\n");
        assert_eq!(response_message("1554208460", "n0nce", b""), b"1554208460\nn0nce\n\n");
        assert_eq!(response_message("1", "n", b"{}\n"), b"1\nn\n{}\n\n");
    }

    #[test]
    fn parse_authorization_refuses_malformed() {
        for bad in ["", "WECHATPAY2-SHA256-RSA2048", "Bearer x", "WECHATPAY2-SHA256-RSA2048 mchid=\"1\"", "WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str=\"a\",timestamp=\"1\",serial_no=\"s\",signature=\"x\""] {
            assert!(parse_authorization(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn t3_aead_aes_256_gcm() {
        let k = ApiV3Key::new("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb").unwrap();
        assert_eq!(k.decrypt("uluk4a9R25RW", "associatedData", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=").unwrap(), b"message");
        assert_eq!(k.encrypt("uluk4a9R25RW", "associatedData", b"message").unwrap(), "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
        // Wrong AAD or tampered ciphertext: refused.
        assert!(k.decrypt("uluk4a9R25RW", "associatedDatA", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=").is_err());
        assert!(k.decrypt("uluk4a9R25RW", "associatedData", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwA=").is_err());
        assert_eq!(format!("{k:?}"), "ApiV3Key(<redacted>)");
    }

    #[test]
    fn t5_non_32_byte_keys_are_refused() {
        // wechatpay-go's unit test key is 16 bytes (AES-128); as an APIv3 key it is refused.
        let e = ApiV3Key::new("testAPIv3Key0000").unwrap_err();
        assert!(e.contains("32") && !e.contains("testAPIv3Key0000"), "{e}");
        assert!(ApiV3Key::new(&"k".repeat(33)).is_err());
        assert!(ApiV3Key::new(" a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\n").is_ok());
        let _ = vector("wechat/req_info.b64"); // the vector folder must be present
    }

    #[test]
    fn timestamps_at_or_beyond_five_minutes_are_stale() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert!(check_timestamp("1700000299", now).is_ok());
        assert!(check_timestamp("1699999701", now).is_ok());
        assert_eq!(check_timestamp("1700000300", now), Err(VerifyError::Stale(300)));
        assert_eq!(check_timestamp("1699999700", now), Err(VerifyError::Stale(300)));
        assert!(matches!(check_timestamp("17e8", now), Err(VerifyError::BadTimestamp(_))));
    }

    fn hdr<'a>(timestamp: &'a str, signature: &'a str, serial: &'a str) -> SignedHeaders<'a> {
        SignedHeaders { timestamp, nonce: "n1", signature, serial }
    }

    #[test]
    fn verifier_chooses_the_key_by_serial_in_combined_mode() {
        use crate::wechat::testdata::{demo_platform_cert, demo_platform_signer, DEMO_PLATFORM_SERIAL as SERIAL};
        let pk_signer = t1_signer();
        let pk_id = "PUB_KEY_ID_0112345";
        let store = CertStore::default();
        store.insert_all(vec![demo_platform_cert()]);
        let v = Verifier::new(Some(WechatPublicKey { id: pk_id.into(), key: pk_signer.public_key() }), store);
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let body = br#"{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}"#;
        let msg = response_message(&ts, "n1", body);
        let by_pk = pk_signer.sign_b64(&msg);
        let by_cert = demo_platform_signer().sign_b64(&msg);
        assert_eq!(v.verify(&hdr(&ts, &by_pk, pk_id), body, now), Ok(()));
        assert_eq!(v.verify(&hdr(&ts, &by_cert, SERIAL), body, now), Ok(()));
        // The serial names the other key: refused.
        assert!(matches!(v.verify(&hdr(&ts, &by_cert, pk_id), body, now), Err(VerifyError::BadSignature(_))));
        assert!(matches!(v.verify(&hdr(&ts, &by_pk, SERIAL), body, now), Err(VerifyError::BadSignature(_))));
        // Unknown serials (certificate or public-key id): refused.
        assert!(matches!(v.verify(&hdr(&ts, &by_cert, "ABCDEF"), body, now), Err(VerifyError::UnknownSerial(_))));
        assert!(matches!(v.verify(&hdr(&ts, &by_pk, "PUB_KEY_ID_999"), body, now), Err(VerifyError::UnknownSerial(_))));
        // Certificate serials are hex: case does not matter.
        assert_eq!(v.verify(&hdr(&ts, &by_cert, &SERIAL.to_lowercase()), body, now), Ok(()));
        // One changed body byte: refused.
        assert!(v.verify(&hdr(&ts, &by_cert, SERIAL), br#"{"code_url":"weixin://wxpay/bizpayurl?pr=abd"}"#, now).is_err());
        // Signed long ago: stale although the signature is good.
        let old = (now.timestamp() - 301).to_string();
        let sig_old = demo_platform_signer().sign_b64(&response_message(&old, "n1", body));
        assert!(matches!(v.verify(&hdr(&old, &sig_old, SERIAL), body, now), Err(VerifyError::Stale(301))));
        // The demo certificate is not valid in 2100.
        let later = DateTime::from_timestamp(4_102_444_800, 0).unwrap();
        let ts2 = later.timestamp().to_string();
        let sig2 = demo_platform_signer().sign_b64(&response_message(&ts2, "n1", body));
        assert!(matches!(v.verify(&hdr(&ts2, &sig2, SERIAL), body, later), Err(VerifyError::CertNotValid(_))));
        // Public-key-only mode knows no certificate serials.
        let only_pk = Verifier::new(Some(WechatPublicKey { id: pk_id.into(), key: pk_signer.public_key() }), CertStore::default());
        assert!(matches!(only_pk.verify(&hdr(&ts, &by_cert, SERIAL), body, now), Err(VerifyError::UnknownSerial(_))));
    }

    #[test]
    fn missing_headers_are_named() {
        let headers = [("wechatpay-timestamp", "1"), ("wechatpay-nonce", "n"), ("wechatpay-signature", "s")];
        let e = SignedHeaders::from_lookup(|n| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)).unwrap_err();
        assert_eq!(e, VerifyError::Missing(H_SERIAL));
        assert!(SignedHeaders::any_present(|n| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)));
        assert!(!SignedHeaders::any_present(|_| None));
    }
}
