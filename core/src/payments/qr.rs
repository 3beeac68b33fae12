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

use super::keyed::{key_taken, Keyed};
use super::route::{Ask, Routed};
use super::{order_ref, PayError, Payments, QrInput};
use crate::channel::CreateQr;
use crate::order::{EventSource, Method, Order, OrderStatus, PayKind};
use crate::principal::Principal;
use crate::routing::Outcome;
use crate::store::OrderPatch;

impl Payments {
    /// Creates a QR order. Each order is in the book (Pending) before its channel is called. A
    /// known idempotency key returns its sale's order (see [`super::keyed`]).
    pub async fn create_qr(&self, input: QrInput, by: &Principal) -> Result<Order, PayError> {
        self.check_amount(input.amount)?;
        super::tender::check_sale(input.sale.as_ref(), input.amount)?;
        if input.method.is_some_and(Method::is_tender) {
            return Err(super::invalid("method", "cash, card and voucher are recorded at the till, not shown as a QR code"));
        }
        let subject = self.subject(input.subject.as_deref())?;
        // The operator label is plain text (refused before anything is written).
        super::operator_label(input.operator.as_deref())?;
        let key = input.idempotency_key.as_deref();
        let mut lost = None;
        // Twice at most: a request that lost the race for its key takes the winner's order.
        for _ in 0..2 {
            let resume = match self.for_key(key, input.amount).await? {
                Keyed::Done(o) => return Ok(o),
                Keyed::Resume(o) => Some(o),
                Keyed::New => None,
            };
            match self.create_qr_from(&input, &subject, resume, by).await {
                Err(e) if key_taken(&e) => lost = Some(e),
                other => return other,
            }
        }
        Err(lost.unwrap_or_else(|| PayError::Conflict(crate::store::KEY_TAKEN.into())))
    }

    /// The attempts of a new sale; `resume` is an earlier attempt of the same sale whose code was
    /// never shown (it is abandoned: the first attempt here takes the sale over).
    async fn create_qr_from(&self, input: &QrInput, subject: &str, resume: Option<Order>, by: &Principal) -> Result<Order, PayError> {
        let operator = super::operator_label(input.operator.as_deref())?;
        let ask = Ask { method: input.method, kind: PayKind::Qr, amount: input.amount, account: input.account.as_deref(), channel: input.channel.as_deref(), by };
        let mut routed = self.route(&ask)?;
        let method = routed.method;
        let mut prev: Option<Order> = resume;
        let mut last_err = None;
        while let Some(account) = routed.next(self) {
            let channel = self.channel(&account.name)?;
            let new = self.attempt_order(PayKind::Qr, method, &account, input.amount, subject, (operator.as_deref(), by), input.idempotency_key.as_deref(), None, self.timing.qr_lifetime, input.sale.as_ref())?;
            // An unclear previous attempt is closed by the follower at once: it was never shown.
            let expire_prev = prev.as_ref().filter(|p| !p.status.is_final()).map(|_| self.now());
            let order = self.write_attempt(&mut routed.decision, prev.as_ref().map(|p| (&p.order_no, expire_prev)), new).map_err(|e| match &prev {
                Some(p) => e.after_written(p),
                None => e,
            })?;
            match self.create_attempt(&order, &mut routed, &channel, subject, &account.name).await.map_err(|e| e.after_written(&order))? {
                Attempted::Issued(o) => return Ok(o),
                Attempted::Refused(o) => return Ok(o),
                Attempted::NotReached(o) => prev = Some(o),
                Attempted::Unclear(o, e) => {
                    prev = Some(o);
                    last_err = Some(e);
                }
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

    /// One attempt's channel call and what it leaves in the book.
    async fn create_attempt(&self, order: &Order, routed: &mut Routed, channel: &std::sync::Arc<dyn crate::Channel>, subject: &str, account: &str) -> Result<Attempted, PayError> {
        let req = CreateQr { order: order_ref(order), method: routed.method, subject: subject.to_string(), notify_url: self.notify_url(account), expires_at: order.expires_at };
        let e = match channel.create_qr(&req).await {
            Ok(created) => {
                let patch = OrderPatch { qr_code: Some(created.qr_code), channel_trade_no: created.channel_trade_no, ..Default::default() };
                let o = self.apply(&order.order_no, OrderStatus::Processing, EventSource::ChannelReply, crate::order::EventNote::coded("qr_issued", &[], "QR code issued"), patch)?;
                self.set_outcome(&mut routed.decision, Outcome::Accepted);
                return Ok(Attempted::Issued(o));
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
                return Ok(Attempted::Refused(o));
            }
            self.set_outcome(&mut routed.decision, Outcome::NotReached { code, message });
            return Ok(Attempted::NotReached(o));
        }
        self.store.add_event(&order.order_no, EventSource::ChannelReply, format!("QR creation result unknown: {e}"), self.now())?;
        self.set_outcome(&mut routed.decision, Outcome::Abandoned { code, message });
        Ok(Attempted::Unclear(order.clone(), e))
    }
}

/// How one QR attempt ended.
enum Attempted {
    /// The code is issued: the sale ends here.
    Issued(Order),
    /// Refused outright: no other account is tried.
    Refused(Order),
    /// Nothing was created: the next account may try.
    NotReached(Order),
    /// The channel may hold it, but its code was never shown: it is abandoned and closed.
    Unclear(Order, crate::ChannelError),
}
