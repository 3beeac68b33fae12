//! Matcher tests: one per discrepancy kind, the day boundary, sums and declared totals.

use std::cell::Cell;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::*;
use crate::reconcile::DiscrepancyKind as K;
use crate::statement::StatementRow;

const DAY: &str = "2026-11-25";

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn pay(order: &str, amount: i64, fee: i64, at: &str) -> StatementRow {
    StatementRow {
        kind: StatementKind::Payment,
        channel_trade_no: format!("T{order}"),
        order_no: order.into(),
        refund_no: None,
        amount,
        refund_amount: 0,
        fee,
        time: Some(t(at)),
        status: "SUCCESS".into(),
        merchant_id: "M1".into(),
    }
}

fn refund(order: &str, no: &str, amount: i64, fee: i64, at: &str) -> StatementRow {
    StatementRow { kind: StatementKind::Refund, refund_no: Some(no.into()), amount: 0, refund_amount: amount, fee, status: "REFUND".into(), ..pay(order, 0, 0, at) }
}

fn order(no: &str, status: OrderStatus, amount: i64, paid: Option<&str>) -> (String, BookOrder) {
    (no.into(), BookOrder { status, amount, fee: expected_fee(amount, 60), refunded: 0, paid_at: paid.map(t), seen: Cell::new(false) })
}

fn book_refund(no: &str, order: &str, amount: i64, status: RefundStatus, at: &str) -> BookRefund {
    BookRefund { refund_no: no.into(), order_no: order.into(), amount, status, at: t(at), revoke: false, seen: Cell::new(false) }
}

fn book(orders: Vec<(String, BookOrder)>, refunds: Vec<BookRefund>) -> BookView {
    BookView { orders: orders.into_iter().collect(), refunds: refunds.into_iter().map(|r| (r.refund_no.clone(), r)).collect(), other_account: HashMap::default() }
}

fn run(rows: &[StatementRow], b: &BookView, adj: &Adjacent) -> Outcome {
    let declared = StatementTotals::default();
    let lines = StatementLines::from(rows);
    let input = MatchInput { day: DAY.parse().unwrap(), fee_rate_bp: 60, rows: &lines, declared: &declared, book: b, adjacent: adj };
    match_day(&input)
}

/// A number shaped like one a till issues (till T1, sequence `seq`).
fn ours(prefix: char, seq: u32) -> String {
    format!("{prefix}20261125100000000T1{seq:03}")
}

fn kinds(o: &Outcome) -> Vec<(K, String)> {
    o.discrepancies.iter().map(|d| (d.kind, d.refund_no.clone().unwrap_or_else(|| d.order_no.clone()))).collect()
}

#[test]
fn a_clean_day_matches_everything_and_sums() {
    let rows = vec![pay("P1", 1234, 7, "2026-11-25 10:00:00"), pay("P2", 10_000, 60, "2026-11-25 11:00:00"), refund("P2", "R1", 2_500, -15, "2026-11-25 12:00:00")];
    let b = book(
        vec![order("P1", OrderStatus::Success, 1234, Some("2026-11-25 10:00:00")), order("P2", OrderStatus::Success, 10_000, Some("2026-11-25 11:00:00"))],
        vec![book_refund("R1", "P2", 2_500, RefundStatus::Success, "2026-11-25 12:00:01")],
    );
    let o = run(&rows, &b, &Adjacent::default());
    assert!(o.discrepancies.is_empty(), "{:?}", o.discrepancies);
    assert_eq!(o.matched, vec![0, 1, 2]);
    let s = &o.summary;
    assert_eq!((s.payments, s.payment_amount, s.refunds, s.refund_amount), (2, 11_234, 1, 2_500));
    assert_eq!(s.fees, 7 + 60 - 15);
    assert_eq!(s.net, 11_234 - 2_500 - 52);
    assert_eq!((s.book_payments, s.book_payment_amount, s.book_refunds, s.book_refund_amount), (2, 11_234, 1, 2_500));
    assert_eq!((s.matched, s.mismatched), (3, 0));
}

#[test]
fn missing_in_book_names_another_account_when_it_is_there() {
    // PX is Paydesk's (some till made it): missing in the book. PY is held under another
    // account: missing here too, named — even though its number is not shaped like a till's.
    let px = ours('P', 7);
    let rows = vec![pay(&px, 500, 3, "2026-11-25 09:00:00"), pay("PY", 500, 3, "2026-11-25 09:00:01")];
    let mut b = book(vec![], vec![]);
    b.other_account.insert("PY".into(), "wechat-2".into());
    let o = run(&rows, &b, &Adjacent::default());
    assert_eq!(kinds(&o), vec![(K::MissingInBook, px), (K::MissingInBook, "PY".into())]);
    assert!(o.discrepancies[1].detail.contains("wechat-2"));
    assert_eq!(o.discrepancies[0].channel.as_ref().unwrap().amount, Some(500));
    assert!(o.discrepancies[0].book.is_none());
}

#[test]
fn missing_at_channel_only_after_looking_at_adjacent_days() {
    let b = book(
        vec![
            order("P1", OrderStatus::Success, 100, Some("2026-11-25 23:59:58")),
            order("P2", OrderStatus::Success, 200, Some("2026-11-25 12:00:00")),
            order("P0", OrderStatus::Success, 300, Some("2026-11-25 00:00:01")),
            // Not our day, not paid: never "missing".
            order("P3", OrderStatus::Success, 300, Some("2026-11-24 12:00:00")),
            order("P4", OrderStatus::Closed, 300, None),
        ],
        vec![book_refund("R9", "P3", 100, RefundStatus::Success, "2026-11-25 08:00:00")],
    );
    let adj = Adjacent { payments: ["P1".to_string(), "P0".to_string()].into_iter().collect(), refunds: HashSet::default(), missing: vec![] };
    let o = run(&[], &b, &adj);
    assert_eq!(kinds(&o), vec![(K::MissingAtChannel, "P2".into()), (K::MissingAtChannel, "R9".into())]);
    assert_eq!(o.summary.crossed_day, 2, "P1 on the next day's statement, P0 on the previous");
    assert_eq!(o.summary.matched, 2);
    let d = &o.discrepancies[0];
    assert_eq!((d.book.as_ref().unwrap().status.as_deref(), d.book.as_ref().unwrap().amount), (Some("success"), Some(200)));
    assert!(d.channel.is_none());
}

#[test]
fn a_payment_of_the_previous_evening_on_todays_statement_matches() {
    // Paid 23:59:58 on the 24th in our book, booked by the channel on the 25th.
    let rows = vec![pay("P1", 100, 1, "2026-11-25 00:00:02")];
    let b = book(vec![order("P1", OrderStatus::Success, 100, Some("2026-11-24 23:59:58"))], vec![]);
    let o = run(&rows, &b, &Adjacent::default());
    assert!(o.discrepancies.is_empty());
    assert_eq!(o.summary.book_payments, 0, "not a payment of our day 25");
}

#[test]
fn amount_status_fee_and_refund_differences() {
    let rows = vec![
        pay("PA", 1_001, 6, "2026-11-25 10:00:00"),
        pay("PS", 2_000, 12, "2026-11-25 10:00:01"),
        pay("PF", 10_000, 38, "2026-11-25 10:00:02"),
        refund("PR", "RR", 400, -2, "2026-11-25 10:00:03"),
        refund("PR", "RQ", 100, -1, "2026-11-25 10:00:04"),
        refund("PR", "RF", 1_000, 0, "2026-11-25 10:00:05"),
    ];
    let b = book(
        vec![
            order("PA", OrderStatus::Success, 1_000, Some("2026-11-25 10:00:00")),
            order("PS", OrderStatus::Closed, 2_000, None),
            order("PF", OrderStatus::Success, 10_000, Some("2026-11-25 10:00:02")),
            order("PR", OrderStatus::Success, 5_000, Some("2026-11-24 10:00:00")),
        ],
        vec![
            book_refund("RR", "PR", 500, RefundStatus::Success, "2026-11-25 10:00:03"),
            book_refund("RQ", "PR", 100, RefundStatus::Processing, "2026-11-25 10:00:04"),
            book_refund("RF", "PR", 1_000, RefundStatus::Success, "2026-11-25 10:00:05"),
        ],
    );
    let o = run(&rows, &b, &Adjacent::default());
    assert_eq!(
        kinds(&o),
        vec![(K::AmountDiffers, "PA".into()), (K::StatusDiffers, "PS".into()), (K::FeeDiffers, "PF".into()), (K::RefundDiffers, "RR".into()), (K::StatusDiffers, "RQ".into()), (K::FeeDiffers, "RF".into())]
    );
    let a = &o.discrepancies[0];
    assert_eq!((a.book.as_ref().unwrap().amount, a.channel.as_ref().unwrap().amount), (Some(1_000), Some(1_001)));
    let s = &o.discrepancies[1];
    assert_eq!(s.book.as_ref().unwrap().status.as_deref(), Some("closed"));
    assert!(s.detail.contains("20.00") && s.detail.contains("closed"), "{}", s.detail);
    assert_eq!(o.discrepancies[2].detail, "expected fee 0.60 at 60 bp, the channel charged 0.38");
    assert_eq!(o.summary.mismatched, 6);
    assert!(o.matched.is_empty());
}

#[test]
fn duplicates_on_the_statement() {
    let px = ours('P', 9);
    let rows = vec![pay("P1", 100, 1, "2026-11-25 10:00:00"), pay("P1", 100, 1, "2026-11-25 10:00:00"), refund("P1", "R1", 50, 0, "2026-11-25 11:00:00"), refund("P1", "R1", 50, 0, "2026-11-25 11:00:00"), pay(&px, 1, 0, "2026-11-25 12:00:00"), pay(&px, 1, 0, "2026-11-25 12:00:00")];
    let b = book(vec![order("P1", OrderStatus::Success, 100, Some("2026-11-25 10:00:00"))], vec![book_refund("R1", "P1", 50, RefundStatus::Success, "2026-11-25 11:00:00")]);
    let o = run(&rows, &b, &Adjacent::default());
    assert_eq!(kinds(&o), vec![(K::Duplicate, "P1".into()), (K::Duplicate, "R1".into()), (K::MissingInBook, px.clone()), (K::Duplicate, px)]);
    assert_eq!(o.matched, vec![0, 2]);
}

#[test]
fn lines_paydesk_never_created_are_external_until_accepted() {
    // A sticker payment without merchant number, one with another system's number, a refund of
    // the first made in the channel's app, and an unknown line that is Paydesk's.
    let mut sticker = pay("", 1_800, 11, "2026-11-25 09:00:00");
    sticker.channel_trade_no = "2026112522000000000000000001".into();
    let mut other = pay("POS-778812", 2_500, 15, "2026-11-25 09:30:00");
    other.channel_trade_no = "2026112522000000000000000002".into();
    let mut app_refund = refund("", "", 800, -5, "2026-11-25 15:00:00");
    app_refund.channel_trade_no = sticker.channel_trade_no.clone();
    app_refund.refund_no = None;
    let unknown_ours = pay(&ours('P', 1), 100, 1, "2026-11-25 10:00:00");
    let twice = other.clone();
    let rows = vec![sticker.clone(), other.clone(), app_refund.clone(), unknown_ours, twice];
    let o = run(&rows, &book(vec![], vec![]), &Adjacent::default());
    assert_eq!(
        o.discrepancies.iter().map(|d| (d.kind, d.line, d.reason.code.as_str())).collect::<Vec<_>>(),
        vec![
            (K::External, StatementKind::Payment, "external_payment"),
            (K::External, StatementKind::Payment, "external_payment"),
            (K::External, StatementKind::Refund, "external_refund"),
            (K::MissingInBook, StatementKind::Payment, "unknown_payment"),
            (K::Duplicate, StatementKind::Payment, "listed_twice"),
        ]
    );
    let ext = o.summary.kinds.iter().find(|k| k.kind == "external").unwrap();
    assert_eq!((ext.count, ext.amount), (3, 1_800 + 2_500 + 800));
    assert_eq!(o.discrepancies[0].channel.as_ref().unwrap().trade_no.as_deref(), Some("2026112522000000000000000001"));

    // Accepted: the book holds them under the derived numbers, and they match there.
    let (no1, no2) = (super::external::order_no(&sticker.channel_trade_no), super::external::order_no(&other.channel_trade_no));
    let rno = super::external::refund_no(&app_refund.as_line());
    let mut o1 = order(&no1, OrderStatus::Success, 1_800, Some("2026-11-25 09:00:00"));
    o1.1.refunded = 800;
    let b = book(vec![o1, order(&no2, OrderStatus::Success, 2_500, Some("2026-11-25 09:30:00"))], vec![book_refund(&rno, &no1, 800, RefundStatus::Success, "2026-11-25 15:00:00")]);
    let o = run(&rows[..3], &b, &Adjacent::default());
    assert!(o.discrepancies.is_empty(), "{:?}", o.discrepancies);
    assert_eq!(o.matched, vec![0, 1, 2]);
}

#[test]
fn reversals_match_closed_orders_and_flag_paid_ones() {
    let mut revoked = pay("P1", 100, 0, "2026-11-25 10:00:00");
    revoked.status = "REVOKED".into();
    let mut reversed_paid = pay("P2", 100, 0, "2026-11-25 10:00:00");
    reversed_paid.status = "REVOKED".into();
    let mut alipay_cancel = refund("P3", "x", 100, 0, "2026-11-25 10:00:00");
    alipay_cancel.refund_no = None;
    let b = book(
        vec![order("P1", OrderStatus::Closed, 100, None), order("P2", OrderStatus::Success, 100, Some("2026-11-25 10:00:00")), order("P3", OrderStatus::Closed, 100, None)],
        vec![],
    );
    let o = run(&[revoked, reversed_paid, alipay_cancel], &b, &Adjacent::default());
    assert_eq!(kinds(&o), vec![(K::StatusDiffers, "P2".into())]);
    assert_eq!(o.matched, vec![0, 2]);
}

#[test]
fn a_revoke_is_matched_by_the_reversal_line_and_missed_without_one() {
    let revoked = |no: &str, order: &str| BookRefund { revoke: true, ..book_refund(no, order, 100, RefundStatus::Success, "2026-11-25 15:00:00") };
    let mut wechat = pay("P1", 100, 0, "2026-11-25 10:00:00");
    wechat.status = "REVOKED".into();
    let mut unionpay = refund("P2", "x", 100, 0, "2026-11-25 15:00:00");
    unionpay.refund_no = None;
    // P3's revoke is in the book, but the channel kept the payment.
    let kept = pay("P3", 100, 1, "2026-11-25 11:00:00");
    let mut orders = vec![];
    for no in ["P1", "P2", "P3"] {
        let mut o = order(no, OrderStatus::Refunded, 100, Some("2026-11-25 10:00:00"));
        o.1.refunded = 100;
        orders.push(o);
    }
    let b = book(orders, vec![revoked("R1", "P1"), revoked("R2", "P2"), revoked("R3", "P3")]);
    let p2 = pay("P2", 100, 1, "2026-11-25 10:00:00");
    let o = run(&[wechat, p2, unionpay, kept], &b, &Adjacent::default());
    assert_eq!(kinds(&o), vec![(K::MissingAtChannel, "R3".into())]);
    assert_eq!(o.discrepancies[0].order_no, "P3");
    assert_eq!(o.matched, vec![0, 1, 2, 3]);
}

#[test]
fn declared_totals_are_checked() {
    let rows = vec![pay("P1", 100, 1, "2026-11-25 10:00:00")];
    let b = book(vec![order("P1", OrderStatus::Success, 100, Some("2026-11-25 10:00:00"))], vec![]);
    let adj = Adjacent::default();
    let good = StatementTotals { payments: Some(1), payment_amount: Some(100), fees: Some(1), ..Default::default() };
    let rows = StatementLines::from(rows);
    let input = MatchInput { day: DAY.parse().unwrap(), fee_rate_bp: 60, rows: &rows, declared: &good, book: &b, adjacent: &adj };
    assert_eq!(match_day(&input).summary.declared_ok, Some(true));
    b.orders["P1"].seen.set(false);
    let bad = StatementTotals { payment_amount: Some(101), ..good };
    let input = MatchInput { declared: &bad, ..input };
    assert_eq!(match_day(&input).summary.declared_ok, Some(false));
}

#[test]
fn book_orders_keep_numbers_in_one_arena() {
    let mut b = BookOrders::default();
    b.reserve(4);
    let (p1, o1) = order("P1", OrderStatus::Success, 100, None);
    b.insert(&p1, o1);
    b.insert("P22", order("P22", OrderStatus::Closed, 200, None).1);
    assert_eq!((b.len(), b.get("P1").map(|o| o.amount), b.get("P22").map(|o| o.amount)), (2, Some(100), Some(200)));
    assert!(b.get("P2").is_none() && b.get("P").is_none() && !b.contains_key("P222"));
    // The same number again replaces its entry.
    b.insert("P1", order("P1", OrderStatus::Refunded, 100, None).1);
    assert_eq!((b.len(), b["P1"].status), (2, OrderStatus::Refunded));
    let names: Vec<&str> = b.iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["P1", "P22"]);
    assert_eq!(b.values().map(|o| o.amount).sum::<i64>(), 300);
}

#[test]
fn book_orders_are_found_in_any_order_of_look_up() {
    let mut b = BookOrders::default();
    let nos: Vec<String> = (0..200).map(|i| format!("P{i:05}")).collect();
    for (i, no) in nos.iter().enumerate() {
        b.insert(no, order(no, OrderStatus::Success, 100 + i as i64, None).1);
    }
    let amount = |no: &str| b.get(no).map(|o| o.amount);
    // In the order of the book (the cursor's case), backwards, skipping ahead, and shuffled.
    let forward: Vec<usize> = (0..200).collect();
    let backward: Vec<usize> = (0..200).rev().collect();
    let jumps: Vec<usize> = (0..200).step_by(7).chain((3..200).step_by(11)).collect();
    let shuffled: Vec<usize> = (0..200).map(|i| (i * 73 + 19) % 200).collect();
    for pass in [forward, backward, jumps, shuffled] {
        for i in pass {
            assert_eq!(amount(&nos[i]), Some(100 + i as i64), "{}", nos[i]);
            // A number just after a hit that is not in the book is not found.
            assert_eq!(amount(&format!("{}x", nos[i])), None);
        }
    }
    assert_eq!(amount("P00200"), None);
}

#[test]
fn book_orders_added_in_bulk_are_found_and_numbers_added_twice_merge() {
    let mut b = BookOrders::default();
    b.insert("P-old", order("P-old", OrderStatus::Success, 1, None).1);
    let nos: Vec<String> = (0..5000).map(|i| format!("P{i:06}")).collect();
    let mut bulk = b.bulk(nos.len() + 2);
    for (i, no) in nos.iter().enumerate() {
        bulk.push(no, order(no, OrderStatus::Success, 100 + i as i64, None).1);
    }
    // The same number again in bulk, and one the book already had: the later values win, the
    // first place stays.
    bulk.push("P000007", order("P000007", OrderStatus::Refunded, 7, None).1);
    bulk.push("P-old", order("P-old", OrderStatus::Closed, 2, None).1);
    assert_eq!(bulk.len(), 5002);
    bulk.finish();
    assert_eq!(b.len(), 5001);
    for (i, no) in nos.iter().enumerate().rev() {
        let want = if i == 7 { 7 } else { 100 + i as i64 };
        assert_eq!(b.get(no).map(|o| o.amount), Some(want), "{no}");
    }
    assert_eq!((b["P000007"].status, b["P-old"].status, b["P-old"].amount), (OrderStatus::Refunded, OrderStatus::Closed, 2));
    let names: Vec<&str> = b.iter().map(|(n, _)| n).take(3).collect();
    assert_eq!(names, vec!["P-old", "P000000", "P000001"]);
    assert!(b.get("P005000").is_none());
    // A bulk dropped without finish is indexed all the same.
    {
        let mut more = b.bulk(1);
        more.push("P-late", order("P-late", OrderStatus::Success, 3, None).1);
    }
    assert_eq!(b.get("P-late").map(|o| o.amount), Some(3));
}
