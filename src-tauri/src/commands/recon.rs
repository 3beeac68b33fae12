//! The reconciliation screen: run (download or an imported file) with live progress, the runs'
//! summaries (a failed run shown beside the last good one), the discrepancy list, re-query /
//! resolve-with-note / accept payments taken outside Paydesk as external sales, exports, and the
//! alert about yesterday's automatic run. Accountant and owner (Action::Reconcile /
//! ResolveDiscrepancy).

use std::sync::Arc;

use chrono::NaiveDate;
use paydesk_core::auth::Action;
use paydesk_core::export::Format;
use paydesk_core::reconcile::{report, Phase, Progress, ReconError, RunRequest, StatementInput};
use paydesk_core::store::{ItemAction, ItemFilter, ItemRecord, Outcome, RunRecord};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// Tauri event with `{account, phase, done, total}` while a run works.
pub const RECON_PROGRESS: &str = "recon-progress";
/// Tauri event with a finished [`RunRecord`] (manual or scheduled).
pub const RECON_FINISHED: &str = "recon-finished";

impl From<ReconError> for AppError {
    fn from(e: ReconError) -> Self {
        match e {
            ReconError::Store(s) => AppError::from(s),
            ReconError::Pay(p) => AppError::from(*p),
            other => AppError::new(other.code(), other.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressEvent {
    pub account: String,
    pub phase: Phase,
    pub done: u64,
    pub total: Option<u64>,
}

/// Forwards progress to the windows (throttled by the core's own reporting cadence).
pub struct Emit<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> Progress for Emit<R> {
    fn report(&self, account: &str, phase: Phase, done: u64, total: Option<u64>) {
        let _ = self.0.emit(RECON_PROGRESS, ProgressEvent { account: account.into(), phase, done, total });
    }
}

fn day(s: &str, field: &str) -> CmdResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field, "use YYYY-MM-DD"))
}

/// Days and accounts as the UI picks them.
#[derive(Debug, Clone, Deserialize)]
pub struct Scope {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub accounts: Vec<String>,
}

impl Scope {
    fn days(&self) -> CmdResult<(NaiveDate, NaiveDate)> {
        let (a, b) = (day(&self.from, "from")?, day(&self.to, "to")?);
        if b < a || (b - a).num_days() > 62 {
            return Err(AppError::invalid("to", "must be on or after the first day, at most 62 days later"));
        }
        Ok((a, b))
    }
}

#[derive(Debug, Serialize)]
pub struct AccountChoice {
    pub name: String,
    pub channel: String,
    pub display_name: String,
}

#[derive(Debug, Serialize)]
pub struct Overview {
    pub runs: Vec<RunRecord>,
    pub accounts: Vec<AccountChoice>,
    /// Yesterday in the statements' zone (the default day).
    pub yesterday: String,
}

#[tauri::command]
pub fn recon_overview(st: State<'_, AppState>, scope: Option<Scope>) -> CmdResult<Overview> {
    st.require(Action::Reconcile)?;
    let yesterday = st.recon.today().pred_opt().unwrap_or_default().to_string();
    let runs = match scope {
        Some(s) => {
            let (a, b) = s.days()?;
            st.store().latest_runs(&a.to_string(), &b.to_string(), &s.accounts)?
        }
        None => st.store().latest_runs(&yesterday, &yesterday, &[])?,
    };
    let accounts = st
        .payments
        .accounts()
        .into_iter()
        .filter(|(a, c)| a.enabled && c.statement)
        .map(|(a, _)| AccountChoice { display_name: if a.display_name.is_empty() { a.name.clone() } else { a.display_name.clone() }, name: a.name, channel: a.channel })
        .collect();
    Ok(Overview { runs, accounts, yesterday })
}

/// A statement file handed over by the UI (a hand-downloaded bill for one account and day).
#[derive(Debug, Deserialize)]
pub struct ImportedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[tauri::command]
pub async fn recon_run<R: Runtime>(app: AppHandle<R>, st: State<'_, AppState>, scope: Scope, file: Option<ImportedFile>) -> CmdResult<Vec<RunRecord>> {
    let s = st.require(Action::Reconcile)?;
    let (from, to) = scope.days()?;
    let progress: Arc<dyn Progress> = Arc::new(Emit(app.clone()));
    let accounts: Vec<String> = if scope.accounts.is_empty() { st.payments.accounts().into_iter().filter(|(a, c)| a.enabled && c.statement).map(|(a, _)| a.name).collect() } else { scope.accounts.clone() };
    if file.is_some() && (accounts.len() != 1 || from != to) {
        return Err(AppError::invalid("file", "an imported statement belongs to one account and one day"));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut d = from;
    while d <= to {
        for a in &accounts {
            let input = match &file {
                Some(f) => StatementInput::Bytes { name: f.name.clone(), bytes: f.bytes.clone() },
                None => StatementInput::Download,
            };
            match st.recon.run(RunRequest { account: a.clone(), day: d, input, trigger: "manual".into() }, Some(&s), progress.clone()).await {
                Ok(r) => {
                    let _ = app.emit(RECON_FINISHED, &r);
                    out.push(r);
                }
                // Bad input (a wrong file, an unknown account): nothing was run, say so at once.
                Err(e) if matches!(e, ReconError::Invalid { .. } | ReconError::Statement { .. }) => return Err(e.into()),
                Err(e) => errors.push(format!("{d} {a}: {e}")),
            }
        }
        d = d.succ_opt().unwrap_or(to + chrono::Days::new(1));
    }
    if out.is_empty() && !errors.is_empty() {
        return Err(AppError::new("channel", errors.join("; ")));
    }
    Ok(out)
}

#[tauri::command]
pub fn recon_items(st: State<'_, AppState>, run_ids: Vec<i64>, filter: Option<ItemFilter>) -> CmdResult<Vec<ItemRecord>> {
    st.require(Action::Reconcile)?;
    Ok(st.store().recon_items(&run_ids, &filter.unwrap_or_default())?)
}

#[tauri::command]
pub fn recon_item_actions(st: State<'_, AppState>, id: i64) -> CmdResult<Vec<ItemAction>> {
    st.require(Action::Reconcile)?;
    Ok(st.store().recon_actions(id)?)
}

#[tauri::command]
pub async fn recon_requery(st: State<'_, AppState>, id: i64) -> CmdResult<ItemRecord> {
    let s = st.require(Action::Reconcile)?;
    Ok(st.recon.requery(id, Some(&s)).await?)
}

#[tauri::command]
pub fn recon_resolve(st: State<'_, AppState>, id: i64, note: String) -> CmdResult<ItemRecord> {
    let s = st.require(Action::ResolveDiscrepancy)?;
    Ok(st.recon.resolve(id, &note, Some(&s))?)
}

/// Books external discrepancies (payments taken outside Paydesk) as external sales, with a note.
#[tauri::command]
pub fn recon_accept(st: State<'_, AppState>, ids: Vec<i64>, note: String) -> CmdResult<Vec<ItemRecord>> {
    let s = st.require(Action::ResolveDiscrepancy)?;
    Ok(st.recon.accept_external(&ids, &note, Some(&s))?)
}

#[derive(Debug, Serialize)]
pub struct ExportedReport {
    pub paths: Vec<String>,
    pub runs: usize,
}

/// Writes the report of the scope's latest runs into `<home>/exports/`.
#[tauri::command]
pub fn recon_export(st: State<'_, AppState>, scope: Scope, format: Format) -> CmdResult<ExportedReport> {
    st.require(Action::Reconcile)?;
    let (from, to) = scope.days()?;
    let runs = st.store().latest_runs(&from.to_string(), &to.to_string(), &scope.accounts)?;
    if runs.is_empty() {
        return Err(AppError::invalid("scope", "no reconciliation for these days yet: run it first"));
    }
    let tables = report::tables(&st.recon, &runs)?;
    let stem = if from == to { format!("reconciliation-{from}") } else { format!("reconciliation-{from}-{to}") };
    let files = paydesk_core::export::write_files(&st.home.join("exports"), &stem, &tables, format).map_err(|e| AppError::new("io", e.to_string()))?;
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    st.audit("reconcile_export", Some(&stem), Outcome::Ok, &format!("{} ({} runs)", format.as_str(), runs.len()));
    Ok(ExportedReport { paths, runs: runs.len() })
}

/// What yesterday's (automatic) reconciliation left open, for the banner and the nav badge.
#[derive(Debug, Serialize)]
pub struct Alert {
    pub day: String,
    pub runs: usize,
    pub open: u64,
    pub failed: usize,
}

#[tauri::command]
pub fn recon_alert(st: State<'_, AppState>) -> CmdResult<Option<Alert>> {
    if st.require(Action::Reconcile).is_err() {
        return Ok(None);
    }
    let day = st.recon.today().pred_opt().unwrap_or_default().to_string();
    let runs = st.store().latest_runs(&day, &day, &[])?;
    let open = runs.iter().map(|r| r.open).sum();
    let failed = runs.iter().filter(|r| r.status == "failed" || r.failure.is_some()).count();
    Ok((open > 0 || failed > 0).then_some(Alert { day, runs: runs.len(), open, failed }))
}

/// Starts the T+1 schedule (every minute), announcing finished runs to the windows.
pub fn spawn_schedule<R: Runtime>(app: AppHandle<R>, st: &AppState) {
    let rec = st.recon.clone();
    let stop = st.follower_stop.subscribe();
    let progress: Arc<dyn Progress> = Arc::new(Emit(app.clone()));
    let on_run: Arc<dyn Fn(&RunRecord) + Send + Sync> = Arc::new(move |r: &RunRecord| {
        let _ = app.emit(RECON_FINISHED, r);
    });
    tauri::async_runtime::spawn(paydesk_core::reconcile::schedule::run(rec, std::time::Duration::from_secs(60), progress, on_run, stop));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_days_are_checked() {
        let s = Scope { from: "2026-11-25".into(), to: "2026-11-24".into(), accounts: vec![] };
        assert!(s.days().unwrap_err().message.starts_with("to:"));
        let s = Scope { from: "25/11/2026".into(), to: "2026-11-25".into(), accounts: vec![] };
        assert!(s.days().unwrap_err().message.starts_with("from:"));
        let s = Scope { from: "2026-11-01".into(), to: "2026-11-25".into(), accounts: vec![] };
        assert_eq!(s.days().unwrap().1.to_string(), "2026-11-25");
        let e: AppError = ReconError::Invalid { field: "note", message: "required".into() }.into();
        assert_eq!((e.code.as_str(), e.message.as_str()), ("invalid", "note: required"));
    }
}
