//! Two payments services on one book, as the app or `paydesk serve` beside CLI commands: every
//! order gets its own number, whatever the clock says (refund numbers share the counter:
//! `store::numbers`' tests), and one idempotency key is one sale for every caller.

use super::*;
use crate::clock::Clock;
use crate::order::OrderStatus;
use crate::Principal;

/// A second service on the same book file (its own connection, as another process has) with
/// the same clock time.
fn beside(h: &H) -> Payments {
    let store = Arc::new(Store::open(h.p.store().path()).unwrap());
    let gw = h.gw.clone();
    Payments::new(store, h.p.settings().clone(), Arc::new(move |a: &AccountConfig| Ok(gw.channel(&a.name)))).unwrap().with_clock(h.clock.clone())
}

#[tokio::test(start_paused = true)]
async fn two_services_at_the_same_instant_issue_distinct_numbers() {
    let h = two();
    let other = beside(&h);
    let mut numbers = std::collections::HashSet::new();
    for i in 0..20 {
        // The same millisecond on both: each number is reserved in the book, so none repeats.
        let a = h.p.create_qr(qr("1.00", &format!("a{i}")), &Principal::System).await.unwrap();
        let b = other.create_qr(qr("1.00", &format!("b{i}")), &Principal::System).await.unwrap();
        assert_eq!((a.status, b.status), (OrderStatus::Processing, OrderStatus::Processing));
        assert!(numbers.insert(a.order_no) && numbers.insert(b.order_no));
    }
    // Barcode attempts take theirs from the same counter.
    let a = h.p.barcode_pay(code("3.00", "c", '1'), &Principal::System).await.unwrap();
    let b = other.barcode_pay(code("3.00", "d", '1'), &Principal::System).await.unwrap();
    assert!(numbers.insert(a.order_no) && numbers.insert(b.order_no));
}

#[tokio::test(start_paused = true)]
async fn the_same_key_at_once_is_one_sale_for_both_callers() {
    let h = two();
    let other = beside(&h);
    let (a, b) = tokio::join!(h.p.create_qr(qr("5.00", "sale-7"), &Principal::System), other.create_qr(qr("5.00", "sale-7"), &Principal::System));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.order_no, b.order_no, "one order for both");
    assert!(a.qr_code.is_some() && b.qr_code.is_some(), "both can show its code");
    let (a, b) = tokio::join!(h.p.barcode_pay(code("3.00", "sale-8", '1'), &Principal::System), other.barcode_pay(code("3.00", "sale-8", '1'), &Principal::System));
    assert_eq!(a.unwrap().order_no, b.unwrap().order_no);
    assert_eq!(h.p.store().list_orders(&Default::default()).unwrap().len(), 2, "one order per key");
}

#[tokio::test(start_paused = true)]
async fn a_qr_left_without_a_code_by_a_crash_is_taken_over_with_the_same_key() {
    let h = two();
    // A process wrote the order and died before the channel answered: pending, no code.
    let stale = h.p.attempt_order(crate::order::PayKind::Qr, Method::Sandbox, &h.p.store().account("steady").unwrap(), yuan("8.00"), "Paydesk", (None, &Principal::System), Some("sale-9"), None, Duration::from_secs(300), None).unwrap();
    let decision = crate::routing::RouteDecision { at: stale.created_at, method: Method::Sandbox, kind: crate::order::PayKind::Qr, mode: crate::routing::RouteMode::Named, channel_filter: None, fallback: false, candidates: vec![], skipped: vec![], attempts: vec![] };
    let stale = h.p.store().insert_routed_order(&stale, &decision).unwrap();
    h.clock.advance(chrono::Duration::seconds(60));
    // The POS asks again with the same key: it gets a payment it can show.
    let o = h.p.create_qr(qr("8.00", "sale-9"), &Principal::System).await.unwrap();
    assert_ne!(o.order_no, stale.order_no);
    assert!(o.qr_code.is_some() && o.status == OrderStatus::Processing, "{o:?}");
    assert!(o.expires_at > h.clock.now());
    // The abandoned one gave up the key and is due for closing at its channel.
    let old = h.p.store().order(&stale.order_no).unwrap();
    assert_eq!(old.idempotency_key, None);
    assert!(old.expires_at <= h.clock.now());
    // The key now finds the new order, at once.
    assert_eq!(h.p.create_qr(qr("8.00", "sale-9"), &Principal::System).await.unwrap().order_no, o.order_no);
}
