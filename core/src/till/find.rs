//! Finding a payment from what the customer or the cashier knows: the trade number on the
//! customer's Alipay/WeChat bill (or ours), the amount and roughly when, the last digits of the
//! payment code, the cashier, the shift. One small query language for the app's search box, the
//! CLI (`paydesk orders --find`) and the local API (`?find=`):
//!
//! | token | means |
//! |---|---|
//! | `4200001234…`, `P2026…`, `trade:X` | order number or channel trade number containing X (6+ characters) |
//! | `12.34`, `¥12.34`, `35`, `amount:12.34` | exactly this amount (yuan) |
//! | `14:05`, `2026-11-25`, `2026-11-25T14:05`, `at:…` | around that local time (± the window), or that whole day |
//! | `±20m`, `window:20m`, `window:2h` | the window around a time (default ± 30 minutes) |
//! | `*1234`, `code:1234` | the payment code ends in these digits (the book keeps the last four) |
//! | `cashier:NAME`, `shift:T1-20261125-1` | taken by this cashier, in this shift |
//!
//! Tokens combine (all must hold): `12.50 14:05 ±10m` is "12.50 yuan between 13:55 and 14:15
//! today". A time without a date is today's (the shop's zone).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::money::Money;
use crate::payments::PayError;
use crate::store::OrderFilter;

fn bad(message: impl Into<String>) -> PayError {
    PayError::Invalid { field: "find", message: message.into() }
}

fn window(s: &str) -> Result<Duration, PayError> {
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad(format!("{s:?} is not a window like 20m or 2h")))?;
    let d = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        _ => return Err(bad(format!("{s:?} is not a window like 20m or 2h"))),
    };
    if n <= 0 || d > Duration::days(7) {
        return Err(bad("the window must be between 1 minute and 7 days"));
    }
    Ok(d)
}

fn local(tz: chrono_tz::Tz, t: NaiveDateTime) -> Result<DateTime<Utc>, PayError> {
    tz.from_local_datetime(&t).earliest().map(|t| t.with_timezone(&Utc)).ok_or_else(|| bad(format!("{t} does not exist in {tz}")))
}

/// Parses a search into an order filter (newest first, at most `limit`).
pub fn parse(q: &str, tz: chrono_tz::Tz, now: DateTime<Utc>, limit: u32) -> Result<OrderFilter, PayError> {
    let mut f = OrderFilter { limit: Some(limit), ..Default::default() };
    let (mut date, mut time, mut win): (Option<NaiveDate>, Option<NaiveTime>, Option<Duration>) = (None, None, None);
    let mut any = false;
    for raw in q.split_whitespace() {
        any = true;
        let (key, val) = match raw.split_once(':') {
            Some((k, v)) if ["trade", "no", "amount", "at", "window", "code", "cashier", "shift"].contains(&k) => (k, v),
            _ => ("", raw),
        };
        if val.is_empty() {
            return Err(bad(format!("{raw:?} has nothing after the colon")));
        }
        let amount = |v: &str| Money::parse_yuan(v.trim_start_matches(['¥', '￥'])).map_err(|e| bad(format!("amount {v:?}: {e}")));
        let digits = |v: &str| v.bytes().all(|b| b.is_ascii_digit());
        match key {
            "trade" | "no" => f.text = Some(val.to_string()),
            "amount" => f.min_amount = Some(amount(val)?),
            "at" => parse_when(val, &mut date, &mut time)?,
            "window" => win = Some(window(val)?),
            "code" if digits(val) && (1..=4).contains(&val.len()) => f.code_tail = Some(val.into()),
            "code" => return Err(bad("code: give the last 1 to 4 digits of the payment code (the book keeps only those)")),
            "cashier" => f.operator = Some(val.into()),
            "shift" => f.shift_no = Some(val.into()),
            _ => {
                let v = val;
                if let Some(tail) = v.strip_prefix('*') {
                    if !digits(tail) || !(1..=4).contains(&tail.len()) {
                        return Err(bad("*DIGITS: give the last 1 to 4 digits of the payment code"));
                    }
                    f.code_tail = Some(tail.into());
                } else if let Some(w) = v.strip_prefix('±').or_else(|| v.strip_prefix("+-")) {
                    win = Some(window(w)?);
                } else if v.starts_with(['¥', '￥']) || (v.len() <= 9 && v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.matches('.').count() <= 1 && !(v.len() >= 6 && digits(v))) {
                    f.min_amount = Some(amount(v)?);
                } else if v.contains(':') || (v.len() == 10 && v.as_bytes().get(4) == Some(&b'-')) || v.contains('T') && v.as_bytes().get(4) == Some(&b'-') {
                    parse_when(v, &mut date, &mut time)?;
                } else if v.chars().count() >= 6 && v.chars().all(|c| c.is_ascii_alphanumeric()) {
                    f.text = Some(v.to_string());
                } else {
                    return Err(bad(format!("{v:?} is not a trade number (6+ letters or digits), an amount, a time, *DIGITS, cashier:NAME or shift:NO")));
                }
            }
        }
    }
    if !any {
        return Err(bad("say what to look for: a trade number, an amount, a time, *1234 …"));
    }
    f.max_amount = f.min_amount;
    let today = now.with_timezone(&tz).date_naive();
    match (date, time) {
        (d, Some(t)) => {
            let at = local(tz, NaiveDateTime::new(d.unwrap_or(today), t))?;
            let w = win.unwrap_or(Duration::minutes(30));
            f.from = Some(at - w);
            f.to = Some(at + w);
        }
        (Some(d), None) => {
            f.from = Some(local(tz, d.and_time(NaiveTime::MIN))?);
            f.to = Some(local(tz, (d + Duration::days(1)).and_time(NaiveTime::MIN))?);
        }
        (None, None) if win.is_some() => return Err(bad("a window needs a time to be around (14:05 ±10m)")),
        (None, None) => {}
    }
    Ok(f)
}

fn parse_when(v: &str, date: &mut Option<NaiveDate>, time: &mut Option<NaiveTime>) -> Result<(), PayError> {
    let (d, t) = match v.split_once('T') {
        Some((d, t)) => (Some(d), Some(t)),
        None if v.contains(':') => (None, Some(v)),
        None => (Some(v), None),
    };
    if let Some(d) = d {
        *date = Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad(format!("{d:?} is not a date like 2026-11-25")))?);
    }
    if let Some(t) = t {
        *time = Some(NaiveTime::parse_from_str(t, "%H:%M").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S")).map_err(|_| bad(format!("{t:?} is not a time like 14:05")))?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-25T06:00:00Z".parse().unwrap() // 14:00 in Shanghai
    }

    fn p(q: &str) -> OrderFilter {
        parse(q, chrono_tz::Asia::Shanghai, now(), 50).unwrap()
    }

    #[test]
    fn reads_what_the_customer_knows() {
        let f = p("4200001234567890");
        assert_eq!(f.text.as_deref(), Some("4200001234567890"));
        let f = p("12.34 13:50 ±10m");
        assert_eq!((f.min_amount, f.max_amount), (Some(Money::from_fen(1234).unwrap()), Some(Money::from_fen(1234).unwrap())));
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-11-25T05:40:00+00:00");
        assert_eq!(f.to.unwrap().to_rfc3339(), "2026-11-25T06:00:00+00:00");
        let f = p("¥35 2026-11-24");
        assert_eq!(f.min_amount.unwrap().fen(), 3500);
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-11-23T16:00:00+00:00");
        assert_eq!(f.to.unwrap().to_rfc3339(), "2026-11-24T16:00:00+00:00");
        let f = p("*6789 cashier:王芳 shift:T1-20261125-1");
        assert_eq!((f.code_tail.as_deref(), f.operator.as_deref(), f.shift_no.as_deref()), (Some("6789"), Some("王芳"), Some("T1-20261125-1")));
        let f = p("at:2026-11-25T09:30 window:2h amount:8");
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-11-24T23:30:00+00:00");
        assert_eq!(f.min_amount.unwrap().fen(), 800);
    }

    #[test]
    fn refuses_what_it_cannot_read_naming_the_field() {
        for q in ["", "12.345", "*12345", "±10m", "code:abcd", "ab", "25:99", "window:0m"] {
            let e = parse(q, chrono_tz::Asia::Shanghai, now(), 50).unwrap_err();
            assert_eq!(e.code(), "invalid", "{q}");
            assert!(e.to_string().starts_with("find:"), "{q}: {e}");
        }
    }
}
