//! The ZM statement parser: layout, amounts, refunds and revokes, errors with line numbers.

use paydesk_core::statement::StatementKind;

use super::super::bill::{self, field as F, zm_record, ZmRows};

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn pay(order: &str, qid: &str, amt: &str, fee: &str) -> Vec<u8> {
    zm_record(&[(F::TRADE_CODE, "S22"), (F::TXN_TIME, "1125103005"), (F::TXN_AMT, amt), (F::QUERY_ID, qid), (F::ORDER_ID, order), (F::MER_CHARGE, fee), (F::TXN_TYPE, "01"), (F::TXN_SUB_TYPE, "07"), (F::MER_ID, "777290058165621")])
}

fn lines(recs: &[Vec<u8>], end: &[u8]) -> Vec<u8> {
    recs.iter().flat_map(|r| r.iter().copied().chain(end.iter().copied())).collect()
}

#[test]
fn layout_offsets_follow_the_acp_demo() {
    assert_eq!(bill::offset(1), 0);
    assert_eq!(bill::offset(F::TXN_AMT), 3 + 11 + 11 + 6 + 10 + 19 + 6);
    let r = pay("P20261125103005000T1001", "202611251030050000001", "000000001230", "D000000000005");
    assert_eq!(r.len(), bill::ZM_WIDTHS.iter().sum::<usize>() + bill::ZM_WIDTHS.len() - 1);
    assert_eq!(&r[bill::offset(F::ORDER_ID)..bill::offset(F::ORDER_ID) + 23], b"P20261125103005000T1001");
}

#[test]
fn payments_refunds_and_revokes() {
    let refund = zm_record(&[(F::TRADE_CODE, "S30"), (F::TXN_TIME, "1125113000"), (F::TXN_AMT, "000000000300"), (F::QUERY_ID, "202611251130000000009"), (F::ORDER_ID, "R20261125113000000T1001"), (F::MER_CHARGE, "C000000000001"), (F::TXN_TYPE, "04"), (F::TXN_SUB_TYPE, "00"), (F::ORIG_QRY_ID, "202611251030050000001"), (F::MER_ID, "777290058165621"), (F::ORIG_ORDER_ID, "P20261125103005000T1001")]);
    let revoke = zm_record(&[(F::TXN_TIME, "1125120000"), (F::TXN_AMT, "000000000500"), (F::QUERY_ID, "Q3"), (F::ORDER_ID, "P20261125110000000T1002C"), (F::TXN_TYPE, "31"), (F::TXN_SUB_TYPE, "00"), (F::MER_ID, "777290058165621")]);
    let text = lines(&[pay("P20261125103005000T1001", "202611251030050000001", "000000001230", "D000000000005"), b"   ".to_vec(), refund, revoke], b"\r\n");
    let st = bill::collect(ZmRows::new(&text[..], day())).unwrap();
    assert_eq!(st.merchant_id, "777290058165621");
    assert_eq!(st.rows.len(), 3, "the blank line is skipped");
    let p = &st.rows[0];
    assert_eq!((p.kind, p.amount, p.fee, p.order_no.as_str(), p.channel_trade_no.as_str()), (StatementKind::Payment, 1230, 5, "P20261125103005000T1001", "202611251030050000001"));
    assert_eq!(p.time.unwrap().to_string(), "2026-11-25 10:30:05");
    let r = &st.rows[1];
    assert_eq!((r.kind, r.refund_amount, r.fee, r.refund_no.as_deref(), r.order_no.as_str()), (StatementKind::Refund, 300, -1, Some("R20261125113000000T1001"), "P20261125103005000T1001"));
    let v = &st.rows[2];
    assert_eq!((v.kind, v.refund_amount, v.order_no.as_str(), v.refund_no.as_deref()), (StatementKind::Refund, 500, "P20261125110000000T1002", None), "a revoke refunds its order in full");
    assert_eq!((st.totals.payments, st.totals.payment_amount, st.totals.refunds, st.totals.refund_amount, st.totals.fees), (Some(1), Some(1230), Some(2), Some(800), Some(4)));
}

#[test]
fn bad_lines_name_the_line_and_nothing_is_imported() {
    let good = pay("P20261125103005000T1001", "Q1", "000000001230", "");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (zm_record(&[(F::TXN_AMT, "000000000100"), (F::ORDER_ID, "P1"), (F::TXN_TYPE, "76"), (F::MER_ID, "777290058165621")]), "txnType"),
        (pay("P2", "Q2", "12.30", ""), "txnAmt"),
        (pay("P2", "Q2", "000000000100", "X00000000001"), "fee"),
        (pay("", "Q2", "000000000100", ""), "orderId"),
        (good[..100].to_vec(), "bytes"),
        (zm_record(&[(F::TXN_TIME, "1399999999"), (F::TXN_AMT, "1"), (F::ORDER_ID, "P3"), (F::TXN_TYPE, "01"), (F::MER_ID, "777290058165621")]), "time"),
    ];
    for (bad, what) in cases {
        let text = lines(&[good.clone(), good.clone(), bad], b"\n");
        let e = bill::collect(ZmRows::new(&text[..], day())).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains(what), "{what}: {e}");
    }
    let other = zm_record(&[(F::TXN_TIME, "1125103005"), (F::TXN_AMT, "1"), (F::ORDER_ID, "P4"), (F::TXN_TYPE, "01"), (F::MER_ID, "777290058199999")]);
    let e = bill::collect(ZmRows::new(&lines(&[good, other], b"\n")[..], day())).unwrap_err();
    assert!(e.message.contains("777290058199999"), "{e}");
}

#[test]
fn december_records_in_a_january_file_are_last_year() {
    let r = zm_record(&[(F::TXN_TIME, "1231235959"), (F::TXN_AMT, "1"), (F::ORDER_ID, "P1"), (F::TXN_TYPE, "01"), (F::MER_ID, "777290058165621")]);
    let jan = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let st = bill::collect(ZmRows::new(&r[..], jan)).unwrap();
    assert_eq!(st.rows[0].time.unwrap().to_string(), "2026-12-31 23:59:59");
}

#[test]
fn zip_entry_and_file_content_round_trip() {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("INN26112588ZME_777290058165621", o).unwrap();
    z.start_file("INN26112588ZM_777290058165621", o).unwrap();
    z.write_all(&pay("P20261125103005000T1001", "Q1", "000000001230", "D000000000005")).unwrap();
    let zip = z.finish().unwrap().into_inner();
    let content = bill::encode_file_content(&zip);
    assert_eq!(bill::decode_file_content(&content).unwrap(), zip);
    assert!(bill::decode_file_content("not base64!").is_err());
    let st = bill::parse_statement(&zip).unwrap();
    assert_eq!(st.rows.len(), 1, "the ZME (error) file is not the ZM file");
    assert!(bill::parse_statement(b"PK junk").is_err());
    assert_eq!(bill::entry_date("INN26112588ZM_777290058165621"), Some(day()));
    assert!(!bill::is_zm("INN26112588ZME_777290058165621") && bill::is_zm("INN26112588ZM_777290058165621"));
}

#[test]
fn the_statement_hook_tells_unionpay_files_from_alipay_zips() {
    use std::io::Write;
    let rec = pay("P20261125103005000T1001", "Q1", "000000001230", "D000000000005");
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("INN26112588ZM_777290058165621", zip::write::SimpleFileOptions::default()).unwrap();
    z.write_all(&rec).unwrap();
    let zip = z.finish().unwrap().into_inner();
    assert_eq!(crate::statement::detect(&zip).unwrap().name, "unionpay-zm-zip");
    assert_eq!(crate::statement::detect(&rec).unwrap().name, "unionpay-zm");
    let mut other = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    other.start_file("20880001226710800156_20261125_业务明细.csv", zip::write::SimpleFileOptions::default()).unwrap();
    assert_eq!(crate::statement::detect(&other.finish().unwrap().into_inner()).unwrap().channel, "alipay");
    let (f, rows) = crate::statement::open(&zip, Some("unionpay")).unwrap();
    assert_eq!(f.channel, "unionpay");
    let rows: Vec<_> = rows.collect::<Result<_, _>>().unwrap();
    assert_eq!((rows.len(), rows[0].amount), (1, 1230));
    assert!(crate::statement::open(&zip, Some("alipay")).is_err(), "a UnionPay file is not an Alipay account's");
}
