//! The settlement side of UnionPay's file download: 结算金额 per line, the day's batch.

use std::io::Write;

use paydesk_core::settle::{derive, FundKind};

use super::super::bill::{field as F, zm_record};
use super::super::funds;

fn pay(order: &str, amt: &str, fee: &str, settle: &str) -> Vec<u8> {
    zm_record(&[(F::TXN_TIME, "1125103005"), (F::TXN_AMT, amt), (F::QUERY_ID, "Q1"), (F::ORDER_ID, order), (F::MER_CHARGE, fee), (17, settle), (F::TXN_TYPE, "01"), (F::TXN_SUB_TYPE, "07"), (F::MER_ID, "777290058165621")])
}

fn refund(order: &str, amt: &str, fee: &str, settle: &str) -> Vec<u8> {
    zm_record(&[(F::TXN_TIME, "1125113000"), (F::TXN_AMT, amt), (F::QUERY_ID, "Q2"), (F::ORDER_ID, order), (F::MER_CHARGE, fee), (17, settle), (F::TXN_TYPE, "04"), (F::TXN_SUB_TYPE, "00"), (F::MER_ID, "777290058165621"), (F::ORIG_ORDER_ID, "P1")])
}

fn zip_of(records: &[Vec<u8>]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    w.start_file("INN26112588ZM_777290058165621", o).unwrap();
    for r in records {
        w.write_all(r).unwrap();
        w.write_all(b"\r\n").unwrap();
    }
    w.start_file("INN26112588ZME_777290058165621", o).unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn each_line_settles_its_amount_less_the_fee_and_the_day_is_one_batch() {
    let f = funds::parse(&zip_of(&[pay("P1", "000000010000", "D000000000038", "C000000009962"), pay("P2", "000000002000", "D000000000008", ""), refund("R1", "000000001000", "C000000000004", "D000000000996")])).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert_eq!(f.settle_date, Some(day));
    assert_eq!(f.merchant_id, "777290058165621");
    let kinds: Vec<FundKind> = f.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [FundKind::Sale, FundKind::Sale, FundKind::Refund, FundKind::Payout]);
    assert_eq!((f.rows[0].amount, f.rows[0].fee), (9_962, -38));
    assert_eq!(f.rows[1].amount, 1_992, "an older file without 结算金额: the amount less the fee");
    assert_eq!((f.rows[2].amount, f.rows[2].fee), (-996, 4));
    let batch = &f.rows[3];
    assert_eq!((batch.amount, batch.flow_no.as_str()), (-(9_962 + 1_992 - 996), "777290058165621-20261125"));
    let d = derive(&f, day);
    assert_eq!((d.sales, d.refunds, d.fees, d.net, d.paid_out()), (12_000, 1_000, 42, 10_958, 10_958));
}

#[test]
fn a_settlement_that_does_not_add_up_is_refused() {
    let e = funds::parse(&zip_of(&[pay("P1", "000000010000", "D000000000038", "C000000009999")])).unwrap_err();
    assert!(e.line == 1 && e.message.contains("结算金额"), "{e}");
    let e = funds::parse(&zip_of(&[pay("P1", "000000010000", "D000000000038", "X12")])).unwrap_err();
    assert!(e.message.contains("field 17"), "{e}");
    assert!(funds::parse(b"INN26112588ZM_...").unwrap_err().message.contains("ZIP"));
}
