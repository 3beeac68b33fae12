//! First start of an installed app (no owner yet): the shop's name, the owner and their PIN and
//! how callbacks reach the till, in one step that writes nothing unless all of it is valid; the
//! demo instead. The first merchant account then goes through the accounts commands (key files
//! imported and sealed, a connection test) with the new owner logged in.

use paydesk_core::auth::{self, Role};
use paydesk_core::config::{CallbackMode, Settings};
use paydesk_core::store::Outcome;
use serde::Deserialize;
use tauri::{AppHandle, Runtime, State};

use crate::commands::session::{login, SessionView};
use crate::error::{AppError, CmdResult};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopInput {
    pub shop_name: String,
    pub owner: String,
    pub pin: String,
    pub callback: CallbackMode,
}

/// Checks the callback mode as the wizard offers it.
pub fn check_callback(c: &CallbackMode) -> CmdResult<()> {
    match c {
        CallbackMode::PollingOnly => Ok(()),
        CallbackMode::PublicUrl { base_url } if base_url.starts_with("https://") && base_url.len() > "https://".len() => Ok(()),
        CallbackMode::PublicUrl { .. } => Err(AppError::invalid("base_url", "must start with https://")),
        CallbackMode::Tunnel { server, .. } if !server.trim().is_empty() && !server.contains(char::is_whitespace) => Ok(()),
        CallbackMode::Tunnel { .. } => Err(AppError::invalid("tunnel_server", "give the tunnel server's host name")),
    }
}

/// Sets up the shop and logs its owner in. Refused once an owner exists.
#[tauri::command]
pub fn setup_shop(st: State<'_, AppState>, input: ShopInput) -> CmdResult<SessionView> {
    if !auth::needs_setup(st.store())? {
        return Err(AppError::new("conflict", "already set up; log in instead"));
    }
    let shop = input.shop_name.trim().to_string();
    if shop.is_empty() {
        return Err(AppError::invalid("shop_name", "give the shop's name"));
    }
    check_callback(&input.callback)?;
    let mut s = Settings::load(&st.home).unwrap_or_else(|_| st.payments.settings().clone());
    s.shop_name = shop;
    s.callback = input.callback;
    s.validate().map_err(|e| AppError::invalid("settings", &e.to_string()))?;
    let owner = input.owner.trim().to_string();
    // Nobody is logged in yet: the person at the setup screen becomes this owner.
    auth::add_user(st.store(), &owner, Role::Owner, &input.pin, &paydesk_core::Principal::user(&owner, Role::Owner), chrono::Utc::now())?;
    s.save(&st.home)?;
    let view = login(st.clone(), owner.clone(), input.pin)?;
    // The owner has just chosen the PIN (typed twice): setting up the first account needs no
    // second confirmation.
    if let Some(mut s) = st.session() {
        s.confirmed_at = Some(chrono::Utc::now());
        st.set_session(Some(s));
    }
    st.audit("user", Some(&owner), Outcome::Ok, &format!("shop {:?} set up, first owner created, callbacks {:?}", s.shop_name, s.callback));
    Ok(view)
}

/// "Try the demo first": starts the app in demo mode (simulated gateways, a throw-away home) and
/// closes this window; the real shop is set up on the next normal start.
#[tauri::command]
pub fn launch_demo<R: Runtime>(app: AppHandle<R>, st: State<'_, AppState>) -> CmdResult<()> {
    if !auth::needs_setup(st.store())? {
        return Err(AppError::new("conflict", "this shop is set up; the demo runs with paydesk-app --demo"));
    }
    crate::relaunch(&app, &["--demo".to_string()]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_modes_are_checked_at_the_edge() {
        assert!(check_callback(&CallbackMode::PollingOnly).is_ok());
        assert!(check_callback(&CallbackMode::PublicUrl { base_url: "https://pay.example.com".into() }).is_ok());
        assert!(check_callback(&CallbackMode::PublicUrl { base_url: "http://pay.example.com".into() }).unwrap_err().message.starts_with("base_url"));
        assert!(check_callback(&CallbackMode::Tunnel { server: " ".into(), secret_file: None }).unwrap_err().message.starts_with("tunnel_server"));
        assert!(check_callback(&CallbackMode::Tunnel { server: "bore.example.com".into(), secret_file: None }).is_ok());
    }
}
