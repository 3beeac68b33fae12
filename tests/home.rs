//! Two processes, one home: CLI commands beside each other and beside a running service.

use paydesk_e2e::{sandbox_accounts, Cli, Run, Service};

fn setup() -> (Cli, Service) {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "C1"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    (cli, sim)
}

#[test]
fn concurrent_cli_payments_all_get_their_own_number() {
    let (cli, _sim) = setup();
    // Started together, they open the book and reserve their numbers in the same milliseconds.
    let children: Vec<_> = (0..24)
        .map(|i| {
            let amount = format!("{}.00", i + 1);
            cli.command()
                .args(["--json", "pay", "--amount", &amount])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn paydesk")
        })
        .collect();
    let mut numbers = std::collections::HashSet::new();
    for c in children {
        let r: Run = c.wait_with_output().expect("paydesk ran").into();
        assert_eq!(r.code, 0, "every payment is taken: {r:?}");
        assert!(numbers.insert(r.json()["order_no"].as_str().expect("order_no").to_string()));
    }
    assert_eq!(numbers.len(), 24);
    assert_eq!(cli.ok(&["orders"]).as_array().map(Vec::len), Some(24));
}

#[test]
fn one_service_per_home_and_short_commands_beside_it() {
    let (cli, _sim) = setup();
    let home = cli.home.path();
    let first = Service::start(Some(home), &["serve", "--listen", "127.0.0.1:0"]);
    let pid = first.child.id();
    // A second service on the same home is refused, naming the running one (`demo` on a demo
    // home: tests/demo.rs).
    let r = cli.command().args(["serve", "--listen", "127.0.0.1:0"]).output().expect("run paydesk");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("pid {pid}")) && err.contains("paydesk serve") && err.contains("since") && err.contains(&first.addr), "{err}");
    // Short commands run beside it, and `status` finds the service of this home.
    let o = cli.ok(&["pay", "--amount", "2.00"]);
    assert_eq!(o["status"], "processing");
    let st = cli.ok(&["status"]);
    assert_eq!(st["open_orders"], 1, "{st}");
    // Another home has no service: `status` says so for that home, not another's.
    let other = Cli::new();
    other.ok(&["init"]);
    let r = other.run(&["status"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["running"], false);
    // Once it stops, the next one may start.
    drop(first);
    let second = Service::start(Some(home), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(cli.ok(&["status"])["open_orders"].is_number(), "the new service answers");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_twice_at_once_is_one_payment() {
    // The simulator answers QR creations after 1.5 s: the second request comes while the first
    // is still at the channel.
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0", "--stall-ms", "1500"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "K1"]);
    cli.set_config(&[("channel_timeout_secs", "10")]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    let token = cli.ok(&["apikey", "create", "--name", "POS"])["token"].as_str().unwrap().to_string();
    let svc = Service::start(Some(cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]);
    let http = reqwest::Client::new();
    let fault = http.post(format!("{}/_sim/fault", sim.url())).json(&serde_json::json!({"channel": "sandbox", "op": "precreate", "kind": "timeout", "times": 1})).send().await.unwrap();
    assert!(fault.status().is_success());
    let post = |http: reqwest::Client, token: String, url: String, key: &'static str| async move {
        let r = http
            .post(format!("{url}/api/v1/payments"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({"amount": "12.34", "method": "sandbox"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    };
    // The second request while the first is at the channel…
    let a = tokio::spawn(post(http.clone(), token.clone(), svc.url(), "sale-0042"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let b = tokio::spawn(post(http.clone(), token.clone(), svc.url(), "sale-0042"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!((a.0, b.0), (201, 201), "{a:?} {b:?}");
    assert_eq!(a.1["order_no"], b.1["order_no"], "one payment for both callers");
    assert!(b.1["qr_code"].is_string() && b.1["expires_at"].is_string(), "the second caller can show it: {}", b.1);
    // …and both at the same instant.
    let pair: Vec<_> = (0..2).map(|_| tokio::spawn(post(http.clone(), token.clone(), svc.url(), "sale-0043"))).collect();
    let mut got = Vec::new();
    for p in pair {
        got.push(p.await.unwrap());
    }
    assert_eq!((got[0].0, got[1].0), (201, 201), "{got:?}");
    assert_eq!(got[0].1["order_no"], got[1].1["order_no"]);
    assert_eq!(cli.ok(&["orders"]).as_array().map(Vec::len), Some(2), "one order per key in the book");
}
