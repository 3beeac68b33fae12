//! `pay`, `query`, `close`, `refund`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use paydesk_core::payments::{BarcodeInput, QrInput, RefundRequestInput};
use paydesk_core::{EventSource, Method, Money, Order, OrderNo, Principal};

use crate::ctx;
use crate::out::{order_exit, order_line, CliError, Out, EXIT_OK};

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
    /// A label for who takes the payment (shown, not trusted: the order records the OS user
    /// running this command).
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
    o.print(order, || order_line(order));
    order_exit(order)
}

pub(crate) async fn pay(home: &Path, a: PayArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let amount = Money::parse_payment(&a.amount, p.max_amount()).map_err(|e| CliError::invalid("amount", e))?;
    if let Some(code) = a.auth_code {
        if a.method.is_some() {
            return Err(CliError::invalid("method", "not used with --auth-code: the payment code tells the method"));
        }
        let order = p
            .barcode_pay(BarcodeInput { amount, auth_code: code, channel: a.channel, account: a.account, subject: a.subject, operator: a.operator, idempotency_key: a.idempotency_key }, &Principal::os())
            .await?;
        return Ok(print_order(o, &order));
    }
    let method = a.method.as_deref().map(str::parse::<Method>).transpose().map_err(|e| CliError::invalid("method", e))?;
    let order = p
        .create_qr(QrInput { amount, method, channel: a.channel, account: a.account, subject: a.subject, operator: a.operator, idempotency_key: a.idempotency_key }, &Principal::os())
        .await?;
    let Some(qr) = order.qr_code.clone() else {
        return Ok(print_order(o, &order));
    };
    if let Some(path) = &a.qr_png {
        crate::qr::png(&qr, path, 8).map_err(CliError::other)?;
    }
    if !o.json {
        println!("{}", crate::qr::terminal(&qr).map_err(CliError::other)?);
        println!("Scan to pay {} yuan: {qr}", order.amount);
        println!("Order {}", order.order_no);
    }
    let Some(secs) = a.wait else {
        if o.json {
            o.print(&order, String::new);
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
    let order = p.close(&no, EventSource::User, &Principal::os()).await?;
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
    o.print(&r, || format!("refund {} of {} yuan for {}: {}", r.refund_no, r.amount, r.order_no, r.status.as_str()));
    Ok(match r.status {
        paydesk_core::RefundStatus::Success => EXIT_OK,
        paydesk_core::RefundStatus::Failed => crate::out::EXIT_NOT_PAID,
        paydesk_core::RefundStatus::Pending | paydesk_core::RefundStatus::Processing => crate::out::EXIT_PENDING,
    })
}
