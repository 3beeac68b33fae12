//! Settings: order lifetime, callback mode (and its live status), voice, customer display.

use paydesk_core::auth::Action;
use paydesk_core::config::{CallbackMode, Settings};
use paydesk_core::routing::limits::{DailyLimit, Limits};
use paydesk_core::store::Outcome;
use paydesk_server::tunnel::TunnelState;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub settings: Settings,
    /// The daily limits in force (may differ from the file until the next start of a service).
    pub limits: Limits,
    pub voice: bool,
    pub customer_display: bool,
    /// Idle logout, minutes (0 = never).
    pub idle_logout_mins: u32,
    pub home: String,
}

pub fn pref_on(st: &AppState, key: &str, default: bool) -> bool {
    st.store().pref(key).ok().flatten().map_or(default, |v| v == "on")
}

#[tauri::command]
pub fn get_settings(st: State<'_, AppState>) -> CmdResult<SettingsView> {
    st.require(Action::ViewSettings)?;
    Ok(SettingsView {
        settings: Settings::load(&st.home).unwrap_or_else(|_| st.payments.settings().clone()),
        limits: st.payments.limits(),
        voice: st.voice.enabled(),
        customer_display: pref_on(&st, "customer_display", true),
        idle_logout_mins: crate::state::idle_logout_mins(st.store()),
        home: st.home.display().to_string(),
    })
}

#[derive(Debug, Deserialize)]
pub struct SettingsInput {
    pub qr_lifetime_secs: u64,
    pub callback: CallbackMode,
    pub voice: bool,
    pub customer_display: bool,
    /// Idle logout, minutes (0 = never); absent: unchanged.
    #[serde(default)]
    pub idle_logout_mins: Option<u32>,
}

/// Saves settings. Voice applies at once; lifetime, callback mode and the customer display
/// apply at the next start (the answer says so).
#[tauri::command]
pub fn save_settings(st: State<'_, AppState>, input: SettingsInput) -> CmdResult<bool> {
    st.require(Action::ManageSettings)?;
    if !(30..=3600).contains(&input.qr_lifetime_secs) {
        return Err(AppError::invalid("qr_lifetime_secs", "must be between 30 and 3600 seconds"));
    }
    if input.idle_logout_mins.is_some_and(|m| m > 240) {
        return Err(AppError::invalid("idle_logout_mins", "must be 0 (never) to 240 minutes"));
    }
    if let CallbackMode::PublicUrl { base_url } = &input.callback {
        paydesk_core::url::https_or_loopback(base_url).map_err(|e| AppError::invalid("base_url", e.0))?;
    }
    let mut s = Settings::load(&st.home).unwrap_or_else(|_| st.payments.settings().clone());
    let restart = s.qr_lifetime_secs != input.qr_lifetime_secs || s.callback != input.callback || pref_on(&st, "customer_display", true) != input.customer_display;
    s.qr_lifetime_secs = input.qr_lifetime_secs;
    s.callback = input.callback;
    s.save(&st.home)?;
    st.store().set_pref("voice", if input.voice { "on" } else { "off" })?;
    st.store().set_pref("customer_display", if input.customer_display { "on" } else { "off" })?;
    st.voice.set_enabled(input.voice);
    if let Some(m) = input.idle_logout_mins {
        st.store().set_pref("idle_logout_mins", &m.to_string())?;
    }
    let idle = crate::state::idle_logout_mins(st.store());
    st.audit("settings", None, Outcome::Ok, &format!("qr_lifetime_secs={} callback={:?} voice={} customer_display={} idle_logout_mins={idle}", s.qr_lifetime_secs, s.callback, input.voice, input.customer_display));
    Ok(restart)
}

/// Daily limits as the settings screen edits them: empty = no limit. Per-person limits
/// (`[limits.cashiers."name"]` in config.toml) are kept as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsInput {
    pub cashier_count: Option<u32>,
    pub cashier_amount: Option<String>,
    pub till_count: Option<u32>,
    pub till_amount: Option<String>,
}

fn limit_amount(v: &Option<String>, field: &str) -> CmdResult<Option<paydesk_core::Money>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => paydesk_core::Money::parse_yuan(s).map(Some).map_err(|e| AppError::invalid(field, &e.to_string())),
    }
}

impl LimitsInput {
    pub fn apply(&self, l: &mut Limits) -> CmdResult<()> {
        l.cashier = DailyLimit { count: self.cashier_count, amount: limit_amount(&self.cashier_amount, "cashier_amount")? };
        l.till = DailyLimit { count: self.till_count, amount: limit_amount(&self.till_amount, "till_amount")? };
        l.validate().map_err(|e| AppError::new("invalid", e.to_string()))
    }
}

/// Saves the daily limits per cashier and per till; they apply to the next payment.
#[tauri::command]
pub fn save_limits(st: State<'_, AppState>, input: LimitsInput) -> CmdResult<Limits> {
    st.require(Action::ManageSettings)?;
    let mut s = Settings::load(&st.home).unwrap_or_else(|_| st.payments.settings().clone());
    let before = st.payments.limits();
    let mut limits = before.clone();
    input.apply(&mut limits)?;
    s.limits = limits.clone();
    s.save(&st.home)?;
    // A till of a shared book: the shop's limits, for every till (refused while offline).
    paydesk_core::shop::publish(st.store(), &paydesk_core::shop::effective_settings(&st.home, st.store()).map(|mut e| {
        e.limits = limits.clone();
        e
    }).unwrap_or_else(|_| s.clone()))?;
    st.payments.set_limits(limits.clone())?;
    let show = |l: &DailyLimit| format!("{}/{}", l.count.map_or("-".into(), |c| c.to_string()), l.amount.map_or("-".into(), |a| a.to_string()));
    st.audit("settings", None, Outcome::Ok, &format!("limits: cashier {} → {}, till {} → {} (count/amount per day)", show(&before.cashier), show(&limits.cashier), show(&before.till), show(&limits.till)));
    Ok(limits)
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CallbackStatus {
    /// `polling_only`, `public_url`, `tunnel`.
    pub mode: &'static str,
    /// `on` (callbacks can arrive), `connecting` (tunnel on its way), `off` (not running),
    /// `polling` (no callbacks by choice).
    pub state: &'static str,
    pub detail: String,
}

/// What the running app does about callbacks right now.
pub fn status_of(mode: &CallbackMode, notify_base: Option<String>, tunnel: Option<TunnelState>) -> CallbackStatus {
    match (mode, notify_base) {
        (CallbackMode::Tunnel { .. }, _) => match tunnel {
            Some(TunnelState::Connected { public_url }) => CallbackStatus { mode: "tunnel", state: "on", detail: public_url },
            Some(TunnelState::Connecting { server }) => CallbackStatus { mode: "tunnel", state: "connecting", detail: server },
            Some(TunnelState::Reconnecting { attempt, error, retry_in_secs }) => {
                CallbackStatus { mode: "tunnel", state: "connecting", detail: format!("attempt {attempt}: {error}; retry in {retry_in_secs} s") }
            }
            Some(TunnelState::Off) | None => CallbackStatus { mode: "tunnel", state: "off", detail: "the tunnel is not running (restart to apply); orders are followed by polling".into() },
        },
        (CallbackMode::PublicUrl { .. } | CallbackMode::PollingOnly, Some(base)) => CallbackStatus { mode: mode_name(mode), state: "on", detail: base },
        (CallbackMode::PublicUrl { base_url }, None) => CallbackStatus { mode: "public_url", state: "off", detail: format!("{base_url} is not in use (restart to apply)") },
        (CallbackMode::PollingOnly, None) => CallbackStatus { mode: "polling_only", state: "polling", detail: String::new() },
    }
}

fn mode_name(m: &CallbackMode) -> &'static str {
    match m {
        CallbackMode::PollingOnly => "polling_only",
        CallbackMode::PublicUrl { .. } => "public_url",
        CallbackMode::Tunnel { .. } => "tunnel",
    }
}

#[tauri::command]
pub fn callback_status(st: State<'_, AppState>) -> CmdResult<CallbackStatus> {
    st.require(Action::ViewSettings)?;
    let base = st.payments.notify_url("x").map(|u| u.trim_end_matches("/cb/x").to_string());
    let tunnel = st.service.as_ref().map(|s| s.tunnel_state());
    Ok(status_of(&st.payments.settings().callback, base, tunnel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnel_status_is_live() {
        let t = CallbackMode::Tunnel { server: "t.example".into(), secret_file: None };
        assert_eq!(status_of(&t, None, None).state, "off");
        assert_eq!(status_of(&t, None, Some(TunnelState::Connecting { server: "t.example".into() })).state, "connecting");
        let on = status_of(&t, Some("http://t.example:4000".into()), Some(TunnelState::Connected { public_url: "http://t.example:4000".into() }));
        assert_eq!((on.state, on.detail.as_str()), ("on", "http://t.example:4000"));
        assert_eq!(status_of(&CallbackMode::PollingOnly, None, None).state, "polling");
        assert_eq!(status_of(&CallbackMode::PollingOnly, Some("http://127.0.0.1:1".into()), None).state, "on");
        let p = CallbackMode::PublicUrl { base_url: "https://x".into() };
        assert_eq!(status_of(&p, None, None).state, "off");
        assert_eq!(status_of(&p, Some("https://x".into()), None).detail, "https://x");
    }
}
