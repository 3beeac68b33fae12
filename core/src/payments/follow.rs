//! Following an order to a final state: query, apply, close, and cancel what cannot be confirmed.

use std::time::Duration;

use super::{order_ref, patch_of, PayError, Payments};
use crate::channel::{CancelOutcome, Channel, TradeState, TradeStatus};
use crate::ids::OrderNo;
use crate::order::{EventNote, EventSource, Order, OrderStatus};
use crate::principal::Principal;
use crate::store::{OrderPatch, StoreError};

impl Payments {
    /// Applies what the channel reports about an order. Amount disagreements are never booked as
    /// paid; states the book cannot take (e.g. "closed" for a paid order) are recorded as events.
    pub async fn apply_trade(&self, order: &Order, st: &TradeStatus, source: EventSource) -> Result<Order, PayError> {
        let no = &order.order_no;
        if let Some(amount) = st.amount {
            if amount != order.amount && matches!(st.state, TradeState::Paid | TradeState::Refunded) {
                let detail = format!("channel reports {} yuan but the order is {} yuan: not booked", amount, order.amount);
                self.store.add_event(no, source, &detail, self.now())?;
                tracing::error!(order = %no, "{detail}");
                return Err(PayError::Conflict(detail));
            }
        }
        let raw = st.raw_status.as_str();
        if st.state == TradeState::Closed && order.status == OrderStatus::Success {
            // A revoke of ours in flight: the closed trade is its outcome.
            let open = self.store.refunds_of(no)?.into_iter().find(|r| r.kind == crate::order::RefundKind::Revoke && !r.status.is_final());
            if let Some(r) = open {
                self.revoke_done(&r, super::revoke::Confirmed::Queried(raw), source)?;
                return Ok(self.store.order(no)?);
            }
        }
        let target = match &st.state {
            TradeState::Paid => Some((OrderStatus::Success, EventNote::coded("paid", &[("raw", raw)], format!("paid ({raw})")))),
            TradeState::Refunded if !order.status.is_final() || matches!(order.status, OrderStatus::Closed | OrderStatus::Failed) => {
                Some((OrderStatus::Success, EventNote::coded("paid_refunds_reported", &[("raw", raw)], format!("paid, refunds reported by channel ({raw})"))))
            }
            // A trade refunded in full is closed at the channel (Alipay; a revoke everywhere).
            TradeState::Closed if order.status == OrderStatus::Refunded => None,
            TradeState::Closed => Some((OrderStatus::Closed, EventNote::coded("closed_at_channel", &[("raw", raw)], format!("closed at channel ({raw})")))),
            TradeState::Failed { code, message } => Some((OrderStatus::Failed, EventNote::coded("failed", &[("message", message), ("code", code)], format!("failed: {message} ({code})")))),
            TradeState::Waiting if order.status == OrderStatus::Pending => Some((OrderStatus::Processing, EventNote::coded("waiting", &[("raw", raw)], format!("waiting for payer ({raw})")))),
            TradeState::Waiting | TradeState::NotFound | TradeState::Refunded => None,
            TradeState::Unknown { raw } => {
                self.store.add_event(no, source, format!("channel status {raw:?} not understood; still checking"), self.now())?;
                None
            }
        };
        let Some((to, detail)) = target else { return Ok(self.store.order(no)?) };
        let mut patch = patch_of(st);
        if let TradeState::Failed { code, message } = &st.state {
            patch.failure = Some((code.clone(), message.clone()));
        }
        if to == OrderStatus::Success && patch.paid_at.is_none() {
            patch.paid_at = Some(self.now());
        }
        match self.apply(no, to, source, detail.clone(), patch) {
            Err(PayError::Store(StoreError::Illegal(e))) => {
                // E.g. the channel says closed while we hold it paid: keep the book, record the claim.
                let note = format!("channel says {} but the book holds {}: {}", e.to, e.from, detail.text);
                self.store.add_event(no, source, &note, self.now())?;
                tracing::warn!(order = %no, "{note}");
                Ok(self.store.order(no)?)
            }
            other => other,
        }
    }

    /// Asks the channel about an order and applies the answer; refunds of the order still in
    /// flight are asked about too (on a home where no service runs, nothing else would settle
    /// them: no callback arrives, no follower polls).
    pub async fn query(&self, no: &OrderNo, source: EventSource) -> Result<Order, PayError> {
        let order = self.store.order(no)?;
        if order.kind == crate::order::PayKind::Tender {
            return Err(PayError::Invalid { field: "order", message: format!("{no} was paid by {} at the till; no channel holds it", order.method) });
        }
        let channel = self.channel(&order.account)?;
        let st = channel.query(&order_ref(&order)).await?;
        let order = self.apply_trade(&order, &st, source).await?;
        let open: Vec<_> = self.store.refunds_of(no)?.into_iter().filter(|r| !r.status.is_final()).collect();
        if open.is_empty() {
            return Ok(order);
        }
        for r in open {
            if let Err(e) = self.follow_refund(&r.refund_no, source).await {
                tracing::warn!(refund = %r.refund_no, "refund not settled: {e}");
            }
        }
        Ok(self.store.order(no)?)
    }

    /// Closes an unpaid order at the channel, then confirms by query. A payment that lands during
    /// the close ends as `Success`, never `Closed`. `by` is who asked (recorded with the close;
    /// [`Principal::System`] for expiry and recovery).
    pub async fn close(&self, no: &OrderNo, source: EventSource, by: &Principal) -> Result<Order, PayError> {
        let order = self.store.order(no)?;
        if order.status.is_final() {
            return Ok(order);
        }
        if *by != Principal::System {
            self.store.add_event(no, source, EventNote::coded("close_requested", &[("by", &by.to_string())], format!("close requested by {by}")).by(by), self.now())?;
        }
        let channel = self.channel(&order.account)?;
        let r = order_ref(&order);
        if let Err(e) = channel.close(&r).await {
            self.store.add_event(no, source, format!("close at channel failed: {e}"), self.now())?;
        }
        // Whatever the close said, the query decides.
        let st = match channel.query(&r).await {
            Ok(st) => st,
            Err(e) => {
                self.store.add_event(no, source, format!("query after close failed: {e}; will retry"), self.now())?;
                return Err(e.into());
            }
        };
        match st.state {
            TradeState::Paid | TradeState::Refunded | TradeState::Failed { .. } | TradeState::Closed => self.apply_trade(&order, &st, source).await,
            TradeState::NotFound => self.apply(no, OrderStatus::Closed, source, EventNote::coded("closed_no_trade", &[], "closed (the channel holds no such trade)").by(by), OrderPatch::default()),
            TradeState::Waiting | TradeState::Unknown { .. } => {
                self.store.add_event(no, source, format!("channel still reports {} after close; will retry", st.raw_status), self.now())?;
                Ok(self.store.order(no)?)
            }
        }
    }

    /// Polls a waiting barcode payment until it is final or the wait runs out, then cancels it.
    pub(super) async fn follow_barcode(&self, order: Order, channel: &dyn Channel) -> Result<Order, PayError> {
        Ok(self.follow_barcode_with(order, channel, false).await?.0)
    }

    /// [`Payments::follow_barcode`]; with `cancel_if_absent`, a query saying the channel holds no
    /// open trade (not found, closed) cancels at once instead of waiting — for a charge whose
    /// outcome was unclear, where nobody is entering a password. Also returns what the channel's
    /// cancel reported when the order was closed by it.
    pub(super) async fn follow_barcode_with(&self, order: Order, channel: &dyn Channel, cancel_if_absent: bool) -> Result<(Order, Option<CancelOutcome>), PayError> {
        if order.status.is_final() {
            return Ok((order, None));
        }
        let no = order.order_no.clone();
        let start = tokio::time::Instant::now();
        let r = order_ref(&order);
        loop {
            self.checking(&no, "checking with the channel");
            tokio::time::sleep(self.timing.barcode_poll).await;
            match channel.query(&r).await {
                Ok(st) if cancel_if_absent && matches!(st.state, TradeState::NotFound | TradeState::Closed) => {
                    self.store.add_event(&no, EventSource::Poll, format!("the channel holds no open trade ({}); cancelling so it can never be charged", st.raw_status), self.now())?;
                    break;
                }
                Ok(st) => {
                    let o = self.apply_trade(&order, &st, EventSource::Poll).await?;
                    if o.status.is_final() {
                        return Ok((o, None));
                    }
                }
                Err(e) => {
                    self.store.add_event(&no, EventSource::Poll, format!("query failed: {e}"), self.now())?;
                }
            }
            if start.elapsed() >= self.timing.barcode_wait {
                break;
            }
        }
        self.cancel_confirmed(&no, channel, if cancel_if_absent { EventSource::Poll } else { EventSource::Timeout }).await
    }

    /// Cancels/reverses a payment we could not confirm, retrying a few times. If the cancel itself
    /// stays unclear the order stays `Processing` for recovery — it is never dropped.
    pub(crate) async fn cancel_unconfirmed(&self, no: &OrderNo, channel: &dyn Channel, source: EventSource) -> Result<Order, PayError> {
        Ok(self.cancel_confirmed(no, channel, source).await?.0)
    }

    /// [`Payments::cancel_unconfirmed`], also telling what the channel's cancel reported when the
    /// order was closed by it (`None` when it was settled otherwise or stays unclear).
    pub(crate) async fn cancel_confirmed(&self, no: &OrderNo, channel: &dyn Channel, source: EventSource) -> Result<(Order, Option<CancelOutcome>), PayError> {
        let order = self.store.order(no)?;
        if order.status.is_final() {
            return Ok((order, None));
        }
        let r = order_ref(&order);
        for attempt in 1..=self.timing.cancel_attempts {
            self.checking(no, format!("cancelling the unconfirmed payment (attempt {attempt})"));
            match channel.cancel(&r).await {
                Ok(outcome) => {
                    // A last query tells whether money moved before the cancel.
                    if let Ok(st) = channel.query(&r).await {
                        if st.state == TradeState::Paid {
                            return Ok((self.apply_trade(&order, &st, source).await?, None));
                        }
                    }
                    let detail = match outcome {
                        CancelOutcome::Closed => EventNote::coded("cancelled_unpaid", &[], "cancelled at channel: not paid"),
                        CancelOutcome::Refunded => EventNote::coded("cancelled_returned", &[], "cancelled at channel: the payer's money was returned"),
                    };
                    return Ok((self.apply(no, OrderStatus::Closed, source, detail, OrderPatch::default())?, Some(outcome)));
                }
                Err(e) => {
                    self.store.add_event(no, source, format!("cancel attempt {attempt} failed: {e}"), self.now())?;
                    if !e.outcome_unknown() {
                        // Refused outright (e.g. already paid): the channel's state decides.
                        if let Ok(st) = channel.query(&r).await {
                            let o = self.apply_trade(&order, &st, source).await?;
                            if o.status.is_final() {
                                return Ok((o, None));
                            }
                        }
                    }
                    tokio::time::sleep(self.timing.cancel_retry).await;
                }
            }
        }
        Ok((self.store.order(no)?, None))
    }

    /// Drives one open order a step: query; when expired, close (QR) or cancel (barcode).
    pub async fn follow_once(&self, no: &OrderNo, source: EventSource) -> Result<Order, PayError> {
        let order = self.store.order(no)?;
        if order.status.is_final() {
            return Ok(order);
        }
        let o = match self.query(no, source).await {
            Ok(o) => o,
            Err(e) => {
                self.store.add_event(no, source, format!("query failed: {e}"), self.now())?;
                order
            }
        };
        if o.status.is_final() || self.now() < o.expires_at {
            return Ok(o);
        }
        match o.kind {
            // Written paid: never open, never here.
            crate::order::PayKind::Tender => Ok(o),
            crate::order::PayKind::Qr => self.close(no, EventSource::Timeout, &Principal::System).await,
            crate::order::PayKind::Barcode => {
                let channel = self.channel(&o.account)?;
                self.cancel_unconfirmed(no, &*channel, EventSource::Timeout).await
            }
        }
    }

    /// Follows an order until it is final or `timeout` passes, querying every `every`.
    pub async fn wait_final(&self, no: &OrderNo, timeout: Duration, every: Duration) -> Result<Order, PayError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.subscribe();
        loop {
            let o = self.follow_once(no, EventSource::Poll).await?;
            if o.status.is_final() || tokio::time::Instant::now() >= deadline {
                return Ok(o);
            }
            // Wake early when a callback (or anything else) changes this order.
            let wake = async {
                loop {
                    match rx.recv().await {
                        Ok(super::PaymentEvent::Order(c)) if &c.order_no == no && c.status.is_final() => return,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                        _ => {}
                    }
                }
            };
            let _ = tokio::time::timeout(every.min(deadline.saturating_duration_since(tokio::time::Instant::now())), wake).await;
        }
    }
}
