//! The `unionpay` channel: UnionPay Cloud QuickPass (云闪付) over ACP 5.1.0 with `signMethod=01`
//! (protocols.md §4). Merchant-presented QR (`01/07`), payer-presented codes (`01/06`, the reply
//! is acceptance only: confirmed by query), query (`00/00`, by `orderId` + `txnTime` of the
//! original), same-day revoke (`31/00`), refund (`04/00`), reversal of an unknown barcode payment
//! (`99/01`), the daily statement (`76/01`) and signed background notifications.
//!
//! Files: [`config`] (account params, PFX or PEM keys), [`cert`] (certId, chain/CN/date checks),
//! [`sign`] (SHA-256-hex-then-RSA), [`wire`] (codes, brace-aware reply parser), [`client`]
//! (requests, verified replies), [`map`] (codes → our states), [`notify`] (callbacks), [`bill`]
//! (statement files).
//!
//! Deterministic ids, so a retry reuses them: every ACP transaction is identified by `orderId` +
//! `txnTime`. A payment's are our order number and its creation time (Beijing); a refund's our
//! refund number and its creation time; a revoke's `{order}C` and the time of its first attempt.

mod bill_fetch;
pub mod bill;
pub mod cert;
pub mod client;
pub mod config;
pub mod funds;
pub mod map;
pub mod notify;
pub mod sign;
mod voids;
pub mod wire;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use paydesk_core::channel::*;
use paydesk_core::{AccountConfig, Method};

use crate::env::ChannelEnv;
use crate::http::Http;
use map::Code;
use voids::{Void, Voids};
use wire::{get, Fields, Txn};

pub use config::Settings;

pub const KIND: &str = "unionpay";

/// Sent as `backUrl` when Paydesk has no public callback URL (polling-only mode): ACP requires the
/// field; this host never resolves (RFC 6761), so such orders are followed by polling.
pub const NO_CALLBACK_URL: &str = "https://paydesk-polling-only.invalid/unionpay/notify";

#[derive(Debug)]
pub struct UnionPay {
    s: Settings,
    http: Http,
    /// Revokes/reversals made, journaled under the home (see `voids`).
    voids: Voids,
}

/// Registry entry.
pub fn build(a: &AccountConfig, env: &ChannelEnv) -> Result<Arc<dyn Channel>, ChannelError> {
    Ok(Arc::new(UnionPay::new(a, env)?))
}

impl UnionPay {
    pub fn new(a: &AccountConfig, env: &ChannelEnv) -> Result<UnionPay, ChannelError> {
        Ok(UnionPay { s: Settings::load(a, env)?, http: Http::new(KIND, env.timeout)?, voids: Voids::open(&env.home, &a.name) })
    }

    pub fn settings(&self) -> &Settings {
        &self.s
    }

    fn back_url(&self, from_core: Option<&str>) -> String {
        from_core.map(str::to_string).or_else(|| self.s.back_url.clone()).unwrap_or_else(|| NO_CALLBACK_URL.to_string())
    }

    async fn back(&self, txn: Txn, own: &[(&str, String)]) -> Result<Fields, ChannelError> {
        let f = client::request(&self.s, txn, own);
        client::call(&self.s, &self.http, txn, &format!("{}{}", self.s.gateway, wire::BACK_PATH), &f).await
    }

    /// Queries one transaction by its `orderId` + `txnTime`: `None` when UnionPay has no such one.
    async fn query_txn(&self, order_id: &str, txn_time: &str) -> Result<Option<Fields>, ChannelError> {
        let f = client::request(&self.s, wire::QUERY, &[("orderId", order_id.into()), ("txnTime", txn_time.into())]);
        let r = client::call(&self.s, &self.http, wire::QUERY, &format!("{}{}", self.s.gateway, wire::QUERY_PATH), &f).await?;
        match map::resp(&r) {
            Code::Success => {}
            Code::NotFound => return Ok(None),
            _ => return Err(map::error_of(&self.s.account, "query", &r)),
        }
        if let Some(id) = get(&r, "orderId") {
            if id != order_id {
                return Err(map::mismatch(format!("query for {order_id} answered for {id}")));
            }
        }
        Ok(Some(r))
    }

    /// The original payment as UnionPay reports it (without our own revokes).
    async fn query_payment(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        match self.query_txn(order.order_no.as_str(), &map::txn_time(order.created_at)).await? {
            None => Ok(TradeStatus::new(TradeState::NotFound, "respCode 34")),
            Some(r) => map::payment_status(&r, order.created_at),
        }
    }

    fn void_of(&self, order: &OrderRef) -> Option<Void> {
        self.voids.get(order.order_no.as_str())
    }

    fn set_void(&self, order: &OrderRef, v: Void) {
        self.voids.set(order.order_no.as_str(), v);
    }

    /// Same-day revoke (`31/00`) of a paid order: its own `orderId` `{order}C`; a retry first asks
    /// whether the earlier revoke went through.
    async fn revoke(&self, order: &OrderRef, paid: &TradeStatus) -> Result<CancelOutcome, ChannelError> {
        let (order_id, txn_time) = match self.void_of(order) {
            Some(Void::Revoke { order_id, txn_time }) => match self.query_txn(&order_id, &txn_time).await? {
                Some(r) => return revoke_result(&r),
                None => (order_id, txn_time),
            },
            _ => (format!("{}C", order.order_no), map::txn_time(Utc::now())),
        };
        let orig = paid.channel_trade_no.clone().or_else(|| order.channel_trade_no.clone()).ok_or_else(|| map::protocol("the paid order has no queryId to revoke"))?;
        self.set_void(order, Void::Revoke { order_id: order_id.clone(), txn_time: txn_time.clone() });
        let own = [
            ("orderId", order_id.clone()),
            ("txnTime", txn_time.clone()),
            ("txnAmt", order.amount.fen().to_string()),
            ("currencyCode", wire::CURRENCY_CNY.to_string()),
            ("origQryId", orig),
            ("backUrl", self.back_url(None)),
            ("reqReserved", order.order_no.to_string()),
        ];
        let r = self.back(wire::CANCEL, &own).await?;
        match map::resp(&r) {
            Code::Success | Code::Duplicate => match self.query_txn(&order_id, &txn_time).await? {
                Some(q) => revoke_result(&q),
                None => Err(map::unavailable("05", "revoke accepted, not yet visible")),
            },
            _ => Err(map::error_of(&self.s.account, "revoke", &r)),
        }
    }

    /// Reversal (`99/01`) of a barcode payment whose outcome we do not know.
    async fn reverse(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        let own = [("orderId", order.order_no.to_string()), ("txnTime", map::txn_time(order.created_at))];
        let r = self.back(wire::REVERSAL, &own).await?;
        match map::resp(&r) {
            Code::Success | Code::Partial | Code::Duplicate => {
                self.set_void(order, Void::Reversed);
                Ok(CancelOutcome::Closed)
            }
            // Nothing reached UnionPay: nothing to reverse, nothing was charged.
            Code::NotFound => Ok(CancelOutcome::Closed),
            _ => Err(map::error_of(&self.s.account, "reversal", &r)),
        }
    }

    fn refund_fields(&self, req: &RefundRequest, orig_qry_id: String) -> Vec<(&'static str, String)> {
        vec![
            ("orderId", req.refund_no.to_string()),
            ("txnTime", map::txn_time(req.created_at)),
            ("txnAmt", req.amount.fen().to_string()),
            ("currencyCode", wire::CURRENCY_CNY.to_string()),
            ("origQryId", orig_qry_id),
            ("backUrl", self.back_url(req.notify_url.as_deref())),
            // Echoed in the refund's notification: it names the refund's order.
            ("reqReserved", req.order.order_no.to_string()),
        ]
    }
}

fn revoke_result(r: &Fields) -> Result<CancelOutcome, ChannelError> {
    match map::refund_status(r).state {
        RefundState::Success => Ok(CancelOutcome::Refunded),
        RefundState::Failed { code, message } => Err(map::rejected(&code, &message)),
        RefundState::Processing | RefundState::NotFound => Err(map::unavailable("05", "revoke still processing")),
    }
}

#[async_trait]
impl Channel for UnionPay {
    fn kind(&self) -> &str {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        // ACP has no close for a QR order: `payTimeout` ends it.
        Capabilities { close: false, ..Capabilities::full(vec![Method::Unionpay]) }
    }

    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        let o = &req.order;
        let own = [
            ("orderId", o.order_no.to_string()),
            ("txnTime", map::txn_time(o.created_at)),
            ("txnAmt", o.amount.fen().to_string()),
            ("currencyCode", wire::CURRENCY_CNY.to_string()),
            ("backUrl", self.back_url(req.notify_url.as_deref())),
            ("payTimeout", map::txn_time(req.expires_at)),
        ];
        let r = self.back(wire::APPLY_QR, &own).await?;
        match map::resp(&r) {
            Code::Success => {}
            _ => return Err(map::error_of(&self.s.account, "apply QR", &r)),
        }
        let qr = get(&r, "qrCode").ok_or_else(|| map::protocol("the QR reply has no qrCode"))?;
        Ok(QrCreated { qr_code: qr.to_string(), channel_trade_no: None })
    }

    /// `01/06`: the reply only says UnionPay accepted the code, so the payment is confirmed by
    /// query at once (and, while the payer confirms, by the core's polling).
    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        let o = &req.order;
        let own = [
            ("orderId", o.order_no.to_string()),
            ("txnTime", map::txn_time(o.created_at)),
            ("txnAmt", o.amount.fen().to_string()),
            ("currencyCode", wire::CURRENCY_CNY.to_string()),
            ("qrNo", req.auth_code.clone()),
            ("backUrl", self.back_url(req.notify_url.as_deref())),
        ];
        let r = self.back(wire::BARCODE, &own).await?;
        match map::resp(&r) {
            Code::Success | Code::Partial => match self.query_payment(o).await {
                Ok(st) if st.state == TradeState::NotFound => Ok(TradeStatus::new(TradeState::Waiting, "accepted")),
                Ok(st) => Ok(st),
                Err(e) => {
                    tracing::info!(order = %o.order_no, "unionpay barcode accepted; query failed: {e}");
                    Ok(TradeStatus::new(TradeState::Waiting, "accepted"))
                }
            },
            // Processing, or sent before: the outcome is unknown, the core queries.
            Code::Pending | Code::Duplicate => Err(map::unavailable(get(&r, "respCode").unwrap_or(""), get(&r, "respMsg").unwrap_or(""))),
            Code::Refused(code, message) => Ok(TradeStatus::new(TradeState::Failed { code: code.clone(), message }, format!("respCode {code}"))),
            Code::NotFound | Code::BadSignature | Code::Missing => Err(map::error_of(&self.s.account, "barcode", &r)),
        }
    }

    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        let st = self.query_payment(order).await?;
        if st.state != TradeState::Paid {
            return Ok(st);
        }
        // The consumption itself succeeded; did we revoke or reverse it since?
        match self.void_of(order) {
            Some(Void::Reversed) => Ok(TradeStatus { state: TradeState::Closed, raw_status: "reversed (99)".into(), ..st }),
            Some(Void::Revoke { order_id, txn_time }) => match self.query_txn(&order_id, &txn_time).await {
                Ok(Some(r)) if map::refund_status(&r).state == RefundState::Success => Ok(TradeStatus { state: TradeState::Closed, raw_status: "revoked (31)".into(), ..st }),
                _ => Ok(st),
            },
            None => Ok(st),
        }
    }

    /// ACP has no close for QR orders: the QR stops working at `payTimeout`. Nothing to call.
    async fn close(&self, _order: &OrderRef) -> Result<(), ChannelError> {
        Ok(())
    }

    /// Revokes (`31`) a paid payment the same day; reverses (`99`) one whose outcome is unknown.
    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        let st = self.query_payment(order).await?;
        let paid = matches!(st.state, TradeState::Paid | TradeState::Refunded);
        match self.void_of(order) {
            // Revoked before (or tried): that revoke's own query decides; it is resent only if
            // UnionPay never got it.
            Some(Void::Revoke { .. }) => self.revoke(order, &st).await,
            Some(Void::Reversed) => Ok(if paid { CancelOutcome::Refunded } else { CancelOutcome::Closed }),
            None if paid => self.revoke(order, &st).await,
            None => match st.state {
                TradeState::Closed | TradeState::Failed { .. } => Ok(CancelOutcome::Closed),
                _ => self.reverse(order).await,
            },
        }
    }

    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let orig = match req.order.channel_trade_no.clone() {
            Some(q) => q,
            None => self.query_payment(&req.order).await?.channel_trade_no.ok_or_else(|| map::rejected("34", "the order has no UnionPay queryId to refund"))?,
        };
        let r = self.back(wire::REFUND, &self.refund_fields(req, orig)).await?;
        match map::resp(&r) {
            // Accepted (or sent before): the refund's own query says where it is.
            Code::Success | Code::Partial | Code::Duplicate => match self.refund_query(req).await? {
                RefundResult { state: RefundState::NotFound, .. } => Ok(RefundResult { state: RefundState::Processing, channel_refund_no: get(&r, "queryId").map(str::to_string) }),
                res => Ok(res),
            },
            _ => Err(map::error_of(&self.s.account, "refund", &r)),
        }
    }

    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        let Some(r) = self.query_txn(req.refund_no.as_str(), &map::txn_time(req.created_at)).await? else {
            return Ok(RefundResult { state: RefundState::NotFound, channel_refund_no: None });
        };
        if let Some(a) = map::amount(get(&r, "txnAmt"))? {
            if a != req.amount {
                return Err(map::mismatch(format!("refund {} is {} yuan at UnionPay, {} in the book", req.refund_no, a, req.amount)));
            }
        }
        Ok(map::refund_status(&r))
    }

    /// Downloads the day's statement (`76/01`, `fileType=00`): the ZIP of settlement files.
    /// Parse its `INN…ZM_…` entry with [`bill::parse_statement`].
    async fn statement(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        bill_fetch::download(self, day).await
    }

    /// The same file download: its settlement (清算) fields are the fund flow. Parse it with
    /// [`funds::parse`].
    async fn fund_flow(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        bill_fetch::download(self, day).await
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        notify::parse_callback(&self.s, req)
    }

    /// UnionPay only needs HTTP 200 (the body is ignored); anything else makes it send again.
    fn callback_reply(&self, stored: bool) -> CallbackReply {
        if stored {
            CallbackReply { status: 200, content_type: "text/plain", body: b"ok".to_vec() }
        } else {
            CallbackReply { status: 500, content_type: "text/plain", body: b"not stored".to_vec() }
        }
    }
}
