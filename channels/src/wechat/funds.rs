//! WeChat Pay's fund bill (资金账单, `GET /v3/bill/fundflowbill`, basic account): what moved on the
//! merchant's WeChat Pay balance — payments in, refunds out, fees, withdrawals to the bank.
//!
//! **Layout** (sources in docs/reconciliation.md): like the trade bill — UTF-8 (a BOM is allowed),
//! gzip when downloaded with `tar_type=GZIP`, SHA1 `hash_value` over the decompressed file; a
//! header line 记账时间, 微信支付业务单号, 资金流水单号, 业务名称, 业务类型, 收支类型, 收支金额(元),
//! 账户结余(元), 资金变更提交申请人, 备注, 业务凭证号; one line per movement, every cell prefixed with
//! a backtick; then the summary header 资金流水总笔数, 收入笔数, 收入金额, 支出笔数, 支出金额 and one
//! summary line. Columns are found by name.
//!
//! A trade line's 收支金额 is what it added to the balance, and its 备注 states the fee in it
//! (`结算总金额 100.00 元;含手续费 0.60 元`); a refund's 备注 likewise the fee returned
//! (`退款总金额10.00元;含手续费0.06元`). 业务类型 → kind: 交易 (收入) → sale; 退款 → refund;
//! 扣除交易手续费 / 手续费 → fee; 提现 → payout (its 资金流水单号 is the reference); the rest →
//! other. 业务凭证号 is our order (or refund) number.

use chrono::NaiveDateTime;
use paydesk_core::settle::{FundKind, FundRow, FundTotals, ParsedFunds};
use paydesk_core::statement::StatementError;
use paydesk_core::Money;

/// The header's columns, in WeChat's order.
pub const COLUMNS: [&str; 11] = ["记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型", "收支类型", "收支金额(元)", "账户结余(元)", "资金变更提交申请人", "备注", "业务凭证号"];
/// The summary header's columns.
pub const SUMMARY: [&str; 5] = ["资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额"];

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

/// Cells of a line: split on commas, one leading backtick per cell dropped. A cell never holds
/// a comma followed by a backtick, so `` ,` `` splits data lines; header lines have no backticks.
fn cells(line: &str) -> Vec<String> {
    let sep = if line.starts_with('`') { ",`" } else { "," };
    line.strip_prefix('`').unwrap_or(line).split(sep).map(|c| c.trim().trim_start_matches('`').to_string()).collect()
}

/// The header with `(元)` written either way (full-width brackets in hand-saved files).
fn same(a: &str, b: &str) -> bool {
    a.replace(['（', '）'], "").replace(['(', ')'], "") == b.replace(['(', ')'], "")
}

/// Whether the first bytes are a fund bill (its header, with or without BOM and backticks).
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.starts_with("记账时间".as_bytes()) || head.starts_with("`记账时间".as_bytes())
}

/// The fee a 备注 says the line contains (`含手续费 0.60 元`), fen.
fn fee_in(note: &str) -> Option<i64> {
    let rest = note.split_once("含手续费")?.1.trim_start();
    let num: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    Money::parse_signed_statement(&num).ok().map(i64::abs)
}

/// Parses a fund bill (decompressed). All or nothing; the summary must agree with the lines.
pub fn parse(bytes: &[u8]) -> Result<ParsedFunds, StatementError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|_| err(0, "not UTF-8 text"))?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r'))).filter(|(_, l)| !l.trim().is_empty());
    let (hl, header) = lines.next().ok_or_else(|| err(1, "empty file"))?;
    let names = cells(header);
    let at = |n: &str| names.iter().position(|h| same(h, n));
    let need = |n: &str| at(n).ok_or_else(|| err(hl, format!("the header has no column {n}: not a WeChat Pay fund bill")));
    let (time, flow, business, direction, amount, balance, note, voucher) = (need(COLUMNS[0])?, need(COLUMNS[2])?, need(COLUMNS[4])?, need(COLUMNS[5])?, need(COLUMNS[6])?, at(COLUMNS[7]), at(COLUMNS[9]), at(COLUMNS[10]));
    let (trade, name) = (at(COLUMNS[1]), at(COLUMNS[3]));
    let mut out = ParsedFunds::default();
    let mut summary: Option<(u64, Vec<String>)> = None;
    for (n, l) in lines.by_ref() {
        let c = cells(l);
        if c.first().is_some_and(|h| h == SUMMARY[0]) {
            let (sn, row) = lines.next().ok_or_else(|| err(n + 1, "the file ends before its summary line"))?;
            summary = Some((sn, cells(row)));
            break;
        }
        if c.len() != names.len() {
            return Err(err(n, format!("{} cells, but the header has {} columns", c.len(), names.len())));
        }
        let get = |i: Option<usize>| i.and_then(|i| c.get(i)).cloned().unwrap_or_default();
        let money = |i: usize, what: &str| Money::parse_signed_statement(&c[i]).map_err(|e| err(n, format!("{what}: {e}")));
        let when = NaiveDateTime::parse_from_str(&c[time], "%Y-%m-%d %H:%M:%S").map_err(|_| err(n, format!("记账时间 {:?} is not yyyy-MM-dd HH:mm:ss", c[time])))?;
        let inflow = match c[direction].as_str() {
            "收入" => true,
            "支出" => false,
            other => return Err(err(n, format!("收支类型 {other:?} is neither 收入 nor 支出"))),
        };
        let value = money(amount, COLUMNS[6])?.abs();
        let signed = if inflow { value } else { -value };
        let memo = get(note);
        let kind_word = format!("{} {}", get(name), c[business]);
        let (kind, fee) = if kind_word.contains("提现") {
            (FundKind::Payout, 0)
        } else if c[business].contains("手续费") {
            (FundKind::Fee, 0)
        } else if c[business].contains("退款") {
            (FundKind::Refund, fee_in(&memo).unwrap_or(0))
        } else if c[business] == "交易" && inflow {
            (FundKind::Sale, -fee_in(&memo).unwrap_or(0))
        } else {
            (FundKind::Other, 0)
        };
        let balance = match balance.map(|i| c[i].as_str()).filter(|b| !b.is_empty()) {
            Some(b) => Some(Money::parse_signed_statement(b).map_err(|e| err(n, format!("{}: {e}", COLUMNS[7])))?),
            None => None,
        };
        let opt = |i: Option<usize>| Some(get(i)).filter(|s| !s.is_empty());
        out.rows.push(FundRow { line: n, kind, time: Some(when), amount: signed, fee, order_no: opt(voucher), trade_no: opt(trade), flow_no: c[flow].clone(), counterparty: None, memo: format!("{kind_word} / {memo}").trim_end_matches(" / ").trim().to_string(), balance });
    }
    let (sn, s) = summary.ok_or_else(|| err(0, "the file has no summary (资金流水总笔数) line: truncated download?"))?;
    if s.len() < SUMMARY.len() {
        return Err(err(sn, format!("the summary line has {} cells, {} expected", s.len(), SUMMARY.len())));
    }
    let count = |i: usize| s[i].trim_end_matches(".0").parse::<u64>().map_err(|_| err(sn, format!("{} {:?} is not a count", SUMMARY[i], s[i])));
    let amount = |i: usize| Money::parse_signed_statement(&s[i]).map(i64::abs).map_err(|_| err(sn, format!("{} {:?} is not an amount", SUMMARY[i], s[i])));
    if count(0)? != out.rows.len() as u64 {
        return Err(err(sn, format!("the summary declares {} lines but the file lists {} (incomplete file?)", count(0)?, out.rows.len())));
    }
    out.totals = FundTotals { income_count: Some(count(1)?), income: Some(amount(2)?), expense_count: Some(count(3)?), expense: Some(amount(4)?) };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paydesk_core::settle::derive;

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/funds/wechat-fundflow-BASIC-20261125.csv")).unwrap()
    }

    #[test]
    fn trade_lines_carry_their_fee_and_the_withdrawal_is_a_payout() {
        assert!(sniff(&fixture()));
        let f = parse(&fixture()).unwrap();
        let kinds: Vec<FundKind> = f.rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [FundKind::Payout, FundKind::Sale, FundKind::Sale, FundKind::Refund]);
        let (sale, refund) = (&f.rows[1], &f.rows[3]);
        assert_eq!((sale.amount, sale.fee, sale.order_no.as_deref(), sale.line), (9_940, -60, Some("P202611251001"), 3));
        assert_eq!((refund.amount, refund.fee, refund.order_no.as_deref()), (-994, 6, Some("R202611251101")));
        assert_eq!(f.rows[0].flow_no, "20261125000000015000");
        let d = derive(&f, chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!((d.sales, d.refunds, d.fees, d.net, d.paid_out()), (15_000, 1_000, 84, 13_916, 15_000));
        assert_eq!((d.declared_ok, d.balance_ok), (Some(true), Some(true)));
    }

    #[test]
    fn bad_lines_and_truncated_files_are_refused() {
        let text = String::from_utf8(fixture()).unwrap();
        let e = parse(text.replace("`收入,`99.40", "`收入,`99.4x").as_bytes()).unwrap_err();
        assert!(e.line == 3 && e.message.contains("收支金额"), "{e}");
        let e = parse(text.replace("`交易,`交易,`收入,`49.70", "`交易,`交易,`进账,`49.70").as_bytes()).unwrap_err();
        assert!(e.message.contains("收支类型"), "{e}");
        let cut: String = text.lines().take(4).map(|l| format!("{l}\r\n")).collect();
        assert!(parse(cut.as_bytes()).unwrap_err().message.contains("summary"));
        let e = parse(text.replace("`4,`2", "`5,`2").as_bytes()).unwrap_err();
        assert!(e.message.contains("incomplete"), "{e}");
        let e = parse(crate::wechat::testdata::vector("wechat/bill.ALL.csv").as_slice()).unwrap_err();
        assert!(e.message.contains("记账时间"), "a trade bill is not a fund bill: {e}");
    }
}
