//! The WeChat Pay channel end to end: Payments → wechat client → simulated WeChat Pay (v3 + v2)
//! → callback server, in platform-certificate mode, public-key mode and service-provider mode.

mod common;

use std::time::Duration;

use common::{yuan, Harness};
use paydesk_channels::sim::wechat as simwx;
use paydesk_channels::sim::SimStatus;
use paydesk_channels::wechat::bill::parse_bill;
use paydesk_core::channel::ChannelError;
use paydesk_core::payments::{BarcodeInput, PayError, QrInput, RefundRequestInput};
use paydesk_core::statement::StatementKind;
use paydesk_core::{EventSource, OrderNo, OrderStatus, RefundStatus};

/// `wx-cert`: direct merchant, platform certificates downloaded from the simulator.
/// `wx-pk`: direct merchant in WeChat Pay public-key mode (no certificates at all).
/// `wx-sp`: a service provider for sub-merchant 1900000111, public-key mode.
const ACCOUNTS: &str = r#"
[[account]]
name = "wx-cert"
channel = "wechat"
priority = 1
fee_rate_bp = 60
base_url = "{SIM}/wechat"
[account.params]
mchid = "1900000109"
appid = "wxd678efh567hg6787"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{KEYS}/merchant_private.pem"
apiv3_key_file = "{KEYS}/wechat/apiv3_key.txt"
api_v2_key_file = "{KEYS}/wechat/api_v2_key.txt"
client_cert_file = "{KEYS}/wechat/apiclient_cert.pem"
reverse_retry_ms = 50

[[account]]
name = "wx-pk"
channel = "wechat"
priority = 2
base_url = "{SIM}/wechat"
[account.params]
mchid = "1900000110"
appid = "wxd678efh567hg6788"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{KEYS}/merchant_private.pem"
apiv3_key_file = "{KEYS}/wechat/apiv3_key.txt"
api_v2_key_file = "{KEYS}/wechat/api_v2_key.txt"
v2_sign_type = "MD5"
client_cert_file = "{KEYS}/wechat/apiclient_cert.pem"
wechatpay_public_key_file = "{KEYS}/wechat/pubkey.pem"
wechatpay_public_key_id = "PUB_KEY_ID_0119000001092026112500000000000001"
reverse_retry_ms = 50

[[account]]
name = "wx-sp"
channel = "wechat"
priority = 3
base_url = "{SIM}/wechat"
[account.params]
sp_mchid = "1900000100"
sp_appid = "wx8888888888888888"
sub_mchid = "1900000111"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{KEYS}/merchant_private.pem"
apiv3_key_file = "{KEYS}/wechat/apiv3_key.txt"
api_v2_key_file = "{KEYS}/wechat/api_v2_key.txt"
client_cert_file = "{KEYS}/wechat/apiclient_cert.pem"
wechatpay_public_key_file = "{KEYS}/wechat/pubkey.pem"
wechatpay_public_key_id = "PUB_KEY_ID_0119000001092026112500000000000001"
reverse_retry_ms = 50

[[account]]
name = "wx-both"
channel = "wechat"
priority = 4
base_url = "{SIM}/wechat"
[account.params]
mchid = "1900000112"
appid = "wxd678efh567hg6789"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{KEYS}/merchant_private.pem"
apiv3_key_file = "{KEYS}/wechat/apiv3_key.txt"
platform_cert_file = "{KEYS}/wechat/platform_cert.pem"
platform_certs = "off"
wechatpay_public_key_file = "{KEYS}/wechat/pubkey.pem"
wechatpay_public_key_id = "PUB_KEY_ID_0119000001092026112500000000000001"
"#;

fn qr(account: &str, amount: &str) -> QrInput {
    QrInput { amount: yuan(amount), account: Some(account.into()), subject: Some("拿铁 Latte".into()), ..Default::default() }
}

fn barcode(account: &str, amount: &str, code: &str) -> BarcodeInput {
    BarcodeInput { amount: yuan(amount), auth_code: code.into(), account: Some(account.into()), ..Default::default() }
}

fn refund(o: &OrderNo, amount: &str) -> RefundRequestInput {
    RefundRequestInput { order_no: o.clone(), amount: yuan(amount), reason: Some("退一杯".into()), operator: None }
}

async fn wait_refund(h: &Harness, no: &paydesk_core::RefundNo, status: RefundStatus) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = h.payments.store().refund(no).unwrap();
        if r.status == status {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "refund {no} stayed {:?}", r.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the simulator recorded `count` deliveries for `order` answered with `status`
/// (the answer reaches the simulator just after our state change is stored).
async fn wait_deliveries(h: &Harness, order: &OrderNo, status: u16, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let n = h.deliveries().await.iter().filter(|(o, s)| o == order.as_str() && *s == status).count();
        if n >= count {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{order}: {n} deliveries answered {status}, wanted {count}: {:?}", h.deliveries().await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn qr_paid_by_callback_in_both_verification_modes() {
    let h = Harness::start(ACCOUNTS).await;
    for (account, mchid, pubkey) in [("wx-cert", "1900000109", "0"), ("wx-pk", "1900000110", "1")] {
        let o = h.payments.create_qr(qr(account, "12.30"), &paydesk_core::Principal::System).await.unwrap();
        assert_eq!(o.status, OrderStatus::Processing, "{account}");
        assert!(o.qr_code.as_deref().unwrap().starts_with("weixin://wxpay/bizpayurl?pr="), "{account}");
        // The simulator signed this merchant's replies with the key its mode asks for.
        assert_eq!(h.sim.state.ext_get(&format!("wechat/pubkey/{mchid}")).as_deref(), Some(pubkey));
        h.scan(&o.order_no, "pay", false).await;
        let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
        assert!(done.paid_at.is_some() && done.channel_trade_no.as_deref().unwrap().starts_with("42000012"));
        let events = h.payments.store().order_detail(&o.order_no).unwrap().events;
        assert_eq!(events.last().unwrap().source, EventSource::Callback, "{account}");
        // WeChat got our 204 only after the state was stored.
        wait_deliveries(&h, &o.order_no, 204, 1).await;
    }
}

#[tokio::test]
async fn qr_paid_found_by_polling_and_closed_when_unpaid() {
    let h = Harness::start(ACCOUNTS).await;
    let o = h.payments.create_qr(qr("wx-cert", "2.00"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let o = h.payments.wait_final(&o.order_no, Duration::from_secs(5), Duration::from_millis(100)).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert_eq!(o.amount.fen(), 200);
    assert_eq!(h.payments.store().order_detail(&o.order_no).unwrap().events.last().unwrap().source, EventSource::Poll);

    let o2 = h.payments.create_qr(qr("wx-pk", "3.00"), &paydesk_core::Principal::System).await.unwrap();
    let closed = h.payments.close(&o2.order_no, EventSource::User, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(closed.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.find(o2.order_no.as_str()).unwrap().status, SimStatus::Closed);
    // A paid order cannot be closed: the close is refused, the query keeps it paid.
    let again = h.payments.close(&o.order_no, EventSource::User, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(again.status, OrderStatus::Success);
    // Nor revoked: WeChat Pay's reverse is for payment-code orders (the gateway refuses it too).
    let e = h.payments.revoke(paydesk_core::payments::RevokeInput { order_no: o.order_no.clone(), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap_err();
    assert!(e.to_string().contains("refund it instead"), "{e}");
    let refused = h.payments.channel("wx-cert").unwrap().cancel(&order_ref(&o)).await.unwrap_err();
    assert!(refused.to_string().contains("TRADE_ERROR"), "{refused}");
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().status, SimStatus::Paid);
}

#[tokio::test]
async fn micropay_flows() {
    let h = Harness::start(ACCOUNTS).await;
    // Immediate success.
    let o = h.payments.barcode_pay(barcode("wx-cert", "5.00", "134567890123456780"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert!(o.channel_trade_no.is_some() && o.paid_at.is_some());
    // USERPAYING, then paid while core polls the v3 query.
    let o = h.payments.barcode_pay(barcode("wx-cert", "5.00", "134567890123456785"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    let ev = h.payments.store().order_detail(&o.order_no).unwrap().events;
    assert!(ev.iter().any(|e| e.detail.contains("waiting for the payer")), "{ev:?}");
    assert_eq!(ev.last().unwrap().source, EventSource::Poll, "{ev:?}");
    // USERPAYING forever: reversed at the limit, Closed — at WeChat too (REVOKED).
    let o = h.payments.barcode_pay(barcode("wx-pk", "5.00", "134567890123456786"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().status, SimStatus::Closed);
    let st = h.payments.channel("wx-pk").unwrap().query(&order_ref(&o)).await.unwrap();
    assert_eq!(st.raw_status, "REVOKED");
    // NOTENOUGH: definitive refusal.
    let o = h.payments.barcode_pay(barcode("wx-cert", "5.00", "134567890123456787"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    assert!(o.failure_message.as_deref().unwrap().contains("NOTENOUGH"), "{:?}", o.failure_message);
    // SYSTEMERROR although charged: the query finds it paid.
    let o = h.payments.barcode_pay(barcode("wx-cert", "5.00", "134567890123456788"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    // The gateway answers after our timeout: unknown, then found paid.
    let o = h.payments.barcode_pay(barcode("wx-cert", "5.00", "134567890123456789"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert_eq!(h.sim.state.trades(Some("wechat")).len(), 6, "exactly one charge attempt per sale");
}

fn order_ref(o: &paydesk_core::Order) -> paydesk_core::channel::OrderRef {
    paydesk_core::channel::OrderRef { order_no: o.order_no.clone(), amount: o.amount, channel_trade_no: o.channel_trade_no.clone(), created_at: o.created_at }
}

#[tokio::test]
async fn reverse_with_recall_is_called_again() {
    let h = Harness::start(ACCOUNTS).await;
    // The first reverse answers SYSTEMERROR with recall=Y; the channel calls again by itself.
    h.fault("wechat", "reverse", "error", 1).await;
    let o = h.payments.barcode_pay(barcode("wx-cert", "6.00", "134567890123456786"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert!(!d.events.iter().any(|e| e.detail.contains("cancel attempt")), "recall handled inside the channel: {:?}", d.events);
    // A paid order reversed (core cancels what it cannot confirm): the money goes back.
    let paid = h.payments.barcode_pay(barcode("wx-cert", "6.00", "134567890123456780"), &paydesk_core::Principal::System).await.unwrap();
    let ch = h.payments.channel("wx-cert").unwrap();
    assert_eq!(ch.cancel(&order_ref(&paid)).await.unwrap(), paydesk_core::channel::CancelOutcome::Refunded);
    assert_eq!(h.sim.state.find(paid.order_no.as_str()).unwrap().status, SimStatus::Reversed);
}

#[tokio::test]
async fn partial_and_full_refund_settled_by_refund_callbacks() {
    let h = Harness::start(ACCOUNTS).await;
    for account in ["wx-cert", "wx-pk"] {
        let o = h.payments.barcode_pay(barcode(account, "10.00", "134567890123456781"), &paydesk_core::Principal::System).await.unwrap();
        assert_eq!(o.status, OrderStatus::Success);
        let r1 = h.payments.refund(refund(&o.order_no, "3.00"), &paydesk_core::Principal::System).await.unwrap();
        assert_eq!(r1.status, RefundStatus::Processing, "WeChat accepts refunds as PROCESSING");
        wait_refund(&h, &r1.refund_no, RefundStatus::Success).await;
        assert_eq!(h.payments.store().order(&o.order_no).unwrap().refunded.fen(), 300);
        let r2 = h.payments.refund(refund(&o.order_no, "7.00"), &paydesk_core::Principal::System).await.unwrap();
        wait_refund(&h, &r2.refund_no, RefundStatus::Success).await;
        let done = h.wait_status(&o.order_no, OrderStatus::Refunded).await;
        assert_eq!(done.refunded.fen(), 1000);
        let sim = h.sim.state.find(o.order_no.as_str()).unwrap();
        assert_eq!((sim.refunded(), sim.refunds.len()), (1000, 2));
        // Settled by the REFUND.SUCCESS callbacks, acknowledged with 204.
        wait_deliveries(&h, &o.order_no, 204, 2).await;
        let r = h.payments.store().refund(&r2.refund_no).unwrap();
        assert!(r.channel_refund_no.as_deref().unwrap().starts_with("503000010"));
    }
}

#[tokio::test]
async fn refund_with_unknown_result_is_sent_again_with_the_same_number() {
    let h = Harness::start(ACCOUNTS).await;
    let o = h.payments.barcode_pay(barcode("wx-cert", "8.00", "134567890123456781"), &paydesk_core::Principal::System).await.unwrap();
    // SYSTEM_ERROR: unknown; the refund query finds nothing, so core resends the same number.
    h.fault("wechat", "refund", "error", 1).await;
    let r = h.payments.refund(refund(&o.order_no, "8.00"), &paydesk_core::Principal::System).await.unwrap();
    assert_ne!(r.status, RefundStatus::Failed);
    wait_refund(&h, &r.refund_no, RefundStatus::Success).await;
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!(t.refunds.len(), 1);
    assert_eq!(t.refunds[0].refund_no, r.refund_no.as_str());
    // Refund query through the channel: our number, WeChat's refund id.
    let ch = h.payments.channel("wx-cert").unwrap();
    let req = paydesk_core::channel::RefundRequest { order: order_ref(&o), refund_no: r.refund_no.clone(), amount: yuan("8.00"), reason: None, notify_url: None, created_at: chrono::Utc::now() };
    let q = ch.refund_query(&req).await.unwrap();
    assert_eq!(q.state, paydesk_core::channel::RefundState::Success);
    let unknown = paydesk_core::channel::RefundRequest { refund_no: "R20991231235959000T1999".parse().unwrap(), ..req };
    assert_eq!(ch.refund_query(&unknown).await.unwrap().state, paydesk_core::channel::RefundState::NotFound);
}

/// Posts `cb` (possibly altered) to our callback route.
async fn post(h: &Harness, account: &str, headers: &[(String, String)], body: Vec<u8>) -> u16 {
    let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    h.post_callback(account, &hs, body).await.0
}

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    headers.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_string();
}

#[tokio::test]
async fn forged_stale_misdirected_and_tampered_callbacks_change_nothing() {
    let h = Harness::start(ACCOUNTS).await;
    let o = h.payments.create_qr(qr("wx-cert", "9.99"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let genuine = h.sim.state.payment_callback(&trade).unwrap();
    let before = h.payments.store().order_detail(&o.order_no).unwrap();
    let k = simwx::keys(&h.sim.state).unwrap();

    // 1. A body byte changed after signing.
    let mut body = genuine.body.clone();
    let i = body.iter().position(|&b| b == b'E').unwrap();
    body[i] = b'F';
    assert_eq!(post(&h, "wx-cert", &genuine.headers, body).await, 500);
    // 2. Signed by someone else (the merchant's own key) under the platform serial.
    let mut forged = genuine.headers.clone();
    let merchant = paydesk_channels::sign::RsaSigner::from_pem(&std::fs::read_to_string(paydesk_channels::sim::demo_keys_dir().join("merchant_private.pem")).unwrap()).unwrap();
    let ts = chrono::Utc::now().timestamp().to_string();
    set(&mut forged, "wechatpay-timestamp", &ts);
    set(&mut forged, "wechatpay-nonce", "n1");
    set(&mut forged, "wechatpay-signature", &merchant.sign_b64(&paydesk_channels::wechat::v3::response_message(&ts, "n1", &genuine.body)));
    assert_eq!(post(&h, "wx-cert", &forged, genuine.body.clone()).await, 500);
    // 3. Genuinely signed, but 6 minutes old.
    let mut stale = genuine.headers.clone();
    let old = (chrono::Utc::now().timestamp() - 360).to_string();
    set(&mut stale, "wechatpay-timestamp", &old);
    set(&mut stale, "wechatpay-nonce", "n2");
    set(&mut stale, "wechatpay-signature", &k.platform.sign_b64(&paydesk_channels::wechat::v3::response_message(&old, "n2", &genuine.body)));
    assert_eq!(post(&h, "wx-cert", &stale, genuine.body.clone()).await, 500);
    // 4. Wrong serial: an unknown certificate, and the public-key id this account does not use.
    for serial in ["5157F09EFDC096DE15EBE81A47057A7232F1B8E2", "PUB_KEY_ID_0119000001092026112500000000000001"] {
        let mut w = genuine.headers.clone();
        set(&mut w, "wechatpay-serial", serial);
        assert_eq!(post(&h, "wx-cert", &w, genuine.body.clone()).await, 500, "{serial}");
    }
    // 5. A tampered amount, properly encrypted and signed: core refuses the disagreement.
    let mut tx = serde_json::to_value(simwx::transaction(&trade)).unwrap();
    tx["amount"]["total"] = serde_json::json!(1);
    tx["amount"]["payer_total"] = serde_json::json!(1);
    let cheap = simwx::notification(&k, false, genuine.url.clone(), "TRANSACTION.SUCCESS", "transaction", &tx);
    assert_eq!(post(&h, "wx-cert", &cheap.headers, cheap.body.clone()).await, 500);
    // 6. The genuine callback posted to another account (public-key mode, another mchid): refused.
    assert_eq!(post(&h, "wx-pk", &genuine.headers, genuine.body.clone()).await, 500);

    let after = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(after.order.status, OrderStatus::Processing);
    assert_eq!(after.events.len(), before.events.len(), "nothing was written: {:?}", after.events);
    // The genuine one is applied — once, however often it comes.
    for _ in 0..3 {
        assert_eq!(post(&h, "wx-cert", &genuine.headers, genuine.body.clone()).await, 204);
    }
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count(), 1);
}

/// The first callback a freshly started service receives names a platform certificate it has
/// not downloaded yet: it is verified (after a download), not refused and left to polling.
#[tokio::test]
async fn the_first_callback_after_a_start_verifies_with_a_downloaded_certificate() {
    let h = Harness::start(ACCOUNTS).await;
    let o = h.payments.create_qr(qr("wx-cert", "4.20"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let genuine = h.sim.state.payment_callback(&trade).unwrap();
    // As `paydesk serve` starting after the order was made elsewhere: channels built afresh,
    // holding no platform certificate.
    h.payments.reload_accounts().unwrap();
    assert_eq!(post(&h, "wx-cert", &genuine.headers, genuine.body.clone()).await, 204);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.last().unwrap().source, EventSource::Callback);
}

#[tokio::test]
async fn public_key_account_refuses_platform_signed_callbacks() {
    let h = Harness::start(ACCOUNTS).await;
    let o = h.payments.create_qr(qr("wx-pk", "4.56"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let k = simwx::keys(&h.sim.state).unwrap();
    let tx = serde_json::to_value(simwx::transaction(&trade)).unwrap();
    let by_cert = simwx::notification(&k, false, String::new(), "TRANSACTION.SUCCESS", "transaction", &tx);
    assert_eq!(post(&h, "wx-pk", &by_cert.headers, by_cert.body.clone()).await, 500);
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Processing);
    let by_key = simwx::notification(&k, true, String::new(), "TRANSACTION.SUCCESS", "transaction", &tx);
    assert_eq!(post(&h, "wx-pk", &by_key.headers, by_key.body.clone()).await, 204);
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Success);
}

#[tokio::test]
async fn unverifiable_sync_reply_is_signature_invalid() {
    // The account trusts the wrong WeChat Pay public key: every reply fails verification.
    let wrong = ACCOUNTS.replace("{KEYS}/wechat/pubkey.pem", "{KEYS}/gateway_public.pem");
    let h = Harness::start(&wrong).await;
    let ch = h.payments.channel("wx-pk").unwrap();
    let o = paydesk_core::channel::OrderRef { order_no: "P20261125120000000T1000".parse().unwrap(), amount: yuan("1.00"), channel_trade_no: None, created_at: chrono::Utc::now() };
    let e = ch.query(&o).await.unwrap_err();
    assert!(matches!(e, ChannelError::SignatureInvalid { .. }), "{e:?}");
    assert!(e.outcome_unknown());
    // Creating a QR: the order is in the book, the reply untrusted, so no QR is shown.
    let r = h.payments.create_qr(qr("wx-pk", "1.00"), &paydesk_core::Principal::System).await;
    assert!(matches!(r, Err(PayError::Channel(ChannelError::SignatureInvalid { .. }))), "{r:?}");
}

#[tokio::test]
async fn trade_bill_downloaded_verified_and_totalled() {
    let h = Harness::start(ACCOUNTS).await;
    let a = h.payments.barcode_pay(barcode("wx-cert", "12.34", "134567890123456781"), &paydesk_core::Principal::System).await.unwrap();
    let b = h.payments.create_qr(qr("wx-cert", "0.99"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&b.order_no, "pay", false).await;
    h.wait_status(&b.order_no, OrderStatus::Success).await;
    let r = h.payments.refund(refund(&a.order_no, "2.34"), &paydesk_core::Principal::System).await.unwrap();
    wait_refund(&h, &r.refund_no, RefundStatus::Success).await;
    let day = a.paid_at.unwrap().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let ch = h.payments.channel("wx-cert").unwrap();
    let f = ch.statement(day).await.unwrap();
    assert_eq!(f.file_name, format!("wechat-1900000109-{day}-ALL.csv"));
    assert!(f.bytes.starts_with("\u{feff}交易时间".as_bytes()));
    let (rows, summary) = parse_bill(&f.bytes).unwrap();
    assert_eq!(rows.len(), 3);
    let pay_a = rows.iter().find(|x| x.order_no == a.order_no.as_str() && x.kind == StatementKind::Payment).unwrap();
    assert_eq!((pay_a.amount, pay_a.fee, pay_a.merchant_id.as_str()), (1234, 7, "1900000109"));
    assert_eq!(pay_a.channel_trade_no, a.channel_trade_no.clone().unwrap());
    let rf = rows.iter().find(|x| x.kind == StatementKind::Refund).unwrap();
    assert_eq!((rf.refund_no.as_deref(), rf.refund_amount), (Some(r.refund_no.as_str()), 234));
    let t = summary.totals();
    assert_eq!(summary.rows, 3);
    assert_eq!(t.payment_amount, Some(1234 + 99));
    assert_eq!(t.refund_amount, Some(234));
    assert_eq!(t.fees, Some(rows.iter().map(|x| x.fee).sum::<i64>()));
    // Another merchant's bill does not contain these; a day without trades has no bill.
    let none = h.payments.channel("wx-pk").unwrap().statement(day).await.unwrap_err();
    assert!(matches!(&none, ChannelError::Rejected { code, .. } if code == "NO_STATEMENT_EXIST"), "{none:?}");
}

#[tokio::test]
async fn corrupted_bill_is_refused() {
    let h = Harness::start(ACCOUNTS).await;
    let a = h.payments.barcode_pay(barcode("wx-cert", "1.00", "134567890123456781"), &paydesk_core::Principal::System).await.unwrap();
    let day = a.paid_at.unwrap().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    h.fault("wechat", "billdownload", "error", 1).await;
    let e = h.payments.channel("wx-cert").unwrap().statement(day).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ChannelError::Protocol { .. }) && msg.contains("SHA1") && msg.contains("refused"), "{msg}");
    // The next download is intact.
    assert!(h.payments.channel("wx-cert").unwrap().statement(day).await.is_ok());
}

#[tokio::test]
async fn service_provider_mode_end_to_end() {
    let h = Harness::start(ACCOUNTS).await;
    let o = h.payments.create_qr(qr("wx-sp", "20.00"), &paydesk_core::Principal::System).await.unwrap();
    let sim = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!((sim.merchant.as_str(), sim.app_id.as_str()), ("1900000100/1900000111", "wx8888888888888888"));
    h.scan(&o.order_no, "pay", false).await;
    h.wait_status(&o.order_no, OrderStatus::Success).await;
    let b = h.payments.barcode_pay(barcode("wx-sp", "3.00", "134567890123456785"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(b.status, OrderStatus::Success);
    assert_eq!(h.sim.state.find(b.order_no.as_str()).unwrap().merchant, "1900000100/1900000111");
    let r = h.payments.refund(refund(&o.order_no, "20.00"), &paydesk_core::Principal::System).await.unwrap();
    wait_refund(&h, &r.refund_no, RefundStatus::Success).await;
    h.wait_status(&o.order_no, OrderStatus::Refunded).await;
    let day = b.paid_at.unwrap().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (rows, _) = parse_bill(&h.payments.channel("wx-sp").unwrap().statement(day).await.unwrap().bytes).unwrap();
    assert!(rows.iter().all(|r| r.merchant_id == "1900000111"), "{rows:?}");
    assert_eq!(rows.len(), 3);
}

#[tokio::test]
async fn combined_mode_accepts_either_key_and_downloads_nothing() {
    let h = Harness::start(ACCOUNTS).await;
    // A download would consume this fault; the account has its certificate from a file.
    h.fault("wechat", "certificates", "error", 1).await;
    let o = h.payments.create_qr(qr("wx-both", "7.00"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Processing);
    assert_eq!(h.sim.state.take_fault("wechat", "certificates"), Some(paydesk_channels::sim::FaultKind::Error), "no certificate download was made");
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let k = simwx::keys(&h.sim.state).unwrap();
    let tx = serde_json::to_value(simwx::transaction(&trade)).unwrap();
    // Signed with the platform certificate: verified by the certificate of that serial.
    let by_cert = simwx::notification(&k, false, String::new(), "TRANSACTION.SUCCESS", "transaction", &tx);
    assert_eq!(post(&h, "wx-both", &by_cert.headers, by_cert.body.clone()).await, 204);
    // And the same event signed with the public key is accepted as a duplicate.
    let by_key = simwx::notification(&k, true, String::new(), "TRANSACTION.SUCCESS", "transaction", &tx);
    assert_eq!(post(&h, "wx-both", &by_key.headers, by_key.body.clone()).await, 204);
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Success);
}

#[tokio::test]
async fn no_platform_certificate_means_nothing_is_sent_until_one_is_downloaded() {
    let h = Harness::start(ACCOUNTS).await;
    h.fault("wechat", "certificates", "error", 1).await;
    let o = h.payments.create_qr(qr("wx-cert", "1.00"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed, "refused before sending: no key could verify the reply");
    assert!(o.failure_message.as_deref().unwrap().contains("nothing was sent"), "{:?}", o.failure_message);
    assert!(h.sim.state.find(o.order_no.as_str()).is_none());
    // The download is tried again shortly and then everything works.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let o = h.payments.create_qr(qr("wx-cert", "1.00"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Processing);
}

#[tokio::test]
async fn wrong_apiv3_key_is_reported_by_name() {
    let wrong = ACCOUNTS.replacen("{KEYS}/wechat/apiv3_key.txt", "{KEYS}/wechat/api_v2_key.txt", 1);
    let h = Harness::start(&wrong).await;
    let ch = h.payments.channel("wx-cert").unwrap();
    let o = paydesk_core::channel::OrderRef { order_no: "P20261125120000000T1000".parse().unwrap(), amount: yuan("1.00"), channel_trade_no: None, created_at: chrono::Utc::now() };
    let e = ch.query(&o).await.unwrap_err();
    assert!(matches!(e, ChannelError::Unreachable { .. }) && e.to_string().contains("apiv3_key_file"), "{e}");
    let key = std::fs::read_to_string(paydesk_channels::sim::demo_keys_dir().join("wechat/api_v2_key.txt")).unwrap();
    assert!(!e.to_string().contains(key.trim()));
}
