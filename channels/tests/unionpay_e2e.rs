//! The UnionPay channel end to end: Payments → UnionPay ACP client → simulated UnionPay gateway
//! (its own certificate chain) → callback server.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{yuan, Harness};
use paydesk_channels::sign::RsaSigner;
use paydesk_channels::sim::{demo_keys_dir, SimStatus};
use paydesk_channels::unionpay::{bill, sign, wire};
use paydesk_core::channel::{CancelOutcome, OrderRef, TradeState};
use paydesk_core::payments::{BarcodeInput, QrInput, RefundRequestInput};
use paydesk_core::statement::StatementKind;
use paydesk_core::{EventSource, Method, OrderStatus, RefundStatus};

const ACCOUNT: &str = r#"
[[account]]
name = "unionpay-main"
channel = "unionpay"
fee_rate_bp = 38
base_url = "{SIM}/unionpay"
[account.params]
mer_id = "777290058165621"
sign_cert_file = "{KEYS}/unionpay/merchant_sign_cert.pem"
private_key_file = "{KEYS}/merchant_private.pem"
middle_cert_file = "{KEYS}/unionpay/acp_sim_middle.cer"
root_cert_file = "{KEYS}/unionpay/acp_sim_root.cer"
file_base_url = "{SIM}/unionpay/file"
"#;

/// The same merchant with its PKCS#12 file, and an account whose certificate UnionPay never issued
/// to this merchant (the simulator's own signing pair).
const MORE_ACCOUNTS: &str = r#"
[[account]]
name = "unionpay-pfx"
channel = "unionpay"
priority = 20
base_url = "{SIM}/unionpay"
[account.params]
mer_id = "777290058165621"
sign_cert_file = "{KEYS}/unionpay/merchant_sign.pfx"
sign_cert_password = "000000"
middle_cert_file = "{KEYS}/unionpay/acp_sim_middle.cer"
root_cert_file = "{KEYS}/unionpay/acp_sim_root.cer"

[[account]]
name = "unionpay-wrong-cert"
channel = "unionpay"
priority = 30
base_url = "{SIM}/unionpay"
[account.params]
mer_id = "777290058165621"
sign_cert_file = "{KEYS}/unionpay/gateway_sign_cert.pem"
private_key_file = "{KEYS}/gateway_private.pem"
middle_cert_file = "{KEYS}/unionpay/acp_sim_middle.cer"
root_cert_file = "{KEYS}/unionpay/acp_sim_root.cer"
"#;

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded; charset=UTF-8");

fn qr(amount: &str) -> QrInput {
    QrInput { amount: yuan(amount), method: Some(Method::Unionpay), subject: Some("咖啡".into()), ..Default::default() }
}

fn barcode(amount: &str, last: u8) -> BarcodeInput {
    BarcodeInput { amount: yuan(amount), auth_code: format!("621234567890123456{last}"), ..Default::default() }
}

fn order_ref(o: &paydesk_core::Order) -> OrderRef {
    OrderRef { order_no: o.order_no.clone(), amount: o.amount, channel_trade_no: o.channel_trade_no.clone(), created_at: o.created_at }
}

fn key(name: &str) -> RsaSigner {
    RsaSigner::from_pem(&std::fs::read_to_string(demo_keys_dir().join(name)).unwrap()).unwrap()
}

/// A notification signed with `signer`, carrying the simulator's signing certificate.
fn notification(signer: &RsaSigner, fields: &[(&str, String)]) -> Vec<u8> {
    let cert = std::fs::read_to_string(demo_keys_dir().join("unionpay/gateway_sign_cert.pem")).unwrap().replace('\n', "\r\n");
    let mut f: wire::Fields = fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    f.push(("signPubKeyCert".into(), cert));
    let sig = sign::sign(signer, wire::pairs(&f));
    f.push(("signature".into(), sig));
    serde_urlencoded::to_string(&f).unwrap().into_bytes()
}

#[tokio::test]
async fn qr_paid_by_notification() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.create_qr(qr("12.34"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!((o.status, o.channel.as_str(), o.method), (OrderStatus::Processing, "unionpay", Method::Unionpay));
    assert!(o.qr_code.as_deref().unwrap().starts_with("https://qr.95516.com/"), "{:?}", o.qr_code);
    // Not scanned yet: UnionPay answers 34 (no such transaction); the order stays open.
    assert_eq!(h.payments.query(&o.order_no, EventSource::Poll).await.unwrap().status, OrderStatus::Processing);
    h.scan(&o.order_no, "pay", false).await;
    let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
    assert_eq!(done.channel_trade_no.as_deref().map(str::len), Some(21), "queryId");
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.events.last().unwrap().source, EventSource::Callback);
    assert!(h.deliveries().await.iter().any(|(n, s)| n == o.order_no.as_str() && *s == 200));
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().amount, 1234, "txnAmt in fen");
}

#[tokio::test]
async fn qr_paid_with_the_notification_lost_is_found_by_polling() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.create_qr(qr("2.00"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let o = h.payments.wait_final(&o.order_no, Duration::from_secs(5), Duration::from_millis(100)).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert!(o.paid_at.is_some());
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.events.last().unwrap().source, EventSource::Poll);
    assert!(h.deliveries().await.is_empty(), "no notification was sent");
    // An unpaid QR: ACP has no close; the book closes it (payTimeout ends it at UnionPay).
    let o2 = h.payments.create_qr(qr("3.00"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(h.payments.close(&o2.order_no, EventSource::User, &paydesk_core::Principal::System).await.unwrap().status, OrderStatus::Closed);
}

#[tokio::test]
async fn barcode_payers_each_end_in_one_definite_state() {
    let h = Harness::start(ACCOUNT).await;
    // Accepted, then confirmed by the query inside the channel.
    let o = h.payments.barcode_pay(barcode("5.00", 0), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!((o.status, o.method), (OrderStatus::Success, Method::Unionpay));
    assert_eq!(o.auth_code_masked.as_deref(), Some("6212***********4560"));
    // The payer confirms on the phone: found paid while polling.
    assert_eq!(h.payments.barcode_pay(barcode("5.00", 5), &paydesk_core::Principal::System).await.unwrap().status, OrderStatus::Success);
    // Never confirms: reversed (99) and closed.
    let o = h.payments.barcode_pay(barcode("6.00", 6), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().status, SimStatus::Closed, "reversed at UnionPay too");
    // Declined.
    let o = h.payments.barcode_pay(barcode("5.00", 7), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!((o.status, o.failure_code.as_deref()), (OrderStatus::Failed, Some("01")));
    // "03" although the charge went through, and an answer after our timeout: both found paid.
    assert_eq!(h.payments.barcode_pay(barcode("5.00", 8), &paydesk_core::Principal::System).await.unwrap().status, OrderStatus::Success);
    assert_eq!(h.payments.barcode_pay(barcode("5.00", 9), &paydesk_core::Principal::System).await.unwrap().status, OrderStatus::Success);
    // A barcode call that fails without acting: nothing to reverse, closed.
    h.fault("unionpay", "barcode", "error", 1).await;
    assert_eq!(h.payments.barcode_pay(barcode("5.00", 1), &paydesk_core::Principal::System).await.unwrap().status, OrderStatus::Closed);
    assert_eq!(h.sim.state.trades(Some("unionpay")).len(), 6, "exactly one consumption per sale that reached UnionPay");
}

#[tokio::test]
async fn a_paid_payment_is_revoked_the_same_day() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("8.80", 0), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    let ch = h.payments.channel("unionpay-main").unwrap();
    let r = order_ref(&o);
    assert_eq!(ch.cancel(&r).await.unwrap(), CancelOutcome::Refunded);
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!(t.status, SimStatus::Reversed);
    assert_eq!(t.refunds.iter().map(|x| (x.refund_no.clone(), x.amount)).collect::<Vec<_>>(), vec![(format!("{}C", o.order_no), 880)]);
    // The original still shows its own success; our query reports the revoke.
    let st = ch.query(&r).await.unwrap();
    assert_eq!((st.state, st.raw_status.as_str()), (TradeState::Closed, "revoked (31)"));
    // Again: the earlier revoke is found, nothing is sent twice.
    assert_eq!(ch.cancel(&r).await.unwrap(), CancelOutcome::Refunded);
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().refunds.len(), 1);
    // After a restart (channels built afresh) the journal still knows the revoke: never "paid".
    h.payments.reload_accounts().unwrap();
    let fresh = h.payments.channel("unionpay-main").unwrap();
    assert!(!Arc::ptr_eq(&fresh, &ch), "a new channel instance");
    let st = fresh.query(&r).await.unwrap();
    assert_eq!((st.state, st.raw_status.as_str()), (TradeState::Closed, "revoked (31)"));
}

#[tokio::test]
async fn refunds_partial_then_full_never_sent_twice() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("10.00", 0), &paydesk_core::Principal::System).await.unwrap();
    let r1 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("3.00"), reason: Some("退一杯".into()), operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r1.status, RefundStatus::Success);
    assert!(r1.channel_refund_no.is_some());
    // The refund's answer is lost (timeout): queried by its orderId + txnTime, never resent.
    h.fault("unionpay", "refund", "timeout", 1).await;
    let r2 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("7.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r2.status, RefundStatus::Success);
    let done = h.payments.store().order(&o.order_no).unwrap();
    assert_eq!((done.status, done.refunded.fen()), (OrderStatus::Refunded, 1000));
    // More than what is left is refused by the book before UnionPay is asked.
    assert!(h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("0.01"), reason: None, operator: None }, &paydesk_core::Principal::System).await.is_err());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    let nos: Vec<&str> = t.refunds.iter().map(|r| r.refund_no.as_str()).collect();
    assert_eq!(nos, vec![r1.refund_no.as_str(), r2.refund_no.as_str()], "our refund numbers are the refunds' orderIds, each used once");
    // The refund notifications (04, naming the order by reqReserved) were acknowledged and changed nothing.
    assert!(h.deliveries().await.iter().filter(|(n, _)| n == o.order_no.as_str()).all(|(_, s)| *s == 200));
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Refunded);
}

#[tokio::test]
async fn forged_tampered_and_foreign_notifications_change_nothing() {
    let h = Harness::start(ACCOUNT).await;
    let o = h.payments.create_qr(qr("9.99"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let genuine = h.sim.state.payment_callback(&trade).unwrap().body;
    let fields = |mer: &str, amount: &str| -> Vec<(&'static str, String)> {
        vec![
            ("version", "5.1.0".into()),
            ("encoding", "UTF-8".into()),
            ("signMethod", "01".into()),
            ("txnType", "01".into()),
            ("txnSubType", "07".into()),
            ("bizType", "000000".into()),
            ("accessType", "0".into()),
            ("merId", mer.into()),
            ("orderId", o.order_no.to_string()),
            ("txnAmt", amount.into()),
            ("queryId", trade.trade_no.clone()),
            ("respCode", "00".into()),
            ("respMsg", "成功[0000000]".into()),
        ]
    };
    let refused = |(status, body): (u16, String)| {
        assert_ne!(status, 200, "{body}");
    };
    // Forged: signed with a key we hold, presenting UnionPay's certificate.
    refused(h.post_callback("unionpay-main", &[FORM], notification(&key("merchant_private.pem"), &fields("777290058165621", "999"))).await);
    // Tampered: the genuine notification with another amount.
    let tampered = String::from_utf8(genuine.clone()).unwrap().replace("txnAmt=999", "txnAmt=1");
    assert_ne!(tampered.as_bytes(), genuine.as_slice());
    refused(h.post_callback("unionpay-main", &[FORM], tampered.into_bytes()).await);
    // Genuinely signed, but for another merchant, or with an amount that is not the order's.
    refused(h.post_callback("unionpay-main", &[FORM], notification(&key("gateway_private.pem"), &fields("777290058199999", "999"))).await);
    refused(h.post_callback("unionpay-main", &[FORM], notification(&key("gateway_private.pem"), &fields("777290058165621", "1"))).await);
    // Unsigned.
    refused(h.post_callback("unionpay-main", &[FORM], serde_urlencoded::to_string(fields("777290058165621", "999")).unwrap().into_bytes()).await);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Processing, "nothing was applied");
    assert!(d.events.iter().all(|e| e.source != EventSource::Callback));
    // The genuine one is applied once, however often it comes.
    for _ in 0..3 {
        let (status, body) = h.post_callback("unionpay-main", &[FORM], genuine.clone()).await;
        assert_eq!((status, body.as_str()), (200, "ok"));
    }
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count(), 1);
}

#[tokio::test]
async fn statement_is_downloaded_and_parsed() {
    let h = Harness::start(ACCOUNT).await;
    let a = h.payments.barcode_pay(barcode("4.00", 0), &paydesk_core::Principal::System).await.unwrap();
    let b = h.payments.barcode_pay(barcode("6.50", 1), &paydesk_core::Principal::System).await.unwrap();
    let r = h.payments.refund(RefundRequestInput { order_no: a.order_no.clone(), amount: yuan("1.50"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    let ch = h.payments.channel("unionpay-main").unwrap();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let file = ch.statement(today).await.unwrap();
    assert_eq!(file.file_name, format!("777290058165621_{}.zip", today.format("%Y%m%d")));
    let st = bill::parse_statement(&file.bytes).unwrap();
    assert_eq!(st.merchant_id, "777290058165621");
    let pays: Vec<_> = st.rows.iter().filter(|r| r.kind == StatementKind::Payment).collect();
    assert_eq!(pays.iter().map(|r| (r.order_no.as_str(), r.amount, r.fee)).collect::<Vec<_>>(), vec![(a.order_no.as_str(), 400, 2), (b.order_no.as_str(), 650, 2)]);
    assert_eq!(pays[0].channel_trade_no, a.channel_trade_no.clone().unwrap());
    let refunds: Vec<_> = st.rows.iter().filter(|r| r.kind == StatementKind::Refund).collect();
    assert_eq!(refunds.iter().map(|x| (x.order_no.as_str(), x.refund_no.as_deref(), x.refund_amount)).collect::<Vec<_>>(), vec![(a.order_no.as_str(), Some(r.refund_no.as_str()), 150)]);
    assert_eq!((st.totals.payments, st.totals.payment_amount, st.totals.refund_amount), (Some(2), Some(1050), Some(150)));
}

#[tokio::test]
async fn pfx_account_pays_and_a_wrong_certificate_says_so() {
    let h = Harness::start(&format!("{ACCOUNT}{MORE_ACCOUNTS}")).await;
    let o = h.payments.create_qr(QrInput { account: Some("unionpay-pfx".into()), ..qr("1.00") }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Processing);
    h.scan(&o.order_no, "pay", false).await;
    h.wait_status(&o.order_no, OrderStatus::Success).await;
    let o = h.payments.create_qr(QrInput { account: Some("unionpay-wrong-cert".into()), ..qr("1.00") }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    let msg = o.failure_message.unwrap();
    assert!(msg.contains("sign_cert_file") && msg.contains("unionpay-wrong-cert"), "{msg}");
    assert!(!msg.contains("BEGIN"), "{msg}");
    assert_eq!(h.sim.state.trades(Some("unionpay")).len(), 1, "the refused request reached no book");
}

#[tokio::test]
async fn the_statement_reconciles_against_the_book() {
    use paydesk_core::reconcile::{Quiet, Reconciler, RunRequest, StatementInput};
    let h = Harness::start(ACCOUNT).await;
    let a = h.payments.barcode_pay(barcode("4.00", 0), &paydesk_core::Principal::System).await.unwrap();
    let q = h.payments.create_qr(qr("6.50"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&q.order_no, "pay", false).await;
    h.wait_status(&q.order_no, OrderStatus::Success).await;
    h.payments.refund(RefundRequestInput { order_no: a.order_no.clone(), amount: yuan("1.50"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let rec = Reconciler::new(h.payments.clone(), h.dir.path(), std::sync::Arc::new(paydesk_channels::statement::Parsers));
    let r = rec.run(RunRequest { account: "unionpay-main".into(), day: today, input: StatementInput::Download, trigger: "manual".into() }, None, std::sync::Arc::new(Quiet)).await.unwrap();
    assert_eq!(r.status, "done", "{:?}", r.error);
    assert_eq!(r.statement.as_ref().unwrap().format, "unionpay-zm-zip");
    let s = &r.summary;
    assert_eq!((s.payments, s.refunds, s.matched, s.mismatched), (2, 1, 3, 0), "{s:?}");
    assert_eq!((s.payment_amount, s.refund_amount), (1050, 150));
}
