//! Verified replies: the signature over the fields as received, the certificate chain, the merchant.

use chrono::Utc;
use paydesk_core::channel::ChannelError;

use super::super::{client, sign, wire};
use super::*;
use crate::http::HttpResponse;
use crate::sign::RsaSigner;

fn key(name: &str) -> RsaSigner {
    RsaSigner::from_pem(&std::fs::read_to_string(demo_dir().join(name)).unwrap()).unwrap()
}

/// A reply signed by `signer` carrying `cert` (PEM file in the demo folder) as signPubKeyCert.
fn reply(signer: &RsaSigner, cert: &str, fields: &[(&str, &str)]) -> HttpResponse {
    let pem = std::fs::read_to_string(demo_dir().join(cert)).unwrap().replace('\n', "\r\n");
    let mut f: wire::Fields = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    f.push(("signPubKeyCert".into(), pem));
    let sig = sign::sign(signer, wire::pairs(&f));
    f.push(("signature".into(), sig));
    let body = f.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    HttpResponse { status: 200, headers: vec![], body: body.into_bytes() }
}

const OK: &[(&str, &str)] = &[("merId", "777290058165621"), ("respCode", "00"), ("respMsg", "成功[0000000]"), ("tokenPayData", "{a=1&b=2}")];

#[test]
fn a_genuine_reply_verifies_over_the_raw_fields() {
    let s = demo_settings(&[]);
    let f = client::answer(&s, wire::QUERY, &reply(&key("gateway_private.pem"), "unionpay/gateway_sign_cert.pem", OK), Utc::now()).unwrap();
    assert_eq!(wire::get(&f, "tokenPayData"), Some("{a=1&b=2}"));
}

#[test]
fn forged_foreign_and_unsigned_replies_are_refused() {
    let s = demo_settings(&[]);
    let now = Utc::now();
    // Signed with a key that is not the certificate's.
    let e = client::answer(&s, wire::QUERY, &reply(&key("merchant_private.pem"), "unionpay/gateway_sign_cert.pem", OK), now).unwrap_err();
    assert!(matches!(e, ChannelError::SignatureInvalid { .. }), "{e}");
    // Signed by a key whose certificate is not from UnionPay's chain (our own merchant certificate
    // chains, but its CN is not UnionPay's).
    let e = client::answer(&s, wire::QUERY, &reply(&key("merchant_private.pem"), "unionpay/merchant_sign_cert.pem", OK), now).unwrap_err();
    assert!(e.to_string().contains("CN"), "{e}");
    // The Alipay demo certificate: another chain altogether.
    let e = client::answer(&s, wire::QUERY, &reply(&key("merchant_private.pem"), "alipay/appCertPublicKey.crt", OK), now).unwrap_err();
    assert!(e.to_string().contains("middle_cert_file"), "{e}");
    // Tampered after signing.
    let mut r = reply(&key("gateway_private.pem"), "unionpay/gateway_sign_cert.pem", OK);
    r.body = String::from_utf8(r.body).unwrap().replace("respCode=00", "respCode=01").into_bytes();
    assert!(matches!(client::answer(&s, wire::QUERY, &r, now).unwrap_err(), ChannelError::SignatureInvalid { .. }));
    // Genuine, but for another merchant.
    let other = [("merId", "777290058199999"), ("respCode", "00")];
    assert!(matches!(client::answer(&s, wire::QUERY, &reply(&key("gateway_private.pem"), "unionpay/gateway_sign_cert.pem", &other), now).unwrap_err(), ChannelError::Mismatch { .. }));
    // Unsigned: never trusted; "11" says our own key is wrong.
    let unsigned = |body: &str| HttpResponse { status: 200, headers: vec![], body: body.as_bytes().to_vec() };
    let e = client::answer(&s, wire::REFUND, &unsigned("respCode=00&respMsg=ok"), now).unwrap_err();
    assert!(e.outcome_unknown(), "{e}");
    let e = client::answer(&s, wire::REFUND, &unsigned("respCode=11&respMsg=验证签名失败"), now).unwrap_err();
    assert!(matches!(&e, ChannelError::Config(m) if m.contains("sign_cert_file")), "{e}");
    assert!(client::answer(&s, wire::QUERY, &HttpResponse { status: 502, headers: vec![], body: vec![] }, now).unwrap_err().outcome_unknown());
}

#[test]
fn the_signing_certificate_dates_are_checked_in_production() {
    let s = demo_settings(&[]);
    let r = reply(&key("gateway_private.pem"), "unionpay/gateway_sign_cert.pem", OK);
    let long_ago = chrono::TimeZone::with_ymd_and_hms(&Utc, 2001, 1, 1, 0, 0, 0).unwrap();
    let e = client::answer(&s, wire::QUERY, &r, long_ago).unwrap_err();
    assert!(e.to_string().contains("not valid"), "{e}");
    let relaxed = demo_settings(&[("verify_cert_time", "false")]);
    assert!(client::answer(&relaxed, wire::QUERY, &r, long_ago).is_ok());
}
