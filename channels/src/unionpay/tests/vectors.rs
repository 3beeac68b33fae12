//! Vectors T14 (5.1.0 notification, test chain), T15 (production QR notification, CRLF
//! certificate) and T16 (request signature from the public test PFX), protocols.md §7.

use chrono::{TimeZone, Utc};

use super::super::cert::{Cert, TrustPolicy, UNIONPAY_CN};
use super::super::{client, sign, wire};
use super::*;

fn t14_fields() -> wire::Fields {
    let text = String::from_utf8(vector_bytes("WtzCompleteFrontOpen.txt")).unwrap();
    crate::alipay::notify::parse_form(text.trim().as_bytes(), None).unwrap()
}

fn test_chain() -> (Cert, Cert) {
    (Cert::parse(&vector_bytes("acp_test_middle.cer")).unwrap(), Cert::parse(&vector_bytes("acp_test_root.cer")).unwrap())
}

#[test]
fn t14_notification_verifies_and_chains_to_the_test_certificates() {
    let f = t14_fields();
    assert_eq!(wire::get(&f, "txnType"), Some("79"));
    assert_eq!(sign::digest_hex(wire::pairs(&f)), "e9fa180c291a5d8016c720b14a7339bc26f0af44105ab4ba74e57ff7975e80da");
    let leaf = Cert::parse(wire::get(&f, "signPubKeyCert").unwrap().as_bytes()).unwrap();
    assert_eq!(leaf.subject_cn(), "041@Z12@00040000:SIGN@00000062");
    let (middle, root) = test_chain();
    // The test environment: no CN check; the 2017 leaf is checked at a pinned time.
    let mut trust = TrustPolicy { middle, root, check_cn: false, check_time: false };
    let key = trust.verify_signing_cert(&leaf, Utc::now()).unwrap();
    assert!(sign::verify(&key, wire::pairs(&f)));
    trust.check_time = true;
    assert!(trust.verify_signing_cert(&leaf, Utc.with_ymd_and_hms(2016, 6, 1, 0, 0, 0).unwrap()).is_ok());
    let e = trust.verify_signing_cert(&leaf, Utc::now()).unwrap_err().to_string();
    assert!(e.contains("signing certificate is not valid"), "{e}");
    trust.check_time = false;
    trust.check_cn = true;
    let e = trust.verify_signing_cert(&leaf, Utc::now()).unwrap_err().to_string();
    assert!(e.contains("041@Z12@00040000:SIGN@00000062") && e.contains(UNIONPAY_CN), "{e}");
    // One changed field breaks it.
    let mut tampered = f.clone();
    for (k, v) in tampered.iter_mut() {
        if k == "orderId" {
            v.push('1');
        }
    }
    assert!(!sign::verify(&key, wire::pairs(&tampered)));
}

#[test]
fn t14_chain_refuses_other_intermediates() {
    let f = t14_fields();
    let leaf = Cert::parse(wire::get(&f, "signPubKeyCert").unwrap().as_bytes()).unwrap();
    let (_, root) = test_chain();
    // The simulator's chain does not vouch for the CFCA test leaf.
    let sim_middle = Cert::parse(&std::fs::read(demo_dir().join("unionpay/acp_sim_middle.cer")).unwrap()).unwrap();
    let trust = TrustPolicy { middle: sim_middle, root: root.clone(), check_cn: false, check_time: false };
    assert!(trust.verify_signing_cert(&leaf, Utc::now()).unwrap_err().to_string().contains("not issued by"));
    // A leaf that is its own "middle" is refused too (issuer ≠ subject).
    let trust = TrustPolicy { middle: leaf.clone(), root, check_cn: false, check_time: false };
    assert!(trust.verify_signing_cert(&leaf, Utc::now()).is_err());
}

#[test]
fn t15_production_notification_needs_crlf_certificate_text() {
    let v: serde_json::Value = serde_json::from_slice(&vector_bytes("qr_notify_production.json")).unwrap();
    let f: wire::Fields = v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    assert_eq!(sign::digest_hex(wire::pairs(&f)), "2d433cfe24fdeb0631abf1290a79bfd5848cd73c43e81b2f94de290ab272e794");
    let leaf = Cert::parse(wire::get(&f, "signPubKeyCert").unwrap().as_bytes()).unwrap();
    assert_eq!(leaf.subject_cn().split('@').nth(2), Some(UNIONPAY_CN), "production CN field 3");
    let key = leaf.public_key().unwrap();
    assert!(sign::verify(&key, wire::pairs(&f)));
    let lf: wire::Fields = f.iter().map(|(k, v)| (k.clone(), if k == "signPubKeyCert" { v.replace("\r\n", "\n") } else { v.clone() })).collect();
    assert!(!sign::verify(&key, wire::pairs(&lf)), "normalising the certificate's line ends breaks the signature");
}

#[test]
fn t16_request_signature_from_the_public_test_pfx() {
    let dir = vectors_dir();
    let a = account(&[
        ("mer_id", "777290058165621"),
        ("environment", "test"),
        ("sign_cert_file", "keys/acp_test_sign.pfx"),
        ("sign_cert_password", "000000"),
        ("middle_cert_file", "keys/acp_test_middle.cer"),
        ("root_cert_file", "keys/acp_test_root.cer"),
    ]);
    let files = ["acp_test_sign.pfx", "acp_test_middle.cer", "acp_test_root.cer"].map(|f| (f, dir.join(f)));
    let home = crate::keyfiles::home_with_keys(&files.iter().map(|(n, p)| (*n, p.as_path())).collect::<Vec<_>>());
    let s = super::super::Settings::load(&a, &env(home.path())).unwrap();
    assert_eq!(s.cert_id, "69903319369");
    assert_eq!(s.gateway, "https://gateway.test.95516.com");
    assert!(!s.trust.check_cn && !s.trust.check_time, "the test environment skips CN and date checks");
    let own = [
        ("orderId", "20240101000001".to_string()),
        ("txnTime", "20240101120000".to_string()),
        ("txnAmt", "100".to_string()),
        ("currencyCode", "156".to_string()),
        ("backUrl", "https://example.com/upnotify".to_string()),
    ];
    let f = client::request(&s, wire::APPLY_QR, &own);
    assert_eq!(sign::digest_hex(wire::pairs(&f)), "acef737a1a763d534a143ab085374b2e49543a29a52643c334b89827a6848400");
    let expected = "GGvO40D8WdCddMs5ngEa/6YJQ1cCzuUh5pvYCwcn010N5ygj6ZGvEa7GbK6lu882F1KJkmohLB+MbzIPfrw+6bKXVhmW8WRNydsmYbFGlIxNbbOAbLO8cgQX4aAz1OMp3so2446EFdifrpPNTjWLAeRITiwejScWKs0a3kUrmRZFERAMJbI2MRQgRh/dFJIzvR4o22lCifeKfLUl/nnmk9KhqDWtsiLg+XGILTvkTk8vGSqr2bTYsDmeYovGru0U64SMp6V2juJ9HygOJeffvkJDLtbfO0na5Gh2cPSBfMSPrrGX7T+QWp6X7lEEBYurx5OZ1FK7pNpXK2+M1gnG6A==";
    assert_eq!(wire::get(&f, "signature"), Some(expected));
    // The same key as PEM (up_key.pem) gives the same signature.
    let pem = crate::sign::RsaSigner::from_pem(&String::from_utf8(vector_bytes("up_key.pem")).unwrap()).unwrap();
    assert_eq!(sign::sign(&pem, wire::pairs(&f)), expected);
    // A wrong password is named, never echoed.
    let mut bad = a.clone();
    bad.params.insert("sign_cert_password".into(), toml::Value::String("123456".into()));
    let e = super::super::Settings::load(&bad, &env(home.path())).unwrap_err().to_string();
    assert!(e.contains("sign_cert_file") && e.contains("password") && !e.contains("123456"), "{e}");
}
