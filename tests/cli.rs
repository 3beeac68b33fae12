//! The CLI against a simulator process: QR pay → payer pays → Success; decline → Failed;
//! refund partial then full → Refunded; bad input → error naming the field, nothing written.

use paydesk_e2e::{sandbox_accounts, Cli, Service};

fn setup() -> (Cli, Service) {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "E2E"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    (cli, sim)
}

fn scan(cli: &Cli, sim: &Service, order: &str, action: &str) {
    let r = cli.run(&["sim", "scan", order, "--action", action, "--url", &sim.url()]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn qr_paid_declined_refunded() {
    let (cli, sim) = setup();
    // QR order, the payer pays; no callback server runs here, so `query` finds it.
    let o = cli.ok(&["pay", "--amount", "12.34", "--subject", "拿铁"]);
    assert_eq!(o["status"], "processing");
    let no = o["order_no"].as_str().unwrap().to_string();
    assert!(no.starts_with('P') && no.contains("E2E"));
    scan(&cli, &sim, &no, "pay");
    let q = cli.ok(&["query", &no]);
    assert_eq!(q["status"], "success");

    // Declined.
    let d = cli.ok(&["pay", "--amount", "3.00"]);
    let dno = d["order_no"].as_str().unwrap().to_string();
    scan(&cli, &sim, &dno, "decline");
    let r = cli.run(&["query", &dno]);
    assert_eq!(r.code, 3, "a failed payment exits 3: {r:?}");
    assert_eq!(r.json()["status"], "failed");

    // Partial, then full refund.
    let r1 = cli.ok(&["refund", &no, "--amount", "2.34", "--reason", "少一杯"]);
    assert_eq!(r1["status"], "success");
    assert_eq!(cli.ok(&["show", &no])["status"], "success");
    let r2 = cli.ok(&["refund", &no, "--amount", "10.00"]);
    assert_eq!(r2["status"], "success");
    let shown = cli.ok(&["show", &no]);
    assert_eq!(shown["status"], "refunded");
    assert_eq!((shown["refunded"].as_str(), shown["amount_fen"].as_i64()), (Some("12.34"), Some(1234)));
    assert_eq!(shown["refunds"].as_array().unwrap().len(), 2);
    let sources: Vec<&str> = shown["events"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert!(sources.contains(&"poll") || sources.contains(&"user"), "{sources:?}");

    // Barcode payments by exit code: paid 0, declined 3.
    assert_eq!(cli.run(&["pay", "--amount", "5.00", "--auth-code", "990000000000000001"]).code, 0);
    assert_eq!(cli.run(&["pay", "--amount", "5.00", "--auth-code", "990000000000000007"]).code, 3);

    let csv = paydesk_e2e::paydesk().arg("--home").arg(cli.home.path()).args(["orders", "--csv"]).output().unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(text.lines().count(), 1 + 4, "{text}");
    assert!(text.contains(&format!("{no},")) && text.contains("refunded") && text.contains("拿铁"));
}

#[test]
fn bad_input_names_the_field_and_writes_nothing() {
    let (cli, _sim) = setup();
    for (args, field) in [
        (vec!["pay", "--amount", "12.345"], "amount"),
        (vec!["pay", "--amount", "-1"], "amount"),
        (vec!["pay", "--amount", "0"], "amount"),
        (vec!["pay", "--amount", "abc"], "amount"),
        (vec!["pay", "--amount", "50000.01"], "amount"),
        (vec!["pay", "--amount", "1", "--method", "paypal"], "method"),
        (vec!["pay", "--amount", "1", "--auth-code", "123"], "auth_code"),
        (vec!["pay", "--amount", "1", "--account", "nope"], "account"),
        (vec!["refund", "P123", "--amount", "1"], "order"),
    ] {
        let r = cli.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        let e = r.json();
        assert!(e["error"]["message"].as_str().unwrap().starts_with(field), "{args:?}: {e}");
    }
    assert_eq!(cli.ok(&["orders"]).as_array().unwrap().len(), 0);
}

#[test]
fn commands_need_a_home() {
    let cli = Cli::new();
    let r = cli.run(&["orders"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("paydesk init"), "{}", r.stderr);
}
