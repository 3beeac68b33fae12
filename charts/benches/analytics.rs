//! Dashboard speed on a year of a busy shop: 1,000,000 orders (with refunds, failures, closed
//! QR codes) in the book. Times the dashboard figures plus one chart (SVG) for a month and for
//! the year, median of several runs, beside a baseline measured in the same run: the same
//! figures computed by scanning the raw orders and refunds tables (same code, `Source::Raw`).
//! Goal (issue #9): < 150 ms each on 2 cores.
//!
//! The book is generated once (deterministic) and cached in `$HOME/.cache/paydesk/bench/`.
//!
//! `cargo bench -p paydesk-charts --bench analytics [-- ORDERS]`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, Utc};
use paydesk_charts::{ChartKind, ChartOptions, Lang, Theme};
use paydesk_core::analytics::sample::{history, SampleAccount, SampleSpec};
use paydesk_core::analytics::{dashboard_from, Period};
use paydesk_core::store::Source;
use paydesk_core::{Method, Store};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn now() -> DateTime<Utc> {
    "2026-11-25T12:00:00Z".parse().unwrap_or_default()
}

fn spec(orders_per_year: u64) -> SampleSpec {
    let a = |account: &str, channel: &str, method, fee_rate_bp, weight| SampleAccount { account: account.into(), channel: channel.into(), method, fee_rate_bp, weight };
    SampleSpec {
        accounts: vec![
            a("alipay-main", "alipay", Method::Alipay, 38, 40),
            a("wechat-main", "wechat", Method::Wechat, 38, 46),
            a("wechat-backup", "wechat", Method::Wechat, 60, 6),
            a("sandbox", "sandbox", Method::Sandbox, 0, 8),
        ],
        tz: TZ,
        till: "T1".parse().unwrap_or_else(|_| unreachable!()),
        // The generator's average day is ~0.96 × orders_per_day.
        orders_per_day: u32::try_from(orders_per_year * 100 / 96 / 365).unwrap_or(u32::MAX),
        operators: vec!["王芳".into(), "李老板".into()],
        seed: 2026,
    }
}

/// Opens the cached book, generating it first if it is missing, has another size, or cannot be
/// opened with this build's schema (a cache left by an older build).
fn book(orders: u64) -> (Store, PathBuf) {
    let dir = dirs_home().join(".cache/paydesk/bench");
    std::fs::create_dir_all(&dir).expect("cache dir");
    let path = dir.join(format!("analytics-{orders}-v2.db"));
    if path.exists() {
        match Store::open(&path) {
            Ok(store) => {
                let n = store.order_count().expect("count");
                if n.unsigned_abs().abs_diff(orders) < orders / 10 {
                    println!("book: {n} orders (cached in {})", path.display());
                    return (store, path);
                }
            }
            Err(e) => {
                let why: String = e.to_string().chars().take(60).collect();
                println!("book: the cached {} does not open with this build ({why}…); generating it again", path.display());
            }
        }
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let store = Store::open(&tmp).expect("new book");
    let spec = spec(orders);
    for a in &spec.accounts {
        let toml = format!("name = \"{}\"\nchannel = \"{}\"\nfee_rate_bp = {}", a.account, a.channel, a.fee_rate_bp);
        store.upsert_account(&toml::from_str(&toml).expect("account")).expect("account");
    }
    let today = now().with_timezone(&TZ).date_naive();
    let t = Instant::now();
    let mut batch = Vec::new();
    let mut n = 0usize;
    for day in history(&spec, today - Days::new(364), today, now()) {
        batch.extend(day);
        if batch.len() > 50_000 {
            n += store.import_history(&batch, false).expect("import");
            batch.clear();
        }
    }
    n += store.import_history(&batch, false).expect("import");
    println!("book: generated {n} orders over 365 days in {:.1} s", t.elapsed().as_secs_f64());
    drop(store);
    std::fs::rename(&tmp, &path).expect("rename");
    (Store::open(&path).expect("reopen"), path)
}

fn dirs_home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Figures + one chart, timed separately; median of `runs`.
fn measure(store: &Store, period: Period, source: Source, runs: usize) -> (Duration, Duration, i64) {
    let opts = ChartOptions::new(Theme::Light, Lang::Zh);
    let mut figures = Vec::new();
    let mut charts = Vec::new();
    let mut orders = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let db = dashboard_from(store, TZ, period, now(), source).expect("dashboard");
        figures.push(t.elapsed());
        let t = Instant::now();
        let svg = paydesk_charts::svg(ChartKind::Sales, &db, &opts).expect("chart");
        charts.push(t.elapsed());
        std::hint::black_box(svg);
        orders = db.current.orders;
    }
    (median(figures), median(charts), orders)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let orders: u64 = std::env::args().skip(1).find(|a| !a.starts_with("--")).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let (store, _) = book(orders);
    let today = now().with_timezone(&TZ).date_naive();
    let month = Period::Custom { from: NaiveDate::from_ymd_opt(2026, 10, 26).unwrap_or(today), to: today };
    let year = Period::Custom { from: today - Days::new(364), to: today };
    // Warm the page cache and statement caches once.
    measure(&store, year, Source::Buckets, 1);
    println!("{:<6} {:>9} {:>12} {:>10} {:>10} {:>16} {:>8}", "range", "orders", "figures ms", "chart ms", "total ms", "raw-scan ms", "ratio");
    let mut ok = true;
    for (name, period) in [("month", month), ("year", year)] {
        let (f, c, n) = measure(&store, period, Source::Buckets, 9);
        let (rf, rc, rn) = measure(&store, period, Source::Raw, 3);
        assert_eq!(n, rn, "the pre-aggregate and the raw tables agree on the number of paid orders");
        let total = f + c;
        let raw = rf + rc;
        ok &= total < Duration::from_millis(150);
        println!("{name:<6} {n:>9} {:>12.1} {:>10.1} {:>10.1} {:>16.1} {:>7.1}×", ms(f), ms(c), ms(total), ms(raw), raw.as_secs_f64() / total.as_secs_f64());
    }
    // Where the year's time goes.
    let (w, _) = year.resolve(TZ, now()).expect("window");
    let spans = paydesk_core::analytics::offset_spans(TZ, w.start, w.end);
    let t = Instant::now();
    let cells = store.sales_cells(&spans, Source::Buckets).expect("cells");
    let t_cells = t.elapsed();
    let t = Instant::now();
    let fails = store.failure_groups(w.start.timestamp_millis(), w.end.timestamp_millis()).expect("failures");
    println!("year breakdown: {} cells in {:.1} ms, {} failure groups in {:.1} ms", cells.len(), ms(t_cells), fails.len(), ms(t.elapsed()));
    let db = dashboard_from(&store, TZ, year, now(), Source::Buckets).expect("dashboard");
    let t = Instant::now();
    let png = paydesk_charts::png(ChartKind::Sales, &db, &ChartOptions::new(Theme::Light, Lang::Zh).scaled(2)).expect("png");
    println!("export: the year's sales chart as a 1280×680 PNG ({} KB) in {:.1} ms", png.len() / 1024, ms(t.elapsed()));
    println!("goal: figures + one chart < 150 ms for a month and for the year: {}", if ok { "met" } else { "NOT met" });
}
