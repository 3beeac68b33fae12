//! The `template` channel: a "signed HTTP form/JSON" provider (bank aggregators, 易支付-style
//! aggregators, points partners, e-CNY through a bank …) defined entirely by its account's
//! `params` — no code, no rebuild. Importing the account (which rebuilds the account's channel)
//! is all it takes.
//!
//! The recipe ([`recipe`], checked by [`config`]) gives the endpoints of create (QR) / barcode /
//! query / close / refund / refund query, the field mapping with `{placeholders}` ([`render`]),
//! the signature ([`sign`]: sorted `k=v&…`, key appended raw or as `&key=`, MD5 / HMAC-SHA256 /
//! RSA-SHA256), how to read replies (JSON paths, forms, text; success and not-found conditions;
//! status value → our state), and callback verification with the exact acknowledgement body.
//!
//! Safety rules that no recipe can change: a status value the recipe does not map stays
//! "unknown" (never paid or failed by accident); a reply that is unreadable, unsigned when it must
//! be signed, or a 5xx leaves the outcome unknown (the core queries); callbacks are verified
//! before anything in them is read; a refund is never resent without a refund query saying the
//! provider has none.
//! A worked example: `assets/templates/epay-md5.toml` (易支付, MD5).

pub mod config;
pub mod recipe;
pub mod render;
pub mod sign;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use paydesk_core::channel::*;
use paydesk_core::{AccountConfig, Method, OrderNo};

use crate::env::ChannelEnv;
use crate::http::Http;
use config::Loaded;
use recipe::{Body, Cond, HttpMethod, Op, ReplyFormat, ReplyRecipe};
use render::{format_amount, parse_amount, render, Doc};

pub const KIND: &str = "template";

/// `{notify_url}` when Paydesk has no public callback URL (polling-only mode).
pub const NO_CALLBACK_URL: &str = "https://paydesk-polling-only.invalid/template/notify";

#[derive(Debug)]
pub struct Template {
    l: Loaded,
    http: Http,
}

/// Registry entry.
pub fn build(a: &AccountConfig, env: &ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError> {
    Ok(Arc::new(Template::new(a, env)?))
}

fn protocol(detail: impl Into<String>) -> ChannelError {
    ChannelError::Protocol { channel: KIND.into(), detail: detail.into() }
}

fn holds(c: &Option<Cond>, doc: &Doc) -> Option<bool> {
    c.as_ref().map(|c| doc.get(&c.field).is_some_and(|v| c.equals.contains(&v)))
}

impl Template {
    pub fn new(a: &AccountConfig, env: &ChannelEnv) -> Result<Template, ChannelError> {
        Ok(Template { l: config::load(a, env)?, http: Http::new(KIND, env.timeout)? })
    }

    pub fn loaded(&self) -> &Loaded {
        &self.l
    }

    /// Account values: vars, the secret, time and a nonce.
    fn base_vals(&self) -> BTreeMap<String, String> {
        let mut v: BTreeMap<String, String> = self.l.recipe.vars.clone();
        if let Some(s) = &self.l.keys.secret {
            v.insert("secret".into(), s.clone());
        }
        let now = Utc::now();
        v.insert("timestamp".into(), now.timestamp().to_string());
        v.insert("timestamp_ms".into(), now.timestamp_millis().to_string());
        v.insert("nonce".into(), crate::sign::nonce(16));
        v
    }

    /// Placeholder values every operation on an order has.
    fn vals(&self, order: &OrderRef) -> BTreeMap<String, String> {
        let mut v = self.base_vals();
        v.insert("order_no".into(), order.order_no.to_string());
        v.insert("amount".into(), format_amount(order.amount, self.l.recipe.amount_format));
        if let Some(t) = &order.channel_trade_no {
            v.insert("trade_no".into(), t.clone());
        }
        v
    }

    fn method_value(&self, m: Method) -> String {
        self.l.recipe.method_values.get(m.as_str()).cloned().unwrap_or_else(|| m.as_str().to_string())
    }

    /// Renders, signs, sends one operation and returns its verified reply.
    async fn call(&self, name: &str, op: &Op, vals: &BTreeMap<String, String>) -> Result<Doc, ChannelError> {
        let r = &self.l.recipe;
        let mut fields: Vec<(String, String)> = op.fields.iter().map(|(k, v)| (k.clone(), render(v, vals))).collect();
        if op.signed {
            if let (Some(f), Some(v)) = (&r.sign.sign_type_field, &r.sign.sign_type_value) {
                fields.push((f.clone(), v.clone()));
            }
            let sig = sign::sign(&r.sign, &self.l.keys, &fields).ok_or_else(|| ChannelError::Config(format!("account {:?}: sign: key material missing", self.l.account)))?;
            fields.push((r.sign.sign_field.clone(), sig));
        }
        let url = format!("{}{}", self.l.base, op.path);
        let encoded = serde_urlencoded::to_string(&fields).map_err(|e| protocol(format!("{name}: cannot encode the request: {e}")))?;
        let req = match (op.http_method, op.body) {
            (HttpMethod::Get, _) => self.http.client().get(if url.contains('?') { format!("{url}&{encoded}") } else { format!("{url}?{encoded}") }),
            (HttpMethod::Post, Body::Form) => self.http.client().post(&url).header("content-type", "application/x-www-form-urlencoded;charset=utf-8").body(encoded),
            (HttpMethod::Post, Body::Json) => {
                let obj: serde_json::Map<String, serde_json::Value> = fields.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
                self.http.client().post(&url).json(&obj)
            }
        };
        let resp = self.http.send(req).await?;
        match resp.status {
            200..=299 => {}
            s @ 500..=599 => return Err(ChannelError::Unavailable { channel: KIND.into(), code: format!("HTTP {s}"), message: format!("{} answered {name} with an error", self.provider()) }),
            s => return Err(protocol(format!("{name}: HTTP {s}"))),
        }
        let doc = Doc::parse(&resp.body, op.reply.format).map_err(|e| protocol(format!("{name}: {e}")))?;
        if op.reply.verify_sign && !sign::verify(&r.sign, &self.l.keys, &doc.flat()) {
            return Err(ChannelError::SignatureInvalid { channel: KIND.into(), detail: format!("the {name} reply's signature does not verify") });
        }
        Ok(doc)
    }

    fn provider(&self) -> &str {
        if self.l.recipe.provider.is_empty() {
            KIND
        } else {
            &self.l.recipe.provider
        }
    }

    /// A definitive "no": the success condition is not met by a readable reply.
    fn refused(&self, reply: &ReplyRecipe, doc: &Doc) -> ChannelError {
        let code = reply.code.as_deref().or(reply.success.as_ref().map(|c| c.field.as_str())).and_then(|p| doc.get(p)).unwrap_or_default();
        let message = reply.message.as_deref().and_then(|p| doc.get(p)).unwrap_or_else(|| format!("{} refused the request", self.provider()));
        ChannelError::Rejected { channel: KIND.into(), code, message: crate::alipay::map::scrub(&message) }
    }

    fn trade_status(&self, reply: &ReplyRecipe, doc: &Doc) -> Result<TradeStatus, ChannelError> {
        let raw = reply.status.as_deref().and_then(|p| doc.get(p)).unwrap_or_default();
        let state = match reply.status_map.get(&raw).map(String::as_str) {
            Some("paid") => TradeState::Paid,
            Some("waiting") => TradeState::Waiting,
            Some("closed") => TradeState::Closed,
            Some("refunded") => TradeState::Refunded,
            Some("not_found") => TradeState::NotFound,
            Some("failed") => TradeState::Failed { code: raw.clone(), message: reply.message.as_deref().and_then(|p| doc.get(p)).unwrap_or_else(|| "payment failed".into()) },
            _ => TradeState::Unknown { raw: raw.clone() },
        };
        let amount = match reply.amount.as_deref().and_then(|p| doc.get(p)) {
            None => None,
            Some(a) => Some(parse_amount(&a, self.l.recipe.amount_format).ok_or_else(|| protocol(format!("amount {a:?} is not an amount")))?),
        };
        Ok(TradeStatus { state, channel_trade_no: reply.trade_no.as_deref().and_then(|p| doc.get(p)).filter(|t| !t.is_empty()), amount, paid_at: None, raw_status: raw })
    }

    fn refund_result(&self, reply: &ReplyRecipe, doc: &Doc) -> RefundResult {
        let raw = reply.status.as_deref().and_then(|p| doc.get(p));
        let state = match raw.as_ref().and_then(|r| reply.status_map.get(r)).map(String::as_str) {
            Some("success") => RefundState::Success,
            Some("failed") => RefundState::Failed { code: raw.clone().unwrap_or_default(), message: "refund failed".into() },
            Some("not_found") => RefundState::NotFound,
            // No status field: meeting the success condition is the answer.
            None if reply.status.is_none() => RefundState::Success,
            _ => RefundState::Processing,
        };
        RefundResult { state, channel_refund_no: reply.trade_no.as_deref().and_then(|p| doc.get(p)).filter(|t| !t.is_empty()) }
    }

    fn op<'a>(&self, op: &'a Option<Op>, flow: &'static str) -> Result<&'a Op, ChannelError> {
        op.as_ref().ok_or(ChannelError::Unsupported { channel: KIND.into(), flow })
    }

    fn refund_vals(&self, req: &RefundRequest) -> BTreeMap<String, String> {
        let mut v = self.vals(&req.order);
        v.insert("refund_no".into(), req.refund_no.to_string());
        v.insert("refund_amount".into(), format_amount(req.amount, self.l.recipe.amount_format));
        v.insert("reason".into(), req.reason.clone().unwrap_or_default());
        v.insert("notify_url".into(), req.notify_url.clone().unwrap_or_else(|| NO_CALLBACK_URL.into()));
        v
    }
}

#[async_trait]
impl Channel for Template {
    fn kind(&self) -> &str {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        let r = &self.l.recipe;
        Capabilities {
            methods: r.methods.clone(),
            qr: r.create.is_some(),
            barcode: r.barcode.is_some(),
            close: r.close.is_some(),
            cancel: false,
            revoke_qr: false,
            refund: r.refund.is_some(),
            partial_refund: r.refund.is_some(),
            refund_query: r.refund_query.is_some(),
            statement: false,
            callbacks: r.callback.is_some(),
        }
    }

    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        let op = self.op(&self.l.recipe.create, "QR orders")?;
        let mut v = self.vals(&req.order);
        v.insert("subject".into(), req.subject.clone());
        v.insert("notify_url".into(), req.notify_url.clone().unwrap_or_else(|| NO_CALLBACK_URL.into()));
        v.insert("method".into(), self.method_value(req.method));
        v.insert("expires_at".into(), req.expires_at.timestamp().to_string());
        let doc = self.call("create", op, &v).await?;
        if holds(&op.reply.success, &doc) == Some(false) {
            return Err(self.refused(&op.reply, &doc));
        }
        let qr = op.reply.qr_code.as_deref().and_then(|p| doc.get(p)).filter(|q| !q.is_empty()).ok_or_else(|| protocol("the create reply has no QR code"))?;
        Ok(QrCreated { qr_code: qr, channel_trade_no: op.reply.trade_no.as_deref().and_then(|p| doc.get(p)).filter(|t| !t.is_empty()) })
    }

    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        let op = self.op(&self.l.recipe.barcode, "barcode payments")?;
        let mut v = self.vals(&req.order);
        let method = Method::from_auth_code(&req.auth_code).filter(|m| self.l.recipe.methods.contains(m)).unwrap_or(self.l.recipe.methods[0]);
        v.insert("subject".into(), req.subject.clone());
        v.insert("notify_url".into(), req.notify_url.clone().unwrap_or_else(|| NO_CALLBACK_URL.into()));
        v.insert("method".into(), self.method_value(method));
        v.insert("auth_code".into(), req.auth_code.clone());
        let doc = self.call("barcode", op, &v).await?;
        if holds(&op.reply.success, &doc) == Some(false) {
            return Err(self.refused(&op.reply, &doc));
        }
        if op.reply.status.is_none() {
            // Accepted; the payment is confirmed by query.
            return Ok(TradeStatus::new(TradeState::Waiting, "accepted"));
        }
        self.trade_status(&op.reply, &doc)
    }

    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        let op = &self.l.recipe.query;
        let doc = self.call("query", op, &self.vals(order)).await?;
        if holds(&op.reply.not_found, &doc) == Some(true) {
            return Ok(TradeStatus::new(TradeState::NotFound, "not found"));
        }
        if holds(&op.reply.success, &doc) == Some(false) {
            // A query that did not work says nothing about the order.
            let e = self.refused(&op.reply, &doc);
            return Err(protocol(format!("query refused: {e}")));
        }
        self.trade_status(&op.reply, &doc)
    }

    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError> {
        let Some(op) = &self.l.recipe.close else { return Ok(()) };
        let doc = self.call("close", op, &self.vals(order)).await?;
        match holds(&op.reply.success, &doc) {
            Some(false) if holds(&op.reply.not_found, &doc) != Some(true) => Err(self.refused(&op.reply, &doc)),
            _ => Ok(()),
        }
    }

    async fn cancel(&self, _order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        Err(ChannelError::Unsupported { channel: KIND.into(), flow: "cancel" })
    }

    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let op = self.op(&self.l.recipe.refund, "refunds")?;
        let doc = self.call("refund", op, &self.refund_vals(req)).await?;
        if holds(&op.reply.success, &doc) == Some(false) {
            return Err(self.refused(&op.reply, &doc));
        }
        Ok(self.refund_result(&op.reply, &doc))
    }

    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let op = self.op(&self.l.recipe.refund_query, "refund queries")?;
        let doc = self.call("refund_query", op, &self.refund_vals(req)).await?;
        if holds(&op.reply.not_found, &doc) == Some(true) {
            return Ok(RefundResult { state: RefundState::NotFound, channel_refund_no: None });
        }
        if holds(&op.reply.success, &doc) == Some(false) {
            return Err(protocol(format!("refund query refused: {}", self.refused(&op.reply, &doc))));
        }
        Ok(self.refund_result(&op.reply, &doc))
    }

    async fn statement(&self, _day: NaiveDate) -> Result<StatementFile, ChannelError> {
        Err(ChannelError::Unsupported { channel: KIND.into(), flow: "statements" })
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        let cb = self.l.recipe.callback.as_ref().ok_or(ChannelError::Unsupported { channel: KIND.into(), flow: "callbacks" })?;
        let bad_sig = |d: String| ChannelError::SignatureInvalid { channel: KIND.into(), detail: d };
        let format = match cb.format {
            Body::Form => ReplyFormat::Form,
            Body::Json => ReplyFormat::Json,
        };
        let doc = Doc::parse(&req.body, format).map_err(|e| bad_sig(format!("callback unreadable: {e}")))?;
        if cb.signed && !sign::verify(&self.l.recipe.sign, &self.l.keys, &doc.flat()) {
            return Err(bad_sig("the callback's signature does not verify".into()));
        }
        // Verified: now check it is for this account.
        let vals = self.base_vals();
        for (field, want) in &cb.check {
            let want = render(want, &vals);
            if doc.get(field).as_deref() != Some(want.as_str()) {
                return Err(ChannelError::Mismatch { channel: KIND.into(), detail: format!("callback {field} is not this account's") });
            }
        }
        let order_no: OrderNo = doc.get(&cb.order_no).unwrap_or_default().parse().map_err(|e: paydesk_core::ids::IdError| protocol(format!("callback {}: {e}", cb.order_no)))?;
        let total = doc.get(&cb.amount).and_then(|a| parse_amount(&a, self.l.recipe.amount_format)).ok_or_else(|| protocol(format!("callback {} is not an amount", cb.amount)))?;
        let raw = doc.get(&cb.status).unwrap_or_default();
        let state = match cb.status_map.get(&raw).map(String::as_str) {
            Some("paid") => TradeState::Paid,
            Some("closed") => TradeState::Closed,
            Some("refunded") => TradeState::Refunded,
            Some("waiting") => TradeState::Waiting,
            Some("failed") => TradeState::Failed { code: raw.clone(), message: "payment failed".into() },
            _ => TradeState::Unknown { raw: raw.clone() },
        };
        let status = TradeStatus { state, channel_trade_no: cb.trade_no.as_deref().and_then(|p| doc.get(p)), amount: Some(total), paid_at: None, raw_status: raw };
        Ok(CallbackEvent::Payment { order_no, total, status })
    }

    fn callback_reply(&self, stored: bool) -> CallbackReply {
        let cb = self.l.recipe.callback.as_ref();
        let body = match (cb, stored) {
            (Some(c), true) => c.success_reply.clone(),
            (Some(c), false) => c.failure_reply.clone(),
            (None, _) => "unsupported".into(),
        };
        CallbackReply { status: if stored { 200 } else { 500 }, content_type: "text/plain", body: body.into_bytes() }
    }
}
