//! Barcode fallback only when the first attempt is proven not charged — and never a double
//! charge, whatever fails where.

use super::*;
use crate::order::OrderStatus;
use crate::routing::simulation::gateway::{Fault, TradeAt};

#[tokio::test(start_paused = true)]
async fn not_sent_falls_over_to_one_charge() {
    let h = two();
    h.gw.script("flaky", "barcode_pay", [Fault::Unreachable]);
    let o = h.p.barcode_pay(code("9.00", "b1", '1'), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("steady", OrderStatus::Success));
    let d = decision(&h, &o.order_no);
    assert_eq!(attempts(&d), [("flaky".into(), "not_reached"), ("steady".into(), "accepted")]);
    assert_eq!(charges(&h, &d), 1);
    assert_eq!(h.p.store().order(&d.attempts[0].order_no).unwrap().auth_code_masked.as_deref(), Some("9900**********0001"));
}

#[tokio::test(start_paused = true)]
async fn unclear_but_charged_stays_without_trying_elsewhere() {
    let h = two();
    h.gw.script("flaky", "barcode_pay", [Fault::Timeout { processed: true }]);
    let o = h.p.barcode_pay(code("9.00", "b2", '1'), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("flaky", OrderStatus::Success), "the query found it paid");
    assert_eq!(attempts(&decision(&h, &o.order_no)), [("flaky".into(), "accepted")]);
    assert_eq!(h.gw.requests("steady"), 0, "never sent elsewhere");
}

#[tokio::test(start_paused = true)]
async fn unclear_and_proven_uncharged_by_cancel_falls_over() {
    let h = two();
    h.gw.script("flaky", "barcode_pay", [Fault::Unavailable { processed: false }]);
    let o = h.p.barcode_pay(code("9.00", "b3", '1'), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("steady", OrderStatus::Success));
    let d = decision(&h, &o.order_no);
    assert_eq!(attempts(&d), [("flaky".into(), "uncharged"), ("steady".into(), "accepted")]);
    let first = &d.attempts[0];
    assert_eq!(h.gw.trade("flaky", first.order_no.as_str()), Some(TradeAt::Closed), "cancelled so a late request cannot charge");
    assert_eq!(h.p.store().order(&first.order_no).unwrap().status, OrderStatus::Closed);
    assert_eq!(charges(&h, &d), 1);
}

#[tokio::test(start_paused = true)]
async fn unclear_and_unprovable_stays_unresolved() {
    let h = two();
    h.gw.script("flaky", "barcode_pay", [Fault::Timeout { processed: false }]);
    h.gw.script("flaky", "query", [Fault::Timeout { processed: false }; 30]);
    h.gw.script("flaky", "cancel", [Fault::Timeout { processed: false }; 3]);
    let o = h.p.barcode_pay(code("9.00", "b4", '1'), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("flaky", OrderStatus::Processing));
    assert_eq!(attempts(&decision(&h, &o.order_no)), [("flaky".into(), "unresolved")]);
    assert_eq!(h.gw.requests("steady"), 0);
}

#[tokio::test(start_paused = true)]
async fn charged_then_reversed_is_not_retried() {
    let h = two();
    // Charged, but every query fails until the wait runs out: the cancel reverses the charge.
    h.gw.script("flaky", "barcode_pay", [Fault::Unavailable { processed: true }]);
    h.gw.script("flaky", "query", [Fault::Unreachable; 30]);
    let o = h.p.barcode_pay(code("9.00", "b5", '1'), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("flaky", OrderStatus::Closed));
    assert_eq!(h.gw.trade("flaky", o.order_no.as_str()), Some(TradeAt::Reversed));
    assert_eq!(attempts(&decision(&h, &o.order_no)), [("flaky".into(), "refused")]);
    assert_eq!(h.gw.requests("steady"), 0, "the payer saw a charge and its reversal: the cashier decides, not the router");
}

#[tokio::test(start_paused = true)]
async fn payer_refusal_is_not_an_account_failure() {
    let h = two();
    for i in 0..5 {
        let o = h.p.barcode_pay(code("9.00", &format!("d{i}"), '7'), &wang()).await.unwrap();
        assert_eq!((o.account.as_str(), o.status), ("flaky", OrderStatus::Failed));
    }
    assert_eq!(h.gw.requests("steady"), 0);
    let health = h.p.account_health().into_iter().find(|a| a.account == "flaky").unwrap().health;
    assert_eq!((health.calls, health.failures, health.state), (5, 0, crate::routing::BreakerState::Closed));
}

/// Every combination of what can fail on the first account: the payer is charged at most once,
/// the sale ends paid exactly when one charge stands, and every charge is booked.
#[tokio::test(start_paused = true)]
async fn never_charged_twice() {
    let first = [
        Fault::Unreachable,
        Fault::RateLimited,
        Fault::Rejected,
        Fault::Timeout { processed: true },
        Fault::Timeout { processed: false },
        Fault::Unavailable { processed: true },
        Fault::Unavailable { processed: false },
    ];
    let mut cases = 0;
    for pay in first {
        for query_fails in [0usize, 1, 30] {
            for cancel_fails in [0usize, 1, 3] {
                for payer in ['1', '5'] {
                    let h = two();
                    h.gw.script("flaky", "barcode_pay", [pay]);
                    h.gw.script("flaky", "query", vec![Fault::Unreachable; query_fails]);
                    h.gw.script("flaky", "cancel", vec![Fault::Timeout { processed: false }; cancel_fails]);
                    let o = h.p.barcode_pay(code("3.00", "x", payer), &wang()).await.unwrap();
                    let d = decision(&h, &o.order_no);
                    let n = charges(&h, &d);
                    let case = format!("{pay:?} query×{query_fails} cancel×{cancel_fails} payer {payer}: {o:?} {:?}", attempts(&d));
                    assert!(n <= 1, "charged twice: {case}");
                    if o.status == OrderStatus::Success {
                        assert_eq!(n, 1, "{case}");
                        assert!(h.gw.charged(&o.account, o.order_no.as_str()), "{case}");
                    }
                    for a in &d.attempts {
                        let booked = h.p.store().order(&a.order_no).unwrap().status;
                        if h.gw.charged(&a.account, a.order_no.as_str()) {
                            assert!(matches!(booked, OrderStatus::Success | OrderStatus::Processing), "a charge must be booked or still followed: {case}");
                        }
                        if booked == OrderStatus::Success {
                            assert!(h.gw.charged(&a.account, a.order_no.as_str()), "booked paid without a charge: {case}");
                        }
                    }
                    if d.attempts.len() > 1 {
                        assert!(d.attempts[0].outcome.falls_over(), "moved on only after proof: {case}");
                    }
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 126);
}
