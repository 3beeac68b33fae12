//! `pay`, `query`, `close`, `refund`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use paydesk_core::payments::{BarcodeInput, QrInput, RefundRequestInput};
use paydesk_core::{EventSource, Method, Money, Order, OrderNo};

use paydesk_server::api::{payment_json, refund_json};

use crate::ctx;
use crate::i18n::{t, tr};
use crate::out::{order_exit, order_line, refund_status_word, CliError, Out, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct PayArgs {
    /// Amount in yuan, e.g. 12.34.
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Payer's method for a QR order (alipay, wechat, unionpay, sandbox); barcode payments take it from the code.
    #[arg(long)]
    method: Option<String>,
    /// Only use accounts of this channel kind.
    #[arg(long)]
    channel: Option<String>,
    /// Use this account.
    #[arg(long)]
    account: Option<String>,
    /// The customer's payment code (scanned): charges it instead of showing a QR code.
    #[arg(long, value_name = "CODE")]
    auth_code: Option<String>,
    /// What is sold (shown to the payer).
    #[arg(long)]
    subject: Option<String>,
    /// Who takes the payment.
    #[arg(long)]
    operator: Option<String>,
    /// Client key: the same key returns the same order instead of charging again.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// For QR orders: wait up to SECS for the payer, following the order.
    #[arg(long, value_name = "SECS")]
    wait: Option<u64>,
    /// Also write the QR code to this PNG file.
    #[arg(long, value_name = "FILE")]
    qr_png: Option<PathBuf>,
}

fn parse_order(s: &str) -> Result<OrderNo, CliError> {
    s.parse().map_err(|e| CliError::invalid("order", e))
}

fn print_order(o: &Out, order: &Order) -> i32 {
    o.print(&payment_json(order), || order_line(order));
    order_exit(order)
}

pub(crate) async fn pay(home: &Path, a: PayArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let amount = Money::parse_payment(&a.amount, p.max_amount()).map_err(|e| CliError::invalid("amount", e))?;
    if let Some(code) = a.auth_code {
        if a.method.is_some() {
            return Err(CliError::invalid("method", t(crate::i18n::catalog::METHOD_WITH_AUTH_CODE)));
        }
        let order = p
            .barcode_pay(BarcodeInput { amount, auth_code: code, channel: a.channel, account: a.account, subject: a.subject, operator: a.operator, idempotency_key: a.idempotency_key })
            .await?;
        return Ok(print_order(o, &order));
    }
    let method = a.method.as_deref().map(str::parse::<Method>).transpose().map_err(|e| CliError::invalid("method", e))?;
    let order = p
        .create_qr(QrInput { amount, method, channel: a.channel, account: a.account, subject: a.subject, operator: a.operator, idempotency_key: a.idempotency_key })
        .await?;
    let Some(qr) = order.qr_code.clone() else {
        return Ok(print_order(o, &order));
    };
    if let Some(path) = &a.qr_png {
        crate::qr::png(&qr, path, 8).map_err(CliError::other)?;
    }
    if !o.json {
        crate::out::say(&crate::qr::terminal(&qr).map_err(CliError::other)?);
        crate::out::say(&tr!(PAY_SCAN, amount = order.amount, qr = qr));
        crate::out::say(&tr!(PAY_ORDER, order = order.order_no));
    }
    let Some(secs) = a.wait else {
        if o.json {
            o.print(&payment_json(&order), String::new);
        }
        // The QR is issued: that is what was asked.
        return Ok(EXIT_OK);
    };
    let done = p.wait_final(&order.order_no, Duration::from_secs(secs), Duration::from_secs(1)).await?;
    Ok(print_order(o, &done))
}

pub(crate) async fn query(home: &Path, order: &str, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(order)?;
    let p = ctx::open(home)?;
    let order = p.query(&no, EventSource::User).await?;
    Ok(print_order(o, &order))
}

pub(crate) async fn close(home: &Path, order: &str, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(order)?;
    let p = ctx::open(home)?;
    let order = p.close(&no, EventSource::User).await?;
    Ok(print_order(o, &order))
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
    /// Who refunds.
    #[arg(long)]
    operator: Option<String>,
}

pub(crate) async fn refund(home: &Path, a: RefundArgs, o: &Out) -> Result<i32, CliError> {
    let no = parse_order(&a.order)?;
    let p = ctx::open(home)?;
    let amount = Money::parse_payment(&a.amount, p.max_amount()).map_err(|e| CliError::invalid("amount", e))?;
    let r = p.refund(RefundRequestInput { order_no: no, amount, reason: a.reason, operator: a.operator }).await?;
    o.print(&refund_json(&r), || tr!(REFUND_LINE, refund = r.refund_no, amount = r.amount, order = r.order_no, status = refund_status_word(r.status)));
    Ok(match r.status {
        paydesk_core::RefundStatus::Success => EXIT_OK,
        paydesk_core::RefundStatus::Failed => crate::out::EXIT_NOT_PAID,
        paydesk_core::RefundStatus::Pending | paydesk_core::RefundStatus::Processing => crate::out::EXIT_PENDING,
    })
}
