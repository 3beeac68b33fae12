//! Routing across processes: `paydesk accounts set` changes a running `paydesk serve` without a
//! restart (and is audited); a failing account's QR creation falls over to the next account and
//! the abandoned attempt is closed by the follower; the decision shows in the API and `show`;
//! a daily limit refuses at the till and writes nothing.

use std::time::Duration;

use paydesk_e2e::{demo_keys, Cli, Service};
use serde_json::{json, Value};

fn accounts_file(cli: &Cli, sim: &str) -> std::path::PathBuf {
    let k = demo_keys();
    let one = |name: &str, prio: u32| {
        format!(
            "[[account]]\nname = \"{name}\"\nchannel = \"sandbox\"\npriority = {prio}\nbase_url = \"{sim}/sandbox\"\n[account.params]\nmerchant_id = \"M100001\"\nprivate_key_file = \"{k}/merchant_private.pem\"\ngateway_public_key_file = \"{k}/gateway_public.pem\"\n",
            k = k.display()
        )
    };
    let p = cli.home.path().join("accounts.toml");
    std::fs::write(&p, one("sb-a", 1) + &one("sb-b", 2)).unwrap();
    p
}

fn setup() -> (Cli, Service) {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "RT"]);
    cli.ok(&["accounts", "import", accounts_file(&cli, &sim.url()).to_str().unwrap()]);
    (cli, sim)
}

async fn post(base: &str, key: &str, idem: &str, body: Value) -> Value {
    let r = reqwest::Client::new().post(format!("{base}/api/v1/payments")).bearer_auth(key).header("Idempotency-Key", idem).json(&body).send().await.unwrap();
    r.json().await.unwrap()
}

async fn get(base: &str, key: &str, no: &str) -> Value {
    reqwest::Client::new().get(format!("{base}/api/v1/payments/{no}")).bearer_auth(key).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn settings_change_a_running_service_and_creation_falls_over() {
    let (cli, sim) = setup();
    let token = cli.ok(&["apikey", "create", "--name", "POS"])["token"].as_str().unwrap().to_string();
    let serve = Service::start(Some(cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]);
    let base = serve.url();

    let first = post(&base, &token, "s1", json!({"amount": "3.00", "method": "sandbox"})).await;
    assert_eq!(first["account"], "sb-a", "{first}");
    let shown = get(&base, &token, first["order_no"].as_str().unwrap()).await;
    let cands: Vec<&str> = shown["routing"]["candidates"].as_array().unwrap().iter().map(|c| c["account"].as_str().unwrap()).collect();
    assert_eq!(cands, ["sb-a", "sb-b"]);

    // Disable the primary from the command line while the service runs.
    let set = cli.ok(&["accounts", "set", "sb-a", "--disable", "--weight", "2"]);
    assert_eq!(set["changes"], json!(["enabled true → false", "weight 1 → 2"]));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let moved = loop {
        let o = post(&base, &token, &format!("s2-{}", deadline.elapsed().as_millis()), json!({"amount": "3.00", "method": "sandbox"})).await;
        if o["account"] == "sb-b" {
            break o;
        }
        assert!(tokio::time::Instant::now() < deadline, "the running service did not pick up the change");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let d = get(&base, &token, moved["order_no"].as_str().unwrap()).await;
    assert_eq!(d["routing"]["skipped"][0], json!({"account": "sb-a", "reason": "disabled"}));
    // The change is in the audit log with who made it, old → new.
    let store = paydesk_core::Store::open(&paydesk_core::Store::path_in(cli.home.path())).unwrap();
    let entry = store.audit_log(20).unwrap().into_iter().find(|e| e.action == "account_settings" && e.target.as_deref() == Some("sb-a") && e.detail.contains("enabled")).expect("audited");
    assert!(entry.actor.unwrap().ends_with("(cli)") && entry.detail == "enabled true → false; weight 1 → 2");

    // Back on; the gateway fails the next QR creation (5xx): it falls over to sb-b.
    cli.ok(&["accounts", "set", "sb-a", "--enable"]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let armed: Value = reqwest::Client::new().post(format!("{}/_sim/fault", sim.url())).json(&json!({"channel": "sandbox", "op": "precreate", "kind": "error", "times": 1})).send().await.unwrap().json().await.unwrap();
    assert_eq!(armed["armed"], 1);
    let o = post(&base, &token, "s3", json!({"amount": "4.00", "method": "sandbox"})).await;
    assert_eq!((o["account"].as_str(), o["status"].as_str()), (Some("sb-b"), Some("processing")), "{o}");
    let d = get(&base, &token, o["order_no"].as_str().unwrap()).await;
    let attempts: Vec<(&str, &str)> = d["routing"]["attempts"].as_array().unwrap().iter().map(|a| (a["account"].as_str().unwrap(), a["outcome"].as_str().unwrap())).collect();
    assert_eq!(attempts, [("sb-a", "abandoned"), ("sb-b", "accepted")]);
    // The abandoned attempt is closed at the channel by the service's follower.
    let abandoned = d["routing"]["attempts"][0]["order_no"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while get(&base, &token, &abandoned).await["status"] != "closed" {
        assert!(tokio::time::Instant::now() < deadline, "abandoned attempt not closed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // `paydesk show` tells the story in words; `status` shows health.
    let text = cli.command().args(["show", o["order_no"].as_str().unwrap()]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Routing") && text.contains("never shown, closed at the channel") && text.contains("attempt"), "{text}");
    let st = cli.ok(&["status", "--url", &base]);
    assert!(st["accounts"].as_array().unwrap().iter().any(|a| a["account"] == "sb-a" && a["health"]["failures"].as_u64() >= Some(1)), "{st}");
}

#[test]
fn till_limit_refuses_and_writes_nothing() {
    let (cli, _sim) = setup();
    let cfg = cli.home.path().join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap() + "\n[limits.till]\namount = \"10.00\"\n";
    std::fs::write(&cfg, text).unwrap();
    cli.ok(&["pay", "--amount", "9.00", "--method", "sandbox"]);
    let r = cli.run(&["pay", "--amount", "1.01", "--method", "sandbox"]);
    assert_eq!(r.code, 3, "{r:?}");
    let e = r.json();
    assert_eq!(e["error"]["code"], "limit");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("limits.till.amount: till RT has taken 9.00 yuan today"), "{e}");
    assert_eq!(cli.ok(&["orders"]).as_array().unwrap().len(), 1);
}
