//! The third leg from the command line, against a running `paydesk demo` (its simulator serves
//! the wallets' fund flows): `settle`, `bank import` of an ICBC export in GBK, `reconcile --leg
//! bank` with its exit codes, `bank resolve`, `bank chain`, exports.

use chrono::{Days, NaiveDate};
use paydesk_e2e::{Cli, Service};
use serde_json::Value;

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// ICBC's corporate export of deposits `(day, fen, payer)`, GBK, ending with a line dated today.
fn icbc(deposits: &[(String, i64, &str)]) -> Vec<u8> {
    let mut t = String::from("凭证号,本方账号,对方账号,交易时间,借/贷,借方发生额,贷方发生额,对方行号,摘要,用途,对方单位名称,余额,个性化信息\r\n");
    for (i, (day, fen, payer)) in deposits.iter().enumerate() {
        t.push_str(&format!("{:04},1202021109900012345,,{day} 09:30:00,贷,,{},,提现,,{payer},,\r\n", i + 1, paydesk_core::money::format_signed_fen(*fen)));
    }
    t.push_str(&format!("9999,1202021109900012345,,{} 08:00:00,借,100.00,,,房租,,王房东,,\r\n", today()));
    encoding_rs::GBK.encode(&t).0.into_owned()
}

#[test]
fn settle_import_reconcile_resolve_and_the_chain() {
    let cli = Cli::new();
    let args = paydesk_e2e::demo_args(6);
    let _demo = Service::start(Some(cli.home.path()), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let day = today().checked_sub_days(Days::new(3)).unwrap();
    let (d, next) = (day.to_string(), day.succ_opt().unwrap().to_string());
    // The wallets pay a day out the next morning: read both days.
    let s = cli.ok(&["settle", "--date", &d, "--to", &next]);
    assert_eq!(s["failed"], 0);
    let days = s["days"].as_array().unwrap();
    assert!(days.iter().filter(|x| x["day"]["day"] == d).count() >= 3, "every wallet account: {s}");
    let chain = cli.run(&["bank", "chain", "--date", &d]).json();
    assert_eq!(chain["book_channel"]["state"], "agree", "the fund flows agree with the book: {chain}");
    let payouts: Vec<Value> = chain["accounts"].as_array().unwrap().iter().flat_map(|a| a["payouts"].as_array().unwrap().clone()).collect();
    assert_eq!(payouts.len(), 3, "{chain}");
    assert!(payouts.iter().all(|p| p["status"] == "unknown" && p["batch_ok"] == true), "{payouts:?}");
    // The bank statement: every payout arrived the next day, WeChat's one yuan short.
    let deposits: Vec<(String, i64, &str)> = payouts
        .iter()
        .map(|p| {
            let (fen, payer) = match p["channel"].as_str().unwrap() {
                "wechat" => (p["amount"].as_i64().unwrap() - 100, "财付通支付科技有限公司"),
                "alipay" => (p["amount"].as_i64().unwrap(), "支付宝（中国）网络技术有限公司"),
                _ => (p["amount"].as_i64().unwrap(), "中国银联股份有限公司"),
            };
            (p["day"].as_str().unwrap().parse::<NaiveDate>().unwrap().succ_opt().unwrap().to_string(), fen, payer)
        })
        .collect();
    let file = cli.home.path().join("icbc.csv");
    std::fs::write(&file, icbc(&deposits)).unwrap();
    let imp = cli.run(&["bank", "import", file.to_str().unwrap(), "--preset", "icbc"]);
    assert_eq!(imp.code, 6, "open discrepancies exit 6: {imp:?}");
    assert_eq!(imp.json()["statement"]["rows"], 4);
    let r = cli.run(&["reconcile", "--leg", "bank", "--date", &d]);
    assert_eq!(r.code, 6, "{r:?}");
    let items = r.json()["discrepancies"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0]["kind"].as_str(), items[0]["account"].as_str()), (Some("short_deposit"), Some("wechat-demo")));
    let chain = cli.run(&["bank", "chain", "--date", &d]);
    assert_eq!((chain.code, chain.json()["channel_bank"]["state"].as_str()), (6, Some("differ")));
    // Resolved with a note: nothing open any more.
    let id = items[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(cli.run(&["bank", "resolve", &id, "--note", ""]).code, 2, "a note is required");
    // An unknown id exits 5, as `reconcile resolve` does.
    assert_eq!(cli.run(&["bank", "resolve", "99999", "--note", "x"]).code, 5);
    assert_eq!(cli.run(&["bank", "recheck", "99999"]).code, 5);
    cli.ok(&["bank", "resolve", &id, "--note", "微信少付 1.00，已申请补款"]);
    let out = cli.home.path().join("reports");
    let r = cli.run(&["reconcile", "--leg", "bank", "--date", &d, "--show", "--export", "xlsx", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(out.join(format!("bank-{d}.xlsx")).exists());
    // Refusals name the field.
    let r = cli.run(&["bank", "import", "/nonexistent.csv"]);
    assert!(r.code == 2 && r.json()["error"]["message"].as_str().unwrap().starts_with("file"), "{r:?}");
    let r = cli.run(&["reconcile", "--leg", "bank", "--account", "wechat-demo"]);
    assert!(r.code == 2 && r.json()["error"]["message"].as_str().unwrap().starts_with("leg"), "{r:?}");
    assert_eq!(cli.ok(&["bank", "presets"]).as_array().unwrap().len(), 5);
}
