//! The orders screen: list, detail, refund and same-day revoke (owner + PIN), close, re-query, CSV export, audit log.

use chrono::{NaiveDate, TimeZone};
use paydesk_core::auth::{Action, Session};
use paydesk_core::payments::RefundRequestInput;
use paydesk_core::store::{AuditEntry, OrderDetail, OrderFilter, Outcome};
use paydesk_core::{EventSource, Method, Money, Order, OrderNo, OrderStatus, Refund};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// Filters as the UI sends them (dates are the shop's local days, amounts yuan).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FilterInput {
    /// One store or one till of a chain (empty: all).
    pub store: Option<String>,
    pub till: Option<String>,
    pub status: Option<OrderStatus>,
    pub method: Option<Method>,
    pub channel: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    pub text: Option<String>,
    /// Find a payment: the search language of `paydesk_core::till::find`.
    pub find: Option<String>,
    pub limit: Option<u32>,
}

fn day_start(s: &str, tz: chrono_tz::Tz, field: &str) -> CmdResult<chrono::DateTime<chrono::Utc>> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AppError::invalid(field, "use YYYY-MM-DD"))?;
    let local = tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest().ok_or_else(|| AppError::invalid(field, "no such local time"))?;
    Ok(local.with_timezone(&chrono::Utc))
}

impl FilterInput {
    /// Validates and converts to the store's filter; `to` is inclusive (the whole day).
    pub fn to_filter(&self, tz: chrono_tz::Tz, shop: &[(String, String)]) -> CmdResult<OrderFilter> {
        let nonempty = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let money = |o: &Option<String>, field: &str| -> CmdResult<Option<Money>> {
            nonempty(o).map(|s| Money::parse_yuan(&s).map_err(|e| AppError::invalid(field, &e.to_string()))).transpose()
        };
        let limit = self.limit.unwrap_or(500).min(5000);
        let base = match nonempty(&self.find) {
            Some(q) => paydesk_core::till::find::parse(&q, tz, chrono::Utc::now(), limit).map_err(|e| AppError::invalid("find", e.to_string().trim_start_matches("find: ")))?,
            None => OrderFilter::default(),
        };
        Ok(OrderFilter {
            status: self.status,
            method: self.method,
            channel: nonempty(&self.channel),
            from: nonempty(&self.from).map(|s| day_start(&s, tz, "from")).transpose()?.or(base.from),
            to: nonempty(&self.to).map(|s| day_start(&s, tz, "to").map(|t| t + chrono::Duration::days(1))).transpose()?.or(base.to),
            min_amount: money(&self.min_amount, "min_amount")?.or(base.min_amount),
            max_amount: money(&self.max_amount, "max_amount")?.or(base.max_amount),
            text: nonempty(&self.text).or(base.text.clone()),
            tills: paydesk_core::analytics::Scope { store: nonempty(&self.store), till: nonempty(&self.till) }.tills(shop).map_err(|e| AppError::new("invalid", e.to_string()))?,
            limit: Some(limit),
            ..base
        })
    }
}

/// The shop's tills and their stores.
fn shop(st: &AppState) -> CmdResult<Vec<(String, String)>> {
    Ok(paydesk_core::shop::till_stores(st.store(), st.payments.settings())?)
}

fn tz(st: &AppState) -> chrono_tz::Tz {
    st.payments.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai)
}

#[tauri::command]
pub fn list_orders(st: State<'_, AppState>, filter: FilterInput) -> CmdResult<Vec<Order>> {
    st.require(Action::ViewOrders)?;
    Ok(st.store().list_orders(&filter.to_filter(tz(&st), &shop(&st)?)?)?)
}

#[tauri::command]
pub fn order_detail(st: State<'_, AppState>, order_no: OrderNo) -> CmdResult<OrderDetail> {
    st.require(Action::ViewOrders)?;
    Ok(st.store().order_detail(&order_no)?)
}

#[derive(Debug, Deserialize)]
pub struct RefundInput {
    pub order_no: OrderNo,
    pub amount: String,
    pub reason: Option<String>,
    /// The owner's PIN, asked again for every refund.
    pub pin: String,
}

/// The owner giving money back (`action`: refund or revoke of `order`): the role, and the PIN
/// asked again — a wrong one is refused and audited.
fn owner_with_pin(st: &AppState, action: &str, order: &OrderNo, pin: &str) -> CmdResult<Session> {
    let s = st.require(Action::Refund)?;
    if let Err(e) = st.confirm_pin(pin) {
        st.audit(action, Some(order.as_str()), Outcome::Denied, &e.message);
        return Err(e);
    }
    Ok(s)
}

#[tauri::command]
pub async fn refund(st: State<'_, AppState>, req: RefundInput) -> CmdResult<Refund> {
    let s = owner_with_pin(&st, "refund", &req.order_no, &req.pin)?;
    let amount = Money::parse_payment(req.amount.trim(), st.payments.max_amount())?;
    let input = RefundRequestInput { order_no: req.order_no, amount, reason: req.reason.filter(|r| !r.trim().is_empty()), operator: Some(s.user.clone()) };
    // Core writes the refund's audit entry, whatever its outcome.
    Ok(st.payments.refund(input, &AppState::principal(&s)).await?)
}

#[derive(Debug, Deserialize)]
pub struct RevokeInput {
    pub order_no: OrderNo,
    pub reason: Option<String>,
    /// The owner's PIN, asked again for every revoke.
    pub pin: String,
}

/// The owner's same-day revoke (撤销) of a whole payment.
#[tauri::command]
pub async fn revoke(st: State<'_, AppState>, req: RevokeInput) -> CmdResult<Refund> {
    let s = owner_with_pin(&st, "revoke", &req.order_no, &req.pin)?;
    let input = paydesk_core::payments::RevokeInput { order_no: req.order_no, reason: req.reason.filter(|r| !r.trim().is_empty()), operator: Some(s.user.clone()) };
    // Core writes the revoke's audit entry, whatever its outcome.
    Ok(st.payments.revoke(input, &AppState::principal(&s)).await?)
}

#[tauri::command]
pub async fn close_order(st: State<'_, AppState>, order_no: OrderNo) -> CmdResult<Order> {
    let s = st.require(Action::CloseOrder)?;
    let o = st.payments.close(&order_no, EventSource::User, &AppState::principal(&s)).await?;
    st.audit("close_order", Some(order_no.as_str()), Outcome::Ok, o.status.as_str());
    Ok(o)
}

#[tauri::command]
pub async fn requery_order(st: State<'_, AppState>, order_no: OrderNo) -> CmdResult<Order> {
    st.require(Action::RequeryOrder)?;
    Ok(st.payments.query(&order_no, EventSource::Poll).await?)
}

#[derive(Debug, Serialize)]
pub struct Exported {
    pub path: String,
    pub rows: usize,
}

/// Writes the filtered list as CSV into `<home>/exports/` and returns where.
#[tauri::command]
pub fn export_orders(st: State<'_, AppState>, filter: FilterInput) -> CmdResult<Exported> {
    st.require(Action::ExportOrders)?;
    let f = FilterInput { limit: Some(filter.limit.unwrap_or(100_000)), ..filter };
    let orders = st.store().list_orders(&OrderFilter { limit: None, ..f.to_filter(tz(&st), &shop(&st)?)? })?;
    let dir = st.home.join("exports");
    let path = dir.join(format!("orders-{}.csv", chrono::Utc::now().with_timezone(&tz(&st)).format("%Y%m%d-%H%M%S")));
    let stores = paydesk_core::shop::till_stores(st.store(), st.payments.settings())?;
    let csv = paydesk_core::export::orders_csv(&orders, tz(&st), &stores);
    std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, csv)).map_err(|e| AppError::new("io", format!("{}: {e}", path.display())))?;
    st.audit("export", Some(&path.display().to_string()), Outcome::Ok, &format!("{} orders", orders.len()));
    Ok(Exported { path: path.display().to_string(), rows: orders.len() })
}

#[tauri::command]
pub fn audit_log(st: State<'_, AppState>, limit: Option<u32>) -> CmdResult<Vec<AuditEntry>> {
    st.require(Action::ViewAudit)?;
    Ok(st.store().audit_log(limit.unwrap_or(200).min(2000))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_input_is_validated_and_days_are_local() {
        let f = FilterInput { from: Some("2026-11-25".into()), to: Some("2026-11-25".into()), min_amount: Some("1.5".into()), text: Some("  ".into()), ..Default::default() };
        let of = f.to_filter(chrono_tz::Asia::Shanghai, &[]).unwrap();
        assert_eq!(of.from.unwrap().to_rfc3339(), "2026-11-24T16:00:00+00:00");
        assert_eq!(of.to.unwrap().to_rfc3339(), "2026-11-25T16:00:00+00:00");
        assert_eq!(of.min_amount.unwrap().fen(), 150);
        assert!(of.text.is_none());
        let bad = FilterInput { min_amount: Some("1.234".into()), ..Default::default() }.to_filter(chrono_tz::Asia::Shanghai, &[]).unwrap_err();
        assert_eq!(bad.code, "invalid");
        assert!(bad.message.starts_with("min_amount:"), "{}", bad.message);
        let bad = FilterInput { from: Some("25/11/2026".into()), ..Default::default() }.to_filter(chrono_tz::Asia::Shanghai, &[]).unwrap_err();
        assert!(bad.message.starts_with("from:"));
    }
}
