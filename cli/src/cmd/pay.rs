//! `pay`: a QR for the customer to scan (optionally waiting for the payer), or a scanned
//! payment code charged at once. Whatever happens, the cashier is told the order number and
//! what happens next.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use paydesk_core::payments::{BarcodeInput, PaymentEvent, QrInput};
use paydesk_core::{EventSource, Method, Money, Order, OrderNo, OrderStatus, Payments, Principal};

use paydesk_server::api::payment_json;

use crate::ctx;
use crate::i18n::{catalog as m, t, tr};
use crate::out::{note, order_exit, order_line, say, status_word, CliError, Out, EXIT_OK, EXIT_PENDING};

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
    /// Record a tender taken at the till instead: cash, card (the shop's own terminal) or voucher.
    /// Needs an open shift (`paydesk shift open`).
    #[arg(long, value_name = "TENDER", conflicts_with_all = ["auth_code", "method", "channel", "account", "wait", "qr_png"])]
    tender: Option<String>,
    /// Cash handed over, yuan (default: the amount); the change is printed.
    #[arg(long, value_name = "YUAN", requires = "tender")]
    tendered: Option<String>,
    /// The card terminal's reference or the voucher's number.
    #[arg(long, requires = "tender")]
    reference: Option<String>,
    /// What is sold (shown to the payer).
    #[arg(long)]
    subject: Option<String>,
    /// A label for who takes the payment (shown, not trusted: the order records the OS user
    /// running this command).
    #[arg(long, allow_hyphen_values = true)]
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

fn print_order(o: &Out, order: &Order) -> i32 {
    o.print(&payment_json(order), || order_line(order));
    order_exit(order)
}

pub(crate) async fn pay(home: &Path, a: PayArgs, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let amount = Money::parse_payment(&a.amount, p.max_amount()).map_err(|e| CliError::invalid("amount", e))?;
    if let Some(t) = a.tender {
        let method: Method = t.parse().map_err(|e| CliError::invalid("tender", e))?;
        let tendered = a.tendered.as_deref().map(|s| Money::parse_yuan(s).map_err(|e| CliError::invalid("tendered", e))).transpose()?;
        let operator = a.operator.or_else(|| Some(crate::cmd::till::os_user()));
        let order = p.record_tender(paydesk_core::payments::TenderInput { method, amount, tendered, reference: a.reference, subject: a.subject, operator, idempotency_key: a.idempotency_key, sale: None }, &Principal::os())?;
        o.print(&order, || {
            let mut s = order_line(&order);
            if order.tendered.is_some() {
                s.push_str(&format!("\nchange {} yuan", order.change()));
            }
            s
        });
        return Ok(EXIT_OK);
    }
    if let Some(code) = a.auth_code {
        if a.method.is_some() {
            return Err(CliError::invalid("method", t(m::METHOD_WITH_AUTH_CODE)));
        }
        let input = BarcodeInput { amount, auth_code: code, channel: a.channel, account: a.account, subject: a.subject, operator: a.operator, idempotency_key: a.idempotency_key, sale: None };
        return barcode(&p, input, o).await;
    }
    let method = a.method.as_deref().map(str::parse::<Method>).transpose().map_err(|e| CliError::invalid("method", e))?;
    let order = p
        .create_qr(QrInput { amount, method, channel: a.channel, account: a.account, subject: a.subject, operator: a.operator, idempotency_key: a.idempotency_key, sale: None }, &Principal::os())
        .await?;
    let Some(qr) = order.qr_code.clone() else {
        return Ok(print_order(o, &order));
    };
    if let Some(path) = &a.qr_png {
        crate::qr::png(&qr, path, 8).map_err(CliError::other)?;
    }
    let until = local_time(&p, order.expires_at);
    if !o.json {
        say(&crate::qr::terminal(&qr).map_err(CliError::other)?);
        say(&tr!(PAY_SCAN, amount = order.amount, qr = qr));
        say(&tr!(PAY_ORDER, order = order.order_no));
        say(&tr!(PAY_VALID_UNTIL, time = until));
    }
    let Some(secs) = a.wait else {
        if o.json {
            o.print(&payment_json(&order), String::new);
        }
        // The QR is issued: that is what was asked.
        return Ok(EXIT_OK);
    };
    // Listening before saying so: a Ctrl-C right after "waiting…" closes the QR instead of
    // killing the process with the order open.
    let mut interrupt = crate::signals::Signals::interrupt()?;
    if !o.json {
        note(&tr!(PAY_WAITING, secs = secs));
    }
    let no = order.order_no.clone();
    tokio::select! {
        done = p.wait_final(&no, Duration::from_secs(secs), Duration::from_secs(1)) => {
            let done = done?;
            if !done.status.is_final() {
                // The wait is over, the order is not: it stays payable until it expires.
                note(&tr!(PAY_WAIT_OVER, order = no, time = until));
            }
            Ok(print_order(o, &done))
        }
        _ = interrupt.recv() => cancel_qr(&p, &no, &until, o).await,
    }
}

/// The cashier gave up on a QR (Ctrl-C): close it at the channel, confirmed by query, and say
/// how it ended — paid meanwhile, closed, or not closable yet (then until when it stays payable).
async fn cancel_qr(p: &Payments, no: &OrderNo, until: &str, o: &Out) -> Result<i32, CliError> {
    note(&tr!(PAY_CANCELLING, order = no));
    match p.close(no, EventSource::User, &Principal::os()).await {
        Ok(order) => {
            match order.status {
                OrderStatus::Success | OrderStatus::Refunded => note(&tr!(PAY_PAID_MEANWHILE, order = no)),
                OrderStatus::Closed | OrderStatus::Failed => note(&tr!(PAY_CANCELLED, order = no)),
                OrderStatus::Pending | OrderStatus::Processing => note(&tr!(PAY_CANCEL_UNSURE, order = no, error = status_word(order.status), time = until)),
            }
            Ok(print_order(o, &order))
        }
        Err(e) => {
            note(&tr!(PAY_CANCEL_UNSURE, order = no, error = crate::i18n::pay_error(&e), time = until));
            Ok(EXIT_PENDING)
        }
    }
}

/// A barcode payment: says its order number as soon as the order is written (and when the sale
/// moves to another account), then waits for the charge. Ctrl-C leaves the charge to recovery
/// and says so, with the order number.
async fn barcode(p: &Payments, input: BarcodeInput, o: &Out) -> Result<i32, CliError> {
    let mut interrupt = crate::signals::Signals::interrupt()?;
    let mut events = p.subscribe();
    let amount = input.amount;
    let current: std::sync::Arc<std::sync::Mutex<Option<OrderNo>>> = Default::default();
    let seen = current.clone();
    let human = !o.json;
    let announcer = tokio::spawn(async move {
        while let Ok(ev) = events.recv().await {
            let PaymentEvent::Order(order) = ev else { continue };
            let mut cur = seen.lock().unwrap_or_else(|e| e.into_inner());
            if order.status != OrderStatus::Pending || cur.as_ref() == Some(&order.order_no) {
                continue;
            }
            if human {
                let text = match cur.as_ref() {
                    None => tr!(BARCODE_CHARGING, order = order.order_no, amount = amount, method = crate::i18n::method_name(order.method.as_str())),
                    Some(_) => tr!(BARCODE_MOVED, order = order.order_no, account = order.account),
                };
                note(&text);
            }
            *cur = Some(order.order_no.clone());
        }
    });
    let by = Principal::os();
    let result = tokio::select! {
        r = p.barcode_pay(input, &by) => Some(r),
        _ = interrupt.recv() => None,
    };
    announcer.abort();
    match result {
        Some(r) => Ok(print_order(o, &r?)),
        None => {
            match current.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                Some(no) => note(&tr!(BARCODE_INTERRUPTED, order = no)),
                None => note(t(m::INTERRUPTED_BEFORE_ORDER)),
            }
            Ok(EXIT_PENDING)
        }
    }
}

/// A time in the shop's time zone, for people.
fn local_time(p: &Payments, t: chrono::DateTime<chrono::Utc>) -> String {
    let tz = p.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai);
    t.with_timezone(&tz).format("%H:%M:%S").to_string()
}

