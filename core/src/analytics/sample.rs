//! Realistic, deterministic sales history for demo mode and benchmarks: a café-bakery that is
//! busy at breakfast, lunch and dinner, busier at weekends, with a few refunds, refused payments
//! and QR codes left unpaid. Same seed, same book.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::ids::{NumberGen, TillId};
use crate::money::Money;
use crate::order::{mask_auth_code, Method, OrderStatus, PayKind};
use crate::store::{HistoryOrder, HistoryRefund, NewOrder};

/// An account the history is spread over.
#[derive(Clone, Debug)]
pub struct SampleAccount {
    pub account: String,
    pub channel: String,
    pub method: Method,
    pub fee_rate_bp: u32,
    /// Relative share of payments.
    pub weight: u32,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct SampleSpec {
    pub accounts: Vec<SampleAccount>,
    pub tz: chrono_tz::Tz,
    pub till: TillId,
    /// Average orders on a Friday-like day; weekends get more, early weekdays fewer.
    pub orders_per_day: u32,
    pub operators: Vec<String>,
    pub seed: u64,
}

/// Orders per local hour (index = hour): breakfast, lunch and dinner peaks.
const HOURLY: [u32; 24] = [0, 0, 0, 0, 0, 0, 0, 3, 9, 6, 5, 10, 16, 9, 5, 5, 6, 10, 14, 11, 7, 4, 0, 0];
/// Monday … Sunday, in percent.
const WEEKDAY: [u32; 7] = [85, 80, 85, 92, 110, 140, 130];

/// What a failure looks like in the book, by channel: (code, message).
fn failure(channel: &str, rng: &mut StdRng) -> (String, String) {
    let pick: &[(&str, &str)] = match channel {
        "alipay" => &[
            ("rejected", "alipay refused: 买家余额不足 (ACQ.BUYER_BALANCE_NOT_ENOUGH)"),
            ("rejected", "alipay refused: 支付失败，付款码无效 (ACQ.PAYMENT_AUTH_CODE_INVALID)"),
            ("rejected", "alipay refused: 买家付款日限额超限 (ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR)"),
        ],
        "wechat" => &[("NOTENOUGH", "余额不足"), ("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试"), ("PAYERROR", "支付失败，请撤销订单")],
        _ => &[("rejected", "sandbox refused: card declined (DECLINED)"), ("rejected", "sandbox refused: insufficient balance (BALANCE)")],
    };
    let (c, m) = pick[rng.gen_range(0..pick.len()).min(rng.gen_range(0..pick.len()))];
    (c.to_string(), m.to_string())
}

/// A plausible ticket: coffee and pastry most often, lunches, now and then a cake order.
fn ticket(rng: &mut StdRng) -> (i64, &'static str) {
    let (yuan, subject) = match rng.gen_range(0..100) {
        0..=54 => (rng.gen_range(12..=42), ["拿铁", "美式咖啡", "可颂", "卡布奇诺", "抹茶拿铁"][rng.gen_range(0..5)]),
        55..=89 => (rng.gen_range(28..=96), ["午市套餐", "三明治套餐", "意面", "沙拉"][rng.gen_range(0..4)]),
        _ => (rng.gen_range(98..=488), ["生日蛋糕", "咖啡豆 1kg", "礼盒"][rng.gen_range(0..3)]),
    };
    let cents = [0, 0, 0, 50, 80, 90][rng.gen_range(0..6)];
    (yuan * 100 + cents, subject)
}

/// Generates `from..=to` (local days), stopping at `now`, one batch per day, oldest first.
pub fn history(spec: &SampleSpec, from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> impl Iterator<Item = Vec<HistoryOrder>> + '_ {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let orders = NumberGen::new(spec.till.clone(), spec.tz);
    let refunds = NumberGen::new(spec.till.clone(), spec.tz);
    let total_weight: u32 = spec.accounts.iter().map(|a| a.weight).sum::<u32>().max(1);
    let days = (to - from).num_days().max(-1) + 1;
    (0..days).map(move |i| {
        let date = from + Days::new(u64::try_from(i).unwrap_or(0));
        day(spec, date, now, total_weight, &mut rng, &orders, &refunds)
    })
}

fn day(spec: &SampleSpec, date: NaiveDate, now: DateTime<Utc>, total_weight: u32, rng: &mut StdRng, orders: &NumberGen, refunds: &NumberGen) -> Vec<HistoryOrder> {
    // Slow growth over the year, weekly rhythm, day-to-day noise.
    let season = 100 + (date.ordinal() % 90) / 9;
    let wd = WEEKDAY[date.weekday().num_days_from_monday() as usize];
    let n = u64::from(spec.orders_per_day) * u64::from(wd) * u64::from(season) * rng.gen_range(85..=115) / (100 * 100 * 100 * 110 / 100);
    let hour_total: u32 = HOURLY.iter().sum();
    let mut times: Vec<DateTime<Utc>> = (0..n)
        .filter_map(|_| {
            let mut pick = rng.gen_range(0..hour_total);
            let hour = HOURLY.iter().position(|&w| if pick < w { true } else { pick -= w; false }).unwrap_or(12);
            let t = NaiveTime::from_hms_milli_opt(u32::try_from(hour).unwrap_or(12), rng.gen_range(0..60), rng.gen_range(0..60), rng.gen_range(0..1000))?;
            spec.tz.from_local_datetime(&date.and_time(t)).earliest().map(|x| x.with_timezone(&Utc))
        })
        .filter(|t| *t < now - Duration::minutes(2))
        .collect();
    times.sort();
    let mut out = Vec::with_capacity(times.len());
    for created_at in times {
        let mut pick = rng.gen_range(0..total_weight);
        let Some(acct) = spec.accounts.iter().find(|a| if pick < a.weight { true } else { pick -= a.weight; false }) else { continue };
        let (fen, subject) = ticket(rng);
        let amount = Money::from_fen(fen).unwrap_or(Money::ZERO);
        let kind = if rng.gen_bool(0.62) { PayKind::Barcode } else { PayKind::Qr };
        let code = match acct.method {
            Method::Wechat => format!("13{:016}", rng.gen_range(0..10_000_000_000_000_000u64)),
            Method::Alipay => format!("28{:016}", rng.gen_range(0..10_000_000_000_000_000u64)),
            _ => format!("99{:016}", rng.gen_range(0..10_000_000_000_000_000u64)),
        };
        let order = NewOrder {
            order_no: orders.next_order_no(created_at),
            kind,
            method: acct.method,
            channel: acct.channel.clone(),
            account: acct.account.clone(),
            amount,
            fee: amount.fee_at(acct.fee_rate_bp),
            subject: subject.to_string(),
            auth_code_masked: (kind == PayKind::Barcode).then(|| mask_auth_code(&code)),
            operator: spec.operators.get(rng.gen_range(0..spec.operators.len().max(1))).cloned(),
            // Generated by Paydesk, not taken by anyone: the names above are labels.
            principal: crate::Principal::System,
            till: spec.till.to_string(),
            idempotency_key: None,
            created_at,
            expires_at: created_at + if kind == PayKind::Qr { Duration::minutes(5) } else { Duration::seconds(60) },
            sale: None,
        };
        let roll = rng.gen_range(0..1000);
        let (status, failure, finished_at) = match (kind, roll) {
            (PayKind::Qr, 0..=44) => (OrderStatus::Closed, None, order.expires_at),
            (_, 45..=74) => (OrderStatus::Failed, Some(failure(&acct.channel, rng)), created_at + Duration::seconds(rng.gen_range(1..4))),
            _ => (OrderStatus::Success, None, created_at + Duration::seconds(rng.gen_range(3..40))),
        };
        let mut refund_list = Vec::new();
        if status == OrderStatus::Success && rng.gen_range(0..1000) < 18 {
            let completed_at = finished_at + Duration::minutes(rng.gen_range(5..3 * 24 * 60));
            if completed_at < now - Duration::minutes(1) {
                let part = if rng.gen_bool(0.5) { fen } else { (fen / 2).max(1) };
                let reason = ["顾客退货", "点错单", "重复扣款"][rng.gen_range(0..3)];
                refund_list.push(HistoryRefund { refund_no: refunds.next_refund_no(completed_at), amount: Money::from_fen(part).unwrap_or(amount), reason: Some(reason.into()), completed_at });
            }
        }
        let paid = status == OrderStatus::Success;
        out.push(HistoryOrder {
            channel_trade_no: paid.then(|| format!("{}{}", created_at.format("%Y%m%d"), rng.gen_range(1_000_000_000u64..9_999_999_999))),
            paid_at: paid.then_some(finished_at),
            order,
            status,
            failure,
            finished_at,
            refunds: refund_list,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SampleSpec {
        let a = |account: &str, channel: &str, method, weight| SampleAccount { account: account.into(), channel: channel.into(), method, fee_rate_bp: 38, weight };
        SampleSpec {
            accounts: vec![a("ali", "alipay", Method::Alipay, 45), a("wx", "wechat", Method::Wechat, 50), a("sb", "sandbox", Method::Sandbox, 5)],
            tz: chrono_tz::Asia::Shanghai,
            till: "T1".parse().unwrap(),
            orders_per_day: 200,
            operators: vec!["王芳".into()],
            seed: 42,
        }
    }

    #[test]
    fn deterministic_and_shaped_like_a_shop() {
        let from: NaiveDate = "2026-11-02".parse().unwrap(); // a Monday
        let to: NaiveDate = "2026-11-15".parse().unwrap();
        let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let a: Vec<Vec<HistoryOrder>> = history(&spec(), from, to, now).collect();
        let b: Vec<Vec<HistoryOrder>> = history(&spec(), from, to, now).collect();
        assert_eq!(a.len(), 14);
        assert_eq!(a.iter().map(Vec::len).collect::<Vec<_>>(), b.iter().map(Vec::len).collect::<Vec<_>>());
        assert_eq!(a[3][7].order.order_no, b[3][7].order.order_no);
        // Saturdays are busier than Tuesdays.
        assert!(a[5].len() > a[1].len() * 5 / 4, "sat {} tue {}", a[5].len(), a[1].len());
        let all: Vec<&HistoryOrder> = a.iter().flatten().collect();
        let count = |f: &dyn Fn(&HistoryOrder) -> bool| all.iter().filter(|h| f(h)).count();
        let n = all.len();
        assert!(count(&|h| h.status == OrderStatus::Failed) * 100 / n <= 5);
        assert!(count(&|h| h.status == OrderStatus::Closed) > 0 && count(&|h| !h.refunds.is_empty()) > 0);
        // Lunch beats mid-afternoon; nobody buys at 3 a.m.
        let hour = |h: &HistoryOrder| h.order.created_at.with_timezone(&chrono_tz::Asia::Shanghai).format("%H").to_string();
        assert!(count(&|h| hour(h) == "12") > 2 * count(&|h| hour(h) == "15"));
        assert_eq!(count(&|h| hour(h) == "03"), 0);
        // Order numbers follow creation time.
        assert!(all.windows(2).all(|w| w[0].order.order_no < w[1].order.order_no));
        // Nothing after now.
        let cut: Vec<_> = history(&spec(), from, to, "2026-11-02T04:00:00Z".parse().unwrap()).flatten().collect();
        assert!(cut.iter().all(|h| h.order.created_at < "2026-11-02T04:00:00Z".parse::<DateTime<Utc>>().unwrap()));
    }
}
