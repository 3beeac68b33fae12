//! The owner's same-day revoke (撤销): the whole payment undone at the channel — Alipay's
//! `alipay.trade.cancel`, WeChat Pay's reverse, UnionPay's `31` 消费撤销 — so the shop pays no fee
//! and nothing is settled for it. It is written to the book first as a refund of kind `revoke`
//! for the whole amount, then the channel's cancel is called. An unclear answer is followed by
//! querying the *order* (a revoked trade reports closed) and, while the channel still reports it
//! paid, by calling the same cancel again (every channel's cancel is idempotent per order) — never
//! by a refund query, which would find no refund of that number and resend it as a second one.

use chrono::{DateTime, NaiveDate, Utc};

use super::{order_ref, PayError, Payments, RefundRequestInput};
use crate::channel::{CancelOutcome, Channel, RefundResult, RefundState, TradeState};
use crate::ids::OrderNo;
use crate::order::{EventNote, EventSource, Order, OrderStatus, PayKind, Refund, RefundKind};
use crate::principal::Principal;

/// How a revoke was confirmed, for the order's history.
pub(super) enum Confirmed<'a> {
    /// The cancel's answer: the payer's money was returned.
    Returned,
    /// The cancel's answer: the trade was closed (nothing kept).
    Closed,
    /// A query found the trade closed (its raw status).
    Queried(&'a str),
}

/// The owner's request to revoke a payment.
#[derive(Debug, Clone)]
pub struct RevokeInput {
    pub order_no: OrderNo,
    pub reason: Option<String>,
    pub operator: Option<String>,
}

/// The channels' business day (Beijing time): a revoke is only possible on the payment's own.
fn channel_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

impl Payments {
    /// Revokes a payment made today, for `by` (who asks, as authenticated).
    pub async fn revoke(&self, input: RevokeInput, by: &Principal) -> Result<Refund, PayError> {
        self.revoke_with_key(input, None, by).await
    }

    /// A revoke a client may safely retry: the same `key` returns the same revoke.
    pub async fn revoke_with_key(&self, input: RevokeInput, key: Option<String>, by: &Principal) -> Result<Refund, PayError> {
        // The whole payment, as the book holds it (an unknown order is refused by the audited path).
        let amount = match self.store.order(&input.order_no) {
            Ok(o) => o.amount,
            Err(_) => crate::money::Money::ZERO,
        };
        let req = RefundRequestInput { order_no: input.order_no, amount, reason: input.reason, operator: input.operator };
        self.money_back(req, RefundKind::Revoke, key, by).await
    }

    /// Why `order` cannot be revoked now, if it cannot (nothing is written then).
    pub(super) fn check_revoke(&self, order: &Order) -> Result<(), PayError> {
        if order.kind == PayKind::Tender {
            return Err(PayError::Invalid { field: "order", message: format!("{} was paid in {}, not at a payment channel: refund it instead", order.order_no, order.method) });
        }
        if order.status != OrderStatus::Success {
            return Err(PayError::Conflict(format!("order {} is {}: only a paid payment can be revoked", order.order_no, order.status)));
        }
        let paid = order.paid_at.unwrap_or(order.created_at);
        if channel_day(paid) != channel_day(self.now()) {
            return Err(PayError::Invalid {
                field: "order",
                message: format!("{} was paid on {}: a revoke is only possible on the day of the payment (Beijing time); refund it instead", order.order_no, channel_day(paid)),
            });
        }
        Ok(())
    }

    /// Sends the revoke of a payment whose revoke is in the book and applies the answer; an
    /// unclear one is checked at once by querying the order.
    pub(super) async fn send_revoke(&self, order: &Order, revoke: &Refund, channel: &dyn Channel) -> Result<Refund, PayError> {
        let r = self.cancel_for_revoke(order, revoke, channel, EventSource::ChannelReply).await?;
        if r.status.is_final() {
            return Ok(r);
        }
        self.follow_revoke(order, &r, channel, EventSource::Poll).await
    }

    /// Settles a revoke in flight: the order's own state at the channel decides; while it still
    /// reports the payment kept, the (idempotent) cancel is sent again.
    pub(super) async fn follow_revoke(&self, order: &Order, revoke: &Refund, channel: &dyn Channel, source: EventSource) -> Result<Refund, PayError> {
        let no = &revoke.refund_no;
        match channel.query(&order_ref(order)).await {
            Ok(st) if st.state == TradeState::Closed => self.revoke_done(revoke, Confirmed::Queried(&st.raw_status), source),
            Ok(st) if matches!(st.state, TradeState::Paid | TradeState::Refunded) => {
                let args = [("refund_no", no.as_str()), ("raw", st.raw_status.as_str())];
                let note = EventNote::coded("revoke_resent", &args, format!("revoke {no}: the channel still reports the payment ({}); sending the revoke again", st.raw_status));
                self.store.add_event(&order.order_no, source, note, self.now())?;
                self.cancel_for_revoke(order, revoke, channel, source).await
            }
            Ok(st) => {
                self.store.add_event(&order.order_no, source, format!("revoke {no}: the channel reports the trade {}; checking again later", st.raw_status), self.now())?;
                Ok(self.store.refund(no)?)
            }
            Err(e) => {
                self.store.add_event(&order.order_no, source, format!("revoke {no}: query failed: {e}"), self.now())?;
                Ok(self.store.refund(no)?)
            }
        }
    }

    async fn cancel_for_revoke(&self, order: &Order, revoke: &Refund, channel: &dyn Channel, source: EventSource) -> Result<Refund, PayError> {
        let no = &revoke.refund_no;
        match channel.cancel(&order_ref(order)).await {
            Ok(CancelOutcome::Refunded) => self.revoke_done(revoke, Confirmed::Returned, source),
            // The channel closed a trade it says was never paid: nothing is kept either way.
            Ok(CancelOutcome::Closed) => self.revoke_done(revoke, Confirmed::Closed, source),
            Err(e) if !e.outcome_unknown() => {
                let res = RefundResult { state: RefundState::Failed { code: e.code().into(), message: e.to_string() }, channel_refund_no: None };
                self.apply_refund_result(no, &res, source)
            }
            Err(e) => {
                let note = EventNote::coded("revoke_unknown", &[("refund_no", no.as_str())], format!("revoke {no} result unknown: {e}; the order is queried until it is settled"));
                self.store.add_event(&order.order_no, source, note, self.now())?;
                let res = RefundResult { state: RefundState::Processing, channel_refund_no: None };
                self.apply_refund_result(no, &res, source)
            }
        }
    }

    pub(super) fn revoke_done(&self, revoke: &Refund, how: Confirmed<'_>, source: EventSource) -> Result<Refund, PayError> {
        let no = revoke.refund_no.as_str();
        let note = match how {
            Confirmed::Returned => EventNote::coded("revoke_returned", &[("refund_no", no)], format!("revoke {no}: the channel returned the payer's money")),
            Confirmed::Closed => EventNote::coded("revoke_closed", &[("refund_no", no)], format!("revoke {no}: the channel closed the trade")),
            Confirmed::Queried(raw) => EventNote::coded("revoke_queried", &[("refund_no", no), ("raw", raw)], format!("revoke {no}: the channel reports the trade closed ({raw})")),
        };
        self.store.add_event(&revoke.order_no, source, note, self.now())?;
        let res = RefundResult { state: RefundState::Success, channel_refund_no: None };
        self.apply_refund_result(&revoke.refund_no, &res, source)
    }
}
