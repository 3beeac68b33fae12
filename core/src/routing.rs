//! Picks the channel account for a payment: method → enabled accounts that serve it and the
//! payment kind, under their daily cap, by priority (lower first), rotating among equals.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::account::AccountConfig;
use crate::channel::Capabilities;
use crate::money::Money;
use crate::order::{Method, PayKind};

/// Why an account was not a candidate (recorded for the order's routing decision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Disabled,
    MethodNotServed,
    KindNotSupported,
    OverDailyCap { used: Money, cap: Money },
}

/// Round-robin state per (method, priority).
#[derive(Debug, Default)]
pub struct Router {
    turns: Mutex<HashMap<(Method, i32), usize>>,
}

/// The methods an account serves: its own list, else its channel's.
pub fn serves(account: &AccountConfig, caps: &Capabilities, method: Method) -> bool {
    if account.methods.is_empty() {
        caps.methods.contains(&method)
    } else {
        account.methods.contains(&method)
    }
}

impl Router {
    /// Candidates in the order to try them, and the accounts skipped with the reason.
    /// `used_today` gives an account's volume today (for caps).
    pub fn candidates<'a>(
        &self,
        accounts: &'a [(AccountConfig, Capabilities)],
        method: Method,
        kind: PayKind,
        amount: Money,
        mut used_today: impl FnMut(&str) -> Money,
    ) -> (Vec<&'a AccountConfig>, Vec<(&'a str, Skip)>) {
        let mut ok = Vec::new();
        let mut skipped = Vec::new();
        for (a, caps) in accounts {
            let skip = if !a.enabled {
                Some(Skip::Disabled)
            } else if !serves(a, caps, method) {
                Some(Skip::MethodNotServed)
            } else if !(match kind {
                PayKind::Qr => caps.qr,
                PayKind::Barcode => caps.barcode,
            }) {
                Some(Skip::KindNotSupported)
            } else if let Some(cap) = a.daily_cap {
                let used = used_today(&a.name);
                (used.fen() + amount.fen() > cap.fen()).then_some(Skip::OverDailyCap { used, cap })
            } else {
                None
            };
            match skip {
                Some(s) => skipped.push((a.name.as_str(), s)),
                None => ok.push(a),
            }
        }
        ok.sort_by(|x, y| x.priority.cmp(&y.priority).then_with(|| x.name.cmp(&y.name)));
        // Rotate each group of equal priority by its turn counter.
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(ok.len());
        let mut i = 0;
        while i < ok.len() {
            let p = ok[i].priority;
            let j = ok[i..].iter().position(|a| a.priority != p).map_or(ok.len(), |k| i + k);
            let group = &ok[i..j];
            let turn = turns.entry((method, p)).or_insert(0);
            let start = *turn % group.len();
            if out.is_empty() {
                *turn = turn.wrapping_add(1);
            }
            out.extend(group[start..].iter().chain(group[..start].iter()).copied());
            i = j;
        }
        (out, skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(name: &str, prio: i32, cap: Option<i64>) -> (AccountConfig, Capabilities) {
        let mut a: AccountConfig = toml::from_str(&format!("name = \"{name}\"\nchannel = \"sandbox\"\npriority = {prio}")).unwrap();
        a.daily_cap = cap.map(|c| Money::from_fen(c).unwrap());
        let caps = Capabilities { methods: vec![Method::Sandbox], qr: true, barcode: true, ..Default::default() };
        (a, caps)
    }

    #[test]
    fn priority_then_round_robin() {
        let accts = vec![acct("b", 1, None), acct("a", 1, None), acct("z", 5, None)];
        let r = Router::default();
        let amt = Money::from_fen(100).unwrap();
        let firsts: Vec<String> = (0..4)
            .map(|_| r.candidates(&accts, Method::Sandbox, PayKind::Qr, amt, |_| Money::ZERO).0[0].name.clone())
            .collect();
        assert_eq!(firsts, ["a", "b", "a", "b"]);
        let (c, _) = r.candidates(&accts, Method::Sandbox, PayKind::Qr, amt, |_| Money::ZERO);
        assert_eq!(c.last().unwrap().name, "z");
    }

    #[test]
    fn skips_disabled_capped_and_unserved() {
        let mut accts = vec![acct("a", 1, Some(1000)), acct("b", 2, None), acct("c", 3, None)];
        accts[1].0.enabled = false;
        accts[2].0.methods = vec![Method::Alipay];
        let r = Router::default();
        let (c, skipped) = r.candidates(&accts, Method::Sandbox, PayKind::Qr, Money::from_fen(600).unwrap(), |_| Money::from_fen(500).unwrap());
        assert!(c.is_empty());
        assert_eq!(skipped.len(), 3);
        assert!(matches!(skipped[0].1, Skip::OverDailyCap { .. }));
        assert_eq!(skipped[1].1, Skip::Disabled);
        assert_eq!(skipped[2].1, Skip::MethodNotServed);
    }
}
