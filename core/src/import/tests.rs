//! Import: a file of every status writes orders, events and refunds and keeps the sales figures
//! right; every kind of error names its line and field and writes nothing.

use super::*;
use crate::order::{EventSource, OrderOrigin};
use crate::store::OrderFilter;

fn book() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    for a in ["name = \"ali\"\nchannel = \"alipay\"\nfee_rate_bp = 60", "name = \"wx\"\nchannel = \"wechat\"\nfee_rate_bp = 38"] {
        store.upsert_account(&toml::from_str(a).unwrap()).unwrap();
    }
    (dir, store)
}

fn opts() -> ImportOptions {
    ImportOptions { tz: chrono_tz::Asia::Shanghai, till: "T9".into(), file_name: "old-pos.csv".into(), dry_run: false, by: crate::Principal::Os { user: "anna".into() } }
}

const HEADER: &str = "order_no,account,amount,status,created_at,paid_at,refunded,refunded_at,fee,operator,channel_trade_no,subject";

fn csv(rows: &[&str]) -> String {
    format!("\u{feff}{HEADER}\r\n{}\r\n", rows.join("\r\n"))
}

fn run(store: &Store, text: &str, format: ImportFormat) -> Result<ImportReport, ImportError> {
    import_orders(store, text.as_bytes(), format, &opts(), &|_, _| {})
}

fn errors(r: Result<ImportReport, ImportError>) -> Vec<String> {
    match r {
        Err(ImportError::Invalid { errors, .. }) => errors.iter().map(|e| e.to_string()).collect(),
        other => panic!("expected errors, got {other:?}"),
    }
}

const GOOD: [&str; 5] = [
    "P20261125100000000B1001,ali,12.34,success,2026-11-25 10:00:00,2026-11-25 10:00:05,,,,王芳,2026112522001,拿铁",
    "P20261125100100000B1002,ali,100.00,success,2026-11-25 10:01:00,2026-11-25 10:01:09,25.00,2026-11-25 15:00:00,0.60,,,",
    "P20261125100200000B1003,wx,8.80,refunded,2026-11-25 10:02:00,2026-11-25 10:02:03,,2026-11-25 16:00:00,,,,",
    "P20261125100300000B1004,wx,5.00,closed,2026-11-25 10:03:00,,,,,,,",
    "LEGACY000042,ali,3.00,failed,2026-11-25T02:04:00Z,,,,,,,",
];

#[test]
fn a_file_of_every_status_is_written_with_its_history_and_the_figures_follow() {
    let (_d, store) = book();
    // Order numbers must be ours: the last line's is another system's.
    let e = errors(run(&store, &csv(&GOOD), ImportFormat::Csv));
    assert_eq!(e, vec!["line 6: order_no: order number \"LEGACY000042\" is invalid: 'P' followed by 8 to 31 letters or digits"]);
    let good = csv(&GOOD[..4].iter().copied().chain(["PLEGACY000042,ali,3.00,failed,2026-11-25T02:04:00Z,,,,,,,"]).collect::<Vec<_>>());
    let r = run(&store, &good, ImportFormat::Csv).unwrap();
    assert_eq!((r.orders, r.refunds, r.paid, r.paid_amount, r.refunded_amount), (5, 2, 3, 1234 + 10_000 + 880, 2_500 + 880));
    let all = store.list_orders(&OrderFilter::default()).unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|o| o.origin == OrderOrigin::Import));
    let no: OrderNo = "P20261125100000000B1001".parse().unwrap();
    let d = store.order_detail(&no).unwrap();
    assert_eq!((d.order.status, d.order.amount.fen(), d.order.fee.fen(), d.order.till.as_str()), (OrderStatus::Success, 1234, 7, "B1"), "fee at the account's 60 bp, till from the number");
    assert_eq!((d.order.operator.as_deref(), d.order.channel_trade_no.as_deref(), d.order.subject.as_str(), d.order.method), (Some("王芳"), Some("2026112522001"), "拿铁", Method::Alipay));
    assert_eq!(d.order.paid_at.unwrap().to_rfc3339(), "2026-11-25T02:00:05+00:00");
    assert_eq!(d.events.len(), 1);
    assert_eq!((d.events[0].source, d.events[0].to_status, d.events[0].detail.as_str()), (EventSource::Import, Some(OrderStatus::Success), "imported from old-pos.csv"));
    let part = store.order_detail(&"P20261125100100000B1002".parse().unwrap()).unwrap();
    assert_eq!((part.order.refunded.fen(), part.refunds.len(), part.refunds[0].refund_no.as_str()), (2_500, 1, "R20261125100100000B1002"));
    let full = store.order_detail(&"P20261125100200000B1003".parse().unwrap()).unwrap();
    assert_eq!((full.order.status, full.order.refunded.fen(), full.order.fee.fen()), (OrderStatus::Refunded, 880, 3));
    let other = store.order_detail(&"PLEGACY000042".parse().unwrap()).unwrap();
    assert_eq!(other.order.till, "T9", "a number of another shape takes the home's till");
    // The sales pre-aggregates are right, and the till's number counter is past the imported
    // numbers (a payment made next never takes one of them); the set-aside triggers are back.
    assert!(store.sales_bucket_mismatches().unwrap().is_empty());
    let slot = store.last_slot("B1").unwrap().unwrap();
    assert_eq!((slot.stamp, slot.seq), (20261125100300000, 4), "P20261125100300000B1004 was the last");
    store.rebuild_sales_buckets().unwrap();
    assert!(store.sales_bucket_mismatches().unwrap().is_empty());
    // The same file again: refused whole (the book has those numbers), nothing added.
    let e = errors(run(&store, &good, ImportFormat::Csv));
    assert_eq!(e, vec!["line 2: order_no: order P20261125100000000B1001 is in the book already"]);
    assert_eq!(store.list_orders(&OrderFilter::default()).unwrap().len(), 5);
}

#[test]
fn every_error_names_its_line_and_field_and_nothing_is_written() {
    let (_d, store) = book();
    let rows = [
        "P20261125100000000B1001,ali,12.3x,success,2026-11-25 10:00:00,2026-11-25 10:00:05,,,,,,",
        "P20261125100100000B1002,nope,1.00,success,2026-11-25 10:01:00,2026-11-25 10:01:09,,,,,,",
        "P20261125100200000B1003,wx,1.00,pending,2026-11-25 10:02:00,,,,,,,",
        "P20261125100300000B1004,wx,1.00,success,2026-11-25 10:03:00,,,,,,,",
        "P20261125100400000B1005,wx,1.00,closed,2026-11-25 25:03:00,,,,,,,",
        "P20261125100500000B1006,wx,1.00,success,2026-11-25 10:05:00,2026-11-25 10:05:01,1.00,2026-11-25 11:00:00,,,,",
        "P20261125100600000B1007,wx,1.00,success,2026-11-25 10:06:00,2026-11-25 10:06:01,,,,,,",
        "P20261125100600000B1007,wx,1.00,success,2026-11-25 10:06:00,2026-11-25 10:06:01,,,,,,",
        "P20261125100700000B1008,wx,1.00,success,2026-11-25 10:07:00",
    ];
    let e = errors(run(&store, &csv(&rows), ImportFormat::Csv));
    assert_eq!(
        e,
        vec![
            "line 2: amount: \"12.3x\": amount \"12.3x\" is not a plain decimal number of yuan like 12.34",
            "line 3: account: no account named \"nope\" in this book (add it with `paydesk accounts import` first)",
            "line 4: status: pending: only final orders can be imported (success, refunded, closed, failed)",
            "line 5: paid_at: required for a success order",
            "line 6: created_at: \"2026-11-25 25:03:00\" is not a time like 2026-11-25 10:00:00 (shop time) or 2026-11-25T02:00:00Z",
            "line 7: refunded: 1.00 is not less than the amount 1.00: use status refunded",
            "line 9: order_no: P20261125100600000B1007 is also on line 8",
            "line 10: 5 cells, but the header has 12 columns",
        ]
    );
    assert!(store.list_orders(&OrderFilter::default()).unwrap().is_empty());
    // The header itself: an unknown column, a required one missing.
    let e = errors(run(&store, "order_no,acount,amount,status,created_at\n", ImportFormat::Csv));
    assert!(e[0].starts_with("line 1: acount: column 1 is not part of the import format"), "{e:?}");
    let e = errors(run(&store, "order_no,amount,status,created_at\n", ImportFormat::Csv));
    assert_eq!(e, vec!["line 1: account: the header has no such column (it is required)"]);
    let e = errors(run(&store, "", ImportFormat::Csv));
    assert!(e[0].contains("empty"), "{e:?}");
}

#[test]
fn json_arrays_and_lines_read_the_same_and_money_must_be_a_string() {
    let (_d, store) = book();
    let array = r#"[
  {"order_no": "P20261125100000000B1001", "account": "ali", "amount": "12.34", "status": "success",
   "created_at": "2026-11-25 10:00:00", "paid_at": "2026-11-25 10:00:05", "subject": "拿铁 \"large\""},
  {"order_no": "P20261125100100000B1002", "account": "wx", "amount": "5.00", "status": "closed", "created_at": "2026-11-25 10:01:00"}
]"#;
    let dry = import_orders(&store, array.as_bytes(), ImportFormat::Json, &ImportOptions { dry_run: true, ..opts() }, &|_, _| {}).unwrap();
    assert_eq!((dry.orders, dry.paid, dry.dry_run), (2, 1, true));
    assert!(store.list_orders(&OrderFilter::default()).unwrap().is_empty(), "a dry run writes nothing");
    assert_eq!(run(&store, array, ImportFormat::Json).unwrap().orders, 2);
    let o = store.order(&"P20261125100000000B1001".parse().unwrap()).unwrap();
    assert_eq!(o.subject, "拿铁 \"large\"");
    let lines = "{\"order_no\": \"P20261125100200000B1003\", \"account\": \"ali\", \"amount\": \"1.00\", \"status\": \"failed\", \"created_at\": \"2026-11-25 10:02:00\"}\n\
                 {\"order_no\": \"P20261125100300000B1004\", \"account\": \"ali\", \"amount\": 1.5, \"status\": \"failed\", \"created_at\": \"2026-11-25 10:03:00\"}\n";
    let e = errors(run(&store, lines, ImportFormat::Json));
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("line 2: amount: invalid type: floating point `1.5`") && e[0].contains("as strings"), "{e:?}");
    let e = errors(run(&store, "[{\"order_no\": \"P20261125100200000B1003\", \"acount\": \"ali\"}]", ImportFormat::Json));
    assert!(e[0].starts_with("line 1: acount: unknown field `acount`"), "{e:?}");
    assert_eq!(store.list_orders(&OrderFilter::default()).unwrap().len(), 2);
    assert_eq!(ImportFormat::guess("x.csv", b"[{"), ImportFormat::Json);
    assert_eq!(ImportFormat::guess("x.JSONL", b"order_no"), ImportFormat::Json);
    assert_eq!(ImportFormat::guess("x.txt", b"order_no,"), ImportFormat::Csv);
}

#[test]
fn a_book_linked_to_a_shared_book_journals_every_imported_row_and_an_unlinked_one_none() {
    let journal = |store: &Store| -> Vec<(String, String)> {
        store.write(|tx| Ok(tx.prepare("SELECT tbl, key FROM sync_journal ORDER BY rowid")?.query_map([], |r| Ok((r.get(0)?, r.get::<_, rusqlite::types::Value>(1).map(|v| format!("{v:?}"))?)))?.collect::<rusqlite::Result<_>>()?)).unwrap()
    };
    let (_d, store) = book();
    run(&store, &csv(&GOOD[..1]), ImportFormat::Csv).unwrap();
    assert!(journal(&store).is_empty(), "not linked: nothing to push");
    store.write(|tx| Ok(tx.execute("INSERT INTO sync_meta (key, value) VALUES ('journal', '1') ON CONFLICT (key) DO UPDATE SET value = '1'", [])?)).unwrap();
    run(&store, &csv(&GOOD[1..3]), ImportFormat::Csv).unwrap();
    let tables: Vec<String> = journal(&store).into_iter().map(|(t, _)| t).collect();
    assert_eq!(tables, ["orders", "order_events", "refunds", "orders", "order_events", "refunds"], "row by row, as any other write");
}
