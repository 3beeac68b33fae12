//! The routing decision of one payment, as recorded in the book (`order_routes`) and shown with
//! the order: the candidates in the order they would be tried (with their health then), the
//! accounts skipped and why, and every attempt made — including fallbacks to the next account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::health::HealthSnapshot;
use crate::ids::OrderNo;
use crate::money::Money;
use crate::order::{Method, PayKind};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDecision {
    pub at: DateTime<Utc>,
    pub method: Method,
    pub kind: PayKind,
    pub mode: RouteMode,
    /// The caller restricted the accounts to one channel kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_filter: Option<String>,
    /// Whether a failed creation may move on to the next candidate.
    pub fallback: bool,
    /// Candidates in the order they would be tried.
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    /// Every account actually tried, in order. Each attempt is its own order in the book; the
    /// last one carries the sale (its idempotency key and the cashier's ticket).
    pub attempts: Vec<Attempt>,
}

/// How the account was picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteMode {
    /// By method, priority, weight and health.
    Auto,
    /// The caller named the account: no alternatives.
    Named,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub account: String,
    pub channel: String,
    pub priority: i32,
    pub weight: u32,
    pub health: HealthSnapshot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

/// Why a candidate sits where it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// Its recent success rate is low: tried after the healthy accounts of its priority.
    Demoted { success_pct: u32, calls: u32 },
    /// Its breaker's cool-down is over: this payment probes it.
    Probe,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub account: String,
    #[serde(flatten)]
    pub reason: Skip,
}

/// Why an account was not a candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Skip {
    Disabled,
    /// Its channel could not be built from its settings (see the log).
    Unusable,
    MethodNotServed,
    KindNotSupported,
    OverDailyCap { used: Money, cap: Money },
    /// Its circuit breaker is open after consecutive failures.
    CircuitOpen { until: DateTime<Utc> },
    /// Half-open, and another payment is already probing it.
    ProbeBusy,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Disabled => f.write_str("disabled"),
            Skip::Unusable => f.write_str("its settings are incomplete (the channel cannot be built)"),
            Skip::MethodNotServed => f.write_str("does not take this method"),
            Skip::KindNotSupported => f.write_str("does not offer this kind of payment"),
            Skip::OverDailyCap { used, cap } => write!(f, "over its daily cap ({used} of {cap} yuan used)"),
            Skip::CircuitOpen { until } => write!(f, "taken out after repeated failures until {} UTC", until.format("%H:%M:%S")),
            Skip::ProbeBusy => f.write_str("being probed by another payment"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub order_no: OrderNo,
    pub account: String,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What became of one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Being made.
    InProgress,
    /// The channel took it; the sale goes on with this order.
    Accepted,
    /// The channel refused definitively (e.g. the payer's balance): no other account is tried.
    Refused { code: String, message: String },
    /// The request never reached the channel, or it refused for rate limiting: nothing was
    /// created or charged.
    NotReached { code: String, message: String },
    /// QR creation with an unclear outcome: the code was never shown, and the order is closed at
    /// the channel (confirmed by query) by the follower.
    Abandoned { code: String, message: String },
    /// Barcode charge with an unclear outcome, proven not charged (by query or cancel).
    Uncharged { code: String, message: String, proof: String },
    /// Barcode charge with an unclear outcome that could not be proven uncharged: the sale stays
    /// on this order (recovery keeps working on it); no other account is tried.
    Unresolved { code: String, message: String },
}

impl Outcome {
    /// Whether the next candidate may be tried after this.
    pub fn falls_over(&self) -> bool {
        match self {
            Outcome::NotReached { .. } | Outcome::Abandoned { .. } | Outcome::Uncharged { .. } => true,
            Outcome::InProgress | Outcome::Accepted | Outcome::Refused { .. } | Outcome::Unresolved { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::health::BreakerState;

    #[test]
    fn round_trips_as_flat_json() {
        let health = HealthSnapshot { state: BreakerState::Closed, calls: 4, failures: 1, timeouts: 1, success_permille: Some(750), fail_streak: 0, timeout_streak: 0, open_until: None, last_error: None, last_error_at: None, trips: 0 };
        let at = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let d = RouteDecision {
            at,
            method: Method::Alipay,
            kind: PayKind::Qr,
            mode: RouteMode::Auto,
            channel_filter: None,
            fallback: true,
            candidates: vec![Candidate { account: "a".into(), channel: "alipay".into(), priority: 1, weight: 2, health, note: Some(Note::Demoted { success_pct: 75, calls: 4 }) }],
            skipped: vec![Skipped { account: "c".into(), reason: Skip::OverDailyCap { used: Money::from_fen(500).unwrap(), cap: Money::from_fen(1000).unwrap() } }],
            attempts: vec![Attempt { order_no: "P20250101120000000T1001".parse().unwrap(), account: "a".into(), at, outcome: Outcome::NotReached { code: "unreachable".into(), message: "cannot reach".into() } }],
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["skipped"][0]["reason"], "over_daily_cap");
        assert_eq!(v["skipped"][0]["cap"], 1000);
        assert_eq!(v["attempts"][0]["outcome"], "not_reached");
        assert_eq!(v["candidates"][0]["note"]["note"], "demoted");
        let back: RouteDecision = serde_json::from_value(v).unwrap();
        assert_eq!(back, d);
    }
}
