//! Importing historical orders from the Orders screen (owner): the same core path as
//! `paydesk orders import` — the whole file is checked first (a dry run lists every error with
//! its line and field, nothing written), then written in one transaction and audited.

use paydesk_core::auth::Action;
use paydesk_core::import::{import_orders, ImportError, ImportFormat, ImportOptions, ImportReport, LineError};
use paydesk_core::store::Outcome;
use serde::Serialize;
use tauri::State;

use super::recon::ImportedFile;
use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// What the import did: a report, or the file's errors (the first ones, and how many in all).
#[derive(Debug, Serialize)]
pub struct OrdersImported {
    pub report: Option<ImportReport>,
    pub errors: Vec<LineError>,
    pub total_errors: u64,
}

/// Checks (`dry_run`) or imports `file`. A file with errors is not an error of the command: the
/// errors come back as data, for the screen to list.
#[tauri::command]
pub async fn import_orders_file(st: State<'_, AppState>, file: ImportedFile, dry_run: bool) -> CmdResult<OrdersImported> {
    let s = st.require(Action::ManageSettings)?;
    let settings = st.payments.settings();
    let tz = settings.tz().map_err(|e| AppError::invalid("timezone", &e.to_string()))?;
    let opts = ImportOptions { tz, till: settings.till_id.to_string(), file_name: file.name.clone(), dry_run, by: AppState::principal(&s) };
    let format = ImportFormat::guess(&file.name, &file.bytes);
    let name = file.name.clone();
    let store = st.store().clone();
    let result = tauri::async_runtime::spawn_blocking(move || import_orders(&store, &file.bytes, format, &opts, &|_, _| {}))
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))?;
    match result {
        Ok(r) => {
            if !dry_run {
                st.audit("orders_import", Some(&name), Outcome::Ok, &format!("{} orders ({} refunds, {} paid)", r.orders, r.refunds, r.paid));
            }
            Ok(OrdersImported { report: Some(r), errors: Vec::new(), total_errors: 0 })
        }
        Err(ImportError::Invalid { errors, total }) => Ok(OrdersImported { report: None, errors, total_errors: total }),
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(e) => Err(AppError::new("internal", e.to_string())),
    }
}
