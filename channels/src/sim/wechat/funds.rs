//! Simulated fund bills: `GET /v3/bill/fundflowbill` builds the basic account's 资金账单 of a day
//! (Asia/Shanghai) from the simulated balance (`sim::ledger`) in WeChat's layout — BOM, CRLF, the
//! 11-column header, backtick-prefixed lines (a 交易 line is net of its fee and says so in 备注,
//! a 退款 line likewise for the fee returned, the morning's 提现 to the bank card), the summary
//! header and line — and answers its SHA1 with a one-time download URL, like the trade bill.
//!
//! As strict as WeChat: `bill_date` is `yyyy-MM-dd` and over (today's bill does not exist yet),
//! `account_type` is `BASIC`, `OPERATION` or `FEES` (only BASIC moves here: the others answer
//! `NO_STATEMENT_EXIST`), `tar_type` is `GZIP` if given, and no other parameter is accepted (a
//! service provider's `sub_mchid` belongs to the sub-merchant endpoint).

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use paydesk_core::money::format_signed_fen as yuan;

use super::super::ledger::{ledger, of_day, Move};
use super::super::Trade;
use super::v3::Ctx;
use super::CH;
use crate::wechat::funds::{COLUMNS, SUMMARY};

fn line(cells: &[String]) -> String {
    cells.iter().map(|c| format!("`{}", c.replace('`', "'"))).collect::<Vec<_>>().join(",")
}

/// The fund bill of a merchant's trades for one day (None: nothing moved that day).
pub(crate) fn fund_csv(trades: &[Trade], mchid: &str, day: NaiveDate, now: chrono::DateTime<Utc>) -> Option<String> {
    let all = ledger(trades, super::bill::fee, now);
    let entries = of_day(&all, day);
    if entries.is_empty() {
        return None;
    }
    let mut out = String::from("\u{feff}");
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    let mut i = 0;
    // A trade's fee is inside its 交易 line, a refund's returned fee inside its 退款 line.
    while i < entries.len() {
        let e = entries[i];
        let t = e.trade.map(|k| &trades[k]);
        let next_fee = entries.get(i + 1).filter(|n| n.trade == e.trade && matches!(n.mv, Move::Fee | Move::FeeBack)).map(|n| n.amount);
        let time = e.at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string();
        let (name, kind, amount, balance, note, id, flow, voucher) = match e.mv {
            Move::Sale => {
                let f = -next_fee.unwrap_or(0);
                let t = t.expect("a sale has its trade");
                let n = format!("结算总金额 {} 元;含手续费 {} 元", yuan(e.amount), yuan(f));
                ("交易", "交易", e.amount - f, e.balance - f, n, t.trade_no.clone(), t.trade_no.clone(), t.order_no.clone())
            }
            Move::Refund => {
                let f = next_fee.unwrap_or(0);
                let t = t.expect("a refund has its trade");
                let (no, id) = e.refund.clone().unwrap_or_else(|| (format!("{}C", t.order_no), format!("50{}", t.trade_no)));
                let n = format!("退款总金额{}元;含手续费{}元", yuan(-e.amount), yuan(f));
                ("退款", "退款", e.amount + f, e.balance + f, n, id, t.trade_no.clone(), no)
            }
            Move::Withdrawal => {
                let covered = e.covers.iter().map(|d| d.format("%m%d").to_string()).collect::<Vec<_>>().join("、");
                let flow = format!("{}{:010}", e.at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y%m%d"), (-e.amount) % 10_000_000_000);
                ("提现", "提现", e.amount, e.balance, format!("自动提现 {covered}"), String::new(), flow.clone(), flow)
            }
            // Folded into the line before.
            Move::Fee | Move::FeeBack => {
                i += 1;
                continue;
            }
        };
        let direction = if amount >= 0 { "收入" } else { "支出" };
        let who = if e.mv == Move::Withdrawal { format!("{mchid}API") } else { "system".into() };
        let cells = [time, id, flow, name.into(), kind.into(), direction.into(), yuan(amount.abs()), yuan(balance), who, note, voucher];
        out.push_str(&line(&cells));
        out.push_str("\r\n");
        i += if next_fee.is_some() { 2 } else { 1 };
    }
    let body: Vec<&str> = out.lines().skip(1).collect();
    let in_out: Vec<(bool, i64)> = body
        .iter()
        .map(|l| {
            let c: Vec<&str> = l.trim_start_matches('`').split(",`").collect();
            (c[5] == "收入", paydesk_core::Money::parse_signed_statement(c[6]).unwrap_or(0))
        })
        .collect();
    let sum = |inflow: bool| in_out.iter().filter(|(i, _)| *i == inflow).map(|(_, a)| a).sum::<i64>();
    let count = |inflow: bool| in_out.iter().filter(|(i, _)| *i == inflow).count();
    out.push_str(&SUMMARY.join(","));
    out.push_str("\r\n");
    out.push_str(&line(&[in_out.len().to_string(), count(true).to_string(), yuan(sum(true)), count(false).to_string(), yuan(sum(false))]));
    out.push_str("\r\n");
    Some(out)
}

pub(super) fn fundflowbill(cx: &Ctx) -> Response {
    if let Some(k) = cx.query.keys().find(|k| !matches!(k.as_str(), "bill_date" | "account_type" | "tar_type")) {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", &format!("参数错误: {k} 不是此接口的参数"));
    }
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let Some(date) = cx.query.get("bill_date").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) else {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "bill_date 格式错误 (yyyy-MM-dd)");
    };
    let gzip = match cx.query.get("tar_type").map(String::as_str) {
        None => false,
        Some("GZIP") => true,
        Some(_) => return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "tar_type 只支持 GZIP"),
    };
    match cx.query.get("account_type").map(String::as_str).unwrap_or("BASIC") {
        "BASIC" => {}
        "OPERATION" | "FEES" => return cx.fail(StatusCode::BAD_REQUEST, "NO_STATEMENT_EXIST", "该账户当日无资金变动，账单不存在"),
        _ => return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "account_type 只能是 BASIC、OPERATION 或 FEES"),
    }
    if date >= today {
        return cx.fail(StatusCode::BAD_REQUEST, "NO_STATEMENT_EXIST", "账单尚未生成 (the day is not over)");
    }
    let trades: Vec<Trade> = cx.st.trades(Some(CH)).into_iter().filter(|t| t.merchant == cx.mchid).collect();
    let Some(csv) = fund_csv(&trades, &cx.mchid, date, Utc::now()) else {
        return cx.fail(StatusCode::BAD_REQUEST, "NO_STATEMENT_EXIST", "当日无资金变动，账单不存在");
    };
    super::bill::publish(cx, csv, gzip, "/v3/bill/fundflowbill")
}
