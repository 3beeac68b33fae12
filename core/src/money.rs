//! Money: integer fen (minor units of CNY) in a newtype, strict yuan parsing, exact formatting.
//!
//! Amounts never pass through floating point. A yuan string is parsed digit by digit:
//! `"12.34"` → 1234 fen, `"100"` → 10000 fen, `"0.5"` → 50 fen. Anything else — signs, exponents,
//! spaces, more than two decimals, thousands separators — is refused with a reason.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The largest amount the type accepts at all: 100,000,000.00 yuan (Alipay's own upper bound).
pub const ABSOLUTE_MAX_FEN: i64 = 10_000_000_000;

/// An amount of CNY in fen. Never negative: refunds and fees are separate amounts, not signs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a yuan string or amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount {0:?} is not a plain decimal number of yuan like 12.34")]
    Malformed(String),
    #[error("amount {0:?} has more than two decimal places")]
    TooPrecise(String),
    #[error("amount must be greater than zero")]
    Zero,
    #[error("amount must not be negative")]
    Negative,
    #[error("amount {amount} exceeds the maximum of {max} yuan")]
    TooLarge { amount: String, max: Money },
    #[error("amount arithmetic overflowed")]
    Overflow,
}

impl MoneyError {
    /// A stable short code of the problem, for a screen to word it.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "empty",
            MoneyError::Malformed(_) => "malformed",
            MoneyError::TooPrecise(_) => "too_precise",
            MoneyError::Zero => "zero",
            MoneyError::Negative => "negative",
            MoneyError::TooLarge { .. } => "too_large",
            MoneyError::Overflow => "overflow",
        }
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// From fen. Refuses negatives and amounts beyond [`ABSOLUTE_MAX_FEN`].
    pub fn from_fen(fen: i64) -> Result<Money, MoneyError> {
        if fen < 0 {
            return Err(MoneyError::Negative);
        }
        if fen > ABSOLUTE_MAX_FEN {
            return Err(MoneyError::TooLarge { amount: fen_to_yuan_string(fen), max: Money(ABSOLUTE_MAX_FEN) });
        }
        Ok(Money(fen))
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Strictly parses a yuan string: `digits[.d[d]]`, no sign, no spaces, no exponent.
    /// Zero is allowed here (it is a valid amount of money); use [`Money::parse_payment`]
    /// where zero is meaningless.
    pub fn parse_yuan(s: &str) -> Result<Money, MoneyError> {
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if s.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let malformed = || MoneyError::Malformed(s.to_string());
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        // One leading zero only ("0.5" yes, "00.5" / "012" no).
        if int_part.len() > 1 && int_part.starts_with('0') {
            return Err(malformed());
        }
        let frac_fen = match frac_part {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => return Err(malformed()),
            Some(f) if f.len() > 2 => return Err(MoneyError::TooPrecise(s.to_string())),
            Some(f) => {
                let v: i64 = f.parse().map_err(|_| malformed())?;
                if f.len() == 1 { v * 10 } else { v }
            }
        };
        // 12 integer digits already exceed the absolute maximum; refuse before overflow.
        if int_part.len() > 12 {
            return Err(MoneyError::TooLarge { amount: s.to_string(), max: Money(ABSOLUTE_MAX_FEN) });
        }
        let yuan: i64 = int_part.parse().map_err(|_| malformed())?;
        let fen = yuan.checked_mul(100).and_then(|v| v.checked_add(frac_fen)).ok_or(MoneyError::Overflow)?;
        Money::from_fen(fen).map_err(|e| match e {
            MoneyError::TooLarge { max, .. } => MoneyError::TooLarge { amount: s.to_string(), max },
            other => other,
        })
    }

    /// Parses an amount to charge or refund: strict yuan, greater than zero, at most `max`.
    pub fn parse_payment(s: &str, max: Money) -> Result<Money, MoneyError> {
        let m = Money::parse_yuan(s)?;
        m.check_payment(max)?;
        Ok(m)
    }

    /// Checks an amount to charge or refund: greater than zero and at most `max`.
    pub fn check_payment(self, max: Money) -> Result<(), MoneyError> {
        if self.is_zero() {
            return Err(MoneyError::Zero);
        }
        if self > max {
            return Err(MoneyError::TooLarge { amount: self.to_string(), max });
        }
        Ok(())
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_add(other.0).ok_or(MoneyError::Overflow).and_then(Money::from_fen)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        let v = self.0.checked_sub(other.0).ok_or(MoneyError::Overflow)?;
        Money::from_fen(v)
    }

    /// `self × basis_points / 10_000`, rounded half up to the fen (how channels compute fees).
    pub fn fee_at(self, basis_points: u32) -> Money {
        let num = i128::from(self.0) * i128::from(basis_points);
        let fen = (num + 5_000) / 10_000;
        Money(i64::try_from(fen).unwrap_or(i64::MAX))
    }

    /// Parses a signed yuan amount as printed in statements ("-0.04", "0.00000"): returns fen and
    /// refuses any non-zero digit beyond the fen. Used only when reading channel files.
    pub fn parse_signed_statement(s: &str) -> Result<i64, MoneyError> {
        let t = s.trim();
        let (neg, body) = match t.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int_part, frac) = body.split_once('.').unwrap_or((body, ""));
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed(s.to_string()));
        }
        if frac.len() > 2 && frac[2..].bytes().any(|b| b != b'0') {
            return Err(MoneyError::TooPrecise(s.to_string()));
        }
        if int_part.len() > 12 {
            return Err(MoneyError::Overflow);
        }
        // Digits only (checked above): no allocation on this hot path of statement parsing.
        let digit = |i: usize| frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        let int = int_part.bytes().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
        let v = int * 100 + digit(0) * 10 + digit(1);
        Ok(if neg { -v } else { v })
    }
}

fn fen_to_yuan_string(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Formats signed fen as yuan with two decimals ("-0.04"); for statements and reports.
pub fn format_signed_fen(fen: i64) -> String {
    fen_to_yuan_string(fen)
}

impl fmt::Display for Money {
    /// Yuan with exactly two decimals: `12.30`. This is also Alipay's wire format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fen_to_yuan_string(self.0))
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_yuan(s)
    }
}

impl rusqlite::ToSql for Money {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.0.into())
    }
}

impl rusqlite::types::FromSql for Money {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let fen = i64::column_result(v)?;
        Money::from_fen(fen).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_good_inputs() {
        let cases = [
            ("0.01", 1),
            ("0.1", 10),
            ("0.10", 10),
            ("1", 100),
            ("100", 10_000),
            ("12.34", 1234),
            ("12.3", 1230),
            ("0", 0),
            ("0.00", 0),
            ("99999999.99", 9_999_999_999),
            ("100000000", 10_000_000_000),
        ];
        for (s, fen) in cases {
            assert_eq!(Money::parse_yuan(s).map(Money::fen), Ok(fen), "input {s:?}");
        }
    }

    #[test]
    fn refuses_bad_inputs() {
        use MoneyError::*;
        type Expect = fn(&MoneyError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("", |e| matches!(e, Empty)),
            ("-1", |e| matches!(e, Negative)),
            ("-0.01", |e| matches!(e, Negative)),
            ("+1", |e| matches!(e, Malformed(_))),
            ("1.234", |e| matches!(e, TooPrecise(_))),
            ("0.001", |e| matches!(e, TooPrecise(_))),
            ("1e3", |e| matches!(e, Malformed(_))),
            ("NaN", |e| matches!(e, Malformed(_))),
            ("inf", |e| matches!(e, Malformed(_))),
            (" 12", |e| matches!(e, Malformed(_))),
            ("12 ", |e| matches!(e, Malformed(_))),
            ("12.", |e| matches!(e, Malformed(_))),
            (".5", |e| matches!(e, Malformed(_))),
            ("1,000", |e| matches!(e, Malformed(_))),
            ("00.5", |e| matches!(e, Malformed(_))),
            ("012", |e| matches!(e, Malformed(_))),
            ("1.2.3", |e| matches!(e, Malformed(_))),
            ("１２", |e| matches!(e, Malformed(_))),
            ("100000000.01", |e| matches!(e, TooLarge { .. })),
            ("9999999999999999999999", |e| matches!(e, TooLarge { .. })),
        ];
        for (s, check) in cases {
            let err = Money::parse_yuan(s).expect_err(s);
            assert!(check(&err), "input {s:?} gave {err:?}");
        }
    }

    #[test]
    fn payment_amounts_need_positive_and_max() {
        let max = Money::parse_yuan("5000").unwrap();
        assert_eq!(Money::parse_payment("0", max), Err(MoneyError::Zero));
        assert_eq!(Money::parse_payment("0.00", max), Err(MoneyError::Zero));
        assert!(matches!(Money::parse_payment("5000.01", max), Err(MoneyError::TooLarge { .. })));
        assert_eq!(Money::parse_payment("5000", max).unwrap().fen(), 500_000);
    }

    #[test]
    fn formats_exactly() {
        for (fen, s) in [(0, "0.00"), (1, "0.01"), (10, "0.10"), (1234, "12.34"), (100_000, "1000.00")] {
            assert_eq!(Money::from_fen(fen).unwrap().to_string(), s);
            assert_eq!(Money::parse_yuan(s).unwrap().fen(), fen, "round trip {s}");
        }
        assert_eq!(format_signed_fen(-4), "-0.04");
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_fen(100).unwrap();
        let b = Money::from_fen(250).unwrap();
        assert_eq!(a.checked_sub(b), Err(MoneyError::Negative));
        assert_eq!(b.checked_sub(a).unwrap().fen(), 150);
        assert_eq!(Money::from_fen(ABSOLUTE_MAX_FEN).unwrap().checked_add(a).map(Money::fen).ok(), None);
        assert!(Money::from_fen(-1).is_err());
    }

    #[test]
    fn fee_rounds_half_up() {
        // 0.38% of 12.34 = 4.6892 fen -> 5 fen; 0.6% of 0.01 = 0.006 fen -> 0.
        assert_eq!(Money::from_fen(1234).unwrap().fee_at(38).fen(), 5);
        assert_eq!(Money::from_fen(1).unwrap().fee_at(60).fen(), 0);
        // 0.6% of 250.00 = 150 fen exactly; half-up at .5: 0.25% of 2.00 = 0.5 fen -> 1.
        assert_eq!(Money::from_fen(25_000).unwrap().fee_at(60).fen(), 150);
        assert_eq!(Money::from_fen(200).unwrap().fee_at(25).fen(), 1);
    }

    #[test]
    fn statement_amounts() {
        assert_eq!(Money::parse_signed_statement("-0.04"), Ok(-4));
        assert_eq!(Money::parse_signed_statement("0.00000"), Ok(0));
        assert_eq!(Money::parse_signed_statement("12.5"), Ok(1250));
        assert_eq!(Money::parse_signed_statement(" 3 "), Ok(300));
        assert!(Money::parse_signed_statement("0.00100").is_err());
        assert!(Money::parse_signed_statement("abc").is_err());
    }
}
