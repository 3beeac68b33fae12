//! Tenders taken at the till — cash, the shop's own card terminal, vouchers — and their refunds.
//!
//! A tender is an order of kind [`PayKind::Tender`]: written already paid, in the cashier's open
//! shift, with no account and no channel; it is never routed, followed, closed at a channel or
//! reconciled against a statement, and it counts in the shift, the Z report and analytics under
//! its method. Cash records what was handed over; the change is shown, never stored twice.
//! One sale may be paid by several tenders (a split): they share a [`SalePart`].

use super::{invalid, PayError, Payments};
use crate::ids::RefundNo;
use crate::money::Money;
use crate::order::{EventNote, Method, Order, PayKind, Refund};
use crate::principal::Principal;
use crate::store::{NewOrder, NewRefund, SalePart};

/// A tender as the till records it (amounts already parsed).
#[derive(Debug, Clone)]
pub struct TenderInput {
    pub method: Method,
    /// What this tender pays (for a split, its part of the sale).
    pub amount: Money,
    /// Cash handed over (at least `amount`); none for card and voucher.
    pub tendered: Option<Money>,
    /// The card terminal's reference, or the voucher's number.
    pub reference: Option<String>,
    pub subject: Option<String>,
    pub operator: Option<String>,
    pub idempotency_key: Option<String>,
    /// Part of a split sale.
    pub sale: Option<SalePart>,
}

/// Checks a split sale's id and total against the part being paid.
pub(super) fn check_sale(sale: Option<&SalePart>, amount: Money) -> Result<(), PayError> {
    let Some(s) = sale else { return Ok(()) };
    if s.id.is_empty() || s.id.len() > 64 || !s.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(invalid("sale_id", "must be 1 to 64 letters, digits, - or _"));
    }
    if s.total < amount {
        return Err(invalid("sale_total", format!("the sale's total {} yuan is less than this part of {amount} yuan", s.total)));
    }
    Ok(())
}

impl Payments {
    /// Records a tender, already paid, in the cashier's open shift. Refused (nothing written)
    /// without one, for a wallet method, or for cash handed over short of the amount.
    pub fn record_tender(&self, input: TenderInput, by: &Principal) -> Result<Order, PayError> {
        if !input.method.is_tender() {
            return Err(invalid("method", format!("{} is paid through a channel; tenders are cash, card, voucher", input.method)));
        }
        self.check_amount(input.amount)?;
        check_sale(input.sale.as_ref(), input.amount)?;
        let subject = self.subject(input.subject.as_deref())?;
        match (input.method, input.tendered) {
            (Method::Cash, Some(t)) if t < input.amount => {
                return Err(invalid("tendered", format!("{t} yuan handed over is less than {} yuan; take the rest with another tender", input.amount)));
            }
            (Method::Cash, _) => {}
            (_, Some(_)) => return Err(invalid("tendered", "only cash is handed over")),
            (_, None) => {}
        }
        let reference = input.reference.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reference {
            if r.chars().count() > 64 || r.chars().any(char::is_control) {
                return Err(invalid("reference", "must be at most 64 characters without control characters"));
            }
        }
        if let Some(o) = self.order_for_key(input.idempotency_key.as_deref(), input.amount)? {
            return Ok(o);
        }
        let now = self.now();
        let tendered = match input.method {
            Method::Cash => Some(input.tendered.unwrap_or(input.amount)),
            _ => None,
        };
        let order = NewOrder {
            order_no: self.next_order_no(now)?,
            kind: PayKind::Tender,
            method: input.method,
            channel: input.method.as_str().to_string(),
            account: String::new(),
            amount: input.amount,
            fee: Money::ZERO,
            subject,
            auth_code_masked: None,
            operator: input.operator,
            principal: by.clone(),
            till: self.settings.till_id.to_string(),
            idempotency_key: input.idempotency_key,
            created_at: now,
            expires_at: now,
            sale: input.sale,
        };
        let (method, amount) = (input.method.to_string(), input.amount.to_string());
        let note = match tendered {
            Some(t) => {
                let change = t.checked_sub(input.amount).unwrap_or(Money::ZERO).to_string();
                EventNote::coded("tender_cash", &[("tendered", &t.to_string()), ("change", &change)], format!("paid in cash: {t} yuan handed over, {change} yuan change"))
            }
            None => EventNote::coded("tender_paid", &[("method", &method), ("reference", reference.unwrap_or(""))], format!("paid by {method} at the till{}", reference.map(|r| format!(" (ref {r})")).unwrap_or_default())),
        };
        let o = self.store.insert_tender(&order, tendered, reference, note)?;
        tracing::info!(order = %o.order_no, method = %method, amount = %amount, "tender recorded");
        self.emit(&o);
        Ok(o)
    }

    /// Refunds a tender at the counter (cash from the drawer of the open shift): completed at once.
    pub(super) fn refund_tender(&self, order: &Order, refund_no: RefundNo, input: super::RefundRequestInput, key: Option<String>, by: &Principal) -> Result<Refund, PayError> {
        let now = self.now();
        let r = NewRefund { refund_no, order_no: order.order_no.clone(), amount: input.amount, reason: input.reason, operator: input.operator, principal: by.clone(), created_at: now, idempotency_key: key, kind: Default::default() };
        let refund = self.store.refund_tender(&r, now)?;
        self.emit(&self.store.order(&order.order_no)?);
        Ok(refund)
    }
}
