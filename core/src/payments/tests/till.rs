//! The till's day through the payments service: shifts with a blind count, over/short, the
//! locked handover report and later adjustments, tenders (cash with change, card, voucher, a
//! split sale), refunds at the counter, system shifts for remote payments, Z numbering.

use super::*;
use crate::clock::Clock;
use crate::order::{EventSource, OrderStatus, PayKind};
use crate::payments::{RefundRequestInput, TenderInput};
use crate::principal::Principal;
use crate::store::{OrderFilter, SalePart};
use crate::till::{ShiftKind, ShiftStatus};

fn cash(amount: &str, tendered: &str, key: &str) -> TenderInput {
    TenderInput { method: Method::Cash, amount: yuan(amount), tendered: Some(yuan(tendered)), reference: None, subject: None, operator: Some("王芳".into()), idempotency_key: Some(key.into()), sale: None }
}

fn tender(method: Method, amount: &str, reference: Option<&str>) -> TenderInput {
    TenderInput { method, amount: yuan(amount), tendered: None, reference: reference.map(str::to_string), subject: None, operator: Some("王芳".into()), idempotency_key: None, sale: None }
}

fn line(r: &crate::till::ShiftReport, method: &str) -> (i64, i64, i64) {
    r.figures.lines.iter().find(|l| l.method == method).map_or((0, 0, 0), |l| (l.count, l.amount, l.refunded))
}

#[tokio::test(start_paused = true)]
async fn a_shift_with_every_tender_a_blind_count_and_a_locked_report() {
    let h = two();
    // No shift: a tender is refused and nothing is written.
    let e = h.p.record_tender(cash("10.00", "10.00", "k0"), &Principal::System).unwrap_err();
    assert!(e.to_string().contains("no shift is open"), "{e}");
    assert!(h.p.store().list_orders(&OrderFilter::default()).unwrap().is_empty());

    let opened = h.p.open_cashier_shift("王芳", yuan("200.00")).unwrap();
    assert!(opened.closed_system.is_none());
    let shift = opened.shift;
    assert_eq!((shift.kind, shift.status, shift.opening_float.fen()), (ShiftKind::Cashier, ShiftStatus::Open, 20_000));
    assert!(shift.shift_no.starts_with("T1-2026") && shift.shift_no.ends_with("-1"), "{}", shift.shift_no);
    assert!(h.p.open_cashier_shift("李雷", Money::ZERO).unwrap_err().to_string().contains("still open"));

    // Cash with change; short cash refused; card and voucher with references.
    let c = h.p.record_tender(cash("12.30", "20.00", "k1"), &Principal::System).unwrap();
    assert_eq!((c.kind, c.status, c.account.as_str(), c.channel.as_str()), (PayKind::Tender, OrderStatus::Success, "", "cash"));
    assert_eq!((c.tendered.unwrap().fen(), c.change().fen(), c.shift_no.as_deref()), (2000, 770, Some(shift.shift_no.as_str())));
    assert_eq!(h.p.record_tender(cash("12.30", "20.00", "k1"), &Principal::System).unwrap().order_no, c.order_no, "the same key records once");
    let e = h.p.record_tender(cash("12.30", "10.00", "k2"), &Principal::System).unwrap_err();
    assert!(e.to_string().starts_with("tendered:"), "{e}");
    let card = h.p.record_tender(tender(Method::Card, "88.00", Some("REF 0042")), &Principal::System).unwrap();
    assert_eq!(card.channel_trade_no.as_deref(), Some("REF 0042"));
    h.p.record_tender(tender(Method::Voucher, "50.00", Some("V-7781")), &Principal::System).unwrap();
    assert!(h.p.record_tender(tender(Method::Alipay, "1.00", None), &Principal::System).is_err(), "wallets are not tenders");
    assert!(h.p.query(&card.order_no, EventSource::User).await.unwrap_err().to_string().contains("no channel holds it"));

    // A split sale: 30.00 cash, the remaining 70.00 by QR, one sale.
    let sale = SalePart { id: "G1".into(), total: yuan("100.00") };
    h.p.record_tender(TenderInput { sale: Some(sale.clone()), ..cash("30.00", "30.00", "k3") }, &Principal::System).unwrap();
    let wallet = h.p.create_qr(QrInput { sale: Some(sale.clone()), ..qr("70.00", "k4") }, &Principal::System).await.unwrap();
    assert!(h.gw.customer_pays(&wallet.account, wallet.order_no.as_str()));
    let wallet = h.p.query(&wallet.order_no, EventSource::Poll).await.unwrap();
    assert_eq!((wallet.status, wallet.sale_id.as_deref()), (OrderStatus::Success, Some("G1")));
    // An unpaid QR order is still open at the close: a later callback pays it.
    let late = h.p.create_qr(qr("9.99", "k5"), &Principal::System).await.unwrap();
    // A QR order cancelled by the cashier is a void.
    let void = h.p.create_qr(qr("5.00", "k6"), &Principal::System).await.unwrap();
    h.p.close(&void.order_no, EventSource::User, &Principal::System).await.unwrap();

    // A cash refund at the counter comes out of the drawer.
    let r = h.p.refund(RefundRequestInput { order_no: c.order_no.clone(), amount: yuan("2.30"), reason: Some("one item back".into()), operator: Some("王芳".into()) }, &Principal::System).await.unwrap();
    assert_eq!((r.status, r.shift_no.as_deref()), (crate::RefundStatus::Success, Some(shift.shift_no.as_str())));

    // The X report so far.
    let x = h.p.shift_report(None).unwrap();
    assert!(!x.locked);
    assert_eq!(line(&x, "cash"), (2, 4230, 230));
    assert_eq!(line(&x, "card"), (1, 8800, 0));
    assert_eq!(line(&x, "voucher"), (1, 5000, 0));
    assert_eq!(line(&x, "sandbox"), (1, 7000, 0));
    assert_eq!((x.figures.sales, x.figures.paid_count), (4, 5), "the split sale counts once");
    assert_eq!((x.figures.gross, x.figures.refunded, x.figures.net), (25_030, 230, 24_800));
    assert_eq!((x.figures.void_count, x.figures.voided), (1, 500));
    assert_eq!(x.figures.cash.expected, Some(20_000 + 4230 - 230));
    assert_eq!(x.figures.open_orders.iter().map(|o| o.no.as_str()).collect::<Vec<_>>(), [late.order_no.as_str()]);

    // Blind count: 3.00 short. Handover to 李雷.
    let closed = h.p.close_shift("王芳", yuan("237.00"), Some("李雷")).unwrap();
    assert!(closed.locked);
    assert_eq!((closed.figures.cash.expected, closed.figures.cash.counted, closed.figures.cash.over_short), (Some(24_000), Some(23_700), Some(-300)));
    assert_eq!((closed.shift.status, closed.shift.over_short(), closed.shift.handed_to.as_deref()), (ShiftStatus::Closed, Some(-300), Some("李雷")));
    assert!(h.p.close_shift("王芳", yuan("1.00"), None).is_err(), "nothing left to close");

    // The late payment: the order stays in its shift, the locked report does not move, the
    // change is listed as a later adjustment.
    h.clock.advance(chrono::Duration::minutes(2));
    assert!(h.gw.customer_pays(&late.account, late.order_no.as_str()));
    let paid = h.p.query(&late.order_no, EventSource::Callback).await.unwrap();
    assert_eq!((paid.status, paid.shift_no.as_deref()), (OrderStatus::Success, Some(shift.shift_no.as_str())));
    let again = h.p.shift_report(Some(&shift.shift_no)).unwrap();
    assert_eq!(again.figures, closed.figures, "the handover report is locked");
    assert_eq!(again.adjustments.len(), 1);
    assert_eq!((again.adjustments[0].order_no.as_str(), again.adjustments[0].amount, again.adjustments[0].to_status.as_str()), (late.order_no.as_str(), 999, "success"));

    // The book refuses to alter a closed shift, whoever asks.
    let e = h.p.store().close_shift(&shift.shift_no, None, None, Some(Money::ZERO), h.clock.now(), |_, _| Ok((0, "{}".into()))).unwrap_err();
    assert!(e.to_string().contains("already closed"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn remote_payments_get_a_system_shift_and_the_day_closes_with_numbered_zs() {
    let h = two();
    h.clock.set("2026-11-25T02:00:00Z".parse().unwrap()); // 10:00 in Shanghai
    // A payment through the API or CLI with nobody at the till: a system shift takes it.
    let o = h.p.create_qr(qr("8.00", "api-1"), &Principal::System).await.unwrap();
    let sys = h.p.open_shift().unwrap().unwrap();
    assert_eq!((sys.kind, o.shift_no.as_deref()), (ShiftKind::System, Some(sys.shift_no.as_str())));
    assert!(h.p.record_tender(cash("1.00", "1.00", "c"), &Principal::System).unwrap_err().to_string().contains("no drawer"));
    // The cashier's opening closes it (no count: it has no drawer).
    let opened = h.p.open_cashier_shift("王芳", yuan("100.00")).unwrap();
    let closed_sys = opened.closed_system.unwrap();
    assert_eq!((closed_sys.shift.shift_no.as_str(), closed_sys.figures.cash.counted), (sys.shift_no.as_str(), None));
    assert!(opened.shift.shift_no.ends_with("-2"));
    h.p.record_tender(cash("20.00", "50.00", "c1"), &Principal::System).unwrap();
    // The day cannot close over an open cashier's shift.
    assert!(h.p.close_day("老板").unwrap_err().to_string().contains("still open"));
    h.p.close_shift("王芳", yuan("121.00"), None).unwrap();
    let day = h.p.close_day("老板").unwrap();
    assert_eq!((day.till_z.z_no, day.till_z.business_date.to_string()), (1, "2026-11-25".to_string()));
    assert_eq!(day.till_z.shifts.len(), 2);
    assert_eq!((day.till_z.over_short, day.till_z.figures.cash.sales), (100, 2000), "1.00 over");
    let store_z = day.store_z.expect("the only till of the store closed: the store's Z follows");
    assert_eq!((store_z.z_no, store_z.tills.clone(), store_z.figures.cash.sales), (1, vec![("T1".to_string(), 1)], 2000));
    // Once per business day.
    assert!(h.p.close_day("老板").unwrap_err().to_string().contains("already taken"));
    // After midnight but before 04:00 it is still the 25th; later the 26th gets Z 2.
    h.clock.set("2026-11-25T18:30:00Z".parse().unwrap()); // 02:30 on the 26th
    assert_eq!(h.p.business_date(h.clock.now()).to_string(), "2026-11-25");
    h.clock.set("2026-11-26T12:00:00Z".parse().unwrap());
    h.p.open_cashier_shift("李雷", yuan("121.00")).unwrap();
    h.p.close_shift("李雷", yuan("121.00"), None).unwrap();
    let day2 = h.p.close_day("老板").unwrap();
    assert_eq!((day2.till_z.z_no, day2.till_z.shifts.len(), day2.store_z.map(|z| z.z_no)), (2, 1, Some(2)));
    let zs = h.p.z_reports(false, 10).unwrap();
    assert_eq!(zs.iter().map(|z| z.z_no).collect::<Vec<_>>(), [2, 1]);
    // Shifts taken into a Z say which.
    let s = h.p.store().shift(&opened.shift.shift_no).unwrap();
    assert_eq!(s.z_no, Some(1));
    // The tables for the exports; the remote QR order still unpaid is listed as unresolved.
    let tables = day.till_z.tables(chrono_tz::Asia::Shanghai);
    assert_eq!(tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["summary", "tenders", "shifts", "open"]);
    assert_eq!(day.till_z.figures.open_orders[0].no, o.order_no.as_str());
}

#[test]
fn analytics_count_tenders_and_stay_consistent() {
    let h = two();
    h.p.open_cashier_shift("王芳", Money::ZERO).unwrap();
    h.p.record_tender(cash("10.00", "10.00", "a"), &Principal::System).unwrap();
    let v = h.p.record_tender(tender(Method::Voucher, "5.00", None), &Principal::System).unwrap();
    h.p.store().refund_tender(&crate::store::NewRefund { refund_no: "R20261125000000000T1001".parse().unwrap(), order_no: v.order_no.clone(), amount: yuan("5.00"), reason: None, operator: None, principal: Principal::System, created_at: h.clock.now(), idempotency_key: None, kind: Default::default() }, h.clock.now()).unwrap();
    assert!(h.p.store().sales_bucket_mismatches().unwrap().is_empty());
    let db = crate::analytics::dashboard(h.p.store(), chrono_tz::Asia::Shanghai, crate::analytics::Period::Today, h.clock.now()).unwrap();
    assert_eq!(db.current.gross.fen(), 1500);
    assert_eq!(db.current.refunds.fen(), 500);
    assert!(db.methods.iter().any(|m| m.method == "cash" && m.gross.fen() == 1000));
    assert_eq!(h.p.store().order(&v.order_no).unwrap().status, OrderStatus::Refunded);
}
