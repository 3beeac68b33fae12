//! The till's day: shifts and their handover (交班), X and Z reports, finding a payment.
//!
//! Invariants (the store enforces them in SQL, this module words them for people):
//! * Every payment, refund and tender is in exactly one shift: the till's open shift, or a
//!   `system` shift Paydesk opens when a payment arrives through the local API or the CLI while
//!   no cashier's shift is open ([`ShiftKind::System`]). Tenders need a cashier's shift (they
//!   move the drawer). The next cashier's opening, or the day close, closes a system shift.
//! * Closing is a blind count: the counted cash is given before the expected amount is shown;
//!   the report (figures, expected vs counted, over/short, who handed to whom) is computed and
//!   locked in the same transaction. A late callback that settles an order of a closed shift is
//!   listed as a later adjustment of that shift; its locked report never changes.
//! * A Z report closes the business day of a till (every closed shift since its last Z) and,
//!   once every till of the store that worked that day has its Z, of the store. Both are
//!   numbered (per till, per store), taken once per business day, and never change.

pub mod find;
mod report;
mod shift;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use report::{method_name, CashFigures, Figures, ReportLine, ShiftLine, ShiftReport, ZReport};
pub use shift::{Shift, ShiftKind, ShiftStatus};

use crate::money::Money;
use crate::payments::{PayError, Payments};
use crate::store::{NewShift, StoreError};

fn invalid(field: &'static str, message: impl Into<String>) -> PayError {
    PayError::Invalid { field, message: message.into() }
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("report not serialisable: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, PayError> {
    serde_json::from_str(s).map_err(|e| PayError::Store(StoreError::Corrupt(format!("stored report unreadable: {e}"))))
}

/// A cashier's name as the till knows it (the session's user, or `--cashier` in the CLI).
fn check_person(field: &'static str, name: &str) -> Result<(), PayError> {
    let n = name.chars().count();
    if n == 0 || n > 32 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid(field, "use 1 to 32 characters without spaces"));
    }
    Ok(())
}

/// What opening a shift did.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    pub shift: Shift,
    /// The system shift the opening closed first (remote payments taken while nobody was at the till).
    pub closed_system: Option<ShiftReport>,
}

/// What the day close took.
#[derive(Debug, Clone, Serialize)]
pub struct DayClosed {
    pub till_z: ZReport,
    /// The store's Z, when every till of the store that worked that day has taken its own.
    pub store_z: Option<ZReport>,
    /// Tills of the store still to close the day (the store's Z waits for them).
    pub waiting_for: Vec<String>,
}

impl Payments {
    fn till(&self) -> String {
        self.settings().till_id.to_string()
    }

    /// The shift open at this till, if any.
    pub fn open_shift(&self) -> Result<Option<Shift>, PayError> {
        Ok(self.store().open_shift_of(&self.till())?)
    }

    /// Opens a cashier's shift with the counted float. A system shift that is open is closed
    /// first (it holds no drawer); a cashier's shift that is open is refused.
    pub fn open_cashier_shift(&self, cashier: &str, float: Money) -> Result<Opened, PayError> {
        check_person("cashier", cashier)?;
        let mut closed_system = None;
        // A remote payment may open a new system shift between the close and the open: retry.
        for _ in 0..3 {
            if let Some(open) = self.open_shift()? {
                match open.kind {
                    ShiftKind::Cashier => {
                        let who = open.opened_by.unwrap_or_default();
                        return Err(PayError::Conflict(format!("shift {} of {who} is still open at till {}; close it (count the drawer) first", open.shift_no, open.till)));
                    }
                    ShiftKind::System => closed_system = Some(self.close_shift_counted(&open.shift_no, None, Some(cashier), None)?),
                }
            }
            let s = NewShift { till: self.till(), store: self.settings().store_id.clone(), kind: ShiftKind::Cashier, opened_by: Some(cashier.into()), opening_float: float, at: self.now() };
            match self.store().open_shift(&s) {
                Ok(shift) => {
                    tracing::info!(shift = %shift.shift_no, cashier, float = %float, "shift opened");
                    return Ok(Opened { shift, closed_system });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PayError::Conflict("the till is busy opening and closing shifts; try again".into()))
    }

    /// Closes the till's open cashier shift with the blind count and locks its handover report.
    pub fn close_shift(&self, by: &str, counted: Money, handed_to: Option<&str>) -> Result<ShiftReport, PayError> {
        check_person("cashier", by)?;
        if let Some(h) = handed_to {
            check_person("handed_to", h)?;
        }
        let open = self.open_shift()?.ok_or_else(|| PayError::Conflict(format!("no shift is open at till {}", self.till())))?;
        if open.kind == ShiftKind::System {
            return Err(PayError::Conflict(format!("shift {} was opened by Paydesk for remote payments; open your own shift (it closes that one) or close the day", open.shift_no)));
        }
        self.close_shift_counted(&open.shift_no, Some(counted), Some(by), handed_to)
    }

    fn close_shift_counted(&self, no: &str, counted: Option<Money>, by: Option<&str>, handed_to: Option<&str>) -> Result<ShiftReport, PayError> {
        let now = self.now();
        let mut report: Option<ShiftReport> = None;
        let shift = self.store().close_shift(no, by, handed_to, counted, now, |shift, raw| {
            let float = (shift.kind == ShiftKind::Cashier).then(|| shift.opening_float.fen());
            let mut figures = Figures::from_raw(raw, float);
            let expected = figures.cash.expected.unwrap_or(figures.cash.sales - figures.cash.refunds);
            figures.cash.counted = counted.map(|c| c.fen());
            figures.cash.over_short = counted.map(|c| c.fen() - expected);
            let mut locked = shift.clone();
            locked.status = ShiftStatus::Closed;
            locked.closed_at = Some(now);
            locked.closed_by = by.map(str::to_string);
            locked.handed_to = handed_to.map(str::to_string);
            locked.counted_cash = counted;
            locked.expected_cash = Some(expected);
            let r = ShiftReport { shift: locked, generated_at: now, figures, locked: true, adjustments: Vec::new() };
            let json = to_json(&r)?;
            report = Some(r);
            Ok((expected, json))
        })?;
        let mut r = report.ok_or_else(|| PayError::Store(StoreError::Corrupt("the close wrote no report".into())))?;
        r.shift = shift;
        tracing::info!(shift = %no, over_short = ?r.shift.over_short(), "shift closed");
        Ok(r)
    }

    /// The X report of an open shift (the figures so far), or the locked handover report of a
    /// closed one with the changes made after its close. `None`: the till's open shift.
    pub fn shift_report(&self, no: Option<&str>) -> Result<ShiftReport, PayError> {
        let shift = match no {
            Some(n) => self.store().shift(n)?,
            None => self.open_shift()?.ok_or_else(|| PayError::Conflict(format!("no shift is open at till {}", self.till())))?,
        };
        if shift.status == ShiftStatus::Closed {
            let json = self.store().shift_report_json(&shift.shift_no)?.ok_or_else(|| PayError::NotFound(format!("report of shift {}", shift.shift_no)))?;
            let mut r: ShiftReport = from_json(&json)?;
            r.shift = shift;
            r.adjustments = self.store().shift_adjustments(&r.shift.shift_no)?;
            return Ok(r);
        }
        let raw = self.store().shift_figures(std::slice::from_ref(&shift.shift_no))?;
        let float = (shift.kind == ShiftKind::Cashier).then(|| shift.opening_float.fen());
        Ok(ShiftReport { figures: Figures::from_raw(&raw, float), shift, generated_at: self.now(), locked: false, adjustments: Vec::new() })
    }

    /// The business day a Z taken at `at` closes (before `day_starts_at`: the day before).
    pub fn business_date(&self, at: DateTime<Utc>) -> NaiveDate {
        let tz = self.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai);
        let local = at.with_timezone(&tz);
        let starts = self.settings().day_starts_at().unwrap_or_default();
        if local.time() < starts {
            local.date_naive().pred_opt().unwrap_or(local.date_naive())
        } else {
            local.date_naive()
        }
    }

    /// Closes the business day at this till: the till's Z (a system shift still open is closed
    /// first; a cashier's open shift is refused), then the store's Z when every till of the store
    /// that worked has its Z for the day.
    pub fn close_day(&self, by: &str) -> Result<DayClosed, PayError> {
        check_person("by", by)?;
        let now = self.now();
        let day = self.business_date(now);
        if let Some(open) = self.open_shift()? {
            match open.kind {
                ShiftKind::System => {
                    self.close_shift_counted(&open.shift_no, None, Some(by), None)?;
                }
                ShiftKind::Cashier => {
                    return Err(PayError::Conflict(format!("shift {} of {} is still open; close it (count the drawer) before the day close", open.shift_no, open.opened_by.unwrap_or_default())));
                }
            }
        }
        let (store, till) = (self.settings().store_id.clone(), self.till());
        let pending: Vec<Shift> = self.store().shifts(Some(&till), None, None, 10_000)?.into_iter().filter(|s| s.status == ShiftStatus::Closed && s.z_no.is_none()).collect();
        let mut adjustments = Vec::new();
        for s in &pending {
            adjustments.extend(self.store().shift_adjustments(&s.shift_no)?);
        }
        let mut till_z: Option<ZReport> = None;
        self.store().take_z(&store, Some(&till), day, Some(by), now, |input| {
            let figures = Figures::from_raw(&input.figures, None);
            let shifts: Vec<ShiftLine> = input.shifts.iter().map(ShiftLine::from).collect();
            let over_short = shifts.iter().filter_map(|s| s.over_short).sum();
            let z = ZReport { scope: "till".into(), store: store.clone(), till: till.clone(), z_no: input.z_no, business_date: day, taken_at: now, taken_by: Some(by.into()), shifts, tills: Vec::new(), figures, over_short, adjustments };
            let json = to_json(&z)?;
            till_z = Some(z);
            Ok(json)
        })?;
        let till_z = till_z.ok_or_else(|| PayError::Store(StoreError::Corrupt("the Z wrote no report".into())))?;
        tracing::info!(z = till_z.z_no, day = %day, "till Z taken");
        let (store_z, waiting_for) = self.store_z_if_complete(day, by)?;
        Ok(DayClosed { till_z, store_z, waiting_for })
    }

    /// Takes the store's Z for `day` when every till of the store that worked has its own Z.
    fn store_z_if_complete(&self, day: NaiveDate, by: &str) -> Result<(Option<ZReport>, Vec<String>), PayError> {
        let store = self.settings().store_id.clone();
        let taken = self.store().z_reports(&store, None, 1)?.iter().any(|z| z.business_date == day);
        if taken {
            return Ok((None, Vec::new()));
        }
        let mut waiting = Vec::new();
        for t in self.store().store_tills(&store)? {
            let has = self.store().z_reports(&store, Some(&t), 5)?.iter().any(|z| z.business_date == day);
            let worked = !self.store().shifts(Some(&t), None, None, 1)?.is_empty();
            if worked && !has {
                waiting.push(t);
            }
        }
        if !waiting.is_empty() {
            return Ok((None, waiting));
        }
        Ok((Some(self.take_store_z(day, by)?), Vec::new()))
    }

    /// The store's Z for `day`, from its tills' Zs of that day.
    pub fn take_store_z(&self, day: NaiveDate, by: &str) -> Result<ZReport, PayError> {
        check_person("by", by)?;
        let now = self.now();
        let store = self.settings().store_id.clone();
        let mut out: Option<ZReport> = None;
        self.store().take_z(&store, None, day, Some(by), now, |input| {
            let mut parts: Vec<ZReport> = Vec::new();
            for z in &input.till_zs {
                parts.push(serde_json::from_str(&z.report_json).map_err(|e| StoreError::Corrupt(format!("Z {} of till {}: {e}", z.z_no, z.till)))?);
            }
            let figures = Figures::sum(parts.iter().map(|z| &z.figures));
            let z = ZReport {
                scope: "store".into(),
                store: store.clone(),
                till: String::new(),
                z_no: input.z_no,
                business_date: day,
                taken_at: now,
                taken_by: Some(by.into()),
                shifts: parts.iter().flat_map(|z| z.shifts.clone()).collect(),
                tills: parts.iter().map(|z| (z.till.clone(), z.z_no)).collect(),
                over_short: parts.iter().map(|z| z.over_short).sum(),
                adjustments: parts.iter().flat_map(|z| z.adjustments.clone()).collect(),
                figures,
            };
            let json = to_json(&z)?;
            out = Some(z);
            Ok(json)
        })?;
        out.ok_or_else(|| PayError::Store(StoreError::Corrupt("the Z wrote no report".into())))
    }

    /// Stored Z reports, newest first: this till's, or (`store_scope`) the store's.
    pub fn z_reports(&self, store_scope: bool, limit: u32) -> Result<Vec<ZReport>, PayError> {
        let till = self.till();
        let recs = self.store().z_reports(&self.settings().store_id, (!store_scope).then_some(till.as_str()), limit)?;
        recs.iter().map(|z| from_json(&z.report_json)).collect()
    }
}

