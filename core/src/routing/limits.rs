//! Daily limits on what one cashier and one till may take: number of payments and amount.
//!
//! Checked before an order is written ([`check`]); a refusal names the limit and writes no
//! order (it is logged and audited by the payments service). What counts: orders of the shop's
//! business day that took or may still take money — pending, processing, paid, refunded;
//! failed and closed attempts do not count. A fallback to another account stays one payment.
//!
//! ```toml
//! [limits.cashier]          # every cashier, unless named below
//! count = 300
//! amount = "20000.00"
//! [limits.till]             # this till (terminal)
//! amount = "100000.00"
//! [limits.cashiers."王芳"]   # one person's own limits replace the cashier defaults
//! amount = "5000.00"
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::money::Money;

/// A daily limit; `None` = no limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DailyLimit {
    /// Most payments per day.
    pub count: Option<u32>,
    /// Most yuan per day, e.g. "20000.00".
    #[serde(with = "crate::account::opt_money", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
}

impl DailyLimit {
    pub fn is_none(&self) -> bool {
        self.count.is_none() && self.amount.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Every cashier (operator), per day.
    #[serde(skip_serializing_if = "DailyLimit::is_none")]
    pub cashier: DailyLimit,
    /// This till (terminal), per day.
    #[serde(skip_serializing_if = "DailyLimit::is_none")]
    pub till: DailyLimit,
    /// One person's own limits, by user name; they replace `cashier` for that person.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cashiers: BTreeMap<String, DailyLimit>,
}

impl Limits {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let all = [("limits.cashier", &self.cashier), ("limits.till", &self.till)].into_iter().chain(self.cashiers.values().map(|l| ("limits.cashiers", l)));
        for (field, l) in all {
            if l.count == Some(0) {
                return Err(ConfigError::Invalid { field, problem: "count must be at least 1 (leave it out for no limit)".into() });
            }
            if l.amount.is_some_and(|a| a.is_zero()) {
                return Err(ConfigError::Invalid { field, problem: "amount must be greater than zero (leave it out for no limit)".into() });
            }
        }
        Ok(())
    }

    /// The limit that applies to a cashier.
    pub fn for_cashier(&self, name: &str) -> &DailyLimit {
        self.cashiers.get(name).unwrap_or(&self.cashier)
    }
}

/// What a cashier or till has taken today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub count: u32,
    pub amount: Money,
}

/// Whose limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", content = "who", rename_all = "snake_case")]
pub enum Scope {
    Cashier(String),
    Till(String),
}

/// A payment refused by a daily limit. Serialised for the UI, which words it in its language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.describe())]
pub struct LimitExceeded {
    #[serde(flatten)]
    pub scope: Scope,
    /// `count` or `amount`.
    pub what: &'static str,
    /// The limit, and what was taken before this payment (count, or fen).
    pub limit: i64,
    pub used: i64,
    /// This payment, fen.
    pub amount: Money,
}

impl LimitExceeded {
    /// The setting that refused, e.g. `limits.cashier.amount`.
    pub fn setting(&self) -> String {
        match &self.scope {
            Scope::Cashier(_) => format!("limits.cashier.{}", self.what),
            Scope::Till(_) => format!("limits.till.{}", self.what),
        }
    }

    fn describe(&self) -> String {
        let who = match &self.scope {
            Scope::Cashier(n) => format!("cashier {n}"),
            Scope::Till(t) => format!("till {t}"),
        };
        let fen = |v: i64| Money::from_fen(v).map_or_else(|_| v.to_string(), |m| m.to_string());
        if self.what == "count" {
            format!("{}: {who} has taken {} payments today; the daily limit is {}", self.setting(), self.used, self.limit)
        } else {
            format!("{}: {who} has taken {} yuan today; {} more would pass the daily limit of {} yuan", self.setting(), fen(self.used), self.amount, fen(self.limit))
        }
    }
}

/// Refuses a payment of `amount` that would pass `limit` given `used`.
pub fn check(limit: &DailyLimit, scope: &Scope, used: Usage, amount: Money) -> Result<(), LimitExceeded> {
    if let Some(max) = limit.count {
        if used.count >= max {
            return Err(LimitExceeded { scope: scope.clone(), what: "count", limit: i64::from(max), used: i64::from(used.count), amount });
        }
    }
    if let Some(max) = limit.amount {
        if used.amount.fen().saturating_add(amount.fen()) > max.fen() {
            return Err(LimitExceeded { scope: scope.clone(), what: "amount", limit: max.fen(), used: used.amount.fen(), amount });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Money {
        Money::parse_yuan(s).unwrap()
    }

    #[test]
    fn parses_and_applies_overrides() {
        let l: Limits = toml::from_str("[cashier]\ncount = 3\namount = \"100.00\"\n[till]\namount = \"150.00\"\n[cashiers.\"王芳\"]\namount = \"20.00\"\n").unwrap();
        l.validate().unwrap();
        assert_eq!(l.for_cashier("李雷").count, Some(3));
        assert_eq!(l.for_cashier("王芳").amount, Some(y("20.00")));
        assert_eq!(l.for_cashier("王芳").count, None, "own limits replace the defaults");
        assert!(toml::from_str::<Limits>("[cashier]\ncount = 0\n").unwrap().validate().unwrap_err().to_string().contains("limits.cashier"));
        assert!(toml::from_str::<Limits>("[cashier]\namount = \"1.234\"\n").is_err());
        assert!(toml::from_str::<Limits>("[cashier]\nsum = 3\n").is_err(), "unknown keys are refused");
    }

    #[test]
    fn count_and_amount_checks_name_the_limit() {
        let lim = DailyLimit { count: Some(3), amount: Some(y("100.00")) };
        let who = Scope::Cashier("王芳".into());
        assert!(check(&lim, &who, Usage { count: 2, amount: y("50.00") }, y("50.00")).is_ok(), "exactly at the amount limit is allowed");
        let e = check(&lim, &who, Usage { count: 2, amount: y("50.00") }, y("50.01")).unwrap_err();
        assert_eq!((e.what, e.setting()), ("amount", "limits.cashier.amount".to_string()));
        assert!(e.to_string().contains("王芳") && e.to_string().contains("100.00"), "{e}");
        let e = check(&lim, &Scope::Till("T1".into()), Usage { count: 3, amount: Money::ZERO }, y("1.00")).unwrap_err();
        assert_eq!((e.what, e.limit, e.used), ("count", 3, 3));
        assert!(e.to_string().starts_with("limits.till.count: till T1"), "{e}");
        assert!(check(&DailyLimit::default(), &who, Usage { count: 9999, amount: y("99999.00") }, y("1.00")).is_ok());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["scope"], "till");
        assert_eq!(json["who"], "T1");
    }
}
