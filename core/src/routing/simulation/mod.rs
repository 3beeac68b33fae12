//! The routing simulation: thousands of payments through the real payments service, router and
//! book, against a fake gateway with two merchant accounts of one method — `flaky`, failing a
//! share of all its requests (queries and cancels too), and `steady`, healthy — once with routing
//! on (fallback, circuit breaker, health ordering) and once off (the first candidate only).
//!
//! Deterministic: a seeded RNG decides faults, payment kinds and amounts; time is a manual clock
//! advanced between payments. Each sale counts as paid when the order the till ends on is paid.
//! Every sale is also checked at the gateway: no payer charged twice, no charge left unbooked.
//! `make bench` prints the comparison; a test asserts it.

pub mod gateway;

use std::sync::Arc;

use chrono::DateTime;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use self::gateway::FakeGateway;
use crate::account::AccountConfig;
use crate::clock::ManualClock;
use crate::config::{RoutingSettings, Settings};
use crate::money::Money;
use crate::order::{EventSource, Method, Order, OrderStatus};
use crate::payments::{BarcodeInput, PayError, Payments, QrInput, Timing};
use crate::store::Store;

/// How the two accounts are set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `flaky` is the primary account (priority 1), `steady` the backup (priority 2).
    FlakyPrimary,
    /// Both at priority 1, equal weight: round-robin between them.
    EqualPriority,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub payments: u32,
    pub seed: u64,
    /// Share of `flaky`'s requests that fail, per mille (300 = 30 %).
    pub fail_permille: u32,
    pub layout: Layout,
    /// Share of barcode payments, percent (the rest are QR).
    pub barcode_pct: u32,
    /// Simulated seconds between payments.
    pub every_secs: i64,
}

impl Scenario {
    pub fn new(layout: Layout) -> Scenario {
        Scenario { payments: 10_000, seed: 20_240_601, fail_permille: 300, layout, barcode_pct: 50, every_secs: 6 }
    }
}

/// What happened to the sales of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub payments: u32,
    /// Sales whose order at the till ended paid.
    pub paid: u32,
    /// Barcode sales still unclear when the charge returned (the till waits; recovery settles them).
    pub unresolved: u32,
    /// Sales that moved to another account after a failed attempt.
    pub fallbacks: u32,
    /// Sales whose first attempt went to the failing account.
    pub first_on_flaky: u32,
    /// Requests the failing account received (payments, queries, closes, cancels).
    pub flaky_requests: u32,
    /// Times the failing account's breaker opened.
    pub breaker_trips: u32,
    /// Payers charged more than once for one sale (must be 0).
    pub double_charged: u32,
    /// Charges at the gateway the book does not hold as paid after follow-up (must be 0).
    pub unbooked: u32,
}

impl Report {
    /// Paid sales in per mille (display only; never used for money).
    pub fn paid_permille(&self) -> u32 {
        if self.payments == 0 {
            0
        } else {
            u32::try_from(u64::from(self.paid) * 1000 / u64::from(self.payments)).unwrap_or(0)
        }
    }
}

fn account(name: &str, priority: i32) -> AccountConfig {
    AccountConfig {
        name: name.into(),
        channel: "fake".into(),
        display_name: String::new(),
        enabled: true,
        priority,
        weight: 1,
        fee_rate_bp: 38,
        daily_cap: None,
        methods: vec![Method::Sandbox],
        base_url: None,
        params: toml::Table::new(),
        callback_allow: vec![],
        carried_keys: Default::default(),
    }
}

/// Runs one scenario with the given routing settings. Call it on a current-thread runtime: it
/// pauses tokio's clock, so the waits of the barcode follow-up (polls, cancel retries) take no
/// real time.
pub async fn run(s: &Scenario, routing: RoutingSettings) -> Result<Report, PayError> {
    tokio::time::pause();
    let dir = std::env::temp_dir().join(format!("paydesk-routing-sim-{}-{}", std::process::id(), rand::random::<u64>()));
    let out = run_in(&dir, s, routing).await;
    tokio::time::resume();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

async fn run_in(dir: &std::path::Path, s: &Scenario, routing: RoutingSettings) -> Result<Report, PayError> {
    let store = Arc::new(Store::open(&dir.join("book.db"))?);
    let flaky_prio = 1;
    let steady_prio = if s.layout == Layout::FlakyPrimary { 2 } else { 1 };
    store.upsert_account(&account("flaky", flaky_prio))?;
    store.upsert_account(&account("steady", steady_prio))?;
    let gw = FakeGateway::new(s.seed);
    gw.fail_randomly("flaky", s.fail_permille);
    let g2 = gw.clone();
    let factory: crate::payments::ChannelFactory = Arc::new(move |a: &AccountConfig| Ok(g2.channel(&a.name)));
    let start = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(); // 2026-01-01 00:00 UTC
    let clock = Arc::new(ManualClock::new(start));
    let settings = Settings { routing, ..Settings::default() };
    debug_assert_eq!((settings.barcode_wait_secs, settings.barcode_poll_secs), (60, 3));
    // The shipped defaults: a payer gets 60 s, queried every 3 s.
    let timing = Timing::from_settings(&settings);
    let p = Payments::new(store.clone(), settings, factory)?.with_clock(clock.clone()).with_timing(timing);
    let mut rng = StdRng::seed_from_u64(s.seed ^ 0x5eed);
    let mut r = Report { payments: s.payments, ..Report::default() };
    for i in 0..s.payments {
        clock.advance(chrono::Duration::seconds(s.every_secs));
        let amount = Money::from_fen(rng.gen_range(100..50_000)).map_err(|e| PayError::Conflict(e.to_string()))?;
        let key = Some(format!("sale-{i}"));
        let order = if rng.gen_range(0..100) < s.barcode_pct {
            // A paying customer's code (never ending 5 or 7: no password, no decline).
            let code = format!("99{:015}{}", rng.gen_range(0..1_000_000_000_000_000u64), [0, 1, 2, 3, 4, 6, 8, 9][rng.gen_range(0..8)]);
            let o = settled(&p, p.barcode_pay(BarcodeInput { amount, auth_code: code, idempotency_key: key.clone(), ..Default::default() }, &crate::Principal::System).await, key.as_deref())?;
            if !o.status.is_final() {
                r.unresolved += 1;
            }
            o
        } else {
            let o = settled(&p, p.create_qr(QrInput { amount, idempotency_key: key.clone(), ..Default::default() }, &crate::Principal::System).await, key.as_deref())?;
            if o.status == OrderStatus::Processing && gw.customer_pays(&o.account, o.order_no.as_str()) {
                follow(&p, &clock, &o).await?
            } else {
                o
            }
        };
        let route = p.store().route(&order.order_no)?;
        let attempts = route.map(|d| d.attempts).unwrap_or_default();
        if attempts.len() > 1 {
            r.fallbacks += 1;
        }
        if attempts.first().is_some_and(|a| a.account == "flaky") {
            r.first_on_flaky += 1;
        }
        // The truth at the gateway, after the follow-up the follower would do.
        let mut charged = 0;
        for a in &attempts {
            if gw.charged(&a.account, a.order_no.as_str()) {
                charged += 1;
                let booked = follow(&p, &clock, &p.store().order(&a.order_no)?).await?;
                if booked.status != OrderStatus::Success {
                    r.unbooked += 1;
                }
            }
        }
        if charged > 1 {
            r.double_charged += 1;
        }
        if p.store().order(&order.order_no)?.status == OrderStatus::Success && order.status == OrderStatus::Success {
            r.paid += 1;
        }
    }
    r.flaky_requests = gw.requests("flaky");
    r.breaker_trips = p.account_health().iter().find(|h| h.account == "flaky").map_or(0, |h| h.health.trips);
    Ok(r)
}

/// The order a sale ended on: the one returned, or — when the call failed after writing (e.g. a
/// QR code that could not be created nor closed) — the one holding the sale's key.
fn settled(p: &Payments, r: Result<Order, PayError>, key: Option<&str>) -> Result<Order, PayError> {
    match r {
        Ok(o) => Ok(o),
        Err(PayError::Channel(e)) => p.store().order_by_idempotency_key(key.unwrap_or_default())?.ok_or(PayError::Channel(e)),
        Err(e) => Err(e),
    }
}

/// Follows an order the way the follower would (queries until final, a few tries), without
/// moving the clock past its expiry.
async fn follow(p: &Payments, clock: &ManualClock, o: &Order) -> Result<Order, PayError> {
    let mut o = o.clone();
    for _ in 0..20 {
        if o.status.is_final() {
            break;
        }
        o = match p.query(&o.order_no, EventSource::Poll).await {
            Ok(o) => o,
            Err(_) => p.store().order(&o.order_no)?,
        };
        clock.advance(chrono::Duration::milliseconds(100));
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The measurement: 10,000 payments, one account failing 30 % of requests, routing on
    /// vs off. On must be strictly better and at least 99 %; nobody is ever charged twice.
    #[tokio::test]
    async fn routing_on_beats_off_over_10000_payments() {
        for layout in [Layout::FlakyPrimary, Layout::EqualPriority] {
            let s = Scenario::new(layout);
            let on = run(&s, RoutingSettings::default()).await.unwrap();
            let off = run(&s, RoutingSettings::off()).await.unwrap();
            println!("{layout:?}: on {on:?}\n{layout:?}: off {off:?}");
            assert!(on.paid > off.paid, "{layout:?}: routing on must be strictly better: {on:?} vs {off:?}");
            assert!(on.paid_permille() >= 990, "{layout:?}: routing on below 99 %: {on:?}");
            assert_eq!((on.double_charged, off.double_charged), (0, 0), "nobody is charged twice");
            assert_eq!((on.unbooked, off.unbooked), (0, 0), "every charge is booked");
            assert_eq!(off.fallbacks, 0, "off means no fallback");
            assert_eq!(off.breaker_trips, 0, "off means no breaker");
            assert!(on.fallbacks > 0 && on.breaker_trips > 0, "{on:?}");
        }
    }

    #[tokio::test]
    async fn deterministic_for_a_seed() {
        let s = Scenario { payments: 300, ..Scenario::new(Layout::EqualPriority) };
        let a = run(&s, RoutingSettings::default()).await.unwrap();
        let b = run(&s, RoutingSettings::default()).await.unwrap();
        assert_eq!(a, b);
    }
}
