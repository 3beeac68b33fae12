//! Bulk import of historical orders (`paydesk orders import FILE`): a shop moving from another
//! system loads its past orders into the book, so its sales figures, refunds and
//! reconciliation see them. The format is documented in `docs/orders-import.md`; one record per
//! order, CSV (UTF-8, optional BOM, header names the columns) or JSON (an array of objects, or
//! one object per line), money as yuan strings (`"12.34"`), never floats.
//!
//! Invariants: the whole file is validated first — every error names its line and field, and
//! nothing is written while any remains; then it is written in **one** transaction (all or
//! nothing). Imported orders are final (paid, refunded, closed or failed), carry origin
//! `import` and a history event of source `import` naming the file; the sales pre-aggregates
//! follow through the book's triggers; no merchant notification is sent for them.

mod fields;

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Timelike, Utc};
use rustc_hash::FxHashMap;

use crate::account::AccountConfig;
use crate::ids::{OrderNo, RefundNo};
use crate::money::Money;
use crate::order::{Method, OrderStatus, PayKind};
use crate::store::{ImportedOrder, Store, StoreError};

pub use fields::{Fields, COLUMNS};

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    Json,
}

impl ImportFormat {
    /// By the file name's extension (`.json`, `.jsonl`, `.ndjson` → JSON), else by the first
    /// byte (`[` or `{` → JSON), else CSV.
    pub fn guess(name: &str, bytes: &[u8]) -> ImportFormat {
        let lower = name.to_ascii_lowercase();
        if [".json", ".jsonl", ".ndjson"].iter().any(|e| lower.ends_with(e)) {
            return ImportFormat::Json;
        }
        let first = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes).iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first, Some(b'[' | b'{')) {
            ImportFormat::Json
        } else {
            ImportFormat::Csv
        }
    }
}

/// What to import and how to read what the file leaves out.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Times without an offset are local times of this zone (the shop's).
    pub tz: chrono_tz::Tz,
    /// The till of orders whose number does not say (this home's till id).
    pub till: String,
    /// The file's name, recorded in every imported order's history.
    pub file_name: String,
    /// Validate only; write nothing.
    pub dry_run: bool,
    /// Who imports (recorded on every order, refund and event).
    pub by: crate::Principal,
}

/// What an import wrote (or, for a dry run, would write).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub orders: u64,
    pub refunds: u64,
    /// Paid orders (success and refunded) and their amount, fen.
    pub paid: u64,
    pub paid_amount: i64,
    pub refunded_amount: i64,
    pub first_created: Option<DateTime<Utc>>,
    pub last_created: Option<DateTime<Utc>>,
    pub dry_run: bool,
}

/// One error of a file: the 1-based line (of the record's start) and the field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file has errors (the first [`MAX_ERRORS`], and how many there are in all).
    #[error("{} error(s) in the file, nothing was imported; {}", .total, .errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid { errors: Vec<LineError>, total: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Errors listed before the rest are only counted.
pub const MAX_ERRORS: usize = 20;

/// An account as the import needs it.
struct Acct {
    channel: String,
    fee_bp: u32,
    method: Option<Method>,
}

/// The rules, applied to one record.
struct Rules<'a> {
    accounts: HashMap<String, Acct>,
    opts: &'a ImportOptions,
    clock: Clock,
}

/// Shop-local times to UTC, remembering the offset of the last local hour (a file's times come
/// in order: a million of them cost a handful of time-zone look-ups).
struct Clock {
    tz: chrono_tz::Tz,
    /// (local hour since 1970, offset in seconds) of an hour without a change of offset.
    last: std::cell::Cell<Option<(i64, i64)>>,
}

impl Clock {
    fn utc(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        use chrono::Offset;
        let secs = local.and_utc().timestamp();
        let hour = secs.div_euclid(3600);
        if let Some((h, off)) = self.last.get() {
            if h == hour {
                return DateTime::from_timestamp(secs - off, local.and_utc().timestamp_subsec_nanos());
            }
        }
        let t = self.tz.from_local_datetime(&local).earliest()?;
        let off = i64::from(t.offset().fix().local_minus_utc());
        let same = |s: i64| DateTime::from_timestamp(s, 0).and_then(|d| self.tz.from_local_datetime(&d.naive_utc()).earliest()).is_some_and(|x| i64::from(x.offset().fix().local_minus_utc()) == off);
        if same(hour * 3600) && same(hour * 3600 + 3599) {
            self.last.set(Some((hour, off)));
        }
        Some(t.with_timezone(&Utc))
    }
}

/// A record, checked, in the book's terms (numbers and texts borrowed from the file).
fn check<'a>(r: &'a Rules<'_>, f: &Fields<'a>) -> Result<ImportedOrder<'a>, (&'static str, String)> {
    let req = |name: &'static str, v: Option<&'a str>| v.filter(|s| !s.is_empty()).ok_or((name, "required".to_string()));
    let order_no = req("order_no", f.order_no)?;
    OrderNo::check(order_no).map_err(|e| ("order_no", e.to_string()))?;
    let account = req("account", f.account)?;
    let a = r.accounts.get(account).ok_or(("account", format!("no account named {account:?} in this book (add it with `paydesk accounts import` first)")))?;
    if let Some(ch) = f.channel.filter(|c| !c.is_empty()) {
        if ch != a.channel {
            return Err(("channel", format!("{ch:?}, but account {account} is a {} account", a.channel)));
        }
    }
    let method = match f.method.filter(|m| !m.is_empty()) {
        Some(m) => m.parse::<Method>().map_err(|e| ("method", e.to_string()))?,
        None => a.method.ok_or(("method", format!("required: account {account} serves no single method", )))?,
    };
    let kind = match f.kind.filter(|k| !k.is_empty()) {
        Some(k) => k.parse::<PayKind>().map_err(|e| ("kind", e.to_string()))?,
        None => PayKind::Qr,
    };
    let money = |name: &'static str, v: &str| Money::parse_yuan(v.trim()).map_err(|e| (name, format!("{v:?}: {e}")));
    let amount = money("amount", req("amount", f.amount)?)?;
    if amount.is_zero() {
        return Err(("amount", "must be more than 0.00".into()));
    }
    let fee = match f.fee.filter(|v| !v.is_empty()) {
        Some(v) => money("fee", v)?,
        None => amount.fee_at(a.fee_bp),
    };
    let status: OrderStatus = req("status", f.status)?.parse().map_err(|e: crate::order::ParseEnumError| ("status", e.to_string()))?;
    if !status.is_final() {
        return Err(("status", format!("{status}: only final orders can be imported (success, refunded, closed, failed)")));
    }
    let time = |name: &'static str, v: &str| parse_time(v, &r.clock).ok_or((name, format!("{v:?} is not a time like 2026-11-25 10:00:00 (shop time) or 2026-11-25T02:00:00Z")));
    let created = time("created_at", req("created_at", f.created_at)?)?;
    let paid_at = f.paid_at.filter(|v| !v.is_empty()).map(|v| time("paid_at", v)).transpose()?;
    let paid = matches!(status, OrderStatus::Success | OrderStatus::Refunded);
    match (paid, paid_at) {
        (true, None) => return Err(("paid_at", format!("required for a {status} order"))),
        (false, Some(_)) => return Err(("paid_at", format!("a {status} order was not paid: leave it empty"))),
        (true, Some(p)) if p < created => return Err(("paid_at", "before created_at".into())),
        _ => {}
    }
    let refunded = match f.refunded.filter(|v| !v.is_empty()) {
        Some(v) => money("refunded", v)?,
        None if status == OrderStatus::Refunded => amount,
        None => Money::ZERO,
    };
    match status {
        OrderStatus::Refunded if refunded != amount => return Err(("refunded", format!("a refunded order is refunded in full ({amount}); a partial refund is a success order with refunded < amount"))),
        OrderStatus::Success if refunded >= amount => return Err(("refunded", format!("{refunded} is not less than the amount {amount}: use status refunded"))),
        OrderStatus::Closed | OrderStatus::Failed if !refunded.is_zero() => return Err(("refunded", format!("a {status} order has nothing to refund"))),
        _ => {}
    }
    let refund = if refunded.is_zero() {
        None
    } else {
        let at = time("refunded_at", req("refunded_at", f.refunded_at)?)?;
        if paid_at.is_some_and(|p| at < p) {
            return Err(("refunded_at", "before paid_at".into()));
        }
        let no = match f.refund_no.filter(|v| !v.is_empty()) {
            Some(n) => {
                RefundNo::check(n).map_err(|e| ("refund_no", e.to_string()))?;
                std::borrow::Cow::Borrowed(n)
            }
            None => std::borrow::Cow::Owned(format!("R{}", &order_no[1..])),
        };
        Some((no, at.timestamp_millis()))
    };
    let till = match f.till.filter(|t| !t.is_empty()) {
        Some(t) => t.parse::<crate::ids::TillId>().map(|_| std::borrow::Cow::Borrowed(t)).map_err(|e| ("till", e.to_string()))?,
        None => std::borrow::Cow::Borrowed(till_of(order_no).unwrap_or(&r.opts.till)),
    };
    let text = |name: &'static str, v: Option<&'a str>, max: usize| -> Result<Option<&'a str>, (&'static str, String)> {
        match v.filter(|s| !s.is_empty()) {
            Some(s) if s.chars().count() > max => Err((name, format!("longer than {max} characters"))),
            Some(s) if s.chars().any(char::is_control) => Err((name, "contains control characters".into())),
            other => Ok(other),
        }
    };
    Ok(ImportedOrder {
        order_no,
        kind,
        method,
        channel: &r.accounts[account].channel,
        account,
        amount: amount.fen(),
        refunded: refunded.fen(),
        fee: fee.fen(),
        status,
        subject: text("subject", f.subject, 256)?.unwrap_or("导入 imported"),
        channel_trade_no: text("channel_trade_no", f.channel_trade_no, 64)?,
        operator: text("operator", f.operator, 64)?,
        till,
        created_at: created.timestamp_millis(),
        paid_at: paid_at.map(|p| p.timestamp_millis()),
        refund,
    })
}

/// The till id inside a Paydesk-shaped order number.
fn till_of(order_no: &str) -> Option<&str> {
    crate::ids::issued_by_paydesk(order_no, 'P').then(|| &order_no[18..order_no.len() - 3])
}

/// `2026-11-25 10:00:00[.123]` (local) or RFC 3339 with an offset.
fn parse_time(s: &str, clock: &Clock) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let b = s.as_bytes();
    let local = match b.len() {
        19 => crate::statement::parse_time(b),
        23 if b[19] == b'.' && b[20..].iter().all(u8::is_ascii_digit) => {
            let ms = b[20..].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
            crate::statement::parse_time(&b[..19]).and_then(|t| t.with_nanosecond(ms * 1_000_000))
        }
        _ => None,
    };
    if let Some(l) = local {
        return clock.utc(l);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    clock.utc(chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()?)
}

/// Collects errors, the first [`MAX_ERRORS`] in full.
#[derive(Default)]
struct Errors {
    list: Vec<LineError>,
    total: u64,
}

impl Errors {
    fn push(&mut self, line: u64, field: &str, message: String) {
        self.total += 1;
        if self.list.len() < MAX_ERRORS {
            self.list.push(LineError { line, field: field.into(), message });
        }
    }
}

/// Numbers seen in the file so far (orders and refunds share the check), with their line.
#[derive(Default)]
struct Seen {
    names: String,
    at: FxHashMap<u64, (u32, u16, u64)>,
}

impl Seen {
    /// The line that had `no` already, if any.
    fn add(&mut self, no: &str, line: u64) -> Option<u64> {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(no);
        let mut h = h;
        loop {
            match self.at.get(&h) {
                Some(&(a, n, l)) if &self.names[a as usize..a as usize + n as usize] == no => return Some(l),
                Some(_) => h = h.wrapping_add(0x9E37_79B9_7F4A_7C15),
                None => break,
            }
        }
        self.at.insert(h, (self.names.len() as u32, no.len() as u16, line));
        self.names.push_str(no);
        None
    }
}

fn accounts(store: &Store) -> Result<HashMap<String, Acct>, StoreError> {
    Ok(store
        .accounts()?
        .into_iter()
        .map(|a: AccountConfig| {
            let method = match a.methods.as_slice() {
                [m] => Some(*m),
                [] => a.channel.parse::<Method>().ok(),
                _ => None,
            };
            (a.name.clone(), Acct { channel: a.channel, fee_bp: a.fee_rate_bp, method })
        })
        .collect())
}

/// Imports the orders of a file (its bytes): validates all of it, then writes all of it in one
/// transaction. See the module doc.
pub fn import_orders(store: &Store, bytes: &[u8], format: ImportFormat, opts: &ImportOptions, progress: &dyn Fn(&str, u64)) -> Result<ImportReport, ImportError> {
    let rules = Rules { accounts: accounts(store)?, opts, clock: Clock { tz: opts.tz, last: std::cell::Cell::new(None) } };
    let mut errors = Errors::default();
    let mut seen = Seen::default();
    let mut report = ImportReport { dry_run: opts.dry_run, ..Default::default() };
    // Pass 1: every record checked; nothing written.
    fields::each(bytes, format, &mut |line, f| {
        match f.and_then(|f| check(&rules, &f).map_err(|(field, message)| LineError { line, field: field.into(), message })) {
            Ok(o) => {
                if let Some(first) = seen.add(o.order_no, line) {
                    errors.push(line, "order_no", format!("{} is also on line {first}", o.order_no));
                }
                if let Some((no, _)) = &o.refund {
                    if let Some(first) = seen.add(no, line) {
                        errors.push(line, "refund_no", format!("{no} is also on line {first}"));
                    }
                }
                report.orders += 1;
                report.refunds += u64::from(o.refund.is_some());
                if o.paid_at.is_some() {
                    report.paid += 1;
                    report.paid_amount += o.amount;
                }
                report.refunded_amount += o.refunded;
                let c = DateTime::from_timestamp_millis(o.created_at);
                report.first_created = report.first_created.min(c).or(c);
                report.last_created = report.last_created.max(c);
            }
            Err(e) => errors.push(e.line, &e.field, e.message),
        }
        if line % 100_000 == 0 {
            progress("check", report.orders);
        }
    });
    if errors.total > 0 {
        return Err(ImportError::Invalid { errors: errors.list, total: errors.total });
    }
    if report.orders == 0 {
        return Err(ImportError::Invalid { errors: vec![LineError { line: 1, field: String::new(), message: "no orders in the file".into() }], total: 1 });
    }
    if opts.dry_run {
        return Ok(report);
    }
    // Pass 2: written in one transaction; a number the book holds already stops it all.
    let written = store.import_orders(&opts.file_name, &opts.by, |add: &mut dyn FnMut(&ImportedOrder<'_>) -> Result<(), StoreError>| {
        let mut failed: Option<ImportError> = None;
        let mut n = 0u64;
        fields::each(bytes, format, &mut |line, f| {
            if failed.is_some() {
                return;
            }
            let Ok(o) = f.and_then(|f| check(&rules, &f).map_err(|(field, message)| LineError { line, field: field.into(), message })) else { return };
            if let Err(e) = add(&o) {
                failed = Some(match e {
                    StoreError::Conflict(m) => ImportError::Invalid { errors: vec![LineError { line, field: "order_no".into(), message: m }], total: 1 },
                    other => ImportError::Store(other),
                });
            }
            n += 1;
            if n.is_multiple_of(100_000) {
                progress("write", n);
            }
        });
        Ok(failed)
    })?;
    if let Some(e) = written {
        return Err(e);
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
