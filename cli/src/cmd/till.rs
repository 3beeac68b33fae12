//! `shift open|close|report|list` and `day close|list`: the till's day from a terminal.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use paydesk_core::export::Format;
use paydesk_core::money::format_signed_fen;
use paydesk_core::till::{Figures, ShiftReport, ZReport};
use paydesk_core::Money;
use serde_json::json;

use crate::ctx;
use crate::out::{CliError, Out, EXIT_OK};

#[derive(Subcommand, Debug)]
pub(crate) enum ShiftCmd {
    /// Open a shift at this till with the counted float (备用金).
    Open {
        /// Who takes the till (default: your login name).
        #[arg(long)]
        cashier: Option<String>,
        /// The float counted into the drawer, yuan.
        #[arg(long = "float", value_name = "YUAN", default_value = "0")]
        opening_float: String,
    },
    /// Hand over (交班): the blind count of the drawer closes the shift and locks its report.
    Close {
        /// Who hands over (default: your login name).
        #[arg(long)]
        cashier: Option<String>,
        /// The cash counted in the drawer, yuan (counted before the expected amount is shown).
        #[arg(long, value_name = "YUAN")]
        counted: String,
        /// Who takes the drawer over.
        #[arg(long, value_name = "NAME")]
        handed_to: Option<String>,
        #[command(flatten)]
        files: ReportFiles,
    },
    /// The X report of the open shift, or the handover report of SHIFT (with later adjustments).
    Report {
        /// A shift number (T1-20261125-1); default: the open shift.
        shift: Option<String>,
        /// Show an open shift's expected cash (left out by default: the drawer is counted blind).
        #[arg(long)]
        show_expected: bool,
        #[command(flatten)]
        files: ReportFiles,
    },
    /// Shifts of this till, newest first, with each over/short.
    List {
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum DayCmd {
    /// Close the business day (日结): this till's Z report, then the store's when all its tills closed.
    Close {
        /// Who closes the day (default: your login name).
        #[arg(long)]
        by: Option<String>,
        #[command(flatten)]
        files: ReportFiles,
    },
    /// Z reports taken, newest first.
    List {
        /// The store's Zs instead of this till's.
        #[arg(long)]
        store: bool,
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
}

/// Where a report also goes: files, the printer.
#[derive(Args, Debug)]
pub(crate) struct ReportFiles {
    /// Also write the report into this folder (XLSX and CSV by default).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// File formats (repeatable): xlsx, csv_bom, csv, csv_gbk, txt.
    #[arg(long = "format", value_name = "FORMAT")]
    formats: Vec<String>,
    /// Also print it on this till's receipt printer.
    #[arg(long)]
    print: bool,
}

/// The OS user: who runs the CLI when no name is given.
pub(crate) fn os_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "cli".into())
}

fn money(field: &str, s: &str) -> Result<Money, CliError> {
    Money::parse_yuan(s.trim()).map_err(|e| CliError::invalid(field, e))
}

fn y(fen: i64) -> String {
    format_signed_fen(fen)
}

fn figures_text(f: &Figures, show_cash_expected: bool) -> String {
    let mut s = String::new();
    for l in &f.lines {
        s.push_str(&format!("  {:<10} {:<10} {:>5}×  {:>12}", l.method, l.channel, l.count, y(l.amount)));
        if l.refund_count > 0 {
            s.push_str(&format!("   refunds {}× {}", l.refund_count, y(-l.refunded)));
        }
        s.push('\n');
    }
    s.push_str(&format!("  sales {}  payments {}  gross {}  refunds {} ({}×)  net {}\n", f.sales, f.paid_count, y(f.gross), y(f.refunded), f.refund_count, y(f.net)));
    if f.void_count > 0 {
        s.push_str(&format!("  voids {}× {}\n", f.void_count, y(f.voided)));
    }
    let c = &f.cash;
    s.push_str(&format!("  cash: sales {} refunds {}", y(c.sales), y(c.refunds)));
    if let Some(fl) = c.opening_float {
        s.push_str(&format!(" float {}", y(fl)));
    }
    match (show_cash_expected, c.expected, c.opening_float) {
        (true, Some(e), _) => s.push_str(&format!(" expected {}", y(e))),
        (true, None, Some(_)) => s.push_str(" expected: after the count (blind)"),
        _ => {}
    }
    if let Some(n) = c.counted {
        s.push_str(&format!(" counted {}", y(n)));
    }
    if let Some(os) = c.over_short {
        s.push_str(&format!("  over/short {}{}", if os > 0 { "+" } else { "" }, y(os)));
    }
    s.push('\n');
    for o in f.open_orders.iter().chain(&f.open_refunds) {
        s.push_str(&format!("  unresolved {} {} {} ({})\n", o.no, o.method, y(o.amount), o.status));
    }
    s
}

fn shift_text(r: &ShiftReport, tz: chrono_tz::Tz) -> String {
    let s = &r.shift;
    let t = |x: chrono::DateTime<chrono::Utc>| x.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let mut out = format!(
        "{} shift {} at {}/{} by {} — opened {}{}{}\n",
        if r.locked { "Handover report of" } else { "X report of" },
        s.shift_no,
        s.store,
        s.till,
        s.opened_by.as_deref().unwrap_or("system"),
        t(s.opened_at),
        s.closed_at.map(|c| format!(", closed {}", t(c))).unwrap_or_default(),
        s.handed_to.as_ref().map(|h| format!(", handed to {h}")).unwrap_or_default()
    );
    out.push_str(&figures_text(&r.figures, true));
    for a in &r.adjustments {
        out.push_str(&format!("  later: {} {} {} → {} ({}, {})\n", t(a.at), a.refund_no.as_deref().unwrap_or(&a.order_no), y(a.amount), a.to_status, a.source, a.method));
    }
    out.trim_end().to_string()
}

fn z_text(z: &ZReport) -> String {
    let whose = if z.till.is_empty() { format!("store {}", z.store) } else { format!("till {}/{}", z.store, z.till) };
    let mut s = format!("Z{:04} of {whose} for {} ({} shifts, over/short {})\n", z.z_no, z.business_date, z.shifts.len(), y(z.over_short));
    for sh in &z.shifts {
        s.push_str(&format!("  {} {} over/short {}\n", sh.shift_no, sh.opened_by.as_deref().unwrap_or("system"), sh.over_short.map(y).unwrap_or_else(|| "—".into())));
    }
    s.push_str(&figures_text(&z.figures, false));
    s.trim_end().to_string()
}

fn formats(f: &ReportFiles) -> Result<Vec<Format>, CliError> {
    if f.formats.is_empty() {
        return Ok(vec![Format::Xlsx, Format::CsvBom]);
    }
    f.formats.iter().map(|s| s.parse::<Format>().map_err(|e| CliError::invalid("format", e))).collect()
}

fn write_files(f: &ReportFiles, stem: &str, tables: &[paydesk_core::export::Table]) -> Result<Vec<String>, CliError> {
    let Some(dir) = &f.out else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for fmt in formats(f)? {
        for p in paydesk_core::export::write_files(dir, stem, tables, fmt).map_err(CliError::other)? {
            out.push(p.display().to_string());
        }
    }
    Ok(out)
}

pub(crate) async fn shift(home: &Path, c: ShiftCmd, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let tz = p.settings().tz().map_err(|e| CliError::invalid("timezone", e))?;
    match c {
        ShiftCmd::Open { cashier, opening_float } => {
            let who = cashier.unwrap_or_else(os_user);
            let opened = p.open_cashier_shift(&who, money("float", &opening_float)?)?;
            o.print(&opened, || {
                let mut s = format!("shift {} opened by {who} with a float of {} yuan", opened.shift.shift_no, opened.shift.opening_float);
                if let Some(sys) = &opened.closed_system {
                    s.push_str(&format!("\n(closed {}, which Paydesk had opened for remote payments)", sys.shift.shift_no));
                }
                s
            });
        }
        ShiftCmd::Close { cashier, counted, handed_to, files } => {
            let who = cashier.unwrap_or_else(os_user);
            let r = p.close_shift(&who, money("counted", &counted)?, handed_to.as_deref())?;
            let written = write_files(&files, &format!("shift-{}", r.shift.shift_no), &r.tables(tz))?;
            let printed = print_report((&p, home), files.print, &format!("handover {}", r.shift.shift_no), |l| paydesk_print::receipts::shift_report(l, &r)).await?;
            o.print(&json!({"report": r, "files": written, "printed": printed}), || with_files(shift_text(&r, tz), &written, printed));
        }
        ShiftCmd::Report { shift, show_expected, files } => {
            let r = p.shift_report(shift.as_deref())?;
            let r = if show_expected { r } else { r.blind() };
            let written = write_files(&files, &format!("shift-{}", r.shift.shift_no), &r.tables(tz))?;
            let printed = print_report((&p, home), files.print, &format!("report {}", r.shift.shift_no), |l| paydesk_print::receipts::shift_report(l, &r)).await?;
            o.print(&json!({"report": r, "files": written, "printed": printed}), || with_files(shift_text(&r, tz), &written, printed));
        }
        ShiftCmd::List { limit } => {
            let shifts = p.store().shifts(Some(p.settings().till_id.as_str()), None, None, limit)?;
            o.print(&shifts, || {
                if shifts.is_empty() {
                    return "no shifts yet".into();
                }
                shifts
                    .iter()
                    .map(|s| {
                        let when = s.opened_at.with_timezone(&tz).format("%Y-%m-%d %H:%M");
                        let os = s.over_short().map(|v| format!("over/short {}{}", if v > 0 { "+" } else { "" }, y(v))).unwrap_or_default();
                        format!("{:<16} {:<7} {:<8} {when}  {:<8} {os}", s.shift_no, s.status.as_str(), s.opened_by.as_deref().unwrap_or("system"), s.z_no.map(|z| format!("Z{z:04}")).unwrap_or_default())
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(EXIT_OK)
}

fn with_files(mut text: String, files: &[String], printed: Option<bool>) -> String {
    if !files.is_empty() {
        text.push_str(&format!("\nWrote {}", files.join(", ")));
    }
    if printed == Some(true) {
        text.push_str("\nPrinted.");
    }
    text
}

/// Prints a report on the till's printer when asked; a printer problem is an error of its own.
async fn print_report(at: (&paydesk_core::Payments, &Path), asked: bool, title: &str, layout: impl FnOnce(&paydesk_print::Layout) -> Vec<u8>) -> Result<Option<bool>, CliError> {
    if !asked {
        return Ok(None);
    }
    crate::cmd::print::send(at.0, at.1, title, layout).await.map(|_| Some(true))
}

pub(crate) async fn day(home: &Path, c: DayCmd, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let tz = p.settings().tz().map_err(|e| CliError::invalid("timezone", e))?;
    match c {
        DayCmd::Close { by, files } => {
            let who = by.unwrap_or_else(os_user);
            let d = p.close_day(&who)?;
            let mut written = write_files(&files, &format!("z-{}-{:04}", d.till_z.till, d.till_z.z_no), &d.till_z.tables(tz))?;
            if let Some(sz) = &d.store_z {
                written.extend(write_files(&files, &format!("z-{}-{:04}", sz.store, sz.z_no), &sz.tables(tz))?);
            }
            let mut printed = print_report((&p, home), files.print, &format!("Z{:04}", d.till_z.z_no), |l| paydesk_print::receipts::z_report(l, &d.till_z)).await?;
            if let Some(sz) = &d.store_z {
                printed = print_report((&p, home), files.print, &format!("store Z{:04}", sz.z_no), |l| paydesk_print::receipts::z_report(l, sz)).await?;
            }
            o.print(&json!({"day": d, "files": written, "printed": printed}), || {
                let mut s = z_text(&d.till_z);
                match (&d.store_z, d.waiting_for.is_empty()) {
                    (Some(z), _) => s.push_str(&format!("\n\n{}", z_text(z))),
                    (None, false) => s.push_str(&format!("\n\nThe store's Z waits for: {}", d.waiting_for.join(", "))),
                    (None, true) => {}
                }
                with_files(s, &written, printed)
            });
        }
        DayCmd::List { store, limit } => {
            let zs = p.z_reports(store, limit)?;
            o.print(&zs, || if zs.is_empty() { "no Z report yet".into() } else { zs.iter().map(|z| format!("Z{:04}  {}  net {}  over/short {}", z.z_no, z.business_date, y(z.figures.net), y(z.over_short))).collect::<Vec<_>>().join("\n") });
        }
    }
    Ok(EXIT_OK)
}
