//! Account health: a sliding window of channel-call outcomes and a circuit breaker per account.
//!
//! ```text
//!            N failures in a row                cool-down over
//!  Closed ─────────────────────────► Open ───────────────────────► HalfOpen
//!    ▲                                 ▲                               │ one probe
//!    └──────── the probe (or any call) succeeds ◄──────────────────────┤
//!                                      └──── it fails (cool-down doubles, capped) ◄┘
//! ```
//! Every call to an account's channel reports here (see `payments::watched`): an answer — even a
//! refusal such as "insufficient balance" — is a success for the *account*; a call that did not
//! reach the channel, timed out, hit a 5xx/system error or a rate limit is a failure. The breaker
//! only gates new payments; follow-ups (query, close, cancel, refund) always go through, because
//! an order already taken must be finished, and their outcomes count as evidence too.
//! Time comes from the injectable [`Clock`](crate::clock::Clock), so tests step through it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::channel::ChannelError;
use crate::config::RoutingSettings;

/// Why a call counts against an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailKind {
    /// The connection could not be made.
    Unreachable,
    /// Sent, no (complete) answer in time.
    Timeout,
    /// A 5xx/system error, an unreadable or unverifiable reply, a broken configuration.
    Error,
    /// The channel refused because we called too often.
    RateLimited,
}

/// What one channel call says about the account's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The channel answered (whatever the answer).
    Answered,
    Failed(FailKind),
    /// Says nothing about the account (e.g. a flow the channel does not offer).
    Neutral,
}

impl CallOutcome {
    pub fn of<T>(r: &Result<T, ChannelError>) -> CallOutcome {
        match r {
            Ok(_) => CallOutcome::Answered,
            Err(e) => CallOutcome::of_error(e),
        }
    }

    pub fn of_error(e: &ChannelError) -> CallOutcome {
        if e.is_rate_limited() {
            return CallOutcome::Failed(FailKind::RateLimited);
        }
        match e {
            ChannelError::Unreachable { .. } => CallOutcome::Failed(FailKind::Unreachable),
            ChannelError::Timeout { .. } => CallOutcome::Failed(FailKind::Timeout),
            ChannelError::Unavailable { .. } | ChannelError::Protocol { .. } | ChannelError::SignatureInvalid { .. } | ChannelError::Config(_) => {
                CallOutcome::Failed(FailKind::Error)
            }
            // A definitive refusal is an answer from a working gateway.
            ChannelError::Rejected { .. } => CallOutcome::Answered,
            ChannelError::Mismatch { .. } | ChannelError::Unsupported { .. } => CallOutcome::Neutral,
        }
    }
}

/// The breaker's state as shown and recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Taking payments.
    Closed,
    /// Taken out after consecutive failures until `open_until`.
    Open,
    /// Cool-down over: the next payment is a probe.
    HalfOpen,
}

/// An account's health at one moment (shown in the app, recorded with each routing decision).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSnapshot {
    pub state: BreakerState,
    /// Calls in the window, and how many of them failed / timed out.
    pub calls: u32,
    pub failures: u32,
    pub timeouts: u32,
    /// Share of the window's calls that got an answer, in per mille (None without calls).
    pub success_permille: Option<u16>,
    /// Failures / timeouts in a row, up to the last call.
    pub fail_streak: u32,
    pub timeout_streak: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<DateTime<Utc>>,
    /// How often the breaker has opened since the program started.
    pub trips: u32,
}

impl HealthSnapshot {
    /// Success rate in whole percent (rounded down), if there were calls.
    pub fn success_pct(&self) -> Option<u32> {
        self.success_permille.map(|p| u32::from(p) / 10)
    }
}

/// Whether a new payment may go to an account now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// Half-open: this payment is the one probe.
    Probe,
    /// Open until then.
    No { until: DateTime<Utc> },
    /// Half-open and another payment is already probing.
    ProbeBusy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed,
    Open { until: DateTime<Utc>, cooldown: Duration },
    HalfOpen { cooldown: Duration, probe_since: Option<DateTime<Utc>> },
}

#[derive(Debug)]
struct Account {
    window: VecDeque<(DateTime<Utc>, Option<FailKind>)>,
    fail_streak: u32,
    timeout_streak: u32,
    state: State,
    last_error: Option<(DateTime<Utc>, String)>,
    trips: u32,
}

impl Default for Account {
    fn default() -> Self {
        Account { window: VecDeque::new(), fail_streak: 0, timeout_streak: 0, state: State::Closed, last_error: None, trips: 0 }
    }
}

/// A probe that never reports (e.g. the process lost the call) stops blocking after this.
const PROBE_TIMEOUT_SECS: i64 = 60;

/// Health of every account, by name. Survives account reloads (state is keyed by name).
#[derive(Debug)]
pub struct Health {
    cfg: RoutingSettings,
    accounts: Mutex<HashMap<String, Account>>,
}

fn secs(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000).min(i64::MAX / 1000))
}

impl Health {
    pub fn new(cfg: RoutingSettings) -> Health {
        Health { cfg, accounts: Mutex::new(HashMap::new()) }
    }

    pub fn settings(&self) -> &RoutingSettings {
        &self.cfg
    }

    fn with<T>(&self, account: &str, f: impl FnOnce(&mut Account) -> T) -> T {
        let mut map = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        f(map.entry(account.to_string()).or_default())
    }

    /// Records one call's outcome. `error` is the error's text for display (never key material:
    /// channel errors do not carry secrets).
    pub fn record(&self, account: &str, outcome: CallOutcome, error: Option<String>, now: DateTime<Utc>) {
        let cfg = &self.cfg;
        self.with(account, |a| {
            let fail = match outcome {
                CallOutcome::Neutral => return,
                CallOutcome::Answered => None,
                CallOutcome::Failed(k) => Some(k),
            };
            a.window.push_back((now, fail));
            let horizon = now - secs(cfg.health_window_secs);
            while a.window.front().is_some_and(|(t, _)| *t < horizon) || a.window.len() > cfg.health_window_max as usize {
                a.window.pop_front();
            }
            let base = secs(cfg.breaker_cooldown_secs);
            match fail {
                None => {
                    a.fail_streak = 0;
                    a.timeout_streak = 0;
                    if matches!(a.state, State::HalfOpen { .. }) || matches!(a.state, State::Open { until, .. } if now >= until) {
                        a.state = State::Closed;
                    }
                }
                Some(kind) => {
                    a.fail_streak += 1;
                    a.timeout_streak = if kind == FailKind::Timeout { a.timeout_streak + 1 } else { 0 };
                    if let Some(e) = error {
                        a.last_error = Some((now, e));
                    }
                    if !cfg.circuit_breaker {
                        return;
                    }
                    let double = |c: Duration| (c * 2).min(secs(cfg.breaker_max_cooldown_secs)).max(base);
                    let cooldown = match a.state {
                        // A failed probe: open again, for twice as long (capped).
                        State::HalfOpen { cooldown, .. } => double(cooldown),
                        State::Open { until, cooldown } if now >= until => double(cooldown),
                        State::Closed if a.fail_streak >= cfg.breaker_failures => base,
                        State::Open { .. } | State::Closed => return,
                    };
                    a.state = State::Open { until: now + cooldown, cooldown };
                    a.trips += 1;
                }
            }
        });
    }

    /// Asks to send a new payment to `account`. In half-open state this takes the one probe.
    pub fn admit(&self, account: &str, now: DateTime<Utc>) -> Admit {
        if !self.cfg.circuit_breaker {
            return Admit::Yes;
        }
        self.with(account, |a| match a.state {
            State::Closed => Admit::Yes,
            State::Open { until, .. } if now < until => Admit::No { until },
            State::Open { cooldown, .. } => {
                a.state = State::HalfOpen { cooldown, probe_since: Some(now) };
                Admit::Probe
            }
            State::HalfOpen { cooldown, probe_since } => match probe_since {
                Some(t) if now - t < Duration::seconds(PROBE_TIMEOUT_SECS) => Admit::ProbeBusy,
                _ => {
                    a.state = State::HalfOpen { cooldown, probe_since: Some(now) };
                    Admit::Probe
                }
            },
        })
    }

    /// What [`Health::admit`] would say, without taking the probe.
    pub fn peek(&self, account: &str, now: DateTime<Utc>) -> Admit {
        if !self.cfg.circuit_breaker {
            return Admit::Yes;
        }
        self.with(account, |a| match a.state {
            State::Closed => Admit::Yes,
            State::Open { until, .. } if now < until => Admit::No { until },
            State::Open { .. } => Admit::Probe,
            State::HalfOpen { probe_since: Some(t), .. } if now - t < Duration::seconds(PROBE_TIMEOUT_SECS) => Admit::ProbeBusy,
            State::HalfOpen { .. } => Admit::Probe,
        })
    }

    pub fn snapshot(&self, account: &str, now: DateTime<Utc>) -> HealthSnapshot {
        let horizon = now - secs(self.cfg.health_window_secs);
        self.with(account, |a| {
            let live = a.window.iter().filter(|(t, _)| *t >= horizon);
            let (mut calls, mut failures, mut timeouts) = (0u32, 0u32, 0u32);
            for (_, f) in live {
                calls += 1;
                if let Some(k) = f {
                    failures += 1;
                    if *k == FailKind::Timeout {
                        timeouts += 1;
                    }
                }
            }
            let (state, open_until) = match a.state {
                State::Closed => (BreakerState::Closed, None),
                State::Open { until, .. } if now < until => (BreakerState::Open, Some(until)),
                State::Open { .. } | State::HalfOpen { .. } => (BreakerState::HalfOpen, None),
            };
            HealthSnapshot {
                state,
                calls,
                failures,
                timeouts,
                success_permille: (calls > 0).then(|| u16::try_from(u64::from(calls - failures) * 1000 / u64::from(calls)).unwrap_or(1000)),
                fail_streak: a.fail_streak,
                timeout_streak: a.timeout_streak,
                open_until,
                last_error: a.last_error.as_ref().map(|(_, e)| e.clone()),
                last_error_at: a.last_error.as_ref().map(|(t, _)| *t),
                trips: a.trips,
            }
        })
    }

    /// True when the account's recent success rate is below the demotion threshold: it is then
    /// tried after the healthy accounts of its priority.
    pub fn is_degraded(&self, s: &HealthSnapshot) -> bool {
        let threshold = u32::from(self.cfg.demote_below_pct);
        threshold > 0 && s.calls >= self.cfg.demote_min_calls && s.success_permille.is_some_and(|p| u32::from(p) < threshold * 10)
    }

    /// Forgets accounts that no longer exist.
    pub fn retain(&self, names: &[&str]) {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner()).retain(|k, _| names.contains(&k.as_str()));
    }
}

#[cfg(test)]
mod tests {
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
}
