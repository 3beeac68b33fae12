//! Users and PINs (owner only). Every change needs the owner's PIN given within the last few
//! minutes and is audited (by core, with the owner as principal).

use paydesk_core::auth::{self, Action, Role, User};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn list_users(st: State<'_, AppState>) -> CmdResult<Vec<User>> {
    st.may(Action::ManageUsers)?; // looking needs no PIN again; changing does
    Ok(st.store().users()?)
}

#[tauri::command]
pub fn add_user(st: State<'_, AppState>, name: String, role: Role, pin: String) -> CmdResult<User> {
    let s = st.require(Action::ManageUsers)?;
    Ok(auth::add_user(st.store(), name.trim(), role, &pin, &AppState::principal(&s), chrono::Utc::now())?)
}

#[tauri::command]
pub fn set_user_pin(st: State<'_, AppState>, name: String, pin: String) -> CmdResult<()> {
    let s = st.require(Action::ManageUsers)?;
    Ok(auth::set_pin(st.store(), &name, &pin, &AppState::principal(&s), chrono::Utc::now())?)
}

#[tauri::command]
pub fn set_user_enabled(st: State<'_, AppState>, name: String, enabled: bool) -> CmdResult<()> {
    let s = st.require(Action::ManageUsers)?;
    Ok(auth::set_enabled(st.store(), &name, enabled, &AppState::principal(&s), chrono::Utc::now())?)
}
