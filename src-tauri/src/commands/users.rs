//! Users and PINs (owner only). Every change is audited.

use paydesk_core::auth::{self, Action, Role, User};
use paydesk_core::store::Outcome;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn list_users(st: State<'_, AppState>) -> CmdResult<Vec<User>> {
    st.require(Action::ManageUsers)?;
    Ok(st.store().users()?)
}

#[tauri::command]
pub fn add_user(st: State<'_, AppState>, name: String, role: Role, pin: String) -> CmdResult<User> {
    st.require(Action::ManageUsers)?;
    let u = auth::add_user(st.store(), name.trim(), role, &pin, chrono::Utc::now())?;
    st.audit("user", Some(&u.name), Outcome::Ok, &format!("added as {role}"));
    Ok(u)
}

#[tauri::command]
pub fn set_user_pin(st: State<'_, AppState>, name: String, pin: String) -> CmdResult<()> {
    st.require(Action::ManageUsers)?;
    auth::set_pin(st.store(), &name, &pin, chrono::Utc::now())?;
    st.audit("user", Some(&name), Outcome::Ok, "PIN changed");
    Ok(())
}

#[tauri::command]
pub fn set_user_enabled(st: State<'_, AppState>, name: String, enabled: bool) -> CmdResult<()> {
    st.require(Action::ManageUsers)?;
    auth::set_enabled(st.store(), &name, enabled, chrono::Utc::now())?;
    st.audit("user", Some(&name), Outcome::Ok, if enabled { "enabled" } else { "disabled" });
    Ok(())
}
