//! Demo mode never touches a real shop, and its till offers what Chinese customers pay with.

use std::process::Stdio;

use paydesk_e2e::{demo_args, paydesk, sandbox_accounts, Cli, Service};

/// A real shop's home: one account, one order.
fn real_home(sim: &Service) -> Cli {
    let cli = Cli::new();
    cli.ok(&["init", "--till", "S1"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    cli.ok(&["pay", "--amount", "3.00"]);
    cli
}

/// What the real home holds, to compare before and after.
fn snapshot(cli: &Cli) -> (String, serde_json::Value, serde_json::Value) {
    (std::fs::read_to_string(cli.home.path().join("config.toml")).unwrap(), cli.ok(&["accounts", "list"]), cli.ok(&["orders"]))
}

#[test]
fn demo_leaves_a_real_home_alone() {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let shop = real_home(&sim);
    let before = snapshot(&shop);
    let args = demo_args(0);
    let demo_cmd: Vec<&str> = args.iter().map(String::as_str).collect();
    // PAYDESK_HOME alone does not make the demo use it: a fresh temporary home.
    let mut cmd = paydesk();
    cmd.env("PAYDESK_HOME", shop.home.path()).arg("--json").args(&demo_cmd).stdout(Stdio::piped()).stderr(Stdio::inherit());
    let demo = Service::start_command(cmd, "demo");
    let used = demo.banner()["home"].as_str().unwrap().to_string();
    assert_ne!(std::path::Path::new(&used), shop.home.path(), "a temporary home");
    drop(demo);
    assert_eq!(snapshot(&shop), before, "the shop's home is untouched");
    // --home naming a real shop's home is refused, naming what makes it real.
    let r = shop.run(&demo_cmd);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("real shop") && r.stderr.contains("sb"), "{}", r.stderr);
    assert_eq!(snapshot(&shop), before, "still untouched");
}

#[test]
fn the_demo_till_takes_alipay_wechat_and_unionpay() {
    let home = tempfile::tempdir().unwrap();
    let args = demo_args(0);
    let demo_cmd: Vec<&str> = args.iter().map(String::as_str).collect();
    let demo = Service::start(Some(home.path()), &demo_cmd);
    let sim_url = demo.banner()["simulator"].as_str().unwrap().to_string();
    let cli = Cli { home };
    // A second demo (or serve) on this home is refused while it runs.
    let r = cli.run(&demo_cmd);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains(&format!("pid {}", demo.child.id())) && r.stderr.contains("paydesk demo"), "{}", r.stderr);
    // QR codes of each wallet, paid by the simulated customer.
    for method in ["alipay", "wechat", "unionpay"] {
        let o = cli.ok(&["pay", "--amount", "6.60", "--method", method]);
        assert_eq!((o["method"].as_str(), o["status"].as_str()), (Some(method), Some("processing")), "{o}");
        let no = o["order_no"].as_str().unwrap();
        assert_eq!(cli.run(&["sim", "scan", no, "--url", &sim_url]).code, 0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while cli.ok(&["query", no])["status"] != "success" {
            assert!(std::time::Instant::now() < deadline, "{method} QR not paid");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    // Their payment codes, scanned by the cashier.
    for (code, method) in [("280000000000000001", "alipay"), ("130000000000000001", "wechat"), ("6212345678901234560", "unionpay")] {
        let r = cli.run(&["pay", "--amount", "8.80", "--auth-code", code]);
        assert_eq!(r.code, 0, "{method}: {r:?}");
        assert_eq!(r.json()["method"], method);
    }
}
