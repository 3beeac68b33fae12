//! The bill parser on a GBK ZIP fixture built here from the §1.7 sample (a public test's
//! inline bill: 6 payments and 4 refunds of 0.01), plus malformed files.

use std::io::{Read, Write};

use paydesk_core::statement::StatementKind;

use super::super::bill::{self, DETAIL_COLUMNS};

const HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

const ROWS: [&str; 10] = [
    "2019091622001458860515315453\t,service_1568601259302\t,交易\t,下单测试,2019-09-16 10:55:16,2019-09-16 10:55:23,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,下单测试",
    "2019091622001458860515315453\t,service_1568601259302\t,退款\t,下单测试,2019-09-16 10:55:16,2019-09-16 10:56:48,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,-0.01,-0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,re_test_1568602607356\t,0.00,0.00,下单测试",
    "2019091622001458860513822558\t,service_1568603173853\t,交易\t,下单测试,2019-09-16 11:07:03,2019-09-16 11:07:09,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,下单测试",
    "2019091622001458860513822558\t,service_1568603173853\t,退款\t,下单测试,2019-09-16 11:07:03,2019-09-16 11:26:55,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,-0.01,-0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,re_test_1568604414433\t,0.00,0.00,下单测试",
    "2019091622001458860516395930\t,service_1568613406000\t,交易\t,下单测试,2019-09-16 13:57:42,2019-09-16 13:57:52,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,下单测试",
    "2019091622001458860516395930\t,service_1568613406000\t,退款\t,下单测试,2019-09-16 13:57:42,2019-09-16 14:15:12,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,-0.01,-0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,re_test_1568614511552\t,0.00,0.00,下单测试",
    "2019091622001458860516993488\t,qd_201909161455139634Sjad2vy\t,交易\t,RPC_GENERAL接口测试,2019-09-16 14:56:35,2019-09-16 14:57:19,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,RPC_GENERAL接口测试",
    "2019091622001458860516993488\t,qd_201909161455139634Sjad2vy\t,退款\t,RPC_GENERAL接口测试,2019-09-16 14:56:35,2019-09-16 15:00:38,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,-0.01,-0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,re_20190916150216125q8Lmiodp\t,0.00,0.00,RPC_GENERAL接口测试",
    "2019091622001465870515233238\t,20190916165659224L3VUQRL9\t,交易\t,千丁订单INSURANCE88100011909161658423172,2019-09-16 16:58:56,2019-09-16 16:58:58,\t,\t,\t,\t,*庚辰(182****01)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,",
    "2019091622001458860517860493\t,qd_201909161844073417CB0wPzR\t,交易\t,RPC_GENERAL接口测试,2019-09-16 18:43:06,2019-09-16 18:43:34,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,RPC_GENERAL接口测试",
];

const PREAMBLE: [&str; 4] = [
    "#支付宝业务明细查询",
    "#账号：[20880211096256330156]",
    "#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]",
    "#-----------------------------------------业务明细列表----------------------------------------",
];

const FOOTER: [&str; 4] = [
    "#-----------------------------------------业务明细列表结束------------------------------------",
    "#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元",
    "#退款合计：4笔，商家实收退款共-0.04元，商家优惠退款共0.00元",
    "#导出时间：[2019年09月17日 05:46:49]",
];

/// The sample text with `rows` between header and footer; the first data row is line 6.
fn text(rows: &[&str], footer: &[&str]) -> String {
    let mut lines: Vec<&str> = PREAMBLE.to_vec();
    lines.push(HEADER);
    lines.extend_from_slice(rows);
    lines.extend_from_slice(footer);
    lines.join("\r\n") + "\r\n"
}

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(s);
    assert!(!unmappable, "fixture text not representable in GBK");
    bytes.into_owned()
}

fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn sample_zip() -> Vec<u8> {
    let summary = "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数,退款订单总笔数\r\n合计,,6,4\r\n";
    zip_of(&[
        ("20880211096256330156_20190916_业务明细(汇总).csv", gbk(summary)),
        ("20880211096256330156_20190916_业务明细.csv", gbk(&text(&ROWS, &FOOTER))),
    ])
}

#[test]
fn the_header_has_the_25_columns() {
    assert_eq!(HEADER.split(',').collect::<Vec<_>>(), DETAIL_COLUMNS.to_vec());
}

#[test]
fn sample_zip_parses_with_totals() {
    let st = bill::parse_statement(&sample_zip()).unwrap();
    assert_eq!(st.merchant_id, "20880211096256330156");
    assert_eq!(st.rows.len(), 10);
    let pays: Vec<_> = st.rows.iter().filter(|r| r.kind == StatementKind::Payment).collect();
    let refunds: Vec<_> = st.rows.iter().filter(|r| r.kind == StatementKind::Refund).collect();
    assert_eq!((pays.len(), refunds.len()), (6, 4));
    let first = &st.rows[0];
    assert_eq!(first.channel_trade_no, "2019091622001458860515315453");
    assert_eq!(first.order_no, "service_1568601259302");
    assert_eq!((first.amount, first.refund_amount, first.fee, first.refund_no.as_deref()), (1, 0, 0, None));
    assert_eq!(first.status, "交易");
    assert_eq!(first.time.unwrap().to_string(), "2019-09-16 10:55:23");
    assert_eq!(first.merchant_id, "20880211096256330156");
    let refund = &st.rows[1];
    assert_eq!((refund.amount, refund.refund_amount, refund.refund_no.as_deref()), (0, 1, Some("re_test_1568602607356")));
    assert_eq!(st.rows[8].order_no, "20190916165659224L3VUQRL9");
    // Footer totals, and they agree with the rows.
    assert_eq!((st.totals.payments, st.totals.payment_amount, st.totals.refunds, st.totals.refund_amount, st.totals.fees), (Some(6), Some(6), Some(4), Some(4), None));
    assert_eq!(pays.iter().map(|r| r.amount).sum::<i64>(), st.totals.payment_amount.unwrap());
    assert_eq!(refunds.iter().map(|r| r.refund_amount).sum::<i64>(), st.totals.refund_amount.unwrap());
    // No cell keeps its Excel-guard TAB.
    assert!(st.rows.iter().all(|r| !r.channel_trade_no.contains('\t') && !r.order_no.contains('\t') && !r.status.contains('\t')));
}

#[test]
fn the_csv_alone_and_a_file_on_disk_parse_the_same() {
    let from_zip = bill::parse_statement(&sample_zip()).unwrap();
    assert_eq!(bill::parse_statement(&gbk(&text(&ROWS, &FOOTER))).unwrap(), from_zip);
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("bill.csv.zip");
    std::fs::write(&zip_path, sample_zip()).unwrap();
    assert_eq!(bill::parse_statement_file(&zip_path).unwrap(), from_zip);
    let csv_path = dir.path().join("detail.csv");
    std::fs::write(&csv_path, gbk(&text(&ROWS, &FOOTER))).unwrap();
    assert_eq!(bill::parse_statement_file(&csv_path).unwrap(), from_zip);
    // Re-saved as UTF-8 with a BOM (as Excel does): still readable.
    let mut utf8 = b"\xEF\xBB\xBF".to_vec();
    utf8.extend_from_slice(text(&ROWS, &FOOTER).as_bytes());
    assert_eq!(bill::parse_statement(&utf8).unwrap(), from_zip);
}

#[test]
fn a_malformed_line_names_its_number() {
    let mut rows = ROWS.to_vec();
    let bad = ROWS[2].replace(",0.01,0.01,", ",0.0x,0.01,");
    rows[2] = &bad;
    let e = bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap_err();
    assert_eq!(e.line, 8, "{e}");
    assert!(e.to_string().starts_with("line 8: 订单金额（元）"), "{e}");

    let short = ROWS[4].split(',').take(10).collect::<Vec<_>>().join(",");
    rows = ROWS.to_vec();
    rows[4] = &short;
    let e = bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap_err();
    assert_eq!(e.line, 10, "{e}");

    let kind = ROWS[0].replace("交易\t", "冻结\t");
    rows = ROWS.to_vec();
    rows[0] = &kind;
    let e = bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap_err();
    assert_eq!(e.line, 6, "{e}");
    assert!(e.message.contains("冻结"));

    let time = ROWS[1].replace("2019-09-16 10:56:48", "2019/09/16");
    rows = ROWS.to_vec();
    rows[1] = &time;
    assert_eq!(bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap_err().line, 7);
}

#[test]
fn bytes_that_are_not_gbk_name_the_line() {
    let mut bytes = gbk(&text(&ROWS, &FOOTER));
    // Corrupt a byte in line 9 (a lone lead byte before a comma).
    let line_start = bytes.split(|b| *b == b'\n').take(8).map(|l| l.len() + 1).sum::<usize>();
    bytes.insert(line_start + 5, 0x81);
    bytes.insert(line_start + 6, b',');
    let e = bill::parse_statement(&bytes).unwrap_err();
    assert_eq!(e.line, 9, "{e}");
    assert!(e.message.contains("GBK"), "{e}");
}

#[test]
fn a_bad_byte_in_a_cell_we_do_not_read_still_refuses_the_line() {
    // The fast path decodes only the cells it needs; the whole line must still be valid GBK.
    let mut bytes = gbk(&text(&ROWS, &FOOTER));
    let line7 = bytes.split(|b| *b == b'\n').take(6).map(|l| l.len() + 1).sum::<usize>();
    let name_at = line7 + bytes[line7..].windows(1).position(|w| w == b"\t").unwrap() + 60;
    bytes.insert(name_at, 0xFF);
    let e = bill::parse_statement(&bytes).unwrap_err();
    assert_eq!(e.line, 7, "{e}");
    assert!(e.message.contains("GBK"), "{e}");
}

#[test]
fn fast_and_quoted_paths_read_rows_alike() {
    // The same row, once plain (fast path) and once with a quoted name (general path).
    let quoted = ROWS[0].replace(",下单测试,2019-09-16 10:55:16", ",\"下单测试\",2019-09-16 10:55:16");
    assert_ne!(quoted, ROWS[0]);
    let mut rows = ROWS.to_vec();
    rows[0] = &quoted;
    let a = bill::parse_statement(&gbk(&text(&ROWS, &FOOTER))).unwrap();
    let b = bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_truncated_file_is_refused_at_the_footer() {
    let e = bill::parse_statement(&gbk(&text(&ROWS[..9], &FOOTER))).unwrap_err();
    // Preamble 4 + header 1 + 9 rows + end marker 1 → the 交易合计 line is line 16.
    assert_eq!(e.line, 16, "{e}");
    assert!(e.message.contains("6 payments") && e.message.contains("5"), "{e}");
}

#[test]
fn quoted_cells_with_commas_quotes_and_newlines() {
    let tricky = ROWS[0].replace(",下单测试,2019-09-16 10:55:16", ",\"咖啡, \"\"大杯\"\"\n加冰\",2019-09-16 10:55:16");
    let mut rows = ROWS.to_vec();
    rows[0] = &tricky;
    let bad = ROWS[2].replace(",0.01,0.01,", ",x,0.01,");
    rows[2] = &bad;
    // The quoted newline makes row 1 two physical lines: the bad row 3 is on line 9.
    let e = bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap_err();
    assert_eq!(e.line, 9, "{e}");
    rows[2] = ROWS[2];
    let st = bill::parse_statement(&gbk(&text(&rows, &FOOTER))).unwrap();
    assert_eq!(st.rows.len(), 10);
    assert_eq!(st.rows[0].channel_trade_no, "2019091622001458860515315453");
}

#[test]
fn files_that_are_not_a_detail_bill() {
    // The summary alone, or any CSV without the header.
    let e = bill::parse_statement(&gbk("#支付宝业务汇总查询\r\n门店编号,门店名称\r\n")).unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    let e = bill::parse_statement(&gbk("#only comments\r\n")).unwrap_err();
    assert!(e.message.contains("no header row"), "{e}");
    let zip = zip_of(&[("a_业务明细(汇总).csv", vec![]), ("readme.txt", vec![]), ("b_汇总.csv", vec![])]);
    let e = bill::parse_statement(&zip).unwrap_err();
    assert!(e.message.contains("readme.txt"), "{e}");
    let header_without_amount = HEADER.replace("订单金额（元）", "金额");
    let e = bill::parse_statement(&gbk(&format!("{header_without_amount}\r\n"))).unwrap_err();
    assert!(e.message.contains("订单金额（元）"), "{e}");
    // A row after the end marker.
    let mut footer = FOOTER.to_vec();
    footer.insert(1, ROWS[0]);
    assert_eq!(bill::parse_statement(&gbk(&text(&ROWS, &footer))).unwrap_err().line, 17);
}

#[test]
fn gbk_entry_names_are_decoded() {
    let raw = gbk("20880211096256330156_20190916_业务明细.csv");
    assert!(std::str::from_utf8(&raw).is_err());
    assert!(bill::entry_name(&raw).ends_with(bill::DETAIL_SUFFIX));
}

/// Produces a large detail file on the fly, never holding it whole.
struct Generated {
    rows: u64,
    next: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.next == 0 {
                self.buf = gbk(&format!("{}\r\n{}\r\n{HEADER}\r\n", PREAMBLE[0], PREAMBLE[1]));
            } else if self.next <= self.rows {
                let line = ROWS[0].replace("service_1568601259302", &format!("P{:020}", self.next));
                self.buf = gbk(&format!("{line}\r\n"));
            } else if self.next == self.rows + 1 {
                self.buf = gbk(&format!("{}\r\n#交易合计：{}笔，商家实收共{}.{:02}元，商家优惠共0.00元\r\n", FOOTER[0], self.rows, self.rows / 100, self.rows % 100));
            } else {
                return Ok(0);
            }
            self.next += 1;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn large_files_stream_row_by_row() {
    // PAYDESK_BILL_ROWS=1000000 for a manual check of a million-row bill.
    let rows = std::env::var("PAYDESK_BILL_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let mut it = bill::detail_rows(Generated { rows, next: 0, buf: Vec::new(), pos: 0 });
    let (mut n, mut sum) = (0u64, 0i64);
    for r in it.by_ref() {
        let r = r.unwrap();
        n += 1;
        sum += r.amount;
    }
    assert_eq!(n, rows);
    assert_eq!(it.totals().payments, Some(rows));
    assert_eq!(it.totals().payment_amount, Some(sum));
}

