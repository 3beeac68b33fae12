//! Reply extraction (the raw `<method>_response` substring) and reply verification.

use paydesk_core::channel::ChannelError;

use super::super::map::Answer;
use super::super::sign::{response_key, split_reply};
use super::super::wire;
use super::{alipay_signer, demo_channel, reply};
use crate::http::HttpResponse;
use crate::sign::RsaSigner;

const M: &str = "alipay.trade.query";

#[test]
fn response_key_replaces_dots() {
    assert_eq!(response_key("alipay.trade.fastpay.refund.query"), "alipay_trade_fastpay_refund_query_response");
}

#[test]
fn substring_keeps_escaped_slashes_and_exact_bytes() {
    let body = r#"{"alipay_trade_query_response":{"code":"10000","msg":"Success","url":"http:\/\/a.example\/x?y=1&z=2"},"sign":"c2ln"}"#;
    let r = split_reply(body, M).unwrap();
    assert_eq!(r.content, r#"{"code":"10000","msg":"Success","url":"http:\/\/a.example\/x?y=1&z=2"}"#);
    assert_eq!(r.sign.as_deref(), Some("c2ln"));
}

#[test]
fn substring_with_whitespace_and_newlines_between_tokens() {
    let body = "{\"alipay_trade_query_response\"\n  :\n  {\"code\":\"10000\",\n \"msg\":\"Success\"} ,\n\n   \"sign\"  :  \"c2ln\"\n}\n";
    let r = split_reply(body, M).unwrap();
    assert_eq!(r.content, "{\"code\":\"10000\",\n \"msg\":\"Success\"}");
    assert_eq!(r.sign.as_deref(), Some("c2ln"));
}

#[test]
fn nested_sign_key_is_not_the_signature() {
    let body = r#"{"alipay_trade_query_response":{"code":"10000","sign":"inner","x":{"sign":"deeper"}},"sign":"outer"}"#;
    let r = split_reply(body, M).unwrap();
    assert_eq!(r.content, r#"{"code":"10000","sign":"inner","x":{"sign":"deeper"}}"#);
    assert_eq!(r.sign.as_deref(), Some("outer"));
    // Sign first, reply second: order does not matter.
    let body = r#"{"sign":"outer","alipay_trade_query_response":{"code":"10000","sign":"inner"}}"#;
    let r = split_reply(body, M).unwrap();
    assert_eq!(r.content, r#"{"code":"10000","sign":"inner"}"#);
    assert_eq!(r.sign.as_deref(), Some("outer"));
}

#[test]
fn braces_and_quotes_inside_strings() {
    let body = r#"{"alipay_trade_query_response":{"code":"10000","msg":"}{ ] [ \"}\" \\","list":[{"a":"}"},["{"]]},"sign":"s"}"#;
    let r = split_reply(body, M).unwrap();
    assert_eq!(r.content, r#"{"code":"10000","msg":"}{ ] [ \"}\" \\","list":[{"a":"}"},["{"]]}"#);
    let v: serde_json::Value = serde_json::from_str(r.content).unwrap();
    assert_eq!(v["msg"], "}{ ] [ \"}\" \\");
}

#[test]
fn non_ascii_content_is_kept_verbatim() {
    let body = "{\"alipay_trade_query_response\":{\"code\":\"40004\",\"sub_msg\":\"交易不存在\",\"u\":\"\\u4ea4\"},\"sign\":\"s\"}";
    let r = split_reply(body, M).unwrap();
    assert_eq!(r.content, "{\"code\":\"40004\",\"sub_msg\":\"交易不存在\",\"u\":\"\\u4ea4\"}");
}

#[test]
fn error_response_and_missing_or_empty_sign() {
    let body = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}"#;
    let r = split_reply(body, M).unwrap();
    assert!(r.is_error_response);
    assert_eq!(r.sign, None);
    let body = r#"{"alipay_trade_query_response":{"code":"40002"},"sign":""}"#;
    assert_eq!(split_reply(body, M).unwrap().sign, None);
    let body = r#"{"alipay_trade_query_response":{"code":"10000"},"sign":null,"alipay_cert_sn":"abc"}"#;
    let r = split_reply(body, M).unwrap();
    assert_eq!((r.sign, r.alipay_cert_sn.as_deref()), (None, Some("abc")));
}

#[test]
fn malformed_replies_are_refused() {
    for body in [
        "",
        "[]",
        "not json",
        r#"{"other_response":{"code":"10000"},"sign":"s"}"#,
        r#"{"alipay_trade_query_response":"text","sign":"s"}"#,
        r#"{"alipay_trade_query_response":{"code":"10000"},"sign":"a","sign":"b"}"#,
        r#"{"alipay_trade_query_response":{"code":"10000"},"sign":"s"} trailing"#,
        r#"{"alipay_trade_query_response":{"code":"10000","msg":"unterminated},"sign":"s"}"#,
        r#"{"alipay_trade_query_response":{"code":"10000"],"sign":"s"}"#,
        r#"{"alipay_trade_query_response":{"code":"10000"},"sign":12}"#,
    ] {
        assert!(split_reply(body, M).is_err(), "accepted: {body}");
    }
}

fn http(body: &str) -> HttpResponse {
    HttpResponse { status: 200, headers: vec![], body: body.as_bytes().to_vec() }
}

#[test]
fn signed_success_is_accepted_and_tampering_is_not() {
    let ch = demo_channel(&[]);
    let content = r#"{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS","total_amount":"12.30","url":"a\/b"}"#;
    let ok = ch.answer(wire::QUERY, &reply(wire::QUERY, content, Some(&alipay_signer()))).unwrap();
    assert!(matches!(ok, Answer::Success(r) if r.total_amount.as_deref() == Some("12.30")));
    // Same signature, one byte changed in the reply.
    let good = String::from_utf8(reply(wire::QUERY, content, Some(&alipay_signer())).body).unwrap();
    let bad = good.replace("12.30", "92.30");
    let e = ch.answer(wire::QUERY, &http(&bad)).unwrap_err();
    assert!(matches!(e, ChannelError::SignatureInvalid { .. }), "{e:?}");
    assert!(e.outcome_unknown());
}

#[test]
fn reply_signed_by_another_key_names_the_setting() {
    let ch = demo_channel(&[]);
    let stranger = RsaSigner::from_pem(&std::fs::read_to_string(super::demo_dir().join("merchant_private.pem")).unwrap()).unwrap();
    let e = ch.answer(wire::QUERY, &reply(wire::QUERY, r#"{"code":"10000","msg":"Success"}"#, Some(&stranger))).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ChannelError::SignatureInvalid { .. }), "{e:?}");
    assert!(text.contains("alipay_public_key_file"), "{text}");
}

#[test]
fn unsigned_success_is_never_success() {
    let ch = demo_channel(&[]);
    for code in ["10000", "10003"] {
        let e = ch.answer(wire::PAY, &reply(wire::PAY, &format!(r#"{{"code":"{code}","msg":"Success"}}"#), None)).unwrap_err();
        assert!(matches!(e, ChannelError::SignatureInvalid { .. }), "{code}: {e:?}");
        assert!(e.outcome_unknown());
    }
    // An unsigned business refusal is not trusted as definitive either.
    let e = ch.answer(wire::PAY, &reply(wire::PAY, r#"{"code":"40004","sub_code":"ACQ.BUYER_BALANCE_NOT_ENOUGH"}"#, None)).unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
}

#[test]
fn unsigned_gateway_errors_say_key_or_app_id_without_secrets() {
    let ch = demo_channel(&[]);
    // The gateway's sub_msg echoes the signed string, payment code included: it must not leak.
    let leak = "验签出错，网关生成的验签字符串为：app_id=2021000122671080&biz_content={\"auth_code\":\"286648123456789012\"}";
    let body = format!(r#"{{"error_response":{{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"{}"}}}}"#, leak.replace('"', "\\\""));
    let e = ch.answer(wire::PAY, &http(&body)).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ChannelError::Config(_)), "{e:?}");
    assert!(text.contains("private_key_file") && text.contains("ali-test"), "{text}");
    assert!(!text.contains("286648123456789012") && !text.contains("BEGIN") && !text.contains("MII"), "{text}");
    assert!(!e.outcome_unknown());

    let body = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}"#;
    let text = ch.answer(wire::PAY, &http(body)).unwrap_err().to_string();
    assert!(text.contains("app_id 2021000122671080") && text.contains("base_url"), "{text}");

    let body = r#"{"alipay_trade_pay_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-timestamp"}}"#;
    assert!(ch.answer(wire::PAY, &http(body)).unwrap_err().to_string().contains("clock"));
}

#[test]
fn http_errors_and_garbage() {
    let ch = demo_channel(&[]);
    let e = ch.answer(wire::QUERY, &HttpResponse { status: 502, headers: vec![], body: b"<html>".to_vec() }).unwrap_err();
    assert!(matches!(e, ChannelError::Unavailable { .. }));
    let e = ch.answer(wire::QUERY, &HttpResponse { status: 404, headers: vec![], body: vec![] }).unwrap_err();
    assert!(matches!(e, ChannelError::Protocol { .. }) && e.outcome_unknown());
    let e = ch.answer(wire::QUERY, &http("<html>busy</html>")).unwrap_err();
    assert!(matches!(e, ChannelError::Protocol { .. }));
    let e = ch.answer(wire::QUERY, &HttpResponse { status: 200, headers: vec![], body: vec![0xff, 0xfe] }).unwrap_err();
    assert!(matches!(e, ChannelError::Protocol { .. }));
    // A reply for another method is not taken for ours.
    let e = ch.answer(wire::QUERY, &reply(wire::PAY, r#"{"code":"10000"}"#, Some(&alipay_signer()))).unwrap_err();
    assert!(matches!(e, ChannelError::Protocol { .. }), "{e:?}");
}
