//! UnionPay certificates (protocols.md §4.2–4.3): the merchant signing certificate's `certId`
//! (its **decimal** serial), and the checks on the `signPubKeyCert` that UnionPay sends with every
//! reply and notification — it must chain to the configured intermediate and root (CFCA's are
//! SHA-1-signed, so SHA-1 RSA is accepted for certificate signatures only), its subject CN's third
//! `@`-field must be `中国银联股份有限公司` (production), and it must be valid at the time of the check.

use chrono::{DateTime, Utc};
use ring::signature::{UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::*;

use crate::sign::RsaVerifier;

/// The organisation UnionPay's production signing certificates name in CN field 3.
pub const UNIONPAY_CN: &str = "中国银联股份有限公司";

/// A certificate problem, described without the certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("not a certificate (PEM or DER X.509 expected)")]
    NotCertificate,
    #[error("the certificate's key is not RSA")]
    NotRsaKey,
    #[error("not issued by the configured {0} certificate")]
    NotIssuedBy(&'static str),
    #[error("the {0} certificate's signature does not verify")]
    BadSignature(&'static str),
    #[error("the {0} certificate uses an unsupported signature algorithm ({1})")]
    Algorithm(&'static str, String),
    #[error("the {which} certificate is not valid at {at} (valid {from} to {to})")]
    Expired { which: &'static str, at: String, from: String, to: String },
    #[error("the signing certificate's CN {0:?} is not UnionPay's (field 3 must be {UNIONPAY_CN})")]
    WrongCn(String),
}

/// Every DER certificate in a PEM text (or the bytes themselves when they are DER).
pub fn ders(bytes: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        parse_x509_certificate(bytes).map_err(|_| CertError::NotCertificate)?;
        return Ok(vec![bytes.to_vec()]);
    }
    let mut out = Vec::new();
    for pem in Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|_| CertError::NotCertificate)?;
        if pem.label == "CERTIFICATE" {
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err(CertError::NotCertificate);
    }
    Ok(out)
}

/// One parsed certificate, kept as DER.
#[derive(Clone, PartialEq, Eq)]
pub struct Cert {
    der: Vec<u8>,
}

impl std::fmt::Debug for Cert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cert").field("serial", &self.serial_decimal()).finish()
    }
}

impl Cert {
    /// The first certificate of a PEM text or a DER blob.
    pub fn parse(bytes: &[u8]) -> Result<Cert, CertError> {
        let der = ders(bytes)?.into_iter().next().ok_or(CertError::NotCertificate)?;
        Cert::from_der(der)
    }

    pub fn from_der(der: Vec<u8>) -> Result<Cert, CertError> {
        parse_x509_certificate(&der).map_err(|_| CertError::NotCertificate)?;
        Ok(Cert { der })
    }

    fn x509(&self) -> X509Certificate<'_> {
        // Checked in `from_der`.
        parse_x509_certificate(&self.der).map(|(_, c)| c).unwrap_or_else(|_| unreachable!("parsed at construction"))
    }

    /// The serial as a decimal string: UnionPay's `certId`.
    pub fn serial_decimal(&self) -> String {
        self.x509().tbs_certificate.serial.to_str_radix(10)
    }

    /// The subject's common name (UTF-8).
    pub fn subject_cn(&self) -> String {
        let c = self.x509();
        let Some(a) = c.subject().iter_common_name().next() else { return String::new() };
        // CFCA test CNs are TeletexStrings ('@' is not printable): read their bytes as text.
        a.as_str().map(str::to_string).unwrap_or_else(|_| String::from_utf8_lossy(a.attr_value().data).into_owned())
    }

    pub fn public_key(&self) -> Result<RsaVerifier, CertError> {
        use rsa::pkcs8::DecodePublicKey;
        let key = rsa::RsaPublicKey::from_public_key_der(self.x509().public_key().raw).map_err(|_| CertError::NotRsaKey)?;
        Ok(RsaVerifier::from_public_key(key))
    }

    /// Whether `self` was issued (and signed) by `issuer`.
    pub fn check_issued_by(&self, issuer: &Cert, which: &'static str) -> Result<(), CertError> {
        let c = self.x509();
        let i = issuer.x509();
        if c.issuer().as_raw() != i.subject().as_raw() {
            return Err(CertError::NotIssuedBy(which));
        }
        let oid = c.signature_algorithm.algorithm.to_id_string();
        let alg: &dyn VerificationAlgorithm = match oid.as_str() {
            // sha1WithRSAEncryption: CFCA's UnionPay chain is signed with SHA-1.
            "1.2.840.113549.1.1.5" => &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            "1.2.840.113549.1.1.11" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            "1.2.840.113549.1.1.12" => &ring::signature::RSA_PKCS1_2048_8192_SHA384,
            "1.2.840.113549.1.1.13" => &ring::signature::RSA_PKCS1_2048_8192_SHA512,
            other => return Err(CertError::Algorithm(which, other.to_string())),
        };
        // ring wants the PKCS#1 RSAPublicKey: the SPKI's subjectPublicKey bits.
        let key = i.public_key().subject_public_key.data.as_ref();
        UnparsedPublicKey::new(alg, key).verify(c.tbs_certificate.as_ref(), c.signature_value.data.as_ref()).map_err(|_| CertError::BadSignature(which))
    }

    /// Whether the certificate is valid at `at`.
    pub fn check_time(&self, at: DateTime<Utc>, which: &'static str) -> Result<(), CertError> {
        let c = self.x509();
        let v = c.validity();
        let t = at.timestamp();
        if t < v.not_before.timestamp() || t > v.not_after.timestamp() {
            return Err(CertError::Expired { which, at: at.format("%Y-%m-%d").to_string(), from: v.not_before.to_string(), to: v.not_after.to_string() });
        }
        Ok(())
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// What a `signPubKeyCert` must satisfy.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    pub middle: Cert,
    pub root: Cert,
    /// Require CN field 3 = [`UNIONPAY_CN`] (production; off for the test environment).
    pub check_cn: bool,
    /// Check validity dates (production); `None` = skip. Tests pin the time.
    pub check_time: bool,
}

impl TrustPolicy {
    /// Checks a signing certificate received from UnionPay and returns its key.
    pub fn verify_signing_cert(&self, leaf: &Cert, now: DateTime<Utc>) -> Result<RsaVerifier, CertError> {
        leaf.check_issued_by(&self.middle, "middle (intermediate)")?;
        self.middle.check_issued_by(&self.root, "root")?;
        if self.check_time {
            leaf.check_time(now, "signing")?;
            self.middle.check_time(now, "middle")?;
            self.root.check_time(now, "root")?;
        }
        if self.check_cn {
            let cn = leaf.subject_cn();
            if cn.split('@').nth(2) != Some(UNIONPAY_CN) {
                return Err(CertError::WrongCn(cn));
            }
        }
        leaf.public_key()
    }
}
