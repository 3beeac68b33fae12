//! "Test connection": one harmless signed call to an account's channel.

use serde::Serialize;

use super::{PayError, Payments};
use crate::channel::{OrderRef, TradeState};
use crate::money::Money;

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// The channel answered and accepted our credentials.
    pub ok: bool,
    /// Stable code: `ok`, or the channel error's code (`unreachable`, `rejected`, `config`, …).
    pub code: String,
    pub detail: String,
}

impl Payments {
    /// Queries an order number that was never used. A "no such trade" answer proves that the
    /// gateway is reachable, verified our signature and signed its reply with the expected key.
    pub async fn test_account(&self, account: &str) -> Result<Probe, PayError> {
        let a = self.store.account(account)?;
        let channel = match (self.factory)(&a) {
            Ok(ch) => ch,
            Err(e) => return Ok(Probe { ok: false, code: e.code().into(), detail: e.to_string() }),
        };
        let now = self.now();
        let probe = OrderRef { order_no: self.next_order_no(now)?, amount: Money::from_fen(1).unwrap_or(Money::ZERO), channel_trade_no: None, created_at: now };
        Ok(match channel.query(&probe).await {
            Ok(st) => {
                let detail = match st.state {
                    TradeState::NotFound => "connected: the gateway accepted our signed request".to_string(),
                    _ => format!("connected: the gateway answered {}", st.raw_status),
                };
                Probe { ok: true, code: "ok".into(), detail }
            }
            Err(e) => Probe { ok: false, code: e.code().into(), detail: e.to_string() },
        })
    }
}
