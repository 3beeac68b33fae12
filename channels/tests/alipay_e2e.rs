//! The Alipay channel end to end: Payments → Alipay client → simulated Alipay gateway →
//! callback server, in public-key and certificate mode.

mod common;

use std::time::Duration;

use common::{yuan, Harness};
use paydesk_channels::alipay::{bill, sign::notify_content};
use paydesk_channels::sign::RsaSigner;
use paydesk_channels::sim::{demo_keys_dir, SimStatus};
use paydesk_core::payments::{BarcodeInput, QrInput, RefundRequestInput};
use paydesk_core::statement::StatementKind;
use paydesk_core::{EventSource, Method, OrderStatus, RefundStatus};

const ACCOUNT: &str = r#"
[[account]]
name = "alipay-main"
channel = "alipay"
fee_rate_bp = 38
base_url = "{SIM}/alipay"
[account.params]
app_id = "2021000122671080"
seller_id = "2088000122671080"
private_key_file = "{KEYS}/merchant_private.pem"
alipay_public_key_file = "{KEYS}/gateway_public.pem"
cancel_retry_ms = 50
"#;

const CERT_ACCOUNT: &str = r#"
[[account]]
name = "alipay-cert"
channel = "alipay"
base_url = "{SIM}/alipay/gateway.do"
[account.params]
app_id = "2021000122671080"
private_key_file = "{KEYS}/merchant_private.pem"
app_cert_file = "{KEYS}/alipay/appCertPublicKey.crt"
alipay_cert_file = "{KEYS}/alipay/alipayCertPublicKey_RSA2.crt"
alipay_root_cert_file = "{KEYS}/alipay/alipayRootCert.crt"
"#;

/// Misconfigured accounts: a private key that is not the app's (`{OTHER_KEY}`), an app id Alipay
/// does not know.
const BAD_ACCOUNTS: &str = r#"
[[account]]
name = "alipay-wrong-key"
channel = "alipay"
base_url = "{SIM}/alipay"
[account.params]
app_id = "2021000122671080"
private_key_file = "{OTHER_KEY}"
alipay_public_key_file = "{KEYS}/gateway_public.pem"

[[account]]
name = "alipay-wrong-app"
channel = "alipay"
base_url = "{SIM}/alipay"
[account.params]
app_id = "1234567890123456"
private_key_file = "{KEYS}/merchant_private.pem"
alipay_public_key_file = "{KEYS}/gateway_public.pem"

[[account]]
name = "alipay-wrong-root"
channel = "alipay"
base_url = "{SIM}/alipay"
[account.params]
app_id = "2021000122671080"
private_key_file = "{KEYS}/merchant_private.pem"
app_cert_file = "{KEYS}/alipay/appCertPublicKey.crt"
alipay_cert_file = "{KEYS}/alipay/alipayCertPublicKey_RSA2.crt"
alipay_root_cert_file = "{KEYS}/alipay/alipayCertPublicKey_RSA2.crt"
"#;

fn qr(amount: &str) -> QrInput {
    QrInput { amount: yuan(amount), method: Some(Method::Alipay), subject: Some("咖啡/拿铁".into()), ..Default::default() }
}

fn barcode(amount: &str, code: &str) -> BarcodeInput {
    BarcodeInput { amount: yuan(amount), auth_code: code.into(), ..Default::default() }
}

fn key(name: &str) -> RsaSigner {
    RsaSigner::from_pem(&std::fs::read_to_string(demo_keys_dir().join(name)).unwrap()).unwrap()
}

/// A notification form signed with `signer` (RSA2 over the fields without sign/sign_type).
fn notification(signer: &RsaSigner, fields: &[(&str, String)]) -> Vec<u8> {
    let content = notify_content(fields.iter().map(|(k, v)| (*k, v.as_str())));
    let mut all: Vec<(&str, String)> = fields.to_vec();
    all.push(("sign_type", "RSA2".into()));
    all.push(("sign", signer.sign_b64(content.as_bytes())));
    serde_urlencoded::to_string(&all).unwrap().into_bytes()
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");

#[tokio::test]
async fn qr_paid_by_callback() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.create_qr(qr("12.34"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Processing);
    assert!(o.qr_code.as_deref().unwrap().starts_with("https://qr.alipay.com/"), "{:?}", o.qr_code);
    // Not scanned yet: Alipay does not know the trade; the order stays open.
    let still = h.payments.query(&o.order_no, EventSource::Poll).await.unwrap();
    assert_eq!(still.status, OrderStatus::Processing);
    h.scan(&o.order_no, "pay", false).await;
    let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
    assert!(done.paid_at.is_some());
    assert!(done.channel_trade_no.as_deref().is_some_and(|t| t.len() == 28), "{:?}", done.channel_trade_no);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.events.last().unwrap().source, EventSource::Callback);
    assert!(h.deliveries().await.iter().any(|(n, s)| n == o.order_no.as_str() && *s == 200));
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!((t.subject.as_str(), t.amount), ("咖啡 拿铁", 1234), "subject cleaned of '/', amount in fen");
}

#[tokio::test]
async fn qr_paid_with_the_callback_lost_is_found_by_query() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.create_qr(qr("2.00"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let o = h.payments.wait_final(&o.order_no, Duration::from_secs(5), Duration::from_millis(100)).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.events.last().unwrap().source, EventSource::Poll);
    assert!(h.deliveries().await.is_empty(), "no callback was sent");
    // An unpaid QR is closed at the channel and in the book.
    let o2 = h.payments.create_qr(qr("3.00"), &paydesk_core::Principal::System).await.unwrap();
    let c = h.payments.close(&o2.order_no, EventSource::User, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(c.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.find(o2.order_no.as_str()).unwrap().status, SimStatus::Closed, "it can no longer be paid");
}

#[tokio::test]
async fn barcode_immediate_and_after_password() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("5.00", "286648123456789010"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert_eq!(o.auth_code_masked.as_deref(), Some("2866**********9010"));
    assert!(o.channel_trade_no.is_some());
    // 10003: the payer enters the password; found paid while we poll.
    let o = h.payments.barcode_pay(barcode("5.00", "286648123456789015"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert!(d.events.iter().any(|e| e.detail.contains("waiting for the payer")), "{:?}", d.events);
}

#[tokio::test]
async fn barcode_waiting_forever_is_cancelled_and_closed() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("6.00", "286648123456789016"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().status, SimStatus::Closed, "closed at Alipay too");
    // Alipay asks for a retry (retry_flag=Y) once: the cancel is repeated and succeeds.
    h.fault("alipay", "cancel", "error", 1).await;
    let o = h.payments.barcode_pay(barcode("6.00", "286648123456789026"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert!(!d.events.iter().any(|e| e.detail.contains("cancel attempt")), "the retry happened inside the channel: {:?}", d.events);
}

#[tokio::test]
async fn barcode_declined_unknown_and_stalled() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("5.00", "286648123456789017"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    assert_eq!(o.failure_code.as_deref(), Some("ACQ.BUYER_BALANCE_NOT_ENOUGH"));
    // 20000 although the charge went through: queried, found paid — never charged twice.
    let o = h.payments.barcode_pay(barcode("5.00", "286648123456789018"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    // The gateway answers after our timeout: unknown, then found paid by query.
    let o = h.payments.barcode_pay(barcode("5.00", "286648123456789019"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    // A pay call that errors without acting: the query finds nothing, the cancel closes it.
    h.fault("alipay", "pay", "error", 1).await;
    let o = h.payments.barcode_pay(barcode("5.00", "286648123456789010"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.trades(Some("alipay")).len(), 3, "exactly one charge per sale that reached Alipay");
}

#[tokio::test]
async fn refunds_partial_then_full() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("10.00", "286648123456789010"), &paydesk_core::Principal::System).await.unwrap();
    let r1 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("3.00"), reason: Some("退一杯".into()), operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r1.status, RefundStatus::Success);
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().refunded.fen(), 300);
    // The refund's result is lost (timeout): queried with our refund number, never sent twice.
    h.fault("alipay", "refund", "timeout", 1).await;
    let r2 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("7.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r2.status, RefundStatus::Success);
    let done = h.payments.store().order(&o.order_no).unwrap();
    assert_eq!((done.status, done.refunded.fen()), (OrderStatus::Refunded, 1000));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    let nos: Vec<&str> = t.refunds.iter().map(|r| r.refund_no.as_str()).collect();
    assert_eq!(nos, vec![r1.refund_no.as_str(), r2.refund_no.as_str()], "our refund numbers are Alipay's out_request_no, each used once");
    assert_eq!(t.refunded(), 1000);
    // The refund notifications changed nothing in the book.
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Refunded);
}

#[tokio::test]
async fn forged_tampered_and_foreign_callbacks_change_nothing() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.create_qr(qr("9.99"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let genuine = h.sim.state.payment_callback(&trade).unwrap().body;
    let fields = |app_id: &str, amount: &str| -> Vec<(&'static str, String)> {
        vec![
            ("notify_type", "trade_status_sync".into()),
            ("app_id", app_id.into()),
            ("seller_id", "2088000122671080".into()),
            ("out_trade_no", o.order_no.to_string()),
            ("trade_no", trade.trade_no.clone()),
            ("trade_status", "TRADE_SUCCESS".into()),
            ("total_amount", amount.into()),
            ("gmt_payment", "2024-01-01 12:00:00".into()),
        ]
    };
    let refused = |(status, body): (u16, String)| {
        assert_ne!(body, "success");
        assert_ne!(status, 200);
    };
    // Forged: signed with a key we hold (the app key), not Alipay's.
    refused(h.post_callback("alipay-main", &[FORM], notification(&key("merchant_private.pem"), &fields("2021000122671080", "9.99"))).await);
    // Tampered: the genuine notification with another amount.
    let tampered = String::from_utf8(genuine.clone()).unwrap().replace("total_amount=9.99", "total_amount=0.01");
    assert_ne!(tampered.as_bytes(), genuine.as_slice());
    refused(h.post_callback("alipay-main", &[FORM], tampered.into_bytes()).await);
    // Genuinely signed by Alipay, but for another app, or with an amount that is not the order's.
    refused(h.post_callback("alipay-main", &[FORM], notification(&key("gateway_private.pem"), &fields("2021000199999999", "9.99"))).await);
    refused(h.post_callback("alipay-main", &[FORM], notification(&key("gateway_private.pem"), &fields("2021000122671080", "0.01"))).await);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Processing, "nothing was applied");
    assert!(d.events.iter().all(|e| e.source != EventSource::Callback));
    // The genuine one is applied once, however often it comes, and acknowledged with `success`.
    for _ in 0..3 {
        let (status, body) = h.post_callback("alipay-main", &[FORM], genuine.clone()).await;
        assert_eq!((status, body.as_str()), (200, "success"));
    }
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count(), 1);
}

#[tokio::test]
async fn statement_is_downloaded_and_parsed_with_totals() {
    let h = Harness::start(ACCOUNT).await;
    let a = h.payments.barcode_pay(barcode("4.00", "286648123456789010"), &paydesk_core::Principal::System).await.unwrap();
    let b = h.payments.barcode_pay(barcode("6.50", "286648123456789011"), &paydesk_core::Principal::System).await.unwrap();
    let r = h.payments.refund(RefundRequestInput { order_no: a.order_no.clone(), amount: yuan("1.50"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    let ch = h.payments.channel("alipay-main").unwrap();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let file = ch.statement(today).await.unwrap();
    assert!(file.file_name.starts_with("20880001226710800156_") && file.file_name.ends_with(".csv.zip"), "{}", file.file_name);
    let st = bill::parse_statement(&file.bytes).unwrap();
    assert_eq!(st.merchant_id, "20880001226710800156");
    let pays: Vec<_> = st.rows.iter().filter(|r| r.kind == StatementKind::Payment).collect();
    let refunds: Vec<_> = st.rows.iter().filter(|r| r.kind == StatementKind::Refund).collect();
    assert_eq!(pays.iter().map(|r| (r.order_no.as_str(), r.amount)).collect::<Vec<_>>(), vec![(a.order_no.as_str(), 400), (b.order_no.as_str(), 650)]);
    assert_eq!(refunds.len(), 1);
    assert_eq!((refunds[0].order_no.as_str(), refunds[0].refund_amount, refunds[0].refund_no.as_deref()), (a.order_no.as_str(), 150, Some(r.refund_no.as_str())));
    assert_eq!(pays[0].channel_trade_no, a.channel_trade_no.clone().unwrap());
    assert_eq!((st.totals.payments, st.totals.payment_amount, st.totals.refunds, st.totals.refund_amount), (Some(2), Some(1050), Some(1), Some(150)));
    // The file is GBK: the raw detail bytes are not UTF-8.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&file.bytes)).unwrap();
    assert_eq!(zip.len(), 2);
    let idx = bill::detail_entry(&mut zip).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_index(idx).unwrap(), &mut raw).unwrap();
    assert!(std::str::from_utf8(&raw).is_err());
}

#[tokio::test]
async fn wrong_key_or_app_id_say_so_without_secrets() {
    // A fresh RSA key nobody registered with Alipay.
    let other = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, rsa::pkcs8::LineEnding::LF).unwrap();
    let accounts = format!("{ACCOUNT}{}", BAD_ACCOUNTS.replace("{OTHER_KEY}", "keys/not_the_app_key.pem"));
    let h = Harness::start_with_keys(&accounts, common::fast_timing(), &[("not_the_app_key.pem", pem.as_bytes())]).await;
    let o = h.payments.create_qr(QrInput { account: Some("alipay-wrong-key".into()), ..qr("1.00") }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    let msg = o.failure_message.unwrap();
    assert!(msg.contains("private_key_file") && msg.contains("alipay-wrong-key"), "{msg}");
    assert!(!msg.contains("BEGIN") && !msg.contains("MII"), "{msg}");
    // A barcode payment: the gateway's error echoes the signed request; the payment code must not leak.
    let o = h.payments.barcode_pay(BarcodeInput { account: Some("alipay-wrong-key".into()), ..barcode("1.00", "286648123456789010") }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    let msg = o.failure_message.unwrap();
    assert!(msg.contains("private_key_file") && !msg.contains("286648123456789010"), "{msg}");
    let o = h.payments.create_qr(QrInput { account: Some("alipay-wrong-app".into()), ..qr("1.00") }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    let msg = o.failure_message.unwrap();
    assert!(msg.contains("app_id 1234567890123456") && !msg.contains("BEGIN"), "{msg}");
    let o = h.payments.create_qr(QrInput { account: Some("alipay-wrong-root".into()), ..qr("1.00") }, &paydesk_core::Principal::System).await.unwrap();
    let msg = o.failure_message.unwrap();
    assert!(msg.contains("alipay_root_cert_file") && !msg.contains("BEGIN CERTIFICATE"), "{msg}");
    assert!(h.sim.state.trades(Some("alipay")).is_empty(), "nothing reached Alipay's books");
}

#[tokio::test]
async fn certificate_mode_end_to_end() {
    let h = Harness::start(CERT_ACCOUNT).await;
    let o = h.payments.create_qr(qr("8.80"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Processing);
    h.scan(&o.order_no, "pay", false).await;
    h.wait_status(&o.order_no, OrderStatus::Success).await;
    let o = h.payments.barcode_pay(barcode("1.00", "286648123456789010"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    let r = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("1.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r.status, RefundStatus::Success);
}

#[tokio::test]
async fn the_simulator_checks_requests_like_alipay() {
    use paydesk_channels::alipay::{map, wire, Alipay};
    use paydesk_channels::http::HttpResponse;
    let h = Harness::start(ACCOUNT).await;
    let account = h.payments.store().account("alipay-main").unwrap();
    let ch = Alipay::new(&account, &paydesk_channels::ChannelEnv::new(h.dir.path(), Duration::from_secs(2))).unwrap();
    let gateway = format!("{}/alipay/gateway.do", h.sim.base_url());
    let send = |query: String, body: String| {
        let http = h.http.clone();
        let url = format!("{gateway}?{query}");
        async move {
            let r = http.post(url).header("content-type", "application/x-www-form-urlencoded;charset=utf-8").body(body).send().await.unwrap();
            HttpResponse { status: r.status().as_u16(), headers: vec![], body: r.bytes().await.unwrap().to_vec() }
        }
    };
    let biz = r#"{"out_trade_no":"P20240101120000000T1999","total_amount":"0.01","subject":"x"}"#;
    // A request an hour old: Alipay refuses the timestamp, and we say the clock is wrong.
    let stale = ch.signed_form(wire::PRECREATE, biz, None, chrono::Utc::now() - chrono::Duration::hours(1));
    let e = ch.answer(wire::PRECREATE, &send(String::new(), serde_urlencoded::to_string(&stale).unwrap()).await).unwrap_err();
    assert!(e.to_string().contains("clock"), "{e}");
    // System parameters in the query string, biz_content in the body (as the Java SDK sends).
    let form = ch.signed_form(wire::PRECREATE, biz, None, chrono::Utc::now());
    let (body, query): (Vec<_>, Vec<_>) = form.into_iter().partition(|(k, _)| *k == "biz_content");
    let resp = send(serde_urlencoded::to_string(&query).unwrap(), serde_urlencoded::to_string(&body).unwrap()).await;
    // The reply escapes '/' as Alipay does, and verifies over the raw text.
    assert!(String::from_utf8_lossy(&resp.body).contains(r#"https:\/\/qr.alipay.com\/"#));
    let answer = ch.answer(wire::PRECREATE, &resp).unwrap();
    let ctx = map::Ctx { account: "alipay-main", app_id: "2021000122671080", method: wire::PRECREATE };
    assert!(map::precreate(&ctx, answer).unwrap().starts_with("https://qr.alipay.com/"));
    // A tampered request (amount changed after signing) is refused as a bad signature.
    let mut form = ch.signed_form(wire::PRECREATE, biz, None, chrono::Utc::now());
    for (k, v) in form.iter_mut() {
        if *k == "biz_content" {
            *v = v.replace("0.01", "0.02");
        }
    }
    let e = ch.answer(wire::PRECREATE, &send(String::new(), serde_urlencoded::to_string(&form).unwrap()).await).unwrap_err();
    assert!(e.to_string().contains("private_key_file"), "{e}");
}
