//! The simulated Alipay `trade` bill: a ZIP with `{PID}0156_{yyyyMMdd}_业务明细.csv` and
//! `…_业务明细(汇总).csv`, GBK-encoded, in Alipay's layout (`#` preamble and footer lines, the 25
//! detail columns, Excel-guard TABs after text cells, refunds as negative rows), built from the
//! day's simulated trades of one app (Beijing time). 服务费 is 0.60 % of each line. Cancelled-after-payment trades appear as a
//! payment and a refund row without a refund number.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use paydesk_core::money::format_signed_fen;

use super::super::{SimStatus, Trade};
use crate::alipay::bill::DETAIL_COLUMNS;

fn beijing(t: DateTime<Utc>) -> chrono::DateTime<chrono_tz::Tz> {
    t.with_timezone(&chrono_tz::Asia::Shanghai)
}

fn time(t: DateTime<Utc>) -> String {
    beijing(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A text cell: quoted when it needs to be, then the TAB Alipay appends to text cells.
fn text(s: &str) -> String {
    let quoted = if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() };
    format!("{quoted}\t")
}

fn plain(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The simulated service fee (服务费): 0.60 % of the amount, half up; refunds return theirs
/// (negative, like the amount).
fn fee(fen: i64) -> i64 {
    let f = (fen.abs() * 60 + 5_000) / 10_000;
    if fen < 0 { -f } else { f }
}

fn row(t: &Trade, kind: &str, finished: DateTime<Utc>, fen: i64, refund_no: &str) -> String {
    let amount = format_signed_fen(fen);
    let cells = [
        text(&t.trade_no),
        text(&t.order_no),
        text(kind),
        plain(&t.subject),
        time(t.created_at),
        time(finished),
        text(""),
        text(""),
        text(""),
        text(""),
        text(&t.buyer),
        amount.clone(),
        amount,
        "0.00".into(),
        "0.00".into(),
        "0.00".into(),
        "0.00".into(),
        "0.00".into(),
        String::new(),
        "0.00\t".into(),
        "0.00".into(),
        text(refund_no),
        format_signed_fen(fee(fen)),
        "0.00".into(),
        plain(&t.subject),
    ];
    cells.join(",")
}

/// The detail CSV text (UTF-8; GBK-encoded by [`zip`]).
pub(crate) fn detail_csv(trades: &[Trade], pid: &str, day: NaiveDate) -> String {
    let on_day = |t: DateTime<Utc>| beijing(t).date_naive() == day;
    let mut rows = Vec::new();
    let (mut pays, mut pay_sum, mut refunds, mut refund_sum) = (0u64, 0i64, 0u64, 0i64);
    for t in trades {
        if let Some(paid) = t.paid_at.filter(|p| on_day(*p)) {
            if matches!(t.status, SimStatus::Paid | SimStatus::Reversed) {
                rows.push((paid, row(t, "交易", paid, t.amount, "")));
                pays += 1;
                pay_sum += t.amount;
                if t.status == SimStatus::Reversed {
                    let left = t.amount - t.refunded();
                    rows.push((paid, row(t, "退款", paid, -left, "")));
                    refunds += 1;
                    refund_sum += left;
                }
            }
        }
        for r in t.refunds.iter().filter(|r| on_day(r.at)) {
            rows.push((r.at, row(t, "退款", r.at, -r.amount, &r.refund_no)));
            refunds += 1;
            refund_sum += r.amount;
        }
    }
    rows.sort_by_key(|(at, _)| *at);
    let next = day.succ_opt().unwrap_or(day);
    let mut out = vec![
        "#支付宝业务明细查询".to_string(),
        format!("#账号：[{pid}0156]"),
        format!("#起始日期：[{} 00:00:00]   终止日期：[{} 00:00:00]", day.format("%Y年%m月%d日"), next.format("%Y年%m月%d日")),
        "#-----------------------------------------业务明细列表----------------------------------------".to_string(),
        DETAIL_COLUMNS.join(","),
    ];
    out.extend(rows.into_iter().map(|(_, r)| r));
    out.push("#-----------------------------------------业务明细列表结束------------------------------------".into());
    out.push(format!("#交易合计：{pays}笔，商家实收共{}元，商家优惠共0.00元", format_signed_fen(pay_sum)));
    out.push(format!("#退款合计：{refunds}笔，商家实收退款共{}元，商家优惠退款共0.00元", format_signed_fen(-refund_sum)));
    out.push(format!("#导出时间：[{}]", beijing(Utc::now()).format("%Y年%m月%d日 %H:%M:%S")));
    (out.join("\r\n") + "\r\n").replace("共-0.00元", "共0.00元")
}

fn summary_csv(detail: &str) -> String {
    let count = |prefix: &str| detail.lines().filter(|l| !l.starts_with('#') && l.contains(prefix)).count();
    format!(
        "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数,退款订单总笔数\r\n合计,,{},{}\r\n",
        count(",交易\t,"),
        count(",退款\t,")
    )
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

/// A ZIP of named files (the bills' archives).
pub(super) fn zip_entries(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let written = entries.iter().try_for_each(|(name, data)| -> zip::result::ZipResult<()> {
        w.start_file(name.as_str(), opts)?;
        w.write_all(data)?;
        Ok(())
    });
    match written.and_then(|()| w.finish()) {
        Ok(c) => c.into_inner(),
        Err(e) => {
            tracing::error!("simulated bill zip: {e}");
            Vec::new()
        }
    }
}

/// The bill ZIP of one app and day.
pub(crate) fn zip(trades: &[Trade], pid: &str, day: NaiveDate) -> Vec<u8> {
    let detail = detail_csv(trades, pid, day);
    let stem = format!("{pid}0156_{}", day.format("%Y%m%d"));
    zip_entries(&[(format!("{stem}_业务明细.csv"), gbk(&detail)), (format!("{stem}_业务明细(汇总).csv"), gbk(&summary_csv(&detail)))])
}
