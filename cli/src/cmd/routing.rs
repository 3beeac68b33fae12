//! `accounts set` (routing settings at run time, audited) and the text of routing decisions and
//! account health for `show` and `status`.

use std::path::Path;

use clap::Args;
use paydesk_core::payments::AccountPatch;
use paydesk_core::routing::{Note, Outcome, RouteDecision, Skip};
use paydesk_core::Money;
use serde_json::json;

use crate::ctx;
use crate::i18n::{self, catalog as m, t, tr};
use crate::out::{CliError, Out, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct SetArgs {
    /// Account name.
    name: String,
    /// Lower is tried first (1 = first choice).
    #[arg(long, allow_negative_numbers = true)]
    priority: Option<i32>,
    /// Share among accounts of equal priority (1 or more).
    #[arg(long)]
    weight: Option<u32>,
    /// Fee in basis points (38 = 0.38 %).
    #[arg(long)]
    fee_rate_bp: Option<u32>,
    /// Most the account may take per day, yuan ("50000.00"), or "none".
    #[arg(long)]
    daily_cap: Option<String>,
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    #[arg(long)]
    disable: bool,
}

/// Changes an account's routing settings. A running `paydesk serve` (or the app) picks the change
/// up within a second or two; the change is written to the audit log with who made it.
pub(crate) fn set(home: &Path, a: SetArgs, o: &Out) -> Result<i32, CliError> {
    let daily_cap = match a.daily_cap.as_deref().map(str::trim) {
        None => None,
        Some("none" | "") => Some(None),
        Some(s) => Some(Some(Money::parse_yuan(s).map_err(|e| CliError::invalid("daily_cap", e))?)),
    };
    let enabled = if a.enable { Some(true) } else if a.disable { Some(false) } else { None };
    let patch = AccountPatch { enabled, priority: a.priority, weight: a.weight, fee_rate_bp: a.fee_rate_bp, daily_cap };
    if patch == AccountPatch::default() {
        return Err(CliError::invalid("settings", t(m::SET_NOTHING_NAMED)));
    }
    let p = ctx::open(home)?;
    let (acct, changes) = p.update_account(&a.name, &patch, &paydesk_core::Principal::os())?;
    o.print(&json!({"account": acct.name, "changes": changes}), || {
        if changes.is_empty() {
            tr!(SET_NOTHING_CHANGED, account = acct.name)
        } else {
            tr!(SET_CHANGED, account = acct.name, changes = changes.join("; "))
        }
    });
    Ok(EXIT_OK)
}

/// Why the router skipped an account, in words.
fn skip_text(k: &Skip) -> String {
    match k {
        Skip::Disabled => t(m::SKIP_DISABLED).into(),
        Skip::Unusable => t(m::SKIP_UNUSABLE).into(),
        Skip::MethodNotServed => t(m::SKIP_METHOD).into(),
        Skip::KindNotSupported => t(m::SKIP_KIND).into(),
        Skip::OverDailyCap { used, cap } => tr!(SKIP_CAP, used = used, cap = cap),
        Skip::CircuitOpen { until } => tr!(SKIP_OPEN, until = until.format("%H:%M:%S")),
        Skip::ProbeBusy => t(m::SKIP_PROBE_BUSY).into(),
    }
}

/// The routing section of `paydesk show`.
pub(crate) fn describe(d: &RouteDecision) -> String {
    let fallback = t(if d.fallback { m::ROUTE_FALLBACK_ON } else { m::ROUTE_FALLBACK_OFF });
    let named = match d.mode {
        paydesk_core::routing::RouteMode::Named => t(m::ROUTE_NAMED),
        paydesk_core::routing::RouteMode::Auto => "",
    };
    let mut s = format!("\n{}\n", tr!(ROUTE_HEAD, method = i18n::method_name(d.method.as_str()), kind = i18n::kind_name(d.kind.as_str()), fallback = fallback, named = named));
    for (i, c) in d.candidates.iter().enumerate() {
        let h = &c.health;
        let rate = h.success_pct().map_or_else(|| t(m::ROUTE_NO_CALLS).to_string(), |p| tr!(ROUTE_RATE, pct = p, calls = h.calls));
        let note = match &c.note {
            Some(Note::Demoted { .. }) => t(m::ROUTE_DEMOTED),
            Some(Note::Probe) => t(m::ROUTE_PROBE),
            None => "",
        };
        let breaker = t(match h.state {
            paydesk_core::routing::BreakerState::Closed => m::BREAKER_CLOSED,
            paydesk_core::routing::BreakerState::Open => m::BREAKER_OPEN,
            paydesk_core::routing::BreakerState::HalfOpen => m::BREAKER_HALF_OPEN,
        });
        s.push_str(&tr!(ROUTE_CANDIDATE, n = i + 1, account = i18n::pad(&c.account, 20), priority = c.priority, weight = c.weight, rate = rate, breaker = breaker, note = note));
        s.push('\n');
    }
    for k in &d.skipped {
        s.push_str(&tr!(ROUTE_SKIPPED, account = i18n::pad(&k.account, 14), reason = skip_text(&k.reason)));
        s.push('\n');
    }
    for a in &d.attempts {
        let what = match &a.outcome {
            Outcome::InProgress => t(m::OUT_IN_PROGRESS).to_string(),
            Outcome::Accepted => t(m::OUT_ACCEPTED).to_string(),
            Outcome::Refused { message, .. } => tr!(OUT_REFUSED, message = message),
            Outcome::NotReached { message, .. } => tr!(OUT_NOT_REACHED, message = message),
            Outcome::Abandoned { message, .. } => tr!(OUT_ABANDONED, message = message),
            Outcome::Uncharged { message, proof, .. } => tr!(OUT_UNCHARGED, message = message, proof = proof),
            Outcome::Unresolved { message, .. } => tr!(OUT_UNRESOLVED, message = message),
        };
        s.push_str(&tr!(ROUTE_ATTEMPT, order = a.order_no, account = a.account, what = what));
        s.push('\n');
    }
    s
}

/// The accounts lines of `paydesk status` (from the service's `/status`).
pub(crate) fn health_lines(v: &serde_json::Value) -> String {
    let Some(list) = v["accounts"].as_array() else { return String::new() };
    let mut s = format!("\n{}", t(m::STATUS_ACCOUNTS));
    for a in list {
        let h = &a["health"];
        let rate = h["success_permille"].as_u64().map_or_else(|| t(m::STATUS_NO_CALLS).to_string(), |p| tr!(STATUS_RATE, pct = p / 10, calls = h["calls"]));
        let demoted = if a["degraded"] == true { t(m::STATUS_DEMOTED) } else { "" };
        s.push('\n');
        s.push_str(&tr!(STATUS_ACCOUNT, account = i18n::pad(a["account"].as_str().unwrap_or("?"), 20), state = i18n::pad(h["state"].as_str().unwrap_or("?"), 9), rate = rate, streak = h["fail_streak"], demoted = demoted));
    }
    s
}
