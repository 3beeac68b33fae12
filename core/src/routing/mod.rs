//! Picks the merchant account for a payment, and keeps what that needs: account health with a
//! circuit breaker ([`health`]), weighted round-robin among equals ([`wrr`]), daily limits per
//! cashier and till ([`limits`]), and the recorded decision ([`decision`]).
//!
//! A plan lists the candidates in the order to try them:
//! 1. accounts that cannot take the payment are skipped with a reason: disabled, unusable
//!    (channel not buildable), method or payment kind not served, over the daily cap, breaker
//!    open (or half-open with a probe already under way);
//! 2. the rest by priority (lower first); within a priority, healthy accounts by smooth weighted
//!    round-robin, then accounts whose recent success rate is poor (demoted, still tried as a
//!    fallback).
//!
//! The payments service walks the plan (`payments::route`): the breaker is asked again right
//! before each attempt, because health may have changed since the plan was made.

pub mod decision;
pub mod health;
pub mod limits;
#[cfg(any(test, feature = "simulation"))]
pub mod simulation;
mod wrr;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::account::AccountConfig;
use crate::channel::Capabilities;
use crate::clock::{Clock, SystemClock};
use crate::config::RoutingSettings;
use crate::money::Money;
use crate::order::{Method, PayKind};

pub use decision::{Attempt, Candidate, Note, Outcome, RouteDecision, RouteMode, Skip, Skipped};
pub use health::{Admit, BreakerState, CallOutcome, FailKind, Health, HealthSnapshot};

/// The methods an account serves: its own list, else its channel's.
pub fn serves(account: &AccountConfig, caps: &Capabilities, method: Method) -> bool {
    if account.methods.is_empty() {
        caps.methods.contains(&method)
    } else {
        account.methods.contains(&method)
    }
}

/// Candidates in the order to try them, and the accounts skipped with the reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
}

/// What is being routed.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub method: Method,
    pub kind: PayKind,
    pub amount: Money,
    pub now: DateTime<Utc>,
}

/// Routing state: health per account and round-robin scores. Both are keyed by account name
/// and survive `Payments::reload_accounts`.
#[derive(Debug)]
pub struct Router {
    health: Health,
    wrr: Mutex<wrr::Wrr>,
    clock: RwLock<Arc<dyn Clock>>,
}

impl Default for Router {
    fn default() -> Self {
        Router::new(RoutingSettings::default())
    }
}

impl Router {
    pub fn new(cfg: RoutingSettings) -> Router {
        Router { health: Health::new(cfg), wrr: Mutex::new(wrr::Wrr::default()), clock: RwLock::new(Arc::new(SystemClock)) }
    }

    pub fn set_clock(&self, c: Arc<dyn Clock>) {
        *self.clock.write().unwrap_or_else(|p| p.into_inner()) = c;
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.read().unwrap_or_else(|p| p.into_inner()).now()
    }

    /// Records one channel call's outcome for an account, at the router's clock.
    pub fn record(&self, account: &str, outcome: CallOutcome, error: Option<String>) {
        let now = self.now();
        self.health.record(account, outcome, error, now);
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    pub fn settings(&self) -> &RoutingSettings {
        self.health.settings()
    }

    /// Plans a payment over `accounts`. `unusable` names accounts whose channel could not be
    /// built; `used_today` gives an account's volume today (for caps). Advances the round-robin.
    pub fn plan(&self, accounts: &[(AccountConfig, Capabilities)], unusable: &HashSet<String>, req: Request, mut used_today: impl FnMut(&str) -> Money) -> Plan {
        let mut plan = Plan::default();
        let mut eligible: Vec<(&AccountConfig, Candidate)> = Vec::new();
        for (a, caps) in accounts {
            let served = match req.kind {
                PayKind::Qr => caps.qr,
                PayKind::Barcode => caps.barcode,
                // Tenders are recorded at the till; no account ever takes one.
                PayKind::Tender => false,
            };
            let mut skip = if unusable.contains(&a.name) {
                Some(Skip::Unusable)
            } else if !a.enabled {
                Some(Skip::Disabled)
            } else if !serves(a, caps, req.method) {
                Some(Skip::MethodNotServed)
            } else if !served {
                Some(Skip::KindNotSupported)
            } else if let Some(cap) = a.daily_cap {
                let used = used_today(&a.name);
                (used.fen().saturating_add(req.amount.fen()) > cap.fen()).then_some(Skip::OverDailyCap { used, cap })
            } else {
                None
            };
            let mut note = None;
            if skip.is_none() {
                match self.health.peek(&a.name, req.now) {
                    Admit::Yes => {}
                    Admit::Probe => note = Some(Note::Probe),
                    Admit::No { until } => skip = Some(Skip::CircuitOpen { until }),
                    Admit::ProbeBusy => skip = Some(Skip::ProbeBusy),
                }
            }
            if let Some(reason) = skip {
                plan.skipped.push(Skipped { account: a.name.clone(), reason });
                continue;
            }
            let health = self.health.snapshot(&a.name, req.now);
            if self.health.is_degraded(&health) {
                note = Some(Note::Demoted { success_pct: health.success_pct().unwrap_or(0), calls: health.calls });
            }
            eligible.push((a, Candidate { account: a.name.clone(), channel: a.channel.clone(), priority: a.priority, weight: a.weight, health, note }));
        }
        eligible.sort_by(|x, y| x.0.priority.cmp(&y.0.priority).then_with(|| x.0.name.cmp(&y.0.name)));
        let mut wrr = self.wrr.lock().unwrap_or_else(|p| p.into_inner());
        let mut by_name: HashMap<String, Candidate> = eligible.iter().map(|(_, c)| (c.account.clone(), c.clone())).collect();
        let mut i = 0;
        while i < eligible.len() {
            let prio = eligible[i].0.priority;
            let j = eligible[i..].iter().position(|(a, _)| a.priority != prio).map_or(eligible.len(), |k| i + k);
            let group = &eligible[i..j];
            let demoted = |c: &Candidate| matches!(c.note, Some(Note::Demoted { .. }));
            let healthy: Vec<(&str, u32)> = group.iter().filter(|(_, c)| !demoted(c)).map(|(a, _)| (a.name.as_str(), a.weight)).collect();
            let poor: Vec<(&str, u32)> = group.iter().filter(|(_, c)| demoted(c)).map(|(a, _)| (a.name.as_str(), a.weight)).collect();
            // Only the group that supplies the first candidate takes a turn.
            let advance = plan.candidates.is_empty() && !healthy.is_empty();
            let mut order = wrr.order((req.method, prio), &healthy, advance);
            order.extend(wrr.order((req.method, prio), &poor, plan.candidates.is_empty() && healthy.is_empty()));
            plan.candidates.extend(order.into_iter().filter_map(|n| by_name.remove(n)));
            i = j;
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::health::{CallOutcome, FailKind};

    fn acct(name: &str, prio: i32, cap: Option<i64>) -> (AccountConfig, Capabilities) {
        let mut a: AccountConfig = toml::from_str(&format!("name = \"{name}\"\nchannel = \"sandbox\"\npriority = {prio}")).unwrap();
        a.daily_cap = cap.map(|c| Money::from_fen(c).unwrap());
        let caps = Capabilities { methods: vec![Method::Sandbox], qr: true, barcode: true, ..Default::default() };
        (a, caps)
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).unwrap()
    }

    fn req(fen: i64) -> Request {
        Request { method: Method::Sandbox, kind: PayKind::Qr, amount: Money::from_fen(fen).unwrap(), now: t0() }
    }

    fn names(p: &Plan) -> Vec<&str> {
        p.candidates.iter().map(|c| c.account.as_str()).collect()
    }

    #[test]
    fn priority_then_round_robin() {
        let accts = vec![acct("b", 1, None), acct("a", 1, None), acct("z", 5, None)];
        let r = Router::default();
        let none = HashSet::new();
        let firsts: Vec<String> = (0..4).map(|_| r.plan(&accts, &none, req(100), |_| Money::ZERO).candidates[0].account.clone()).collect();
        assert_eq!(firsts, ["a", "b", "a", "b"]);
        let p = r.plan(&accts, &none, req(100), |_| Money::ZERO);
        assert_eq!(names(&p), ["a", "b", "z"], "the other equal account is the first fallback, then the next priority");
    }

    #[test]
    fn weighted_spread_over_many_payments() {
        let mut accts = vec![acct("a", 1, None), acct("b", 1, None)];
        accts[0].0.weight = 3;
        let r = Router::default();
        let none = HashSet::new();
        let mut n_a = 0;
        for _ in 0..1000 {
            if r.plan(&accts, &none, req(100), |_| Money::ZERO).candidates[0].account == "a" {
                n_a += 1;
            }
        }
        assert_eq!(n_a, 750, "weight 3:1");
    }

    #[test]
    fn skips_with_reasons() {
        let mut accts = vec![acct("a", 1, Some(1000)), acct("b", 2, None), acct("c", 3, None), acct("d", 4, None), acct("e", 5, None)];
        accts[1].0.enabled = false;
        accts[2].0.methods = vec![Method::Alipay];
        accts[3].1.qr = false;
        let r = Router::default();
        let broken: HashSet<String> = ["e".to_string()].into();
        let p = r.plan(&accts, &broken, req(600), |_| Money::from_fen(500).unwrap());
        assert!(p.candidates.is_empty());
        let reasons: Vec<(&str, &Skip)> = p.skipped.iter().map(|s| (s.account.as_str(), &s.reason)).collect();
        assert_eq!(reasons[0], ("a", &Skip::OverDailyCap { used: Money::from_fen(500).unwrap(), cap: Money::from_fen(1000).unwrap() }));
        assert_eq!(reasons[1], ("b", &Skip::Disabled));
        assert_eq!(reasons[2], ("c", &Skip::MethodNotServed));
        assert_eq!(reasons[3], ("d", &Skip::KindNotSupported));
        assert_eq!(reasons[4], ("e", &Skip::Unusable));
        // Under the cap it is a candidate; the cap counts this payment too.
        assert_eq!(names(&r.plan(&accts, &broken, req(500), |_| Money::from_fen(500).unwrap())), ["a"]);
    }

    #[test]
    fn open_breaker_skips_and_poor_health_demotes() {
        let accts = vec![acct("a", 1, None), acct("b", 1, None), acct("c", 2, None)];
        let r = Router::default();
        let none = HashSet::new();
        for _ in 0..3 {
            r.health().record("a", CallOutcome::Failed(FailKind::Unreachable), Some("down".into()), t0());
        }
        let p = r.plan(&accts, &none, req(100), |_| Money::ZERO);
        assert_eq!(names(&p), ["b", "c"]);
        assert!(matches!(p.skipped[0].reason, Skip::CircuitOpen { .. }));
        // b: 10 calls, 6 answered → 60 %, never two failures in a row (the breaker stays closed).
        for i in 0..10 {
            r.health().record("b", if i % 3 == 0 { CallOutcome::Failed(FailKind::Error) } else { CallOutcome::Answered }, None, t0());
        }
        let accts2 = vec![acct("b", 1, None), acct("d", 1, None)];
        let p = r.plan(&accts2, &none, req(100), |_| Money::ZERO);
        assert_eq!(names(&p), ["d", "b"], "the healthy equal goes first");
        assert!(matches!(p.candidates[1].note, Some(Note::Demoted { .. })));
        // After the cool-down the open account is a candidate again, as a probe.
        let later = Request { now: t0() + chrono::Duration::seconds(31), ..req(100) };
        let p = r.plan(&accts, &none, later, |_| Money::ZERO);
        assert!(p.candidates.iter().any(|c| c.account == "a" && c.note.is_some()), "{p:?}");
    }
}
