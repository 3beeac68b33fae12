//! A shift at a till: who opened it with what float, and, once closed, the count and the locked report.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::order::ParseEnumError;

/// Who a shift belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftKind {
    /// Opened by a cashier at the till, with a counted float; closed with a blind count.
    Cashier,
    /// Opened by Paydesk for a payment that came (local API, CLI) while no cashier's shift was
    /// open. It holds no drawer: tenders are refused in it. The next cashier's opening (or the
    /// day close) closes it.
    System,
}

impl ShiftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftKind::Cashier => "cashier",
            ShiftKind::System => "system",
        }
    }
}

impl FromStr for ShiftKind {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cashier" => Ok(ShiftKind::Cashier),
            "system" => Ok(ShiftKind::System),
            _ => Err(ParseEnumError { what: "shift kind", value: s.into(), expected: "cashier, system" }),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftStatus {
    Open,
    /// Counted and handed over; its report is locked.
    Closed,
}

impl ShiftStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftStatus::Open => "open",
            ShiftStatus::Closed => "closed",
        }
    }
}

impl FromStr for ShiftStatus {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(ShiftStatus::Open),
            "closed" => Ok(ShiftStatus::Closed),
            _ => Err(ParseEnumError { what: "shift status", value: s.into(), expected: "open, closed" }),
        }
    }
}

/// One shift as the book holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// `T1-20261125-2`: the till, the local day it opened, its number that day.
    pub shift_no: String,
    pub till: String,
    pub store: String,
    pub kind: ShiftKind,
    /// The cashier (none for a system shift).
    pub opened_by: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub opening_float: Money,
    pub status: ShiftStatus,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    /// Who took the drawer over.
    pub handed_to: Option<String>,
    /// The blind count (none for a system shift).
    pub counted_cash: Option<Money>,
    /// What the drawer should have held, fen (float + cash sales − cash refunds; may be negative).
    pub expected_cash: Option<i64>,
    /// The till's Z report that took this shift in.
    pub z_no: Option<i64>,
}

impl Shift {
    /// Counted − expected, fen: positive over, negative short (closed cashier shifts only).
    pub fn over_short(&self) -> Option<i64> {
        Some(self.counted_cash?.fen() - self.expected_cash?)
    }
}
