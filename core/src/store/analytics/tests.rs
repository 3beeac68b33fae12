//! The triggers against a recomputation from raw rows; bulk import checks.

use chrono::{DateTime, Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::store::test_util::{new_order, store};
use crate::store::{HistoryOrder, HistoryRefund, NewRefund, OrderPatch};
use crate::ids::{NumberGen, OrderNo};
use crate::money::Money;
use crate::order::{EventSource, Method, OrderStatus, RefundStatus};

/// Random payments, failures, closes, late proofs of payment, refunds (some failing) and a
/// bulk import: after every step the triggers' table equals a recomputation from raw rows.
#[test]
fn triggers_match_a_recomputation_after_random_operations() {
    let (_d, s) = store();
    for (name, channel) in [("ali", "alipay"), ("wx", "wechat")] {
        s.upsert_account(&toml::from_str(&format!("name = \"{name}\"\nchannel = \"{channel}\"\nfee_rate_bp = 38")).unwrap()).unwrap();
    }
    let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
    let mut rng = StdRng::seed_from_u64(7);
    let t0: DateTime<Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
    let mut orders: Vec<OrderNo> = Vec::new();
    for step in 0..600 {
        let at = t0 + Duration::minutes(rng.gen_range(0..7 * 24 * 60));
        match rng.gen_range(0..10) {
            0..=3 => {
                let mut o = new_order(g.next_order_no(at), rng.gen_range(1..50_000));
                let (acct, ch, m) = [("sb", "sandbox", Method::Sandbox), ("ali", "alipay", Method::Alipay), ("wx", "wechat", Method::Wechat)][rng.gen_range(0..3)];
                (o.account, o.channel, o.method, o.created_at) = (acct.into(), ch.into(), m, at);
                s.insert_order(&o).unwrap();
                orders.push(o.order_no);
            }
            4..=6 if !orders.is_empty() => {
                let no = &orders[rng.gen_range(0..orders.len())];
                let to = [OrderStatus::Processing, OrderStatus::Success, OrderStatus::Failed, OrderStatus::Closed][rng.gen_range(0..4)];
                let src = [EventSource::Callback, EventSource::Timeout, EventSource::Reconcile][rng.gen_range(0..3)];
                let patch = OrderPatch { failure: (to == OrderStatus::Failed).then(|| ("DECLINED".into(), "declined".into())), ..Default::default() };
                let _ = s.apply(no, to, src, "random", &patch, at); // illegal moves are refused, and change nothing
            }
            7..=8 if !orders.is_empty() => {
                let no = orders[rng.gen_range(0..orders.len())].clone();
                let o = s.order(&no).unwrap();
                if o.status == OrderStatus::Success {
                    let fen = rng.gen_range(1..=o.refundable().fen());
                    let r = s.insert_refund(&NewRefund { refund_no: g.next_refund_no(at), order_no: no, amount: Money::from_fen(fen).unwrap(), reason: None, operator: None, principal: crate::Principal::System, created_at: at, idempotency_key: None, kind: Default::default() }).unwrap();
                    let to = if rng.gen_bool(0.8) { RefundStatus::Success } else { RefundStatus::Failed };
                    s.apply_refund(&r.refund_no, to, None, None, EventSource::ChannelReply, at + Duration::minutes(rng.gen_range(0..90))).unwrap();
                }
            }
            _ => {
                let o = new_order(g.next_order_no(at), 1000);
                let paid = rng.gen_bool(0.7);
                let refunds = if paid && rng.gen_bool(0.5) { vec![HistoryRefund { refund_no: g.next_refund_no(at), amount: Money::from_fen(rng.gen_range(1..=1000)).unwrap(), reason: None, completed_at: at + Duration::hours(30) }] } else { vec![] };
                let h = HistoryOrder { order: o, status: if paid { OrderStatus::Success } else { OrderStatus::Closed }, channel_trade_no: None, paid_at: None, failure: None, finished_at: at, refunds };
                s.import_history(&[h], step % 2 == 0).unwrap();
            }
        }
        if step % 50 == 49 {
            assert_eq!(s.sales_bucket_mismatches().unwrap(), Vec::<String>::new(), "after step {step}");
        }
    }
    let before = dump(&s);
    assert!(before.len() > 50, "the data set exercises many slots: {}", before.len());
    s.rebuild_sales_buckets().unwrap();
    assert_eq!(dump(&s), before, "rebuild == triggers");
}

fn dump(s: &crate::store::Store) -> Vec<(String, i64, String, String, String, Vec<i64>)> {
    s.read(|c| {
        let mut out = Vec::new();
        for table in ["sales_buckets", "sales_hours"] {
            let mut st = c.prepare(&format!("SELECT * FROM {table} WHERE attempts OR paid OR gross OR fees OR failed OR closed OR refunds OR refunded ORDER BY 1, 2, 3, 4"))?;
            let rows = st.query_map([], |r| Ok((table.to_string(), r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, (4..12).map(|i| r.get(i)).collect::<rusqlite::Result<Vec<i64>>>()?)))?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        Ok(out)
    })
    .unwrap()
}

#[test]
fn hourly_rows_serve_aligned_hours_only() {
    use super::{pieces, OffsetSpan};
    let h = 3_600_000;
    let span = |from_ms, to_ms, offset_ms| OffsetSpan { from_ms, to_ms, offset_ms };
    // Shanghai, whole days: all hourly.
    assert_eq!(pieces(&span(16 * h, 40 * h, 8 * h)), vec![("sales_hours", 16 * h, 40 * h)]);
    // Cut at 10:15 local: hourly up to 10:00, the last quarter from the 15-minute table.
    assert_eq!(pieces(&span(16 * h, 18 * h + h / 4, 8 * h)), vec![("sales_hours", 16 * h, 18 * h), ("sales_buckets", 18 * h, 18 * h + h / 4)]);
    // India (+05:30): local hours are not UTC hours.
    assert_eq!(pieces(&span(0, 48 * h, 5 * h + h / 2)), vec![("sales_buckets", 0, 48 * h)]);
    // Less than an hour, unaligned.
    assert_eq!(pieces(&span(h / 4, h / 2, 0)), vec![("sales_buckets", h / 4, h / 2)]);
}

#[test]
fn history_import_refuses_inconsistent_batches() {
    let (_d, s) = store();
    let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
    let now = Utc::now();
    let h = |status, refund: i64| HistoryOrder {
        order: new_order(g.next_order_no(now), 500),
        status,
        channel_trade_no: None,
        paid_at: None,
        failure: None,
        finished_at: now,
        refunds: (refund > 0).then(|| HistoryRefund { refund_no: g.next_refund_no(now), amount: Money::from_fen(refund).unwrap(), reason: None, completed_at: now }).into_iter().collect(),
    };
    for (bad, why) in [(h(OrderStatus::Pending, 0), "final"), (h(OrderStatus::Closed, 100), "unpaid"), (h(OrderStatus::Success, 600), "exceed")] {
        let e = s.import_history(&[h(OrderStatus::Success, 0), bad], true).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
    assert_eq!(s.order_count().unwrap(), 0, "nothing of a refused batch is written");
    let ok = h(OrderStatus::Success, 500);
    let no = ok.order.order_no.clone();
    assert_eq!(s.import_history(&[ok, h(OrderStatus::Failed, 0)], true).unwrap(), 2);
    let d = s.order_detail(&no).unwrap();
    assert_eq!((d.order.status, d.order.refunded.fen(), d.refunds.len(), d.events.len()), (OrderStatus::Refunded, 500, 1, 4));
}
