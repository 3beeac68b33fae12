//! Channel accounts: list with live health, add/edit, routing settings inline (enable, priority,
//! weight, fee, cap — audited old → new, in effect for the next payment), key import (sealed),
//! test connection.

use paydesk_core::auth::Action;
use paydesk_core::channel::Capabilities;
use paydesk_core::payments::{AccountPatch, Probe};
use paydesk_core::routing::HealthSnapshot;
use paydesk_core::store::Outcome;
use paydesk_core::{AccountConfig, Money};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct AccountView {
    pub account: AccountConfig,
    pub capabilities: Capabilities,
    /// False when the channel could not be built (see the log) or the account is disabled.
    pub usable: bool,
    /// Success rate, streaks and breaker state from this app's calls.
    pub health: Option<HealthSnapshot>,
    /// Tried after the healthy accounts of its priority (low recent success rate).
    pub degraded: bool,
}

#[tauri::command]
pub fn list_accounts(st: State<'_, AppState>) -> CmdResult<Vec<AccountView>> {
    st.require(Action::ViewSettings)?;
    let live = st.payments.accounts();
    let health = st.payments.account_health();
    Ok(st
        .store()
        .accounts()?
        .into_iter()
        .map(|a| {
            let l = live.iter().find(|(l, _)| l.name == a.name);
            let h = health.iter().find(|h| h.account == a.name);
            AccountView {
                usable: l.is_some_and(|(l, _)| l.enabled),
                capabilities: l.map(|(_, c)| c.clone()).unwrap_or_default(),
                health: h.map(|h| h.health.clone()),
                degraded: h.is_some_and(|h| h.degraded),
                account: a,
            }
        })
        .collect())
}

#[tauri::command]
pub fn save_account(st: State<'_, AppState>, account: AccountConfig) -> CmdResult<()> {
    let s = st.require(Action::ManageAccounts)?;
    if !paydesk_channels::kinds().contains(&account.channel.as_str()) {
        return Err(AppError::invalid("channel", &format!("unknown channel (known: {})", paydesk_channels::kinds().join(", "))));
    }
    // Its channel must build first: key files outside the home's keys/ folder are refused here,
    // with the field and the way in (import the key), not later as an unusable account.
    let env = paydesk_channels::ChannelEnv::new(&st.home, std::time::Duration::from_secs(st.payments.settings().channel_timeout_secs));
    paydesk_channels::build(&account, &env).map_err(|e| AppError::invalid("params", &e.to_string()))?;
    st.payments.save_account(account, &AppState::principal(&s))?;
    Ok(())
}

#[tauri::command]
pub fn set_account_enabled(st: State<'_, AppState>, name: String, enabled: bool) -> CmdResult<()> {
    let s = st.require(Action::ManageAccounts)?;
    st.payments.update_account(&name, &AccountPatch { enabled: Some(enabled), ..AccountPatch::default() }, &AppState::principal(&s))?;
    Ok(())
}

/// Routing settings as the channels screen edits them; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingInput {
    pub enabled: Option<bool>,
    pub priority: Option<i32>,
    pub weight: Option<u32>,
    pub fee_rate_bp: Option<u32>,
    /// Yuan, e.g. "50000.00"; empty removes the cap.
    pub daily_cap: Option<String>,
}

impl RoutingInput {
    pub fn to_patch(&self) -> CmdResult<AccountPatch> {
        let daily_cap = match self.daily_cap.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(s) => Some(Some(Money::parse_yuan(s).map_err(|e| AppError::invalid("daily_cap", &e.to_string()))?)),
        };
        Ok(AccountPatch { enabled: self.enabled, priority: self.priority, weight: self.weight, fee_rate_bp: self.fee_rate_bp, daily_cap })
    }
}

/// Changes an account's routing settings at run time. Returns what changed ("priority 10 → 1").
#[tauri::command]
pub fn update_account_routing(st: State<'_, AppState>, name: String, input: RoutingInput) -> CmdResult<Vec<String>> {
    let s = st.require(Action::ManageAccounts)?;
    let patch = input.to_patch()?;
    Ok(st.payments.update_account(&name, &patch, &AppState::principal(&s))?.1)
}

/// Copies a key file into the home, sealed with the machine key; returns the path to store in
/// the account's params.
#[tauri::command]
pub fn import_key(st: State<'_, AppState>, account: String, field: String, path: String) -> CmdResult<String> {
    st.require(Action::ManageAccounts)?;
    let key = paydesk_channels::keystore::MachineKey::load_or_create(&paydesk_channels::keystore::machine_key_path()).map_err(|e| AppError::new("io", e))?;
    let rel = paydesk_channels::keyfiles::import_key_file(&st.home, &key, &account, &field, std::path::Path::new(path.trim())).map_err(|e| AppError::new("invalid", e))?;
    st.audit("account", Some(&account), Outcome::Ok, &format!("{field} imported (sealed)"));
    Ok(rel)
}

#[tauri::command]
pub async fn test_account(st: State<'_, AppState>, name: String) -> CmdResult<Probe> {
    st.may(Action::ManageAccounts)?; // a harmless query: no PIN asked again
    Ok(st.payments.test_account(&name).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_input_parses_at_the_edge() {
        let p = RoutingInput { priority: Some(1), daily_cap: Some("5000".into()), ..Default::default() }.to_patch().unwrap();
        assert_eq!((p.priority, p.daily_cap, p.weight), (Some(1), Some(Some(Money::from_fen(500_000).unwrap())), None));
        assert_eq!(RoutingInput { daily_cap: Some(" ".into()), ..Default::default() }.to_patch().unwrap().daily_cap, Some(None));
        let e = RoutingInput { daily_cap: Some("12.345".into()), ..Default::default() }.to_patch().unwrap_err();
        assert!(e.message.starts_with("daily_cap"), "{e:?}");
        assert!(serde_json::from_str::<RoutingInput>(r#"{"priorty": 1}"#).is_err(), "misspelt fields are refused");
    }
}
