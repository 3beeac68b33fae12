//! Output and exit codes: human text or `--json`, errors with the field they concern.

use paydesk_core::payments::PayError;
use paydesk_core::{Order, OrderStatus};
use serde::Serialize;

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
}

impl CliError {
    pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> CliError {
        CliError { code: "invalid", message: format!("{field}: {message}"), exit: EXIT_INVALID }
    }
    pub(crate) fn other(message: impl std::fmt::Display) -> CliError {
        CliError { code: "failure", message: message.to_string(), exit: EXIT_FAILURE }
    }
}

impl From<PayError> for CliError {
    fn from(e: PayError) -> Self {
        let exit = match &e {
            PayError::Invalid { .. } | PayError::NoAccount { .. } | PayError::Conflict(_) => EXIT_INVALID,
            PayError::NotFound(_) => EXIT_NOT_FOUND,
            PayError::Channel(c) if c.outcome_unknown() => EXIT_PENDING,
            PayError::Channel(_) | PayError::Limit(_) => EXIT_NOT_PAID,
            _ => EXIT_FAILURE,
        };
        CliError { code: e.code(), message: e.to_string(), exit }
    }
}

impl From<paydesk_core::store::StoreError> for CliError {
    fn from(e: paydesk_core::store::StoreError) -> Self {
        PayError::from(e).into()
    }
}

pub(crate) fn fail(e: &CliError, json: bool) -> i32 {
    if json {
        println!("{}", serde_json::json!({"error": {"code": e.code, "message": e.message}}));
    }
    eprintln!("error: {}", e.message);
    e.exit
}

pub(crate) struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or `human()` as text.
    pub(crate) fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
        } else {
            // Text from the book (subjects, reasons, a channel's messages) may hold control or
            // bidi characters written before they were refused: shown, never obeyed.
            println!("{}", paydesk_core::text::escape_lines(&human()));
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

/// One line about an order for people.
pub(crate) fn order_line(o: &Order) -> String {
    let mut s = format!("{}  {:>10} yuan  {:<10}  {}/{}  {}", o.order_no, o.amount.to_string(), o.status.as_str(), o.channel, o.method, o.subject);
    if !o.refunded.is_zero() {
        s.push_str(&format!("  (refunded {})", o.refunded));
    }
    if let Some(m) = &o.failure_message {
        if !o.status.is_final() || matches!(o.status, OrderStatus::Failed) {
            s.push_str(&format!("  — {m}"));
        }
    }
    s
}
