//! `paydesk report`: the sales summary for a range of local days — figures on screen (or as
//! JSON), and with `--out DIR` the report files (XLSX/CSV figures, PNG charts).

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate, Utc};
use clap::Args;
use paydesk_charts::report::{self, ReportOptions};
use paydesk_charts::text::percent;
use paydesk_charts::Theme;
use paydesk_core::analytics::{self, parse_day, Dashboard, Period, Unit};
use paydesk_core::export::Format;
use serde_json::json;

use crate::i18n::{self, catalog as m, t, tr};
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// First local day, YYYY-MM-DD (default: yesterday).
    #[arg(long, value_name = "DAY")]
    from: Option<String>,
    /// Last local day, inclusive (default: the same as --from).
    #[arg(long, value_name = "DAY")]
    to: Option<String>,
    /// A preset instead of --from/--to: today, yesterday, week, month, year.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// Write the report files (XLSX + CSV figures, PNG charts) into this folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Figure file formats (repeatable): xlsx, csv_bom, csv, csv_gbk, txt. Default: xlsx and csv_bom.
    #[arg(long = "format", value_name = "FORMAT")]
    formats: Vec<String>,
    /// Chart theme: light or dark.
    #[arg(long, default_value = "light")]
    theme: String,
    /// Skip the PNG charts.
    #[arg(long)]
    no_charts: bool,
    /// Check the analytics tables against the raw orders and refunds (and exit).
    #[arg(long)]
    check: bool,
    /// Only this store's sales (a chain's shared book; default: the whole chain).
    #[arg(long, value_name = "STORE")]
    store: Option<String>,
    /// Only this till's sales.
    #[arg(long, value_name = "TILL")]
    till: Option<String>,
}

fn period(a: &ReportArgs, today: NaiveDate) -> Result<Period, CliError> {
    if let Some(p) = &a.period {
        return match p.as_str() {
            "today" | "yesterday" | "week" | "month" | "year" => p.parse().map_err(|e| CliError::invalid("period", e)),
            other => Err(CliError::invalid("period", tr!(REPORT_PERIODS, value = other))),
        };
    }
    let from = match &a.from {
        Some(s) => parse_day(s, "from").map_err(|e| CliError::invalid("from", e))?,
        None => today - Days::new(1),
    };
    let to = match &a.to {
        Some(s) => parse_day(s, "to").map_err(|e| CliError::invalid("to", e))?,
        None => from,
    };
    Ok(Period::Custom { from, to })
}

fn options(a: &ReportArgs) -> Result<ReportOptions, CliError> {
    let theme = match a.theme.as_str() {
        "light" => Theme::Light,
        "dark" => Theme::Dark,
        other => return Err(CliError::invalid("theme", tr!(REPORT_THEMES, value = other))),
    };
    // The files speak the run's language (`--lang`, the locale, the home's setting).
    let lang = i18n::lang();
    let formats = if a.formats.is_empty() {
        ReportOptions::default().formats
    } else {
        a.formats.iter().map(|f| f.parse::<Format>().map_err(|e| CliError::invalid("format", e))).collect::<Result<_, _>>()?
    };
    Ok(ReportOptions { theme, lang, formats, charts: !a.no_charts })
}

pub(crate) fn report(home: &Path, a: ReportArgs, o: &Out) -> Result<i32, CliError> {
    crate::ctx::check_book(home)?;
    let (store, settings) = paydesk_core::shop::open(home).map_err(|e| match e {
        paydesk_core::shop::OpenError::Config(e) => CliError::invalid("settings", e),
        other => CliError::other(other),
    })?;
    let tz = settings.tz().map_err(|e| CliError::invalid("settings", e))?;
    if a.check {
        let bad = store.sales_bucket_mismatches()?;
        o.print(&json!({"consistent": bad.is_empty(), "mismatches": bad}), || {
            if bad.is_empty() { t(m::REPORT_CHECK_OK).into() } else { format!("{}\n  {}", t(m::REPORT_CHECK_BAD), bad.join("\n  ")) }
        });
        return Ok(if bad.is_empty() { EXIT_OK } else { EXIT_FAILURE });
    }
    let now = Utc::now();
    let opts = options(&a)?;
    let period = period(&a, now.with_timezone(&tz).date_naive())?;
    let scope = analytics::Scope { store: a.store.clone(), till: a.till.clone() };
    let db = analytics::dashboard_scoped(&store, tz, period, now, &scope).map_err(|e| match e {
        analytics::AnalyticsError::Invalid { field, problem } => CliError::invalid(field, problem),
        other => CliError::other(other),
    })?;
    let files = match &a.out {
        Some(dir) => report::write(&db, dir, &opts).map_err(CliError::other)?,
        None => Vec::new(),
    };
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    o.print(&json!({"dashboard": db, "files": paths}), || human(&db, &paths));
    Ok(EXIT_OK)
}

fn kpi_label(key: &str) -> &str {
    match key {
        "gross" => t(m::KPI_GROSS),
        "refunds" => t(m::KPI_REFUNDS),
        "net" => t(m::KPI_NET),
        "orders" => t(m::KPI_ORDERS),
        "average_ticket" => t(m::KPI_AVERAGE),
        "success_rate" => t(m::KPI_SUCCESS_RATE),
        "fees" => t(m::KPI_FEES),
        other => other,
    }
}

/// The figures as text for a terminal.
fn human(db: &Dashboard, files: &[String]) -> String {
    let (w, pw) = (&db.window, &db.previous_window);
    let mut s = tr!(REPORT_HEAD, from = w.from, to = w.to, tz = db.timezone, prev_from = pw.from, prev_to = pw.to) + "\n\n";
    for k in &db.kpis {
        let show = |v: Option<i64>| match (k.unit, v) {
            (_, None) => "—".to_string(),
            (Unit::Fen, Some(f)) => paydesk_core::money::format_signed_fen(f),
            (Unit::Count, Some(n)) => n.to_string(),
            (Unit::BasisPoints, Some(b)) => percent(b),
        };
        let change = match (k.unit, k.change_bp, k.diff) {
            (Unit::BasisPoints, _, Some(d)) => format!("{:+.1} pt", d as f64 / 100.0),
            (_, Some(c), _) => format!("{:+.1}%", c as f64 / 100.0),
            _ => String::new(),
        };
        s.push_str(&format!("  {} {}   {} {}   {}\n", i18n::pad(kpi_label(k.key), 16), i18n::pad_left(&show(k.value), 14), t(m::REPORT_PREV), i18n::pad_left(&show(k.previous), 14), change));
    }
    s.push_str(&format!("\n{}\n", t(m::REPORT_BY_CHANNEL)));
    for c in &db.channels {
        let rate = c.success_rate_bp.map(percent).unwrap_or_else(|| "—".into());
        let line = tr!(REPORT_CHANNEL_LINE, paid = format!("{:>6}", c.orders), tried = format!("{:>6}", c.attempts), rate = format!("{rate:>7}"), fees = c.fees);
        s.push_str(&format!("  {} {}  {line}\n", i18n::pad(&i18n::method_name(&c.channel), 10), i18n::pad_left(&c.gross.to_string(), 14)));
    }
    s.push_str(&format!("\n{}\n", t(m::REPORT_BY_METHOD)));
    for x in &db.methods {
        s.push_str(&format!("  {} {}  {}  {}\n", i18n::pad(&i18n::method_name(&x.method), 10), i18n::pad_left(&x.gross.to_string(), 14), i18n::pad_left(&percent(x.share_bp), 7), tr!(REPORT_METHOD_ORDERS, orders = x.orders)));
    }
    if !db.failures.is_empty() {
        s.push_str(&format!("\n{}\n", t(m::REPORT_FAILURES)));
        for f in &db.failures {
            s.push_str(&format!("  {:>5}×  {} {} {}\n", f.count, i18n::pad(&f.channel, 8), i18n::pad(&f.code, 36), f.message));
        }
    }
    if !files.is_empty() {
        s.push_str(&format!("\n{}\n  {}", tr!(REPORT_WROTE, count = files.len()), files.join("\n  ")));
    }
    s.trim_end().to_string()
}
