//! The owner's same-day revoke: written first, followed by querying the order (never by a refund
//! query), resent only while the channel still reports the payment kept — one return of money.

use super::*;
use crate::order::{OrderStatus, RefundKind, RefundStatus};
use crate::payments::{PayError, RevokeInput};
use crate::routing::simulation::gateway::{Fault, TradeAt};
use crate::store::Outcome as Audited;

fn owner() -> crate::Principal {
    crate::Principal::user("李老板", crate::auth::Role::Owner)
}

fn revoke_of(no: &crate::OrderNo) -> RevokeInput {
    RevokeInput { order_no: no.clone(), reason: Some("顾客取消".into()), operator: None }
}

async fn paid(h: &H, key: &str) -> crate::Order {
    let o = h.p.barcode_pay(code("9.00", key, '1'), &wang()).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    o
}

#[tokio::test(start_paused = true)]
async fn a_revoke_returns_the_whole_payment_once() {
    let h = two();
    let o = paid(&h, "r1").await;
    let r = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap();
    assert_eq!((r.kind, r.status, r.amount), (RefundKind::Revoke, RefundStatus::Success, o.amount));
    assert_eq!(h.gw.trade(&o.account, o.order_no.as_str()), Some(TradeAt::Reversed));
    let after = h.p.store().order(&o.order_no).unwrap();
    assert_eq!((after.status, after.refunded), (OrderStatus::Refunded, o.amount));
    // A second revoke (or a refund) finds nothing left to return.
    let again = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap_err();
    assert!(matches!(again, PayError::Conflict(_)), "{again}");
    let audit = h.p.store().audit_find("revoke", Some(o.order_no.as_str()), None, None, 10).unwrap();
    assert_eq!(audit.iter().map(|a| a.outcome).collect::<Vec<_>>(), [Audited::Denied, Audited::Ok]);
    // The order's query afterwards agrees with the book: a closed trade, nothing to note.
    let q = h.p.query(&o.order_no, crate::EventSource::Poll).await.unwrap();
    assert_eq!(q.status, OrderStatus::Refunded);
}

#[tokio::test(start_paused = true)]
async fn an_unclear_revoke_is_settled_by_querying_the_order() {
    let h = two();
    let o = paid(&h, "r2").await;
    // The cancel reached the channel and returned the money, but its answer was lost.
    h.gw.script(&o.account, "cancel", [Fault::Timeout { processed: true }]);
    let r = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap();
    assert_eq!(r.status, RefundStatus::Success, "the order's query shows it closed");
    assert_eq!(h.p.store().order(&o.order_no).unwrap().status, OrderStatus::Refunded);
}

#[tokio::test(start_paused = true)]
async fn a_revoke_that_never_arrived_is_sent_again_by_recovery() {
    let h = two();
    let o = paid(&h, "r3").await;
    // Lost on the way, and the check right after fails too: the revoke stays in flight.
    h.gw.script(&o.account, "cancel", [Fault::Timeout { processed: false }]);
    h.gw.script(&o.account, "query", [Fault::Timeout { processed: false }]);
    let r = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap();
    assert_eq!(r.status, RefundStatus::Processing);
    assert!(h.gw.charged(&o.account, o.order_no.as_str()), "nothing returned yet");
    // Recovery finds it among the refunds in flight.
    assert!(h.p.store().open_refunds().unwrap().iter().any(|x| x.refund_no == r.refund_no));
    // Recovery: the channel still reports the payment kept, so the same cancel goes again.
    let done = h.p.follow_refund(&r.refund_no, crate::EventSource::Poll).await.unwrap();
    assert_eq!(done.status, RefundStatus::Success);
    assert_eq!(h.gw.trade(&o.account, o.order_no.as_str()), Some(TradeAt::Reversed));
    assert_eq!(h.p.store().order(&o.order_no).unwrap().refunded, o.amount, "returned once");
}

#[tokio::test(start_paused = true)]
async fn a_refused_revoke_fails_and_keeps_the_sale() {
    let h = two();
    let o = paid(&h, "r4").await;
    h.gw.script(&o.account, "cancel", [Fault::Rejected]);
    let r = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap();
    assert_eq!(r.status, RefundStatus::Failed);
    assert!(r.failure_message.as_deref().unwrap_or("").contains("AMOUNT_LIMIT"), "{:?}", r.failure_message);
    let after = h.p.store().order(&o.order_no).unwrap();
    assert_eq!((after.status, after.refunded.fen()), (OrderStatus::Success, 0));
}

#[tokio::test(start_paused = true)]
async fn only_today_and_only_what_can_be_revoked() {
    let h = two();
    let o = paid(&h, "r5").await;
    let unknown: crate::OrderNo = "P20260101000000000T1999".parse().unwrap();
    assert!(matches!(h.p.revoke(revoke_of(&unknown), &owner()).await, Err(PayError::NotFound(_))));
    // The next day (Beijing time) it is a refund's job.
    h.clock.advance(chrono::Duration::hours(12));
    let e = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap_err();
    assert!(matches!(&e, PayError::Invalid { field: "order", message } if message.contains("day of the payment")), "{e}");
    assert!(h.p.store().refunds_of(&o.order_no).unwrap().is_empty(), "nothing written");
    assert_eq!(h.gw.trade(&o.account, o.order_no.as_str()), Some(TradeAt::Paid));
}

#[tokio::test(start_paused = true)]
async fn a_qr_payment_is_revoked_only_where_the_channel_can() {
    let h = two();
    // The fake gateway's cancel undoes payment-code orders only (as WeChat Pay's reverse does).
    let o = h.p.create_qr(qr("7.00", "rq"), &wang()).await.unwrap();
    assert!(h.gw.customer_pays(&o.account, o.order_no.as_str()));
    let o = h.p.query(&o.order_no, crate::EventSource::Poll).await.unwrap();
    assert_eq!(o.status, OrderStatus::Success);
    let e = h.p.revoke(revoke_of(&o.order_no), &owner()).await.unwrap_err();
    assert!(matches!(&e, PayError::Invalid { field: "order", message } if message.contains("refund it instead")), "{e}");
    assert!(h.p.store().refunds_of(&o.order_no).unwrap().is_empty(), "nothing written");
}

#[tokio::test(start_paused = true)]
async fn the_same_key_is_the_same_revoke() {
    let h = two();
    let o = paid(&h, "r6").await;
    let a = h.p.revoke_with_key(revoke_of(&o.order_no), Some("k-revoke".into()), &owner()).await.unwrap();
    let b = h.p.revoke_with_key(revoke_of(&o.order_no), Some("k-revoke".into()), &owner()).await.unwrap();
    assert_eq!(a.refund_no, b.refund_no);
    assert_eq!(h.p.store().refunds_of(&o.order_no).unwrap().len(), 1);
}
