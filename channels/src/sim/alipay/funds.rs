//! The simulated Alipay `signcustomer` bill (账务明细): a ZIP with `{PID}0156_{yyyyMMdd}_账务明细.csv`
//! and `…_账务明细(汇总).csv`, GBK, in Alipay's layout — `#` preamble, the 12 columns
//! 账务流水号 … 备注 with Excel-guard TABs after text cells, the `#支出合计` / `#收入合计` footer —
//! printed from the simulated balance (`sim::ledger`): 在线支付 and its 收费 (服务费 0.60 %),
//! 交易退款 and the fee returned, and the morning's automatic 提现 to the bank card.

use chrono::{DateTime, NaiveDate, Utc};
use paydesk_core::money::format_signed_fen as yuan;
use sha2::{Digest, Sha256};

use super::super::ledger::{ledger, of_day, Entry, Move};
use super::super::Trade;
use crate::alipay::funds::COLUMNS;

/// The bank card the simulated merchant withdraws to (as 对方账号 prints it).
pub(crate) const BANK_CARD: &str = "工商银行(尾号8888)";

/// The service fee of an amount (0.60 %, half up), as the trade bill charges it.
pub(crate) fn fee(fen: i64) -> i64 {
    (fen * 60 + 5_000) / 10_000
}

fn text(s: &str) -> String {
    let q = if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() };
    format!("{q}\t")
}

/// A stable 账务流水号: the same movement has the same number in every download.
pub(crate) fn flow_no(e: &Entry, trades: &[Trade]) -> String {
    let who = e.trade.map(|i| trades[i].trade_no.clone()).unwrap_or_default();
    let key = format!("{who}|{:?}|{:?}|{}", e.mv, e.refund.as_ref().map(|r| &r.0), e.at.timestamp());
    let h = Sha256::digest(key.as_bytes());
    let n = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]) % 1_000_000_000_000;
    format!("{}{n:012}", e.at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y%m%d"))
}

fn row(e: &Entry, trades: &[Trade]) -> String {
    let t = e.trade.map(|i| &trades[i]);
    let (kind, goods, other, note) = match e.mv {
        Move::Sale => ("在线支付", t.map_or("", |t| &t.subject).to_string(), t.map_or(String::new(), |t| t.buyer.clone()), String::new()),
        Move::Fee => ("收费", "服务费".to_string(), String::new(), format!("服务费[{}]", t.map_or("", |t| &t.trade_no))),
        Move::Refund => ("交易退款", t.map_or("", |t| &t.subject).to_string(), t.map_or(String::new(), |t| t.buyer.clone()), e.refund.as_ref().map(|r| format!("退款[{}]", r.0)).unwrap_or_else(|| "撤销".into())),
        Move::FeeBack => ("收费", "服务费".to_string(), String::new(), format!("退服务费[{}]", t.map_or("", |t| &t.trade_no))),
        Move::Withdrawal => ("提现", "提现".to_string(), BANK_CARD.to_string(), format!("自动提现 {}", e.covers.iter().map(|d| d.format("%m%d").to_string()).collect::<Vec<_>>().join("、"))),
    };
    let (income, expense) = if e.amount >= 0 { (yuan(e.amount), "0.00".to_string()) } else { ("0.00".to_string(), yuan(e.amount)) };
    let business = match t {
        Some(t) => t.trade_no.clone(),
        None => format!("W{}", flow_no(e, trades)),
    };
    [
        text(&flow_no(e, trades)),
        text(&business),
        text(t.map_or("", |t| &t.order_no)),
        text(&goods),
        e.at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string(),
        text(&other),
        income,
        expense,
        yuan(e.balance),
        "支付宝".to_string(),
        kind.to_string(),
        note,
    ]
    .join(",")
}

/// The detail CSV of one PID and day (UTF-8 here; GBK in the ZIP).
pub(crate) fn detail_csv(trades: &[Trade], pid: &str, day: NaiveDate, now: DateTime<Utc>) -> String {
    let all = ledger(trades, fee, now);
    let entries = of_day(&all, day);
    let next = day.succ_opt().unwrap_or(day);
    let mut out = vec![
        "#支付宝账务明细查询".to_string(),
        format!("#账号：[{pid}0156]"),
        format!("#起始日期：[{} 00:00:00]   终止日期：[{} 00:00:00]", day.format("%Y年%m月%d日"), next.format("%Y年%m月%d日")),
        "#-----------------------------------------账务明细列表----------------------------------------".to_string(),
        COLUMNS.join(","),
    ];
    out.extend(entries.iter().map(|e| row(e, trades)));
    let (ins, outs): (Vec<i64>, Vec<i64>) = (entries.iter().map(|e| e.amount).filter(|a| *a >= 0).collect(), entries.iter().map(|e| e.amount).filter(|a| *a < 0).collect());
    out.push("#-----------------------------------------账务明细列表结束------------------------------------".into());
    out.push(format!("#支出合计：{}笔，共{}元", outs.len(), yuan(outs.iter().sum())));
    out.push(format!("#收入合计：{}笔，共{}元", ins.len(), yuan(ins.iter().sum())));
    out.push(format!("#导出时间：[{}]", now.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y年%m月%d日 %H:%M:%S")));
    out.join("\r\n") + "\r\n"
}

fn summary_csv(detail: &str) -> String {
    let (mut n_in, mut s_in, mut n_out, mut s_out) = (0, 0i64, 0, 0i64);
    for l in detail.lines().filter(|l| !l.starts_with('#') && !l.starts_with(COLUMNS[0])) {
        let cells: Vec<&str> = l.split(',').collect();
        let m = |i: usize| cells.get(i).and_then(|c| paydesk_core::Money::parse_signed_statement(c).ok()).unwrap_or(0);
        let (a, b) = (m(cells.len().saturating_sub(6)), m(cells.len().saturating_sub(5)));
        if a != 0 {
            n_in += 1;
            s_in += a;
        }
        if b != 0 {
            n_out += 1;
            s_out += b;
        }
    }
    format!("#支付宝账务汇总查询\r\n类型,收入笔数,收入金额（+元）,支出笔数,支出金额（-元）,总金额（元）\r\n合计,{n_in},{},{n_out},{},{}\r\n", yuan(s_in), yuan(s_out), yuan(s_in + s_out))
}

/// The signcustomer ZIP of one app's trades and day.
pub(crate) fn zip(trades: &[Trade], pid: &str, day: NaiveDate, now: DateTime<Utc>) -> Vec<u8> {
    let detail = detail_csv(trades, pid, day, now);
    let stem = format!("{pid}0156_{}", day.format("%Y%m%d"));
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    super::bill::zip_entries(&[(format!("{stem}_账务明细.csv"), gbk(&detail)), (format!("{stem}_账务明细(汇总).csv"), gbk(&summary_csv(&detail)))])
}
