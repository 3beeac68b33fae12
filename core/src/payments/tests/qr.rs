//! QR fallback: not reached and unclear creations move to the next account; the sale ends on the
//! order whose code is shown; abandoned attempts are closed at their channel.

use super::*;
use crate::clock::Clock;
use crate::order::{EventSource, OrderStatus};
use crate::routing::simulation::gateway::{Fault, TradeAt};
use crate::routing::{Note, Skip};

#[tokio::test(start_paused = true)]
async fn not_reached_falls_over_and_the_key_moves() {
    let h = two();
    h.gw.script("flaky", "create_qr", [Fault::Unreachable]);
    let o = h.p.create_qr(qr("12.34", "sale-1"), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("steady", OrderStatus::Processing));
    assert!(o.qr_code.is_some());
    let d = decision(&h, &o.order_no);
    assert_eq!(attempts(&d), [("flaky".into(), "not_reached"), ("steady".into(), "accepted")]);
    let first = h.p.store().order(&d.attempts[0].order_no).unwrap();
    assert_eq!((first.status, first.idempotency_key.as_deref()), (OrderStatus::Failed, None));
    assert_eq!(first.failure_code.as_deref(), Some("unreachable"));
    assert_eq!(h.p.store().route(&first.order_no).unwrap().unwrap(), d, "both orders show the whole chain");
    // The sale's key now finds the order the customer sees; a retry returns it.
    assert_eq!(h.p.create_qr(qr("12.34", "sale-1"), &wang()).await.unwrap().order_no, o.order_no);
    assert_eq!(h.gw.trade("flaky", first.order_no.as_str()), None, "nothing was created at the failing account");
    assert_eq!(o.fee.fen(), 5, "the fee is the account's that takes the payment");
}

#[tokio::test(start_paused = true)]
async fn unclear_creation_is_abandoned_closed_and_never_payable() {
    let h = two();
    h.gw.script("flaky", "create_qr", [Fault::Timeout { processed: true }]);
    let o = h.p.create_qr(qr("5.00", "sale-2"), &wang()).await.unwrap();
    assert_eq!(o.account, "steady");
    let d = decision(&h, &o.order_no);
    assert_eq!(attempts(&d), [("flaky".into(), "abandoned"), ("steady".into(), "accepted")]);
    let no = d.attempts[0].order_no.clone();
    // The failing account holds an order nobody was shown; the follower closes it at once.
    assert_eq!(h.gw.trade("flaky", no.as_str()), Some(TradeAt::Created));
    let pending = h.p.store().order(&no).unwrap();
    assert_eq!(pending.status, OrderStatus::Pending);
    assert!(pending.expires_at <= h.clock.now(), "due for closing now");
    let closed = h.p.follow_once(&no, EventSource::Poll).await.unwrap();
    assert_eq!(closed.status, OrderStatus::Closed);
    assert_eq!(h.gw.trade("flaky", no.as_str()), Some(TradeAt::Closed));
    assert!(!h.gw.customer_pays("flaky", no.as_str()), "it can never be paid");
    let events = h.p.store().order_detail(&no).unwrap().events;
    assert!(events.iter().any(|e| e.detail.contains(o.order_no.as_str())), "the abandoned order names its successor");
}

#[tokio::test(start_paused = true)]
async fn rate_limit_falls_over_but_a_refusal_does_not() {
    let h = two();
    h.gw.script("flaky", "create_qr", [Fault::RateLimited]);
    let o = h.p.create_qr(qr("1.00", "a"), &wang()).await.unwrap();
    assert_eq!(attempts(&decision(&h, &o.order_no)), [("flaky".into(), "not_reached"), ("steady".into(), "accepted")]);

    h.gw.script("flaky", "create_qr", [Fault::Rejected]);
    let o = h.p.create_qr(qr("1.00", "b"), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("flaky", OrderStatus::Failed));
    assert_eq!(attempts(&decision(&h, &o.order_no)), [("flaky".into(), "refused")]);
    assert_eq!(h.gw.requests("steady"), 1, "a definitive refusal is not retried elsewhere");
}

#[tokio::test(start_paused = true)]
async fn routing_off_tries_the_first_candidate_only() {
    let h = harness(&[("flaky", 1), ("steady", 2)], RoutingSettings::off(), Limits::default());
    h.gw.script("flaky", "create_qr", [Fault::Unreachable]);
    let o = h.p.create_qr(qr("1.00", "a"), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("flaky", OrderStatus::Failed));
    assert!(!decision(&h, &o.order_no).fallback);
    assert_eq!(h.gw.requests("steady"), 0);
    // A lone unclear attempt is closed right away; if even that fails the creation error stands.
    h.gw.script("flaky", "create_qr", [Fault::Timeout { processed: false }]);
    let o = h.p.create_qr(qr("1.00", "b"), &wang()).await.unwrap();
    assert_eq!(o.status, OrderStatus::Closed);
    h.gw.script("flaky", "create_qr", [Fault::Timeout { processed: false }]);
    h.gw.script("flaky", "query", [Fault::Unreachable]);
    let e = h.p.create_qr(qr("1.00", "c"), &wang()).await.unwrap_err();
    assert_eq!(e.code(), "timeout");
}

#[tokio::test(start_paused = true)]
async fn every_candidate_failing_ends_on_the_last_attempt() {
    let h = two();
    h.gw.script("flaky", "create_qr", [Fault::Unreachable]);
    h.gw.script("steady", "create_qr", [Fault::Unreachable]);
    let o = h.p.create_qr(qr("1.00", "a"), &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("steady", OrderStatus::Failed));
    assert_eq!(h.p.store().order_by_idempotency_key("a").unwrap().unwrap().order_no, o.order_no);
}

#[tokio::test(start_paused = true)]
async fn breaker_opens_skips_then_probes_back() {
    let h = two();
    h.gw.script("flaky", "create_qr", [Fault::Unreachable; 3]);
    for i in 0..3 {
        assert_eq!(h.p.create_qr(qr("1.00", &format!("s{i}")), &wang()).await.unwrap().account, "steady");
    }
    // Open: skipped with the reason, nothing sent to it.
    let before = h.gw.requests("flaky");
    let o = h.p.create_qr(qr("1.00", "s3"), &wang()).await.unwrap();
    let d = decision(&h, &o.order_no);
    assert_eq!(attempts(&d), [("steady".into(), "accepted")]);
    assert!(matches!(d.skipped[0].reason, Skip::CircuitOpen { .. }) && d.skipped[0].account == "flaky");
    assert_eq!(h.gw.requests("flaky"), before);
    // After the cool-down the next payment probes it; it works, so the breaker closes.
    h.clock.advance(chrono::Duration::seconds(31));
    let o = h.p.create_qr(qr("1.00", "s4"), &wang()).await.unwrap();
    assert_eq!(o.account, "flaky");
    let d = decision(&h, &o.order_no);
    assert_eq!(d.candidates[0].note, Some(Note::Probe));
    assert_eq!(h.p.account_health().iter().find(|a| a.account == "flaky").unwrap().health.state, crate::routing::BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn named_account_has_no_alternatives() {
    let h = two();
    h.gw.script("steady", "create_qr", [Fault::Unreachable]);
    let o = h.p.create_qr(QrInput { account: Some("steady".into()), ..qr("1.00", "n") }, &wang()).await.unwrap();
    assert_eq!((o.account.as_str(), o.status), ("steady", OrderStatus::Failed));
    let d = decision(&h, &o.order_no);
    assert_eq!((d.mode, d.candidates.len()), (crate::routing::RouteMode::Named, 1));
}

#[tokio::test(start_paused = true)]
async fn the_common_events_carry_a_code_with_their_values() {
    let h = two();
    let o = h.p.create_qr(qr("12.34", "coded"), &wang()).await.unwrap();
    assert!(h.gw.customer_pays(&o.account, o.order_no.as_str()));
    let paid = h.p.follow_once(&o.order_no, EventSource::Poll).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Success);
    let events = h.p.store().order_detail(&o.order_no).unwrap().events;
    let codes: Vec<&str> = events.iter().filter_map(|e| e.reason.as_ref().map(|r| r.code.as_str())).collect();
    assert_eq!(codes, ["created", "qr_issued", "paid"], "{events:#?}");
    let created = events[0].reason.as_ref().unwrap();
    let arg = |k: &str| created.args.get(k).map(String::as_str);
    assert_eq!((arg("method"), arg("kind"), arg("amount"), arg("account")), (Some("sandbox"), Some("qr"), Some("12.34"), Some(o.account.as_str())));
    // The English sentence stays for logs, the CLI and the API.
    assert_eq!(events[1].detail, "QR code issued");
}

#[tokio::test(start_paused = true)]
async fn control_and_bidi_characters_are_refused_naming_the_field() {
    let h = two();
    let before = h.p.store().list_orders(&Default::default()).unwrap().len();
    let e = h.p.create_qr(QrInput { subject: Some("拿铁\u{202E}exe.txt".into()), ..qr("1.00", "t1") }, &wang()).await.unwrap_err();
    assert_eq!((e.code(), e.to_string().starts_with("subject: contains a bidirectional")), ("invalid", true), "{e}");
    let e = h.p.create_qr(QrInput { operator: Some("王芳\n=cmd|' /C calc'!A0".into()), ..qr("1.00", "t2") }, &wang()).await.unwrap_err();
    assert!(e.to_string().starts_with("operator: contains a control character (U+000A)"), "{e}");
    let e = h.p.barcode_pay(BarcodeInput { subject: Some("\u{1b}[2Jpaid".into()), ..code("1.00", "t3", '1') }, &wang()).await.unwrap_err();
    assert!(e.to_string().starts_with("subject:"), "{e}");
    assert_eq!(h.p.store().list_orders(&Default::default()).unwrap().len(), before, "nothing written");
    // Plain text passes, trimmed.
    let o = h.p.create_qr(QrInput { subject: Some("  拿铁 大杯 ".into()), ..qr("1.00", "t4") }, &wang()).await.unwrap();
    assert_eq!((o.subject.as_str(), o.operator.as_deref()), ("拿铁 大杯", Some("王芳")));
}
