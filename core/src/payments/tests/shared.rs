//! Two payments services on one book, as the app or `paydesk serve` beside CLI commands: every
//! order gets its own number, whatever the clock says (refund numbers share the counter:
//! `store::numbers`' tests).

use super::*;
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
