//! The bank leg end to end: sales booked and filed with the simulator, the wallets' fund flows
//! downloaded through their APIs (the payouts), a bank statement imported (ICBC's CSV in GBK,
//! then CMB's XLSX), every kind of difference, the stable discrepancies across re-runs, the
//! resolve and re-check workflow, the chain of a day, and the exports opened and read back.

mod common;

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use common::wallets::{accounts, seed, today};
use common::Harness;
use paydesk_channels::funds::FundParsers;
use paydesk_core::export::Format;
use paydesk_core::reconcile::bank::{report, BankKind, BankLeg, ItemState};
use paydesk_core::settle::chain::{day_chain, LinkState};
use paydesk_core::settle::{FundInput, Settler};
use paydesk_core::store::{BankItem, PayoutRecord};

fn yuan(f: i64) -> String {
    paydesk_core::money::format_signed_fen(f)
}

struct World {
    h: Harness,
    bank: BankLeg,
    d1: NaiveDate,
    d2: NaiveDate,
}

impl World {
    async fn new() -> World {
        let h = Harness::start(&accounts()).await;
        let (d1, d2) = (today().checked_sub_days(Days::new(4)).unwrap(), today().checked_sub_days(Days::new(3)).unwrap());
        seed(h.payments.store(), &h.sim.state, d1, d2);
        let settler = Arc::new(Settler::new(h.payments.clone(), h.dir.path(), Arc::new(FundParsers)));
        // The wallets withdraw a day's net the next morning; UnionPay settles each day on its own.
        for (account, days) in [("alipay-demo", 3), ("wechat-demo", 3), ("unionpay-demo", 2)] {
            for d in d1.iter_days().take(days) {
                settler.fetch(account, d, FundInput::Download, None).await.unwrap_or_else(|e| panic!("{account} {d}: {e}"));
            }
        }
        World { bank: BankLeg::new(settler, h.dir.path()), h, d1, d2 }
    }

    fn payout(&self, account: &str, for_day: NaiveDate) -> PayoutRecord {
        let d = for_day.to_string();
        self.h.payments.store().payouts_for(&d, &d).unwrap().into_iter().find(|p| p.account == account).unwrap_or_else(|| panic!("no payout of {account} for {d}"))
    }

    fn items(&self, day: NaiveDate) -> Vec<BankItem> {
        self.h.payments.store().bank_items(&day.to_string(), &day.to_string(), None, None).unwrap()
    }
}

/// ICBC's corporate export, GBK: one line per deposit `(day, amount, payer, memo)`.
fn icbc(lines: &[(NaiveDate, i64, &str, &str)]) -> Vec<u8> {
    let mut text = String::from("凭证号,本方账号,对方账号,交易时间,借/贷,借方发生额,贷方发生额,对方行号,摘要,用途,对方单位名称,余额,个性化信息\r\n");
    let mut balance = 1_000_000;
    for (i, (day, amount, payer, memo)) in lines.iter().enumerate() {
        balance += amount;
        let (debit, credit) = if *amount < 0 { (yuan(-amount), String::new()) } else { (String::new(), yuan(*amount)) };
        text.push_str(&format!("{:04},1202021109900012345,,{day} 09:{:02}:00,{},{debit},{credit},,{memo},,{payer},{},\r\n", i + 1, i, if *amount < 0 { "借" } else { "贷" }, yuan(balance)));
    }
    encoding_rs::GBK.encode(&text).0.into_owned()
}

#[tokio::test]
async fn payouts_meet_the_bank_statement_every_kind_and_the_workflow() {
    let w = World::new().await;
    let (d1, d2) = (w.d1, w.d2);
    let (a1, a2) = (w.payout("alipay-demo", d1), w.payout("alipay-demo", d2));
    let (w1, w2) = (w.payout("wechat-demo", d1), w.payout("wechat-demo", d2));
    let (u1, u2) = (w.payout("unionpay-demo", d1), w.payout("unionpay-demo", d2));
    assert_eq!((a1.day.as_str(), u1.day.as_str()), (d2.to_string().as_str(), d1.to_string().as_str()), "wallets withdraw the next morning; UnionPay settles the day itself");
    assert!([&a1, &a2, &w1, &w2, &u1, &u2].iter().all(|p| p.expected == Some(p.amount)), "every batch equals the net of the day it covers");
    let next = |d: NaiveDate, n: u64| d.checked_add_days(Days::new(n)).unwrap();
    let file = icbc(&[
        (next(d1, 1), a1.amount, "", &format!("支付宝提现 {}", a1.reference)),
        (next(d1, 1), w1.amount, "财付通支付科技有限公司", "提现"),
        (next(d1, 1), u1.amount, "中国银联股份有限公司", "清算"),
        (next(d2, 1), a2.amount + 50, "支付宝（中国）网络技术有限公司", "提现"),
        (next(d2, 2), w2.amount - 100, "财付通支付科技有限公司", "提现"),
        (next(d2, 1), 888, "支付宝（中国）网络技术有限公司", "转账"),
        (next(d2, 1), 120_000, "张三", "货款"),
        (today(), -250_000, "王房东", "房租"),
    ]);
    let imp = w.bank.import("icbc-202611.csv", file.clone(), Some("icbc"), None, None).await.unwrap();
    assert_eq!((imp.statement.rows, imp.statement.new_rows, imp.statement.bank_account.as_str()), (8, 8, "1202021109900012345"));
    assert!(w.h.dir.path().join(&imp.statement.file).exists(), "the original file is kept");
    let run = |d: NaiveDate| imp.runs.iter().rev().find(|r| r.day == d.to_string()).unwrap().clone();
    let s1 = run(d1).summary;
    assert_eq!((s1.payouts, s1.matched, s1.deposited, s1.missing + s1.short + s1.over + s1.unexpected), (3, 3, a1.amount + w1.amount + u1.amount, 0));
    let s2 = run(d2).summary;
    assert_eq!((s2.payouts, s2.matched, s2.short, s2.over, s2.missing, s2.unexpected, s2.unexpected_amount), (3, 0, 1, 1, 1, 1, 888));
    let items = w.items(d2);
    let find = |k: BankKind| items.iter().find(|i| i.kind == k).unwrap().clone();
    let (short, over, missing, unexpected) = (find(BankKind::ShortDeposit), find(BankKind::OverDeposit), find(BankKind::MissingDeposit), find(BankKind::UnexpectedDeposit));
    assert_eq!((short.account.as_deref(), short.expected, short.deposited), (Some("wechat-demo"), Some(w2.amount), Some(w2.amount - 100)));
    assert_eq!((over.account.as_deref(), over.deposited), (Some("alipay-demo"), Some(a2.amount + 50)));
    assert_eq!((missing.account.as_deref(), missing.payout_ref.as_deref()), (Some("unionpay-demo"), Some(u2.reference.as_str())));
    assert_eq!((unexpected.deposited, unexpected.payer.as_deref()), (Some(888), Some("支付宝（中国）网络技术有限公司")));
    assert_eq!(short.reason.args["difference"], "1.00");
    // Importing the same file again adds no line and changes nothing.
    let again = w.bank.import("icbc-202611.csv", file, Some("icbc"), None, None).await.unwrap();
    assert_eq!(again.statement.new_rows, 0);
    assert_eq!(w.items(d2).iter().map(|i| (i.id, i.state)).collect::<Vec<_>>(), items.iter().map(|i| (i.id, i.state)).collect::<Vec<_>>(), "discrepancies keep their ids across re-runs");
    // Resolve needs a note; a resolution survives a re-run.
    assert_eq!(w.bank.resolve(over.id, "  ", None).unwrap_err().code(), "invalid");
    let r = w.bank.resolve(over.id, "支付宝多付 0.50，已联系客服退回", None).unwrap();
    assert_eq!((r.state, r.note.as_deref()), (ItemState::Resolved, Some("支付宝多付 0.50，已联系客服退回")));
    w.bank.run_day(d2, "manual", None).unwrap();
    assert_eq!(w.h.payments.store().bank_item(over.id).unwrap().state, ItemState::Resolved);
    // Re-check reads the fund flow again and runs the day: the short deposit is still short.
    let rc = w.bank.recheck(short.id, None).await.unwrap();
    assert_eq!(rc.state, ItemState::Open);
    assert!(w.h.payments.store().bank_actions(short.id).unwrap().last().unwrap().outcome.contains("still finds it"));
    // The missing settlement arrives in the next export (CMB's XLSX): the discrepancy is fixed.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, v) in ["交易日", "交易时间", "借方金额", "贷方金额", "余额", "摘要", "收/付方名称"].iter().enumerate() {
        ws.write_string(0, c as u16, *v).unwrap();
    }
    ws.write_string(1, 0, next(d2, 2).format("%Y%m%d").to_string()).unwrap();
    ws.write_string(1, 1, "101500").unwrap();
    ws.write_number(1, 3, u2.amount as f64 / 100.0).unwrap();
    ws.write_string(1, 5, "清算").unwrap();
    ws.write_string(1, 6, "中国银联股份有限公司").unwrap();
    w.bank.import("cmb.xlsx", wb.save_to_buffer().unwrap(), None, Some("755912345610601"), None).await.unwrap();
    let fixed = w.h.payments.store().bank_item(missing.id).unwrap();
    assert_eq!(fixed.state, ItemState::Fixed);
    assert!(w.h.payments.store().bank_actions(missing.id).unwrap().iter().any(|a| a.outcome.contains("no longer found")));
    assert!(w.bank.resolve(missing.id, "x", None).is_err(), "a fixed discrepancy is not resolved");
    // The chain of each day.
    let c1 = day_chain(w.bank.settler(), d1).unwrap();
    assert_eq!((c1.book_channel.state, c1.channel_bank.state), (LinkState::Agree, LinkState::Agree));
    assert_eq!((c1.book.sales, c1.channel.sales, c1.expected, c1.deposited), (3 * 13_350, 3 * 13_350, c1.expected, c1.expected));
    let c2 = day_chain(w.bank.settler(), d2).unwrap();
    assert_eq!((c2.book_channel.state, c2.channel_bank.state), (LinkState::Agree, LinkState::Differ));
    let status = |a: &str| c2.accounts.iter().find(|x| x.account == a).unwrap().payouts[0].status.clone();
    assert_eq!((status("alipay-demo"), status("wechat-demo"), status("unionpay-demo")), ("over".into(), "short".into(), "matched".into()));
    assert_eq!(c2.deposited - c2.expected, 50 - 100);
    // Exports: read back what was written.
    let runs = w.h.payments.store().latest_bank_runs(&d1.to_string(), &d2.to_string()).unwrap();
    let tables = report::tables(w.h.payments.store(), &runs).unwrap();
    let out = tempfile::tempdir().unwrap();
    let xlsx = paydesk_core::export::write_files(out.path(), "bank", &tables, Format::Xlsx).unwrap();
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(&xlsx[0]).unwrap();
    let disc = book.worksheet_range("discrepancies").unwrap();
    let text: Vec<String> = disc.rows().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("|")).collect();
    assert!(text[0].contains("类型 Kind"), "{text:?}");
    assert!(text.iter().any(|l| l.contains("到账不足 Short deposit") && l.contains("wechat-demo")), "{text:?}");
    assert!(text.iter().any(|l| l.contains("已解决 resolved") && l.contains("支付宝多付")), "{text:?}");
    let matched = book.worksheet_range("matched").unwrap();
    assert_eq!(matched.rows().count(), 1 + 3 + 3, "header, d1's three deposits and d2's three paired ones");
    let gbk = paydesk_core::export::write_files(out.path(), "bank", &tables, Format::CsvGbk).unwrap();
    let summary = gbk.iter().find(|p| p.to_string_lossy().contains("summary")).unwrap();
    let text = encoding_rs::GBK.decode(&std::fs::read(summary).unwrap()).0.into_owned();
    assert!(text.starts_with("营业日 Business day,") && text.contains("合计 Total"), "{text}");
    let audit: Vec<String> = w.h.payments.store().audit_log(200).unwrap().into_iter().map(|a| a.action).collect();
    for a in ["bank_import", "bank_reconcile", "bank_resolve", "bank_recheck", "settle"] {
        assert!(audit.iter().any(|x| x == a), "{a} is audited");
    }
}

#[tokio::test]
async fn nothing_is_missing_before_the_bank_statement_covers_the_window() {
    let w = World::new().await;
    let a2 = w.payout("alipay-demo", w.d2);
    // A statement that ends the day the payout left: its deposit may still come.
    let file = icbc(&[(w.d2, 500, "张三", "货款")]);
    let imp = w.bank.import("early.csv", file, None, None, None).await.unwrap();
    assert_eq!(imp.statement.preset, "icbc", "detected by its header");
    let s = w.bank.run_day(w.d2, "manual", None).unwrap().summary;
    assert_eq!((s.missing, s.pending), (0, 3));
    assert!(w.items(w.d2).is_empty());
    let e = w.bank.import("x.csv", b"hello,world\n".to_vec(), None, None, None).await.unwrap_err();
    assert_eq!(e.code(), "bad_statement");
    assert!(w.bank.run_day(today(), "manual", None).is_err(), "today is not over");
    assert!(a2.amount > 0);
}

#[tokio::test]
async fn the_demo_settlement_day_meets_its_sample_bank_statements() {
    use paydesk_channels::demo_chain;
    // Beside the store accounts, the till's own Alipay account, enabled and idle that day (the
    // demo's 支付宝 Demo): nothing booked, no fund flow read — it leaves the day's links alone.
    let stores = demo_chain::accounts_toml("{SIM}", std::path::Path::new("{KEYS}"));
    let idle = stores.split("[[account]]").nth(1).unwrap().replace("alipay-store", "alipay-idle").replace("enabled = false", "enabled = true");
    let h = Harness::start(&format!("{stores}\n[[account]]{idle}")).await;
    let day = today().checked_sub_days(Days::new(2)).unwrap();
    assert!(demo_chain::seed_day(h.payments.store(), &h.sim.state, day, chrono_tz::Asia::Shanghai).unwrap());
    assert!(!demo_chain::seed_day(h.payments.store(), &h.sim.state, day, chrono_tz::Asia::Shanghai).unwrap(), "once per home");
    let settler = Arc::new(Settler::new(h.payments.clone(), h.dir.path(), Arc::new(FundParsers)));
    for a in demo_chain::ACCOUNTS {
        for d in [day, day.succ_opt().unwrap()] {
            settler.fetch(a, d, FundInput::Download, None).await.unwrap_or_else(|e| panic!("{a} {d}: {e}"));
        }
    }
    let bank = BankLeg::new(settler, h.dir.path());
    let icbc = demo_chain::sample("icbc-demo.csv", day).unwrap();
    assert!(encoding_rs::GBK.decode(&icbc).0.contains(&format!("{} 08:31:07", day.succ_opt().unwrap())), "dates moved to the demo's day");
    bank.import("icbc-demo.csv", icbc, Some("icbc"), None, None).await.unwrap();
    let c = day_chain(bank.settler(), day).unwrap();
    assert_eq!(c.book_channel.state, LinkState::Agree, "{c:?}");
    let idle = c.accounts.iter().find(|a| a.account == "alipay-idle").expect("the idle account is listed");
    assert_eq!(idle.book_channel.state, LinkState::Unknown, "its own link is unknown");
    let status = |c: &paydesk_core::settle::chain::DayChain, a: &str| c.accounts.iter().find(|x| x.account == a).unwrap().payouts[0].status.clone();
    assert_eq!((status(&c, "alipay-store"), status(&c, "wechat-store"), status(&c, "unionpay-store")), ("matched".into(), "short".into(), "pending".into()));
    assert_eq!((c.channel.net, c.expected), (7_604 + 7_018 + 7_950, 7_604 + 7_018 + 7_950), "the figures the samples were written for");
    bank.import("ccb-demo.csv", demo_chain::sample("ccb-demo.csv", day).unwrap(), None, None, None).await.unwrap();
    let c = day_chain(bank.settler(), day).unwrap();
    assert_eq!(status(&c, "unionpay-store"), "matched");
    let item = w_items(&bank, day).into_iter().find(|i| i.kind == BankKind::ShortDeposit).unwrap();
    bank.resolve(item.id, "银行扣了 1 元跨行汇款手续费", None).unwrap();
    assert_eq!(day_chain(bank.settler(), day).unwrap().channel_bank.state, LinkState::Agree, "every difference explained");
}

fn w_items(bank: &BankLeg, day: NaiveDate) -> Vec<BankItem> {
    bank.store().bank_items(&day.to_string(), &day.to_string(), None, None).unwrap()
}
