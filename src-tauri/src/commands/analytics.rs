//! The Analytics screen (owner, accountant): dashboard figures with the charts as SVG, and the
//! sales report written to `<home>/exports/`.

use paydesk_charts::report::{self, ReportOptions};
use paydesk_charts::{ChartKind, ChartOptions, Lang, Theme};
use paydesk_core::analytics::{self, parse_day, AnalyticsError, Dashboard, Period};
use paydesk_core::auth::Action;
use paydesk_core::store::Outcome;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// The range the UI picked: a preset, or `custom` with local days `from`..=`to`.
#[derive(Debug, Clone, Deserialize)]
pub struct RangeInput {
    /// `today`, `yesterday`, `week`, `month`, `year` or `custom`.
    pub period: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// One store or one till of a chain (empty: all).
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub till: Option<String>,
}

impl RangeInput {
    pub fn period(&self) -> CmdResult<Period> {
        let day = |v: &Option<String>, field: &'static str| -> CmdResult<_> {
            let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| AppError::invalid(field, "pick a day"))?;
            parse_day(s, field).map_err(|e| AppError::new("invalid", e.to_string()))
        };
        match self.period.as_str() {
            "custom" => Ok(Period::Custom { from: day(&self.from, "from")?, to: day(&self.to, "to")? }),
            "today" | "yesterday" | "week" | "month" | "year" => self.period.parse().map_err(|e: AnalyticsError| AppError::new("invalid", e.to_string())),
            other => Err(AppError::invalid("period", &format!("{other:?} is not today, yesterday, week, month, year or custom"))),
        }
    }
}

/// How the charts should look: the app's theme and language.
#[derive(Debug, Clone, Deserialize)]
pub struct Look {
    pub theme: Theme,
    pub lang: String,
}

#[derive(Debug, Serialize)]
pub struct ChartSvg {
    pub kind: ChartKind,
    pub svg: String,
}

#[derive(Debug, Serialize)]
pub struct AnalyticsView {
    pub dashboard: Dashboard,
    pub charts: Vec<ChartSvg>,
}

fn dashboard(st: &AppState, range: &RangeInput) -> CmdResult<Dashboard> {
    let tz = st.payments.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai);
    let scope = analytics::Scope { store: range.store.clone(), till: range.till.clone() };
    analytics::dashboard_scoped(st.store(), tz, range.period()?, chrono::Utc::now(), &scope).map_err(|e| match e {
        AnalyticsError::Invalid { field, problem } => AppError::invalid(field, &problem),
        other => {
            tracing::error!("analytics: {other}");
            AppError::new("storage", "the figures could not be read; see the log")
        }
    })
}

fn chart_error(e: paydesk_charts::ChartError) -> AppError {
    tracing::error!("chart: {e}");
    AppError::new("internal", e.to_string())
}

/// Figures and every chart (SVG) for the range, in one call so they always agree.
#[tauri::command]
pub fn analytics(st: State<'_, AppState>, range: RangeInput, look: Look) -> CmdResult<AnalyticsView> {
    st.require(Action::ViewAnalytics)?;
    let dashboard = dashboard(&st, &range)?;
    let opts = ChartOptions::new(look.theme, Lang::from_tag(&look.lang));
    let charts = ChartKind::ALL
        .into_iter()
        .map(|kind| paydesk_charts::svg(kind, &dashboard, &opts).map(|svg| ChartSvg { kind, svg }))
        .collect::<Result<Vec<_>, _>>()
        .map_err(chart_error)?;
    Ok(AnalyticsView { dashboard, charts })
}

#[derive(Debug, Serialize)]
pub struct ReportWritten {
    /// The folder holding the files.
    pub dir: String,
    pub files: Vec<String>,
}

/// Writes the sales report (XLSX + CSV figures, PNG charts) into `<home>/exports/`.
#[tauri::command]
pub fn export_analytics(st: State<'_, AppState>, range: RangeInput, look: Look) -> CmdResult<ReportWritten> {
    st.require(Action::ExportAnalytics)?;
    let dashboard = dashboard(&st, &range)?;
    let dir = st.home.join("exports");
    let opts = ReportOptions { theme: look.theme, lang: Lang::from_tag(&look.lang), ..ReportOptions::default() };
    let files = report::write(&dashboard, &dir, &opts).map_err(|e| {
        st.audit("export_analytics", Some(&dir.display().to_string()), Outcome::Failed, &e.to_string());
        chart_error(e)
    })?;
    let names: Vec<String> = files.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    let detail = format!("sales {} – {}: {} files", dashboard.window.from, dashboard.window.to, names.len());
    st.audit("export_analytics", Some(&dir.display().to_string()), Outcome::Ok, &detail);
    Ok(ReportWritten { dir: dir.display().to_string(), files: names })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_validated_with_the_field_named() {
        let r = |period: &str, from: Option<&str>, to: Option<&str>| RangeInput { period: period.into(), from: from.map(Into::into), to: to.map(Into::into), store: None, till: None }.period();
        assert_eq!(r("week", None, None).unwrap(), Period::Week);
        assert!(matches!(r("custom", Some("2026-11-01"), Some("2026-11-30")).unwrap(), Period::Custom { .. }));
        assert!(r("custom", None, Some("2026-11-30")).unwrap_err().message.starts_with("from:"));
        assert!(r("custom", Some("2026-11-01"), Some("30/11/2026")).unwrap_err().message.starts_with("to:"));
        assert!(r("fortnight", None, None).unwrap_err().message.starts_with("period:"));
    }
}
