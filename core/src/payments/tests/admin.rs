//! Daily limits, run-time account changes with their audit, hot reload, recorded decisions.

use super::*;
use crate::order::OrderStatus;
use crate::payments::{AccountPatch, PayError};
use crate::Principal;
use crate::routing::limits::DailyLimit;

#[tokio::test(start_paused = true)]
async fn cashier_and_till_limits_refuse_before_writing() {
    let limits = Limits { cashier: DailyLimit { count: Some(2), amount: None }, till: DailyLimit { count: None, amount: Some(yuan("100.00")) }, ..Limits::default() };
    let h = harness(&[("steady", 1)], RoutingSettings::default(), limits);
    h.p.barcode_pay(code("10.00", "l1", '1'), &wang()).await.unwrap();
    // A declined payment took no money: it does not count.
    assert_eq!(h.p.barcode_pay(code("10.00", "l2", '7'), &wang()).await.unwrap().status, OrderStatus::Failed);
    h.p.create_qr(qr("10.00", "l3"), &wang()).await.unwrap();
    let before = h.p.store().list_orders(&Default::default()).unwrap().len();
    let e = h.p.barcode_pay(code("10.00", "l4", '1'), &wang()).await.unwrap_err();
    assert_eq!(e.code(), "limit");
    assert!(e.to_string().contains("limits.cashier.count") && e.to_string().contains("王芳"), "{e}");
    assert_eq!(h.p.store().list_orders(&Default::default()).unwrap().len(), before, "nothing written");
    let audit = &h.p.store().audit_log(1).unwrap()[0];
    assert_eq!((audit.action.as_str(), audit.actor.as_deref(), audit.outcome), ("limit_refused", Some("王芳"), crate::store::Outcome::Denied));
    // Another cashier is within their own count but the till's amount stops them.
    let lilei = Principal::user("李雷", crate::auth::Role::Cashier);
    h.p.barcode_pay(code("70.00", "l5", '1'), &lilei).await.unwrap();
    match h.p.barcode_pay(code("10.01", "l6", '1'), &lilei).await.unwrap_err() {
        PayError::Limit(l) => assert_eq!((l.setting().as_str(), l.used), ("limits.till.amount", 9000)),
        e => panic!("{e}"),
    }
    // Limits change at run time.
    h.p.set_limits(Limits::default()).unwrap();
    assert!(h.p.barcode_pay(code("10.01", "l7", '1'), &lilei).await.is_ok());
    assert!(h.p.set_limits(Limits { cashier: DailyLimit { count: Some(0), amount: None }, ..Limits::default() }).is_err());
}

#[tokio::test(start_paused = true)]
async fn an_operator_label_never_spends_a_cashiers_limit() {
    let limits = Limits { cashiers: [("王芳".to_string(), DailyLimit { count: Some(1), amount: None })].into(), ..Limits::default() };
    let h = harness(&[("steady", 1)], RoutingSettings::default(), limits);
    let pos = Principal::api_key("k1", "POS");
    // An API client labels its payments "王芳" (`code` sets that operator): they are the key's.
    for k in ["a1", "a2"] {
        let o = h.p.barcode_pay(code("5.00", k, '1'), &pos).await.unwrap();
        assert_eq!((o.operator.as_deref(), o.principal.as_ref()), (Some("王芳"), Some(&pos)));
    }
    // 王芳 herself still has her one payment of the day, and the order says it was her.
    let o = h.p.barcode_pay(code("5.00", "w1", '1'), &wang()).await.unwrap();
    assert_eq!(o.principal, Some(wang()));
    let e = h.p.barcode_pay(code("5.00", "w2", '1'), &wang()).await.unwrap_err();
    assert!(e.to_string().contains("limits.cashier.count"), "{e}");
    let created = &h.p.store().order_detail(&o.order_no).unwrap().events[0];
    assert_eq!((created.to_status, created.by.as_ref()), (Some(OrderStatus::Pending), Some(&wang())));
}

#[tokio::test(start_paused = true)]
async fn a_close_records_who_asked() {
    let h = two();
    let o = h.p.create_qr(qr("3.00", "c1"), &wang()).await.unwrap();
    let owner = Principal::user("李老板", crate::auth::Role::Owner);
    let c = h.p.close(&o.order_no, crate::order::EventSource::User, &owner).await.unwrap();
    assert_eq!(c.status, OrderStatus::Closed);
    let by: Vec<_> = h.p.store().order_detail(&o.order_no).unwrap().events.iter().filter_map(|e| e.by.clone()).collect();
    assert_eq!(by[0], wang(), "created by her");
    assert!(by.len() >= 2 && by[1..].iter().all(|p| *p == owner), "the close is the owner's: {by:?}");
}

#[tokio::test(start_paused = true)]
async fn account_changes_are_audited_and_apply_at_once() {
    let h = two();
    let owner = Principal::user("李老板", crate::auth::Role::Owner);
    let patch = AccountPatch { priority: Some(5), weight: Some(3), daily_cap: Some(Some(yuan("5000"))), ..AccountPatch::default() };
    let (a, changes) = h.p.update_account("flaky", &patch, &owner).unwrap();
    assert_eq!((a.priority, a.weight), (5, 3));
    assert_eq!(changes, ["priority 1 → 5", "weight 1 → 3", "daily_cap none → 5000.00"]);
    let e = &h.p.store().audit_log(1).unwrap()[0];
    assert_eq!((e.action.as_str(), e.actor.as_deref(), e.target.as_deref()), ("account_settings", Some("李老板"), Some("flaky")));
    assert_eq!(e.detail, "priority 1 → 5; weight 1 → 3; daily_cap none → 5000.00");
    // In effect for the next payment: steady (priority 2) now comes first.
    assert_eq!(h.p.create_qr(qr("1.00", "p1"), &wang()).await.unwrap().account, "steady");
    // No change, no entry.
    let n = h.p.store().audit_log(100).unwrap().len();
    assert!(h.p.update_account("flaky", &patch, &owner).unwrap().1.is_empty());
    assert_eq!(h.p.store().audit_log(100).unwrap().len(), n);
    // Bad values are refused naming the field, nothing written.
    let e = h.p.update_account("flaky", &AccountPatch { weight: Some(0), ..AccountPatch::default() }, &owner).unwrap_err();
    assert!(e.to_string().contains("weight"), "{e}");
    assert_eq!(h.p.store().account("flaky").unwrap().weight, 3);
    // Disabling takes it out of routing.
    h.p.update_account("steady", &AccountPatch { enabled: Some(false), ..AccountPatch::default() }, &owner).unwrap();
    assert_eq!(h.p.create_qr(qr("1.00", "p2"), &wang()).await.unwrap().account, "flaky");
}

#[tokio::test(start_paused = true)]
async fn changes_by_another_process_are_picked_up() {
    let h = two();
    assert!(!h.p.reload_if_changed().unwrap(), "nothing changed yet");
    // Another process (the CLI) writes straight to the book.
    let mut a = h.p.store().account("flaky").unwrap();
    a.enabled = false;
    h.p.store().upsert_account(&a).unwrap();
    assert!(h.p.reload_if_changed().unwrap());
    assert!(!h.p.reload_if_changed().unwrap());
    assert_eq!(h.p.create_qr(qr("1.00", "r1"), &wang()).await.unwrap().account, "steady");
}

#[tokio::test(start_paused = true)]
async fn health_survives_reloads() {
    let h = two();
    h.gw.script("flaky", "create_qr", [crate::routing::simulation::gateway::Fault::Unreachable; 3]);
    for i in 0..3 {
        h.p.create_qr(qr("1.00", &format!("h{i}")), &wang()).await.unwrap();
    }
    h.p.reload_accounts().unwrap();
    let flaky = h.p.account_health().into_iter().find(|a| a.account == "flaky").unwrap();
    assert_eq!((flaky.health.state, flaky.health.fail_streak), (crate::routing::BreakerState::Open, 3));
}

#[tokio::test(start_paused = true)]
async fn no_candidate_writes_nothing_and_says_why() {
    let h = two();
    for n in ["flaky", "steady"] {
        h.p.update_account(n, &AccountPatch { daily_cap: Some(Some(yuan("1.00"))), ..AccountPatch::default() }, &Principal::os()).unwrap();
    }
    let e = h.p.create_qr(qr("2.00", "c1"), &wang()).await.unwrap_err();
    assert_eq!(e.code(), "no_account");
    assert!(e.to_string().contains("over its daily cap"), "{e}");
    assert!(h.p.store().list_orders(&Default::default()).unwrap().is_empty());
}

#[tokio::test]
async fn limits_edited_in_the_settings_file_apply_without_restart() {
    use crate::config::Settings;
    let H { _dir, p, .. } = harness(&[("steady", 1)], RoutingSettings::default(), Limits::default());
    let p = std::sync::Arc::new(p);
    let home = tempfile::tempdir().unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(crate::payments::watch_limits(p.clone(), home.path().to_path_buf(), std::time::Duration::from_millis(10), rx));
    let until = |want: Limits| {
        let p = p.clone();
        async move {
            for _ in 0..500 {
                if p.limits() == want {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            false
        }
    };
    let wanted = Limits { till: DailyLimit { count: Some(3), amount: None }, ..Limits::default() };
    Settings { limits: wanted.clone(), ..Settings::default() }.save(home.path()).unwrap();
    assert!(until(wanted.clone()).await, "the edited limits are in force: {:?}", p.limits());
    // A file that does not load, or limits that are not valid, leave the limits in force.
    std::fs::write(Settings::file(home.path()), "[limits\nbroken").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(p.limits(), wanted);
    std::fs::write(Settings::file(home.path()), "[limits.cashier]\ncount = 0\n").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(p.limits(), wanted);
    // Taken off again.
    Settings::default().save(home.path()).unwrap();
    assert!(until(Limits::default()).await, "{:?}", p.limits());
    stop.send(true).unwrap();
    task.await.unwrap();
}
