//! Channel accounts: list, add/edit, enable/disable, key import (sealed), test connection.

use paydesk_core::auth::Action;
use paydesk_core::channel::Capabilities;
use paydesk_core::payments::Probe;
use paydesk_core::store::Outcome;
use paydesk_core::AccountConfig;
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct AccountView {
    pub account: AccountConfig,
    pub capabilities: Capabilities,
    /// False when the channel could not be built (see the log) or the account is disabled.
    pub usable: bool,
}

#[tauri::command]
pub fn list_accounts(st: State<'_, AppState>) -> CmdResult<Vec<AccountView>> {
    st.require(Action::ViewSettings)?;
    let live = st.payments.accounts();
    Ok(st
        .store()
        .accounts()?
        .into_iter()
        .map(|a| {
            let l = live.iter().find(|(l, _)| l.name == a.name);
            AccountView { usable: l.is_some_and(|(l, _)| l.enabled), capabilities: l.map(|(_, c)| c.clone()).unwrap_or_default(), account: a }
        })
        .collect())
}

#[tauri::command]
pub fn save_account(st: State<'_, AppState>, account: AccountConfig) -> CmdResult<()> {
    st.require(Action::ManageAccounts)?;
    account.validate()?;
    if !paydesk_channels::kinds().contains(&account.channel.as_str()) {
        return Err(AppError::invalid("channel", &format!("unknown channel (known: {})", paydesk_channels::kinds().join(", "))));
    }
    st.store().upsert_account(&account)?;
    st.payments.reload_accounts()?;
    st.audit("account", Some(&account.name), Outcome::Ok, &format!("saved ({}, enabled={})", account.channel, account.enabled));
    Ok(())
}

#[tauri::command]
pub fn set_account_enabled(st: State<'_, AppState>, name: String, enabled: bool) -> CmdResult<()> {
    st.require(Action::ManageAccounts)?;
    let mut a = st.store().account(&name)?;
    a.enabled = enabled;
    st.store().upsert_account(&a)?;
    st.payments.reload_accounts()?;
    st.audit("account", Some(&name), Outcome::Ok, if enabled { "enabled" } else { "disabled" });
    Ok(())
}

/// Copies a key file into the home, sealed with the machine key; returns the path to store in
/// the account's params.
#[tauri::command]
pub fn import_key(st: State<'_, AppState>, account: String, field: String, path: String) -> CmdResult<String> {
    st.require(Action::ManageAccounts)?;
    let key = paydesk_channels::keystore::MachineKey::load_or_create(&paydesk_channels::keystore::machine_key_path()).map_err(|e| AppError::new("io", e))?;
    let rel = paydesk_channels::keystore::import_key_file(&st.home, &key, &account, &field, std::path::Path::new(path.trim())).map_err(|e| AppError::new("invalid", e))?;
    st.audit("account", Some(&account), Outcome::Ok, &format!("{field} imported (sealed)"));
    Ok(rel)
}

#[tauri::command]
pub async fn test_account(st: State<'_, AppState>, name: String) -> CmdResult<Probe> {
    st.require(Action::ManageAccounts)?;
    Ok(st.payments.test_account(&name).await?)
}
