//! Simulated v2 XML: `pay/micropay`, `pay/orderquery`, `secapi/pay/reverse`. Requests must be
//! signed with the demo API v2 key (`sign_type` HMAC-SHA256, or MD5 when absent); bad XML or a bad
//! sign answers `return_code=FAIL` (unsigned, as WeChat does), everything else is signed the same
//! way as the request. Micropay payers behave by the auth code's last digit (`Payer`).
//! Faults: `micropay`/`error` → `SYSTEMERROR` with no trade made; `reverse`/`error` →
//! `SYSTEMERROR` with `recall=Y`; `timeout` on either stalls, then answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::super::{FaultKind, Payer, SimState, SimStatus, Trade};
use super::{keys, trade_state, WxKeys, CH};
use crate::wechat::v2::{self as wv2, Fields, SignType};

struct Req {
    k: Arc<WxKeys>,
    f: Fields,
    sign_type: SignType,
}

fn xml(body: String) -> Response {
    (StatusCode::OK, [("content-type", "text/xml; charset=utf-8")], body).into_response()
}

/// `return_code=FAIL` (not signed).
fn return_fail(msg: &str) -> Response {
    let mut f = Fields::new();
    f.insert("return_code".into(), "FAIL".into());
    f.insert("return_msg".into(), msg.into());
    xml(wv2::to_xml(&f))
}

impl Req {
    fn get(&self, k: &str) -> &str {
        self.f.get(k).map(String::as_str).unwrap_or("")
    }

    /// `mch_id` or `mch_id/sub_mch_id`.
    fn merchant(&self) -> String {
        match self.get("sub_mch_id") {
            "" => self.get("mch_id").to_string(),
            sub => format!("{}/{sub}", self.get("mch_id")),
        }
    }

    /// A signed `return_code=SUCCESS` reply with `result_code` and the given fields.
    fn reply(&self, result: Result<(), (&str, &str)>, extra: Fields) -> Response {
        let mut f = extra;
        f.insert("return_code".into(), "SUCCESS".into());
        f.insert("return_msg".into(), "OK".into());
        for k in ["appid", "mch_id", "sub_mch_id", "sub_appid", "device_info"] {
            if !self.get(k).is_empty() {
                f.insert(k.into(), self.get(k).into());
            }
        }
        match result {
            Ok(()) => {
                f.insert("result_code".into(), "SUCCESS".into());
            }
            Err((code, des)) => {
                f.insert("result_code".into(), "FAIL".into());
                f.insert("err_code".into(), code.into());
                f.insert("err_code_des".into(), des.into());
            }
        }
        f.remove("nonce_str");
        xml(wv2::to_xml(&wv2::signed(f, &self.k.v2, self.sign_type)))
    }
}

/// Parses and authenticates a v2 request.
fn open(st: &SimState, body: &[u8]) -> Result<Req, Box<Response>> {
    let k = keys(st).map_err(|e| Box::new(return_fail(&e)))?;
    let f = wv2::parse_xml(body).map_err(|_| Box::new(return_fail("XML格式错误")))?;
    let sign_type = match f.get("sign_type").map(String::as_str) {
        None | Some("") | Some("MD5") => SignType::Md5,
        Some("HMAC-SHA256") => SignType::HmacSha256,
        Some(_) => return Err(Box::new(return_fail("sign_type 参数错误"))),
    };
    if !wv2::verify(&f, &k.v2, sign_type) {
        return Err(Box::new(return_fail("签名错误")));
    }
    Ok(Req { k, f, sign_type })
}

fn fields(pairs: &[(&str, String)]) -> Fields {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn paid_fields(t: &Trade) -> Fields {
    fields(&[
        ("openid", t.buyer.clone()),
        ("is_subscribe", "N".into()),
        ("trade_type", "MICROPAY".into()),
        ("bank_type", "OTHERS".into()),
        ("fee_type", "CNY".into()),
        ("total_fee", t.amount.to_string()),
        ("cash_fee_type", "CNY".into()),
        ("cash_fee", t.amount.to_string()),
        ("transaction_id", t.trade_no.clone()),
        ("out_trade_no", t.order_no.clone()),
        ("time_end", t.paid_at.unwrap_or_else(Utc::now).with_timezone(&chrono_tz::Asia::Shanghai).format("%Y%m%d%H%M%S").to_string()),
    ])
}

fn valid_auth_code(c: &str) -> bool {
    c.len() == 18 && c.bytes().all(|b| b.is_ascii_digit()) && matches!(&c[..2], "10" | "11" | "12" | "13" | "14" | "15")
}

pub(super) async fn micropay(State(st): State<Arc<SimState>>, body: Bytes) -> Response {
    let r = match open(&st, &body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match st.take_fault(CH, "micropay") {
        Some(FaultKind::Timeout) => tokio::time::sleep(st.cfg.stall).await,
        Some(FaultKind::Error) => return r.reply(Err(("SYSTEMERROR", "系统超时")), Fields::new()),
        None => {}
    }
    let total: i64 = r.get("total_fee").parse().unwrap_or(0);
    for k in ["appid", "mch_id", "out_trade_no", "body", "spbill_create_ip", "auth_code"] {
        if r.get(k).is_empty() {
            return r.reply(Err(("PARAM_ERROR", "缺少必要参数")), Fields::new());
        }
    }
    if total <= 0 {
        return r.reply(Err(("PARAM_ERROR", "total_fee 须为正整数")), Fields::new());
    }
    let code = r.get("auth_code");
    if !valid_auth_code(code) {
        return r.reply(Err(("AUTH_CODE_INVALID", "付款码无效，请重新扫码")), Fields::new());
    }
    let merchant = r.merchant();
    let no = r.get("out_trade_no").to_string();
    if let Some(existing) = st.get(CH, &merchant, &no) {
        return if existing.status == SimStatus::Paid {
            r.reply(Err(("ORDERPAID", "订单已支付")), Fields::new())
        } else {
            r.reply(Err(("OUT_TRADE_NO_USED", "商户订单号重复")), Fields::new())
        };
    }
    let payer = Payer::from_auth_code(code);
    let now = Utc::now();
    let mut t = Trade {
        channel: CH,
        merchant,
        app_id: r.get("appid").into(),
        order_no: no,
        trade_no: st.next_id("42000013"),
        amount: total,
        subject: r.get("body").into(),
        status: SimStatus::Waiting,
        barcode: true,
        payer,
        notify_url: None,
        created_at: now,
        paid_at: None,
        buyer: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        refunds: Vec::new(),
    };
    match payer {
        Payer::Pay | Payer::SystemError | Payer::Stall => {
            t.status = SimStatus::Paid;
            t.paid_at = Some(now);
        }
        Payer::Decline => t.status = SimStatus::Failed,
        Payer::PasswordThenPay | Payer::PasswordNever => {}
    }
    let t = match st.insert(t) {
        Ok(t) => t,
        Err(_) => return r.reply(Err(("OUT_TRADE_NO_USED", "商户订单号重复")), Fields::new()),
    };
    match payer {
        Payer::Pay => r.reply(Ok(()), paid_fields(&t)),
        Payer::Stall => {
            tokio::time::sleep(st.cfg.stall).await;
            r.reply(Ok(()), paid_fields(&t))
        }
        Payer::SystemError => r.reply(Err(("SYSTEMERROR", "系统超时")), Fields::new()),
        Payer::Decline => r.reply(Err(("NOTENOUGH", "余额不足")), Fields::new()),
        Payer::PasswordThenPay | Payer::PasswordNever => r.reply(Err(("USERPAYING", "需要用户输入支付密码")), Fields::new()),
    }
}

pub(super) async fn orderquery(State(st): State<Arc<SimState>>, body: Bytes) -> Response {
    let r = match open(&st, &body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if let Some(FaultKind::Error) = st.take_fault(CH, "orderquery") {
        return r.reply(Err(("SYSTEMERROR", "系统错误")), Fields::new());
    }
    let Some(t) = st.get(CH, &r.merchant(), r.get("out_trade_no")) else {
        return r.reply(Err(("ORDERNOTEXIST", "此交易订单号不存在")), Fields::new());
    };
    let (state, desc) = trade_state(&t);
    let mut f = if t.paid_at.is_some() { paid_fields(&t) } else { fields(&[("out_trade_no", t.order_no.clone()), ("total_fee", t.amount.to_string())]) };
    f.insert("trade_state".into(), state.into());
    f.insert("trade_state_desc".into(), desc.into());
    r.reply(Ok(()), f)
}

pub(super) async fn reverse(State(st): State<Arc<SimState>>, body: Bytes) -> Response {
    let r = match open(&st, &body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match st.take_fault(CH, "reverse") {
        Some(FaultKind::Timeout) => tokio::time::sleep(st.cfg.stall).await,
        Some(FaultKind::Error) => return r.reply(Err(("SYSTEMERROR", "系统错误，请重新调用撤销")), fields(&[("recall", "Y".into())])),
        None => {}
    }
    // The reverse undoes payment-code (micropay) orders only; a QR order is refunded.
    if st.get(CH, &r.merchant(), r.get("out_trade_no")).is_some_and(|t| !t.barcode) {
        return r.reply(Err(("TRADE_ERROR", "订单类型不支持撤销，请使用申请退款")), fields(&[("recall", "N".into())]));
    }
    let t = st.update(CH, &r.merchant(), r.get("out_trade_no"), |t| match t.status {
        SimStatus::Paid => t.status = SimStatus::Reversed,
        SimStatus::Created | SimStatus::Waiting | SimStatus::Failed => t.status = SimStatus::Closed,
        SimStatus::Closed | SimStatus::Reversed => {}
    });
    match t {
        None => r.reply(Err(("ORDERNOTEXIST", "订单不存在")), fields(&[("recall", "N".into())])),
        Some(_) => r.reply(Ok(()), fields(&[("recall", "N".into())])),
    }
}
