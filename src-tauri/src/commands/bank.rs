//! The third leg on the reconciliation screen: a day's chain book → channel → bank, reading the
//! fund flows, importing bank statements, the bank discrepancies with re-check / resolve, exports.
//! Accountant and owner (Action::Reconcile / ResolveDiscrepancy).

use chrono::NaiveDate;
use paydesk_core::auth::Action;
use paydesk_core::export::Format;
use paydesk_core::reconcile::bank::{report, run::BankImport};
use paydesk_core::settle::chain::{day_chain, DayChain};
use paydesk_core::settle::{FundInput, SettleError};
use paydesk_core::store::{BankItem, BankRunRecord, BankStatementRecord, ItemAction, Outcome};
use serde::Serialize;
use tauri::State;

use super::recon::{ExportedReport, ImportedFile};
use crate::error::{AppError, CmdResult};
use crate::state::AppState;

impl From<SettleError> for AppError {
    fn from(e: SettleError) -> Self {
        match e {
            SettleError::Store(s) => AppError::from(s),
            other => AppError::new(other.code(), other.to_string()),
        }
    }
}

fn day(s: &str, field: &str) -> CmdResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field, "use YYYY-MM-DD"))
}

#[derive(Debug, Serialize)]
pub struct Preset {
    pub name: String,
    pub label: String,
}

/// Everything the bank view shows for one business day.
#[derive(Debug, Serialize)]
pub struct BankOverview {
    pub day: String,
    /// The day the view opens on: the day before yesterday (its payouts have had a day to land).
    pub default_day: String,
    pub chain: DayChain,
    pub run: Option<BankRunRecord>,
    pub items: Vec<BankItem>,
    pub statements: Vec<BankStatementRecord>,
    pub presets: Vec<Preset>,
}

#[tauri::command]
pub fn bank_overview(st: State<'_, AppState>, day: Option<String>) -> CmdResult<BankOverview> {
    st.require(Action::Reconcile)?;
    let default_day = st.bank.today().checked_sub_days(chrono::Days::new(2)).unwrap_or_default();
    let d = match day.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => self::day(s, "day")?,
        None => default_day,
    };
    let ds = d.to_string();
    let presets = std::iter::once(Preset { name: "auto".into(), label: "auto".into() }).chain(st.bank.settings().mappings().into_iter().map(|m| Preset { name: m.name, label: m.label })).collect();
    Ok(BankOverview {
        chain: day_chain(st.bank.settler(), d)?,
        run: st.store().latest_bank_runs(&ds, &ds)?.into_iter().next(),
        items: st.store().bank_items(&ds, &ds, None, None)?,
        statements: st.store().bank_statements(5)?,
        presets,
        day: ds,
        default_day: default_day.to_string(),
    })
}

/// What reading a day's fund flows did.
#[derive(Debug, Serialize)]
pub struct Settled {
    pub read: usize,
    pub errors: Vec<String>,
    pub run: Option<BankRunRecord>,
}

/// Reads the fund flows that settle `day` (the day's file and the next day's, which holds the
/// wallets' withdrawal) for the accounts on its chain, then runs the bank leg of the day.
#[tauri::command]
pub async fn bank_settle(st: State<'_, AppState>, day: String) -> CmdResult<Settled> {
    let s = st.require(Action::Reconcile)?;
    let d = self::day(&day, "day")?;
    let yesterday = st.bank.today().pred_opt().unwrap_or(d);
    if d > yesterday {
        return Err(AppError::invalid("day", "the fund flow of a day exists once the day is over"));
    }
    let accounts: Vec<String> = day_chain(st.bank.settler(), d)?.accounts.into_iter().map(|a| a.account).collect();
    let (mut read, mut errors) = (0, Vec::new());
    for a in &accounts {
        for x in [Some(d), d.succ_opt().filter(|n| *n <= yesterday)].into_iter().flatten() {
            match st.bank.settler().fetch(a, x, FundInput::Download, Some(&s)).await {
                Ok(_) => read += 1,
                Err(e) => errors.push(format!("{a} {x}: {e}")),
            }
        }
    }
    let run = if st.store().bank_covered_to()?.is_some() { Some(st.bank.run_day(d, "manual", Some(&s))?) } else { None };
    Ok(Settled { read, errors, run })
}

#[tauri::command]
pub async fn bank_import(st: State<'_, AppState>, file: ImportedFile, preset: Option<String>, bank_account: Option<String>) -> CmdResult<BankImport> {
    let s = st.require(Action::Reconcile)?;
    Ok(st.bank.import(&file.name, file.bytes, preset.as_deref(), bank_account.as_deref(), Some(&s)).await?)
}

#[tauri::command]
pub fn bank_run(st: State<'_, AppState>, day: String) -> CmdResult<BankRunRecord> {
    let s = st.require(Action::Reconcile)?;
    Ok(st.bank.run_day(self::day(&day, "day")?, "manual", Some(&s))?)
}

#[tauri::command]
pub fn bank_item_actions(st: State<'_, AppState>, id: i64) -> CmdResult<Vec<ItemAction>> {
    st.require(Action::Reconcile)?;
    Ok(st.store().bank_actions(id)?)
}

#[tauri::command]
pub async fn bank_recheck(st: State<'_, AppState>, id: i64) -> CmdResult<BankItem> {
    let s = st.require(Action::Reconcile)?;
    Ok(st.bank.recheck(id, Some(&s)).await?)
}

#[tauri::command]
pub fn bank_resolve(st: State<'_, AppState>, id: i64, note: String) -> CmdResult<BankItem> {
    let s = st.require(Action::ResolveDiscrepancy)?;
    Ok(st.bank.resolve(id, &note, Some(&s))?)
}

/// Writes the bank leg's report of the days into `<home>/exports/`.
#[tauri::command]
pub fn bank_export(st: State<'_, AppState>, from: String, to: String, format: Format) -> CmdResult<ExportedReport> {
    st.require(Action::Reconcile)?;
    let (a, b) = (day(&from, "from")?, day(&to, "to")?);
    let runs = st.store().latest_bank_runs(&a.to_string(), &b.to_string())?;
    if runs.is_empty() {
        return Err(AppError::invalid("day", "the bank leg has not run these days yet: import a bank statement first"));
    }
    let tables = report::tables(st.store(), &runs)?;
    let stem = if a == b { format!("bank-{a}") } else { format!("bank-{a}-{b}") };
    let files = paydesk_core::export::write_files(&st.home.join("exports"), &stem, &tables, format).map_err(|e| AppError::new("io", e.to_string()))?;
    st.audit("bank_export", Some(&stem), Outcome::Ok, &format!("{} ({} days)", format.as_str(), runs.len()));
    Ok(ExportedReport { paths: files.iter().map(|p| p.display().to_string()).collect(), runs: runs.len() })
}

/// Starts the bank leg's T+1 schedule (every minute).
pub fn spawn_schedule(st: &AppState) {
    let stop = st.follower_stop.subscribe();
    let on_run: std::sync::Arc<dyn Fn(&BankRunRecord) + Send + Sync> = std::sync::Arc::new(|r: &BankRunRecord| tracing::info!(day = %r.day, open = r.open, "bank leg {}", r.status));
    tauri::async_runtime::spawn(paydesk_core::reconcile::bank::schedule::run(st.bank.clone(), std::time::Duration::from_secs(60), on_run, stop));
}
