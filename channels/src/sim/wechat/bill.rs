//! Simulated trade bills: `GET /v3/bill/tradebill` builds the day's bill (Asia/Shanghai) in
//! WeChat's ALL format — UTF-8 BOM, CRLF, every cell backtick-prefixed, 27 columns, one row per
//! payment and per refund, then the 7-column summary (amounts printed like WeChat's, e.g. `0.47`,
//! `0.0`, count `45.0`) — and answers its SHA1 with a one-time `download_url` on this server.
//! `GET /v3/billdownload/file` serves it (gzip when asked), unsigned like the real one. The fee is
//! 0.60 % rounded to the fen (refund rows return it, negative). A day without trades answers
//! `NO_STATEMENT_EXIST`.

use std::io::Write;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use paydesk_core::money::format_signed_fen;
use serde_json::json;

use super::super::{SimState, SimStatus};
use super::v3::Ctx;
use super::{split_merchant, CH};

const HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const SUMMARY_HEADER: &str = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
/// The simulated fee rate, basis points.
pub(super) const FEE_BP: i64 = 60;

pub(super) fn fee(fen: i64) -> i64 {
    (fen * FEE_BP + 5_000) / 10_000
}

fn yuan(fen: i64) -> String {
    format_signed_fen(fen)
}

fn yuan5(fen: i64) -> String {
    format!("{}000", format_signed_fen(fen))
}

/// Summary amounts as WeChat prints them: at least one decimal, no trailing zero (`0.47`, `0.4`, `0.0`).
fn summary_amount(fen: i64) -> String {
    let s = format_signed_fen(fen);
    s.strip_suffix('0').map(str::to_string).unwrap_or(s)
}

fn row(cells: &[String]) -> String {
    cells.iter().map(|c| format!("`{}", c.replace('`', "'"))).collect::<Vec<_>>().join(",")
}

/// The bill of `merchant` (`mchid` or `sp/sub`) for one day, or None when it had no trades.
pub(super) fn bill_csv(st: &SimState, merchant: &str, date: NaiveDate) -> Option<String> {
    let tz = chrono_tz::Asia::Shanghai;
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz);
    let (mchid, sub) = split_merchant(merchant);
    let sub = sub.unwrap_or("0").to_string();
    let mut rows: Vec<(String, String)> = Vec::new();
    let (mut settle, mut refunds, mut fees, mut orders) = (0i64, 0i64, 0i64, 0i64);
    for t in st.trades(Some(CH)).into_iter().filter(|t| t.merchant == merchant) {
        let kind = if t.barcode { "MICROPAY" } else { "NATIVE" };
        if let Some(p) = t.paid_at.filter(|p| local(*p).date_naive() == date) {
            let status = if t.status == SimStatus::Reversed { "REVOKED" } else { "SUCCESS" };
            let time = local(p).format("%Y-%m-%d %H:%M:%S").to_string();
            let f = fee(t.amount);
            let cells: [&str; 27] = [
                &time, &t.app_id, mchid, &sub, "", &t.trade_no, &t.order_no, &t.buyer, kind, status, "OTHERS", "CNY", &yuan(t.amount), "0.00", "0", "0", "0.00", "0.00", "", "",
                &t.subject, "", &yuan5(f), "0.60%", &yuan(t.amount), "0.00", "",
            ];
            let line = row(&cells.map(str::to_string));
            rows.push((time, line));
            settle += t.amount;
            orders += t.amount;
            fees += f;
        }
        for r in t.refunds.iter().filter(|r| local(r.at).date_naive() == date) {
            let time = local(r.at).format("%Y-%m-%d %H:%M:%S").to_string();
            let f = -fee(r.amount);
            let done = chrono::Utc::now() >= r.at + chrono::Duration::from_std(super::REFUND_SETTLE).unwrap_or_default();
            let cells: [&str; 27] = [
                &time, &t.app_id, mchid, &sub, "", &t.trade_no, &t.order_no, &t.buyer, kind, "REFUND", "OTHERS", "CNY", "0.00", "0.00", &r.refund_id, &r.refund_no,
                &yuan(r.amount), "0.00", "ORIGINAL", if done { "SUCCESS" } else { "PROCESSING" }, &t.subject, "", &yuan5(f), "0.60%", "0.00", &yuan(r.amount), "",
            ];
            let line = row(&cells.map(str::to_string));
            rows.push((time, line));
            refunds += r.amount;
            fees += f;
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort();
    let mut out = String::from("\u{feff}");
    out.push_str(HEADER);
    out.push_str("\r\n");
    for (_, r) in &rows {
        out.push_str(r);
        out.push_str("\r\n");
    }
    out.push_str(SUMMARY_HEADER);
    out.push_str("\r\n");
    let summary = [format!("{}.0", rows.len()), summary_amount(settle), summary_amount(refunds), summary_amount(0), summary_amount(fees), summary_amount(orders), summary_amount(refunds)];
    out.push_str(&row(&summary));
    out.push_str("\r\n");
    Some(out)
}

pub(super) fn tradebill(cx: &Ctx) -> Response {
    let Some(date) = cx.query.get("bill_date").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) else {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "bill_date 格式错误 (yyyy-MM-dd)");
    };
    if cx.query.get("bill_type").is_some_and(|t| t != "ALL") {
        return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "the simulator serves bill_type=ALL only");
    }
    let gzip = match cx.query.get("tar_type").map(String::as_str) {
        None => false,
        Some("GZIP") => true,
        Some(_) => return cx.fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "tar_type 只支持 GZIP"),
    };
    let merchant = match cx.query.get("sub_mchid") {
        Some(sub) => format!("{}/{sub}", cx.mchid),
        None => cx.mchid.clone(),
    };
    let Some(csv) = bill_csv(&cx.st, &merchant, date) else {
        return cx.fail(StatusCode::BAD_REQUEST, "NO_STATEMENT_EXIST", "当日无交易，账单不存在");
    };
    publish(cx, csv, gzip, "/v3/bill/tradebill")
}

/// Keeps a bill behind a one-time token and answers its SHA1 and download URL on this server
/// (`api`: the path of the request, to find the simulator's prefix).
pub(super) fn publish(cx: &Ctx, csv: String, gzip: bool, api: &str) -> Response {
    let token = crate::sign::nonce(32);
    let hash = crate::sign::sha1_hex(csv.as_bytes());
    cx.st.ext_set(&format!("wechat/bill/{token}"), &json!({"mchid": cx.mchid, "gzip": gzip, "csv": csv}).to_string());
    let host = cx.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let prefix = cx.uri.path().strip_suffix(api).unwrap_or("");
    let url = format!("http://{host}{prefix}/v3/billdownload/file?token={token}");
    cx.json(StatusCode::OK, &json!({"hash_type": "SHA1", "hash_value": hash, "download_url": url}))
}

/// Serves a bill file; `corrupt` changes one digit (the injected fault), so its SHA1 no longer matches.
pub(super) fn download(cx: &Ctx, corrupt: bool) -> Response {
    let stored = cx.query.get("token").and_then(|t| cx.st.ext_get(&format!("wechat/bill/{t}")));
    let Some(v) = stored.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok()) else {
        return cx.fail(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "账单下载链接无效 (unknown or expired token)");
    };
    if v["mchid"].as_str() != Some(cx.mchid.as_str()) {
        return cx.fail(StatusCode::FORBIDDEN, "NO_AUTH", "无权下载此账单");
    }
    let mut bytes = v["csv"].as_str().unwrap_or_default().as_bytes().to_vec();
    if corrupt {
        if let Some(i) = bytes.iter().rposition(|b| b.is_ascii_digit()) {
            bytes[i] = if bytes[i] == b'9' { b'8' } else { bytes[i] + 1 };
        }
    }
    if v["gzip"].as_bool() == Some(true) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = enc.write_all(&bytes);
        bytes = enc.finish().unwrap_or_default();
    }
    (StatusCode::OK, [("content-type", "application/octet-stream")], bytes).into_response()
}
