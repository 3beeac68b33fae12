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
    let csv = paydesk().arg("--home").arg(cli.home.path()).args(["orders", "--csv", "--from", "today", "--to", "today"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 1 + 5);
    assert!(paydesk().arg("--home").arg(cli.home.path()).args(["orders", "--csv", "--to", "yesterday"]).output().unwrap().stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() == 1, "nothing before today");
    // A limit that cuts the list says so on stderr (the CSV on stdout stays whole).
    let r = paydesk().arg("--home").arg(cli.home.path()).args(["orders", "--csv", "--limit", "2"]).output().unwrap();
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
    let mut child = paydesk().arg("--home").arg(cli.home.path()).args(["orders", "--csv"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(!err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("error"), "quiet: {err}");
    assert_eq!(status.code(), Some(0), "{err}");
    let mut child = paydesk().arg("--home").arg(cli.home.path()).args(["orders"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
