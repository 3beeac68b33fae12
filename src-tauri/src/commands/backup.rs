//! Backups in the owner's settings: health and the last backup, back up now, the folder, restore
//! (compare first; newer data needs the owner's explicit "replace anyway"), and the move archive
//! for a new PC. The work is core's (`paydesk_core::backup`) and the channels crate's
//! (`transfer`); restores end with the app starting again on the restored home.

use paydesk_channels::keystore::{machine_key_path, MachineKey};
use paydesk_channels::transfer::{self, MoveError};
use paydesk_core::auth::Action;
use paydesk_core::backup::restore::{self, Preview, RestoreError};
use paydesk_core::backup::{self as backups, BackupReport, Overview};
use paydesk_core::config::Settings;
use paydesk_core::store::Outcome;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

fn settings(st: &AppState) -> Settings {
    Settings::load(&st.home).unwrap_or_else(|_| st.payments.settings().clone())
}

fn machine_key() -> CmdResult<MachineKey> {
    MachineKey::load_or_create(&machine_key_path()).map_err(|e| AppError::new("io", e))
}

pub(crate) fn restore_error(e: RestoreError) -> AppError {
    match e {
        RestoreError::Newer { differences } => AppError { code: "newer_data".into(), message: differences.join("; "), details: serde_json::to_value(&differences).ok() },
        RestoreError::TooNew { .. } => AppError::invalid("file", &e.to_string()),
        RestoreError::Store(inner) => AppError::invalid("file", &inner.to_string()),
        other => AppError::new("internal", other.to_string()),
    }
}

pub(crate) fn move_error(e: MoveError) -> AppError {
    match e {
        MoveError::Passphrase(m) => AppError::new("bad_passphrase", format!("passphrase: {m}")),
        MoveError::Archive(m) => AppError::invalid("file", &m),
        MoveError::Restore(r) => restore_error(r),
        other => AppError::new("internal", other.to_string()),
    }
}

#[derive(Debug, Serialize)]
pub struct BackupView {
    #[serde(flatten)]
    pub overview: Overview,
    /// The `dir` setting as written (empty: the home's backups folder).
    pub dir_setting: String,
    pub version: &'static str,
}

#[tauri::command]
pub fn backup_overview(st: State<'_, AppState>) -> CmdResult<BackupView> {
    st.require(Action::ViewSettings)?;
    let s = settings(&st);
    Ok(BackupView { overview: backups::overview(&st.home, &s.backup, chrono::Utc::now()), dir_setting: s.backup.dir.unwrap_or_default(), version: env!("CARGO_PKG_VERSION") })
}

#[tauri::command]
pub async fn backup_now(st: State<'_, AppState>) -> CmdResult<BackupReport> {
    st.require(Action::ManageSettings)?;
    let (store, home, b) = (st.store().clone(), st.home.clone(), settings(&st).backup);
    let r = tauri::async_runtime::spawn_blocking(move || backups::run(&store, &home, &b, chrono::Utc::now())).await.map_err(|e| AppError::new("internal", e.to_string()))?;
    match r {
        Ok(r) => {
            st.audit("backup", Some(&r.file.display().to_string()), Outcome::Ok, &format!("{} orders", r.figures.orders));
            Ok(r)
        }
        Err(e) => Err(AppError::new("backup_failed", e.to_string())),
    }
}

/// The backup folder (empty: the home's `backups`) and whether automatic backups run.
#[tauri::command]
pub fn save_backup_settings(st: State<'_, AppState>, dir: String, enabled: bool) -> CmdResult<()> {
    st.require(Action::ManageSettings)?;
    let mut s = settings(&st);
    let dir = dir.trim();
    s.backup.dir = (!dir.is_empty()).then(|| dir.to_string());
    s.backup.enabled = enabled;
    let folder = s.backup.folder(&st.home);
    std::fs::create_dir_all(&folder).map_err(|e| AppError::invalid("dir", &format!("{}: {e}", folder.display())))?;
    s.save(&st.home)?;
    st.audit("settings", None, Outcome::Ok, &format!("backup.dir={dir:?} backup.enabled={enabled}"));
    Ok(())
}

#[tauri::command]
pub fn restore_preview(st: State<'_, AppState>, path: String) -> CmdResult<Preview> {
    st.require(Action::ManageSettings)?;
    restore::preview(&st.home, std::path::Path::new(path.trim())).map_err(restore_error)
}

/// Restores a backup over this home's book (refused when the home is newer unless `force`),
/// then starts the app again on it.
#[tauri::command]
pub async fn restore_backup<R: Runtime>(app: AppHandle<R>, st: State<'_, AppState>, path: String, force: bool) -> CmdResult<()> {
    st.require(Action::ManageSettings)?;
    let (home, file) = (st.home.clone(), std::path::PathBuf::from(path.trim()));
    let r = tauri::async_runtime::spawn_blocking(move || restore::restore(&home, &file, force)).await.map_err(|e| AppError::new("internal", e.to_string()))?;
    let r = r.map_err(restore_error)?;
    tracing::info!("restored {path}: {} orders; replaced book kept at {:?}", r.figures.orders, r.safety_copy);
    crate::relaunch(&app, &std::env::args().skip(1).collect::<Vec<_>>());
    Ok(())
}

/// Writes the move archive (book, settings, statements, keys re-wrapped under `passphrase`).
#[tauri::command]
pub async fn move_export(st: State<'_, AppState>, path: String, passphrase: String) -> CmdResult<transfer::Manifest> {
    st.require(Action::ManageSettings)?;
    let (home, out, key) = (st.home.clone(), std::path::PathBuf::from(path.trim()), machine_key()?);
    let m = tauri::async_runtime::spawn_blocking(move || transfer::export(&home, &out, &passphrase, &key)).await.map_err(|e| AppError::new("internal", e.to_string()))?;
    let m = m.map_err(move_error)?;
    st.audit("backup", Some(path.trim()), Outcome::Ok, &format!("move archive: {} key file(s)", m.keys.len()));
    Ok(m)
}

/// On a new PC (first start, before any owner exists) or by the owner: unpacks a move archive
/// into this home, seals its keys with this machine's key, and starts the app again.
#[tauri::command]
pub async fn move_import<R: Runtime>(app: AppHandle<R>, st: State<'_, AppState>, path: String, passphrase: String, force: bool) -> CmdResult<()> {
    if !paydesk_core::auth::needs_setup(st.store())? {
        st.require(Action::ManageSettings)?;
    }
    let (home, file, key) = (st.home.clone(), std::path::PathBuf::from(path.trim()), machine_key()?);
    let m = tauri::async_runtime::spawn_blocking(move || transfer::import(&home, &file, &passphrase, &key, force)).await.map_err(|e| AppError::new("internal", e.to_string()))?;
    let m = m.map_err(move_error)?;
    tracing::info!("moved shop restored: {} orders, {} keys", m.restored.figures.orders, m.keys);
    crate::relaunch(&app, &std::env::args().skip(1).collect::<Vec<_>>());
    Ok(())
}
