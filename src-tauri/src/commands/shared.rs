//! The shared book in the app: the link state (header, settings), the shop's tills and stores
//! (filters), and joining a shop's shared book from the first-run screen.

use paydesk_core::config::{Settings, SharedSettings};
use paydesk_core::store::shared::{JoinReport, LinkStatus};
use paydesk_core::store::Outcome;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// The link to the shared book (`off` for a single till). Shown to anyone logged in.
#[tauri::command]
pub fn link_status(st: State<'_, AppState>) -> CmdResult<LinkStatus> {
    Ok(st.store().link_status()?)
}

/// One till of the shop and its store.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct TillView {
    pub till: String,
    pub store: String,
}

/// The shop's tills and stores (this till alone on a single book): for the store/till filters.
#[tauri::command]
pub fn till_stores(st: State<'_, AppState>) -> CmdResult<Vec<TillView>> {
    let v = paydesk_core::shop::till_stores(st.store(), st.payments.settings())?;
    Ok(v.into_iter().map(|(till, store)| TillView { till, store }).collect())
}

/// What the first-run screen asks to join a shop.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    pub url: String,
    /// Kept in `<home>/shared.pass` (owner-only) when given.
    #[serde(default)]
    pub password: Option<String>,
    pub till: String,
    pub store: String,
    /// The shop key file the shop's first till wrote (`paydesk shared join --shop-key-file`), so
    /// the shop's accounts' keys open here.
    #[serde(default)]
    pub shop_key_file: Option<String>,
}

impl std::fmt::Debug for JoinInputRedacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinInput").field("url", &paydesk_core::store::shared::redact(&self.0.url)).field("till", &self.0.till).field("store", &self.0.store).finish_non_exhaustive()
    }
}

struct JoinInputRedacted<'a>(&'a JoinInput);

/// The settings of a till joining with `input`, validated; nothing is written.
pub fn join_settings(mut s: Settings, input: &JoinInput) -> CmdResult<Settings> {
    s.till_id = input.till.trim().parse().map_err(|e: paydesk_core::ids::IdError| AppError::invalid("till", &e.to_string()))?;
    s.store_id = input.store.trim().to_string();
    if s.store_id.is_empty() {
        return Err(AppError::invalid("store", "name the store (门店) of this till"));
    }
    let password_file = input.password.as_deref().filter(|p| !p.is_empty()).map(|_| "shared.pass".to_string());
    s.shared = Some(SharedSettings { url: input.url.trim().to_string(), password_file, ..SharedSettings::default() });
    s.validate().map_err(|e| AppError::new("invalid", e.to_string()))?;
    Ok(s)
}

/// First run only: joins this till to a shop's shared book (registering the till, fetching the
/// shop's accounts, users and settings), then restarts the app as that till. The shop's owner
/// logs in with their usual PIN afterwards.
#[tauri::command]
pub async fn join_shared<R: tauri::Runtime>(app: tauri::AppHandle<R>, st: State<'_, AppState>, input: JoinInput) -> CmdResult<JoinReport> {
    if st.demo.is_some() {
        return Err(AppError::new("conflict", "the demo cannot join a shared book"));
    }
    if !paydesk_core::auth::needs_setup(st.store())? {
        return Err(AppError::new("conflict", "this till is set up already; join from a terminal with `paydesk shared join`"));
    }
    tracing::info!(input = ?JoinInputRedacted(&input), "joining a shared book");
    let home = st.home.clone();
    let s = join_settings(Settings::load(&home).unwrap_or_default(), &input)?;
    if let Some(p) = input.password.as_deref().filter(|p| !p.is_empty()) {
        write_secret(&home.join("shared.pass"), p)?;
    }
    let cfg = paydesk_core::shop::shared_config(&home, &s).map_err(|e| AppError::new("invalid", e.to_string()))?.ok_or_else(|| AppError::invalid("url", "missing"))?;
    let tz = s.tz().map_err(|e| AppError::new("invalid", e.to_string()))?;
    let store = st.store().clone();
    let (till, store_id) = (s.till_id.to_string(), s.store_id.clone());
    let key_file = input.shop_key_file.as_deref().map(str::trim).filter(|f| !f.is_empty()).map(std::path::PathBuf::from);
    if key_file.as_ref().is_some_and(|f| !f.is_file()) {
        return Err(AppError::invalid("shop_key_file", "no such file: give the shop key file the shop's first till wrote"));
    }
    let key_home = home.clone();
    let report = tauri::async_runtime::spawn_blocking(move || {
        use paydesk_channels::shopkey::{join_with, JoinKeyError};
        if let Some(f) = key_file {
            join_with(&key_home, cfg.clone(), &f, &store).map_err(|e| match e {
                JoinKeyError::File(m) => AppError::invalid("shop_key_file", &m),
                JoinKeyError::Link(e) => link_error(e),
                JoinKeyError::Book(e) => e.into(),
            })?;
        }
        store.join_shared(cfg, &till, &store_id, "app", tz).map_err(link_error)
    })
    .await
    .map_err(|e| AppError::new("internal", e.to_string()))??;
    s.save(&home)?;
    if st.store().shop_settings()?.is_none() {
        paydesk_core::shop::publish(st.store(), &s)?;
    }
    st.audit("shared_join", Some(s.till_id.as_str()), Outcome::Ok, &format!("joined as till {} of store {}", s.till_id, s.store_id));
    // The payments service was built for the old till id: start again as the new till.
    app.request_restart();
    Ok(report)
}

fn link_error(e: paydesk_core::store::shared::LinkError) -> AppError {
    match e {
        paydesk_core::store::shared::LinkError::Refused(m) => AppError::new("invalid", m),
        other => AppError::new("offline", other.to_string()),
    }
}

fn write_secret(path: &std::path::Path, secret: &str) -> CmdResult<()> {
    std::fs::write(path, secret).map_err(|e| AppError::new("io", format!("cannot write {}: {}", path.display(), e.kind())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_settings_are_checked_before_anything_is_written() {
        let input = |till: &str, store: &str, url: &str| JoinInput { url: url.into(), password: Some("pw".into()), till: till.into(), store: store.into(), shop_key_file: None };
        let s = join_settings(Settings::default(), &input("T2", "S1", "postgres://paydesk@10.0.0.5/shop")).unwrap();
        assert_eq!((s.till_id.as_str(), s.store_id.as_str()), ("T2", "S1"));
        assert_eq!(s.shared.unwrap().password_file.as_deref(), Some("shared.pass"));
        assert_eq!(join_settings(Settings::default(), &input("t 2", "S1", "postgres://x/y")).unwrap_err().code, "invalid");
        assert!(join_settings(Settings::default(), &input("T2", "", "postgres://x/y")).unwrap_err().message.contains("store"));
        assert!(join_settings(Settings::default(), &input("T2", "S1", "mysql://x/y")).unwrap_err().message.contains("shared.url"));
    }
}
