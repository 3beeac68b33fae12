//! Forwards core's payment events to every window as Tauri events, and announces payments.
//!
//! Events: `order-changed` (an [`Order`]), `payment-checking` (`{order_no, detail}`),
//! `voice-announced` (`{order_no, text}`). The UI never polls the book for status.

use std::collections::VecDeque;
use std::sync::Arc;

use paydesk_core::payments::PaymentEvent;
use paydesk_core::{Order, OrderStatus, Payments};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

pub const ORDER_CHANGED: &str = "order-changed";
pub const PAYMENT_CHECKING: &str = "payment-checking";
pub const VOICE_ANNOUNCED: &str = "voice-announced";

#[derive(Debug, Clone, Serialize)]
pub struct Checking {
    pub order_no: String,
    pub detail: String,
}

/// Remembers the last orders announced, so a payment is announced once.
#[derive(Debug, Default)]
pub struct Announced(VecDeque<String>);

impl Announced {
    /// True the first time an order reaches `Success` (not when a refund later changes it).
    pub fn first_success(&mut self, o: &Order) -> bool {
        if o.status != OrderStatus::Success || !o.refunded.is_zero() || self.0.iter().any(|n| n == o.order_no.as_str()) {
            return false;
        }
        if self.0.len() >= 256 {
            self.0.pop_front();
        }
        self.0.push_back(o.order_no.to_string());
        true
    }
}

/// Subscribes to `payments` and forwards until the app exits.
pub fn forward<R: Runtime>(app: AppHandle<R>, payments: Arc<Payments>) {
    let mut rx = payments.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut announced = Announced::default();
        loop {
            match rx.recv().await {
                Ok(PaymentEvent::Order(o)) => {
                    if announced.first_success(&o) {
                        if let Some(st) = app.try_state::<AppState>() {
                            if let Some(text) = st.voice.announce(&o) {
                                let _ = app.emit(VOICE_ANNOUNCED, serde_json::json!({"order_no": o.order_no, "text": text}));
                            }
                        }
                    }
                    let _ = app.emit(ORDER_CHANGED, &o);
                }
                Ok(PaymentEvent::Checking { order_no, detail }) => {
                    let _ = app.emit(PAYMENT_CHECKING, Checking { order_no: order_no.to_string(), detail });
                }
                Err(RecvError::Lagged(n)) => tracing::warn!("UI event forwarder lagged by {n} events"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Forwards every finished print job (done or failed, with its message) as `print-job`.
pub fn forward_print_jobs<R: Runtime>(app: AppHandle<R>, spool: &paydesk_print::Spooler) {
    let mut rx = spool.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(job) => {
                    let _ = app.emit(crate::commands::print::PRINT_JOB, &job);
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announces_each_success_once_and_never_a_refund_update() {
        let mut o: Order = serde_json::from_value(serde_json::json!({
            "order_no": "P20261125120000000T1000", "kind": "qr", "method": "alipay", "channel": "alipay", "account": "a",
            "amount": 1234, "refunded": 0, "fee": 0, "status": "processing", "subject": "s", "channel_trade_no": null,
            "qr_code": null, "auth_code_masked": null, "failure_code": null, "failure_message": null, "operator": null,
            "till": "T1", "idempotency_key": null, "created_at": "2026-11-25T04:00:00Z", "updated_at": "2026-11-25T04:00:00Z",
            "expires_at": "2026-11-25T04:05:00Z", "paid_at": null
        }))
        .unwrap();
        let mut a = Announced::default();
        assert!(!a.first_success(&o), "not paid yet");
        o.status = OrderStatus::Success;
        assert!(a.first_success(&o));
        assert!(!a.first_success(&o), "repeated event");
        let mut o2 = o.clone();
        o2.order_no = "P20261125120000000T1001".parse().unwrap();
        o2.refunded = paydesk_core::Money::from_fen(100).unwrap();
        assert!(!a.first_success(&o2), "a refund update is not a new payment");
    }
}
