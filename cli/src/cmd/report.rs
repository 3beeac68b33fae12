//! `paydesk report`: the sales summary for a range of local days — figures on screen (or as
//! JSON), and with `--out DIR` the report files (XLSX/CSV figures, PNG charts).

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate, Utc};
use clap::Args;
use paydesk_charts::report::{self, ReportOptions};
use paydesk_charts::text::percent;
use paydesk_charts::{Lang, Theme};
use paydesk_core::analytics::{self, parse_day, Dashboard, Period, Unit};
use paydesk_core::export::Format;
use paydesk_core::Store;
use serde_json::json;

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
    /// Labels: zh-CN or en.
    #[arg(long, default_value = "zh-CN")]
    lang: String,
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
            other => Err(CliError::invalid("period", format!("{other:?} is not today, yesterday, week, month or year"))),
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
        other => return Err(CliError::invalid("theme", format!("{other:?} is not light or dark"))),
    };
    let lang = match a.lang.as_str() {
        "zh-CN" | "zh" => Lang::Zh,
        "en" => Lang::En,
        other => return Err(CliError::invalid("lang", format!("{other:?} is not zh-CN or en"))),
    };
    let formats = if a.formats.is_empty() {
        ReportOptions::default().formats
    } else {
        a.formats.iter().map(|f| f.parse::<Format>().map_err(|e| CliError::invalid("format", e))).collect::<Result<_, _>>()?
    };
    Ok(ReportOptions { theme, lang, formats, charts: !a.no_charts })
}

pub(crate) fn report(home: &Path, a: ReportArgs, o: &Out) -> Result<i32, CliError> {
    let db_path = Store::path_in(home);
    if !db_path.exists() {
        return Err(CliError::invalid("home", format!("{} has no Paydesk book; run `paydesk init` (or `paydesk demo`) first", home.display())));
    }
    let (store, settings) = paydesk_core::shop::open(home).map_err(|e| match e {
        paydesk_core::shop::OpenError::Config(e) => CliError::invalid("settings", e),
        other => CliError::other(other),
    })?;
    let tz = settings.tz().map_err(|e| CliError::invalid("settings", e))?;
    if a.check {
        let bad = store.sales_bucket_mismatches()?;
        o.print(&json!({"consistent": bad.is_empty(), "mismatches": bad}), || {
            if bad.is_empty() { "analytics tables agree with the orders and refunds".into() } else { format!("analytics tables disagree with the book:\n  {}", bad.join("\n  ")) }
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

/// The figures as text for a terminal.
fn human(db: &Dashboard, files: &[String]) -> String {
    let (w, pw) = (&db.window, &db.previous_window);
    let mut s = format!("Sales {} – {} ({}), compared with {} – {}\n\n", w.from, w.to, db.timezone, pw.from, pw.to);
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
        s.push_str(&format!("  {:<16} {:>14}   prev {:>14}   {}\n", k.key, show(k.value), show(k.previous), change));
    }
    s.push_str("\nBy channel\n");
    for c in &db.channels {
        let rate = c.success_rate_bp.map(percent).unwrap_or_else(|| "—".into());
        s.push_str(&format!("  {:<10} {:>14}  {:>6} paid / {:>6} tried  {:>7}  fees {}\n", c.channel, c.gross.to_string(), c.orders, c.attempts, rate, c.fees));
    }
    s.push_str("\nBy method\n");
    for m in &db.methods {
        s.push_str(&format!("  {:<10} {:>14}  {:>7}  {} orders\n", m.method, m.gross.to_string(), percent(m.share_bp), m.orders));
    }
    if !db.failures.is_empty() {
        s.push_str("\nWhy orders were not paid\n");
        for f in &db.failures {
            s.push_str(&format!("  {:>5}×  {:<8} {:<36} {}\n", f.count, f.channel, f.code, f.message));
        }
    }
    if !files.is_empty() {
        s.push_str(&format!("\nWrote {} files:\n  {}", files.len(), files.join("\n  ")));
    }
    s.trim_end().to_string()
}
