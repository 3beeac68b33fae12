//! `paydesk report` after real payments through the simulator: the figures count what happened
//! (paid, declined, refunded), the files are written, and the analytics tables check out.

use paydesk_e2e::{sandbox_accounts, Cli, Service};

#[test]
fn report_counts_real_payments_and_writes_files() {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "RPT"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    let o = cli.ok(&["pay", "--amount", "12.34"]);
    let no = o["order_no"].as_str().unwrap().to_string();
    assert_eq!(cli.run(&["sim", "scan", &no, "--action", "pay", "--url", &sim.url()]).code, 0);
    assert_eq!(cli.ok(&["query", &no])["status"], "success");
    assert_eq!(cli.run(&["pay", "--amount", "5.00", "--auth-code", "990000000000000001"]).code, 0);
    assert_eq!(cli.run(&["pay", "--amount", "5.00", "--auth-code", "990000000000000007"]).code, 3);
    assert_eq!(cli.ok(&["refund", &no, "--amount", "2.34"])["status"], "success");

    let out = cli.home.path().join("reports");
    let r = cli.ok(&["report", "--period", "today", "--out", out.to_str().unwrap(), "--lang", "en"]);
    let cur = &r["dashboard"]["current"];
    assert_eq!((cur["orders"].as_i64(), cur["gross"].as_i64(), cur["refunds"].as_i64(), cur["net"].as_i64()), (Some(2), Some(1734), Some(234), Some(1500)));
    assert_eq!((cur["attempts"].as_i64(), cur["failed"].as_i64(), cur["success_rate_bp"].as_i64()), (Some(3), Some(1), Some(6667)));
    assert_eq!(r["dashboard"]["channels"][0]["channel"], "sandbox");
    let files: Vec<String> = r["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
    assert_eq!(files.len(), 13, "{files:?}");
    assert!(files.iter().all(|f| std::path::Path::new(f).metadata().unwrap().len() > 40), "no empty file");
    assert_eq!(cli.ok(&["report", "--check"])["consistent"], true);

    // Bad input names the field and writes nothing.
    let bad = cli.run(&["report", "--from", "2026-13-01", "--out", out.to_str().unwrap()]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("from"), "{}", bad.stderr);
    let bad = cli.run(&["report", "--from", "2026-11-10", "--to", "2026-11-01"]);
    assert!(bad.code == 2 && bad.stderr.contains("to:"), "{bad:?}");
}
