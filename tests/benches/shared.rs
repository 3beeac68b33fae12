//! The shared book under load, as the shop runs it: `paydesk serve` processes on a throwaway
//! PostgreSQL, paid through their local APIs against the gateway simulator.
//!
//! 1. Three tills (two stores) taking payments at once: orders per second in total, and the sync
//!    lag (payment answered → row visible in the shared book) p50/p99 — beside one till on its
//!    own SQLite book taking the same payments in the same run (the baseline).
//! 2. With `PAYDESK_BENCH_RECON_DIR` (the book and statements that the reconciliation bench
//!    keeps with `PAYDESK_BENCH_DIR`, see scripts/bench.sh; its WeChat day of 1,000,000 lines): the book joins a shared book, a second
//!    till joins the shop and receives it, and `paydesk reconcile` of the 1,000,000-line statement
//!    runs at that second till (over its replica of the shared book) beside the same run on the
//!    single-till book.
//!
//! `cargo bench -p paydesk-e2e --bench shared [-- PAYMENTS]`

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paydesk_core::store::testpg::TestPg;
use paydesk_e2e::{paydesk_bin, sandbox_accounts, Cli, Service};
use serde_json::json;

struct Till {
    /// Keeps the till's home (removed when dropped).
    _cli: Cli,
    svc: Service,
    key: String,
}

fn till(id: &str, store: &str, shared: Option<&str>, sim: &Service) -> Till {
    let cli = Cli::new();
    let mut init = vec!["init", "--till", id, "--store", store];
    if let (Some(url), true) = (shared, id != "T1") {
        init.extend(["--shared", url]);
    }
    cli.ok(&init);
    if id == "T1" || shared.is_none() {
        let file = sandbox_accounts(cli.home.path(), &sim.url());
        cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    }
    if let (Some(url), "T1") = (shared, id) {
        cli.ok(&["shared", "join", "--url", url]);
    }
    let cfg = cli.home.path().join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("sync_interval_ms = 1000", "sync_interval_ms = 100");
    std::fs::write(&cfg, text).unwrap();
    let key = cli.ok(&["apikey", "create", "--name", "POS"])["token"].as_str().unwrap().to_string();
    let svc = Service::start(Some(cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]);
    Till { _cli: cli, svc, key }
}

/// `n` barcode payments through the till's API, one after another; (order number, answered at).
fn pay(t: &Till, n: usize, tag: &str) -> Vec<(String, Instant)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let http = reqwest::Client::new();
    (0..n)
        .map(|i| {
            let body = json!({"amount": format!("{}.{:02}", 1 + i % 90, i % 100), "auth_code": "990000000000000001"});
            let req = http.post(format!("{}/api/v1/payments", t.svc.url())).bearer_auth(&t.key).header("Idempotency-Key", format!("{tag}-{i}")).json(&body);
            let v: serde_json::Value = rt.block_on(async { req.send().await.unwrap().json().await.unwrap() });
            assert_eq!(v["status"], "success", "{v}");
            (v["order_no"].as_str().unwrap().to_string(), Instant::now())
        })
        .collect()
}

/// The tills pay `n` each at once; returns the wall time and every (order, answered at).
fn pay_at_once(tills: &[&Till], n: usize) -> (Duration, Vec<(String, Instant)>) {
    let t0 = Instant::now();
    let all = std::thread::scope(|s| {
        let hs: Vec<_> = tills.iter().enumerate().map(|(k, t)| s.spawn(move || pay(t, n, &format!("b{k}")))).collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    (t0.elapsed(), all)
}

fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn throughput(n: usize) {
    let mut server = TestPg::start().expect("PostgreSQL (scripts/deps-apt.sh)");
    let url = server.create_db("bench").unwrap();
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    // The baseline: one till on its own book, the same number of payments from three clients.
    let single = till("T0", "S0", None, &sim);
    let (wall, _) = pay_at_once(&[&single, &single, &single], n);
    let base = (3 * n) as f64 / wall.as_secs_f64();
    drop(single);
    let tills = [till("T1", "S1", Some(&url), &sim), till("T2", "S1", Some(&url), &sim), till("T3", "S2", Some(&url), &sim)];
    // Watch the shared book: when does each order become visible there?
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (seen, stop, url) = (seen.clone(), stop.clone(), url.clone());
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut rev = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for r in c.query("SELECT order_no, rev FROM orders WHERE rev > $1 ORDER BY rev", &[&rev]).unwrap() {
                    rev = rev.max(r.get(1));
                    seen.lock().unwrap().entry(r.get(0)).or_insert_with(Instant::now);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let (wall, paid) = pay_at_once(&[&tills[0], &tills[1], &tills[2]], n);
    let total = (3 * n) as f64 / wall.as_secs_f64();
    let end = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < paid.len() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();
    let seen = seen.lock().unwrap();
    let mut lag: Vec<f64> = paid.iter().filter_map(|(no, at)| seen.get(no).map(|s| s.saturating_duration_since(*at).as_secs_f64() * 1000.0)).collect();
    lag.sort_by(f64::total_cmp);
    println!("shared: {} payments: one SQLite till {base:.0} orders/s; three tills on one PostgreSQL {total:.0} orders/s in total ({:.2}x the single till)", 3 * n, total / base);
    println!("shared: sync lag (answered → in the shared book, sync every 100 ms): p50 {:.0} ms, p99 {:.0} ms; {} of {} orders arrived", pct(&lag, 0.5), pct(&lag, 0.99), lag.len(), paid.len());
    drop(tills);
    server.stop_server().unwrap();
}

fn timed(what: &str, home: &Path, args: &[&str]) -> f64 {
    let t = Instant::now();
    let out = Command::new(paydesk_bin()).arg("--home").arg(home).arg("--json").args(args).output().unwrap();
    let s = t.elapsed().as_secs_f64();
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 6), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    s
}

fn reconciliation(dir: &Path) {
    let mut server = TestPg::start().expect("PostgreSQL (scripts/deps-apt.sh)");
    let url = server.create_db("recon").unwrap();
    let (single, b1, b2) = (Cli::new(), Cli::new(), Cli::new());
    for h in [&single, &b1] {
        h.ok(&["init", "--till", "B1", "--store", "S1"]);
        for side in ["paydesk.db-wal", "paydesk.db-shm"] {
            let _ = std::fs::remove_file(h.home.path().join(side));
        }
        std::fs::copy(dir.join("pristine.db"), h.home.path().join("paydesk.db")).unwrap();
    }
    let statement = dir.join("wechat-2026-11-25.csv");
    let recon = ["reconcile", "--account", "wechat-demo", "--date", "2026-11-25", "--file", statement.to_str().unwrap()];
    let alone = timed("reconcile on a single till", single.home.path(), &recon);
    let join = timed("shared join of the 1,000,000-order book", b1.home.path(), &["shared", "join", "--url", &url]);
    let receive = timed("a second till joins the shop", b2.home.path(), &["init", "--till", "B2", "--store", "S1", "--shared", &url]);
    let shared = timed("reconcile at the second till", b2.home.path(), &recon);
    println!("shared: 1,000,000 orders: joined (uploaded + verified) in {join:.1} s; a second till received the shop in {receive:.1} s");
    println!("shared: reconciliation of 1,000,000 lines at the second till over the shared book: {shared:.2} s (single SQLite till: {alone:.2} s, {:.2}x)", shared / alone);
    server.stop_server().unwrap();
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300);
    throughput(n);
    match std::env::var_os("PAYDESK_BENCH_RECON_DIR") {
        Some(d) if Path::new(&d).join("pristine.db").exists() => reconciliation(Path::new(&d)),
        _ => println!("shared: reconciliation over a shared book skipped (PAYDESK_BENCH_RECON_DIR: run scripts/bench.sh)"),
    }
}
