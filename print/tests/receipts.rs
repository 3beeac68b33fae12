//! Receipts end to end inside the crate: layouts → bytes → golden text (decoded), the rendered
//! image, and the transports against the virtual printer (paper out, printer off, retry) and a
//! USB device file. `UPDATE_GOLDEN=1` rewrites the golden files; `RECEIPT_PNG_DIR=DIR` keeps the
//! rendered receipts (docs/receipts/ is made that way).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use paydesk_core::config::PrinterSettings;
use paydesk_core::store::{AdjustmentRow, OpenItem};
use paydesk_core::till::{CashFigures, Figures, ReportLine, Shift, ShiftKind, ShiftLine, ShiftReport, ShiftStatus, ZReport};
use paydesk_core::auth::Role;
use paydesk_core::{Method, Money, Order, OrderStatus, PayKind, Principal, Refund, RefundStatus};
use paydesk_print::decode::{decode, printed_lines, to_text};
use paydesk_print::receipts::{self, Lang, Layout};
use paydesk_print::{render, transport, JobStatus, PrintError, Spooler, Target, VirtualPrinter};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn fen(f: i64) -> Money {
    Money::from_fen(f).unwrap()
}

fn order(no: &str, method: Method, amount: i64) -> Order {
    let tender = method.is_tender();
    Order {
        order_no: no.parse().unwrap(),
        kind: if tender { PayKind::Tender } else { PayKind::Qr },
        method,
        channel: method.as_str().into(),
        account: if tender { String::new() } else { "alipay-main".into() },
        amount: fen(amount),
        refunded: Money::ZERO,
        fee: Money::ZERO,
        status: OrderStatus::Success,
        subject: "拿铁 Latte ×2".into(),
        channel_trade_no: (!tender).then(|| "2026112522001400001234567890".into()),
        qr_code: None,
        auth_code_masked: None,
        failure_code: None,
        failure_message: None,
        operator: Some("王芳".into()),
        principal: Some(Principal::user("王芳", Role::Cashier)),
        till: "T1".into(),
        idempotency_key: None,
        created_at: t("2026-11-25T06:05:12Z"),
        updated_at: t("2026-11-25T06:05:20Z"),
        expires_at: t("2026-11-25T06:10:12Z"),
        paid_at: Some(t("2026-11-25T06:05:20Z")),
        shift_no: Some("T1-20261125-1".into()),
        tendered: None,
        sale_id: None,
        sale_total: None,
        origin: paydesk_core::order::OrderOrigin::Paydesk,
    }
}

fn layout(mm: u16, lang: Lang) -> Layout {
    let s = PrinterSettings {
        paper_mm: mm,
        shop_name: "晨光咖啡".into(),
        header: vec!["上海市徐汇区漕溪北路 88 号".into(), "电话 021-6400 1234".into()],
        footer: vec!["谢谢惠顾 欢迎再来".into(), "退换请保留小票".into()],
        ..PrinterSettings::default()
    };
    Layout::new(&s, lang, chrono_tz::Asia::Shanghai)
}

fn split_sale() -> Vec<Order> {
    let mut cash = order("P20261125140512000T1001", Method::Cash, 3000);
    cash.tendered = Some(fen(5000));
    let mut wallet = order("P20261125140530000T1002", Method::Alipay, 7000);
    for o in [&mut cash, &mut wallet] {
        o.sale_id = Some("G1".into());
        o.sale_total = Some(fen(10_000));
    }
    vec![cash, wallet]
}

fn shift_report() -> ShiftReport {
    let line = |method: &str, kind: &str, count, amount, rc, refunded| ReportLine { kind: kind.into(), method: method.into(), channel: method.into(), count, amount, refund_count: rc, refunded };
    let lines = vec![line("alipay", "qr", 12, 45_600, 1, 1_200), line("cash", "tender", 8, 23_450, 1, 230), line("card", "tender", 2, 17_600, 0, 0), line("wechat", "barcode", 9, 31_080, 0, 0)];
    let figures = Figures {
        sales: 30,
        paid_count: 31,
        gross: 117_730,
        refund_count: 2,
        refunded: 1_430,
        net: 116_300,
        void_count: 1,
        voided: 500,
        cash: CashFigures { opening_float: Some(20_000), sales: 23_450, refunds: 230, expected: Some(43_220), counted: Some(42_920), over_short: Some(-300) },
        open_orders: vec![OpenItem { no: "P20261125175901000T1044".into(), method: "wechat".into(), amount: 999, status: "processing".into() }],
        open_refunds: vec![],
        lines,
    };
    let shift = Shift {
        shift_no: "T1-20261125-1".into(),
        till: "T1".into(),
        store: "S1".into(),
        kind: ShiftKind::Cashier,
        opened_by: Some("王芳".into()),
        opened_at: t("2026-11-25T01:00:00Z"),
        opening_float: fen(20_000),
        status: ShiftStatus::Closed,
        closed_at: Some(t("2026-11-25T10:00:00Z")),
        closed_by: Some("王芳".into()),
        handed_to: Some("李雷".into()),
        counted_cash: Some(fen(42_920)),
        expected_cash: Some(43_220),
        z_no: None,
    };
    let adjustments = vec![AdjustmentRow { at: t("2026-11-25T10:02:00Z"), order_no: "P20261125175901000T1044".into(), refund_no: None, method: "wechat".into(), amount: 999, from_status: Some("processing".into()), to_status: "success".into(), source: "callback".into() }];
    ShiftReport { shift, generated_at: t("2026-11-25T10:00:00Z"), figures, locked: true, adjustments }
}

fn z_report() -> ZReport {
    let r = shift_report();
    ZReport {
        scope: "till".into(),
        store: "S1".into(),
        till: "T1".into(),
        z_no: 42,
        business_date: "2026-11-25".parse().unwrap(),
        taken_at: t("2026-11-25T14:30:00Z"),
        taken_by: Some("老板".into()),
        shifts: vec![ShiftLine::from(&r.shift)],
        tills: vec![],
        figures: Figures { cash: CashFigures { opening_float: None, expected: None, counted: None, over_short: None, ..r.figures.cash.clone() }, ..r.figures.clone() },
        over_short: -300,
        adjustments: r.adjustments.clone(),
    }
}

fn refund() -> (Order, Refund) {
    let mut o = order("P20261125140512000T1001", Method::Cash, 3000);
    o.refunded = fen(230);
    let r = Refund {
        shift_no: Some("T1-20261125-1".into()),
        refund_no: "R20261125150000000T1003".parse().unwrap(),
        order_no: o.order_no.clone(),
        kind: Default::default(),
        amount: fen(230),
        reason: Some("少一个杯盖".into()),
        status: RefundStatus::Success,
        channel_refund_no: None,
        failure_message: None,
        operator: Some("王芳".into()),
        principal: Some(Principal::user("王芳", Role::Cashier)),
        created_at: t("2026-11-25T07:00:00Z"),
        updated_at: t("2026-11-25T07:00:00Z"),
    };
    (o, r)
}

/// Compares the decoded bytes with `tests/golden/NAME.txt`, and renders them.
fn golden(name: &str, bytes: &[u8], paper: u32) {
    let text = to_text(&decode(bytes));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1 and review it", path.display()));
    assert_eq!(text, want, "{name}: the printed bytes changed (UPDATE_GOLDEN=1 to accept, after looking at the receipt)");
    let png = render::png(bytes, paper, paydesk_charts::font_bytes()).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let img = render::image(bytes, paper, paydesk_charts::font_bytes()).unwrap();
    let dark = img.pixels().filter(|p| p.0[0] < 100).count();
    assert!(dark > 2_000, "{name}: the receipt image has ink");
    if let Some(dir) = std::env::var_os("RECEIPT_PNG_DIR") {
        std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
    }
}

#[test]
fn sale_receipts_for_both_papers_and_languages() {
    let sale = split_sale();
    let bytes = receipts::sale(&layout(80, Lang::Zh), &sale, false);
    let lines = printed_lines(&decode(&bytes));
    assert_eq!(lines[0], "晨光咖啡");
    assert!(lines.iter().any(|l| l.starts_with("合计") && l.ends_with("￥100.00")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("  找零") && l.ends_with("20.00")), "{lines:#?}");
    assert!(lines.contains(&"[QR P20261125140512000T1001]".to_string()));
    assert!(lines.iter().all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 48 || l.starts_with('[')), "lines fit 48 columns");
    assert!(to_text(&decode(&bytes)).contains("DRAWER KICK"), "cash opens the drawer");
    golden("sale-split-80-zh", &bytes, 576);
    let b58 = receipts::sale(&layout(58, Lang::En), &sale[1..], false);
    assert!(printed_lines(&decode(&b58)).iter().all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 32 || l.starts_with('[')));
    assert!(!to_text(&decode(&b58)).contains("DRAWER KICK"), "no cash, no drawer");
    golden("sale-alipay-58-en", &b58, 384);
    // A reprint never opens the drawer and says it is a reprint.
    let again = receipts::sale(&layout(80, Lang::Zh), &sale, true);
    assert!(!to_text(&decode(&again)).contains("DRAWER KICK"));
    assert!(printed_lines(&decode(&again)).contains(&"(重印)".to_string()));
    // CODE128 instead of a QR code: two dots a module on 80 mm, one on 58 mm, and a barcode
    // reader (zbar, independent of Paydesk) reads the order number off the rendered receipt.
    for (mm, module, paper) in [(80, 2, 576), (58, 1, 384)] {
        let mut l = layout(mm, Lang::Zh);
        l.order_code = receipts::OrderCode::Barcode;
        let bytes = receipts::sale(&l, &sale, true);
        assert!(to_text(&decode(&bytes)).contains(&format!("CODE128 height=60 module={module} |P20261125140512000T1001|")));
        assert_eq!(zbar(&render::png(&bytes, paper, paydesk_charts::font_bytes()).unwrap()), ["CODE-128:P20261125140512000T1001"]);
    }
}

/// What `zbarimg` (Debian's zbar-tools, scripts/deps-apt.sh) reads off a PNG.
fn zbar(png: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.png");
    std::fs::write(&path, png).unwrap();
    let out = std::process::Command::new("zbarimg").args(["-q"]).arg(&path).output().expect("zbarimg runs (install zbar-tools: scripts/deps-apt.sh)");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn refund_handover_and_z_receipts() {
    let (o, r) = refund();
    golden("refund-80-zh", &receipts::refund(&layout(80, Lang::Zh), &o, &r, false), 576);
    // A same-day revoke's slip says it undid the whole payment.
    let revoked = Refund { kind: paydesk_core::RefundKind::Revoke, ..r.clone() };
    let lines = printed_lines(&decode(&receipts::refund(&layout(80, Lang::Zh), &o, &revoked, false)));
    assert!(lines.iter().any(|l| l.contains("撤销小票")) && !lines.iter().any(|l| l.contains("退款小票")), "{lines:#?}");
    let rep = shift_report();
    let bytes = receipts::shift_report(&layout(80, Lang::Zh), &rep);
    let lines = printed_lines(&decode(&bytes));
    assert!(lines.iter().any(|l| l.starts_with("长短款") && l.ends_with("-3.00")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("交接给 李雷")));
    golden("handover-80-zh", &bytes, 576);
    golden("handover-58-zh", &receipts::shift_report(&layout(58, Lang::Zh), &rep), 384);
    let z = receipts::z_report(&layout(80, Lang::En), &z_report());
    assert!(printed_lines(&decode(&z)).contains(&"Z0042".to_string()));
    golden("z-80-en", &z, 576);
}

#[tokio::test]
async fn the_virtual_printer_gets_the_bytes_and_failures_say_what_to_do() {
    let vp = VirtualPrinter::start(0).await.unwrap();
    let target = Target::Tcp(vp.address());
    let bytes = receipts::test_page(&layout(80, Lang::Zh));
    transport::send(&target, &bytes, Duration::from_secs(2)).await.unwrap();
    assert_eq!(vp.wait_for(1).await, vec![bytes.clone()], "exactly the job's bytes, status requests left out");

    vp.set_paper_out(true);
    let e = transport::send(&target, &bytes, Duration::from_secs(2)).await.unwrap_err();
    assert_eq!(e.code(), "paper_out");
    assert!(e.to_string().contains("out of paper"), "{e}");
    assert_eq!(vp.jobs().len(), 1, "nothing sent into an empty printer");
    vp.set_paper_out(false);

    // Off: the spooler reports it at once and keeps the job; the retry prints it.
    vp.power_off();
    let sp = Spooler::new(Some(target.clone()), Duration::from_secs(2));
    let job = sp.submit("sale P1", bytes.clone());
    let failed = sp.wait(job.id).await.unwrap();
    assert_eq!((failed.status, failed.code.as_deref()), (JobStatus::Failed, Some("printer_offline")));
    assert!(failed.message.unwrap().contains("switched on"));
    vp.power_on().await.unwrap();
    sp.retry(job.id).unwrap();
    assert_eq!(sp.wait(job.id).await.unwrap().status, JobStatus::Done);
    assert_eq!(vp.wait_for(2).await[1], bytes);

    // No printer set.
    let none = Spooler::new(None, Duration::from_secs(1));
    let j = none.submit("x", vec![1]);
    assert_eq!(none.wait(j.id).await.unwrap().code.as_deref(), Some(PrintError::NotConfigured.code()));
}

#[tokio::test]
async fn usb_printers_are_device_files() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("lp0");
    std::fs::write(&dev, b"").unwrap();
    transport::send(&Target::Usb(dev.clone()), b"\x1b@hello\n", Duration::from_secs(2)).await.unwrap();
    assert_eq!(std::fs::read(&dev).unwrap(), b"\x1b@hello\n");
    let e = transport::send(&Target::Usb(dir.path().join("lp9")), b"x", Duration::from_secs(2)).await.unwrap_err();
    assert_eq!(e.code(), "printer_offline");
    assert!(e.to_string().contains("plugged in"), "{e}");
}
