//! Applying a channel callback: verify (the channel), check against our order, apply idempotently,
//! and only then acknowledge.

use super::{PayError, Payments};
use crate::channel::{CallbackEvent, CallbackReply, CallbackRequest, ChannelError};
use crate::order::{EventSource, Order};

/// What happened to a callback, with the reply to send.
#[derive(Debug)]
pub struct CallbackOutcome {
    pub reply: CallbackReply,
    pub result: Result<Order, PayError>,
}

impl Payments {
    /// Handles a callback for `account`. The reply acknowledges only after the state is stored;
    /// a callback that fails verification or disagrees with our order changes nothing.
    pub async fn handle_callback(&self, account: &str, req: &CallbackRequest) -> Result<CallbackOutcome, PayError> {
        let channel = self.channel(account)?;
        let result = self.apply_callback(account, &*channel, req).await;
        let stored = result.is_ok();
        if let Err(e) = &result {
            tracing::warn!(account, code = e.code(), "callback refused: {e}");
        }
        Ok(CallbackOutcome { reply: channel.callback_reply(stored), result })
    }

    async fn apply_callback(&self, account: &str, channel: &dyn crate::channel::Channel, req: &CallbackRequest) -> Result<Order, PayError> {
        channel.prepare_callback(req).await;
        let event = channel.parse_callback(req)?;
        let mismatch = |detail: String| PayError::Channel(ChannelError::Mismatch { channel: channel.kind().to_string(), detail });
        match event {
            CallbackEvent::Payment { order_no, total, status } => {
                let order = self.store.order(&order_no)?;
                if order.account != account {
                    return Err(mismatch(format!("order {order_no} belongs to account {}, not {account}", order.account)));
                }
                if total != order.amount {
                    return Err(mismatch(format!("callback amount {total} differs from order amount {}", order.amount)));
                }
                self.apply_trade(&order, &status, EventSource::Callback).await
            }
            CallbackEvent::Refund { order_no, refund_no, amount, result } => {
                let refund = self.store.refund(&refund_no)?;
                let order = self.store.order(&refund.order_no)?;
                if refund.order_no != order_no || order.account != account {
                    return Err(mismatch(format!("refund {refund_no} does not belong to order {order_no} on account {account}")));
                }
                if amount != refund.amount {
                    return Err(mismatch(format!("callback refund amount {amount} differs from {}", refund.amount)));
                }
                self.apply_refund_result(&refund_no, &result, EventSource::Callback)?;
                Ok(self.store.order(&order_no)?)
            }
        }
    }
}
