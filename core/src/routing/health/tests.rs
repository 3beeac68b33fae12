//! The breaker's states and transitions, the window, the classification of call outcomes.

use super::*;

fn cfg() -> RoutingSettings {
    RoutingSettings { breaker_failures: 3, breaker_cooldown_secs: 30, breaker_max_cooldown_secs: 100, ..RoutingSettings::default() }
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap()
}

const FAIL: CallOutcome = CallOutcome::Failed(FailKind::Timeout);

#[test]
fn breaker_opens_half_opens_and_closes() {
    let h = Health::new(cfg());
    let at = |s: i64| t0() + Duration::seconds(s);
    h.record("a", CallOutcome::Answered, None, at(0));
    h.record("a", FAIL, Some("timeout".into()), at(1));
    h.record("a", FAIL, None, at(2));
    assert_eq!(h.admit("a", at(2)), Admit::Yes, "two failures in a row: still closed");
    h.record("a", FAIL, None, at(3));
    let s = h.snapshot("a", at(3));
    assert_eq!((s.state, s.fail_streak, s.timeout_streak, s.trips), (BreakerState::Open, 3, 3, 1));
    assert_eq!(s.open_until, Some(at(33)));
    assert_eq!(s.last_error.as_deref(), Some("timeout"));
    assert_eq!(h.admit("a", at(20)), Admit::No { until: at(33) });
    // A follow-up query that works during the cool-down does not close it early.
    h.record("a", CallOutcome::Answered, None, at(21));
    assert_eq!(h.admit("a", at(32)), Admit::No { until: at(33) });
    // Cool-down over: one probe, the next payment waits.
    assert_eq!(h.peek("a", at(33)), Admit::Probe);
    assert_eq!(h.admit("a", at(33)), Admit::Probe);
    assert_eq!(h.snapshot("a", at(33)).state, BreakerState::HalfOpen);
    assert_eq!(h.admit("a", at(34)), Admit::ProbeBusy);
    // The probe fails: open again, for twice as long.
    h.record("a", FAIL, None, at(35));
    assert_eq!(h.admit("a", at(36)), Admit::No { until: at(95) });
    assert_eq!(h.snapshot("a", at(36)).trips, 2);
    // Next probe succeeds: closed, streaks reset.
    assert_eq!(h.admit("a", at(95)), Admit::Probe);
    h.record("a", CallOutcome::Answered, None, at(96));
    let s = h.snapshot("a", at(96));
    assert_eq!((s.state, s.fail_streak), (BreakerState::Closed, 0));
    assert_eq!(h.admit("a", at(96)), Admit::Yes);
    // Trips again later: the cool-down starts from the base once more.
    for i in 0..3 {
        h.record("a", FAIL, None, at(100 + i));
    }
    assert_eq!(h.admit("a", at(103)), Admit::No { until: at(132) });
}

#[test]
fn cooldown_doubles_up_to_the_cap_and_stale_probe_frees() {
    let h = Health::new(cfg());
    let mut now = t0();
    for _ in 0..3 {
        h.record("a", FAIL, None, now);
    }
    let mut expected = [30, 60, 100, 100].into_iter();
    loop {
        let Admit::No { until } = h.admit("a", now) else { panic!("should be open") };
        assert_eq!((until - now).num_seconds(), expected.next().unwrap());
        now = until;
        assert_eq!(h.admit("a", now), Admit::Probe);
        if expected.len() == 0 {
            break;
        }
        h.record("a", FAIL, None, now);
    }
    // A probe that never reports stops blocking after a minute.
    assert_eq!(h.admit("a", now + Duration::seconds(59)), Admit::ProbeBusy);
    assert_eq!(h.admit("a", now + Duration::seconds(61)), Admit::Probe);
}

#[test]
fn window_rates_and_classification() {
    let h = Health::new(RoutingSettings { health_window_secs: 60, ..cfg() });
    let at = |s: i64| t0() + Duration::seconds(s);
    for i in 0..7 {
        h.record("a", CallOutcome::Answered, None, at(i));
    }
    h.record("a", CallOutcome::Failed(FailKind::Unreachable), None, at(10));
    h.record("a", CallOutcome::Failed(FailKind::RateLimited), None, at(11));
    h.record("a", FAIL, None, at(12));
    h.record("a", CallOutcome::Neutral, None, at(13));
    let s = h.snapshot("a", at(13));
    assert_eq!((s.calls, s.failures, s.timeouts, s.success_permille, s.success_pct()), (10, 3, 1, Some(700), Some(70)));
    assert!(h.is_degraded(&s), "10 calls at 70 %: below the 80 % threshold");
    // The first seven answers age out of the 60 s window.
    let s = h.snapshot("a", at(67));
    assert_eq!((s.calls, s.failures), (3, 3));
    // Classification: answers (even refusals) are health; transport trouble is not.
    let ch = || "x".to_string();
    assert_eq!(CallOutcome::of_error(&ChannelError::Rejected { channel: ch(), code: "BALANCE_NOT_ENOUGH".into(), message: "".into() }), CallOutcome::Answered);
    assert_eq!(CallOutcome::of_error(&ChannelError::Rejected { channel: ch(), code: "FREQUENCY_LIMITED".into(), message: "".into() }), CallOutcome::Failed(FailKind::RateLimited));
    assert_eq!(CallOutcome::of_error(&ChannelError::Unavailable { channel: ch(), code: "SYSTEM_ERROR".into(), message: "".into() }), CallOutcome::Failed(FailKind::Error));
    assert_eq!(CallOutcome::of_error(&ChannelError::Unsupported { channel: ch(), flow: "refund" }), CallOutcome::Neutral);
    for code in ["429", "isp.rpc-qps-limit", "TOO_MANY_REQUESTS", "rate_limited"] {
        assert!(ChannelError::Unavailable { channel: ch(), code: code.into(), message: "".into() }.is_rate_limited(), "{code}");
    }
    assert!(!ChannelError::Rejected { channel: ch(), code: "ACQ.TRADE_HAS_CLOSE".into(), message: "".into() }.is_rate_limited());
    assert!(!ChannelError::Timeout { channel: ch() }.is_rate_limited());
}

#[test]
fn degraded_below_threshold_with_enough_calls() {
    let h = Health::new(cfg());
    for i in 0..10 {
        h.record("a", if i % 3 == 0 { FAIL } else { CallOutcome::Answered }, None, t0());
    }
    let s = h.snapshot("a", t0());
    assert_eq!(s.success_pct(), Some(60));
    assert!(h.is_degraded(&s));
    let few = Health::new(cfg());
    few.record("b", FAIL, None, t0());
    assert!(!few.is_degraded(&few.snapshot("b", t0())), "one failure is not a pattern");
}

#[test]
fn breaker_off_never_trips() {
    let h = Health::new(RoutingSettings { circuit_breaker: false, ..cfg() });
    for _ in 0..10 {
        h.record("a", FAIL, None, t0());
    }
    assert_eq!(h.admit("a", t0()), Admit::Yes);
    assert_eq!(h.snapshot("a", t0()).state, BreakerState::Closed);
    assert_eq!(h.snapshot("a", t0()).fail_streak, 10);
}
