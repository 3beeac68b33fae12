//! Crash recovery: `paydesk pay` killed with SIGKILL mid-payment, then `paydesk serve` started:
//! the order is driven to the right final state.

use std::process::{Command, Stdio};
use std::time::Duration;

use paydesk_e2e::{paydesk_bin, sandbox_accounts, Cli, Service};

fn setup(barcode_wait_secs: u64) -> (Cli, Service) {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init"]);
    let cfg = cli.home.path().join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text.replace("barcode_wait_secs = 60", &format!("barcode_wait_secs = {barcode_wait_secs}")).replace("barcode_poll_secs = 3", "barcode_poll_secs = 30");
    std::fs::write(&cfg, text).unwrap();
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    (cli, sim)
}

/// Starts `paydesk pay --auth-code CODE`, waits until its order is in the book, kills it -9.
fn pay_and_kill(cli: &Cli, code: &str) -> String {
    let mut child = Command::new(paydesk_bin())
        .arg("--home")
        .arg(cli.home.path())
        .env("PAYDESK_MACHINE_KEY", paydesk_e2e::machine_key(cli.home.path()))
        .args(["pay", "--amount", "7.77", "--auth-code", code])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let order = loop {
        let list = cli.ok(&["orders", "--status", "processing"]);
        if let Some(o) = list.as_array().and_then(|a| a.first()) {
            break o["order_no"].as_str().unwrap().to_string();
        }
        assert!(std::time::Instant::now() < deadline, "payment never reached processing");
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    order
}

fn wait_status(cli: &Cli, order: &str, status: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let d = cli.ok(&["show", order]);
        if d["status"] == status {
            return d;
        }
        assert!(std::time::Instant::now() < deadline, "{order} stayed {} (wanted {status})", d["status"]);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn killed_while_the_payer_confirms_then_paid_is_recovered_as_success() {
    let (cli, _sim) = setup(60);
    // Last digit 5: the payer confirms ~2 s later; the till dies before it hears.
    let order = pay_and_kill(&cli, "990000000000000005");
    assert_eq!(cli.ok(&["show", &order])["status"], "processing");
    std::thread::sleep(Duration::from_millis(2500));
    let _serve = Service::start(Some(cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]);
    let d = wait_status(&cli, &order, "success");
    let last = d["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["source"], "recovery", "{last}");
}

#[test]
fn killed_while_the_payer_never_confirms_is_cancelled_after_restart() {
    let (cli, sim) = setup(3);
    // Last digit 6: the payer never confirms.
    let order = pay_and_kill(&cli, "990000000000000006");
    let _serve = Service::start(Some(cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]);
    let d = wait_status(&cli, &order, "closed");
    assert!(d["events"].as_array().unwrap().iter().any(|e| e["detail"].as_str().unwrap_or("").contains("cancelled at channel")));
    // The simulator agrees: the trade is closed there too, never charged.
    let trades: serde_json::Value = reqwest::blocking_get(&format!("{}/_sim/trades", sim.url()));
    let t = trades.as_array().unwrap().iter().find(|t| t["order_no"] == order.as_str()).unwrap().clone();
    assert_eq!(t["status"], "closed");
}

mod reqwest {
    /// A tiny blocking GET for a JSON body (the tests here are synchronous).
    pub(super) fn blocking_get(url: &str) -> serde_json::Value {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { ::reqwest::get(url).await.unwrap().json().await.unwrap() })
    }
}
