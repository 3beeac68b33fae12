//! Routing through the payments service against the fake gateway
//! ([`crate::routing::simulation::gateway`]): fallback, breaker, limits, recorded decisions,
//! run-time account changes — and never a double charge.

mod admin;
mod barcode;
mod qr;
mod revoke;
mod shared;
mod till;

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;

use super::{BarcodeInput, Payments, QrInput, Timing};
use crate::account::AccountConfig;
use crate::clock::ManualClock;
use crate::config::{RoutingSettings, Settings};
use crate::money::Money;
use crate::order::Method;
use crate::routing::limits::Limits;
use crate::routing::simulation::gateway::FakeGateway;
use crate::routing::{Outcome, RouteDecision};
use crate::store::Store;

pub(super) struct H {
    _dir: tempfile::TempDir,
    pub(super) p: Payments,
    pub(super) gw: Arc<FakeGateway>,
    pub(super) clock: Arc<ManualClock>,
}

/// Accounts `(name, priority)` on the fake gateway, all serving the sandbox method.
pub(super) fn harness(accounts: &[(&str, i32)], routing: RoutingSettings, limits: Limits) -> H {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("book.db")).unwrap());
    for (name, prio) in accounts {
        let a: AccountConfig = toml::from_str(&format!("name = \"{name}\"\nchannel = \"fake\"\npriority = {prio}\nfee_rate_bp = 38\nmethods = [\"sandbox\"]")).unwrap();
        store.upsert_account(&a).unwrap();
    }
    let gw = FakeGateway::new(7);
    let g2 = gw.clone();
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_767_250_000, 0).unwrap()));
    let settings = Settings { routing, limits, ..Settings::default() };
    let timing = Timing { qr_lifetime: Duration::from_secs(300), barcode_wait: Duration::from_secs(10), barcode_poll: Duration::from_secs(1), cancel_retry: Duration::from_secs(1), cancel_attempts: 3 };
    let p = Payments::new(store, settings, Arc::new(move |a: &AccountConfig| Ok(g2.channel(&a.name)))).unwrap().with_clock(clock.clone()).with_timing(timing);
    H { _dir: dir, p, gw, clock }
}

pub(super) fn two() -> H {
    harness(&[("flaky", 1), ("steady", 2)], RoutingSettings::default(), Limits::default())
}

/// The cashier logged in at the till in these tests.
pub(super) fn wang() -> crate::Principal {
    crate::Principal::user("王芳", crate::auth::Role::Cashier)
}

pub(super) fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

pub(super) fn qr(amount: &str, key: &str) -> QrInput {
    QrInput { amount: yuan(amount), method: Some(Method::Sandbox), idempotency_key: Some(key.into()), operator: Some("王芳".into()), ..Default::default() }
}

/// A paying customer's code (the fake payer declines codes ending 7).
pub(super) fn code(amount: &str, key: &str, last: char) -> BarcodeInput {
    BarcodeInput { amount: yuan(amount), auth_code: format!("99000000000000000{last}"), idempotency_key: Some(key.into()), operator: Some("王芳".into()), ..Default::default() }
}

pub(super) fn decision(h: &H, no: &crate::OrderNo) -> RouteDecision {
    h.p.store().route(no).unwrap().expect("a routing decision is recorded")
}

/// `(account, outcome name)` of each attempt.
pub(super) fn attempts(d: &RouteDecision) -> Vec<(String, &'static str)> {
    d.attempts
        .iter()
        .map(|a| {
            let o = match a.outcome {
                Outcome::InProgress => "in_progress",
                Outcome::Accepted => "accepted",
                Outcome::Refused { .. } => "refused",
                Outcome::NotReached { .. } => "not_reached",
                Outcome::Abandoned { .. } => "abandoned",
                Outcome::Uncharged { .. } => "uncharged",
                Outcome::Unresolved { .. } => "unresolved",
            };
            (a.account.clone(), o)
        })
        .collect()
}

/// How many of the sale's orders charged the payer (paid, not reversed) at the gateway.
pub(super) fn charges(h: &H, d: &RouteDecision) -> usize {
    d.attempts.iter().filter(|a| h.gw.charged(&a.account, a.order_no.as_str())).count()
}
