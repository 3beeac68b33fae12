//! QR payments with fallback. Each attempt at an account is its own order in the book:
//!
//! * created → the customer is shown this order's code; done;
//! * refused outright (e.g. a bad request) → the order fails; no other account is tried;
//! * not reached (connection failed, rate-limited, configuration broken) → nothing exists at the
//!   channel: the order fails and the next candidate gets a new order;
//! * unclear (timeout, 5xx, unreadable reply) → the channel may hold the order, but its code was
//!   never shown, so nobody can pay it: it is closed at the channel and confirmed by query — at
//!   once by the follower when the sale moved on, or right here when it is the last attempt.
//!
//! The sale (idempotency key, the cashier's ticket) always ends on the order whose code is shown.

use super::route::Ask;
use super::{order_ref, PayError, Payments, QrInput};
use crate::channel::CreateQr;
use crate::order::{EventSource, Order, OrderStatus, PayKind};
use crate::principal::Principal;
use crate::routing::Outcome;
use crate::store::OrderPatch;

impl Payments {
    /// Creates a QR order for `by` (who takes the payment, as authenticated). Each order is in
    /// the book (Pending) before its channel is called.
    pub async fn create_qr(&self, input: QrInput, by: &Principal) -> Result<Order, PayError> {
        self.check_amount(input.amount)?;
        let subject = self.subject(input.subject.as_deref())?;
        if let Some(o) = self.existing_for_key(input.idempotency_key.as_deref(), input.amount)? {
            return Ok(o);
        }
        let ask = Ask { method: input.method, kind: PayKind::Qr, amount: input.amount, account: input.account.as_deref(), channel: input.channel.as_deref(), by };
        let mut routed = self.route(&ask)?;
        let method = routed.method;
        let mut prev: Option<Order> = None;
        let mut last_err = None;
        while let Some(account) = routed.next(self) {
            let channel = self.channel(&account.name)?;
            let new = self.attempt_order(PayKind::Qr, method, &account, input.amount, &subject, (input.operator.as_deref(), by), input.idempotency_key.as_deref(), None, self.timing.qr_lifetime)?;
            // An unclear previous attempt is closed by the follower at once: it was never shown.
            let expire_prev = prev.as_ref().filter(|p| !p.status.is_final()).map(|_| self.now());
            let order = self.write_attempt(&mut routed.decision, prev.as_ref().map(|p| (&p.order_no, expire_prev)), new)?;
            let req = CreateQr { order: order_ref(&order), method, subject: subject.clone(), notify_url: self.notify_url(&account.name), expires_at: order.expires_at };
            let e = match channel.create_qr(&req).await {
                Ok(created) => {
                    let patch = OrderPatch { qr_code: Some(created.qr_code), channel_trade_no: created.channel_trade_no, ..Default::default() };
                    let o = self.apply(&order.order_no, OrderStatus::Processing, EventSource::ChannelReply, crate::order::EventNote::coded("qr_issued", &[], "QR code issued"), patch)?;
                    self.set_outcome(&mut routed.decision, Outcome::Accepted);
                    return Ok(o);
                }
                Err(e) => e,
            };
            let (code, message) = (e.code().to_string(), e.to_string());
            let not_reached = matches!(e, crate::ChannelError::Unreachable { .. } | crate::ChannelError::Config(_)) || e.is_rate_limited();
            if not_reached || !e.outcome_unknown() {
                let patch = OrderPatch { failure: Some((code.clone(), message.clone())), ..Default::default() };
                let detail = if not_reached { format!("not reached, nothing created: {e}") } else { format!("QR order refused: {e}") };
                let o = self.apply(&order.order_no, OrderStatus::Failed, EventSource::ChannelReply, &detail, patch)?;
                if !not_reached {
                    self.set_outcome(&mut routed.decision, Outcome::Refused { code, message });
                    return Ok(o);
                }
                self.set_outcome(&mut routed.decision, Outcome::NotReached { code, message });
                prev = Some(o);
            } else {
                self.store.add_event(&order.order_no, EventSource::ChannelReply, format!("QR creation result unknown: {e}"), self.now())?;
                self.set_outcome(&mut routed.decision, Outcome::Abandoned { code, message });
                prev = Some(order);
                last_err = Some(e);
            }
        }
        // Every attempt failed (or none could be made).
        match prev {
            // The last one is unclear: close it here, as a single attempt always was. If even that
            // fails, the creation error stands; the follower closes the order later.
            Some(last) if !last.status.is_final() => match self.close(&last.order_no, EventSource::Recovery, &Principal::System).await {
                Ok(o) => Ok(o),
                Err(e) => Err(last_err.map_or(e, PayError::Channel)),
            },
            Some(last) => Ok(self.store.order(&last.order_no)?),
            None => Err(routed.exhausted()),
        }
    }
}
