//! Shared signing helpers: RSA-SHA256 (PKCS#1 v1.5), HMAC-SHA256, MD5, AES-256-GCM, and
//! constant-time comparison. Keys load from PEM (PKCS#1 or PKCS#8) with the `rsa` crate; the
//! RSA operations themselves run on `ring` (several times faster, constant-time, already linked
//! for TLS). Their `Debug` never prints key material.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use std::sync::Arc;

use ring::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A key problem, described without the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM RSA private key (PKCS#1 'RSA PRIVATE KEY' or PKCS#8 'PRIVATE KEY')")]
    BadPrivateKey,
    #[error("not a PEM RSA public key (or certificate)")]
    BadPublicKey,
    #[error("RSA key is {0} bits; at least 2048 are required")]
    TooShort(usize),
    #[error("signing failed")]
    SignFailed,
}

/// The Base64 body of a PEM (or of bare Base64), whatever its line wrapping: keys pasted from
/// channel consoles often come as one long line between the BEGIN/END lines.
fn pem_body_der(text: &str) -> Option<Vec<u8>> {
    let b64: String = text.lines().filter(|l| !l.trim_start().starts_with("-----")).flat_map(|l| l.split_whitespace()).collect();
    B64.decode(b64).ok()
}

/// An RSA private key for SHA256withRSA signatures.
#[derive(Clone)]
pub struct RsaSigner {
    key: Arc<RsaKeyPair>,
    public: RsaPublicKey,
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaSigner(<redacted>)")
    }
}

impl RsaSigner {
    /// From PEM text, PKCS#1 or PKCS#8 (also accepts bare Base64 DER, as channels' consoles hand out).
    pub fn from_pem(pem: &str) -> Result<RsaSigner, KeyError> {
        let pem = pem.trim();
        let key = RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .or_else(|_| {
                let der = pem_body_der(pem).ok_or(KeyError::BadPrivateKey)?;
                RsaPrivateKey::from_pkcs8_der(&der).or_else(|_| RsaPrivateKey::from_pkcs1_der(&der)).map_err(|_| KeyError::BadPrivateKey)
            })
            .map_err(|_| KeyError::BadPrivateKey)?;
        let bits = rsa::traits::PublicKeyParts::size(&key) * 8;
        if bits < 2048 {
            return Err(KeyError::TooShort(bits));
        }
        let public = key.to_public_key();
        let der = key.to_pkcs1_der().map_err(|_| KeyError::BadPrivateKey)?;
        let pair = RsaKeyPair::from_der(der.as_bytes()).map_err(|_| KeyError::BadPrivateKey)?;
        Ok(RsaSigner { key: Arc::new(pair), public })
    }

    /// SHA256withRSA over `msg`, raw signature bytes.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        // Fails only for a key/buffer mismatch, which `from_pem` rules out.
        if self.key.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), msg, &mut sig).is_err() {
            sig.clear();
        }
        sig
    }

    /// SHA256withRSA over `msg`, standard Base64.
    pub fn sign_b64(&self, msg: &[u8]) -> String {
        B64.encode(self.sign(msg))
    }

    pub fn public_key(&self) -> RsaVerifier {
        RsaVerifier::from_public_key(self.public.clone())
    }
}

/// An RSA public key for verifying SHA256withRSA signatures.
#[derive(Clone)]
pub struct RsaVerifier {
    key: RsaPublicKey,
    /// PKCS#1 `RSAPublicKey` DER, as ring wants it.
    der: Arc<Vec<u8>>,
}

impl std::fmt::Debug for RsaVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaVerifier")
    }
}

impl RsaVerifier {
    /// From PEM (`PUBLIC KEY` SPKI or `RSA PUBLIC KEY` PKCS#1) or bare Base64 SPKI DER.
    pub fn from_pem(pem: &str) -> Result<RsaVerifier, KeyError> {
        let pem = pem.trim();
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .or_else(|_| {
                let der = pem_body_der(pem).ok_or(KeyError::BadPublicKey)?;
                RsaPublicKey::from_public_key_der(&der).or_else(|_| RsaPublicKey::from_pkcs1_der(&der)).map_err(|_| KeyError::BadPublicKey)
            })
            .map_err(|_| KeyError::BadPublicKey)?;
        Ok(RsaVerifier::from_public_key(key))
    }

    pub fn from_public_key(key: RsaPublicKey) -> RsaVerifier {
        let der = key.to_pkcs1_der().map(|d| d.as_bytes().to_vec()).unwrap_or_default();
        RsaVerifier { key, der: Arc::new(der) }
    }

    /// Verifies raw signature bytes.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, self.der.as_slice()).verify(msg, sig).is_ok()
    }

    /// Verifies a standard-Base64 signature (whitespace tolerated).
    pub fn verify_b64(&self, msg: &[u8], sig_b64: &str) -> bool {
        let cleaned: String = sig_b64.chars().filter(|c| !c.is_whitespace()).collect();
        B64.decode(cleaned).map(|s| self.verify(msg, &s)).unwrap_or(false)
    }

    /// The key as SPKI PEM (for simulators that hand out public keys).
    pub fn to_pem(&self) -> String {
        self.key.to_public_key_pem(rsa::pkcs8::LineEnding::LF).unwrap_or_default()
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Sha1;
    hex::encode(Sha1::digest(data))
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Md5;
    hex::encode(Md5::digest(data))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    hex::encode(hmac_sha256(key, data))
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// AES-256-GCM with a 12-byte nonce; `ciphertext` carries the 16-byte tag at its end.
pub fn aes256gcm_decrypt(key: &[u8], nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, &'static str> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::{Aes256Gcm, Nonce};
    if key.len() != 32 {
        return Err("AES-256-GCM key must be 32 bytes");
    }
    if nonce.len() != 12 {
        return Err("AES-GCM nonce must be 12 bytes");
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| "bad key")?;
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).map_err(|_| "decryption failed (wrong key or tampered data)")
}

pub fn aes256gcm_encrypt(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, &'static str> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::{Aes256Gcm, Nonce};
    if key.len() != 32 || nonce.len() != 12 {
        return Err("AES-256-GCM needs a 32-byte key and a 12-byte nonce");
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| "bad key")?;
    cipher.encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad }).map_err(|_| "encryption failed")
}

/// A random alphanumeric string (nonces).
pub fn nonce(len: usize) -> String {
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// `k=v&k=v` over pairs sorted by key (byte-wise), skipping empty values; values raw, not encoded.
pub fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut v: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, val)| !val.is_empty()).collect();
    v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    v.iter().map(|(k, val)| format!("{k}={val}")).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO_PRIV: &str = include_str!("../../assets/demo/keys/merchant_private.pem");
    const DEMO_PUB: &str = include_str!("../../assets/demo/keys/merchant_public.pem");

    #[test]
    fn rsa_round_trip_and_tamper() {
        let s = RsaSigner::from_pem(DEMO_PRIV).unwrap();
        let v = RsaVerifier::from_pem(DEMO_PUB).unwrap();
        let sig = s.sign_b64(b"hello");
        assert!(v.verify_b64(b"hello", &sig));
        assert!(!v.verify_b64(b"hellO", &sig));
        assert!(!v.verify_b64(b"hello", "not base64!"));
        assert_eq!(format!("{s:?}"), "RsaSigner(<redacted>)");
        assert!(RsaVerifier::from_pem(&s.public_key().to_pem()).unwrap().verify_b64(b"hello", &sig));
    }

    #[test]
    fn keys_pasted_as_one_line_load() {
        let one_line = |pem: &str| {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let first = pem.lines().next().unwrap();
            let last = pem.lines().last().unwrap();
            format!("{first}\n{body}\n{last}\n")
        };
        let s = RsaSigner::from_pem(&one_line(DEMO_PRIV)).unwrap();
        let v = RsaVerifier::from_pem(&one_line(DEMO_PUB)).unwrap();
        assert!(v.verify_b64(b"x", &s.sign_b64(b"x")));
        let bare: String = DEMO_PUB.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(RsaVerifier::from_pem(&bare).unwrap().verify_b64(b"x", &s.sign_b64(b"x")));
    }

    #[test]
    fn bad_keys_are_named_not_printed() {
        let e = RsaSigner::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").unwrap_err();
        assert_eq!(e, KeyError::BadPrivateKey);
        assert!(!e.to_string().contains("AAAA"));
        assert_eq!(RsaVerifier::from_pem("junk").unwrap_err(), KeyError::BadPublicKey);
    }

    #[test]
    fn canonical_query_sorts_and_skips_empty() {
        assert_eq!(canonical_query([("b", "2"), ("a", "1"), ("c", ""), ("B", "x")]), "B=x&a=1&b=2");
    }

    #[test]
    fn aes_gcm_round_trip_and_key_size() {
        let key = [7u8; 32];
        let ct = aes256gcm_encrypt(&key, b"123456789012", b"aad", b"secret").unwrap();
        assert_eq!(aes256gcm_decrypt(&key, b"123456789012", b"aad", &ct).unwrap(), b"secret");
        assert!(aes256gcm_decrypt(&key, b"123456789012", b"aaX", &ct).is_err());
        assert!(aes256gcm_decrypt(&[1u8; 16], b"123456789012", b"aad", &ct).is_err());
    }

    #[test]
    fn digests() {
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 4231 test case 2.
        assert_eq!(hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd") && !ct_eq(b"ab", b"abc"));
    }
}
