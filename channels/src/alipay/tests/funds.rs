//! The account-ledger (账务明细) parser on a GBK fixture in Alipay's layout, in its ZIP, and its
//! refusals.

use std::io::Write;

use paydesk_core::settle::{derive, FundKind};

use super::super::funds;

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/funds/alipay-signcustomer-20261125.csv")).unwrap()
}

fn zipped(detail: &[u8]) -> Vec<u8> {
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    // The summary comes first in real archives.
    w.start_file("20880001226710800156_20261125_账务明细(汇总).csv", o).unwrap();
    w.write_all(&gbk("#支付宝账务汇总查询\r\n")).unwrap();
    w.start_file("20880001226710800156_20261125_账务明细.csv", o).unwrap();
    w.write_all(detail).unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn the_ledger_lines_become_sales_fees_refunds_and_the_withdrawal() {
    let f = funds::parse(&fixture()).unwrap();
    assert_eq!(f.merchant_id, "20880001226710800156");
    let kinds: Vec<FundKind> = f.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [FundKind::Payout, FundKind::Sale, FundKind::Fee, FundKind::Sale, FundKind::Fee, FundKind::Refund, FundKind::Fee]);
    let sale = &f.rows[1];
    assert_eq!((sale.amount, sale.order_no.as_deref(), sale.trade_no.as_deref(), sale.balance), (3_200, Some("P2026112510001"), Some("2026112522001400000001"), Some(3_200)));
    assert_eq!(sale.line, 7, "lines are counted in the file, preamble included");
    let payout = &f.rows[0];
    assert_eq!((payout.amount, payout.flow_no.as_str(), payout.counterparty.as_deref()), (-15_000, "202611250001000001", Some("工商银行(尾号8888)")));
    assert_eq!((f.totals.income, f.totals.income_count, f.totals.expense, f.totals.expense_count), (Some(5_006), Some(3), Some(16_030), Some(4)));
    let d = derive(&f, chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
    assert_eq!((d.sales, d.refunds, d.fees, d.net), (5_000, 1_000, 24, 3_976));
    assert_eq!((d.paid_out(), d.declared_ok, d.balance_ok), (15_000, Some(true), Some(true)));
    assert_eq!(funds::parse(&zipped(&fixture())).unwrap(), f, "the ZIP's detail entry, not its summary");
}

#[test]
fn sniffing_and_refusals_name_the_line() {
    assert!(funds::sniff(&fixture()) && funds::sniff("\u{feff}#支付宝账务明细查询".as_bytes()));
    assert!(funds::sniff_zip(&zipped(&fixture())));
    assert!(!funds::sniff_zip(b"PK\x03\x04") && !funds::sniff(b"\xEF\xBB\xBF\xE4\xBA\xA4"));
    let text = encoding_rs::GB18030.decode(&fixture()).0.into_owned();
    let gbk = |s: String| encoding_rs::GBK.encode(&s).0.into_owned();
    let e = funds::parse(&gbk(text.replace("-0.19", "-0.1x"))).unwrap_err();
    assert_eq!(e.line, 8);
    assert!(e.message.contains("支出金额"), "{e}");
    let e = funds::parse(&gbk(text.replace("2026-11-25 11:30:00", "25/11/2026"))).unwrap_err();
    assert!(e.message.contains("发生时间") && e.line == 9, "{e}");
    let e = funds::parse(&gbk(text.replace("#收入合计：3笔", "#收入合计：4笔"))).unwrap_err();
    assert!(e.message.contains("incomplete"), "{e}");
    let e = funds::parse(b"PK\x03\x04broken").unwrap_err();
    assert!(e.message.contains("ZIP"), "{e}");
    let e = funds::parse(&gbk("#支付宝业务明细查询\r\n支付宝交易号,商户订单号\r\n".into())).unwrap_err();
    assert!(e.message.contains("账务流水号"), "a trade bill is not a ledger: {e}");
}
