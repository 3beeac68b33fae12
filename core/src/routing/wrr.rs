//! Smooth weighted round-robin (the nginx algorithm) among accounts of equal priority.
//!
//! Each pick adds every member's weight to its running score, takes the highest score and
//! subtracts the total weight from it. Over any `total` consecutive picks each member is chosen
//! exactly `weight` times, and the picks are spread out (weights 5:1:1 give a a b a c a a, not
//! a a a a a b c). Scores are kept by account name, so they survive account reloads.

use std::collections::HashMap;

use crate::order::Method;

#[derive(Debug, Default)]
pub(super) struct Wrr {
    scores: HashMap<(Method, i32), HashMap<String, i64>>,
}

impl Wrr {
    /// Orders `members` (name, weight) for one payment: the pick first, then the others by
    /// score (the order in which they would be picked next). `advance` commits the pick; without
    /// it the order is only previewed.
    pub(super) fn order<'a>(&mut self, key: (Method, i32), members: &[(&'a str, u32)], advance: bool) -> Vec<&'a str> {
        if members.len() <= 1 {
            return members.iter().map(|(n, _)| *n).collect();
        }
        let scores = self.scores.entry(key).or_default();
        let total: i64 = members.iter().map(|(_, w)| i64::from((*w).max(1))).sum();
        let mut next: Vec<(&str, i64)> = members.iter().map(|(n, w)| (*n, scores.get(*n).copied().unwrap_or(0) + i64::from((*w).max(1)))).collect();
        // Highest score first; ties by name so the order is deterministic.
        next.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        if advance {
            for (i, (n, s)) in next.iter().enumerate() {
                scores.insert((*n).to_string(), if i == 0 { s - total } else { *s });
            }
        }
        next.into_iter().map(|(n, _)| n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picks(w: &[(&'static str, u32)], n: usize) -> Vec<&'static str> {
        let mut r = Wrr::default();
        (0..n).map(|_| r.order((Method::Sandbox, 1), w, true)[0]).collect()
    }

    #[test]
    fn equal_weights_alternate() {
        assert_eq!(picks(&[("a", 1), ("b", 1)], 4), ["a", "b", "a", "b"]);
    }

    #[test]
    fn weights_are_honoured_and_spread() {
        assert_eq!(picks(&[("a", 5), ("b", 1), ("c", 1)], 7), ["a", "a", "b", "a", "c", "a", "a"]);
        let many = picks(&[("a", 3), ("b", 1)], 400);
        assert_eq!(many.iter().filter(|n| **n == "a").count(), 300);
    }

    #[test]
    fn preview_does_not_advance_and_fallback_order_follows_scores() {
        let mut r = Wrr::default();
        let w = [("a", 1), ("b", 1), ("c", 1)];
        assert_eq!(r.order((Method::Sandbox, 1), &w, false), ["a", "b", "c"]);
        assert_eq!(r.order((Method::Sandbox, 1), &w, true), ["a", "b", "c"]);
        assert_eq!(r.order((Method::Sandbox, 1), &w, true), ["b", "c", "a"]);
        // Other keys rotate on their own.
        assert_eq!(r.order((Method::Alipay, 1), &w, true)[0], "a");
    }
}
