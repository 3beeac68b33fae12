//! The sandbox gateway's daily statement: a plain UTF-8 CSV
//! `trade_no,order_no,type,amount,refund_no,time,status,fee` (`type` is `payment` or `refund`,
//! refunds and returned fees negative, `time` RFC 3339). Columns are found by name (`fee` is
//! optional); times are turned into the sandbox's business-day zone, Asia/Shanghai.

use chrono::DateTime;
use paydesk_core::money::Money;
use paydesk_core::statement::{StatementError, StatementKind, StatementRow, StatementSource};

pub const HEADER_START: &str = "trade_no,order_no,type,amount";

/// Whether `head` looks like a sandbox statement.
pub fn sniff(head: &[u8]) -> bool {
    head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head).starts_with(HEADER_START.as_bytes())
}

struct Columns {
    trade_no: usize,
    order_no: usize,
    kind: usize,
    amount: usize,
    refund_no: usize,
    time: usize,
    status: usize,
    fee: Option<usize>,
}

/// Streams a sandbox statement.
pub struct SandboxRows<'a> {
    records: csv::StringRecordsIntoIter<crate::statement::Input<'a>>,
    cols: Option<Columns>,
    failed: bool,
}

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

impl SandboxRows<'_> {
    fn header(&mut self, h: &csv::StringRecord) -> Result<(), StatementError> {
        let find = |n: &str| h.iter().position(|c| c.trim_start_matches('\u{feff}') == n);
        let need = |n: &str| find(n).ok_or_else(|| err(1, format!("header has no column {n}: not a sandbox statement")));
        self.cols = Some(Columns {
            trade_no: need("trade_no")?,
            order_no: need("order_no")?,
            kind: need("type")?,
            amount: need("amount")?,
            refund_no: need("refund_no")?,
            time: need("time")?,
            status: need("status")?,
            fee: find("fee"),
        });
        Ok(())
    }

    fn row(c: &Columns, rec: &csv::StringRecord, line: u64) -> Result<StatementRow, StatementError> {
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let money = |i: usize, name: &str| Money::parse_signed_statement(get(i)).map_err(|e| err(line, format!("{name}: {e}")));
        let amount = money(c.amount, "amount")?;
        let fee = match c.fee {
            Some(i) if !get(i).is_empty() => money(i, "fee")?,
            _ => 0,
        };
        let time = DateTime::parse_from_rfc3339(get(c.time)).map_err(|_| err(line, format!("time {:?} is not an RFC 3339 time", get(c.time))))?;
        let local = time.with_timezone(&chrono_tz::Asia::Shanghai).naive_local();
        let (kind, amount, refund_amount, refund_no) = match get(c.kind) {
            "payment" if amount > 0 => (StatementKind::Payment, amount, 0, None),
            "refund" if amount < 0 => (StatementKind::Refund, 0, -amount, Some(get(c.refund_no).to_string()).filter(|n| !n.is_empty())),
            "payment" | "refund" => return Err(err(line, format!("amount {} or refund_no does not fit a {} row", get(c.amount), get(c.kind)))),
            other => return Err(err(line, format!("type {other:?} is neither payment nor refund"))),
        };
        // An empty order_no is a payment Paydesk did not create (reconciled as external).
        if get(c.trade_no).is_empty() {
            return Err(err(line, "trade_no is empty"));
        }
        Ok(StatementRow {
            kind,
            channel_trade_no: get(c.trade_no).to_string(),
            order_no: get(c.order_no).to_string(),
            refund_no,
            amount,
            refund_amount,
            fee,
            time: Some(local),
            status: get(c.status).to_string(),
            merchant_id: String::new(),
        })
    }
}

impl Iterator for SandboxRows<'_> {
    type Item = Result<StatementRow, StatementError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let out = loop {
            let rec = match self.records.next()? {
                Ok(r) => r,
                Err(e) => break Err(err(e.position().map_or(0, |p| p.line()), format!("unreadable CSV: {e}"))),
            };
            let line = rec.position().map_or(0, |p| p.line());
            if self.cols.is_none() {
                if let Err(e) = self.header(&rec) {
                    break Err(e);
                }
                continue;
            }
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let Some(c) = self.cols.as_ref() else { continue };
            break Self::row(c, &rec, line);
        };
        self.failed = out.is_err();
        Some(out)
    }
}

impl StatementSource for SandboxRows<'_> {}

/// Opens a sandbox statement.
pub fn open(mut input: crate::statement::Input<'_>) -> Result<Box<dyn StatementSource + '_>, StatementError> {
    use std::io::BufRead;
    if input.fill_buf().map_err(|e| err(0, format!("cannot read: {e}")))?.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
    }
    let records = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(input).into_records();
    Ok(Box::new(SandboxRows { records, cols: None, failed: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "trade_no,order_no,type,amount,refund_no,time,status,fee\n\
        S1,P20261125235958000T1001,payment,12.34,,2026-11-25T15:59:58+00:00,PAID,0.07\n\
        S1,P20261125235958000T1001,refund,-2.00,R20261126000001000T1001,2026-11-25T16:00:01+00:00,SUCCESS,-0.01\n";

    fn read(s: &str) -> Result<Vec<StatementRow>, StatementError> {
        open(Box::new(s.as_bytes()))?.collect()
    }

    #[test]
    fn rows_in_shanghai_time() {
        let rows = read(CSV).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].kind, rows[0].amount, rows[0].fee), (StatementKind::Payment, 1234, 7));
        assert_eq!(rows[0].time.unwrap().to_string(), "2026-11-25 23:59:58");
        assert_eq!((rows[1].kind, rows[1].refund_amount, rows[1].fee, rows[1].refund_no.as_deref()), (StatementKind::Refund, 200, -1, Some("R20261126000001000T1001")));
        assert_eq!(rows[1].time.unwrap().to_string(), "2026-11-26 00:00:01");
        assert!(sniff(CSV.as_bytes()));
    }

    #[test]
    fn bad_lines_are_named() {
        let bad = CSV.replace("12.34", "12.3x");
        let e = read(&bad).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.starts_with("amount"), "{e}");
        let e = read(&CSV.replace(",refund,", ",chargeback,")).unwrap_err();
        assert_eq!(e.line, 3);
        let e = read(&format!("{CSV}S2,P2,payment,1.00\n")).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = read("a,b\n1,2\n").unwrap_err();
        assert!(e.message.contains("trade_no"), "{e}");
    }
}
