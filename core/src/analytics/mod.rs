//! The owner's sales dashboard: figures for a period, compared with the period before.
//!
//! Definitions (docs/analytics.md repeats them for users):
//! * An order belongs to the local day and hour it was **created** (rung up at the till), even if
//!   the payment completes after midnight or is proved later by reconciliation.
//! * **Attempts**: orders that reached a final state — paid (`success`, `refunded`), `failed` or
//!   `closed` (expired, cancelled, reversed). Orders still open are not counted anywhere yet.
//! * **Gross**: the amounts of paid orders. **Orders**: their number. **Average ticket**: gross /
//!   orders, rounded half up to the fen.
//! * **Refunds**: successful refunds, on the local day they **completed** (not the sale's day).
//!   **Net** = gross − refunds of the same period, so a day can be negative.
//! * **Success rate** = paid / attempts (overall and per channel), in basis points.
//! * **Fees**: the channel fees of paid orders, as computed from each account's rate at creation.
//!   Channels may return part of a fee on refund; the statement (reconciliation) is authoritative.
//! * **Failure reasons**: failed orders by channel and the channel's own code (taken out of the
//!   message when the book holds a generic code such as `rejected`); closed orders without a code
//!   group as `CLOSED`.
//!
//! The counters come from the `sales_buckets` pre-aggregate ([`crate::store`]), kept in the same
//! transactions that change orders and refunds; the fold into figures happens here.

mod figures;
mod period;
pub mod sample;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use figures::{ChannelFigures, DayFigures, FailureReason, HourFigures, Kpi, MethodFigures, Totals, Unit, WeekdayFigures};
pub use period::{offset_spans, parse_day, Period, Window, MAX_DAYS};

use crate::store::{Source, Store, StoreError};

/// How many failure reasons the dashboard lists.
pub const TOP_FAILURES: usize = 8;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyticsError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AnalyticsError {
    pub fn code(&self) -> &'static str {
        match self {
            AnalyticsError::Invalid { .. } => "invalid",
            AnalyticsError::Store(_) => "store",
        }
    }
}

/// Everything the dashboard shows for one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dashboard {
    pub period: Period,
    /// The shop's zone the days are in.
    pub timezone: String,
    pub generated_at: DateTime<Utc>,
    pub window: Window,
    pub previous_window: Window,
    pub current: Totals,
    pub previous: Totals,
    /// The KPI cards, each with its previous value and change.
    pub kpis: Vec<Kpi>,
    /// Every day of the window (days without sales included), with the matching previous day.
    pub by_day: Vec<DayFigures>,
    /// Local hours 0–23.
    pub by_hour: Vec<HourFigures>,
    /// Monday first.
    pub by_weekday: Vec<WeekdayFigures>,
    /// Paid orders per [weekday (Monday first)][local hour].
    pub heatmap: Vec<Vec<i64>>,
    /// Per channel, highest gross first.
    pub channels: Vec<ChannelFigures>,
    /// Per payment method, highest gross first.
    pub methods: Vec<MethodFigures>,
    /// The most frequent reasons orders did not get paid.
    pub failures: Vec<FailureReason>,
    /// The tills the figures cover (a store or one till of a chain); none: the whole book.
    pub tills: Option<Vec<String>>,
}

/// Which part of a chain's book the figures cover: one store (门店), one till, or all.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct Scope {
    pub store: Option<String>,
    pub till: Option<String>,
}

impl Scope {
    /// The tills this scope means, from the shop's tills (`(till, store)` pairs); `None` for all.
    pub fn tills(&self, shop: &[(String, String)]) -> Result<Option<Vec<crate::ids::TillId>>, AnalyticsError> {
        let bad = |field, problem: String| AnalyticsError::Invalid { field, problem };
        let mut tills: Option<Vec<String>> = None;
        if let Some(store) = self.store.as_deref().filter(|s| !s.is_empty()) {
            let of: Vec<String> = shop.iter().filter(|(_, s)| s == store).map(|(t, _)| t.clone()).collect();
            if of.is_empty() {
                return Err(bad("store", format!("no till of store {store:?} in this book")));
            }
            tills = Some(of);
        }
        if let Some(till) = self.till.as_deref().filter(|s| !s.is_empty()) {
            if tills.as_ref().is_some_and(|t| !t.iter().any(|x| x == till)) {
                return Err(bad("till", format!("till {till} is not in store {}", self.store.as_deref().unwrap_or(""))));
            }
            tills = Some(vec![till.to_string()]);
        }
        tills.map(|t| t.iter().map(|x| x.parse().map_err(|e: crate::ids::IdError| bad("till", e.to_string()))).collect()).transpose()
    }
}

/// [`dashboard`] of a part of the chain (a store, a till): counted from the raw rows of its tills.
pub fn dashboard_scoped(store: &Store, tz: chrono_tz::Tz, period: Period, now: DateTime<Utc>, scope: &Scope) -> Result<Dashboard, AnalyticsError> {
    let Some(tills) = scope.tills(&store.till_stores()?)? else { return dashboard(store, tz, period, now) };
    let (window, previous_window) = period.resolve(tz, now)?;
    let cells = store.sales_cells_of(&offset_spans(tz, window.start, window.end), Source::Raw, Some(&tills))?;
    let prev_cells = store.sales_cells_of(&offset_spans(tz, previous_window.start, previous_window.end), Source::Raw, Some(&tills))?;
    let failures = store.failure_groups_of(window.start.timestamp_millis(), window.end.timestamp_millis(), Some(&tills))?;
    let mut d = figures::fold(figures::Input { period, tz, now, window, previous_window, cells: &cells, prev_cells: &prev_cells, failures: &failures });
    d.tills = Some(tills.iter().map(|t| t.to_string()).collect());
    Ok(d)
}

/// Computes the dashboard for `period` at `now` in the shop's zone `tz`.
pub fn dashboard(store: &Store, tz: chrono_tz::Tz, period: Period, now: DateTime<Utc>) -> Result<Dashboard, AnalyticsError> {
    dashboard_from(store, tz, period, now, Source::Buckets)
}

/// [`dashboard`] read from `source` (the raw tables give the same figures, slower: for checks and
/// the benchmark's baseline).
pub fn dashboard_from(store: &Store, tz: chrono_tz::Tz, period: Period, now: DateTime<Utc>, source: Source) -> Result<Dashboard, AnalyticsError> {
    let (window, previous_window) = period.resolve(tz, now)?;
    let cells = store.sales_cells(&offset_spans(tz, window.start, window.end), source)?;
    let prev_cells = store.sales_cells(&offset_spans(tz, previous_window.start, previous_window.end), source)?;
    let failures = store.failure_groups(window.start.timestamp_millis(), window.end.timestamp_millis())?;
    Ok(figures::fold(figures::Input { period, tz, now, window, previous_window, cells: &cells, prev_cells: &prev_cells, failures: &failures }))
}

/// A signed amount of fen: a sum or a difference of amounts (net can be negative).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Total(pub i64);

impl Total {
    pub fn fen(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Total {
    /// Yuan with two decimals and a sign when negative: `-12.30`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::money::format_signed_fen(self.0))
    }
}

#[cfg(test)]
mod tests;
