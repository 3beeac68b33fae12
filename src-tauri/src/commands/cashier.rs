//! The cashier's screen: methods, QR and barcode payments, cancel, the current sale, voice.

use paydesk_core::auth::Action;
use paydesk_core::payments::{BarcodeInput, QrInput};
use paydesk_core::{EventSource, Method, Money, Order, OrderNo, OrderStatus};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MethodView {
    pub method: Method,
    pub qr: bool,
    pub barcode: bool,
}

/// The methods the enabled accounts can take, for the method buttons.
#[tauri::command]
pub fn payment_methods(st: State<'_, AppState>) -> CmdResult<Vec<MethodView>> {
    st.require(Action::TakePayment)?;
    let mut out: Vec<MethodView> = Vec::new();
    for (a, caps) in st.payments.accounts().into_iter().filter(|(a, _)| a.enabled) {
        let methods = if a.methods.is_empty() { caps.methods.clone() } else { a.methods.clone() };
        for m in methods {
            match out.iter_mut().find(|v| v.method == m) {
                Some(v) => {
                    v.qr |= caps.qr;
                    v.barcode |= caps.barcode;
                }
                None => out.push(MethodView { method: m, qr: caps.qr, barcode: caps.barcode }),
            }
        }
    }
    out.sort_by_key(|v| v.method);
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct QrRequest {
    /// Yuan, e.g. "12.34".
    pub amount: String,
    pub method: Option<Method>,
    /// One id per sale (the UI makes it); a repeated call returns the same order.
    pub sale_id: String,
    /// Part of a split sale (the rest paid in cash or otherwise).
    #[serde(default)]
    pub sale: Option<crate::commands::till::SaleRef>,
}

#[derive(Deserialize)]
pub struct BarcodeRequest {
    pub amount: String,
    pub auth_code: String,
    pub sale_id: String,
    #[serde(default)]
    pub sale: Option<crate::commands::till::SaleRef>,
}

fn amount(st: &AppState, yuan: &str) -> CmdResult<Money> {
    Ok(Money::parse_payment(yuan.trim(), st.payments.max_amount())?)
}

#[tauri::command]
pub async fn create_qr(st: State<'_, AppState>, req: QrRequest) -> CmdResult<Order> {
    let s = st.require(Action::TakePayment)?;
    crate::commands::till::require_shift(&st)?;
    let amount = amount(&st, &req.amount)?;
    let sale = req.sale.as_ref().map(crate::commands::till::SaleRef::part).transpose()?;
    let ticket = st.sale.reserve(st.store())?;
    let input = QrInput { amount, method: req.method, operator: Some(s.user.clone()), idempotency_key: Some(req.sale_id), sale, ..Default::default() };
    let o = st.payments.create_qr(input, &AppState::principal(&s)).await?;
    ticket.attach(&o.order_no);
    Ok(o)
}

/// Charges a scanned payment code; the method comes from the code's prefix. Returns when the
/// order is final (or still unclear after the cancel attempts; the till stays blocked then).
#[tauri::command]
pub async fn barcode_pay(st: State<'_, AppState>, req: BarcodeRequest) -> CmdResult<Order> {
    let s = st.require(Action::TakePayment)?;
    crate::commands::till::require_shift(&st)?;
    let amount = amount(&st, &req.amount)?;
    let sale = req.sale.as_ref().map(crate::commands::till::SaleRef::part).transpose()?;
    let ticket = st.sale.reserve(st.store())?;
    let input = BarcodeInput { amount, auth_code: req.auth_code, operator: Some(s.user.clone()), idempotency_key: Some(req.sale_id), sale, ..Default::default() };
    let o = st.payments.barcode_pay(input, &AppState::principal(&s)).await?;
    ticket.attach(&o.order_no);
    Ok(o)
}

/// Cancels the current QR sale (closes it at the channel; a payment that lands meanwhile wins).
#[tauri::command]
pub async fn cancel_payment(st: State<'_, AppState>, order_no: OrderNo) -> CmdResult<Order> {
    let s = st.require(Action::TakePayment)?;
    Ok(st.payments.close(&order_no, EventSource::User, &AppState::principal(&s)).await?)
}

/// The sale that holds the till, if any (the UI restores it after a reload).
#[tauri::command]
pub fn current_sale(st: State<'_, AppState>) -> CmdResult<Option<Order>> {
    st.require(Action::TakePayment)?;
    Ok(match st.sale.current() {
        Some(no) => Some(st.store().order(&no)?),
        None => None,
    })
}

/// An SVG QR code of `text`.
#[tauri::command]
pub fn qr_svg(text: String) -> CmdResult<String> {
    crate::qr::svg(&text)
}

/// Says a paid order's announcement again.
#[tauri::command]
pub fn announce_again(st: State<'_, AppState>, order_no: OrderNo) -> CmdResult<String> {
    st.require(Action::TakePayment)?;
    let o = st.store().order(&order_no)?;
    if o.status != OrderStatus::Success {
        return Err(AppError::new("conflict", format!("order {order_no} is {}, not paid", o.status)));
    }
    Ok(st.voice.say(&o))
}
