//! The sandbox channel end to end: Payments → sandbox client → simulator → callback server.

mod common;

use common::{yuan, Harness, SANDBOX_ACCOUNT};
use paydesk_core::channel::TradeState;
use paydesk_core::payments::{BarcodeInput, PayError, QrInput, RefundRequestInput};
use paydesk_core::{EventSource, OrderStatus, RefundStatus};

fn qr(amount: &str) -> QrInput {
    QrInput { amount: yuan(amount), subject: Some("咖啡".into()), ..Default::default() }
}

fn barcode(amount: &str, code: &str) -> BarcodeInput {
    BarcodeInput { amount: yuan(amount), auth_code: code.into(), ..Default::default() }
}

#[tokio::test]
async fn qr_paid_by_callback() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let o = h.payments.create_qr(qr("12.34"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Processing);
    assert!(o.qr_code.as_deref().unwrap().starts_with("https://"));
    assert_eq!(o.fee.fen(), 7); // 0.60 % of 12.34 = 7.404 fen
    h.scan(&o.order_no, "pay", false).await;
    let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
    assert!(done.paid_at.is_some() && done.channel_trade_no.is_some());
    let events = h.payments.store().order_detail(&o.order_no).unwrap().events;
    assert_eq!(events.last().unwrap().source, EventSource::Callback);
    // The simulator got our 200 (recorded once its request returns).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !h.deliveries().await.iter().any(|(n, s)| n == o.order_no.as_str() && *s == 200) {
        assert!(tokio::time::Instant::now() < deadline, "no acknowledged delivery");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn qr_declined_and_lost_callback_found_by_polling() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let o = h.payments.create_qr(qr("1.00"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "decline", false).await;
    let o = h.payments.query(&o.order_no, EventSource::Poll).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);

    let o2 = h.payments.create_qr(qr("2.00"), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o2.order_no, "pay", true).await;
    let o2 = h.payments.wait_final(&o2.order_no, std::time::Duration::from_secs(5), std::time::Duration::from_millis(100)).await.unwrap();
    assert_eq!(o2.status, OrderStatus::Success);
    assert_eq!(h.payments.store().order_detail(&o2.order_no).unwrap().events.last().unwrap().source, EventSource::Poll);
}

#[tokio::test]
async fn barcode_flows() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    // Immediate success.
    let o = h.payments.barcode_pay(barcode("5.00", "990000000000000001"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert_eq!(o.auth_code_masked.as_deref(), Some("9900**********0001"));
    // Password, then paid while we poll.
    let o = h.payments.barcode_pay(barcode("5.00", "990000000000000005"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    // Password never entered: cancelled at the limit, Closed.
    let o = h.payments.barcode_pay(barcode("5.00", "990000000000000006"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    let sim = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!(sim.status, paydesk_channels::sim::SimStatus::Closed, "the channel side is closed too");
    // Declined.
    let o = h.payments.barcode_pay(barcode("5.00", "990000000000000007"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Failed);
    assert!(o.failure_message.unwrap().contains("insufficient"));
    // System error although charged: the query finds it paid — never charged twice, never lost.
    let o = h.payments.barcode_pay(barcode("5.00", "990000000000000008"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    // Gateway answers after our timeout: unknown, then found paid by query.
    let o = h.payments.barcode_pay(barcode("5.00", "990000000000000009"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert_eq!(h.sim.state.trades(Some("sandbox")).len(), 6, "exactly one charge attempt per sale");
}

#[tokio::test]
async fn refunds_partial_then_full() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("10.00", "990000000000000001"), &paydesk_core::Principal::System).await.unwrap();
    let r1 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("3.00"), reason: Some("退一杯".into()), operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r1.status, RefundStatus::Success);
    let o1 = h.payments.store().order(&o.order_no).unwrap();
    assert_eq!((o1.status, o1.refunded.fen()), (OrderStatus::Success, 300));
    let too_much = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("7.01"), reason: None, operator: None }, &paydesk_core::Principal::System).await;
    assert!(matches!(too_much, Err(PayError::Conflict(_))), "{too_much:?}");
    h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("7.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    let o2 = h.payments.store().order(&o.order_no).unwrap();
    assert_eq!((o2.status, o2.refunded.fen()), (OrderStatus::Refunded, 1000));
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().refunded(), 1000);
}

#[tokio::test]
async fn refund_with_unknown_result_is_queried_not_duplicated() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("8.00", "990000000000000001"), &paydesk_core::Principal::System).await.unwrap();
    // The refund call times out after the gateway did it; the follow-up query finds it.
    h.fault("sandbox", "refund", "timeout", 1).await;
    let r = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("8.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    // The stalled call has not acted yet when we query, so we resend with the same number; when
    // the stalled call lands later it is recognised as the same refund: exactly one at the channel.
    assert_eq!(r.status, RefundStatus::Success);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!(t.refunds.len(), 1);
    assert_eq!(t.refunds[0].refund_no, r.refund_no.as_str());
}

#[tokio::test]
async fn forged_and_tampered_callbacks_change_nothing() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let o = h.payments.create_qr(qr("9.99"), &paydesk_core::Principal::System).await.unwrap();
    // Payer pays, callback lost; we forge one with a wrong amount, signed by a key we hold
    // (the merchant key — not the gateway's).
    h.scan(&o.order_no, "pay", true).await;
    let body = serde_json::json!({"type":"payment","merchant":"M100001","order_no":o.order_no.as_str(),"trade_no":"X","amount":999,"status":"PAID"}).to_string();
    let ts = chrono::Utc::now().timestamp().to_string();
    let key = paydesk_channels::sign::RsaSigner::from_pem(&std::fs::read_to_string(paydesk_channels::sim::demo_keys_dir().join("merchant_private.pem")).unwrap()).unwrap();
    let sig = key.sign_b64(&paydesk_channels::sandbox::wire::message(&ts, "n1", body.as_bytes()));
    let (status, _) = h.post_callback("sandbox-main", &[("pd-timestamp", &ts), ("pd-nonce", "n1"), ("pd-signature", &sig)], body.into_bytes()).await;
    assert_eq!(status, 500);
    assert_eq!(h.payments.store().order(&o.order_no).unwrap().status, OrderStatus::Processing);
    // The genuine callback resent by the gateway is applied — once, however often it comes.
    for _ in 0..3 {
        let r = h.http.post(format!("{}/_sim/notify", h.sim.base_url())).json(&serde_json::json!({"order_no": o.order_no.as_str()})).send().await.unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["delivered_status"], 200);
    }
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count(), 1);
}

#[tokio::test]
async fn statement_lists_the_days_payments_and_refunds() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let o = h.payments.barcode_pay(barcode("4.00", "990000000000000001"), &paydesk_core::Principal::System).await.unwrap();
    h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("1.50"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    let ch = h.payments.channel("sandbox-main").unwrap();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let f = ch.statement(today).await.unwrap();
    let text = String::from_utf8(f.bytes).unwrap();
    assert!(text.contains(&format!("{},payment,4.00", o.order_no)), "{text}");
    assert!(text.contains(&format!("{},refund,-1.50", o.order_no)), "{text}");
    // Query through the trait directly as well.
    let st = ch.query(&paydesk_core::channel::OrderRef { order_no: o.order_no.clone(), amount: o.amount, channel_trade_no: None, created_at: o.created_at }).await.unwrap();
    assert_eq!(st.state, TradeState::Refunded);
}

#[tokio::test]
async fn bad_input_writes_nothing() {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let over = h.payments.create_qr(qr("50000.01"), &paydesk_core::Principal::System).await.unwrap_err();
    assert!(matches!(over, PayError::Invalid { field: "amount", .. }), "{over}");
    let bad_code = h.payments.barcode_pay(barcode("1.00", "12345"), &paydesk_core::Principal::System).await.unwrap_err();
    assert!(matches!(bad_code, PayError::Invalid { field: "auth_code", .. }), "{bad_code}");
    let wrong_acct = h.payments.create_qr(QrInput { account: Some("nope".into()), ..qr("1.00") }, &paydesk_core::Principal::System).await.unwrap_err();
    assert!(matches!(wrong_acct, PayError::Invalid { field: "account", .. }));
    assert!(h.payments.store().list_orders(&Default::default()).unwrap().is_empty());
}
