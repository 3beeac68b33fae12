//! CSV export of order lists (what the Orders screen shows, for the accountant's spreadsheet).
//!
//! Amounts are yuan with two decimals, times are the shop's local time. Cells that a spreadsheet
//! would run as a formula (`=`, `+`, `-`, `@` first) are prefixed with `'`.

use crate::order::Order;

pub const HEADER: [&str; 16] = [
    "order_no", "created_at", "paid_at", "status", "method", "kind", "channel", "account", "amount", "refunded", "fee", "channel_trade_no", "operator", "subject", "store",
    "till",
];

use super::csv::quote as cell;

/// The orders as CSV (header line first, `\r\n` line ends as RFC 4180 asks); `stores` names the
/// store of each till (`(till, store)`, see [`crate::shop::till_stores`]).
pub fn orders_csv(orders: &[Order], tz: chrono_tz::Tz, stores: &[(String, String)]) -> String {
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut out = HEADER.join(",");
    out.push_str("\r\n");
    for o in orders {
        let row = [
            o.order_no.to_string(),
            fmt(o.created_at),
            o.paid_at.map(fmt).unwrap_or_default(),
            o.status.to_string(),
            o.method.to_string(),
            o.kind.as_str().to_string(),
            o.channel.clone(),
            o.account.clone(),
            o.amount.to_string(),
            o.refunded.to_string(),
            o.fee.to_string(),
            o.channel_trade_no.clone().unwrap_or_default(),
            o.operator.clone().unwrap_or_default(),
            o.subject.clone(),
            stores.iter().find(|(t, _)| t == &o.till).map(|(_, s)| s.clone()).unwrap_or_default(),
            o.till.clone(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OrderFilter;
    use chrono::Utc;

    #[test]
    fn quotes_and_defuses_cells() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("-1+2"), "'-1+2");
    }

    #[test]
    fn exports_rows_in_local_time() {
        let (_d, s) = crate::store::test_util::store();
        let g = crate::ids::NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let mut o = crate::store::test_util::new_order(g.next_order_no(Utc::now()), 1234);
        o.subject = "咖啡, 大杯".into();
        o.created_at = "2026-11-25T04:00:00Z".parse().unwrap();
        s.insert_order(&o).unwrap();
        let csv = orders_csv(&s.list_orders(&OrderFilter::default()).unwrap(), chrono_tz::Asia::Shanghai, &[("T1".into(), "S1".into())]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert!(lines[1].contains(",2026-11-25 12:00:00,,pending,sandbox,qr,sandbox,sb,12.34,0.00,0.07,,,\"咖啡, 大杯\",S1,T1"), "{}", lines[1]);
        assert_eq!(lines.len(), 3);
    }
}
