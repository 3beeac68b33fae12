//! Mapping of every code, sub_code and trade_status handled; amounts and times; notifications.

use chrono::TimeZone;
use paydesk_core::channel::*;
use paydesk_core::{Money, OrderNo, RefundNo};

use super::super::map::{self, Answer, CancelStep, Ctx, RefundStep};
use super::super::wire::Reply;
use super::{alipay_signer, demo_channel};

const CTX: Ctx<'static> = Ctx { account: "ali-test", app_id: "2021000122671080", method: "alipay.trade.pay" };

fn r(code: &str, sub: &str) -> Reply {
    Reply { code: code.into(), msg: Some("msg".into()), sub_code: Some(sub.into()).filter(|s: &String| !s.is_empty()), sub_msg: Some("sub msg".into()), ..Default::default() }
}

fn biz(sub: &str) -> Answer {
    Answer::Business(r("40004", sub))
}

#[test]
fn classify_public_codes() {
    use ChannelError as E;
    assert!(matches!(map::classify(&CTX, r("10000", ""), true), Ok(Answer::Success(_))));
    assert!(matches!(map::classify(&CTX, r("10003", ""), true), Ok(Answer::Waiting(_))));
    assert!(matches!(map::classify(&CTX, r("40004", "ACQ.X"), true), Ok(Answer::Business(_))));
    type Check = fn(&E) -> bool;
    let cases: [(&str, &str, bool, Check); 12] = [
        ("10000", "", false, |e| matches!(e, E::SignatureInvalid { .. })),
        ("10003", "", false, |e| matches!(e, E::SignatureInvalid { .. })),
        ("20000", "isp.unknow-error", true, |e| matches!(e, E::Unavailable { .. })),
        ("20000", "isp.unknow-error", false, |e| matches!(e, E::Unavailable { .. })),
        ("20001", "aop.invalid-auth-token", false, |e| matches!(e, E::Config(_))),
        ("40001", "isv.missing-method", true, |e| matches!(e, E::Rejected { .. })),
        ("40002", "isv.invalid-signature", false, |e| matches!(e, E::Config(m) if m.contains("private_key_file"))),
        ("40002", "isv.invalid-app-id", false, |e| matches!(e, E::Config(m) if m.contains("app_id"))),
        ("40002", "isv.invalid-app-cert-sn", false, |e| matches!(e, E::Config(m) if m.contains("app_cert_file"))),
        ("40002", "isv.invalid-parameter", true, |e| matches!(e, E::Rejected { .. })),
        ("40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH", false, |e| matches!(e, E::Protocol { .. })),
        ("40006", "isv.insufficient-isv-permissions", true, |e| matches!(e, E::Config(m) if m.contains("face-to-face"))),
    ];
    for (code, sub, signed, want) in cases {
        let e = map::classify(&CTX, r(code, sub), signed).unwrap_err();
        assert!(want(&e), "{code} {sub} signed={signed}: {e:?}");
    }
    let e = map::classify(&CTX, r("12345", ""), true).unwrap_err();
    assert!(matches!(e, ChannelError::Protocol { .. }) && e.outcome_unknown());
}

#[test]
fn pay_answers() {
    let mut ok = r("10000", "");
    ok.trade_no = Some("2024010122001400001".into());
    ok.total_amount = Some("12.30".into());
    ok.gmt_payment = Some("2024-01-01 12:00:05".into());
    let st = map::pay(&CTX, Answer::Success(ok.clone())).unwrap();
    assert_eq!(st.state, TradeState::Paid);
    assert_eq!(st.amount, Some(Money::from_fen(1230).unwrap()));
    assert_eq!(st.paid_at, Some(chrono::Utc.with_ymd_and_hms(2024, 1, 1, 4, 0, 5).unwrap()));
    assert_eq!(st.channel_trade_no.as_deref(), Some("2024010122001400001"));
    ok.total_amount = Some("12.3x".into());
    assert!(map::pay(&CTX, Answer::Success(ok)).unwrap_err().outcome_unknown());

    assert_eq!(map::pay(&CTX, Answer::Waiting(r("10003", ""))).unwrap().state, TradeState::Waiting);
    for sub in map::PAY_DEFINITIVE {
        let st = map::pay(&CTX, biz(sub)).unwrap();
        assert_eq!(st.state, TradeState::Failed { code: sub.to_string(), message: "sub msg".into() }, "{sub}");
    }
    assert_eq!(map::pay(&CTX, biz("ACQ.TRADE_HAS_SUCCESS")).unwrap().state, TradeState::Unknown { raw: "ACQ.TRADE_HAS_SUCCESS".into() });
    let e = map::pay(&CTX, biz(map::SYSTEM_ERROR)).unwrap_err();
    assert!(matches!(e, ChannelError::Unavailable { .. }) && e.outcome_unknown());
    // An unrecognised sub_code is never taken as a failure.
    let e = map::pay(&CTX, biz("ACQ.SOMETHING_NEW")).unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
}

fn query_reply(status: &str, paid: bool) -> Answer {
    let mut q = r("10000", "");
    q.trade_status = Some(status.into());
    q.total_amount = Some("0.01".into());
    q.send_pay_date = paid.then(|| "2024-01-01 12:00:00".to_string());
    Answer::Success(q)
}

#[test]
fn query_trade_statuses() {
    let state = |s, paid| map::query(&CTX, query_reply(s, paid)).unwrap().state;
    assert_eq!(state("WAIT_BUYER_PAY", false), TradeState::Waiting);
    assert_eq!(state("TRADE_SUCCESS", true), TradeState::Paid);
    assert_eq!(state("TRADE_FINISHED", true), TradeState::Paid);
    assert_eq!(state("TRADE_CLOSED", false), TradeState::Closed);
    // Paid, then fully refunded or reversed: still closed, never "paid".
    assert_eq!(state("TRADE_CLOSED", true), TradeState::Closed);
    assert_eq!(state("TRADE_PENDING", false), TradeState::Unknown { raw: "TRADE_PENDING".into() });
    let st = map::query(&CTX, query_reply("TRADE_SUCCESS", true)).unwrap();
    assert_eq!((st.amount, st.raw_status.as_str()), (Some(Money::from_fen(1).unwrap()), "TRADE_SUCCESS"));
    assert_eq!(map::query(&CTX, biz(map::TRADE_NOT_EXIST)).unwrap().state, TradeState::NotFound);
    assert!(matches!(map::query(&CTX, biz(map::SYSTEM_ERROR)), Err(ChannelError::Unavailable { .. })));
    assert!(matches!(map::query(&CTX, biz("ACQ.INVALID_PARAMETER")), Err(ChannelError::Rejected { .. })));
}

#[test]
fn close_answers() {
    assert!(map::close(&CTX, Answer::Success(r("10000", ""))).is_ok());
    assert!(map::close(&CTX, biz(map::TRADE_NOT_EXIST)).is_ok());
    assert!(matches!(map::close(&CTX, biz("ACQ.TRADE_STATUS_ERROR")), Err(ChannelError::Rejected { .. })));
    assert!(matches!(map::close(&CTX, biz(map::SYSTEM_ERROR)), Err(ChannelError::Unavailable { .. })));
}

#[test]
fn cancel_answers() {
    let with = |code: &str, sub: &str, retry: &str, action: &str| {
        let mut x = r(code, sub);
        x.retry_flag = Some(retry.into());
        x.action = Some(action.into()).filter(|a: &String| !a.is_empty());
        if code == "10000" {
            Answer::Success(x)
        } else {
            Answer::Business(x)
        }
    };
    assert_eq!(map::cancel(&CTX, with("10000", "", "N", "close")).unwrap(), CancelStep::Done(CancelOutcome::Closed));
    assert_eq!(map::cancel(&CTX, with("10000", "", "N", "refund")).unwrap(), CancelStep::Done(CancelOutcome::Refunded));
    assert_eq!(map::cancel(&CTX, with("10000", "", "N", "")).unwrap(), CancelStep::Done(CancelOutcome::Closed));
    assert!(matches!(map::cancel(&CTX, with("10000", "", "Y", "")).unwrap(), CancelStep::Retry(_)));
    assert!(matches!(map::cancel(&CTX, with("40004", map::SYSTEM_ERROR, "Y", "")).unwrap(), CancelStep::Retry(_)));
    assert!(matches!(map::cancel(&CTX, with("40004", map::SYSTEM_ERROR, "N", "")), Err(ChannelError::Unavailable { .. })));
    assert_eq!(map::cancel(&CTX, with("40004", map::TRADE_NOT_EXIST, "N", "")).unwrap(), CancelStep::Done(CancelOutcome::Closed));
    assert!(matches!(map::cancel(&CTX, with("40004", "ACQ.REASON_TRADE_BEEN_FREEZEN", "N", "")), Err(ChannelError::Rejected { .. })));
}

#[test]
fn refund_answers() {
    let mut ok = r("10000", "");
    ok.fund_change = Some("Y".into());
    assert_eq!(map::refund(&CTX, Answer::Success(ok.clone())).unwrap(), RefundStep::Done(RefundResult { state: RefundState::Success, channel_refund_no: None }));
    ok.fund_change = Some("N".into());
    assert_eq!(map::refund(&CTX, Answer::Success(ok)).unwrap(), RefundStep::Confirm);
    for sub in map::REFUND_DEFINITIVE {
        assert!(matches!(map::refund(&CTX, biz(sub)), Err(ChannelError::Rejected { .. })), "{sub}");
    }
    assert!(matches!(map::refund(&CTX, biz(map::SYSTEM_ERROR)), Err(ChannelError::Unavailable { .. })));
    assert!(map::refund(&CTX, biz("ACQ.NEW_THING")).unwrap_err().outcome_unknown());
}

#[test]
fn refund_query_answers() {
    let ten = Money::from_fen(1000).unwrap();
    let q = |no: Option<&str>, amount: Option<&str>, status: Option<&str>| {
        let mut x = r("10000", "");
        x.out_request_no = no.map(str::to_string);
        x.refund_amount = amount.map(str::to_string);
        x.refund_status = status.map(str::to_string);
        map::refund_query(&CTX, Answer::Success(x), ten)
    };
    assert_eq!(q(None, None, None).unwrap().state, RefundState::NotFound);
    assert_eq!(q(Some("R1"), Some("10.00"), Some("REFUND_SUCCESS")).unwrap().state, RefundState::Success);
    assert_eq!(q(Some("R1"), Some("10.00"), None).unwrap().state, RefundState::Success);
    assert_eq!(q(Some("R1"), Some("10.00"), Some("REFUND_PROCESSING")).unwrap().state, RefundState::Processing);
    assert!(matches!(q(Some("R1"), Some("9.00"), Some("REFUND_SUCCESS")), Err(ChannelError::Mismatch { .. })));
    assert_eq!(map::refund_query(&CTX, biz(map::TRADE_NOT_EXIST), ten).unwrap().state, RefundState::NotFound);
    assert!(matches!(map::refund_query(&CTX, biz(map::SYSTEM_ERROR), ten), Err(ChannelError::Unavailable { .. })));
}

#[test]
fn bill_url_answers() {
    let mut ok = r("10000", "");
    assert!(matches!(map::bill_url(&CTX, Answer::Success(ok.clone())), Err(ChannelError::Protocol { .. })));
    ok.bill_download_url = Some("http://127.0.0.1/bill.zip".into());
    assert_eq!(map::bill_url(&CTX, Answer::Success(ok)).unwrap(), "http://127.0.0.1/bill.zip");
    assert!(matches!(map::bill_url(&CTX, biz("isp.bill_not_exist")), Err(ChannelError::Rejected { .. })));
}

#[test]
fn messages_never_carry_payment_codes() {
    assert_eq!(map::scrub("auth_code 286648123456789012 x"), "auth_code 2866**********9012 x");
    // 28-digit trade numbers and short numbers are kept.
    assert_eq!(map::scrub("trade 2019091622001458860515315453 n 12"), "trade 2019091622001458860515315453 n 12");
}

fn order(fen: i64) -> OrderRef {
    OrderRef { order_no: "P20240101120000000T1001".parse().unwrap(), amount: Money::from_fen(fen).unwrap(), channel_trade_no: None, created_at: chrono::Utc::now() }
}

#[test]
fn total_amount_is_yuan_with_two_decimals() {
    let ch = demo_channel(&[("store_id", "S1")]);
    let expires = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 4, 5, 0).unwrap();
    for (fen, text) in [(1, "0.01"), (10, "0.10"), (100, "1.00"), (1230, "12.30"), (123_456, "1234.56"), (10_000_000_000, "100000000.00")] {
        let req = CreateQr { order: order(fen), method: paydesk_core::Method::Alipay, subject: "a/b=c&d 咖啡".into(), notify_url: None, expires_at: expires };
        let b = ch.precreate_biz(&req);
        assert_eq!(b.total_amount, text);
        assert_eq!(b.subject, "a b c d 咖啡");
        assert_eq!(b.time_expire.as_deref(), Some("2024-01-01 12:05:00"));
        assert_eq!(b.store_id.as_deref(), Some("S1"));
        let pay = ch.pay_biz(&BarcodePay { order: order(fen), subject: "s".into(), auth_code: "286648123456789012".into(), notify_url: None });
        assert_eq!((pay.total_amount.as_str(), pay.scene.as_str(), pay.product_code.as_str()), (text, "bar_code", "FACE_TO_FACE_PAYMENT"));
        assert!(!format!("{pay:?}").contains("286648123456789012"));
        let refund = super::super::Alipay::refund_biz(&RefundRequest { order: order(fen), refund_no: "R20240101120000000T1001".parse::<RefundNo>().unwrap(), amount: Money::from_fen(fen).unwrap(), reason: None, notify_url: None, created_at: chrono::Utc::now() });
        assert_eq!((refund.refund_amount.as_str(), refund.out_request_no.as_str()), (text, "R20240101120000000T1001"));
    }
    let json = serde_json::to_string(&ch.precreate_biz(&CreateQr { order: order(1230), method: paydesk_core::Method::Alipay, subject: "s".into(), notify_url: None, expires_at: expires })).unwrap();
    assert!(json.contains("\"total_amount\":\"12.30\""), "{json}");
}

#[test]
fn beijing_time_both_ways() {
    let t = map::beijing_time(Some("2024-01-01 00:30:00")).unwrap();
    assert_eq!(t, chrono::Utc.with_ymd_and_hms(2023, 12, 31, 16, 30, 0).unwrap());
    assert_eq!(map::format_beijing(t), "2024-01-01 00:30:00");
    assert_eq!(map::beijing_time(Some("2024/01/01 00:30")), None);
    assert_eq!(map::beijing_time(None), None);
}

/// A notification form signed by the demo Alipay key.
fn notification(fields: &[(&str, &str)]) -> Vec<u8> {
    let content = super::super::sign::notify_content(fields.iter().copied());
    let mut pairs: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
    pairs.push(("sign", alipay_signer().sign_b64(content.as_bytes())));
    serde_urlencoded::to_string(&pairs).unwrap().into_bytes()
}

fn paid_fields<'a>(status: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("notify_type", "trade_status_sync"),
        ("notify_id", "2024010100222120000000000001"),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("app_id", "2021000122671080"),
        ("seller_id", "2088000122671080"),
        ("out_trade_no", "P20240101120000000T1001"),
        ("trade_no", "2024010122001400000001"),
        ("trade_status", status),
        ("total_amount", "12.30"),
        ("subject", "咖啡 & 茶"),
        ("fund_bill_list", "[{\"amount\":\"12.30\",\"fundChannel\":\"ALIPAYACCOUNT\"}]"),
        ("gmt_payment", "2024-01-01 12:00:05"),
    ];
    f.extend_from_slice(extra);
    f
}

fn callback(body: Vec<u8>) -> CallbackRequest {
    CallbackRequest { headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())], body, received_at: chrono::Utc::now() }
}

#[test]
fn notifications_map_to_payment_events() {
    let ch = demo_channel(&[("seller_id", "2088000122671080")]);
    let ev = ch.parse_callback(&callback(notification(&paid_fields("TRADE_SUCCESS", &[])))).unwrap();
    let CallbackEvent::Payment { order_no, total, status } = ev else { panic!("not a payment") };
    assert_eq!(order_no, "P20240101120000000T1001".parse::<OrderNo>().unwrap());
    assert_eq!(total, Money::from_fen(1230).unwrap());
    assert_eq!(status.state, TradeState::Paid);
    assert_eq!(status.paid_at, Some(chrono::Utc.with_ymd_and_hms(2024, 1, 1, 4, 0, 5).unwrap()));
    assert_eq!(status.channel_trade_no.as_deref(), Some("2024010122001400000001"));

    let state = |f: Vec<(&str, &str)>| match ch.parse_callback(&callback(notification(&f))).unwrap() {
        CallbackEvent::Payment { status, .. } => status.state,
        other => panic!("{other:?}"),
    };
    assert_eq!(state(paid_fields("TRADE_FINISHED", &[])), TradeState::Paid);
    assert_eq!(state(paid_fields("TRADE_SUCCESS", &[("refund_fee", "2.00"), ("out_biz_no", "R20240101120000000T1001"), ("gmt_refund", "2024-01-01 13:00:00.123")])), TradeState::Refunded);
    assert_eq!(state(paid_fields("TRADE_CLOSED", &[("refund_fee", "12.30")])), TradeState::Closed);
    let mut closed = paid_fields("TRADE_CLOSED", &[]);
    closed.retain(|(k, _)| *k != "gmt_payment");
    assert_eq!(state(closed), TradeState::Closed);
    assert_eq!(state(paid_fields("WAIT_BUYER_PAY", &[])), TradeState::Waiting);
    assert_eq!(state(paid_fields("TRADE_LATER", &[])), TradeState::Unknown { raw: "TRADE_LATER".into() });
}

#[test]
fn notifications_that_are_refused() {
    let ch = demo_channel(&[("seller_id", "2088000122671080")]);
    let err = |body: Vec<u8>| ch.parse_callback(&callback(body)).unwrap_err();
    // Forged: signed by someone else.
    let mut forged_pairs: Vec<(String, String)> = paid_fields("TRADE_SUCCESS", &[]).iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    let other = crate::sign::RsaSigner::from_pem(&std::fs::read_to_string(super::demo_dir().join("merchant_private.pem")).unwrap()).unwrap();
    forged_pairs.push(("sign".into(), other.sign_b64(super::super::sign::notify_content(forged_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).as_bytes())));
    assert!(matches!(err(serde_urlencoded::to_string(&forged_pairs).unwrap().into_bytes()), ChannelError::SignatureInvalid { .. }));
    // Tampered amount.
    let body = String::from_utf8(notification(&paid_fields("TRADE_SUCCESS", &[]))).unwrap().replace("total_amount=12.30", "total_amount=0.01");
    assert!(matches!(err(body.into_bytes()), ChannelError::SignatureInvalid { .. }));
    // No sign; RSA (SHA-1) sign_type; a field twice.
    let mut unsigned = paid_fields("TRADE_SUCCESS", &[]);
    unsigned.retain(|(k, _)| *k != "sign_type");
    assert!(matches!(err(serde_urlencoded::to_string(&unsigned).unwrap().into_bytes()), ChannelError::SignatureInvalid { .. }));
    let rsa1: Vec<(&str, &str)> = paid_fields("TRADE_SUCCESS", &[]).into_iter().map(|(k, v)| if k == "sign_type" { (k, "RSA") } else { (k, v) }).collect();
    assert!(matches!(err(notification(&rsa1)), ChannelError::SignatureInvalid { .. }));
    let mut twice = notification(&paid_fields("TRADE_SUCCESS", &[]));
    twice.extend_from_slice(b"&total_amount=0.01");
    assert!(matches!(err(twice), ChannelError::SignatureInvalid { .. }));
    // Validly signed, but for another app or seller.
    let other_app: Vec<(&str, &str)> = paid_fields("TRADE_SUCCESS", &[]).into_iter().map(|(k, v)| if k == "app_id" { (k, "2021000199999999") } else { (k, v) }).collect();
    assert!(matches!(err(notification(&other_app)), ChannelError::Mismatch { .. }));
    let other_seller: Vec<(&str, &str)> = paid_fields("TRADE_SUCCESS", &[]).into_iter().map(|(k, v)| if k == "seller_id" { (k, "2088999999999999") } else { (k, v) }).collect();
    assert!(matches!(err(notification(&other_seller)), ChannelError::Mismatch { .. }));
    // Not a trade notification.
    let other_type: Vec<(&str, &str)> = paid_fields("TRADE_SUCCESS", &[]).into_iter().map(|(k, v)| if k == "notify_type" { (k, "servicemarket_order_notify") } else { (k, v) }).collect();
    assert!(matches!(err(notification(&other_type)), ChannelError::Protocol { .. }));
}

#[test]
fn gbk_notifications_decode_by_charset() {
    let ch = demo_channel(&[]);
    let fields = paid_fields("TRADE_SUCCESS", &[]);
    let fields: Vec<(&str, &str)> = fields.into_iter().map(|(k, v)| if k == "charset" { (k, "gbk") } else { (k, v) }).collect();
    let content = super::super::sign::notify_content(fields.iter().copied());
    let sig = alipay_signer().sign_b64(content.as_bytes());
    // Percent-encode the GBK bytes of each value by hand.
    let enc = |s: &str| encoding_rs::GBK.encode(s).0.iter().map(|b| format!("%{b:02X}")).collect::<String>();
    let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    body.push(format!("sign={}", enc(&sig)));
    let req = CallbackRequest { headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=GBK".into())], body: body.join("&").into_bytes(), received_at: chrono::Utc::now() };
    assert!(matches!(ch.parse_callback(&req).unwrap(), CallbackEvent::Payment { .. }));
}

#[test]
fn callback_replies() {
    let ch = demo_channel(&[]);
    let ok = ch.callback_reply(true);
    assert_eq!((ok.status, ok.body.as_slice()), (200, b"success".as_slice()));
    assert_eq!(ok.body.len(), 7);
    let no = ch.callback_reply(false);
    assert_ne!(no.body, b"success".to_vec());
}
