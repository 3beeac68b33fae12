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
mod tests;
