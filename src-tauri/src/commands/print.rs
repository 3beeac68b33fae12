//! Receipts: print (never in the way of a payment — jobs go to the spooler and report back with
//! a `print-job` event), reprint from an order, retry a failed job, open the drawer, preview a
//! receipt as an image, and the till's printer settings.

use base64::Engine;
use paydesk_core::auth::Action;
use paydesk_core::config::{PrinterSettings, Settings};
use paydesk_core::store::Outcome;
use paydesk_core::{OrderNo, RefundNo};
use paydesk_print::receipts::{self, Lang, Layout};
use paydesk_print::{render, Job, Target};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

pub const PRINT_JOB: &str = "print-job";

/// The till's receipt layout in the screen's language.
pub fn layout(st: &AppState) -> Layout {
    let lang = st.store().pref("lang").ok().flatten().unwrap_or_else(|| "zh-CN".into());
    let s = st.payments.settings();
    Layout::new(&st.printer_settings(), Lang::from_tag(&lang), s.tz().unwrap_or(chrono_tz::Asia::Shanghai))
}

/// Queues a receipt; returns at once.
pub fn submit(st: &AppState, title: &str, build: impl FnOnce(&Layout) -> Vec<u8>) -> Job {
    let bytes = build(&layout(st));
    st.spool.submit(title, bytes)
}

/// Prints a sale's receipt (every tender of a split sale). `reprint` marks it (and never opens
/// the drawer).
#[tauri::command]
pub fn print_receipt(st: State<'_, AppState>, order_no: OrderNo, reprint: bool) -> CmdResult<Job> {
    st.require(if reprint { Action::ViewOrders } else { Action::TakePayment })?;
    let orders = st.store().sale_orders(&order_no)?;
    Ok(submit(&st, &format!("sale {order_no}"), |l| receipts::sale(l, &orders, reprint)))
}

#[tauri::command]
pub fn print_refund(st: State<'_, AppState>, refund_no: RefundNo) -> CmdResult<Job> {
    st.require(Action::ViewOrders)?;
    let r = st.store().refund(&refund_no)?;
    let o = st.store().order(&r.order_no)?;
    Ok(submit(&st, &format!("refund {refund_no}"), |l| receipts::refund(l, &o, &r, false)))
}

/// Prints a shift's report (the open shift's X: blind for a cashier) or a Z report.
#[tauri::command]
pub fn print_report(st: State<'_, AppState>, shift_no: Option<String>, z_no: Option<i64>, store: bool) -> CmdResult<Job> {
    if let Some(n) = z_no {
        st.require(Action::ViewShifts)?;
        let z = st.payments.z_reports(store, 1000)?.into_iter().find(|z| z.z_no == n).ok_or_else(|| AppError::new("not_found", format!("Z{n:04} not found")))?;
        return Ok(submit(&st, &format!("Z{n:04}"), |l| receipts::z_report(l, &z)));
    }
    let r = crate::commands::till::shift_report(st.clone(), shift_no)?;
    Ok(submit(&st, &format!("shift {}", r.shift.shift_no), |l| receipts::shift_report(l, &r)))
}

#[tauri::command]
pub fn retry_print(st: State<'_, AppState>, id: u64) -> CmdResult<Job> {
    st.require(Action::ViewOrders)?;
    st.spool.retry(id).ok_or_else(|| AppError::new("not_found", format!("print job {id} is no longer kept")))
}

#[tauri::command]
pub fn print_jobs(st: State<'_, AppState>) -> CmdResult<Vec<Job>> {
    st.require(Action::ViewOrders)?;
    Ok(st.spool.jobs())
}

/// Opens the cash drawer (wired to the printer) without printing.
#[tauri::command]
pub fn open_drawer(st: State<'_, AppState>) -> CmdResult<Job> {
    st.require(Action::TakePayment)?;
    crate::commands::till::require_shift(&st)?;
    st.audit("open_drawer", None, Outcome::Ok, "");
    let mut e = paydesk_print::escpos::Escpos::new();
    e.kick();
    Ok(st.spool.submit("drawer", e.bytes()))
}

#[tauri::command]
pub fn test_print(st: State<'_, AppState>) -> CmdResult<Job> {
    st.require(Action::ViewSettings)?;
    Ok(submit(&st, "test page", receipts::test_page))
}

fn png_url(st: &AppState, bytes: &[u8], dots: u32) -> CmdResult<String> {
    let _ = st;
    let png = render::png(bytes, dots, paydesk_charts::font_bytes()).map_err(|e| AppError::new("internal", e.to_string()))?;
    Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)))
}

/// A kept print job (a test page, a receipt on the on-screen printer) as a PNG data URL.
#[tauri::command]
pub fn print_job_preview(st: State<'_, AppState>, id: u64) -> CmdResult<String> {
    st.require(Action::ViewOrders)?;
    let job = st.spool.job(id).ok_or_else(|| AppError::new("not_found", format!("print job {id} is no longer kept")))?;
    png_url(&st, job.bytes(), layout(&st).dots())
}

/// A sale's receipt as it would print, as a PNG data URL.
#[tauri::command]
pub fn receipt_preview(st: State<'_, AppState>, order_no: OrderNo) -> CmdResult<String> {
    st.require(Action::ViewOrders)?;
    let orders = st.store().sale_orders(&order_no)?;
    let l = layout(&st);
    png_url(&st, &receipts::sale(&l, &orders, true), l.dots())
}

/// Demo only: what the demo's virtual printer received, newest first, as PNG data URLs.
#[tauri::command]
pub fn demo_printed(st: State<'_, AppState>, limit: Option<usize>) -> CmdResult<Vec<String>> {
    st.require(Action::ViewOrders)?;
    let demo = st.demo.as_ref().ok_or_else(|| AppError::new("not_demo", "only in demo mode"))?;
    let dots = layout(&st).dots();
    demo.printer.jobs().iter().rev().take(limit.unwrap_or(5)).map(|b| png_url(&st, b, dots)).collect()
}

#[tauri::command]
pub fn get_printer(st: State<'_, AppState>) -> CmdResult<PrinterSettings> {
    st.require(Action::ViewSettings)?;
    Ok(st.printer_settings())
}

/// Saves this till's printer (config.toml `[printer]`); applies to the next job.
#[tauri::command]
pub fn save_printer(st: State<'_, AppState>, printer: PrinterSettings) -> CmdResult<PrinterSettings> {
    st.require(Action::ManageSettings)?;
    printer.validate()?;
    if st.demo.is_none() {
        let mut s = Settings::load(&st.home).unwrap_or_else(|_| st.payments.settings().clone());
        s.printer = printer.clone();
        s.save(&st.home)?;
    }
    st.spool.set_target(Target::from_settings(&printer, &st.home), std::time::Duration::from_secs(printer.timeout_secs));
    *st.printer.write().unwrap_or_else(|p| p.into_inner()) = printer.clone();
    st.audit("settings", None, Outcome::Ok, &format!("printer: {:?} {} {} mm", printer.connection, if printer.address.is_empty() { &printer.device } else { &printer.address }, printer.paper_mm));
    Ok(printer)
}
