//! The `sandbox` channel: Paydesk's own signed-JSON test gateway (protocol in [`wire`]).
//! Account params: `merchant_id`, `private_key_file` (ours), `gateway_public_key_file` (theirs).

pub mod bill;
pub mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use paydesk_core::channel::*;
use paydesk_core::{AccountConfig, Method, Money};

use crate::env::{base_url, param, ChannelEnv};
use crate::http::{Http, HttpResponse};
use crate::sign::{RsaSigner, RsaVerifier};

const KIND: &str = "sandbox";

#[derive(Debug)]
pub struct Sandbox {
    base: String,
    merchant: String,
    signer: RsaSigner,
    gateway: RsaVerifier,
    http: Http,
}

/// Registry entry.
pub fn build(a: &AccountConfig, env: &ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError> {
    let signer = RsaSigner::from_pem(&env.read_param_file(a, "private_key_file")?)
        .map_err(|e| ChannelError::Config(format!("account {:?}: private_key_file: {e}", a.name)))?;
    let gateway = RsaVerifier::from_pem(&env.read_param_file(a, "gateway_public_key_file")?)
        .map_err(|e| ChannelError::Config(format!("account {:?}: gateway_public_key_file: {e}", a.name)))?;
    Ok(Arc::new(Sandbox {
        base: base_url(a, "http://127.0.0.1:8429/sandbox"),
        merchant: param(a, "merchant_id")?,
        signer,
        gateway,
        http: Http::new(KIND, env.timeout)?,
    }))
}

fn err(kind: fn(String, String, String) -> ChannelError, r: &wire::Reply) -> ChannelError {
    kind(KIND.into(), r.code.clone(), r.message.clone().unwrap_or_default())
}

fn ts(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::from_timestamp(s, 0))
}

fn trade_status(r: &wire::Reply) -> Result<TradeStatus, ChannelError> {
    let raw = r.status.clone().unwrap_or_default();
    let state = match raw.as_str() {
        "CREATED" | "WAITING" => TradeState::Waiting,
        "PAID" => {
            if r.refunded.unwrap_or(0) > 0 {
                TradeState::Refunded
            } else {
                TradeState::Paid
            }
        }
        "CLOSED" | "REVERSED" => TradeState::Closed,
        "FAILED" => TradeState::Failed { code: "FAILED".into(), message: r.message.clone().unwrap_or_else(|| "payment failed".into()) },
        other => TradeState::Unknown { raw: other.to_string() },
    };
    let amount = r.amount.map(Money::from_fen).transpose().map_err(|e| ChannelError::Protocol { channel: KIND.into(), detail: e.to_string() })?;
    Ok(TradeStatus { state, channel_trade_no: r.trade_no.clone(), amount, paid_at: ts(r.paid_at), raw_status: raw })
}

fn refund_result(r: &wire::Reply) -> RefundResult {
    let state = match r.status.as_deref() {
        Some("SUCCESS") => RefundState::Success,
        Some("PROCESSING") => RefundState::Processing,
        Some(other) => RefundState::Failed { code: other.into(), message: r.message.clone().unwrap_or_default() },
        None => RefundState::Processing,
    };
    RefundResult { state, channel_refund_no: r.refund_id.clone() }
}

impl Sandbox {
    fn verify(&self, headers: impl Fn(&str) -> Option<String>, body: &[u8], now: DateTime<Utc>) -> Result<(), ChannelError> {
        let bad = |detail: &str| ChannelError::SignatureInvalid { channel: KIND.into(), detail: detail.into() };
        let t = headers(wire::H_TIMESTAMP).ok_or_else(|| bad("missing Pd-Timestamp"))?;
        let n = headers(wire::H_NONCE).ok_or_else(|| bad("missing Pd-Nonce"))?;
        let s = headers(wire::H_SIGNATURE).ok_or_else(|| bad("missing Pd-Signature"))?;
        if !self.gateway.verify_b64(&wire::message(&t, &n, body), &s) {
            return Err(bad("does not verify with the gateway public key"));
        }
        let secs: i64 = t.parse().map_err(|_| bad("bad timestamp"))?;
        if (now.timestamp() - secs).abs() >= 300 {
            return Err(bad("timestamp more than 5 minutes off"));
        }
        Ok(())
    }

    async fn call<T: serde::Serialize>(&self, op: &str, body: &T) -> Result<wire::Reply, ChannelError> {
        let body = serde_json::to_vec(body).map_err(|e| ChannelError::Protocol { channel: KIND.into(), detail: e.to_string() })?;
        let t = Utc::now().timestamp().to_string();
        let n = crate::sign::nonce(16);
        let sig = self.signer.sign_b64(&wire::message(&t, &n, &body));
        let req = self
            .http
            .client()
            .post(format!("{}/v1/{op}", self.base))
            .header("content-type", "application/json")
            .header(wire::H_MERCHANT, &self.merchant)
            .header(wire::H_TIMESTAMP, t)
            .header(wire::H_NONCE, n)
            .header(wire::H_SIGNATURE, sig)
            .body(body);
        let resp: HttpResponse = self.http.send(req).await?;
        self.verify(|h| resp.header(h).map(str::to_string), &resp.body, Utc::now())?;
        let reply: wire::Reply = serde_json::from_slice(&resp.body).map_err(|e| ChannelError::Protocol { channel: KIND.into(), detail: format!("reply is not JSON: {e}") })?;
        match resp.status {
            200 if reply.code == "OK" => Ok(reply),
            500..=599 => Err(err(|channel, code, message| ChannelError::Unavailable { channel, code, message }, &reply)),
            401 => Err(ChannelError::Config(format!("sandbox rejected our signature or merchant id ({})", reply.message.clone().unwrap_or_default()))),
            _ => Err(err(|channel, code, message| ChannelError::Rejected { channel, code, message }, &reply)),
        }
    }
}

#[async_trait]
impl Channel for Sandbox {
    fn kind(&self) -> &str {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::full(vec![Method::Sandbox])
    }

    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        let body = wire::Precreate {
            order_no: req.order.order_no.to_string(),
            amount: req.order.amount.fen(),
            subject: req.subject.clone(),
            notify_url: req.notify_url.clone(),
            expire_at: req.expires_at.timestamp(),
        };
        let r = self.call("precreate", &body).await?;
        let qr_code = r.qr_code.clone().ok_or_else(|| ChannelError::Protocol { channel: KIND.into(), detail: "no qr_code in reply".into() })?;
        Ok(QrCreated { qr_code, channel_trade_no: r.trade_no })
    }

    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        let body = wire::Pay {
            order_no: req.order.order_no.to_string(),
            amount: req.order.amount.fen(),
            subject: req.subject.clone(),
            auth_code: req.auth_code.clone(),
            notify_url: req.notify_url.clone(),
        };
        trade_status(&self.call("pay", &body).await?)
    }

    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        match self.call("query", &wire::ByOrder { order_no: order.order_no.to_string() }).await {
            Err(ChannelError::Rejected { code, .. }) if code == "TRADE_NOT_EXIST" => Ok(TradeStatus::new(TradeState::NotFound, code)),
            r => trade_status(&r?),
        }
    }

    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError> {
        match self.call("close", &wire::ByOrder { order_no: order.order_no.to_string() }).await {
            Err(ChannelError::Rejected { code, .. }) if code == "TRADE_NOT_EXIST" => Ok(()),
            r => r.map(|_| ()),
        }
    }

    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        let r = match self.call("cancel", &wire::ByOrder { order_no: order.order_no.to_string() }).await {
            Err(ChannelError::Rejected { code, .. }) if code == "TRADE_NOT_EXIST" => return Ok(CancelOutcome::Closed),
            r => r?,
        };
        Ok(if r.action.as_deref() == Some("refund") { CancelOutcome::Refunded } else { CancelOutcome::Closed })
    }

    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let body = wire::Refund { order_no: req.order.order_no.to_string(), refund_no: req.refund_no.to_string(), amount: req.amount.fen(), reason: req.reason.clone() };
        Ok(refund_result(&self.call("refund", &body).await?))
    }

    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        match self.call("refund_query", &wire::ByRefund { refund_no: req.refund_no.to_string() }).await {
            Err(ChannelError::Rejected { code, .. }) if code == "REFUND_NOT_EXIST" => Ok(RefundResult { state: RefundState::NotFound, channel_refund_no: None }),
            r => Ok(refund_result(&r?)),
        }
    }

    async fn statement(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        let r = self.call("statement", &wire::Statement { date: day.format("%Y-%m-%d").to_string() }).await?;
        Ok(StatementFile { file_name: format!("sandbox-{day}.csv"), bytes: r.csv.unwrap_or_default().into_bytes() })
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        self.verify(|h| req.header(h).map(str::to_string), &req.body, req.received_at)?;
        let n: wire::Notification = serde_json::from_slice(&req.body).map_err(|e| ChannelError::Protocol { channel: KIND.into(), detail: format!("callback is not JSON: {e}") })?;
        if n.merchant != self.merchant {
            return Err(ChannelError::Mismatch { channel: KIND.into(), detail: format!("callback for merchant {:?}, not ours", n.merchant) });
        }
        let proto = |d: String| ChannelError::Protocol { channel: KIND.into(), detail: d };
        let order_no = n.order_no.parse().map_err(|e: paydesk_core::ids::IdError| proto(e.to_string()))?;
        let total = Money::from_fen(n.amount).map_err(|e| proto(e.to_string()))?;
        match n.kind.as_str() {
            "payment" => {
                let reply = wire::Reply { code: "OK".into(), status: Some(n.status.clone()), trade_no: Some(n.trade_no.clone()), amount: Some(n.amount), paid_at: n.paid_at, ..Default::default() };
                Ok(CallbackEvent::Payment { order_no, total, status: trade_status(&reply)? })
            }
            "refund" => {
                let refund_no = n.refund_no.as_deref().unwrap_or_default().parse().map_err(|e: paydesk_core::ids::IdError| proto(e.to_string()))?;
                let amount = Money::from_fen(n.refund_amount.unwrap_or(0)).map_err(|e| proto(e.to_string()))?;
                let reply = wire::Reply { code: "OK".into(), status: Some(n.status.clone()), ..Default::default() };
                Ok(CallbackEvent::Refund { order_no, refund_no, amount, result: refund_result(&reply) })
            }
            other => Err(proto(format!("unknown notification type {other:?}"))),
        }
    }

    fn callback_reply(&self, stored: bool) -> CallbackReply {
        if stored {
            CallbackReply { status: 200, content_type: "text/plain", body: b"OK".to_vec() }
        } else {
            CallbackReply { status: 500, content_type: "text/plain", body: b"FAIL".to_vec() }
        }
    }
}
