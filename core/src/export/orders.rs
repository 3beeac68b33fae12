//! The order list as a typed table (what the Orders screen shows and `paydesk orders --csv`
//! prints, for the accountant's spreadsheet), written by the one CSV writer: amounts are money
//! cells (numbers), times the shop's local time, text cells defused (see [`super::csv`]).

use super::{Cell, Column, ColumnKind, Table};
use crate::order::Order;

pub const HEADER: [&str; 16] = [
    "order_no", "created_at", "paid_at", "status", "method", "kind", "channel", "account", "amount", "refunded", "fee", "channel_trade_no", "operator", "subject", "store",
    "till",
];

fn kind(key: &str) -> ColumnKind {
    match key {
        "amount" | "refunded" | "fee" => ColumnKind::Money,
        "created_at" | "paid_at" => ColumnKind::DateTime,
        _ => ColumnKind::Text,
    }
}

/// The orders as a table, one row each.
pub fn orders_table(orders: &[Order], tz: chrono_tz::Tz, stores: &[(String, String)]) -> Table {
    let local = |t: chrono::DateTime<chrono::Utc>| Cell::DateTime(t.with_timezone(&tz).naive_local());
    let text = |s: &str| Cell::text(s);
    let opt = |s: &Option<String>| s.as_deref().map_or(Cell::Empty, Cell::text);
    let mut t = Table::new("orders", "Orders", HEADER.iter().map(|k| Column::new(k, k, kind(k))).collect());
    for o in orders {
        t.push(vec![
            text(o.order_no.as_str()),
            local(o.created_at),
            o.paid_at.map_or(Cell::Empty, local),
            text(o.status.as_str()),
            text(o.method.as_str()),
            text(o.kind.as_str()),
            text(&o.channel),
            text(&o.account),
            Cell::Money(o.amount.fen()),
            Cell::Money(o.refunded.fen()),
            Cell::Money(o.fee.fen()),
            opt(&o.channel_trade_no),
            opt(&o.operator),
            text(&o.subject),
            text(stores.iter().find(|(t, _)| t == &o.till).map_or("", |(_, s)| s.as_str())),
            text(&o.till),
        ]);
    }
    t
}

/// The orders as CSV (header line first, `\r\n` line ends as RFC 4180 asks); `stores` names the
/// store of each till (`(till, store)`, see [`crate::shop::till_stores`]).
pub fn orders_csv(orders: &[Order], tz: chrono_tz::Tz, stores: &[(String, String)]) -> String {
    super::csv::text(&orders_table(orders, tz, stores))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OrderFilter;
    use chrono::Utc;

    #[test]
    fn exports_rows_in_local_time() {
        let (_d, s) = crate::store::test_util::store();
        let g = crate::ids::NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let mut o = crate::store::test_util::new_order(g.next_order_no(Utc::now()), 1234);
        o.subject = "咖啡, 大杯".into();
        o.created_at = "2026-11-25T04:00:00Z".parse().unwrap();
        s.insert_order(&o).unwrap();
        let mut o2 = crate::store::test_util::new_order(g.next_order_no(Utc::now()), 500);
        (o2.subject, o2.operator) = ("-5 off".into(), Some("=HYPERLINK(\"http://x\")".into()));
        s.insert_order(&o2).unwrap();
        let csv = orders_csv(&s.list_orders(&OrderFilter::default()).unwrap(), chrono_tz::Asia::Shanghai, &[("T1".into(), "S1".into())]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert!(lines[2].contains(",2026-11-25 12:00:00,,pending,sandbox,qr,sandbox,sb,12.34,0.00,0.07,,,\"咖啡, 大杯\",S1,T1"), "{}", lines[2]);
        assert!(lines[1].ends_with(",5.00,0.00,0.03,,\"'=HYPERLINK(\"\"http://x\"\")\",\"'-5 off\",S1,T1"), "{}", lines[1]);
        assert_eq!(lines.len(), 4);
    }
}
