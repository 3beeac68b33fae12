//! The wallets of the demo accounts (Alipay, WeChat Pay, UnionPay) with settled sales booked in
//! the book and filed in the simulator alike: what fund-flow and bank tests start from.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use paydesk_channels::demo_chain::Seller;
use paydesk_channels::sim::SimState;
use paydesk_core::ids::NumberGen;
use paydesk_core::{Method, Store};

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
    let (account, merchant, app_id, method) = match channel {
        "alipay" => ("alipay-demo", "2088000122671080", "2021000122671080", Method::Alipay),
        "wechat" => ("wechat-demo", "1900000109", "wxd678efh567hg6787", Method::Wechat),
        _ => ("unionpay-demo", "777290058165621", "", Method::Unionpay),
    };
    let a = store.account(account).unwrap();
    paydesk_channels::demo_chain::settled_sale(store, sim, numbers, Seller { account: &a, method, merchant, app_id, till: "T9" }, amount, paid, refunds).unwrap()
}

/// Two days of sales on every wallet: `d1` (two sales, one refund) and `d2` (one sale).
pub fn seed(store: &Store, sim: &SimState, d1: NaiveDate, d2: NaiveDate) {
    for ch in ["alipay", "wechat", "unionpay"] {
        sale(store, sim, ch, 10_000, beijing(d1, 10, 5), &[(2_000, beijing(d1, 15, 0))]);
        sale(store, sim, ch, 3_350, beijing(d1, 12, 30), &[]);
        sale(store, sim, ch, 8_800, beijing(d2, 11, 0), &[]);
    }
}
