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
    let o = cli.ok(&["pay", "--amount", "12.34", "--subject", "拿铁", "--operator", "王芳"]);
    assert_eq!(o["status"], "processing");
    // Who took it is the OS account running the command; `--operator` is only a label.
    assert_eq!((o["taken_by"]["kind"].as_str(), o["operator"].as_str()), (Some("os"), Some("王芳")), "{o}");
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
    assert_eq!(shown["refunds"][0]["requested_by"], o["taken_by"], "refunds record who asked");
    let sources: Vec<&str> = shown["events"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert!(sources.contains(&"poll") || sources.contains(&"user"), "{sources:?}");

    // Barcode payments by exit code: paid 0, declined 3.
    assert_eq!(cli.run(&["pay", "--amount", "5.00", "--auth-code", "990000000000000001"]).code, 0);
    assert_eq!(cli.run(&["pay", "--amount", "5.00", "--auth-code", "990000000000000007"]).code, 3);

    let csv = cli.command().args(["orders", "--csv"]).output().unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(text.lines().count(), 1 + 4, "{text}");
    assert!(text.contains(&format!("{no},")) && text.contains("refunded") && text.contains("拿铁"));
    // Nothing in the CSV runs as a formula in a spreadsheet; amounts stay numbers.
    cli.ok(&["pay", "--amount", "2.00", "--subject", "=HYPERLINK(\"http://evil\",\"x\")", "--operator", "-1+1"]);
    let csv = std::process::Command::new(paydesk_e2e::paydesk_bin()).arg("--home").arg(cli.home.path()).args(["orders", "--csv"]).output().unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.contains(",2.00,0.00,") && text.contains(",\"'-1+1\",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""), "{text}");
}

#[cfg(unix)]
#[test]
fn the_home_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let home = cli.home.path().join("till");
    let r = std::process::Command::new(paydesk_e2e::paydesk_bin()).arg("--home").arg(&home).args(["init"]).output().unwrap();
    assert!(r.status.success(), "{r:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("paydesk.db")), 0o600);
    // A home opened to others is reported on every command.
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = std::process::Command::new(paydesk_e2e::paydesk_bin()).arg("--home").arg(&home).args(["orders"]).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success() && err.contains("can be read by other users") && err.contains("chmod 700"), "{err}");
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
        (vec!["pay", "--amount", "1", "--subject", "拿铁\u{202E}exe.txt"], "subject"),
        (vec!["pay", "--amount", "1", "--operator", "王芳\u{1b}[2J"], "operator"),
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

/// `accounts import` seals the key files it names into the home's keys/ folder for their account
/// (as the app's key import does); a key path outside keys/ is not read at run time.
#[test]
fn import_seals_the_key_files_into_the_home() {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "E2E"]);
    let outside = tempfile::tempdir().unwrap();
    for f in ["merchant_private.pem", "gateway_public.pem"] {
        std::fs::copy(paydesk_e2e::demo_keys().join(f), outside.path().join(f)).unwrap();
    }
    let text = format!(
        "[[account]]\nname = \"sb\"\nchannel = \"sandbox\"\nbase_url = \"{}/sandbox\"\n[account.params]\nmerchant_id = \"M100001\"\nprivate_key_file = \"{k}/merchant_private.pem\"\ngateway_public_key_file = \"{k}/gateway_public.pem\"\n",
        sim.url(),
        k = outside.path().display()
    );
    let file = cli.home.path().join("accounts.toml");
    std::fs::write(&file, text).unwrap();
    let out = cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    let sealed = out["sealed"].as_array().unwrap();
    assert_eq!(sealed.len(), 2, "{out}");
    assert!(sealed.iter().any(|s| s["field"] == "private_key_file" && s["to"] == "keys/sb.private_key_file.sealed"), "{out}");
    let stored = std::fs::read_to_string(cli.home.path().join("keys/sb.private_key_file.sealed")).unwrap();
    assert!(stored.starts_with("PAYDESK-SEALED-KEY v2 sb private_key_file\n") && !stored.contains("PRIVATE KEY"), "{stored}");
    // The originals can go: the account runs on the sealed copies.
    drop(outside);
    let o = cli.ok(&["pay", "--amount", "1.00"]);
    assert_eq!(o["status"], "processing", "{o}");
    // A file another account's key was sealed for cannot be imported under a new name.
    let thief = format!("[[account]]\nname = \"thief\"\nchannel = \"sandbox\"\nbase_url = \"{}/sandbox\"\n[account.params]\nmerchant_id = \"M100001\"\nprivate_key_file = \"keys/sb.private_key_file.sealed\"\ngateway_public_key_file = \"keys/sb.gateway_public_key_file.sealed\"\n", sim.url());
    std::fs::write(&file, thief).unwrap();
    let r = cli.run(&["accounts", "import", file.to_str().unwrap()]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("sealed for account \\\"sb\\\"") || r.stderr.contains("sealed for account \"sb\""), "{r:?}");
    assert!(!cli.home.path().join("keys/thief.private_key_file.sealed").exists());
}

#[test]
fn a_relative_home_works_like_an_absolute_one() {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let parent = tempfile::tempdir().unwrap();
    let home = parent.path().join("shop");
    let run = |args: &[&str]| {
        let out = paydesk_e2e::paydesk().current_dir(parent.path()).env("PAYDESK_MACHINE_KEY", paydesk_e2e::machine_key(&home)).arg("--home").arg("shop").args(args).output().unwrap();
        assert!(out.status.success(), "paydesk {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["init", "--till", "T1"]);
    // Key files imported through a relative home land in its keys/ folder, sealed, and are read
    // back from there (they were once looked for in shop/shop/keys).
    let file = sandbox_accounts(&home, &sim.url());
    run(&["accounts", "import", file.to_str().unwrap()]);
    assert!(home.join("keys/sb.private_key_file.sealed").exists());
    let paid: serde_json::Value = serde_json::from_str(&run(&["--json", "pay", "--amount", "1.00", "--auth-code", "990000000000000001"])).unwrap();
    assert_eq!(paid["status"], "success", "{paid}");
}
