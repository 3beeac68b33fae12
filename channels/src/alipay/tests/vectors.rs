//! Protocol vectors T10–T13 (protocols.md §7), reproduced through the channel's own code.

use base64::Engine;
use chrono::TimeZone;
use paydesk_core::channel::{CallbackRequest, ChannelError};

use super::super::{config::Settings, notify, sign, wire, Alipay};
use super::{account, env, vector, vectors_dir, vectors_home};
use crate::sign::RsaVerifier;

const T12_CANONICAL: &str = "app_id=2021000122671080&biz_content={\"out_trade_no\":\"T20240101000001\",\"total_amount\":\"0.01\",\"subject\":\"测试\"}&charset=utf-8&method=alipay.trade.precreate&notify_url=https://example.com/notify&sign_type=RSA2&timestamp=2024-01-01 12:00:00&version=1.0";
const T12_SIGN: &str = "DGlBTxzg6B3jBKYqVno001QCjMUYBQE9EAEw3frqNRZ+XCNcFqIQ+EHR2vslIsKOvQreGLyRn6efWlYOs7A4Bo0qx37R6Dfecuzb5RbYTp5zUYrA+nxfM/GJioN3cneBVXrlWh7Z3/1yviixf2KK8mP1ohfFygOrLL3Ava3j52LgdcKdZMBjLIdhl10nK8D04EucrV9ob0Rqe0+lnKuPM3DNtWWsQoposVhTWCt0AgoerrOdYfbADNSwj0O5lTIm1sKrgyuFuwhnqVnbjvfT2zq1TE8Z9kp4hDv5PdgskHXghF7fM0tRHFsXW9drUy6ueifo/yTpscMWLL45zhyT+w==";

fn t12_channel() -> Alipay {
    let a = account(
        &[("app_id", "2021000122671080"), ("private_key_file", "keys/alipay/app-private-key.pem"), ("alipay_public_key_file", "keys/alipay/alipay-public-key.pem")],
        None,
    );
    let home = vectors_home(&["alipay/app-private-key.pem", "alipay/alipay-public-key.pem"]);
    Alipay::new(&a, &env(home.path())).unwrap()
}

#[test]
fn t12_request_signature_is_byte_exact() {
    let ch = t12_channel();
    let biz = wire::Precreate {
        out_trade_no: "T20240101000001".into(),
        total_amount: "0.01".into(),
        subject: "测试".into(),
        store_id: None,
        terminal_id: None,
        time_expire: None,
    };
    let biz_content = serde_json::to_string(&biz).unwrap();
    // 12:00:00 Beijing time.
    let now = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 4, 0, 0).unwrap();
    let form = ch.signed_form(wire::PRECREATE, &biz_content, Some("https://example.com/notify"), now);
    let content = sign::request_content(form.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(content, T12_CANONICAL);
    let (last, value) = form.last().unwrap();
    assert_eq!(*last, "sign");
    assert_eq!(value, T12_SIGN);
    // On the wire every value is URL-encoded once, and decodes back to exactly what was signed.
    let body = serde_urlencoded::to_string(&form).unwrap();
    assert!(body.contains("timestamp=2024-01-01+12%3A00%3A00"), "{body}");
    let back: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    assert_eq!(back.iter().find(|(k, _)| k == "biz_content").unwrap().1, biz_content);
    assert_eq!(back.iter().find(|(k, _)| k == "sign").unwrap().1, T12_SIGN);
}

#[test]
fn t12_signature_changes_with_any_parameter() {
    let ch = t12_channel();
    let now = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 4, 0, 1).unwrap();
    let form = ch.signed_form(wire::PRECREATE, "{\"out_trade_no\":\"T20240101000001\",\"total_amount\":\"0.01\",\"subject\":\"测试\"}", Some("https://example.com/notify"), now);
    assert_ne!(form.last().unwrap().1, T12_SIGN);
}

#[test]
fn t11_reply_substring_and_signature() {
    let raw = vector("response_t11.json");
    let r = sign::split_reply(raw.trim(), "alipay.open.file.upload").unwrap();
    assert_eq!(r.content, "{\"code\":\"10000\",\"msg\":\"Success\",\"file_id\":\"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr\"}");
    assert!(!r.is_error_response);
    let key = RsaVerifier::from_pem(&super::super::config::normalize_pem(&vector("alipay-public-key.pem"))).unwrap();
    let sig = r.sign.as_deref().unwrap();
    assert!(key.verify_b64(r.content.as_bytes(), sig));
    assert!(!key.verify_b64(r.content.replace("10000", "10001").as_bytes(), sig));
    // Verifying over the whole body, or a re-serialised object, fails: only the raw substring works.
    assert!(!key.verify_b64(raw.trim().as_bytes(), sig));
}

fn t10_settings(app_id: &str) -> Settings {
    let der = serde_json::from_str::<serde_json::Value>(&vector("notify_t10.json")).unwrap()["alipay_public_key_der_base64"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/alipay.pem"), &der).unwrap();
    std::fs::copy(vectors_dir().join("alipay/app-private-key.pem"), dir.path().join("keys/app.pem")).unwrap();
    let a = account(&[("app_id", app_id), ("private_key_file", "keys/app.pem"), ("alipay_public_key_file", "keys/alipay.pem")], None);
    Settings::load(&a, &env(dir.path())).unwrap()
}

fn t10_form() -> (Vec<(String, String)>, String) {
    let v: serde_json::Value = serde_json::from_str(&vector("notify_t10.json")).unwrap();
    let mut pairs: Vec<(String, String)> = v["params"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    pairs.push(("sign".into(), v["sign"].as_str().unwrap().to_string()));
    let body = serde_urlencoded::to_string(&pairs).unwrap();
    (pairs, body)
}

#[test]
fn t10_notification_verifies_without_sign_type_only() {
    let (pairs, _) = t10_form();
    let s = t10_settings("2019073166072302");
    let sig = &pairs.iter().find(|(k, _)| k == "sign").unwrap().1;
    let without = sign::notify_content(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(without.starts_with("app_id=2019073166072302&auth_app_id=2019073166072302&buyer_id="), "{without}");
    assert!(without.contains("&fund_bill_list=[{\"amount\":\"0.10\",\"fundChannel\":\"ALIPAYACCOUNT\"}]&"));
    assert!(!without.contains("sign_type"));
    assert!(s.alipay_key.verify_b64(without.as_bytes(), sig));
    // Keeping sign_type (the request rule) must not verify.
    let with = sign::request_content(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(with.contains("&sign_type=RSA2&"));
    assert!(!s.alipay_key.verify_b64(with.as_bytes(), sig));
}

#[test]
fn t10_through_parse_callback() {
    let (_, body) = t10_form();
    let req = |body: &str| CallbackRequest { headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())], body: body.as_bytes().to_vec(), received_at: chrono::Utc::now() };
    // Signature and app id pass; the vector's out_trade_no is not a Paydesk order number.
    let e = notify::parse_callback(&t10_settings("2019073166072302"), &req(&body)).unwrap_err();
    assert!(matches!(&e, ChannelError::Protocol { detail, .. } if detail.contains("out_trade_no")), "{e:?}");
    // Another app id: refused after verification.
    let e = notify::parse_callback(&t10_settings("2019073166072399"), &req(&body)).unwrap_err();
    assert!(matches!(e, ChannelError::Mismatch { .. }), "{e:?}");
    // Tampered amount: the signature fails first.
    let tampered = body.replace("total_amount=0.10", "total_amount=9.10");
    assert_ne!(tampered, body);
    let e = notify::parse_callback(&t10_settings("2019073166072302"), &req(&tampered)).unwrap_err();
    assert!(matches!(e, ChannelError::SignatureInvalid { .. }), "{e:?}");
}

#[test]
fn t13_certificate_serial_numbers() {
    let app = vector("appCertPublicKey_2021001161683774.crt");
    let alipay = vector("alipayCertPublicKey_RSA2.crt");
    let root = vector("alipayRootCert.crt");
    assert_eq!(sign::cert_sn(app.as_bytes()).unwrap(), "866efef280dec9137a87d047ac446315");
    assert_eq!(sign::cert_sn(alipay.as_bytes()).unwrap(), "7513daaaa48aa3ba2e4018d84402479c");
    assert_eq!(sign::root_cert_sn(root.as_bytes()).unwrap(), "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6");
    // The string hashed for the app certificate (issuer in RFC 4514 order + decimal serial).
    let ders: Vec<_> = x509_parser::pem::Pem::iter_from_buffer(app.as_bytes()).map(|p| p.unwrap()).collect();
    let cert = ders[0].parse_x509().unwrap();
    let text = format!("{}{}", sign::issuer_rfc4514(cert.issuer()), cert.serial);
    assert_eq!(text, "CN=Ant Financial Certification Authority Class 1 R1,OU=Certification Authority,O=Ant Financial,C=CN42701552708448241360226107228231049510");
    assert_eq!(crate::sign::md5_hex(text.as_bytes()), "866efef280dec9137a87d047ac446315");
    // The verifying key comes out of the Alipay certificate.
    assert!(sign::cert_public_key(alipay.as_bytes()).is_ok());
    assert_eq!(sign::cert_sn(b"not a certificate").unwrap_err(), sign::CertError::NotCertificate);
}

#[test]
fn bare_base64_alipay_key_as_the_console_shows_it_loads() {
    let der = serde_json::from_str::<serde_json::Value>(&vector("notify_t10.json")).unwrap()["alipay_public_key_der_base64"].as_str().unwrap().to_string();
    assert!(base64::engine::general_purpose::STANDARD.decode(&der).is_ok());
    assert!(RsaVerifier::from_pem(&der).is_ok());
}
