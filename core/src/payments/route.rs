//! Routing a new payment: its method, the daily limits, the plan of candidate accounts, and the
//! recorded decision. The QR and barcode flows (`qr.rs`, `barcode.rs`) walk the plan, one order
//! per attempt.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{invalid, PayError, Payments};
use crate::account::AccountConfig;
use crate::ids::OrderNo;
use crate::money::Money;
use crate::order::{Method, Order, PayKind};
use crate::principal::Principal;
use crate::routing::limits::{self, Scope};
use crate::routing::{Admit, Attempt, Candidate, Outcome, Request, RouteDecision, RouteMode, Skip, Skipped};
use crate::store::{AuditEntry, NewOrder, Outcome as AuditOutcome, UsageOf};

/// A payment ready to be attempted: its method, the accounts to try in order, the decision so far.
pub(super) struct Routed {
    pub(super) method: Method,
    accounts: std::collections::VecDeque<AccountConfig>,
    pub(super) decision: RouteDecision,
    /// Most accounts to try (1 without fallback), and how many were tried.
    max_attempts: usize,
    tried: usize,
}

impl Routed {
    fn new(method: Method, accounts: Vec<AccountConfig>, decision: RouteDecision, max_attempts: usize) -> Routed {
        Routed { method, accounts: accounts.into(), decision, max_attempts, tried: 0 }
    }

    /// The next account to try: the breaker is asked right now (a refusal is recorded as a
    /// skip); none once `max_attempts` accounts were tried.
    pub(super) fn next(&mut self, p: &Payments) -> Option<AccountConfig> {
        while self.tried < self.max_attempts {
            let a = self.accounts.pop_front()?;
            if p.admit(&mut self.decision, &a.name) {
                self.tried += 1;
                return Some(a);
            }
        }
        None
    }

    /// The error when no attempt could be made (every candidate refused by its breaker).
    pub(super) fn exhausted(&self) -> PayError {
        let skipped: Vec<String> = self.decision.skipped.iter().map(|s| format!("{}: {}", s.account, s.reason)).collect();
        PayError::NoAccount { method: self.method, kind: self.decision.kind.as_str(), detail: format!(" (skipped: {})", skipped.join("; ")) }
    }
}

/// What the caller asked for.
pub(super) struct Ask<'a> {
    pub(super) method: Option<Method>,
    pub(super) kind: PayKind,
    pub(super) amount: Money,
    pub(super) account: Option<&'a str>,
    pub(super) channel: Option<&'a str>,
    /// Who asks (daily limits count by principal, never by a label).
    pub(super) by: &'a Principal,
}

impl Payments {
    /// Everything decided before an order is written: method, limits, candidates. An error here
    /// has written no order.
    pub(super) fn route(&self, ask: &Ask<'_>) -> Result<Routed, PayError> {
        let (accounts, unusable) = {
            let live = self.live.read().unwrap_or_else(|p| p.into_inner());
            (live.accounts.clone(), live.unusable.clone())
        };
        let mut accounts = accounts;
        if let Some(ch) = ask.channel {
            accounts.retain(|(a, _)| a.channel == ch);
            if accounts.is_empty() {
                return Err(invalid("channel", format!("no account of channel {ch:?} is configured")));
            }
        }
        let now = self.now();
        let routing = self.router.settings();
        if let Some(name) = ask.account {
            let (a, caps) = accounts.iter().find(|(a, _)| a.name == name).ok_or_else(|| invalid("account", format!("no account named {name:?}")))?;
            if !a.enabled {
                return Err(invalid("account", format!("account {name:?} is disabled")));
            }
            let m = match ask.method {
                Some(m) => m,
                None => *a.methods.first().or(caps.methods.first()).ok_or_else(|| invalid("method", "the account serves no method"))?,
            };
            if !crate::routing::serves(a, caps, m) {
                return Err(invalid("method", format!("account {name:?} does not take {m}")));
            }
            self.check_limits(ask.by, ask.amount)?;
            let health = self.router.health().snapshot(name, now);
            let cand = Candidate { account: a.name.clone(), channel: a.channel.clone(), priority: a.priority, weight: a.weight, health, note: None };
            let decision = RouteDecision { at: now, method: m, kind: ask.kind, mode: RouteMode::Named, channel_filter: ask.channel.map(str::to_string), fallback: false, candidates: vec![cand], skipped: vec![], attempts: vec![] };
            return Ok(Routed::new(m, vec![a.clone()], decision, 1));
        }
        let method = match ask.method {
            Some(m) => m,
            None => {
                // The only method configured, if there is exactly one.
                let mut ms: Vec<Method> = accounts.iter().filter(|(a, _)| a.enabled).flat_map(|(a, c)| if a.methods.is_empty() { c.methods.clone() } else { a.methods.clone() }).collect();
                ms.sort();
                ms.dedup();
                match ms.as_slice() {
                    [m] => *m,
                    [] => return Err(PayError::NoAccount { method: Method::Sandbox, kind: ask.kind.as_str(), detail: ": no account is configured".into() }),
                    _ => return Err(invalid("method", "several methods are configured; name one (alipay, wechat, unionpay, …)")),
                }
            }
        };
        self.check_limits(ask.by, ask.amount)?;
        let today = self.today_start();
        let req = Request { method, kind: ask.kind, amount: ask.amount, now };
        let plan = self.router.plan(&accounts, &unusable, req, |name| self.store.account_volume_since(name, today).unwrap_or(Money::ZERO));
        let empty = plan.candidates.is_empty();
        let max = if routing.fallback { usize::try_from(routing.max_attempts).unwrap_or(1).max(1) } else { 1 };
        let chosen: Vec<AccountConfig> = plan.candidates.iter().filter_map(|c| accounts.iter().find(|(a, _)| a.name == c.account).map(|(a, _)| a.clone())).collect();
        let decision = RouteDecision {
            at: now,
            method,
            kind: ask.kind,
            mode: RouteMode::Auto,
            channel_filter: ask.channel.map(str::to_string),
            fallback: routing.fallback && max > 1,
            candidates: plan.candidates,
            skipped: plan.skipped,
            attempts: vec![],
        };
        let routed = Routed::new(method, chosen, decision, max);
        if empty {
            return Err(if routed.decision.skipped.is_empty() { PayError::NoAccount { method, kind: ask.kind.as_str(), detail: String::new() } } else { routed.exhausted() });
        }
        Ok(routed)
    }

    /// Refuses a payment that would pass the cashier's or the till's daily limit. The cashier
    /// limits apply to a person logged in at the till and count what that person took — an
    /// `operator` label sent by a client counts for nobody. The refusal is logged and written to
    /// the audit log; no order is written.
    pub(super) fn check_limits(&self, by: &Principal, amount: Money) -> Result<(), PayError> {
        let limits = self.limits.read().unwrap_or_else(|p| p.into_inner()).clone();
        let today = self.today_start();
        let till = self.settings.till_id.to_string();
        let mut checks = vec![(limits.till.clone(), Scope::Till(till.clone()))];
        if let Some(name) = by.user_name() {
            checks.push((limits.for_cashier(name).clone(), Scope::Cashier(name.to_string())));
        }
        for (limit, scope) in checks {
            if limit.is_none() {
                continue;
            }
            let used = match &scope {
                Scope::Cashier(_) => self.store.usage_since(UsageOf::Principal(by), today)?,
                Scope::Till(t) => self.store.usage_since(UsageOf::Till(t), today)?,
            };
            if let Err(e) = limits::check(&limit, &scope, used, amount) {
                tracing::warn!(limit = %e.setting(), "payment refused: {e}");
                let target = match &scope {
                    Scope::Cashier(n) | Scope::Till(n) => n.as_str(),
                };
                let entry = AuditEntry::by(by, "limit_refused", Some(target), AuditOutcome::Denied, e.to_string(), self.now());
                if let Err(err) = self.store.append_audit(&entry) {
                    tracing::error!("audit entry not written: {err}");
                }
                return Err(PayError::Limit(e));
            }
        }
        Ok(())
    }

    /// Asks the breaker right before an attempt (health may have changed since the plan). A
    /// refusal is recorded as a skip.
    fn admit(&self, decision: &mut RouteDecision, account: &str) -> bool {
        if decision.mode == RouteMode::Named {
            return true;
        }
        let reason = match self.router.health().admit(account, self.now()) {
            Admit::Yes | Admit::Probe => return true,
            Admit::No { until } => Skip::CircuitOpen { until },
            Admit::ProbeBusy => Skip::ProbeBusy,
        };
        decision.skipped.push(Skipped { account: account.to_string(), reason });
        false
    }

    /// The order of one attempt, with a fresh number reserved in the book.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn attempt_order(&self, kind: PayKind, method: Method, account: &AccountConfig, amount: Money, subject: &str, who: (Option<&str>, &Principal), key: Option<&str>, auth: Option<String>, lifetime: Duration, sale: Option<&crate::store::SalePart>) -> Result<NewOrder, PayError> {
        let (operator, by) = who;
        let now = self.now();
        Ok(NewOrder {
            order_no: self.next_order_no(now)?,
            kind,
            method,
            channel: account.channel.clone(),
            account: account.name.clone(),
            amount,
            fee: amount.fee_at(account.fee_rate_bp),
            subject: subject.to_string(),
            auth_code_masked: auth,
            operator: operator.map(str::to_string),
            principal: by.clone(),
            till: self.settings.till_id.to_string(),
            idempotency_key: key.map(str::to_string),
            created_at: now,
            expires_at: now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::minutes(5)),
            sale: sale.cloned(),
        })
    }

    /// Writes an attempt's order with the decision: the first as a new order, a later one as
    /// the fallback of `prev` (which hands over the sale; `expire_prev` makes the follower close
    /// it at once).
    pub(super) fn write_attempt(&self, decision: &mut RouteDecision, prev: Option<(&OrderNo, Option<DateTime<Utc>>)>, order: NewOrder) -> Result<Order, PayError> {
        decision.attempts.push(Attempt { order_no: order.order_no.clone(), account: order.account.clone(), at: order.created_at, outcome: Outcome::InProgress });
        let o = match prev {
            None => self.store.insert_routed_order(&order, decision)?,
            Some((prev, expire)) => {
                let note = format!("the sale moved to order {} on account {}", order.order_no, order.account);
                self.store.insert_fallback_order(prev, &order, decision, &note, expire)?
            }
        };
        self.emit(&o);
        Ok(o)
    }

    /// Sets the outcome of the latest attempt and saves the decision.
    pub(super) fn set_outcome(&self, decision: &mut RouteDecision, outcome: Outcome) {
        if let Some(last) = decision.attempts.last_mut() {
            last.outcome = outcome;
        }
        if let Err(e) = self.store.save_route(decision, self.now()) {
            tracing::error!("routing decision not saved: {e}");
        }
    }
}
