//! The simulated UnionPay's transactions (see the module docs one level up).

// Refusals are the HTTP response to send; boxing them would only add noise to a simulator.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::response::Response;
use chrono::{DateTime, Utc};

use super::super::{Payer, SimRefund, SimState, SimStatus, Trade};
use super::{form_callback, reply, spawn, CH};
use crate::unionpay::map;
use crate::unionpay::wire::{self, get, Fields, Txn};

/// Where the simulator keeps a transaction's `txnTime` (queries must repeat it).
pub(super) fn time_key(mer: &str, order_id: &str) -> String {
    format!("unionpay/txntime/{mer}/{order_id}")
}

fn kind_key(mer: &str, order_id: &str) -> String {
    format!("unionpay/kind/{mer}/{order_id}")
}

/// Files a trade settled before this simulator knew of it (demo history): the `txnTime` the
/// channel derives for it (the order's creation) and its refunds' (their completion), so queries
/// and the statement treat it like a trade made here.
pub(crate) fn file_settled(st: &SimState, t: &Trade) {
    st.ext_set(&time_key(&t.merchant, &t.order_no), &map::txn_time(t.created_at));
    for r in &t.refunds {
        st.ext_set(&time_key(&t.merchant, &r.refund_no), &map::txn_time(r.at));
        st.ext_set(&kind_key(&t.merchant, &r.refund_no), "04");
    }
}

/// `MMDD` of the settlement day (Beijing).
pub(super) fn settle_date(t: DateTime<Utc>) -> String {
    map::txn_time(t)[4..8].to_string()
}

fn amount(f: &Fields) -> Option<i64> {
    get(f, "txnAmt").filter(|a| a.len() <= 12 && a.bytes().all(|b| b.is_ascii_digit())).and_then(|a| a.parse().ok()).filter(|a| *a > 0)
}

fn order_id_ok(id: &str) -> bool {
    (8..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A 21-digit `queryId`.
fn query_id(st: &SimState) -> String {
    let id = st.next_id("");
    format!("{}{:013}", &id[..8], id[8..].parse::<u64>().unwrap_or(0))
}

/// Checks the fields every money-moving request needs (`currencyCode` too, as the gateway does); `Err` is the refusal to send.
fn check_new(st: &SimState, f: &Fields) -> Result<(String, String, String, i64), Response> {
    let bad = |m: &str| reply(st, f, "10", &format!("报文格式错误: {m}"), vec![]);
    let mer = get(f, "merId").ok_or_else(|| bad("merId"))?.to_string();
    let order_id = get(f, "orderId").filter(|o| order_id_ok(o)).ok_or_else(|| bad("orderId"))?.to_string();
    let txn_time = get(f, "txnTime").ok_or_else(|| bad("txnTime"))?.to_string();
    let fen = amount(f).ok_or_else(|| bad("txnAmt"))?;
    // Every money-moving request (consume, QR, refund, revoke) names its currency.
    if get(f, "currencyCode") != Some(wire::CURRENCY_CNY) {
        return Err(bad("currencyCode"));
    }
    Ok((mer, order_id, txn_time, fen))
}

fn fresh(txn_time: &str) -> bool {
    let Ok(naive) = chrono::NaiveDateTime::parse_from_str(txn_time, "%Y%m%d%H%M%S") else { return false };
    let Some(t) = naive.and_local_timezone(chrono_tz::Asia::Shanghai).earliest() else { return false };
    (Utc::now() - t.with_timezone(&Utc)).num_seconds().abs() <= 600
}

fn new_trade(st: &SimState, mer: &str, order_id: &str, fen: i64, barcode: bool, payer: Payer, back_url: Option<&str>) -> Trade {
    Trade {
        channel: CH,
        merchant: mer.to_string(),
        app_id: String::new(),
        order_no: order_id.to_string(),
        trade_no: query_id(st),
        amount: fen,
        subject: String::new(),
        status: SimStatus::Created,
        barcode,
        payer,
        notify_url: back_url.map(str::to_string),
        created_at: Utc::now(),
        paid_at: None,
        buyer: "6226********1234".into(),
        refunds: Vec::new(),
    }
}

pub(super) fn apply_qr(st: &Arc<SimState>, f: &Fields) -> Response {
    let (mer, order_id, txn_time, fen) = match check_new(st, f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !fresh(&txn_time) {
        return reply(st, f, "10", "报文格式错误: txnTime 不是当前时间", vec![]);
    }
    let t = new_trade(st, &mer, &order_id, fen, false, Payer::Pay, get(f, "backUrl"));
    let t = match st.insert(t) {
        Ok(t) => t,
        Err(e) if e.status == SimStatus::Created && e.amount == fen && st.ext_get(&time_key(&mer, &order_id)).as_deref() == Some(txn_time.as_str()) => *e,
        Err(_) => return reply(st, f, "12", "重复交易", vec![]),
    };
    st.ext_set(&time_key(&mer, &order_id), &txn_time);
    reply(st, f, "00", "成功[0000000]", vec![("qrCode", format!("https://qr.95516.com/00010000/{}", &t.trade_no[8..]))])
}

pub(super) async fn barcode(st: &Arc<SimState>, f: &Fields) -> Response {
    let (mer, order_id, txn_time, fen) = match check_new(st, f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !fresh(&txn_time) {
        return reply(st, f, "10", "报文格式错误: txnTime 不是当前时间", vec![]);
    }
    let code = get(f, "qrNo").unwrap_or("");
    if !(code.len() == 19 && code.starts_with("62") && code.bytes().all(|b| b.is_ascii_digit())) {
        return reply(st, f, "61", "付款码无效，请顾客刷新后重试", vec![]);
    }
    let payer = Payer::from_auth_code(code);
    let t = new_trade(st, &mer, &order_id, fen, true, payer, get(f, "backUrl")).charged_by(payer);
    let t = match st.insert(t) {
        Ok(t) => t,
        Err(_) => return reply(st, f, "12", "重复交易", vec![]),
    };
    st.ext_set(&time_key(&mer, &order_id), &txn_time);
    if t.status == SimStatus::Paid {
        st.spawn_payment_callback(&t);
    }
    if payer == Payer::PasswordThenPay {
        let (st2, m, o) = (st.clone(), mer.clone(), order_id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(st2.cfg.password_delay).await;
            if let Some(t) = st2.get(CH, &m, &o).filter(|t| t.status == SimStatus::Paid) {
                st2.spawn_payment_callback(&t);
            }
        });
    }
    match payer {
        Payer::Decline => reply(st, f, "01", "交易失败，余额不足", vec![]),
        Payer::SystemError => reply(st, f, "03", "交易通讯超时，请发起查询交易", vec![]),
        Payer::Stall => {
            tokio::time::sleep(st.cfg.stall).await;
            reply(st, f, "00", "成功[0000000]", vec![("queryId", t.trade_no.clone())])
        }
        Payer::Pay | Payer::PasswordThenPay | Payer::PasswordNever => reply(st, f, "00", "成功[0000000]", vec![("queryId", t.trade_no.clone())]),
    }
}

/// The original's own result, as query reports it: `None` for "no such transaction".
fn payment_result(t: &Trade) -> Option<(&'static str, &'static str)> {
    match t.status {
        SimStatus::Created => None,
        SimStatus::Waiting => Some(("05", "交易已受理，请稍后查询交易结果")),
        SimStatus::Paid | SimStatus::Reversed => Some(("00", "成功[0000000]")),
        SimStatus::Failed => Some(("01", "交易失败，余额不足")),
        SimStatus::Closed => Some(("01", "交易失败，已冲正")),
    }
}

pub(super) fn query(st: &SimState, f: &Fields) -> Response {
    let mer = get(f, "merId").unwrap_or("");
    let order_id = get(f, "orderId").unwrap_or("");
    let txn_time = get(f, "txnTime").unwrap_or("");
    let none = || reply(st, f, "34", "查无此交易", vec![]);
    if st.ext_get(&time_key(mer, order_id)).as_deref() != Some(txn_time) {
        return none();
    }
    if let Some(t) = st.get(CH, mer, order_id) {
        let Some((code, msg)) = payment_result(&t) else { return none() };
        let mut extra = vec![("origRespCode", code.to_string()), ("origRespMsg", msg.to_string()), ("queryId", t.trade_no.clone()), ("txnAmt", t.amount.to_string())];
        if let Some(p) = t.paid_at.filter(|_| code == "00") {
            extra.extend([("traceTime", map::txn_time(p)[4..].to_string()), ("traceNo", t.trade_no[t.trade_no.len() - 6..].to_string()), ("settleDate", settle_date(p)), ("settleAmt", t.amount.to_string())]);
        }
        return reply(st, f, "00", "成功[0000000]", extra);
    }
    match st.find_refund(CH, mer, order_id) {
        Some((t, r)) => {
            let txn_type = st.ext_get(&kind_key(mer, order_id)).unwrap_or_else(|| "04".into());
            reply(
                st,
                f,
                "00",
                "成功[0000000]",
                vec![("origRespCode", "00".into()), ("origRespMsg", "成功[0000000]".into()), ("queryId", r.refund_id), ("origQryId", t.trade_no), ("txnAmt", r.amount.to_string()), ("txnType", txn_type)],
            )
        }
        None => none(),
    }
}

/// `31/00` revoke and `04/00` refund: their own `orderId`, the original by `origQryId`.
pub(super) fn refund_or_revoke(st: &Arc<SimState>, f: &Fields, txn: Txn) -> Response {
    let (mer, order_id, txn_time, fen) = match check_new(st, f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if st.find_refund(CH, &mer, &order_id).is_some() || st.get(CH, &mer, &order_id).is_some() {
        return reply(st, f, "12", "重复交易", vec![]);
    }
    let Some(orig) = get(f, "origQryId").and_then(|q| st.trades(Some(CH)).into_iter().find(|t| t.merchant == mer && t.trade_no == q)) else {
        return reply(st, f, "35", "原交易不存在或状态不正确", vec![]);
    };
    let revoke = txn == wire::CANCEL;
    let same_day = orig.paid_at.is_some_and(|p| settle_date(p) == settle_date(Utc::now()));
    let refund_id = query_id(st);
    let mut problem = None;
    let t = st.update(CH, &mer, &orig.order_no, |t| {
        if t.status != SimStatus::Paid {
            problem = Some("原交易状态不正确");
        } else if revoke && (!same_day || fen != t.amount || !t.refunds.is_empty()) {
            problem = Some("原交易不能撤销（非当日、金额不符或已退货）");
        } else if t.refunded() + fen > t.amount {
            problem = Some("退货金额超限");
        } else {
            if revoke {
                t.status = SimStatus::Reversed;
            }
            t.refunds.push(SimRefund { refund_no: order_id.clone(), refund_id: refund_id.clone(), amount: fen, reason: None, at: Utc::now() });
        }
    });
    if let Some(p) = problem {
        return reply(st, f, "35", p, vec![]);
    }
    st.ext_set(&time_key(&mer, &order_id), &txn_time);
    st.ext_set(&kind_key(&mer, &order_id), txn.txn_type);
    if let (Some(t), Some(url)) = (t, get(f, "backUrl")) {
        let mut n: Fields = ["version", "encoding", "signMethod", "txnType", "txnSubType", "bizType", "accessType", "merId", "orderId", "txnTime", "txnAmt", "reqReserved", "origQryId"]
            .iter()
            .filter_map(|k| get(f, k).map(|v| (k.to_string(), v.to_string())))
            .collect();
        n.extend([("queryId".into(), refund_id), ("respCode".into(), "00".into()), ("respMsg".into(), "成功[0000000]".into()), ("settleAmt".into(), fen.to_string()), ("settleDate".into(), settle_date(Utc::now()))]);
        spawn(st, &t.order_no, form_callback(st, url.to_string(), n));
    }
    reply(st, f, "00", "成功[0000000]", vec![])
}

/// `99/01`: by the original's `orderId` + `txnTime`.
pub(super) fn reversal(st: &SimState, f: &Fields) -> Response {
    let mer = get(f, "merId").unwrap_or("");
    let order_id = get(f, "orderId").unwrap_or("");
    if st.ext_get(&time_key(mer, order_id)).as_deref() != get(f, "txnTime") {
        return reply(st, f, "34", "查无此交易", vec![]);
    }
    let t = st.update(CH, mer, order_id, |t| match t.status {
        SimStatus::Paid => t.status = SimStatus::Reversed,
        SimStatus::Created | SimStatus::Waiting => t.status = SimStatus::Closed,
        SimStatus::Reversed | SimStatus::Closed | SimStatus::Failed => {}
    });
    match t {
        None => reply(st, f, "34", "查无此交易", vec![]),
        Some(_) => reply(st, f, "00", "成功[0000000]", vec![]),
    }
}
