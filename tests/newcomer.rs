//! The CLI as a newcomer meets it: messages in their language, lists that are whole, output that
//! survives `| head`.

use std::io::Read;
use std::process::Stdio;

use paydesk_e2e::{paydesk, sandbox_accounts, Cli, Service};

fn setup() -> (Cli, Service) {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "N1"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    (cli, sim)
}

#[test]
fn messages_speak_the_chosen_language() {
    let (cli, _sim) = setup();
    // The locale decides; zh-CN first.
    let r = cli.human("zh_CN.UTF-8", &["orders"]);
    assert_eq!((r.code, r.stdout.trim()), (0, "没有订单"), "{r:?}");
    let r = cli.human("en_US.UTF-8", &["orders"]);
    assert_eq!(r.stdout.trim(), "no orders");
    // --lang wins over the locale.
    let r = cli.human("zh_CN.UTF-8", &["--lang", "en", "orders"]);
    assert_eq!(r.stdout.trim(), "no orders");
    // The C locale says nothing: Chinese, unless the home's setting (the app's) says English.
    assert_eq!(cli.human("C.UTF-8", &["orders"]).stdout.trim(), "没有订单");
    paydesk_core::Store::open(&paydesk_core::Store::path_in(cli.home.path())).unwrap().set_pref("lang", "en").unwrap();
    assert_eq!(cli.human("C.UTF-8", &["orders"]).stdout.trim(), "no orders");

    // A payment, its errors and the terminal report, in Chinese.
    let r = cli.human("zh_CN.UTF-8", &["pay", "--amount", "12.34", "--subject", "拿铁"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("请顾客扫码支付 12.34 元") && r.stdout.contains("订单 P"), "{}", r.stdout);
    let r = cli.human("zh_CN.UTF-8", &["pay", "--amount", "1", "--method", "sandbox", "--auth-code", "990000000000000001"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("错误：method: 使用 --auth-code 时"), "{}", r.stderr);
    let r = cli.human("zh_CN.UTF-8", &["report", "--period", "today"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("销售额 ") && r.stdout.contains("支付成功率") && r.stdout.contains("按支付方式"), "{}", r.stdout);
    let r = cli.human("en_US.UTF-8", &["report", "--period", "today"]);
    assert!(r.stdout.starts_with("Sales ") && r.stdout.contains("Success rate"), "{}", r.stdout);
    let nobook = tempfile::tempdir().unwrap();
    let r = paydesk().env("LANG", "zh_CN.UTF-8").arg("--home").arg(nobook.path()).arg("orders").output().unwrap();
    assert!(String::from_utf8_lossy(&r.stderr).contains("没有 Paydesk 账本"), "{r:?}");
    assert_eq!(cli.run(&["--lang", "fr", "orders"]).code, 2, "an unknown language is refused by name");
}

#[test]
fn lists_are_whole_for_files_and_cut_tables_say_so() {
    let (cli, _sim) = setup();
    for i in 1..=5 {
        cli.ok(&["pay", "--amount", &format!("{i}.00")]);
    }
    // --json and --csv: every matching order.
    assert_eq!(cli.ok(&["orders"]).as_array().unwrap().len(), 5);
    let csv = cli.command().args(["orders", "--csv", "--from", "today", "--to", "today"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 1 + 5);
    assert!(cli.command().args(["orders", "--csv", "--to", "yesterday"]).output().unwrap().stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() == 1, "nothing before today");
    // A limit that cuts the list says so on stderr (the CSV on stdout stays whole).
    let r = cli.command().args(["orders", "--csv", "--limit", "2"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout).lines().count(), 1 + 2);
    assert!(String::from_utf8_lossy(&r.stderr).contains("newest 2 only"), "{r:?}");
    // Money in --json the API's way: the yuan string and amount_fen.
    let o = &cli.ok(&["orders", "--limit", "1"])[0];
    assert_eq!((o["amount"].as_str(), o["amount_fen"].as_i64()), (Some("5.00"), Some(500)), "{o}");
    let shown = cli.ok(&["show", o["order_no"].as_str().unwrap()]);
    assert_eq!((shown["amount"].as_str(), shown["amount_fen"].as_i64(), shown["refunded"].as_str()), (Some("5.00"), Some(500), Some("0.00")), "{shown}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let (cli, _sim) = setup();
    for _ in 0..3 {
        cli.ok(&["pay", "--amount", "1.00"]);
    }
    // `paydesk orders --csv | head -1`: the reader closes after the first line.
    let mut child = cli.command().args(["orders", "--csv"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(!err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("error"), "quiet: {err}");
    assert_eq!(status.code(), Some(0), "{err}");
    let mut child = cli.command().args(["orders"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Sends SIGINT (Ctrl-C) to a child.
fn interrupt(child: &std::process::Child) {
    let ok = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

/// Reads stderr lines of a child on a thread; returns the receiver.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    rx
}

#[test]
fn pay_says_the_order_and_what_happens_next() {
    let (cli, _sim) = setup();
    // --wait runs out: the order number, until when it stays payable, what to do.
    let r = cli.human("en_US.UTF-8", &["pay", "--amount", "4.00", "--wait", "1"]);
    assert_eq!(r.code, 4, "{r:?}");
    let no = r.stdout.lines().find_map(|l| l.strip_prefix("Order ")).expect("order line").to_string();
    assert!(r.stderr.contains(&format!("Order {no} is still waiting for the payer")) && r.stderr.contains("can be paid until") && r.stderr.contains(&format!("paydesk close {no}")), "{}", r.stderr);

    // Ctrl-C while waiting: the QR is closed, and the cashier is told so.
    let mut child = cli.command().args(["pay", "--amount", "4.50", "--wait", "60"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let lines = stderr_lines(&mut child);
    let waiting = lines.recv_timeout(std::time::Duration::from_secs(15)).unwrap();
    assert!(waiting.starts_with("Waiting for the payer"), "{waiting}");
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let rest: Vec<String> = lines.iter().collect();
    let no = String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.strip_prefix("Order ").map(str::to_string)).expect("order line");
    assert!(rest.iter().any(|l| l == &format!("Cancelled: closing order {no}…")) && rest.iter().any(|l| l == &format!("Order {no} is closed: nothing was paid.")), "{rest:?}");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(cli.ok(&["show", &no])["status"], "closed");

    // A barcode payment says its order number before it waits (this payer confirms after ~2 s).
    let mut child = cli.command().args(["pay", "--amount", "6.00", "--auth-code", "990000000000000005"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let lines = stderr_lines(&mut child);
    let first = lines.recv_timeout(std::time::Duration::from_secs(15)).unwrap();
    assert!(child.try_wait().unwrap().is_none(), "said while still waiting: {first}");
    let no = first.strip_prefix("Order ").and_then(|l| l.split(':').next()).expect("Order …: charging").to_string();
    assert!(first.contains("charging 6.00 yuan"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&no), "the same order is paid");
}

#[test]
fn close_exit_codes_colour_and_unreadable_homes() {
    let (cli, _sim) = setup();
    // `close` that closed: 0. `close` of a paid order: says it is paid, 3.
    let o = cli.ok(&["pay", "--amount", "2.00"]);
    let r = cli.run(&["close", o["order_no"].as_str().unwrap()]);
    assert_eq!((r.code, r.json()["status"].as_str()), (0, Some("closed")), "{r:?}");
    let paid = cli.ok(&["pay", "--amount", "2.00", "--auth-code", "990000000000000001"]);
    let no = paid["order_no"].as_str().unwrap();
    let r = cli.run(&["close", no]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains(&format!("Order {no} is paid: it was not closed")) && r.stderr.contains("paydesk refund"), "{}", r.stderr);

    // Colour only on a terminal: logs into a pipe are plain text (a home open to others makes
    // the book warn).
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(cli.home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = cli.command().args(["-vv", "orders"]).output().unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(cli.home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.is_empty() && !err.contains('\u{1b}'), "no escape codes: {err:?}");

    // A home that cannot be read says so. Root reads anything: drop that power for the run.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(cli.home.path(), std::fs::Permissions::from_mode(0o000)).unwrap();
    let is_root = std::process::Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", "--"]).arg(paydesk_e2e::paydesk_bin());
        c.env_remove("PAYDESK_HOME").env("LANG", "en_US.UTF-8").env("PAYDESK_MACHINE_KEY", paydesk_e2e::machine_key(cli.home.path())).arg("--home").arg(cli.home.path());
        c
    } else {
        cli.command()
    };
    let out = cmd.arg("orders").output().unwrap();
    std::fs::set_permissions(cli.home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("permission denied") && !err.contains("has no Paydesk book"), "{err}");
}

#[test]
fn query_settles_a_refund_on_a_home_without_a_service() {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "W1"]);
    // Simulated WeChat Pay: refunds answer PROCESSING and finish a moment later. No service runs
    // and no callback can arrive (polling only).
    let file = cli.home.path().join("demo-accounts.toml");
    std::fs::write(&file, paydesk_channels::demo::demo_accounts(&sim.url(), &paydesk_e2e::demo_keys())).unwrap();
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    let paid = cli.ok(&["pay", "--amount", "9.00", "--auth-code", "130000000000000001"]);
    assert_eq!((paid["status"].as_str(), paid["channel"].as_str()), (Some("success"), Some("wechat")), "{paid}");
    let no = paid["order_no"].as_str().unwrap();
    let r = cli.run(&["refund", no, "--amount", "9.00"]);
    assert_eq!((r.code, r.json()["status"].as_str()), (4, Some("processing")), "{r:?}");
    std::thread::sleep(std::time::Duration::from_millis(800));
    let q = cli.ok(&["query", no]);
    assert_eq!(q["status"], "refunded", "{q}");
    let shown = cli.ok(&["show", no]);
    assert_eq!(shown["refunds"][0]["status"], "success", "{shown}");
}
