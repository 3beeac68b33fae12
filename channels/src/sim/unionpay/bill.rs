//! The simulated `76/01` file download: a ZIP named `{merId}_{yyyyMMdd}.zip` holding
//! `INN{yyMMdd}88ZM_{merId}` (the day's transactions in the ZM layout that
//! `crate::unionpay::bill` reads, GBK) and an empty `INN{yyMMdd}88ZME_{merId}` (error
//! transactions), deflated with zlib and Base64-encoded into `fileContent`. The merchant fee is
//! 0.38 %, `D` (charged) on payments and `C` (returned) on refunds; the settlement amount (field
//! 17, 结算金额) is the amount less the fee, `C` (credited) on payments and `D` on refunds.

use std::io::Write;

use axum::response::Response;
use chrono::{Datelike, NaiveDate, Utc};

use super::super::{SimState, SimStatus, Trade};
use super::txn::{settle_date, time_key};
use super::{reply, CH};
use crate::unionpay::bill::{encode_file_content, field as F, zm_record};
use crate::unionpay::map;
use crate::unionpay::wire::{get, Fields};

fn fee(fen: i64) -> i64 {
    (fen * 38 + 5_000) / 10_000
}

fn payment_row(t: &Trade) -> Vec<u8> {
    let at = t.paid_at.unwrap_or(t.created_at);
    let amt = format!("{:012}", t.amount);
    let charge = format!("D{:012}", fee(t.amount));
    let settle = format!("C{:012}", t.amount - fee(t.amount));
    let time = map::txn_time(at)[4..].to_string();
    let sub = if t.barcode { "06" } else { "07" };
    zm_record(&[
        (F::TRADE_CODE, "S22"),
        (F::TRACE_NO, &t.trade_no[t.trade_no.len() - 6..]),
        (F::TXN_TIME, &time),
        (6, &t.buyer),
        (F::TXN_AMT, &amt),
        (F::QUERY_ID, &t.trade_no),
        (F::ORDER_ID, &t.order_no),
        (F::MER_CHARGE, &charge),
        (17, &settle),
        (F::TXN_TYPE, "01"),
        (F::TXN_SUB_TYPE, sub),
        (22, "000000"),
        (F::MER_ID, &t.merchant),
    ])
}

fn refund_row(st: &SimState, t: &Trade, refund_no: &str, fen: i64, at: chrono::DateTime<Utc>) -> Vec<u8> {
    let kind = st.ext_get(&format!("unionpay/kind/{}/{refund_no}", t.merchant)).unwrap_or_else(|| "04".into());
    let amt = format!("{:012}", fen);
    let charge = format!("C{:012}", fee(fen));
    let settle = format!("D{:012}", fen - fee(fen));
    let time = map::txn_time(at)[4..].to_string();
    let orig_time = map::txn_time(t.paid_at.unwrap_or(t.created_at))[4..].to_string();
    let qid = t.refunds.iter().find(|r| r.refund_no == refund_no).map(|r| r.refund_id.clone()).unwrap_or_default();
    zm_record(&[
        (F::TRADE_CODE, if kind == "31" { "S31" } else { "S30" }),
        (F::TRACE_NO, &qid[qid.len().saturating_sub(6)..]),
        (F::TXN_TIME, &time),
        (F::TXN_AMT, &amt),
        (F::QUERY_ID, &qid),
        (F::ORDER_ID, refund_no),
        (14, &t.trade_no[t.trade_no.len() - 6..]),
        (15, &orig_time),
        (F::MER_CHARGE, &charge),
        (17, &settle),
        (F::TXN_TYPE, &kind),
        (F::TXN_SUB_TYPE, "00"),
        (22, "000000"),
        (F::ORIG_QRY_ID, &t.trade_no),
        (F::MER_ID, &t.merchant),
        (F::ORIG_ORDER_ID, &t.order_no),
    ])
}

/// The ZM file of one merchant and day (CRLF line ends).
pub(crate) fn zm_file(st: &SimState, trades: &[Trade], mer: &str, mmdd: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for t in trades.iter().filter(|t| t.merchant == mer && t.channel == CH) {
        let paid = matches!(t.status, SimStatus::Paid | SimStatus::Reversed) && t.paid_at.is_some_and(|p| settle_date(p) == mmdd);
        if paid && st.ext_get(&time_key(mer, &t.order_no)).is_some() {
            out.extend(payment_row(t));
            out.extend_from_slice(b"\r\n");
        }
        for r in t.refunds.iter().filter(|r| settle_date(r.at) == mmdd) {
            out.extend(refund_row(st, t, &r.refund_no, r.amount, r.at));
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

pub(super) fn file_reply(st: &SimState, f: &Fields) -> Response {
    let mer = get(f, "merId").unwrap_or("").to_string();
    let Some(mmdd) = get(f, "settleDate").filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit())) else {
        return reply(st, f, "10", "报文格式错误: settleDate", vec![]);
    };
    if get(f, "fileType") != Some("00") {
        return reply(st, f, "10", "报文格式错误: fileType", vec![]);
    }
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let day = NaiveDate::parse_from_str(&format!("{}{mmdd}", today.year()), "%Y%m%d").ok().map(|d| if d > today { d.with_year(d.year() - 1).unwrap_or(d) } else { d });
    let Some(day) = day else { return reply(st, f, "10", "报文格式错误: settleDate", vec![]) };
    let zm = zm_file(st, &st.trades(Some(CH)), &mer, mmdd);
    let yymmdd = day.format("%y%m%d");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let _ = zip.start_file(format!("INN{yymmdd}88ZM_{mer}"), opts).and_then(|_| zip.write_all(&zm).map_err(Into::into));
    let _ = zip.start_file(format!("INN{yymmdd}88ZME_{mer}"), opts);
    let bytes = zip.finish().map(|c| c.into_inner()).unwrap_or_default();
    let name = format!("{mer}_{}.zip", day.format("%Y%m%d"));
    reply(st, f, "00", "成功[0000000]", vec![("fileName", name), ("fileContent", encode_file_content(&bytes)), ("settleDate", mmdd.to_string())])
}
