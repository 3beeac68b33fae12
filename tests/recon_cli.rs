//! Reconciliation and the order import through the `paydesk` binary, as processes: orders loaded
//! with `orders import`, a statement imported with `--date yesterday`, exit codes (6 open, 2 a
//! refused file shown beside the last good run, 5 an unknown id, 0 a re-query that leaves it
//! open), external payments accepted in bulk, ids stable across a re-run, the TXT report on a
//! 132-column page.

use chrono::{Duration, TimeZone, Utc};
use paydesk_e2e::{sandbox_accounts, Cli};

fn yesterday() -> chrono::NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() - Duration::days(1)
}

/// A Paydesk order number of till T1 at `hh:mm` yesterday.
fn no(hh: u32, mm: u32, seq: u32) -> String {
    format!("P{}{hh:02}{mm:02}00000T1{seq:03}", yesterday().format("%Y%m%d"))
}

/// RFC 3339 of `hh:mm:ss` yesterday in Shanghai.
fn at(hh: u32, mm: u32, ss: u32) -> String {
    chrono_tz::Asia::Shanghai.from_local_datetime(&yesterday().and_hms_opt(hh, mm, ss).unwrap()).unwrap().to_rfc3339()
}

fn setup() -> Cli {
    let cli = Cli::new();
    cli.ok(&["init", "--till", "T1"]);
    // Nothing listens there: adjacent days cannot be downloaded (and say so quickly).
    let file = sandbox_accounts(cli.home.path(), "http://127.0.0.1:9");
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    cli
}

fn write(cli: &Cli, name: &str, text: &str) -> String {
    let p = cli.home.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn kinds(run: &serde_json::Value) -> Vec<(String, u64)> {
    run["summary"]["kinds"].as_array().unwrap().iter().map(|k| (k["kind"].as_str().unwrap().to_string(), k["count"].as_u64().unwrap())).collect()
}

#[test]
fn import_reconcile_accept_and_exit_codes() {
    let cli = setup();
    let d = yesterday().format("%Y-%m-%d").to_string();
    // The book, through the product path.
    let orders = format!(
        "order_no,account,amount,status,created_at,paid_at\n{},sb,10.00,success,{d} 10:00:00,{d} 10:00:05\n{},sb,20.00,success,{d} 11:00:00,{d} 11:00:04\n{},sb,5.00,closed,{d} 12:00:00,\n",
        no(10, 0, 1),
        no(11, 0, 2),
        no(12, 0, 3)
    );
    let bad = write(&cli, "bad-orders.csv", &orders.replace("20.00", "20.0x").replace(",closed,", ",pending,"));
    let r = cli.run(&["orders", "import", &bad]);
    assert_eq!(r.code, 2, "{r:?}");
    let e = r.json();
    assert_eq!(e["error"]["total"], 2);
    assert_eq!((e["error"]["errors"][0]["line"].as_u64(), e["error"]["errors"][0]["field"].as_str()), (Some(3), Some("amount")));
    assert_eq!((e["error"]["errors"][1]["line"].as_u64(), e["error"]["errors"][1]["field"].as_str()), (Some(4), Some("status")));
    assert_eq!(cli.ok(&["orders"]).as_array().unwrap().len(), 0, "nothing written");
    let good = write(&cli, "orders.csv", &orders);
    assert_eq!(cli.ok(&["orders", "import", &good])["orders"], 3);
    let shown = cli.ok(&["show", &no(10, 0, 1)]);
    assert_eq!((shown["origin"].as_str(), shown["events"][0]["source"].as_str()), (Some("import"), Some("import")));

    // The statement: both sales, a sale the book lacks, a 收款码 sticker payment.
    let statement = format!(
        "trade_no,order_no,type,amount,refund_no,time,status,fee\nS1,{},payment,10.00,,{},PAID,0.06\nS2,{},payment,20.00,,{},PAID,0.12\nS3,{},payment,8.00,,{},PAID,0.05\nSQR9,,payment,15.00,,{},PAID,0.09\n",
        no(10, 0, 1),
        at(10, 0, 5),
        no(11, 0, 2),
        at(11, 0, 4),
        no(13, 0, 4),
        at(13, 0, 9),
        at(14, 30, 0)
    );
    let stmt = write(&cli, "statement.csv", &statement);
    let r = cli.run(&["reconcile", "--date", "yesterday", "--account", "sb", "--file", &stmt]);
    assert_eq!(r.code, 6, "open discrepancies: {r:?}");
    let first = r.json();
    assert_eq!(first["runs"][0]["day"], d.as_str());
    assert_eq!(kinds(&first["runs"][0]), vec![("missing_in_book".to_string(), 1), ("external".to_string(), 1)]);
    let id_of = |v: &serde_json::Value, kind: &str| v["discrepancies"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap()["id"].as_i64().unwrap();
    let (missing, external) = (id_of(&first, "missing_in_book"), id_of(&first, "external"));

    // A file that is no statement: exit 2, the good run still shown, the failure beside it.
    let junk = write(&cli, "junk.csv", "hello,world\n");
    let r = cli.run(&["reconcile", "--date", &d, "--account", "sb", "--file", &junk]);
    assert_eq!(r.code, 2, "{r:?}");
    let j = r.json();
    assert_eq!((j["runs"][0]["id"].clone(), j["runs"][0]["status"].as_str(), j["runs"][0]["open"].as_u64()), (first["runs"][0]["id"].clone(), Some("done"), Some(2)));
    assert!(j["runs"][0]["failure"]["error"].as_str().unwrap().contains("not a statement format"), "{j}");
    assert_eq!(j["errors"][0]["code"], "bad_statement");
    assert_eq!(j["discrepancies"].as_array().unwrap().len(), 2);
    let human = paydesk_e2e::paydesk().arg("--home").arg(cli.home.path()).args(["reconcile", "--date", &d, "--show"]).output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("FAILED and replaced nothing") && text.contains("external"), "{text}");
    assert_eq!(human.status.code(), Some(6));

    // Unknown ids: not found (5). A re-query that leaves the difference open: 0.
    for args in [vec!["reconcile", "requery", "99999"], vec!["reconcile", "resolve", "99999", "--note", "x"], vec!["reconcile", "accept", "99999", "--note", "x"]] {
        assert_eq!(cli.run(&args).code, 5, "{args:?}");
    }
    let q = cli.run(&["reconcile", "requery", &missing.to_string()]);
    assert_eq!(q.code, 0, "{q:?}");
    assert_eq!(q.json()["state"], "open");

    // The sticker payment accepted in bulk; the re-run matches it and keeps the other's id.
    assert_eq!(cli.run(&["reconcile", "accept", "--all", "--date", "yesterday", "--account", "sb", "--note", " "]).code, 2, "a note is required");
    let done = cli.ok(&["reconcile", "accept", "--all", "--date", "yesterday", "--account", "sb", "--note", "门口收款码"]);
    assert_eq!((done[0]["id"].as_i64(), done[0]["state"].as_str()), (Some(external), Some("fixed")));
    let r = cli.run(&["reconcile", "--date", &d, "--account", "sb", "--file", &stmt]);
    assert_eq!(r.code, 6);
    let again = r.json();
    assert_eq!(kinds(&again["runs"][0]), vec![("missing_in_book".to_string(), 1)]);
    assert_eq!(id_of(&again, "missing_in_book"), missing, "the same difference keeps its id");
    assert_eq!(again["runs"][0]["summary"]["matched"], 3);
    let ext = cli.ok(&["orders"]);
    assert!(ext.as_array().unwrap().iter().any(|o| o["origin"] == "external" && o["amount_fen"] == 1500 && o["channel_trade_no"] == "SQR9"), "{ext}");
    assert_eq!(cli.run(&["reconcile", "resolve", &external.to_string(), "--note", "x"]).code, 2, "superseded: nothing to settle");

    // Days by name; a word that is not one is refused.
    assert_eq!(cli.run(&["reconcile", "--date", "today", "--show"]).code, 0);
    assert_eq!(cli.run(&["reconcile", "--date", "tomorrow", "--show"]).code, 2);

    // The printed report fits a 132-column page and cuts nothing.
    let out = cli.home.path().join("reports");
    let r = cli.run(&["reconcile", "--date", &d, "--show", "--export", "txt", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 6, "the missing payment is still open: {r:?}");
    let txt = std::fs::read_to_string(out.join(format!("reconciliation-{d}.txt"))).unwrap();
    assert!(txt.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 132), "{txt}");
    assert!(txt.contains("门口收款码") || txt.contains(&no(13, 0, 4)), "{txt}");
    assert!(!txt.contains('…'));
}
