//! The discrepancy workflow. **Re-query** asks the channel about the order (or refund) again and
//! applies the answer through the state machine with source `reconcile`: when that answer
//! explains the difference (e.g. an order we had closed is paid after all), the book is corrected
//! and the discrepancy is marked fixed; an answer that leaves it open is recorded, and is not an
//! error. **Resolve** closes a discrepancy with a note someone wrote. Both are recorded on the
//! discrepancy and in the audit log. An unknown id is `not_found`; a superseded discrepancy (a
//! newer run of its day no longer found it) cannot be resolved.

use chrono::Utc;

use super::matcher::is_reversal_status;
use super::run::Reconciler;
use super::{invalid, DiscrepancyKind as K, ItemState, ReconError};
use crate::auth::Session;
use crate::ids::{OrderNo, RefundNo};
use crate::order::{EventSource, OrderStatus, RefundStatus};
use crate::statement::StatementKind;
use crate::store::{ItemRecord, Outcome as AuditOutcome};

/// Longest resolution note.
pub const MAX_NOTE: usize = 500;

/// A note someone wrote to settle a difference: required, at most [`MAX_NOTE`] characters, safe text
/// (no control characters).
pub(crate) fn checked_note(note: &str) -> Result<crate::text::SafeText, ReconError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(invalid("note", "write why this difference is fine or what was done"));
    }
    if note.chars().count() > MAX_NOTE {
        return Err(invalid("note", format!("at most {MAX_NOTE} characters")));
    }
    crate::text::SafeText::parse("note", note, MAX_NOTE).map_err(|e| invalid("note", e.problem))
}

impl Reconciler {
    /// Re-queries the channel about a discrepancy; fixes the book where the answer proves it.
    pub async fn requery(&self, item_id: i64, actor: Option<&Session>) -> Result<ItemRecord, ReconError> {
        let item = self.item(item_id)?;
        let d = &item.discrepancy;
        let who = actor.map(|s| s.user.as_str());
        let result = self.requery_inner(&item).await;
        let target = d.refund_no.clone().unwrap_or_else(|| d.order_no.clone());
        match result {
            Ok((outcome, fixed)) => {
                let state = fixed.then_some(ItemState::Fixed);
                let rec = self.store().recon_act(item_id, "requery", &outcome, state, None, who, Utc::now())?;
                let _ = crate::auth::audit(self.store(), actor, "reconcile_requery", Some(&target), AuditOutcome::Ok, &format!("discrepancy {item_id} ({}): {outcome}", d.kind), Utc::now());
                Ok(rec)
            }
            Err(e) => {
                self.store().recon_act(item_id, "requery", &format!("failed: {e}"), None, None, who, Utc::now())?;
                let _ = crate::auth::audit(self.store(), actor, "reconcile_requery", Some(&target), AuditOutcome::Failed, &e.to_string(), Utc::now());
                Err(e)
            }
        }
    }

    /// (what happened, whether the book now agrees with the channel).
    async fn requery_inner(&self, item: &ItemRecord) -> Result<(String, bool), ReconError> {
        let d = &item.discrepancy;
        let channel_status = d.channel.as_ref().and_then(|c| c.status.clone()).unwrap_or_default();
        if d.line == StatementKind::Refund {
            if let Some(no) = d.refund_no.as_deref() {
                let Ok(no) = no.parse::<RefundNo>() else { return Ok(("not one of our refund numbers: nothing to query".into(), false)) };
                let Ok(before) = self.store().refund(&no) else { return Ok(("the refund is not in the book: nothing to query".into(), false)) };
                let after = self.payments.follow_refund(&no, EventSource::Reconcile).await?;
                let fixed = d.kind == K::StatusDiffers && after.status == RefundStatus::Success;
                let what = if before.status == after.status { format!("the channel's answer leaves the refund {}", after.status.as_str()) } else { format!("book corrected: refund {} → {}", before.status.as_str(), after.status.as_str()) };
                return Ok((what, fixed));
            }
        }
        let Ok(no) = d.order_no.parse::<OrderNo>() else { return Ok(("not one of our order numbers: nothing to query".into(), false)) };
        let before = match self.store().order(&no) {
            Ok(o) if o.account == item.account => o,
            Ok(o) => return Ok((format!("the order belongs to account {}", o.account), false)),
            Err(_) => return Ok(("the order is not in the book: nothing to query".into(), false)),
        };
        let after = match self.payments.query(&no, EventSource::Reconcile).await {
            Ok(o) => o,
            // The channel answered, and its answer disagrees with the book (e.g. another amount):
            // recorded on the order; the difference stays open.
            Err(crate::payments::PayError::Conflict(why)) => return Ok((format!("the channel's answer leaves it open: {why}"), false)),
            Err(e) => return Err(e.into()),
        };
        let paid = matches!(after.status, OrderStatus::Success | OrderStatus::Refunded);
        let fixed = match d.kind {
            K::StatusDiffers if is_reversal_status(&channel_status) || d.line == StatementKind::Refund => !matches!(after.status, OrderStatus::Success),
            K::StatusDiffers => paid,
            K::MissingAtChannel => !paid,
            K::MissingInBook | K::AmountDiffers | K::FeeDiffers | K::RefundDiffers | K::Duplicate | K::External => false,
        };
        let what = if before.status == after.status {
            format!("the channel confirms the book: order {}", after.status.as_str())
        } else {
            format!("book corrected: order {} → {}", before.status.as_str(), after.status.as_str())
        };
        Ok((what, fixed))
    }

    /// A discrepancy by id; an unknown id is `not_found`.
    pub fn item(&self, id: i64) -> Result<ItemRecord, ReconError> {
        match self.store().recon_item(id) {
            Err(crate::store::StoreError::NotFound { .. }) => Err(ReconError::NotFound(format!("discrepancy {id}"))),
            other => Ok(other?),
        }
    }

    /// A discrepancy that can still be settled by hand: known, not superseded, not fixed.
    pub(crate) fn settleable(&self, id: i64) -> Result<ItemRecord, ReconError> {
        let item = self.item(id)?;
        if let Some(run) = item.superseded_by {
            return Err(invalid("id", format!("discrepancy {id} was superseded: run {run} of {} no longer found this difference, so there is nothing to settle", item.day)));
        }
        if item.state == ItemState::Fixed {
            return Err(invalid("state", format!("discrepancy {id} was already fixed")));
        }
        Ok(item)
    }

    /// Marks a discrepancy resolved with a note (required, at most [`MAX_NOTE`] characters).
    pub fn resolve(&self, item_id: i64, note: &str, actor: Option<&Session>) -> Result<ItemRecord, ReconError> {
        let note = checked_note(note)?;
        let note = note.as_str();
        let item = self.settleable(item_id)?;
        let rec = self.store().recon_act(item_id, "resolve", "resolved", Some(ItemState::Resolved), Some(note), actor.map(|s| s.user.as_str()), Utc::now())?;
        let target = item.discrepancy.refund_no.clone().unwrap_or_else(|| item.discrepancy.order_no.clone());
        let _ = crate::auth::audit(self.store(), actor, "reconcile_resolve", Some(&target), AuditOutcome::Ok, &format!("discrepancy {item_id} ({}): {note}", item.discrepancy.kind), Utc::now());
        Ok(rec)
    }
}
