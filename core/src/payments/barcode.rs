//! Barcode payments with fallback — only when the first attempt is proven not to have charged
//! the payer. Each attempt is its own order:
//!
//! * paid / refused by the payer / waiting for the payer's password → the sale stays on this
//!   order (a payer's "no" is not the account's fault; no other account is tried);
//! * not reached (connection failed before sending, rate-limited, configuration broken) →
//!   nothing was sent or charged: the order fails and the next account is tried;
//! * unclear (timeout, 5xx, unreadable reply) → query; if the channel has no such trade (or it
//!   is closed) the trade is cancelled at once so it can never be charged later; a payer still
//!   confirming is waited for as usual, then cancelled. Only a cancel the channel confirms as
//!   "closed, nothing paid" (or a channel that holds no such trade) proves the payer uncharged
//!   and lets the next account try. Anything else — paid, refunded by the cancel, or still
//!   unclear — stays on this order, never charged twice.

use super::keyed::{key_taken, Keyed};
use super::route::Ask;
use super::{mask_auth_code, order_ref, patch_of, BarcodeInput, PayError, Payments};
use crate::channel::{BarcodePay, CancelOutcome, Channel, ChannelError, TradeState};
use crate::order::{EventSource, Method, Order, OrderStatus, PayKind};
use crate::principal::Principal;
use crate::routing::Outcome;
use crate::store::OrderPatch;

/// How an attempt ended, for the fallback decision.
enum Ended {
    /// The sale stays on this order (whatever its state).
    Stays(Order, Outcome),
    /// Nothing was charged; the next account may try.
    FallsOver(Order, Outcome),
}

impl Payments {
    /// Charges a payment code for `by` (who takes the payment, as authenticated). Returns when
    /// the order is final — or, if even the cancel could not be confirmed, still `Processing` (it
    /// stays visible and recovery keeps working on it).
    pub async fn barcode_pay(&self, input: BarcodeInput, by: &Principal) -> Result<Order, PayError> {
        self.check_amount(input.amount)?;
        super::tender::check_sale(input.sale.as_ref(), input.amount)?;
        let code = input.auth_code.trim();
        if code.is_empty() {
            return Err(super::invalid("auth_code", "is empty: scan the customer's payment code"));
        }
        let method = Method::from_auth_code(code).ok_or_else(|| super::invalid("auth_code", "not a payment code Paydesk recognises (Alipay, WeChat Pay, UnionPay, e-CNY)"))?;
        let subject = self.subject(input.subject.as_deref())?;
        // The operator label is plain text (refused before anything is written).
        super::operator_label(input.operator.as_deref())?;
        // A known key is its sale, never a second charge; a request that lost the race for the
        // key takes the winner's order.
        let mut lost = None;
        for _ in 0..2 {
            if let Keyed::Done(o) | Keyed::Resume(o) = self.for_key(input.idempotency_key.as_deref(), input.amount).await? {
                return Ok(o);
            }
            match self.charge_new(&input, code, method, &subject, by).await {
                Err(e) if key_taken(&e) => lost = Some(e),
                other => return other,
            }
        }
        Err(lost.unwrap_or_else(|| PayError::Conflict(crate::store::KEY_TAKEN.into())))
    }

    /// The attempts of a new barcode sale.
    async fn charge_new(&self, input: &BarcodeInput, code: &str, method: Method, subject: &str, by: &Principal) -> Result<Order, PayError> {
        let operator = super::operator_label(input.operator.as_deref())?;
        let ask = Ask { method: Some(method), kind: PayKind::Barcode, amount: input.amount, account: input.account.as_deref(), channel: input.channel.as_deref(), by };
        let mut routed = self.route(&ask)?;
        let method = routed.method;
        let mut prev: Option<Order> = None;
        while let Some(account) = routed.next(self) {
            let channel = self.channel(&account.name)?;
            let new = self.attempt_order(PayKind::Barcode, method, &account, input.amount, subject, (operator.as_deref(), by), input.idempotency_key.as_deref(), Some(mask_auth_code(code)), self.timing.barcode_wait, input.sale.as_ref())?;
            let order = self.write_attempt(&mut routed.decision, prev.as_ref().map(|p| (&p.order_no, None)), new).map_err(|e| match &prev {
                // The previous attempt is in the book, unsettled if this one could not be written.
                Some(p) => e.after_written(p),
                None => e,
            })?;
            let req = BarcodePay { order: order_ref(&order), subject: subject.to_string(), auth_code: code.to_string(), notify_url: self.notify_url(&account.name) };
            let written = order.clone();
            match self.charge_once(order, &req, &*channel).await.map_err(|e| e.after_written(&written))? {
                Ended::Stays(o, outcome) => {
                    self.set_outcome(&mut routed.decision, outcome);
                    return Ok(o);
                }
                Ended::FallsOver(o, outcome) => {
                    self.set_outcome(&mut routed.decision, outcome);
                    prev = Some(o);
                }
            }
        }
        match prev {
            Some(last) => Ok(self.store.order(&last.order_no)?),
            None => Err(routed.exhausted()),
        }
    }

    /// One attempt at one account, followed to the point where it is settled or proven uncharged.
    async fn charge_once(&self, order: Order, req: &BarcodePay, channel: &dyn Channel) -> Result<Ended, PayError> {
        let unclear = match channel.barcode_pay(req).await {
            Ok(st) => match &st.state {
                TradeState::Paid | TradeState::Failed { .. } => {
                    let o = self.apply_trade(&order, &st, EventSource::ChannelReply).await?;
                    return Ok(Ended::Stays(o.clone(), settled(&o)));
                }
                TradeState::Waiting => {
                    let o = self.still_processing(&order.order_no, crate::order::EventNote::coded("waiting_payer", &[], "waiting for the payer to confirm"), patch_of(&st))?;
                    let o = self.follow_barcode(o, channel).await?;
                    return Ok(Ended::Stays(o.clone(), settled(&o)));
                }
                TradeState::NotFound | TradeState::Closed | TradeState::Refunded | TradeState::Unknown { .. } => {
                    (format!("unclear reply ({}); checking", st.raw_status), "unclear".to_string(), format!("unclear reply {}", st.raw_status))
                }
            },
            Err(e) if not_sent(&e) => {
                let patch = OrderPatch { failure: Some((e.code().to_string(), e.to_string())), ..Default::default() };
                let o = self.apply(&order.order_no, OrderStatus::Failed, EventSource::ChannelReply, crate::order::EventNote::coded("not_reached", &[("error", &e.to_string())], format!("not reached, nothing charged: {e}")), patch)?;
                return Ok(Ended::FallsOver(o, Outcome::NotReached { code: e.code().into(), message: e.to_string() }));
            }
            Err(e) if !e.outcome_unknown() => {
                let patch = OrderPatch { failure: Some((e.code().to_string(), e.to_string())), ..Default::default() };
                let o = self.apply(&order.order_no, OrderStatus::Failed, EventSource::ChannelReply, crate::order::EventNote::coded("refused", &[("error", &e.to_string())], format!("payment refused: {e}")), patch)?;
                return Ok(Ended::Stays(o, Outcome::Refused { code: e.code().into(), message: e.to_string() }));
            }
            Err(e) => (format!("result unknown ({e}); checking"), e.code().to_string(), e.to_string()),
        };
        let (detail, code, message) = unclear;
        let o = self.still_processing(&order.order_no, &detail, OrderPatch::default())?;
        let (o, proof) = self.settle_unclear(o, channel).await?;
        Ok(match proof {
            Some(proof) if o.status == OrderStatus::Closed => Ended::FallsOver(o, Outcome::Uncharged { code, message, proof }),
            _ if o.status.is_final() => Ended::Stays(o.clone(), settled(&o)),
            _ => Ended::Stays(o, Outcome::Unresolved { code, message }),
        })
    }

    /// Settles a charge whose outcome is unclear: a trade the channel does not hold (or holds
    /// closed) is cancelled at once — cancel/reverse is the channels' documented answer to an
    /// unknown pay result, and it makes sure a late request can never charge; a trade waiting for
    /// the payer is polled as usual and cancelled when the wait runs out. Returns the order and,
    /// when it is proven not charged, how.
    async fn settle_unclear(&self, order: Order, channel: &dyn Channel) -> Result<(Order, Option<String>), PayError> {
        let (o, cancelled) = self.follow_barcode_with(order, channel, true).await?;
        let proof = match cancelled {
            Some(CancelOutcome::Closed) if o.status == OrderStatus::Closed => Some("cancelled at the channel: not paid".to_string()),
            Some(CancelOutcome::Closed | CancelOutcome::Refunded) | None => None,
        };
        Ok((o, proof))
    }
}

/// Never left our side: safe to send to another account.
fn not_sent(e: &ChannelError) -> bool {
    matches!(e, ChannelError::Unreachable { .. } | ChannelError::Config(_)) || (e.is_rate_limited() && !e.outcome_unknown())
}

/// The outcome of an attempt the sale stays on.
fn settled(o: &Order) -> Outcome {
    match o.status {
        OrderStatus::Failed | OrderStatus::Closed => Outcome::Refused {
            code: o.failure_code.clone().unwrap_or_else(|| o.status.as_str().into()),
            message: o.failure_message.clone().unwrap_or_else(|| "not paid".into()),
        },
        OrderStatus::Pending | OrderStatus::Processing => Outcome::Unresolved { code: "unresolved".into(), message: "the channel could not confirm the result yet".into() },
        OrderStatus::Success | OrderStatus::Refunded => Outcome::Accepted,
    }
}
