//! Demo mode: a Paydesk home wired to the gateway simulator, nothing to configure.

use std::path::Path;

use paydesk_core::config::{CallbackMode, Settings};
use paydesk_core::store::HistoryOrder;
use paydesk_core::{AccountsFile, PayKind, Store};

use crate::sim::{Payer, SimRefund, SimState, SimStatus, Trade};

/// The simulator's usual address in demo mode.
pub const DEMO_SIM_ADDR: &str = "127.0.0.1:8429";

/// Demo accounts against the simulator at `sim_base` (e.g. `http://127.0.0.1:8429`).
pub fn demo_accounts(sim_base: &str, keys_dir: &Path) -> String {
    let keys = keys_dir.display();
    format!(
        r#"
[[account]]
name = "sandbox-main"
channel = "sandbox"
display_name = "Sandbox wallet (simulated)"
priority = 1
fee_rate_bp = 60
base_url = "{sim_base}/sandbox"
[account.params]
merchant_id = "M100001"
private_key_file = "{keys}/merchant_private.pem"
gateway_public_key_file = "{keys}/gateway_public.pem"

[[account]]
name = "alipay-demo"
channel = "alipay"
display_name = "支付宝 (simulated)"
priority = 1
fee_rate_bp = 60
base_url = "{sim_base}/alipay"
[account.params]
app_id = "2021000122671080"
seller_id = "2088000122671080"
private_key_file = "{keys}/merchant_private.pem"
alipay_public_key_file = "{keys}/gateway_public.pem"

[[account]]
name = "wechat-demo"
channel = "wechat"
display_name = "微信支付 (simulated)"
priority = 1
fee_rate_bp = 60
base_url = "{sim_base}/wechat"
[account.params]
mchid = "1900000109"
appid = "wxd678efh567hg6787"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{keys}/merchant_private.pem"
apiv3_key_file = "{keys}/wechat/apiv3_key.txt"
api_v2_key_file = "{keys}/wechat/api_v2_key.txt"
client_cert_file = "{keys}/wechat/apiclient_cert.pem"

{unionpay}
# A template channel (no code): the shipped 易支付 recipe, behind the direct Alipay/WeChat accounts.
[[account]]
name = "epay-demo"
channel = "template"
display_name = "易支付 (simulated template)"
priority = 20
fee_rate_bp = 60
base_url = "{sim_base}/epay"
[account.params]
template_file = "{templates}/epay-md5.toml"
secret_file = "{keys}/epay/key.txt"
[account.params.vars]
pid = "1001"
client_ip = "127.0.0.1"
"#,
        templates = keys_dir.join("../../templates").display(),
        unionpay = unionpay_account("unionpay-demo", "云闪付 (simulated)", sim_base, keys_dir),
    )
}

/// A UnionPay account against the simulator (its demo certificate chain, the demo merchant key).
pub fn unionpay_account(name: &str, display_name: &str, sim_base: &str, keys_dir: &Path) -> String {
    let keys = keys_dir.display();
    format!(
        r#"
[[account]]
name = "{name}"
channel = "unionpay"
display_name = "{display_name}"
priority = 1
fee_rate_bp = 38
base_url = "{sim_base}/unionpay"
[account.params]
mer_id = "777290058165621"
sign_cert_file = "{keys}/unionpay/merchant_sign_cert.pem"
private_key_file = "{keys}/merchant_private.pem"
middle_cert_file = "{keys}/unionpay/acp_sim_middle.cer"
root_cert_file = "{keys}/unionpay/acp_sim_root.cer"
file_base_url = "{sim_base}/unionpay/file"
"#
    )
}

/// The names demo mode gives its accounts (the terminal demo's and the app's).
pub const DEMO_ACCOUNT_NAMES: [&str; 7] = ["sandbox-main", "alipay-demo", "wechat-demo", "unionpay-demo", "epay-demo", "sandbox-demo", "sandbox-backup"];

/// The accounts in `home`'s book that demo mode did not make: a demo account has a demo name and
/// talks to a simulator on this machine. Empty for a home without a book. Orders belong to
/// accounts, so a home without foreign accounts holds no real sales either.
pub fn foreign_accounts(home: &Path) -> Result<Vec<String>, String> {
    let db = Store::path_in(home);
    if !db.exists() {
        return Ok(Vec::new());
    }
    let store = Store::open(&db).map_err(|e| e.to_string())?;
    let ours = |a: &paydesk_core::AccountConfig| DEMO_ACCOUNT_NAMES.contains(&a.name.as_str()) && a.base_url.as_deref().is_some_and(|u| u.starts_with("http://127.0.0.1:"));
    Ok(store.accounts().map_err(|e| e.to_string())?.into_iter().filter(|a| !ours(a)).map(|a| a.name).collect())
}

/// Writes settings and demo accounts into `home` (created if needed). Callbacks go to
/// `callback_base` when given, else orders are followed by polling only.
pub fn prepare_home(home: &Path, sim_base: &str, callback_base: Option<&str>, listen: Option<(&str, &str)>) -> Result<(), String> {
    paydesk_core::files::create_private_dir(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let mut settings = Settings::load(home).map_err(|e| e.to_string())?;
    settings.callback = match callback_base {
        Some(b) => CallbackMode::PublicUrl { base_url: b.to_string() },
        None => CallbackMode::PollingOnly,
    };
    // Where the demo's local API and callbacks listen, so commands on this home find them (and
    // do not warn about a callback listener the config does not name).
    if let Some((local, callbacks)) = listen {
        settings.listen = local.to_string();
        settings.callback_listen = Some(callbacks.to_string());
    }
    settings.save(home).map_err(|e| e.to_string())?;
    let store = Store::open(&Store::path_in(home)).map_err(|e| e.to_string())?;
    let file = AccountsFile::parse(&demo_accounts(sim_base, &crate::sim::demo_keys_dir())).map_err(|e| e.to_string())?;
    for a in &file.accounts {
        store.upsert_account(a).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Days of sales history demo mode seeds, so the owner's dashboard is alive on first run.
pub const HISTORY_DAYS: u32 = 120;

/// Seeds `days` days of realistic sales (ending `now`) on the book's Alipay, WeChat Pay and
/// UnionPay accounts — busier lunches and weekends, a few refunds, refused payments and expired
/// QR codes — in one transaction, and files the paid ones (with their refunds) of enabled accounts
/// with the simulator, so its queries and statements agree with the book: reconciling a history
/// day finds nothing to report. Does nothing (returns 0) if those accounts already have orders.
///
/// Sandbox accounts get none: they carry demo mode's reconciliation day with its planted
/// differences (see [`crate::demo_recon`]). A `quiet` day gets no sales (the app's demo leaves its
/// settlement day to [`crate::demo_chain`]).
pub fn seed_history(store: &Store, sim: &SimState, settings: &Settings, operators: &[&str], days: u32, quiet: Option<chrono::NaiveDate>, now: chrono::DateTime<chrono::Utc>) -> Result<usize, String> {
    use paydesk_core::analytics::sample::{history, SampleAccount, SampleSpec};
    use paydesk_core::store::OrderFilter;
    use paydesk_core::Method;
    let accounts: Vec<SampleAccount> = store
        .accounts()
        .map_err(|e| e.to_string())?
        .into_iter()
        // The settlement demo's store accounts carry only their own fixed day (`demo_chain`).
        .filter(|a| !crate::demo_chain::ACCOUNTS.contains(&a.name.as_str()))
        .filter_map(|a| {
            let (method, weight) = match a.channel.as_str() {
                "wechat" => (Method::Wechat, 52),
                "alipay" => (Method::Alipay, 42),
                "unionpay" => (Method::Unionpay, 6),
                _ => return None,
            };
            Some(SampleAccount { account: a.name, channel: a.channel, method, fee_rate_bp: a.fee_rate_bp, weight })
        })
        .collect();
    for a in &accounts {
        let f = OrderFilter { account: Some(a.account.clone()), limit: Some(1), ..Default::default() };
        if !store.list_orders(&f).map_err(|e| e.to_string())?.is_empty() {
            return Ok(0);
        }
    }
    if accounts.is_empty() || days == 0 {
        return Ok(0);
    }
    let tz = settings.tz().map_err(|e| e.to_string())?;
    let spec = SampleSpec {
        accounts,
        tz,
        till: settings.till_id.clone(),
        orders_per_day: 220,
        operators: operators.iter().map(|s| s.to_string()).collect(),
        seed: 20_261_125,
    };
    let today = now.with_timezone(&tz).date_naive();
    let from = today - chrono::Days::new(u64::from(days - 1));
    // Enabled accounts only: a switched-off account (the app's history accounts) is never
    // reconciled, and its trades would only take the simulator's memory.
    let owners: std::collections::HashMap<String, (&'static str, String, String)> = store
        .accounts()
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|a| a.enabled)
        .filter_map(|a| Some((a.name.clone(), crate::sim::trade_owner(a)?)))
        .collect();
    // Day by day in one transaction: the whole history never sits in memory at once.
    store
        .import_history_batches(history(&spec, from, today, now).filter_map(|day| quieted(day, quiet, tz, now)), true, |day| {
            for o in day {
                if let Some(t) = owners.get(&o.order.account).and_then(|owner| sim_trade(o, owner)) {
                    // A number the simulator already holds is its own trade: it stays as it is.
                    sim.file_settled(t);
                }
            }
        })
        .map_err(|e| e.to_string())
}

/// A day of history with nothing on the `quiet` day: no order taken then (the day's batch is
/// dropped), and a refund that would have been made then is made the next morning.
fn quieted(mut day: Vec<HistoryOrder>, quiet: Option<chrono::NaiveDate>, tz: chrono_tz::Tz, now: chrono::DateTime<chrono::Utc>) -> Option<Vec<HistoryOrder>> {
    let Some(q) = quiet else { return Some(day) };
    let on_quiet = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).date_naive() == q;
    if day.first().is_some_and(|o| on_quiet(o.order.created_at)) {
        return None;
    }
    for r in day.iter_mut().flat_map(|o| o.refunds.iter_mut()).filter(|r| on_quiet(r.completed_at)) {
        r.completed_at = (r.completed_at + chrono::Duration::days(1)).min(now);
    }
    Some(day)
}

/// A paid history order as the simulator files it (None for orders that never took money).
fn sim_trade(o: &HistoryOrder, (channel, merchant, app_id): &(&'static str, String, String)) -> Option<Trade> {
    let paid_at = o.paid_at?;
    let refunds = o
        .refunds
        .iter()
        .map(|r| SimRefund { refund_no: r.refund_no.to_string(), refund_id: format!("RF{}", r.refund_no), amount: r.amount.fen(), reason: r.reason.clone(), at: r.completed_at })
        .collect();
    Some(Trade {
        channel,
        merchant: merchant.clone(),
        app_id: app_id.clone(),
        order_no: o.order.order_no.to_string(),
        trade_no: o.channel_trade_no.clone().unwrap_or_else(|| format!("H{}", o.order.order_no)),
        amount: o.order.amount.fen(),
        subject: o.order.subject.clone(),
        status: SimStatus::Paid,
        barcode: o.order.kind == PayKind::Barcode,
        payer: Payer::Pay,
        notify_url: None,
        created_at: o.order.created_at,
        paid_at: Some(paid_at),
        buyer: "demo-buyer".into(),
        refunds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_account_builds_its_channel() {
        let keys = crate::sim::demo_keys_dir();
        let file = AccountsFile::parse(&demo_accounts("http://127.0.0.1:8429", &keys)).unwrap();
        let env = crate::ChannelEnv::new(&keys, std::time::Duration::from_secs(1));
        let mut kinds: Vec<String> = Vec::new();
        for a in &file.accounts {
            let ch = crate::registry::build(a, &env).unwrap_or_else(|e| panic!("{}: {e}", a.name));
            kinds.push(ch.kind().to_string());
        }
        kinds.sort_unstable();
        assert_eq!(kinds, ["alipay", "sandbox", "template", "unionpay", "wechat"]);
    }

    #[test]
    fn history_goes_to_the_wallet_accounts_once() {
        let dir = tempfile::tempdir().unwrap();
        prepare_home(dir.path(), "http://127.0.0.1:9", None, None).unwrap();
        let store = Store::open(&Store::path_in(dir.path())).unwrap();
        let settings = Settings::load(dir.path()).unwrap();
        let now = chrono::Utc::now();
        let sim = crate::sim::SimState::new(crate::sim::SimConfig::new(crate::sim::SimKeys::load(&crate::sim::demo_keys_dir()).unwrap()));
        let quiet = now.with_timezone(&settings.tz().unwrap()).date_naive() - chrono::Days::new(2);
        let n = seed_history(&store, &sim, &settings, &["王芳"], 30, Some(quiet), now).unwrap();
        assert!(n > 4000, "{n} orders in 30 days");
        assert_eq!(seed_history(&store, &sim, &settings, &["王芳"], 30, None, now).unwrap(), 0, "seeded once");
        // The simulator holds every paid order, with its refunds, under the account's merchant.
        let paid = |account: &str| store.list_orders(&paydesk_core::store::OrderFilter { account: Some(account.into()), ..Default::default() }).unwrap().into_iter().filter(|o| o.paid_at.is_some()).collect::<Vec<_>>();
        let ali = paid("alipay-demo");
        assert_eq!(sim.trades(Some("alipay")).len(), ali.len());
        let o = ali.iter().find(|o| o.refunded.fen() > 0).expect("a refunded order");
        let t = sim.get("alipay", "2088000122671080", o.order_no.as_str()).expect("filed under the app's PID");
        assert_eq!((t.amount, t.refunded(), t.paid_at.map(|p| p.timestamp_millis())), (o.amount.fen(), o.refunded.fen(), o.paid_at.map(|p| p.timestamp_millis())));
        assert_eq!(sim.trades(Some("wechat")).len(), paid("wechat-demo").len());
        let by = |account: &str| store.list_orders(&paydesk_core::store::OrderFilter { account: Some(account.into()), ..Default::default() }).unwrap().len();
        assert!(by("alipay-demo") > 1000 && by("wechat-demo") > 1000);
        assert_eq!(by("sandbox-main"), 0, "the reconciliation demo's sandbox account stays clean");
        assert!(store.sales_bucket_mismatches().unwrap().is_empty());
        let today = now.with_timezone(&settings.tz().unwrap()).date_naive();
        let last30 = paydesk_core::analytics::Period::Custom { from: today - chrono::Days::new(29), to: today };
        let db = paydesk_core::analytics::dashboard(&store, settings.tz().unwrap(), last30, now).unwrap();
        assert!(db.current.orders > 0 && db.current.refund_count > 0 && db.current.failed > 0);
        let on = |d: chrono::NaiveDate| {
            let c = paydesk_core::analytics::dashboard(&store, settings.tz().unwrap(), paydesk_core::analytics::Period::Custom { from: d, to: d }, now).unwrap().current;
            (c.orders, c.refund_count)
        };
        assert_eq!(on(quiet), (0, 0), "the quiet day has no sales, no refunds");
        assert!(on(quiet.pred_opt().unwrap()).0 > 0 && on(quiet.succ_opt().unwrap()).0 > 0);
    }
}
