//! Demo mode's reconciliation day: a business day of sandbox sales written both into the book
//! and into the simulator (which then serves them as that day's statement), with a few planted
//! differences, so the accountant sees a meaningful reconciliation on first run:
//!
//! | order | book | channel (simulator) | expected |
//! |---|---|---|---|
//! | 18 ordinary sales, 2 refunds | paid / refunded | the same | matched |
//! | paid 23:59:58 the day before | paid that evening | paid 00:00:02 on the day | matched across the day boundary |
//! | a QR we closed | closed | paid | status differs → re-query fixes the book |
//! | a sale the channel lacks | paid | nothing | missing at the channel |
//! | a payment we never booked | nothing | paid | missing in the book |
//! | a price typed twice | 12.00 | 12.50 | amount differs |
//! | paid to the shop's static 收款码 sticker | nothing | paid, no merchant order number | external (accept it as an external sale) |

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use paydesk_core::ids::NumberGen;
use paydesk_core::order::{EventSource, Method, OrderStatus, PayKind, RefundStatus};
use paydesk_core::store::{NewOrder, NewRefund, OrderPatch};
use paydesk_core::{AccountConfig, Money, Store};

use crate::sim::{Payer, SimRefund, SimState, SimStatus, Trade};

/// The till id of seeded demo orders (apart from real ones).
pub const DEMO_TILL: &str = "D1";

fn at(day: NaiveDate, hms: (u32, u32, u32), tz: chrono_tz::Tz) -> DateTime<Utc> {
    let t = day.and_hms_opt(hms.0, hms.1, hms.2).unwrap_or_default();
    tz.from_local_datetime(&t).earliest().map_or_else(|| t.and_utc(), |x| x.with_timezone(&Utc))
}

struct Seeder<'a> {
    store: &'a Store,
    sim: &'a SimState,
    account: &'a AccountConfig,
    merchant: &'a str,
    numbers: NumberGen,
}

impl Seeder<'_> {
    /// A book order (None: not in the book) and a simulator trade (None: unknown to the channel).
    fn sale(&self, created: DateTime<Utc>, book: Option<(i64, OrderStatus, Option<DateTime<Utc>>)>, channel: Option<(i64, DateTime<Utc>)>, subject: &str) -> Result<String, String> {
        let no = self.numbers.next_order_no(created);
        let trade_no = format!("SD{}", &no.as_str()[1..]);
        if let Some((fen, status, paid)) = book {
            let amount = Money::from_fen(fen).map_err(|e| e.to_string())?;
            let o = NewOrder {
                order_no: no.clone(),
                kind: PayKind::Qr,
                method: Method::Sandbox,
                channel: self.account.channel.clone(),
                account: self.account.name.clone(),
                amount,
                fee: amount.fee_at(self.account.fee_rate_bp),
                subject: subject.into(),
                auth_code_masked: None,
                operator: Some("王芳".into()),
                principal: paydesk_core::Principal::System,
                till: DEMO_TILL.into(),
                idempotency_key: None,
                created_at: created,
                expires_at: created + chrono::Duration::minutes(3),
                sale: None,
            };
            self.store.insert_order(&o).map_err(|e| e.to_string())?;
            let (source, when) = match status {
                OrderStatus::Success => (EventSource::Callback, paid.unwrap_or(created)),
                _ => (EventSource::Timeout, created + chrono::Duration::minutes(3)),
            };
            let patch = OrderPatch { channel_trade_no: paid.map(|_| trade_no.clone()), paid_at: paid, ..Default::default() };
            self.store.apply(&no, status, source, "demo", &patch, when).map_err(|e| e.to_string())?;
        }
        if let Some((fen, paid)) = channel {
            let t = Trade {
                channel: "sandbox",
                merchant: self.merchant.to_string(),
                app_id: String::new(),
                order_no: no.to_string(),
                trade_no,
                amount: fen,
                subject: subject.into(),
                status: SimStatus::Paid,
                barcode: false,
                payer: Payer::Pay,
                notify_url: None,
                created_at: created,
                paid_at: Some(paid),
                buyer: "demo".into(),
                refunds: Vec::new(),
            };
            self.sim.insert(t).map_err(|_| format!("simulated trade {no} exists"))?;
        }
        Ok(no.to_string())
    }

    /// A payment to the shop's static 收款码 sticker: the channel has it, without any order
    /// number of ours; Paydesk never saw it.
    fn sticker(&self, fen: i64, paid: DateTime<Utc>) -> Result<(), String> {
        let t = Trade {
            channel: "sandbox",
            merchant: self.merchant.to_string(),
            app_id: String::new(),
            order_no: String::new(),
            trade_no: format!("SDQR{}", paid.timestamp()),
            amount: fen,
            subject: "收款码 QR sticker".into(),
            status: SimStatus::Paid,
            barcode: false,
            payer: Payer::Pay,
            notify_url: None,
            created_at: paid,
            paid_at: Some(paid),
            buyer: "demo".into(),
            refunds: Vec::new(),
        };
        self.sim.insert(t).map(|_| ()).map_err(|_| "simulated sticker payment exists".to_string())
    }

    fn refund(&self, order_no: &str, fen: i64, when: DateTime<Utc>) -> Result<(), String> {
        let no = order_no.parse().map_err(|e: paydesk_core::ids::IdError| e.to_string())?;
        let refund_no = self.numbers.next_refund_no(when);
        let amount = Money::from_fen(fen).map_err(|e| e.to_string())?;
        let r = NewRefund { refund_no: refund_no.clone(), order_no: no, amount, reason: Some("demo".into()), operator: Some("李老板".into()), principal: paydesk_core::Principal::System, created_at: when, idempotency_key: None, kind: Default::default() };
        self.store.insert_refund(&r).map_err(|e| e.to_string())?;
        self.store.apply_refund(&refund_no, RefundStatus::Success, Some("SRDEMO"), None, EventSource::ChannelReply, when).map_err(|e| e.to_string())?;
        self.sim.update("sandbox", self.merchant, order_no, |t| {
            t.refunds.push(SimRefund { refund_no: refund_no.to_string(), refund_id: format!("SR{}", &refund_no.as_str()[1..]), amount: fen, reason: None, at: when });
        });
        Ok(())
    }
}

/// Seeds `day` (a past business day in `tz`) for a sandbox `account` whose simulator merchant
/// is `merchant`. Idempotent per home: does nothing when demo orders exist already.
pub fn seed_day(store: &Store, sim: &SimState, account: &AccountConfig, merchant: &str, day: NaiveDate, tz: chrono_tz::Tz) -> Result<bool, String> {
    if store.last_slot(DEMO_TILL).map_err(|e| e.to_string())?.is_some() {
        return Ok(false);
    }
    let s = Seeder { store, sim, account, merchant, numbers: NumberGen::new(DEMO_TILL.parse().map_err(|e: paydesk_core::ids::IdError| e.to_string())?, tz) };
    let prev = day.checked_sub_days(Days::new(1)).unwrap_or(day);
    let secs = chrono::Duration::seconds;
    // (created, book: (amount, status, paid), channel: (amount, paid), subject, refund of sale #)
    type Sale = (DateTime<Utc>, Option<(i64, OrderStatus, Option<DateTime<Utc>>)>, Option<(i64, DateTime<Utc>)>, &'static str);
    let mut sales: Vec<Sale> = Vec::new();
    // Just before midnight the day before: the channel books it on our day.
    sales.push((at(prev, (23, 59, 50), tz), Some((880, OrderStatus::Success, Some(at(prev, (23, 59, 58), tz)))), Some((880, at(day, (0, 0, 2), tz))), "夜宵 Late snack"));
    let items = [("美式咖啡 Americano", 1800), ("拿铁 Latte", 2200), ("牛角包 Croissant", 1250), ("三明治 Sandwich", 2800), ("橙汁 Orange juice", 1500), ("蛋糕 Cake", 3200)];
    for i in 0..18u32 {
        let (name, fen) = items[i as usize % items.len()];
        let fen = fen + i64::from(i % 3) * 100;
        let created = at(day, (8 + i / 2, (i * 7) % 60, 5), tz);
        sales.push((created, Some((fen, OrderStatus::Success, Some(created + secs(20)))), Some((fen, created + secs(20))), name));
    }
    // A QR we closed while the customer did pay.
    let c = at(day, (12, 30, 0), tz);
    sales.push((c, Some((4600, OrderStatus::Closed, None)), Some((4600, c + secs(170))), "午餐套餐 Lunch set"));
    // We think paid; the channel has nothing.
    let m = at(day, (13, 5, 0), tz);
    sales.push((m, Some((1999, OrderStatus::Success, Some(m + secs(15)))), None, "果盘 Fruit plate"));
    // The channel was paid for something we never booked.
    let x = at(day, (17, 45, 0), tz);
    sales.push((x, None, Some((3500, x + secs(30))), "礼品卡 Gift card"));
    // A price typed twice.
    let a = at(day, (18, 15, 0), tz);
    sales.push((a, Some((1200, OrderStatus::Success, Some(a + secs(25)))), Some((1250, a + secs(25))), "奶茶 Milk tea"));
    // In time order, so the numbers read like the times (the generator never goes backwards).
    sales.sort_by_key(|s| s.0);
    let mut numbers = Vec::new();
    for (created, book, channel, subject) in sales {
        numbers.push((created, s.sale(created, book, channel, subject)?, book.map(|b| b.0)));
    }
    // Two refunds in the afternoon, of the 3rd and 8th sale of the morning.
    let paid: Vec<&(DateTime<Utc>, String, Option<i64>)> = numbers.iter().filter(|n| n.0 >= at(day, (0, 0, 0), tz)).collect();
    s.refund(&paid[2].1, 1250, at(day, (15, 10, 0), tz))?;
    s.refund(&paid[7].1, 1000, at(day, (16, 20, 0), tz))?;
    // A customer paid the sticker by the door.
    s.sticker(1500, at(day, (11, 11, 30), tz))?;
    Ok(true)
}
