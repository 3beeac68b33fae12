//! Bank statement reading: each preset on an export in its bank's layout (CSV in GBK, UTF-8 with
//! BOM, UTF-16, XLSX with a preamble and footer), detection, the shop's own mapping, refusals.

use chrono::{NaiveDate, NaiveTime};

use super::mapping::{presets, BankMapping, BankSettings};
use super::read::{self, detect, grid};

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

fn preset(name: &str) -> BankMapping {
    presets().into_iter().find(|p| p.name == name).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// An XLSX of rows (numbers stay numbers).
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if !v.is_empty() && v.len() < 12 => ws.write_number(r as u32, c as u16, n).map(|_| ()),
                _ => ws.write_string(r as u32, c as u16, *v).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

const ICBC: &str = "凭证号,本方账号,对方账号,交易时间,借/贷,借方发生额,贷方发生额,对方行号,摘要,用途,对方单位名称,余额,个性化信息\r\n\
    0001,1202021109900012345,=\"6226090000000048\",2026-11-26 08:15:22,贷,,\"1,234.56\",,支付宝提现,20261126000801,支付宝（中国）网络技术有限公司,\"11,234.56\",\r\n\
    0002,1202021109900012345,,2026-11-26 09:00:00,借,300.00,,,房租,,王房东,\"10,934.56\",\r\n\
    合计,,,,,300.00,\"1,234.56\",,,,,,\r\n";

#[test]
fn icbc_csv_in_gbk_with_excel_guards_and_a_total_line() {
    let bank = read::read(&gbk(ICBC), Some(&preset("icbc")), &[]).unwrap();
    assert_eq!(bank.rows.len(), 2, "the 合计 line is not a transaction");
    let r = &bank.rows[0];
    assert_eq!((r.day, r.time, r.amount, r.balance), (day(26), NaiveTime::from_hms_opt(8, 15, 22), 123_456, Some(1_123_456)));
    assert_eq!(r.counterparty.as_deref(), Some("支付宝（中国）网络技术有限公司"));
    assert_eq!(r.counterparty_account.as_deref(), Some("6226090000000048"), "the =\"…\" guard is removed");
    assert_eq!(r.memo, "支付宝提现 / 20261126000801");
    assert_eq!((r.reference.as_deref(), bank.bank_account.as_deref()), (Some("0001"), Some("1202021109900012345")));
    assert_eq!(bank.rows[1].amount, -30_000);
    assert_eq!(detect(&grid(&gbk(ICBC)).unwrap(), &presets()).unwrap().name, "icbc");
}

#[test]
fn ccb_is_told_from_icbc_and_reads_compact_times() {
    let text = "账号,账户名称,交易时间,借方发生额（支取）,贷方发生额（收入）,余额,币种,对方户名,对方账号,对方开户机构,记账日期,摘要,备注,账户明细编号-交易流水号\n\
        44050100000000000001,某某咖啡店,20261126 09:01:10,0.00,98.76,1098.76,人民币元,财付通支付科技有限公司,243300133,招商银行深圳分行,20261126,网银跨行,自动提现 1125,44050-0001\n";
    let g = grid(&gbk(text)).unwrap();
    assert_eq!(detect(&g, &presets()).unwrap().name, "ccb", "建设银行's own headers beat ICBC's shorter ones");
    let bank = read::rows(&g, &preset("ccb")).unwrap();
    let r = &bank.rows[0];
    assert_eq!((r.day, r.time, r.amount), (day(26), NaiveTime::from_hms_opt(9, 1, 10), 9_876));
    assert_eq!((r.reference.as_deref(), r.memo.as_str()), (Some("44050-0001"), "网银跨行 / 自动提现 1125"));
}

#[test]
fn cmb_xlsx_with_a_preamble_naming_the_account() {
    let bytes = xlsx(&[
        vec!["公司名称", "某某咖啡店", "银行帐号", "755912345610601"],
        vec!["查询开始日期", "20261101", "查询结束日期", "20261130"],
        vec![],
        vec!["交易日", "交易时间", "起息日", "交易类型", "借方金额", "贷方金额", "余额", "摘要", "流水号", "流程实例号", "业务名称", "用途", "业务参考号", "业务摘要", "其它摘要", "收/付方分行名", "收/付方名称", "收/付方帐号"],
        vec!["20261126", "080024", "20261126", "汇入", "", "1500.5", "2600.5", "代发", "K8800001", "", "汇入汇款", "", "", "", "", "上海", "中国银联股份有限公司", "120001"],
    ]);
    let bank = read::read(&bytes, None, &presets()).unwrap();
    assert_eq!(bank.mapping, "cmb");
    assert_eq!(bank.bank_account.as_deref(), Some("755912345610601"), "from the preamble");
    let r = &bank.rows[0];
    assert_eq!((r.day, r.time, r.amount, r.balance, r.line), (day(26), NaiveTime::from_hms_opt(8, 0, 24), 150_050, Some(260_050), 5));
    assert_eq!(r.counterparty.as_deref(), Some("中国银联股份有限公司"));
}

#[test]
fn boc_bilingual_headers_and_the_direction_column() {
    let text = "交易类型[ Transaction Type ],付款人账号[ Debit Account No. ],付款人名称[ Payer's Name ],收款人账号[ Payee's Account Number ],交易日期[ Transaction Date ],交易时间[ Transaction time ],交易金额[ Trade Amount ],交易后余额[ After-transaction balance ],交易流水号[ Transaction reference number ],摘要[ Reference ],用途[ Purpose ]\r\n\
        来账,1234,财付通支付科技有限公司,4567,2026/11/27,10:00:00,88.00,188.00,BOC0001,提现,\r\n\
        往账,4567,,9999,2026/11/27,11:00:00,20.00,168.00,BOC0002,手续费,\r\n";
    // Bank of China's web export is UTF-16 in many versions.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let bank = read::read(&utf16, None, &presets()).unwrap();
    assert_eq!(bank.mapping, "boc");
    assert_eq!(bank.rows.iter().map(|r| r.amount).collect::<Vec<_>>(), [8_800, -2_000]);
    assert_eq!((bank.rows[0].day, bank.rows[0].reference.as_deref()), (day(27), Some("BOC0001")));
}

#[test]
fn abc_xlsx_with_dates_typed_as_dates_and_a_footer() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(0, 0, "中国农业银行账户明细").unwrap();
    ws.write_string(1, 0, "账户：62284800000000001").unwrap();
    for (c, h) in ["交易日期", "交易时间戳", "收入金额", "支出金额", "本次余额", "对方户名", "对方账号", "交易说明", "交易摘要", "交易附言", "交易日志号"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    ws.write_datetime_with_format(3, 0, chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap().and_hms_opt(0, 0, 0).unwrap(), &fmt).unwrap();
    ws.write_string(3, 1, "091500").unwrap();
    ws.write_number(3, 2, 66.6).unwrap();
    ws.write_string(3, 5, "支付宝（中国）网络技术有限公司").unwrap();
    ws.write_string(3, 7, "提现").unwrap();
    ws.write_string(3, 10, "A123").unwrap();
    ws.write_string(4, 0, "本页收入合计").unwrap();
    ws.write_number(4, 2, 66.6).unwrap();
    let bank = read::read(&wb.save_to_buffer().unwrap(), Some(&preset("abc")), &[]).unwrap();
    assert_eq!(bank.rows.len(), 1);
    let r = &bank.rows[0];
    assert_eq!((r.day, r.time, r.amount, r.reference.as_deref()), (day(26), NaiveTime::from_hms_opt(9, 15, 0), 6_660, Some("A123")));
    assert_eq!(bank.bank_account.as_deref(), Some("62284800000000001"));
}

#[test]
fn the_shops_own_mapping_from_config() {
    let s: BankSettings = toml::from_str(
        r#"
        window_days = 5
        [[mappings]]
        name = "rcb"
        label = "农商银行"
        date = "记账日期"
        amount = "发生额"
        direction = "借贷"
        credit_words = ["贷"]
        counterparty = ["对方名称", "对方户名"]
        memo = ["附言"]
        "#,
    )
    .unwrap();
    s.validate().unwrap();
    let text = "记账日期,借贷,发生额,对方名称,附言\n2026-11-26,贷,12.30,财付通,微信提现\n2026-11-26,借,1.00,,短信费\n";
    let all = s.mappings();
    let bank = read::read(text.as_bytes(), None, &all).unwrap();
    assert_eq!((bank.mapping.as_str(), bank.rows[0].amount, bank.rows[1].amount), ("rcb", 1_230, -100));
    let bad: BankSettings = toml::from_str("[[mappings]]\nname = \"icbc\"\ndate = \"日期\"\namount = \"金额\"").unwrap();
    assert!(bad.validate().unwrap_err().to_string().contains("icbc"), "a preset's name cannot be taken");
    let bad: BankSettings = toml::from_str("[[mappings]]\nname = \"x\"\ndate = \"日期\"").unwrap();
    assert!(bad.validate().unwrap_err().to_string().contains("amount"));
}

#[test]
fn bad_cells_refuse_the_file_with_line_and_column() {
    let broken = ICBC.replace("\"1,234.56\",,支付宝", "\"1,23x.56\",,支付宝");
    let e = read::read(&gbk(&broken), Some(&preset("icbc")), &[]).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("贷方发生额") && e.message.contains("1,23x.56"), "{e}");
    let e = read::read(&gbk(&ICBC.replace("2026-11-26 09:00:00", "明天")), Some(&preset("icbc")), &[]).unwrap_err();
    assert!(e.line == 3 && e.message.contains("交易时间"), "{e}");
    let e = read::read(b"date,amount\n2026-11-26,1\n", None, &presets()).unwrap_err();
    assert!(e.message.contains("icbc") && e.message.contains("mapping"), "{e}");
    let e = read::read(&gbk(ICBC), Some(&preset("cmb")), &[]).unwrap_err();
    assert!(e.message.contains("招商银行"), "{e}");
    let half = xlsx(&[vec!["交易日", "交易时间", "借方金额", "贷方金额"], vec!["20261126", "080024", "", "0.005"]]);
    assert!(read::read(&half, Some(&preset("cmb")), &[]).unwrap_err().message.contains("two decimals"));
}
