//! Demo mode's settlement day: the whole chain book → channel → bank on three store accounts
//! (Alipay, WeChat Pay, UnionPay) that carry only this day, so its money is always the same and
//! the sample bank statements under `assets/demo/bank/` match it:
//!
//! | account | sales | refunds | net after fees | bank |
//! |---|---|---|---|---|
//! | alipay-store | 12.00 28.50 36.00 9.90 | 9.90 | 76.04, withdrawn the next morning | ICBC export: arrived |
//! | wechat-store | 18.00 42.00 15.60 | 5.00 | 70.18, withdrawn the next morning | ICBC export: 69.18 — one yuan short |
//! | unionpay-store | 56.00 23.80 | — | 79.50, settled on the day | only in the CCB export (import it by hand) |
//!
//! The sales are booked and filed with the simulator alike, so the fund flows agree with the
//! book; the samples carry the dates of a base day and are shifted to the demo's day.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use paydesk_core::ids::NumberGen;
use paydesk_core::store::{HistoryOrder, HistoryRefund, NewOrder};
use paydesk_core::{AccountConfig, Method, Money, OrderStatus, PayKind, Store};

use crate::sim::{SimRefund, SimState, Trade};

/// The store accounts of the settlement demo (no sales history: only the chain day).
pub const ACCOUNTS: [&str; 3] = ["alipay-store", "wechat-store", "unionpay-store"];
/// The till of their orders.
pub const TILL: &str = "S1";
/// The day the sample bank statements were written for (their deposits are on the day after).
pub const BASE_DAY: (i32, u32, u32) = (2026, 11, 25);
/// The sample bank statements: (file under `assets/demo/bank/`, preset).
pub const SAMPLES: [(&str, &str); 2] = [("icbc-demo.csv", "icbc"), ("ccb-demo.csv", "ccb")];

/// The store accounts against the simulator (merchants of their own, apart from the wallets').
pub fn accounts_toml(sim_base: &str, keys_dir: &std::path::Path) -> String {
    let keys = keys_dir.display();
    format!(
        r#"
[[account]]
name = "alipay-store"
channel = "alipay"
display_name = "支付宝 · 门店结算演示"
enabled = false
fee_rate_bp = 60
base_url = "{sim_base}/alipay"
[account.params]
app_id = "2021000122679999"
seller_id = "2088000122679999"
private_key_file = "{keys}/merchant_private.pem"
alipay_public_key_file = "{keys}/gateway_public.pem"

[[account]]
name = "wechat-store"
channel = "wechat"
display_name = "微信支付 · 门店结算演示"
enabled = false
fee_rate_bp = 60
base_url = "{sim_base}/wechat"
[account.params]
mchid = "1900000888"
appid = "wxd678efh567hg6787"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{keys}/merchant_private.pem"
apiv3_key_file = "{keys}/wechat/apiv3_key.txt"
api_v2_key_file = "{keys}/wechat/api_v2_key.txt"
client_cert_file = "{keys}/wechat/apiclient_cert.pem"

[[account]]
name = "unionpay-store"
channel = "unionpay"
display_name = "云闪付 · 门店结算演示"
enabled = false
fee_rate_bp = 38
base_url = "{sim_base}/unionpay"
[account.params]
mer_id = "777290058169999"
sign_cert_file = "{keys}/unionpay/merchant_sign_cert.pem"
private_key_file = "{keys}/merchant_private.pem"
middle_cert_file = "{keys}/unionpay/acp_sim_middle.cer"
root_cert_file = "{keys}/unionpay/acp_sim_root.cer"
file_base_url = "{sim_base}/unionpay/file"
"#
    )
}

fn at(day: NaiveDate, h: u32, m: u32, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let t = day.and_hms_opt(h, m, 0).unwrap_or_default();
    tz.from_local_datetime(&t).earliest().map_or_else(|| t.and_utc(), |x| x.with_timezone(&Utc))
}

/// (account, method, merchant, app id, sales (fen, hour, minute), refunds (fen, of sale #, hour)).
type Plan = (&'static str, Method, &'static str, &'static str, &'static [(i64, u32, u32)], &'static [(i64, usize, u32)]);

const PLAN: [Plan; 3] = [
    ("alipay-store", Method::Alipay, "2088000122679999", "2021000122679999", &[(1_200, 9, 12), (2_850, 11, 40), (3_600, 13, 5), (990, 16, 30)], &[(990, 3, 17)]),
    ("wechat-store", Method::Wechat, "1900000888", "wxd678efh567hg6787", &[(1_800, 8, 50), (4_200, 12, 15), (1_560, 18, 20)], &[(500, 1, 15)]),
    ("unionpay-store", Method::Unionpay, "777290058169999", "", &[(5_600, 10, 30), (2_380, 19, 45)], &[]),
];

/// Where a sale goes: its account (in the book), its method, and who it is at the simulator.
#[derive(Debug, Clone, Copy)]
pub struct Seller<'a> {
    pub account: &'a AccountConfig,
    pub method: Method,
    pub merchant: &'a str,
    pub app_id: &'a str,
    /// The till of the order (the number generator's).
    pub till: &'a str,
}

/// A paid QR sale with its refunds `(fen, completed)`, booked and filed with the simulator alike
/// (so the channel's statements and fund flows agree with the book). Returns its order number.
pub fn settled_sale(store: &Store, sim: &SimState, numbers: &NumberGen, s: Seller<'_>, fen: i64, paid: DateTime<Utc>, refunds: &[(i64, DateTime<Utc>)]) -> Result<String, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let channel: &'static str = match s.account.channel.as_str() {
        "alipay" => "alipay",
        "wechat" => "wechat",
        "unionpay" => "unionpay",
        other => return Err(format!("{other}: not a wallet channel")),
    };
    let created = paid - chrono::Duration::seconds(25);
    let no = numbers.next_order_no(created);
    let amount = Money::from_fen(fen).map_err(|x| e(&x))?;
    let refs: Vec<(paydesk_core::RefundNo, i64, DateTime<Utc>)> = refunds.iter().map(|(f, at)| (numbers.next_refund_no(*at), *f, *at)).collect();
    let trade_no = format!("{}{}", &channel[..2].to_uppercase(), &no.as_str()[1..]);
    let order = NewOrder {
        order_no: no.clone(),
        kind: PayKind::Qr,
        method: s.method,
        channel: s.account.channel.clone(),
        account: s.account.name.clone(),
        amount,
        fee: amount.fee_at(s.account.fee_rate_bp),
        subject: "门店销售 Store sale".into(),
        auth_code_masked: None,
        operator: Some("王芳".into()),
        principal: paydesk_core::Principal::System,
        till: s.till.into(),
        idempotency_key: None,
        created_at: created,
        expires_at: created + chrono::Duration::minutes(3),
        sale: None,
    };
    let mut history = Vec::new();
    for (n, f, t) in &refs {
        history.push(HistoryRefund { refund_no: n.clone(), amount: Money::from_fen(*f).map_err(|x| e(&x))?, reason: Some("demo".into()), completed_at: *t });
    }
    let h = HistoryOrder { order, status: OrderStatus::Success, channel_trade_no: Some(trade_no.clone()), paid_at: Some(paid), failure: None, finished_at: paid, refunds: history };
    store.import_history(&[h], true).map_err(|x| e(&x))?;
    let sim_refunds = refs.iter().map(|(n, f, t)| SimRefund { refund_no: n.to_string(), refund_id: format!("RF{}", &n.as_str()[1..]), amount: *f, reason: None, at: *t }).collect();
    sim.file_settled(Trade::settled(channel, s.merchant, s.app_id, no.as_str(), &trade_no, fen, "门店销售 Store sale", paid, sim_refunds));
    Ok(no.to_string())
}

/// Books the settlement day's sales of the store accounts (they must exist) and files them with
/// the simulator. Idempotent per home: nothing happens when their orders exist already.
pub fn seed_day(store: &Store, sim: &SimState, day: NaiveDate, tz: chrono_tz::Tz) -> Result<bool, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    if store.last_slot(TILL).map_err(|x| e(&x))?.is_some() {
        return Ok(false);
    }
    let numbers = NumberGen::new(TILL.parse().map_err(|x: paydesk_core::ids::IdError| e(&x))?, tz);
    for (account, method, merchant, app_id, sales, refunds) in PLAN {
        let a: AccountConfig = store.account(account).map_err(|x| e(&x))?;
        for (i, (fen, h, m)) in sales.iter().enumerate() {
            let back: Vec<(i64, DateTime<Utc>)> = refunds.iter().filter(|r| r.1 == i).map(|(f, _, rh)| (*f, at(day, *rh, 5, tz))).collect();
            settled_sale(store, sim, &numbers, Seller { account: &a, method, merchant, app_id, till: TILL }, *fen, at(day, *h, *m, tz), &back)?;
        }
    }
    Ok(true)
}

/// A sample bank statement (bytes as the bank exports it) moved from [`BASE_DAY`] to `day`: every
/// date in it (`2026-11-26` and `20261126` forms) shifts by the same number of days.
pub fn sample(file: &str, day: NaiveDate) -> Result<Vec<u8>, String> {
    let path = crate::sim::demo_keys_dir().join("../bank").join(file);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = NaiveDate::from_ymd_opt(BASE_DAY.0, BASE_DAY.1, BASE_DAY.2).ok_or("bad base day")?;
    let shift = day - base;
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for k in 0..7u64 {
        let (Some(from), Some(to)) = (base.checked_add_days(Days::new(k)), base.checked_add_days(Days::new(k)).and_then(|d| d.checked_add_signed(shift))) else { continue };
        for fmt in ["%Y-%m-%d", "%Y%m%d"] {
            pairs.push((from.format(fmt).to_string().into_bytes(), to.format(fmt).to_string().into_bytes()));
        }
    }
    // One pass (dates are ASCII in GBK too): a date already moved is never moved again.
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match pairs.iter().find(|(from, _)| bytes[i..].starts_with(from)) {
            Some((from, to)) => {
                out.extend_from_slice(to);
                i += from.len();
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Reads the settlement day's fund flows (the day's and the next day's, which holds the wallets'
/// withdrawals) from the simulator, writes both sample statements moved to the day into
/// `<home>/demo-bank/` (to import by hand) and imports the ICBC one, so the chain is on screen
/// at once. Returns the files written.
pub async fn settle_and_import(payments: std::sync::Arc<paydesk_core::Payments>, home: &std::path::Path, day: NaiveDate) -> Result<Vec<std::path::PathBuf>, String> {
    use paydesk_core::reconcile::bank::BankLeg;
    use paydesk_core::settle::{FundInput, Settler};
    let settler = std::sync::Arc::new(Settler::new(payments, home, std::sync::Arc::new(crate::funds::FundParsers)));
    for account in ACCOUNTS {
        for d in [day, day.succ_opt().unwrap_or(day)] {
            settler.fetch(account, d, FundInput::Download, None).await.map_err(|e| e.to_string())?;
        }
    }
    let dir = home.join("demo-bank");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for (file, _) in SAMPLES {
        let p = dir.join(file);
        std::fs::write(&p, sample(file, day)?).map_err(|e| format!("{}: {e}", p.display()))?;
        files.push(p);
    }
    let bank = BankLeg::new(settler, home);
    if bank.store().bank_statements(1).map_err(|e| e.to_string())?.is_empty() {
        let (file, preset) = SAMPLES[0];
        bank.import(file, sample(file, day)?, Some(preset), None, None).await.map_err(|e| e.to_string())?;
    }
    Ok(files)
}
