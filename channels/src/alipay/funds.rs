//! Alipay's account ledger (账务明细, `bill_type=signcustomer`): what moved on the merchant's
//! Alipay balance — payments in, service fees, refunds, and the withdrawals (提现) to the bank.
//!
//! **Layout** (documented in docs/reconciliation.md with its public sources): a ZIP holding
//! `{PID}0156_{yyyyMMdd}_账务明细.csv` and `…_账务明细(汇总).csv`, GBK. The detail file has `#`
//! preamble lines (`#支付宝账务明细查询`, `#账号：[…]`, the period), a header row starting with
//! 账务流水号, one row per movement, and a `#` footer (`#支出合计：N笔，共-X元`,
//! `#收入合计：N笔，共Y元`). The classic 12 columns are 账务流水号, 业务流水号, 商户订单号, 商品名称,
//! 发生时间, 对方账号, 收入金额（+元）, 支出金额（-元）, 账户余额（元）, 交易渠道, 业务类型, 备注;
//! newer exports add 业务描述, 业务账单来源, 业务基础订单号, 业务订单号. Columns are found by name;
//! text cells carry an Excel-guard TAB, which is trimmed.
//!
//! 业务类型 → kind: 在线支付 / 交易付款 / 交易 (money in) → sale; 交易退款 / 退款 → refund;
//! 收费 / 服务费 → fee; 提现 → payout (its 账务流水号 is the payout's reference); the rest
//! (转账, 交易分账, 其它 …) → other.

use std::io::Cursor;

use chrono::NaiveDateTime;
use paydesk_core::settle::{FundKind, FundRow, FundTotals, ParsedFunds};
use paydesk_core::statement::StatementError;
use paydesk_core::Money;

/// The classic detail columns, in Alipay's order.
pub const COLUMNS: [&str; 12] = ["账务流水号", "业务流水号", "商户订单号", "商品名称", "发生时间", "对方账号", "收入金额（+元）", "支出金额（-元）", "账户余额（元）", "交易渠道", "业务类型", "备注"];

/// ZIP entries ending like this are the detail file.
pub const DETAIL_SUFFIX: &str = "账务明细.csv";

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

/// Whether the first bytes are the detail CSV (GBK or UTF-8, with or without BOM).
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    ["#支付宝账务明细查询", COLUMNS[0]].iter().any(|p| head.starts_with(p.as_bytes()) || head.starts_with(&gbk(p)))
}

/// Whether the first bytes are a ZIP whose first entry is a 账务明细 file (either name encoding).
pub fn sniff_zip(head: &[u8]) -> bool {
    if !head.starts_with(b"PK\x03\x04") || head.len() < 30 {
        return false;
    }
    let n = usize::from(u16::from_le_bytes([head[26], head[27]]));
    let Some(name) = head.get(30..30 + n) else { return false };
    let contains = |needle: &[u8]| name.windows(needle.len()).any(|w| w == needle);
    contains("账务明细".as_bytes()) || contains(&gbk("账务明细"))
}

/// The detail file's bytes: the ZIP's 账务明细 entry (not the summary), or the bytes themselves.
fn detail_bytes(bytes: &[u8]) -> Result<Vec<u8>, StatementError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(bytes.to_vec());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(0, format!("not a readable ZIP: {e}")))?;
    let mut found = None;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| err(0, format!("bad ZIP entry {i}: {e}")))?;
        let name = super::bill::entry_name(f.name_raw());
        if name.ends_with(DETAIL_SUFFIX) && !name.contains("汇总") {
            found = Some(i);
        }
    }
    let i = found.ok_or_else(|| err(0, format!("the ZIP has no …{DETAIL_SUFFIX} entry: not an Alipay account ledger (signcustomer)")))?;
    let out = crate::archive::zip_entry(&mut zip, i, bytes.len() as u64, crate::archive::LIMITS, "the detail entry")?.read_all();
    out
}

/// `5笔，共-12.34元` → (5, 1234).
fn footer(line: u64, s: &str) -> Result<(u64, i64), StatementError> {
    let bad = || err(line, format!("footer {s:?} is not like 5笔，共12.34元"));
    let (n, rest) = s.split_once('笔').ok_or_else(bad)?;
    let amount = rest.trim_start_matches(['，', ',']).trim().strip_prefix('共').and_then(|a| a.strip_suffix('元')).ok_or_else(bad)?;
    Ok((n.trim().parse().map_err(|_| bad())?, Money::parse_signed_statement(amount).map_err(|_| bad())?.abs()))
}

fn kind(business: &str, amount: i64) -> FundKind {
    if business.contains("提现") {
        FundKind::Payout
    } else if business.contains("退款") {
        FundKind::Refund
    } else if business.contains("收费") || business.contains("服务费") || business.contains("手续费") {
        FundKind::Fee
    } else if amount > 0 && (business.contains("在线支付") || business.contains("交易付款") || business.contains("交易收款") || business == "交易") {
        FundKind::Sale
    } else {
        FundKind::Other
    }
}

/// Parses an account ledger: the ZIP or its detail CSV (GBK, or UTF-8 after a BOM). All or
/// nothing: the first bad line is the error; the footer counts and sums must match the lines.
pub fn parse(bytes: &[u8]) -> Result<ParsedFunds, StatementError> {
    let raw = detail_bytes(bytes)?;
    let text = match raw.strip_prefix(b"\xEF\xBB\xBF") {
        Some(u) => String::from_utf8(u.to_vec()).map_err(|_| err(0, "the file says UTF-8 but is not"))?,
        None => encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&raw).map(|c| c.into_owned()).ok_or_else(|| err(0, "not GBK text"))?,
    };
    let mut out = ParsedFunds::default();
    let mut totals = FundTotals::default();
    // Footer and preamble lines start with `#`; the CSV reader skips them, so read them first.
    for (i, l) in text.lines().enumerate() {
        let body = l.trim().trim_start_matches('#').trim().trim_end_matches(',');
        let line = i as u64 + 1;
        if let Some(rest) = body.strip_prefix("账号：").or_else(|| body.strip_prefix("账号:")) {
            out.merchant_id = rest.trim().trim_start_matches('[').trim_end_matches(']').to_string();
        } else if let Some(rest) = body.strip_prefix("支出合计：") {
            let (n, a) = footer(line, rest)?;
            (totals.expense_count, totals.expense) = (Some(n), Some(a));
        } else if let Some(rest) = body.strip_prefix("收入合计：") {
            let (n, a) = footer(line, rest)?;
            (totals.income_count, totals.income) = (Some(n), Some(a));
        }
    }
    // The `#` lines blanked (the reader skips empty lines but counts them: errors keep the
    // file's line numbers).
    let body: String = text.lines().map(|l| if l.trim_start().starts_with('#') { "\n".to_string() } else { format!("{l}\n") }).collect();
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body.as_bytes());
    let mut cols: Option<Vec<String>> = None;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| err(e.position().map_or(0, |p| p.line()), format!("not CSV: {e}")))?;
        let line = rec.position().map_or(0, |p| p.line());
        let cells: Vec<String> = rec.iter().map(|c| c.trim_matches(|ch| ch == '\t' || ch == ' ').to_string()).collect();
        let Some(names) = &cols else {
            if cells.first().map(String::as_str) != Some(COLUMNS[0]) {
                return Err(err(line, format!("expected the header row starting {} (is this the 账务明细 file?)", COLUMNS[0])));
            }
            cols = Some(cells);
            continue;
        };
        let at = |name: &str| names.iter().position(|n| n == name);
        let need = |name: &str| at(name).ok_or_else(|| err(line, format!("the header has no column {name}")));
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(String::as_str).unwrap_or("");
        let money = |name: &str| -> Result<i64, StatementError> {
            let v = cell(Some(need(name)?));
            if v.is_empty() { Ok(0) } else { Money::parse_signed_statement(v).map_err(|e| err(line, format!("{name}: {e}"))) }
        };
        if cells.len() < names.len() {
            return Err(err(line, format!("{} cells, the header has {}", cells.len(), names.len())));
        }
        let amount = money(COLUMNS[6])?.abs() - money(COLUMNS[7])?.abs();
        let when = cell(Some(need(COLUMNS[4])?));
        let time = NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M:%S").map_err(|_| err(line, format!("发生时间 {when:?} is not yyyy-MM-dd HH:mm:ss")))?;
        let flow_no = cell(Some(need(COLUMNS[0])?)).to_string();
        if flow_no.is_empty() {
            return Err(err(line, "账务流水号 is empty"));
        }
        let business = cell(Some(need(COLUMNS[10])?)).to_string();
        let opt = |name: &str| Some(cell(at(name)).to_string()).filter(|s| !s.is_empty());
        let balance = match opt(COLUMNS[8]) {
            Some(b) => Some(Money::parse_signed_statement(&b).map_err(|e| err(line, format!("{}: {e}", COLUMNS[8])))?),
            None => None,
        };
        let note = [Some(business.clone()), opt(COLUMNS[11]), opt("业务描述")].into_iter().flatten().collect::<Vec<_>>().join(" / ");
        out.rows.push(FundRow {
            line,
            kind: kind(&business, amount),
            time: Some(time),
            amount,
            fee: 0,
            order_no: opt(COLUMNS[2]),
            trade_no: opt(COLUMNS[1]),
            flow_no,
            counterparty: opt(COLUMNS[5]),
            memo: note,
            balance,
        });
    }
    if cols.is_none() {
        return Err(err(1, format!("no header row starting {}: not an Alipay 账务明细 file", COLUMNS[0])));
    }
    let (ins, outs) = (out.rows.iter().filter(|r| r.amount >= 0).count() as u64, out.rows.iter().filter(|r| r.amount < 0).count() as u64);
    for (what, declared, seen) in [("收入", totals.income_count, ins), ("支出", totals.expense_count, outs)] {
        if declared.is_some_and(|d| d != seen) {
            return Err(err(0, format!("the footer declares {} {what} lines but the file lists {seen} (incomplete file?)", declared.unwrap_or(0))));
        }
    }
    out.totals = totals;
    Ok(out)
}
