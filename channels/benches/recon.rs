//! Reconciliation at scale: a generated 1,000,000-row Alipay statement (GBK detail CSV, the
//! real 25-column layout) against 1,000,000 orders in the book — parse + match + summary — next
//! to pandas (`read_csv` + `merge` on the same statement and the same orders exported to CSV)
//! measured in the same run. Each side runs in its own process so peak memory (VmHWM / maxrss)
//! is its own.
//!
//! `cargo bench -p paydesk-channels --bench recon [-- ROWS]`; `PAYDESK_PYTHON` names a Python with
//! pandas (scripts/bench.sh installs one in a venv under ~/.cache/paydesk).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, TimeZone};
use paydesk_channels::statement::Parsers;
use paydesk_core::order::{Method, Order, OrderStatus, PayKind};
use paydesk_core::reconcile::matcher::{match_day, Adjacent, MatchInput};
use paydesk_core::reconcile::run::{match_prepared, prepare};
use paydesk_core::reconcile::{DiscrepancyKind, Quiet};
use paydesk_core::{AccountConfig, Money, Store};

const ACCOUNT: &str = "alipay-bench";
const HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

fn vm_hwm_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Writes the book (SQLite), the statement (GBK CSV) and the orders CSV for pandas.
/// Planted differences, one in every 1,000 rows each: amount differs, missing in the book,
/// status differs (the book closed it), fee differs.
fn generate(dir: &Path, rows: u64) {
    let tz = chrono_tz::Asia::Shanghai;
    let store = Store::open(&Store::path_in(dir)).unwrap();
    let acct: AccountConfig = toml::from_str(&format!("name = \"{ACCOUNT}\"\nchannel = \"alipay\"\nfee_rate_bp = 60")).unwrap();
    store.upsert_account(&acct).unwrap();
    let start = tz.from_local_datetime(&day().and_hms_opt(0, 0, 0).unwrap()).unwrap().with_timezone(&chrono::Utc);
    let step_ms = 86_000_000 / rows as i64;
    let no_of = |i: u64| format!("P{}B1{:03}", (start + chrono::Duration::milliseconds(i as i64 * step_ms)).with_timezone(&tz).format("%Y%m%d%H%M%S%3f"), i % 1000);
    let amount_of = |i: u64| 100 + (i * 7919 % 100_000) as i64;
    let mut orders = std::io::BufWriter::new(std::fs::File::create(dir.join("orders.csv")).unwrap());
    writeln!(orders, "order_no,status,amount,fee,paid_at").unwrap();
    let mut book = (0..rows).map(|i| {
        let created = start + chrono::Duration::milliseconds(i as i64 * step_ms);
        let amount = Money::from_fen(amount_of(i)).unwrap();
        let closed = i % 1000 == 3;
        let status = if closed { OrderStatus::Closed } else { OrderStatus::Success };
        let paid = (!closed).then(|| created + chrono::Duration::seconds(5));
        let o = Order {
            order_no: no_of(i).parse().unwrap(),
            kind: PayKind::Qr,
            method: Method::Alipay,
            channel: "alipay".into(),
            account: ACCOUNT.into(),
            amount,
            refunded: Money::ZERO,
            fee: amount.fee_at(60),
            status,
            subject: "商品".into(),
            channel_trade_no: paid.map(|_| format!("2026112522{:018}", i)),
            qr_code: None,
            auth_code_masked: None,
            failure_code: None,
            failure_message: None,
            operator: None,
            principal: None,
            till: "B1".into(),
            idempotency_key: None,
            created_at: created,
            updated_at: created,
            expires_at: created + chrono::Duration::minutes(5),
            paid_at: paid,
        };
        writeln!(orders, "{},{},{},{},{}", o.order_no, status.as_str(), o.amount.fen(), o.fee.fen(), paid.map(|p| p.timestamp_millis()).unwrap_or_default()).unwrap();
        o
    });
    store.bulk_load_orders(&mut book).unwrap();
    orders.flush().unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("statement.csv")).unwrap());
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    out.write_all(&gbk("#支付宝业务明细查询\r\n#账号：[20880001226710800156]\r\n#起始日期：[2026年11月25日 00:00:00]   终止日期：[2026年11月26日 00:00:00]\r\n#-----------------------------------------业务明细列表----------------------------------------\r\n")).unwrap();
    out.write_all(&gbk(&format!("{HEADER}\r\n"))).unwrap();
    let (mut sum, mut fees) = (0i64, 0i64);
    for i in 0..rows {
        let t = (start + chrono::Duration::milliseconds(i as i64 * step_ms)).with_timezone(&tz);
        let mut amount = amount_of(i);
        if i % 1000 == 1 {
            amount += 1;
        }
        let order = if i % 1000 == 2 { format!("X{}", &no_of(i)[1..]) } else { no_of(i) };
        let mut fee = Money::from_fen(amount).unwrap().fee_at(60).fen();
        if i % 1000 == 4 {
            fee += 1;
        }
        sum += amount;
        fees += fee;
        let (created, done) = (t.format("%Y-%m-%d %H:%M:%S"), (t + chrono::Duration::seconds(5)).format("%Y-%m-%d %H:%M:%S"));
        let y = |f: i64| paydesk_core::money::format_signed_fen(f);
        let line = format!(
            "2026112522{i:018}\t,{order}\t,交易\t,商品{},{created},{done},S01\t,一号店\t,王芳\t,T01\t,*明(138****0000)\t,{a},{a},0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,{},0.00,\r\n",
            i % 97,
            y(fee),
            a = y(amount)
        );
        out.write_all(&encoding_rs::GBK.encode(&line).0).unwrap();
    }
    out.write_all(&gbk(&format!(
        "#-----------------------------------------业务明细列表结束------------------------------------\r\n#交易合计：{rows}笔，商家实收共{}元，商家优惠共0.00元\r\n#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\r\n#导出时间：[2026年11月26日 05:46:49]\r\n",
        paydesk_core::money::format_signed_fen(sum)
    )))
    .unwrap();
    out.flush().unwrap();
    let _ = fees;
}

/// The timed part, in a child process: read the file, parse + read the book (in parallel),
/// match, summarise.
fn child(dir: &Path) {
    let store = Store::open(&Store::path_in(dir)).unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let t = Instant::now();
    let bytes = std::fs::read(dir.join("statement.csv")).unwrap();
    let mut p = prepare(&store, &Parsers, "alipay", ACCOUNT, day(), tz, bytes, &Quiet).unwrap();
    let parsed = t.elapsed();
    let o = match_prepared(&store, &mut p, ACCOUNT, 60, day(), tz, &Adjacent::default()).unwrap();
    let total = t.elapsed();
    let count = |k: DiscrepancyKind| o.discrepancies.iter().filter(|d| d.kind == k).count();
    println!(
        "{{\"seconds\": {:.3}, \"prepare_seconds\": {:.3}, \"rows\": {}, \"book\": {}, \"matched\": {}, \"amount_differs\": {}, \"missing_in_book\": {}, \"status_differs\": {}, \"fee_differs\": {}, \"missing_at_channel\": {}, \"net\": {}, \"declared_ok\": {}, \"peak_mb\": {:.0}}}",
        total.as_secs_f64(),
        parsed.as_secs_f64(),
        p.statement.rows.len(),
        p.book.orders.len(),
        o.summary.matched,
        count(DiscrepancyKind::AmountDiffers),
        count(DiscrepancyKind::MissingInBook),
        count(DiscrepancyKind::StatusDiffers),
        count(DiscrepancyKind::FeeDiffers),
        count(DiscrepancyKind::MissingAtChannel),
        o.summary.net,
        o.summary.declared_ok == Some(true),
        vm_hwm_mb()
    );
}

/// Profiling aid: each stage alone, one after another (`--split DIR`, DIR from PAYDESK_BENCH_KEEP).
fn split(dir: &Path) {
    use paydesk_core::reconcile::StatementParser;
    let store = Store::open(&Store::path_in(dir)).unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let t = Instant::now();
    let bytes = std::fs::read(dir.join("statement.csv")).unwrap();
    let read = t.elapsed();
    let (_, parsed) = Parsers.parse("alipay", bytes, &|_| {}).unwrap();
    let parse = t.elapsed() - read;
    let t = Instant::now();
    let (from, _) = paydesk_core::reconcile::run::day_bounds(day().pred_opt().unwrap(), tz);
    let (_, to) = paydesk_core::reconcile::run::day_bounds(day(), tz);
    let book = store.recon_book(ACCOUNT, from, to, tz, &|_| {}).unwrap();
    let book_t = t.elapsed();
    let t = Instant::now();
    let adjacent = Adjacent::default();
    let input = MatchInput { day: day(), fee_rate_bp: 60, rows: &parsed.rows, declared: &parsed.totals, book: &book, adjacent: &adjacent };
    let o = match_day(&input);
    println!("read {:.3} s, parse {:.3} s, book {:.3} s, match {:.3} s ({} discrepancies)", read.as_secs_f64(), parse.as_secs_f64(), book_t.as_secs_f64(), t.elapsed().as_secs_f64(), o.discrepancies.len());
}

fn field(json: &str, key: &str) -> f64 {
    json.split(&format!("\"{key}\": ")).nth(1).and_then(|r| r.split([',', '}']).next()).and_then(|v| v.trim().parse().ok()).unwrap_or(f64::NAN)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(Path::new(&args[1]));
    }
    if args.first().map(String::as_str) == Some("--split") {
        return split(Path::new(&args[1]));
    }
    let rows: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    generate(dir.path(), rows);
    if let Ok(keep) = std::env::var("PAYDESK_BENCH_KEEP") {
        let _ = std::fs::create_dir_all(&keep);
        for f in ["paydesk.db", "statement.csv", "orders.csv"] {
            let _ = std::fs::copy(dir.path().join(f), Path::new(&keep).join(f));
        }
    }
    let size = std::fs::metadata(dir.path().join("statement.csv")).map(|m| m.len()).unwrap_or(0);
    println!("recon: generated {rows} statement rows ({:.0} MB GBK) and {rows} book orders in {:.1} s", size as f64 / 1e6, t.elapsed().as_secs_f64());
    let exe = std::env::current_exe().unwrap();
    let mut ours: Vec<String> = Vec::new();
    // CPU seconds of the whole child (user + system, all threads) from /usr/bin/time when the
    // machine has it: on a shared machine they say more than wall time.
    let time = Path::new("/usr/bin/time").exists();
    for _ in 0..3 {
        let mut cmd = if time { std::process::Command::new("/usr/bin/time") } else { std::process::Command::new(&exe) };
        if time {
            cmd.args(["-f", "cpu %U %S"]).arg(&exe);
        }
        let out = cmd.arg("--child").arg(dir.path()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        let cpu: f64 = err.lines().rev().find_map(|l| l.strip_prefix("cpu ")).map_or(f64::NAN, |v| v.split_whitespace().filter_map(|x| x.parse::<f64>().ok()).sum());
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        ours.push(format!("{}, \"cpu_seconds\": {cpu:.2}}}", line.trim_end_matches('}')));
    }
    ours.sort_by(|a, b| field(a, "seconds").total_cmp(&field(b, "seconds")));
    let best = &ours[0];
    println!("recon: paydesk {best}");
    let s = field(best, "seconds");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("recon: machine load average (1 min) {} on {} cores", load.split_whitespace().next().unwrap_or("?"), std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("recon: paydesk parse + match + summary: {s:.2} s wall (best of 3; median {:.2} s), {:.2} CPU-s for the whole child process, peak memory {:.0} MB", field(&ours[1], "seconds"), field(best, "cpu_seconds"), field(best, "peak_mb"));
    let python = std::env::var("PAYDESK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench-recon-pandas.py");
    let out = std::process::Command::new(&python).arg(&script).arg(dir.path()).output();
    match out {
        Ok(o) if o.status.success() => {
            let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
            println!("recon: pandas  {p}");
            let ps = field(&p, "seconds");
            println!("recon: pandas read_csv + merge + summary: {ps:.2} s wall, {:.2} CPU-s, peak memory {:.0} MB", field(&p, "cpu_seconds"), field(&p, "peak_mb"));
            println!("recon: ratio pandas ÷ paydesk = {:.1}× wall, {:.1}× CPU (goal ≥ 5×: {})", ps / s, field(&p, "cpu_seconds") / field(best, "cpu_seconds"), if ps / s >= 5.0 { "met" } else { "NOT met" });
        }
        Ok(o) => println!("recon: pandas baseline failed: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => println!("recon: pandas baseline skipped ({python}: {e})"),
    }
    println!("recon: goal < 2 s for 1,000,000 rows on 2 cores: {}", if s < 2.0 && rows >= 1_000_000 { "met" } else if rows < 1_000_000 { "n/a (fewer rows)" } else { "NOT met" });
}
