//! Account configuration: modes, keys, certificates; errors name the field, never the key.

use paydesk_core::ChannelError;

use super::super::{config::gateway_url, Alipay, PRODUCTION_GATEWAY};
use super::{account, demo_dir, env, vectors_home};

fn load(params: &[(&str, &str)]) -> Result<Alipay, ChannelError> {
    Alipay::new(&account(params, None), &env(&demo_dir()))
}

fn config_err(params: &[(&str, &str)]) -> String {
    match load(params) {
        Err(ChannelError::Config(m)) => {
            assert!(!m.contains("BEGIN") && !m.contains("MII"), "key material in: {m}");
            assert!(m.contains("ali-test"), "account not named: {m}");
            m
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

const BASE: [(&str, &str); 3] = [("app_id", "2021000122671080"), ("private_key_file", "merchant_private.pem"), ("alipay_public_key_file", "gateway_public.pem")];

fn with(extra: &[(&'static str, &'static str)], without: &[&str]) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = BASE.iter().copied().filter(|(k, _)| !without.contains(k)).collect();
    v.extend_from_slice(extra);
    v
}

#[test]
fn public_key_mode_loads() {
    let ch = load(&BASE).unwrap();
    assert!(ch.settings().certs.is_none());
    assert_eq!(ch.settings().gateway, PRODUCTION_GATEWAY);
    assert_eq!(ch.cancel_retry(), std::time::Duration::from_millis(2000));
    // Debug output never shows key material.
    let dbg = format!("{ch:?}");
    assert!(!dbg.contains("MII") && dbg.contains("redacted"), "{dbg}");
}

#[test]
fn pkcs8_private_key_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let pkcs1 = std::fs::read_to_string(demo_dir().join("merchant_private.pem")).unwrap();
    let key = <rsa::RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_pem(&pkcs1).unwrap();
    let pkcs8 = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, rsa::pkcs8::LineEnding::LF).unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/app8.pem"), pkcs8.as_bytes()).unwrap();
    std::fs::copy(demo_dir().join("gateway_public.pem"), dir.path().join("keys/alipay.pem")).unwrap();
    let a = account(&[("app_id", "2021000122671080"), ("private_key_file", "keys/app8.pem"), ("alipay_public_key_file", "keys/alipay.pem")], None);
    let ch = Alipay::new(&a, &env(dir.path())).unwrap();
    let pkcs1_ch = load(&BASE).unwrap();
    // Same key, same signature.
    assert_eq!(ch.settings().signer.sign_b64(b"x"), pkcs1_ch.settings().signer.sign_b64(b"x"));
}

#[test]
fn missing_and_wrong_settings_name_the_field() {
    assert!(config_err(&with(&[], &["app_id"])).contains("app_id"));
    assert!(config_err(&with(&[("app_id", "abc")], &["app_id"])).contains("app_id"));
    assert!(config_err(&with(&[], &["private_key_file"])).contains("private_key_file"));
    assert!(config_err(&with(&[("private_key_file", "nope.pem")], &["private_key_file"])).contains("private_key_file"));
    assert!(config_err(&with(&[("private_key_file", "gateway_public.pem")], &["private_key_file"])).contains("private_key_file"));
    assert!(config_err(&with(&[], &["alipay_public_key_file"])).contains("alipay_public_key_file"));
    assert!(config_err(&with(&[("seller_id", "12345")], &[])).contains("seller_id"));
    assert!(config_err(&with(&[("alipay_pubkey_file", "x")], &[])).contains("alipay_pubkey_file"));
    assert!(config_err(&with(&[("terminal_id", "123456789012345678901234567890123")], &[])).contains("terminal_id"));
}

#[test]
fn the_apps_own_public_key_is_not_taken_for_alipays() {
    let m = config_err(&with(&[("alipay_public_key_file", "merchant_public.pem")], &["alipay_public_key_file"]));
    assert!(m.contains("alipay_public_key_file") && m.contains("own public key"), "{m}");
}

#[test]
fn modes_are_exclusive_and_certificate_mode_needs_all_three() {
    let m = config_err(&with(&[("app_cert_file", "alipay/appCertPublicKey.crt")], &[]));
    assert!(m.contains("not both"), "{m}");
    let m = config_err(&with(&[("app_cert_file", "alipay/appCertPublicKey.crt")], &["alipay_public_key_file"]));
    assert!(m.contains("alipay_cert_file") && m.contains("alipay_root_cert_file"), "{m}");
    let m = config_err(&with(&[("alipay_public_key_file", "alipay/alipayCertPublicKey_RSA2.crt")], &["alipay_public_key_file"]));
    assert!(m.contains("certificate mode"), "{m}");
}

#[test]
fn certificate_mode_with_demo_certificates() {
    let certs = [("app_cert_file", "alipay/appCertPublicKey.crt"), ("alipay_cert_file", "alipay/alipayCertPublicKey_RSA2.crt"), ("alipay_root_cert_file", "alipay/alipayRootCert.crt")];
    let ch = load(&with(&certs, &["alipay_public_key_file"])).unwrap();
    let sns = ch.settings().certs.clone().unwrap();
    let read = |n: &str| std::fs::read(demo_dir().join(n)).unwrap();
    assert_eq!(sns.app_cert_sn, super::super::sign::cert_sn(&read("alipay/appCertPublicKey.crt")).unwrap());
    assert_eq!(sns.alipay_cert_sn, super::super::sign::cert_sn(&read("alipay/alipayCertPublicKey_RSA2.crt")).unwrap());
    // The demo root bundle has one RSA root and one EC root: only the RSA one counts.
    assert_eq!(sns.alipay_root_cert_sn.len(), 32, "{}", sns.alipay_root_cert_sn);
    // Requests carry both SNs, and they are signed.
    let form = ch.signed_form("alipay.trade.query", "{}", None, chrono::Utc::now());
    assert!(form.iter().any(|(k, v)| *k == "app_cert_sn" && *v == sns.app_cert_sn));
    assert!(form.iter().any(|(k, v)| *k == "alipay_root_cert_sn" && *v == sns.alipay_root_cert_sn));
    // Swapped certificates are caught.
    let swapped = [("app_cert_file", "alipay/alipayCertPublicKey_RSA2.crt"), ("alipay_cert_file", "alipay/appCertPublicKey.crt"), ("alipay_root_cert_file", "alipay/alipayRootCert.crt")];
    assert!(config_err(&with(&swapped, &["alipay_public_key_file"])).contains("app_cert_file"));
}

#[test]
fn an_app_certificate_of_another_key_is_refused() {
    // The SDK's test app certificate was issued for another key than its test private key.
    let a = account(
        &[
            ("app_id", "2021001161683774"),
            ("private_key_file", "keys/alipay/app-private-key.pem"),
            ("app_cert_file", "keys/alipay/appCertPublicKey_2021001161683774.crt"),
            ("alipay_cert_file", "keys/alipay/alipayCertPublicKey_RSA2.crt"),
            ("alipay_root_cert_file", "keys/alipay/alipayRootCert.crt"),
        ],
        None,
    );
    let home = vectors_home(&["alipay/app-private-key.pem", "alipay/appCertPublicKey_2021001161683774.crt", "alipay/alipayCertPublicKey_RSA2.crt", "alipay/alipayRootCert.crt"]);
    match Alipay::new(&a, &env(home.path())) {
        Err(ChannelError::Config(m)) => assert!(m.contains("app_cert_file") && m.contains("private_key_file"), "{m}"),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn gateway_url_from_base_url() {
    assert_eq!(gateway_url(&account(&[], None)), PRODUCTION_GATEWAY);
    assert_eq!(gateway_url(&account(&[], Some("https://openapi-sandbox.dl.alipaydev.com/gateway.do"))), super::super::SANDBOX_GATEWAY);
    assert_eq!(gateway_url(&account(&[], Some("http://127.0.0.1:8429/alipay/"))), "http://127.0.0.1:8429/alipay/gateway.do");
}

#[test]
fn cancel_retry_is_configurable() {
    let mut a = account(&BASE, None);
    a.params.insert("cancel_retry_ms".into(), toml::Value::Integer(10));
    let ch = Alipay::new(&a, &env(&demo_dir())).unwrap();
    assert_eq!(ch.cancel_retry(), std::time::Duration::from_millis(10));
    a.params.insert("cancel_retry_ms".into(), toml::Value::String("fast".into()));
    assert!(matches!(Alipay::new(&a, &env(&demo_dir())), Err(ChannelError::Config(m)) if m.contains("cancel_retry_ms")));
}
