//! Folding the per-(day, hour, channel, method) counters into the dashboard's figures.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::Serialize;

use super::{Dashboard, Period, Total, Window, TOP_FAILURES};
use crate::store::{FailureGroup, SalesCell};

/// The headline numbers of one period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub gross: Total,
    pub refunds: Total,
    /// Gross − refunds.
    pub net: Total,
    pub fees: Total,
    /// Paid orders.
    pub orders: i64,
    /// Successful refunds.
    pub refund_count: i64,
    /// Orders that reached a final state.
    pub attempts: i64,
    pub failed: i64,
    pub closed: i64,
    /// Gross / orders, rounded half up (zero without orders).
    pub average_ticket: Total,
    /// Paid / attempts in basis points (`None` without attempts).
    pub success_rate_bp: Option<i64>,
}

/// What a KPI's numbers count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Fen,
    Count,
    /// Hundredths of a percent.
    BasisPoints,
}

/// One KPI card: the value, the previous period's, and the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kpi {
    /// `gross`, `refunds`, `net`, `orders`, `average_ticket`, `success_rate`, `fees`.
    pub key: &'static str,
    pub unit: Unit,
    pub value: Option<i64>,
    pub previous: Option<i64>,
    /// `value − previous`, in the KPI's unit.
    pub diff: Option<i64>,
    /// Relative change in basis points (`None` for rates and when the previous value is 0).
    pub change_bp: Option<i64>,
    /// Whether a rise is good news (refunds and fees: no).
    pub higher_is_better: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub gross: Total,
    pub refunds: Total,
    pub net: Total,
    pub orders: i64,
    pub attempts: i64,
    /// The corresponding day of the previous period and its gross (aligned by position).
    pub previous_date: Option<NaiveDate>,
    pub previous_gross: Option<Total>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HourFigures {
    pub hour: u8,
    pub orders: i64,
    pub gross: Total,
    /// The previous period's gross in the same hour.
    pub previous_gross: Total,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WeekdayFigures {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    pub orders: i64,
    pub gross: Total,
    /// How many of this weekday the window holds (for averages).
    pub days: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelFigures {
    pub channel: String,
    pub attempts: i64,
    pub orders: i64,
    pub failed: i64,
    pub closed: i64,
    pub success_rate_bp: Option<i64>,
    pub gross: Total,
    pub fees: Total,
    pub refunds: Total,
    pub refund_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MethodFigures {
    pub method: String,
    pub orders: i64,
    pub gross: Total,
    /// Share of the period's gross, basis points.
    pub share_bp: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureReason {
    pub channel: String,
    /// The channel's code (`ACQ.BUYER_BALANCE_NOT_ENOUGH`, `NOTENOUGH`, …) or `CLOSED`.
    pub code: String,
    /// The most frequent message recorded with it.
    pub message: String,
    pub count: i64,
    /// Share of the unpaid attempts (failed + closed), basis points.
    pub share_bp: i64,
}

pub(super) struct Input<'a> {
    pub period: Period,
    pub tz: chrono_tz::Tz,
    pub now: DateTime<Utc>,
    pub window: Window,
    pub previous_window: Window,
    pub cells: &'a [SalesCell],
    pub prev_cells: &'a [SalesCell],
    pub failures: &'a [FailureGroup],
}

/// `a / b` rounded half up, for non-negative `a` and positive `b`.
fn div_round(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let (a, b) = (i128::from(a), i128::from(b));
    i64::try_from((2 * a + b) / (2 * b)).unwrap_or(i64::MAX)
}

fn rate_bp(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| div_round(part * 10_000, whole))
}

fn day_of(n: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n + 719_163).unwrap_or(0)).unwrap_or_default()
}

fn totals(cells: &[SalesCell]) -> Totals {
    let mut t = Totals::default();
    for c in cells {
        t.gross.0 += c.gross;
        t.refunds.0 += c.refunded;
        t.fees.0 += c.fees;
        t.orders += c.paid;
        t.refund_count += c.refunds;
        t.attempts += c.attempts;
        t.failed += c.failed;
        t.closed += c.closed;
    }
    t.net = Total(t.gross.0 - t.refunds.0);
    t.average_ticket = Total(div_round(t.gross.0, t.orders));
    t.success_rate_bp = rate_bp(t.orders, t.attempts);
    t
}

fn kpis(cur: &Totals, prev: &Totals) -> Vec<Kpi> {
    let money = |key, a: Total, b: Total, higher_is_better| (key, Unit::Fen, Some(a.0), Some(b.0), higher_is_better);
    let rows = [
        money("gross", cur.gross, prev.gross, true),
        money("refunds", cur.refunds, prev.refunds, false),
        money("net", cur.net, prev.net, true),
        ("orders", Unit::Count, Some(cur.orders), Some(prev.orders), true),
        ("average_ticket", Unit::Fen, (cur.orders > 0).then_some(cur.average_ticket.0), (prev.orders > 0).then_some(prev.average_ticket.0), true),
        ("success_rate", Unit::BasisPoints, cur.success_rate_bp, prev.success_rate_bp, true),
        money("fees", cur.fees, prev.fees, false),
    ];
    rows.into_iter()
        .map(|(key, unit, value, previous, higher_is_better)| {
            let diff = value.zip(previous).map(|(a, b)| a - b);
            let change_bp = match (unit, value, previous) {
                (Unit::BasisPoints, ..) => None,
                (_, Some(a), Some(b)) if b != 0 => {
                    let d = i128::from(a - b) * 10_000;
                    let b = i128::from(b.abs());
                    // Rounded half away from zero.
                    i64::try_from(if d >= 0 { (2 * d + b) / (2 * b) } else { -((-2 * d + b) / (2 * b)) }).ok()
                }
                _ => None,
            };
            Kpi { key, unit, value, previous, diff, change_bp, higher_is_better }
        })
        .collect()
}

fn by_day(input: &Input<'_>) -> Vec<DayFigures> {
    let w = &input.window;
    let pw = &input.previous_window;
    let mut days: BTreeMap<NaiveDate, DayFigures> = BTreeMap::new();
    let mut prev_gross: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for c in input.prev_cells {
        *prev_gross.entry(day_of(c.day)).or_default() += c.gross;
    }
    for i in 0..w.days() {
        let date = w.from + Days::new(u64::try_from(i).unwrap_or(0));
        let previous_date = (i < pw.days()).then(|| pw.from + Days::new(u64::try_from(i).unwrap_or(0)));
        let previous_gross = previous_date.map(|d| Total(prev_gross.get(&d).copied().unwrap_or(0)));
        let z = Total(0);
        days.insert(date, DayFigures { date, gross: z, refunds: z, net: z, orders: 0, attempts: 0, previous_date, previous_gross });
    }
    for c in input.cells {
        if let Some(d) = days.get_mut(&day_of(c.day)) {
            d.gross.0 += c.gross;
            d.refunds.0 += c.refunded;
            d.orders += c.paid;
            d.attempts += c.attempts;
        }
    }
    days.into_values().map(|d| DayFigures { net: Total(d.gross.0 - d.refunds.0), ..d }).collect()
}

fn channels(cells: &[SalesCell]) -> Vec<ChannelFigures> {
    let mut m: BTreeMap<&str, ChannelFigures> = BTreeMap::new();
    for c in cells {
        let f = m.entry(&c.channel).or_insert_with(|| ChannelFigures { channel: c.channel.clone(), ..Default::default() });
        f.attempts += c.attempts;
        f.orders += c.paid;
        f.failed += c.failed;
        f.closed += c.closed;
        f.gross.0 += c.gross;
        f.fees.0 += c.fees;
        f.refunds.0 += c.refunded;
        f.refund_count += c.refunds;
    }
    let mut v: Vec<_> = m.into_values().map(|f| ChannelFigures { success_rate_bp: rate_bp(f.orders, f.attempts), ..f }).collect();
    v.sort_by(|a, b| b.gross.cmp(&a.gross).then_with(|| a.channel.cmp(&b.channel)));
    v
}

fn methods(cells: &[SalesCell], gross: i64) -> Vec<MethodFigures> {
    let mut m: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for c in cells.iter().filter(|c| c.paid != 0 || c.gross != 0) {
        let e = m.entry(&c.method).or_default();
        e.0 += c.paid;
        e.1 += c.gross;
    }
    let mut v: Vec<_> = m
        .into_iter()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(method, (orders, g))| MethodFigures { method: method.to_string(), orders, gross: Total(g), share_bp: if gross > 0 { g * 10_000 / gross } else { 0 } })
        .collect();
    // Largest remainders get the basis points lost to truncation, so shares add up to 100 %.
    if gross > 0 {
        let mut short = 10_000 - v.iter().map(|x| x.share_bp).sum::<i64>();
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse((v[i].gross.0 * 10_000) % gross));
        for i in order {
            if short <= 0 {
                break;
            }
            v[i].share_bp += 1;
            short -= 1;
        }
    }
    v.sort_by(|a, b| b.gross.cmp(&a.gross).then_with(|| a.method.cmp(&b.method)));
    v
}

/// Codes Paydesk itself records for a channel error; the channel's own code is in the message.
const GENERIC: [&str; 9] = ["rejected", "unavailable", "timeout", "unreachable", "protocol", "mismatch", "signature_invalid", "config", "unsupported"];

/// The reason key and message a failed or closed order is grouped under.
pub(super) fn reason_of(g: &FailureGroup) -> (String, String) {
    let msg = g.message.as_deref().unwrap_or("").trim();
    match g.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None if g.closed => ("CLOSED".into(), if msg.is_empty() { "closed unpaid (expired or cancelled)".into() } else { msg.into() }),
        None => ("UNKNOWN".into(), msg.into()),
        Some(code) if GENERIC.contains(&code.to_ascii_lowercase().as_str()) => {
            // "alipay refused: 余额不足 (ACQ.BUYER_BALANCE_NOT_ENOUGH)" → the code in brackets.
            let inner = msg.strip_suffix(')').and_then(|m| m.rsplit_once(" (")).filter(|(_, c)| !c.is_empty() && !c.contains(' '));
            match inner {
                Some((text, c)) => {
                    let text = text.split_once(": ").map_or(text, |(_, t)| t);
                    (c.to_ascii_uppercase(), text.trim().to_string())
                }
                None => (code.to_ascii_uppercase(), msg.into()),
            }
        }
        Some(code) => (code.to_ascii_uppercase(), msg.into()),
    }
}

fn failures(groups: &[FailureGroup], unpaid: i64) -> Vec<FailureReason> {
    // (channel, code) → (count, best message, its count)
    let mut m: BTreeMap<(String, String), (i64, String, i64)> = BTreeMap::new();
    for g in groups {
        let (code, message) = reason_of(g);
        let e = m.entry((g.channel.clone(), code)).or_insert((0, String::new(), -1));
        e.0 += g.count;
        if g.count > e.2 {
            e.1 = message;
            e.2 = g.count;
        }
    }
    let mut v: Vec<_> = m
        .into_iter()
        .map(|((channel, code), (count, message, _))| FailureReason { channel, code, message, count, share_bp: rate_bp(count, unpaid).unwrap_or(0) })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.channel.cmp(&b.channel)).then_with(|| a.code.cmp(&b.code)));
    v.truncate(TOP_FAILURES);
    v
}

pub(super) fn fold(input: Input<'_>) -> Dashboard {
    let current = totals(input.cells);
    let previous = totals(input.prev_cells);
    let mut by_hour: Vec<HourFigures> = (0..24).map(|hour| HourFigures { hour, orders: 0, gross: Total(0), previous_gross: Total(0) }).collect();
    let mut by_weekday: Vec<WeekdayFigures> = (1..=7).map(|weekday| WeekdayFigures { weekday, orders: 0, gross: Total(0), days: 0 }).collect();
    let mut heatmap = vec![vec![0i64; 24]; 7];
    for c in input.cells {
        let h = usize::from(c.hour.min(23));
        let wd = day_of(c.day).weekday().num_days_from_monday() as usize;
        by_hour[h].orders += c.paid;
        by_hour[h].gross.0 += c.gross;
        by_weekday[wd].orders += c.paid;
        by_weekday[wd].gross.0 += c.gross;
        heatmap[wd][h] += c.paid;
    }
    for c in input.prev_cells {
        by_hour[usize::from(c.hour.min(23))].previous_gross.0 += c.gross;
    }
    for i in 0..input.window.days() {
        let d = input.window.from + Days::new(u64::try_from(i).unwrap_or(0));
        by_weekday[d.weekday().num_days_from_monday() as usize].days += 1;
    }
    Dashboard {
        period: input.period,
        timezone: input.tz.name().to_string(),
        generated_at: input.now,
        window: input.window,
        previous_window: input.previous_window,
        kpis: kpis(&current, &previous),
        by_day: by_day(&input),
        by_hour,
        by_weekday,
        heatmap,
        channels: channels(input.cells),
        methods: methods(input.cells, current.gross.0),
        failures: failures(input.failures, current.failed + current.closed),
        current,
        previous,
        tills: None,
    }
}
