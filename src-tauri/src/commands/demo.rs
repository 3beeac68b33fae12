//! Demo mode only: play the customer through the simulator's control API.

use paydesk_core::auth::Action;
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// `action`: `pay`, `decline` or `scan` (the customer scanned and is confirming).
#[tauri::command]
pub async fn demo_simulate(st: State<'_, AppState>, order_no: String, action: String) -> CmdResult<()> {
    st.require(Action::Simulate)?;
    let demo = st.demo.as_ref().ok_or_else(|| AppError::new("not_demo", "only in demo mode"))?;
    demo.simulate(&order_no, &action).await.map_err(|e| AppError::new("simulator", e))
}

/// Demo only: makes the simulated gateway fail the next `times` requests of an operation
/// (`precreate`, `pay`, `query`, …) with a system error — to see fallback to the backup account.
#[tauri::command]
pub async fn demo_fault(st: State<'_, AppState>, op: String, times: u32) -> CmdResult<()> {
    st.require(Action::Simulate)?;
    let demo = st.demo.as_ref().ok_or_else(|| AppError::new("not_demo", "only in demo mode"))?;
    demo.fault(&op, times).await.map_err(|e| AppError::new("simulator", e))
}
