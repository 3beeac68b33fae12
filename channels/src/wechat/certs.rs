//! X.509 certificates of WeChat Pay: the platform certificates that sign replies and callbacks
//! (downloaded from `GET /v3/certificates`, each AEAD-encrypted with the APIv3 key — vector T4 —
//! or configured from a file), kept in memory by serial; and the merchant's own API certificate
//! (serial = `merchant_serial_no`, public key = the API private key's).

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

use super::v3::ApiV3Key;
use super::wire;
use crate::sign::RsaVerifier;

/// Certificate serials as WeChat prints them: uppercase hex without leading zeros.
pub fn normalize_serial(s: &str) -> String {
    let t = s.trim().trim_start_matches('0').to_ascii_uppercase();
    if t.is_empty() {
        "0".into()
    } else {
        t
    }
}

/// One certificate's serial, validity and RSA key.
#[derive(Clone)]
pub struct PlatformCert {
    /// Uppercase hex, as WeChat prints it.
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key: RsaVerifier,
    /// The key as SPKI PEM (to compare with a private key's public half).
    pub public_pem: String,
}

impl fmt::Debug for PlatformCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformCert").field("serial", &self.serial).field("not_before", &self.not_before).field("not_after", &self.not_after).finish()
    }
}

impl PlatformCert {
    /// Parses one PEM certificate (RSA key required).
    pub fn from_pem(pem: &str) -> Result<PlatformCert, String> {
        let cert = Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| format!("not a PEM X.509 certificate ({e})"))?;
        Self::from_cert(&cert)
    }

    /// Parses every certificate in a PEM bundle (a file may hold several).
    pub fn all_from_pem(text: &str) -> Result<Vec<PlatformCert>, String> {
        const END: &str = "-----END CERTIFICATE-----";
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("-----BEGIN CERTIFICATE-----") {
            let block = &rest[i..];
            let end = block.find(END).ok_or("unterminated PEM certificate")? + END.len();
            out.push(Self::from_pem(&block[..end])?);
            rest = &block[end..];
        }
        if out.is_empty() {
            return Err("no PEM certificate found".into());
        }
        Ok(out)
    }

    fn from_cert(cert: &Certificate) -> Result<PlatformCert, String> {
        let tbs = &cert.tbs_certificate;
        let serial = hex::encode_upper(tbs.serial_number.as_bytes());
        let spki = tbs.subject_public_key_info.to_der().map_err(|e| format!("certificate key: {e}"))?;
        let key = RsaPublicKey::from_public_key_der(&spki).map_err(|_| "certificate key is not RSA".to_string())?;
        let time = |t: x509_cert::time::Time| DateTime::from_timestamp(t.to_unix_duration().as_secs() as i64, 0).ok_or("certificate validity out of range");
        let key = RsaVerifier::from_public_key(key);
        Ok(PlatformCert {
            serial: normalize_serial(&serial),
            not_before: time(tbs.validity.not_before)?,
            not_after: time(tbs.validity.not_after)?,
            public_pem: key.to_pem(),
            key,
        })
    }

    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// Decrypts the entries of a `GET /v3/certificates` reply. Every entry's `serial_no` must equal
/// the decrypted certificate's serial; a wrong APIv3 key fails the AEAD check.
pub fn decrypt_certificates(body: &[u8], key: &ApiV3Key) -> Result<Vec<PlatformCert>, String> {
    let list: wire::Certificates = serde_json::from_slice(body).map_err(|e| format!("certificate list is not the expected JSON: {e}"))?;
    let mut out = Vec::with_capacity(list.data.len());
    for e in list.data {
        let r = &e.encrypt_certificate;
        if r.algorithm != "AEAD_AES_256_GCM" {
            return Err(format!("certificate {}: unsupported algorithm {:?}", e.serial_no, r.algorithm));
        }
        let pem = key
            .decrypt(&r.nonce, r.associated_data.as_deref().unwrap_or(""), &r.ciphertext)
            .map_err(|err| format!("certificate {}: {err} (is apiv3_key_file right?)", e.serial_no))?;
        let pem = String::from_utf8(pem).map_err(|_| format!("certificate {}: decrypted data is not text", e.serial_no))?;
        let cert = PlatformCert::from_pem(&pem).map_err(|err| format!("certificate {}: {err}", e.serial_no))?;
        if cert.serial != normalize_serial(&e.serial_no) {
            return Err(format!("certificate entry {} holds a certificate with serial {}", e.serial_no, cert.serial));
        }
        out.push(cert);
    }
    Ok(out)
}

/// Platform certificates in memory, by serial.
#[derive(Debug, Default)]
pub struct CertStore {
    map: RwLock<HashMap<String, PlatformCert>>,
}

impl CertStore {
    pub fn get(&self, serial: &str) -> Option<PlatformCert> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).get(&normalize_serial(serial)).cloned()
    }

    /// Adds (or replaces) certificates.
    pub fn insert_all(&self, certs: Vec<PlatformCert>) {
        let mut m = self.map.write().unwrap_or_else(|p| p.into_inner());
        for c in certs {
            m.insert(c.serial.clone(), c);
        }
    }

    /// Drops certificates that expired before `now`.
    pub fn prune(&self, now: DateTime<Utc>) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).retain(|_, c| c.not_after >= now);
    }

    /// How many certificates are valid at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).values().filter(|c| c.valid_at(now)).count()
    }

    /// The latest expiry among the certificates held.
    pub fn latest_expiry(&self) -> Option<DateTime<Utc>> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).values().map(|c| c.not_after).max()
    }

    pub fn serials(&self) -> Vec<String> {
        let mut v: Vec<String> = self.map.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::testdata::{demo_file, vector_text, DEMO_PLATFORM_SERIAL};

    fn t4_body() -> Vec<u8> {
        let ct = vector_text("wechat/cert_download_ciphertext.b64");
        serde_json::to_vec(&serde_json::json!({"data": [{
            "serial_no": "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC",
            "effective_time": "2021-06-23T14:26:00+08:00",
            "expire_time": "2026-06-22T14:26:00+08:00",
            "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": "14b16c03dc1b", "associated_data": "certificate", "ciphertext": ct.trim()}
        }]}))
        .unwrap()
    }

    #[test]
    fn t4_certificate_download_decrypts_to_the_listed_serial() {
        let key = ApiV3Key::new("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb").unwrap();
        let certs = decrypt_certificates(&t4_body(), &key).unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].serial, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
        assert!(certs[0].not_before < certs[0].not_after);
        // Another APIv3 key: the AEAD tag fails, and the error says which file to check.
        let e = decrypt_certificates(&t4_body(), &ApiV3Key::new(&"x".repeat(32)).unwrap()).unwrap_err();
        assert!(e.contains("apiv3_key_file"), "{e}");
        // An entry that lies about its serial is refused.
        let lying = String::from_utf8(t4_body()).unwrap().replace("5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC", "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427ED");
        assert!(decrypt_certificates(lying.as_bytes(), &key).unwrap_err().contains("holds a certificate with serial"));
    }

    #[test]
    fn demo_certificates_parse_with_their_serials() {
        let p = PlatformCert::from_pem(&demo_file("wechat/platform_cert.pem")).unwrap();
        assert_eq!(p.serial, DEMO_PLATFORM_SERIAL);
        let m = PlatformCert::from_pem(&demo_file("wechat/apiclient_cert.pem")).unwrap();
        assert_eq!(m.serial, "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E");
        // The merchant certificate carries the demo merchant key.
        let merchant = crate::sign::RsaSigner::from_pem(&demo_file("merchant_private.pem")).unwrap();
        assert_eq!(m.public_pem, merchant.public_key().to_pem());
        let both = format!("{}\n{}", demo_file("wechat/platform_cert.pem"), demo_file("wechat/apiclient_cert.pem"));
        assert_eq!(PlatformCert::all_from_pem(&both).unwrap().len(), 2);
        assert!(PlatformCert::all_from_pem("nothing here").is_err());
        assert!(PlatformCert::from_pem(&demo_file("merchant_public.pem")).is_err());
    }

    #[test]
    fn store_normalises_serials_and_prunes_expired() {
        let s = CertStore::default();
        s.insert_all(vec![PlatformCert::from_pem(&demo_file("wechat/platform_cert.pem")).unwrap()]);
        assert!(s.get(&DEMO_PLATFORM_SERIAL.to_lowercase()).is_some());
        assert!(s.get(&format!("00{DEMO_PLATFORM_SERIAL}")).is_some());
        assert_eq!(s.usable(Utc::now()), 1);
        let later = DateTime::from_timestamp(4_102_444_800, 0).unwrap();
        assert_eq!(s.usable(later), 0);
        s.prune(later);
        assert!(s.serials().is_empty());
        assert_eq!(normalize_serial("00ab"), "AB");
    }
}
