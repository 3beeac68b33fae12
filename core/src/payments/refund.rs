//! Refunds: reserve in the book, call the channel with our refund number, and on an unclear
//! answer query — and resend with the same number only when the channel has no such refund.
//!
//! Every refund asked for — from the app, the local API or the CLI — is recorded with its
//! authenticated principal and written to the audit log with how it ended (a replay of the same
//! idempotency key is the same refund and is not logged again).

use super::{order_ref, PayError, Payments};
use crate::channel::{Channel, RefundRequest, RefundResult, RefundState};
use crate::ids::{OrderNo, RefundNo};
use crate::money::Money;
use crate::order::{EventSource, Order, Refund, RefundKind, RefundStatus};
use crate::principal::Principal;
use crate::store::{AuditEntry, NewRefund, Outcome};
use crate::text::SafeText;

#[derive(Debug, Clone)]
pub struct RefundRequestInput {
    pub order_no: OrderNo,
    pub amount: Money,
    pub reason: Option<String>,
    pub operator: Option<String>,
}

impl Payments {
    /// Refunds for `by` (who asks, as authenticated).
    pub async fn refund(&self, input: RefundRequestInput, by: &Principal) -> Result<Refund, PayError> {
        self.refund_with_key(input, None, by).await
    }

    /// A refund that a client may safely retry: the same `key` returns the same refund.
    pub async fn refund_with_key(&self, input: RefundRequestInput, key: Option<String>, by: &Principal) -> Result<Refund, PayError> {
        self.money_back(input, RefundKind::Refund, key, by).await
    }

    /// A refund or a same-day revoke (`kind`), replayed by its key, audited however it ends.
    pub(super) async fn money_back(&self, input: RefundRequestInput, kind: RefundKind, key: Option<String>, by: &Principal) -> Result<Refund, PayError> {
        if let Some(k) = &key {
            if k.is_empty() || k.len() > 64 {
                return Err(PayError::Invalid { field: "idempotency_key", message: "must be 1 to 64 characters".into() });
            }
            if let Some(r) = self.store.refund_by_idempotency_key(k)? {
                if r.order_no != input.order_no || r.amount != input.amount || r.kind != kind {
                    return Err(PayError::Conflict(format!("idempotency_key: already used for {} {} of {} yuan on {}", r.kind.as_str(), r.refund_no, r.amount, r.order_no)));
                }
                return Ok(r);
            }
        }
        let (order_no, amount) = (input.order_no.clone(), input.amount);
        let result = self.refund_new(input, kind, key, by).await;
        let (outcome, detail) = match &result {
            Ok(r) => (Outcome::Ok, format!("{} {} yuan: {}", r.refund_no, r.amount, r.status.as_str())),
            Err(e @ (PayError::Invalid { .. } | PayError::Conflict(_) | PayError::NotFound(_))) => (Outcome::Denied, format!("{amount} yuan: {e}")),
            Err(e) => (Outcome::Failed, format!("{amount} yuan: {e}")),
        };
        if let Err(e) = self.store.append_audit(&AuditEntry::by(by, kind.as_str(), Some(order_no.as_str()), outcome, detail, self.now())) {
            tracing::error!("audit entry not written: {e}");
        }
        result
    }

    async fn refund_new(&self, input: RefundRequestInput, kind: RefundKind, key: Option<String>, by: &Principal) -> Result<Refund, PayError> {
        if kind == RefundKind::Refund && input.amount.is_zero() {
            return Err(PayError::Invalid { field: "amount", message: "must be greater than zero".into() });
        }
        let reason = SafeText::parse_opt("reason", input.reason.as_deref(), 256)?.map(SafeText::into_string);
        let operator = super::operator_label(input.operator.as_deref())?;
        let order = self.store.order(&input.order_no)?;
        if kind == RefundKind::Revoke {
            self.check_revoke(&order)?;
        } else if order.kind == crate::order::PayKind::Tender {
            let no = self.next_refund_no(self.now())?;
            return self.refund_tender(&order, no, input, key, by);
        }
        let channel = self.channel(&order.account)?;
        let caps = channel.capabilities();
        if kind == RefundKind::Revoke && (!caps.cancel || (order.kind == crate::order::PayKind::Qr && !caps.revoke_qr)) {
            return Err(PayError::Invalid { field: "order", message: format!("{} cannot revoke this {} payment: refund it instead", order.channel, order.kind.as_str()) });
        }
        if kind == RefundKind::Refund && !caps.refund {
            return Err(PayError::Invalid { field: "order", message: format!("{} does not support refunds", order.channel) });
        }
        if kind == RefundKind::Refund && !caps.partial_refund && input.amount != order.amount {
            return Err(PayError::Invalid { field: "amount", message: format!("{} only refunds in full ({} yuan)", order.channel, order.amount) });
        }
        let now = self.now();
        let inserted = self.store.insert_refund(&NewRefund {
            refund_no: self.next_refund_no(now)?,
            order_no: order.order_no.clone(),
            amount: input.amount,
            reason: reason.clone(),
            operator,
            principal: by.clone(),
            created_at: now,
            idempotency_key: key.clone(),
            kind,
        });
        let refund = match (inserted, &key) {
            // Another request with the same key wrote its refund first: that is this refund.
            (Err(e), Some(k)) => match self.store.refund_by_idempotency_key(k)? {
                Some(r) if r.order_no == input.order_no && r.amount == input.amount && r.kind == kind => return Ok(r),
                _ => return Err(e.into()),
            },
            (r, _) => r?,
        };
        let req = RefundRequest { order: order_ref(&order), refund_no: refund.refund_no.clone(), amount: input.amount, reason, notify_url: self.notify_url(&order.account), created_at: refund.created_at };
        // Once the refund is in the book, a failure to write is not "nothing happened".
        let unsettled = |e: PayError| match e {
            PayError::Store(cause) => PayError::Unsettled { order_no: order.order_no.clone(), kind: order.kind, refund_no: Some(refund.refund_no.clone()), cause },
            other => other,
        };
        let sent = match kind {
            RefundKind::Refund => self.send_refund(&order, &refund, &req, channel.as_ref()).await,
            RefundKind::Revoke => self.send_revoke(&order, &refund, channel.as_ref()).await,
        };
        sent.map_err(unsettled)
    }

    /// Sends a refund that is in the book and applies the channel's answer.
    async fn send_refund(&self, order: &Order, refund: &Refund, req: &RefundRequest, channel: &dyn Channel) -> Result<Refund, PayError> {
        match channel.refund(req).await {
            Ok(res) => self.apply_refund_result(&refund.refund_no, &res, EventSource::ChannelReply),
            Err(e) if !e.outcome_unknown() => {
                let res = RefundResult { state: RefundState::Failed { code: e.code().into(), message: e.to_string() }, channel_refund_no: None };
                self.apply_refund_result(&refund.refund_no, &res, EventSource::ChannelReply)
            }
            Err(e) => {
                self.store.add_event(&order.order_no, EventSource::ChannelReply, format!("refund {} result unknown: {e}; checking", refund.refund_no), self.now())?;
                self.follow_refund(&refund.refund_no, EventSource::Poll).await
            }
        }
    }

    /// Queries a refund in flight; resends it (same number) if the channel never got it.
    pub async fn follow_refund(&self, no: &RefundNo, source: EventSource) -> Result<Refund, PayError> {
        let refund = self.store.refund(no)?;
        if refund.status.is_final() {
            return Ok(refund);
        }
        let order = self.store.order(&refund.order_no)?;
        let channel = self.channel(&order.account)?;
        if refund.kind == RefundKind::Revoke {
            return self.follow_revoke(&order, &refund, channel.as_ref(), source).await;
        }
        let req = RefundRequest { order: order_ref(&order), refund_no: refund.refund_no.clone(), amount: refund.amount, reason: refund.reason.clone(), notify_url: self.notify_url(&order.account), created_at: refund.created_at };
        let res = match channel.refund_query(&req).await {
            Ok(RefundResult { state: RefundState::NotFound, .. }) => {
                self.store.add_event(&order.order_no, source, format!("refund {no} unknown to the channel; sending again with the same number"), self.now())?;
                match channel.refund(&req).await {
                    Ok(r) => r,
                    Err(e) => {
                        self.store.add_event(&order.order_no, source, format!("refund {no} resend failed: {e}"), self.now())?;
                        return Ok(self.store.refund(no)?);
                    }
                }
            }
            Ok(r) => r,
            Err(e) => {
                self.store.add_event(&order.order_no, source, format!("refund {no} query failed: {e}"), self.now())?;
                return Ok(self.store.refund(no)?);
            }
        };
        self.apply_refund_result(no, &res, source)
    }

    pub(crate) fn apply_refund_result(&self, no: &RefundNo, res: &RefundResult, source: EventSource) -> Result<Refund, PayError> {
        let (to, failure) = match &res.state {
            RefundState::Success => (RefundStatus::Success, None),
            RefundState::Processing => (RefundStatus::Processing, None),
            RefundState::Failed { code, message } => (RefundStatus::Failed, Some(format!("{message} ({code})"))),
            RefundState::NotFound => return Ok(self.store.refund(no)?),
        };
        let applied = self.store.apply_refund(no, to, res.channel_refund_no.as_deref(), failure.as_deref(), source, self.now())?;
        let changed = applied.changed();
        let r = applied.into_inner();
        if changed {
            let order = self.store.order(&r.order_no)?;
            self.emit(&order);
        }
        Ok(r)
    }
}
