//! The till's day: the shift bar (open with a float, hand over with a blind count), X and Z
//! reports, the shift history (owner, accountant), and tenders (cash, card, voucher, splits).

use paydesk_core::auth::{Action, Role};
use paydesk_core::export::Format;
use paydesk_core::payments::TenderInput;
use paydesk_core::store::{Outcome, SalePart};
use paydesk_core::till::{DayClosed, Opened, Shift, ShiftKind, ShiftReport, ShiftStatus, ZReport};
use paydesk_core::{Method, Money, Order};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// The shift bar: the open shift, and whom it may be handed to.
#[derive(Debug, Serialize)]
pub struct ShiftView {
    pub shift: Option<Shift>,
    /// People who can take the till over.
    pub cashiers: Vec<String>,
    /// The float the last handover counted (a suggestion for the next opening).
    pub last_counted: Option<Money>,
    /// Receipts print without being asked.
    pub auto_print: bool,
}

/// The cashier's open shift, or why payments wait (`no_shift`).
pub fn require_shift(st: &AppState) -> CmdResult<Shift> {
    match st.payments.open_shift()? {
        Some(s) if s.kind == ShiftKind::Cashier => Ok(s),
        _ => Err(AppError::new("no_shift", "open a shift first: count the float into the drawer (开班)")),
    }
}

fn money(field: &str, s: &str) -> CmdResult<Money> {
    Money::parse_yuan(s.trim()).map_err(|e| AppError::invalid(field, &e.to_string()))
}

#[tauri::command]
pub fn shift_status(st: State<'_, AppState>) -> CmdResult<ShiftView> {
    st.require(Action::TakePayment)?;
    let shift = st.payments.open_shift()?;
    let till = st.payments.settings().till_id.to_string();
    let last_counted = st.store().shifts(Some(&till), None, None, 5)?.into_iter().find(|s| s.status == ShiftStatus::Closed && s.counted_cash.is_some()).and_then(|s| s.counted_cash);
    let cashiers = st.store().users()?.into_iter().filter(|u| u.enabled && u.role != Role::Accountant).map(|u| u.name).collect();
    Ok(ShiftView { shift, cashiers, last_counted, auto_print: st.printer_settings().auto_print })
}

#[tauri::command]
pub fn open_shift(st: State<'_, AppState>, float: String) -> CmdResult<Opened> {
    let s = st.require(Action::TakePayment)?;
    let opened = st.payments.open_cashier_shift(&s.user, money("float", &float)?)?;
    st.audit("shift_open", Some(&opened.shift.shift_no), Outcome::Ok, &format!("float {}", opened.shift.opening_float));
    Ok(opened)
}

/// Hands over: the blind count closes the shift; the handover report is printed when the till
/// prints automatically.
#[tauri::command]
pub fn close_shift(st: State<'_, AppState>, counted: String, handed_to: Option<String>) -> CmdResult<ShiftReport> {
    let s = st.require(Action::TakePayment)?;
    let open = require_shift(&st)?;
    if open.opened_by.as_deref() != Some(s.user.as_str()) && s.role != Role::Owner {
        return Err(AppError::new("forbidden", format!("shift {} is {}'s: they (or the owner) hand it over", open.shift_no, open.opened_by.unwrap_or_default())));
    }
    let handed_to = handed_to.filter(|h| !h.trim().is_empty());
    let r = st.payments.close_shift(&s.user, money("counted", &counted)?, handed_to.as_deref())?;
    st.audit("shift_close", Some(&r.shift.shift_no), Outcome::Ok, &format!("counted {} expected {} over/short {}", counted, r.figures.cash.expected.unwrap_or_default(), r.shift.over_short().unwrap_or_default()));
    if st.payments.settings().printer.auto_print {
        crate::commands::print::submit(&st, &format!("handover {}", r.shift.shift_no), |l| paydesk_print::receipts::shift_report(l, &r));
    }
    Ok(r)
}

/// The X report of the open shift (blind for a cashier: no expected cash before the count), or
/// any shift's report for the owner and the accountant.
#[tauri::command]
pub fn shift_report(st: State<'_, AppState>, shift_no: Option<String>) -> CmdResult<ShiftReport> {
    let s = st.session().ok_or_else(|| AppError::new("not_logged_in", "not logged in"))?;
    let own = shift_no.is_none();
    if own {
        st.require(Action::TakePayment)?;
    } else {
        st.require(Action::ViewShifts)?;
    }
    let r = st.payments.shift_report(shift_no.as_deref())?;
    Ok(if s.role == Role::Cashier { r.blind() } else { r })
}

#[tauri::command]
pub fn shift_history(st: State<'_, AppState>, limit: Option<u32>) -> CmdResult<Vec<Shift>> {
    st.require(Action::ViewShifts)?;
    Ok(st.store().shifts(None, None, None, limit.unwrap_or(100).min(1000))?)
}

#[tauri::command]
pub fn close_day(st: State<'_, AppState>) -> CmdResult<DayClosed> {
    let s = st.require(Action::CloseDay)?;
    let d = st.payments.close_day(&s.user)?;
    st.audit("day_close", Some(&format!("Z{:04}", d.till_z.z_no)), Outcome::Ok, &format!("{} net {}", d.till_z.business_date, d.till_z.figures.net));
    if st.payments.settings().printer.auto_print {
        crate::commands::print::submit(&st, &format!("Z{:04}", d.till_z.z_no), |l| paydesk_print::receipts::z_report(l, &d.till_z));
        if let Some(z) = &d.store_z {
            crate::commands::print::submit(&st, &format!("store Z{:04}", z.z_no), |l| paydesk_print::receipts::z_report(l, z));
        }
    }
    Ok(d)
}

#[tauri::command]
pub fn z_reports(st: State<'_, AppState>, store: bool) -> CmdResult<Vec<ZReport>> {
    st.require(Action::ViewShifts)?;
    Ok(st.payments.z_reports(store, 100)?)
}

#[derive(Debug, Serialize)]
pub struct ReportFiles {
    pub paths: Vec<String>,
}

/// Writes a shift's report or a Z report into `<home>/exports/` (XLSX or CSV).
#[tauri::command]
pub fn export_till_report(st: State<'_, AppState>, shift_no: Option<String>, z_no: Option<i64>, store: bool, format: Format) -> CmdResult<ReportFiles> {
    st.require(Action::ViewShifts)?;
    let tz = st.payments.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai);
    let (stem, tables) = match (shift_no, z_no) {
        (Some(no), _) => {
            let r = st.payments.shift_report(Some(&no))?;
            (format!("shift-{no}"), r.tables(tz))
        }
        (None, Some(n)) => {
            let z = st.payments.z_reports(store, 1000)?.into_iter().find(|z| z.z_no == n).ok_or_else(|| AppError::new("not_found", format!("Z{n:04} not found")))?;
            (format!("z-{}-{n:04}", if store { z.store.clone() } else { z.till.clone() }), z.tables(tz))
        }
        (None, None) => return Err(AppError::invalid("report", "name a shift or a Z report")),
    };
    let dir = st.home.join("exports");
    let paths = paydesk_core::export::write_files(&dir, &stem, &tables, format).map_err(|e| AppError::new("io", e.to_string()))?;
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    st.audit("export", Some(&stem), Outcome::Ok, &paths.join(", "));
    Ok(ReportFiles { paths })
}

/// A split sale as the UI sends it: its id and total (yuan).
#[derive(Debug, Clone, Deserialize)]
pub struct SaleRef {
    pub id: String,
    pub total: String,
}

impl SaleRef {
    pub fn part(&self) -> CmdResult<SalePart> {
        Ok(SalePart { id: self.id.clone(), total: money("sale_total", &self.total)? })
    }
}

#[derive(Debug, Deserialize)]
pub struct TenderRequest {
    pub method: Method,
    pub amount: String,
    /// Cash handed over (yuan); none means exactly the amount.
    pub tendered: Option<String>,
    pub reference: Option<String>,
    /// One id per attempt (the UI's sale id): a repeated call records once.
    pub sale_id: String,
    pub sale: Option<SaleRef>,
}

/// Records cash (with the change), a card terminal payment or a voucher in the open shift.
#[tauri::command]
pub fn record_tender(st: State<'_, AppState>, req: TenderRequest) -> CmdResult<Order> {
    let s = st.require(Action::TakePayment)?;
    require_shift(&st)?;
    let amount = Money::parse_payment(req.amount.trim(), st.payments.max_amount())?;
    let tendered = req.tendered.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(|t| money("tendered", t)).transpose()?;
    let sale = req.sale.as_ref().map(SaleRef::part).transpose()?;
    let by = AppState::principal(&s);
    let input = TenderInput { method: req.method, amount, tendered, reference: req.reference, subject: None, operator: Some(s.user), idempotency_key: Some(req.sale_id), sale };
    Ok(st.payments.record_tender(input, &by)?)
}
