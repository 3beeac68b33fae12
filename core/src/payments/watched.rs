//! A channel wrapped so that every call's outcome feeds its account's health: payments, queries,
//! closes, cancels, refunds and statement downloads, whoever makes them (till, follower,
//! recovery, reconciliation). The calls themselves pass through unchanged.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::channel::{
    BarcodePay, CallbackEvent, CallbackReply, CallbackRequest, CancelOutcome, Capabilities, Channel, ChannelError, CreateQr, OrderRef, QrCreated, RefundRequest, RefundResult,
    StatementFile, TradeStatus,
};
use crate::routing::{CallOutcome, Router};

pub(super) struct Watched {
    inner: Arc<dyn Channel>,
    account: String,
    router: Arc<Router>,
}

impl Watched {
    pub(super) fn new(inner: Arc<dyn Channel>, account: &str, router: Arc<Router>) -> Watched {
        Watched { inner, account: account.to_string(), router }
    }

    fn note<T>(&self, r: Result<T, ChannelError>) -> Result<T, ChannelError> {
        let outcome = CallOutcome::of(&r);
        let error = r.as_ref().err().filter(|_| matches!(outcome, CallOutcome::Failed(_))).map(|e| format!("{}: {e}", e.code()));
        self.router.record(&self.account, outcome, error);
        r
    }
}

#[async_trait]
impl Channel for Watched {
    fn kind(&self) -> &str {
        self.inner.kind()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        self.note(self.inner.create_qr(req).await)
    }
    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        self.note(self.inner.barcode_pay(req).await)
    }
    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        self.note(self.inner.query(order).await)
    }
    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError> {
        self.note(self.inner.close(order).await)
    }
    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        self.note(self.inner.cancel(order).await)
    }
    async fn refund(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        self.note(self.inner.refund(req).await)
    }
    async fn refund_query(&self, req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        self.note(self.inner.refund_query(req).await)
    }
    async fn statement(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        self.note(self.inner.statement(day).await)
    }
    async fn fund_flow(&self, day: NaiveDate) -> Result<StatementFile, ChannelError> {
        self.note(self.inner.fund_flow(day).await)
    }
    async fn prepare_callback(&self, req: &CallbackRequest) {
        self.inner.prepare_callback(req).await
    }
    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        self.inner.parse_callback(req)
    }
    fn callback_reply(&self, stored: bool) -> CallbackReply {
        self.inner.callback_reply(stored)
    }
}
