//! The wallets of the demo accounts (Alipay, WeChat Pay, UnionPay) with settled sales booked in
//! the book and filed in the simulator alike: what fund-flow and bank tests start from.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use paydesk_channels::sim::{Payer, SimRefund, SimState, SimStatus, Trade};
use paydesk_core::ids::NumberGen;
use paydesk_core::store::{HistoryOrder, HistoryRefund, NewOrder};
use paydesk_core::{Method, Money, OrderStatus, PayKind, Store};

/// The demo accounts with the simulator and keys left as placeholders for the harness.
pub fn accounts() -> String {
    paydesk_channels::demo::demo_accounts("{SIM}", Path::new("{KEYS}"))
}

pub fn beijing(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai.from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap()).unwrap().with_timezone(&Utc)
}

pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// A paid sale (and its refunds) of a wallet account, booked and filed with the simulator.
pub fn sale(store: &Store, sim: &SimState, channel: &'static str, amount: i64, paid: DateTime<Utc>, refunds: &[(i64, DateTime<Utc>)]) -> String {
    static NUMBERS: std::sync::OnceLock<NumberGen> = std::sync::OnceLock::new();
    let numbers = NUMBERS.get_or_init(|| NumberGen::new("T9".parse().unwrap(), chrono_tz::Asia::Shanghai));
    let (account, merchant, app_id, method, bp) = match channel {
        "alipay" => ("alipay-demo", "2088000122671080", "2021000122671080", Method::Alipay, 60),
        "wechat" => ("wechat-demo", "1900000109", "wxd678efh567hg6787", Method::Wechat, 60),
        _ => ("unionpay-demo", "777290058165621", "", Method::Unionpay, 38),
    };
    let created = paid - chrono::Duration::seconds(20);
    let no = numbers.next_order_no(created);
    let trade_no = format!("T{}", &no.as_str()[1..]);
    let amount_m = Money::from_fen(amount).unwrap();
    let refunds: Vec<(paydesk_core::RefundNo, i64, DateTime<Utc>)> = refunds.iter().map(|(a, at)| (numbers.next_refund_no(*at), *a, *at)).collect();
    let h = HistoryOrder {
        order: NewOrder {
            order_no: no.clone(),
            kind: PayKind::Qr,
            method,
            channel: channel.into(),
            account: account.into(),
            amount: amount_m,
            fee: amount_m.fee_at(bp),
            subject: "拿铁 Latte".into(),
            auth_code_masked: None,
            operator: Some("王芳".into()),
            till: "T9".into(),
            idempotency_key: None,
            created_at: created,
            expires_at: created + chrono::Duration::minutes(3),
        },
        status: OrderStatus::Success,
        channel_trade_no: Some(trade_no.clone()),
        paid_at: Some(paid),
        failure: None,
        finished_at: paid,
        refunds: refunds.iter().map(|(n, a, at)| HistoryRefund { refund_no: n.clone(), amount: Money::from_fen(*a).unwrap(), reason: None, completed_at: *at }).collect(),
    };
    store.import_history(&[h], true).unwrap();
    let t = Trade {
        channel,
        merchant: merchant.into(),
        app_id: app_id.into(),
        order_no: no.to_string(),
        trade_no,
        amount,
        subject: "拿铁 Latte".into(),
        status: SimStatus::Paid,
        barcode: false,
        payer: Payer::Pay,
        notify_url: None,
        created_at: created,
        paid_at: Some(paid),
        buyer: "buyer".into(),
        refunds: refunds.iter().map(|(n, a, at)| SimRefund { refund_no: n.to_string(), refund_id: format!("50{}", &n.as_str()[1..]), amount: *a, reason: None, at: *at }).collect(),
    };
    assert!(sim.file_settled(t));
    no.to_string()
}

/// Two days of sales on every wallet: `d1` (two sales, one refund) and `d2` (one sale).
pub fn seed(store: &Store, sim: &SimState, d1: NaiveDate, d2: NaiveDate) {
    for ch in ["alipay", "wechat", "unionpay"] {
        sale(store, sim, ch, 10_000, beijing(d1, 10, 5), &[(2_000, beijing(d1, 15, 0))]);
        sale(store, sim, ch, 3_350, beijing(d1, 12, 30), &[]);
        sale(store, sim, ch, 8_800, beijing(d2, 11, 0), &[]);
    }
}
