//! `query`, `close`, `refund`, `revoke`: settling an order after it was taken.

use std::path::Path;

use clap::Args;
use paydesk_core::payments::{RefundRequestInput, RevokeInput};
use paydesk_core::{EventSource, Money, OrderNo, OrderStatus, Principal};
use paydesk_server::api::{payment_json, refund_json};

use crate::ctx;
use crate::i18n::tr;
use crate::out::{note, order_exit, refund_status_word, CliError, Out, EXIT_NOT_PAID, EXIT_OK, EXIT_PENDING};

pub(crate) fn parse_order(s: &str) -> Result<OrderNo, CliError> {
    s.parse().map_err(|e| CliError::invalid("order", e))
}

pub(crate) async fn query(home: &Path, order: &str, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(order)?;
    let p = ctx::open(home)?;
    let order = p.query(&no, EventSource::User).await?;
    o.print(&payment_json(&order), || crate::out::order_line(&order));
    Ok(order_exit(&order))
}

/// Closes an unpaid order. Exit 0 when nothing is payable any more (closed, or it had failed);
/// a paid order is not closed: it says so, with what to do instead, and exits 3.
pub(crate) async fn close(home: &Path, order: &str, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(order)?;
    let p = ctx::open(home)?;
    let order = p.close(&no, EventSource::User, &Principal::os()).await?;
    o.print(&payment_json(&order), || crate::out::order_line(&order));
    Ok(match order.status {
        OrderStatus::Closed | OrderStatus::Failed => EXIT_OK,
        OrderStatus::Success | OrderStatus::Refunded => {
            note(&tr!(CLOSE_PAID, order = no, amount = order.amount.checked_sub(order.refunded).unwrap_or(order.amount)));
            EXIT_NOT_PAID
        }
        OrderStatus::Pending | OrderStatus::Processing => EXIT_PENDING,
    })
}

#[derive(Args, Debug)]
pub(crate) struct RefundArgs {
    /// Order number.
    order: String,
    /// Amount to refund, yuan.
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Reason (shown to the payer by some channels).
    #[arg(long)]
    reason: Option<String>,
    /// A label for who refunds (shown, not trusted: the refund records the OS user running this
    /// command).
    #[arg(long)]
    operator: Option<String>,
}

pub(crate) async fn refund(home: &Path, a: RefundArgs, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(&a.order)?;
    let p = ctx::open(home)?;
    let amount = Money::parse_payment(&a.amount, p.max_amount()).map_err(|e| CliError::invalid("amount", e))?;
    let r = p.refund(RefundRequestInput { order_no: no, amount, reason: a.reason, operator: a.operator }, &Principal::os()).await?;
    o.print(&refund_json(&r), || tr!(REFUND_LINE, refund = r.refund_no, amount = r.amount, order = r.order_no, status = refund_status_word(r.status)));
    Ok(refund_exit(&r))
}

#[derive(Args, Debug)]
pub(crate) struct RevokeArgs {
    /// Order number of a payment made today (Beijing time).
    order: String,
    /// Reason (kept with the revoke).
    #[arg(long)]
    reason: Option<String>,
    /// A label for who revokes (shown, not trusted: the revoke records the OS user running this
    /// command).
    #[arg(long)]
    operator: Option<String>,
}

/// Revokes (撤销) a payment made today: the whole amount goes back and the channel charges no fee.
pub(crate) async fn revoke(home: &Path, a: RevokeArgs, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(&a.order)?;
    let p = ctx::open(home)?;
    let r = p.revoke(RevokeInput { order_no: no, reason: a.reason, operator: a.operator }, &Principal::os()).await?;
    o.print(&refund_json(&r), || tr!(REVOKE_LINE, refund = r.refund_no, amount = r.amount, order = r.order_no, status = refund_status_word(r.status)));
    if !r.status.is_final() {
        note(&tr!(REVOKE_PENDING, order = r.order_no));
    }
    Ok(refund_exit(&r))
}

fn refund_exit(r: &paydesk_core::Refund) -> i32 {
    match r.status {
        paydesk_core::RefundStatus::Success => EXIT_OK,
        paydesk_core::RefundStatus::Failed => EXIT_NOT_PAID,
        paydesk_core::RefundStatus::Pending | paydesk_core::RefundStatus::Processing => EXIT_PENDING,
    }
}
