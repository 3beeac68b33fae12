//! Output and exit codes: human text or `--json`, errors with the field they concern.

use paydesk_core::payments::PayError;
use paydesk_core::{Order, OrderStatus, RefundStatus};
use serde::Serialize;

use crate::i18n::{self, catalog as m, t, tr};

pub(crate) const EXIT_OK: i32 = 0;
pub(crate) const EXIT_FAILURE: i32 = 1;
pub(crate) const EXIT_INVALID: i32 = 2;
pub(crate) const EXIT_NOT_PAID: i32 = 3;
pub(crate) const EXIT_PENDING: i32 = 4;
pub(crate) const EXIT_NOT_FOUND: i32 = 5;

/// An error for the user: a stable code, a message, an exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub code: &'static str,
    pub message: String,
    pub exit: i32,
    /// The order the error is about, when one is in the book (`--json` prints it).
    pub order_no: Option<String>,
}

impl CliError {
    pub(crate) fn coded(code: &'static str, message: impl std::fmt::Display, exit: i32) -> CliError {
        CliError { code, message: message.to_string(), exit, order_no: None }
    }
    pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> CliError {
        CliError::coded("invalid", format!("{field}: {message}"), EXIT_INVALID)
    }
    pub(crate) fn other(message: impl std::fmt::Display) -> CliError {
        CliError::coded("failure", message, EXIT_FAILURE)
    }
    /// A service already runs on the home.
    pub(crate) fn busy(message: impl std::fmt::Display) -> CliError {
        CliError::coded("busy", message, EXIT_FAILURE)
    }
    /// Writing the output failed. A reader that went away (`paydesk orders --csv | head`) is not
    /// an error: the command ends quietly.
    pub(crate) fn write(e: impl Into<Box<dyn std::error::Error>>) -> CliError {
        let e = e.into();
        if is_closed_pipe(&*e) {
            return CliError::coded(CLOSED_PIPE, "", EXIT_OK);
        }
        CliError::other(e)
    }
}

const CLOSED_PIPE: &str = "closed_pipe";

fn is_closed_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
            return true;
        }
        if let Some(csv) = err.downcast_ref::<csv::Error>() {
            if let csv::ErrorKind::Io(io) = csv.kind() {
                return io.kind() == std::io::ErrorKind::BrokenPipe;
            }
        }
        cur = err.source();
    }
    false
}

/// Writes a line to stdout. When the reader has gone away, the rest of the output is dropped
/// quietly (the command still finishes its work and exits with its own code).
pub(crate) fn say(text: &str) {
    use std::io::Write;
    static GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if GONE.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
        GONE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Writes a line to stderr (messages beside the output: progress, limits, what happens next).
pub(crate) fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

impl From<PayError> for CliError {
    fn from(e: PayError) -> Self {
        let exit = match &e {
            PayError::Invalid { .. } | PayError::NoAccount { .. } | PayError::Conflict(_) => EXIT_INVALID,
            // Sent (or maybe sent) and not written down: the outcome is not known yet.
            PayError::Unsettled { .. } => EXIT_PENDING,
            PayError::NotFound(_) => EXIT_NOT_FOUND,
            PayError::Channel(c) if c.outcome_unknown() => EXIT_PENDING,
            PayError::Channel(_) | PayError::Limit(_) => EXIT_NOT_PAID,
            _ => EXIT_FAILURE,
        };
        let order_no = match &e {
            PayError::Unsettled { order_no, .. } => Some(order_no.to_string()),
            _ => None,
        };
        CliError { code: e.code(), message: i18n::pay_error(&e), exit, order_no }
    }
}

impl From<paydesk_core::store::StoreError> for CliError {
    fn from(e: paydesk_core::store::StoreError) -> Self {
        PayError::from(e).into()
    }
}

pub(crate) fn fail(e: &CliError, json: bool) -> i32 {
    if e.code == CLOSED_PIPE {
        return e.exit;
    }
    if json {
        let mut v = serde_json::json!({"error": {"code": e.code, "message": e.message}});
        if let Some(no) = &e.order_no {
            v["error"]["order_no"] = serde_json::json!(no);
        }
        say(&v.to_string());
    }
    note(&tr!(ERROR_PREFIX, message = e.message));
    e.exit
}

pub(crate) struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or `human()` as text.
    pub(crate) fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            say(&serde_json::to_string_pretty(value).unwrap_or_default());
        } else {
            say(&paydesk_core::text::escape_lines(&human()));
        }
    }
}

/// The exit code an order's state means for a payment command.
pub(crate) fn order_exit(o: &Order) -> i32 {
    match o.status {
        OrderStatus::Success | OrderStatus::Refunded => EXIT_OK,
        OrderStatus::Failed | OrderStatus::Closed => EXIT_NOT_PAID,
        OrderStatus::Pending | OrderStatus::Processing => EXIT_PENDING,
    }
}

/// An order's state as a word.
pub(crate) fn status_word(s: OrderStatus) -> &'static str {
    t(match s {
        OrderStatus::Pending => m::STATUS_PENDING,
        OrderStatus::Processing => m::STATUS_PROCESSING,
        OrderStatus::Success => m::STATUS_SUCCESS,
        OrderStatus::Failed => m::STATUS_FAILED,
        OrderStatus::Closed => m::STATUS_CLOSED,
        OrderStatus::Refunded => m::STATUS_REFUNDED,
    })
}

/// A refund's state as a word.
pub(crate) fn refund_status_word(s: RefundStatus) -> &'static str {
    t(match s {
        RefundStatus::Pending => m::REFUND_PENDING,
        RefundStatus::Processing => m::REFUND_PROCESSING,
        RefundStatus::Success => m::REFUND_SUCCESS,
        RefundStatus::Failed => m::REFUND_FAILED,
    })
}

/// One line about an order for people.
pub(crate) fn order_line(o: &Order) -> String {
    let amount = tr!(YUAN, amount = o.amount);
    let mut s = format!(
        "{}  {}  {}  {}/{}  {}",
        o.order_no,
        i18n::pad_left(&amount, 14),
        i18n::pad(status_word(o.status), 10),
        o.channel,
        i18n::method_name(o.method.as_str()),
        o.subject
    );
    if !o.refunded.is_zero() {
        s.push_str(&tr!(ORDER_REFUNDED_PART, amount = o.refunded));
    }
    if let Some(m) = &o.failure_message {
        if !o.status.is_final() || matches!(o.status, OrderStatus::Failed) {
            s.push_str(&format!("  — {m}"));
        }
    }
    s
}
