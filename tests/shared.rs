//! A shop on one shared book: a real PostgreSQL (started by the test), the gateway simulator and
//! three tills as `paydesk serve` processes — T1 and T2 in store S1, T3 in store S2 — taking
//! payments through their local APIs. The shared book is the union of the tills' books; one
//! reconciliation per account and day finds no false difference; analytics per store and for the
//! chain equal a recomputation; a partition (the server stopped during 200 payments) and a till
//! killed mid-sync lose and double nothing.

use std::time::{Duration, Instant};

use paydesk_core::store::testpg::TestPg;
use paydesk_e2e::{sandbox_accounts, Cli, Service};
use serde_json::{json, Value};

struct Till {
    id: &'static str,
    cli: Cli,
    svc: Option<Service>,
    key: String,
}

impl Till {
    fn serve(&mut self) {
        self.svc = Some(Service::start(Some(self.cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]));
    }

    fn url(&self) -> String {
        self.svc.as_ref().expect("serving").url()
    }

    /// Its own orders as its book has them: (order_no, status, amount fen).
    fn own_orders(&self) -> Vec<(String, String, i64)> {
        let v = self.cli.ok(&["orders", "--till", self.id, "--limit", "100000"]);
        let mut rows: Vec<_> = v.as_array().unwrap().iter().map(|o| (o["order_no"].as_str().unwrap().to_string(), o["status"].as_str().unwrap().to_string(), o["amount_fen"].as_i64().unwrap())).collect();
        rows.sort();
        rows
    }
}

fn pg(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn shared_orders(url: &str, till: &str) -> Vec<(String, String, i64)> {
    let mut rows: Vec<_> = pg(url).query("SELECT order_no, status, amount FROM orders WHERE till = $1", &[&till]).unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    rows.sort();
    rows
}

fn count(url: &str, sql: &str) -> i64 {
    pg(url).query_one(sql, &[]).unwrap().get(0)
}

/// Waits until `f` holds (checking every 10 ms), at most `secs`.
fn until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn shop(url: &str, sim: &Service) -> Vec<Till> {
    let mut tills = Vec::new();
    // The shop key file the first till writes and the owner carries to the others.
    let shop_dir = tempfile::tempdir().unwrap();
    let shop_key = shop_dir.path().join("shop.key");
    let shop_key = shop_key.to_str().unwrap();
    for (id, store) in [("T1", "S1"), ("T2", "S1"), ("T3", "S2")] {
        let cli = Cli::new();
        if id == "T1" {
            // The first till had a book of its own; it joins with its accounts, whose sealed key
            // files then travel with them, under the shop key.
            cli.ok(&["init", "--till", id, "--store", store]);
            let file = sandbox_accounts(cli.home.path(), &sim.url());
            cli.ok(&["accounts", "import", file.to_str().unwrap()]);
            let r = cli.ok(&["shared", "join", "--url", url, "--shop-key-file", shop_key]);
            assert_eq!(r["verified"], true, "{r}");
            let key = std::fs::read_to_string(shop_key).unwrap();
            assert!(key.starts_with("paydesk-shop-key-v1:"), "the shop key file is written");
            // The shared book holds the accounts' keys sealed only, never a private key.
            let configs: Vec<String> = pg(url).query("SELECT config_json FROM accounts", &[]).unwrap().iter().map(|r| r.get(0)).collect();
            assert!(configs.iter().any(|c| c.contains("carried_keys")), "{configs:?}");
            assert!(configs.iter().all(|c| !c.contains("PRIVATE KEY") && !c.contains(key.trim())), "{configs:?}");
        } else {
            // A file that is not the shop's key is refused before the till joins.
            if id == "T2" {
                let wrong = shop_dir.path().join("other.key");
                std::fs::write(&wrong, "paydesk-shop-key-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
                let r = cli.run(&["init", "--till", id, "--store", store, "--shared", url, "--shop-key-file", wrong.to_str().unwrap()]);
                assert_eq!(r.code, 2, "{r:?}");
                assert!(r.stderr.contains("not the key of this shop"), "{}", r.stderr);
            }
            let r = cli.ok(&["init", "--till", id, "--store", store, "--shared", url, "--shop-key-file", shop_key]);
            assert_eq!(r["verified"], true, "{r}");
            // The other tills hold no key file of the accounts: they use the carried copies.
            let own: Vec<String> = std::fs::read_dir(cli.home.path().join("keys")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            assert_eq!(own, vec!["shop.key.sealed".to_string()], "{own:?}");
        }
        let cfg = cli.home.path().join("config.toml");
        let text = std::fs::read_to_string(&cfg).unwrap().replace("sync_interval_ms = 1000", "sync_interval_ms = 200");
        std::fs::write(&cfg, text).unwrap();
        let key = cli.ok(&["apikey", "create", "--name", "POS"])["token"].as_str().unwrap().to_string();
        let mut t = Till { id, cli, svc: None, key };
        t.serve();
        tills.push(t);
    }
    tills
}

/// The HTTP client of the shop's POS systems.
struct Pos {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

/// A barcode payment through a till's local API; returns the order.
fn pay(pos: &Pos, t: &Till, fen: i64, n: usize) -> Value {
    let body = json!({"amount": format!("{}.{:02}", fen / 100, fen % 100), "auth_code": "990000000000000001", "operator": format!("cashier-{}", t.id)});
    let req = pos.http.post(format!("{}/api/v1/payments", t.url())).bearer_auth(&t.key).header("Idempotency-Key", format!("{}-{n}", t.id)).json(&body);
    let v: Value = pos.rt.block_on(async { req.send().await.unwrap().json().await.unwrap() });
    assert_eq!(v["status"], "success", "{v}");
    v
}

fn all_synced(url: &str, tills: &[Till]) -> bool {
    tills.iter().all(|t| shared_orders(url, t.id) == t.own_orders())
}

#[test]
fn three_tills_one_book() {
    let mut server = TestPg::start().expect("PostgreSQL (scripts/deps-apt.sh)");
    let url = server.create_db("shop").unwrap();
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let mut tills = shop(&url, &sim);
    let http = Pos { rt: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(), http: reqwest::Client::new() };
    // Joining a taken till id is refused, naming the till's store.
    let dup = Cli::new();
    let r = dup.run(&["init", "--till", "T2", "--store", "S2", "--shared", &url]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("T2 is already a till of store S1"), "{}", r.stderr);

    // Payments at all three tills.
    let mut n = 0;
    for (i, t) in tills.iter().enumerate() {
        for k in 0..4 {
            n += 1;
            pay(&http, t, 100 * (i as i64 + 1) + k, n);
        }
    }
    until(30, "the tills to sync", || all_synced(&url, &tills));
    // Every till's replica holds the union; the shared book is the union of the tills' books.
    let total = count(&url, "SELECT COUNT(*) FROM orders");
    assert_eq!(total, 12);
    until(30, "every replica to hold every order", || tills.iter().all(|t| t.cli.ok(&["orders", "--limit", "1000"]).as_array().unwrap().len() == 12));
    let status = tills[0].cli.ok(&["shared", "status"]);
    assert_eq!(status["tills"].as_array().unwrap().len(), 3, "{status}");

    // Analytics per store, per till and for the chain, at T3, against a recomputation.
    let paid = |tills: &str| count(&url, &format!("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM orders WHERE status = 'success' AND till IN ({tills})"));
    for (args, expect) in [(vec![], paid("'T1','T2','T3'")), (vec!["--store", "S1"], paid("'T1','T2'")), (vec!["--store", "S2"], paid("'T3'")), (vec!["--till", "T2"], paid("'T2'"))] {
        let mut a = vec!["report", "--period", "today"];
        a.extend(args.iter().copied());
        let r = tills[2].cli.ok(&a);
        assert_eq!(r["dashboard"]["current"]["gross"].as_i64(), Some(expect), "{args:?}");
    }
    // Exports carry store and till.
    let csv = tills[0].cli.command().args(["orders", "--csv", "--store", "S2"]).output().unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",store,till"), "{text}");
    assert_eq!(text.lines().filter(|l| l.ends_with(",S2,T3")).count(), 4, "{text}");

    // One reconciliation of the account's day over every till's orders: no false difference.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    let r = tills[1].cli.ok(&["reconcile", "--account", "sb", "--date", &today]);
    let run = &r["runs"][0];
    assert_eq!((run["summary"]["matched"].as_i64(), run["summary"]["mismatched"].as_i64()), (Some(12), Some(0)), "{r}");
    // Its result is shared: the other tills see it.
    until(30, "the run to reach T1", || tills[0].cli.ok(&["reconcile", "--show", "--date", &today])["runs"].as_array().is_some_and(|v| v.len() == 1));

    // Two tills starting the same reconciliation: one runs, the other names the holder.
    pg(&url).execute("INSERT INTO leases (name, holder, until_ms, acquired_at) VALUES ($1, 'till T1 (pid 1)', $2, $3)", &[&format!("reconcile sb/{today}"), &(chrono::Utc::now().timestamp_millis() + 60_000), &chrono::Utc::now().timestamp_millis()]).unwrap();
    let busy = tills[2].cli.run(&["reconcile", "--account", "sb", "--date", &today]);
    assert_eq!(busy.code, 1, "{busy:?}");
    assert!(busy.stderr.contains("being done by till T1"), "{}", busy.stderr);
    pg(&url).execute("DELETE FROM leases", &[]).unwrap();
    let spawn = |t: &Till| t.cli.command().args(["--json", "reconcile", "--account", "sb", "--date", &today]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let (a, b) = (spawn(&tills[0]), spawn(&tills[2]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success() || err.contains("being done by till"), "{err}");
    }
    assert!(a.status.success() || b.status.success(), "one of them ran");
    let ran = 1 + usize::from(a.status.success()) + usize::from(b.status.success());
    let of_today = format!("FROM recon_runs WHERE account = 'sb' AND day = '{today}'");
    until(30, "the runs to reach the shared book", || count(&url, &format!("SELECT COUNT(*) {of_today} AND finished_at IS NOT NULL")) == ran as i64);
    let runs = pg(&url).query(&format!("SELECT started_at, finished_at {of_today} ORDER BY started_at"), &[]).unwrap();
    for w in runs.windows(2) {
        let (end, next): (Option<i64>, i64) = (w[0].get(1), w[1].get(0));
        assert!(end.is_some_and(|e| e <= next), "two runs of the same account-day overlapped");
    }

    // Partition: the server stops during 200 payments across the tills; they all go through.
    server.stop_server().unwrap();
    for k in 0..200 {
        n += 1;
        let t = &tills[k % 3];
        pay(&http, t, 1000 + k as i64, n);
    }
    let offline = tills[0].cli.run(&["shared", "status"]);
    assert_eq!(offline.json()["state"], "offline", "{offline:?}");
    server.start_server().unwrap();
    until(60, "the tills to catch up after the partition", || all_synced(&url, &tills));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM orders"), 212);
    // Events in order: each till's history in the shared book is its own, in its order.
    for t in &tills {
        let shared: Vec<(i64, String)> = pg(&url).query("SELECT seq, order_no FROM order_events WHERE till = $1 ORDER BY seq", &[&t.id]).unwrap().iter().map(|r| (r.get(0), r.get(1))).collect();
        assert!(shared.windows(2).all(|w| w[0].0 < w[1].0));
        let mine = count(&url, &format!("SELECT COUNT(*) FROM order_events e JOIN orders o ON o.order_no = e.order_no WHERE e.till = '{}' AND o.till = '{}'", t.id, t.id));
        assert_eq!(mine, shared.len() as i64, "{} has only its own orders' events", t.id);
    }

    // A till killed (SIGKILL) while it catches up: restarted, nothing lost or doubled.
    let before = shared_orders(&url, "T1").len();
    server.stop_server().unwrap();
    for k in 0..400 {
        n += 1;
        pay(&http, &tills[0], 500 + k, n);
    }
    server.start_server().unwrap();
    let mut seen = 0;
    until(60, "T1 to start sending", || {
        seen = pg(&url).query_one("SELECT COUNT(*) FROM orders WHERE till = 'T1'", &[]).map(|r| r.get::<_, i64>(0) as usize).unwrap_or(0);
        seen > before
    });
    tills[0].svc.take().expect("serving").kill();
    eprintln!("T1 killed with {} of its {} orders in the shared book", seen, before + 400);
    tills[0].serve();
    until(60, "T1 to finish after its restart", || all_synced(&url, &tills));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM orders"), 612);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM (SELECT till, seq FROM order_events GROUP BY till, seq HAVING COUNT(*) > 1) d"), 0);
    // Every order of T1 has its history in the shared book: created, then paid.
    assert_eq!(count(&url, "SELECT COUNT(*) FROM orders o WHERE till = 'T1' AND (SELECT COUNT(*) FROM order_events e WHERE e.order_no = o.order_no AND e.till = 'T1') < 2"), 0);
}
