//! A till's day through the `paydesk` binary, against the simulator and a virtual network
//! printer: open a shift, sell by cash, QR, payment code and card, refund at the counter,
//! reprint, hand over with a blind count, a late payment listed as an adjustment, the day's Z
//! printed, a payment found from what the customer knows, a printer out of paper.

use paydesk_e2e::{sandbox_accounts, Cli, Service};
use paydesk_print::decode::{decode, printed_lines};
use paydesk_print::VirtualPrinter;

fn use_printer(cli: &Cli, address: &str) {
    let path = cli.home.path().join("config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen("connection = \"none\"", "connection = \"tcp\"", 1).replacen("address = \"\"", &format!("address = \"{address}\""), 1).replace("shop_name = \"\"", "shop_name = \"晨光咖啡\"");
    assert!(text.contains(address), "{text}");
    std::fs::write(path, text).unwrap();
}

fn lines(job: &[u8]) -> Vec<String> {
    printed_lines(&decode(job))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_day_at_the_till() {
    let printer = VirtualPrinter::start(0).await.unwrap();
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "E2E"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    use_printer(&cli, &printer.address());

    // No shift: cash is refused, naming what to do.
    let r = cli.run(&["pay", "--amount", "5.00", "--tender", "cash"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("open a shift first"), "{}", r.stderr);

    let opened = cli.ok(&["shift", "open", "--cashier", "王芳", "--float", "200"]);
    let shift = opened["shift"]["shift_no"].as_str().unwrap().to_string();
    assert!(shift.starts_with("E2E-"), "{shift}");

    let cash = cli.ok(&["pay", "--amount", "12.30", "--tender", "cash", "--tendered", "20", "--operator", "王芳"]);
    assert_eq!((cash["status"].as_str(), cash["tendered"].as_i64()), (Some("success"), Some(2000)));
    let cash_no = cash["order_no"].as_str().unwrap().to_string();
    cli.ok(&["pay", "--amount", "88.00", "--tender", "card", "--reference", "TERM-0042"]);
    let qr = cli.ok(&["pay", "--amount", "25.00", "--operator", "王芳"]);
    let qr_no = qr["order_no"].as_str().unwrap().to_string();
    assert_eq!(cli.run(&["sim", "scan", &qr_no, "--action", "pay", "--url", &sim.url()]).code, 0);
    assert_eq!(cli.ok(&["query", &qr_no])["status"], "success");
    assert_eq!(cli.run(&["pay", "--amount", "9.00", "--auth-code", "990000000000004321"]).code, 0);
    // Unpaid at the handover: paid later.
    let late = cli.ok(&["pay", "--amount", "6.60"]);
    let late_no = late["order_no"].as_str().unwrap().to_string();
    // A refund at the counter comes out of the drawer, in this shift.
    let refund = cli.ok(&["refund", &cash_no, "--amount", "2.30", "--reason", "少一个杯盖"]);
    assert_eq!((refund["status"].as_str(), refund["shift_no"].as_str()), (Some("success"), Some(shift.as_str())));

    // Reprint from the order: the virtual printer gets a receipt with the order's number.
    cli.ok(&["print", "order", &cash_no]);
    let jobs = printer.wait_for(1).await;
    let receipt = lines(&jobs[0]);
    assert_eq!(receipt[0], "晨光咖啡");
    assert!(receipt.contains(&format!("[QR {cash_no}]")), "{receipt:#?}");
    assert!(receipt.iter().any(|l| l.starts_with("  找零") && l.ends_with("7.70")), "{receipt:#?}");

    // The X report is blind: no expected cash before the count.
    let x = cli.ok(&["shift", "report"]);
    assert_eq!(x["report"]["locked"], false);
    assert!(x["report"]["figures"]["cash"]["expected"].is_null());
    assert_eq!(x["report"]["figures"]["gross"], 1230 + 8800 + 2500 + 900);

    // Hand over: counted 209.00 against 200 + 12.30 − 2.30 = 210.00 → 1.00 short. Printed.
    let closed = cli.ok(&["shift", "close", "--cashier", "王芳", "--counted", "209.00", "--handed-to", "李雷", "--print", "--out", cli.home.path().join("out").to_str().unwrap()]);
    let cash_fig = &closed["report"]["figures"]["cash"];
    assert_eq!((cash_fig["expected"].as_i64(), cash_fig["counted"].as_i64(), cash_fig["over_short"].as_i64()), (Some(21_000), Some(20_900), Some(-100)));
    assert_eq!(closed["report"]["figures"]["open_orders"][0]["no"], late_no.as_str());
    let handover = lines(&printer.wait_for(2).await[1]);
    assert!(handover.iter().any(|l| l.starts_with("长短款") && l.ends_with("-1.00")), "{handover:#?}");
    assert!(cli.home.path().join("out").join(format!("shift-{shift}.xlsx")).exists());

    // The late payment: listed as an adjustment, the locked report unchanged.
    assert_eq!(cli.run(&["sim", "scan", &late_no, "--action", "pay", "--url", &sim.url()]).code, 0);
    assert_eq!(cli.ok(&["query", &late_no])["status"], "success");
    let after = cli.ok(&["shift", "report", &shift]);
    assert_eq!(after["report"]["figures"], closed["report"]["figures"], "the handover report is locked");
    assert_eq!(after["report"]["adjustments"][0]["order_no"], late_no.as_str());

    // Finding payments from what the customer knows.
    let trade_no = cli.ok(&["show", &qr_no])["channel_trade_no"].as_str().unwrap().to_string();
    let found = cli.ok(&["orders", "--find", &trade_no[trade_no.len() - 8..]]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["order_no"], qr_no.as_str());
    let by_code = cli.ok(&["orders", "--find", "*4321"]);
    assert_eq!((by_code.as_array().unwrap().len(), by_code[0]["amount_fen"].as_i64()), (1, Some(900)));
    let by_shift = cli.ok(&["orders", "--find", &format!("shift:{shift} 88")]);
    assert_eq!(by_shift[0]["method"], "card");

    // The day: Z 1 of the till and of the store, printed; once per day.
    let day = cli.ok(&["day", "close", "--by", "老板", "--print"]);
    assert_eq!((day["day"]["till_z"]["z_no"].as_i64(), day["day"]["store_z"]["z_no"].as_i64()), (Some(1), Some(1)));
    assert_eq!(day["day"]["till_z"]["over_short"], -100);
    let jobs = printer.wait_for(4).await;
    assert!(lines(&jobs[2]).contains(&"Z0001".to_string()));
    let again = cli.run(&["day", "close", "--by", "老板"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already taken"), "{}", again.stderr);

    // Out of paper: a clear message, nothing sent.
    printer.set_paper_out(true);
    let r = cli.run(&["print", "test"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["code"], "paper_out");
    assert!(r.stderr.contains("out of paper"), "{}", r.stderr);
    assert_eq!(printer.jobs().len(), 4);
}
