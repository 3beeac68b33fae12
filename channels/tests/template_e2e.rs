//! The template channel end to end with the shipped `assets/templates/epay-md5.toml` against the
//! simulated 易支付 gateway: added at run time, paid by notification (a GET) and by polling,
//! refunded, forged notifications refused.

mod common;

use std::time::Duration;

use common::{yuan, Harness, SANDBOX_ACCOUNT};
use paydesk_channels::sim::{demo_keys_dir, epay};
use paydesk_core::payments::{QrInput, RefundRequestInput};
use paydesk_core::{AccountsFile, EventSource, Method, OrderStatus, RefundStatus};

fn template() -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/templates/epay-md5.toml").display().to_string()
}

fn account(sim: &str) -> String {
    format!(
        r#"
[[account]]
name = "epay-shop"
channel = "template"
display_name = "易支付"
base_url = "{sim}/epay"
[account.params]
template_file = "{}"
secret_file = "{}"
[account.params.vars]
pid = "1001"
client_ip = "127.0.0.1"
"#,
        template(),
        demo_keys_dir().join("epay/key.txt").display()
    )
}

/// A harness whose epay account is added while it runs (no restart, no rebuild).
async fn start() -> Harness {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    assert!(h.payments.create_qr(qr("1.00", Method::Wechat), &paydesk_core::Principal::System).await.is_err(), "no account serves WeChat yet");
    for a in AccountsFile::parse(&account(&h.sim.base_url())).unwrap().accounts {
        h.payments.store().upsert_account(&a).unwrap();
    }
    h.payments.reload_accounts().unwrap();
    h
}

fn qr(amount: &str, method: Method) -> QrInput {
    QrInput { amount: yuan(amount), method: Some(method), subject: Some("奶茶".into()), ..Default::default() }
}

fn key() -> String {
    std::fs::read_to_string(demo_keys_dir().join("epay/key.txt")).unwrap().trim().to_string()
}

/// A notification query string signed with `key`.
fn notification(fields: &[(&str, &str)], key: &str) -> String {
    let mut f: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let sig = epay::sign(&f, key);
    f.push(("sign".into(), sig));
    f.push(("sign_type".into(), "MD5".into()));
    serde_urlencoded::to_string(&f).unwrap()
}

async fn get_callback(h: &Harness, query: &str) -> (u16, String) {
    let r = h.http.get(format!("{}/cb/epay-shop?{query}", h.server.base_url())).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn added_at_run_time_and_paid_by_notification() {
    let h = start().await;
    let o = h.payments.create_qr(qr("12.34", Method::Wechat), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!((o.status, o.channel.as_str(), o.account.as_str()), (OrderStatus::Processing, "template", "epay-shop"));
    assert!(o.qr_code.as_deref().unwrap().starts_with("weixin://wxpay/"), "{:?}", o.qr_code);
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!((t.app_id.as_str(), t.amount, t.subject.as_str()), ("wxpay", 1234, "奶茶"), "type by method_values, money in yuan");
    // Unpaid: the query says status 0.
    assert_eq!(h.payments.query(&o.order_no, EventSource::Poll).await.unwrap().status, OrderStatus::Processing);
    h.scan(&o.order_no, "pay", false).await;
    let done = h.wait_status(&o.order_no, OrderStatus::Success).await;
    assert_eq!(done.channel_trade_no.as_deref(), Some(t.trade_no.as_str()));
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.events.last().unwrap().source, EventSource::Callback);
    assert!(h.deliveries().await.iter().any(|(n, s)| n == o.order_no.as_str() && *s == 200), "the GET notification was acknowledged");
}

#[tokio::test]
async fn paid_with_the_notification_lost_is_found_by_polling() {
    let h = start().await;
    let o = h.payments.create_qr(qr("2.00", Method::Alipay), &paydesk_core::Principal::System).await.unwrap();
    assert!(o.qr_code.as_deref().unwrap().starts_with("https://qr.alipay.com/"));
    h.scan(&o.order_no, "pay", true).await;
    let o = h.payments.wait_final(&o.order_no, Duration::from_secs(5), Duration::from_millis(100)).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    assert_eq!(h.payments.store().order_detail(&o.order_no).unwrap().events.last().unwrap().source, EventSource::Poll);
    // A provider that is down: the create is refused outright (never "paid"), the order failed.
    h.fault("epay", "create", "error", 1).await;
    let o = h.payments.create_qr(qr("3.00", Method::Alipay), &paydesk_core::Principal::System).await.unwrap();
    assert_ne!(o.status, OrderStatus::Success);
}

#[tokio::test]
async fn refunds_partial_then_full() {
    let h = start().await;
    let o = h.payments.create_qr(qr("10.00", Method::Alipay), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", false).await;
    h.wait_status(&o.order_no, OrderStatus::Success).await;
    let r1 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("4.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r1.status, RefundStatus::Success);
    let r2 = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("6.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert_eq!(r2.status, RefundStatus::Success);
    let done = h.payments.store().order(&o.order_no).unwrap();
    assert_eq!((done.status, done.refunded.fen()), (OrderStatus::Refunded, 1000));
    let t = h.sim.state.find(o.order_no.as_str()).unwrap();
    assert_eq!(t.refunds.iter().map(|r| r.amount).collect::<Vec<_>>(), vec![400, 600]);
    // A refund whose answer is lost is not resent (epay v1 has no refund number): it stays open.
    let o = h.payments.create_qr(qr("5.00", Method::Alipay), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", false).await;
    h.wait_status(&o.order_no, OrderStatus::Success).await;
    h.fault("epay", "refund", "timeout", 1).await;
    let r = h.payments.refund(RefundRequestInput { order_no: o.order_no.clone(), amount: yuan("5.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    assert!(!r.status.is_final(), "{:?}", r.status);
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(h.sim.state.find(o.order_no.as_str()).unwrap().refunds.len(), 1, "sent once");
}

#[tokio::test]
async fn forged_tampered_and_foreign_notifications_change_nothing() {
    let h = start().await;
    let o = h.payments.create_qr(qr("9.99", Method::Alipay), &paydesk_core::Principal::System).await.unwrap();
    h.scan(&o.order_no, "pay", true).await;
    let trade = h.sim.state.find(o.order_no.as_str()).unwrap();
    let cb = h.sim.state.payment_callback(&trade).unwrap();
    assert!(cb.get);
    let genuine = cb.url.split_once('?').unwrap().1.to_string();
    let fields = |pid: &'static str, money: &'static str| vec![("pid", pid), ("trade_no", "T1"), ("out_trade_no", o.order_no.as_str()), ("type", "alipay"), ("money", money), ("trade_status", "TRADE_SUCCESS")];
    let refused = |(status, body): (u16, String)| {
        assert_ne!(status, 200);
        assert_ne!(body, "success");
    };
    refused(get_callback(&h, &notification(&fields("1001", "9.99"), "not-the-key")).await);
    refused(get_callback(&h, &genuine.replace("money=9.99", "money=0.01")).await);
    refused(get_callback(&h, &notification(&fields("1002", "9.99"), &key())).await);
    refused(get_callback(&h, &notification(&fields("1001", "0.01"), &key())).await);
    refused(get_callback(&h, "pid=1001&out_trade_no=x").await);
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Processing, "nothing was applied");
    for _ in 0..3 {
        assert_eq!(get_callback(&h, &genuine).await, (200, "success".to_string()));
    }
    let d = h.payments.store().order_detail(&o.order_no).unwrap();
    assert_eq!(d.order.status, OrderStatus::Success);
    assert_eq!(d.events.iter().filter(|e| e.to_status == Some(OrderStatus::Success)).count(), 1);
}
