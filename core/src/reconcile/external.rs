//! Payments taken outside Paydesk: statement lines whose merchant number is empty or not shaped
//! like a Paydesk number ([`crate::ids::issued_by_paydesk`]) — a static 收款码 sticker on the
//! same merchant account, a sale keyed into the channel's own app, another system. They are
//! discrepancies of their own kind (`external`), not `missing_in_book`.
//!
//! The accountant may **accept** them into the book as external sales (in bulk, with a note,
//! audited): each becomes an order of origin `external` (paid, at the channel's time, amount and
//! fee; counted in takings and the sales figures) — a refund line becomes a successful refund of
//! the external sale it refunds. Invariant: the number such an order or refund gets is derived
//! from the statement line alone ([`order_no`], [`refund_no`]), so the same line accepted twice
//! is refused by the book, and the next run of the day finds it there and matches it.

use chrono::{NaiveDateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

use super::{invalid, DiscrepancyKind, ReconError, Reconciler};
use crate::auth::Session;
use crate::order::Method;
use crate::statement::{LineRef, StatementKind};
use crate::store::{ExternalKind, ExternalLine, ItemRecord, Outcome as AuditOutcome};

/// The most discrepancies accepted in one go.
pub const MAX_BATCH: usize = 10_000;

/// `X` + the channel's trade number when it is short and plain enough, else a hash of it.
fn derived(prefix: char, plain: &str, hashed: &str) -> String {
    if (7..=30).contains(&plain.len()) && plain.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return format!("{prefix}X{plain}");
    }
    let h = hex::encode(Sha256::digest(hashed.as_bytes()));
    format!("{prefix}X{}", &h[..30]).to_ascii_uppercase()
}

/// The order number of the external sale accepted from a payment line with this channel trade
/// number: `PX` + the trade number (or a hash of it, for long or unusual ones). Never the shape
/// of a number a till issues.
pub fn order_no(channel_trade_no: &str) -> String {
    derived('P', channel_trade_no, &format!("payment|{channel_trade_no}"))
}

/// The refund number of an accepted external refund line: `RX` + a hash of what identifies the
/// line (trade number, the channel's refund number, amount, time), since one trade may be
/// refunded in parts.
pub fn refund_no(r: &LineRef<'_>) -> String {
    let time = r.time.map(|t| t.to_string()).unwrap_or_default();
    derived('R', "", &format!("refund|{}|{}|{}|{time}", r.channel_trade_no, r.refund_no.unwrap_or(""), r.refund_amount))
}

impl Reconciler {
    /// Accepts external discrepancies (`ids`) into the book as external sales and refunds, with
    /// the accountant's `note` (required). All or nothing, one audit entry for the batch.
    pub fn accept_external(&self, ids: &[i64], note: &str, actor: Option<&Session>) -> Result<Vec<ItemRecord>, ReconError> {
        let note = super::resolve::checked_note(note)?;
        let note = note.as_str();
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(invalid("ids", format!("give 1 to {MAX_BATCH} discrepancies to accept")));
        }
        let tz = self.tz();
        let till = self.payments.settings().till_id.to_string();
        let mut lines = Vec::with_capacity(ids.len());
        for &id in ids {
            let item = self.settleable(id)?;
            let d = &item.discrepancy;
            if d.kind != DiscrepancyKind::External {
                return Err(invalid("ids", format!("discrepancy {id} is {}, not a payment taken outside Paydesk", d.kind)));
            }
            let c = d.channel.clone().unwrap_or_default();
            let (Some(trade_no), Some(time)) = (c.trade_no.clone(), c.time.as_deref().and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())) else {
                return Err(invalid("ids", format!("discrepancy {id} has no channel trade number or time to book")));
            };
            let account = self.store().account(&item.account).map_err(|_| invalid("ids", format!("discrepancy {id}: account {} is gone", item.account)))?;
            let method = account.methods.first().copied().or_else(|| account.channel.parse::<Method>().ok()).unwrap_or(Method::Alipay);
            let at = tz.from_local_datetime(&time).earliest().map_or_else(|| time.and_utc(), |t| t.with_timezone(&Utc));
            let kind = match d.line {
                StatementKind::Payment => ExternalKind::Payment { order_no: order_no(&trade_no), amount: c.amount.unwrap_or(0), fee: c.fee.unwrap_or(0).abs() },
                StatementKind::Refund => {
                    let line = LineRef { kind: StatementKind::Refund, channel_trade_no: &trade_no, order_no: &d.order_no, refund_no: d.refund_no.as_deref(), amount: 0, refund_amount: c.refund_amount.unwrap_or(0), fee: c.fee.unwrap_or(0), time: Some(time), status: "", merchant_id: "" };
                    ExternalKind::Refund { order_no: order_no(&trade_no), refund_no: refund_no(&line), amount: c.refund_amount.unwrap_or(0) }
                }
            };
            lines.push(ExternalLine { item_id: id, account: account.name.clone(), channel: account.channel.clone(), method, till: till.clone(), channel_trade_no: trade_no, at, kind });
        }
        let by = actor.map_or_else(crate::Principal::os, |s| crate::Principal::user(s.user.clone(), s.role));
        let done = self.store().accept_external(&lines, note, &by, Utc::now());
        let summary = format!("{} discrepancies ({}): {note}", ids.len(), ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", "));
        match done {
            Ok(()) => {
                let _ = crate::auth::audit(self.store(), actor, "reconcile_accept", None, AuditOutcome::Ok, &summary, Utc::now());
                ids.iter().map(|&id| self.item(id)).collect()
            }
            Err(crate::store::StoreError::Conflict(why)) => {
                let _ = crate::auth::audit(self.store(), actor, "reconcile_accept", None, AuditOutcome::Failed, &why, Utc::now());
                Err(invalid("ids", why))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{issued_by_paydesk, OrderNo, RefundNo};
    use crate::statement::{StatementKind, StatementRow};

    #[test]
    fn derived_numbers_are_valid_stable_and_never_a_tills() {
        for trade in ["2026112522001234567890123456", "4200000263201902167700134902", "a-b c", "", &"9".repeat(64)] {
            let no = order_no(trade);
            assert!(no.parse::<OrderNo>().is_ok(), "{no}");
            assert!(!issued_by_paydesk(&no, 'P'), "{no}");
            assert_eq!(no, order_no(trade), "stable");
        }
        assert_eq!(order_no("2026112522001234567890123456"), "PX2026112522001234567890123456");
        let row = StatementRow {
            kind: StatementKind::Refund,
            channel_trade_no: "4200000263201902167700134902".into(),
            order_no: String::new(),
            refund_no: None,
            amount: 0,
            refund_amount: 500,
            fee: 0,
            time: crate::statement::parse_time(b"2026-11-25 10:00:00"),
            status: "REFUND".into(),
            merchant_id: String::new(),
        };
        let a = refund_no(&row.as_line());
        assert!(a.parse::<RefundNo>().is_ok() && !issued_by_paydesk(&a, 'R'), "{a}");
        let part = StatementRow { refund_amount: 400, ..row.clone() };
        assert_ne!(a, refund_no(&part.as_line()), "two partial refunds of one trade differ");
        assert_eq!(a, refund_no(&row.as_line()));
    }
}
