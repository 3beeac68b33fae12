//! The dashboard against figures computed by hand on a small fixed book (Asia/Shanghai, UTC+8).
//!
//! | # | local time (2026-11) | channel | amount | what happens                                   |
//! |---|----------------------|---------|--------|------------------------------------------------|
//! | 1 | Mon 23 09:05         | alipay  |  12.34 | paid                                           |
//! | 2 | Mon 23 23:59:59.999  | wechat  | 100.00 | paid (last ms of Monday)                       |
//! | 3 | Tue 24 00:00:00.000  | wechat  |  50.00 | paid (first ms of Tuesday)                     |
//! | 4 | Tue 24 10:15         | alipay  |  20.00 | refused: balance (generic code, channel code in the message) |
//! | 5 | Tue 24 10:20         | alipay  |  20.00 | paid; 5.00 refunded Wed 25 11:00               |
//! | 6 | Tue 24 12:00         | sandbox |   8.00 | closed (timed out)                             |
//! | 7 | Tue 24 12:30         | wechat  |  30.00 | failed NOTENOUGH                               |
//! | 8 | Wed 25 08:00         | wechat  |  15.00 | still open: not counted                        |
//! | 9 | Sun 22 18:00         | alipay  |  40.00 | paid (previous period); refunded in full Mon 23 09:30 |
//! |10 | Sat 21 10:00         | sandbox |  10.00 | paid (previous period)                         |
//! |11 | Mon 23 15:00         | alipay  |  25.00 | closed by timeout, then proved paid by reconciliation |
//!
//! Fees: 0.60 % of each paid amount, rounded half up (7, 60, 30, 12, 15; previous 24, 6).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

use super::*;
use crate::ids::NumberGen;
use crate::money::Money;
use crate::order::{EventSource, Method, OrderStatus, PayKind, RefundStatus};
use crate::store::{NewOrder, NewRefund, OrderPatch};

fn local(s: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap();
    Shanghai.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
}

struct Book {
    _dir: tempfile::TempDir,
    store: Store,
    gen: NumberGen,
}

impl Book {
    fn new() -> Book {
        let (dir, store) = crate::store::test_util::store();
        for (name, channel) in [("ali", "alipay"), ("wx", "wechat")] {
            store.upsert_account(&toml::from_str(&format!("name = \"{name}\"\nchannel = \"{channel}\"\nfee_rate_bp = 60")).unwrap()).unwrap();
        }
        Book { _dir: dir, store, gen: NumberGen::new("T1".parse().unwrap(), Shanghai) }
    }

    fn order(&self, at: &str, channel: &str, fen: i64) -> crate::OrderNo {
        let created_at = local(at);
        let (account, method) = match channel {
            "alipay" => ("ali", Method::Alipay),
            "wechat" => ("wx", Method::Wechat),
            _ => ("sb", Method::Sandbox),
        };
        let amount = Money::from_fen(fen).unwrap();
        let no = self.gen.next_order_no(created_at);
        self.store
            .insert_order(&NewOrder {
                order_no: no.clone(),
                kind: PayKind::Qr,
                method,
                channel: channel.into(),
                account: account.into(),
                amount,
                fee: amount.fee_at(60),
                subject: "t".into(),
                auth_code_masked: None,
                operator: None,
                principal: crate::Principal::System,
                till: "T1".into(),
                idempotency_key: None,
                created_at,
                expires_at: created_at + chrono::Duration::minutes(5),
                sale: None,
            })
            .unwrap();
        no
    }

    fn set(&self, no: &crate::OrderNo, to: OrderStatus, source: EventSource, failure: Option<(&str, &str)>) {
        let patch = OrderPatch { failure: failure.map(|(c, m)| (c.into(), m.into())), ..Default::default() };
        let at = self.store.order(no).unwrap().created_at + chrono::Duration::seconds(30);
        assert!(self.store.apply(no, to, source, "test", &patch, at).unwrap().changed());
    }

    fn refund(&self, no: &crate::OrderNo, fen: i64, at: &str) {
        let at = local(at);
        let r = self
            .store
            .insert_refund(&NewRefund { refund_no: self.gen.next_refund_no(at), order_no: no.clone(), amount: Money::from_fen(fen).unwrap(), reason: None, operator: None, principal: crate::Principal::System, created_at: at, idempotency_key: None, kind: Default::default() })
            .unwrap();
        self.store.apply_refund(&r.refund_no, RefundStatus::Success, None, None, EventSource::ChannelReply, at).unwrap();
    }
}

fn fixture() -> Book {
    use EventSource::*;
    use OrderStatus::*;
    let b = Book::new();
    let o1 = b.order("2026-11-23 09:05:00.000", "alipay", 1234);
    b.set(&o1, Success, ChannelReply, None);
    let o2 = b.order("2026-11-23 23:59:59.999", "wechat", 10_000);
    b.set(&o2, Success, Callback, None);
    let o3 = b.order("2026-11-24 00:00:00.000", "wechat", 5_000);
    b.set(&o3, Processing, ChannelReply, None);
    b.set(&o3, Success, Poll, None);
    let o4 = b.order("2026-11-24 10:15:00.000", "alipay", 2_000);
    b.set(&o4, Failed, ChannelReply, Some(("rejected", "alipay refused: 余额不足 (ACQ.BUYER_BALANCE_NOT_ENOUGH)")));
    let o5 = b.order("2026-11-24 10:20:00.000", "alipay", 2_000);
    b.set(&o5, Success, ChannelReply, None);
    b.refund(&o5, 500, "2026-11-25 11:00:00.000");
    let o6 = b.order("2026-11-24 12:00:00.000", "sandbox", 800);
    b.set(&o6, Closed, Timeout, None);
    let o7 = b.order("2026-11-24 12:30:00.000", "wechat", 3_000);
    b.set(&o7, Failed, Poll, Some(("NOTENOUGH", "余额不足")));
    b.order("2026-11-25 08:00:00.000", "wechat", 1_500);
    let o9 = b.order("2026-11-22 18:00:00.000", "alipay", 4_000);
    b.set(&o9, Success, Callback, None);
    b.refund(&o9, 4_000, "2026-11-23 09:30:00.000");
    let o10 = b.order("2026-11-21 10:00:00.000", "sandbox", 1_000);
    b.set(&o10, Success, ChannelReply, None);
    let o11 = b.order("2026-11-23 15:00:00.000", "alipay", 2_500);
    b.set(&o11, Closed, Timeout, None);
    b.set(&o11, Success, Reconcile, None);
    assert_eq!(b.store.order(&o9).unwrap().status, Refunded);
    b
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn custom(from: &str, to: &str) -> Period {
    Period::Custom { from: d(from), to: d(to) }
}

#[test]
fn figures_match_hand_computed_values() {
    let b = fixture();
    let now = local("2026-11-25 14:30:00.000");
    let db = dashboard(&b.store, Shanghai, custom("2026-11-23", "2026-11-26"), now).unwrap();
    let c = &db.current;
    assert_eq!((c.orders, c.gross.fen(), c.fees.fen()), (5, 20_734, 124));
    assert_eq!((c.refund_count, c.refunds.fen(), c.net.fen()), (2, 4_500, 16_234));
    assert_eq!((c.attempts, c.failed, c.closed), (8, 2, 1));
    assert_eq!(c.average_ticket.fen(), 4_147, "20734 / 5 = 4146.8, half up");
    assert_eq!(c.success_rate_bp, Some(6_250));
    let p = &db.previous;
    assert_eq!((db.previous_window.from, db.previous_window.to), (d("2026-11-19"), d("2026-11-22")));
    assert_eq!((p.orders, p.gross.fen(), p.refunds.fen(), p.fees.fen(), p.success_rate_bp), (2, 5_000, 0, 30, Some(10_000)));

    let kpi = |k: &str| db.kpis.iter().find(|x| x.key == k).unwrap().clone();
    assert_eq!((kpi("gross").diff, kpi("gross").change_bp), (Some(15_734), Some(31_468)));
    assert_eq!((kpi("success_rate").diff, kpi("success_rate").change_bp), (Some(-3_750), None));
    assert_eq!(kpi("refunds").change_bp, None, "previous refunds were zero");
    assert!(!kpi("fees").higher_is_better);

    // Every day of the range, the midnight boundary in Shanghai, the empty future day.
    let days: Vec<_> = db.by_day.iter().map(|x| (x.date, x.orders, x.gross.fen(), x.refunds.fen(), x.net.fen(), x.attempts)).collect();
    assert_eq!(
        days,
        vec![
            (d("2026-11-23"), 3, 13_734, 4_000, 9_734, 3),
            (d("2026-11-24"), 2, 7_000, 0, 7_000, 5),
            (d("2026-11-25"), 0, 0, 500, -500, 0),
            (d("2026-11-26"), 0, 0, 0, 0, 0),
        ]
    );
    let prev: Vec<_> = db.by_day.iter().map(|x| (x.previous_date.unwrap(), x.previous_gross.unwrap().fen())).collect();
    assert_eq!(prev, vec![(d("2026-11-19"), 0), (d("2026-11-20"), 0), (d("2026-11-21"), 1_000), (d("2026-11-22"), 4_000)]);

    let hours: Vec<_> = db.by_hour.iter().filter(|h| h.orders > 0).map(|h| (h.hour, h.orders, h.gross.fen())).collect();
    assert_eq!(hours, vec![(0, 1, 5_000), (9, 1, 1_234), (10, 1, 2_000), (15, 1, 2_500), (23, 1, 10_000)]);
    assert_eq!((db.heatmap[0][9], db.heatmap[0][15], db.heatmap[0][23], db.heatmap[1][0], db.heatmap[1][10]), (1, 1, 1, 1, 1));
    assert_eq!(db.heatmap.iter().flatten().sum::<i64>(), 5);
    let wd: Vec<_> = db.by_weekday.iter().map(|w| (w.weekday, w.orders, w.days)).collect();
    assert_eq!(wd, vec![(1, 3, 1), (2, 2, 1), (3, 0, 1), (4, 0, 1), (5, 0, 0), (6, 0, 0), (7, 0, 0)]);

    let ch: Vec<_> = db.channels.iter().map(|c| (c.channel.as_str(), c.attempts, c.orders, c.failed, c.closed, c.success_rate_bp, c.gross.fen(), c.refunds.fen(), c.fees.fen())).collect();
    assert_eq!(
        ch,
        vec![
            ("wechat", 3, 2, 1, 0, Some(6_667), 15_000, 0, 90),
            ("alipay", 4, 3, 1, 0, Some(7_500), 5_734, 4_500, 34),
            ("sandbox", 1, 0, 0, 1, Some(0), 0, 0, 0),
        ]
    );
    let mix: Vec<_> = db.methods.iter().map(|m| (m.method.as_str(), m.orders, m.gross.fen(), m.share_bp)).collect();
    assert_eq!(mix, vec![("wechat", 2, 15_000, 7_234), ("alipay", 3, 5_734, 2_766)]);

    let f: Vec<_> = db.failures.iter().map(|f| (f.channel.as_str(), f.code.as_str(), f.message.as_str(), f.count, f.share_bp)).collect();
    assert_eq!(
        f,
        vec![
            ("alipay", "ACQ.BUYER_BALANCE_NOT_ENOUGH", "余额不足", 1, 3_333),
            ("sandbox", "CLOSED", "closed unpaid (expired or cancelled)", 1, 3_333),
            ("wechat", "NOTENOUGH", "余额不足", 1, 3_333),
        ]
    );
}

#[test]
fn raw_tables_give_the_same_dashboard() {
    let b = fixture();
    let now = local("2026-11-25 14:30:00.000");
    for p in [Period::Today, Period::Yesterday, Period::Week, Period::Month, custom("2026-11-01", "2026-11-30")] {
        let fast = dashboard(&b.store, Shanghai, p, now).unwrap();
        let raw = dashboard_from(&b.store, Shanghai, p, now, Source::Raw).unwrap();
        assert_eq!(fast, raw, "{p:?}");
    }
}

#[test]
fn to_date_periods_compare_with_the_same_time_of_day() {
    let b = fixture();
    // Tuesday 24th at 10:12 (rounded up to the 10:15 slot): today so far has #3 (00:00) only;
    // Monday by 10:15 had #1 (09:05); #2 and #11 came later that day.
    let db = dashboard(&b.store, Shanghai, Period::Today, local("2026-11-24 10:12:00.000")).unwrap();
    assert_eq!(db.window.end, local("2026-11-24 10:15:00.000"));
    assert_eq!((db.current.orders, db.current.gross.fen(), db.current.attempts), (1, 5_000, 1));
    assert_eq!((db.previous.orders, db.previous.gross.fen()), (1, 1_234));
    // The 09:30 refund of #9 completed before 10:15 on Monday, so it is in the comparison.
    assert_eq!(db.previous.refunds.fen(), 4_000);
}

#[test]
fn another_time_zone_regroups_without_a_rebuild() {
    let b = fixture();
    // In UTC, #2 (15:59:59.999Z) and #3 (16:00Z) are both on Monday the 23rd.
    let db = dashboard(&b.store, chrono_tz::UTC, custom("2026-11-23", "2026-11-23"), Utc::now()).unwrap();
    assert_eq!(db.by_day[0].orders, 4, "#1, #2, #3 and #11");
    assert_eq!(db.by_hour[15].orders + db.by_hour[16].orders, 2);
    assert_eq!(db.timezone, "UTC");
}

#[test]
fn empty_book_and_failure_reasons() {
    let b = Book::new();
    let db = dashboard(&b.store, Shanghai, Period::Today, Utc::now()).unwrap();
    assert_eq!(db.current, Totals::default());
    assert_eq!(db.by_day.len(), 1);
    assert!(db.failures.is_empty() && db.channels.is_empty() && db.methods.is_empty());
    assert!(db.kpis.iter().all(|k| k.change_bp.is_none()));
    let g = |code: Option<&str>, msg: &str, closed| crate::store::FailureGroup { channel: "x".into(), closed, code: code.map(Into::into), message: Some(msg.into()), count: 1 };
    assert_eq!(figures::reason_of(&g(Some(" notenough "), "余额不足", false)), ("NOTENOUGH".into(), "余额不足".into()));
    assert_eq!(figures::reason_of(&g(Some("timeout"), "wechat did not answer in time", false)), ("TIMEOUT".into(), "wechat did not answer in time".into()));
    assert_eq!(figures::reason_of(&g(Some("rejected"), "sandbox refused: card declined (DECLINED)", false)), ("DECLINED".into(), "card declined".into()));
    assert_eq!(figures::reason_of(&g(None, "", true)).0, "CLOSED");
}
