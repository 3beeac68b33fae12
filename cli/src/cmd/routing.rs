//! `accounts set` (routing settings at run time, audited) and the text of routing decisions and
//! account health for `show` and `status`.

use std::path::Path;

use clap::Args;
use paydesk_core::payments::AccountPatch;
use paydesk_core::routing::{Note, Outcome, RouteDecision};
use paydesk_core::Money;
use serde_json::json;

use crate::ctx;
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
        return Err(CliError::invalid("settings", "name at least one of --priority, --weight, --fee-rate-bp, --daily-cap, --enable, --disable"));
    }
    let p = ctx::open(home)?;
    let (acct, changes) = p.update_account(&a.name, &patch, &paydesk_core::Principal::os())?;
    o.print(&json!({"account": acct.name, "changes": changes}), || {
        if changes.is_empty() {
            format!("{}: nothing to change", acct.name)
        } else {
            format!("{}: {}", acct.name, changes.join("; "))
        }
    });
    Ok(EXIT_OK)
}

/// The routing section of `paydesk show`.
pub(crate) fn describe(d: &RouteDecision) -> String {
    let mut s = format!("\nRouting   {} {} · {}{}\n", d.method, d.kind.as_str(), if d.fallback { "fallback on" } else { "no fallback" }, match d.mode {
        paydesk_core::routing::RouteMode::Named => " · account named by the caller",
        paydesk_core::routing::RouteMode::Auto => "",
    });
    for (i, c) in d.candidates.iter().enumerate() {
        let h = &c.health;
        let rate = h.success_pct().map_or_else(|| "no calls yet".to_string(), |p| format!("{p} % of {} calls", h.calls));
        let note = match &c.note {
            Some(Note::Demoted { .. }) => " · demoted (poor health)",
            Some(Note::Probe) => " · probe after cool-down",
            None => "",
        };
        s.push_str(&format!("  {}. {:<20} priority {} weight {} · {rate} · breaker {:?}{note}\n", i + 1, c.account, c.priority, c.weight, h.state));
    }
    for k in &d.skipped {
        s.push_str(&format!("  skipped {:<14} {}\n", k.account, k.reason));
    }
    for a in &d.attempts {
        let what = match &a.outcome {
            Outcome::InProgress => "in progress".to_string(),
            Outcome::Accepted => "accepted".to_string(),
            Outcome::Refused { message, .. } => format!("refused: {message}"),
            Outcome::NotReached { message, .. } => format!("not reached, nothing charged: {message}"),
            Outcome::Abandoned { message, .. } => format!("unclear ({message}); never shown, closed at the channel"),
            Outcome::Uncharged { message, proof, .. } => format!("unclear ({message}); {proof}"),
            Outcome::Unresolved { message, .. } => format!("unclear ({message}); still being settled"),
        };
        s.push_str(&format!("  attempt {} on {}: {what}\n", a.order_no, a.account));
    }
    s
}

/// The accounts lines of `paydesk status` (from the service's `/status`).
pub(crate) fn health_lines(v: &serde_json::Value) -> String {
    let Some(list) = v["accounts"].as_array() else { return String::new() };
    let mut s = String::from("\n  accounts");
    for a in list {
        let h = &a["health"];
        let rate = h["success_permille"].as_u64().map_or_else(|| "no calls yet".to_string(), |p| format!("{} % of {} calls", p / 10, h["calls"]));
        s.push_str(&format!("\n    {:<20} {:<9} {rate}, {} failures in a row{}", a["account"].as_str().unwrap_or("?"), h["state"].as_str().unwrap_or("?"), h["fail_streak"], if a["degraded"] == true { " (demoted)" } else { "" }));
    }
    s
}
