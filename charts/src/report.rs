//! The sales summary report: the dashboard's figures as typed tables (XLSX sheets, CSV files —
//! core's export writers) and its charts as PNGs, in one folder.
//!
//! Files for a period `2026-11-24..2026-11-24` in `DIR`:
//! `sales-20261124-20261124.xlsx` (sheets summary, days, hours, heatmap, channels, methods,
//! failures), `sales-20261124-20261124-<table>.csv` (UTF-8 with BOM), and
//! `sales-20261124-20261124-<chart>.png` (1280 × 680).

use std::path::{Path, PathBuf};

use chrono::Datelike;
use paydesk_core::analytics::{Dashboard, Totals};
use paydesk_core::export::{self, Cell, Column, ColumnKind, Format, Table};
use serde::{Deserialize, Serialize};

use crate::text::percent;
use crate::{png, ChartError, ChartKind, ChartOptions, Lang, Theme};

/// What to write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOptions {
    pub theme: Theme,
    pub lang: Lang,
    /// Figure files (default: XLSX and CSV with BOM).
    pub formats: Vec<Format>,
    /// Write the PNG charts too.
    pub charts: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { theme: Theme::Light, lang: Lang::Zh, formats: vec![Format::Xlsx, Format::CsvBom], charts: true }
    }
}

fn col(key: &str, title: &str, kind: ColumnKind) -> Column {
    Column::new(key, title, kind)
}

fn rate(bp: Option<i64>) -> Cell {
    bp.map_or(Cell::Empty, Cell::Percent)
}

fn totals_row(label: &str, from: chrono::NaiveDate, to: chrono::NaiveDate, t: &Totals) -> Vec<Cell> {
    vec![
        Cell::text(label),
        Cell::Date(from),
        Cell::Date(to),
        Cell::Money(t.gross.fen()),
        Cell::Money(t.refunds.fen()),
        Cell::Money(t.net.fen()),
        Cell::Count(t.orders),
        Cell::Money(t.average_ticket.fen()),
        Cell::Count(t.attempts),
        Cell::Count(t.failed),
        Cell::Count(t.closed),
        rate(t.success_rate_bp),
        Cell::Money(t.fees.fen()),
    ]
}

/// The dashboard as tables (bilingual headers, row labels in `lang`).
pub fn tables(db: &Dashboard, lang: Lang) -> Vec<Table> {
    use ColumnKind::*;
    let (w, pw) = (&db.window, &db.previous_window);
    let mut summary = Table::new(
        "summary",
        "销售汇总 Sales summary",
        vec![
            col("period", "期间 Period", Text),
            col("from", "起 From", Date),
            col("to", "止 To", Date),
            col("gross", "销售额 Gross", Money),
            col("refunds", "退款 Refunds", Money),
            col("net", "净收入 Net", Money),
            col("orders", "订单数 Orders", Count),
            col("average_ticket", "客单价 Avg ticket", Money),
            col("attempts", "尝试 Attempts", Count),
            col("failed", "失败 Failed", Count),
            col("closed", "关闭 Closed", Count),
            col("success_rate", "成功率 Success rate", Percent),
            col("fees", "手续费 Fees", Money),
        ],
    );
    summary.notes = vec![
        format!("{} {} – {} ({}), {} {}", lang.t("current"), w.from, w.to, db.timezone, if lang == Lang::Zh { "生成于" } else { "generated" }, db.generated_at.with_timezone(&db.timezone.parse().unwrap_or(chrono_tz::UTC)).format("%Y-%m-%d %H:%M")),
        if lang == Lang::Zh {
            "订单按创建时间计入；退款按完成时间计入；净收入 = 销售额 − 退款；成功率 = 成功 / 已结束的尝试。".into()
        } else {
            "Orders count when created; refunds when completed; net = gross − refunds; success rate = paid / finished attempts.".into()
        },
    ];
    summary.push(totals_row(lang.t("current"), w.from, w.to, &db.current));
    summary.push(totals_row(lang.t("previous"), pw.from, pw.to, &db.previous));
    let (c, p) = (&db.current, &db.previous);
    summary.push(vec![
        Cell::text(if lang == Lang::Zh { "变化" } else { "Change" }),
        Cell::Empty,
        Cell::Empty,
        Cell::Money(c.gross.fen() - p.gross.fen()),
        Cell::Money(c.refunds.fen() - p.refunds.fen()),
        Cell::Money(c.net.fen() - p.net.fen()),
        Cell::Count(c.orders - p.orders),
        Cell::Money(c.average_ticket.fen() - p.average_ticket.fen()),
        Cell::Count(c.attempts - p.attempts),
        Cell::Count(c.failed - p.failed),
        Cell::Count(c.closed - p.closed),
        c.success_rate_bp.zip(p.success_rate_bp).map_or(Cell::Empty, |(a, b)| Cell::text(format!("{} pt", percent(a - b).trim_end_matches('%')))),
        Cell::Money(c.fees.fen() - p.fees.fen()),
    ]);

    let mut days = Table::new(
        "days",
        "每日 By day",
        vec![
            col("date", "日期 Date", Date),
            col("weekday", "星期 Weekday", Text),
            col("orders", "订单数 Orders", Count),
            col("attempts", "尝试 Attempts", Count),
            col("gross", "销售额 Gross", Money),
            col("refunds", "退款 Refunds", Money),
            col("net", "净收入 Net", Money),
            col("previous_date", "上期日期 Previous date", Date),
            col("previous_gross", "上期销售额 Previous gross", Money),
        ],
    );
    for d in &db.by_day {
        let wd = u8::try_from(d.date.weekday().number_from_monday()).unwrap_or(1);
        days.push(vec![
            Cell::Date(d.date),
            Cell::text(lang.weekday(wd)),
            Cell::Count(d.orders),
            Cell::Count(d.attempts),
            Cell::Money(d.gross.fen()),
            Cell::Money(d.refunds.fen()),
            Cell::Money(d.net.fen()),
            d.previous_date.map_or(Cell::Empty, Cell::Date),
            d.previous_gross.map_or(Cell::Empty, |g| Cell::Money(g.fen())),
        ]);
    }

    let mut hours = Table::new(
        "hours",
        "时段 By hour",
        vec![col("hour", "时段 Hour", Text), col("orders", "订单数 Orders", Count), col("gross", "销售额 Gross", Money), col("previous_gross", "上期销售额 Previous gross", Money)],
    );
    for h in &db.by_hour {
        hours.push(vec![Cell::text(format!("{:02}:00–{:02}:00", h.hour, h.hour + 1)), Cell::Count(h.orders), Cell::Money(h.gross.fen()), Cell::Money(h.previous_gross.fen())]);
    }

    let mut cols = vec![col("weekday", "星期 Weekday", Text)];
    cols.extend((0..24).map(|h| col(&format!("h{h:02}"), &format!("{h:02}"), Count)));
    let mut heat = Table::new("heatmap", "客流 Paid orders by weekday × hour", cols);
    for (i, row) in db.heatmap.iter().enumerate() {
        let mut cells = vec![Cell::text(lang.weekday(u8::try_from(i + 1).unwrap_or(1)))];
        cells.extend(row.iter().map(|n| Cell::Count(*n)));
        heat.push(cells);
    }

    let mut channels = Table::new(
        "channels",
        "通道 By channel",
        vec![
            col("channel", "通道 Channel", Text),
            col("attempts", "尝试 Attempts", Count),
            col("orders", "成功 Paid", Count),
            col("failed", "失败 Failed", Count),
            col("closed", "关闭 Closed", Count),
            col("success_rate", "成功率 Success rate", Percent),
            col("gross", "销售额 Gross", Money),
            col("fees", "手续费 Fees", Money),
            col("refund_count", "退款笔数 Refunds", Count),
            col("refunds", "退款额 Refunded", Money),
        ],
    );
    for ch in &db.channels {
        channels.push(vec![
            Cell::text(lang.method(&ch.channel)),
            Cell::Count(ch.attempts),
            Cell::Count(ch.orders),
            Cell::Count(ch.failed),
            Cell::Count(ch.closed),
            rate(ch.success_rate_bp),
            Cell::Money(ch.gross.fen()),
            Cell::Money(ch.fees.fen()),
            Cell::Count(ch.refund_count),
            Cell::Money(ch.refunds.fen()),
        ]);
    }

    let mut methods = Table::new(
        "methods",
        "支付方式 By payment method",
        vec![col("method", "支付方式 Method", Text), col("orders", "订单数 Orders", Count), col("gross", "销售额 Gross", Money), col("share", "占比 Share", Percent)],
    );
    for m in &db.methods {
        methods.push(vec![Cell::text(lang.method(&m.method)), Cell::Count(m.orders), Cell::Money(m.gross.fen()), Cell::Percent(m.share_bp)]);
    }

    let mut failures = Table::new(
        "failures",
        "未成功原因 Why orders were not paid",
        vec![col("channel", "通道 Channel", Text), col("code", "代码 Code", Text), col("message", "说明 Message", Text), col("count", "次数 Count", Count), col("share", "占比 Share", Percent)],
    );
    for f in &db.failures {
        let message = if f.code == "CLOSED" && lang == Lang::Zh { "未支付关闭（超时或取消）".to_string() } else { f.message.clone() };
        failures.push(vec![Cell::text(lang.method(&f.channel)), Cell::text(&f.code), Cell::text(message), Cell::Count(f.count), Cell::Percent(f.share_bp)]);
    }
    vec![summary, days, hours, heat, channels, methods, failures]
}

/// Writes the report for `db` into `dir` (created if needed) and returns the files written.
pub fn write(db: &Dashboard, dir: &Path, opts: &ReportOptions) -> Result<Vec<PathBuf>, ChartError> {
    let stem = format!("sales-{}-{}", db.window.from.format("%Y%m%d"), db.window.to.format("%Y%m%d"));
    let io = |path: &Path, e: std::io::Error| ChartError::Io { path: path.display().to_string(), problem: e.to_string() };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tables = tables(db, opts.lang);
    let mut files = Vec::new();
    for format in &opts.formats {
        files.extend(export::write_files(dir, &stem, &tables, *format).map_err(|e| ChartError::Io { path: dir.display().to_string(), problem: e.to_string() })?);
    }
    if opts.charts {
        let chart = ChartOptions::new(opts.theme, opts.lang).scaled(2);
        for kind in ChartKind::ALL {
            let path = dir.join(format!("{stem}-{}.png", kind.as_str()));
            std::fs::write(&path, png(kind, db, &chart)?).map_err(|e| io(&path, e))?;
            files.push(path);
        }
    }
    Ok(files)
}
