//! Reconciliation as the accountant runs it: `paydesk reconcile --file BILL --account A --date D`
//! timed as a process, start to exit, on a generated statement in each channel's real format
//! (WeChat Pay bill, Alipay GBK ZIP, UnionPay ZIP), against a book whose orders were loaded with
//! `paydesk orders import` — the first run of the day (fresh) and a re-run, each sample on the
//! book as it was before the day's first run. Beside it, pandas (`read_csv`/`read_fwf` + `merge`
//! on the same files) measured in the same run; both must find the same differences.
//!
//! `cargo bench -p paydesk --bench recon [-- ROWS [FORMAT…]]` (default 1,000,000 rows, every
//! format). `PAYDESK_PYTHON` names a Python with pandas (scripts/bench.sh makes one);
//! `PAYDESK_BENCH_DIR` keeps the data there. Peak memory comes from `/usr/bin/time -v`.

mod gen;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SAMPLES: usize = 3;

fn paydesk() -> &'static str {
    env!("CARGO_BIN_EXE_paydesk")
}

/// Runs `paydesk ARGS` in `home`; panics unless it exits with one of `ok`.
fn cli(home: &Path, args: &[&str], ok: &[i32]) -> String {
    let out = Command::new(paydesk()).arg("--home").arg(home).args(args).output().expect("paydesk runs");
    let code = out.status.code().unwrap_or(-1);
    assert!(ok.contains(&code), "paydesk {args:?} exited {code}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One timed run of the command: wall seconds, peak RSS (MB), its JSON output.
struct Timed {
    wall: f64,
    rss_mb: f64,
    cpu: f64,
    json: serde_json::Value,
}

fn timed(home: &Path, args: &[&str]) -> Timed {
    let time = Path::new("/usr/bin/time").exists();
    let mut cmd = if time { Command::new("/usr/bin/time") } else { Command::new(paydesk()) };
    if time {
        cmd.arg("-v").arg(paydesk());
    }
    cmd.arg("--home").arg(home).arg("--json").args(args);
    let t = Instant::now();
    let out = cmd.output().expect("paydesk runs");
    let wall = t.elapsed().as_secs_f64();
    let code = out.status.code().unwrap_or(-1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(code == 0 || code == 6, "paydesk {args:?} exited {code}: {err}");
    let field = |name: &str| err.lines().find_map(|l| l.trim().strip_prefix(name)).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(f64::NAN);
    Timed {
        wall,
        rss_mb: field("Maximum resident set size (kbytes):") / 1024.0,
        cpu: field("User time (seconds):") + field("System time (seconds):"),
        json: serde_json::from_slice(&out.stdout).expect("JSON output"),
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn copy_book(from: &Path, to: &Path) {
    for ext in ["", "-wal"] {
        let src = PathBuf::from(format!("{}{ext}", from.display()));
        let dst = PathBuf::from(format!("{}{ext}", to.display()));
        let _ = std::fs::remove_file(&dst);
        if src.exists() {
            std::fs::copy(&src, &dst).expect("copy the book");
            // On disk before the clock starts: a copy still being written back would stall the
            // run's own commit (its fsync waits behind gigabytes of the copy).
            std::fs::File::open(&dst).and_then(|f| f.sync_all()).expect("sync the copy");
        }
    }
    let _ = std::fs::remove_file(format!("{}-shm", to.display()));
}

fn pandas(format: &str, fee_bp: i64, statement: &Path, orders: &Path) -> Option<serde_json::Value> {
    let python = std::env::var("PAYDESK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench-recon-pandas.py");
    match Command::new(&python).arg(&script).arg(format).arg(statement).arg(orders).arg(fee_bp.to_string()).output() {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).ok(),
        Ok(o) => {
            println!("recon: pandas baseline failed: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""));
            None
        }
        Err(e) => {
            println!("recon: pandas baseline skipped ({python}: {e})");
            None
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let rows: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let only: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let formats: Vec<gen::Format> = gen::FORMATS.iter().copied().filter(|f| only.is_empty() || only.contains(&f.name)).collect();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::var("PAYDESK_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|_| tmp.path().to_path_buf());
    let home = dir.join("home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&dir).expect("bench dir");
    println!("recon: machine load average (1 min) {} on {} cores", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?"), std::thread::available_parallelism().map_or(0, |n| n.get()));

    // The book: a home with the demo accounts (pointing nowhere: adjacent days cannot be
    // downloaded, fast), and each format's day of orders loaded through `paydesk orders import`.
    cli(&home, &["init", "--till", "T1"], &[0]);
    let accounts = dir.join("accounts.toml");
    std::fs::write(&accounts, paydesk_channels::demo::demo_accounts("http://127.0.0.1:9", &paydesk_channels::sim::demo_keys_dir())).expect("accounts file");
    cli(&home, &["accounts", "import", accounts.to_str().unwrap_or_default()], &[0]);
    let mut files = Vec::new();
    for f in &formats {
        let t = Instant::now();
        let (orders, statement) = gen::generate(&dir, *f, rows);
        let generated = t.elapsed().as_secs_f64();
        let t = Instant::now();
        cli(&home, &["orders", "import", orders.to_str().unwrap_or_default()], &[0]);
        let size = std::fs::metadata(&statement).map_or(0, |m| m.len());
        println!(
            "recon: {:<8} {rows} lines, statement {} ({:.0} MB); generated in {generated:.1} s; `paydesk orders import` of {} orders: {:.1} s",
            f.name,
            statement.file_name().unwrap_or_default().to_string_lossy(),
            size as f64 / 1e6,
            rows - gen::expected(rows).iter().filter(|(k, _)| matches!(*k, "missing_in_book" | "external")).map(|(_, n)| n).sum::<u64>(),
            t.elapsed().as_secs_f64()
        );
        files.push((*f, orders, statement, size));
    }
    let db = paydesk_core::Store::path_in(&home);
    let pristine = dir.join("pristine.db");
    copy_book(&db, &pristine);

    for (f, orders, statement, size) in &files {
        let run_args = ["reconcile", "--file", statement.to_str().unwrap_or_default(), "--account", f.account, "--date", gen::DAY];
        let (mut fresh, mut again) = (Vec::new(), Vec::new());
        for _ in 0..SAMPLES {
            copy_book(&pristine, &db);
            let _ = std::fs::remove_dir_all(home.join("statements"));
            fresh.push(timed(&home, &run_args));
            again.push(timed(&home, &run_args));
        }
        // The same differences every time, and the ones planted.
        let kinds = |t: &Timed| -> Vec<(String, u64)> {
            let k = &t.json["runs"][0]["summary"]["kinds"];
            k.as_array().map(|a| a.iter().map(|x| (x["kind"].as_str().unwrap_or("").to_string(), x["count"].as_u64().unwrap_or(0))).collect()).unwrap_or_default()
        };
        let want: Vec<(String, u64)> = {
            let mut w: Vec<(String, u64)> = gen::expected(rows).iter().filter(|(_, n)| *n > 0).map(|(k, n)| (k.to_string(), *n)).collect();
            let order = ["missing_in_book", "missing_at_channel", "amount_differs", "status_differs", "fee_differs", "refund_differs", "duplicate", "external"];
            w.sort_by_key(|(k, _)| order.iter().position(|o| o == k));
            w
        };
        for t in fresh.iter().chain(&again) {
            assert_eq!(kinds(t), want, "{}: the differences found", f.name);
        }
        let ids = |t: &Timed| t.json["discrepancies"].as_array().map(|a| a.iter().map(|d| d["id"].as_i64().unwrap_or(0)).collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(ids(&fresh[0]), ids(&again[0]), "{}: a re-run keeps the discrepancies' ids", f.name);
        let net = fresh[0].json["runs"][0]["summary"]["net"].as_i64().unwrap_or(0);
        let stat = |v: &[Timed], g: fn(&Timed) -> f64| median(&mut v.iter().map(g).collect::<Vec<_>>());
        let (fw, aw) = (stat(&fresh, |t| t.wall), stat(&again, |t| t.wall));
        let (fr, ar) = (stat(&fresh, |t| t.rss_mb), stat(&again, |t| t.rss_mb));
        let (fc, ac) = (stat(&fresh, |t| t.cpu), stat(&again, |t| t.cpu));
        let budget = *size as f64 / 1e6 + 200.0;
        println!("recon: {:<8} paydesk fresh run: {fw:.3} s wall (median of {SAMPLES}), {fc:.2} CPU-s, peak {fr:.0} MB", f.name);
        println!("recon: {:<8} paydesk re-run:   {aw:.3} s wall (median of {SAMPLES}), {ac:.2} CPU-s, peak {ar:.0} MB", f.name);
        let p = pandas(f.name, f.fee_bp, statement, orders);
        if let Some(p) = &p {
            let same = want.iter().all(|(k, n)| p[k.as_str()].as_u64() == Some(*n)) && p["net"].as_i64() == Some(net);
            let ps = p["seconds"].as_f64().unwrap_or(f64::NAN);
            println!(
                "recon: {:<8} pandas read + merge: {ps:.3} s ({:.3} s as a process with `import pandas`), {:.2} CPU-s, peak {} MB; same differences and net: {}",
                f.name,
                p["process_seconds"].as_f64().unwrap_or(f64::NAN),
                p["cpu_seconds"].as_f64().unwrap_or(f64::NAN),
                p["peak_mb"],
                if same { "yes" } else { "NO" }
            );
            if !same {
                let theirs: Vec<String> = want.iter().map(|(k, _)| format!("{k} {}", p[k.as_str()])).collect();
                println!("recon: {:<8} they differ — paydesk {want:?}, net {net}; pandas {}, net {}", f.name, theirs.join(", "), p["net"]);
            }
            println!("recon: {:<8} ratio pandas ÷ paydesk: fresh {:.1}×, re-run {:.1}× (goal ≥ 5×: {})", f.name, ps / fw, ps / aw, if ps / fw.max(aw) >= 5.0 { "met" } else { "NOT met" });
        }
        let wall_ok = fw.max(aw) <= 1.0;
        let mem_ok = fr.max(ar) <= budget;
        println!(
            "recon: {:<8} goal ≤ 1.0 s wall: {}; goal peak ≤ statement {:.0} MB + 200 MB = {budget:.0} MB: {}",
            f.name,
            if rows < 1_000_000 { "n/a (fewer rows)" } else if wall_ok { "met" } else { "NOT met" },
            *size as f64 / 1e6,
            if mem_ok { "met" } else { "NOT met" }
        );
    }
}
