//! Every chart renders to SVG and PNG in both themes and languages, with sane sizes; one-day,
//! long and empty periods too. `PAYDESK_CHART_DIR=dir` keeps the files for a look.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use paydesk_core::analytics::sample::{history, SampleAccount, SampleSpec};
use paydesk_core::analytics::{dashboard, Dashboard, Period};
use paydesk_core::{Method, Store};

use super::*;

pub(crate) fn book(days: i64, now: DateTime<Utc>) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    let a = |account: &str, channel: &str, method, weight| SampleAccount { account: account.into(), channel: channel.into(), method, fee_rate_bp: 38, weight };
    let accounts = vec![a("ali", "alipay", Method::Alipay, 42), a("wx", "wechat", Method::Wechat, 50), a("sb", "sandbox", Method::Sandbox, 8)];
    for acct in &accounts {
        store.upsert_account(&toml::from_str(&format!("name = \"{}\"\nchannel = \"{}\"", acct.account, acct.channel)).unwrap()).unwrap();
    }
    let tz = chrono_tz::Asia::Shanghai;
    let spec = SampleSpec { accounts, tz, till: "T1".parse().unwrap(), orders_per_day: 180, operators: vec!["王芳".into()], seed: 9 };
    let today = now.with_timezone(&tz).date_naive();
    for batch in history(&spec, today - Duration::days(days), today, now) {
        store.import_history(&batch, false).unwrap();
    }
    (dir, store)
}

pub(crate) fn now() -> DateTime<Utc> {
    "2026-11-25T09:30:00Z".parse().unwrap()
}

fn keep(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("PAYDESK_CHART_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Distinct colours in a PNG (a blank or one-colour image means nothing was drawn).
fn colours(png: &[u8]) -> usize {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    img.pixels().map(|p| p.0).collect::<std::collections::HashSet<_>>().len()
}

#[test]
fn every_chart_in_both_themes_and_languages() {
    let (_d, store) = book(70, now());
    let month = dashboard(&store, chrono_tz::Asia::Shanghai, Period::Month, now()).unwrap();
    assert!(month.current.orders > 1000, "{}", month.current.orders);
    for theme in [Theme::Light, Theme::Dark] {
        for lang in [Lang::Zh, Lang::En] {
            let opts = ChartOptions::new(theme, lang);
            for kind in ChartKind::ALL {
                let svg = svg(kind, &month, &opts).unwrap();
                assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{kind:?}");
                assert!(svg.contains("viewBox=\"0 0 640 340\""));
                assert!((2_000..400_000).contains(&svg.len()), "{kind:?} svg is {} bytes", svg.len());
                assert!(svg.contains("Noto Sans CJK SC, Noto Sans SC"), "font stack");
                let title = match (kind, lang) {
                    (ChartKind::Sales, Lang::Zh) => "每日销售额",
                    (ChartKind::Heatmap, Lang::En) => "Busy hours",
                    (ChartKind::Methods, Lang::Zh) => "支付宝",
                    (ChartKind::Channels, Lang::En) => "WeChat Pay",
                    _ => "",
                };
                assert!(svg.contains(title), "{kind:?} {lang:?} lacks {title}");
                let png = png(kind, &month, &opts.scaled(2)).unwrap();
                assert_eq!(png_size(&png), (1280, 680));
                assert!((10_000..3_000_000).contains(&png.len()), "{kind:?} png is {} bytes", png.len());
                assert!(colours(&png) > 20, "{kind:?} png has content");
                let name = format!("{}-{}-{}", kind.as_str(), if theme == Theme::Dark { "dark" } else { "light" }, if lang == Lang::Zh { "zh" } else { "en" });
                keep(&format!("{name}.png"), &png);
                keep(&format!("{name}.svg"), svg.as_bytes());
            }
        }
    }
}

#[test]
fn brand_colours_mark_the_channels() {
    let (_d, store) = book(10, now());
    let week = dashboard(&store, chrono_tz::Asia::Shanghai, Period::Week, now()).unwrap();
    let svg = svg(ChartKind::Methods, &week, &ChartOptions::new(Theme::Light, Lang::Zh)).unwrap();
    for (name, hex) in [("alipay", "#1677FF"), ("wechat", "#07C160")] {
        assert!(svg.to_uppercase().contains(hex), "{name} in {hex}");
    }
}

#[test]
fn one_day_year_and_empty_periods() {
    let (_d, store) = book(400, now());
    let tz = chrono_tz::Asia::Shanghai;
    let opts = ChartOptions::new(Theme::Light, Lang::Zh);
    let today = dashboard(&store, tz, Period::Today, now()).unwrap();
    let s = svg(ChartKind::Sales, &today, &opts).unwrap();
    assert!(s.contains("各时段销售额") && s.contains("上期"), "a one-day period goes by hour, with yesterday");
    keep("today-sales.png", &png(ChartKind::Sales, &today, &opts).unwrap());
    let year = custom(&store, "2025-11-26", "2026-11-25");
    assert_eq!(year.by_day.len(), 365);
    let p = png(ChartKind::Sales, &year, &opts.scaled(2)).unwrap();
    keep("year-sales.png", &p);
    assert!(colours(&p) > 20);
    let ys = svg(ChartKind::Sales, &year, &opts).unwrap();
    keep("year-sales.svg", ys.as_bytes());
    assert!(ys.contains("\n1月\n") || ys.contains("2026年1月"), "months label a long range, January too");
    assert!(ys.contains("10月") && ys.contains("2月"));
    let empty = custom(&store, "2030-01-01", "2030-01-07");
    for kind in ChartKind::ALL {
        let s = svg(kind, &empty, &opts).unwrap();
        assert!(s.contains("本期暂无数据"), "{kind:?} says there is nothing");
        assert!(!png(kind, &empty, &opts).unwrap().is_empty());
    }
    let bad = ChartOptions { width: 20, ..opts };
    assert!(svg(ChartKind::Sales, &today, &bad).unwrap_err().to_string().starts_with("width:"));
    assert!("pie".parse::<ChartKind>().unwrap_err().to_string().starts_with("chart:"));
}

fn custom(store: &Store, from: &str, to: &str) -> Dashboard {
    let p = Period::Custom { from: from.parse::<NaiveDate>().unwrap(), to: to.parse::<NaiveDate>().unwrap() };
    dashboard(store, chrono_tz::Asia::Shanghai, p, now()).unwrap()
}

#[test]
fn report_writes_figures_and_charts() {
    let (_d, store) = book(20, now());
    let db = custom(&store, "2026-11-24", "2026-11-24");
    let out = tempfile::tempdir().unwrap();
    let files = report::write(&db, out.path(), &report::ReportOptions::default()).unwrap();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for want in ["sales-20261124-20261124.xlsx", "sales-20261124-20261124-summary.csv", "sales-20261124-20261124-failures.csv", "sales-20261124-20261124-sales.png", "sales-20261124-20261124-heatmap.png"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert_eq!(files.len(), 1 + 7 + 5);
    let summary = std::fs::read(out.path().join("sales-20261124-20261124-summary.csv")).unwrap();
    assert!(summary.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let text = String::from_utf8_lossy(&summary);
    let row = text.lines().find(|l| l.starts_with("本期")).unwrap();
    assert!(row.contains(&format!(",{},", db.current.gross)), "{row} has the gross {}", db.current.gross);
    assert!(row.contains(&format!(",{},", db.current.orders)), "{row}");
    let days = String::from_utf8_lossy(&std::fs::read(out.path().join("sales-20261124-20261124-days.csv")).unwrap()).into_owned();
    assert_eq!(days.lines().count(), 2, "header + one day");
    let xlsx = std::fs::read(out.path().join("sales-20261124-20261124.xlsx")).unwrap();
    assert_eq!(&xlsx[..2], b"PK", "a zip (XLSX)");
    assert!(xlsx.len() > 5_000);
    for f in files.iter().filter(|p| p.extension().is_some_and(|e| e == "png")) {
        let png = std::fs::read(f).unwrap();
        assert_eq!(png_size(&png), (1280, 680));
        assert!(colours(&png) > 20);
    }
    if let Some(dir) = std::env::var_os("PAYDESK_CHART_DIR") {
        for f in &files {
            std::fs::copy(f, std::path::Path::new(&dir).join(f.file_name().unwrap())).unwrap();
        }
    }
}

/// The accent-coloured rectangles of an SVG, as (width, height).
fn accent_rects(svg: &str) -> Vec<(f64, f64)> {
    let attr = |el: &str, name: &str| -> f64 {
        let key = format!(" {name}=\"");
        el.split(&key).nth(1).and_then(|v| v.split('"').next()).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    };
    svg.split("<rect").skip(1).map(|el| el.split("/>").next().unwrap_or("")).filter(|el| el.to_uppercase().contains("#1677FF")).map(|el| (attr(el, "width"), attr(el, "height"))).collect()
}

#[test]
fn every_day_of_a_long_range_gets_a_solid_bar() {
    let (_d, store) = book(120, now());
    let opts = ChartOptions::new(Theme::Light, Lang::Zh);
    for (from, to) in [("2026-08-27", "2026-11-25"), ("2026-11-12", "2026-11-25")] {
        let db = custom(&store, from, to);
        let days_with_sales = db.by_day.iter().filter(|d| d.gross.fen() > 0).count();
        assert!(days_with_sales > 10, "{days_with_sales}");
        let bars: Vec<_> = accent_rects(&svg(ChartKind::Sales, &db, &opts).unwrap()).into_iter().filter(|(_, h)| *h > 0.0).collect();
        assert!(bars.len() > days_with_sales, "{from}..{to}: {} bars (plus the legend) for {days_with_sales} days", bars.len());
        let thin = bars.iter().filter(|(w, _)| *w < 3.0).count();
        assert_eq!(thin, 0, "{from}..{to}: {thin} hairline bars");
    }
}
